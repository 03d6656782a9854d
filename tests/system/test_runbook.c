/*
 * test_runbook.c - the operator's runbook in docs/operations.md runs as
 * written: every ```sh block between <!-- runbook:begin --> and
 * <!-- runbook:end --> is joined into one script and run with `sh -e` in a
 * scratch folder, with simpul and simpuld on the PATH. Only the loopback
 * ports (17000 -> this test's port base, so parallel tests do not collide)
 * and the region file's path are changed. The script creates a federation,
 * enrols officers, handles a complaint, sets routes and policy, publishes
 * a calendar, adds an institution whose new node joins while the others
 * run, rotates an officer's key, retires that institution and stops
 * everything; any command that fails fails the test, with the script's
 * output.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sp_fedtest.h"
#include "sp_node_harness.h"

#define BIG (2 * PATH_MAX)

/* replace_all appends s to out with every `from` replaced by `to`. */
static void replace_all(struct sp_buf *out, const char *s, size_t n, const char *from,
			const char *to)
{
	size_t fl = strlen(from);
	for (size_t i = 0; i < n;) {
		if (i + fl <= n && memcmp(s + i, from, fl) == 0) {
			sp_buf_put(out, to, strlen(to));
			i += fl;
		} else {
			sp_buf_put(out, s + i++, 1);
		}
	}
}

/* runbook: the sh blocks of the runbook section, joined. */
static void runbook(struct sp_buf *script)
{
	char path[BIG];
	snprintf(path, sizeof(path), "%s/docs/operations.md", SP_SOURCE_DIR);
	char *doc = sp_h_slurp(path, NULL);
	assert_non_null(doc);
	char *p = strstr(doc, "<!-- runbook:begin -->"), *end = strstr(doc, "<!-- runbook:end -->");
	assert_non_null(p);
	assert_non_null(end);
	int blocks = 0;
	while ((p = strstr(p, "```sh\n")) != NULL && p < end) {
		p += 6;
		char *q = strstr(p, "```");
		assert_non_null(q);
		sp_buf_put(script, p, (size_t)(q - p));
		p = q + 3;
		blocks++;
	}
	assert_true(blocks >= 8);
	free(doc);
}

static void test_runbook_as_written(void **state)
{
	(void)state;
	const char *dir = sp_test_tmpdir("runbook");
	unsigned base = sp_h_port_block();
	struct sp_buf raw, a, b;
	sp_buf_init(&raw);
	sp_buf_init(&a);
	sp_buf_init(&b);
	runbook(&raw);
	char port[16], wilayah[BIG];
	snprintf(port, sizeof(port), "%u", base / 100);
	snprintf(wilayah, sizeof(wilayah), "%s/config/wilayah.csv", SP_SOURCE_DIR);
	/* ports 170NN -> <base/100>NN; the region file by its full path */
	replace_all(&a, (const char *)raw.p, raw.len, "170", port);
	replace_all(&b, (const char *)a.p, a.len, "config/wilayah.csv", wilayah);
	sp_buf_put(&b, "", 1);
	char script[BIG], out[BIG], bin[BIG], env_path[3 * PATH_MAX];
	snprintf(script, sizeof(script), "%s/runbook.sh", dir);
	snprintf(out, sizeof(out), "%s/runbook.out", dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "set -e\ncd '%s'\n%s", dir, (const char *)b.p);
	fclose(f);
	sp_h_bin(bin, sizeof(bin), "simpul");
	*strrchr(bin, '/') = '\0';
	snprintf(env_path, sizeof(env_path), "%s:%s", bin, getenv("PATH") ? getenv("PATH") : "");
	setenv("PATH", env_path, 1);
	const char *argv[] = {"/bin/sh", "-e", script, NULL};
	int code = sp_h_run(argv, out, 300000);
	char *text = sp_h_slurp(out, NULL);
	if (code != 0) {
		/* leave nothing running behind */
		char fed[BIG], down[BIG];
		snprintf(fed, sizeof(fed), "%s/fed", dir);
		snprintf(down, sizeof(down), "%s/down.out", dir);
		char simpul[BIG];
		sp_h_bin(simpul, sizeof(simpul), "simpul");
		const char *d[] = {simpul, "federation", "down", "--dir", fed, NULL};
		sp_h_run(d, down, 60000);
		fail_msg("the runbook failed (exit %d); script %s; output:\n%s", code, script,
			 text ? text : "");
	}
	/* what the steps printed */
	assert_non_null(strstr(text, "Ani Wijaya"));
	assert_non_null(strstr(text, "rule 73:air-desa"));
	assert_non_null(strstr(text, "year 2027: published calendar"));
	assert_non_null(strstr(text, "routed to 74 (rule default:74)"));
	free(text);
	sp_buf_free(&raw);
	sp_buf_free(&a);
	sp_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runbook_as_written),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

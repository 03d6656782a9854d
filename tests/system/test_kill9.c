/*
 * test_kill9.c - kill -9 during replication, real simpuld processes on
 * 127.0.0.1 (`simpul federation up|kill|start`): KEMENPANRB, 73, 73.12.
 *
 * 73.12 is stopped and its log grows by NBULK entries offline (`simpul
 * log append --count`, the bulk fill). When it starts again, the province
 * catches up; the province is killed with SIGKILL part-way (its
 * /metrics shows some but not all of the entries). Its store, opened
 * read-only, must verify completely (`simpul log verify`: every entry's
 * encoding, signature, link to the one before, the Merkle root against
 * the signed checkpoint): no partial or torn entries, and fewer than
 * NBULK of them. Started again, it resumes from what it kept and ends with
 * the same checkpoint body (size and root) as 73.12 serves; stopped, its
 * report index, kept incrementally across the kill, equals one rebuilt
 * from its logs (`simpuld --index verify`).
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_fedtest.h"

#define NBULK 30000

static struct {
	struct sp_h_fed f;
	char why[4096];
} g;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init_ports(&g.f, "kill9", sp_h_port_block());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_down(&g.f);
	return 0;
}

/* entries: how many entries of log `log` node id holds (its /metrics);
 * -1 if it does not answer. */
static long long entries(const char *id, const char *log)
{
	char a[64], needle[128];
	struct sp_h_resp r;
	sp_h_fedup_addr(g.f.fed, id, a, sizeof(a));
	snprintf(needle, sizeof(needle), "simpul_log_entries{origin=\"simpul.local/%s\",own=\"0\"} ",
		 log);
	long long n = -1;
	if (sp_h_http(a, "GET", "/metrics", NULL, NULL, 0, &r) == 0 && r.status == 200) {
		const char *at = strstr(r.body, needle);
		n = at ? strtoll(at + strlen(needle), NULL, 10) : 0;
	}
	sp_h_resp_free(&r);
	return n;
}

/* simpul runs the simpul CLI (args NULL-ended); returns its output. */
static char *simpul(int want, const char *const *args)
{
	return sp_h_simpul(g.f.dir, want, args);
}

static int caught_up(void *arg)
{
	(void)arg;
	const char *must[] = {"73", "KEMENPANRB"};
	return sp_ft_same_log(&g.f, "73.12", must, 2, NULL, 0, g.why, sizeof(g.why));
}

static void test_kill9(void **state)
{
	(void)state;
	char store[2 * PATH_MAX], key[2 * PATH_MAX], count[16];
	snprintf(store, sizeof(store), "%s/nodes/73.12/data/store", g.f.fed);
	snprintf(key, sizeof(key), "%s/keys/73.12.key", g.f.fed);
	snprintf(count, sizeof(count), "%d", NBULK);
	sp_ft_fed(&g.f, "up", "--nodes=KEMENPANRB,73,73.12");

	/* 73.12's log grows while it is down. */
	sp_ft_fed(&g.f, "kill", "73.12");
	free(simpul(0, (const char *const[]){"log", "append", "--data", store, "--key", key,
					     "--origin", "simpul.local/73.12", "--count", count,
					     "--text", "uji", NULL}));
	sp_ft_fed(&g.f, "start", "73.12");

	/* The province catches up; SIGKILL part-way. */
	uint64_t t0 = sp_ft_ms();
	long long seen = 0;
	while ((seen = entries("73", "73.12")) < 1 && sp_ft_ms() - t0 < SP_FT_WAIT_MS)
		usleep(5000);
	sp_ft_fed(&g.f, "kill", "73");
	printf("test_kill9: province killed holding %lld of %d entries\n", seen, NBULK);

	/* What it kept verifies whole, and is only part of the log. */
	char data[2 * PATH_MAX];
	snprintf(data, sizeof(data), "%s/nodes/73/data/store", g.f.fed);
	char *out = simpul(0, (const char *const[]){"log", "verify", "--data", data, "--origin",
						    "simpul.local/73.12", NULL});
	const char *n = strstr(out, "simpul.local/73.12: OK\n  entries ");
	if (n == NULL)
		fail_msg("no verified entries of 73.12 in:\n%s", out);
	long long kept = strtoll(n + strlen("simpul.local/73.12: OK\n  entries "), NULL, 10);
	printf("test_kill9: its store verifies: %lld entries of 73.12's log\n", kept);
	if (kept >= NBULK)
		fail_msg("the province had all %d entries before the kill:\n%s", NBULK, out);
	free(out);

	/* Catch-up resumes to the same tree as 73.12's. */
	sp_ft_fed(&g.f, "start", "73");
	if (!sp_ft_wait(caught_up, NULL))
		sp_ft_fail(&g.f, "no catch-up after the restart: %s", g.why);
	assert_true(sp_ft_held(&g.f, "73", "73.12") >= NBULK);
	sp_ft_fed(&g.f, "down", NULL);

	/* The index it kept through the kill is the one its logs give. */
	char bin[PATH_MAX], ini[2 * PATH_MAX], vout[2 * PATH_MAX];
	sp_h_bin(bin, sizeof(bin), "simpuld");
	snprintf(ini, sizeof(ini), "%s/nodes/73/simpuld.ini", g.f.fed);
	snprintf(vout, sizeof(vout), "%s/verify.out", g.f.dir);
	const char *argv[] = {bin, "--config", ini, "--index", "verify", NULL};
	int code = sp_h_run(argv, vout, 300000);
	char *v = sp_h_slurp(vout, NULL);
	if (code != 0 || v == NULL || strstr(v, "matches a rebuild") == NULL)
		fail_msg("index verify on the province: exit %d: %s", code, v ? v : "(no output)");
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

/*
 * test_web.c - the web pages in a real browser: starts a small local
 * federation of real simpuld processes (`simpul federation up`: the
 * coordinator KEMENPANRB, the province 73, Kabupaten Soppeng 73.12 and
 * Kabupaten Wajo 73.13, which holds neither 73.12's log nor any of its
 * reports), with an officer of 73.12 enrolled, and runs tests/web/web.test.mjs
 * (node + playwright-core driving Debian's /usr/bin/chromium, axe-core) on
 * it. The script does the browsing and asserting; this program provides the
 * federation and fails if the script does. 73.12 also holds an overdue,
 * escalated report (sp_ft_plant_old_report: filed 20 days ago at 73.11,
 * whose node does not run, and routed to 73.12, whose escalation timer
 * then writes the missed verify deadline), for Lacak's overdue marks. Nothing is skipped: a missing
 * chromium, node or npm package fails the test (tools/setup installs them).
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_fedtest.h"
#include "sp_keyfile.h"

#define BIG (2 * PATH_MAX)

#define DAY_MS (24ull * 3600 * 1000)

static struct {
	struct sp_h_fed f;
	char key[BIG];
	char overdue[65];
} g;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init_ports(&g.f, "web", sp_h_port_block());
	sp_ft_officer_named(&g.f, "73.12", 13, "Petugas Soppeng", g.key, sizeof(g.key));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_down(&g.f);
	return 0;
}

/* write_config gives the script the nodes' URLs and what it needs. */
static void write_config(const char *path, const char *const *nodes, size_t n)
{
	json_t *urls = json_object();
	for (size_t i = 0; i < n; i++) {
		char a[64], url[80];
		sp_h_fedup_addr(g.f.fed, nodes[i], a, sizeof(a));
		snprintf(url, sizeof(url), "http://%s", a);
		json_object_set_new(urls, nodes[i], json_string(url));
	}
	char simpul[BIG];
	sp_h_bin(simpul, sizeof(simpul), "simpul");
	json_t *c = json_pack("{s:o,s:s,s:s,s:s,s:s,s:s}", "nodes", urls, "officer_key", g.key,
			      "simpul", simpul, "out", SP_WEB_OUT, "fed", g.f.fed, "overdue_report",
			      g.overdue);
	assert_non_null(c);
	assert_int_equal(json_dump_file(c, path, JSON_INDENT(1)), 0);
	json_decref(c);
}

static void test_web(void **state)
{
	(void)state;
	const char *nodes[] = {"KEMENPANRB", "73", "73.12", "73.13"};
	char *out = NULL;
	if (sp_h_fedup(g.f.fed, g.f.dir, &out, "up", "--nodes=KEMENPANRB,73,73.12,73.13") != 0)
		fail_msg("federation up failed:\n%s", out ? out : "");
	free(out);
	sp_ft_plant_old_report(&g.f, "73.12", "73.11", "73.12.03", 20 * DAY_MS, g.overdue);
	char conf[BIG], log[BIG];
	snprintf(conf, sizeof(conf), "%s/web.json", g.f.dir);
	snprintf(log, sizeof(log), "%s/web.out", g.f.dir);
	write_config(conf, nodes, sizeof(nodes) / sizeof(nodes[0]));
	const char *argv[] = {"/usr/bin/env", "node", SP_SOURCE_DIR "/tests/web/web.test.mjs", conf,
			      NULL};
	int rc = sp_h_run(argv, log, 540000);
	char *o = sp_h_slurp(log, NULL);
	printf("%s", o ? o : "(no output)\n");
	free(o);
	if (rc != 0)
		fail_msg("the browser tests failed (exit %d); output above", rc);
	assert_int_equal(sp_h_fedup(g.f.fed, g.f.dir, NULL, "down", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_web),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

/*
 * test_dashboard.c - the coordinator's dashboard end to end: starts a local
 * federation of real simpuld processes (`simpul federation up`: the
 * coordinator KEMENPANRB, the ministry KEMENSOS, the province 73 and the
 * kabupaten 73.12 and 73.11, each with the officer `federation init`
 * enrolled) and runs tests/web/dashboard.test.mjs on it: the script does a
 * known workload at every tier (submits, verifications, forwards, bukan
 * wewenang, take-overs, answers, ratings, closings), keeps the true
 * figures itself, and checks /v1/dashboard, its CSV and the page
 * (playwright-core driving Debian's chromium) against them and against
 * `simpul audit` over the same federation. Screenshots go to build/web
 * (the current ones are copied to docs/screenshots by hand). Nothing is
 * skipped: a missing chromium, node or npm package fails the test
 * (tools/setup installs them).
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_fedtest.h"

#define BIG (2 * PATH_MAX)

static const char *const NODES[] = {"KEMENPANRB", "KEMENSOS", "73", "73.12", "73.11"};
#define N_NODES (sizeof(NODES) / sizeof(NODES[0]))

static struct sp_h_fed f;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init_ports(&f, "dashboard", sp_h_port_block());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fedup(f.fed, f.dir, NULL, "down", NULL);
	sp_h_fed_free(&f);
	return 0;
}

/* write_config gives the script the nodes' URLs and what it needs. */
static void write_config(const char *path)
{
	json_t *urls = json_object();
	for (size_t i = 0; i < N_NODES; i++) {
		char a[64], url[80];
		sp_h_fedup_addr(f.fed, NODES[i], a, sizeof(a));
		snprintf(url, sizeof(url), "http://%s", a);
		json_object_set_new(urls, NODES[i], json_string(url));
	}
	char simpul[BIG];
	sp_h_bin(simpul, sizeof(simpul), "simpul");
	json_t *c = json_pack("{s:o,s:s,s:s,s:s,s:s,s:s}", "nodes", urls, "simpul", simpul,
			      "out", SP_WEB_OUT, "fed", f.fed, "root", f.root_vkey, "scratch", f.dir);
	assert_non_null(c);
	assert_int_equal(json_dump_file(c, path, JSON_INDENT(1)), 0);
	json_decref(c);
}

static void test_dashboard(void **state)
{
	(void)state;
	char *out = NULL;
	if (sp_h_fedup(f.fed, f.dir, &out, "up", "--nodes=KEMENPANRB,KEMENSOS,73,73.12,73.11") != 0)
		fail_msg("federation up failed:\n%s", out ? out : "");
	free(out);
	char conf[BIG], log[BIG];
	snprintf(conf, sizeof(conf), "%s/dashboard.json", f.dir);
	snprintf(log, sizeof(log), "%s/dashboard.out", f.dir);
	write_config(conf);
	const char *argv[] = {"/usr/bin/env", "node", SP_SOURCE_DIR "/tests/web/dashboard.test.mjs",
			      conf, NULL};
	int rc = sp_h_run(argv, log, 540000);
	char *o = sp_h_slurp(log, NULL);
	printf("%s", o ? o : "(no output)\n");
	free(o);
	if (rc != 0)
		fail_msg("the dashboard tests failed (exit %d); output above", rc);
	assert_int_equal(sp_h_fedup(f.fed, f.dir, NULL, "down", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dashboard),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

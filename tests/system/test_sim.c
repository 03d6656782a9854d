/*
 * test_sim.c - simpul-sim (tools/sim) reproduces hand-computed cases on
 * the real topology of a generated federation (`simpul federation init
 * --subset 73`: the coordinator, 10 ministries and agencies, Sulawesi
 * Selatan and its 24 kabupaten/kota):
 * every cost 1 ms per message, 2 ms per entry, 10 ms per hop, one core.
 *
 * Eager chain, nodes 73, 73.11, 73.12, a report at 73.11 for 73.12:
 *   73.11 pushes ENTRIES to 73 (CPU 0-1, hop: arrives 11), then NOTES (1-2,
 *   arrives 12); 73 ingests 11-14 (message + entry: the province has it at
 *   14), reads the NOTES 14-15, pushes to 73.12 15-16 (arrives 26);
 *   73.12 ingests 26-29. Institution 29 ms, province 14 ms.
 * Lazy link, nodes KEMENPANRB and 73.12 (73.12's parent 73 is not running,
 *   so its session with the coordinator is lazy), a report at KEMENPANRB:
 *   NOTES 0-1 (arrives 11), 73.12 reads it 11-12, WANT 12-13 (arrives 23),
 *   the coordinator reads it 23-24, ENTRIES 24-25 (arrives 35), 73.12
 *   ingests 35-38. Institution 38 ms.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_node_harness.h"

#define BIG (2 * PATH_MAX)

static char dir[PATH_MAX], fed[BIG];

/* sim runs simpul-sim with the unit costs and `extra` arguments; returns
 * its output (the caller frees) after checking it exited 0. */
static char *sim(const char *nodes, const char *from, const char *to, const char *extra)
{
	char bin[BIG], out[BIG];
	sp_h_bin(bin, sizeof(bin), "simpul-sim");
	snprintf(out, sizeof(out), "%s/sim.out", dir);
	const char *argv[] = {bin, "--fed", fed, "--msg-us", "1000",
			      "--verify-us", "2000", "--hop-ms", "10", "--cores", "1", "--rate", "1",
			      "--duration", "1", "--nodes", nodes, "--from", from, "--to", to, extra,
			      NULL};
	int rc = sp_h_run(argv, out, 120000);
	char *o = sp_h_slurp(out, NULL);
	if (rc != 0)
		fail_msg("simpul-sim exited %d:\n%s", rc, o ? o : "");
	return o;
}

static void has(const char *out, const char *line)
{
	if (strstr(out, line) == NULL)
		fail_msg("no '%s' in:\n%s", line, out);
}

static void test_eager_chain(void **state)
{
	(void)state;
	char *o = sim("73,73.11,73.12", "73.11", "73.12", NULL);
	has(o, "2 sessions (2 eager, 0 lazy)");
	has(o, "(a) institution      n=1 p50 29.0 ms");
	has(o, "(b) its province     n=1 p50 14.0 ms");
	free(o);
}

static void test_lazy_link(void **state)
{
	(void)state;
	char *o = sim("KEMENPANRB,73.12", "KEMENPANRB", "73.12", NULL);
	has(o, "1 sessions (0 eager, 1 lazy)");
	has(o, "(a) institution      n=1 p50 38.0 ms");
	free(o);
}

/* Every node of the generated federation, with outages: it runs and says
 * what the national node does (a smoke test of the full report). */
static void test_outages(void **state)
{
	(void)state;
	char bin[BIG], out[BIG];
	sp_h_bin(bin, sizeof(bin), "simpul-sim");
	snprintf(out, sizeof(out), "%s/sim-all.out", dir);
	const char *argv[] = {bin, "--fed", fed, "--outages", "--duration", "600", NULL};
	assert_int_equal(sp_h_run(argv, out, 120000), 0);
	char *o = sp_h_slurp(out, NULL);
	has(o, "national node KEMENPANRB: 35 sessions");
	has(o, "catch-up: coordinator KEMENPANRB down 1 day");
	has(o, "while 73 is down, reports for other institutions:");
	free(o);
}

static void test_bad_node(void **state)
{
	(void)state;
	char bin[BIG], out[BIG];
	sp_h_bin(bin, sizeof(bin), "simpul-sim");
	snprintf(out, sizeof(out), "%s/sim-bad.out", dir);
	const char *argv[] = {bin, "--fed", fed, "--nodes", "73,99.99", NULL};
	assert_int_equal(sp_h_run(argv, out, 60000), 1);
	char *o = sp_h_slurp(out, NULL);
	has(o, "--nodes names 2 institutions, only 1 of them in the federation");
	free(o);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s", sp_test_tmpdir("sim"));
	snprintf(fed, sizeof(fed), "%s/fed", dir);
	char bin[BIG], out[BIG];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(out, sizeof(out), "%s/init.out", dir);
	const char *init[] = {bin, "federation", "init", "--wilayah", SP_WILAYAH, "--out", fed,
			      "--subset", "73", NULL};
	if (sp_h_run(init, out, 60000) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eager_chain),
		cmocka_unit_test(test_lazy_link),
		cmocka_unit_test(test_outages),
		cmocka_unit_test(test_bad_node),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

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
 *
 * Two disjoint paths (docs/replication.md §10.7), on the full federation
 * (563 nodes, generated from config/wilayah.csv): with every node down in
 * turn, a complaint from every other node reaches every institution, or
 * waits at a peer of the one down; without the ministries' backup
 * provinces (the topology before), 11,130 are lost with the national node
 * down, and the event run loses complaints entered at a ministry.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_node_harness.h"

#define BIG (2 * PATH_MAX)

static char dir[PATH_MAX], fed[BIG], fed_all[BIG];

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

/* run_all runs simpul-sim on the full federation with args; its output
 * (the caller frees) and exit code. */
static char *run_all(const char *const *args, int *code)
{
	char bin[BIG], out[BIG];
	const char *argv[16] = {bin, "--fed", fed_all};
	size_t n = 3;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	sp_h_bin(bin, sizeof(bin), "simpul-sim");
	snprintf(out, sizeof(out), "%s/sim-all-%d.out", dir, *code);
	*code = sp_h_run(argv, out, 300000);
	return sp_h_slurp(out, NULL);
}

static void test_every_down(void **state)
{
	(void)state;
	int code = 1;
	char *o = run_all((const char *const[]){"--every-down", NULL}, &code);
	printf("%s", o);
	assert_int_equal(code, 0);
	has(o, "sessions per node: coordinator 562-562; ministry 2-2; agency 2-2;");
	has(o, "  coordinator down (  1 runs): 315844 complaints, 315282 delivered, 562 waiting "
	       "for the node down (held by its peers), 0 lost");
	has(o, "every node down: 177820172 complaints, 177503766 delivered, 316406 waiting, 0 lost");
	free(o);
	code = 2;
	o = run_all((const char *const[]){"--every-down", "--no-backup", NULL}, &code);
	assert_int_equal(code, 3);
	has(o, "lost: entered at KEMENDAGRI for 11.01 while KEMENPANRB is down");
	has(o, "  coordinator down (  1 runs): 315844 complaints, 304152 delivered, 562 waiting "
	       "for the node down (held by its peers), 11130 lost");
	has(o, "  province    down ( 38 runs): 12002072 complaints, 11980716 delivered");
	free(o);
}

/* The event run agrees: with the national node down every complaint of an
 * hour's peak arrives; without the backup provinces, those entered at a
 * ministry or agency do not. */
static void test_national_down(void **state)
{
	(void)state;
	int code = 3;
	char *o = run_all((const char *const[]){"--down", "KEMENPANRB", NULL}, &code);
	assert_int_equal(code, 0);
	has(o, "(a) institution      n=834 ");
	has(o, "(never: 0)");
	free(o);
	code = 4;
	o = run_all((const char *const[]){"--down", "KEMENPANRB", "--no-backup", NULL}, &code);
	assert_int_equal(code, 0);
	if (strstr(o, "(a) institution      n=834 ") != NULL)
		fail_msg("without backup provinces every complaint arrived:\n%s", o);
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
	snprintf(fed_all, sizeof(fed_all), "%s/fed-all", dir);
	snprintf(out, sizeof(out), "%s/init-all.out", dir);
	const char *init_all[] = {bin, "federation", "init", "--wilayah", SP_WILAYAH, "--out",
				  fed_all, NULL};
	if (sp_h_run(init_all, out, 300000) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eager_chain),
		cmocka_unit_test(test_lazy_link),
		cmocka_unit_test(test_outages),
		cmocka_unit_test(test_every_down),
		cmocka_unit_test(test_national_down),
		cmocka_unit_test(test_bad_node),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_outage.c - outages of a kabupaten node and of its province node,
 * real simpuld processes on 127.0.0.1 (`simpul federation up|kill|start`):
 * KEMENPANRB, KEMENPU, 73, 73.11, 73.12, 73.13.
 *
 * 1. A complaint for 73.12 comes in at 73.11 and 73.12's officer verifies
 *    it: the trail now holds an entry of 73.12's log.
 * 2. 73.12 is killed (SIGKILL). Complaints routed to it are submitted at
 *    every other node (a ministry's and the coordinator's too) and wait in
 *    the replicas: the province and the national node show them, held by
 *    73.12, and every node holding their entries agrees. The first
 *    report's trail, and 73.12's log itself (checkpoint and entry tiles),
 *    stay readable from the replicas.
 * 3. 73.12 starts again and receives them all, in order: its copy of every
 *    log ends up with the same checkpoint body (size and root) as the log's
 *    own node serves, and it computes the same state of every report.
 * 4. The province node is killed: a new complaint at 73.11 still reaches
 *    73.12 through the national node (the links every kabupaten keeps to
 *    it), 73.12's verification reaches 73.11 the same way.
 * 5. The province comes back and catches up: every node that holds a log
 *    serves the same checkpoint of it, and the province shows every report
 *    of its subtree as the others do.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_fedtest.h"

#define NNODES 6
#define NLATE 6

static const char *const all[NNODES] = {"KEMENPANRB", "KEMENPU", "73", "73.11", "73.12", "73.13"};
static const char *const doors[] = {"73.11", "73.13", "73", "KEMENPU", "KEMENPANRB"};

static struct {
	struct sp_h_fed f;
	char key[2 * PATH_MAX];
	char ids[NLATE + 2][65]; /* [0] before the outage, [1..NLATE] during, last without 73 */
	const char *door[NLATE + 2];
	char why[16384];
	const char *const *extra; /* nodes that must hold the reports waited for */
	size_t nextra, from, to;
	const char *want;
} g;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init_ports(&g.f, "outage", sp_h_port_block());
	sp_ft_officer(&g.f, "73.12", 12, g.key, sizeof(g.key));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_down(&g.f);
	return 0;
}

/* submit files complaint k for 73.12 at node door. */
static void submit(size_t k, const char *door, const char *region)
{
	g.door[k] = door;
	sp_ft_submit(&g.f, door, "jalan", region, "73.12", g.ids[k]);
}

/* views_agree: reports [from, to) have the same view at the nodes of
 * g.extra, at the node each came in by, and at every node that holds all
 * their entries. */
static int views_agree(void *arg)
{
	(void)arg;
	for (size_t k = g.from; k < g.to; k++) {
		const char *must[8];
		size_t n = 0;
		for (size_t i = 0; i < g.nextra; i++)
			must[n++] = g.extra[i];
		must[n++] = g.door[k];
		if (!sp_ft_agree(&g.f, g.ids[k], must, n, all, NNODES, g.want, g.why, sizeof(g.why)))
			return 0;
	}
	return 1;
}

/* agree waits until reports [from, to) agree (views_agree) with
 * extra[0..n) among the nodes that must hold them, extra[0] showing want
 * (NULL: any). */
static void agree(const char *const *extra, size_t n, size_t from, size_t to, const char *want)
{
	g.extra = extra;
	g.nextra = n;
	g.from = from;
	g.to = to;
	g.want = want;
	if (!sp_ft_wait(views_agree, NULL))
		sp_ft_fail(&g.f, "the nodes do not agree: %s", g.why);
}

static int logs_agree(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < NNODES; i++)
		if (!sp_ft_same_log(&g.f, all[i], g.extra, g.nextra, all, NNODES, g.why,
				    sizeof(g.why)))
			return 0;
	return 1;
}

/* same_logs waits until every node that holds a log serves the same
 * checkpoint body of it as its own node, and the nodes extra[0..n) hold
 * every log. */
static void same_logs(const char *const *extra, size_t n)
{
	g.extra = extra;
	g.nextra = n;
	if (!sp_ft_wait(logs_agree, NULL))
		sp_ft_fail(&g.f, "logs differ: %s", g.why);
}

/* readable: node serves entry bundle 0 of 73.12's log, `size` entries. */
static void readable(const char *node, unsigned long long size)
{
	char a[64], path[64];
	struct sp_h_resp r;
	sp_h_fedup_addr(g.f.fed, node, a, sizeof(a));
	snprintf(path, sizeof(path), "/logs/73.12/tile/entries/000.p/%llu", size);
	assert_int_equal(sp_h_http(a, "GET", path, NULL, NULL, 0, &r), 0);
	if (r.status != 200)
		fail_msg("%s: GET %s: %d", node, path, r.status);
	sp_h_resp_free(&r);
}

#define L(...) ((const char *const[]){__VA_ARGS__})

static void test_outage(void **state)
{
	(void)state;
	sp_ft_fed(&g.f, "up", "--nodes=KEMENPANRB,KEMENPU,73,73.11,73.12,73.13");

	/* 1. A report with a step in 73.12's own log. */
	submit(0, "73.11", "73.12.03");
	agree(L("73.12"), 1, 0, 1, "diterima");
	sp_ft_act(&g.f, "73.12", g.key, g.ids[0], "verifikasi");
	agree(L("73.12", "73", "KEMENPANRB"), 3, 0, 1, "diverifikasi");
	same_logs(L("KEMENPANRB"), 1);
	unsigned long long size12 = sp_ft_held(&g.f, "73", "73.12");
	assert_true(size12 >= 1);

	/* 2. 73.12 is out; complaints for it wait in the replicas: the
	 * province's and the national node's, whatever the door. */
	sp_ft_fed(&g.f, "kill", "73.12");
	for (size_t k = 1; k <= NLATE; k++)
		submit(k, doors[(k - 1) % 5], "73.12.01");
	agree(L("73", "KEMENPANRB"), 2, 1, NLATE + 1, "diterima");
	agree(L("73", "KEMENPANRB"), 2, 0, 1, "diverifikasi"); /* the trail, from replicas */
	char *cp73 = sp_ft_cp_body(&g.f, "73", "73.12");
	char *cpn = sp_ft_cp_body(&g.f, "KEMENPANRB", "73.12");
	assert_non_null(cp73);
	assert_non_null(cpn);
	assert_string_equal(cp73, cpn);
	assert_int_equal(sp_ft_held(&g.f, "73", "73.12"), size12);
	free(cp73);
	free(cpn);
	readable("73", size12);
	readable("KEMENPANRB", size12);

	/* 3. Back: it receives everything, in order (its copy of each log has
	 * the checkpoint body of the log's own node), and agrees. */
	sp_ft_fed(&g.f, "start", "73.12");
	same_logs(L("73.12", "KEMENPANRB"), 2);
	agree(L("73.12", "KEMENPANRB"), 2, 1, NLATE + 1, "diterima");
	agree(L("73.12", "73", "KEMENPANRB"), 3, 0, 1, "diverifikasi");

	/* 4. The province is out: 73.12 and 73.11 exchange through KEMENPANRB. */
	sp_ft_fed(&g.f, "kill", "73");
	submit(NLATE + 1, "73.11", "73.12.02");
	agree(L("73.12"), 1, NLATE + 1, NLATE + 2, "diterima");
	sp_ft_act(&g.f, "73.12", g.key, g.ids[NLATE + 1], "verifikasi");
	agree(L("73.12", "KEMENPANRB"), 2, NLATE + 1, NLATE + 2, "diverifikasi");

	/* 5. The province is back and catches up. */
	sp_ft_fed(&g.f, "start", "73");
	same_logs(L("KEMENPANRB"), 1);
	agree(L("73", "KEMENPANRB"), 2, 0, NLATE + 1, NULL);
	agree(L("73", "KEMENPANRB"), 2, NLATE + 1, NLATE + 2, "diverifikasi");
	sp_ft_fed(&g.f, "down", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outage),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

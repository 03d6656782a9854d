/*
 * test_outage.c - outages of a kabupaten node and of its province node,
 * real simpuld processes on 127.0.0.1 (`simpul federation up|kill|start`):
 * KEMENPANRB, KEMENPU, 73, 73.11, 73.12, 73.13.
 *
 * 1. A complaint for 73.12 comes in at 73.11 and 73.12's officer verifies
 *    it: the trail now holds an entry of 73.12's log.
 * 2. 73.12 is killed (SIGKILL). Complaints routed to it are submitted at
 *    every other node and wait in the replicas: the province and the
 *    national node show them, held by 73.12, and all up nodes agree. The
 *    first report's trail, and 73.12's log itself (checkpoint and entry
 *    tiles), stay readable from the replicas.
 * 3. 73.12 starts again and receives them all, in order: its copy of every
 *    other log ends up with the same checkpoint body (size and root) as the
 *    province's, and every node computes the same state of every report.
 * 4. The province node is killed: a new complaint at 73.11 still reaches
 *    73.12 through the national node (the links every kabupaten keeps to
 *    it), 73.12's verification reaches 73.11 the same way.
 * 5. The province comes back and catches up: every node holds the same
 *    checkpoint of every log and the same state of every report.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_fedtest.h"

#define NNODES 6
#define NLATE 6

static const char *const all[NNODES] = {"KEMENPANRB", "KEMENPU", "73", "73.11", "73.12", "73.13"};
static const char *const without_kab[] = {"73", "KEMENPANRB", "KEMENPU", "73.11", "73.13"};
static const char *const without_prov[] = {"73.12", "KEMENPANRB", "KEMENPU", "73.11", "73.13"};
static const char *const doors[] = {"73.11", "73.13", "KEMENPU", "73", "KEMENPANRB"};

static struct {
	struct sp_h_fed f;
	char key[2 * PATH_MAX];
	char ids[NLATE + 2][65]; /* [0] before the outage, [1..NLATE] during, last without 73 */
	char why[16384];
	const char *const *nodes; /* for the waits below */
	size_t nn, from, nids;
	const char *want;
} g;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init_ports(&g.f, "outage", sp_ft_port_base(12000, 20));
	sp_ft_officer(&g.f, "73.12", 12, g.key, sizeof(g.key));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fedup(g.f.fed, g.f.dir, NULL, "down", NULL);
	sp_h_fed_free(&g.f);
	return 0;
}

static int views_agree(void *arg)
{
	(void)arg;
	return sp_ft_same_views(&g.f, g.nodes, g.nn, g.ids + g.from, g.nids, g.want, g.why,
				sizeof(g.why));
}

/* agree waits until nodes[0..n) agree on reports ids[from..to), and
 * nodes[0] shows them as want (NULL: any). */
static void agree(const char *const *nodes, size_t n, size_t from, size_t to, const char *want)
{
	g.nodes = nodes;
	g.nn = n;
	g.want = want;
	g.from = from;
	g.nids = to - from;
	if (!sp_ft_wait(views_agree, NULL))
		sp_ft_fail(&g.f, "the nodes do not agree: %s", g.why);
}

static int logs_agree(void *arg)
{
	(void)arg;
	return sp_ft_same_logs(&g.f, g.nodes, g.nn, all, NNODES, g.why, sizeof(g.why));
}

/* same_logs waits until nodes[0..n) serve the same checkpoint body of
 * every node's log. */
static void same_logs(const char *const *nodes, size_t n)
{
	g.nodes = nodes;
	g.nn = n;
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

static void test_outage(void **state)
{
	(void)state;
	sp_ft_fed(&g.f, "up", "--nodes=KEMENPANRB,KEMENPU,73,73.11,73.12,73.13");

	/* 1. A report with a step in 73.12's own log. */
	sp_ft_submit(&g.f, "73.11", "jalan", "73.12.03", "73.12", g.ids[0]);
	agree((const char *const[]){"73.12"}, 1, 0, 1, "diterima");
	sp_ft_act(&g.f, "73.12", g.key, g.ids[0], "verifikasi");
	agree(all, NNODES, 0, 1, "diverifikasi");
	same_logs(all, NNODES);
	unsigned long long size12 = sp_ft_held(&g.f, "73", "73.12");
	assert_true(size12 >= 1);

	/* 2. 73.12 is out; complaints for it wait in the replicas. */
	sp_ft_fed(&g.f, "kill", "73.12");
	for (size_t k = 1; k <= NLATE; k++)
		sp_ft_submit(&g.f, doors[k % 5], "jalan", "73.12.01", "73.12", g.ids[k]);
	agree(without_kab, 5, 1, NLATE + 1, "diterima");
	agree(without_kab, 5, 0, 1, "diverifikasi"); /* the trail, from replicas */
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

	/* 3. Back: it receives everything, in order, and agrees. */
	sp_ft_fed(&g.f, "start", "73.12");
	same_logs((const char *const[]){"73", "73.12", "KEMENPANRB"}, 3);
	agree(all, NNODES, 1, NLATE + 1, "diterima");
	agree(all, NNODES, 0, 1, "diverifikasi");

	/* 4. The province is out: 73.12 and 73.11 exchange through KEMENPANRB. */
	sp_ft_fed(&g.f, "kill", "73");
	sp_ft_submit(&g.f, "73.11", "jalan", "73.12.02", "73.12", g.ids[NLATE + 1]);
	agree((const char *const[]){"73.12"}, 1, NLATE + 1, NLATE + 2, "diterima");
	sp_ft_act(&g.f, "73.12", g.key, g.ids[NLATE + 1], "verifikasi");
	agree(without_prov, 5, NLATE + 1, NLATE + 2, "diverifikasi");

	/* 5. The province is back and catches up. */
	sp_ft_fed(&g.f, "start", "73");
	same_logs(all, NNODES);
	agree(all, NNODES, 0, NLATE + 2, NULL);
	sp_ft_fed(&g.f, "down", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_converge.c - convergence of a 20-node federation, real simpuld
 * processes on 127.0.0.1 (`simpul federation up`): the coordinator
 * (KEMENPANRB), a ministry (KEMENPU), the province 73 and 17 of its
 * kabupaten/kota (73.01 ... 73.17).
 *
 * Complaints are submitted at random nodes (the seed is printed), about
 * random kabupaten and some about national roads (routed to KEMENPU).
 * Each must reach the institution it is routed to; that institution's
 * officer verifies every other one at its own node. Then the institution,
 * the node it came in by, the coordinator, the province (for complaints
 * entered or routed inside the province), and every
 * other node that holds all of a report's entries (interest sets, DESIGN
 * 4: a sibling kabupaten that took no part holds none), compute the same
 * state of it (GET /v1/reports/{id}: status, holders, history, trail, all
 * but the running clock of the open span); every node that holds a log
 * (the coordinator every log, the province those of its subtree) serves
 * the same checkpoint body of it as the log's own node.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp_fedtest.h"

#define NKAB 17
#define NNODES (NKAB + 3)
#define NREPORTS 24

static struct {
	struct sp_h_fed f;
	char ids[NREPORTS][65];
	char routed[NREPORTS][16];
	const char *door[NREPORTS];
	char names[NNODES][16];
	const char *nodes[NNODES];
	char keys[NNODES][2 * PATH_MAX];
} g;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init_ports(&g.f, "converge", sp_ft_port_base(10000, 20));
	snprintf(g.names[0], sizeof(g.names[0]), "KEMENPANRB");
	snprintf(g.names[1], sizeof(g.names[1]), "KEMENPU");
	snprintf(g.names[2], sizeof(g.names[2]), "73");
	for (int i = 0; i < NKAB; i++)
		snprintf(g.names[3 + i], sizeof(g.names[0]), "73.%02d", i + 1);
	for (int i = 0; i < NNODES; i++) {
		g.nodes[i] = g.names[i];
		if (i != 0 && i != 2)
			sp_ft_officer(&g.f, g.names[i], (unsigned char)(40 + i), g.keys[i],
				      sizeof(g.keys[i]));
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fedup(g.f.fed, g.f.dir, NULL, "down", NULL);
	sp_h_fed_free(&g.f);
	return 0;
}

/* node_of: the index of institution id among the nodes. */
static int node_of(const char *id)
{
	for (int i = 0; i < NNODES; i++)
		if (strcmp(g.names[i], id) == 0)
			return i;
	fail_msg("%s runs no node", id);
	return -1;
}

/* struct at: report k shows `status` at its institution's node. */
struct at {
	int k;
	const char *status;
};

static int shows(void *arg)
{
	const struct at *a = arg;
	char st[32];
	sp_ft_status(&g.f, g.routed[a->k], g.ids[a->k], st, sizeof(st));
	return strcmp(st, a->status) == 0;
}

static void wait_shows(int k, const char *status)
{
	struct at a = {k, status};
	if (!sp_ft_wait(shows, &a))
		sp_ft_fail(&g.f, "%s does not show report %s as %s", g.routed[k], g.ids[k], status);
}

static char why[16384];

/* views_agree: every report is seen the same way by its institution, the
 * node it came in by, the coordinator, the province (when it came in or is
 * routed inside the province), and by every other node that holds all of
 * its entries. */
static int views_agree(void *arg)
{
	(void)arg;
	for (int k = 0; k < NREPORTS; k++) {
		/* The province holds what came in inside it or is routed there. */
		const char *must[] = {g.routed[k], g.door[k], "KEMENPANRB", "73"};
		size_t n = strncmp(g.door[k], "73", 2) == 0 || strncmp(g.routed[k], "73", 2) == 0
				   ? 4
				   : 3;
		if (!sp_ft_agree(&g.f, g.ids[k], must, n, g.nodes, NNODES, NULL, why, sizeof(why)))
			return 0;
	}
	return 1;
}

/* logs_agree: every node's log has the same checkpoint at the coordinator,
 * at the province (for its subtree) and at every node that holds it. */
static int logs_agree(void *arg)
{
	(void)arg;
	const char *must[] = {"KEMENPANRB", "73"};
	for (int i = 0; i < NNODES; i++)
		if (!sp_ft_same_log(&g.f, g.names[i], must, strncmp(g.names[i], "73", 2) == 0 ? 2 : 1,
				    g.nodes, NNODES, why, sizeof(why)))
			return 0;
	return 1;
}

static void test_converge(void **state)
{
	(void)state;
	char list[NNODES * 16] = "--nodes=";
	for (int i = 0; i < NNODES; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "",
			 g.names[i]);
	uint64_t t0 = sp_ft_ms();
	sp_ft_fed(&g.f, "up", list);
	uint64_t t_up = sp_ft_ms();

	const char *env = getenv("SP_SEED"); /* to replay a run */
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
	printf("test_converge: %d nodes, seed %u\n", NNODES, seed);
	srand(seed);
	for (int k = 0; k < NREPORTS; k++) {
		const char *door = g.door[k] = g.names[rand() % NNODES];
		char region[16];
		snprintf(region, sizeof(region), "73.%02d.01", 1 + rand() % NKAB);
		int national = k % 6 == 5; /* a national road: the ministry's */
		snprintf(g.routed[k], sizeof(g.routed[k]), "%.5s", region);
		if (national)
			snprintf(g.routed[k], sizeof(g.routed[k]), "KEMENPU");
		sp_ft_submit(&g.f, door, national ? "jalan-nasional" : "jalan", region, g.routed[k],
			     g.ids[k]);
	}
	uint64_t t_sub = sp_ft_ms();

	/* Each reaches its institution, whose officer verifies every other one there. */
	for (int k = 0; k < NREPORTS; k++)
		wait_shows(k, "diterima");
	uint64_t t_arr = sp_ft_ms();
	for (int k = 0; k < NREPORTS; k += 2)
		sp_ft_act(&g.f, g.routed[k], g.keys[node_of(g.routed[k])], g.ids[k], "verifikasi");

	/* Every node that holds a report's entries computes the same state of it. */
	if (!sp_ft_wait(views_agree, NULL))
		sp_ft_fail(&g.f, "the nodes do not agree: %s", why);
	for (int k = 0; k < NREPORTS; k++) {
		char st[32];
		sp_ft_status(&g.f, "KEMENPANRB", g.ids[k], st, sizeof(st));
		assert_string_equal(st, k % 2 == 0 ? "diverifikasi" : "diterima");
	}
	uint64_t t_views = sp_ft_ms();
	/* ... and the same checkpoint of every node's log. */
	if (!sp_ft_wait(logs_agree, NULL))
		sp_ft_fail(&g.f, "the nodes' logs differ: %s", why);
	printf("test_converge: up %.1f s, %d submits %.1f s, arrived %.1f s later, "
	       "all agree %.1f s after the acts, logs %.1f s\n",
	       (double)(t_up - t0) / 1e3, NREPORTS, (double)(t_sub - t_up) / 1e3,
	       (double)(t_arr - t_sub) / 1e3, (double)(t_views - t_arr) / 1e3,
	       (double)(sp_ft_ms() - t_views) / 1e3);
	sp_ft_fed(&g.f, "down", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converge),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

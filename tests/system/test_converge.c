/*
 * test_converge.c - convergence of a 20-node federation of two provinces,
 * real simpuld processes on 127.0.0.1 (`simpul federation up`): the
 * coordinator (KEMENPANRB), a ministry (KEMENPU), the provinces 73 and 74,
 * 14 kabupaten/kota of 73 (73.01 ... 73.14) and two of 74 (74.01, 74.02).
 * Last, with the national node killed, a complaint entered in 73 for 74.01
 * still reaches it over the provinces' own link ([peer] siblings).
 *
 * Complaints are submitted at random nodes (the seed is printed; SP_SEED
 * replays it), about random kabupaten of either province and some about
 * national roads (routed to KEMENPU), so many enter in the other province
 * or at a ministry. Each must reach the institution it is routed to; that
 * institution's officer verifies every other one at its own node. Then the
 * institution, the node it came in by, the coordinator, the institution's
 * province (the door's for a ministry's complaint), and every other node that holds all of a report's entries
 * (interest sets, docs/design.md §4: a sibling kabupaten that took no part holds
 * none), compute the same state of it (GET /v1/reports/{id}: status,
 * holders, history, trail, all but what runs on the node's clock); every
 * node that holds a log (the coordinator every log, a province those of
 * its subtree) serves the same checkpoint body of it as the log's own node.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp_fedtest.h"

#define NKAB73 14 /* 73.01 ... 73.14 */
#define NKAB74 2  /* 74.01, 74.02 */
#define NKAB (NKAB73 + NKAB74)
#define NNODES (NKAB + 4)
#define NREPORTS 24

static struct {
	struct sp_h_fed f;
	char ids[NREPORTS][65];
	char routed[NREPORTS][16];
	const char *door[NREPORTS];
	char names[NNODES][16]; /* KEMENPANRB, KEMENPU, 73, 74, then the kabupaten */
	char late[65]; /* submitted while the national node is down */
	const char *nodes[NNODES];
	char keys[NNODES][2 * PATH_MAX];
} g;

/* fed_init generates a federation of provinces 73 and 74 (54 institutions:
 * ports base .. base + 107, within the block sp_h_port_block gives). */
static void fed_init(void)
{
	char port[16];
	snprintf(g.f.dir, sizeof(g.f.dir), "%s", sp_test_tmpdir("converge"));
	snprintf(g.f.fed, sizeof(g.f.fed), "%s/fed", g.f.dir);
	snprintf(port, sizeof(port), "%u", sp_h_port_block());
	free(sp_h_simpul(g.f.dir, 0,
			 (const char *const[]){"federation", "init", "--wilayah", SP_WILAYAH, "--out",
					       g.f.fed, "--subset", "73", "--subset", "74",
					       "--port-base", port, NULL}));
}

static int setup(void **state)
{
	(void)state;
	fed_init();
	const char *fixed[] = {"KEMENPANRB", "KEMENPU", "73", "74"};
	for (int i = 0; i < 4; i++)
		snprintf(g.names[i], sizeof(g.names[i]), "%s", fixed[i]);
	for (int i = 0; i < NKAB; i++)
		snprintf(g.names[4 + i], sizeof(g.names[0]), "%d.%02d", i < NKAB73 ? 73 : 74,
			 i < NKAB73 ? i + 1 : i - NKAB73 + 1);
	for (int i = 0; i < NNODES; i++) {
		g.nodes[i] = g.names[i];
		if (i == 1 || i >= 4)
			sp_ft_officer(&g.f, g.names[i], (unsigned char)(40 + i), g.keys[i],
				      sizeof(g.keys[i]));
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_down(&g.f);
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

/* province: the province of region or institution id ("73"), or NULL
 * for a ministry or the coordinator. */
static const char *province(const char *id)
{
	return strncmp(id, "73", 2) == 0 ? "73" : strncmp(id, "74", 2) == 0 ? "74" : NULL;
}

/* views_agree: every report is seen the same way by its institution, the
 * node it came in by, the coordinator, the institution's province (a
 * complaint entered in 74 for 73.05 reaches 73), else the door's, and by
 * every other node that holds all of its entries (the door's province
 * holds the submission but follows the report only when it takes part). */
static int views_agree(void *arg)
{
	(void)arg;
	for (int k = 0; k < NREPORTS; k++) {
		const char *must[5] = {g.routed[k], g.door[k], "KEMENPANRB"};
		size_t n = 3;
		if (province(g.routed[k]))
			must[n++] = province(g.routed[k]);
		else if (province(g.door[k]))
			must[n++] = province(g.door[k]);
		if (!sp_ft_agree(&g.f, g.ids[k], must, n, g.nodes, NNODES, NULL, why, sizeof(why)))
			return 0;
	}
	return 1;
}

/* logs_agree: every node's log has the same checkpoint at the coordinator,
 * at its province and at every node that holds it. */
static int logs_agree(void *arg)
{
	(void)arg;
	for (int i = 0; i < NNODES; i++) {
		const char *must[] = {"KEMENPANRB", province(g.names[i])};
		if (!sp_ft_same_log(&g.f, g.names[i], must, must[1] ? 2 : 1, g.nodes, NNODES, why,
				    sizeof(why)))
			return 0;
	}
	return 1;
}

/* late_arrived: 74.01 holds the complaint submitted while the national
 * node was down. */
static int late_arrived(void *arg)
{
	(void)arg;
	char path[96];
	snprintf(path, sizeof(path), "/v1/reports/%s", g.late);
	json_t *j = sp_ft_get(&g.f, "74.01", path);
	json_decref(j);
	return j != NULL;
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
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 10)
			    : (unsigned)time(NULL) ^ (unsigned)getpid();
	printf("test_converge: %d nodes, seed %u\n", NNODES, seed);
	srand(seed);
	for (int k = 0; k < NREPORTS; k++) {
		const char *door = g.door[k] = g.names[rand() % NNODES];
		char region[24];
		snprintf(region, sizeof(region), "%s.01", g.names[4 + rand() % NKAB]);
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

	/* The national node is down: a complaint entered in province 73 for
	 * 74.01 still arrives, over the provinces' own link ([peer] siblings). */
	sp_ft_fed(&g.f, "kill", "KEMENPANRB");
	sp_ft_submit(&g.f, "73.03", "jalan", "74.01.01", "74.01", g.late);
	if (!sp_ft_wait(late_arrived, NULL))
		sp_ft_fail(&g.f, "with the national node down, a complaint from 73.03 did not "
				 "reach 74.01");
	sp_ft_fed(&g.f, "down", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converge),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

/*
 * test_partition.c - a network partition and its heal, real simpuld
 * processes on 127.0.0.1 (`simpul federation up|down|start`) and a real
 * cut: KEMENPANRB, KEMENPU | 73, 73.11, 73.12, 73.13.
 *
 * The province's side dials the national coordinator through a TCP proxy
 * of the test (sp_proxy.h: their configs name the proxy's port instead of
 * KEMENPANRB's); the ministry dials it directly, and not its backup province
 * 73 (`[peer] backup = 0`: that link would cross the cut; replication.md
 * §10.7 and test_two_paths cover it). While the proxy is cut it
 * drops every connection and refuses new ones, so the two sides cannot
 * exchange anything, and both keep taking complaints:
 *
 * - before: a complaint at 73.11 for a national road reaches KEMENPU
 *   across the proxy (the nodes really dial through it);
 * - cut: complaints at 73.11 (for 73.12 and for KEMENPU) and at KEMENPU and
 *   KEMENPANRB (for 73.12 and 73.13); each side converges on its own (73.12
 *   verifies its complaint, 73.11 sees it) and nothing crosses: the other
 *   side has no view of those reports;
 * - heal: every node serves the same checkpoint body of every log and
 *   computes the same state of every report; a complaint that waited at
 *   the national node is then verified by 73.12 and that reaches all.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_fedtest.h"
#include "sp_files.h"
#include "sp_proxy.h"

#define NNODES 6
#define NREP 5

static const char *const all[NNODES] = {"KEMENPANRB", "KEMENPU", "73", "73.11", "73.12", "73.13"};
static const char *const prov_side[] = {"73", "73.11", "73.12", "73.13"};
static const char *const nat_side[] = {"KEMENPANRB", "KEMENPU"};

static struct {
	struct sp_h_fed f;
	struct sp_proxy *px;
	char key12[2 * PATH_MAX];
	char ids[NREP][65];
	char why[16384];
	const char *const *must;
	size_t nmust, k;
	const char *want;
} g;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init_ports(&g.f, "partition", sp_h_port_block());
	sp_ft_officer(&g.f, "73.12", 12, g.key12, sizeof(g.key12));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fedup(g.f.fed, g.f.dir, NULL, "down", NULL);
	sp_proxy_free(g.px);
	sp_h_fed_free(&g.f);
	return 0;
}

static int view_agrees(void *arg)
{
	(void)arg;
	return sp_ft_agree(&g.f, g.ids[g.k], g.must, g.nmust, all, NNODES, g.want, g.why,
			   sizeof(g.why));
}

/* agree waits until report k has the same view at must[0..n) (which must
 * have one; must[0] showing want, NULL: any) and every node that holds all
 * of its entries. */
static void agree(const char *const *must, size_t n, size_t k, const char *want)
{
	g.must = must;
	g.nmust = n;
	g.k = k;
	g.want = want;
	if (!sp_ft_wait(view_agrees, NULL))
		sp_ft_fail(&g.f, "the nodes do not agree: %s", g.why);
}

static int logs_agree(void *arg)
{
	(void)arg;
	const char *must[] = {"KEMENPANRB"};
	for (size_t i = 0; i < NNODES; i++)
		if (!sp_ft_same_log(&g.f, all[i], must, 1, all, NNODES, g.why, sizeof(g.why)))
			return 0;
	return 1;
}

/* unseen: node has no view of report k. */
static void unseen(const char *node, size_t k)
{
	char *v = sp_ft_view(&g.f, node, g.ids[k]);
	if (v)
		sp_ft_fail(&g.f, "the partition leaked: %s shows %s", node, v);
}

/* no_backup turns off KEMENPU's link to its backup province, which would
 * cross the cut. */
static void no_backup(void)
{
	char path[2 * PATH_MAX];
	snprintf(path, sizeof(path), "%s/nodes/KEMENPU/simpuld.ini", g.f.fed);
	char *ini = sp_h_slurp(path, NULL);
	assert_non_null(ini);
	char *at = strstr(ini, "[peer]\n");
	assert_non_null(at);
	char out[8192];
	at += strlen("[peer]\n");
	int n = snprintf(out, sizeof(out), "%.*sbackup = 0\n%s", (int)(at - ini), ini, at);
	assert_true(n > 0 && (size_t)n < sizeof(out));
	assert_int_equal(sp_file_replace(path, out, (size_t)n), 0);
	free(ini);
}

/* coordinator_port: KEMENPANRB's peer port from federation.ini. */
static unsigned coordinator_port(void)
{
	char path[2 * PATH_MAX];
	snprintf(path, sizeof(path), "%s/federation.ini", g.f.fed);
	char *ini = sp_h_slurp(path, NULL);
	assert_non_null(ini);
	const char *sec = strstr(ini, "[institution KEMENPANRB]");
	assert_non_null(sec);
	const char *peer = strstr(sec, "\npeer = tcp://127.0.0.1:");
	assert_non_null(peer);
	unsigned port = (unsigned)strtoul(peer + strlen("\npeer = tcp://127.0.0.1:"), NULL, 10);
	free(ini);
	return port;
}

/* via_proxy rewrites node id's config to dial KEMENPANRB (port) through
 * the proxy. */
static void via_proxy(const char *id, unsigned port)
{
	char path[2 * PATH_MAX], from[64], to[64];
	snprintf(path, sizeof(path), "%s/nodes/%s/simpuld.ini", g.f.fed, id);
	snprintf(from, sizeof(from), "tcp://127.0.0.1:%u\n", port);
	snprintf(to, sizeof(to), "tcp://127.0.0.1:%u\n", sp_proxy_port(g.px));
	char *ini = sp_h_slurp(path, NULL);
	assert_non_null(ini);
	char *at = strstr(ini, from); /* the last peer of the `peers =` line */
	if (at == NULL)
		fail_msg("%s does not dial %s", path, from);
	char out[8192];
	int n = snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - ini), ini, to, at + strlen(from));
	assert_true(n > 0 && (size_t)n < sizeof(out));
	assert_int_equal(sp_file_replace(path, out, (size_t)n), 0);
	free(ini);
}

#define L(...) ((const char *const[]){__VA_ARGS__})

static void test_partition(void **state)
{
	(void)state;
	sp_ft_fed(&g.f, "up", "--nodes=KEMENPANRB,KEMENPU,73,73.11,73.12,73.13");
	sp_ft_fed(&g.f, "down", NULL);
	unsigned port = coordinator_port();
	assert_int_equal(sp_proxy_start(port, &g.px), 0);
	for (size_t i = 0; i < 4; i++)
		via_proxy(prov_side[i], port);
	no_backup();
	for (size_t i = 0; i < NNODES; i++)
		sp_ft_fed(&g.f, "start", all[i]);

	/* Before: across the proxy. */
	sp_ft_submit(&g.f, "73.11", "jalan-nasional", "73.11.01", "KEMENPU", g.ids[0]);
	agree(L("KEMENPU", "73.11", "73", "KEMENPANRB"), 4, 0, "diterima");
	assert_true(sp_proxy_count(g.px) >= 4);

	/* Cut: both sides take complaints and converge on their own. */
	sp_proxy_cut(g.px, 1);
	sp_ft_submit(&g.f, "73.11", "jalan", "73.12.01", "73.12", g.ids[1]);
	sp_ft_submit(&g.f, "73.11", "jalan-nasional", "73.11.02", "KEMENPU", g.ids[2]);
	sp_ft_submit(&g.f, "KEMENPU", "jalan", "73.12.02", "73.12", g.ids[3]);
	sp_ft_submit(&g.f, "KEMENPANRB", "jalan", "73.13.01", "73.13", g.ids[4]);
	agree(L("73.12"), 1, 1, "diterima");
	sp_ft_act(&g.f, "73.12", g.key12, g.ids[1], "verifikasi");
	agree(L("73.12", "73.11", "73"), 3, 1, "diverifikasi");
	agree(L("73.11", "73"), 2, 2, "diterima");
	agree(L("KEMENPU", "KEMENPANRB"), 2, 3, "diterima");
	agree(L("KEMENPANRB"), 1, 4, "diterima");
	for (size_t k = 1; k <= 2; k++)
		for (size_t i = 0; i < 2; i++)
			unseen(nat_side[i], k);
	for (size_t k = 3; k <= 4; k++)
		for (size_t i = 0; i < 4; i++)
			unseen(prov_side[i], k);

	/* Heal: everything converges, each report at its institution, its
	 * door, the province (for its subtree) and the national node. */
	sp_proxy_cut(g.px, 0);
	if (!sp_ft_wait(logs_agree, NULL))
		sp_ft_fail(&g.f, "logs differ after the heal: %s", g.why);
	agree(L("KEMENPU", "73.11", "73", "KEMENPANRB"), 4, 0, "diterima");
	agree(L("73.12", "73.11", "73", "KEMENPANRB"), 4, 1, "diverifikasi");
	agree(L("KEMENPU", "73.11", "73", "KEMENPANRB"), 4, 2, "diterima");
	agree(L("73.12", "KEMENPU", "73", "KEMENPANRB"), 4, 3, "diterima");
	agree(L("73.13", "KEMENPANRB", "73"), 3, 4, "diterima");
	sp_ft_act(&g.f, "73.12", g.key12, g.ids[3], "verifikasi");
	agree(L("73.12", "KEMENPU", "73", "KEMENPANRB"), 4, 3, "diverifikasi");
	sp_ft_fed(&g.f, "down", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partition),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

/*
 * test_wrong_door.c - "no wrong door" end to end, with real simpuld
 * processes (`simpul federation up`, nodes 73, 73.12 and 73.11) and no
 * restart: a complaint for a village of 73.12 is submitted at 73.11; it
 * reaches 73.12's node by replication and, at once, its report index
 * (GET /v1/reports/{id}, ?institution=, /v1/stats), which says when it
 * indexed it (after 73.11 did, which is after the entry's time); an officer of 73.12
 * (enrolled by a coordinator directory entry before the nodes start)
 * verifies it at 73.12's node with `simpul act`; the act replicates back
 * and 73.11's node and the province's show the report as diverifikasi.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp_keyfile.h"
#include "sp_fedtest.h"
#include "sp_node_harness.h"
#include "sp_clock.h"

#define WAIT_MS 30000
#define BIG (2 * PATH_MAX)

static struct {
	struct sp_h_fed f;
	char key[BIG]; /* officer of 73.12 */
} g;

/* get asks node id for path: the parsed body if the status is 200. */
static json_t *get(const char *id, const char *path)
{
	char a[64];
	struct sp_h_resp r;
	sp_h_fedup_addr(g.f.fed, id, a, sizeof(a));
	json_t *j = NULL;
	if (sp_h_http(a, "GET", path, NULL, NULL, 0, &r) == 0 && r.status == 200)
		j = json_loads(r.body, 0, NULL);
	sp_h_resp_free(&r);
	return j;
}

/* shows: node id's view of report `id` has `status` and `holder` first. */
static int shows(const char *node, const char *id, const char *status, const char *holder)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *j = get(node, path);
	const char *st = json_string_value(json_object_get(j, "status"));
	const char *h = json_string_value(json_array_get(json_object_get(j, "holders"), 0));
	int ok = st && h && strcmp(st, status) == 0 && strcmp(h, holder) == 0;
	json_decref(j);
	return ok;
}

/* holds: a GET /v1/logs answer lists the log of institution inst. */
static int holds(json_t *logs, const char *inst)
{
	char origin[64];
	json_t *v, *a = json_is_array(logs) ? logs : json_object_get(logs, "logs");
	size_t i;
	snprintf(origin, sizeof(origin), "simpul.local/%s", inst);
	json_array_foreach(a, i, v) {
		const char *o = json_string_value(json_object_get(v, "origin"));
		if (o && strcmp(o, origin) == 0)
			return 1;
	}
	return 0;
}

static void wait_shows(const char *node, const char *id, const char *status, const char *holder)
{
	uint64_t t0 = sp_mono_ms();
	while (!shows(node, id, status, holder) && sp_mono_ms() - t0 < WAIT_MS)
		usleep(50000);
	if (!shows(node, id, status, holder)) {
		char *st = NULL;
		sp_h_fedup(g.f.fed, g.f.dir, &st, "status", NULL);
		fail_msg("%s does not show report %s as %s held by %s; status:\n%s", node, id,
			 status, holder, st ? st : "");
	}
}

/* indexed: node id's "indexed" time of report `id` (0 if none). */
static uint64_t indexed(const char *node, const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *j = get(node, path);
	json_int_t t = json_integer_value(json_object_get(j, "indexed"));
	json_int_t sub = json_integer_value(json_object_get(j, "submitted"));
	json_decref(j);
	return t >= sub ? (uint64_t)t : 0;
}


static int setup(void **state)
{
	sp_h_fed_init_ports(&g.f, "wrong_door", sp_h_port_block());
	sp_ft_officer_named(&g.f, "73.12", 12, "Petugas Soppeng", g.key, sizeof(g.key));
	return 0;
}

static int teardown(void **state)
{
	sp_h_fed_down(&g.f);
	return 0;
}

static void test_wrong_door(void **state)
{
	char *out = NULL, id[65];
	if (sp_h_fedup(g.f.fed, g.f.dir, &out, "up", "--nodes=73,73.12,73.11,73.13") != 0)
		fail_msg("federation up failed:\n%s", out ? out : "");
	free(out);

	/* The wrong door: 73.11 takes it; 73.12 sees it without a restart. */
	/* the door: 73.11 (retried while it holds appends at start) */
	sp_ft_submit(&g.f, "73.11", "jalan", "73.12.03", "73.12", id);
	wait_shows("73.12", id, "diterima", "73.12");
	uint64_t door = indexed("73.11", id), there = indexed("73.12", id);
	assert_true(door > 0);
	assert_true(there >= door);
	json_t *q = get("73.12", "/v1/reports?institution=73.12");
	assert_non_null(q);
	json_t *first = json_array_get(json_object_get(q, "reports"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "report_id")), id);
	json_decref(q);
	json_t *st = get("73.12", "/v1/stats");
	assert_non_null(st);
	assert_int_equal(json_integer_value(json_object_get(st, "total")), 1);
	json_decref(st);

	/* The institution in charge acts at its own node ... */
	sp_ft_act(&g.f, "73.12", g.key, id, "verifikasi");
	assert_true(shows("73.12", id, "diverifikasi", "73.12"));

	/* ... and the door it came in by, and the province, see it. */
	wait_shows("73.11", id, "diverifikasi", "73.12");
	wait_shows("73", id, "diverifikasi", "73.12");

	/* Interest sets (docs/design.md §4): 73.13, a sibling that took no part in the
	 * report, holds its province's log but neither 73.11's nor 73.12's,
	 * while 73.11 and 73.12, which exchanged the report, hold each other's. */
	uint64_t t0 = sp_mono_ms();
	json_t *cp = NULL;
	while ((cp = get("73.13", "/v1/logs")) != NULL && !holds(cp, "73") && sp_mono_ms() - t0 < WAIT_MS) {
		json_decref(cp);
		usleep(50000);
	}
	assert_non_null(cp);
	assert_true(holds(cp, "73"));
	assert_false(holds(cp, "73.11"));
	assert_false(holds(cp, "73.12"));
	json_decref(cp);
	cp = get("73.11", "/v1/logs");
	assert_true(holds(cp, "73.12"));
	json_decref(cp);

	assert_int_equal(sp_h_fedup(g.f.fed, g.f.dir, NULL, "down", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_door),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

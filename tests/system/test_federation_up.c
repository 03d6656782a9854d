/*
 * test_federation_up.c - `simpul federation up|status|kill|start|down`
 * with real simpuld processes on 127.0.0.1 (tools/simpul_federation_up.c).
 *
 * A subset-73 federation on ports of its own (--port-base from the test's
 * pid) runs the default five nodes: KEMENPANRB, KEMENPU, 73, 73.12, 73.11.
 * A complaint about a village of 73.12 is submitted at the wrong door
 * (73.11): it reaches 73.12's node and the province's. 73.12 is killed;
 * two more complaints for it are submitted at 73.11 and wait at the
 * province; 73.12 is started again and receives them. `down` stops all.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp_node_harness.h"
#include "sp_clock.h"

#define WAIT_MS 30000
#define BIG (2 * PATH_MAX)

static struct {
	char dir[PATH_MAX - 64];
	char fed[PATH_MAX - 32];
	char csv[BIG];
} g;

/* simpul runs `simpul federation ARGS... --dir FED`; returns its exit code
 * and its output (malloc'ed) in *out if out is not NULL. */
static int simpul(char **out, const char *a1, const char *a2)
{
	return sp_h_fedup(g.fed, g.dir, out, a1, a2);
}

/* addr reads node id's HTTP address (its data/simpuld.addr). */
static void addr(const char *id, char *out, size_t cap)
{
	sp_h_fedup_addr(g.fed, id, out, cap);
}

/* held: entries of log `log` that node id serves a checkpoint for. */
static unsigned long long held(const char *id, const char *log)
{
	char a[64], path[96];
	struct sp_h_resp r;
	addr(id, a, sizeof(a));
	snprintf(path, sizeof(path), "/logs/%s/checkpoint", log);
	unsigned long long n = 0;
	if (sp_h_http(a, "GET", path, NULL, NULL, 0, &r) == 0 && r.status == 200) {
		const char *nl = strchr(r.body, '\n');
		n = nl ? strtoull(nl + 1, NULL, 10) : 0;
	}
	sp_h_resp_free(&r);
	return n;
}

static void wait_held(const char *id, const char *log, unsigned long long size)
{
	uint64_t t0 = sp_mono_ms();
	while (held(id, log) < size && sp_mono_ms() - t0 < WAIT_MS)
		usleep(50000);
	if (held(id, log) < size) {
		char *st = NULL;
		simpul(&st, "status", NULL);
		fail_msg("%s holds %llu of %s's %llu entries; status:\n%s", id, held(id, log), log,
			 size, st ? st : "");
	}
}

#define REPORT                                                                                 \
	"{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","            \
	"\"region\":\"73.12.03\",\"title\":\"Jalan rusak\",\"content\":\"Jalan poros berlubang\"," \
	"\"channel\":\"web\"}"

/* submit files a complaint for 73.12 at node id: it must be routed there. */
static void submit(const char *id)
{
	char a[64];
	struct sp_h_resp r;
	addr(id, a, sizeof(a));
	assert_int_equal(sp_h_post_ready(a, "/v1/reports", "Content-Type: application/json\r\n",
					 REPORT, strlen(REPORT), &r),
			 0);
	assert_int_equal(r.status, 201);
	assert_non_null(strstr(r.body, "\"routed_to\":\"73.12\""));
	sp_h_resp_free(&r);
}

static int setup(void **state)
{
	snprintf(g.dir, sizeof(g.dir), "%s", sp_test_tmpdir("fedup"));
	snprintf(g.fed, sizeof(g.fed), "%s/fed", g.dir);
	snprintf(g.csv, sizeof(g.csv), "%s", SP_WILAYAH);
	return 0;
}

static int teardown(void **state)
{
	simpul(NULL, "down", NULL);
	return 0;
}

static void test_up_kill_start_down(void **state)
{
	char bin[BIG], out[BIG], port[16];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(out, sizeof(out), "%s/up.out", g.dir);
	snprintf(port, sizeof(port), "%u", sp_h_port_block());
	const char *up[] = {bin, "federation", "up", "--dir", g.fed, "--wilayah", g.csv,
			    "--port-base", port, NULL};
	if (sp_h_run(up, out, 90000) != 0) {
		char *o = sp_h_slurp(out, NULL);
		fail_msg("federation up failed:\n%s", o ? o : "");
	}
	char *st = NULL;
	assert_int_equal(simpul(&st, "status", NULL), 0);
	const char *ids[] = {"73 ", "73.11 ", "73.12 ", "KEMENPANRB ", "KEMENPU "};
	for (int i = 0; i < 5; i++)
		assert_non_null(strstr(st, ids[i]));
	assert_null(strstr(st, " down"));
	free(st);

	/* The wrong door: 73.11 takes a complaint for 73.12. */
	submit("73.11");
	wait_held("73.12", "73.11", 1);
	wait_held("73", "73.11", 1);
	wait_held("KEMENPANRB", "73.11", 1);

	/* 73.12 is out: complaints for it wait at the province. */
	assert_int_equal(simpul(NULL, "kill", "73.12"), 0);
	assert_int_equal(simpul(&st, "status", NULL), 0);
	assert_non_null(strstr(st, "73.12        down"));
	free(st);
	submit("73.11");
	submit("73.11");
	wait_held("73", "73.11", 3);

	/* Back up: it receives them. */
	assert_int_equal(simpul(NULL, "start", "73.12"), 0);
	wait_held("73.12", "73.11", 3);

	assert_int_equal(simpul(NULL, "down", NULL), 0);
	assert_int_equal(simpul(&st, "status", NULL), 0);
	assert_null(strstr(st, " up "));
	assert_non_null(strstr(st, "KEMENPANRB   down"));
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_kill_start_down),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

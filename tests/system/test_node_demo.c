/*
 * test_node_demo.c - `simpul demo --node` and `simpul backup`, end to end,
 * with the real binaries ($SP_BIN_DIR).
 *
 * The demo runs in a child on a scratch folder with --http 127.0.0.1:0;
 * the test reads its output until the sample reports are printed, checks
 * over HTTP that each printed report id exists on the node with the
 * printed routing (the social-aid one held by KEMENSOS, the rahasia one
 * sealed), stops it with SIGINT (exit 0), and runs it again on the same
 * folder: the federation is reused and the first reports are still there.
 * Meanwhile `simpul backup` of the running node is made hot (with the node
 * key); after it stops, one by the CLI alone; `simpul log verify` checks
 * both, and a backup never goes over an existing folder.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_node_harness.h"

#define N_REPORTS 4
#define RUN_MS 90000

struct report {
	char id[65], visibility[16], category[32], routed[32];
};

struct demo {
	char tmp[PATH_MAX];
	char dir[PATH_MAX + 8];
	char out[PATH_MAX + 16];
	char addr[64];
	pid_t pid;
	struct report r[N_REPORTS];
};

static void wilayah(char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", SP_WILAYAH);
}

/* parse_reports reads the 'report ID VISIBILITY CATEGORY REGION -> INST'
 * lines of the demo's output. */
static void parse_reports(struct demo *d, const char *text)
{
	const char *p = text;
	for (size_t i = 0; i < N_REPORTS; i++) {
		p = strstr(p, "   report ");
		if (p == NULL)
			fail_msg("report %zu missing in the output:\n%s", i, text);
		char region[32];
		struct report *r = &d->r[i];
		if (sscanf(p, " report %64s %15s %31s %31s -> %31s", r->id, r->visibility,
			   r->category, region, r->routed) != 5)
			fail_msg("cannot read the report line: %.200s", p);
		assert_int_equal(strlen(r->id), 64);
		p++;
	}
}

/* demo_start runs `simpul demo --node` (run n) and waits for its samples. */
static void demo_start(struct demo *d, int n)
{
	char bin[PATH_MAX], csv[PATH_MAX], addr_file[PATH_MAX + 32];
	sp_h_bin(bin, sizeof(bin), "simpul");
	wilayah(csv, sizeof(csv));
	snprintf(d->out, sizeof(d->out), "%s/run%d.out", d->tmp, n);
	const char *argv[] = {bin,   "demo",        "--node",    "--dir", d->dir, "--http",
			      "127.0.0.1:0", "--wilayah", csv,     NULL};
	d->pid = sp_h_spawn(argv, d->out);
	if (sp_h_wait_text(d->out, "Press Ctrl-C", RUN_MS) != 0) {
		char *out = sp_h_slurp(d->out, NULL);
		fail_msg("the demo printed no samples:\n%s", out ? out : "");
	}
	char *out = sp_h_slurp(d->out, NULL);
	parse_reports(d, out);
	free(out);
	snprintf(addr_file, sizeof(addr_file), "%s/data/simpuld.addr", d->dir);
	char *a = sp_h_slurp(addr_file, NULL);
	assert_non_null(a);
	sscanf(a, "%63s", d->addr);
	free(a);
}

static void demo_stop(struct demo *d)
{
	kill(d->pid, SIGINT);
	int code = sp_h_wait(d->pid, 30000);
	if (code < 0) {
		kill(d->pid, SIGKILL);
		fail_msg("the demo did not stop after SIGINT");
	}
	char *out = sp_h_slurp(d->out, NULL);
	if (code != 0)
		fail_msg("exit %d after SIGINT:\n%s", code, out);
	assert_non_null(strstr(out, "node stopped"));
	free(out);
}

/* get_report checks GET /v1/reports/{id} against what the demo printed. */
static void get_report(const struct demo *d, const struct report *r)
{
	char path[128], want[64];
	snprintf(path, sizeof(path), "/v1/reports/%s", r->id);
	struct sp_h_resp resp;
	assert_int_equal(sp_h_http(d->addr, "GET", path, NULL, NULL, 0, &resp), 0);
	if (resp.status != 200)
		fail_msg("GET %s: %d %s", path, resp.status, resp.body);
	snprintf(want, sizeof(want), "\"routed_to\":\"%s\"", r->routed);
	assert_non_null(strstr(resp.body, want));
	snprintf(want, sizeof(want), "\"visibility\":\"%s\"", r->visibility);
	assert_non_null(strstr(resp.body, want));
	if (strcmp(r->visibility, "rahasia") == 0) {
		assert_non_null(strstr(resp.body, "\"sealed\":true"));
		assert_null(strstr(resp.body, "Rp50.000"));
	}
	sp_h_resp_free(&resp);
}

static void check_routing(const struct demo *d)
{
	for (size_t i = 0; i < N_REPORTS; i++) {
		const struct report *r = &d->r[i];
		assert_string_equal(r->routed,
				    strcmp(r->category, "bansos") == 0 ? "KEMENSOS" : "73.12");
	}
	assert_string_equal(d->r[2].visibility, "rahasia");
	assert_string_equal(d->r[3].category, "bansos");
}

/* run_simpul runs simpul with args (NULL-ended) and returns its exit code;
 * its output is in out. */
static int run_simpul(const char *out, const char *const *args)
{
	char bin[PATH_MAX];
	const char *argv[12] = {bin};
	sp_h_bin(bin, sizeof(bin), "simpul");
	for (size_t i = 0; args[i] && i < 10; i++)
		argv[i + 1] = args[i];
	return sp_h_run(argv, out, RUN_MS);
}

static void test_node_demo_and_backup(void **state)
{
	(void)state;
	static struct demo d;
	snprintf(d.tmp, sizeof(d.tmp), "%s", sp_test_tmpdir("node_demo"));
	snprintf(d.dir, sizeof(d.dir), "%s/node", d.tmp);
	char data[PATH_MAX + 16], bk[PATH_MAX + 8], store[PATH_MAX + 16], out[PATH_MAX + 16];
	snprintf(data, sizeof(data), "%s/data", d.dir);
	snprintf(bk, sizeof(bk), "%s/bk", d.tmp);
	snprintf(store, sizeof(store), "%s/store", bk);
	snprintf(out, sizeof(out), "%s/backup.out", d.tmp);

	demo_start(&d, 1);
	check_routing(&d);
	for (size_t i = 0; i < N_REPORTS; i++)
		get_report(&d, &d.r[i]);
	demo_stop(&d);

	struct report first[N_REPORTS];
	memcpy(first, d.r, sizeof(first));
	demo_start(&d, 2);
	char *text = sp_h_slurp(d.out, NULL);
	assert_non_null(strstr(text, "1. reusing the federation"));
	assert_non_null(strstr(text, "8 reports on this node in all"));
	free(text);
	for (size_t i = 0; i < N_REPORTS; i++) {
		get_report(&d, &first[i]);
		assert_string_not_equal(first[i].id, d.r[i].id);
	}
	/* the running node is backed up hot, with its key */
	const char *hot[] = {"backup", "--data", data, "--out", bk, NULL};
	assert_int_equal(run_simpul(out, hot), 0);
	assert_true(sp_h_wait_text(out, "hot ", 0) == 0);
	assert_true(sp_h_wait_text(out, "log demo.simpul.id/73.12 entries 8 checkpoint ", 0) == 0);
	char key[PATH_MAX + 32];
	snprintf(key, sizeof(key), "%s/node.key", bk);
	assert_int_equal(access(key, F_OK), 0);
	demo_stop(&d);

	/* a stopped node's store is copied by the CLI */
	char cold_bk[PATH_MAX + 16], cold_store[PATH_MAX + 32], cold_out[PATH_MAX + 32];
	snprintf(cold_bk, sizeof(cold_bk), "%s/bk-cold", d.tmp);
	snprintf(cold_store, sizeof(cold_store), "%s/store", cold_bk);
	snprintf(cold_out, sizeof(cold_out), "%s/backup-cold.out", d.tmp);
	const char *cold[] = {"backup", "--data", data, "--out", cold_bk, NULL};
	assert_int_equal(run_simpul(cold_out, cold), 0);
	assert_true(sp_h_wait_text(cold_out, "log demo.simpul.id/73.12 entries 8 checkpoint 8 own",
				   0) == 0);
	assert_true(sp_h_wait_text(cold_out, "hot ", 0) != 0);
	const char *verify[] = {"log", "verify", "--data", store, NULL};
	assert_int_equal(run_simpul(out, verify), 0);
	assert_true(sp_h_wait_text(out, "demo.simpul.id/73.12: OK", 0) == 0);
	const char *verify_cold[] = {"log", "verify", "--data", cold_store, NULL};
	assert_int_equal(run_simpul(cold_out, verify_cold), 0);
	/* never over an existing backup */
	assert_int_equal(run_simpul(out, hot), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_demo_and_backup),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

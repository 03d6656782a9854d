/*
 * test_attach_replication.c - attachments travel with the reports that
 * name them, with real simpuld processes (`simpul federation up`, nodes
 * 73, 73.12 and 73.11; 73.11 and 73.12 both dial the province, so 73.12
 * gets 73.11's entries, and files, through it):
 *
 * - a publik complaint with a 200 KiB PDF (four chunks) submitted at 73.11
 *   and routed to 73.12: the province's node and 73.12's serve the file
 *   by hash with the very bytes uploaded; a rahasia complaint's sealed file
 *   arrives too, as the same ciphertext;
 * - a restart mid-way resumes: 73.12 fetches at most 64 KiB/s
 *   ([peer] attach_rate), is killed (SIGKILL) once it holds part of a
 *   512 KiB file, restarts, resumes at the offset it held (its log says
 *   so, and it fetches fewer bytes than the file after the restart) and
 *   ends with the file byte for byte.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_node_harness.h"

#define WAIT_MS 60000
#define SMALL (200u << 10)
#define LARGE (512u << 10)

static struct {
	struct sp_h_fed f;
} g;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* request sends one request to node id; the response goes to r. */
static void request(const char *id, const char *method, const char *path, const char *extra,
		    const void *body, size_t len, struct sp_h_resp *r)
{
	char a[64];
	sp_h_fedup_addr(g.f.fed, id, a, sizeof(a));
	if (sp_h_http(a, method, path, extra, body, len, r) != 0)
		r->status = 0;
}

/* pdf makes n bytes of a PDF (its magic, then bytes from seed). */
static uint8_t *pdf(size_t n, uint32_t seed)
{
	uint8_t *b = malloc(n);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
	memcpy(b, "%PDF-1.7\n", 9);
	return b;
}

/* upload posts a file to node id; its hash (hex) goes to sha. */
static void upload(const char *id, const uint8_t *b, size_t n, char sha[65])
{
	struct sp_h_resp r;
	request(id, "POST", "/v1/attachments", "Content-Type: application/pdf\r\n", b, n, &r);
	assert_int_equal(r.status, 201);
	json_t *j = json_loads(r.body, 0, NULL);
	snprintf(sha, 65, "%s", json_string_value(json_object_get(j, "sha256")));
	assert_int_equal(json_integer_value(json_object_get(j, "size")), (json_int_t)n);
	json_decref(j);
	sp_h_resp_free(&r);
}

/* submit files report body b (JSON) at node id, routed to 73.12; the
 * response (parsed) is returned. */
static json_t *submit(const char *id, json_t *b)
{
	char *s = json_dumps(b, 0);
	struct sp_h_resp r;
	request(id, "POST", "/v1/reports", "Content-Type: application/json\r\n", s, strlen(s), &r);
	if (r.status != 201)
		fail_msg("submit: %d %s", r.status, r.body ? r.body : "");
	json_t *j = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "routed_to")), "73.12");
	sp_h_resp_free(&r);
	free(s);
	json_decref(b);
	return j;
}

static json_t *publik(const char *sha, size_t n)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:I,s:s}]}", "kind", "pengaduan",
			 "visibility", "publik", "category", "jalan", "region", "73.12.03", "title",
			 "Jembatan retak", "content", "Foto dan laporan teknis terlampir", "channel",
			 "web", "attachments", "sha256", sha, "size", (json_int_t)n, "media_type",
			 "application/pdf");
}

/* fetch GETs attachment sha at node id: its bytes (malloc'ed, *n) if 200,
 * else NULL; the Content-Type goes to type (optional). */
static char *fetch(const char *id, const char *sha, size_t *n, char *type, size_t cap)
{
	char path[128];
	struct sp_h_resp r;
	snprintf(path, sizeof(path), "/v1/attachments/%s", sha);
	request(id, "GET", path, NULL, NULL, 0, &r);
	char *out = NULL;
	if (r.status == 200) {
		out = malloc(r.len + 1);
		assert_non_null(out);
		memcpy(out, r.body, r.len);
		*n = r.len;
		if (type)
			sp_h_header(&r, "Content-Type", type, cap);
	}
	sp_h_resp_free(&r);
	return out;
}

/* wait_same waits until node id serves attachment sha as want[0..n). */
static void wait_same(const char *id, const char *sha, const void *want, size_t n)
{
	uint64_t t0 = now_ms();
	for (;;) {
		size_t got = 0;
		char *b = fetch(id, sha, &got, NULL, 0);
		int same = b && got == n && memcmp(b, want, n) == 0;
		free(b);
		if (same)
			return;
		if (now_ms() - t0 > WAIT_MS)
			fail_msg("node %s does not serve attachment %.16s.. as uploaded (%zu bytes)",
				 id, sha, got);
		usleep(100000);
	}
}

/* metric reads one counter of node id's /metrics (-1 if absent). */
static long long metric(const char *id, const char *line)
{
	struct sp_h_resp r;
	request(id, "GET", "/metrics", NULL, NULL, 0, &r);
	long long v = -1;
	const char *p = r.status == 200 ? strstr(r.body, line) : NULL;
	if (p && p[strlen(line)] == ' ')
		v = strtoll(p + strlen(line) + 1, NULL, 10);
	sp_h_resp_free(&r);
	return v;
}

#define BYTES_IN "simpul_peer_attachment_bytes_total{dir=\"in\"}"
#define FETCHED "simpul_peer_attachments_total{result=\"fetched\"}"

static void node(const char *what, const char *id)
{
	char *out = NULL;
	if (sp_h_fedup(g.f.fed, g.f.dir, &out, what, id) != 0)
		fail_msg("federation %s %s failed:\n%s", what, id, out ? out : "");
	free(out);
}

static int setup(void **state)
{
	(void)state;
	unsigned base = 14000 + (unsigned)(getpid() % 40) * 100;
	sp_h_fed_init_ports(&g.f, "attach_repl", base);
	char *out = NULL;
	if (sp_h_fedup(g.f.fed, g.f.dir, &out, "up", "--nodes=73,73.12,73.11") != 0)
		fail_msg("federation up failed:\n%s", out ? out : "");
	free(out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fedup(g.f.fed, g.f.dir, NULL, "down", NULL);
	sp_h_fed_free(&g.f);
	return 0;
}

static void test_travels(void **state)
{
	(void)state;
	char sha[65];
	uint8_t *file = pdf(SMALL, 7);
	upload("73.11", file, SMALL, sha);
	json_decref(submit("73.11", publik(sha, SMALL)));
	wait_same("73", sha, file, SMALL);
	wait_same("73.12", sha, file, SMALL);
	assert_true(metric("73.12", FETCHED) >= 1);
	assert_true(metric("73", FETCHED) >= 1);
	free(file);

	/* a rahasia report's file: the sealed blob, the same ciphertext */
	char b64[256];
	sodium_bin2base64(b64, sizeof(b64), (const uint8_t *)"bukti pungli", 12,
			  sodium_base64_VARIANT_ORIGINAL);
	json_t *r = submit("73.11",
			   json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}", "kind", "pengaduan",
				     "visibility", "rahasia", "category", "pelayanan-publik",
				     "region", "73.12.01", "title", "Pungli", "content",
				     "Pungutan liar di loket", "attachments", "media_type",
				     "text/plain", "data", b64));
	const char *id = json_string_value(json_object_get(r, "report_id"));
	char path[128], type[128] = "";
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	struct sp_h_resp rr;
	request("73.11", "GET", path, NULL, NULL, 0, &rr);
	assert_int_equal(rr.status, 200);
	json_t *rep = json_loads(rr.body, 0, NULL);
	snprintf(sha, sizeof(sha), "%s",
		 json_string_value(json_object_get(
			 json_array_get(json_object_get(rep, "attachments"), 0), "sha256")));
	json_decref(rep);
	sp_h_resp_free(&rr);
	json_decref(r);
	size_t n = 0;
	char *blob = fetch("73.11", sha, &n, NULL, 0);
	assert_non_null(blob);
	wait_same("73.12", sha, blob, n);
	free(fetch("73.12", sha, &n, type, sizeof(type)));
	assert_string_equal(type, "application/octet-stream");
	free(blob);
}

static void test_resume_after_restart(void **state)
{
	(void)state;
	char ini[PATH_MAX + 64], log[PATH_MAX + 64], sha[65];
	node("kill", "73.12");
	snprintf(ini, sizeof(ini), "%s/nodes/73.12/simpuld.ini", g.f.fed);
	snprintf(log, sizeof(log), "%s/nodes/73.12/simpuld.log", g.f.fed);
	FILE *fp = fopen(ini, "a");
	assert_non_null(fp);
	fputs("[peer]\nattach_rate = 65536\n", fp); /* 512 KiB: about 8 s */
	fclose(fp);
	node("start", "73.12");

	uint8_t *file = pdf(LARGE, 11);
	upload("73.11", file, LARGE, sha);
	json_decref(submit("73.11", publik(sha, LARGE)));
	wait_same("73", sha, file, LARGE);

	/* 73.12 holds part of it: kill it there */
	uint64_t t0 = now_ms();
	long long got = 0;
	while ((got = metric("73.12", BYTES_IN)) < 2 * 65536 && now_ms() - t0 < WAIT_MS)
		usleep(20000);
	size_t n = 0;
	char *early = fetch("73.12", sha, &n, NULL, 0);
	assert_null(early); /* not whole yet */
	assert_true(got >= 2 * 65536 && got < (long long)LARGE);
	node("kill", "73.12");
	node("start", "73.12");

	wait_same("73.12", sha, file, LARGE);
	long long after = metric("73.12", BYTES_IN);
	assert_true(after > 0 && after < (long long)LARGE);
	char *text = sp_h_slurp(log, NULL);
	assert_non_null(text);
	char needle[96];
	snprintf(needle, sizeof(needle), "resuming sha256=%.16s.. size=%u offset=", sha, LARGE);
	assert_non_null(strstr(text, needle));
	free(text);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_travels),
		cmocka_unit_test(test_resume_after_restart),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

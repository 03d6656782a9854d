/*
 * test_index.c - the report index kept in the store, with real simpuld
 * processes on 127.0.0.1 (node 73.12 of `simpul federation init --subset
 * 73`, an officer of 73.12 enrolled).
 *
 * Crashes: in several rounds, worker processes submit reports and act on
 * them (verifikasi, tindak_lanjut, disposisi to the province) over HTTP as
 * fast as the node answers, and the node is killed with SIGKILL part-way;
 * between rounds a replica log of 73.11 grows offline by an old report
 * (whose deadlines have passed, so the node escalates it). After the last
 * round every acknowledged report is tracked and listed by the queries that
 * should list it, /v1/stats counts what the listing holds, and `simpuld
 * --index verify` (simpul index verify) finds the index the node kept,
 * incrementally across the crashes, identical to one rebuilt from the logs.
 * With no webhook to read it, the index's change feed is emptied by the
 * escalation passes instead of growing with every change.
 *
 * Damage: a byte of one report's stored record is flipped on disk. verify
 * fails on its checksum; the node, reading it, answers 503 rather than
 * serve it, logs it, rebuilds the index from the logs and then serves the
 * report as before; verify passes again.
 */
#include "sp_testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_node_harness.h"
#include "sp_report.h"
#include "sp_store.h"
#include "sp_store_index.h"
#include "sp_clock.h"

#define ROUNDS 5
#define WORKERS 4
#define DAY_MS (24ull * 3600 * 1000)

static struct {
	struct sp_h_fed f;
	uint8_t off_pk[32], off_sk[64];
	char acked[PATH_MAX + 16]; /* report ids the node acknowledged, one a line */
	uint8_t prev[32];          /* hash of the replica log's last entry */
	uint64_t replica_size;
	uint64_t t_start; /* when the workload began */
} g;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init(&g.f, "index");
	sp_test_keypair(81, g.off_pk, g.off_sk);
	sp_h_fed_enrol(&g.f, "73.12", g.off_pk, "Petugas Soppeng");
	snprintf(g.acked, sizeof(g.acked), "%s/acked", g.f.dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_free(&g.f);
	return 0;
}

/* ---- the workload (child processes) -------------------------------------------------- */

struct mine {
	char id[65];
	int step; /* 0 submitted, 1 verified, 2 answered or forwarded */
};

/* act_body makes {"body": base64} for an officer's act on report id. */
static void act_body(const char *id, uint32_t code, const char *target, char *out, size_t cap)
{
	struct sp_report_action a = {.code = code, .issued_ms = sp_now_ms()};
	uint8_t *body;
	size_t len;
	char b64[4096];
	sodium_hex2bin(a.report, 32, id, 64, NULL, NULL, NULL);
	if (target) {
		a.targets[0] = (struct sp_str){target, strlen(target)};
		a.n_targets = 1;
	}
	if (code == SP_ACT_TINDAK_LANJUT)
		a.text = (struct sp_str){"Sudah ditangani", 15};
	if (sp_report_action_build_officer(&a, g.off_sk, &body, &len) != 0) {
		out[0] = '\0';
		return;
	}
	sodium_bin2base64(b64, sizeof(b64), body, len, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, cap, "{\"body\":\"%s\"}", b64);
	free(body);
}

/* work_submit submits one report; 1 and its id on 201, 0 on another
 * answer, -1 when the node is gone. */
static int work_submit(const char *addr, unsigned *seed, char id[65])
{
	static const char *const cats[] = {"jalan", "kesehatan", "pendidikan"};
	static const char *const regions[] = {"73.12", "73.12.01", "73.12.03"};
	static const char *const kinds[] = {"pengaduan", "aspirasi"};
	char body[512];
	struct sp_h_resp r;
	snprintf(body, sizeof(body),
		 "{\"kind\":\"%s\",\"visibility\":\"publik\",\"category\":\"%s\",\"region\":\"%s\","
		 "\"title\":\"Uji indeks\",\"content\":\"Laporan %u\"}",
		 kinds[rand_r(seed) % 2], cats[rand_r(seed) % 3], regions[rand_r(seed) % 3],
		 (unsigned)rand_r(seed));
	if (sp_h_http(addr, "POST", "/v1/reports", "Content-Type: application/json\r\n", body,
		      strlen(body), &r) != 0)
		return -1;
	int ok = r.status == 201;
	json_t *j = ok ? json_loads(r.body, 0, NULL) : NULL;
	const char *s = json_string_value(json_object_get(j, "report_id"));
	if (s)
		snprintf(id, 65, "%s", s);
	ok = s != NULL;
	json_decref(j);
	sp_h_resp_free(&r);
	return ok;
}

static int work_act(const char *addr, unsigned *seed, struct mine *m)
{
	char body[4300], path[128];
	struct sp_h_resp r;
	uint32_t code = m->step == 0 ? SP_ACT_VERIFIKASI
				     : rand_r(seed) % 2 ? SP_ACT_TINDAK_LANJUT : SP_ACT_DISPOSISI;
	act_body(m->id, code, code == SP_ACT_DISPOSISI ? "73" : NULL, body, sizeof(body));
	snprintf(path, sizeof(path), "/v1/reports/%s/actions", m->id);
	if (sp_h_http(addr, "POST", path, "Content-Type: application/json\r\n", body,
		      strlen(body), &r) != 0)
		return -1;
	if (r.status == 201)
		m->step++;
	sp_h_resp_free(&r);
	return 0;
}

static void worker(const char *addr, unsigned seed)
{
	struct mine mine[64] = {0};
	size_t n = 0;
	int fd = open(g.acked, O_WRONLY | O_APPEND | O_CREAT, 0600);
	for (;;) {
		int rc;
		if (n && rand_r(&seed) % 3 == 0) {
			struct mine *m = &mine[rand_r(&seed) % (n < 64 ? n : 64)];
			rc = m->step < 2 ? work_act(addr, &seed, m) : 0;
		} else {
			char id[65], line[66];
			rc = work_submit(addr, &seed, id);
			if (rc == 1) {
				snprintf(line, sizeof(line), "%s\n", id);
				if (write(fd, line, 65) != 65)
					_exit(1);
				mine[n % 64] = (struct mine){.step = 0};
				memcpy(mine[n % 64].id, id, 65);
				n++;
			}
		}
		if (rc < 0)
			_exit(0);
	}
}

/* ---- the replica log of 73.11 ---------------------------------------------------------- */

/* replica_grow appends one old report (age days) to 73.11's log in the
 * stopped node's store, as replication would have stored it. */
static void replica_grow(uint64_t age)
{
	char key[PATH_MAX + 32], path[PATH_MAX + 16];
	uint8_t pk[32], sk[64], *body, *entry;
	size_t blen, len, accepted = 0;
	snprintf(key, sizeof(key), "%s/keys/73.11.key", g.f.fed);
	assert_int_equal(sp_keyfile_load(key, pk, sk, NULL, 0), 0);
	struct sp_report r = {.kind = SP_REPORT_PENGADUAN, .vis = SP_REPORT_PUBLIK,
			      .category = {"jalan", 5}, .region = {"73.12.03", 8},
			      .title = {"Jembatan putus", 14}, .content = {"Sejak bulan lalu", 16},
			      .routed_to = {"73.12", 5}, .channel = {"web", 3},
			      .has_reporter_key = 1};
	randombytes_buf(r.reporter_key, sizeof(r.reporter_key));
	assert_int_equal(sp_report_encode(&r, &body, &blen), 0);
	struct sp_entry e = {.version = SP_ENTRY_VERSION, .index = g.replica_size,
			     .time_ms = sp_now_ms() - age * DAY_MS + g.replica_size,
			     .type = SP_EV_REPORT, .body = body, .body_len = blen};
	memcpy(e.prev, g.prev, 32);
	assert_int_equal(sp_entry_sign(&e, sk, &entry, &len), 0);
	free(body);
	struct sp_store *st;
	struct sp_store_opts o = {.verify_threads = 1};
	uint32_t log;
	const uint8_t *const ents[] = {entry};
	snprintf(path, sizeof(path), "%s/store", g.f.data);
	assert_int_equal(sp_store_open(path, &o, &st), 0);
	assert_int_equal(sp_store_log_add(st, "simpul.local/73.11", pk, &log), 0);
	assert_int_equal(sp_store_insert(st, log, ents, &len, 1, &accepted), 0);
	assert_int_equal(accepted, 1);
	sp_store_close(st);
	sp_entry_hash(entry, len, g.prev);
	g.replica_size++;
	free(entry);
}

/* ---- checks ------------------------------------------------------------------------------ */

/* listed pages through GET path (a query) and returns every report id on
 * it as one string of "id\n" lines. */
static char *listed(const char *query, size_t *count)
{
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap), path[256], cursor[32] = "";
	*count = 0;
	for (;;) {
		snprintf(path, sizeof(path), "/v1/reports?%s&limit=500%s%s", query,
			 cursor[0] ? "&cursor=" : "", cursor);
		json_t *j = sp_h_call(&g.f, "GET", path, NULL, NULL, 0, 200), *it;
		size_t i;
		json_array_foreach(json_object_get(j, "reports"), i, it) {
			if (len + 66 >= cap)
				out = realloc(out, cap *= 2);
			len += (size_t)sprintf(out + len, "%s\n",
					       json_string_value(json_object_get(it, "report_id")));
			(*count)++;
		}
		json_t *next = json_object_get(j, "next_cursor");
		if (!json_is_string(next)) {
			json_decref(j);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		json_decref(j);
	}
	out[len] = '\0';
	return out;
}

/* index_op runs simpuld --index op on the stopped node: its exit code and
 * output in out (malloc'ed). */
static int index_op(const char *op, char **out)
{
	char bin[PATH_MAX], path[PATH_MAX + 32];
	sp_h_bin(bin, sizeof(bin), "simpuld");
	snprintf(path, sizeof(path), "%s/index.%s.out", g.f.dir, op);
	const char *argv[] = {bin, "--config", g.f.ini, "--index", op, NULL};
	int code = sp_h_run(argv, path, 300000);
	*out = sp_h_slurp(path, NULL);
	return code;
}

static void check_all_found(void)
{
	size_t len, n_list, n_region, n_all;
	char *ids = sp_h_slurp(g.acked, &len);
	char *list = listed("institution=73.12", &n_list);
	char *region = listed("region=73.12", &n_region);
	char *all = listed("overdue=0", &n_all);
	size_t n = 0;
	for (char *p = ids; p && *p; p += 65, n++) {
		char id[65], path[128];
		memcpy(id, p, 64);
		id[64] = '\0';
		if (strstr(list, id) == NULL || strstr(region, id) == NULL || strstr(all, id) == NULL)
			fail_msg("acknowledged report %s is not listed", id);
		snprintf(path, sizeof(path), "/v1/reports/%s", id);
		json_decref(sp_h_call(&g.f, "GET", path, NULL, NULL, 0, 200));
	}
	assert_true(n > ROUNDS);
	/* each filter splits the reports it should, whatever the posting
	 * lists did across the crashes */
	char q[96];
	size_t a, b, c, d;
	free(listed("category=jalan", &a));
	free(listed("category=kesehatan", &b));
	free(listed("category=pendidikan", &c));
	assert_int_equal(a + b + c, n_all);
	free(listed("kind=pengaduan", &a));
	free(listed("kind=aspirasi", &b));
	assert_int_equal(a + b, n_all);
	free(listed("holder=73.12", &a));
	free(listed("holder=73", &b));
	free(listed("holder=73&subtree=1", &c));
	assert_true(c >= a + b && a + b > 0);
	snprintf(q, sizeof(q), "since=%llu", (unsigned long long)(g.t_start - 1000));
	char *recent = listed(q, &d);
	for (char *p = ids; p && *p; p += 65) {
		char id[65];
		memcpy(id, p, 64);
		id[64] = '\0';
		if (strstr(recent, id) == NULL)
			fail_msg("acknowledged report %s is not listed since the start", id);
	}
	free(recent);
	snprintf(q, sizeof(q), "since=1&until=%llu", (unsigned long long)(g.t_start - 1000));
	free(listed(q, &a));
	assert_int_equal(a + d, n_all); /* the old replica reports, and the rest */
	assert_true(n_all >= n + g.replica_size);
	json_t *st = sp_h_call(&g.f, "GET", "/v1/stats", NULL, NULL, 0, 200);
	assert_int_equal(json_integer_value(json_object_get(st, "total")), (json_int_t)n_all);
	json_decref(st);
	fprintf(stderr, "acknowledged %zu, listed %zu (institution %zu, region %zu)\n", n, n_all,
		n_list, n_region);
	free(ids);
	free(list);
	free(region);
	free(all);
}

static void verify_ok(void)
{
	char *out;
	int code = index_op("verify", &out);
	if (code != 0 || strstr(out, "matches a rebuild") == NULL)
		fail_msg("index verify: exit %d: %s", code, out);
	free(out);
}

/* ---- the tests ------------------------------------------------------------------------------ */

static void test_crashes(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL);
	g.t_start = sp_now_ms();
	fprintf(stderr, "seed %u\n", seed);
	for (int round = 0; round < ROUNDS; round++) {
		sp_h_fed_start(&g.f);
		pid_t w[WORKERS];
		for (int i = 0; i < WORKERS; i++) {
			w[i] = fork();
			assert_true(w[i] >= 0);
			if (w[i] == 0)
				worker(g.f.addr, seed + 7919u * (unsigned)(round * WORKERS + i));
		}
		usleep((useconds_t)(300 + rand_r(&seed) % 1200) * 1000);
		kill(g.f.pid, SIGKILL);
		waitpid(g.f.pid, NULL, 0);
		g.f.pid = 0;
		for (int i = 0; i < WORKERS; i++)
			waitpid(w[i], NULL, 0);
		replica_grow(25 - (uint64_t)round);
	}
	sp_h_fed_start(&g.f);
	check_all_found();
	/* no webhook reads the change feed: the escalation pass (every second
	 * here) drops what it holds rather than keep every change */
	long long kept = -1;
	for (int i = 0; i < 300 && (kept = sp_h_metric(g.f.addr, "simpul_index_feed_changes")); i++)
		usleep(100 * 1000);
	assert_int_equal(kept, 0);
	sp_h_fed_stop(&g.f);
	verify_ok();
}

/* damage_raw flips a byte in the summary of a raw stored value (val: the
 * value then its checksum) and writes it back under key (the node
 * stopped); id gets the report's id, at val + at: a record is CBOR
 * [id (bytes 32), ...] (at 3), a posting's row [flags (bytes 3), id, ...]
 * (at 7). */
static void damage_raw(struct sp_store *st, enum sp_store_ix fam, const uint8_t *key, size_t klen,
		       uint8_t *val, size_t len, size_t at, char id[65])
{
	sodium_bin2hex(id, 65, val + at, 32);
	val[len - SP_STORE_IX_SUM - 3] ^= 1; /* in its summary */
	assert_int_equal(sp_store_ix_raw_put(st, fam, key, klen, val, len), 0);
}

static struct sp_store *open_stopped(void)
{
	char path[PATH_MAX + 16];
	struct sp_store *st;
	struct sp_store_opts o = {.verify_threads = 1};
	snprintf(path, sizeof(path), "%s/store", g.f.data);
	assert_int_equal(sp_store_open(path, &o, &st), 0);
	return st;
}

/* damage_first damages the first report record on disk ('R' seq). */
static void damage_first(char id[65])
{
	struct sp_store *st = open_stopped();
	struct sp_buf key, val;
	sp_buf_init(&key);
	sp_buf_init(&val);
	assert_int_equal(sp_store_ix_raw_first(st, SP_STORE_IX_RECORDS, 40, &key, &val), 0);
	assert_int_equal(key.p[0], 'R');
	damage_raw(st, SP_STORE_IX_RECORDS, key.p, key.len, val.p, val.len, 3, id);
	sp_store_close(st);
	sp_buf_free(&key);
	sp_buf_free(&val);
}

/* damage_posting damages the row of the first posting of the list of
 * every report ('P' "a" 0x00 seq): what a page is read from. */
static void damage_posting(char id[65])
{
	static const uint8_t pre[] = {'P', 'a', 0};
	struct sp_store *st = open_stopped();
	struct sp_store_ixit *it;
	const uint8_t *k, *v;
	size_t kn, vn;
	assert_int_equal(sp_store_ixit_new(st, SP_STORE_IX_KEYS, pre, sizeof(pre), &it), 0);
	sp_store_ixit_seek(it, pre, sizeof(pre));
	assert_int_equal(sp_store_ixit_get(it, &k, &kn, &v, &vn), 0);
	assert_int_equal(kn, sizeof(pre) + 8);
	assert_memory_equal(k, pre, sizeof(pre));
	uint8_t key[sizeof(pre) + 8], *val = malloc(vn + SP_STORE_IX_SUM);
	assert_non_null(val);
	memcpy(key, k, kn);
	memcpy(val, v, vn + SP_STORE_IX_SUM);
	sp_store_ixit_free(it);
	damage_raw(st, SP_STORE_IX_KEYS, key, sizeof(key), val, vn + SP_STORE_IX_SUM, 7, id);
	free(val);
	sp_store_close(st);
}

/* damaged_once: the node, asked `path` (which reads the damaged record),
 * answers 503, logs the damage, rebuilds, then serves report id again. */
static void damaged_once(const char *path, const char *id)
{
	char *out, rpath[128];
	assert_int_not_equal(index_op("verify", &out), 0);
	assert_non_null(strstr(out, "bad=1"));
	free(out);
	assert_int_equal(truncate(g.f.log, 0), 0);
	sp_h_fed_start(&g.f);
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(g.f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 503); /* never the damaged record */
	sp_h_resp_free(&r);
	assert_int_equal(sp_h_wait_text(g.f.log, "report index damaged", 10000), 0);
	assert_int_equal(sp_h_wait_text(g.f.log, "report index rebuilt from the logs reports=",
					60000),
			 0);
	snprintf(rpath, sizeof(rpath), "/v1/reports/%s", id);
	json_t *j = sp_h_call(&g.f, "GET", rpath, NULL, NULL, 0, 200);
	assert_string_equal(json_string_value(json_object_get(j, "report_id")), id);
	json_decref(j);
	check_all_found();
	sp_h_fed_stop(&g.f);
	verify_ok();
}

/* A flipped byte in a report's record is found by a track (which reads
 * the record); one in a posting's row by a list (whose page is read from
 * the postings). */
static void test_damage(void **state)
{
	(void)state;
	char id[65], rpath[128];
	damage_first(id);
	snprintf(rpath, sizeof(rpath), "/v1/reports/%s", id);
	damaged_once(rpath, id);
	damage_posting(id);
	damaged_once("/v1/reports?limit=500", id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crashes),
		cmocka_unit_test(test_damage),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

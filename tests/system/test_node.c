/*
 * test_node.c - simpuld end to end, as real processes on 127.0.0.1.
 *
 * A node folder is made by `simpul init` (HTTP on an ephemeral port), its
 * log filled by `simpul log append`, and simpuld started from it; tests
 * wait for DATA/simpuld.addr and then talk HTTP with a raw socket client:
 * status, logs, metrics, the checkpoint and every tile (checked, after a
 * clean stop, byte for byte against the store with sp_store_tile and
 * sp_store_bundle, and the checkpoint's signature and root), JSON errors
 * (404, 405, 413, malformed tile paths), 429 under a burst and SIGHUP
 * reload, SIGTERM exit 0 and restart, kill -9 and restart, the key-file
 * mode check, the built-in default config, and the asynchronous
 * completion mechanism (POST /v1/checkpoint/sign through the daemon, and
 * in-process: a route that completes from the store's commit thread after
 * sp_store_append_async, under concurrent clients).
 */
#include "sp_testutil.h"

#include <limits.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>

#include "sp_err.h"
#include "sp_http.h"
#include "sp_node_harness.h"
#include "sp_note.h"
#include "sp_store.h"
#include "sp_tile.h"

#define FED "lapor.go.id"
#define INST "73.12"
#define ORIGIN FED "/" INST
#define ENTRIES 300 /* one full tile and bundle, and a partial one */
#define START_MS 8000

/* One node folder and, while running, its simpuld. */
struct node {
	char dir[PATH_MAX];
	char ini[PATH_MAX + 16];
	char log[PATH_MAX + 16];
	char addr_file[PATH_MAX + 32];
	char addr[64];
	char vkey[300];
	pid_t pid;
};

static char g_simpul[PATH_MAX], g_simpuld[PATH_MAX];

static void bins(void)
{
	sp_h_bin(g_simpul, sizeof(g_simpul), "simpul");
	sp_h_bin(g_simpuld, sizeof(g_simpuld), "simpuld");
}

/* node_init runs `simpul init` into a fresh folder and keeps the vkey. */
static void node_init(struct node *n, const char *name, const char *extra_ini)
{
	bins();
	memset(n, 0, sizeof(*n));
	snprintf(n->dir, sizeof(n->dir), "%s/node", sp_test_tmpdir(name));
	snprintf(n->ini, sizeof(n->ini), "%s/simpuld.ini", n->dir);
	snprintf(n->log, sizeof(n->log), "%s/simpuld.log", n->dir);
	snprintf(n->addr_file, sizeof(n->addr_file), "%s/data/simpuld.addr", n->dir);
	char out[PATH_MAX + 16];
	snprintf(out, sizeof(out), "%s.init.out", n->dir);
	const char *argv[] = {g_simpul, "init", "--dir", n->dir, "--id", INST, "--federation", FED,
			      "--http", "127.0.0.1:0", NULL};
	assert_int_equal(sp_h_run(argv, out, 10000), 0);
	char *text = sp_h_slurp(out, NULL);
	assert_non_null(text);
	char *v = strstr(text, "\nvkey ");
	assert_non_null(v);
	sscanf(v + 6, "%299s", n->vkey);
	assert_non_null(strstr(text, "start simpuld --config "));
	free(text);
	if (extra_ini) {
		FILE *f = fopen(n->ini, "a");
		assert_non_null(f);
		fputs(extra_ini, f);
		fclose(f);
	}
}

/* node_fill appends `count` entries with the CLI while the node is down. */
static void node_fill(struct node *n, unsigned count)
{
	char store[PATH_MAX + 16], key[PATH_MAX + 16], cnt[16], out[PATH_MAX + 16];
	snprintf(store, sizeof(store), "%s/data/store", n->dir);
	snprintf(key, sizeof(key), "%s/node.key", n->dir);
	snprintf(cnt, sizeof(cnt), "%u", count);
	snprintf(out, sizeof(out), "%s.fill.out", n->dir);
	const char *argv[] = {g_simpul, "log", "append", "--data", store, "--key", key,
			      "--origin", ORIGIN, "--count", cnt, "--text", "keluhan jalan rusak",
			      NULL};
	assert_int_equal(sp_h_run(argv, out, 20000), 0);
}

static void node_start(struct node *n)
{
	unlink(n->addr_file);
	const char *argv[] = {g_simpuld, "--config", n->ini, NULL};
	n->pid = sp_h_spawn(argv, n->log);
	if (sp_h_wait_file(n->addr_file, START_MS) != 0) {
		char *log = sp_h_slurp(n->log, NULL);
		fail_msg("simpuld did not start; its log:\n%s", log ? log : "(none)");
	}
	char *a = sp_h_slurp(n->addr_file, NULL);
	assert_non_null(a);
	sscanf(a, "%63s", n->addr);
	free(a);
	assert_non_null(strstr(n->addr, "127.0.0.1:"));
}

/* node_stop sends sig and returns the exit code. */
static int node_stop(struct node *n, int sig)
{
	kill(n->pid, sig);
	int code = sp_h_wait(n->pid, 10000);
	if (code < 0) {
		kill(n->pid, SIGKILL);
		waitpid(n->pid, NULL, 0);
		fail_msg("simpuld did not stop on signal %d", sig);
	}
	n->pid = 0;
	return code;
}

static json_t *get_json(struct node *n, const char *path, int want_status)
{
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(n->addr, "GET", path, NULL, NULL, 0, &r), 0);
	if (r.status != want_status)
		fail_msg("GET %s: status %d, want %d: %s", path, r.status, want_status, r.body);
	char ct[128];
	assert_non_null(sp_h_header(&r, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "application/json");
	json_error_t e;
	json_t *j = json_loads(r.body, 0, &e);
	if (j == NULL)
		fail_msg("GET %s: not JSON: %s", path, r.body);
	sp_h_resp_free(&r);
	return j;
}

/* expect_error checks a JSON error response's status and code. */
static void expect_error(struct sp_h_resp *r, int status, const char *code)
{
	if (r->status != status)
		fail_msg("status %d, want %d: %s", r->status, status, r->body);
	json_t *j = json_loads(r->body, 0, NULL);
	if (j == NULL)
		fail_msg("error body is not JSON: %s", r->body);
	const char *got = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
	const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
	assert_non_null(got);
	assert_non_null(msg);
	assert_string_equal(got, code);
	json_decref(j);
}

static void expect_get_error(struct node *n, const char *path, int status, const char *code)
{
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(n->addr, "GET", path, NULL, NULL, 0, &r), 0);
	expect_error(&r, status, code);
	sp_h_resp_free(&r);
}

/* ---- serving a log ------------------------------------------------------------- */

/* A fetched tlog-tiles file, kept to compare with the store later. */
struct fetched {
	int level;
	uint64_t k;
	unsigned w;
	struct sp_h_resp r;
};

static void fetch(struct node *n, int level, uint64_t k, unsigned w, struct fetched *f)
{
	char rel[64], path[128], cc[128], ct[128];
	assert_int_equal(sp_tile_path(rel, sizeof(rel), level, k, w), 0);
	snprintf(path, sizeof(path), "/logs/" INST "/%s", rel);
	f->level = level;
	f->k = k;
	f->w = w;
	assert_int_equal(sp_h_http(n->addr, "GET", path, NULL, NULL, 0, &f->r), 0);
	if (f->r.status != 200)
		fail_msg("GET %s: %d %s", path, f->r.status, f->r.body);
	assert_string_equal(sp_h_header(&f->r, "Content-Type", ct, sizeof(ct)),
			    "application/octet-stream");
	assert_non_null(sp_h_header(&f->r, "Cache-Control", cc, sizeof(cc)));
	if (w == SP_TILE_WIDTH)
		assert_non_null(strstr(cc, "immutable"));
	else
		assert_string_equal(cc, "no-cache");
	if (level >= 0)
		assert_int_equal(f->r.len, (size_t)w * 32);
}

static void test_serve_log(void **state)
{
	struct node n;
	node_init(&n, "serve", "[http]\nrate_limit = 0\n");
	node_fill(&n, ENTRIES);
	node_start(&n);

	json_t *st = get_json(&n, "/v1/status", 200);
	assert_string_equal(json_string_value(json_object_get(st, "origin")), ORIGIN);
	assert_string_equal(json_string_value(json_object_get(st, "vkey")), n.vkey);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "own_log"), "size")),
			 ENTRIES);
	json_decref(st);

	json_t *logs = get_json(&n, "/v1/logs", 200);
	json_t *l0 = json_array_get(json_object_get(logs, "logs"), 0);
	assert_non_null(l0);
	assert_string_equal(json_string_value(json_object_get(l0, "origin")), ORIGIN);
	assert_string_equal(json_string_value(json_object_get(l0, "path")), "/logs/" INST);
	assert_int_equal(json_integer_value(json_object_get(l0, "size")), ENTRIES);
	json_decref(logs);

	/* The checkpoint verifies with the key simpul init printed. */
	struct sp_h_resp cp;
	assert_int_equal(sp_h_http(n.addr, "GET", "/logs/" INST "/checkpoint", NULL, NULL, 0, &cp),
			 0);
	assert_int_equal(cp.status, 200);
	char hv[128];
	assert_string_equal(sp_h_header(&cp, "Cache-Control", hv, sizeof(hv)), "no-cache");
	assert_non_null(strstr(sp_h_header(&cp, "Content-Type", hv, sizeof(hv)), "text/plain"));
	struct sp_note_key key;
	assert_int_equal(sp_note_vkey_parse(n.vkey, &key), 0);
	struct sp_checkpoint c;
	assert_int_equal(sp_checkpoint_open(cp.body, cp.len, &key, &c), 0);
	assert_string_equal(c.origin, ORIGIN);
	assert_int_equal(c.size, ENTRIES);

	/* Every tile of a 300-leaf tree, and both bundles. */
	struct fetched f[5];
	fetch(&n, -1, 0, 256, &f[0]);
	fetch(&n, -1, 1, ENTRIES - 256, &f[1]);
	fetch(&n, 0, 0, 256, &f[2]);
	fetch(&n, 0, 1, ENTRIES - 256, &f[3]);
	fetch(&n, 1, 0, 1, &f[4]);
	/* A tile the tree does not have yet. */
	expect_get_error(&n, "/logs/" INST "/tile/0/002", 404, "SP_ERR_NOT_FOUND");
	expect_get_error(&n, "/logs/" INST "/tile/0/001", 404, "SP_ERR_NOT_FOUND");

	assert_int_equal(node_stop(&n, SIGTERM), 0);
	assert_int_equal(sp_h_wait_text(n.log, "stopped origin=" ORIGIN, 1000), 0);

	/* Byte for byte what the store holds. */
	char store_dir[PATH_MAX + 16];
	snprintf(store_dir, sizeof(store_dir), "%s/data/store", n.dir);
	struct sp_store_opts so = {.read_only = 1, .verify_threads = 1};
	struct sp_store *s;
	assert_int_equal(sp_store_open(store_dir, &so, &s), 0);
	uint32_t id;
	assert_int_equal(sp_store_log_find(s, ORIGIN, &id), 0);
	for (int i = 0; i < 5; i++) {
		struct sp_buf b;
		sp_buf_init(&b);
		int rc = f[i].level < 0 ? sp_store_bundle(s, id, f[i].k, f[i].w, &b)
					: sp_store_tile(s, id, (unsigned)f[i].level, f[i].k, f[i].w, &b);
		assert_int_equal(rc, 0);
		assert_int_equal(b.len, f[i].r.len);
		assert_memory_equal(b.p, f[i].r.body, b.len);
		sp_buf_free(&b);
		sp_h_resp_free(&f[i].r);
	}
	uint8_t root[32];
	assert_int_equal(sp_store_root(s, id, ENTRIES, root), 0);
	assert_memory_equal(root, c.root, 32);
	sp_store_close(s);
	sp_h_resp_free(&cp);
}

/* ---- errors and limits --------------------------------------------------------------- */

static void test_errors(void **state)
{
	struct node n;
	node_init(&n, "errors", "[http]\nrate_limit = 0\nmax_body_bytes = 4096\n");
	node_start(&n);

	expect_get_error(&n, "/nope", 404, "SP_ERR_NOT_FOUND");
	expect_get_error(&n, "/v1/status/", 404, "SP_ERR_NOT_FOUND");
	expect_get_error(&n, "/logs/99.99/checkpoint", 404, "SP_ERR_NOT_FOUND");
	expect_get_error(&n, "/logs/../v1/status", 404, "SP_ERR_NOT_FOUND");
	expect_get_error(&n, "//v1/status", 404, "SP_ERR_NOT_FOUND");
	static const char *const bad_tiles[] = {
		"0/1",     "0/000.p/0", "0/000.p/256", "0/x000/000", "9/000", "entries/",
		"entries/-1", "0/000.p/", "0/0000", "-1/000", "0/000.p/05", "0/%30%30%30.p/1x",
		/* 2^56-1 (index * 256 + width wraps to 0) and beyond: 404, never 500 or 200. */
		"0/x072/x057/x594/x037/x927/935", "entries/x072/x057/x594/x037/x927/935",
		"0/x072/x057/x594/x037/x927/935.p/1", "entries/x072/x057/x594/x037/x927/936",
		"3/x072/x057/x594/x037/x927/936", "0/x999/x999/x999/x999/x999/999",
	};
	for (size_t i = 0; i < sizeof(bad_tiles) / sizeof(bad_tiles[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "/logs/" INST "/tile/%s", bad_tiles[i]);
		expect_get_error(&n, path, 404, "SP_ERR_NOT_FOUND");
	}

	struct sp_h_resp r;
	char allow[64];
	assert_int_equal(sp_h_http(n.addr, "POST", "/v1/status", NULL, "{}", 2, &r), 0);
	expect_error(&r, 405, "SP_ERR_HTTP_BAD_REQUEST");
	assert_string_equal(sp_h_header(&r, "Allow", allow, sizeof(allow)), "GET, HEAD");
	sp_h_resp_free(&r);

	/* Over the body limit: refused from the header, before the body. */
	assert_int_equal(sp_h_http(n.addr, "POST", "/v1/checkpoint/sign",
				   "Content-Length: 100000000\r\n", NULL, 0, &r),
			 0);
	expect_error(&r, 413, "SP_ERR_HTTP_TOO_LARGE");
	sp_h_resp_free(&r);
	char *big = calloc(1, 5000);
	assert_int_equal(sp_h_http(n.addr, "POST", "/v1/checkpoint/sign", NULL, big, 5000, &r), 0);
	expect_error(&r, 413, "SP_ERR_HTTP_TOO_LARGE");
	sp_h_resp_free(&r);
	free(big);

	/* The asynchronous admin endpoint: parked, signed on the pool, answered. */
	assert_int_equal(sp_h_http(n.addr, "POST", "/v1/checkpoint/sign", NULL, NULL, 0, &r), 0);
	if (r.status != 200)
		fail_msg("sign: %d %s", r.status, r.body);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "origin")), ORIGIN);
	assert_non_null(json_string_value(json_object_get(j, "checkpoint")));
	json_decref(j);
	sp_h_resp_free(&r);

	/* Nothing above changed the log; metrics counted every answer. */
	json_t *st = get_json(&n, "/v1/status", 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "own_log"), "size")),
			 0);
	json_decref(st);
	assert_int_equal(sp_h_http(n.addr, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "simpul_http_requests_total{route=\"unmatched\",code=\"404\"} 4"));
	assert_non_null(strstr(r.body, "simpul_http_requests_total{route=\"POST /v1/checkpoint/sign\","
				       "code=\"200\"} 1"));
	assert_non_null(strstr(r.body, "simpul_log_entries{origin=\"" ORIGIN "\",own=\"1\"} 0"));
	assert_non_null(strstr(r.body, "simpul_uptime_seconds "));
	sp_h_resp_free(&r);
	assert_int_equal(node_stop(&n, SIGTERM), 0);
}

/* ---- rate limit and reload -------------------------------------------------------------- */

static int burst(struct node *n, int count, int *limited)
{
	int ok = 0;
	*limited = 0;
	for (int i = 0; i < count; i++) {
		struct sp_h_resp r;
		assert_int_equal(sp_h_http(n->addr, "GET", "/v1/status", NULL, NULL, 0, &r), 0);
		if (r.status == 200) {
			ok++;
		} else {
			expect_error(&r, 429, "SP_ERR_RATE_LIMITED");
			char ra[16];
			assert_non_null(sp_h_header(&r, "Retry-After", ra, sizeof(ra)));
			(*limited)++;
		}
		sp_h_resp_free(&r);
	}
	return ok;
}

static void test_rate_limit_and_reload(void **state)
{
	struct node n;
	node_init(&n, "rate", "[http]\nrate_limit = 1\nrate_burst = 5\n");
	node_start(&n);
	int limited, ok = burst(&n, 20, &limited);
	assert_true(ok >= 5 && ok <= 7);
	assert_true(limited >= 13);

	/* A broken config (a key set twice) is refused on reload and the
	 * running one kept. */
	char *text = sp_h_slurp(n.ini, NULL);
	assert_non_null(text);
	FILE *f = fopen(n.ini, "a");
	assert_non_null(f);
	fputs("[http]\nrate_limit = 0\n", f);
	fclose(f);
	kill(n.pid, SIGHUP);
	assert_int_equal(sp_h_wait_text(n.log, "reload failed", 5000), 0);
	assert_int_equal(sp_h_wait_text(n.log, "rate_limit is set twice", 100), 0);

	/* Lift the limit, raise the log level, reload: logged and applied. */
	char *at = strstr(text, "rate_limit = 1\n");
	assert_non_null(at);
	memcpy(at, "rate_limit = 0\n", 15);
	at = strstr(text, "log_level = info\n");
	assert_non_null(at);
	f = fopen(n.ini, "w");
	assert_non_null(f);
	fprintf(f, "%.*slog_level = debug\n%s", (int)(at - text), text, at + 17);
	fclose(f);
	free(text);
	kill(n.pid, SIGHUP);
	assert_int_equal(sp_h_wait_text(n.log, "reloaded log_level=debug rate_limit=0", 5000), 0);
	ok = burst(&n, 30, &limited);
	assert_int_equal(ok, 30);
	assert_int_equal(limited, 0);
	/* debug level now logs each request */
	assert_int_equal(sp_h_wait_text(n.log, "GET /v1/status status=200", 2000), 0);
	assert_int_equal(node_stop(&n, SIGTERM), 0);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

static uint64_t own_size(struct node *n)
{
	json_t *st = get_json(n, "/v1/status", 200);
	uint64_t size =
		(uint64_t)json_integer_value(json_object_get(json_object_get(st, "own_log"), "size"));
	json_decref(st);
	return size;
}

static void test_restart_and_crash(void **state)
{
	struct node n;
	node_init(&n, "restart", "[http]\nrate_limit = 0\n");
	node_fill(&n, 10);
	node_start(&n);
	assert_int_equal(own_size(&n), 10);
	assert_int_equal(node_stop(&n, SIGINT), 0);
	struct stat st;
	assert_int_equal(stat(n.addr_file, &st), -1); /* removed on a clean stop */

	node_start(&n);
	assert_int_equal(own_size(&n), 10);
	assert_int_equal(node_stop(&n, SIGKILL), 128 + SIGKILL);

	node_start(&n);
	assert_int_equal(own_size(&n), 10);
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(n.addr, "GET", "/logs/" INST "/checkpoint", NULL, NULL, 0, &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, ORIGIN "\n10\n"));
	sp_h_resp_free(&r);
	assert_int_equal(node_stop(&n, SIGTERM), 0);
}

static void test_key_mode_refused(void **state)
{
	struct node n;
	node_init(&n, "keymode", NULL);
	char key[PATH_MAX + 16];
	snprintf(key, sizeof(key), "%s/node.key", n.dir);
	assert_int_equal(chmod(key, 0644), 0);
	const char *argv[] = {g_simpuld, "--config", n.ini, NULL};
	assert_int_equal(sp_h_run(argv, n.log, 10000), 1);
	char *log = sp_h_slurp(n.log, NULL);
	assert_non_null(log);
	if (strstr(log, "chmod 600") == NULL || strstr(log, "simpuld.ini:8: [node] key = ") == NULL ||
	    strstr(log, "cannot use key file") == NULL)
		fail_msg("unclear refusal:\n%s", log);
	free(log);
}

/* check_expect runs --check-config on ini; want NULL: ok, else the message. */
static void check_expect(const char *ini, const char *want)
{
	char out[PATH_MAX + 64];
	snprintf(out, sizeof(out), "%s.check", ini);
	const char *argv[] = {g_simpuld, "--check-config", ini, NULL};
	int code = sp_h_run(argv, out, 10000);
	char *text = sp_h_slurp(out, NULL);
	if (code != (want ? 1 : 0) || (want && strstr(text, want) == NULL))
		fail_msg("--check-config %s: exit %d, want '%s':\n%s", ini, code,
			 want ? want : "ok", text);
	free(text);
}

/* ini_replace rewrites the first `from` in file ini as `to`. */
static void ini_replace(const char *ini, const char *from, const char *to)
{
	size_t len;
	char *text = sp_h_slurp(ini, &len), *at = strstr(text, from);
	assert_non_null(at);
	FILE *f = fopen(ini, "w");
	fprintf(f, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	fclose(f);
	free(text);
}

/* --check-config catches what would stop a start: the key file missing or
 * readable by others, the data path a file, the HTTP port in use. */
static void test_check_config_env(void **state)
{
	(void)state;
	struct node n;
	node_init(&n, "checkenv", NULL);
	check_expect(n.ini, NULL);
	char key[PATH_MAX + 16], moved[PATH_MAX + 32], data[PATH_MAX + 16];
	snprintf(key, sizeof(key), "%s/node.key", n.dir);
	snprintf(moved, sizeof(moved), "%s.away", key);
	assert_int_equal(chmod(key, 0644), 0);
	check_expect(n.ini, "[node] key = ");
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(rename(key, moved), 0);
	check_expect(n.ini, "[node] key = ");
	assert_int_equal(rename(moved, key), 0);
	check_expect(n.ini, NULL);
	/* the data path is a file */
	snprintf(data, sizeof(data), "%s/data", n.dir);
	sp_test_rmtree(data);
	FILE *f = fopen(data, "w");
	fclose(f);
	check_expect(n.ini, "simpuld.ini:9: [node] data = ");
	check_expect(n.ini, "not a folder");
	unlink(data);
	/* the port is taken */
	char taken[64];
	int fd = sp_h_take_port(taken, sizeof(taken));
	ini_replace(n.ini, "127.0.0.1:0", taken);
	check_expect(n.ini, "the port is in use");
	close(fd);
	check_expect(n.ini, NULL);
}

static void test_cli_modes(void **state)
{
	bins();
	const char *dir = sp_test_tmpdir("modes");
	char out[PATH_MAX], bad[PATH_MAX], ddir[PATH_MAX], addr_file[PATH_MAX + 32];
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(bad, sizeof(bad), "%s/bad.ini", dir);
	FILE *f = fopen(bad, "w");
	fputs("[node]\nid = 1\nfederation = x\n[http]\nthreads = lots\n", f);
	fclose(f);
	const char *check[] = {g_simpuld, "--check-config", bad, NULL};
	assert_int_equal(sp_h_run(check, out, 10000), 1);
	char *text = sp_h_slurp(out, NULL);
	assert_non_null(strstr(text, "bad.ini:5: 'lots' is not a whole number"));
	free(text);
	const char *usage[] = {g_simpuld, NULL};
	assert_int_equal(sp_h_run(usage, out, 10000), 2);

	/* Zero set-up: the built-in config, a key made on first start. */
	snprintf(ddir, sizeof(ddir), "%s/default", dir);
	snprintf(addr_file, sizeof(addr_file), "%s/data/simpuld.addr", ddir);
	const char *dflt[] = {g_simpuld, "--default", "--dir", ddir, "--http", "127.0.0.1:0", NULL};
	struct node n = {0};
	n.pid = sp_h_spawn(dflt, out);
	assert_int_equal(sp_h_wait_file(addr_file, START_MS), 0);
	char *a = sp_h_slurp(addr_file, NULL);
	sscanf(a, "%63s", n.addr);
	free(a);
	json_t *st = get_json(&n, "/v1/status", 200);
	assert_string_equal(json_string_value(json_object_get(st, "origin")), "demo.simpul.id/73.12");
	json_decref(st);
	assert_int_equal(node_stop(&n, SIGTERM), 0);
	char key[PATH_MAX + 16];
	snprintf(key, sizeof(key), "%s/node.key", ddir);
	struct stat sb;
	assert_int_equal(stat(key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

/* ---- asynchronous completion, in-process --------------------------------------------- */

struct async_ctx {
	struct sp_store *store;
};

static void append_done(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	struct sp_http_req *req = arg; /* the store's commit thread */
	struct sp_http_resp *res = sp_http_resp_of(req);
	if (err)
		sp_http_reply_error(res, err, NULL);
	else
		sp_http_reply_json(res, 201, json_pack("{s:I}", "index", (json_int_t)index));
	sp_http_complete(req);
}

static int post_append(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct async_ctx *ctx = req->ctx;
	if (req->body_len == 0)
		return SP_ERR_HTTP_BAD_REQUEST;
	struct sp_buf b;
	sp_buf_init(&b);
	sp_cbor_put_map(&b, 1);
	sp_cbor_put_uint(&b, 0);
	sp_cbor_put_text(&b, (const char *)req->body, req->body_len);
	sp_http_suspend(req);
	int rc = sp_store_append_async(ctx->store, 99, b.p, b.len, append_done, req);
	sp_buf_free(&b);
	if (rc) {
		sp_http_reply_error(res, rc, NULL);
		sp_http_complete(req);
	}
	return SP_HTTP_SUSPENDED;
}

static const struct sp_http_route async_routes[] = {
	{"POST", "/append", post_append, 0},
	{NULL, NULL, NULL, 0},
};

struct client {
	const char *addr;
	int ok;
	uint64_t seen[10];
};

static void *client_run(void *arg)
{
	struct client *c = arg;
	for (int i = 0; i < 10; i++) {
		struct sp_h_resp r;
		if (sp_h_http(c->addr, "POST", "/append", NULL, "laporan", 7, &r) == 0 &&
		    r.status == 201) {
			json_t *j = json_loads(r.body, 0, NULL);
			c->seen[c->ok++] = (uint64_t)json_integer_value(json_object_get(j, "index"));
			json_decref(j);
		}
		sp_h_resp_free(&r);
	}
	return NULL;
}

static void test_async_append(void **state)
{
	const char *dir = sp_test_tmpdir("async");
	uint8_t pk[32], sk[64];
	sp_test_keypair(3, pk, sk);
	struct sp_store_opts so = {.own_origin = ORIGIN, .own_sk = sk, .checkpoint_ms = 100};
	struct async_ctx ctx;
	assert_int_equal(sp_store_open(dir, &so, &ctx.store), 0);
	struct sp_logx log;
	sp_logx_init(&log, 2, SP_LOGX_WARN);
	struct sp_http_opts ho = {.listen = "127.0.0.1:0", .max_body_bytes = 4096,
				  .max_connections = 64, .timeout_s = 5, .threads = 2,
				  .rate_limit = 0, .rate_burst = 1, .log = &log};
	struct sp_http *h;
	assert_int_equal(sp_http_new(&ho, &h), 0);
	assert_int_equal(sp_http_add_routes(h, async_routes, &ctx), 0);
	assert_int_equal(sp_http_start(h), 0);
	char addr[80];
	assert_int_equal(sp_http_addr(h, addr, sizeof(addr)), 0);

	enum { NCLIENTS = 8 };
	struct client cl[NCLIENTS];
	pthread_t th[NCLIENTS];
	for (int i = 0; i < NCLIENTS; i++) {
		cl[i] = (struct client){.addr = addr};
		assert_int_equal(pthread_create(&th[i], NULL, client_run, &cl[i]), 0);
	}
	uint8_t seen[NCLIENTS * 10] = {0};
	for (int i = 0; i < NCLIENTS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(cl[i].ok, 10);
		for (int k = 0; k < 10; k++) {
			assert_true(cl[i].seen[k] < NCLIENTS * 10);
			assert_int_equal(seen[cl[i].seen[k]]++, 0); /* every index once */
		}
	}
	/* A bad request is answered at once and appends nothing. */
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(addr, "POST", "/append", NULL, NULL, 0, &r), 0);
	expect_error(&r, 400, "SP_ERR_HTTP_BAD_REQUEST");
	sp_h_resp_free(&r);
	sp_http_quiesce(h);
	for (int i = 0; i < 500 && sp_http_inflight(h); i++)
		usleep(10000);
	assert_int_equal(sp_http_inflight(h), 0);
	sp_http_free(h);
	uint32_t id;
	struct sp_log_info info;
	assert_int_equal(sp_store_own_log(ctx.store, &id), 0);
	assert_int_equal(sp_store_log_info(ctx.store, id, &info), 0);
	assert_int_equal(info.size, NCLIENTS * 10);
	sp_store_close(ctx.store);
}

/* ---- hostile clients: framing, slots, slow heads, JSON bombs ------------------------------- */

/* dial_from connects to addr ("127.0.0.1:port") from source address src
 * (any 127.x.y.z works on Linux loopback); -1 if refused. */
static int dial_from(const char *src, const char *addr)
{
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	struct sockaddr_in from = {.sin_family = AF_INET};
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &to.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* raw_exchange sends req as is on a fresh connection and returns all the
 * server sent until it closed (malloc'ed, NUL-terminated). */
static char *raw_exchange(const char *addr, const char *req, size_t len)
{
	int fd = dial_from("127.0.0.1", addr);
	assert_true(fd >= 0);
	/* The node may answer and close before it has all of a request it
	 * refuses: what it did not read is not an error here. */
	for (size_t off = 0; off < len;) {
		ssize_t sent = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (sent <= 0)
			break;
		off += (size_t)sent;
	}
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (ssize_t rd; got + 1 < cap && (rd = recv(fd, buf + got, cap - got - 1, 0)) > 0;)
		got += (size_t)rd;
	close(fd);
	buf[got] = '\0';
	return buf;
}

/* count_of counts the occurrences of needle in hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_strict_framing(void **state)
{
	(void)state;
	struct node n;
	node_init(&n, "framing", "[http]\nrate_limit = 0\n");
	node_start(&n);

	/* Content-Length and Transfer-Encoding: one 400 and the connection
	 * closed; the request smuggled behind it never runs. */
	static const char smuggle[] =
		"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
		"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n";
	char *got = raw_exchange(n.addr, smuggle, sizeof(smuggle) - 1);
	assert_int_equal(count_of(got, "HTTP/1.1 "), 1);
	assert_non_null(strstr(got, "HTTP/1.1 400"));
	assert_non_null(strstr(got, "SP_ERR_HTTP_BAD_REQUEST"));
	free(got);

	/* Two different Content-Lengths. */
	static const char twice[] =
		"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		"Content-Length: 2\r\nContent-Length: 30\r\nConnection: close\r\n\r\n{}";
	got = raw_exchange(n.addr, twice, sizeof(twice) - 1);
	assert_non_null(strstr(got, "HTTP/1.1 400"));
	assert_non_null(strstr(got, "SP_ERR_HTTP_BAD_REQUEST"));
	free(got);

	/* %00 does not cut a path short. */
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(n.addr, "GET", "/logs/" INST "/checkpoint%00.txt", NULL, NULL, 0,
				   &r),
			 0);
	expect_error(&r, 400, "SP_ERR_HTTP_BAD_REQUEST");
	sp_h_resp_free(&r);
	assert_int_equal(sp_h_http(n.addr, "GET", "/v1/status%00", NULL, NULL, 0, &r), 0);
	expect_error(&r, 400, "SP_ERR_HTTP_BAD_REQUEST");
	sp_h_resp_free(&r);

	/* JSON routes take JSON only. */
	static const char *const types[] = {NULL, "Content-Type: text/plain\r\n",
					    "Content-Type: application/jsonx\r\n",
					    "Content-Type: application/x-www-form-urlencoded\r\n"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(sp_h_http(n.addr, "POST", "/v1/reports", types[i], "{}", 2, &r), 0);
		expect_error(&r, 415, "SP_ERR_HTTP_BAD_REQUEST");
		sp_h_resp_free(&r);
	}

	/* A body that would make the parser build far more than itself. */
	size_t len = 1 << 19;
	char *bomb = malloc(len);
	assert_non_null(bomb);
	bomb[0] = '[';
	for (size_t i = 1; i + 3 < len; i += 3)
		memcpy(bomb + i, "{},", 3);
	memcpy(bomb + len - 3, "{}]", 3);
	assert_int_equal(sp_h_http(n.addr, "POST", "/v1/reports",
				   "Content-Type: application/json\r\n", bomb, len, &r),
			 0);
	expect_error(&r, 400, "SP_ERR_HTTP_BAD_REQUEST");
	assert_non_null(strstr(r.body, "too many values"));
	sp_h_resp_free(&r);
	memset(bomb, '[', 40);
	assert_int_equal(sp_h_http(n.addr, "POST", "/v1/reports",
				   "Content-Type: application/json; charset=utf-8\r\n", bomb, 40, &r),
			 0);
	expect_error(&r, 400, "SP_ERR_HTTP_BAD_REQUEST");
	sp_h_resp_free(&r);
	free(bomb);

	/* The node is still up and unchanged. */
	json_t *st = get_json(&n, "/v1/status", 200);
	json_decref(st);
	assert_int_equal(node_stop(&n, SIGTERM), 0);
}

/* expect_raw_json: a raw answer is status in the JSON error format with code. */
static void expect_raw_json(const char *got, const char *status, const char *code)
{
	if (strncmp(got, status, strlen(status)) != 0 ||
	    strstr(got, "Content-Type: application/json") == NULL || strstr(got, code) == NULL)
		fail_msg("want %s %s in JSON, got: %.300s", status, code, got);
}

/* raw_head sends a request line with a target of target_len bytes and
 * nheaders headers of header_len bytes each, and returns the answer. */
static char *raw_head(const char *addr, size_t target_len, int nheaders, size_t header_len)
{
	size_t cap = target_len + (size_t)nheaders * (header_len + 16) + 256, n = 0;
	char *req = malloc(cap);
	assert_non_null(req);
	n += (size_t)sprintf(req, "GET /v1/status?x=");
	memset(req + n, 'a', target_len - 13), n += target_len - 13; /* 13: "/v1/status?x=" */
	n += (size_t)sprintf(req + n, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
	for (int i = 0; i < nheaders; i++) {
		n += (size_t)sprintf(req + n, "X-Pad-%d: ", i);
		memset(req + n, 'b', header_len), n += header_len;
		n += (size_t)sprintf(req + n, "\r\n");
	}
	n += (size_t)sprintf(req + n, "\r\n");
	char *got = raw_exchange(addr, req, n);
	free(req);
	return got;
}

/* The errors libmicrohttpd would answer itself, in HTML, are the node's,
 * in its JSON format: a target or head too large (below the connection's
 * memory), a chunked body too large. What only libmicrohttpd can still
 * answer (docs/api.md, "Limits") keeps its status, and the node stays up. */
static void test_early_errors(void **state)
{
	(void)state;
	struct node n;
	node_init(&n, "early", "[http]\nrate_limit = 0\nmax_body_bytes = 1024\n");
	node_start(&n);

	/* Targets: over the node's 8 KiB, and over libmicrohttpd's default
	 * 32 KiB connection memory (its own HTML 414 before). */
	static const size_t targets[] = {SP_HTTP_MAX_TARGET + 1, 40000};
	for (size_t i = 0; i < 2; i++) {
		char *got = raw_head(n.addr, targets[i], 0, 0);
		expect_raw_json(got, "HTTP/1.1 414", "SP_ERR_HTTP_TOO_LARGE");
		free(got);
	}
	char *got = raw_head(n.addr, SP_HTTP_MAX_TARGET - 100, 0, 0);
	assert_non_null(strstr(got, "HTTP/1.1 200"));
	free(got);
	/* Heads: over the node's 16 KiB, and over the old 32 KiB. */
	static const int nheaders[] = {5, 10};
	for (size_t i = 0; i < 2; i++) {
		got = raw_head(n.addr, 100, nheaders[i], 4000);
		expect_raw_json(got, "HTTP/1.1 431", "SP_ERR_HTTP_TOO_LARGE");
		free(got);
	}

	/* A chunked body past max_body_bytes: 413 when it ends (it was a
	 * dropped connection), and one far past it is cut. */
	char req[8192];
	int k = sprintf(req, "POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 3; i++) {
		k += sprintf(req + k, "400\r\n");
		memset(req + k, ' ', 0x400), k += 0x400;
		k += sprintf(req + k, "\r\n");
	}
	k += sprintf(req + k, "0\r\n\r\n");
	got = raw_exchange(n.addr, req, (size_t)k);
	expect_raw_json(got, "HTTP/1.1 413", "SP_ERR_HTTP_TOO_LARGE");
	free(got);

	/* Left to libmicrohttpd: an HTTP version it does not take (505), a
	 * request line, header line or chunk framing it cannot parse (400; no
	 * answer at all to a request line without a space), a Content-Length
	 * past 2^64 (413), a head past the connection's memory (431). Statuses as documented. */
	static const struct {
		const char *req, *status;
	} mhd[] = {
		{"GET /v1/status HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505"},
		{"GET /v1/status HTTP/0.9\r\nHost: x\r\n\r\n", "HTTP/1.1 505"},
		{"GET /v1/status HTTX/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"},
		{"GET /v1/status HTTP/1.1\r\nHost x\r\n\r\n", "HTTP/1.1 400"},
		{"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
		 "HTTP/1.1 400"},
		{"GET\r\n\r\n", ""}, /* no answer at all: the connection is closed */
		{"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		 "HTTP/1.1 413"},
	};
	for (size_t i = 0; i < sizeof(mhd) / sizeof(mhd[0]); i++) {
		got = raw_exchange(n.addr, mhd[i].req, strlen(mhd[i].req));
		if (strncmp(got, mhd[i].status, strlen(mhd[i].status)) != 0 ||
		    (!*mhd[i].status && *got))
			fail_msg("%s: want %s, got %.200s", mhd[i].req, mhd[i].status, got);
		free(got);
	}
	got = raw_head(n.addr, 100, 20, 4000);
	assert_non_null(strstr(got, "HTTP/1.1 431"));
	free(got);

	json_t *st = get_json(&n, "/v1/status", 200);
	json_decref(st);
	assert_int_equal(node_stop(&n, SIGTERM), 0);
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One address opening every slot and holding it with a head it never
 * finishes cannot keep the node from others, and a head trickled in a
 * byte at a time is cut at the deadline. */
static void test_connection_slots(void **state)
{
	(void)state;
	struct node n;
	node_init(&n, "slots",
		  "[http]\nrate_limit = 0\nmax_connections = 8\nmax_connections_per_address = 4\n"
		  "request_timeout_s = 60\nheader_timeout_s = 2\n");
	node_start(&n);

	int hog[8];
	for (int i = 0; i < 8; i++) {
		hog[i] = dial_from("127.0.0.1", n.addr);
		if (hog[i] >= 0)
			send(hog[i], "GET /v1/status HTTP/1.1\r\nHo", 27, MSG_NOSIGNAL);
	}
	usleep(300000);
	/* Another address is answered while the hog holds all it can. */
	int other = dial_from("127.0.0.2", n.addr);
	assert_true(other >= 0);
	static const char req[] = "GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	assert_int_equal(send(other, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
	char buf[4096];
	ssize_t rd = recv(other, buf, sizeof(buf) - 1, 0);
	assert_true(rd > 12);
	buf[rd] = '\0';
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	close(other);

	/* A slow head, one byte every 300 ms, from a third address: cut at the
	 * 2 s deadline though it is never idle for the 60 s idle timeout. */
	int slow = dial_from("127.0.0.3", n.addr);
	assert_true(slow >= 0);
	double t0 = mono_s();
	const char *trickle = "GET /v1/status HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	int cut = 0;
	for (size_t i = 0; trickle[i] && mono_s() - t0 < 6.0; i++) {
		if (send(slow, trickle + i, 1, MSG_NOSIGNAL) != 1) {
			cut = 1;
			break;
		}
		struct timeval tv = {0, 300000};
		setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char c;
		ssize_t got = recv(slow, &c, 1, 0);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			cut = 1;
			break;
		}
	}
	double took = mono_s() - t0;
	close(slow);
	assert_true(cut);
	assert_true(took >= 1.5 && took < 4.5);
	/* The hog's connections were cut too: its address may connect again. */
	for (int i = 0; i < 8; i++)
		if (hog[i] >= 0)
			close(hog[i]);
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(n.addr, "GET", "/v1/status", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	sp_h_resp_free(&r);
	assert_int_equal(node_stop(&n, SIGTERM), 0);
}

static void test_json_bounds(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int ok;
	} cases[] = {
		{"{}", 1},
		{"{\"a\":[1,2,3],\"b\":{\"c\":\"[[[[,,,,]]]]\"}}", 1},
		{"\"\\\"[[[[[[[[[[[[[[[[[[[[\"", 1}, /* brackets inside a string */
		{"[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", 1},   /* 16 deep */
		{"[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", 0}, /* 17 deep */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sp_http_json_bounded((const uint8_t *)cases[i].text,
						      strlen(cases[i].text), SP_HTTP_JSON_DEPTH,
						      SP_HTTP_JSON_VALUES),
				 cases[i].ok ? 0 : SP_ERR_HTTP_BAD_REQUEST);
	char many[4000];
	size_t k = 0;
	many[k++] = '[';
	for (int i = 0; i < 1100; i++) {
		if (i)
			many[k++] = ',';
		many[k++] = '1';
	}
	many[k++] = ']';
	assert_int_equal(sp_http_json_bounded((const uint8_t *)many, k, 16, 1024),
			 SP_ERR_HTTP_BAD_REQUEST);
	assert_int_equal(sp_http_json_bounded((const uint8_t *)many, k, 16, 4096), 0);
	assert_true(sp_http_json_type("application/json"));
	assert_true(sp_http_json_type("Application/JSON; charset=utf-8"));
	assert_false(sp_http_json_type("application/jsonp"));
	assert_false(sp_http_json_type(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serve_log),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_rate_limit_and_reload),
		cmocka_unit_test(test_restart_and_crash),
		cmocka_unit_test(test_key_mode_refused),
		cmocka_unit_test(test_cli_modes),
		cmocka_unit_test(test_check_config_env),
		cmocka_unit_test(test_async_append),
		cmocka_unit_test(test_strict_framing),
		cmocka_unit_test(test_early_errors),
		cmocka_unit_test(test_connection_slots),
		cmocka_unit_test(test_json_bounds),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

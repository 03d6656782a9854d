/*
 * test_root_rotation.c - the national coordinator rotates its own signing
 * key (the federation's root key) while the federation runs, between real
 * simpuld processes on 127.0.0.1 (docs/operations.md runbook "Rotate the
 * coordinator's key", docs/protocol.md §9 "Following the root key").
 *
 * A subset-73 federation from `simpul federation init`: C = the national
 * coordinator (KEMENPANRB, its own log is the directory), A = Kabupaten
 * Soppeng (73.12) dialing C. Every node keeps the genesis root key as
 * [federation] root_key. Checked:
 *   - before: a directory request signed with C's node key is written;
 *   - a new key C's node does not hold is refused (SP_ERR_CONFIG, nothing
 *     written); configured as [node] key with the old one as key_previous
 *     and reloaded, C keeps signing with the old key, also after a restart
 *     (before which `simpul index verify` passes on its store); the coordinator's
 *     admin publishes it and C switches at once: its status vkey changes,
 *     and a record written after it (an officer enrolment, signed by the new
 *     key) reaches A, whose checkpoint of C's log opens with the new key
 *     and not with the old one;
 *   - the old key is refused: a request it signs writes nothing;
 *   - a node joining afterwards (`simpul init --join` from A with the
 *     genesis root key) verifies the chain across the rotation, starts from
 *     that directory file, and replicates the records written since;
 *   - `simpul audit` with the genesis root key passes over the rotation
 *     (sources C, A and the new node), and so does A's Transparansi page
 *     in a real browser (tests/web/rotation.test.mjs);
 *   - C and A restart (C with the new key, A from its store) and records
 *     still flow.
 * Every node's ports are chosen by the kernel (port 0).
 */
#include "sp_testutil.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_node_harness.h"
#include "sp_note.h"

#define WAIT_MS 60000
#define BIG (2 * PATH_MAX)

static struct {
	char dir[PATH_MAX - 64];
	char fed[PATH_MAX - 32];
	char root_vkey[300];
	char c_url[96], a_url[96], n_url[96];
	struct sp_h_node a, c, n;
} g;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static json_t *get_json(const struct sp_h_node *n, const char *path)
{
	char *body = sp_h_get(n->addr, path, NULL);
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	free(body);
	return j;
}

/* status_str: field `key` of n's GET /v1/status into out. */
static void status_str(const struct sp_h_node *n, const char *key, char *out, size_t cap)
{
	json_t *j = get_json(n, "/v1/status");
	assert_non_null(j);
	snprintf(out, cap, "%s", json_string_value(json_object_get(j, key)) ?: "");
	json_decref(j);
}

static long long own_size(const struct sp_h_node *n)
{
	json_t *j = get_json(n, "/v1/status");
	assert_non_null(j);
	long long s = json_integer_value(json_object_get(json_object_get(j, "own_log"), "size"));
	json_decref(j);
	return s;
}

/* cli runs `simpul args...`, wants exit code want, returns its output. */
static char *cli(int want, const char *const *args)
{
	char out[BIG];
	snprintf(out, sizeof(out), "%s/cli.out", g.dir);
	unlink(out); /* the harness appends */
	return sp_h_simpul(g.dir, want, args);
}

#define CLI(want, ...)                                                                         \
	do {                                                                                   \
		const char *args_[] = {__VA_ARGS__, NULL};                                     \
		free(cli(want, args_));                                                        \
	} while (0)

static int wait_for(int (*ok)(void *), void *arg)
{
	uint64_t t0 = mono_ms();
	while (!ok(arg) && mono_ms() - t0 < WAIT_MS)
		usleep(100000);
	return ok(arg);
}

static void line_after(const char *text, const char *key, char *out, size_t cap)
{
	const char *p = strstr(text, key);
	if (p == NULL)
		fail_msg("no '%s' in:\n%s", key, text);
	char fmt[16];
	snprintf(fmt, sizeof(fmt), "%%%zus", cap - 1);
	sscanf(p + strlen(key), fmt, out);
}

static void key_of(char *out, size_t cap, const char *id, const char *kind)
{
	snprintf(out, cap, "%s/keys/%s%s%s.key", g.fed, id, kind[0] ? "." : "", kind);
}

/* ---- fixture ------------------------------------------------------------------------------- */

static void node_init(struct sp_h_node *n, const char *id, const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", g.dir, dir);
	sp_h_node_init(n, id, path);
	assert_int_equal(mkdir(n->data, 0700), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g.dir, sizeof(g.dir), "%s", sp_test_tmpdir("root_rotation"));
	snprintf(g.fed, sizeof(g.fed), "%s/fed", g.dir);
	sp_h_fedgen(g.dir, g.fed, 0, g.root_vkey, sizeof(g.root_vkey));
	node_init(&g.c, "KEMENPANRB", "c");
	node_init(&g.a, "73.12", "a");
	char from[BIG], out[BIG];
	snprintf(from, sizeof(from), "%s/store", g.fed);
	snprintf(out, sizeof(out), "%s/cp.out", g.c.dir);
	const char *cp[] = {"/bin/cp", "-R", from, g.c.data, NULL};
	assert_int_equal(sp_h_run(cp, out, 60000), 0);
	sp_h_node_config(&g.c, g.fed, g.root_vkey, "listen = tcp://127.0.0.1:0\npeers = \n");
	sp_h_node_start(&g.c, 1);
	char peer[256];
	snprintf(peer, sizeof(peer), "listen = \npeers = %s\n", g.c.peer_url);
	sp_h_node_config(&g.a, g.fed, g.root_vkey, peer);
	sp_h_node_start(&g.a, 0);
	snprintf(g.c_url, sizeof(g.c_url), "http://%s", g.c.addr);
	snprintf(g.a_url, sizeof(g.a_url), "http://%s", g.a.addr);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	struct sp_h_node *all[] = {&g.a, &g.c, &g.n};
	for (int i = 0; i < 3; i++)
		sp_h_node_kill(all[i]);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------------------- */

/* set_key rewrites n's [node] key (and key_previous), sends SIGHUP and
 * waits for the log line want. */
static void set_key(const struct sp_h_node *n, const char *cur, const char *prev, const char *want)
{
	char *ini = sp_h_slurp(n->ini, NULL);
	assert_non_null(ini);
	char *p = strstr(ini, "\nkey = "), *end = p ? strchr(p + 1, '\n') : NULL;
	assert_non_null(end);
	FILE *f = fopen(n->ini, "w");
	assert_non_null(f);
	fprintf(f, "%.*s\nkey = %s\nkey_previous = %s\n", (int)(p - ini), ini, cur, prev);
	fputs(end + 1, f);
	fclose(f);
	free(ini);
	assert_int_equal(kill(n->pid, SIGHUP), 0);
	if (sp_h_wait_text(n->log, want, WAIT_MS))
		fail_msg("%s did not log '%s' after SIGHUP (log %s)", n->id, want, n->log);
}

/* enrol: an officer of 73.12 (a fresh key, kept in the scratch folder as
 * name.key) enrolled at C by a request signed with key_file. */
static void enrol(const char *key_file, const char *name, int want, char hex[65])
{
	char off[PATH_MAX];
	snprintf(off, sizeof(off), "%s/%s.key", g.dir, name);
	const char *gen[] = {"keygen", "--out", off, NULL};
	char *out = cli(0, gen);
	line_after(out, "public-key ", hex, 65);
	free(out);
	CLI(want, "officer", "enrol", "--node", g.c_url, "--key", key_file, "--inst", "73.12",
	    "--officer-key", off, "--name", name);
}

struct listed {
	const struct sp_h_node *node;
	const char *key;
};

static int officer_listed(void *arg)
{
	struct listed *l = arg;
	json_t *j = get_json(l->node, "/v1/officers?inst=73.12"), *it;
	size_t i;
	int found = 0;
	json_array_foreach(json_object_get(j, "officers"), i, it)
		found |= strcmp(json_string_value(json_object_get(it, "key")) ?: "", l->key) == 0;
	json_decref(j);
	return found;
}

static void wait_listed(const struct sp_h_node *n, const char *key)
{
	struct listed l = {n, key};
	if (!wait_for(officer_listed, &l)) {
		char *log = sp_h_slurp(n->log, NULL);
		fail_msg("%s does not list officer %s; its log:\n%s", n->id, key, log ? log : "");
	}
}

/* dir_cp: node n's checkpoint of C's log (note into *note if not NULL,
 * caller frees): its size, or -1. */
static long long dir_cp(const struct sp_h_node *n, char **note)
{
	char *cp = sp_h_get(n->addr, "/logs/KEMENPANRB/checkpoint", NULL);
	const char *nl = cp ? strchr(cp, '\n') : NULL;
	long long size = nl ? atoll(nl + 1) : -1;
	if (note)
		*note = cp;
	else
		free(cp);
	return size;
}

static int opens_with(const char *note, const char *vkey)
{
	struct sp_note_key k;
	struct sp_checkpoint c;
	return sp_note_vkey_parse(vkey, &k) == 0 &&
	       sp_checkpoint_open(note, strlen(note), &k, &c) == 0;
}

static int caught_up(void *arg)
{
	return dir_cp(arg, NULL) == own_size(&g.c);
}

static void wait_caught_up(const struct sp_h_node *n)
{
	if (!wait_for(caught_up, (void *)n)) {
		char *log = sp_h_slurp(n->log, NULL);
		fail_msg("%s did not catch up with C's log (%lld of %lld); its log:\n%s", n->id,
			 dir_cp(n, NULL), own_size(&g.c), log ? log : "");
	}
}

/* set_peers points n's config at C's peer listener (and adds extra). */
static void set_peers(const struct sp_h_node *n, const char *extra)
{
	char *ini = sp_h_slurp(n->ini, NULL);
	assert_non_null(ini);
	char *p = strstr(ini, "peers = "), *end = p ? strchr(p, '\n') : NULL;
	assert_non_null(end);
	FILE *f = fopen(n->ini, "w");
	assert_non_null(f);
	fprintf(f, "%.*speers = %s%s%s", (int)(p - ini), ini, g.c.peer_url, end, extra);
	fclose(f);
	free(ini);
}

/* restart stops C (if it runs) and starts it again, its peer listener on
 * a new port, then restarts A pointed at it. */
static void restart(void)
{
	sp_h_node_stop(&g.c);
	sp_h_node_start(&g.c, 1);
	snprintf(g.c_url, sizeof(g.c_url), "http://%s", g.c.addr);
	sp_h_node_stop(&g.a);
	set_peers(&g.a, "");
	sp_h_node_start(&g.a, 0);
	snprintf(g.a_url, sizeof(g.a_url), "http://%s", g.a.addr);
}

/* transparansi runs tests/web/rotation.test.mjs (node + playwright-core
 * driving Debian's chromium, as the other browser tests) on A's page. */
static void transparansi(void)
{
	char conf[BIG], log[BIG];
	snprintf(conf, sizeof(conf), "%s/web.json", g.dir);
	snprintf(log, sizeof(log), "%s/web.out", g.dir);
	json_t *c = json_pack("{s:{s:s},s:s}", "nodes", "A", g.a_url, "out", g.dir);
	assert_non_null(c);
	assert_int_equal(json_dump_file(c, conf, 0), 0);
	json_decref(c);
	const char *argv[] = {"/usr/bin/env", "node", SP_SOURCE_DIR "/tests/web/rotation.test.mjs",
			      conf, NULL};
	int rc = sp_h_run(argv, log, 120000);
	char *o = sp_h_slurp(log, NULL);
	printf("%s", o ? o : "(no output)\n");
	free(o);
	if (rc != 0)
		fail_msg("the Transparansi page failed (exit %d); output above", rc);
}

/* ---- the rotation ------------------------------------------------------------------------------ */

static void test_root_rotation(void **state)
{
	(void)state;
	char admin[PATH_MAX], old[PATH_MAX], fresh[PATH_MAX], hex[65], off[65], vkey[300];
	key_of(admin, sizeof(admin), "KEMENPANRB", "admin");
	key_of(old, sizeof(old), "KEMENPANRB", "");
	snprintf(fresh, sizeof(fresh), "%s/coordinator-2027.key", g.dir);

	/* before: the node key may sign a directory request */
	enrol(old, "sebelum", 0, off);
	wait_listed(&g.a, off);

	const char *gen[] = {"keygen", "--out", fresh, NULL};
	char *out = cli(0, gen);
	line_after(out, "public-key ", hex, sizeof(hex));
	free(out);
	/* published before C's node holds it: refused, nothing written */
	long long before = own_size(&g.c);
	CLI(1, "institution", "update", "--node", g.c_url, "--key", admin, "--id", "KEMENPANRB",
	    "--sign-key", hex);
	assert_int_equal(own_size(&g.c), before);
	/* configured and reloaded: still signing with the old key */
	set_key(&g.c, fresh, old, "is not published yet");
	status_str(&g.c, "vkey", vkey, sizeof(vkey));
	assert_string_equal(vkey, g.root_vkey);
	/* stopped while the rotation waits for its record: the report index
	 * verifies (its scratch copy opened with the key in use), and C comes
	 * back signing with key_previous */
	sp_h_node_stop(&g.c);
	CLI(0, "index", "verify", "--config", g.c.ini);
	restart();
	status_str(&g.c, "vkey", vkey, sizeof(vkey));
	assert_string_equal(vkey, g.root_vkey);
	CLI(0, "institution", "update", "--node", g.c_url, "--key", admin, "--id", "KEMENPANRB",
	    "--sign-key", hex);
	if (sp_h_wait_text(g.c.log, "signing key rotated: signing with the new key", WAIT_MS)) {
		char *lc = sp_h_slurp(g.c.log, NULL);
		fail_msg("C did not switch to its new key; its log:\n%s", lc ? lc : "");
	}
	long long rotated_at = own_size(&g.c); /* the record is entry rotated_at - 1 */
	status_str(&g.c, "vkey", vkey, sizeof(vkey));
	assert_string_not_equal(vkey, g.root_vkey);

	/* a record signed by the new key reaches A */
	enrol(admin, "sesudah", 0, off);
	wait_listed(&g.a, off);
	wait_caught_up(&g.a);
	char *note = NULL;
	assert_true(dir_cp(&g.a, &note) >= rotated_at + 1);
	assert_true(opens_with(note, vkey));
	assert_false(opens_with(note, g.root_vkey));
	free(note);

	/* the old key no longer speaks for the coordinator */
	before = own_size(&g.c);
	enrol(old, "kunci-lama", 1, off);
	assert_int_equal(own_size(&g.c), before);

	/* a node joining now verifies the chain from the genesis root key */
	char dir[PATH_MAX], sign[65], seal[65], now[65];
	snprintf(dir, sizeof(dir), "%s/n", g.dir);
	sp_h_node_init(&g.n, "74", dir);
	const char *join[] = {"init", "--dir", dir, "--id", "74", "--join", g.a_url, "--http",
			      "127.0.0.1:0", "--peer", "tcp://127.0.0.1:0", "--root-key",
			      g.root_vkey, NULL};
	out = cli(0, join);
	line_after(out, "sign-key   ", sign, sizeof(sign));
	line_after(out, "seal-key   ", seal, sizeof(seal));
	line_after(out, "coordinator key now ", now, sizeof(now));
	assert_string_equal(now, hex);
	assert_non_null(strstr(out, "1 rotation since the root key"));
	free(out);
	CLI(0, "institution", "add", "--node", g.c_url, "--key", admin, "--id", "74", "--name",
	    "Pemerintah Provinsi Sulawesi Tenggara", "--tier", "province", "--parent",
	    "KEMENPANRB", "--sign-key", sign, "--seal-key", seal, "--region", "74");
	set_peers(&g.n, "[checkpoint]\ninterval_ms = 100\n");
	sp_h_node_start(&g.n, 0);
	snprintf(g.n_url, sizeof(g.n_url), "http://%s", g.n.addr);
	enrol(admin, "untuk-74", 0, off);
	wait_listed(&g.n, off);
	wait_caught_up(&g.n);

	/* the audit follows the root key across the rotation */
	CLI(0, "audit", "--root", g.root_vkey, "--node", g.c_url, "--node", g.a_url, "--node",
	    g.n_url, "--quiet");
	/* and so does the Transparansi page, from A's genesis root key */
	transparansi();

	/* both restart: C with the new key, A from its store */
	restart();
	char again[300];
	status_str(&g.c, "vkey", again, sizeof(again));
	assert_string_equal(again, vkey);
	enrol(admin, "sesudah-mulai-ulang", 0, off);
	wait_listed(&g.a, off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_rotation),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

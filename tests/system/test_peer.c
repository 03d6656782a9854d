/*
 * test_peer.c - replication between real simpuld processes on 127.0.0.1
 * (node/sp_peer.*, docs/replication.md).
 *
 * `simpul federation init --subset 73` makes a small federation. Node A is
 * Kabupaten Soppeng (73.12): it listens for peers; its own log is filled
 * with `simpul log append` before it starts (a bulk fill) and then grows
 * through POST /v1/reports. Node B is Provinsi Sulawesi Selatan (73), A's
 * parent: it dials A. Both trust the directory. Checked:
 *   - B ends up with A's log byte for byte: the same checkpoint text and the
 *     same tiles and entry bundles over both nodes' HTTP;
 *   - B cosigns, as witness, the checkpoints of A's log it stores: its
 *     served checkpoint carries a line that verifies with B's witness key;
 *   - B killed with SIGKILL in the middle of a catch-up restarts and
 *     resumes; its store then verifies offline (no partial entries);
 *   - a node whose key the directory does not vouch for is refused
 *     (SP_ERR_UNKNOWN_PEER in A's log) and learns nothing;
 *   - garbage and oversized frames get the connection closed, and A's
 *     store is unchanged;
 *   - A restored from an older backup does not fork its log: it refuses
 *     submits (503 SP_ERR_STALE) until it has its newer entries back from
 *     B, then continues at the next index, and B takes that entry.
 */
#include "sp_testutil.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_node_harness.h"
#include "sp_note.h"
#include "sp_clock.h"

/* A cap on each wait for a condition, not a sleep: catching up 33,000
 * entries took over 20 s under ASan on a loaded 2-core machine. */
#define SYNC_MS 60000
#define FED "simpul.local"
#define BIG (2 * PATH_MAX) /* room for any path built here */

static struct {
	char dir[PATH_MAX - 64];
	char fed[PATH_MAX - 32];
	char root_vkey[300];
	struct sp_h_node a, b, c;
	/* tls+tcp:// for the nodes configured from now on: the listener's
	 * certificate and key (one PEM file) and the CA file dialers check it
	 * against ("": not checked) */
	int tls;
	char tls_cert_key[BIG], tls_ca[BIG];
} g;

/* ---- federation and nodes ---------------------------------------------------------------- */

static void node_init(struct sp_h_node *n, const char *id)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", g.dir, id);
	sp_h_node_init(n, id, path);
}

/* write_config: listen (or not) for peers and dial `peers`; with the
 * directory unless `key` names a stray key file (then [peer] keys). */
static void write_config(struct sp_h_node *n, int listen, const char *peers, const char *key,
			 const char *peer_keys)
{
	FILE *f = fopen(n->ini, "w");
	assert_non_null(f);
	fprintf(f, "[node]\nid = %s\nfederation = " FED "\ndata = %s\nlog_level = debug\n", n->id,
		n->data);
	if (key)
		fprintf(f, "key = %s\n", key);
	else
		fprintf(f, "key = %s/keys/%s.key\nseal_key = %s/keys/%s.seal\n", g.fed, n->id, g.fed,
			n->id);
	fprintf(f, "[http]\nlisten = 127.0.0.1:0\nrate_limit = 0\n[peer]\n");
	const char *url = g.tls ? "tls+tcp://127.0.0.1:0" : "tcp://127.0.0.1:0";
	fprintf(f, "listen = %s\npeers = %s\nkeys = %s\n", listen ? url : "",
		peers ? peers : "", peer_keys ? peer_keys : "");
	if (g.tls)
		fprintf(f, "tls_cert_key = %s\ntls_ca = %s\n", g.tls_cert_key, g.tls_ca);
	if (!key)
		fprintf(f, "[federation]\nroot_key = %s\ndirectory = %s\n", g.root_vkey, g.fed);
	fprintf(f, "[checkpoint]\ninterval_ms = 100\n");
	fclose(f);
}


/* ---- HTTP ---------------------------------------------------------------------------------- */

static unsigned long long cp_size(const char *cp)
{
	const char *nl = cp ? strchr(cp, '\n') : NULL;
	return nl ? strtoull(nl + 1, NULL, 10) : 0;
}

/* replica_size: entries of A's log that node n holds (from /metrics). */
static unsigned long long replica_size(const struct sp_h_node *n)
{
	char *m = sp_h_get(n->addr, "/metrics", NULL);
	unsigned long long size = 0;
	const char *line = m ? strstr(m, "origin=\"" FED "/73.12\"") : NULL;
	if (line)
		size = strtoull(strchr(line, '}') + 1, NULL, 10);
	free(m);
	return size;
}

/* same_body: two checkpoint notes with the same text (B may add its own
 * cosignature line below A's signature). */
static int same_body(const char *a, const char *b)
{
	const char *ea = a ? strstr(a, "\n\n") : NULL, *eb = b ? strstr(b, "\n\n") : NULL;
	return ea && eb && ea - a == eb - b && memcmp(a, b, (size_t)(ea - a)) == 0;
}

/* wait_synced waits until B serves the same checkpoint of A's log as A,
 * of at least `size` entries; returns that checkpoint. */
static char *wait_synced(unsigned long long size)
{
	uint64_t t0 = sp_mono_ms();
	while (sp_mono_ms() - t0 < SYNC_MS) {
		char *ca = sp_h_get(g.a.addr, "/logs/73.12/checkpoint", NULL);
		char *cb = sp_h_get(g.b.addr, "/logs/73.12/checkpoint", NULL);
		if (same_body(ca, cb) && cp_size(ca) >= size) {
			free(cb);
			return ca;
		}
		free(ca);
		free(cb);
		usleep(50000);
	}
	char *lb = sp_h_slurp(g.b.log, NULL);
	fail_msg("B did not catch up with A (%llu of %llu); B's log:\n%s", replica_size(&g.b),
		 size, lb ? lb : "");
	return NULL;
}

/* same_path: A and B serve identical bytes at path. */
static void same_path(const char *path)
{
	size_t la = 0, lb = 0;
	char *a = sp_h_get(g.a.addr, path, &la), *b = sp_h_get(g.b.addr, path, &lb);
	if (a == NULL || b == NULL || la != lb || memcmp(a, b, la) != 0)
		fail_msg("%s differs between A and B (%s %zu bytes, %s %zu bytes)", path,
			 a ? "200" : "no", la, b ? "200" : "no", lb);
	free(a);
	free(b);
}

/* same_tiles compares every entry bundle and level-0 hash tile of a tree
 * of `size` entries. */
static void same_tiles(unsigned long long size)
{
	char path[128];
	for (unsigned long long i = 0; i * 256 < size; i++) {
		unsigned long long w = size - i * 256 < 256 ? size - i * 256 : 256;
		const char *kinds[] = {"entries/", "0/"};
		for (int k = 0; k < 2; k++) {
			if (w == 256)
				snprintf(path, sizeof(path), "/logs/73.12/tile/%s%03llu", kinds[k], i);
			else
				snprintf(path, sizeof(path), "/logs/73.12/tile/%s%03llu.p/%llu",
					 kinds[k], i, w);
			same_path(path);
		}
	}
}

static int count_text(const char *path, const char *needle)
{
	char *s = sp_h_slurp(path, NULL);
	int n = 0;
	for (const char *p = s; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(s);
	return n;
}

/* ---- fixture ------------------------------------------------------------------------------- */

static int setup(void **state)
{
	snprintf(g.dir, sizeof(g.dir), "%s", sp_test_tmpdir("peer"));
	snprintf(g.fed, sizeof(g.fed), "%s/fed", g.dir);
	sp_h_fedgen(g.dir, g.fed, 0, g.root_vkey, sizeof(g.root_vkey));
	node_init(&g.a, "73.12");
	node_init(&g.b, "73");
	node_init(&g.c, "73.11");
	return 0;
}

static int teardown(void **state)
{
	struct sp_h_node *all[] = {&g.a, &g.b, &g.c};
	for (int i = 0; i < 3; i++)
		if (all[i]->pid > 0)
			sp_h_node_kill(all[i]);
	return 0;
}

/* ---- tests ------------------------------------------------------------------------------------ */

#define REPORT                                                                                 \
	"{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","            \
	"\"region\":\"73.12.03\",\"title\":\"Jalan rusak\",\"content\":\"Jalan poros berlubang\"," \
	"\"channel\":\"web\"}"

/* ---- restore from a backup ------------------------------------------------------------------ */

/* submit posts a report to n: the status, the error code (or "") and,
 * on 201, the entry's index. */
static int submit(const struct sp_h_node *n, char *code, size_t cap, unsigned long long *index)
{
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(n->addr, "POST", "/v1/reports",
				   "Content-Type: application/json\r\n", REPORT, strlen(REPORT),
				   &r),
			 0);
	json_t *o = json_loads(r.body ? r.body : "", 0, NULL);
	const char *c = json_string_value(json_object_get(json_object_get(o, "error"), "code"));
	snprintf(code, cap, "%s", c ? c : "");
	*index = (unsigned long long)json_integer_value(json_object_get(o, "index"));
	json_decref(o);
	int status = r.status;
	sp_h_resp_free(&r);
	return status;
}

/* backup runs `simpul backup` of n's data folder into out. */
static void backup(const struct sp_h_node *n, const char *out)
{
	char bin[BIG], log[BIG];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(log, sizeof(log), "%s/backup.out", n->dir);
	const char *argv[] = {bin, "backup", "--data", n->data, "--out", out, NULL};
	assert_int_equal(sp_h_run(argv, log, 60000), 0);
}

/* restore puts the backup's store in place of n's (n stopped). */
static void restore(const struct sp_h_node *n, const char *bk)
{
	char from[BIG], to[BIG], aside[BIG];
	snprintf(from, sizeof(from), "%s/store", bk);
	snprintf(to, sizeof(to), "%s/store", n->data);
	snprintf(aside, sizeof(aside), "%s/store.newer", n->dir);
	assert_int_equal(rename(to, aside), 0);
	assert_int_equal(rename(from, to), 0);
}

/* log_frozen: node n's copy of A's log is frozen (GET /v1/logs). */
static int log_frozen(const struct sp_h_node *n)
{
	char *body = sp_h_get(n->addr, "/v1/logs", NULL);
	json_t *o = json_loads(body ? body : "", 0, NULL), *v;
	json_t *logs = json_is_array(o) ? o : json_object_get(o, "logs");
	size_t i;
	int frozen = -1;
	json_array_foreach(logs, i, v) {
		const char *origin = json_string_value(json_object_get(v, "origin"));
		if (origin && strcmp(origin, FED "/73.12") == 0)
			frozen = json_is_true(json_object_get(v, "frozen"));
	}
	json_decref(o);
	free(body);
	return frozen;
}

static void test_replicate(void **state)
{
	sp_h_node_fill(&g.a, g.fed, 3000, "laporan uji replikasi");
	write_config(&g.a, 1, NULL, NULL, NULL);
	sp_h_node_start(&g.a, 1);
	write_config(&g.b, 0, g.a.peer_url, NULL, NULL);
	sp_h_node_start(&g.b, 0);
	char *cp = wait_synced(3000);
	free(cp);
	/* A live append reaches B by eager push. */
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(g.a.addr, "POST", "/v1/reports",
				   "Content-Type: application/json\r\n", REPORT, strlen(REPORT),
				   &r),
			 0);
	assert_int_equal(r.status, 201);
	sp_h_resp_free(&r);
	cp = wait_synced(3001);
	unsigned long long size = cp_size(cp);
	free(cp);
	same_tiles(size);
	assert_true(count_text(g.b.log, "session up peer=73.12") >= 1);
	assert_true(count_text(g.b.log, "replicating log origin=" FED "/73.12") == 1);
}

/* B, A's parent, cosigns as witness the checkpoints of A's log it stores:
 * the /logs/73.12/checkpoint it serves carries B's cosignature line, which
 * verifies with B's witness key (GET /v1/witness). */
static void test_replica_cosigned(void **state)
{
	char *w = sp_h_get(g.b.addr, "/v1/witness", NULL);
	json_t *o = json_loads(w ? w : "", 0, NULL);
	struct sp_note_key k;
	assert_int_equal(sp_note_vkey_parse(json_string_value(json_object_get(o, "vkey")), &k), 0);
	json_decref(o);
	free(w);
	uint64_t t0 = sp_mono_ms(), ts = 0;
	int rc = SP_ERR_NOTE_NO_SIG;
	while (rc != 0 && sp_mono_ms() - t0 < SYNC_MS) {
		size_t len = 0;
		char *cp = sp_h_get(g.b.addr, "/logs/73.12/checkpoint", &len);
		rc = cp ? sp_cosig_verify(cp, len, &k, &ts) : SP_ERR_NOTE_NO_SIG;
		free(cp);
		if (rc)
			usleep(50000);
	}
	assert_int_equal(rc, 0);
	assert_true(ts > 0);
	assert_int_equal(count_text(g.b.log, "log frozen"), 0);
}

static void test_kill9_resume(void **state)
{
	sp_h_node_stop(&g.b);
	sp_h_node_stop(&g.a);
	sp_h_node_fill(&g.a, g.fed, 30000, "laporan uji replikasi");
	sp_h_node_start(&g.a, 1);
	write_config(&g.b, 0, g.a.peer_url, NULL, NULL);
	sp_h_node_start(&g.b, 0);
	unsigned long long before = replica_size(&g.b), now = before;
	uint64_t t0 = sp_mono_ms();
	while ((now = replica_size(&g.b)) < before + 1000 && sp_mono_ms() - t0 < SYNC_MS)
		usleep(2000);
	sp_h_node_kill(&g.b);
	assert_true(now < 33001); /* killed mid-way */
	sp_h_node_start(&g.b, 0);
	char *cp = wait_synced(33001);
	unsigned long long size = cp_size(cp);
	free(cp);
	same_tiles(size);
	sp_h_node_stop(&g.b);
	char bin[BIG], store[BIG], out[BIG];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(store, sizeof(store), "%s/store", g.b.data);
	snprintf(out, sizeof(out), "%s/verify.out", g.b.dir);
	const char *argv[] = {bin, "log", "verify", "--data", store, NULL};
	if (sp_h_run(argv, out, 60000) != 0) {
		char *o = sp_h_slurp(out, NULL);
		fail_msg("B's store does not verify:\n%s", o ? o : "");
	}
	sp_h_node_start(&g.b, 0);
}

static void test_stranger_refused(void **state)
{
	/* C claims to be 73.11 with a key of its own, not the directory's. */
	char key[BIG], bin[BIG], out[BIG];
	snprintf(key, sizeof(key), "%s/stray.key", g.c.dir);
	snprintf(out, sizeof(out), "%s/keygen.out", g.c.dir);
	sp_h_bin(bin, sizeof(bin), "simpul");
	const char *argv[] = {bin, "keygen", "--out", key, NULL};
	assert_int_equal(sp_h_run(argv, out, 10000), 0);
	write_config(&g.c, 0, g.a.peer_url, key, NULL);
	int before = count_text(g.a.log, "err=SP_ERR_UNKNOWN_PEER");
	sp_h_node_start(&g.c, 0);
	assert_int_equal(sp_h_wait_text(g.a.log, "peer=73.11", SYNC_MS), 0);
	uint64_t t0 = sp_mono_ms();
	while (count_text(g.a.log, "err=SP_ERR_UNKNOWN_PEER") == before &&
	       sp_mono_ms() - t0 < SYNC_MS)
		usleep(20000);
	assert_true(count_text(g.a.log, "err=SP_ERR_UNKNOWN_PEER") > before);
	char *cp = sp_h_get(g.c.addr, "/logs/73.12/checkpoint", NULL);
	assert_null(cp);
	sp_h_node_stop(&g.c);
}

/* raw_frame connects to A's peer port, sends bytes and reports whether A
 * closed the connection within a few seconds. */
static int raw_frame(const void *bytes, size_t len)
{
	unsigned port = 0;
	assert_int_equal(sscanf(g.a.peer_url, "tcp://127.0.0.1:%u", &port), 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) /* A's HELLO, maybe an ERROR */
		;
	close(fd);
	return n == 0;
}

static void test_garbage_dropped(void **state)
{
	char *before = sp_h_get(g.a.addr, "/metrics", NULL);
	assert_non_null(before);
	const uint8_t oversized[] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3};
	assert_true(raw_frame(oversized, sizeof(oversized)));
	const uint8_t garbage[] = {0, 0, 0, 6, 0x83, 0x01, 0x05, 0xff, 0xfe, 0xfd};
	assert_true(raw_frame(garbage, sizeof(garbage)));
	const uint8_t empty[] = {0, 0, 0, 0};
	assert_true(raw_frame(empty, sizeof(empty)));
	assert_true(count_text(g.a.log, "malformed message") >= 1);
	assert_true(count_text(g.a.log, "bad frame") >= 2);
	/* Nothing new stored: the same logs and sizes. */
	char *after = sp_h_get(g.a.addr, "/metrics", NULL);
	const char *lb = strstr(before, "simpul_log_entries{"), *la = strstr(after, "simpul_log_entries{");
	assert_non_null(lb);
	assert_non_null(la);
	assert_int_equal(strcspn(lb, "#"), strcspn(la, "#"));
	assert_memory_equal(lb, la, strcspn(lb, "#"));
	free(before);
	free(after);
	/* The honest session still works. */
	assert_int_equal(kill(g.b.pid, 0), 0);
}

/* A restored from a backup of M entries, while B holds N > M of A's log:
 * A refuses submits (503 SP_ERR_STALE) until it has fetched its own
 * entries M..N back from B; the next submit gets index N, and B takes it
 * (no fork: B's copy grows to N + 1 and is not frozen). */
static void test_restore_backup(void **state)
{
	char bk[PATH_MAX], code[64];
	snprintf(bk, sizeof(bk), "%s/backup", g.dir);
	sp_h_node_stop(&g.b);
	sp_h_node_stop(&g.a);
	backup(&g.a, bk);
	sp_h_node_fill(&g.a, g.fed, 20000, "laporan uji replikasi"); /* signed after the backup */
	write_config(&g.b, 1, NULL, NULL, NULL);
	sp_h_node_start(&g.b, 1);
	write_config(&g.a, 1, g.b.peer_url, NULL, NULL);
	sp_h_node_start(&g.a, 1);
	char *cp = wait_synced(1);
	unsigned long long n = cp_size(cp), index = 0;
	free(cp);
	sp_h_node_stop(&g.a);
	restore(&g.a, bk);
	sp_h_node_start(&g.a, 1);
	int status, refused = 0;
	uint64_t t0 = sp_mono_ms();
	while ((status = submit(&g.a, code, sizeof(code), &index)) == 503 &&
	       sp_mono_ms() - t0 < SYNC_MS) {
		assert_string_equal(code, "SP_ERR_STALE");
		refused++;
		usleep(20000);
	}
	if (status != 201)
		fail_msg("submit after restore: %d %s (see %s)", status, code, g.a.log);
	assert_true(refused > 0);
	assert_int_equal(index, n);
	t0 = sp_mono_ms();
	while (replica_size(&g.b) < n + 1 && sp_mono_ms() - t0 < SYNC_MS)
		usleep(20000);
	assert_int_equal(replica_size(&g.b), n + 1);
	assert_int_equal(log_frozen(&g.b), 0);
	assert_int_equal(count_text(g.b.log, "log frozen"), 0);
}

/* tls_cert makes a self-signed certificate for 127.0.0.1 (CN: mbedTLS
 * 2.28 matches no IP addresses in subjectAltName) with openssl: key and
 * certificate in dir/<name>.pem, the certificate alone in <name>.crt. */
static void tls_cert(const char *name, char *pem, size_t pem_cap, char *crt, size_t crt_cap)
{
	char key[BIG], out[BIG];
	snprintf(key, sizeof(key), "%s/%s.key", g.dir, name);
	snprintf(crt, crt_cap, "%s/%s.crt", g.dir, name);
	snprintf(pem, pem_cap, "%s/%s.pem", g.dir, name);
	snprintf(out, sizeof(out), "%s/openssl.out", g.dir);
	const char *argv[] = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
			      "-days", "30", "-subj", "/CN=127.0.0.1", NULL};
	assert_int_equal(sp_h_run(argv, out, 30000), 0);
	char *k = sp_h_slurp(key, NULL), *c = sp_h_slurp(crt, NULL);
	assert_non_null(k);
	assert_non_null(c);
	FILE *f = fopen(pem, "w");
	assert_non_null(f);
	fprintf(f, "%s%s", c, k);
	fclose(f);
	free(k);
	free(c);
}

/* Over tls+tcp://: B, checking A's certificate against it, replicates A's
 * log and a live append; C, whose CA file holds another certificate,
 * never gets a session (its TLS handshake fails), and neither does a plain
 * tcp:// dial to A's TLS port. */
static void test_tls(void **state)
{
	char other_pem[BIG], other_crt[BIG];
	sp_h_node_stop(&g.b);
	sp_h_node_stop(&g.a);
	tls_cert("a-tls", g.tls_cert_key, sizeof(g.tls_cert_key), g.tls_ca, sizeof(g.tls_ca));
	tls_cert("other-tls", other_pem, sizeof(other_pem), other_crt, sizeof(other_crt));
	g.tls = 1;
	write_config(&g.a, 1, NULL, NULL, NULL);
	sp_h_node_start(&g.a, 1);
	assert_int_equal(strncmp(g.a.peer_url, "tls+tcp://", 10), 0);
	write_config(&g.b, 0, g.a.peer_url, NULL, NULL);
	sp_h_node_start(&g.b, 0);
	snprintf(g.tls_ca, sizeof(g.tls_ca), "%s", other_crt);
	snprintf(g.c.data, sizeof(g.c.data), "%.*s/tls", (int)sizeof(g.c.data) - 5, g.c.dir); /* its own key now */
	int sessions = count_text(g.a.log, "session up peer=73.11");
	write_config(&g.c, 0, g.a.peer_url, NULL, NULL);
	sp_h_node_start(&g.c, 0);
	char code[64];
	unsigned long long index = 0;
	assert_int_equal(submit(&g.a, code, sizeof(code), &index), 201);
	char *cp = wait_synced(index + 1);
	free(cp);
	assert_int_equal(sp_h_wait_text(g.c.log, "Cryptographic error", SYNC_MS), 0); /* its TLS check */
	sp_h_node_stop(&g.c);
	g.tls = 0;
	char plain[128];
	snprintf(plain, sizeof(plain), "tcp://%.80s", g.a.peer_url + 10);
	write_config(&g.c, 0, plain, NULL, NULL);
	sp_h_node_start(&g.c, 0);
	uint64_t t0 = sp_mono_ms();
	while (sp_mono_ms() - t0 < 3000)
		usleep(50000);
	sp_h_node_stop(&g.c);
	assert_int_equal(count_text(g.a.log, "session up peer=73.11"), sessions);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replicate),
		cmocka_unit_test(test_replica_cosigned),
		cmocka_unit_test(test_kill9_resume),
		cmocka_unit_test(test_stranger_refused),
		cmocka_unit_test(test_garbage_dropped),
		cmocka_unit_test(test_restore_backup),
		cmocka_unit_test(test_tls),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

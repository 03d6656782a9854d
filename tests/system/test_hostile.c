/*
 * test_hostile.c - the hostile-peer suite (issue #4, docs/design.md §4): the test
 * process itself is a hostile peer that speaks the real peer protocol
 * (docs/replication.md: frames, HELLO, AUTH, session tags) to a real
 * simpuld, with node keys the directory vouches for, so that its attacks
 * get past the handshake and reach the deep checks.
 *
 * Nodes (a `simpul federation init --subset 73` federation, with its
 * directory): V = Provinsi Sulawesi Selatan (73), the node under attack,
 * holding 3,000 entries of its own log; H = Kabupaten Soppeng (73.12),
 * honest, V's child: V dials H, and H's new entries reach V by eager push.
 * The hostile peer dials V as 73.11 / 73.13 / 73.14 / 73.15 (V's children:
 * eager peers) or as KEMENKES (not a tree neighbour of V: a lazy peer),
 * signing the entries and checkpoints of its own log with that
 * institution's key from the federation's keys/ folder.
 *
 * Every attack checks that V refused it (ERROR and a closed session, a
 * log line, counters in /metrics), that V stored nothing bad (its sizes of
 * the hostile logs), and that H's next entry still reaches V. Fork
 * evidence a peer sends is checked on its own: refused when it proves
 * nothing (no record, log not frozen), kept and the log frozen when it
 * proves a fork. Then the penalties: a refused peer is held off (HELLO
 * answered with ERROR SP_ERR_RATE_LIMITED), listed in /v1/status and /metrics, the hold
 * doubles with a repeat, and the peer is accepted again after it; an
 * authenticated offender is held by institution only (another one from
 * its address is accepted), junk before any HELLO by address.
 */
#include "sp_testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_gossip.h"
#include "sp_keyfile.h"
#include "sp_node_harness.h"
#include "sp_clock.h"

#define WAIT_MS 30000
#define FED "simpul.local"
#define BIG (2 * PATH_MAX)
#define OWN_FILL 3000 /* V's own log: enough to answer many WANTs */
#define RSS_GROWTH_KB (16 * 1024) /* what a flood may add to V's RSS */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0 /* ASan keeps freed memory in quarantine: RSS says nothing */
#else
#define RSS_CHECKED 1
#endif

/* ---- the hostile peer: a protocol client over a plain socket ------------------------------ */

struct hp {
	int fd;
	char inst[40];
	uint8_t pk[32], sk[64];
	struct sp_gossip_hello ours, theirs;
	char their_fed[SP_GOSSIP_FED_MAX + 1], their_inst[64];
	uint8_t kx_sk[32], rx[32], tx[32];
	uint64_t seq_tx, seq_rx;
	int ready;
	uint8_t auth_sig[64];    /* the AUTH we sent last */
	uint8_t *buf;            /* the last frame received (m borrows it) */
	size_t len;
	uint8_t last_sent[SP_GOSSIP_RECV_MAX + 4]; /* the last frame sent */
	size_t last_sent_len;
};

static void hp_keys(struct hp *h, const char *fed_dir, const char *inst)
{
	char path[BIG], why[256];
	snprintf(path, sizeof(path), "%s/keys/%s.key", fed_dir, inst);
	snprintf(h->inst, sizeof(h->inst), "%s", inst);
	if (sp_keyfile_load(path, h->pk, h->sk, why, sizeof(why)) != 0)
		fail_msg("cannot load %s: %s", path, why);
}

/* hp_connect opens a TCP connection to url (tcp://127.0.0.1:PORT); a
 * receive buffer of rcvbuf bytes if not 0 (to stop reading early). */
static void hp_connect(struct hp *h, const char *url, int rcvbuf)
{
	unsigned port = 0;
	assert_int_equal(sscanf(url, "tcp://127.0.0.1:%u", &port), 1);
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(h->fd >= 0);
	if (rcvbuf)
		setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(h->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	h->seq_tx = h->seq_rx = 0;
	h->ready = 0;
}

static void hp_close(struct hp *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	free(h->buf);
	h->buf = NULL;
}

/* hp_write sends all of len bytes; 0, or -1 if the node closed. */
static int hp_write(struct hp *h, const void *p, size_t len)
{
	const uint8_t *b = p;
	while (len > 0) {
		ssize_t n = send(h->fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* hp_send_bytes frames an encoded message (with its tag once ready). */
static int hp_send_bytes(struct hp *h, const uint8_t *msg, size_t len)
{
	size_t total = len + (h->ready ? SP_GOSSIP_TAG_BYTES : 0);
	uint8_t *f = h->last_sent;
	assert_true(total + 4 <= sizeof(h->last_sent));
	f[0] = (uint8_t)(total >> 24);
	f[1] = (uint8_t)(total >> 16);
	f[2] = (uint8_t)(total >> 8);
	f[3] = (uint8_t)total;
	memcpy(f + 4, msg, len);
	if (h->ready)
		sp_gossip_tag(h->tx, h->seq_tx++, msg, len, f + 4 + len);
	h->last_sent_len = total + 4;
	return hp_write(h, f, total + 4);
}

static int hp_send(struct hp *h, const struct sp_gossip_msg *m)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = m->type == SP_GOSSIP_ENTRIES ? 0 : sp_gossip_encode(m, &b);
	size_t taken = 0;
	if (m->type == SP_GOSSIP_ENTRIES)
		rc = sp_gossip_entries_pack(&m->u.entries, &b, &taken);
	assert_int_equal(rc, 0);
	rc = hp_send_bytes(h, b.p, b.len);
	sp_buf_free(&b);
	return rc;
}

/* hp_read_full reads exactly len bytes within timeout_ms: 0, or -1. */
static int hp_read_full(struct hp *h, uint8_t *p, size_t len, int timeout_ms)
{
	uint64_t t0 = sp_mono_ms();
	while (len > 0) {
		struct pollfd pf = {h->fd, POLLIN, 0};
		int left = timeout_ms - (int)(sp_mono_ms() - t0);
		if (left <= 0 || poll(&pf, 1, left) <= 0)
			return -1;
		ssize_t n = recv(h->fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* hp_recv reads and decodes the next message (tag checked once ready)
 * into *m, which borrows h->buf; SP_ERR_CLOSED when the node closed or
 * nothing came within timeout_ms. */
static int hp_recv(struct hp *h, struct sp_gossip_msg *m, int timeout_ms)
{
	uint8_t hdr[4];
	memset(m, 0, sizeof(*m));
	free(h->buf);
	h->buf = NULL;
	if (hp_read_full(h, hdr, 4, timeout_ms) != 0)
		return SP_ERR_CLOSED;
	size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	assert_true(len > 0 && len <= SP_GOSSIP_RECV_MAX);
	h->buf = malloc(len);
	assert_non_null(h->buf);
	if (hp_read_full(h, h->buf, len, timeout_ms) != 0)
		return SP_ERR_CLOSED;
	if (h->ready) {
		len -= SP_GOSSIP_TAG_BYTES;
		assert_int_equal(sp_gossip_tag_verify(h->rx, h->seq_rx++, h->buf, len, h->buf + len),
				 0);
	}
	h->len = len;
	assert_int_equal(sp_gossip_decode(h->buf, len, m), 0);
	return 0;
}

/* hp_until reads messages until one of type t: 0 (in *m), the code of an
 * ERROR the node sent, or SP_ERR_CLOSED. */
static int hp_until(struct hp *h, enum sp_gossip_type t, struct sp_gossip_msg *m, int timeout_ms)
{
	uint64_t t0 = sp_mono_ms();
	for (;;) {
		int left = timeout_ms - (int)(sp_mono_ms() - t0);
		if (left <= 0 || hp_recv(h, m, left) != 0)
			return SP_ERR_CLOSED;
		if (m->type == t)
			return 0;
		if (m->type == SP_GOSSIP_ERROR) {
			int code = m->u.error.code;
			sp_gossip_msg_free(m);
			return code;
		}
		sp_gossip_msg_free(m);
	}
}

/* hp_refused waits for the node's ERROR and the end of the connection:
 * the ERROR's code, or SP_ERR_CLOSED if it closed without one (fails the
 * test if it did not close). */
static int hp_refused(struct hp *h)
{
	struct sp_gossip_msg m;
	int code = hp_until(h, SP_GOSSIP_ERROR + 100, &m, WAIT_MS);
	uint8_t b[4096];
	struct pollfd pf = {h->fd, POLLIN, 0};
	uint64_t t0 = sp_mono_ms();
	int closed = 0;
	while (!closed && sp_mono_ms() - t0 < WAIT_MS && poll(&pf, 1, 1000) >= 0) {
		ssize_t n = recv(h->fd, b, sizeof(b), MSG_DONTWAIT);
		closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
	}
	assert_true(closed);
	hp_close(h);
	return code;
}

/* hp_handshake: HELLO and AUTH as h->inst (sig: send this AUTH signature
 * instead of a fresh one). 0 once the session is up, else the code of
 * the node's ERROR (or SP_ERR_CLOSED). */
static int hp_handshake(struct hp *h, const uint8_t *sig)
{
	h->ours = (struct sp_gossip_hello){.federation = FED, .federation_len = strlen(FED),
					   .inst = h->inst, .inst_len = strlen(h->inst)};
	memcpy(h->ours.key, h->pk, 32);
	randombytes_buf(h->ours.nonce, sizeof(h->ours.nonce));
	crypto_kx_keypair(h->ours.kx, h->kx_sk);
	struct sp_gossip_msg m = {.type = SP_GOSSIP_HELLO};
	m.u.hello = h->ours;
	if (hp_send(h, &m) != 0)
		return SP_ERR_CLOSED;
	int rc = hp_until(h, SP_GOSSIP_HELLO, &m, WAIT_MS);
	if (rc)
		return rc;
	h->theirs = m.u.hello;
	snprintf(h->their_fed, sizeof(h->their_fed), "%.*s", (int)m.u.hello.federation_len,
		 m.u.hello.federation);
	snprintf(h->their_inst, sizeof(h->their_inst), "%.*s", (int)m.u.hello.inst_len,
		 m.u.hello.inst);
	h->theirs.federation = h->their_fed;
	h->theirs.inst = h->their_inst;
	sp_gossip_msg_free(&m);
	struct sp_gossip_msg a = {.type = SP_GOSSIP_AUTH};
	if (sig)
		memcpy(a.u.auth.sig, sig, 64);
	else
		assert_int_equal(sp_gossip_auth_sign(&h->ours, &h->theirs, h->sk, a.u.auth.sig), 0);
	memcpy(h->auth_sig, a.u.auth.sig, 64);
	if (hp_send(h, &a) != 0)
		return SP_ERR_CLOSED;
	rc = hp_until(h, SP_GOSSIP_AUTH, &m, WAIT_MS);
	if (rc)
		return rc;
	assert_int_equal(sp_gossip_auth_verify(&h->ours, &h->theirs, m.u.auth.sig), 0);
	sp_gossip_msg_free(&m);
	assert_int_equal(sp_gossip_session_keys(&h->ours, &h->theirs, h->kx_sk, h->rx, h->tx), 0);
	h->ready = 1;
	return 0;
}

/* ---- the hostile log: entries and checkpoints signed with its key --------------------------- */

#define HLOG_MAX 16

struct hlog {
	char origin[SP_ORIGIN_MAX + 1];
	size_t n;
	uint8_t *e[HLOG_MAX];
	size_t len[HLOG_MAX];
	uint8_t leaf[HLOG_MAX][32];
};

static int leaf_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	const struct hlog *l = ctx;
	if (level == 0) {
		memcpy(out, l->leaf[index], 32);
		return 0;
	}
	uint8_t a[32], b[32];
	leaf_node(ctx, level - 1, 2 * index, a);
	leaf_node(ctx, level - 1, 2 * index + 1, b);
	sp_merkle_node_hash(a, b, out);
	return 0;
}

/* entry_make signs entry `index` following prev (NULL at 0) with body
 * text; the caller frees *out. */
static size_t entry_make(const struct hp *h, uint64_t index, const uint8_t *prev, size_t prev_len,
			 const char *text, uint64_t time_ms, uint8_t **out)
{
	uint8_t body[64];
	size_t tl = strlen(text);
	assert_true(tl < 24);
	body[0] = (uint8_t)(0x60 | tl); /* CBOR text of tl < 24 bytes */
	memcpy(body + 1, text, tl);
	struct sp_entry e = {.version = SP_ENTRY_VERSION, .index = index, .time_ms = time_ms,
			     .type = 99, .body = body, .body_len = tl + 1};
	if (prev)
		sp_entry_hash(prev, prev_len, e.prev);
	size_t len = 0;
	assert_int_equal(sp_entry_sign(&e, h->sk, out, &len), 0);
	return len;
}

/* hlog_make builds n good entries of h's log. */
static void hlog_make(struct hlog *l, const struct hp *h, size_t n)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->origin, sizeof(l->origin), FED "/%s", h->inst);
	uint64_t t = (uint64_t)time(NULL) * 1000 - 60000;
	for (size_t i = 0; i < n; i++) {
		l->len[i] = entry_make(h, i, i ? l->e[i - 1] : NULL, i ? l->len[i - 1] : 0,
				       "laporan", t + i, &l->e[i]);
		sp_merkle_leaf_hash(l->e[i], l->len[i], l->leaf[i]);
	}
	l->n = n;
}

static void hlog_free(struct hlog *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i]);
	l->n = 0;
}

/* hlog_checkpoint signs a checkpoint of the first size entries (or, with
 * root, of that root) into out. */
static void hlog_checkpoint(struct hlog *l, const struct hp *h, uint64_t size,
			    const uint8_t *root, struct sp_buf *out)
{
	struct sp_checkpoint c = {.size = size};
	snprintf(c.origin, sizeof(c.origin), "%s", l->origin);
	if (root)
		memcpy(c.root, root, 32);
	else
		assert_int_equal(sp_merkle_root(leaf_node, l, size, c.root), 0);
	sp_buf_init(out);
	assert_int_equal(sp_checkpoint_sign(&c, h->sk, out), 0);
}

/* ---- nodes -------------------------------------------------------------------------------------- */

static struct {
	char dir[PATH_MAX - 64];
	char fed[PATH_MAX - 32];
	char root_vkey[300];
	struct sp_h_node v, h;
} g;

static void node_init(struct sp_h_node *n, const char *id)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", g.dir, id);
	sp_h_node_init(n, id, path);
}

/* write_config: listen for peers (port 0), dial peers; penalties of
 * pen_ms doubling to pen_max_ms. */
static void write_config(struct sp_h_node *n, const char *peers, unsigned pen_ms, unsigned pen_max_ms)
{
	char peer[1024];
	snprintf(peer, sizeof(peer),
		 "listen = tcp://127.0.0.1:0\npeers = %s\npenalty_ms = %u\npenalty_max_ms = %u\n",
		 peers ? peers : "", pen_ms, pen_max_ms);
	sp_h_node_config(n, g.fed, g.root_vkey, peer);
}

/* ---- what V shows -------------------------------------------------------------------------------- */

/* metric: the value of the Prometheus line starting with `line` (name and
 * labels) on n, 0 if absent. */
static unsigned long long metric(const struct sp_h_node *n, const char *line)
{
	long long v = sp_h_metric(n->addr, line);
	return v > 0 ? (unsigned long long)v : 0;
}

/* log_state: n's size of log origin (-1 if it does not hold it) and
 * whether it is frozen. */
static long long log_state(const struct sp_h_node *n, const char *origin, int *frozen)
{
	char *body = sp_h_get(n->addr, "/v1/logs", NULL);
	json_t *o = json_loads(body ? body : "", 0, NULL), *v;
	size_t i;
	long long size = -1;
	json_array_foreach(json_object_get(o, "logs"), i, v) {
		const char *og = json_string_value(json_object_get(v, "origin"));
		if (og && strcmp(og, origin) == 0) {
			size = json_integer_value(json_object_get(v, "size"));
			if (frozen)
				*frozen = json_is_true(json_object_get(v, "frozen"));
		}
	}
	json_decref(o);
	free(body);
	return size;
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

static long rss_kb(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	char *s = sp_h_slurp(path, NULL);
	const char *p = s ? strstr(s, "VmRSS:") : NULL;
	long kb = p ? strtol(p + 6, NULL, 10) : -1;
	free(s);
	return kb;
}

/* cpu_ms: CPU time (user + system) the process used so far. */
static long cpu_ms(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *s = sp_h_slurp(path, NULL);
	const char *p = s ? strrchr(s, ')') : NULL;
	unsigned long ut = 0, st = 0;
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
				&st) != 2)
		ut = st = 0;
	free(s);
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

#define REPORT                                                                                 \
	"{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","            \
	"\"region\":\"73.12.03\",\"title\":\"Jalan rusak\",\"content\":\"Jalan poros berlubang\"," \
	"\"channel\":\"web\"}"

/* honest_flows: an entry appended at H now still reaches V. */
static void honest_flows(void)
{
	long long before = log_state(&g.v, FED "/73.12", NULL);
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(g.h.addr, "POST", "/v1/reports",
				   "Content-Type: application/json\r\n", REPORT, strlen(REPORT), &r),
			 0);
	assert_int_equal(r.status, 201);
	sp_h_resp_free(&r);
	uint64_t t0 = sp_mono_ms();
	long long now = before;
	while ((now = log_state(&g.v, FED "/73.12", NULL)) <= before && sp_mono_ms() - t0 < WAIT_MS)
		usleep(20000);
	if (now <= before) {
		char *lv = sp_h_slurp(g.v.log, NULL);
		fail_msg("H's entry did not reach V (%lld); V's log:\n%s", now, lv ? lv : "");
	}
}

/* ---- the attacks' common steps ------------------------------------------------------------------------ */

/* attach connects to V as inst and completes the handshake, retrying while
 * V holds the peer off (ERROR SP_ERR_RATE_LIMITED). */
static void attach(struct hp *h, const char *inst, int rcvbuf)
{
	hp_keys(h, g.fed, inst);
	uint64_t t0 = sp_mono_ms();
	int rc;
	for (;;) {
		hp_connect(h, g.v.peer_url, rcvbuf);
		if ((rc = hp_handshake(h, NULL)) == 0)
			return;
		hp_close(h);
		if (rc != SP_ERR_RATE_LIMITED || sp_mono_ms() - t0 > WAIT_MS)
			fail_msg("handshake as %s: %s", inst, sp_errname(rc));
		usleep(50000);
	}
}

/* offer sends our full NOTES (the log, n entries, its checkpoint) and
 * waits for V's WANT of it: the range's start. */
static uint64_t offer(struct hp *h, struct hlog *l, size_t n)
{
	struct sp_buf cp;
	hlog_checkpoint(l, h, n, NULL, &cp);
	struct sp_gossip_note note = {l->origin, strlen(l->origin), n, (const char *)cp.p, cp.len};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_NOTES};
	m.u.notes = (struct sp_gossip_notes){1, 0, 1, &note};
	assert_int_equal(hp_send(h, &m), 0);
	sp_buf_free(&cp);
	struct sp_gossip_msg w;
	int rc = hp_until(h, SP_GOSSIP_WANT, &w, WAIT_MS);
	if (rc)
		fail_msg("no WANT from V: %s", sp_errname(rc));
	assert_int_equal(w.u.want.n, 1);
	assert_memory_equal(w.u.want.ranges[0].origin, l->origin, strlen(l->origin));
	uint64_t from = w.u.want.ranges[0].from;
	sp_gossip_msg_free(&w);
	return from;
}

/* send_entries sends one ENTRIES of log l: entries v[0..n) from first. */
static int send_entries(struct hp *h, const char *origin, uint64_t first, uint8_t **v,
			const size_t *lens, size_t n)
{
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ENTRIES};
	m.u.entries = (struct sp_gossip_entries){.origin = origin, .origin_len = strlen(origin),
						 .first = first, .count = n,
						 .entries = (const uint8_t **)v,
						 .lens = (size_t *)lens};
	return hp_send(h, &m);
}

/* counters before an attack, compared after it. */
struct before {
	unsigned long long dropped, refused_entries, penalties;
	long long size;
	char origin[SP_ORIGIN_MAX + 1];
	char inst[40];
	int drops_logged;
};

static void before_attack(struct before *b, const char *inst)
{
	snprintf(b->inst, sizeof(b->inst), "%s", inst);
	snprintf(b->origin, sizeof(b->origin), FED "/%s", inst);
	char line[128];
	snprintf(line, sizeof(line), "simpul_peer_penalties_total{inst=\"%s\"}", inst);
	b->penalties = metric(&g.v, line);
	b->dropped = metric(&g.v, "simpul_peer_dropped_total");
	b->refused_entries = metric(&g.v, "simpul_peer_entries_total{result=\"refused\"}");
	b->size = log_state(&g.v, b->origin, NULL);
	snprintf(line, sizeof(line), "dropped peer=%s ", inst);
	b->drops_logged = count_text(g.v.log, line);
}

/* after_attack: V refused the peer (code want, or any ERROR with 0, from
 * hp_refused: got), logged and counted it, stored nothing of the hostile
 * log, and H still replicates to V. entries: refused entries counted. */
static void after_attack(const struct before *b, int got, int want, int entries, int penalised)
{
	if (want && got != want)
		fail_msg("V answered %s, expected %s", sp_errname(got), sp_errname(want));
	assert_true(got < 0 && (got != SP_ERR_CLOSED || want == SP_ERR_CLOSED));
	char line[128];
	snprintf(line, sizeof(line), "dropped peer=%s ", b->inst);
	uint64_t t0 = sp_mono_ms();
	while (count_text(g.v.log, line) <= b->drops_logged && sp_mono_ms() - t0 < WAIT_MS)
		usleep(20000);
	assert_true(count_text(g.v.log, line) > b->drops_logged);
	assert_true(metric(&g.v, "simpul_peer_dropped_total") > b->dropped);
	if (entries)
		assert_true(metric(&g.v, "simpul_peer_entries_total{result=\"refused\"}") >
			    b->refused_entries);
	snprintf(line, sizeof(line), "simpul_peer_penalties_total{inst=\"%s\"}", b->inst);
	if (penalised)
		assert_int_equal(metric(&g.v, line), b->penalties + 1);
	long long size = log_state(&g.v, b->origin, NULL);
	assert_true(size == b->size || (b->size < 0 && size == 0));
	honest_flows();
}

/* ---- fixture ------------------------------------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	assert_int_equal(sodium_init() >= 0, 1);
	snprintf(g.dir, sizeof(g.dir), "%s", sp_test_tmpdir("hostile"));
	snprintf(g.fed, sizeof(g.fed), "%s/fed", g.dir);
	sp_h_fedgen(g.dir, g.fed, 0, g.root_vkey, sizeof(g.root_vkey));
	node_init(&g.v, "73");
	node_init(&g.h, "73.12");
	write_config(&g.h, NULL, 30000, 3600000);
	sp_h_node_start(&g.h, 1);
	sp_h_node_fill(&g.v, g.fed, OWN_FILL, "laporan provinsi");
	write_config(&g.v, g.h.peer_url, 100, 400);
	sp_h_node_start(&g.v, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	struct sp_h_node *all[] = {&g.v, &g.h};
	for (int i = 0; i < 2; i++)
		if (all[i]->pid > 0) {
			kill(all[i]->pid, SIGKILL);
			waitpid(all[i]->pid, NULL, 0);
		}
	return 0;
}

/* ---- attacks: bad entries ------------------------------------------------------------------------------ */

static void test_honest_baseline(void **state)
{
	(void)state;
	uint64_t t0 = sp_mono_ms();
	while (log_state(&g.h, FED "/73", NULL) < OWN_FILL && sp_mono_ms() - t0 < WAIT_MS)
		usleep(50000);
	assert_int_equal(log_state(&g.h, FED "/73", NULL), OWN_FILL);
	honest_flows();
}

/* bad_entries: as inst, offer 4 entries and answer V's WANT with them
 * after `spoil` changed them; expect ERROR want. */
static void bad_entries(const char *inst, void (*spoil)(struct hlog *, struct hp *), int want)
{
	struct hp h = {.fd = -1};
	struct before b;
	before_attack(&b, inst);
	attach(&h, inst, 0);
	struct hlog l;
	hlog_make(&l, &h, 4);
	uint64_t from = offer(&h, &l, 4);
	assert_int_equal(from, 0);
	spoil(&l, &h);
	assert_int_equal(send_entries(&h, l.origin, 0, l.e, l.len, l.n), 0);
	after_attack(&b, hp_refused(&h), want, 1, 1);
	hlog_free(&l);
}

static void spoil_sig(struct hlog *l, struct hp *h)
{
	(void)h;
	l->e[0][l->len[0] - 1] ^= 1; /* the signature is the entry's last field */
}

static void spoil_index(struct hlog *l, struct hp *h)
{
	/* entries 1..3 sent as 0..2 (entry 0 left out): indexes do not match */
	free(l->e[0]);
	memmove(&l->e[0], &l->e[1], 3 * sizeof(l->e[0]));
	memmove(&l->len[0], &l->len[1], 3 * sizeof(l->len[0]));
	l->n = 3;
	(void)h;
}

static void spoil_prev(struct hlog *l, struct hp *h)
{
	/* a well-signed entry 0 whose previous hash is not zero */
	free(l->e[0]);
	l->len[0] = entry_make(h, 0, l->e[1], l->len[1], "laporan", (uint64_t)time(NULL) * 1000 - 60000,
			       &l->e[0]);
	l->n = 1;
	for (size_t i = 1; i < 4; i++)
		free(l->e[i]);
}

static void test_bad_signature(void **state)
{
	(void)state;
	bad_entries("73.11", spoil_sig, SP_ERR_BAD_SIGNATURE);
	assert_true(count_text(g.v.log, "err=SP_ERR_BAD_SIGNATURE") >= 1);
}

static void test_wrong_index(void **state)
{
	(void)state;
	bad_entries("73.11", spoil_index, SP_ERR_WRONG_INDEX);
}

static void test_wrong_prev(void **state)
{
	(void)state;
	bad_entries("73.11", spoil_prev, SP_ERR_WRONG_PREV);
}

/* A gap: V asks [0, 4), a lazy peer answers from 2. */
static void test_gap(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct before b;
	before_attack(&b, "KEMENKES");
	attach(&h, "KEMENKES", 0);
	struct hlog l;
	hlog_make(&l, &h, 4);
	assert_int_equal(offer(&h, &l, 4), 0);
	assert_int_equal(send_entries(&h, l.origin, 2, l.e + 2, l.len + 2, 2), 0);
	after_attack(&b, hp_refused(&h), SP_ERR_PEER_PROTOCOL, 0, 1);
	hlog_free(&l);
}

/* ---- attacks: frames and messages ------------------------------------------------------------------- */

static void test_oversized_frame(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct before b;
	before_attack(&b, "73.11");
	attach(&h, "73.11", 0);
	uint8_t hdr[4];
	uint32_t len = SP_GOSSIP_RECV_MAX + 1;
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	assert_int_equal(hp_write(&h, hdr, 4), 0);
	after_attack(&b, hp_refused(&h), SP_ERR_RANGE, 0, 1);
	assert_true(count_text(g.v.log, "bad frame") >= 1);
}

static void test_malformed_message(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct before b;
	before_attack(&b, "73.11");
	attach(&h, "73.11", 0);
	const uint8_t junk[] = {0x83, 0x01, 0x05, 0xff, 0xfe, 0xfd}; /* tagged properly */
	assert_int_equal(hp_send_bytes(&h, junk, sizeof(junk)), 0);
	after_attack(&b, hp_refused(&h), 0, 0, 1);
	assert_true(count_text(g.v.log, "malformed message") >= 1);
}

/* ---- attacks: replays ----------------------------------------------------------------------------------- */

static void test_replayed_auth(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	attach(&h, "73.11", 0);
	uint8_t old[64];
	memcpy(old, h.auth_sig, 64);
	hp_close(&h);
	struct before b;
	before_attack(&b, "73.11");
	uint64_t t0 = sp_mono_ms();
	int rc;
	do { /* a new session, the earlier session's AUTH */
		hp_connect(&h, g.v.peer_url, 0);
		rc = hp_handshake(&h, old); /* V's own AUTH comes whatever ours was */
		if (rc == SP_ERR_RATE_LIMITED)
			hp_close(&h);
	} while (rc == SP_ERR_RATE_LIMITED && sp_mono_ms() - t0 < WAIT_MS);
	assert_int_equal(rc, 0);
	h.ready = 0; /* V's ERROR comes before any session tag */
	rc = hp_refused(&h);
	/* Not authenticated: counted against the address, not the institution. */
	after_attack(&b, rc, SP_ERR_AUTH, 0, 0);
	assert_true(metric(&g.v, "simpul_peer_penalties_total{addr=\"127.0.0.1\"}") >= 1);
}

static void test_replayed_message(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct before b;
	before_attack(&b, "73.11");
	attach(&h, "73.11", 0);
	struct hlog l;
	hlog_make(&l, &h, 1);
	struct sp_gossip_note note = {l.origin, strlen(l.origin), 0, NULL, 0};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_NOTES};
	m.u.notes = (struct sp_gossip_notes){1, 0, 1, &note};
	assert_int_equal(hp_send(&h, &m), 0);
	/* the same frame again: its tag is for sequence number 0 */
	assert_int_equal(hp_write(&h, h.last_sent, h.last_sent_len), 0);
	after_attack(&b, hp_refused(&h), SP_ERR_AUTH, 0, 1);
	assert_true(count_text(g.v.log, "bad session tag") >= 1);
	hlog_free(&l);
}

/* ---- forks ---------------------------------------------------------------------------------------------- */

/* hold4: as inst, have V store 4 good entries of inst's log. */
static void hold4(struct hp *h, struct hlog *l, const char *inst)
{
	attach(h, inst, 0);
	hlog_make(l, h, 4);
	assert_int_equal(offer(h, l, 4), 0);
	assert_int_equal(send_entries(h, l->origin, 0, l->e, l->len, 4), 0);
	uint64_t t0 = sp_mono_ms();
	while (log_state(&g.v, l->origin, NULL) < 4 && sp_mono_ms() - t0 < WAIT_MS)
		usleep(20000);
	assert_int_equal(log_state(&g.v, l->origin, NULL), 4);
}

static int fork_records(const char *origin, const char *kind, long long index, const char *from);

/* A forked entry: the hostile log's entry 2 re-signed with other bytes,
 * pushed (73.13 is V's child: an eager peer) after V holds 0..3. */
static void test_forked_entry(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct hlog l;
	hold4(&h, &l, "73.13");
	uint8_t *fork = NULL;
	size_t len = entry_make(&h, 2, l.e[1], l.len[1], "lain", (uint64_t)time(NULL) * 1000, &fork);
	int forks = count_text(g.v.log, "fork: evidence kept, log frozen origin=" FED "/73.13");
	assert_int_equal(send_entries(&h, l.origin, 2, &fork, &len, 1), 0);
	uint64_t t0 = sp_mono_ms();
	int frozen = 0;
	while (!frozen && sp_mono_ms() - t0 < WAIT_MS) {
		log_state(&g.v, l.origin, &frozen);
		usleep(20000);
	}
	assert_true(frozen);
	assert_true(count_text(g.v.log, "fork: evidence kept, log frozen origin=" FED "/73.13") >
		    forks);
	assert_int_equal(log_state(&g.v, l.origin, NULL), 4); /* nothing after the fork */
	assert_true(fork_records(l.origin, NULL, 0, NULL) >= 1); /* the evidence, in GET /v1/forks */
	/* The writer that forked its own log is refused and penalised. */
	assert_int_equal(hp_refused(&h), SP_ERR_FORK);
	free(fork);
	hlog_free(&l);
	honest_flows();
}

/* An inconsistent checkpoint: after V holds 0..3, a checkpoint of size 4
 * with another root, signed by the log's key. */
static void test_inconsistent_checkpoint(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct hlog l;
	hold4(&h, &l, "73.14");
	uint8_t root[32];
	memset(root, 0x42, sizeof(root));
	struct sp_buf cp;
	hlog_checkpoint(&l, &h, 4, root, &cp);
	struct sp_gossip_note note = {l.origin, strlen(l.origin), 4, (const char *)cp.p, cp.len};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_NOTES};
	m.u.notes = (struct sp_gossip_notes){0, 0, 1, &note};
	assert_int_equal(hp_send(&h, &m), 0);
	sp_buf_free(&cp);
	uint64_t t0 = sp_mono_ms();
	int frozen = 0;
	while (!frozen && sp_mono_ms() - t0 < WAIT_MS) {
		log_state(&g.v, l.origin, &frozen);
		usleep(20000);
	}
	assert_true(frozen);
	assert_true(count_text(g.v.log, "checkpoint contradicts the log: evidence kept, log frozen "
					"origin=" FED "/73.14") >= 1);
	assert_true(fork_records(l.origin, NULL, 0, NULL) >= 1);
	assert_int_equal(hp_refused(&h), SP_ERR_INCONSISTENT);
	hlog_free(&l);
	honest_flows();
}

/* ---- fork evidence (EVIDENCE, docs/replication.md 2.10) ------------------------------------------- */

/* send_evidence sends one EVIDENCE of `origin`. */
static int send_evidence(struct hp *h, const char *origin, uint64_t kind, uint64_t at,
			 const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	struct sp_gossip_msg m = {.type = SP_GOSSIP_EVIDENCE};
	m.u.evidence = (struct sp_gossip_evidence){origin, strlen(origin), kind, at, a, al, b, bl};
	return hp_send(h, &m);
}

/* fork_records: V's GET /v1/forks records of origin (kind "entry" at
 * index `index` from `from`, when kind is not NULL; all of origin's else). */
static int fork_records(const char *origin, const char *kind, long long index, const char *from)
{
	char *body = sp_h_get(g.v.addr, "/v1/forks", NULL);
	json_t *o = json_loads(body ? body : "", 0, NULL), *v;
	size_t i;
	int n = 0;
	json_array_foreach(json_object_get(o, "forks"), i, v) {
		const char *og = json_string_value(json_object_get(v, "origin"));
		const char *k = json_string_value(json_object_get(v, "kind"));
		const char *f = json_string_value(json_object_get(v, "from"));
		if (!og || strcmp(og, origin) != 0)
			continue;
		n += kind == NULL || (k && strcmp(k, kind) == 0 && f && strcmp(f, from) == 0 &&
				      json_integer_value(json_object_get(v, "index")) == index);
	}
	json_decref(o);
	free(body);
	return n;
}

/* Evidence that proves nothing is refused and changes nothing: entries
 * "of" H's log signed by another key (framing an honest node), and two
 * honest checkpoints of one log that agree with V's tree. */
static void test_evidence_refused(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct before b;
	int frozen = -1;
	before_attack(&b, "73.06");
	attach(&h, "73.06", 0);
	uint8_t *e1 = NULL, *e2 = NULL;
	uint64_t t = (uint64_t)time(NULL) * 1000;
	size_t l1 = entry_make(&h, 0, NULL, 0, "satu", t, &e1);
	size_t l2 = entry_make(&h, 0, NULL, 0, "dua", t, &e2);
	assert_int_equal(send_evidence(&h, FED "/73.12", 1, 0, e1, l1, e2, l2), 0);
	after_attack(&b, hp_refused(&h), SP_ERR_BAD_SIGNATURE, 0, 0);
	log_state(&g.v, FED "/73.12", &frozen);
	assert_int_equal(frozen, 0);
	assert_int_equal(fork_records(FED "/73.12", NULL, 0, NULL), 0);
	free(e1);
	free(e2);

	struct hlog l;
	hold4(&h, &l, "73.07");
	before_attack(&b, "73.07");
	struct sp_buf c2, c4;
	hlog_checkpoint(&l, &h, 2, NULL, &c2);
	hlog_checkpoint(&l, &h, 4, NULL, &c4);
	assert_int_equal(send_evidence(&h, l.origin, 2, 2, c2.p, c2.len, c4.p, c4.len), 0);
	after_attack(&b, hp_refused(&h), SP_ERR_NOT_EVIDENCE, 0, 0);
	log_state(&g.v, l.origin, &frozen);
	assert_int_equal(frozen, 0);
	assert_int_equal(fork_records(l.origin, NULL, 0, NULL), 0);
	sp_buf_free(&c2);
	sp_buf_free(&c4);
	hlog_free(&l);
}

/* Two entries of one index signed by the log's key, sent as EVIDENCE:
 * V checks them, keeps them (from the sender) and freezes the log. */
static void test_evidence_stored(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct hlog l;
	hold4(&h, &l, "73.05");
	uint8_t *fork = NULL;
	size_t len = entry_make(&h, 2, l.e[1], l.len[1], "lain", (uint64_t)time(NULL) * 1000, &fork);
	assert_int_equal(send_evidence(&h, l.origin, 1, 2, l.e[2], l.len[2], fork, len), 0);
	uint64_t t0 = sp_mono_ms();
	int frozen = 0;
	while (!(frozen && fork_records(l.origin, "entry", 2, "73.05") == 1) &&
	       sp_mono_ms() - t0 < WAIT_MS) {
		log_state(&g.v, l.origin, &frozen);
		usleep(20000);
	}
	assert_true(frozen);
	assert_int_equal(fork_records(l.origin, "entry", 2, "73.05"), 1);
	assert_int_equal(log_state(&g.v, l.origin, NULL), 4);
	free(fork);
	hp_close(&h);
	hlog_free(&l);
	honest_flows();
}

/* ---- floods ------------------------------------------------------------------------------------------------ */

/* Unsolicited ENTRIES from a peer that is not V's tree neighbour (KEMENKES):
 * ignored, nothing stored, memory flat; past SP_PEER_USELESS_BURST bytes
 * of them the flooder is refused (SP_ERR_RATE_LIMITED) and penalised. */
static void test_flood_unsolicited(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	attach(&h, "KEMENKES", 0);
	struct hlog l;
	hlog_make(&l, &h, 1);
	struct sp_gossip_note note = {l.origin, strlen(l.origin), 0, NULL, 0};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_NOTES};
	m.u.notes = (struct sp_gossip_notes){1, 0, 1, &note};
	assert_int_equal(hp_send(&h, &m), 0);
	long rss0 = rss_kb(g.v.pid), cpu0 = cpu_ms(g.v.pid);
	/* 512 entries of 120 bytes of noise each: one full message, 1,000 times */
	static uint8_t noise[512][120];
	uint8_t *v[512];
	size_t lens[512];
	for (size_t i = 0; i < 512; i++) {
		randombytes_buf(noise[i], sizeof(noise[i]));
		v[i] = noise[i];
		lens[i] = sizeof(noise[i]);
	}
	int sent = 0;
	while (sent < 1000 && send_entries(&h, l.origin, (uint64_t)sent * 512, v, lens, 512) == 0)
		sent++;
	assert_int_equal(sp_h_wait_text(g.v.log, "too many unsolicited entries", WAIT_MS), 0);
	long rss1 = rss_kb(g.v.pid);
	print_message("unsolicited flood: %d x 64 KiB sent before V refused it, V's RSS %ld -> "
		      "%ld KiB, CPU %ld ms\n",
		      sent, rss0, rss1, cpu_ms(g.v.pid) - cpu0);
	assert_true(sent < 1000); /* refused well before the end: 16 MiB, about 250 */
	assert_true(!RSS_CHECKED || rss1 - rss0 < RSS_GROWTH_KB);
	assert_true(log_state(&g.v, l.origin, NULL) <= 0);
	hp_close(&h);
	hlog_free(&l);
	honest_flows();
}

/* More WANT ranges than the window, from a peer that does not read. */
static void test_flood_wants(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	struct before b;
	before_attack(&b, "73.11");
	attach(&h, "73.11", 4096);
	long rss0 = rss_kb(g.v.pid);
	struct sp_gossip_range r = {FED "/73", strlen(FED "/73"), 0, OWN_FILL};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_WANT};
	m.u.want = (struct sp_gossip_want){1, &r};
	int sent = 0;
	for (; sent < 4 * SP_GOSSIP_WINDOW_MAX; sent++)
		if (hp_send(&h, &m) != 0)
			break;
	/* Read nothing until V has refused: its answers pile up in its queue. */
	assert_int_equal(sp_h_wait_text(g.v.log, "too many ranges outstanding", WAIT_MS), 0);
	long rss1 = rss_kb(g.v.pid);
	int code = hp_refused(&h);
	print_message("WANT flood: %d WANTs sent, V answered %s; RSS %ld -> %ld KiB\n", sent,
		      sp_errname(code), rss0, rss1);
	/* Its ERROR waits behind the answers the peer never read. */
	after_attack(&b, code, SP_ERR_CLOSED, 0, 1);
	assert_true(!RSS_CHECKED || rss1 - rss0 < RSS_GROWTH_KB);
}

/* A storm of NOTES: deltas naming ever new logs nobody vouches for. */
static void test_flood_notes(void **state)
{
	(void)state;
	struct hp h = {.fd = -1};
	attach(&h, "KEMENKES", 0);
	struct sp_gossip_note full = {FED "/KEMENKES", strlen(FED "/KEMENKES"), 0, NULL, 0};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_NOTES};
	m.u.notes = (struct sp_gossip_notes){1, 0, 1, &full};
	assert_int_equal(hp_send(&h, &m), 0);
	long rss0 = rss_kb(g.v.pid), cpu0 = cpu_ms(g.v.pid);
	enum { PER = 300, MSGS = 400 };
	static char names[PER][220];
	struct sp_gossip_note notes[PER];
	int k = 0;
	for (; k < MSGS; k++) {
		for (int i = 0; i < PER; i++) { /* ascending in each message and across them */
			int len = snprintf(names[i], sizeof(names[i]), FED "/X%06d%04d", k, i);
			memset(names[i] + len, 'x', 200 - (size_t)len);
			names[i][200] = '\0';
			notes[i] = (struct sp_gossip_note){names[i], 200, 7, NULL, 0};
		}
		m.u.notes = (struct sp_gossip_notes){0, 0, PER, notes};
		if (hp_send(&h, &m) != 0)
			break;
	}
	/* 24 MB of notes of logs nobody vouches for: refused past 16 MiB. */
	assert_int_equal(
		sp_h_wait_text(g.v.log, "too many notes of logs nobody vouches for", WAIT_MS), 0);
	long rss1 = rss_kb(g.v.pid);
	print_message("NOTES storm: %d notes of unknown logs sent, V's RSS %ld -> %ld KiB, CPU %ld "
		      "ms\n",
		      PER * k, rss0, rss1, cpu_ms(g.v.pid) - cpu0);
	assert_true(!RSS_CHECKED || rss1 - rss0 < RSS_GROWTH_KB);
	assert_int_equal(log_state(&g.v, names[0], NULL), -1);
	hp_close(&h);
	honest_flows();
}

/* ---- penalties ---------------------------------------------------------------------------------------------- */

/* status_peer: V's /v1/status entry for inst (NULL if none; decref). */
static json_t *status_peer(const char *inst)
{
	char *body = sp_h_get(g.v.addr, "/v1/status", NULL);
	json_t *o = json_loads(body ? body : "", 0, NULL), *v, *found = NULL;
	free(body);
	size_t i;
	json_array_foreach(json_object_get(o, "peer_penalties"), i, v) {
		const char *s = json_string_value(json_object_get(v, "inst"));
		if (s && strcmp(s, inst) == 0)
			found = json_incref(v);
	}
	json_decref(o);
	return found;
}

static void test_penalty_holds_off(void **state)
{
	(void)state;
	sp_h_node_stop(&g.v);
	write_config(&g.v, g.h.peer_url, 3000, 12000);
	sp_h_node_start(&g.v, 1);
	honest_flows();
	/* Offence 1: a bad signature. */
	bad_entries("73.15", spoil_sig, SP_ERR_BAD_SIGNATURE);
	json_t *p = status_peer("73.15");
	assert_non_null(p);
	assert_true(json_is_true(json_object_get(p, "held")));
	assert_int_equal(json_integer_value(json_object_get(p, "strikes")), 1);
	assert_int_equal(json_integer_value(json_object_get(p, "hold_ms")), 3000);
	assert_string_equal(json_string_value(json_object_get(p, "last_error")),
			    "SP_ERR_BAD_SIGNATURE");
	json_decref(p);
	/* Held off: the HELLO is refused with ERROR. */
	struct hp h = {.fd = -1};
	hp_keys(&h, g.fed, "73.15");
	hp_connect(&h, g.v.peer_url, 0);
	uint64_t t_refused = sp_mono_ms();
	assert_int_equal(hp_handshake(&h, NULL), SP_ERR_RATE_LIMITED);
	hp_close(&h);
	assert_true(metric(&g.v, "simpul_peer_held{inst=\"73.15\"}") == 1);
	assert_true(metric(&g.v, "simpul_peer_held_refused_total{inst=\"73.15\"}") >= 1);
	assert_true(count_text(g.v.log, "held off after bad data") >= 1);
	/* Accepted again once the period is over. */
	uint64_t t0 = sp_mono_ms();
	int rc = SP_ERR_RATE_LIMITED;
	while (rc == SP_ERR_RATE_LIMITED && sp_mono_ms() - t0 < WAIT_MS) {
		usleep(200000);
		hp_connect(&h, g.v.peer_url, 0);
		rc = hp_handshake(&h, NULL);
		hp_close(&h);
	}
	assert_int_equal(rc, 0);
	print_message("held off for about %llu ms (period 3000)\n",
		      (unsigned long long)(sp_mono_ms() - t_refused));
	assert_true(sp_mono_ms() - t_refused >= 2000);
	/* Offence 2: the period doubles. */
	bad_entries("73.15", spoil_index, SP_ERR_WRONG_INDEX);
	p = status_peer("73.15");
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "strikes")), 2);
	assert_int_equal(json_integer_value(json_object_get(p, "hold_ms")), 6000);
	assert_string_equal(json_string_value(json_object_get(p, "last_error")),
			    "SP_ERR_WRONG_INDEX");
	json_decref(p);
	/* Only 73.15 is held: another institution from the same address is not. */
	hp_keys(&h, g.fed, "73.16");
	hp_connect(&h, g.v.peer_url, 0);
	assert_int_equal(hp_handshake(&h, NULL), 0);
	hp_close(&h);
	/* Junk before any HELLO is held against the address: now every HELLO
	 * from it is refused, 73.16's too, until the hold ends. */
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff};
	hp_connect(&h, g.v.peer_url, 0);
	assert_int_equal(hp_write(&h, junk, sizeof(junk)), 0);
	assert_int_equal(hp_refused(&h), SP_ERR_RANGE);
	hp_connect(&h, g.v.peer_url, 0);
	assert_int_equal(hp_handshake(&h, NULL), SP_ERR_RATE_LIMITED);
	hp_close(&h);
	assert_true(metric(&g.v, "simpul_peer_held{addr=\"127.0.0.1\"}") == 1);
	t0 = sp_mono_ms();
	rc = SP_ERR_RATE_LIMITED;
	while (rc == SP_ERR_RATE_LIMITED && sp_mono_ms() - t0 < WAIT_MS) {
		usleep(200000);
		hp_connect(&h, g.v.peer_url, 0);
		rc = hp_handshake(&h, NULL);
		hp_close(&h);
	}
	assert_int_equal(rc, 0);
	/* H, which V dials, was never held off. */
	honest_flows();
	assert_int_equal(count_text(g.v.log, "dropped peer=73.12 "), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest_baseline),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_wrong_index),
		cmocka_unit_test(test_wrong_prev),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_oversized_frame),
		cmocka_unit_test(test_malformed_message),
		cmocka_unit_test(test_replayed_auth),
		cmocka_unit_test(test_replayed_message),
		cmocka_unit_test(test_forked_entry),
		cmocka_unit_test(test_inconsistent_checkpoint),
		cmocka_unit_test(test_evidence_refused),
		cmocka_unit_test(test_evidence_stored),
		cmocka_unit_test(test_flood_unsolicited),
		cmocka_unit_test(test_flood_wants),
		cmocka_unit_test(test_flood_notes),
		cmocka_unit_test(test_penalty_holds_off),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

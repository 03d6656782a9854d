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
 *   ends with the file byte for byte;
 * - a lying sender: the test process, as the node of 73.13 (its key from
 *   the federation folder), gives 73.12 a report entry naming a file and
 *   answers 73.12's ATTACH_WANT with other bytes; 73.12 refuses it (ERROR
 *   SP_ERR_HASH_MISMATCH, counted), keeps nothing of them, and gets the
 *   file from another peer (the province, where it was uploaded); one
 *   that answers with another size (73.16) is not asked again but not
 *   dropped (the entry may be what lies), and the file comes all the same;
 * - serving: the test process, as 73.14's node, asks 73.12 for chunks of
 *   the 200 KiB file (64 KiB, then the short last one), for a file it does
 *   not hold ("not held": total 0) and past the end (ERROR SP_ERR_RANGE);
 *   as 73.15's, it sends an ATTACH nobody asked for (SP_ERR_PEER_PROTOCOL).
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <sodium.h>

#include "sp_entry.h"
#include "sp_err.h"
#include "sp_gossip.h"
#include "sp_keyfile.h"
#include "sp_node_harness.h"
#include "sp_report.h"
#include "sp_clock.h"

#define WAIT_MS 60000
#define SMALL (200u << 10)
#define LARGE (512u << 10)

static struct {
	struct sp_h_fed f;
	char small[65]; /* the 200 KiB file of test_travels */
} g;

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
	char a[64];
	sp_h_fedup_addr(g.f.fed, id, a, sizeof(a));
	if (sp_h_post_ready(a, "/v1/reports", "Content-Type: application/json\r\n", s, strlen(s),
			    &r) != 0)
		r.status = 0;
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
	uint64_t t0 = sp_mono_ms();
	for (;;) {
		size_t got = 0;
		char *b = fetch(id, sha, &got, NULL, 0);
		int same = b && got == n && memcmp(b, want, n) == 0;
		free(b);
		if (same)
			return;
		if (sp_mono_ms() - t0 > WAIT_MS)
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
	unsigned base = sp_h_port_block();
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
	sp_h_fed_down(&g.f);
	return 0;
}

static void test_travels(void **state)
{
	(void)state;
	char sha[65];
	uint8_t *file = pdf(SMALL, 7);
	upload("73.11", file, SMALL, sha);
	snprintf(g.small, sizeof(g.small), "%s", sha);
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
	uint64_t t0 = sp_mono_ms();
	long long got = 0;
	while ((got = metric("73.12", BYTES_IN)) < 2 * 65536 && sp_mono_ms() - t0 < WAIT_MS)
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

/* ---- a peer that lies: the test process speaks the protocol ------------------------- */

struct liar {
	int fd;
	struct sp_gossip_hello ours, theirs;
	char their_fed[SP_GOSSIP_FED_MAX + 1], their_inst[SP_INST_ID_MAX + 1];
	uint8_t pk[32], sk[64], kx_sk[32], rx[32], tx[32];
	uint64_t seq_tx;
	int ready;
	uint8_t *buf; /* the last frame received */
};

static void liar_send(struct liar *l, const struct sp_gossip_msg *m)
{
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_gossip_encode(m, &b), 0);
	uint8_t tag[SP_GOSSIP_TAG_BYTES];
	size_t tl = 0;
	if (l->ready) {
		sp_gossip_tag(l->tx, l->seq_tx++, b.p, b.len, tag);
		tl = sizeof(tag);
	}
	uint8_t hdr[4];
	uint32_t n = (uint32_t)(b.len + tl);
	hdr[0] = (uint8_t)(n >> 24), hdr[1] = (uint8_t)(n >> 16), hdr[2] = (uint8_t)(n >> 8),
	hdr[3] = (uint8_t)n;
	assert_int_equal(send(l->fd, hdr, 4, MSG_NOSIGNAL), 4);
	assert_int_equal(send(l->fd, b.p, b.len, MSG_NOSIGNAL), (ssize_t)b.len);
	if (tl)
		assert_int_equal(send(l->fd, tag, tl, MSG_NOSIGNAL), (ssize_t)tl);
	sp_buf_free(&b);
}

/* read_full reads n bytes within wait_ms: 0, or -1 (closed, timed out). */
static int read_full(int fd, uint8_t *p, size_t n, uint64_t wait_ms)
{
	uint64_t t0 = sp_mono_ms();
	while (n > 0) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (sp_mono_ms() - t0 > wait_ms || poll(&pf, 1, 100) < 0)
			return -1;
		if (!(pf.revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t k = recv(fd, p, n, 0);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* liar_recv_ms decodes the next message, if one comes within wait_ms,
 * into m (borrowing l->buf): 0, or -1 (closed, or none came). */
static int liar_recv_ms(struct liar *l, struct sp_gossip_msg *m, uint64_t wait_ms)
{
	uint8_t hdr[4];
	free(l->buf);
	l->buf = NULL;
	if (read_full(l->fd, hdr, 4, wait_ms) != 0)
		return -1;
	size_t n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	l->buf = malloc(n);
	assert_non_null(l->buf);
	if (read_full(l->fd, l->buf, n, WAIT_MS) != 0)
		return -1;
	if (l->ready) /* its tags are not checked: we only watch what it does */
		n -= SP_GOSSIP_TAG_BYTES;
	assert_int_equal(sp_gossip_decode(l->buf, n, m), 0);
	return 0;
}

static int liar_recv(struct liar *l, struct sp_gossip_msg *m)
{
	return liar_recv_ms(l, m, WAIT_MS);
}

/* liar_connect dials url as inst (key file key) and authenticates. */
static void liar_connect(struct liar *l, const char *url, const char *inst, const char *key)
{
	unsigned port = 0;
	assert_int_equal(sscanf(url, "tcp://127.0.0.1:%u", &port), 1);
	assert_int_equal(sp_keyfile_load(key, l->pk, l->sk, NULL, 0), 0);
	l->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	l->ours = (struct sp_gossip_hello){.federation = "simpul.local", .federation_len = 12,
					   .inst = inst, .inst_len = strlen(inst)};
	memcpy(l->ours.key, l->pk, 32);
	randombytes_buf(l->ours.nonce, sizeof(l->ours.nonce));
	crypto_kx_keypair(l->ours.kx, l->kx_sk);
	struct sp_gossip_msg m = {.type = SP_GOSSIP_HELLO};
	m.u.hello = l->ours;
	liar_send(l, &m);
	struct sp_gossip_msg in;
	assert_int_equal(liar_recv(l, &in), 0);
	assert_int_equal(in.type, SP_GOSSIP_HELLO);
	l->theirs = in.u.hello;
	snprintf(l->their_fed, sizeof(l->their_fed), "%.*s", (int)in.u.hello.federation_len,
		 in.u.hello.federation);
	snprintf(l->their_inst, sizeof(l->their_inst), "%.*s", (int)in.u.hello.inst_len,
		 in.u.hello.inst);
	l->theirs.federation = l->their_fed;
	l->theirs.inst = l->their_inst;
	sp_gossip_msg_free(&in);
	m = (struct sp_gossip_msg){.type = SP_GOSSIP_AUTH};
	assert_int_equal(sp_gossip_auth_sign(&l->ours, &l->theirs, l->sk, m.u.auth.sig), 0);
	liar_send(l, &m);
	assert_int_equal(liar_recv(l, &in), 0);
	assert_int_equal(in.type, SP_GOSSIP_AUTH);
	assert_int_equal(sp_gossip_auth_verify(&l->ours, &l->theirs, in.u.auth.sig), 0);
	sp_gossip_msg_free(&in);
	assert_int_equal(sp_gossip_session_keys(&l->ours, &l->theirs, l->kx_sk, l->rx, l->tx), 0);
	l->ready = 1;
}

/* report_entry signs entry 0 of inst's log: a publik complaint naming
 * attachment h (n bytes); caller frees. */
static uint8_t *report_entry(const struct liar *l, const uint8_t h[32], size_t n, size_t *len)
{
	struct sp_report r = {.kind = SP_REPORT_PENGADUAN, .vis = SP_REPORT_PUBLIK};
#define S(x) ((struct sp_str){(x), sizeof(x) - 1})
	r.category = S("jalan");
	r.region = S("73.13.01");
	r.title = S("Jembatan putus");
	r.content = S("Foto terlampir");
	r.routed_to = S("73.13");
	r.channel = S("web");
	r.has_reporter_key = 1;
	memset(r.reporter_key, 3, sizeof(r.reporter_key));
	r.n_attach = 1;
	memcpy(r.attach[0].sha256, h, 32);
	r.attach[0].size = n;
	r.attach[0].media_type = S("application/pdf");
#undef S
	uint8_t *body, *out;
	size_t blen;
	assert_int_equal(sp_report_encode(&r, &body, &blen), 0);
	struct sp_entry e = {.version = SP_ENTRY_VERSION, .index = 0, .type = SP_EV_REPORT,
			     .body = body, .body_len = blen};
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e.time_ms = (uint64_t)ts.tv_sec * 1000;
	assert_int_equal(sp_entry_sign(&e, l->sk, &out, len), 0);
	free(body);
	return out;
}

/* liar_until reads until a message of type `type` (skipping NOTES and the
 * like, which the node sends every round): it goes to *m (caller frees);
 * fails the test if the session ends or none comes within WAIT_MS. */
static void liar_until(struct liar *l, int type, struct sp_gossip_msg *m)
{
	uint64_t end = sp_mono_ms() + WAIT_MS;
	while (sp_mono_ms() < end && liar_recv_ms(l, m, end - sp_mono_ms()) == 0) {
		if ((int)m->type == type)
			return;
		if (m->type == SP_GOSSIP_ERROR)
			fail_msg("ERROR %s instead of message type %d", sp_errname(m->u.error.code),
				 type);
		sp_gossip_msg_free(m);
	}
	fail_msg("no message type %d within %d ms (or the session closed)", type, WAIT_MS);
}

/* liar_error reads until the node's ERROR, within wait_ms: its code, or 0
 * if the session ended or the time passed without one. */
static int liar_error(struct liar *l, uint64_t wait_ms)
{
	struct sp_gossip_msg m;
	uint64_t end = sp_mono_ms() + wait_ms;
	int code = 0;
	while (code == 0 && sp_mono_ms() < end && liar_recv_ms(l, &m, end - sp_mono_ms()) == 0) {
		if (m.type == SP_GOSSIP_ERROR)
			code = m.u.error.code;
		sp_gossip_msg_free(&m);
	}
	return code;
}

static void ask_chunk(struct liar *l, const uint8_t h[32], uint64_t offset)
{
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ATTACH_WANT};
	memcpy(m.u.attach_want.hash, h, 32);
	m.u.attach_want.offset = offset;
	liar_send(l, &m);
}

static void liar_connect_as(struct liar *l, const char *inst)
{
	char key[PATH_MAX + 64], url_file[PATH_MAX + 64];
	snprintf(key, sizeof(key), "%s/keys/%s.key", g.f.fed, inst);
	snprintf(url_file, sizeof(url_file), "%s/nodes/73.12/data/simpuld.peer", g.f.fed);
	char *url = sp_h_slurp(url_file, NULL);
	assert_non_null(url);
	url[strcspn(url, "\r\n")] = '\0';
	liar_connect(l, url, inst, key);
	free(url);
}

/* give: as inst (l), give 73.12 entry 0 of inst's log, a complaint naming
 * a file of n bytes with hash h, and read until 73.12 asks for the file;
 * returns the entry (caller frees). */
static uint8_t *give(struct liar *l, const char *inst, const uint8_t h[32], size_t n)
{
	char origin[64];
	snprintf(origin, sizeof(origin), "simpul.local/%s", inst);
	liar_connect_as(l, inst);
	size_t elen;
	uint8_t *entry = report_entry(l, h, n, &elen);
	struct sp_gossip_note note = {origin, strlen(origin), 1, NULL, 0};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_NOTES}, in;
	m.u.notes = (struct sp_gossip_notes){1, 0, 1, &note};
	liar_send(l, &m);
	int asked = 0, code = 0;
	uint64_t end = sp_mono_ms() + WAIT_MS;
	while (code == 0 && !asked && sp_mono_ms() < end && liar_recv_ms(l, &in, end - sp_mono_ms()) == 0) {
		if (in.type == SP_GOSSIP_WANT) {
			const uint8_t *ev[1] = {entry};
			size_t lv[1] = {elen};
			m = (struct sp_gossip_msg){.type = SP_GOSSIP_ENTRIES};
			m.u.entries = (struct sp_gossip_entries){.origin = origin,
								 .origin_len = strlen(origin),
								 .first = 0, .count = 1,
								 .entries = ev, .lens = lv};
			liar_send(l, &m);
		} else if (in.type == SP_GOSSIP_ATTACH_WANT) {
			assert_memory_equal(in.u.attach_want.hash, h, 32);
			assert_int_equal(in.u.attach_want.offset, 0);
			asked = 1;
		} else if (in.type == SP_GOSSIP_ERROR) {
			code = in.u.error.code;
		}
		sp_gossip_msg_free(&in);
	}
	if (!asked)
		fail_msg("73.12 did not ask %s for the file within %d ms (ERROR %s)", inst, WAIT_MS,
			 code ? sp_errname(code) : "none");
	return entry;
}

/* offer: as inst, give 73.12 entry 0 of inst's log, a complaint naming
 * file[0..n) (hash h), and answer its ATTACH_WANT with `total` and the
 * file with one bit flipped if flip. Returns the ERROR code 73.12 closes
 * with (0: it did not close within the wait for its next request).
 * The honest copy is uploaded at the province first. */
static int offer(const char *inst, uint8_t *file, size_t n, uint64_t total, int flip)
{
	char sha[65];
	uint8_t h[32];
	upload("73", file, n, sha);
	crypto_hash_sha256(h, file, n);
	struct liar l = {0};
	uint8_t *entry = give(&l, inst, h, n);
	file[n / 2] ^= (uint8_t)flip; /* the lie */
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ATTACH};
	memcpy(m.u.attach.hash, h, 32);
	m.u.attach.total = total;
	m.u.attach.data = file;
	m.u.attach.len = n;
	liar_send(&l, &m);
	file[n / 2] ^= (uint8_t)flip;
	/* 73.12 closes on a refusal; else it goes on (notes every round) */
	int code = liar_error(&l, 3000);
	close(l.fd);
	free(l.buf);
	free(entry);
	return code;
}

/* log_has: 73.12's log holds text. */
static int log_has(const char *text)
{
	char log[PATH_MAX + 64];
	snprintf(log, sizeof(log), "%s/nodes/73.12/simpuld.log", g.f.fed);
	char *all = sp_h_slurp(log, NULL);
	int has = all && strstr(all, text) != NULL;
	free(all);
	return has;
}

static void test_lying_sender(void **state)
{
	(void)state;
	size_t n = 40000;
	uint8_t *file = pdf(n, 23), h[32];
	char sha[65], needle[128];
	crypto_hash_sha256(h, file, n);
	sodium_bin2hex(sha, sizeof(sha), h, 32);
	long long refused = metric("73.12", "simpul_peer_attachments_total{result=\"refused\"}");
	assert_int_equal(offer("73.13", file, n, n, 1), SP_ERR_HASH_MISMATCH);

	/* nothing of the lie kept; the file comes from the province */
	wait_same("73.12", sha, file, n);
	assert_int_equal(metric("73.12", "simpul_peer_attachments_total{result=\"refused\"}"),
			 refused + 1);
	snprintf(needle, sizeof(needle), "refused sha256=%.16s.. peer=73.13: attachment does not "
		 "match its hash", sha);
	assert_true(log_has(needle));
	free(file);
}

/* A size other than the entry's: that peer is not asked again, but not
 * dropped (the entry may be the liar); the file comes from the province. */
static void test_other_size(void **state)
{
	(void)state;
	size_t n = 30000;
	uint8_t *file = pdf(n, 29), h[32];
	char sha[65], needle[160];
	crypto_hash_sha256(h, file, n);
	sodium_bin2hex(sha, sizeof(sha), h, 32);
	assert_int_equal(offer("73.16", file, n, n + 1, 0), 0); /* not closed */
	wait_same("73.12", sha, file, n);
	snprintf(needle, sizeof(needle),
		 "refused sha256=%.16s.. peer=73.16: size %zu, the entry says %zu", sha, n + 1, n);
	assert_true(log_has(needle));
	free(file);
}

static void test_serving(void **state)
{
	(void)state;
	uint8_t *file = pdf(SMALL, 7), h[32], none[32];
	size_t got = 0;
	assert_int_equal(sodium_hex2bin(h, 32, g.small, 64, NULL, &got, NULL), 0);
	memset(none, 0x5a, sizeof(none));
	long long before = metric("73.12", "simpul_peer_attachment_bytes_total{dir=\"out\"}");
	struct liar l = {0};
	liar_connect_as(&l, "73.14");
	struct sp_gossip_msg m;

	ask_chunk(&l, h, 0);
	liar_until(&l, SP_GOSSIP_ATTACH, &m);
	assert_memory_equal(m.u.attach.hash, h, 32);
	assert_int_equal(m.u.attach.total, SMALL);
	assert_int_equal(m.u.attach.offset, 0);
	assert_int_equal(m.u.attach.len, SP_GOSSIP_CHUNK_MAX);
	assert_memory_equal(m.u.attach.data, file, SP_GOSSIP_CHUNK_MAX);
	sp_gossip_msg_free(&m);

	ask_chunk(&l, h, 3 * SP_GOSSIP_CHUNK_MAX); /* the last one: 8 KiB */
	liar_until(&l, SP_GOSSIP_ATTACH, &m);
	assert_int_equal(m.u.attach.offset, 3 * SP_GOSSIP_CHUNK_MAX);
	assert_int_equal(m.u.attach.len, SMALL - 3 * SP_GOSSIP_CHUNK_MAX);
	assert_memory_equal(m.u.attach.data, file + 3 * SP_GOSSIP_CHUNK_MAX,
			    SMALL - 3 * SP_GOSSIP_CHUNK_MAX);
	sp_gossip_msg_free(&m);

	ask_chunk(&l, none, 0); /* not held here */
	liar_until(&l, SP_GOSSIP_ATTACH, &m);
	assert_memory_equal(m.u.attach.hash, none, 32);
	assert_int_equal(m.u.attach.total, 0);
	assert_int_equal(m.u.attach.len, 0);
	sp_gossip_msg_free(&m);
	assert_int_equal(metric("73.12", "simpul_peer_attachment_bytes_total{dir=\"out\"}") - before,
			 SP_GOSSIP_CHUNK_MAX + SMALL - 3 * SP_GOSSIP_CHUNK_MAX);

	ask_chunk(&l, h, SMALL); /* past the end */
	assert_int_equal(liar_error(&l, WAIT_MS), SP_ERR_RANGE);
	close(l.fd);
	free(l.buf);

	/* an answer nobody asked for */
	struct liar k = {0};
	liar_connect_as(&k, "73.15");
	m = (struct sp_gossip_msg){.type = SP_GOSSIP_ATTACH};
	memcpy(m.u.attach.hash, h, 32);
	m.u.attach.total = SMALL;
	m.u.attach.data = file;
	m.u.attach.len = 1000;
	liar_send(&k, &m);
	assert_int_equal(liar_error(&k, WAIT_MS), SP_ERR_PEER_PROTOCOL);
	close(k.fd);
	free(k.buf);
	free(file);
}

/* restart_scan kills 73.12 (SIGKILL), starts it and reads its start
 * scan's line. */
static void restart_scan(struct sp_h_scan *sc)
{
	char log[PATH_MAX + 64];
	snprintf(log, sizeof(log), "%s/nodes/73.12/simpuld.log", g.f.fed);
	int before = sp_h_attach_scan(log, sc);
	node("kill", "73.12");
	node("start", "73.12");
	sp_h_attach_scan_wait(log, before, sc, WAIT_MS);
}

/* A file named by an entry read by a start scan, and held by no peer:
 * the scan's mark stays below that entry, so after restarts (kill -9) the
 * file is still wanted, and fetched once a peer has it; the rest of the
 * logs is not read again. */
static void test_wanted_across_restarts(void **state)
{
	(void)state;
	size_t n = 50000;
	uint8_t *file = pdf(n, 31), h[32];
	char sha[65];
	crypto_hash_sha256(h, file, n);
	sodium_bin2hex(sha, sizeof(sha), h, 32);
	struct liar l = {0};
	free(give(&l, "73.17", h, n));
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ATTACH}; /* "not held" */
	memcpy(m.u.attach.hash, h, 32);
	liar_send(&l, &m);
	close(l.fd);
	free(l.buf);

	struct sp_h_scan first, second;
	restart_scan(&first); /* reads 73.17's entry (and what came since the last start) */
	assert_true(first.entries >= 1);
	assert_true(first.wanted >= 1);
	restart_scan(&second); /* the marks spare what was read, not 73.17's entry */
	assert_true(second.entries >= 1);
	assert_true(second.skipped > 0);
	assert_true(second.entries < first.entries + first.skipped);
	assert_true(second.wanted >= 1);

	upload("73", file, n, sha); /* a peer has it now */
	wait_same("73.12", sha, file, n);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_travels),
		cmocka_unit_test(test_resume_after_restart),
		cmocka_unit_test(test_lying_sender),
		cmocka_unit_test(test_other_size),
		cmocka_unit_test(test_serving),
		cmocka_unit_test(test_wanted_across_restarts),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

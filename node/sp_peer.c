/*
 * sp_peer.c - peer sessions on the loop thread: the HELLO/AUTH handshake
 * with node keys, session tags, EBT notes, WANT/ENTRIES with the sp_gossip
 * planner, ingest through the store's checks, eager pushes to tree
 * neighbours, and the timeouts that drop stalled peers (see sp_peer.h and
 * docs/replication.md, "Implementation in simpuld").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_peer_int.h"
#include "sp_peer_score.h"
#include "sp_clock.h"

/* ---- trust: which keys and logs the directory (or config) vouches for ---------------- */

/* inst_key finds the signing key the directory (or [peer] keys, with no
 * directory) gives institution inst. */
static int inst_key(struct sp_peer *p, const char *inst, uint8_t key[32])
{
	if (p->dir) {
		struct sp_dir_inst rec;
		int rc = sp_dir_institution(p->dir, inst, SP_DIR_TIME_MAX, &rec);
		if (rc == 0)
			memcpy(key, rec.sign_key, 32);
		return rc ? SP_ERR_UNKNOWN_PEER : 0;
	}
	char origin[SP_ORIGIN_MAX + 1];
	snprintf(origin, sizeof(origin), "%s/%s", p->conf->federation, inst);
	for (size_t i = 0; i < p->conf->npeer_keys; i++)
		if (strcmp(p->conf->peer_keys[i].name, origin) == 0) {
			memcpy(key, p->conf->peer_keys[i].pk, 32);
			return 0;
		}
	return SP_ERR_UNKNOWN_PEER;
}

/* peer_vouched: the HELLO's key is the node key of the HELLO's institution
 * now, or the one before it for SP_PEER_KEY_GRACE_MS after a rotation
 * (with a directory; older keys are refused). */
static int peer_vouched(struct sp_peer *p, const char *inst, const uint8_t key[32])
{
	if (p->dir) {
		struct sp_keyhist h;
		if (sp_dir_keyhist(p->dir, inst, &h) != 0)
			return SP_ERR_UNKNOWN_PEER;
		long at = sp_keyhist_find(&h, key);
		if (at >= 0 && ((size_t)at + 1 == h.n ||
				((size_t)at + 2 == h.n &&
				 sp_now_ms() < h.from_ms[h.n - 1] + SP_PEER_KEY_GRACE_MS)))
			return 0;
		return SP_ERR_UNKNOWN_PEER;
	}
	uint8_t want[32];
	if (inst_key(p, inst, want) != 0 || sodium_memcmp(want, key, 32) != 0)
		return SP_ERR_UNKNOWN_PEER;
	return 0;
}

/* is_neighbour: inst is our parent or child in the tier tree (with no
 * directory, or before our own record is in it, every peer is). */
static int is_neighbour(struct sp_peer *p, const char *inst)
{
	if (p->dir == NULL)
		return 1;
	char parent[SP_INST_ID_MAX + 1];
	int rc = sp_dir_parent(p->dir, p->conf->id, parent);
	if (rc == SP_ERR_UNKNOWN_INSTITUTION)
		return 1; /* not admitted yet (await_record): any peer may be the parent */
	if (rc == 0 && strcmp(parent, inst) == 0)
		return 1;
	return sp_dir_parent(p->dir, inst, parent) == 0 && strcmp(parent, p->conf->id) == 0;
}

/* origin_inst gives the institution part of "<our federation>/<inst>", or
 * NULL for another federation. */
static const char *origin_inst(struct sp_peer *p, const char *origin)
{
	size_t fl = strlen(p->conf->federation);
	if (strncmp(origin, p->conf->federation, fl) != 0 || origin[fl] != '/')
		return NULL;
	return origin + fl + 1;
}

/* learn registers a log a peer offers, if its writer key is vouched for:
 * 1 if it was added, 0 if known or not vouched. With a directory the log
 * takes the institution's whole key history. */
static int learn(struct sp_peer *p, const char *origin)
{
	uint32_t id;
	struct sp_keyhist h;
	const char *inst = origin_inst(p, origin);
	if (sp_store_log_find(p->store, origin, &id) == 0 || inst == NULL || !sp_dir_id_valid(inst))
		return 0;
	if (p->dir ? sp_dir_keyhist(p->dir, inst, &h) != 0 : inst_key(p, inst, h.pk[0]) != 0)
		return 0;
	if (!p->dir)
		sp_keyhist_init(&h, h.pk[0]);
	int rc = sp_store_log_add(p->store, origin, h.pk[0], &id);
	if (rc == 0 && h.n > 1)
		rc = sp_store_log_keys(p->store, id, &h);
	if (rc) {
		sp_logx(p->log, SP_LOGX_WARN, "peer", "cannot add log origin=%s err=%s", origin,
			sp_errname(rc));
		return 0;
	}
	sp_logx(p->log, SP_LOGX_INFO, "peer", "replicating log origin=%s", origin);
	return 1;
}

/* ---- our note set ------------------------------------------------------------------------ */

static void ours_set(struct sp_peer *p, uint32_t id)
{
	struct sp_log_info info;
	if (sp_store_log_info(p->store, id, &info) != 0)
		return;
	struct sp_buf cp;
	sp_buf_init(&cp);
	int has = sp_store_checkpoint(p->store, id, &cp, NULL) == 0 && cp.err == 0 &&
		  cp.len <= SP_GOSSIP_NOTE_MAX;
	sp_peer_nset_set(&p->ours, info.origin, strlen(info.origin), info.size,
			 has ? (const char *)cp.p : NULL, has ? cp.len : 0);
	sp_buf_free(&cp);
}

static void ours_rebuild(struct sp_peer *p)
{
	uint32_t count = sp_store_log_count(p->store);
	for (uint32_t id = 0; id < count; id++)
		ours_set(p, id);
}

/* own_fetching: own entries are taken from peers now (restore,
 * docs/design.md §2): appends are held, or the store holds a later own checkpoint. */
static int own_fetching(struct sp_peer *p)
{
	return p->has_own && (p->restoring || sp_store_own_behind(p->store, NULL));
}

/* plan_view is our note set as the WANT planner should see it: sizes
 * include the batches still in the ingest pipeline; the own log, frozen
 * logs and logs whose pipeline is full look complete, so they are not
 * asked for (now). */
static struct sp_gossip_note *plan_view(struct sp_peer *p)
{
	struct sp_gossip_note *v = malloc((p->ours.n + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	memcpy(v, p->ours.v, p->ours.n * sizeof(*v));
	for (size_t i = 0; i < p->ours.n; i++) {
		uint32_t id;
		struct sp_log_info info;
		if (sp_store_log_find(p->store, v[i].origin, &id) != 0 ||
		    sp_store_log_info(p->store, id, &info) != 0)
			continue;
		if ((info.own && !own_fetching(p)) || info.frozen || sp_peer_lane_full(p, id))
			v[i].size = UINT64_MAX >> 1;
		else
			v[i].size = sp_peer_lane_size(p, id, info.size);
	}
	return v;
}

/* ---- sending ------------------------------------------------------------------------------ */

static const char *peer_name(const struct sp_peer_conn *c)
{
	return c->their_inst[0] ? c->their_inst : "?";
}

static void refuse(struct sp_peer_conn *c, int rc, const char *why);

/* log_frozen: a log's writer contradicted itself (evidence kept); if the
 * sender is that writer, it is refused (err) and penalised. */
static void log_frozen(struct sp_peer *p, struct sp_peer_conn *c, uint32_t id, int err,
		       const char *what)
{
	struct sp_log_info info = {0};
	sp_store_log_info(p->store, id, &info);
	sp_logx(p->log, SP_LOGX_WARN, "peer", "%s: evidence kept, log frozen origin=%s peer=%s", what,
		info.origin, peer_name(c));
	const char *inst = origin_inst(p, info.origin);
	if (!c->dead && c->state == SP_PEER_READY && inst && strcmp(inst, c->their_inst) == 0)
		refuse(c, err, "the writer contradicted its own log");
}

/* drop closes a session for reason rc, logged once. */
static void drop(struct sp_peer_conn *c, int rc, const char *why)
{
	struct sp_peer *p = c->p;
	if (c->dead)
		return;
	atomic_fetch_add(&p->st.dropped, 1);
	sp_logx(p->log, rc == SP_ERR_CLOSED ? SP_LOGX_INFO : SP_LOGX_WARN, "peer",
		"dropped peer=%s addr=%s err=%s: %s", peer_name(c), c->addr, sp_errname(rc), why);
	sp_peer_attach_conn_down(c);
	sp_peer_net_close(c);
}

/* send_bytes tags an encoded message once the session is up and queues it;
 * a full queue means the peer stopped reading, and drops it. */
static int send_bytes(struct sp_peer_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t tag[SP_GOSSIP_TAG_BYTES];
	size_t tag_len = 0;
	if (c->state == SP_PEER_READY) {
		sp_gossip_tag(c->tx_key, c->seq_tx++, msg, len, tag);
		tag_len = sizeof(tag);
	}
	int rc = sp_peer_net_send(c, msg, len, tag, tag_len);
	if (rc == SP_ERR_BUSY)
		drop(c, rc, "send queue full: peer not reading");
	else if (rc && rc != SP_ERR_CLOSED)
		drop(c, rc, "cannot send");
	return rc;
}

/* send_msg encodes m and sends it. */
static int send_msg(struct sp_peer_conn *c, const struct sp_gossip_msg *m)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_gossip_encode(m, &b);
	if (rc == 0 && b.err)
		rc = SP_ERR_NOMEM;
	if (rc == 0)
		rc = send_bytes(c, b.p, b.len);
	else
		drop(c, rc, "cannot encode");
	sp_buf_free(&b);
	return rc;
}

/* refuse tells the peer why (best effort) and drops it. */
static void refuse(struct sp_peer_conn *c, int rc, const char *why)
{
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ERROR};
	m.u.error = (struct sp_gossip_error){rc, why, strlen(why)};
	sp_peer_penalise(c, rc, why);
	send_msg(c, &m);
	drop(c, rc, why);
}

/* useless counts `bytes` a peer sent that serve nothing: unsolicited
 * ENTRIES from a lazy peer, ENTRIES and NOTES of logs nobody vouches for.
 * Honest peers send none of that; a peer that sends more than
 * SP_PEER_USELESS_BURST, refilled at SP_PEER_USELESS_RATE per second, is
 * refused and penalised (docs/design.md §4: rate-limited and reported), where
 * before it only cost CPU. 1 if it was refused. */
static int useless(struct sp_peer_conn *c, uint64_t bytes, const char *why)
{
	uint64_t now = sp_mono_ms();
	if (c->useless_ms == 0)
		c->useless_left = SP_PEER_USELESS_BURST;
	else
		c->useless_left += (now - c->useless_ms) * (SP_PEER_USELESS_RATE / 1000);
	if (c->useless_left > SP_PEER_USELESS_BURST)
		c->useless_left = SP_PEER_USELESS_BURST;
	c->useless_ms = now;
	if (bytes <= c->useless_left) {
		c->useless_left -= bytes;
		return 0;
	}
	refuse(c, SP_ERR_RATE_LIMITED, why);
	return 1;
}

/* entries_bytes: what an ENTRIES message carries, near enough. */
static uint64_t entries_bytes(const struct sp_gossip_entries *e)
{
	uint64_t n = e->origin_len + e->checkpoint_len;
	for (size_t i = 0; i < e->count; i++)
		n += e->lens[i];
	return n;
}

/* send_notes sends the peer the notes of its interest set: the whole set
 * first, then what changed. */
static void send_notes(struct sp_peer_conn *c)
{
	struct sp_peer *p = c->p;
	size_t nview = 0;
	struct sp_gossip_note *view = sp_peer_offer_view(c, &nview);
	struct sp_gossip_note *out = malloc((p->ours.n + 1) * sizeof(*out));
	size_t nout = 0;
	int full = 0;
	if (view == NULL || out == NULL ||
	    sp_gossip_session_our_notes(&c->plan, c->sent_notes.v, c->sent_notes.n, view, nview,
					out, &nout, &full) != 0) {
		free(view);
		free(out);
		return;
	}
	struct sp_gossip_notes m = {full, 0, nout, out};
	while (!c->dead && (m.n > 0 || full)) {
		struct sp_buf b;
		size_t taken = 0;
		sp_buf_init(&b);
		int rc = sp_gossip_notes_pack(&m, &b, &taken);
		if (rc == 0 && b.err)
			rc = SP_ERR_NOMEM;
		if (rc == 0)
			rc = send_bytes(c, b.p, b.len);
		sp_buf_free(&b);
		if (rc || (taken == 0 && m.n > 0))
			break;
		m.notes += taken;
		m.n -= taken;
		full = 0;
	}
	free(out);
	struct sp_peer_nset sent = {nview, nview, view};
	if (!c->dead)
		sp_peer_nset_copy(&c->sent_notes, &sent);
	free(view);
}

/* do_wants asks the peer for what it holds and we lack, within the window:
 * one WANT per call of the planner (each lists a log once), so that
 * several consecutive ranges of a log are in flight. */
static void do_wants(struct sp_peer_conn *c)
{
	struct sp_gossip_note *view = plan_view(c->p);
	struct sp_gossip_range out[SP_GOSSIP_WINDOW_MAX];
	size_t nout = 0;
	if (c->plan.npending == 0)
		c->t_answer_ms = sp_mono_ms();
	while (view && !c->dead &&
	       sp_gossip_session_wants(&c->plan, view, c->p->ours.n, c->peer_notes.v,
				       c->peer_notes.n, out, SP_GOSSIP_WINDOW_MAX, &nout) == 0 &&
	       nout > 0) {
		struct sp_gossip_msg m = {.type = SP_GOSSIP_WANT};
		m.u.want = (struct sp_gossip_want){nout, out};
		send_msg(c, &m);
	}
	free(view);
}

/* tune_chunk sizes the next ranges after an answer so that one range's
 * entries fit one ENTRIES message (7/8 of its budget, by the answer's
 * mean entry size): a range that does not fit comes back short and
 * costs the ranges planned after it. */
static void tune_chunk(struct sp_peer_conn *c, const struct sp_gossip_entries *e)
{
	size_t bytes = 0;
	for (size_t i = 0; i < e->count; i++)
		bytes += e->lens[i];
	if (e->count == 0 || bytes == 0)
		return;
	uint64_t chunk = (uint64_t)SP_GOSSIP_BATCH_MAX * 7 / 8 / ((bytes + e->count - 1) / e->count);
	c->plan.chunk = chunk < 1 ? 1 : chunk > SP_GOSSIP_MAX_ENTRIES ? SP_GOSSIP_MAX_ENTRIES : chunk;
}

/* ---- serving ranges ------------------------------------------------------------------------ */

struct batch {
	struct sp_buf bytes;
	size_t n, total;
	size_t off[SP_GOSSIP_MAX_ENTRIES], len[SP_GOSSIP_MAX_ENTRIES];
};

static int batch_add(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	struct batch *b = arg;
	if (b->n == SP_GOSSIP_MAX_ENTRIES || b->total + len > SP_GOSSIP_BATCH_MAX)
		return 1; /* full: stop the scan */
	b->off[b->n] = b->bytes.len;
	b->len[b->n++] = len;
	b->total += len;
	sp_buf_put(&b->bytes, entry, len);
	return 0;
}

/* attach_checkpoint adds our latest checkpoint of the log when it covers
 * the batch, with a consistency proof from the receiver's size `from`. */
static void attach_checkpoint(struct sp_peer *p, uint32_t id, uint64_t from,
			      struct sp_gossip_entries *e, struct sp_buf *cp,
			      sp_hash proof[SP_MERKLE_MAX_PROOF])
{
	uint64_t size = 0;
	size_t n = 0;
	if (sp_store_checkpoint(p->store, id, cp, &size) != 0 || cp->err ||
	    cp->len > SP_GOSSIP_NOTE_MAX || size < e->first + e->count)
		return;
	if (from > 0 && sp_store_consistency(p->store, id, from, size, proof, &n) != 0)
		return;
	e->checkpoint = (const char *)cp->p;
	e->checkpoint_len = cp->len;
	e->proof_from = from;
	e->nproof = n;
	e->proof = (const uint8_t *)proof;
}

/* serve sends one ENTRIES of [from, to) of `origin` (clamped to what we
 * hold; answers send "nothing" too, pushes do not). Returns the number of
 * entries sent. */
static size_t serve(struct sp_peer_conn *c, const char *origin, uint64_t from, uint64_t to,
		    int push)
{
	struct sp_peer *p = c->p;
	uint32_t id;
	struct sp_log_info info = {0};
	if (sp_store_log_find(p->store, origin, &id) == 0)
		sp_store_log_info(p->store, id, &info);
	struct sp_gossip_range want = {origin, strlen(origin), from, to};
	uint64_t f, t;
	sp_gossip_serve_range(&want, info.size, &f, &t);
	struct batch *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return 0;
	sp_buf_init(&b->bytes);
	if (t > f)
		sp_store_scan(p->store, id, f, t, batch_add, b);
	const uint8_t *ptrs[SP_GOSSIP_MAX_ENTRIES];
	for (size_t i = 0; i < b->n; i++)
		ptrs[i] = b->bytes.p + b->off[i];
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ENTRIES};
	m.u.entries = (struct sp_gossip_entries){.origin = origin, .origin_len = strlen(origin),
						 .first = f, .count = b->n, .entries = ptrs,
						 .lens = b->len};
	struct sp_buf cp;
	sp_buf_init(&cp);
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	if (b->n)
		attach_checkpoint(p, id, from, &m.u.entries, &cp, proof);
	struct sp_buf msg;
	size_t sent = 0;
	sp_buf_init(&msg);
	if (b->bytes.err || (b->n == 0 && push) ||
	    sp_gossip_entries_pack(&m.u.entries, &msg, &sent) != 0 || msg.err ||
	    send_bytes(c, msg.p, msg.len) != 0)
		sent = 0;
	sp_buf_free(&msg);
	sp_buf_free(&cp);
	sp_buf_free(&b->bytes);
	free(b);
	return sent;
}

/* serve_wants answers queued WANT ranges while the send queue has room;
 * when it fills, a WRITABLE event brings us back. */
static void serve_wants(struct sp_peer_conn *c)
{
	struct sp_peer_want_q *q = &c->wants;
	while (q->n > 0 && !c->dead && sp_peer_net_queued(c, 1) < SP_PEER_TX_LOW) {
		struct sp_gossip_pending *w = &q->v[q->head];
		q->head = (q->head + 1) % SP_GOSSIP_WINDOW_MAX;
		q->n--;
		serve(c, w->origin, w->from, w->to, 0);
	}
}

/* push sends, to an eager peer, the recent entries it lacks of the logs
 * it holds. Large gaps are left to its WANTs (it sees them in our notes). */
static void push(struct sp_peer_conn *c)
{
	struct sp_gossip_range r[64];
	size_t n = 0;
	if (sp_gossip_session_offers(c->p->ours.v, c->p->ours.n, c->peer_notes.v, c->peer_notes.n,
				     r, 64, &n) != 0)
		return;
	for (size_t i = 0; i < n && !c->dead; i++) {
		char origin[SP_ORIGIN_MAX + 1];
		snprintf(origin, sizeof(origin), "%.*s", (int)r[i].origin_len, r[i].origin);
		uint64_t from = r[i].from;
		if (r[i].to - from > 4 * SP_GOSSIP_MAX_ENTRIES)
			continue;
		while (from < r[i].to && !c->dead && sp_peer_net_queued(c, 0) < SP_PEER_TX_LOW) {
			size_t k = serve(c, origin, from, r[i].to, 1);
			if (k == 0)
				break;
			from += k;
		}
		long j = sp_peer_nset_find(&c->peer_notes, origin, strlen(origin));
		if (j >= 0 && from > c->peer_notes.v[j].size)
			c->peer_notes.v[j].size = from; /* it will say so in its notes */
	}
}

/* ---- receiving: handshake ---------------------------------------------------------------- */

static void session_start(struct sp_peer_conn *c)
{
	struct sp_peer *p = c->p;
	c->t_start_ms = sp_mono_ms();
	c->ours.federation = p->conf->federation;
	c->ours.federation_len = strlen(p->conf->federation);
	c->ours.inst = p->conf->id;
	c->ours.inst_len = strlen(p->conf->id);
	pthread_mutex_lock(&p->key_mu);
	int prev = sp_now_ms() < p->prev_until_ms;
	memcpy(c->ours.key, prev ? p->prev_pk : p->pk, 32);
	pthread_mutex_unlock(&p->key_mu);
	randombytes_buf(c->ours.nonce, sizeof(c->ours.nonce));
	crypto_kx_keypair(c->ours.kx, c->kx_sk);
	struct sp_gossip_msg m = {.type = SP_GOSSIP_HELLO};
	m.u.hello = c->ours;
	send_msg(c, &m);
}

static void on_hello(struct sp_peer_conn *c, const struct sp_gossip_hello *h)
{
	struct sp_peer *p = c->p;
	snprintf(c->their_fed, sizeof(c->their_fed), "%.*s", (int)h->federation_len, h->federation);
	snprintf(c->their_inst, sizeof(c->their_inst), "%.*s", (int)h->inst_len, h->inst);
	c->theirs = *h;
	c->theirs.federation = c->their_fed;
	c->theirs.inst = c->their_inst;
	if (sp_peer_held_off(c)) {
		refuse(c, SP_ERR_RATE_LIMITED, "held off after bad data: try later");
		return;
	}
	if (strcmp(c->their_fed, p->conf->federation) != 0 || h->inst_len >= sizeof(c->their_inst)) {
		refuse(c, SP_ERR_ARG, "another federation");
		return;
	}
	int rc = peer_vouched(p, c->their_inst, h->key);
	if (rc) {
		atomic_fetch_add(&p->st.refused, 1);
		refuse(c, rc, "key not vouched for by the directory");
		return;
	}
	struct sp_gossip_msg m = {.type = SP_GOSSIP_AUTH};
	uint8_t sk[64];
	pthread_mutex_lock(&p->key_mu);
	memcpy(sk, memcmp(c->ours.key, p->pk, 32) == 0 ? p->sk : p->prev_sk, 64);
	pthread_mutex_unlock(&p->key_mu);
	rc = sp_gossip_auth_sign(&c->ours, &c->theirs, sk, m.u.auth.sig);
	sodium_memzero(sk, sizeof(sk));
	if (rc) {
		refuse(c, rc, "cannot authenticate (talking to myself?)");
		return;
	}
	c->state = SP_PEER_AUTH;
	send_msg(c, &m);
}

/* dedupe keeps one session per pair of nodes: the one dialed by the node
 * with the smaller key (both sides choose the same); 1 if c was closed. */
static int dedupe(struct sp_peer_conn *c)
{
	struct sp_peer *p = c->p;
	for (struct sp_peer_conn *o = p->conns; o; o = o->next) {
		if (o == c || o->state != SP_PEER_READY || memcmp(o->theirs.key, c->theirs.key, 32))
			continue;
		const uint8_t *kc = c->slot >= 0 ? c->ours.key : c->theirs.key;
		const uint8_t *ko = o->slot >= 0 ? o->ours.key : o->theirs.key;
		struct sp_peer_conn *loser = memcmp(kc, ko, 32) < 0 ? o : c;
		drop(loser, SP_ERR_CLOSED, "duplicate session");
		return loser == c;
	}
	return 0;
}

static void on_auth(struct sp_peer_conn *c, const struct sp_gossip_auth *a)
{
	struct sp_peer *p = c->p;
	int rc = sp_gossip_auth_verify(&c->ours, &c->theirs, a->sig);
	if (rc == 0)
		rc = sp_gossip_session_keys(&c->ours, &c->theirs, c->kx_sk, c->rx_key, c->tx_key);
	sodium_memzero(c->kx_sk, sizeof(c->kx_sk));
	if (rc) {
		atomic_fetch_add(&p->st.refused, 1);
		refuse(c, SP_ERR_AUTH, "authentication failed");
		return;
	}
	c->state = SP_PEER_READY;
	c->eager = is_neighbour(p, c->their_inst);
	sp_gossip_session_init(&c->plan, SP_PEER_WINDOW);
	sp_gossip_session_depth(&c->plan, SP_PEER_DEPTH, SP_PEER_CHUNK0);
	atomic_fetch_add(&p->st.sessions, 1);
	atomic_fetch_add(&p->st.live, 1);
	if (c->slot >= 0) {
		memcpy(p->dials[c->slot].peer_key, c->theirs.key, 32);
		p->dials[c->slot].known = 1;
	}
	sp_logx(p->log, SP_LOGX_INFO, "peer", "session up peer=%s addr=%s dialed=%d eager=%d",
		c->their_inst, c->addr, c->slot >= 0, c->eager);
	if (dedupe(c))
		return;
	send_notes(c);
}

/* ---- receiving: exchange ------------------------------------------------------------------- */

/* put_checkpoint stores a checkpoint from the peer's notes (see
 * sp_peer_checkpoint_put); a contradiction is evidence, not an error. */
static int put_checkpoint(struct sp_peer *p, struct sp_peer_conn *c, uint32_t id,
			  const char *cp, size_t len)
{
	int rc = sp_peer_checkpoint_put(p, id, cp, len);
	if (rc == SP_ERR_INCONSISTENT) {
		log_frozen(p, c, id, SP_ERR_INCONSISTENT, "checkpoint contradicts the log");
		return 0;
	}
	return rc;
}

/* cp_size: the size in a signed checkpoint note's body; 0 if none. */
static uint64_t cp_size(const char *cp, size_t len)
{
	struct sp_note note;
	struct sp_checkpoint body;
	if (cp == NULL || sp_note_parse(cp, len, &note) != 0 ||
	    sp_checkpoint_parse(note.text, note.text_len, &body) != 0)
		return 0;
	return body.size;
}

/* late_checkpoints stores, once replica log id has grown, the newest
 * checkpoint of it that a peer noted before we held the entries it covers
 * (sp_peer_checkpoint_put skips those, and notes say each change once):
 * without it, a log whose entries came by eager push, ahead of their
 * checkpoint, kept serving an older checkpoint for good (test_converge). */
static void late_checkpoints(struct sp_peer *p, uint32_t id)
{
	struct sp_log_info info;
	uint64_t have = 0;
	struct sp_buf cur;
	sp_buf_init(&cur);
	int rc = sp_store_log_info(p->store, id, &info);
	if (rc == 0 && !info.own && sp_store_checkpoint(p->store, id, &cur, &have) != 0)
		have = 0;
	sp_buf_free(&cur);
	for (struct sp_peer_conn *o = p->conns; o && rc == 0 && !info.own; o = o->next) {
		long k = o->state == SP_PEER_READY && !o->dead
				 ? sp_peer_nset_find(&o->peer_notes, info.origin, strlen(info.origin))
				 : -1;
		const struct sp_gossip_note *n = k >= 0 ? &o->peer_notes.v[k] : NULL;
		uint64_t size = n ? cp_size(n->checkpoint, n->checkpoint_len) : 0;
		if (size <= have || size > info.size)
			continue;
		if (put_checkpoint(p, o, id, n->checkpoint, n->checkpoint_len) != 0)
			refuse(o, SP_ERR_BAD_SIGNATURE, "checkpoint does not verify");
		else
			have = size;
	}
}

/* restore_check ends the hold on own appends once every dialed peer
 * answered with its notes (or could not be reached) and we hold all of
 * our own log they hold, or after SP_PEER_RESTORE_MS. A stored own
 * checkpoint larger than our log still holds appends (in the store) until
 * its entries are back. */
static void restore_check(struct sp_peer *p)
{
	if (!p->restoring)
		return;
	struct sp_log_info info = {0};
	sp_store_log_info(p->store, p->own_id, &info);
	int all = 1;
	for (size_t i = 0; i < p->ndials; i++)
		all &= p->dials[i].tried;
	int late = sp_mono_ms() - p->restore_t0 > SP_PEER_RESTORE_MS;
	if (!late && (!all || info.size < p->own_target))
		return;
	p->restoring = 0;
	sp_store_own_hold(p->store, 0);
	sp_logx(p->log, late ? SP_LOGX_WARN : SP_LOGX_INFO, "peer",
		"own log checked with peers%s: size=%llu peers_hold=%llu behind=%d",
		late ? " (timed out)" : "", (unsigned long long)info.size,
		(unsigned long long)p->own_target, sp_store_own_behind(p->store, NULL));
}

/* own_note takes a peer's note of our own log: its size is what we must
 * hold before appending again, its checkpoint (signed by us) is stored
 * when larger than our log, so the store refuses appends until the
 * entries are back. SP_ERR_BAD_SIGNATURE: the peer was refused. */
static int own_note(struct sp_peer *p, struct sp_peer_conn *c, const char *origin,
		    const struct sp_gossip_note *n)
{
	if (!p->has_own || strcmp(origin, p->origin) != 0)
		return 0;
	if (p->restoring && n->size > p->own_target)
		p->own_target = n->size;
	if (n->checkpoint == NULL)
		return 0;
	int rc = sp_store_own_checkpoint_put(p->store, n->checkpoint, n->checkpoint_len);
	if (rc == SP_ERR_NOTE_NO_SIG)
		return 0; /* our new key, before our directory holds it (a rotation) */
	if (rc == SP_ERR_INCONSISTENT) {
		sp_logx(p->log, SP_LOGX_ERROR, "peer",
			"peer=%s holds an own checkpoint our log contradicts", peer_name(c));
		return 0;
	}
	if (rc) {
		refuse(c, SP_ERR_BAD_SIGNATURE, "own checkpoint does not verify");
		return rc;
	}
	return 0;
}

static void on_notes(struct sp_peer_conn *c, const struct sp_gossip_notes *m)
{
	struct sp_peer *p = c->p;
	if (sp_gossip_session_peer_notes(&c->plan, m) != 0) {
		refuse(c, SP_ERR_PEER_PROTOCOL, "notes out of order");
		return;
	}
	int learned = 0;
	for (size_t i = 0; i < m->n && !c->dead; i++) {
		const struct sp_gossip_note *n = &m->notes[i];
		char origin[SP_ORIGIN_MAX + 1];
		snprintf(origin, sizeof(origin), "%.*s", (int)n->origin_len, n->origin);
		learned |= learn(p, origin);
		uint32_t id;
		if (sp_store_log_find(p->store, origin, &id) != 0) {
			/* neither held nor vouched for: not kept (a storm of
			 * made-up logs would grow the set without bound) */
			if (useless(c, n->origin_len + n->checkpoint_len + 16,
				    "too many notes of logs nobody vouches for"))
				return;
			continue;
		}
		sp_peer_nset_set(&c->peer_notes, n->origin, n->origin_len, n->size, n->checkpoint,
				 n->checkpoint_len);
		if (own_note(p, c, origin, n) != 0)
			return;
		long j = sp_peer_nset_find(&p->ours, n->origin, n->origin_len);
		int same = j >= 0 && p->ours.v[j].checkpoint && n->checkpoint &&
			   p->ours.v[j].checkpoint_len == n->checkpoint_len &&
			   memcmp(p->ours.v[j].checkpoint, n->checkpoint, n->checkpoint_len) == 0;
		if (n->checkpoint && !same && sp_store_log_find(p->store, origin, &id) == 0 &&
		    (!p->has_own || id != p->own_id) &&
		    put_checkpoint(p, c, id, n->checkpoint, n->checkpoint_len) != 0) {
			refuse(c, SP_ERR_BAD_SIGNATURE, "checkpoint does not verify");
			return;
		}
	}
	if (learned)
		ours_rebuild(p);
	if (c->plan.peer_complete && c->slot >= 0)
		p->dials[c->slot].tried = 1;
	restore_check(p);
	do_wants(c);
}

static void on_want(struct sp_peer_conn *c, const struct sp_gossip_want *w)
{
	struct sp_peer_want_q *q = &c->wants;
	if (q->n + w->n > SP_GOSSIP_WINDOW_MAX) {
		refuse(c, SP_ERR_PEER_PROTOCOL, "too many ranges outstanding");
		return;
	}
	for (size_t i = 0; i < w->n; i++) {
		struct sp_gossip_pending *d = &q->v[(q->head + q->n++) % SP_GOSSIP_WINDOW_MAX];
		snprintf(d->origin, sizeof(d->origin), "%.*s", (int)w->ranges[i].origin_len,
			 w->ranges[i].origin);
		d->origin_len = w->ranges[i].origin_len;
		d->from = w->ranges[i].from;
		d->to = w->ranges[i].to;
	}
	serve_wants(c);
}

/* queue_batch hands a received batch (and its frame) to the ingest
 * pipeline; unsolicited ones are dropped when the pipeline is full (the
 * notes bring them back as WANTs). */
static void queue_batch(struct sp_peer_conn *c, const struct sp_log_info *info,
			struct sp_gossip_msg *m, uint8_t **bufp, int unsolicited)
{
	struct sp_peer *p = c->p;
	if (unsolicited && sp_peer_lane_full(p, info->id))
		return;
	struct sp_peer_job *j = calloc(1, sizeof(*j));
	struct sp_peer_ev *ev = calloc(1, sizeof(*ev));
	if (j == NULL || ev == NULL) {
		free(j);
		free(ev);
		return; /* asked for again: the range is no longer pending */
	}
	atomic_fetch_add(&c->refs, 1);
	*j = (struct sp_peer_job){.c = c, .id = info->id, .unsolicited = unsolicited,
				  .buf = *bufp, .m = *m, .ev = ev};
	*bufp = NULL;
	m->alloc = NULL; /* the job owns the decoded arrays now */
	if (sp_peer_ingest_queue(p, j, info->size) != 0)
		sp_peer_job_free(j);
}

static void on_entries(struct sp_peer_conn *c, struct sp_gossip_msg *m, uint8_t **bufp)
{
	struct sp_peer *p = c->p;
	const struct sp_gossip_entries *e = &m->u.entries;
	int rc = sp_gossip_session_answered(&c->plan, e->origin, e->origin_len, e->first, e->count);
	int unsolicited = rc != 0;
	if (rc == SP_ERR_GAP) { /* planned before a short answer: asked again */
		c->t_answer_ms = sp_mono_ms();
		do_wants(c);
		return;
	}
	if (rc == 0)
		tune_chunk(c, e);
	/* Who is a tree neighbour (and pushes) is read from each node's own
	 * directory, as it was when the session began: a record that arrived
	 * since (an institution added, re-parented, retired) may have made
	 * this peer one, and its push met a WANT of ours. Look again before
	 * calling it a protocol breach. */
	if (rc == SP_ERR_RANGE && !c->eager)
		c->eager = is_neighbour(p, c->their_inst);
	if (rc == SP_ERR_RANGE && !c->eager) {
		refuse(c, SP_ERR_PEER_PROTOCOL, "entries outside the range asked for");
		return;
	}
	if (rc == SP_ERR_NOT_FOUND && !c->eager) {
		/* unsolicited from a lazy peer: ignored */
		useless(c, entries_bytes(e), "too many unsolicited entries");
		return;
	}
	c->t_answer_ms = sp_mono_ms();
	char origin[SP_ORIGIN_MAX + 1];
	snprintf(origin, sizeof(origin), "%.*s", (int)e->origin_len, e->origin);
	uint32_t id;
	struct sp_log_info info;
	int held = sp_store_log_find(p->store, origin, &id) == 0;
	if (!held && useless(c, entries_bytes(e), "too many entries of logs nobody vouches for"))
		return;
	if (e->count > 0 && held && sp_store_log_info(p->store, id, &info) == 0 &&
	    (!info.own || own_fetching(p)) && !info.frozen) {
		long j = sp_peer_nset_find(&c->peer_notes, e->origin, e->origin_len);
		if (j >= 0 && c->peer_notes.v[j].size < e->first + e->count)
			c->peer_notes.v[j].size = e->first + e->count;
		queue_batch(c, &info, m, bufp, unsolicited);
	}
	do_wants(c);
}

/* on_ingested takes a batch back from the pipeline: counts, relays,
 * refuses a sender whose batch failed its checks, asks for more. */
static void on_ingested(struct sp_peer *p, struct sp_peer_job *j)
{
	struct sp_peer_conn *c = j->c;
	if (c == NULL) { /* the attachment scan at start */
		sp_peer_attach_found(p, NULL, j->att, j->natt);
		return;
	}
	sp_peer_lane_done(p, j->id);
	atomic_fetch_add(&p->st.entries_in, j->acc);
	if (j->acc) {
		late_checkpoints(p, j->id);
		ours_set(p, j->id);
		restore_check(p);
		atomic_store(&p->dirty, 1); /* relay: push and announce */
	}
	if (j->natt)
		sp_peer_attach_found(p, c, j->att, j->natt);
	if (j->fork)
		log_frozen(p, c, j->id, SP_ERR_FORK, "fork");
	if (j->cp_fork)
		log_frozen(p, c, j->id, SP_ERR_INCONSISTENT, "checkpoint contradicts the log");
	if (j->rc) {
		atomic_fetch_add(&p->st.entries_bad, j->m.u.entries.count - j->acc);
		if (!c->dead)
			refuse(c, j->rc, j->why ? j->why : "entries refused");
	}
	for (struct sp_peer_conn *o = p->conns; o; o = o->next)
		if (o->state == SP_PEER_READY && !o->dead)
			do_wants(o);
}

/* on_lazy takes ANNOUNCE and IHAVE: the peer's new sizes, to WANT from. */
static void on_lazy(struct sp_peer_conn *c, const struct sp_gossip_note *n, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		long j = sp_peer_nset_find(&c->peer_notes, n[i].origin, n[i].origin_len);
		if (j >= 0 && c->peer_notes.v[j].size < n[i].size)
			c->peer_notes.v[j].size = n[i].size;
	}
	do_wants(c);
}

static void on_error(struct sp_peer_conn *c, const struct sp_gossip_error *e)
{
	char text[SP_GOSSIP_TEXT_MAX + 1];
	size_t n = 0;
	for (; n < e->text_len && n < SP_GOSSIP_TEXT_MAX; n++) /* peer text: printable only */
		text[n] = e->text[n] >= 0x20 && e->text[n] < 0x7f && e->text[n] != '"' ? e->text[n]
										     : '?';
	text[n] = '\0';
	sp_logx(c->p->log, SP_LOGX_WARN, "peer", "peer=%s addr=%s sent error code=%s text=\"%s\"",
		peer_name(c), c->addr, sp_errname(e->code), text);
	drop(c, SP_ERR_CLOSED, "closed by the peer");
}

static void dispatch(struct sp_peer_conn *c, struct sp_gossip_msg *m, uint8_t **bufp)
{
	if (m->type == SP_GOSSIP_ERROR)
		on_error(c, &m->u.error);
	else if (c->state == SP_PEER_HELLO && m->type == SP_GOSSIP_HELLO)
		on_hello(c, &m->u.hello);
	else if (c->state == SP_PEER_AUTH && m->type == SP_GOSSIP_AUTH)
		on_auth(c, &m->u.auth);
	else if (c->state != SP_PEER_READY || m->type == SP_GOSSIP_HELLO || m->type == SP_GOSSIP_AUTH)
		refuse(c, SP_ERR_PEER_PROTOCOL, "message out of order in the handshake");
	else if (m->type == SP_GOSSIP_NOTES)
		on_notes(c, &m->u.notes);
	else if (m->type == SP_GOSSIP_WANT)
		on_want(c, &m->u.want);
	else if (m->type == SP_GOSSIP_ENTRIES)
		on_entries(c, m, bufp);
	else if (m->type == SP_GOSSIP_ANNOUNCE)
		on_lazy(c, &m->u.announce, 1);
	else if (m->type == SP_GOSSIP_IHAVE)
		on_lazy(c, m->u.ihave.notes, m->u.ihave.n);
	else if (m->type == SP_GOSSIP_ATTACH_WANT)
		sp_peer_attach_on_want(c, &m->u.attach_want);
	else if (m->type == SP_GOSSIP_ATTACH)
		sp_peer_attach_on_chunk(c, &m->u.attach);
	else if (m->type == SP_GOSSIP_COSIGN)
		sp_peer_fork_on_cosign(c, &m->u.cosign);
	else if (m->type == SP_GOSSIP_EVIDENCE)
		sp_peer_fork_on_evidence(c, &m->u.evidence);
	/* GRAFT, PRUNE: not acted on yet */
}

/* on_frame handles one received frame; an ENTRIES batch may take the
 * buffer (*bufp set to NULL). */
static void on_frame(struct sp_peer_conn *c, uint8_t **bufp, size_t len)
{
	uint8_t *buf = *bufp;
	struct sp_peer *p = c->p;
	atomic_fetch_add(&p->st.msgs_in, 1);
	if (c->state == SP_PEER_READY) {
		if (len <= SP_GOSSIP_TAG_BYTES) {
			refuse(c, SP_ERR_PEER_PROTOCOL, "message without its tag");
			return;
		}
		len -= SP_GOSSIP_TAG_BYTES;
		if (sp_gossip_tag_verify(c->rx_key, c->seq_rx++, buf, len, buf + len) != 0) {
			refuse(c, SP_ERR_AUTH, "bad session tag");
			return;
		}
	}
	struct sp_gossip_msg m;
	int rc = sp_gossip_decode(buf, len, &m);
	if (rc == 0)
		dispatch(c, &m, bufp);
	else
		refuse(c, rc, "malformed message");
	sp_gossip_msg_free(&m);
}

/* ---- the loop side: events and rounds ---------------------------------------------------------- */

static void on_conn(struct sp_peer *p, struct sp_peer_ev *e)
{
	if (e->st == NULL) {
		sp_logx(p->log, SP_LOGX_DEBUG, "peer", "dial failed url=%s: %s",
			p->dials[e->slot].url, nng_strerror(e->err));
		p->dials[e->slot].tried = 1;
		restore_check(p);
		sp_peer_net_redial(p, e->slot, 0);
		return;
	}
	if (p->nconns >= SP_PEER_CONNS_MAX) {
		sp_logx(p->log, SP_LOGX_WARN, "peer", "too many connections: refused one");
		if (e->slot >= 0)
			sp_peer_net_redial(p, e->slot, 0);
		return; /* ev_free frees the stream */
	}
	struct sp_peer_conn *c = sp_peer_net_conn(p, e->st, e->slot);
	e->st = NULL;
	if (c)
		session_start(c);
	else if (e->slot >= 0)
		sp_peer_net_redial(p, e->slot, 0);
}

static void handle(struct sp_peer *p, struct sp_peer_ev *e)
{
	struct sp_peer_conn *c = e->c;
	switch (e->type) {
	case SP_PEER_EV_CONN:
		on_conn(p, e);
		return;
	case SP_PEER_EV_MSG:
		if (!c->dead)
			on_frame(c, &e->buf, e->len);
		if (!c->dead)
			sp_peer_net_consumed(c);
		return;
	case SP_PEER_EV_DOWN:
		if (!c->dead && e->err < 0) /* our framing refused it: a bad frame */
			refuse(c, e->err, "bad frame");
		else if (!c->dead)
			drop(c, e->err == NNG_ECLOSED || e->err == NNG_ECONNSHUT ? SP_ERR_CLOSED
				: SP_ERR_IO, nng_strerror(e->err));
		return;
	case SP_PEER_EV_WRITABLE:
		if (!c->dead && c->state == SP_PEER_READY)
			serve_wants(c);
		if (!c->dead && c->state == SP_PEER_READY)
			sp_peer_attach_serve(c);
		return;
	case SP_PEER_EV_INGESTED:
		on_ingested(p, e->job);
		return;
	}
}

/* redial_idle (loop): every dialer waiting out its backoff dials now. */
static void redial_idle(struct sp_peer *p)
{
	if (!atomic_exchange(&p->redial, 0))
		return;
	for (size_t i = 0; i < p->ndials; i++)
		if (!p->dials[i].busy)
			sp_peer_net_redial(p, (int)i, 1);
}

/* round: timeouts, then (if logs grew) pushes, then note deltas. */
static void round_run(struct sp_peer *p)
{
	uint64_t now = sp_mono_ms();
	int dirty = atomic_exchange(&p->dirty, 0);
	ours_rebuild(p);
	restore_check(p);
	redial_idle(p);
	struct sp_peer_conn *next;
	for (struct sp_peer_conn *c = p->conns; c; c = next) {
		next = c->next;
		if (c->state != SP_PEER_READY) {
			if (now - c->t_start_ms > SP_PEER_HANDSHAKE_MS)
				drop(c, SP_ERR_AUTH, "handshake timed out");
			continue;
		}
		if (sp_peer_net_stalled(c, now, SP_PEER_STALL_MS)) {
			drop(c, SP_ERR_BUSY, "stalled: sent nothing for too long");
			continue;
		}
		if (c->plan.npending && now - c->t_answer_ms > SP_PEER_STALL_MS) {
			drop(c, SP_ERR_BUSY, "stalled: ranges asked for not answered");
			continue;
		}
		if (dirty && c->eager)
			push(c);
		if (!c->dead)
			send_notes(c);
		if (!c->dead)
			sp_peer_fork_round(c);
	}
	sp_peer_attach_round(p, now);
}

static void on_async(uv_async_t *a)
{
	struct sp_peer *p = a->data;
	struct sp_peer_ev *e = sp_peer_net_take_events(p);
	while (e) {
		struct sp_peer_ev *next = e->next;
		handle(p, e);
		sp_peer_ev_free(e);
		e = next;
	}
	if (atomic_load(&p->dirty))
		round_run(p);
}

static void on_tick(uv_timer_t *t)
{
	round_run(t->data);
}

/* ---- lifecycle ---------------------------------------------------------------------------------- */

void sp_peer_notify(struct sp_peer *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->dirty, 1);
	pthread_mutex_lock(&p->ev_mu); /* the handle stays open while not stopping */
	if (!p->stopping)
		uv_async_send(&p->async);
	pthread_mutex_unlock(&p->ev_mu);
}

void sp_peer_forgive(struct sp_peer *p, const char *inst)
{
	if (p == NULL || p->score == NULL)
		return;
	if (sp_peer_score_forgive(p->score, inst, sp_mono_ms()))
		sp_logx(p->log, SP_LOGX_INFO, "peer", "hold ended peer=%s: fork resolved", inst);
	atomic_store(&p->redial, 1);
	sp_peer_notify(p);
}

int sp_peer_new(const struct sp_peer_opts *o, struct sp_peer **out)
{
	*out = NULL;
	struct sp_peer *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return SP_ERR_NOMEM;
	p->loop = o->loop;
	p->store = o->store;
	p->log = o->log;
	p->conf = o->conf;
	p->dir = o->dir;
	p->stored = o->stored;
	p->reset = o->reset;
	p->stored_arg = o->stored_arg;
	p->involved = o->involved;
	p->involved_gen = o->involved_gen;
	p->involved_arg = o->involved_arg;
	pthread_mutex_init(&p->ev_mu, NULL);
	pthread_mutex_init(&p->key_mu, NULL);
	sp_conf_origin(o->conf, p->origin, sizeof(p->origin));
	p->has_own = sp_store_own_log(p->store, &p->own_id) == 0;
	memcpy(p->sk, o->sk, 64);
	memcpy(p->pk, o->sk + 32, 32);
	if (o->prev_sk) {
		memcpy(p->prev_sk, o->prev_sk, 64);
		memcpy(p->prev_pk, o->prev_sk + 32, 32);
		p->prev_until_ms = o->prev_until_ms;
	}
	uv_async_init(p->loop, &p->async, on_async);
	uv_timer_init(p->loop, &p->tick);
	p->async.data = p->tick.data = p;
	*out = p; /* from here sp_peer_stop + sp_peer_free clean up */
	ours_rebuild(p);
	int rc = sp_peer_attach_start(p);
	if (rc == 0)
		rc = sp_peer_score_new(o->conf->penalty_ms, o->conf->penalty_max_ms, &p->score);
	if (rc == 0)
		rc = sp_peer_ingest_start(p);
	if (rc == 0)
		rc = sp_peer_net_start(p);
	if (rc == 0 && p->has_own && p->ndials > 0) {
		p->restoring = 1; /* a restored copy must not fork: ask first */
		p->restore_t0 = sp_mono_ms();
		sp_store_own_hold(p->store, 1);
	}
	if (rc == 0)
		uv_timer_start(&p->tick, on_tick, SP_PEER_TICK_MS, SP_PEER_TICK_MS);
	return rc;
}

void sp_peer_stop(struct sp_peer *p)
{
	if (p == NULL)
		return;
	sp_peer_net_stop(p);
	sp_peer_ingest_stop(p);
	sp_peer_attach_stop(p);
	uv_timer_stop(&p->tick);
	if (!uv_is_closing((uv_handle_t *)&p->tick))
		uv_close((uv_handle_t *)&p->tick, NULL);
	if (!uv_is_closing((uv_handle_t *)&p->async))
		uv_close((uv_handle_t *)&p->async, NULL);
}

void sp_peer_free(struct sp_peer *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->ndials; i++) {
		nng_stream_dialer_free(p->dials[i].d);
		nng_aio_free(p->dials[i].aio);
	}
	free(p->dials);
	if (p->listener)
		nng_stream_listener_free(p->listener);
	nng_aio_free(p->accept_aio);
	sp_peer_nset_free(&p->ours);
	sp_peer_ingest_free(p);
	sp_peer_attach_free(p);
	sp_peer_score_free(p->score);
	pthread_mutex_destroy(&p->ev_mu);
	pthread_mutex_destroy(&p->key_mu);
	sodium_memzero(p->sk, sizeof(p->sk));
	sodium_memzero(p->prev_sk, sizeof(p->prev_sk));
	free(p);
}

void sp_peer_rekey(struct sp_peer *p, const uint8_t sk[64], uint64_t prev_until_ms)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->key_mu);
	if (memcmp(p->pk, sk + 32, 32) != 0) {
		memcpy(p->prev_sk, p->sk, 64);
		memcpy(p->prev_pk, p->pk, 32);
		p->prev_until_ms = prev_until_ms;
		memcpy(p->sk, sk, 64);
		memcpy(p->pk, sk + 32, 32);
	}
	pthread_mutex_unlock(&p->key_mu);
}

void sp_peer_metrics(struct sp_peer *p, struct sp_buf *out)
{
	if (p == NULL)
		return;
	char b[1536];
	int n = snprintf(
		b, sizeof(b),
		"# HELP simpul_peer_sessions Authenticated peer sessions open now.\n"
		"# TYPE simpul_peer_sessions gauge\nsimpul_peer_sessions %lld\n"
		"# HELP simpul_peer_sessions_total Peer sessions authenticated.\n"
		"# TYPE simpul_peer_sessions_total counter\nsimpul_peer_sessions_total %llu\n"
		"# HELP simpul_peer_refused_total Peers refused at the handshake.\n"
		"# TYPE simpul_peer_refused_total counter\nsimpul_peer_refused_total %llu\n"
		"# HELP simpul_peer_dropped_total Peer sessions closed.\n"
		"# TYPE simpul_peer_dropped_total counter\nsimpul_peer_dropped_total %llu\n"
		"# HELP simpul_peer_messages_total Peer messages, by direction.\n"
		"# TYPE simpul_peer_messages_total counter\n"
		"simpul_peer_messages_total{dir=\"in\"} %llu\nsimpul_peer_messages_total{dir=\"out\"} %llu\n"
		"# HELP simpul_peer_bytes_total Peer bytes, by direction.\n"
		"# TYPE simpul_peer_bytes_total counter\n"
		"simpul_peer_bytes_total{dir=\"in\"} %llu\nsimpul_peer_bytes_total{dir=\"out\"} %llu\n"
		"# HELP simpul_peer_entries_total Replica entries received, by result.\n"
		"# TYPE simpul_peer_entries_total counter\n"
		"simpul_peer_entries_total{result=\"stored\"} %llu\n"
		"simpul_peer_entries_total{result=\"refused\"} %llu\n",
		(long long)atomic_load(&p->st.live),
		(unsigned long long)atomic_load(&p->st.sessions),
		(unsigned long long)atomic_load(&p->st.refused),
		(unsigned long long)atomic_load(&p->st.dropped),
		(unsigned long long)atomic_load(&p->st.msgs_in),
		(unsigned long long)atomic_load(&p->st.msgs_out),
		(unsigned long long)atomic_load(&p->st.bytes_in),
		(unsigned long long)atomic_load(&p->st.bytes_out),
		(unsigned long long)atomic_load(&p->st.entries_in),
		(unsigned long long)atomic_load(&p->st.entries_bad));
	if (n > 0)
		sp_buf_put(out, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
	sp_peer_attach_metrics(p, out);
	if (p->score)
		sp_peer_score_metrics(p->score, sp_mono_ms(), out);
}

int sp_peer_send(struct sp_peer_conn *c, const struct sp_gossip_msg *m)
{
	return send_msg(c, m);
}

void sp_peer_refuse(struct sp_peer_conn *c, int rc, const char *why)
{
	refuse(c, rc, why);
}

void sp_peer_drop(struct sp_peer_conn *c, int rc, const char *why)
{
	drop(c, rc, why);
}

json_t *sp_peer_penalties(struct sp_peer *p)
{
	return p && p->score ? sp_peer_score_json(p->score, sp_mono_ms()) : json_array();
}

/*
 * sp_peer_attach.c - attachments travel with the reports that reference
 * them (docs/replication.md, "Attachments"): a node that stores a replica
 * entry naming a file it lacks fetches it by hash from its peers
 * (ATTACH_WANT / ATTACH, one chunk per request), keeps the chunks in the
 * store as they come (so a transfer resumes at its offset after a dropped
 * session or a restart), checks the SHA-256 of the whole before keeping
 * it, and serves the files it holds to its peers.
 *
 * Bounds: one request outstanding per attachment, SP_PEER_ATT_PER_PEER
 * per peer and SP_PEER_ATT_FLIGHT in all (each answer is one message of at
 * most SP_GOSSIP_RECV_MAX); at most SP_PEER_ATT_WANTED_MAX attachments
 * tracked (more are found again at the next start); [peer] attach_rate
 * caps the bytes asked for per second. A peer may queue
 * SP_PEER_ATT_SERVE_MAX requests here; they are served while its send
 * queue is below SP_PEER_TX_LOW.
 *
 * Threads: sp_peer_attach_collect runs on the ingest thread and the start
 * scan on a thread of its own; both read the store (the scan also records
 * its per-log marks, below) and hand what they find to the loop, where
 * everything else runs. The counters are atomic
 * (sp_peer_attach_metrics runs on HTTP threads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_peer_int.h"
#include "sp_report.h"
#include "sp_clock.h"

#define ATT_BAD_MAX 4          /* peers remembered per file as having sent bad data */
#define ATT_MIN_CHUNK 16384    /* a shorter chunk, unless the last, is refused */
#define ATT_RETRY_MS 100       /* first retry after "not held", doubling ... */
#define ATT_RETRY_MAX_MS 30000 /* ... up to this */
#define ATT_CANDIDATES 64      /* peers considered per request */
#define ATT_IDLE_MS 1000       /* no peer to ask: look again after this */

/* One attachment wanted (loop thread). */
struct att {
	struct sp_peer_att_ref ref; /* as the entry gives it, with its log */
	uint64_t have;              /* bytes held, as chained chunks in the store */
	struct sp_peer_conn *asked; /* the peer with our request, or NULL */
	uint64_t asked_ms, not_before_ms;
	unsigned turn, misses;      /* rotation over peers; "not held" answers in a row */
	int has_hint, has_src;
	uint8_t hint[32];           /* the peer that sent the entry: asked first */
	uint8_t src[32];            /* the peer the held bytes came from */
	int mixed_src;              /* ... several peers, or unknown (resumed) */
	unsigned nbad;
	uint8_t bad[ATT_BAD_MAX][32]; /* peers that sent bad data for it: never asked again */
};

struct sp_peer_attach {
	pthread_t scan;             /* the start scan */
	int scan_started;
	atomic_int scan_stop;
	struct att *v;              /* wanted, in the order found */
	size_t n, cap;
	unsigned inflight;
	uint64_t budget, refill_ms; /* [peer] attach_rate token bucket */
	int full_logged;
	/* fetched, checked and kept; refused (bad data); chunk bytes kept;
	 * "not held" answers; chunks and "not held" served; bytes served */
	atomic_uint_least64_t fetched, refused, bytes_in, not_held, served, unserved, bytes_out,
		wanted;
};

static void hex16(const uint8_t h[SP_HASH_BYTES], char out[17])
{
	sodium_bin2hex(out, 17, h, 8);
}

/* ---- finding what entries name (ingest thread, and the start) ----------------------- */

struct refs {
	struct sp_store *store;
	uint32_t log;  /* of the entries looked at */
	struct sp_peer_att_ref *v;
	size_t n, cap;
	uint64_t seen;    /* entries looked at (the start scan) */
	uint64_t missing; /* attachments named and not held, listed or not */
};

/* refs_add_decoded lists the attachments entry e names that the store
 * lacks; sizes and types the store could not take are skipped. 1: the
 * list is full (stop a scan). */
static int refs_add_decoded(struct refs *rs, const struct sp_entry *e)
{
	struct sp_report r;
	rs->seen++;
	if (e->type != SP_EV_REPORT || sp_report_parse(e->body, e->body_len, &r) != 0)
		return 0;
	for (size_t i = 0; i < r.n_attach; i++) {
		const struct sp_report_attachment *a = &r.attach[i];
		if (a->size == 0 || a->size > SP_ATTACH_MAX_BYTES || a->media_type.n == 0 ||
		    a->media_type.n > SP_ATTACH_TYPE_MAX ||
		    memchr(a->media_type.p, '\0', a->media_type.n) ||
		    sp_store_attach_get(rs->store, a->sha256, NULL, NULL) != SP_ERR_NOT_FOUND)
			continue;
		rs->missing++;
		if (rs->n == SP_PEER_ATT_WANTED_MAX)
			return 1;
		if (rs->n == rs->cap) {
			size_t cap = rs->cap ? 2 * rs->cap : 8;
			struct sp_peer_att_ref *v = realloc(rs->v, cap * sizeof(*v));
			if (v == NULL)
				return 1;
			rs->v = v;
			rs->cap = cap;
		}
		struct sp_peer_att_ref *o = &rs->v[rs->n++];
		o->log = rs->log;
		memcpy(o->hash, a->sha256, SP_HASH_BYTES);
		o->size = a->size;
		memcpy(o->type, a->media_type.p, a->media_type.n);
		o->type[a->media_type.n] = '\0';
		o->flags = r.vis == SP_REPORT_RAHASIA ? SP_ATTACH_SEALED : 0;
	}
	return 0;
}

/* refs_add is refs_add_decoded for entry bytes buf[0..len). */
static int refs_add(struct refs *rs, const uint8_t *buf, size_t len)
{
	struct sp_entry e;
	if (sp_entry_decode(buf, len, &e) != 0) {
		rs->seen++;
		return 0;
	}
	return refs_add_decoded(rs, &e);
}

void sp_peer_attach_collect(struct sp_peer *p, struct sp_peer_job *j,
			    const struct sp_store_run *run)
{
	struct refs rs = {.store = p->store, .log = run->log};
	for (size_t i = 0; i < run->n; i++)
		if (run->ents ? refs_add_decoded(&rs, &run->ents[i])
			      : refs_add(&rs, run->entries[i], run->lens[i]))
			break;
	j->att = rs.v;
	j->natt = rs.n;
}

/* ---- the wanted list (loop thread) -------------------------------------------------- */

static struct att *find(struct sp_peer_attach *a, const uint8_t hash[SP_HASH_BYTES])
{
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->v[i].ref.hash, hash, SP_HASH_BYTES) == 0)
			return &a->v[i];
	return NULL;
}

static void forget(struct sp_peer_attach *a, struct att *t)
{
	size_t i = (size_t)(t - a->v);
	memmove(t, t + 1, (a->n - i - 1) * sizeof(*t));
	a->n--;
	atomic_store(&a->wanted, a->n);
}

/* release: the request on t is answered or its session is gone. */
static void release(struct sp_peer_attach *a, struct att *t)
{
	if (t->asked == NULL)
		return;
	if (t->asked->att.asked > 0)
		t->asked->att.asked--;
	t->asked = NULL;
	a->inflight--;
}

static int is_bad(const struct att *t, const uint8_t key[32])
{
	for (unsigned i = 0; i < t->nbad; i++)
		if (memcmp(t->bad[i], key, 32) == 0)
			return 1;
	return 0;
}

/* mark_bad: c is never asked for t again (while the node runs). */
static void mark_bad(struct att *t, const struct sp_peer_conn *c)
{
	if (t->nbad < ATT_BAD_MAX && !is_bad(t, c->theirs.key))
		memcpy(t->bad[t->nbad++], c->theirs.key, 32);
}

/* choose picks the peer to ask for t: among the peers with a free slot
 * that hold the log naming it and never sent bad data for it, the one that
 * sent the entry first, then the others in turn. */
static struct sp_peer_conn *choose(struct sp_peer *p, struct att *t)
{
	struct sp_log_info info;
	if (sp_store_log_info(p->store, t->ref.log, &info) != 0)
		return NULL;
	struct sp_peer_conn *cand[ATT_CANDIDATES], *hint = NULL;
	size_t n = 0;
	for (struct sp_peer_conn *c = p->conns; c && n < ATT_CANDIDATES; c = c->next) {
		if (c->state != SP_PEER_READY || c->dead || c->att.asked >= SP_PEER_ATT_PER_PEER ||
		    is_bad(t, c->theirs.key) ||
		    sp_peer_nset_find(&c->peer_notes, info.origin, strlen(info.origin)) < 0)
			continue;
		if (t->has_hint && memcmp(c->theirs.key, t->hint, 32) == 0)
			hint = c;
		cand[n++] = c;
	}
	if (hint && t->misses == 0)
		return hint;
	return n ? cand[t->turn % n] : NULL;
}

static void refill(struct sp_peer *p, uint64_t now)
{
	struct sp_peer_attach *a = p->att;
	uint64_t rate = p->conf->attach_rate, cap = rate > SP_GOSSIP_CHUNK_MAX ? rate
									     : SP_GOSSIP_CHUNK_MAX;
	if (rate == 0)
		return;
	if (a->refill_ms == 0) {
		a->refill_ms = now;
		a->budget = SP_GOSSIP_CHUNK_MAX;
		return;
	}
	uint64_t add = (now - a->refill_ms) * rate / 1000;
	if (add == 0)
		return;
	a->budget = a->budget + add > cap ? cap : a->budget + add;
	a->refill_ms = now;
}

/* ask sends ATTACH_WANT for t's next chunk to c. */
static void ask(struct sp_peer *p, struct att *t, struct sp_peer_conn *c, uint64_t now)
{
	struct sp_peer_attach *a = p->att;
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ATTACH_WANT};
	memcpy(m.u.attach_want.hash, t->ref.hash, SP_HASH_BYTES);
	m.u.attach_want.offset = t->have;
	if (sp_peer_send(c, &m) != 0)
		return; /* c is being dropped */
	t->asked = c;
	t->asked_ms = now;
	c->att.asked++;
	a->inflight++;
	if (p->conf->attach_rate)
		a->budget -= a->budget < SP_GOSSIP_CHUNK_MAX ? a->budget : SP_GOSSIP_CHUNK_MAX;
}

/* pump asks for the next chunks, within the bounds and the rate. */
static void pump(struct sp_peer *p)
{
	struct sp_peer_attach *a = p->att;
	uint64_t now = sp_mono_ms();
	refill(p, now);
	for (size_t i = 0; i < a->n && a->inflight < SP_PEER_ATT_FLIGHT; i++) {
		struct att *t = &a->v[i];
		if (t->asked || now < t->not_before_ms)
			continue;
		if (p->conf->attach_rate && a->budget < SP_GOSSIP_CHUNK_MAX)
			break;
		struct sp_peer_conn *c = choose(p, t);
		if (c)
			ask(p, t, c, now);
		else
			t->not_before_ms = now + ATT_IDLE_MS; /* no peer to ask now */
	}
}

/* want adds one attachment to the list (not if held or listed already). */
static void want(struct sp_peer *p, struct sp_peer_conn *c, const struct sp_peer_att_ref *r)
{
	struct sp_peer_attach *a = p->att;
	if (find(a, r->hash) || sp_store_attach_get(p->store, r->hash, NULL, NULL) != SP_ERR_NOT_FOUND)
		return;
	if (a->n == SP_PEER_ATT_WANTED_MAX) {
		if (!a->full_logged)
			sp_logx(p->log, SP_LOGX_WARN, "attach",
				"%d attachments wanted: more wait for the next start",
				SP_PEER_ATT_WANTED_MAX);
		a->full_logged = 1;
		return;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;
		struct att *v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL)
			return;
		a->v = v;
		a->cap = cap;
	}
	struct att *t = &a->v[a->n];
	memset(t, 0, sizeof(*t));
	t->ref = *r;
	if (c) {
		t->has_hint = 1;
		memcpy(t->hint, c->theirs.key, 32);
	}
	if (sp_store_attach_part_read(p->store, r->hash, r->size, &t->have, NULL) != 0)
		t->have = 0;
	t->mixed_src = t->have > 0; /* resumed: the earlier chunks' sender is not known */
	a->n++;
	atomic_store(&a->wanted, a->n);
	char h[17];
	hex16(r->hash, h);
	sp_logx(p->log, SP_LOGX_INFO, "attach", "%s sha256=%s.. size=%llu offset=%llu",
		t->have ? "resuming" : "wanted", h, (unsigned long long)r->size,
		(unsigned long long)t->have);
}

void sp_peer_attach_found(struct sp_peer *p, struct sp_peer_conn *c,
			  const struct sp_peer_att_ref *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		want(p, c && !c->dead ? c : NULL, &v[i]);
	pump(p);
}

/* ---- answers ---------------------------------------------------------------------------- */

/* blame refuses a peer that sent bad data for t: counted, never asked for
 * t again, its session dropped. */
static void blame(struct sp_peer *p, struct att *t, struct sp_peer_conn *c, int rc,
		  const char *why)
{
	atomic_fetch_add(&p->att->refused, 1);
	mark_bad(t, c);
	char h[17];
	hex16(t->ref.hash, h);
	sp_logx(p->log, SP_LOGX_WARN, "attach", "refused sha256=%s.. peer=%s: %s", h,
		c->their_inst, why);
	sp_peer_refuse(c, rc, why);
}

/* complete checks the whole of t against its hash and keeps it (the
 * chunks go in the same write), or drops the chunks and asks again. */
static void complete(struct sp_peer *p, struct att *t, struct sp_peer_conn *c)
{
	struct sp_buf b;
	uint64_t held = 0;
	char h[17];
	hex16(t->ref.hash, h);
	sp_buf_init(&b);
	int rc = sp_store_attach_part_read(p->store, t->ref.hash, t->ref.size, &held, &b);
	if (rc == 0 && (b.err || held != t->ref.size))
		rc = b.err ? SP_ERR_NOMEM : SP_ERR_INCONSISTENT;
	if (rc == 0)
		rc = sp_gossip_attach_check(t->ref.hash, b.p, b.len);
	if (rc == 0)
		rc = sp_store_attach_part_done(p->store, t->ref.hash, b.p, b.len, t->ref.type,
					       t->ref.flags);
	sp_buf_free(&b);
	if (rc == 0) {
		atomic_fetch_add(&p->att->fetched, 1);
		sp_logx(p->log, SP_LOGX_INFO, "attach", "fetched sha256=%s.. size=%llu sealed=%d peer=%s",
			h, (unsigned long long)t->ref.size, (t->ref.flags & SP_ATTACH_SEALED) != 0,
			c->their_inst);
		forget(p->att, t);
		return;
	}
	if (rc != SP_ERR_INCONSISTENT) { /* ours, not the peer's: try again later */
		sp_logx(p->log, SP_LOGX_ERROR, "attach", "cannot keep sha256=%s..: %s", h,
			sp_errname(rc));
		t->not_before_ms = sp_mono_ms() + ATT_RETRY_MAX_MS;
		return;
	}
	sp_store_attach_part_done(p->store, t->ref.hash, NULL, 0, NULL, 0);
	t->have = 0;
	if (t->mixed_src) { /* several senders: none can be blamed alone */
		atomic_fetch_add(&p->att->refused, 1);
		sp_logx(p->log, SP_LOGX_WARN, "attach",
			"sha256=%s.. does not match its hash: dropped, asked again", h);
		t->mixed_src = 0;
		return;
	}
	blame(p, t, c, SP_ERR_HASH_MISMATCH, "attachment does not match its hash");
}

/* other_size: c holds a file of another size under t's hash. Either it or
 * the entry naming t lies, and an entry's author could make honest peers
 * look hostile that way: c is not asked again, and not struck. */
static void other_size(struct sp_peer *p, struct att *t, struct sp_peer_conn *c, uint64_t total)
{
	char h[17];
	hex16(t->ref.hash, h);
	atomic_fetch_add(&p->att->refused, 1);
	mark_bad(t, c);
	sp_logx(p->log, SP_LOGX_WARN, "attach",
		"refused sha256=%s.. peer=%s: size %llu, the entry says %llu: asking others", h,
		c->their_inst, (unsigned long long)total, (unsigned long long)t->ref.size);
}

/* chunk_fault: why a chunk answering t (of t's size) is refused, or NULL. */
static const char *chunk_fault(const struct att *t, const struct sp_gossip_attach *m)
{
	uint64_t left = t->ref.size - t->have;
	if (m->offset != t->have)
		return "attachment chunk at another offset than asked";
	if (m->len < (left < ATT_MIN_CHUNK ? left : ATT_MIN_CHUNK))
		return "attachment chunk too short";
	return NULL;
}

void sp_peer_attach_on_chunk(struct sp_peer_conn *c, const struct sp_gossip_attach *m)
{
	struct sp_peer *p = c->p;
	struct sp_peer_attach *a = p->att;
	struct att *t = find(a, m->hash);
	if (t == NULL || t->asked != c) {
		sp_peer_refuse(c, SP_ERR_PEER_PROTOCOL, "attachment not asked for");
		return;
	}
	release(a, t);
	const char *why = m->total && m->total == t->ref.size ? chunk_fault(t, m) : NULL;
	if (m->total == 0) { /* "not held": another peer, or later */
		atomic_fetch_add(&a->not_held, 1);
		unsigned k = t->misses < 9 ? t->misses : 9;
		uint64_t wait = (uint64_t)ATT_RETRY_MS << k;
		t->not_before_ms = sp_mono_ms() + (wait < ATT_RETRY_MAX_MS ? wait : ATT_RETRY_MAX_MS);
		t->misses++;
		t->turn++;
	} else if (m->total != t->ref.size) {
		other_size(p, t, c, m->total);
	} else if (why) {
		blame(p, t, c, SP_ERR_PEER_PROTOCOL, why);
	} else if (sp_store_attach_part_put(p->store, t->ref.hash, m->offset, m->data, m->len) != 0) {
		sp_logx(p->log, SP_LOGX_ERROR, "attach", "cannot keep a chunk: retrying later");
		t->not_before_ms = sp_mono_ms() + ATT_RETRY_MAX_MS;
	} else {
		if (t->have == 0 || !t->has_src || memcmp(t->src, c->theirs.key, 32) != 0)
			t->mixed_src |= t->have > 0;
		memcpy(t->src, c->theirs.key, 32);
		t->has_src = 1;
		t->have += m->len;
		t->misses = 0;
		atomic_fetch_add(&a->bytes_in, m->len);
		if (t->have == t->ref.size)
			complete(p, t, c);
	}
	pump(p);
}

void sp_peer_attach_conn_down(struct sp_peer_conn *c)
{
	struct sp_peer_attach *a = c->p->att;
	for (size_t i = 0; a && i < a->n; i++)
		if (a->v[i].asked == c)
			release(a, &a->v[i]);
	c->att.asked = 0;
	c->att.qn = 0;
}

void sp_peer_attach_round(struct sp_peer *p, uint64_t now)
{
	struct sp_peer_attach *a = p->att;
	for (size_t i = 0; i < a->n; i++) {
		struct sp_peer_conn *c = a->v[i].asked;
		if (c && now - a->v[i].asked_ms > SP_PEER_STALL_MS)
			sp_peer_drop(c, SP_ERR_BUSY, "stalled: attachment asked for not answered");
	}
	pump(p);
}

/* ---- serving ------------------------------------------------------------------------------ */

/* serve_one answers one ATTACH_WANT: a chunk of the file, or "not held"
 * (total 0). A file whose bytes no longer match its hash is not held. */
static void serve_one(struct sp_peer_conn *c, const struct sp_gossip_attach_want *w)
{
	struct sp_peer *p = c->p;
	struct sp_attach_info info;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_attach_read(p->store, w->hash, w->offset, SP_GOSSIP_CHUNK_MAX, &info, &b);
	if (rc == SP_ERR_RANGE) {
		sp_buf_free(&b);
		sp_peer_refuse(c, SP_ERR_RANGE, "attachment asked for past its end");
		return;
	}
	if (rc == SP_ERR_CORRUPT) {
		char h[17];
		hex16(w->hash, h);
		sp_logx(p->log, SP_LOGX_ERROR, "attach", "stored sha256=%s.. is corrupt: not served",
			h);
	}
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ATTACH};
	memcpy(m.u.attach.hash, w->hash, SP_HASH_BYTES);
	if (rc == 0) {
		m.u.attach = (struct sp_gossip_attach){.total = info.size, .offset = w->offset,
						       .data = b.p, .len = b.len};
		memcpy(m.u.attach.hash, w->hash, SP_HASH_BYTES);
	}
	if (sp_peer_send(c, &m) == 0 && rc == 0) {
		atomic_fetch_add(&p->att->served, 1);
		atomic_fetch_add(&p->att->bytes_out, b.len);
	} else if (rc) {
		atomic_fetch_add(&p->att->unserved, 1);
	}
	sp_buf_free(&b);
}

void sp_peer_attach_serve(struct sp_peer_conn *c)
{
	struct sp_peer_att_conn *q = &c->att;
	while (q->qn > 0 && !c->dead && sp_peer_net_queued(c, 1) < SP_PEER_TX_LOW) {
		struct sp_gossip_attach_want w = q->q[q->qhead];
		q->qhead = (q->qhead + 1) % SP_PEER_ATT_SERVE_MAX;
		q->qn--;
		serve_one(c, &w);
	}
}

void sp_peer_attach_on_want(struct sp_peer_conn *c, const struct sp_gossip_attach_want *w)
{
	struct sp_peer_att_conn *q = &c->att;
	if (q->qn >= SP_PEER_ATT_SERVE_MAX) {
		sp_peer_refuse(c, SP_ERR_PEER_PROTOCOL, "too many attachment requests outstanding");
		return;
	}
	q->q[(q->qhead + q->qn++) % SP_PEER_ATT_SERVE_MAX] = *w;
	sp_peer_attach_serve(c);
}

/* ---- start, metrics ------------------------------------------------------------------------ */

/* The start scan reads each log from its mark (sp_store_attach_mark_get):
 * the mark says every attachment named below it is held, and attachments
 * are never deleted, so only the entries from the mark on can name one
 * that is wanted. After a log is read its mark moves to the first entry
 * naming an attachment not held (or the end read), so a file still
 * missing (no peer had it, the node was stopped or killed) keeps its
 * entry above the mark, and it is wanted again at every start until it is
 * held: the wanted list itself need not be kept. Entries stored after the
 * scan read a log's size (ingest, own appends) are above the mark; the
 * ingest thread hands theirs to the loop as they come, and the next start
 * reads them again. A mark names the hash of the entry below it, taken
 * from the bytes the scan read; the first entry read must chain to the
 * mark's hash, so a log started again by fork resolution meanwhile is
 * read from 0, never marked from another branch's entries. */
#define SCAN_MARK_EVERY 65536 /* entries: progress recorded during a long read */

struct scan {
	struct sp_peer *p;
	struct refs rs;
	uint32_t log;
	uint64_t from, to;      /* [from, to): the entries to read */
	uint8_t from_head[SP_HASH_BYTES];
	uint64_t stop_at;       /* the first entry naming a file not held, or UINT64_MAX */
	uint8_t stop_head[SP_HASH_BYTES];
	uint64_t marked;        /* the mark recorded so far */
	int moved;              /* the log is not the one the mark was taken from */
	int reached;            /* entry to-1 read: end_head is its hash */
	uint8_t end_head[SP_HASH_BYTES];
};

/* scan_mark records the mark at size (hash head) if it is higher. */
static void scan_mark(struct scan *sc, uint64_t size, const uint8_t head[SP_HASH_BYTES])
{
	if (size <= sc->marked)
		return;
	int rc = sp_store_attach_mark_put(sc->p->store, sc->log, size, head);
	if (rc == 0)
		sc->marked = size;
	else
		sp_logx(sc->p->log, SP_LOGX_WARN, "attach", "cannot record the scan mark: %s",
			sp_errname(rc));
}

static int scan_one(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	struct scan *sc = arg;
	struct sp_entry e = {0};
	int ok = sp_entry_decode(entry, len, &e) == 0;
	if (index == sc->from && sc->from > 0 &&
	    (!ok || sodium_memcmp(e.prev, sc->from_head, SP_HASH_BYTES) != 0)) {
		sc->moved = 1;
		return 1;
	}
	uint64_t missing = sc->rs.missing;
	int full = 0;
	if (ok)
		full = refs_add_decoded(&sc->rs, &e);
	else
		sc->rs.seen++;
	if (sc->rs.missing != missing && sc->stop_at == UINT64_MAX) {
		sc->stop_at = index;
		memcpy(sc->stop_head, e.prev, SP_HASH_BYTES);
	}
	if (index + 1 == sc->to || (sc->stop_at == UINT64_MAX && (index + 1) % SCAN_MARK_EVERY == 0)) {
		uint8_t h[SP_HASH_BYTES];
		sp_entry_hash(entry, len, h);
		if (index + 1 == sc->to) {
			memcpy(sc->end_head, h, SP_HASH_BYTES);
			sc->reached = 1;
		} else {
			scan_mark(sc, index + 1, h);
		}
	}
	return atomic_load(&sc->p->att->scan_stop) || full;
}

/* scan_from: where log sc->log's reading starts: its mark, or 0 (a line
 * says why, or *unmarked counts a log without one). */
static uint64_t scan_from(struct scan *sc, const char *origin, unsigned *unmarked)
{
	uint64_t size = 0;
	int rc = sp_store_attach_mark_get(sc->p->store, sc->log, &size, sc->from_head);
	if (rc == SP_ERR_NOT_FOUND)
		(*unmarked)++;
	else if (rc == SP_ERR_FORK)
		sp_logx(sc->p->log, SP_LOGX_WARN, "attach",
			"scan mark of %s does not match the log (damaged, or a fork resolved): "
			"reading it from 0", origin);
	else if (rc)
		sp_logx(sc->p->log, SP_LOGX_WARN, "attach",
			"scan mark of %s is damaged (%s): reading it from 0", origin,
			sp_errname(rc));
	return rc ? 0 : size;
}

/* scan_log reads log id from its mark to its end, collecting into *rs,
 * and moves the mark. Returns the entries the mark spared. */
static uint64_t scan_log(struct sp_peer *p, uint32_t id, struct refs *rs, unsigned *unmarked)
{
	struct sp_log_info info;
	if (sp_store_log_info(p->store, id, &info) != 0 || info.size == 0)
		return 0;
	struct scan sc = {.p = p, .rs = *rs, .log = id, .to = info.size, .stop_at = UINT64_MAX};
	sc.rs.log = id;
	sc.from = sc.marked = scan_from(&sc, info.origin, unmarked);
	if (sc.from > sc.to && sp_store_log_info(p->store, id, &info) == 0)
		sc.to = info.size; /* it grew since its size was read */
	if (sc.from > sc.to) /* ... or it was started again by fork resolution */
		sc.from = sc.marked = 0;
	sp_store_scan(p->store, id, sc.from, sc.to, scan_one, &sc);
	if (sc.moved) {
		sp_logx(p->log, SP_LOGX_WARN, "attach",
			"%s changed under its scan mark (fork resolved?): reading it from 0",
			info.origin);
		sc.from = sc.marked = 0;
		sc.moved = sc.reached = 0;
		sc.stop_at = UINT64_MAX;
		sp_store_scan(p->store, id, 0, sc.to, scan_one, &sc);
	}
	if (sc.stop_at != UINT64_MAX)
		scan_mark(&sc, sc.stop_at, sc.stop_head);
	else if (sc.reached && !sc.moved)
		scan_mark(&sc, sc.to, sc.end_head);
	*rs = sc.rs;
	return sc.from;
}

/* scan_main (its own thread) reads every log from its mark for
 * attachments not held, and hands the list to the loop as a job with no
 * connection. */
static void *scan_main(void *arg)
{
	struct sp_peer *p = arg;
	uint64_t t0 = sp_mono_ms(), skipped = 0;
	uint32_t count = sp_store_log_count(p->store);
	unsigned unmarked = 0;
	struct refs rs = {.store = p->store};
	for (uint32_t id = 0; id < count && !atomic_load(&p->att->scan_stop); id++)
		skipped += scan_log(p, id, &rs, &unmarked);
	sp_logx(p->log, SP_LOGX_INFO, "attach",
		"start scan entries=%llu skipped=%llu logs=%u unmarked=%u wanted=%zu ms=%llu",
		(unsigned long long)rs.seen, (unsigned long long)skipped, count, unmarked, rs.n,
		(unsigned long long)(sp_mono_ms() - t0));
	struct sp_peer_job *j = calloc(1, sizeof(*j));
	struct sp_peer_ev *ev = calloc(1, sizeof(*ev));
	if (j == NULL || ev == NULL || rs.n == 0 || atomic_load(&p->att->scan_stop)) {
		free(j);
		free(ev);
		free(rs.v);
		return NULL;
	}
	j->ev = ev;
	j->att = rs.v;
	j->natt = rs.n;
	sp_peer_net_post_job(p, j);
	return NULL;
}

int sp_peer_attach_start(struct sp_peer *p)
{
	p->att = calloc(1, sizeof(*p->att));
	if (p->att == NULL)
		return SP_ERR_NOMEM;
	if (pthread_create(&p->att->scan, NULL, scan_main, p) != 0)
		return SP_ERR_NOMEM;
	p->att->scan_started = 1;
	return 0;
}

void sp_peer_attach_stop(struct sp_peer *p)
{
	if (p->att == NULL || !p->att->scan_started)
		return;
	atomic_store(&p->att->scan_stop, 1);
	pthread_join(p->att->scan, NULL);
	p->att->scan_started = 0;
}

void sp_peer_attach_free(struct sp_peer *p)
{
	if (p->att)
		free(p->att->v);
	free(p->att);
	p->att = NULL;
}

void sp_peer_attach_metrics(struct sp_peer *p, struct sp_buf *out)
{
	struct sp_peer_attach *a = p->att;
	if (a == NULL)
		return;
	char b[1536];
	int n = snprintf(
		b, sizeof(b),
		"# HELP simpul_peer_attachments_total Attachments fetched from peers (checked and "
		"kept), and transfers refused (bad data).\n"
		"# TYPE simpul_peer_attachments_total counter\n"
		"simpul_peer_attachments_total{result=\"fetched\"} %llu\n"
		"simpul_peer_attachments_total{result=\"refused\"} %llu\n"
		"# HELP simpul_peer_attachments_wanted Attachments named by stored entries, not held yet.\n"
		"# TYPE simpul_peer_attachments_wanted gauge\nsimpul_peer_attachments_wanted %llu\n"
		"# HELP simpul_peer_attachment_bytes_total Attachment bytes received (kept) and served.\n"
		"# TYPE simpul_peer_attachment_bytes_total counter\n"
		"simpul_peer_attachment_bytes_total{dir=\"in\"} %llu\n"
		"simpul_peer_attachment_bytes_total{dir=\"out\"} %llu\n"
		"# HELP simpul_peer_attachment_chunks_total Attachment requests, by direction and "
		"answer.\n"
		"# TYPE simpul_peer_attachment_chunks_total counter\n"
		"simpul_peer_attachment_chunks_total{dir=\"out\",answer=\"chunk\"} %llu\n"
		"simpul_peer_attachment_chunks_total{dir=\"out\",answer=\"not_held\"} %llu\n"
		"simpul_peer_attachment_chunks_total{dir=\"in\",answer=\"not_held\"} %llu\n",
		(unsigned long long)atomic_load(&a->fetched),
		(unsigned long long)atomic_load(&a->refused),
		(unsigned long long)atomic_load(&a->wanted),
		(unsigned long long)atomic_load(&a->bytes_in),
		(unsigned long long)atomic_load(&a->bytes_out),
		(unsigned long long)atomic_load(&a->served),
		(unsigned long long)atomic_load(&a->unserved),
		(unsigned long long)atomic_load(&a->not_held));
	if (n > 0)
		sp_buf_put(out, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

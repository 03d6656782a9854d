/*
 * sp_peer_fork.c - what peers tell each other about the honesty of logs:
 * fork evidence (EVIDENCE, type 14) and witness cosignatures (COSIGN,
 * type 10). Loop thread only, called from sp_peer.c's dispatch and rounds.
 *
 * Evidence: every receiver checks it on its own before storing anything:
 * two entries of one index signed by the log's key, or two checkpoints
 * signed by it that cannot both be true (same size and different roots,
 * or a root our own verified tree contradicts). Proven evidence is stored
 * (sp_store_fork_add: the log is frozen), which bumps the store's fork
 * generation, so the next round relays it to every peer replicating the
 * log. Evidence that proves nothing refuses the sender; evidence we cannot
 * check (we hold too little of the log) is left alone.
 *
 * Cosignatures: a witness node sends, once per session and checkpoint
 * size, its cosignature line of the latest checkpoint it holds of each
 * log the peer replicates (the log's own node included). The receiver
 * accepts only the sender's own line (its session key is the directory's
 * key for it), checks it over the checkpoint it holds of that size
 * (sp_cosig_verify) and stores it with that checkpoint
 * (sp_store_cosign_add), so tiles serve the checkpoint with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_peer_int.h"

/* ---- checking evidence -------------------------------------------------------------------- */

static int ev_entries(const struct sp_log_info *info, const struct sp_gossip_evidence *v)
{
	struct sp_entry ea, eb;
	if (sp_entry_open(v->a, v->a_len, &ea) != 0 || sp_entry_open(v->b, v->b_len, &eb) != 0 ||
	    sp_keyhist_find(&info->keys, ea.author) < 0 ||
	    sp_keyhist_find(&info->keys, eb.author) < 0)
		return SP_ERR_BAD_SIGNATURE;
	return 0; /* same index (the codec checked), different bytes: a fork */
}

/* tree_says: 1 if our tree at c's size contradicts c, 0 if it agrees,
 * -1 if we hold fewer entries than that. */
static int tree_says(struct sp_peer *p, const struct sp_log_info *info,
		     const struct sp_checkpoint *c)
{
	uint8_t root[32];
	if (c->size > info->size || sp_store_root(p->store, info->id, c->size, root) != 0)
		return -1;
	return sodium_memcmp(root, c->root, 32) != 0;
}

static int ev_checkpoints(struct sp_peer *p, const struct sp_log_info *info,
			  const struct sp_gossip_evidence *v)
{
	struct sp_checkpoint ca, cb;
	if (sp_keyhist_checkpoint_open(&info->keys, 0, info->origin, (const char *)v->a, v->a_len,
				       &ca, NULL) != 0 ||
	    sp_keyhist_checkpoint_open(&info->keys, 0, info->origin, (const char *)v->b, v->b_len,
				       &cb, NULL) != 0)
		return SP_ERR_BAD_SIGNATURE;
	if (ca.size == cb.size)
		return memcmp(ca.root, cb.root, 32) != 0 ? 0 : SP_ERR_NOT_EVIDENCE;
	int ta = tree_says(p, info, &ca), tb = tree_says(p, info, &cb);
	if (ta == 1 || tb == 1)
		return 0;
	return ta == 0 && tb == 0 ? SP_ERR_NOT_EVIDENCE : SP_ERR_NOT_FOUND;
}

void sp_peer_fork_on_evidence(struct sp_peer_conn *c, const struct sp_gossip_evidence *v)
{
	struct sp_peer *p = c->p;
	char origin[SP_ORIGIN_MAX + 1];
	snprintf(origin, sizeof(origin), "%.*s", (int)v->origin_len, v->origin);
	uint32_t id;
	struct sp_log_info info;
	if (sp_store_log_find(p->store, origin, &id) != 0 ||
	    sp_store_log_info(p->store, id, &info) != 0)
		return; /* a log we do not hold: not ours to judge */
	int rc = v->kind == SP_GOSSIP_EV_ENTRY ? ev_entries(&info, v) : ev_checkpoints(p, &info, v);
	if (rc == SP_ERR_NOT_FOUND) {
		sp_logx(p->log, SP_LOGX_INFO, "peer",
			"fork evidence not checkable here (too little of the log) origin=%s peer=%s",
			origin, c->their_inst);
		return;
	}
	if (rc) {
		sp_peer_refuse(c, rc, "fork evidence does not hold");
		return;
	}
	enum sp_fork_kind kind = v->kind == SP_GOSSIP_EV_ENTRY ? SP_FORK_ENTRY : SP_FORK_CHECKPOINT;
	rc = sp_store_fork_add(p->store, id, kind, v->at, v->a, v->a_len, v->b, v->b_len,
			       c->their_inst);
	if (rc == 0)
		sp_logx(p->log, SP_LOGX_WARN, "peer",
			"fork evidence received and verified, log frozen origin=%s kind=%s at=%llu "
			"peer=%s",
			origin, kind == SP_FORK_ENTRY ? "entry" : "checkpoint",
			(unsigned long long)v->at, c->their_inst);
	else if (rc != SP_ERR_EXISTS)
		sp_logx(p->log, SP_LOGX_ERROR, "peer", "cannot store fork evidence origin=%s err=%s",
			origin, sp_errname(rc));
}

/* ---- sending evidence --------------------------------------------------------------------- */

/* cp_size: the size of a signed checkpoint note of origin, or -1 if the
 * bytes are not one (an entry, in a record of a checkpoint against a tree). */
static int cp_size(const char *origin, const uint8_t *b, size_t n, uint64_t *size)
{
	struct sp_note note;
	struct sp_checkpoint c;
	if (sp_note_parse((const char *)b, n, &note) != 0 ||
	    sp_checkpoint_parse(note.text, note.text_len, &c) != 0 || strcmp(c.origin, origin) != 0)
		return -1;
	*size = c.size;
	return 0;
}

struct ev_send {
	struct sp_peer_conn *c;
	const struct sp_log_info *info;
	struct sp_buf latest; /* our latest checkpoint of the log, if any */
};

static void ev_emit(struct ev_send *s, struct sp_gossip_evidence *v)
{
	struct sp_gossip_msg m = {.type = SP_GOSSIP_EVIDENCE, .u.evidence = *v};
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_gossip_encode(&m, &b); /* checked first: send_msg drops on failure */
	sp_buf_free(&b);
	if (rc == 0)
		sp_peer_send(s->c, &m);
	else
		sp_logx(s->c->p->log, SP_LOGX_WARN, "peer",
			"fork evidence not sendable origin=%s at=%llu err=%s", s->info->origin,
			(unsigned long long)v->at, sp_errname(rc));
}

/* ev_one sends one record. A checkpoint record holding an entry (a
 * checkpoint our tree contradicts) is sent as that checkpoint against our
 * latest checkpoint, which our tree backs. */
static int ev_one(void *arg, const struct sp_fork *f)
{
	struct ev_send *s = arg;
	const char *origin = s->info->origin;
	struct sp_gossip_evidence v = {origin, strlen(origin), SP_GOSSIP_EV_ENTRY, f->at,
				       f->held, f->held_len, f->other, f->other_len};
	if (f->kind == SP_FORK_CHECKPOINT) {
		uint64_t sa, sb;
		int ha = cp_size(origin, f->held, f->held_len, &sa) == 0;
		int hb = cp_size(origin, f->other, f->other_len, &sb) == 0;
		v.kind = SP_GOSSIP_EV_CHECKPOINT;
		if (!ha || !hb) {
			v.b = ha ? f->held : f->other;
			v.b_len = ha ? f->held_len : f->other_len;
			v.a = s->latest.p;
			v.a_len = s->latest.len;
		}
		if (v.a_len == 0 || cp_size(origin, v.a, v.a_len, &v.at) != 0)
			return 0; /* nothing our tree backs to set against it */
	}
	if (s->c->dead)
		return 1;
	ev_emit(s, &v);
	return 0;
}

static void send_evidence(struct sp_peer_conn *c)
{
	struct sp_peer *p = c->p;
	for (size_t i = 0; i < c->peer_notes.n && !c->dead; i++) {
		uint32_t id;
		struct sp_log_info info;
		if (sp_store_log_find(p->store, c->peer_notes.v[i].origin, &id) != 0 ||
		    sp_store_log_info(p->store, id, &info) != 0 || !info.frozen)
			continue;
		struct ev_send s = {c, &info, {0}};
		sp_buf_init(&s.latest);
		if (sp_store_checkpoint(p->store, id, &s.latest, NULL) != 0 || s.latest.err)
			s.latest.len = 0;
		sp_store_forks(p->store, id, ev_one, &s);
		sp_buf_free(&s.latest);
	}
}

/* ---- cosignatures ------------------------------------------------------------------------- */

/* find_line finds, in a signed note, the signature line of key k (with its
 * "\n"); 0 if found. */
static int find_line(const char *note, size_t len, const struct sp_note_key *k, const char **line,
		     size_t *line_len)
{
	static const char dash[] = "\xe2\x80\x94 ";
	struct sp_note n;
	if (sp_note_parse(note, len, &n) != 0)
		return SP_ERR_NOTE_FORMAT;
	for (size_t i = 0; i < n.nsigs; i++) {
		const struct sp_note_sig *g = &n.sigs[i];
		if (g->name_len != strlen(k->name) || memcmp(g->name, k->name, g->name_len) != 0 ||
		    memcmp(g->id, k->id, 4) != 0 || g->name - note < (long)sizeof(dash) - 1)
			continue;
		const char *start = g->name - (sizeof(dash) - 1);
		const char *end = memchr(g->name, '\n', (size_t)(note + len - g->name));
		if (end == NULL)
			return SP_ERR_NOTE_FORMAT;
		*line = start;
		*line_len = (size_t)(end + 1 - start);
		return 0;
	}
	return SP_ERR_NOT_FOUND;
}

/* text_len: the length of a signed note's text (up to and including the
 * newline before the blank line), 0 if there is none. No parsing: this
 * runs for every log and peer each round. */
static size_t text_len(const char *n, size_t len)
{
	for (size_t i = 0; n && i + 1 < len; i++)
		if (n[i] == '\n' && n[i + 1] == '\n')
			return i + 1;
	return 0;
}

/* cp_size_fast: the size line of a checkpoint text (its second line). */
static uint64_t cp_size_fast(const char *n, size_t tl)
{
	const char *nl = memchr(n, '\n', tl);
	uint64_t v = 0;
	for (const char *q = nl ? nl + 1 : n + tl; q < n + tl && *q >= '0' && *q <= '9'; q++)
		v = v * 10 + (uint64_t)(*q - '0');
	return v;
}

/* send_cosigns: our line of our latest checkpoint of each log the peer
 * replicates (not our own log), once per size and session, when the peer's
 * notes say it holds that very checkpoint (the same signed text) as its
 * latest, so an honest peer can always check the line. */
static void send_cosigns(struct sp_peer_conn *c)
{
	struct sp_peer *p = c->p;
	struct sp_note_key k;
	if (sp_note_key_init(&k, p->origin, SP_NOTE_TYPE_COSIG, c->ours.key) != 0)
		return; /* the peer checks our lines with the key we presented */
	for (size_t i = 0; i < c->peer_notes.n && !c->dead; i++) {
		const struct sp_gossip_note *pn = &c->peer_notes.v[i];
		long j = sp_peer_nset_find(&p->ours, pn->origin, pn->origin_len);
		if (j < 0 || strcmp(pn->origin, p->origin) == 0)
			continue;
		const struct sp_gossip_note *on = &p->ours.v[j];
		size_t tl = text_len(on->checkpoint, on->checkpoint_len);
		if (tl == 0 || text_len(pn->checkpoint, pn->checkpoint_len) != tl ||
		    memcmp(on->checkpoint, pn->checkpoint, tl) != 0)
			continue;
		uint64_t size = cp_size_fast(on->checkpoint, tl);
		long s = sp_peer_nset_find(&c->cos_sent, pn->origin, pn->origin_len);
		const char *line;
		size_t line_len;
		if ((s >= 0 && c->cos_sent.v[s].size == size) ||
		    find_line(on->checkpoint, on->checkpoint_len, &k, &line, &line_len) != 0)
			continue;
		struct sp_gossip_msg m = {.type = SP_GOSSIP_COSIGN};
		m.u.cosign = (struct sp_gossip_cosign){pn->origin, pn->origin_len, size, line,
						       line_len};
		if (sp_peer_send(c, &m) == 0)
			sp_peer_nset_set(&c->cos_sent, pn->origin, pn->origin_len, size, NULL, 0);
	}
}

void sp_peer_fork_on_cosign(struct sp_peer_conn *c, const struct sp_gossip_cosign *m)
{
	struct sp_peer *p = c->p;
	char origin[SP_ORIGIN_MAX + 1], witness[SP_ORIGIN_MAX + 1];
	snprintf(origin, sizeof(origin), "%.*s", (int)m->origin_len, m->origin);
	snprintf(witness, sizeof(witness), "%s/%s", p->conf->federation, c->their_inst);
	uint32_t id;
	struct sp_note_key k;
	struct sp_buf cp;
	sp_buf_init(&cp);
	if (sp_store_log_find(p->store, origin, &id) != 0 ||
	    sp_note_key_init(&k, witness, SP_NOTE_TYPE_COSIG, c->theirs.key) != 0 ||
	    sp_store_checkpoint_at(p->store, id, m->size, &cp) != 0 || cp.err ||
	    sp_cosig_verify((const char *)cp.p, cp.len, &k, NULL) == 0) {
		sp_buf_free(&cp); /* not held at that size, or already cosigned by it */
		return;
	}
	struct sp_note held;
	if (cp.len + m->line_len > SP_GOSSIP_NOTE_MAX ||
	    sp_note_parse((const char *)cp.p, cp.len, &held) != 0 ||
	    held.nsigs + 1 >= SP_NOTE_MAX_SIGS) {
		sp_logx(p->log, SP_LOGX_DEBUG, "peer",
			"cosignature not kept: checkpoint full origin=%s size=%llu witness=%s", origin,
			(unsigned long long)m->size, witness);
		sp_buf_free(&cp); /* it could no longer travel in NOTES */
		return;
	}
	sp_buf_put(&cp, m->line, m->line_len);
	int rc = cp.err ? SP_ERR_NOMEM : sp_cosig_verify((const char *)cp.p, cp.len, &k, NULL);
	if (rc == 0)
		rc = sp_store_cosign_add(p->store, id, m->size, m->line, m->line_len);
	if (rc == 0)
		sp_logx(p->log, SP_LOGX_INFO, "peer", "cosignature stored origin=%s size=%llu witness=%s",
			origin, (unsigned long long)m->size, witness);
	else if (rc == SP_ERR_EXISTS)
		; /* another session delivered the same witness's line first */
	else if (rc == SP_ERR_BAD_SIGNATURE || rc == SP_ERR_NOTE_NO_SIG || rc == SP_ERR_NOTE_FORMAT)
		sp_peer_refuse(c, SP_ERR_BAD_SIGNATURE, "cosignature does not verify");
	else
		sp_logx(p->log, SP_LOGX_WARN, "peer", "cannot store cosignature origin=%s err=%s",
			origin, sp_errname(rc));
	sp_buf_free(&cp);
}

void sp_peer_fork_round(struct sp_peer_conn *c)
{
	if (c->state != SP_PEER_READY || !c->plan.peer_complete)
		return;
	uint64_t gen = sp_store_fork_gen(c->p->store);
	if (!c->ev_sent || c->ev_gen != gen) {
		c->ev_sent = 1;
		c->ev_gen = gen;
		send_evidence(c);
	}
	if (!c->dead)
		send_cosigns(c);
}

/*
 * sp_gossip.c - the peer protocol: strict codec for the gossip messages,
 * the AUTH transcript and session MACs, the ENTRIES/NOTES packers, note
 * deltas and the per-peer session planner (API in sp_gossip.h, protocol in
 * docs/replication.md).
 *
 * Decoding runs in two steps: a syntax pass that reads the CBOR into a
 * struct sp_gossip_msg (checking every count against the bytes left before
 * it allocates), then check_msg, which applies every semantic rule. The
 * encoder runs the same check_msg first, so whatever we send a peer would
 * accept, and whatever a peer accepts we would have been able to send.
 */
#include "sp_gossip.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_event.h"

#define SIZE_MAX63 ((uint64_t)INT64_MAX) /* sizes and indexes, as elsewhere */
#define ERR_CODE_MAX 32767               /* ERROR codes are -1 .. -32767 */

/* Fields after [version, type], per message type (index = type). */
static const uint8_t nfields[] = {
	[SP_GOSSIP_HELLO] = 5,   [SP_GOSSIP_AUTH] = 1,    [SP_GOSSIP_NOTES] = 3,
	[SP_GOSSIP_WANT] = 1,    [SP_GOSSIP_ENTRIES] = 6, [SP_GOSSIP_ANNOUNCE] = 3,
	[SP_GOSSIP_IHAVE] = 1,   [SP_GOSSIP_GRAFT] = 2,   [SP_GOSSIP_PRUNE] = 1,
	[SP_GOSSIP_COSIGN] = 3,  [SP_GOSSIP_ATTACH_WANT] = 2, [SP_GOSSIP_ATTACH] = 4,
	[SP_GOSSIP_ERROR] = 2,   [SP_GOSSIP_EVIDENCE] = 5,
};

/* Smallest encodings of one list element, to bound counts by the bytes
 * left: a note [origin, size, null] >= 1+2+1+1; an IHAVE [origin, size]
 * >= 1+2+1; a range [origin, from, to] >= 1+2+1+1; an entry bstr >= 1. */
#define MIN_NOTE 5
#define MIN_IHAVE 4
#define MIN_RANGE 5

static int type_known(uint64_t t)
{
	return t >= SP_GOSSIP_HELLO && t <= SP_GOSSIP_TYPE_LAST;
}

int sp_gossip_origin_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* ---- semantic checks (shared by decoder and encoder) -------------------- */

static int check_text(const char *p, size_t n, size_t min, size_t max)
{
	if (n < min || n > max || (n > 0 && p == NULL))
		return SP_ERR_ENTRY_FIELD_SIZE;
	return 0;
}

static int check_origin(const char *p, size_t n)
{
	return check_text(p, n, 1, SP_ORIGIN_MAX);
}

/* check_checkpoint_form: a well-formed signed note whose body is a checkpoint
 * of `origin`; *size receives its size. Signatures are the store's job. */
static int check_checkpoint_form(const char *origin, size_t olen, const char *cp, size_t len,
			    uint64_t *size)
{
	struct sp_note note;
	struct sp_checkpoint c;
	int err;

	if (check_text(cp, len, 1, SP_GOSSIP_NOTE_MAX) != 0)
		return SP_ERR_ENTRY_FIELD_SIZE;
	err = sp_note_parse(cp, len, &note);
	if (err)
		return err;
	err = sp_checkpoint_parse(note.text, note.text_len, &c);
	if (err)
		return err;
	if (strlen(c.origin) != olen || memcmp(c.origin, origin, olen) != 0)
		return SP_ERR_CHECKPOINT;
	*size = c.size;
	return 0;
}

static int check_note(const struct sp_gossip_note *n, int with_cp)
{
	uint64_t cp_size;
	int err = check_origin(n->origin, n->origin_len);

	if (err)
		return err;
	if (n->size > SIZE_MAX63)
		return SP_ERR_RANGE;
	if (n->checkpoint == NULL)
		return 0;
	if (!with_cp)
		return SP_ERR_CBOR_TYPE;
	return check_checkpoint_form(n->origin, n->origin_len, n->checkpoint, n->checkpoint_len,
				&cp_size);
}

/* check_order: origins strictly ascending (one entry per log). */
static int check_order(const char *prev, size_t plen, const char *cur, size_t clen)
{
	int c;

	if (prev == NULL)
		return 0;
	c = sp_gossip_origin_cmp(prev, plen, cur, clen);
	if (c == 0)
		return SP_ERR_CBOR_DUPKEY;
	return c > 0 ? SP_ERR_CBOR_UNSORTED : 0;
}

static int check_notes(const struct sp_gossip_notes *m, int with_cp)
{
	const char *prev = NULL;
	size_t plen = 0;
	int err;

	if (m->n > 0 && m->notes == NULL)
		return SP_ERR_ARG;
	if (!with_cp && (m->full || m->more))
		return SP_ERR_ARG;
	for (size_t i = 0; i < m->n; i++) {
		const struct sp_gossip_note *n = &m->notes[i];

		err = check_note(n, with_cp);
		if (err == 0)
			err = check_order(prev, plen, n->origin, n->origin_len);
		if (err)
			return err;
		prev = n->origin;
		plen = n->origin_len;
	}
	return 0;
}

static int check_want(const struct sp_gossip_want *m)
{
	const char *prev = NULL;
	size_t plen = 0;
	int err;

	if (m->n == 0 || m->n > SP_GOSSIP_WINDOW_MAX)
		return SP_ERR_RANGE;
	if (m->ranges == NULL)
		return SP_ERR_ARG;
	for (size_t i = 0; i < m->n; i++) {
		const struct sp_gossip_range *r = &m->ranges[i];

		err = check_origin(r->origin, r->origin_len);
		if (err == 0)
			err = check_order(prev, plen, r->origin, r->origin_len);
		if (err)
			return err;
		if (r->from >= r->to || r->to > SIZE_MAX63)
			return SP_ERR_RANGE;
		prev = r->origin;
		plen = r->origin_len;
	}
	return 0;
}

static int check_entry_list(const struct sp_gossip_entries *m)
{
	size_t sum = 0;

	if (m->count > SP_GOSSIP_MAX_ENTRIES)
		return SP_ERR_RANGE;
	if (m->count > 0 && (m->entries == NULL || m->lens == NULL))
		return SP_ERR_ARG;
	for (size_t i = 0; i < m->count; i++) {
		if (m->lens[i] == 0 || m->entries[i] == NULL)
			return SP_ERR_ENTRY_FIELD_SIZE;
		if (m->lens[i] > SP_ENTRY_MAX)
			return SP_ERR_ENTRY_TOO_LARGE;
		sum += m->lens[i];
	}
	return sum > SP_GOSSIP_BATCH_MAX ? SP_ERR_RANGE : 0;
}

static int check_entries(const struct sp_gossip_entries *m)
{
	uint64_t cp_size;
	int err = check_origin(m->origin, m->origin_len);

	if (err == 0)
		err = check_entry_list(m);
	if (err)
		return err;
	if (m->first > SIZE_MAX63 || m->count > SIZE_MAX63 - m->first)
		return SP_ERR_RANGE;
	if (m->nproof > SP_MERKLE_MAX_PROOF || (m->nproof > 0 && m->proof == NULL))
		return SP_ERR_RANGE;
	if (m->checkpoint == NULL)
		return m->proof_from == 0 && m->nproof == 0 ? 0 : SP_ERR_RANGE;
	err = check_checkpoint_form(m->origin, m->origin_len, m->checkpoint, m->checkpoint_len,
			       &cp_size);
	if (err)
		return err;
	if (cp_size < m->first + m->count || m->proof_from > cp_size)
		return SP_ERR_RANGE;
	/* RFC 9162 has no consistency proof from the empty tree. */
	if (m->proof_from == 0 && m->nproof != 0)
		return SP_ERR_RANGE;
	return 0;
}

/* A cosignature line is one line: "— <name> <base64>\n". */
static int check_line(const char *p, size_t n)
{
	int err = check_text(p, n, 2, SP_GOSSIP_LINE_MAX);

	if (err)
		return err;
	if (p[n - 1] != '\n' || memchr(p, '\n', n - 1) != NULL)
		return SP_ERR_NOTE_FORMAT;
	return 0;
}

/* One signed item of EVIDENCE: an entry of index at, or a checkpoint of
 * the origin (*size gets its size). */
static int check_ev_item(const struct sp_gossip_evidence *v, const uint8_t *p, size_t n,
			 uint64_t *size)
{
	struct sp_entry e;
	int err;

	if (p == NULL || n == 0 || n > SP_ENTRY_MAX)
		return SP_ERR_ENTRY_FIELD_SIZE;
	if (v->kind == SP_GOSSIP_EV_CHECKPOINT)
		return check_checkpoint_form(v->origin, v->origin_len, (const char *)p, n, size);
	err = sp_entry_decode(p, n, &e);
	if (err == 0 && e.index != v->at)
		err = SP_ERR_RANGE;
	return err;
}

static int check_evidence(const struct sp_gossip_evidence *v)
{
	uint64_t sa = 0, sb = 0;
	int err = check_origin(v->origin, v->origin_len);

	if (err)
		return err;
	if (v->kind != SP_GOSSIP_EV_ENTRY && v->kind != SP_GOSSIP_EV_CHECKPOINT)
		return SP_ERR_RANGE;
	if (v->at > SIZE_MAX63 || v->a_len + v->b_len > SP_GOSSIP_EVIDENCE_MAX)
		return SP_ERR_RANGE;
	err = check_ev_item(v, v->a, v->a_len, &sa);
	if (err == 0)
		err = check_ev_item(v, v->b, v->b_len, &sb);
	if (err)
		return err;
	if (v->kind == SP_GOSSIP_EV_CHECKPOINT && sa != v->at)
		return SP_ERR_RANGE;
	/* the same statement twice proves nothing */
	if (v->a_len == v->b_len && memcmp(v->a, v->b, v->a_len) == 0)
		return SP_ERR_ARG;
	return 0;
}

static int check_attach(const struct sp_gossip_attach *a)
{
	if (a->total > SP_GOSSIP_ATTACH_MAX || a->len > SP_GOSSIP_CHUNK_MAX)
		return SP_ERR_RANGE;
	if (a->offset > a->total || a->len > a->total - a->offset)
		return SP_ERR_RANGE;
	if (a->len == 0 && a->total != 0)
		return SP_ERR_RANGE; /* an empty chunk of a non-empty file says nothing */
	if (a->len > 0 && a->data == NULL)
		return SP_ERR_ARG;
	return 0;
}

static int check_hello(const struct sp_gossip_hello *h)
{
	int err = check_text(h->federation, h->federation_len, 1, SP_GOSSIP_FED_MAX);

	return err ? err : check_text(h->inst, h->inst_len, 1, SP_INST_ID_MAX);
}

static int check_msg(const struct sp_gossip_msg *m)
{
	const struct sp_gossip_error *e = &m->u.error;

	switch (m->type) {
	case SP_GOSSIP_HELLO:
		return check_hello(&m->u.hello);
	case SP_GOSSIP_AUTH:
		return 0;
	case SP_GOSSIP_NOTES:
		return check_notes(&m->u.notes, 1);
	case SP_GOSSIP_IHAVE:
		return check_notes(&m->u.ihave, 0);
	case SP_GOSSIP_WANT:
		return check_want(&m->u.want);
	case SP_GOSSIP_ENTRIES:
		return check_entries(&m->u.entries);
	case SP_GOSSIP_ANNOUNCE:
		return check_note(&m->u.announce, 1);
	case SP_GOSSIP_GRAFT:
	case SP_GOSSIP_PRUNE:
		if (m->type == SP_GOSSIP_PRUNE && m->u.graft.from != 0)
			return SP_ERR_ARG;
		if (m->u.graft.from > SIZE_MAX63)
			return SP_ERR_RANGE;
		return check_origin(m->u.graft.origin, m->u.graft.origin_len);
	case SP_GOSSIP_COSIGN:
		if (m->u.cosign.size > SIZE_MAX63)
			return SP_ERR_RANGE;
		if (check_origin(m->u.cosign.origin, m->u.cosign.origin_len) != 0)
			return SP_ERR_ENTRY_FIELD_SIZE;
		return check_line(m->u.cosign.line, m->u.cosign.line_len);
	case SP_GOSSIP_ATTACH_WANT:
		return m->u.attach_want.offset > SP_GOSSIP_ATTACH_MAX ? SP_ERR_RANGE : 0;
	case SP_GOSSIP_ATTACH:
		return check_attach(&m->u.attach);
	case SP_GOSSIP_ERROR:
		if (e->code >= 0 || e->code < -ERR_CODE_MAX)
			return SP_ERR_RANGE;
		return check_text(e->text, e->text_len, 0, SP_GOSSIP_TEXT_MAX);
	case SP_GOSSIP_EVIDENCE:
		return check_evidence(&m->u.evidence);
	}
	return SP_ERR_ENTRY_FIELD;
}

/* ---- decoding: syntax ------------------------------------------------------ */

static int rd_text(struct sp_cbor_reader *r, const char **p, size_t *n)
{
	return sp_cbor_read_text(r, p, n);
}

/* rd_opt_text reads a text string or null (*p = NULL). */
static int rd_opt_text(struct sp_cbor_reader *r, const char **p, size_t *n)
{
	struct sp_cbor_item it;
	int err = sp_cbor_read(r, &it);

	if (err)
		return err;
	if (it.kind == SP_CBOR_NULL) {
		*p = NULL;
		*n = 0;
		return 0;
	}
	if (it.kind != SP_CBOR_TEXT)
		return SP_ERR_CBOR_TYPE;
	*p = (const char *)it.data;
	*n = (size_t)it.val;
	return 0;
}

static int rd_fixed(struct sp_cbor_reader *r, uint8_t *out, size_t want)
{
	const uint8_t *p;
	size_t n;
	int err = sp_cbor_read_bytes(r, &p, &n);

	if (err)
		return err;
	if (n != want)
		return SP_ERR_ENTRY_FIELD_SIZE;
	memcpy(out, p, n);
	return 0;
}

static int rd_bool(struct sp_cbor_reader *r, int *v)
{
	struct sp_cbor_item it;
	int err = sp_cbor_read(r, &it);

	if (err)
		return err;
	if (it.kind != SP_CBOR_TRUE && it.kind != SP_CBOR_FALSE)
		return SP_ERR_CBOR_TYPE;
	*v = it.kind == SP_CBOR_TRUE;
	return 0;
}

/* rd_list reads an array head and checks its count against the bytes left
 * (each element takes at least `min` bytes) and `max`, before the caller
 * allocates anything for it. */
static int rd_list(struct sp_cbor_reader *r, size_t min, size_t max, size_t *count)
{
	uint64_t c;
	int err = sp_cbor_read_array(r, &c);

	if (err)
		return err;
	if (c > (r->len - r->pos) / min)
		return SP_ERR_CBOR_MALFORMED; /* more elements than bytes: truncated */
	if (c > max)
		return SP_ERR_RANGE;
	*count = (size_t)c;
	return 0;
}

/* alloc_list allocates n elements of `size` into m->alloc (n may be 0). */
static void *alloc_list(struct sp_gossip_msg *m, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	m->alloc = calloc(n, size);
	return m->alloc;
}

static int rd_tuple(struct sp_cbor_reader *r, uint64_t want)
{
	uint64_t c;
	int err = sp_cbor_read_array(r, &c);

	if (err)
		return err;
	return c == want ? 0 : SP_ERR_ENTRY_FIELD;
}

static int rd_hello(struct sp_cbor_reader *r, struct sp_gossip_hello *h)
{
	int err = rd_text(r, &h->federation, &h->federation_len);

	if (err == 0)
		err = rd_text(r, &h->inst, &h->inst_len);
	if (err == 0)
		err = rd_fixed(r, h->key, sizeof(h->key));
	if (err == 0)
		err = rd_fixed(r, h->kx, sizeof(h->kx));
	if (err == 0)
		err = rd_fixed(r, h->nonce, sizeof(h->nonce));
	return err;
}

/* rd_one_note reads [origin, size, checkpoint|null] or, for IHAVE,
 * [origin, size]. */
static int rd_one_note(struct sp_cbor_reader *r, struct sp_gossip_note *n, int with_cp)
{
	int err = rd_tuple(r, with_cp ? 3 : 2);

	if (err == 0)
		err = rd_text(r, &n->origin, &n->origin_len);
	if (err == 0)
		err = sp_cbor_read_uint(r, &n->size);
	if (err == 0 && with_cp)
		err = rd_opt_text(r, &n->checkpoint, &n->checkpoint_len);
	return err;
}

static int rd_note_list(struct sp_cbor_reader *r, struct sp_gossip_msg *m,
			struct sp_gossip_notes *ns, int with_cp)
{
	int err = rd_list(r, with_cp ? MIN_NOTE : MIN_IHAVE, SIZE_MAX, &ns->n);

	if (err)
		return err;
	ns->notes = alloc_list(m, ns->n, sizeof(*ns->notes));
	if (ns->n > 0 && ns->notes == NULL)
		return SP_ERR_NOMEM;
	for (size_t i = 0; i < ns->n && err == 0; i++)
		err = rd_one_note(r, &ns->notes[i], with_cp);
	return err;
}

static int rd_notes(struct sp_cbor_reader *r, struct sp_gossip_msg *m)
{
	struct sp_gossip_notes *ns = &m->u.notes;
	int err = rd_bool(r, &ns->full);

	if (err == 0)
		err = rd_bool(r, &ns->more);
	return err ? err : rd_note_list(r, m, ns, 1);
}

static int rd_want(struct sp_cbor_reader *r, struct sp_gossip_msg *m)
{
	struct sp_gossip_want *w = &m->u.want;
	int err = rd_list(r, MIN_RANGE, SP_GOSSIP_WINDOW_MAX, &w->n);

	if (err)
		return err;
	w->ranges = alloc_list(m, w->n, sizeof(*w->ranges));
	if (w->n > 0 && w->ranges == NULL)
		return SP_ERR_NOMEM;
	for (size_t i = 0; i < w->n && err == 0; i++) {
		struct sp_gossip_range *g = &w->ranges[i];

		err = rd_tuple(r, 3);
		if (err == 0)
			err = rd_text(r, &g->origin, &g->origin_len);
		if (err == 0)
			err = sp_cbor_read_uint(r, &g->from);
		if (err == 0)
			err = sp_cbor_read_uint(r, &g->to);
	}
	return err;
}

/* rd_entry_list reads the entry byte strings; one allocation holds the
 * pointer array and the length array. */
static int rd_entry_list(struct sp_cbor_reader *r, struct sp_gossip_msg *m)
{
	struct sp_gossip_entries *e = &m->u.entries;
	size_t each = sizeof(*e->entries) + sizeof(*e->lens);
	int err = rd_list(r, 1, SP_GOSSIP_MAX_ENTRIES, &e->count);

	if (err)
		return err;
	if (e->count > 0) {
		uint8_t *blk = alloc_list(m, e->count, each);

		if (blk == NULL)
			return SP_ERR_NOMEM;
		e->lens = (size_t *)blk;
		e->entries = (const uint8_t **)(blk + e->count * sizeof(*e->lens));
	}
	for (size_t i = 0; i < e->count && err == 0; i++)
		err = sp_cbor_read_bytes(r, &e->entries[i], &e->lens[i]);
	return err;
}

static int rd_entries(struct sp_cbor_reader *r, struct sp_gossip_msg *m)
{
	struct sp_gossip_entries *e = &m->u.entries;
	size_t plen = 0;
	int err = rd_text(r, &e->origin, &e->origin_len);

	if (err == 0)
		err = sp_cbor_read_uint(r, &e->first);
	if (err == 0)
		err = rd_entry_list(r, m);
	if (err == 0)
		err = rd_opt_text(r, &e->checkpoint, &e->checkpoint_len);
	if (err == 0)
		err = sp_cbor_read_uint(r, &e->proof_from);
	if (err == 0)
		err = sp_cbor_read_bytes(r, &e->proof, &plen);
	if (err)
		return err;
	if (plen % SP_MERKLE_HASH != 0)
		return SP_ERR_ENTRY_FIELD_SIZE;
	e->nproof = plen / SP_MERKLE_HASH;
	if (e->nproof == 0)
		e->proof = NULL;
	return 0;
}

static int rd_announce(struct sp_cbor_reader *r, struct sp_gossip_note *n)
{
	int err = rd_text(r, &n->origin, &n->origin_len);

	if (err == 0)
		err = sp_cbor_read_uint(r, &n->size);
	return err ? err : rd_opt_text(r, &n->checkpoint, &n->checkpoint_len);
}

static int rd_cosign(struct sp_cbor_reader *r, struct sp_gossip_cosign *c)
{
	int err = rd_text(r, &c->origin, &c->origin_len);

	if (err == 0)
		err = sp_cbor_read_uint(r, &c->size);
	return err ? err : rd_text(r, &c->line, &c->line_len);
}

static int rd_evidence(struct sp_cbor_reader *r, struct sp_gossip_evidence *v)
{
	int err = rd_text(r, &v->origin, &v->origin_len);

	if (err == 0)
		err = sp_cbor_read_uint(r, &v->kind);
	if (err == 0)
		err = sp_cbor_read_uint(r, &v->at);
	if (err == 0)
		err = sp_cbor_read_bytes(r, &v->a, &v->a_len);
	return err ? err : sp_cbor_read_bytes(r, &v->b, &v->b_len);
}

static int rd_attach(struct sp_cbor_reader *r, struct sp_gossip_attach *a)
{
	int err = rd_fixed(r, a->hash, sizeof(a->hash));

	if (err == 0)
		err = sp_cbor_read_uint(r, &a->total);
	if (err == 0)
		err = sp_cbor_read_uint(r, &a->offset);
	return err ? err : sp_cbor_read_bytes(r, &a->data, &a->len);
}

static int rd_graft(struct sp_cbor_reader *r, struct sp_gossip_graft *g)
{
	int err = rd_text(r, &g->origin, &g->origin_len);

	return err ? err : sp_cbor_read_uint(r, &g->from);
}

static int rd_attach_want(struct sp_cbor_reader *r, struct sp_gossip_attach_want *a)
{
	int err = rd_fixed(r, a->hash, sizeof(a->hash));

	return err ? err : sp_cbor_read_uint(r, &a->offset);
}

static int rd_error(struct sp_cbor_reader *r, struct sp_gossip_error *e)
{
	struct sp_cbor_item it;
	int err = sp_cbor_read(r, &it);

	if (err)
		return err;
	if (it.kind != SP_CBOR_NEGINT)
		return SP_ERR_CBOR_TYPE;
	if (it.val >= ERR_CODE_MAX)
		return SP_ERR_RANGE;
	e->code = -1 - (int)it.val;
	return rd_text(r, &e->text, &e->text_len);
}

static int rd_body(struct sp_cbor_reader *r, struct sp_gossip_msg *m)
{
	switch (m->type) {
	case SP_GOSSIP_HELLO:
		return rd_hello(r, &m->u.hello);
	case SP_GOSSIP_AUTH:
		return rd_fixed(r, m->u.auth.sig, sizeof(m->u.auth.sig));
	case SP_GOSSIP_NOTES:
		return rd_notes(r, m);
	case SP_GOSSIP_WANT:
		return rd_want(r, m);
	case SP_GOSSIP_ENTRIES:
		return rd_entries(r, m);
	case SP_GOSSIP_ANNOUNCE:
		return rd_announce(r, &m->u.announce);
	case SP_GOSSIP_IHAVE:
		return rd_note_list(r, m, &m->u.ihave, 0);
	case SP_GOSSIP_GRAFT:
		return rd_graft(r, &m->u.graft);
	case SP_GOSSIP_PRUNE:
		return rd_text(r, &m->u.graft.origin, &m->u.graft.origin_len);
	case SP_GOSSIP_COSIGN:
		return rd_cosign(r, &m->u.cosign);
	case SP_GOSSIP_ATTACH_WANT:
		return rd_attach_want(r, &m->u.attach_want);
	case SP_GOSSIP_ATTACH:
		return rd_attach(r, &m->u.attach);
	case SP_GOSSIP_ERROR:
		return rd_error(r, &m->u.error);
	case SP_GOSSIP_EVIDENCE:
		return rd_evidence(r, &m->u.evidence);
	}
	return SP_ERR_ENTRY_FIELD;
}

/* rd_header reads [version, type, and checks the field count. */
static int rd_header(struct sp_cbor_reader *r, struct sp_gossip_msg *m)
{
	uint64_t count, version, type;
	int err = sp_cbor_read_array(r, &count);

	if (err)
		return err;
	if (count < 2)
		return SP_ERR_ENTRY_FIELD;
	err = sp_cbor_read_uint(r, &version);
	if (err)
		return err;
	if (version != SP_GOSSIP_VERSION)
		return SP_ERR_ENTRY_VERSION;
	err = sp_cbor_read_uint(r, &type);
	if (err)
		return err;
	if (!type_known(type) || count != 2u + nfields[type])
		return SP_ERR_ENTRY_FIELD;
	m->type = (enum sp_gossip_type)type;
	return 0;
}

int sp_gossip_decode(const uint8_t *buf, size_t len, struct sp_gossip_msg *m)
{
	struct sp_cbor_reader r;
	int err;

	if (m == NULL)
		return SP_ERR_ARG;
	memset(m, 0, sizeof(*m));
	if (buf == NULL && len > 0)
		return SP_ERR_ARG;
	if (len > SP_GOSSIP_MSG_MAX)
		return SP_ERR_RANGE;
	sp_cbor_reader_init(&r, buf, len);
	err = rd_header(&r, m);
	if (err == 0)
		err = rd_body(&r, m);
	if (err == 0 && !sp_cbor_at_end(&r))
		err = SP_ERR_CBOR_TRAILING;
	if (err == 0)
		err = check_msg(m);
	return err;
}

void sp_gossip_msg_free(struct sp_gossip_msg *m)
{
	if (m == NULL)
		return;
	free(m->alloc);
	m->alloc = NULL;
}

/* ---- encoding --------------------------------------------------------------- */

static void put_text(struct sp_buf *b, const char *p, size_t n)
{
	sp_cbor_put_text(b, p, n);
}

static void put_opt_text(struct sp_buf *b, const char *p, size_t n)
{
	if (p == NULL)
		sp_cbor_put_null(b);
	else
		sp_cbor_put_text(b, p, n);
}

static void put_note(struct sp_buf *b, const struct sp_gossip_note *n, int with_cp)
{
	sp_cbor_put_array(b, with_cp ? 3 : 2);
	put_text(b, n->origin, n->origin_len);
	sp_cbor_put_uint(b, n->size);
	if (with_cp)
		put_opt_text(b, n->checkpoint, n->checkpoint_len);
}

static void put_notes(struct sp_buf *b, const struct sp_gossip_notes *ns, int with_cp)
{
	sp_cbor_put_array(b, ns->n);
	for (size_t i = 0; i < ns->n; i++)
		put_note(b, &ns->notes[i], with_cp);
}

static void put_entries(struct sp_buf *b, const struct sp_gossip_entries *e)
{
	put_text(b, e->origin, e->origin_len);
	sp_cbor_put_uint(b, e->first);
	sp_cbor_put_array(b, e->count);
	for (size_t i = 0; i < e->count; i++)
		sp_cbor_put_bytes(b, e->entries[i], e->lens[i]);
	put_opt_text(b, e->checkpoint, e->checkpoint_len);
	sp_cbor_put_uint(b, e->proof_from);
	sp_cbor_put_bytes(b, e->proof, e->nproof * SP_MERKLE_HASH);
}

static void put_want(struct sp_buf *b, const struct sp_gossip_want *w)
{
	sp_cbor_put_array(b, w->n);
	for (size_t i = 0; i < w->n; i++) {
		sp_cbor_put_array(b, 3);
		put_text(b, w->ranges[i].origin, w->ranges[i].origin_len);
		sp_cbor_put_uint(b, w->ranges[i].from);
		sp_cbor_put_uint(b, w->ranges[i].to);
	}
}

static void put_hello(struct sp_buf *b, const struct sp_gossip_hello *h)
{
	put_text(b, h->federation, h->federation_len);
	put_text(b, h->inst, h->inst_len);
	sp_cbor_put_bytes(b, h->key, sizeof(h->key));
	sp_cbor_put_bytes(b, h->kx, sizeof(h->kx));
	sp_cbor_put_bytes(b, h->nonce, sizeof(h->nonce));
}

static void put_attach(struct sp_buf *b, const struct sp_gossip_attach *a)
{
	sp_cbor_put_bytes(b, a->hash, sizeof(a->hash));
	sp_cbor_put_uint(b, a->total);
	sp_cbor_put_uint(b, a->offset);
	sp_cbor_put_bytes(b, a->data, a->len);
}

static void put_body(struct sp_buf *b, const struct sp_gossip_msg *m)
{
	switch (m->type) {
	case SP_GOSSIP_HELLO:
		put_hello(b, &m->u.hello);
		break;
	case SP_GOSSIP_AUTH:
		sp_cbor_put_bytes(b, m->u.auth.sig, sizeof(m->u.auth.sig));
		break;
	case SP_GOSSIP_NOTES:
		sp_cbor_put_bool(b, m->u.notes.full);
		sp_cbor_put_bool(b, m->u.notes.more);
		put_notes(b, &m->u.notes, 1);
		break;
	case SP_GOSSIP_WANT:
		put_want(b, &m->u.want);
		break;
	case SP_GOSSIP_ENTRIES:
		put_entries(b, &m->u.entries);
		break;
	case SP_GOSSIP_ANNOUNCE:
		put_text(b, m->u.announce.origin, m->u.announce.origin_len);
		sp_cbor_put_uint(b, m->u.announce.size);
		put_opt_text(b, m->u.announce.checkpoint, m->u.announce.checkpoint_len);
		break;
	case SP_GOSSIP_IHAVE:
		put_notes(b, &m->u.ihave, 0);
		break;
	case SP_GOSSIP_GRAFT:
	case SP_GOSSIP_PRUNE:
		put_text(b, m->u.graft.origin, m->u.graft.origin_len);
		if (m->type == SP_GOSSIP_GRAFT)
			sp_cbor_put_uint(b, m->u.graft.from);
		break;
	case SP_GOSSIP_COSIGN:
		put_text(b, m->u.cosign.origin, m->u.cosign.origin_len);
		sp_cbor_put_uint(b, m->u.cosign.size);
		put_text(b, m->u.cosign.line, m->u.cosign.line_len);
		break;
	case SP_GOSSIP_ATTACH_WANT:
		sp_cbor_put_bytes(b, m->u.attach_want.hash, SP_HASH_BYTES);
		sp_cbor_put_uint(b, m->u.attach_want.offset);
		break;
	case SP_GOSSIP_ATTACH:
		put_attach(b, &m->u.attach);
		break;
	case SP_GOSSIP_ERROR:
		sp_cbor_put_negint(b, (uint64_t)(-(m->u.error.code + 1)));
		put_text(b, m->u.error.text, m->u.error.text_len);
		break;
	case SP_GOSSIP_EVIDENCE:
		put_text(b, m->u.evidence.origin, m->u.evidence.origin_len);
		sp_cbor_put_uint(b, m->u.evidence.kind);
		sp_cbor_put_uint(b, m->u.evidence.at);
		sp_cbor_put_bytes(b, m->u.evidence.a, m->u.evidence.a_len);
		sp_cbor_put_bytes(b, m->u.evidence.b, m->u.evidence.b_len);
		break;
	}
}

int sp_gossip_encode(const struct sp_gossip_msg *m, struct sp_buf *out)
{
	size_t start;
	int err;

	if (m == NULL || out == NULL || !type_known(m->type))
		return SP_ERR_ARG;
	err = check_msg(m);
	if (err)
		return err;
	if (out->err)
		return out->err;
	start = out->len;
	sp_cbor_put_array(out, 2u + nfields[m->type]);
	sp_cbor_put_uint(out, SP_GOSSIP_VERSION);
	sp_cbor_put_uint(out, m->type);
	put_body(out, m);
	if (out->err)
		return out->err;
	/* Texts are not UTF-8-checked above; one validation pass catches them
	 * and any size limit we got wrong, before a peer would. */
	err = out->len - start > SP_GOSSIP_MSG_MAX ? SP_ERR_RANGE
						    : sp_cbor_validate(out->p + start, out->len - start);
	if (err)
		out->len = start;
	return err;
}

/* ---- packers ------------------------------------------------------------------ */

int sp_gossip_entries_pack(const struct sp_gossip_entries *m, struct sp_buf *out, size_t *taken)
{
	struct sp_gossip_msg msg = {.type = SP_GOSSIP_ENTRIES};
	size_t k = 0, sum = 0;
	int err;

	if (m == NULL || out == NULL || taken == NULL || (m->count > 0 && m->lens == NULL))
		return SP_ERR_ARG;
	while (k < m->count && k < SP_GOSSIP_MAX_ENTRIES) {
		if (m->lens[k] > SP_ENTRY_MAX)
			return SP_ERR_ENTRY_TOO_LARGE;
		if (m->lens[k] > SP_GOSSIP_BATCH_MAX - sum)
			break;
		sum += m->lens[k++];
	}
	msg.u.entries = *m;
	msg.u.entries.count = k;
	err = sp_gossip_encode(&msg, out);
	if (err == 0)
		*taken = k;
	return err;
}

/* note_size: the encoded size of one NOTES element. */
static size_t note_size(const struct sp_gossip_note *n)
{
	size_t s = 1 + sp_cbor_head_len(n->origin_len) + n->origin_len + sp_cbor_head_len(n->size);

	if (n->checkpoint == NULL)
		return s + 1;
	return s + sp_cbor_head_len(n->checkpoint_len) + n->checkpoint_len;
}

/* The NOTES frame without its notes: array head, version, type, two
 * booleans, and a list head of at most 5 bytes (a count < 2^32). */
#define NOTES_FRAME (1 + 1 + 1 + 1 + 1 + 5)

int sp_gossip_notes_pack(const struct sp_gossip_notes *m, struct sp_buf *out, size_t *taken)
{
	struct sp_gossip_msg msg = {.type = SP_GOSSIP_NOTES};
	size_t k = 0, used = NOTES_FRAME;
	int err;

	if (m == NULL || out == NULL || taken == NULL || (m->n > 0 && m->notes == NULL))
		return SP_ERR_ARG;
	while (k < m->n) {
		size_t s = note_size(&m->notes[k]);

		if (s > SP_GOSSIP_MSG_MAX - used)
			break;
		used += s;
		k++;
	}
	if (k == 0 && m->n > 0)
		return SP_ERR_RANGE;
	msg.u.notes = *m;
	msg.u.notes.n = k;
	msg.u.notes.more = m->more || k < m->n;
	err = sp_gossip_encode(&msg, out);
	if (err == 0)
		*taken = k;
	return err;
}

/* ---- handshake ------------------------------------------------------------------ */

static void put_party(struct sp_buf *b, const struct sp_gossip_hello *h)
{
	sp_cbor_put_array(b, 4);
	put_text(b, h->inst, h->inst_len);
	sp_cbor_put_bytes(b, h->key, sizeof(h->key));
	sp_cbor_put_bytes(b, h->kx, sizeof(h->kx));
	sp_cbor_put_bytes(b, h->nonce, sizeof(h->nonce));
}

/* transcript builds what `signer` signs when talking to `other`, after the
 * checks both sign and verify need. */
static int transcript(const struct sp_gossip_hello *signer, const struct sp_gossip_hello *other,
		      struct sp_buf *b)
{
	if (check_hello(signer) != 0 || check_hello(other) != 0)
		return SP_ERR_ARG;
	if (signer->federation_len != other->federation_len ||
	    memcmp(signer->federation, other->federation, signer->federation_len) != 0)
		return SP_ERR_ARG;
	if (memcmp(signer->key, other->key, SP_KEY_BYTES) == 0)
		return SP_ERR_ARG;
	/* A peer that echoes our fresh values is reflecting our own AUTH. */
	if (sodium_memcmp(signer->nonce, other->nonce, SP_GOSSIP_NONCE_BYTES) == 0 ||
	    sodium_memcmp(signer->kx, other->kx, SP_KEY_BYTES) == 0)
		return SP_ERR_REPLAY;
	sp_buf_put(b, SP_GOSSIP_AUTH_DOMAIN, sizeof(SP_GOSSIP_AUTH_DOMAIN) - 1);
	sp_cbor_put_array(b, 3);
	put_text(b, signer->federation, signer->federation_len);
	put_party(b, signer);
	put_party(b, other);
	return b->err;
}

int sp_gossip_auth_sign(const struct sp_gossip_hello *ours, const struct sp_gossip_hello *peer,
			const uint8_t sk[SP_SECRET_BYTES], uint8_t sig[SP_SIG_BYTES])
{
	uint8_t pk[SP_KEY_BYTES];
	struct sp_buf b;
	int err;

	if (ours == NULL || peer == NULL || sk == NULL || sig == NULL)
		return SP_ERR_ARG;
	if (crypto_sign_ed25519_sk_to_pk(pk, sk) != 0 || memcmp(pk, ours->key, SP_KEY_BYTES) != 0)
		return SP_ERR_ARG;
	sp_buf_init(&b);
	err = transcript(ours, peer, &b);
	if (err == 0)
		crypto_sign_ed25519_detached(sig, NULL, b.p, b.len, sk);
	sp_buf_free(&b);
	return err;
}

int sp_gossip_auth_verify(const struct sp_gossip_hello *ours, const struct sp_gossip_hello *peer,
			  const uint8_t sig[SP_SIG_BYTES])
{
	struct sp_buf b;
	int err;

	if (ours == NULL || peer == NULL || sig == NULL)
		return SP_ERR_ARG;
	sp_buf_init(&b);
	err = transcript(peer, ours, &b);
	if (err == 0 && crypto_sign_ed25519_verify_detached(sig, b.p, b.len, peer->key) != 0)
		err = SP_ERR_BAD_SIGNATURE;
	sp_buf_free(&b);
	return err;
}

int sp_gossip_session_keys(const struct sp_gossip_hello *ours, const struct sp_gossip_hello *peer,
			   const uint8_t kx_sk[SP_KEY_BYTES], uint8_t rx[SP_KEY_BYTES],
			   uint8_t tx[SP_KEY_BYTES])
{
	int c, rc;

	if (ours == NULL || peer == NULL || kx_sk == NULL || rx == NULL || tx == NULL)
		return SP_ERR_ARG;
	c = memcmp(ours->kx, peer->kx, SP_KEY_BYTES);
	if (c == 0)
		return SP_ERR_REPLAY;
	if (c < 0)
		rc = crypto_kx_client_session_keys(rx, tx, ours->kx, kx_sk, peer->kx);
	else
		rc = crypto_kx_server_session_keys(rx, tx, ours->kx, kx_sk, peer->kx);
	return rc == 0 ? 0 : SP_ERR_BAD_SIGNATURE;
}

void sp_gossip_tag(const uint8_t key[SP_KEY_BYTES], uint64_t seq, const uint8_t *msg, size_t len,
		   uint8_t tag[SP_GOSSIP_TAG_BYTES])
{
	crypto_auth_hmacsha256_state st;
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(seq >> (56 - 8 * i));
	crypto_auth_hmacsha256_init(&st, key, SP_KEY_BYTES);
	crypto_auth_hmacsha256_update(&st, be, sizeof(be));
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, tag);
}

int sp_gossip_tag_verify(const uint8_t key[SP_KEY_BYTES], uint64_t seq, const uint8_t *msg,
			 size_t len, const uint8_t tag[SP_GOSSIP_TAG_BYTES])
{
	uint8_t want[SP_GOSSIP_TAG_BYTES];

	sp_gossip_tag(key, seq, msg, len, want);
	return crypto_verify_32(want, tag) == 0 ? 0 : SP_ERR_BAD_SIGNATURE;
}

int sp_gossip_attach_check(const uint8_t hash[SP_HASH_BYTES], const uint8_t *data, size_t len)
{
	uint8_t got[SP_HASH_BYTES];

	if (hash == NULL || (data == NULL && len > 0))
		return SP_ERR_ARG;
	crypto_hash_sha256(got, data, len);
	return sodium_memcmp(got, hash, SP_HASH_BYTES) == 0 ? 0 : SP_ERR_INCONSISTENT;
}

/* ---- note sets -------------------------------------------------------------------- */

static int sorted(const struct sp_gossip_note *ns, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (sp_gossip_origin_cmp(ns[i - 1].origin, ns[i - 1].origin_len, ns[i].origin,
					 ns[i].origin_len) >= 0)
			return 0;
	return 1;
}

static int note_cmp(const struct sp_gossip_note *a, const struct sp_gossip_note *b)
{
	return sp_gossip_origin_cmp(a->origin, a->origin_len, b->origin, b->origin_len);
}

static int note_changed(const struct sp_gossip_note *old, const struct sp_gossip_note *cur)
{
	if (old->size != cur->size || (old->checkpoint == NULL) != (cur->checkpoint == NULL))
		return 1;
	return cur->checkpoint != NULL && (old->checkpoint_len != cur->checkpoint_len ||
					   memcmp(old->checkpoint, cur->checkpoint,
						  cur->checkpoint_len) != 0);
}

int sp_gossip_notes_delta(const struct sp_gossip_note *sent, size_t nsent,
			  const struct sp_gossip_note *cur, size_t ncur, struct sp_gossip_note *out,
			  size_t *nout)
{
	size_t i = 0, k = 0;

	if ((nsent && sent == NULL) || (ncur && (cur == NULL || out == NULL)) || nout == NULL)
		return SP_ERR_ARG;
	if (!sorted(sent, nsent) || !sorted(cur, ncur))
		return SP_ERR_ARG;
	for (size_t j = 0; j < ncur; j++) {
		while (i < nsent && note_cmp(&sent[i], &cur[j]) < 0)
			i++;
		if (i < nsent && note_cmp(&sent[i], &cur[j]) == 0 && !note_changed(&sent[i], &cur[j]))
			continue;
		out[k++] = cur[j];
	}
	*nout = k;
	return 0;
}

/* ---- session planner --------------------------------------------------------------- */

void sp_gossip_session_init(struct sp_gossip_session *s, unsigned window)
{
	memset(s, 0, sizeof(*s));
	if (window < 1)
		window = 1;
	s->window = window > SP_GOSSIP_WINDOW_MAX ? SP_GOSSIP_WINDOW_MAX : window;
	s->depth = 1;
}

void sp_gossip_session_depth(struct sp_gossip_session *s, unsigned depth, uint64_t chunk)
{
	s->depth = depth < 1 ? 1 : depth > s->window ? s->window : depth;
	s->chunk = chunk < 1 ? 1 : chunk;
}

int sp_gossip_session_our_notes(struct sp_gossip_session *s, const struct sp_gossip_note *sent,
				size_t nsent, const struct sp_gossip_note *cur, size_t ncur,
				struct sp_gossip_note *out, size_t *nout, int *full)
{
	int err;

	if (s == NULL || full == NULL)
		return SP_ERR_ARG;
	/* Before the first full set there is nothing the peer knows of ours. */
	err = sp_gossip_notes_delta(sent, s->notes_sent ? nsent : 0, cur, ncur, out, nout);
	if (err)
		return err;
	*full = !s->notes_sent;
	s->notes_sent = 1;
	return 0;
}

int sp_gossip_session_peer_notes(struct sp_gossip_session *s, const struct sp_gossip_notes *m)
{
	if (s == NULL || m == NULL)
		return SP_ERR_ARG;
	/* The full set comes first and only first: parts until more = 0. */
	if (m->full == s->peer_complete)
		return SP_ERR_ARG;
	if (!m->full && m->more)
		return SP_ERR_ARG;
	s->peer_started = 1;
	if (m->full && !m->more)
		s->peer_complete = 1;
	return 0;
}

/* find_pending: the log's earliest pending range, or -1. */
static int find_pending(const struct sp_gossip_session *s, const char *origin, size_t len)
{
	int best = -1;
	for (unsigned i = 0; i < s->npending; i++)
		if (s->pending[i].origin_len == len && memcmp(s->pending[i].origin, origin, len) == 0 &&
		    (best < 0 || s->pending[i].from < s->pending[best].from))
			best = (int)i;
	return best;
}

/* log_pending: how many ranges of the log are pending, whether any is
 * stale, and where the last one ends (0 if none). */
static unsigned log_pending(const struct sp_gossip_session *s, const char *origin, size_t len,
			    int *stale, uint64_t *end)
{
	unsigned n = 0;
	*stale = 0;
	*end = 0;
	for (unsigned i = 0; i < s->npending; i++) {
		const struct sp_gossip_pending *p = &s->pending[i];
		if (p->origin_len != len || memcmp(p->origin, origin, len) != 0)
			continue;
		n++;
		*stale |= p->stale;
		if (p->to > *end)
			*end = p->to;
	}
	return n;
}

static void add_pending(struct sp_gossip_session *s, const struct sp_gossip_range *r)
{
	struct sp_gossip_pending *p = &s->pending[s->npending++];

	memcpy(p->origin, r->origin, r->origin_len);
	p->origin[r->origin_len] = '\0';
	p->origin_len = r->origin_len;
	p->from = r->from;
	p->to = r->to;
	p->stale = 0;
}

/* plan_range: the next range of a log we hold `have` of and the peer
 * `peer_size`, within the session's depth; 0 if none. */
static int plan_range(const struct sp_gossip_session *s, const struct sp_gossip_note *peer,
		      uint64_t have, struct sp_gossip_range *r)
{
	int stale;
	uint64_t end;
	unsigned n = log_pending(s, peer->origin, peer->origin_len, &stale, &end);
	uint64_t from = n && end > have ? end : have;
	if (stale || n >= s->depth || from >= peer->size)
		return 0;
	uint64_t to = peer->size;
	if (s->depth > 1 && to - from > s->chunk)
		to = from + s->chunk;
	*r = (struct sp_gossip_range){peer->origin, peer->origin_len, from, to};
	return 1;
}

/* ahead walks both sorted sets and writes [b.size, a.size) for each log in
 * both where a holds more than b, skipping logs `skip` says to skip. */
static int ahead(const struct sp_gossip_note *a, size_t na, const struct sp_gossip_note *b,
		 size_t nb, struct sp_gossip_session *s, struct sp_gossip_range *out, size_t cap,
		 size_t *nout)
{
	size_t i = 0, j = 0, k = 0;

	if ((na && a == NULL) || (nb && b == NULL) || (cap && out == NULL) || nout == NULL)
		return SP_ERR_ARG;
	if (!sorted(a, na) || !sorted(b, nb))
		return SP_ERR_ARG;
	while (i < na && j < nb && k < cap && (s == NULL || s->npending < s->window)) {
		int c = note_cmp(&a[i], &b[j]);

		if (c != 0) {
			c < 0 ? i++ : j++;
			continue;
		}
		if (a[i].size > b[j].size && a[i].origin_len <= SP_ORIGIN_MAX) {
			out[k] = (struct sp_gossip_range){a[i].origin, a[i].origin_len, b[j].size,
							  a[i].size};
			if (s == NULL)
				k++;
			else if (plan_range(s, &a[i], b[j].size, &out[k]))
				add_pending(s, &out[k++]);
		}
		i++;
		j++;
	}
	*nout = k;
	return 0;
}

int sp_gossip_session_wants(struct sp_gossip_session *s, const struct sp_gossip_note *ours,
			    size_t nours, const struct sp_gossip_note *peer, size_t npeer,
			    struct sp_gossip_range *out, size_t cap, size_t *nout)
{
	if (s == NULL)
		return SP_ERR_ARG;
	return ahead(peer, npeer, ours, nours, s, out, cap, nout);
}

int sp_gossip_session_answered(struct sp_gossip_session *s, const char *origin, size_t origin_len,
			       uint64_t first, size_t count)
{
	struct sp_gossip_pending p;
	int i;

	if (s == NULL || origin == NULL)
		return SP_ERR_ARG;
	i = find_pending(s, origin, origin_len);
	if (i < 0)
		return SP_ERR_NOT_FOUND;
	p = s->pending[i];
	s->pending[i] = s->pending[--s->npending];
	if (p.stale)
		return SP_ERR_GAP;
	if (first != p.from || count > p.to - p.from)
		return SP_ERR_RANGE;
	if (count < p.to - p.from) /* short: the later ranges would leave a gap */
		for (unsigned k = 0; k < s->npending; k++)
			if (s->pending[k].origin_len == origin_len &&
			    memcmp(s->pending[k].origin, origin, origin_len) == 0)
				s->pending[k].stale = 1;
	return 0;
}

int sp_gossip_session_offers(const struct sp_gossip_note *ours, size_t nours,
			     const struct sp_gossip_note *peer, size_t npeer,
			     struct sp_gossip_range *out, size_t cap, size_t *nout)
{
	return ahead(ours, nours, peer, npeer, NULL, out, cap, nout);
}

void sp_gossip_serve_range(const struct sp_gossip_range *want, uint64_t held, uint64_t *from,
			   uint64_t *to)
{
	*from = want->from;
	*to = want->to < held ? want->to : held;
	if (*to < *from)
		*to = *from;
}

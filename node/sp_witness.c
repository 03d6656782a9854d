/*
 * sp_witness.c - the node as a C2SP tlog witness: add-checkpoint requests
 * and the cosigning of stored replica checkpoints (see sp_witness.h).
 *
 * Both paths end in wit_cosign: compare-and-replace the origin's state in
 * the store (atomic, synced), then sign the cosignature line. The state is
 * written before the line exists, so a crash between the two loses a
 * cosignature, never the record of one.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_witness.h"

struct sp_witness {
	struct sp_store *store;
	const struct sp_dir *dir;
	char federation[SP_ORIGIN_MAX + 1];
	char name[SP_NOTE_NAME_MAX + 1];
	pthread_mutex_t key_mu; /* sk and vkey: a rotation replaces them */
	uint8_t sk[64];
	char vkey[SP_WITNESS_VKEY_MAX];
};

/* A parsed add-checkpoint request; pointers borrow the body. */
struct wit_req {
	uint64_t old;
	sp_hash proof[SP_WITNESS_MAX_PROOF];
	size_t nproof;
	const char *note;
	size_t note_len;
};

/* A checkpoint note, parsed and opened: what both paths work on. */
struct wit_cp {
	const char *raw;
	size_t raw_len;
	struct sp_note note;
	struct sp_checkpoint body;
};

/* ---- lifecycle ------------------------------------------------------------------------ */

int sp_witness_new(const struct sp_witness_opts *o, struct sp_witness **out)
{
	*out = NULL;
	struct sp_witness *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return SP_ERR_NOMEM;
	w->store = o->store;
	w->dir = o->dir;
	snprintf(w->federation, sizeof(w->federation), "%s", o->federation ? o->federation : "");
	snprintf(w->name, sizeof(w->name), "%s", o->name);
	pthread_mutex_init(&w->key_mu, NULL);
	int rc = sp_witness_rekey(w, o->sk);
	if (rc) {
		sp_witness_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void sp_witness_free(struct sp_witness *w)
{
	if (w == NULL)
		return;
	sodium_memzero(w->sk, sizeof(w->sk));
	pthread_mutex_destroy(&w->key_mu);
	free(w);
}

int sp_witness_rekey(struct sp_witness *w, const uint8_t sk[64])
{
	struct sp_note_key k;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_note_key_init(&k, w->name, SP_NOTE_TYPE_COSIG, sk + 32);
	if (rc == 0) {
		sp_note_vkey_format(&k, &b);
		rc = b.err ? b.err : b.len >= sizeof(w->vkey) ? SP_ERR_KEY_FORMAT : 0;
	}
	if (rc == 0) {
		pthread_mutex_lock(&w->key_mu);
		memcpy(w->sk, sk, sizeof(w->sk));
		memcpy(w->vkey, b.p, b.len);
		w->vkey[b.len] = '\0';
		pthread_mutex_unlock(&w->key_mu);
	}
	sp_buf_free(&b);
	return rc;
}

/* key_get copies the key in use. */
static void key_get(struct sp_witness *w, uint8_t sk[64])
{
	pthread_mutex_lock(&w->key_mu);
	memcpy(sk, w->sk, 64);
	pthread_mutex_unlock(&w->key_mu);
}

const char *sp_witness_name(const struct sp_witness *w) { return w->name; }

void sp_witness_vkey(struct sp_witness *w, char out[SP_WITNESS_VKEY_MAX])
{
	pthread_mutex_lock(&w->key_mu);
	memcpy(out, w->vkey, SP_WITNESS_VKEY_MAX);
	pthread_mutex_unlock(&w->key_mu);
}

/* ---- request parsing -------------------------------------------------------------------- */

/* line returns the length of the line at p (without its newline), or -1
 * if p[0..len) holds no newline. */
static long line(const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len);
	return nl ? (long)(nl - p) : -1;
}

/* parse_size reads an ASCII decimal without leading zeros ("0" alone). */
static int parse_size(const char *p, size_t n, uint64_t *v)
{
	if (n == 0 || n > 20 || (n > 1 && p[0] == '0'))
		return SP_ERR_NOTE_FORMAT;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9 || *v > (UINT64_MAX - d) / 10)
			return SP_ERR_NOTE_FORMAT;
		*v = *v * 10 + d;
	}
	return 0;
}

/* parse_hash decodes one proof line: standard base64 of exactly 32 bytes. */
static int parse_hash(const char *p, size_t n, uint8_t out[32])
{
	size_t got = 0;
	const char *end = NULL;
	if (n != 44 || sodium_base642bin(out, 32, p, n, NULL, &got, &end,
					 sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != 32 || end != p + n)
		return SP_ERR_NOTE_FORMAT;
	return 0;
}

/* parse_request splits a body into old size, proof and checkpoint note. */
static int parse_request(const char *b, size_t len, struct wit_req *r)
{
	long n = line(b, len);
	if (n < 4 || memcmp(b, "old ", 4) != 0 || parse_size(b + 4, (size_t)n - 4, &r->old))
		return SP_ERR_NOTE_FORMAT;
	size_t off = (size_t)n + 1;
	r->nproof = 0;
	while ((n = line(b + off, len - off)) > 0) {
		if (r->nproof == SP_WITNESS_MAX_PROOF ||
		    parse_hash(b + off, (size_t)n, r->proof[r->nproof]) != 0)
			return SP_ERR_NOTE_FORMAT;
		r->nproof++;
		off += (size_t)n + 1;
	}
	if (n != 0)
		return SP_ERR_NOTE_FORMAT;
	r->note = b + off + 1;
	r->note_len = len - off - 1;
	return 0;
}

/* parse_cp parses a signed checkpoint note without verifying it. */
static int parse_cp(const char *note, size_t len, struct wit_cp *c)
{
	c->raw = note;
	c->raw_len = len;
	if (sp_note_parse(note, len, &c->note) != 0 ||
	    sp_checkpoint_parse(c->note.text, c->note.text_len, &c->body) != 0)
		return SP_ERR_NOTE_FORMAT;
	return 0;
}

/* ---- state ------------------------------------------------------------------------------ */

/* State of an origin: size 0 and no note if never cosigned. */
struct wit_state {
	uint64_t size;
	uint8_t root[32];
	struct sp_buf note;
};

static int state_get(struct sp_store *s, const char *origin, struct wit_state *st)
{
	sp_buf_init(&st->note);
	int rc = sp_store_witness_get(s, origin, &st->size, st->root, &st->note);
	if (rc == SP_ERR_NOT_FOUND) {
		st->size = 0;
		memset(st->root, 0, 32);
		rc = 0;
	}
	return rc;
}

/* wit_cosign moves the state from st to c (atomically; SP_ERR_STALE if it
 * moved meanwhile) and appends the cosignature line to line. */
static int wit_cosign(struct sp_store *s, const char *name, const uint8_t sk[64],
		      const struct wit_state *st, const struct wit_cp *c, uint64_t now,
		      struct sp_buf *line)
{
	int rc = sp_store_witness_set(s, c->body.origin, st->size, st->root, c->body.size,
				      c->body.root, c->raw, c->raw_len);
	if (rc == 0)
		rc = sp_cosig_line(c->note.text, c->note.text_len, now, name, sk, line);
	return rc;
}

/* has_cosig: the note already carries a line by witness key k. */
static int has_cosig(const struct sp_note *note, const struct sp_note_key *k)
{
	size_t n = strlen(k->name);
	for (size_t i = 0; i < note->nsigs; i++)
		if (note->sigs[i].name_len == n && memcmp(note->sigs[i].name, k->name, n) == 0 &&
		    memcmp(note->sigs[i].id, k->id, 4) == 0)
			return 1;
	return 0;
}

/* stored_needs reports whether log id stores a checkpoint with c's body
 * that lacks a cosignature by witness (name, sk): the one to add it to. */
static int stored_needs(struct sp_store *s, uint32_t id, const struct wit_cp *c, const char *name,
			const uint8_t sk[64])
{
	struct sp_note_key k;
	struct sp_buf b;
	struct sp_note held;
	sp_buf_init(&b);
	int need = sp_note_key_init(&k, name, SP_NOTE_TYPE_COSIG, sk + 32) == 0 &&
		   sp_store_checkpoint_at(s, id, c->body.size, &b) == 0 &&
		   sp_note_parse((const char *)b.p, b.len, &held) == 0 &&
		   held.text_len == c->note.text_len &&
		   memcmp(held.text, c->note.text, held.text_len) == 0 && !has_cosig(&held, &k);
	sp_buf_free(&b);
	return need;
}

/* ---- add-checkpoint ----------------------------------------------------------------------- */

/* log_keys finds the key history of origin: a log held here (*id set,
 * *held 1), or an institution in the directory. SP_ERR_NOT_FOUND. */
static int log_keys(struct sp_witness *w, const char *origin, struct sp_keyhist *h, uint32_t *id,
		    int *held)
{
	struct sp_log_info info;
	*held = sp_store_log_find(w->store, origin, id) == 0 &&
		sp_store_log_info(w->store, *id, &info) == 0;
	if (*held) {
		*h = info.keys;
		return 0;
	}
	size_t fl = strlen(w->federation);
	if (w->dir == NULL || fl == 0 || strncmp(origin, w->federation, fl) != 0 ||
	    origin[fl] != '/' || sp_dir_keyhist(w->dir, origin + fl + 1, h) != 0)
		return SP_ERR_NOT_FOUND;
	return 0;
}

/* check_growth applies the tlog-witness checks of old size and proof. */
static int check_growth(const struct wit_req *r, const struct wit_state *st,
			const struct sp_checkpoint *cp, uint64_t *known)
{
	*known = st->size;
	if (r->old > cp->size)
		return SP_ERR_NOTE_FORMAT;
	if (r->old != st->size)
		return SP_ERR_STALE;
	if (r->old == 0)
		return r->nproof == 0 ? 0 : SP_ERR_PROOF;
	if (r->old == cp->size)
		return memcmp(st->root, cp->root, 32) == 0 ? 0 : SP_ERR_INCONSISTENT;
	return sp_merkle_verify_consistency(r->old, cp->size, st->root, cp->root, r->proof,
					    r->nproof) == 0 ? 0 : SP_ERR_PROOF;
}

/* add_to_log puts the cosignature on the stored checkpoint of a held log,
 * or keeps a same-size contradiction as fork evidence. */
static void add_to_log(struct sp_witness *w, uint32_t id, const struct wit_cp *c,
		       const struct wit_state *st, int rc, const struct sp_buf *line,
		       const uint8_t line_sk[64])
{
	if (rc == SP_ERR_INCONSISTENT)
		sp_store_fork_checkpoints(w->store, id, c->body.size, (const char *)st->note.p,
					  st->note.len, c->raw, c->raw_len);
	else if (rc == 0 && stored_needs(w->store, id, c, w->name, line_sk))
		sp_store_cosign_add(w->store, id, c->body.size, (const char *)line->p, line->len);
}

int sp_witness_add_checkpoint(struct sp_witness *w, const char *body, size_t len, uint64_t now,
			      struct sp_buf *out, uint64_t *known)
{
	struct wit_req r;
	struct wit_cp c;
	struct sp_keyhist h;
	struct sp_checkpoint opened;
	uint32_t id = 0;
	int held = 0;
	*known = 0;
	if (parse_request(body, len, &r) != 0 || parse_cp(r.note, r.note_len, &c) != 0)
		return SP_ERR_NOTE_FORMAT;
	if (log_keys(w, c.body.origin, &h, &id, &held) != 0)
		return SP_ERR_NOT_FOUND;
	/* any key of the log's history: the store checks which may sign what */
	if (sp_keyhist_checkpoint_open(&h, 0, c.body.origin, c.raw, c.raw_len, &opened, NULL) != 0)
		return SP_ERR_BAD_SIGNATURE;
	struct wit_state st;
	uint8_t sk[64];
	key_get(w, sk);
	int rc = state_get(w->store, c.body.origin, &st);
	if (rc == 0)
		rc = check_growth(&r, &st, &c.body, known);
	size_t mark = out->len;
	if (rc == 0)
		rc = wit_cosign(w->store, w->name, sk, &st, &c, now, out);
	if (held && (rc == 0 || rc == SP_ERR_INCONSISTENT)) {
		struct sp_buf one = {.p = out->p + mark, .len = out->len - mark};
		add_to_log(w, id, &c, &st, rc, &one, sk);
	}
	sodium_memzero(sk, sizeof(sk));
	if (rc == SP_ERR_STALE || rc == SP_ERR_INCONSISTENT) {
		struct wit_state now_st;
		if (state_get(w->store, c.body.origin, &now_st) == 0)
			*known = now_st.size;
		sp_buf_free(&now_st.note);
		rc = SP_ERR_STALE;
	}
	sp_buf_free(&st.note);
	return rc;
}

/* ---- replicas ---------------------------------------------------------------------------- */

/* replica_check: the log's tree (which the store checked against the log's
 * signatures) holds both the state and c, proven with a consistency proof
 * from our own tree. SP_ERR_INCONSISTENT if it contradicts the state. */
static int replica_check(struct sp_store *s, uint32_t id, const struct wit_state *st,
			 const struct wit_cp *c)
{
	uint8_t old_root[32], new_root[32];
	if (sp_store_root(s, id, c->body.size, new_root) != 0 ||
	    memcmp(new_root, c->body.root, 32) != 0)
		return SP_ERR_INCONSISTENT;
	if (st->size == 0)
		return 0;
	if (sp_store_root(s, id, st->size, old_root) != 0 || memcmp(old_root, st->root, 32) != 0)
		return SP_ERR_INCONSISTENT;
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	size_t n = 0;
	int rc = sp_store_consistency(s, id, st->size, c->body.size, proof, &n);
	if (rc == 0)
		rc = sp_merkle_verify_consistency(st->size, c->body.size, st->root, c->body.root,
						  proof, n);
	return rc ? SP_ERR_INCONSISTENT : 0;
}

int sp_witness_replica(struct sp_store *s, const char *name, const uint8_t sk[64], uint32_t id,
		       const char *cp, size_t len, uint64_t now)
{
	struct sp_log_info info;
	struct wit_cp c;
	if (sp_store_log_info(s, id, &info) != 0 || info.own || parse_cp(cp, len, &c) != 0 ||
	    strcmp(c.body.origin, info.origin) != 0 || c.body.size == 0 ||
	    c.body.size > info.size || !stored_needs(s, id, &c, name, sk))
		return 0;
	struct wit_state st;
	int rc = state_get(s, info.origin, &st);
	if (rc == 0 && c.body.size < st.size)
		rc = 1; /* older than what we cosigned: nothing to do */
	if (rc == 0 && (rc = replica_check(s, id, &st, &c)) == SP_ERR_INCONSISTENT)
		sp_store_fork_checkpoints(s, id, st.size, (const char *)st.note.p, st.note.len, cp,
					  len);
	struct sp_buf line;
	sp_buf_init(&line);
	if (rc == 0)
		rc = wit_cosign(s, name, sk, &st, &c, now, &line);
	if (rc == 0)
		rc = sp_store_cosign_add(s, id, c.body.size, (const char *)line.p, line.len);
	sp_buf_free(&line);
	sp_buf_free(&st.note);
	return rc == 1 ? 0 : rc;
}

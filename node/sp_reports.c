/*
 * sp_reports.c - the report index's writer (see sp_reports.h and the key
 * layout in sp_reports_int.h): entries of a log are indexed in jobs, one
 * atomic batch each, that carry the records they touched, the postings
 * and counters that changed, the deadline keys and the log's high-water
 * mark; starts, catch-up from the logs, rebuilds and the fixer that
 * rebuilds a damaged index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_clock.h"
#include "sp_err.h"
#include "sp_pool.h"
#include "sp_reports_int.h"

#define JOB_ENTRIES 1024 /* entries indexed per batch */
#define JOB_SLOTS 4096   /* the job's id table (power of two, > 2 * records) */
#define DELTA_SLOTS 65536 /* the job's counter table (power of two) */

static void be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
}

static uint64_t be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void be32_put(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
}

size_t sp_rkey_posting(uint8_t *k, const char *term, uint64_t seq)
{
	size_t n = strlen(term);
	k[0] = 'P';
	memcpy(k + 1, term, n);
	k[1 + n] = 0;
	be64_put(k + 2 + n, seq);
	return n + 10;
}

size_t sp_rkey_seq(uint8_t *k, char tag, uint64_t seq)
{
	k[0] = (uint8_t)tag;
	be64_put(k + 1, seq);
	return 9;
}

/* ---- the record codec ------------------------------------------------------ */

static void put_text(struct sp_buf *b, const char *s)
{
	sp_cbor_put_text(b, s, strlen(s));
}

static void put_names(struct sp_buf *b, const char (*v)[SP_INST_ID_MAX + 1], size_t n)
{
	sp_cbor_put_array(b, n);
	for (size_t i = 0; i < n; i++)
		put_text(b, v[i]);
}

static void put_sum(struct sp_buf *b, const struct sp_reports_summary *s)
{
	sp_cbor_put_array(b, 19);
	put_text(b, s->log);
	sp_cbor_put_uint(b, s->index);
	sp_cbor_put_uint(b, s->submitted_ms);
	put_text(b, s->region);
	put_text(b, s->category);
	put_text(b, s->routed_to);
	sp_cbor_put_uint(b, (uint64_t)s->status);
	put_names(b, s->holders, s->n_holders);
	put_text(b, s->last_holder);
	put_names(b, s->handled, s->n_handled);
	sp_cbor_put_uint(b, (uint64_t)s->stage);
	sp_cbor_put_uint(b, s->deadline_ms);
	sp_cbor_put_uint(b, (uint64_t)s->overdue);
	sp_cbor_put_uint(b, s->escalations);
	sp_cbor_put_uint(b, (uint64_t)s->kind);
	sp_cbor_put_uint(b, s->valid_until);
	sp_cbor_put_uint(b, s->answered_ms);
	sp_cbor_put_uint(b, s->rating);
	sp_cbor_put_uint(b, (uint64_t)s->keyless);
}

static void put_marks(struct sp_buf *b, const struct sp_rrec *p)
{
	uint8_t m[(SP_REPORTS_MAX_TRAIL + 7) / 8] = {0};
	size_t n = p->n_trail < SP_REPORTS_MAX_TRAIL ? p->n_trail : SP_REPORTS_MAX_TRAIL;
	for (size_t i = 0; i < n; i++)
		m[i / 8] |= (uint8_t)((p->trail[i].sig_ok != 0) << (i % 8));
	sp_cbor_put_bytes(b, m, (n + 7) / 8);
}

/* The record: [id, seq, sub log, sub index, indexed ms, [log, index, ...],
 * [involved], summary or null, sig marks]; sig marks: a byte string, bit
 * i%8 of byte i/8 the trail entry i's sig_ok (records written before the
 * marks existed have 8 items: nothing marked, every signature checked, as
 * before, until the record is written again or the index rebuilt);
 * summary: [log, index, submitted, region, category, routed_to, status,
 * [holders], last holder, [handled], stage, deadline, overdue,
 * escalations, kind, valid until, answered, rating, keyless]. */
int sp_rrec_encode(const struct sp_rrec *p, struct sp_buf *b)
{
	sp_cbor_put_array(b, 9);
	sp_cbor_put_bytes(b, p->id, SP_HASH_BYTES);
	sp_cbor_put_uint(b, p->seq);
	sp_cbor_put_uint(b, p->sub.log);
	sp_cbor_put_uint(b, p->sub.index);
	sp_cbor_put_uint(b, p->indexed_ms);
	sp_cbor_put_array(b, 2 * p->n_trail);
	for (size_t i = 0; i < p->n_trail; i++) {
		sp_cbor_put_uint(b, p->trail[i].log);
		sp_cbor_put_uint(b, p->trail[i].index);
	}
	sp_cbor_put_array(b, p->n_inv);
	for (size_t i = 0; i < p->n_inv; i++)
		put_text(b, p->inv[i].id);
	if (p->has_sum)
		put_sum(b, &p->sum);
	else
		sp_cbor_put_null(b);
	put_marks(b, p);
	return b->err;
}

static int get_text(struct sp_cbor_reader *rd, char *dst, size_t cap)
{
	const char *t;
	size_t n;
	int rc = sp_cbor_read_text(rd, &t, &n);
	if (rc == 0 && n >= cap)
		rc = SP_ERR_CORRUPT;
	if (rc == 0) {
		memcpy(dst, t, n);
		dst[n] = '\0';
	}
	return rc;
}

static int get_uint(struct sp_cbor_reader *rd, uint64_t *v, uint64_t max)
{
	int rc = sp_cbor_read_uint(rd, v);
	return rc ? rc : *v > max ? SP_ERR_CORRUPT : 0;
}

static int get_names(struct sp_cbor_reader *rd, char (*v)[SP_INST_ID_MAX + 1], size_t *n)
{
	uint64_t c;
	int rc = sp_cbor_read_array(rd, &c);
	if (rc == 0 && c > SP_REPORT_MAX_HOLDERS)
		rc = SP_ERR_CORRUPT;
	for (uint64_t i = 0; rc == 0 && i < c; i++)
		rc = get_text(rd, v[i], sizeof(v[i]));
	*n = rc ? 0 : (size_t)c;
	return rc;
}

static int decode_sum(struct sp_cbor_reader *rd, struct sp_reports_summary *s)
{
	uint64_t c, v[8];
	int rc = sp_cbor_read_array(rd, &c);
	if (rc == 0 && c != 19)
		rc = SP_ERR_CORRUPT;
	if (rc == 0)
		rc = get_text(rd, s->log, sizeof(s->log));
	if (rc == 0)
		rc = get_uint(rd, &s->index, UINT64_MAX);
	if (rc == 0)
		rc = get_uint(rd, &s->submitted_ms, UINT64_MAX);
	if (rc == 0)
		rc = get_text(rd, s->region, sizeof(s->region));
	if (rc == 0)
		rc = get_text(rd, s->category, sizeof(s->category));
	if (rc == 0)
		rc = get_text(rd, s->routed_to, sizeof(s->routed_to));
	if (rc == 0)
		rc = get_uint(rd, &v[0], SP_ST_DIGABUNG);
	if (rc == 0)
		rc = get_names(rd, s->holders, &s->n_holders);
	if (rc == 0)
		rc = get_text(rd, s->last_holder, sizeof(s->last_holder));
	if (rc == 0)
		rc = get_names(rd, s->handled, &s->n_handled);
	if (rc == 0)
		rc = get_uint(rd, &v[1], 255);
	if (rc == 0)
		rc = get_uint(rd, &s->deadline_ms, UINT64_MAX);
	if (rc == 0)
		rc = get_uint(rd, &v[2], 1);
	if (rc == 0)
		rc = get_uint(rd, &v[3], UINT32_MAX);
	if (rc == 0)
		rc = get_uint(rd, &v[4], SP_REPORT_INFORMASI);
	if (rc == 0)
		rc = get_uint(rd, &s->valid_until, UINT64_MAX);
	if (rc == 0)
		rc = get_uint(rd, &s->answered_ms, UINT64_MAX);
	if (rc == 0)
		rc = get_uint(rd, &v[5], 255);
	if (rc == 0)
		rc = get_uint(rd, &v[6], 1);
	if (rc == 0) {
		s->keyless = (int)v[6];
		s->rating = (unsigned)v[5];
		s->status = (enum sp_report_status)v[0];
		s->stage = (enum sp_report_stage)v[1];
		s->overdue = (int)v[2];
		s->escalations = (unsigned)v[3];
		s->kind = (int)v[4];
	}
	return rc;
}

static int decode_lists(struct sp_cbor_reader *rd, struct sp_rrec *p)
{
	uint64_t c, v;
	int rc = sp_cbor_read_array(rd, &c);
	if (rc == 0 && (c % 2 || c / 2 > SP_REPORTS_MAX_TRAIL))
		rc = SP_ERR_CORRUPT;
	if (rc == 0 && c && (p->trail = malloc((size_t)c / 2 * sizeof(*p->trail))) == NULL)
		rc = SP_ERR_NOMEM;
	p->cap_trail = rc ? 0 : (size_t)c / 2;
	for (uint64_t i = 0; rc == 0 && i < c / 2; i++) {
		rc = get_uint(rd, &v, UINT32_MAX);
		p->trail[i].log = (uint32_t)v;
		p->trail[i].sig_ok = 0;
		if (rc == 0)
			rc = get_uint(rd, &p->trail[i].index, UINT64_MAX);
		p->n_trail += rc == 0;
	}
	if (rc == 0)
		rc = sp_cbor_read_array(rd, &c);
	if (rc == 0 && c > 4096)
		rc = SP_ERR_CORRUPT;
	if (rc == 0 && c && (p->inv = malloc((size_t)c * sizeof(*p->inv))) == NULL)
		rc = SP_ERR_NOMEM;
	p->cap_inv = rc ? 0 : (size_t)c;
	for (uint64_t i = 0; rc == 0 && i < c; i++) {
		rc = get_text(rd, p->inv[i].id, sizeof(p->inv[i].id));
		p->n_inv += rc == 0;
	}
	return rc;
}

/* get_marks reads the sig marks into the decoded trail. */
static int get_marks(struct sp_cbor_reader *rd, struct sp_rrec *p)
{
	const uint8_t *m;
	size_t n;
	int rc = sp_cbor_read_bytes(rd, &m, &n);
	if (rc == 0 && n != (p->n_trail + 7) / 8)
		rc = SP_ERR_CORRUPT;
	for (size_t i = 0; rc == 0 && i < p->n_trail; i++)
		p->trail[i].sig_ok = (m[i / 8] >> (i % 8)) & 1;
	return rc;
}

int sp_rrec_decode(const uint8_t *b, size_t n, struct sp_rrec *p)
{
	struct sp_cbor_reader rd;
	struct sp_cbor_item it;
	uint64_t c, v = 0;
	memset(p, 0, sizeof(*p));
	sp_cbor_reader_init(&rd, b, n);
	int rc = sp_cbor_read_array(&rd, &c);
	if (rc == 0 && c != 8 && c != 9)
		rc = SP_ERR_CORRUPT;
	int marked = c == 9;
	if (rc == 0)
		rc = sp_cbor_read_fixed(&rd, p->id, SP_HASH_BYTES, SP_ERR_CORRUPT);
	if (rc == 0)
		rc = get_uint(&rd, &p->seq, UINT64_MAX);
	if (rc == 0)
		rc = get_uint(&rd, &v, UINT32_MAX);
	p->sub.log = (uint32_t)v;
	if (rc == 0)
		rc = get_uint(&rd, &p->sub.index, UINT64_MAX);
	if (rc == 0)
		rc = get_uint(&rd, &p->indexed_ms, UINT64_MAX);
	if (rc == 0)
		rc = decode_lists(&rd, p);
	size_t at = rd.pos;
	if (rc == 0)
		rc = sp_cbor_read(&rd, &it);
	if (rc == 0 && it.kind != SP_CBOR_NULL) {
		rd.pos = at;
		rc = decode_sum(&rd, &p->sum);
		p->has_sum = rc == 0;
		p->sum.seq = p->seq;
		memcpy(p->sum.id, p->id, SP_HASH_BYTES);
	}
	if (rc == 0 && marked)
		rc = get_marks(&rd, p);
	if (rc == 0 && rd.pos != n)
		rc = SP_ERR_CORRUPT;
	if (rc) {
		sp_rrec_free(p);
		return rc == SP_ERR_NOMEM ? rc : SP_ERR_CORRUPT;
	}
	return 0;
}

void sp_rrec_free(struct sp_rrec *p)
{
	free(p->trail);
	free(p->inv);
	p->trail = NULL;
	p->inv = NULL;
	p->n_trail = p->cap_trail = p->n_inv = p->cap_inv = 0;
}

/* ---- reading records --------------------------------------------------------- */

int sp_rseq_of(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint64_t *seq)
{
	uint8_t k[1 + SP_HASH_BYTES];
	struct sp_buf b;
	k[0] = 'I';
	memcpy(k + 1, id, SP_HASH_BYTES);
	sp_buf_init(&b);
	int rc = sp_store_ix_get(r->o.store, SP_STORE_IX_RECORDS, k, sizeof(k), &b);
	if (rc == 0 && b.len != 8)
		rc = SP_ERR_CORRUPT;
	if (rc == 0)
		*seq = be64_get(b.p);
	sp_buf_free(&b);
	if (rc == SP_ERR_NOT_FOUND)
		return SP_ERR_UNKNOWN_REPORT;
	return sp_reports_damaged(r, rc, "report id");
}

int sp_rrec_load(struct sp_reports *r, uint64_t seq, struct sp_rrec *p)
{
	uint8_t k[9];
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_ix_get(r->o.store, SP_STORE_IX_RECORDS, k, sp_rkey_seq(k, 'R', seq), &b);
	if (rc == 0)
		rc = sp_rrec_decode(b.p, b.len, p);
	if (rc == 0 && p->seq != seq)
		rc = SP_ERR_CORRUPT;
	sp_buf_free(&b);
	return sp_reports_damaged(r, rc, "report record");
}

/* A posting's value is the report's row: [flags, id, summary], flags
 * (bytes: status, kind, overdue | keyless << 1) at a fixed place so that
 * a query checks those filters on a row without decoding it. A page is read
 * from its postings alone (no record read per result): what the lists
 * cost in disk (every posting of a report rewritten when its summary
 * changes) buys pages that cost a walk along one list. */
static void row_flags(const struct sp_reports_summary *s, uint8_t f[SP_RROW_FLAGS])
{
	f[0] = (uint8_t)s->status;
	f[1] = (uint8_t)s->kind;
	f[2] = (uint8_t)((s->overdue != 0) | (s->keyless != 0) << 1);
}

int sp_rpost_encode(const uint8_t id[SP_HASH_BYTES], const struct sp_reports_summary *s,
		    struct sp_buf *b)
{
	uint8_t flags[SP_RROW_FLAGS];
	row_flags(s, flags);
	sp_cbor_put_array(b, 3);
	sp_cbor_put_bytes(b, flags, sizeof(flags));
	sp_cbor_put_bytes(b, id, SP_HASH_BYTES);
	put_sum(b, s);
	return b->err ? SP_ERR_NOMEM : 0;
}

int sp_rpost_flags(const uint8_t *v, size_t n, const uint8_t **flags)
{
	/* CBOR: array(3), then bytes(3) */
	if (n < 2 + SP_RROW_FLAGS || v[0] != 0x83 || v[1] != (0x40 | SP_RROW_FLAGS))
		return SP_ERR_CORRUPT;
	*flags = v + 2;
	return 0;
}

int sp_rpost_decode(const uint8_t *v, size_t n, uint64_t seq, struct sp_reports_summary *s)
{
	struct sp_cbor_reader rd;
	uint64_t c;
	sp_cbor_reader_init(&rd, v, n);
	uint8_t flags[SP_RROW_FLAGS], want[SP_RROW_FLAGS];
	int rc = sp_cbor_read_array(&rd, &c);
	if (rc == 0 && c != 3)
		rc = SP_ERR_CORRUPT;
	if (rc == 0)
		rc = sp_cbor_read_fixed(&rd, flags, sizeof(flags), SP_ERR_CORRUPT);
	if (rc == 0)
		rc = sp_cbor_read_fixed(&rd, s->id, SP_HASH_BYTES, SP_ERR_CORRUPT);
	if (rc == 0)
		rc = decode_sum(&rd, s);
	if (rc == 0)
		row_flags(s, want);
	if (rc == 0 && memcmp(flags, want, sizeof(want)) != 0)
		rc = SP_ERR_CORRUPT; /* the flags say what the summary says */
	if (rc == 0 && rd.pos != n)
		rc = SP_ERR_CORRUPT;
	s->seq = seq;
	return rc ? SP_ERR_CORRUPT : 0;
}

/* ---- counters and pairs (memory; lk) -------------------------------------------- */

int sp_rcount_cmp(const void *term, const void *elem)
{
	return strcmp(term, ((const struct sp_rcount *)elem)->term);
}

static size_t count_pos(const struct sp_reports *r, const char *term, int *found)
{
	return sp_lower_bound(r->counts, r->n_counts, sizeof(*r->counts), term, sp_rcount_cmp, found);
}

int sp_rpair_cmp(const void *key, const void *elem)
{
	const struct sp_rpair_key *k = key;
	const struct sp_rpair *b = elem;
	if (k->log != b->log)
		return k->log < b->log ? -1 : 1;
	return strcmp(k->who, b->who.id);
}

uint64_t sp_rcount_get(const struct sp_reports *r, const char *term)
{
	int found;
	size_t at = count_pos(r, term, &found);
	return found ? r->counts[at].n : 0;
}

/* count_set sets term's counter (dropping it at 0); caller holds lk. */
static int count_set(struct sp_reports *r, const char *term, uint64_t n)
{
	r->counts_gen++;
	int found;
	size_t at = count_pos(r, term, &found);
	if (found && n == 0) {
		memmove(&r->counts[at], &r->counts[at + 1],
			(r->n_counts - at - 1) * sizeof(*r->counts));
		r->n_counts--;
		return 0;
	}
	if (found || n == 0) {
		if (found)
			r->counts[at].n = n;
		return 0;
	}
	if (sp_grow((void **)&r->counts, &r->cap_counts, r->n_counts, sizeof(*r->counts)))
		return SP_ERR_NOMEM;
	memmove(&r->counts[at + 1], &r->counts[at], (r->n_counts - at) * sizeof(*r->counts));
	snprintf(r->counts[at].term, sizeof(r->counts[at].term), "%s", term);
	r->counts[at].n = n;
	r->n_counts++;
	return 0;
}

static int pair_cmp(uint32_t log, const char *who, const struct sp_rpair *b)
{
	return sp_rpair_cmp(&(struct sp_rpair_key){log, who}, b);
}

static size_t pair_pos(const struct sp_reports *r, uint32_t log, const char *who, int *found)
{
	return sp_lower_bound(r->pairs, r->n_pairs, sizeof(*r->pairs),
			      &(struct sp_rpair_key){log, who}, sp_rpair_cmp, found);
}

/* pair_insert adds (log, who) to memory (lk held): 1 if new. */
static int pair_insert(struct sp_reports *r, uint32_t log, const char *who)
{
	int found;
	size_t at = pair_pos(r, log, who, &found);
	if (found)
		return 0;
	if (sp_grow((void **)&r->pairs, &r->cap_pairs, r->n_pairs, sizeof(*r->pairs)))
		return SP_ERR_NOMEM;
	memmove(&r->pairs[at + 1], &r->pairs[at], (r->n_pairs - at) * sizeof(*r->pairs));
	r->pairs[at].log = log;
	snprintf(r->pairs[at].who.id, sizeof(r->pairs[at].who.id), "%s", who);
	r->n_pairs++;
	r->pairs_gen++;
	return 1;
}

/* ---- jobs ---------------------------------------------------------------------- */

/* A report touched by a job. */
struct jrec {
	struct sp_rrec rec;
	int isnew, dirty;
	char (*terms)[SP_TERM_MAX]; /* the terms it is posted under now */
	size_t n_terms;
	uint64_t until;             /* its 'D' key now (UINT64_MAX: none) */
};

struct delta {
	char term[SP_TERM_MAX];
	int64_t d;
};

struct jorph {
	uint8_t id[SP_HASH_BYTES];
	struct sp_rloc at;
};

struct job {
	struct sp_reports *r;
	struct sp_store_ixb *b;
	uint64_t now;
	int own; /* own appends: pending marks are cleared */
	struct jrec **recs;
	size_t n_recs, cap_recs;
	uint32_t slots[JOB_SLOTS]; /* position + 1 in recs, by id */
	struct delta *deltas;
	size_t n_deltas, cap_deltas;
	uint32_t *dslots; /* DELTA_SLOTS: position + 1 in deltas, by term */
	struct sp_rpair *pairs; /* new pairs */
	size_t n_pairs, cap_pairs;
	struct jorph *orph;     /* orphans put by this job */
	size_t n_orph, cap_orph;
	uint64_t next_seq, next_chg;
	uint8_t (*unpend)[SP_HASH_BYTES];
	size_t n_unpend, cap_unpend;
};

static void job_init(struct job *j, struct sp_reports *r, int own)
{
	memset(j, 0, sizeof(*j));
	j->r = r;
	j->own = own;
	j->now = sp_now_ms();
	pthread_rwlock_rdlock(&r->lk);
	j->next_seq = r->next_seq;
	j->next_chg = r->next_chg;
	pthread_rwlock_unlock(&r->lk);
}

static void job_clear(struct job *j)
{
	for (size_t i = 0; i < j->n_recs; i++) {
		sp_rrec_free(&j->recs[i]->rec);
		free(j->recs[i]->terms);
		free(j->recs[i]);
	}
	free(j->recs);
	free(j->deltas);
	free(j->dslots);
	free(j->pairs);
	free(j->orph);
	free(j->unpend);
	sp_store_ixb_free(j->b);
	struct sp_reports *r = j->r;
	int own = j->own;
	job_init(j, r, own);
}

static size_t slot_of(const uint8_t id[SP_HASH_BYTES])
{
	uint64_t h;
	memcpy(&h, id, sizeof(h)); /* ids are SHA-256: already uniform */
	return (size_t)h & (JOB_SLOTS - 1);
}

static struct jrec *job_find(struct job *j, const uint8_t id[SP_HASH_BYTES], size_t *slot)
{
	for (size_t i = slot_of(id);; i = (i + 1) & (JOB_SLOTS - 1)) {
		if (j->slots[i] == 0) {
			*slot = i;
			return NULL;
		}
		struct jrec *p = j->recs[j->slots[i] - 1];
		if (memcmp(p->rec.id, id, SP_HASH_BYTES) == 0)
			return p;
	}
}

static int job_add(struct job *j, struct jrec *p, size_t slot)
{
	if (sp_grow((void **)&j->recs, &j->cap_recs, j->n_recs, sizeof(*j->recs)))
		return SP_ERR_NOMEM;
	j->recs[j->n_recs++] = p;
	j->slots[slot] = (uint32_t)j->n_recs;
	return 0;
}

/* terms_parse splits a stored terms list (the record's postings are
 * recomputed from its stored summary: see terms_of). */
static int terms_of(struct sp_reports *r, const struct sp_reports_summary *s,
		    char (*out)[SP_TERM_MAX], size_t *n);

/* job_rec gives the job's copy of report id, loading it (NULL: unknown). */
static int job_rec(struct job *j, const uint8_t id[SP_HASH_BYTES], struct jrec **out)
{
	size_t slot = 0;
	*out = job_find(j, id, &slot);
	if (*out)
		return 0;
	uint64_t seq;
	int rc = sp_rseq_of(j->r, id, &seq);
	if (rc == SP_ERR_UNKNOWN_REPORT)
		return 0;
	struct jrec *p = rc ? NULL : calloc(1, sizeof(*p));
	if (rc == 0 && p == NULL)
		rc = SP_ERR_NOMEM;
	if (rc == 0)
		rc = sp_rrec_load(j->r, seq, &p->rec);
	if (rc == 0 && (p->terms = calloc(SP_TERMS_MAX, SP_TERM_MAX)) == NULL)
		rc = SP_ERR_NOMEM;
	if (rc == 0 && p->rec.has_sum)
		rc = terms_of(j->r, &p->rec.sum, p->terms, &p->n_terms);
	if (rc == 0)
		p->until = p->rec.has_sum ? p->rec.sum.valid_until : UINT64_MAX;
	if (rc == 0)
		rc = job_add(j, p, slot);
	if (rc && p) {
		sp_rrec_free(&p->rec);
		free(p->terms);
		free(p);
		return rc;
	}
	*out = p;
	return rc;
}

static size_t term_hash(const char *t)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	for (; *t; t++)
		h = (h ^ (uint8_t)*t) * 1099511628211u;
	return (size_t)h & (DELTA_SLOTS - 1);
}

static int job_delta(struct job *j, const char *term, int64_t d)
{
	if (j->dslots == NULL && (j->dslots = calloc(DELTA_SLOTS, sizeof(*j->dslots))) == NULL)
		return SP_ERR_NOMEM;
	size_t i = term_hash(term);
	for (; j->dslots[i]; i = (i + 1) & (DELTA_SLOTS - 1))
		if (strcmp(j->deltas[j->dslots[i] - 1].term, term) == 0) {
			j->deltas[j->dslots[i] - 1].d += d;
			return 0;
		}
	if (j->n_deltas >= DELTA_SLOTS / 2)
		return SP_ERR_RANGE; /* JOB_ENTRIES keeps a job far below this */
	if (sp_grow((void **)&j->deltas, &j->cap_deltas, j->n_deltas, sizeof(*j->deltas)))
		return SP_ERR_NOMEM;
	snprintf(j->deltas[j->n_deltas].term, SP_TERM_MAX, "%s", term);
	j->deltas[j->n_deltas++].d = d;
	j->dslots[i] = (uint32_t)j->n_deltas;
	return 0;
}

/* ---- involvement ---------------------------------------------------------------- */

static int job_pair(struct job *j, uint32_t log, const char *who)
{
	int found;
	pthread_rwlock_rdlock(&j->r->lk);
	pair_pos(j->r, log, who, &found);
	pthread_rwlock_unlock(&j->r->lk);
	for (size_t i = 0; !found && i < j->n_pairs; i++)
		found = pair_cmp(log, who, &j->pairs[i]) == 0;
	if (found)
		return 0;
	if (sp_grow((void **)&j->pairs, &j->cap_pairs, j->n_pairs, sizeof(*j->pairs)))
		return SP_ERR_NOMEM;
	j->pairs[j->n_pairs].log = log;
	snprintf(j->pairs[j->n_pairs++].who.id, sizeof(j->pairs[0].who.id), "%s", who);
	return 0;
}

/* log_inst names the institution whose log `log` is ("" if unknown). */
static void log_inst(struct sp_reports *r, uint32_t log, struct sp_rinst *out)
{
	struct sp_log_info info;
	const char *slash = NULL;
	if (sp_store_log_info(r->o.store, log, &info) == 0)
		slash = strrchr(info.origin, '/');
	snprintf(out->id, sizeof(out->id), "%s", slash ? slash + 1 : "");
}

static int rep_has_log(const struct sp_rrec *p, uint32_t log)
{
	if (p->sub.log == log)
		return 1;
	for (size_t i = 0; i < p->n_trail; i++)
		if (p->trail[i].log == log)
			return 1;
	return 0;
}

/* involve makes `who` one of the report's institutions: it must see every
 * log the report's entries are in. */
static int involve(struct job *j, struct sp_rrec *p, const char *who, size_t len)
{
	if (len == 0 || len > SP_INST_ID_MAX)
		return 0;
	struct sp_rinst w;
	memcpy(w.id, who, len);
	w.id[len] = '\0';
	for (size_t i = 0; i < p->n_inv; i++)
		if (strcmp(p->inv[i].id, w.id) == 0)
			return 0;
	if (sp_grow((void **)&p->inv, &p->cap_inv, p->n_inv, sizeof(*p->inv)))
		return SP_ERR_NOMEM;
	p->inv[p->n_inv++] = w;
	int rc = job_pair(j, p->sub.log, w.id);
	for (size_t i = 0; rc == 0 && i < p->n_trail; i++)
		rc = job_pair(j, p->trail[i].log, w.id);
	return rc;
}

/* involve_log: an entry of the report is now in log `log` (before it joins
 * the trail): every involved institution must see that log, and the log's
 * institution is involved. */
static int involve_log(struct job *j, struct sp_rrec *p, uint32_t log)
{
	int rc = 0;
	if (!rep_has_log(p, log))
		for (size_t i = 0; rc == 0 && i < p->n_inv; i++)
			rc = job_pair(j, log, p->inv[i].id);
	struct sp_rinst w;
	log_inst(j->r, log, &w);
	return rc ? rc : involve(j, p, w.id, strlen(w.id));
}

/* The institutions an entry sends its report to (routing, disposisi). */
struct targets {
	size_t n;
	struct sp_str v[SP_REPORT_MAX_TARGETS];
};

static void targets_of(const struct sp_entry *e, struct targets *t)
{
	t->n = 0;
	if (e->type == SP_EV_REPORT) {
		struct sp_report b;
		if (sp_report_parse(e->body, e->body_len, &b) == 0)
			t->v[t->n++] = b.routed_to;
	} else if (e->type == SP_EV_ACTION) {
		struct sp_report_action a;
		if (sp_report_action_parse(e->body, e->body_len, &a) == 0) {
			t->n = a.n_targets;
			memcpy(t->v, a.targets, a.n_targets * sizeof(a.targets[0]));
		}
	}
}

struct up_arg {
	struct job *j;
	struct sp_rrec *p;
};

static int involve_up(void *arg, const struct sp_dir_inst *inst)
{
	struct up_arg *a = arg;
	return involve(a->j, a->p, inst->id, strlen(inst->id));
}

/* involve_targets: the institutions a report is routed or forwarded to
 * take part in it, and so do their ancestors, which may take it over and
 * list it when it is overdue (docs/design.md §3). */
static int involve_targets(struct job *j, struct sp_rrec *p, const struct targets *t)
{
	int rc = 0;
	struct up_arg a = {j, p};
	for (size_t i = 0; rc == 0 && i < t->n; i++) {
		char id[SP_INST_ID_MAX + 1];
		rc = involve(j, p, t->v[i].p, t->v[i].n);
		if (rc == 0 && j->r->o.dir && t->v[i].n <= SP_INST_ID_MAX) {
			snprintf(id, sizeof(id), "%.*s", (int)t->v[i].n, t->v[i].p);
			if (sp_dir_ancestors(j->r->o.dir, id, involve_up, &a) == SP_ERR_NOMEM)
				rc = SP_ERR_NOMEM;
		}
	}
	return rc;
}

/* ---- indexing entries -------------------------------------------------------------- */

static int report_of(const struct sp_entry *e, uint8_t id[SP_HASH_BYTES])
{
	return sp_report_trail_report(e->type, e->body, e->body_len, id);
}

static int job_unpend(struct job *j, const uint8_t id[SP_HASH_BYTES])
{
	if (!j->own)
		return 0;
	if (sp_grow((void **)&j->unpend, &j->cap_unpend, j->n_unpend, sizeof(*j->unpend)))
		return SP_ERR_NOMEM;
	memcpy(j->unpend[j->n_unpend++], id, SP_HASH_BYTES);
	return 0;
}

/* trail_add adds (log, index) to a held report's trail once. */
static int trail_add(struct job *j, struct jrec *p, struct sp_rloc at, const struct targets *t)
{
	for (size_t i = 0; i < p->rec.n_trail; i++)
		if (p->rec.trail[i].log == at.log && p->rec.trail[i].index == at.index)
			return 0;
	if (p->rec.n_trail == SP_REPORTS_MAX_TRAIL)
		return 0;
	if (sp_grow((void **)&p->rec.trail, &p->rec.cap_trail, p->rec.n_trail,
		    sizeof(*p->rec.trail)))
		return SP_ERR_NOMEM;
	int rc = involve_log(j, &p->rec, at.log);
	p->rec.trail[p->rec.n_trail++] = at;
	p->dirty = 1;
	return rc ? rc : involve_targets(j, &p->rec, t);
}

static size_t orph_key(uint8_t *k, const uint8_t id[SP_HASH_BYTES], struct sp_rloc at)
{
	k[0] = 'O';
	memcpy(k + 1, id, SP_HASH_BYTES);
	be32_put(k + 33, at.log);
	be64_put(k + 37, at.index);
	return 45;
}

/* orphan_put keeps a trail entry whose report is not held yet. */
static int orphan_put(struct job *j, const uint8_t id[SP_HASH_BYTES], struct sp_rloc at)
{
	uint8_t k[45];
	sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k, orph_key(k, id, at), NULL, 0);
	if (sp_grow((void **)&j->orph, &j->cap_orph, j->n_orph, sizeof(*j->orph)))
		return SP_ERR_NOMEM;
	memcpy(j->orph[j->n_orph].id, id, SP_HASH_BYTES);
	j->orph[j->n_orph++].at = at;
	return 0;
}

/* adopt files a waiting trail entry, read back from the store for the
 * institutions it sends the report to. */
static int adopt(struct job *j, struct jrec *p, struct sp_rloc at)
{
	struct sp_buf b;
	struct sp_entry e;
	struct targets t = {0};
	uint8_t k[45];
	sp_store_ixb_del(j->b, SP_STORE_IX_KEYS, k, orph_key(k, p->rec.id, at));
	sp_buf_init(&b);
	if (sp_store_entry(j->r->o.store, at.log, at.index, &b) == 0 && b.err == 0 &&
	    sp_entry_decode(b.p, b.len, &e) == 0)
		targets_of(&e, &t);
	int rc = trail_add(j, p, at, &t);
	sp_buf_free(&b);
	return rc;
}

/* orphans_adopt files the trail entries waiting for report p: those put by
 * this job and those on disk. */
static int orphans_adopt(struct job *j, struct jrec *p)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < j->n_orph;) {
		if (memcmp(j->orph[i].id, p->rec.id, SP_HASH_BYTES) != 0) {
			i++;
			continue;
		}
		struct sp_rloc at = j->orph[i].at;
		j->orph[i] = j->orph[--j->n_orph];
		rc = adopt(j, p, at);
	}
	struct sp_store_ixit *it;
	uint8_t pre[33];
	pre[0] = 'O';
	memcpy(pre + 1, p->rec.id, SP_HASH_BYTES);
	if (rc == 0)
		rc = sp_store_ixit_new(j->r->o.store, SP_STORE_IX_KEYS, pre, sizeof(pre), &it);
	if (rc)
		return rc;
	sp_store_ixit_seek(it, pre, sizeof(pre));
	for (; rc == 0; sp_store_ixit_next(it)) {
		const uint8_t *k, *v;
		size_t kn, vn;
		rc = sp_store_ixit_get(it, &k, &kn, &v, &vn);
		if (rc || kn != 45 || memcmp(k, pre, sizeof(pre)) != 0)
			break;
		struct sp_rloc at = {(uint32_t)(k[33] << 24 | k[34] << 16 | k[35] << 8 | k[36]),
				     be64_get(k + 37), 0};
		rc = adopt(j, p, at);
	}
	sp_store_ixit_free(it);
	return rc == SP_ERR_NOT_FOUND ? 0 : sp_reports_damaged(j->r, rc, "waiting entries");
}

static int insert_report(struct job *j, const uint8_t id[SP_HASH_BYTES], struct sp_rloc at,
			 const struct targets *t)
{
	struct jrec *p;
	int rc = job_rec(j, id, &p);
	if (rc || p)
		return rc;
	size_t slot = 0;
	job_find(j, id, &slot);
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->terms = calloc(SP_TERMS_MAX, SP_TERM_MAX)) == NULL) {
		free(p);
		return SP_ERR_NOMEM;
	}
	memcpy(p->rec.id, id, SP_HASH_BYTES);
	p->rec.seq = j->next_seq++;
	p->rec.sub = at;
	p->rec.indexed_ms = j->now;
	p->isnew = p->dirty = 1;
	p->until = UINT64_MAX;
	rc = job_add(j, p, slot);
	if (rc) {
		free(p->terms);
		free(p);
		return rc;
	}
	rc = involve_log(j, &p->rec, at.log);
	if (rc == 0)
		rc = involve_targets(j, &p->rec, t);
	return rc ? rc : orphans_adopt(j, p);
}

/* index_one files one entry of a log (decoded; hash used for submissions). */
static int index_one(struct job *j, struct sp_rloc at, const struct sp_entry *e,
		     const uint8_t hash[SP_HASH_BYTES])
{
	uint8_t id[SP_HASH_BYTES];
	struct targets t;
	if (e->type == SP_EV_REPORT) {
		targets_of(e, &t);
		return insert_report(j, hash, at, &t);
	}
	if ((e->type != SP_EV_ACTION && e->type != SP_EV_ESCALATION &&
	     e->type != SP_EV_TRANSFER && e->type != SP_EV_KEY_GRANT) ||
	    report_of(e, id) != 0)
		return 0;
	targets_of(e, &t);
	struct jrec *p;
	int rc = job_rec(j, id, &p);
	if (rc == 0)
		rc = job_unpend(j, id);
	if (rc == 0)
		rc = p ? trail_add(j, p, at, &t) : orphan_put(j, id, at);
	return rc;
}

/* ---- terms and summaries ---------------------------------------------------------- */

struct termset {
	char (*v)[SP_TERM_MAX];
	size_t n;
};

static void term_add(struct termset *ts, const char *fmt, const char *a, const char *b)
{
	if (ts->n == SP_TERMS_MAX)
		return;
	char t[SP_TERM_MAX];
	snprintf(t, sizeof(t), fmt, a, b);
	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->v[i], t) == 0)
			return;
	memcpy(ts->v[ts->n++], t, SP_TERM_MAX);
}

void sp_rtime_term(char kind, uint64_t t, char out[SP_TERM_MAX])
{
	time_t secs = (time_t)(t / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	if (kind == 'd')
		snprintf(out, SP_TERM_MAX, "d:%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday);
	else
		snprintf(out, SP_TERM_MAX, "m:%04d%02d", tm.tm_year + 1900, tm.tm_mon + 1);
}

static int anc_term(void *arg, const struct sp_dir_inst *inst)
{
	term_add(arg, "t:%s%s", inst->id, "");
	return 0;
}

static int is_open(enum sp_report_status st)
{
	return st != SP_ST_SELESAI && st != SP_ST_DIARSIPKAN && st != SP_ST_DIGABUNG;
}

/* inst_terms adds the 'e:' terms of the per-institution figures. */
static void inst_terms(struct termset *ts, const struct sp_reports_summary *s)
{
	char x[16];
	for (size_t i = 0; i < s->n_handled; i++)
		term_add(ts, "e:%s/r%s", s->handled[i], "");
	for (size_t i = 0; is_open(s->status) && i < s->n_holders; i++) {
		term_add(ts, "e:%s/h%s", s->holders[i], "");
		if (s->overdue)
			term_add(ts, "e:%s/o%s", s->holders[i], "");
	}
	const char *last = s->last_holder;
	if (s->answered_ms && last[0]) {
		uint64_t d = s->answered_ms > s->submitted_ms ? s->answered_ms - s->submitted_ms : 0;
		snprintf(x, sizeof(x), "d%03u", sp_reports_bucket(d));
		term_add(ts, "e:%s/a%s", last, "");
		term_add(ts, "e:%s/%s", last, x);
	}
	if (s->rating && last[0]) {
		snprintf(x, sizeof(x), "v%u", s->rating);
		term_add(ts, "e:%s/%s", last, x);
	}
}

/* terms_of lists the terms a summary is posted and counted under:
 *   a                 every report (postings in index order)
 *   s:<status>        its status; o: overdue; g: a holder of a rahasia
 *                     report holds no key copy (the coordinator grants one)
 *   i:<inst>          holds or held it
 *   h:<inst>          holds it now; t:<inst>: a holder is inst or under it
 *   I:<inst>/<status>, H:<inst>/<status>   i: and h: with its status: an
 *                     institution's reports by status (its inbox) is one
 *                     list, not an intersection
 *   R:<prefix>/<category>   r: with its category (what a region asks
 *                     about), for provinces and kabupaten/kota only
 *                     (SP_RREGION_CAT_LEVELS)
 *   r:<prefix>        each whole-part prefix of its region
 *   c:<category>, k:<kind>
 *   d:<YYYYMMDD>, m:<YYYYMM>   the day and month it was submitted (UTC)
 *   b:<inst>, b:<inst>/s:<status>, b:<inst>/o   counted only (stats: its
 *                     holders, or its last holder once none holds it)
 *   e:<inst>/...      counted only, the per-institution figures
 *                     (sp_reports_inst_figures): /r it held it, /h it holds
 *                     it open, /o and overdue; for its last holder /a
 *                     answered, /d<bucket> the answer time's bucket
 *                     (sp_reports_bucket), /v<rating> the reporter's rating */
static int terms_of(struct sp_reports *r, const struct sp_reports_summary *s,
		    char (*out)[SP_TERM_MAX], size_t *n)
{
	struct termset ts = {out, 0};
	const char *st = sp_report_status_name((int)s->status);
	char kind[16];
	term_add(&ts, "a%s%s", "", "");
	term_add(&ts, "s:%s%s", st, "");
	if (s->overdue)
		term_add(&ts, "o%s%s", "", "");
	if (s->keyless)
		term_add(&ts, "g%s%s", "", "");
	for (size_t i = 0; i < s->n_holders; i++) {
		term_add(&ts, "h:%s%s", s->holders[i], "");
		term_add(&ts, "H:%s/%s", s->holders[i], st);
		term_add(&ts, "i:%s%s", s->holders[i], "");
		term_add(&ts, "I:%s/%s", s->holders[i], st);
		term_add(&ts, "t:%s%s", s->holders[i], "");
		if (r->o.dir)
			sp_dir_ancestors(r->o.dir, s->holders[i], anc_term, &ts);
	}
	for (size_t i = 0; i < s->n_handled; i++) {
		term_add(&ts, "i:%s%s", s->handled[i], "");
		term_add(&ts, "I:%s/%s", s->handled[i], st);
	}
	char region[SP_DIR_REGION_MAX + 1];
	snprintf(region, sizeof(region), "%s", s->region);
	int level = 0;
	for (char *dot = region;; dot++) {
		dot = strchr(dot, '.');
		if (dot)
			*dot = '\0';
		term_add(&ts, "r:%s%s", region, "");
		if (++level <= SP_RREGION_CAT_LEVELS)
			term_add(&ts, "R:%s/%s", region, s->category);
		if (dot == NULL)
			break;
		*dot = '.';
	}
	term_add(&ts, "c:%s%s", s->category, "");
	char tt[SP_TERM_MAX];
	sp_rtime_term('d', s->submitted_ms, tt);
	term_add(&ts, "%s%s", tt, "");
	sp_rtime_term('m', s->submitted_ms, tt);
	term_add(&ts, "%s%s", tt, "");
	snprintf(kind, sizeof(kind), "%d", s->kind);
	term_add(&ts, "k:%s%s", kind, "");
	size_t nb = s->n_holders ? s->n_holders : 1;
	for (size_t i = 0; i < nb; i++) {
		const char *inst = s->n_holders ? s->holders[i] : s->last_holder;
		term_add(&ts, "b:%s%s", inst, "");
		term_add(&ts, "b:%s/s:%s", inst, st);
		if (s->overdue)
			term_add(&ts, "b:%s/o%s", inst, "");
	}
	inst_terms(&ts, s);
	*n = ts.n;
	return 0;
}

static int named(const char (*v)[SP_INST_ID_MAX + 1], size_t n, const char *inst)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], inst) == 0)
			return 1;
	return 0;
}

int sp_rrow_flag(const char *t, uint8_t *at, uint8_t *mask, uint8_t *want)
{
	if (strcmp(t, "o") == 0 || strcmp(t, "g") == 0) {
		*at = 2;
		*mask = *want = t[0] == 'o' ? 1 : 2;
		return 0;
	}
	char *end;
	if (strncmp(t, "k:", 2) == 0) {
		long k = strtol(t + 2, &end, 10);
		if (*end || end == t + 2 || k < 0 || k > 255)
			return SP_ERR_ARG;
		*at = 1;
		*mask = 0xff;
		*want = (uint8_t)k;
		return 0;
	}
	int st = strncmp(t, "s:", 2) == 0 ? sp_report_status_of(t + 2) : -1;
	if (st < 0)
		return SP_ERR_ARG;
	*at = 0;
	*mask = 0xff;
	*want = (uint8_t)st;
	return 0;
}

int sp_rrow_has(const struct sp_reports_summary *s, const char *t)
{
	char kind[16];
	if (strcmp(t, "o") == 0)
		return s->overdue != 0;
	if (strcmp(t, "g") == 0)
		return s->keyless != 0;
	if (t[0] == '\0' || t[1] != ':')
		return -1;
	const char *v = t + 2;
	size_t n = strlen(v);
	switch (t[0]) {
	case 's':
		return strcmp(sp_report_status_name((int)s->status), v) == 0;
	case 'h':
		return named(s->holders, s->n_holders, v);
	case 'i':
		return named(s->holders, s->n_holders, v) || named(s->handled, s->n_handled, v);
	case 'r': /* a whole-part prefix of its region */
		return strncmp(s->region, v, n) == 0 && (s->region[n] == '\0' || s->region[n] == '.');
	case 'c':
		return strcmp(s->category, v) == 0;
	case 'k':
		snprintf(kind, sizeof(kind), "%d", s->kind);
		return strcmp(kind, v) == 0;
	default:
		return -1;
	}
}

static void copy_str(char *dst, size_t cap, struct sp_str s)
{
	snprintf(dst, cap, "%.*s", (int)s.n, s.p ? s.p : "");
}

static void summarise(const struct sp_reports_view *v, uint64_t now, struct sp_reports_summary *s)
{
	const struct sp_report_state *st = &v->st;
	memcpy(s->id, st->id, SP_HASH_BYTES);
	snprintf(s->log, sizeof(s->log), "%s", v->sub.inst);
	s->index = v->sub.index;
	s->submitted_ms = v->sub.e.time_ms;
	copy_str(s->region, sizeof(s->region), v->body.region);
	copy_str(s->category, sizeof(s->category), v->body.category);
	copy_str(s->routed_to, sizeof(s->routed_to), v->body.routed_to);
	s->status = st->status;
	s->n_holders = st->n_holders;
	memcpy(s->holders, st->holders, sizeof(s->holders));
	s->last_holder[0] = '\0';
	s->n_handled = 0;
	for (size_t i = 0; i < st->n_spans; i++) {
		const char *inst = st->spans[i].inst;
		snprintf(s->last_holder, sizeof(s->last_holder), "%s", inst);
		size_t k = 0;
		while (k < s->n_handled && strcmp(s->handled[k], inst) != 0)
			k++;
		if (k == s->n_handled && k < SP_REPORT_MAX_HOLDERS)
			snprintf(s->handled[s->n_handled++], sizeof(s->handled[0]), "%s", inst);
	}
	s->stage = st->stage;
	s->deadline_ms = st->deadline_ms;
	s->overdue = st->overdue;
	s->escalations = st->escalations;
	s->kind = (int)v->body.kind;
	s->answered_ms = st->answered_ms;
	s->rating = st->rating;
	char keyless[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1];
	s->keyless = sp_report_keyless(st, keyless) > 0;
	/* The state changes with time only when a deadline passes. */
	s->valid_until = st->deadline_ms > now ? st->deadline_ms : UINT64_MAX;
}

static size_t due_key(uint8_t *k, uint64_t until, uint64_t seq)
{
	k[0] = 'D';
	be64_put(k + 1, until);
	be64_put(k + 9, seq);
	return 17;
}

static int has_term(char (*v)[SP_TERM_MAX], size_t n, const char *t)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], t) == 0)
			return 1;
	return 0;
}

/* posted: the term has a posting list ('b' and 'e' terms are only counted) */
static int posted(const char *term)
{
	return term[0] != 'b' && term[0] != 'e';
}

/* post writes a report's postings and counts for its terms, removing
 * those it no longer has. Every posting carries the report's row: when
 * the row changed (changed), the postings it keeps are written again
 * with it too. */
static int post(struct job *j, struct jrec *p, char (*nt)[SP_TERM_MAX], size_t nn,
		const struct sp_buf *row, int changed)
{
	uint8_t k[1 + SP_TERM_MAX + 9];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->n_terms; i++) {
		if (has_term(nt, nn, p->terms[i]))
			continue;
		if (posted(p->terms[i]))
			sp_store_ixb_del(j->b, SP_STORE_IX_KEYS, k,
					 sp_rkey_posting(k, p->terms[i], p->rec.seq));
		rc = job_delta(j, p->terms[i], -1);
	}
	for (size_t i = 0; rc == 0 && i < nn; i++) {
		int kept = has_term(p->terms, p->n_terms, nt[i]);
		if (posted(nt[i]) && (changed || !kept))
			sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k,
					 sp_rkey_posting(k, nt[i], p->rec.seq), row->p, row->len);
		if (!kept)
			rc = job_delta(j, nt[i], 1);
	}
	memcpy(p->terms, nt, nn * SP_TERM_MAX);
	p->n_terms = nn;
	return rc;
}

void sp_rnote_of(const struct sp_reports_summary *s, struct sp_rnote *n)
{
	memset(n, 0, sizeof(*n));
	n->status = (uint8_t)s->status;
	n->overdue = (uint8_t)(s->overdue != 0);
	n->rating = (uint8_t)s->rating;
	n->escalations = s->escalations;
	n->answered_ms = s->answered_ms;
	n->n_holders = (uint8_t)s->n_holders;
	for (size_t i = 0; i < s->n_holders && i < SP_REPORT_MAX_HOLDERS; i++)
		snprintf(n->holders[i], sizeof(n->holders[i]), "%s", s->holders[i]);
}

size_t sp_rnote_encode(uint64_t seq, const struct sp_rnote *n, uint8_t *out)
{
	be64_put(out, seq);
	out[8] = n->status;
	out[9] = n->overdue;
	out[10] = n->rating;
	be32_put(out + 11, n->escalations);
	be64_put(out + 15, n->answered_ms);
	size_t at = 23;
	for (size_t i = 0; i < n->n_holders; i++) { /* each NUL-terminated */
		size_t len = strlen(n->holders[i]) + 1;
		memcpy(out + at, n->holders[i], len);
		at += len;
	}
	return at;
}

int sp_rnote_decode(const uint8_t *v, size_t vn, uint64_t *seq, struct sp_reports_summary *s)
{
	if (vn < 23 || v[8] > SP_ST_DIGABUNG)
		return SP_ERR_CORRUPT;
	*seq = be64_get(v);
	s->status = v[8];
	s->overdue = v[9];
	s->rating = v[10];
	s->escalations = (unsigned)be64_get(v + 7) & 0xffffffffu;
	s->answered_ms = be64_get(v + 15);
	s->n_holders = 0;
	for (size_t at = 23; at < vn;) {
		const uint8_t *end = memchr(v + at, 0, vn - at);
		size_t len = end ? (size_t)(end - (v + at)) : 0;
		if (end == NULL || len == 0 || len > SP_INST_ID_MAX ||
		    s->n_holders == SP_REPORT_MAX_HOLDERS)
			return SP_ERR_CORRUPT;
		memcpy(s->holders[s->n_holders], v + at, len + 1);
		s->n_holders++;
		at += len + 1;
	}
	return 0;
}

/* note_change adds report p to the change feed when what a notification
 * says of it is new (before NULL: a new report). */
static void note_change(struct job *j, struct jrec *p, const struct sp_rnote *before)
{
	struct sp_rnote now;
	sp_rnote_of(&p->rec.sum, &now);
	if (before && memcmp(before, &now, sizeof(now)) == 0)
		return;
	uint8_t k[9], v[SP_RNOTE_MAX];
	k[0] = 'C';
	be64_put(k + 1, j->next_chg++);
	sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k, sizeof(k), v, sp_rnote_encode(p->rec.seq, &now, v));
}

/* A touched report's summary computed afresh at the job's time: the costly
 * part of indexing (its trail read back, each act's signature checked by
 * the state function the first time; the record remembers the good ones,
 * sp_rloc.sig_ok), done for all of a job's reports at once on the
 * store's worker pool (fresh_all), then staged one by one (refresh). */
struct fresh {
	struct jrec *p;
	struct sp_reports_summary sum;
	int rc;
};

struct fresh_loop {
	struct job *j;
	struct fresh *f;
};

static int fresh_chunk(void *arg, size_t begin, size_t end)
{
	struct fresh_loop *l = arg;
	for (size_t i = begin; i < end; i++) {
		struct fresh *f = &l->f[i];
		struct sp_reports_view v;
		struct sp_rrec *rec = &f->p->rec;
		f->rc = sp_rview_of(l->j->r, rec, l->j->now, NULL, &v);
		if (f->rc)
			continue;
		for (size_t k = 0; k < rec->n_trail && k < v.n; k++)
			rec->trail[k].sig_ok |= v.st.sig_good[k];
		summarise(&v, l->j->now, &f->sum);
		f->sum.seq = f->p->rec.seq;
		sp_reports_view_free(&v);
	}
	return 0;
}

/* fresh_all computes the summaries of the job's touched reports (*out is
 * the caller's: free it; *n gets how many; each with its own rc). */
static int fresh_all(struct job *j, struct fresh **out, size_t *n)
{
	*n = 0;
	*out = NULL;
	for (size_t i = 0; i < j->n_recs; i++)
		*n += j->recs[i]->dirty != 0;
	if (*n == 0)
		return 0;
	struct fresh *f = calloc(*n, sizeof(*f));
	if (f == NULL)
		return SP_ERR_NOMEM;
	for (size_t i = 0, k = 0; i < j->n_recs; i++)
		if (j->recs[i]->dirty)
			f[k++].p = j->recs[i];
	struct fresh_loop l = {j, f};
	/* a grain of a few reports: each is a few signature checks */
	int rc = sp_pool_for(sp_store_pool(j->r->o.store), *n, 4, fresh_chunk, &l);
	if (rc)
		free(f);
	else
		*out = f;
	return rc;
}

/* refresh stages a touched report's record with its new summary (f), its
 * postings, counts and deadline key. */
static int refresh(struct job *j, const struct fresh *f)
{
	struct jrec *p = f->p;
	char (*nt)[SP_TERM_MAX] = calloc(SP_TERMS_MAX, SP_TERM_MAX);
	size_t nn = 0;
	int rc = nt ? f->rc : SP_ERR_NOMEM;
	struct sp_rnote before;
	struct sp_buf was, row;
	sp_buf_init(&was);
	sp_buf_init(&row);
	int had = p->rec.has_sum;
	if (had)
		sp_rnote_of(&p->rec.sum, &before);
	if (rc == 0 && had)
		rc = sp_rpost_encode(p->rec.id, &p->rec.sum, &was);
	if (rc == 0) {
		p->rec.sum = f->sum;
		p->rec.has_sum = 1;
		rc = sp_rpost_encode(p->rec.id, &p->rec.sum, &row);
	}
	if (rc == 0)
		rc = terms_of(j->r, &p->rec.sum, nt, &nn);
	if (rc == 0)
		rc = post(j, p, nt, nn, &row,
			  !had || was.len != row.len || memcmp(was.p, row.p, row.len) != 0);
	sp_buf_free(&was);
	sp_buf_free(&row);
	free(nt);
	uint8_t k[17];
	uint64_t until = p->rec.has_sum ? p->rec.sum.valid_until : UINT64_MAX;
	if (rc == 0 && until != p->until) {
		if (p->until != UINT64_MAX)
			sp_store_ixb_del(j->b, SP_STORE_IX_KEYS, k, due_key(k, p->until, p->rec.seq));
		if (until != UINT64_MAX)
			sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k, due_key(k, until, p->rec.seq),
					 NULL, 0);
		p->until = until;
	}
	if (rc == 0 && !j->r->quiet)
		note_change(j, p, had ? &before : NULL);
	struct sp_buf b;
	sp_buf_init(&b);
	if (rc == 0)
		rc = sp_rrec_encode(&p->rec, &b) ? SP_ERR_NOMEM : 0;
	if (rc == 0)
		sp_store_ixb_put(j->b, SP_STORE_IX_RECORDS, k, sp_rkey_seq(k, 'R', p->rec.seq), b.p,
				 b.len);
	sp_buf_free(&b);
	if (rc == 0 && p->isnew) {
		uint8_t ik[1 + SP_HASH_BYTES], sv[8];
		ik[0] = 'I';
		memcpy(ik + 1, p->rec.id, SP_HASH_BYTES);
		be64_put(sv, p->rec.seq);
		sp_store_ixb_put(j->b, SP_STORE_IX_RECORDS, ik, sizeof(ik), sv, sizeof(sv));
	}
	return rc;
}

static size_t count_key(uint8_t *k, const char *term)
{
	size_t n = strlen(term);
	k[0] = 'N';
	memcpy(k + 1, term, n);
	return n + 1;
}

static size_t meta_key(uint8_t *k, const char *name)
{
	size_t n = strlen(name);
	k[0] = 'M';
	memcpy(k + 1, name, n);
	return n + 1;
}

static size_t mark_key(uint8_t *k, uint32_t log)
{
	k[0] = 'W';
	be32_put(k + 1, log);
	return 5;
}

/* A log's high-water mark: entries below size are indexed; head is the
 * entry hash of entry size - 1. */
struct mark {
	uint64_t size;
	uint8_t head[SP_HASH_BYTES];
};

static int mark_get(struct sp_reports *r, uint32_t log, struct mark *m)
{
	uint8_t k[5];
	struct sp_buf b;
	sp_buf_init(&b);
	memset(m, 0, sizeof(*m));
	int rc = sp_store_ix_get(r->o.store, SP_STORE_IX_KEYS, k, mark_key(k, log), &b);
	if (rc == 0 && b.len != 8 + SP_HASH_BYTES)
		rc = SP_ERR_CORRUPT;
	if (rc == 0) {
		m->size = be64_get(b.p);
		memcpy(m->head, b.p + 8, SP_HASH_BYTES);
	}
	sp_buf_free(&b);
	return rc == SP_ERR_NOT_FOUND ? 0 : rc;
}

int sp_reports_indexed(struct sp_reports *r, uint32_t log, uint64_t *size)
{
	struct mark m;
	int rc = mark_get(r, log, &m);
	*size = rc == 0 ? m.size : 0;
	return rc;
}

/* job_commit refreshes the touched reports, stages counters, pairs, the
 * next seq and the log's mark (m, if not NULL), writes the batch and then
 * updates memory. */
static int job_commit(struct job *j, uint32_t log, const struct mark *m)
{
	struct sp_reports *r = j->r;
	struct fresh *f;
	size_t nf;
	int rc = fresh_all(j, &f, &nf);
	for (size_t i = 0; rc == 0 && i < nf; i++)
		rc = refresh(j, &f[i]);
	free(f);
	uint8_t k[1 + SP_TERM_MAX + 45], v[8 + SP_HASH_BYTES];
	pthread_rwlock_rdlock(&r->lk);
	for (size_t i = 0; rc == 0 && i < j->n_deltas; i++) {
		int64_t n = (int64_t)sp_rcount_get(r, j->deltas[i].term) + j->deltas[i].d;
		be64_put(v, n > 0 ? (uint64_t)n : 0);
		size_t kn = count_key(k, j->deltas[i].term);
		if (n > 0)
			sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k, kn, v, 8);
		else
			sp_store_ixb_del(j->b, SP_STORE_IX_KEYS, k, kn);
	}
	int seq_moved = j->next_seq != r->next_seq, chg_moved = j->next_chg != r->next_chg;
	pthread_rwlock_unlock(&r->lk);
	for (size_t i = 0; rc == 0 && i < j->n_pairs; i++) {
		size_t n = strlen(j->pairs[i].who.id);
		k[0] = 'V';
		be32_put(k + 1, j->pairs[i].log);
		memcpy(k + 5, j->pairs[i].who.id, n);
		sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k, 5 + n, NULL, 0);
	}
	if (rc == 0 && seq_moved) {
		be64_put(v, j->next_seq);
		sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k, meta_key(k, "seq"), v, 8);
	}
	if (rc == 0 && chg_moved) {
		be64_put(v, j->next_chg);
		sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k, meta_key(k, "chg"), v, 8);
	}
	if (rc == 0 && m) {
		be64_put(v, m->size);
		memcpy(v + 8, m->head, SP_HASH_BYTES);
		sp_store_ixb_put(j->b, SP_STORE_IX_KEYS, k, mark_key(k, log), v, sizeof(v));
	}
	int wrote = rc == 0 && sp_store_ixb_count(j->b);
	if (wrote)
		rc = sp_store_ixb_write(j->b);
	if (rc)
		return rc;
	pthread_rwlock_wrlock(&r->lk);
	r->gen += wrote;
	for (size_t i = 0; rc == 0 && i < j->n_deltas; i++) {
		int64_t n = (int64_t)sp_rcount_get(r, j->deltas[i].term) + j->deltas[i].d;
		rc = count_set(r, j->deltas[i].term, n > 0 ? (uint64_t)n : 0);
	}
	for (size_t i = 0; rc == 0 && i < j->n_pairs; i++)
		rc = pair_insert(r, j->pairs[i].log, j->pairs[i].who.id) < 0 ? SP_ERR_NOMEM : 0;
	r->next_seq = j->next_seq;
	r->next_chg = j->next_chg;
	for (size_t i = 0; i < j->n_recs; i++)
		if (j->recs[i]->until < atomic_load(&r->next_due))
			atomic_store(&r->next_due, j->recs[i]->until);
	pthread_rwlock_unlock(&r->lk);
	pthread_mutex_lock(&r->pmu);
	for (size_t i = 0; i < j->n_unpend; i++)
		for (size_t p = 0; p < r->n_pending; p++)
			if (memcmp(r->pending[p], j->unpend[i], SP_HASH_BYTES) == 0) {
				memcpy(r->pending[p], r->pending[--r->n_pending], SP_HASH_BYTES);
				break;
			}
	pthread_mutex_unlock(&r->pmu);
	return rc;
}

/* ---- runs of a log -------------------------------------------------------------------- */

struct run_ctx {
	struct job *j;
	uint32_t log;
	struct mark m;
	int rc;
};

static int run_entry(struct run_ctx *c, uint64_t index, const uint8_t *buf, size_t len,
		     const struct sp_entry *dec, const uint8_t *hash)
{
	struct sp_entry e;
	uint8_t h[SP_HASH_BYTES];
	if (hash == NULL) {
		sp_entry_hash(buf, len, h);
		hash = h;
	}
	int rc = 0;
	if (dec == NULL)
		rc = sp_entry_decode(buf, len, &e) == 0 ? 0 : 1;
	if (rc == 0)
		rc = index_one(c->j, (struct sp_rloc){c->log, index, 0}, dec ? dec : &e, hash);
	if (rc > 0)
		rc = 0; /* an entry that does not decode is not the index's business */
	c->m.size = index + 1;
	memcpy(c->m.head, hash, SP_HASH_BYTES);
	if (rc == 0 && c->m.size % JOB_ENTRIES == 0) {
		rc = job_commit(c->j, c->log, &c->m);
		job_clear(c->j);
		if (rc == 0)
			rc = sp_store_ixb_new(c->j->r->o.store, &c->j->b);
	}
	return rc;
}

static int scan_one(void *arg, uint64_t index, const uint8_t *buf, size_t len)
{
	return run_entry(arg, index, buf, len, NULL, NULL);
}

/* catch_up indexes entries [mark, upto) of log from the store. */
static int catch_up(struct sp_reports *r, struct job *j, uint32_t log, uint64_t upto)
{
	struct run_ctx c = {j, log, {0}, 0};
	int rc = mark_get(r, log, &c.m);
	if (rc)
		return sp_reports_damaged(r, rc, "log mark");
	if (c.m.size >= upto)
		return 0;
	rc = sp_store_scan(r->o.store, log, c.m.size, upto, scan_one, &c);
	if (rc == 0)
		rc = job_commit(j, log, &c.m);
	return rc;
}

static int job_start(struct sp_reports *r, struct job *j, int own)
{
	job_init(j, r, own);
	return sp_store_ixb_new(r->o.store, &j->b);
}

int sp_reports_add(struct sp_reports *r, uint32_t log, uint64_t index)
{
	struct sp_log_info info;
	struct job j;
	int rc = sp_store_log_info(r->o.store, log, &info);
	if (rc)
		return rc;
	if (atomic_load(&r->broken))
		return SP_ERR_BUSY;
	pthread_mutex_lock(&r->wmu);
	rc = job_start(r, &j, info.own);
	if (rc == 0)
		rc = index < info.size ? catch_up(r, &j, log, info.size) : SP_ERR_RANGE;
	job_clear(&j);
	sp_store_ixb_free(j.b);
	pthread_mutex_unlock(&r->wmu);
	return rc;
}

int sp_reports_add_entries(struct sp_reports *r, const struct sp_store_run *run)
{
	struct job j;
	if (atomic_load(&r->broken))
		return SP_ERR_BUSY;
	pthread_mutex_lock(&r->wmu);
	int rc = job_start(r, &j, 0);
	/* whatever is missing before the run first (an earlier failure) */
	if (rc == 0)
		rc = catch_up(r, &j, run->log, run->first);
	struct run_ctx c = {&j, run->log, {0}, 0};
	if (rc == 0)
		rc = mark_get(r, run->log, &c.m);
	for (size_t i = 0; rc == 0 && i < run->n; i++) {
		if (run->first + i < c.m.size)
			continue;
		rc = run_entry(&c, run->first + i, run->entries[i], run->lens[i],
			       run->ents ? &run->ents[i] : NULL,
			       run->ents ? run->hashes[i] : NULL);
	}
	if (rc == 0 && c.m.size > 0)
		rc = job_commit(&j, run->log, &c.m);
	job_clear(&j);
	sp_store_ixb_free(j.b);
	pthread_mutex_unlock(&r->wmu);
	return rc;
}

/* ---- the deadline sweep ------------------------------------------------------------------- */

/* Called with each 'D' key (until, seq) from the seek point on; non-zero
 * stops: 1 (done) or an error. */
typedef int (*due_fn)(void *arg, uint64_t until, uint64_t seq);

/* due_scan calls fn with the 'D' keys whose until is at or after from, in
 * (until, seq) order. */
static int due_scan(struct sp_reports *r, uint64_t from, due_fn fn, void *arg)
{
	struct sp_store_ixit *it;
	uint8_t pre[1] = {'D'}, seek[9] = {'D'};
	be64_put(seek + 1, from);
	int rc = sp_store_ixit_new(r->o.store, SP_STORE_IX_KEYS, pre, 1, &it);
	if (rc)
		return rc;
	sp_store_ixit_seek(it, seek, sizeof(seek));
	for (; rc == 0; sp_store_ixit_next(it)) {
		const uint8_t *k, *v;
		size_t kn, vn;
		rc = sp_store_ixit_get(it, &k, &kn, &v, &vn);
		if (rc || kn != 17 || k[0] != 'D')
			break;
		rc = fn(arg, be64_get(k + 1), be64_get(k + 9));
	}
	sp_store_ixit_free(it);
	return rc == SP_ERR_NOT_FOUND || rc == 1 ? 0 : rc;
}

/* A list of 'D' keys: up to cap with until <= to (then *next is the first
 * key left), or all of them (cap 0: the array grows). */
struct due_list {
	uint64_t (*v)[2];
	size_t n, cap, max;
	uint64_t to, next;
};

static int due_add(void *arg, uint64_t until, uint64_t seq)
{
	struct due_list *l = arg;
	if (until > l->to || (l->max && l->n == l->max)) {
		l->next = until;
		return 1;
	}
	if (l->max == 0 && sp_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)))
		return SP_ERR_NOMEM;
	l->v[l->n][0] = until;
	l->v[l->n++][1] = seq;
	return 0;
}

/* due_batch collects up to cap (until, seq) 'D' keys at or before now;
 * *next gets the earliest key left (UINT64_MAX: none). */
static int due_batch(struct sp_reports *r, uint64_t now, uint64_t (*due)[2], size_t cap,
		     size_t *n, uint64_t *next)
{
	struct due_list l = {.v = due, .max = cap, .to = now, .next = UINT64_MAX};
	int rc = due_scan(r, 0, due_add, &l);
	*n = l.n;
	*next = l.next;
	return rc;
}

/* seq_take stages report seq for refreshing. due: its 'D' key `until` is
 * deleted here whatever the record says (the deadline sweep). */
static int seq_take(struct job *j, uint64_t seq, int due, uint64_t until)
{
	uint8_t k[17];
	size_t slot = 0;
	struct jrec *p = calloc(1, sizeof(*p));
	if (due)
		sp_store_ixb_del(j->b, SP_STORE_IX_KEYS, k, due_key(k, until, seq));
	int rc = p ? sp_rrec_load(j->r, seq, &p->rec) : SP_ERR_NOMEM;
	if (rc == 0 && job_find(j, p->rec.id, &slot) != NULL)
		rc = SP_ERR_CORRUPT;
	if (rc == 0 && (p->terms = calloc(SP_TERMS_MAX, SP_TERM_MAX)) == NULL)
		rc = SP_ERR_NOMEM;
	if (rc == 0 && p->rec.has_sum)
		rc = terms_of(j->r, &p->rec.sum, p->terms, &p->n_terms);
	if (rc == 0) {
		p->until = due || !p->rec.has_sum ? UINT64_MAX : p->rec.sum.valid_until;
		p->dirty = 1;
		rc = job_add(j, p, slot);
	}
	if (rc && p) {
		sp_rrec_free(&p->rec);
		free(p->terms);
		free(p);
	}
	return rc;
}

#define SWEEP_BATCH 256

/* refresh_keys refreshes the n reports of due[] (their 'D' keys) at now,
 * in one job (wmu held). */
static int refresh_keys(struct sp_reports *r, const uint64_t (*due)[2], size_t n, uint64_t now)
{
	struct job j;
	int rc = job_start(r, &j, 0);
	j.now = now > j.now ? now : j.now;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = seq_take(&j, due[i][1], 1, due[i][0]);
	if (rc == 0)
		rc = job_commit(&j, 0, NULL);
	job_clear(&j);
	sp_store_ixb_free(j.b);
	return rc;
}

/* sweep_step refreshes one batch of due reports (wmu held); *more: a full
 * batch was done. */
static int sweep_step(struct sp_reports *r, uint64_t now, size_t *total, int *more)
{
	uint64_t due[SWEEP_BATCH][2], next;
	size_t n;
	*more = 0;
	int rc = due_batch(r, now, due, SWEEP_BATCH, &n, &next);
	if (rc == 0 && n == 0)
		atomic_store(&r->next_due, next);
	if (rc || n == 0)
		return rc;
	rc = refresh_keys(r, (const uint64_t(*)[2])due, n, now);
	if (total)
		*total += n;
	*more = rc == 0;
	return rc;
}

int sp_reports_recompute(struct sp_reports *r, uint64_t from, uint64_t now, size_t *n)
{
	struct due_list l = {.to = UINT64_MAX - 1, .next = UINT64_MAX};
	if (n)
		*n = 0;
	if (atomic_load(&r->broken))
		return SP_ERR_BUSY;
	pthread_mutex_lock(&r->wmu);
	int rc = due_scan(r, from, due_add, &l);
	for (size_t i = 0; rc == 0 && i < l.n; i += SWEEP_BATCH) {
		size_t k = l.n - i < SWEEP_BATCH ? l.n - i : SWEEP_BATCH;
		rc = refresh_keys(r, (const uint64_t(*)[2])(l.v + i), k, now);
	}
	pthread_mutex_unlock(&r->wmu);
	if (rc == 0 && n)
		*n = l.n;
	free(l.v);
	return sp_reports_damaged(r, rc, "deadline index");
}

static int sweep_locked(struct sp_reports *r, uint64_t now, size_t *total)
{
	int rc, more;
	do
		rc = sweep_step(r, now, total, &more);
	while (more);
	return sp_reports_damaged(r, rc, "deadline index");
}

int sp_reports_sweep(struct sp_reports *r, uint64_t now, size_t *n)
{
	int rc = 0, more = 1;
	if (n)
		*n = 0;
	if (atomic_load(&r->broken))
		return SP_ERR_BUSY;
	/* One batch per hold of the writer lock: appends waiting to be
	 * indexed go in between. */
	while (rc == 0 && more && now >= atomic_load(&r->next_due)) {
		pthread_mutex_lock(&r->wmu);
		rc = now < atomic_load(&r->next_due) ? 0 : sweep_step(r, now, n, &more);
		pthread_mutex_unlock(&r->wmu);
	}
	return sp_reports_damaged(r, rc, "deadline index");
}

/* ---- start, rebuild, damage ---------------------------------------------------------------- */

/* ---- directory changes ---------------------------------------------------------------- */

/* Which institutions are under which ('t:' terms) comes from the
 * directory when a summary is computed. The index keeps the parents it
 * computed with ('A' inst -> parent); when the directory names another
 * parent (or an institution it did not know), the reports held under that
 * institution (its 't:' list) are refreshed. */

struct moved_inst {
	char id[SP_INST_ID_MAX + 1];
	char was[SP_INST_ID_MAX + 1]; /* the parent the index used ("" if none) */
};

struct moved {
	struct sp_reports *r;
	struct sp_store_ixb *b;
	struct moved_inst *ids;
	size_t n, cap;
};

static size_t parent_key(uint8_t *k, const char *inst)
{
	size_t n = strlen(inst);
	k[0] = 'A';
	memcpy(k + 1, inst, n);
	return 1 + n;
}

static int parent_check(void *arg, const struct sp_dir_inst *inst)
{
	struct moved *m = arg;
	uint8_t k[1 + SP_INST_ID_MAX];
	size_t kn = parent_key(k, inst->id), pn = strlen(inst->parent);
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_ix_get(m->r->o.store, SP_STORE_IX_KEYS, k, kn, &b);
	int same = rc == 0 && b.len == pn && (pn == 0 || memcmp(b.p, inst->parent, pn) == 0);
	struct moved_inst mi = {"", ""};
	if (rc == 0 && b.len > 0 && b.len <= SP_INST_ID_MAX)
		memcpy(mi.was, b.p, b.len);
	sp_buf_free(&b);
	if (rc && rc != SP_ERR_NOT_FOUND)
		return rc;
	if (same)
		return 0;
	sp_store_ixb_put(m->b, SP_STORE_IX_KEYS, k, kn, (const uint8_t *)inst->parent, pn);
	if (sp_grow((void **)&m->ids, &m->cap, m->n, sizeof(*m->ids)))
		return SP_ERR_NOMEM;
	snprintf(mi.id, sizeof(mi.id), "%s", inst->id);
	m->ids[m->n++] = mi;
	return 0;
}

/* A report's posted terms are recomputed from its summary with the
 * directory as it is now, which for the 't:' terms of a moved
 * institution's reports is not what they were posted under. So for those
 * reports the 't:' terms are taken from the postings really there: the
 * recomputed ones that are, plus the old parent and its ancestors when
 * they are; the refresh then posts what they lack and removes what they
 * lost. */
struct stale {
	struct job *j;
	struct jrec *p;
	int rc;
};

/* posted_now: 1 if report p has a posting under term t, 0 if not */
static int posted_now(struct stale *st, const char *t)
{
	uint8_t k[1 + SP_TERM_MAX + 9];
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_ix_get(st->j->r->o.store, SP_STORE_IX_KEYS, k,
				 sp_rkey_posting(k, t, st->p->rec.seq), &b);
	sp_buf_free(&b);
	if (rc && rc != SP_ERR_NOT_FOUND && st->rc == 0)
		st->rc = rc;
	return rc == 0;
}

static void stale_add(struct stale *st, const char *inst)
{
	char t[SP_TERM_MAX];
	snprintf(t, sizeof(t), "t:%s", inst);
	if (st->rc || st->p->n_terms == SP_TERMS_MAX || has_term(st->p->terms, st->p->n_terms, t))
		return;
	if (posted_now(st, t))
		memcpy(st->p->terms[st->p->n_terms++], t, SP_TERM_MAX);
}

/* stale_fit drops the recomputed 't:' terms the report is not posted under */
static void stale_fit(struct stale *st)
{
	struct jrec *p = st->p;
	for (size_t i = 0; st->rc == 0 && i < p->n_terms;) {
		if (strncmp(p->terms[i], "t:", 2) != 0 || posted_now(st, p->terms[i])) {
			i++;
			continue;
		}
		memmove(p->terms[i], p->terms[i + 1], (p->n_terms - i - 1) * SP_TERM_MAX);
		p->n_terms--;
	}
}

static int stale_anc(void *arg, const struct sp_dir_inst *inst)
{
	stale_add(arg, inst->id);
	return 0;
}

/* retag_batch refreshes up to SWEEP_BATCH reports on the 't:<inst>' list
 * from seq *from on; *from moves past them, *more: a full batch. */
static int retag_batch(struct sp_reports *r, const struct moved_inst *mi, uint64_t *from,
		       int *more)
{
	const char *inst = mi->id;
	char term[SP_TERM_MAX];
	uint8_t k[1 + SP_TERM_MAX + 9];
	uint64_t seqs[SWEEP_BATCH];
	size_t n = 0;
	struct sp_store_ixit *it;
	snprintf(term, sizeof(term), "t:%s", inst);
	size_t pn = sp_rkey_posting(k, term, 0) - 8; /* 'P' term 0x00 */
	int rc = sp_store_ixit_new(r->o.store, SP_STORE_IX_KEYS, k, pn, &it);
	if (rc)
		return rc;
	sp_store_ixit_seek(it, k, sp_rkey_posting(k, term, *from));
	for (; rc == 0 && n < SWEEP_BATCH; sp_store_ixit_next(it)) {
		const uint8_t *ik, *v;
		size_t kn, vn;
		rc = sp_store_ixit_get(it, &ik, &kn, &v, &vn);
		if (rc || kn != pn + 8 || memcmp(ik, k, pn) != 0)
			break;
		seqs[n++] = be64_get(ik + pn);
	}
	sp_store_ixit_free(it);
	if (rc == SP_ERR_NOT_FOUND)
		rc = 0;
	*more = rc == 0 && n == SWEEP_BATCH;
	if (rc || n == 0)
		return rc;
	struct job j;
	rc = job_start(r, &j, 0);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = seq_take(&j, seqs[i], 0, 0);
		struct stale st = {&j, rc == 0 ? j.recs[j.n_recs - 1] : NULL, rc};
		if (rc == 0)
			stale_fit(&st);
		if (rc == 0 && mi->was[0]) {
			stale_add(&st, mi->was);
			sp_dir_ancestors(r->o.dir, mi->was, stale_anc, &st);
		}
		rc = st.rc;
	}
	if (rc == 0)
		rc = job_commit(&j, 0, NULL);
	job_clear(&j);
	sp_store_ixb_free(j.b);
	*from = seqs[n - 1] + 1;
	return rc;
}

/* dir_sync_locked records the directory's parents; with retag, refreshes
 * the reports held under each institution whose parent changed. */
static int dir_sync_locked(struct sp_reports *r, int retag, size_t *moved)
{
	struct moved m = {r, NULL, NULL, 0, 0};
	int rc = r->o.dir ? sp_store_ixb_new(r->o.store, &m.b) : 0;
	if (rc == 0 && r->o.dir)
		rc = sp_dir_each(r->o.dir, parent_check, &m);
	for (size_t i = 0; rc == 0 && retag && i < m.n; i++) {
		uint64_t from = 0;
		int more = 1;
		while (rc == 0 && more)
			rc = retag_batch(r, &m.ids[i], &from, &more);
	}
	/* the parents last: a crash before this retags again at the next start */
	if (rc == 0 && m.b && sp_store_ixb_count(m.b))
		rc = sp_store_ixb_write(m.b);
	sp_store_ixb_free(m.b);
	if (rc == 0 && moved)
		*moved = m.n;
	if (rc == 0 && retag && m.n && r->o.log)
		sp_logx(r->o.log, SP_LOGX_INFO, "reports",
			"directory parents changed institutions=%zu: their reports refreshed", m.n);
	free(m.ids);
	return sp_reports_damaged(r, rc, "report record");
}

int sp_reports_dir_sync(struct sp_reports *r, size_t *moved)
{
	if (moved)
		*moved = 0;
	if (atomic_load(&r->broken))
		return SP_ERR_BUSY;
	pthread_mutex_lock(&r->wmu);
	int rc = dir_sync_locked(r, 1, moved);
	pthread_mutex_unlock(&r->wmu);
	return rc;
}

static void mem_clear(struct sp_reports *r)
{
	pthread_rwlock_wrlock(&r->lk);
	free(r->pairs);
	free(r->counts);
	r->pairs = NULL;
	r->counts = NULL;
	r->n_pairs = r->cap_pairs = r->n_counts = r->cap_counts = 0;
	r->pairs_gen++;
	r->gen++;
	r->counts_gen++;
	r->next_seq = 1;
	atomic_store(&r->next_due, UINT64_MAX);
	pthread_rwlock_unlock(&r->lk);
}

int sp_reports_new(const struct sp_reports_opts *o, struct sp_reports **out)
{
	if (o == NULL || o->store == NULL)
		return SP_ERR_ARG;
	struct sp_reports *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return SP_ERR_NOMEM;
	r->o = *o;
	r->rd = (struct sp_report_dir){.dir = o->dir, .report_known = sp_reports_known,
				       .report_arg = r};
	pthread_mutex_init(&r->wmu, NULL);
	pthread_mutex_init(&r->pmu, NULL);
	pthread_rwlock_init(&r->lk, NULL);
	pthread_mutex_init(&r->memo_mu, NULL);
	for (size_t i = 0; i < SP_REPORTS_MEMOS; i++)
		sp_buf_init(&r->memo[i].text);
	r->next_seq = 1;
	atomic_store(&r->next_due, UINT64_MAX);
	*out = r;
	return 0;
}

void sp_reports_free(struct sp_reports *r)
{
	if (r == NULL)
		return;
	if (r->fixer_started)
		pthread_join(r->fixer, NULL);
	mem_clear(r);
	free(r->pending);
	for (size_t i = 0; i < SP_REPORTS_MEMOS; i++)
		sp_buf_free(&r->memo[i].text);
	pthread_mutex_destroy(&r->memo_mu);
	pthread_rwlock_destroy(&r->lk);
	pthread_mutex_destroy(&r->wmu);
	pthread_mutex_destroy(&r->pmu);
	free(r);
}

/* catch_up_all indexes what every log holds beyond what the index has. */
static int catch_up_all(struct sp_reports *r)
{
	int rc = 0;
	uint32_t count = sp_store_log_count(r->o.store);
	for (uint32_t id = 0; rc == 0 && id < count; id++) {
		struct sp_log_info info;
		struct job j;
		rc = sp_store_log_info(r->o.store, id, &info);
		if (rc == 0)
			rc = job_start(r, &j, 0);
		if (rc == 0)
			rc = catch_up(r, &j, id, info.size);
		job_clear(&j);
		sp_store_ixb_free(j.b);
	}
	return rc;
}

static int meta_get(struct sp_reports *r, const char *name, uint64_t *v);
static int floor_find(struct sp_reports *r);

static int rebuild_locked(struct sp_reports *r)
{
	/* the change feed's numbering goes on (its readers hold cursors), and
	 * what a rebuild derives again is not news: it records no change */
	uint64_t chg = r->next_chg, kept;
	if (meta_get(r, "chg", &kept) == 0 && kept > chg)
		chg = kept;
	int rc = sp_store_ix_clear(r->o.store);
	mem_clear(r);
	r->quiet = 1;
	pthread_rwlock_wrlock(&r->lk);
	r->next_chg = chg ? chg : 1;
	pthread_rwlock_unlock(&r->lk);
	atomic_store(&r->chg_floor, chg ? chg : 1); /* the feed was cleared with the rest */
	if (rc == 0)
		rc = catch_up_all(r);
	uint8_t k[16], v[8];
	struct sp_store_ixb *b = NULL;
	r->quiet = 0;
	if (rc == 0) /* the postings just made follow the directory as it is */
		rc = dir_sync_locked(r, 0, NULL);
	be64_put(v, SP_REPORTS_FORMAT);
	if (rc == 0)
		rc = sp_store_ixb_new(r->o.store, &b);
	if (rc == 0) {
		sp_store_ixb_put(b, SP_STORE_IX_KEYS, k, meta_key(k, "format"), v, 8);
		be64_put(v, chg ? chg : 1);
		sp_store_ixb_put(b, SP_STORE_IX_KEYS, k, meta_key(k, "chg"), v, 8);
		rc = sp_store_ixb_write(b);
	}
	sp_store_ixb_free(b);
	if (rc == 0)
		rc = sp_store_ix_compact(r->o.store);
	return rc ? rc : sweep_locked(r, sp_now_ms(), NULL);
}

int sp_reports_rebuild(struct sp_reports *r)
{
	pthread_mutex_lock(&r->wmu);
	int rc = rebuild_locked(r);
	pthread_mutex_unlock(&r->wmu);
	return rc;
}

/* load_prefix calls fn for every key of the keys family starting with tag. */
static int load_prefix(struct sp_reports *r, uint8_t tag,
		       int (*fn)(struct sp_reports *r, const uint8_t *k, size_t kn,
				 const uint8_t *v, size_t vn))
{
	struct sp_store_ixit *it;
	int rc = sp_store_ixit_new(r->o.store, SP_STORE_IX_KEYS, &tag, 1, &it);
	if (rc)
		return rc;
	sp_store_ixit_seek(it, &tag, 1);
	for (; rc == 0; sp_store_ixit_next(it)) {
		const uint8_t *k, *v;
		size_t kn, vn;
		rc = sp_store_ixit_get(it, &k, &kn, &v, &vn);
		if (rc || kn == 0 || k[0] != tag)
			break;
		rc = fn(r, k, kn, v, vn);
	}
	sp_store_ixit_free(it);
	return rc == SP_ERR_NOT_FOUND ? 0 : rc;
}

static int load_count(struct sp_reports *r, const uint8_t *k, size_t kn, const uint8_t *v,
		      size_t vn)
{
	char term[SP_TERM_MAX];
	if (kn < 2 || kn > SP_TERM_MAX || vn != 8)
		return SP_ERR_CORRUPT;
	memcpy(term, k + 1, kn - 1);
	term[kn - 1] = '\0';
	return count_set(r, term, be64_get(v));
}

static int load_pair(struct sp_reports *r, const uint8_t *k, size_t kn, const uint8_t *v,
		     size_t vn)
{
	char who[SP_INST_ID_MAX + 1];
	(void)v;
	if (kn < 6 || kn - 5 > SP_INST_ID_MAX || vn != 0)
		return SP_ERR_CORRUPT;
	memcpy(who, k + 5, kn - 5);
	who[kn - 5] = '\0';
	uint32_t log = (uint32_t)k[1] << 24 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 8 | k[4];
	return pair_insert(r, log, who) < 0 ? SP_ERR_NOMEM : 0;
}

static int meta_get(struct sp_reports *r, const char *name, uint64_t *v)
{
	uint8_t k[16];
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_ix_get(r->o.store, SP_STORE_IX_KEYS, k, meta_key(k, name), &b);
	if (rc == 0 && b.len != 8)
		rc = SP_ERR_CORRUPT;
	if (rc == 0)
		*v = be64_get(b.p);
	sp_buf_free(&b);
	return rc;
}

/* marks_fit: every log's mark is within it and names the entry there. */
static int marks_fit(struct sp_reports *r, const char **why)
{
	uint32_t count = sp_store_log_count(r->o.store);
	for (uint32_t id = 0; id < count; id++) {
		struct sp_log_info info;
		struct mark m;
		struct sp_buf b;
		uint8_t h[SP_HASH_BYTES];
		int rc = sp_store_log_info(r->o.store, id, &info);
		if (rc == 0)
			rc = mark_get(r, id, &m);
		if (rc)
			return rc;
		if (m.size > info.size) {
			*why = "a log is shorter than its mark (fork resolution?)";
			return 1;
		}
		if (m.size == 0)
			continue;
		sp_buf_init(&b);
		rc = sp_store_entry(r->o.store, id, m.size - 1, &b);
		if (rc == 0 && b.err == 0)
			sp_entry_hash(b.p, b.len, h);
		sp_buf_free(&b);
		if (rc)
			return rc;
		if (memcmp(h, m.head, SP_HASH_BYTES) != 0) {
			*why = "a log's entry differs from the one indexed";
			return 1;
		}
	}
	return 0;
}

/* load_locked reads the index's state: 0, 1 if it must be rebuilt (*why),
 * or an error. */
static int load_locked(struct sp_reports *r, const char **why)
{
	uint64_t format = 0, seq = 1, chg = 1;
	int rc = meta_get(r, "format", &format);
	if (rc == SP_ERR_NOT_FOUND || (rc == 0 && format != SP_REPORTS_FORMAT)) {
		*why = rc ? "no index kept yet" : "index of another format";
		return 1;
	}
	if (rc == 0)
		rc = meta_get(r, "seq", &seq);
	if (rc == SP_ERR_NOT_FOUND)
		rc = 0;
	if (rc == 0)
		rc = meta_get(r, "chg", &chg);
	if (rc == SP_ERR_NOT_FOUND)
		rc = 0;
	mem_clear(r);
	pthread_rwlock_wrlock(&r->lk);
	r->next_seq = seq;
	r->next_chg = chg;
	if (rc == 0)
		rc = load_prefix(r, 'N', load_count);
	if (rc == 0)
		rc = load_prefix(r, 'V', load_pair);
	pthread_rwlock_unlock(&r->lk);
	if (rc == 0)
		rc = marks_fit(r, why);
	if (rc == SP_ERR_CORRUPT)
		*why = "a value fails its checksum";
	return rc == SP_ERR_CORRUPT ? 1 : rc;
}

int sp_reports_load(struct sp_reports *r, int *rebuilt)
{
	const char *why = NULL;
	if (rebuilt)
		*rebuilt = 0;
	pthread_mutex_lock(&r->wmu);
	int rc = load_locked(r, &why);
	if (rc == 1) {
		if (r->o.log)
			sp_logx(r->o.log, SP_LOGX_WARN, "reports",
				"report index rebuilt from the logs: %s", why);
		if (rebuilt)
			*rebuilt = 1;
		rc = rebuild_locked(r);
	}
	if (rc == 0)
		rc = catch_up_all(r);
	if (rc == 0) /* a directory change the index did not follow (a crash) */
		rc = dir_sync_locked(r, 1, NULL);
	if (rc == 0)
		rc = floor_find(r);
	size_t swept = 0;
	uint64_t t0 = sp_mono_ms();
	if (rc == 0)
		rc = sweep_locked(r, sp_now_ms(), &swept);
	pthread_mutex_unlock(&r->wmu);
	if (rc == 0 && r->o.log)
		sp_logx(r->o.log, SP_LOGX_INFO, "reports", "deadline sweep refreshed=%zu ms=%llu",
			swept, (unsigned long long)(sp_mono_ms() - t0));
	return rc;
}

/* ---- pruning the change feed ----------------------------------------------------------- */

#define PRUNE_BATCH 4096 /* deletes per batch */

/* feed_first gives the number of the feed's first kept change at or after
 * from (*first = UINT64_MAX: none). Store errors. */
static int feed_first(struct sp_reports *r, uint64_t from, struct sp_store_ixit **it,
		      uint64_t *first)
{
	uint8_t k[9] = {'C'};
	*first = UINT64_MAX;
	int rc = sp_store_ixit_new(r->o.store, SP_STORE_IX_KEYS, k, 1, it);
	if (rc)
		return rc;
	be64_put(k + 1, from);
	sp_store_ixit_seek(*it, k, sizeof(k));
	const uint8_t *ik, *v;
	size_t kn, vn;
	rc = sp_store_ixit_get(*it, &ik, &kn, &v, &vn);
	if (rc == 0 && kn == 9)
		*first = be64_get(ik + 1);
	return rc == SP_ERR_NOT_FOUND ? 0 : rc;
}

/* floor_find sets the feed's floor from what it keeps (at start). */
static int floor_find(struct sp_reports *r)
{
	struct sp_store_ixit *it = NULL;
	uint64_t first;
	int rc = feed_first(r, 0, &it, &first);
	sp_store_ixit_free(it);
	if (rc)
		return sp_reports_damaged(r, rc, "change feed");
	uint64_t end = sp_reports_change_end(r);
	atomic_store(&r->chg_floor, first < end ? first : end);
	return 0;
}

/* prune_locked deletes the changes [floor, before) in batches. */
static int prune_locked(struct sp_reports *r, uint64_t before, size_t *n)
{
	struct sp_store_ixit *it = NULL;
	struct sp_store_ixb *b = NULL;
	uint64_t chg;
	int rc = feed_first(r, atomic_load(&r->chg_floor), &it, &chg);
	if (rc == 0)
		rc = sp_store_ixb_new(r->o.store, &b);
	while (rc == 0 && chg < before) {
		const uint8_t *ik, *v;
		size_t kn, vn;
		rc = sp_store_ixit_get(it, &ik, &kn, &v, &vn);
		if (rc || kn != 9 || (chg = be64_get(ik + 1)) >= before)
			break;
		sp_store_ixb_del(b, SP_STORE_IX_KEYS, ik, kn);
		(*n)++;
		if (sp_store_ixb_count(b) >= PRUNE_BATCH)
			rc = sp_store_ixb_write(b);
		sp_store_ixit_next(it);
	}
	if (rc == SP_ERR_NOT_FOUND)
		rc = 0;
	if (rc == 0 && sp_store_ixb_count(b))
		rc = sp_store_ixb_write(b);
	sp_store_ixb_free(b);
	sp_store_ixit_free(it);
	if (rc == 0)
		atomic_store(&r->chg_floor, before);
	return rc == SP_ERR_CORRUPT ? sp_reports_damaged(r, rc, "change feed") : rc;
}

int sp_reports_changes_prune(struct sp_reports *r, uint64_t before, size_t *n)
{
	size_t done = 0;
	int rc = 0;
	pthread_mutex_lock(&r->wmu);
	uint64_t end = sp_reports_change_end(r);
	if (before > end)
		before = end;
	if (before > atomic_load(&r->chg_floor) && !atomic_load(&r->broken))
		rc = prune_locked(r, before, &done);
	pthread_mutex_unlock(&r->wmu);
	if (n)
		*n = done;
	return rc;
}

uint64_t sp_reports_change_floor(struct sp_reports *r)
{
	return atomic_load(&r->chg_floor);
}

static void *fixer_main(void *arg)
{
	struct sp_reports *r = arg;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&r->wmu);
	int rc = rebuild_locked(r);
	pthread_mutex_unlock(&r->wmu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r->o.log)
		sp_logx(r->o.log, rc ? SP_LOGX_ERROR : SP_LOGX_INFO, "reports",
			"report index rebuilt from the logs reports=%llu ms=%lld err=%s",
			(unsigned long long)sp_reports_count(r),
			(long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
			sp_errname(rc));
	atomic_store(&r->broken, 0);
	return NULL;
}

int sp_reports_damaged(struct sp_reports *r, int err, const char *where)
{
	if (err != SP_ERR_CORRUPT)
		return err;
	int was = 0;
	if (!atomic_compare_exchange_strong(&r->broken, &was, 1))
		return SP_ERR_BUSY;
	if (r->o.log)
		sp_logx(r->o.log, SP_LOGX_ERROR, "reports",
			"report index damaged (%s fails its checksum): not served, rebuilding from "
			"the logs",
			where);
	if (r->fixer_started)
		pthread_join(r->fixer, NULL);
	r->fixer_started = pthread_create(&r->fixer, NULL, fixer_main, r) == 0;
	if (!r->fixer_started)
		atomic_store(&r->broken, 0);
	return SP_ERR_BUSY;
}

int sp_reports_broken(struct sp_reports *r)
{
	return atomic_load(&r->broken);
}

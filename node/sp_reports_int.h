/*
 * sp_reports_int.h - private to the report index: what sp_reports.c (the
 * writer: indexing, records, rebuilds) and sp_reports_query.c (readers:
 * views, queries, counters) share.
 *
 * Keys (integers big-endian). Family report_records:
 *   'R' seq(8)                 -> the report's record (CBOR, rec_encode)
 *   'I' id(32)                 -> seq(8)
 * Family report_keys:
 *   'P' term 0x00 seq(8)       -> row         a posting: the report has that term;
 *                                             row = [id, summary] (sp_rpost_encode)
 *   'D' until(8) seq(8)        -> ""          its summary holds until then
 *   'N' term                   -> count(8)    reports with that term
 *   'W' log(4)                 -> size(8) head(32)   how far log `log` is indexed
 *   'O' id(32) log(4) index(8) -> ""          a trail entry waiting for report id
 *   'V' log(4) institution     -> ""          the institution takes part in a
 *                                             report with an entry in that log
 *   'C' chg(8)                 -> seq(8) note     the change feed: a report's
 *                                             summary changed in what a
 *                                             notification says (sp_rnote)
 *   'A' institution            -> parent     the directory's parents the
 *                                             't:' terms were computed with
 *   'M' "format"               -> version(8); 'M' "seq" -> next seq(8);
 *   'M' "chg"                  -> next change number(8)
 * Terms are short strings ("s:diterima", "h:73.12"; see terms_of).
 */
#ifndef SP_REPORTS_INT_H
#define SP_REPORTS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "sp_report_dir.h"
#include "sp_reports.h"
#include "sp_store_index.h"

#define SP_REPORTS_FORMAT 5 /* 4: summaries say keyless (SP_EV_KEY_GRANT);
			     * 5: postings carry the page row */
#define SP_TERM_MAX 96   /* longest term */
/* Region parts (province, kabupaten/kota) that get a list per category
 * (R:): a counter is kept in memory per term, and kecamatan and villages
 * times categories would be millions of them; their lists are short, so
 * r: with c: on the rows serves them. */
#define SP_RREGION_CAT_LEVELS 2
#define SP_TERMS_MAX 192 /* most terms of one report (16 holders with their ancestors) */

struct sp_rloc {
	uint32_t log;
	uint64_t index;
	/* in a trail: the entry's action signature was found good by a
	 * computation of this index (sp_report_state.sig_good), so views pass
	 * it as sig_known instead of checking it again. The entry at (log,
	 * index) never changes under the index: a log set aside by a fork
	 * resolution rebuilds it (records and these marks from scratch). */
	uint8_t sig_ok;
};

/* An institution's name, as in the logs' origins. */
struct sp_rinst {
	char id[SP_INST_ID_MAX + 1];
};

/* One report as stored. */
struct sp_rrec {
	uint8_t id[SP_HASH_BYTES];
	uint64_t seq;
	struct sp_rloc sub;
	uint64_t indexed_ms;
	struct sp_rloc *trail;
	size_t n_trail, cap_trail;
	struct sp_rinst *inv; /* institutions involved: recorded, routed, forwarded to, acted */
	size_t n_inv, cap_inv;
	int has_sum;
	struct sp_reports_summary sum;
};

/* A counter of one term. */
struct sp_rcount {
	char term[SP_TERM_MAX];
	uint64_t n;
};

/* "inst takes part in a report with an entry in log". */
struct sp_rpair {
	uint32_t log;
	struct sp_rinst who;
};

struct sp_reports {
	struct sp_reports_opts o;
	struct sp_report_dir rd; /* the compute context's: o.dir, and this index for reports */
	pthread_mutex_t wmu;    /* one writer */
	pthread_rwlock_t lk;    /* the in-memory tables below */
	struct sp_rpair *pairs; /* sorted by (log, who) */
	size_t n_pairs, cap_pairs;
	uint64_t pairs_gen;
	struct sp_rcount *counts; /* sorted by term */
	size_t n_counts, cap_counts;
	uint64_t next_seq;
	uint64_t next_chg;         /* the change feed's next number */
	_Atomic uint64_t chg_floor; /* the feed's first kept number (below: pruned) */
	uint64_t gen;              /* lk: index writes committed (sp_reports_gen) */
	uint64_t counts_gen;       /* lk: counter changes (the memos' version) */
	pthread_mutex_t memo_mu;   /* the memos */
	struct sp_rmemo {
		int have;
		uint64_t gen; /* counts_gen the text was made at */
		struct sp_buf text;
	} memo[SP_REPORTS_MEMOS];
	int quiet;                 /* wmu: a rebuild, which records no changes */
	_Atomic uint64_t next_due; /* earliest 'D' key (UINT64_MAX: none) */
	pthread_mutex_t pmu;       /* pending marks */
	uint8_t (*pending)[SP_HASH_BYTES];
	size_t n_pending, cap_pending;
	atomic_int broken;         /* damage found: rebuilding */
	pthread_t fixer;
	int fixer_started;
};

/* sp_reports_known: report id is in index arg (an sp_reports); the
 * compute context's report_known (sp_reports_query.c). */
int sp_reports_known(void *arg, const uint8_t id[SP_HASH_BYTES]);

/* What a notification says of a report (the change feed, 'C' keys): kept
 * with each change so that a reader sees the state as it was then. */
struct sp_rnote {
	uint64_t answered_ms;
	uint32_t escalations;
	uint8_t status, overdue, rating, n_holders;
	char holders[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1];
};

/* sp_rnote_of fills n from a summary (zeroed first: memcmp compares two) */
void sp_rnote_of(const struct sp_reports_summary *s, struct sp_rnote *n);
/* sp_rnote_encode writes seq and n as a 'C' value into out (cap bytes at
 * least SP_RNOTE_MAX); returns its length. sp_rnote_decode reads one back
 * into the summary's fields (SP_ERR_CORRUPT). */
#define SP_RNOTE_MAX (23 + SP_REPORT_MAX_HOLDERS * (SP_INST_ID_MAX + 1))
size_t sp_rnote_encode(uint64_t seq, const struct sp_rnote *n, uint8_t *out);
int sp_rnote_decode(const uint8_t *v, size_t vn, uint64_t *seq, struct sp_reports_summary *s);

/* record codec (sp_reports.c) */
int sp_rrec_encode(const struct sp_rrec *p, struct sp_buf *out);
int sp_rrec_decode(const uint8_t *b, size_t n, struct sp_rrec *p);
void sp_rrec_free(struct sp_rrec *p);

/* sp_rrec_load reads report seq's record (sp_rrec_free it).
 * SP_ERR_NOT_FOUND, SP_ERR_CORRUPT (and the fixer is started). */
int sp_rrec_load(struct sp_reports *r, uint64_t seq, struct sp_rrec *p);

/* A posting's value (the page row): sp_rpost_encode appends [flags, id,
 * s] to b (SP_ERR_NOMEM); sp_rpost_decode reads one back into s with seq,
 * the posting's (SP_ERR_CORRUPT); sp_rpost_flags points *flags at a row's
 * SP_RROW_FLAGS flag bytes (status, kind, overdue | keyless << 1) without
 * decoding it (SP_ERR_CORRUPT: not a row). */
#define SP_RROW_FLAGS 3
int sp_rpost_encode(const uint8_t id[SP_HASH_BYTES], const struct sp_reports_summary *s,
		    struct sp_buf *b);
int sp_rpost_decode(const uint8_t *v, size_t n, uint64_t seq, struct sp_reports_summary *s);
int sp_rpost_flags(const uint8_t *v, size_t n, const uint8_t **flags);

/* sp_rrow_flag: for a term a row's flags answer (s:, k:, o, g), the
 * flag byte (*at), its mask and the value it has under that term;
 * SP_ERR_ARG for other terms. */
int sp_rrow_flag(const char *t, uint8_t *at, uint8_t *mask, uint8_t *want);

/* sp_rrow_has: 1 if a report with summary s is posted under term t, 0 if
 * not, -1 if a summary alone cannot say (t:, with the directory's
 * ancestors; a, d:, m:). Agrees with the terms the index posts a report
 * under (terms_of in sp_reports.c): a query checks such terms on the
 * rows of the list it walks instead of walking their lists too. */
int sp_rrow_has(const struct sp_reports_summary *s, const char *t);

/* sp_rseq_of: the seq of report id. SP_ERR_UNKNOWN_REPORT, SP_ERR_CORRUPT. */
int sp_rseq_of(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint64_t *seq);

/* sp_reports_damaged notes damage found by a reader (err SP_ERR_CORRUPT),
 * logs it once and starts the rebuild on its own thread; returns
 * SP_ERR_BUSY for the caller to answer. Other errors pass through. */
int sp_reports_damaged(struct sp_reports *r, int err, const char *where);

/* sp_rview_of computes the view of a loaded record at now (extra: as
 * sp_reports_view). */
int sp_rview_of(struct sp_reports *r, const struct sp_rrec *p, uint64_t now,
		const struct sp_reports_extra *x, struct sp_reports_view *v);

/* A (log, institution) pair to look up among r->pairs, and the order they
 * are kept in (sp_lower_bound's cmp: key a struct sp_rpair_key, element a
 * struct sp_rpair). */
struct sp_rpair_key {
	uint32_t log;
	const char *who;
};
int sp_rpair_cmp(const void *key, const void *elem);

/* sp_rcount_cmp: the order of r->counts (key a term, element a struct
 * sp_rcount), for sp_lower_bound. */
int sp_rcount_cmp(const void *term, const void *elem);

/* sp_rcount_get: the counter of term (0 if none); caller holds lk. */
uint64_t sp_rcount_get(const struct sp_reports *r, const char *term);

#define SP_RDAY_MS (24ull * 3600 * 1000)

/* sp_rtime_term writes the day ("d:YYYYMMDD", kind 'd') or month
 * ("m:YYYYMM", 'm') term of time t (ms, UTC). */
void sp_rtime_term(char kind, uint64_t t, char out[SP_TERM_MAX]);

/* key helpers */
size_t sp_rkey_posting(uint8_t *k, const char *term, uint64_t seq);
size_t sp_rkey_seq(uint8_t *k, char tag, uint64_t seq);

#endif

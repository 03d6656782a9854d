/*
 * sp_reports.h - the node's report index: which entries, in which logs,
 * make up each report, the state computed from them, and the indexes that
 * answer queries about them.
 *
 * The index is derived data, kept on disk in the store's two index
 * families (storage/sp_store_index.h; key layouts in sp_reports.c). The
 * logs are the truth. Per log the index records how far it has read (a
 * high-water mark: size and the entry hash there), in the same atomic
 * batch as what it derived from those entries: own appends are indexed
 * once durable (sp_reports_add, from the indexer thread), replica batches
 * once stored (sp_reports_add_entries), and a start (sp_reports_load)
 * reads a few keys and indexes whatever the logs hold past their marks.
 * A mark that does not match its log, an index of another format, or a
 * value that fails its checksum makes the index rebuilt from the logs
 * (sp_reports_rebuild); a damaged value is never served.
 *
 * Per report it holds where the submission is (log, index), its trail
 * [(log, index)] in the order seen, and a summary (status, holders,
 * deadline, ...) for queries, stored with the report and refreshed when
 * its trail changes or the deadline it records passes (a time-ordered
 * index of deadlines; sp_reports_sweep). States are computed with
 * sp_report_compute over the entries read back from the store, with a
 * context backed by the directory (officer enrolments, parents, the
 * coordinator), the working-day calendar and the directory's deadline
 * policy: the same pure function every other node and observer runs; the
 * index stores its results.
 *
 * Queries are answered from posting lists (one per filter value, ordered
 * by the report's sequence number, which is the paging cursor) intersected
 * in step; counts for /v1/stats are counters updated with the postings.
 * Memory does not grow with the number of reports: what stays in memory is
 * bounded by the directory (counters per filter value, the involvement
 * pairs) and by the requests in flight (pending marks).
 *
 * Threads: every function may be called from any thread. One writer at a
 * time (a mutex); readers read the store and never wait for the writer.
 */
#ifndef SP_REPORTS_H
#define SP_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "sp_dir.h"
#include "sp_logx.h"
#include "sp_report.h"
#include "sp_store.h"

#define SP_REPORTS_MAX_TRAIL 4096 /* entries one report's trail may hold */
#define SP_REPORTS_MAX_ORPHANS 4096 /* trail entries waiting for their report */

struct sp_reports;

struct sp_reports_opts {
	struct sp_store *store;       /* borrowed */
	const struct sp_dir *dir;     /* borrowed, unchanging; NULL: no directory */
	const struct sp_cal *cal;     /* borrowed */
	struct sp_report_policy policy; /* used when there is no directory */
	struct sp_logx *log;          /* borrowed; NULL: no log lines */
};

/* sp_reports_new makes an empty index (*out is the caller's: free it with
 * sp_reports_free). SP_ERR_NOMEM, SP_ERR_ARG. */
int sp_reports_new(const struct sp_reports_opts *o, struct sp_reports **out);

void sp_reports_free(struct sp_reports *r);

/* sp_reports_rebuild empties the index and indexes every log of the store
 * from its first entry (an action naming a report not held waits aside
 * until its submission is indexed). Store errors. */
int sp_reports_rebuild(struct sp_reports *r);

/* sp_reports_load opens the index kept in the store at start: reads its
 * marks and counters and indexes what the logs hold past the marks. An
 * index missing, of another format, not matching a log, or damaged is
 * rebuilt (a log line says why). *rebuilt (optional) is 1 then. Store
 * errors. */
int sp_reports_load(struct sp_reports *r, int *rebuilt);

/* sp_reports_sweep refreshes the summaries whose recorded deadline is at
 * or before now (the deadline index), so that queries and counters see
 * reports become overdue; *n (optional) gets how many. Queries run it
 * themselves when something is due. Store errors. */
int sp_reports_sweep(struct sp_reports *r, uint64_t now, size_t *n);

/* sp_reports_recompute refreshes at `now` every summary whose recorded
 * deadline is at or after `from`: what a node does when the working-day
 * calendar of a year is published (deadlines that reach into it move).
 * *n (optional) gets how many. Store errors; SP_ERR_BUSY while rebuilding. */
int sp_reports_recompute(struct sp_reports *r, uint64_t from, uint64_t now, size_t *n);

/* sp_reports_dump appends the index as canonical text to out: one sorted
 * line per record and key, with seq numbers replaced by report ids and
 * trails as sets, so that indexes of the same logs built in any order give
 * the same text (for sp_reports_verify and tests). Store errors. */
int sp_reports_dump(struct sp_reports *r, struct sp_buf *out);

/* sp_reports_verify compares the index with one rebuilt from the logs of
 * `copy` (a copy of r's store: sp_store_backup, opened; the rebuild is
 * written there): 0 if they are the same, SP_ERR_INCONSISTENT if not,
 * with the first difference in why (cap bytes). Store errors. */
int sp_reports_verify(struct sp_reports *r, struct sp_store *copy, char *why, size_t cap);

/* sp_reports_dir_sync follows a directory change: the reports held under
 * an institution that the directory now puts under another parent (or
 * newly knows) are refreshed, so that subtree lists (holder=X&subtree=1,
 * the overdue lists) follow; *moved (optional) gets how many institutions
 * moved. Called after the directory grows, and by sp_reports_load. Store
 * errors, SP_ERR_BUSY while the index is rebuilt. */
int sp_reports_dir_sync(struct sp_reports *r, size_t *moved);

/* sp_reports_broken: 1 while a damaged index is being rebuilt (queries and
 * views answer SP_ERR_BUSY meanwhile), else 0. */
int sp_reports_broken(struct sp_reports *r);

/* sp_reports_add indexes entry `index` of log `log` (read back from the
 * store; entries of other types are ignored), with every durable entry of
 * that log not indexed yet (one batch for a group commit), and clears the
 * pending marks of the reports they name. Safe to call twice for one
 * entry. Store errors. */
int sp_reports_add(struct sp_reports *r, uint32_t log, uint64_t index);

/* sp_reports_add_entries indexes the entries of run (just stored in a
 * replica log by peer ingest; decoded and hashed already when run says so,
 * otherwise decoded here) under one write lock; run is borrowed for the
 * call. Pending marks are left alone (they guard this node's own
 * appends). An action or escalation naming a report not indexed yet (its
 * submission is in a log that has not arrived) waits aside, up to
 * SP_REPORTS_MAX_ORPHANS of them, and joins the trail when the submission
 * does (beyond that bound it is dropped until the next rebuild). Safe to
 * call twice for one batch. SP_ERR_NOMEM. */
int sp_reports_add_entries(struct sp_reports *r, const struct sp_store_run *run);

/* sp_reports_count: reports indexed (a counter). */
size_t sp_reports_count(struct sp_reports *r);

/* sp_reports_involved: institution inst takes part in a report that has
 * an entry in log `log` (the report was recorded by it, routed or
 * forwarded to it or to one of its descendants, which it may take over,
 * or it acted on it), so it must replicate that log
 * although the tier tree alone would not give it (docs/design.md §4: "the logs
 * of institutions it exchanged reports with"). Built as entries are
 * indexed; sp_reports_involved_gen changes whenever an answer may have.
 * Any thread. */
int sp_reports_involved(struct sp_reports *r, const char *inst, uint32_t log);
uint64_t sp_reports_involved_gen(struct sp_reports *r);

/* sp_reports_locate gives where report `id` was submitted.
 * SP_ERR_UNKNOWN_REPORT. */
int sp_reports_locate(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint32_t *log,
		      uint64_t *index);

/* sp_reports_pending marks report `id` as having an append in flight, so
 * that two writers cannot both pass validation against the same trail:
 * SP_ERR_BUSY if it already has one, SP_ERR_UNKNOWN_REPORT. The mark is
 * cleared by sp_reports_add of the report's next entry, or by
 * sp_reports_unpend when the append fails. */
int sp_reports_pending(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES]);
void sp_reports_unpend(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES]);

/* ---- computed views ---------------------------------------------------- */

/* One entry of a view's trail: where it is and its decoded form. */
struct sp_reports_item {
	uint32_t log;
	uint64_t index;
	char inst[SP_INST_ID_MAX + 1];
	struct sp_entry e;    /* borrows buf */
	uint8_t *buf;
	size_t len;
	int sig_ok;           /* its action signature was found good when the index
			       * computed the report before: not checked again */
};

/* A report with its state: the submission, the trail and the computed
 * state (verdict[i] for items[i]). Owns everything: sp_reports_view_free. */
struct sp_reports_view {
	struct sp_reports_item sub;
	struct sp_report body;       /* the submission body, borrows sub.buf */
	struct sp_reports_item *items;
	size_t n;
	struct sp_report_state st;
	uint64_t gen;                /* internal: the index's version of the trail */
	uint64_t indexed_ms;         /* when this node indexed the submission (its
				      * CLOCK_REALTIME, ms): its own append became
				      * durable, its replica batch was stored, or
				      * the index was rebuilt at start */
};

/* A candidate entry not yet in any log (an action about to be appended),
 * checked as if written now by `inst` at the end of its log. */
struct sp_reports_extra {
	const char *inst;
	uint64_t index;
	uint64_t type;
	const uint8_t *body;
	size_t body_len;
};

/* sp_reports_view computes report `id` at time `now`; with extra, that
 * entry is the view's last item and its verdict says whether it would be
 * applied. SP_ERR_UNKNOWN_REPORT, SP_ERR_NOMEM, store and
 * sp_report_compute errors. */
int sp_reports_view(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint64_t now,
		    const struct sp_reports_extra *extra, struct sp_reports_view *v);

void sp_reports_view_free(struct sp_reports_view *v);

/* sp_reports_view_recompute recomputes v's state at now from its items as
 * they are now (for a caller that dropped some, e.g. the dashboard those
 * past a checkpoint; it frees a dropped item's buf). Errors as above. */
int sp_reports_view_recompute(struct sp_reports *r, struct sp_reports_view *v, uint64_t now);

/* sp_reports_ctx fills the sp_report_compute context this index uses. */
void sp_reports_ctx(struct sp_reports *r, const char *category, struct sp_report_ctx *ctx);

/* ---- queries -------------------------------------------------------------- */

/* What queries see of one report (a copy). */
struct sp_reports_summary {
	uint8_t id[SP_HASH_BYTES];
	uint64_t seq;                  /* position in the index (the paging cursor) */
	char log[SP_INST_ID_MAX + 1];  /* whose log holds the submission */
	uint64_t index;
	uint64_t submitted_ms;
	char region[SP_DIR_REGION_MAX + 1];
	char category[SP_DIR_CATEGORY_MAX + 1];
	char routed_to[SP_INST_ID_MAX + 1];
	enum sp_report_status status;
	size_t n_holders;
	char holders[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1];
	char last_holder[SP_INST_ID_MAX + 1]; /* holder of the latest span */
	size_t n_handled;              /* every institution that held it */
	char handled[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1];
	enum sp_report_stage stage;
	uint64_t deadline_ms;
	int overdue;
	unsigned escalations;
	uint64_t answered_ms;          /* first answer (0: none yet) */
	unsigned rating;               /* the reporter's rating 1..5 (0: none) */
	int kind;                      /* enum sp_report_kind */
	uint64_t valid_until;          /* the summary holds until then (ms) */
	int keyless;                   /* rahasia, and a holder holds no key copy */
};

/* Filters; zero/NULL fields do not filter. */
struct sp_reports_query {
	const char *institution; /* holds or held it; with overdue: held in its subtree */
	const char *region;      /* region-code prefix, whole parts */
	int status;              /* enum sp_report_status, or -1 */
	int overdue;
	uint64_t since, until;   /* submission time, [since, until) ms */
	uint64_t cursor;         /* first seq to consider */
	size_t limit;            /* most results (0: no limit) */
	const char *holder;      /* held by it now ... */
	int subtree;             /* ... or, with subtree, by it or a descendant */
	const char *category;    /* service category */
	int kind;                /* 1 + enum sp_report_kind; 0: any */
	int keyless;             /* rahasia with a holder that holds no key copy */
};

typedef int (*sp_reports_fn)(void *arg, const struct sp_reports_summary *s);

/* sp_reports_query calls fn for each matching report in index order;
 * *next (optional) receives the cursor for the next page, 0 if none.
 * A non-zero return from fn stops and is returned. */
int sp_reports_query(struct sp_reports *r, const struct sp_reports_query *q, uint64_t now,
		     sp_reports_fn fn, void *arg, uint64_t *next);

/* Counts kept up to date with the index (for /v1/stats): every report,
 * the overdue ones, by status; and per institution the reports it holds
 * (after closing: held last), by status and overdue. */
struct sp_reports_stats {
	uint64_t total, overdue;
	uint64_t by_status[SP_ST_DIGABUNG + 1];
};

typedef int (*sp_reports_inst_fn)(void *arg, const char *inst,
				  const struct sp_reports_stats *s);

/* sp_reports_stats fills *out (after a sweep at now) and calls fn (if not
 * NULL) for each institution with a count, in name order. A non-zero
 * return from fn stops and is returned. */
int sp_reports_stats(struct sp_reports *r, uint64_t now, struct sp_reports_stats *out,
		     sp_reports_inst_fn fn, void *arg);

/* ---- the change feed ------------------------------------------------------------ */

/* sp_reports_changes calls fn, in order, for up to limit changes numbered
 * from `from` on: a report new to the index, or whose status, holders,
 * escalations, overdue flag, answer or rating changed (deadlines passed
 * by now are swept first). fn gets the report's summary with those fields
 * as they were at that change. *next gets the number to ask from next
 * time. A rebuild of the index records no change (what it derives again is
 * not news) and numbering goes on across it. SP_ERR_BUSY while the index
 * is rebuilt, store errors; a non-zero return from fn stops and is
 * returned (*next then names that change). */
int sp_reports_changes(struct sp_reports *r, uint64_t from, size_t limit, uint64_t now,
		       sp_reports_fn fn, void *arg, uint64_t *next);

/* sp_reports_change_end: the number the next change will get. */
uint64_t sp_reports_change_end(struct sp_reports *r);

/* sp_reports_changes_prune removes the feed's changes numbered below
 * `before` (at most up to its end): what every reader of the feed has
 * passed, so that the feed does not grow with every change ever made.
 * *n (optional) gets how many were removed. Store errors. */
int sp_reports_changes_prune(struct sp_reports *r, uint64_t before, size_t *n);

/* sp_reports_change_floor: the lowest change number the feed still keeps
 * (its end when it keeps none); changes below it were pruned. */
uint64_t sp_reports_change_floor(struct sp_reports *r);

/* sp_reports_indexed: how many entries of store log `log` the index has
 * taken in (its high-water mark; 0 for a log it has not reached). Store
 * errors. Any thread. */
int sp_reports_indexed(struct sp_reports *r, uint32_t log, uint64_t *size);

/* sp_reports_gen: a number that moves whenever the index commits a write
 * (entries indexed, deadlines swept, a rebuild's batches): what is derived
 * from the index may be kept while it stays the same (the dashboard's
 * cache, sp_dash.h). In memory only; any thread. */
uint64_t sp_reports_gen(struct sp_reports *r);

/* Per-institution figures (the Transparansi page), from counters kept up
 * to date with the index: received (reports it held at some time), in hand
 * (it holds them now and they are not closed), overdue (of those, past a
 * deadline); for the institution that held a report last: answered, the
 * reporters' ratings (how many, their sum) and the median time from
 * submission to the first answer, known to within 3.2% (the counters hold
 * answer times in buckets 1/16 of a power of two wide; the median is the
 * middle of the bucket it falls in, exact below 16 ms). */
struct sp_reports_inst_fig {
	uint64_t received, in_hand, overdue, answered, ratings, rating_sum;
	int has_median;            /* 0: nothing answered */
	uint64_t median_answer_ms;
};

typedef int (*sp_reports_fig_fn)(void *arg, const char *inst,
				 const struct sp_reports_inst_fig *f);

/* Answers made from the counters alone (sp_reports_stats,
 * sp_reports_inst_figures), kept by sp_reports_memo. */
enum { SP_REPORTS_MEMO_STATS, SP_REPORTS_MEMO_INST_FIGURES, SP_REPORTS_MEMOS };

/* Writes a memo's text to out; 0 or an error (nothing kept). */
typedef int (*sp_reports_memo_fn)(void *arg, struct sp_buf *out);

/* sp_reports_memo appends to out the text that make wrote for `slot` with
 * the counters as they are now (after a sweep at now): kept from an earlier
 * call while no counter changed since, else made now and kept. Answers
 * read from the counters are then computed once per change of the counters,
 * not once per request (a national node's /v1/stats names 563
 * institutions). make must depend on the counters alone. Errors: make's,
 * SP_ERR_BUSY while the index is rebuilt, SP_ERR_NOMEM. */
int sp_reports_memo(struct sp_reports *r, unsigned slot, uint64_t now, sp_reports_memo_fn make,
		    void *arg, struct sp_buf *out);

/* sp_reports_inst_figures calls fn for each institution with a figure, in
 * name order (after a sweep at now). A non-zero return from fn stops and
 * is returned. SP_ERR_BUSY while the index is rebuilt, store errors. */
int sp_reports_inst_figures(struct sp_reports *r, uint64_t now, sp_reports_fig_fn fn, void *arg);

/* sp_reports_bucket: the answer-time bucket of d ms (d itself below 16;
 * then 16 per power of two); sp_reports_bucket_mid: the middle of bucket
 * b (what a median in it is given as). */
unsigned sp_reports_bucket(uint64_t d);
uint64_t sp_reports_bucket_mid(unsigned b);

#endif

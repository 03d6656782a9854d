/*
 * sp_dash.h - the coordinator's dashboard figures, computed live from the
 * node's report index: per institution of a subtree of the tier tree (the
 * whole federation from the coordinator, a province's own subtree), per
 * tier and for the subtree, the flows between institutions, a weekly
 * series of received and finished, and the overdue list with escalation
 * state. Every figure means what it means in `simpul audit` (the same
 * code: protocol/sp_hfig.h), and is computed at the checkpoints the node
 * holds (each log's latest signed checkpoint: entries past it are left
 * out), so `simpul audit --at <at>` over the same checkpoints gives the
 * same numbers. docs/audit.md (the dashboard), docs/api.md.
 */
#ifndef SP_DASH_H
#define SP_DASH_H

#include <stddef.h>
#include <stdint.h>

#include "sp_dirload.h"
#include "sp_hfig.h"
#include "sp_reports.h"
#include "sp_store.h"

#define SP_DASH_OVERDUE_MAX 500 /* longest overdue list kept (the total is counted) */
#define SP_DASH_WEEKS_MAX 156   /* longest weekly series (three years) */
#define SP_DASH_WEEK_TZ_MS (7ull * 3600 * 1000) /* weeks begin Monday 00:00 WIB */

/* One log and the checkpoint the figures were computed at (size 0 and
 * has_cp 0: no signed checkpoint held, nothing of it counted). */
struct sp_dash_log {
	char origin[SP_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t root[32];
	int has_cp;
};

struct sp_dash_inst {
	char id[SP_INST_ID_MAX + 1];
	char name[SP_DIR_NAME_MAX + 1];
	char parent[SP_INST_ID_MAX + 1];
	unsigned tier;
	struct sp_hfig_row row;
};

struct sp_dash_flow {
	char from[SP_INST_ID_MAX + 1], to[SP_INST_ID_MAX + 1];
	uint64_t forwarded, returned;
};

struct sp_dash_week {
	uint64_t start_ms;           /* Monday 00:00 WIB */
	uint64_t received, finished; /* came into the subtree's hands / closed on its answer */
};

struct sp_dash_overdue {
	uint8_t id[SP_HASH_BYTES];
	char holders[SP_HFIG_CHAIN_MAX]; /* its holders in the subtree, space-separated */
	char category[SP_DIR_CATEGORY_MAX + 1];
	char region[SP_DIR_REGION_MAX + 1];
	int status, stage;               /* enum sp_report_status, sp_report_stage */
	uint64_t submitted_ms, deadline_ms;
	unsigned escalations, acted, unacted;
};

struct sp_dash {
	char scope[SP_INST_ID_MAX + 1]; /* the subtree's root */
	uint64_t at;                    /* "now" of every figure (ms) */
	struct sp_hfig_period period;   /* only reports submitted in it */
	char month[8];                  /* "YYYY-MM" the period is, "" for all */
	struct sp_dash_log *logs;
	size_t n_logs;
	struct sp_dash_inst *inst;      /* the subtree, sorted by id */
	size_t n_inst, cap_inst;
	struct sp_hfig_row tier[SP_HFIG_TIERS], all; /* sums over the subtree */
	uint64_t reports;               /* reports the subtree took part in */
	uint64_t status[8];             /* ... by status */
	uint64_t past_checkpoint;       /* reports left out: submitted past a checkpoint */
	struct sp_dash_flow *flows;     /* pairs with an end in the subtree */
	size_t n_flows, cap_flows;
	struct sp_dash_week *weeks;     /* first week with anything .. the week of at */
	size_t n_weeks;
	struct sp_dash_overdue *overdue; /* most overdue first */
	size_t n_overdue, cap_overdue;
	uint64_t overdue_total;
	unsigned refs;                  /* sp_dash_cache's lock: holders of a shared one */
};

/* What to compute: the subtree of scope (NULL or "": the coordinator's,
 * i.e. everything) at time at; with month ("YYYY-MM", NULL or "": all),
 * only the reports submitted in that month (sp_hfig_month). */
struct sp_dash_ask {
	const char *scope;
	uint64_t at;
	const char *month;
};

/* sp_dash_compute computes the figures asked into a new *out
 * (sp_dash_free). SP_ERR_UNKNOWN_INSTITUTION (scope not in the directory),
 * SP_ERR_ARG (no directory), SP_ERR_RANGE (month not YYYY-MM), SP_ERR_BUSY
 * (the index is being rebuilt), SP_ERR_NOMEM, store errors. */
int sp_dash_compute(struct sp_store *store, struct sp_reports *reports, const struct sp_dirload *dl,
		    const struct sp_dash_ask *ask, struct sp_dash **out);

void sp_dash_free(struct sp_dash *d);

/* ---- the cache ------------------------------------------------------------------- */

/* A national node's figures take a pass over every report it indexed
 * (minutes on a loaded machine at 100,000 reports: BENCHMARKS.md), and the
 * page asks for them again at each visit. The cache keeps the last few
 * results, each with what it was computed from: every log's signed
 * checkpoint size (entries past it are not counted), the directory log's
 * size, the scope, the month and `at`; and, while the index has not yet
 * taken in every entry below those checkpoints, the index's generation
 * (sp_reports_gen). A result is reused while all of those are unchanged
 * and, when the caller did not fix `at` (the figures "now"), its
 * computation ended at most SP_DASH_CACHE_MS ago: time alone makes reports
 * overdue, and the answer says at_ms, the time it is true at (on a loaded
 * national node that may be minutes before: the computation's start). (`past_checkpoint`,
 * the reports beyond the checkpoints, is as of the computation.) */
#define SP_DASH_CACHE_MS 30000
#define SP_DASH_CACHE_SLOTS 8

struct sp_dash_cache;

/* sp_dash_cache_new makes an empty cache (*out is the caller's;
 * SP_ERR_NOMEM); sp_dash_cache_free releases it and its results (NULL:
 * no-op), once no result it gave out is still held. */
int sp_dash_cache_new(struct sp_dash_cache **out);
void sp_dash_cache_free(struct sp_dash_cache *c);

/* sp_dash_get: the figures asked, from the cache or computed (and kept).
 * ask->at is the time wanted; at_fixed 0 means "now": a result of the
 * same inputs whose computation ended since ask->at - SP_DASH_CACHE_MS
 * does. *out is
 * shared and read-only: give it back with sp_dash_put. Errors as
 * sp_dash_compute. */
int sp_dash_get(struct sp_dash_cache *c, struct sp_store *store, struct sp_reports *reports,
		const struct sp_dirload *dl, const struct sp_dash_ask *ask, int at_fixed,
		const struct sp_dash **out);
void sp_dash_put(struct sp_dash_cache *c, const struct sp_dash *d);

/* sp_dash_cache_counts: answers from the cache, and computations. */
void sp_dash_cache_counts(struct sp_dash_cache *c, uint64_t *hits, uint64_t *misses);

/* sp_dash_find: the institution id of the subtree, or NULL. */
const struct sp_dash_inst *sp_dash_find(const struct sp_dash *d, const char *id);

#endif

/*
 * sp_fedaudit_fig.h - the handling figures of a federation audit, per
 * institution, per tier and for the whole federation, derived from report
 * states recomputed from verified trails (docs/audit.md defines each).
 */
#ifndef SP_FEDAUDIT_FIG_H
#define SP_FEDAUDIT_FIG_H

#include <stddef.h>
#include <stdint.h>

#include "sp_fedaudit.h"

#define SP_FA_TIERS 6           /* enum sp_dir_tier */
#define SP_FA_THRESHOLD 0.5     /* KemenPAN-RB: share followed up */
#define SP_FA_LIST_MAX 1000     /* longest list of reports kept per kind */

/* Durations (ms) collected, then summarised. */
struct sp_fa_durs {
	uint64_t *v;
	size_t n, cap;
};

/* n, median and 90th percentile of one kind of duration. */
struct sp_fa_stat {
	uint64_t n, median_ms, p90_ms;
};

/* Counts for one institution, one tier or the federation. */
struct sp_fa_counts {
	uint64_t received;        /* reports that came into its hands (distinct) */
	uint64_t routed;          /* of those, routed to it at submission */
	uint64_t responded;       /* holding periods with a first officer action by it */
	uint64_t responded_in_time; /* ... within the verify deadline of the period's start */
	uint64_t verified;        /* verifikasi actions applied */
	uint64_t forwarded;       /* disposisi actions applied */
	uint64_t bounced;         /* bukan_wewenang actions applied (returned by it) */
	uint64_t bounced_to;      /* reports returned to it by others */
	uint64_t taken_over;      /* ambil_alih actions applied (it took over) */
	uint64_t taken_from;      /* holding periods ended by another's take-over */
	uint64_t answered;        /* tindak_lanjut actions applied */
	uint64_t finished;        /* reports closed (selesai) on its answer */
	uint64_t auto_closed;     /* ... of which by the reporter's window running out */
	uint64_t reopened;        /* buka_kembali after its answer */
	uint64_t rated;           /* ratings of its answers */
	uint64_t rating_sum;
	uint64_t archived;        /* arsip actions applied */
	uint64_t missed;          /* escalations applied (written by its node as holder) */
	uint64_t esc_acted;       /* ... followed by an officer action on the report */
	uint64_t esc_unacted;     /* ... with no officer action after it */
	uint64_t held_now;        /* reports it holds at the audit's time */
	uint64_t overdue_now;     /* ... past their deadline */
	uint64_t past_ceiling;    /* ... open beyond the ceiling (60 days) */
	uint64_t responsible;     /* reports it held and did not hand on */
	uint64_t followed_up;     /* ... that it answered */
};

struct sp_fa_row {
	char id[SP_INST_ID_MAX + 1];
	struct sp_fa_counts c;
	struct sp_fa_durs hand_d, respond_d, answer_d; /* freed once summarised */
	struct sp_fa_stat hand, respond, answer;
};

/* A report listed by the audit (long routing chain, open past the ceiling,
 * escalation nobody acted on). */
struct sp_fa_listed {
	uint8_t id[SP_HASH_BYTES];
	char what[160]; /* the chain, or the holders */
	uint64_t n;     /* institutions in the chain, or days open */
};

struct sp_fa_list {
	struct sp_fa_listed *v;
	size_t n, cap;
	uint64_t total; /* including those beyond SP_FA_LIST_MAX */
};

struct sp_fa_fig {
	struct sp_fa_row *inst;        /* parallel to the audit's logs */
	size_t n_inst;
	struct sp_fa_row tier[SP_FA_TIERS];
	struct sp_fa_row all;
	uint64_t reports;              /* reports whose submission verified */
	uint64_t status[8];            /* by enum sp_report_status */
	uint64_t bounce_hist[4];       /* reports bounced 0, 1, 2, 3+ times */
	uint64_t trail_applied, trail_refused; /* trail entries applied / refused by the rules */
	uint64_t orphans;              /* trail entries whose report is in no verified log */
	uint64_t bad_bodies;           /* report entries whose body does not parse */
	uint64_t escalations, esc_acted, esc_unacted;
	struct sp_fa_list chains, ceiling, unacted;
};

/* sp_fa_fig_free releases f (NULL: no-op). */
void sp_fa_fig_free(struct sp_fa_fig *f);

/* sp_fa_rate: followed_up / responsible, -1 when nothing was its to do. */
double sp_fa_rate(const struct sp_fa_counts *c);

#endif

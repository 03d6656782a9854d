/*
 * sp_hfig.h - the handling figures of docs/audit.md, shared by `simpul
 * audit` (tools/sp_fedaudit_fig.c, over verified logs) and the node's
 * coordinator dashboard (node/sp_dash.c, over its report index), so both
 * give a figure the same meaning: what each applied step of one report's
 * trail means for each institution (events, sp_hfig_report), the counters
 * and durations they add up to (rows), and the row's CSV form.
 *
 * Pure: no I/O, no clock ("now" is an argument).
 */
#ifndef SP_HFIG_H
#define SP_HFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sp_buf.h"
#include "sp_report.h"

#define SP_HFIG_TIERS 6       /* enum sp_dir_tier */
#define SP_HFIG_THRESHOLD 0.5 /* KemenPAN-RB: share of complaints followed up */
#define SP_HFIG_CHAIN_MAX 160 /* the routing chain as text ("a>b>c") */

/* What happened to one institution in one report. */
enum sp_hfig_kind {
	SP_HF_RECEIVED, /* v: when it first came into its hands (ms) */
	SP_HF_ROUTED, SP_HF_RESPONDED, SP_HF_RESPONDED_IN_TIME, SP_HF_VERIFIED, SP_HF_FORWARDED,
	SP_HF_BOUNCED, SP_HF_BOUNCED_TO, SP_HF_TOOK, SP_HF_TAKEN_FROM, SP_HF_ANSWERED,
	SP_HF_FINISHED, /* v: when the report was closed (ms) */
	SP_HF_AUTO, SP_HF_REOPENED,
	SP_HF_RATED, /* v: the rating */
	SP_HF_ARCHIVED, SP_HF_MISSED, SP_HF_ESC_ACTED, SP_HF_ESC_UNACTED, SP_HF_HELD,
	SP_HF_OVERDUE, SP_HF_PAST_CEILING, SP_HF_RESPONSIBLE, SP_HF_FOLLOWED, SP_HF_NOT_YET_DUE,
	SP_HF_HAND_D, SP_HF_RESPOND_D, SP_HF_ANSWER_D, /* v: a duration (ms) */
	SP_HF_FLOW_FWD,  /* inst forwarded it (disposisi) to `to` */
	SP_HF_FLOW_BACK, /* inst returned it (bukan_wewenang) to `to` */
};

struct sp_hfig_ev {
	const char *inst; /* borrowed: from the steps or the state passed in */
	const char *to;   /* flows only */
	uint32_t kind;    /* enum sp_hfig_kind */
	uint64_t v;
};

/* One applied entry of a trail, in applying order. */
struct sp_hfig_step {
	const char *inst; /* whose log holds it (borrowed) */
	uint64_t t;       /* the entry's time, ms */
	uint64_t type;    /* SP_EV_ACTION or SP_EV_ESCALATION */
	uint32_t code;    /* action code, 0 for an escalation */
	int officer;      /* an officer's action (not the reporter's) */
	uint32_t rating;
};

/* sp_hfig_step_of fills *s from an applied entry (body of type `type`).
 * SP_ERR_REPORT_FIELD, SP_ERR_CBOR_*: the body does not parse. */
int sp_hfig_step_of(const char *inst, uint64_t t, uint64_t type, const uint8_t *body, size_t len,
		    struct sp_hfig_step *s);

/* What one report contributes: events, and what the lists need. Owns ev
 * (sp_hfig_report_free); the events borrow the steps' and state's names. */
struct sp_hfig_report {
	struct sp_hfig_ev *ev;
	size_t n_ev, cap_ev;
	unsigned chain_n;              /* institutions its routing crossed */
	char chain[SP_HFIG_CHAIN_MAX]; /* in order, '>'-separated */
	int open;                      /* diterima, diverifikasi, tunda, didisposisikan */
	int past_ceiling;              /* open beyond the ceiling at now */
	uint64_t age_days;             /* since submission, at now */
	unsigned unacted, acted;       /* escalations nobody acted on / acted on */
};

/* sp_hfig_report derives the events of one report from its state st
 * (sp_report_compute at now) and its applied steps s[0..n) in applying
 * order; cal gives the verify deadline. *out is zeroed first.
 * SP_ERR_NOMEM (out holds what was derived; free it). */
int sp_hfig_report(const struct sp_report_state *st, const struct sp_hfig_step *s, size_t n,
		   const struct sp_cal *cal, uint64_t now, struct sp_hfig_report *out);

void sp_hfig_report_free(struct sp_hfig_report *p);

/* ---- sums ---------------------------------------------------------------------- */

/* Counts for one institution, one tier, a subtree or the federation. */
struct sp_hfig_counts {
	uint64_t received;          /* reports that came into its hands (distinct) */
	uint64_t routed;            /* of those, routed to it at submission */
	uint64_t responded;         /* holding periods with a first officer action by it */
	uint64_t responded_in_time; /* ... within the verify deadline of the period's start */
	uint64_t verified;          /* verifikasi actions applied */
	uint64_t forwarded;         /* disposisi actions applied */
	uint64_t bounced;           /* bukan_wewenang actions applied (returned by it) */
	uint64_t bounced_to;        /* reports returned to it by others */
	uint64_t taken_over;        /* ambil_alih actions applied (it took over) */
	uint64_t taken_from;        /* holding periods ended by another's take-over */
	uint64_t answered;          /* tindak_lanjut actions applied */
	uint64_t finished;          /* reports closed (selesai) on its answer */
	uint64_t auto_closed;       /* ... of which by the reporter's window running out */
	uint64_t reopened;          /* buka_kembali after its answer */
	uint64_t rated;             /* ratings of its answers */
	uint64_t rating_sum;
	uint64_t archived;          /* arsip actions applied */
	uint64_t missed;            /* escalations applied (written by its node as holder) */
	uint64_t esc_acted;         /* ... followed by an officer action on the report */
	uint64_t esc_unacted;       /* ... with no officer action after it */
	uint64_t held_now;          /* reports it holds at now */
	uint64_t overdue_now;       /* ... past their deadline */
	uint64_t past_ceiling;      /* ... open beyond the ceiling (60 days) */
	uint64_t responsible;       /* reports it held, did not hand on, and are due:
				     * answered by it, past a deadline, or closed */
	uint64_t followed_up;       /* ... that it answered */
	uint64_t not_yet_due;       /* reports it holds, unanswered, before any deadline:
				     * not (yet) in the follow-up rate */
};

/* Durations (ms) collected, then summarised. */
struct sp_hfig_durs {
	uint64_t *v;
	size_t n, cap;
};

/* n, median and 90th percentile (nearest rank) of one kind of duration. */
struct sp_hfig_stat {
	uint64_t n, median_ms, p90_ms;
};

/* One row of figures. The durations are owned until summarised. */
struct sp_hfig_row {
	char id[SP_INST_ID_MAX + 1];
	struct sp_hfig_counts c;
	struct sp_hfig_durs hand_d, respond_d, answer_d;
	struct sp_hfig_stat hand, respond, answer;
};

/* sp_hfig_count adds one event to row (flows are not row figures). A
 * duration that cannot be kept (no memory) is left out: n says so. */
void sp_hfig_count(struct sp_hfig_row *row, const struct sp_hfig_ev *e);

/* sp_hfig_row_add adds from's counts and durations to `to`. */
void sp_hfig_row_add(struct sp_hfig_row *to, const struct sp_hfig_row *from);

/* sp_hfig_row_summarise computes the duration stats and frees the
 * durations; sp_hfig_row_free frees them without (both: any time). */
void sp_hfig_row_summarise(struct sp_hfig_row *row);
void sp_hfig_row_free(struct sp_hfig_row *row);

/* sp_hfig_rate: followed_up / responsible, -1 when nothing was its to do. */
double sp_hfig_rate(const struct sp_hfig_counts *c);

/* sp_hfig_rating_mean: mean rating (0 when none). */
double sp_hfig_rating_mean(const struct sp_hfig_counts *c);

/* A period of the figures: the reports submitted in [from_ms, to_ms) only
 * (the cohort a monthly report speaks of); to_ms 0 (all zero): all time. */
struct sp_hfig_period {
	uint64_t from_ms, to_ms;
};

/* sp_hfig_month reads "YYYY-MM" (a calendar month in WIB, as deadlines
 * and the weekly series count days) into *p: 0, or SP_ERR_ARG (not that
 * form, month not 01..12, year not 1970..9999). */
int sp_hfig_month(const char *s, struct sp_hfig_period *p);

/* sp_hfig_in_period: the submission time t is in p. */
int sp_hfig_in_period(const struct sp_hfig_period *p, uint64_t t);

/* sp_hfig_tier_name: "coordinator", "ministry", ... "unit" ("?" beyond). */
const char *sp_hfig_tier_name(unsigned tier);

/* The counters by their stable output names (docs/audit.md), in order. */
struct sp_hfig_counter_def {
	const char *name;
	size_t off;
};
extern const struct sp_hfig_counter_def sp_hfig_counters[];
extern const size_t sp_hfig_n_counters;

/* sp_hfig_counter: counter i of c. */
uint64_t sp_hfig_counter(const struct sp_hfig_counts *c, size_t i);

/* sp_hfig_row_json: a summarised row as JSON (every counter by name,
 * rating_mean, completion_rate, below_threshold, and n/median_ms/p90_ms of
 * time_in_hand, time_to_first_action, time_to_answer); a new reference,
 * NULL if out of memory. */
json_t *sp_hfig_row_json(const struct sp_hfig_row *r);

/* ---- CSV (the monthly report's columns; one format for audit and node) ---------- */

/* sp_hfig_csv_header appends the header line:
 * scope,id,name,tier,log_status,<counters>,rating_mean,completion_rate,
 * below_threshold,<duration>_n,_median_ms,_p90_ms for each duration. */
void sp_hfig_csv_header(struct sp_buf *b);

/* sp_hfig_csv_row appends one summarised row with its leading fields. */
void sp_hfig_csv_row(struct sp_buf *b, const char *scope, const char *id, const char *name,
		     const char *tier, const char *status, const struct sp_hfig_row *r);

/* sp_hfig_csv_text appends s as one CSV field (quoted when it must be). */
void sp_hfig_csv_text(struct sp_buf *b, const char *s);

#endif

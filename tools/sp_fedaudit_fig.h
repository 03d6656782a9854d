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
#include "sp_hfig.h"

#define SP_FA_LIST_MAX 1000     /* longest list of reports kept per kind */

/* A report listed by the audit (long routing chain, open past the ceiling,
 * escalation nobody acted on). */
struct sp_fa_listed {
	uint8_t id[SP_HASH_BYTES];
	char what[SP_HFIG_CHAIN_MAX]; /* the chain, or the holders */
	uint64_t n;     /* institutions in the chain, or days open */
};

struct sp_fa_list {
	struct sp_fa_listed *v;
	size_t n, cap;
	uint64_t total; /* including those beyond SP_FA_LIST_MAX */
};

/* How often one institution sent reports to another (disposisi) and
 * returned them to it (bukan_wewenang); indexes into the audit's logs. */
struct sp_fa_flow {
	uint32_t from, to;
	uint64_t forwarded, returned;
};

struct sp_fa_fig {
	struct sp_hfig_row *inst;        /* parallel to the audit's logs */
	size_t n_inst;
	struct sp_hfig_row tier[SP_HFIG_TIERS];
	struct sp_hfig_row all;
	uint64_t reports;              /* reports whose submission verified */
	uint64_t status[8];            /* by enum sp_report_status */
	uint64_t bounce_hist[4];       /* reports bounced 0, 1, 2, 3+ times */
	uint64_t trail_applied, trail_refused; /* trail entries applied / refused by the rules */
	uint64_t orphans;              /* trail entries whose report is in no verified log */
	uint64_t bad_bodies;           /* report entries whose body does not parse */
	uint64_t outside_period;       /* reports submitted outside o.period (not counted) */
	uint64_t escalations, esc_acted, esc_unacted;
	struct sp_fa_list chains, ceiling, unacted;
	struct sp_fa_flow *flows;      /* in order first seen */
	size_t n_flows, cap_flows;
};

/* sp_fa_fig_free releases f (NULL: no-op). */
void sp_fa_fig_free(struct sp_fa_fig *f);

#endif

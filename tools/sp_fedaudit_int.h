/*
 * sp_fedaudit_int.h - private to sp_fedaudit_out.c and sp_fedaudit_html.c:
 * the table of counters every output uses, and small formatting helpers.
 */
#ifndef SP_FEDAUDIT_INT_H
#define SP_FEDAUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sp_buf.h"
#include "sp_fedaudit_fig.h"

/* One counter of struct sp_fa_counts: its output name and where it is. */
struct sp_fa_counter_def {
	const char *name;
	size_t off;
};

extern const struct sp_fa_counter_def sp_fa_counters[];
extern const size_t sp_fa_n_counters;

/* sp_fa_counter: counter i of c. */
uint64_t sp_fa_counter(const struct sp_fa_counts *c, size_t i);

/* sp_fa_tier_name: "coordinator", "ministry", ... "unit". */
const char *sp_fa_tier_name(unsigned tier);

/* sp_fa_rating_mean: mean rating (0 when none). */
double sp_fa_rating_mean(const struct sp_fa_counts *c);


#endif

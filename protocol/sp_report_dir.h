/*
 * sp_report_dir.h - the context sp_report_compute needs (officer
 * enrolments, tier parents, the coordinator, which institutions exist, the
 * deadline policy), backed by a directory. The node's report index and the
 * coordinator's audit both use it, so a report's state is computed from
 * the same facts wherever it is computed.
 */
#ifndef SP_REPORT_DIR_H
#define SP_REPORT_DIR_H

#include "sp_cal.h"
#include "sp_dir.h"
#include "sp_report.h"

/* What the context reads: the directory, and the caller's own answer to
 * "is this report known here" (the reports it holds). */
struct sp_report_dir {
	const struct sp_dir *dir; /* NULL: no officers, parents or coordinator */
	int (*report_known)(void *arg, const uint8_t id[SP_HASH_BYTES]); /* NULL: not checked */
	void *report_arg;
};

/* sp_report_dir_ctx fills ctx from rd (borrowed, with its directory, for
 * ctx's lifetime) and cal (NULL: weekends only). The policy is the
 * directory's for `category` (NULL or unknown: dflt). */
void sp_report_dir_ctx(const struct sp_report_dir *rd, const struct sp_cal *cal,
		       const char *category, struct sp_report_policy dflt,
		       struct sp_report_ctx *ctx);

#endif

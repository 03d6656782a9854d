/*
 * sp_dirlog.h - applying the coordinator's directory log, one entry at a
 * time, to a directory and a working-day calendar: what a node does at
 * start and as the log grows (node/sp_dirload.c), and what the
 * coordinator's audit does from the verified log (tools/sp_fedaudit.c), so
 * both build the same directory and calendar from the same entries.
 */
#ifndef SP_DIRLOG_H
#define SP_DIRLOG_H

#include "sp_cal.h"
#include "sp_dir.h"
#include "sp_entry.h"

/* sp_dirlog_apply applies entry e (signature verified by the caller): a
 * calendar record goes to cal; anything else to d (sp_dir_apply: directory
 * records, and admin requests, checked and applied there), and a calendar
 * an accepted admin request carries, to cal. *rec is the record itself (e,
 * or the one the request carries; it borrows e's body). Errors: those of
 * sp_dir_apply and sp_cal_load_year; on error nothing changed. */
int sp_dirlog_apply(struct sp_dir *d, struct sp_cal *cal, const struct sp_entry *e,
		    struct sp_entry *rec);

#endif

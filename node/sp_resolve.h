/*
 * sp_resolve.h - applying the national coordinator's fork resolutions
 * (SP_EV_FORK_RESOLVE records in the directory log, sp_dir.h) to the
 * node's store: at start for every one in the log, and live for each one
 * that arrives by replication or that this node (the coordinator) writes.
 * See docs/replication.md 10.10.
 */
#ifndef SP_RESOLVE_H
#define SP_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "sp_dir.h"
#include "sp_logx.h"
#include "sp_reports.h"
#include "sp_store.h"

struct sp_resolve_ctx {
	struct sp_store *store;
	const struct sp_dir *dir;    /* the node's directory (read only) */
	struct sp_reports *reports;  /* rebuilt when entries are set aside; may be NULL */
	struct sp_logx *log;
	const char *federation;      /* origins are "<federation>/<institution>" */
	/* optional: the institution whose log was resolved is no longer held
	 * off for the fork (sp_peer_forgive) */
	void (*forgive)(void *arg, const char *inst);
	void *forgive_arg;
};

/* sp_resolve_entry applies entry buf[0..len) of the directory log (its
 * signature checked by the store) if it is a fork resolution in force
 * (sp_dir_forkres_entry), unless the log already carries that very
 * resolution; for a log this store does not hold yet it is kept for when
 * the log is first fetched (sp_store_fork_resolve_origin). Other entries
 * are 0; so is a record the directory refuses
 * (sp_dir_forkres_entry), which is logged and changes nothing. Store
 * errors are returned. */
int sp_resolve_entry(const struct sp_resolve_ctx *c, const uint8_t *buf, size_t len);

/* sp_resolve_entries: sp_resolve_entry on each of entries[0..n), going on
 * past errors; the first one is returned. */
int sp_resolve_entries(const struct sp_resolve_ctx *c, const uint8_t *const *entries,
		       const size_t *lens, size_t n);

/* sp_resolve_log: sp_resolve_entry on every entry of log id (at start). */
int sp_resolve_log(const struct sp_resolve_ctx *c, uint32_t id);

#endif

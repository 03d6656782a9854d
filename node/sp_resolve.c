/*
 * sp_resolve.c - applying the coordinator's fork resolutions to the store
 * (see sp_resolve.h). The directory is only read here: a resolution
 * changes no directory state, so applying one live needs no lock on it.
 */
#include "sp_resolve.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"

/* origin_of: the origin of institution inst's log. */
static int origin_of(const struct sp_resolve_ctx *c, const char *inst,
		     char origin[SP_ORIGIN_MAX + 1])
{
	int n = snprintf(origin, SP_ORIGIN_MAX + 1, "%s/%s", c->federation, inst);
	return n < 0 || n > SP_ORIGIN_MAX ? SP_ERR_ARG : 0;
}

/* already: the log carries this resolution (a restart, or a record seen twice). */
static int already(const struct sp_resolve_ctx *c, uint32_t id, const struct sp_dir_forkres *r)
{
	struct sp_log_info info;
	return sp_store_log_info(c->store, id, &info) == 0 && info.resolved &&
	       info.res_size == r->size && memcmp(info.res_root, r->root, 32) == 0;
}

static int apply(const struct sp_resolve_ctx *c, const struct sp_dir_forkres *r)
{
	char origin[SP_ORIGIN_MAX + 1];
	uint32_t id;
	if (origin_of(c, r->inst, origin) != 0)
		return 0;
	int held = sp_store_log_find(c->store, origin, &id) == 0;
	if (held && already(c, id, r))
		return 0;
	uint64_t moved = 0;
	/* A log not held yet takes it when it is first fetched. */
	int rc = sp_store_fork_resolve_origin(c->store, origin, r->size, r->root, &moved);
	if (rc == 0 && !held)
		return 0;
	char officer[17];
	sodium_bin2hex(officer, sizeof(officer), r->officer, 8);
	if (rc) {
		sp_logx(c->log, SP_LOGX_ERROR, "fork", "resolution not applied inst=%s err=%s",
			r->inst, sp_errname(rc));
		return rc;
	}
	struct sp_log_info info;
	sp_store_log_info(c->store, id, &info);
	sp_logx(c->log, info.res_lost ? SP_LOGX_ERROR : SP_LOGX_WARN, "fork",
		"fork resolved by the coordinator inst=%s size=%llu officer=%s set_aside=%llu "
		"frozen=%d%s",
		r->inst, (unsigned long long)r->size, officer, (unsigned long long)moved,
		info.frozen, info.res_lost ? " own log on the branch resolved away: appends stop" : "");
	if (c->forgive)
		c->forgive(c->forgive_arg, r->inst);
	if (moved > 0 && c->reports) /* reports recorded on the other branch are gone */
		rc = sp_reports_rebuild(c->reports);
	return rc;
}

int sp_resolve_entry(const struct sp_resolve_ctx *c, const uint8_t *buf, size_t len)
{
	struct sp_dir_forkres r;
	uint64_t index = 0;
	int rc = sp_dir_forkres_entry(c->dir, buf, len, &r, &index);
	if (rc == SP_ERR_NOT_FOUND)
		return 0;
	if (rc) { /* the directory refuses it too: it changes nothing */
		sp_logx(c->log, SP_LOGX_WARN, "fork", "fork resolution refused index=%llu err=%s",
			(unsigned long long)index, sp_errname(rc));
		return 0;
	}
	return apply(c, &r);
}

int sp_resolve_entries(const struct sp_resolve_ctx *c, const uint8_t *const *entries,
		       const size_t *lens, size_t n)
{
	int first = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = sp_resolve_entry(c, entries[i], lens[i]);
		if (first == 0)
			first = rc;
	}
	return first;
}

static int resolve_one(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	(void)index;
	return sp_resolve_entry(arg, entry, len);
}

int sp_resolve_log(const struct sp_resolve_ctx *c, uint32_t id)
{
	struct sp_log_info info;
	int rc = sp_store_log_info(c->store, id, &info);
	return rc ? rc : sp_store_scan(c->store, id, 0, info.size, resolve_one, (void *)c);
}

/*
 * sp_report_dir.c - the sp_report_compute context backed by a directory
 * (see sp_report_dir.h).
 */
#include "sp_report_dir.h"

#include <string.h>

#include "sp_err.h"

static const struct sp_dir *dir_of(void *arg)
{
	return ((const struct sp_report_dir *)arg)->dir;
}

static int ctx_officer(void *arg, const uint8_t key[SP_KEY_BYTES], uint64_t t,
		       char inst[SP_INST_ID_MAX + 1])
{
	struct sp_dir_officer o;
	const struct sp_dir *d = dir_of(arg);
	int rc = d ? sp_dir_officer(d, key, t, &o) : SP_ERR_UNKNOWN_OFFICER;
	if (rc == 0)
		memcpy(inst, o.inst, sizeof(o.inst));
	return rc;
}

static int ctx_parent(void *arg, const char *inst, char parent[SP_INST_ID_MAX + 1])
{
	const struct sp_dir *d = dir_of(arg);
	int rc = d ? sp_dir_parent(d, inst, parent) : SP_ERR_UNKNOWN_INSTITUTION;
	if (rc == SP_ERR_NOT_FOUND) { /* the coordinator: the root of the tree */
		parent[0] = '\0';
		rc = 0;
	}
	return rc;
}

static int ctx_coord(void *arg, const char *inst)
{
	const struct sp_dir *d = dir_of(arg);
	return d ? sp_dir_is_coordinator(d, inst) : 0;
}

static int ctx_inst_known(void *arg, const char *inst, uint64_t t)
{
	const struct sp_dir *d = dir_of(arg);
	struct sp_dir_inst rec;
	return d && sp_dir_institution(d, inst, t, &rec) == 0;
}

static int ctx_heir(void *arg, const char *inst, uint64_t t, char heir[SP_INST_ID_MAX + 1])
{
	const struct sp_dir *d = dir_of(arg);
	return d ? sp_dir_heir(d, inst, t, heir) : SP_ERR_NOT_FOUND;
}

static int ctx_report_known(void *arg, const uint8_t id[SP_HASH_BYTES])
{
	const struct sp_report_dir *rd = arg;
	return rd->report_known(rd->report_arg, id);
}

void sp_report_dir_ctx(const struct sp_report_dir *rd, const struct sp_cal *cal,
		       const char *category, struct sp_report_policy dflt,
		       struct sp_report_ctx *ctx)
{
	*ctx = (struct sp_report_ctx){
		.arg = (void *)rd,
		.officer_institution = ctx_officer,
		.parent_of = ctx_parent,
		.is_coordinator = ctx_coord,
		.institution_known = ctx_inst_known,
		.report_known = rd->report_known ? ctx_report_known : NULL,
		.heir_of = ctx_heir,
		.policy = dflt,
		.cal = cal,
	};
	struct sp_dir_policy p;
	if (rd->dir && category && sp_dir_policy_for(rd->dir, category, &p) == 0)
		ctx->policy = (struct sp_report_policy){p.verify, p.answer, p.window, p.ceiling};
}

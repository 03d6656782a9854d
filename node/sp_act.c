/*
 * sp_act.c - taking in a signed action: the checks, the claim on the
 * report and the durable, indexed append (see sp_act.h).
 */
#include "sp_act.h"

#include <stdlib.h>
#include <string.h>

#include "sp_clock.h"
#include "sp_err.h"
#include "sp_reports.h"

int sp_act_check(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], uint64_t type,
		 const uint8_t *raw, size_t len)
{
	uint32_t log;
	uint64_t size;
	int rc = sp_node_own_log(n, &log, &size);
	struct sp_reports_extra x = {sp_node_conf(n)->id, size, type, raw, len};
	struct sp_reports_view v;
	if (rc == 0)
		rc = sp_reports_view(sp_node_reports(n), id, sp_now_ms(), &x, &v);
	if (rc == 0) {
		rc = v.st.verdict[v.n - 1];
		sp_reports_view_free(&v);
	}
	return rc;
}

int sp_act_prepare(struct sp_node *n, const struct sp_report_action *a, const uint8_t *raw,
		   size_t len)
{
	int rc = 0;
	if (a->actor == SP_ACTOR_OFFICER)
		rc = sp_report_action_verify_officer(a);
	if (rc == 0)
		rc = sp_reports_pending(sp_node_reports(n), a->report);
	if (rc == 0) {
		rc = sp_act_check(n, a->report, SP_EV_ACTION, raw, len);
		if (rc)
			sp_act_release(n, a->report);
	}
	return rc;
}

void sp_act_release(struct sp_node *n, const uint8_t id[SP_HASH_BYTES])
{
	sp_reports_unpend(sp_node_reports(n), id);
}

int sp_act_append(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], const uint8_t *raw,
		  size_t len, sp_append_cb done, void *arg)
{
	int rc = sp_node_append_indexed(n, SP_EV_ACTION, raw, len, id, done, arg);
	if (rc)
		sp_act_release(n, id);
	return rc;
}

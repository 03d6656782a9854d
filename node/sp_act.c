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

/* check_act runs the rules: the candidate entry must be applied. */
static int check_act(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], const uint8_t *raw,
		     size_t len)
{
	uint32_t log;
	uint64_t size;
	int rc = sp_node_own_log(n, &log, &size);
	struct sp_reports_extra x = {sp_node_conf(n)->id, size, SP_EV_ACTION, raw, len};
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
		rc = check_act(n, a->report, raw, len);
		if (rc)
			sp_act_release(n, a->report);
	}
	return rc;
}

void sp_act_release(struct sp_node *n, const uint8_t id[SP_HASH_BYTES])
{
	sp_reports_unpend(sp_node_reports(n), id);
}

/* An action on its way to the index, then to the caller. */
struct indexing {
	struct sp_node *n;
	uint8_t id[SP_HASH_BYTES];
	sp_append_cb done;
	void *arg;
};

/* indexed: the store's commit thread, once the entry is durable. */
static void indexed(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	struct indexing *x = arg;
	struct sp_reports *r = sp_node_reports(x->n);
	uint32_t log;
	if (err == 0)
		err = sp_node_own_log(x->n, &log, NULL);
	if (err == 0)
		err = sp_reports_add(r, log, index);
	if (err)
		sp_reports_unpend(r, x->id);
	x->done(x->arg, err, index, hash);
	free(x);
}

int sp_act_append(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], const uint8_t *raw,
		  size_t len, sp_append_cb done, void *arg)
{
	struct indexing *x = malloc(sizeof(*x));
	if (x == NULL) {
		sp_act_release(n, id);
		return SP_ERR_NOMEM;
	}
	x->n = n;
	memcpy(x->id, id, SP_HASH_BYTES);
	x->done = done;
	x->arg = arg;
	int rc = sp_node_append_async(n, SP_EV_ACTION, raw, len, indexed, x);
	if (rc) {
		sp_act_release(n, id);
		free(x);
	}
	return rc;
}

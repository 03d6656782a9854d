/*
 * sp_escalate.c - the escalation writer (see sp_escalate.h): on the
 * node's timer, on a libuv pool thread, it finds the overdue reports this
 * node's institution holds and appends the SP_EV_ESCALATION entry each one
 * is due, once per missed deadline.
 */
#include "sp_escalate.h"

#include <stdlib.h>
#include <string.h>

#include "sp_buf.h"
#include "sp_clock.h"
#include "sp_err.h"
#include "sp_report.h"
#include "sp_reports.h"

struct due {
	const char *inst;
	size_t n, cap;
	uint8_t (*ids)[SP_HASH_BYTES];
};

static int collect_due(void *arg, const struct sp_reports_summary *s)
{
	struct due *d = arg;
	if (!s->overdue || s->n_holders == 0 || strcmp(s->holders[0], d->inst) != 0)
		return 0;
	if (sp_grow((void **)&d->ids, &d->cap, d->n, SP_HASH_BYTES) != 0)
		return SP_ERR_NOMEM;
	memcpy(d->ids[d->n++], s->id, SP_HASH_BYTES);
	return 0;
}

/* escalate_one writes the escalation due for one report, if any. */
static int escalate_one(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], uint64_t now)
{
	struct sp_reports *r = sp_node_reports(n);
	struct sp_reports_view v;
	struct sp_report_escalation x;
	uint8_t *body = NULL;
	size_t len;
	uint64_t index;
	uint32_t log;
	int rc = sp_reports_pending(r, id);
	if (rc)
		return rc == SP_ERR_BUSY ? 0 : rc;
	rc = sp_reports_view(r, id, now, NULL, &v);
	int due = rc == 0 && sp_report_escalation_due(&v.st, now, &x);
	if (rc == 0)
		sp_reports_view_free(&v);
	if (due)
		rc = sp_report_esc_encode(&x, &body, &len);
	if (due && rc == 0)
		rc = sp_store_append(sp_node_store(n), SP_EV_ESCALATION, body, len, &index, NULL);
	if (due && rc == 0)
		rc = sp_node_own_log(n, &log, NULL);
	if (due && rc == 0)
		rc = sp_reports_add(r, log, index);
	if (!due || rc)
		sp_reports_unpend(r, id);
	if (due && rc == 0)
		sp_logx(sp_node_log(n), SP_LOGX_INFO, "reports", "escalated stage=%u index=%llu",
			x.stage, (unsigned long long)index);
	free(body);
	return rc;
}

int sp_escalate_run(struct sp_node *n)
{
	struct due d = {.inst = sp_node_conf(n)->id};
	struct sp_reports_query q = {.status = -1, .overdue = 1, .holder = d.inst};
	uint64_t now = sp_now_ms();
	size_t swept = 0;
	uint64_t t0 = sp_mono_ms();
	/* the deadline index: only the reports whose deadline passed, and then
	 * only those this institution holds, are read */
	int rc = sp_reports_sweep(sp_node_reports(n), now, &swept);
	if (rc == 0)
		rc = sp_reports_query(sp_node_reports(n), &q, now, collect_due, &d, NULL);
	for (size_t i = 0; rc == 0 && i < d.n; i++)
		rc = escalate_one(n, d.ids[i], now);
	uint64_t ms = sp_mono_ms() - t0;
	if (rc)
		sp_logx(sp_node_log(n), SP_LOGX_WARN, "reports", "escalation pass failed err=%s",
			sp_errname(rc));
	else if (d.n || swept || ms >= 100)
		sp_logx(sp_node_log(n), SP_LOGX_INFO, "reports",
			"escalation pass refreshed=%zu due=%zu ms=%llu", swept, d.n,
			(unsigned long long)ms);
	free(d.ids);
	return rc;
}

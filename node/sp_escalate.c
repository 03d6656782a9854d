/*
 * sp_escalate.c - the writer of the entries a node makes on its own (see
 * sp_escalate.h): on the node's timer, on a libuv pool thread, it finds
 * the overdue reports this node's institution holds and appends the
 * SP_EV_ESCALATION entry each one is due, once per missed deadline; for
 * each retired institution whose heir this institution is, the
 * SP_EV_TRANSFER entry that moves each report it held here; and, on the
 * national coordinator's node, the SP_EV_KEY_GRANT entry that gives the
 * holders of a rahasia report that hold no key copy one.
 */
#include "sp_escalate.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_act.h"
#include "sp_buf.h"
#include "sp_clock.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_open.h"
#include "sp_report.h"
#include "sp_reports.h"

/* Report ids collected by a query. */
struct ids {
	const char *holder; /* collect reports it holds (first holder only: `first`) */
	int first;
	size_t n, cap;
	uint8_t (*v)[SP_HASH_BYTES];
};

static int holds(const struct sp_reports_summary *s, const char *inst, int first)
{
	for (size_t i = 0; i < s->n_holders && (i == 0 || !first); i++)
		if (strcmp(s->holders[i], inst) == 0)
			return 1;
	return 0;
}

static int collect_all(void *arg, const struct sp_reports_summary *s)
{
	struct ids *d = arg;
	if (sp_grow((void **)&d->v, &d->cap, d->n, SP_HASH_BYTES) != 0)
		return SP_ERR_NOMEM;
	memcpy(d->v[d->n++], s->id, SP_HASH_BYTES);
	return 0;
}

static int collect(void *arg, const struct sp_reports_summary *s)
{
	struct ids *d = arg;
	return holds(s, d->holder, d->first) ? collect_all(arg, s) : 0;
}

/* decide_fn: from a report's view at now, the body of the entry to write
 * in a new buffer *body (NULL: nothing due). */
typedef int (*decide_fn)(void *arg, const struct sp_reports_view *v, uint64_t now,
			 uint8_t **body, size_t *len);

static int decide_escalation(void *arg, const struct sp_reports_view *v, uint64_t now,
			     uint8_t **body, size_t *len)
{
	(void)arg;
	struct sp_report_escalation x;
	return sp_report_escalation_due(&v->st, now, &x) ? sp_report_esc_encode(&x, body, len) : 0;
}

/* decide_transfer: the retired institution (arg) still holds it. */
static int decide_transfer(void *arg, const struct sp_reports_view *v, uint64_t now,
			   uint8_t **body, size_t *len)
{
	(void)now;
	const char *from = arg;
	const struct sp_report_state *st = &v->st;
	for (size_t i = 0; i < st->n_holders; i++)
		if (strcmp(st->holders[i], from) == 0) {
			struct sp_report_transfer x = {.from = sp_str_of(from)};
			memcpy(x.report, st->id, SP_HASH_BYTES);
			return sp_report_transfer_encode(&x, body, len);
		}
	return 0;
}

static const char *type_what(uint64_t type)
{
	return type == SP_EV_TRANSFER	 ? "took over from a retired holder"
	       : type == SP_EV_KEY_GRANT ? "granted key copies to the holders"
					 : "escalated";
}

/* decide_grant: on the coordinator's node (arg), a rahasia report whose
 * holders include some without a key copy gets a grant of the content
 * key, opened from the coordinator's own copy, sealed to each of them. */
static int decide_grant(void *arg, const struct sp_reports_view *v, uint64_t now,
			uint8_t **body, size_t *len)
{
	struct sp_node *n = arg;
	const struct sp_dirload *dl = sp_node_dir(n);
	char to[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1];
	size_t k = sp_report_keyless(&v->st, to);
	uint8_t key[SP_REPORT_CKEY_BYTES];
	struct sp_report_grant g = {.n_keys = k};
	if (k == 0 || dl == NULL || dl->dir == NULL)
		return 0;
	int rc = sp_open_key(n, v, key);
	for (size_t i = 0; rc == 0 && i < k; i++) {
		struct sp_dir_inst in;
		rc = sp_dir_institution(dl->dir, to[i], now, &in);
		struct sp_report_reader rd = {to[i], in.seal_key};
		if (rc == 0)
			rc = sp_report_seal_key(key, &rd, &g.keys[i]);
	}
	sodium_memzero(key, sizeof(key));
	memcpy(g.report, v->st.id, SP_HASH_BYTES);
	return rc ? rc : sp_report_grant_encode(&g, body, len);
}

/* write_one appends the entry of `type` that decide says report id is due
 * now, if any, and indexes it. A report being acted on is left for later. */
static int write_one(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], uint64_t now,
		     uint64_t type, decide_fn decide, void *arg)
{
	struct sp_reports *r = sp_node_reports(n);
	struct sp_reports_view v;
	uint8_t *body = NULL;
	size_t len = 0;
	uint64_t index;
	uint32_t log;
	int rc = sp_reports_pending(r, id);
	if (rc)
		return rc == SP_ERR_BUSY ? 0 : rc;
	rc = sp_reports_view(r, id, now, NULL, &v);
	if (rc == 0) {
		rc = decide(arg, &v, now, &body, &len);
		sp_reports_view_free(&v);
	}
	/* a transfer or grant is written only if the rules take it (heir,
	 * retired, holder as of this entry), so a pass never repeats a refused one */
	if (rc == 0 && body != NULL && type != SP_EV_ESCALATION &&
	    (rc = sp_act_check(n, id, type, body, len)) != 0) {
		sp_logx(sp_node_log(n), SP_LOGX_WARN, "reports", "%s not written: %s",
			type_what(type), sp_errname(rc));
		free(body);
		body = NULL;
		rc = 0; /* this report only: the pass goes on */
	}
	int due = rc == 0 && body != NULL;
	if (due)
		rc = sp_store_append(sp_node_store(n), type, body, len, &index, NULL);
	if (due && rc == 0)
		rc = sp_node_own_log(n, &log, NULL);
	if (due && rc == 0)
		rc = sp_reports_add(r, log, index);
	if (!due || rc)
		sp_reports_unpend(r, id);
	if (due && rc == 0)
		sp_logx(sp_node_log(n), SP_LOGX_INFO, "reports", "%s index=%llu", type_what(type),
			(unsigned long long)index);
	free(body);
	return rc;
}

/* grant_run: on the coordinator's node, a grant for each rahasia report
 * a holder of which holds no key copy (the index lists them: its 'g'
 * term), so that a take-over or a transfer can read what it took. A
 * report whose grant fails is left for the next pass, and logged at the
 * first failure only (sp_node_grant_failed): it fails again at every pass. */
static int grant_run(struct sp_node *n, uint64_t now, size_t *granted)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	if (dl == NULL || dl->dir == NULL || !sp_dir_is_coordinator(dl->dir, sp_node_conf(n)->id))
		return 0;
	struct ids d = {0};
	struct sp_reports_query q = {.status = -1, .keyless = 1};
	int rc = sp_reports_query(sp_node_reports(n), &q, now, collect_all, &d, NULL);
	for (size_t i = 0; rc == 0 && i < d.n; i++) {
		int one = write_one(n, d.v[i], now, SP_EV_KEY_GRANT, decide_grant, n);
		char h[2 * SP_HASH_BYTES + 1];
		if (one && sp_node_grant_failed(n, d.v[i])) {
			sodium_bin2hex(h, sizeof(h), d.v[i], SP_HASH_BYTES);
			sp_logx(sp_node_log(n), SP_LOGX_WARN, "reports",
				"key grant failed report=%s err=%s (logged once per report; "
				"simpul_key_grant_failures_total counts every pass)",
				h, sp_errname(one));
		}
	}
	*granted += d.n;
	free(d.v);
	return rc;
}

/* ---- transfers ------------------------------------------------------------------------- */

struct heirs {
	const struct sp_dir *dir;
	const char *me;
	uint64_t now;
	size_t n, cap;
	char (*v)[SP_INST_ID_MAX + 1]; /* retired institutions this one inherits from */
};

static int collect_retired(void *arg, const struct sp_dir_inst *in)
{
	struct heirs *h = arg;
	char heir[SP_INST_ID_MAX + 1];
	if (!in->retired || sp_dir_heir(h->dir, in->id, h->now, heir) != 0 ||
	    strcmp(heir, h->me) != 0)
		return 0;
	if (sp_grow((void **)&h->v, &h->cap, h->n, sizeof(*h->v)) != 0)
		return SP_ERR_NOMEM;
	memcpy(h->v[h->n++], in->id, sizeof(*h->v));
	return 0;
}

/* transfer_from writes a transfer for each report retired institution
 * `from` still holds; *moved counts them. */
static int transfer_from(struct sp_node *n, char *from, uint64_t now, size_t *moved)
{
	struct ids d = {.holder = from};
	struct sp_reports_query q = {.status = -1, .holder = from};
	int rc = sp_reports_query(sp_node_reports(n), &q, now, collect, &d, NULL);
	for (size_t i = 0; rc == 0 && i < d.n; i++)
		rc = write_one(n, d.v[i], now, SP_EV_TRANSFER, decide_transfer, from);
	*moved += d.n;
	free(d.v);
	return rc;
}

static int transfer_run(struct sp_node *n, uint64_t now, size_t *moved)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	if (dl == NULL || dl->dir == NULL)
		return 0;
	struct heirs h = {.dir = dl->dir, .me = sp_node_conf(n)->id, .now = now};
	int rc = sp_dir_each(dl->dir, collect_retired, &h);
	for (size_t i = 0; rc == 0 && i < h.n; i++)
		rc = transfer_from(n, h.v[i], now, moved);
	free(h.v);
	return rc;
}

int sp_escalate_run(struct sp_node *n)
{
	struct ids d = {.holder = sp_node_conf(n)->id, .first = 1};
	struct sp_reports_query q = {.status = -1, .overdue = 1, .holder = d.holder};
	uint64_t now = sp_now_ms();
	size_t swept = 0, moved = 0, keyless = 0;
	uint64_t t0 = sp_mono_ms();
	/* the deadline index: only the reports whose deadline passed, and then
	 * only those this institution holds, are read */
	int rc = sp_reports_sweep(sp_node_reports(n), now, &swept);
	if (rc == 0)
		rc = transfer_run(n, now, &moved);
	if (rc == 0)
		rc = grant_run(n, now, &keyless);
	if (rc == 0)
		rc = sp_reports_query(sp_node_reports(n), &q, now, collect, &d, NULL);
	for (size_t i = 0; rc == 0 && i < d.n; i++)
		rc = write_one(n, d.v[i], now, SP_EV_ESCALATION, decide_escalation, NULL);
	uint64_t ms = sp_mono_ms() - t0;
	if (rc)
		sp_logx(sp_node_log(n), SP_LOGX_WARN, "reports", "escalation pass failed err=%s",
			sp_errname(rc));
	else if (d.n || moved || keyless || swept || ms >= 100)
		sp_logx(sp_node_log(n), SP_LOGX_INFO, "reports",
			"escalation pass refreshed=%zu due=%zu transferred=%zu keyless=%zu ms=%llu",
			swept, d.n, moved, keyless, (unsigned long long)ms);
	free(d.v);
	return rc;
}

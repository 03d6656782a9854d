/*
 * sp_api_dash.c - the coordinator's dashboard over HTTP: GET /v1/dashboard
 * (the figures of a subtree as JSON) and GET /v1/dashboard/csv (the same
 * rows as CSV, the monthly report's columns, one format with `simpul
 * audit --csv`). Public, like the logs they are computed from: docs/api.md.
 *
 * The figures are computed on the request's thread and kept in the node's
 * cache (sp_dash_get): a national node's first answer takes a pass over
 * its reports, later ones are served from the cache until the index, a
 * log or a checkpoint changes, or SP_DASH_CACHE_MS pass (docs/audit.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_api.h"
#include "sp_clock.h"
#include "sp_dash.h"
#include "sp_err.h"
#include "sp_node.h"

static json_t *logs_json(const struct sp_dash *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < d->n_logs; i++) {
		const struct sp_dash_log *l = &d->logs[i];
		char root[64];
		sodium_bin2base64(root, sizeof(root), l->root, 32, sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(arr, json_pack("{s:s,s:I,s:o}", "origin", l->origin, "size",
						     (json_int_t)l->size, "root",
						     l->has_cp ? json_string(root) : json_null()));
	}
	return arr;
}

static json_t *insts_json(const struct sp_dash *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < d->n_inst; i++) {
		const struct sp_dash_inst *x = &d->inst[i];
		json_t *r = sp_hfig_row_json(&x->row);
		if (r == NULL)
			continue;
		json_object_set_new(r, "id", json_string(x->id));
		json_object_set_new(r, "name", json_string(x->name));
		json_object_set_new(r, "tier", json_string(sp_hfig_tier_name(x->tier)));
		json_object_set_new(r, "parent", json_string(x->parent));
		json_array_append_new(arr, r);
	}
	return arr;
}

static json_t *tiers_json(const struct sp_dash *d)
{
	json_t *arr = json_array();
	for (unsigned t = 0; arr && t < SP_HFIG_TIERS; t++) {
		json_t *r = sp_hfig_row_json(&d->tier[t]);
		if (r == NULL)
			continue;
		json_object_set_new(r, "tier", json_string(sp_hfig_tier_name(t)));
		json_array_append_new(arr, r);
	}
	return arr;
}

static json_t *reports_json(const struct sp_dash *d)
{
	json_t *st = json_object();
	for (int s = 0; st && s < 8; s++)
		json_object_set_new(st, sp_report_status_name(s), json_integer((json_int_t)d->status[s]));
	return json_pack("{s:I,s:o,s:I}", "total", (json_int_t)d->reports, "status", st,
			 "past_checkpoint", (json_int_t)d->past_checkpoint);
}

static json_t *flows_json(const struct sp_dash *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < d->n_flows; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I}", "from", d->flows[i].from,
						     "to", d->flows[i].to, "forwarded",
						     (json_int_t)d->flows[i].forwarded, "returned",
						     (json_int_t)d->flows[i].returned));
	return arr;
}

static json_t *weeks_json(const struct sp_dash *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < d->n_weeks; i++) {
		const struct sp_dash_week *w = &d->weeks[i];
		time_t t = (time_t)((w->start_ms + SP_DASH_WEEK_TZ_MS) / 1000);
		struct tm tm;
		char day[16] = "";
		if (gmtime_r(&t, &tm))
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I}", "week", day, "start_ms",
						     (json_int_t)w->start_ms, "received",
						     (json_int_t)w->received, "finished",
						     (json_int_t)w->finished));
	}
	return arr;
}

static const char *stage_name(int stage)
{
	static const char *const names[] = {"none", "verify", "answer", "ceiling", "window"};
	return stage >= 0 && stage < 5 ? names[stage] : "?";
}

static json_t *overdue_json(const struct sp_dash *d)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < d->n_overdue; i++) {
		const struct sp_dash_overdue *o = &d->overdue[i];
		char hex[65];
		sodium_bin2hex(hex, sizeof(hex), o->id, SP_HASH_BYTES);
		uint64_t late = d->at > o->deadline_ms ? d->at - o->deadline_ms : 0;
		json_array_append_new(arr, json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:i,s:i,s:i}", "report", hex,
			"holders", o->holders, "category", o->category, "region", o->region, "status",
			sp_report_status_name(o->status), "stage", stage_name(o->stage),
			"submitted_ms", (json_int_t)o->submitted_ms, "deadline_ms",
			(json_int_t)o->deadline_ms, "days_late", (json_int_t)(late / SP_CAL_DAY_MS),
			"escalations", (int)o->escalations, "escalations_acted", (int)o->acted,
			"escalations_unacted", (int)o->unacted));
	}
	return json_pack("{s:I,s:o}", "total", (json_int_t)d->overdue_total, "reports", arr);
}

static json_t *dash_json(const struct sp_dash *d, const char *federation)
{
	const struct sp_dash_inst *root = sp_dash_find(d, d->scope);
	json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:f}", "federation", federation, "scope", d->scope,
			      "scope_name", root ? root->name : "", "at_ms", (json_int_t)d->at,
			      "threshold", SP_HFIG_THRESHOLD);
	if (j == NULL)
		return NULL;
	if (d->month[0])
		json_object_set_new(j, "period",
				    json_pack("{s:s,s:I,s:I}", "month", d->month, "from_ms",
					      (json_int_t)d->period.from_ms, "to_ms",
					      (json_int_t)d->period.to_ms));
	else
		json_object_set_new(j, "period", json_null());
	json_object_set_new(j, "checkpoints", logs_json(d));
	json_object_set_new(j, "institutions", insts_json(d));
	json_object_set_new(j, "tiers", tiers_json(d));
	json_object_set_new(j, "total", sp_hfig_row_json(&d->all));
	json_object_set_new(j, "reports", reports_json(d));
	json_object_set_new(j, "flows", flows_json(d));
	json_object_set_new(j, "weeks", weeks_json(d));
	json_object_set_new(j, "overdue", overdue_json(d));
	return j;
}

/* compute reads scope, month and at from the query and gets the figures
 * (from the node's cache when they are computed already); on failure it
 * has set the error response and returns non-zero. */
static int compute(struct sp_http_req *req, struct sp_http_resp *res, const struct sp_dash **d)
{
	struct sp_node *n = req->ctx;
	const char *at_s = sp_http_query(req, "at");
	struct sp_dash_ask ask = {sp_http_query(req, "scope"), sp_now_ms(),
				  sp_http_query(req, "month")};
	if (at_s) {
		char *end;
		if (*at_s < '0' || *at_s > '9' || (ask.at = strtoull(at_s, &end, 10), *end != '\0'))
			return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
						   "at is a time in ms since 1970"),
			       SP_ERR_HTTP_BAD_REQUEST;
	}
	struct sp_hfig_period period;
	if (ask.month && sp_hfig_month(ask.month, &period) != 0)
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
					   "month is a calendar month, YYYY-MM (e.g. 2026-11)"),
		       SP_ERR_HTTP_BAD_REQUEST;
	int rc = sp_dash_get(sp_node_dash(n), sp_node_store(n), sp_node_reports(n), sp_node_dir(n),
			     &ask, at_s != NULL, d);
	if (rc == SP_ERR_ARG)
		sp_http_reply_error(res, SP_ERR_NOT_FOUND, "this node has no directory");
	else if (rc == SP_ERR_UNKNOWN_INSTITUTION)
		sp_http_reply_error(res, rc, "no institution '%.64s' in the directory", ask.scope);
	else if (rc)
		sp_http_reply_error(res, rc, NULL);
	return rc;
}

static int get_dashboard(struct sp_http_req *req, struct sp_http_resp *res)
{
	const struct sp_dash *d;
	if (compute(req, res, &d) != 0)
		return SP_HTTP_DONE;
	json_t *j = dash_json(d, sp_node_conf(req->ctx)->federation);
	sp_dash_put(sp_node_dash(req->ctx), d);
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(res, j ? 200 : 500, j);
}

/* csv_rows: the subtree's institutions, its tiers with anyone in them, and
 * the subtree; with only, the institution or tier of that name. */
static void csv_rows(const struct sp_dash *d, const char *only, struct sp_buf *b)
{
	sp_hfig_csv_header(b);
	for (size_t i = 0; i < d->n_inst; i++)
		if (only == NULL || strcmp(only, d->inst[i].id) == 0)
			sp_hfig_csv_row(b, "institution", d->inst[i].id, d->inst[i].name,
					sp_hfig_tier_name(d->inst[i].tier), "", &d->inst[i].row);
	for (unsigned t = 0; t < SP_HFIG_TIERS; t++) {
		const char *name = sp_hfig_tier_name(t);
		int any = 0;
		for (size_t i = 0; i < d->n_inst && !any; i++)
			any = d->inst[i].tier == t;
		if (any && (only == NULL || strcmp(only, name) == 0))
			sp_hfig_csv_row(b, "tier", name, "", name, "", &d->tier[t]);
	}
	if (only == NULL)
		sp_hfig_csv_row(b, "subtree", d->scope, "", "", "", &d->all);
}

static int get_csv(struct sp_http_req *req, struct sp_http_resp *res)
{
	const char *only = sp_http_query(req, "only");
	const struct sp_dash *d;
	if (compute(req, res, &d) != 0)
		return SP_HTTP_DONE;
	int known = only == NULL || sp_dash_find(d, only) != NULL;
	for (unsigned t = 0; !known && t < SP_HFIG_TIERS; t++)
		known = strcmp(only, sp_hfig_tier_name(t)) == 0;
	if (!known) {
		sp_dash_put(sp_node_dash(req->ctx), d);
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
					   "only names an institution of the subtree or a tier");
	}
	struct sp_buf b;
	sp_buf_init(&b);
	csv_rows(d, only, &b);
	char disp[160];
	snprintf(disp, sizeof(disp), "attachment; filename=\"simpul-%s%s%s-%llu.csv\"",
		 only ? only : d->scope, d->month[0] ? "-" : "", d->month,
		 (unsigned long long)d->at);
	sp_dash_put(sp_node_dash(req->ctx), d);
	if (b.err) {
		sp_buf_free(&b);
		return SP_ERR_NOMEM;
	}
	sp_http_header_add(res, "Content-Disposition", disp);
	sp_http_cache(res, "no-cache");
	int rc = sp_http_reply_buf(res, 200, "text/csv; charset=utf-8", &b);
	sp_buf_free(&b);
	return rc;
}

const struct sp_http_route sp_api_dash_routes[] = {
	{"GET", "/v1/dashboard", get_dashboard, 0},
	{"GET", "/v1/dashboard/csv", get_csv, 0},
	{NULL, NULL, NULL, 0},
};

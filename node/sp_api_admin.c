/*
 * sp_api_admin.c - administration over HTTP (docs/api.md, "Administration"):
 *
 *   POST /v1/admin             (the coordinator's node) an admin's signed
 *                              request (sp_admin.h), checked, then written to
 *                              the directory log and applied at once
 *   POST /v1/admin/forward     (any node) the same request, sent on to the
 *                              coordinator's node and its answer relayed:
 *                              the officers' console administers through
 *                              its own node (its CSP allows no other origin)
 *   GET  /v1/officers          officers enrolled now (?inst=ID: of one)
 *   GET  /v1/route             ?category=C&region=R: who would get it, and
 *                              by which rule
 *   GET  /v1/calendar/{year}   the holidays in force for a year, and
 *                              whether that year's calendar is published
 *
 * A request is refused, with nothing written, unless: its signature
 * verifies; it has not expired and expires within SP_ADMIN_TTL_MAX_MS; its
 * nonce was never written before (the log is the memory: the nonces of
 * every SP_EV_ADMIN entry of the own log, read at the first request); and
 * the directory would apply the entry it becomes (sp_dir_check: the
 * signer is an admin whose institution may make the change, or the node
 * key itself). Requests are handled one at a time (sp_admin_svc_lock), so two
 * cannot both pass the checks against the same directory state.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_admin.h"
#include "sp_admin_svc.h"
#include "sp_api.h"
#include "sp_api_parse.h"
#include "sp_cal.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_clock.h"

#define EXPIRY_MARGIN_MS 5000 /* the entry's time must stay before the expiry */

/* ---- what to tell the requester -------------------------------------------------------- */

static void hex8(const uint8_t *k, char out[17])
{
	sodium_bin2hex(out, 17, k, 8);
}

/* explain writes what is wrong and how to fix it for a refusal rc of the
 * record carried by r (signed by officer), into msg. */
static void explain(const struct sp_dir *d, const struct sp_admin_req *r, int rc, char *msg,
		    size_t cap)
{
	char who[17];
	hex8(r->officer, who);
	struct sp_dir_officer o, rec_o;
	struct sp_dir_inst in;
	struct sp_dir_route rt;
	int is_off = r->type == SP_EV_OFFICER &&
		     sp_dir_officer_decode(r->record, r->record_len, &rec_o) == 0;
	int is_inst = r->type == SP_EV_INSTITUTION &&
		      sp_dir_inst_decode(r->record, r->record_len, &in) == 0;
	int is_route = r->type == SP_EV_ROUTE &&
		       sp_dir_route_decode(r->record, r->record_len, &rt) == 0;
	struct sp_dir_retire ret;
	int is_retire = r->type == SP_EV_RETIRE &&
			sp_dir_retire_decode(r->record, r->record_len, &ret) == 0;
	switch (rc) {
	case SP_ERR_UNKNOWN_OFFICER:
		snprintf(msg, cap, "the signing key %s... is not an enrolled officer: sign with the "
			 "key of an admin officer enrolled now", who);
		if (is_off && rec_o.action == SP_DIR_REMOVE &&
		    sp_dir_officer(d, r->officer, SP_DIR_TIME_MAX, &o) == 0) {
			char k[17];
			hex8(rec_o.key, k);
			snprintf(msg, cap, "officer %s... is not enrolled at %s: nothing to remove "
				 "(see simpul officer list --inst %s)", k, rec_o.inst, rec_o.inst);
		}
		return;
	case SP_ERR_AUTHORITY:
		snprintf(msg, cap, "the signer %s... is a pejabat penghubung, not an admin: only an "
			 "admin officer may change the directory", who);
		return;
	case SP_ERR_NOT_DELEGATED:
		if (is_retire && sp_dir_is_coordinator(d, ret.id))
			snprintf(msg, cap, "the national coordinator cannot be retired: every "
				 "complaint needs a holder of last resort");
		else if (sp_dir_officer(d, r->officer, SP_DIR_TIME_MAX, &o) == 0)
			snprintf(msg, cap, "an admin of %s may not make this change: it is outside "
				 "%s's subtree or its regions (or only the national coordinator "
				 "may make it: institutions above units, policies, calendars); ask "
				 "an admin of the coordinator", o.inst, o.inst);
		else
			snprintf(msg, cap, "this node may not write this record");
		return;
	case SP_ERR_UNKNOWN_INSTITUTION:
		snprintf(msg, cap, "the record names an institution that is not in the directory "
			 "(%s): check the id, or add the institution first",
			 is_off		? rec_o.inst
			 : is_inst	? in.parent
			 : is_route	? rt.inst
			 : is_retire	? ret.id
					: "?");
		return;
	case SP_ERR_RETIRED:
		snprintf(msg, cap, is_retire ? "%s is already retired: nothing to do"
					     : "the record names a retired institution (%s): a retired "
					       "institution gets no new version, child, officer or "
					       "rule; name the institution that took over its work",
			 is_retire  ? ret.id
			 : is_off   ? rec_o.inst
			 : is_route ? rt.inst
			 : is_inst  ? in.id
				    : "?");
		return;
	case SP_ERR_EXISTS:
		if (is_retire)
			snprintf(msg, cap, "%s still has institutions under it in service: retire "
				 "them (or move them to another parent) first", ret.id);
		else if (is_off && sp_dir_officer(d, rec_o.key, SP_DIR_TIME_MAX, &o) == 0)
			snprintf(msg, cap, "this officer key is enrolled at %s: an officer acts for "
				 "one institution at a time; remove them there first", o.inst);
		else if (is_inst)
			snprintf(msg, cap, "the signing key of %s already belongs to another "
				 "institution (or a second coordinator): each institution needs "
				 "its own fresh key (simpul keygen)", in.id);
		else
			snprintf(msg, cap, "already exists");
		return;
	case SP_ERR_DIR_CYCLE:
		snprintf(msg, cap, "parent %s is %s itself or inside its subtree: choose a parent "
			 "outside it", is_inst ? in.parent : "?", is_inst ? in.id : "?");
		return;
	case SP_ERR_NOT_FOUND:
		snprintf(msg, cap, "there is no rule '%s' to delete (GET /v1/route to see which "
			 "rule routes a complaint)", is_route ? rt.rule_id : "?");
		return;
	case SP_ERR_DIR_RECORD:
		snprintf(msg, cap, r->type == SP_EV_CALENDAR
					   ? "the calendar is not valid: every date must be a real "
					     "date in its year, in ascending order, each with a "
					     "name of 1..128 bytes"
					   : "the record is malformed (docs/directory.md lists each "
					     "field's rule)");
		return;
	default:
		snprintf(msg, cap, "%s", sp_strerror(rc));
	}
}

/* coordinator_key: a new signing key for the national coordinator (a
 * root key rotation, docs/operations.md runbook) is written by this node
 * with the key in use, and every later entry of the directory log must be
 * signed by the new one: refused unless this node already holds it as
 * [node] key (configured and reloaded), else the directory would stop
 * until it is. */
static int coordinator_key(struct sp_node *n, const struct sp_dir *d,
			   const struct sp_admin_req *r, char *msg, size_t cap)
{
	struct sp_dir_inst rec, cur;
	if (r->type != SP_EV_INSTITUTION || sp_dir_inst_decode(r->record, r->record_len, &rec) != 0 ||
	    !sp_dir_is_coordinator(d, rec.id) ||
	    sp_dir_institution(d, rec.id, SP_DIR_TIME_MAX, &cur) != 0 ||
	    memcmp(rec.sign_key, cur.sign_key, SP_KEY_BYTES) == 0 || sp_node_key_ready(n, rec.sign_key))
		return 0;
	snprintf(msg, cap, "the coordinator's node does not hold the new signing key of %s: set "
		 "it as [node] key (with the key in use as key_previous) and reload the node "
		 "(SIGHUP) first, then publish it (docs/operations.md, \"Rotate the "
		 "coordinator's key\")", rec.id);
	return SP_ERR_CONFIG;
}

/* ---- POST /v1/admin ------------------------------------------------------------------- */

int sp_api_admin_read(struct sp_http_req *req, uint8_t **body, size_t *len)
{
	json_error_t err;
	const char *b64;
	json_t *o = req->body ? json_loadb((const char *)req->body, req->body_len,
					   JSON_REJECT_DUPLICATES, &err)
			      : NULL;
	int rc = o && json_unpack_ex(o, &err, JSON_STRICT, "{s:s}", "request", &b64) == 0
			 ? 0
			 : SP_ERR_HTTP_BAD_REQUEST;
	size_t n = rc ? 0 : strlen(b64);
	*body = rc ? NULL : malloc(n / 4 * 3 + 3);
	if (rc == 0 && *body == NULL)
		rc = SP_ERR_NOMEM;
	if (rc == 0 && sodium_base642bin(*body, n / 4 * 3 + 3, b64, n, NULL, len, NULL,
					 sodium_base64_VARIANT_ORIGINAL) != 0)
		rc = SP_ERR_HTTP_BAD_REQUEST;
	json_decref(o);
	return rc;
}

struct admin_call {
	struct sp_node *n;
	const uint8_t *body;
	size_t len;
	struct sp_admin_req r;
	uint64_t index;
	char msg[512];
};

/* admit checks everything and writes the entry; with the admin mutex. */
static int admit(struct admin_call *c, struct sp_admin_svc *a)
{
	const struct sp_dirload *dl = sp_node_dir(c->n);
	uint64_t now = sp_now_ms();
	if (c->r.expires_ms < now + EXPIRY_MARGIN_MS)
		return snprintf(c->msg, sizeof(c->msg),
				"the request expired (or expires within %d s): sign a new one",
				EXPIRY_MARGIN_MS / 1000),
		       SP_ERR_EXPIRED;
	if (c->r.expires_ms > now + SP_ADMIN_TTL_MAX_MS)
		return snprintf(c->msg, sizeof(c->msg),
				"the request expires more than %llu minutes from now: sign one "
				"with a shorter life",
				(unsigned long long)(SP_ADMIN_TTL_MAX_MS / 60000)),
		       SP_ERR_EXPIRED;
	int rc = sp_admin_svc_seen(a, c->n, c->r.nonce);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return snprintf(c->msg, sizeof(c->msg),
				"this request was already written (same nonce): a request is "
				"used once; sign a new one for a new change"),
		       SP_ERR_REPLAY;
	uint32_t own;
	struct sp_log_info info;
	rc = sp_store_own_log(sp_node_store(c->n), &own);
	if (rc == 0)
		rc = sp_store_log_info(sp_node_store(c->n), own, &info);
	if (rc)
		return rc;
	struct sp_entry e = {.type = SP_EV_ADMIN, .body = c->body, .body_len = c->len,
			     .time_ms = now};
	memcpy(e.author, info.pk, SP_KEY_BYTES);
	rc = sp_dir_check(dl->dir, &e);
	if (rc)
		return explain(dl->dir, &c->r, rc, c->msg, sizeof(c->msg)), rc;
	rc = coordinator_key(c->n, dl->dir, &c->r, c->msg, sizeof(c->msg));
	if (rc)
		return rc;
	rc = sp_store_append(sp_node_store(c->n), SP_EV_ADMIN, c->body, c->len, &c->index, NULL);
	if (rc == 0)
		rc = sp_admin_svc_written(a, c->r.nonce);
	uint64_t added = 0;
	if (rc == 0)
		rc = sp_node_dir_grow(c->n, &added);
	if (rc == 0 && added == 0)
		rc = SP_ERR_INTERNAL; /* written and not applied: a bug, say so */
	return rc;
}

static const char *type_name(uint64_t t)
{
	switch (t) {
	case SP_EV_INSTITUTION:
		return "institution";
	case SP_EV_OFFICER:
		return "officer";
	case SP_EV_ROUTE:
		return "route";
	case SP_EV_POLICY:
		return "policy";
	case SP_EV_CALENDAR:
		return "calendar";
	case SP_EV_RETIRE:
		return "retire";
	}
	return "?";
}

static int post_admin(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct admin_call c = {.n = req->ctx};
	const struct sp_dirload *dl = sp_node_dir(c.n);
	const struct sp_conf *conf = sp_node_conf(c.n);
	uint8_t *body = NULL;
	int rc = sp_api_admin_read(req, &body, &c.len);
	if (rc) {
		free(body);
		return sp_http_reply_error(res, rc, "the body is one JSON object {\"request\": "
						    "standard base64 of a signed admin request}");
	}
	c.body = body;
	rc = sp_admin_decode(body, c.len, &c.r);
	if (rc) {
		free(body);
		return sp_http_reply_error(res, rc, rc == SP_ERR_BAD_SIGNATURE
							    ? "the request's signature does not verify"
							    : "the request is malformed (docs/api.md)");
	}
	char coord[SP_INST_ID_MAX + 1] = "";
	if (dl == NULL || dl->dir == NULL || sp_dir_coordinator(dl->dir, coord) != 0 ||
	    strcmp(coord, conf->id) != 0) {
		free(body);
		return sp_http_reply_error(res, SP_ERR_NOT_DELEGATED,
					   "administrative requests go to the national "
					   "coordinator's node (%s); this node is %s",
					   coord[0] ? coord : "none known", conf->id);
	}
	struct sp_admin_svc *a = sp_node_admin(c.n);
	sp_admin_svc_lock(a);
	rc = admit(&c, a);
	sp_admin_svc_unlock(a);
	free(body);
	char who[17];
	hex8(c.r.officer, who);
	sp_logx(sp_node_log(c.n), rc ? SP_LOGX_WARN : SP_LOGX_INFO, "admin",
		"request %s by %s... %s%s index=%llu", type_name(c.r.type), who,
		rc ? "refused " : "written", rc ? sp_errname(rc) : "", (unsigned long long)c.index);
	if (rc)
		return sp_http_reply_error(res, rc, "%s", c.msg[0] ? c.msg : sp_strerror(rc));
	sp_http_cache(res, "no-store");
	return sp_http_reply_json(res, 201, json_pack("{s:I,s:s,s:s}", "index",
						      (json_int_t)c.index, "type",
						      type_name(c.r.type), "officer", who));
}

/* ---- GET /v1/officers ----------------------------------------------------------------- */

static int officer_json(void *arg, const struct sp_dir_officer *o)
{
	char k[2 * SP_KEY_BYTES + 1];
	sodium_bin2hex(k, sizeof(k), o->key, SP_KEY_BYTES);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "inst", o->inst, "key", k, "name", o->name,
			      "role", o->role == SP_DIR_ROLE_ADMIN ? "admin" : "penghubung",
			      "since_ms", (json_int_t)o->since);
	return json_array_append_new(arg, j) ? SP_ERR_NOMEM : 0;
}

static int get_officers(struct sp_http_req *req, struct sp_http_resp *res)
{
	const struct sp_dirload *dl = sp_node_dir(req->ctx);
	const char *inst = sp_http_query(req, "inst");
	if (dl == NULL || dl->dir == NULL)
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND, "this node has no directory");
	struct sp_dir_inst in;
	if (inst && sp_dir_institution(dl->dir, inst, SP_DIR_TIME_MAX, &in) != 0)
		return sp_http_reply_error(res, SP_ERR_UNKNOWN_INSTITUTION,
					   "no institution '%.32s' in the directory", inst);
	json_t *arr = json_array();
	int rc = arr ? sp_dir_officers(dl->dir, inst, officer_json, arr) : SP_ERR_NOMEM;
	if (rc) {
		json_decref(arr);
		return rc;
	}
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(res, 200, json_pack("{s:o}", "officers", arr));
}

/* ---- GET /v1/route -------------------------------------------------------------------- */

static int get_route(struct sp_http_req *req, struct sp_http_resp *res)
{
	const struct sp_dirload *dl = sp_node_dir(req->ctx);
	const char *cat = sp_http_query(req, "category"), *region = sp_http_query(req, "region");
	char inst[SP_INST_ID_MAX + 1], rule[SP_DIR_RULE_MAX + 1];
	if (dl == NULL || dl->dir == NULL)
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND, "this node has no directory");
	if (cat == NULL)
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
					   "give ?category=C (and &region=R)");
	int rc = sp_dir_route(dl->dir, cat, region ? region : "", inst, rule);
	if (rc)
		return sp_http_reply_error(res, rc, rc == SP_ERR_ARG
							    ? "not a valid category or region code"
							    : NULL);
	struct sp_dir_inst in;
	struct sp_dir_policy pol;
	if (sp_dir_institution(dl->dir, inst, SP_DIR_TIME_MAX, &in) != 0)
		in.name[0] = '\0';
	sp_dir_policy_for(dl->dir, cat, &pol);
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(
		res, 200,
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:i,s:i,s:i,s:i}}", "category", cat, "region",
			  region ? region : "", "inst", inst, "name", in.name, "rule", rule,
			  "default", strncmp(rule, "default:", 8) == 0, "policy", "verify",
			  (int)pol.verify, "answer", (int)pol.answer, "window", (int)pol.window,
			  "ceiling", (int)pol.ceiling));
}

/* ---- GET /v1/calendar/{year} --------------------------------------------------------- */

struct cal_find {
	uint32_t year;
	struct sp_buf body; /* the latest calendar record of the year */
};

static int cal_one(void *arg, uint64_t index, const uint8_t *buf, size_t len)
{
	(void)index;
	struct cal_find *f = arg;
	struct sp_entry e, rec;
	struct sp_admin_req r;
	struct sp_cal_year y;
	if (sp_entry_decode(buf, len, &e) != 0)
		return 0;
	rec = e;
	if (e.type == SP_EV_ADMIN && sp_admin_inner(&e, &r, &rec) != 0)
		return 0;
	if (rec.type != SP_EV_CALENDAR || sp_cal_year_decode(rec.body, rec.body_len, &y) != 0)
		return 0;
	if (y.year == f->year) {
		f->body.len = 0;
		sp_buf_put(&f->body, rec.body, rec.body_len);
	}
	sp_cal_year_free(&y);
	return 0;
}

static json_t *holidays_json(const struct sp_dirload *dl, uint32_t year, struct sp_store *s)
{
	struct cal_find f = {.year = year};
	sp_buf_init(&f.body);
	struct sp_log_info info;
	if (dl->has_log && sp_store_log_info(s, dl->log_id, &info) == 0)
		sp_store_scan(s, dl->log_id, 0, info.size, cal_one, &f);
	json_t *arr = json_array();
	struct sp_cal_year y;
	if (f.body.len > 0 && sp_cal_year_decode(f.body.p, f.body.len, &y) == 0) {
		for (size_t i = 0; i < y.n; i++)
			json_array_append_new(arr, json_pack("{s:I,s:s%}", "date",
							     (json_int_t)y.days[i].ymd, "name",
							     y.days[i].name, y.days[i].name_len));
		sp_cal_year_free(&y);
	}
	sp_buf_free(&f.body);
	return arr;
}

static int get_calendar(struct sp_http_req *req, struct sp_http_resp *res)
{
	const struct sp_dirload *dl = sp_node_dir(req->ctx);
	const char *ys = sp_http_param(req, "year");
	char *end = NULL;
	unsigned long year = ys ? strtoul(ys, &end, 10) : 0;
	if (ys == NULL || *end != '\0' || year < SP_CAL_YEAR_FIRST || year > SP_CAL_YEAR_LAST)
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST, "give a year 1970..9999");
	if (dl == NULL)
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND, "this node has no calendar");
	int pub = sp_cal_year_published(&dl->cal, (uint32_t)year);
	json_t *days = json_array(); /* every non-weekend holiday in force */
	int64_t first, last;
	sp_cal_ymd_to_day((uint32_t)year * 10000 + 101, &first);
	sp_cal_ymd_to_day((uint32_t)year * 10000 + 1231, &last);
	for (int64_t d = first; d <= last; d++) {
		int64_t wd = ((d % 7) + 7 + 3) % 7;
		if (wd < 5 && !sp_cal_is_working_day(&dl->cal, d))
			json_array_append_new(days, json_integer(sp_cal_day_to_ymd(d)));
	}
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(
		res, 200,
		json_pack("{s:i,s:b,s:o,s:o,s:s}", "year", (int)year, "published", pub, "holidays",
			  pub ? holidays_json(dl, (uint32_t)year, sp_node_store(req->ctx))
			      : json_array(),
			  "weekday_holidays", days, "note",
			  pub ? "published calendar in force"
			      : "no published calendar: only the fixed-date national holidays "
				"(1 Jan, 1 May, 1 Jun, 17 Aug, 25 Dec) count; publish one with "
				"simpul calendar publish"));
}

/* post_admin_forward: at the coordinator's node, the request itself;
 * elsewhere, relayed to the coordinator's node (its directory address),
 * which checks everything: this node vouches for nothing it relays. */
static int post_admin_forward(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	const struct sp_dirload *dl = sp_node_dir(n);
	char coord[SP_INST_ID_MAX + 1] = "";
	struct sp_dir_inst r;
	if (dl == NULL || dl->dir == NULL || sp_dir_coordinator(dl->dir, coord) != 0)
		return sp_http_reply_error(res, SP_ERR_NO_ROUTE, "this node has no directory");
	if (strcmp(coord, sp_node_conf(n)->id) == 0)
		return post_admin(req, res);
	if (sp_dir_institution(dl->dir, coord, SP_DIR_TIME_MAX, &r) != 0 || !r.http[0])
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND,
					   "the directory gives no address for the coordinator %s",
					   coord);
	return sp_api_relay(req, coord, r.http, "/v1/admin", res);
}

const struct sp_http_route sp_api_admin_routes[] = {
	{"POST", "/v1/admin", post_admin, 0},
	{"POST", "/v1/admin/forward", post_admin_forward, 0},
	{"GET", "/v1/officers", get_officers, 0},
	{"GET", "/v1/route", get_route, 0},
	{"GET", "/v1/calendar/{year}", get_calendar, 0},
	{NULL, NULL, NULL, 0},
};

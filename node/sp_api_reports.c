/*
 * sp_api_reports.c - the reports API (docs/api.md, "Reports"):
 *
 *   POST /v1/reports                  submit (any node: no wrong door)
 *   GET  /v1/reports                  query, with paging
 *   GET  /v1/reports/{id}             state and public trail
 *   GET  /v1/reports/{id}/receipt     C2SP tlog-proof of the submission
 *   POST /v1/reports/{id}/actions     an officer's or reporter's signed act
 *   GET  /v1/stats                    counts by status and institution
 *
 * Layer: HTTP API. It turns JSON into calls of the node services below it
 * (sp_submit.h: route, seal, append a submission; sp_act.h: check and
 * append an action; sp_reports.h: the index) and their results into JSON.
 * Submissions and actions are appended asynchronously: the request is
 * parked and answered from the indexer thread (sp_indexer.h) once the
 * entry is durable and the report index has taken it in. Sealed parts never leave this file in
 * clear (they are never even opened here); nothing about the reporter is
 * logged.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_act.h"
#include "sp_api.h"
#include "sp_api_parse.h"
#include "sp_ticket.h"
#include "sp_web.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_reports.h"
#include "sp_submit.h"
#include "sp_clock.h"
#include "sp_hex.h"
#include "sp_json.h"

#define NAME_MAX_BYTES 128
#define CONTACT_MAX_BYTES 256
#define TITLE_MAX_BYTES 256
#define QUERY_LIMIT_DEFAULT 50
#define QUERY_LIMIT_MAX 500

static const char *const kind_names[] = {"pengaduan", "aspirasi", "permintaan_informasi"};
static const char *const vis_names[] = {"publik", "anonim", "rahasia"};

static int path_id(struct sp_http_req *req, struct sp_http_resp *res, uint8_t id[SP_HASH_BYTES])
{
	if (sp_hex_parse(sp_http_param(req, "id"), id, SP_HASH_BYTES) == 0)
		return 0;
	sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST, "a report id is 64 hex digits");
	return SP_ERR_HTTP_BAD_REQUEST;
}

/* ---- JSON input ------------------------------------------------------------------ */

/* A JSON field problem: reply 400 naming the field. */
#define BAD(res, ...) (sp_http_reply_error((res), SP_ERR_HTTP_BAD_REQUEST, __VA_ARGS__), \
		       SP_ERR_HTTP_BAD_REQUEST)

static int load_object(struct sp_http_req *req, struct sp_http_resp *res, json_t **out)
{
	json_error_t err;
	*out = req->body ? json_loadb((const char *)req->body, req->body_len,
				      JSON_REJECT_DUPLICATES, &err)
			 : NULL;
	if (*out && json_is_object(*out))
		return 0;
	json_decref(*out);
	*out = NULL;
	return BAD(res, "the body must be one JSON object");
}

/* only_keys refuses keys not in the NULL-ended list. */
static int only_keys(json_t *o, const char *const *allowed, struct sp_http_resp *res)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (allowed[i] == NULL)
			return BAD(res, "unknown field '%.64s'", key);
	}
	return 0;
}

/* get_text reads string field key (1..max bytes, no NUL) into *s;
 * absent: s->p = NULL, an error if required. */
static int get_text(json_t *o, const char *key, size_t max, int required, struct sp_str *s,
		    struct sp_http_resp *res)
{
	json_t *v = json_object_get(o, key);
	s->p = NULL;
	s->n = 0;
	if (v == NULL)
		return required ? BAD(res, "field '%s' is required", key) : 0;
	if (!json_is_string(v))
		return BAD(res, "field '%s' must be a string", key);
	s->p = json_string_value(v);
	s->n = json_string_length(v);
	if (s->n == 0 || s->n > max || strlen(s->p) != s->n)
		return BAD(res, "field '%s' must be 1 to %zu bytes", key, max);
	return 0;
}

static int get_enum(json_t *o, const char *key, const char *const *names, size_t n, int *out,
		    struct sp_http_resp *res)
{
	struct sp_str s;
	int rc = get_text(o, key, 64, 1, &s, res);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (strcmp(names[i], s.p) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return rc ? rc : BAD(res, "field '%s' has an unknown value", key);
}

/* get_attachment reads one attachment: a reference {sha256, size,
 * media_type} to an uploaded file (publik, anonim), or, for rahasia, the
 * file inline {media_type, data: base64}, which the node seals (*data). */
static int get_attachment(json_t *a, int rahasia, struct sp_report_attachment *at,
			  struct sp_str *data, struct sp_http_resp *res)
{
	static const char *const ref_keys[] = {"sha256", "size", "media_type", NULL};
	static const char *const inline_keys[] = {"media_type", "data", NULL};
	struct sp_str sha;
	json_t *size = json_object_get(a, "size");
	if (!json_is_object(a) || only_keys(a, rahasia ? inline_keys : ref_keys, res) != 0)
		return rahasia ? BAD(res, "rahasia attachments are objects {media_type, data}: "
					  "the file itself, sealed by the node")
			       : BAD(res, "attachments are objects {sha256, size, media_type}");
	int rc = get_text(a, "media_type", SP_ATTACH_TYPE_MAX, 1, &at->media_type, res);
	if (rc == 0 && rahasia)
		return get_text(a, "data", 4 * (SP_ATTACH_MAX_BYTES / 3 + 1), 1, data, res);
	if (rc == 0)
		rc = get_text(a, "sha256", 64, 1, &sha, res);
	if (rc == 0 && sp_hex_parse(sha.p, at->sha256, SP_HASH_BYTES) != 0)
		return BAD(res, "attachment sha256 must be 64 hex digits");
	if (rc == 0 && (!json_is_integer(size) || json_integer_value(size) <= 0))
		return BAD(res, "attachment size must be a positive integer");
	at->size = rc == 0 ? (uint64_t)json_integer_value(size) : 0;
	return rc;
}

static int get_attachments(json_t *o, int vis, struct sp_report *r, struct sp_str *data,
			   struct sp_http_resp *res)
{
	json_t *arr = json_object_get(o, "attachments");
	if (arr == NULL)
		return 0;
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	if (n == 0 || n > SP_REPORT_MAX_ATTACH)
		return BAD(res, "attachments must be an array of 1 to %d", SP_REPORT_MAX_ATTACH);
	for (size_t i = 0; i < n; i++) {
		int rc = get_attachment(json_array_get(arr, i), vis == SP_REPORT_RAHASIA,
					&r->attach[i], &data[i], res);
		if (rc)
			return rc;
	}
	r->n_attach = n;
	return 0;
}

/* ---- POST /v1/reports ------------------------------------------------------------------- */

static int parse_submission(json_t *o, struct sp_submit *s, struct sp_http_resp *res)
{
	static const char *const keys[] = {"kind", "visibility", "category", "region", "title",
					   "content", "name", "contact", "reporter_key", "reporter_salt",
					   "attachments", "channel", NULL};
	int kind = 0, vis = 0;
	struct sp_str key = {0}, salt = {0};
	int rc = only_keys(o, keys, res);
	if (rc == 0)
		rc = get_enum(o, "kind", kind_names, 3, &kind, res);
	if (rc == 0)
		rc = get_enum(o, "visibility", vis_names, 3, &vis, res);
	if (rc == 0)
		rc = get_text(o, "category", SP_DIR_CATEGORY_MAX, 1, &s->r.category, res);
	if (rc == 0)
		rc = get_text(o, "region", SP_DIR_REGION_MAX, 1, &s->r.region, res);
	if (rc == 0)
		rc = get_text(o, "title", TITLE_MAX_BYTES, 1, &s->priv.title, res);
	if (rc == 0)
		rc = get_text(o, "content", SP_REPORT_TEXT_MAX, 1, &s->priv.content, res);
	if (rc == 0)
		rc = get_text(o, "name", NAME_MAX_BYTES, 0, &s->priv.name, res);
	if (rc == 0)
		rc = get_text(o, "contact", CONTACT_MAX_BYTES, 0, &s->priv.contact, res);
	if (rc == 0)
		rc = get_text(o, "channel", 32, 0, &s->r.channel, res);
	if (rc == 0)
		rc = get_text(o, "reporter_key", 64, 0, &key, res);
	if (rc == 0 && key.p && sp_hex_parse(key.p, s->r.reporter_key, SP_KEY_BYTES) != 0)
		rc = BAD(res, "field 'reporter_key' must be 64 hex digits (an Ed25519 public key)");
	if (rc == 0)
		rc = get_text(o, "reporter_salt", 64, 0, &salt, res);
	if (rc == 0 && salt.p &&
	    (key.p == NULL || sp_hex_parse(salt.p, s->r.salt, SP_REPORTER_SALT_BYTES) != 0))
		rc = BAD(res, "field 'reporter_salt' must be 64 hex digits, with a reporter_key");
	if (rc == 0)
		rc = get_attachments(o, vis, &s->r, s->data, res);
	if (rc)
		return rc;
	s->r.kind = (enum sp_report_kind)kind;
	s->r.vis = (enum sp_report_vis)vis;
	s->r.has_reporter_key = key.p != NULL;
	s->r.has_salt = salt.p != NULL;
	if (s->r.channel.p == NULL)
		s->r.channel = (struct sp_str){"web", 3}; /* the body requires one */
	snprintf(s->category, sizeof(s->category), "%s", s->r.category.p);
	snprintf(s->region, sizeof(s->region), "%s", s->r.region.p);
	if (!sp_dir_category_valid(s->category) || strcmp(s->category, "*") == 0)
		return BAD(res, "field 'category' must be 1 to 32 of a-z 0-9 -");
	if (!sp_dir_region_valid(s->region))
		return BAD(res, "field 'region' must be a Kemendagri region code (73.12.03)");
	if (!sp_web_region_known(s->region))
		return BAD(res, "field 'region': no region '%s' in this node's region list", s->region);
	return 0;
}

int sp_api_submission_read(struct sp_http_req *req, struct sp_http_resp *res, json_t **o,
			   struct sp_submit *s)
{
	int rc = load_object(req, res, o);
	return rc ? rc : parse_submission(*o, s, res);
}

/* A submission being appended. */
struct submit_job {
	struct sp_node *n;
	struct sp_http_req *req;
	char routed[SP_INST_ID_MAX + 1], rule[SP_DIR_RULE_MAX + 1];
	int has_secret;
	uint8_t secret[SP_REPORTER_SECRET_BYTES];
};

static json_t *submit_json(struct submit_job *j, uint64_t index, const uint8_t id[32])
{
	char idh[65], path[128];
	sodium_bin2hex(idh, sizeof(idh), id, 32);
	snprintf(path, sizeof(path), "/v1/reports/%s/receipt", idh);
	json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "report_id", idh, "log",
			      sp_node_conf(j->n)->id, "index", (json_int_t)index, "routed_to",
			      j->routed, "rule", j->rule, "receipt", path);
	char ticket[SP_TICKET_MAX];
	if (o && sp_ticket_format(sp_node_conf(j->n)->id, index, id, ticket) == 0)
		json_object_set_new(o, "ticket", json_string(ticket));
	if (o && j->has_secret)
		json_object_set_new(o, "tracking_secret", sp_json_hex(j->secret, sizeof(j->secret)));
	return o;
}

/* submit_done: the indexer thread, once the entry is durable and indexed
 * (sp_submit_append). */
static void submit_done(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	struct submit_job *j = arg;
	struct sp_http_resp *res = sp_http_resp_of(j->req);
	if (err) {
		sp_http_reply_error(res, err, "report not stored: %s", sp_strerror(err));
	} else {
		sp_http_cache(res, "no-store");
		sp_http_reply_json(res, 201, submit_json(j, index, hash));
		sp_logx(sp_node_log(j->n), SP_LOGX_INFO, "reports",
			"submitted index=%llu routed_to=%s rule=%s", (unsigned long long)index,
			j->routed, j->rule);
	}
	sp_http_complete(j->req);
	sodium_memzero(j->secret, sizeof(j->secret));
	free(j);
}

static int append_report(struct sp_http_req *req, struct sp_http_resp *res,
			 const struct sp_submit *s)
{
	uint8_t *body;
	size_t len;
	int rc = sp_submit_encode(s, &body, &len);
	struct submit_job *j = rc ? NULL : calloc(1, sizeof(*j));
	if (rc || j == NULL) {
		free(body);
		return rc ? rc : SP_ERR_NOMEM;
	}
	*j = (struct submit_job){.n = req->ctx, .req = req, .has_secret = s->has_secret};
	memcpy(j->routed, s->routed, sizeof(j->routed));
	memcpy(j->rule, s->rule, sizeof(j->rule));
	memcpy(j->secret, s->secret, sizeof(j->secret));
	sp_http_suspend(req);
	rc = sp_submit_append(j->n, body, len, submit_done, j);
	free(body);
	if (rc) {
		sp_http_reply_error(res, rc, "report not queued: %s", sp_strerror(rc));
		sp_http_complete(req);
		sodium_memzero(j->secret, sizeof(j->secret));
		free(j);
	}
	return SP_HTTP_SUSPENDED;
}

/* explain sets the error reply for a service's refusal when it gave a
 * sentence for the user (why); otherwise the code's own reply stands. */
static int explain(struct sp_http_resp *res, int rc, const char *why)
{
	if (rc && why[0])
		sp_http_reply_error(res, rc, "%s", why);
	return rc;
}

static int post_report(struct sp_http_req *req, struct sp_http_resp *res)
{
	const struct sp_dirload *dl = sp_node_dir(req->ctx);
	json_t *o;
	struct sp_submit s = {0};
	uint8_t *ct = NULL, key[SP_REPORT_CKEY_BYTES];
	char why[SP_ERR_WHY_MAX];
	int rc = sp_api_submission_read(req, res, &o, &s);
	if (rc == 0) {
		rc = sp_submit_route(dl, &s);
		if (rc == SP_ERR_ARG)
			rc = BAD(res, "category or region not routable");
	}
	if (rc == 0 && !s.r.has_reporter_key) {
		rc = sp_submit_track(&s);
		s.has_secret = rc == 0;
	}
	if (rc == 0 && s.r.vis != SP_REPORT_RAHASIA)
		rc = explain(res, sp_submit_check_files(req->ctx, &s, why), why);
	if (rc == 0)
		rc = sp_submit_seal(dl, &s, &ct, key);
	if (rc == 0 && s.r.vis == SP_REPORT_RAHASIA)
		rc = explain(res, sp_submit_seal_files(req->ctx, &s, key, why), why);
	sodium_memzero(key, sizeof(key));
	if (rc == 0)
		rc = append_report(req, res, &s);
	free(ct);
	json_decref(o);
	sodium_memzero(s.secret, sizeof(s.secret));
	if (rc == SP_ERR_HTTP_BAD_REQUEST)
		return SP_HTTP_DONE; /* the reply names the field */
	return rc;
}

/* ---- the state and trail as JSON ------------------------------------------------------------ */

/* A report's answer is written straight into a buffer, with the bytes a
 * jansson tree of it gave (json_dumps, JSON_COMPACT | JSON_ENSURE_ASCII):
 * building and dumping that tree cost a quarter of a track answer's CPU.
 * Where the tree could not make a value (text that is not UTF-8), it left
 * the member out, and a json_pack'ed object with all of its members: a
 * writer that fails here rolls the buffer back to where that member or
 * element began (drop). */

static void put_key(struct sp_buf *b, const char *key); /* with the pages, below */
static void put_int_field(struct sp_buf *b, const char *key, json_int_t v);

static int drop(struct sp_buf *b, size_t at, int rc)
{
	if (rc && !b->err)
		b->len = at;
	return rc;
}

static void put_lit(struct sp_buf *b, const char *s)
{
	sp_buf_put(b, s, strlen(s));
}

/* put_sstr writes s, or null when it is absent. */
static int put_sstr(struct sp_buf *b, struct sp_str s)
{
	if (s.p == NULL) {
		put_lit(b, "null");
		return 0;
	}
	return sp_json_put_strn(b, s.p, s.n);
}

static void put_hex(struct sp_buf *b, const uint8_t *p, size_t n)
{
	char h[2 * 64 + 1];
	sodium_bin2hex(h, sizeof(h), p, n);
	sp_buf_put(b, "\"", 1);
	sp_buf_put(b, h, 2 * n);
	sp_buf_put(b, "\"", 1);
}

/* Members: each as json_object_set_new set it (left out without a value). */
static void opt_sstr(struct sp_buf *b, const char *key, struct sp_str s)
{
	size_t at = b->len;
	put_key(b, key);
	drop(b, at, put_sstr(b, s));
}

static void opt_str(struct sp_buf *b, const char *key, const char *s)
{
	size_t at = b->len;
	put_key(b, key);
	drop(b, at, s ? sp_json_put_str(b, s) : SP_ERR_ARG);
}

static void put_hex_field(struct sp_buf *b, const char *key, const uint8_t *p, size_t n)
{
	put_key(b, key);
	put_hex(b, p, n);
}

static void put_lit_field(struct sp_buf *b, const char *key, const char *lit)
{
	put_key(b, key);
	put_lit(b, lit);
}

static void put_int_or_null(struct sp_buf *b, const char *key, uint64_t v)
{
	if (v)
		put_int_field(b, key, (json_int_t)v);
	else
		put_lit_field(b, key, "null");
}

static void put_bool_field(struct sp_buf *b, const char *key, int v)
{
	put_lit_field(b, key, v ? "true" : "false");
}

/* Arrays: an element that cannot be made is left out, as
 * json_array_append_new(a, NULL) left it out. */
struct arr {
	struct sp_buf *b;
	size_t n, at;
};

static void arr_open(struct arr *a, struct sp_buf *b, const char *key)
{
	*a = (struct arr){.b = b};
	put_key(b, key);
	sp_buf_put(b, "[", 1);
}

/* arr_next starts an element; arr_end(a, rc) keeps it or drops it. */
static void arr_next(struct arr *a)
{
	a->at = a->b->len;
	if (a->n)
		sp_buf_put(a->b, ",", 1);
}

static void arr_end(struct arr *a, int rc)
{
	if (drop(a->b, a->at, rc) == 0)
		a->n++;
}

static void arr_close(struct arr *a)
{
	sp_buf_put(a->b, "]", 1);
}

static void put_strs(struct sp_buf *b, const char *key, const struct sp_str *s, size_t n)
{
	struct arr a;
	arr_open(&a, b, key);
	for (size_t i = 0; i < n; i++) {
		arr_next(&a);
		arr_end(&a, put_sstr(b, s[i]));
	}
	arr_close(&a);
}

static int put_span(struct sp_buf *b, const struct sp_report_state *st, size_t i, uint64_t now)
{
	const struct sp_report_span *sp = &st->spans[i];
	uint64_t end = sp->open ? now : sp->end_ms;
	put_lit(b, "{\"institution\":");
	int rc = sp_json_put_str(b, sp->inst);
	put_int_field(b, "start", (json_int_t)sp->start_ms);
	if (sp->open)
		put_lit_field(b, "end", "null");
	else
		put_int_field(b, "end", (json_int_t)sp->end_ms);
	put_int_field(b, "duration_ms", (json_int_t)(end > sp->start_ms ? end - sp->start_ms : 0));
	put_key(b, "from");
	if (sp->from >= 0) {
		if (rc == 0)
			rc = sp_json_put_str(b, st->spans[sp->from].inst);
	} else {
		put_lit(b, "null");
	}
	sp_buf_put(b, "}", 1);
	return rc;
}

/* put_act: what an action says in public (its signed act), and who. */
static void put_act(struct sp_buf *b, const struct sp_dirload *dl, const struct sp_report_action *a,
		    uint64_t t)
{
	opt_str(b, "action", sp_report_act_name((int)a->code));
	if (a->n_targets)
		put_strs(b, "targets", a->targets, a->n_targets);
	if (a->reason)
		put_int_field(b, "reason", a->reason);
	if (a->text.p)
		opt_sstr(b, "text", a->text);
	if (a->rating)
		put_int_field(b, "rating", a->rating);
	if (a->has_merge)
		put_hex_field(b, "merge_into", a->merge_into, SP_HASH_BYTES);
	put_int_field(b, "issued", (json_int_t)a->issued_ms);
	if (a->actor != SP_ACTOR_OFFICER) {
		put_lit_field(b, "actor", "{\"reporter\":\"key\"}");
		return;
	}
	struct sp_dir_officer off;
	int known = dl && dl->dir && sp_dir_officer(dl->dir, a->officer, t, &off) == 0;
	size_t at = b->len;
	put_key(b, "actor");
	put_lit(b, "{\"officer\":");
	put_hex(b, a->officer, SP_KEY_BYTES);
	put_key(b, "institution");
	int rc = 0;
	if (known)
		rc = sp_json_put_str(b, off.inst);
	else
		put_lit(b, "null");
	sp_buf_put(b, "}", 1);
	drop(b, at, rc);
}

/* item_type: a trail entry's "type" in the public JSON. */
static const char *item_type(uint64_t type)
{
	return type == SP_EV_ACTION	 ? "action"
	       : type == SP_EV_KEY_GRANT ? "key_grant"
	       : type == SP_EV_TRANSFER	 ? "transfer"
					 : "escalation";
}

/* put_item_body: what the entry says, by its type. */
static void put_item_body(struct sp_buf *b, const struct sp_dirload *dl,
			  const struct sp_reports_item *it)
{
	struct sp_report_action a;
	struct sp_report_escalation x;
	struct sp_report_transfer tr;
	struct sp_report_key keys[SP_REPORT_MAX_KEYS];
	struct sp_str insts[SP_REPORT_MAX_KEYS];
	size_t nk = 0;
	if (it->e.type == SP_EV_ACTION &&
	    sp_report_action_parse(it->e.body, it->e.body_len, &a) == 0) {
		put_act(b, dl, &a, it->e.time_ms);
	} else if (it->e.type == SP_EV_KEY_GRANT &&
		   sp_report_trail_keys(it->e.type, it->e.body, it->e.body_len, keys, &nk) == 0) {
		for (size_t i = 0; i < nk; i++) /* who got a copy; the sealed copies stay out */
			insts[i] = keys[i].inst;
		put_strs(b, "institutions", insts, nk);
	} else if (it->e.type == SP_EV_TRANSFER &&
		   sp_report_transfer_parse(it->e.body, it->e.body_len, &tr) == 0) {
		/* the heir's node writes a transfer in its own log: the log is "to" */
		opt_sstr(b, "from", tr.from);
		opt_str(b, "to", it->inst);
	} else if (it->e.type == SP_EV_ESCALATION &&
		   sp_report_esc_parse(it->e.body, it->e.body_len, &x) == 0) {
		put_int_field(b, "stage", x.stage);
		put_int_field(b, "deadline", (json_int_t)x.deadline_ms);
	}
}

static int put_item(struct sp_buf *b, const struct sp_dirload *dl,
		    const struct sp_reports_item *it, int verdict)
{
	put_lit(b, "{\"log\":");
	int rc = sp_json_put_str(b, it->inst);
	put_int_field(b, "index", (json_int_t)it->index);
	put_int_field(b, "time", (json_int_t)it->e.time_ms);
	put_key(b, "type");
	sp_json_put_str(b, item_type(it->e.type));
	put_key(b, "verdict");
	sp_json_put_str(b, verdict ? "invalid" : "applied");
	if (verdict)
		opt_str(b, "error", sp_errname(verdict));
	put_item_body(b, dl, it);
	sp_buf_put(b, "}", 1);
	return rc;
}

static void put_attachments(struct sp_buf *b, const struct sp_report *r)
{
	struct arr a;
	arr_open(&a, b, "attachments");
	for (size_t i = 0; i < r->n_attach; i++) {
		arr_next(&a);
		put_lit(b, "{\"sha256\":");
		put_hex(b, r->attach[i].sha256, 32);
		put_int_field(b, "size", (json_int_t)r->attach[i].size);
		put_key(b, "media_type");
		int rc = put_sstr(b, r->attach[i].media_type);
		sp_buf_put(b, "}", 1);
		arr_end(&a, rc);
	}
	arr_close(&a);
}

/* put_body: what the submission says in public. */
static void put_body(struct sp_buf *b, const struct sp_dirload *dl, const struct sp_report *r)
{
	char named[SP_DIR_RULE_MAX + 1];
	const char *rule = r->has_rule && dl && sp_dirload_rule_name(dl, r->rule, named) == 0
				   ? named
				   : NULL;
	opt_str(b, "kind", kind_names[r->kind]);
	opt_str(b, "visibility", vis_names[r->vis]);
	opt_sstr(b, "category", r->category);
	opt_sstr(b, "region", r->region);
	opt_sstr(b, "routed_to", r->routed_to);
	char def[SP_DIR_RULE_MAX + 1];
	snprintf(def, sizeof(def), "default:%.*s", (int)r->routed_to.n, r->routed_to.p);
	if (rule || !r->has_rule)
		opt_str(b, "rule", rule ? rule : def);
	else
		put_hex_field(b, "rule", r->rule, 32);
	opt_sstr(b, "channel", r->channel);
	put_attachments(b, r);
	if (r->vis == SP_REPORT_RAHASIA) {
		put_lit_field(b, "sealed", "true");
	} else {
		opt_sstr(b, "title", r->title);
		opt_sstr(b, "content", r->content);
	}
	put_lit_field(b, "reporter_proof", "\"key\"");
	/* Public anyway (the tiles carry it) and needed to re-derive the key;
	 * without the secret it links nothing. */
	if (r->has_salt)
		put_hex_field(b, "reporter_salt", r->salt, SP_REPORTER_SALT_BYTES);
	if (r->vis == SP_REPORT_PUBLIK && r->has_reporter_key)
		put_hex_field(b, "reporter_key", r->reporter_key, SP_KEY_BYTES);
}

static void put_state(struct sp_buf *b, const struct sp_report_state *st, uint64_t now)
{
	struct arr a;
	opt_str(b, "status", sp_report_status_name(st->status));
	arr_open(&a, b, "holders");
	for (size_t i = 0; i < st->n_holders; i++) {
		arr_next(&a);
		arr_end(&a, sp_json_put_str(b, st->holders[i]));
	}
	arr_close(&a);
	arr_open(&a, b, "history");
	for (size_t i = 0; i < st->n_spans; i++) {
		arr_next(&a);
		arr_end(&a, put_span(b, st, i, now));
	}
	arr_close(&a);
	put_int_field(b, "bounces", st->bounces);
	put_int_field(b, "reopens", st->reopens);
	put_int_field(b, "escalations", st->escalations);
	put_int_field(b, "stage", st->stage);
	put_int_or_null(b, "deadline", st->deadline_ms);
	put_bool_field(b, "overdue", st->overdue);
	put_int_or_null(b, "rating", st->rating);
	put_bool_field(b, "auto_closed", st->auto_closed);
	if (st->merged)
		put_hex_field(b, "merged_into", st->merged_into, 32);
	else
		put_lit_field(b, "merged_into", "null");
	put_int_or_null(b, "answered", st->answered_ms);
	put_int_or_null(b, "closed", st->closed_ms);
}

/* view_write appends report v's answer, with its final newline, to b: 0,
 * or SP_ERR_NOMEM (also when its log's name is not UTF-8, which the tree
 * refused too). */
static int view_write(const struct sp_dirload *dl, const struct sp_reports_view *v, uint64_t now,
		      struct sp_buf *b)
{
	size_t start = b->len;
	put_lit(b, "{\"report_id\":");
	put_hex(b, v->st.id, 32);
	put_key(b, "log");
	int rc = sp_json_put_str(b, v->sub.inst);
	put_int_field(b, "index", (json_int_t)v->sub.index);
	put_int_field(b, "submitted", (json_int_t)v->sub.e.time_ms);
	put_int_field(b, "indexed", (json_int_t)v->indexed_ms);
	char ticket[SP_TICKET_MAX];
	if (sp_ticket_format(v->sub.inst, v->sub.index, v->st.id, ticket) == 0)
		opt_str(b, "ticket", ticket);
	put_body(b, dl, &v->body);
	put_state(b, &v->st, now);
	/* Said loudly: a deadline counted in a year whose holidays are unknown. */
	uint32_t unpub = dl && v->st.deadline_ms
				 ? sp_cal_first_unpublished(&dl->cal, v->sub.e.time_ms, v->st.deadline_ms)
				 : 0;
	put_int_or_null(b, "calendar_unpublished", unpub);
	struct arr a;
	arr_open(&a, b, "trail");
	for (size_t i = 0; i < v->n; i++) {
		arr_next(&a);
		arr_end(&a, put_item(b, dl, &v->items[i], v->st.verdict[i]));
	}
	arr_close(&a);
	sp_buf_put(b, "}\n", 2);
	if (rc == 0 && b->err)
		rc = SP_ERR_NOMEM;
	return rc ? drop(b, start, SP_ERR_NOMEM) : 0;
}

/* reply_view answers with report v (a 500 when it cannot be written, as
 * sp_http_reply_json answers a tree that could not be made). */
static int reply_view(struct sp_http_resp *res, unsigned status, const struct sp_dirload *dl,
		      const struct sp_reports_view *v, uint64_t now)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = view_write(dl, v, now, &b) == 0
			 ? sp_http_reply_buf(res, status, "application/json", &b)
			 : sp_http_reply_error(res, SP_ERR_NOMEM, NULL);
	sp_buf_free(&b);
	return rc;
}

json_t *sp_api_report_view(struct sp_node *n, const uint8_t id[32], int *err)
{
	struct sp_reports_view v;
	struct sp_buf b;
	uint64_t now = sp_now_ms();
	*err = sp_reports_view(sp_node_reports(n), id, now, NULL, &v);
	if (*err)
		return NULL;
	sp_buf_init(&b);
	json_t *o = view_write(sp_node_dir(n), &v, now, &b) == 0
			    ? json_loadb((const char *)b.p, b.len, JSON_ALLOW_NUL, NULL)
			    : NULL;
	sp_buf_free(&b);
	sp_reports_view_free(&v);
	*err = o ? 0 : SP_ERR_NOMEM;
	return o;
}

static int get_report(struct sp_http_req *req, struct sp_http_resp *res)
{
	uint8_t id[SP_HASH_BYTES];
	if (path_id(req, res, id) != 0)
		return SP_HTTP_DONE;
	struct sp_reports_view v;
	uint64_t now = sp_now_ms();
	int rc = sp_reports_view(sp_node_reports(req->ctx), id, now, NULL, &v);
	if (rc)
		return rc;
	sp_http_cache(res, "no-cache");
	rc = reply_view(res, 200, sp_node_dir(req->ctx), &v, now);
	sp_reports_view_free(&v);
	return rc;
}

/* ---- GET /v1/reports/{id}/receipt --------------------------------------------------------- */

static int get_receipt(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	struct sp_store *s = sp_node_store(n);
	uint8_t id[SP_HASH_BYTES];
	if (path_id(req, res, id) != 0)
		return SP_HTTP_DONE;
	uint32_t log;
	uint64_t index, size = 0;
	int rc = sp_reports_locate(sp_node_reports(n), id, &log, &index);
	if (rc)
		return rc;
	struct sp_buf cp, out;
	sp_buf_init(&cp);
	sp_buf_init(&out);
	rc = sp_store_checkpoint(s, log, &cp, &size);
	if (rc == 0 && size <= index) {
		sp_buf_free(&cp);
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND,
					   "no signed checkpoint covers entry %llu yet; checkpoints "
					   "are signed every %u ms: try again shortly",
					   (unsigned long long)index, sp_node_conf(n)->checkpoint_ms);
	}
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	size_t np = 0;
	if (rc == 0)
		rc = sp_store_inclusion(s, log, index, size, proof, &np);
	if (rc == 0)
		rc = sp_receipt_format(index, proof, np, (const char *)cp.p, cp.len, NULL, 0, &out);
	sp_buf_free(&cp);
	if (rc == 0) {
		sp_http_cache(res, "no-cache");
		rc = sp_http_reply_buf(res, 200, "text/plain; charset=utf-8", &out);
	}
	sp_buf_free(&out);
	return rc;
}

/* ---- POST /v1/reports/{id}/actions --------------------------------------------------------- */

struct act_job {
	struct sp_node *n;
	struct sp_http_req *req;
	uint8_t id[SP_HASH_BYTES];
	uint32_t code;
};

/* act_done: the indexer thread, once the action is durable and indexed
 * (sp_act_append). */
static void act_done(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	struct act_job *j = arg;
	struct sp_http_resp *res = sp_http_resp_of(j->req);
	struct sp_reports_view v;
	uint64_t now = sp_now_ms();
	if (err == 0)
		err = sp_reports_view(sp_node_reports(j->n), j->id, now, NULL, &v);
	if (err) {
		sp_http_reply_error(res, err, "action not stored: %s", sp_strerror(err));
	} else {
		reply_view(res, 201, sp_node_dir(j->n), &v, now);
		sp_reports_view_free(&v);
		sp_logx(sp_node_log(j->n), SP_LOGX_INFO, "reports", "action=%s index=%llu",
			sp_report_act_name((int)j->code), (unsigned long long)index);
	}
	sp_http_complete(j->req);
	free(j);
}

int sp_api_action_read(struct sp_http_req *req, struct sp_http_resp *res, uint8_t **raw,
		       size_t *len, struct sp_report_action *a)
{
	static const char *const keys[] = {"body", NULL};
	json_t *o;
	struct sp_str b64;
	int rc = load_object(req, res, &o);
	if (rc == 0)
		rc = only_keys(o, keys, res);
	if (rc == 0)
		rc = get_text(o, "body", 4 * (SP_ENTRY_MAX / 3 + 1), 1, &b64, res);
	*raw = rc ? NULL : malloc(b64.n);
	if (rc == 0 && *raw == NULL)
		rc = SP_ERR_NOMEM;
	if (rc == 0 && sodium_base642bin(*raw, b64.n, b64.p, b64.n, NULL, len, NULL,
					 sodium_base64_VARIANT_ORIGINAL) != 0)
		rc = BAD(res, "field 'body' is not standard base64");
	json_decref(o);
	if (rc == 0)
		rc = sp_report_action_parse(*raw, *len, a);
	return rc;
}

/* append_act queues the checked action; the request completes in act_done.
 * Returns SP_HTTP_SUSPENDED, or an error before anything was queued. */
static int append_act(struct sp_http_req *req, struct sp_http_resp *res,
		      const struct sp_report_action *a, const uint8_t *raw, size_t len)
{
	struct act_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return SP_ERR_NOMEM;
	*j = (struct act_job){.n = req->ctx, .req = req, .code = a->code};
	memcpy(j->id, a->report, SP_HASH_BYTES);
	sp_http_suspend(req);
	int rc = sp_act_append(j->n, j->id, raw, len, act_done, j);
	if (rc) {
		sp_http_reply_error(res, rc, "action not queued: %s", sp_strerror(rc));
		sp_http_complete(req);
		free(j);
	}
	return SP_HTTP_SUSPENDED;
}

static int post_action(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	struct sp_report_action a;
	uint8_t id[SP_HASH_BYTES], *raw = NULL;
	size_t len = 0;
	if (path_id(req, res, id) != 0)
		return SP_HTTP_DONE;
	int rc = sp_api_action_read(req, res, &raw, &len, &a);
	if (rc == 0 && memcmp(a.report, id, SP_HASH_BYTES) != 0)
		rc = BAD(res, "the act names another report");
	if (rc == 0)
		rc = sp_act_prepare(n, &a, raw, len);
	if (rc == SP_ERR_RETIRED) {
		free(raw);
		return sp_http_reply_error(res, rc, "a retired institution cannot receive, return "
					   "or act on a report: forward it to the one that took "
					   "over (its parent; GET /v1/directory/institutions/ID "
					   "shows retired_ms)");
	}
	if (rc == 0) {
		rc = append_act(req, res, &a, raw, len);
		if (rc != SP_HTTP_SUSPENDED)
			sp_act_release(n, id);
	}
	free(raw);
	return rc == SP_ERR_HTTP_BAD_REQUEST ? SP_HTTP_DONE : rc;
}

/* ---- GET /v1/reports, GET /v1/stats ------------------------------------------------------------ */

/* A page of summaries written as it is read, without a jansson tree (a
 * page of 50 cost more in building and dumping the tree than in reading
 * the index); the bytes are those json_pack and json_dumps gave. */
struct page {
	struct sp_buf b;
	size_t n; /* summaries written */
};

/* put_key writes `,"key":` in one put (a page writes a dozen per row);
 * keys are this file's own short names. */
static void put_key(struct sp_buf *b, const char *key)
{
	char t[40];
	size_t n = strlen(key);
	if (n > sizeof(t) - 4)
		n = sizeof(t) - 4;
	t[0] = ',';
	t[1] = '"';
	memcpy(t + 2, key, n);
	t[n + 2] = '"';
	t[n + 3] = ':';
	sp_buf_put(b, t, n + 4);
}

static int put_str_field(struct sp_buf *b, const char *key, const char *v)
{
	put_key(b, key);
	return sp_json_put_str(b, v);
}

static void put_int_field(struct sp_buf *b, const char *key, json_int_t v)
{
	put_key(b, key);
	sp_json_put_int(b, v);
}

/* put_holders: a holder json_string refuses is left out, as
 * json_array_append_new(h, NULL) left it out. */
static void put_holders(struct sp_buf *b, const struct sp_reports_summary *s)
{
	put_key(b, "holders");
	sp_buf_put(b, "[", 1);
	for (size_t i = 0, k = 0; i < s->n_holders; i++) {
		size_t at = b->len;
		if (k)
			sp_buf_put(b, ",", 1);
		if (sp_json_put_str(b, s->holders[i]) == 0)
			k++;
		else if (!b->err)
			b->len = at;
	}
	sp_buf_put(b, "]", 1);
}

static int add_summary(void *arg, const struct sp_reports_summary *s)
{
	struct page *pg = arg;
	struct sp_buf *b = &pg->b;
	char id[2 * SP_HASH_BYTES + 1];
	sodium_bin2hex(id, sizeof(id), s->id, SP_HASH_BYTES);
	if (pg->n++)
		sp_buf_put(b, ",", 1);
	sp_buf_put(b, "{\"report_id\":\"", 14);
	sp_buf_put(b, id, 2 * SP_HASH_BYTES);
	sp_buf_put(b, "\"", 1);
	int rc = put_str_field(b, "log", s->log);
	put_int_field(b, "index", (json_int_t)s->index);
	put_int_field(b, "submitted", (json_int_t)s->submitted_ms);
	if (rc == 0)
		rc = put_str_field(b, "region", s->region);
	if (rc == 0)
		rc = put_str_field(b, "category", s->category);
	if (rc == 0)
		rc = put_str_field(b, "routed_to", s->routed_to);
	if (rc == 0)
		rc = put_str_field(b, "status", sp_report_status_name(s->status));
	put_holders(b, s);
	put_int_field(b, "stage", (int)s->stage);
	put_key(b, "deadline");
	if (s->deadline_ms)
		sp_json_put_int(b, (json_int_t)s->deadline_ms);
	else
		sp_buf_put(b, "null", 4);
	put_key(b, "overdue");
	sp_buf_put(b, s->overdue ? "true" : "false", s->overdue ? 4 : 5);
	put_int_field(b, "escalations", (int)s->escalations);
	sp_buf_put(b, "}", 1);
	return rc ? rc : b->err ? SP_ERR_NOMEM : 0;
}

static int query_u64(struct sp_http_req *req, const char *name, uint64_t *v)
{
	const char *s = sp_http_query(req, name);
	char *end;
	if (s == NULL)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	*v = strtoull(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

static int parse_kind(const char *s, int *out)
{
	for (int i = 0; i < (int)(sizeof(kind_names) / sizeof(kind_names[0])); i++) {
		if (strcmp(kind_names[i], s) == 0) {
			*out = i + 1;
			return 0;
		}
	}
	return -1;
}

static int parse_query(struct sp_http_req *req, struct sp_http_resp *res,
		       struct sp_reports_query *q)
{
	const char *st = sp_http_query(req, "status"), *ov = sp_http_query(req, "overdue");
	const char *sub = sp_http_query(req, "subtree"), *kind = sp_http_query(req, "kind");
	uint64_t limit = QUERY_LIMIT_DEFAULT;
	*q = (struct sp_reports_query){.status = -1};
	q->institution = sp_http_query(req, "institution");
	q->region = sp_http_query(req, "region");
	q->holder = sp_http_query(req, "holder");
	q->category = sp_http_query(req, "category");
	if (st && (q->status = sp_report_status_of(st)) < 0)
		return BAD(res, "unknown status '%.32s'", st);
	if (kind && parse_kind(kind, &q->kind) != 0)
		return BAD(res, "unknown kind '%.32s'", kind);
	if ((ov && strcmp(ov, "1") != 0 && strcmp(ov, "0") != 0) ||
	    (sub && strcmp(sub, "1") != 0 && strcmp(sub, "0") != 0))
		return BAD(res, "overdue and subtree are 0 or 1");
	q->overdue = ov && ov[0] == '1';
	q->subtree = sub && sub[0] == '1';
	if (q->subtree && q->holder == NULL)
		return BAD(res, "subtree needs holder");
	if (query_u64(req, "since", &q->since) || query_u64(req, "until", &q->until) ||
	    query_u64(req, "cursor", &q->cursor) || query_u64(req, "limit", &limit) ||
	    limit == 0 || limit > QUERY_LIMIT_MAX)
		return BAD(res, "since, until, cursor are whole numbers; limit 1 to %d",
			   QUERY_LIMIT_MAX);
	q->limit = (size_t)limit;
	return 0;
}

static int get_reports(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_reports_query q;
	if (parse_query(req, res, &q) != 0)
		return SP_HTTP_DONE;
	struct page pg = {.n = 0};
	sp_buf_init(&pg.b);
	sp_buf_put(&pg.b, "{\"reports\":[", 12);
	uint64_t next = 0;
	int rc = sp_reports_query(sp_node_reports(req->ctx), &q, sp_now_ms(), add_summary, &pg,
				  &next);
	if (rc == 0) {
		sp_buf_put(&pg.b, "],\"next_cursor\":", 16);
		if (next) {
			char cur[24];
			sp_buf_put(&pg.b, cur, (size_t)snprintf(cur, sizeof(cur), "\"%llu\"",
								  (unsigned long long)next));
		} else {
			sp_buf_put(&pg.b, "null", 4);
		}
		sp_buf_put(&pg.b, "}\n", 2);
		sp_http_cache(res, "no-cache");
		rc = pg.b.err ? SP_ERR_NOMEM : sp_http_reply_buf(res, 200, "application/json", &pg.b);
	}
	sp_buf_free(&pg.b);
	return rc;
}

/* counts_json: {"total": n, "<status>": n, ..., "overdue": n} without zeros. */
static json_t *counts_json(const struct sp_reports_stats *s)
{
	json_t *o = json_pack("{s:I}", "total", (json_int_t)s->total);
	for (int i = 0; o && i <= SP_ST_DIGABUNG; i++)
		if (s->by_status[i])
			json_object_set_new(o, sp_report_status_name(i),
					    json_integer((json_int_t)s->by_status[i]));
	if (o && s->overdue)
		json_object_set_new(o, "overdue", json_integer((json_int_t)s->overdue));
	return o;
}

static int add_inst(void *arg, const char *inst, const struct sp_reports_stats *s)
{
	json_t *o = counts_json(s);
	return o && json_object_set_new(arg, inst, o) == 0 ? 0 : SP_ERR_NOMEM;
}

/* make_stats writes the /v1/stats answer (a memo: from the counters alone). */
static int make_stats(void *arg, struct sp_buf *out)
{
	struct sp_reports_stats st;
	json_t *by_inst = json_object(), *by_status = json_object();
	int rc = by_inst && by_status ? sp_reports_stats(arg, sp_now_ms(), &st, add_inst, by_inst)
				      : SP_ERR_NOMEM;
	for (int i = 0; rc == 0 && i <= SP_ST_DIGABUNG; i++)
		if (st.by_status[i])
			json_object_set_new(by_status, sp_report_status_name(i),
					    json_integer((json_int_t)st.by_status[i]));
	if (rc) {
		json_decref(by_inst);
		json_decref(by_status);
		return rc;
	}
	rc = sp_http_json_dump(json_pack("{s:I,s:I,s:o,s:o}", "total", (json_int_t)st.total,
					 "overdue", (json_int_t)st.overdue, "by_status", by_status,
					 "by_institution", by_inst),
			       out);
	sp_buf_put(out, "\n", 1);
	return rc;
}

static int get_stats(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_reports_memo(sp_node_reports(req->ctx), SP_REPORTS_MEMO_STATS, sp_now_ms(),
				 make_stats, sp_node_reports(req->ctx), &b);
	if (rc == 0) {
		sp_http_cache(res, "no-cache");
		rc = sp_http_reply_buf(res, 200, "application/json", &b);
	}
	sp_buf_free(&b);
	return rc;
}

const struct sp_http_route sp_api_reports_routes[] = {
	{"POST", "/v1/reports", post_report, SP_HTTP_JSON},
	{"GET", "/v1/reports", get_reports, 0},
	{"GET", "/v1/reports/{id}", get_report, 0},
	{"GET", "/v1/reports/{id}/receipt", get_receipt, 0},
	{"POST", "/v1/reports/{id}/actions", post_action, SP_HTTP_JSON},
	{"GET", "/v1/stats", get_stats, 0},
	{NULL, NULL, NULL, 0},
};

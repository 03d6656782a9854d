/*
 * sp_api_track.c - tracking at any node ("no wrong door" for tracking too):
 *
 *   GET  /v1/track/{ref}           the report's state and public trail
 *   GET  /v1/track/{ref}/receipt   its receipt (C2SP tlog-proof)
 *   POST /v1/track/{ref}/actions   a reporter's signed action
 *
 * {ref} is a short ticket (sp_ticket.h) or a 64-hex report id. A node that
 * holds the report answers from its own store (receipt and actions
 * redirect, 307, to /v1/reports/{id}/...). A node that does not asks the
 * node that does, over HTTP at the address the directory gives: for a
 * ticket, the node of the institution it names (whose own log holds the
 * submission); for a report id, the national coordinator's node, then this
 * node's parent's. The answer says which node it came from ("source"). A
 * forwarded request carries X-Simpul-Forwarded and is never forwarded
 * again, so two nodes cannot bounce a request between them.
 *
 * The forwarding node vouches for nothing: the state is the holder's
 * computation, and its receipt is what an observer checks (the Lacak page
 * verifies it against the directory's key of the log). The requests are
 * blocking libcurl calls on an HTTP worker thread, bounded by short
 * timeouts (2 s to connect, 5 s in all) and a 4 MiB answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "sp_api.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_hex.h"
#include "sp_node.h"
#include "sp_reports.h"
#include "sp_ticket.h"

#define FWD_HEADER "X-Simpul-Forwarded"
#define FWD_MAX (4u << 20)
#define MAX_CANDIDATES 3

/* What a {ref} names. */
struct ref {
	int is_ticket;
	char inst[SP_INST_ID_MAX + 1]; /* ticket: the door institution, canonical */
	uint64_t index;
	unsigned check;
	uint8_t id[SP_HASH_BYTES];     /* report id: given, or found here */
};

struct canon_walk {
	char *inst;
	int found;
};

static int canon_one(void *arg, const struct sp_dir_inst *r)
{
	struct canon_walk *w = arg;
	if (strcasecmp(r->id, w->inst) != 0)
		return 0;
	snprintf(w->inst, SP_INST_ID_MAX + 1, "%s", r->id);
	w->found = 1;
	return 1;
}

/* parse_ref reads {ref}; a ticket's institution id is matched to the
 * directory's spelling regardless of case (people type "kemenpu"). */
static int parse_ref(struct sp_node *n, const char *s, struct ref *r)
{
	memset(r, 0, sizeof(*r));
	if (s && strlen(s) == 64 && sp_hex_parse(s, r->id, sizeof(r->id)) == 0)
		return 0;
	if (sp_ticket_parse(s, r->inst, &r->index, &r->check) != 0)
		return SP_ERR_HTTP_BAD_REQUEST;
	r->is_ticket = 1;
	const struct sp_dirload *dl = sp_node_dir(n);
	struct canon_walk w = {r->inst, 0};
	if (dl && dl->dir)
		sp_dir_each(dl->dir, canon_one, &w);
	return 0;
}

/* find_local finds the report here. SP_ERR_UNKNOWN_REPORT if this node
 * knows it is not a report (a ticket whose entry is held but is not one,
 * or whose check digits differ: definite), SP_ERR_NOT_FOUND if this node
 * just does not hold it (ask another). */
static int find_local(struct sp_node *n, struct ref *r)
{
	uint32_t log, l2;
	uint64_t idx;
	if (!r->is_ticket)
		return sp_reports_locate(sp_node_reports(n), r->id, &log, &idx) == 0
			       ? 0
			       : SP_ERR_NOT_FOUND;
	if (sp_node_find_log(n, r->inst, &log) != 0)
		return SP_ERR_NOT_FOUND;
	struct sp_buf e;
	sp_buf_init(&e);
	int rc = sp_store_entry(sp_node_store(n), log, r->index, &e);
	if (rc || e.err) {
		sp_buf_free(&e);
		return SP_ERR_NOT_FOUND; /* not (yet) held here */
	}
	struct sp_entry ent;
	rc = sp_entry_decode(e.p, e.len, &ent);
	if (rc == 0 && ent.type != SP_EV_REPORT)
		rc = SP_ERR_UNKNOWN_REPORT;
	if (rc == 0) {
		sp_entry_hash(e.p, e.len, r->id);
		if (sp_ticket_check(r->id) != r->check)
			rc = SP_ERR_UNKNOWN_REPORT;
	}
	sp_buf_free(&e);
	if (rc == 0 && sp_reports_locate(sp_node_reports(n), r->id, &l2, &idx) != 0)
		rc = SP_ERR_NOT_FOUND; /* held, not indexed yet */
	return rc ? (rc == SP_ERR_NOT_FOUND ? rc : SP_ERR_UNKNOWN_REPORT) : 0;
}

/* ---- asking another node ---------------------------------------------------------------- */

struct candidate {
	char inst[SP_INST_ID_MAX + 1];
	char http[SP_DIR_ADDR_MAX + 1];
};

static int add_candidate(const struct sp_dirload *dl, const char *self, const char *inst,
			 struct candidate *c, size_t *nc)
{
	struct sp_dir_inst r;
	if (*nc == MAX_CANDIDATES || !inst[0] || strcmp(inst, self) == 0 ||
	    sp_dir_institution(dl->dir, inst, SP_DIR_TIME_MAX, &r) != 0 || !r.http[0])
		return 0;
	for (size_t i = 0; i < *nc; i++)
		if (strcmp(c[i].inst, inst) == 0)
			return 0;
	snprintf(c[*nc].inst, sizeof(c[0].inst), "%s", inst);
	snprintf(c[*nc].http, sizeof(c[0].http), "%s", r.http);
	(*nc)++;
	return 0;
}

/* candidates: the nodes to ask, best first. */
static size_t candidates(struct sp_node *n, const struct ref *r, struct candidate *c)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	const char *self = sp_node_conf(n)->id;
	size_t nc = 0;
	if (dl == NULL || dl->dir == NULL)
		return 0;
	if (r->is_ticket)
		add_candidate(dl, self, r->inst, c, &nc);
	add_candidate(dl, self, dl->coordinator, c, &nc);
	char parent[SP_INST_ID_MAX + 1];
	if (sp_dir_parent(dl->dir, self, parent) == 0)
		add_candidate(dl, self, parent, c, &nc);
	return nc;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sp_buf *b = arg;
	if (b->len + size * n > FWD_MAX)
		return 0; /* too large: the transfer fails */
	sp_buf_put(b, p, size * n);
	return b->err ? 0 : size * n;
}

/* fetch does one forwarded request; *status is the HTTP status (0 if the
 * node did not answer). The answer is in out (NUL-terminated). */
static int fetch(const char *base, const char *path, const char *method, const uint8_t *body,
		 size_t len, struct sp_buf *out, long *status)
{
	char url[SP_DIR_ADDR_MAX + 256];
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof(url), "%.*s%s", (int)bl, base, path);
	*status = 0;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return SP_ERR_ARG;
	CURL *c = curl_easy_init();
	if (c == NULL)
		return SP_ERR_NOMEM;
	struct curl_slist *h = curl_slist_append(NULL, FWD_HEADER ": 1");
	struct curl_slist *h2 = h ? curl_slist_append(h, "Content-Type: application/json") : NULL;
	if (h2)
		h = h2;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	sp_buf_put(out, "", 1);
	out->len--;
	return cc == CURLE_OK && !out->err ? 0 : SP_ERR_IO;
}

/* forwarded: this request came from another node (never forward it on). */
static int forwarded(const struct sp_http_req *req)
{
	return sp_http_header(req, FWD_HEADER) != NULL;
}

/* ask_view asks the candidates for the view of ref; the first 200 that is
 * a JSON object naming the same report wins. NULL if none had it. */
static json_t *ask_view(struct sp_node *n, const char *ref, const struct ref *r, char *from,
			size_t cap)
{
	struct candidate c[MAX_CANDIDATES];
	size_t nc = candidates(n, r, c);
	char path[256];
	snprintf(path, sizeof(path), "/v1/track/%s", ref);
	for (size_t i = 0; i < nc; i++) {
		struct sp_buf b;
		long status;
		sp_buf_init(&b);
		int rc = fetch(c[i].http, path, "GET", NULL, 0, &b, &status);
		json_t *j = rc == 0 && status == 200 ? json_loadb((const char *)b.p, b.len, 0, NULL)
						     : NULL;
		sp_buf_free(&b);
		const char *id = json_string_value(json_object_get(j, "report_id"));
		char want[65];
		sodium_bin2hex(want, sizeof(want), r->id, 32);
		if (id && (r->is_ticket || strcmp(id, want) == 0)) {
			snprintf(from, cap, "%s", c[i].inst);
			return j;
		}
		json_decref(j);
		sp_logx(sp_node_log(n), SP_LOGX_DEBUG, "track", "asked %s for %s: status %ld",
			c[i].inst, ref, status);
	}
	return NULL;
}

json_t *sp_api_track_view(struct sp_node *n, const struct sp_http_req *req, const char *ref,
			  int *err)
{
	struct ref r;
	if (parse_ref(n, ref, &r) != 0) {
		*err = SP_ERR_HTTP_BAD_REQUEST;
		return NULL;
	}
	int rc = find_local(n, &r);
	json_t *v = NULL;
	char from[SP_INST_ID_MAX + 1];
	snprintf(from, sizeof(from), "%s", sp_node_conf(n)->id);
	if (rc == 0)
		v = sp_api_report_view(n, r.id, &rc);
	else if (rc == SP_ERR_NOT_FOUND && !forwarded(req))
		v = ask_view(n, ref, &r, from, sizeof(from));
	if (v == NULL) {
		*err = SP_ERR_UNKNOWN_REPORT;
		return NULL;
	}
	int remote = strcmp(from, sp_node_conf(n)->id) != 0;
	json_object_set_new(v, "source", json_pack("{s:s,s:b}", "node", from, "remote", remote));
	return v;
}

static int get_track(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	const char *s = sp_http_param(req, "ref");
	int rc;
	json_t *v = sp_api_track_view(n, req, s, &rc);
	if (v == NULL && rc == SP_ERR_HTTP_BAD_REQUEST)
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
					   "not a ticket (like 73.12-41-07) or a report id (64 hex "
					   "digits)");
	if (v == NULL)
		return sp_http_reply_error(res, SP_ERR_UNKNOWN_REPORT,
					   "no report '%.80s' here%s", s,
					   forwarded(req) ? "" : " or at the nodes asked");
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(res, 200, v);
}

/* holder_of: the node that answered for ref (its view's report id goes to
 * r->id). 0, or the error to answer. */
static int holder_of(struct sp_node *n, const char *s, struct ref *r, struct candidate *out)
{
	json_t *v = ask_view(n, s, r, out->inst, sizeof(out->inst));
	const char *id = json_string_value(json_object_get(v, "report_id"));
	int rc = id && sp_hex_parse(id, r->id, 32) == 0 ? 0 : SP_ERR_UNKNOWN_REPORT;
	json_decref(v);
	struct sp_dir_inst d;
	const struct sp_dirload *dl = sp_node_dir(n);
	if (rc == 0 && sp_dir_institution(dl->dir, out->inst, SP_DIR_TIME_MAX, &d) == 0)
		snprintf(out->http, sizeof(out->http), "%s", d.http);
	else
		rc = SP_ERR_UNKNOWN_REPORT;
	return rc;
}

int sp_api_relay(struct sp_http_req *req, const char *inst, const char *base, const char *path,
		 struct sp_http_resp *res)
{
	struct sp_buf b;
	long status;
	if (forwarded(req))
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
					   "a forwarded request is never forwarded again");
	sp_buf_init(&b);
	int rc = fetch(base, path, req->method, req->body, req->body_len, &b, &status);
	if (rc == 0 && status >= 200 && status < 600) {
		int text = b.len && b.p[0] != '{';
		rc = sp_http_reply_buf(res, (unsigned)status,
				       text ? "text/plain; charset=utf-8" : "application/json", &b);
		sp_http_cache(res, "no-store");
	} else {
		char msg[96];
		snprintf(msg, sizeof(msg), "node %s did not answer", inst);
		sp_http_cache(res, "no-store");
		rc = sp_http_reply_json(res, 502,
					json_pack("{s:{s:s,s:s}}", "error", "code", "SP_ERR_IO",
						  "message", msg));
	}
	sp_buf_free(&b);
	return rc;
}

/* track_sub serves .../receipt and .../actions: a redirect to the local
 * endpoint, or the holder's answer relayed. */
static int track_sub(struct sp_http_req *req, struct sp_http_resp *res, const char *what)
{
	struct sp_node *n = req->ctx;
	const char *s = sp_http_param(req, "ref");
	struct ref r;
	if (parse_ref(n, s, &r) != 0)
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST, "not a ticket or report id");
	int rc = find_local(n, &r);
	char idh[65], path[128];
	if (rc == 0) {
		sodium_bin2hex(idh, sizeof(idh), r.id, 32);
		snprintf(path, sizeof(path), "/v1/reports/%s/%s", idh, what);
		sp_http_header_add(res, "Location", path);
		sp_http_cache(res, "no-store");
		return sp_http_reply(res, 307, "text/plain; charset=utf-8", "", 0);
	}
	struct candidate c = {{0}, {0}};
	if (rc != SP_ERR_NOT_FOUND || forwarded(req) || holder_of(n, s, &r, &c) != 0)
		return sp_http_reply_error(res, SP_ERR_UNKNOWN_REPORT, "no report '%.80s' found", s);
	sodium_bin2hex(idh, sizeof(idh), r.id, 32);
	snprintf(path, sizeof(path), "/v1/reports/%s/%s", idh, what);
	return sp_api_relay(req, c.inst, c.http, path, res);
}

static int get_track_receipt(struct sp_http_req *req, struct sp_http_resp *res)
{
	return track_sub(req, res, "receipt");
}

static int post_track_action(struct sp_http_req *req, struct sp_http_resp *res)
{
	return track_sub(req, res, "actions");
}

const struct sp_http_route sp_api_track_routes[] = {
	{"GET", "/v1/track/{ref}", get_track, 0},
	{"GET", "/v1/track/{ref}/receipt", get_track_receipt, 0},
	{"POST", "/v1/track/{ref}/actions", post_track_action, SP_HTTP_JSON},
	{NULL, NULL, NULL, 0},
};

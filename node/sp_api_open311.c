/*
 * sp_api_open311.c - Open311 GeoReport v2 over the node's reports, for
 * FixMyStreet-style clients, in JSON and XML (the format is the path's
 * suffix, as the spec has it):
 *
 *   GET  /open311/v2/services.{json,xml}          the directory's categories
 *   GET  /open311/v2/services/{code}.{json,xml}   a service definition (no attributes)
 *   GET  /open311/v2/requests.{json,xml}          reports held here (or named ones, anywhere)
 *   POST /open311/v2/requests.{json,xml}          file a report
 *   GET  /open311/v2/requests/{id}.{json,xml}     one report, by short ticket or id, at any node
 *
 * Mapping (docs/api.md "Open311"): a service is a category; a request is a
 * report, its service_request_id the short ticket; address_id is the
 * Kemendagri region code (required to file: Simpul routes by region);
 * description is the text (its first line, cut to 80 bytes, the title);
 * address_string and lat/long are the event's place, written into the
 * text as "Tempat: ..." and "Koordinat: <lat>,<long>" lines (how the Lapor
 * page records the place too) and read back from it as address, lat and
 * long; media_url is appended to the text; first and last name, phone and
 * e-mail become the sealed name and contact; status is "open" until
 * selesai, diarsipkan or digabung ("closed"), with the Simpul status and
 * the latest answer as status_notes. Times are ISO 8601 in WIB (+07:00).
 * Errors use Open311's form, [{"code": 400, "description": "..."}] (in XML
 * <errors><error>...).
 *
 * A request this node does not hold is found as GET /v1/track finds it
 * (sp_api_track_view: the node of the ticket's institution, the
 * coordinator, the parent), so no Open311 client meets a wrong door.
 *
 * A POST is filed through the node's own POST /v1/reports (over loopback,
 * with channel "open311"), so it passes exactly the checks, routing,
 * sealing and durability of any submission; the answer adds the tracking
 * secret the node made (simpul_tracking_secret), since Open311 has no field
 * for it.
 *
 * The loopback request is answered by another of the server's worker
 * threads while this one waits, so a node configured with one HTTP thread
 * answers POST with 503.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "sp_api.h"
#include "sp_api_parse.h"
#include "sp_clock.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_hex.h"
#include "sp_node.h"
#include "sp_reports.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200
#define TITLE_CUT 80

enum fmt { FMT_JSON, FMT_XML };

/* fmt_of: the format a request path asks for (its suffix). */
static enum fmt fmt_of(const struct sp_http_req *req)
{
	size_t n = strlen(req->path);
	return n > 4 && strcmp(req->path + n - 4, ".xml") == 0 ? FMT_XML : FMT_JSON;
}

/* xml_text appends s escaped for XML character data. Characters XML 1.0
 * does not allow (C0 controls other than tab, newline, return) become
 * U+FFFD. */
static void xml_text(struct sp_buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '&')
			sp_buf_put_cstr(b, "&amp;");
		else if (c == '<')
			sp_buf_put_cstr(b, "&lt;");
		else if (c == '>')
			sp_buf_put_cstr(b, "&gt;");
		else if (c == '"')
			sp_buf_put_cstr(b, "&quot;");
		else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			sp_buf_put_cstr(b, "\xEF\xBF\xBD");
		else
			sp_buf_put(b, p, 1);
	}
}

/* xml_value appends v as the element <name>: objects as one child element
 * per key, arrays as one <item> per element (item: name without its
 * plural "s"), null as an empty element. Names are this file's keys. */
static void xml_value(struct sp_buf *b, const char *name, const char *item, json_t *v)
{
	char num[64];
	if (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0)) {
		sp_buf_put_cstr(b, "<");
		sp_buf_put_cstr(b, name);
		sp_buf_put_cstr(b, "/>");
		return;
	}
	sp_buf_put_cstr(b, "<");
	sp_buf_put_cstr(b, name);
	sp_buf_put_cstr(b, ">");
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			char sub[64];
			snprintf(sub, sizeof(sub), "%.*s", (int)strlen(k) - (k[strlen(k) - 1] == 's'), k);
			xml_value(b, k, sub, x);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			xml_value(b, item, item, x);
	} else if (json_is_string(v)) {
		xml_text(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		sp_buf_put_cstr(b, num);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.10g", json_real_value(v));
		sp_buf_put_cstr(b, num);
	} else {
		sp_buf_put_cstr(b, json_is_true(v) ? "true" : "false");
	}
	sp_buf_put_cstr(b, "</");
	sp_buf_put_cstr(b, name);
	sp_buf_put_cstr(b, ">");
}

/* o311_reply answers with v (taken) in the request's format: JSON as it
 * is, XML as the GeoReport v2 document <root> (an array's elements as
 * <item>; an object's keys as children). */
static int o311_reply(struct sp_http_req *req, struct sp_http_resp *res, unsigned status,
		      const char *root, const char *item, json_t *v)
{
	if (v == NULL)
		return SP_ERR_NOMEM;
	if (fmt_of(req) == FMT_JSON)
		return sp_http_reply_json(res, status, v);
	struct sp_buf b;
	sp_buf_init(&b);
	sp_buf_put_cstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
	xml_value(&b, root, item, v);
	sp_buf_put_cstr(&b, "\n");
	json_decref(v);
	if (b.err) {
		sp_buf_free(&b);
		return SP_ERR_NOMEM;
	}
	return sp_http_reply_buf(res, status, "text/xml; charset=utf-8", &b);
}

static int o311_error(struct sp_http_req *req, struct sp_http_resp *res, unsigned status,
		      const char *msg)
{
	sp_http_cache(res, "no-store");
	return o311_reply(req, res, status, "errors", "error",
			  json_pack("[{s:i,s:s}]", "code", (int)status, "description", msg));
}

/* strip_fmt: the path variable without its ".json" or ".xml" suffix (into
 * out), or NULL if it has neither. */
static const char *strip_fmt(const char *v, char *out, size_t cap)
{
	size_t n = v ? strlen(v) : 0, k;
	if (n > 5 && strcmp(v + n - 5, ".json") == 0)
		k = n - 5;
	else if (n > 4 && strcmp(v + n - 4, ".xml") == 0)
		k = n - 4;
	else
		return NULL;
	if (k >= cap)
		return NULL;
	memcpy(out, v, k);
	out[k] = '\0';
	return out;
}

/* iso writes ms as ISO 8601 in WIB (UTC+7). */
static json_t *iso(uint64_t ms)
{
	if (ms == 0)
		return json_null();
	time_t t = (time_t)(ms / 1000) + 7 * 3600;
	struct tm tm;
	char buf[40];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+07:00", &tm);
	return json_string(buf);
}

/* parse_iso reads "YYYY-MM-DDTHH:MM:SS" with "Z" or a "+HH:MM" offset
 * (what Open311 clients send) into ms. -1 if malformed. */
static int parse_iso(const char *s, uint64_t *ms)
{
	struct tm tm = {0};
	const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (rest == NULL)
		return -1;
	long off = 0;
	int hh, mm;
	char sign;
	if (strcmp(rest, "Z") == 0 || *rest == '\0')
		off = 0;
	else if (sscanf(rest, "%c%2d:%2d", &sign, &hh, &mm) == 3 && (sign == '+' || sign == '-') &&
		 strlen(rest) == 6)
		off = (sign == '+' ? 1 : -1) * (hh * 3600L + mm * 60L);
	else
		return -1;
	time_t t = timegm(&tm) - off;
	if (t < 0)
		return -1;
	*ms = (uint64_t)t * 1000;
	return 0;
}

/* ---- services ------------------------------------------------------------------------- */

struct svc_walk {
	json_t *seen; /* code -> institution name */
};

static int add_services(void *arg, const struct sp_dir_inst *r)
{
	struct svc_walk *w = arg;
	for (size_t i = 0; i < r->ncategories; i++)
		if (json_object_get(w->seen, r->categories[i]) == NULL)
			json_object_set_new(w->seen, r->categories[i], json_string(r->name));
	return 0;
}

static json_t *service_json(const char *code, const char *group)
{
	char name[64];
	snprintf(name, sizeof(name), "%s", code);
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = ' ';
	return json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s}", "service_code", code, "service_name", name,
			 "description", group, "metadata", 0, "type", "realtime", "keywords", "",
			 "group", group);
}

/* services: code -> group, from the directory (plus "umum": the region's
 * own government). Caller decrefs. */
static json_t *services(struct sp_node *n)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	struct svc_walk w = {json_object()};
	if (dl && dl->dir)
		sp_dir_each(dl->dir, add_services, &w);
	json_object_set_new(w.seen, "umum", json_string("Pemerintah daerah"));
	return w.seen;
}

static int get_services(struct sp_http_req *req, struct sp_http_resp *res)
{
	json_t *all = services(req->ctx), *arr = json_array(), *v;
	const char *code;
	json_object_foreach(all, code, v)
		json_array_append_new(arr, service_json(code, json_string_value(v)));
	json_decref(all);
	sp_http_cache(res, "no-cache");
	return o311_reply(req, res, 200, "services", "service", arr);
}

static int get_service(struct sp_http_req *req, struct sp_http_resp *res)
{
	char code[64];
	json_t *all = services(req->ctx);
	int known = strip_fmt(sp_http_param(req, "code"), code, sizeof(code)) &&
		    json_object_get(all, code) != NULL;
	json_decref(all);
	if (!known)
		return o311_error(req, res, 404, "no such service_code");
	sp_http_cache(res, "no-cache");
	return o311_reply(req, res, 200, "service_definition", NULL,
			  json_pack("{s:s,s:[]}", "service_code", code, "attributes"));
}

/* ---- requests ------------------------------------------------------------------------- */

static int is_closed(const char *status)
{
	return strcmp(status, "selesai") == 0 || strcmp(status, "diarsipkan") == 0 ||
	       strcmp(status, "digabung") == 0;
}

/* degrees: s is a plain decimal number of degrees ("-5.1234"; no
 * exponent, no spaces) within [-max, max], into *out. */
static int degrees(const char *s, double max, double *out)
{
	size_t i = s[0] == '-', digits = 0;
	int dot = 0;
	for (; s[i]; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && !dot)
			dot = 1;
		else
			return -1;
	}
	if (digits == 0 || i > 24)
		return -1;
	double v = strtod(s, NULL);
	if (!(v >= -max && v <= max))
		return -1;
	*out = v;
	return 0;
}

/* place sets address, lat and long of o from the report's text: the last
 * "Tempat: " line, and the last "Koordinat: <lat>,<long>" line holding
 * valid degrees (docs/api.md: where POST writes the event's place). */
static void place(const char *text, json_t *o)
{
	json_t *addr = NULL;
	double lat = 0, lon = 0;
	int has = 0;
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		while (n && l[n - 1] == '\r')
			n--;
		char buf[80];
		double a, b;
		if (n > 8 && strncmp(l, "Tempat: ", 8) == 0) {
			json_decref(addr);
			addr = json_stringn(l + 8, n - 8);
		} else if (n > 11 && n < sizeof(buf) + 11 && strncmp(l, "Koordinat: ", 11) == 0) {
			memcpy(buf, l + 11, n - 11);
			buf[n - 11] = '\0';
			char *comma = strchr(buf, ',');
			if (comma) {
				*comma = '\0';
				if (degrees(buf, 90, &a) == 0 && degrees(comma + 1, 180, &b) == 0)
					lat = a, lon = b, has = 1;
			}
		}
		l = e ? e + 1 : NULL;
	}
	json_object_set_new(o, "address", addr ? addr : json_null());
	json_object_set_new(o, "lat", has ? json_real(lat) : json_null());
	json_object_set_new(o, "long", has ? json_real(lon) : json_null());
}

/* request_json maps a report's view (GET /v1/reports/{id}) to an Open311
 * request. */
static json_t *request_json(struct sp_node *n, json_t *v)
{
	const char *status = json_string_value(json_object_get(v, "status"));
	const char *notes = status, *holder = NULL;
	uint64_t updated = (uint64_t)json_integer_value(json_object_get(v, "submitted"));
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(v, "trail"), i, it) {
		uint64_t t = (uint64_t)json_integer_value(json_object_get(it, "time"));
		updated = t > updated ? t : updated;
		const char *text = json_string_value(json_object_get(it, "text"));
		if (text && strcmp(json_string_value(json_object_get(it, "verdict")), "applied") == 0)
			notes = text;
	}
	json_t *holders = json_object_get(v, "holders");
	holder = json_string_value(json_array_get(holders, json_array_size(holders) - 1));
	json_t *hist = json_object_get(v, "history");
	if (holder == NULL)
		holder = json_string_value(json_object_get(
			json_array_get(hist, json_array_size(hist) - 1), "institution"));
	struct sp_dir_inst d;
	const struct sp_dirload *dl = sp_node_dir(n);
	const char *agency = holder ? holder : "";
	if (holder && dl && dl->dir && sp_dir_institution(dl->dir, holder, SP_DIR_TIME_MAX, &d) == 0)
		agency = d.name;
	char notes_buf[512];
	if (notes != status)
		snprintf(notes_buf, sizeof(notes_buf), "%s: %s", status, notes);
	else
		snprintf(notes_buf, sizeof(notes_buf), "%s", status);
	json_t *att = json_array_get(json_object_get(v, "attachments"), 0);
	char media[128] = "";
	const char *sha = json_string_value(json_object_get(att, "sha256"));
	if (sha && strcmp(json_string_value(json_object_get(v, "visibility")), "rahasia") != 0)
		snprintf(media, sizeof(media), "/v1/attachments/%s", sha);
	json_t *desc = json_object_get(v, "content");
	const char *code = json_string_value(json_object_get(v, "category"));
	json_t *o = json_pack("{s:O,s:s,s:s,s:O,s:s,s:s}", "service_request_id",
			      json_object_get(v, "ticket"), "status",
			      is_closed(status) ? "closed" : "open", "status_notes", notes_buf,
			      "service_name", json_object_get(v, "category"), "service_code", code,
			      "agency_responsible", agency);
	if (o == NULL)
		return NULL;
	json_object_set(o, "description", desc ? desc : json_null());
	json_object_set_new(o, "service_notice", json_null());
	json_object_set_new(o, "requested_datetime",
			    iso((uint64_t)json_integer_value(json_object_get(v, "submitted"))));
	json_object_set_new(o, "updated_datetime", iso(updated));
	json_object_set_new(o, "expected_datetime",
			    iso((uint64_t)json_integer_value(json_object_get(v, "deadline"))));
	place(json_string_value(desc), o);
	json_object_set(o, "address_id", json_object_get(v, "region"));
	json_object_set_new(o, "zipcode", json_null());
	json_object_set_new(o, "media_url", media[0] ? json_string(media) : json_null());
	json_object_set(o, "simpul_report_id", json_object_get(v, "report_id"));
	return o;
}

static int get_request(struct sp_http_req *req, struct sp_http_resp *res)
{
	char ref[128];
	int rc;
	if (!strip_fmt(sp_http_param(req, "id"), ref, sizeof(ref)))
		return o311_error(req, res, 404, "no such request (the path ends in .json or .xml)");
	json_t *v = sp_api_track_view(req->ctx, req, ref, &rc);
	if (v == NULL)
		return o311_error(req, res, 404, "no such service_request_id in the federation");
	json_t *o = request_json(req->ctx, v);
	json_decref(v);
	sp_http_cache(res, "no-cache");
	return o311_reply(req, res, 200, "service_requests", "request", o ? json_pack("[o]", o) : NULL);
}

struct list_walk {
	struct sp_node *n;
	json_t *out;
	const char *code;   /* service_code filter or NULL */
	int status;         /* -1 any, 0 open, 1 closed */
	size_t limit;
};

static int add_request(void *arg, const struct sp_reports_summary *s)
{
	struct list_walk *w = arg;
	if (json_array_size(w->out) >= w->limit)
		return 1;
	if (w->code && strcmp(w->code, s->category) != 0)
		return 0;
	int closed = s->status == SP_ST_SELESAI || s->status == SP_ST_DIARSIPKAN ||
		     s->status == SP_ST_DIGABUNG;
	if (w->status >= 0 && closed != w->status)
		return 0;
	int rc;
	json_t *v = sp_api_report_view(w->n, s->id, &rc);
	if (v) {
		json_array_append_new(w->out, request_json(w->n, v));
		json_decref(v);
	}
	return 0;
}

static int get_requests(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	struct list_walk w = {n, json_array(), sp_http_query(req, "service_code"), -1, LIST_DEFAULT};
	const char *ids = sp_http_query(req, "service_request_id");
	const char *st = sp_http_query(req, "status");
	if (st && strcmp(st, "open") == 0)
		w.status = 0;
	else if (st && strcmp(st, "closed") == 0)
		w.status = 1;
	else if (st)
		return json_decref(w.out), o311_error(req, res, 400, "status is open or closed");
	if (ids) {
		/* A comma-separated list of tickets or ids: each found here or
		 * where GET /v1/track finds it, or skipped. */
		char buf[1024];
		snprintf(buf, sizeof(buf), "%s", ids);
		char *save = NULL;
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int rc;
			json_t *v = sp_api_track_view(n, req, t, &rc);
			if (v)
				json_array_append_new(w.out, request_json(n, v));
			json_decref(v);
		}
		sp_http_cache(res, "no-cache");
		return o311_reply(req, res, 200, "service_requests", "request", w.out);
	}
	struct sp_reports_query q = {.status = -1};
	const char *sd = sp_http_query(req, "start_date"), *ed = sp_http_query(req, "end_date");
	if ((sd && parse_iso(sd, &q.since) != 0) || (ed && parse_iso(ed, &q.until) != 0))
		return json_decref(w.out),
		       o311_error(req, res, 400,
				  "start_date and end_date are ISO 8601 (2026-12-01T00:00:00Z)");
	const char *lim = sp_http_query(req, "limit");
	if (lim) {
		char *end;
		unsigned long l = strtoul(lim, &end, 10);
		if (*end || l < 1 || l > LIST_MAX)
			return json_decref(w.out), o311_error(req, res, 400, "limit is 1 to 200");
		w.limit = l;
	}
	int rc = sp_reports_query(sp_node_reports(n), &q, sp_now_ms(), add_request, &w, NULL);
	if (rc < 0) {
		json_decref(w.out);
		return o311_error(req, res, 500, sp_strerror(rc));
	}
	sp_http_cache(res, "no-cache");
	return o311_reply(req, res, 200, "service_requests", "request", w.out);
}

/* ---- POST requests.json ----------------------------------------------------------------- */

/* form_parse reads an application/x-www-form-urlencoded body into a JSON
 * object of strings (the last of repeated keys wins); percent-decoding by
 * libcurl. NULL on malformed input. */
static json_t *form_parse(CURL *c, const uint8_t *body, size_t len)
{
	json_t *o = json_object();
	char *copy = malloc(len + 1);
	if (o == NULL || copy == NULL) {
		free(copy);
		json_decref(o);
		return NULL;
	}
	memcpy(copy, body, len);
	copy[len] = '\0';
	char *save = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		for (char *p = kv; *p; p++)
			if (*p == '+')
				*p = ' ';
		char *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		char *k = curl_easy_unescape(c, kv, 0, NULL);
		char *v = curl_easy_unescape(c, eq ? eq + 1 : "", 0, NULL);
		if (k && v && json_object_set_new(o, k, json_string(v)) != 0) {
			curl_free(k);
			curl_free(v);
			free(copy);
			json_decref(o);
			return NULL; /* not UTF-8 */
		}
		curl_free(k);
		curl_free(v);
	}
	free(copy);
	return o;
}

static const char *field(json_t *f, const char *k)
{
	const char *v = json_string_value(json_object_get(f, k));
	return v && *v ? v : NULL;
}

/* title_of: the description's first line, at most TITLE_CUT bytes, cut on
 * a UTF-8 character boundary. */
static void title_of(const char *d, char *out, size_t cap)
{
	size_t n = strcspn(d, "\r\n");
	if (n > TITLE_CUT)
		n = TITLE_CUT;
	while (n > 0 && ((unsigned char)d[n] & 0xc0) == 0x80)
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, d, n);
	out[n] = '\0';
}

/* submission maps an Open311 POST to the body of POST /v1/reports. */
static json_t *submission(json_t *f, char *why, size_t cap)
{
	const char *code = field(f, "service_code"), *region = field(f, "address_id");
	const char *desc = field(f, "description");
	if (!code || !region || !desc) {
		snprintf(why, cap, "service_code, address_id (the Kemendagri region code, e.g. "
				   "73.12.03) and description are required");
		return NULL;
	}
	char title[TITLE_CUT + 1];
	title_of(desc, title, sizeof(title));
	if (!title[0])
		snprintf(title, sizeof(title), "%s", code);
	json_t *s = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "pengaduan", "visibility",
			      "anonim", "category", code, "region", region, "title", title,
			      "channel", "open311");
	if (s == NULL)
		return NULL;
	/* The text: the description, then where and any media, as written. */
	size_t cap2 = strlen(desc) + 1024;
	char *text = malloc(cap2);
	if (text == NULL)
		return json_decref(s), NULL;
	int w = snprintf(text, cap2, "%s", desc);
	if (field(f, "address_string"))
		w += snprintf(text + w, cap2 - (size_t)w, "\nTempat: %.300s", field(f, "address_string"));
	if (field(f, "lat") || field(f, "long")) {
		double a, b;
		if (!field(f, "lat") || !field(f, "long") || degrees(field(f, "lat"), 90, &a) != 0 ||
		    degrees(field(f, "long"), 180, &b) != 0) {
			snprintf(why, cap, "lat and long are given together, in decimal degrees "
					   "(WGS 84): lat -90 to 90, long -180 to 180");
			free(text);
			return json_decref(s), NULL;
		}
		w += snprintf(text + w, cap2 - (size_t)w, "\nKoordinat: %s,%s", field(f, "lat"),
			      field(f, "long"));
	}
	if (field(f, "media_url"))
		snprintf(text + w, cap2 - (size_t)w, "\nMedia: %.500s", field(f, "media_url"));
	json_object_set_new(s, "content", json_string(text));
	free(text);
	char name[130] = "", contact[260] = "";
	snprintf(name, sizeof(name), "%s%s%s", field(f, "first_name") ? field(f, "first_name") : "",
		 field(f, "first_name") && field(f, "last_name") ? " " : "",
		 field(f, "last_name") ? field(f, "last_name") : "");
	snprintf(contact, sizeof(contact), "%s%s%s", field(f, "phone") ? field(f, "phone") : "",
		 field(f, "phone") && field(f, "email") ? "; " : "",
		 field(f, "email") ? field(f, "email") : "");
	if (name[0])
		json_object_set_new(s, "name", json_string(name));
	if (contact[0])
		json_object_set_new(s, "contact", json_string(contact));
	return s;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct sp_buf *b = arg;
	sp_buf_put(b, p, size * n);
	return b->err || b->len > (1u << 20) ? 0 : size * n;
}

/* self_submit POSTs body to this node's own /v1/reports over loopback:
 * its status and JSON answer. */
static int self_submit(struct sp_node *n, CURL *c, const char *body, long *status, json_t **out)
{
	char path[sizeof(sp_node_conf(n)->data_dir) + 16], addr[96] = "";
	snprintf(path, sizeof(path), "%s/simpuld.addr", sp_node_conf(n)->data_dir);
	FILE *fa = fopen(path, "r");
	if (fa == NULL || fgets(addr, sizeof(addr), fa) == NULL) {
		if (fa)
			fclose(fa);
		return SP_ERR_IO;
	}
	fclose(fa);
	addr[strcspn(addr, "\r\n")] = '\0';
	char url[160];
	snprintf(url, sizeof(url), "http://%s/v1/reports", addr);
	struct sp_buf b;
	sp_buf_init(&b);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	*out = cc == CURLE_OK ? json_loadb((const char *)b.p, b.len, 0, NULL) : NULL;
	sp_buf_free(&b);
	return *out ? 0 : SP_ERR_IO;
}

json_t *sp_api_open311_read(const uint8_t *body, size_t len, int form, char *why, size_t cap)
{
	snprintf(why, cap, "the body is application/x-www-form-urlencoded (or a JSON object)");
	CURL *c = form ? curl_easy_init() : NULL;
	json_t *f = len == 0 || (form && c == NULL) ? NULL
		    : form ? form_parse(c, body, len)
			   : json_loadb((const char *)body, len, 0, NULL);
	json_t *sub = json_is_object(f) ? submission(f, why, cap) : NULL;
	json_decref(f);
	if (c)
		curl_easy_cleanup(c);
	return sub;
}

static int post_request(struct sp_http_req *req, struct sp_http_resp *res)
{
	if (sp_node_conf(req->ctx)->threads < 2)
		return o311_error(req, res, 503, "filing through Open311 needs [http] threads >= 2");
	const char *type = sp_http_header(req, "Content-Type");
	int form = type && strncmp(type, "application/x-www-form-urlencoded", 33) == 0;
	char why[256];
	json_t *sub = sp_api_open311_read(req->body, req->body_len, form, why, sizeof(why));
	CURL *c = curl_easy_init();
	if (c == NULL) {
		json_decref(sub);
		return SP_ERR_NOMEM;
	}
	char *body = sub ? json_dumps(sub, JSON_COMPACT) : NULL;
	json_decref(sub);
	long status = 0;
	json_t *ans = NULL;
	int rc = body ? self_submit(req->ctx, c, body, &status, &ans) : SP_ERR_HTTP_BAD_REQUEST;
	free(body);
	curl_easy_cleanup(c);
	if (rc == SP_ERR_HTTP_BAD_REQUEST)
		return o311_error(req, res, 400, why);
	if (rc != 0)
		return o311_error(req, res, 503, "the node could not take the request now");
	if (status != 201) {
		const char *msg = json_string_value(json_object_get(json_object_get(ans, "error"),
								    "message"));
		rc = o311_error(req, res, status >= 400 && status < 600 ? (unsigned)status : 500,
				msg ? msg : "refused");
		json_decref(ans);
		return rc;
	}
	json_t *o = json_pack("[{s:O,s:s,s:n,s:O,s:O}]", "service_request_id",
			      json_object_get(ans, "ticket"), "service_notice",
			      "Laporan diterima dan diteruskan ke instansi yang berwenang.", "account_id",
			      "simpul_report_id", json_object_get(ans, "report_id"),
			      "simpul_tracking_secret", json_object_get(ans, "tracking_secret"));
	json_decref(ans);
	sp_http_cache(res, "no-store");
	return o311_reply(req, res, 201, "service_requests", "request", o);
}

const struct sp_http_route sp_api_open311_routes[] = {
	{"GET", "/open311/v2/services.json", get_services, 0},
	{"GET", "/open311/v2/services.xml", get_services, 0},
	{"GET", "/open311/v2/services/{code}", get_service, 0},
	{"GET", "/open311/v2/requests.json", get_requests, 0},
	{"GET", "/open311/v2/requests.xml", get_requests, 0},
	{"POST", "/open311/v2/requests.json", post_request, 0},
	{"POST", "/open311/v2/requests.xml", post_request, 0},
	{"GET", "/open311/v2/requests/{id}", get_request, 0},
	{NULL, NULL, NULL, 0},
};

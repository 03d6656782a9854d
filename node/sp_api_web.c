/*
 * sp_api_web.c - the web pages and the small JSON endpoints they need:
 *
 *   GET /                  Lapor (submit a complaint)
 *   GET /lacak             Lacak (track a report)
 *   GET /transparansi      Transparansi (figures, checkpoints verified in
 *                          the browser)
 *   GET /konsol            the officers' console (signs in the browser)
 *   GET /web/{v}/{file}    the pages' CSS and ES modules (v: the bundle
 *                          version the pages name; cached as immutable)
 *   GET /v1/regions        the Kemendagri region list, one level at a time
 *   GET /v1/directory      institutions, their keys and categories
 *   GET /v1/stats/institutions  per-institution figures (Transparansi)
 *
 * The assets are compiled in (sp_web.h). Every page and asset is sent with
 * a strict Content-Security-Policy (scripts, styles and connections from
 * this node only: no inline script or style), an ETag (304 on
 * If-None-Match), and gzip when the client accepts it.
 */
#include <stdlib.h>
#include <string.h>

#include "sp_api.h"
#include "sp_clock.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_note.h"
#include "sp_reports.h"
#include "sp_web.h"

#define CSP                                                                                      \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " \
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

const struct sp_web_asset *sp_web_asset_find(const char *name)
{
	for (size_t i = 0; i < sp_web_nassets; i++)
		if (strcmp(sp_web_assets[i].name, name) == 0)
			return &sp_web_assets[i];
	return NULL;
}

const struct sp_web_region *sp_web_region_find(const char *code)
{
	for (size_t i = 0; code && i < sp_web_nregions; i++)
		if (strcmp(sp_web_regions[i].code, code) == 0)
			return &sp_web_regions[i];
	return NULL;
}

int sp_web_region_known(const char *code)
{
	if (sp_web_region_find(code))
		return 1;
	const char *last = strrchr(code, '.');
	char kec[32];
	size_t dots = 0;
	for (const char *p = code; *p; p++)
		dots += *p == '.';
	if (dots != 3 || last == NULL || (size_t)(last - code) >= sizeof(kec))
		return 0;
	memcpy(kec, code, (size_t)(last - code));
	kec[last - code] = '\0';
	return sp_web_region_find(kec) != NULL;
}

/* accepts_gzip: the Accept-Encoding header names gzip (browsers write it
 * in lower case and never with q=0). */
static int accepts_gzip(const struct sp_http_req *req)
{
	const char *ae = sp_http_header(req, "Accept-Encoding");
	return ae && strstr(ae, "gzip") != NULL;
}

/* etag_matches: If-None-Match lists the asset's ETag (or is "*"). */
static int etag_matches(const struct sp_http_req *req, const char *etag)
{
	const char *inm = sp_http_header(req, "If-None-Match");
	return inm && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0);
}

static int serve(struct sp_http_req *req, struct sp_http_resp *res, const struct sp_web_asset *a,
		 const char *cache)
{
	if (a == NULL)
		return SP_ERR_NOT_FOUND;
	sp_http_cache(res, cache);
	sp_http_header_add(res, "Content-Security-Policy", CSP);
	sp_http_header_add(res, "Referrer-Policy", "no-referrer");
	sp_http_header_add(res, "ETag", a->etag);
	sp_http_header_add(res, "Vary", "Accept-Encoding");
	if (etag_matches(req, a->etag))
		return sp_http_reply(res, 304, a->type, "", 0);
	if (accepts_gzip(req)) {
		sp_http_header_add(res, "Content-Encoding", "gzip");
		return sp_http_reply(res, 200, a->type, a->gz, a->gz_len);
	}
	return sp_http_reply(res, 200, a->type, a->raw, a->raw_len);
}

static int page_lapor(struct sp_http_req *req, struct sp_http_resp *res)
{
	return serve(req, res, sp_web_asset_find("lapor.html"), "no-cache");
}

static int page_lacak(struct sp_http_req *req, struct sp_http_resp *res)
{
	return serve(req, res, sp_web_asset_find("lacak.html"), "no-cache");
}

static int page_transparansi(struct sp_http_req *req, struct sp_http_resp *res)
{
	return serve(req, res, sp_web_asset_find("transparansi.html"), "no-cache");
}

static int page_konsol(struct sp_http_req *req, struct sp_http_resp *res)
{
	return serve(req, res, sp_web_asset_find("konsol.html"), "no-cache");
}

/* get_asset: an asset of the current bundle is immutable; one asked for
 * under another version (a page cached from before an upgrade) is served
 * too, but must be revalidated. Pages themselves are not served here. */
static int get_asset(struct sp_http_req *req, struct sp_http_resp *res)
{
	const char *file = sp_http_param(req, "file");
	const struct sp_web_asset *a = file ? sp_web_asset_find(file) : NULL;
	if (a == NULL || strstr(a->name, ".html") != NULL)
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND, "no such asset");
	int current = strcmp(sp_http_param(req, "v"), sp_web_version) == 0;
	return serve(req, res, a, current ? "public, max-age=31536000, immutable" : "no-cache");
}

/* ---- GET /v1/regions?parent=CODE --------------------------------------------------------- */

/* child_of: code is one level below parent ("" : a province). */
static int child_of(const char *code, const char *parent)
{
	size_t pl = strlen(parent);
	if (pl == 0)
		return strchr(code, '.') == NULL;
	return strncmp(code, parent, pl) == 0 && code[pl] == '.' && strchr(code + pl + 1, '.') == NULL;
}

static int get_regions(struct sp_http_req *req, struct sp_http_resp *res)
{
	static const char *const levels[] = {"provinsi", "kabkota", "kecamatan", "desa"};
	const char *parent = sp_http_query(req, "parent");
	if (parent == NULL)
		parent = "";
	if (*parent && sp_web_region_find(parent) == NULL)
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND, "no region with code '%.32s'",
					   parent);
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < sp_web_nregions; i++) {
		const struct sp_web_region *r = &sp_web_regions[i];
		if (child_of(r->code, parent))
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "code", r->code,
							     "name", r->name, "level",
							     levels[r->level]));
	}
	sp_http_cache(res, "public, max-age=86400");
	return sp_http_reply_json(res, 200,
				  json_pack("{s:s,s:o}", "parent", parent, "regions", arr));
}

/* ---- GET /v1/directory ------------------------------------------------------------------ */

struct dir_walk {
	json_t *insts, *cats;
};

static int add_inst(void *arg, const struct sp_dir_inst *r)
{
	struct dir_walk *w = arg;
	json_array_append_new(w->insts, sp_api_inst_json(r));
	for (size_t i = 0; i < r->ncategories; i++)
		json_object_set_new(w->cats, r->categories[i], json_true());
	return 0;
}

/* root_vkey: the federation root key this node trusts ([federation]
 * root_key) as a verifier key string, or null for a standalone node. The
 * pages verify the directory log against it; an observer compares it with
 * one obtained elsewhere. */
static json_t *root_vkey(const struct sp_conf *c)
{
	if (!c->has_root_key)
		return json_null();
	struct sp_buf b;
	sp_buf_init(&b);
	sp_note_vkey_format(&c->root_key, &b);
	json_t *v = b.err ? json_null() : json_stringn((const char *)b.p, b.len);
	sp_buf_free(&b);
	return v ? v : json_null();
}

static int get_directory(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	const struct sp_dirload *dl = sp_node_dir(n);
	const struct sp_conf *c = sp_node_conf(n);
	struct dir_walk w = {json_array(), json_object()};
	if (dl && dl->dir)
		sp_dir_each(dl->dir, add_inst, &w);
	json_t *cats = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(w.cats, k, v)
		json_array_append_new(cats, json_string(k));
	json_decref(w.cats);
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(
		res, 200,
		json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:I}", "federation", c->federation, "self",
			  c->id, "origin", sp_node_origin(n), "coordinator",
			  dl && dl->coordinator[0] ? dl->coordinator : "", "root_key", root_vkey(c),
			  "institutions", w.insts, "categories", cats, "max_body_bytes",
			  (json_int_t)c->max_body_bytes));
}

/* ---- GET /v1/stats/institutions ---------------------------------------------------------- */

/* Per institution, from the same computed states as /v1/stats: received
 * (it held the report at some time), in hand (holds it now, not closed),
 * answered, overdue (holds it now, past a deadline), the median time from
 * submission to the first answer and the reporters' ratings; answers and
 * ratings count for the institution that held the report last. */
struct inst_stats {
	json_t *by;          /* inst -> {counts} */
	json_t *durations;   /* inst -> [answer ms, ...] */
};

static void bump(json_t *o, const char *inst, const char *field, json_int_t by)
{
	json_t *i = json_object_get(o, inst);
	if (i == NULL) {
		i = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "received", 0, "in_hand", 0, "answered", 0,
			      "overdue", 0, "ratings", 0, "rating_sum", 0);
		json_object_set_new(o, inst, i);
	}
	json_t *v = json_object_get(i, field);
	json_object_set_new(i, field, json_integer(json_integer_value(v) + by));
}

static int is_open(enum sp_report_status st)
{
	return st != SP_ST_SELESAI && st != SP_ST_DIARSIPKAN && st != SP_ST_DIGABUNG;
}

static int add_inst_stat(void *arg, const struct sp_reports_summary *s)
{
	struct inst_stats *w = arg;
	for (size_t i = 0; i < s->n_handled; i++)
		bump(w->by, s->handled[i], "received", 1);
	for (size_t i = 0; is_open(s->status) && i < s->n_holders; i++) {
		bump(w->by, s->holders[i], "in_hand", 1);
		if (s->overdue)
			bump(w->by, s->holders[i], "overdue", 1);
	}
	const char *last = s->last_holder;
	if (s->answered_ms && last[0]) {
		bump(w->by, last, "answered", 1);
		json_t *d = json_object_get(w->durations, last);
		if (d == NULL)
			json_object_set_new(w->durations, last, d = json_array());
		json_array_append_new(d, json_integer((json_int_t)(s->answered_ms - s->submitted_ms)));
	}
	if (s->rating && last[0]) {
		bump(w->by, last, "ratings", 1);
		bump(w->by, last, "rating_sum", s->rating);
	}
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;
	return (x > y) - (x < y);
}

/* median_of: the median of a JSON array of integers (null if empty). */
static json_t *median_of(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t *v;
	json_int_t *x = n ? calloc(n, sizeof(*x)) : NULL;
	if (x == NULL)
		return json_null();
	json_array_foreach(arr, i, v) x[i] = json_integer_value(v);
	qsort(x, n, sizeof(*x), cmp_int);
	json_int_t m = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
	free(x);
	return json_integer(m);
}

static int get_inst_stats(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	struct inst_stats w = {json_object(), json_object()};
	struct sp_reports_query q = {.status = -1};
	uint64_t now = sp_now_ms();
	int rc = w.by && w.durations ? sp_reports_query(sp_node_reports(n), &q, now, add_inst_stat, &w,
							NULL)
				     : SP_ERR_NOMEM;
	const char *inst;
	json_t *o;
	json_object_foreach(w.by, inst, o) {
		json_object_set_new(o, "median_answer_ms", median_of(json_object_get(w.durations, inst)));
		json_int_t nr = json_integer_value(json_object_get(o, "ratings"));
		json_int_t sum = json_integer_value(json_object_get(o, "rating_sum"));
		json_object_set_new(o, "rating_avg", nr ? json_real((double)sum / (double)nr) : json_null());
		json_object_del(o, "rating_sum");
	}
	json_decref(w.durations);
	if (rc) {
		json_decref(w.by);
		return rc;
	}
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(res, 200, json_pack("{s:I,s:o}", "computed", (json_int_t)now,
						      "institutions", w.by));
}

const struct sp_http_route sp_api_web_routes[] = {
	{"GET", "/v1/stats/institutions", get_inst_stats, 0},
	{"GET", "/", page_lapor, 0},
	{"GET", "/lacak", page_lacak, 0},
	{"GET", "/transparansi", page_transparansi, 0},
	{"GET", "/konsol", page_konsol, 0},
	{"GET", "/web/{v}/{file}", get_asset, 0},
	{"GET", "/v1/regions", get_regions, 0},
	{"GET", "/v1/directory", get_directory, 0},
	{NULL, NULL, NULL, 0},
};

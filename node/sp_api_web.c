/*
 * sp_api_web.c - the web pages and the small JSON endpoints they need:
 *
 *   GET /                  Lapor (submit a complaint)
 *   GET /lacak             Lacak (track a report)
 *   GET /transparansi      Transparansi (figures, checkpoints verified in
 *                          the browser)
 *   GET /konsol            the officers' console (signs in the browser)
 *   GET /koordinator       the coordinator's dashboard (GET /v1/dashboard)
 *   GET /web/{v}/{file...} the pages' CSS and ES modules (v: the bundle
 *                          version the pages name; cached as immutable)
 *   GET /v1/regions        the Kemendagri region list, one level at a time
 *   GET /v1/directory      institutions, their keys and categories
 *   GET /v1/stats/institutions  per-institution figures (Transparansi)
 *
 * The assets are compiled in (sp_web.h); Lapor gets the directory's
 * categories added when it is sent. Every page and asset is sent with
 * a strict Content-Security-Policy (scripts, styles and connections from
 * this node only: no inline script or style), an ETag (304 on
 * If-None-Match), and gzip when the client accepts it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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

/* etag_matches: If-None-Match lists the asset's ETag (or is "*"). */
static int etag_matches(const struct sp_http_req *req, const char *etag)
{
	const char *inm = sp_http_header(req, "If-None-Match");
	return inm && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0);
}

/* headers sets what every page and asset is sent with and answers 1 if
 * the client's copy is current (If-None-Match names etag: a 304 is set).
 * A page's preloads go in the head of a 200: the browser asks for them as
 * soon as the answer arrives, before it has parsed the page (on a slow
 * phone, one round trip sooner). */
static int headers(struct sp_http_req *req, struct sp_http_resp *res, const struct sp_web_asset *a,
		   const char *cache, const char *etag)
{
	sp_http_cache(res, cache);
	sp_http_header_add(res, "Content-Security-Policy", CSP);
	sp_http_header_add(res, "Referrer-Policy", "no-referrer");
	sp_http_header_add(res, "ETag", etag);
	sp_http_header_add(res, "Vary", "Accept-Encoding");
	if (etag_matches(req, etag)) {
		sp_http_reply(res, 304, a->type, "", 0);
		return 1;
	}
	if (a->link)
		sp_http_link(res, a->link);
	return 0;
}

static int serve(struct sp_http_req *req, struct sp_http_resp *res, const struct sp_web_asset *a,
		 const char *cache)
{
	if (a == NULL)
		return SP_ERR_NOT_FOUND;
	if (headers(req, res, a, cache, a->etag))
		return 0;
	if (sp_http_accepts_gzip(req)) {
		sp_http_header_add(res, "Content-Encoding", "gzip");
		return sp_http_reply(res, 200, a->type, a->gz, a->gz_len);
	}
	return sp_http_reply(res, 200, a->type, a->raw, a->raw_len);
}

/* ---- GET / (Lapor) ------------------------------------------------------------------------ */

/* The line of lapor.html that the directory's categories replace. */
#define CATEGORY_SLOT "<!--categories-->\n"

/* add_cats collects an institution's categories (the keys of a JSON
 * object: each once). */
static int add_cats(void *arg, const struct sp_dir_inst *r)
{
	for (size_t i = 0; i < r->ncategories; i++)
		if (json_object_set_new(arg, r->categories[i], json_true()) != 0)
			return SP_ERR_NOMEM;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* category_options writes Lapor's category choices: a prompt, the
 * directory's categories in byte order (letters, digits and '-' only, as
 * the directory allows: nothing to escape; "-" shown as a space), and
 * "lainnya" (other: the region's government), as the page's script wrote
 * them before they came with the page. */
static int category_options(const struct sp_dirload *dl, struct sp_buf *out)
{
	json_t *set = json_object();
	int rc = set ? 0 : SP_ERR_NOMEM;
	if (rc == 0 && dl && dl->dir)
		rc = sp_dir_each(dl->dir, add_cats, set);
	size_t n = rc == 0 ? json_object_size(set) : 0, k = 0;
	const char **cats = calloc(n ? n : 1, sizeof(*cats));
	if (rc == 0 && cats == NULL)
		rc = SP_ERR_NOMEM;
	const char *key;
	json_t *v;
	if (rc == 0)
		json_object_foreach(set, key, v)
			if (sp_dir_category_valid(key) && strcmp(key, "*") != 0)
				cats[k++] = key;
	qsort(cats, k, sizeof(*cats), cmp_str);
	sp_buf_put_cstr(out, "<option value=\"\" data-en=\"- choose a category -\">- pilih kategori -</option>\n");
	for (size_t i = 0; i < k; i++) {
		sp_buf_put_cstr(out, "<option value=\"");
		sp_buf_put_cstr(out, cats[i]);
		sp_buf_put_cstr(out, "\">");
		for (const char *c = cats[i]; *c; c++)
			sp_buf_put(out, *c == '-' ? " " : c, 1);
		sp_buf_put_cstr(out, "</option>\n");
	}
	sp_buf_put_cstr(out, "<option value=\"lainnya\" data-en=\"other (local government)\">"
			     "lainnya (pemerintah daerah)</option>\n");
	free(cats);
	json_decref(set);
	return rc ? rc : out->err ? SP_ERR_NOMEM : 0;
}

struct sp_web_cache {
	pthread_mutex_t mu;
	int valid;
	uint64_t gen;     /* the directory's generation it was assembled at */
	char etag[128];
	struct sp_buf raw;
	uint8_t *gz;      /* NULL: gzip did not make it smaller */
	size_t gz_len;
};

int sp_api_web_cache_new(struct sp_web_cache **out)
{
	struct sp_web_cache *c = calloc(1, sizeof(*c));
	if (c == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return SP_ERR_NOMEM;
	}
	sp_buf_init(&c->raw);
	*out = c;
	return 0;
}

void sp_api_web_cache_free(struct sp_web_cache *c)
{
	if (c == NULL)
		return;
	sp_buf_free(&c->raw);
	free(c->gz);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* lapor_assemble fills c with Lapor for the directory as it is now (gen:
 * its generation, read before: a change meanwhile makes the next request
 * assemble again). The directory changes while the node runs: the ETag is
 * the page's own with a hash of the choices added. Called under c->mu. */
static int lapor_assemble(struct sp_web_cache *c, const struct sp_dirload *dl, uint64_t gen,
			  const struct sp_web_asset *a, const char *slot)
{
	struct sp_buf opts;
	sp_buf_init(&opts);
	c->valid = 0;
	/* a fresh buffer: one that failed to grow keeps its error latched, and
	 * reusing it would answer 500 until the node restarts */
	sp_buf_free(&c->raw);
	sp_buf_init(&c->raw);
	free(c->gz);
	c->gz = NULL;
	int rc = category_options(dl, &opts);
	if (rc == 0) {
		uint8_t h[8];
		char hx[2 * sizeof(h) + 1];
		crypto_generichash(h, sizeof(h), opts.p, opts.len, NULL, 0);
		sodium_bin2hex(hx, sizeof(hx), h, sizeof(h));
		snprintf(c->etag, sizeof(c->etag), "%.*s-%s\"", (int)strlen(a->etag) - 1, a->etag, hx);
		size_t before = (size_t)(slot - (const char *)a->raw), sl = strlen(CATEGORY_SLOT);
		sp_buf_put(&c->raw, a->raw, before);
		sp_buf_put(&c->raw, opts.p, opts.len);
		sp_buf_put(&c->raw, slot + sl, a->raw_len - before - sl);
		rc = c->raw.err ? SP_ERR_NOMEM : 0;
	}
	if (rc == 0) {
		c->gz = sp_http_gzip(c->raw.p, c->raw.len, &c->gz_len);
		c->gen = gen;
		c->valid = 1;
	}
	sp_buf_free(&opts);
	return rc;
}

/* page_lapor sends Lapor with the directory's categories in its category
 * select, so the form is complete as it arrives: usable once parsed, with
 * no request and no script run first (on a slow phone, a round trip and a
 * JSON parse sooner). It is assembled once per directory generation. */
static int page_lapor(struct sp_http_req *req, struct sp_http_resp *res)
{
	const struct sp_web_asset *a = sp_web_asset_find("lapor.html");
	const char *slot = a ? strstr((const char *)a->raw, CATEGORY_SLOT) : NULL;
	struct sp_web_cache *c = sp_node_web(req->ctx);
	if (slot == NULL || c == NULL)
		return serve(req, res, a, "no-cache");
	const struct sp_dirload *dl = sp_node_dir(req->ctx);
	uint64_t gen = sp_dir_generation(dl ? dl->dir : NULL);
	pthread_mutex_lock(&c->mu);
	int rc = c->valid && c->gen == gen ? 0 : lapor_assemble(c, dl, gen, a, slot);
	if (rc == 0 && !headers(req, res, a, "no-cache", c->etag)) {
		int gz = c->gz && sp_http_accepts_gzip(req);
		if (gz)
			sp_http_header_add(res, "Content-Encoding", "gzip");
		rc = gz ? sp_http_reply(res, 200, a->type, c->gz, c->gz_len)
			: sp_http_reply(res, 200, a->type, c->raw.p, c->raw.len);
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
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

static int page_koordinator(struct sp_http_req *req, struct sp_http_resp *res)
{
	return serve(req, res, sp_web_asset_find("koordinator.html"), "no-cache");
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
	return add_cats(w->cats, r);
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

/* Per institution, from counters the report index keeps (no report is
 * read): received, in hand, answered, overdue, the median answer time and
 * the reporters' ratings (sp_reports_inst_figures says which institution
 * each counts for). */
static int add_fig(void *arg, const char *inst, const struct sp_reports_inst_fig *f)
{
	json_t *o = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "received", (json_int_t)f->received, "in_hand",
		(json_int_t)f->in_hand, "answered", (json_int_t)f->answered, "overdue",
		(json_int_t)f->overdue, "ratings", (json_int_t)f->ratings, "rating_avg",
		f->ratings ? json_real((double)f->rating_sum / (double)f->ratings) : json_null(),
		"median_answer_ms",
		f->has_median ? json_integer((json_int_t)f->median_answer_ms) : json_null());
	return o && json_object_set_new(arg, inst, o) == 0 ? 0 : SP_ERR_NOMEM;
}

/* make_figs writes the "institutions" object (a memo: from the counters
 * alone; the answer's "computed" is added per request). */
static int make_figs(void *arg, struct sp_buf *out)
{
	json_t *by = json_object();
	int rc = by ? sp_reports_inst_figures(arg, sp_now_ms(), add_fig, by) : SP_ERR_NOMEM;
	if (rc) {
		json_decref(by);
		return rc;
	}
	return sp_http_json_dump(by, out);
}

static int get_inst_stats(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_reports *r = sp_node_reports(req->ctx);
	uint64_t now = sp_now_ms();
	struct sp_buf b;
	sp_buf_init(&b);
	/* what json_pack("{s:I,s:o}", "computed", now, "institutions", ...) gives */
	char head[64];
	sp_buf_put(&b, head,
		   (size_t)snprintf(head, sizeof(head), "{\"computed\":%" JSON_INTEGER_FORMAT
						       ",\"institutions\":",
				    (json_int_t)now));
	int rc = sp_reports_memo(r, SP_REPORTS_MEMO_INST_FIGURES, now, make_figs, r, &b);
	sp_buf_put(&b, "}\n", 2);
	if (rc == 0) {
		sp_http_cache(res, "no-cache");
		rc = sp_http_reply_buf(res, 200, "application/json", &b);
	}
	sp_buf_free(&b);
	return rc;
}

const struct sp_http_route sp_api_web_routes[] = {
	{"GET", "/v1/stats/institutions", get_inst_stats, 0},
	{"GET", "/", page_lapor, 0},
	{"GET", "/lacak", page_lacak, 0},
	{"GET", "/transparansi", page_transparansi, 0},
	{"GET", "/konsol", page_konsol, 0},
	{"GET", "/koordinator", page_koordinator, 0},
	{"GET", "/web/{v}/{file...}", get_asset, 0},
	{"GET", "/v1/regions", get_regions, 0},
	{"GET", "/v1/directory", get_directory, 0},
	{NULL, NULL, NULL, 0},
};

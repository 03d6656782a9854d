/*
 * sp_api_sealed.c - opening sealed reports for officers, and the public
 * directory lookup a client needs to re-seal (docs/api.md, "Sealed
 * reports"):
 *
 *   POST /v1/reports/{id}/open                an officer's signed request
 *   POST /v1/seal-key                         a content key sealed to
 *                                             institutions (for a browser)
 *   GET  /v1/directory/institutions/{id}      an institution's public record
 *
 * Who may open a report and the opening itself (the proof, the officer's
 * right to read, the replay table, the key copy) are the open service's
 * (sp_open.h): this file turns the request's JSON into its call and the
 * opened report into JSON. The answer carries the plaintext and the
 * content key, so the officer's client can open sealed attachments and
 * re-seal the key to the targets of a disposisi; it is marked no-store,
 * and in production the API must be reached over HTTPS ([http] tls_cert,
 * or a TLS-terminating proxy).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_api.h"
#include "sp_api_parse.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_open.h"
#include "sp_clock.h"
#include "sp_hex.h"
#include "sp_json.h"

/* ---- helpers ------------------------------------------------------------------------ */

#define ANSWERED 1 /* a helper set the reply: stop */

/* refuse sets the JSON error for err and returns ANSWERED. A failed proof
 * (bad signature, stale or replayed request) is 401; the rest keep their
 * usual status (403 for authority and sealing). */
static int refuse(struct sp_http_resp *res, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct sp_http_resp *res, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unsigned status = err == SP_ERR_BAD_SIGNATURE || err == SP_ERR_REPLAY
				  ? 401
				  : sp_http_status(err);
	sp_http_cache(res, "no-store");
	sp_http_reply_json(res, status,
			   json_pack("{s:{s:s,s:s}}", "error", "code", sp_errname(err), "message",
				     msg));
	return ANSWERED;
}

/* ---- POST /v1/reports/{id}/open --------------------------------------------------------- */

int sp_api_open_read(struct sp_http_req *req, struct sp_http_resp *res, json_t **o,
		     struct sp_report_open_req *q)
{
	const char *report, *officer, *sig;
	json_int_t issued;
	json_error_t err;
	size_t got;
	*o = req->body ? json_loadb((const char *)req->body, req->body_len,
				    JSON_REJECT_DUPLICATES, &err)
		       : NULL;
	if (*o == NULL || json_unpack_ex(*o, &err, JSON_STRICT, "{s:s,s:s%,s:I,s:s,s:s}", "report",
					 &report, "purpose", &q->purpose.p, &q->purpose.n,
					 "issued", &issued, "officer", &officer, "sig", &sig) != 0)
		return refuse(res, SP_ERR_HTTP_BAD_REQUEST,
			      "the body is one JSON object {report, purpose, issued, officer, "
			      "sig} and nothing else");
	if (sp_hex_parse(report, q->report, SP_HASH_BYTES) || sp_hex_parse(officer, q->officer, 32) ||
	    issued < 0)
		return refuse(res, SP_ERR_HTTP_BAD_REQUEST,
			      "report and officer are 64 hex digits, issued a time in ms");
	if (sodium_base642bin(q->sig, SP_SIG_BYTES, sig, strlen(sig), NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || got != SP_SIG_BYTES)
		return refuse(res, SP_ERR_HTTP_BAD_REQUEST,
			      "sig is the standard base64 of a 64-byte Ed25519 signature");
	q->issued_ms = (uint64_t)issued;
	return 0;
}

static json_t *str_json(struct sp_str s)
{
	return s.p ? json_stringn(s.p, s.n) : json_null();
}

/* opened_json: the report's private parts (publik and anonim title and
 * content are the public ones) and, if sealed, its content key. */
static json_t *opened_json(const struct sp_reports_view *v, const struct sp_report_private *p,
			   const uint8_t *key)
{
	static const char *const vis[] = {"publik", "anonim", "rahasia"};
	char b64[sodium_base64_ENCODED_LEN(SP_REPORT_CKEY_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	int rahasia = v->body.vis == SP_REPORT_RAHASIA;
	if (key)
		sodium_bin2base64(b64, sizeof(b64), key, SP_REPORT_CKEY_BYTES,
				  sodium_base64_VARIANT_ORIGINAL);
	json_t *o = json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:o}", "report_id",
			      sp_json_hex(v->st.id, SP_HASH_BYTES), "visibility", vis[v->body.vis],
			      "title", str_json(rahasia ? p->title : v->body.title), "content",
			      str_json(rahasia ? p->content : v->body.content), "name",
			      str_json(p->name), "contact", str_json(p->contact), "content_key",
			      key ? json_string(b64) : json_null());
	sodium_memzero(b64, sizeof(b64));
	return o;
}

/* refuse_why answers a refusal the open service explained (why), under
 * the code the API shows for it (a bad purpose is a bad request);
 * unexplained errors are returned as they are. */
static int refuse_why(struct sp_http_resp *res, int rc, const char *why)
{
	if (rc == 0 || why[0] == '\0')
		return rc;
	return refuse(res, rc == SP_ERR_REPORT_FIELD ? SP_ERR_HTTP_BAD_REQUEST : rc, "%s", why);
}

/* open_reply opens the report for request q and sets the answer: 0,
 * ANSWERED (refused, explained), or an error. */
static int open_reply(struct sp_node *n, const struct sp_report_open_req *q, uint64_t now,
		      struct sp_http_resp *res)
{
	struct sp_open op;
	char why[SP_ERR_WHY_MAX];
	int rc = sp_open_report(n, q, now, &op, why);
	if (rc)
		return refuse_why(res, rc, why);
	sp_http_cache(res, "no-store");
	rc = sp_http_reply_json(res, 200, opened_json(&op.v, &op.p, op.has_key ? op.key : NULL));
	sp_open_free(&op);
	return rc;
}

static int post_open(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_report_open_req q = {0};
	uint8_t id[SP_HASH_BYTES];
	json_t *o = NULL;
	uint64_t now = sp_now_ms();
	int rc = sp_hex_parse(sp_http_param(req, "id"), id, SP_HASH_BYTES) == 0
			 ? 0
			 : refuse(res, SP_ERR_HTTP_BAD_REQUEST, "a report id is 64 hex digits");
	if (rc == 0)
		rc = sp_api_open_read(req, res, &o, &q);
	if (rc == 0 && memcmp(q.report, id, SP_HASH_BYTES) != 0)
		rc = refuse(res, SP_ERR_HTTP_BAD_REQUEST, "the request names another report");
	if (rc == 0)
		rc = open_reply(req->ctx, &q, now, res);
	json_decref(o);
	return rc == ANSWERED ? SP_HTTP_DONE : rc;
}

/* ---- POST /v1/seal-key ------------------------------------------------------------------- */

/* A content key sealed to institutions of the directory (their X25519
 * seal_key), as an action's key 8 carries them: what a client needs to
 * forward a sealed report and that WebCrypto cannot make (crypto_box_seal).
 * The key comes from the officer's own open request, whose answer already
 * held it; sealing it to public keys gives nobody anything new. Nothing is
 * stored or logged. */
static int post_seal_key(struct sp_http_req *req, struct sp_http_resp *res)
{
	const struct sp_dirload *dl = sp_node_dir(req->ctx);
	json_error_t err;
	json_t *o = req->body ? json_loadb((const char *)req->body, req->body_len,
					   JSON_REJECT_DUPLICATES, &err)
			      : NULL, *to = NULL, *it;
	const char *b64 = NULL;
	uint8_t key[SP_REPORT_CKEY_BYTES];
	size_t got = 0, i;
	int rc = 0;
	if (o == NULL || json_unpack_ex(o, &err, JSON_STRICT, "{s:s,s:o}", "content_key", &b64, "to",
					&to) != 0 || !json_is_array(to) || json_array_size(to) == 0 ||
	    json_array_size(to) > SP_REPORT_MAX_KEYS ||
	    sodium_base642bin(key, sizeof(key), b64, strlen(b64), NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || got != sizeof(key))
		rc = refuse(res, SP_ERR_HTTP_BAD_REQUEST,
			    "the body is {\"content_key\": standard base64 of 32 bytes, \"to\": "
			    "[1..16 institution ids]}");
	json_t *keys = json_array();
	json_array_foreach(to, i, it) {
		struct sp_dir_inst r;
		const char *id = json_string_value(it);
		struct sp_report_key k;
		if (rc)
			break;
		if (id == NULL || !sp_dir_id_valid(id) || dl == NULL || dl->dir == NULL ||
		    sp_dir_institution(dl->dir, id, SP_DIR_TIME_MAX, &r) != 0) {
			rc = refuse(res, SP_ERR_UNKNOWN_INSTITUTION, "no institution '%.32s' here",
				    id ? id : "?");
			break;
		}
		struct sp_report_reader rd = {r.id, r.seal_key};
		char boxed[sodium_base64_ENCODED_LEN(SP_REPORT_BOX_BYTES,
						     sodium_base64_VARIANT_ORIGINAL)];
		rc = sp_report_seal_key(key, &rd, &k);
		if (rc == 0) {
			sodium_bin2base64(boxed, sizeof(boxed), k.boxed, SP_REPORT_BOX_BYTES,
					  sodium_base64_VARIANT_ORIGINAL);
			rc = json_array_append_new(keys, json_pack("{s:s,s:s}", "inst", r.id, "boxed",
								     boxed))
				     ? SP_ERR_NOMEM
				     : 0;
		}
	}
	sodium_memzero(key, sizeof(key));
	json_decref(o);
	if (rc) {
		json_decref(keys);
		return rc == ANSWERED ? SP_HTTP_DONE : rc;
	}
	sp_http_cache(res, "no-store");
	return sp_http_reply_json(res, 200, json_pack("{s:o}", "keys", keys));
}

/* ---- GET /v1/directory/institutions/{id} ------------------------------------------- */

static const char *tier_name(enum sp_dir_tier t)
{
	static const char *const names[] = {"national-coordinator", "ministry", "agency",
					    "province", "kabkota", "unit"};
	return (unsigned)t <= SP_DIR_TIER_UNIT ? names[t] : "?";
}

json_t *sp_api_inst_json(const struct sp_dir_inst *r)
{
	json_t *peers = json_array(), *regions = json_array(), *cats = json_array();
	for (size_t i = 0; peers && i < r->npeers; i++)
		json_array_append_new(peers, json_string(r->peers[i]));
	for (size_t i = 0; regions && i < r->nregions; i++)
		json_array_append_new(regions, json_string(r->regions[i]));
	for (size_t i = 0; cats && i < r->ncategories; i++)
		json_array_append_new(cats, json_string(r->categories[i]));
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o}", "id", r->id, "name",
			 r->name, "tier", tier_name(r->tier), "parent",
			 r->parent[0] ? json_string(r->parent) : json_null(), "sign_key",
			 sp_json_hex(r->sign_key, SP_KEY_BYTES), "seal_key",
			 sp_json_hex(r->seal_key, SP_KEY_BYTES), "http",
			 r->http[0] ? json_string(r->http) : json_null(), "peers", peers, "regions",
			 regions, "categories", cats, "valid_from_ms", (json_int_t)r->valid_from,
			 "retired_ms",
			 r->retired ? json_integer((json_int_t)r->retired_ms) : json_null());
}

static int get_institution(struct sp_http_req *req, struct sp_http_resp *res)
{
	const struct sp_dirload *dl = sp_node_dir(req->ctx);
	const char *id = sp_http_param(req, "id");
	struct sp_dir_inst r;
	if (id == NULL || !sp_dir_id_valid(id))
		return refuse(res, SP_ERR_HTTP_BAD_REQUEST, "not an institution id"), SP_HTTP_DONE;
	if (dl == NULL || dl->dir == NULL ||
	    sp_dir_institution(dl->dir, id, SP_DIR_TIME_MAX, &r) != 0)
		return refuse(res, SP_ERR_UNKNOWN_INSTITUTION, "no institution '%.32s' here", id),
		       SP_HTTP_DONE;
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(res, 200, sp_api_inst_json(&r));
}

const struct sp_http_route sp_api_sealed_routes[] = {
	{"POST", "/v1/reports/{id}/open", post_open, SP_HTTP_JSON},
	{"POST", "/v1/seal-key", post_seal_key, SP_HTTP_JSON},
	{"GET", "/v1/directory/institutions/{id}", get_institution, 0},
	{NULL, NULL, NULL, 0},
};

/*
 * sp_api_attach.c - attachments (docs/api.md, "Attachments"):
 *
 *   POST /v1/attachments            upload one file (raw body), publik/anonim
 *   GET  /v1/attachments/{sha256}   the stored bytes, immutable
 *
 * and the two things a submission needs: checking that the files a
 * publik or anonim report references are held here as described, and
 * sealing a rahasia report's files, which arrive inline in the submission.
 *
 * Rahasia files are encrypted by the node at submission with the report's
 * content key (the key of its sealed envelope, sealed to every reader),
 * XChaCha20-Poly1305-IETF with a fresh nonce, AD SP_REPORT_ATTACH_AD ||
 * media type (sp_report_seal_blob); the stored blob is nonce || ciphertext,
 * addressed by its own SHA-256, and that hash is what the entry lists. The
 * plaintext exists only in the request's memory (zeroed after): it never
 * reaches the store, so it is in no file and no response. Anyone may fetch
 * the blob; only a reader of the report can open it (sp_report_open_blob,
 * with the content key POST /v1/reports/{id}/open gives an officer).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "sp_api.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_hex.h"

/* What may be uploaded, and how each starts (empty magic: not checked). */
static const struct {
	const char *type;
	const char *magic;
	size_t magic_len;
} allowed[] = {
	{"image/jpeg", "\xff\xd8\xff", 3},
	{"image/png", "\x89PNG\r\n\x1a\n", 8},
	{"image/webp", "RIFF", 4},
	{"image/heic", "", 0},
	{"application/pdf", "%PDF-", 5},
	{"video/mp4", "", 0},
	{"audio/mpeg", "", 0},
	{"text/plain", "", 0},
};

#define N_ALLOWED (sizeof(allowed) / sizeof(allowed[0]))

/* REFUSE sets the JSON error for code on res and evaluates to code. */
#define REFUSE(res, code, ...) (sp_http_reply_error((res), (code), __VA_ARGS__), (code))

const char *sp_api_attach_type(const char *type, size_t len)
{
	for (size_t i = 0; type && i < N_ALLOWED; i++)
		if (strlen(allowed[i].type) == len && strncasecmp(allowed[i].type, type, len) == 0)
			return allowed[i].type;
	return NULL;
}

/* magic_ok: the bytes start as files of that (allowed) type do. */
static int magic_ok(const char *type, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < N_ALLOWED; i++)
		if (strcmp(allowed[i].type, type) == 0)
			return n >= allowed[i].magic_len &&
			       memcmp(p, allowed[i].magic, allowed[i].magic_len) == 0;
	return 0;
}

/* max_bytes: the largest file the node takes (the body limit applies too). */
static size_t max_bytes(struct sp_node *n)
{
	uint32_t body = sp_node_conf(n)->max_body_bytes;
	return body < SP_ATTACH_MAX_BYTES ? body : SP_ATTACH_MAX_BYTES;
}

static json_t *info_json(const struct sp_attach_info *a)
{
	char h[2 * SP_HASH_BYTES + 1];
	sodium_bin2hex(h, sizeof(h), a->sha256, SP_HASH_BYTES);
	return json_pack("{s:s,s:I,s:s,s:b}", "sha256", h, "size", (json_int_t)a->size,
			 "media_type", a->media_type, "sealed", (a->flags & SP_ATTACH_SEALED) != 0);
}

/* ---- POST /v1/attachments ------------------------------------------------------ */

/* content_type finds the allowed type the request's Content-Type names
 * (parameters after ';' ignored); NULL if none. */
static const char *content_type(struct sp_http_req *req)
{
	const char *ct = sp_http_header(req, "Content-Type");
	if (ct == NULL)
		return NULL;
	size_t n = strcspn(ct, ";");
	while (n && isspace((unsigned char)ct[n - 1]))
		n--;
	return sp_api_attach_type(ct, n);
}

/* reply_415: the standard JSON error shape, with status 415. */
static int reply_415(struct sp_http_resp *res, const char *got)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "Content-Type '%.64s' is not accepted for attachments",
		 got ? got : "(none)");
	sp_http_cache(res, "no-store");
	return sp_http_reply_json(res, 415,
				  json_pack("{s:{s:s,s:s}}", "error", "code",
					    sp_errname(SP_ERR_HTTP_BAD_REQUEST), "message", msg));
}

static int post_attachment(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	const char *type = content_type(req);
	if (type == NULL)
		return reply_415(res, sp_http_header(req, "Content-Type"));
	if (req->body_len == 0)
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST, "the body is the file");
	if (req->body_len > max_bytes(n))
		return sp_http_reply_error(res, SP_ERR_HTTP_TOO_LARGE, "attachments are at most %zu bytes",
					   max_bytes(n));
	if (!magic_ok(type, req->body, req->body_len))
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
					   "the body is not a %s file", type);
	struct sp_attach_info info;
	int created;
	int rc = sp_store_attach_put(sp_node_store(n), req->body, req->body_len, type, 0, &info,
				     &created);
	if (rc)
		return rc;
	if (created)
		sp_logx(sp_node_log(n), SP_LOGX_INFO, "attach", "stored size=%llu type=%s",
			(unsigned long long)info.size, info.media_type);
	sp_http_cache(res, "no-store");
	return sp_http_reply_json(res, created ? 201 : 200, info_json(&info));
}

/* ---- GET /v1/attachments/{sha256} ------------------------------------------------- */

static int get_attachment(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	uint8_t h[SP_HASH_BYTES];
	if (sp_hex_parse(sp_http_param(req, "sha256"), h, SP_HASH_BYTES) != 0)
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
					   "an attachment is named by 64 hex digits");
	struct sp_attach_info info;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_attach_get(sp_node_store(n), h, &info, &b);
	if (rc == SP_ERR_CORRUPT)
		sp_logx(sp_node_log(n), SP_LOGX_ERROR, "attach", "stored attachment %s is corrupt",
			sp_http_param(req, "sha256"));
	/* the reply keeps the type pointer: use the table's static string */
	const char *type = sp_api_attach_type(info.media_type, strlen(info.media_type));
	if (rc == 0) {
		sp_http_cache(res, "public, max-age=31536000, immutable");
		rc = sp_http_reply_buf(res, 200,
				       type && !(info.flags & SP_ATTACH_SEALED)
					       ? type
					       : "application/octet-stream",
				       &b);
	}
	sp_buf_free(&b);
	return rc;
}

/* ---- for submissions ------------------------------------------------------------------ */

int sp_api_attach_refs(struct sp_node *n, const struct sp_report *r, struct sp_http_resp *res)
{
	for (size_t i = 0; i < r->n_attach; i++) {
		const struct sp_report_attachment *at = &r->attach[i];
		struct sp_attach_info info;
		int rc = sp_store_attach_get(sp_node_store(n), at->sha256, &info, NULL);
		if (rc == SP_ERR_NOT_FOUND)
			return REFUSE(res, rc, "attachment %zu is not held here: "
						   "upload it first (POST /v1/attachments)", i);
		if (rc == 0 && (info.flags & SP_ATTACH_SEALED))
			return REFUSE(res, SP_ERR_SEALED,
						   "attachment %zu is a sealed file", i);
		if (rc == 0 && (info.size != at->size || strlen(info.media_type) != at->media_type.n ||
				memcmp(info.media_type, at->media_type.p, at->media_type.n) != 0))
			return REFUSE(res, SP_ERR_HASH_MISMATCH,
						   "attachment %zu: the stored file has size %llu "
						   "and type %s", i, (unsigned long long)info.size,
						   info.media_type);
		if (rc)
			return rc;
	}
	return 0;
}

/* decode_inline reads a base64 file into a new buffer (caller zeroes and
 * frees), checking its size and that it is what its type says. */
static int decode_inline(struct sp_node *n, struct sp_str b64, const char *type, uint8_t **out,
			 size_t *len, struct sp_http_resp *res)
{
	size_t cap = b64.n / 4 * 3 + 3;
	*out = malloc(cap);
	if (*out == NULL)
		return SP_ERR_NOMEM;
	if (sodium_base642bin(*out, cap, b64.p, b64.n, NULL, len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || *len == 0)
		return REFUSE(res, SP_ERR_HTTP_BAD_REQUEST,
					   "attachment data must be standard base64 of a file");
	if (*len > max_bytes(n) - SP_REPORT_BLOB_OVERHEAD)
		return REFUSE(res, SP_ERR_HTTP_TOO_LARGE, "attachment over %zu bytes",
					   max_bytes(n));
	if (!magic_ok(type, *out, *len))
		return REFUSE(res, SP_ERR_HTTP_BAD_REQUEST,
					   "attachment data is not a %s file", type);
	return 0;
}

int sp_api_attach_seal(struct sp_node *n, const uint8_t key[SP_REPORT_CKEY_BYTES],
		       struct sp_str b64, struct sp_report_attachment *at, struct sp_buf *blob,
		       struct sp_http_resp *res)
{
	const char *type = sp_api_attach_type(at->media_type.p, at->media_type.n);
	uint8_t *plain = NULL;
	size_t len = 0;
	if (type == NULL)
		return REFUSE(res, SP_ERR_HTTP_BAD_REQUEST,
					   "attachment media_type '%.64s' is not accepted",
					   at->media_type.p);
	int rc = decode_inline(n, b64, type, &plain, &len, res);
	if (rc == 0)
		rc = sp_report_seal_blob(key, type, plain, len, blob);
	if (plain)
		sodium_memzero(plain, len);
	free(plain);
	if (rc == 0) {
		crypto_hash_sha256(at->sha256, blob->p, blob->len);
		at->size = blob->len;
		at->media_type = (struct sp_str){type, strlen(type)};
	}
	return rc;
}

int sp_api_attach_store_sealed(struct sp_node *n, const struct sp_report_attachment *at,
			       const struct sp_buf *blob)
{
	/* at->media_type is the canonical (NUL-terminated) one from the table */
	return sp_store_attach_put(sp_node_store(n), blob->p, blob->len, at->media_type.p,
				   SP_ATTACH_SEALED, NULL, NULL);
}

const struct sp_http_route sp_api_attach_routes[] = {
	{"POST", "/v1/attachments", post_attachment, 0},
	{"GET", "/v1/attachments/{sha256}", get_attachment, 0},
	{NULL, NULL, NULL, 0},
};

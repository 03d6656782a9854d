/*
 * sp_api_attach.c - attachments (docs/api.md, "Attachments"):
 *
 *   POST /v1/attachments            upload one file (raw body), publik/anonim
 *   GET  /v1/attachments/{sha256}   the stored bytes, immutable
 *
 * The rules (allowed types and how each file starts, the size limit) are
 * the attachment service's (sp_attach_svc.h), which also checks a
 * submission's references and seals a rahasia report's files: this file
 * only turns requests into its calls and their results into JSON.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_api.h"
#include "sp_attach_svc.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_hex.h"

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
	return sp_attach_svc_type(ct, n);
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
	if (req->body_len > sp_attach_svc_max_bytes(n))
		return sp_http_reply_error(res, SP_ERR_HTTP_TOO_LARGE, "attachments are at most %zu bytes",
					   sp_attach_svc_max_bytes(n));
	if (!sp_attach_svc_magic_ok(type, req->body, req->body_len))
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
	const char *type = sp_attach_svc_type(info.media_type, strlen(info.media_type));
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

const struct sp_http_route sp_api_attach_routes[] = {
	{"POST", "/v1/attachments", post_attachment, 0},
	{"GET", "/v1/attachments/{sha256}", get_attachment, 0},
	{NULL, NULL, NULL, 0},
};

/*
 * sp_api_witness.c - the node's witness over HTTP (c2sp.org/tlog-witness):
 *
 *   POST /witness/add-checkpoint   old size, proof, checkpoint -> cosignature
 *   GET  /v1/witness               {"name", "vkey", "submission_prefix"}
 *
 * The submission prefix is "<node URL>/witness". Status codes are the
 * spec's: 200 with the cosignature line, 400 malformed, 403 no valid log
 * signature, 404 unknown origin, 409 (text/x.tlog.size: the recorded size)
 * when the old size is not the recorded one, 422 bad consistency proof.
 * The work is sp_witness.c's; this file maps it to HTTP.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_api.h"
#include "sp_err.h"
#include "sp_dirload.h"
#include "sp_node.h"
#include "sp_witness.h"

#define TEXT "text/plain; charset=utf-8"

static unsigned witness_status(int rc)
{
	switch (rc) {
	case 0:
		return 200;
	case SP_ERR_NOTE_FORMAT:
		return 400;
	case SP_ERR_BAD_SIGNATURE:
		return 403;
	case SP_ERR_NOT_FOUND:
		return 404;
	case SP_ERR_STALE:
		return 409;
	case SP_ERR_PROOF:
		return 422;
	default:
		return 500;
	}
}

static int reply_text(struct sp_http_resp *res, unsigned status, const char *type, const char *s)
{
	sp_http_cache(res, "no-store");
	return sp_http_reply(res, status, type, s, strlen(s));
}

static int add_checkpoint(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_witness *w = sp_node_witness(req->ctx);
	struct sp_buf out;
	uint64_t known = 0;
	sp_buf_init(&out);
	int rc = req->body ? sp_witness_add_checkpoint(w, (const char *)req->body, req->body_len,
						       (uint64_t)time(NULL), &out, &known)
			   : SP_ERR_NOTE_FORMAT;
	unsigned status = witness_status(rc);
	char msg[64];
	if (rc == 0) {
		rc = sp_http_reply_buf(res, 200, TEXT, &out);
		sp_http_cache(res, "no-store");
	} else if (status == 409) {
		snprintf(msg, sizeof(msg), "%llu\n", (unsigned long long)known);
		rc = reply_text(res, 409, "text/x.tlog.size", msg);
	} else {
		snprintf(msg, sizeof(msg), "%s\n", sp_errname(rc));
		rc = reply_text(res, status, TEXT, msg);
	}
	sp_buf_free(&out);
	return rc;
}

static int get_witness(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_witness *w = sp_node_witness(req->ctx);
	char vkey[SP_WITNESS_VKEY_MAX];
	sp_witness_vkey(w, vkey);
	json_t *j = json_pack("{s:s, s:s, s:s}", "name", sp_witness_name(w), "vkey", vkey,
			      "submission_prefix", "/witness");
	return sp_http_reply_json(res, 200, j);
}

const struct sp_http_route sp_api_witness_routes[] = {
	{"POST", "/witness/add-checkpoint", add_checkpoint, 0},
	{"GET", "/v1/witness", get_witness, 0},
	{NULL, NULL, NULL, 0},
};

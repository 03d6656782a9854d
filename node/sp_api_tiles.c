/*
 * sp_api_tiles.c - C2SP tlog-tiles for every log the node holds:
 *
 *   GET /logs/<inst>/checkpoint                  latest signed checkpoint
 *   GET /logs/<inst>/tile/<L>/<N>[.p/<W>]        hash tiles
 *   GET /logs/<inst>/tile/entries/<N>[.p/<W>]    entry bundles
 *
 * <inst> is the institution id part of the log's origin
 * ("<federation>/<inst>"), so /logs/73.12 is the tile root of
 * lapor.go.id/73.12 on a lapor.go.id node. The bytes are exactly what
 * `simpul log export` writes (sp_store_tlog_file). Full tiles never change
 * and are cached for a year; partial tiles and the checkpoint are not.
 */
#include <stdio.h>
#include <string.h>

#include "sp_api.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_tile.h"

#define IMMUTABLE "public, max-age=31536000, immutable"

static int find(struct sp_http_req *req, uint32_t *id)
{
	const char *inst = sp_http_param(req, "inst");
	return sp_node_find_log(req->ctx, inst, id);
}

static int get_checkpoint(struct sp_http_req *req, struct sp_http_resp *res)
{
	uint32_t id;
	int rc = find(req, &id);
	if (rc)
		return sp_http_reply_error(res, rc, "no log %s here", sp_http_param(req, "inst"));
	struct sp_buf b;
	sp_buf_init(&b);
	rc = sp_store_checkpoint(sp_node_store(req->ctx), id, &b, NULL);
	if (rc == 0)
		rc = sp_http_reply_buf(res, 200, "text/plain; charset=utf-8", &b);
	sp_buf_free(&b);
	sp_http_cache(res, "no-cache");
	return rc;
}

static int get_tile(struct sp_http_req *req, struct sp_http_resp *res)
{
	uint32_t id;
	int rc = find(req, &id);
	if (rc)
		return sp_http_reply_error(res, rc, "no log %s here", sp_http_param(req, "inst"));
	char path[160];
	int level;
	uint64_t k;
	unsigned w;
	const char *rest = sp_http_param(req, "rest");
	if (snprintf(path, sizeof(path), "tile/%s", rest) >= (int)sizeof(path) ||
	    sp_tile_path_parse(path, &level, &k, &w) != 0 || level >= SP_TILE_LEVELS)
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND, "not a tlog-tiles path: %s", path);
	struct sp_buf b;
	sp_buf_init(&b);
	rc = sp_store_tlog_file(sp_node_store(req->ctx), id, level, k, w, &b);
	if (rc == 0)
		rc = sp_http_reply_buf(res, 200, "application/octet-stream", &b);
	sp_buf_free(&b);
	if (rc == SP_ERR_NOT_FOUND || rc == SP_ERR_RANGE)
		return sp_http_reply_error(res, SP_ERR_NOT_FOUND, "the log has no %s yet", path);
	sp_http_cache(res, w == SP_TILE_WIDTH ? IMMUTABLE : "no-cache");
	return rc;
}

const struct sp_http_route sp_api_tiles_routes[] = {
	{"GET", "/logs/{inst}/checkpoint", get_checkpoint, 0},
	{"GET", "/logs/{inst}/tile/{rest...}", get_tile, 0},
	{NULL, NULL, NULL, 0},
};

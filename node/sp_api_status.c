/*
 * sp_api_status.c - the node's own endpoints: GET /v1/status, GET /v1/logs,
 * GET /metrics (Prometheus text), and POST /v1/checkpoint/sign (loopback
 * only: an operator forcing a checkpoint now, e.g. before a backup).
 *
 * /v1/checkpoint/sign is asynchronous: the handler parks the request, the
 * loop thread hands the signing (an fsynced write) to libuv's thread pool,
 * and the request completes from the loop thread when it is done.
 */
#include <stdlib.h>
#include <string.h>

#include "sp_admin_svc.h"
#include "sp_api.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_peer.h"

/* log_json describes one log: origin, where its tiles are, size, and its
 * latest signed checkpoint (null if none yet). */
static json_t *log_json(struct sp_node *n, uint32_t id)
{
	struct sp_log_info info;
	if (sp_store_log_info(sp_node_store(n), id, &info) != 0)
		return NULL;
	struct sp_buf cp;
	sp_buf_init(&cp);
	uint64_t cp_size = 0;
	int have = sp_store_checkpoint(sp_node_store(n), id, &cp, &cp_size) == 0 && cp.err == 0;
	const char *slash = strrchr(info.origin, '/');
	char path[SP_ORIGIN_MAX + 16];
	snprintf(path, sizeof(path), "/logs/%s", slash ? slash + 1 : info.origin);
	json_t *j = json_pack("{s:s,s:s,s:I,s:b,s:b,s:s%,s:I}", "origin", info.origin, "path", path,
			      "size", (json_int_t)info.size, "own", info.own, "frozen", info.frozen,
			      "checkpoint", have ? (const char *)cp.p : "", have ? cp.len : (size_t)0,
			      "checkpoint_size", (json_int_t)cp_size);
	if (j && !have)
		json_object_set_new(j, "checkpoint", json_null());
	uint64_t at;
	if (j && info.frozen && sp_api_fork_at(sp_node_store(n), id, &at) == 0)
		json_object_set_new(j, "fork_at", json_integer((json_int_t)at));
	sp_buf_free(&cp);
	return j;
}

static int get_logs(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	json_t *arr = json_array();
	uint32_t count = sp_store_log_count(sp_node_store(n));
	for (uint32_t id = 0; arr && id < count; id++)
		if (json_array_append_new(arr, log_json(n, id)) != 0)
			return SP_ERR_NOMEM;
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(res, 200, json_pack("{s:o}", "logs", arr));
}

/* coordinator_json: the national coordinator's id, or null with no
 * directory (`simpul init --join` reads it). */
static json_t *coordinator_json(struct sp_node *n)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	return dl && dl->coordinator[0] ? json_string(dl->coordinator) : json_null();
}

static int get_status(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	const struct sp_conf *c = sp_node_conf(n);
	struct sp_log_info info = {0};
	uint32_t id;
	uint64_t cp_size = 0;
	if (sp_store_own_log(sp_node_store(n), &id) == 0) {
		sp_store_log_info(sp_node_store(n), id, &info);
		struct sp_buf cp;
		sp_buf_init(&cp);
		sp_store_checkpoint(sp_node_store(n), id, &cp, &cp_size);
		sp_buf_free(&cp);
	}
	json_t *frozen = json_array();
	uint32_t count = sp_store_log_count(sp_node_store(n));
	for (uint32_t i = 0; frozen && i < count; i++) {
		struct sp_log_info li;
		uint64_t at = 0;
		if (sp_store_log_info(sp_node_store(n), i, &li) == 0 && li.frozen) {
			json_t *f = json_pack("{s:s,s:b,s:I}", "origin", li.origin, "frozen", 1,
					      "size", (json_int_t)li.size);
			if (f && sp_api_fork_at(sp_node_store(n), i, &at) == 0)
				json_object_set_new(f, "at", json_integer((json_int_t)at));
			json_array_append_new(frozen, f);
		}
	}
	char vkey[SP_ORIGIN_MAX + 128];
	sp_node_vkey(n, vkey, sizeof(vkey));
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(
		res, 200,
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:{s:I,s:I},s:I,s:o*,s:o,s:o*,s:o,s:b}", "id", c->id,
			  "federation",
			  c->federation, "origin", sp_node_origin(n), "vkey", vkey,
			  "version", SIMPUL_VERSION, "uptime_s",
			  (double)sp_node_uptime_ms(n) / 1000.0, "own_log", "size",
			  (json_int_t)info.size, "checkpoint_size", (json_int_t)cp_size, "logs",
			  (json_int_t)count, "peer_penalties", sp_peer_penalties(sp_node_peer(n)),
			  "frozen_logs", frozen, "calendar", sp_admin_svc_calendar_json(n),
			  "coordinator", coordinator_json(n), "admitted", sp_node_admitted(n)));
}

static int get_metrics(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_buf b;
	sp_buf_init(&b);
	sp_node_metrics(req->ctx, &b);
	sp_http_cache(res, "no-cache");
	int rc = sp_http_reply_buf(res, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
	sp_buf_free(&b);
	return rc;
}

/* ---- POST /v1/checkpoint/sign: the asynchronous path --------------------------- */

struct sign_job {
	struct sp_node *n;
	struct sp_http_req *req;
	int rc;
};

static void sign_work(void *arg) /* a libuv pool thread */
{
	struct sign_job *j = arg;
	j->rc = sp_node_checkpoint_sign(j->n);
}

static void sign_after(void *arg, int status) /* the loop thread */
{
	struct sign_job *j = arg;
	struct sp_http_resp *res = sp_http_resp_of(j->req);
	uint32_t id;
	if (j->rc == 0 && sp_store_own_log(sp_node_store(j->n), &id) == 0) {
		json_t *log = log_json(j->n, id);
		sp_http_reply_json(res, log ? 200 : 500, log);
	} else {
		sp_http_reply_error(res, j->rc ? j->rc : SP_ERR_INTERNAL,
				    "checkpoint not signed: %s", sp_strerror(j->rc));
	}
	sp_http_complete(j->req);
	free(j);
}

static void sign_on_loop(struct sp_node *n, void *arg)
{
	struct sign_job *j = arg;
	if (sp_node_queue_work(n, sign_work, sign_after, j) != 0) {
		j->rc = SP_ERR_NOMEM;
		sign_after(j, 0);
	}
}

static int post_sign(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sign_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return SP_ERR_NOMEM;
	j->n = req->ctx;
	j->req = req;
	sp_http_suspend(req);
	int rc = sp_node_defer(j->n, sign_on_loop, j);
	if (rc) {
		sp_http_reply_error(res, rc, "the node is stopping");
		sp_http_complete(req);
		free(j);
	}
	return SP_HTTP_SUSPENDED;
}

const struct sp_http_route sp_api_status_routes[] = {
	{"GET", "/v1/status", get_status, 0},
	{"GET", "/v1/logs", get_logs, 0},
	{"GET", "/metrics", get_metrics, 0},
	{"POST", "/v1/checkpoint/sign", post_sign, SP_HTTP_LOCAL},
	{NULL, NULL, NULL, 0},
};

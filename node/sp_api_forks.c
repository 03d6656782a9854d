/*
 * sp_api_forks.c - forks over HTTP (docs/api.md, "Forks"):
 *
 *   GET  /v1/forks           every evidence record the node holds (two
 *                            signed statements by one log's key that cannot
 *                            both be true, in base64, with when and from
 *                            which peer it came), the frozen logs and the
 *                            coordinator's resolutions in force here
 *   POST /v1/forks/resolve   (the coordinator's node) an admin officer's
 *                            signed resolution, written to the directory log
 *
 * and sp_api_fork_at, the fork point of a frozen log for /v1/status.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_api.h"
#include "sp_clock.h"
#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_node.h"
#include "sp_resolve.h"

/* b64 makes a JSON string of base64(bytes), or NULL. */
static json_t *b64(const uint8_t *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(cap);
	if (s == NULL)
		return NULL;
	sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
	json_t *j = json_string(s);
	free(s);
	return j;
}

/* item_size: a signed checkpoint's size as JSON, null for an entry. */
static json_t *item_size(const uint8_t *p, size_t n)
{
	struct sp_note note;
	struct sp_checkpoint c;
	if (sp_note_parse((const char *)p, n, &note) != 0 ||
	    sp_checkpoint_parse(note.text, note.text_len, &c) != 0)
		return json_null();
	return json_integer((json_int_t)c.size);
}

struct fork_list {
	const struct sp_log_info *info;
	json_t *arr;
};

/* resolved: the coordinator's resolution of this log covers the record. */
static int resolved(const struct sp_log_info *info, const struct sp_fork *f)
{
	return info->resolved && sp_store_fork_covered(info->res_size, f->kind, f->at);
}

static int fork_json(void *arg, const struct sp_fork *f)
{
	struct fork_list *l = arg;
	int entry = f->kind == SP_FORK_ENTRY;
	json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:I,s:s%,s:b}", "origin", l->info->origin,
			      "kind", entry ? "entry" : "checkpoint", "a", b64(f->held, f->held_len),
			      "b", b64(f->other, f->other_len), "detected_ms",
			      (json_int_t)f->found_ms, "from", f->from, f->from_len, "resolved",
			      resolved(l->info, f));
	if (j == NULL)
		return SP_ERR_NOMEM;
	if (f->from_len == 0)
		json_object_set_new(j, "from", json_null()); /* found by this node */
	if (entry)
		json_object_set_new(j, "index", json_integer((json_int_t)f->at));
	else
		json_object_set_new(j, "sizes", json_pack("[o,o]", item_size(f->held, f->held_len),
							  item_size(f->other, f->other_len)));
	return json_array_append_new(l->arr, j) ? SP_ERR_NOMEM : 0;
}

struct fork_at {
	struct sp_log_info info;
	uint64_t at;
};

/* fork_min: the smallest fork point among the records not resolved. */
static int fork_min(void *arg, const struct sp_fork *f)
{
	struct fork_at *a = arg;
	if (f->at < a->at && !resolved(&a->info, f))
		a->at = f->at;
	return 0;
}

int sp_api_fork_at(struct sp_store *s, uint32_t id, uint64_t *at)
{
	struct fork_at a = {.at = UINT64_MAX};
	int rc = sp_store_log_info(s, id, &a.info);
	if (rc == 0)
		rc = sp_store_forks(s, id, fork_min, &a);
	*at = a.at;
	return rc ? rc : a.at == UINT64_MAX ? SP_ERR_NOT_FOUND : 0;
}

static int count_one(void *arg, const struct sp_fork *f)
{
	(void)f;
	(*(uint64_t *)arg)++;
	return 0;
}

/* resolution_json: the coordinator's resolution in force for a log. */
static json_t *resolution_json(struct sp_store *s, const struct sp_log_info *info)
{
	uint64_t aside = 0;
	sp_store_set_aside(s, info->id, count_one, &aside);
	return json_pack("{s:s,s:I,s:o,s:I,s:I,s:b,s:b}", "origin", info->origin, "size",
			 (json_int_t)info->res_size, "root", b64(info->res_root, 32), "set_aside",
			 (json_int_t)aside, "held", (json_int_t)info->size, "confirmed",
			 info->size >= info->res_size, "own_lost", info->res_lost);
}

static int list_log(struct sp_store *s, const struct sp_log_info *info, json_t *arr,
		    json_t *frozen, json_t *res)
{
	struct fork_list l = {info, arr};
	uint64_t at;
	int rc = sp_store_forks(s, info->id, fork_json, &l);
	if (rc == 0 && info->frozen && sp_api_fork_at(s, info->id, &at) == 0)
		rc = json_array_append_new(frozen, json_pack("{s:s,s:I,s:I}", "origin",
							     info->origin, "at", (json_int_t)at,
							     "size", (json_int_t)info->size))
			 ? SP_ERR_NOMEM
			 : 0;
	if (rc == 0 && info->resolved)
		rc = json_array_append_new(res, resolution_json(s, info)) ? SP_ERR_NOMEM : 0;
	return rc;
}

static int get_forks(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_store *s = sp_node_store(req->ctx);
	json_t *arr = json_array(), *frozen = json_array(), *rs = json_array();
	uint32_t count = sp_store_log_count(s);
	int rc = arr && frozen && rs ? 0 : SP_ERR_NOMEM;
	for (uint32_t id = 0; id < count && rc == 0; id++) {
		struct sp_log_info info;
		if (sp_store_log_info(s, id, &info) == 0 && (info.frozen || info.resolved))
			rc = list_log(s, &info, arr, frozen, rs);
	}
	if (rc) {
		json_decref(arr);
		json_decref(frozen);
		json_decref(rs);
		return rc;
	}
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(res, 200, json_pack("{s:o,s:o,s:o}", "forks", arr, "frozen",
						      frozen, "resolutions", rs));
}

/* ---- POST /v1/forks/resolve --------------------------------------------------------------- */

/* read_resolution parses {inst, size, root, officer, sig} into r. */
static int read_resolution(struct sp_http_req *req, struct sp_dir_forkres *r)
{
	const char *inst, *root, *officer, *sig;
	json_int_t size;
	json_error_t err;
	size_t got_root = 0, got_sig = 0, got_off = 0;
	json_t *o = req->body ? json_loadb((const char *)req->body, req->body_len,
					   JSON_REJECT_DUPLICATES, &err)
			      : NULL;
	int rc = o && json_unpack_ex(o, &err, JSON_STRICT, "{s:s,s:I,s:s,s:s,s:s}", "inst", &inst,
				     "size", &size, "root", &root, "officer", &officer, "sig",
				     &sig) == 0
			 ? 0
			 : SP_ERR_HTTP_BAD_REQUEST;
	memset(r, 0, sizeof(*r));
	if (rc == 0 && (size < 1 || snprintf(r->inst, sizeof(r->inst), "%s", inst) >=
					    (int)sizeof(r->inst)))
		rc = SP_ERR_HTTP_BAD_REQUEST;
	if (rc == 0 &&
	    (sodium_base642bin(r->root, 32, root, strlen(root), NULL, &got_root, NULL,
			       sodium_base64_VARIANT_ORIGINAL) != 0 ||
	     sodium_base642bin(r->sig, SP_SIG_BYTES, sig, strlen(sig), NULL, &got_sig, NULL,
			       sodium_base64_VARIANT_ORIGINAL) != 0 ||
	     sodium_hex2bin(r->officer, 32, officer, strlen(officer), NULL, &got_off, NULL) != 0 ||
	     got_root != 32 || got_sig != SP_SIG_BYTES || got_off != 32 || strlen(officer) != 64))
		rc = SP_ERR_HTTP_BAD_REQUEST;
	r->size = rc == 0 ? (uint64_t)size : 0;
	json_decref(o);
	return rc;
}

/* check_resolution runs the directory's own check on the entry it would
 * be: written by this node, now. */
static int check_resolution(struct sp_node *n, const struct sp_dir_forkres *r,
			    struct sp_buf *body)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	struct sp_log_info info;
	uint32_t own;
	int rc = dl && dl->dir && sp_dir_is_coordinator(dl->dir, sp_node_conf(n)->id)
			 ? 0
			 : SP_ERR_NOT_DELEGATED;
	if (rc == 0)
		rc = sp_dir_forkres_encode(r, body);
	if (rc == 0)
		rc = sp_store_own_log(sp_node_store(n), &own);
	if (rc == 0)
		rc = sp_store_log_info(sp_node_store(n), own, &info);
	if (rc)
		return rc;
	struct sp_entry e = {.type = SP_EV_FORK_RESOLVE, .body = body->p, .body_len = body->len};
	memcpy(e.author, info.pk, SP_KEY_BYTES);
	/* to the millisecond: an officer enrolled earlier in this second is in
	 * force (whole seconds would date the entry before the enrolment) */
	e.time_ms = sp_now_ms();
	return sp_dir_forkres_check(dl->dir, &e, NULL);
}

/* The append is synchronous (one fsync in this worker thread): a
 * resolution is a rare act of the coordinator, not traffic. */
static int post_resolve(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_node *n = req->ctx;
	struct sp_dir_forkres r;
	if (read_resolution(req, &r) != 0)
		return sp_http_reply_error(res, SP_ERR_HTTP_BAD_REQUEST,
					   "the body is one JSON object {inst, size (>= 1), root "
					   "(base64, 32 bytes), officer (64 hex), sig (base64, 64 "
					   "bytes)} and nothing else");
	struct sp_buf body, entry;
	sp_buf_init(&body);
	sp_buf_init(&entry);
	uint64_t index = 0;
	uint32_t own = 0, id = 0;
	int rc = check_resolution(n, &r, &body);
	if (rc == 0)
		rc = sp_store_append(sp_node_store(n), SP_EV_FORK_RESOLVE, body.p, body.len, &index,
				     NULL);
	if (rc == 0)
		rc = sp_store_own_log(sp_node_store(n), &own);
	if (rc == 0)
		rc = sp_store_entry(sp_node_store(n), own, index, &entry);
	if (rc == 0)
		rc = sp_resolve_entry(sp_node_resolve(n), entry.p, entry.len);
	sp_buf_free(&body);
	sp_buf_free(&entry);
	if (rc)
		return sp_http_reply_error(res, rc, NULL);
	struct sp_log_info info = {0};
	int held = sp_node_find_log(n, r.inst, &id) == 0 &&
		   sp_store_log_info(sp_node_store(n), id, &info) == 0;
	sp_http_cache(res, "no-store");
	return sp_http_reply_json(res, 201,
				  json_pack("{s:I,s:s,s:I,s:o,s:o}", "index", (json_int_t)index,
					    "inst", r.inst, "size", (json_int_t)r.size, "frozen",
					    held ? json_boolean(info.frozen) : json_null(), "held",
					    held ? json_integer((json_int_t)info.size) : json_null()));
}

const struct sp_http_route sp_api_forks_routes[] = {
	{"GET", "/v1/forks", get_forks, 0},
	{"POST", "/v1/forks/resolve", post_resolve, SP_HTTP_JSON},
	{NULL, NULL, NULL, 0},
};

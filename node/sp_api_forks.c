/*
 * sp_api_forks.c - fork evidence over HTTP: GET /v1/forks lists every
 * evidence record the node holds (two signed statements by one log's key
 * that cannot both be true, in base64, with when and from which peer it
 * came), and sp_api_fork_at gives the fork point of a frozen log for
 * /v1/status and /v1/logs. See docs/api.md, "Forks".
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_api.h"
#include "sp_err.h"
#include "sp_node.h"

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
	const char *origin;
	json_t *arr;
};

static int fork_json(void *arg, const struct sp_fork *f)
{
	struct fork_list *l = arg;
	int entry = f->kind == SP_FORK_ENTRY;
	json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:I,s:s%}", "origin", l->origin, "kind",
			      entry ? "entry" : "checkpoint", "a", b64(f->held, f->held_len), "b",
			      b64(f->other, f->other_len), "detected_ms", (json_int_t)f->found_ms,
			      "from", f->from, f->from_len);
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

static int fork_min(void *arg, const struct sp_fork *f)
{
	uint64_t *at = arg;
	if (f->at < *at)
		*at = f->at;
	return 0;
}

int sp_api_fork_at(struct sp_store *s, uint32_t id, uint64_t *at)
{
	*at = UINT64_MAX;
	int rc = sp_store_forks(s, id, fork_min, at);
	return rc ? rc : *at == UINT64_MAX ? SP_ERR_NOT_FOUND : 0;
}

static int get_forks(struct sp_http_req *req, struct sp_http_resp *res)
{
	struct sp_store *s = sp_node_store(req->ctx);
	json_t *arr = json_array(), *frozen = json_array();
	uint32_t count = sp_store_log_count(s);
	int rc = arr && frozen ? 0 : SP_ERR_NOMEM;
	for (uint32_t id = 0; id < count && rc == 0; id++) {
		struct sp_log_info info;
		uint64_t at;
		if (sp_store_log_info(s, id, &info) != 0 || !info.frozen)
			continue;
		struct fork_list l = {info.origin, arr};
		rc = sp_store_forks(s, id, fork_json, &l);
		if (rc == 0 && sp_api_fork_at(s, id, &at) == 0)
			rc = json_array_append_new(frozen, json_pack("{s:s,s:I,s:I}", "origin",
								     info.origin, "at", (json_int_t)at,
								     "size", (json_int_t)info.size))
				 ? SP_ERR_NOMEM
				 : 0;
	}
	if (rc) {
		json_decref(arr);
		json_decref(frozen);
		return rc;
	}
	sp_http_cache(res, "no-cache");
	return sp_http_reply_json(res, 200, json_pack("{s:o,s:o}", "forks", arr, "frozen", frozen));
}

const struct sp_http_route sp_api_forks_routes[] = {
	{"GET", "/v1/forks", get_forks, 0},
	{NULL, NULL, NULL, 0},
};

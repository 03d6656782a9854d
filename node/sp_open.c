/*
 * sp_open.c - opening a sealed report for an officer: the proof, the
 * officer's right to read, the replay table, the key copy and the
 * envelope (see sp_open.h).
 */
#include "sp_open.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_dirload.h"
#include "sp_replay.h"

/* check_proof: the purpose, the signature, the replay window. */
static int check_proof(const struct sp_report_open_req *q, uint64_t now, char why[SP_ERR_WHY_MAX])
{
	int rc = sp_report_open_req_verify(q, now, SP_REPORT_OPEN_WINDOW_MS);
	if (rc == SP_ERR_REPORT_FIELD)
		return sp_err_why(why, rc, "purpose is 1 to %d bytes", SP_REPORT_PURPOSE_MAX);
	if (rc == SP_ERR_BAD_SIGNATURE)
		return sp_err_why(why, rc, "the signature does not verify");
	if (rc == SP_ERR_REPLAY)
		return sp_err_why(why, rc, "the request was issued more than %u s from now",
			      SP_REPORT_OPEN_WINDOW_MS / 1000);
	return rc;
}

/* may_read: the officer is enrolled now at a current holder of the report
 * or at the national coordinator. */
static int may_read(const struct sp_dirload *dl, const struct sp_report_open_req *q,
		    const struct sp_report_state *st, uint64_t now, char why[SP_ERR_WHY_MAX])
{
	struct sp_dir_officer off;
	if (dl == NULL || dl->dir == NULL || sp_dir_officer(dl->dir, q->officer, now, &off) != 0)
		return sp_err_why(why, SP_ERR_UNKNOWN_OFFICER, "the key is not an enrolled officer's");
	for (size_t i = 0; i < st->n_holders; i++)
		if (strcmp(st->holders[i], off.inst) == 0)
			return 0;
	if (sp_dir_is_coordinator(dl->dir, off.inst))
		return 0;
	return sp_err_why(why, SP_ERR_AUTHORITY,
		      "officers of %s may not read this report: it is held by others", off.inst);
}

/* remember: the request's signature, until it expires, so it is answered
 * once. */
static int remember(struct sp_node *n, const struct sp_report_open_req *q, uint64_t now,
		    char why[SP_ERR_WHY_MAX])
{
	int rc = sp_replay_remember(sp_node_replay(n), q->sig,
				    q->issued_ms + SP_REPORT_OPEN_WINDOW_MS + 1, now);
	if (rc == SP_ERR_REPLAY)
		return sp_err_why(why, rc, "this request was used already");
	if (rc)
		return sp_err_why(why, rc, "too many open requests: try again shortly");
	return 0;
}

int sp_open_key(struct sp_node *n, const struct sp_reports_view *v,
		uint8_t key[SP_REPORT_CKEY_BYTES])
{
	const struct sp_dirload *dl = sp_node_dir(n);
	const char *me = sp_node_conf(n)->id;
	const struct sp_report_sealed *s = &v->body.sealed;
	if (dl == NULL || !v->body.has_sealed)
		return SP_ERR_SEALED;
	int rc = sp_dirload_open_key(dl, s->keys, s->n_keys, me, key); /* current, then previous */
	for (size_t i = 0; rc == SP_ERR_SEALED && i < v->n; i++) {
		struct sp_report_key keys[SP_REPORT_MAX_KEYS];
		size_t nk = 0;
		const struct sp_entry *e = &v->items[i].e;
		if (v->st.verdict[i] == 0 &&
		    sp_report_trail_keys(e->type, e->body, e->body_len, keys, &nk) == 0 && nk)
			rc = sp_dirload_open_key(dl, keys, nk, me, key);
	}
	return rc;
}

/* open_envelope opens the report's envelope (if any) into o. */
static int open_envelope(struct sp_node *n, struct sp_open *o, char why[SP_ERR_WHY_MAX])
{
	if (!o->v.body.has_sealed)
		return 0;
	int rc = sp_open_key(n, &o->v, o->key);
	o->has_key = rc == 0;
	if (rc == 0)
		rc = sp_report_open(&o->v.body.sealed, o->key, &o->plain, &o->len);
	if (rc == 0)
		rc = sp_report_private_parse(o->plain, o->len, &o->p);
	if (rc == SP_ERR_SEALED)
		return sp_err_why(why, rc, "this node (%s) holds no key copy of the report yet: "
				       "after a take-over the national coordinator's node grants "
				       "one at its next deadline pass (docs/reports.md); meanwhile "
				       "ask the node of an institution that held it before",
				  sp_node_conf(n)->id);
	return rc;
}

int sp_open_report(struct sp_node *n, const struct sp_report_open_req *q, uint64_t now,
		   struct sp_open *out, char why[SP_ERR_WHY_MAX])
{
	*out = (struct sp_open){0};
	why[0] = '\0';
	int rc = check_proof(q, now, why);
	if (rc)
		return rc;
	rc = sp_reports_view(sp_node_reports(n), q->report, now, NULL, &out->v);
	if (rc)
		return rc;
	rc = may_read(sp_node_dir(n), q, &out->v.st, now, why);
	if (rc == 0)
		rc = remember(n, q, now, why);
	if (rc == 0)
		rc = open_envelope(n, out, why);
	if (rc) {
		sp_open_free(out);
		return rc;
	}
	char h[2 * SP_HASH_BYTES + 1], k[2 * SP_KEY_BYTES + 1];
	sodium_bin2hex(h, sizeof(h), q->report, SP_HASH_BYTES);
	sodium_bin2hex(k, sizeof(k), q->officer, SP_KEY_BYTES);
	sp_logx(sp_node_log(n), SP_LOGX_INFO, "reports", "opened report %s by officer %.16s", h,
		k);
	return 0;
}

/* holds: this node's institution is a current holder of the report. */
static int holds(struct sp_node *n, const struct sp_report_state *st)
{
	for (size_t i = 0; i < st->n_holders; i++)
		if (strcmp(st->holders[i], sp_node_conf(n)->id) == 0)
			return 1;
	return 0;
}

int sp_open_held(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], uint64_t now,
		 struct sp_open *out)
{
	char why[SP_ERR_WHY_MAX];
	*out = (struct sp_open){0};
	int rc = sp_reports_view(sp_node_reports(n), id, now, NULL, &out->v);
	if (rc)
		return rc;
	rc = holds(n, &out->v.st) ? open_envelope(n, out, why) : SP_ERR_AUTHORITY;
	if (rc)
		sp_open_free(out);
	return rc;
}

void sp_open_free(struct sp_open *o)
{
	sodium_memzero(o->key, sizeof(o->key));
	o->has_key = 0;
	if (o->plain)
		sodium_memzero(o->plain, o->len);
	free(o->plain);
	o->plain = NULL;
	o->p = (struct sp_report_private){0};
	sp_reports_view_free(&o->v);
}

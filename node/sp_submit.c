/*
 * sp_submit.c - taking in a report: routing, the tracking secret, sealing
 * the attached files, and the durable, indexed append (see sp_submit.h).
 */
#include "sp_submit.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_attach_svc.h"
#include "sp_err.h"

int sp_submit_route(const struct sp_dirload *dl, struct sp_submit *s)
{
	if (dl == NULL || dl->dir == NULL)
		return SP_ERR_NO_ROUTE;
	int rc = sp_dir_route(dl->dir, s->category, s->region, s->routed, s->rule);
	if (rc)
		return rc;
	s->r.routed_to = (struct sp_str){s->routed, strlen(s->routed)};
	s->r.has_rule = sp_dirload_rule_hash(dl, s->rule, s->rule_hash) == 0;
	memcpy(s->r.rule, s->rule_hash, SP_HASH_BYTES);
	struct sp_dir_policy p;
	rc = sp_dir_policy_for(dl->dir, s->category, &p);
	s->r.has_policy = rc == 0;
	s->r.policy = (struct sp_report_policy){p.verify, p.answer, p.window, p.ceiling};
	return rc;
}

int sp_submit_seal(const struct sp_dirload *dl, struct sp_submit *s, uint8_t **ct,
		   uint8_t key[SP_REPORT_CKEY_BYTES])
{
	struct sp_report_private p = s->priv;
	if (s->r.vis != SP_REPORT_RAHASIA) {
		s->r.title = p.title;
		s->r.content = p.content;
		p.title = p.content = (struct sp_str){0};
	}
	if (!p.title.p && !p.name.p && !p.contact.p)
		return 0;
	const char *ids[2] = {s->routed, dl->coordinator};
	struct sp_dir_inst inst[2];
	struct sp_report_reader readers[2];
	size_t n = strcmp(s->routed, dl->coordinator) == 0 || !dl->coordinator[0] ? 1 : 2;
	for (size_t i = 0; i < n; i++) {
		int rc = sp_dir_institution(dl->dir, ids[i], SP_DIR_TIME_MAX, &inst[i]);
		if (rc)
			return rc;
		readers[i] = (struct sp_report_reader){ids[i], inst[i].seal_key};
	}
	uint8_t *plain;
	size_t len;
	int rc = sp_report_private_encode(&p, &plain, &len);
	if (rc)
		return rc;
	rc = sp_report_seal(plain, len, readers, n, &s->r.sealed, ct, key);
	sodium_memzero(plain, len);
	free(plain);
	s->r.has_sealed = rc == 0;
	return rc;
}

int sp_submit_track(struct sp_submit *s)
{
	int rc = sp_reporter_new(s->secret, s->r.salt, s->r.reporter_key, NULL);
	s->r.has_salt = s->r.has_reporter_key = rc == 0;
	return rc;
}

int sp_submit_check_files(struct sp_node *n, const struct sp_submit *s,
			  char why[SP_ERR_WHY_MAX])
{
	return sp_attach_svc_refs(n, &s->r, why);
}

int sp_submit_seal_files(struct sp_node *n, struct sp_submit *s,
			 const uint8_t key[SP_REPORT_CKEY_BYTES], char why[SP_ERR_WHY_MAX])
{
	struct sp_buf blobs[SP_REPORT_MAX_ATTACH];
	size_t i, sealed = 0;
	int rc = 0;
	why[0] = '\0';
	for (i = 0; rc == 0 && i < s->r.n_attach; i++, sealed++) {
		sp_buf_init(&blobs[i]);
		rc = sp_attach_svc_seal(n, key, s->data[i], &s->r.attach[i], &blobs[i], why);
	}
	for (i = 0; rc == 0 && i < s->r.n_attach; i++)
		rc = sp_attach_svc_store_sealed(n, &s->r.attach[i], &blobs[i]);
	for (i = 0; i < sealed; i++)
		sp_buf_free(&blobs[i]);
	return rc;
}

int sp_submit_encode(const struct sp_submit *s, uint8_t **body, size_t *len)
{
	return sp_report_encode(&s->r, body, len);
}

int sp_submit_append(struct sp_node *n, const uint8_t *body, size_t len, sp_append_cb done,
		     void *arg)
{
	return sp_node_append_indexed(n, SP_EV_REPORT, body, len, NULL, done, arg);
}

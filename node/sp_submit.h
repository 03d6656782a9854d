/*
 * sp_submit.h - a node service: taking in a report (POST /v1/reports).
 *
 * The HTTP API parses the request into a struct sp_submit; these calls do
 * the rest, in this order: sp_submit_route (which institution holds it,
 * by which rule, under which deadline policy), sp_submit_track (a fresh
 * tracking secret when the reporter gave no key), sp_submit_seal (the
 * private parts sealed to the holder and the national coordinator), for
 * publik and anonim reports sp_submit_check_files (the files referenced
 * are held here as described), for rahasia ones sp_submit_seal_files (the
 * inline files encrypted and stored), sp_submit_encode and sp_submit_append (the SP_EV_REPORT entry, durable
 * and in the report index before the caller is told). Nothing here knows
 * HTTP or JSON. Layer: node service, below the HTTP API (sp_api_*.c), above
 * sp_node_core.c, the store and the directory.
 */
#ifndef SP_SUBMIT_H
#define SP_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "sp_dir.h"
#include "sp_err.h"
#include "sp_dirload.h"
#include "sp_node.h"
#include "sp_report.h"

/* A submission: the report body being built and what it carries besides
 * (filled by the HTTP API from the request, then by the calls below). */
struct sp_submit {
	struct sp_report r;
	struct sp_report_private priv;
	char category[SP_DIR_CATEGORY_MAX + 1], region[SP_DIR_REGION_MAX + 1];
	char routed[SP_INST_ID_MAX + 1], rule[SP_DIR_RULE_MAX + 1];
	uint8_t rule_hash[SP_HASH_BYTES];
	int has_secret; /* secret was drawn here (sp_submit_track) */
	uint8_t secret[SP_REPORTER_SECRET_BYTES];
	struct sp_str data[SP_REPORT_MAX_ATTACH]; /* rahasia files, base64 (borrowed) */
};

/* sp_submit_route finds the holder (s->routed), the rule (s->rule and,
 * when the rule is a directory record, its entry hash) and the deadline
 * policy, and puts them in the body. SP_ERR_ARG: the category or region
 * cannot be routed; SP_ERR_NO_ROUTE: no directory or no route. */
int sp_submit_route(const struct sp_dirload *dl, struct sp_submit *s);

/* sp_submit_track draws a fresh tracking secret (s->secret, for the
 * reporter only: never stored) and a salt, and puts the reporter key
 * derived from them and the salt in the report (sp_reporter_new). */
int sp_submit_track(struct sp_submit *s);

/* sp_submit_seal puts the private parts in an envelope for the holder and
 * the national coordinator (publik and anonim title and content go in the
 * clear); *ct is the new ciphertext the body borrows (caller frees), key
 * the content key (set only when there is an envelope; caller zeroes).
 * Directory and sealing errors. */
int sp_submit_seal(const struct sp_dirload *dl, struct sp_submit *s, uint8_t **ct,
		   uint8_t key[SP_REPORT_CKEY_BYTES]);

/* sp_submit_check_files checks that every file a publik or anonim
 * report references is held here, plain, with the size and media type the
 * report gives (sp_attach_svc_refs): its errors, why set for the user. */
int sp_submit_check_files(struct sp_node *n, const struct sp_submit *s,
			  char why[SP_ERR_WHY_MAX]);

/* sp_submit_seal_files encrypts a rahasia report's inline files (s->data)
 * with its content key key, fills s->r.attach with the blobs' hashes and
 * sizes, and stores them (synced) once all are sealed. They are stored
 * before the entry is appended: a failed append leaves only unreferenced
 * ciphertext. sp_attach_svc_seal's errors (why set for the user) and store
 * errors. */
int sp_submit_seal_files(struct sp_node *n, struct sp_submit *s,
			 const uint8_t key[SP_REPORT_CKEY_BYTES], char why[SP_ERR_WHY_MAX]);

/* sp_submit_encode writes the SP_EV_REPORT body into a new buffer *body
 * (caller frees). sp_report_encode's errors. */
int sp_submit_encode(const struct sp_submit *s, uint8_t **body, size_t *len);

/* sp_submit_append appends the body to the own log; once it is durable
 * and in the report index, done(arg, err, index, hash) runs on the store's
 * commit thread. 0: done will run; an error: it will not. */
int sp_submit_append(struct sp_node *n, const uint8_t *body, size_t len, sp_append_cb done,
		     void *arg);

#endif

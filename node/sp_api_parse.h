/*
 * sp_api_parse.h - the request parsers of the API's POST routes, each the
 * first thing its handler does with a body: given separately so that the
 * fuzz target tests/fuzz/fuzz_routes.c reaches them without a node. Each
 * reads req->body and req->body_len only; an error is answered into res
 * (the JSON error format) where the route answers so.
 */
#ifndef SP_API_PARSE_H
#define SP_API_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sp_http.h"
#include "sp_report.h"
#include "sp_submit.h"

/* POST /v1/reports: the submission in s, which borrows *o's strings (the
 * caller releases *o, also on error). 0 or SP_ERR_HTTP_BAD_REQUEST
 * (answered). */
int sp_api_submission_read(struct sp_http_req *req, struct sp_http_resp *res, json_t **o,
			   struct sp_submit *s);

/* POST /v1/reports/{id}/actions: {"body": base64} decoded into *raw (caller
 * frees) and parsed into a, which borrows it. */
int sp_api_action_read(struct sp_http_req *req, struct sp_http_resp *res, uint8_t **raw,
		       size_t *len, struct sp_report_action *a);

/* POST /v1/reports/{id}/open: the signed open request in q, which borrows
 * *o (the caller releases it, also on error). 0, or non-zero once the
 * refusal is answered into res. */
int sp_api_open_read(struct sp_http_req *req, struct sp_http_resp *res, json_t **o,
		     struct sp_report_open_req *q);

/* POST /v1/admin: {"request": base64} decoded into *body (caller frees).
 * 0, SP_ERR_HTTP_BAD_REQUEST or SP_ERR_NOMEM. */
int sp_api_admin_read(struct sp_http_req *req, uint8_t **body, size_t *len);

/* POST /open311/v2/requests.json: the form (form = 1) or JSON body mapped
 * to the JSON body of POST /v1/reports (a new reference), or NULL with why
 * (cap bytes) set. */
json_t *sp_api_open311_read(const uint8_t *body, size_t len, int form, char *why, size_t cap);

#endif

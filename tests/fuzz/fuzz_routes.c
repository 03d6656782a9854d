/*
 * fuzz_routes.c - libFuzzer target for the request parsers of the API's
 * POST routes (node/sp_api_parse.h), each the first thing its handler does
 * with a body: POST /v1/reports (the submission), .../actions (the signed
 * action in base64, then its CBOR), .../open (the signed open request),
 * /v1/admin (the request in base64, then sp_admin_decode) and Open311's
 * POST (form or JSON, mapped to a submission, which is then parsed as
 * POST /v1/reports parses it). The first byte picks the route, the rest
 * is the body. Arbitrary bytes must never crash them or leak.
 *
 * Build: cmake -DSP_FUZZ=ON -DCMAKE_C_COMPILER=clang, target fuzz_routes.
 * Seeds: tests/fuzz/corpus/fuzz_routes (the first byte: 0 submit, 1
 * action, 2 open, 3 admin, 4 Open311 form, 5 Open311 JSON): submissions
 * and Open311 requests as in docs/api.md; the action, open and admin seeds
 * are real signed bodies, made once with sp_report_action_build_officer,
 * sp_report_open_req_sign and sp_admin_sign (an officer enrolment).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sp_admin.h"
#include "sp_api_parse.h"
#include "sp_http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void submit(struct sp_http_req *req, struct sp_http_resp *res)
{
	json_t *o = NULL;
	struct sp_submit s;
	memset(&s, 0, sizeof(s));
	(void)sp_api_submission_read(req, res, &o, &s);
	json_decref(o);
}

static void action(struct sp_http_req *req, struct sp_http_resp *res)
{
	uint8_t *raw = NULL;
	size_t len = 0;
	struct sp_report_action a;
	(void)sp_api_action_read(req, res, &raw, &len, &a);
	free(raw);
}

static void open_req(struct sp_http_req *req, struct sp_http_resp *res)
{
	json_t *o = NULL;
	struct sp_report_open_req q;
	memset(&q, 0, sizeof(q));
	(void)sp_api_open_read(req, res, &o, &q);
	json_decref(o);
}

static void admin(struct sp_http_req *req)
{
	uint8_t *body = NULL;
	size_t len = 0;
	struct sp_admin_req r;
	if (sp_api_admin_read(req, &body, &len) == 0)
		(void)sp_admin_decode(body, len, &r);
	free(body);
}

/* open311 maps the body to a submission and parses that as POST /v1/reports does. */
static void open311(struct sp_http_req *req, struct sp_http_resp *res, int form)
{
	char why[256];
	json_t *sub = sp_api_open311_read(req->body, req->body_len, form, why, sizeof(why));
	char *text = sub ? json_dumps(sub, JSON_COMPACT) : NULL;
	json_decref(sub);
	if (text == NULL)
		return;
	struct sp_http_req again = *req;
	again.body = (const uint8_t *)text;
	again.body_len = strlen(text);
	submit(&again, res);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* As the server hands it over: the body with a NUL after it. */
	uint8_t *body = malloc(size);
	if (body == NULL)
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	struct sp_http_req req = {.method = "POST", .path = "/", .client = "127.0.0.1",
				  .body = size > 1 ? body : NULL, .body_len = size - 1};
	struct sp_http_resp res;
	memset(&res, 0, sizeof(res));
	switch (data[0] % 6) {
	case 0: submit(&req, &res); break;
	case 1: action(&req, &res); break;
	case 2: open_req(&req, &res); break;
	case 3: admin(&req); break;
	default: open311(&req, &res, data[0] % 6 == 4); break;
	}
	sp_http_resp_clear(&res);
	free(body);
	return 0;
}

/*
 * test_reports_api.c - the reports API end to end, with real simpuld
 * processes on 127.0.0.1.
 *
 * Setup: `simpul federation init --subset 73` makes a small federation;
 * the test extends the coordinator's directory log with officer
 * enrolments (signed with the coordinator's key, as the coordinator would)
 * for Kabupaten Soppeng (73.12) and Kabupaten Barru (73.11), then starts the
 * node of 73.12 with its signing key, its seal key and the directory.
 *
 * Then: publik, anonim and rahasia submissions over HTTP and their
 * tracking; routing (no wrong door); bad requests (malformed JSON, missing
 * and oversize fields, bad region, unknown fields, an oversize body);
 * officer actions through the lifecycle to selesai and a rating by the
 * reporter's tracking secret; forged, replayed, wrong-institution and
 * out-of-state actions, each refused with its code and nothing stored;
 * queries, stats and the per-institution figures (counters, checked
 * against the lists and the answered report's times); a receipt verified offline with sp_receipt_verify; a restart that
 * finds every report in the same state; the CLI (submit, track, act,
 * query, verify-receipt); and privacy: the reporter's contact and the
 * rahasia text appear in no file of the data folder, not in the node's
 * log output, and not in any public HTTP response; escalation: a report
 * replicated from another node, submitted 20 days ago, gets its escalation
 * entry from the node's timer and shows on the parent's overdue list; the
 * track answer's exact bytes (written without a jansson tree): every field
 * of each kind of report and trail entry in its order, and the escapes of
 * text; and a directory file with a corrupted entry, which stops start-up
 * naming it.
 */
#define _GNU_SOURCE /* memmem */
#include "sp_testutil.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sp_dir.h"
#include "sp_err.h"
#include "sp_hex.h"
#include "sp_json.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_merkle.h"
#include "sp_fedtest.h"
#include "sp_node_harness.h"
#include "sp_note.h"
#include "sp_report.h"
#include "sp_store.h"
#include "sp_clock.h"

#define CONTACT "kontak-rahasia-0812-555-0199@example.id"
#define SECRET_TEXT "ISI-RAHASIA: pungutan liar di loket 3 oleh petugas X"
#define NAME "Pelapor Anonim Budi"

struct fixture {
	struct sp_h_fed f;                  /* federation, node 73.12, its responses */
	uint8_t off_pk[32], off_sk[64];     /* officer of 73.12 */
	uint8_t other_pk[32], other_sk[64]; /* officer of 73.11 */
	char cli_key[PATH_MAX + 16];        /* officer key file of 73.12 */
};

static struct fixture g;

/* ---- federation and node --------------------------------------------------------- */

static void make_federation(void)
{
	sp_h_fed_init(&g.f, "reports_api");
	sp_test_keypair(71, g.off_pk, g.off_sk);
	sp_test_keypair(72, g.other_pk, g.other_sk);
	sp_h_fed_enrol(&g.f, "73.12", g.off_pk, "Petugas Soppeng");
	sp_h_fed_enrol(&g.f, "73.11", g.other_pk, "Petugas Barru");
	/* a third officer, with a key file, for the CLI */
	sp_ft_officer_named(&g.f, "73.12", 73, "Petugas CLI", g.cli_key, sizeof(g.cli_key));
}

static void node_start(void)
{
	sp_h_fed_start(&g.f);
}

static void node_stop(void)
{
	sp_h_fed_stop(&g.f);
}

static int setup(void **state)
{
	make_federation();
	node_start();
	return 0;
}

static int teardown(void **state)
{
	sp_h_fed_free(&g.f);
	return 0;
}

/* ---- HTTP ------------------------------------------------------------------------------ */

/* call sends a JSON request (sp_h_call: the body is kept for the privacy
 * check) and returns the answer parsed. */
static json_t *call(const char *method, const char *path, const char *body, int want)
{
	return sp_h_call(&g.f, method, path, body ? "application/json" : NULL, body,
			 body ? strlen(body) : 0, want);
}

/* call_err expects a JSON error with this code. */
static void call_err(const char *method, const char *path, const char *body, int want,
		     const char *code)
{
	sp_h_call_err(&g.f, method, path, body ? "application/json" : NULL, body,
		      body ? strlen(body) : 0, want, code);
}

static json_int_t own_size(void)
{
	return (json_int_t)sp_h_own_size(&g.f);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL)
		fail_msg("no string '%s'", key);
	return s;
}

struct submitted {
	char id[65];
	char secret[65];
	char path[100];
};

static void submit(const char *body, const char *routed_to, struct submitted *out)
{
	json_t *j = call("POST", "/v1/reports", body, 201);
	assert_non_null(j);
	snprintf(out->id, sizeof(out->id), "%s", jstr(j, "report_id"));
	json_t *sec = json_object_get(j, "tracking_secret");
	snprintf(out->secret, sizeof(out->secret), "%s", sec ? json_string_value(sec) : "");
	snprintf(out->path, sizeof(out->path), "/v1/reports/%s", out->id);
	assert_string_equal(jstr(j, "routed_to"), routed_to);
	assert_string_equal(jstr(j, "log"), "73.12");
	json_decref(j);
}

static json_t *track(const struct submitted *s)
{
	return call("GET", s->path, NULL, 200);
}

/* ---- acts -------------------------------------------------------------------------------- */

static unsigned g_rating; /* the next act_json's rating (then 0 again) */

/* act_json makes {"body": base64} for an act by an officer (sk) or by the
 * reporter's tracking secret (sk NULL). flip corrupts the signature. */
static char *act_json(const struct submitted *s, uint32_t code, const uint8_t *sk,
		      const char *target, const char *text, int flip)
{
	struct sp_report_action a = {.code = code, .issued_ms = sp_now_ms(), .rating = g_rating};
	g_rating = 0;
	assert_int_equal(sodium_hex2bin(a.report, 32, s->id, 64, NULL, NULL, NULL), 0);
	if (target) {
		a.targets[0] = (struct sp_str){target, strlen(target)};
		a.n_targets = 1;
	}
	if (text)
		a.text = (struct sp_str){text, strlen(text)};
	uint8_t *body, secret[32], salt[32], rsk[64];
	size_t len;
	if (sk) {
		assert_int_equal(sp_report_action_build_officer(&a, sk, &body, &len), 0);
	} else { /* the reporter key, from the secret and the report's public salt */
		json_t *t = track(s);
		assert_int_equal(sodium_hex2bin(secret, 32, s->secret, 64, NULL, NULL, NULL), 0);
		assert_int_equal(sp_hex_parse(jstr(t, "reporter_salt"), salt, 32), 0);
		json_decref(t);
		assert_int_equal(sp_reporter_derive(secret, salt, NULL, rsk), 0);
		assert_int_equal(sp_report_action_build_reporter(&a, rsk, &body, &len), 0);
	}
	if (flip)
		body[len - 1] ^= 1; /* the last byte is in the officer signature */
	char b64[4096], *out = malloc(4200);
	sodium_bin2base64(b64, sizeof(b64), body, len, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, 4200, "{\"body\":\"%s\"}", b64);
	free(body);
	return out;
}

static void act_ok(const struct submitted *s, const char *body, const char *status)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/actions", s->path);
	json_t *j = call("POST", path, body, 201);
	assert_string_equal(jstr(j, "status"), status);
	json_decref(j);
}

/* act_refused: refused with `code`, and the log did not grow. */
static void act_refused(const struct submitted *s, const char *body, int http, const char *code)
{
	char path[128];
	json_int_t before = own_size();
	snprintf(path, sizeof(path), "%s/actions", s->path);
	call_err("POST", path, body, http, code);
	assert_int_equal(own_size(), before);
}

/* ---- the tests ------------------------------------------------------------------------- */

#define PUBLIK                                                                                 \
	"{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","            \
	"\"region\":\"73.12.03\",\"title\":\"Jalan rusak\",\"content\":\"Jalan poros Watansoppeng " \
	"berlubang\",\"channel\":\"web\"}"
#define ANONIM                                                                                 \
	"{\"kind\":\"pengaduan\",\"visibility\":\"anonim\",\"category\":\"kesehatan\","        \
	"\"region\":\"73.12\",\"title\":\"Puskesmas tutup\",\"content\":\"Tutup jam 10\","     \
	"\"name\":\"" NAME "\",\"contact\":\"" CONTACT "\"}"
#define RAHASIA                                                                                \
	"{\"kind\":\"pengaduan\",\"visibility\":\"rahasia\",\"category\":\"pelayanan-publik\"," \
	"\"region\":\"73.12.01\",\"title\":\"Pungli\",\"content\":\"" SECRET_TEXT "\","        \
	"\"contact\":\"" CONTACT "\"}"

static struct submitted g_pub, g_anon, g_rah, g_fwd, g_bansos, g_other, g_old;

static void test_submit_and_track(void **state)
{
	submit(PUBLIK, "73.12", &g_pub);
	submit(ANONIM, "73.12", &g_anon);
	submit(RAHASIA, "73.12", &g_rah);
	submit(PUBLIK, "73.12", &g_fwd);
	assert_int_equal(strlen(g_pub.secret), 64);

	json_t *j = track(&g_pub);
	assert_string_equal(jstr(j, "status"), "diterima");
	assert_string_equal(jstr(j, "visibility"), "publik");
	assert_string_equal(jstr(j, "title"), "Jalan rusak");
	assert_string_equal(jstr(j, "rule"), "default:73.12");
	assert_string_equal(jstr(j, "reporter_proof"), "key");
	assert_int_equal(strlen(jstr(j, "reporter_salt")), 64);
	assert_int_equal(json_array_size(json_object_get(j, "attachments")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "holders")), 1);
	assert_true(json_integer_value(json_object_get(j, "deadline")) > (json_int_t)sp_now_ms());
	json_decref(j);

	j = track(&g_rah);
	assert_true(json_is_true(json_object_get(j, "sealed")));
	assert_null(json_object_get(j, "content"));
	assert_null(json_object_get(j, "title"));
	json_decref(j);

	/* No wrong door: a social-aid complaint goes to KEMENSOS by its national
	 * rule, one about a region outside the subset to the coordinator. */
	json_t *b = json_loads(PUBLIK, 0, NULL);
	json_object_set_new(b, "category", json_string("bansos"));
	char *s = json_dumps(b, 0);
	submit(s, "KEMENSOS", &g_bansos);
	free(s);
	json_object_set_new(b, "category", json_string("jalan"));
	json_object_set_new(b, "region", json_string("31.71"));
	s = json_dumps(b, 0);
	submit(s, "KEMENPANRB", &g_other);
	free(s);
	json_decref(b);
	j = track(&g_bansos);
	assert_string_equal(jstr(j, "rule"), "nasional:bansos");
	json_decref(j);
}

static void test_bad_requests(void **state)
{
	json_int_t before = own_size();
	call_err("POST", "/v1/reports", "{\"kind\":", 400, "SP_ERR_HTTP_BAD_REQUEST");
	call_err("POST", "/v1/reports", "[1,2]", 400, "SP_ERR_HTTP_BAD_REQUEST");
	call_err("POST", "/v1/reports",
		 "{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\"}", 400,
		 "SP_ERR_HTTP_BAD_REQUEST");
	json_t *b = json_loads(PUBLIK, 0, NULL);
	const char *edits[][2] = {{"region", "73.1x"}, {"region", "7312"},
				  {"visibility", "rahasiaa"}, {"category", "Jalan!"},
				  {"reporter_key", "abcd"}};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		json_t *c = json_deep_copy(b);
		json_object_set_new(c, edits[i][0], json_string(edits[i][1]));
		char *s = json_dumps(c, 0);
		call_err("POST", "/v1/reports", s, 400, "SP_ERR_HTTP_BAD_REQUEST");
		free(s);
		json_decref(c);
	}
	json_t *c = json_deep_copy(b);
	json_object_set_new(c, "extra", json_true());
	char *s = json_dumps(c, 0);
	call_err("POST", "/v1/reports", s, 400, "SP_ERR_HTTP_BAD_REQUEST");
	free(s);
	json_decref(c);
	char *big = malloc(SP_REPORT_TEXT_MAX + 2);
	memset(big, 'a', SP_REPORT_TEXT_MAX + 1);
	big[SP_REPORT_TEXT_MAX + 1] = '\0';
	json_object_set_new(b, "content", json_string(big));
	s = json_dumps(b, 0);
	call_err("POST", "/v1/reports", s, 400, "SP_ERR_HTTP_BAD_REQUEST");
	free(s);
	/* over [http] max_body_bytes: refused before it is read */
	char *huge = malloc(70000);
	memset(huge, ' ', 69999);
	huge[0] = '{';
	huge[69998] = '}';
	huge[69999] = '\0';
	call_err("POST", "/v1/reports", huge, 413, "SP_ERR_HTTP_TOO_LARGE");
	free(huge);
	free(big);
	json_decref(b);
	call_err("GET", "/v1/reports/zz", NULL, 400, "SP_ERR_HTTP_BAD_REQUEST");
	call_err("GET",
		 "/v1/reports/0000000000000000000000000000000000000000000000000000000000000000",
		 NULL, 404, "SP_ERR_UNKNOWN_REPORT");
	assert_int_equal(own_size(), before);
}

/* stat_fig: /v1/stats' count of reports with `status`, and
 * /v1/stats/institutions' `fig` of 73.12 (both kept between requests while
 * no counter changes: sp_reports_memo). */
static json_int_t stat_fig(const char *status, const char *fig, json_int_t *inst)
{
	json_t *j = call("GET", "/v1/stats", NULL, 200);
	json_int_t n = json_integer_value(json_object_get(json_object_get(j, "by_status"), status));
	json_decref(j);
	j = call("GET", "/v1/stats/institutions", NULL, 200);
	*inst = json_integer_value(
	    json_object_get(json_object_get(json_object_get(j, "institutions"), "73.12"), fig));
	json_decref(j);
	return n;
}

/* rows_agree: every report a list shows (its row, read from the list's
 * postings) says what its track (computed from the trail) says: a
 * summary change rewrote the rows of every list the report stays on. */
static void rows_agree(const char *path)
{
	json_t *j = call("GET", path, NULL, 200);
	json_t *reports = json_object_get(j, "reports"), *row;
	size_t i;
	assert_true(json_array_size(reports) > 0);
	json_array_foreach(reports, i, row) {
		char tpath[128];
		snprintf(tpath, sizeof(tpath), "/v1/reports/%s", jstr(row, "report_id"));
		json_t *t = call("GET", tpath, NULL, 200);
		assert_string_equal(jstr(row, "status"), jstr(t, "status"));
		assert_true(json_equal(json_object_get(row, "holders"), json_object_get(t, "holders")));
		assert_int_equal(json_integer_value(json_object_get(row, "stage")),
				 json_integer_value(json_object_get(t, "stage")));
		json_decref(t);
	}
	json_decref(j);
}

static void test_actions(void **state)
{
	/* the stats answers follow every change of the counters */
	json_int_t ans0, ans1, ans2;
	json_int_t ver0 = stat_fig("diverifikasi", "answered", &ans0);
	json_int_t ver1 = stat_fig("diverifikasi", "answered", &ans1);
	assert_int_equal(ver1, ver0);
	/* verify, answer, closed by the reporter's tracking secret */
	char *verify = act_json(&g_pub, SP_ACT_VERIFIKASI, g.off_sk, NULL, NULL, 0);
	act_ok(&g_pub, verify, "diverifikasi");
	assert_int_equal(stat_fig("diverifikasi", "answered", &ans1), ver0 + 1);
	act_refused(&g_pub, verify, 409, "SP_ERR_REPLAY");
	free(verify);
	char *early = act_json(&g_pub, SP_ACT_SELESAI, NULL, NULL, NULL, 0);
	act_refused(&g_pub, early, 409, "SP_ERR_TRANSITION");
	free(early);
	char *answer = act_json(&g_pub, SP_ACT_TINDAK_LANJUT, g.off_sk, NULL,
				"Sudah ditambal oleh Dinas PU", 0);
	act_ok(&g_pub, answer, "ditindaklanjuti");
	free(answer);
	assert_int_equal(stat_fig("diverifikasi", "answered", &ans2), ver0);
	assert_int_equal(ans2, ans0 + 1);
	char *close = act_json(&g_pub, SP_ACT_SELESAI, NULL, NULL, NULL, 0);
	act_ok(&g_pub, close, "selesai");
	free(close);
	g_rating = 4;
	char *rate = act_json(&g_pub, SP_ACT_NILAI, NULL, NULL, NULL, 0);
	act_ok(&g_pub, rate, "selesai");
	free(rate);

	/* forged signature, officer of another institution, wrong report */
	char *forged = act_json(&g_anon, SP_ACT_VERIFIKASI, g.off_sk, NULL, NULL, 1);
	act_refused(&g_anon, forged, 400, "SP_ERR_BAD_SIGNATURE");
	free(forged);
	char *other = act_json(&g_anon, SP_ACT_VERIFIKASI, g.other_sk, NULL, NULL, 0);
	act_refused(&g_anon, other, 403, "SP_ERR_AUTHORITY");
	act_refused(&g_rah, other, 400, "SP_ERR_HTTP_BAD_REQUEST"); /* names g_anon */
	free(other);
	act_refused(&g_anon, "{\"body\":\"!!!\"}", 400, "SP_ERR_HTTP_BAD_REQUEST");
	act_refused(&g_anon, "{\"body\":\"oA==\"}", 400, "SP_ERR_REPORT_FIELD");
	act_refused(&g_anon, "{\"bodi\":\"oA==\"}", 400, "SP_ERR_HTTP_BAD_REQUEST");
	act_refused(&g_anon, "not json", 400, "SP_ERR_HTTP_BAD_REQUEST");

	/* pointing nowhere: a forward to an institution the directory lacks, a
	 * merge into a report nobody has; refused before anything is written */
	char *nowhere = act_json(&g_fwd, SP_ACT_DISPOSISI, g.off_sk, "73.12.DINKES", NULL, 0);
	act_refused(&g_fwd, nowhere, 404, "SP_ERR_UNKNOWN_INSTITUTION");
	free(nowhere);
	{
		struct sp_report_action a = {.code = SP_ACT_GABUNG, .issued_ms = sp_now_ms(),
					     .has_merge = 1};
		assert_int_equal(sp_hex_parse(g_fwd.id, a.report, 32), 0);
		memset(a.merge_into, 0xcd, 32);
		uint8_t *body;
		size_t len;
		assert_int_equal(sp_report_action_build_officer(&a, g.off_sk, &body, &len), 0);
		char b64[2048], req[2100];
		sodium_bin2base64(b64, sizeof(b64), body, len, sodium_base64_VARIANT_ORIGINAL);
		snprintf(req, sizeof(req), "{\"body\":\"%s\"}", b64);
		act_refused(&g_fwd, req, 404, "SP_ERR_UNKNOWN_REPORT");
		free(body);
	}

	/* forwarded to the province */
	char *fwd = act_json(&g_fwd, SP_ACT_DISPOSISI, g.off_sk, "73", NULL, 0);
	act_ok(&g_fwd, fwd, "didisposisikan");
	free(fwd);
	json_t *j = track(&g_fwd);
	json_t *h = json_object_get(j, "holders");
	assert_int_equal(json_array_size(h), 1);
	assert_string_equal(json_string_value(json_array_get(h, 0)), "73");
	assert_int_equal(json_array_size(json_object_get(j, "history")), 2);
	json_decref(j);
	/* 73.12 no longer holds it */
	char *late = act_json(&g_fwd, SP_ACT_TINDAK_LANJUT, g.off_sk, NULL, "jawaban", 0);
	act_refused(&g_fwd, late, 403, "SP_ERR_AUTHORITY");
	free(late);

	j = track(&g_pub);
	json_t *trail = json_object_get(j, "trail");
	assert_int_equal(json_array_size(trail), 4); /* verified, answered, closed, rated */
	json_t *t0 = json_array_get(trail, 0);
	assert_string_equal(jstr(t0, "action"), "verifikasi");
	assert_string_equal(jstr(t0, "verdict"), "applied");
	assert_string_equal(jstr(json_object_get(t0, "actor"), "institution"), "73.12");
	assert_string_equal(jstr(json_array_get(trail, 1), "text"), "Sudah ditambal oleh Dinas PU");
	json_decref(j);
	rows_agree("/v1/reports?limit=200");
	rows_agree("/v1/reports?institution=73.12");
	rows_agree("/v1/reports?region=73.12");
}

/* listed: how many reports a query lists */
static json_int_t listed(const char *path)
{
	json_t *j = call("GET", path, NULL, 200);
	json_int_t n = (json_int_t)json_array_size(json_object_get(j, "reports"));
	json_decref(j);
	return n;
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("no integer '%s'", key);
	return json_integer_value(v);
}

/* inst_figures: /v1/stats/institutions, kept as counters, agrees with
 * the lists and with the one answered report's own times. */
static void inst_figures(void)
{
	json_t *j = call("GET", "/v1/stats/institutions", NULL, 200);
	json_t *insts = json_object_get(j, "institutions");
	json_t *s = json_object_get(insts, "73.12"), *p = json_object_get(insts, "73");
	assert_non_null(s);
	assert_non_null(p);
	/* received: held at some time, which institution= lists */
	assert_int_equal(jint(s, "received"), listed("/v1/reports?institution=73.12"));
	assert_int_equal(jint(p, "received"), listed("/v1/reports?institution=73"));
	assert_int_equal(jint(p, "received"), 1); /* the forwarded one */
	/* by status: an institution's (or holder's) reports with a status
	 * are one list of their own; together they are all of its reports */
	static const char *const sts[] = {"diterima", "diverifikasi", "didisposisikan",
					  "ditindaklanjuti", "selesai", "tunda", "diarsipkan",
					  "digabung"};
	const char *const who[] = {"institution=73.12", "institution=73", "holder=73.12",
				   "holder=73"};
	for (size_t w = 0; w < sizeof(who) / sizeof(*who); w++) {
		char path[128];
		json_int_t sum = 0;
		for (size_t k = 0; k < sizeof(sts) / sizeof(*sts); k++) {
			snprintf(path, sizeof(path), "/v1/reports?%s&status=%s", who[w], sts[k]);
			sum += listed(path);
		}
		snprintf(path, sizeof(path), "/v1/reports?%s", who[w]);
		assert_int_equal(sum, listed(path));
	}
	/* in hand: held now and open (the answered one is closed) */
	assert_int_equal(jint(s, "in_hand"), listed("/v1/reports?holder=73.12") -
						     listed("/v1/reports?holder=73.12&status=selesai"));
	assert_int_equal(jint(p, "in_hand"), 1);
	assert_int_equal(jint(s, "overdue") + jint(p, "overdue"), 0);
	assert_int_equal(jint(s, "answered"), 1);
	assert_int_equal(jint(s, "ratings"), 1);
	assert_true(json_real_value(json_object_get(s, "rating_avg")) == 4.0);
	assert_true(json_is_null(json_object_get(p, "median_answer_ms")));
	assert_true(json_is_null(json_object_get(p, "rating_avg")));
	json_t *t = track(&g_pub);
	double took = (double)(jint(t, "answered") - jint(t, "submitted"));
	double med = (double)jint(s, "median_answer_ms");
	json_decref(t);
	assert_true(med >= took * (1 - 0.032) - 1 && med <= took * (1 + 0.032) + 1);
	json_decref(j);
}

/* row_fits: a row (of the list of every report) has what query filter
 * f (one "name=value") asks for. */
static int row_fits(json_t *row, const char *f)
{
	const char *v = strchr(f, '=') + 1;
	size_t n = strlen(v);
	json_t *h;
	size_t i;
	if (strncmp(f, "status=", 7) == 0)
		return strcmp(jstr(row, "status"), v) == 0;
	if (strncmp(f, "category=", 9) == 0)
		return strcmp(jstr(row, "category"), v) == 0;
	if (strncmp(f, "region=", 7) == 0) {
		const char *r = jstr(row, "region");
		return strncmp(r, v, n) == 0 && (r[n] == '\0' || r[n] == '.');
	}
	if (strncmp(f, "holder=", 7) == 0) {
		json_array_foreach(json_object_get(row, "holders"), i, h)
			if (strcmp(json_string_value(h), v) == 0)
				return 1;
		return 0;
	}
	fail_msg("filter %s", f);
	return 0;
}

static int same_name(const char *f, const char *o)
{
	return f != o && strcspn(f, "=") == strcspn(o, "=") && strncmp(f, o, strcspn(f, "=")) == 0;
}

/* combos_agree: a query of two or three filters (the smallest list
 * walked, the other terms checked on its rows) lists exactly the reports
 * of the list of every report that have them all, in order. */
static void combos_agree(void)
{
	static const char *filters[] = {"status=diterima", "status=selesai", "region=73",
					"region=73.12", "region=73.12.03", "category=jalan",
					"category=bansos", "holder=73.12", "holder=73"};
	const size_t nf = sizeof(filters) / sizeof(*filters);
	json_t *all = call("GET", "/v1/reports?limit=200", NULL, 200);
	json_t *rows = json_object_get(all, "reports");
	for (size_t a = 0; a < nf; a++)
		for (size_t b = a + 1; b < nf; b++)
			for (size_t c = b; c < nf; c++) {
				char path[200], want[2048] = "", got[2048] = "";
				if (same_name(filters[a], filters[b]) ||
				    same_name(filters[b], filters[c]) || same_name(filters[a], filters[c]))
					continue; /* a query names each filter once */
				snprintf(path, sizeof(path), "/v1/reports?%s&%s%s%s", filters[a],
					 filters[b], c > b ? "&" : "", c > b ? filters[c] : "");
				size_t i;
				json_t *row;
				json_array_foreach(rows, i, row) {
					if (row_fits(row, filters[a]) && row_fits(row, filters[b]) &&
					    (c == b || row_fits(row, filters[c])))
						strncat(want, jstr(row, "report_id"), 12);
				}
				json_t *j = call("GET", path, NULL, 200);
				json_array_foreach(json_object_get(j, "reports"), i, row)
					strncat(got, jstr(row, "report_id"), 12);
				json_decref(j);
				if (strcmp(want, got) != 0) {
					json_t *x = call("GET", path, NULL, 200);
					char *d = json_dumps(x, 0), *e = json_dumps(all, 0);
					fail_msg("%s: want %s, got %s\n%s\nALL %s", path, want, got, d, e);
				}
			}
	json_decref(all);
}

static void test_query_and_stats(void **state)
{
	json_t *j = call("GET", "/v1/reports?institution=73.12&limit=2", NULL, 200);
	json_t *list = json_object_get(j, "reports");
	assert_int_equal(json_array_size(list), 2);
	char next[80];
	snprintf(next, sizeof(next), "/v1/reports?institution=73.12&limit=2&cursor=%s",
		 jstr(j, "next_cursor"));
	json_decref(j);
	j = call("GET", next, NULL, 200);
	assert_true(json_array_size(json_object_get(j, "reports")) >= 1);
	json_decref(j);
	j = call("GET", "/v1/reports?status=selesai", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "reports")), 1);
	json_decref(j);
	j = call("GET", "/v1/reports?region=73.12&status=diterima", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "reports")), 3); /* anonim, rahasia, bansos */
	json_decref(j);
	j = call("GET", "/v1/reports?overdue=1", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "reports")), 0);
	json_decref(j);
	call_err("GET", "/v1/reports?status=nope", NULL, 400, "SP_ERR_HTTP_BAD_REQUEST");
	call_err("GET", "/v1/reports?limit=0", NULL, 400, "SP_ERR_HTTP_BAD_REQUEST");
	j = call("GET", "/v1/stats", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 6);
	json_t *by = json_object_get(j, "by_status");
	assert_int_equal(json_integer_value(json_object_get(by, "selesai")), 1);
	assert_int_equal(json_integer_value(json_object_get(by, "didisposisikan")), 1);
	json_t *kemensos = json_object_get(json_object_get(j, "by_institution"), "KEMENSOS");
	assert_int_equal(json_integer_value(json_object_get(kemensos, "total")), 1);
	json_decref(j);
	inst_figures();
	combos_agree();
}

/* bundle_entry fetches entry `index` of 73.12's log from its tiles. */
static uint8_t *bundle_entry(uint64_t index, json_int_t size, size_t *len)
{
	char path[128];
	assert_true(size < 256);
	snprintf(path, sizeof(path), "/logs/73.12/tile/entries/000.p/%d", (int)size);
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(g.f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	size_t pos = 0;
	uint8_t *out = NULL;
	for (uint64_t i = 0; pos + 2 <= r.len; i++) {
		size_t n = (size_t)(uint8_t)r.body[pos] << 8 | (uint8_t)r.body[pos + 1];
		if (i == index) {
			out = malloc(n);
			memcpy(out, r.body + pos + 2, n);
			*len = n;
		}
		pos += 2 + n;
	}
	sp_h_resp_free(&r);
	assert_non_null(out);
	return out;
}

static void test_receipt(void **state)
{
	json_decref(call("POST", "/v1/checkpoint/sign", "", 200));
	char path[128];
	snprintf(path, sizeof(path), "%s/receipt", g_rah.path);
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(g.f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	json_t *st = call("GET", "/v1/status", NULL, 200);
	struct sp_note_key k;
	assert_int_equal(sp_note_vkey_parse(jstr(st, "vkey"), &k), 0);
	json_t *rep = track(&g_rah);
	uint64_t index = (uint64_t)json_integer_value(json_object_get(rep, "index"));
	size_t len = 0;
	uint8_t *entry = bundle_entry(index, json_integer_value(json_object_get(
						     json_object_get(st, "own_log"), "size")),
				      &len);
	uint8_t h[32], id[32];
	sp_entry_hash(entry, len, h);
	sodium_hex2bin(id, 32, g_rah.id, 64, NULL, NULL, NULL);
	assert_memory_equal(h, id, 32); /* the report id is the entry's hash */
	struct sp_receipt rc;
	assert_int_equal(sp_receipt_verify(r.body, r.len, entry, len, &k, &rc), 0);
	assert_int_equal(rc.index, index);
	entry[len / 2] ^= 1;
	assert_int_not_equal(sp_receipt_verify(r.body, r.len, entry, len, &k, &rc), 0);
	free(entry);
	sp_h_resp_free(&r);
	json_decref(rep);
	json_decref(st);
}

static void test_cli(void **state)
{
	char url[96], rec[PATH_MAX + 16], ent[PATH_MAX + 32];
	snprintf(url, sizeof(url), "http://%s", g.f.addr);
	snprintf(rec, sizeof(rec), "%s/receipt.txt", g.f.dir);
	snprintf(ent, sizeof(ent), "%s.entry", rec);
	const char *sub[] = {"submit", "--node", url, "--category", "air-bersih", "--region",
			     "73.12.02", "--title", "Air mati", "--content", "Tiga hari air mati",
			     "--json", NULL};
	char *out = sp_h_simpul(g.f.dir, 0, sub);
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	char id[65];
	snprintf(id, sizeof(id), "%s", jstr(j, "report_id"));
	json_decref(j);
	free(out);
	const char *act[] = {"act", "--node", url, "--key", g.cli_key, id, "verifikasi", NULL};
	out = sp_h_simpul(g.f.dir, 0, act);
	assert_non_null(strstr(out, "status    diverifikasi"));
	free(out);
	const char *bad[] = {"act", "--node", url, "--key", g.cli_key, id, "verifikasi", NULL};
	out = sp_h_simpul(g.f.dir, 1, bad); /* the same act again is a new act, but verifikasi twice is not */
	assert_non_null(strstr(out, "SP_ERR_TRANSITION"));
	free(out);
	json_decref(call("POST", "/v1/checkpoint/sign", "", 200));
	const char *track[] = {"track", "--node", url, id, "--receipt", rec, NULL};
	out = sp_h_simpul(g.f.dir, 0, track);
	assert_non_null(strstr(out, "verifikasi"));
	free(out);
	json_t *st = call("GET", "/v1/status", NULL, 200);
	const char *verify[] = {"verify-receipt", "--vkey", jstr(st, "vkey"), rec, ent, NULL};
	out = sp_h_simpul(g.f.dir, 0, verify);
	assert_non_null(strstr(out, id));
	free(out);
	const char *wrong[] = {"verify-receipt", "--vkey", g.f.root_vkey, rec, ent, NULL};
	free(sp_h_simpul(g.f.dir, 1, wrong));
	json_decref(st);
	const char *query[] = {"query", "--node", url, "--status", "diverifikasi", NULL};
	out = sp_h_simpul(g.f.dir, 0, query);
	assert_non_null(strstr(out, id));
	free(out);
}

/* dir_sigs: the directory signatures the node checked at its first start
 * (*first) and at its last one, from its log. */
static long dir_sigs(long *first)
{
	char *text = sp_h_slurp(g.f.log, NULL);
	assert_non_null(text);
	long last = -1;
	*first = -1;
	for (const char *p = text; (p = strstr(p, "signatures_checked=")) != NULL; p++) {
		last = strtol(p + strlen("signatures_checked="), NULL, 10);
		if (*first < 0)
			*first = last;
	}
	free(text);
	return last;
}

static void test_restart(void **state)
{
	const struct submitted *all[] = {&g_pub, &g_anon, &g_rah, &g_fwd, &g_bansos, &g_other};
	char *before[6];
	for (int i = 0; i < 6; i++) {
		json_t *j = track(all[i]);
		json_object_del(j, "history"); /* open spans' durations grow */
		json_object_del(j, "indexed"); /* this node's clock when its index took it */
		before[i] = json_dumps(j, JSON_SORT_KEYS);
		json_decref(j);
	}
	node_stop();
	node_start(); /* loads the same directory file again: idempotent */
	/* the entries the store holds byte for byte are not verified again */
	long first, last = dir_sigs(&first);
	assert_true(first > 0);
	assert_int_equal(last, 0);
	for (int i = 0; i < 6; i++) {
		json_t *j = track(all[i]);
		json_object_del(j, "history");
		json_object_del(j, "indexed");
		char *after = json_dumps(j, JSON_SORT_KEYS);
		assert_string_equal(after, before[i]);
		free(after);
		free(before[i]);
		json_decref(j);
	}
	/* still acting after the restart */
	char *verify = act_json(&g_anon, SP_ACT_VERIFIKASI, g.off_sk, NULL, NULL, 0);
	act_ok(&g_anon, verify, "diverifikasi");
	free(verify);
}

/* ---- privacy --------------------------------------------------------------------------- */

static const char *const g_needles[] = {CONTACT, SECRET_TEXT, NAME};

/* ---- reporter keys ------------------------------------------------------------------------ */

/* entry_at returns entry `index` of 73.12's log as served in its public
 * tiles (malloc'ed; *len its size). */
static uint8_t *entry_at(json_int_t index, size_t *len)
{
	json_int_t size = own_size();
	assert_true(index < size && size < 256);
	char path[96];
	snprintf(path, sizeof(path), "/logs/73.12/tile/entries/000.p/%d", (int)size);
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(g.f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	const uint8_t *p = (const uint8_t *)r.body;
	for (json_int_t i = 0; i < index; i++)
		p += 2 + ((p[0] << 8) | p[1]);
	*len = (size_t)((p[0] << 8) | p[1]);
	uint8_t *e = malloc(*len);
	memcpy(e, p + 2, *len);
	sp_h_resp_free(&r);
	return e;
}

/* One citizen, one secret, two anonim reports: each has its own key and
 * salt, and nothing of one (no 8-byte run of its key or salt) is in the
 * other's public entry; the secret alone still acts on both. */
static void test_anonim_unlinkable(void **state)
{
	uint8_t secret[32], salt[2][32], pk[2][32];
	randombytes_buf(secret, sizeof(secret));
	struct submitted sub[2];
	json_int_t index[2];
	for (int i = 0; i < 2; i++) {
		randombytes_buf(salt[i], 32);
		assert_int_equal(sp_reporter_derive(secret, salt[i], pk[i], NULL), 0);
		json_t *b = json_loads(ANONIM, 0, NULL);
		json_object_set_new(b, "reporter_key", sp_json_hex(pk[i], 32));
		json_object_set_new(b, "reporter_salt", sp_json_hex(salt[i], 32));
		char *text = json_dumps(b, 0);
		json_t *j = call("POST", "/v1/reports", text, 201);
		assert_null(json_object_get(j, "tracking_secret")); /* the citizen has it */
		index[i] = json_integer_value(json_object_get(j, "index"));
		snprintf(sub[i].id, sizeof(sub[i].id), "%s", jstr(j, "report_id"));
		snprintf(sub[i].path, sizeof(sub[i].path), "/v1/reports/%.64s", jstr(j, "report_id"));
		sodium_bin2hex(sub[i].secret, sizeof(sub[i].secret), secret, 32);
		json_decref(j);
		free(text);
		json_decref(b);
	}
	size_t len[2];
	uint8_t *e[2] = {entry_at(index[0], &len[0]), entry_at(index[1], &len[1])};
	for (int i = 0; i < 2; i++) {
		int o = 1 - i;
		assert_non_null(memmem(e[i], len[i], pk[i], 32)); /* really these entries */
		assert_non_null(memmem(e[i], len[i], salt[i], 32));
		for (size_t k = 0; k + 8 <= 32; k++) {
			assert_null(memmem(e[o], len[o], pk[i] + k, 8));
			assert_null(memmem(e[o], len[o], salt[i] + k, 8));
			assert_null(memmem(e[o], len[o], secret + k, 8));
		}
	}
	/* The API hides the key of an anonim report; the salt is public. */
	json_t *t = track(&sub[0]);
	assert_null(json_object_get(t, "reporter_key"));
	assert_string_equal(jstr(t, "reporter_proof"), "key");
	json_decref(t);
	for (int i = 0; i < 2; i++) {
		char *body = act_json(&sub[i], SP_ACT_BALAS, NULL, NULL, "Masih tutup", 0);
		act_ok(&sub[i], body, "diterima");
		free(body);
	}
	free(e[0]);
	free(e[1]);
	/* A salt without a key, or not 64 hex digits, is refused. */
	json_t *b = json_loads(ANONIM, 0, NULL);
	json_object_set_new(b, "reporter_salt", sp_json_hex(salt[0], 32));
	char *text = json_dumps(b, 0);
	call_err("POST", "/v1/reports", text, 400, "SP_ERR_HTTP_BAD_REQUEST");
	free(text);
	json_decref(b);
}

static void test_privacy(void **state)
{
	json_decref(call("GET", "/v1/reports?limit=500", NULL, 200));
	json_decref(call("GET", "/v1/stats", NULL, 200));
	node_stop(); /* everything flushed */
	/* the reporter's data, and the tracking secrets the node made (as
	 * bytes and as hex: used in actions, they must still be nowhere on
	 * disk: no log, no entry, no index) */
	uint8_t secret_bin[2][32];
	assert_int_equal(sp_hex_parse(g_pub.secret, secret_bin[0], 32), 0);
	assert_int_equal(sp_hex_parse(g_anon.secret, secret_bin[1], 32), 0);
	const struct sp_h_needle needles[] = {
		{g_needles[0], strlen(g_needles[0])}, {g_needles[1], strlen(g_needles[1])},
		{g_needles[2], strlen(g_needles[2])}, {secret_bin[0], 32},
		{secret_bin[1], 32},		      {g_pub.secret, 64},
		{g_anon.secret, 64},
	};
	const size_t n = sizeof(needles) / sizeof(needles[0]);
	char found_in[PATH_MAX];
	if (sp_h_find_in_tree(g.f.data, needles, n, found_in, sizeof(found_in)) != 0)
		fail_msg("reporter data or a tracking secret in clear in %s", found_in);
	assert_int_equal(sp_h_find_in_tree(g.f.log, needles, n, found_in, sizeof(found_in)), 0);
	char *all = json_dumps(g.f.bodies, 0);
	for (size_t i = 0; i < 3; i++)
		assert_null(strstr(all, g_needles[i]));
	/* ...while the publik report's text is there to be found */
	assert_non_null(strstr(all, "Jalan poros Watansoppeng"));
	free(all);
	node_start();
}

/* ---- deadlines ------------------------------------------------------------------------ */

#define DAY_MS (24ull * 3600 * 1000)

/* on_list: report id is on GET path's list. */
static int on_list(const char *path, const char *id)
{
	json_t *j = call("GET", path, NULL, 200);
	json_t *list = json_object_get(j, "reports"), *it;
	size_t i;
	int found = 0;
	json_array_foreach(list, i, it)
		found |= strcmp(jstr(it, "report_id"), id) == 0;
	json_decref(j);
	return found;
}

/* dash_row: institution id's row of GET path (a dashboard), and the whole
 * answer in *all (caller frees). */
static json_t *dash_row(const char *path, const char *id, json_t **all)
{
	json_t *j = call("GET", path, NULL, 200), *it;
	size_t i;
	*all = j;
	json_array_foreach(json_object_get(j, "institutions"), i, it)
		if (strcmp(jstr(it, "id"), id) == 0)
			return it;
	fail_msg("%s has no row of %s", path, id);
	return NULL;
}

/* sign_own: the node signs a checkpoint of everything it wrote, which the
 * dashboard counts up to. */
static void sign_own(void)
{
	json_decref(call("POST", "/v1/checkpoint/sign", NULL, 200));
}

/* dash_escalated: the dashboard counts the escalation 73.12's node wrote
 * for the old report: a missed deadline of 73.12, nobody acting yet, and
 * the report on the overdue list with its escalation; once 73.12's officer
 * verifies it, the escalation was acted on and the report is no longer
 * overdue. Also checks that the figures then asked "now" again follow the
 * new entries (the dashboard's cache is keyed on the index and
 * checkpoints). */
static void dash_escalated(const struct submitted *old)
{
	sign_own();
	json_t *all, *r = dash_row("/v1/dashboard?scope=73.12", "73.12", &all);
	assert_int_equal(jint(r, "missed"), 1);
	assert_int_equal(jint(r, "esc_unacted"), 1);
	assert_int_equal(jint(r, "esc_acted"), 0);
	assert_int_equal(jint(r, "overdue_now"), 1);
	json_t *ov = json_object_get(all, "overdue"), *o = json_array_get(json_object_get(ov, "reports"), 0);
	assert_int_equal(jint(ov, "total"), 1);
	assert_string_equal(jstr(o, "report"), old->id);
	assert_string_equal(jstr(o, "holders"), "73.12");
	assert_string_equal(jstr(o, "stage"), "verify");
	assert_int_equal(jint(o, "escalations"), 1);
	assert_int_equal(jint(o, "escalations_unacted"), 1);
	assert_int_equal(jint(o, "escalations_acted"), 0);
	assert_true(jint(o, "days_late") >= 10);
	json_decref(all);

	char *body = act_json(old, SP_ACT_VERIFIKASI, g.off_sk, NULL, NULL, 0);
	act_ok(old, body, "diverifikasi");
	free(body);
	sign_own();
	r = dash_row("/v1/dashboard?scope=73.12", "73.12", &all);
	assert_int_equal(jint(r, "missed"), 1);
	assert_int_equal(jint(r, "esc_acted"), 1);
	assert_int_equal(jint(r, "esc_unacted"), 0);
	assert_int_equal(jint(json_object_get(all, "overdue"), "total"), 0);
	json_decref(all);
	/* the province's subtree sums it; the sibling's row has none of it */
	r = dash_row("/v1/dashboard?scope=73", "73.11", &all);
	assert_int_equal(jint(r, "missed"), 0);
	assert_int_equal(jint(json_object_get(all, "total"), "missed"), 1);
	assert_int_equal(jint(json_object_get(all, "total"), "esc_acted"), 1);
	json_decref(all);
}

/* A report whose verify deadline passed long ago (submitted 20 days ago at
 * another node, replicated here with 73.11's signed checkpoint) gets an
 * escalation entry from the node's timer (every second in this config) and
 * is on its parent's overdue list; the dashboard counts the missed deadline
 * and whether it was acted on (dash_escalated). Real clocks throughout: the
 * report is old, not the node's time shifted. */
static void test_escalation(void **state)
{
	node_stop();
	size_t len;
	uint8_t *entry = sp_ft_old_report(g.f.fed, "73.11", "73.12", "73.12.03", 20 * DAY_MS, &len), h[32];
	struct sp_store *st;
	struct sp_store_opts o = {.verify_threads = 1};
	uint32_t log;
	size_t accepted = 0;
	const uint8_t *const ents[] = {entry};
	struct sp_entry e;
	assert_int_equal(sp_entry_decode(entry, len, &e), 0);
	char store[PATH_MAX + 16];
	snprintf(store, sizeof(store), "%s/store", g.f.data);
	assert_int_equal(sp_store_open(store, &o, &st), 0);
	assert_int_equal(sp_store_log_add(st, "simpul.local/73.11", e.author, &log), 0);
	assert_int_equal(sp_store_insert(st, log, ents, &len, 1, &accepted), 0);
	assert_int_equal(accepted, 1);
	sp_ft_replica_checkpoint(st, log, g.f.fed, "73.11", entry, len);
	sp_store_close(st);
	struct submitted old;
	sp_entry_hash(entry, len, h);
	sodium_bin2hex(old.id, sizeof(old.id), h, 32);
	snprintf(old.path, sizeof(old.path), "/v1/reports/%s", old.id);
	free(entry);
	node_start();

	json_t *j = NULL;
	for (int waited = 0; waited < 10000; waited += 100) {
		json_decref(j);
		j = track(&old);
		if (json_integer_value(json_object_get(j, "escalations")) > 0)
			break;
		usleep(100 * 1000);
	}
	assert_int_equal(json_integer_value(json_object_get(j, "escalations")), 1);
	assert_true(json_is_true(json_object_get(j, "overdue")));
	assert_string_equal(jstr(j, "status"), "diterima");
	json_t *t = json_array_get(json_object_get(j, "trail"), 0);
	assert_non_null(t);
	assert_string_equal(jstr(t, "type"), "escalation");
	assert_string_equal(jstr(t, "log"), "73.12");
	assert_string_equal(jstr(t, "verdict"), "applied");
	assert_int_equal(json_integer_value(json_object_get(t, "stage")), SP_STAGE_VERIFY);
	assert_true(json_integer_value(json_object_get(t, "deadline")) <= (json_int_t)sp_now_ms());
	json_decref(j);
	/* on the province's and the coordinator's overdue lists, not on a
	 * sibling's; and written once: the next passes add nothing */
	assert_true(on_list("/v1/reports?institution=73&overdue=1", old.id));
	assert_true(on_list("/v1/reports?institution=KEMENPANRB&overdue=1", old.id));
	assert_false(on_list("/v1/reports?institution=73.11&overdue=1", old.id));
	json_int_t size = own_size();
	usleep(2500 * 1000);
	assert_int_equal(own_size(), size);
	dash_escalated(&old);
	g_old = old;
}

/* ---- the track answer's exact bytes ------------------------------------------------------- */

#define ESCAPED                                                                                \
	"{\"kind\":\"aspirasi\",\"visibility\":\"publik\",\"category\":\"jalan\","           \
	"\"region\":\"73.12\",\"title\":\"Jalan \\\"rusak\\\" \\\\ D\\u00e9sa\","              \
	"\"content\":\"baris satu\\nbaris \\u2014 \\u20ac \\ud83d\\ude00 / \\t\"}"

/* keys_are: o's keys, in order, are exactly the NULL-ended list. */
static void keys_are(json_t *o, const char *const *want, const char *what)
{
	size_t i = 0;
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (want[i] == NULL || strcmp(key, want[i]) != 0)
			fail_msg("%s: key %zu is '%s', not '%s'", what, i, key,
				 want[i] ? want[i] : "(none)");
		i++;
	}
	if (want[i])
		fail_msg("%s: no key '%s'", what, want[i]);
}

/* track_bytes: the answer's bytes, which must be exactly what jansson
 * writes for the tree they parse to (compact, ASCII, a final newline). */
static json_t *track_bytes(const struct submitted *s, char **raw)
{
	size_t len;
	*raw = sp_h_get(g.f.addr, s->path, &len);
	assert_non_null(*raw);
	json_t *j = json_loadb(*raw, len, JSON_ALLOW_NUL, NULL);
	assert_non_null(j);
	char *again = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_int_equal(len, strlen(again) + 1);
	assert_memory_equal(*raw, again, len - 1);
	assert_int_equal((*raw)[len - 1], '\n');
	free(again);
	return j;
}

static void release(json_t *j, char *raw)
{
	json_decref(j);
	free(raw);
}

static json_t *item(json_t *j, size_t i)
{
	json_t *t = json_array_get(json_object_get(j, "trail"), i);
	assert_non_null(t);
	return t;
}

/* GET /v1/reports/{id} is written without a jansson tree: every field of
 * every kind of report and trail entry, in its order, and the escapes of
 * text, are pinned here (a field dropped, moved or escaped otherwise
 * fails). */
static void test_track_bytes(void **state)
{
	static const char *const top[] = {
		"report_id", "log", "index", "submitted", "indexed", "ticket", "kind", "visibility",
		"category", "region", "routed_to", "rule", "channel", "attachments", "title",
		"content", "reporter_proof", "reporter_salt", "reporter_key", "status", "holders",
		"history", "bounces", "reopens", "escalations", "stage", "deadline", "overdue",
		"rating", "auto_closed", "merged_into", "answered", "closed", "calendar_unpublished",
		"trail", NULL};
	static const char *const officer[] = {"log", "index", "time", "type", "verdict",
					      "action", "issued", "actor", NULL};
	static const char *const answer[] = {"log", "index", "time", "type", "verdict",
					     "action", "text", "issued", "actor", NULL};
	static const char *const rated[] = {"log", "index", "time", "type", "verdict",
					    "action", "rating", "issued", "actor", NULL};
	static const char *const forward[] = {"log", "index", "time", "type", "verdict",
					      "action", "targets", "issued", "actor", NULL};
	static const char *const esc[] = {"log", "index", "time", "type", "verdict",
					  "stage", "deadline", NULL};
	static const char *const span[] = {"institution", "start", "end", "duration_ms", "from",
					   NULL};
	char *raw;
	/* verified, answered, closed and rated by the reporter */
	json_t *j = track_bytes(&g_pub, &raw);
	keys_are(j, top, "publik");
	keys_are(item(j, 0), officer, "verifikasi");
	keys_are(item(j, 1), answer, "tindak_lanjut");
	keys_are(json_object_get(item(j, 0), "actor"), (const char *const[]){"officer",
									  "institution", NULL},
		 "officer");
	keys_are(item(j, 3), rated, "nilai");
	keys_are(json_array_get(json_object_get(j, "history"), 0), span, "history");
	assert_non_null(strstr(raw, ",\"actor\":{\"reporter\":\"key\"}}"));
	assert_non_null(strstr(raw, ",\"rating\":4,\"auto_closed\":false,\"merged_into\":null,"));
	assert_non_null(strstr(raw, ",\"attachments\":[],\"title\":\"Jalan rusak\","));
	release(j, raw);
	/* forwarded: targets, two spans, the second from the first */
	j = track_bytes(&g_fwd, &raw);
	keys_are(item(j, 0), forward, "disposisi");
	assert_non_null(strstr(raw, ",\"targets\":[\"73\"],"));
	assert_non_null(strstr(raw, ",\"end\":null,"));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "history"), 0),
						 "from")));
	assert_string_equal(jstr(json_array_get(json_object_get(j, "history"), 1), "from"), "73.12");
	release(j, raw);
	/* rahasia: sealed, no title nor content, no reporter key */
	static const char *const sealed[] = {
		"report_id", "log", "index", "submitted", "indexed", "ticket", "kind", "visibility",
		"category", "region", "routed_to", "rule", "channel", "attachments", "sealed",
		"reporter_proof", "reporter_salt", "status", "holders", "history", "bounces",
		"reopens", "escalations", "stage", "deadline", "overdue", "rating", "auto_closed",
		"merged_into", "answered", "closed", "calendar_unpublished", "trail", NULL};
	j = track_bytes(&g_rah, &raw);
	keys_are(j, sealed, "rahasia");
	assert_non_null(strstr(raw, ",\"sealed\":true,\"reporter_proof\":\"key\","));
	release(j, raw);
	j = track_bytes(&g_anon, &raw); /* anonim: no reporter key either */
	assert_null(json_object_get(j, "reporter_key"));
	assert_non_null(json_object_get(j, "title"));
	release(j, raw);
	/* replicated and escalated by this node's timer */
	j = track_bytes(&g_old, &raw);
	keys_are(item(j, 0), esc, "escalation");
	assert_string_equal(jstr(j, "log"), "73.11");
	release(j, raw);
	/* text: quotes, backslash, a control character, non-ASCII, an emoji */
	struct submitted e;
	submit(ESCAPED, "73.12", &e);
	char *verify = act_json(&e, SP_ACT_VERIFIKASI, g.off_sk, NULL, NULL, 0);
	act_ok(&e, verify, "diverifikasi");
	free(verify);
	char *reply = act_json(&e, SP_ACT_TINDAK_LANJUT, g.off_sk, NULL,
			       "\"Sudah\" \\ di D\xc3\xa9sa\x01 \xf0\x9f\x98\x80", 0);
	act_ok(&e, reply, "ditindaklanjuti");
	free(reply);
	j = track_bytes(&e, &raw);
	assert_non_null(strstr(raw, ",\"title\":\"Jalan \\\"rusak\\\" \\\\ D\\u00E9sa\","
				    "\"content\":\"baris satu\\nbaris \\u2014 \\u20AC "
				    "\\uD83D\\uDE00 / \\t\","));
	assert_non_null(strstr(raw, ",\"text\":\"\\\"Sudah\\\" \\\\ di D\\u00E9sa\\u0001 "
				    "\\uD83D\\uDE00\","));
	assert_string_equal(jstr(j, "kind"), "aspirasi");
	release(j, raw);
}

/* bad_dir_start: simpuld on data folder `data` with directory file `bad`
 * (config and log named by tag) must stop at start-up, naming the bad
 * signature. */
static void bad_dir_start(const char *data, const char *bad, const char *tag)
{
	char ini[PATH_MAX + 32], log[PATH_MAX + 32], bin[PATH_MAX];
	snprintf(ini, sizeof(ini), "%s/%s.ini", g.f.dir, tag);
	snprintf(log, sizeof(log), "%s/%s.log", g.f.dir, tag);
	sp_h_fed_config(&g.f, ini, data, bad);
	sp_h_bin(bin, sizeof(bin), "simpuld");
	const char *argv[] = {bin, "--config", ini, NULL};
	assert_int_equal(sp_h_run(argv, log, 20000), 1);
	char *text = sp_h_slurp(log, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "is not part of the coordinator's log"));
	assert_non_null(strstr(text, "SP_ERR_BAD_SIGNATURE"));
	free(text);
}

/* A directory file with one corrupted entry stops start-up, saying which:
 * on a new store, and on a store that holds the directory already (whose
 * entries a start does not verify again when the file has the same bytes). */
static void test_bad_directory(void **state)
{
	char src[PATH_MAX + 32], bad[PATH_MAX + 16], bad0[PATH_MAX + 16], data[PATH_MAX + 16];
	snprintf(src, sizeof(src), "%s/directory.entries", g.f.fed);
	snprintf(bad, sizeof(bad), "%s/bad.entries", g.f.dir);
	snprintf(bad0, sizeof(bad0), "%s/bad0.entries", g.f.dir);
	snprintf(data, sizeof(data), "%s/data-bad", g.f.dir);
	size_t len;
	char *bytes = sp_h_slurp(src, &len);
	assert_non_null(bytes);
	bytes[len - 10] ^= 1; /* inside the last entry's signature */
	assert_int_equal(sp_file_replace(bad, bytes, len), 0);
	bytes[len - 10] ^= 1;
	size_t first = (size_t)((uint8_t)bytes[0] << 8 | (uint8_t)bytes[1]);
	bytes[2 + first - 10] ^= 1; /* inside the first entry's signature */
	assert_int_equal(sp_file_replace(bad0, bytes, len), 0);
	free(bytes);
	bad_dir_start(data, bad, "bad");
	node_stop();
	bad_dir_start(g.f.data, bad, "bad-held");
	bad_dir_start(g.f.data, bad0, "bad0-held");
	node_start(); /* the good file still starts it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_submit_and_track),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_query_and_stats),
		cmocka_unit_test(test_receipt),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_anonim_unlinkable),
		cmocka_unit_test(test_privacy),
		cmocka_unit_test(test_escalation),
		cmocka_unit_test(test_track_bytes),
		cmocka_unit_test(test_bad_directory),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

/*
 * test_sealed.c - reading and forwarding sealed reports, end to end with a
 * real simpuld (the node of Kabupaten Soppeng, 73.12, from the harness's
 * federation of province 73).
 *
 * First the pure functions (sp_report_open_req_sign/_verify, the sealed
 * blob format). Officers: two of 73.12 (one with a key file, for the CLI), one of 73.11,
 * one of the province (73), one of the national coordinator, and a key
 * nobody enrolled. A rahasia report with a sealed attachment is submitted;
 * then POST /v1/reports/{id}/open: the holder's officer gets the exact
 * text, contact and content key (which opens the attachment); the
 * coordinator's officer may read it too; another institution's officer is
 * refused (SP_ERR_AUTHORITY), so is an unenrolled key, a forged signature
 * (SP_ERR_BAD_SIGNATURE), a stale request and a replayed one
 * (SP_ERR_REPLAY), and malformed ones. GET /v1/directory/institutions/73
 * gives the province's keys. A disposisi without key copies is refused
 * (SP_ERR_SEALED); `simpul act ... disposisi --to 73` re-seals the content
 * key, and the copy in the act opens with the province's seal key from the
 * federation folder (keys/73.seal): the same key; the CLI officer's key
 * is protected by a passphrase there (`--passphrase-file`, a wrong one
 * refused with nothing written). After it, 73.12's
 * officer may no longer read the report and 73's may. Privacy: no
 * plaintext in the data folder, the node's log or any public response.
 */
#define _GNU_SOURCE /* memmem */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_fedtest.h"
#include "sp_node_harness.h"
#include "sp_report.h"
#include "sp_clock.h"

#define CONTACT "rahasia-0813-777-0101@contoh.id"
#define SECRET_TEXT "ISI-TERSEGEL: setoran ilegal di gudang bulog blok C"
#define FILE_TEXT "LAMPIRAN-TERSEGEL: foto kuitansi"
#define PURPOSE "verifikasi laporan"
#define PASSPHRASE "kata sandi petugas soppeng"

struct fixture {
	struct sp_h_fed f;
	uint8_t off_pk[32], off_sk[64];     /* 73.12 */
	uint8_t other_pk[32], other_sk[64]; /* 73.11 */
	uint8_t prov_pk[32], prov_sk[64];   /* 73 */
	uint8_t coord_pk[32], coord_sk[64]; /* the national coordinator */
	uint8_t nobody_pk[32], nobody_sk[64];
	char cli_key[PATH_MAX + 16];        /* a 73.12 officer's key file */
	char prot_key[PATH_MAX + 32];       /* the same key, protected by PASSPHRASE */
	char pass[PATH_MAX + 16];           /* a file holding PASSPHRASE */
	char url[96];
	char id[65];                        /* the rahasia report */
	char attach[65];                    /* its sealed file */
	uint8_t ckey[32];                   /* its content key, as /open gave it */
};

static struct fixture g;

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init(&g.f, "sealed");
	sp_test_keypair(81, g.off_pk, g.off_sk);
	sp_test_keypair(82, g.other_pk, g.other_sk);
	sp_test_keypair(83, g.prov_pk, g.prov_sk);
	sp_test_keypair(84, g.coord_pk, g.coord_sk);
	sp_test_keypair(85, g.nobody_pk, g.nobody_sk);
	sp_h_fed_enrol(&g.f, "73.12", g.off_pk, "Petugas Soppeng");
	sp_h_fed_enrol(&g.f, "73.11", g.other_pk, "Petugas Barru");
	sp_h_fed_enrol(&g.f, "73", g.prov_pk, "Petugas Provinsi");
	sp_h_fed_enrol(&g.f, "KEMENPANRB", g.coord_pk, "Petugas Nasional");
	sp_ft_officer_named(&g.f, "73.12", 86, "Petugas CLI", g.cli_key, sizeof(g.cli_key));
	sp_h_fed_start(&g.f);
	snprintf(g.url, sizeof(g.url), "http://%s", g.f.addr);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_free(&g.f);
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL)
		fail_msg("no string '%s'", key);
	return s;
}

/* ---- open requests ------------------------------------------------------------------ */

/* open_json makes an open request for report id by officer sk, issued at
 * `issued`; flip corrupts the signature. Caller frees. */
static char *open_json(const char *id, const uint8_t *sk, uint64_t issued, int flip)
{
	struct sp_report_open_req q = {.issued_ms = issued,
				       .purpose = {PURPOSE, strlen(PURPOSE)}};
	assert_int_equal(sodium_hex2bin(q.report, 32, id, 64, NULL, NULL, NULL), 0);
	assert_int_equal(sp_report_open_req_sign(&q, sk), 0);
	q.sig[5] ^= flip ? 1 : 0;
	char sig[100], off[65];
	sodium_bin2base64(sig, sizeof(sig), q.sig, 64, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2hex(off, sizeof(off), q.officer, 32);
	json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:s}", "report", id, "purpose", PURPOSE, "issued",
			      (json_int_t)issued, "officer", off, "sig", sig);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* post_open sends body to /v1/reports/{id}/open, not through sp_h_call:
 * the answer is the plaintext, which the privacy check must not count as
 * a public response. Asserts the status (and code, if given); returns the
 * answer parsed. */
static json_t *post_open(const char *id, const char *body, int want, const char *code)
{
	char path[128];
	struct sp_h_resp r;
	snprintf(path, sizeof(path), "/v1/reports/%s/open", id);
	assert_int_equal(sp_h_http(g.f.addr, "POST", path, "Content-Type: application/json\r\n",
				   body, strlen(body), &r), 0);
	if (r.status != want)
		fail_msg("open: status %d, want %d: %.300s", r.status, want, r.body);
	json_t *j = json_loads(r.body, 0, NULL);
	sp_h_resp_free(&r);
	assert_non_null(j);
	if (code)
		assert_string_equal(jstr(json_object_get(j, "error"), "code"), code);
	return j;
}

static json_t *open_as(const uint8_t *sk, int want, const char *code)
{
	char *body = open_json(g.id, sk, sp_now_ms(), 0);
	json_t *j = post_open(g.id, body, want, code);
	free(body);
	return j;
}

/* ---- the tests ------------------------------------------------------------------------ */

/* The pure functions: what the signature covers, the window's edges, the
 * blob format. */
static void test_pure(void **state)
{
	(void)state;
	struct sp_report_open_req q = {.issued_ms = 1000000, .purpose = {"audit", 5}};
	memset(q.report, 7, sizeof(q.report));
	assert_int_equal(sp_report_open_req_sign(&q, g.off_sk), 0);
	assert_memory_equal(q.officer, g.off_pk, 32);
	const uint64_t w = SP_REPORT_OPEN_WINDOW_MS;
	assert_int_equal(sp_report_open_req_verify(&q, 1000000 + w, w), 0);
	assert_int_equal(sp_report_open_req_verify(&q, 1000000 - w, w), 0);
	assert_int_equal(sp_report_open_req_verify(&q, 1000000 + w + 1, w), SP_ERR_REPLAY);
	assert_int_equal(sp_report_open_req_verify(&q, 1000000 - w - 1, w), SP_ERR_REPLAY);
	struct sp_report_open_req t = q;
	t.purpose = (struct sp_str){"audiT", 5};
	assert_int_equal(sp_report_open_req_verify(&t, 1000000, w), SP_ERR_BAD_SIGNATURE);
	t = q;
	t.issued_ms++;
	assert_int_equal(sp_report_open_req_verify(&t, 1000000, w), SP_ERR_BAD_SIGNATURE);
	t = q;
	t.report[31] ^= 1;
	assert_int_equal(sp_report_open_req_verify(&t, 1000000, w), SP_ERR_BAD_SIGNATURE);
	t = q;
	memcpy(t.officer, g.other_pk, 32);
	assert_int_equal(sp_report_open_req_verify(&t, 1000000, w), SP_ERR_BAD_SIGNATURE);
	t.purpose = (struct sp_str){"a\0b", 3};
	assert_int_equal(sp_report_open_req_verify(&t, 1000000, w), SP_ERR_REPORT_FIELD);
	assert_int_equal(sp_report_open_req_sign(&t, g.off_sk), SP_ERR_REPORT_FIELD);
	t.purpose = (struct sp_str){NULL, 0};
	assert_int_equal(sp_report_open_req_sign(&t, g.off_sk), SP_ERR_REPORT_FIELD);

	uint8_t key[32], *plain;
	size_t len;
	struct sp_buf blob;
	memset(key, 9, sizeof(key));
	sp_buf_init(&blob);
	assert_int_equal(sp_report_seal_blob(key, "text/plain", (const uint8_t *)"hi", 2, &blob), 0);
	assert_int_equal(blob.len, SP_REPORT_BLOB_OVERHEAD + 2);
	assert_int_equal(sp_report_open_blob(key, "text/plain", blob.p, blob.len, &plain, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(plain, "hi", 2);
	free(plain);
	assert_int_equal(sp_report_open_blob(key, "text/plain", blob.p, SP_REPORT_BLOB_OVERHEAD - 1,
					     &plain, &len), SP_ERR_SEALED);
	blob.p[blob.len - 1] ^= 1;
	assert_int_equal(sp_report_open_blob(key, "text/plain", blob.p, blob.len, &plain, &len),
			 SP_ERR_SEALED);
	sp_buf_free(&blob);
}

static void test_submit(void **state)
{
	(void)state;
	char b64[256];
	sodium_bin2base64(b64, sizeof(b64), (const uint8_t *)FILE_TEXT, strlen(FILE_TEXT),
			  sodium_base64_VARIANT_ORIGINAL);
	json_t *b = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}", "kind", "pengaduan",
			      "visibility", "rahasia", "category", "pelayanan-publik", "region",
			      "73.12.01", "title", "Pungli gudang", "content", SECRET_TEXT,
			      "contact", CONTACT, "attachments", "media_type", "text/plain",
			      "data", b64);
	char *s = json_dumps(b, 0);
	json_t *j = sp_h_call(&g.f, "POST", "/v1/reports", "application/json", s, strlen(s), 201);
	snprintf(g.id, sizeof(g.id), "%s", jstr(j, "report_id"));
	assert_string_equal(jstr(j, "routed_to"), "73.12");
	json_decref(j);
	free(s);
	json_decref(b);
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", g.id);
	j = sp_h_call(&g.f, "GET", path, NULL, NULL, 0, 200);
	json_t *at = json_array_get(json_object_get(j, "attachments"), 0);
	snprintf(g.attach, sizeof(g.attach), "%s", jstr(at, "sha256"));
	json_decref(j);
}

static void test_open_holder(void **state)
{
	(void)state;
	json_t *j = open_as(g.off_sk, 200, NULL);
	assert_string_equal(jstr(j, "report_id"), g.id);
	assert_string_equal(jstr(j, "visibility"), "rahasia");
	assert_string_equal(jstr(j, "title"), "Pungli gudang");
	assert_string_equal(jstr(j, "content"), SECRET_TEXT);
	assert_string_equal(jstr(j, "contact"), CONTACT);
	assert_true(json_is_null(json_object_get(j, "name")));
	size_t got = 0;
	const char *k = jstr(j, "content_key");
	assert_int_equal(sodium_base642bin(g.ckey, 32, k, strlen(k), NULL, &got, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(got, 32);
	json_decref(j);

	/* the content key opens the sealed attachment the node serves */
	char path[128];
	struct sp_h_resp r;
	snprintf(path, sizeof(path), "/v1/attachments/%s", g.attach);
	assert_int_equal(sp_h_http(g.f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_null(memmem(r.body, r.len, FILE_TEXT, strlen(FILE_TEXT)));
	uint8_t *plain;
	size_t len;
	assert_int_equal(sp_report_open_blob(g.ckey, "text/plain", (const uint8_t *)r.body, r.len,
					     &plain, &len), 0);
	assert_int_equal(len, strlen(FILE_TEXT));
	assert_memory_equal(plain, FILE_TEXT, len);
	free(plain);
	assert_int_equal(sp_report_open_blob(g.ckey, "image/png", (const uint8_t *)r.body, r.len,
					     &plain, &len), SP_ERR_SEALED);
	sp_h_resp_free(&r);

	/* the coordinator reads every sealed report */
	json_decref(open_as(g.coord_sk, 200, NULL));
	/* one line per opening, with the officer's key prefix */
	char line[160], hex[65];
	sodium_bin2hex(hex, sizeof(hex), g.off_pk, 32);
	snprintf(line, sizeof(line), "opened report %s by officer %.16s", g.id, hex);
	assert_int_equal(sp_h_wait_text(g.f.log, line, 5000), 0);
}

static void test_open_refused(void **state)
{
	(void)state;
	json_decref(open_as(g.other_sk, 403, "SP_ERR_AUTHORITY"));
	json_decref(open_as(g.prov_sk, 403, "SP_ERR_AUTHORITY")); /* not a holder yet */
	json_decref(open_as(g.nobody_sk, 403, "SP_ERR_UNKNOWN_OFFICER"));

	char *forged = open_json(g.id, g.off_sk, sp_now_ms(), 1);
	json_decref(post_open(g.id, forged, 401, "SP_ERR_BAD_SIGNATURE"));
	free(forged);
	char *stale = open_json(g.id, g.off_sk, sp_now_ms() - 10 * 60 * 1000, 0);
	json_decref(post_open(g.id, stale, 401, "SP_ERR_REPLAY"));
	free(stale);
	char *future = open_json(g.id, g.off_sk, sp_now_ms() + 10 * 60 * 1000, 0);
	json_decref(post_open(g.id, future, 401, "SP_ERR_REPLAY"));
	free(future);
	char *once = open_json(g.id, g.off_sk, sp_now_ms(), 0);
	json_decref(post_open(g.id, once, 200, NULL));
	json_decref(post_open(g.id, once, 401, "SP_ERR_REPLAY"));

	/* a request for one report is not good for another */
	const char *zero = "0000000000000000000000000000000000000000000000000000000000000000";
	json_decref(post_open(zero, once, 400, "SP_ERR_HTTP_BAD_REQUEST"));
	free(once);
	char *unknown = open_json(zero, g.off_sk, sp_now_ms(), 0);
	json_decref(post_open(zero, unknown, 404, "SP_ERR_UNKNOWN_REPORT"));
	free(unknown);
	json_decref(post_open(g.id, "{\"report\":1}", 400, "SP_ERR_HTTP_BAD_REQUEST"));
	json_decref(post_open(g.id, "not json", 400, "SP_ERR_HTTP_BAD_REQUEST"));
	char *extra = open_json(g.id, g.off_sk, sp_now_ms(), 0);
	extra[strlen(extra) - 1] = '\0';
	char more[1024];
	snprintf(more, sizeof(more), "%s,\"x\":1}", extra);
	json_decref(post_open(g.id, more, 400, "SP_ERR_HTTP_BAD_REQUEST"));
	free(extra);
}

/* seal_key_of reads institution inst's X25519 key pair from the
 * federation folder. */
static void seal_key_of(const char *inst, uint8_t pk[32], uint8_t sk[32])
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/keys/%s.seal", g.f.fed, inst);
	assert_int_equal(sp_sealfile_load(path, pk, sk, NULL, 0), 0);
}

static void test_directory(void **state)
{
	(void)state;
	uint8_t pk[32], sk[32];
	char hex[65];
	seal_key_of("73", pk, sk);
	sodium_bin2hex(hex, sizeof(hex), pk, 32);
	json_t *j = sp_h_call(&g.f, "GET", "/v1/directory/institutions/73", NULL, NULL, 0, 200);
	assert_string_equal(jstr(j, "id"), "73");
	assert_string_equal(jstr(j, "tier"), "province");
	assert_string_equal(jstr(j, "parent"), "KEMENPANRB");
	assert_string_equal(jstr(j, "seal_key"), hex);
	assert_int_equal(strlen(jstr(j, "sign_key")), 64);
	assert_non_null(json_object_get(j, "http"));
	json_decref(j);
	j = sp_h_call(&g.f, "GET", "/v1/directory/institutions/KEMENPANRB", NULL, NULL, 0, 200);
	assert_true(json_is_null(json_object_get(j, "parent")));
	json_decref(j);
	sp_h_call_err(&g.f, "GET", "/v1/directory/institutions/99.99", NULL, NULL, 0, 404,
		      "SP_ERR_UNKNOWN_INSTITUTION");
	sp_h_call_err(&g.f, "GET", "/v1/directory/institutions/a%20b", NULL, NULL, 0, 400,
		      "SP_ERR_HTTP_BAD_REQUEST");
}

/* action_at fetches entry `index` of 73.12's log from its tiles and
 * parses it as an action (a borrows *buf, which the caller frees). */
static void action_at(uint64_t index, uint8_t **buf, struct sp_report_action *a)
{
	long long size = sp_h_own_size(&g.f);
	char path[128];
	struct sp_h_resp r;
	assert_true(size < 256 && (long long)index < size);
	snprintf(path, sizeof(path), "/logs/73.12/tile/entries/000.p/%lld", size);
	assert_int_equal(sp_h_http(g.f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	size_t pos = 0;
	*buf = NULL;
	for (uint64_t i = 0; pos + 2 <= r.len && *buf == NULL; i++) {
		size_t n = (size_t)(uint8_t)r.body[pos] << 8 | (uint8_t)r.body[pos + 1];
		if (i == index) {
			*buf = malloc(n);
			memcpy(*buf, r.body + pos + 2, n);
			struct sp_entry e;
			assert_int_equal(sp_entry_decode(*buf, n, &e), 0);
			assert_int_equal(e.type, SP_EV_ACTION);
			assert_int_equal(sp_report_action_parse(e.body, e.body_len, a), 0);
		}
		pos += 2 + n;
	}
	sp_h_resp_free(&r);
	assert_non_null(*buf);
}

/* protected_key_cli: the CLI officer's key protected by a passphrase
 * (keygen --passphrase-file --from) is refused without the passphrase and
 * with a wrong one, by `simpul open` and `simpul act`: a clear error that
 * never shows the passphrase, nothing written (own log still `size`). */
static void protected_key_cli(long long size)
{
	static const char bad_pass[] = "kata sandi yang keliru";
	snprintf(g.pass, sizeof(g.pass), "%s/pass", g.f.dir);
	snprintf(g.prot_key, sizeof(g.prot_key), "%s/cli-protected.key", g.f.dir);
	char bad[PATH_MAX + 16];
	snprintf(bad, sizeof(bad), "%s/bad-pass", g.f.dir);
	FILE *f = fopen(g.pass, "w");
	assert_non_null(f);
	fputs(PASSPHRASE "\n", f);
	fclose(f);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs(bad_pass, f);
	fclose(f);
	free(sp_h_simpul(g.f.dir, 0, (const char *const[]){"keygen", "--passphrase-file", g.pass,
							   "--out", g.prot_key, "--from", g.cli_key,
							   NULL}));
	char *out = sp_h_simpul(g.f.dir, 1, (const char *const[]){"open", "--node", g.url, "--key",
								 g.prot_key, g.id, NULL});
	assert_non_null(strstr(out, "is protected by a passphrase: give it with --passphrase-file"));
	free(out);
	const char *acts[][12] = {
		{"act", "--node", g.url, "--key", g.prot_key, "--passphrase-file", bad, g.id,
		 "disposisi", "--to", "73", NULL},
		{"open", "--node", g.url, "--key", g.prot_key, "--passphrase-file", bad, g.id, NULL},
	};
	for (size_t i = 0; i < 2; i++) {
		out = sp_h_simpul(g.f.dir, 1, acts[i]);
		assert_non_null(strstr(out, "wrong passphrase"));
		assert_null(strstr(out, bad_pass));
		assert_null(strstr(out, PASSPHRASE));
		free(out);
	}
	assert_int_equal(sp_h_own_size(&g.f), size);
}

static void test_disposisi(void **state)
{
	(void)state;
	/* without a key copy for the target: refused, nothing stored */
	struct sp_report_action a = {.code = SP_ACT_DISPOSISI, .issued_ms = sp_now_ms(),
				     .targets = {{"73", 2}}, .n_targets = 1};
	uint8_t *body;
	size_t len;
	assert_int_equal(sodium_hex2bin(a.report, 32, g.id, 64, NULL, NULL, NULL), 0);
	assert_int_equal(sp_report_action_build_officer(&a, g.off_sk, &body, &len), 0);
	char b64[4096], req[4200], path[128];
	sodium_bin2base64(b64, sizeof(b64), body, len, sodium_base64_VARIANT_ORIGINAL);
	snprintf(req, sizeof(req), "{\"body\":\"%s\"}", b64);
	free(body);
	snprintf(path, sizeof(path), "/v1/reports/%s/actions", g.id);
	long long before = sp_h_own_size(&g.f);
	sp_h_call_err(&g.f, "POST", path, "application/json", req, strlen(req), 403,
		      "SP_ERR_SEALED");
	assert_int_equal(sp_h_own_size(&g.f), before);

	/* the CLI reads it, then forwards it with the key re-sealed, the
	 * officer's key protected by a passphrase (protected_key_cli) */
	protected_key_cli(before);
	const char *open[] = {"open", "--node", g.url, "--key", g.prot_key, "--passphrase-file",
			      g.pass, g.id, NULL};
	char *out = sp_h_simpul(g.f.dir, 0, open);
	assert_non_null(strstr(out, SECRET_TEXT));
	assert_non_null(strstr(out, CONTACT));
	free(out);
	/* the passphrase on standard input, read once for the open request
	 * and the act both */
	char bin[PATH_MAX], cmd[4 * PATH_MAX], log[PATH_MAX + 16];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(cmd, sizeof(cmd), "%s act --node %s --key %s --passphrase-file - %s disposisi --to 73 < %s",
		 bin, g.url, g.prot_key, g.id, g.pass);
	snprintf(log, sizeof(log), "%s/act-stdin.out", g.f.dir);
	if (sp_h_run((const char *const[]){"/bin/sh", "-c", cmd, NULL}, log, 30000) != 0)
		fail_msg("simpul act with the passphrase on standard input failed (%s)", log);
	out = sp_h_slurp(log, NULL);
	assert_non_null(strstr(out, "status    didisposisikan"));
	free(out);

	/* the act carries a copy for 73: the province's seal key opens it */
	snprintf(path, sizeof(path), "/v1/reports/%s", g.id);
	json_t *j = sp_h_call(&g.f, "GET", path, NULL, NULL, 0, 200);
	json_t *t = json_array_get(json_object_get(j, "trail"), 0);
	assert_string_equal(jstr(t, "action"), "disposisi");
	assert_string_equal(jstr(t, "verdict"), "applied");
	uint64_t index = (uint64_t)json_integer_value(json_object_get(t, "index"));
	json_decref(j);
	uint8_t *entry, pk[32], sk[32], key[32];
	action_at(index, &entry, &a);
	assert_int_equal(a.n_keys, 1);
	seal_key_of("73", pk, sk);
	assert_int_equal(sp_report_open_key(a.keys, a.n_keys, "73", pk, sk, key), 0);
	assert_memory_equal(key, g.ckey, 32);
	seal_key_of("73.11", pk, sk);
	assert_int_equal(sp_report_open_key(a.keys, a.n_keys, "73", pk, sk, key), SP_ERR_SEALED);
	free(entry);

	/* now 73 holds it: its officers may read it, 73.12's no longer */
	json_decref(open_as(g.off_sk, 403, "SP_ERR_AUTHORITY"));
	json_t *o = open_as(g.prov_sk, 200, NULL);
	assert_string_equal(jstr(o, "content"), SECRET_TEXT);
	json_decref(o);
	const char *again[] = {"open", "--node", g.url, "--key", g.cli_key, g.id, NULL};
	out = sp_h_simpul(g.f.dir, 1, again);
	assert_non_null(strstr(out, "SP_ERR_AUTHORITY"));
	free(out);
}

/* ---- privacy ------------------------------------------------------------------------------- */

static const struct sp_h_needle g_needles[] = {SP_H_LIT(CONTACT), SP_H_LIT(SECRET_TEXT),
					       SP_H_LIT(FILE_TEXT)};

static void test_privacy(void **state)
{
	(void)state;
	sp_h_fed_stop(&g.f); /* everything flushed */
	char found_in[PATH_MAX];
	if (sp_h_find_in_tree(g.f.data, g_needles, 3, found_in, sizeof(found_in)) != 0)
		fail_msg("sealed data in clear in %s", found_in);
	assert_int_equal(sp_h_find_in_tree(g.f.log, g_needles, 3, found_in, sizeof(found_in)), 0);
	char *all = json_dumps(g.f.bodies, 0);
	for (size_t i = 0; i < 3; i++)
		assert_null(strstr(all, g_needles[i].bytes));
	free(all);
	char *log = sp_h_slurp(g.f.log, NULL);
	assert_null(strstr(log, PURPOSE));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pure),
		cmocka_unit_test(test_submit),
		cmocka_unit_test(test_open_holder),
		cmocka_unit_test(test_open_refused),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_disposisi),
		cmocka_unit_test(test_privacy),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

/*
 * test_https.c - simpuld serving HTTPS itself ([http] tls_cert, tls_key:
 * libmicrohttpd with GnuTLS): a real node with a certificate made by
 * openssl answers the API and the officers' console over https:// (libcurl
 * checking the certificate against it), takes a complaint, and does not
 * speak plain HTTP on that port; a half-configured or non-PEM TLS setting
 * stops the start with a message naming it, and --check-config names a
 * key file it cannot read.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sp_node_harness.h"

#define BIG (2 * PATH_MAX)

static struct sp_h_fed g;
static char cert[BIG], key[BIG];

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init(&g, "https");
	snprintf(cert, sizeof(cert), "%s/cert.pem", g.dir);
	snprintf(key, sizeof(key), "%s/key.pem", g.dir);
	char out[BIG];
	snprintf(out, sizeof(out), "%s/openssl.out", g.dir);
	const char *argv[] = {"/usr/bin/env", "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			      "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
			      "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
			      "subjectAltName=IP:127.0.0.1", NULL};
	assert_int_equal(sp_h_run(argv, out, 30000), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_free(&g);
	return 0;
}

/* with_tls appends an [http] section naming cert and key to the config. */
static void with_tls(const char *c, const char *k)
{
	char *ini = sp_h_slurp(g.ini, NULL);
	assert_non_null(ini);
	FILE *f = fopen(g.ini, "w");
	assert_non_null(f);
	fprintf(f, "%s\n[http]\n", ini);
	if (c)
		fprintf(f, "tls_cert = %s\n", c);
	if (k)
		fprintf(f, "tls_key = %s\n", k);
	fclose(f);
	free(ini);
}

static size_t keep(char *p, size_t size, size_t n, void *arg)
{
	sp_buf_put(arg, p, size * n);
	return size * n;
}

/* https does one request over https:// with the certificate as the only
 * CA: the status (0 if no TLS session or answer), the body in out. */
static long https(const char *method, const char *path, const char *body, struct sp_buf *out,
		  char *csp, size_t cap)
{
	char url[256];
	snprintf(url, sizeof(url), "https://%s%s", g.addr, path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, cert);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	long status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	struct curl_header *ch;
	if (csp && curl_easy_header(c, "Content-Security-Policy", 0, CURLH_HEADER, -1, &ch) ==
			   CURLHE_OK)
		snprintf(csp, cap, "%s", ch->value);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	sp_buf_put(out, "", 1);
	return status;
}

static void test_https_serves(void **state)
{
	(void)state;
	with_tls(cert, key);
	sp_h_fed_start(&g);
	struct sp_buf b;
	char csp[512] = "";
	sp_buf_init(&b);
	assert_int_equal(https("GET", "/v1/status", NULL, &b, NULL, 0), 200);
	assert_non_null(strstr((char *)b.p, "\"origin\""));
	b.len = 0;
	assert_int_equal(https("GET", "/konsol", NULL, &b, csp, sizeof(csp)), 200);
	assert_non_null(strstr((char *)b.p, "Konsol petugas"));
	assert_non_null(strstr(csp, "script-src 'self'"));
	b.len = 0;
	assert_int_equal(https("POST", "/v1/reports",
			       "{\"kind\":\"pengaduan\",\"visibility\":\"anonim\",\"category\":"
			       "\"jalan\",\"region\":\"73.12.03\",\"title\":\"Lewat HTTPS\","
			       "\"content\":\"Isi\",\"contact\":\"0812\"}",
			       &b, NULL, 0),
			 201);
	assert_non_null(strstr((char *)b.p, "\"report_id\""));
	sp_buf_free(&b);
	/* The port speaks TLS only: a plain HTTP request gets no HTTP answer. */
	struct sp_h_resp r;
	int rc = sp_h_http(g.addr, "GET", "/v1/status", NULL, NULL, 0, &r);
	assert_true(rc != 0 || r.status != 200);
	if (rc == 0)
		sp_h_resp_free(&r);
	sp_h_fed_stop(&g);
}

/* start_fails: simpuld exits non-zero and its output names the problem. */
static void start_fails(const char *want)
{
	char bin[BIG], log[BIG];
	sp_h_bin(bin, sizeof(bin), "simpuld");
	snprintf(log, sizeof(log), "%s/bad.out", g.dir);
	const char *argv[] = {bin, "--config", g.ini, NULL};
	assert_int_not_equal(sp_h_run(argv, log, 30000), 0);
	char *o = sp_h_slurp(log, NULL);
	assert_non_null(o);
	if (strstr(o, want) == NULL)
		fail_msg("expected '%s' in:\n%s", want, o);
	free(o);
}

static void test_https_config(void **state)
{
	(void)state;
	sp_h_fed_config(&g, g.ini, g.data, g.fed);
	with_tls(cert, NULL);
	start_fails("tls_cert and tls_key go together");
	sp_h_fed_config(&g, g.ini, g.data, g.fed);
	with_tls(cert, g.ini); /* the config file is no PEM key */
	start_fails("not a PEM file");
	/* --check-config names a key file that cannot be read */
	char bin[BIG], log[BIG], missing[BIG];
	snprintf(missing, sizeof(missing), "%s/none.pem", g.dir);
	sp_h_fed_config(&g, g.ini, g.data, g.fed);
	with_tls(cert, missing);
	sp_h_bin(bin, sizeof(bin), "simpuld");
	snprintf(log, sizeof(log), "%s/check.out", g.dir);
	const char *argv[] = {bin, "--check-config", g.ini, NULL};
	assert_int_not_equal(sp_h_run(argv, log, 30000), 0);
	char *o = sp_h_slurp(log, NULL);
	assert_non_null(o);
	if (strstr(o, "[http] tls_key") == NULL || strstr(o, "none.pem") == NULL)
		fail_msg("--check-config did not name the key file:\n%s", o);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_https_serves),
		cmocka_unit_test(test_https_config),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

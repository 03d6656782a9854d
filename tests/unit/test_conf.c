/*
 * test_conf.c - node config files (sp_conf): defaults, the built-in
 * default config, relative paths, and every kind of error with the line
 * it is reported on.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <string.h>

#include "sp_conf.h"
#include "sp_err.h"

#define GOOD "[node]\nid = 73.12\nfederation = lapor.go.id\n"

static int parse(const char *text, struct sp_conf *c, char *why)
{
	sp_conf_defaults(c);
	return sp_conf_parse(c, text, strlen(text), "t.ini", "/srv/node", why, SP_CONF_WHY);
}

/* expect_error parses text and checks the message is "t.ini:<line>: ..."
 * (line 0: no line) and contains `what`. */
static void expect_error(const char *text, unsigned line, const char *what)
{
	struct sp_conf c;
	char why[SP_CONF_WHY];
	int rc = parse(text, &c, why);
	if (rc != SP_ERR_CONFIG)
		fail_msg("accepted (rc %d): %s", rc, text);
	char prefix[32];
	if (line)
		snprintf(prefix, sizeof(prefix), "t.ini:%u: ", line);
	else
		snprintf(prefix, sizeof(prefix), "t.ini: ");
	if (strncmp(why, prefix, strlen(prefix)) != 0 || strstr(why, what) == NULL)
		fail_msg("message '%s' lacks '%s' ... '%s'", why, prefix, what);
}

static void test_minimal_and_defaults(void **state)
{
	struct sp_conf c;
	char why[SP_CONF_WHY];
	assert_int_equal(parse(GOOD, &c, why), 0);
	assert_string_equal(c.id, "73.12");
	assert_string_equal(c.federation, "lapor.go.id");
	assert_string_equal(c.key_path, "/srv/node/node.key");
	assert_string_equal(c.data_dir, "/srv/node/data");
	assert_int_equal(c.log_level, SP_LOGX_INFO);
	assert_string_equal(c.http_listen, "127.0.0.1:8080");
	assert_int_equal(c.max_body_bytes, 1048576);
	assert_int_equal(c.rate_limit, 20);
	assert_int_equal(c.rate_burst, 100);
	assert_int_equal(c.verify_days, 3);
	assert_int_equal(c.answer_days, 5);
	assert_int_equal(c.window_days, 10);
	assert_int_equal(c.ceiling_days, 60);
	assert_int_equal(c.checkpoint_ms, 1000);
	assert_int_equal(c.penalty_ms, 30000);
	assert_int_equal(c.penalty_max_ms, 3600000);
	assert_int_equal(c.has_root_key, 0);
	assert_int_equal(c.npeers, 0);
	char origin[SP_ORIGIN_MAX + 1];
	assert_int_equal(sp_conf_origin(&c, origin, sizeof(origin)), 0);
	assert_string_equal(origin, "lapor.go.id/73.12");
}

/* vkey_of writes the verifier key of test key `seed` named name. */
static void vkey_of(uint8_t seed, const char *name, char *out, size_t cap)
{
	uint8_t pk[32], sk[64];
	sp_test_keypair(seed, pk, sk);
	struct sp_note_key k;
	assert_int_equal(sp_note_key_init(&k, name, SP_NOTE_TYPE_ED25519, pk), 0);
	struct sp_buf b;
	sp_buf_init(&b);
	sp_note_vkey_format(&k, &b);
	snprintf(out, cap, "%.*s", (int)b.len, (const char *)b.p);
	sp_buf_free(&b);
}

static void test_every_key(void **state)
{
	char vkey[256], text[2048];
	vkey_of(9, "lapor.go.id/NASIONAL", vkey, sizeof(vkey));
	snprintf(text, sizeof(text),
		"; a comment\n"
		"[node]\nid = KEMENKES\nfederation = lapor.go.id\nkey = /etc/simpul/node.key\n"
		"data = var/data\nlog_level = debug\n"
		"[http]\nlisten = [::1]:0\nmax_body_bytes = 4096\nmax_connections = 10\n"
		"request_timeout_s = 5\nthreads = 2\nrate_limit = 0\nrate_burst = 1\n"
		"[peer]\nlisten = tls+tcp://0.0.0.0:7070\n"
		"peers = tcp://10.0.0.1:7070, tls+tcp://prov.example.go.id:7070 tcp://[::1]:1\n"
		"tls_cert_key = tls/peer.pem\ntls_ca = /etc/simpul/ca.pem\n"
		"penalty_ms = 500\npenalty_max_ms = 4000\n"
		"[federation]\nroot_key = %s\n"
		"[deadlines]\nverify_days = 2\nanswer_days = 7\nwindow_days = 14\nceiling_days = 30\n"
		"[checkpoint]\ninterval_ms = 250\n", vkey);
	struct sp_conf c;
	char why[SP_CONF_WHY];
	int rc = parse(text, &c, why);
	if (rc)
		fail_msg("%s", why);
	assert_string_equal(c.key_path, "/etc/simpul/node.key");
	assert_string_equal(c.peer_tls_ca, "/etc/simpul/ca.pem");
	assert_non_null(strstr(c.peer_tls_cert_key, "/tls/peer.pem"));
	assert_string_equal(c.data_dir, "/srv/node/var/data");
	assert_int_equal(c.log_level, SP_LOGX_DEBUG);
	assert_string_equal(c.http_listen, "[::1]:0");
	assert_int_equal(c.max_body_bytes, 4096);
	assert_int_equal(c.threads, 2);
	assert_int_equal(c.rate_limit, 0);
	assert_int_equal(c.npeers, 3);
	assert_string_equal(c.peers[1], "tls+tcp://prov.example.go.id:7070");
	assert_string_equal(c.peer_listen, "tls+tcp://0.0.0.0:7070");
	assert_int_equal(c.has_root_key, 1);
	assert_int_equal(c.answer_days, 7);
	assert_int_equal(c.checkpoint_ms, 250);
	assert_int_equal(c.penalty_ms, 500);
	assert_int_equal(c.penalty_max_ms, 4000);
}

static void test_root_key(void **state)
{
	uint8_t pk[32], sk[64];
	sp_test_keypair(7, pk, sk);
	struct sp_note_key k;
	assert_int_equal(sp_note_key_init(&k, "lapor.go.id/NASIONAL", SP_NOTE_TYPE_ED25519, pk), 0);
	struct sp_buf b;
	sp_buf_init(&b);
	sp_note_vkey_format(&k, &b);
	char text[512];
	snprintf(text, sizeof(text), GOOD "[federation]\nroot_key = %.*s\n", (int)b.len, b.p);
	struct sp_conf c;
	char why[SP_CONF_WHY];
	assert_int_equal(parse(text, &c, why), 0);
	assert_int_equal(c.has_root_key, 1);
	assert_memory_equal(c.root_key.pk, pk, 32);
	/* One changed character breaks the key id check. */
	char *plus = strrchr(text, '+');
	plus[3] = plus[3] == 'A' ? 'B' : 'A';
	expect_error(text, 5, "verifier key");
	sp_buf_free(&b);
}

static void test_errors(void **state)
{
	expect_error("[node]\nid = 73.12\nfederation = lapor.go.id\nsecret = 1\n", 4,
		     "unknown key 'secret' in [node]");
	expect_error(GOOD "[nodes]\n", 4, "unknown section [nodes]");
	expect_error(GOOD "\n[extra]\nx = 1\n", 5, "unknown section [extra]");
	expect_error("id = 1\n" GOOD, 1, "outside any section");
	expect_error(GOOD "id = 73.13\n", 4, "set twice");
	expect_error(GOOD "this line has no equals sign\n", 4, "expected 'key = value'");
	expect_error(GOOD "[http]\nmax_body_bytes = 10\n", 5, "from 1024 to");
	expect_error(GOOD "[http]\nmax_body_bytes = -5\n", 5, "whole number");
	expect_error(GOOD "[http]\nthreads = 2x\n", 5, "whole number");
	expect_error(GOOD "[http]\nthreads =\n", 5, "whole number");
	expect_error(GOOD "[http]\nrate_limit = 99999999999999999999\n", 5, "whole number");
	expect_error(GOOD "[http]\nlisten = localhost:80\n", 5, "numeric address");
	expect_error(GOOD "[http]\nlisten = 127.0.0.1:65536\n", 5, "numeric address");
	expect_error(GOOD "[http]\nlisten = 127.0.0.1\n", 5, "numeric address");
	expect_error(GOOD "[node]\nlog_level = verbose\n", 5, "debug, info, warn, error");
	expect_error("[node]\nid = 73/12\nfederation = x\n", 2, "letters, digits");
	expect_error("[node]\nid = ..\nfederation = x\n", 2, "letters, digits");
	expect_error("[node]\nid = 1\nfederation = a b\n", 3, "letters, digits");
	expect_error(GOOD "[peer]\npeers = http://x:1\n", 5, "tcp://HOST:PORT");
	expect_error(GOOD "[peer]\nlisten = tcp://host\n", 5, "tcp://HOST:PORT");
	expect_error(GOOD "[peer]\nlisten = tls+tcp://0.0.0.0:7070\n", 0, "tls_cert_key");
	expect_error(GOOD "[federation]\nroot_key = nonsense\n", 5, "verifier key");
	expect_error(GOOD "[checkpoint]\ninterval_ms = 0\n", 5, "from 10 to");
	expect_error(GOOD "[deadlines]\nceiling_days = 2\n", 0, "ceiling_days");
	expect_error(GOOD "[peer]\npenalty_ms = 5000\npenalty_max_ms = 1000\n", 0,
		     "penalty_max_ms (1000) is below penalty_ms (5000)");
	expect_error(GOOD "[peer]\npenalty_ms = 86400001\n", 5, "from 0 to");
	expect_error("[node]\nid = 73.12\n", 0, "[node] federation is required");
	expect_error("[node]\nfederation = x\n", 0, "[node] id is required");
	expect_error(GOOD "[node]\nkey =\n", 5, "path is required");
	/* The first error is the one reported. */
	expect_error(GOOD "a = 1\nb = 2\n", 4, "unknown key 'a'");
	/* Lines longer than inih's buffer are refused, not split. */
	char longline[600];
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, GOOD "[peer]\npeers = ", strlen(GOOD "[peer]\npeers = "));
	strcpy(longline + 500, "\n");
	expect_error(longline, 5, "line longer than");
}

static void test_default_config(void **state)
{
	struct sp_conf c;
	char why[SP_CONF_WHY];
	assert_int_equal(sp_conf_load_default(&c, "/var/lib/simpul", why, sizeof(why)), 0);
	assert_string_equal(c.id, "73.12");
	assert_string_equal(c.federation, "demo.simpul.id");
	assert_string_equal(c.key_path, "/var/lib/simpul/node.key");
	assert_string_equal(c.data_dir, "/var/lib/simpul/data");
	/* The built-in text sets every key to sp_conf_defaults' value. */
	struct sp_conf d;
	sp_conf_defaults(&d);
	assert_int_equal(c.max_body_bytes, d.max_body_bytes);
	assert_int_equal(c.max_connections, d.max_connections);
	assert_int_equal(c.request_timeout_s, d.request_timeout_s);
	assert_int_equal(c.threads, d.threads);
	assert_int_equal(c.rate_limit, d.rate_limit);
	assert_int_equal(c.rate_burst, d.rate_burst);
	assert_int_equal(c.checkpoint_ms, d.checkpoint_ms);
	assert_string_equal(c.http_listen, d.http_listen);
}

static void test_load_file(void **state)
{
	const char *dir = sp_test_tmpdir("conf");
	char path[512];
	snprintf(path, sizeof(path), "%s/node.ini", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(GOOD "data = d\n", f);
	fclose(f);
	struct sp_conf c;
	char why[SP_CONF_WHY], want[600];
	assert_int_equal(sp_conf_load(&c, path, why, sizeof(why)), 0);
	snprintf(want, sizeof(want), "%s/d", dir);
	assert_string_equal(c.data_dir, want);
	snprintf(path, sizeof(path), "%s/missing.ini", dir);
	assert_int_equal(sp_conf_load(&c, path, why, sizeof(why)), SP_ERR_IO);
	assert_non_null(strstr(why, "missing.ini"));
}

/* The example configs in config/ are valid, and default.ini is the
 * built-in text byte for byte. */
static void test_example_files(void **state)
{
	static const char *const names[] = {"default", "ministry", "province", "kabupaten"};
	for (size_t i = 0; i < 4; i++) {
		char path[1024], why[SP_CONF_WHY];
		snprintf(path, sizeof(path), "%s/config/%s.ini", SP_SOURCE_DIR, names[i]);
		struct sp_conf c;
		if (sp_conf_load(&c, path, why, sizeof(why)) != 0)
			fail_msg("%s", why);
		if (i > 0)
			assert_string_equal(c.federation, "lapor.go.id");
		if (i > 0)
			assert_int_equal(c.has_root_key, 1);
	}
	char path[1024];
	snprintf(path, sizeof(path), "%s/config/default.ini", SP_SOURCE_DIR);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_string_equal(text, sp_conf_default_ini);
}

/* [webhook.NAME] endpoints: read with their keys, and every mistake on
 * its line; [webhooks] url still works alone. */
static void test_webhook_endpoints(void **state)
{
	struct sp_conf c;
	char why[SP_CONF_WHY];
	assert_int_equal(parse(GOOD "[webhooks]\nurl = http://a.example/h\nsecret = k0\n"
			       "[webhook.sms]\nurl = https://sms.example/in\nsecret = /etc/k1\n"
			       "include_contact = true\n"
			       "[webhook.mail]\nurl = http://127.0.0.1:9/m\nsecret = k2\n",
			       &c, why), 0);
	assert_string_equal(c.hook_url, "http://a.example/h");
	assert_string_equal(c.hook_secret_path, "/srv/node/k0");
	assert_int_equal(c.nhooks, 2);
	assert_string_equal(c.hooks[0].name, "sms");
	assert_string_equal(c.hooks[0].url, "https://sms.example/in");
	assert_string_equal(c.hooks[0].secret_path, "/etc/k1");
	assert_int_equal(c.hooks[0].include_contact, 1);
	assert_string_equal(c.hooks[1].name, "mail");
	assert_string_equal(c.hooks[1].secret_path, "/srv/node/k2");
	assert_int_equal(c.hooks[1].include_contact, 0);
	assert_int_equal(c.hooks[1].line, 11);

	expect_error(GOOD "[webhook.sms]\nurl = ftp://x/y\nsecret = k\n", 5, "not an http");
	expect_error(GOOD "[webhook.sms]\nurl = http://x/y\n", 4, "[webhook.sms] secret is required");
	expect_error(GOOD "[webhook.sms]\nsecret = k\n", 4, "[webhook.sms] url is required");
	expect_error(GOOD "[webhook.sms]\nurl = http://x/y\nsecret = k\ninclude_contact = ya\n",
		     7, "not true or false");
	expect_error(GOOD "[webhook.sms]\nurl = http://x/y\nurl = http://x/z\n", 6, "set twice");
	expect_error(GOOD "[webhook.sms]\nurl = http://x/y\nsecret = k\nport = 1\n", 7,
		     "unknown key 'port'");
	expect_error(GOOD "[webhook.sms]\nurl = http://x/y\nsecret = k\n[webhook.sms]\n", 7,
		     "appears twice (first on line 4)");
	expect_error(GOOD "[webhook.a/b]\nurl = http://x/y\n", 4, "an endpoint name is");
	expect_error(GOOD "[webhook.-x]\n", 4, "an endpoint name is");
	expect_error(GOOD "[webhooks]\nurl = http://x/y\n", 0, "[webhooks] secret is not");
	char many[2048];
	int n = snprintf(many, sizeof(many), "%s", GOOD);
	for (int i = 0; i <= SP_CONF_HOOKS_MAX; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n,
			      "[webhook.e%d]\nurl = http://x/y\nsecret = k\n", i);
	expect_error(many, 4 + 3 * SP_CONF_HOOKS_MAX, "more than");
}

static void test_listen_parse(void **state)
{
	char host[64];
	uint16_t port;
	assert_int_equal(sp_conf_parse_listen("0.0.0.0:80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 80);
	assert_int_equal(sp_conf_parse_listen("[::]:0", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::");
	assert_int_equal(sp_conf_parse_listen("::1:80", host, sizeof(host), &port), SP_ERR_ARG);
	assert_int_equal(sp_conf_parse_listen("1.2.3.4:080", host, sizeof(host), &port), SP_ERR_ARG);
	assert_int_equal(sp_conf_parse_listen(":80", host, sizeof(host), &port), SP_ERR_ARG);
	assert_int_equal(sp_conf_parse_listen("1.2.3.4:", host, sizeof(host), &port), SP_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_root_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_default_config),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_example_files),
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_webhook_endpoints),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

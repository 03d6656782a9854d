/*
 * test_config.c - configs that must not start a node (issue #11 item 7):
 * each is refused by `simpuld --check-config` and by a start, both naming
 * the setting at fault with its file:line; and a node joining a running
 * federation ([federation] await_record) starts without its directory
 * record and writes nothing until it has one.
 *
 * The node is 73.12 of a generated federation of province 73 (its config:
 * sp_h_fed_config, one key a line, the line numbers below).
 */
#include "sp_testutil.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sp_files.h"
#include "sp_node_harness.h"
#include "sp_note.h"

/* Lines of sp_h_fed_config's settings. */
#define L_ID "simpuld.ini:2: [node] id"
#define L_KEY "simpuld.ini:4: [node] key"
#define L_SEAL "simpuld.ini:5: [node] seal_key"
#define L_DATA "simpuld.ini:6: [node] data"
#define L_LISTEN "simpuld.ini:8: [http] listen"
#define L_ROOT "simpuld.ini:12: [federation] root_key"
#define L_DIR "simpuld.ini:13: [federation] directory"

static struct sp_h_fed g;
static char g_simpuld[PATH_MAX];

/* run runs simpuld with args, wants exit code want, and returns its output. */
static char *run(int want, const char *a1, const char *a2)
{
	char out[PATH_MAX + 16];
	snprintf(out, sizeof(out), "%s/run.out", g.dir);
	unlink(out);
	const char *argv[] = {g_simpuld, a1, a2, NULL};
	int code = sp_h_run(argv, out, 30000);
	char *text = sp_h_slurp(out, NULL);
	assert_non_null(text);
	if (code != want)
		fail_msg("simpuld %s %s: exit %d, want %d:\n%s", a1, a2, code, want, text);
	return text;
}

/* refused: --check-config and a start (from an empty data folder) both
 * fail, saying `want`, and `also` if not NULL. */
static void refused(const char *want, const char *also)
{
	const char *modes[] = {"--check-config", "--config"};
	for (int i = 0; i < 2; i++) {
		if (i == 1 && strcmp(want, L_DATA) != 0)
			sp_test_rmtree(g.data);
		char *text = run(1, modes[i], g.ini);
		if (strstr(text, want) == NULL || (also && strstr(text, also) == NULL))
			fail_msg("simpuld %s: want '%s' and '%s':\n%s", modes[i], want,
				 also ? also : "", text);
		free(text);
	}
}

/* rewrite replaces the first `from` in the config with `to` (to NULL:
 * restores the original). */
static void rewrite(const char *from, const char *to)
{
	if (to == NULL) {
		sp_h_fed_config(&g, g.ini, g.data, g.fed);
		return;
	}
	char *text = sp_h_slurp(g.ini, NULL), *at = strstr(text, from);
	assert_non_null(at);
	FILE *f = fopen(g.ini, "w");
	assert_non_null(f);
	fprintf(f, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	fclose(f);
	free(text);
}

static int setup(void **state)
{
	(void)state;
	sp_h_bin(g_simpuld, sizeof(g_simpuld), "simpuld");
	sp_h_fed_init(&g, "config");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_free(&g);
	return 0;
}

/* The good config: --check-config prints what it checked against. */
static void test_good_config_shows_the_directory(void **state)
{
	(void)state;
	char *text = run(0, "--check-config", g.ini);
	static const char *const want[] = {"root key   simpul.local/", "institutions, coordinator",
					   "institution 73.12: ", "keys       [node] key and seal_key",
					   "simpuld.ini: ok"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("want '%s' in:\n%s", want[i], text);
	free(text);
}

static void test_key_missing_or_open(void **state)
{
	(void)state;
	char key[PATH_MAX + 32], copy[PATH_MAX + 32];
	snprintf(key, sizeof(key), "%s/keys/73.12.key", g.fed);
	snprintf(copy, sizeof(copy), "%s/open.key", g.dir);
	rewrite(key, copy); /* not there */
	refused(L_KEY, NULL);
	size_t len;
	char *bytes = sp_h_slurp(key, &len);
	assert_int_equal(sp_file_replace(copy, bytes, len), 0);
	free(bytes);
	assert_int_equal(chmod(copy, 0644), 0); /* readable by everyone */
	refused(L_KEY, "chmod 600");
	rewrite(NULL, NULL);
}

static void test_data_is_a_file(void **state)
{
	(void)state;
	sp_test_rmtree(g.data);
	assert_int_equal(sp_file_replace(g.data, "x", 1), 0);
	refused(L_DATA, "not a folder");
	unlink(g.data);
}

static void test_wrong_root_key(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	struct sp_note_key k;
	assert_int_equal(sp_note_key_init(&k, "simpul.local/KEMENPANRB", SP_NOTE_TYPE_ED25519, pk),
			 0);
	struct sp_buf vk;
	sp_buf_init(&vk);
	sp_note_vkey_format(&k, &vk);
	sp_buf_put(&vk, "", 1);
	rewrite(g.root_vkey, (const char *)vk.p);
	refused(L_ROOT, "SP_ERR_WRONG_AUTHOR");
	sp_buf_free(&vk);
	rewrite(NULL, NULL);
}

static void test_directory_missing(void **state)
{
	(void)state;
	char from[PATH_MAX + 32], gone[PATH_MAX + 32];
	snprintf(from, sizeof(from), "directory = %s\n", g.fed);
	snprintf(gone, sizeof(gone), "directory = %s/nowhere\n", g.dir);
	rewrite(from, gone);
	refused(L_DIR, NULL);
	rewrite(NULL, NULL);
}

/* Another institution's keys: refused, saying whose they are. */
static void test_keys_of_another_institution(void **state)
{
	(void)state;
	rewrite("keys/73.12.seal", "keys/73.11.seal");
	refused(L_SEAL, "institution 73.11's");
	rewrite(NULL, NULL);
	rewrite("keys/73.12.key", "keys/73.11.key");
	refused(L_KEY, "institution 73.11's");
	rewrite(NULL, NULL);
}

static void test_port_in_use(void **state)
{
	(void)state;
	char taken[64];
	int fd = sp_h_take_port(taken, sizeof(taken));
	rewrite("127.0.0.1:0", taken);
	refused(L_LISTEN, "in use");
	close(fd);
	rewrite(NULL, NULL);
}

/* An institution the directory does not have: refused; unless the node
 * is joining (await_record), when it starts and writes nothing. */
static void test_unknown_institution(void **state)
{
	(void)state;
	rewrite("id = 73.12", "id = 99.99");
	refused(L_ID, "no such institution");
	/* joining: starts, says it waits, takes no complaint */
	rewrite("[deadlines]\n", "await_record = 1\n[deadlines]\n");
	char *text = run(0, "--check-config", g.ini);
	assert_non_null(strstr(text, "99.99 is not in the directory yet"));
	free(text);
	sp_test_rmtree(g.data);
	sp_h_fed_start(&g);
	assert_int_equal(sp_h_wait_text(g.log, "accepts nothing until its record arrives", 10000), 0);
	static const char body[] =
		"{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","
		"\"region\":\"73.12.03\",\"title\":\"Jalan rusak\",\"content\":\"Lubang\","
		"\"channel\":\"web\"}";
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(g.addr, "POST", "/v1/reports", "Content-Type: application/json\r\n",
				   body, sizeof(body) - 1, &r),
			 0);
	if (r.status != 503 || strstr(r.body, "SP_ERR_NOT_ADMITTED") == NULL)
		fail_msg("a node not admitted took a complaint: %u %s", r.status, r.body);
	sp_h_resp_free(&r);
	assert_int_equal(sp_h_own_size(&g), 0);
	/* a running node's store is left alone */
	text = run(0, "--check-config", g.ini);
	assert_non_null(strstr(text, "in use by a running node"));
	free(text);
	json_t *st = sp_h_call(&g, "GET", "/v1/status", NULL, NULL, 0, 200);
	assert_true(json_is_false(json_object_get(st, "admitted")));
	json_decref(st);
	sp_h_fed_stop(&g);
	rewrite(NULL, NULL);
	sp_test_rmtree(g.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_config_shows_the_directory),
		cmocka_unit_test(test_key_missing_or_open),
		cmocka_unit_test(test_data_is_a_file),
		cmocka_unit_test(test_wrong_root_key),
		cmocka_unit_test(test_directory_missing),
		cmocka_unit_test(test_keys_of_another_institution),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_unknown_institution),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

/*
 * test_upgrade.c - the store's format version across releases
 * (storage/sp_store_format.c, docs/operations.md "Upgrade").
 *
 * tests/fixtures/store-v1 is a node folder written by the release before
 * the store recorded its format (format 1). Copies of it are opened by the
 * store (migrated on a writable open, read as they are on a read-only one)
 * and by a real simpuld, which serves the old log and appends to it. A
 * store stamped with a format newer than this release knows (what a
 * future release leaves behind after a downgrade) is refused by the store,
 * by simpuld (exit 1, with what to do) and by `simpul log verify`, and
 * left untouched.
 */
#include "sp_testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/c.h>
#include <sodium.h>

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_node_harness.h"
#include "sp_store.h"

#define FIX_SIZE 302
#define FIX_ROOT "wqe4fmIfPCSqm83El92loyZ4D/u2WESRoX6F3vUws9Q="
#define FIX_ORIGIN "demo.simpul.id/73.12"

static struct {
	char dir[PATH_MAX];   /* this test's copy of the fixture */
	char store[PATH_MAX + 16];
	char key[PATH_MAX + 16];
} g;

/* fresh_copy puts a new copy of the fixture in g.dir. */
static void fresh_copy(const char *name)
{
	char src[PATH_MAX], out[PATH_MAX + 16];
	snprintf(g.dir, sizeof(g.dir), "%s", sp_test_tmpdir(name));
	snprintf(src, sizeof(src), "%s/tests/fixtures/store-v1/.", SP_SOURCE_DIR);
	snprintf(out, sizeof(out), "%s.cp.out", g.dir); /* beside the copy, not in it */
	const char *argv[] = {"/bin/cp", "-a", src, g.dir, NULL};
	assert_int_equal(sp_h_run(argv, out, 30000), 0);
	unlink(out);
	snprintf(g.store, sizeof(g.store), "%s/data/store", g.dir);
	snprintf(g.key, sizeof(g.key), "%s/node.key", g.dir);
	chmod(g.key, 0600); /* git keeps only the executable bit */
}

static struct sp_store *open_store(int read_only, int *rc)
{
	uint8_t pk[32], sk[64];
	assert_int_equal(sp_keyfile_load(g.key, pk, sk, NULL, 0), 0);
	struct sp_store_opts o = {.own_origin = FIX_ORIGIN, .own_sk = sk, .read_only = read_only,
				  .verify_threads = 1};
	struct sp_store *s = NULL;
	*rc = sp_store_open(g.store, &o, &s);
	sodium_memzero(sk, sizeof(sk));
	return s;
}

/* check_fixture_log: the own log is the fixture's, 302 entries, its root. */
static void check_fixture_log(struct sp_store *s, uint64_t size)
{
	uint32_t id;
	struct sp_log_info info;
	uint8_t root[32], want[32];
	size_t n;
	assert_int_equal(sp_store_own_log(s, &id), 0);
	assert_int_equal(sp_store_log_info(s, id, &info), 0);
	assert_int_equal(info.size, size);
	assert_int_equal(sp_store_root(s, id, FIX_SIZE, root), 0);
	assert_int_equal(sodium_base642bin(want, sizeof(want), FIX_ROOT, strlen(FIX_ROOT), NULL, &n,
					   NULL, sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_memory_equal(root, want, 32);
}

/* The store opens a format-1 store: read-only as it is (nothing written),
 * writable by migrating it to the current format; the old log is intact
 * and grows. */
static void test_store_migrates(void **state)
{
	(void)state;
	int rc;
	fresh_copy("upgrade-store");
	for (int i = 0; i < 2; i++) { /* a read-only open never migrates */
		struct sp_store *s = open_store(1, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(sp_store_format_found(s), 1);
		check_fixture_log(s, FIX_SIZE);
		sp_store_close(s);
	}
	struct sp_store *s = open_store(0, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(sp_store_format_found(s), 1);
	check_fixture_log(s, FIX_SIZE);
	uint8_t body[] = {0xa1, 0x00, 0x63, 'b', 'a', 'm'}; /* {0: "bam"} */
	uint64_t index;
	assert_int_equal(sp_store_append(s, 0, body, sizeof(body), &index, NULL), 0);
	assert_int_equal(index, FIX_SIZE);
	sp_store_close(s);
	s = open_store(0, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(sp_store_format_found(s), SP_STORE_FORMAT);
	check_fixture_log(s, FIX_SIZE + 1);
	sp_store_close(s);
}

/* A new store is created in the current format. */
static void test_store_new(void **state)
{
	(void)state;
	struct sp_store *s;
	char path[PATH_MAX + 8];
	snprintf(path, sizeof(path), "%s/store", sp_test_tmpdir("upgrade-new"));
	assert_int_equal(sp_store_open(path, NULL, &s), 0);
	assert_int_equal(sp_store_format_found(s), 0);
	sp_store_close(s);
	assert_int_equal(sp_store_open(path, NULL, &s), 0);
	assert_int_equal(sp_store_format_found(s), SP_STORE_FORMAT);
	sp_store_close(s);
}

/* run_simpuld runs `simpuld --default --dir g.dir` on port 0; with
 * want_start, waits for it to serve and returns its address in addr;
 * else expects exit 1 and returns its log. */
static char *run_simpuld(int want_start, char *addr, size_t cap, pid_t *pid)
{
	char bin[PATH_MAX], log[PATH_MAX + 16], addr_file[PATH_MAX + 32];
	sp_h_bin(bin, sizeof(bin), "simpuld");
	snprintf(log, sizeof(log), "%s/simpuld.log", g.dir);
	snprintf(addr_file, sizeof(addr_file), "%s/data/simpuld.addr", g.dir);
	const char *argv[] = {bin, "--default", "--dir", g.dir, "--http", "127.0.0.1:0", NULL};
	*pid = sp_h_spawn(argv, log);
	if (!want_start) {
		assert_int_equal(sp_h_wait(*pid, 30000), 1);
		return sp_h_slurp(log, NULL);
	}
	if (sp_h_wait_file(addr_file, 30000) != 0)
		fail_msg("simpuld did not start; see %s", log);
	char *a = sp_h_slurp(addr_file, NULL);
	assert_non_null(a);
	a[strcspn(a, "\n")] = '\0';
	snprintf(addr, cap, "%s", a);
	free(a);
	return sp_h_slurp(log, NULL);
}

/* A real simpuld of this release starts on the format-1 node folder,
 * logs the migration, serves the old log and takes a new entry on it;
 * `simpul log verify` then checks the whole log. */
static void test_simpuld_on_v1(void **state)
{
	(void)state;
	char addr[64], want[64];
	pid_t pid;
	fresh_copy("upgrade-simpuld");
	free(run_simpuld(1, addr, sizeof(addr), &pid));
	char *status = sp_h_get(addr, "/v1/status", NULL);
	assert_non_null(status);
	snprintf(want, sizeof(want), "\"own_log\":{\"size\":%d", FIX_SIZE);
	if (strstr(status, want) == NULL)
		fail_msg("status lacks %s: %s", want, status);
	free(status);
	char *cp = sp_h_get(addr, "/logs/73.12/checkpoint", NULL);
	assert_non_null(cp);
	assert_non_null(strstr(cp, "\n302\n" FIX_ROOT "\n"));
	free(cp);
	kill(pid, SIGTERM);
	assert_int_equal(sp_h_wait(pid, 30000), 0);
	char log[PATH_MAX + 16];
	snprintf(log, sizeof(log), "%s/simpuld.log", g.dir);
	char *text = sp_h_slurp(log, NULL);
	snprintf(want, sizeof(want), "store format 1 migrated to %u", SP_STORE_FORMAT);
	assert_non_null(strstr(text, want));
	free(text);
	const char *args[] = {"log", "verify", "--data", g.store, NULL};
	free(sp_h_simpul(g.dir, 0, args));
}

/* stamp writes format `v` into the store as a later release would. */
static void stamp(unsigned v)
{
	rocksdb_options_t *o = rocksdb_options_create();
	char *err = NULL;
	size_t ncf = 0;
	char **names = rocksdb_list_column_families(o, g.store, &ncf, &err);
	assert_null(err);
	const rocksdb_options_t **cfo = calloc(ncf, sizeof(*cfo));
	rocksdb_column_family_handle_t **h = calloc(ncf, sizeof(*h));
	for (size_t i = 0; i < ncf; i++)
		cfo[i] = o;
	rocksdb_t *db = rocksdb_open_column_families(o, g.store, (int)ncf,
						     (const char *const *)names, cfo, h, &err);
	assert_null(err);
	uint8_t val[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(wo, 1);
	rocksdb_put(db, wo, "format", 6, (const char *)val, 4, &err); /* default family */
	assert_null(err);
	rocksdb_writeoptions_destroy(wo);
	for (size_t i = 0; i < ncf; i++)
		rocksdb_column_family_handle_destroy(h[i]);
	rocksdb_close(db);
	rocksdb_list_column_families_destroy(names, ncf);
	free(h);
	free(cfo);
	rocksdb_options_destroy(o);
}

/* A store of a newer format: refused by every open, by simpuld with what
 * to do, by the CLI; nothing in it changes. */
static void test_newer_refused(void **state)
{
	(void)state;
	int rc;
	char addr[8];
	pid_t pid;
	fresh_copy("upgrade-newer");
	stamp(SP_STORE_FORMAT + 1);
	assert_null(open_store(0, &rc));
	assert_int_equal(rc, SP_ERR_STORE_NEWER);
	assert_null(open_store(1, &rc));
	assert_int_equal(rc, SP_ERR_STORE_NEWER);
	char *log = run_simpuld(0, addr, sizeof(addr), &pid);
	assert_non_null(log);
	char want[64];
	snprintf(want, sizeof(want), "reads store formats up to %u", SP_STORE_FORMAT);
	if (!strstr(log, "err=SP_ERR_STORE_NEWER: store written by a newer release") ||
	    !strstr(log, want))
		fail_msg("simpuld's log does not say why: %s", log);
	free(log);
	const char *args[] = {"log", "verify", "--data", g.store, NULL};
	char *out = sp_h_simpul(g.dir, 1, args);
	assert_non_null(strstr(out, "newer release"));
	free(out);
	/* Put back as it was, the store is the fixture's, unchanged. */
	stamp(1);
	struct sp_store *s = open_store(1, &rc);
	assert_int_equal(rc, 0);
	check_fixture_log(s, FIX_SIZE);
	sp_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_migrates),
		cmocka_unit_test(test_store_new),
		cmocka_unit_test(test_simpuld_on_v1),
		cmocka_unit_test(test_newer_refused),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

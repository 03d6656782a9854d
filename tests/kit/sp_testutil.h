/*
 * sp_testutil.h - helpers shared by the cmocka unit tests: cmocka's
 * required includes in the right order, scratch folders, fixed keys and
 * reference Merkle hashes.
 */
#ifndef SP_TESTUTIL_H
#define SP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* sp_test_tmpdir makes a fresh, empty scratch folder for one test under
 * $SP_TEST_TMP (or /tmp) and returns its path in a static buffer that the
 * next call overwrites. */
const char *sp_test_tmpdir(const char *name);

/* sp_test_finish ends a test program: given the number of failed tests
 * (what cmocka_run_group_tests returns), it removes every scratch folder
 * sp_test_tmpdir made if none failed, and keeps them (naming each on
 * stderr) if any did or if SP_TEST_KEEP is set (not "0"), for a look
 * after the run. Returns failed: main ends with
 * `return sp_test_finish(cmocka_run_group_tests(...));`. Call it after
 * the group's teardown has stopped the processes writing there. */
int sp_test_finish(int failed);

/* sp_test_slurp reads a whole file into a NUL-terminated buffer the caller
 * frees; *len (optional) gets its length. NULL if it cannot be opened. */
char *sp_test_slurp(const char *path, size_t *len);

/* sp_test_rmtree removes a folder and everything below it. */
void sp_test_rmtree(const char *path);

/* sp_test_keypair derives a fixed Ed25519 key pair from a one-byte seed,
 * so tests and test vectors are reproducible. */
void sp_test_keypair(uint8_t seed_byte, uint8_t pk[32], uint8_t sk[64]);

/* Reference RFC 9162 (section 2.1) hashes, written out naively on SHA-256
 * and not on sp_merkle, so that sp_merkle and sp_tile are checked against
 * an independent computation. sp_test_leaf_hash takes up to 62 bytes. */
void sp_test_leaf_hash(const uint8_t *d, size_t len, uint8_t out[32]);
void sp_test_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]);

/* The constant tree: every leaf is the leaf hash of "z", so every complete
 * subtree of level l has the same hash z[l] and trees of any size up to
 * 2^63 cost nothing. sp_test_ztree fills the caller's z[0..63];
 * sp_test_zroot gives the root of the constant tree of `size` leaves (the
 * empty-tree hash for 0) from it. */
#define SP_TEST_ZLEVELS 64
void sp_test_ztree(uint8_t z[SP_TEST_ZLEVELS][32]);
void sp_test_zroot(const uint8_t z[SP_TEST_ZLEVELS][32], uint64_t size, uint8_t out[32]);

/* sp_test_expect_route asserts that sp_dir_route sends a complaint of
 * category cat about region to want_inst by rule want_rule. */
struct sp_dir;
void sp_test_expect_route(const struct sp_dir *d, const char *cat, const char *region,
			  const char *want_inst, const char *want_rule);

#endif

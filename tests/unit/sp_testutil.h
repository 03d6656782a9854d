/*
 * sp_testutil.h - helpers shared by the cmocka unit tests: cmocka's
 * required includes in the right order, scratch folders and fixed keys.
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

/* sp_test_rmtree removes a folder and everything below it. */
void sp_test_rmtree(const char *path);

/* sp_test_keypair derives a fixed Ed25519 key pair from a one-byte seed,
 * so tests and test vectors are reproducible. */
void sp_test_keypair(uint8_t seed_byte, uint8_t pk[32], uint8_t sk[64]);

#endif

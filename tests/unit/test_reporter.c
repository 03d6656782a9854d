/*
 * test_reporter.c - the reporter key derivation (protocol/sp_reporter.c)
 * against the test vector published in docs/reports.md "Reporter keys",
 * which the vector was cross-checked against with an independent
 * implementation (Python hmac + cryptography's Ed25519), and the
 * properties the design needs: deterministic per (secret, salt), fresh
 * per salt.
 */
#include "sp_testutil.h"

#include <string.h>

#include <sodium.h>

#include "sp_reporter.h"

#define V_SEED "574c2d96f87862cb028cfc8d2cbd55e007a2c45ad32a4c4f3b0cca96ffec8aac"
#define V_PK "1281ded05bbcb9cf933ff664863064fd65c44671c5659c91499774f235a9e500"
#define V_SIG                                                                                      \
	"ba478d5208ea6d5b00011ff3e590a5e29bee74964d5583ebc4e1370f086ebdeb"                         \
	"a0a8f54f23e90bde3c89b01026b88260c96827ace2a23ad28093b1159a00a501"
#define V_MSG "simpul/action/v1\nvector"

static void unhex(const char *h, uint8_t *out, size_t n)
{
	size_t got = 0;
	assert_int_equal(sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL), 0);
	assert_int_equal(got, n);
}

static void vector_inputs(uint8_t secret[32], uint8_t salt[32])
{
	for (int i = 0; i < 32; i++) {
		secret[i] = (uint8_t)i;
		salt[i] = (uint8_t)(0x20 + i);
	}
}

static void test_vector(void **state)
{
	(void)state;
	uint8_t secret[32], salt[32], pk[32], sk[64], want[64], sig[64];
	vector_inputs(secret, salt);
	assert_int_equal(sp_reporter_derive(secret, salt, pk, sk), 0);
	unhex(V_PK, want, 32);
	assert_memory_equal(pk, want, 32);
	unhex(V_SEED, want, 32);
	assert_memory_equal(sk, want, 32); /* libsodium's sk is seed || pk */
	assert_memory_equal(sk + 32, pk, 32);
	assert_int_equal(crypto_sign_detached(sig, NULL, (const uint8_t *)V_MSG, strlen(V_MSG), sk),
			 0);
	unhex(V_SIG, want, 64);
	assert_memory_equal(sig, want, 64);
}

static void test_fresh_per_salt(void **state)
{
	(void)state;
	uint8_t secret[32], salt[32], pk1[32], pk2[32], again[32];
	vector_inputs(secret, salt);
	assert_int_equal(sp_reporter_derive(secret, salt, pk1, NULL), 0);
	assert_int_equal(sp_reporter_derive(secret, salt, again, NULL), 0);
	assert_memory_equal(pk1, again, 32);
	salt[31] ^= 1;
	assert_int_equal(sp_reporter_derive(secret, salt, pk2, NULL), 0);
	assert_memory_not_equal(pk1, pk2, 32);
	secret[0] ^= 1;
	salt[31] ^= 1;
	assert_int_equal(sp_reporter_derive(secret, salt, pk2, NULL), 0);
	assert_memory_not_equal(pk1, pk2, 32);
}

static void test_new(void **state)
{
	(void)state;
	uint8_t s1[32], t1[32], p1[32], k1[64], s2[32], t2[32], p2[32], k2[64], check[32];
	assert_int_equal(sp_reporter_new(s1, t1, p1, k1), 0);
	assert_int_equal(sp_reporter_new(s2, t2, p2, k2), 0);
	assert_memory_not_equal(s1, s2, 32);
	assert_memory_not_equal(t1, t2, 32);
	assert_memory_not_equal(p1, p2, 32);
	assert_int_equal(sp_reporter_derive(s1, t1, check, NULL), 0);
	assert_memory_equal(check, p1, 32);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_fresh_per_salt),
		cmocka_unit_test(test_new),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * sp_reporter.c - reporter key derivation from the tracking secret and a
 * per-report salt (see sp_reporter.h and docs/reports.md "Reporter keys").
 */
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_reporter.h"

int sp_reporter_derive(const uint8_t secret[SP_REPORTER_SECRET_BYTES],
		       const uint8_t salt[SP_REPORTER_SALT_BYTES], uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk_[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk_[crypto_sign_SECRETKEYBYTES];
	crypto_auth_hmacsha256_state st;
	int rc = crypto_auth_hmacsha256_init(&st, secret, SP_REPORTER_SECRET_BYTES);
	rc |= crypto_auth_hmacsha256_update(&st, (const uint8_t *)SP_REPORTER_DOMAIN,
					    strlen(SP_REPORTER_DOMAIN));
	rc |= crypto_auth_hmacsha256_update(&st, salt, SP_REPORTER_SALT_BYTES);
	rc |= crypto_auth_hmacsha256_final(&st, seed);
	if (rc == 0)
		rc = crypto_sign_seed_keypair(pk_, sk_, seed);
	if (rc == 0 && pk)
		memcpy(pk, pk_, sizeof(pk_));
	if (rc == 0 && sk)
		memcpy(sk, sk_, sizeof(sk_));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk_, sizeof(sk_));
	sodium_memzero(&st, sizeof(st));
	return rc ? SP_ERR_INTERNAL : 0;
}

int sp_reporter_new(uint8_t secret[SP_REPORTER_SECRET_BYTES], uint8_t salt[SP_REPORTER_SALT_BYTES],
		    uint8_t pk[32], uint8_t sk[64])
{
	randombytes_buf(secret, SP_REPORTER_SECRET_BYTES);
	randombytes_buf(salt, SP_REPORTER_SALT_BYTES);
	return sp_reporter_derive(secret, salt, pk, sk);
}

/*
 * sp_reporter.h - the reporter key: how a citizen who keeps one tracking
 * secret gets a fresh Ed25519 key for every report, so that reporter
 * actions are signatures (the secret never leaves the citizen's device,
 * never enters a log or a request a node keeps) and two reports of the
 * same citizen share nothing in public.
 *
 *   seed = HMAC-SHA256(key = secret, "simpul/reporter/v1\n" || salt)
 *   (pk, sk) = Ed25519 key pair from seed (RFC 8032; crypto_sign_seed_keypair)
 *
 * The salt is 32 random bytes chosen per report and published in the
 * report (key 10) so the citizen can re-derive the key from the secret
 * alone. Everything here is reproducible with WebCrypto (HMAC, Ed25519),
 * see docs/reports.md "Reporter keys" for the test vector.
 */
#ifndef SP_REPORTER_H
#define SP_REPORTER_H

#include <stdint.h>

#define SP_REPORTER_SECRET_BYTES 32
#define SP_REPORTER_SALT_BYTES 32
#define SP_REPORTER_DOMAIN "simpul/reporter/v1\n"

/* sp_reporter_derive writes the reporter key pair for (secret, salt):
 * pk (32 bytes) and sk (64 bytes, libsodium's seed || pk form). Either
 * output may be NULL. Returns 0 or SP_ERR_INTERNAL. */
int sp_reporter_derive(const uint8_t secret[SP_REPORTER_SECRET_BYTES],
		       const uint8_t salt[SP_REPORTER_SALT_BYTES], uint8_t pk[32], uint8_t sk[64]);

/* sp_reporter_new makes a fresh random secret and salt and derives their
 * key pair (what a node does for a citizen who brings no key). */
int sp_reporter_new(uint8_t secret[SP_REPORTER_SECRET_BYTES], uint8_t salt[SP_REPORTER_SALT_BYTES],
		    uint8_t pk[32], uint8_t sk[64]);

#endif

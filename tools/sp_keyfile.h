/*
 * sp_keyfile.h - Ed25519 private key files for the simpul tools and node.
 *
 * A key file is two lines of text:
 *
 *   simpul-ed25519-private-key-v1
 *   <standard padded base64 of the 32-byte seed>
 *
 * Only the seed is stored; the secret and public keys are derived from it
 * (crypto_sign_seed_keypair). Files are created 0600 and never overwritten;
 * loading refuses a file that group or others may read, as ssh does, because
 * a leaked node key lets anyone sign in the institution's name.
 */
#ifndef SP_KEYFILE_H
#define SP_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "sp_entry.h"

#define SP_KEYFILE_MAGIC "simpul-ed25519-private-key-v1"
#define SP_KEYFILE_SEED 32

/* Room for a message explaining why loading or creating failed. */
#define SP_KEYFILE_WHY 256

/* sp_keyfile_create writes a new key file holding seed at path, created
 * with O_CREAT | O_EXCL and mode 0600 and fsynced. Errors: SP_ERR_EXISTS
 * (path exists: never overwritten), SP_ERR_IO (why, if not NULL, receives
 * the OS error text). */
int sp_keyfile_create(const char *path, const uint8_t seed[SP_KEYFILE_SEED], char *why,
		      size_t why_cap);

/* sp_keyfile_generate makes a fresh random key, writes it with
 * sp_keyfile_create and returns the key pair (either output may be NULL). */
int sp_keyfile_generate(const char *path, uint8_t pk[SP_KEY_BYTES], uint8_t sk[SP_SECRET_BYTES],
			char *why, size_t why_cap);

/* sp_keyfile_load reads a key file and derives the key pair (either output
 * may be NULL). Errors, with a sentence in why (if not NULL):
 * SP_ERR_IO (cannot open or read; not a regular file), SP_ERR_CONFIG (group
 * or others have any access: chmod 600 it), SP_ERR_KEY_FORMAT (anything but
 * exactly the two lines above). Every copy of secret material is zeroed. */
int sp_keyfile_load(const char *path, uint8_t pk[SP_KEY_BYTES], uint8_t sk[SP_SECRET_BYTES],
		    char *why, size_t why_cap);

#endif

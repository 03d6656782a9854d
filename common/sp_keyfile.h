/*
 * sp_keyfile.h - private key files for the simpul tools and node: Ed25519
 * signing keys (".key") and X25519 sealing keys (".seal").
 *
 * A key file is two lines of text, a magic line naming its kind and the
 * 32-byte secret in standard padded base64:
 *
 *   simpul-ed25519-private-key-v1        simpul-x25519-private-key-v1
 *   <base64 of the Ed25519 seed>         <base64 of the X25519 secret key>
 *
 * For a signing key only the seed is stored; the secret and public keys are
 * derived from it (crypto_sign_seed_keypair). A seal key's public key is
 * crypto_scalarmult_base of it.
 *
 * An officer's signing key may instead be kept protected by a passphrase
 * (made by `simpul keygen --passphrase-file`, opened by the officers'
 * console in the browser and by `keygen --show`):
 *
 *   simpul-ed25519-protected-key-v1
 *   <base64 of opslimit (4, big-endian) || memlimit in KiB (4, BE) ||
 *    salt (16) || nonce (24) || crypto_secretbox_easy(seed) (48)>
 *
 * The box key is crypto_pwhash Argon2id v1.3 (parallelism 1) of the
 * passphrase with that salt, opslimit and memlimit (written with libsodium's
 * INTERACTIVE limits, 2 passes over 64 MiB), 32 bytes; the box is
 * XSalsa20-Poly1305. Both are what the audited pure-JS libraries the
 * console vendors compute, so the same file opens in either.
 *
 * Files are created 0600 and never
 * overwritten; loading refuses a file that group or others may read, as ssh
 * does, because a leaked node key lets anyone sign in the institution's
 * name and a leaked seal key opens its sealed reports.
 */
#ifndef SP_KEYFILE_H
#define SP_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define SP_KEYFILE_MAGIC "simpul-ed25519-private-key-v1"
#define SP_SEALFILE_MAGIC "simpul-x25519-private-key-v1"
#define SP_KEYFILE_SEED 32      /* the stored secret, bytes, for every kind */
#define SP_KEYFILE_PROTECTED_MAGIC "simpul-ed25519-protected-key-v1"
#define SP_KEYFILE_MAGIC_MAX 64 /* longest magic line a kind may have */
#define SP_KEYFILE_PK 32        /* Ed25519 public key (SP_KEY_BYTES) */
#define SP_KEYFILE_SK 64        /* Ed25519 secret key, libsodium form (SP_SECRET_BYTES) */

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
int sp_keyfile_generate(const char *path, uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SK],
			char *why, size_t why_cap);

/* sp_keyfile_load reads a key file and derives the key pair (either output
 * may be NULL). Errors, with a sentence in why (if not NULL):
 * SP_ERR_IO (cannot open or read; not a regular file), SP_ERR_CONFIG (group
 * or others have any access: chmod 600 it), SP_ERR_KEY_FORMAT (anything but
 * exactly the two lines above; a protected key file is named as such).
 * Every copy of secret material is zeroed. */
int sp_keyfile_load(const char *path, uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SK],
		    char *why, size_t why_cap);

/* sp_keyfile_create_kind and sp_keyfile_load_kind are the two operations
 * for any kind of key file, named by its magic line (at most
 * SP_KEYFILE_MAGIC_MAX bytes, no newline; else SP_ERR_ARG): create writes
 * secret, load reads it into secret (caller-owned; not written on error).
 * Errors as sp_keyfile_create and sp_keyfile_load. */
int sp_keyfile_create_kind(const char *path, const char *magic,
			   const uint8_t secret[SP_KEYFILE_SEED], char *why, size_t why_cap);
int sp_keyfile_load_kind(const char *path, const char *magic, uint8_t secret[SP_KEYFILE_SEED],
			 char *why, size_t why_cap);

/* Limits a protected key file's Argon2id parameters must be within to be
 * opened (a damaged or hostile file must not make the reader spend minutes
 * or gigabytes); a new file uses 2 passes over 64 MiB. */
#define SP_KEYFILE_PW_OPS_MIN 1
#define SP_KEYFILE_PW_OPS_MAX 8
#define SP_KEYFILE_PW_MEM_KIB_MIN 8192u     /* 8 MiB */
#define SP_KEYFILE_PW_MEM_KIB_MAX 1048576u  /* 1 GiB */
#define SP_KEYFILE_PASS_MIN 8              /* bytes a new passphrase must have */

/* sp_keyfile_create_protected writes a new passphrase-protected signing
 * key file holding seed at path (O_EXCL, 0600, fsynced; format above).
 * pass is pass_len bytes (at least SP_KEYFILE_PASS_MIN, else SP_ERR_ARG).
 * SP_ERR_EXISTS, SP_ERR_IO, SP_ERR_NOMEM (Argon2id could not get its
 * memory). */
int sp_keyfile_create_protected(const char *path, const uint8_t seed[SP_KEYFILE_SEED],
				const char *pass, size_t pass_len, char *why, size_t why_cap);

/* sp_keyfile_load_protected reads a passphrase-protected key file and
 * derives the key pair (either output may be NULL). Errors as
 * sp_keyfile_load, plus SP_ERR_PASSPHRASE (the box does not open: a wrong
 * passphrase or a damaged file) and SP_ERR_RANGE (Argon2id parameters
 * outside the limits above). */
int sp_keyfile_load_protected(const char *path, const char *pass, size_t pass_len,
			      uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SK], char *why,
			      size_t why_cap);

#define SP_KEYFILE_PASS_MAX 1024 /* bytes a passphrase may have */

/* sp_keyfile_read_pass reads a passphrase: the first line of the file at
 * path ("-": standard input), without its line end, into pass (at least
 * SP_KEYFILE_PASS_MAX + 2 bytes, caller-owned; zeroed on error); *len gets
 * its length. Errors, with a sentence in why that never holds the
 * passphrase: SP_ERR_IO (cannot open or read), SP_ERR_ARG (the first line
 * is empty, or over SP_KEYFILE_PASS_MAX bytes). */
int sp_keyfile_read_pass(const char *path, char *pass, size_t *len, char *why, size_t why_cap);

/* sp_keyfile_open loads the signing key a command signs with (an
 * officer's, an admin's), the one way every such command does it: with
 * pass_path NULL, a plain key file (sp_keyfile_load; a protected one is
 * refused, naming --passphrase-file); else the passphrase read from
 * pass_path (sp_keyfile_read_pass) opens a protected key file
 * (sp_keyfile_load_protected), and a plain key file is loaded as it is.
 * Either output may be NULL. Errors as those functions (a wrong passphrase:
 * SP_ERR_PASSPHRASE); the passphrase is zeroed before this returns and is
 * never in why. */
int sp_keyfile_open(const char *path, const char *pass_path, uint8_t pk[SP_KEYFILE_PK],
		    uint8_t sk[SP_KEYFILE_SK], char *why, size_t why_cap);

/* sp_sealfile_create writes a new seal key file holding the X25519 secret
 * key sk (O_EXCL, 0600, fsynced). SP_ERR_EXISTS, SP_ERR_IO. */
int sp_sealfile_create(const char *path, const uint8_t sk[SP_KEYFILE_SEED], char *why,
		       size_t why_cap);

/* sp_sealfile_load reads a seal key file (with the checks of
 * sp_keyfile_load) and derives its public key. Either output may be NULL.
 * SP_ERR_IO, SP_ERR_CONFIG (permissions), SP_ERR_KEY_FORMAT. */
int sp_sealfile_load(const char *path, uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SEED],
		     char *why, size_t why_cap);

#endif

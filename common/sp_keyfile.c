/*
 * sp_keyfile.c - reading and writing private key files (see sp_keyfile.h
 * for the format and the rules). Every kind is the same two-line file with
 * its own magic line, so one writer and one reader serve them all and the
 * kinds differ only in how a public key is derived.
 */
#include "sp_keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_files.h"

_Static_assert(SP_KEYFILE_PK == crypto_sign_PUBLICKEYBYTES && SP_KEYFILE_SK == crypto_sign_SECRETKEYBYTES,
	       "key files hold Ed25519 keys");

#define B64_SEED_LEN 44 /* padded base64 of 32 bytes */
#define FILE_MAX (SP_KEYFILE_MAGIC_MAX + 1 + B64_SEED_LEN + 1)

/* magic_len: the length of a usable magic line, or 0. */
static size_t magic_len(const char *magic)
{
	size_t n = magic ? strnlen(magic, SP_KEYFILE_MAGIC_MAX + 1) : 0;
	return n <= SP_KEYFILE_MAGIC_MAX && memchr(magic, '\n', n) == NULL ? n : 0;
}

/* format_text lays out the two lines; returns the file's length. */
static size_t format_text(char text[FILE_MAX + 1], const char *magic, size_t mlen,
			  const uint8_t secret[SP_KEYFILE_SEED])
{
	memcpy(text, magic, mlen);
	text[mlen] = '\n';
	sodium_bin2base64(text + mlen + 1, B64_SEED_LEN + 1, secret, SP_KEYFILE_SEED,
			  sodium_base64_VARIANT_ORIGINAL);
	text[mlen + 1 + B64_SEED_LEN] = '\n';
	text[mlen + 2 + B64_SEED_LEN] = '\0';
	return mlen + 2 + B64_SEED_LEN;
}

int sp_keyfile_create_kind(const char *path, const char *magic,
			   const uint8_t secret[SP_KEYFILE_SEED], char *why, size_t why_cap)
{
	size_t mlen = magic_len(magic);
	if (mlen == 0 || path == NULL || secret == NULL)
		return sp_say(why, why_cap, SP_ERR_ARG, "invalid key file request");
	char text[FILE_MAX + 1];
	size_t len = format_text(text, magic, mlen, secret);

	/* O_EXCL: an existing key is never replaced, not even by a race. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		sodium_memzero(text, sizeof(text));
		if (e == EEXIST)
			return sp_say(why, why_cap, SP_ERR_EXISTS, "%s already exists; not overwriting it",
				   path);
		return sp_say(why, why_cap, SP_ERR_IO, "cannot create %s: %s", path, strerror(e));
	}
	int bad = sp_write_all(fd, text, len) != 0 || fsync(fd) != 0;
	int e = errno;
	sodium_memzero(text, sizeof(text));
	if (close(fd) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		unlink(path);
		return sp_say(why, why_cap, SP_ERR_IO, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

int sp_keyfile_create(const char *path, const uint8_t seed[SP_KEYFILE_SEED], char *why,
		      size_t why_cap)
{
	return sp_keyfile_create_kind(path, SP_KEYFILE_MAGIC, seed, why, why_cap);
}

int sp_sealfile_create(const char *path, const uint8_t sk[SP_KEYFILE_SEED], char *why,
		       size_t why_cap)
{
	return sp_keyfile_create_kind(path, SP_SEALFILE_MAGIC, sk, why, why_cap);
}

int sp_keyfile_generate(const char *path, uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SK],
			char *why, size_t why_cap)
{
	if (sodium_init() < 0)
		return sp_say(why, why_cap, SP_ERR_INTERNAL, "libsodium failed to initialise");
	uint8_t seed[SP_KEYFILE_SEED], p[SP_KEYFILE_PK], s[SP_KEYFILE_SK];
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(p, s, seed);
	int rc = sp_keyfile_create(path, seed, why, why_cap);
	if (rc == 0 && pk)
		memcpy(pk, p, SP_KEYFILE_PK);
	if (rc == 0 && sk)
		memcpy(sk, s, SP_KEYFILE_SK);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(s, sizeof(s));
	return rc;
}

/* read_small reads at most cap bytes; *n is how many. Reading one byte
 * more than a valid file holds tells "too long" apart from "just right". */
static int read_small(int fd, char *buf, size_t cap, size_t *n)
{
	*n = 0;
	while (*n < cap) {
		ssize_t r = read(fd, buf + *n, cap - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*n += (size_t)r;
	}
	return 0;
}

/* parse_text checks the exact two-line layout and decodes the secret. */
static int parse_text(const char *text, size_t n, const char *magic, size_t mlen,
		      uint8_t secret[SP_KEYFILE_SEED])
{
	const char *b64 = text + mlen + 1;
	if (n != mlen + 2 + B64_SEED_LEN || memcmp(text, magic, mlen) != 0 || text[mlen] != '\n' ||
	    text[n - 1] != '\n')
		return SP_ERR_KEY_FORMAT;
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(secret, SP_KEYFILE_SEED, b64, B64_SEED_LEN, NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != SP_KEYFILE_SEED || end != b64 + B64_SEED_LEN)
		return SP_ERR_KEY_FORMAT;
	return 0;
}

/* open_private opens path and checks, on the open descriptor (no race with
 * a rename), that it is a regular file nobody but its owner can access. */
static int open_private(const char *path, int *fd_out, char *why, size_t why_cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sp_say(why, why_cap, SP_ERR_IO, "cannot open key file %s: %s", path,
			   strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0)
		rc = sp_say(why, why_cap, SP_ERR_IO, "cannot stat key file %s: %s", path,
			 strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = sp_say(why, why_cap, SP_ERR_IO, "key file %s is not a regular file", path);
	else if (st.st_mode & 077)
		rc = sp_say(why, why_cap, SP_ERR_CONFIG,
			 "key file %s is accessible by group or others (mode %04o); "
			 "run: chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
	if (rc) {
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

int sp_keyfile_load_kind(const char *path, const char *magic, uint8_t secret[SP_KEYFILE_SEED],
			 char *why, size_t why_cap)
{
	size_t mlen = magic_len(magic);
	if (mlen == 0 || path == NULL || secret == NULL)
		return sp_say(why, why_cap, SP_ERR_ARG, "invalid key file request");
	int fd = -1;
	int rc = open_private(path, &fd, why, why_cap);
	if (rc)
		return rc;
	char text[FILE_MAX + 1];
	size_t n;
	uint8_t s[SP_KEYFILE_SEED];
	if (read_small(fd, text, mlen + 3 + B64_SEED_LEN, &n) != 0)
		rc = sp_say(why, why_cap, SP_ERR_IO, "cannot read key file %s: %s", path,
			 strerror(errno));
	else if (parse_text(text, n, magic, mlen, s) != 0)
		rc = sp_say(why, why_cap, SP_ERR_KEY_FORMAT,
			 "%s is not a simpul key file (expected the line \"%s\" and one line of "
			 "base64)",
			 path, magic);
	close(fd);
	if (rc == 0)
		memcpy(secret, s, SP_KEYFILE_SEED);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(s, sizeof(s));
	return rc;
}

int sp_keyfile_load(const char *path, uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SK],
		    char *why, size_t why_cap)
{
	if (sodium_init() < 0)
		return sp_say(why, why_cap, SP_ERR_INTERNAL, "libsodium failed to initialise");
	uint8_t seed[SP_KEYFILE_SEED], p[SP_KEYFILE_PK], s[SP_KEYFILE_SK];
	int rc = sp_keyfile_load_kind(path, SP_KEYFILE_MAGIC, seed, why, why_cap);
	if (rc == 0) {
		crypto_sign_seed_keypair(p, s, seed);
		if (pk)
			memcpy(pk, p, SP_KEYFILE_PK);
		if (sk)
			memcpy(sk, s, SP_KEYFILE_SK);
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(s, sizeof(s));
	return rc;
}

int sp_sealfile_load(const char *path, uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SEED],
		     char *why, size_t why_cap)
{
	if (sodium_init() < 0)
		return sp_say(why, why_cap, SP_ERR_INTERNAL, "libsodium failed to initialise");
	uint8_t s[SP_KEYFILE_SEED];
	int rc = sp_keyfile_load_kind(path, SP_SEALFILE_MAGIC, s, why, why_cap);
	if (rc == 0 && pk)
		crypto_scalarmult_base(pk, s);
	if (rc == 0 && sk)
		memcpy(sk, s, SP_KEYFILE_SEED);
	sodium_memzero(s, sizeof(s));
	return rc;
}

/*
 * sp_keyfile.c - reading and writing Ed25519 private key files (see
 * sp_keyfile.h for the format and the rules).
 */
#include "sp_keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_err.h"

#define MAGIC_LEN (sizeof(SP_KEYFILE_MAGIC) - 1)
#define B64_SEED_LEN 44 /* padded base64 of 32 bytes */
#define FILE_LEN (MAGIC_LEN + 1 + B64_SEED_LEN + 1)

static int say(char *why, size_t cap, int rc, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* write_all retries short writes and EINTR. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int sp_keyfile_create(const char *path, const uint8_t seed[SP_KEYFILE_SEED], char *why,
		      size_t why_cap)
{
	char text[FILE_LEN + 1];
	memcpy(text, SP_KEYFILE_MAGIC "\n", MAGIC_LEN + 1);
	sodium_bin2base64(text + MAGIC_LEN + 1, B64_SEED_LEN + 1, seed, SP_KEYFILE_SEED,
			  sodium_base64_VARIANT_ORIGINAL);
	text[FILE_LEN - 1] = '\n';
	text[FILE_LEN] = '\0';

	/* O_EXCL: an existing key is never replaced, not even by a race. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		sodium_memzero(text, sizeof(text));
		if (e == EEXIST)
			return say(why, why_cap, SP_ERR_EXISTS, "%s already exists; not overwriting it",
				   path);
		return say(why, why_cap, SP_ERR_IO, "cannot create %s: %s", path, strerror(e));
	}
	int bad = write_all(fd, text, FILE_LEN) != 0 || fsync(fd) != 0;
	int e = errno;
	sodium_memzero(text, sizeof(text));
	if (close(fd) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		unlink(path);
		return say(why, why_cap, SP_ERR_IO, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

int sp_keyfile_generate(const char *path, uint8_t pk[SP_KEY_BYTES], uint8_t sk[SP_SECRET_BYTES],
			char *why, size_t why_cap)
{
	if (sodium_init() < 0)
		return say(why, why_cap, SP_ERR_INTERNAL, "libsodium failed to initialise");
	uint8_t seed[SP_KEYFILE_SEED], p[SP_KEY_BYTES], s[SP_SECRET_BYTES];
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(p, s, seed);
	int rc = sp_keyfile_create(path, seed, why, why_cap);
	if (rc == 0 && pk)
		memcpy(pk, p, SP_KEY_BYTES);
	if (rc == 0 && sk)
		memcpy(sk, s, SP_SECRET_BYTES);
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

/* parse_text checks the exact two-line layout and decodes the seed. */
static int parse_text(const char *text, size_t n, uint8_t seed[SP_KEYFILE_SEED])
{
	if (n != FILE_LEN || memcmp(text, SP_KEYFILE_MAGIC "\n", MAGIC_LEN + 1) != 0 ||
	    text[FILE_LEN - 1] != '\n')
		return SP_ERR_KEY_FORMAT;
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(seed, SP_KEYFILE_SEED, text + MAGIC_LEN + 1, B64_SEED_LEN, NULL, &got,
			      &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != SP_KEYFILE_SEED || end != text + MAGIC_LEN + 1 + B64_SEED_LEN)
		return SP_ERR_KEY_FORMAT;
	return 0;
}

/* open_private opens path and checks, on the open descriptor (no race with
 * a rename), that it is a regular file nobody but its owner can access. */
static int open_private(const char *path, int *fd_out, char *why, size_t why_cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return say(why, why_cap, SP_ERR_IO, "cannot open key file %s: %s", path,
			   strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0)
		rc = say(why, why_cap, SP_ERR_IO, "cannot stat key file %s: %s", path,
			 strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = say(why, why_cap, SP_ERR_IO, "key file %s is not a regular file", path);
	else if (st.st_mode & 077)
		rc = say(why, why_cap, SP_ERR_CONFIG,
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

int sp_keyfile_load(const char *path, uint8_t pk[SP_KEY_BYTES], uint8_t sk[SP_SECRET_BYTES],
		    char *why, size_t why_cap)
{
	if (sodium_init() < 0)
		return say(why, why_cap, SP_ERR_INTERNAL, "libsodium failed to initialise");
	int fd = -1;
	int rc = open_private(path, &fd, why, why_cap);
	if (rc)
		return rc;
	char text[FILE_LEN + 1];
	size_t n;
	uint8_t seed[SP_KEYFILE_SEED], p[SP_KEY_BYTES], s[SP_SECRET_BYTES];
	if (read_small(fd, text, sizeof(text), &n) != 0)
		rc = say(why, why_cap, SP_ERR_IO, "cannot read key file %s: %s", path,
			 strerror(errno));
	else if (parse_text(text, n, seed) != 0)
		rc = say(why, why_cap, SP_ERR_KEY_FORMAT,
			 "%s is not a simpul key file (expected the line \"" SP_KEYFILE_MAGIC
			 "\" and one line of base64)",
			 path);
	close(fd);
	if (rc == 0) {
		crypto_sign_seed_keypair(p, s, seed);
		if (pk)
			memcpy(pk, p, SP_KEY_BYTES);
		if (sk)
			memcpy(sk, s, SP_SECRET_BYTES);
	}
	sodium_memzero(text, sizeof(text));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(s, sizeof(s));
	return rc;
}

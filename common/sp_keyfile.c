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

/* Padded base64 length of n bytes. */
#define B64_LEN(n) (((n) + 2) / 3 * 4)
#define B64_SEED_LEN B64_LEN(SP_KEYFILE_SEED)

/* A protected key's payload: Argon2id limits, salt, nonce, box. */
#define PROT_LIMITS 8
#define PROT_SALT (PROT_LIMITS)
#define PROT_NONCE (PROT_SALT + crypto_pwhash_SALTBYTES)
#define PROT_BOX (PROT_NONCE + crypto_secretbox_NONCEBYTES)
#define PROT_LEN (PROT_BOX + crypto_secretbox_MACBYTES + SP_KEYFILE_SEED)
_Static_assert(PROT_LEN == 96, "the protected key layout of sp_keyfile.h");
_Static_assert(crypto_pwhash_SALTBYTES == 16 && crypto_secretbox_KEYBYTES == 32,
	       "the protected key layout of sp_keyfile.h");

#define FILE_MAX (SP_KEYFILE_MAGIC_MAX + 1 + B64_LEN(PROT_LEN) + 1)

/* magic_len: the length of a usable magic line, or 0. */
static size_t magic_len(const char *magic)
{
	size_t n = magic ? strnlen(magic, SP_KEYFILE_MAGIC_MAX + 1) : 0;
	return n <= SP_KEYFILE_MAGIC_MAX && memchr(magic, '\n', n) == NULL ? n : 0;
}

/* format_text lays out the two lines (the payload in base64); returns the
 * file's length. */
static size_t format_text(char text[FILE_MAX + 1], const char *magic, size_t mlen,
			  const uint8_t *payload, size_t plen)
{
	memcpy(text, magic, mlen);
	text[mlen] = '\n';
	sodium_bin2base64(text + mlen + 1, B64_LEN(plen) + 1, payload, plen,
			  sodium_base64_VARIANT_ORIGINAL);
	text[mlen + 1 + B64_LEN(plen)] = '\n';
	text[mlen + 2 + B64_LEN(plen)] = '\0';
	return mlen + 2 + B64_LEN(plen);
}

/* create_file writes a new key file of magic and payload (plen bytes, at
 * most PROT_LEN): O_EXCL, 0600, fsynced. */
static int create_file(const char *path, const char *magic, const uint8_t *payload, size_t plen,
		       char *why, size_t why_cap)
{
	size_t mlen = magic_len(magic);
	if (mlen == 0 || path == NULL || payload == NULL || plen > PROT_LEN)
		return sp_say(why, why_cap, SP_ERR_ARG, "invalid key file request");
	char text[FILE_MAX + 1];
	size_t len = format_text(text, magic, mlen, payload, plen);

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

int sp_keyfile_create_kind(const char *path, const char *magic,
			   const uint8_t secret[SP_KEYFILE_SEED], char *why, size_t why_cap)
{
	return create_file(path, magic, secret, SP_KEYFILE_SEED, why, why_cap);
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

/* parse_text checks the exact two-line layout and decodes the payload. */
static int parse_text(const char *text, size_t n, const char *magic, size_t mlen,
		      uint8_t *payload, size_t plen)
{
	const char *b64 = text + mlen + 1;
	if (n != mlen + 2 + B64_LEN(plen) || memcmp(text, magic, mlen) != 0 || text[mlen] != '\n' ||
	    text[n - 1] != '\n')
		return SP_ERR_KEY_FORMAT;
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(payload, plen, b64, B64_LEN(plen), NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != plen || end != b64 + B64_LEN(plen))
		return SP_ERR_KEY_FORMAT;
	return 0;
}

/* is_protected: text starts with the protected key's magic line. */
static int is_protected(const char *text, size_t n)
{
	size_t m = strlen(SP_KEYFILE_PROTECTED_MAGIC);
	return n > m && memcmp(text, SP_KEYFILE_PROTECTED_MAGIC, m) == 0 && text[m] == '\n';
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

/* read_file reads a key file of magic holding plen payload bytes (caller's
 * buffer, not written on error). */
static int read_file(const char *path, const char *magic, uint8_t *payload, size_t plen,
		     char *why, size_t why_cap)
{
	size_t mlen = magic_len(magic);
	if (mlen == 0 || path == NULL || payload == NULL || plen > PROT_LEN)
		return sp_say(why, why_cap, SP_ERR_ARG, "invalid key file request");
	int fd = -1;
	int rc = open_private(path, &fd, why, why_cap);
	if (rc)
		return rc;
	char text[FILE_MAX + 1];
	size_t n;
	uint8_t p[PROT_LEN];
	if (read_small(fd, text, sizeof(text), &n) != 0) /* one more than any valid file */
		rc = sp_say(why, why_cap, SP_ERR_IO, "cannot read key file %s: %s", path,
			 strerror(errno));
	else if (parse_text(text, n, magic, mlen, p, plen) == 0)
		rc = 0;
	else if (is_protected(text, n))
		rc = sp_say(why, why_cap, SP_ERR_KEY_FORMAT,
			 "%s is protected by a passphrase: give it with --passphrase-file PASS "
			 "(a file whose first line is the passphrase; - for standard input)",
			 path);
	else
		rc = sp_say(why, why_cap, SP_ERR_KEY_FORMAT,
			 "%s is not a simpul key file (expected the line \"%s\" and one line of "
			 "base64)",
			 path, magic);
	close(fd);
	if (rc == 0)
		memcpy(payload, p, plen);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(p, sizeof(p));
	return rc;
}

int sp_keyfile_load_kind(const char *path, const char *magic, uint8_t secret[SP_KEYFILE_SEED],
			 char *why, size_t why_cap)
{
	return read_file(path, magic, secret, SP_KEYFILE_SEED, why, why_cap);
}

/* derive_box_key: Argon2id of the passphrase under the payload's salt and
 * limits (libsodium's crypto_pwhash; parallelism 1). */
static int derive_box_key(uint8_t key[crypto_secretbox_KEYBYTES], const uint8_t p[PROT_LEN],
			  const char *pass, size_t pass_len)
{
	uint32_t ops = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	uint32_t kib = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	if (ops < SP_KEYFILE_PW_OPS_MIN || ops > SP_KEYFILE_PW_OPS_MAX ||
	    kib < SP_KEYFILE_PW_MEM_KIB_MIN || kib > SP_KEYFILE_PW_MEM_KIB_MAX)
		return SP_ERR_RANGE;
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, pass_len, p + PROT_SALT, ops,
			  (size_t)kib * 1024u, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return SP_ERR_NOMEM;
	return 0;
}

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

int sp_keyfile_create_protected(const char *path, const uint8_t seed[SP_KEYFILE_SEED],
				const char *pass, size_t pass_len, char *why, size_t why_cap)
{
	if (pass == NULL || pass_len < SP_KEYFILE_PASS_MIN || seed == NULL)
		return sp_say(why, why_cap, SP_ERR_ARG, "a passphrase must have at least %d bytes",
			   SP_KEYFILE_PASS_MIN);
	if (sodium_init() < 0)
		return sp_say(why, why_cap, SP_ERR_INTERNAL, "libsodium failed to initialise");
	uint8_t p[PROT_LEN], key[crypto_secretbox_KEYBYTES];
	put_be32(p, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	put_be32(p + 4, crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024u);
	randombytes_buf(p + PROT_SALT, crypto_pwhash_SALTBYTES);
	randombytes_buf(p + PROT_NONCE, crypto_secretbox_NONCEBYTES);
	int rc = derive_box_key(key, p, pass, pass_len);
	if (rc == 0) {
		crypto_secretbox_easy(p + PROT_BOX, seed, SP_KEYFILE_SEED, p + PROT_NONCE, key);
		rc = create_file(path, SP_KEYFILE_PROTECTED_MAGIC, p, PROT_LEN, why, why_cap);
	} else {
		rc = sp_say(why, why_cap, rc, "Argon2id could not get its memory");
	}
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* fill_pair derives the key pair of seed into the optional outputs. */
static void fill_pair(const uint8_t seed[SP_KEYFILE_SEED], uint8_t pk[SP_KEYFILE_PK],
		      uint8_t sk[SP_KEYFILE_SK])
{
	uint8_t p[SP_KEYFILE_PK], s[SP_KEYFILE_SK];
	crypto_sign_seed_keypair(p, s, seed);
	if (pk)
		memcpy(pk, p, SP_KEYFILE_PK);
	if (sk)
		memcpy(sk, s, SP_KEYFILE_SK);
	sodium_memzero(s, sizeof(s));
}

int sp_keyfile_load_protected(const char *path, const char *pass, size_t pass_len,
			      uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SK], char *why,
			      size_t why_cap)
{
	if (pass == NULL)
		return sp_say(why, why_cap, SP_ERR_ARG, "no passphrase given");
	if (sodium_init() < 0)
		return sp_say(why, why_cap, SP_ERR_INTERNAL, "libsodium failed to initialise");
	uint8_t p[PROT_LEN], key[crypto_secretbox_KEYBYTES], seed[SP_KEYFILE_SEED];
	int rc = read_file(path, SP_KEYFILE_PROTECTED_MAGIC, p, PROT_LEN, why, why_cap);
	if (rc)
		return rc;
	rc = derive_box_key(key, p, pass, pass_len);
	if (rc == SP_ERR_RANGE)
		rc = sp_say(why, why_cap, rc,
			 "%s asks for Argon2id limits outside %d..%d passes and %u..%u KiB", path,
			 SP_KEYFILE_PW_OPS_MIN, SP_KEYFILE_PW_OPS_MAX, SP_KEYFILE_PW_MEM_KIB_MIN,
			 SP_KEYFILE_PW_MEM_KIB_MAX);
	else if (rc)
		rc = sp_say(why, why_cap, rc, "Argon2id could not get its memory");
	else if (crypto_secretbox_open_easy(seed, p + PROT_BOX, PROT_LEN - PROT_BOX, p + PROT_NONCE,
					    key) != 0)
		rc = sp_say(why, why_cap, SP_ERR_PASSPHRASE,
			 "cannot open %s: %s", path, sp_strerror(SP_ERR_PASSPHRASE));
	else
		fill_pair(seed, pk, sk);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int sp_keyfile_load(const char *path, uint8_t pk[SP_KEYFILE_PK], uint8_t sk[SP_KEYFILE_SK],
		    char *why, size_t why_cap)
{
	if (sodium_init() < 0)
		return sp_say(why, why_cap, SP_ERR_INTERNAL, "libsodium failed to initialise");
	uint8_t seed[SP_KEYFILE_SEED];
	int rc = sp_keyfile_load_kind(path, SP_KEYFILE_MAGIC, seed, why, why_cap);
	if (rc == 0)
		fill_pair(seed, pk, sk);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int sp_keyfile_read_pass(const char *path, char *pass, size_t *len, char *why, size_t why_cap)
{
	*len = 0;
	int in = strcmp(path, "-") == 0;
	FILE *f = in ? stdin : fopen(path, "r");
	if (f == NULL)
		return sp_say(why, why_cap, SP_ERR_IO, "cannot open passphrase file %s: %s", path,
			      strerror(errno));
	int ok = fgets(pass, SP_KEYFILE_PASS_MAX + 2, f) != NULL;
	if (!in)
		fclose(f);
	size_t n = ok ? strcspn(pass, "\r\n") : 0;
	int rc = 0;
	if (n == 0)
		rc = sp_say(why, why_cap, SP_ERR_ARG, "no passphrase on the first line of %s",
			    in ? "standard input" : path);
	else if (n > SP_KEYFILE_PASS_MAX)
		rc = sp_say(why, why_cap, SP_ERR_ARG, "the passphrase in %s is over %d bytes",
			    in ? "standard input" : path, SP_KEYFILE_PASS_MAX);
	if (rc)
		sodium_memzero(pass, SP_KEYFILE_PASS_MAX + 2);
	else
		*len = n;
	return rc;
}

int sp_keyfile_open(const char *path, const char *pass_path, uint8_t pk[SP_KEYFILE_PK],
		    uint8_t sk[SP_KEYFILE_SK], char *why, size_t why_cap)
{
	if (pass_path == NULL)
		return sp_keyfile_load(path, pk, sk, why, why_cap);
	char pass[SP_KEYFILE_PASS_MAX + 2];
	size_t len = 0;
	int rc = sp_keyfile_read_pass(pass_path, pass, &len, why, why_cap);
	if (rc == 0)
		rc = sp_keyfile_load_protected(path, pass, len, pk, sk, why, why_cap);
	sodium_memzero(pass, sizeof(pass));
	if (rc == SP_ERR_KEY_FORMAT) /* a plain key file needs no passphrase */
		rc = sp_keyfile_load(path, pk, sk, why, why_cap) == 0 ? 0 : rc;
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

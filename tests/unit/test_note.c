/*
 * test_note.c - unit tests for protocol/sp_note.c: the published vectors of
 * golang.org/x/mod/sumdb/note (PeterNeumann, EnochRoot), signed-note syntax
 * and verification rules, checkpoint strictness, cosignature/v1, tlog-proof
 * receipts, and the fixed test vectors of docs/vectors/note.md.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_err.h"
#include "sp_merkle.h"
#include "sp_note.h"

/* ---- golang.org/x/mod/sumdb/note vectors (note.go, note_test.go) ------- */

static const char peter_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char peter_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char peter_text[] = "If you think cryptography is the answer to your problem,\n"
                                 "then you don't know what your problem is.\n";
static const char peter_sig[] =
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcEl"
    "ZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] = "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2"
                                "/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/* ---- docs/vectors/note.md --------------------------------------------- */

#define VEC_ORIGIN  "simpul.example/73.12"
#define VEC_WITNESS "witness.example"
#define VEC_TIME    1767225600ULL /* 2026-01-01T00:00:00Z */

static const char vec_log_vkey[] =
    "simpul.example/73.12+7228fa6c+AYE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU";
static const char vec_wit_vkey[] =
    "witness.example+ade2488a+BO1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR";
static const char vec_root_hex[] =
    "94fbd0dd836f50301692e6d0eade728ee19ec52bfff1606ed807c8575d5aaa19";
static const char vec_note[] =
    "simpul.example/73.12\n"
    "3\n"
    "lPvQ3YNvUDAWkubQ6t5yjuGexSv/8WBu2AfIV11aqhk=\n"
    "\n"
    "\xe2\x80\x94 simpul.example/73.12 cij6bGoh5wUABjKm73XSD3ENcfhJE6igXrq4EkTEj39x+bdpGj7TP0iR8yg"
    "WNGVSfl7PlKn9I01zqvxAB+5fWSx1SAc=\n";
static const char vec_cosig[] =
    "\xe2\x80\x94 witness.example reJIigAAAABpVbkAOWzkfB6hmGjDekl1KL8VIGWm1A7A0n8eLixJIRklqekAAek"
    "t0RZD1aPvkUw1/2jjcuxCYBzImtB9mGdg8ZCPAA==\n";
static const char vec_receipt_head[] = "c2sp.org/tlog-proof@v1\n"
                                       "index 1\n"
                                       "dziFphNIniTOLPdhmdakI/BC5LvxLX7s7pEu8nbGVwE=\n"
                                       "V8efTzGuApxdS9MLBzwnyU35NDiytGl+Hh7vW8A5SkE=\n"
                                       "\n";

/* ---- helpers ---------------------------------------------------------- */

/* take_str returns the buffer's bytes as a NUL-terminated string (owned by
 * the caller) and frees the buffer. */
static char *take_str(struct sp_buf *b)
{
	char *s;

	assert_int_equal(b->err, 0);
	s = malloc(b->len + 1);
	assert_non_null(s);
	memcpy(s, b->p, b->len);
	s[b->len] = '\0';
	sp_buf_free(b);
	return s;
}

static char *cat(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);

	assert_non_null(s);
	strcpy(s, a);
	strcat(s, b);
	return s;
}

static void key_of(uint8_t seed, const char *name, uint8_t type, struct sp_note_key *k,
                   uint8_t sk[64])
{
	uint8_t pk[32];

	sp_test_keypair(seed, pk, sk);
	assert_int_equal(sp_note_key_init(k, name, type, pk), 0);
}

static int verify_str(const char *note, const struct sp_note_key *keys, size_t nkeys,
                      uint64_t *mask)
{
	return sp_note_verify(note, strlen(note), keys, nkeys, NULL, mask);
}

static int parse_str(const char *note)
{
	struct sp_note n;

	return sp_note_parse(note, strlen(note), &n);
}

static struct sp_note_key peter_key(void)
{
	struct sp_note_key k;

	assert_int_equal(sp_note_vkey_parse(peter_vkey, &k), 0);
	return k;
}

/* A signed checkpoint note of (origin, size, root) by sp_test_keypair(seed). */
static char *signed_checkpoint(uint8_t seed, const char *origin, uint64_t size,
                               const uint8_t root[32])
{
	struct sp_checkpoint c;
	struct sp_buf b;
	uint8_t pk[32], sk[64];

	sp_test_keypair(seed, pk, sk);
	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "%s", origin);
	c.size = size;
	memcpy(c.root, root, 32);
	sp_buf_init(&b);
	assert_int_equal(sp_checkpoint_sign(&c, sk, &b), 0);
	return take_str(&b);
}

/* ---- golang vectors --------------------------------------------------- */

static void test_go_vkey(void **state)
{
	struct sp_note_key k;
	struct sp_buf b;
	char *s;
	static const uint8_t peter_id[4] = {0xc7, 0x4f, 0x20, 0xa3};

	(void)state;
	assert_int_equal(sp_note_vkey_parse(peter_vkey, &k), 0);
	assert_string_equal(k.name, "PeterNeumann");
	assert_int_equal(k.type, SP_NOTE_TYPE_ED25519);
	assert_memory_equal(k.id, peter_id, 4);
	sp_buf_init(&b);
	sp_note_vkey_format(&k, &b);
	s = take_str(&b);
	assert_string_equal(s, peter_vkey);
	free(s);

	assert_int_equal(sp_note_vkey_parse(enoch_vkey, &k), 0);
	sp_buf_init(&b);
	sp_note_vkey_format(&k, &b);
	s = take_str(&b);
	assert_string_equal(s, enoch_vkey);
	free(s);
}

/* As TestNewVerifier: every proper substring and every one-byte change of
 * the key must be refused, as must two keys with adjusted key ids. */
static void test_go_vkey_mangled(void **state)
{
	char b[sizeof(peter_vkey)];
	size_t len = strlen(peter_vkey);
	struct sp_note_key k;

	(void)state;
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			memcpy(b, peter_vkey + i, j - i);
			b[j - i] = '\0';
			assert_int_equal(sp_note_vkey_parse(b, &k), SP_ERR_KEY_FORMAT);
		}
	}
	memcpy(b, peter_vkey, sizeof(b));
	for (size_t i = 0; i < len; i++) {
		b[i]++;
		assert_int_equal(sp_note_vkey_parse(b, &k), SP_ERR_KEY_FORMAT);
		b[i]--;
	}
	/* a high byte where libsodium 1.0.18 alone would read '/' */
	memcpy(b, peter_vkey, sizeof(b));
	*strchr(b, '/') = '\xff';
	assert_int_equal(sp_note_vkey_parse(b, &k), SP_ERR_KEY_FORMAT);
	/* wrong key length; unknown algorithm (both with matching ids) */
	assert_int_equal(sp_note_vkey_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkm"
	                                    "qq/LDE4izWy10TWBADKEY==",
	                                    &k),
	                 SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_vkey_parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkm"
	                                    "qq/LDE4izWy10TW",
	                                    &k),
	                 SP_ERR_KEY_FORMAT);
}

/* As TestSign: the key from the published signer key signs the published
 * text into exactly the published note. */
static void test_go_sign(void **state)
{
	uint8_t raw[33], pk[32], sk[64];
	size_t n;
	struct sp_note_key k = peter_key();
	struct sp_buf b;
	char *want = cat(peter_text, "\n"), *want2 = cat(want, peter_sig), *s;

	(void)state;
	assert_int_equal(sodium_base642bin(raw, sizeof(raw), peter_skey_b64, strlen(peter_skey_b64),
	                                   NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL),
	                 0);
	assert_int_equal(n, 33);
	assert_int_equal(raw[0], SP_NOTE_TYPE_ED25519);
	crypto_sign_seed_keypair(pk, sk, raw + 1);
	assert_memory_equal(pk, k.pk, 32);

	sp_buf_init(&b);
	assert_int_equal(sp_note_sign(peter_text, strlen(peter_text), "PeterNeumann", sk, &b), 0);
	s = take_str(&b);
	assert_string_equal(s, want2);
	free(s);

	sp_buf_init(&b);
	assert_int_equal(sp_note_sign("abc", 3, "PeterNeumann", sk, &b), SP_ERR_NOTE_FORMAT);
	assert_int_equal(sp_note_sign(peter_text, strlen(peter_text), "bad name", sk, &b),
	                 SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_sign(peter_text, strlen(peter_text), "a+b", sk, &b),
	                 SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_sign("a\tb\n", 4, "PeterNeumann", sk, &b), SP_ERR_NOTE_FORMAT);
	assert_int_equal(b.len, 0);
	sp_buf_free(&b);
	free(want);
	free(want2);
}

/* As TestOpen. */
static void test_go_open(void **state)
{
	struct sp_note_key keys[2];
	struct sp_note n;
	uint64_t mask = 0;
	char *base = cat(peter_text, "\n"), *msg = cat(base, peter_sig),
	     *both = cat(msg, enoch_sig);

	(void)state;
	keys[0] = peter_key();
	assert_int_equal(sp_note_vkey_parse(enoch_vkey, &keys[1]), 0);

	assert_int_equal(sp_note_verify(msg, strlen(msg), keys, 1, &n, &mask), 0);
	assert_int_equal(mask, 1);
	assert_int_equal(n.text_len, strlen(peter_text));
	assert_memory_equal(n.text, peter_text, n.text_len);
	assert_int_equal(n.nsigs, 1);
	assert_int_equal(n.sigs[0].name_len, 12);
	assert_memory_equal(n.sigs[0].name, "PeterNeumann", 12);
	assert_int_equal(n.sigs[0].sig_len, 64);

	/* one known, one unknown; both known; none known */
	assert_int_equal(verify_str(both, keys, 1, &mask), 0);
	assert_int_equal(mask, 1);
	assert_int_equal(verify_str(both, keys, 2, &mask), 0);
	assert_int_equal(mask, 3);
	assert_int_equal(verify_str(both, keys + 1, 1, &mask), 0);
	assert_int_equal(mask, 1);
	assert_int_equal(verify_str(both, NULL, 0, &mask), SP_ERR_NOTE_NO_SIG);
	free(msg);
	free(both);
	free(base);
}

static void test_go_open_bad(void **state)
{
	struct sp_note_key k = peter_key();
	char *base = cat(peter_text, "\n");
	char *msg, *tmp, *bad;
	char sig_abcd[sizeof(peter_sig) + 4];
	char cut[sizeof(peter_sig)];

	(void)state;
	/* Invalid signature: "ABCD" spliced in at byte 60 keeps the key id. */
	memcpy(sig_abcd, peter_sig, 60);
	memcpy(sig_abcd + 60, "ABCD", 4);
	strcpy(sig_abcd + 64, peter_sig + 60);
	msg = cat(base, sig_abcd);
	assert_int_equal(verify_str(msg, &k, 1, NULL), SP_ERR_BAD_SIGNATURE);
	free(msg);

	/* the badMsgs list of TestOpen */
	assert_int_equal(parse_str(peter_text), SP_ERR_NOTE_FORMAT);
	assert_int_equal(parse_str(base), SP_ERR_NOTE_FORMAT);
	memcpy(cut, peter_sig, sizeof(peter_sig));
	cut[strlen(cut) - 1] = '\0';
	msg = cat(base, cut);
	assert_int_equal(parse_str(msg), SP_ERR_NOTE_FORMAT);
	free(msg);
	tmp = cat(base, peter_sig);
	msg = cat("\x01", tmp);
	assert_int_equal(parse_str(msg), SP_ERR_NOTE_FORMAT);
	free(msg);
	msg = cat("\xff", tmp);
	assert_int_equal(parse_str(msg), SP_ERR_NOTE_FORMAT);
	free(msg);
	msg = cat(tmp, "Unexpected line.\n");
	assert_int_equal(parse_str(msg), SP_ERR_NOTE_FORMAT);
	free(msg);
	bad =
	    cat(base, "\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1"
	              "FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
	assert_int_equal(parse_str(bad), SP_ERR_NOTE_FORMAT);
	free(bad);
	free(tmp);
	free(base);
}

/* ---- notes ------------------------------------------------------------- */

static char *sign_str(const char *text, const char *name, const uint8_t sk[64])
{
	struct sp_buf b;

	sp_buf_init(&b);
	assert_int_equal(sp_note_sign(text, strlen(text), name, sk, &b), 0);
	return take_str(&b);
}

static void test_sign_verify(void **state)
{
	struct sp_note_key k;
	uint8_t sk[64];
	struct sp_note n;
	uint64_t mask = 0;
	char *note;
	static const char text[] = "line one\n\nline three after an empty line\n";

	(void)state;
	key_of(0x11, "example.com/a", SP_NOTE_TYPE_ED25519, &k, sk);
	note = sign_str(text, "example.com/a", sk);
	assert_int_equal(sp_note_verify(note, strlen(note), &k, 1, &n, &mask), 0);
	assert_int_equal(mask, 1);
	/* the text is split at the last empty line, keeping its own */
	assert_int_equal(n.text_len, strlen(text));
	assert_memory_equal(n.text, text, n.text_len);

	/* a text that is only a newline */
	free(note);
	note = sign_str("\n", "example.com/a", sk);
	assert_int_equal(sp_note_verify(note, strlen(note), &k, 1, &n, NULL), 0);
	assert_int_equal(n.text_len, 1);

	/* tampered text */
	note[0] = 'X';
	assert_int_equal(verify_str(note, &k, 1, NULL), SP_ERR_NOTE_FORMAT);
	free(note);
	note = sign_str(text, "example.com/a", sk);
	note[0] = 'X';
	assert_int_equal(verify_str(note, &k, 1, NULL), SP_ERR_BAD_SIGNATURE);
	free(note);
}

static void test_unknown_ignored(void **state)
{
	struct sp_note_key k, other, same_name, keys[2];
	uint8_t sk[64], sk2[64], pk2[32];
	uint64_t mask;
	char *a, *b, *note;

	(void)state;
	key_of(0x11, "example.com/a", SP_NOTE_TYPE_ED25519, &k, sk);
	key_of(0x12, "example.com/b", SP_NOTE_TYPE_ED25519, &other, sk2);
	a = sign_str("hello\n", "example.com/a", sk);
	b = sign_str("hello\n", "example.com/b", sk2);
	/* append b's signature line to a */
	note = cat(a, strstr(b, "\n\n") + 2);
	keys[0] = k;
	keys[1] = other;
	assert_int_equal(verify_str(note, keys, 2, &mask), 0);
	assert_int_equal(mask, 3);

	/* same name as a known key, other key id: ignored, not a failure */
	sp_test_keypair(0x13, pk2, sk2);
	assert_int_equal(sp_note_key_init(&same_name, "example.com/a", SP_NOTE_TYPE_ED25519, pk2),
	                 0);
	assert_int_equal(verify_str(note, &same_name, 1, &mask), SP_ERR_NOTE_NO_SIG);
	assert_int_equal(mask, 0);
	/* same key id under another name is another key too */
	other = k;
	strcpy(other.name, "example.com/c");
	assert_int_equal(verify_str(note, &other, 1, NULL), SP_ERR_NOTE_NO_SIG);
	/* a type 0x04 key of the same name and public key has another id */
	assert_int_equal(sp_note_key_init(&other, "example.com/a", SP_NOTE_TYPE_COSIG, k.pk), 0);
	assert_memory_not_equal(other.id, k.id, 4);
	assert_int_equal(verify_str(note, &other, 1, NULL), SP_ERR_NOTE_NO_SIG);
	free(a);
	free(b);
	free(note);
}

/* A known key whose line fails rejects the note, even next to a good line
 * by another known key. */
static void test_known_bad_rejects(void **state)
{
	struct sp_note_key keys[2];
	uint8_t sk[64], sk2[64];
	char *a, *forged, *note;
	char *line;

	(void)state;
	key_of(0x11, "example.com/a", SP_NOTE_TYPE_ED25519, &keys[0], sk);
	key_of(0x12, "example.com/b", SP_NOTE_TYPE_ED25519, &keys[1], sk2);
	a = sign_str("hello\n", "example.com/a", sk);
	forged = sign_str("other\n", "example.com/b", sk2);
	note = cat(a, strstr(forged, "\n\n") + 2);
	assert_int_equal(verify_str(note, keys, 1, NULL), 0);
	assert_int_equal(verify_str(note, keys, 2, NULL), SP_ERR_BAD_SIGNATURE);
	/* a repeated good line is verified again: flip a bit in the copy */
	free(note);
	line = strstr(a, "\n\n") + 2;
	note = cat(a, line);
	note[strlen(note) - 6] = note[strlen(note) - 6] == 'A' ? 'B' : 'A';
	assert_int_equal(verify_str(note, keys, 1, NULL), SP_ERR_BAD_SIGNATURE);
	free(a);
	free(forged);
	free(note);
}

static void test_malformed_notes(void **state)
{
	static const char *const bad[] = {
	    /* missing blank line */
	    "hello\n\xe2\x80\x94 example.com/a AAAAAAAA\n",
	    /* no trailing newline */
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAAAA",
	    /* no signature lines */
	    "hello\n\n",
	    /* bad base64: alphabet, padding, length, non-canonical bits */
	    "hello\n\n\xe2\x80\x94 example.com/a AAAA!AAA\n",
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAA\n",
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAA==AAAA\n",
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAAB=\n",
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAAA\n",
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAA\xc3\xa9\n",
	    "hello\n\n\xe2\x80\x94 example.com/a AAAA=AAA\n",
	    /* empty base64, too short (4 bytes: key id only) */
	    "hello\n\n\xe2\x80\x94 example.com/a \n",
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAA==\n",
	    /* empty name, name with '+', spaces, no space at all */
	    "hello\n\n\xe2\x80\x94  AAAAAAAA\n",
	    "hello\n\n\xe2\x80\x94 a+b AAAAAAAA\n",
	    "hello\n\n\xe2\x80\x94 a b AAAAAAAA\n",
	    "hello\n\n\xe2\x80\x94 a\xc2\xa0"
	    "b AAAAAAAA\n",
	    "hello\n\n\xe2\x80\x94 a\xe3\x80\x80"
	    "b AAAAAAAA\n",
	    "hello\n\n\xe2\x80\x94 example.com/a\n",
	    /* control characters */
	    "hel\tlo\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n",
	    "hello\r\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n",
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAAAA\r\n",
	    "hel\x7f\x01lo\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n",
	    /* invalid UTF-8: overlong, surrogate, truncated, above U+10FFFF */
	    "\xc0\xaf\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n",
	    "\xed\xa0\x80\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n",
	    "\xe2\x80\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n",
	    "\xf4\x90\x80\x80\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n",
	    /* missing or wrong dash */
	    "hello\n\nexample.com/a AAAAAAAA\n",
	    "hello\n\n- example.com/a AAAAAAAA\n",
	    "hello\n\n\xe2\x80\x93 example.com/a AAAAAAAA\n",
	    "hello\n\n\xe2\x80\x94"
	    "example.com/a AAAAAAAA\n",
	    /* an empty line among the signatures */
	    "hello\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n\n",
	    "",
	    "\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_str(bad[i]) != SP_ERR_NOTE_FORMAT)
			fail_msg("accepted bad note %zu", i);
	}
	/* the same shapes done right parse */
	assert_int_equal(parse_str("hello\n\n\xe2\x80\x94 example.com/a AAAAAAAA\n"), 0);
	assert_int_equal(parse_str("h\xc3\xa9llo \xf0\x9f\x98\x80\x7f\n\n\xe2\x80\x94 "
	                           "\xc3\xa9x.example/\xe2\x80\x94 AAAAAAAA\n"),
	                 0);
}

static void test_sig_count(void **state)
{
	struct sp_note_key k = peter_key();
	size_t cap = strlen(peter_text) + 1 + (SP_NOTE_MAX_SIGS + 1) * strlen(peter_sig) + 1;
	char *msg = malloc(cap);

	(void)state;
	assert_non_null(msg);
	strcpy(msg, peter_text);
	strcat(msg, "\n");
	for (int i = 0; i < SP_NOTE_MAX_SIGS; i++)
		strcat(msg, peter_sig);
	assert_int_equal(verify_str(msg, &k, 1, NULL), 0);
	strcat(msg, peter_sig);
	assert_int_equal(verify_str(msg, &k, 1, NULL), SP_ERR_NOTE_FORMAT);
	free(msg);
}

/* A post-quantum sized signature by an unknown key (e.g. an ML-DSA-44
 * cosignature, 4 + 8 + 2420 bytes) must be ignored, not rejected. */
static void test_long_unknown_sig(void **state)
{
	struct sp_note_key k = peter_key();
	uint8_t raw[4 + 8 + 2420];
	char b64[sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_ORIGINAL)];
	char *base = cat(peter_text, "\n"), *a = cat(base, peter_sig), *line, *msg;
	struct sp_note n;

	(void)state;
	memset(raw, 0x5a, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	line = cat("\xe2\x80\x94 witness.example/mldsa ", b64);
	msg = cat(a, line);
	free(line);
	line = msg;
	msg = cat(line, "\n");
	free(line);
	assert_int_equal(sp_note_verify(msg, strlen(msg), &k, 1, &n, NULL), 0);
	assert_int_equal(n.nsigs, 2);
	assert_int_equal(n.sigs[1].sig_len, sizeof(raw) - 4);
	free(base);
	free(a);
	free(msg);
}

static void test_key_init(void **state)
{
	struct sp_note_key k;
	uint8_t pk[32], sk[64];
	char long_name[SP_NOTE_NAME_MAX + 2];

	(void)state;
	sp_test_keypair(0x11, pk, sk);
	assert_int_equal(sp_note_key_init(&k, "example.com/a", SP_NOTE_TYPE_ED25519, pk), 0);
	assert_int_equal(sp_note_key_init(&k, "", SP_NOTE_TYPE_ED25519, pk), SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_key_init(&k, "a b", SP_NOTE_TYPE_ED25519, pk), SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_key_init(&k, "a+b", SP_NOTE_TYPE_ED25519, pk), SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_key_init(&k, "a\tb", SP_NOTE_TYPE_ED25519, pk), SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_key_init(&k,
	                                  "a\xe2\x80\xa8"
	                                  "b",
	                                  SP_NOTE_TYPE_ED25519, pk),
	                 SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_key_init(&k, "a\xff", SP_NOTE_TYPE_ED25519, pk),
	                 SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_note_key_init(&k, "a", 0x02, pk), SP_ERR_KEY_FORMAT);
	memset(long_name, 'a', sizeof(long_name));
	long_name[SP_NOTE_NAME_MAX] = '\0';
	assert_int_equal(sp_note_key_init(&k, long_name, SP_NOTE_TYPE_ED25519, pk), 0);
	long_name[SP_NOTE_NAME_MAX] = 'a';
	long_name[SP_NOTE_NAME_MAX + 1] = '\0';
	assert_int_equal(sp_note_key_init(&k, long_name, SP_NOTE_TYPE_ED25519, pk),
	                 SP_ERR_KEY_FORMAT);
}

/* ---- checkpoints ------------------------------------------------------- */

static void assert_cp_equal(const struct sp_checkpoint *a, const struct sp_checkpoint *b)
{
	assert_string_equal(a->origin, b->origin);
	assert_int_equal(a->size, b->size);
	assert_memory_equal(a->root, b->root, 32);
}

static int cp_parse(const char *body, struct sp_checkpoint *c)
{
	return sp_checkpoint_parse(body, strlen(body), c);
}

#define ROOT_B64 "lPvQ3YNvUDAWkubQ6t5yjuGexSv/8WBu2AfIV11aqhk="

static void test_checkpoint_parse(void **state)
{
	struct sp_checkpoint c;
	uint8_t root[32];
	/* clang-format off */
	static const char *const bad[] = {
		"",
		"o\n",
		"o\n3\n",
		"o\n3\n" ROOT_B64,			/* no final newline */
		"\n3\n" ROOT_B64 "\n",		/* empty origin */
		"o\n03\n" ROOT_B64 "\n",		/* leading zeros */
		"o\n00\n" ROOT_B64 "\n",
		"o\n\n" ROOT_B64 "\n",		/* empty size */
		"o\n-1\n" ROOT_B64 "\n",		/* not plain decimal */
		"o\n+3\n" ROOT_B64 "\n",
		"o\n 3\n" ROOT_B64 "\n",
		"o\n3 \n" ROOT_B64 "\n",
		"o\n0x3\n" ROOT_B64 "\n",
		"o\n9223372036854775808\n" ROOT_B64 "\n", /* 2^63 */
		"o\n99999999999999999999999\n" ROOT_B64 "\n",
		"o\n3\nlPvQ3YNvUDAWkubQ6t5yjuGexSv/8WBu2AfIV11aqg==\n", /* 31 bytes */
		"o\n3\nlPvQ3YNvUDAWkubQ6t5yjuGexSv/8WBu2AfIV11aqhkA\n", /* 33 bytes */
		"o\n3\nlPvQ3YNvUDAWkubQ6t5yjuGexSv/8WBu2AfIV11aqhk\n",  /* unpadded */
		"o\n3\nlPvQ3YNvUDAWkubQ6t5yjuGexSv/8WBu2AfIV11aqhl=\n", /* trailing bits */
		"o\n3\nlPvQ3YNvUDAWkubQ6t5yjuGexSv_8WBu2AfIV11aqhk=\n", /* URL alphabet */
		/* libsodium 1.0.18 alone would read any byte >= 0x80 as '/' */
		"o\n3\nlPvQ3YNvUDAWkubQ6t5yjuGexSv\xc2\xaf" "8WBu2AfIV11aqhk=\n",
		"o\n3\nlPvQ3YNvUDAWkubQ6t5yjuGexSv/8WBu2AfIV1\xcf\x94qhk=\n",
		"o\n3\n" ROOT_B64 "\n\n",		/* empty extension line */
		"o\n3\n" ROOT_B64 "\next\n\n",
		"o\n3\n" ROOT_B64 "\next",		/* unterminated extension */
		"o\t\n3\n" ROOT_B64 "\n",		/* control character */
	};
	/* clang-format on */

	(void)state;
	sodium_hex2bin(root, 32, vec_root_hex, 64, NULL, NULL, NULL);
	assert_int_equal(cp_parse("simpul.example/73.12\n3\n" ROOT_B64 "\n", &c), 0);
	assert_string_equal(c.origin, "simpul.example/73.12");
	assert_int_equal(c.size, 3);
	assert_memory_equal(c.root, root, 32);
	assert_int_equal(cp_parse("o\n0\n" ROOT_B64 "\n", &c), 0);
	assert_int_equal(c.size, 0);
	assert_int_equal(cp_parse("o\n9223372036854775807\n" ROOT_B64 "\n", &c), 0);
	assert_int_equal(c.size, INT64_MAX);
	assert_int_equal(cp_parse("o o+\n3\n" ROOT_B64 "\next one\nx\n", &c), 0);
	assert_string_equal(c.origin, "o o+");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cp_parse(bad[i], &c) != SP_ERR_CHECKPOINT)
			fail_msg("accepted bad checkpoint %zu", i);
	}
}

static void test_checkpoint_origin_len(void **state)
{
	struct sp_checkpoint c;
	char body[SP_ORIGIN_MAX + 64];

	(void)state;
	memset(body, 'a', SP_ORIGIN_MAX);
	strcpy(body + SP_ORIGIN_MAX, "\n3\n" ROOT_B64 "\n");
	assert_int_equal(cp_parse(body, &c), 0);
	assert_int_equal(strlen(c.origin), SP_ORIGIN_MAX);
	memset(body, 'a', SP_ORIGIN_MAX + 1);
	strcpy(body + SP_ORIGIN_MAX + 1, "\n3\n" ROOT_B64 "\n");
	assert_int_equal(cp_parse(body, &c), SP_ERR_CHECKPOINT);
}

static void test_checkpoint_format_sign_open(void **state)
{
	struct sp_checkpoint c, got;
	struct sp_note_key k, wrong;
	struct sp_buf b;
	uint8_t pk[32], sk[64];
	char *s, *note;

	(void)state;
	memset(&c, 0, sizeof(c));
	strcpy(c.origin, "example.com/log");
	c.size = 1234567;
	memset(c.root, 0xab, 32);
	sp_buf_init(&b);
	sp_checkpoint_format(&c, &b);
	s = take_str(&b);
	assert_string_equal(s, "example.com/log\n1234567\n"
	                       "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n");
	assert_int_equal(cp_parse(s, &got), 0);
	assert_cp_equal(&got, &c);
	free(s);

	key_of(0x21, "example.com/log", SP_NOTE_TYPE_ED25519, &k, sk);
	note = signed_checkpoint(0x21, "example.com/log", c.size, c.root);
	assert_int_equal(sp_checkpoint_open(note, strlen(note), &k, &got), 0);
	assert_cp_equal(&got, &c);
	/* another key */
	key_of(0x22, "example.com/log", SP_NOTE_TYPE_ED25519, &wrong, sk);
	assert_int_equal(sp_checkpoint_open(note, strlen(note), &wrong, &got), SP_ERR_NOTE_NO_SIG);
	free(note);

	/* signed by the key, but the body names another origin */
	sp_test_keypair(0x21, pk, sk);
	note = sign_str("example.com/other\n1\n" ROOT_B64 "\n", "example.com/log", sk);
	assert_int_equal(sp_checkpoint_open(note, strlen(note), &k, &got), SP_ERR_CHECKPOINT);
	free(note);
	/* signed note whose text is no checkpoint */
	note = sign_str("example.com/log\n01\n" ROOT_B64 "\n", "example.com/log", sk);
	assert_int_equal(sp_checkpoint_open(note, strlen(note), &k, &got), SP_ERR_CHECKPOINT);
	free(note);

	/* sign refuses what others could not read back */
	sp_buf_init(&b);
	c.size = (uint64_t)INT64_MAX + 1;
	assert_int_equal(sp_checkpoint_sign(&c, sk, &b), SP_ERR_ARG);
	c.size = 1;
	c.origin[0] = '\0';
	assert_int_equal(sp_checkpoint_sign(&c, sk, &b), SP_ERR_ARG);
	strcpy(c.origin, "has space");
	assert_int_equal(sp_checkpoint_sign(&c, sk, &b), SP_ERR_KEY_FORMAT);
	assert_int_equal(sp_checkpoint_open(vec_note, strlen(vec_note), &k, &got),
	                 SP_ERR_NOTE_NO_SIG);
	sp_buf_free(&b);
}

/* ---- cosignatures ----------------------------------------------------- */

/* cosign appends a cosignature by sp_test_keypair(seed) to a signed note. */
static char *cosign(const char *note, uint8_t seed, const char *name, uint64_t t)
{
	struct sp_note n;
	struct sp_buf b;
	uint8_t pk[32], sk[64];

	sp_test_keypair(seed, pk, sk);
	assert_int_equal(sp_note_parse(note, strlen(note), &n), 0);
	sp_buf_init(&b);
	sp_buf_put(&b, note, strlen(note));
	assert_int_equal(sp_cosig_line(n.text, n.text_len, t, name, sk, &b), 0);
	return take_str(&b);
}

static void test_cosig(void **state)
{
	struct sp_note_key log, wit, keys[2];
	uint8_t sk[64], root[32];
	uint64_t t = 0, mask = 0;
	char *cp, *note;

	(void)state;
	memset(root, 7, sizeof(root));
	key_of(0x31, "example.com/log", SP_NOTE_TYPE_ED25519, &log, sk);
	key_of(0x32, "example.com/w1", SP_NOTE_TYPE_COSIG, &wit, sk);
	cp = signed_checkpoint(0x31, "example.com/log", 99, root);
	assert_int_equal(sp_cosig_verify(cp, strlen(cp), &wit, &t), SP_ERR_NOTE_NO_SIG);
	note = cosign(cp, 0x32, "example.com/w1", 1700000000);
	assert_int_equal(sp_cosig_verify(note, strlen(note), &wit, &t), 0);
	assert_int_equal(t, 1700000000);
	keys[0] = log;
	keys[1] = wit;
	assert_int_equal(verify_str(note, keys, 2, &mask), 0);
	assert_int_equal(mask, 3);
	assert_int_equal(verify_str(note, &wit, 1, &mask), 0);
	assert_int_equal(mask, 1);
	/* the log's checkpoint still opens with the cosignature present */
	{
		struct sp_checkpoint c;
		assert_int_equal(sp_checkpoint_open(note, strlen(note), &log, &c), 0);
		assert_int_equal(c.size, 99);
	}
	/* cosigning key used as a plain Ed25519 key: other key id, ignored */
	{
		struct sp_note_key plain;
		assert_int_equal(
		    sp_note_key_init(&plain, "example.com/w1", SP_NOTE_TYPE_ED25519, wit.pk), 0);
		assert_int_equal(verify_str(note, &plain, 1, NULL), SP_ERR_NOTE_NO_SIG);
	}
	free(note);

	note = cosign(cp, 0x32, "example.com/w1", 0);
	assert_int_equal(sp_cosig_verify(note, strlen(note), &wit, &t), 0);
	assert_int_equal(t, 0);
	free(note);
	note = cosign(cp, 0x32, "example.com/w1", INT64_MAX);
	assert_int_equal(sp_cosig_verify(note, strlen(note), &wit, &t), 0);
	assert_int_equal(t, INT64_MAX);
	free(note);
	free(cp);
}

/* Re-encode the vector cosignature with another timestamp (and the same
 * Ed25519 signature): it must fail. */
static char *retime(const char *line, uint64_t t)
{
	const char *b64 = strrchr(line, ' ') + 1;
	uint8_t raw[4 + 8 + 64];
	char out[sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_ORIGINAL)];
	size_t n;
	char *head, *res, *tmp;

	assert_int_equal(sodium_base642bin(raw, sizeof(raw), b64, strlen(b64) - 1, NULL, &n, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	for (int i = 0; i < 8; i++)
		raw[4 + i] = (uint8_t)(t >> (56 - 8 * i));
	sodium_bin2base64(out, sizeof(out), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	head = strndup(line, (size_t)(b64 - line));
	tmp = cat(head, out);
	res = cat(tmp, "\n");
	free(head);
	free(tmp);
	return res;
}

static void test_cosig_bad(void **state)
{
	struct sp_note_key wit;
	struct sp_buf b;
	uint8_t pk[32], sk[64];
	uint64_t t;
	char *line, *note;
	const char *body;

	(void)state;
	assert_int_equal(sp_note_vkey_parse(vec_wit_vkey, &wit), 0);
	note = cat(vec_note, vec_cosig);
	assert_int_equal(sp_cosig_verify(note, strlen(note), &wit, &t), 0);
	free(note);

	/* wrong timestamp */
	line = retime(vec_cosig, VEC_TIME + 1);
	note = cat(vec_note, line);
	assert_int_equal(sp_cosig_verify(note, strlen(note), &wit, &t), SP_ERR_BAD_SIGNATURE);
	assert_int_equal(verify_str(note, &wit, 1, NULL), SP_ERR_BAD_SIGNATURE);
	free(note);
	free(line);
	/* timestamps over 2^63 - 1 are invalid */
	line = retime(vec_cosig, (uint64_t)INT64_MAX + 1);
	note = cat(vec_note, line);
	assert_int_equal(sp_cosig_verify(note, strlen(note), &wit, &t), SP_ERR_BAD_SIGNATURE);
	free(note);
	free(line);

	/* the cosignature does not carry over to another checkpoint */
	note = cat("simpul.example/73.12\n4\n" ROOT_B64 "\n\n", vec_cosig);
	assert_int_equal(sp_cosig_verify(note, strlen(note), &wit, &t), SP_ERR_BAD_SIGNATURE);
	free(note);

	/* cosigning refuses non-checkpoints, big timestamps, bad names */
	sp_test_keypair(0x03, pk, sk);
	body = "o\n1\n" ROOT_B64 "\n";
	sp_buf_init(&b);
	assert_int_equal(sp_cosig_line("hello\n", 6, 1, VEC_WITNESS, sk, &b), SP_ERR_CHECKPOINT);
	assert_int_equal(
	    sp_cosig_line(body, strlen(body), (uint64_t)INT64_MAX + 1, VEC_WITNESS, sk, &b),
	    SP_ERR_ARG);
	assert_int_equal(sp_cosig_line(body, strlen(body), 1, "a b", sk, &b), SP_ERR_KEY_FORMAT);
	assert_int_equal(b.len, 0);
	assert_int_equal(sp_cosig_line(body, strlen(body), 1, VEC_WITNESS, sk, &b), 0);
	assert_int_equal(b.err, 0);
	sp_buf_free(&b);
	/* an Ed25519 key is no witness key */
	assert_int_equal(sp_note_vkey_parse(vec_log_vkey, &wit), 0);
	assert_int_equal(sp_cosig_verify(vec_note, strlen(vec_note), &wit, &t), SP_ERR_ARG);
}

/* ---- receipts (tlog-proof) -------------------------------------------- */

/* Reference RFC 6962 section 2.1 MTH and PATH over leaf hashes, written
 * from the RFC's recursive definitions, independent of sp_merkle.c. */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void ref_root(const sp_hash *l, uint64_t n, uint8_t out[32])
{
	uint8_t a[32], b[32];
	uint64_t k;

	if (n == 1) {
		memcpy(out, l[0], 32);
		return;
	}
	k = split_point(n);
	ref_root(l, k, a);
	ref_root(l + k, n - k, b);
	sp_merkle_node_hash(a, b, out);
}

static void ref_path(const sp_hash *l, uint64_t m, uint64_t n, sp_hash *path, size_t *len)
{
	uint64_t k;

	if (n == 1) {
		*len = 0;
		return;
	}
	k = split_point(n);
	if (m < k) {
		ref_path(l, m, k, path, len);
		ref_root(l + k, n - k, path[(*len)++]);
	} else {
		ref_path(l + k, m - k, n - k, path, len);
		ref_root(l, k, path[(*len)++]);
	}
}

#define TREE 7

struct tree {
	char entry[TREE][16];
	sp_hash leaf[TREE];
	uint8_t root[32];
};

static void make_tree(struct tree *t, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		snprintf(t->entry[i], sizeof(t->entry[i]), "entry %u", (unsigned)i);
		sp_merkle_leaf_hash((const uint8_t *)t->entry[i], strlen(t->entry[i]), t->leaf[i]);
	}
	ref_root(t->leaf, n, t->root);
}

static char *receipt(uint64_t index, const sp_hash *path, size_t n, const char *cp,
                     const uint8_t *extra, size_t extra_len)
{
	struct sp_buf b;

	sp_buf_init(&b);
	assert_int_equal(sp_receipt_format(index, path, n, cp, strlen(cp), extra, extra_len, &b),
	                 0);
	return take_str(&b);
}

static int rverify(const char *r, const char *entry, const struct sp_note_key *k,
                   struct sp_receipt *out)
{
	return sp_receipt_verify(r, strlen(r), (const uint8_t *)entry, strlen(entry), k, out);
}

static void test_receipt_round_trip(void **state)
{
	struct tree t;
	struct sp_note_key k;
	struct sp_receipt out;
	sp_hash path[SP_MERKLE_MAX_PROOF];
	uint8_t sk[64];
	size_t n;

	(void)state;
	key_of(0x41, "example.com/log", SP_NOTE_TYPE_ED25519, &k, sk);
	for (uint64_t size = 1; size <= TREE; size++) {
		char *cp;

		make_tree(&t, size);
		cp = signed_checkpoint(0x41, "example.com/log", size, t.root);
		for (uint64_t i = 0; i < size; i++) {
			char *r;

			ref_path(t.leaf, i, size, path, &n);
			r = receipt(i, path, n, cp, NULL, 0);
			memset(&out, 0, sizeof(out));
			assert_int_equal(rverify(r, t.entry[i], &k, &out), 0);
			assert_int_equal(out.index, i);
			assert_int_equal(out.checkpoint.size, size);
			assert_memory_equal(out.checkpoint.root, t.root, 32);
			assert_string_equal(out.checkpoint.origin, "example.com/log");
			/* another entry at this index does not verify */
			assert_int_equal(rverify(r, "entry x", &k, NULL), SP_ERR_PROOF);
			free(r);
			/* with extra data */
			r = receipt(i, path, n, cp, (const uint8_t *)"\x00\x01xyz", 5);
			assert_non_null(strstr(r, "\nextra AAF4eXo=\nindex "));
			assert_int_equal(rverify(r, t.entry[i], &k, NULL), 0);
			free(r);
		}
		free(cp);
	}
}

/* replace returns s with the first occurrence of `from` replaced by `to`. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *res;

	assert_non_null(at);
	res = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	assert_non_null(res);
	memcpy(res, s, (size_t)(at - s));
	strcpy(res + (at - s), to);
	strcat(res, at + strlen(from));
	return res;
}

static void test_receipt_tampered(void **state)
{
	struct tree t;
	struct sp_note_key k, other;
	sp_hash path[SP_MERKLE_MAX_PROOF];
	uint8_t sk[64];
	size_t n;
	char *cp, *r, *bad, b64[45];

	(void)state;
	key_of(0x41, "example.com/log", SP_NOTE_TYPE_ED25519, &k, sk);
	key_of(0x42, "example.com/log", SP_NOTE_TYPE_ED25519, &other, sk);
	make_tree(&t, TREE);
	cp = signed_checkpoint(0x41, "example.com/log", TREE, t.root);
	ref_path(t.leaf, 3, TREE, path, &n);
	r = receipt(3, path, n, cp, NULL, 0);
	assert_int_equal(rverify(r, t.entry[3], &k, NULL), 0);

	/* entry */
	assert_int_equal(rverify(r, t.entry[4], &k, NULL), SP_ERR_PROOF);
	/* index */
	bad = replace(r, "index 3\n", "index 2\n");
	assert_int_equal(rverify(bad, t.entry[3], &k, NULL), SP_ERR_PROOF);
	free(bad);
	bad = replace(r, "index 3\n", "index 7\n"); /* == size */
	assert_int_equal(rverify(bad, t.entry[3], &k, NULL), SP_ERR_PROOF);
	free(bad);
	/* proof: a changed hash, a missing hash */
	sodium_bin2base64(b64, sizeof(b64), path[1], 32, sodium_base64_VARIANT_ORIGINAL);
	bad = replace(r, b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	assert_int_equal(rverify(bad, t.entry[3], &k, NULL), SP_ERR_PROOF);
	free(bad);
	{
		char line[47];
		snprintf(line, sizeof(line), "%s\n", b64);
		bad = replace(r, line, "");
		assert_int_equal(rverify(bad, t.entry[3], &k, NULL), SP_ERR_PROOF);
		free(bad);
	}
	/* checkpoint: size changed (signature breaks), signature changed */
	{
		char from[16], to[16];
		snprintf(from, sizeof(from), "\n%d\n", TREE);
		snprintf(to, sizeof(to), "\n%d\n", TREE + 1);
		bad = replace(r, from, to);
		assert_int_equal(rverify(bad, t.entry[3], &k, NULL), SP_ERR_BAD_SIGNATURE);
		free(bad);
	}
	bad = strdup(r);
	bad[strlen(bad) - 6] = bad[strlen(bad) - 6] == 'A' ? 'B' : 'A';
	assert_int_equal(rverify(bad, t.entry[3], &k, NULL), SP_ERR_BAD_SIGNATURE);
	free(bad);
	/* another log key */
	assert_int_equal(rverify(r, t.entry[3], &other, NULL), SP_ERR_NOTE_NO_SIG);
	free(r);
	free(cp);
}

static void test_receipt_malformed(void **state)
{
	struct sp_note_key k;
	struct sp_buf b;
	sp_hash path[2];
	char *r, *bad;
	static const char head[] = "c2sp.org/tlog-proof@v1\n";

	(void)state;
	assert_int_equal(sp_note_vkey_parse(vec_log_vkey, &k), 0);
	r = cat(vec_receipt_head, vec_note);
	assert_int_equal(rverify(r, "entry 1", &k, NULL), 0);
	struct {
		const char *from, *to;
	} edits[] = {
	    {head, "c2sp.org/tlog-proof@v2\n"},
	    {head, ""},
	    {"index 1\n", "index 01\n"},
	    {"index 1\n", "index\n"},
	    {"index 1\n", "index  1\n"},
	    {"index 1\n", "Index 1\n"},
	    {"index 1\n", "extra AAAA\n"},
	    {"index 1\n", "extra AA\nindex 1\n"},
	    {"index 1\n", "extra\nindex 1\n"},
	    {"index 1\n", "index 1\nextra AAAA\n"},
	    {"dziF", "dzi!"},
	    {"GVwE=\n", "GVwE\n"},
	    {"GVwE=\n", "GVwEAA==\n"},
	    {"\n\nsimpul", "\nsimpul"},
	    {"\n\nsimpul", "\n\n\nsimpul"},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		int err;
		bad = replace(r, edits[i].from, edits[i].to);
		err = rverify(bad, "entry 1", &k, NULL);
		if (err == 0)
			fail_msg("accepted bad receipt %zu", i);
		free(bad);
	}
	/* an extra line is fine, and so is empty extra data */
	bad = replace(r, "index 1\n", "extra c2ltcHVs\nindex 1\n");
	assert_int_equal(rverify(bad, "entry 1", &k, NULL), 0);
	free(bad);
	bad = replace(r, "index 1\n", "extra \nindex 1\n");
	assert_int_equal(rverify(bad, "entry 1", &k, NULL), 0);
	free(bad);
	/* truncated anywhere */
	for (size_t i = 0; i < strlen(r); i++)
		assert_int_not_equal(
		    sp_receipt_verify(r, i, (const uint8_t *)"entry 1", 7, &k, NULL), 0);
	free(r);

	/* formatting refuses an index outside the checkpoint or a bad note */
	memset(path, 0, sizeof(path));
	sp_buf_init(&b);
	assert_int_equal(sp_receipt_format(3, path, 2, vec_note, strlen(vec_note), NULL, 0, &b),
	                 SP_ERR_RANGE);
	assert_int_equal(sp_receipt_format(1, path, 2, "x\n", 2, NULL, 0, &b), SP_ERR_NOTE_FORMAT);
	assert_int_equal(sp_receipt_format(1, path, SP_MERKLE_MAX_PROOF + 1, vec_note,
	                                   strlen(vec_note), NULL, 0, &b),
	                 SP_ERR_ARG);
	assert_int_equal(b.len, 0);
	sp_buf_free(&b);
}

/* ---- fixed test vectors (docs/vectors/note.md) ------------------------- */

static void test_vectors(void **state)
{
	struct sp_checkpoint c, got;
	struct sp_note_key log, wit;
	struct sp_receipt out;
	struct sp_buf b;
	struct tree t;
	uint8_t pk[32], sk[64], wpk[32], wsk[64];
	uint64_t ts = 0;
	sp_hash path[SP_MERKLE_MAX_PROOF];
	size_t n;
	char *s, *note, *want;

	(void)state;
	/* keys */
	sp_test_keypair(0x02, pk, sk);
	sp_test_keypair(0x03, wpk, wsk);
	assert_int_equal(sp_note_key_init(&log, VEC_ORIGIN, SP_NOTE_TYPE_ED25519, pk), 0);
	assert_int_equal(sp_note_key_init(&wit, VEC_WITNESS, SP_NOTE_TYPE_COSIG, wpk), 0);
	sp_buf_init(&b);
	sp_note_vkey_format(&log, &b);
	s = take_str(&b);
	assert_string_equal(s, vec_log_vkey);
	free(s);
	sp_buf_init(&b);
	sp_note_vkey_format(&wit, &b);
	s = take_str(&b);
	assert_string_equal(s, vec_wit_vkey);
	free(s);

	/* the tree of "entry 0", "entry 1", "entry 2" */
	make_tree(&t, 3);
	{
		char hex[65];
		sodium_bin2hex(hex, sizeof(hex), t.root, 32);
		assert_string_equal(hex, vec_root_hex);
	}

	/* signed checkpoint */
	memset(&c, 0, sizeof(c));
	strcpy(c.origin, VEC_ORIGIN);
	c.size = 3;
	memcpy(c.root, t.root, 32);
	sp_buf_init(&b);
	assert_int_equal(sp_checkpoint_sign(&c, sk, &b), 0);
	note = take_str(&b);
	assert_string_equal(note, vec_note);
	assert_int_equal(sp_checkpoint_open(note, strlen(note), &log, &got), 0);
	assert_cp_equal(&got, &c);

	/* cosignature */
	sp_buf_init(&b);
	assert_int_equal(sp_cosig_line(vec_note,
	                               strlen(vec_note) - strlen(strstr(vec_note, "\n\n")) + 1,
	                               VEC_TIME, VEC_WITNESS, wsk, &b),
	                 0);
	s = take_str(&b);
	assert_string_equal(s, vec_cosig);
	free(s);
	free(note);
	note = cat(vec_note, vec_cosig);
	assert_int_equal(sp_cosig_verify(note, strlen(note), &wit, &ts), 0);
	assert_int_equal(ts, VEC_TIME);

	/* receipt for entry 1, with the cosigned checkpoint */
	ref_path(t.leaf, 1, 3, path, &n);
	assert_int_equal(n, 2);
	s = receipt(1, path, n, note, NULL, 0);
	want = cat(vec_receipt_head, note);
	assert_string_equal(s, want);
	assert_int_equal(rverify(s, "entry 1", &log, &out), 0);
	assert_int_equal(out.index, 1);
	assert_int_equal(rverify(s, "entry 2", &log, NULL), SP_ERR_PROOF);
	free(s);
	free(want);
	free(note);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_go_vkey),
	    cmocka_unit_test(test_go_vkey_mangled),
	    cmocka_unit_test(test_go_sign),
	    cmocka_unit_test(test_go_open),
	    cmocka_unit_test(test_go_open_bad),
	    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_unknown_ignored),
	    cmocka_unit_test(test_known_bad_rejects),
	    cmocka_unit_test(test_malformed_notes),
	    cmocka_unit_test(test_sig_count),
	    cmocka_unit_test(test_long_unknown_sig),
	    cmocka_unit_test(test_key_init),
	    cmocka_unit_test(test_checkpoint_parse),
	    cmocka_unit_test(test_checkpoint_origin_len),
	    cmocka_unit_test(test_checkpoint_format_sign_open),
	    cmocka_unit_test(test_cosig),
	    cmocka_unit_test(test_cosig_bad),
	    cmocka_unit_test(test_receipt_round_trip),
	    cmocka_unit_test(test_receipt_tampered),
	    cmocka_unit_test(test_receipt_malformed),
	    cmocka_unit_test(test_vectors),
	};

	if (sodium_init() < 0)
		return 1;
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

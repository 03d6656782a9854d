/*
 * test_entry.c - unit tests for log entries (protocol/sp_entry.c): sign and
 * decode round trips, the fixed test vector of docs/vectors/entry.md, every
 * strict-decoding error, signature failures and the chain-link checks.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_entry.h"
#include "sp_err.h"

/* The body of the test vector: CBOR map {0: "Jalan rusak di Watansoppeng"}. */
static const char vec_text[] = "Jalan rusak di Watansoppeng";

/* Test vector outputs (docs/vectors/entry.md). */
static const char vec_entry_hex[] =
	"a800010158208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0200"
	"0358200000000000000000000000000000000000000000000000000000000000000000041b000001"
	"9b76daa800050106a100781b4a616c616e20727573616b20646920576174616e736f7070656e6707"
	"58406e27b492afa373c7a5bac2c57aceb99e8657cdab4f2efa4daeccb374fe84c30cbff5a958952b"
	"391fc5cd9789010c2ce6a8207d41aa7799fd68d308c829ea6903";
static const char vec_hash_hex[] =
	"3d7b8180265ba38b0e3530e8a7c2bd925b6790b6bf075e1a941de3a7e099bf9e";
static const char vec_leaf_hex[] =
	"ae95a06ac3fc037fb215f090edf205a4a32069e89df473160190c64bb07105e5";

#define VEC_TIME 1767225600000ULL /* 2026-01-01T00:00:00Z */

/* ---- helpers ---------------------------------------------------------- */

static size_t vec_body(uint8_t *out)
{
	struct sp_buf b;
	size_t n;

	sp_buf_init(&b);
	sp_cbor_put_map(&b, 1);
	sp_cbor_put_uint(&b, 0);
	sp_cbor_put_text(&b, vec_text, strlen(vec_text));
	assert_int_equal(b.err, 0);
	n = b.len;
	memcpy(out, b.p, n);
	sp_buf_free(&b);
	return n;
}

/* make signs an entry by key `seed` with the vector body. */
static uint8_t *make(uint8_t seed, uint64_t index, const uint8_t *prev, uint64_t time_ms,
		     struct sp_entry *e, size_t *len)
{
	static uint8_t body[64];
	uint8_t pk[32], sk[64];
	uint8_t *out = NULL;

	sp_test_keypair(seed, pk, sk);
	memset(e, 0, sizeof(*e));
	e->version = SP_ENTRY_VERSION;
	e->index = index;
	if (prev)
		memcpy(e->prev, prev, SP_HASH_BYTES);
	e->time_ms = time_ms;
	e->type = 1;
	e->body_len = vec_body(body);
	e->body = body;
	assert_int_equal(sp_entry_sign(e, sk, &out, len), 0);
	assert_memory_equal(e->author, pk, 32);
	return out;
}

static void to_hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

static void leaf_hash(const uint8_t *p, size_t n, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	static const uint8_t zero = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &zero, 1);
	crypto_hash_sha256_update(&st, p, n);
	crypto_hash_sha256_final(&st, out);
}

/* ---- round trip and test vector --------------------------------------- */

static void test_sign_decode_roundtrip(void **state)
{
	struct sp_entry e, d;
	uint8_t prev[32];
	size_t len;
	uint8_t *buf;

	memset(prev, 0xab, sizeof(prev));
	buf = make(7, 42, prev, VEC_TIME + 5, &e, &len);
	assert_ptr_equal(e.body + e.body_len, buf + len - 67);
	assert_int_equal(sp_cbor_validate(buf, len), 0);

	assert_int_equal(sp_entry_open(buf, len, &d), 0);
	assert_true(d.version == 1 && d.index == 42 && d.time_ms == VEC_TIME + 5 && d.type == 1);
	assert_memory_equal(d.author, e.author, 32);
	assert_memory_equal(d.prev, prev, 32);
	assert_memory_equal(d.sig, e.sig, 64);
	assert_int_equal(d.body_len, e.body_len);
	assert_ptr_equal(d.body, e.body); /* both point into buf */
	free(buf);
}

static void test_vector(void **state)
{
	struct sp_entry e, d;
	uint8_t hash[32], leaf[32];
	char hex[2 * SP_ENTRY_MAX + 1];
	size_t len;
	uint8_t *buf = make(1, 0, NULL, VEC_TIME, &e, &len);

	assert_int_equal(sp_entry_open(buf, len, &d), 0);
	sp_entry_hash(buf, len, hash);
	leaf_hash(buf, len, leaf);

	to_hex(buf, len, hex);
	if (strcmp(hex, vec_entry_hex) != 0)
		print_message("entry: %s\n", hex);
	assert_string_equal(hex, vec_entry_hex);
	to_hex(hash, 32, hex);
	if (strcmp(hex, vec_hash_hex) != 0)
		print_message("entry hash: %s\n", hex);
	assert_string_equal(hex, vec_hash_hex);
	to_hex(leaf, 32, hex);
	if (strcmp(hex, vec_leaf_hex) != 0)
		print_message("leaf hash: %s\n", hex);
	assert_string_equal(hex, vec_leaf_hex);
	free(buf);
}

/* ---- strict decoding: hand-built maps --------------------------------- */

/* shape describes an entry-like map to build without signing it: which
 * keys appear in which order, and deviations from the valid encoding. */
struct shape {
	uint64_t count;    /* map head count */
	int keys[10];      /* keys to write, ended by -1 */
	uint64_t version;
	size_t author_len;
	size_t prev_len;
	size_t sig_len;
	int text_key;      /* this key's value becomes a text string */
	const uint8_t *body; /* raw body bytes, default vector body */
	size_t body_len;
};

static struct shape good_shape(void)
{
	struct shape s = {
		.count = 8,
		.keys = {0, 1, 2, 3, 4, 5, 6, 7, -1},
		.version = 1,
		.author_len = 32,
		.prev_len = 32,
		.sig_len = 64,
		.text_key = -1,
	};
	return s;
}

static void put_value(struct sp_buf *b, const struct shape *s, int key)
{
	static const uint8_t zeros[100];
	uint8_t body[64];

	if (key == s->text_key) {
		sp_cbor_put_text(b, "x", 1);
		return;
	}
	switch (key) {
	case 0:
		sp_cbor_put_uint(b, s->version);
		break;
	case 1:
		sp_cbor_put_bytes(b, zeros, s->author_len);
		break;
	case 3:
		sp_cbor_put_bytes(b, zeros, s->prev_len);
		break;
	case 4:
		sp_cbor_put_uint(b, VEC_TIME);
		break;
	case 6:
		if (s->body)
			sp_buf_put(b, s->body, s->body_len);
		else
			sp_buf_put(b, body, vec_body(body));
		break;
	case 7:
		sp_cbor_put_bytes(b, zeros, s->sig_len);
		break;
	default:
		sp_cbor_put_uint(b, 1);
	}
}

/* decode_shape builds the map of s and returns sp_entry_decode's result. */
static int decode_shape(const struct shape *s)
{
	struct sp_buf b;
	struct sp_entry e;
	int err;

	sp_buf_init(&b);
	sp_cbor_put_map(&b, s->count);
	for (int i = 0; s->keys[i] >= 0; i++) {
		sp_cbor_put_uint(&b, (uint64_t)s->keys[i]);
		put_value(&b, s, s->keys[i]);
	}
	assert_int_equal(b.err, 0);
	err = sp_entry_decode(b.p, b.len, &e);
	sp_buf_free(&b);
	return err;
}

static void test_shape_good(void **state)
{
	struct shape s = good_shape();

	assert_int_equal(decode_shape(&s), 0);
}

static void test_field_sizes(void **state)
{
	static const size_t bad_key[] = {0, 31, 33};
	static const size_t bad_sig[] = {0, 63, 65};
	struct shape s;

	for (size_t i = 0; i < 3; i++) {
		s = good_shape();
		s.author_len = bad_key[i];
		assert_int_equal(decode_shape(&s), SP_ERR_ENTRY_FIELD_SIZE);
		s = good_shape();
		s.prev_len = bad_key[i];
		assert_int_equal(decode_shape(&s), SP_ERR_ENTRY_FIELD_SIZE);
		s = good_shape();
		s.sig_len = bad_sig[i];
		assert_int_equal(decode_shape(&s), SP_ERR_ENTRY_FIELD_SIZE);
	}
}

static void test_version(void **state)
{
	static const uint64_t bad[] = {0, 2, 255, UINT64_MAX};
	struct shape s = good_shape();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.version = bad[i];
		assert_int_equal(decode_shape(&s), SP_ERR_ENTRY_VERSION);
	}
}

static void test_missing_field(void **state)
{
	for (int missing = 0; missing < 8; missing++) {
		struct shape s = good_shape();
		int n = 0;

		s.count = 7;
		for (int k = 0; k < 8; k++)
			if (k != missing)
				s.keys[n++] = k;
		s.keys[n] = -1;
		assert_int_equal(decode_shape(&s), SP_ERR_ENTRY_FIELD);
	}
}

static void test_extra_or_unknown_field(void **state)
{
	struct shape s = good_shape();

	/* keys 0..8 */
	s.count = 9;
	s.keys[8] = 8;
	s.keys[9] = -1;
	assert_int_equal(decode_shape(&s), SP_ERR_ENTRY_FIELD);

	/* 8 pairs, key 7 replaced by 9 */
	s = good_shape();
	s.keys[7] = 9;
	assert_int_equal(decode_shape(&s), SP_ERR_ENTRY_FIELD);
}

static void test_key_order(void **state)
{
	struct shape s = good_shape();

	s.keys[2] = 3;
	s.keys[3] = 2;
	assert_int_equal(decode_shape(&s), SP_ERR_CBOR_UNSORTED);

	s = good_shape();
	s.keys[2] = 1; /* 0 1 1 3 ...: the duplicate wins over the gap */
	assert_int_equal(decode_shape(&s), SP_ERR_CBOR_DUPKEY);
}

static void test_wrong_kinds(void **state)
{
	static const uint8_t array[] = {0x80};
	struct sp_entry e;

	for (int k = 0; k < 8; k++) {
		struct shape s = good_shape();

		if (k == 6)
			continue; /* the body may be any item, text included */
		s.text_key = k;
		assert_int_equal(decode_shape(&s), SP_ERR_CBOR_TYPE);
	}
	assert_int_equal(sp_entry_decode(array, sizeof(array), &e), SP_ERR_CBOR_TYPE);
}

static void test_bad_body(void **state)
{
	static const uint8_t nonshortest[] = {0x18, 0x05};
	static const uint8_t tagged[] = {0xc1, 0x00};
	static const uint8_t text[] = {0x61, 'x'};
	struct shape s = good_shape();

	s.body = nonshortest;
	s.body_len = sizeof(nonshortest);
	assert_int_equal(decode_shape(&s), SP_ERR_CBOR_NONSHORTEST);
	s.body = tagged;
	s.body_len = sizeof(tagged);
	assert_int_equal(decode_shape(&s), SP_ERR_CBOR_TYPE);
	s.body = text;
	s.body_len = sizeof(text);
	assert_int_equal(decode_shape(&s), 0);
}

static void test_trailing_and_truncated(void **state)
{
	struct sp_entry e, d;
	size_t len;
	uint8_t *buf = make(1, 0, NULL, VEC_TIME, &e, &len);
	uint8_t *more = malloc(len + 1);

	assert_non_null(more);
	memcpy(more, buf, len);
	more[len] = 0x00;
	assert_int_equal(sp_entry_decode(more, len + 1, &d), SP_ERR_CBOR_TRAILING);
	for (size_t n = 0; n < len; n++)
		assert_int_equal(sp_entry_decode(buf, n, &d), SP_ERR_CBOR_MALFORMED);
	free(more);
	free(buf);
}

/* ---- size limit ------------------------------------------------------- */

/* sign_bytes_body signs an entry whose body is a byte string of n bytes. */
static int sign_bytes_body(size_t n, uint8_t **out, size_t *len)
{
	struct sp_entry e;
	struct sp_buf body;
	uint8_t pk[32], sk[64];
	uint8_t *zeros = calloc(1, n);
	int err;

	assert_non_null(zeros);
	sp_test_keypair(2, pk, sk);
	sp_buf_init(&body);
	sp_cbor_put_bytes(&body, zeros, n);
	assert_int_equal(body.err, 0);
	memset(&e, 0, sizeof(e));
	e.version = SP_ENTRY_VERSION;
	e.body = body.p;
	e.body_len = body.len;
	*out = NULL;
	err = sp_entry_sign(&e, sk, out, len);
	sp_buf_free(&body);
	free(zeros);
	return err;
}

static void test_size_limit(void **state)
{
	struct sp_entry d;
	uint8_t *buf, *big;
	size_t len, n;

	/* Find the body size that makes the entry exactly SP_ENTRY_MAX. */
	assert_int_equal(sign_bytes_body(1000, &buf, &len), 0);
	free(buf);
	n = 1000 + (SP_ENTRY_MAX - len); /* both lengths take a 3-byte head */
	assert_int_equal(sign_bytes_body(n, &buf, &len), 0);
	assert_int_equal(len, SP_ENTRY_MAX);
	assert_int_equal(sp_entry_open(buf, len, &d), 0);

	/* One byte more is refused by both sign and decode. */
	big = malloc(len + 1);
	assert_non_null(big);
	memcpy(big, buf, len);
	big[len] = 0x00;
	assert_int_equal(sp_entry_decode(big, len + 1, &d), SP_ERR_ENTRY_TOO_LARGE);
	free(buf);
	assert_int_equal(sign_bytes_body(n + 1, &buf, &len), SP_ERR_ENTRY_TOO_LARGE);
	assert_null(buf);

	/* The size check comes before any parsing. */
	memset(big, 0xff, len + 1);
	assert_int_equal(sp_entry_decode(big, SP_ENTRY_MAX + 1, &d), SP_ERR_ENTRY_TOO_LARGE);
	free(big);
}

static void test_sign_errors(void **state)
{
	static const uint8_t nonshortest[] = {0x18, 0x05};
	static const uint8_t trailing[] = {0x00, 0x00};
	struct sp_entry e;
	uint8_t pk[32], sk[64];
	uint8_t *out = NULL;
	size_t len;

	sp_test_keypair(3, pk, sk);
	memset(&e, 0, sizeof(e));
	e.version = SP_ENTRY_VERSION;
	assert_int_equal(sp_entry_sign(&e, sk, &out, &len), SP_ERR_ARG); /* no body */
	e.body = nonshortest;
	e.body_len = sizeof(nonshortest);
	assert_int_equal(sp_entry_sign(&e, sk, &out, &len), SP_ERR_CBOR_NONSHORTEST);
	e.body = trailing;
	e.body_len = sizeof(trailing);
	assert_int_equal(sp_entry_sign(&e, sk, &out, &len), SP_ERR_CBOR_TRAILING);
	e.body_len = 1;
	e.version = 2;
	assert_int_equal(sp_entry_sign(&e, sk, &out, &len), SP_ERR_ARG);
	assert_null(out);
}

/* A writer must never sign a body its own decoder refuses: the body sits
 * one level down in the entry map, so it may nest one level less. */
static void test_body_nesting_limit(void **state)
{
	uint8_t body[SP_CBOR_MAX_DEPTH + 1];
	struct sp_entry e, d;
	uint8_t pk[32], sk[64];
	uint8_t *out = NULL;
	size_t len;

	(void)state;
	sp_test_keypair(4, pk, sk);
	for (int depth = SP_CBOR_MAX_DEPTH - 2; depth <= SP_CBOR_MAX_DEPTH; depth++) {
		/* depth nested one-element arrays around a 0 */
		memset(body, 0x81, (size_t)depth);
		body[depth] = 0x00;
		memset(&e, 0, sizeof(e));
		e.version = SP_ENTRY_VERSION;
		e.body = body;
		e.body_len = (size_t)depth + 1;
		int rc = sp_entry_sign(&e, sk, &out, &len);
		if (depth < SP_CBOR_MAX_DEPTH) {
			assert_int_equal(rc, 0);
			assert_int_equal(sp_entry_open(out, len, &d), 0);
			free(out);
			out = NULL;
		} else {
			assert_int_equal(rc, SP_ERR_CBOR_MALFORMED);
			assert_null(out);
		}
	}
}

/* ---- signatures ------------------------------------------------------- */

/* flip_and_open flips one bit of a copy of buf and opens it. */
static int flip_and_open(const uint8_t *buf, size_t len, size_t at, uint8_t bit)
{
	struct sp_entry d;
	uint8_t *copy = malloc(len);
	int err;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	copy[at] ^= bit;
	err = sp_entry_open(copy, len, &d);
	free(copy);
	return err;
}

static void test_signature_bit_flip(void **state)
{
	struct sp_entry e;
	size_t len;
	uint8_t *buf = make(1, 0, NULL, VEC_TIME, &e, &len);

	assert_int_equal(flip_and_open(buf, len, len - 1, 0x01), SP_ERR_BAD_SIGNATURE);
	assert_int_equal(flip_and_open(buf, len, len - 64, 0x80), SP_ERR_BAD_SIGNATURE);
	free(buf);
}

static void test_body_byte_changed(void **state)
{
	struct sp_entry e;
	size_t len;
	uint8_t *buf = make(1, 0, NULL, VEC_TIME, &e, &len);
	size_t j = (size_t)(e.body - buf) + 4; /* 'J' of the body text */

	assert_int_equal(buf[j], 'J');
	/* 'J' -> 'K': still valid CBOR, so only the signature catches it. */
	assert_int_equal(flip_and_open(buf, len, j, 'J' ^ 'K'), SP_ERR_BAD_SIGNATURE);
	free(buf);
}

/* No single-bit change anywhere in an entry survives sp_entry_open. */
static void test_every_bit_flip_rejected(void **state)
{
	struct sp_entry e;
	size_t len;
	uint8_t *buf = make(4, 3, NULL, VEC_TIME, &e, &len);

	for (size_t i = 0; i < len; i++)
		for (int b = 0; b < 8; b++)
			assert_int_not_equal(flip_and_open(buf, len, i, (uint8_t)(1u << b)), 0);
	free(buf);
}

static void test_verify_other_author(void **state)
{
	struct sp_entry e, d;
	uint8_t pk[32], sk[64];
	size_t len;
	uint8_t *buf = make(1, 0, NULL, VEC_TIME, &e, &len);

	assert_int_equal(sp_entry_decode(buf, len, &d), 0);
	sp_test_keypair(2, pk, sk);
	memcpy(d.author, pk, 32);
	assert_int_equal(sp_entry_verify(buf, len, &d), SP_ERR_BAD_SIGNATURE);
	/* An entry struct that does not belong to these bytes is misuse. */
	d.sig[0] ^= 1;
	assert_int_equal(sp_entry_verify(buf, len, &d), SP_ERR_ARG);
	free(buf);
}

/* ---- chain links ------------------------------------------------------ */

static void test_check_link(void **state)
{
	struct sp_entry e0, e1, x;
	uint8_t h0[32], bad[32];
	size_t len0, len1, lenx;
	uint8_t *b0 = make(5, 0, NULL, VEC_TIME, &e0, &len0);
	uint8_t *b1, *bx;

	sp_entry_hash(b0, len0, h0);
	b1 = make(5, 1, h0, VEC_TIME, &e1, &len1); /* equal time is allowed */
	assert_int_equal(sp_entry_check_link(NULL, NULL, &e0), 0);
	assert_int_equal(sp_entry_check_link(&e0, h0, &e1), 0);

	/* first entry: index must be 0 and prev all zeros */
	assert_int_equal(sp_entry_check_link(NULL, NULL, &e1), SP_ERR_WRONG_INDEX);
	x = e0;
	x.prev[31] = 1;
	assert_int_equal(sp_entry_check_link(NULL, NULL, &x), SP_ERR_WRONG_PREV);

	/* another author's entry */
	bx = make(6, 1, h0, VEC_TIME, &x, &lenx);
	assert_int_equal(sp_entry_check_link(&e0, h0, &x), SP_ERR_WRONG_AUTHOR);
	free(bx);

	/* index gap, repeat, and wrap-around */
	x = e1;
	x.index = 2;
	assert_int_equal(sp_entry_check_link(&e0, h0, &x), SP_ERR_WRONG_INDEX);
	x.index = 0;
	assert_int_equal(sp_entry_check_link(&e0, h0, &x), SP_ERR_WRONG_INDEX);
	x = e0;
	x.index = UINT64_MAX;
	assert_int_equal(sp_entry_check_link(&x, h0, &e0), SP_ERR_WRONG_INDEX);

	/* prev hash mismatch */
	memcpy(bad, h0, 32);
	bad[0] ^= 1;
	assert_int_equal(sp_entry_check_link(&e0, bad, &e1), SP_ERR_WRONG_PREV);

	/* time going backwards */
	x = e1;
	x.time_ms = VEC_TIME - 1;
	assert_int_equal(sp_entry_check_link(&e0, h0, &x), SP_ERR_TIME_ORDER);

	free(b0);
	free(b1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_decode_roundtrip),
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_shape_good),
		cmocka_unit_test(test_field_sizes),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_missing_field),
		cmocka_unit_test(test_extra_or_unknown_field),
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_wrong_kinds),
		cmocka_unit_test(test_bad_body),
		cmocka_unit_test(test_trailing_and_truncated),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_body_nesting_limit),
		cmocka_unit_test(test_signature_bit_flip),
		cmocka_unit_test(test_body_byte_changed),
		cmocka_unit_test(test_every_bit_flip_rejected),
		cmocka_unit_test(test_verify_other_author),
		cmocka_unit_test(test_check_link),
	};

	if (sodium_init() < 0)
		return 1;
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

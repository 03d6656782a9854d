/*
 * test_cbor.c - unit tests for the deterministic CBOR writer and the
 * strict reader (protocol/sp_cbor.c): exact encodings, round trips, and
 * one hand-written byte string per kind of non-canonical input, each
 * checked for its own error code.
 */
#include "sp_testutil.h"

#include <stdlib.h>
#include <string.h>

#include "sp_cbor.h"
#include "sp_err.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- sp_buf ----------------------------------------------------------- */

static void test_buf_grow_and_take(void **state)
{
	struct sp_buf b;
	uint8_t chunk[100];
	uint8_t *p;
	size_t len;

	memset(chunk, 0x5a, sizeof(chunk));
	sp_buf_init(&b);
	for (int i = 0; i < 50; i++)
		sp_buf_put(&b, chunk, sizeof(chunk));
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 5000);
	p = sp_buf_take(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 5000);
	assert_int_equal(p[4999], 0x5a);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	free(p);
}

static void test_buf_take_empty_or_failed(void **state)
{
	struct sp_buf b;
	size_t len = 99;

	sp_buf_init(&b);
	assert_null(sp_buf_take(&b, &len));
	assert_int_equal(len, 0);

	/* A latched error makes later writes no-ops and take fail, but the
	 * error stays readable after the NULL return. */
	sp_buf_put(&b, "ab", 2);
	b.err = SP_ERR_RANGE;
	sp_buf_put(&b, "cd", 2);
	assert_int_equal(b.len, 2);
	assert_null(sp_buf_take(&b, &len));
	assert_int_equal(b.err, SP_ERR_RANGE);
	sp_buf_free(&b);
	assert_int_equal(b.err, 0);
}

/* ---- writer: exact bytes ---------------------------------------------- */

struct uint_case {
	uint64_t v;
	size_t n;
	uint8_t enc[9];
};

static const struct uint_case uint_cases[] = {
	{0, 1, {0x00}},
	{23, 1, {0x17}},
	{24, 2, {0x18, 0x18}},
	{255, 2, {0x18, 0xff}},
	{256, 3, {0x19, 0x01, 0x00}},
	{65535, 3, {0x19, 0xff, 0xff}},
	{65536, 5, {0x1a, 0x00, 0x01, 0x00, 0x00}},
	{UINT32_MAX, 5, {0x1a, 0xff, 0xff, 0xff, 0xff}},
	{(uint64_t)UINT32_MAX + 1, 9, {0x1b, 0, 0, 0, 1, 0, 0, 0, 0}},
	{UINT64_MAX, 9, {0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
};

static void test_uint_roundtrip(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(uint_cases); i++) {
		const struct uint_case *c = &uint_cases[i];
		struct sp_buf b;
		struct sp_cbor_reader r;
		uint64_t v;

		sp_buf_init(&b);
		sp_cbor_put_uint(&b, c->v);
		assert_int_equal(b.err, 0);
		assert_int_equal(b.len, c->n);
		assert_memory_equal(b.p, c->enc, c->n);
		assert_int_equal(sp_cbor_validate(b.p, b.len), 0);
		sp_cbor_reader_init(&r, b.p, b.len);
		assert_int_equal(sp_cbor_read_uint(&r, &v), 0);
		assert_true(v == c->v);
		assert_true(sp_cbor_at_end(&r));
		sp_buf_free(&b);
	}
}

static void test_negint_roundtrip(void **state)
{
	static const uint64_t vals[] = {0, 23, 24, 255, 256, UINT64_MAX};
	static const uint8_t first[] = {0x20, 0x37, 0x38, 0x38, 0x39, 0x3b};

	for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
		struct sp_buf b;
		struct sp_cbor_reader r;
		struct sp_cbor_item it;

		sp_buf_init(&b);
		sp_cbor_put_negint(&b, vals[i]);
		assert_int_equal(b.p[0], first[i]);
		sp_cbor_reader_init(&r, b.p, b.len);
		assert_int_equal(sp_cbor_read(&r, &it), 0);
		assert_int_equal(it.kind, SP_CBOR_NEGINT);
		assert_true(it.val == vals[i]);
		sp_buf_free(&b);
	}
}

static void test_bytes_lengths(void **state)
{
	static const size_t lens[] = {0, 1, 23, 24, 255, 256, 70000};
	static const size_t heads[] = {1, 1, 1, 2, 2, 3, 5};
	uint8_t *data = malloc(70000);

	assert_non_null(data);
	for (size_t i = 0; i < 70000; i++)
		data[i] = (uint8_t)i;
	for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
		struct sp_buf b;
		struct sp_cbor_reader r;
		const uint8_t *p;
		size_t n;

		sp_buf_init(&b);
		sp_cbor_put_bytes(&b, data, lens[i]);
		assert_int_equal(b.err, 0);
		assert_int_equal(b.len, heads[i] + lens[i]);
		sp_cbor_reader_init(&r, b.p, b.len);
		assert_int_equal(sp_cbor_read_bytes(&r, &p, &n), 0);
		assert_int_equal(n, lens[i]);
		assert_ptr_equal(p, b.p + heads[i]);
		if (n)
			assert_memory_equal(p, data, n);
		assert_true(sp_cbor_at_end(&r));
		sp_buf_free(&b);
	}
	free(data);
}

static void test_text_roundtrip(void **state)
{
	static const char s[] = "Jalan rusak \xc3\xa9 \xf0\x9f\x98\x80";
	struct sp_buf b;
	struct sp_cbor_reader r;
	const char *t;
	size_t n;

	sp_buf_init(&b);
	sp_cbor_put_text(&b, s, strlen(s));
	assert_int_equal(b.p[0], 0x60 + strlen(s));
	sp_cbor_reader_init(&r, b.p, b.len);
	assert_int_equal(sp_cbor_read_text(&r, &t, &n), 0);
	assert_int_equal(n, strlen(s));
	assert_memory_equal(t, s, n);
	sp_buf_free(&b);
}

/* A nested value exercises every writer and the skip span. */
static void test_nested_roundtrip(void **state)
{
	static const uint8_t want[] = {
		0xa3,                   /* map(3) */
		0x00, 0x82, 0xf4, 0xf5, /* 0: [false, true] */
		0x01, 0xf6,             /* 1: null */
		0x18, 0x20, 0xa1, 0x05, 0x42, 0x01, 0x02, /* 32: {5: h'0102'} */
	};
	static const uint8_t two[] = {1, 2};
	struct sp_buf b;
	struct sp_cbor_reader r;
	size_t start, end;

	sp_buf_init(&b);
	sp_cbor_put_map(&b, 3);
	sp_cbor_put_uint(&b, 0);
	sp_cbor_put_array(&b, 2);
	sp_cbor_put_bool(&b, 0);
	sp_cbor_put_bool(&b, 1);
	sp_cbor_put_uint(&b, 1);
	sp_cbor_put_null(&b);
	sp_cbor_put_uint(&b, 32);
	sp_cbor_put_map(&b, 1);
	sp_cbor_put_uint(&b, 5);
	sp_cbor_put_bytes(&b, two, 2);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.p, want, sizeof(want));
	assert_int_equal(sp_cbor_validate(b.p, b.len), 0);

	sp_cbor_reader_init(&r, b.p, b.len);
	assert_int_equal(sp_cbor_skip(&r, &start, &end), 0);
	assert_int_equal(start, 0);
	assert_int_equal(end, sizeof(want));
	sp_buf_free(&b);
}

/* ---- typed reads and keys --------------------------------------------- */

static void test_typed_read_wrong_kind(void **state)
{
	static const uint8_t text[] = {0x61, 'a'};
	struct sp_cbor_reader r;
	uint64_t v;
	const uint8_t *p;
	size_t n;

	sp_cbor_reader_init(&r, text, sizeof(text));
	assert_int_equal(sp_cbor_read_uint(&r, &v), SP_ERR_CBOR_TYPE);
	assert_int_equal(r.pos, 0);
	assert_int_equal(sp_cbor_read_bytes(&r, &p, &n), SP_ERR_CBOR_TYPE);
	assert_int_equal(sp_cbor_read_map(&r, &v), SP_ERR_CBOR_TYPE);
	assert_int_equal(sp_cbor_read_array(&r, &v), SP_ERR_CBOR_TYPE);
}

static void test_read_key_order(void **state)
{
	static const uint8_t keys[] = {0x00, 0x05, 0x05, 0x03, 0x61, 'a'};
	struct sp_cbor_reader r;
	int64_t prev = SP_CBOR_NO_KEY;
	uint64_t k;

	sp_cbor_reader_init(&r, keys, sizeof(keys));
	assert_int_equal(sp_cbor_read_key(&r, &prev, &k), 0);
	assert_true(k == 0 && prev == 0);
	assert_int_equal(sp_cbor_read_key(&r, &prev, &k), 0);
	assert_true(k == 5 && prev == 5);
	assert_int_equal(sp_cbor_read_key(&r, &prev, &k), SP_ERR_CBOR_DUPKEY);
	assert_int_equal(sp_cbor_read_key(&r, &prev, &k), SP_ERR_CBOR_UNSORTED);
	assert_int_equal(sp_cbor_read_key(&r, &prev, &k), SP_ERR_CBOR_TYPE);
}

/* ---- strict reader: one case per error -------------------------------- */

struct bad_case {
	const char *what;
	uint8_t in[16];
	size_t n;
	int err;
};

#define BAD(what, err, ...)                                                                        \
	{                                                                                          \
		what, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), err                         \
	}

static const struct bad_case bad_cases[] = {
	/* shortest form */
	BAD("uint 5 in 1-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x18, 0x05),
	BAD("uint 23 in 1-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x18, 0x17),
	BAD("uint 255 in 2-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x19, 0x00, 0xff),
	BAD("uint in 4-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x1a, 0x00, 0x00, 0xff, 0xff),
	BAD("uint in 8-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff,
	    0xff),
	BAD("negint in 1-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x38, 0x05),
	BAD("bytes len 1 in 1-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x58, 0x01, 0xaa),
	BAD("bytes len 1 in 2-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x59, 0x00, 0x01, 0xaa),
	BAD("text len 1 in 1-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x78, 0x01, 'a'),
	BAD("array count in 1-byte arg", SP_ERR_CBOR_NONSHORTEST, 0x98, 0x01, 0x00),
	BAD("map count in 1-byte arg", SP_ERR_CBOR_NONSHORTEST, 0xb8, 0x01, 0x00, 0x00),
	BAD("map count in 2-byte arg", SP_ERR_CBOR_NONSHORTEST, 0xb9, 0x00, 0x01, 0x00, 0x00),
	BAD("non-shortest key", SP_ERR_CBOR_NONSHORTEST, 0xa1, 0x18, 0x01, 0x00),
	BAD("non-shortest nested", SP_ERR_CBOR_NONSHORTEST, 0x81, 0x81, 0x18, 0x00),
	/* indefinite lengths */
	BAD("indefinite array", SP_ERR_CBOR_INDEFINITE, 0x9f, 0x01, 0xff),
	BAD("indefinite bytes", SP_ERR_CBOR_INDEFINITE, 0x5f, 0x41, 0xaa, 0xff),
	BAD("indefinite text", SP_ERR_CBOR_INDEFINITE, 0x7f, 0x61, 'a', 0xff),
	BAD("indefinite map", SP_ERR_CBOR_INDEFINITE, 0xbf, 0x00, 0x00, 0xff),
	/* map keys */
	BAD("unsorted keys", SP_ERR_CBOR_UNSORTED, 0xa2, 0x01, 0x00, 0x00, 0x00),
	BAD("duplicate keys", SP_ERR_CBOR_DUPKEY, 0xa2, 0x01, 0x00, 0x01, 0x00),
	BAD("unsorted nested keys", SP_ERR_CBOR_UNSORTED, 0x81, 0xa2, 0x03, 0xf6, 0x02, 0xf6),
	BAD("text key", SP_ERR_CBOR_TYPE, 0xa1, 0x61, 'a', 0x00),
	BAD("negint key", SP_ERR_CBOR_TYPE, 0xa1, 0x20, 0x00),
	BAD("key above INT64_MAX", SP_ERR_CBOR_TYPE, 0xa1, 0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0,
	    0x00),
	/* trailing */
	BAD("trailing byte", SP_ERR_CBOR_TRAILING, 0x00, 0x00),
	BAD("trailing after map", SP_ERR_CBOR_TRAILING, 0xa0, 0xf6),
	/* kinds not allowed */
	BAD("half float", SP_ERR_CBOR_TYPE, 0xf9, 0x3c, 0x00),
	BAD("single float", SP_ERR_CBOR_TYPE, 0xfa, 0x3f, 0x80, 0x00, 0x00),
	BAD("double float", SP_ERR_CBOR_TYPE, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0),
	BAD("tag 0", SP_ERR_CBOR_TYPE, 0xc0, 0x60),
	BAD("tag 2 bignum", SP_ERR_CBOR_TYPE, 0xc2, 0x41, 0x01),
	BAD("unassigned tag 6", SP_ERR_CBOR_TYPE, 0xc6, 0x00),
	BAD("tag 32 1-byte arg", SP_ERR_CBOR_TYPE, 0xd8, 0x20, 0x60),
	BAD("undefined", SP_ERR_CBOR_TYPE, 0xf7),
	BAD("simple value 0", SP_ERR_CBOR_TYPE, 0xe0),
	BAD("simple value 32", SP_ERR_CBOR_TYPE, 0xf8, 0x20),
	BAD("float inside array", SP_ERR_CBOR_TYPE, 0x82, 0x00, 0xf9, 0x00, 0x00),
	/* UTF-8 */
	BAD("invalid byte ff", SP_ERR_CBOR_UTF8, 0x61, 0xff),
	BAD("lone continuation", SP_ERR_CBOR_UTF8, 0x61, 0x80),
	BAD("overlong 2-byte NUL", SP_ERR_CBOR_UTF8, 0x62, 0xc0, 0x80),
	BAD("overlong 2-byte C1", SP_ERR_CBOR_UTF8, 0x62, 0xc1, 0xbf),
	BAD("overlong 3-byte", SP_ERR_CBOR_UTF8, 0x63, 0xe0, 0x80, 0xaf),
	BAD("overlong 4-byte", SP_ERR_CBOR_UTF8, 0x64, 0xf0, 0x80, 0x80, 0xaf),
	BAD("surrogate D800", SP_ERR_CBOR_UTF8, 0x63, 0xed, 0xa0, 0x80),
	BAD("surrogate DFFF", SP_ERR_CBOR_UTF8, 0x63, 0xed, 0xbf, 0xbf),
	BAD("above U+10FFFF", SP_ERR_CBOR_UTF8, 0x64, 0xf4, 0x90, 0x80, 0x80),
	BAD("lead byte f5", SP_ERR_CBOR_UTF8, 0x64, 0xf5, 0x80, 0x80, 0x80),
	BAD("cut sequence", SP_ERR_CBOR_UTF8, 0x62, 0xe2, 0x82),
	BAD("bad continuation", SP_ERR_CBOR_UTF8, 0x63, 0xe2, 0x82, 0x41),
	BAD("bad text in map value", SP_ERR_CBOR_UTF8, 0xa1, 0x00, 0x61, 0xfe),
	/* not well-formed */
	BAD("truncated uint16", SP_ERR_CBOR_MALFORMED, 0x19, 0x01),
	BAD("truncated uint64", SP_ERR_CBOR_MALFORMED, 0x1b, 0x01, 0x02, 0x03, 0x04),
	BAD("truncated bytes", SP_ERR_CBOR_MALFORMED, 0x42, 0xaa),
	BAD("truncated text", SP_ERR_CBOR_MALFORMED, 0x63, 'a', 'b'),
	BAD("truncated array", SP_ERR_CBOR_MALFORMED, 0x82, 0x01),
	BAD("map without value", SP_ERR_CBOR_MALFORMED, 0xa1, 0x01),
	BAD("huge bytes length", SP_ERR_CBOR_MALFORMED, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x00),
	BAD("huge array count", SP_ERR_CBOR_MALFORMED, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x00),
	BAD("huge map count", SP_ERR_CBOR_MALFORMED, 0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x00),
	BAD("reserved ai 28", SP_ERR_CBOR_MALFORMED, 0x1c),
	BAD("indefinite uint", SP_ERR_CBOR_MALFORMED, 0x1f),
	BAD("reserved simple fc", SP_ERR_CBOR_MALFORMED, 0xfc),
	BAD("stray break", SP_ERR_CBOR_MALFORMED, 0xff),
	BAD("break inside array", SP_ERR_CBOR_MALFORMED, 0x81, 0xff),
};

static void test_bad_inputs(void **state)
{
	int failures = 0;

	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		int got = sp_cbor_validate(c->in, c->n);

		if (got != c->err) {
			print_error("%s: got %s, want %s\n", c->what, sp_errname(got),
				    sp_errname(c->err));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_empty_input(void **state)
{
	static const uint8_t none[1] = {0};
	struct sp_cbor_reader r;
	struct sp_cbor_item it;

	assert_int_equal(sp_cbor_validate(none, 0), SP_ERR_CBOR_MALFORMED);
	sp_cbor_reader_init(&r, none, 0);
	assert_true(sp_cbor_at_end(&r));
	assert_int_equal(sp_cbor_read(&r, &it), SP_ERR_CBOR_MALFORMED);
}

static void test_valid_utf8(void **state)
{
	/* Edges of each range in table 3-7: U+007F, U+0080, U+07FF, U+0800,
	 * U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF. */
	static const uint8_t ok[] = {0x78, 30,   0x7f, 0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0,
				     0x80, 0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80, 0xef, 0xbf,
				     0xbf, 0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf,
				     'a',  'b',  'c',  'd',  'e'};

	assert_int_equal(sp_cbor_validate(ok, sizeof(ok)), 0);
}

/* nest builds `levels` one-element arrays (or maps) around a 0. */
static size_t nest(uint8_t *buf, int levels, int maps)
{
	size_t n = 0;

	for (int i = 0; i < levels; i++) {
		if (maps) {
			buf[n++] = 0xa1;
			buf[n++] = 0x00;
		} else {
			buf[n++] = 0x81;
		}
	}
	buf[n++] = 0x00;
	return n;
}

static void test_depth_limit(void **state)
{
	uint8_t buf[2 * (SP_CBOR_MAX_DEPTH + 2) + 1];
	size_t n;

	n = nest(buf, SP_CBOR_MAX_DEPTH, 0);
	assert_int_equal(sp_cbor_validate(buf, n), 0);
	n = nest(buf, SP_CBOR_MAX_DEPTH + 1, 0);
	assert_int_equal(sp_cbor_validate(buf, n), SP_ERR_CBOR_MALFORMED);
	n = nest(buf, SP_CBOR_MAX_DEPTH, 1);
	assert_int_equal(sp_cbor_validate(buf, n), 0);
	n = nest(buf, SP_CBOR_MAX_DEPTH + 1, 1);
	assert_int_equal(sp_cbor_validate(buf, n), SP_ERR_CBOR_MALFORMED);
}

/* Every proper prefix of a valid item is truncated, never accepted. */
static void test_every_prefix_truncated(void **state)
{
	static const uint8_t item[] = {0xa2, 0x00, 0x82, 0x19, 0x01, 0x00, 0x62, 'h', 'i',
				       0x18, 0x40, 0x43, 0x01, 0x02, 0x03};

	assert_int_equal(sp_cbor_validate(item, sizeof(item)), 0);
	for (size_t n = 0; n < sizeof(item); n++)
		assert_int_equal(sp_cbor_validate(item, n), SP_ERR_CBOR_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grow_and_take),
		cmocka_unit_test(test_buf_take_empty_or_failed),
		cmocka_unit_test(test_uint_roundtrip),
		cmocka_unit_test(test_negint_roundtrip),
		cmocka_unit_test(test_bytes_lengths),
		cmocka_unit_test(test_text_roundtrip),
		cmocka_unit_test(test_nested_roundtrip),
		cmocka_unit_test(test_typed_read_wrong_kind),
		cmocka_unit_test(test_read_key_order),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_valid_utf8),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_every_prefix_truncated),
	};

	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

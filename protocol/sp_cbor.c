/*
 * sp_cbor.c - deterministic CBOR writer and strict reader (see sp_cbor.h).
 *
 * The writer asks libcbor's encoders for each head, so integers and lengths
 * always come out in shortest form. The reader lets libcbor's streaming
 * decoder parse one head at a time and then checks what libcbor accepts
 * but deterministic CBOR does not: longer-than-needed heads (found by
 * comparing the bytes consumed with the shortest head for the argument),
 * indefinite lengths, tags, floats, simple values and bad UTF-8.
 */
#include "sp_cbor.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cbor.h>

#include "sp_err.h"

/* libcbor takes lengths and counts as size_t; we pass uint64_t through. */
#if SIZE_MAX < UINT64_MAX
#error "sp_cbor.c assumes a 64-bit size_t"
#endif

/* Longest head: initial byte plus an 8-byte argument. */
#define SP_CBOR_HEAD_MAX 9

/* ---- writer ----------------------------------------------------------- */

/* put_head appends what a libcbor encoder wrote into a small scratch
 * buffer. An encoder returns 0 only if the scratch is too small, which
 * would be a bug here. */
static void put_head(struct sp_buf *b, const uint8_t *head, size_t n)
{
	if (n == 0) {
		if (!b->err)
			b->err = SP_ERR_INTERNAL;
		return;
	}
	sp_buf_put(b, head, n);
}

void sp_cbor_put_uint(struct sp_buf *b, uint64_t v)
{
	uint8_t h[SP_CBOR_HEAD_MAX];
	put_head(b, h, cbor_encode_uint(v, h, sizeof(h)));
}

void sp_cbor_put_negint(struct sp_buf *b, uint64_t n)
{
	uint8_t h[SP_CBOR_HEAD_MAX];
	put_head(b, h, cbor_encode_negint(n, h, sizeof(h)));
}

void sp_cbor_put_bytes(struct sp_buf *b, const uint8_t *p, size_t n)
{
	uint8_t h[SP_CBOR_HEAD_MAX];
	put_head(b, h, cbor_encode_bytestring_start(n, h, sizeof(h)));
	sp_buf_put(b, p, n);
}

void sp_cbor_put_text(struct sp_buf *b, const char *s, size_t n)
{
	uint8_t h[SP_CBOR_HEAD_MAX];
	put_head(b, h, cbor_encode_string_start(n, h, sizeof(h)));
	sp_buf_put(b, s, n);
}

void sp_cbor_put_cstr(struct sp_buf *b, const char *s)
{
	sp_cbor_put_text(b, s, strlen(s));
}

void sp_cbor_put_str(struct sp_buf *b, struct sp_str s)
{
	sp_cbor_put_text(b, s.p, s.n);
}

void sp_cbor_put_array(struct sp_buf *b, uint64_t count)
{
	uint8_t h[SP_CBOR_HEAD_MAX];
	put_head(b, h, cbor_encode_array_start((size_t)count, h, sizeof(h)));
}

void sp_cbor_put_map(struct sp_buf *b, uint64_t count)
{
	uint8_t h[SP_CBOR_HEAD_MAX];
	put_head(b, h, cbor_encode_map_start((size_t)count, h, sizeof(h)));
}

void sp_cbor_put_bool(struct sp_buf *b, int v)
{
	uint8_t h[SP_CBOR_HEAD_MAX];
	put_head(b, h, cbor_encode_bool(v != 0, h, sizeof(h)));
}

void sp_cbor_put_null(struct sp_buf *b)
{
	uint8_t h[SP_CBOR_HEAD_MAX];
	put_head(b, h, cbor_encode_null(h, sizeof(h)));
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* utf8_valid follows Unicode table 3-7 (well-formed byte sequences): the
 * narrowed second-byte ranges after E0, ED, F0 and F4 exclude overlong
 * forms, surrogates and code points above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t more;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false; /* continuation byte, C0, C1, F5..FF */
		}
		if (more > n - i - 1)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= more; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += more + 1;
	}
	return true;
}

/* ---- strict reader ---------------------------------------------------- */

/* What the libcbor callbacks record about the one head they saw. */
struct rd_ctx {
	int err;
	struct sp_cbor_item *it;
};

static void rd_set(void *c, enum sp_cbor_kind kind, uint64_t val, const uint8_t *data)
{
	struct rd_ctx *x = c;
	x->err = 0;
	x->it->kind = kind;
	x->it->val = val;
	x->it->data = data;
}

static void rd_fail(void *c, int err)
{
	((struct rd_ctx *)c)->err = err;
}

static void cb_uint8(void *c, uint8_t v)
{
	rd_set(c, SP_CBOR_UINT, v, NULL);
}

static void cb_uint16(void *c, uint16_t v)
{
	rd_set(c, SP_CBOR_UINT, v, NULL);
}

static void cb_uint32(void *c, uint32_t v)
{
	rd_set(c, SP_CBOR_UINT, v, NULL);
}

static void cb_uint64(void *c, uint64_t v)
{
	rd_set(c, SP_CBOR_UINT, v, NULL);
}

static void cb_negint8(void *c, uint8_t v)
{
	rd_set(c, SP_CBOR_NEGINT, v, NULL);
}

static void cb_negint16(void *c, uint16_t v)
{
	rd_set(c, SP_CBOR_NEGINT, v, NULL);
}

static void cb_negint32(void *c, uint32_t v)
{
	rd_set(c, SP_CBOR_NEGINT, v, NULL);
}

static void cb_negint64(void *c, uint64_t v)
{
	rd_set(c, SP_CBOR_NEGINT, v, NULL);
}

static void cb_bytes(void *c, cbor_data d, size_t n)
{
	rd_set(c, SP_CBOR_BYTES, n, d);
}

static void cb_text(void *c, cbor_data d, size_t n)
{
	rd_set(c, SP_CBOR_TEXT, n, d);
}

static void cb_array(void *c, size_t n)
{
	rd_set(c, SP_CBOR_ARRAY, n, NULL);
}

static void cb_map(void *c, size_t n)
{
	rd_set(c, SP_CBOR_MAP, n, NULL);
}

static void cb_bool(void *c, bool v)
{
	rd_set(c, v ? SP_CBOR_TRUE : SP_CBOR_FALSE, 0, NULL);
}

static void cb_null(void *c)
{
	rd_set(c, SP_CBOR_NULL, 0, NULL);
}

static void cb_indef(void *c)
{
	rd_fail(c, SP_ERR_CBOR_INDEFINITE);
}

static void cb_type(void *c)
{
	rd_fail(c, SP_ERR_CBOR_TYPE);
}

static void cb_tag(void *c, uint64_t v)
{
	rd_fail(c, SP_ERR_CBOR_TYPE);
}

static void cb_float(void *c, float v)
{
	rd_fail(c, SP_ERR_CBOR_TYPE);
}

static void cb_double(void *c, double v)
{
	rd_fail(c, SP_ERR_CBOR_TYPE);
}

/* A break outside an indefinite item is not well-formed. */
static void cb_break(void *c)
{
	rd_fail(c, SP_ERR_CBOR_MALFORMED);
}

/* Every member is set, so nothing is left NULL for libcbor to call; a
 * const table (rather than a copy of cbor_empty_callbacks patched at run
 * time) keeps the reader free of mutable globals. Note that libcbor calls
 * byte_string/string for definite strings and *_start for indefinite ones,
 * whatever the comments in its callbacks.h say. */
static const struct cbor_callbacks rd_callbacks = {
	.uint8 = cb_uint8,
	.uint16 = cb_uint16,
	.uint32 = cb_uint32,
	.uint64 = cb_uint64,
	.negint64 = cb_negint64,
	.negint32 = cb_negint32,
	.negint16 = cb_negint16,
	.negint8 = cb_negint8,
	.byte_string_start = cb_indef,
	.byte_string = cb_bytes,
	.string = cb_text,
	.string_start = cb_indef,
	.indef_array_start = cb_indef,
	.array_start = cb_array,
	.indef_map_start = cb_indef,
	.map_start = cb_map,
	.tag = cb_tag,
	.float2 = cb_float,
	.float4 = cb_float,
	.float8 = cb_double,
	.undefined = cb_type,
	.null = cb_null,
	.boolean = cb_bool,
	.indef_break = cb_break,
};

size_t sp_cbor_head_len(uint64_t v)
{
	if (v < 24)
		return 1;
	if (v <= UINT8_MAX)
		return 2;
	if (v <= UINT16_MAX)
		return 3;
	if (v <= UINT32_MAX)
		return 5;
	return 9;
}

/* precheck sorts out the initial bytes we reject by kind before libcbor
 * sees them, because libcbor reports several of them (unassigned tags,
 * simple values) only as a generic error. Returns 0 to go on. */
static int precheck(uint8_t ib)
{
	uint8_t major = ib >> 5, ai = ib & 0x1f;

	if (major == 6)
		return SP_ERR_CBOR_TYPE; /* any tag */
	if (major != 7)
		return 0;
	if (ib >= 0xf4 && ib <= 0xf6)
		return 0; /* false, true, null */
	if (ai >= 28)
		return SP_ERR_CBOR_MALFORMED; /* reserved, or a stray break */
	return SP_ERR_CBOR_TYPE; /* undefined, floats, other simple values */
}

void sp_cbor_reader_init(struct sp_cbor_reader *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
}

int sp_cbor_at_end(const struct sp_cbor_reader *r)
{
	return r->pos >= r->len;
}

/* check_item applies the rules libcbor does not: shortest heads and UTF-8.
 * `read` is what libcbor consumed: the head, plus the payload for strings. */
static int check_item(const struct sp_cbor_item *it, size_t read)
{
	size_t head = read;

	if (it->kind == SP_CBOR_BYTES || it->kind == SP_CBOR_TEXT)
		head = read - (size_t)it->val;
	if (head != sp_cbor_head_len(it->val))
		return SP_ERR_CBOR_NONSHORTEST;
	if (it->kind == SP_CBOR_TEXT && !utf8_valid(it->data, (size_t)it->val))
		return SP_ERR_CBOR_UTF8;
	return 0;
}

int sp_cbor_read(struct sp_cbor_reader *r, struct sp_cbor_item *it)
{
	struct cbor_decoder_result res;
	struct sp_cbor_item tmp;
	struct rd_ctx ctx = {SP_ERR_INTERNAL, &tmp};
	int err;

	if (r->pos >= r->len)
		return SP_ERR_CBOR_MALFORMED;
	err = precheck(r->buf[r->pos]);
	if (err)
		return err;
	res = cbor_stream_decode(r->buf + r->pos, r->len - r->pos, &rd_callbacks, &ctx);
	if (res.status != CBOR_DECODER_FINISHED)
		return SP_ERR_CBOR_MALFORMED; /* truncated or reserved encoding */
	if (ctx.err)
		return ctx.err;
	err = check_item(&tmp, res.read);
	if (err)
		return err;
	r->pos += res.read;
	*it = tmp;
	return 0;
}

/* read_kind reads one item and requires its kind. */
static int read_kind(struct sp_cbor_reader *r, enum sp_cbor_kind kind, struct sp_cbor_item *it)
{
	size_t pos = r->pos;
	int err = sp_cbor_read(r, it);

	if (err)
		return err;
	if (it->kind != kind) {
		r->pos = pos; /* leave the reader on the offending item */
		return SP_ERR_CBOR_TYPE;
	}
	return 0;
}

int sp_cbor_read_uint(struct sp_cbor_reader *r, uint64_t *v)
{
	struct sp_cbor_item it;
	int err = read_kind(r, SP_CBOR_UINT, &it);

	if (err == 0)
		*v = it.val;
	return err;
}

int sp_cbor_read_bytes(struct sp_cbor_reader *r, const uint8_t **p, size_t *n)
{
	struct sp_cbor_item it;
	int err = read_kind(r, SP_CBOR_BYTES, &it);

	if (err == 0) {
		*p = it.data;
		*n = (size_t)it.val;
	}
	return err;
}

int sp_cbor_read_fixed(struct sp_cbor_reader *r, uint8_t *dst, size_t n, int bad_len)
{
	const uint8_t *p;
	size_t got;
	int err = sp_cbor_read_bytes(r, &p, &got);

	if (err)
		return err;
	if (got != n)
		return bad_len;
	memcpy(dst, p, n);
	return 0;
}

int sp_cbor_read_text(struct sp_cbor_reader *r, const char **s, size_t *n)
{
	struct sp_cbor_item it;
	int err = read_kind(r, SP_CBOR_TEXT, &it);

	if (err == 0) {
		*s = (const char *)it.data;
		*n = (size_t)it.val;
	}
	return err;
}

int sp_cbor_read_map(struct sp_cbor_reader *r, uint64_t *count)
{
	struct sp_cbor_item it;
	int err = read_kind(r, SP_CBOR_MAP, &it);

	if (err == 0)
		*count = it.val;
	return err;
}

int sp_cbor_read_array(struct sp_cbor_reader *r, uint64_t *count)
{
	struct sp_cbor_item it;
	int err = read_kind(r, SP_CBOR_ARRAY, &it);

	if (err == 0)
		*count = it.val;
	return err;
}

/* Keys above INT64_MAX cannot be remembered in *prev (the header's int64
 * sentinel scheme), so they are refused as SP_ERR_CBOR_TYPE. */
int sp_cbor_read_key(struct sp_cbor_reader *r, int64_t *prev, uint64_t *key)
{
	uint64_t k;
	int err = sp_cbor_read_uint(r, &k);

	if (err)
		return err;
	if (k > (uint64_t)INT64_MAX)
		return SP_ERR_CBOR_TYPE;
	if (*prev != SP_CBOR_NO_KEY && (int64_t)k == *prev)
		return SP_ERR_CBOR_DUPKEY;
	if (*prev != SP_CBOR_NO_KEY && (int64_t)k < *prev)
		return SP_ERR_CBOR_UNSORTED;
	*prev = (int64_t)k;
	*key = k;
	return 0;
}

static int skip_item(struct sp_cbor_reader *r, int depth);

/* skip_children walks the elements (or key/value pairs) of a container.
 * Every element takes at least one byte, so a count larger than what is
 * left is rejected at once instead of looping on it. */
static int skip_children(struct sp_cbor_reader *r, const struct sp_cbor_item *it, int depth)
{
	uint64_t left = r->len - r->pos;
	int64_t prev = SP_CBOR_NO_KEY;
	uint64_t key;
	int err;

	if (depth >= SP_CBOR_MAX_DEPTH)
		return SP_ERR_CBOR_MALFORMED;
	if (it->val > left || (it->kind == SP_CBOR_MAP && it->val > left / 2))
		return SP_ERR_CBOR_MALFORMED;
	for (uint64_t i = 0; i < it->val; i++) {
		if (it->kind == SP_CBOR_MAP) {
			err = sp_cbor_read_key(r, &prev, &key);
			if (err)
				return err;
		}
		err = skip_item(r, depth + 1);
		if (err)
			return err;
	}
	return 0;
}

/* skip_item reads one item; depth counts the containers around it. */
static int skip_item(struct sp_cbor_reader *r, int depth)
{
	struct sp_cbor_item it;
	int err = sp_cbor_read(r, &it);

	if (err)
		return err;
	if (it.kind == SP_CBOR_ARRAY || it.kind == SP_CBOR_MAP)
		return skip_children(r, &it, depth);
	return 0;
}

int sp_cbor_skip(struct sp_cbor_reader *r, size_t *start, size_t *end)
{
	size_t pos = r->pos;
	int err = skip_item(r, 0);

	if (err)
		return err;
	if (start)
		*start = pos;
	if (end)
		*end = r->pos;
	return 0;
}

int sp_cbor_validate_nested(const uint8_t *buf, size_t len, int outer)
{
	struct sp_cbor_reader r;
	int err;

	if (outer < 0 || outer >= SP_CBOR_MAX_DEPTH)
		return SP_ERR_ARG;
	sp_cbor_reader_init(&r, buf, len);
	err = skip_item(&r, outer);
	if (err)
		return err;
	return sp_cbor_at_end(&r) ? 0 : SP_ERR_CBOR_TRAILING;
}

int sp_cbor_validate(const uint8_t *buf, size_t len)
{
	return sp_cbor_validate_nested(buf, len, 0);
}

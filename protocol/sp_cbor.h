/*
 * sp_cbor.h - deterministic CBOR (RFC 8949 section 4.2.1) for signed data.
 *
 * Everything Simpul signs is deterministic CBOR: shortest-form integers and
 * lengths, definite lengths only, map keys unsigned integers in strictly
 * ascending order, no floats, no tags, text strings valid UTF-8, nothing
 * after the top-level item. Writing goes through libcbor's encoders (which
 * always emit the shortest form) into a growable buffer; reading is a strict
 * pull parser on top of libcbor's streaming decoder that rejects each kind
 * of non-canonical input with its own sp_err code.
 *
 * The allowed item kinds are exactly those in enum sp_cbor_kind.
 */
#ifndef SP_CBOR_H
#define SP_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "sp_buf.h"

/* Deepest nesting accepted when validating or skipping an item. */
#define SP_CBOR_MAX_DEPTH 16

/* ---- writer: each appends one deterministic head (+payload) ---------- */

void sp_cbor_put_uint(struct sp_buf *b, uint64_t v);
void sp_cbor_put_negint(struct sp_buf *b, uint64_t n); /* encodes -1-n */
void sp_cbor_put_bytes(struct sp_buf *b, const uint8_t *p, size_t n);
void sp_cbor_put_text(struct sp_buf *b, const char *s, size_t n);
void sp_cbor_put_cstr(struct sp_buf *b, const char *s); /* text of a C string */
void sp_cbor_put_str(struct sp_buf *b, struct sp_str s); /* text of a borrowed string */
void sp_cbor_put_array(struct sp_buf *b, uint64_t count);
void sp_cbor_put_map(struct sp_buf *b, uint64_t count);
void sp_cbor_put_bool(struct sp_buf *b, int v);
void sp_cbor_put_null(struct sp_buf *b);

/* ---- strict reader ---------------------------------------------------- */

enum sp_cbor_kind {
	SP_CBOR_UINT,
	SP_CBOR_NEGINT, /* value -1-val */
	SP_CBOR_BYTES,
	SP_CBOR_TEXT,
	SP_CBOR_ARRAY,
	SP_CBOR_MAP,
	SP_CBOR_FALSE,
	SP_CBOR_TRUE,
	SP_CBOR_NULL,
};

/* One item head. For BYTES and TEXT, `data` points into the input and
 * `val` is the length; for ARRAY and MAP `val` is the element/pair count;
 * for UINT and NEGINT `val` is the argument. */
struct sp_cbor_item {
	enum sp_cbor_kind kind;
	uint64_t val;
	const uint8_t *data;
};

struct sp_cbor_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

/* sp_cbor_reader_init starts reading buf[0..len). The reader borrows buf. */
void sp_cbor_reader_init(struct sp_cbor_reader *r, const uint8_t *buf, size_t len);

/* sp_cbor_read reads one head (and a string's payload) strictly.
 * Errors: SP_ERR_CBOR_MALFORMED (truncated or ill-formed),
 * SP_ERR_CBOR_NONSHORTEST, SP_ERR_CBOR_INDEFINITE, SP_ERR_CBOR_TYPE
 * (float, tag, undefined, other simple values), SP_ERR_CBOR_UTF8. */
int sp_cbor_read(struct sp_cbor_reader *r, struct sp_cbor_item *it);

/* Typed reads: read one item and require its kind (else SP_ERR_CBOR_TYPE). */
int sp_cbor_read_uint(struct sp_cbor_reader *r, uint64_t *v);
int sp_cbor_read_bytes(struct sp_cbor_reader *r, const uint8_t **p, size_t *n);
int sp_cbor_read_text(struct sp_cbor_reader *r, const char **s, size_t *n);
int sp_cbor_read_map(struct sp_cbor_reader *r, uint64_t *count);
int sp_cbor_read_array(struct sp_cbor_reader *r, uint64_t *count);

/* sp_cbor_read_fixed reads a byte string that must be exactly n bytes and
 * copies it to dst (caller-owned, n bytes). A string of another length is
 * a field error of the caller's format, not a CBOR one, so the caller names
 * the code returned for it: bad_len. Other errors: as sp_cbor_read_bytes. */
int sp_cbor_read_fixed(struct sp_cbor_reader *r, uint8_t *dst, size_t n, int bad_len);

/* sp_cbor_read_key reads a map key: an unsigned integer strictly greater
 * than *prev (pass *prev = -1 as INT64_MIN sentinel: use
 * SP_CBOR_NO_KEY before the first key). Updates *prev.
 * Errors: SP_ERR_CBOR_TYPE, SP_ERR_CBOR_UNSORTED, SP_ERR_CBOR_DUPKEY. */
#define SP_CBOR_NO_KEY (-1)
int sp_cbor_read_key(struct sp_cbor_reader *r, int64_t *prev, uint64_t *key);

/* sp_cbor_skip reads and checks one complete item of any allowed kind,
 * nested ones included (map keys ascending, depth <= SP_CBOR_MAX_DEPTH),
 * leaving the reader after it. *start and *end (optional) receive its span. */
int sp_cbor_skip(struct sp_cbor_reader *r, size_t *start, size_t *end);

/* sp_cbor_validate checks that buf[0..len) is exactly one deterministic
 * item: sp_cbor_skip plus SP_ERR_CBOR_TRAILING for leftover bytes. */
int sp_cbor_validate(const uint8_t *buf, size_t len);

/* sp_cbor_validate_nested is sp_cbor_validate for an item that will sit
 * inside `outer` containers (an entry body sits inside the entry map: 1),
 * so its own nesting is checked against what the whole will be allowed. */
int sp_cbor_validate_nested(const uint8_t *buf, size_t len, int outer);

/* sp_cbor_head_len: bytes of the shortest head (initial byte and
 * argument) carrying argument v; what an item of that length or count
 * costs beyond its content, for size budgets. */
size_t sp_cbor_head_len(uint64_t v);

/* sp_cbor_at_end is 1 when the reader has consumed all input. */
int sp_cbor_at_end(const struct sp_cbor_reader *r);

#endif

/*
 * sp_entry.c - log entries: encode and sign, strict decode, verify, hash
 * and the chain-link check (format in sp_entry.h).
 *
 * Signing and verifying both build the same message, SP_ENTRY_SIG_DOMAIN
 * || 0xa7 || pairs 0..6, but a verifier always takes the pairs from the
 * received bytes: an entry is never re-encoded after it was signed.
 */
#include "sp_entry.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_err.h"

#define DOMAIN_LEN (sizeof(SP_ENTRY_SIG_DOMAIN) - 1)

/* Map heads of the signed (7 pairs) and complete (8 pairs) entry. */
#define HEAD_UNSIGNED 0xa7
#define HEAD_ENTRY    0xa8

/* Field keys, in the order they must appear. */
enum {
	F_VERSION,
	F_AUTHOR,
	F_INDEX,
	F_PREV,
	F_TIME,
	F_TYPE,
	F_BODY,
	F_SIG,
	F_COUNT,
};

/* The sig pair closes every entry and has a fixed shape in deterministic
 * CBOR: key 7 (0x07), a 64-byte string head (0x58 0x40), the signature. */
#define SIG_PAIR_LEN (3 + SP_SIG_BYTES)

/* ---- encoding and signing --------------------------------------------- */

/* put_unsigned_pairs appends pairs 0..6 of e; e->author must be set. */
static void put_unsigned_pairs(struct sp_buf *b, const struct sp_entry *e)
{
	sp_cbor_put_uint(b, F_VERSION);
	sp_cbor_put_uint(b, e->version);
	sp_cbor_put_uint(b, F_AUTHOR);
	sp_cbor_put_bytes(b, e->author, SP_KEY_BYTES);
	sp_cbor_put_uint(b, F_INDEX);
	sp_cbor_put_uint(b, e->index);
	sp_cbor_put_uint(b, F_PREV);
	sp_cbor_put_bytes(b, e->prev, SP_HASH_BYTES);
	sp_cbor_put_uint(b, F_TIME);
	sp_cbor_put_uint(b, e->time_ms);
	sp_cbor_put_uint(b, F_TYPE);
	sp_cbor_put_uint(b, e->type);
	sp_cbor_put_uint(b, F_BODY);
	sp_buf_put(b, e->body, e->body_len);
}

/* build_message fills b with DOMAIN || 0xa7 || pairs, the signed bytes. */
static void build_message(struct sp_buf *b, const uint8_t *pairs, size_t n)
{
	static const uint8_t head = HEAD_UNSIGNED;

	sp_buf_put(b, SP_ENTRY_SIG_DOMAIN, DOMAIN_LEN);
	sp_buf_put(b, &head, 1);
	sp_buf_put(b, pairs, n);
}

static int check_sign_args(const struct sp_entry *e, const uint8_t *sk, uint8_t **out,
			   size_t *out_len)
{
	if (e == NULL || sk == NULL || out == NULL || out_len == NULL)
		return SP_ERR_ARG;
	if (e->body == NULL || e->body_len == 0)
		return SP_ERR_ARG;
	/* We would sign something sp_entry_decode refuses. */
	if (e->version != SP_ENTRY_VERSION)
		return SP_ERR_ARG;
	if (e->body_len > SP_ENTRY_MAX)
		return SP_ERR_ENTRY_TOO_LARGE;
	/* The body sits inside the entry map: one level less to nest. */
	return sp_cbor_validate_nested(e->body, e->body_len, 1);
}

/* assemble writes the complete entry: 0xa8 || pairs || sig pair. */
static int assemble(const uint8_t *pairs, size_t n, const uint8_t sig[SP_SIG_BYTES],
		    uint8_t **out, size_t *out_len)
{
	static const uint8_t head = HEAD_ENTRY;
	struct sp_buf b;

	sp_buf_init(&b);
	sp_buf_put(&b, &head, 1);
	sp_buf_put(&b, pairs, n);
	sp_cbor_put_uint(&b, F_SIG);
	sp_cbor_put_bytes(&b, sig, SP_SIG_BYTES);
	*out = sp_buf_take(&b, out_len);
	return *out ? 0 : (b.err ? b.err : SP_ERR_INTERNAL);
}

int sp_entry_sign(struct sp_entry *e, const uint8_t sk[SP_SECRET_BYTES], uint8_t **out,
		  size_t *out_len)
{
	struct sp_buf msg;
	size_t pairs_len;
	int err = check_sign_args(e, sk, out, out_len);

	if (err)
		return err;
	crypto_sign_ed25519_sk_to_pk(e->author, sk);

	/* Build the message first; the entry reuses its pairs verbatim. */
	sp_buf_init(&msg);
	build_message(&msg, NULL, 0);
	put_unsigned_pairs(&msg, e);
	if (msg.err) {
		err = msg.err;
		goto done;
	}
	pairs_len = msg.len - DOMAIN_LEN - 1;
	if (1 + pairs_len + SIG_PAIR_LEN > SP_ENTRY_MAX) {
		err = SP_ERR_ENTRY_TOO_LARGE;
		goto done;
	}
	crypto_sign_detached(e->sig, NULL, msg.p, msg.len, sk);
	err = assemble(msg.p + DOMAIN_LEN + 1, pairs_len, e->sig, out, out_len);
	if (err == 0) {
		/* The body is the last thing before the sig pair. */
		e->body = *out + *out_len - SIG_PAIR_LEN - e->body_len;
	}
done:
	sp_buf_free(&msg);
	return err;
}

/* ---- strict decoding -------------------------------------------------- */

/* read_fixed reads a byte string that must be exactly n bytes long; another
 * length is SP_ERR_ENTRY_FIELD_SIZE. */
static int read_fixed(struct sp_cbor_reader *r, uint8_t *dst, size_t n)
{
	return sp_cbor_read_fixed(r, dst, n, SP_ERR_ENTRY_FIELD_SIZE);
}

static int read_version(struct sp_cbor_reader *r, struct sp_entry *e)
{
	int err = sp_cbor_read_uint(r, &e->version);

	if (err)
		return err;
	return e->version == SP_ENTRY_VERSION ? 0 : SP_ERR_ENTRY_VERSION;
}

static int read_body(struct sp_cbor_reader *r, struct sp_entry *e)
{
	size_t start, end;
	int err = sp_cbor_skip(r, &start, &end);

	if (err)
		return err;
	e->body = r->buf + start;
	e->body_len = end - start;
	return 0;
}

/* read_field decodes the value of field `key` into e. */
static int read_field(struct sp_cbor_reader *r, uint64_t key, struct sp_entry *e)
{
	switch (key) {
	case F_VERSION:
		return read_version(r, e);
	case F_AUTHOR:
		return read_fixed(r, e->author, SP_KEY_BYTES);
	case F_INDEX:
		return sp_cbor_read_uint(r, &e->index);
	case F_PREV:
		return read_fixed(r, e->prev, SP_HASH_BYTES);
	case F_TIME:
		return sp_cbor_read_uint(r, &e->time_ms);
	case F_TYPE:
		return sp_cbor_read_uint(r, &e->type);
	case F_BODY:
		return read_body(r, e);
	case F_SIG:
		return read_fixed(r, e->sig, SP_SIG_BYTES);
	}
	return SP_ERR_ENTRY_FIELD;
}

/* read_fields walks a map already known to be deterministic CBOR: its
 * keys ascend, so they are exactly 0..7 iff the i-th key is i, and the
 * map has 8 pairs. */
static int read_fields(const uint8_t *buf, size_t len, struct sp_entry *e)
{
	struct sp_cbor_reader r;
	int64_t prev = SP_CBOR_NO_KEY;
	uint64_t count, key;
	int err;

	sp_cbor_reader_init(&r, buf, len);
	err = sp_cbor_read_map(&r, &count);
	if (err)
		return err;
	for (uint64_t i = 0; i < count; i++) {
		err = sp_cbor_read_key(&r, &prev, &key);
		if (err)
			return err;
		if (key != i || key >= F_COUNT)
			return SP_ERR_ENTRY_FIELD; /* a gap or an unknown key */
		err = read_field(&r, key, e);
		if (err)
			return err;
	}
	return count == F_COUNT ? 0 : SP_ERR_ENTRY_FIELD;
}

int sp_entry_decode(const uint8_t *buf, size_t len, struct sp_entry *e)
{
	struct sp_entry tmp;
	int err;

	if (buf == NULL || e == NULL)
		return SP_ERR_ARG;
	if (len > SP_ENTRY_MAX)
		return SP_ERR_ENTRY_TOO_LARGE;
	/* All CBOR-level errors (order, duplicates, trailing bytes) come
	 * first, so they win over the field checks below. */
	err = sp_cbor_validate(buf, len);
	if (err)
		return err;
	memset(&tmp, 0, sizeof(tmp));
	err = read_fields(buf, len, &tmp);
	if (err)
		return err;
	*e = tmp;
	return 0;
}

/* ---- verification, hashing, chaining ---------------------------------- */

/* Decoding guarantees the layout checked here; it fails only if the
 * caller passes an entry that was not decoded from these bytes. */
static int sig_layout_ok(const uint8_t *buf, size_t len, const struct sp_entry *e)
{
	const uint8_t *s;

	if (len < 1 + SIG_PAIR_LEN || buf[0] != HEAD_ENTRY)
		return 0;
	s = buf + len - SIG_PAIR_LEN;
	return s[0] == F_SIG && s[1] == 0x58 && s[2] == SP_SIG_BYTES &&
	       memcmp(s + 3, e->sig, SP_SIG_BYTES) == 0;
}

int sp_entry_verify(const uint8_t *buf, size_t len, const struct sp_entry *e)
{
	struct sp_buf msg;
	int err;

	if (buf == NULL || e == NULL)
		return SP_ERR_ARG;
	if (!sig_layout_ok(buf, len, e))
		return SP_ERR_ARG;
	sp_buf_init(&msg);
	build_message(&msg, buf + 1, len - 1 - SIG_PAIR_LEN);
	err = msg.err;
	if (err == 0 && crypto_sign_verify_detached(e->sig, msg.p, msg.len, e->author) != 0)
		err = SP_ERR_BAD_SIGNATURE;
	sp_buf_free(&msg);
	return err;
}

int sp_entry_open(const uint8_t *buf, size_t len, struct sp_entry *e)
{
	int err = sp_entry_decode(buf, len, e);

	if (err)
		return err;
	return sp_entry_verify(buf, len, e);
}

void sp_entry_hash(const uint8_t *buf, size_t len, uint8_t out[SP_HASH_BYTES])
{
	crypto_hash_sha256(out, buf, len);
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int sp_entry_check_link(const struct sp_entry *prev_entry, const uint8_t prev_hash[SP_HASH_BYTES],
			const struct sp_entry *next)
{
	if (next == NULL)
		return SP_ERR_ARG;
	if (prev_entry == NULL) {
		if (next->index != 0)
			return SP_ERR_WRONG_INDEX;
		return all_zero(next->prev, SP_HASH_BYTES) ? 0 : SP_ERR_WRONG_PREV;
	}
	if (prev_hash == NULL)
		return SP_ERR_ARG;
	if (memcmp(prev_entry->author, next->author, SP_KEY_BYTES) != 0)
		return SP_ERR_WRONG_AUTHOR;
	/* Written this way so UINT64_MAX cannot wrap to 0. */
	if (next->index == 0 || next->index - 1 != prev_entry->index)
		return SP_ERR_WRONG_INDEX;
	if (memcmp(prev_hash, next->prev, SP_HASH_BYTES) != 0)
		return SP_ERR_WRONG_PREV;
	if (next->time_ms < prev_entry->time_ms)
		return SP_ERR_TIME_ORDER;
	return 0;
}

/*
 * sp_entry.h - log entries: encoding, decoding, signing, hashing.
 *
 * An entry is one deterministic CBOR map with unsigned integer keys:
 *
 *   0 version  uint   SP_ENTRY_VERSION
 *   1 author   bytes  32-byte Ed25519 public key of the log's writer
 *   2 index    uint   position in the log, from 0
 *   3 prev     bytes  32-byte SHA-256 of entry index-1 (32 zero bytes at 0)
 *   4 time     uint   milliseconds since the Unix epoch
 *   5 type     uint   event type (the node layer defines the values)
 *   6 body     any    one deterministic CBOR item, type-specific
 *   7 sig      bytes  64-byte Ed25519 signature
 *
 * The signature covers SP_ENTRY_SIG_DOMAIN followed by the deterministic
 * encoding of the same map without key 7: a 7-pair map head (0xa7) and the
 * exact bytes of pairs 0..6 as they stand in the entry. A verifier takes
 * those bytes from the received entry; nothing is ever re-encoded.
 *
 * The entry hash is SHA-256 of the whole encoded entry (signature included);
 * the next entry's `prev` and report ids use it. The Merkle leaf hash is
 * different (RFC 6962: SHA-256(0x00 || entry)), see sp_merkle.h.
 */
#ifndef SP_ENTRY_H
#define SP_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#define SP_ENTRY_VERSION 1
#define SP_ENTRY_MAX 65535 /* bytes, whole encoded entry */
#define SP_KEY_BYTES 32
#define SP_SECRET_BYTES 64 /* libsodium Ed25519 secret key (seed || pk) */
#define SP_HASH_BYTES 32
#define SP_SIG_BYTES 64
#define SP_ENTRY_SIG_DOMAIN "simpul/entry/v1\n"

/* A decoded entry. `body` points into the buffer that was decoded (the
 * struct borrows it); after sp_entry_sign it points into the new entry. */
struct sp_entry {
	uint64_t version;
	uint8_t author[SP_KEY_BYTES];
	uint64_t index;
	uint8_t prev[SP_HASH_BYTES];
	uint64_t time_ms;
	uint64_t type;
	const uint8_t *body; /* exact CBOR bytes of the body item */
	size_t body_len;
	uint8_t sig[SP_SIG_BYTES];
};

/* sp_entry_sign encodes e (version, index, prev, time, type, body; author is
 * taken from sk), signs it with sk and returns the complete entry in a new
 * buffer *out of *out_len bytes, which the caller frees with free(). Sets
 * e->author and e->sig, and points e->body into *out.
 * Errors: SP_ERR_ARG, SP_ERR_NOMEM, SP_ERR_ENTRY_TOO_LARGE, and the
 * sp_cbor_validate errors if body is not one deterministic item. */
int sp_entry_sign(struct sp_entry *e, const uint8_t sk[SP_SECRET_BYTES], uint8_t **out,
		  size_t *out_len);

/* sp_entry_decode strictly decodes buf[0..len) into *e (which borrows buf).
 * It checks the encoding only, not the signature. Errors: every
 * SP_ERR_CBOR_* code, SP_ERR_ENTRY_FIELD (missing or unknown key),
 * SP_ERR_ENTRY_FIELD_SIZE, SP_ERR_ENTRY_VERSION, SP_ERR_ENTRY_TOO_LARGE. */
int sp_entry_decode(const uint8_t *buf, size_t len, struct sp_entry *e);

/* sp_entry_verify checks the signature of an entry already decoded from
 * buf[0..len) into e, against e->author. SP_ERR_BAD_SIGNATURE on failure. */
int sp_entry_verify(const uint8_t *buf, size_t len, const struct sp_entry *e);

/* sp_entry_open = decode + verify. */
int sp_entry_open(const uint8_t *buf, size_t len, struct sp_entry *e);

/* sp_entry_hash computes SHA-256 of the encoded entry. */
void sp_entry_hash(const uint8_t *buf, size_t len, uint8_t out[SP_HASH_BYTES]);

/* sp_entry_check_link checks that `next` may follow `prev_entry` (whose
 * encoded bytes hash to prev_hash) in one log: same author, index + 1,
 * matching prev hash, time not decreasing. For next->index == 0 pass
 * prev_entry = NULL: prev must be all zeros.
 * Errors: SP_ERR_WRONG_AUTHOR, SP_ERR_WRONG_INDEX, SP_ERR_WRONG_PREV,
 * SP_ERR_TIME_ORDER. */
int sp_entry_check_link(const struct sp_entry *prev_entry, const uint8_t prev_hash[SP_HASH_BYTES],
			const struct sp_entry *next);

#endif

/*
 * sp_admin.h - an administrator's signed request: the SP_EV_ADMIN record.
 *
 * Every change to the directory made through a node's API (enrol an
 * officer, add an institution, set a route, a policy, a year's calendar)
 * is a request signed by an admin officer with their own Ed25519 key (or
 * by the node's own key, on the node's host). The node checks it and
 * writes it, unchanged, as the body of an SP_EV_ADMIN entry in its log, so
 * the log says which person asked for each change and every node and
 * observer can check the signature and the officer's standing again.
 *
 * Body: one deterministic CBOR map, every key required, no other:
 *
 *   0 officer  bytes(32)  the signer's Ed25519 public key
 *   1 nonce    bytes(16)  random, names the request (a second use is a replay)
 *   2 expires  uint       ms since the epoch: no node writes it after this
 *   3 type     uint       the record carried: SP_EV_INSTITUTION, _OFFICER,
 *                         _ROUTE, _POLICY or _CALENDAR
 *   4 record   bytes      that record's body (docs/directory.md), 1..60000 bytes
 *   5 sig      bytes(64)  Ed25519 over SP_ADMIN_DOMAIN || the encoding of
 *                         the map of keys 0..4 alone (5 pairs)
 *
 * Pure code: no I/O, no clock.
 */
#ifndef SP_ADMIN_H
#define SP_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "sp_cbor.h"
#include "sp_entry.h"

#define SP_ADMIN_DOMAIN "simpul/admin/v1\n"
#define SP_ADMIN_NONCE_BYTES 16
#define SP_ADMIN_RECORD_MAX 60000
#define SP_ADMIN_TTL_MAX_MS (15ULL * 60 * 1000) /* longest life a node accepts */

struct sp_admin_req {
	uint8_t officer[SP_KEY_BYTES];
	uint8_t nonce[SP_ADMIN_NONCE_BYTES];
	uint64_t expires_ms;
	uint64_t type;
	const uint8_t *record; /* borrowed */
	size_t record_len;
	uint8_t sig[SP_SIG_BYTES];
};

/* sp_admin_type_ok: 1 if an admin request may carry records of type t. */
int sp_admin_type_ok(uint64_t t);

/* sp_admin_sign sets r->officer from sk, a fresh random r->nonce and
 * r->sig, and appends the whole body to out (caller-owned; out->err on
 * allocation failure is SP_ERR_NOMEM). r->type, r->record and
 * r->expires_ms are the caller's. SP_ERR_ARG for a type not allowed or a
 * record of the wrong size. */
int sp_admin_sign(struct sp_admin_req *r, const uint8_t sk[SP_SECRET_BYTES], struct sp_buf *out);

/* sp_admin_decode strictly decodes body[0..len) into *r (r->record borrows
 * body) and verifies the signature. Errors: SP_ERR_DIR_RECORD (missing,
 * unknown or out-of-order key, wrong size, a type not allowed), the
 * SP_ERR_CBOR_* codes, SP_ERR_BAD_SIGNATURE. */
int sp_admin_decode(const uint8_t *body, size_t len, struct sp_admin_req *r);

/* sp_admin_inner: for an SP_EV_ADMIN entry e, decodes its request into *r
 * and makes *inner the entry as if it carried the record itself (same
 * author, index and time; inner->type and body are the record's). Errors:
 * those of sp_admin_decode, SP_ERR_ARG (e is another type). */
int sp_admin_inner(const struct sp_entry *e, struct sp_admin_req *r, struct sp_entry *inner);

#endif

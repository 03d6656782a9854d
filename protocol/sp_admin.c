/*
 * sp_admin.c - encoding, signing and strict decoding of an administrator's
 * signed request (SP_EV_ADMIN, see sp_admin.h).
 */
#include "sp_admin.h"

#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_event.h"

int sp_admin_type_ok(uint64_t t)
{
	return t == SP_EV_INSTITUTION || t == SP_EV_OFFICER || t == SP_EV_ROUTE ||
	       t == SP_EV_POLICY || t == SP_EV_CALENDAR || t == SP_EV_RETIRE;
}

/* put_signed writes the map of keys 0..4: what the signature covers. */
static void put_signed(struct sp_buf *b, const struct sp_admin_req *r, uint64_t pairs)
{
	sp_cbor_put_map(b, pairs);
	sp_cbor_put_uint(b, 0);
	sp_cbor_put_bytes(b, r->officer, SP_KEY_BYTES);
	sp_cbor_put_uint(b, 1);
	sp_cbor_put_bytes(b, r->nonce, SP_ADMIN_NONCE_BYTES);
	sp_cbor_put_uint(b, 2);
	sp_cbor_put_uint(b, r->expires_ms);
	sp_cbor_put_uint(b, 3);
	sp_cbor_put_uint(b, r->type);
	sp_cbor_put_uint(b, 4);
	sp_cbor_put_bytes(b, r->record, r->record_len);
}

/* message builds SP_ADMIN_DOMAIN || map{0..4} into m (caller frees). */
static int message(const struct sp_admin_req *r, struct sp_buf *m)
{
	sp_buf_put(m, SP_ADMIN_DOMAIN, sizeof(SP_ADMIN_DOMAIN) - 1);
	put_signed(m, r, 5);
	return m->err ? SP_ERR_NOMEM : 0;
}

static int shape_ok(const struct sp_admin_req *r)
{
	return sp_admin_type_ok(r->type) && r->record != NULL && r->record_len >= 1 &&
	       r->record_len <= SP_ADMIN_RECORD_MAX;
}

int sp_admin_sign(struct sp_admin_req *r, const uint8_t sk[SP_SECRET_BYTES], struct sp_buf *out)
{
	if (r == NULL || sk == NULL || out == NULL || !shape_ok(r))
		return SP_ERR_ARG;
	crypto_sign_ed25519_sk_to_pk(r->officer, sk);
	randombytes_buf(r->nonce, sizeof(r->nonce));
	struct sp_buf m;
	sp_buf_init(&m);
	int rc = message(r, &m);
	if (rc == 0)
		crypto_sign_detached(r->sig, NULL, m.p, m.len, sk);
	sp_buf_free(&m);
	if (rc)
		return rc;
	put_signed(out, r, 6);
	sp_cbor_put_uint(out, 5);
	sp_cbor_put_bytes(out, r->sig, SP_SIG_BYTES);
	return out->err ? SP_ERR_NOMEM : 0;
}

static int field_err(int rc)
{
	return rc == SP_ERR_CBOR_TYPE ? SP_ERR_DIR_RECORD : rc;
}

static int read_fields(struct sp_cbor_reader *rd, struct sp_admin_req *r)
{
	uint64_t n, k;
	int64_t prev = SP_CBOR_NO_KEY;
	int rc = field_err(sp_cbor_read_map(rd, &n));
	if (rc == 0 && n != 6)
		rc = SP_ERR_DIR_RECORD;
	for (uint64_t want = 0; want < 6 && rc == 0; want++) {
		rc = field_err(sp_cbor_read_key(rd, &prev, &k));
		if (rc == 0 && k != want)
			rc = SP_ERR_DIR_RECORD;
		if (rc)
			break;
		if (want == 0)
			rc = sp_cbor_read_fixed(rd, r->officer, SP_KEY_BYTES, SP_ERR_DIR_RECORD);
		else if (want == 1)
			rc = sp_cbor_read_fixed(rd, r->nonce, SP_ADMIN_NONCE_BYTES, SP_ERR_DIR_RECORD);
		else if (want == 2)
			rc = sp_cbor_read_uint(rd, &r->expires_ms);
		else if (want == 3)
			rc = sp_cbor_read_uint(rd, &r->type);
		else if (want == 4)
			rc = sp_cbor_read_bytes(rd, &r->record, &r->record_len);
		else
			rc = sp_cbor_read_fixed(rd, r->sig, SP_SIG_BYTES, SP_ERR_DIR_RECORD);
		rc = field_err(rc);
	}
	return rc;
}

int sp_admin_decode(const uint8_t *body, size_t len, struct sp_admin_req *r)
{
	if (body == NULL || r == NULL)
		return SP_ERR_ARG;
	memset(r, 0, sizeof(*r));
	struct sp_cbor_reader rd;
	sp_cbor_reader_init(&rd, body, len);
	int rc = read_fields(&rd, r);
	if (rc == 0 && !sp_cbor_at_end(&rd))
		rc = SP_ERR_CBOR_TRAILING;
	if (rc == 0 && !shape_ok(r))
		rc = SP_ERR_DIR_RECORD;
	if (rc)
		return rc;
	struct sp_buf m;
	sp_buf_init(&m);
	rc = message(r, &m);
	if (rc == 0 && crypto_sign_verify_detached(r->sig, m.p, m.len, r->officer) != 0)
		rc = SP_ERR_BAD_SIGNATURE;
	sp_buf_free(&m);
	return rc;
}

int sp_admin_inner(const struct sp_entry *e, struct sp_admin_req *r, struct sp_entry *inner)
{
	if (e == NULL || e->type != SP_EV_ADMIN)
		return SP_ERR_ARG;
	int rc = sp_admin_decode(e->body, e->body_len, r);
	if (rc)
		return rc;
	*inner = *e;
	inner->type = r->type;
	inner->body = r->record;
	inner->body_len = r->record_len;
	return 0;
}

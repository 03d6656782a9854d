/*
 * test_admin_req.c - unit tests for an administrator's signed request
 * (protocol/sp_admin.c) and how the directory applies one (SP_EV_ADMIN in
 * protocol/sp_dir.c): strict decoding, the signature, expiry at the
 * entry's time, the signer's standing (enrolled, admin) and authority (the
 * coordinator's admins anything, a delegate's admins their subtree), no
 * nesting, a calendar only from the coordinator, and sp_dir_check changing
 * nothing.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_admin.h"
#include "sp_cal.h"
#include "sp_dir.h"
#include "sp_err.h"
#include "sp_event.h"

enum { K_ROOT = 1, K_73, K_7312, K_ADMIN, K_PENGH, K_KAB_ADMIN, K_NEW, K_STRANGER };

#define T0 1000000

static void pk_of(uint8_t seed, uint8_t pk[32])
{
	uint8_t sk[64];
	sp_test_keypair(seed, pk, sk);
}

/* entry signs body (type) as `writer` at t; *e points into *buf. */
static void entry(uint8_t writer, uint64_t t, uint64_t type, const struct sp_buf *body,
		  uint8_t **buf, size_t *len, struct sp_entry *e)
{
	uint8_t pk[32], sk[64];
	sp_test_keypair(writer, pk, sk);
	memset(e, 0, sizeof(*e));
	e->version = SP_ENTRY_VERSION;
	e->time_ms = t;
	e->type = type;
	e->body = body->p;
	e->body_len = body->len;
	assert_int_equal(sp_entry_sign(e, sk, buf, len), 0);
	assert_int_equal(sp_entry_decode(*buf, *len, e), 0);
}

static int put(struct sp_dir *d, uint8_t writer, uint64_t t, uint64_t type,
	       const struct sp_buf *body)
{
	uint8_t *buf;
	size_t len;
	struct sp_entry e;
	entry(writer, t, type, body, &buf, &len, &e);
	int rc = sp_dir_apply_entry(d, buf, len);
	free(buf);
	return rc;
}

/* req wraps record (type) in a request signed by `signer`, expiring at exp. */
static void req(struct sp_buf *out, uint8_t signer, uint64_t exp, uint64_t type,
		const struct sp_buf *record)
{
	uint8_t pk[32], sk[64];
	sp_test_keypair(signer, pk, sk);
	struct sp_admin_req r = {.type = type, .record = record->p, .record_len = record->len,
				 .expires_ms = exp};
	out->len = 0;
	assert_int_equal(sp_admin_sign(&r, sk, out), 0);
}

static void inst(struct sp_buf *b, const char *id, enum sp_dir_tier tier, const char *parent,
		 uint8_t key, const char *region)
{
	struct sp_dir_inst r = {.tier = tier};
	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.name, sizeof(r.name), "Institusi %s", id);
	snprintf(r.parent, sizeof(r.parent), "%s", parent);
	pk_of(key, r.sign_key);
	memset(r.seal_key, key, 32);
	if (region) {
		r.nregions = 1;
		snprintf(r.regions[0], sizeof(r.regions[0]), "%s", region);
	}
	b->len = 0;
	assert_int_equal(sp_dir_inst_encode(&r, b), 0);
}

static void officer(struct sp_buf *b, const char *at, uint8_t key, enum sp_dir_role role)
{
	struct sp_dir_officer o = {.role = role, .action = SP_DIR_ENROL};
	snprintf(o.inst, sizeof(o.inst), "%s", at);
	pk_of(key, o.key);
	snprintf(o.name, sizeof(o.name), "Petugas %d", key);
	b->len = 0;
	assert_int_equal(sp_dir_officer_encode(&o, b), 0);
}

/* A coordinator KEMENPANRB, province 73 and kabupaten 73.12 delegated to
 * themselves; an admin and a penghubung at the coordinator, an admin at
 * 73.12. */
static struct sp_dir *world(void)
{
	uint8_t root[32];
	pk_of(K_ROOT, root);
	struct sp_dir *d;
	assert_int_equal(sp_dir_new(root, &d), 0);
	struct sp_buf b;
	sp_buf_init(&b);
	inst(&b, "KEMENPANRB", SP_DIR_TIER_COORDINATOR, "", K_ROOT, NULL);
	assert_int_equal(put(d, K_ROOT, 1, SP_EV_INSTITUTION, &b), 0);
	inst(&b, "73", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73, "73");
	assert_int_equal(put(d, K_ROOT, 2, SP_EV_INSTITUTION, &b), 0);
	inst(&b, "73.12", SP_DIR_TIER_KABKOTA, "73", K_7312, "73.12");
	assert_int_equal(put(d, K_ROOT, 3, SP_EV_INSTITUTION, &b), 0);
	struct sp_dir_delegate del = {.delegate = "73.12", .root = "73.12", .grant = 1};
	b.len = 0;
	assert_int_equal(sp_dir_delegate_encode(&del, &b), 0);
	assert_int_equal(put(d, K_ROOT, 4, SP_EV_DELEGATE, &b), 0);
	officer(&b, "KEMENPANRB", K_ADMIN, SP_DIR_ROLE_ADMIN);
	assert_int_equal(put(d, K_ROOT, 5, SP_EV_OFFICER, &b), 0);
	officer(&b, "KEMENPANRB", K_PENGH, SP_DIR_ROLE_PENGHUBUNG);
	assert_int_equal(put(d, K_ROOT, 6, SP_EV_OFFICER, &b), 0);
	officer(&b, "73.12", K_KAB_ADMIN, SP_DIR_ROLE_ADMIN);
	assert_int_equal(put(d, K_ROOT, 7, SP_EV_OFFICER, &b), 0);
	sp_buf_free(&b);
	return d;
}

static int enrolled(const struct sp_dir *d, uint8_t key)
{
	uint8_t pk[32];
	struct sp_dir_officer o;
	pk_of(key, pk);
	return sp_dir_officer(d, pk, SP_DIR_TIME_MAX, &o) == 0;
}

static void test_round_trip_and_strictness(void **state)
{
	(void)state;
	struct sp_buf rec, body;
	sp_buf_init(&rec);
	sp_buf_init(&body);
	officer(&rec, "73.12", K_NEW, SP_DIR_ROLE_PENGHUBUNG);
	req(&body, K_ADMIN, T0 + 1000, SP_EV_OFFICER, &rec);
	struct sp_admin_req r;
	assert_int_equal(sp_admin_decode(body.p, body.len, &r), 0);
	assert_int_equal(r.type, SP_EV_OFFICER);
	assert_int_equal(r.expires_ms, T0 + 1000);
	assert_int_equal(r.record_len, rec.len);
	assert_memory_equal(r.record, rec.p, rec.len);
	/* any byte changed breaks it: signature, or a decoding error */
	for (size_t i = 0; i < body.len; i++) {
		body.p[i] ^= 0x01;
		assert_int_not_equal(sp_admin_decode(body.p, body.len, &r), 0);
		body.p[i] ^= 0x01;
	}
	/* trailing bytes, truncation */
	sp_buf_put(&body, "\x00", 1);
	assert_int_equal(sp_admin_decode(body.p, body.len, &r), SP_ERR_CBOR_TRAILING);
	assert_int_not_equal(sp_admin_decode(body.p, body.len - 2, &r), 0);
	/* only directory records an admin may request */
	uint8_t pk[32], sk[64];
	sp_test_keypair(K_ADMIN, pk, sk);
	struct sp_admin_req bad = {.type = SP_EV_DELEGATE, .record = rec.p,
				   .record_len = rec.len, .expires_ms = 1};
	assert_int_equal(sp_admin_sign(&bad, sk, &body), SP_ERR_ARG);
	bad.type = SP_EV_ADMIN;
	assert_int_equal(sp_admin_sign(&bad, sk, &body), SP_ERR_ARG);
	sp_buf_free(&rec);
	sp_buf_free(&body);
}

/* check then apply one request written by `writer` at T0. */
static int both(struct sp_dir *d, uint8_t writer, const struct sp_buf *body)
{
	uint8_t *buf;
	size_t len;
	struct sp_entry e;
	entry(writer, T0, SP_EV_ADMIN, body, &buf, &len, &e);
	int c = sp_dir_check(d, &e);
	int rc = sp_dir_apply(d, &e);
	free(buf);
	assert_int_equal(c, rc); /* the dry run says what applying does */
	return rc;
}

static void test_standing_and_authority(void **state)
{
	(void)state;
	struct sp_dir *d = world();
	struct sp_buf rec, body;
	sp_buf_init(&rec);
	sp_buf_init(&body);
	officer(&rec, "73.12", K_NEW, SP_DIR_ROLE_PENGHUBUNG);

	/* expired at the entry's time */
	req(&body, K_ADMIN, T0 - 1, SP_EV_OFFICER, &rec);
	assert_int_equal(both(d, K_ROOT, &body), SP_ERR_EXPIRED);
	/* not enrolled; a penghubung */
	req(&body, K_STRANGER, T0 + 1, SP_EV_OFFICER, &rec);
	assert_int_equal(both(d, K_ROOT, &body), SP_ERR_UNKNOWN_OFFICER);
	req(&body, K_PENGH, T0 + 1, SP_EV_OFFICER, &rec);
	assert_int_equal(both(d, K_ROOT, &body), SP_ERR_AUTHORITY);
	/* written by a log that may not write it (73's node is not delegated) */
	req(&body, K_ADMIN, T0 + 1, SP_EV_OFFICER, &rec);
	assert_int_equal(both(d, K_73, &body), SP_ERR_NOT_DELEGATED);
	assert_false(enrolled(d, K_NEW));

	/* 73.12's admin: inside its subtree yes, a policy never */
	req(&body, K_KAB_ADMIN, T0 + 1, SP_EV_OFFICER, &rec);
	assert_int_equal(both(d, K_ROOT, &body), 0);
	assert_true(enrolled(d, K_NEW));
	officer(&rec, "73", K_STRANGER, SP_DIR_ROLE_PENGHUBUNG);
	req(&body, K_KAB_ADMIN, T0 + 1, SP_EV_OFFICER, &rec);
	assert_int_equal(both(d, K_ROOT, &body), SP_ERR_NOT_DELEGATED);
	assert_false(enrolled(d, K_STRANGER));
	struct sp_dir_policy pol = {"", 2, 4, 10, 30};
	rec.len = 0;
	assert_int_equal(sp_dir_policy_encode(&pol, &rec), 0);
	req(&body, K_KAB_ADMIN, T0 + 1, SP_EV_POLICY, &rec);
	assert_int_equal(both(d, K_ROOT, &body), SP_ERR_NOT_DELEGATED);
	/* the coordinator's admin: a policy yes */
	req(&body, K_ADMIN, T0 + 1, SP_EV_POLICY, &rec);
	assert_int_equal(both(d, K_ROOT, &body), 0);
	struct sp_dir_policy got;
	assert_int_equal(sp_dir_policy_for(d, "jalan", &got), 0);
	assert_int_equal(got.verify, 2);
	/* the node's own key signs its own request */
	officer(&rec, "73", K_STRANGER, SP_DIR_ROLE_PENGHUBUNG);
	req(&body, K_ROOT, T0 + 1, SP_EV_OFFICER, &rec);
	assert_int_equal(both(d, K_ROOT, &body), 0);
	assert_true(enrolled(d, K_STRANGER));
	sp_dir_free(d);
	sp_buf_free(&rec);
	sp_buf_free(&body);
}

static void test_nesting_and_calendar(void **state)
{
	(void)state;
	struct sp_dir *d = world();
	struct sp_buf rec, inner, body;
	sp_buf_init(&rec);
	sp_buf_init(&inner);
	sp_buf_init(&body);
	/* a calendar: the coordinator's admin only, and only a valid one */
	static const struct sp_cal_holiday days[] = {{20270101, "Tahun Baru", 10}};
	uint8_t *cal;
	size_t cal_len;
	assert_int_equal(sp_cal_year_encode(2027, days, 1, &cal, &cal_len), 0);
	sp_buf_put(&rec, cal, cal_len);
	free(cal);
	req(&body, K_KAB_ADMIN, T0 + 1, SP_EV_CALENDAR, &rec);
	assert_int_equal(both(d, K_ROOT, &body), SP_ERR_NOT_DELEGATED);
	req(&body, K_ADMIN, T0 + 1, SP_EV_CALENDAR, &rec);
	assert_int_equal(both(d, K_ROOT, &body), 0);
	/* the date's four bytes (after its 0x1a head) become 30 February */
	assert_int_equal(rec.p[rec.len - 16], 0x1a);
	uint32_t bad = 20270230;
	for (int i = 0; i < 4; i++)
		rec.p[rec.len - 15 + i] = (uint8_t)(bad >> (24 - 8 * i));
	req(&body, K_ADMIN, T0 + 1, SP_EV_CALENDAR, &rec);
	assert_int_equal(both(d, K_ROOT, &body), SP_ERR_DIR_RECORD);
	/* an institution whose parent would make a cycle */
	inst(&rec, "73", SP_DIR_TIER_PROVINCE, "73.12", K_73, "73");
	req(&body, K_ADMIN, T0 + 1, SP_EV_INSTITUTION, &rec);
	assert_int_equal(both(d, K_ROOT, &body), SP_ERR_DIR_CYCLE);
	sp_dir_free(d);
	sp_buf_free(&rec);
	sp_buf_free(&inner);
	sp_buf_free(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_strictness),
		cmocka_unit_test(test_standing_and_authority),
		cmocka_unit_test(test_nesting_and_calendar),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

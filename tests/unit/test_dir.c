/*
 * test_dir.c - unit tests for the federation directory (protocol/sp_dir.c):
 * record round trips and strict decoding, the trust and delegation rules,
 * key rotation, officer enrolment over time, queries over the tier tree,
 * routing (longest prefix, category vs "*", defaults) and deadline policy;
 * the coordinator's log checked from the genesis root key across its own
 * key rotations (protocol/sp_dirlog.c, sp_dirchain); the backup province of the peer topology (sp_topo.h).
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_cbor.h"
#include "sp_dir.h"
#include "sp_dirlog.h"
#include "sp_entry.h"
#include "sp_err.h"
#include "sp_event.h"
#include "sp_topo.h"

/* Key seeds: one byte names each test key. */
enum {
	K_ROOT = 1,
	K_ROOT2,
	K_73,
	K_73B,
	K_7312,
	K_74,
	K_PU,
	K_OFF1,
	K_OFF2,
	K_STRANGER,
	K_UNIT,
	K_UNIT2,
};

static void pk_of(uint8_t seed, uint8_t pk[32])
{
	uint8_t sk[64];
	sp_test_keypair(seed, pk, sk);
}

/* sign_body signs body (freed here) as an entry of `type` at time t, at
 * `index` after `prev` (NULL: zeros), by key `signer`; *buf malloc'ed. */
static void sign_body(uint8_t signer, uint64_t t, uint64_t type, uint64_t index,
		      const uint8_t *prev, struct sp_buf *body, uint8_t **buf, size_t *len)
{
	uint8_t pk[32], sk[64];
	sp_test_keypair(signer, pk, sk);
	assert_int_equal(body->err, 0);
	struct sp_entry e = {0};
	e.version = SP_ENTRY_VERSION;
	e.index = index;
	if (prev)
		memcpy(e.prev, prev, SP_HASH_BYTES);
	e.time_ms = t;
	e.type = type;
	e.body = body->p;
	e.body_len = body->len;
	assert_int_equal(sp_entry_sign(&e, sk, buf, len), 0);
	sp_buf_free(body);
}

/* put signs body as an entry of `type` at time t by key `signer` and
 * applies it (through sp_dir_apply_entry: decode + verify + apply). */
static int put(struct sp_dir *d, uint8_t signer, uint64_t t, uint64_t type, struct sp_buf *body)
{
	uint8_t *buf;
	size_t len;
	sign_body(signer, t, type, 0, NULL, body, &buf, &len);
	int rc = sp_dir_apply_entry(d, buf, len);
	free(buf);
	return rc;
}

static struct sp_dir_inst mk_inst(const char *id, enum sp_dir_tier tier, const char *parent,
				  uint8_t key, const char *region)
{
	struct sp_dir_inst r;
	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.name, sizeof(r.name), "Institution %s", id);
	r.tier = tier;
	snprintf(r.parent, sizeof(r.parent), "%s", parent);
	pk_of(key, r.sign_key);
	memset(r.seal_key, key, sizeof(r.seal_key));
	r.npeers = 1;
	snprintf(r.peers[0], sizeof(r.peers[0]), "tcp://%s.example:7400", id);
	snprintf(r.http, sizeof(r.http), "https://%s.example", id);
	if (region) {
		r.nregions = 1;
		snprintf(r.regions[0], sizeof(r.regions[0]), "%s", region);
	}
	r.ncategories = 1;
	snprintf(r.categories[0], sizeof(r.categories[0]), "kesehatan");
	return r;
}

static int put_inst(struct sp_dir *d, uint8_t signer, uint64_t t, const struct sp_dir_inst *r)
{
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_inst_encode(r, &b), 0);
	return put(d, signer, t, SP_EV_INSTITUTION, &b);
}

static int add_inst(struct sp_dir *d, uint8_t signer, uint64_t t, const char *id,
		    enum sp_dir_tier tier, const char *parent, uint8_t key, const char *region)
{
	struct sp_dir_inst r = mk_inst(id, tier, parent, key, region);
	return put_inst(d, signer, t, &r);
}

static int put_officer(struct sp_dir *d, uint8_t signer, uint64_t t, const char *inst,
		       uint8_t key, enum sp_dir_officer_action action)
{
	struct sp_dir_officer o;
	memset(&o, 0, sizeof(o));
	snprintf(o.inst, sizeof(o.inst), "%s", inst);
	pk_of(key, o.key);
	snprintf(o.name, sizeof(o.name), "Andi Petugas");
	o.role = SP_DIR_ROLE_PENGHUBUNG;
	o.action = action;
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_officer_encode(&o, &b), 0);
	return put(d, signer, t, SP_EV_OFFICER, &b);
}

static int put_route(struct sp_dir *d, uint8_t signer, uint64_t t, const char *rule,
		     const char *cat, const char *region, const char *inst)
{
	struct sp_dir_route r;
	assert_int_equal(sp_dir_route_make(&r, rule, cat, region, inst), 0);
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_route_encode(&r, &b), 0);
	return put(d, signer, t, SP_EV_ROUTE, &b);
}

static int put_delegate(struct sp_dir *d, uint8_t signer, uint64_t t, const char *who,
			const char *root, int grant)
{
	struct sp_dir_delegate r;
	memset(&r, 0, sizeof(r));
	snprintf(r.delegate, sizeof(r.delegate), "%s", who);
	snprintf(r.root, sizeof(r.root), "%s", root);
	r.grant = grant;
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_delegate_encode(&r, &b), 0);
	return put(d, signer, t, SP_EV_DELEGATE, &b);
}

/* base builds: coordinator KEMENPANRB, KEMENPU, provinces 73 and 74,
 * Kabupaten Soppeng 73.12, all recorded by the root at t = 100. */
static struct sp_dir *base(void)
{
	uint8_t root[32];
	pk_of(K_ROOT, root);
	struct sp_dir *d = NULL;
	assert_int_equal(sp_dir_new(root, &d), 0);
	assert_int_equal(add_inst(d, K_ROOT, 100, "KEMENPANRB", SP_DIR_TIER_COORDINATOR, "",
				  K_ROOT, NULL),
			 0);
	assert_int_equal(
		add_inst(d, K_ROOT, 100, "KEMENPU", SP_DIR_TIER_MINISTRY, "KEMENPANRB", K_PU, NULL),
		0);
	assert_int_equal(
		add_inst(d, K_ROOT, 100, "73", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73, "73"), 0);
	assert_int_equal(
		add_inst(d, K_ROOT, 100, "74", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_74, "74"), 0);
	assert_int_equal(add_inst(d, K_ROOT, 100, "73.12", SP_DIR_TIER_KABKOTA, "73", K_7312,
				  "73.12"),
			 0);
	return d;
}

/* ---- records ------------------------------------------------------------ */

static void test_roundtrip(void **state)
{
	(void)state;
	struct sp_dir_inst in = mk_inst("73.12", SP_DIR_TIER_KABKOTA, "73", K_7312, "73.12"), in2;
	in.npeers = 2;
	snprintf(in.peers[1], sizeof(in.peers[1]), "tls+tcp://soppeng.example:7401");
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_inst_encode(&in, &b), 0);
	assert_int_equal(sp_dir_inst_decode(b.p, b.len, &in2), 0);
	assert_memory_equal(&in, &in2, sizeof(in));
	sp_buf_free(&b);

	struct sp_dir_officer o = {"73.12", {9}, "Budi", SP_DIR_ROLE_ADMIN, SP_DIR_REMOVE, 0}, o2;
	assert_int_equal(sp_dir_officer_encode(&o, &b), 0);
	assert_int_equal(sp_dir_officer_decode(b.p, b.len, &o2), 0);
	/* field by field: an initialized struct's padding is not guaranteed zero */
	assert_string_equal(o.inst, o2.inst);
	assert_memory_equal(o.key, o2.key, sizeof(o.key));
	assert_string_equal(o.name, o2.name);
	assert_int_equal(o.role, o2.role);
	assert_int_equal(o.action, o2.action);
	assert_int_equal(o.since, o2.since);
	sp_buf_free(&b);

	struct sp_dir_route r = {"r1", "*", "", "KEMENPU"}, r2;
	assert_int_equal(sp_dir_route_encode(&r, &b), 0);
	assert_int_equal(sp_dir_route_decode(b.p, b.len, &r2), 0);
	assert_memory_equal(&r, &r2, sizeof(r));
	sp_buf_free(&b);

	struct sp_dir_policy p, p2; /* zeroed: compared with padding */
	memset(&p, 0, sizeof(p));
	snprintf(p.category, sizeof(p.category), "bansos");
	p.verify = 3, p.answer = 5, p.window = 10, p.ceiling = 60;
	assert_int_equal(sp_dir_policy_encode(&p, &b), 0);
	assert_int_equal(sp_dir_policy_decode(b.p, b.len, &p2), 0);
	assert_memory_equal(&p, &p2, sizeof(p));
	sp_buf_free(&b);

	struct sp_dir_delegate g, g2;
	memset(&g, 0, sizeof(g));
	snprintf(g.delegate, sizeof(g.delegate), "73");
	snprintf(g.root, sizeof(g.root), "73");
	g.grant = 1;
	assert_int_equal(sp_dir_delegate_encode(&g, &b), 0);
	assert_int_equal(sp_dir_delegate_decode(b.p, b.len, &g2), 0);
	assert_memory_equal(&g, &g2, sizeof(g));
	sp_buf_free(&b);
}

/* Encoders refuse to build what decoders would refuse. */
static void test_encode_invalid(void **state)
{
	(void)state;
	struct sp_buf b;
	sp_buf_init(&b);
	struct sp_dir_inst in = mk_inst("73.12", SP_DIR_TIER_KABKOTA, "73", K_7312, "73.1");
	assert_int_equal(sp_dir_inst_encode(&in, &b), SP_ERR_DIR_RECORD); /* bad region */
	in = mk_inst("73.12", SP_DIR_TIER_KABKOTA, "", K_7312, NULL);
	assert_int_equal(sp_dir_inst_encode(&in, &b), SP_ERR_DIR_RECORD); /* no parent */
	in = mk_inst("KEMENPANRB", SP_DIR_TIER_COORDINATOR, "X", K_ROOT, NULL);
	assert_int_equal(sp_dir_inst_encode(&in, &b), SP_ERR_DIR_RECORD); /* coord w/ parent */
	in = mk_inst("73.1", SP_DIR_TIER_KABKOTA, "73", K_7312, NULL);
	assert_int_equal(sp_dir_inst_encode(&in, &b), SP_ERR_DIR_RECORD); /* code-like id */
	in = mk_inst("A B", SP_DIR_TIER_UNIT, "73", K_7312, NULL);
	assert_int_equal(sp_dir_inst_encode(&in, &b), SP_ERR_DIR_RECORD);
	in = mk_inst("X", SP_DIR_TIER_UNIT, "X", K_7312, NULL);
	assert_int_equal(sp_dir_inst_encode(&in, &b), SP_ERR_DIR_RECORD); /* own parent */
	in = mk_inst("X", (enum sp_dir_tier)6, "73", K_7312, NULL);
	assert_int_equal(sp_dir_inst_encode(&in, &b), SP_ERR_DIR_RECORD);
	in = mk_inst("X", SP_DIR_TIER_UNIT, "73", K_7312, NULL);
	snprintf(in.categories[0], sizeof(in.categories[0]), "Kesehatan");
	assert_int_equal(sp_dir_inst_encode(&in, &b), SP_ERR_DIR_RECORD);

	struct sp_dir_route r = {"default:73", "jalan", "73", "73"};
	assert_int_equal(sp_dir_route_encode(&r, &b), SP_ERR_DIR_RECORD); /* reserved id */
	struct sp_dir_route r2 = {"r", "jalan", "73.12.3", "73"};
	assert_int_equal(sp_dir_route_encode(&r2, &b), SP_ERR_DIR_RECORD);
	struct sp_dir_policy p = {"", 0, 5, 10, 60};
	assert_int_equal(sp_dir_policy_encode(&p, &b), SP_ERR_DIR_RECORD);
	struct sp_dir_policy p2 = {"", 3, 5, 61, 60};
	assert_int_equal(sp_dir_policy_encode(&p2, &b), SP_ERR_DIR_RECORD);
	struct sp_dir_policy p3 = {"*", 3, 5, 10, 60};
	assert_int_equal(sp_dir_policy_encode(&p3, &b), SP_ERR_DIR_RECORD);
	struct sp_dir_officer o = {"73", {1}, "", SP_DIR_ROLE_ADMIN, SP_DIR_ENROL, 0};
	assert_int_equal(sp_dir_officer_encode(&o, &b), SP_ERR_DIR_RECORD); /* no name */
	assert_int_equal(b.len, 0);
}

/* route_like writes a ROUTE-shaped map with arbitrary pairs: keys[i] and
 * the text vals[i], or an integer (a wrong type) where vals[i] is NULL. */
static void route_like(struct sp_buf *b, uint64_t npairs, const uint64_t *keys,
		       const char *const *vals)
{
	sp_cbor_put_map(b, npairs);
	for (uint64_t i = 0; i < npairs; i++) {
		sp_cbor_put_uint(b, keys[i]);
		if (vals[i])
			sp_cbor_put_text(b, vals[i], strlen(vals[i]));
		else
			sp_cbor_put_uint(b, 7); /* wrong type */
	}
}

static int decode_route(const struct sp_buf *b)
{
	struct sp_dir_route r;
	return sp_dir_route_decode(b->p, b->len, &r);
}

static void test_decode_strict(void **state)
{
	(void)state;
	static const uint64_t k4[] = {0, 1, 2, 3}, k5[] = {0, 1, 2, 3, 4};
	static const uint64_t k_gap[] = {0, 1, 2, 4}, k_dup[] = {0, 1, 1, 3},
			      k_unsorted[] = {0, 1, 0, 3};
	const char *ok[] = {"r1", "jalan", "73", "73", "extra"};
	const char *wrong[] = {"r1", NULL, "73", "73"};
	const char *nul[] = {"r1", "jalan", "73", "7\0"};
	struct sp_buf b;

	sp_buf_init(&b);
	route_like(&b, 4, k4, ok);
	assert_int_equal(decode_route(&b), 0);
	/* trailing byte, truncation */
	sp_buf_put(&b, "\x00", 1);
	assert_int_equal(decode_route(&b), SP_ERR_CBOR_TRAILING);
	b.len -= 2;
	assert_int_equal(decode_route(&b), SP_ERR_CBOR_MALFORMED);
	sp_buf_free(&b);

	route_like(&b, 3, k4, ok); /* missing key */
	assert_int_equal(decode_route(&b), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
	route_like(&b, 5, k5, ok); /* unknown key */
	assert_int_equal(decode_route(&b), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
	route_like(&b, 4, k_gap, ok);
	assert_int_equal(decode_route(&b), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
	route_like(&b, 4, k_dup, ok);
	assert_int_equal(decode_route(&b), SP_ERR_CBOR_DUPKEY);
	sp_buf_free(&b);
	route_like(&b, 4, k_unsorted, ok);
	assert_int_equal(decode_route(&b), SP_ERR_CBOR_UNSORTED);
	sp_buf_free(&b);
	route_like(&b, 4, k4, wrong);
	assert_int_equal(decode_route(&b), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
	/* a NUL inside a text would truncate the C string silently */
	sp_cbor_put_map(&b, 4);
	for (uint64_t i = 0; i < 4; i++) {
		sp_cbor_put_uint(&b, i);
		sp_cbor_put_text(&b, nul[i], i == 3 ? 2 : strlen(nul[i]));
	}
	assert_int_equal(decode_route(&b), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
	/* not a map at all; empty input */
	sp_cbor_put_array(&b, 0);
	assert_int_equal(decode_route(&b), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
	struct sp_dir_route r;
	assert_int_equal(sp_dir_route_decode((const uint8_t *)"", 0, &r), SP_ERR_CBOR_MALFORMED);
	/* non-shortest integer key: 0x18 0x00 instead of 0x00 */
	static const uint8_t nonshort[] = {0xa4, 0x18, 0x00, 0x61, 'r'};
	assert_int_equal(sp_dir_route_decode(nonshort, sizeof(nonshort), &r),
			 SP_ERR_CBOR_NONSHORTEST);

	/* institution: wrong key size, bad tier, too many peers, map count */
	struct sp_dir_inst in = mk_inst("73.12", SP_DIR_TIER_KABKOTA, "73", K_7312, "73.12"), out;
	assert_int_equal(sp_dir_inst_encode(&in, &b), 0);
	size_t off = 0;
	/* find the sign key (0x04 0x58 0x20 <32 bytes>) and shorten its head */
	for (off = 0; off + 3 < b.len; off++)
		if (b.p[off] == 0x04 && b.p[off + 1] == 0x58 && b.p[off + 2] == 0x20)
			break;
	assert_true(off + 3 < b.len);
	b.p[off + 2] = 0x1f; /* 31 bytes: the rest shifts into garbage */
	assert_int_not_equal(sp_dir_inst_decode(b.p, b.len, &out), 0);
	b.p[off + 2] = 0x20;
	assert_int_equal(sp_dir_inst_decode(b.p, b.len, &out), 0);
	b.p[0] = 0xa9; /* 9 pairs */
	assert_int_equal(sp_dir_inst_decode(b.p, b.len, &out), SP_ERR_DIR_RECORD);
	b.p[0] = 0xaa;
	for (off = 0; off + 1 < b.len; off++)
		if (b.p[off] == 0x02 && b.p[off + 1] == SP_DIR_TIER_KABKOTA)
			break;
	b.p[off + 1] = 0x06; /* tier 6 */
	assert_int_equal(sp_dir_inst_decode(b.p, b.len, &out), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);

	/* delegate: grant must be a bool */
	sp_cbor_put_map(&b, 3);
	sp_cbor_put_uint(&b, 0);
	sp_cbor_put_text(&b, "73", 2);
	sp_cbor_put_uint(&b, 1);
	sp_cbor_put_text(&b, "73", 2);
	sp_cbor_put_uint(&b, 2);
	sp_cbor_put_uint(&b, 1);
	struct sp_dir_delegate g;
	assert_int_equal(sp_dir_delegate_decode(b.p, b.len, &g), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);

	/* policy: days over the maximum */
	sp_cbor_put_map(&b, 5);
	sp_cbor_put_uint(&b, 0);
	sp_cbor_put_text(&b, "", 0);
	for (uint64_t i = 1; i <= 4; i++) {
		sp_cbor_put_uint(&b, i);
		sp_cbor_put_uint(&b, i == 4 ? 366 : 3);
	}
	struct sp_dir_policy p;
	assert_int_equal(sp_dir_policy_decode(b.p, b.len, &p), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
}

static void test_region_syntax(void **state)
{
	(void)state;
	static const char *const good[] = {"73", "73.12", "73.12.03", "73.12.03.2004", "11.01"};
	static const char *const bad[] = {"",      "7",        "731",        "73.1",
					  "73.",   "73..12",   "73.12.3",    "73.12.03.20",
					  "ab",    "73.12.03.2004.1", "73.12.03.20045", "-73",
					  " 73",   "73.12 "};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(sp_dir_region_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(sp_dir_region_valid(bad[i]));
	assert_true(sp_dir_id_valid("KEMENKES"));
	assert_true(sp_dir_id_valid("BPJS-KESEHATAN"));
	assert_true(sp_dir_id_valid("73.12.DINKES"));
	assert_false(sp_dir_id_valid("73.123"));
	assert_false(sp_dir_id_valid(""));
	assert_false(sp_dir_id_valid("0123456789012345678901234567890123"));
	assert_true(sp_dir_category_valid("*"));
	assert_true(sp_dir_category_valid("air-bersih"));
	assert_false(sp_dir_category_valid("air bersih"));
	assert_false(sp_dir_category_valid("**"));
}

/* ---- trust and delegation ------------------------------------------------- */

static void test_root_only(void **state)
{
	(void)state;
	uint8_t root[32];
	pk_of(K_ROOT, root);
	struct sp_dir *d = NULL;
	assert_int_equal(sp_dir_new(root, &d), 0);
	/* a stranger cannot found the federation */
	assert_int_equal(add_inst(d, K_STRANGER, 100, "KEMENPANRB", SP_DIR_TIER_COORDINATOR, "",
				  K_STRANGER, NULL),
			 SP_ERR_NOT_DELEGATED);
	assert_int_equal(sp_dir_count(d), 0);
	assert_int_equal(add_inst(d, K_ROOT, 100, "KEMENPANRB", SP_DIR_TIER_COORDINATOR, "",
				  K_ROOT, NULL),
			 0);
	/* a second coordinator, or demoting the first, is refused */
	assert_int_equal(add_inst(d, K_ROOT, 110, "OTHER", SP_DIR_TIER_COORDINATOR, "", K_ROOT2,
				  NULL),
			 SP_ERR_EXISTS);
	assert_int_equal(add_inst(d, K_ROOT, 110, "KEMENPANRB", SP_DIR_TIER_MINISTRY, "X",
				  K_ROOT, NULL),
			 SP_ERR_EXISTS);
	/* unknown parent */
	assert_int_equal(add_inst(d, K_ROOT, 110, "73.12", SP_DIR_TIER_KABKOTA, "73", K_7312,
				  NULL),
			 SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(sp_dir_count(d), 1);
	/* the same signing key for two institutions */
	assert_int_equal(
		add_inst(d, K_ROOT, 120, "73", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_ROOT, "73"),
		SP_ERR_EXISTS);
	/* non-directory entries are ignored */
	struct sp_buf b;
	sp_buf_init(&b);
	sp_cbor_put_map(&b, 0);
	assert_int_equal(put(d, K_STRANGER, 130, SP_EV_REPORT, &b), 0);
	/* policies and delegations: only the root */
	struct sp_dir_policy p = {"", 2, 4, 8, 30};
	assert_int_equal(sp_dir_policy_encode(&p, &b), 0);
	assert_int_equal(put(d, K_STRANGER, 130, SP_EV_POLICY, &b), SP_ERR_NOT_DELEGATED);
	struct sp_dir_policy got;
	assert_int_equal(sp_dir_policy_for(d, "jalan", &got), 0);
	assert_int_equal(got.verify, 3);
	assert_int_equal(got.ceiling, 60);
	sp_dir_free(d);
}

static void test_delegation(void **state)
{
	(void)state;
	struct sp_dir *d = base();
	assert_int_equal(add_inst(d, K_ROOT, 100, "KEMENKES", SP_DIR_TIER_MINISTRY, "KEMENPANRB",
				  K_OFF2 + 40, NULL),
			 0);
	/* not delegated yet: the province may not enrol its units */
	assert_int_equal(add_inst(d, K_73, 200, "73.DINKES", SP_DIR_TIER_UNIT, "73", K_UNIT, NULL),
			 SP_ERR_NOT_DELEGATED);
	assert_int_equal(put_delegate(d, K_73, 200, "73", "73", 1), SP_ERR_NOT_DELEGATED);
	assert_int_equal(put_delegate(d, K_ROOT, 200, "73", "73", 1), 0);
	assert_int_equal(put_delegate(d, K_ROOT, 200, "73", "NOPE", 1), SP_ERR_UNKNOWN_INSTITUTION);
	size_t n = sp_dir_count(d);

	/* inside its subtree: units under itself and under its kabupaten */
	assert_int_equal(add_inst(d, K_73, 300, "73.DINKES", SP_DIR_TIER_UNIT, "73", K_UNIT, NULL),
			 0);
	assert_int_equal(add_inst(d, K_73, 300, "73.12.DINKES", SP_DIR_TIER_UNIT, "73.12",
				  K_UNIT2, NULL),
			 0);
	assert_int_equal(sp_dir_count(d), n + 2);
	assert_int_equal(put_officer(d, K_73, 300, "73.12", K_OFF1, SP_DIR_ENROL), 0);
	assert_int_equal(put_route(d, K_73, 300, "kes-7312", "kesehatan", "73.12", "73.12.DINKES"),
			 0);

	/* outside it, or above its rights: refused and nothing changes */
	n = sp_dir_count(d);
	assert_int_equal(add_inst(d, K_73, 400, "74.X", SP_DIR_TIER_UNIT, "74", 60, NULL),
			 SP_ERR_NOT_DELEGATED);
	assert_int_equal(add_inst(d, K_73, 400, "KEMENKES", SP_DIR_TIER_UNIT, "73", 61, NULL),
			 SP_ERR_NOT_DELEGATED); /* hijack an id outside the subtree */
	assert_int_equal(add_inst(d, K_73, 400, "73.12", SP_DIR_TIER_KABKOTA, "73", 62, "73.12"),
			 SP_ERR_NOT_DELEGATED); /* governments are the coordinator's */
	assert_int_equal(add_inst(d, K_73, 400, "73.DISHUB", SP_DIR_TIER_KABKOTA, "73", 64, NULL),
			 SP_ERR_NOT_DELEGATED);
	assert_int_equal(put_officer(d, K_73, 400, "74", K_OFF2, SP_DIR_ENROL),
			 SP_ERR_NOT_DELEGATED);
	assert_int_equal(put_route(d, K_73, 400, "r74", "jalan", "74", "73.DINKES"),
			 SP_ERR_NOT_DELEGATED); /* region outside the province */
	assert_int_equal(put_route(d, K_73, 400, "rall", "jalan", "", "73.DINKES"),
			 SP_ERR_NOT_DELEGATED); /* every region */
	assert_int_equal(put_route(d, K_73, 400, "rpu", "jalan", "73", "KEMENPU"),
			 SP_ERR_NOT_DELEGATED); /* target outside the subtree */
	assert_int_equal(put_delegate(d, K_73, 400, "73.12", "73.12", 1), SP_ERR_NOT_DELEGATED);
	assert_int_equal(add_inst(d, K_74, 400, "74.Y", SP_DIR_TIER_UNIT, "74", 65, NULL),
			 SP_ERR_NOT_DELEGATED);
	assert_int_equal(add_inst(d, K_STRANGER, 400, "73.Z", SP_DIR_TIER_UNIT, "73", 66, NULL),
			 SP_ERR_NOT_DELEGATED);
	assert_int_equal(sp_dir_count(d), n);
	struct sp_dir_officer o;
	uint8_t k2[32];
	pk_of(K_OFF2, k2);
	assert_int_equal(sp_dir_officer(d, k2, 500, &o), SP_ERR_UNKNOWN_OFFICER);
	char inst[SP_INST_ID_MAX + 1], rule[SP_DIR_RULE_MAX + 1];
	assert_int_equal(sp_dir_route(d, "jalan", "74.01", inst, rule), 0);
	assert_string_equal(inst, "74");

	/* the rule the province made is in force; a unit may move within it */
	assert_int_equal(sp_dir_route(d, "kesehatan", "73.12.03", inst, rule), 0);
	assert_string_equal(inst, "73.12.DINKES");
	assert_string_equal(rule, "kes-7312");
	assert_int_equal(add_inst(d, K_73, 450, "73.12.DINKES", SP_DIR_TIER_UNIT, "73", K_UNIT2,
				  NULL),
			 0);

	/* revoked: the province can write nothing more */
	assert_int_equal(put_delegate(d, K_ROOT, 500, "73", "73", 0), 0);
	assert_int_equal(add_inst(d, K_73, 600, "73.DISDIK", SP_DIR_TIER_UNIT, "73", 67, NULL),
			 SP_ERR_NOT_DELEGATED);
	/* the root still can */
	assert_int_equal(add_inst(d, K_ROOT, 600, "73.DISDIK", SP_DIR_TIER_UNIT, "73", 67, NULL),
			 0);
	sp_dir_free(d);
}

/* ---- keys over time ---------------------------------------------------------- */

static void test_key_rotation(void **state)
{
	(void)state;
	struct sp_dir *d = base();
	assert_int_equal(put_delegate(d, K_ROOT, 100, "73", "73", 1), 0);
	assert_int_equal(add_inst(d, K_73, 150, "73.A", SP_DIR_TIER_UNIT, "73", 70, NULL), 0);
	/* the coordinator rotates the province's key at t = 200 */
	assert_int_equal(
		add_inst(d, K_ROOT, 200, "73", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73B, "73"), 0);
	uint8_t a[32], bk[32];
	pk_of(K_73, a);
	pk_of(K_73B, bk);
	struct sp_dir_inst v;
	assert_int_equal(sp_dir_by_key(d, a, 150, &v), 0);
	assert_string_equal(v.id, "73");
	assert_int_equal(v.valid_from, 100);
	assert_int_equal(v.valid_until, 200);
	assert_int_equal(sp_dir_by_key(d, a, 200, &v), SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(sp_dir_by_key(d, bk, 199, &v), SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(sp_dir_by_key(d, bk, 200, &v), 0);
	assert_true(v.valid_until == SP_DIR_TIME_MAX);
	assert_int_equal(sp_dir_institution(d, "73", 150, &v), 0);
	assert_memory_equal(v.sign_key, a, 32);
	assert_int_equal(sp_dir_institution(d, "73", SP_DIR_TIME_MAX, &v), 0);
	assert_memory_equal(v.sign_key, bk, 32);
	assert_int_equal(sp_dir_institution(d, "73", 99, &v), SP_ERR_UNKNOWN_INSTITUTION);

	/* history the old key signed still counts, even arriving late */
	assert_int_equal(add_inst(d, K_73, 180, "73.B", SP_DIR_TIER_UNIT, "73", 71, NULL), 0);
	assert_int_equal(add_inst(d, K_73, 250, "73.C", SP_DIR_TIER_UNIT, "73", 72, NULL),
			 SP_ERR_NOT_DELEGATED);
	assert_int_equal(add_inst(d, K_73B, 250, "73.C", SP_DIR_TIER_UNIT, "73", 72, NULL), 0);
	/* the rotated-away key cannot be taken by another institution */
	assert_int_equal(
		add_inst(d, K_ROOT, 260, "75", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73, "75"),
		SP_ERR_EXISTS);
	/* nor come back to its own institution (a key history only moves on) */
	assert_int_equal(
		add_inst(d, K_ROOT, 270, "73", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73, "73"),
		SP_ERR_EXISTS);
	/* the log key history an observer derives (docs/protocol.md §9) */
	struct sp_keyhist h;
	assert_int_equal(sp_dir_keyhist(d, "73", &h), 0);
	assert_int_equal(h.n, 2);
	assert_memory_equal(h.pk[0], a, 32);
	assert_memory_equal(h.pk[1], bk, 32);
	assert_int_equal(h.from_ms[1], 200);
	assert_int_equal(sp_keyhist_entry(&h, 0, a, 250, NULL), 0);
	assert_int_equal(sp_keyhist_entry(&h, 0, bk, 199, NULL), SP_ERR_WRONG_AUTHOR);
	assert_int_equal(sp_keyhist_entry(&h, 1, a, 150, NULL), SP_ERR_WRONG_AUTHOR);
	assert_int_equal(sp_dir_keyhist(d, "99", &h), SP_ERR_UNKNOWN_INSTITUTION);

	/* the coordinator rotates its own key: the root of trust follows it */
	assert_int_equal(
		add_inst(d, K_ROOT, 300, "KEMENPANRB", SP_DIR_TIER_COORDINATOR, "", K_ROOT2, NULL),
		0);
	assert_int_equal(
		add_inst(d, K_ROOT, 350, "76", SP_DIR_TIER_PROVINCE, "KEMENPANRB", 73, "76"),
		SP_ERR_NOT_DELEGATED);
	assert_int_equal(
		add_inst(d, K_ROOT2, 350, "76", SP_DIR_TIER_PROVINCE, "KEMENPANRB", 73, "76"), 0);
	assert_int_equal(
		add_inst(d, K_ROOT, 299, "77", SP_DIR_TIER_PROVINCE, "KEMENPANRB", 74, "77"), 0);
	sp_dir_free(d);
}

/* ---- the coordinator's log across its own key rotation ------------------ */

/* How chain_feed hands an entry to the checker. */
enum feed { FEED_CHECKED, FEED_KNOWN, FEED_KNOWN_BADSIG };

/* chain_feed signs body as entry c->n of the coordinator's log (linked to
 * the last one accepted) at time t by key `signer`, and feeds it to c:
 * with sp_dirchain_add, or as known (sp_dirchain_add_known), then perhaps
 * with a byte of its signature flipped. */
static int chain_feed(struct sp_dirchain *c, uint8_t signer, uint64_t t, uint64_t type,
		      struct sp_buf *body, enum feed how)
{
	uint8_t *buf;
	size_t len;
	sign_body(signer, t, type, c->n, c->last_hash, body, &buf, &len);
	if (how == FEED_KNOWN_BADSIG)
		buf[len - 10] ^= 1; /* inside the signature, the last field */
	int rc = how == FEED_CHECKED ? sp_dirchain_add(c, buf, len)
				     : sp_dirchain_add_known(c, buf, len);
	free(buf);
	return rc;
}

static int chain_inst_as(struct sp_dirchain *c, enum feed how, uint8_t signer, uint64_t t,
			 const char *id, enum sp_dir_tier tier, const char *parent, uint8_t key)
{
	struct sp_dir_inst r = mk_inst(id, tier, parent, key, NULL);
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_inst_encode(&r, &b), 0);
	return chain_feed(c, signer, t, SP_EV_INSTITUTION, &b, how);
}

static int chain_inst(struct sp_dirchain *c, uint8_t signer, uint64_t t, const char *id,
		      enum sp_dir_tier tier, const char *parent, uint8_t key)
{
	return chain_inst_as(c, FEED_CHECKED, signer, t, id, tier, parent, key);
}

/* chain_cp: c's checkpoint signed by key `signer`, checked by c. */
static int chain_cp(const struct sp_dirchain *c, uint8_t signer)
{
	uint8_t pk[32], sk[64];
	sp_test_keypair(signer, pk, sk);
	struct sp_checkpoint cp = {.size = c->n};
	snprintf(cp.origin, sizeof(cp.origin), "simpul.test/KEMENPANRB");
	sp_merkle_frontier_root(&c->tree, cp.root);
	struct sp_buf note;
	sp_buf_init(&note);
	assert_int_equal(sp_checkpoint_sign(&cp, sk, &note), 0);
	int rc = sp_dirchain_checkpoint(c, cp.origin, (const char *)note.p, note.len, NULL);
	sp_buf_free(&note);
	return rc;
}

static void test_root_chain(void **state)
{
	(void)state;
	uint8_t root[32], root2[32];
	pk_of(K_ROOT, root);
	pk_of(K_ROOT2, root2);
	struct sp_dirchain c;
	/* another root key: entry 0 is not its */
	assert_int_equal(sp_dirchain_init(&c, root2), 0);
	assert_int_equal(chain_inst(&c, K_ROOT, 100, "KEMENPANRB", SP_DIR_TIER_COORDINATOR, "",
				    K_ROOT),
			 SP_ERR_WRONG_AUTHOR);
	sp_dirchain_free(&c);
	assert_int_equal(sp_dirchain_init(&c, root), 0);
	/* entry 0 must be the coordinator's record */
	assert_int_equal(chain_inst(&c, K_ROOT, 100, "73", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73),
			 SP_ERR_DIR_RECORD);
	assert_int_equal(chain_inst(&c, K_ROOT, 100, "KEMENPANRB", SP_DIR_TIER_COORDINATOR, "",
				    K_ROOT),
			 0);
	assert_string_equal(c.coordinator, "KEMENPANRB");
	/* a key not published yet signs nothing */
	assert_int_equal(chain_inst(&c, K_ROOT2, 150, "73", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73),
			 SP_ERR_WRONG_AUTHOR);
	/* the rotation, signed by the root key, at t = 200 */
	assert_int_equal(chain_inst(&c, K_ROOT, 200, "KEMENPANRB", SP_DIR_TIER_COORDINATOR, "",
				    K_ROOT2),
			 0);
	assert_int_equal(c.keys.n, 2);
	assert_memory_equal(c.keys.pk[1], root2, 32);
	assert_int_equal(c.keys.from_ms[1], 200);
	assert_int_equal(chain_cp(&c, K_ROOT), 0); /* the record's own entry: the old key's */
	/* the old key may still extend the log until the new one signs (the
	 * node learns the record late), but no longer writes the directory */
	assert_int_equal(chain_inst(&c, K_ROOT, 210, "74", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_74),
			 0);
	struct sp_dir_inst v;
	assert_int_equal(sp_dir_institution(c.dir, "74", SP_DIR_TIME_MAX, &v),
			 SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(chain_inst(&c, K_ROOT2, 220, "73", SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73),
			 0);
	assert_int_equal(c.key_pos, 1);
	assert_int_equal(sp_dir_institution(c.dir, "73", SP_DIR_TIME_MAX, &v), 0);
	/* once the new key signed, the old one is refused, and so are its
	 * checkpoints */
	assert_int_equal(chain_inst(&c, K_ROOT, 230, "75", SP_DIR_TIER_PROVINCE, "KEMENPANRB", 75),
			 SP_ERR_WRONG_AUTHOR);
	assert_int_equal(chain_cp(&c, K_ROOT2), 0);
	assert_int_not_equal(chain_cp(&c, K_ROOT), 0);
	assert_int_equal(c.n, 4);
	/* what the directory says agrees: the history an observer derives */
	struct sp_keyhist h;
	assert_int_equal(sp_dirlog_root_keys(c.dir, root, &h), 0);
	assert_true(sp_keyhist_extends(&c.keys, &h) && h.n == c.keys.n);
	assert_int_equal(sp_dirlog_root_keys(c.dir, root2, &h), SP_ERR_WRONG_AUTHOR);
	sp_dirchain_free(&c);
}

/* Entries the caller already verified (a node's store holds them byte for
 * byte) skip only the signature check: the key in force, its rotations,
 * the links and entry 0's rule still apply, and the count of signatures
 * checked says what was skipped. */
static void test_root_chain_known(void **state)
{
	(void)state;
	uint8_t root[32], root2[32];
	pk_of(K_ROOT, root);
	pk_of(K_ROOT2, root2);
	struct sp_dirchain c;
	assert_int_equal(sp_dirchain_init(&c, root), 0);
	/* a bad signature is refused when checked, and is not looked at when known */
	assert_int_equal(chain_inst_as(&c, FEED_CHECKED, K_ROOT, 100, "KEMENPANRB",
				       SP_DIR_TIER_COORDINATOR, "", K_ROOT),
			 0);
	assert_int_equal(c.sigs, 1);
	assert_int_equal(chain_inst_as(&c, FEED_KNOWN_BADSIG, K_ROOT, 110, "73",
				       SP_DIR_TIER_PROVINCE, "KEMENPANRB", K_73),
			 0);
	assert_int_equal(c.sigs, 1);
	assert_int_equal(chain_inst_as(&c, FEED_CHECKED, K_ROOT, 120, "74", SP_DIR_TIER_PROVINCE,
				       "KEMENPANRB", K_74),
			 0);
	assert_int_equal(c.sigs, 2);
	/* every other rule applies to a known entry: a key not in force */
	assert_int_equal(chain_inst_as(&c, FEED_KNOWN, K_ROOT2, 130, "75", SP_DIR_TIER_PROVINCE,
				       "KEMENPANRB", 75),
			 SP_ERR_WRONG_AUTHOR);
	/* the rotation in a known entry is followed: the new key writes, the old is refused */
	assert_int_equal(chain_inst_as(&c, FEED_KNOWN, K_ROOT, 200, "KEMENPANRB",
				       SP_DIR_TIER_COORDINATOR, "", K_ROOT2),
			 0);
	assert_int_equal(c.keys.n, 2);
	assert_memory_equal(c.keys.pk[1], root2, 32);
	assert_int_equal(chain_inst_as(&c, FEED_KNOWN, K_ROOT2, 220, "75", SP_DIR_TIER_PROVINCE,
				       "KEMENPANRB", 75),
			 0);
	assert_int_equal(chain_inst_as(&c, FEED_KNOWN, K_ROOT, 230, "76", SP_DIR_TIER_PROVINCE,
				       "KEMENPANRB", 76),
			 SP_ERR_WRONG_AUTHOR);
	/* and the records are applied */
	struct sp_dir_inst v;
	assert_int_equal(sp_dir_institution(c.dir, "73", SP_DIR_TIME_MAX, &v), 0);
	assert_int_equal(sp_dir_institution(c.dir, "75", SP_DIR_TIME_MAX, &v), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.sigs, 2);
	sp_dirchain_free(&c);
	/* entry 0 known: still the coordinator's record by the root key */
	assert_int_equal(sp_dirchain_init(&c, root2), 0);
	assert_int_equal(chain_inst_as(&c, FEED_KNOWN, K_ROOT, 100, "KEMENPANRB",
				       SP_DIR_TIER_COORDINATOR, "", K_ROOT),
			 SP_ERR_WRONG_AUTHOR);
	sp_dirchain_free(&c);
	assert_int_equal(sp_dirchain_init(&c, root), 0);
	assert_int_equal(chain_inst_as(&c, FEED_KNOWN, K_ROOT, 100, "73", SP_DIR_TIER_PROVINCE,
				       "KEMENPANRB", K_73),
			 SP_ERR_DIR_RECORD);
	sp_dirchain_free(&c);
}

static void test_officers(void **state)
{
	(void)state;
	struct sp_dir *d = base();
	uint8_t k1[32];
	pk_of(K_OFF1, k1);
	struct sp_dir_officer o;
	assert_int_equal(put_officer(d, K_ROOT, 1000, "NOPE", K_OFF1, SP_DIR_ENROL),
			 SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(put_officer(d, K_ROOT, 1000, "73.12", K_OFF1, SP_DIR_REMOVE),
			 SP_ERR_UNKNOWN_OFFICER);
	assert_int_equal(put_officer(d, K_ROOT, 1000, "73.12", K_OFF1, SP_DIR_ENROL), 0);
	assert_int_equal(sp_dir_officer(d, k1, 999, &o), SP_ERR_UNKNOWN_OFFICER);
	assert_int_equal(sp_dir_officer(d, k1, 1000, &o), 0);
	assert_string_equal(o.inst, "73.12");
	assert_int_equal(o.since, 1000);
	assert_int_equal(o.role, SP_DIR_ROLE_PENGHUBUNG);
	/* one institution at a time */
	assert_int_equal(put_officer(d, K_ROOT, 1500, "74", K_OFF1, SP_DIR_ENROL), SP_ERR_EXISTS);
	assert_int_equal(put_officer(d, K_ROOT, 1500, "74", K_OFF1, SP_DIR_REMOVE),
			 SP_ERR_UNKNOWN_OFFICER);
	assert_int_equal(put_officer(d, K_ROOT, 2000, "73.12", K_OFF1, SP_DIR_REMOVE), 0);
	assert_int_equal(sp_dir_officer(d, k1, 1999, &o), 0);
	assert_int_equal(sp_dir_officer(d, k1, 2000, &o), SP_ERR_UNKNOWN_OFFICER);
	assert_int_equal(sp_dir_officer(d, k1, SP_DIR_TIME_MAX, &o), SP_ERR_UNKNOWN_OFFICER);
	assert_int_equal(put_officer(d, K_ROOT, 2100, "73.12", K_OFF1, SP_DIR_REMOVE),
			 SP_ERR_UNKNOWN_OFFICER);
	/* moves to another institution later */
	assert_int_equal(put_officer(d, K_ROOT, 3000, "74", K_OFF1, SP_DIR_ENROL), 0);
	assert_int_equal(sp_dir_officer(d, k1, 1500, &o), 0);
	assert_string_equal(o.inst, "73.12");
	assert_int_equal(sp_dir_officer(d, k1, 3000, &o), 0);
	assert_string_equal(o.inst, "74");
	sp_dir_free(d);
}


/* put_forkres signs a resolution of 73.12's log (size 50) with officer
 * key `officer` and applies it as an entry by `signer` at time t. */
static int put_forkres(struct sp_dir *d, uint8_t signer, uint64_t t, uint8_t officer,
		       const char *inst)
{
	uint8_t pk[32], sk[64];
	sp_test_keypair(officer, pk, sk);
	struct sp_dir_forkres r = {.size = 50};
	snprintf(r.inst, sizeof(r.inst), "%s", inst);
	memset(r.root, 0x5a, sizeof(r.root));
	assert_int_equal(sp_dir_forkres_sign(&r, sk), 0);
	assert_memory_equal(r.officer, pk, 32);
	assert_int_equal(sp_dir_forkres_verify(&r), 0);
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_forkres_encode(&r, &b), 0);
	struct sp_dir_forkres back;
	assert_int_equal(sp_dir_forkres_decode(b.p, b.len, &back), 0);
	/* field by field: the struct has padding after inst */
	assert_string_equal(back.inst, r.inst);
	assert_int_equal(back.size, r.size);
	assert_memory_equal(back.root, r.root, sizeof(r.root));
	assert_memory_equal(back.officer, r.officer, sizeof(r.officer));
	assert_memory_equal(back.sig, r.sig, sizeof(r.sig));
	return put(d, signer, t, SP_EV_FORK_RESOLVE, &b);
}

/* A fork resolution is the coordinator's: written to its log, about an
 * institution it knows, signed by an admin officer enrolled at the
 * coordinator at the record's time. */
static void test_fork_resolution(void **state)
{
	(void)state;
	struct sp_dir *d = base();
	struct sp_dir_officer o = {.role = SP_DIR_ROLE_ADMIN, .action = SP_DIR_ENROL};
	snprintf(o.inst, sizeof(o.inst), "KEMENPANRB");
	snprintf(o.name, sizeof(o.name), "Admin Nasional");
	pk_of(K_OFF1, o.key);
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_officer_encode(&o, &b), 0);
	assert_int_equal(put(d, K_ROOT, 1000, SP_EV_OFFICER, &b), 0);
	assert_int_equal(put_officer(d, K_ROOT, 1000, "KEMENPANRB", K_OFF2, SP_DIR_ENROL), 0);
	assert_int_equal(put_forkres(d, K_ROOT, 999, K_OFF1, "73.12"), SP_ERR_UNKNOWN_OFFICER);
	assert_int_equal(put_forkres(d, K_ROOT, 1000, K_OFF1, "73.12"), 0);
	assert_int_equal(put_forkres(d, K_ROOT, 1000, K_OFF2, "73.12"), SP_ERR_AUTHORITY);
	assert_int_equal(put_forkres(d, K_ROOT, 1000, K_OFF1, "99.99"),
			 SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(put_forkres(d, K_73, 1000, K_OFF1, "73.12"), SP_ERR_NOT_DELEGATED);
	/* a forged officer signature */
	struct sp_dir_forkres r = {.size = 50};
	snprintf(r.inst, sizeof(r.inst), "73.12");
	uint8_t pk[32], sk[64];
	sp_test_keypair(K_OFF1, pk, sk);
	assert_int_equal(sp_dir_forkres_sign(&r, sk), 0);
	r.size = 51;
	assert_int_equal(sp_dir_forkres_verify(&r), SP_ERR_BAD_SIGNATURE);
	sp_buf_init(&b);
	assert_int_equal(sp_dir_forkres_encode(&r, &b), 0);
	assert_int_equal(put(d, K_ROOT, 1000, SP_EV_FORK_RESOLVE, &b), SP_ERR_BAD_SIGNATURE);
	r.size = 0;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_forkres_encode(&r, &b), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
	sp_dir_free(d);
}

/* ---- the tier tree ---------------------------------------------------------------- */

struct seen {
	char ids[16][SP_INST_ID_MAX + 1];
	size_t n;
};

static int collect(void *arg, const struct sp_dir_inst *inst)
{
	struct seen *s = arg;
	if (s->n < 16)
		snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", inst->id);
	return 0;
}

static void test_tree(void **state)
{
	(void)state;
	struct sp_dir *d = base();
	assert_int_equal(add_inst(d, K_ROOT, 100, "73.12.DINKES", SP_DIR_TIER_UNIT, "73.12",
				  K_UNIT, NULL),
			 0);
	char p[SP_INST_ID_MAX + 1];
	assert_int_equal(sp_dir_parent(d, "73.12", p), 0);
	assert_string_equal(p, "73");
	assert_int_equal(sp_dir_parent(d, "KEMENPANRB", p), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_dir_parent(d, "99", p), SP_ERR_UNKNOWN_INSTITUTION);
	assert_true(sp_dir_is_coordinator(d, "KEMENPANRB"));
	assert_false(sp_dir_is_coordinator(d, "73"));
	assert_int_equal(sp_dir_coordinator(d, p), 0);
	assert_string_equal(p, "KEMENPANRB");

	struct seen s = {0};
	assert_int_equal(sp_dir_ancestors(d, "73.12.DINKES", collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.ids[0], "73.12");
	assert_string_equal(s.ids[1], "73");
	assert_string_equal(s.ids[2], "KEMENPANRB");
	memset(&s, 0, sizeof(s));
	assert_int_equal(sp_dir_children(d, "KEMENPANRB", collect, &s), 0);
	assert_int_equal(s.n, 3); /* KEMENPU, 73, 74 */
	memset(&s, 0, sizeof(s));
	assert_int_equal(sp_dir_subtree(d, "73", collect, &s), 0);
	assert_int_equal(s.n, 3); /* 73, 73.12, 73.12.DINKES */
	assert_true(sp_dir_in_subtree(d, "73.12.DINKES", "73"));
	assert_false(sp_dir_in_subtree(d, "74", "73"));
	assert_int_equal(sp_dir_subtree(d, "99", collect, &s), SP_ERR_UNKNOWN_INSTITUTION);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sp_dir_each(d, collect, &s), 0);
	assert_int_equal(s.n, 6);
	/* no cycles: 73 under its own kabupaten */
	assert_int_equal(
		add_inst(d, K_ROOT, 200, "73", SP_DIR_TIER_PROVINCE, "73.12", K_73, "73"),
		SP_ERR_DIR_CYCLE);
	sp_dir_free(d);
}

/* ---- routing and policy ----------------------------------------------------------- */

static void test_routing(void **state)
{
	(void)state;
	char inst[SP_INST_ID_MAX + 1], rule[SP_DIR_RULE_MAX + 1];
	uint8_t root[32];
	pk_of(K_ROOT, root);
	struct sp_dir *empty = NULL;
	assert_int_equal(sp_dir_new(root, &empty), 0);
	assert_int_equal(sp_dir_route(empty, "jalan", "73", inst, rule), SP_ERR_NO_ROUTE);
	sp_dir_free(empty);

	struct sp_dir *d = base();
	assert_int_equal(add_inst(d, K_ROOT, 100, "73.12.DINKES", SP_DIR_TIER_UNIT, "73.12",
				  K_UNIT, NULL),
			 0);
	/* defaults: the most specific region government, else the coordinator */
	sp_test_expect_route(d, "kesehatan", "73.12.03.2004", "73.12", "default:73.12");
	sp_test_expect_route(d, "kesehatan", "73.12", "73.12", "default:73.12");
	sp_test_expect_route(d, "kesehatan", "73.10.01", "73", "default:73");
	sp_test_expect_route(d, "kesehatan", "91.01", "KEMENPANRB", "default:KEMENPANRB");
	sp_test_expect_route(d, "kesehatan", "", "KEMENPANRB", "default:KEMENPANRB");

	assert_int_equal(put_route(d, K_ROOT, 200, "jalan-nas", "jalan-nasional", "", "KEMENPU"),
			 0);
	assert_int_equal(put_route(d, K_ROOT, 200, "any-7312", "*", "73.12", "73.12"), 0);
	assert_int_equal(put_route(d, K_ROOT, 200, "kes-7312", "kesehatan", "73.12",
				   "73.12.DINKES"),
			 0);
	assert_int_equal(put_route(d, K_ROOT, 200, "jalan-73", "jalan", "73", "73"), 0);
	assert_int_equal(put_route(d, K_ROOT, 200, "bad", "jalan", "73", "NOPE"),
			 SP_ERR_UNKNOWN_INSTITUTION);

	/* category-specific beats "*" at the same prefix length */
	sp_test_expect_route(d, "kesehatan", "73.12.03", "73.12.DINKES", "kes-7312");
	sp_test_expect_route(d, "pendidikan", "73.12.03", "73.12", "any-7312");
	/* the longest prefix wins, even over a category-specific rule */
	sp_test_expect_route(d, "jalan", "73.12.01", "73.12", "any-7312");
	sp_test_expect_route(d, "jalan", "73.10", "73", "jalan-73");
	/* a national rule (empty prefix) matches anywhere, and with no region */
	sp_test_expect_route(d, "jalan-nasional", "74.01.02", "KEMENPU", "jalan-nas");
	sp_test_expect_route(d, "jalan-nasional", "", "KEMENPU", "jalan-nas");
	/* ties at the same prefix and category: the smallest rule id */
	assert_int_equal(put_route(d, K_ROOT, 210, "a-jalan-nas", "jalan-nasional", "", "74"), 0);
	sp_test_expect_route(d, "jalan-nasional", "74.01", "74", "a-jalan-nas");
	/* replace and delete by rule id */
	assert_int_equal(put_route(d, K_ROOT, 220, "a-jalan-nas", "jalan-nasional", "", "73"), 0);
	sp_test_expect_route(d, "jalan-nasional", "74.01", "73", "a-jalan-nas");
	assert_int_equal(put_route(d, K_ROOT, 230, "a-jalan-nas", "jalan-nasional", "", ""), 0);
	sp_test_expect_route(d, "jalan-nasional", "74.01", "KEMENPU", "jalan-nas");
	assert_int_equal(put_route(d, K_ROOT, 230, "a-jalan-nas", "jalan-nasional", "", ""),
			 SP_ERR_NOT_FOUND);

	/* invalid region codes and categories */
	static const char *const bad[] = {"73.1", "7", "73.12.3", "73.12.03.20", "73..12",
					  "73.12.", "ab", "73.12.03.2004.1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sp_dir_route(d, "jalan", bad[i], inst, rule), SP_ERR_ARG);
	assert_int_equal(sp_dir_route(d, "Jalan", "73", inst, rule), SP_ERR_ARG);
	sp_dir_free(d);
}

static int put_retire(struct sp_dir *d, uint8_t signer, uint64_t t, const char *id)
{
	struct sp_dir_retire r;
	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", id);
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_retire_encode(&r, &b), 0);
	return put(d, signer, t, SP_EV_RETIRE, &b);
}

/* Retirement: who may, what is refused, and what it changes (routing,
 * officers, the heir, later records); every refusal changes nothing. */
static void test_retire(void **state)
{
	(void)state;
	char heir[SP_INST_ID_MAX + 1];
	struct sp_dir_officer o;
	struct sp_dir_inst in;
	uint8_t off[32];
	struct sp_dir *d = base();
	assert_int_equal(add_inst(d, K_ROOT, 100, "73.12.DINKES", SP_DIR_TIER_UNIT, "73.12",
				  K_UNIT, NULL),
			 0);
	assert_int_equal(put_delegate(d, K_ROOT, 100, "73", "73", 1), 0);
	assert_int_equal(put_officer(d, K_ROOT, 150, "73.12.DINKES", K_OFF1, SP_DIR_ENROL), 0);
	assert_int_equal(put_route(d, K_ROOT, 150, "kes-7312", "kesehatan", "73.12",
				   "73.12.DINKES"),
			 0);
	sp_test_expect_route(d, "kesehatan", "73.12.03", "73.12.DINKES", "kes-7312");

	/* refusals: unknown, the coordinator, one with children in service,
	 * a delegate retiring a government, a stranger; bad ids */
	assert_int_equal(put_retire(d, K_ROOT, 200, "73.99"), SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(put_retire(d, K_ROOT, 200, "KEMENPANRB"), SP_ERR_NOT_DELEGATED);
	assert_int_equal(put_retire(d, K_ROOT, 200, "73.12"), SP_ERR_EXISTS);
	assert_int_equal(put_retire(d, K_73, 200, "73.12"), SP_ERR_NOT_DELEGATED);
	assert_int_equal(put_retire(d, K_74, 200, "73.12.DINKES"), SP_ERR_NOT_DELEGATED);
	struct sp_dir_retire bad = {"73.1"};
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_retire_encode(&bad, &b), SP_ERR_DIR_RECORD);
	sp_buf_free(&b);
	assert_int_equal(sp_dir_retired(d, "73.12.DINKES", SP_DIR_TIME_MAX), 0);

	/* a delegate retires a unit of its subtree */
	assert_int_equal(put_retire(d, K_73, 300, "73.12.DINKES"), 0);
	assert_int_equal(put_retire(d, K_ROOT, 310, "73.12.DINKES"), SP_ERR_RETIRED);
	assert_int_equal(sp_dir_retired(d, "73.12.DINKES", 299), 0);
	assert_int_equal(sp_dir_retired(d, "73.12.DINKES", 300), 1);
	assert_int_equal(sp_dir_heir(d, "73.12.DINKES", 299, heir), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_dir_heir(d, "73.12.DINKES", 300, heir), 0);
	assert_string_equal(heir, "73.12");
	assert_int_equal(sp_dir_institution(d, "73.12.DINKES", 200, &in), 0);
	assert_true(in.retired && in.retired_ms == 300);
	/* its officers stand until the retirement, not after */
	pk_of(K_OFF1, off);
	assert_int_equal(sp_dir_officer(d, off, 299, &o), 0);
	assert_int_equal(sp_dir_officer(d, off, 300, &o), SP_ERR_UNKNOWN_OFFICER);
	/* routing passes over it: the rule naming it, then the default */
	sp_test_expect_route(d, "kesehatan", "73.12.03", "73.12", "default:73.12");
	/* nothing new for it: a version, a child, an officer, a rule */
	assert_int_equal(add_inst(d, K_ROOT, 400, "73.12.DINKES", SP_DIR_TIER_UNIT, "73.12",
				  K_UNIT, NULL),
			 SP_ERR_RETIRED);
	assert_int_equal(add_inst(d, K_ROOT, 400, "73.12.DINKES.X", SP_DIR_TIER_UNIT,
				  "73.12.DINKES", K_UNIT2, NULL),
			 SP_ERR_RETIRED);
	assert_int_equal(put_officer(d, K_ROOT, 400, "73.12.DINKES", K_OFF2, SP_DIR_ENROL),
			 SP_ERR_RETIRED);
	assert_int_equal(put_route(d, K_ROOT, 400, "kes-7312", "kesehatan", "73.12",
				   "73.12.DINKES"),
			 SP_ERR_RETIRED);
	/* its officer may be enrolled elsewhere now */
	assert_int_equal(put_officer(d, K_ROOT, 400, "73.12", K_OFF1, SP_DIR_ENROL), 0);

	/* a kabupaten with its units retired: the province is heir; above a
	 * retired parent, the next one in service */
	assert_int_equal(put_retire(d, K_ROOT, 500, "73.12"), 0);
	assert_int_equal(sp_dir_heir(d, "73.12.DINKES", 500, heir), 0);
	assert_string_equal(heir, "73");
	sp_test_expect_route(d, "kesehatan", "73.12.03", "73", "default:73");
	sp_dir_free(d);
}

static void test_policy(void **state)
{
	(void)state;
	struct sp_dir *d = base();
	struct sp_dir_policy p;
	assert_int_equal(sp_dir_policy_for(d, "bansos", &p), 0);
	assert_int_equal(p.verify, 3);
	assert_int_equal(p.answer, 5);
	assert_int_equal(p.window, 10);
	assert_int_equal(p.ceiling, 60);
	struct sp_dir_policy fed = {"", 2, 4, 7, 30}, bansos = {"bansos", 1, 2, 5, 20};
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_policy_encode(&fed, &b), 0);
	assert_int_equal(put(d, K_ROOT, 100, SP_EV_POLICY, &b), 0);
	assert_int_equal(sp_dir_policy_encode(&bansos, &b), 0);
	assert_int_equal(put(d, K_ROOT, 100, SP_EV_POLICY, &b), 0);
	assert_int_equal(sp_dir_policy_for(d, "bansos", &p), 0);
	assert_int_equal(p.answer, 2);
	assert_int_equal(sp_dir_policy_for(d, "jalan", &p), 0);
	assert_int_equal(p.answer, 4);
	assert_int_equal(p.ceiling, 30);
	sp_dir_free(d);
}

/* A tampered entry never reaches the directory. */
static void test_bad_signature(void **state)
{
	(void)state;
	struct sp_dir *d = base();
	uint8_t pk[32], sk[64];
	sp_test_keypair(K_ROOT, pk, sk);
	struct sp_dir_inst r = mk_inst("74.01", SP_DIR_TIER_KABKOTA, "74", 80, "74.01");
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_inst_encode(&r, &b), 0);
	struct sp_entry e = {0};
	e.version = SP_ENTRY_VERSION;
	e.time_ms = 500;
	e.type = SP_EV_INSTITUTION;
	e.body = b.p;
	e.body_len = b.len;
	uint8_t *buf;
	size_t len;
	assert_int_equal(sp_entry_sign(&e, sk, &buf, &len), 0);
	buf[len - 1] ^= 1;
	size_t n = sp_dir_count(d);
	assert_int_equal(sp_dir_apply_entry(d, buf, len), SP_ERR_BAD_SIGNATURE);
	assert_int_equal(sp_dir_count(d), n);
	free(buf);
	sp_buf_free(&b);
	sp_dir_free(d);
}

/* ---- the backup province (sp_topo.h) ------------------------------------------------ */

/* The 38 provinces of the Kemendagri list (config/wilayah.csv). */
static const char *const provinces38[] = {
	"11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33",
	"34", "35", "36", "51", "52", "53", "61", "62", "63", "64", "65", "71", "72",
	"73", "74", "75", "76", "81", "82", "91", "92", "93", "94", "95", "96"};

/* The weights and picks below were computed independently, with Python's
 * hashlib.blake2b(digest_size=32) over the bytes docs/replication.md
 * §10.7 gives. */
static void test_backup_rule(void **state)
{
	(void)state;
	assert_true(sp_topo_weight("KEMENPU", "73") == 0x54d172db6bd12f00ULL);
	size_t n = sizeof(provinces38) / sizeof(provinces38[0]);
	assert_int_equal(n, 38);
	assert_string_equal(provinces38[sp_topo_pick("KEMENPU", provinces38, n)], "53");
	assert_string_equal(provinces38[sp_topo_pick("KEMENDAGRI", provinces38, n)], "92");
	assert_string_equal(provinces38[sp_topo_pick("PLN", provinces38, n)], "82");
	assert_int_equal(sp_topo_pick("KEMENPU", provinces38, 0), 0);
	/* Rendezvous: dropping a province moves only those it backed. */
	const char *without53[37];
	for (size_t i = 0, k = 0; i < n; i++)
		if (strcmp(provinces38[i], "53") != 0)
			without53[k++] = provinces38[i];
	assert_string_equal(without53[sp_topo_pick("KEMENDAGRI", without53, 37)], "92");
	assert_string_not_equal(without53[sp_topo_pick("KEMENPU", without53, 37)], "53");
	/* Who needs one: what hangs from the coordinator alone. */
	assert_true(sp_topo_needs_backup(SP_DIR_TIER_MINISTRY, 1));
	assert_true(sp_topo_needs_backup(SP_DIR_TIER_AGENCY, 1));
	assert_true(sp_topo_needs_backup(SP_DIR_TIER_UNIT, 1));
	assert_false(sp_topo_needs_backup(SP_DIR_TIER_PROVINCE, 1));
	assert_false(sp_topo_needs_backup(SP_DIR_TIER_COORDINATOR, 0));
	assert_false(sp_topo_needs_backup(SP_DIR_TIER_KABKOTA, 0));
	assert_false(sp_topo_needs_backup(SP_DIR_TIER_UNIT, 0));
}

/* The rule on a directory: KEMENPU's backup among 73 and 74 is 73; a
 * retired province is no candidate, and what it backed moves. */
static void test_backup_dir(void **state)
{
	(void)state;
	struct sp_dir *d = base();
	char out[SP_INST_ID_MAX + 1];
	char (*v)[SP_INST_ID_MAX + 1] = NULL;
	size_t n = 0;
	assert_int_equal(sp_topo_backup(d, "KEMENPU", out), 0);
	assert_string_equal(out, "73");
	assert_int_equal(sp_topo_backup(d, "73", out), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_topo_backup(d, "73.12", out), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_topo_backup(d, "KEMENPANRB", out), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_topo_backup(d, "99", out), SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(add_inst(d, K_ROOT, 200, "KEMENPU.JALAN", SP_DIR_TIER_UNIT, "KEMENPU",
				  K_UNIT, NULL),
			 0);
	assert_int_equal(sp_topo_backup(d, "KEMENPU.JALAN", out), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_topo_backed(d, "73", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "KEMENPU");
	free(v);
	assert_int_equal(sp_topo_backed(d, "74", &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(sp_topo_backed(d, "KEMENPU", &v, &n), 0);
	assert_int_equal(n, 0);
	/* 73 leaves service: 74 is the only candidate left. */
	assert_int_equal(put_retire(d, K_ROOT, 300, "73.12"), 0);
	assert_int_equal(put_retire(d, K_ROOT, 300, "73"), 0);
	assert_int_equal(sp_topo_backup(d, "KEMENPU", out), 0);
	assert_string_equal(out, "74");
	assert_int_equal(sp_topo_backed(d, "74", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "KEMENPU");
	free(v);
	assert_int_equal(sp_topo_backed(d, "73", &v, &n), 0);
	assert_int_equal(n, 0);
	sp_dir_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),     cmocka_unit_test(test_encode_invalid),
		cmocka_unit_test(test_decode_strict), cmocka_unit_test(test_region_syntax),
		cmocka_unit_test(test_root_only),     cmocka_unit_test(test_delegation),
		cmocka_unit_test(test_key_rotation),  cmocka_unit_test(test_root_chain),
		cmocka_unit_test(test_root_chain_known),
		cmocka_unit_test(test_officers),
		cmocka_unit_test(test_tree),          cmocka_unit_test(test_routing),
		cmocka_unit_test(test_policy),        cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_fork_resolution), cmocka_unit_test(test_retire),
		cmocka_unit_test(test_backup_rule),   cmocka_unit_test(test_backup_dir),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

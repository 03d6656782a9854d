/*
 * test_merkle.c - unit tests for RFC 6962 / RFC 9162 Merkle trees
 * (protocol/sp_merkle.c): the published test vectors of
 * docs/vectors/merkle.md (leaf hashes, roots of sizes 0..8, inclusion and
 * consistency proofs, byte for byte); a naive reference implementation of
 * the RFC 9162 section 2.1 definitions (MTH, PATH, SUBPROOF) compared
 * with sp_merkle for every tree size 1..300 (roots, every range hash,
 * every inclusion proof, every consistency proof); rejection of corrupted
 * proofs, roots, leaves, indexes and sizes; the node-callback contract and
 * its errors; sizes up to 2^63; and the compact-range frontier.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_merkle.h"

#define N        300u /* tree sizes checked exhaustively against the reference */
#define NLEVELS  9    /* complete subtrees of a 300-leaf tree: levels 0..8 */
#define EXH      64   /* sizes whose proofs are also corrupted in every way */
#define MAX_SIZE (UINT64_C(1) << 63)

/* ---- test vectors (docs/vectors/merkle.md) ---------------------------- */

static const struct {
	const char *data;
	size_t len;
} vec_in[8] = {
    {"", 0},
    {"\x00", 1},
    {"\x10", 1},
    {"\x20\x21", 2},
    {"\x30\x31", 2},
    {"\x40\x41\x42\x43", 4},
    {"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
    {"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16},
};

static const char *const vec_leaf[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
};

static const char vec_empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* vec_root[n - 1]: the root of the first n leaves. */
static const char *const vec_root[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* Inclusion proofs: leaf index (0-based), tree size, path. */
static const struct {
	uint64_t index, size;
	size_t n;
	const char *proof[3];
} vec_incl[] = {
    {0, 1, 0, {NULL}},
    {0,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

/* Consistency proofs: old size, new size, proof. */
static const struct {
	uint64_t old_size, new_size;
	size_t n;
	const char *proof[4];
} vec_cons[] = {
    {1, 1, 0, {NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    /* Not in the published set; computed from the RFC definitions. */
    {3,
     7,
     4,
     {"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"}},
    {4, 8, 1, {"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void hx(const char *hex, uint8_t out[32])
{
	size_t len = 0;
	assert_int_equal(sodium_hex2bin(out, 32, hex, strlen(hex), NULL, &len, NULL), 0);
	assert_int_equal(len, 32);
}

/* ---- the reference: RFC 9162 section 2.1, written out naively ---------- */

static sp_hash ref_leaves[N]; /* reference leaf hashes of the test leaves */

/* The largest power of two smaller than n (n > 1). */
static uint64_t ref_k(uint64_t n)
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[lo:hi]), memoised by (lo, hi) so that 45,000 proofs stay cheap;
 * the recursion itself is the RFC's. */
static sp_hash *memo;
static uint8_t *memo_ok;

static void ref_mth(uint64_t lo, uint64_t hi, uint8_t out[32])
{
	size_t m = (size_t)(lo * (N + 1) + hi);
	uint8_t l[32], r[32];

	if (hi == lo) {
		crypto_hash_sha256(out, NULL, 0);
		return;
	}
	if (hi - lo == 1) {
		memcpy(out, ref_leaves[lo], 32);
		return;
	}
	if (memo_ok[m]) {
		memcpy(out, memo[m], 32);
		return;
	}
	uint64_t k = ref_k(hi - lo);
	ref_mth(lo, lo + k, l);
	ref_mth(lo + k, hi, r);
	sp_test_node_hash(l, r, out);
	memcpy(memo[m], out, 32);
	memo_ok[m] = 1;
}

/* A proof and its shape: one letter per element saying on which side the
 * element is hashed in (L: it is the left sibling, R: the right one, S:
 * the consistency proof's starting node; '*' when that starting node is
 * the old root itself and is not sent). Two proofs of equal shape make
 * the verifier compute the same expression. */
struct ref_proof {
	size_t n;
	sp_hash p[SP_MERKLE_MAX_PROOF];
	char shape[SP_MERKLE_MAX_PROOF + 2];
	size_t ns;
};

static void ref_push(struct ref_proof *rp, const uint8_t *h, char side)
{
	if (h) {
		assert_true(rp->n < SP_MERKLE_MAX_PROOF);
		memcpy(rp->p[rp->n++], h, 32);
	}
	rp->shape[rp->ns++] = side;
	rp->shape[rp->ns] = '\0';
}

/* PATH(m, D[lo:hi]) */
static void ref_path(uint64_t m, uint64_t lo, uint64_t hi, struct ref_proof *rp)
{
	uint8_t h[32];
	uint64_t n = hi - lo, k;

	if (n == 1)
		return;
	k = ref_k(n);
	if (m < k) {
		ref_path(m, lo, lo + k, rp);
		ref_mth(lo + k, hi, h);
		ref_push(rp, h, 'R');
	} else {
		ref_path(m - k, lo + k, hi, rp);
		ref_mth(lo, lo + k, h);
		ref_push(rp, h, 'L');
	}
}

/* SUBPROOF(m, D[lo:hi], b) */
static void ref_subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, struct ref_proof *rp)
{
	uint8_t h[32];
	uint64_t n = hi - lo, k;

	if (m == n) {
		if (b) {
			ref_push(rp, NULL, '*');
		} else {
			ref_mth(lo, hi, h);
			ref_push(rp, h, 'S');
		}
		return;
	}
	k = ref_k(n);
	if (m <= k) {
		ref_subproof(m, lo, lo + k, b, rp);
		ref_mth(lo + k, hi, h);
		ref_push(rp, h, 'R');
	} else {
		ref_subproof(m - k, lo + k, hi, 0, rp);
		ref_mth(lo, lo + k, h);
		ref_push(rp, h, 'L');
	}
}

static void ref_inclusion(uint64_t index, uint64_t size, struct ref_proof *rp)
{
	memset(rp, 0, sizeof(*rp));
	ref_path(index, 0, size, rp);
}

/* PROOF(m, D[n]) = SUBPROOF(m, D[n], true); empty when m == n. */
static void ref_consistency(uint64_t old_size, uint64_t new_size, struct ref_proof *rp)
{
	memset(rp, 0, sizeof(*rp));
	if (old_size < new_size)
		ref_subproof(old_size, 0, new_size, 1, rp);
}

/* ---- node callbacks ---------------------------------------------------- */

/* A precomputed node cache over the N test leaves. It checks the callback
 * contract: only complete subtrees of the tree being asked about. */
struct cache {
	sp_hash *lv[NLEVELS]; /* lv[l][i]: complete subtree (l, i) */
	uint64_t size;        /* tree size the caller is working on */
	unsigned calls;
	int fail; /* if non-zero, return it from call number fail_at */
	unsigned fail_at;
};

static struct cache cache;

static int cache_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct cache *c = ctx;

	assert_true(level < NLEVELS);
	assert_true(index < (c->size >> level)); /* ((index + 1) << level) <= size */
	if (c->fail && c->calls == c->fail_at)
		return c->fail;
	c->calls++;
	memcpy(out, c->lv[level][index], 32);
	return 0;
}

static struct cache *at(uint64_t size)
{
	cache.size = size;
	cache.calls = 0;
	cache.fail = 0;
	return &cache;
}

/* A tree of any size up to 2^63 whose leaves are all the same hash, so
 * every complete subtree of level l has the same hash z[l]. */
static sp_hash z[64];

struct ztree {
	uint64_t size;
};

static int z_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	const struct ztree *t = ctx;

	assert_true(level < 64);
	assert_true(index < (t->size >> level));
	memcpy(out, z[level], 32);
	return 0;
}

/* ---- setup ------------------------------------------------------------- */

static int setup(void **state)
{
	char buf[32];

	for (unsigned i = 0; i < N; i++) {
		if (i < 8) {
			sp_test_leaf_hash((const uint8_t *)vec_in[i].data, vec_in[i].len,
			              ref_leaves[i]);
		} else {
			int len = snprintf(buf, sizeof(buf), "leaf %u", i);
			sp_test_leaf_hash((const uint8_t *)buf, (size_t)len, ref_leaves[i]);
		}
	}
	memo = calloc((size_t)(N + 1) * (N + 1), sizeof(sp_hash));
	memo_ok = calloc((size_t)(N + 1) * (N + 1), 1);
	if (!memo || !memo_ok)
		return -1;
	for (unsigned l = 0; l < NLEVELS; l++) {
		uint64_t cnt = N >> l;
		cache.lv[l] = calloc(cnt ? cnt : 1, sizeof(sp_hash));
		if (!cache.lv[l])
			return -1;
		for (uint64_t i = 0; i < cnt; i++) {
			if (l == 0)
				memcpy(cache.lv[0][i], ref_leaves[i], 32);
			else
				sp_test_node_hash(cache.lv[l - 1][2 * i], cache.lv[l - 1][2 * i + 1],
				              cache.lv[l][i]);
		}
	}
	sp_test_ztree(z);
	(void)state;
	return 0;
}

static int teardown(void **state)
{
	free(memo);
	free(memo_ok);
	for (unsigned l = 0; l < NLEVELS; l++)
		free(cache.lv[l]);
	(void)state;
	return 0;
}

/* ---- (a) published vectors -------------------------------------------- */

static void vec_leaves(sp_hash out[8])
{
	for (unsigned i = 0; i < 8; i++)
		sp_merkle_leaf_hash((const uint8_t *)vec_in[i].data, vec_in[i].len, out[i]);
}

static void test_vector_hashes(void **state)
{
	sp_hash lv[8];
	uint8_t want[32], got[32];
	struct sp_merkle_frontier f;

	(void)state;
	vec_leaves(lv);
	for (unsigned i = 0; i < 8; i++) {
		hx(vec_leaf[i], want);
		assert_memory_equal(lv[i], want, 32);
	}
	hx(vec_empty, want);
	sp_merkle_empty_root(got);
	assert_memory_equal(got, want, 32);
	assert_int_equal(sp_merkle_root(sp_merkle_mem_node, lv, 0, got), 0);
	assert_memory_equal(got, want, 32);

	sp_merkle_frontier_init(&f);
	for (unsigned n = 1; n <= 8; n++) {
		hx(vec_root[n - 1], want);
		assert_int_equal(sp_merkle_root(sp_merkle_mem_node, lv, n, got), 0);
		assert_memory_equal(got, want, 32);
		sp_merkle_frontier_append(&f, lv[n - 1]);
		sp_merkle_frontier_root(&f, got);
		assert_memory_equal(got, want, 32);
	}

	/* Node hashes: out may alias an input. */
	uint8_t a[32], b[32];
	memcpy(a, lv[0], 32);
	memcpy(b, lv[1], 32);
	sp_merkle_node_hash(a, b, a);
	hx(vec_root[1], want);
	assert_memory_equal(a, want, 32);
	memcpy(a, lv[0], 32);
	sp_merkle_node_hash(a, b, b);
	assert_memory_equal(b, want, 32);
}

static void test_vector_inclusion(void **state)
{
	sp_hash lv[8], proof[SP_MERKLE_MAX_PROOF + 2], bad[SP_MERKLE_MAX_PROOF + 2];
	uint8_t root[32], some[32], empty[32];
	size_t n;

	(void)state;
	vec_leaves(lv);
	hx("abacaba000000000000000000000000000000000000000000060061e00123456", some);
	sp_merkle_empty_root(empty);
	for (size_t v = 0; v < COUNT(vec_incl); v++) {
		uint64_t i = vec_incl[v].index, s = vec_incl[v].size;
		size_t vn = vec_incl[v].n;

		hx(vec_root[s - 1], root);
		assert_int_equal(sp_merkle_inclusion_proof(sp_merkle_mem_node, lv, i, s, proof, &n),
		                 0);
		assert_int_equal(n, vn);
		for (size_t j = 0; j < vn; j++) {
			uint8_t want[32];
			hx(vec_incl[v].proof[j], want);
			assert_memory_equal(proof[j], want, 32);
		}
		assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, proof, n, root), 0);

		/* The probes of transparency-dev/merkle's verifier tests. */
		if (i > 0)
			assert_int_not_equal(
			    sp_merkle_verify_inclusion(lv[i], i - 1, s, proof, n, root), 0);
		assert_int_not_equal(sp_merkle_verify_inclusion(lv[i], i + 1, s, proof, n, root),
		                     0);
		assert_int_not_equal(sp_merkle_verify_inclusion(lv[i], i ^ 2, s, proof, n, root),
		                     0);
		assert_int_not_equal(sp_merkle_verify_inclusion(lv[i], i, s * 2, proof, n, root),
		                     0);
		assert_int_not_equal(sp_merkle_verify_inclusion(lv[i], i, s / 2, proof, n, root),
		                     0);
		assert_int_equal(sp_merkle_verify_inclusion(some, i, s, proof, n, root),
		                 SP_ERR_PROOF);
		assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, proof, n, empty),
		                 SP_ERR_PROOF);
		assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, proof, n, some),
		                 SP_ERR_PROOF);
		/* trailing garbage / trailing root */
		memcpy(bad, proof, n * 32);
		memset(bad[n], 0, 32);
		assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, bad, n + 1, root),
		                 SP_ERR_PROOF);
		memcpy(bad[n], root, 32);
		assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, bad, n + 1, root),
		                 SP_ERR_PROOF);
		/* preceding garbage / preceding root */
		memset(bad[0], 0, 32);
		memcpy(bad + 1, proof, n * 32);
		assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, bad, n + 1, root),
		                 SP_ERR_PROOF);
		memcpy(bad[0], root, 32);
		assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, bad, n + 1, root),
		                 SP_ERR_PROOF);
		for (size_t j = 0; j < n; j++) {
			memcpy(bad, proof, n * 32);
			bad[j][0] ^= 8;
			assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, bad, n, root),
			                 SP_ERR_PROOF);
		}
		if (n > 0)
			assert_int_equal(
			    sp_merkle_verify_inclusion(lv[i], i, s, proof, n - 1, root),
			    SP_ERR_PROOF);
		if (n > 1) { /* inserted component */
			memcpy(bad[0], proof[0], 32);
			memcpy(bad[1], some, 32);
			memcpy(bad + 2, proof + 1, (n - 1) * 32);
			assert_int_equal(sp_merkle_verify_inclusion(lv[i], i, s, bad, n + 1, root),
			                 SP_ERR_PROOF);
		}
	}
}

static void test_vector_consistency(void **state)
{
	sp_hash lv[8], proof[SP_MERKLE_MAX_PROOF + 2], bad[SP_MERKLE_MAX_PROOF + 2];
	uint8_t r1[32], r2[32], some[32];
	size_t n;

	(void)state;
	vec_leaves(lv);
	hx("abacaba000000000000000000000000000000000000000000060061e00123456", some);
	for (size_t v = 0; v < COUNT(vec_cons); v++) {
		uint64_t s1 = vec_cons[v].old_size, s2 = vec_cons[v].new_size;
		size_t vn = vec_cons[v].n;

		hx(vec_root[s1 - 1], r1);
		hx(vec_root[s2 - 1], r2);
		assert_int_equal(
		    sp_merkle_consistency_proof(sp_merkle_mem_node, lv, s1, s2, proof, &n), 0);
		assert_int_equal(n, vn);
		for (size_t j = 0; j < vn; j++) {
			uint8_t want[32];
			hx(vec_cons[v].proof[j], want);
			assert_memory_equal(proof[j], want, 32);
		}
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, proof, n), 0);
		if (n == 0) {
			/* Equal sizes: the roots must match, no proof allowed. */
			assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, some, proof, 0),
			                 SP_ERR_PROOF);
			memcpy(bad[0], r1, 32);
			assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, bad, 1),
			                 SP_ERR_PROOF);
			continue;
		}

		/* The probes of transparency-dev/merkle's verifier tests. */
		assert_int_not_equal(sp_merkle_verify_consistency(s1 - 1, s2, r1, r2, proof, n), 0);
		assert_int_not_equal(sp_merkle_verify_consistency(s1 + 1, s2, r1, r2, proof, n), 0);
		assert_int_not_equal(sp_merkle_verify_consistency(s1 ^ 2, s2, r1, r2, proof, n), 0);
		assert_int_not_equal(sp_merkle_verify_consistency(s1, s2 * 2, r1, r2, proof, n), 0);
		assert_int_not_equal(sp_merkle_verify_consistency(s1, s2 / 2, r1, r2, proof, n), 0);
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, some, r2, proof, n),
		                 SP_ERR_PROOF);
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, some, proof, n),
		                 SP_ERR_PROOF);
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, r2, r1, proof, n),
		                 SP_ERR_PROOF);
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, proof, 0),
		                 SP_ERR_PROOF);
		memcpy(bad, proof, n * 32);
		memset(bad[n], 0, 32);
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, bad, n + 1),
		                 SP_ERR_PROOF);
		memcpy(bad[n], r1, 32);
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, bad, n + 1),
		                 SP_ERR_PROOF);
		memcpy(bad[n], r2, 32);
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, bad, n + 1),
		                 SP_ERR_PROOF);
		const uint8_t *front[4] = {NULL, r1, r2, proof[0]};
		for (unsigned f = 0; f < 4; f++) {
			if (front[f])
				memcpy(bad[0], front[f], 32);
			else
				memset(bad[0], 0, 32);
			memcpy(bad + 1, proof, n * 32);
			assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, bad, n + 1),
			                 SP_ERR_PROOF);
		}
		assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, proof, n - 1),
		                 SP_ERR_PROOF);
		for (size_t j = 0; j < n; j++) {
			memcpy(bad, proof, n * 32);
			bad[j][0] ^= 16;
			assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, bad, n),
			                 SP_ERR_PROOF);
		}
	}
}

/* ---- (b) against the reference, sizes 1..N ----------------------------- */

static void test_roots_and_ranges(void **state)
{
	uint8_t got[32], want[32];

	(void)state;
	assert_int_equal(sp_merkle_root(cache_node, at(0), 0, got), 0);
	ref_mth(0, 0, want);
	assert_memory_equal(got, want, 32);
	assert_int_equal(cache.calls, 0);
	for (uint64_t s = 1; s <= N; s++) {
		assert_int_equal(sp_merkle_root(cache_node, at(s), s, got), 0);
		ref_mth(0, s, want);
		assert_memory_equal(got, want, 32);
		/* one lookup per complete part of the root range */
		assert_int_equal(cache.calls, __builtin_popcountll(s));
	}
	/* Every range [lo, hi) that is a node of some tree (lo a multiple of
	 * the smallest power of two >= its length) hashes like MTH(D[lo:hi]);
	 * every other range is refused. */
	for (uint64_t lo = 0; lo < N; lo++) {
		for (uint64_t hi = lo + 1; hi <= N; hi++) {
			uint64_t len = hi - lo, span = 1;
			while (span < len)
				span *= 2;
			int rc = sp_merkle_range_hash(cache_node, at(hi), lo, hi, got);
			if (lo % span) {
				assert_int_equal(rc, SP_ERR_ARG);
				continue;
			}
			assert_int_equal(rc, 0);
			ref_mth(lo, hi, want);
			assert_memory_equal(got, want, 32);
		}
		assert_int_equal(sp_merkle_range_hash(cache_node, at(N), lo, lo, got), SP_ERR_ARG);
		if (lo > 0)
			assert_int_equal(sp_merkle_range_hash(cache_node, at(N), lo, lo - 1, got),
			                 SP_ERR_ARG);
	}
}

static void test_inclusion_all(void **state)
{
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	struct ref_proof rp;
	uint8_t root[32];
	size_t n;

	(void)state;
	for (uint64_t s = 1; s <= N; s++) {
		ref_mth(0, s, root);
		for (uint64_t i = 0; i < s; i++) {
			assert_int_equal(
			    sp_merkle_inclusion_proof(cache_node, at(s), i, s, proof, &n), 0);
			ref_inclusion(i, s, &rp);
			assert_int_equal(n, rp.n);
			if (n)
				assert_memory_equal(proof, rp.p, n * 32);
			assert_int_equal(
			    sp_merkle_verify_inclusion(ref_leaves[i], i, s, proof, n, root), 0);
		}
		/* index == size, size 0 */
		n = 99;
		assert_int_equal(sp_merkle_inclusion_proof(cache_node, at(s), s, s, proof, &n),
		                 SP_ERR_RANGE);
		assert_int_equal(n, 0);
	}
	assert_int_equal(sp_merkle_inclusion_proof(cache_node, at(0), 0, 0, proof, &n),
	                 SP_ERR_RANGE);
}

static void test_consistency_all(void **state)
{
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	struct ref_proof rp;
	uint8_t r1[32], r2[32];
	size_t n;

	(void)state;
	for (uint64_t s2 = 1; s2 <= N; s2++) {
		ref_mth(0, s2, r2);
		for (uint64_t s1 = 1; s1 <= s2; s1++) {
			ref_mth(0, s1, r1);
			assert_int_equal(
			    sp_merkle_consistency_proof(cache_node, at(s2), s1, s2, proof, &n), 0);
			ref_consistency(s1, s2, &rp);
			assert_int_equal(n, rp.n);
			if (n)
				assert_memory_equal(proof, rp.p, n * 32);
			assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, proof, n), 0);
		}
		n = 99;
		assert_int_equal(sp_merkle_consistency_proof(cache_node, at(s2), 0, s2, proof, &n),
		                 SP_ERR_RANGE);
		assert_int_equal(n, 0);
		assert_int_equal(
		    sp_merkle_consistency_proof(cache_node, at(s2 + 1), s2 + 1, s2, proof, &n),
		    SP_ERR_RANGE);
	}
}

/* sp_merkle_mem_node, the callback the tools use, agrees with the cache. */
static void test_mem_node(void **state)
{
	sp_hash proof[SP_MERKLE_MAX_PROOF], proof2[SP_MERKLE_MAX_PROOF];
	uint8_t got[32], want[32];
	size_t n, n2;

	(void)state;
	for (unsigned l = 0; l < NLEVELS; l++)
		for (uint64_t i = 0; i < (N >> l); i++) {
			assert_int_equal(sp_merkle_mem_node(ref_leaves, l, i, got), 0);
			assert_memory_equal(got, cache.lv[l][i], 32);
		}
	for (uint64_t s = 1; s <= 70; s++) {
		assert_int_equal(sp_merkle_root(sp_merkle_mem_node, ref_leaves, s, got), 0);
		ref_mth(0, s, want);
		assert_memory_equal(got, want, 32);
		for (uint64_t i = 0; i < s; i++) {
			assert_int_equal(sp_merkle_inclusion_proof(sp_merkle_mem_node, ref_leaves,
			                                           i, s, proof, &n),
			                 0);
			assert_int_equal(
			    sp_merkle_inclusion_proof(cache_node, at(s), i, s, proof2, &n2), 0);
			assert_int_equal(n, n2);
			if (n)
				assert_memory_equal(proof, proof2, n * 32);
			assert_int_equal(sp_merkle_consistency_proof(sp_merkle_mem_node, ref_leaves,
			                                             i + 1, s, proof, &n),
			                 0);
			assert_int_equal(
			    sp_merkle_consistency_proof(cache_node, at(s), i + 1, s, proof2, &n2),
			    0);
			assert_int_equal(n, n2);
			if (n)
				assert_memory_equal(proof, proof2, n * 32);
		}
	}
	assert_int_equal(sp_merkle_mem_node(ref_leaves, 64, 0, got), SP_ERR_ARG);
}

/* ---- (c) negative tests ------------------------------------------------ */

/* Every single-bit change of every proof element, of the leaf and of the
 * root is rejected; so are shortened, lengthened and shifted proofs. */
static void test_inclusion_corrupt(void **state)
{
	sp_hash proof[SP_MERKLE_MAX_PROOF + 1], bad[SP_MERKLE_MAX_PROOF + 1];
	uint8_t root[32], leaf[32], broot[32];
	size_t n;

	(void)state;
	for (uint64_t s = 1; s <= EXH; s++) {
		ref_mth(0, s, root);
		for (uint64_t i = 0; i < s; i++) {
			assert_int_equal(
			    sp_merkle_inclusion_proof(cache_node, at(s), i, s, proof, &n), 0);
			for (size_t j = 0; j < n; j++)
				for (unsigned bit = 0; bit < 256; bit += 37) {
					memcpy(bad, proof, n * 32);
					bad[j][bit / 8] ^= (uint8_t)(1u << (bit % 8));
					assert_int_equal(sp_merkle_verify_inclusion(
					                     ref_leaves[i], i, s, bad, n, root),
					                 SP_ERR_PROOF);
				}
			for (unsigned bit = 0; bit < 256; bit += 37) {
				memcpy(leaf, ref_leaves[i], 32);
				leaf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				assert_int_equal(
				    sp_merkle_verify_inclusion(leaf, i, s, proof, n, root),
				    SP_ERR_PROOF);
				memcpy(broot, root, 32);
				broot[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				assert_int_equal(sp_merkle_verify_inclusion(ref_leaves[i], i, s,
				                                            proof, n, broot),
				                 SP_ERR_PROOF);
			}
			/* another leaf's hash at this index */
			assert_int_equal(sp_merkle_verify_inclusion(ref_leaves[(i + 1) % N], i, s,
			                                            proof, n, root),
			                 SP_ERR_PROOF);
			if (n > 0)
				assert_int_equal(sp_merkle_verify_inclusion(ref_leaves[i], i, s,
				                                            proof, n - 1, root),
				                 SP_ERR_PROOF);
			memcpy(bad, proof, n * 32);
			memcpy(bad[n], root, 32);
			assert_int_equal(
			    sp_merkle_verify_inclusion(ref_leaves[i], i, s, bad, n + 1, root),
			    SP_ERR_PROOF);
			memcpy(bad[0], ref_leaves[i], 32);
			memcpy(bad + 1, proof, n * 32);
			assert_int_equal(
			    sp_merkle_verify_inclusion(ref_leaves[i], i, s, bad, n + 1, root),
			    SP_ERR_PROOF);
		}
	}
}

/* A proof for (index, size) verifies, with the same leaf and root, at any
 * other (index', size') exactly when the reference gives that position the
 * same shape (a different position of the same shape makes the verifier
 * compute the same hashes: RFC 9162's verifier can't tell them apart, and
 * only the root binds the size). Everything else is SP_ERR_PROOF, or
 * SP_ERR_RANGE for index' >= size'. */
#define GRID 40
static void test_inclusion_wrong_position(void **state)
{
	static struct ref_proof shapes[GRID + 1][GRID];
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	uint8_t root[32];
	size_t n;

	(void)state;
	for (uint64_t s = 1; s <= GRID; s++)
		for (uint64_t i = 0; i < s; i++)
			ref_inclusion(i, s, &shapes[s][i]);
	for (uint64_t s = 1; s <= 20; s++) {
		ref_mth(0, s, root);
		for (uint64_t i = 0; i < s; i++) {
			assert_int_equal(
			    sp_merkle_inclusion_proof(cache_node, at(s), i, s, proof, &n), 0);
			for (uint64_t s2 = 0; s2 <= GRID; s2++)
				for (uint64_t i2 = 0; i2 <= GRID; i2++) {
					int rc = sp_merkle_verify_inclusion(ref_leaves[i], i2, s2,
					                                    proof, n, root);
					if (i2 >= s2)
						assert_int_equal(rc, SP_ERR_RANGE);
					else if (strcmp(shapes[s2][i2].shape, shapes[s][i].shape) ==
					         0)
						assert_int_equal(rc, 0);
					else
						assert_int_equal(rc, SP_ERR_PROOF);
				}
		}
	}
}

static void test_consistency_corrupt(void **state)
{
	sp_hash proof[SP_MERKLE_MAX_PROOF + 1], bad[SP_MERKLE_MAX_PROOF + 1];
	uint8_t r1[32], r2[32], b1[32], b2[32];
	size_t n;

	(void)state;
	for (uint64_t s2 = 1; s2 <= EXH; s2++) {
		ref_mth(0, s2, r2);
		for (uint64_t s1 = 1; s1 <= s2; s1++) {
			ref_mth(0, s1, r1);
			assert_int_equal(
			    sp_merkle_consistency_proof(cache_node, at(s2), s1, s2, proof, &n), 0);
			for (size_t j = 0; j < n; j++)
				for (unsigned bit = 0; bit < 256; bit += 37) {
					memcpy(bad, proof, n * 32);
					bad[j][bit / 8] ^= (uint8_t)(1u << (bit % 8));
					assert_int_equal(
					    sp_merkle_verify_consistency(s1, s2, r1, r2, bad, n),
					    SP_ERR_PROOF);
				}
			for (unsigned bit = 0; bit < 256; bit += 37) {
				memcpy(b1, r1, 32);
				b1[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				memcpy(b2, r2, 32);
				b2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				assert_int_equal(
				    sp_merkle_verify_consistency(s1, s2, b1, r2, proof, n),
				    SP_ERR_PROOF);
				assert_int_equal(
				    sp_merkle_verify_consistency(s1, s2, r1, b2, proof, n),
				    SP_ERR_PROOF);
			}
			if (s1 < s2)
				assert_int_equal(
				    sp_merkle_verify_consistency(s1, s2, r2, r1, proof, n),
				    SP_ERR_PROOF);
			if (n > 0)
				assert_int_equal(
				    sp_merkle_verify_consistency(s1, s2, r1, r2, proof, n - 1),
				    SP_ERR_PROOF);
			memcpy(bad, proof, n * 32);
			memcpy(bad[n], r2, 32);
			assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, bad, n + 1),
			                 SP_ERR_PROOF);
			memcpy(bad[0], r1, 32);
			memcpy(bad + 1, proof, n * 32);
			assert_int_equal(sp_merkle_verify_consistency(s1, s2, r1, r2, bad, n + 1),
			                 SP_ERR_PROOF);
		}
	}
}

/* As for inclusion: a consistency proof verifies at other sizes, with the
 * same two roots, exactly when the reference gives them the same shape. */
static void test_consistency_wrong_sizes(void **state)
{
	static struct ref_proof shapes[GRID + 1][GRID + 1];
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	uint8_t r1[32], r2[32];
	size_t n;

	(void)state;
	for (uint64_t b = 1; b <= GRID; b++)
		for (uint64_t a = 1; a <= b; a++)
			ref_consistency(a, b, &shapes[a][b]);
	for (uint64_t s2 = 1; s2 <= 20; s2++) {
		ref_mth(0, s2, r2);
		for (uint64_t s1 = 1; s1 <= s2; s1++) {
			ref_mth(0, s1, r1);
			assert_int_equal(
			    sp_merkle_consistency_proof(cache_node, at(s2), s1, s2, proof, &n), 0);
			for (uint64_t b = 0; b <= GRID; b++)
				for (uint64_t a = 0; a <= GRID; a++) {
					int rc =
					    sp_merkle_verify_consistency(a, b, r1, r2, proof, n);
					if (a == 0 || a > b)
						assert_int_equal(rc, SP_ERR_RANGE);
					else if (strcmp(shapes[a][b].shape, shapes[s1][s2].shape) ==
					         0)
						assert_int_equal(rc, 0);
					else
						assert_int_equal(rc, SP_ERR_PROOF);
				}
		}
	}
}

static void test_impossible_sizes(void **state)
{
	sp_hash proof[SP_MERKLE_MAX_PROOF + 1];
	uint8_t h[32], r[32];
	struct ztree t = {MAX_SIZE};
	size_t n;

	(void)state;
	memset(proof, 0, sizeof(proof));
	memset(h, 7, 32);
	memset(r, 9, 32);
	/* inclusion: index >= size, size 0, size > 2^63 */
	assert_int_equal(sp_merkle_verify_inclusion(h, 0, 0, proof, 0, r), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_inclusion(h, 1, 1, proof, 0, r), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_inclusion(h, 5, 3, proof, 2, r), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_inclusion(h, UINT64_MAX, UINT64_MAX, proof, 0, r),
	                 SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_inclusion(h, 0, MAX_SIZE + 1, proof, 63, r),
	                 SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_inclusion(h, 0, UINT64_MAX, proof, 63, r), SP_ERR_RANGE);
	/* a one-leaf tree: the leaf is the root, the proof is empty */
	assert_int_equal(sp_merkle_verify_inclusion(h, 0, 1, proof, 0, h), 0);
	assert_int_equal(sp_merkle_verify_inclusion(h, 0, 1, proof, 0, r), SP_ERR_PROOF);
	assert_int_equal(sp_merkle_verify_inclusion(h, 0, 1, proof, 1, h), SP_ERR_PROOF);
	/* longer than any proof can be */
	assert_int_equal(
	    sp_merkle_verify_inclusion(h, 0, MAX_SIZE, proof, SP_MERKLE_MAX_PROOF + 1, r),
	    SP_ERR_PROOF);
	assert_int_equal(sp_merkle_verify_inclusion(h, 0, 2, proof, SIZE_MAX, r), SP_ERR_PROOF);

	/* consistency: old 0, old > new, new > 2^63 */
	assert_int_equal(sp_merkle_verify_consistency(0, 0, r, r, proof, 0), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_consistency(0, 5, r, r, proof, 0), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_consistency(2, 1, r, r, proof, 1), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_consistency(1, MAX_SIZE + 1, r, r, proof, 63),
	                 SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_consistency(UINT64_MAX, UINT64_MAX, r, r, proof, 0),
	                 SP_ERR_RANGE);
	assert_int_equal(sp_merkle_verify_consistency(1, 2, r, r, proof, 0), SP_ERR_PROOF);
	assert_int_equal(
	    sp_merkle_verify_consistency(1, MAX_SIZE, r, r, proof, SP_MERKLE_MAX_PROOF + 1),
	    SP_ERR_PROOF);
	assert_int_equal(sp_merkle_verify_consistency(3, 5, r, h, proof, SIZE_MAX), SP_ERR_PROOF);
	/* An empty proof may come as NULL; nothing is read from it. */
	assert_int_equal(sp_merkle_verify_inclusion(h, 0, 1, NULL, 0, h), 0);
	assert_int_equal(sp_merkle_verify_inclusion(h, 1, 2, NULL, 0, h), SP_ERR_PROOF);
	assert_int_equal(sp_merkle_verify_consistency(3, 5, r, h, NULL, 0), SP_ERR_PROOF);
	assert_int_equal(sp_merkle_verify_consistency(4, 5, r, h, NULL, 0), SP_ERR_PROOF);
	assert_int_equal(sp_merkle_verify_consistency(5, 5, r, r, NULL, 0), 0);
	/* equal sizes: equal roots and no proof, else SP_ERR_PROOF */
	assert_int_equal(sp_merkle_verify_consistency(7, 7, r, r, proof, 0), 0);
	assert_int_equal(sp_merkle_verify_consistency(MAX_SIZE, MAX_SIZE, r, r, proof, 0), 0);
	assert_int_equal(sp_merkle_verify_consistency(7, 7, r, h, proof, 0), SP_ERR_PROOF);
	assert_int_equal(sp_merkle_verify_consistency(7, 7, r, r, proof, 1), SP_ERR_PROOF);

	/* generation */
	n = 5;
	assert_int_equal(sp_merkle_root(z_node, &t, MAX_SIZE + 1, h), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_root(z_node, &t, UINT64_MAX, h), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_inclusion_proof(z_node, &t, 0, MAX_SIZE + 1, proof, &n),
	                 SP_ERR_RANGE);
	assert_int_equal(n, 0);
	assert_int_equal(sp_merkle_inclusion_proof(z_node, &t, MAX_SIZE, MAX_SIZE, proof, &n),
	                 SP_ERR_RANGE);
	assert_int_equal(sp_merkle_consistency_proof(z_node, &t, 1, MAX_SIZE + 1, proof, &n),
	                 SP_ERR_RANGE);
	assert_int_equal(sp_merkle_consistency_proof(z_node, &t, 0, 0, proof, &n), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_consistency_proof(z_node, &t, 0, 1, proof, &n), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_consistency_proof(z_node, &t, 9, 8, proof, &n), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_range_hash(z_node, &t, 0, MAX_SIZE + 1, h), SP_ERR_RANGE);
	assert_int_equal(sp_merkle_range_hash(z_node, &t, 4, 4, h), SP_ERR_ARG);
	assert_int_equal(sp_merkle_range_hash(z_node, &t, 1, 3, h), SP_ERR_ARG);
	assert_int_equal(sp_merkle_range_hash(z_node, &t, 4, 7, h), 0);
	assert_int_equal(sp_merkle_range_hash(z_node, &t, 6, 9, h), SP_ERR_ARG);
}

/* The callback's errors come back unchanged; a positive return (a
 * "not found" of some other convention) is never taken for success. */
static void test_callback_errors(void **state)
{
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	uint8_t h[32];
	size_t n;
	static const int codes[] = {SP_ERR_IO, SP_ERR_NOT_FOUND, SP_ERR_CORRUPT, 1};

	(void)state;
	for (size_t c = 0; c < COUNT(codes); c++) {
		int want = codes[c] > 0 ? SP_ERR_INTERNAL : codes[c];
		for (unsigned fail_at = 0; fail_at < 4; fail_at++) {
			struct cache *cc;

			/* 255 = 8 complete parts; a proof of leaf 0 in 255: 8 elements */
			cc = at(255);
			cc->fail = codes[c];
			cc->fail_at = fail_at;
			assert_int_equal(sp_merkle_root(cache_node, cc, 255, h), want);
			cc = at(255);
			cc->fail = codes[c];
			cc->fail_at = fail_at;
			n = 77;
			assert_int_equal(
			    sp_merkle_inclusion_proof(cache_node, cc, 0, 255, proof, &n), want);
			cc = at(255);
			cc->fail = codes[c];
			cc->fail_at = fail_at;
			assert_int_equal(
			    sp_merkle_consistency_proof(cache_node, cc, 3, 255, proof, &n), want);
			cc = at(255);
			cc->fail = codes[c];
			cc->fail_at = fail_at;
			assert_int_equal(sp_merkle_range_hash(cache_node, cc, 128, 255, h), want);
		}
	}
}

/* ---- huge trees --------------------------------------------------------- */

static void test_huge_sizes(void **state)
{
	static const uint64_t sizes[] = {
	    MAX_SIZE,
	    MAX_SIZE - 1,
	    MAX_SIZE / 2 + 1,
	    UINT64_C(0x5555555555555555),
	    UINT64_C(0x0123456789abcdef),
	    (UINT64_C(1) << 40) + 3,
	    UINT64_C(1) << 32,
	};
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	uint8_t got[32], want[32], r1[32];
	size_t n;

	(void)state;
	for (size_t si = 0; si < COUNT(sizes); si++) {
		uint64_t s = sizes[si];
		struct ztree t = {s};

		sp_test_zroot(z, s, want);
		assert_int_equal(sp_merkle_root(z_node, &t, s, got), 0);
		assert_memory_equal(got, want, 32);

		uint64_t idx[] = {0, 1, s / 2, s / 3, s - 2, s - 1};
		for (size_t k = 0; k < COUNT(idx); k++) {
			uint64_t i = idx[k];
			assert_int_equal(sp_merkle_inclusion_proof(z_node, &t, i, s, proof, &n), 0);
			assert_true(n <= 63);
			assert_int_equal(sp_merkle_verify_inclusion(z[0], i, s, proof, n, want), 0);
			proof[n / 2][3] ^= 1;
			assert_int_equal(sp_merkle_verify_inclusion(z[0], i, s, proof, n, want),
			                 SP_ERR_PROOF);
		}
		uint64_t olds[] = {1, 2, 3, s / 2, s / 2 + 1, s - 1, s};
		for (size_t k = 0; k < COUNT(olds); k++) {
			uint64_t o = olds[k];
			struct ztree t1 = {o};
			assert_int_equal(sp_merkle_root(z_node, &t1, o, r1), 0);
			assert_int_equal(sp_merkle_consistency_proof(z_node, &t, o, s, proof, &n),
			                 0);
			assert_true(n <= SP_MERKLE_MAX_PROOF);
			assert_int_equal(sp_merkle_verify_consistency(o, s, r1, want, proof, n), 0);
			if (n) {
				proof[n - 1][0] ^= 0x80;
				assert_int_equal(
				    sp_merkle_verify_consistency(o, s, r1, want, proof, n),
				    SP_ERR_PROOF);
			}
		}
	}

	/* The longest proofs: 63 elements for inclusion and from old size 1;
	 * 64 (SP_MERKLE_MAX_PROOF, the array's whole capacity) from 2^63 - 1
	 * to 2^63: 62 left siblings, one right sibling and the starting node. */
	struct ztree t = {MAX_SIZE};
	assert_int_equal(sp_merkle_inclusion_proof(z_node, &t, MAX_SIZE - 1, MAX_SIZE, proof, &n),
	                 0);
	assert_int_equal(n, 63);
	assert_int_equal(sp_merkle_consistency_proof(z_node, &t, 1, MAX_SIZE, proof, &n), 0);
	assert_int_equal(n, 63);
	assert_int_equal(sp_merkle_verify_consistency(1, MAX_SIZE, z[0], z[63], proof, n), 0);
	assert_int_equal(sp_merkle_consistency_proof(z_node, &t, MAX_SIZE - 1, MAX_SIZE, proof, &n),
	                 0);
	assert_int_equal(n, SP_MERKLE_MAX_PROOF);
	sp_test_zroot(z, MAX_SIZE - 1, r1);
	assert_int_equal(sp_merkle_verify_consistency(MAX_SIZE - 1, MAX_SIZE, r1, z[63], proof, n),
	                 0);
	assert_int_equal(sp_merkle_root(z_node, &t, MAX_SIZE, got), 0);
	assert_memory_equal(got, z[63], 32);
}

/* ---- (d) frontier ------------------------------------------------------- */

static void test_frontier(void **state)
{
	struct sp_merkle_frontier f;
	uint8_t got[32], want[32];

	(void)state;
	sp_merkle_frontier_init(&f);
	assert_int_equal(f.size, 0);
	sp_merkle_frontier_root(&f, got);
	sp_merkle_empty_root(want);
	assert_memory_equal(got, want, 32);
	for (uint64_t s = 1; s <= N; s++) {
		sp_merkle_frontier_append(&f, ref_leaves[s - 1]);
		assert_int_equal(f.size, s);
		sp_merkle_frontier_root(&f, got);
		assert_int_equal(sp_merkle_root(cache_node, at(s), s, want), 0);
		assert_memory_equal(got, want, 32);
		/* node[l], for each bit l of the size, is that complete subtree */
		for (unsigned l = 0; l < NLEVELS; l++)
			if (s & (UINT64_C(1) << l))
				assert_memory_equal(f.node[l], cache.lv[l][(s >> l) - 1], 32);
	}

	/* Near the top: a constant tree of 2^63 - 1 leaves, then one more. */
	sp_merkle_frontier_init(&f);
	f.size = MAX_SIZE - 1;
	for (unsigned l = 0; l < 63; l++)
		memcpy(f.node[l], z[l], 32);
	sp_merkle_frontier_root(&f, got);
	sp_test_zroot(z, MAX_SIZE - 1, want);
	assert_memory_equal(got, want, 32);
	sp_merkle_frontier_append(&f, z[0]);
	assert_true(f.size == MAX_SIZE);
	sp_merkle_frontier_root(&f, got);
	assert_memory_equal(got, z[63], 32);
	/* A full 2^64 - 1 leaf frontier ignores further appends. */
	f.size = UINT64_MAX;
	sp_merkle_frontier_append(&f, z[0]);
	assert_true(f.size == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector_hashes),
	    cmocka_unit_test(test_vector_inclusion),
	    cmocka_unit_test(test_vector_consistency),
	    cmocka_unit_test(test_roots_and_ranges),
	    cmocka_unit_test(test_inclusion_all),
	    cmocka_unit_test(test_consistency_all),
	    cmocka_unit_test(test_mem_node),
	    cmocka_unit_test(test_inclusion_corrupt),
	    cmocka_unit_test(test_inclusion_wrong_position),
	    cmocka_unit_test(test_consistency_corrupt),
	    cmocka_unit_test(test_consistency_wrong_sizes),
	    cmocka_unit_test(test_impossible_sizes),
	    cmocka_unit_test(test_callback_errors),
	    cmocka_unit_test(test_huge_sizes),
	    cmocka_unit_test(test_frontier),
	};

	if (sodium_init() < 0)
		return 1;
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

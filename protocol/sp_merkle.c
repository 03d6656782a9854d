/*
 * sp_merkle.c - RFC 6962 / RFC 9162 Merkle tree hashes, inclusion and
 * consistency proofs (generation and verification), in-memory subtree
 * hashing and the compact-range frontier. See sp_merkle.h.
 *
 * Proof generation walks the RFC recursions (PATH, SUBPROOF) top-down in a
 * loop instead of recursing, collects the proof elements in reverse and
 * flips them at the end: no allocation, bounded stack. Each element is one
 * node of the tree; all of them are complete and aligned (one fn call)
 * except at most one that lies on the tree's right edge, which
 * sp_merkle_range_hash assembles from its popcount(length) complete parts.
 */
#include "sp_merkle.h"

#include <string.h>

#include <sodium.h>

#include "sp_err.h"

/* Sizes above 2^63 would need proofs longer than SP_MERKLE_MAX_PROOF. */
#define MAX_SIZE (UINT64_C(1) << 63)

void sp_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32])
{
	static const uint8_t prefix = 0x00;
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	if (len)
		crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void sp_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
	/* One contiguous buffer is cheaper than three update calls, and lets
	 * out alias left or right. */
	uint8_t buf[1 + 2 * SP_MERKLE_HASH];

	buf[0] = 0x01;
	memcpy(buf + 1, left, SP_MERKLE_HASH);
	memcpy(buf + 1 + SP_MERKLE_HASH, right, SP_MERKLE_HASH);
	crypto_hash_sha256(out, buf, sizeof(buf));
}

void sp_merkle_empty_root(uint8_t out[32])
{
	crypto_hash_sha256(out, NULL, 0);
}

/* ---- helpers ---------------------------------------------------------- */

static unsigned ctz64(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

/* split_point: the largest power of two strictly below n (n >= 2), the
 * RFC's k. */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

/* call wraps fn so that a caller's positive "not found" style return can't
 * be mistaken for success by our callers. */
static int call(sp_merkle_node_fn fn, void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	int rc = fn(ctx, level, index, out);
	if (rc > 0)
		return SP_ERR_INTERNAL;
	return rc;
}

static void reverse(sp_hash *p, size_t n)
{
	if (n < 2)
		return;
	for (size_t i = 0, j = n - 1; i < j; i++, j--) {
		sp_hash t;
		memcpy(t, p[i], SP_MERKLE_HASH);
		memcpy(p[i], p[j], SP_MERKLE_HASH);
		memcpy(p[j], t, SP_MERKLE_HASH);
	}
}

/* ---- range hashes ----------------------------------------------------- */

int sp_merkle_range_hash(sp_merkle_node_fn fn, void *ctx, uint64_t begin, uint64_t end,
			 uint8_t out[32])
{
	uint64_t len, span, pos, bits;
	uint8_t h[SP_MERKLE_HASH];
	int rc, first = 1;

	if (end > MAX_SIZE)
		return SP_ERR_RANGE;
	if (begin >= end)
		return SP_ERR_ARG;
	len = end - begin;
	/* A tree node of len leaves starts at a multiple of the next power of
	 * two >= len; anything else is not a node of any tree. */
	span = len == 1 ? 1 : split_point(len) << 1;
	if (begin & (span - 1))
		return SP_ERR_ARG;

	/* The node is the right fold of its complete parts, largest on the
	 * left: walk them from the smallest (rightmost) up. */
	pos = end;
	for (bits = len; bits; bits &= bits - 1) {
		unsigned level = ctz64(bits);
		pos -= UINT64_C(1) << level;
		rc = call(fn, ctx, level, pos >> level, first ? out : h);
		if (rc)
			return rc;
		if (!first)
			sp_merkle_node_hash(h, out, out);
		first = 0;
	}
	return 0;
}

int sp_merkle_root(sp_merkle_node_fn fn, void *ctx, uint64_t size, uint8_t out[32])
{
	if (size > MAX_SIZE)
		return SP_ERR_RANGE;
	if (size == 0) {
		sp_merkle_empty_root(out);
		return 0;
	}
	return sp_merkle_range_hash(fn, ctx, 0, size, out);
}

/* ---- proof generation ------------------------------------------------- */

/* complete_hash: the hash of [begin, begin + 2^level), which the caller
 * knows to be complete and aligned. */
static int complete_hash(sp_merkle_node_fn fn, void *ctx, uint64_t begin, uint64_t len,
			 uint8_t out[32])
{
	unsigned level = ctz64(len);
	return call(fn, ctx, level, begin >> level, out);
}

int sp_merkle_inclusion_proof(sp_merkle_node_fn fn, void *ctx, uint64_t index, uint64_t size,
			      sp_hash proof[SP_MERKLE_MAX_PROOF], size_t *n)
{
	uint64_t lo = 0, hi = size;
	size_t d = 0;
	int rc;

	*n = 0;
	if (size > MAX_SIZE || index >= size)
		return SP_ERR_RANGE;

	/* PATH(m, D[lo:hi]): the sibling at each level is either the left,
	 * complete part or the right part; only the first right part taken
	 * can be on the right edge (after that hi is aligned). */
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);
		if (index - lo < k) {
			rc = sp_merkle_range_hash(fn, ctx, lo + k, hi, proof[d]);
			hi = lo + k;
		} else {
			rc = complete_hash(fn, ctx, lo, k, proof[d]);
			lo += k;
		}
		if (rc)
			return rc;
		d++;
	}
	/* The walk found the top sibling first; the RFC lists it last. */
	reverse(proof, d);
	*n = d;
	return 0;
}

int sp_merkle_consistency_proof(sp_merkle_node_fn fn, void *ctx, uint64_t old_size,
				uint64_t new_size, sp_hash proof[SP_MERKLE_MAX_PROOF], size_t *n)
{
	uint64_t lo = 0, hi = new_size;
	int whole = 1; /* the RFC's b: [lo, hi) is still a prefix of the old tree */
	size_t d = 0;
	int rc;

	*n = 0;
	if (new_size > MAX_SIZE || old_size == 0 || old_size > new_size)
		return SP_ERR_RANGE;

	/* SUBPROOF(m, D[lo:hi], b), m = old_size - lo, until m == hi - lo. */
	while (old_size != hi) {
		uint64_t k = split_point(hi - lo);
		if (old_size - lo <= k) {
			rc = sp_merkle_range_hash(fn, ctx, lo + k, hi, proof[d]);
			hi = lo + k;
		} else {
			rc = complete_hash(fn, ctx, lo, k, proof[d]);
			lo += k;
			whole = 0;
		}
		if (rc)
			return rc;
		d++;
	}
	/* The old tree's own node is sent unless the verifier already has it
	 * as the old root. It is complete: either old_size == new_size (then
	 * whole is still set) or the walk went left once, leaving hi aligned. */
	if (!whole) {
		rc = complete_hash(fn, ctx, lo, hi - lo, proof[d]);
		if (rc)
			return rc;
		d++;
	}
	reverse(proof, d);
	*n = d;
	return 0;
}

/* ---- verification ----------------------------------------------------- */

int sp_merkle_verify_inclusion(const uint8_t leaf[32], uint64_t index, uint64_t size,
			       const sp_hash *proof, size_t n, const uint8_t root[32])
{
	uint64_t fn = index, sn;
	uint8_t r[SP_MERKLE_HASH];

	if (size > MAX_SIZE || index >= size)
		return SP_ERR_RANGE;
	if (n > SP_MERKLE_MAX_PROOF)
		return SP_ERR_PROOF;

	/* RFC 9162 2.1.3.2, step for step. */
	sn = size - 1;
	memcpy(r, leaf, SP_MERKLE_HASH);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return SP_ERR_PROOF;
		if ((fn & 1) || fn == sn) {
			sp_merkle_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			sp_merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r, root, SP_MERKLE_HASH) != 0)
		return SP_ERR_PROOF;
	return 0;
}

int sp_merkle_verify_consistency(uint64_t old_size, uint64_t new_size, const uint8_t old_root[32],
				 const uint8_t new_root[32], const sp_hash *proof, size_t n)
{
	uint64_t fn, sn;
	uint8_t fr[SP_MERKLE_HASH], sr[SP_MERKLE_HASH];
	size_t i;
	int pow2;

	if (new_size > MAX_SIZE || old_size == 0 || old_size > new_size)
		return SP_ERR_RANGE;
	if (old_size == new_size) {
		if (n != 0 || memcmp(old_root, new_root, SP_MERKLE_HASH) != 0)
			return SP_ERR_PROOF;
		return 0;
	}
	if (n == 0 || n > SP_MERKLE_MAX_PROOF)
		return SP_ERR_PROOF;

	/* RFC 9162 2.1.4.2. A power-of-two old tree is a node of the new one,
	 * so its root is the (implicit) first element of the path. */
	pow2 = (old_size & (old_size - 1)) == 0;
	fn = old_size - 1;
	sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, pow2 ? old_root : proof[0], SP_MERKLE_HASH);
	memcpy(sr, fr, SP_MERKLE_HASH);
	for (i = pow2 ? 0 : 1; i < n; i++) {
		if (sn == 0)
			return SP_ERR_PROOF;
		if ((fn & 1) || fn == sn) {
			sp_merkle_node_hash(proof[i], fr, fr);
			sp_merkle_node_hash(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			sp_merkle_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, old_root, SP_MERKLE_HASH) != 0 ||
	    memcmp(sr, new_root, SP_MERKLE_HASH) != 0)
		return SP_ERR_PROOF;
	return 0;
}

/* ---- in-memory trees -------------------------------------------------- */

int sp_merkle_mem_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	const sp_hash *leaves = ctx;
	uint8_t l[SP_MERKLE_HASH], r[SP_MERKLE_HASH];
	int rc;

	if (level >= 64)
		return SP_ERR_ARG;
	if (level == 0) {
		memcpy(out, leaves[index], SP_MERKLE_HASH);
		return 0;
	}
	/* Recursion depth is at most level < 64. */
	rc = sp_merkle_mem_node(ctx, level - 1, index << 1, l);
	if (!rc)
		rc = sp_merkle_mem_node(ctx, level - 1, (index << 1) | 1, r);
	if (rc)
		return rc;
	sp_merkle_node_hash(l, r, out);
	return 0;
}

void sp_merkle_frontier_init(struct sp_merkle_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

void sp_merkle_frontier_append(struct sp_merkle_frontier *f, const uint8_t leaf[32])
{
	uint8_t h[SP_MERKLE_HASH];
	unsigned l = 0;

	/* A full 2^64-1 leaf tree has no slot for a 65th level; unreachable
	 * in practice, but never write past node[]. */
	if (f->size == UINT64_MAX)
		return;
	/* Like a binary increment: each carry merges two equal subtrees. */
	memcpy(h, leaf, SP_MERKLE_HASH);
	while (f->size & (UINT64_C(1) << l)) {
		sp_merkle_node_hash(f->node[l], h, h);
		l++;
	}
	memcpy(f->node[l], h, SP_MERKLE_HASH);
	f->size++;
}

void sp_merkle_frontier_root(const struct sp_merkle_frontier *f, uint8_t out[32])
{
	uint64_t bits = f->size;

	if (bits == 0) {
		sp_merkle_empty_root(out);
		return;
	}
	/* Right fold, smallest subtree first, as in sp_merkle_range_hash. */
	memcpy(out, f->node[ctz64(bits)], SP_MERKLE_HASH);
	for (bits &= bits - 1; bits; bits &= bits - 1)
		sp_merkle_node_hash(f->node[ctz64(bits)], out, out);
}

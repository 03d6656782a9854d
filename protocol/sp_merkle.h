/*
 * sp_merkle.h - RFC 6962 / RFC 9162 Merkle trees over log entries.
 *
 * leaf hash  = SHA-256(0x00 || entry bytes)
 * node hash  = SHA-256(0x01 || left || right)
 * empty tree = SHA-256("")
 *
 * Proof generation never sees the whole tree: it asks a caller-supplied
 * function for the hash of a *complete, aligned* subtree (level L, index i:
 * the 2^L leaves starting at i << L), so the storage layer can answer from
 * stored tiles and a proof costs O(log n) lookups. Every subtree the RFC
 * algorithms need is either complete and aligned or lies on the right edge
 * of the tree, and right-edge subtrees are assembled here from complete ones.
 */
#ifndef SP_MERKLE_H
#define SP_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define SP_MERKLE_HASH 32
/* Longest proof for any tree of up to 2^63 leaves. */
#define SP_MERKLE_MAX_PROOF 64

typedef uint8_t sp_hash[SP_MERKLE_HASH];

/* Returns the hash of the complete subtree at (level, index) into out, or a
 * negative sp_err. Only called with ((index + 1) << level) <= tree size. */
typedef int (*sp_merkle_node_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);

void sp_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32]);
void sp_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);
void sp_merkle_empty_root(uint8_t out[32]);

/* sp_merkle_range_hash computes the hash of leaves [begin, end) where the
 * range is complete-and-aligned or ends at the tree's right edge; used for
 * roots (begin 0, end size) and proof elements. */
int sp_merkle_range_hash(sp_merkle_node_fn fn, void *ctx, uint64_t begin, uint64_t end,
			 uint8_t out[32]);

/* sp_merkle_root: the tree head of the first `size` leaves. */
int sp_merkle_root(sp_merkle_node_fn fn, void *ctx, uint64_t size, uint8_t out[32]);

/* sp_merkle_inclusion_proof writes the RFC 9162 inclusion path of leaf
 * `index` in a tree of `size` leaves into proof[] (capacity
 * SP_MERKLE_MAX_PROOF) and its length into *n. SP_ERR_RANGE if index >= size. */
int sp_merkle_inclusion_proof(sp_merkle_node_fn fn, void *ctx, uint64_t index, uint64_t size,
			      sp_hash proof[SP_MERKLE_MAX_PROOF], size_t *n);

/* sp_merkle_consistency_proof writes the RFC 9162 consistency proof from
 * old_size to new_size. SP_ERR_RANGE unless 0 < old_size <= new_size
 * (old_size == new_size gives an empty proof). */
int sp_merkle_consistency_proof(sp_merkle_node_fn fn, void *ctx, uint64_t old_size,
				uint64_t new_size, sp_hash proof[SP_MERKLE_MAX_PROOF], size_t *n);

/* Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2). 0 if the proof
 * holds, SP_ERR_PROOF if not, SP_ERR_RANGE for impossible sizes. */
int sp_merkle_verify_inclusion(const uint8_t leaf[32], uint64_t index, uint64_t size,
			       const sp_hash *proof, size_t n, const uint8_t root[32]);
int sp_merkle_verify_consistency(uint64_t old_size, uint64_t new_size, const uint8_t old_root[32],
				 const uint8_t new_root[32], const sp_hash *proof, size_t n);

/* ---- in-memory trees (tools, tests, tile building) -------------------- */

/* sp_merkle_mem_node is an sp_merkle_node_fn over a flat array of leaf
 * hashes: ctx is a `const sp_hash *` of at least the tree size. It hashes
 * the subtree on each call (O(2^level)): for small trees and tests. */
int sp_merkle_mem_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);

/* A compact range: the hashes of the complete subtrees along the right edge
 * of a growing tree (at most one per level), enough to append leaves and
 * compute the root in O(log n) without keeping the leaves. */
struct sp_merkle_frontier {
	uint64_t size;
	sp_hash node[SP_MERKLE_MAX_PROOF]; /* node[l] valid iff bit l of size is set */
};

void sp_merkle_frontier_init(struct sp_merkle_frontier *f);
void sp_merkle_frontier_append(struct sp_merkle_frontier *f, const uint8_t leaf[32]);
void sp_merkle_frontier_root(const struct sp_merkle_frontier *f, uint8_t out[32]);

#endif

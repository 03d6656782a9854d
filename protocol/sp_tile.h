/*
 * sp_tile.h - C2SP tlog-tiles: tile layout, the right edge of a growing
 * tree, and tile paths.
 *
 * A tile at tile level t, index k, holds the 256 tree nodes of tree level
 * 8t with indices 256k .. 256k+255 (its "leaves"). Simpul keeps each tile
 * *expanded*: 511 hash slots, the 256 leaves followed by the interior nodes
 * of tree levels 8t+1 .. 8t+8 (128, 64, ..., 2, 1: the last slot is the
 * tile's root, which is also a leaf of tile (t+1, k/256)). With interior
 * nodes at hand, any node of the tree is one slot read, so an inclusion
 * proof costs one tile read per 8 levels instead of hundreds of hashes.
 * Only the first `width` leaves are served over HTTP, as the spec says.
 *
 * The edge is the set of partial (not yet full) tiles of a tree, one per
 * tile level, kept in memory by the store and rebuilt when it opens.
 */
#ifndef SP_TILE_H
#define SP_TILE_H

#include <stddef.h>
#include <stdint.h>

#include "sp_merkle.h"

#define SP_TILE_HEIGHT 8
#define SP_TILE_WIDTH 256
#define SP_TILE_SLOTS 511
#define SP_TILE_LEVELS 8 /* 8 tile levels of height 8 cover 2^64 leaves */
#define SP_TILE_BYTES (SP_TILE_SLOTS * SP_MERKLE_HASH)

/* sp_tile_slot: the slot of the node at height `sub` (0 = tile leaf, 8 =
 * tile root) and position j within a tile. */
static inline unsigned sp_tile_slot(unsigned sub, uint64_t j)
{
	return (unsigned)(512u - (512u >> sub) + j);
}

/* sp_tile_push sets leaf w of a tile that has w leaves (w < 256) and
 * computes the interior nodes it completes (amortised one hash). */
void sp_tile_push(sp_hash *slots, unsigned w, const uint8_t leaf[32]);

/* sp_tile_build computes every interior node that the first w leaves of
 * slots[] complete (used after loading leaves from disk). */
void sp_tile_build(sp_hash *slots, unsigned w);

struct sp_edge {
	uint64_t size;                      /* leaves in the tree */
	sp_hash *tile[SP_TILE_LEVELS];      /* partial tile per level, SP_TILE_SLOTS each, or NULL */
};

/* sp_edge_width: leaves held by the partial tile at tile level t. */
static inline unsigned sp_edge_width(const struct sp_edge *e, unsigned t)
{
	return t * SP_TILE_HEIGHT >= 64 ? 0 : (unsigned)((e->size >> (t * SP_TILE_HEIGHT)) & 255u);
}

/* Told about every tile an append changed: full tiles (width 256, now
 * final) and partial tiles of level >= 1 (so they can be persisted; level-0
 * partial tiles are rebuilt from the entries instead). */
typedef int (*sp_edge_emit_fn)(void *ctx, unsigned t, uint64_t k, const sp_hash *slots,
			       unsigned width);

void sp_edge_init(struct sp_edge *e);

/* sp_edge_free releases the tiles (the struct itself is the caller's). */
void sp_edge_free(struct sp_edge *e);

/* sp_edge_append adds one leaf hash, calling emit (if not NULL) for the
 * changed tiles; stops at and returns emit's first error. SP_ERR_NOMEM. */
int sp_edge_append(struct sp_edge *e, const uint8_t leaf[32], sp_edge_emit_fn emit, void *ctx);

/* sp_edge_set_tile installs the leaves of the partial tile at level t
 * (width = sp_edge_width(e, t) leaves from `leaves`) and builds its
 * interior; used when reopening. */
int sp_edge_set_tile(struct sp_edge *e, unsigned t, const sp_hash *leaves);

/* sp_edge_clone makes an independent deep copy in *out (free with
 * sp_edge_free). */
int sp_edge_clone(const struct sp_edge *e, struct sp_edge *out);

/* sp_edge_locate says where node (level, index) of a tree of e->size
 * leaves lives: in a full tile (returns 1 and sets *t, *k, *slot: read it
 * from storage) or in the edge (returns 0 and copies the hash to out).
 * SP_ERR_RANGE if the node is not complete in this tree. */
int sp_edge_locate(const struct sp_edge *e, unsigned level, uint64_t index, unsigned *t,
		   uint64_t *k, unsigned *slot, uint8_t out[32]);

/* sp_edge_root computes the tree head from the edge alone: every subtree
 * on the right edge of a tree lies in its partial tiles. */
int sp_edge_root(const struct sp_edge *e, uint8_t out[32]);

/* sp_tile_path writes the tlog-tiles path "tile/<L>/<N>[.p/<W>]" (level
 * >= 0) or "tile/entries/<N>[.p/<W>]" (level < 0) for tile index N and
 * width w (256 = full). Returns 0 or SP_ERR_RANGE if cap is too small. */
int sp_tile_path(char *buf, size_t cap, int level, uint64_t index, unsigned w);

/* sp_tile_path_parse reads such a path (without a leading '/'); *level is
 * -1 for entry bundles. SP_ERR_ARG for anything not in the spec's form
 * (non-canonical indexes such as "x000", leading zeros, width 0 or >255). */
int sp_tile_path_parse(const char *path, int *level, uint64_t *index, unsigned *w);

#endif

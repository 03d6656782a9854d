/*
 * test_tile.c - unit tests for tlog tiles (protocol/sp_tile.c): the slot
 * layout of expanded tiles, sp_tile_push / sp_tile_build against a naive
 * tree, the right edge (sp_edge_append, _root, _locate, _clone, _set_tile
 * and the tiles it emits) against sp_merkle_root for every size 0..66,236
 * (crossing tile boundaries of 256 and the first level-2 boundary at
 * 65,536), edges of sizes up to 2^63 built from a constant tree, and C2SP
 * tlog-tiles paths: encoding, parsing and rejection of malformed paths.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_merkle.h"
#include "sp_tile.h"

#define NT        (65536u + 700u) /* leaves appended in the big run */
#define NL        17              /* complete subtrees of NT leaves: levels 0..16 */
#define FULLCHECK 600             /* sizes up to which locate checks every node */
#define MAX_SIZE  (UINT64_C(1) << 63)
#define COUNT(a)  (sizeof(a) / sizeof((a)[0]))

/* ---- a naive tree ------------------------------------------------------- */

/* lv[l][i]: the complete subtree (l, i) of a tree of NT leaves. */
static sp_hash *lv[NL];

static int tree_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	uint64_t size = *(const uint64_t *)ctx;
	assert_true(level < NL);
	assert_true(index < (size >> level));
	memcpy(out, lv[level][index], 32);
	return 0;
}

static void ref_root(uint64_t size, uint8_t out[32])
{
	assert_int_equal(sp_merkle_root(tree_node, &size, size, out), 0);
}

/* A constant tree: every leaf is z[0], every complete level-l subtree z[l]. */
static sp_hash z[64];

static int setup(void **state)
{
	char buf[32];

	for (unsigned l = 0; l < NL; l++) {
		lv[l] = calloc(NT >> l, sizeof(sp_hash));
		if (!lv[l])
			return -1;
	}
	for (unsigned i = 0; i < NT; i++) {
		int len = snprintf(buf, sizeof(buf), "entry %u", i);
		sp_merkle_leaf_hash((const uint8_t *)buf, (size_t)len, lv[0][i]);
	}
	for (unsigned l = 1; l < NL; l++)
		for (unsigned i = 0; i < (NT >> l); i++)
			sp_test_node_hash(lv[l - 1][2 * i], lv[l - 1][2 * i + 1], lv[l][i]);
	sp_test_ztree(z);
	(void)state;
	return 0;
}

static int teardown(void **state)
{
	for (unsigned l = 0; l < NL; l++)
		free(lv[l]);
	(void)state;
	return 0;
}

/* ---- expanded tiles ----------------------------------------------------- */

static void test_slots(void **state)
{
	uint8_t seen[SP_TILE_SLOTS] = {0};

	(void)state;
	assert_int_equal(sp_tile_slot(0, 0), 0);
	assert_int_equal(sp_tile_slot(0, 255), 255);
	assert_int_equal(sp_tile_slot(1, 0), 256);
	assert_int_equal(sp_tile_slot(1, 127), 383);
	assert_int_equal(sp_tile_slot(2, 0), 384);
	assert_int_equal(sp_tile_slot(7, 1), 509);
	assert_int_equal(sp_tile_slot(8, 0), SP_TILE_SLOTS - 1);
	/* 256 + 128 + ... + 1 nodes fill the 511 slots exactly once. */
	for (unsigned sub = 0; sub <= SP_TILE_HEIGHT; sub++)
		for (unsigned j = 0; j < (unsigned)(SP_TILE_WIDTH >> sub); j++) {
			unsigned s = sp_tile_slot(sub, j);
			assert_true(s < SP_TILE_SLOTS);
			assert_int_equal(seen[s], 0);
			seen[s] = 1;
		}
	assert_int_equal(SP_TILE_BYTES, 511 * 32);
}

/* check_tile: every node the first w leaves of tile (t, k) complete is in
 * its slot and equals the naive tree's node; with sentinel set, every
 * other slot still holds 0xAA bytes. */
static void check_tile(unsigned t, uint64_t k, const sp_hash *slots, unsigned w, int sentinel)
{
	static const uint8_t aa[32] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	                               0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	                               0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	                               0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};

	for (unsigned sub = 0; sub <= SP_TILE_HEIGHT; sub++)
		for (unsigned j = 0; j < (unsigned)(SP_TILE_WIDTH >> sub); j++) {
			const uint8_t *got = slots[sp_tile_slot(sub, j)];
			if (((j + 1) << sub) <= w) {
				unsigned level = t * SP_TILE_HEIGHT + sub;
				uint64_t index = (k << (SP_TILE_HEIGHT - sub)) + j;
				assert_true(level < NL);
				assert_memory_equal(got, lv[level][index], 32);
			} else if (sentinel) {
				assert_memory_equal(got, aa, 32);
			}
		}
}

static void test_push_build(void **state)
{
	sp_hash *a = malloc(SP_TILE_BYTES), *b = malloc(SP_TILE_BYTES);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	/* tiles 0 and 1 of level 0, and tile 0 of level 1 */
	static const struct {
		unsigned t;
		uint64_t k;
	} tiles[] = {{0, 0}, {0, 1}, {0, 200}, {1, 0}};
	for (size_t ti = 0; ti < COUNT(tiles); ti++) {
		unsigned t = tiles[ti].t;
		uint64_t k = tiles[ti].k;
		const sp_hash *leaves = lv[t * SP_TILE_HEIGHT] + k * SP_TILE_WIDTH;

		memset(a, 0xaa, SP_TILE_BYTES);
		check_tile(t, k, a, 0, 1);
		for (unsigned w = 0; w < SP_TILE_WIDTH; w++) {
			sp_tile_push(a, w, leaves[w]);
			check_tile(t, k, a, w + 1, 1);

			/* build from the leaves alone gives the same nodes */
			memset(b, 0xaa, SP_TILE_BYTES);
			memcpy(b, leaves, (size_t)(w + 1) * 32);
			sp_tile_build(b, w + 1);
			check_tile(t, k, b, w + 1, 1);
		}
		/* the tile root is the node one tile level up */
		assert_memory_equal(a[SP_TILE_SLOTS - 1], lv[(t + 1) * SP_TILE_HEIGHT][k], 32);
		memset(b, 0xaa, SP_TILE_BYTES);
		sp_tile_build(b, 0);
		check_tile(t, k, b, 0, 1);
	}
	free(a);
	free(b);
}

/* ---- the edge, against the naive tree ----------------------------------- */

/* Full tiles as emitted, kept like the store keeps them. */
#define KMAX (NT / SP_TILE_WIDTH + 1)
static sp_hash *stored[2][KMAX];

enum { CHECK_TREE, CHECK_CONSTANT, CHECK_NONE };

struct emits {
	unsigned n;
	struct {
		unsigned t, w;
		uint64_t k;
	} ev[SP_TILE_LEVELS + 1];
	int fail_t;  /* fail when told about a tile of this level ... */
	int fail_rc; /* ... with this code (0: never) */
	int mode;    /* CHECK_TREE, CHECK_CONSTANT or CHECK_NONE */
};

static int emit(void *ctx, unsigned t, uint64_t k, const sp_hash *slots, unsigned width)
{
	struct emits *em = ctx;

	assert_true(em->n < COUNT(em->ev));
	assert_true(width >= 1 && width <= SP_TILE_WIDTH);
	em->ev[em->n].t = t;
	em->ev[em->n].k = k;
	em->ev[em->n].w = width;
	em->n++;
	if (em->fail_rc && (int)t == em->fail_t)
		return em->fail_rc;
	if (em->mode == CHECK_NONE)
		return 0;
	if (em->mode == CHECK_CONSTANT) {
		/* a constant tree: full tiles' roots are known */
		if (width == SP_TILE_WIDTH)
			assert_memory_equal(slots[SP_TILE_SLOTS - 1], z[(t + 1) * SP_TILE_HEIGHT],
			                    32);
		return 0;
	}
	check_tile(t, k, slots, width, 0);
	if (width == SP_TILE_WIDTH) {
		assert_true(t < 2 && k < KMAX);
		if (stored[t][k] == NULL) {
			stored[t][k] = malloc(SP_TILE_BYTES);
			assert_non_null(stored[t][k]);
		}
		memcpy(stored[t][k], slots, SP_TILE_BYTES);
	}
	return 0;
}

/* The tiles appending a leaf to a tree of n leaves must report. */
static void expect_emits(const struct emits *em, uint64_t n)
{
	unsigned i = 0;

	for (unsigned t = 0; t < SP_TILE_LEVELS; t++) {
		unsigned w = (unsigned)((n >> (t * SP_TILE_HEIGHT)) & 255u);
		uint64_t k = t + 1 < SP_TILE_LEVELS ? n >> ((t + 1) * SP_TILE_HEIGHT) : 0;
		if (w + 1 == SP_TILE_WIDTH) {
			assert_true(i < em->n);
			assert_int_equal(em->ev[i].t, t);
			assert_true(em->ev[i].k == k);
			assert_int_equal(em->ev[i].w, SP_TILE_WIDTH);
			i++;
			continue;
		}
		if (t > 0) {
			assert_true(i < em->n);
			assert_int_equal(em->ev[i].t, t);
			assert_true(em->ev[i].k == k);
			assert_int_equal(em->ev[i].w, w + 1);
			i++;
		}
		break;
	}
	assert_int_equal(em->n, i);
}

/* locate_one checks where sp_edge_locate puts node (level, index) of a
 * tree of e->size leaves, and that the hash found there is right. */
static void locate_one(const struct sp_edge *e, unsigned level, uint64_t index)
{
	unsigned t = 99, slot = 999, tl = level / SP_TILE_HEIGHT, sub = level % SP_TILE_HEIGHT;
	uint64_t k = 99, tk = index >> (SP_TILE_HEIGHT - sub);
	uint8_t out[32];
	int full = (tk + 1) * SP_TILE_WIDTH <= (e->size >> (tl * SP_TILE_HEIGHT));
	int rc = sp_edge_locate(e, level, index, &t, &k, &slot, out);

	assert_int_equal(rc, full ? 1 : 0);
	assert_int_equal(t, tl);
	assert_true(k == tk);
	assert_int_equal(slot, sp_tile_slot(sub, index - (tk << (SP_TILE_HEIGHT - sub))));
	if (full) {
		assert_true(tl < 2 && tk < KMAX);
		assert_non_null(stored[tl][tk]);
		assert_memory_equal(stored[tl][tk][slot], lv[level][index], 32);
	} else {
		assert_memory_equal(out, lv[level][index], 32);
	}
}

static void check_locate(const struct sp_edge *e, int every)
{
	uint64_t s = e->size;
	unsigned t, slot;
	uint64_t k;
	uint8_t out[32];

	for (unsigned level = 0; level < NL; level++) {
		uint64_t cnt = s >> level;
		if (every) {
			for (uint64_t i = 0; i < cnt; i++)
				locate_one(e, level, i);
		} else {
			for (uint64_t i = cnt > 3 ? cnt - 3 : 0; i < cnt; i++)
				locate_one(e, level, i);
			if (cnt > 0)
				locate_one(e, level, 0);
		}
	}
	/* nodes not complete in this tree */
	for (unsigned level = 0; level < 64; level++) {
		assert_int_equal(sp_edge_locate(e, level, s >> level, &t, &k, &slot, out),
		                 SP_ERR_RANGE);
		assert_int_equal(sp_edge_locate(e, level, UINT64_MAX, &t, &k, &slot, out),
		                 SP_ERR_RANGE);
		assert_int_equal(sp_edge_locate(e, level, UINT64_MAX >> 1, &t, &k, &slot, out),
		                 SP_ERR_RANGE);
	}
	assert_int_equal(sp_edge_locate(e, 64, 0, &t, &k, &slot, out), SP_ERR_RANGE);
	assert_int_equal(sp_edge_locate(e, 200, 0, &t, &k, &slot, out), SP_ERR_RANGE);
}

static void append_check(struct sp_edge *c, uint64_t upto)
{
	uint8_t got[32], want[32];

	while (c->size < upto) {
		assert_int_equal(sp_edge_append(c, lv[0][c->size], NULL, NULL), 0);
		assert_int_equal(sp_edge_root(c, got), 0);
		ref_root(c->size, want);
		assert_memory_equal(got, want, 32);
	}
}

/* A copy must share nothing with the original and carry on like it. */
static void check_clone(const struct sp_edge *e)
{
	struct sp_edge c;
	uint8_t got[32], want[32];
	uint64_t end = e->size + 300 < NT ? e->size + 300 : NT;

	assert_int_equal(sp_edge_clone(e, &c), 0);
	assert_true(c.size == e->size);
	for (unsigned t = 0; t < SP_TILE_LEVELS; t++)
		if (c.tile[t])
			assert_ptr_not_equal(c.tile[t], e->tile[t]);
	assert_int_equal(sp_edge_root(&c, got), 0);
	ref_root(e->size, want);
	assert_memory_equal(got, want, 32);
	append_check(&c, end);
	sp_edge_free(&c);
	assert_true(c.size == 0);
	for (unsigned t = 0; t < SP_TILE_LEVELS; t++)
		assert_null(c.tile[t]);
	sp_edge_free(&c); /* freeing twice is harmless */
}

/* Reopening: a fresh edge given the size and each partial tile's leaves
 * (as the store reloads them) has the same root and carries on. */
static void check_reopen(const struct sp_edge *e)
{
	struct sp_edge r;
	sp_hash leaves[SP_TILE_WIDTH];
	uint8_t got[32], want[32];
	uint64_t end = e->size + 300 < NT ? e->size + 300 : NT;

	sp_edge_init(&r);
	r.size = e->size;
	for (unsigned t = 0; t < SP_TILE_LEVELS; t++) {
		unsigned w = sp_edge_width(&r, t);
		if (w == 0)
			continue;
		memcpy(leaves, e->tile[t], (size_t)w * 32);
		assert_int_equal(sp_edge_set_tile(&r, t, leaves), 0);
	}
	assert_int_equal(sp_edge_set_tile(&r, SP_TILE_LEVELS, leaves), SP_ERR_ARG);
	assert_int_equal(sp_edge_root(&r, got), 0);
	ref_root(e->size, want);
	assert_memory_equal(got, want, 32);
	check_locate(&r, 0 /* partial tiles only are read */);
	append_check(&r, end);
	sp_edge_free(&r);
}

static int checkpoint(uint64_t s)
{
	static const uint64_t at[] = {0,     1,     2,     3,     255,   256,  257,   511,
	                              512,   513,   767,   768,   1000,  1024, 65279, 65280,
	                              65535, 65536, 65537, 65791, 65792, 65793};
	for (size_t i = 0; i < COUNT(at); i++)
		if (at[i] == s)
			return 1;
	return 0;
}

static void test_edge_grow(void **state)
{
	struct sp_edge e;
	struct emits em;
	uint8_t got[32], want[32];

	(void)state;
	sp_edge_init(&e);
	assert_true(e.size == 0);
	assert_int_equal(sp_edge_root(&e, got), 0);
	sp_merkle_empty_root(want);
	assert_memory_equal(got, want, 32);
	for (uint64_t n = 0;; n++) {
		/* the tree of n leaves */
		assert_true(e.size == n);
		for (unsigned t = 0; t < SP_TILE_LEVELS; t++)
			assert_int_equal(sp_edge_width(&e, t), (n >> (8 * t)) & 255);
		assert_int_equal(sp_edge_root(&e, got), 0);
		ref_root(n, want);
		assert_memory_equal(got, want, 32);
		int every = n <= FULLCHECK || n % 256 <= 1 || n % 256 == 255 || n % 97 == 0;
		if (n <= 2100 || every)
			check_locate(&e, every && n < 3000);
		if (checkpoint(n)) {
			check_locate(&e, 1);
			check_clone(&e);
			check_reopen(&e);
		}
		if (n == NT)
			break;

		memset(&em, 0, sizeof(em));
		assert_int_equal(sp_edge_append(&e, lv[0][n], emit, &em), 0);
		expect_emits(&em, n);
	}
	sp_edge_free(&e);
	for (unsigned t = 0; t < 2; t++)
		for (unsigned k = 0; k < KMAX; k++) {
			free(stored[t][k]);
			stored[t][k] = NULL;
		}
}

static void test_edge_emit_error(void **state)
{
	struct sp_edge e;
	struct emits em;
	uint8_t got[32], want[32];

	(void)state;
	sp_edge_init(&e);
	memset(&em, 0, sizeof(em));
	em.mode = CHECK_NONE;
	for (unsigned i = 0; i < 255; i++)
		assert_int_equal(sp_edge_append(&e, lv[0][i], NULL, NULL), 0);
	/* the full level-0 tile is refused */
	em.fail_t = 0;
	em.fail_rc = SP_ERR_IO;
	assert_int_equal(sp_edge_append(&e, lv[0][255], emit, &em), SP_ERR_IO);
	assert_true(e.size == 255);
	sp_edge_free(&e);

	sp_edge_init(&e);
	for (unsigned i = 0; i < 511; i++)
		assert_int_equal(sp_edge_append(&e, lv[0][i], NULL, NULL), 0);
	/* the level-1 partial tile is refused, after the full level-0 one */
	memset(&em, 0, sizeof(em));
	em.mode = CHECK_NONE;
	em.fail_t = 1;
	em.fail_rc = SP_ERR_DB;
	assert_int_equal(sp_edge_append(&e, lv[0][511], emit, &em), SP_ERR_DB);
	assert_int_equal(em.n, 2);
	assert_true(e.size == 511);
	sp_edge_free(&e);

	/* no emit for a plain level-0 append in the middle of a tile */
	sp_edge_init(&e);
	memset(&em, 0, sizeof(em));
	em.fail_t = 0;
	em.fail_rc = SP_ERR_IO;
	assert_int_equal(sp_edge_append(&e, lv[0][0], emit, &em), 0);
	assert_int_equal(em.n, 0);
	assert_int_equal(sp_edge_root(&e, got), 0);
	assert_memory_equal(got, lv[0][0], 32);
	(void)want;
	sp_edge_free(&e);
}

/* Edges of huge trees, built as the store reopens them, from a tree whose
 * leaves are all equal (so any node of level l is z[l]). */
static void test_edge_huge(void **state)
{
	static const uint64_t sizes[] = {
	    MAX_SIZE - 2, /* three appends reach 2^63 */
	    UINT64_C(0x0123456789abcdef),
	    UINT64_C(0x00ffffffffffff00),
	    (UINT64_C(1) << 40) + 3,
	    (UINT64_C(1) << 24) - 1,
	    (UINT64_C(1) << 56) + 255,
	};
	static sp_hash leaves[SP_TILE_WIDTH];
	struct sp_edge e;
	struct emits em;
	uint8_t got[32], want[32], out[32];
	unsigned t, slot;
	uint64_t k;

	(void)state;
	for (size_t si = 0; si < COUNT(sizes); si++) {
		uint64_t s = sizes[si];

		sp_edge_init(&e);
		e.size = s;
		for (unsigned tl = 0; tl < SP_TILE_LEVELS; tl++) {
			for (unsigned i = 0; i < SP_TILE_WIDTH; i++)
				memcpy(leaves[i], z[tl * SP_TILE_HEIGHT], 32);
			assert_int_equal(sp_edge_set_tile(&e, tl, leaves), 0);
		}
		for (unsigned step = 0; step < 3; step++) {
			assert_int_equal(sp_edge_root(&e, got), 0);
			sp_test_zroot(z, e.size, want);
			assert_memory_equal(got, want, 32);
			/* the last complete node of every level */
			for (unsigned level = 0; level < 64; level++) {
				uint64_t cnt = e.size >> level;
				if (cnt == 0) {
					assert_int_equal(
					    sp_edge_locate(&e, level, 0, &t, &k, &slot, out),
					    SP_ERR_RANGE);
					continue;
				}
				unsigned tl = level / 8, sub = level % 8;
				uint64_t tk = (cnt - 1) >> (8 - sub);
				int full = (tk + 1) * 256 <= (e.size >> (8 * tl));
				int rc = sp_edge_locate(&e, level, cnt - 1, &t, &k, &slot, out);
				assert_int_equal(rc, full);
				assert_int_equal(t, tl);
				assert_true(k == tk);
				assert_int_equal(slot,
				                 sp_tile_slot(sub, (cnt - 1) - (tk << (8 - sub))));
				if (!full)
					assert_memory_equal(out, z[level], 32);
				assert_int_equal(sp_edge_locate(&e, level, cnt, &t, &k, &slot, out),
				                 SP_ERR_RANGE);
			}
			memset(&em, 0, sizeof(em));
			em.mode = CHECK_CONSTANT;
			uint64_t n = e.size;
			assert_int_equal(sp_edge_append(&e, z[0], emit, &em), 0);
			expect_emits(&em, n);
		}
		sp_edge_free(&e);
	}

	/* 2^63 - 1 leaves, then the 2^63rd: every tile level carries. */
	sp_edge_init(&e);
	e.size = MAX_SIZE - 1;
	for (unsigned tl = 0; tl < SP_TILE_LEVELS; tl++) {
		for (unsigned i = 0; i < SP_TILE_WIDTH; i++)
			memcpy(leaves[i], z[tl * SP_TILE_HEIGHT], 32);
		assert_int_equal(sp_edge_set_tile(&e, tl, leaves), 0);
	}
	memset(&em, 0, sizeof(em));
	em.mode = CHECK_CONSTANT;
	assert_int_equal(sp_edge_append(&e, z[0], emit, &em), 0);
	assert_int_equal(em.n, SP_TILE_LEVELS); /* 7 full tiles, then level 7 partial */
	assert_true(e.size == MAX_SIZE);
	assert_int_equal(sp_edge_width(&e, 7), 128);
	assert_int_equal(sp_edge_root(&e, got), 0);
	assert_memory_equal(got, z[63], 32);
	/* beyond 2^63 no root exists (sp_merkle's limit) */
	assert_int_equal(sp_edge_append(&e, z[0], NULL, NULL), 0);
	assert_int_equal(sp_edge_root(&e, got), SP_ERR_RANGE);
	sp_edge_free(&e);

	/* sp_edge_width at the top */
	e.size = UINT64_MAX;
	assert_int_equal(sp_edge_width(&e, 7), 255);
	assert_int_equal(sp_edge_width(&e, 8), 0);
	assert_int_equal(sp_edge_width(&e, 9), 0);
}

/* ---- tile paths --------------------------------------------------------- */

static const struct {
	int level;
	uint64_t index;
	unsigned w;
	const char *path;
} paths[] = {
    {0, 1234067, 256, "tile/0/x001/x234/067"},
    {0, 1234067, 8, "tile/0/x001/x234/067.p/8"},
    {-1, 1234067, 256, "tile/entries/x001/x234/067"},
    {-1, 1234067, 8, "tile/entries/x001/x234/067.p/8"},
    {4, 1234067, 8, "tile/4/x001/x234/067.p/8"},
    {0, 0, 256, "tile/0/000"},
    {0, 0, 1, "tile/0/000.p/1"},
    {1, 0, 256, "tile/1/000"},
    {2, 5, 1, "tile/2/005.p/1"},
    {0, 7, 255, "tile/0/007.p/255"},
    {0, 42, 100, "tile/0/042.p/100"},
    {0, 999, 256, "tile/0/999"},
    {0, 1000, 256, "tile/0/x001/000"},
    {0, 1001, 10, "tile/0/x001/001.p/10"},
    {-1, 999999, 256, "tile/entries/x999/999"},
    {-1, 1000000, 256, "tile/entries/x001/x000/000"},
    {3, 1000000000, 256, "tile/3/x001/x000/x000/000"},
    {63, 0, 256, "tile/63/000"},
    {10, 123456789012, 77, "tile/10/x123/x456/x789/012.p/77"},
    {0, UINT64_MAX, 256, "tile/0/x018/x446/x744/x073/x709/x551/615"},
    {-1, UINT64_MAX, 255, "tile/entries/x018/x446/x744/x073/x709/x551/615.p/255"},
};

static void test_path_vectors(void **state)
{
	char buf[128];
	int level;
	uint64_t index;
	unsigned w;

	(void)state;
	for (size_t i = 0; i < COUNT(paths); i++) {
		size_t len = strlen(paths[i].path);

		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(
		    sp_tile_path(buf, sizeof(buf), paths[i].level, paths[i].index, paths[i].w), 0);
		assert_string_equal(buf, paths[i].path);
		/* exactly enough room, and one byte less */
		assert_int_equal(
		    sp_tile_path(buf, len + 1, paths[i].level, paths[i].index, paths[i].w), 0);
		assert_string_equal(buf, paths[i].path);
		for (size_t cap = 0; cap <= len; cap++)
			assert_int_equal(
			    sp_tile_path(buf, cap, paths[i].level, paths[i].index, paths[i].w),
			    SP_ERR_RANGE);

		level = 99;
		index = 99;
		w = 99;
		assert_int_equal(sp_tile_path_parse(paths[i].path, &level, &index, &w), 0);
		assert_int_equal(level, paths[i].level);
		assert_true(index == paths[i].index);
		assert_int_equal(w, paths[i].w);
	}
	/* widths outside 1..256 */
	assert_int_equal(sp_tile_path(buf, sizeof(buf), 0, 0, 0), SP_ERR_RANGE);
	assert_int_equal(sp_tile_path(buf, sizeof(buf), 0, 0, 257), SP_ERR_RANGE);
	assert_int_equal(sp_tile_path(buf, sizeof(buf), -1, 0, 1000), SP_ERR_RANGE);
}

static void test_path_roundtrip(void **state)
{
	char buf[128];
	int level;
	uint64_t index, x = 0x9e3779b97f4a7c15u;
	unsigned w;

	(void)state;
	for (unsigned i = 0; i < 20000; i++) {
		/* xorshift: indexes of every magnitude */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t idx = x >> (x % 64);
		int lvl = (int)(i % 65) - 1;     /* -1 .. 63 */
		unsigned wd = 1 + (i * 7) % 256; /* 1 .. 256 */
		if (i < 3000)
			idx = i * 333u;
		assert_int_equal(sp_tile_path(buf, sizeof(buf), lvl, idx, wd), 0);
		assert_int_equal(sp_tile_path_parse(buf, &level, &index, &w), 0);
		assert_int_equal(level, lvl);
		assert_true(index == idx);
		assert_int_equal(w, wd);
	}
}

static void test_path_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "tile",
	    "tile/",
	    "tiles/0/000",
	    "TILE/0/000",
	    "/tile/0/000",
	    "tile/0",
	    "tile/0/",
	    "tile//000",
	    "tile/0//000",
	    /* level */
	    "tile/00/000",
	    "tile/01/000",
	    "tile/64/000",
	    "tile/100/000",
	    "tile/1000/000",
	    "tile/-1/000",
	    "tile/+1/000",
	    "tile/ 0/000",
	    "tile/a/000",
	    "tile/entry/000",
	    "tile/Entries/000",
	    "tile/entries",
	    "tile/entries/",
	    /* index */
	    "tile/0/0",
	    "tile/0/1",
	    "tile/0/01",
	    "tile/0/0000",
	    "tile/0/1234",
	    "tile/0/-01",
	    "tile/0/00a",
	    "tile/0/x000/000",
	    "tile/0/x000/x001/000",
	    "tile/entries/x000/000",
	    "tile/0/x01/000",
	    "tile/0/x0001/000",
	    "tile/0/x001",
	    "tile/0/x001/",
	    "tile/0/x001/00",
	    "tile/0/x001/0000",
	    "tile/0/x001x/000",
	    "tile/0/X001/000",
	    "tile/0/001/000",
	    "tile/0/x001/x002",
	    "tile/0/xx001/000",
	    "tile/0/000/",
	    "tile/0/000 ",
	    "tile/0/000/x",
	    /* past 2^64 - 1 */
	    "tile/0/x018/x446/x744/x073/x709/x551/616",
	    "tile/0/x018/x446/x744/x073/x709/x552/000",
	    "tile/0/x999/x999/x999/x999/x999/x999/999",
	    "tile/0/x001/x000/x000/x000/x000/x000/x000/000",
	    /* width */
	    "tile/0/000.p",
	    "tile/0/000.p/",
	    "tile/0/000.p/0",
	    "tile/0/000.p/00",
	    "tile/0/000.p/256",
	    "tile/0/000.p/999",
	    "tile/0/000.p/1000",
	    "tile/0/000.p/08",
	    "tile/0/000.p/008",
	    "tile/0/000.p/-1",
	    "tile/0/000.p/+8",
	    "tile/0/000.p/8/",
	    "tile/0/000.p/8x",
	    "tile/0/000.p/8 ",
	    "tile/0/000.q/8",
	    "tile/0/000p/8",
	    "tile/0/000.P/8",
	    "tile/0/000.p8",
	    "tile/0/000..p/8",
	    "tile/0/000.p/8.p/8",
	    "tile/entries/000.p/256",
	    "tile/entries/000.p/0",
	};
	int level;
	uint64_t index;
	unsigned w;

	(void)state;
	for (size_t i = 0; i < COUNT(bad); i++) {
		int rc = sp_tile_path_parse(bad[i], &level, &index, &w);
		if (rc != SP_ERR_ARG)
			fail_msg("accepted or wrong error %d for \"%s\"", rc, bad[i]);
	}
	/* the largest index and level still parse */
	assert_int_equal(sp_tile_path_parse("tile/63/x018/x446/x744/x073/x709/x551/615.p/255",
	                                    &level, &index, &w),
	                 0);
	assert_int_equal(level, 63);
	assert_true(index == UINT64_MAX);
	assert_int_equal(w, 255);
	/* zero groups after the first are fine */
	assert_int_equal(sp_tile_path_parse("tile/0/x001/x000/000", &level, &index, &w), 0);
	assert_true(index == 1000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slots),          cmocka_unit_test(test_push_build),
	    cmocka_unit_test(test_edge_grow),      cmocka_unit_test(test_edge_emit_error),
	    cmocka_unit_test(test_edge_huge),      cmocka_unit_test(test_path_vectors),
	    cmocka_unit_test(test_path_roundtrip), cmocka_unit_test(test_path_malformed),
	};

	if (sodium_init() < 0)
		return 1;
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

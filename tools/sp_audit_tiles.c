/*
 * sp_audit_tiles.c - offline audit of an exported C2SP tlog-tiles folder:
 * what a public observer runs, with nothing but the files and the log's
 * verifier key.
 *
 * The entries come from the entry bundles; the checker recomputes the tree
 * from them and, as each 256 nodes of a level complete, compares them with
 * the hash tile the folder holds for them, so every tile at every level is
 * checked in one pass with 8 pending tiles of memory, whatever the size.
 */
#include "sp_audit.h"
#include "sp_audit_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_files.h"
#include "sp_tile.h"

#define BUNDLE_MAX ((size_t)SP_TILE_WIDTH * (2 + SP_ENTRY_MAX))

struct tiles_ctx {
	const struct sp_audit_src *src;
	struct sp_audit_fail *fail;
	uint64_t checked; /* hash tiles compared */
	struct sp_buf file;
	char path[160];
	sp_hash pend[SP_TILE_LEVELS][SP_TILE_WIDTH]; /* nodes of the open tile per level */
	unsigned npend[SP_TILE_LEVELS];
	uint64_t next[SP_TILE_LEVELS]; /* index of the open tile per level */
};

/* read_tile reads tile (level, index) of width w (level -1: entry bundle)
 * into t->file; falls back to the full tile when a partial one is absent.
 * *full says which one was read. */
static int read_tile(struct tiles_ctx *t, int level, uint64_t index, unsigned w, int *full)
{
	char rel[128];
	size_t max = level < 0 ? BUNDLE_MAX : SP_TILE_WIDTH * 32;
	int rc = 0;
	for (unsigned width = w;; width = SP_TILE_WIDTH) {
		t->file.len = 0;
		t->file.err = 0;
		rc = sp_tile_path(rel, sizeof(rel), level, index, width);
		if (rc == 0)
			rc = t->src->get(t->src->arg, rel, max, &t->file);
		*full = width == SP_TILE_WIDTH;
		if (rc != SP_ERR_NOT_FOUND || width == SP_TILE_WIDTH)
			break;
	}
	if (rc)
		return sp_audit_failf(t->fail, rc, "%s", rel);
	snprintf(t->path, sizeof(t->path), "%s", rel); /* for messages from here on */
	return 0;
}

/* subtree_root: the root of 256 complete nodes (a full tile). */
static void subtree_root(const sp_hash *leaves, uint8_t out[32])
{
	sp_hash tmp[SP_TILE_WIDTH / 2];
	for (unsigned i = 0; i < SP_TILE_WIDTH / 2; i++)
		sp_merkle_node_hash(leaves[2 * i], leaves[2 * i + 1], tmp[i]);
	for (unsigned n = SP_TILE_WIDTH / 2; n > 1; n /= 2)
		for (unsigned i = 0; i < n / 2; i++)
			sp_merkle_node_hash(tmp[2 * i], tmp[2 * i + 1], tmp[i]);
	memcpy(out, tmp[0], 32);
}

/* compare_tile checks that the folder's tile (level, next) starts with the
 * w nodes the entries produced. */
static int compare_tile(struct tiles_ctx *t, unsigned level, unsigned w)
{
	int full;
	int rc = read_tile(t, (int)level, t->next[level], w, &full);
	if (rc)
		return rc;
	size_t want = (size_t)(full ? SP_TILE_WIDTH : w) * 32;
	if (t->file.len != want)
		return sp_audit_failf(t->fail, SP_ERR_CORRUPT, "%s: %zu bytes, expected %zu",
				      t->path, t->file.len, want);
	if (sodium_memcmp(t->file.p, t->pend[level], (size_t)w * 32) != 0)
		return sp_audit_failf(t->fail, SP_ERR_INCONSISTENT,
				      "%s: hashes differ from the tree of the entries", t->path);
	t->checked++;
	return 0;
}

/* push adds one node to the open tile of its level; a full tile is
 * compared and its root becomes a node of the level above. */
static int push(struct tiles_ctx *t, unsigned level, const uint8_t node[32])
{
	memcpy(t->pend[level][t->npend[level]++], node, 32);
	if (t->npend[level] < SP_TILE_WIDTH)
		return 0;
	int rc = compare_tile(t, level, SP_TILE_WIDTH);
	if (rc)
		return rc;
	uint8_t root[32];
	subtree_root(t->pend[level], root);
	t->npend[level] = 0;
	t->next[level]++;
	return level + 1 < SP_TILE_LEVELS ? push(t, level + 1, root) : 0;
}

static int leaf_cb(void *ctx, uint64_t index, const uint8_t leaf[32])
{
	(void)index;
	return push(ctx, 0, leaf);
}

/* finish_tiles compares the partial tile left open at each level. */
static int finish_tiles(struct tiles_ctx *t)
{
	for (unsigned l = 0; l < SP_TILE_LEVELS; l++)
		if (t->npend[l] && compare_tile(t, l, t->npend[l]))
			return t->fail->err;
	return 0;
}

/* add_bundle feeds the first w entries of the bundle in t->file. */
static int add_bundle(struct tiles_ctx *t, struct sp_audit *a, unsigned w, int full)
{
	const uint8_t *p = t->file.p, *end = t->file.p + t->file.len;
	unsigned want = full ? SP_TILE_WIDTH : w, n = 0;
	while (p < end) {
		size_t len = end - p >= 2 ? ((size_t)p[0] << 8 | p[1]) : SIZE_MAX;
		if (len == SIZE_MAX || len > (size_t)(end - p - 2) || n == want)
			return sp_audit_failf(t->fail, SP_ERR_CORRUPT,
					      "%s: not %u length-prefixed entries", t->path, want);
		if (n < w && sp_audit_add(a, p + 2, len))
			return a->fail.err;
		p += 2 + len;
		n++;
	}
	if (n != want)
		return sp_audit_failf(t->fail, SP_ERR_CORRUPT, "%s: %u entries, expected %u",
				      t->path, n, want);
	return 0;
}

static void tiles_entries(struct tiles_ctx *t, struct sp_audit *a, uint64_t size,
			  struct sp_progress *prog)
{
	for (uint64_t k = 0; k * SP_TILE_WIDTH < size && a->fail.err == 0; k++) {
		uint64_t left = size - k * SP_TILE_WIDTH;
		unsigned w = left < SP_TILE_WIDTH ? (unsigned)left : SP_TILE_WIDTH;
		int full;
		if (read_tile(t, -1, k, w, &full) || add_bundle(t, a, w, full))
			break;
		if (prog)
			sp_progress_update(prog, a->tree.size + a->n);
	}
	if (sp_audit_flush(a) == 0)
		finish_tiles(t);
}

/* ---- sources ------------------------------------------------------------------ */

static int folder_get(void *arg, const char *rel, size_t max, struct sp_buf *out)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", (const char *)arg, rel) >= (int)sizeof(path))
		return SP_ERR_RANGE;
	out->len = 0;
	out->err = 0;
	return sp_file_read(path, max, out);
}

void sp_audit_folder_src(struct sp_audit_src *src, const char *dir)
{
	*src = (struct sp_audit_src){folder_get, (void *)dir, dir};
}

int sp_audit_tiles_check(struct sp_audit *a, const struct sp_audit_src *src, uint64_t size,
			 struct sp_progress *prog, uint64_t *tiles)
{
	struct tiles_ctx *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return sp_audit_failf(&a->fail, SP_ERR_NOMEM, "%s", src->name);
	t->src = src;
	t->fail = &a->fail;
	sp_buf_init(&t->file);
	a->leaf_fn = leaf_cb;
	a->leaf_ctx = t;
	if (a->fail.err == 0)
		tiles_entries(t, a, size, prog);
	a->leaf_fn = NULL;
	a->leaf_ctx = NULL;
	if (tiles)
		*tiles = t->checked;
	sp_buf_free(&t->file);
	free(t);
	return a->fail.err;
}

/* ---- a folder, with its checkpoint ----------------------------------------------- */

static void tiles_checkpoint(const struct sp_audit_src *src, struct sp_audit_fail *fail,
			     const struct sp_keyhist *keys, const char *origin,
			     struct sp_checkpoint *c, struct sp_audit_report *rep)
{
	struct sp_buf note;
	sp_buf_init(&note);
	int rc = src->get(src->arg, "checkpoint", SP_NOTE_MAX, &note);
	if (rc == 0)
		rc = sp_audit_open_checkpoint((const char *)note.p, note.len, keys, origin, c, rep);
	if (rc)
		sp_audit_failf(fail, rc, "checkpoint");
	sp_buf_free(&note);
}

/* vkeys_history makes the key history of keys[0..n): one name, Ed25519,
 * each key once, in the order given (no times: offline). */
static int vkeys_history(const struct sp_note_key *keys, size_t n, struct sp_keyhist *h,
			 struct sp_audit_fail *fail)
{
	h->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (keys[i].type != SP_NOTE_TYPE_ED25519)
			return sp_audit_failf(fail, SP_ERR_KEY_FORMAT,
					      "verifier key %zu is not an Ed25519 log key", i + 1);
		if (strcmp(keys[i].name, keys[0].name) != 0)
			return sp_audit_failf(fail, SP_ERR_KEY_FORMAT,
					      "verifier key %zu names another log", i + 1);
		if (sp_keyhist_add(h, keys[i].pk, 0) != 0 || h->n != i + 1)
			return sp_audit_failf(fail, SP_ERR_KEY_FORMAT,
					      "verifier key %zu: repeated or too many", i + 1);
	}
	return 0;
}

int sp_audit_tiles(const char *dir, const struct sp_note_key *keys, size_t nkeys,
		   struct sp_pool *pool, struct sp_progress *prog, struct sp_audit_report *rep)
{
	double t0 = sp_progress_now();
	memset(rep, 0, sizeof(*rep));
	snprintf(rep->origin, sizeof(rep->origin), "%s", keys[0].name);
	memcpy(rep->pk, keys[nkeys - 1].pk, SP_KEY_BYTES);
	rep->nkeys = nkeys;
	struct sp_audit a;
	struct sp_audit_src src;
	struct sp_keyhist h;
	struct sp_audit_fail bad = {0};
	vkeys_history(keys, nkeys, &h, &bad);
	sp_audit_init(&a, &h, pool);
	a.fail = bad;
	sp_audit_folder_src(&src, dir);
	struct sp_checkpoint c;
	if (a.fail.err == 0)
		tiles_checkpoint(&src, &a.fail, &h, keys[0].name, &c, rep);
	if (a.fail.err == 0) {
		if (prog)
			prog->total = c.size;
		sp_audit_mark(&a, c.size);
		sp_audit_tiles_check(&a, &src, c.size, prog, &rep->tiles);
		sp_audit_compare_mark(&a, &c, rep);
	}
	sp_audit_report_done(&a, rep, t0);
	sp_audit_free(&a);
	return rep->fail.err;
}

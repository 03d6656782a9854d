/*
 * sp_export.c - a log as static tlog-tiles files (see sp_export.h).
 */
#include "sp_export.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sp_err.h"
#include "sp_files.h"
#include "sp_tile.h"

static int fail(struct sp_export_stats *st, int rc, const char *what)
{
	if (rc)
		snprintf(st->where, sizeof(st->where), "%s", what);
	return rc;
}

/* put_tile fetches one tile (level -1: bundle) and writes it to its path. */
static int put_tile(struct sp_store *s, uint32_t id, const char *outdir, int level, uint64_t k,
		    unsigned w, struct sp_export_stats *st)
{
	char rel[128], path[PATH_MAX];
	int rc = sp_tile_path(rel, sizeof(rel), level, k, w);
	if (rc)
		return fail(st, rc, "tile path");
	if (snprintf(path, sizeof(path), "%s/%s", outdir, rel) >= (int)sizeof(path))
		return fail(st, SP_ERR_RANGE, rel);
	struct sp_buf b;
	sp_buf_init(&b);
	rc = sp_store_tlog_file(s, id, level, k, w, &b);
	if (rc == 0)
		rc = sp_file_replace(path, b.p, b.len);
	if (rc == 0) {
		st->bytes += b.len;
		if (level < 0)
			st->bundles++;
		else
			st->tiles++;
	}
	sp_buf_free(&b);
	return fail(st, rc, rel);
}

/* put_level writes the tiles of one level (-1: the bundles) of a tree of
 * `size` leaves: every full tile, then the partial one, if any. */
static int put_level(struct sp_store *s, uint32_t id, const char *outdir, int level,
		     uint64_t size, struct sp_progress *prog, struct sp_export_stats *st)
{
	uint64_t nodes = level <= 0 ? size : size >> (level * SP_TILE_HEIGHT);
	for (uint64_t k = 0; k * SP_TILE_WIDTH < nodes; k++) {
		uint64_t left = nodes - k * SP_TILE_WIDTH;
		unsigned w = left < SP_TILE_WIDTH ? (unsigned)left : SP_TILE_WIDTH;
		int rc = put_tile(s, id, outdir, level, k, w, st);
		if (rc)
			return rc;
		if (prog && level < 0)
			sp_progress_update(prog, k * SP_TILE_WIDTH + w);
	}
	return 0;
}

int sp_export_tiles(struct sp_store *s, uint32_t id, const char *outdir, struct sp_progress *prog,
		    struct sp_export_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct sp_buf note;
	sp_buf_init(&note);
	int rc = sp_store_checkpoint(s, id, &note, &st->size);
	if (rc) {
		sp_buf_free(&note);
		return fail(st, rc, "latest signed checkpoint");
	}
	if (prog)
		prog->total = st->size;
	rc = fail(st, sp_mkdirs(outdir, 0755), outdir);
	if (rc == 0)
		rc = put_level(s, id, outdir, -1, st->size, prog, st);
	for (int l = 0; rc == 0 && l < SP_TILE_LEVELS && (st->size >> (l * SP_TILE_HEIGHT)); l++)
		rc = put_level(s, id, outdir, l, st->size, NULL, st);
	if (rc == 0) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/checkpoint", outdir);
		rc = fail(st, sp_file_replace(path, note.p, note.len), "checkpoint");
		st->bytes += rc ? 0 : note.len;
	}
	sp_buf_free(&note);
	return rc;
}

/*
 * sp_export.h - writing a log as static C2SP tlog-tiles files.
 *
 * The folder holds what the tlog-tiles spec says a log serves: the latest
 * signed checkpoint (with its cosignatures) at `checkpoint`, every hash
 * tile that checkpoint's tree has (full ones at tile/<L>/<N>, the partial
 * right edge at tile/<L>/<N>.p/<W>), and every entry bundle
 * (tile/entries/<N>[.p/<W>]). Any static web server can serve it, and an
 * observer can verify the log from these files alone (sp_audit_tiles).
 */
#ifndef SP_EXPORT_H
#define SP_EXPORT_H

#include <stdint.h>

#include "sp_progress.h"
#include "sp_store.h"

struct sp_export_stats {
	uint64_t size;    /* checkpoint size exported */
	uint64_t tiles;   /* hash tile files written */
	uint64_t bundles; /* entry bundle files written */
	uint64_t bytes;   /* total bytes written */
	char where[256];  /* on failure: the file or step that failed */
};

/* sp_export_tiles writes log `id` of an open store, as of its latest
 * stored checkpoint, into folder outdir (created if needed). Tiles and
 * bundles are written first and the checkpoint last, each file replaced
 * atomically, so a server publishing the folder while it is rewritten never
 * serves a checkpoint whose tiles are missing. prog (optional) counts
 * entries. Errors: SP_ERR_NOT_FOUND (no signed checkpoint yet), the store's
 * read errors, SP_ERR_IO. */
int sp_export_tiles(struct sp_store *s, uint32_t id, const char *outdir, struct sp_progress *prog,
		    struct sp_export_stats *st);

#endif

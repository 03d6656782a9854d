/*
 * sp_audit.h - verifying a whole log end to end, from a store or from an
 * exported C2SP tlog-tiles folder.
 *
 * Every entry is decoded strictly, its signature checked, its author must
 * be the log's key in force (its key history, docs/protocol.md §9), and
 * each must link to the one before (index, previous
 * hash, time); the RFC 6962 tree grown from the entries must have the root
 * of the log's latest signed checkpoint. Signature checks dominate the
 * cost, so entries are checked in chunks: decoding, signature, entry hash
 * and leaf hash run in parallel on an sp_pool, and only the link checks and
 * the tree appends (a few hashes per entry) run in order.
 */
#ifndef SP_AUDIT_H
#define SP_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "sp_entry.h"
#include "sp_merkle.h"
#include "sp_note.h"
#include "sp_pool.h"
#include "sp_progress.h"
#include "sp_store.h"

/* Entries checked per parallel round. */
#define SP_AUDIT_CHUNK 4096

/* The first failure found, and where. */
struct sp_audit_fail {
	int err;         /* 0 while all is well */
	char where[192]; /* "entry 17", "tile/0/x001/002", "checkpoint", ... */
};

/* Sees every leaf hash in log order (used to compare with hash tiles). */
typedef int (*sp_audit_leaf_fn)(void *ctx, uint64_t index, const uint8_t leaf[32]);

/* Sees every entry accepted, in log order, once its signature, author and
 * link are checked: e (its body points into bytes), the exact bytes and
 * the entry hash, all valid only during the call. Non-zero fails the log.
 * It may extend the checker's keys (a->keys, a history the new one
 * extends): the coordinator's log, read from its genesis key, puts each key
 * it rotates to in force from the entry that publishes it. */
typedef int (*sp_audit_entry_fn)(void *ctx, const struct sp_entry *e, const uint8_t *bytes,
				 size_t len, const uint8_t hash[SP_HASH_BYTES]);

/* Tree sizes whose roots one check can record: a federation audit marks
 * every source's checkpoint size (up to 64 sources, sp_fedaudit.h), the
 * previous audit's size and a fork resolution's, and must lose none. */
#define SP_AUDIT_MARKS 72

struct sp_audit_item;

/* The incremental checker. Fields are read-only for callers. */
struct sp_audit {
	struct sp_keyhist keys; /* the writer's keys (docs/protocol.md §9) */
	size_t key_pos;         /* position of the last accepted entry's author */
	struct sp_pool *pool; /* borrowed; NULL: everything on the caller */
	sp_audit_leaf_fn leaf_fn;
	void *leaf_ctx;
	sp_audit_entry_fn entry_fn;
	void *entry_ctx;

	struct sp_merkle_frontier tree; /* tree.size = entries accepted */
	struct sp_entry last;           /* last accepted entry (no body) */
	uint8_t last_hash[SP_HASH_BYTES];

	/* roots recorded when the tree reaches each marked size */
	size_t n_marks;
	uint64_t mark_size[SP_AUDIT_MARKS];
	int mark_set[SP_AUDIT_MARKS];
	uint8_t mark_root[SP_AUDIT_MARKS][32];
	size_t mark_key[SP_AUDIT_MARKS]; /* key position of the entry at size - 1 */

	struct sp_audit_fail fail;

	uint8_t *bytes; /* the pending chunk: entry bytes back to back */
	size_t bytes_len, bytes_cap;
	struct sp_audit_item *items;
	size_t n, cap;
};

/* sp_audit_init starts checking a log written by the keys of `keys`
 * (copied; one key for a log never rotated), with the rotation rule of
 * sp_keyhist_entry. */
void sp_audit_init(struct sp_audit *a, const struct sp_keyhist *keys, struct sp_pool *pool);

/* sp_audit_free releases the chunk buffers. */
void sp_audit_free(struct sp_audit *a);

/* sp_audit_mark asks for the root at `size` leaves (a checkpoint's size);
 * up to SP_AUDIT_MARKS sizes (more are ignored; a size already marked is
 * marked once). */
void sp_audit_mark(struct sp_audit *a, uint64_t size);

/* sp_audit_marked: the root recorded at `size`: 0, or SP_ERR_NOT_FOUND
 * (not marked, or the tree never reached it). */
int sp_audit_marked(const struct sp_audit *a, uint64_t size, uint8_t root[32]);

/* sp_audit_add queues a copy of the next entry; a full chunk is checked at
 * once. Returns a->fail.err (0, or the first failure). */
int sp_audit_add(struct sp_audit *a, const uint8_t *entry, size_t len);

/* sp_audit_flush checks the queued entries. Returns a->fail.err. */
int sp_audit_flush(struct sp_audit *a);

/* sp_audit_root: the root of the entries accepted so far. */
void sp_audit_root(const struct sp_audit *a, uint8_t out[32]);

/* sp_audit_failf records a failure (the first one wins) and returns err. */
int sp_audit_failf(struct sp_audit_fail *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- whole logs -------------------------------------------------------- */

struct sp_audit_report {
	char origin[SP_ORIGIN_MAX + 1];
	uint8_t pk[SP_KEY_BYTES];   /* the latest key */
	size_t nkeys;               /* keys in its history */
	size_t cp_key;              /* the checkpoint's signer: position in the history */
	uint64_t entries;   /* entries checked */
	uint8_t root[32];   /* root of those entries */
	int have_cp;        /* a signed checkpoint was found and its signature holds */
	uint64_t cp_size;
	int cp_compared;    /* the tree was compared with the checkpoint's root */
	uint64_t cosigs;    /* signature lines on the checkpoint besides the log's own */
	uint64_t forks;     /* fork evidence records (store only) */
	uint64_t tiles;     /* hash tiles compared (tiles folder only) */
	double seconds;
	struct sp_audit_fail fail;
};

/* sp_audit_store_log verifies log `id` of an open store: every entry, the
 * store's own tree (sp_store_root), the latest checkpoint (signature, and
 * root when the store holds that many entries), the head hash, and fork
 * evidence (any record fails the log with SP_ERR_FORK). prog (optional)
 * is updated as entries are checked. Returns rep->fail.err. */
int sp_audit_store_log(struct sp_store *s, uint32_t id, struct sp_pool *pool,
		       struct sp_progress *prog, struct sp_audit_report *rep);

/* Where tlog-tiles files come from: a folder, or a node over HTTP. get
 * reads the file at `rel` ("checkpoint", "tile/0/001", "tile/entries/
 * 000.p/5") into out (emptied first), at most max bytes: 0,
 * SP_ERR_NOT_FOUND (no such file), or another error (unreachable, I/O). */
struct sp_audit_src {
	int (*get)(void *arg, const char *rel, size_t max, struct sp_buf *out);
	void *arg;
	const char *name; /* for messages: the folder or the URL */
};

/* sp_audit_folder_src: a source reading files under the folder dir
 * (borrowed). */
void sp_audit_folder_src(struct sp_audit_src *src, const char *dir);

/* sp_audit_tiles_check feeds a the entries [0, size) of the tlog-tiles
 * at src (entry bundles) and compares every hash tile of that tree with
 * the one src holds (a partial tile missing: the full one). a is set up
 * by the caller (marks, entry_fn) and must not have a leaf_fn. *tiles
 * (optional) gets the hash tiles compared. Returns a->fail.err. */
int sp_audit_tiles_check(struct sp_audit *a, const struct sp_audit_src *src, uint64_t size,
			 struct sp_progress *prog, uint64_t *tiles);

/* sp_audit_tiles verifies a tlog-tiles folder offline, as a public
 * observer does: `checkpoint` signed by one of keys[0..nkeys) (the log's key
 * history, oldest first, all of one name: the origin; rotation times are
 * unknown offline, so only the order is checked), every
 * entry bundle the checkpoint covers, every hash tile at every level
 * against the tree recomputed from the entries, and the checkpoint's root.
 * Where a partial tile is missing its full tile is used (the spec lets
 * servers drop partial tiles once full). Returns rep->fail.err. */
int sp_audit_tiles(const char *dir, const struct sp_note_key *keys, size_t nkeys,
		   struct sp_pool *pool, struct sp_progress *prog, struct sp_audit_report *rep);

#endif

/*
 * sp_store.h - one node's durable store of many signed logs (RocksDB).
 *
 * A store holds the node's own log (which it signs) and replicas of other
 * institutions' logs (which it verifies). For every log it keeps the
 * entries, the RFC 6962 Merkle tree as C2SP tlog tiles, signed checkpoints
 * (with cosignatures), and evidence of forks. See docs/architecture.md for
 * the on-disk layout.
 *
 * Threads: every function may be called from any thread. Own-log appends
 * are asynchronous: they are signed in order by the store's signer thread
 * and acknowledged by its commit thread only after the batch they are in is
 * written and fsynced, so concurrent appenders share one fsync (group
 * commit) and signing of one batch overlaps the fsync of the previous one.
 * Readers see only durable data, through immutable per-log snapshots.
 */
#ifndef SP_STORE_H
#define SP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sp_cbor.h"
#include "sp_entry.h"
#include "sp_keyhist.h"
#include "sp_merkle.h"
#include "sp_note.h"

struct sp_store;
struct sp_pool;

struct sp_store_opts {
	/* The own log: its origin ("<federation>/<institution id>") and the
	 * node's 64-byte Ed25519 secret key (copied). NULL origin: the store
	 * holds replicas only (an observer or a verifier). */
	const char *own_origin;
	const uint8_t *own_sk;
	/* Re-sign the own checkpoint at most this often while appends come in
	 * (milliseconds); 0 re-signs after every batch. */
	uint32_t checkpoint_ms;
	/* RocksDB block cache, MiB (0: 64). */
	size_t cache_mb;
	/* Threads verifying signatures on replica ingest (0: number of CPUs). */
	unsigned verify_threads;
	/* Open read-only (for offline tools on a stopped node's folder). */
	int read_only;
};

/* sp_store_open opens (or creates) the store in folder `path`. On success
 * *out owns the store; close it with sp_store_close. Errors: SP_ERR_BUSY
 * (another process has it open), SP_ERR_DB, SP_ERR_CORRUPT (a log's tree
 * does not match its latest signed checkpoint), SP_ERR_ARG (the own origin
 * is known here and own_sk is not in its key history, or is older than the
 * key of its last entry), SP_ERR_EXISTS (the store already has an
 * own log under another origin: one node, one own log). */
int sp_store_open(const char *path, const struct sp_store_opts *opts, struct sp_store **out);

/* sp_store_close waits for pending appends to become durable (their
 * callbacks run), stops the threads and frees everything. NULL is a no-op. */
void sp_store_close(struct sp_store *s);

/* ---- logs ------------------------------------------------------------- */

struct sp_log_info {
	uint32_t id;
	char origin[SP_ORIGIN_MAX + 1];
	uint8_t pk[SP_KEY_BYTES];     /* the writer's latest key */
	struct sp_keyhist keys;       /* all its keys (docs/protocol.md §9) */
	size_t head_key;              /* position in keys of entry size-1's author */
	int own;
	uint64_t size;                /* durable entries */
	uint8_t head[SP_HASH_BYTES];  /* entry hash of entry size-1 (zeros if empty) */
	uint64_t head_time_ms;
	int frozen;                   /* a fork was seen: no further ingest */
	int resolved;                 /* the coordinator resolved a fork in it */
	uint64_t res_size;            /* ... the log is the tree of res_size entries */
	uint8_t res_root[32];         /* ... with this root */
	int res_lost;                 /* own log on the branch resolved away */
};

/* sp_store_own_log: the id of the own log, or SP_ERR_NOT_FOUND. */
int sp_store_own_log(struct sp_store *s, uint32_t *id);

/* sp_store_log_add registers a replica log (origin, writer key). Returns
 * the existing id if the origin is known and pk is in its key history;
 * SP_ERR_EXISTS if the origin is known with other keys. */
int sp_store_log_add(struct sp_store *s, const char *origin, const uint8_t pk[SP_KEY_BYTES],
		     uint32_t *id);

/* sp_store_log_keys replaces log id's key history (sp_keyhist.h) with h,
 * which must extend it (the history only grows: SP_ERR_EXISTS otherwise,
 * nothing changed); synced. From then on an entry of the log is accepted
 * if its author is the key the rule puts in force (sp_keyhist_entry), and
 * a checkpoint if signed by the key of the last entry it covers or a later
 * one. The own log's history must hold a key before sp_store_own_rekey
 * can sign with it. Errors: SP_ERR_NOT_FOUND, SP_ERR_ARG (read-only, empty
 * h), SP_ERR_EXISTS, SP_ERR_DB. */
int sp_store_log_keys(struct sp_store *s, uint32_t id, const struct sp_keyhist *h);

/* sp_store_own_rekey makes sk (an Ed25519 secret key, copied) the own
 * log's signer for every later entry and checkpoint: a signing-key
 * rotation. Entries already signed stay as they are. Its public key must be
 * in the own log's history at the position of the key in use or later (a
 * key never goes back); its entries are dated no earlier than the time the
 * history puts it in force. Errors: SP_ERR_ARG (no own log, read-only),
 * SP_ERR_NOT_FOUND (not in the history: sp_store_log_keys first),
 * SP_ERR_STALE (an older key than the one in use). */
int sp_store_own_rekey(struct sp_store *s, const uint8_t sk[SP_SECRET_BYTES]);

/* sp_store_log_find looks a log up by origin (SP_ERR_NOT_FOUND). */
int sp_store_log_find(struct sp_store *s, const char *origin, uint32_t *id);

/* sp_store_log_info fills *info with a log's durable state. */
int sp_store_log_info(struct sp_store *s, uint32_t id, struct sp_log_info *info);

/* sp_store_pool: the store's worker pool (borrowed, lives as long as the
 * store; opts.verify_threads - 1 workers, the caller being one more), for
 * other data-parallel loops over what the store holds, such as computing
 * report states in the report index (node/sp_reports.c). */
struct sp_pool *sp_store_pool(struct sp_store *s);

/* sp_store_log_count: number of logs; ids are 0 .. count-1. */
uint32_t sp_store_log_count(struct sp_store *s);

/* sp_store_logs_loaded: how many logs have their partial tiles in memory.
 * A replica log's are read at its first use after the store opens, not at
 * the open (a restart of a node holding hundreds of logs reads only their
 * heads); the own log's at the open. */
uint32_t sp_store_logs_loaded(struct sp_store *s);

/* ---- own-log appends ---------------------------------------------------- */

/* Called once per append, from the store's commit thread, after the entry
 * is durable (err 0) or when it failed (err < 0; index/hash undefined).
 * Must not block for long and must not call sp_store_close. */
typedef void (*sp_append_cb)(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES]);

/* sp_store_append_async queues one entry of event `type` with CBOR `body`
 * (copied; must be one deterministic item) for the own log. Bad input is
 * rejected at once (negative return, no callback). The time is the wall
 * clock in ms, raised if needed to stay non-decreasing. */
int sp_store_append_async(struct sp_store *s, uint64_t type, const uint8_t *body, size_t body_len,
			  sp_append_cb cb, void *arg);

/* sp_store_append is the blocking form: returns once the entry is durable.
 * *index and hash (both optional) receive its index and entry hash. */
int sp_store_append(struct sp_store *s, uint64_t type, const uint8_t *body, size_t body_len,
		    uint64_t *index, uint8_t hash[SP_HASH_BYTES]);

/* ---- replica ingest ----------------------------------------------------- */

/* sp_store_insert verifies and stores entries[0..n) of replica log `id`,
 * which must carry consecutive indexes (else SP_ERR_WRONG_INDEX at the
 * first that does not), in order, atomically per call but without its own fsync (a replica can be
 * fetched again; a crash keeps a verified prefix; fork evidence is synced). Signatures are checked in parallel; then each entry must
 * extend the log (author, index, prev hash, time). An entry already held
 * with the same bytes is skipped; one with different bytes is stored as
 * fork evidence, the log is frozen, and SP_ERR_FORK is returned. Nothing
 * invalid is stored; the valid prefix before a bad entry is. *accepted
 * (optional) receives how many new entries were stored. Errors: any
 * sp_entry_decode error, SP_ERR_BAD_SIGNATURE, SP_ERR_WRONG_*,
 * SP_ERR_TIME_ORDER, SP_ERR_GAP, SP_ERR_FORK, SP_ERR_BUSY (frozen log),
 * SP_ERR_FORK_RESOLVED (contradicts a resolved fork: nothing stored, no
 * evidence; see sp_store_fork_resolve), SP_ERR_ARG (own log). */
int sp_store_insert(struct sp_store *s, uint32_t id, const uint8_t *const *entries,
		    const size_t *lens, size_t n, size_t *accepted);

/* sp_store_insert in two steps, so that a caller can verify one batch
 * while the previous one is being linked: sp_store_verify decodes, checks
 * the signatures of (in parallel, on the store's pool) and hashes
 * entries[0..n) of replica log `id`, without touching the log, and gives
 * the result in *out (the caller's: sp_store_apply it, then
 * sp_store_batch_free; the entries' bytes are borrowed and must outlive
 * it). sp_store_apply then does everything else sp_store_insert does
 * (linking in order, checkpoints, forks, the write), with the same
 * results. Only a verified batch can be applied: the type is opaque.
 * sp_store_verify errors: SP_ERR_NOT_FOUND, SP_ERR_ARG (own log),
 * SP_ERR_NOMEM; per-entry errors come from sp_store_apply. */
struct sp_store_batch;
int sp_store_verify(struct sp_store *s, uint32_t id, const uint8_t *const *entries,
		    const size_t *lens, size_t n, struct sp_store_batch **out);
int sp_store_apply(struct sp_store *s, struct sp_store_batch *b, size_t *accepted);
void sp_store_batch_free(struct sp_store_batch *b);

/* A run of consecutive entries of one log, as bytes and, when a verified
 * batch gave them (sp_store_batch_run), decoded with their hashes, so that
 * whoever reads entries just stored need not decode or hash them again.
 * Everything is borrowed. */
struct sp_store_run {
	uint32_t log;
	uint64_t first;                /* index of entries[0] */
	size_t n;
	const uint8_t *const *entries; /* entries[i]: lens[i] bytes */
	const size_t *lens;
	const struct sp_entry *ents;   /* as sp_entry_decode gives them, or NULL */
	const sp_hash *hashes;         /* their sp_entry_hash; with ents */
};

/* sp_store_batch_run describes positions [from, from + n) of verified
 * batch b as entries first.. of its log, in *out, with the decoded
 * entries and hashes sp_store_verify worked out. Only positions that
 * decoded and verified have them: the caller passes a range
 * sp_store_apply stored (it stops at the first bad entry). Borrows b and
 * its entry bytes: use *out while both live. SP_ERR_RANGE beyond the
 * batch (*out untouched). */
int sp_store_batch_run(const struct sp_store_batch *b, size_t from, size_t n, uint64_t first,
		       struct sp_store_run *out);

/* ---- restoring the own log from peers ------------------------------------ */

/* A node restored from an older copy must not append where it already
 * signed entries: peers hold its later checkpoints and entries. Own
 * appends fail with SP_ERR_STALE while a checkpoint of the own log larger
 * than its entries is held ("behind"), or while the node holds them.
 *
 * sp_store_own_checkpoint_put verifies an own-log checkpoint a peer sent
 * (own key, own origin). Larger than the own log and than the last one
 * held: stored (synced) and the log is behind. Otherwise its root must be
 * the log's at that size (SP_ERR_INCONSISTENT if not; nothing stored).
 * SP_ERR_ARG if there is no own log. */
int sp_store_own_checkpoint_put(struct sp_store *s, const char *note, size_t len);

/* sp_store_own_insert stores own-log entries fetched from a peer while
 * the log is behind or appends are held (else SP_ERR_ARG), with sp_store_insert's checks and
 * results (the author must be the own key; the held checkpoint's root is
 * checked when its size is reached). Reaching the checkpoint's size ends
 * "behind". */
int sp_store_own_insert(struct sp_store *s, const uint8_t *const *entries, const size_t *lens,
			size_t n, size_t *accepted);

/* sp_store_own_behind: 1 if the own log is behind; *cp_size (optional)
 * gets the size of the latest own checkpoint held (0 if none). */
int sp_store_own_behind(struct sp_store *s, uint64_t *cp_size);

/* sp_store_own_hold (on = 1) makes own appends fail with SP_ERR_STALE
 * until called with on = 0 (the node asks its peers first). Any thread. */
void sp_store_own_hold(struct sp_store *s, int on);

/* ---- reads -------------------------------------------------------------- */

/* sp_store_entry appends entry `index` of log `id` to out. */
int sp_store_entry(struct sp_store *s, uint32_t id, uint64_t index, struct sp_buf *out);

/* Called for each entry by sp_store_scan; a non-zero return stops the scan
 * and is returned by it. The bytes are valid only during the call. */
typedef int (*sp_entry_fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len);

/* sp_store_scan calls fn for entries [from, to) of log `id` in order. */
int sp_store_scan(struct sp_store *s, uint32_t id, uint64_t from, uint64_t to, sp_entry_fn fn,
		  void *arg);

/* Merkle tree of the durable log, for any size <= the durable size. */
int sp_store_root(struct sp_store *s, uint32_t id, uint64_t size, uint8_t root[32]);
int sp_store_inclusion(struct sp_store *s, uint32_t id, uint64_t index, uint64_t size,
		       sp_hash proof[SP_MERKLE_MAX_PROOF], size_t *n);
int sp_store_consistency(struct sp_store *s, uint32_t id, uint64_t old_size, uint64_t new_size,
			 sp_hash proof[SP_MERKLE_MAX_PROOF], size_t *n);

/* sp_store_tile appends the C2SP tlog-tiles hash tile (level, index) of
 * width w (1..256) to out: w hashes of 32 bytes. SP_ERR_NOT_FOUND if the
 * durable tree does not yet have w hashes in that tile. */
int sp_store_tile(struct sp_store *s, uint32_t id, unsigned level, uint64_t index, unsigned w,
		  struct sp_buf *out);

/* sp_store_bundle appends the tlog-tiles entry bundle `index` of width w:
 * entries 256*index .. 256*index+w-1, each as a 2-byte big-endian length
 * and the entry bytes. */
int sp_store_bundle(struct sp_store *s, uint32_t id, uint64_t index, unsigned w,
		    struct sp_buf *out);

/* sp_store_tlog_file appends one tlog-tiles file of log `id`: hash tile k
 * of tile level `level` (>= 0), or entry bundle k (level -1), of width w
 * (1..256; 256 = full). The bytes the HTTP server serves and `simpul log
 * export` writes. Errors: as sp_store_tile and sp_store_bundle. */
int sp_store_tlog_file(struct sp_store *s, uint32_t id, int level, uint64_t k, unsigned w,
		       struct sp_buf *out);

/* ---- checkpoints ---------------------------------------------------------- */

/* sp_store_checkpoint_sign signs a checkpoint of the own log's durable head
 * now (if it grew since the last one) and stores it. It refuses
 * (SP_ERR_INCONSISTENT / SP_ERR_STALE) to sign anything inconsistent with a
 * checkpoint it signed before. */
int sp_store_checkpoint_sign(struct sp_store *s);

/* sp_store_checkpoint appends log `id`'s latest stored checkpoint note
 * (with any cosignature lines) to out; *size (optional) gets its size.
 * SP_ERR_NOT_FOUND if none. */
int sp_store_checkpoint(struct sp_store *s, uint32_t id, struct sp_buf *out, uint64_t *size);

/* sp_store_checkpoint_at: the stored checkpoint of exactly `size`. */
int sp_store_checkpoint_at(struct sp_store *s, uint32_t id, uint64_t size, struct sp_buf *out);

/* sp_store_checkpoint_put verifies a replica log's signed checkpoint (its
 * writer key, name = origin) and stores it. If the store holds that many
 * entries the root must match, else the conflicting checkpoint is kept as
 * fork evidence, the log frozen, and SP_ERR_INCONSISTENT returned. */
int sp_store_checkpoint_put(struct sp_store *s, uint32_t id, const char *note, size_t len);

/* sp_store_cosign_add appends a verified cosignature line to the stored
 * checkpoint of `size` (see sp_cosig_line). SP_ERR_EXISTS (nothing
 * changed) if that key already signed it: one line per witness key. */
int sp_store_cosign_add(struct sp_store *s, uint32_t id, uint64_t size, const char *line,
			size_t len);

/* ---- fork evidence -------------------------------------------------------- */

enum sp_fork_kind { SP_FORK_ENTRY = 1, SP_FORK_CHECKPOINT = 2, SP_FORK_SET_ASIDE = 3 };

/* Evidence of misbehaviour: two signed statements by one writer that cannot
 * both be true. Both byte strings are valid only during the callback. */
struct sp_fork {
	enum sp_fork_kind kind;
	uint64_t at; /* entry index, or checkpoint size */
	const uint8_t *held;
	size_t held_len;
	const uint8_t *other;
	size_t other_len;
	uint64_t found_ms;  /* when this node stored it (0: not recorded) */
	const char *from;   /* peer institution it came from ("": found here) */
	size_t from_len;
};

typedef int (*sp_fork_fn)(void *arg, const struct sp_fork *f);

/* sp_store_forks calls fn for every fork evidence record of log `id`
 * (kinds SP_FORK_ENTRY and SP_FORK_CHECKPOINT). sp_store_set_aside calls
 * it for every entry a fork resolution set aside (SP_FORK_SET_ASIDE: `at`
 * its index, `other` its bytes, `held` empty). */
int sp_store_forks(struct sp_store *s, uint32_t id, sp_fork_fn fn, void *arg);
int sp_store_set_aside(struct sp_store *s, uint32_t id, sp_fork_fn fn, void *arg);

/* sp_store_fork_add keeps evidence a peer sent (`from`: its institution),
 * already verified by the caller, synced, and freezes the log.
 * SP_ERR_EXISTS (nothing written) if the log holds the same pair of
 * statements, in either order, under the same kind. */
int sp_store_fork_add(struct sp_store *s, uint32_t id, enum sp_fork_kind kind, uint64_t at,
		      const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		      const char *from);

/* sp_store_fork_gen counts the evidence records written since open (any
 * path): a change means there is new evidence to tell peers about. */
uint64_t sp_store_fork_gen(struct sp_store *s);

/* ---- resolving a fork (sp_store_forkres.c) -------------------------------- */

/* sp_store_fork_resolve applies the coordinator's resolution of a fork in
 * log id (a record sp_dir_forkres_check accepted): the log is the tree of
 * `size` entries whose root is `root`. The resolution is kept (a later one
 * replaces it) and so is every evidence record. Then:
 *  - the log holds >= size entries with that root: nothing moves;
 *  - a replica holds them with another root (the branch resolved away):
 *    all its entries are set aside (SP_FORK_SET_ASIDE records: kept, never
 *    deleted) with its checkpoints and tiles dropped, and it starts again
 *    from 0, to be fetched anew; *set_aside (optional) gets how many;
 *  - it holds fewer: the root is checked when the log reaches `size`; a
 *    batch reaching it with another root, or not linking to what is held,
 *    is refused and what is held is set aside the same way.
 * From then on statements contradicting that tree at or below `size`
 * (entries below it, checkpoints up to it, evidence about them) are the
 * resolved fork: SP_ERR_FORK_RESOLVED, never evidence again, not stored;
 * evidence beyond `size` still freezes the log. The log is unfrozen unless
 * it holds such evidence already. The own log, if on the branch resolved
 * away, keeps its entries (this node acknowledged them) and its appends
 * fail with SP_ERR_FORK_RESOLVED from then on (a new key and log are
 * needed: docs/operations.md). The witness state of the origin is dropped
 * when it is on the other branch. Synced. Errors: SP_ERR_NOT_FOUND,
 * SP_ERR_ARG (size 0, read-only store), SP_ERR_DB, SP_ERR_NOMEM. */
int sp_store_fork_resolve(struct sp_store *s, uint32_t id, uint64_t size,
			  const uint8_t root[32], uint64_t *set_aside);

/* sp_store_fork_covered: evidence of `kind` at `at` is about what a
 * resolution of size res_size settled (the rule of sp_dir_forkres_covers,
 * shared with `simpul audit`), so it no longer freezes the log. 1 or 0. */
int sp_store_fork_covered(uint64_t res_size, enum sp_fork_kind kind, uint64_t at);

/* sp_store_fork_resolve_origin is sp_store_fork_resolve for the log of
 * `origin`. If the store holds no such log yet, the resolution is kept
 * (synced) and the log takes it when sp_store_log_add registers it, so a
 * log first fetched after the resolution is checked against it too.
 * Errors: those of sp_store_fork_resolve; SP_ERR_ARG for a bad origin. */
int sp_store_fork_resolve_origin(struct sp_store *s, const char *origin, uint64_t size,
				 const uint8_t root[32], uint64_t *set_aside);

/* ---- witness state (sp_store_witness.c) ----------------------------------- */

/* What this node, as a witness, last cosigned for an origin: the size and
 * root of that checkpoint. Kept apart from the logs, since a witness may
 * cosign logs it does not hold. */

/* sp_store_witness_get fills *size and root with origin's witness state,
 * and appends the signed note it cosigned to note (if not NULL).
 * SP_ERR_NOT_FOUND if it never cosigned one (then *size is 0). */
int sp_store_witness_get(struct sp_store *s, const char *origin, uint64_t *size, uint8_t root[32],
			 struct sp_buf *note);

/* sp_store_witness_set replaces origin's state with (size, root, the
 * signed note note[0..len)), synced before it returns, only if the state
 * still is (old_size, old_root): check and write are one atomic step
 * (c2sp.org/tlog-witness). No state counts as size 0, any root. Else
 * SP_ERR_STALE and nothing is written. */
int sp_store_witness_set(struct sp_store *s, const char *origin, uint64_t old_size,
			 const uint8_t old_root[32], uint64_t size, const uint8_t root[32],
			 const char *note, size_t len);

/* sp_store_fork_checkpoints keeps two signed checkpoints of log id that
 * cannot both be true (held: the one known first) as fork evidence at
 * size `at`, synced, and freezes the log. */
int sp_store_fork_checkpoints(struct sp_store *s, uint32_t id, uint64_t at, const char *held,
			      size_t held_len, const char *other, size_t other_len);

/* RocksDB info logs kept (LOG and LOG.old.*): every open rotates one. */
#define SP_STORE_INFO_LOGS 4

/* ---- attachments ------------------------------------------------------------ */

/* Files referenced from report entries (photos, documents), stored once
 * under the SHA-256 of their bytes, with the media type they came with.
 * A sealed attachment's bytes are ciphertext (a rahasia report's file,
 * encrypted by the node at submission): the hash is the ciphertext's. */

#define SP_ATTACH_MAX_BYTES (10u << 20) /* largest attachment */
#define SP_ATTACH_TYPE_MAX 127          /* media type length, as in report bodies */
#define SP_ATTACH_SEALED 1u             /* flag: the bytes are ciphertext */

struct sp_attach_info {
	uint8_t sha256[SP_HASH_BYTES];
	uint64_t size;                         /* bytes (ciphertext if sealed) */
	char media_type[SP_ATTACH_TYPE_MAX + 1];
	unsigned flags;                        /* SP_ATTACH_SEALED */
};

/* sp_store_attach_put stores bytes[0..len) (1..SP_ATTACH_MAX_BYTES) with
 * its media type (1..SP_ATTACH_TYPE_MAX bytes) and flags, synced (WAL +
 * fsync) before it returns. Content-addressed: bytes already held are not
 * written again, and *info (optional) describes what is stored, which for
 * those is the first upload's type and flags. *created (optional) is 1 if
 * this call stored them. Errors: SP_ERR_ARG, SP_ERR_RANGE (size),
 * SP_ERR_NOMEM, SP_ERR_DB. */
int sp_store_attach_put(struct sp_store *s, const uint8_t *bytes, size_t len,
			const char *media_type, unsigned flags, struct sp_attach_info *info,
			int *created);

/* sp_store_attach_get looks attachment sha256 up: *info (optional) gets its
 * description and, with out non-NULL, its bytes are appended to out after
 * checking them against the hash. Without out nothing is hashed (a quick
 * existence and size check). Errors: SP_ERR_NOT_FOUND, SP_ERR_CORRUPT (the
 * stored value is malformed or its bytes do not hash to the key), SP_ERR_DB,
 * SP_ERR_NOMEM. */
int sp_store_attach_get(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			struct sp_attach_info *info, struct sp_buf *out);

/* sp_store_attach_read appends bytes [offset, offset + max) of attachment
 * sha256 (fewer at its end) to out and describes it in *info, for serving
 * it in chunks to a peer. At offset 0 the whole value is hashed first, so
 * a damaged one is SP_ERR_CORRUPT, never sent. Errors: SP_ERR_NOT_FOUND,
 * SP_ERR_RANGE (offset at or past the end), SP_ERR_CORRUPT, SP_ERR_DB,
 * SP_ERR_NOMEM. */
int sp_store_attach_read(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			 uint64_t offset, size_t max, struct sp_attach_info *info,
			 struct sp_buf *out);

/* Partial attachments: one fetched from a peer in chunks, kept while the
 * transfer runs so that it resumes where it stopped, across restarts.
 * Chunks are kept in the attachments family under sha256 || offset
 * (8 bytes, big-endian), chained (the chunk at 0, then the one at its
 * end, ...), written without fsync: a crash loses a suffix, and the
 * transfer resumes from the chunk before it.
 *
 * sp_store_attach_part_put keeps bytes[0..len) (len >= 1) as the chunk at
 * offset. sp_store_attach_part_read follows the chain from 0 and sets
 * *held to the bytes it holds (at most max); with out non-NULL it appends
 * them. sp_store_attach_part_done deletes the chain and, if bytes is not
 * NULL, stores bytes[0..len) as the attachment (as sp_store_attach_put;
 * the caller has checked them against sha256), both in one synced write.
 * Errors: SP_ERR_ARG, SP_ERR_RANGE, SP_ERR_DB, SP_ERR_NOMEM. */
int sp_store_attach_part_put(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			     uint64_t offset, const uint8_t *bytes, size_t len);
int sp_store_attach_part_read(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			      uint64_t max, uint64_t *held, struct sp_buf *out);
int sp_store_attach_part_done(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			      const uint8_t *bytes, size_t len, const char *media_type,
			      unsigned flags);

/* The attachment start scan's marks (node/sp_peer_attach.c): per log, a
 * size N and the entry hash of entry N-1, recorded once every attachment
 * named by entries 0..N-1 was held. Entries are hash-chained, so a mark
 * whose hash is the log's entry N-1 vouches for the log's whole prefix;
 * a damaged mark, or one of a log that fork resolution started again,
 * names no entry the log holds there and is refused (a mark is only ever
 * lowered by being refused: attachments are never deleted).
 *
 * sp_store_attach_mark_get reads log id's mark: *size (0 unless 0 is
 * returned) and head. Errors: SP_ERR_NOT_FOUND (none kept), SP_ERR_CORRUPT
 * (the value is not a mark), SP_ERR_FORK (the log is shorter, or holds
 * another entry at N-1), SP_ERR_DB, SP_ERR_NOMEM.
 * sp_store_attach_mark_put records one (size >= 1), unsynced: a mark lost
 * in a crash only means a longer scan. Errors: SP_ERR_ARG, SP_ERR_DB. */
int sp_store_attach_mark_get(struct sp_store *s, uint32_t id, uint64_t *size,
			     uint8_t head[SP_HASH_BYTES]);
int sp_store_attach_mark_put(struct sp_store *s, uint32_t id, uint64_t size,
			     const uint8_t head[SP_HASH_BYTES]);

/* ---- maintenance ------------------------------------------------------------ */

/* sp_store_compact compacts all column families (benchmarks, after bulk
 * loads). */
int sp_store_compact(struct sp_store *s);

/* Counters since open, for metrics: own entries made durable, and the
 * fsyncs that made them so (appends / syncs = group-commit batch size). */
struct sp_store_stats {
	uint64_t appends;
	uint64_t syncs;
};
void sp_store_stats(struct sp_store *s, struct sp_store_stats *out);

/* sp_store_disk_bytes: live SST + WAL bytes of the store. */
int sp_store_disk_bytes(struct sp_store *s, uint64_t *bytes);

/* The store's format version (sp_store_format.c). A store records it; an
 * open migrates an older store forward (a read-only open reads it as it
 * is) and refuses a newer one with SP_ERR_STORE_NEWER. Stores written
 * before the version was recorded are version 1. */
#define SP_STORE_FORMAT 3

/* sp_store_format_found: the version the store had when it was opened: 0
 * for a store this open created, less than SP_STORE_FORMAT if this open
 * migrated it. */
unsigned sp_store_format_found(const struct sp_store *s);

/* sp_store_backup writes a consistent RocksDB checkpoint of the store into
 * the new folder `dir` (hard links where possible). */
int sp_store_backup(struct sp_store *s, const char *dir);

#endif

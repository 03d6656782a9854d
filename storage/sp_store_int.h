/*
 * sp_store_int.h - private to storage/: the store's internal structures,
 * shared by sp_store.c (open, reads, checkpoints), sp_store_append.c (the
 * own-log group-commit pipeline) and sp_store_ingest.c (replica ingest).
 *
 * Concurrency model. Each log has:
 *  - writer state (w_*), touched only under wmu by the one writer at a time
 *    (the signer thread for the own log, sp_store_insert for replicas);
 *    it may run ahead of what is durable;
 *  - a durable snapshot (snap), immutable and reference-counted, replaced
 *    under smu once a write batch is on disk. Readers take a reference and
 *    never block writers for longer than a pointer swap.
 */
#ifndef SP_STORE_INT_H
#define SP_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "sp_pool.h"
#include "sp_store.h"
#include "sp_store_db.h"
#include "sp_tile.h"
#include "sp_clock.h"
#include "sp_keyhist.h"

struct sp_snap {
	atomic_int refs;
	uint64_t size;
	uint8_t head[SP_HASH_BYTES];
	uint64_t head_time;
	size_t head_key; /* position in the log's key history of the head's author */
	struct sp_edge edge;
};

struct sp_log {
	uint32_t id;
	char origin[SP_ORIGIN_MAX + 1];
	/* the writer's keys (sp_keyhist.h), only growing; under keys_mu */
	pthread_mutex_t keys_mu;
	struct sp_keyhist keys;
	int own;
	atomic_int frozen;

	/* the coordinator's resolution of a fork (sp_store_forkres.c), under
	 * wmu: the log is the tree of res_size entries with root res_root */
	int res_have;
	uint64_t res_size;
	uint8_t res_root[32];
	int res_lost; /* own log on the other branch: no appends */

	pthread_mutex_t wmu;
	uint64_t w_size;
	uint8_t w_head[SP_HASH_BYTES];
	uint64_t w_time;
	size_t w_key; /* key position of entry w_size - 1's author (0 if empty) */
	struct sp_edge w_edge;

	pthread_mutex_t smu;
	struct sp_snap *snap;

	/* A replica log is opened in two steps: its head at the store's open
	 * (sp_store_log_info needs no more), its partial tiles (w_edge and the
	 * snapshot's edge: the last entries re-hashed) at its first use by
	 * sp_store_log_get, under lazy_mu. A national node holds hundreds of
	 * logs; most are not touched in the seconds after a restart. */
	pthread_mutex_t lazy_mu;
	atomic_int edge_ready;

	/* own log: the last checkpoint signed (cp_mu) */
	pthread_mutex_t cp_mu;
	uint64_t cp_size;
	uint8_t cp_root[32];
	int cp_have;
};

/* One queued own-log append. */
struct sp_req {
	struct sp_req *next;
	uint64_t type;
	uint8_t *body;
	size_t body_len;
	sp_append_cb cb;
	void *arg;
	int err;
	uint64_t index;
	uint8_t hash[SP_HASH_BYTES];
};

/* A signed batch on its way to disk. */
struct sp_batch {
	struct sp_batch *next;
	rocksdb_writebatch_t *wb;
	struct sp_req *reqs;
	struct sp_snap *snap; /* the log's state once this batch is durable */
};

struct sp_store {
	rocksdb_t *db;
	rocksdb_options_t *dbopts;
	rocksdb_options_t *cfopts[SP_CF_N];
	rocksdb_block_based_table_options_t *bbo;
	rocksdb_block_based_table_options_t *bbo_ix; /* the report index families */
	rocksdb_cache_t *cache;
	rocksdb_column_family_handle_t *cf[SP_CF_N];
	rocksdb_writeoptions_t *wsync;
	rocksdb_writeoptions_t *wnosync;
	rocksdb_readoptions_t *ropts;
	int read_only;
	unsigned format_found; /* the format the store had when opened (0: new) */
	atomic_int broken; /* a write failed after writer state moved: reopen */

	pthread_rwlock_t logs_mu;
	pthread_mutex_t wit_mu; /* witness state: compare and write (sp_store_witness.c) */
	struct sp_log **logs;
	uint32_t nlogs, caplogs;
	int own_id; /* -1: none */
	atomic_int own_behind; /* own log shorter than its last checkpoint: no appends */
	atomic_int own_hold;   /* the node holds own appends (sp_store_own_hold) */
	atomic_int own_lost;   /* own log resolved away by the coordinator: no appends */
	uint8_t sk[SP_SECRET_BYTES];
	/* the own signer: sk's position in the own log's key history and the
	 * time that key is in force from (own entries are dated no earlier);
	 * changed by sp_store_own_rekey under the own log's wmu and cp_mu */
	size_t sk_pos;
	uint64_t sk_from;

	struct sp_pool *pool;

	/* append pipeline */
	uint32_t checkpoint_ms;
	uint64_t last_cp_ms;
	pthread_mutex_t q_mu;
	pthread_cond_t q_cv;      /* work for the signer */
	pthread_cond_t q_room_cv; /* room in the queue for appenders */
	struct sp_req *q_head, *q_tail;
	size_t q_len;
	struct sp_batch *c_head, *c_tail; /* signed, not yet durable */
	pthread_cond_t c_cv;
	_Atomic uint64_t n_appends, n_syncs; /* own entries made durable; fsyncs */
	_Atomic uint64_t fork_gen;           /* fork evidence records written */
	int stopping;
	int threads_started;
	pthread_t signer, committer;
};

/* sp_store.c */
/* sp_store_log_get: log id with its state loaded (its tiles read at the
 * first call), or NULL: no such log, or its tiles on disk are damaged. */
struct sp_log *sp_store_log_get(struct sp_store *s, uint32_t id);
/* sp_store_log_peek: log id, its tiles perhaps not loaded yet: only its
 * head (size, head hash, time, key) in the snapshot and what its log
 * record holds may be read. NULL: no such log. */
struct sp_log *sp_store_log_peek(struct sp_store *s, uint32_t id);
/* sp_store_find_locked: the id of the log of origin, or -1 (logs_mu held). */
long sp_store_find_locked(struct sp_store *s, const char *origin);
struct sp_snap *sp_snap_from_writer(struct sp_log *l);
struct sp_snap *sp_snap_get(struct sp_log *l);
void sp_snap_put(struct sp_snap *sn);
void sp_snap_publish(struct sp_log *l, struct sp_snap *sn);
int sp_store_tile_emit(void *ctx, unsigned t, uint64_t k, const sp_hash *slots, unsigned width);
int sp_store_save_log(struct sp_store *s, const struct sp_log *l, rocksdb_writebatch_t *wb);

/* sp_store_attach.c */
/* sp_store_attach_mark_drop deletes log id's attachment-scan mark in wb
 * (the log is started again from 0: sp_forkres_restart). */
void sp_store_attach_mark_drop(struct sp_store *s, rocksdb_writebatch_t *wb, uint32_t id);
/* sp_store_add_fork_from is sp_store_add_fork with the peer the evidence
 * came from (NULL: found here); the record keeps the time it was found. */
int sp_store_add_fork_from(struct sp_store *s, struct sp_log *l, rocksdb_writebatch_t *wb,
			   enum sp_fork_kind kind, uint64_t at, const uint8_t *held,
			   size_t held_len, const uint8_t *other, size_t other_len,
			   const char *from);
int sp_store_add_fork(struct sp_store *s, struct sp_log *l, rocksdb_writebatch_t *wb,
		      enum sp_fork_kind kind, uint64_t at, const uint8_t *held, size_t held_len,
		      const uint8_t *other, size_t other_len);
/* sp_store_write writes a batch (fsynced if sync). Every write of the
 * store goes through it, sp_store_commit or sp_store_put, so the one place
 * that chooses the write options (synced or not) is sp_store.c. */
int sp_store_write(struct sp_store *s, rocksdb_writebatch_t *wb, int sync);

/* sp_store_put writes one key of column family cf (fsynced if sync). */
int sp_store_put(struct sp_store *s, enum sp_cf cf, const void *key, size_t klen,
		 const void *val, size_t vlen, int sync);

/* sp_store_commit ends a batch: if rc is 0 it writes wb (fsynced if sync)
 * and returns the write's result, else returns rc unwritten; wb is
 * destroyed either way. */
int sp_store_commit(struct sp_store *s, rocksdb_writebatch_t *wb, int rc, int sync);
/* sp_log_checkpoint_open verifies a checkpoint note with a key of log l's
 * history at position `cur` or later and checks it names l's origin; *j
 * (optional) gets the signer's position. */
int sp_log_checkpoint_open(struct sp_log *l, size_t cur, const char *note, size_t len,
			   struct sp_checkpoint *c, size_t *j);
/* sp_log_keys copies l's key history (under keys_mu). */
void sp_log_keys(struct sp_log *l, struct sp_keyhist *out);
/* sp_log_entry_key: the key position of entry `index`'s author (held). */
int sp_log_entry_key(struct sp_store *s, struct sp_log *l, uint64_t index, size_t *pos);
/* sp_store_checkpoint_sizes lists, ascending, the sizes in [lo, hi) at
 * which log id has a stored checkpoint (at most cap of them): one seek
 * instead of a lookup per entry when a batch is ingested. */
int sp_store_checkpoint_sizes(struct sp_store *s, uint32_t id, uint64_t lo, uint64_t hi,
			      uint64_t *sizes, size_t cap, size_t *n);

/* sp_store_forkres.c: a resolved log's rules, under the log's wmu.
 * covers: evidence of that kind at `at` is about what was resolved.
 * pending: the log holds fewer entries than the resolution names.
 * reached: 0, or SP_ERR_FORK_RESOLVED if the writer state has just reached
 * the resolution's size with another root. checkpoint: what to do with a
 * writer's checkpoint: 1 the usual, 0 drop it unstored (not checkable
 * yet), SP_ERR_FORK_RESOLVED it contradicts the resolution. restart: set
 * aside every entry and start the replica again from 0 (*moved: how
 * many). load: after open, whether the own log is on the other branch.
 * write_log: the log's record alone, synced. */
int sp_forkres_covers(const struct sp_log *l, enum sp_fork_kind kind, uint64_t at);
int sp_forkres_pending(const struct sp_log *l);
int sp_forkres_reached(struct sp_log *l);
int sp_forkres_checkpoint(struct sp_store *s, struct sp_log *l, const struct sp_checkpoint *c);
int sp_forkres_restart(struct sp_store *s, struct sp_log *l, uint64_t *moved);
int sp_forkres_load(struct sp_store *s, struct sp_log *l);
/* sp_forkres_adopt: a replica log being registered takes the resolution
 * kept for its origin, if any (the kept record's deletion goes into wb). */
int sp_forkres_adopt(struct sp_store *s, struct sp_log *l, rocksdb_writebatch_t *wb);
int sp_store_write_log(struct sp_store *s, struct sp_log *l);

/* sp_store_witness.c: drops origin's witness state if it is not on the
 * log's tree (a root that differs at its size, or a size a pending
 * resolved log cannot check yet). */
int sp_store_witness_fit(struct sp_store *s, struct sp_log *l);

/* sp_store_format.c: checks the store's format version at open; migrates
 * an older store forward (a writable open), SP_ERR_STORE_NEWER for a newer
 * one. */
int sp_store_format_open(struct sp_store *s);

/* sp_store_append.c */
int sp_store_pipeline_start(struct sp_store *s);
void sp_store_pipeline_stop(struct sp_store *s);
int sp_store_sign_checkpoint_locked(struct sp_store *s, struct sp_log *l);

#endif

/*
 * sp_peer.h - simpuld's peers: the replication protocol of
 * docs/replication.md (protocol/sp_gossip.h) over nng byte streams.
 *
 * The module listens on [peer] listen, dials every [peer] peers URL (and
 * redials with backoff), authenticates each connection with the node keys
 * (HELLO/AUTH), then exchanges notes, WANTs and ENTRIES so that every log a
 * peer holds and the directory (or, with no directory, [peer] keys)
 * vouches for is copied here, each entry verified by sp_store_insert before
 * it is stored. New entries of any log held are pushed eagerly to the
 * tree neighbours (parent, children) and announced to every peer by notes.
 * docs/replication.md, "Implementation in simpuld", has the details.
 *
 * The checks on a replicated entry, in the order they are made. A refusal
 * stops the batch there (the valid prefix before it is kept); nothing
 * refused is stored, and the sender is penalised (sp_peer_score.h).
 *   1. sp_gossip_decode (protocol/sp_gossip.c): size, strict CBOR, field
 *      types and limits; a checkpoint must be a well-formed note of the
 *      batch's origin (check_checkpoint_form). Signatures are not looked at.
 *   2. the session (sp_peer.c, on_entries): tag and sequence
 *      (sp_gossip_tag_verify); the batch answers a pending WANT or comes
 *      from an eager peer; its log is held here, i.e. its writer key is
 *      vouched for by the directory (or [peer] keys): batches of other
 *      logs are dropped and count against the sender's budget.
 *   3. the verify thread (sp_store_verify, storage/sp_store_ingest.c):
 *      each entry strictly decoded and its Ed25519 signature checked, in
 *      parallel on all cores.
 *   4. the ingest thread (sp_peer_ingest.c, check_batch_checkpoint): the
 *      batch's checkpoint is signed by the log's key and consistent with
 *      the tree held (consistency proof from our size).
 *   5. sp_store_apply (storage/sp_store_ingest.c), in log order under the
 *      log's lock: author = the log's key, index, previous hash and time
 *      order (extend); a different entry at an index already held is kept
 *      as fork evidence and freezes the log (check_held_entry); the Merkle
 *      root must match the writer's signed checkpoint held for that size
 *      (check_held_checkpoint_root).
 *   6. stored; then the checkpoint is stored and cosigned as witness
 *      (sp_peer_checkpoint_put), and the node's stored hook hands the new
 *      entries to the report index.
 * Authority rules are not checked before storing: storage/ knows neither
 * the directory nor reports. An entry its writer was not entitled to make
 * (a directory record outside its delegation, an action by an officer not
 * holding the report) is stored like any correctly signed entry of its
 * log, and is refused when it is read: sp_dir_apply refuses the record
 * when the directory is loaded (counted and logged by sp_dirload.c), and
 * sp_report_compute marks the action invalid in the report's verdicts and
 * skips it. The log stays a faithful copy of what its writer signed.
 *
 * Threads. sp_peer_new, sp_peer_stop and sp_peer_free run on the loop
 * thread, which owns all session state. nng's callbacks (on nng's threads)
 * only move bytes: they hand received frames and connection events to the
 * loop through a locked queue and uv_async_send. sp_peer_notify may be
 * called from any thread.
 *
 * Ownership. The module borrows the loop, store, log, config and
 * directory, which must outlive it; it copies the node's secret key (read
 * from the config's key file) and wipes it in sp_peer_free.
 */
#ifndef SP_PEER_H
#define SP_PEER_H

#include <jansson.h>
#include <uv.h>

#include "sp_cbor.h"
#include "sp_conf.h"
#include "sp_dir.h"
#include "sp_logx.h"
#include "sp_store.h"

struct sp_peer;

/* A replica batch was stored: run holds the entries new to this node
 * (decoded, with their hashes, when the batch was verified ahead; see
 * struct sp_store_run). Called on the ingest thread, in storing order;
 * everything is borrowed for the call. */
typedef void (*sp_peer_stored_fn)(void *arg, const struct sp_store_run *run);

/* A log held fewer entries after a batch than before: a fork resolution
 * set aside what it held (sp_store_fork_resolve), so what was derived from
 * those entries must be forgotten. Called on the ingest thread. */
typedef void (*sp_peer_reset_fn)(void *arg, uint32_t log);

/* Institution inst takes part in a report with entries in log `log`, so
 * it must be offered that log (sp_reports_involved); the generation
 * changes whenever an answer may have. Any thread. */
typedef int (*sp_peer_involved_fn)(void *arg, const char *inst, uint32_t log);
typedef uint64_t (*sp_peer_involved_gen_fn)(void *arg);

struct sp_peer_opts {
	uv_loop_t *loop;
	struct sp_store *store;
	struct sp_logx *log;
	const struct sp_conf *conf; /* [peer], id, federation, data_dir */
	const uint8_t *sk;          /* the node key in use (copied) */
	const uint8_t *prev_sk;     /* the one it replaced (NULL: none), presented ... */
	uint64_t prev_until_ms;     /* ... in HELLO until then (sp_peer_rekey) */
	const struct sp_dir *dir;   /* NULL: trust only [peer] keys */
	sp_peer_stored_fn stored;   /* optional (the node's report index) */
	sp_peer_reset_fn reset;     /* optional, with stored_arg */
	void *stored_arg;
	sp_peer_involved_fn involved;         /* optional: tree rules only */
	sp_peer_involved_gen_fn involved_gen; /* with involved */
	void *involved_arg;
};

/* sp_peer_new starts listening and dialing (nothing if [peer] has neither)
 * and writes the bound listen URL to <data>/simpuld.peer. *out owns the
 * module. Errors (logged): SP_ERR_IO (cannot listen),
 * SP_ERR_NOMEM. */
int sp_peer_new(const struct sp_peer_opts *o, struct sp_peer **out);

/* sp_peer_notify: the store has new entries (own appends); push them
 * soon. Any thread; cheap. NULL is a no-op. */
void sp_peer_notify(struct sp_peer *p);

/* sp_peer_forgive: the coordinator resolved a fork in institution inst's
 * log, so a hold on inst for it ends, and the dialers waiting to redial
 * dial at once (the kept branch may be only there). Any thread. NULL is a
 * no-op. */
void sp_peer_forgive(struct sp_peer *p, const char *inst);

/* After a node signing-key rotation peers keep accepting the previous key
 * in HELLO for this long after the record that published the new one, and
 * the node keeps presenting it: a neighbour whose directory does not have
 * the new key yet still talks to it and takes the record. */
#define SP_PEER_KEY_GRACE_MS (60ull * 60 * 1000)

/* sp_peer_rekey: the node now signs with sk (a rotation): it becomes the
 * peer layer's key for cosignatures at once and for HELLO from
 * prev_until_ms on; until then HELLO presents the key it replaces. Any
 * thread. */
void sp_peer_rekey(struct sp_peer *p, const uint8_t sk[64], uint64_t prev_until_ms);

/* sp_peer_stop closes every connection, the listener and the dialers
 * (waiting for nng's callbacks to finish) and closes the module's libuv
 * handles. Call before closing the store. NULL is a no-op. */
void sp_peer_stop(struct sp_peer *p);

/* sp_peer_free releases the module after sp_peer_stop, once the loop has
 * run the handles' close callbacks (after uv_run returns). NULL: no-op. */
void sp_peer_free(struct sp_peer *p);

/* sp_peer_metrics appends Prometheus lines (sessions, messages, entries
 * received and refused, peers dropped) to out. Any thread. */
void sp_peer_metrics(struct sp_peer *p, struct sp_buf *out);

/* sp_peer_penalties: a new JSON array (caller owns it; NULL on allocation
 * failure) of the peers refused for bad data, with their strikes, hold
 * and last error (sp_peer_score.h). Any thread; NULL p: an empty array. */
json_t *sp_peer_penalties(struct sp_peer *p);

#endif

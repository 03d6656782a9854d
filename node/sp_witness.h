/*
 * sp_witness.h - the node as a transparency log witness.
 *
 * Implements, to the letter, c2sp.org/tlog-witness (the add-checkpoint
 * request) with c2sp.org/tlog-cosignature (cosignature/v1, Ed25519, key
 * type 0x04). The witness key is the node's Ed25519 key; the witness name
 * is the node's origin, so its verifier key is
 * "<origin>+<key id>+<base64(0x04 || public key)>" (the key id is computed
 * with type 0x04, so it differs from the log key's).
 *
 * State: for each origin, the latest checkpoint cosigned (size, root and
 * the signed note), kept in the store (sp_store_witness_*), compared and
 * replaced in one atomic, synced step before a cosignature is returned, so
 * the witness never cosigns two inconsistent checkpoints of a log, nor a
 * smaller one after a larger one, across restarts too.
 *
 * Logs it witnesses: those whose key it knows: the logs the store holds,
 * and, with a directory, every institution's log ("<federation>/<id>",
 * signed by the institution's node key). It also cosigns, on its own, the
 * checkpoints of replicas it stores (sp_witness_replica): it holds their
 * entries, so it checks consistency against its own tree.
 *
 * Threads: every function may be called from any thread.
 */
#ifndef SP_WITNESS_H
#define SP_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "sp_cbor.h"
#include "sp_dir.h"
#include "sp_store.h"

#define SP_WITNESS_MAX_PROOF 63 /* consistency proof lines a request may carry */

struct sp_witness;

struct sp_witness_opts {
	struct sp_store *store;   /* borrowed: state and held logs */
	const struct sp_dir *dir; /* borrowed, may be NULL: more log keys */
	const char *federation;   /* dir origins are "<federation>/<id>" */
	const char *name;         /* witness key name: the node's origin */
	const uint8_t *sk;        /* 64-byte Ed25519 secret key, copied */
};

/* sp_witness_new makes a witness; *out is the caller's (sp_witness_free).
 * SP_ERR_KEY_FORMAT (bad name), SP_ERR_NOMEM. */
int sp_witness_new(const struct sp_witness_opts *o, struct sp_witness **out);

/* sp_witness_free zeroes the key copy and frees w. NULL is a no-op. */
void sp_witness_free(struct sp_witness *w);

/* The witness name (owned by w), and its verifier key (type 0x04) copied
 * into out (SP_WITNESS_VKEY_MAX bytes): it changes with sp_witness_rekey. */
#define SP_WITNESS_VKEY_MAX (SP_NOTE_NAME_MAX + 64)
const char *sp_witness_name(const struct sp_witness *w);
void sp_witness_vkey(struct sp_witness *w, char out[SP_WITNESS_VKEY_MAX]);

/* sp_witness_rekey: cosign with sk (copied) from now on: the node's signing
 * key was rotated, and its witness key is its signing key. Any thread.
 * SP_ERR_KEY_FORMAT, SP_ERR_NOMEM (the key in use stays). */
int sp_witness_rekey(struct sp_witness *w, const uint8_t sk[64]);

/* sp_witness_add_checkpoint handles a tlog-witness add-checkpoint request
 * body[0..len) at time `now` (seconds): on success it appends the
 * cosignature line to out and returns 0. Errors, and their HTTP status:
 *   SP_ERR_NOTE_FORMAT  400  body, checkpoint or old size malformed
 *   SP_ERR_NOT_FOUND    404  unknown origin
 *   SP_ERR_BAD_SIGNATURE 403 no valid signature by the log's key
 *   SP_ERR_STALE        409  old size is not the recorded size, or the
 *                            same size with another root (*known gets the
 *                            recorded size)
 *   SP_ERR_PROOF        422  consistency proof does not verify
 * A refused request changes nothing. */
int sp_witness_add_checkpoint(struct sp_witness *w, const char *body, size_t len, uint64_t now,
			      struct sp_buf *out, uint64_t *known);

/* sp_witness_replica cosigns, as witness (name, sk), the checkpoint note
 * cp[0..len) of replica log id once it is stored (the caller stored it with
 * sp_store_checkpoint_put), if it is consistent with the witness state:
 * the cosignature is added to the stored checkpoint. Nothing happens for
 * the own log, a checkpoint not stored yet or older than the state, or one
 * already cosigned. If the log's tree contradicts the checkpoint last
 * cosigned, both are kept as fork evidence and SP_ERR_INCONSISTENT is
 * returned. */
int sp_witness_replica(struct sp_store *s, const char *name, const uint8_t sk[64], uint32_t id,
		       const char *cp, size_t len, uint64_t now);

#endif

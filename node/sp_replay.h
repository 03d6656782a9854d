/*
 * sp_replay.h - a node service: the signatures of recent signed requests
 * (an officer's request to open a sealed report), each remembered until
 * it expires, so a captured request cannot be used twice. Bounded: when
 * every slot holds a live signature, new requests are refused rather than
 * an old one forgotten. Thread-safe. Also the node's memory of the reports
 * whose failed key grant it has logged (sp_node_grant_failed: a report id,
 * zero-padded, that never expires).
 */
#ifndef SP_REPLAY_H
#define SP_REPLAY_H

#include <stdint.h>

#define SP_REPLAY_SIG_BYTES 64 /* Ed25519 signature */

struct sp_replay;

/* sp_replay_new makes an empty table (*out is the caller's, released with
 * sp_replay_free; NULL is a no-op there). SP_ERR_NOMEM. */
int sp_replay_new(struct sp_replay **out);
void sp_replay_free(struct sp_replay *s);

/* sp_replay_remember records sig until expires_ms: 0, SP_ERR_REPLAY if it
 * is already there (and live at now), SP_ERR_BUSY if every slot holds a
 * live signature. */
int sp_replay_remember(struct sp_replay *s, const uint8_t sig[SP_REPLAY_SIG_BYTES],
		       uint64_t expires_ms, uint64_t now);

#endif

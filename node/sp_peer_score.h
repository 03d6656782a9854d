/*
 * sp_peer_score.h - penalties for peers that send bad data (docs/design.md §4:
 * "rate-limited and reported, never trusted"); docs/replication.md §11.
 *
 * A peer refused for bad data (a malformed or oversized frame, a bad
 * session tag, a protocol violation, entries or a checkpoint that fail
 * their checks) gets a strike against its institution id once it proved
 * its key (a session past AUTH), else against its address (the IP of a
 * connection it opened to us). Each strike holds it
 * off for a period that doubles with every repeat, from [peer] penalty_ms
 * up to [peer] penalty_max_ms; a peer with no offence for penalty_max_ms
 * starts again from the first period. While held off, its HELLOs are
 * answered with ERROR SP_ERR_RATE_LIMITED (that refusal is not a strike).
 * Every peer with a strike is counted in /metrics and listed, with its
 * last error, in GET /v1/status.
 *
 * The table has a fixed size (SP_PEER_SCORE_MAX records): when it is full
 * the record idle the longest is reused, so a flood of addresses costs no
 * memory. It has its own lock: the loop thread writes it, HTTP threads
 * read it.
 */
#ifndef SP_PEER_SCORE_H
#define SP_PEER_SCORE_H

#include <stdint.h>

#include <jansson.h>

#include "sp_cbor.h"

#define SP_PEER_SCORE_MAX 256 /* peers (institutions and addresses) remembered */

struct sp_peer_score;
struct sp_peer_conn;

/* sp_peer_score_new makes an empty table: first hold base_ms (0: never
 * hold anyone; strikes are still counted), doubling up to max_ms. *out is
 * freed with sp_peer_score_free (NULL: no-op). SP_ERR_NOMEM. */
int sp_peer_score_new(uint32_t base_ms, uint32_t max_ms, struct sp_peer_score **out);
void sp_peer_score_free(struct sp_peer_score *s);

/* sp_peer_score_strike records an offence (err, why) at time now against
 * institution inst and address addr (either may be NULL) and returns the
 * hold it starts, ms. */
uint64_t sp_peer_score_strike(struct sp_peer_score *s, const char *inst, const char *addr,
			      int err, const char *why, uint64_t now);

/* sp_peer_score_held: ms left of a hold on inst or addr (either may be
 * NULL), 0 if neither is held; a HELLO refused for it is counted. */
uint64_t sp_peer_score_held(struct sp_peer_score *s, const char *inst, const char *addr,
			    uint64_t now);

/* sp_peer_score_forgive ends institution inst's hold and its run of
 * strikes (the offences stay counted): the coordinator resolved the fork
 * it was held off for. 1 if it was held, else 0. */
int sp_peer_score_forgive(struct sp_peer_score *s, const char *inst, uint64_t now);

/* sp_peer_score_metrics appends the per-peer Prometheus lines to out. */
void sp_peer_score_metrics(struct sp_peer_score *s, uint64_t now, struct sp_buf *out);

/* sp_peer_score_json: a new array (caller owns it), one object per peer:
 * inst or addr, strikes, offences, held, held_ms, hold_ms, refused_hellos,
 * last_error, last_text, last_s_ago. NULL on allocation failure. */
json_t *sp_peer_score_json(struct sp_peer_score *s, uint64_t now);

/* ---- session glue (loop thread) ------------------------------------------------------ */

/* sp_peer_penalise: connection c is being refused for bad data (rc, why):
 * strike its institution if it authenticated, else its address if it
 * dialed us. rc SP_ERR_RATE_LIMITED (the hold's own refusal) is not a
 * strike. */
void sp_peer_penalise(struct sp_peer_conn *c, int rc, const char *why);

/* sp_peer_held_off: c's HELLO came from an institution or address held
 * off: ms left (refuse it with SP_ERR_RATE_LIMITED), or 0. */
uint64_t sp_peer_held_off(struct sp_peer_conn *c);

#endif

/*
 * sp_peer_int.h - what sp_peer's files share: the module, its connections
 * and the byte transport (sp_peer_net.c) under the sessions (sp_peer.c).
 * Not an interface for the rest of the node (that is sp_peer.h).
 *
 * A connection carries frames: a 4-byte big-endian length, then that many
 * bytes (one peer message, with its session tag after AUTH). A length of 0
 * or above SP_GOSSIP_RECV_MAX closes the connection before anything is
 * allocated.
 */
#ifndef SP_PEER_INT_H
#define SP_PEER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <nng/nng.h>
#include <uv.h>

#include "sp_gossip.h"
#include "sp_peer.h"

#define SP_PEER_RXQ_MAX 4            /* frames received, not yet handled, per conn */
#define SP_PEER_TXQ_MAX (4u << 20)   /* bytes queued to send per conn: more = stalled */
#define SP_PEER_TX_LOW (512u << 10)  /* serve more WANTs while below this */
#define SP_PEER_CONNS_MAX 256        /* connections, in and out */
#define SP_PEER_WINDOW 16            /* WANT ranges we keep outstanding per peer */
#define SP_PEER_DEPTH 8              /* ... of which consecutive ranges of one log */
#define SP_PEER_CHUNK0 64            /* entries per range until an answer sizes them */
#define SP_PEER_LANE_JOBS 8          /* batches received, not yet stored, per log */
#define SP_PEER_JOBS_MAX 32          /* ... and in all (each <= SP_GOSSIP_RECV_MAX) */
#define SP_PEER_HANDSHAKE_MS 10000   /* HELLO + AUTH must be done by then */
#define SP_PEER_STALL_MS 20000       /* no send progress, or no answer, for this long */
#define SP_PEER_RESTORE_MS 15000    /* own appends held at most this long at start */
#define SP_PEER_TICK_MS 250          /* gossip round: notes, pushes, timeouts */
#define SP_PEER_FLUSH_MS 20          /* closing: wait this long for a short queue ... */
#define SP_PEER_FLUSH_BYTES 4096     /* ... of at most this many bytes (the ERROR) */
#define SP_PEER_USELESS_BURST (16u << 20) /* bytes that serve nothing a peer may send at once */
#define SP_PEER_USELESS_RATE (1u << 20)   /* ... and per second after that */
#define SP_PEER_BACKOFF_MIN_MS 100
#define SP_PEER_BACKOFF_MAX_MS 30000
#define SP_PEER_ATT_FLIGHT 8         /* attachment chunks asked for, in all */
#define SP_PEER_ATT_PER_PEER 2       /* ... of one peer */
#define SP_PEER_ATT_SERVE_MAX 4      /* ATTACH_WANTs a peer may have queued here */
#define SP_PEER_ATT_WANTED_MAX 4096  /* attachments referenced, not held, tracked */

/* An owned, sorted note set (origins and checkpoints malloc'ed). */
struct sp_peer_nset {
	size_t n, cap;
	struct sp_gossip_note *v;
};

enum sp_peer_state { SP_PEER_HELLO = 0, SP_PEER_AUTH, SP_PEER_READY };

struct sp_peer_frame {
	struct sp_peer_frame *next;
	size_t len; /* 4 + message */
	uint8_t data[];
};

/* An attachment a stored entry references and this node lacks, as the
 * entry describes it (sp_peer_attach.c). */
struct sp_peer_att_ref {
	uint32_t log;            /* the log of the entry */
	uint8_t hash[SP_HASH_BYTES];
	uint64_t size;
	char type[SP_ATTACH_TYPE_MAX + 1];
	unsigned flags;          /* SP_ATTACH_SEALED: a rahasia report's file */
};

/* A connection's attachment traffic (loop thread). */
struct sp_peer_att_conn {
	unsigned asked;          /* our ATTACH_WANTs on it, unanswered */
	unsigned qhead, qn;      /* its ATTACH_WANTs, not yet served */
	struct sp_gossip_attach_want q[SP_PEER_ATT_SERVE_MAX];
};

struct sp_peer_want_q {
	unsigned head, n;
	struct sp_gossip_pending v[SP_GOSSIP_WINDOW_MAX];
};

struct sp_peer_conn {
	struct sp_peer *p;
	atomic_int refs;        /* the loop's list, and each queued event */
	nng_stream *st;
	nng_aio *rx_aio, *tx_aio;
	int dead;               /* loop thread: closed, waiting for its refs */
	int slot;               /* dial slot, or -1 if accepted */
	char addr[80];

	/* nng's receive callback only */
	uint8_t rx_hdr[4];
	uint8_t *rx_buf;
	size_t rx_len, rx_got;

	pthread_mutex_t mu;     /* guards the fields below */
	int closed, down_posted, rx_paused, tx_busy, tx_wait;
	unsigned rx_queued;
	struct sp_peer_frame *tx_head, *tx_tail;
	size_t tx_bytes, tx_off;
	uint64_t tx_progress_ms;

	/* session: loop thread only */
	enum sp_peer_state state;
	uint64_t t_start_ms, t_answer_ms;
	struct sp_gossip_hello ours, theirs;
	char their_fed[SP_GOSSIP_FED_MAX + 1], their_inst[SP_INST_ID_MAX + 1];
	uint8_t kx_sk[32], rx_key[32], tx_key[32];
	uint64_t seq_rx, seq_tx;
	int eager;              /* a tree neighbour: push entries to it */
	uint64_t useless_left;  /* token bucket, bytes: traffic that serves nothing (sp_peer.c) */
	uint64_t useless_ms;    /* ... refilled up to this time */
	struct sp_gossip_session plan;
	struct sp_peer_nset peer_notes, sent_notes;
	struct sp_peer_want_q wants; /* ranges the peer asked, not yet served */
	struct sp_peer_att_conn att;
	/* which of our logs are in the peer's interest set (sp_peer_offer.c),
	 * by position in p->ours, and what that was computed from */
	uint8_t *offer;
	size_t offer_n, offer_peer_n;
	uint64_t offer_gen;
	/* the institutions the peer, a province, backs (sp_topo.h): it is
	 * offered what they are; read from the directory once per session */
	char (*backs)[SP_INST_ID_MAX + 1];
	size_t nbacks;
	int backs_read;
	struct sp_peer_nset cos_sent; /* sp_peer_fork.c: COSIGN sizes sent, per log */
	int ev_sent;            /* sp_peer_fork.c: evidence sent at fork gen ev_gen */
	uint64_t ev_gen;
	struct sp_peer_conn *next;
};

struct sp_peer_dial {
	struct sp_peer *p;
	char url[SP_CONF_URL_MAX + 1];
	nng_stream_dialer *d;
	nng_aio *aio;
	uv_timer_t timer;
	unsigned backoff_ms;
	int busy;               /* a dial or a connection is under way */
	int known;              /* peer_key: who answered here last time */
	int tried;              /* a dial failed or a session got the full notes */
	uint8_t peer_key[32];
};

enum sp_peer_ev_type {
	SP_PEER_EV_CONN,
	SP_PEER_EV_MSG,
	SP_PEER_EV_DOWN,
	SP_PEER_EV_WRITABLE,
	SP_PEER_EV_INGESTED
};

/* One received ENTRIES batch on its way to the store (sp_peer_ingest.c).
 * Made on the loop, verified on the verify thread, stored on the ingest
 * thread, handed back to the loop. */
struct sp_peer_job {
	struct sp_peer_job *next;
	struct sp_peer_conn *c;  /* the sender (holds a ref) */
	uint32_t id;             /* the log */
	int unsolicited;         /* an eager push, not an answer */
	uint8_t *buf;            /* the frame, owned; m borrows it */
	struct sp_gossip_msg m;  /* ENTRIES, owned (sp_gossip_msg_free) */
	struct sp_peer_ev *ev;   /* allocated with the job: how it comes back */
	struct sp_store_batch *batch; /* verified by the verify thread (owned), or NULL */
	/* results, set by the ingest thread */
	int rc;                  /* 0, or what makes the sender hostile */
	const char *why;         /* with rc: which check failed */
	size_t acc;              /* new entries stored */
	int fork, cp_fork;       /* evidence kept, log frozen */
	struct sp_peer_att_ref *att; /* attachments the new entries name, not held (owned) */
	size_t natt;
};

/* A log's batches in the pipeline (loop thread). */
struct sp_peer_lane {
	unsigned jobs;           /* queued or being stored */
	uint64_t next;           /* the log's size once they are stored */
};

struct sp_peer_ev {
	enum sp_peer_ev_type type;
	struct sp_peer_conn *c;  /* MSG, DOWN, WRITABLE (holds a ref) */
	nng_stream *st;          /* CONN: the new stream (NULL: a dial failed) */
	int slot;                /* CONN: dial slot or -1 */
	int err;                 /* CONN, DOWN: nng error */
	uint8_t *buf;            /* MSG, owned */
	size_t len;
	struct sp_peer_job *job; /* INGESTED, owned */
	struct sp_peer_ev *next;
};

struct sp_peer_stats {
	atomic_uint_least64_t sessions, refused, dropped, msgs_in, msgs_out, entries_in,
		entries_bad, bytes_in, bytes_out;
	atomic_int_least64_t live; /* authenticated sessions open now */
};

struct sp_peer {
	uv_loop_t *loop;
	struct sp_store *store;
	struct sp_logx *log;
	const struct sp_conf *conf;
	const struct sp_dir *dir;
	sp_peer_stored_fn stored; /* ingest thread: a batch was stored */
	sp_peer_reset_fn reset;   /* ingest thread: a log's entries were set aside */
	atomic_int redial;        /* sp_peer_forgive: idle dialers dial at the next round */
	void *stored_arg;
	sp_peer_involved_fn involved;
	sp_peer_involved_gen_fn involved_gen;
	void *involved_arg;
	/* the node key (cosignatures, and the HELLO key), and after a rotation
	 * the one it replaced, still presented in HELLO until prev_until_ms so
	 * that peers whose directory lacks the new key yet can take the record
	 * from us (sp_peer_rekey); under key_mu */
	pthread_mutex_t key_mu;
	uint8_t pk[32], sk[64];
	uint8_t prev_pk[32], prev_sk[64];
	uint64_t prev_until_ms;
	char origin[SP_ORIGIN_MAX + 1];
	uint32_t own_id;
	int has_own;
	int restoring;           /* own appends held until peers said our size */
	uint64_t restore_t0, own_target; /* since; largest own size a peer holds */

	uv_async_t async;        /* events queued, or notify */
	uv_timer_t tick;
	pthread_mutex_t ev_mu;
	struct sp_peer_ev *ev_head, *ev_tail;
	int stopping;            /* under ev_mu: drop new events */
	atomic_int dirty;        /* logs grew: push and announce */

	nng_stream_listener *listener;
	nng_aio *accept_aio;
	struct sp_peer_dial *dials;
	size_t ndials;
	struct sp_peer_conn *conns;
	unsigned nconns;
	struct sp_peer_nset ours; /* every log held, rebuilt each round */
	struct sp_peer_stats st;
	struct sp_peer_score *score; /* penalties (sp_peer_score.c) */

	/* ingest pipeline (sp_peer_ingest.c) */
	pthread_t ing_thread, ver_thread;
	int ing_started, ver_started;
	pthread_mutex_t ing_mu;  /* guards both queues and ing_stop */
	pthread_cond_t ing_cv, ver_cv;
	struct sp_peer_job *ver_head, *ver_tail; /* to verify */
	struct sp_peer_job *ing_head, *ing_tail; /* verified, to store */
	int ing_stop;
	struct sp_peer_lane *lanes; /* by log id: loop thread only */
	size_t nlanes;
	unsigned njobs;          /* jobs in the pipeline: loop thread only */

	struct sp_peer_attach *att; /* attachments wanted and in flight (sp_peer_attach.c) */
};

/* ---- sp_peer_net.c: transport --------------------------------------------------- */

/* Start listening and dialing; stop everything (blocking on nng). */
int sp_peer_net_start(struct sp_peer *p);
void sp_peer_net_stop(struct sp_peer *p);

/* sp_peer_net_conn makes a connection for a new stream and starts reading
 * (loop thread). NULL on allocation failure (the stream is freed). */
struct sp_peer_conn *sp_peer_net_conn(struct sp_peer *p, nng_stream *st, int slot);

/* sp_peer_net_send queues one frame (a copy of msg and tag). SP_ERR_BUSY
 * if that would pass SP_PEER_TXQ_MAX (the peer is not reading),
 * SP_ERR_CLOSED if the connection is closing. */
int sp_peer_net_send(struct sp_peer_conn *c, const uint8_t *msg, size_t len, const uint8_t *tag,
		     size_t tag_len);

/* sp_peer_net_stalled: bytes wait to be sent and none went out for
 * limit_ms. */
int sp_peer_net_stalled(struct sp_peer_conn *c, uint64_t now, uint64_t limit_ms);

/* sp_peer_ev_free frees an event and what it holds (stream, buffer, job,
 * ref). */
void sp_peer_ev_free(struct sp_peer_ev *e);

/* sp_peer_net_post_job hands a finished job back to the loop (any thread;
 * takes ownership; a stopping module frees it). */
void sp_peer_net_post_job(struct sp_peer *p, struct sp_peer_job *j);

/* sp_peer_net_queued: bytes waiting to be sent; sets tx_wait so that a
 * WRITABLE event comes when the queue drains below SP_PEER_TX_LOW. */
size_t sp_peer_net_queued(struct sp_peer_conn *c, int want_writable);

/* sp_peer_net_consumed: one received frame was handled (resumes reading). */
void sp_peer_net_consumed(struct sp_peer_conn *c);

/* sp_peer_net_close closes a connection (loop thread; idempotent): no more
 * callbacks after it returns. The conn is freed when its last ref goes. */
void sp_peer_net_close(struct sp_peer_conn *c);
void sp_peer_net_unref(struct sp_peer_conn *c);

/* sp_peer_net_redial schedules the dial slot's next attempt with backoff
 * (reset: after a session that worked, start from the minimum again). */
void sp_peer_net_redial(struct sp_peer *p, int slot, int reset);

/* sp_peer_net_take_events takes the queued events (loop thread). */
struct sp_peer_ev *sp_peer_net_take_events(struct sp_peer *p);

/* ---- sp_peer_ingest.c: the ingest pipeline -------------------------------------------- */

/* Start the ingest thread; stop it (joining: the store is unused after),
 * dropping queued jobs; free the lanes after sp_peer_ingest_stop. */
int sp_peer_ingest_start(struct sp_peer *p);
void sp_peer_ingest_stop(struct sp_peer *p);
void sp_peer_ingest_free(struct sp_peer *p);

/* sp_peer_ingest_queue (loop thread) queues job j (taking ownership) for
 * the ingest thread; durable is the log's stored size now. */
int sp_peer_ingest_queue(struct sp_peer *p, struct sp_peer_job *j, uint64_t durable);
void sp_peer_job_free(struct sp_peer_job *j);

/* Lanes (loop thread): the size log id will have once its queued batches
 * are stored (durable if none); whether it may take no more; one job of it
 * came back. */
uint64_t sp_peer_lane_size(struct sp_peer *p, uint32_t id, uint64_t durable);
int sp_peer_lane_full(struct sp_peer *p, uint32_t id);
void sp_peer_lane_done(struct sp_peer *p, uint32_t id);

/* sp_peer_checkpoint_put verifies and stores a replica's checkpoint once we
 * hold the entries it covers (before that: 0, nothing stored), and cosigns
 * it as witness (sp_witness_replica: node key, name = our origin); the
 * served checkpoint then carries our cosignature line. Both ENTRIES
 * (ingest thread) and NOTES (loop) store checkpoints through here.
 * SP_ERR_INCONSISTENT: it contradicts the log or the checkpoint we cosigned
 * last (evidence kept, log frozen).
 * Any thread. */
int sp_peer_checkpoint_put(struct sp_peer *p, uint32_t id, const char *cp, size_t len);

/* ---- sp_peer_attach.c: attachments travel with the entries --------------------------- */

/* sp_peer_attach_start sets up p->att and starts a thread that finds, in
 * every log held, the attachments entries name that the store lacks, and
 * hands them to the loop as a job with no connection (on_ingested passes
 * it to sp_peer_attach_found). sp_peer_attach_stop ends and joins that
 * thread (before the store closes); sp_peer_attach_free releases p->att. */
int sp_peer_attach_start(struct sp_peer *p);
void sp_peer_attach_stop(struct sp_peer *p);
void sp_peer_attach_free(struct sp_peer *p);

/* sp_peer_attach_collect (ingest thread) lists in j->att the attachments
 * that the entries of run, just stored from j's batch, name and the store
 * lacks. */
void sp_peer_attach_collect(struct sp_peer *p, struct sp_peer_job *j,
			    const struct sp_store_run *run);

/* sp_peer_attach_found (loop) wants refs v[0..n), first from c (the peer
 * that sent the entries; NULL: none), and asks for them. */
void sp_peer_attach_found(struct sp_peer *p, struct sp_peer_conn *c,
			  const struct sp_peer_att_ref *v, size_t n);

/* Messages, the send queue draining, a session closing, a round. */
void sp_peer_attach_on_want(struct sp_peer_conn *c, const struct sp_gossip_attach_want *w);
void sp_peer_attach_on_chunk(struct sp_peer_conn *c, const struct sp_gossip_attach *a);
void sp_peer_attach_serve(struct sp_peer_conn *c);
void sp_peer_attach_conn_down(struct sp_peer_conn *c);
void sp_peer_attach_round(struct sp_peer *p, uint64_t now);
void sp_peer_attach_metrics(struct sp_peer *p, struct sp_buf *out);

/* sp_peer.c's senders, for the files beside it: send a message (tagged);
 * tell the peer why, strike it (bad data) and drop it; drop it without a
 * strike (a slow peer). */
int sp_peer_send(struct sp_peer_conn *c, const struct sp_gossip_msg *m);
void sp_peer_refuse(struct sp_peer_conn *c, int rc, const char *why);
void sp_peer_drop(struct sp_peer_conn *c, int rc, const char *why);
/* ---- sp_peer_offer.c: interest sets ------------------------------------------------ */

/* sp_peer_offer_view gives our notes of the logs in connection c's
 * interest set (docs/design.md §4), borrowing p->ours' strings, in a new array
 * (*n of them; caller frees; NULL on allocation failure). */
struct sp_gossip_note *sp_peer_offer_view(struct sp_peer_conn *c, size_t *n);

/* ---- sp_peer_fork.c: fork evidence and cosignatures between peers -------------------- */

/* sp_peer_fork_round (loop, each round, for a session that is up): sends
 * the evidence we hold of the logs the peer replicates once its full
 * notes are in and again whenever new evidence was stored, and, as
 * witness, COSIGN for each of those logs whose latest checkpoint we
 * cosigned and have not sent it yet. */
void sp_peer_fork_round(struct sp_peer_conn *c);

/* sp_peer_fork_on_evidence / _on_cosign take EVIDENCE and COSIGN: checked
 * on their own (the log's key, our tree, the witness's session key); good
 * ones are stored, bad ones refuse the peer and store nothing. */
void sp_peer_fork_on_evidence(struct sp_peer_conn *c, const struct sp_gossip_evidence *v);
void sp_peer_fork_on_cosign(struct sp_peer_conn *c, const struct sp_gossip_cosign *m);

/* ---- sp_peer_nset.c: note sets ------------------------------------------------------ */

void sp_peer_nset_free(struct sp_peer_nset *s);
/* Index of origin, or -1. */
long sp_peer_nset_find(const struct sp_peer_nset *s, const char *origin, size_t len);
/* Insert or replace (size, checkpoint): copies the strings. */
int sp_peer_nset_set(struct sp_peer_nset *s, const char *origin, size_t len, uint64_t size,
		     const char *cp, size_t cp_len);
/* dst = copy of src. */
int sp_peer_nset_copy(struct sp_peer_nset *dst, const struct sp_peer_nset *src);

#endif

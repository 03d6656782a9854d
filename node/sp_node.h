/*
 * sp_node.h - the simpuld node: its lifecycle and what API handlers may
 * use of it.
 *
 * A node is one libuv loop (the main thread) that owns: the config, the
 * event log, the store (own log "<federation>/<id>" signed with the node
 * key, plus replicas), the HTTP server, a checkpoint timer and the signal
 * handlers. sp_node_run does everything from reading the key to the clean
 * exit:
 *
 *   SIGTERM, SIGINT  stop accepting, let requests in flight finish, sign a
 *                    final checkpoint, close the store, exit 0
 *   SIGHUP           re-read the config; apply log level and rate limits;
 *                    log what changed and what needs a restart
 *
 * HTTP handlers run on the server's threads. They may call the functions
 * below (all thread-safe) and the store's (thread-safe too); to run
 * something on the loop thread, they use sp_node_defer.
 *
 * node/ is in layers; a file calls only its own layer and those below:
 *
 *   simpuld.c      main: options, the event log, sp_node_run
 *   sp_node.c      the lifecycle (sp_node_run): builds every part, adds
 *                  the API's route tables, runs the timers; called by
 *                  simpuld.c only
 *   sp_api_*.c     the HTTP API: JSON in, calls, JSON out (sp_api.h)
 *   services       what a request or a timer asks the node to do:
 *                  sp_submit (take in a report), sp_act (take in an
 *                  action), sp_attach_svc (what may be attached; a
 *                  report's files checked or sealed), sp_open (open a
 *                  sealed report), sp_escalate (missed deadlines),
 *                  sp_replay (signed requests answered once)
 *   sp_node_core.c the running node's parts and own-log appends (this
 *                  header's "for API handlers" half)
 *   modules        sp_reports (report index), sp_peer* (replication),
 *                  sp_witness, sp_resolve, sp_dirload, sp_http (server),
 *                  sp_conf, sp_logx, sp_rate: none knows struct sp_node
 *   below node/    storage/, protocol/, common/
 */
#ifndef SP_NODE_H
#define SP_NODE_H

#include <stdint.h>

#include "sp_conf.h"
#include "sp_http.h"
#include "sp_logx.h"
#include "sp_store.h"

#ifndef SIMPUL_VERSION
#define SIMPUL_VERSION "unknown"
#endif

struct sp_node;
struct sp_resolve_ctx;

struct sp_node_opts {
	const char *conf_path;    /* config file; NULL: the built-in default */
	const char *dir;          /* with the default: folder for its relative paths */
	const char *http_listen;  /* overrides [http] listen (NULL: no) */
	const char *log_level;    /* overrides [node] log_level (NULL: no) */
	int create_key;           /* create the key file if missing (default mode) */
	int index_op;             /* instead of running: enum sp_node_index_op */
};

/* Offline work on a stopped node's report index (simpul index). */
enum sp_node_index_op {
	SP_NODE_RUN,
	SP_NODE_INDEX_REBUILD, /* rebuild it from the logs */
	SP_NODE_INDEX_VERIFY,  /* check every value's checksum and the logs' marks */
};

/* sp_node_run (sp_node.c) reads the config and runs a node until a stop signal (or,
 * with o->index_op, opens its store and directory, does that and stops).
 * Returns the process exit code: 0 after a clean stop, 1 if it could not
 * start or the index operation failed (the reason is logged to log). */
int sp_node_run(const struct sp_node_opts *o, struct sp_logx *log);

/* ---- for API handlers and services (sp_node_core.c) ----------------------- */

struct sp_dirload;
struct sp_reports;
struct sp_admin_svc;

/* sp_node_admin: the administration service (sp_admin_svc.h). */
struct sp_admin_svc *sp_node_admin(struct sp_node *n);

/* sp_node_web: the assembled Lapor page (sp_api.h). */
struct sp_web_cache;
struct sp_web_cache *sp_node_web(struct sp_node *n);

/* sp_node_dash: the dashboard's cache of figures (sp_dash.h). */
struct sp_dash_cache;
struct sp_dash_cache *sp_node_dash(struct sp_node *n);

/* sp_node_dir_grow applies the directory log's new entries (the admin API
 * on the coordinator's node, whose directory log is its own, after an
 * append; the ingest thread elsewhere); *added gets how many. A year's
 * calendar among them makes the report index recompute the deadlines
 * reaching into that year (sp_reports_recompute). Serialised by the
 * caller. */
int sp_node_dir_grow(struct sp_node *n, uint64_t *added);

struct sp_store *sp_node_store(struct sp_node *n);
struct sp_logx *sp_node_log(struct sp_node *n);
/* sp_node_resolve: what applies fork resolutions to the store (sp_resolve.h). */
const struct sp_resolve_ctx *sp_node_resolve(struct sp_node *n);

/* The config as loaded at start (reloads change only the log level and
 * rate limits, which handlers do not read). */
const struct sp_conf *sp_node_conf(struct sp_node *n);

/* sp_node_admitted: 1 if the node may write to its own log (the directory
 * holds its institution with its key, or it has no directory); 0 while a
 * joining node waits for its record ([federation] await_record). */
int sp_node_admitted(struct sp_node *n);

/* sp_node_origin: the own log's origin. sp_node_vkey copies the verifier
 * key in use (a signing-key rotation replaces it while handlers run) into
 * out, cut to cap bytes. Any thread. */
const char *sp_node_origin(struct sp_node *n);
void sp_node_vkey(struct sp_node *n, char *out, size_t cap);

/* sp_node_key_ready: 1 if the node can sign with pk once the directory
 * publishes it: it is the key in use, or the [node] key configured to
 * replace it (waiting for its record), else 0. Any thread. */
int sp_node_key_ready(struct sp_node *n, const uint8_t pk[32]);

/* sp_node_dir: the federation directory (sp_dirload.h), unchanging while
 * the node runs; sp_node_reports: the report index (sp_reports.h). */
const struct sp_dirload *sp_node_dir(struct sp_node *n);
struct sp_reports *sp_node_reports(struct sp_node *n);

/* sp_node_replay: recent open requests, answered once (sp_replay.h). */
struct sp_replay;
struct sp_replay *sp_node_replay(struct sp_node *n);

/* sp_node_grant_failed counts a key grant for report id that failed (the
 * simpul_key_grant_failures_total metric) and says whether it is the
 * first failure for that report since the node started: 1 (log it) or 0
 * (logged already, or the bounded memory of such reports, 2,048, is
 * full: the metric still counts), so a report the coordinator's node
 * cannot re-seal is logged once, not at every deadline pass. Any thread. */
int sp_node_grant_failed(struct sp_node *n, const uint8_t id[32]);

/* sp_node_witness: the node's witness (sp_witness.h). */
struct sp_witness;
struct sp_witness *sp_node_witness(struct sp_node *n);

/* sp_node_peer: the replication module (NULL before it starts). */
struct sp_peer *sp_node_peer(struct sp_node *n);

/* sp_node_uptime_ms: milliseconds since the node started. */
uint64_t sp_node_uptime_ms(struct sp_node *n);

/* sp_node_find_log finds the log an URL names by its institution id:
 * origin "<federation>/<inst>". SP_ERR_NOT_FOUND. */
int sp_node_find_log(struct sp_node *n, const char *inst, uint32_t *id);

/* sp_node_own_log: the own log's id and (size not NULL) its durable size.
 * The store's errors. */
int sp_node_own_log(struct sp_node *n, uint32_t *id, uint64_t *size);

/* sp_node_defer runs fn(n, arg) on the loop thread soon. From any thread.
 * SP_ERR_CLOSED once the node is stopping (fn is then not called). */
typedef void (*sp_node_fn)(struct sp_node *n, void *arg);
int sp_node_defer(struct sp_node *n, sp_node_fn fn, void *arg);

/* sp_node_append_async appends to the own log like sp_store_append_async
 * (cb runs on the store's commit thread once the entry is durable or
 * failed) and counts it in the metrics. */
int sp_node_append_async(struct sp_node *n, uint64_t type, const uint8_t *body, size_t len,
			 sp_append_cb cb, void *arg);

/* sp_node_append_indexed is sp_node_append_async for a report entry
 * (submission, action, escalation): once it is durable it is added to the
 * report index before cb runs (cb's err then includes the index's). On a
 * failure after it was queued, claim (a report id taken with
 * sp_reports_pending; NULL: none) is released. A queueing error is
 * returned and releases nothing. */
int sp_node_append_indexed(struct sp_node *n, uint64_t type, const uint8_t *body, size_t len,
			   const uint8_t *claim, sp_append_cb cb, void *arg);

/* sp_node_checkpoint_sign signs a checkpoint of the own log now (blocking:
 * call it off the loop thread, e.g. in uv work) and counts it. */
int sp_node_checkpoint_sign(struct sp_node *n);

/* sp_node_metrics appends the node's Prometheus metrics (uptime, appends,
 * checkpoints, log sizes, disk bytes, HTTP) to out. */
void sp_node_metrics(struct sp_node *n, struct sp_buf *out);

/* sp_node_queue_work runs work(arg) on libuv's thread pool and then
 * after(arg, status) on the loop thread. Loop thread only. */
int sp_node_queue_work(struct sp_node *n, void (*work)(void *arg),
		       void (*after)(void *arg, int status), void *arg);

#endif

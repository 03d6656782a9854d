/*
 * sp_node_int.h - the node's state, shared by sp_node.c (its lifecycle)
 * and sp_node_core.c (what handlers and services use of it). Nothing
 * else includes this: the rest of node/ goes through sp_node.h.
 */
#ifndef SP_NODE_INT_H
#define SP_NODE_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <uv.h>

#include "sp_node.h"
#include "sp_resolve.h"

struct defer_item {
	sp_node_fn fn;
	void *arg;
	struct defer_item *next;
};

struct sp_node {
	const struct sp_node_opts *o;
	struct sp_conf conf;          /* as loaded at start: read by handlers */
	enum sp_logx_level level;     /* live values (SIGHUP), loop thread only */
	uint32_t rate_limit, rate_burst;
	struct sp_logx *log;
	uv_loop_t loop;
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t cp_timer, drain_timer;
	uv_async_t wake;
	pthread_mutex_t defer_mu;
	struct defer_item *defer_head, *defer_tail;
	int closed;                   /* guarded by defer_mu: no more defers */
	int stopping, cp_busy, cp_rc;
	int cp_last_rc; /* the previous tick's result: log changes only */
	uint64_t drain_deadline;
	struct sp_store *store;
	struct sp_http *http;
	struct sp_webhook *hook;        /* NULL: no [webhooks] url */
	struct sp_dirload *dl;        /* the directory (read-only once started) */
	struct sp_reports *reports;   /* report index, derived from the logs */
	struct sp_indexer *indexer;   /* own appends -> reports, off the commit thread */
	struct sp_replay *replay;     /* recent open requests (sp_replay.h) */
	struct sp_replay *grant_warned; /* reports whose key grant failure was logged */
	struct sp_admin_svc *admin;   /* admin request nonces, calendar (sp_admin_svc.c) */
	struct sp_dash_cache *dash;   /* the dashboard's recent figures (sp_dash.h) */
	struct sp_web_cache *web;     /* the assembled Lapor page (sp_api.h) */
	struct sp_witness *witness;   /* tlog witness (sp_witness.h) */
	struct sp_peer *peer;         /* replication with other nodes (sp_peer.h) */
	struct sp_ctl *ctl;           /* control socket: hot backups (sp_ctl.h) */
	struct sp_resolve_ctx resolve; /* fork resolutions -> store (sp_resolve.h) */
	uv_timer_t esc_timer;         /* overdue reports -> escalation entries */
	int esc_busy;
	char origin[SP_ORIGIN_MAX + 1];
	/* the signing key (sp_node_key.c), under key_mu: the one in use, the
	 * one it replaced (for the peers' grace), the one waiting to be
	 * published (a rotation) */
	pthread_mutex_t key_mu;
	char vkey[SP_ORIGIN_MAX + 128];
	uint8_t own_pk[32];           /* the public half of sign_sk */
	uint8_t sign_sk[64], prev_sk[64], next_sk[64];
	int has_prev, has_next;
	char addr_path[PATH_MAX];
	uint64_t t0_ms;
	atomic_uint_least64_t appends_ok, appends_err, checkpoints;
	atomic_uint_least64_t escalations; /* own escalation entries made durable */
	atomic_uint_least64_t grant_failures; /* key grants that failed (sp_node_grant_failed) */
};

/* sp_node_key.c. sp_node_key_use sets the keys at start (prev_sk and
 * next_sk may be NULL). sp_node_keys_sync extends every held log's key
 * history to the directory's. sp_node_rekey switches the own log, the peers
 * and the witness to the waiting key once the directory publishes it
 * (logged; 0 if there is none or it is not published). sp_node_key_reload
 * (SIGHUP) reads [node] key and makes it the waiting key if it is another.
 * sp_node_own_pk copies the key in use. Any thread. */
void sp_node_key_use(struct sp_node *n, const uint8_t sk[64], const uint8_t *prev_sk,
		     const uint8_t *next_sk);
int sp_node_keys_sync(struct sp_node *n);
int sp_node_rekey(struct sp_node *n);
int sp_node_key_reload(struct sp_node *n, const struct sp_conf *c);
void sp_node_own_pk(struct sp_node *n, uint8_t pk[32]);

#endif

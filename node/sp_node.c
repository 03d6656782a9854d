/*
 * sp_node.c - the node's lifecycle on a libuv loop: start-up, signals,
 * the checkpoint and escalation timers, reload and the clean stop (see
 * sp_node.h). The one file that wires every layer together (it creates
 * the services and adds the HTTP API's route tables); nothing calls into
 * it but simpuld.c. What handlers and services use of a running node is
 * in sp_node_core.c.
 */
#include "sp_node.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#include "sp_admin_svc.h"
#include "sp_api.h"
#include "sp_ctl.h"
#include "sp_dash.h"
#include "sp_escalate.h"
#include "sp_webhook.h"
#include "sp_node_int.h"
#include "sp_replay.h"
#include "sp_dirload.h"
#include "sp_indexer.h"
#include "sp_err.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_peer.h"
#include "sp_reports.h"
#include "sp_resolve.h"
#include "sp_store_index.h"
#include "sp_witness.h"
#include "sp_clock.h"

/* The API tables every node serves; a new API file adds its line here. */
static const struct sp_http_route *const api_tables[] = {
	sp_api_tiles_routes,
	sp_api_status_routes,
	sp_api_reports_routes,
	sp_api_attach_routes,
	sp_api_sealed_routes,
	sp_api_witness_routes,
	sp_api_forks_routes,
	sp_api_web_routes,
	sp_api_track_routes,
	sp_api_open311_routes,
	sp_api_admin_routes,
	sp_api_dash_routes,
	NULL,
};

#define DRAIN_POLL_MS 20

/* ---- config ---------------------------------------------------------------------- */

/* load_conf reads the config named by the options and applies the command
 * line's overrides; used at start and on SIGHUP. */
static int load_conf(const struct sp_node_opts *o, struct sp_conf *c, char *why, size_t cap)
{
	int rc = o->conf_path ? sp_conf_load(c, o->conf_path, why, cap)
			      : sp_conf_load_default(c, o->dir ? o->dir : ".", why, cap);
	if (rc)
		return rc;
	if (o->http_listen) {
		char host[64];
		uint16_t port;
		if (strlen(o->http_listen) >= sizeof(c->http_listen) ||
		    sp_conf_parse_listen(o->http_listen, host, sizeof(host), &port)) {
			snprintf(why, cap, "--http '%s' is not a numeric address and port",
				 o->http_listen);
			return SP_ERR_CONFIG;
		}
		strcpy(c->http_listen, o->http_listen);
	}
	if (o->log_level && sp_logx_level_parse(o->log_level, &c->log_level)) {
		snprintf(why, cap, "--log-level '%s' is not debug, info, warn or error",
			 o->log_level);
		return SP_ERR_CONFIG;
	}
	return 0;
}

/* restart_needed names the first setting that differs and that only a
 * restart applies, or returns NULL. */
static const char *restart_needed(const struct sp_conf *a, const struct sp_conf *b)
{
	if (strcmp(a->id, b->id) || strcmp(a->federation, b->federation))
		return "[node] id/federation";
	if (strcmp(a->data_dir, b->data_dir)) /* [node] key is reloaded: a rotation */
		return "[node] data";
	if (strcmp(a->http_listen, b->http_listen) || a->max_body_bytes != b->max_body_bytes ||
	    a->max_connections != b->max_connections || a->max_per_address != b->max_per_address ||
	    a->request_timeout_s != b->request_timeout_s ||
	    a->header_timeout_s != b->header_timeout_s || a->threads != b->threads ||
	    strcmp(a->http_tls_cert, b->http_tls_cert) || strcmp(a->http_tls_key, b->http_tls_key))
		return "[http] listen/max_body_bytes/max_connections(_per_address)/"
		       "request_timeout_s/header_timeout_s/threads/tls_cert/tls_key";
	if (strcmp(a->peer_listen, b->peer_listen) || a->npeers != b->npeers ||
	    memcmp(a->peers, b->peers, sizeof(a->peers)))
		return "[peer]";
	if (a->has_root_key != b->has_root_key ||
	    (a->has_root_key && memcmp(a->root_key.pk, b->root_key.pk, 32)))
		return "[federation] root_key";
	if (a->verify_days != b->verify_days || a->answer_days != b->answer_days ||
	    a->window_days != b->window_days || a->ceiling_days != b->ceiling_days)
		return "[deadlines]";
	if (a->checkpoint_ms != b->checkpoint_ms)
		return "[checkpoint] interval_ms";
	return NULL;
}

static void reload(struct sp_node *n)
{
	struct sp_conf c;
	char why[SP_CONF_WHY];
	if (load_conf(n->o, &c, why, sizeof(why)) != 0) {
		sp_logx(n->log, SP_LOGX_ERROR, "node", "reload failed, keeping the running config: %s",
			why);
		return;
	}
	n->level = c.log_level;
	n->rate_limit = c.rate_limit;
	n->rate_burst = c.rate_burst;
	sp_logx_set_level(n->log, c.log_level);
	sp_http_set_limits(n->http, c.rate_limit, c.rate_burst);
	sp_logx(n->log, SP_LOGX_INFO, "node", "reloaded log_level=%s rate_limit=%u rate_burst=%u",
		sp_logx_level_name(c.log_level), c.rate_limit, c.rate_burst);
	sp_node_key_reload(n, &c);
	if (n->dl && sp_dirload_seal_reload(n->dl, &c, n->log) != 0)
		sp_logx(n->log, SP_LOGX_ERROR, "node",
			"seal keys not reloaded: the keys in use stay (see the line above)");
	const char *what = restart_needed(&n->conf, &c);
	if (what)
		sp_logx(n->log, SP_LOGX_WARN, "node", "changes to %s take effect after a restart",
			what);
}

/* ---- deferred work and the thread pool -------------------------------------------------- */

static void run_deferred(struct sp_node *n)
{
	pthread_mutex_lock(&n->defer_mu);
	struct defer_item *it = n->defer_head;
	n->defer_head = n->defer_tail = NULL;
	pthread_mutex_unlock(&n->defer_mu);
	while (it) {
		struct defer_item *next = it->next;
		it->fn(n, it->arg);
		free(it);
		it = next;
	}
}

static void on_wake(uv_async_t *a)
{
	run_deferred(a->data);
}

/* ---- timers -------------------------------------------------------------------------- */

static void cp_work(void *arg)
{
	struct sp_node *n = arg;
	n->cp_rc = sp_node_checkpoint_sign(n);
}

static void cp_after(void *arg, int status)
{
	struct sp_node *n = arg;
	n->cp_busy = 0;
	/* While a restored node catches up its own log (SP_ERR_STALE) this is
	 * expected on every tick: one line when it starts, not ten a second. */
	int again = n->cp_rc == n->cp_last_rc;
	n->cp_last_rc = n->cp_rc;
	if (n->cp_rc && !again)
		sp_logx(n->log, SP_LOGX_WARN, "store", "checkpoint not signed err=%s",
			sp_errname(n->cp_rc));
}

/* on_cp_timer signs the checkpoint off the loop thread (an fsynced write),
 * so entries appended after the store's last re-sign get one too. */
static void on_cp_timer(uv_timer_t *t)
{
	struct sp_node *n = t->data;
	if (n->cp_busy || n->stopping)
		return;
	n->cp_busy = 1;
	if (sp_node_queue_work(n, cp_work, cp_after, n) != 0)
		n->cp_busy = 0;
}

/* feed_prune: without webhooks the index's change feed has no reader, so
 * what it holds is dropped at each escalation pass. With webhooks the
 * webhook prunes what it has read (sp_webhook.c); the config, not n->hook,
 * decides, as this pass may run before the webhook has started. */
static void feed_prune(struct sp_node *n)
{
	struct sp_reports *r = sp_node_reports(n);
	int rc = sp_webhook_wanted(&n->conf)
			 ? 0
			 : sp_reports_changes_prune(r, sp_reports_change_end(r), NULL);
	if (rc && rc != SP_ERR_BUSY)
		sp_logx(n->log, SP_LOGX_WARN, "reports", "change feed prune failed err=%s",
			sp_errname(rc));
}

static void esc_work(void *arg)
{
	sp_escalate_run(arg);
	sp_admin_svc_calendar_warn(arg);
	feed_prune(arg);
}

static void esc_after(void *arg, int status)
{
	struct sp_node *n = arg;
	n->esc_busy = 0;
}

/* on_esc_timer looks for missed deadlines off the loop thread. */
static void on_esc_timer(uv_timer_t *t)
{
	struct sp_node *n = t->data;
	if (n->esc_busy || n->stopping)
		return;
	n->esc_busy = 1;
	if (sp_node_queue_work(n, esc_work, esc_after, n) != 0)
		n->esc_busy = 0;
}

/* ---- stopping -------------------------------------------------------------------------- */

static void close_handle(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* finish runs once requests are done: no more HTTP, a last checkpoint,
 * the store closed, every handle closed so uv_run returns. */
static void finish(struct sp_node *n)
{
	unsigned left = sp_http_inflight(n->http);
	if (left)
		sp_logx(n->log, SP_LOGX_WARN, "http", "stopping with requests in flight n=%u", left);
	sp_http_free(n->http);
	n->http = NULL;
	pthread_mutex_lock(&n->defer_mu);
	n->closed = 1;
	pthread_mutex_unlock(&n->defer_mu);
	run_deferred(n);
	int rc = sp_node_checkpoint_sign(n);
	struct sp_log_info info = {0};
	uint32_t id;
	if (sp_store_own_log(n->store, &id) == 0)
		sp_store_log_info(n->store, id, &info);
	sp_webhook_stop(n->hook);
	n->hook = NULL;
	sp_ctl_close(n->ctl);
	sp_peer_stop(n->peer);
	sp_indexer_stop(n->indexer); /* appends still in flight index inline */
	sp_store_close(n->store);
	n->store = NULL;
	sp_indexer_free(n->indexer);
	n->indexer = NULL;
	sp_reports_free(n->reports);
	n->reports = NULL;
	unlink(n->addr_path);
	if (rc)
		sp_logx(n->log, SP_LOGX_WARN, "store", "final checkpoint not signed err=%s",
			sp_errname(rc));
	sp_logx(n->log, SP_LOGX_INFO, "node", "stopped origin=%s size=%llu", n->origin,
		(unsigned long long)info.size);
	uv_walk(&n->loop, close_handle, NULL);
}

static void on_drain(uv_timer_t *t)
{
	struct sp_node *n = t->data;
	int timed_out = sp_mono_ms() > n->drain_deadline;
	if (n->esc_busy || sp_ctl_busy(n->ctl))
		return; /* the store stays open for them */
	if ((sp_http_inflight(n->http) == 0 && !n->cp_busy) || (timed_out && !n->cp_busy))
		finish(n);
}

static void stop(struct sp_node *n, const char *why)
{
	if (n->stopping) {
		sp_logx(n->log, SP_LOGX_INFO, "node", "already stopping signal=%s", why);
		return;
	}
	n->stopping = 1;
	sp_logx(n->log, SP_LOGX_INFO, "node", "stopping signal=%s inflight=%u", why,
		sp_http_inflight(n->http));
	sp_http_quiesce(n->http);
	uv_timer_stop(&n->cp_timer);
	uv_timer_stop(&n->esc_timer);
	n->drain_deadline = sp_mono_ms() + (uint64_t)n->conf.request_timeout_s * 1000 + 5000;
	uv_timer_start(&n->drain_timer, on_drain, 0, DRAIN_POLL_MS);
}

/* notify tells systemd (Type=notify: NOTIFY_SOCKET set) the node's state;
 * without a supervisor listening it does nothing. */
static void notify(struct sp_node *n, const char *state)
{
	int rc = sd_notify(0, state);
	if (rc < 0)
		sp_logx(n->log, SP_LOGX_WARN, "node", "sd_notify failed state=%s errno=%d", state,
			-rc);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct sp_node *n = s->data;
	if (signum == SIGHUP) {
		notify(n, "RELOADING=1");
		reload(n);
		notify(n, "READY=1");
	} else {
		if (!n->stopping)
			notify(n, "STOPPING=1");
		stop(n, signum == SIGTERM ? "TERM" : "INT");
	}
}

/* ---- starting ------------------------------------------------------------------------ */

/* start_error logs that a start-up step failed on the value of [section]
 * key (whose place in the config it names) and returns rc. */
static int start_error(struct sp_node *n, const char *section, const char *key, const char *value,
		       const char *what, int rc)
{
	char w[PATH_MAX + 64];
	sp_logx(n->log, SP_LOGX_ERROR, section, "%s = %s: %s err=%s",
		sp_conf_where(&n->conf, section, key, w, sizeof(w)), value, what, sp_errname(rc));
	return rc;
}

/* load_key reads the node key, creating it first in default mode. */
static int load_key(struct sp_node *n, uint8_t pk[32], uint8_t sk[64])
{
	char why[SP_KEYFILE_WHY];
	struct stat st;
	if (n->o->create_key && stat(n->conf.key_path, &st) != 0 && errno == ENOENT) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", n->conf.key_path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = '\0';
		int rc = slash && slash != dir ? sp_mkdirs(dir, 0700) : 0;
		if (rc == 0)
			rc = sp_keyfile_generate(n->conf.key_path, pk, sk, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "cannot create the key's folder");
		if (rc == 0)
			sp_logx(n->log, SP_LOGX_INFO, "node", "created key file=%s (back it up)",
				n->conf.key_path);
		else
			sp_logx(n->log, SP_LOGX_ERROR, "node", "%s = %s: cannot create key: %s",
				sp_conf_where(&n->conf, "node", "key", dir, sizeof(dir)),
				n->conf.key_path, why);
		return rc;
	}
	char w[PATH_MAX + 64];
	int rc = sp_keyfile_load(n->conf.key_path, pk, sk, why, sizeof(why));
	if (rc)
		sp_logx(n->log, SP_LOGX_ERROR, "node", "%s = %s: cannot use key file: %s",
			sp_conf_where(&n->conf, "node", "key", w, sizeof(w)), n->conf.key_path,
			why);
	return rc;
}

/* load_prev reads [node] key_previous (the key a rotation replaces). */
static int load_prev(struct sp_node *n, uint8_t sk[64])
{
	char why[SP_KEYFILE_WHY], w[PATH_MAX + 64];
	uint8_t pk[32];
	int rc = sp_keyfile_load(n->conf.key_prev, pk, sk, why, sizeof(why));
	if (rc)
		sp_logx(n->log, SP_LOGX_ERROR, "node", "%s = %s: cannot use key file: %s",
			sp_conf_where(&n->conf, "node", "key_previous", w, sizeof(w)),
			n->conf.key_prev, why);
	return rc;
}

/* open_with opens the store at path signing with sk. With a rotation
 * waiting ([node] key not yet in the own log's key history, [node]
 * key_previous set) it opens with the previous key and keeps [node] key
 * waiting for its publication (sp_node_rekey). */
static int open_with(struct sp_node *n, const char *path, uint8_t sk[64])
{
	uint8_t prev[64];
	int has_prev = n->conf.key_prev[0] && load_prev(n, prev) == 0;
	struct sp_store_opts so = {.own_origin = n->origin, .own_sk = sk,
				   .checkpoint_ms = n->conf.checkpoint_ms};
	int rc = sp_store_open(path, &so, &n->store);
	if (rc == SP_ERR_ARG && has_prev) {
		so.own_sk = prev;
		rc = sp_store_open(path, &so, &n->store);
		if (rc == 0) {
			sp_node_key_use(n, prev, NULL, sk);
			sp_logx(n->log, SP_LOGX_INFO, "node",
				"signing with [node] key_previous until the directory publishes "
				"[node] key");
		}
	} else if (rc == 0) {
		sp_node_key_use(n, sk, has_prev ? prev : NULL, NULL);
	}
	sodium_memzero(prev, sizeof(prev));
	return rc;
}

static int open_store(struct sp_node *n)
{
	uint8_t pk[32], sk[64];
	int rc = load_key(n, pk, sk);
	if (rc)
		return rc;
	char path[PATH_MAX], w[PATH_MAX + 64];
	struct stat st;
	if (stat(n->conf.data_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		sp_logx(n->log, SP_LOGX_ERROR, "store", "%s = %s: not a folder",
			sp_conf_where(&n->conf, "node", "data", w, sizeof(w)), n->conf.data_dir);
		return SP_ERR_CONFIG;
	}
	if (snprintf(path, sizeof(path), "%s/store", n->conf.data_dir) >= (int)sizeof(path))
		rc = SP_ERR_RANGE;
	else
		rc = sp_mkdirs(n->conf.data_dir, 0700);
	if (rc == 0)
		rc = open_with(n, path, sk);
	sodium_memzero(sk, sizeof(sk));
	if (rc) {
		sp_logx(n->log, SP_LOGX_ERROR, "store", "%s = %s: cannot open store path=%s err=%s: %s%s",
			sp_conf_where(&n->conf, "node", "data", w, sizeof(w)), n->conf.data_dir,
			path, sp_errname(rc), sp_strerror(rc),
			rc == SP_ERR_BUSY ? " (is another simpuld running on it?)" : "");
		if (rc == SP_ERR_STORE_NEWER)
			sp_logx(n->log, SP_LOGX_ERROR, "store",
				"this release (%s) reads store formats up to %u; see docs/operations.md, "
				"\"Upgrade\"", SIMPUL_VERSION, SP_STORE_FORMAT);
		return rc;
	}
	unsigned found = sp_store_format_found(n->store);
	if (found && found < SP_STORE_FORMAT)
		sp_logx(n->log, SP_LOGX_INFO, "store", "store format %u migrated to %u path=%s",
			found, SP_STORE_FORMAT, path);
	/* A fresh log gets its first checkpoint now, so it is servable. */
	rc = sp_node_checkpoint_sign(n);
	if (rc && rc != SP_ERR_STALE)
		sp_logx(n->log, SP_LOGX_WARN, "store", "checkpoint not signed err=%s",
			sp_errname(rc));
	return 0;
}

/* forgive: a fork in inst's log was resolved; the peers may hold it off no
 * longer (none yet at start). */
static void forgive(void *arg, const char *inst)
{
	struct sp_node *n = arg;
	sp_peer_forgive(n->peer, inst);
}

/* start_reports loads the directory and the report index (rebuilt from
 * the logs for simpul index rebuild). */
static int start_reports(struct sp_node *n)
{
	int rc = sp_dirload_open(&n->conf, n->store, n->log, &n->dl);
	struct sp_reports_opts ro = {
		.store = n->store,
		.dir = n->dl ? n->dl->dir : NULL,
		.cal = n->dl ? &n->dl->cal : NULL,
		.policy = {n->conf.verify_days, n->conf.answer_days, n->conf.window_days,
			   n->conf.ceiling_days},
		.log = n->log,
	};
	struct timespec t0, t1;
	int rebuilt = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (rc == 0)
		rc = sp_reports_new(&ro, &n->reports);
	if (rc == 0)
		rc = sp_replay_new(&n->replay);
	if (rc == 0)
		rc = sp_replay_new(&n->grant_warned);
	if (rc == 0)
		rc = sp_admin_svc_new(&n->admin);
	if (rc == 0)
		rc = sp_dash_cache_new(&n->dash);
	if (rc == 0)
		rc = sp_api_web_cache_new(&n->web);
	if (rc == 0 && n->o->index_op == SP_NODE_INDEX_REBUILD) {
		rebuilt = 1;
		rc = sp_reports_rebuild(n->reports);
	} else if (rc == 0) {
		rc = sp_reports_load(n->reports, &rebuilt);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		rc = sp_indexer_start(n->reports, &n->indexer);
	n->resolve = (struct sp_resolve_ctx){n->store,  n->dl ? n->dl->dir : NULL,
					     n->reports, n->log,
					     n->conf.federation, forgive,
					     n};
	if (rc == 0 && n->dl && n->dl->has_log) /* before any peer talks to us */
		rc = sp_resolve_log(&n->resolve, n->dl->log_id);
	if (rc)
		sp_logx(n->log, SP_LOGX_ERROR, "reports", "cannot start: %s", sp_errname(rc));
	else
		sp_logx(n->log, SP_LOGX_INFO, "reports", "index %s reports=%zu ms=%lld",
			rebuilt ? "rebuilt" : "loaded", sp_reports_count(n->reports),
			(long long)((t1.tv_sec - t0.tv_sec) * 1000 +
				    (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return rc;
}

/* start_witness makes the node's witness (sp_witness.h): the signing key
 * in use, name = the node's origin. */
static int start_witness(struct sp_node *n)
{
	uint8_t sk[64];
	const struct sp_conf *c = sp_node_conf(n);
	const struct sp_dirload *dl = sp_node_dir(n);
	pthread_mutex_lock(&n->key_mu);
	memcpy(sk, n->sign_sk, 64);
	pthread_mutex_unlock(&n->key_mu);
	struct sp_witness_opts o = {
		.store = sp_node_store(n),
		.dir = dl ? dl->dir : NULL,
		.federation = c->federation,
		.name = sp_node_origin(n),
		.sk = sk,
	};
	int rc = sp_witness_new(&o, &n->witness);
	sodium_memzero(sk, sizeof(sk));
	if (rc)
		sp_logx(sp_node_log(n), SP_LOGX_ERROR, "witness", "cannot start err=%s",
			sp_errname(rc));
	return rc;
}

/* read_pem reads a PEM file named by [http] tls_cert or tls_key as a
 * NUL-terminated text into out (caller frees). */
static int read_pem(struct sp_node *n, const char *what, const char *path, struct sp_buf *out)
{
	sp_buf_init(out);
	int rc = sp_file_read(path, 1u << 20, out);
	if (rc == 0)
		sp_buf_put(out, "", 1);
	if (rc == 0 && out->err)
		rc = out->err;
	if (rc == 0 && strstr((const char *)out->p, "-----BEGIN ") == NULL)
		rc = SP_ERR_CONFIG;
	if (rc)
		sp_logx(sp_node_log(n), SP_LOGX_ERROR, "http", "cannot use [http] %s %s: %s", what,
			path, rc == SP_ERR_CONFIG ? "not a PEM file" : sp_strerror(rc));
	return rc;
}

/* tls_pems loads the HTTPS certificate and key, if configured, into cert
 * and key (both freed by the caller; the key wiped). */
static int tls_pems(struct sp_node *n, struct sp_buf *cert, struct sp_buf *key)
{
	sp_buf_init(cert);
	sp_buf_init(key);
	if (!n->conf.http_tls_cert[0])
		return 0;
	if (!sp_http_tls_supported()) {
		sp_logx(sp_node_log(n), SP_LOGX_ERROR, "http",
			"[http] tls_cert is set but this libmicrohttpd has no TLS support");
		return SP_ERR_CONFIG;
	}
	int rc = read_pem(n, "tls_cert", n->conf.http_tls_cert, cert);
	if (rc == 0)
		rc = read_pem(n, "tls_key", n->conf.http_tls_key, key);
	return rc;
}

static int start_http(struct sp_node *n)
{
	struct sp_buf cert, key;
	int rc = tls_pems(n, &cert, &key);
	struct sp_http_opts ho = {
		.listen = n->conf.http_listen,
		.max_body_bytes = n->conf.max_body_bytes,
		.max_connections = n->conf.max_connections,
		.timeout_s = n->conf.request_timeout_s,
		.max_per_address = n->conf.max_per_address,
		.head_timeout_s = n->conf.header_timeout_s,
		.threads = n->conf.threads,
		.rate_limit = n->conf.rate_limit,
		.rate_burst = n->conf.rate_burst,
		.tls_cert_pem = cert.len ? (const char *)cert.p : NULL,
		.tls_key_pem = key.len ? (const char *)key.p : NULL,
		.log = n->log,
	};
	if (rc == 0)
		rc = sp_http_new(&ho, &n->http);
	if (key.p)
		sodium_memzero(key.p, key.cap);
	sp_buf_free(&key);
	sp_buf_free(&cert);
	for (int i = 0; rc == 0 && api_tables[i]; i++)
		rc = sp_http_add_routes(n->http, api_tables[i], n);
	if (rc == 0)
		rc = sp_http_start(n->http);
	if (rc)
		return start_error(n, "http", "listen", n->conf.http_listen, "cannot serve HTTP there",
				   rc);
	char addr[80], line[96];
	sp_http_addr(n->http, addr, sizeof(addr));
	snprintf(line, sizeof(line), "%s\n", addr);
	/* Written after binding, atomically: whoever reads it can connect. */
	if (snprintf(n->addr_path, sizeof(n->addr_path), "%s/simpuld.addr", n->conf.data_dir) >=
	    (int)sizeof(n->addr_path))
		rc = SP_ERR_RANGE;
	else
		rc = sp_file_replace(n->addr_path, line, strlen(line));
	if (rc)
		sp_logx(n->log, SP_LOGX_ERROR, "node", "cannot write %s", n->addr_path);
	else
		sp_logx(n->log, SP_LOGX_INFO, "http", "listening addr=%s threads=%u", addr,
			n->conf.threads);
	return rc;
}

/* on_stored (peer ingest thread): a replica batch is stored; reports,
 * actions and escalations in it reach the index at once; the coordinator's
 * fork resolutions reach the store (sp_resolve.h), and other directory
 * records the directory (sp_node_dir_grow: the directory locks itself; a
 * year's calendar published moves the deadlines that reach into it; the
 * index follows changed parents). */
static void on_stored(void *arg, const struct sp_store_run *run)
{
	struct sp_node *n = arg;
	int rc = sp_reports_add_entries(n->reports, run);
	if (rc)
		sp_logx(n->log, SP_LOGX_WARN, "reports", "replica entries not indexed log=%u err=%s",
			run->log, sp_errname(rc));
	if (n->dl && n->dl->has_log && run->log == n->dl->log_id &&
	    (rc = sp_node_dir_grow(n, NULL)) != 0)
		sp_logx(n->log, SP_LOGX_ERROR, "dir", "directory records not applied err=%s",
			sp_errname(rc));
	if (n->dl && n->dl->has_log && run->log == n->dl->log_id &&
	    (rc = sp_resolve_entries(&n->resolve, run->entries, run->lens, run->n)) != 0)
		sp_logx(n->log, SP_LOGX_ERROR, "fork", "fork resolution not applied err=%s",
			sp_errname(rc));
}

/* on_reset (peer ingest thread): a pending fork resolution set a log's
 * entries aside; the reports they recorded leave the index. */
static void on_reset(void *arg, uint32_t log)
{
	struct sp_node *n = arg;
	int rc = sp_reports_rebuild(n->reports);
	sp_logx(n->log, rc ? SP_LOGX_ERROR : SP_LOGX_WARN, "fork",
		"log %u set aside (fork resolution): report index rebuilt err=%s", log,
		sp_errname(rc));
}

/* The report index says which logs an institution exchanged reports in:
 * the peer module offers them to its node (interest sets, docs/design.md §4). */
static int involved(void *arg, const char *inst, uint32_t log)
{
	return sp_reports_involved(arg, inst, log);
}

static uint64_t involved_gen(void *arg)
{
	return sp_reports_involved_gen(arg);
}

/* start_peer listens for and dials peers ([peer]), trusting the keys the
 * directory vouches for (or [peer] keys on a node without one). */
static int start_peer(struct sp_node *n)
{
	uint8_t sk[64], prev[64];
	struct sp_keyhist h;
	uint64_t until = 0;
	pthread_mutex_lock(&n->key_mu);
	memcpy(sk, n->sign_sk, 64);
	memcpy(prev, n->prev_sk, 64);
	int has_prev = n->has_prev;
	pthread_mutex_unlock(&n->key_mu);
	/* rotated lately: HELLO still presents the previous key (sp_peer_rekey) */
	if (has_prev && n->dl && n->dl->dir && sp_dir_keyhist(n->dl->dir, n->conf.id, &h) == 0 &&
	    h.n >= 2 && memcmp(h.pk[h.n - 2], prev + 32, 32) == 0)
		until = h.from_ms[h.n - 1] + SP_PEER_KEY_GRACE_MS;
	struct sp_peer_opts po = {
		.sk = sk,
		.prev_sk = until ? prev : NULL,
		.prev_until_ms = until,
		.loop = &n->loop,
		.store = n->store,
		.log = n->log,
		.conf = &n->conf,
		.dir = n->dl ? n->dl->dir : NULL,
		.stored = on_stored,
		.reset = on_reset,
		.stored_arg = n,
		.involved = involved,
		.involved_gen = involved_gen,
		.involved_arg = n->reports,
	};
	int rc = sp_peer_new(&po, &n->peer);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(prev, sizeof(prev));
	return rc ? start_error(n, "peer", "listen", n->conf.peer_listen, "cannot start peering", rc)
		  : 0;
}

/* start_ctl opens the control socket; a node without one still serves
 * (only hot backups are missing), so a failure is a warning. */
static void start_ctl(struct sp_node *n)
{
	struct sp_ctl_opts co = {
		.loop = &n->loop,
		.store = n->store,
		.log = n->log,
		.data_dir = n->conf.data_dir,
		.key_path = n->conf.key_path,
		.conf_path = n->o->conf_path,
		.seal_path = n->conf.seal_path,
	};
	int rc = sp_ctl_start(&co, &n->ctl);
	if (rc)
		sp_logx(n->log, SP_LOGX_WARN, "ctl",
			"no control socket in %s err=%s: simpul backup cannot reach this node",
			n->conf.data_dir, sp_errname(rc));
}

static int start_loop(struct sp_node *n)
{
	int rc = uv_loop_init(&n->loop);
	if (rc)
		return SP_ERR_INTERNAL;
	uv_async_init(&n->loop, &n->wake, on_wake);
	uv_signal_init(&n->loop, &n->sig_term);
	uv_signal_init(&n->loop, &n->sig_int);
	uv_signal_init(&n->loop, &n->sig_hup);
	uv_timer_init(&n->loop, &n->cp_timer);
	uv_timer_init(&n->loop, &n->drain_timer);
	uv_timer_init(&n->loop, &n->esc_timer);
	n->esc_timer.data = n;
	uv_timer_start(&n->esc_timer, on_esc_timer, (uint64_t)n->conf.escalate_s * 1000,
		       (uint64_t)n->conf.escalate_s * 1000);
	n->wake.data = n->sig_term.data = n->sig_int.data = n->sig_hup.data = n;
	n->cp_timer.data = n->drain_timer.data = n;
	uv_signal_start(&n->sig_term, on_signal, SIGTERM);
	uv_signal_start(&n->sig_int, on_signal, SIGINT);
	uv_signal_start(&n->sig_hup, on_signal, SIGHUP);
	uv_timer_start(&n->cp_timer, on_cp_timer, n->conf.checkpoint_ms, n->conf.checkpoint_ms);
	return 0;
}

/* open_copy opens the store copy at path with the key the node signs
 * with: [node] key_previous while a rotation waits for its record ([node]
 * key is not in the own log's history yet, so a store would refuse it). */
static int open_copy(struct sp_node *n, const char *path, struct sp_store **out)
{
	uint8_t sk[64];
	pthread_mutex_lock(&n->key_mu);
	memcpy(sk, n->sign_sk, sizeof(sk));
	pthread_mutex_unlock(&n->key_mu);
	struct sp_store_opts so = {.own_origin = n->origin, .own_sk = sk,
				   .checkpoint_ms = n->conf.checkpoint_ms};
	int rc = sp_store_open(path, &so, out);
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

/* index_verify (simpul index verify) checks every value of the kept report
 * index, loads it as a start would, and compares it with one rebuilt from
 * the logs in a scratch copy of the store (<data>/index-verify.tmp). */
static int index_verify(struct sp_node *n)
{
	uint64_t checked = 0, bad = 0;
	char tmp[PATH_MAX], why[512] = "";
	struct sp_store *copy = NULL;
	int rc = sp_store_ix_verify(n->store, &checked, &bad);
	sp_logx(n->log, rc ? SP_LOGX_ERROR : SP_LOGX_INFO, "reports",
		"index checksums values=%llu bad=%llu err=%s", (unsigned long long)checked,
		(unsigned long long)bad, sp_errname(rc));
	if (rc == 0)
		rc = start_reports(n);
	if (snprintf(tmp, sizeof(tmp), "%s/index-verify.tmp", n->conf.data_dir) >= (int)sizeof(tmp))
		rc = rc ? rc : SP_ERR_RANGE;
	if (rc == 0)
		rc = sp_rmtree(tmp);
	if (rc == 0)
		rc = sp_store_backup(n->store, tmp);
	if (rc == 0)
		rc = open_copy(n, tmp, &copy);
	if (rc == 0)
		rc = sp_reports_verify(n->reports, copy, why, sizeof(why));
	sp_store_close(copy);
	sp_rmtree(tmp);
	sp_logx(n->log, rc ? SP_LOGX_ERROR : SP_LOGX_INFO, "reports", "index verify err=%s: %s",
		sp_errname(rc), why);
	return rc;
}

static int node_start(struct sp_node *n)
{
	char why[SP_CONF_WHY];
	if (load_conf(n->o, &n->conf, why, sizeof(why)) != 0) {
		sp_logx(n->log, SP_LOGX_ERROR, "conf", "%s", why);
		return SP_ERR_CONFIG;
	}
	n->level = n->conf.log_level;
	n->rate_limit = n->conf.rate_limit;
	n->rate_burst = n->conf.rate_burst;
	sp_logx_set_level(n->log, n->conf.log_level);
	sp_conf_origin(&n->conf, n->origin, sizeof(n->origin));
	sp_logx(n->log, SP_LOGX_INFO, "node", "starting version=%s origin=%s config=%s data=%s",
		SIMPUL_VERSION, n->origin, n->o->conf_path ? n->o->conf_path : "(built-in)",
		n->conf.data_dir);
	if (!n->conf.has_root_key)
		sp_logx(n->log, SP_LOGX_WARN, "node",
			"no [federation] root_key: standalone node, trusting no coordinator");
	int rc = open_store(n);
	if (rc == 0 && n->o->index_op == SP_NODE_INDEX_VERIFY)
		return index_verify(n);
	if (rc == 0)
		rc = start_reports(n);
	if (rc == 0 && !n->o->index_op) {
		sp_node_keys_sync(n);
		rc = sp_node_rekey(n); /* a rotation published while the node was down */
	}
	if (rc || n->o->index_op)
		return rc;
	if (rc == 0)
		rc = start_witness(n);
	if (rc == 0)
		rc = start_loop(n);
	if (rc == 0)
		rc = start_http(n);
	if (rc == 0)
		rc = start_peer(n);
	if (rc == 0)
		rc = sp_webhook_start(&n->conf, n, n->log, &n->hook);
	if (rc == 0)
		start_ctl(n);
	if (rc == 0) {
		struct sp_log_info info = {0};
		uint32_t id;
		char vkey[sizeof(n->vkey)];
		if (sp_store_own_log(n->store, &id) == 0)
			sp_store_log_info(n->store, id, &info);
		sp_node_vkey(n, vkey, sizeof(vkey));
		sp_logx(n->log, SP_LOGX_INFO, "node", "ready origin=%s size=%llu logs=%u vkey=%s",
			n->origin, (unsigned long long)info.size, sp_store_log_count(n->store), vkey);
		notify(n, "READY=1"); /* serving: systemd's Type=notify starts dependants now */
	}
	return rc;
}

int sp_node_run(const struct sp_node_opts *o, struct sp_logx *log)
{
	struct sp_node *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return 1;
	n->o = o;
	n->log = log;
	n->t0_ms = sp_mono_ms();
	pthread_mutex_init(&n->defer_mu, NULL);
	pthread_mutex_init(&n->key_mu, NULL);
	int loop_up = 0;
	int rc = node_start(n);
	loop_up = n->wake.loop != NULL;
	if (n->o->index_op) {
		sp_indexer_stop(n->indexer);
		sp_store_close(n->store);
	} else if (rc == 0) {
		uv_run(&n->loop, UV_RUN_DEFAULT);
	} else {
		sp_http_free(n->http);
		sp_webhook_stop(n->hook);
		sp_ctl_close(n->ctl);
		sp_peer_stop(n->peer);
		sp_indexer_stop(n->indexer);
		sp_store_close(n->store);
		if (loop_up) {
			uv_walk(&n->loop, close_handle, NULL);
			uv_run(&n->loop, UV_RUN_DEFAULT);
		}
	}
	if (loop_up)
		uv_loop_close(&n->loop);
	sp_indexer_free(n->indexer);
	sp_reports_free(n->reports);
	sp_replay_free(n->replay);
	sp_replay_free(n->grant_warned);
	sp_admin_svc_free(n->admin);
	sp_dash_cache_free(n->dash);
	sp_api_web_cache_free(n->web);
	sp_witness_free(n->witness);
	sp_dirload_free(n->dl);
	sp_peer_free(n->peer);
	sp_ctl_free(n->ctl);
	pthread_mutex_destroy(&n->defer_mu);
	pthread_mutex_destroy(&n->key_mu);
	sodium_memzero(n->sign_sk, sizeof(n->sign_sk));
	sodium_memzero(n->prev_sk, sizeof(n->prev_sk));
	sodium_memzero(n->next_sk, sizeof(n->next_sk));
	free(n);
	return rc ? 1 : 0;
}

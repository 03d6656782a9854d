/*
 * sp_node_core.c - what HTTP handlers and node services use of a running
 * node (sp_node.h): its parts, deferred work, the thread pool, own-log
 * appends and checkpoints, metrics. It calls nothing above it: the
 * lifecycle that builds the node is sp_node.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "sp_err.h"
#include "sp_admin_svc.h"
#include "sp_clock.h"
#include "sp_dash.h"
#include "sp_dirload.h"
#include "sp_indexer.h"
#include "sp_node_int.h"
#include "sp_peer.h"
#include "sp_replay.h"
#include "sp_reports.h"

/* ---- accessors ------------------------------------------------------------------- */

struct sp_store *sp_node_store(struct sp_node *n) { return n->store; }
struct sp_logx *sp_node_log(struct sp_node *n) { return n->log; }
const struct sp_resolve_ctx *sp_node_resolve(struct sp_node *n) { return &n->resolve; }
const struct sp_conf *sp_node_conf(struct sp_node *n) { return &n->conf; }
const char *sp_node_origin(struct sp_node *n) { return n->origin; }
uint64_t sp_node_uptime_ms(struct sp_node *n) { return sp_mono_ms() - n->t0_ms; }
const struct sp_dirload *sp_node_dir(struct sp_node *n) { return n->dl; }
struct sp_reports *sp_node_reports(struct sp_node *n) { return n->reports; }
struct sp_replay *sp_node_replay(struct sp_node *n) { return n->replay; }
struct sp_admin_svc *sp_node_admin(struct sp_node *n) { return n->admin; }
struct sp_dash_cache *sp_node_dash(struct sp_node *n) { return n->dash; }
struct sp_web_cache *sp_node_web(struct sp_node *n) { return n->web; }

int sp_node_grant_failed(struct sp_node *n, const uint8_t id[32])
{
	uint8_t key[SP_REPLAY_SIG_BYTES] = {0}; /* the report id, zero-padded */
	memcpy(key, id, 32);
	atomic_fetch_add(&n->grant_failures, 1);
	/* remembered for the process's lifetime: it never expires */
	return sp_replay_remember(n->grant_warned, key, UINT64_MAX, 0) == 0;
}

/* calendar_published: a year's calendar arrived; the deadlines recorded
 * in the index that reach into it were counted without its holidays. */
static void calendar_published(struct sp_node *n, uint32_t year)
{
	int64_t day;
	size_t count = 0;
	uint64_t now = sp_now_ms();
	int rc = sp_cal_ymd_to_day(year * 10000 + 101, &day);
	if (rc == 0)
		rc = sp_reports_recompute(n->reports, sp_cal_day_start_ms(day), now, &count);
	sp_logx(n->log, rc ? SP_LOGX_WARN : SP_LOGX_INFO, "calendar",
		"calendar %u published: deadlines recomputed=%zu%s%s", year, count,
		rc ? " err=" : "", rc ? sp_errname(rc) : "");
}

int sp_node_dir_grow(struct sp_node *n, uint64_t *added)
{
	if (n->dl == NULL)
		return SP_ERR_ARG;
	uint64_t got = 0;
	int rc = sp_dirload_grow(n->dl, n->store, n->log, &got);
	if (added)
		*added = got;
	if (got) {
		sp_dirload_seal_check(n->dl, n->conf.id, n->log);
		sp_node_keys_sync(n); /* a rotated log's new key, wherever it is held */
		sp_node_rekey(n);     /* our own, if it is the one published */
	}
	uint32_t year;
	if (n->reports && sp_dirload_calendar_taken(n->dl, &year))
		calendar_published(n, year);
	if (rc == 0 && n->reports) /* a parent that changed moves reports between subtree lists */
		rc = sp_reports_dir_sync(n->reports, NULL);
	return rc;
}
struct sp_witness *sp_node_witness(struct sp_node *n) { return n->witness; }
struct sp_peer *sp_node_peer(struct sp_node *n) { return n->peer; }

int sp_node_find_log(struct sp_node *n, const char *inst, uint32_t *id)
{
	char origin[SP_ORIGIN_MAX + 1];
	int len = snprintf(origin, sizeof(origin), "%s/%s", n->conf.federation, inst);
	if (len < 0 || (size_t)len >= sizeof(origin) || strchr(inst, '/'))
		return SP_ERR_NOT_FOUND;
	return sp_store_log_find(n->store, origin, id);
}

int sp_node_own_log(struct sp_node *n, uint32_t *id, uint64_t *size)
{
	struct sp_log_info info;
	int rc = sp_store_own_log(sp_node_store(n), id);
	if (rc == 0)
		rc = sp_store_log_info(sp_node_store(n), *id, &info);
	if (rc == 0 && size)
		*size = info.size;
	return rc;
}

/* ---- deferred work and the thread pool -------------------------------------------------- */

int sp_node_defer(struct sp_node *n, sp_node_fn fn, void *arg)
{
	struct defer_item *it = malloc(sizeof(*it));
	if (it == NULL)
		return SP_ERR_NOMEM;
	it->fn = fn;
	it->arg = arg;
	it->next = NULL;
	pthread_mutex_lock(&n->defer_mu);
	int closed = n->closed;
	if (!closed) {
		if (n->defer_tail)
			n->defer_tail->next = it;
		else
			n->defer_head = it;
		n->defer_tail = it;
		uv_async_send(&n->wake); /* safe from any thread */
	}
	pthread_mutex_unlock(&n->defer_mu);
	if (closed)
		free(it);
	return closed ? SP_ERR_CLOSED : 0;
}

struct work {
	uv_work_t req;
	void (*work)(void *);
	void (*after)(void *, int);
	void *arg;
};

static void work_run(uv_work_t *w)
{
	struct work *wk = w->data;
	wk->work(wk->arg);
}

static void work_done(uv_work_t *w, int status)
{
	struct work *wk = w->data;
	wk->after(wk->arg, status);
	free(wk);
}

int sp_node_queue_work(struct sp_node *n, void (*work)(void *arg),
		       void (*after)(void *arg, int status), void *arg)
{
	struct work *wk = malloc(sizeof(*wk));
	if (wk == NULL)
		return SP_ERR_NOMEM;
	wk->work = work;
	wk->after = after;
	wk->arg = arg;
	wk->req.data = wk;
	if (uv_queue_work(&n->loop, &wk->req, work_run, work_done) != 0) {
		free(wk);
		return SP_ERR_INTERNAL;
	}
	return 0;
}

/* ---- appends and checkpoints ----------------------------------------------------------- */

struct append_wrap {
	struct sp_node *n;
	sp_append_cb cb;
	void *arg;
	int indexed;             /* add the entry to the report index */
	int claimed;             /* release claim if it fails */
	uint8_t claim[SP_HASH_BYTES];
	uint64_t type;
	uint64_t index;          /* the durable entry, for the indexed answer */
	uint8_t hash[SP_HASH_BYTES];
};

/* indexed answers an indexed append once its entry is in the report index
 * (err 0) or could not be (err), on the indexer thread; on failure the
 * claim (if any) is released. */
static void indexed(void *arg, int err)
{
	struct append_wrap *w = arg;
	if (err && w->claimed)
		sp_reports_unpend(w->n->reports, w->claim);
	w->cb(w->arg, err, w->index, w->hash);
	free(w);
}

/* append_done runs on the store's commit thread: an indexed append is
 * handed to the indexer thread, so that the next batch's fsync does not
 * wait for this one's index job. */
static void append_done(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	struct append_wrap *w = arg;
	uint32_t log = 0;
	atomic_fetch_add(err ? &w->n->appends_err : &w->n->appends_ok, 1);
	if (err == 0 && w->type == SP_EV_ESCALATION)
		atomic_fetch_add(&w->n->escalations, 1);
	if (err == 0)
		sp_peer_notify(w->n->peer);
	if (err == 0 && w->indexed)
		err = sp_node_own_log(w->n, &log, NULL);
	if (err == 0 && w->indexed) {
		w->index = index;
		memcpy(w->hash, hash, SP_HASH_BYTES);
		sp_indexer_add(w->n->indexer, log, index, indexed, w);
		return;
	}
	if (w->indexed) {
		indexed(w, err);
		return;
	}
	w->cb(w->arg, err, index, hash);
	free(w);
}

int sp_node_admitted(struct sp_node *n)
{
	uint8_t pk[32];
	sp_node_own_pk(n, pk);
	return sp_dirload_admitted(n->dl, n->conf.id, pk);
}

/* append queues w's entry (w is freed here on failure). */
static int append(struct sp_node *n, uint64_t type, const uint8_t *body, size_t len,
		  struct append_wrap *w)
{
	/* A node the directory does not (yet) hold writes nothing: no peer
	 * would ever take its log ([federation] await_record). */
	int rc = sp_node_admitted(n) ? sp_store_append_async(n->store, type, body, len, append_done, w)
				     : SP_ERR_NOT_ADMITTED;
	if (rc) {
		atomic_fetch_add(&n->appends_err, 1);
		free(w);
	}
	return rc;
}

int sp_node_append_async(struct sp_node *n, uint64_t type, const uint8_t *body, size_t len,
			 sp_append_cb cb, void *arg)
{
	struct append_wrap *w = malloc(sizeof(*w));
	if (w == NULL)
		return SP_ERR_NOMEM;
	*w = (struct append_wrap){.n = n, .cb = cb, .arg = arg, .type = type};
	return append(n, type, body, len, w);
}

int sp_node_append_indexed(struct sp_node *n, uint64_t type, const uint8_t *body, size_t len,
			   const uint8_t *claim, sp_append_cb cb, void *arg)
{
	struct append_wrap *w = malloc(sizeof(*w));
	if (w == NULL)
		return SP_ERR_NOMEM;
	*w = (struct append_wrap){.n = n, .cb = cb, .arg = arg, .indexed = 1, .claimed = !!claim,
				     .type = type};
	if (claim)
		memcpy(w->claim, claim, SP_HASH_BYTES);
	return append(n, type, body, len, w);
}

int sp_node_checkpoint_sign(struct sp_node *n)
{
	int rc = sp_store_checkpoint_sign(n->store);
	if (rc == 0)
		atomic_fetch_add(&n->checkpoints, 1);
	return rc;
}

/* ---- metrics ------------------------------------------------------------------------ */

/* log_metrics: entries per log (frozen 0) or whether fork evidence froze
 * each log (frozen 1). */
static void log_metrics(struct sp_node *n, struct sp_buf *out, int frozen)
{
	if (frozen)
		sp_buf_printf(out, "# HELP simpul_log_frozen 1 if fork evidence froze the log "
			      "(GET /v1/forks).\n# TYPE simpul_log_frozen gauge\n");
	else
		sp_buf_printf(out, "# HELP simpul_log_entries Durable entries per log held.\n"
			      "# TYPE simpul_log_entries gauge\n");
	uint32_t count = sp_store_log_count(n->store);
	for (uint32_t id = 0; id < count; id++) {
		struct sp_log_info info;
		if (sp_store_log_info(n->store, id, &info) != 0)
			continue;
		if (frozen)
			sp_buf_printf(out, "simpul_log_frozen{origin=\"%s\",own=\"%d\"} %d\n", info.origin,
				 info.own, info.frozen ? 1 : 0);
		else
			sp_buf_printf(out, "simpul_log_entries{origin=\"%s\",own=\"%d\"} %llu\n",
				 info.origin, info.own, (unsigned long long)info.size);
	}
}

/* calendar_metric: the last year the working-day calendar has holidays
 * for (the built-in year, or the directory's calendar records), so an
 * alert can ask the coordinator for next year's in time. */
static void calendar_metric(struct sp_node *n, struct sp_buf *out)
{
	if (n->dl == NULL || n->dl->cal.n == 0)
		return;
	time_t t = (time_t)(n->dl->cal.days[n->dl->cal.n - 1] * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	sp_buf_printf(out, "# HELP simpul_calendar_last_year Last year the working-day calendar has "
		      "holidays for.\n# TYPE simpul_calendar_last_year gauge\n"
		      "simpul_calendar_last_year %d\n",
		 tm.tm_year + 1900);
}

/* data_metrics: the space of the file system holding the data folder, so
 * a disk filling up is seen without another exporter. */
static void data_metrics(struct sp_node *n, struct sp_buf *out)
{
	struct statvfs v;
	if (statvfs(n->conf.data_dir, &v) != 0)
		return;
	sp_buf_printf(out, "# HELP simpul_data_free_bytes Bytes free for simpuld on the data folder's "
		      "file system.\n# TYPE simpul_data_free_bytes gauge\nsimpul_data_free_bytes "
		      "%llu\n# HELP simpul_data_size_bytes Size of the data folder's file system.\n"
		      "# TYPE simpul_data_size_bytes gauge\nsimpul_data_size_bytes %llu\n",
		 (unsigned long long)v.f_bavail * v.f_frsize,
		 (unsigned long long)v.f_blocks * v.f_frsize);
}

void sp_node_metrics(struct sp_node *n, struct sp_buf *out)
{
	sp_buf_printf(out, "# HELP simpul_build_info Version of this simpuld.\n"
		      "# TYPE simpul_build_info gauge\nsimpul_build_info{version=\"%s\"} 1\n",
		 SIMPUL_VERSION);
	sp_buf_printf(out, "# HELP simpul_uptime_seconds Seconds since the node started.\n"
		      "# TYPE simpul_uptime_seconds gauge\nsimpul_uptime_seconds %.3f\n",
		 (double)sp_node_uptime_ms(n) / 1000.0);
	sp_buf_printf(out, "# HELP simpul_appends_total Own-log appends, by result.\n"
		      "# TYPE simpul_appends_total counter\n"
		      "simpul_appends_total{result=\"ok\"} %llu\n"
		      "simpul_appends_total{result=\"error\"} %llu\n",
		 (unsigned long long)atomic_load(&n->appends_ok),
		 (unsigned long long)atomic_load(&n->appends_err));
	sp_buf_printf(out, "# HELP simpul_checkpoints_signed_total Own checkpoint signing calls.\n"
		      "# TYPE simpul_checkpoints_signed_total counter\n"
		      "simpul_checkpoints_signed_total %llu\n",
		 (unsigned long long)atomic_load(&n->checkpoints));
	sp_buf_printf(out, "# HELP simpul_escalations_total Escalation entries this node wrote (missed "
		      "deadlines of reports it holds).\n"
		      "# TYPE simpul_escalations_total counter\nsimpul_escalations_total %llu\n",
		 (unsigned long long)atomic_load(&n->escalations));
	sp_buf_printf(out, "# HELP simpul_key_grant_failures_total Key grants the coordinator's node "
		      "could not write (its own key copy would not open), one per report and pass.\n"
		      "# TYPE simpul_key_grant_failures_total counter\n"
		      "simpul_key_grant_failures_total %llu\n",
		      (unsigned long long)atomic_load(&n->grant_failures));
	log_metrics(n, out, 0);
	log_metrics(n, out, 1);
	calendar_metric(n, out);
	struct sp_store_stats st;
	sp_store_stats(n->store, &st);
	sp_buf_printf(out, "# HELP simpul_store_syncs_total Group commits (fsyncs) of own appends.\n"
		      "# TYPE simpul_store_syncs_total counter\nsimpul_store_syncs_total %llu\n",
		 (unsigned long long)st.syncs);
	uint64_t wakes, indexed_n;
	sp_indexer_counts(n->indexer, &wakes, &indexed_n);
	sp_buf_printf(out, "# HELP simpul_index_wakes_total Times the indexer thread took a queue of "
		      "durable own entries (one index job each).\n"
		      "# TYPE simpul_index_wakes_total counter\nsimpul_index_wakes_total %llu\n"
		      "# HELP simpul_index_entries_total Own entries the indexer thread indexed "
		      "and answered.\n"
		      "# TYPE simpul_index_entries_total counter\nsimpul_index_entries_total %llu\n",
		 (unsigned long long)wakes, (unsigned long long)indexed_n);
	struct sp_reports *rx = sp_node_reports(n);
	sp_buf_printf(out, "# HELP simpul_index_feed_changes Changes the report index's change feed "
		      "keeps (not yet read by the webhooks, or not yet pruned).\n"
		      "# TYPE simpul_index_feed_changes gauge\nsimpul_index_feed_changes %llu\n",
		 (unsigned long long)(sp_reports_change_end(rx) - sp_reports_change_floor(rx)));
	uint64_t bytes = 0;
	if (sp_store_disk_bytes(n->store, &bytes) == 0)
		sp_buf_printf(out, "# HELP simpul_store_disk_bytes Live SST and WAL bytes of the store.\n"
			      "# TYPE simpul_store_disk_bytes gauge\nsimpul_store_disk_bytes %llu\n",
			 (unsigned long long)bytes);
	data_metrics(n, out);
	sp_admin_svc_metrics(n, out);
	uint64_t hits = 0, misses = 0;
	if (n->dash)
		sp_dash_cache_counts(n->dash, &hits, &misses);
	sp_buf_printf(out, "# HELP simpul_dashboard_cached_total Dashboard answers (JSON or CSV) "
		      "from figures already computed with the same inputs.\n"
		      "# TYPE simpul_dashboard_cached_total counter\nsimpul_dashboard_cached_total %llu\n"
		      "# HELP simpul_dashboard_computed_total Dashboard figures computed from the "
		      "index.\n"
		      "# TYPE simpul_dashboard_computed_total counter\n"
		      "simpul_dashboard_computed_total %llu\n",
		 (unsigned long long)hits, (unsigned long long)misses);
	sp_http_metrics(n->http, out);
	sp_peer_metrics(n->peer, out);
}

/*
 * sp_webhook.c - report state notifications over HTTP with a durable
 * outbox (see sp_webhook.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "sp_clock.h"
#include "sp_err.h"
#include "sp_files.h"
#include "sp_ticket.h"
#include "sp_webhook.h"

#define KEY_MAX 1024
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 300000
#define MAX_OUTBOX 100000

struct sp_webhook {
	char url[SP_CONF_URL_MAX + 1];
	char inst[SP_INST_ID_MAX + 1];
	char dir[PATH_MAX + 16], out[PATH_MAX + 32], cursor_path[PATH_MAX + 48];
	uint32_t interval_ms;
	uint8_t key[KEY_MAX];
	size_t key_len;
	struct sp_reports *reports;
	struct sp_logx *log;
	uint64_t cursor;       /* the index's change feed: next change to look at */
	uint64_t seq;          /* next event number */
	unsigned attempts;     /* failures of the outbox head */
	uint64_t retry_ms;     /* when to try the head again */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
};

/* write_durable replaces dir/name with data: a temporary file, fsync,
 * rename, fsync of the folder. */
static int write_durable(const char *dir, const char *name, const char *data, size_t len)
{
	char tmp[PATH_MAX + 160], dst[PATH_MAX + 160];
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return SP_ERR_IO;
	int rc = sp_write_all(fd, data, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = SP_ERR_IO;
	close(fd);
	if (rc == 0 && rename(tmp, dst) != 0)
		rc = SP_ERR_IO;
	int dfd = rc == 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0) {
		if (fsync(dfd) != 0)
			rc = SP_ERR_IO;
		close(dfd);
	}
	if (rc)
		unlink(tmp);
	return rc;
}

/* ---- finding changes ---------------------------------------------------------------------- */

#define SCAN_BATCH 1024

struct scan {
	struct sp_webhook *w;
	int err;
};

static json_t *event_json(struct sp_webhook *w, const struct sp_reports_summary *s,
			  const char *idh, uint64_t seq)
{
	char ticket[SP_TICKET_MAX] = "", eid[96];
	sp_ticket_format(s->log, s->index, s->id, ticket);
	snprintf(eid, sizeof(eid), "%s-%016llu", w->inst, (unsigned long long)seq);
	json_t *holders = json_array();
	for (size_t i = 0; holders && i < s->n_holders; i++)
		json_array_append_new(holders, json_string(s->holders[i]));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:i,s:b,s:i,s:I,s:s,s:I}", "event_id", eid,
			 "type", "report.state", "report_id", idh, "ticket", ticket, "status",
			 sp_report_status_name(s->status), "holders", holders, "escalations",
			 (int)s->escalations, "overdue", s->overdue, "rating", (int)s->rating,
			 "answered", (json_int_t)s->answered_ms, "node", w->inst, "time",
			 (json_int_t)sp_now_ms());
}

/* concerns: the node's institution holds or held the report */
static int concerns(const struct sp_webhook *w, const struct sp_reports_summary *s)
{
	for (size_t i = 0; i < s->n_holders; i++)
		if (strcmp(s->holders[i], w->inst) == 0)
			return 1;
	for (size_t i = 0; i < s->n_handled; i++)
		if (strcmp(s->handled[i], w->inst) == 0)
			return 1;
	return 0;
}

/* on_change writes one event for a change of a report it concerns. */
static int on_change(void *arg, const struct sp_reports_summary *s)
{
	struct scan *sc = arg;
	struct sp_webhook *w = sc->w;
	if (!concerns(w, s))
		return 0;
	char idh[65], name[40];
	sodium_bin2hex(idh, sizeof(idh), s->id, 32);
	json_t *ev = event_json(w, s, idh, w->seq);
	char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	json_decref(ev);
	snprintf(name, sizeof(name), "%016llu.json", (unsigned long long)w->seq);
	int rc = text ? write_durable(w->out, name, text, strlen(text)) : SP_ERR_NOMEM;
	free(text);
	if (rc) {
		sc->err = rc;
		return 1; /* stop: this change again next round */
	}
	w->seq++;
	return 0;
}

/* save_cursor records how far the change feed was notified. */
static int save_cursor(struct sp_webhook *w)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)w->cursor);
	return write_durable(w->dir, "cursor", text, (size_t)n);
}

/* scan reads the index's change feed from the cursor on (never every
 * report), writes the events, then moves the cursor. */
static void scan(struct sp_webhook *w)
{
	struct scan sc = {w, 0};
	uint64_t from = w->cursor, next = from;
	int rc;
	do {
		from = next;
		rc = sp_reports_changes(w->reports, from, SCAN_BATCH, sp_now_ms(), on_change, &sc,
					&next);
	} while (rc == 0 && next - from == SCAN_BATCH);
	if (next != w->cursor) {
		w->cursor = next;
		if (save_cursor(w) != 0)
			sp_logx(w->log, SP_LOGX_WARN, "webhook", "cannot record notified changes");
	}
	if (sc.err)
		sp_logx(w->log, SP_LOGX_WARN, "webhook", "outbox write failed err=%s",
			sp_errname(sc.err));
	else if (rc && rc != SP_ERR_BUSY)
		sp_logx(w->log, SP_LOGX_WARN, "webhook", "change feed read failed err=%s",
			sp_errname(rc));
}

/* ---- delivering ------------------------------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* outbox lists the event files in order (caller frees each and the array). */
static size_t outbox(struct sp_webhook *w, char ***names)
{
	DIR *d = opendir(w->out);
	size_t n = 0, cap = 0;
	*names = NULL;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL && n < MAX_OUTBOX) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (sp_grow((void **)names, &cap, n, sizeof(char *)) != 0)
			break;
		if (((*names)[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(*names, n, sizeof(char *), cmp_name);
	return n;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* post sends one event; 0 on a 2xx answer. */
static int post(struct sp_webhook *w, const char *body, size_t len, long *status)
{
	char ts[24], sig[80], hdr_sig[128], hdr_ts[64], hdr_ev[160];
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	snprintf(ts, sizeof(ts), "%llu", (unsigned long long)(sp_now_ms() / 1000));
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, w->key, w->key_len);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(sig, sizeof(sig), mac, sizeof(mac));
	json_t *j = json_loadb(body, len, 0, NULL);
	snprintf(hdr_ev, sizeof(hdr_ev), "X-Simpul-Event: %s",
		 json_string_value(json_object_get(j, "event_id")) ?: "");
	json_decref(j);
	snprintf(hdr_sig, sizeof(hdr_sig), "X-Simpul-Signature: sha256=%s", sig);
	snprintf(hdr_ts, sizeof(hdr_ts), "X-Simpul-Timestamp: %s", ts);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return SP_ERR_NOMEM;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = h ? curl_slist_append(h, hdr_ev) : NULL;
	h = h ? curl_slist_append(h, hdr_ts) : NULL;
	h = h ? curl_slist_append(h, hdr_sig) : NULL;
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode cc = curl_easy_perform(c);
	*status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return cc == CURLE_OK && *status >= 200 && *status < 300 ? 0 : SP_ERR_IO;
}

static void deliver(struct sp_webhook *w)
{
	if (sp_now_ms() < w->retry_ms)
		return;
	char **names;
	size_t n = outbox(w, &names);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 128];
		snprintf(path, sizeof(path), "%s/%s", w->out, names[i]);
		struct sp_buf b;
		sp_buf_init(&b);
		long status = 0;
		int rc = sp_file_read(path, 1u << 20, &b);
		if (rc == 0 && !b.err)
			rc = post(w, (const char *)b.p, b.len, &status);
		sp_buf_free(&b);
		if (rc) {
			w->attempts++;
			uint64_t wait = BACKOFF_MIN_MS;
			for (unsigned k = 1; k < w->attempts && wait < BACKOFF_MAX_MS; k++)
				wait *= 2;
			wait = wait > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait;
			w->retry_ms = sp_now_ms() + wait;
			sp_logx(w->log, SP_LOGX_WARN, "webhook",
				"event %s not delivered status=%ld attempt=%u retry_in_ms=%llu", names[i],
				status, w->attempts, (unsigned long long)wait);
			break; /* later events wait: they arrive in order */
		}
		w->attempts = 0;
		unlink(path);
		sp_logx(w->log, SP_LOGX_INFO, "webhook", "event %s delivered status=%ld", names[i],
			status);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void *run(void *arg)
{
	struct sp_webhook *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		pthread_mutex_unlock(&w->mu);
		scan(w);
		deliver(w);
		pthread_mutex_lock(&w->mu);
		if (w->stopping)
			break;
		struct timespec ts;
		sp_clock_after(w->interval_ms, &ts);
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------ */

static int load_key(struct sp_webhook *w, const char *path)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = path[0] ? sp_file_read(path, KEY_MAX, &b) : SP_ERR_NOT_FOUND;
	while (rc == 0 && b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
		b.len--;
	if (rc == 0 && !b.err && b.len > 0) {
		memcpy(w->key, b.p, b.len);
		w->key_len = b.len;
	} else {
		rc = SP_ERR_CONFIG;
	}
	sodium_memzero(b.p, b.cap);
	sp_buf_free(&b);
	return rc;
}

/* next_seq: one past the largest event number in the outbox (0 if none). */
static uint64_t next_seq(struct sp_webhook *w)
{
	char **names;
	size_t n = outbox(w, &names);
	uint64_t seq = n ? strtoull(names[n - 1], NULL, 10) + 1 : 0;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return seq;
}

/* load_cursor reads <dir>/cursor; on the first start (none yet) the
 * cursor is the feed's end, recorded: only changes from then on are
 * notified. SP_ERR_CORRUPT, SP_ERR_IO. */
static int load_cursor(struct sp_webhook *w)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_file_read(w->cursor_path, 32, &b);
	if (rc == SP_ERR_NOT_FOUND) {
		sp_buf_free(&b);
		w->cursor = sp_reports_change_end(w->reports);
		return save_cursor(w);
	}
	char text[33] = "", *end = NULL;
	if (rc == 0 && !b.err && b.len < sizeof(text))
		memcpy(text, b.p, b.len);
	sp_buf_free(&b);
	if (rc)
		return rc;
	w->cursor = strtoull(text, &end, 10);
	return end != text && (*end == '\n' || *end == '\0') ? 0 : SP_ERR_CORRUPT;
}

int sp_webhook_start(const struct sp_conf *c, struct sp_reports *reports, struct sp_logx *log,
		     struct sp_webhook **out)
{
	*out = NULL;
	if (c->hook_url[0] == '\0')
		return 0;
	struct sp_webhook *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return SP_ERR_NOMEM;
	snprintf(w->url, sizeof(w->url), "%s", c->hook_url);
	snprintf(w->inst, sizeof(w->inst), "%s", c->id);
	snprintf(w->dir, sizeof(w->dir), "%s/webhooks", c->data_dir);
	snprintf(w->out, sizeof(w->out), "%s/out", w->dir);
	snprintf(w->cursor_path, sizeof(w->cursor_path), "%s/cursor", w->dir);
	w->interval_ms = c->hook_interval_ms;
	w->reports = reports;
	w->log = log;
	int rc = load_key(w, c->hook_secret_path);
	if (rc) {
		char where[PATH_MAX + 64];
		sp_logx(log, SP_LOGX_ERROR, "webhook", "%s = %s: no key in it",
			sp_conf_where(c, "webhooks", "secret", where, sizeof(where)),
			c->hook_secret_path);
		free(w);
		return rc;
	}
	if (sp_mkdirs(w->out, 0700) != 0) {
		sp_logx(log, SP_LOGX_ERROR, "webhook", "cannot create %s", w->out);
		free(w);
		return SP_ERR_IO;
	}
	rc = load_cursor(w);
	if (rc) {
		sp_logx(log, SP_LOGX_ERROR, "webhook", "%s is not a change number", w->cursor_path);
		free(w);
		return rc;
	}
	w->seq = next_seq(w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return SP_ERR_NOMEM;
	}
	sp_logx(log, SP_LOGX_INFO, "webhook", "notifying %s every %u ms (outbox from %llu)", w->url,
		w->interval_ms, (unsigned long long)w->seq);
	*out = w;
	return 0;
}

void sp_webhook_stop(struct sp_webhook *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	sodium_memzero(w->key, sizeof(w->key));
	free(w);
}

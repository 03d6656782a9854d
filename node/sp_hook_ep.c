/*
 * sp_hook_ep.c - one webhook endpoint: its outbox, its delivery thread,
 * the signed POST and the backoff (see sp_hook_ep.h).
 */
#include "sp_hook_ep.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "sp_clock.h"
#include "sp_conf.h"
#include "sp_err.h"
#include "sp_files.h"

#define KEY_MAX 1024
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 300000
#define MAX_OUTBOX 100000

struct sp_hook_ep {
	char name[SP_CONF_HOOK_NAME_MAX + 16];
	char url[SP_CONF_URL_MAX + 1];
	char out[PATH_MAX];
	int contact;
	uint8_t key[KEY_MAX];
	size_t key_len;
	struct sp_logx *log;
	unsigned attempts;     /* failures of the outbox head */
	uint64_t retry_ms;     /* when to try the head again */
	struct sp_hook_tick tick;
};

int sp_hook_write_durable(const char *dir, const char *name, const char *data, size_t len)
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

/* ---- the thread ------------------------------------------------------------------------- */

static void *tick_run(void *arg)
{
	struct sp_hook_tick *t = arg;
	pthread_mutex_lock(&t->mu);
	while (!t->stopping) {
		t->kicked = 0;
		pthread_mutex_unlock(&t->mu);
		t->fn(t->arg);
		pthread_mutex_lock(&t->mu);
		if (t->stopping || t->kicked)
			continue;
		struct timespec ts;
		sp_clock_after(t->interval_ms, &ts);
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int sp_hook_tick_start(struct sp_hook_tick *t, uint32_t interval_ms, void (*fn)(void *arg),
		       void *arg)
{
	*t = (struct sp_hook_tick){.interval_ms = interval_ms, .fn = fn, .arg = arg};
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->thread, NULL, tick_run, t) != 0) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		return SP_ERR_NOMEM;
	}
	return 0;
}

void sp_hook_tick_kick(struct sp_hook_tick *t)
{
	pthread_mutex_lock(&t->mu);
	t->kicked = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

void sp_hook_tick_stop(struct sp_hook_tick *t)
{
	pthread_mutex_lock(&t->mu);
	t->stopping = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
}

/* ---- the outbox ------------------------------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* outbox lists the event files in order (caller frees each and the array). */
static size_t outbox(const struct sp_hook_ep *e, char ***names)
{
	DIR *d = opendir(e->out);
	size_t n = 0, cap = 0;
	*names = NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL && n < MAX_OUTBOX) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (sp_grow((void **)names, &cap, n, sizeof(char *)) != 0)
			break;
		if (((*names)[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(*names, n, sizeof(char *), cmp_name);
	return n;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

uint64_t sp_hook_ep_next_seq(struct sp_hook_ep *e)
{
	char **names;
	size_t n = outbox(e, &names);
	uint64_t seq = n ? strtoull(names[n - 1], NULL, 10) + 1 : 0;
	free_names(names, n);
	return seq;
}

int sp_hook_ep_put(struct sp_hook_ep *e, uint64_t seq, const char *text)
{
	char name[40];
	snprintf(name, sizeof(name), "%016llu.json", (unsigned long long)seq);
	int rc = sp_hook_write_durable(e->out, name, text, strlen(text));
	if (rc == 0)
		sp_hook_tick_kick(&e->tick);
	return rc;
}

int sp_hook_ep_contact(const struct sp_hook_ep *e)
{
	return e->contact;
}

/* ---- delivering ------------------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* sign writes the X-Simpul-Timestamp and X-Simpul-Signature headers. */
static void sign(const struct sp_hook_ep *e, const char *body, size_t len, char *hdr_ts,
		 size_t ts_cap, char *hdr_sig, size_t sig_cap)
{
	char ts[24], sig[80];
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	snprintf(ts, sizeof(ts), "%llu", (unsigned long long)(sp_now_ms() / 1000));
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, e->key, e->key_len);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
	sodium_bin2hex(sig, sizeof(sig), mac, sizeof(mac));
	snprintf(hdr_sig, sig_cap, "X-Simpul-Signature: sha256=%s", sig);
	snprintf(hdr_ts, ts_cap, "X-Simpul-Timestamp: %s", ts);
}

/* post sends one event; 0 on a 2xx answer. */
static int post(const struct sp_hook_ep *e, const char *body, size_t len, long *status)
{
	char hdr_sig[128], hdr_ts[64], hdr_ev[160];
	sign(e, body, len, hdr_ts, sizeof(hdr_ts), hdr_sig, sizeof(hdr_sig));
	json_t *j = json_loadb(body, len, 0, NULL);
	snprintf(hdr_ev, sizeof(hdr_ev), "X-Simpul-Event: %s",
		 json_string_value(json_object_get(j, "event_id")) ?: "");
	json_decref(j);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return SP_ERR_NOMEM;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = h ? curl_slist_append(h, hdr_ev) : NULL;
	h = h ? curl_slist_append(h, hdr_ts) : NULL;
	h = h ? curl_slist_append(h, hdr_sig) : NULL;
	curl_easy_setopt(c, CURLOPT_URL, e->url);
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

/* backoff: the head failed again; wait 1 s, doubling, at most 5 min. */
static uint64_t backoff(struct sp_hook_ep *e)
{
	e->attempts++;
	uint64_t wait = BACKOFF_MIN_MS;
	for (unsigned k = 1; k < e->attempts && wait < BACKOFF_MAX_MS; k++)
		wait *= 2;
	wait = wait > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait;
	e->retry_ms = sp_now_ms() + wait;
	return wait;
}

static void deliver(void *arg)
{
	struct sp_hook_ep *e = arg;
	if (sp_now_ms() < e->retry_ms)
		return;
	char **names;
	size_t n = outbox(e, &names);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 128];
		snprintf(path, sizeof(path), "%s/%s", e->out, names[i]);
		struct sp_buf b;
		sp_buf_init(&b);
		long status = 0;
		int rc = sp_file_read(path, 1u << 20, &b);
		if (rc == 0 && !b.err)
			rc = post(e, (const char *)b.p, b.len, &status);
		if (b.p)
			sodium_memzero(b.p, b.cap); /* it may hold a contact */
		sp_buf_free(&b);
		if (rc) {
			uint64_t wait = backoff(e);
			sp_logx(e->log, SP_LOGX_WARN, "webhook",
				"%s: event %s not delivered status=%ld attempt=%u retry_in_ms=%llu",
				e->name, names[i], status, e->attempts, (unsigned long long)wait);
			break; /* later events wait: they arrive in order */
		}
		e->attempts = 0;
		unlink(path);
		sp_logx(e->log, SP_LOGX_INFO, "webhook", "%s: event %s delivered status=%ld", e->name,
			names[i], status);
	}
	free_names(names, n);
}

/* ---- start and stop ------------------------------------------------------------------------ */

static int load_key(struct sp_hook_ep *e, const char *path)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = path && path[0] ? sp_file_read(path, KEY_MAX, &b) : SP_ERR_NOT_FOUND;
	while (rc == 0 && b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
		b.len--;
	if (rc == 0 && !b.err && b.len > 0) {
		memcpy(e->key, b.p, b.len);
		e->key_len = b.len;
	} else {
		rc = SP_ERR_CONFIG;
	}
	if (b.p)
		sodium_memzero(b.p, b.cap);
	sp_buf_free(&b);
	return rc;
}

int sp_hook_ep_start(const struct sp_hook_ep_opts *o, struct sp_logx *log,
		     struct sp_hook_ep **out)
{
	*out = NULL;
	struct sp_hook_ep *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return SP_ERR_NOMEM;
	snprintf(e->name, sizeof(e->name), "%s", o->name);
	snprintf(e->url, sizeof(e->url), "%s", o->url);
	snprintf(e->out, sizeof(e->out), "%s", o->out_dir);
	e->contact = o->include_contact;
	e->log = log;
	int rc = load_key(e, o->secret_path);
	if (rc)
		sp_logx(log, SP_LOGX_ERROR, "webhook", "%s: secret: no key in '%s'", e->name,
			o->secret_path);
	if (rc == 0 && sp_mkdirs(e->out, 0700) != 0) {
		sp_logx(log, SP_LOGX_ERROR, "webhook", "%s: cannot create %s", e->name, e->out);
		rc = SP_ERR_IO;
	}
	if (rc == 0)
		rc = sp_hook_tick_start(&e->tick, o->interval_ms, deliver, e);
	if (rc) {
		sodium_memzero(e->key, sizeof(e->key));
		free(e);
		return rc;
	}
	/* not the URL: gateways often carry a token in it */
	sp_logx(log, SP_LOGX_INFO, "webhook", "%s: notifying every %u ms%s", e->name,
		o->interval_ms, e->contact ? " (with the reporter's contact, as holder)" : "");
	*out = e;
	return 0;
}

void sp_hook_ep_stop(struct sp_hook_ep *e)
{
	if (e == NULL)
		return;
	sp_hook_tick_stop(&e->tick);
	sodium_memzero(e->key, sizeof(e->key));
	free(e);
}

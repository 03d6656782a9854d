/*
 * sp_peer_net.c - sp_peer's transport: nng byte streams (tcp://), one per
 * peer connection, carrying length-prefixed frames; the listener, the
 * dialers with backoff, and the hand-off of everything that happens on
 * nng's threads to the libuv loop (a locked event queue + uv_async_send).
 *
 * Bounded everywhere: a frame is at most SP_GOSSIP_RECV_MAX bytes (checked
 * on its length prefix, before allocating); at most SP_PEER_RXQ_MAX
 * received frames per connection wait for the loop (then reading pauses,
 * and TCP pushes back on the peer); at most SP_PEER_TXQ_MAX bytes wait to
 * be sent (beyond that the peer is not reading: the session is dropped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <limits.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_files.h"
#include "sp_peer_int.h"
#include "sp_clock.h"
#include "sp_topo.h"

#include <nng/supplemental/tls/tls.h>

/* ---- events to the loop ---------------------------------------------------------------- */

void sp_peer_ev_free(struct sp_peer_ev *e)
{
	if (e->st)
		nng_stream_free(e->st);
	free(e->buf);
	sp_peer_job_free(e->job);
	if (e->c)
		sp_peer_net_unref(e->c);
	free(e);
}

/* post hands an event to the loop (any thread). It takes ownership of the
 * event; a stopping module drops it. */
static void post(struct sp_peer *p, struct sp_peer_ev *e)
{
	pthread_mutex_lock(&p->ev_mu);
	int stopping = p->stopping;
	if (!stopping) {
		if (p->ev_tail)
			p->ev_tail->next = e;
		else
			p->ev_head = e;
		p->ev_tail = e;
		uv_async_send(&p->async);
	}
	pthread_mutex_unlock(&p->ev_mu);
	if (stopping)
		sp_peer_ev_free(e);
}

/* post_conn_ev posts an event about c (with a ref); no-op on allocation
 * failure for WRITABLE, which the next round makes up for. */
static void post_conn_ev(struct sp_peer_conn *c, enum sp_peer_ev_type type, int err, uint8_t *buf,
			 size_t len)
{
	struct sp_peer_ev *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		free(buf);
		return;
	}
	atomic_fetch_add(&c->refs, 1);
	*e = (struct sp_peer_ev){.type = type, .c = c, .err = err, .buf = buf, .len = len};
	post(c->p, e);
}

void sp_peer_net_post_job(struct sp_peer *p, struct sp_peer_job *j)
{
	struct sp_peer_ev *e = j->ev;
	j->ev = NULL;
	*e = (struct sp_peer_ev){.type = SP_PEER_EV_INGESTED, .job = j};
	post(p, e);
}

struct sp_peer_ev *sp_peer_net_take_events(struct sp_peer *p)
{
	pthread_mutex_lock(&p->ev_mu);
	struct sp_peer_ev *e = p->ev_head;
	p->ev_head = p->ev_tail = NULL;
	pthread_mutex_unlock(&p->ev_mu);
	return e;
}

/* post_down reports a broken connection once. */
static void post_down(struct sp_peer_conn *c, int err)
{
	pthread_mutex_lock(&c->mu);
	int first = !c->down_posted && !c->closed;
	c->down_posted = 1;
	pthread_mutex_unlock(&c->mu);
	if (first)
		post_conn_ev(c, SP_PEER_EV_DOWN, err, NULL, 0);
}

/* ---- receiving -------------------------------------------------------------------------- */

static void rx_more(struct sp_peer_conn *c)
{
	nng_iov iov;
	if (c->rx_buf) {
		iov.iov_buf = c->rx_buf + c->rx_got;
		iov.iov_len = c->rx_len - c->rx_got;
	} else {
		iov.iov_buf = c->rx_hdr + c->rx_got;
		iov.iov_len = sizeof(c->rx_hdr) - c->rx_got;
	}
	nng_aio_set_iov(c->rx_aio, 1, &iov);
	nng_stream_recv(c->st, c->rx_aio);
}

/* rx_header checks a complete length prefix and allocates the body. */
static int rx_header(struct sp_peer_conn *c)
{
	uint32_t len = (uint32_t)c->rx_hdr[0] << 24 | (uint32_t)c->rx_hdr[1] << 16 |
		       (uint32_t)c->rx_hdr[2] << 8 | c->rx_hdr[3];
	if (len == 0 || len > SP_GOSSIP_RECV_MAX)
		return SP_ERR_RANGE;
	if ((c->rx_buf = malloc(len)) == NULL)
		return SP_ERR_NOMEM;
	c->rx_len = len;
	c->rx_got = 0;
	return 0;
}

static void rx_cb(void *arg)
{
	struct sp_peer_conn *c = arg;
	int rv = nng_aio_result(c->rx_aio);
	if (rv) {
		post_down(c, rv);
		return;
	}
	c->rx_got += nng_aio_count(c->rx_aio);
	atomic_fetch_add(&c->p->st.bytes_in, nng_aio_count(c->rx_aio));
	if (c->rx_buf == NULL) {
		if (c->rx_got < sizeof(c->rx_hdr)) {
			rx_more(c);
		} else if ((rv = rx_header(c)) != 0) {
			post_down(c, rv);
		} else {
			rx_more(c);
		}
		return;
	}
	if (c->rx_got < c->rx_len) {
		rx_more(c);
		return;
	}
	uint8_t *buf = c->rx_buf;
	size_t len = c->rx_len;
	c->rx_buf = NULL;
	c->rx_got = 0;
	pthread_mutex_lock(&c->mu);
	int pause = ++c->rx_queued >= SP_PEER_RXQ_MAX;
	c->rx_paused = pause;
	pthread_mutex_unlock(&c->mu);
	post_conn_ev(c, SP_PEER_EV_MSG, 0, buf, len);
	if (!pause)
		rx_more(c);
}

void sp_peer_net_consumed(struct sp_peer_conn *c)
{
	pthread_mutex_lock(&c->mu);
	c->rx_queued--;
	int resume = c->rx_paused && !c->closed;
	c->rx_paused = 0;
	pthread_mutex_unlock(&c->mu);
	if (resume)
		rx_more(c);
}

/* ---- sending ---------------------------------------------------------------------------- */

static void tx_more(struct sp_peer_conn *c)
{
	nng_iov iov = {c->tx_head->data + c->tx_off, c->tx_head->len - c->tx_off};
	nng_aio_set_iov(c->tx_aio, 1, &iov);
	nng_stream_send(c->st, c->tx_aio);
}

static void tx_cb(void *arg)
{
	struct sp_peer_conn *c = arg;
	int rv = nng_aio_result(c->tx_aio);
	if (rv) {
		post_down(c, rv);
		return;
	}
	size_t n = nng_aio_count(c->tx_aio);
	atomic_fetch_add(&c->p->st.bytes_out, n);
	struct sp_peer_frame *done = NULL;
	pthread_mutex_lock(&c->mu);
	c->tx_off += n;
	c->tx_progress_ms = sp_mono_ms();
	if (c->tx_off == c->tx_head->len) {
		done = c->tx_head;
		c->tx_head = done->next;
		if (c->tx_head == NULL)
			c->tx_tail = NULL;
		c->tx_bytes -= done->len;
		c->tx_off = 0;
	}
	int more = c->tx_head != NULL && !c->closed;
	c->tx_busy = more;
	int writable = c->tx_wait && c->tx_bytes < SP_PEER_TX_LOW;
	if (writable)
		c->tx_wait = 0;
	pthread_mutex_unlock(&c->mu);
	free(done);
	if (writable)
		post_conn_ev(c, SP_PEER_EV_WRITABLE, 0, NULL, 0);
	if (more)
		tx_more(c);
}

int sp_peer_net_send(struct sp_peer_conn *c, const uint8_t *msg, size_t len, const uint8_t *tag,
		     size_t tag_len)
{
	size_t body = len + tag_len;
	if (body == 0 || body > SP_GOSSIP_RECV_MAX)
		return SP_ERR_RANGE;
	struct sp_peer_frame *f = malloc(sizeof(*f) + 4 + body);
	if (f == NULL)
		return SP_ERR_NOMEM;
	f->next = NULL;
	f->len = 4 + body;
	f->data[0] = (uint8_t)(body >> 24);
	f->data[1] = (uint8_t)(body >> 16);
	f->data[2] = (uint8_t)(body >> 8);
	f->data[3] = (uint8_t)body;
	memcpy(f->data + 4, msg, len);
	if (tag_len)
		memcpy(f->data + 4 + len, tag, tag_len);
	pthread_mutex_lock(&c->mu);
	int rc = c->closed ? SP_ERR_CLOSED : c->tx_bytes + f->len > SP_PEER_TXQ_MAX ? SP_ERR_BUSY : 0;
	int start = 0;
	if (rc == 0) {
		if (c->tx_tail)
			c->tx_tail->next = f;
		else
			c->tx_head = f;
		c->tx_tail = f;
		if (c->tx_bytes == 0)
			c->tx_progress_ms = sp_mono_ms();
		c->tx_bytes += f->len;
		start = !c->tx_busy;
		c->tx_busy = 1;
	}
	pthread_mutex_unlock(&c->mu);
	if (rc) {
		free(f);
		return rc;
	}
	atomic_fetch_add(&c->p->st.msgs_out, 1);
	if (start)
		tx_more(c);
	return 0;
}

int sp_peer_net_stalled(struct sp_peer_conn *c, uint64_t now, uint64_t limit_ms)
{
	pthread_mutex_lock(&c->mu);
	int stalled = c->tx_bytes > 0 && now - c->tx_progress_ms > limit_ms;
	pthread_mutex_unlock(&c->mu);
	return stalled;
}

size_t sp_peer_net_queued(struct sp_peer_conn *c, int want_writable)
{
	pthread_mutex_lock(&c->mu);
	size_t n = c->tx_bytes;
	if (want_writable && n >= SP_PEER_TX_LOW)
		c->tx_wait = 1;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* ---- connections ------------------------------------------------------------------------ */

static void conn_free(struct sp_peer_conn *c)
{
	nng_aio_free(c->rx_aio);
	nng_aio_free(c->tx_aio);
	if (c->st)
		nng_stream_free(c->st);
	while (c->tx_head) {
		struct sp_peer_frame *f = c->tx_head;
		c->tx_head = f->next;
		free(f);
	}
	free(c->rx_buf);
	sp_peer_nset_free(&c->peer_notes);
	sp_peer_nset_free(&c->sent_notes);
	free(c->offer);
	free(c->backs);
	sp_peer_nset_free(&c->cos_sent);
	sodium_memzero(c->kx_sk, sizeof(c->kx_sk));
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void sp_peer_net_unref(struct sp_peer_conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) == 1)
		conn_free(c);
}

struct sp_peer_conn *sp_peer_net_conn(struct sp_peer *p, nng_stream *st, int slot)
{
	struct sp_peer_conn *c = calloc(1, sizeof(*c));
	if (c == NULL || nng_aio_alloc(&c->rx_aio, rx_cb, c) != 0 ||
	    nng_aio_alloc(&c->tx_aio, tx_cb, c) != 0) {
		if (c) {
			nng_aio_free(c->rx_aio);
			free(c);
		}
		nng_stream_free(st);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	atomic_init(&c->refs, 1);
	c->p = p;
	c->st = st;
	c->slot = slot;
	nng_sockaddr sa;
	snprintf(c->addr, sizeof(c->addr), "?");
	if (nng_stream_get_addr(st, NNG_OPT_REMADDR, &sa) == 0 && sa.s_family == NNG_AF_INET) {
		const uint8_t *a = (const uint8_t *)&sa.s_in.sa_addr;
		snprintf(c->addr, sizeof(c->addr), "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3],
			 (unsigned)ntohs(sa.s_in.sa_port));
	}
	c->next = p->conns;
	p->conns = c;
	p->nconns++;
	rx_more(c);
	return c;
}

/* flush_small gives a short queue (typically the ERROR that refuse just
 * queued) a moment to reach the kernel before the stream is closed, which
 * would cancel it: at most SP_PEER_FLUSH_MS, and only when little is
 * queued (a peer with a backlog is not reading anyway). */
static void flush_small(struct sp_peer_conn *c)
{
	uint64_t t0 = sp_mono_ms();
	for (;;) {
		pthread_mutex_lock(&c->mu);
		int busy = c->tx_busy && c->tx_bytes <= SP_PEER_FLUSH_BYTES;
		pthread_mutex_unlock(&c->mu);
		if (!busy || sp_mono_ms() - t0 >= SP_PEER_FLUSH_MS)
			return;
		uv_sleep(1);
	}
}

void sp_peer_net_close(struct sp_peer_conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (c->state == SP_PEER_READY)
		atomic_fetch_sub(&c->p->st.live, 1);
	flush_small(c);
	pthread_mutex_lock(&c->mu);
	c->closed = 1;
	pthread_mutex_unlock(&c->mu);
	nng_stream_close(c->st);
	nng_aio_stop(c->rx_aio);
	nng_aio_stop(c->tx_aio);
	struct sp_peer *p = c->p;
	for (struct sp_peer_conn **pp = &p->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			p->nconns--;
			break;
		}
	if (c->slot >= 0)
		sp_peer_net_redial(p, c->slot, c->state == SP_PEER_READY);
	sp_peer_net_unref(c);
}

/* ---- listening ------------------------------------------------------------------------- */

static void accept_cb(void *arg)
{
	struct sp_peer *p = arg;
	int rv = nng_aio_result(p->accept_aio);
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	struct sp_peer_ev *e = calloc(1, sizeof(*e));
	nng_stream *st = rv == 0 ? nng_aio_get_output(p->accept_aio, 0) : NULL;
	if (e) {
		*e = (struct sp_peer_ev){.type = SP_PEER_EV_CONN, .st = st, .slot = -1, .err = rv};
		post(p, e);
	} else if (st) {
		nng_stream_free(st);
	}
	nng_stream_listener_accept(p->listener, p->accept_aio);
}

/* write_peer_file records the bound URL in <data>/simpuld.peer. */
static int write_peer_file(struct sp_peer *p, const char *url, int port)
{
	char line[SP_CONF_URL_MAX + 16], path[PATH_MAX];
	const char *colon = strrchr(url, ':');
	int n = snprintf(line, sizeof(line), "%.*s:%d\n", (int)(colon - url), url, port);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    snprintf(path, sizeof(path), "%s/simpuld.peer", p->conf->data_dir) >= (int)sizeof(path))
		return SP_ERR_RANGE;
	int rc = sp_file_replace(path, line, (size_t)n);
	if (rc == 0)
		sp_logx(p->log, SP_LOGX_INFO, "peer", "listening url=%.*s", n - 1, line);
	return rc;
}

static int is_tls(const char *url)
{
	return strncmp(url, "tls+tcp://", 10) == 0;
}

/* TLS only hides the traffic: sessions are authenticated by node keys
 * (docs/replication.md §3), so a dialer without [peer] tls_ca encrypts
 * without checking the listener's certificate. */
static int listen_tls(struct sp_peer *p)
{
	return nng_stream_listener_set_string(p->listener, NNG_OPT_TLS_CERT_KEY_FILE,
					      p->conf->peer_tls_cert_key);
}

static int dial_tls(struct sp_peer *p, nng_stream_dialer *d)
{
	const char *ca = p->conf->peer_tls_ca;
	if (ca[0] == '\0')
		return nng_stream_dialer_set_int(d, NNG_OPT_TLS_AUTH_MODE, NNG_TLS_AUTH_MODE_NONE);
	int rv = nng_stream_dialer_set_string(d, NNG_OPT_TLS_CA_FILE, ca);
	return rv ? rv : nng_stream_dialer_set_int(d, NNG_OPT_TLS_AUTH_MODE,
						   NNG_TLS_AUTH_MODE_REQUIRED);
}

static int listen_start(struct sp_peer *p)
{
	const char *url = p->conf->peer_listen;
	int port = 0, rv = nng_stream_listener_alloc(&p->listener, url);
	if (rv == 0 && is_tls(url))
		rv = listen_tls(p);
	if (rv == 0)
		rv = nng_stream_listener_listen(p->listener);
	if (rv == 0)
		rv = nng_aio_alloc(&p->accept_aio, accept_cb, p);
	if (rv == 0 && nng_stream_listener_get_int(p->listener, NNG_OPT_TCP_BOUND_PORT, &port) != 0)
		port = 0;
	if (rv) {
		sp_logx(p->log, SP_LOGX_ERROR, "peer", "cannot listen url=%s: %s", url,
			nng_strerror(rv));
		return SP_ERR_IO;
	}
	int rc = write_peer_file(p, url, port);
	if (rc)
		return rc;
	nng_stream_listener_accept(p->listener, p->accept_aio);
	return 0;
}

/* ---- dialing ------------------------------------------------------------------------------ */

static void dial_cb(void *arg)
{
	struct sp_peer_dial *d = arg;
	int rv = nng_aio_result(d->aio);
	if (rv == NNG_ECLOSED)
		return;
	struct sp_peer_ev *e = calloc(1, sizeof(*e));
	nng_stream *st = rv == 0 ? nng_aio_get_output(d->aio, 0) : NULL;
	if (e == NULL) {
		if (st)
			nng_stream_free(st);
		return; /* the slot stays busy: a lost dial, logged nowhere; rare */
	}
	*e = (struct sp_peer_ev){.type = SP_PEER_EV_CONN, .st = st, .slot = (int)(d - d->p->dials),
				 .err = rv};
	post(d->p, e);
}

/* session_with: a session with the node of this key is up. */
static int session_with(struct sp_peer *p, const uint8_t key[32])
{
	for (struct sp_peer_conn *c = p->conns; c; c = c->next)
		if (c->state == SP_PEER_READY && memcmp(c->theirs.key, key, 32) == 0)
			return 1;
	return 0;
}

static void dial_now(uv_timer_t *t)
{
	struct sp_peer_dial *d = t->data;
	if (d->known && session_with(d->p, d->peer_key)) {
		/* It dialed us (and won the duplicate check): look again later. */
		uv_timer_start(&d->timer, dial_now, SP_PEER_BACKOFF_MAX_MS, 0);
		return;
	}
	d->busy = 1;
	nng_stream_dialer_dial(d->d, d->aio);
}

void sp_peer_net_redial(struct sp_peer *p, int slot, int reset)
{
	struct sp_peer_dial *d = &p->dials[slot];
	if (reset)
		d->backoff_ms = SP_PEER_BACKOFF_MIN_MS;
	unsigned wait = d->backoff_ms;
	/* Jitter of up to a quarter, so peers that lost each other do not
	 * redial in lockstep. */
	wait += (unsigned)(sp_mono_ms() % (wait / 4 + 1));
	d->backoff_ms = d->backoff_ms * 2 > SP_PEER_BACKOFF_MAX_MS ? SP_PEER_BACKOFF_MAX_MS
								  : d->backoff_ms * 2;
	d->busy = 0;
	if (!uv_is_closing((uv_handle_t *)&d->timer))
		uv_timer_start(&d->timer, dial_now, wait, 0);
}

static int dial_init(struct sp_peer *p, struct sp_peer_dial *d, const char *url)
{
	d->p = p;
	snprintf(d->url, sizeof(d->url), "%s", url);
	d->backoff_ms = SP_PEER_BACKOFF_MIN_MS;
	uv_timer_init(p->loop, &d->timer);
	d->timer.data = d;
	int rv = nng_stream_dialer_alloc(&d->d, url);
	if (rv == 0 && is_tls(url))
		rv = dial_tls(p, d->d);
	if (rv == 0)
		rv = nng_aio_alloc(&d->aio, dial_cb, d);
	if (rv) {
		sp_logx(p->log, SP_LOGX_ERROR, "peer", "cannot dial url=%s: %s", url,
			nng_strerror(rv));
		return SP_ERR_ARG;
	}
	uv_timer_start(&d->timer, dial_now, 0, 0);
	return 0;
}

/* ---- start and stop ------------------------------------------------------------------------- */

/* The URLs a node dials: [peer] peers; then, for a province with [peer]
 * siblings, every other province the directory lists whose id is larger
 * (the smaller id dials: one dialer per pair); for a ministry or agency
 * with [peer] backup, its backup province (sp_topo.h). Those lazy links
 * keep complaints moving while the national node is down: between
 * provinces, and between a ministry and the rest of the federation. A URL
 * is dialed once however many rules name it. */
struct dial_list {
	const char *me;
	char (*url)[SP_CONF_URL_MAX + 1];
	size_t n, cap;
	size_t nconf, siblings, backup; /* how many [peer] peers and each rule added */
};

static int push_url(struct dial_list *l, const char *url)
{
	if (strlen(url) > SP_CONF_URL_MAX)
		return 0; /* not a URL the config would take either */
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->url[i], url) == 0)
			return 0;
	if (sp_grow((void **)&l->url, &l->cap, l->n, sizeof(*l->url)))
		return SP_ERR_NOMEM;
	snprintf(l->url[l->n++], SP_CONF_URL_MAX + 1, "%s", url);
	return 0;
}

static int add_sibling(void *arg, const struct sp_dir_inst *v)
{
	struct dial_list *l = arg;
	if (v->tier != SP_DIR_TIER_PROVINCE || strcmp(v->id, l->me) <= 0 || v->npeers == 0)
		return 0;
	size_t n = l->n;
	int rc = push_url(l, v->peers[0]);
	l->siblings += l->n - n;
	return rc;
}

/* add_backup: the backup province of a ministry or agency, if it has one
 * with a peer address. */
static int add_backup(const struct sp_peer *p, struct dial_list *l, char *backup)
{
	struct sp_dir_inst b;
	if (sp_topo_backup(p->dir, p->conf->id, backup) != 0 ||
	    sp_dir_institution(p->dir, backup, SP_DIR_TIME_MAX, &b) != 0 || b.npeers == 0)
		return 0;
	size_t n = l->n;
	int rc = push_url(l, b.peers[0]);
	l->backup += l->n - n;
	return rc;
}

static int dial_list(const struct sp_peer *p, struct dial_list *l, char *backup)
{
	for (size_t i = 0; i < p->conf->npeers; i++) {
		int rc = push_url(l, p->conf->peers[i]);
		if (rc)
			return rc;
	}
	l->nconf = l->n;
	struct sp_dir_inst me;
	if (p->dir == NULL || sp_dir_institution(p->dir, p->conf->id, SP_DIR_TIME_MAX, &me) != 0)
		return 0;
	if (p->conf->peer_backup) {
		int rc = add_backup(p, l, backup);
		if (rc)
			return rc;
	}
	if (!p->conf->peer_siblings || me.tier != SP_DIR_TIER_PROVINCE)
		return 0;
	return sp_dir_each(p->dir, add_sibling, l);
}

int sp_peer_net_start(struct sp_peer *p)
{
	int rc = p->conf->peer_listen[0] ? listen_start(p) : 0;
	struct dial_list l = {.me = p->conf->id};
	char backup[SP_INST_ID_MAX + 1] = "";
	if (rc == 0)
		rc = dial_list(p, &l, backup);
	if (rc == 0 && l.n) {
		p->dials = calloc(l.n, sizeof(*p->dials));
		rc = p->dials ? 0 : SP_ERR_NOMEM;
		for (size_t i = 0; rc == 0 && i < l.n; i++) {
			rc = dial_init(p, &p->dials[i], l.url[i]);
			p->ndials = i + 1;
			if (rc && i >= l.nconf) /* another institution's bad URL: */
				p->dials[i].tried = 1, rc = 0; /* logged, never dialed */
		}
	}
	if (rc == 0 && l.siblings)
		sp_logx(p->log, SP_LOGX_INFO, "peer", "dialing %zu other provinces ([peer] siblings)",
			l.siblings);
	if (rc == 0 && l.backup)
		sp_logx(p->log, SP_LOGX_INFO, "peer", "dialing backup province %s ([peer] backup)",
			backup);
	free(l.url);
	return rc;
}

void sp_peer_net_stop(struct sp_peer *p)
{
	pthread_mutex_lock(&p->ev_mu);
	p->stopping = 1;
	pthread_mutex_unlock(&p->ev_mu);
	if (p->listener)
		nng_stream_listener_close(p->listener);
	if (p->accept_aio)
		nng_aio_stop(p->accept_aio);
	for (size_t i = 0; i < p->ndials; i++) {
		struct sp_peer_dial *d = &p->dials[i];
		if (d->d)
			nng_stream_dialer_close(d->d);
		if (d->aio)
			nng_aio_stop(d->aio);
		if (!uv_is_closing((uv_handle_t *)&d->timer))
			uv_close((uv_handle_t *)&d->timer, NULL);
	}
	while (p->conns)
		sp_peer_net_close(p->conns);
	struct sp_peer_ev *e = sp_peer_net_take_events(p);
	while (e) {
		struct sp_peer_ev *next = e->next;
		sp_peer_ev_free(e);
		e = next;
	}
}

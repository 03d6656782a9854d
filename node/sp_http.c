/*
 * sp_http.c - the HTTP server: libmicrohttpd set-up, the per-request state
 * machine, limits, dispatch and asynchronous completion (see sp_http.h).
 *
 * MHD runs an epoll thread pool (MHD_USE_EPOLL_INTERNAL_THREAD with
 * MHD_OPTION_THREAD_POOL_SIZE): a parked (suspended) connection holds no
 * thread, which thread-per-connection mode cannot offer, and handlers may
 * block briefly on RocksDB reads without stalling other workers.
 *
 * MHD calls the access handler several times per request: once when the
 * headers are in (we check limits and find the route, and may answer at
 * once), once per body chunk, once when the body is complete (we run the
 * handler), and once more after each resume.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_conf.h"
#include "sp_err.h"
#include "sp_http_int.h"
#include "sp_clock.h"

enum { RQ_NEW, RQ_ANSWERED, RQ_TOO_LARGE, RQ_RUN };

/* ---- request objects ----------------------------------------------------------- */

static void rq_unref(struct sp_http_rq *rq)
{
	if (atomic_fetch_sub(&rq->refs, 1) != 1)
		return;
	atomic_fetch_sub(&rq->h->inflight, 1);
	sp_http_drop_params(rq);
	sp_http_resp_clear(&rq->res);
	sp_buf_free(&rq->body);
	pthread_mutex_destroy(&rq->mu);
	free(rq->path);
	free(rq);
}

static int is_loopback(const struct sockaddr *a)
{
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)a;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)a;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

static const struct sockaddr *client_addr(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci ? ci->client_addr : NULL;
}

static struct sp_http_rq *rq_new(struct sp_http *h, struct MHD_Connection *c, const char *url,
				 const char *method)
{
	struct sp_http_rq *rq = calloc(1, sizeof(*rq));
	if (rq == NULL)
		return NULL;
	rq->path = strdup(url);
	if (rq->path == NULL) {
		free(rq);
		return NULL;
	}
	atomic_fetch_add(&h->inflight, 1);
	rq->h = h;
	rq->conn = c;
	rq->slot = -1;
	rq->t0_ms = sp_mono_ms();
	atomic_init(&rq->refs, 1);
	pthread_mutex_init(&rq->mu, NULL);
	sp_buf_init(&rq->body);
	snprintf(rq->method, sizeof(rq->method), "%s", strcmp(method, "HEAD") ? method : "GET");
	const struct sockaddr *a = client_addr(c);
	strcpy(rq->client, "?");
	if (a && a->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)a)->sin_addr,
			  rq->client, sizeof(rq->client));
	else if (a && a->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			  rq->client, sizeof(rq->client));
	rq->pub.method = rq->method;
	rq->pub.path = rq->path;
	rq->pub.client = rq->client;
	rq->pub.loopback = a && is_loopback(a);
	return rq;
}

/* ---- sending ------------------------------------------------------------------------ */

/* send_resp hands rq's response to MHD and counts it. */
static enum MHD_Result send_resp(struct sp_http_rq *rq)
{
	struct sp_http *h = rq->h;
	struct sp_http_resp *res = &rq->res;
	if (res->status == 0)
		sp_http_reply_error(res, SP_ERR_INTERNAL, "handler gave no response");
	sp_http_compress(rq);
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(
		res->len, res->body, free);
	if (r == NULL)
		return MHD_NO;
	res->body = NULL; /* MHD frees it now */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->type);
	if (res->cache)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, res->cache);
	if (res->link)
		MHD_add_response_header(r, "Link", res->link);
	MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (int i = 0; i < res->nheaders; i++)
		MHD_add_response_header(r, res->hname[i], res->hvalue[i]);
	enum MHD_Result ok = MHD_queue_response(rq->conn, res->status, r);
	MHD_destroy_response(r);
	int slot = rq->slot < 0 ? SP_HTTP_MAX_ROUTES : rq->slot;
	atomic_fetch_add(&h->count[slot][sp_http_code_index(res->status)], 1);
	sp_logx(h->o.log, res->status >= 500 ? SP_LOGX_WARN : SP_LOGX_DEBUG, "http",
		"%s %s status=%u client=%s ms=%llu", rq->method, rq->path, res->status,
		rq->client, (unsigned long long)(sp_mono_ms() - rq->t0_ms));
	rq->state = RQ_ANSWERED;
	return ok;
}

static enum MHD_Result send_error(struct sp_http_rq *rq, int err, const char *fmt, const char *arg)
{
	sp_http_reply_error(&rq->res, err, fmt, arg);
	return send_resp(rq);
}

void sp_http_header_add(struct sp_http_resp *res, const char *name, const char *value)
{
	if (res->nheaders == SP_HTTP_MAX_HEADERS)
		return;
	snprintf(res->hname[res->nheaders], sizeof(res->hname[0]), "%s", name);
	snprintf(res->hvalue[res->nheaders], sizeof(res->hvalue[0]), "%s", value);
	res->nheaders++;
}

/* ---- the first call: limits and routing ------------------------------------------------ */

/* route finds rq's route; 0, or an answer already sent (404, 405, 403). */
static int route(struct sp_http_rq *rq, enum MHD_Result *ret)
{
	struct sp_http *h = rq->h;
	char allow[128] = "";
	for (size_t i = 0; i < h->nroutes; i++) {
		const struct sp_http_route *r = h->routes[i].route;
		if (!sp_http_match(r->pattern, rq->path, rq))
			continue;
		if (strcmp(r->method, rq->method) != 0) {
			/* HEAD is answered wherever GET is (as GET, without the body). */
			const char *m = strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
			if (strlen(allow) + strlen(m) + 3 < sizeof(allow))
				strcat(strcat(allow, *allow ? ", " : ""), m);
			continue;
		}
		rq->slot = (int)i;
		rq->pub.ctx = h->routes[i].ctx;
		if ((r->flags & SP_HTTP_LOCAL) && !rq->pub.loopback) {
			sp_http_reply_error(&rq->res, SP_ERR_AUTHORITY,
					    "this endpoint answers loopback clients only");
			*ret = send_resp(rq);
			return 1;
		}
		return 0;
	}
	sp_http_drop_params(rq);
	if (*allow) {
		sp_http_reply_error(&rq->res, SP_ERR_HTTP_BAD_REQUEST, "method %s not allowed here",
				    rq->method);
		rq->res.status = 405;
		sp_http_header_add(&rq->res, "Allow", allow);
		*ret = send_resp(rq);
	} else {
		*ret = send_error(rq, SP_ERR_NOT_FOUND, "no such resource: %s", rq->path);
	}
	return 1;
}

/* refuse_head answers status and closes: after a head refused this early
 * (ambiguous framing, a target or head too large) nothing that follows on
 * the connection can be trusted to be a request. */
static enum MHD_Result refuse_close(struct sp_http_rq *rq, unsigned status, const char *why)
{
	sp_http_reply_error(&rq->res, status == 400 ? SP_ERR_HTTP_BAD_REQUEST : SP_ERR_HTTP_TOO_LARGE,
			    "%s", why);
	rq->res.status = status;
	sp_http_header_add(&rq->res, MHD_HTTP_HEADER_CONNECTION, "close");
	return send_resp(rq);
}

/* json_route_checks: a JSON route's Content-Type (415 otherwise). */
static int json_type_refused(struct sp_http_rq *rq, enum MHD_Result *ret)
{
	const struct sp_http_route *r = rq->h->routes[rq->slot].route;
	if (!(r->flags & SP_HTTP_JSON) ||
	    sp_http_json_type(MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
							   MHD_HTTP_HEADER_CONTENT_TYPE)))
		return 0;
	sp_http_reply_error(&rq->res, SP_ERR_HTTP_BAD_REQUEST,
			    "the body must be sent as Content-Type: application/json");
	rq->res.status = 415;
	*ret = send_resp(rq);
	return 1;
}

/* first_call runs when the headers are in; returns 1 if it answered.
 * early: what the URI log callback found wrong with the target, or NULL. */
static int first_call(struct sp_http_rq *rq, const struct sp_http_early *early,
		      enum MHD_Result *ret)
{
	struct sp_http *h = rq->h;
	uint32_t retry = 1;
	sp_http_guard_head(h, rq->conn, 0);
	if (early) {
		*ret = refuse_close(rq, early->status, early->why);
		return 1;
	}
	const char *bad = sp_http_guard_head_size(rq->conn);
	if (bad) {
		*ret = refuse_close(rq, 431, bad);
		return 1;
	}
	bad = sp_http_guard_framing(rq->conn);
	if (bad) {
		*ret = refuse_close(rq, 400, bad);
		return 1;
	}
	if (sp_rate_take(h->rate, client_addr(rq->conn), sp_mono_ms(), &retry) != 0) {
		sp_http_reply_error(&rq->res, SP_ERR_RATE_LIMITED,
				    "too many requests from %s; retry after %u s", rq->client, retry);
		char v[16];
		snprintf(v, sizeof(v), "%u", retry);
		sp_http_header_add(&rq->res, MHD_HTTP_HEADER_RETRY_AFTER, v);
		*ret = send_resp(rq);
		return 1;
	}
	if (route(rq, ret) || json_type_refused(rq, ret))
		return 1;
	const char *cl =
		MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > h->o.max_body_bytes) {
		/* Answer before reading the body: MHD then closes the
		 * connection instead of receiving it. */
		sp_http_reply_error(&rq->res, SP_ERR_HTTP_TOO_LARGE,
				    "request body over %u bytes", h->o.max_body_bytes);
		*ret = send_resp(rq);
		return 1;
	}
	return 0;
}

/* ---- running the handler ---------------------------------------------------------------- */

static enum MHD_Result run(struct sp_http_rq *rq)
{
	const struct sp_http_route *r = rq->h->routes[rq->slot].route;
	rq->state = RQ_RUN;
	if (rq->body.err)
		return send_error(rq, SP_ERR_NOMEM, NULL, NULL);
	if ((r->flags & SP_HTTP_JSON) &&
	    sp_http_json_bounded(rq->body.p, rq->body.len, SP_HTTP_JSON_DEPTH,
				 SP_HTTP_JSON_VALUES) != 0)
		return send_error(rq, SP_ERR_HTTP_BAD_REQUEST,
				  "JSON nested deeper than %s or with too many values",
				  "16 levels / 1024 values");
	if (rq->body.len) {
		sp_buf_put(&rq->body, "", 1); /* a NUL after the body, for text parsers */
		rq->pub.body = rq->body.p;
		rq->pub.body_len = rq->body.len - 1;
	}
	int rc = r->fn(&rq->pub, &rq->res);
	if (rc == SP_HTTP_SUSPENDED) {
		pthread_mutex_lock(&rq->mu);
		int done = rq->done;
		if (!done) {
			rq->suspended = 1;
			MHD_suspend_connection(rq->conn);
		}
		pthread_mutex_unlock(&rq->mu);
		return done ? send_resp(rq) : MHD_YES;
	}
	if (rc < 0 && rq->res.status == 0)
		sp_http_reply_error(&rq->res, rc, NULL);
	return send_resp(rq);
}

void sp_http_suspend(struct sp_http_req *req)
{
	struct sp_http_rq *rq = (struct sp_http_rq *)req;
	atomic_fetch_add(&rq->refs, 1);
}

void sp_http_complete(struct sp_http_req *req)
{
	struct sp_http_rq *rq = (struct sp_http_rq *)req;
	pthread_mutex_lock(&rq->mu);
	rq->done = 1;
	if (rq->suspended && !rq->gone) {
		rq->suspended = 0;
		MHD_resume_connection(rq->conn);
	}
	pthread_mutex_unlock(&rq->mu);
	rq_unref(rq);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct sp_http *h = cls;
	struct sp_http_rq *rq = *con_cls;
	enum MHD_Result ret = MHD_YES;
	const struct sp_http_early *early = sp_http_guard_early(*con_cls);
	if (rq == NULL || early) {
		rq = rq_new(h, c, url, method);
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		return first_call(rq, early, &ret) ? ret : MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (rq->state == RQ_NEW && rq->body.len + n > h->o.max_body_bytes) {
			rq->state = RQ_TOO_LARGE;
			rq->dropped = rq->body.len;
			sp_buf_free(&rq->body);
		}
		if (rq->state == RQ_TOO_LARGE) {
			/* A chunked body past the limit (a Content-Length over it
			 * was answered before the body): read on, keeping
			 * nothing, to answer 413 when it ends; a body that goes
			 * on far past the limit loses its connection instead. */
			rq->dropped += n;
			return rq->dropped > (uint64_t)SP_HTTP_DISCARD_FACTOR * h->o.max_body_bytes
				       ? MHD_NO
				       : MHD_YES;
		}
		if (rq->state == RQ_NEW)
			sp_buf_put(&rq->body, upload, n);
		return MHD_YES;
	}
	switch (rq->state) {
	case RQ_NEW:
		return run(rq);
	case RQ_RUN: /* resumed: the response is ready */
		return send_resp(rq);
	case RQ_TOO_LARGE: {
		char why[64];
		snprintf(why, sizeof(why), "request body over %u bytes", h->o.max_body_bytes);
		return refuse_close(rq, 413, why);
	}
	default:
		return MHD_YES;
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct sp_http_rq *rq = *con_cls;
	sp_http_guard_head(cls, c, 1); /* a kept-alive connection waits for the next head */
	if (rq == NULL || sp_http_guard_early(rq))
		return;
	*con_cls = NULL;
	pthread_mutex_lock(&rq->mu);
	rq->gone = 1;
	pthread_mutex_unlock(&rq->mu);
	rq_unref(rq);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	sp_logx(cls, SP_LOGX_WARN, "http", "libmicrohttpd: %s", msg);
}

/* ---- the server ----------------------------------------------------------------------- */

int sp_http_tls_supported(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* tls_free drops the copies of the certificate and (wiped first) the key. */
static void tls_free(struct sp_http *h)
{
	char *key = (char *)h->o.tls_key_pem;
	if (key)
		sodium_memzero(key, strlen(key));
	free(key);
	free((char *)h->o.tls_cert_pem);
	h->o.tls_cert_pem = h->o.tls_key_pem = NULL;
}

int sp_http_new(const struct sp_http_opts *o, struct sp_http **out)
{
	if (o->listen == NULL || strlen(o->listen) >= 64 || o->threads == 0)
		return SP_ERR_ARG;
	struct sp_http *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return SP_ERR_NOMEM;
	h->o = *o;
	snprintf(h->listen, sizeof(h->listen), "%s", o->listen);
	h->o.listen = h->listen;
	h->o.tls_cert_pem = h->o.tls_key_pem = NULL;
	if (!o->tls_cert_pem != !o->tls_key_pem) {
		free(h);
		return SP_ERR_ARG;
	}
	if (o->tls_cert_pem) {
		h->o.tls_cert_pem = strdup(o->tls_cert_pem);
		h->o.tls_key_pem = strdup(o->tls_key_pem);
	}
	int rc = o->tls_cert_pem && (!h->o.tls_cert_pem || !h->o.tls_key_pem) ? SP_ERR_NOMEM : 0;
	if (rc == 0)
		rc = sp_rate_new(o->rate_limit, o->rate_burst, 4096, &h->rate);
	if (rc) {
		tls_free(h);
		free(h);
		return rc;
	}
	pthread_mutex_init(&h->guard_mu, NULL);
	pthread_cond_init(&h->guard_cv, NULL);
	*out = h;
	return 0;
}

int sp_http_add_routes(struct sp_http *h, const struct sp_http_route *routes, void *ctx)
{
	for (const struct sp_http_route *r = routes; r->method; r++) {
		if (h->nroutes == SP_HTTP_MAX_ROUTES)
			return SP_ERR_RANGE;
		if (r->pattern[0] != '/' || r->fn == NULL)
			return SP_ERR_ARG;
		struct sp_http_slot *s = &h->routes[h->nroutes++];
		s->route = r;
		s->ctx = ctx;
		snprintf(s->label, sizeof(s->label), "%s %s", r->method, r->pattern);
	}
	return 0;
}

int sp_http_start(struct sp_http *h)
{
	char host[64];
	uint16_t port;
	if (sp_conf_parse_listen(h->listen, host, sizeof(host), &port))
		return SP_ERR_ARG;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	int v6 = strchr(host, ':') != NULL;
	if (v6) {
		struct sockaddr_in6 *a = (void *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &a->sin6_addr);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a = (void *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, host, &a->sin_addr);
	}
	/* HTTPS: GnuTLS inside libmicrohttpd, which reads the PEM texts here. */
	struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}};
	if (h->o.tls_cert_pem) {
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
						 (void *)h->o.tls_cert_pem};
		tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
						 (void *)h->o.tls_key_pem};
		tls[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	}
	h->d = MHD_start_daemon(
		flags, port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
		h->o.log, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)h->o.threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)SP_HTTP_CONN_MEMORY, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)h->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)h->o.timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_NOTIFY_CONNECTION, sp_http_guard_notify, h, MHD_OPTION_URI_LOG_CALLBACK,
		sp_http_guard_uri, h, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)h->o.max_per_address, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (h->d == NULL) {
		sp_logx(h->o.log, SP_LOGX_ERROR, "http", "cannot listen addr=%s%s", h->listen,
			h->o.tls_cert_pem ? " (https: is tls_cert a PEM certificate chain and "
					    "tls_key its PEM private key?)"
					  : "");
		return SP_ERR_IO;
	}
	if (sp_http_guard_start(h) != 0) {
		MHD_stop_daemon(h->d);
		h->d = NULL;
		return SP_ERR_NOMEM;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	if (di)
		port = di->port;
	snprintf(h->addr, sizeof(h->addr), v6 ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
	return 0;
}

int sp_http_addr(const struct sp_http *h, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s", h->addr);
	return n < 0 || (size_t)n >= cap ? SP_ERR_RANGE : 0;
}

void sp_http_set_limits(struct sp_http *h, uint32_t rate_limit, uint32_t rate_burst)
{
	h->o.rate_limit = rate_limit;
	h->o.rate_burst = rate_burst;
	sp_rate_set(h->rate, rate_limit, rate_burst);
}

void sp_http_quiesce(struct sp_http *h)
{
	if (h->d == NULL)
		return;
	MHD_socket fd = MHD_quiesce_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

unsigned sp_http_inflight(struct sp_http *h)
{
	return atomic_load(&h->inflight);
}

void sp_http_free(struct sp_http *h)
{
	if (h == NULL)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	sp_http_guard_stop(h);
	pthread_mutex_destroy(&h->guard_mu);
	pthread_cond_destroy(&h->guard_cv);
	sp_rate_free(h->rate);
	tls_free(h);
	free(h);
}

/* ---- metrics ---------------------------------------------------------------------------- */

void sp_http_metrics(struct sp_http *h, struct sp_buf *out)
{
	char line[256];
	sp_buf_put_cstr(out, "# HELP simpul_http_requests_total HTTP requests answered, by route and "
		     "status.\n# TYPE simpul_http_requests_total counter\n");
	for (size_t i = 0; i <= SP_HTTP_MAX_ROUTES; i++) {
		if (i >= h->nroutes && i != SP_HTTP_MAX_ROUTES)
			continue;
		const char *label = i == SP_HTTP_MAX_ROUTES ? "unmatched" : h->routes[i].label;
		for (int k = 0; k < SP_HTTP_NCODES; k++) {
			uint64_t n = atomic_load(&h->count[i][k]);
			if (n == 0)
				continue;
			char code[16];
			if (sp_http_codes[k])
				snprintf(code, sizeof(code), "%u", sp_http_codes[k]);
			else
				strcpy(code, "other");
			snprintf(line, sizeof(line),
				 "simpul_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n", label,
				 code, (unsigned long long)n);
			sp_buf_put_cstr(out, line);
		}
	}
	snprintf(line, sizeof(line),
		 "# HELP simpul_http_inflight HTTP requests in progress.\n"
		 "# TYPE simpul_http_inflight gauge\nsimpul_http_inflight %u\n",
		 sp_http_inflight(h));
	sp_buf_put_cstr(out, line);
}

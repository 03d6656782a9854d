/*
 * sp_http_int.h - sp_http's insides, shared by its source files only.
 */
#ifndef SP_HTTP_INT_H
#define SP_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <microhttpd.h>

#include "sp_http.h"
#include "sp_rate.h"

#define SP_HTTP_MAX_HEADERS 8

/* A chunked body over max_body_bytes is read and discarded up to this many
 * times the limit, then answered 413; past that its connection is cut. */
#define SP_HTTP_DISCARD_FACTOR 4

/* Text answers of at least SP_HTTP_GZIP_MIN bytes are sent gzipped (zlib
 * level SP_HTTP_GZIP_LEVEL) to clients that accept it: smaller ones gain
 * less than the header costs. Past SP_HTTP_GZIP_MAX (a text attachment)
 * they go as they are, so no one request costs a worker long. */
#define SP_HTTP_GZIP_MIN 1024
#define SP_HTTP_GZIP_MAX (1u << 20)
#define SP_HTTP_GZIP_LEVEL 6

#define SP_HTTP_STR_(x) #x
#define SP_HTTP_STR(x) SP_HTTP_STR_(x) /* a numeric macro as a string literal */

/* Status codes counted separately in metrics; others count as "other". */
#define SP_HTTP_NCODES 21

struct sp_http_resp {
	unsigned status;         /* 0: not set yet */
	const char *type;        /* static Content-Type */
	const char *cache;       /* static Cache-Control, or NULL */
	const char *link;        /* static Link, or NULL (may exceed a header slot) */
	uint8_t *body;           /* malloc'ed, or NULL */
	size_t len;
	int nheaders;
	char hname[SP_HTTP_MAX_HEADERS][32];
	char hvalue[SP_HTTP_MAX_HEADERS][256]; /* a Content-Security-Policy fits */
};

struct sp_http_slot {
	const struct sp_http_route *route;
	void *ctx;
	char label[96]; /* "GET /v1/status" for metrics */
};

struct sp_http {
	struct sp_http_opts o;
	char listen[64];
	struct MHD_Daemon *d;
	char addr[80];                  /* bound address */
	struct sp_rate *rate;
	size_t nroutes;
	struct sp_http_slot routes[SP_HTTP_MAX_ROUTES];
	atomic_uint inflight;
	/* sp_http_guard.c: connections waiting for a request head, and the
	 * watcher that cuts those past the deadline; all under guard_mu */
	pthread_mutex_t guard_mu;
	pthread_cond_t guard_cv;
	pthread_t guard_thread;
	int guard_running, guard_stop;
	struct sp_http_conn *conns;
	uint64_t head_cut;              /* connections cut at the deadline */
	/* requests answered, [route or unmatched][status code index] */
	atomic_uint_least64_t count[SP_HTTP_MAX_ROUTES + 1][SP_HTTP_NCODES];
};

/* One request, from its headers to MHD's completion notice. */
struct sp_http_rq {
	struct sp_http_req pub;
	struct sp_http_resp res;
	struct sp_http *h;
	struct MHD_Connection *conn;
	int slot;                       /* route index, -1: none */
	int state;                      /* RQ_* in sp_http.c */
	struct sp_buf body;
	uint64_t dropped;               /* body bytes read past the limit and discarded */
	char client[48];
	char method[16];
	char *path;
	const char *pnames[SP_HTTP_MAX_PARAMS];
	size_t pname_len[SP_HTTP_MAX_PARAMS];
	char *pvalues[SP_HTTP_MAX_PARAMS];
	int nparams;
	uint64_t t0_ms;
	/* asynchronous completion: guarded by mu */
	pthread_mutex_t mu;
	int suspended, done, gone;
	atomic_int refs;
};

/* sp_http_match matches path against pattern, filling rq's params.
 * 1 on a match, 0 if not. */
int sp_http_match(const char *pattern, const char *path, struct sp_http_rq *rq);

/* sp_http_drop_params frees the matched variables. */
void sp_http_drop_params(struct sp_http_rq *rq);

/* ---- sp_http_guard.c ---- */

/* MHD_OPTION_NOTIFY_CONNECTION: tracks every connection (cls: the server). */
void sp_http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code);

/* sp_http_guard_head marks connection c as waiting for a request head
 * (waiting = 1, from now) or not (0: the head is in). */
void sp_http_guard_head(struct sp_http *h, struct MHD_Connection *c, int waiting);

/* sp_http_guard_start starts the head-deadline watcher (none if
 * head_timeout_s is 0); sp_http_guard_stop stops it. */
int sp_http_guard_start(struct sp_http *h);
void sp_http_guard_stop(struct sp_http *h);

/* A request refused as soon as its request line is in, before MHD parses
 * the rest: the URI log callback returns one of these (static, never
 * freed) as the request's con_cls, and the first handler call answers it. */
struct sp_http_early {
	unsigned status;
	const char *why;
};

/* MHD_OPTION_URI_LOG_CALLBACK: an early refusal for the raw request target
 * (a %00 in the path: 400; over SP_HTTP_MAX_TARGET bytes: 414), else NULL;
 * becomes the request's con_cls. */
void *sp_http_guard_uri(void *cls, const char *uri, struct MHD_Connection *c);

/* sp_http_guard_early: con_cls as an early refusal, or NULL if it is not one. */
const struct sp_http_early *sp_http_guard_early(const void *con_cls);

/* sp_http_guard_head_size: why the request head is refused (431: over
 * SP_HTTP_MAX_HEAD), or NULL. */
const char *sp_http_guard_head_size(struct MHD_Connection *c);

/* sp_http_guard_framing: why the request's framing is ambiguous (both
 * Content-Length and Transfer-Encoding, or two different Content-Lengths),
 * or NULL if it is not. */
const char *sp_http_guard_framing(struct MHD_Connection *c);

/* sp_http_code_index: the metrics slot of an HTTP status. */
int sp_http_code_index(unsigned status);
extern const unsigned sp_http_codes[SP_HTTP_NCODES];

/* sp_http_resp_clear frees a response's body and resets it. */
void sp_http_resp_clear(struct sp_http_resp *res);

/* sp_http_compress gzips rq's answer in place when it is JSON, XML or
 * text of at least SP_HTTP_GZIP_MIN bytes, has no Content-Encoding yet and
 * the client accepts gzip (sp_http_accepts_gzip); such answers get "Vary:
 * Accept-Encoding" either way. Left as it is if compression fails or does
 * not make it smaller. */
void sp_http_compress(struct sp_http_rq *rq);

#endif

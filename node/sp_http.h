/*
 * sp_http.h - the node's HTTP server: libmicrohttpd underneath, a route
 * table on top, limits in front, and asynchronous completion.
 *
 * Routes. A route is method + path pattern -> handler. Patterns are
 * literal segments, "{name}" (one non-empty segment) and, last only,
 * "{name...}" (the rest of the path, non-empty). Each API file exports a
 * static table ending in a NULL method; the node adds every table once at
 * startup with the context its handlers need:
 *
 *     const struct sp_http_route sp_api_report_routes[] = {
 *         {"POST", "/v1/reports", report_submit, 0},
 *         {"GET", "/v1/reports/{id}", report_get, 0},
 *         {NULL, NULL, NULL, 0},
 *     };
 *     sp_http_add_routes(http, sp_api_report_routes, node);
 *
 * The first matching route wins; HEAD is served by GET routes; a path that
 * matches with another method gets 405 and an Allow header.
 *
 * Handlers run on the server's worker threads (several at once), with the
 * whole body read. A handler fills *res with one of the sp_http_reply_*
 * functions and returns SP_HTTP_DONE, or returns a negative sp_err code
 * (the client gets the standard JSON error for it: see sp_http_status), or
 * goes asynchronous:
 *
 *     static int submit(struct sp_http_req *req, struct sp_http_resp *res)
 *     {
 *         sp_http_suspend(req);            // req and res stay valid
 *         int rc = sp_store_append_async(store, type, body, n, done, req);
 *         if (rc) {
 *             sp_http_reply_error(res, rc, "cannot queue");
 *             sp_http_complete(req);       // even on immediate failure
 *         }
 *         return SP_HTTP_SUSPENDED;
 *     }
 *     static void done(void *arg, int err, uint64_t index, const uint8_t *hash)
 *     {                                     // the store's commit thread
 *         struct sp_http_req *req = arg;
 *         ... sp_http_reply_json(sp_http_resp_of(req), 201, obj) ...
 *         sp_http_complete(req);           // req is gone after this
 *     }
 *
 * The connection is parked (MHD_suspend_connection, no thread held) until
 * sp_http_complete, which may be called from any thread, exactly once,
 * even before the handler returns. Errors are JSON:
 *
 *     {"error": {"code": "SP_ERR_NOT_FOUND", "message": "no such item"}}
 *
 * Limits: a token bucket per client address (429 + Retry-After), a body
 * size limit (413, decided from Content-Length before the body is read,
 * or as soon as a chunked body passes it), a connection limit and an idle
 * timeout per connection.
 *
 * Threads: sp_http_new, sp_http_add_routes, sp_http_start and sp_http_free
 * belong to one thread (the node's loop); everything else is thread-safe.
 */
#ifndef SP_HTTP_H
#define SP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sp_cbor.h"
#include "sp_logx.h"

#define SP_HTTP_DONE 0
#define SP_HTTP_SUSPENDED 1

#define SP_HTTP_LOCAL 1u      /* route flag: loopback clients only (admin) */
#define SP_HTTP_JSON 2u       /* route flag: the body is JSON (Content-Type checked, bounded) */
/* A JSON body may nest this deep and hold this many values (containers and
 * elements) at most: so the parser's memory is a small multiple of the body. */
#define SP_HTTP_JSON_DEPTH 16
#define SP_HTTP_JSON_VALUES 1024
/* The request head the node takes: a request target (path and query) up to
 * SP_HTTP_MAX_TARGET bytes (414 above), the whole head (request line and
 * headers) up to SP_HTTP_MAX_HEAD (431 above). libmicrohttpd is given
 * SP_HTTP_CONN_MEMORY per connection, well above both, so that it is the
 * node that answers these, in its JSON error format; only a head past that
 * memory still gets libmicrohttpd's own (HTML) answer. */
#define SP_HTTP_MAX_TARGET 8192
#define SP_HTTP_MAX_HEAD 16384
#define SP_HTTP_CONN_MEMORY (64 * 1024)
#define SP_HTTP_MAX_ROUTES 64
#define SP_HTTP_MAX_PARAMS 4

struct sp_http;
struct sp_http_resp;

/* What a handler sees of a request. All strings are NUL-terminated and
 * valid until the handler returns, or, once suspended, until
 * sp_http_complete. */
struct sp_http_req {
	const char *method;        /* "GET", "POST", ... ("GET" for HEAD) */
	const char *path;          /* decoded path, without the query */
	const uint8_t *body;       /* the whole body (NUL after it), or NULL */
	size_t body_len;
	const char *client;        /* numeric client address, "127.0.0.1" */
	int loopback;              /* client is 127.0.0.0/8 or ::1 */
	void *ctx;                 /* the ctx given to sp_http_add_routes */
};

typedef int (*sp_http_fn)(struct sp_http_req *req, struct sp_http_resp *res);

struct sp_http_route {
	const char *method;
	const char *pattern;
	sp_http_fn fn;
	unsigned flags; /* SP_HTTP_LOCAL, SP_HTTP_JSON */
};

struct sp_http_opts {
	const char *listen;         /* "127.0.0.1:8080", "[::]:8080"; port 0: ephemeral */
	uint32_t max_body_bytes;
	uint32_t max_connections;
	uint32_t max_per_address;   /* connections from one address at most; 0: no limit */
	uint32_t timeout_s;         /* idle time before a connection is closed */
	uint32_t head_timeout_s;    /* time to send a whole request head; 0: no limit */
	uint32_t threads;           /* worker threads */
	uint32_t rate_limit;        /* requests/s per address; 0: none */
	uint32_t rate_burst;
	/* HTTPS (libmicrohttpd with GnuTLS): the certificate chain and the
	 * private key as PEM text, NUL-terminated; both NULL: plain HTTP.
	 * sp_http_new copies them (the key copy is wiped by sp_http_free). */
	const char *tls_cert_pem;
	const char *tls_key_pem;
	struct sp_logx *log;        /* borrowed; may be NULL */
};

/* sp_http_json_bounded checks, without parsing, that the JSON text
 * p[0..n) nests at most max_depth deep and holds at most max_values values
 * (counting containers and the elements commas separate), so that a parser
 * cannot be made to build far more than the body. 0 or
 * SP_ERR_HTTP_BAD_REQUEST. Whether it is valid JSON is the parser's job. */
int sp_http_json_bounded(const uint8_t *p, size_t n, unsigned max_depth, unsigned max_values);

/* sp_http_json_type: 1 if a Content-Type value is application/json (any
 * parameters, any case), else 0. */
int sp_http_json_type(const char *content_type);

/* sp_http_tls_supported: 1 if libmicrohttpd was built with TLS (GnuTLS),
 * as Debian's is. */
int sp_http_tls_supported(void);

/* sp_http_new prepares a server (nothing listens yet). *out is the
 * caller's; free with sp_http_free. SP_ERR_NOMEM, SP_ERR_ARG. */
int sp_http_new(const struct sp_http_opts *o, struct sp_http **out);

/* sp_http_add_routes appends a NULL-method-terminated table (borrowed: it
 * must outlive the server) whose handlers get ctx. Before sp_http_start.
 * SP_ERR_RANGE past SP_HTTP_MAX_ROUTES, SP_ERR_ARG for a bad pattern. */
int sp_http_add_routes(struct sp_http *h, const struct sp_http_route *routes, void *ctx);

/* sp_http_start binds and starts serving. SP_ERR_IO (with a log line) if
 * the address cannot be bound. */
int sp_http_start(struct sp_http *h);

/* sp_http_addr writes the bound "host:port" (the real port if 0 was
 * asked for) after sp_http_start. */
int sp_http_addr(const struct sp_http *h, char *buf, size_t cap);

/* sp_http_set_limits changes the rate limit (SIGHUP reload). */
void sp_http_set_limits(struct sp_http *h, uint32_t rate_limit, uint32_t rate_burst);

/* sp_http_quiesce stops accepting connections; requests in flight go on. */
void sp_http_quiesce(struct sp_http *h);

/* sp_http_inflight: requests begun and not yet finished (suspended ones
 * included). */
unsigned sp_http_inflight(struct sp_http *h);

/* sp_http_free stops the server (call sp_http_quiesce and wait for
 * sp_http_inflight to reach 0 first, to let requests finish) and frees it. */
void sp_http_free(struct sp_http *h);

/* sp_http_metrics appends the server's Prometheus metrics (requests by
 * route and status, in flight) to out. */
void sp_http_metrics(struct sp_http *h, struct sp_buf *out);

/* ---- in handlers ------------------------------------------------------------ */

/* sp_http_param: the value of pattern variable `name`, or NULL. */
const char *sp_http_param(const struct sp_http_req *req, const char *name);

/* sp_http_query: the value of query parameter `name`, or NULL. */
const char *sp_http_query(const struct sp_http_req *req, const char *name);

/* sp_http_header: the value of request header `name`, or NULL. */
const char *sp_http_header(const struct sp_http_req *req, const char *name);

/* sp_http_accepts_gzip: 1 if the request's Accept-Encoding accepts gzip
 * (named, or "*", with a q value above 0), else 0. */
int sp_http_accepts_gzip(const struct sp_http_req *req);

/* sp_http_gzip: the gzip of p[0..len) at the level answers are sent with
 * (malloc'ed, *out_len bytes: the caller frees it), or NULL if it fails or
 * is not smaller. */
uint8_t *sp_http_gzip(const uint8_t *p, size_t len, size_t *out_len);

/* sp_http_reply sets the response: status, Content-Type and a copy of
 * body[0..len). SP_ERR_NOMEM. */
int sp_http_reply(struct sp_http_resp *res, unsigned status, const char *type, const void *body,
		  size_t len);

/* sp_http_reply_buf is sp_http_reply taking b's memory (b is left empty). */
int sp_http_reply_buf(struct sp_http_resp *res, unsigned status, const char *type,
		      struct sp_buf *b);

/* sp_http_json_dump appends j to out as every JSON answer is written
 * (compact, ASCII only, no final newline) and takes the reference to j
 * (NULL after a failed jansson call: SP_ERR_NOMEM). */
int sp_http_json_dump(json_t *j, struct sp_buf *out);

/* sp_http_reply_json sets a JSON response and takes the reference to j
 * (which may be NULL after a failed jansson call: that gives a 500). */
int sp_http_reply_json(struct sp_http_resp *res, unsigned status, json_t *j);

/* sp_http_reply_error sets the standard JSON error for err, with the
 * status sp_http_status(err) and a message (printf format; NULL: the
 * code's own text). */
int sp_http_reply_error(struct sp_http_resp *res, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* sp_http_cache sets Cache-Control (a static string, e.g. "no-cache"). */
void sp_http_cache(struct sp_http_resp *res, const char *cache_control);

/* sp_http_link sets a Link header (a static string, any length: a page's
 * preload list, longer than a header slot of sp_http_header_add). */
void sp_http_link(struct sp_http_resp *res, const char *link);

/* sp_http_header_add adds a response header (copied; at most
 * SP_HTTP_MAX_HEADERS of them, values up to 255 bytes; more are dropped). */
void sp_http_header_add(struct sp_http_resp *res, const char *name, const char *value);

/* sp_http_status maps an sp_err code to its HTTP status (see docs/api.md). */
unsigned sp_http_status(int err);

/* ---- asynchronous completion ---------------------------------------------------- */

/* sp_http_suspend, in a handler, keeps req and its response alive after
 * the handler returns (it must then return SP_HTTP_SUSPENDED). */
void sp_http_suspend(struct sp_http_req *req);

/* sp_http_resp_of: the response object of a request. */
struct sp_http_resp *sp_http_resp_of(struct sp_http_req *req);

/* sp_http_complete sends the response set on a suspended request, from any
 * thread, exactly once; req must not be used afterwards. */
void sp_http_complete(struct sp_http_req *req);

#endif

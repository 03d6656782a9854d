/*
 * sp_http_reply.c - building responses and errors, mapping sp_err codes to
 * HTTP statuses, and matching route patterns (see sp_http.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "sp_err.h"
#include "sp_http_int.h"

const unsigned sp_http_codes[SP_HTTP_NCODES] = {200, 201, 202, 204, 304, 400, 401,
						403, 404, 405, 409, 413, 414, 415,
						422, 429, 431, 500, 503, 507, 0};

int sp_http_code_index(unsigned status)
{
	for (int i = 0; i < SP_HTTP_NCODES - 1; i++)
		if (sp_http_codes[i] == status)
			return i;
	return SP_HTTP_NCODES - 1;
}

unsigned sp_http_status(int err)
{
	switch (err) {
	case SP_OK:
		return 200;
	case SP_ERR_NOT_FOUND:
	case SP_ERR_UNKNOWN_REPORT:
	case SP_ERR_UNKNOWN_INSTITUTION:
		return 404;
	case SP_ERR_HTTP_TOO_LARGE:
	case SP_ERR_ENTRY_TOO_LARGE:
		return 413;
	case SP_ERR_RATE_LIMITED:
		return 429;
	case SP_ERR_AUTHORITY:
	case SP_ERR_UNKNOWN_OFFICER:
	case SP_ERR_NOT_DELEGATED:
	case SP_ERR_SEALED:
	case SP_ERR_REPORTER_PROOF:
		return 403;
	case SP_ERR_EXISTS:
	case SP_ERR_TRANSITION:
	case SP_ERR_WINDOW:
	case SP_ERR_REPLAY:
	case SP_ERR_EXPIRED:
	case SP_ERR_DIR_CYCLE:
	case SP_ERR_RETIRED:
	case SP_ERR_FORK:
	case SP_ERR_FORK_RESOLVED: /* own log resolved away by the coordinator */
	case SP_ERR_INCONSISTENT:
	case SP_ERR_GAP:
	case SP_ERR_WRONG_AUTHOR:
	case SP_ERR_WRONG_INDEX:
	case SP_ERR_WRONG_PREV:
	case SP_ERR_TIME_ORDER:
		return 409;
	case SP_ERR_NO_ROUTE:
		return 422;
	case SP_ERR_UNSUPPORTED:
		return 501;
	case SP_ERR_BUSY:
	case SP_ERR_CLOSED:
	case SP_ERR_STALE: /* own log behind a restore: catching up from peers */
	case SP_ERR_NOT_ADMITTED: /* a joining node waiting for its directory record */
		return 503;
	case SP_ERR_NOMEM:
	case SP_ERR_IO:
	case SP_ERR_DB:
	case SP_ERR_CORRUPT:
	case SP_ERR_INTERNAL:
	case SP_ERR_CONFIG:
		return 500;
	default:
		/* Everything else describes a malformed input: CBOR, entries,
		 * notes, keys, proofs, report fields, directory records. */
		return 400;
	}
}

void sp_http_resp_clear(struct sp_http_resp *res)
{
	free(res->body);
	memset(res, 0, sizeof(*res));
}

/* set_body makes p (len bytes, malloc'ed, now the response's) the body. */
static void set_body(struct sp_http_resp *res, unsigned status, const char *type, uint8_t *p,
		     size_t len)
{
	free(res->body);
	res->body = p;
	res->len = len;
	res->status = status;
	res->type = type;
}

int sp_http_reply(struct sp_http_resp *res, unsigned status, const char *type, const void *body,
		  size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	if (p == NULL)
		return SP_ERR_NOMEM;
	if (len)
		memcpy(p, body, len);
	set_body(res, status, type, p, len);
	return 0;
}

int sp_http_reply_buf(struct sp_http_resp *res, unsigned status, const char *type,
		      struct sp_buf *b)
{
	if (b->err)
		return b->err;
	size_t len;
	uint8_t *p = sp_buf_take(b, &len);
	if (p == NULL)
		return sp_http_reply(res, status, type, "", 0);
	set_body(res, status, type, p, len);
	return 0;
}

static int dump_put(const char *p, size_t n, void *arg)
{
	struct sp_buf *out = arg;
	sp_buf_put(out, p, n);
	return out->err ? -1 : 0;
}

int sp_http_json_dump(json_t *j, struct sp_buf *out)
{
	int rc = j && json_dump_callback(j, dump_put, out, JSON_COMPACT | JSON_ENSURE_ASCII) == 0
			 ? 0
			 : SP_ERR_NOMEM;
	json_decref(j);
	return rc == 0 && out->err ? SP_ERR_NOMEM : rc;
}

int sp_http_reply_json(struct sp_http_resp *res, unsigned status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (text == NULL)
		return sp_http_reply_error(res, SP_ERR_NOMEM, NULL);
	size_t n = strlen(text);
	text[n] = '\n'; /* replaces the NUL: the body is bytes, with a final newline */
	int rc = sp_http_reply(res, status, "application/json", text, n + 1);
	free(text);
	return rc;
}

int sp_http_reply_error(struct sp_http_resp *res, int err, const char *fmt, ...)
{
	char msg[512];
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	} else {
		snprintf(msg, sizeof(msg), "%s", sp_strerror(err));
	}
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", sp_errname(err), "message", msg);
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	unsigned status = sp_http_status(err);
	int rc;
	if (text == NULL) {
		static const char oom[] =
			"{\"error\":{\"code\":\"SP_ERR_NOMEM\",\"message\":\"out of memory\"}}\n";
		rc = sp_http_reply(res, 500, "application/json", oom, sizeof(oom) - 1);
	} else {
		size_t n = strlen(text);
		text[n] = '\n';
		rc = sp_http_reply(res, status, "application/json", text, n + 1);
		free(text);
	}
	res->cache = "no-store";
	return rc;
}

void sp_http_cache(struct sp_http_resp *res, const char *cache_control)
{
	res->cache = cache_control;
}

void sp_http_link(struct sp_http_resp *res, const char *link)
{
	res->link = link;
}

/* ---- patterns ------------------------------------------------------------------ */

/* add_param records one matched variable (value copied). */
static int add_param(struct sp_http_rq *rq, const char *name, size_t nlen, const char *v,
		     size_t vlen)
{
	if (rq->nparams == SP_HTTP_MAX_PARAMS)
		return 0;
	char *copy = malloc(vlen + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, v, vlen);
	copy[vlen] = '\0';
	rq->pnames[rq->nparams] = name;
	rq->pname_len[rq->nparams] = nlen;
	rq->pvalues[rq->nparams++] = copy;
	return 1;
}

void sp_http_drop_params(struct sp_http_rq *rq)
{
	for (int i = 0; i < rq->nparams; i++)
		free(rq->pvalues[i]);
	rq->nparams = 0;
}

int sp_http_match(const char *pat, const char *path, struct sp_http_rq *rq)
{
	sp_http_drop_params(rq);
	while (*pat == '/' && *path == '/') {
		pat++;
		path++;
		size_t plen = strcspn(pat, "/"), slen = strcspn(path, "/");
		if (plen > 2 && pat[0] == '{' && pat[plen - 1] == '}') {
			int rest = plen > 5 && memcmp(pat + plen - 4, "...}", 4) == 0;
			size_t nlen = plen - 2 - (rest ? 3 : 0);
			if (rest) {
				size_t all = strlen(path);
				if (all == 0 || !add_param(rq, pat + 1, nlen, path, all))
					break;
				return 1;
			}
			if (slen == 0 || !add_param(rq, pat + 1, nlen, path, slen))
				break;
		} else if (plen != slen || memcmp(pat, path, plen) != 0) {
			break;
		}
		pat += plen;
		path += slen;
		if (*pat == '\0' && *path == '\0')
			return 1;
	}
	sp_http_drop_params(rq);
	return 0;
}

const char *sp_http_param(const struct sp_http_req *req, const char *name)
{
	const struct sp_http_rq *rq = (const struct sp_http_rq *)req;
	size_t n = strlen(name);
	for (int i = 0; i < rq->nparams; i++)
		if (rq->pname_len[i] == n && memcmp(rq->pnames[i], name, n) == 0)
			return rq->pvalues[i];
	return NULL;
}

const char *sp_http_query(const struct sp_http_req *req, const char *name)
{
	const struct sp_http_rq *rq = (const struct sp_http_rq *)req;
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sp_http_header(const struct sp_http_req *req, const char *name)
{
	const struct sp_http_rq *rq = (const struct sp_http_rq *)req;
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

struct sp_http_resp *sp_http_resp_of(struct sp_http_req *req)
{
	return &((struct sp_http_rq *)req)->res;
}

/* ---- gzip of large text answers ---------------------------------------------------------- */

/* coding_q: the q value (0..1000) the Accept-Encoding list gives coding,
 * directly or through "*"; -1 if it names neither. Items are
 * "coding[;q=N]" separated by commas (RFC 9110 §12.5.3). */
static int coding_q(const char *ae, const char *coding)
{
	int q_named = -1, q_star = -1;
	for (const char *p = ae; p && *p;) {
		p += strspn(p, " \t,");
		size_t tl = strcspn(p, " \t;,");
		if (tl == 0)
			break;
		const char *end = p + strcspn(p, ",");
		int q = 1000;
		const char *qs = memchr(p, ';', (size_t)(end - p));
		if (qs) {
			qs += 1 + strspn(qs + 1, " \t");
			if ((qs[0] == 'q' || qs[0] == 'Q') && qs[1] == '=')
				q = (int)(strtod(qs + 2, NULL) * 1000.0 + 0.5);
		}
		if (tl == strlen(coding) && strncasecmp(p, coding, tl) == 0)
			q_named = q;
		else if (tl == 1 && *p == '*')
			q_star = q;
		p = end;
	}
	return q_named >= 0 ? q_named : q_star;
}

int sp_http_accepts_gzip(const struct sp_http_req *req)
{
	const char *ae = sp_http_header(req, "Accept-Encoding");
	return ae != NULL && coding_q(ae, "gzip") > 0;
}

/* compressible: JSON, XML and text answers (binary ones, tiles and
 * attachments, are compressed already or do not gain). */
static int compressible(const char *type)
{
	return type && (strncmp(type, "application/json", 16) == 0 ||
			strncmp(type, "application/xml", 15) == 0 || strncmp(type, "text/", 5) == 0);
}

static int has_header(const struct sp_http_resp *res, const char *name)
{
	for (int i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->hname[i], name) == 0)
			return 1;
	return 0;
}

uint8_t *sp_http_gzip(const uint8_t *p, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, SP_HTTP_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	/* Room for len bytes only: an output that does not fit is not worth it. */
	uint8_t *out = malloc(len);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)len;
	if (out == NULL || deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= len) {
		free(out);
		out = NULL;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

void sp_http_compress(struct sp_http_rq *rq)
{
	struct sp_http_resp *res = &rq->res;
	if (res->len < SP_HTTP_GZIP_MIN || res->len > SP_HTTP_GZIP_MAX || !compressible(res->type) ||
	    has_header(res, "Content-Encoding") || res->nheaders + 2 > SP_HTTP_MAX_HEADERS)
		return;
	/* The answer depends on Accept-Encoding whether compressed or not. */
	if (!has_header(res, "Vary"))
		sp_http_header_add(res, "Vary", "Accept-Encoding");
	if (!sp_http_accepts_gzip(&rq->pub))
		return;
	size_t n;
	uint8_t *gz = sp_http_gzip(res->body, res->len, &n);
	if (gz == NULL)
		return;
	free(res->body);
	res->body = gz;
	res->len = n;
	sp_http_header_add(res, "Content-Encoding", "gzip");
}

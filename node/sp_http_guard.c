/*
 * sp_http_guard.c - what keeps one client from taking the HTTP server
 * down or confusing it: a deadline for the request head (slow-header
 * clients are cut off however slowly they trickle bytes, which MHD's idle
 * timeout alone cannot do), strict request framing, and a bound on the
 * JSON a body may make the parser build.
 *
 * The deadline: every connection is tracked from MHD's connection
 * notifications; a watcher thread shuts down (shutdown(2), never close:
 * MHD owns the descriptor) the socket of any connection that has waited
 * longer than head_timeout_s for a complete request head. MHD then sees
 * the end of the stream and closes it. MHD notifies CLOSED before it
 * closes the descriptor, and both sides hold guard_mu, so the watcher never
 * touches a descriptor that was closed and reused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "sp_clock.h"
#include "sp_err.h"
#include "sp_http_int.h"

struct sp_http_conn {
	struct sp_http_conn *prev, *next;
	int fd;
	int in_head;       /* waiting for (the rest of) a request head */
	int cut;           /* shut down by the watcher */
	uint64_t since_ms; /* when it began waiting */
};

void sp_http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct sp_http *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct sp_http_conn *t = calloc(1, sizeof(*t));
		if (t == NULL || ci == NULL) {
			free(t);
			return; /* untracked: MHD's idle timeout still applies */
		}
		t->fd = ci->connect_fd;
		t->in_head = 1;
		t->since_ms = sp_mono_ms();
		pthread_mutex_lock(&h->guard_mu);
		t->next = h->conns;
		if (h->conns)
			h->conns->prev = t;
		h->conns = t;
		pthread_mutex_unlock(&h->guard_mu);
		*socket_context = t;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		struct sp_http_conn *t = *socket_context;
		pthread_mutex_lock(&h->guard_mu);
		if (t->prev)
			t->prev->next = t->next;
		else
			h->conns = t->next;
		if (t->next)
			t->next->prev = t->prev;
		pthread_mutex_unlock(&h->guard_mu);
		free(t);
		*socket_context = NULL;
	}
}

/* conn_of: the tracking record of connection c, or NULL. */
static struct sp_http_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

void sp_http_guard_head(struct sp_http *h, struct MHD_Connection *c, int waiting)
{
	struct sp_http_conn *t = conn_of(c);
	if (t == NULL)
		return;
	pthread_mutex_lock(&h->guard_mu);
	t->in_head = waiting;
	t->since_ms = sp_mono_ms();
	pthread_mutex_unlock(&h->guard_mu);
}

static void *watch(void *arg)
{
	struct sp_http *h = arg;
	uint64_t limit = (uint64_t)h->o.head_timeout_s * 1000;
	pthread_mutex_lock(&h->guard_mu);
	while (!h->guard_stop) {
		struct timespec ts;
		sp_clock_after(250, &ts);
		pthread_cond_timedwait(&h->guard_cv, &h->guard_mu, &ts);
		uint64_t now = sp_mono_ms();
		unsigned cut = 0;
		for (struct sp_http_conn *t = h->conns; t; t = t->next) {
			if (!t->in_head || t->cut || now - t->since_ms < limit)
				continue;
			t->cut = 1;
			shutdown(t->fd, SHUT_RDWR);
			cut++;
		}
		if (cut) {
			h->head_cut += cut;
			sp_logx(h->o.log, SP_LOGX_INFO, "http",
				"closed connections without a request head in %u s count=%u",
				h->o.head_timeout_s, cut);
		}
	}
	pthread_mutex_unlock(&h->guard_mu);
	return NULL;
}

int sp_http_guard_start(struct sp_http *h)
{
	if (h->o.head_timeout_s == 0)
		return 0;
	if (pthread_create(&h->guard_thread, NULL, watch, h) != 0)
		return SP_ERR_NOMEM;
	h->guard_running = 1;
	return 0;
}

void sp_http_guard_stop(struct sp_http *h)
{
	if (!h->guard_running)
		return;
	pthread_mutex_lock(&h->guard_mu);
	h->guard_stop = 1;
	pthread_cond_signal(&h->guard_cv);
	pthread_mutex_unlock(&h->guard_mu);
	pthread_join(h->guard_thread, NULL);
	h->guard_running = 0;
}

/* ---- framing ---------------------------------------------------------------------------- */

static const struct sp_http_early nul_path = {400, "NUL (%00) in the path"};
static const struct sp_http_early target_long = {
	414, "request target over " SP_HTTP_STR(SP_HTTP_MAX_TARGET) " bytes"};

void *sp_http_guard_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	/* Checked here, on the raw target, because MHD decodes %00 into a NUL
	 * that silently ends the path it hands over ("/checkpoint%00.txt"
	 * would be "/checkpoint"). */
	if (strlen(uri) > SP_HTTP_MAX_TARGET)
		return (void *)&target_long;
	size_t n = strcspn(uri, "?#");
	for (size_t i = 0; i + 2 < n; i++)
		if (uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0')
			return (void *)&nul_path;
	return NULL;
}

const struct sp_http_early *sp_http_guard_early(const void *con_cls)
{
	if (con_cls == &nul_path || con_cls == &target_long)
		return con_cls;
	return NULL;
}

const char *sp_http_guard_head_size(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci && ci->header_size > SP_HTTP_MAX_HEAD)
		return "request head over " SP_HTTP_STR(SP_HTTP_MAX_HEAD) " bytes";
	return NULL;
}

struct framing {
	const char *cl;
	int ncl, differ, te;
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	(void)kind;
	struct framing *f = cls;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->ncl++ && strcmp(f->cl, value ? value : "") != 0)
			f->differ = 1;
		f->cl = value ? value : "";
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->te = 1;
	}
	return MHD_YES;
}

const char *sp_http_guard_framing(struct MHD_Connection *c)
{
	struct framing f = {0};
	MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &f);
	if (f.ncl && f.te)
		return "both Content-Length and Transfer-Encoding";
	if (f.differ)
		return "Content-Length given twice, differently";
	return NULL;
}

int sp_http_json_type(const char *content_type)
{
	static const char want[] = "application/json";
	if (content_type == NULL || strncasecmp(content_type, want, sizeof(want) - 1) != 0)
		return 0;
	const char *p = content_type + sizeof(want) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == ';';
}

/* ---- JSON bounds ------------------------------------------------------------------------ */

int sp_http_json_bounded(const uint8_t *p, size_t n, unsigned max_depth, unsigned max_values)
{
	unsigned depth = 0, values = 1;
	int in_str = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		if (in_str) {
			if (ch == '\\')
				i++; /* the escaped byte cannot end the string */
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		switch (ch) {
		case '"':
			in_str = 1;
			break;
		case '{':
		case '[': /* a container is a value of its own */
			if (++depth > max_depth || ++values > max_values)
				return SP_ERR_HTTP_BAD_REQUEST;
			break;
		case ',':
			if (++values > max_values)
				return SP_ERR_HTTP_BAD_REQUEST;
			break;
		case '}':
		case ']':
			if (depth)
				depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

/*
 * sp_ctl.c - the control socket (see sp_ctl.h): accepts local connections
 * on the loop, reads one command line, writes hot backups on libuv's
 * thread pool.
 */
#include "sp_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sp_clock.h"
#include "sp_err.h"
#include "sp_files.h"

#define LINE_MAX_BYTES 64 /* longest command line */

struct ctl_client {
	uv_pipe_t pipe;
	struct sp_ctl *ctl;
	struct ctl_client *next;
	char line[LINE_MAX_BYTES];
	size_t len;
	uv_write_t wr;
	char reply[PATH_MAX + 512];
};

struct sp_ctl {
	struct sp_ctl_opts o;
	uv_pipe_t server;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client *clients;
	int open_handles; /* server + clients not yet closed */
	int closing;

	/* the backup in progress (one at a time) */
	int busy;
	uv_work_t work;
	struct ctl_client *waiting; /* gets the answer */
	char dir[PATH_MAX];
	int rc;
	char why[PATH_MAX + 64];
	uint64_t t0_ms;
};

/* ---- the backup (thread pool) ------------------------------------------------------ */

/* copy_into copies src (if set) into the backup folder as name. */
static int copy_into(struct sp_ctl *c, const char *src, const char *name, mode_t mode)
{
	char dst[PATH_MAX + 32];
	if (src == NULL || src[0] == '\0')
		return 0;
	snprintf(dst, sizeof(dst), "%s/%s", c->dir, name);
	int rc = sp_file_copy(src, dst, mode);
	if (rc)
		snprintf(c->why, sizeof(c->why), "copying %s", src);
	return rc;
}

static void backup_work(uv_work_t *w)
{
	struct sp_ctl *c = w->data;
	char store[PATH_MAX + 8];
	c->why[0] = '\0';
	c->rc = mkdir(c->dir, 0700) == 0 ? 0 : SP_ERR_IO;
	if (c->rc) {
		snprintf(c->why, sizeof(c->why), "making %s", c->dir);
		return;
	}
	snprintf(store, sizeof(store), "%s/store", c->dir);
	c->rc = sp_store_backup(c->o.store, store);
	if (c->rc)
		snprintf(c->why, sizeof(c->why), "writing the store's checkpoint");
	if (c->rc == 0)
		c->rc = copy_into(c, c->o.key_path, "node.key", 0600);
	if (c->rc == 0)
		c->rc = copy_into(c, c->o.conf_path, "simpuld.ini", 0600);
	if (c->rc == 0)
		c->rc = copy_into(c, c->o.seal_path, "seal.key", 0600);
	if (c->rc)
		sp_tree_remove(c->dir); /* nothing half-made is left to be taken for a backup */
}

/* ---- connections ----------------------------------------------------------------------- */

static void client_closed(uv_handle_t *h)
{
	struct ctl_client *cl = h->data;
	struct sp_ctl *c = cl->ctl;
	for (struct ctl_client **p = &c->clients; *p; p = &(*p)->next)
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	c->open_handles--;
	free(cl);
}

static void client_close(struct ctl_client *cl)
{
	if (!uv_is_closing((uv_handle_t *)&cl->pipe))
		uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

static void reply_written(uv_write_t *wr, int status)
{
	client_close(wr->data);
}

/* reply sends the answer line and closes the connection after it. */
static void reply(struct ctl_client *cl, const char *fmt, const char *a, const char *b)
{
	snprintf(cl->reply, sizeof(cl->reply), fmt, a, b);
	uv_buf_t buf = uv_buf_init(cl->reply, (unsigned)strlen(cl->reply));
	cl->wr.data = cl;
	if (uv_write(&cl->wr, (uv_stream_t *)&cl->pipe, &buf, 1, reply_written) != 0)
		client_close(cl);
}

static void reply_err(struct ctl_client *cl, int rc, const char *why)
{
	char text[PATH_MAX + 320];
	snprintf(text, sizeof(text), "%s%s%s", sp_strerror(rc), why[0] ? ": " : "", why);
	reply(cl, "error %s %s\n", sp_errname(rc), text);
}

static void backup_done(uv_work_t *w, int status)
{
	struct sp_ctl *c = w->data;
	struct ctl_client *cl = c->waiting;
	c->busy = 0;
	c->waiting = NULL;
	if (status != 0 && c->rc == 0)
		c->rc = SP_ERR_INTERNAL;
	if (c->rc) {
		sp_logx(c->o.log, SP_LOGX_ERROR, "ctl", "backup failed err=%s: %s", sp_errname(c->rc),
			c->why);
		reply_err(cl, c->rc, c->why);
		return;
	}
	sp_logx(c->o.log, SP_LOGX_INFO, "ctl", "backup written path=%s ms=%llu", c->dir,
		(unsigned long long)(sp_mono_ms() - c->t0_ms));
	reply(cl, "ok %s%s\n", c->dir, "");
}

static void backup_start(struct ctl_client *cl)
{
	struct sp_ctl *c = cl->ctl;
	if (c->busy) {
		reply_err(cl, SP_ERR_BUSY, "a backup is being written");
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (snprintf(c->dir, sizeof(c->dir), "%s/backup-%s-%03ld", c->o.data_dir, stamp,
		     ts.tv_nsec / 1000000) >= (int)sizeof(c->dir)) {
		reply_err(cl, SP_ERR_RANGE, "data folder path too long");
		return;
	}
	c->busy = 1;
	c->waiting = cl;
	c->t0_ms = sp_mono_ms();
	c->work.data = c;
	if (uv_queue_work(c->o.loop, &c->work, backup_work, backup_done) != 0) {
		c->busy = 0;
		c->waiting = NULL;
		reply_err(cl, SP_ERR_INTERNAL, "cannot queue the backup");
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ctl_client *cl = h->data;
	*buf = uv_buf_init(cl->line + cl->len, (unsigned)(sizeof(cl->line) - cl->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *cl = s->data;
	if (nread < 0) {
		client_close(cl);
		return;
	}
	cl->len += (size_t)nread;
	char *nl = memchr(cl->line, '\n', cl->len);
	if (nl == NULL) {
		if (cl->len == sizeof(cl->line))
			client_close(cl); /* no command is this long */
		return;
	}
	uv_read_stop(s);
	*nl = '\0';
	if (strcmp(cl->line, "backup") == 0)
		backup_start(cl);
	else
		reply_err(cl, SP_ERR_ARG, "unknown command (known: backup)");
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sp_ctl *c = server->data;
	if (status < 0 || c->closing)
		return;
	struct ctl_client *cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return;
	cl->ctl = c;
	uv_pipe_init(c->o.loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	cl->next = c->clients;
	c->clients = cl;
	c->open_handles++;
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read) != 0)
		client_close(cl);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void server_closed(uv_handle_t *h)
{
	struct sp_ctl *c = h->data;
	c->open_handles--;
}

int sp_ctl_start(const struct sp_ctl_opts *o, struct sp_ctl **out)
{
	*out = NULL;
	struct sp_ctl *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SP_ERR_NOMEM;
	c->o = *o;
	if (snprintf(c->path, sizeof(c->path), "%s/%s", o->data_dir, SP_CTL_SOCKET) >=
	    (int)sizeof(c->path)) {
		free(c);
		return SP_ERR_RANGE;
	}
	unlink(c->path);
	uv_pipe_init(o->loop, &c->server, 0);
	c->server.data = c;
	c->open_handles = 1;
	int rc = uv_pipe_bind(&c->server, c->path);
	if (rc == 0)
		rc = chmod(c->path, 0600) == 0 ? 0 : UV_EPERM;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&c->server, 8, on_connection);
	if (rc)
		sp_ctl_close(c);
	*out = c;
	return rc ? SP_ERR_IO : 0;
}

int sp_ctl_busy(const struct sp_ctl *c)
{
	return c != NULL && c->busy;
}

void sp_ctl_close(struct sp_ctl *c)
{
	if (c == NULL || c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->server, server_closed);
	for (struct ctl_client *cl = c->clients; cl; cl = cl->next)
		client_close(cl);
	unlink(c->path);
}

void sp_ctl_free(struct sp_ctl *c)
{
	free(c);
}

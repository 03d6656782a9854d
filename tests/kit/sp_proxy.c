/*
 * sp_proxy.c - the test TCP proxy (see sp_proxy.h): one thread, poll()
 * over a control pipe, the listener and each forwarded connection; per
 * direction one buffer of pending bytes, so a slow reader on one side
 * pauses reading on the other (no unbounded buffering, no blocking).
 */
#include "sp_proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "sp_err.h"

#define PX_LINKS 64
#define PX_BUF 65536

/* One forwarded connection: fd[0] accepted, fd[1] to the target; buf[d]
 * holds bytes read from fd[d] not yet written to fd[1 - d]. */
struct px_link {
	int fd[2];
	size_t len[2], off[2];
	unsigned char buf[2][PX_BUF];
};

struct sp_proxy {
	int lfd, ctl[2], ack[2];
	unsigned port, target;
	int cut;
	atomic_ulong count;
	struct px_link *links[PX_LINKS];
	pthread_t thread;
};

static void px_close(struct sp_proxy *p, size_t i)
{
	close(p->links[i]->fd[0]);
	close(p->links[i]->fd[1]);
	free(p->links[i]);
	p->links[i] = NULL;
}

/* px_dial connects to the target; -1 if it cannot. */
static int px_dial(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* px_accept takes a new connection: forwarded, or closed while cut. */
static void px_accept(struct sp_proxy *p)
{
	int fd = accept(p->lfd, NULL, NULL);
	if (fd < 0)
		return;
	size_t i = 0;
	while (i < PX_LINKS && p->links[i])
		i++;
	int to = p->cut || i == PX_LINKS ? -1 : px_dial(p->target);
	struct px_link *l = to < 0 ? NULL : calloc(1, sizeof(*l));
	if (l == NULL) {
		if (to >= 0)
			close(to);
		close(fd);
		return;
	}
	l->fd[0] = fd;
	l->fd[1] = to;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	fcntl(to, F_SETFL, O_NONBLOCK);
	p->links[i] = l;
	atomic_fetch_add(&p->count, 1);
}

/* px_move reads from side d or writes what side 1-d sent; 0 if the link
 * is still up. */
static int px_move(struct px_link *l, int d, short rev)
{
	if (rev & (POLLERR | POLLNVAL))
		return -1;
	if ((rev & (POLLIN | POLLHUP)) && l->len[d] == 0) {
		ssize_t n = read(l->fd[d], l->buf[d], PX_BUF);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		l->len[d] = n > 0 ? (size_t)n : 0;
		l->off[d] = 0;
	}
	int o = 1 - d;
	if ((rev & POLLOUT) && l->len[o] > l->off[o]) {
		ssize_t n = write(l->fd[d], l->buf[o] + l->off[o], l->len[o] - l->off[o]);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		l->off[o] += n > 0 ? (size_t)n : 0;
		if (l->off[o] == l->len[o])
			l->len[o] = l->off[o] = 0;
	}
	return 0;
}

/* px_control applies one command from the control pipe; 1 to quit. */
static int px_control(struct sp_proxy *p)
{
	char c = 'q';
	if (read(p->ctl[0], &c, 1) != 1)
		c = 'q';
	if (c == 'c')
		for (size_t i = 0; i < PX_LINKS; i++)
			if (p->links[i])
				px_close(p, i);
	p->cut = c == 'c';
	if (c != 'q' && write(p->ack[1], &c, 1) != 1)
		return 1;
	return c == 'q';
}

static void *px_run(void *arg)
{
	struct sp_proxy *p = arg;
	struct pollfd fds[2 + 2 * PX_LINKS];
	for (;;) {
		fds[0] = (struct pollfd){.fd = p->ctl[0], .events = POLLIN};
		fds[1] = (struct pollfd){.fd = p->lfd, .events = POLLIN};
		for (size_t i = 0; i < PX_LINKS; i++)
			for (int d = 0; d < 2; d++) {
				struct px_link *l = p->links[i];
				struct pollfd *f = &fds[2 + 2 * i + (size_t)d];
				*f = (struct pollfd){.fd = -1};
				if (l == NULL)
					continue;
				f->fd = l->fd[d];
				f->events = (short)((l->len[d] == 0 ? POLLIN : 0) |
						    (l->len[1 - d] > 0 ? POLLOUT : 0));
			}
		if (poll(fds, 2 + 2 * PX_LINKS, -1) < 0 && errno != EINTR)
			break;
		if ((fds[0].revents & POLLIN) && px_control(p))
			break;
		if (fds[1].revents & POLLIN)
			px_accept(p);
		for (size_t i = 0; i < PX_LINKS; i++)
			for (int d = 0; d < 2 && p->links[i]; d++)
				if (fds[2 + 2 * i + (size_t)d].fd >= 0 &&
				    px_move(p->links[i], d, fds[2 + 2 * i + (size_t)d].revents))
					px_close(p, i);
	}
	for (size_t i = 0; i < PX_LINKS; i++)
		if (p->links[i])
			px_close(p, i);
	return NULL;
}

/* px_listen opens the listener on 127.0.0.1, a port of the kernel's. */
static int px_listen(struct sp_proxy *p)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(p->lfd, 64) != 0 || getsockname(p->lfd, (struct sockaddr *)&a, &al) != 0)
		return SP_ERR_IO;
	p->port = ntohs(a.sin_port);
	return 0;
}

int sp_proxy_start(unsigned target_port, struct sp_proxy **out)
{
	struct sp_proxy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return SP_ERR_NOMEM;
	p->lfd = p->ctl[0] = p->ctl[1] = p->ack[0] = p->ack[1] = -1;
	p->target = target_port;
	int rc = px_listen(p);
	if (rc == 0 && (pipe(p->ctl) != 0 || pipe(p->ack) != 0))
		rc = SP_ERR_IO;
	if (rc == 0 && pthread_create(&p->thread, NULL, px_run, p) != 0)
		rc = SP_ERR_IO;
	if (rc) {
		int fds[] = {p->lfd, p->ctl[0], p->ctl[1], p->ack[0], p->ack[1]};
		for (size_t i = 0; i < 5; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

unsigned sp_proxy_port(const struct sp_proxy *p)
{
	return p->port;
}

void sp_proxy_cut(struct sp_proxy *p, int cut)
{
	char c = cut ? 'c' : 'h';
	if (write(p->ctl[1], &c, 1) == 1 && read(p->ack[0], &c, 1) == 1)
		return;
}

unsigned long sp_proxy_count(struct sp_proxy *p)
{
	return atomic_load(&p->count);
}

void sp_proxy_free(struct sp_proxy *p)
{
	if (p == NULL)
		return;
	char c = 'q';
	if (write(p->ctl[1], &c, 1) == 1)
		pthread_join(p->thread, NULL);
	close(p->lfd);
	close(p->ctl[0]);
	close(p->ctl[1]);
	close(p->ack[0]);
	close(p->ack[1]);
	free(p);
}

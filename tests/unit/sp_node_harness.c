/*
 * sp_node_harness.c - processes, files and a raw HTTP client for the node
 * tests (see sp_node_harness.h).
 */
#include "sp_node_harness.h"

#include "sp_testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h> /* strncasecmp */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

void sp_h_bin(char *buf, size_t cap, const char *name)
{
	const char *dir = getenv("SP_BIN_DIR");
	if (dir == NULL)
		fail_msg("SP_BIN_DIR is not set (run the tests with ctest)");
	if (snprintf(buf, cap, "%s/%s", dir, name) >= (int)cap)
		fail_msg("binary path too long");
}

pid_t sp_h_spawn(const char *const *argv, const char *log_path)
{
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in < 0 || out < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int sp_h_wait(pid_t pid, int timeout_ms)
{
	for (int waited = 0;; waited += 10) {
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (w < 0)
			fail_msg("waitpid: %s", strerror(errno));
		if (waited >= timeout_ms)
			return -1;
		nap_ms(10);
	}
}

int sp_h_run(const char *const *argv, const char *out_path, int timeout_ms)
{
	pid_t pid = sp_h_spawn(argv, out_path);
	int code = sp_h_wait(pid, timeout_ms);
	if (code < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("%s did not finish in %d ms", argv[0], timeout_ms);
	}
	return code;
}

char *sp_h_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	for (;;) {
		if (n + 1024 + 1 > cap)
			p = realloc(p, cap *= 2);
		assert_non_null(p);
		size_t r = fread(p + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

int sp_h_wait_file(const char *path, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		struct stat st;
		if (stat(path, &st) == 0 && st.st_size > 0)
			return 0;
		nap_ms(10);
	}
	return -1;
}

int sp_h_wait_text(const char *path, const char *needle, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		char *text = sp_h_slurp(path, NULL);
		int found = text && strstr(text, needle);
		free(text);
		if (found)
			return 0;
		nap_ms(20);
	}
	return -1;
}

/* ---- HTTP ---------------------------------------------------------------------- */

static int dial(const char *addr)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
		fail_msg("bad address %s", addr);
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		fail_msg("bad address %s", addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the server may answer and close before reading it all */
		c += w;
		n -= (size_t)w;
	}
}

int sp_h_http(const char *addr, const char *method, const char *path, const char *extra,
	      const void *body, size_t len, struct sp_h_resp *r)
{
	memset(r, 0, sizeof(*r));
	int fd = dial(addr);
	if (fd < 0)
		return -1;
	char head[2048];
	int has_cl = extra && strstr(extra, "Content-Length:");
	int n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s",
			 method, path, addr, extra ? extra : "");
	if (!has_cl && (body || strcmp(method, "POST") == 0))
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n", len);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	send_all(fd, head, (size_t)n);
	if (body)
		send_all(fd, body, len);
	size_t cap = 65536, got = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		if (got + 4096 + 1 > cap)
			buf = realloc(buf, cap *= 2);
		assert_non_null(buf);
		ssize_t rd = recv(fd, buf + got, cap - got - 1, 0);
		if (rd <= 0)
			break;
		got += (size_t)rd;
	}
	close(fd);
	buf[got] = '\0';
	char *end = strstr(buf, "\r\n\r\n");
	if (end == NULL || sscanf(buf, "HTTP/1.1 %d", &r->status) != 1) {
		free(buf);
		return -1;
	}
	*end = '\0';
	r->head = buf;
	r->len = got - (size_t)(end + 4 - buf);
	r->body = malloc(r->len + 1);
	assert_non_null(r->body);
	memcpy(r->body, end + 4, r->len);
	r->body[r->len] = '\0';
	return 0;
}

const char *sp_h_header(const struct sp_h_resp *r, const char *name, char *buf, size_t cap)
{
	size_t nlen = strlen(name);
	for (const char *line = r->head; line && *line;) {
		const char *eol = strstr(line, "\r\n");
		size_t llen = eol ? (size_t)(eol - line) : strlen(line);
		if (llen > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
			const char *v = line + nlen + 1;
			while (*v == ' ')
				v++;
			snprintf(buf, cap, "%.*s", (int)(llen - (size_t)(v - line)), v);
			return buf;
		}
		line = eol ? eol + 2 : NULL;
	}
	return NULL;
}

void sp_h_resp_free(struct sp_h_resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/*
 * sp_node_harness.c - processes, files, a raw HTTP client and the
 * federation fixture for the node tests (see sp_node_harness.h).
 */
#define _GNU_SOURCE /* memmem */
#include "sp_node_harness.h"

#include "sp_testutil.h"

#include "sp_dir.h"
#include "sp_fedgen.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_store.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h> /* strncasecmp */
#include <sys/file.h> /* flock */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

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

int sp_h_take_port(char *addr, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(addr, cap, "127.0.0.1:%u", ntohs(sa.sin_port));
	return fd;
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

char *sp_h_simpul(const char *dir, int want, const char *const *args)
{
	char bin[PATH_MAX], out[PATH_MAX + 16];
	const char *argv[24] = {bin};
	size_t n = 1;
	sp_h_bin(bin, sizeof(bin), "simpul");
	while (args[n - 1] && n < 23) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	snprintf(out, sizeof(out), "%s/cli.out", dir);
	int code = sp_h_run(argv, out, 30000);
	char *text = sp_h_slurp(out, NULL);
	if (code != want)
		fail_msg("simpul %s: exit %d, want %d:\n%s", args[0], code, want, text);
	return text;
}

char *sp_h_slurp(const char *path, size_t *len)
{
	return sp_test_slurp(path, len);
}

static int holds_needle(const char *path, const struct sp_h_needle *needles, size_t n)
{
	size_t len;
	char *text = sp_h_slurp(path, &len);
	int found = 0;
	for (size_t i = 0; text && !found && i < n; i++)
		found = memmem(text, len, needles[i].bytes, needles[i].len) != NULL;
	free(text);
	return found;
}

int sp_h_find_in_tree(const char *root, const struct sp_h_needle *needles, size_t n,
		      char *found_in, size_t cap)
{
	struct stat st;
	if (lstat(root, &st) != 0)
		return -1;
	if (S_ISREG(st.st_mode)) {
		if (!holds_needle(root, needles, n))
			return 0;
		snprintf(found_in, cap, "%s", root);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	DIR *d = opendir(root);
	if (!d)
		return -1;
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", root, e->d_name) >= (int)sizeof(path))
			rc = -1;
		else
			rc = sp_h_find_in_tree(path, needles, n, found_in, cap);
	}
	closedir(d);
	return rc;
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

int sp_h_attach_scan(const char *path, struct sp_h_scan *out)
{
	static const char tag[] = "attach: start scan ";
	char *text = sp_h_slurp(path, NULL);
	if (text == NULL)
		return -1;
	int n = 0;
	const char *last = NULL;
	for (const char *p = text; (p = strstr(p, tag)); p++, n++)
		last = p;
	*out = (struct sp_h_scan){-1, -1, -1};
	const char *w = last ? strstr(last, " wanted=") : NULL;
	if (last && (sscanf(last, "attach: start scan entries=%lld skipped=%lld", &out->entries,
			    &out->skipped) != 2 ||
		     w == NULL || sscanf(w, " wanted=%lld", &out->wanted) != 1))
		fail_msg("start scan line not as expected: %.160s", last);
	free(text);
	return n;
}

void sp_h_attach_scan_wait(const char *path, int before, struct sp_h_scan *out, int timeout_ms)
{
	for (int waited = 0; sp_h_attach_scan(path, out) <= before; waited += 20) {
		if (waited > timeout_ms)
			fail_msg("no new attachment start scan line in %s within %d ms", path,
				 timeout_ms);
		nap_ms(20);
	}
}

/* ---- ports ----------------------------------------------------------------------- */

#define PORT_LO 20000    /* blocks of PORT_BLOCK ports from here ... */
#define PORT_HI 32000    /* ... to here, below the kernel's ephemeral ports (32768 up) */
#define PORT_BLOCK 200
#define PORT_LOCKS "/tmp/simpul-test-ports" /* shared by every build on the machine */

/* port_free: nothing listens on 127.0.0.1:port (bound as the nodes bind). */
static int port_free(unsigned port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int block_free(unsigned base)
{
	for (unsigned p = base; p < base + PORT_BLOCK; p++)
		if (!port_free(p))
			return 0;
	return 1;
}

unsigned sp_h_port_block(void)
{
	unsigned n = (PORT_HI - PORT_LO) / PORT_BLOCK, first = (unsigned)getpid() % n;
	char path[sizeof(PORT_LOCKS) + 16];
	mkdir(PORT_LOCKS, 0777);
	for (unsigned i = 0; i < n; i++) {
		unsigned base = PORT_LO + PORT_BLOCK * ((first + i) % n);
		snprintf(path, sizeof(path), "%s/%u", PORT_LOCKS, base);
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0)
			continue;
		/* the lock (and fd) is kept until this process exits */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && block_free(base))
			return base;
		close(fd);
	}
	fail_msg("no free block of %d ports between %d and %d", PORT_BLOCK, PORT_LO, PORT_HI);
	return 0;
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

char *sp_h_get(const char *addr, const char *path, size_t *len)
{
	struct sp_h_resp r;
	if (sp_h_http(addr, "GET", path, NULL, NULL, 0, &r) != 0)
		return NULL;
	char *body = NULL;
	if (r.status == 200) {
		body = r.body;
		r.body = NULL;
		if (len)
			*len = r.len;
	}
	sp_h_resp_free(&r);
	return body;
}

long long sp_h_metric(const char *addr, const char *line)
{
	char *m = sp_h_get(addr, "/metrics", NULL);
	long long v = -1;
	size_t n = strlen(line);
	for (const char *p = m; p && (p = strstr(p, line)) != NULL; p++)
		if ((p == m || p[-1] == '\n') && p[n] == ' ') {
			v = strtoll(p + n + 1, NULL, 10);
			break;
		}
	free(m);
	return v;
}

int sp_h_post_ready(const char *addr, const char *path, const char *extra, const void *body,
		    size_t len, struct sp_h_resp *r)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int rc = sp_h_http(addr, "POST", path, extra, body, len, r);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (rc != 0 || r->status != 503 || t.tv_sec - t0.tv_sec > 30)
			return rc;
		sp_h_resp_free(r);
		usleep(100000);
	}
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

/* ---- a federation and the node of 73.12 ---------------------------------------- */

void sp_h_fedgen(const char *scratch, const char *fed, unsigned port_base, char *root_vkey,
		 size_t cap)
{
	char bin[PATH_MAX], out[PATH_MAX + 16], path[PATH_MAX + 32], port[16], fmt[16];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(out, sizeof(out), "%s/fedgen.out", scratch);
	snprintf(port, sizeof(port), "%u", port_base);
	const char *argv[] = {bin, "federation", "init", "--wilayah", SP_WILAYAH, "--out", fed,
			      "--subset", "73", port_base ? "--port-base" : NULL, port, NULL};
	assert_int_equal(sp_h_run(argv, out, 60000), 0);
	snprintf(path, sizeof(path), "%s/federation.ini", fed);
	char *ini = sp_h_slurp(path, NULL);
	assert_non_null(ini);
	char *v = strstr(ini, "\nroot_vkey = ");
	assert_non_null(v);
	snprintf(fmt, sizeof(fmt), "%%%zus", cap - 1);
	sscanf(v + 13, fmt, root_vkey);
	free(ini);
}

void sp_h_fed_enrol(const struct sp_h_fed *f, const char *inst, const uint8_t pk[32],
		    const char *name)
{
	sp_h_dir_enrol(f->fed, inst, pk, name, SP_DIR_ROLE_PENGHUBUNG);
}

void sp_h_dir_append(const char *fed, const char *store, uint64_t type, const struct sp_buf *body)
{
	char path[PATH_MAX + 32], key[PATH_MAX + 32], origin[64];
	snprintf(path, sizeof(path), "%s/store", store ? store : fed);
	snprintf(key, sizeof(key), "%s/keys/%s.key", fed, SP_FEDGEN_COORDINATOR);
	snprintf(origin, sizeof(origin), "%s/%s", SP_FEDGEN_NAME, SP_FEDGEN_COORDINATOR);
	uint8_t csk[64], cpk[32];
	assert_int_equal(sp_keyfile_load(key, cpk, csk, NULL, 0), 0);
	struct sp_store_opts so = {.own_origin = origin, .own_sk = csk};
	struct sp_store *s;
	assert_int_equal(sp_store_open(path, &so, &s), 0);
	sodium_memzero(csk, sizeof(csk));
	assert_int_equal(body->err, 0);
	assert_int_equal(sp_store_append(s, type, body->p, body->len, NULL, NULL), 0);
	/* directory.entries and .checkpoint stay the coordinator's log, so its
	 * node (which starts from a copy of this store) accepts them. */
	if (store == NULL)
		assert_int_equal(sp_fedgen_export(s, fed, NULL), 0);
	sp_store_close(s);
}

void sp_h_dir_enrol(const char *fed, const char *inst, const uint8_t pk[32], const char *name,
		    enum sp_dir_role role)
{
	struct sp_dir_officer o = {.role = role, .action = SP_DIR_ENROL};
	snprintf(o.inst, sizeof(o.inst), "%s", inst);
	snprintf(o.name, sizeof(o.name), "%s", name);
	memcpy(o.key, pk, 32);
	struct sp_buf body;
	sp_buf_init(&body);
	assert_int_equal(sp_dir_officer_encode(&o, &body), 0);
	sp_h_dir_append(fed, NULL, SP_EV_OFFICER, &body);
	sp_buf_free(&body);
}

void sp_h_fed_config(const struct sp_h_fed *f, const char *ini, const char *data,
		     const char *directory)
{
	FILE *fp = fopen(ini, "w");
	assert_non_null(fp);
	fprintf(fp,
		"[node]\nid = 73.12\nfederation = simpul.local\nkey = %s/keys/73.12.key\n"
		"seal_key = %s/keys/73.12.seal\ndata = %s\n"
		"[http]\nlisten = 127.0.0.1:0\nrate_limit = 0\nmax_body_bytes = 65536\n"
		"[federation]\nroot_key = %s\ndirectory = %s\n"
		"[deadlines]\nescalate_s = 1\n"
		"[checkpoint]\ninterval_ms = 100\n",
		f->fed, f->fed, data, f->root_vkey, directory);
	fclose(fp);
}

void sp_h_fed_init(struct sp_h_fed *f, const char *name)
{
	sp_h_fed_init_ports(f, name, 0);
}

void sp_h_fed_init_ports(struct sp_h_fed *f, const char *name, unsigned port_base)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", sp_test_tmpdir(name));
	snprintf(f->fed, sizeof(f->fed), "%s/fed", f->dir);
	snprintf(f->ini, sizeof(f->ini), "%s/simpuld.ini", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/simpuld.log", f->dir);
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	snprintf(f->addr_file, sizeof(f->addr_file), "%s/simpuld.addr", f->data);
	f->bodies = json_array();
	sp_h_fedgen(f->dir, f->fed, port_base, f->root_vkey, sizeof(f->root_vkey));
	sp_h_fed_config(f, f->ini, f->data, f->fed);
}

void sp_h_fed_free(struct sp_h_fed *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
	json_decref(f->bodies);
	f->bodies = NULL;
}

void sp_h_fed_down(struct sp_h_fed *f)
{
	sp_h_fedup(f->fed, f->dir, NULL, "down", NULL);
	sp_h_fed_free(f);
}

void sp_h_fed_start(struct sp_h_fed *f)
{
	char bin[PATH_MAX];
	sp_h_bin(bin, sizeof(bin), "simpuld");
	unlink(f->addr_file);
	const char *argv[] = {bin, "--config", f->ini, NULL};
	f->pid = sp_h_spawn(argv, f->log);
	if (sp_h_wait_file(f->addr_file, 15000) != 0) {
		char *log = sp_h_slurp(f->log, NULL);
		fail_msg("simpuld did not start; its log:\n%s", log ? log : "(none)");
	}
	char *a = sp_h_slurp(f->addr_file, NULL);
	assert_non_null(a);
	sscanf(a, "%63s", f->addr);
	free(a);
}

void sp_h_fed_stop(struct sp_h_fed *f)
{
	kill(f->pid, SIGTERM);
	int code = sp_h_wait(f->pid, 15000);
	if (code < 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	f->pid = 0;
	assert_int_equal(code, 0);
}

json_t *sp_h_call(struct sp_h_fed *f, const char *method, const char *path, const char *type,
		  const void *body, size_t len, int want)
{
	struct sp_h_resp r;
	char extra[160];
	snprintf(extra, sizeof(extra), "Content-Type: %s\r\n", type ? type : "");
	assert_int_equal(sp_h_http(f->addr, method, path, type ? extra : NULL, body, len, &r), 0);
	if (r.status != want)
		fail_msg("%s %s: status %d, want %d: %.500s", method, path, r.status, want, r.body);
	json_array_append_new(f->bodies, json_stringn(r.body, r.len));
	json_t *j = json_loads(r.body, 0, NULL);
	sp_h_resp_free(&r);
	return j;
}

void sp_h_call_err(struct sp_h_fed *f, const char *method, const char *path, const char *type,
		   const void *body, size_t len, int want, const char *code)
{
	json_t *j = sp_h_call(f, method, path, type, body, len, want);
	assert_non_null(j);
	const char *got = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
	if (got == NULL || strcmp(got, code) != 0)
		fail_msg("%s %s: error %s, want %s", method, path, got ? got : "(none)", code);
	json_decref(j);
}

long long sp_h_own_size(struct sp_h_fed *f)
{
	json_t *s = sp_h_call(f, "GET", "/v1/status", NULL, NULL, 0, 200);
	json_int_t n = json_integer_value(json_object_get(json_object_get(s, "own_log"), "size"));
	json_decref(s);
	return (long long)n;
}

/* ---- `simpul federation up` ---------------------------------------------------------- */

int sp_h_fedup(const char *fed, const char *scratch, char **out, const char *a1, const char *a2)
{
	static int runs;
	char bin[PATH_MAX], path[2 * PATH_MAX];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(path, sizeof(path), "%s/simpul.%d.out", scratch, runs++);
	const char *argv[] = {bin, "federation", a1, "--dir", fed, a2, NULL};
	int code = sp_h_run(argv, path, 90000);
	char *text = sp_h_slurp(path, NULL);
	if (out)
		*out = text;
	else
		free(text);
	return code;
}

void sp_h_fedup_addr(const char *fed, const char *id, char *out, size_t cap)
{
	char path[2 * PATH_MAX];
	snprintf(path, sizeof(path), "%s/nodes/%s/data/simpuld.addr", fed, id);
	char *s = sp_h_slurp(path, NULL);
	assert_non_null(s);
	snprintf(out, cap, "%.*s", (int)strcspn(s, " \n"), s);
	free(s);
}

/* ---- one simpuld of a test's own making ------------------------------------------ */

void sp_h_node_init(struct sp_h_node *n, const char *id, const char *dir)
{
	memset(n, 0, sizeof(*n));
	n->id = id;
	snprintf(n->dir, sizeof(n->dir), "%s", dir);
	snprintf(n->ini, sizeof(n->ini), "%s/simpuld.ini", n->dir);
	snprintf(n->log, sizeof(n->log), "%s/simpuld.log", n->dir);
	snprintf(n->data, sizeof(n->data), "%s/data", n->dir);
	assert_int_equal(mkdir(n->dir, 0700), 0);
}

void sp_h_node_fill(const struct sp_h_node *n, const char *fed, int count, const char *text)
{
	char bin[PATH_MAX], store[PATH_MAX + 16], key[PATH_MAX + 64], out[PATH_MAX + 16],
		origin[96], cnt[16];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(store, sizeof(store), "%s/store", n->data);
	snprintf(key, sizeof(key), "%s/keys/%s.key", fed, n->id);
	snprintf(out, sizeof(out), "%s/fill.out", n->dir);
	snprintf(origin, sizeof(origin), "%s/%s", SP_FEDGEN_NAME, n->id);
	snprintf(cnt, sizeof(cnt), "%d", count);
	mkdir(n->data, 0700); /* the node makes it too; here the CLI comes first */
	const char *argv[] = {bin,    "log",  "append", "--data", store, "--key", key, "--origin",
			      origin, "--count", cnt,    "--text", text,  NULL};
	assert_int_equal(sp_h_run(argv, out, 60000), 0);
}

void sp_h_node_config(const struct sp_h_node *n, const char *fed, const char *root_vkey,
		      const char *peer)
{
	FILE *f = fopen(n->ini, "w");
	assert_non_null(f);
	fprintf(f, "[node]\nid = %s\nfederation = %s\ndata = %s\nlog_level = debug\n", n->id,
		SP_FEDGEN_NAME, n->data);
	fprintf(f, "key = %s/keys/%s.key\nseal_key = %s/keys/%s.seal\n", fed, n->id, fed, n->id);
	fprintf(f, "[http]\nlisten = 127.0.0.1:0\nrate_limit = 0\n[peer]\n%s", peer);
	fprintf(f, "[federation]\nroot_key = %s\ndirectory = %s\n", root_vkey, fed);
	fprintf(f, "[checkpoint]\ninterval_ms = 100\n");
	fclose(f);
}

/* read_word reads the first word of a file into out. */
static void read_word(const char *path, char *out, size_t cap)
{
	char *s = sp_h_slurp(path, NULL);
	assert_non_null(s);
	char fmt[16];
	snprintf(fmt, sizeof(fmt), "%%%zus", cap - 1);
	sscanf(s, fmt, out);
	free(s);
}

void sp_h_node_start(struct sp_h_node *n, int listen)
{
	char bin[PATH_MAX], addr_file[PATH_MAX + 32], peer_file[PATH_MAX + 32];
	sp_h_bin(bin, sizeof(bin), "simpuld");
	snprintf(addr_file, sizeof(addr_file), "%s/simpuld.addr", n->data);
	snprintf(peer_file, sizeof(peer_file), "%s/simpuld.peer", n->data);
	unlink(addr_file);
	unlink(peer_file);
	const char *argv[] = {bin, "--config", n->ini, NULL};
	n->pid = sp_h_spawn(argv, n->log);
	if (sp_h_wait_file(addr_file, 15000) != 0 ||
	    (listen && sp_h_wait_file(peer_file, 15000) != 0)) {
		char *log = sp_h_slurp(n->log, NULL);
		fail_msg("simpuld %s did not start; its log:\n%s", n->id, log ? log : "(none)");
	}
	read_word(addr_file, n->addr, sizeof(n->addr));
	if (listen)
		read_word(peer_file, n->peer_url, sizeof(n->peer_url));
}

void sp_h_node_stop(struct sp_h_node *n)
{
	if (n->pid <= 0)
		return;
	kill(n->pid, SIGTERM);
	int code = sp_h_wait(n->pid, 15000);
	if (code < 0) {
		kill(n->pid, SIGKILL);
		waitpid(n->pid, NULL, 0);
	}
	n->pid = 0;
	assert_int_equal(code, 0);
}

void sp_h_node_kill(struct sp_h_node *n)
{
	if (n->pid <= 0)
		return;
	kill(n->pid, SIGKILL);
	waitpid(n->pid, NULL, 0);
	n->pid = 0;
}

/*
 * simpul_federation_up.c - `simpul federation up|down|status|kill|start`:
 * a real local federation on loopback. Each institution chosen runs its
 * own simpuld process with its own data folder, on the peer and HTTP ports
 * the generated directory gives it (sp_fedgen), dialing its nearest
 * running ancestor in the tier tree and the national coordinator.
 *
 * Layout, inside the federation folder DIR (`simpul federation init`):
 *
 *   nodes/<ID>/simpuld.ini   the node's config (written by `up`)
 *   nodes/<ID>/data/         its store; the coordinator's starts as a
 *                            copy of DIR/store (its own log is the directory)
 *   nodes/<ID>/simpuld.log   what simpuld printed
 *   nodes/<ID>/simpuld.pid   its process id while it runs
 *
 * The nodes/ folders are the federation's node set: down, status, kill and
 * start work on them, from any later invocation.
 */
#include "simpul.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "sp_err.h"
#include "sp_event.h"
#include "sp_fedgen.h"
#include "sp_files.h"

#define FU_DEFAULT_NODES "KEMENPANRB,KEMENPU,73,73.12,73.11"
#define FU_MAX_NODES 128
#define FU_START_MS 30000 /* a node must have written its address by then */
#define FU_STOP_MS 20000  /* SIGTERM, then SIGKILL after this */
#define FU_PATH (PATH_MAX + 64)

/* What `up` needs of one institution from federation.ini. */
struct fu_inst {
	char id[SP_INST_ID_MAX + 1];
	char parent[SP_INST_ID_MAX + 1];
	char peer[96];  /* tcp://127.0.0.1:P */
	char http[96];  /* http://127.0.0.1:H */
};

/* A federation folder and its description. */
struct fu_fed {
	char dir[PATH_MAX];
	char *ini;      /* federation.ini, NUL-terminated */
	char name[128], coordinator[SP_INST_ID_MAX + 1], vkey[300];
	char escalate_s[16]; /* [federation] escalate_s, "" if not set */
	char bin[PATH_MAX]; /* the simpuld next to this executable */
};

static uint64_t fu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- federation.ini ------------------------------------------------------------------ */

/* ini_get copies `key`'s value from the section starting at sec (up to the
 * next section) into out; 0, or SP_ERR_NOT_FOUND. */
static int ini_get(const char *sec, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *l = strchr(sec, '\n'); l && l[1] && l[1] != '['; l = strchr(l + 1, '\n')) {
		if (strncmp(l + 1, key, kl) != 0 || strncmp(l + 1 + kl, " = ", 3) != 0)
			continue;
		const char *v = l + 1 + kl + 3;
		snprintf(out, cap, "%.*s", (int)strcspn(v, "\n"), v);
		return 0;
	}
	return SP_ERR_NOT_FOUND;
}

static const char *ini_section(const struct fu_fed *f, const char *name)
{
	char head[SP_INST_ID_MAX + 32];
	snprintf(head, sizeof(head), "\n[%s]\n", name);
	const char *s = strstr(f->ini, head);
	return s ? s + 1 : NULL;
}

static int inst_get(const struct fu_fed *f, const char *id, struct fu_inst *in)
{
	char sec[SP_INST_ID_MAX + 16];
	snprintf(sec, sizeof(sec), "institution %s", id);
	const char *s = ini_section(f, sec);
	memset(in, 0, sizeof(*in));
	snprintf(in->id, sizeof(in->id), "%s", id);
	if (s == NULL || ini_get(s, "peer", in->peer, sizeof(in->peer)) ||
	    ini_get(s, "http", in->http, sizeof(in->http)))
		return SP_ERR_NOT_FOUND;
	ini_get(s, "parent", in->parent, sizeof(in->parent));
	return 0;
}

/* fed_open reads DIR/federation.ini and finds simpuld. */
static int fed_open(struct fu_fed *f, const char *dir)
{
	memset(f, 0, sizeof(*f));
	if (realpath(dir, f->dir) == NULL)
		return simpul_fail(SP_ERR_NOT_FOUND, "%s", dir);
	char path[FU_PATH];
	snprintf(path, sizeof(path), "%s/federation.ini", f->dir);
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_file_read(path, 64u << 20, &b);
	sp_buf_put(&b, "", 1);
	if (rc || b.err) {
		sp_buf_free(&b);
		return simpul_fail(rc ? rc : SP_ERR_NOMEM, "%s", path);
	}
	f->ini = (char *)b.p;
	const char *s = ini_section(f, "federation");
	if (s == NULL || ini_get(s, "name", f->name, sizeof(f->name)) ||
	    ini_get(s, "coordinator", f->coordinator, sizeof(f->coordinator)) ||
	    ini_get(s, "root_vkey", f->vkey, sizeof(f->vkey)))
		return simpul_fail(SP_ERR_CONFIG, "%s: no [federation] name, coordinator, root_vkey",
				   path);
	ini_get(s, "escalate_s", f->escalate_s, sizeof(f->escalate_s)); /* optional */
	if (simpul_sibling("simpuld", f->bin, sizeof(f->bin)) != 0)
		return simpul_fail(SP_ERR_NOT_FOUND, "simpuld next to this executable");
	return 0;
}

static void fed_close(struct fu_fed *f)
{
	free(f->ini);
	f->ini = NULL;
}

/* ---- one node's files and process ------------------------------------------------------- */

static void node_path(const struct fu_fed *f, const char *id, const char *file, char *out,
		      size_t cap)
{
	int n = snprintf(out, cap, "%s/nodes/%s%s%s", f->dir, id, file[0] ? "/" : "", file);
	if (n < 0 || (size_t)n >= cap)
		out[0] = '\0'; /* too long: names nothing */
}

/* threads_left: how many threads of process pid still exist. A killed
 * multi-threaded simpuld shows its main thread as a zombie while the others
 * are still exiting, and its files (the store's lock) are closed only when
 * the last one is gone. */
static size_t threads_left(long pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	DIR *d = opendir(path);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* node_pid: the running simpuld of node id (its pid file names a live
 * simpuld: not a zombie whose threads have all exited), or 0. */
static pid_t node_pid(const struct fu_fed *f, const char *id)
{
	char path[FU_PATH], buf[512];
	node_path(f, id, "simpuld.pid", path, sizeof(path));
	FILE *fp = fopen(path, "r");
	long pid = 0;
	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = 0;
	fclose(fp);
	if (pid <= 0 || kill((pid_t)pid, 0) != 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fp = fopen(path, "r");
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	buf[n] = '\0';
	const char *close = strrchr(buf, ')');
	if (strstr(buf, "(simpuld)") == NULL || close == NULL || close[1] == '\0')
		return 0;
	if (close[2] == 'Z' && threads_left(pid) <= 1)
		return 0;
	return (pid_t)pid;
}

/* listed: node id has a folder, or is among ids (about to be started). */
static int listed(const struct fu_fed *f, const char *id, char ids[][SP_INST_ID_MAX + 1],
		  size_t n)
{
	char path[FU_PATH];
	node_path(f, id, "simpuld.ini", path, sizeof(path));
	int found = access(path, F_OK) == 0;
	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(ids[i], id) == 0;
	return found;
}

/* ancestor: the nearest listed ancestor of in, into out; 0 if found. */
static int ancestor(const struct fu_fed *f, const struct fu_inst *in,
		    char ids[][SP_INST_ID_MAX + 1], size_t n, struct fu_inst *out)
{
	struct fu_inst cur = *in;
	char parent[SP_INST_ID_MAX + 1];
	while (cur.parent[0] && strcpy(parent, cur.parent) && inst_get(f, parent, &cur) == 0)
		if (listed(f, cur.id, ids, n)) {
			*out = cur;
			return 0;
		}
	return SP_ERR_NOT_FOUND;
}

/* write_config writes nodes/<ID>/simpuld.ini: the directory's ports, the
 * peers to dial (nearest ancestor, coordinator), and federation.ini's
 * escalate_s if it has one. */
static int write_config(const struct fu_fed *f, const struct fu_inst *in, char ids[][SP_INST_ID_MAX + 1],
			size_t n)
{
	char peers[256] = "", path[FU_PATH];
	struct fu_inst up = {0}, co;
	if (ancestor(f, in, ids, n, &up) == 0)
		snprintf(peers, sizeof(peers), "%s", up.peer);
	if (strcmp(in->id, f->coordinator) != 0 && strcmp(up.id, f->coordinator) != 0 &&
	    listed(f, f->coordinator, ids, n) && inst_get(f, f->coordinator, &co) == 0)
		snprintf(peers + strlen(peers), sizeof(peers) - strlen(peers), " %s", co.peer);
	struct sp_buf b;
	sp_buf_init(&b);
	char line[FU_PATH * 2];
	int k = snprintf(line, sizeof(line),
			 "; written by `simpul federation up`\n[node]\nid = %s\nfederation = %s\n"
			 "key = %s/keys/%s.key\nseal_key = %s/keys/%s.seal\ndata = %s/nodes/%s/data\n",
			 in->id, f->name, f->dir, in->id, f->dir, in->id, f->dir, in->id);
	sp_buf_put(&b, line, (size_t)k);
	k = snprintf(line, sizeof(line),
		     "[http]\nlisten = %s\nrate_limit = 0\n[peer]\nlisten = %s\npeers = %s\n"
		     "[federation]\nroot_key = %s\ndirectory = %s\n[checkpoint]\ninterval_ms = 200\n",
		     in->http + 7, in->peer, peers, f->vkey, f->dir);
	sp_buf_put(&b, line, (size_t)k);
	if (f->escalate_s[0]) { /* simpuld checks the value */
		k = snprintf(line, sizeof(line), "[deadlines]\nescalate_s = %s\n", f->escalate_s);
		sp_buf_put(&b, line, (size_t)k);
	}
	node_path(f, in->id, "simpuld.ini", path, sizeof(path));
	int rc = b.err ? SP_ERR_NOMEM : sp_file_replace(path, b.p, b.len);
	sp_buf_free(&b);
	return rc;
}

/* seed_coordinator gives the coordinator's node a copy of the store
 * `federation init` wrote: its own log is the directory. */
static int seed_coordinator(const struct fu_fed *f)
{
	char src[FU_PATH], dst[FU_PATH];
	node_path(f, f->coordinator, "data/store", dst, sizeof(dst));
	if (access(dst, F_OK) == 0)
		return 0;
	snprintf(src, sizeof(src), "%s/store", f->dir);
	struct sp_store *s;
	int rc = simpul_open_ro(src, &s);
	if (rc)
		return rc;
	rc = sp_store_backup(s, dst);
	sp_store_close(s);
	return rc;
}

/* prepare makes the node folder and config (up). */
static int prepare(const struct fu_fed *f, const char *id, char ids[][SP_INST_ID_MAX + 1], size_t n)
{
	struct fu_inst in;
	char path[FU_PATH];
	if (inst_get(f, id, &in) != 0)
		return simpul_fail(SP_ERR_NOT_FOUND, "institution %s in %s/federation.ini", id,
				   f->dir);
	snprintf(path, sizeof(path), "%s/nodes", f->dir);
	mkdir(path, 0700);
	node_path(f, id, "", path, sizeof(path));
	mkdir(path, 0700);
	node_path(f, id, "data", path, sizeof(path));
	mkdir(path, 0700);
	int rc = write_config(f, &in, ids, n);
	if (rc == 0 && strcmp(id, f->coordinator) == 0)
		rc = seed_coordinator(f);
	return rc ? simpul_fail(rc, "node folder of %s", id) : 0;
}

/* spawn starts simpuld for node id in its own session, output to its log. */
static int spawn(const struct fu_fed *f, const char *id)
{
	char ini[FU_PATH], log[FU_PATH], pidf[FU_PATH], addr[FU_PATH];
	node_path(f, id, "simpuld.ini", ini, sizeof(ini));
	node_path(f, id, "simpuld.log", log, sizeof(log));
	node_path(f, id, "simpuld.pid", pidf, sizeof(pidf));
	node_path(f, id, "data/simpuld.addr", addr, sizeof(addr));
	unlink(addr);
	fflush(NULL);
	/* The child holds the write end of a close-on-exec pipe: the read
	 * returns at its exec (or exit), so the pid file never names a
	 * process that is not simpuld yet (node_pid would call it dead). */
	int ex[2];
	if (pipe(ex) != 0)
		return simpul_fail(SP_ERR_IO, "pipe");
	fcntl(ex[0], F_SETFD, FD_CLOEXEC);
	fcntl(ex[1], F_SETFD, FD_CLOEXEC);
	pid_t pid = fork();
	if (pid < 0) {
		close(ex[0]);
		close(ex[1]);
		return simpul_fail(SP_ERR_IO, "fork");
	}
	if (pid == 0) {
		close(ex[0]);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int in = open("/dev/null", O_RDONLY);
		if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		setsid();
		execl(f->bin, "simpuld", "--config", ini, (char *)NULL);
		_exit(127);
	}
	close(ex[1]);
	char b;
	while (read(ex[0], &b, 1) < 0 && errno == EINTR)
		;
	close(ex[0]);
	char line[32];
	int n = snprintf(line, sizeof(line), "%ld\n", (long)pid);
	int rc = sp_file_replace(pidf, line, (size_t)n);
	return rc ? simpul_fail(rc, "%s", pidf) : 0;
}

/* wait_up waits until node id wrote its HTTP address; prints a line. */
static int wait_up(const struct fu_fed *f, const char *id, uint64_t deadline)
{
	char addr[FU_PATH], log[FU_PATH];
	node_path(f, id, "data/simpuld.addr", addr, sizeof(addr));
	node_path(f, id, "simpuld.log", log, sizeof(log));
	struct fu_inst in;
	inst_get(f, id, &in);
	while (access(addr, F_OK) != 0) {
		if (fu_ms() > deadline || node_pid(f, id) == 0) {
			fprintf(stderr, "simpul: node %s did not start; see %s\n", id, log);
			return SIMPUL_FAIL;
		}
		usleep(20000);
	}
	printf("  %-12s up   pid %-7ld %s  peer %s\n", id, (long)node_pid(f, id), in.http, in.peer);
	return SIMPUL_OK;
}

/* gone waits until node id (pid) has exited, SIGKILLing it after
 * FU_STOP_MS; removes its pid file and prints a line. */
static void gone(const struct fu_fed *f, const char *id, pid_t pid, const char *what)
{
	char pidf[FU_PATH];
	node_path(f, id, "simpuld.pid", pidf, sizeof(pidf));
	uint64_t t0 = fu_ms();
	while (node_pid(f, id) != 0 && fu_ms() - t0 < FU_STOP_MS + 5000) {
		if (fu_ms() - t0 > FU_STOP_MS)
			kill(pid, SIGKILL);
		usleep(20000);
	}
	unlink(pidf);
	printf("  %-12s %s (pid %ld)\n", id, what, (long)pid);
}

/* ---- the node set --------------------------------------------------------------------- */

/* list_nodes reads the node folders (sorted); returns how many. */
static size_t list_nodes(const struct fu_fed *f, char ids[][SP_INST_ID_MAX + 1], size_t cap)
{
	char path[FU_PATH];
	snprintf(path, sizeof(path), "%s/nodes", f->dir);
	DIR *d = opendir(path);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL && n < cap) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l > SP_INST_ID_MAX)
			continue;
		memcpy(ids[n], e->d_name, l + 1);
		n++;
	}
	if (d)
		closedir(d);
	qsort(ids, n, sizeof(ids[0]), (int (*)(const void *, const void *))strcmp);
	return n;
}

/* split_ids splits a comma-separated list; returns how many. */
static size_t split_ids(const char *list, char ids[][SP_INST_ID_MAX + 1], size_t cap)
{
	size_t n = 0;
	for (const char *p = list; *p && n < cap;) {
		size_t l = strcspn(p, ", ");
		if (l > 0 && l <= SP_INST_ID_MAX)
			snprintf(ids[n++], SP_INST_ID_MAX + 1, "%.*s", (int)l, p);
		p += l;
		p += strspn(p, ", ");
	}
	return n;
}

/* ---- status ------------------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	sp_buf_put(arg, p, size * n);
	return size * n;
}

/* fetch GETs url into b (NUL-terminated); 0 on HTTP 200. */
static int fetch(const char *url, struct sp_buf *b)
{
	CURL *c = curl_easy_init();
	long status = 0;
	if (c == NULL)
		return SP_ERR_NOMEM;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	sp_buf_put(b, "", 1);
	return cc == CURLE_OK && status == 200 && !b->err ? 0 : SP_ERR_IO;
}

/* print_logs prints "logs N:" and each log's institution and size from the
 * node's /metrics. */
static void print_logs(const struct fu_fed *f, const char *metrics)
{
	static const char pre[] = "simpul_log_entries{origin=\"";
	size_t fl = strlen(f->name) + 1, n = 0;
	for (const char *p = metrics; (p = strstr(p, pre)) != NULL; p += sizeof(pre))
		n++;
	printf("  logs %zu:", n);
	for (const char *p = metrics; (p = strstr(p, pre)) != NULL; p += sizeof(pre)) {
		const char *o = p + sizeof(pre) - 1, *q = strchr(o, '"'), *v = strchr(o, '}');
		if (q == NULL || v == NULL)
			break;
		size_t skip = (size_t)(q - o) > fl ? fl : 0;
		printf(" %.*s=%llu", (int)(q - o - (long)skip), o + skip, strtoull(v + 1, NULL, 10));
	}
	printf("\n");
}

static void status_one(const struct fu_fed *f, const char *id)
{
	struct fu_inst in;
	pid_t pid = node_pid(f, id);
	if (inst_get(f, id, &in) != 0 || pid == 0) {
		printf("%-12s down\n", id);
		return;
	}
	char url[160];
	snprintf(url, sizeof(url), "%s/metrics", in.http);
	struct sp_buf b;
	sp_buf_init(&b);
	printf("%-12s up   pid %-7ld %s", id, (long)pid, in.http);
	if (fetch(url, &b) == 0)
		print_logs(f, (const char *)b.p);
	else
		printf("  (no answer)\n");
	sp_buf_free(&b);
}

/* ---- commands ------------------------------------------------------------------------- */

static void up_help(const char *cmd)
{
	printf("usage: %s --dir DIR [--wilayah FILE] [--subset CODE]... [--nodes ID,...]\n"
	       "       [--port-base N]\n"
	       "\n"
	       "Run a local federation on loopback: one simpuld per institution listed,\n"
	       "each with its own data folder (DIR/nodes/<ID>/) and the peer and HTTP\n"
	       "ports the directory gives it, dialing its nearest running ancestor in the\n"
	       "tier tree and the national coordinator. Generates the federation first\n"
	       "(as `simpul federation init`) if DIR holds none. Nodes already running\n"
	       "are left alone.\n"
	       "\n"
	       "options:\n"
	       "  -d, --dir DIR        the federation folder\n"
	       "  -w, --wilayah FILE   region list, to generate the federation\n"
	       "  -s, --subset CODE    with --wilayah: only this province (default 73)\n"
	       "  -n, --nodes ID,...   institutions to run (default\n"
	       "                       %s)\n"
	       "  -p, --port-base N    with --wilayah: loopback ports from N (default %d)\n"
	       "  -h, --help           show this help\n",
	       cmd, FU_DEFAULT_NODES, SP_FEDGEN_PORT_BASE);
}

/* generate runs sp_fedgen into dir when it holds no federation yet. */
static int generate(const char *dir, const char *wilayah, const char *const *subset, size_t ns,
		    unsigned port_base)
{
	char path[FU_PATH];
	snprintf(path, sizeof(path), "%s/federation.ini", dir);
	if (access(path, F_OK) == 0)
		return 0;
	if (wilayah == NULL)
		return simpul_usage("simpul federation up", "%s holds no federation: give --wilayah",
				    dir);
	static const char *const dflt[] = {"73"};
	struct sp_fedgen_opts o = {.wilayah = wilayah, .out = dir, .subset = ns ? subset : dflt,
				   .nsubset = ns ? ns : 1, .port_base = port_base};
	struct sp_fedgen_result res;
	char why[SP_FEDGEN_WHY] = "";
	int rc = sp_fedgen_run(&o, &res, why, sizeof(why));
	if (rc)
		return simpul_fail(rc, "federation init: %s", why);
	printf("generated federation %s in %s: %zu institutions\n", SP_FEDGEN_NAME, dir,
	       res.institutions);
	return 0;
}

static int up_run(const char *dir, const char *nodes)
{
	static char ids[FU_MAX_NODES][SP_INST_ID_MAX + 1];
	struct fu_fed f;
	if (fed_open(&f, dir) != 0)
		return SIMPUL_FAIL;
	size_t n = split_ids(nodes, ids, FU_MAX_NODES);
	int rc = SIMPUL_OK;
	for (size_t i = 0; i < n && rc == SIMPUL_OK; i++)
		if (node_pid(&f, ids[i]) == 0 && prepare(&f, ids[i], ids, n) != 0)
			rc = SIMPUL_FAIL;
	for (size_t i = 0; i < n && rc == SIMPUL_OK; i++)
		if (node_pid(&f, ids[i]) == 0 && spawn(&f, ids[i]) != 0)
			rc = SIMPUL_FAIL;
	printf("federation %s in %s:\n", f.name, f.dir);
	uint64_t deadline = fu_ms() + FU_START_MS;
	for (size_t i = 0; i < n && rc == SIMPUL_OK; i++)
		rc = wait_up(&f, ids[i], deadline);
	if (rc == SIMPUL_OK)
		printf("officers (enrolled; sign with 'simpul act' / 'simpul officer' --key FILE):\n"
		       "  admin              %s/keys/<ID>.admin.key   (coordinator: "
		       "%s/keys/" SP_FEDGEN_COORDINATOR ".admin.key)\n"
		       "  pejabat penghubung %s/keys/<ID>.officer.key\n",
		       f.dir, f.dir, f.dir);
	fed_close(&f);
	return rc;
}

int simpul_federation_up_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},    {"wilayah", required_argument, NULL, 'w'},
		{"subset", required_argument, NULL, 's'}, {"nodes", required_argument, NULL, 'n'},
		{"port-base", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *wilayah = NULL, *nodes = FU_DEFAULT_NODES;
	uint64_t port = 0;
	const char *subset[SP_FEDGEN_MAX_SUBSET];
	size_t ns = 0;
	int c;
	while ((c = getopt_long(argc, argv, "d:w:s:n:p:h", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'w')
			wilayah = optarg;
		else if (c == 's' && ns < SP_FEDGEN_MAX_SUBSET)
			subset[ns++] = optarg;
		else if (c == 'n')
			nodes = optarg;
		else if (c == 'p' && (simpul_parse_u64(optarg, &port) || port == 0 || port > 65535))
			return simpul_usage(argv[0], "--port-base '%s' is not a port", optarg);
		else if (c == 'p')
			continue;
		else if (c == 'h')
			return up_help(argv[0]), SIMPUL_OK;
		else
			return simpul_bad_option(argv[0]);
	}
	if (dir == NULL || optind != argc)
		return simpul_usage(argv[0], "--dir DIR is required, and nothing else");
	int rc = generate(dir, wilayah, subset, ns, (unsigned)port);
	return rc ? rc : up_run(dir, nodes);
}

/* node_cmd parses `CMD --dir DIR [NODE]` for down, status, kill, start. */
static int node_cmd(int argc, char **argv, int want_node, const char *what, struct fu_fed *f,
		    const char **node)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		if (c == 'd') {
			dir = optarg;
		} else if (c == 'h') {
			printf("usage: %s --dir DIR%s\n\n%s\n", argv[0], want_node ? " NODE" : "", what);
			return -1;
		} else {
			return simpul_bad_option(argv[0]);
		}
	}
	if (dir == NULL || argc - optind != want_node)
		return simpul_usage(argv[0], "--dir DIR%s is required", want_node ? " and NODE" : "");
	*node = want_node ? argv[optind] : NULL;
	return fed_open(f, dir) == 0 ? 0 : SIMPUL_FAIL;
}

/* node_known: NODE has a folder from `up`. */
static int node_known(const struct fu_fed *f, const char *id)
{
	char path[FU_PATH];
	node_path(f, id, "simpuld.ini", path, sizeof(path));
	if (strchr(id, '/') == NULL && access(path, F_OK) == 0)
		return 1;
	fprintf(stderr, "simpul: %s is not a node of %s (see `simpul federation status`)\n", id,
		f->dir);
	return 0;
}

int simpul_federation_down_main(int argc, char **argv)
{
	static char ids[FU_MAX_NODES][SP_INST_ID_MAX + 1];
	struct fu_fed f;
	const char *node;
	int rc = node_cmd(argc, argv, 0, "Stop every node of the local federation (SIGTERM).", &f,
			  &node);
	if (rc)
		return rc < 0 ? SIMPUL_OK : rc;
	static pid_t pids[FU_MAX_NODES];
	size_t n = list_nodes(&f, ids, FU_MAX_NODES);
	for (size_t i = 0; i < n; i++)
		if ((pids[i] = node_pid(&f, ids[i])) != 0)
			kill(pids[i], SIGTERM);
	for (size_t i = 0; i < n; i++)
		if (pids[i])
			gone(&f, ids[i], pids[i], "stopped");
	fed_close(&f);
	return SIMPUL_OK;
}

int simpul_federation_status_main(int argc, char **argv)
{
	static char ids[FU_MAX_NODES][SP_INST_ID_MAX + 1];
	struct fu_fed f;
	const char *node;
	int rc = node_cmd(argc, argv, 0,
			  "Show each node of the local federation: running or not, its HTTP\n"
			  "address, and the logs it holds with their sizes.",
			  &f, &node);
	if (rc)
		return rc < 0 ? SIMPUL_OK : rc;
	size_t n = list_nodes(&f, ids, FU_MAX_NODES);
	for (size_t i = 0; i < n; i++)
		status_one(&f, ids[i]);
	fed_close(&f);
	return SIMPUL_OK;
}

int simpul_federation_kill_main(int argc, char **argv)
{
	struct fu_fed f;
	const char *node;
	int rc = node_cmd(argc, argv, 1,
			  "Kill one node (SIGKILL: an outage, nothing flushed); `start` brings it\n"
			  "back with its data.",
			  &f, &node);
	if (rc)
		return rc < 0 ? SIMPUL_OK : rc;
	rc = node_known(&f, node) ? SIMPUL_OK : SIMPUL_FAIL;
	pid_t pid = rc ? 0 : node_pid(&f, node);
	if (pid) {
		kill(pid, SIGKILL);
		gone(&f, node, pid, "killed");
	} else if (rc == SIMPUL_OK) {
		printf("  %-12s not running\n", node);
	}
	fed_close(&f);
	return rc;
}

int simpul_federation_start_main(int argc, char **argv)
{
	struct fu_fed f;
	const char *node;
	int rc = node_cmd(argc, argv, 1, "Start one node of the local federation again.", &f,
			  &node);
	if (rc)
		return rc < 0 ? SIMPUL_OK : rc;
	rc = SIMPUL_FAIL;
	if (node_known(&f, node)) {
		rc = node_pid(&f, node) ? SIMPUL_OK : spawn(&f, node);
		if (rc == SIMPUL_OK)
			rc = wait_up(&f, node, fu_ms() + FU_START_MS);
	}
	fed_close(&f);
	return rc;
}

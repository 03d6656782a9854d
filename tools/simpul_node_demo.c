/*
 * simpul_node_demo.c - `simpul demo --node`: a real node in one command.
 *
 * In DIR (default ./simpul-node): generate a small federation once (the
 * ministries and agencies, province 73 and its kabupaten/kota, with
 * sp_fedgen), write a simpuld config for Kabupaten Soppeng (73.12) with its
 * signing key, seal key and the directory, start the simpuld found next to
 * this binary, submit sample complaints over the HTTP API (publik, anonim,
 * rahasia, and one at the "wrong door" that the rules route to KEMENSOS),
 * print them and where to look, and keep the node in the foreground until
 * SIGINT or SIGTERM, which are passed on to it. A second run reuses DIR.
 *
 * Signals are blocked and taken with sigtimedwait (no handler, no global
 * state); simpuld is started with the default mask again.
 */
#include "simpul.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sp_err.h"
#include "sp_fedgen.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_note.h"

#define ND_FEDERATION "demo.simpul.id"
#define ND_ID "73.12" /* Kabupaten Soppeng, Sulawesi Selatan (73) */
#define ND_START_MS 60000
#define ND_TICK_MS 100

extern char **environ;

struct nd {
	const char *dir, *http;
	char fed[PATH_MAX], ini[PATH_MAX], data[PATH_MAX], log[PATH_MAX], addr_file[PATH_MAX];
	char bin_dir[PATH_MAX]; /* folder of this executable ("" if unknown) */
	char url[96];           /* http://HOST:PORT once the node listens */
	pid_t pid;
	sigset_t sigs;  /* SIGINT, SIGTERM, SIGCHLD: blocked, taken by nd_tick */
	int stop_sig;   /* a stop signal passed on to simpuld (0: none) */
	int exited, code;
};

/* A sample complaint. The last one is about social aid: submitted here,
 * routed by the national rule to KEMENSOS ("no wrong door"). */
struct nd_sample {
	const char *visibility, *category, *region, *title, *content, *name, *contact;
};

static const struct nd_sample samples[] = {
	{"publik", "jalan", "73.12.03", "Jalan poros Cabenge berlubang",
	 "Jalan poros di Kelurahan Cabenge, Kecamatan Lilirilau, berlubang sejak tiga bulan; "
	 "dua pengendara motor sudah jatuh.",
	 NULL, NULL},
	{"anonim", "kesehatan", "73.12.04", "Puskesmas kehabisan obat hipertensi",
	 "Puskesmas Lalabata kehabisan obat hipertensi; pasien diminta membeli sendiri di apotek.",
	 "Warga Lalabata", "0812-0000-0001"},
	{"rahasia", "pelayanan-publik", "73.12.01", "Pungutan liar pengurusan KTP",
	 "Petugas kantor Kecamatan Marioriwawo meminta Rp50.000 untuk mempercepat KTP elektronik.",
	 "Pelapor", "pelapor@example.id"},
	{"publik", "bansos", "73.12.05", "Bantuan PKH belum cair",
	 "Bantuan PKH untuk keluarga kami di Desa Kaca, Kecamatan Marioriawa, belum cair enam "
	 "bulan.",
	 NULL, NULL},
};
#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

/* ---- folders and files ------------------------------------------------------------ */

static int nd_paths(struct nd *n, const char *dir, const char *http)
{
	n->dir = dir;
	n->http = http;
	n->pid = -1;
	if (snprintf(n->addr_file, sizeof(n->addr_file), "%s/data/simpuld.addr", dir) >=
	    (int)sizeof(n->addr_file))
		return simpul_usage("simpul demo", "--dir is too long");
	snprintf(n->fed, sizeof(n->fed), "%s/federation", dir);
	snprintf(n->ini, sizeof(n->ini), "%s/simpuld.ini", dir);
	snprintf(n->data, sizeof(n->data), "%s/data", dir);
	snprintf(n->log, sizeof(n->log), "%s/simpuld.log", dir);
	ssize_t len = readlink("/proc/self/exe", n->bin_dir, sizeof(n->bin_dir) - 1);
	n->bin_dir[len > 0 ? len : 0] = '\0';
	char *slash = strrchr(n->bin_dir, '/');
	if (slash)
		*slash = '\0';
	return SIMPUL_OK;
}

/* nd_wilayah finds the region list: the path given, else the repository's
 * copy next to a build tree (BIN/../../config), else an installed
 * one (BIN/../share/simpul). 0, or -1 if none is readable. */
static int nd_wilayah(const struct nd *n, const char *given, char *out, size_t cap)
{
	const char *const rel[] = {"../../config/wilayah.csv",
				   "../share/simpul/wilayah.csv"};
	snprintf(out, cap, "%s", given);
	for (size_t i = 0; access(out, R_OK) != 0; i++) {
		if (i == sizeof(rel) / sizeof(rel[0]) || n->bin_dir[0] == '\0' ||
		    snprintf(out, cap, "%s/%s", n->bin_dir, rel[i]) >= (int)cap)
			return -1;
	}
	return 0;
}

static int nd_federation(const struct nd *n, const char *wilayah)
{
	char path[PATH_MAX + 16], csv[PATH_MAX];
	snprintf(path, sizeof(path), "%s/federation.ini", n->fed);
	if (access(path, F_OK) == 0) {
		printf("1. reusing the federation %s in %s\n", ND_FEDERATION, n->fed);
		return SIMPUL_OK;
	}
	if (nd_wilayah(n, wilayah, csv, sizeof(csv)) != 0)
		return simpul_fail(SP_ERR_NOT_FOUND,
				   "region list %s (run from the repository, or give --wilayah FILE)",
				   wilayah);
	const char *subset[] = {"73"};
	struct sp_fedgen_opts o = {.wilayah = csv, .out = n->fed, .name = ND_FEDERATION,
				   .subset = subset, .nsubset = 1};
	struct sp_fedgen_result r;
	char why[SP_FEDGEN_WHY] = "";
	int rc = sp_fedgen_run(&o, &r, why, sizeof(why));
	if (rc)
		return simpul_fail(rc, "federation init: %s", why);
	printf("1. generated the federation %s in %s: %zu institutions, directory of %zu "
	       "entries (%zu routing rules)\n",
	       ND_FEDERATION, n->fed, r.institutions, r.entries, r.routes);
	return SIMPUL_OK;
}

/* nd_root_vkey gives the coordinator's verifier key, from its key file. */
static int nd_root_vkey(const struct nd *n, struct sp_buf *out)
{
	char path[PATH_MAX + 32], why[SP_KEYFILE_WHY];
	uint8_t pk[SP_KEY_BYTES];
	snprintf(path, sizeof(path), "%s/keys/%s.key", n->fed, SP_FEDGEN_COORDINATOR);
	int rc = sp_keyfile_load(path, pk, NULL, why, sizeof(why));
	if (rc)
		return simpul_fail(rc, "%s", why);
	struct sp_note_key k;
	rc = sp_note_key_init(&k, ND_FEDERATION "/" SP_FEDGEN_COORDINATOR, SP_NOTE_TYPE_ED25519,
			      pk);
	if (rc == 0)
		sp_note_vkey_format(&k, out);
	return rc || out->err ? simpul_fail(rc ? rc : out->err, "coordinator key") : SIMPUL_OK;
}

/* nd_config writes DIR/simpuld.ini on the first run (paths relative to it). */
static int nd_config(const struct nd *n)
{
	if (access(n->ini, F_OK) == 0) {
		printf("2. reusing the node config %s\n", n->ini);
		return SIMPUL_OK;
	}
	struct sp_buf vkey;
	sp_buf_init(&vkey);
	int ex = nd_root_vkey(n, &vkey);
	char text[2048];
	int len = snprintf(text, sizeof(text),
			   "; simpuld.ini - written by `simpul demo --node`: the node of Kabupaten\n"
			   "; Soppeng in the demo federation. Reference: docs/operations.md.\n\n"
			   "[node]\nid = " ND_ID "\nfederation = " ND_FEDERATION "\n"
			   "key = federation/keys/" ND_ID ".key\n"
			   "seal_key = federation/keys/" ND_ID ".seal\ndata = data\n\n"
			   "[http]\nlisten = %s\n\n"
			   "[federation]\nroot_key = %.*s\ndirectory = federation\n\n"
			   "[checkpoint]\ninterval_ms = 200\n",
			   n->http, (int)vkey.len, (const char *)vkey.p);
	int rc = ex || len < 0 || len >= (int)sizeof(text) ? SP_ERR_RANGE
							  : sp_file_replace(n->ini, text, (size_t)len);
	sp_buf_free(&vkey);
	if (ex)
		return ex;
	if (rc)
		return simpul_fail(rc, "writing %s", n->ini);
	printf("2. wrote the node config %s (institution " ND_ID ", Kabupaten Soppeng)\n", n->ini);
	return SIMPUL_OK;
}

/* ---- the simpuld process -------------------------------------------------------- */

/* nd_tick waits up to ms for a signal: a stop signal is passed on to
 * simpuld; then it notes whether simpuld has exited. */
static void nd_tick(struct nd *n, int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	int sig = sigtimedwait(&n->sigs, NULL, &ts);
	if ((sig == SIGINT || sig == SIGTERM) && !n->exited) {
		kill(n->pid, sig);
		n->stop_sig = sig;
	}
	int status;
	if (!n->exited && waitpid(n->pid, &status, WNOHANG) == n->pid) {
		n->exited = 1;
		n->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

static int nd_start(struct nd *n)
{
	char simpuld[PATH_MAX + 16];
	snprintf(simpuld, sizeof(simpuld), "%s/simpuld", n->bin_dir);
	if (n->bin_dir[0] == '\0' || access(simpuld, X_OK) != 0)
		snprintf(simpuld, sizeof(simpuld), "simpuld"); /* from the PATH */
	unlink(n->addr_file); /* left by a node that was killed */
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	char *argv[] = {simpuld, "--config", n->ini, "--http", (char *)n->http, NULL};
	fflush(stdout);
	int rc = posix_spawnp(&n->pid, simpuld, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		n->pid = -1;
		fprintf(stderr, "simpul: cannot run %s: %s\n", simpuld, strerror(rc));
		return SIMPUL_FAIL;
	}
	return SIMPUL_OK;
}

/* nd_wait_addr waits until simpuld has bound and written DATA/simpuld.addr. */
static int nd_wait_addr(struct nd *n)
{
	for (int waited = 0; waited < ND_START_MS; waited += ND_TICK_MS) {
		struct sp_buf b;
		sp_buf_init(&b);
		int rc = sp_file_read(n->addr_file, 80, &b);
		if (rc == 0 && b.len > 0 && b.err == 0) {
			snprintf(n->url, sizeof(n->url), "http://%.*s", (int)strcspn((char *)b.p, "\n"),
				 (const char *)b.p);
			sp_buf_free(&b);
			printf("3. started simpuld (pid %d): %s, its log %s\n", (int)n->pid, n->url,
			       n->log);
			return SIMPUL_OK;
		}
		sp_buf_free(&b);
		nd_tick(n, ND_TICK_MS);
		if (n->exited && n->stop_sig)
			return SIMPUL_OK; /* stopped before it listened, as asked */
		if (n->exited)
			break;
	}
	fprintf(stderr, "simpul: simpuld did not start (%s); its log: %s\n",
		n->exited ? "it exited" : "no address after 60 s", n->log);
	return SIMPUL_FAIL;
}

/* ---- the sample complaints -------------------------------------------------------- */

static const char *jget(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

/* nd_submit submits one sample; its report id goes into id (65 bytes). */
static int nd_submit(const struct nd *n, const struct nd_sample *s, char *id)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kind", "pengaduan", "visibility",
			      s->visibility, "category", s->category, "region", s->region, "title",
			      s->title, "content", s->content);
	if (o && s->name)
		json_object_set_new(o, "name", json_string(s->name));
	if (o && s->contact)
		json_object_set_new(o, "contact", json_string(s->contact));
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	json_t *r = body ? simpul_api_call(n->url, "POST", "/v1/reports", body, 201) : NULL;
	free(body);
	if (r == NULL)
		return SIMPUL_FAIL;
	snprintf(id, 65, "%s", jget(r, "report_id"));
	printf("   report %s %s %s %s -> %s (rule %s)\n          secret %s\n", id, s->visibility,
	       s->category, s->region, jget(r, "routed_to"), jget(r, "rule"),
	       jget(r, "tracking_secret"));
	json_decref(r);
	return SIMPUL_OK;
}

static int nd_samples(const struct nd *n, char ids[N_SAMPLES][65])
{
	printf("4. submitted %zu sample complaints to %s (publik, anonim, rahasia, and one\n"
	       "   about social aid, which the directory routes to KEMENSOS):\n",
	       N_SAMPLES, n->url);
	for (size_t i = 0; i < N_SAMPLES; i++)
		if (nd_submit(n, &samples[i], ids[i]) != SIMPUL_OK)
			return SIMPUL_FAIL;
	json_t *st = simpul_api_call(n->url, "GET", "/v1/stats", NULL, 200);
	printf("   %lld reports on this node in all\n",
	       (long long)json_integer_value(json_object_get(st, "total")));
	json_decref(st);
	return SIMPUL_OK;
}

/* nd_self writes how to call this simpul: ./relative/path when under the
 * working folder, else its full path (or just "simpul"). */
static void nd_self(const struct nd *n, char *out, size_t cap)
{
	char cwd[PATH_MAX];
	size_t cl = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
	if (n->bin_dir[0] == '\0')
		snprintf(out, cap, "simpul");
	else if (cl && strncmp(n->bin_dir, cwd, cl) == 0 && n->bin_dir[cl] == '/')
		snprintf(out, cap, ".%s/simpul", n->bin_dir + cl);
	else
		snprintf(out, cap, "%s/simpul", n->bin_dir);
}

static void nd_where(const struct nd *n, char ids[N_SAMPLES][65])
{
	char self[PATH_MAX + 16];
	nd_self(n, self, sizeof(self));
	printf("\nWhere to look (the node keeps running):\n"
	       "  %s/  %s/lacak?id=%s  %s/transparansi\n"
	       "      in a browser: file, track, and verify the log (docs/web.md)\n"
	       "  curl %s/v1/reports/%s\n"
	       "      the first report: its state and public trail\n"
	       "  curl %s/v1/reports/%s\n"
	       "      the social-aid report, held by KEMENSOS\n"
	       "  curl %s/v1/stats        reports by status and institution\n"
	       "  curl %s/metrics         Prometheus metrics\n"
	       "  curl %s/logs/" ND_ID "/checkpoint   the node's signed log (C2SP tlog-tiles)\n"
	       "  %s track --node %s %s\n"
	       "  %s act --node %s --key %s/keys/" ND_ID ".officer.key %s verifikasi\n"
	       "      act on it as Soppeng's enrolled pejabat penghubung (then tindak_lanjut\n"
	       "      --text T; the reporter closes with --secret SECRET ... selesai); its\n"
	       "      admin's key, for 'simpul officer', is %s/keys/" ND_ID ".admin.key\n"
	       "  tail -f %s\n"
	       "After Ctrl-C:\n"
	       "  %s log verify --data %s/store\n"
	       "  %s demo --node --dir %s      # the same node and data again\n"
	       "\nPress Ctrl-C to stop the node.\n",
	       n->url, n->url, ids[0], n->url, n->url, ids[0], n->url, ids[N_SAMPLES - 1], n->url,
	       n->url, n->url, self, n->url,
	       ids[0], self, n->url, n->fed, ids[0], n->fed, n->log, self, n->data, self, n->dir);
	fflush(stdout);
}

int simpul_node_demo(const char *dir, const char *http, const char *wilayah)
{
	struct nd n = {0};
	int ex = nd_paths(&n, dir, http);
	int rc = ex ? 0 : sp_mkdirs(dir, 0700);
	if (rc)
		return simpul_fail(rc, "creating %s", dir);
	if (ex == 0)
		ex = nd_federation(&n, wilayah);
	if (ex == 0)
		ex = nd_config(&n);
	if (ex)
		return ex;
	sigset_t old;
	sigemptyset(&n.sigs);
	sigaddset(&n.sigs, SIGINT);
	sigaddset(&n.sigs, SIGTERM);
	sigaddset(&n.sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &n.sigs, &old);
	char ids[N_SAMPLES][65];
	ex = nd_start(&n);
	if (ex == 0)
		ex = nd_wait_addr(&n);
	if (ex == 0 && !n.exited && !n.stop_sig)
		ex = nd_samples(&n, ids);
	if (ex == 0 && !n.exited && !n.stop_sig)
		nd_where(&n, ids);
	if (ex && n.pid > 0 && !n.exited)
		kill(n.pid, SIGTERM);
	while (n.pid > 0 && !n.exited)
		nd_tick(&n, 500);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ex == 0 && n.code != 0)
		ex = simpul_fail(SP_ERR_IO, "simpuld exited with code %d (its log: %s)", n.code,
				 n.log);
	if (ex == 0)
		printf("node stopped; its data is in %s\n", n.data);
	return ex;
}

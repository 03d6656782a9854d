/*
 * bench_index.c - simpul-bench-index: fills the store of a national
 * coordinator node (KEMENPANRB) with the logs of every institution of a
 * generated federation, as replication would have brought them, for
 * tools/bench/bench_index.sh (docs/BENCHMARKS.md, "The national node").
 *
 * The entries are signed here and stored through the store's own API
 * (sp_store_insert: every signature verified, as peer ingest does), not
 * submitted over HTTP: a million reports with their trails over HTTP
 * would take hours on the benchmark machine. What the node does with them
 * (its report index) is left to the node.
 *
 * The directory: `simpul federation init` signs the coordinator's
 * directory log now, but the trails span the past --days days and an
 * officer's acts count only after the officer's enrolment. So the
 * directory records are signed again here, with the same bodies, dated
 * before the trails, followed by one enrolled officer per institution,
 * as the node's own log (it is the coordinator), and written out as the
 * node's directory.entries/.checkpoint.
 *
 * The trails: reports are submitted at kabupaten/kota nodes (90%) and at
 * ministries and agencies (10%), spread evenly over the period, with a
 * mix of what then happens: nothing yet (10%), verified (15%), verified and
 * forwarded to the province, which verifies and answers some of them
 * (10%), verified and answered (45%), answered and closed by the reporter
 * (20%); every act a few hours to days after
 * the one before, and only if that is already in the past. Closing is
 * signed with the report's reporter key. Deterministic
 * for a given --seed.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_clock.h"
#include "sp_dir.h"
#include "sp_err.h"
#include "sp_fedgen.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_report.h"
#include "sp_store.h"

#define DAY_MS (24ull * 3600 * 1000)
#define HOUR_MS (3600ull * 1000)
#define BATCH 256

enum ev_kind { EV_SUB, EV_VERIFY, EV_FORWARD, EV_ANSWER, EV_CLOSE, EV_P_VERIFY, EV_P_ANSWER };

struct ev {
	uint64_t time;
	uint32_t report;
	uint8_t kind;
};

struct inst {
	struct sp_dir_inst d;
	int parent; /* index, -1 none */
	uint32_t log;
	uint8_t sk[64];
	uint8_t off_pk[32], off_sk[64];
	struct ev *ev;
	size_t n_ev, cap_ev;
	uint64_t size;
	uint8_t prev[32];
	uint64_t last_time;
};

struct rep {
	uint32_t inst;
	uint8_t cat, kind, kec;
	uint8_t id[32];
};

static struct {
	const char *fed, *data;
	uint64_t n_reports, days, seed;
	struct sp_store *s;
	struct sp_dir *dir;
	struct inst *insts;
	size_t n_insts, cap_insts;
	struct rep *reps;
	uint64_t now, t0;
	uint64_t entries;
} g;

static const char *const cats[] = {"jalan", "kesehatan", "pendidikan", "bansos",
				   "kependudukan", "perizinan", "lingkungan", "air-bersih"};

static void die(int rc, const char *what)
{
	fprintf(stderr, "simpul-bench-index: %s: %s\n", what, sp_strerror(rc));
	exit(1);
}

static uint64_t rnd(uint64_t *st)
{
	/* splitmix64: deterministic workload from --seed */
	uint64_t z = (*st += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* ---- the directory, dated before the trails ---------------------------------------- */

struct dirent_copy {
	uint64_t type;
	uint8_t *body;
	size_t len;
};

static struct dirent_copy *g_dents;
static size_t g_ndents, g_capdents;

static int copy_dirent(void *arg, uint64_t index, const uint8_t *buf, size_t len)
{
	struct sp_entry e;
	(void)arg;
	(void)index;
	if (sp_entry_decode(buf, len, &e) != 0)
		die(SP_ERR_CORRUPT, "directory entry");
	if (sp_grow((void **)&g_dents, &g_capdents, g_ndents, sizeof(*g_dents)))
		die(SP_ERR_NOMEM, "directory");
	g_dents[g_ndents].type = e.type;
	g_dents[g_ndents].body = malloc(e.body_len);
	memcpy(g_dents[g_ndents].body, e.body, e.body_len);
	g_dents[g_ndents++].len = e.body_len;
	return 0;
}

static void read_fed_directory(void)
{
	char path[PATH_MAX];
	struct sp_store *fs;
	struct sp_store_opts o = {.read_only = 1, .verify_threads = 1};
	uint32_t id;
	struct sp_log_info info;
	snprintf(path, sizeof(path), "%s/store", g.fed);
	int rc = sp_store_open(path, &o, &fs);
	if (rc == 0)
		rc = sp_store_log_find(fs, SP_FEDGEN_NAME "/" SP_FEDGEN_COORDINATOR, &id);
	if (rc == 0)
		rc = sp_store_log_info(fs, id, &info);
	if (rc == 0)
		rc = sp_store_scan(fs, id, 0, info.size, copy_dirent, NULL);
	if (rc)
		die(rc, "reading the federation's directory");
	sp_store_close(fs);
}

static void load_key(const char *id, uint8_t pk[32], uint8_t sk[64])
{
	char path[PATH_MAX];
	char why[256];
	snprintf(path, sizeof(path), "%s/keys/%s.key", g.fed, id);
	if (sp_keyfile_load(path, pk, sk, why, sizeof(why)) != 0) {
		fprintf(stderr, "simpul-bench-index: %s: %s\n", path, why);
		exit(1);
	}
}

/* The directory entries signed so far, stored in batches. */
static uint8_t *g_own[BATCH];
static size_t g_own_len[BATCH], g_n_own;

static void own_flush(void)
{
	size_t accepted = 0;
	int rc = g_n_own ? sp_store_own_insert(g.s, (const uint8_t *const *)g_own, g_own_len,
					       g_n_own, &accepted)
			 : 0;
	if (rc || accepted != g_n_own)
		die(rc ? rc : SP_ERR_RANGE, "directory entries");
	for (size_t i = 0; i < g_n_own; i++)
		free(g_own[i]);
	g_n_own = 0;
}

/* own_put signs body as the next own (directory) entry at time t. */
static void own_put(const uint8_t sk[64], uint64_t type, const uint8_t *body, size_t len,
		    uint64_t t, uint64_t *index, uint8_t prev[32])
{
	struct sp_entry e = {.version = SP_ENTRY_VERSION, .index = *index, .time_ms = t,
			     .type = type, .body = body, .body_len = len};
	uint8_t *buf;
	size_t blen;
	memcpy(e.prev, prev, 32);
	int rc = sp_entry_sign(&e, sk, &buf, &blen);
	if (rc)
		die(rc, "directory entry");
	/* a record the directory refuses is skipped, as every node skips it */
	(void)sp_dir_apply_entry(g.dir, buf, blen);
	sp_entry_hash(buf, blen, prev);
	(*index)++;
	g_own[g_n_own] = buf;
	g_own_len[g_n_own++] = blen;
	if (g_n_own == BATCH)
		own_flush();
}

static int add_inst(void *arg, const struct sp_dir_inst *d)
{
	(void)arg;
	if (sp_grow((void **)&g.insts, &g.cap_insts, g.n_insts, sizeof(*g.insts)))
		return SP_ERR_NOMEM;
	struct inst *in = &g.insts[g.n_insts++];
	memset(in, 0, sizeof(*in));
	in->d = *d;
	in->parent = -1;
	return 0;
}

/* officer_key: one officer per institution, from the seed and its id. */
static void officer_key(struct inst *in)
{
	uint8_t seed[32];
	char s[96];
	snprintf(s, sizeof(s), "%llu/%s", (unsigned long long)g.seed, in->d.id);
	crypto_generichash(seed, sizeof(seed), (const uint8_t *)s, strlen(s), NULL, 0);
	crypto_sign_seed_keypair(in->off_pk, in->off_sk, seed);
}

static void write_directory(void)
{
	uint8_t cpk[32], csk[64], prev[32] = {0};
	uint64_t index = 0, t = g.t0 - 2 * DAY_MS;
	load_key(SP_FEDGEN_COORDINATOR, cpk, csk);
	if (sp_dir_new(cpk, &g.dir) != 0)
		die(SP_ERR_NOMEM, "directory");
	sp_store_own_hold(g.s, 1);
	for (size_t i = 0; i < g_ndents; i++)
		own_put(csk, g_dents[i].type, g_dents[i].body, g_dents[i].len, t + i, &index, prev);
	if (sp_dir_each(g.dir, add_inst, NULL) != 0)
		die(SP_ERR_NOMEM, "institutions");
	t += g_ndents;
	for (size_t i = 0; i < g.n_insts; i++) {
		struct inst *in = &g.insts[i];
		struct sp_dir_officer o = {.role = SP_DIR_ROLE_PENGHUBUNG, .action = SP_DIR_ENROL};
		struct sp_buf b;
		officer_key(in);
		snprintf(o.inst, sizeof(o.inst), "%s", in->d.id);
		snprintf(o.name, sizeof(o.name), "Petugas %s", in->d.id);
		memcpy(o.key, in->off_pk, 32);
		sp_buf_init(&b);
		if (sp_dir_officer_encode(&o, &b) != 0 || b.err)
			die(SP_ERR_NOMEM, "officer");
		own_put(csk, SP_EV_OFFICER, b.p, b.len, t + i, &index, prev);
		sp_buf_free(&b);
	}
	own_flush();
	sp_store_own_hold(g.s, 0);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/directory", g.data);
	int rc = sp_fedgen_export(g.s, dir, NULL);
	if (rc)
		die(rc, "writing the directory");
	sodium_memzero(csk, sizeof(csk));
	printf("directory %zu records, %zu officers enrolled\n", g_ndents, g.n_insts);
}

/* ---- the replica logs and their trails -------------------------------------------------- */

static int inst_index(const char *id)
{
	for (size_t i = 0; i < g.n_insts; i++)
		if (strcmp(g.insts[i].d.id, id) == 0)
			return (int)i;
	return -1;
}

static void register_logs(void)
{
	for (size_t i = 0; i < g.n_insts; i++) {
		struct inst *in = &g.insts[i];
		uint8_t pk[32];
		char origin[SP_ORIGIN_MAX + 1];
		in->parent = in->d.parent[0] ? inst_index(in->d.parent) : -1;
		if (in->d.tier == SP_DIR_TIER_COORDINATOR)
			continue;
		load_key(in->d.id, pk, in->sk);
		snprintf(origin, sizeof(origin), SP_FEDGEN_NAME "/%s", in->d.id);
		int rc = sp_store_log_add(g.s, origin, pk, &in->log);
		if (rc)
			die(rc, origin);
	}
}

static void ev_add(int inst, uint32_t report, uint8_t kind, uint64_t t)
{
	struct inst *in = &g.insts[inst];
	if (t >= g.now)
		return;
	if (sp_grow((void **)&in->ev, &in->cap_ev, in->n_ev, sizeof(*in->ev)))
		die(SP_ERR_NOMEM, "events");
	in->ev[in->n_ev++] = (struct ev){t, report, kind};
}

/* plan draws every report and its trail. */
static void plan(void)
{
	int *kab = NULL, *min = NULL;
	size_t nk = 0, nm = 0, ck = 0, cm = 0;
	for (size_t i = 0; i < g.n_insts; i++) {
		int t = g.insts[i].d.tier, v = (int)i;
		if (t == SP_DIR_TIER_KABKOTA && sp_grow((void **)&kab, &ck, nk, sizeof(int)) == 0)
			kab[nk++] = v;
		if ((t == SP_DIR_TIER_MINISTRY || t == SP_DIR_TIER_AGENCY) &&
		    sp_grow((void **)&min, &cm, nm, sizeof(int)) == 0)
			min[nm++] = v;
	}
	if (nk == 0)
		die(SP_ERR_ARG, "no kabupaten/kota in the federation");
	uint64_t st = g.seed, span = g.now - g.t0 - HOUR_MS;
	g.reps = calloc(g.n_reports, sizeof(*g.reps));
	for (uint32_t r = 0; r < g.n_reports; r++) {
		struct rep *p = &g.reps[r];
		int at = nm && rnd(&st) % 10 == 0 ? min[rnd(&st) % nm] : kab[rnd(&st) % nk];
		uint64_t t = g.t0 + span * r / g.n_reports, mix = rnd(&st) % 100;
		p->inst = (uint32_t)at;
		p->cat = (uint8_t)(rnd(&st) % (sizeof(cats) / sizeof(cats[0])));
		p->kind = (uint8_t)(rnd(&st) % 10 < 8 ? 0 : 1);
		p->kec = (uint8_t)(1 + rnd(&st) % 20);
		ev_add(at, r, EV_SUB, t);
		if (mix < 10)
			continue;
		t += HOUR_MS + rnd(&st) % (2 * DAY_MS);
		ev_add(at, r, EV_VERIFY, t);
		if (mix < 25)
			continue;
		int par = g.insts[at].parent;
		if (mix < 35 && par >= 0 && g.insts[par].d.tier == SP_DIR_TIER_PROVINCE) {
			t += HOUR_MS + rnd(&st) % DAY_MS;
			ev_add(at, r, EV_FORWARD, t);
			t += HOUR_MS + rnd(&st) % (2 * DAY_MS);
			ev_add(par, r, EV_P_VERIFY, t);
			if (rnd(&st) % 2)
				ev_add(par, r, EV_P_ANSWER, t + DAY_MS + rnd(&st) % (5 * DAY_MS));
			continue;
		}
		t += DAY_MS + rnd(&st) % (7 * DAY_MS);
		ev_add(at, r, EV_ANSWER, t);
		if (mix >= 80)
			ev_add(at, r, EV_CLOSE, t + HOUR_MS + rnd(&st) % (3 * DAY_MS));
	}
	free(kab);
	free(min);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->report < y->report ? -1 : x->report > y->report;
}

/* reporter_of: report r's reporter key pair, from the seed. */
static void reporter_of(uint32_t r, uint8_t pk[32], uint8_t sk[64])
{
	char s[64];
	uint8_t seed[32];
	snprintf(s, sizeof(s), "reporter/%llu/%u", (unsigned long long)g.seed, r);
	crypto_generichash(seed, sizeof(seed), (const uint8_t *)s, strlen(s), NULL, 0);
	crypto_sign_seed_keypair(pk, sk, seed);
}

/* body_of builds the entry body of one event (malloc'ed). */
static int body_of(struct inst *in, const struct ev *ev, uint64_t *type, uint8_t **out,
		   size_t *len)
{
	struct rep *p = &g.reps[ev->report];
	struct inst *at = &g.insts[p->inst];
	uint8_t rpk[32], rsk[64];
	reporter_of(ev->report, rpk, rsk);
	if (ev->kind == EV_SUB) {
		char region[40], content[200];
		snprintf(region, sizeof(region), "%s.%02u", at->d.id, p->kec);
		if (at->d.tier != SP_DIR_TIER_KABKOTA)
			snprintf(region, sizeof(region), "%.2s", g.insts[p->inst].d.id);
		int n = snprintf(content, sizeof(content),
				 "Laporan nomor %u tentang %s di wilayah %s: mohon segera "
				 "ditindaklanjuti oleh instansi yang berwenang.",
				 ev->report, cats[p->cat], region);
		struct sp_report r = {.kind = p->kind ? SP_REPORT_ASPIRASI : SP_REPORT_PENGADUAN,
				      .vis = SP_REPORT_PUBLIK,
				      .category = {cats[p->cat], strlen(cats[p->cat])},
				      .region = {region, strlen(region)},
				      .title = {"Laporan warga", 13},
				      .content = {content, (size_t)n},
				      .routed_to = {at->d.id, strlen(at->d.id)},
				      .channel = {"web", 3},
				      .has_reporter_key = 1};
		memcpy(r.reporter_key, rpk, 32);
		*type = SP_EV_REPORT;
		return sp_report_encode(&r, out, len);
	}
	static const uint32_t codes[] = {0, SP_ACT_VERIFIKASI, SP_ACT_DISPOSISI,
					 SP_ACT_TINDAK_LANJUT, SP_ACT_SELESAI, SP_ACT_VERIFIKASI,
					 SP_ACT_TINDAK_LANJUT};
	struct sp_report_action a = {.code = codes[ev->kind], .issued_ms = ev->time - 1000};
	memcpy(a.report, p->id, 32);
	if (ev->kind == EV_FORWARD) {
		const char *par = g.insts[at->parent].d.id;
		a.targets[0] = (struct sp_str){par, strlen(par)};
		a.n_targets = 1;
	}
	if (ev->kind == EV_ANSWER || ev->kind == EV_P_ANSWER)
		a.text = (struct sp_str){"Sudah ditindaklanjuti oleh dinas terkait.", 41};
	*type = SP_EV_ACTION;
	if (ev->kind == EV_CLOSE)
		return sp_report_action_build_reporter(&a, rsk, out, len);
	return sp_report_action_build_officer(&a, in->off_sk, out, len);
}

/* fill_log signs and stores one institution's events, in time order. */
static void fill_log(struct inst *in)
{
	const uint8_t *ents[BATCH];
	uint8_t *own[BATCH];
	size_t lens[BATCH], n = 0;
	if (in->n_ev)
		qsort(in->ev, in->n_ev, sizeof(*in->ev), ev_cmp);
	for (size_t i = 0; i <= in->n_ev; i++) {
		if (n == BATCH || (i == in->n_ev && n)) {
			size_t accepted = 0;
			int rc = sp_store_insert(g.s, in->log, ents, lens, n, &accepted);
			if (rc || accepted != n)
				die(rc ? rc : SP_ERR_RANGE, in->d.id);
			for (size_t k = 0; k < n; k++)
				free(own[k]);
			g.entries += n;
			n = 0;
		}
		if (i == in->n_ev)
			break;
		const struct ev *ev = &in->ev[i];
		uint64_t type;
		uint8_t *body;
		size_t blen;
		int rc = body_of(in, ev, &type, &body, &blen);
		uint64_t t = ev->time > in->last_time ? ev->time : in->last_time;
		struct sp_entry e = {.version = SP_ENTRY_VERSION, .index = in->size, .time_ms = t,
				     .type = type, .body = body, .body_len = blen};
		memcpy(e.prev, in->prev, 32);
		if (rc == 0)
			rc = sp_entry_sign(&e, in->sk, &own[n], &lens[n]);
		free(body);
		if (rc)
			die(rc, "signing");
		ents[n] = own[n];
		sp_entry_hash(own[n], lens[n], in->prev);
		if (ev->kind == EV_SUB)
			memcpy(g.reps[ev->report].id, in->prev, 32);
		in->size++;
		in->last_time = t;
		n++;
	}
	free(in->ev);
	in->ev = NULL;
}

static void fill(void)
{
	/* submissions first: a province acts on reports of its kabupaten */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < g.n_insts; i++) {
			struct inst *in = &g.insts[i];
			if (in->d.tier == SP_DIR_TIER_COORDINATOR ||
			    (in->d.tier == SP_DIR_TIER_PROVINCE) != pass)
				continue;
			fill_log(in);
		}
		printf("pass %d: %llu entries\n", pass, (unsigned long long)g.entries);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"fed", required_argument, NULL, 'f'},   {"data", required_argument, NULL, 'd'},
		{"reports", required_argument, NULL, 'n'}, {"days", required_argument, NULL, 'D'},
		{"seed", required_argument, NULL, 's'},  {NULL, 0, NULL, 0},
	};
	int c;
	g.n_reports = 100000;
	g.days = 120;
	g.seed = 1;
	while ((c = getopt_long(argc, argv, "f:d:n:D:s:", opts, NULL)) != -1) {
		if (c == 'f')
			g.fed = optarg;
		else if (c == 'd')
			g.data = optarg;
		else if (c == 'n')
			g.n_reports = strtoull(optarg, NULL, 10);
		else if (c == 'D')
			g.days = strtoull(optarg, NULL, 10);
		else if (c == 's')
			g.seed = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	if (g.fed == NULL || g.data == NULL || g.n_reports == 0 || g.n_reports > UINT32_MAX) {
		fprintf(stderr, "usage: simpul-bench-index --fed FED --data DIR [--reports N] "
				"[--days D] [--seed S]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	g.now = sp_now_ms();
	g.t0 = g.now - g.days * DAY_MS;
	read_fed_directory();
	char path[PATH_MAX];
	uint8_t cpk[32], csk[64];
	load_key(SP_FEDGEN_COORDINATOR, cpk, csk);
	snprintf(path, sizeof(path), "%s/store", g.data);
	if (sp_mkdirs(g.data, 0700) != 0)
		die(SP_ERR_IO, g.data);
	struct sp_store_opts o = {.own_origin = SP_FEDGEN_NAME "/" SP_FEDGEN_COORDINATOR,
				  .own_sk = csk};
	int rc = sp_store_open(path, &o, &g.s);
	sodium_memzero(csk, sizeof(csk));
	if (rc)
		die(rc, path);
	write_directory();
	register_logs();
	plan();
	fill();
	sp_store_compact(g.s);
	sp_store_close(g.s);
	printf("reports %llu entries %llu logs %zu\n", (unsigned long long)g.n_reports,
	       (unsigned long long)g.entries, g.n_insts);
	sp_dir_free(g.dir);
	return 0;
}

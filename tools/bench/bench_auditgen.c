/*
 * bench_auditgen.c - simpul-bench-auditgen: a federation's worth of signed
 * logs for benchmarking `simpul audit` (tools/bench/bench_audit.sh).
 *
 * Given a folder made by `simpul federation init --subset 73`, it enrols
 * one officer per institution of the province (its key derived from the
 * institution id) in the coordinator's directory log, and writes, for the
 * province and each kabupaten/kota, a log of complaints handled the way
 * the rules allow: each report routed to that institution, verified by
 * its officer, answered, and rated by the reporter (signed with the
 * reporter key the report names) (some left unanswered, some answered late), with times spread
 * over weeks from `base`. Every entry is signed with the institution's
 * key and every action with its officer's, so the audit has real
 * signatures to check and real states to compute. Each log goes through a
 * store (sp_store_insert verifies it) and is exported as tlog-tiles into
 * OUT/<inst>/, the coordinator's too, so OUT is a `simpul audit --tiles`
 * folder.
 *
 * Usage: simpul-bench-auditgen --fed DIR --out DIR --entries N
 * Prints the root verifier key and the time to pass as --at.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_dir.h"
#include "sp_err.h"
#include "sp_export.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_report.h"
#include "sp_store.h"

#define HOUR_MS 3600000ULL
#define DAY_MS (24 * HOUR_MS)
#define BATCH 4096

static const char *const INSTS[] = {
	"73",    "73.01", "73.02", "73.03", "73.04", "73.05", "73.06", "73.07", "73.08",
	"73.09", "73.10", "73.11", "73.12", "73.13", "73.14", "73.15", "73.16", "73.17",
	"73.18", "73.22", "73.24", "73.26", "73.71", "73.72", "73.73",
};
#define N_INSTS (sizeof(INSTS) / sizeof(INSTS[0]))

static void die(const char *what, int rc)
{
	fprintf(stderr, "simpul-bench-auditgen: %s: %s\n", what, rc ? sp_strerror(rc) : "failed");
	exit(1);
}

/* officer_key: the bench officer of inst (seed = SHA-256 of its id). */
static void officer_key(const char *inst, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	crypto_hash_sha256(seed, (const uint8_t *)inst, strlen(inst));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void load_key(const char *fed, const char *inst, uint8_t pk[32], uint8_t sk[64])
{
	char path[4096], why[256];
	snprintf(path, sizeof(path), "%s/keys/%s.key", fed, inst);
	int rc = sp_keyfile_load(path, pk, sk, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "simpul-bench-auditgen: %s: %s\n", path, why);
		exit(1);
	}
}

static void export_log(struct sp_store *s, uint32_t id, const char *out, const char *inst)
{
	char dir[4096];
	struct sp_export_stats st;
	snprintf(dir, sizeof(dir), "%s/%s", out, inst);
	int rc = sp_export_tiles(s, id, dir, NULL, &st);
	if (rc)
		die(st.where, rc);
}

/* enrol appends one officer per institution to the coordinator's log and
 * exports it. */
static void enrol(const char *fed, const char *out)
{
	uint8_t pk[32], sk[64];
	char path[4096];
	load_key(fed, "KEMENPANRB", pk, sk);
	snprintf(path, sizeof(path), "%s/store", fed);
	struct sp_store_opts o = {.own_origin = "simpul.local/KEMENPANRB", .own_sk = sk};
	struct sp_store *s;
	int rc = sp_store_open(path, &o, &s);
	if (rc)
		die(path, rc);
	for (size_t i = 0; i < N_INSTS; i++) {
		struct sp_dir_officer off = {.role = SP_DIR_ROLE_PENGHUBUNG, .action = SP_DIR_ENROL};
		uint8_t opk[32], osk[64];
		officer_key(INSTS[i], opk, osk);
		snprintf(off.inst, sizeof(off.inst), "%s", INSTS[i]);
		snprintf(off.name, sizeof(off.name), "Petugas bench %s", INSTS[i]);
		memcpy(off.key, opk, 32);
		struct sp_buf b;
		sp_buf_init(&b);
		rc = sp_dir_officer_encode(&off, &b);
		if (rc == 0)
			rc = sp_store_append(s, SP_EV_OFFICER, b.p, b.len, NULL, NULL);
		sp_buf_free(&b);
		if (rc)
			die("enrolling officers", rc);
	}
	uint32_t id;
	if ((rc = sp_store_checkpoint_sign(s)) != 0 || (rc = sp_store_own_log(s, &id)) != 0)
		die("coordinator checkpoint", rc);
	export_log(s, id, out, "KEMENPANRB");
	sp_store_close(s);
	sodium_memzero(sk, sizeof(sk));
}

/* One event to sign: report r's step k at time t. */
struct ev {
	uint64_t t;
	uint32_t r;
	uint8_t k; /* 0 report, 1 verifikasi, 2 tindak_lanjut, 3 nilai */
};

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->r != y->r)
		return x->r < y->r ? -1 : 1;
	return x->k - y->k;
}

/* A log being written: entries signed in order, kept for the store. */
struct wlog {
	const char *inst;
	uint8_t sk[64];
	uint64_t index;
	uint8_t prev[32];
	uint8_t **entries;
	size_t *lens;
	size_t n;
};

static void sign_entry(struct wlog *w, uint64_t t, uint64_t type, const uint8_t *body,
		       size_t len, uint8_t hash[32])
{
	struct sp_entry e = {.version = SP_ENTRY_VERSION, .index = w->index, .time_ms = t,
			     .type = type, .body = body, .body_len = len};
	memcpy(e.prev, w->prev, 32);
	uint8_t *out;
	size_t out_len;
	int rc = sp_entry_sign(&e, w->sk, &out, &out_len);
	if (rc)
		die("signing an entry", rc);
	sp_entry_hash(out, out_len, w->prev);
	if (hash)
		memcpy(hash, w->prev, 32);
	w->entries[w->n] = out;
	w->lens[w->n++] = out_len;
	w->index++;
}

static void report_body(const char *inst, const uint8_t reporter_pk[32], uint8_t **out, size_t *len)
{
	struct sp_report r = {.kind = SP_REPORT_PENGADUAN, .vis = SP_REPORT_PUBLIK};
	r.category = sp_str_of("jalan");
	r.region = sp_str_of(inst);
	r.title = sp_str_of("Jalan rusak");
	r.content = sp_str_of("Jalan berlubang di depan sekolah, membahayakan pengendara.");
	r.routed_to = sp_str_of(inst);
	r.channel = sp_str_of("web");
	r.has_reporter_key = 1;
	memcpy(r.reporter_key, reporter_pk, 32);
	int rc = sp_report_encode(&r, out, len);
	if (rc)
		die("report body", rc);
}

static void action_body(const uint8_t id[32], uint32_t code, uint64_t t, const uint8_t osk[64],
			const uint8_t *reporter_sk, uint8_t **out, size_t *len)
{
	struct sp_report_action a;
	memset(&a, 0, sizeof(a));
	memcpy(a.report, id, 32);
	a.code = code;
	a.issued_ms = t;
	if (code == SP_ACT_TINDAK_LANJUT)
		a.text = sp_str_of("Sudah diperbaiki oleh dinas terkait.");
	if (code == SP_ACT_NILAI)
		a.rating = 1 + (uint32_t)(t / 1000 % 5);
	int rc = reporter_sk ? sp_report_action_build_reporter(&a, reporter_sk, out, len)
			     : sp_report_action_build_officer(&a, osk, out, len);
	if (rc)
		die("action body", rc);
}

/* plan: times of each report's steps; about one in eight is left
 * unanswered, one in five answered after the 5 working days. */
static size_t plan(struct ev *ev, uint32_t reports, uint64_t base, uint64_t span_ms)
{
	size_t n = 0;
	for (uint32_t r = 0; r < reports; r++) {
		uint64_t t0 = base + (uint64_t)r * span_ms / reports;
		uint32_t h = r * 2654435761u;
		uint64_t tv = t0 + HOUR_MS * (1 + h % 60);
		uint64_t ta = tv + DAY_MS * (1 + (h >> 8) % (h % 5 == 0 ? 14 : 4));
		ev[n++] = (struct ev){t0, r, 0};
		ev[n++] = (struct ev){tv, r, 1};
		if (h % 8 == 3)
			continue;
		ev[n++] = (struct ev){ta, r, 2};
		ev[n++] = (struct ev){ta + HOUR_MS * (2 + (h >> 16) % 20), r, 3};
	}
	return n;
}

static void write_inst(const char *fed, const char *out, const char *inst, uint32_t reports,
		       uint64_t base, struct sp_store *s)
{
	struct wlog w = {.inst = inst};
	uint8_t pk[32], opk[32], osk[64];
	load_key(fed, inst, pk, w.sk);
	officer_key(inst, opk, osk);
	struct ev *ev = malloc((size_t)reports * 4 * sizeof(*ev));
	uint8_t(*ids)[32] = malloc((size_t)reports * 32);
	w.entries = malloc((size_t)reports * 4 * sizeof(*w.entries));
	w.lens = malloc((size_t)reports * 4 * sizeof(*w.lens));
	if (!ev || !ids || !w.entries || !w.lens)
		die("memory", SP_ERR_NOMEM);
	size_t n = plan(ev, reports, base, 30 * DAY_MS);
	qsort(ev, n, sizeof(*ev), ev_cmp);
	for (size_t i = 0; i < n; i++) {
		uint8_t seed[32], rpk[32], rsk[64], *body;
		size_t len;
		/* the reporter's key pair (a real reporter derives it from a secret) */
		crypto_hash_sha256(seed, (const uint8_t *)&ev[i].r, sizeof(ev[i].r));
		seed[0] ^= (uint8_t)inst[strlen(inst) - 1];
		crypto_sign_seed_keypair(rpk, rsk, seed);
		if (ev[i].k == 0) {
			report_body(inst, rpk, &body, &len);
			sign_entry(&w, ev[i].t, SP_EV_REPORT, body, len, ids[ev[i].r]);
		} else {
			static const uint32_t codes[] = {0, SP_ACT_VERIFIKASI, SP_ACT_TINDAK_LANJUT,
							 SP_ACT_NILAI};
			action_body(ids[ev[i].r], codes[ev[i].k], ev[i].t, osk,
				    ev[i].k == 3 ? rsk : NULL, &body, &len);
			sign_entry(&w, ev[i].t, SP_EV_ACTION, body, len, NULL);
		}
		free(body);
	}
	char origin[64];
	uint32_t id;
	snprintf(origin, sizeof(origin), "simpul.local/%s", inst);
	int rc = sp_store_log_add(s, origin, pk, &id);
	for (size_t i = 0; rc == 0 && i < n; i += BATCH)
		rc = sp_store_insert(s, id, (const uint8_t *const *)w.entries + i, w.lens + i,
				     n - i < BATCH ? n - i : BATCH, NULL);
	struct sp_checkpoint c = {.size = n};
	struct sp_buf note;
	sp_buf_init(&note);
	snprintf(c.origin, sizeof(c.origin), "%s", origin);
	if (rc == 0)
		rc = sp_store_root(s, id, n, c.root);
	if (rc == 0)
		rc = sp_checkpoint_sign(&c, w.sk, &note);
	if (rc == 0)
		rc = sp_store_checkpoint_put(s, id, (const char *)note.p, note.len);
	if (rc)
		die(inst, rc);
	sp_buf_free(&note);
	export_log(s, id, out, inst);
	for (size_t i = 0; i < w.n; i++)
		free(w.entries[i]);
	free(w.entries);
	free(w.lens);
	free(ev);
	free(ids);
	sodium_memzero(w.sk, sizeof(w.sk));
	fprintf(stderr, "%s: %zu entries\n", inst, n);
}

int main(int argc, char **argv)
{
	const char *fed = NULL, *out = NULL;
	unsigned long long entries = 1000000;
	static const struct option opts[] = {{"fed", required_argument, NULL, 'f'},
					     {"out", required_argument, NULL, 'o'},
					     {"entries", required_argument, NULL, 'n'},
					     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "f:o:n:", opts, NULL)) != -1) {
		if (c == 'f')
			fed = optarg;
		else if (c == 'o')
			out = optarg;
		else if (c == 'n')
			entries = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	if (fed == NULL || out == NULL || entries < 4 * N_INSTS || sodium_init() < 0) {
		fprintf(stderr, "usage: simpul-bench-auditgen --fed DIR --out DIR --entries N\n");
		return 2;
	}
	enrol(fed, out);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* after the enrolments, so every officer is enrolled at every action */
	uint64_t base = (uint64_t)ts.tv_sec * 1000 + 60000;
	char store[4096];
	snprintf(store, sizeof(store), "%s/.store", out);
	struct sp_store_opts o = {0};
	struct sp_store *s;
	int rc = sp_store_open(store, &o, &s);
	if (rc)
		die(store, rc);
	/* about 3.6 entries per report (one in eight unanswered: 2) */
	uint32_t per = (uint32_t)(entries / N_INSTS * 10 / 36);
	for (size_t i = 0; i < N_INSTS; i++)
		write_inst(fed, out, INSTS[i], per, base, s);
	sp_store_close(s);
	printf("at %llu\n", (unsigned long long)(base + 45 * DAY_MS));
	return 0;
}

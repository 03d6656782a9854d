/*
 * bench_log.c - benchmarks for the signed log and its store (issue #2).
 *
 * Every figure is printed next to the raw libsodium operation it is built
 * on, measured in the same run on the same machine, so the ratios stay
 * meaningful across machines:
 *   - raw Ed25519 signs/s and verifies/s on one core, SHA-256 MB/s;
 *   - durable own appends/s from 8 writer threads, each append acknowledged
 *     only after its batch is fsynced (vs the raw single-core sign rate);
 *   - replica ingest with every signature verified (vs 2 x raw verify);
 *   - `simpul log verify` of the whole log (vs 2 x raw verify);
 *   - inclusion proofs served per second from the store;
 *   - bytes on disk after compaction vs the sum of entry sizes.
 *
 * Usage: simpul-bench [--entries N] [--dir DIR] [--simpul PATH] [--raw]
 * (--raw: the raw lines only, for scripts that compare with them).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_pool.h"
#include "sp_store.h"

#define ORIGIN "bench.simpul/73.12"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "simpul-bench: %s: %s\n", what, sp_strerror(rc));
	exit(1);
}

/* ---- raw operations -------------------------------------------------------- */

struct raw {
	double sign_per_s, verify_per_s, sha_mb_s;
	double verify_all_per_s; /* every CPU verifying at once, in all */
	double verify_per_cpu_s;  /* one thread, per second of its own CPU time */
};

/* cpu_s: the calling thread's CPU time, which other processes' load does
 * not stretch (a shared machine's wall-clock rates do). */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Distinct signatures, as a log holds: one signature checked over and over
 * runs from warm caches and reads ~5% faster. */
enum { NV = 8000 };

struct verify_set {
	uint8_t pk[32];
	uint8_t msg[300];
	uint8_t sigs[NV][64];
};

static void *verify_all(void *arg)
{
	const struct verify_set *v = arg;
	uint8_t msg[300];
	memcpy(msg, v->msg, sizeof(msg));
	for (int i = 0; i < NV; i++) {
		msg[0] = (uint8_t)i;
		msg[1] = (uint8_t)(i >> 8);
		if (crypto_sign_verify_detached(v->sigs[i], msg, sizeof(msg), v->pk) != 0)
			abort();
	}
	return NULL;
}

/* measure_parallel: the verify rate with `cpus` threads verifying at once
 * (two vCPUs may be one core's hyperthreads: then it is well below
 * cpus x the one-core rate). */
static double measure_parallel(const struct verify_set *v, unsigned cpus)
{
	pthread_t th[64];
	unsigned n = cpus > 64 ? 64 : cpus;
	double t = now_s();
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, verify_all, (void *)v) != 0)
			abort();
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return n * NV / (now_s() - t);
}

static void measure_raw(struct raw *r)
{
	uint8_t pk[32], sk[64], sig[64], msg[300];
	randombytes_buf(msg, sizeof(msg));
	crypto_sign_keypair(pk, sk);
	int n = 20000;
	double t = now_s();
	for (int i = 0; i < n; i++) {
		msg[0] = (uint8_t)i;
		crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	}
	r->sign_per_s = n / (now_s() - t);
	static struct verify_set vs;
	memcpy(vs.pk, pk, 32);
	memcpy(vs.msg, msg, sizeof(msg));
	for (int i = 0; i < NV; i++) {
		vs.msg[0] = (uint8_t)i;
		vs.msg[1] = (uint8_t)(i >> 8);
		crypto_sign_detached(vs.sigs[i], NULL, vs.msg, sizeof(vs.msg), sk);
	}
	t = now_s();
	double c = cpu_s();
	verify_all(&vs);
	r->verify_per_cpu_s = NV / (cpu_s() - c);
	r->verify_per_s = NV / (now_s() - t);
	r->verify_all_per_s = measure_parallel(&vs, sp_pool_cpus());
	static uint8_t buf[1 << 20];
	uint8_t h[32];
	t = now_s();
	for (int i = 0; i < 200; i++)
		crypto_hash_sha256(h, buf, sizeof(buf));
	r->sha_mb_s = 200 / (now_s() - t);
}

/* ---- realistic entry bodies ---------------------------------------------------- */

static const char *const complaints[] = {
    "Jalan utama di %s rusak parah dan berlubang sejak musim hujan, membahayakan pengendara "
    "motor terutama pada malam hari karena tidak ada penerangan jalan.",
    "Puskesmas di %s kekurangan obat-obatan dasar dan antrean pasien sangat panjang; "
    "petugas hanya melayani sampai pukul sebelas siang.",
    "Bantuan sosial PKH untuk keluarga kami di %s belum cair tiga bulan, padahal nama kami "
    "terdaftar di DTKS. Mohon ditindaklanjuti.",
    "Pengurusan KTP elektronik di Disdukcapil %s sudah dua bulan belum selesai dengan alasan "
    "blangko habis.",
    "Air PDAM di %s mati hampir setiap hari selama seminggu terakhir tanpa pemberitahuan "
    "kepada pelanggan.",
    "Sekolah dasar negeri di %s memungut biaya seragam dan buku yang memberatkan orang tua "
    "murid, padahal sudah ada dana BOS.",
};
static const char *const places[] = {"Kecamatan Lalabata", "Kecamatan Marioriwawo",
				     "Kelurahan Botto", "Desa Watu", "Kecamatan Donri-Donri",
				     "Kecamatan Ganra", "Kecamatan Citta", "Desa Pesse"};

static void make_body(struct sp_buf *b, uint64_t i)
{
	char text[400];
	int n = snprintf(text, sizeof(text), complaints[i % 6], places[(i / 6) % 8]);
	char region[16];
	int rn = snprintf(region, sizeof(region), "73.12.%02u", (unsigned)(1 + i % 8));
	sp_buf_init(b);
	sp_cbor_put_map(b, 3);
	sp_cbor_put_uint(b, 0);
	sp_cbor_put_text(b, text, (size_t)n);
	sp_cbor_put_uint(b, 1);
	sp_cbor_put_text(b, region, (size_t)rn);
	sp_cbor_put_uint(b, 2);
	sp_cbor_put_uint(b, i % 12);
}

/* ---- durable appends ------------------------------------------------------------- */

#define WRITERS 8

struct writer {
	struct sp_store *s;
	uint64_t count;
	unsigned window; /* appends in flight per writer */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned inflight;
	uint64_t done;
	atomic_int failed;
};

static void writer_cb(void *arg, int err, uint64_t index, const uint8_t hash[32])
{
	struct writer *w = arg;
	if (err)
		atomic_store(&w->failed, err);
	pthread_mutex_lock(&w->mu);
	w->inflight--;
	w->done++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	for (uint64_t i = 0; i < w->count; i++) {
		pthread_mutex_lock(&w->mu);
		while (w->inflight >= w->window)
			pthread_cond_wait(&w->cv, &w->mu);
		w->inflight++;
		pthread_mutex_unlock(&w->mu);
		struct sp_buf b;
		make_body(&b, i);
		int rc = sp_store_append_async(w->s, 1, b.p, b.len, writer_cb, w);
		sp_buf_free(&b);
		if (rc)
			die("append", rc);
	}
	pthread_mutex_lock(&w->mu);
	while (w->done < w->count)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Appends `total` entries from WRITERS threads with `window` appends in
 * flight each; returns appends per second. */
static double run_appends(struct sp_store *s, uint64_t total, unsigned window)
{
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	double t = now_s();
	for (int i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = s;
		w[i].count = total / WRITERS;
		w[i].window = window;
		pthread_mutex_init(&w[i].mu, NULL);
		pthread_cond_init(&w[i].cv, NULL);
		pthread_create(&th[i], NULL, writer_main, &w[i]);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		if (atomic_load(&w[i].failed))
			die("append callback", atomic_load(&w[i].failed));
		pthread_mutex_destroy(&w[i].mu);
		pthread_cond_destroy(&w[i].cv);
	}
	return (double)(total / WRITERS * WRITERS) / (now_s() - t);
}

/* ---- replica ingest ---------------------------------------------------------------- */

/* make_chain signs n entries of a fresh log (as its writer's node would),
 * in memory: the stream a replica receives. Caller frees with free_chain. */
static void make_chain(uint64_t n, const uint8_t sk[64], uint8_t ***bufs, size_t **lens)
{
	*bufs = calloc(n, sizeof(uint8_t *));
	*lens = calloc(n, sizeof(size_t));
	uint8_t prev[32] = {0};
	uint64_t t0 = (uint64_t)(now_s() * 1000);
	for (uint64_t i = 0; i < n; i++) {
		struct sp_buf b;
		make_body(&b, i);
		struct sp_entry e = {.version = SP_ENTRY_VERSION, .index = i, .time_ms = t0 + i,
				     .type = 1, .body = b.p, .body_len = b.len};
		memcpy(e.prev, prev, 32);
		int rc = sp_entry_sign(&e, sk, &(*bufs)[i], &(*lens)[i]);
		sp_buf_free(&b);
		if (rc)
			die("sign", rc);
		sp_entry_hash((*bufs)[i], (*lens)[i], prev);
	}
}

static void free_chain(uint64_t n, uint8_t **bufs, size_t *lens)
{
	for (uint64_t i = 0; i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(lens);
}

/* run_ingest feeds n entries of another institution's log to a fresh
 * replica store in batches of about one peer message; entries per second. */
static double run_ingest(const char *dir, uint64_t n)
{
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	uint8_t **bufs;
	size_t *lens;
	make_chain(n, sk, &bufs, &lens);
	struct sp_store *r;
	uint32_t rid;
	int rc;
	if ((rc = sp_store_open(dir, NULL, &r)) || (rc = sp_store_log_add(r, ORIGIN, pk, &rid)))
		die("replica open", rc);
	double t = now_s();
	const uint64_t batch = 256; /* about what one 64 KiB peer message carries */
	for (uint64_t i = 0; i < n; i += batch) {
		size_t m = (size_t)(n - i < batch ? n - i : batch), acc;
		rc = sp_store_insert(r, rid, (const uint8_t *const *)bufs + i, lens + i, m, &acc);
		if (rc || acc != m)
			die("insert", rc ? rc : SP_ERR_INTERNAL);
	}
	double rate = (double)n / (now_s() - t);
	sp_store_close(r);
	free_chain(n, bufs, lens);
	return rate;
}

/* ---- inclusion proofs ------------------------------------------------------------------ */

struct proof_ctx {
	struct sp_store *s;
	uint32_t id;
	uint64_t size;
	uint64_t count;
	unsigned seed;
};

static void *proof_main(void *arg)
{
	struct proof_ctx *c = arg;
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	size_t n;
	for (uint64_t i = 0; i < c->count; i++) {
		uint64_t idx = (uint64_t)rand_r(&c->seed) * 7919u % c->size;
		int rc = sp_store_inclusion(c->s, c->id, idx, c->size, proof, &n);
		if (rc)
			die("inclusion", rc);
	}
	return NULL;
}

static double run_proofs(struct sp_store *s, uint32_t id, uint64_t size, unsigned threads)
{
	struct proof_ctx c[8];
	pthread_t th[8];
	double t = now_s();
	for (unsigned i = 0; i < threads; i++) {
		c[i] = (struct proof_ctx){s, id, size, 200000, 17u + i};
		pthread_create(&th[i], NULL, proof_main, &c[i]);
	}
	for (unsigned i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	return 200000.0 * threads / (now_s() - t);
}

/* ---- simpul log verify ----------------------------------------------------------------- */

static double run_cli_verify(const char *simpul, const char *dir, uint64_t n)
{
	double t = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		execl(simpul, simpul, "log", "verify", "--data", dir, (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "simpul-bench: %s log verify failed\n", simpul);
		return 0;
	}
	return (double)n / (now_s() - t);
}

/* print_raw measures and prints the raw rates every other figure is
 * compared with. */
static struct raw print_raw(void)
{
	struct raw raw;
	measure_raw(&raw);
	unsigned cpus = sp_pool_cpus();
	printf("machine: %u CPUs\n", cpus);
	printf("raw: Ed25519 sign %.0f/s, verify %.0f/s (one core); SHA-256 %.0f MB/s\n",
	       raw.sign_per_s, raw.verify_per_s, raw.sha_mb_s);
	printf("raw: Ed25519 verify %.0f per CPU-second (thread CPU time)\n", raw.verify_per_cpu_s);
	printf("raw: verify on all %u CPUs at once %.0f/s = %.2f x (%u x one core)\n", cpus,
	       raw.verify_all_per_s, raw.verify_all_per_s / (cpus * raw.verify_per_s), cpus);
	return raw;
}

int main(int argc, char **argv)
{
	uint64_t entries = 1000000;
	const char *dir = "/tmp/simpul-bench";
	const char *simpul = NULL;
	int raw_only = 0;
	static const struct option opts[] = {{"entries", required_argument, NULL, 'n'},
					     {"dir", required_argument, NULL, 'd'},
					     {"simpul", required_argument, NULL, 's'},
					     {"raw", no_argument, NULL, 'r'},
					     {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "n:d:s:r", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			raw_only = 1;
			break;
		case 'n':
			entries = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		case 's':
			simpul = optarg;
			break;
		default:
			fprintf(stderr, "usage: simpul-bench [--entries N] [--dir DIR] [--simpul PATH] "
					"[--raw]\n");
			return 2;
		}
	}
	if (sodium_init() < 0 || entries < 10000)
		die("init", SP_ERR_ARG);
	if (raw_only) {
		print_raw();
		return 0;
	}
	char own_dir[1024], rep_dir[1024], cmd[2100];
	snprintf(own_dir, sizeof(own_dir), "%s/own", dir);
	snprintf(rep_dir, sizeof(rep_dir), "%s/replica", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
	if (system(cmd) != 0)
		die("scratch folder", SP_ERR_IO);

	struct raw raw = print_raw();
	unsigned cpus = sp_pool_cpus();

	/* Replica ingest first, in a process that has done nothing else yet. */
	uint64_t ni = entries < 200000 ? entries : 200000;
	double ing = run_ingest(rep_dir, ni);
	printf("replica ingest of %llu entries, every signature verified, %u cores: %.0f/s = %.2f x "
	       "(%u x raw verify) (target >= 0.80)\n",
	       (unsigned long long)ni, cpus, ing, ing / (cpus * raw.verify_per_s), cpus);

	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	struct sp_store_opts o = {.own_origin = ORIGIN, .own_sk = sk, .checkpoint_ms = 1000};
	struct sp_store *s;
	int rc = sp_store_open(own_dir, &o, &s);
	if (rc)
		die("open", rc);
	uint32_t id;
	sp_store_own_log(s, &id);

	double blocking = run_appends(s, 8000, 1);
	printf("appends, 8 writers x 1 in flight (each blocks on its fsync): %.0f/s = %.2f x raw sign\n",
	       blocking, blocking / raw.sign_per_s);
	/* In ten slices, so a slowdown as the log and RocksDB's levels grow
	 * shows instead of hiding in the average. */
	uint64_t rest = entries - 8000, slice = rest / 10;
	double t0 = now_s(), tenth[10];
	for (int i = 0; i < 10; i++)
		tenth[i] = run_appends(s, i < 9 ? slice : rest - 9 * slice, 64);
	double rate = (double)rest / (now_s() - t0);
	printf("appends, 8 writers x 64 in flight, acked after fsync: %.0f/s = %.2f x raw sign "
	       "(target >= 0.60)\n  per tenth of the log:",
	       rate, rate / raw.sign_per_s);
	for (int i = 0; i < 10; i++)
		printf(" %.0f", tenth[i]);
	printf("\n");
	if ((rc = sp_store_checkpoint_sign(s)))
		die("checkpoint", rc);
	struct sp_log_info info;
	sp_store_log_info(s, id, &info);

	/* Compact first: the figures after it should not pay for RocksDB's
	 * background compaction of the million appends. */
	uint64_t entry_bytes = 0, disk = 0;
	for (uint64_t i = 0; i < info.size; i += 1) {
		struct sp_buf b;
		sp_buf_init(&b);
		sp_store_entry(s, id, i, &b);
		entry_bytes += b.len;
		sp_buf_free(&b);
	}
	sp_store_compact(s);
	sp_store_disk_bytes(s, &disk);
	printf("disk after compaction: %llu bytes for %llu bytes of entries (avg %.0f B) = %.2f x "
	       "(target <= 1.30)\n",
	       (unsigned long long)disk, (unsigned long long)entry_bytes,
	       (double)entry_bytes / (double)info.size, (double)disk / (double)entry_bytes);

	double pr = run_proofs(s, id, info.size, cpus);
	printf("inclusion proofs from a %llu-entry log, %u threads: %.0f/s (target >= 100000)\n",
	       (unsigned long long)info.size, cpus, pr);

	sp_store_close(s);

	if (simpul) {
		double v = run_cli_verify(simpul, own_dir, info.size);
		printf("simpul log verify, %llu entries: %.0f/s = %.2f x (%u x raw verify) (target >= "
		       "0.80)\n",
		       (unsigned long long)info.size, v, v / (cpus * raw.verify_per_s), cpus);
	}
	return 0;
}

/*
 * simpul_log.c - the `simpul log` command group, `simpul log append`, and
 * the store operations other commands share: opening a store, and bulk
 * appends that queue every entry at once so the store signs and fsyncs them
 * in large groups.
 */
#include "simpul.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_progress.h"
#include "sp_clock.h"

static const struct simpul_cmd log_cmds[] = {
	{"append", simpul_log_append_main, "append entries to the own log and sign a checkpoint"},
	{"verify", simpul_log_verify_main, "verify whole logs: signatures, links, Merkle roots"},
	{"export", simpul_log_export_main, "write a log as static C2SP tlog-tiles files"},
	{NULL, NULL, NULL},
};

int simpul_log_main(int argc, char **argv)
{
	return simpul_dispatch(log_cmds, argc, argv);
}

/* ---- opening stores ---------------------------------------------------------- */

static int open_failed(const char *data, int rc)
{
	if (rc == SP_ERR_BUSY)
		return simpul_fail(rc, "store %s is open in another process (a running node?)",
				   data);
	if (rc == SP_ERR_ARG)
		return simpul_fail(rc, "store %s: its own log belongs to another key or origin",
				   data);
	return simpul_fail(rc, "opening store %s", data);
}

int simpul_open_own(const char *data, const char *origin, const uint8_t sk[SP_SECRET_BYTES],
		    uint32_t checkpoint_ms, struct sp_store **out)
{
	struct sp_store_opts o = {0};
	o.own_origin = origin;
	o.own_sk = sk;
	o.checkpoint_ms = checkpoint_ms;
	o.verify_threads = 1; /* appending checks no signatures */
	int rc = sp_store_open(data, &o, out);
	return rc ? open_failed(data, rc) : SIMPUL_OK;
}

int simpul_open_ro(const char *data, struct sp_store **out)
{
	/* RocksDB would create a missing folder even when opening read-only. */
	struct stat st;
	if (stat(data, &st) != 0 || !S_ISDIR(st.st_mode))
		return simpul_fail(SP_ERR_NOT_FOUND, "opening store %s (no such folder)", data);
	struct sp_store_opts o = {0};
	o.read_only = 1;
	o.verify_threads = 1; /* the tools bring their own pool */
	int rc = sp_store_open(data, &o, out);
	if (rc == SP_ERR_DB)
		return simpul_fail(rc, "opening store %s (is it a simpul store?)", data);
	return rc ? open_failed(data, rc) : SIMPUL_OK;
}

/* ---- bulk appends ---------------------------------------------------------------- */

void simpul_body_text(struct sp_buf *b, const char *text, size_t len)
{
	sp_cbor_put_map(b, 1);
	sp_cbor_put_uint(b, 0);
	sp_cbor_put_text(b, text, len);
}

/* The appender waits on this while the store's commit thread reports. */
struct bulk {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t queued, done;
	struct simpul_appended *res;
};

struct bulk_req {
	struct bulk *b;
	struct simpul_slot *slot;
};

static void bulk_record(struct bulk *b, int err, uint64_t index)
{
	struct simpul_appended *r = b->res;
	if (err && r->err == 0)
		r->err = err;
	if (err == 0) {
		if (r->ok == 0 || index < r->first)
			r->first = index;
		if (r->ok == 0 || index > r->last)
			r->last = index;
		r->ok++;
	}
	b->done++;
	pthread_cond_signal(&b->cv);
}

/* Runs on the store's commit thread: only bookkeeping under the lock. */
static void bulk_cb(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	struct bulk_req *q = arg;
	struct bulk *b = q->b;
	pthread_mutex_lock(&b->mu);
	if (q->slot) {
		q->slot->err = err;
		q->slot->index = index;
		if (err == 0)
			memcpy(q->slot->hash, hash, SP_HASH_BYTES);
	}
	bulk_record(b, err, index);
	pthread_mutex_unlock(&b->mu);
}

/* queue_one builds entry i's body and queues it. */
static int queue_one(struct sp_store *s, uint64_t type, simpul_text_fn fn, void *ctx, uint64_t i,
		     char *scratch, struct bulk_req *q)
{
	size_t len;
	const char *text = fn(ctx, i, scratch, SP_ENTRY_MAX, &len);
	struct sp_buf body;
	sp_buf_init(&body);
	simpul_body_text(&body, text, len);
	int rc = body.err ? body.err
			  : sp_store_append_async(s, type, body.p, body.len, bulk_cb, q);
	sp_buf_free(&body);
	return rc;
}

/* wait_all waits for every queued request, redrawing the progress bar. */
static void wait_all(struct bulk *b, struct sp_progress *prog)
{
	pthread_mutex_lock(&b->mu);
	while (b->done < b->queued) {
		struct timespec ts;
		sp_clock_after(100, &ts);
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		sp_progress_update(prog, b->done);
	}
	pthread_mutex_unlock(&b->mu);
}

/* queue_all queues entries until done or the first refusal. */
static void queue_all(struct sp_store *s, uint64_t type, uint64_t n, simpul_text_fn fn, void *ctx,
		      struct bulk_req *reqs, size_t nreq, struct bulk *b, struct sp_progress *prog)
{
	char *scratch = malloc(SP_ENTRY_MAX + 1);
	int rc = scratch ? 0 : SP_ERR_NOMEM;
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		struct bulk_req *q = &reqs[i < nreq ? i : 0];
		pthread_mutex_lock(&b->mu);
		b->queued++;
		pthread_mutex_unlock(&b->mu);
		rc = queue_one(s, type, fn, ctx, i, scratch, q);
		if (rc) {
			/* refused at once: no callback will come for it */
			pthread_mutex_lock(&b->mu);
			if (q->slot)
				q->slot->err = rc;
			bulk_record(b, rc, 0);
			pthread_mutex_unlock(&b->mu);
		}
		if ((i & 1023) == 0)
			sp_progress_update(prog, b->done);
	}
	free(scratch);
}

int simpul_append_bulk(struct sp_store *s, uint64_t type, uint64_t n, simpul_text_fn fn,
		       void *ctx, struct simpul_slot *slots, struct simpul_appended *out)
{
	memset(out, 0, sizeof(*out));
	double t0 = sp_progress_now();
	struct bulk b = {.res = out};
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv, NULL);
	/* One request record per entry when each outcome is wanted, else one
	 * shared record: a bulk fill of millions needs no per-entry memory. */
	size_t nreq = slots ? (size_t)n : 1;
	struct bulk_req *reqs = calloc(nreq ? nreq : 1, sizeof(*reqs));
	if (reqs == NULL) {
		out->err = SP_ERR_NOMEM;
	} else {
		for (size_t i = 0; i < nreq; i++)
			reqs[i] = (struct bulk_req){&b, slots ? &slots[i] : NULL};
		struct sp_progress prog;
		sp_progress_init(&prog, "appending", n);
		queue_all(s, type, n, fn, ctx, reqs, nreq, &b, &prog);
		wait_all(&b, &prog);
		sp_progress_done(&prog);
	}
	free(reqs);
	pthread_cond_destroy(&b.cv);
	pthread_mutex_destroy(&b.mu);
	if (out->ok) {
		int rc = sp_store_checkpoint_sign(s);
		if (rc && out->err == 0)
			out->err = rc;
	}
	out->seconds = sp_progress_now() - t0;
	return out->err;
}

/* ---- simpul log append ---------------------------------------------------------- */

struct append_args {
	const char *data, *key, *origin, *text;
	uint64_t type, count;
	int have_count;
	char **texts;
	int ntexts;
};

static void append_help(const char *cmd)
{
	printf("usage: %s --data DIR --key FILE --origin ORIGIN [--type N] TEXT...\n"
	       "       %s --data DIR --key FILE --origin ORIGIN [--type N] --count N --text TEXT\n"
	       "\n"
	       "Append one entry per TEXT to the own log of the store in DIR (created if\n"
	       "needed), signed with the key in FILE, then sign a checkpoint. Each entry's\n"
	       "body is the CBOR map {0: TEXT}. Prints '<index> <entry hash>' per entry.\n"
	       "With --count, appends N entries of TEXT, all queued at once (a fast bulk\n"
	       "fill for demos and benchmarks), and prints a summary.\n"
	       "\n"
	       "  -d, --data DIR        the store folder\n"
	       "  -k, --key FILE        the log's private key (see 'simpul keygen')\n"
	       "  -o, --origin ORIGIN   the log's origin, '<federation>/<institution id>'\n"
	       "  -t, --type N          event type of the entries (default 0)\n"
	       "  -c, --count N         append N copies of --text\n"
	       "  -x, --text TEXT       the text for --count\n"
	       "  -h, --help            show this help\n",
	       cmd, cmd);
}

/* append_parse returns -1 to go on, or an exit code. */
static int append_parse(int argc, char **argv, struct append_args *a)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},  {"key", required_argument, NULL, 'k'},
		{"origin", required_argument, NULL, 'o'}, {"type", required_argument, NULL, 't'},
		{"count", required_argument, NULL, 'c'}, {"text", required_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0];
	int c;
	while ((c = getopt_long(argc, argv, "d:k:o:t:c:x:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->data = optarg;
			break;
		case 'k':
			a->key = optarg;
			break;
		case 'o':
			a->origin = optarg;
			break;
		case 't':
			if (simpul_parse_u64(optarg, &a->type))
				return simpul_usage(cmd, "--type wants a number, not '%s'", optarg);
			break;
		case 'c':
			if (simpul_parse_u64(optarg, &a->count))
				return simpul_usage(cmd, "--count wants a number, not '%s'", optarg);
			a->have_count = 1;
			break;
		case 'x':
			a->text = optarg;
			break;
		case 'h':
			append_help(cmd);
			return SIMPUL_OK;
		default:
			return simpul_bad_option(cmd);
		}
	}
	a->texts = argv + optind;
	a->ntexts = argc - optind;
	if (!a->data || !a->key || !a->origin)
		return simpul_usage(cmd, "--data, --key and --origin are required");
	if (a->have_count != (a->text != NULL))
		return simpul_usage(cmd, "--count and --text go together");
	if (a->have_count && a->ntexts)
		return simpul_usage(cmd, "give TEXT arguments or --count/--text, not both");
	if (!a->have_count && a->ntexts == 0)
		return simpul_usage(cmd, "nothing to append: give at least one TEXT");
	return -1;
}

static const char *same_text(void *ctx, uint64_t i, char *scratch, size_t cap, size_t *len)
{
	(void)i;
	(void)scratch;
	(void)cap;
	*len = strlen(ctx);
	return ctx;
}

static const char *argv_text(void *ctx, uint64_t i, char *scratch, size_t cap, size_t *len)
{
	(void)scratch;
	(void)cap;
	const char *t = ((char **)ctx)[i];
	*len = strlen(t);
	return t;
}

/* A slot no outcome was written to: a bulk append stops queueing at the
 * first entry the store refuses, so the TEXTs after it were never tried. */
#define SLOT_NOT_QUEUED 1

/* print_slots prints '<index> <hash>' per appended entry, in order. */
static void print_slots(const struct simpul_slot *slots, int n)
{
	for (int i = 0; i < n; i++) {
		char hex[2 * SP_HASH_BYTES + 1];
		if (slots[i].err == SLOT_NOT_QUEUED) {
			printf("- not appended: an earlier entry failed\n");
			continue;
		}
		if (slots[i].err) {
			printf("- failed: %s\n", sp_strerror(slots[i].err));
			continue;
		}
		simpul_hex(slots[i].hash, SP_HASH_BYTES, hex);
		printf("%llu %s\n", (unsigned long long)slots[i].index, hex);
	}
}

static int append_run(struct sp_store *s, const struct append_args *a)
{
	struct simpul_appended res;
	if (a->have_count) {
		simpul_append_bulk(s, a->type, a->count, same_text, (void *)a->text, NULL, &res);
		if (res.ok)
			printf("appended %llu entries (index %llu..%llu) in %.2f s (%.0f entries/s)\n",
			       (unsigned long long)res.ok, (unsigned long long)res.first,
			       (unsigned long long)res.last, res.seconds,
			       res.seconds > 0 ? (double)res.ok / res.seconds : 0.0);
	} else {
		struct simpul_slot *slots = calloc((size_t)a->ntexts, sizeof(*slots));
		if (slots == NULL)
			return simpul_fail(SP_ERR_NOMEM, "appending");
		for (int i = 0; i < a->ntexts; i++)
			slots[i].err = SLOT_NOT_QUEUED;
		simpul_append_bulk(s, a->type, (uint64_t)a->ntexts, argv_text, a->texts, slots,
				   &res);
		print_slots(slots, a->ntexts);
		free(slots);
	}
	if (res.err)
		return simpul_fail(res.err, "appending to %s", a->origin);
	return SIMPUL_OK;
}

int simpul_log_append_main(int argc, char **argv)
{
	struct append_args a = {0};
	int ex = append_parse(argc, argv, &a);
	if (ex >= 0)
		return ex;
	uint8_t sk[SP_SECRET_BYTES];
	char why[SP_KEYFILE_WHY];
	int rc = sp_keyfile_load(a.key, NULL, sk, why, sizeof(why));
	if (rc)
		return simpul_fail(rc, "%s", why);
	struct sp_store *s;
	/* Bulk fills re-sign the checkpoint once a second, not per batch. */
	ex = simpul_open_own(a.data, a.origin, sk, a.have_count ? 1000 : 0, &s);
	sodium_memzero(sk, sizeof(sk));
	if (ex)
		return ex;
	ex = append_run(s, &a);
	sp_store_close(s);
	return ex;
}

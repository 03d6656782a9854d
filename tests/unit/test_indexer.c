/*
 * test_indexer.c - the node's own appends indexed off the store's commit
 * thread (node/sp_indexer.h), with a real store and report index on disk:
 * a submission is in the index when it is answered (read your write), the
 * answer does not come from the commit thread, a slow answer does not hold
 * back the durability of later appends, and once the indexer is stopped
 * appends are indexed on their caller's thread. And the index's change
 * feed (what the webhook reads instead of every report): each new report
 * once, in order, from any cursor; a rebuild records nothing new and its
 * numbering goes on; pruning keeps only the changes from a number on, and
 * a start finds where the kept ones begin. The states of a job's reports are computed on the
 * store's worker pool: what the index holds, incrementally and rebuilt so,
 * is what a rebuild on one thread gives. The index remembers which trail
 * signatures it found good (views do not check them again).
 */
#include "sp_testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_cal.h"
#include "sp_clock.h"
#include "sp_err.h"
#include "sp_indexer.h"
#include "sp_report.h"
#include "sp_reports.h"
#include "sp_store.h"

#define ORIGIN "simpul.test/73.12"
#define N_SUBS 24
#define WAIT_S 30

struct ack {
	uint8_t id[SP_HASH_BYTES];
	int durable, answered, err, found, block;
	pthread_t commit_thread, answer_thread;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int release;
	struct sp_store *s;
	struct sp_reports *r;
	struct sp_indexer *x;
	struct sp_cal cal;
	uint32_t log;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int setup(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64];
	sp_test_keypair(7, pk, sk);
	/* four threads compute states whatever the machine's CPUs */
	struct sp_store_opts so = {.own_origin = ORIGIN, .own_sk = sk, .checkpoint_ms = 0,
				   .verify_threads = 4};
	assert_int_equal(sp_store_open(sp_test_tmpdir("indexer"), &so, &g.s), 0);
	assert_int_equal(sp_store_own_log(g.s, &g.log), 0);
	sp_cal_init(&g.cal);
	struct sp_reports_opts ro = {.store = g.s, .cal = &g.cal,
				     .policy = sp_report_default_policy()};
	assert_int_equal(sp_reports_new(&ro, &g.r), 0);
	assert_int_equal(sp_reports_load(g.r, NULL), 0);
	assert_int_equal(sp_indexer_start(g.r, &g.x), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_indexer_stop(g.x);
	sp_store_close(g.s);
	sp_indexer_free(g.x);
	sp_reports_free(g.r);
	sp_cal_free(&g.cal);
	return 0;
}

/* submission i's body */
static void submission(int i, uint8_t **body, size_t *len)
{
	char title[64];
	int n = snprintf(title, sizeof(title), "Jalan rusak nomor %d", i);
	struct sp_report r = {.kind = SP_REPORT_PENGADUAN,
			      .vis = SP_REPORT_PUBLIK,
			      .category = {"jalan", 5},
			      .region = {"73.12.03", 8},
			      .title = {title, (size_t)n},
			      .content = {"Berlubang sejak dua minggu.", 27},
			      .routed_to = {"73.12", 5},
			      .channel = {"web", 3},
			      .has_reporter_key = 1};
	uint8_t sk[64];
	sp_test_keypair((uint8_t)(i + 1), r.reporter_key, sk);
	assert_int_equal(sp_report_encode(&r, body, len), 0);
}

/* answered: on the indexer thread (or the caller's, once stopped); looks
 * the report up at that moment, then waits while the test holds it. */
static void answered(void *arg, int err)
{
	struct ack *a = arg;
	uint32_t log;
	uint64_t index;
	int found = sp_reports_locate(g.r, a->id, &log, &index) == 0;
	pthread_mutex_lock(&g.mu);
	a->err = err;
	a->found = found;
	a->answer_thread = pthread_self();
	while (a->block && !g.release)
		pthread_cond_wait(&g.cv, &g.mu);
	a->answered = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
}

/* durable: the store's commit thread, as the node's append callback */
static void durable(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	struct ack *a = arg;
	pthread_mutex_lock(&g.mu);
	a->durable = 1;
	if (err == 0)
		memcpy(a->id, hash, SP_HASH_BYTES); /* a report's id is its entry's hash */
	a->commit_thread = pthread_self();
	a->err = err;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	if (err == 0) /* else the test finds it not answered */
		sp_indexer_add(g.x, g.log, index, answered, a);
}

/* durable_only: an append nobody indexes */
static void durable_only(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	(void)index;
	(void)hash;
	struct ack *a = arg;
	pthread_mutex_lock(&g.mu);
	a->durable = 1;
	a->err = err;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
}

static void submit(struct ack *a, int i, sp_append_cb cb)
{
	uint8_t *body;
	size_t len;
	submission(i, &body, &len);
	assert_int_equal(sp_store_append_async(g.s, SP_EV_REPORT, body, len, cb, a), 0);
	free(body);
}

/* wait_for waits (bounded) until *flag is set; 0 if it was not. */
static int wait_for(const int *flag)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_S;
	int rc = 0;
	pthread_mutex_lock(&g.mu);
	while (!*flag && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&g.cv, &g.mu, &until);
	int set = *flag;
	pthread_mutex_unlock(&g.mu);
	return set;
}

static void test_read_your_write(void **state)
{
	(void)state;
	static struct ack a[N_SUBS];
	size_t before = sp_reports_count(g.r);
	for (int i = 0; i < N_SUBS; i++)
		submit(&a[i], i, durable);
	for (int i = 0; i < N_SUBS; i++) {
		assert_true(wait_for(&a[i].answered));
		assert_int_equal(a[i].err, 0);
		assert_true(a[i].found); /* indexed before it is answered */
		/* the commit thread went on to the next batch meanwhile */
		assert_false(pthread_equal(a[i].answer_thread, a[i].commit_thread));
	}
	assert_int_equal(sp_reports_count(g.r), before + N_SUBS);
	uint64_t wakes, entries;
	sp_indexer_counts(g.x, &wakes, &entries);
	assert_true(entries >= N_SUBS);
	assert_true(wakes >= 1 && wakes <= entries);
}

static void test_slow_answer_holds_no_commit(void **state)
{
	(void)state;
	static struct ack slow = {.block = 1}, later, after;
	g.release = 0;
	submit(&slow, 100, durable);
	assert_true(wait_for(&slow.durable));
	/* while the first answer is held on the indexer thread, later appends
	 * still become durable: the commit thread does not wait for it */
	submit(&later, 101, durable_only);
	assert_true(wait_for(&later.durable));
	assert_int_equal(later.err, 0);
	submit(&after, 102, durable);
	assert_true(wait_for(&after.durable));
	pthread_mutex_lock(&g.mu);
	assert_false(slow.answered);
	g.release = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	assert_true(wait_for(&slow.answered));
	assert_true(wait_for(&after.answered));
	assert_true(slow.found && after.found);
	assert_int_equal(slow.err, 0);
}

static void test_stopped_indexes_inline(void **state)
{
	(void)state;
	static struct ack a;
	sp_indexer_stop(g.x);
	submit(&a, 200, durable);
	assert_true(wait_for(&a.answered));
	assert_int_equal(a.err, 0);
	assert_true(a.found);
	assert_true(pthread_equal(a.answer_thread, a.commit_thread));
}

struct seen {
	size_t n;
	int statuses_ok;
};

static int on_change(void *arg, const struct sp_reports_summary *s)
{
	struct seen *x = arg;
	x->n++;
	x->statuses_ok &= s->status == SP_ST_DITERIMA && s->n_holders == 1 &&
			  strcmp(s->holders[0], "73.12") == 0;
	return 0;
}

static void test_change_feed(void **state)
{
	(void)state;
	size_t reports = sp_reports_count(g.r);
	uint64_t end = sp_reports_change_end(g.r), next;
	struct seen all = {0, 1}, tail = {0, 1}, none = {0, 1};
	assert_int_equal(sp_reports_changes(g.r, 0, 1000, 0, on_change, &all, &next), 0);
	assert_int_equal(all.n, reports); /* each report once: submitted, never acted on */
	assert_true(all.statuses_ok);
	assert_int_equal(next, end);
	/* from a cursor: only what follows it, in batches */
	assert_int_equal(sp_reports_changes(g.r, end - 5, 2, 0, on_change, &tail, &next), 0);
	assert_int_equal(tail.n, 2);
	assert_int_equal(next, end - 3);
	/* a rebuild derives the same reports again: no change recorded */
	assert_int_equal(sp_reports_rebuild(g.r), 0);
	assert_int_equal(sp_reports_count(g.r), reports);
	assert_int_equal(sp_reports_change_end(g.r), end);
	assert_int_equal(sp_reports_changes(g.r, end, 1000, 0, on_change, &none, &next), 0);
	assert_int_equal(none.n, 0);
	/* numbering goes on after it */
	static struct ack a;
	submit(&a, 300, durable);
	assert_true(wait_for(&a.answered));
	assert_int_equal(sp_reports_change_end(g.r), end + 1);
	assert_int_equal(sp_reports_changes(g.r, end, 1000, 0, on_change, &none, &next), 0);
	assert_int_equal(none.n, 1);
}

static void test_change_feed_prune(void **state)
{
	(void)state;
	static struct ack subs[6];
	for (int i = 0; i < 6; i++)
		submit(&subs[i], 500 + i, durable);
	for (int i = 0; i < 6; i++)
		assert_true(wait_for(&subs[i].answered));
	uint64_t end = sp_reports_change_end(g.r), floor = sp_reports_change_floor(g.r), next;
	assert_true(floor + 6 <= end);
	size_t n = 0;
	assert_int_equal(sp_reports_changes_prune(g.r, end - 3, &n), 0);
	assert_int_equal(n, end - 3 - floor);
	assert_int_equal(sp_reports_change_floor(g.r), end - 3);
	struct seen kept = {0, 1}, again = {0, 1}, after = {0, 1};
	assert_int_equal(sp_reports_changes(g.r, 0, 1000, 0, on_change, &kept, &next), 0);
	assert_int_equal(kept.n, 3);
	assert_int_equal(next, end);
	/* a start finds the floor from what the feed keeps */
	assert_int_equal(sp_reports_load(g.r, NULL), 0);
	assert_int_equal(sp_reports_change_floor(g.r), end - 3);
	/* past the end: up to the end, and numbering goes on */
	assert_int_equal(sp_reports_changes_prune(g.r, end + 100, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(sp_reports_change_floor(g.r), end);
	assert_int_equal(sp_reports_changes(g.r, 0, 1000, 0, on_change, &again, &next), 0);
	assert_int_equal(again.n, 0);
	static struct ack a;
	submit(&a, 400, durable);
	assert_true(wait_for(&a.answered));
	assert_int_equal(sp_reports_change_end(g.r), end + 1);
	assert_int_equal(sp_reports_changes(g.r, 0, 1000, 0, on_change, &after, &next), 0);
	assert_int_equal(after.n, 1);
}

/* verify_one_thread compares the index with one rebuilt on one thread in a
 * copy of the store. */
static void verify_one_thread(const char *name)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/copy", sp_test_tmpdir(name));
	assert_int_equal(sp_store_backup(g.s, dir), 0);
	struct sp_store_opts so = {.verify_threads = 1};
	struct sp_store *copy;
	assert_int_equal(sp_store_open(dir, &so, &copy), 0);
	char why[512] = "";
	int rc = sp_reports_verify(g.r, copy, why, sizeof(why));
	sp_store_close(copy);
	if (rc)
		fail_msg("%s: %s", sp_errname(rc), why);
}

static void test_pool_equals_one_thread(void **state)
{
	(void)state;
	enum { N = 300 };
	static struct ack a[N];
	assert_non_null(sp_store_pool(g.s));
	for (int i = 0; i < N; i++)
		submit(&a[i], 1000 + i, durable);
	for (int i = 0; i < N; i++)
		assert_true(wait_for(&a[i].answered));
	verify_one_thread("indexer-pool-incremental");
	assert_int_equal(sp_reports_rebuild(g.r), 0); /* every report in a few jobs */
	verify_one_thread("indexer-pool-rebuilt");
}

/* act_on appends reporter action `code` on report id, signed with the key
 * of reporter seed (or a byte of its signature flipped); waits until it is
 * durable and indexed (the indexer is stopped: indexed inline). */
static void act_on(const uint8_t id[SP_HASH_BYTES], uint8_t seed, uint32_t code, uint64_t n,
		   int forge)
{
	static struct ack a[8];
	static size_t used;
	assert_true(used < 8);
	struct ack *k = &a[used++];
	struct sp_report_action x;
	memset(&x, 0, sizeof(x));
	memcpy(x.report, id, SP_HASH_BYTES);
	x.code = code;
	x.issued_ms = n;
	x.text = (struct sp_str){"Masih berlubang.", 16};
	uint8_t pk[32], sk[64], *body;
	size_t len;
	sp_test_keypair(seed, pk, sk);
	assert_int_equal(sp_report_action_build_reporter(&x, sk, &body, &len), 0);
	if (forge)
		body[len - 1] ^= 1; /* the signature is the body's last field */
	assert_int_equal(sp_store_append_async(g.s, SP_EV_ACTION, body, len, durable, k), 0);
	free(body);
	assert_true(wait_for(&k->answered));
	assert_int_equal(k->err, 0);
}

/* The index remembers which trail entries' signatures its computations
 * found good, in the report's record, and its views pass them to the state
 * function as known (not checked again); a bad one stays unmarked and is
 * refused at every view; a rebuild marks them again. */
static void test_sig_marks(void **state)
{
	(void)state;
	static struct ack sub;
	submit(&sub, 60, durable); /* reporter key of seed 61 */
	assert_true(wait_for(&sub.answered));
	act_on(sub.id, 61, SP_ACT_BALAS, 1, 0);
	act_on(sub.id, 61, SP_ACT_BALAS, 2, 1);
	for (int pass = 0; pass < 2; pass++) {
		struct sp_reports_view v;
		assert_int_equal(sp_reports_view(g.r, sub.id, sp_now_ms(), NULL, &v), 0);
		assert_int_equal(v.n, 2);
		assert_int_equal(v.st.verdict[0], 0);
		assert_int_equal(v.items[0].sig_ok, 1);
		assert_int_equal(v.st.sig_good[0], 1);
		assert_int_equal(v.st.verdict[1], SP_ERR_REPORTER_PROOF);
		assert_int_equal(v.items[1].sig_ok, 0);
		sp_reports_view_free(&v);
		assert_int_equal(sp_reports_rebuild(g.r), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_your_write),
		cmocka_unit_test(test_slow_answer_holds_no_commit),
		cmocka_unit_test(test_stopped_indexes_inline),
		cmocka_unit_test(test_change_feed),
		cmocka_unit_test(test_change_feed_prune),
		cmocka_unit_test(test_pool_equals_one_thread),
		cmocka_unit_test(test_sig_marks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

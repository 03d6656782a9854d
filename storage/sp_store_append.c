/*
 * sp_store_append.c - own-log appends with group commit.
 *
 * Appenders queue requests. The signer thread takes everything queued,
 * assigns indexes, signs each entry (each entry's prev is the hash of the
 * one before, signature included, so signing is inherently serial), grows
 * the Merkle tiles, and hands the batch to the commit thread, which writes
 * it with fsync and only then acknowledges every request in it. While one
 * batch is being fsynced the next is being signed, so throughput is bound
 * by signing, not by the disk, and many appenders share one fsync.
 */
#include "sp_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"

/* Queue bound: appenders wait for room (backpressure) beyond this. */
#define SP_QUEUE_MAX 65536
/* Most requests signed into one write batch. */
#define SP_BATCH_MAX 4096
/* Room kept in an entry for the fields around the body. */
#define SP_ENTRY_OVERHEAD 200

static void req_finish(struct sp_req *r)
{
	if (r->cb)
		r->cb(r->arg, r->err, r->index, r->hash);
	free(r->body);
	free(r);
}

static void reqs_fail(struct sp_req *r, int err)
{
	while (r) {
		struct sp_req *next = r->next;
		r->err = err;
		req_finish(r);
		r = next;
	}
}

/* Signs one request as the next entry of the own log, under l->wmu. */
static int sign_one(struct sp_store *s, struct sp_log *l, struct sp_req *r,
		    rocksdb_writebatch_t *wb)
{
	struct sp_entry e = {0};
	e.version = SP_ENTRY_VERSION;
	e.index = l->w_size;
	memcpy(e.prev, l->w_head, SP_HASH_BYTES);
	uint64_t now = sp_now_ms();
	e.time_ms = now > l->w_time ? now : l->w_time;
	if (e.time_ms < s->sk_from) /* a key signs nothing dated before it is in force */
		e.time_ms = s->sk_from;
	e.type = r->type;
	e.body = r->body;
	e.body_len = r->body_len;
	uint8_t *buf;
	size_t len;
	int rc = sp_entry_sign(&e, s->sk, &buf, &len);
	if (rc)
		return rc;
	uint8_t leaf[32];
	sp_entry_hash(buf, len, r->hash);
	sp_merkle_leaf_hash(buf, len, leaf);
	struct sp_key k = sp_key_entry(l->id, e.index);
	rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_ENTRIES], (const char *)k.b, k.n,
				  (const char *)buf, len);
	free(buf);
	struct {
		struct sp_store *s;
		uint32_t id;
		rocksdb_writebatch_t *wb;
	} ectx = {s, l->id, wb};
	rc = sp_edge_append(&l->w_edge, leaf, sp_store_tile_emit, &ectx);
	if (rc) {
		/* The edge may be half-updated: the writer state is unusable. */
		atomic_store(&s->broken, 1);
		return rc;
	}
	r->index = e.index;
	l->w_size++;
	memcpy(l->w_head, r->hash, SP_HASH_BYTES);
	l->w_time = e.time_ms;
	l->w_key = s->sk_pos;
	return 0;
}

static struct sp_req *queue_take(struct sp_store *s)
{
	pthread_mutex_lock(&s->q_mu);
	while (s->q_head == NULL && !s->stopping)
		pthread_cond_wait(&s->q_cv, &s->q_mu);
	struct sp_req *head = s->q_head, *r = head;
	size_t n = 0;
	if (r) {
		while (r->next && ++n < SP_BATCH_MAX)
			r = r->next;
		s->q_head = r->next;
		if (s->q_head == NULL)
			s->q_tail = NULL;
		r->next = NULL;
		s->q_len -= n + 1;
		pthread_cond_broadcast(&s->q_room_cv);
	}
	pthread_mutex_unlock(&s->q_mu);
	return head;
}

static void commit_push(struct sp_store *s, struct sp_batch *b)
{
	pthread_mutex_lock(&s->q_mu);
	if (s->c_tail)
		s->c_tail->next = b;
	else
		s->c_head = b;
	s->c_tail = b;
	pthread_cond_signal(&s->c_cv);
	pthread_mutex_unlock(&s->q_mu);
}

static void *signer_main(void *arg)
{
	struct sp_store *s = arg;
	struct sp_log *l = sp_store_log_get(s, (uint32_t)s->own_id);
	struct sp_req *reqs;
	while ((reqs = queue_take(s)) != NULL) {
		if (atomic_load(&s->broken)) {
			reqs_fail(reqs, SP_ERR_DB);
			continue;
		}
		struct sp_batch *b = calloc(1, sizeof(*b));
		if (b == NULL) {
			reqs_fail(reqs, SP_ERR_NOMEM);
			continue;
		}
		b->wb = rocksdb_writebatch_create();
		b->reqs = reqs;
		pthread_mutex_lock(&l->wmu);
		for (struct sp_req *r = reqs; r; r = r->next)
			if (!atomic_load(&s->broken))
				r->err = sign_one(s, l, r, b->wb);
			else
				r->err = SP_ERR_DB;
		b->snap = sp_snap_from_writer(l);
		if (b->snap == NULL)
			atomic_store(&s->broken, 1);
		pthread_mutex_unlock(&l->wmu);
		commit_push(s, b);
	}
	/* Wake the committer so it sees the end of input. */
	pthread_mutex_lock(&s->q_mu);
	s->stopping = 2;
	pthread_cond_signal(&s->c_cv);
	pthread_mutex_unlock(&s->q_mu);
	return NULL;
}

/* commit_take takes every batch the signer has queued: the committer writes
 * them all and fsyncs once, so when appends trickle in and the signer makes
 * many small batches, they still share one fsync. */
static struct sp_batch *commit_take(struct sp_store *s)
{
	pthread_mutex_lock(&s->q_mu);
	while (s->c_head == NULL && s->stopping != 2)
		pthread_cond_wait(&s->c_cv, &s->q_mu);
	struct sp_batch *b = s->c_head;
	s->c_head = s->c_tail = NULL;
	pthread_mutex_unlock(&s->q_mu);
	return b;
}

static void maybe_checkpoint(struct sp_store *s, struct sp_log *l)
{
	uint64_t now = sp_now_ms();
	if (now - s->last_cp_ms < s->checkpoint_ms)
		return;
	s->last_cp_ms = now;
	pthread_mutex_lock(&l->cp_mu);
	sp_store_sign_checkpoint_locked(s, l);
	pthread_mutex_unlock(&l->cp_mu);
}

/* Writes a chain of batches in order; only the last write syncs, which makes
 * the WAL durable up to and including every earlier one. */
static int commit_write(struct sp_store *s, struct sp_batch *chain)
{
	if (atomic_load(&s->broken))
		return SP_ERR_DB;
	for (struct sp_batch *b = chain; b; b = b->next) {
		int rc = sp_store_write(s, b->wb, b->next == NULL);
		if (rc)
			return rc;
	}
	atomic_fetch_add(&s->n_syncs, 1);
	return 0;
}

/* Acknowledges (or fails) every request of every batch, publishing the
 * last batch's snapshot first so an acknowledged entry is readable. */
static void commit_finish(struct sp_store *s, struct sp_log *l, struct sp_batch *chain, int rc)
{
	struct sp_batch *last = chain;
	while (last->next)
		last = last->next;
	if (rc == 0) {
		sp_snap_publish(l, last->snap);
		last->snap = NULL;
	} else {
		atomic_store(&s->broken, 1);
	}
	for (struct sp_batch *b = chain, *bn; b; b = bn) {
		bn = b->next;
		for (struct sp_req *r = b->reqs, *next; r; r = next) {
			next = r->next;
			if (rc)
				r->err = rc;
			else if (r->err == 0)
				atomic_fetch_add(&s->n_appends, 1);
			req_finish(r);
		}
		sp_snap_put(b->snap);
		rocksdb_writebatch_destroy(b->wb);
		free(b);
	}
}

static void *committer_main(void *arg)
{
	struct sp_store *s = arg;
	struct sp_log *l = sp_store_log_get(s, (uint32_t)s->own_id);
	struct sp_batch *chain;
	while ((chain = commit_take(s)) != NULL) {
		int rc = commit_write(s, chain);
		commit_finish(s, l, chain, rc);
		if (rc == 0)
			maybe_checkpoint(s, l);
	}
	return NULL;
}

int sp_store_pipeline_start(struct sp_store *s)
{
	if (s->own_id < 0)
		return 0;
	if (pthread_create(&s->signer, NULL, signer_main, s) != 0)
		return SP_ERR_NOMEM;
	if (pthread_create(&s->committer, NULL, committer_main, s) != 0) {
		pthread_mutex_lock(&s->q_mu);
		s->stopping = 1;
		pthread_cond_broadcast(&s->q_cv);
		pthread_mutex_unlock(&s->q_mu);
		pthread_join(s->signer, NULL);
		return SP_ERR_NOMEM;
	}
	s->threads_started = 1;
	return 0;
}

void sp_store_pipeline_stop(struct sp_store *s)
{
	if (!s->threads_started)
		return;
	pthread_mutex_lock(&s->q_mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->q_cv);
	pthread_cond_broadcast(&s->q_room_cv);
	pthread_mutex_unlock(&s->q_mu);
	pthread_join(s->signer, NULL);
	pthread_join(s->committer, NULL);
	s->threads_started = 0;
}

int sp_store_append_async(struct sp_store *s, uint64_t type, const uint8_t *body, size_t body_len,
			  sp_append_cb cb, void *arg)
{
	if (s->own_id < 0 || s->read_only || body == NULL)
		return SP_ERR_ARG;
	if (atomic_load(&s->own_behind) || atomic_load(&s->own_hold))
		return SP_ERR_STALE;
	if (atomic_load(&s->own_lost))
		return SP_ERR_FORK_RESOLVED;
	if (atomic_load(&s->broken))
		return SP_ERR_DB;
	if (body_len > SP_ENTRY_MAX - SP_ENTRY_OVERHEAD)
		return SP_ERR_ENTRY_TOO_LARGE;
	int rc = sp_cbor_validate_nested(body, body_len, 1);
	if (rc)
		return rc;
	struct sp_req *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->body = malloc(body_len ? body_len : 1)) == NULL) {
		free(r);
		return SP_ERR_NOMEM;
	}
	memcpy(r->body, body, body_len);
	r->body_len = body_len;
	r->type = type;
	r->cb = cb;
	r->arg = arg;
	pthread_mutex_lock(&s->q_mu);
	while (s->q_len >= SP_QUEUE_MAX && !s->stopping)
		pthread_cond_wait(&s->q_room_cv, &s->q_mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->q_mu);
		free(r->body);
		free(r);
		return SP_ERR_CLOSED;
	}
	if (s->q_tail)
		s->q_tail->next = r;
	else
		s->q_head = r;
	s->q_tail = r;
	s->q_len++;
	pthread_cond_signal(&s->q_cv);
	pthread_mutex_unlock(&s->q_mu);
	return 0;
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, err;
	uint64_t index;
	uint8_t hash[SP_HASH_BYTES];
};

static void waiter_cb(void *arg, int err, uint64_t index, const uint8_t hash[SP_HASH_BYTES])
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->err = err;
	w->index = index;
	memcpy(w->hash, hash, SP_HASH_BYTES);
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int sp_store_append(struct sp_store *s, uint64_t type, const uint8_t *body, size_t body_len,
		    uint64_t *index, uint8_t hash[SP_HASH_BYTES])
{
	struct waiter w = {.done = 0};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	int rc = sp_store_append_async(s, type, body, body_len, waiter_cb, &w);
	if (rc == 0) {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		pthread_mutex_unlock(&w.mu);
		rc = w.err;
	}
	if (rc == 0 && index)
		*index = w.index;
	if (rc == 0 && hash)
		memcpy(hash, w.hash, SP_HASH_BYTES);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return rc;
}

/* Signs a checkpoint of the durable own log, never one inconsistent with the
 * last checkpoint signed. Caller holds l->cp_mu. */
int sp_store_sign_checkpoint_locked(struct sp_store *s, struct sp_log *l)
{
	struct sp_snap *sn = sp_snap_get(l);
	struct sp_checkpoint c;
	int rc = 0;
	if (l->cp_have && sn->size == l->cp_size)
		goto out; /* nothing new */
	if (l->cp_have && sn->size < l->cp_size) {
		rc = SP_ERR_STALE;
		goto out;
	}
	if (l->cp_have) {
		uint8_t old[32];
		rc = sp_store_root(s, l->id, l->cp_size, old);
		if (rc == 0 && sodium_memcmp(old, l->cp_root, 32) != 0)
			rc = SP_ERR_INCONSISTENT;
		if (rc)
			goto out;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "%s", l->origin);
	c.size = sn->size;
	rc = sp_edge_root(&sn->edge, c.root);
	if (rc)
		goto out;
	struct sp_buf note;
	sp_buf_init(&note);
	rc = sp_checkpoint_sign(&c, s->sk, &note);
	if (rc == 0 && note.err)
		rc = note.err;
	if (rc == 0) {
		/* No fsync needed: the entries it covers already are durable, and
		 * re-signing the same tree gives the same (deterministic) note. */
		struct sp_key k = sp_key_checkpoint(l->id, c.size);
		rc = sp_store_put(s, SP_CF_CHECKPOINTS, k.b, k.n, note.p, note.len, 0);
	}
	sp_buf_free(&note);
	if (rc == 0) {
		l->cp_have = 1;
		l->cp_size = c.size;
		memcpy(l->cp_root, c.root, 32);
	}
out:
	sp_snap_put(sn);
	return rc;
}

/*
 * sp_store_ingest.c - storing entries of other institutions' logs.
 *
 * A peer's bad data never reaches storage: every entry is decoded strictly
 * and its signature checked (in parallel, on all cores) before anything is
 * written; then, in log order, each must extend the log exactly (author,
 * index, previous hash, time) and, where the store holds the writer's
 * signed checkpoint for that size, reproduce its Merkle root. A different
 * entry at an index already held is evidence of a fork: it is kept as such,
 * the log is frozen, and nothing of it replaces what was held.
 */
#include "sp_store_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"

/* Everything about one batch that can be worked out per entry, in
 * parallel, before the sequential linking: decoding, the signature check,
 * and both hashes, so the part under the log's lock is short. */
struct verify_job {
	const uint8_t *const *bufs;
	const size_t *lens;
	struct sp_entry *ents;
	int *rcs;
	sp_hash *leaf;
	sp_hash *hash;
};

static int verify_chunk(void *arg, size_t begin, size_t end)
{
	struct verify_job *j = arg;
	for (size_t i = begin; i < end; i++) {
		j->rcs[i] = sp_entry_open(j->bufs[i], j->lens[i], &j->ents[i]);
		if (j->rcs[i] == 0) {
			sp_merkle_leaf_hash(j->bufs[i], j->lens[i], j->leaf[i]);
			sp_entry_hash(j->bufs[i], j->lens[i], j->hash[i]);
		}
	}
	return 0;
}

/* older_key: entry e is signed by a key older than the held entry at its
 * index: a rotated-away key's word against the log, which is no evidence
 * of anything (else whoever holds an old key could freeze the log). */
static int older_key(struct sp_store *s, struct sp_log *l, const struct sp_entry *e)
{
	struct sp_keyhist h;
	size_t held_pos;
	sp_log_keys(l, &h);
	long pos = sp_keyhist_find(&h, e->author);
	if (pos < 0)
		return 1;
	return sp_log_entry_key(s, l, e->index, &held_pos) == 0 && (size_t)pos < held_pos;
}

/* check_held_entry: a duplicate of an entry already held must have the
 * same bytes; another entry at that index is a fork. */
static int check_held_entry(struct sp_store *s, struct sp_log *l, const uint8_t *buf, size_t len,
		      const struct sp_entry *e, rocksdb_writebatch_t *wb)
{
	struct sp_buf held;
	sp_buf_init(&held);
	uint64_t index = e->index;
	int rc = sp_store_entry(s, l->id, index, &held);
	if (rc == 0 && (held.len != len || memcmp(held.p, buf, len) != 0) && older_key(s, l, e))
		rc = SP_ERR_WRONG_AUTHOR;
	if (rc == 0 && (held.len != len || memcmp(held.p, buf, len) != 0)) {
		if (sp_forkres_covers(l, SP_FORK_ENTRY, index) || sp_forkres_pending(l))
			rc = SP_ERR_FORK_RESOLVED; /* the fork the coordinator resolved */
		else
			rc = sp_store_add_fork(s, l, wb, SP_FORK_ENTRY, index, held.p, held.len, buf,
					       len);
		if (rc == 0)
			rc = SP_ERR_FORK;
	}
	sp_buf_free(&held);
	return rc;
}

/* check_held_checkpoint_root: the writer's checkpoint of exactly this
 * size, if the store holds one, must have the root of the tree the entries
 * build. */
static int check_held_checkpoint_root(struct sp_store *s, struct sp_log *l, rocksdb_writebatch_t *wb,
			    const uint8_t *last, size_t last_len)
{
	struct sp_buf note;
	sp_buf_init(&note);
	int rc = sp_store_checkpoint_at(s, l->id, l->w_size, &note);
	if (rc == SP_ERR_NOT_FOUND) {
		sp_buf_free(&note);
		return 0;
	}
	struct sp_checkpoint c;
	uint8_t root[32];
	if (rc == 0)
		rc = sp_log_checkpoint_open(l, l->w_key, (const char *)note.p, note.len, &c, NULL);
	if (rc == 0)
		rc = sp_edge_root(&l->w_edge, root);
	if (rc == 0 && sodium_memcmp(root, c.root, 32) != 0) {
		if (sp_forkres_covers(l, SP_FORK_CHECKPOINT, l->w_size))
			rc = SP_ERR_FORK_RESOLVED;
		else
			rc = sp_store_add_fork(s, l, wb, SP_FORK_CHECKPOINT, l->w_size, note.p,
					       note.len, last, last_len);
		if (rc == 0)
			rc = SP_ERR_INCONSISTENT;
	}
	sp_buf_free(&note);
	return rc;
}

/* extend checks that one verified entry extends the log exactly (author,
 * index, previous hash, time order) and appends it to the replica's writer
 * state and batch. */
static int extend(struct sp_store *s, struct sp_log *l, const struct verify_job *j, size_t i,
		  rocksdb_writebatch_t *wb)
{
	const struct sp_entry *e = &j->ents[i];
	struct sp_keyhist h;
	size_t pos;
	sp_log_keys(l, &h);
	if (sp_keyhist_entry(&h, l->w_size ? l->w_key : 0, e->author, e->time_ms, &pos))
		return SP_ERR_WRONG_AUTHOR;
	struct sp_entry prev = {0};
	memcpy(prev.author, e->author, SP_KEY_BYTES); /* the key rule is the one above */
	prev.index = l->w_size - 1;
	prev.time_ms = l->w_time;
	int rc = sp_entry_check_link(l->w_size ? &prev : NULL, l->w_head, e);
	if (rc)
		return rc;
	struct sp_key k = sp_key_entry(l->id, e->index);
	rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_ENTRIES], (const char *)k.b, k.n,
				  (const char *)j->bufs[i], j->lens[i]);
	struct {
		struct sp_store *s;
		uint32_t id;
		rocksdb_writebatch_t *wb;
	} ectx = {s, l->id, wb};
	rc = sp_edge_append(&l->w_edge, j->leaf[i], sp_store_tile_emit, &ectx);
	if (rc) {
		atomic_store(&s->broken, 1);
		return rc;
	}
	l->w_size++;
	memcpy(l->w_head, j->hash[i], SP_HASH_BYTES);
	l->w_time = e->time_ms;
	l->w_key = pos;
	return 0;
}

/* Restores the writer state from the durable snapshot after a batch that
 * could not be written (its entries were never stored). */
static int rollback(struct sp_log *l)
{
	struct sp_snap *sn = sp_snap_get(l);
	struct sp_edge e;
	int rc = sp_edge_clone(&sn->edge, &e);
	if (rc == 0) {
		sp_edge_free(&l->w_edge);
		l->w_edge = e;
		l->w_size = sn->size;
		memcpy(l->w_head, sn->head, SP_HASH_BYTES);
		l->w_time = sn->head_time;
		l->w_key = sn->head_key;
	}
	sp_snap_put(sn);
	return rc;
}

/* resolved_away: the batch contradicts the coordinator's resolution of a
 * fork in this log. None of it is stored, and nothing is evidence. If the
 * log was pending (held fewer entries than the resolution names), what it
 * holds may be the branch resolved away: it is set aside and fetched
 * again from 0 (sp_store_forkres.c). */
static int resolved_away(struct sp_store *s, struct sp_log *l, uint64_t start,
			 rocksdb_writebatch_t *wb, rocksdb_writebatch_t *ev)
{
	rocksdb_writebatch_destroy(ev);
	rocksdb_writebatch_destroy(wb);
	int rc = rollback(l);
	if (rc == 0 && start > 0 && sp_forkres_pending(l))
		rc = sp_forkres_restart(s, l, NULL);
	return rc ? rc : SP_ERR_FORK_RESOLVED;
}

static int apply(struct sp_store *s, struct sp_log *l, const struct verify_job *j, size_t n,
		 size_t *accepted)
{
	const uint8_t *const *entries = j->bufs;
	const size_t *lens = j->lens;
	const struct sp_entry *ents = j->ents;
	const int *rcs = j->rcs;
	uint64_t start = l->w_size;
	/* Which sizes this batch can reach have a checkpoint to match. */
	uint64_t *cps = malloc((n + 1) * sizeof(*cps));
	size_t ncp = 0, next_cp = 0;
	int rc = cps ? sp_store_checkpoint_sizes(s, l->id, start + 1, start + n + 1, cps, n + 1, &ncp)
		     : SP_ERR_NOMEM;
	if (rc) {
		free(cps);
		return rc;
	}
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	rocksdb_writebatch_t *ev = rocksdb_writebatch_create(); /* fork evidence only */
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = rcs[i];
		if (rc)
			break;
		if (ents[i].index != ents[0].index + i) {
			/* A batch is one range: the stored hook and the peer
			 * layer read entry i as index first + i. */
			rc = SP_ERR_WRONG_INDEX;
			break;
		}
		if (ents[i].index < l->w_size) {
			if (ents[i].index < start)
				rc = check_held_entry(s, l, entries[i], lens[i], &ents[i], ev);
			else
				rc = SP_ERR_WRONG_INDEX; /* repeated within this batch */
			continue;
		}
		if (ents[i].index > l->w_size) {
			rc = SP_ERR_GAP;
			break;
		}
		rc = extend(s, l, j, i, wb);
		if (rc == SP_ERR_WRONG_PREV && sp_forkres_pending(l))
			rc = SP_ERR_FORK_RESOLVED; /* what is held or what came is the other branch */
		if (rc == 0)
			rc = sp_forkres_reached(l);
		while (next_cp < ncp && cps[next_cp] < l->w_size)
			next_cp++;
		if (rc == 0 && next_cp < ncp && cps[next_cp] == l->w_size)
			rc = check_held_checkpoint_root(s, l, ev, entries[i], lens[i]);
	}
	free(cps);
	if (rc == SP_ERR_FORK_RESOLVED)
		return resolved_away(s, l, start, wb, ev);
	if (rc == SP_ERR_FORK || rc == SP_ERR_INCONSISTENT) {
		/* The writer contradicted itself: store the evidence (and the
		 * frozen flag) but none of this batch's entries. */
		int wrc = sp_store_commit(s, ev, rollback(l), 1);
		if (wrc == 0)
			atomic_fetch_add(&s->fork_gen, 1);
		rocksdb_writebatch_destroy(wb);
		return wrc ? wrc : rc;
	}
	rocksdb_writebatch_destroy(ev);
	/* A bad entry ends the batch; the valid prefix before it is stored. */
	size_t added = (size_t)(l->w_size - start);
	int wrc = 0;
	if (added > 0) {
		/* Not fsynced: a replica's entries can always be fetched again,
		 * the WAL keeps each batch atomic and in order (a crash leaves a
		 * verified prefix), and the next synced write (own appends, fork
		 * evidence) makes everything before it durable too. */
		wrc = sp_store_write(s, wb, 0);
		if (wrc == 0) {
			struct sp_snap *sn = sp_snap_from_writer(l);
			if (sn)
				sp_snap_publish(l, sn);
			else
				wrc = SP_ERR_NOMEM;
		} else if (rollback(l)) {
			atomic_store(&s->broken, 1);
		}
	}
	rocksdb_writebatch_destroy(wb);
	if (accepted)
		*accepted = wrc ? 0 : added;
	return wrc ? wrc : rc;
}

/* A batch whose entries are decoded, signature-checked and hashed
 * (sp_store_verify), waiting to be linked into its log (sp_store_apply). */
struct sp_store_batch {
	struct sp_log *l;
	size_t n;
	struct verify_job job;
};

void sp_store_batch_free(struct sp_store_batch *b)
{
	if (b == NULL)
		return;
	free(b->job.ents);
	free(b->job.rcs);
	free(b->job.leaf);
	free(b->job.hash);
	free(b);
}

int sp_store_batch_run(const struct sp_store_batch *b, size_t from, size_t n, uint64_t first,
		       struct sp_store_run *out)
{
	if (b == NULL || from > b->n || n > b->n - from)
		return SP_ERR_RANGE;
	*out = (struct sp_store_run){.log = b->l->id,
				     .first = first,
				     .n = n,
				     .entries = b->job.bufs + from,
				     .lens = b->job.lens + from,
				     .ents = b->job.ents + from,
				     .hashes = b->job.hash + from};
	return 0;
}

/* verify_log checks entries[0..n) of log l in parallel on the store's pool. */
static int verify_log(struct sp_store *s, struct sp_log *l, const uint8_t *const *entries,
		      const size_t *lens, size_t n, struct sp_store_batch **out)
{
	*out = NULL;
	struct sp_store_batch *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SP_ERR_NOMEM;
	b->l = l;
	b->n = n;
	b->job = (struct verify_job){entries, lens, calloc(n + 1, sizeof(struct sp_entry)),
				     calloc(n + 1, sizeof(int)), calloc(n + 1, sizeof(sp_hash)),
				     calloc(n + 1, sizeof(sp_hash))};
	if (!b->job.ents || !b->job.rcs || !b->job.leaf || !b->job.hash) {
		sp_store_batch_free(b);
		return SP_ERR_NOMEM;
	}
	if (n > 0)
		sp_pool_for(s->pool, n, 8, verify_chunk, &b->job); /* small grains: short tails */
	*out = b;
	return 0;
}

/* apply_log links a verified batch into its log under the writer lock. */
static int apply_log(struct sp_store *s, struct sp_store_batch *b, size_t *accepted)
{
	struct sp_log *l = b->l;
	if (atomic_load(&l->frozen))
		return SP_ERR_BUSY;
	if (atomic_load(&s->broken))
		return SP_ERR_DB;
	if (b->n == 0)
		return 0;
	pthread_mutex_lock(&l->wmu);
	int rc = atomic_load(&l->frozen) ? SP_ERR_BUSY : apply(s, l, &b->job, b->n, accepted);
	pthread_mutex_unlock(&l->wmu);
	return rc;
}

/* insert_log verifies entries[0..n) in parallel, then applies them to
 * log l under its writer lock. */
static int insert_log(struct sp_store *s, struct sp_log *l, const uint8_t *const *entries,
		      const size_t *lens, size_t n, size_t *accepted)
{
	if (atomic_load(&l->frozen))
		return SP_ERR_BUSY;
	struct sp_store_batch *b;
	int rc = verify_log(s, l, entries, lens, n, &b);
	if (rc == 0)
		rc = apply_log(s, b, accepted);
	sp_store_batch_free(b);
	return rc;
}

/* replica_log: log id, if it is a replica this store may write. */
static struct sp_log *replica_log(struct sp_store *s, uint32_t id, int *rc)
{
	struct sp_log *l = sp_store_log_get(s, id);
	*rc = l == NULL ? SP_ERR_NOT_FOUND : (l->own || s->read_only) ? SP_ERR_ARG : 0;
	return *rc ? NULL : l;
}

int sp_store_insert(struct sp_store *s, uint32_t id, const uint8_t *const *entries,
		    const size_t *lens, size_t n, size_t *accepted)
{
	if (accepted)
		*accepted = 0;
	int rc;
	struct sp_log *l = replica_log(s, id, &rc);
	return l ? insert_log(s, l, entries, lens, n, accepted) : rc;
}

int sp_store_verify(struct sp_store *s, uint32_t id, const uint8_t *const *entries,
		    const size_t *lens, size_t n, struct sp_store_batch **out)
{
	*out = NULL;
	int rc;
	struct sp_log *l = replica_log(s, id, &rc);
	return l ? verify_log(s, l, entries, lens, n, out) : rc;
}

int sp_store_apply(struct sp_store *s, struct sp_store_batch *b, size_t *accepted)
{
	if (accepted)
		*accepted = 0;
	return b ? apply_log(s, b, accepted) : SP_ERR_ARG;
}

/* ---- restoring the own log from peers ----------------------------------- */

static struct sp_log *own_log(struct sp_store *s)
{
	return s->own_id < 0 || s->read_only ? NULL : sp_store_log_get(s, (uint32_t)s->own_id);
}

int sp_store_own_checkpoint_put(struct sp_store *s, const char *note, size_t len)
{
	struct sp_log *l = own_log(s);
	if (l == NULL)
		return SP_ERR_ARG;
	struct sp_checkpoint c;
	int rc = sp_log_checkpoint_open(l, 0, note, len, &c, NULL);
	if (rc)
		return rc;
	pthread_mutex_lock(&l->wmu);
	pthread_mutex_lock(&l->cp_mu);
	if (c.size <= l->w_size) {
		uint8_t root[32];
		rc = sp_store_root(s, l->id, c.size, root);
		if (rc == 0 && sodium_memcmp(root, c.root, 32) != 0)
			rc = SP_ERR_INCONSISTENT;
	} else if (!l->cp_have || c.size > l->cp_size) {
		struct sp_key k = sp_key_checkpoint(l->id, c.size);
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
		rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_CHECKPOINTS], (const char *)k.b, k.n,
					  note, len);
		rc = sp_store_commit(s, wb, 0, 1);
		if (rc == 0) {
			l->cp_have = 1;
			l->cp_size = c.size;
			memcpy(l->cp_root, c.root, 32);
			atomic_store(&s->own_behind, 1);
		}
	}
	pthread_mutex_unlock(&l->cp_mu);
	pthread_mutex_unlock(&l->wmu);
	return rc;
}

int sp_store_own_insert(struct sp_store *s, const uint8_t *const *entries, const size_t *lens,
			size_t n, size_t *accepted)
{
	if (accepted)
		*accepted = 0;
	struct sp_log *l = own_log(s);
	if (l == NULL || !(atomic_load(&s->own_behind) || atomic_load(&s->own_hold)))
		return SP_ERR_ARG;
	int rc = insert_log(s, l, entries, lens, n, accepted);
	pthread_mutex_lock(&l->wmu);
	pthread_mutex_lock(&l->cp_mu);
	if (l->w_size >= l->cp_size) /* caught up: the roots matched on the way */
		atomic_store(&s->own_behind, 0);
	pthread_mutex_unlock(&l->cp_mu);
	pthread_mutex_unlock(&l->wmu);
	return rc;
}

int sp_store_own_behind(struct sp_store *s, uint64_t *cp_size)
{
	struct sp_log *l = own_log(s);
	int behind = l != NULL && atomic_load(&s->own_behind);
	if (cp_size) {
		*cp_size = 0;
		if (l) {
			pthread_mutex_lock(&l->cp_mu);
			*cp_size = l->cp_have ? l->cp_size : 0;
			pthread_mutex_unlock(&l->cp_mu);
		}
	}
	return behind;
}

void sp_store_own_hold(struct sp_store *s, int on)
{
	atomic_store(&s->own_hold, on ? 1 : 0);
}

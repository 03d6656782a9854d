/*
 * sp_audit.c - the chunked, parallel log checker and the two whole-log
 * audits built on it: from a store, and from a tlog-tiles folder.
 */
#include "sp_audit.h"
#include "sp_audit_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"

/* Entries per pool task: large enough that scheduling is noise next to
 * 64 signature checks, small enough to balance 4096 over a few cores. */
#define POOL_GRAIN 64

struct sp_audit_item {
	size_t off, len;
	int rc;
	struct sp_entry e;
	uint8_t hash[SP_HASH_BYTES];
	uint8_t leaf[32];
};

int sp_audit_failf(struct sp_audit_fail *f, int err, const char *fmt, ...)
{
	if (f->err == 0 && err != 0) {
		f->err = err;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(f->where, sizeof(f->where), fmt, ap);
		va_end(ap);
	}
	return f->err;
}

void sp_audit_init(struct sp_audit *a, const struct sp_keyhist *keys, struct sp_pool *pool)
{
	memset(a, 0, sizeof(*a));
	a->keys = *keys;
	a->pool = pool;
	sp_merkle_frontier_init(&a->tree);
}

void sp_audit_free(struct sp_audit *a)
{
	free(a->bytes);
	free(a->items);
	a->bytes = NULL;
	a->items = NULL;
	a->n = a->cap = a->bytes_len = a->bytes_cap = 0;
}

void sp_audit_root(const struct sp_audit *a, uint8_t out[32])
{
	sp_merkle_frontier_root(&a->tree, out);
}

void sp_audit_mark(struct sp_audit *a, uint64_t size)
{
	for (size_t i = 0; i < a->n_marks; i++)
		if (a->mark_size[i] == size)
			return;
	if (a->n_marks == SP_AUDIT_MARKS)
		return;
	size_t i = a->n_marks++;
	a->mark_size[i] = size;
	a->mark_set[i] = 0;
	if (size == a->tree.size) {
		sp_audit_root(a, a->mark_root[i]);
		a->mark_key[i] = a->key_pos;
		a->mark_set[i] = 1;
	}
}

int sp_audit_marked(const struct sp_audit *a, uint64_t size, uint8_t root[32])
{
	for (size_t i = 0; i < a->n_marks; i++) {
		if (a->mark_size[i] == size && a->mark_set[i]) {
			memcpy(root, a->mark_root[i], 32);
			return 0;
		}
	}
	return SP_ERR_NOT_FOUND;
}

int sp_audit_add(struct sp_audit *a, const uint8_t *entry, size_t len)
{
	if (a->fail.err)
		return a->fail.err;
	if (sp_grow_to((void **)&a->bytes, &a->bytes_cap, a->bytes_len + len, 1) ||
	    sp_grow_to((void **)&a->items, &a->cap, a->n + 1, sizeof(*a->items)))
		return sp_audit_failf(&a->fail, SP_ERR_NOMEM, "entry %llu",
				      (unsigned long long)(a->tree.size + a->n));
	struct sp_audit_item *it = &a->items[a->n++];
	it->off = a->bytes_len;
	it->len = len;
	if (len)
		memcpy(a->bytes + a->bytes_len, entry, len);
	a->bytes_len += len;
	return a->n >= SP_AUDIT_CHUNK ? sp_audit_flush(a) : 0;
}

/* The parallel part: everything about one entry that needs no other entry.
 * The author is checked in order (accept_item): the keys may grow as the
 * log is read (the coordinator's log, whose records rotate its key).
 * Errors stay in the item, so the report names the first bad entry in log
 * order whichever worker found it. */
static int check_items(void *arg, size_t begin, size_t end)
{
	struct sp_audit *a = arg;
	for (size_t i = begin; i < end; i++) {
		struct sp_audit_item *it = &a->items[i];
		const uint8_t *p = a->bytes + it->off;
		it->rc = sp_entry_open(p, it->len, &it->e);
		if (it->rc)
			continue;
		sp_entry_hash(p, it->len, it->hash);
		sp_merkle_leaf_hash(p, it->len, it->leaf);
	}
	return 0;
}

/* The sequential part: links between neighbours and the tree. */
static int accept_item(struct sp_audit *a, struct sp_audit_item *it)
{
	uint64_t index = a->tree.size;
	size_t pos = 0;
	int rc = it->rc;
	if (rc == 0 && it->e.index != index)
		rc = SP_ERR_WRONG_INDEX;
	if (rc == 0)
		rc = sp_keyhist_entry(&a->keys, index ? a->key_pos : 0, it->e.author, it->e.time_ms,
				      &pos);
	if (rc == 0) {
		struct sp_entry prev = a->last;
		memcpy(prev.author, it->e.author, SP_KEY_BYTES); /* the key rule is the one above */
		rc = sp_entry_check_link(index ? &prev : NULL, a->last_hash, &it->e);
	}
	if (rc)
		return sp_audit_failf(&a->fail, rc, "entry %llu", (unsigned long long)index);
	sp_merkle_frontier_append(&a->tree, it->leaf);
	if (a->leaf_fn && (rc = a->leaf_fn(a->leaf_ctx, index, it->leaf)) != 0)
		return sp_audit_failf(&a->fail, rc, "entry %llu", (unsigned long long)index);
	if (a->entry_fn && (rc = a->entry_fn(a->entry_ctx, &it->e, a->bytes + it->off, it->len,
					     it->hash)) != 0)
		return sp_audit_failf(&a->fail, rc, "entry %llu", (unsigned long long)index);
	a->last = it->e;
	a->key_pos = pos;
	a->last.body = NULL; /* points into the chunk, which is about to be reused */
	a->last.body_len = 0;
	memcpy(a->last_hash, it->hash, SP_HASH_BYTES);
	for (size_t i = 0; i < a->n_marks; i++) {
		if (a->tree.size == a->mark_size[i]) {
			sp_audit_root(a, a->mark_root[i]);
			a->mark_key[i] = a->key_pos;
			a->mark_set[i] = 1;
		}
	}
	return 0;
}

int sp_audit_flush(struct sp_audit *a)
{
	if (a->fail.err || a->n == 0)
		goto out;
	int rc = a->pool ? sp_pool_for(a->pool, a->n, POOL_GRAIN, check_items, a)
			 : check_items(a, 0, a->n);
	if (rc) {
		sp_audit_failf(&a->fail, rc, "entry %llu", (unsigned long long)a->tree.size);
		goto out;
	}
	for (size_t i = 0; i < a->n; i++)
		if (accept_item(a, &a->items[i]))
			break;
out:
	a->n = 0;
	a->bytes_len = 0;
	return a->fail.err;
}

/* ---- checkpoints ---------------------------------------------------------------- */

/* count_cosigs: signature lines by anyone but the log itself (witnesses). */
static uint64_t count_cosigs(const char *note, size_t len, const struct sp_keyhist *keys,
			     const char *origin)
{
	struct sp_note *n = malloc(sizeof(*n));
	struct sp_note_key k[SP_KEYHIST_MAX];
	uint64_t count = 0;
	if (n == NULL || sp_note_parse(note, len, n) != 0 || sp_keyhist_vkeys(keys, origin, k)) {
		free(n);
		return 0;
	}
	size_t klen = strlen(origin);
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct sp_note_sig *sg = &n->sigs[i];
		int own = 0;
		for (size_t j = 0; j < keys->n && !own; j++)
			own = sg->name_len == klen && memcmp(sg->name, origin, klen) == 0 &&
			      memcmp(sg->id, k[j].id, 4) == 0;
		count += !own;
	}
	free(n);
	return count;
}

/* sp_audit_open_checkpoint: see sp_audit_int.h. */
int sp_audit_open_checkpoint(const char *note, size_t len, const struct sp_keyhist *keys,
			     const char *origin, struct sp_checkpoint *c,
			     struct sp_audit_report *rep)
{
	int rc = sp_keyhist_checkpoint_open(keys, 0, origin, note, len, c, &rep->cp_key);
	if (rc)
		return rc;
	rep->have_cp = 1;
	rep->cp_size = c->size;
	rep->cosigs = count_cosigs(note, len, keys, origin);
	return 0;
}

/* sp_audit_compare_mark: see sp_audit_int.h. */
void sp_audit_compare_mark(struct sp_audit *a, const struct sp_checkpoint *c,
			 struct sp_audit_report *rep)
{
	uint8_t root[32];
	if (a->fail.err || sp_audit_marked(a, c->size, root) != 0)
		return;
	rep->cp_compared = 1;
	if (sodium_memcmp(root, c->root, 32) != 0)
		sp_audit_failf(&a->fail, SP_ERR_INCONSISTENT,
			       "checkpoint of size %llu: the entries have another root",
			       (unsigned long long)c->size);
	for (size_t i = 0; i < a->n_marks; i++)
		if (a->mark_size[i] == c->size && c->size > 0 && rep->cp_key < a->mark_key[i])
			sp_audit_failf(&a->fail, SP_ERR_WRONG_AUTHOR,
				       "checkpoint of size %llu: signed by a key older than its "
				       "last entry's", (unsigned long long)c->size);
}

void sp_audit_report_done(struct sp_audit *a, struct sp_audit_report *rep, double t0)
{
	rep->entries = a->tree.size;
	sp_audit_root(a, rep->root);
	rep->fail = a->fail;
	rep->seconds = sp_progress_now() - t0;
}

/* ---- a log in a store --------------------------------------------------------- */

static int count_fork(void *arg, const struct sp_fork *f)
{
	(void)f;
	(*(uint64_t *)arg)++;
	return 0;
}

static void store_checkpoint(struct sp_store *s, uint32_t id, const struct sp_log_info *info,
			     struct sp_audit *a, struct sp_checkpoint *c,
			     struct sp_audit_report *rep)
{
	struct sp_buf note;
	sp_buf_init(&note);
	uint64_t key_size = 0;
	int rc = sp_store_checkpoint(s, id, &note, &key_size);
	if (rc == 0)
		rc = sp_audit_open_checkpoint((const char *)note.p, note.len, &info->keys,
					      info->origin, c, rep);
	if (rc == 0 && c->size != key_size)
		rc = SP_ERR_CORRUPT; /* stored under another size than it says */
	if (rc && rc != SP_ERR_NOT_FOUND)
		sp_audit_failf(&a->fail, rc, "latest checkpoint");
	sp_buf_free(&note);
}

/* ---- reading ahead -------------------------------------------------------------- */

/* Reading a chunk from RocksDB (iteration, block decompression) costs about
 * a fifth of checking it. A reader thread fills the next chunk while the
 * pool checks this one, so both cores spend the whole run on signatures
 * instead of waiting for each read. Two slots: one being read, one checked. */
struct ra_chunk {
	struct sp_buf bytes;
	size_t lens[SP_AUDIT_CHUNK];
	size_t n;
	int rc;
	uint64_t from;
};

struct readahead {
	struct sp_store *s;
	uint32_t id;
	uint64_t size;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ra_chunk slot[2];
	int full[2];  /* slot holds a chunk not yet taken */
	int stop;     /* the checker gave up: the reader should too */
};

static int ra_collect(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	struct ra_chunk *c = arg;
	(void)index;
	sp_buf_put(&c->bytes, entry, len);
	c->lens[c->n++] = len;
	return c->bytes.err;
}

static void *ra_main(void *arg)
{
	struct readahead *ra = arg;
	unsigned k = 0;
	for (uint64_t from = 0; from < ra->size; from += SP_AUDIT_CHUNK, k ^= 1) {
		pthread_mutex_lock(&ra->mu);
		while (ra->full[k] && !ra->stop)
			pthread_cond_wait(&ra->cv, &ra->mu);
		int stop = ra->stop;
		pthread_mutex_unlock(&ra->mu);
		if (stop)
			break;
		struct ra_chunk *c = &ra->slot[k];
		uint64_t to = ra->size - from < SP_AUDIT_CHUNK ? ra->size : from + SP_AUDIT_CHUNK;
		c->bytes.len = 0;
		c->n = 0;
		c->from = from;
		c->rc = sp_store_scan(ra->s, ra->id, from, to, ra_collect, c);
		pthread_mutex_lock(&ra->mu);
		ra->full[k] = 1;
		pthread_cond_broadcast(&ra->cv);
		pthread_mutex_unlock(&ra->mu);
	}
	return NULL;
}

/* check_chunk hands one read chunk to the checker. */
static void check_chunk(struct sp_audit *a, const struct ra_chunk *c)
{
	if (c->rc) {
		sp_audit_failf(&a->fail, c->rc, "reading entries from %llu",
			       (unsigned long long)c->from);
		return;
	}
	size_t off = 0;
	for (size_t i = 0; i < c->n && a->fail.err == 0; i++) {
		sp_audit_add(a, c->bytes.p + off, c->lens[i]);
		off += c->lens[i];
	}
	sp_audit_flush(a);
}

/* store_entries checks entries [0, size) chunk by chunk, reading ahead. */
static void store_entries(struct sp_store *s, uint32_t id, uint64_t size, struct sp_audit *a,
			  struct sp_progress *prog)
{
	struct readahead *ra = calloc(1, sizeof(*ra));
	pthread_t th;
	if (ra == NULL) {
		sp_audit_failf(&a->fail, SP_ERR_NOMEM, "reading entries");
		return;
	}
	*ra = (struct readahead){.s = s, .id = id, .size = size};
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->cv, NULL);
	sp_buf_init(&ra->slot[0].bytes);
	sp_buf_init(&ra->slot[1].bytes);
	int started = pthread_create(&th, NULL, ra_main, ra) == 0;
	if (!started)
		sp_audit_failf(&a->fail, SP_ERR_NOMEM, "starting the reader");
	unsigned k = 0;
	for (uint64_t from = 0; started && from < size && a->fail.err == 0;
	     from += SP_AUDIT_CHUNK, k ^= 1) {
		pthread_mutex_lock(&ra->mu);
		while (!ra->full[k])
			pthread_cond_wait(&ra->cv, &ra->mu);
		pthread_mutex_unlock(&ra->mu);
		check_chunk(a, &ra->slot[k]);
		pthread_mutex_lock(&ra->mu);
		ra->full[k] = 0;
		pthread_cond_broadcast(&ra->cv);
		pthread_mutex_unlock(&ra->mu);
		if (prog)
			sp_progress_update(prog, a->tree.size);
	}
	if (started) {
		pthread_mutex_lock(&ra->mu);
		ra->stop = 1;
		pthread_cond_broadcast(&ra->cv);
		pthread_mutex_unlock(&ra->mu);
		pthread_join(th, NULL);
	}
	sp_buf_free(&ra->slot[0].bytes);
	sp_buf_free(&ra->slot[1].bytes);
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->cv);
	free(ra);
}

/* store_tree compares the store's own tree and head with the entries. */
static void store_tree(struct sp_store *s, uint32_t id, const struct sp_log_info *info,
		       struct sp_audit *a)
{
	if (a->fail.err)
		return;
	uint8_t mine[32], theirs[32];
	sp_audit_root(a, mine);
	int rc = sp_store_root(s, id, a->tree.size, theirs);
	if (rc == 0 && sodium_memcmp(mine, theirs, 32) != 0)
		rc = SP_ERR_CORRUPT;
	if (rc) {
		sp_audit_failf(&a->fail, rc, "the store's Merkle tiles disagree with its entries");
		return;
	}
	if (info->size && sodium_memcmp(a->last_hash, info->head, SP_HASH_BYTES) != 0)
		sp_audit_failf(&a->fail, SP_ERR_CORRUPT, "the store's head hash");
}

int sp_audit_store_log(struct sp_store *s, uint32_t id, struct sp_pool *pool,
		       struct sp_progress *prog, struct sp_audit_report *rep)
{
	double t0 = sp_progress_now();
	memset(rep, 0, sizeof(*rep));
	struct sp_log_info info;
	int rc = sp_store_log_info(s, id, &info);
	if (rc)
		return sp_audit_failf(&rep->fail, rc, "log %u", (unsigned)id);
	memcpy(rep->origin, info.origin, sizeof(rep->origin));
	memcpy(rep->pk, info.pk, SP_KEY_BYTES);
	rep->nkeys = info.keys.n;

	struct sp_audit a;
	struct sp_note_key key;
	struct sp_checkpoint c;
	sp_audit_init(&a, &info.keys, pool);
	rc = sp_note_key_init(&key, info.origin, SP_NOTE_TYPE_ED25519, info.pk);
	if (rc)
		sp_audit_failf(&a.fail, rc, "the log's origin is not a valid key name");
	else
		store_checkpoint(s, id, &info, &a, &c, rep);
	if (rep->have_cp && c.size <= info.size)
		sp_audit_mark(&a, c.size);
	if (a.fail.err == 0)
		store_entries(s, id, info.size, &a, prog);
	store_tree(s, id, &info, &a);
	if (rep->have_cp)
		sp_audit_compare_mark(&a, &c, rep);
	rc = sp_store_forks(s, id, count_fork, &rep->forks);
	if (rc)
		sp_audit_failf(&a.fail, rc, "reading fork evidence");
	else if (rep->forks)
		sp_audit_failf(&a.fail, SP_ERR_FORK, "%llu fork evidence record%s",
			       (unsigned long long)rep->forks, rep->forks == 1 ? "" : "s");
	sp_audit_report_done(&a, rep, t0);
	sp_audit_free(&a);
	return rep->fail.err;
}

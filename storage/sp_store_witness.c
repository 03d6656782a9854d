/*
 * sp_store_witness.c - the store's witness state: for each origin, the
 * latest checkpoint this node cosigned (c2sp.org/tlog-witness), and the
 * fork evidence a witness finds.
 *
 * Layout, in the default column family:
 *   "witness/" origin -> size(8, big-endian) root(32) signed note
 *
 * sp_store_witness_set compares and writes under wit_mu with a synced
 * write, so two requests can never both move the state from one size, and
 * a restart finds exactly what was cosigned last.
 */
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_store_int.h"

#define WIT_PREFIX "witness/"
#define WIT_KEY_MAX (sizeof(WIT_PREFIX) + SP_ORIGIN_MAX)
#define WIT_HEAD 40 /* size(8) root(32) */

/* wit_key writes the key of origin's state; its length, or 0 if too long. */
static size_t wit_key(const char *origin, char key[WIT_KEY_MAX])
{
	size_t n = strlen(origin);
	if (n == 0 || n > SP_ORIGIN_MAX)
		return 0;
	memcpy(key, WIT_PREFIX, sizeof(WIT_PREFIX) - 1);
	memcpy(key + sizeof(WIT_PREFIX) - 1, origin, n);
	return sizeof(WIT_PREFIX) - 1 + n;
}

/* wit_read is sp_store_witness_get without the lock. */
static int wit_read(struct sp_store *s, const char *origin, uint64_t *size, uint8_t root[32],
		    struct sp_buf *note)
{
	char key[WIT_KEY_MAX];
	size_t kn = wit_key(origin, key);
	*size = 0;
	if (kn == 0)
		return SP_ERR_ARG;
	char *err = NULL;
	size_t vn = 0;
	char *v = rocksdb_get_cf(s->db, s->ropts, s->cf[SP_CF_DEFAULT], key, kn, &vn, &err);
	int rc = sp_db_err(err);
	if (rc == 0 && v == NULL)
		rc = SP_ERR_NOT_FOUND;
	if (rc == 0 && vn < WIT_HEAD)
		rc = SP_ERR_CORRUPT;
	if (rc == 0) {
		*size = sp_be64((const uint8_t *)v);
		memcpy(root, v + 8, 32);
		if (note) {
			sp_buf_put(note, v + WIT_HEAD, vn - WIT_HEAD);
			rc = note->err;
		}
	}
	rocksdb_free(v);
	return rc;
}

int sp_store_witness_get(struct sp_store *s, const char *origin, uint64_t *size, uint8_t root[32],
			 struct sp_buf *note)
{
	pthread_mutex_lock(&s->wit_mu);
	int rc = wit_read(s, origin, size, root, note);
	pthread_mutex_unlock(&s->wit_mu);
	return rc;
}

static int wit_write(struct sp_store *s, const char *origin, uint64_t size, const uint8_t root[32],
		     const char *note, size_t len)
{
	char key[WIT_KEY_MAX];
	size_t kn = wit_key(origin, key);
	if (kn == 0)
		return SP_ERR_ARG;
	struct sp_buf v;
	sp_buf_init(&v);
	struct sp_key sz = {.n = 0};
	sp_key_u64(&sz, size);
	sp_buf_put(&v, sz.b, sz.n);
	sp_buf_put(&v, root, 32);
	sp_buf_put(&v, note, len);
	int rc = v.err;
	if (rc == 0)
		rc = sp_store_put(s, SP_CF_DEFAULT, key, kn, v.p, v.len, 1);
	sp_buf_free(&v);
	return rc;
}

int sp_store_witness_set(struct sp_store *s, const char *origin, uint64_t old_size,
			 const uint8_t old_root[32], uint64_t size, const uint8_t root[32],
			 const char *note, size_t len)
{
	if (s->read_only)
		return SP_ERR_ARG;
	uint64_t cur;
	uint8_t cur_root[32];
	pthread_mutex_lock(&s->wit_mu);
	int rc = wit_read(s, origin, &cur, cur_root, NULL);
	if (rc == SP_ERR_NOT_FOUND)
		rc = 0;
	if (rc == 0 && (cur != old_size || (cur != 0 && memcmp(cur_root, old_root, 32) != 0)))
		rc = SP_ERR_STALE;
	if (rc == 0)
		rc = wit_write(s, origin, size, root, note, len);
	pthread_mutex_unlock(&s->wit_mu);
	return rc;
}

/* same_pair: record f holds statements a and b, in either order. */
static int same_pair(const struct sp_fork *f, const uint8_t *a, size_t al, const uint8_t *b,
		     size_t bl)
{
	return (f->held_len == al && f->other_len == bl && memcmp(f->held, a, al) == 0 &&
		memcmp(f->other, b, bl) == 0) ||
	       (f->held_len == bl && f->other_len == al && memcmp(f->held, b, bl) == 0 &&
		memcmp(f->other, a, al) == 0);
}

struct fork_find {
	enum sp_fork_kind kind;
	const uint8_t *a, *b;
	size_t al, bl;
};

static int fork_match(void *arg, const struct sp_fork *f)
{
	const struct fork_find *q = arg;
	return f->kind == q->kind && same_pair(f, q->a, q->al, q->b, q->bl) ? SP_ERR_EXISTS : 0;
}

/* fork_write stores one evidence record, synced (the log is frozen). */
static int fork_write(struct sp_store *s, struct sp_log *l, enum sp_fork_kind kind, uint64_t at,
		      const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const char *from)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	pthread_mutex_lock(&l->wmu); /* the freeze reads the log's resolution */
	int rc = sp_store_add_fork_from(s, l, wb, kind, at, a, al, b, bl, from);
	pthread_mutex_unlock(&l->wmu);
	rc = sp_store_commit(s, wb, rc, 1);
	if (rc == 0)
		atomic_fetch_add(&s->fork_gen, 1);
	return rc;
}

int sp_store_witness_fit(struct sp_store *s, struct sp_log *l)
{
	uint64_t size;
	uint8_t root[32], have[32];
	pthread_mutex_lock(&s->wit_mu);
	int rc = wit_read(s, l->origin, &size, root, NULL);
	int drop = 0;
	if (rc == 0 && size <= l->w_size) {
		rc = sp_store_root(s, l->id, size, have);
		drop = rc == 0 && sodium_memcmp(have, root, 32) != 0;
	} else if (rc == 0) {
		drop = sp_forkres_pending(l);
	}
	if (drop) {
		char key[WIT_KEY_MAX];
		size_t kn = wit_key(l->origin, key);
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
		rocksdb_writebatch_delete_cf(wb, s->cf[SP_CF_DEFAULT], key, kn);
		rc = sp_store_commit(s, wb, 0, 1);
	}
	pthread_mutex_unlock(&s->wit_mu);
	return rc == SP_ERR_NOT_FOUND ? 0 : rc;
}

int sp_store_fork_checkpoints(struct sp_store *s, uint32_t id, uint64_t at, const char *held,
			      size_t held_len, const char *other, size_t other_len)
{
	struct sp_log *l = sp_store_log_get(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	return fork_write(s, l, SP_FORK_CHECKPOINT, at, (const uint8_t *)held, held_len,
			  (const uint8_t *)other, other_len, NULL);
}

int sp_store_fork_add(struct sp_store *s, uint32_t id, enum sp_fork_kind kind, uint64_t at,
		      const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		      const char *from)
{
	struct sp_log *l = sp_store_log_get(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	if (s->read_only || (kind != SP_FORK_ENTRY && kind != SP_FORK_CHECKPOINT))
		return SP_ERR_ARG;
	struct fork_find q = {kind, a, b, a_len, b_len};
	int rc = sp_store_forks(s, id, fork_match, &q);
	return rc ? rc : fork_write(s, l, kind, at, a, a_len, b, b_len, from);
}

uint64_t sp_store_fork_gen(struct sp_store *s)
{
	return atomic_load(&s->fork_gen);
}

/*
 * sp_store_forkres.c - applying the national coordinator's resolution of a
 * fork to a log (sp_store_fork_resolve), and the rules a resolved log
 * follows afterwards (docs/replication.md 10.10).
 *
 * A resolution says: this log is the tree of N entries with root R. A node
 * can check that only once it holds N entries, so a log is either
 * confirmed (it holds >= N entries and its root at N is R: checked before
 * they were stored) or pending (it holds fewer). A replica found on the
 * other branch is started again from 0: nothing short of the whole prefix
 * is known to be common to both branches, since the evidence may show only
 * where the branches were noticed, not where they parted. Its entries are
 * set aside, never deleted: whatever the losing branch recorded stays
 * readable as a record of what happened (GET /v1/forks).
 *
 * A resolution of a log the store does not hold yet is kept under
 * "forkres/" origin in the default family (size(8, big-endian) root(32))
 * and taken by the log when it is registered (sp_forkres_adopt).
 */
#include <string.h>

#include <sodium.h>

#include "sp_dir.h"
#include "sp_err.h"
#include "sp_store_int.h"

int sp_store_fork_covered(uint64_t res_size, enum sp_fork_kind kind, uint64_t at)
{
	return kind != SP_FORK_SET_ASIDE &&
	       sp_dir_forkres_covers(res_size, kind == SP_FORK_CHECKPOINT, at);
}

int sp_forkres_covers(const struct sp_log *l, enum sp_fork_kind kind, uint64_t at)
{
	return l->res_have && sp_store_fork_covered(l->res_size, kind, at);
}

int sp_forkres_pending(const struct sp_log *l)
{
	return l->res_have && l->w_size < l->res_size;
}

int sp_forkres_reached(struct sp_log *l)
{
	if (!l->res_have || l->w_size != l->res_size)
		return 0;
	uint8_t root[32];
	int rc = sp_edge_root(&l->w_edge, root);
	if (rc)
		return rc;
	return sodium_memcmp(root, l->res_root, 32) ? SP_ERR_FORK_RESOLVED : 0;
}

int sp_forkres_checkpoint(struct sp_store *s, struct sp_log *l, const struct sp_checkpoint *c)
{
	if (!l->res_have)
		return 1;
	if (c->size == l->res_size)
		return sodium_memcmp(c->root, l->res_root, 32) ? SP_ERR_FORK_RESOLVED : 1;
	if (c->size < l->res_size && c->size <= l->w_size) {
		uint8_t root[32];
		int rc = sp_store_root(s, l->id, c->size, root);
		if (rc)
			return rc;
		return sodium_memcmp(root, c->root, 32) ? SP_ERR_FORK_RESOLVED : 1;
	}
	/* Pending: a checkpoint beyond what is held cannot be checked against
	 * the resolution yet, and one of the other branch kept now would make
	 * the right branch look like a fork later. Batches bring their own. */
	return sp_forkres_pending(l) ? 0 : 1;
}

/* set_aside_one: sp_entry_fn moving one entry into a set-aside record. */
struct aside_ctx {
	struct sp_store *s;
	struct sp_log *l;
	rocksdb_writebatch_t *wb;
	uint64_t n;
};

static int set_aside_one(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	struct aside_ctx *a = arg;
	a->n++;
	return sp_store_add_fork_from(a->s, a->l, a->wb, SP_FORK_SET_ASIDE, index,
				      (const uint8_t *)"", 0, entry, len, NULL);
}

/* range_delete drops every key of log id from family cf. */
static void range_delete(struct sp_store *s, rocksdb_writebatch_t *wb, enum sp_cf cf, uint32_t id)
{
	struct sp_key lo = {.n = 0}, hi = {.n = 0};
	sp_key_u32(&lo, id);
	sp_key_u32(&hi, id + 1);
	rocksdb_writebatch_delete_range_cf(wb, s->cf[cf], (const char *)lo.b, lo.n,
					   (const char *)hi.b, hi.n);
}

/* restart: the writer state and snapshot of an empty log. */
static int restart(struct sp_log *l)
{
	sp_edge_free(&l->w_edge);
	sp_edge_init(&l->w_edge);
	l->w_size = 0;
	l->w_time = 0;
	l->w_key = 0;
	memset(l->w_head, 0, sizeof(l->w_head));
	struct sp_snap *sn = sp_snap_from_writer(l);
	if (sn == NULL)
		return SP_ERR_NOMEM;
	sp_snap_publish(l, sn);
	return 0;
}

int sp_forkres_restart(struct sp_store *s, struct sp_log *l, uint64_t *moved)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	struct aside_ctx a = {s, l, wb, 0};
	int rc = sp_store_scan(s, l->id, 0, l->w_size, set_aside_one, &a);
	if (rc == 0) {
		range_delete(s, wb, SP_CF_ENTRIES, l->id);
		range_delete(s, wb, SP_CF_TILES, l->id);
		range_delete(s, wb, SP_CF_CHECKPOINTS, l->id);
		sp_store_attach_mark_drop(s, wb, l->id); /* its entries are read again */
		rc = sp_store_save_log(s, l, wb);
	}
	rc = sp_store_commit(s, wb, rc, 1);
	if (rc == 0)
		rc = restart(l);
	if (rc == 0)
		rc = sp_store_witness_fit(s, l);
	if (moved)
		*moved = rc ? 0 : a.n;
	return rc;
}

/* unresolved: sp_fork_fn finding evidence the resolution does not cover. */
static int unresolved(void *arg, const struct sp_fork *f)
{
	return sp_forkres_covers(arg, f->kind, f->at) ? 0 : 1;
}

/* drop_unchecked: the checkpoints above what the log holds were never
 * checked against its entries; any of them may be of the other branch. */
static int drop_unchecked(struct sp_store *s, struct sp_log *l)
{
	struct sp_key lo = sp_key_checkpoint(l->id, l->w_size + 1);
	struct sp_key hi = {.n = 0};
	sp_key_u32(&hi, l->id + 1);
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_range_cf(wb, s->cf[SP_CF_CHECKPOINTS], (const char *)lo.b, lo.n,
					   (const char *)hi.b, hi.n);
	int rc = sp_store_save_log(s, l, wb);
	rc = sp_store_commit(s, wb, rc, 1);
	return rc;
}

int sp_store_write_log(struct sp_store *s, struct sp_log *l)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	int rc = sp_store_save_log(s, l, wb);
	rc = sp_store_commit(s, wb, rc, 1);
	return rc;
}

/* on_branch: 1 if the log's first `size` entries have root `root`, 0 if
 * another, or a store error. */
static int on_branch(struct sp_store *s, struct sp_log *l, uint64_t size, const uint8_t root[32])
{
	uint8_t have[32];
	int rc = sp_store_root(s, l->id, size, have);
	return rc ? rc : sodium_memcmp(have, root, 32) == 0;
}

static int resolve_locked(struct sp_store *s, struct sp_log *l, uint64_t size,
			  const uint8_t root[32], uint64_t *moved)
{
	l->res_have = 1;
	l->res_size = size;
	memcpy(l->res_root, root, 32);
	int frozen = sp_store_forks(s, l->id, unresolved, l);
	if (frozen < 0)
		return frozen;
	atomic_store(&l->frozen, frozen);
	int kept = l->w_size < size ? 1 : on_branch(s, l, size, root);
	if (kept < 0)
		return kept;
	l->res_lost = l->own && !kept;
	if (l->own) {
		atomic_store(&s->own_lost, l->res_lost);
		return sp_store_write_log(s, l);
	}
	if (!kept)
		return sp_forkres_restart(s, l, moved);
	int rc = drop_unchecked(s, l);
	return rc ? rc : sp_store_witness_fit(s, l);
}

int sp_forkres_load(struct sp_store *s, struct sp_log *l)
{
	if (!l->own || !l->res_have || l->w_size < l->res_size)
		return 0;
	int kept = on_branch(s, l, l->res_size, l->res_root);
	if (kept < 0)
		return kept;
	l->res_lost = !kept;
	atomic_store(&s->own_lost, l->res_lost);
	return 0;
}

int sp_store_fork_resolve(struct sp_store *s, uint32_t id, uint64_t size,
			  const uint8_t root[32], uint64_t *set_aside)
{
	if (set_aside)
		*set_aside = 0;
	struct sp_log *l = sp_store_log_get(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	if (s->read_only || size == 0 || root == NULL)
		return SP_ERR_ARG;
	pthread_mutex_lock(&l->wmu);
	int rc = resolve_locked(s, l, size, root, set_aside);
	pthread_mutex_unlock(&l->wmu);
	if (rc == 0)
		atomic_fetch_add(&s->fork_gen, 1);
	return rc;
}

/* ---- resolutions of logs not held yet ------------------------------------------------------- */

#define PENDING_PREFIX "forkres/"
#define PENDING_KEY_MAX (sizeof(PENDING_PREFIX) + SP_ORIGIN_MAX)

static size_t pending_key(const char *origin, char key[PENDING_KEY_MAX])
{
	size_t n = strlen(origin);
	memcpy(key, PENDING_PREFIX, sizeof(PENDING_PREFIX) - 1);
	memcpy(key + sizeof(PENDING_PREFIX) - 1, origin, n);
	return sizeof(PENDING_PREFIX) - 1 + n;
}

int sp_forkres_adopt(struct sp_store *s, struct sp_log *l, rocksdb_writebatch_t *wb)
{
	char key[PENDING_KEY_MAX], *err = NULL;
	size_t kn = pending_key(l->origin, key), vn = 0;
	char *v = rocksdb_get_cf(s->db, s->ropts, s->cf[SP_CF_DEFAULT], key, kn, &vn, &err);
	int rc = sp_db_err(err);
	if (rc == 0 && v != NULL && vn != 8 + 32)
		rc = SP_ERR_CORRUPT;
	if (rc == 0 && v != NULL) {
		l->res_have = 1;
		l->res_size = sp_be64((const uint8_t *)v);
		memcpy(l->res_root, v + 8, 32);
		rocksdb_writebatch_delete_cf(wb, s->cf[SP_CF_DEFAULT], key, kn);
	}
	rocksdb_free(v);
	return rc;
}

int sp_store_fork_resolve_origin(struct sp_store *s, const char *origin, uint64_t size,
				 const uint8_t root[32], uint64_t *set_aside)
{
	if (set_aside)
		*set_aside = 0;
	if (origin == NULL || origin[0] == '\0' || strlen(origin) > SP_ORIGIN_MAX ||
	    s->read_only || size == 0 || root == NULL)
		return SP_ERR_ARG;
	/* Under the registry's lock, so a log registered meanwhile either
	 * is found here or finds the kept resolution. */
	pthread_rwlock_wrlock(&s->logs_mu);
	long found = sp_store_find_locked(s, origin);
	int rc = 0;
	if (found < 0) {
		char key[PENDING_KEY_MAX], val[8 + 32];
		size_t kn = pending_key(origin, key);
		for (int i = 0; i < 8; i++)
			val[i] = (char)(size >> (56 - 8 * i));
		memcpy(val + 8, root, 32);
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
		rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_DEFAULT], key, kn, val, sizeof(val));
		rc = sp_store_commit(s, wb, 0, 1);
	}
	pthread_rwlock_unlock(&s->logs_mu);
	return found < 0 ? rc : sp_store_fork_resolve(s, (uint32_t)found, size, root, set_aside);
}

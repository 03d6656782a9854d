/*
 * sp_store.c - the store: opening RocksDB, the log registry, snapshots,
 * reads (entries, proofs, tiles, bundles), checkpoints, fork evidence and
 * maintenance. Appends live in sp_store_append.c, replica ingest in
 * sp_store_ingest.c.
 */
#include "sp_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_err.h"

static const char *const cf_names[SP_CF_N] = {"default", "logs", "entries", "tiles", "checkpoints",
					      "forks", "attachments", "report_records",
					      "report_keys"};

/* ---- small helpers --------------------------------------------------------- */

int sp_db_err(char *err)
{
	if (err == NULL)
		return 0;
	rocksdb_free(err);
	return SP_ERR_DB;
}

struct sp_key sp_key_entry(uint32_t id, uint64_t index)
{
	struct sp_key k = {.n = 0};
	sp_key_u32(&k, id);
	sp_key_u64(&k, index);
	return k;
}

struct sp_key sp_key_tile(uint32_t id, unsigned level, uint64_t tk)
{
	struct sp_key k = {.n = 0};
	sp_key_u32(&k, id);
	sp_key_u8(&k, (uint8_t)level);
	sp_key_u64(&k, tk);
	return k;
}

struct sp_key sp_key_checkpoint(uint32_t id, uint64_t size)
{
	struct sp_key k = {.n = 0};
	sp_key_u32(&k, id);
	sp_key_u64(&k, size);
	return k;
}

static int db_get(struct sp_store *s, enum sp_cf cf, const struct sp_key *k, struct sp_buf *out)
{
	char *err = NULL;
	size_t n = 0;
	char *v = rocksdb_get_cf(s->db, s->ropts, s->cf[cf], (const char *)k->b, k->n, &n, &err);
	if (err)
		return sp_db_err(err);
	if (v == NULL)
		return SP_ERR_NOT_FOUND;
	sp_buf_put(out, v, n);
	rocksdb_free(v);
	return out->err;
}

/* ---- snapshots ---------------------------------------------------------------- */

struct sp_snap *sp_snap_from_writer(struct sp_log *l)
{
	struct sp_snap *sn = calloc(1, sizeof(*sn));
	if (sn == NULL)
		return NULL;
	if (sp_edge_clone(&l->w_edge, &sn->edge)) {
		free(sn);
		return NULL;
	}
	atomic_init(&sn->refs, 1);
	sn->size = l->w_size;
	memcpy(sn->head, l->w_head, SP_HASH_BYTES);
	sn->head_time = l->w_time;
	sn->head_key = l->w_key;
	return sn;
}

struct sp_snap *sp_snap_get(struct sp_log *l)
{
	pthread_mutex_lock(&l->smu);
	struct sp_snap *sn = l->snap;
	atomic_fetch_add(&sn->refs, 1);
	pthread_mutex_unlock(&l->smu);
	return sn;
}

void sp_snap_put(struct sp_snap *sn)
{
	if (sn && atomic_fetch_sub(&sn->refs, 1) == 1) {
		sp_edge_free(&sn->edge);
		free(sn);
	}
}

void sp_snap_publish(struct sp_log *l, struct sp_snap *sn)
{
	pthread_mutex_lock(&l->smu);
	struct sp_snap *old = l->snap;
	l->snap = sn;
	pthread_mutex_unlock(&l->smu);
	sp_snap_put(old);
}

/* ---- the log registry ------------------------------------------------------------ */

struct sp_log *sp_store_log_peek(struct sp_store *s, uint32_t id)
{
	struct sp_log *l = NULL;
	pthread_rwlock_rdlock(&s->logs_mu);
	if (id < s->nlogs)
		l = s->logs[id];
	pthread_rwlock_unlock(&s->logs_mu);
	return l;
}

static int log_load_edge(struct sp_store *s, struct sp_log *l);

struct sp_log *sp_store_log_get(struct sp_store *s, uint32_t id)
{
	struct sp_log *l = sp_store_log_peek(s, id);
	if (l == NULL || atomic_load(&l->edge_ready))
		return l;
	pthread_mutex_lock(&l->lazy_mu);
	int rc = atomic_load(&l->edge_ready) ? 0 : log_load_edge(s, l);
	if (rc == 0)
		atomic_store(&l->edge_ready, 1);
	pthread_mutex_unlock(&l->lazy_mu);
	return rc ? NULL : l;
}

static void log_free(struct sp_log *l)
{
	if (l == NULL)
		return;
	sp_edge_free(&l->w_edge);
	sp_snap_put(l->snap);
	pthread_mutex_destroy(&l->wmu);
	pthread_mutex_destroy(&l->smu);
	pthread_mutex_destroy(&l->cp_mu);
	pthread_mutex_destroy(&l->keys_mu);
	pthread_mutex_destroy(&l->lazy_mu);
	free(l);
}

static struct sp_log *log_new(uint32_t id, const char *origin, const uint8_t pk[32])
{
	struct sp_log *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->id = id;
	snprintf(l->origin, sizeof(l->origin), "%s", origin);
	sp_keyhist_init(&l->keys, pk);
	pthread_mutex_init(&l->keys_mu, NULL);
	pthread_mutex_init(&l->wmu, NULL);
	pthread_mutex_init(&l->smu, NULL);
	pthread_mutex_init(&l->cp_mu, NULL);
	pthread_mutex_init(&l->lazy_mu, NULL);
	atomic_init(&l->edge_ready, 1); /* a new log: nothing to read */
	sp_edge_init(&l->w_edge);
	return l;
}

void sp_log_keys(struct sp_log *l, struct sp_keyhist *out)
{
	pthread_mutex_lock(&l->keys_mu);
	*out = l->keys;
	pthread_mutex_unlock(&l->keys_mu);
}

/* A log record (CBOR map): 0 origin, 1 first key, 2 own, 3 frozen, 4 the
 * coordinator's resolution [size, root] (if any), 5 the later keys
 * [[key, from_ms], ...] (if any: store format 3). */
int sp_store_save_log(struct sp_store *s, const struct sp_log *l, rocksdb_writebatch_t *wb)
{
	struct sp_keyhist h;
	sp_log_keys((struct sp_log *)l, &h);
	struct sp_buf b;
	sp_buf_init(&b);
	sp_cbor_put_map(&b, 4 + (l->res_have ? 1 : 0) + (h.n > 1 ? 1 : 0));
	sp_cbor_put_uint(&b, 0);
	sp_cbor_put_text(&b, l->origin, strlen(l->origin));
	sp_cbor_put_uint(&b, 1);
	sp_cbor_put_bytes(&b, h.pk[0], 32);
	sp_cbor_put_uint(&b, 2);
	sp_cbor_put_bool(&b, l->own);
	sp_cbor_put_uint(&b, 3);
	sp_cbor_put_bool(&b, atomic_load(&l->frozen));
	if (l->res_have) { /* the coordinator's resolution: [size, root] */
		sp_cbor_put_uint(&b, 4);
		sp_cbor_put_array(&b, 2);
		sp_cbor_put_uint(&b, l->res_size);
		sp_cbor_put_bytes(&b, l->res_root, 32);
	}
	if (h.n > 1) {
		sp_cbor_put_uint(&b, 5);
		sp_cbor_put_array(&b, h.n - 1);
		for (size_t i = 1; i < h.n; i++) {
			sp_cbor_put_array(&b, 2);
			sp_cbor_put_bytes(&b, h.pk[i], 32);
			sp_cbor_put_uint(&b, h.from_ms[i]);
		}
	}
	if (b.err) {
		sp_buf_free(&b);
		return b.err;
	}
	struct sp_key k = {.n = 0};
	sp_key_u32(&k, l->id);
	rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_LOGS], (const char *)k.b, k.n, (const char *)b.p,
				  b.len);
	sp_buf_free(&b);
	return 0;
}

/* parse_keys reads key 5 of a log record: the keys after the first. */
static int parse_keys(struct sp_cbor_reader *r, struct sp_log *l)
{
	uint64_t n, two, from;
	if (sp_cbor_read_array(r, &n) || n == 0 || n >= SP_KEYHIST_MAX)
		return SP_ERR_CORRUPT;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *pk;
		size_t pn;
		if (sp_cbor_read_array(r, &two) || two != 2 || sp_cbor_read_bytes(r, &pk, &pn) ||
		    pn != 32 || sp_cbor_read_uint(r, &from) ||
		    sp_keyhist_add(&l->keys, pk, from) || l->keys.n != i + 2)
			return SP_ERR_CORRUPT;
	}
	return 0;
}

/* parse_resolution reads key 4 of a log record. */
static int parse_resolution(struct sp_cbor_reader *r, struct sp_log *l)
{
	uint64_t n;
	const uint8_t *root;
	size_t rn;
	if (sp_cbor_read_array(r, &n) || n != 2 ||
	    sp_cbor_read_uint(r, &l->res_size) || l->res_size == 0 ||
	    sp_cbor_read_bytes(r, &root, &rn) || rn != 32)
		return SP_ERR_CORRUPT;
	memcpy(l->res_root, root, 32);
	l->res_have = 1;
	return 0;
}

/* parse_log_record reads a log record; res gets the first key in its
 * history, the later keys and the resolution. */
static int parse_log_record(const uint8_t *v, size_t n, char *origin, int *own, int *frozen,
			    struct sp_log *res)
{
	struct sp_cbor_reader r;
	uint64_t count, key;
	int64_t prev = SP_CBOR_NO_KEY;
	const char *o;
	const uint8_t *p;
	size_t on, pn;
	struct sp_cbor_item it;
	sp_cbor_reader_init(&r, v, n);
	if (sp_cbor_read_map(&r, &count) || count < 4 || count > 6 ||
	    sp_cbor_read_key(&r, &prev, &key) ||
	    key != 0 || sp_cbor_read_text(&r, &o, &on) || on > SP_ORIGIN_MAX ||
	    sp_cbor_read_key(&r, &prev, &key) || key != 1 || sp_cbor_read_bytes(&r, &p, &pn) ||
	    pn != 32)
		return SP_ERR_CORRUPT;
	memcpy(origin, o, on);
	origin[on] = '\0';
	sp_keyhist_init(&res->keys, p);
	if (sp_cbor_read_key(&r, &prev, &key) || key != 2 || sp_cbor_read(&r, &it))
		return SP_ERR_CORRUPT;
	*own = it.kind == SP_CBOR_TRUE;
	if (sp_cbor_read_key(&r, &prev, &key) || key != 3 || sp_cbor_read(&r, &it))
		return SP_ERR_CORRUPT;
	*frozen = it.kind == SP_CBOR_TRUE;
	int rc = 0;
	for (uint64_t i = 4; i < count && rc == 0; i++) {
		if (sp_cbor_read_key(&r, &prev, &key))
			return SP_ERR_CORRUPT;
		rc = key == 4 ? parse_resolution(&r, res) : key == 5 ? parse_keys(&r, res)
								    : SP_ERR_CORRUPT;
	}
	return rc;
}

static int registry_append(struct sp_store *s, struct sp_log *l)
{
	if (s->nlogs == s->caplogs) {
		uint32_t cap = s->caplogs ? s->caplogs * 2 : 16;
		struct sp_log **nl = realloc(s->logs, cap * sizeof(*nl));
		if (nl == NULL)
			return SP_ERR_NOMEM;
		s->logs = nl;
		s->caplogs = cap;
	}
	s->logs[s->nlogs++] = l;
	return 0;
}

/* level0_leaves hashes the last w entries of log l, read backwards with
 * it (at the log's last entry): one seek per log at open, not one lookup
 * per entry (a national node opens hundreds of logs). */
static int level0_leaves(rocksdb_iterator_t *it, struct sp_log *l, unsigned w, sp_hash *leaves)
{
	for (unsigned i = w; i-- > 0; rocksdb_iter_prev(it)) {
		size_t kn, vn;
		if (!rocksdb_iter_valid(it))
			return SP_ERR_CORRUPT; /* a gap below the head */
		const uint8_t *kb = (const uint8_t *)rocksdb_iter_key(it, &kn);
		const uint8_t *vb = (const uint8_t *)rocksdb_iter_value(it, &vn);
		if (kn != 12 || sp_be32(kb) != l->id || sp_be64(kb + 4) != l->w_size - w + i)
			return SP_ERR_CORRUPT;
		sp_merkle_leaf_hash(vb, vn, leaves[i]);
	}
	return 0;
}

/* entry_iter: an iterator on the entries family at the last entry of log
 * l at or below index `at` (not valid if none). The caller destroys it. */
static rocksdb_iterator_t *entry_iter(struct sp_store *s, const struct sp_log *l, uint64_t at)
{
	struct sp_key hi = sp_key_entry(l->id, at);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ropts, s->cf[SP_CF_ENTRIES]);
	rocksdb_iter_seek_for_prev(it, (const char *)hi.b, hi.n);
	return it;
}

/* log_load_head reads log l's last entry (one seek): its size, head hash,
 * time and author, and publishes a first snapshot of them. Its partial
 * tiles are read by log_load_edge. */
static int log_load_head(struct sp_store *s, struct sp_log *l)
{
	rocksdb_iterator_t *it = entry_iter(s, l, UINT64_MAX);
	int rc = 0;
	if (rocksdb_iter_valid(it)) {
		size_t kn, vn;
		const uint8_t *kb = (const uint8_t *)rocksdb_iter_key(it, &kn);
		const uint8_t *vb = (const uint8_t *)rocksdb_iter_value(it, &vn);
		if (kn == 12 && sp_be32(kb) == l->id) {
			struct sp_entry e;
			if (sp_entry_decode(vb, vn, &e) || e.index != sp_be64(kb + 4)) {
				rc = SP_ERR_CORRUPT;
			} else {
				l->w_size = e.index + 1;
				l->w_time = e.time_ms;
				sp_entry_hash(vb, vn, l->w_head);
				long pos = sp_keyhist_find(&l->keys, e.author);
				if (pos < 0)
					rc = SP_ERR_CORRUPT; /* signed by a key the log never had */
				l->w_key = pos < 0 ? 0 : (size_t)pos;
			}
		}
	}
	rocksdb_iter_destroy(it);
	l->w_edge.size = l->w_size;
	if (rc == 0) {
		l->snap = sp_snap_from_writer(l);
		rc = l->snap ? 0 : SP_ERR_NOMEM;
	}
	return rc;
}

/* log_load_edge rebuilds log l's partial tiles (w_edge) from what is on
 * disk and publishes a snapshot with them. */
static int log_load_edge(struct sp_store *s, struct sp_log *l)
{
	int rc = 0;
	/* Level-0 partial tile: re-hash the last (size mod 256) entries. */
	unsigned w0 = sp_edge_width(&l->w_edge, 0);
	if (w0 > 0) {
		rocksdb_iterator_t *it = entry_iter(s, l, l->w_size - 1);
		sp_hash *leaves = malloc(SP_TILE_WIDTH * sizeof(sp_hash));
		rc = leaves ? level0_leaves(it, l, w0, leaves) : SP_ERR_NOMEM;
		if (rc == 0)
			rc = sp_edge_set_tile(&l->w_edge, 0, leaves);
		free(leaves);
		rocksdb_iter_destroy(it);
	}
	/* Higher partial tiles were persisted as their leaves. */
	for (unsigned t = 1; rc == 0 && t < SP_TILE_LEVELS; t++) {
		unsigned w = sp_edge_width(&l->w_edge, t);
		if (w == 0)
			continue;
		struct sp_buf b;
		sp_buf_init(&b);
		struct sp_key k = sp_key_tile(l->id, t, l->w_size >> ((t + 1) * SP_TILE_HEIGHT));
		rc = db_get(s, SP_CF_TILES, &k, &b);
		if (rc == 0 && b.len != (size_t)w * 32)
			rc = SP_ERR_CORRUPT;
		if (rc == SP_ERR_NOT_FOUND)
			rc = SP_ERR_CORRUPT;
		if (rc == 0)
			rc = sp_edge_set_tile(&l->w_edge, t, (const sp_hash *)b.p);
		sp_buf_free(&b);
	}
	struct sp_snap *sn = rc == 0 ? sp_snap_from_writer(l) : NULL;
	if (rc == 0 && sn == NULL)
		rc = SP_ERR_NOMEM;
	if (rc == 0)
		sp_snap_publish(l, sn);
	return rc;
}

static int load_logs(struct sp_store *s)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ropts, s->cf[SP_CF_LOGS]);
	int rc = 0;
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it) && rc == 0;
	     rocksdb_iter_next(it)) {
		size_t kn, vn;
		const uint8_t *kb = (const uint8_t *)rocksdb_iter_key(it, &kn);
		const uint8_t *vb = (const uint8_t *)rocksdb_iter_value(it, &vn);
		char origin[SP_ORIGIN_MAX + 1];
		int own, frozen;
		struct sp_log res = {0};
		if (kn != 4 || sp_be32(kb) != s->nlogs ||
		    parse_log_record(vb, vn, origin, &own, &frozen, &res)) {
			rc = SP_ERR_CORRUPT;
			break;
		}
		struct sp_log *l = log_new(s->nlogs, origin, res.keys.pk[0]);
		if (l == NULL) {
			rc = SP_ERR_NOMEM;
			break;
		}
		l->keys = res.keys;
		l->res_have = res.res_have;
		l->res_size = res.res_size;
		memcpy(l->res_root, res.res_root, 32);
		l->own = own;
		atomic_store(&l->frozen, frozen);
		rc = registry_append(s, l);
		if (rc) {
			log_free(l);
			break;
		}
		rc = log_load_head(s, l);
		/* the own log is written at once: its tiles now (a replica's at its first use) */
		if (rc == 0 && own)
			rc = log_load_edge(s, l);
		else
			atomic_store(&l->edge_ready, 0);
		if (rc == 0)
			rc = sp_forkres_load(s, l);
	}
	rocksdb_iter_destroy(it);
	return rc;
}

static int add_log(struct sp_store *s, const char *origin, const uint8_t pk[32], int own,
		   uint32_t *id)
{
	if (origin == NULL || origin[0] == '\0' || strlen(origin) > SP_ORIGIN_MAX)
		return SP_ERR_ARG;
	if (s->read_only)
		return SP_ERR_ARG;
	pthread_rwlock_wrlock(&s->logs_mu);
	int rc = 0;
	long held = sp_store_find_locked(s, origin);
	if (held >= 0) {
		struct sp_keyhist h;
		sp_log_keys(s->logs[held], &h);
		rc = sp_keyhist_find(&h, pk) >= 0 ? 0 : SP_ERR_EXISTS;
		*id = (uint32_t)held;
		pthread_rwlock_unlock(&s->logs_mu);
		return rc;
	}
	struct sp_log *l = log_new(s->nlogs, origin, pk);
	if (l == NULL) {
		pthread_rwlock_unlock(&s->logs_mu);
		return SP_ERR_NOMEM;
	}
	l->own = own;
	l->snap = sp_snap_from_writer(l);
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	rc = l->snap ? 0 : SP_ERR_NOMEM;
	if (rc == 0 && !own)
		rc = sp_forkres_adopt(s, l, wb);
	if (rc == 0)
		rc = sp_store_save_log(s, l, wb);
	rc = sp_store_commit(s, wb, rc, 1);
	if (rc == 0)
		rc = registry_append(s, l);
	if (rc)
		log_free(l);
	else
		*id = l->id;
	pthread_rwlock_unlock(&s->logs_mu);
	return rc;
}

int sp_store_log_add(struct sp_store *s, const char *origin, const uint8_t pk[SP_KEY_BYTES],
		     uint32_t *id)
{
	return add_log(s, origin, pk, 0, id);
}

long sp_store_find_locked(struct sp_store *s, const char *origin)
{
	for (uint32_t i = 0; i < s->nlogs; i++)
		if (strcmp(s->logs[i]->origin, origin) == 0)
			return (long)i;
	return -1;
}

int sp_store_log_find(struct sp_store *s, const char *origin, uint32_t *id)
{
	pthread_rwlock_rdlock(&s->logs_mu);
	long i = sp_store_find_locked(s, origin);
	pthread_rwlock_unlock(&s->logs_mu);
	if (i < 0)
		return SP_ERR_NOT_FOUND;
	*id = (uint32_t)i;
	return 0;
}

struct sp_pool *sp_store_pool(struct sp_store *s)
{
	return s->pool;
}

uint32_t sp_store_logs_loaded(struct sp_store *s)
{
	pthread_rwlock_rdlock(&s->logs_mu);
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->nlogs; i++)
		n += atomic_load(&s->logs[i]->edge_ready) != 0;
	pthread_rwlock_unlock(&s->logs_mu);
	return n;
}

uint32_t sp_store_log_count(struct sp_store *s)
{
	pthread_rwlock_rdlock(&s->logs_mu);
	uint32_t n = s->nlogs;
	pthread_rwlock_unlock(&s->logs_mu);
	return n;
}

int sp_store_own_log(struct sp_store *s, uint32_t *id)
{
	if (s->own_id < 0)
		return SP_ERR_NOT_FOUND;
	*id = (uint32_t)s->own_id;
	return 0;
}

int sp_store_log_info(struct sp_store *s, uint32_t id, struct sp_log_info *info)
{
	struct sp_log *l = sp_store_log_peek(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	struct sp_snap *sn = sp_snap_get(l);
	memset(info, 0, sizeof(*info));
	info->id = id;
	memcpy(info->origin, l->origin, sizeof(info->origin));
	sp_log_keys(l, &info->keys);
	memcpy(info->pk, info->keys.pk[info->keys.n - 1], 32);
	info->own = l->own;
	info->size = sn->size;
	memcpy(info->head, sn->head, 32);
	info->head_time_ms = sn->head_time;
	info->head_key = sn->head_key;
	info->frozen = atomic_load(&l->frozen);
	sp_snap_put(sn);
	pthread_mutex_lock(&l->wmu);
	info->resolved = l->res_have;
	info->res_size = l->res_size;
	memcpy(info->res_root, l->res_root, 32);
	info->res_lost = l->res_lost;
	pthread_mutex_unlock(&l->wmu);
	return 0;
}

/* ---- open / close ------------------------------------------------------------------ */

static void set_cf_options(struct sp_store *s, enum sp_cf cf)
{
	rocksdb_options_t *o = rocksdb_options_create();
	int ix = cf == SP_CF_REPORT_RECORDS || cf == SP_CF_REPORT_KEYS;
	rocksdb_options_set_block_based_table_factory(o, ix ? s->bbo_ix : s->bbo);
	switch (cf) {
	case SP_CF_TILES:
		/* hashes do not compress */
		rocksdb_options_set_compression(o, rocksdb_no_compression);
		break;
	case SP_CF_ATTACHMENTS:
		/* photos and PDFs are compressed already; large values live in
		 * blob files, so compaction does not rewrite them */
		rocksdb_options_set_compression(o, rocksdb_no_compression);
		rocksdb_options_set_enable_blob_files(o, 1);
		rocksdb_options_set_min_blob_size(o, 4096);
		break;
	default:
		rocksdb_options_set_compression(o, rocksdb_lz4_compression);
		rocksdb_options_set_bottommost_compression(o, rocksdb_zstd_compression);
		break;
	}
	s->cfopts[cf] = o;
}

/* read_only_cfs: how many families a read-only open asks for. A store
 * written before the last families existed lacks them (only a writable
 * open creates them); their handles then stay NULL and reads find nothing
 * there. */
static int read_only_cfs(struct sp_store *s, const char *path)
{
	size_t n = 0;
	char *err = NULL;
	char **names = rocksdb_list_column_families(s->dbopts, path, &n, &err);
	int have = 0;
	while (names && have < SP_CF_N) {
		int found = 0;
		for (size_t i = 0; i < n; i++)
			found |= strcmp(names[i], cf_names[have]) == 0;
		if (!found)
			break;
		have++;
	}
	if (names)
		rocksdb_list_column_families_destroy(names, n);
	if (err)
		rocksdb_free(err); /* the open itself reports it */
	return err ? SP_CF_N : have;
}

static int db_open(struct sp_store *s, const char *path, const struct sp_store_opts *o)
{
	size_t mb = o->cache_mb ? o->cache_mb : 64;
	/* Few shards: each shard holds 1/2^bits of the cache, and a block
	 * larger than its shard is never kept. A national store's bloom
	 * filter blocks are megabytes (one per table file); with RocksDB's
	 * default of 64 shards (1 MiB each) every point read loaded its
	 * table's whole filter again from the file: 80 % of a restart's CPU
	 * at 1,000,000 reports. */
	rocksdb_lru_cache_options_t *co = rocksdb_lru_cache_options_create();
	rocksdb_lru_cache_options_set_capacity(co, mb << 20);
	rocksdb_lru_cache_options_set_num_shard_bits(co, 2);
	s->cache = rocksdb_cache_create_lru_opts(co);
	rocksdb_lru_cache_options_destroy(co);
	s->bbo = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(s->bbo, s->cache);
	rocksdb_block_based_options_set_block_size(s->bbo, 16 * 1024);
	/* Index and filter blocks live in the block cache, so the memory a
	 * large store takes is bounded by cache_mb, not by its size. */
	rocksdb_block_based_options_set_cache_index_and_filter_blocks(s->bbo, 1);
	rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(s->bbo, 1);
	s->dbopts = rocksdb_options_create();
	/* All memtables together (every family): bounded as well, and so is
	 * the write-ahead log a start after a crash replays. */
	rocksdb_options_set_db_write_buffer_size(s->dbopts, 64u << 20);
	rocksdb_options_set_max_total_wal_size(s->dbopts, 128u << 20);
	/* The index families are read by point lookups that often miss (is
	 * this report known?): bloom filters, in the same cache. */
	s->bbo_ix = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(s->bbo_ix, s->cache);
	rocksdb_block_based_options_set_block_size(s->bbo_ix, 16 * 1024);
	rocksdb_block_based_options_set_cache_index_and_filter_blocks(s->bbo_ix, 1);
	rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(s->bbo_ix, 1);
	rocksdb_block_based_options_set_filter_policy(s->bbo_ix,
						      rocksdb_filterpolicy_create_bloom(10));
	rocksdb_options_set_create_if_missing(s->dbopts, 1);
	rocksdb_options_set_create_missing_column_families(s->dbopts, 1);
	rocksdb_options_set_max_background_jobs(s->dbopts, 2);
	rocksdb_options_set_max_open_files(s->dbopts, 512);
	rocksdb_options_set_keep_log_file_num(s->dbopts, SP_STORE_INFO_LOGS);
	/* The default opens SST files with 16 threads per column family:
	 * ~100 threads for every short-lived CLI run. */
	rocksdb_options_set_max_file_opening_threads(s->dbopts, 2);
	for (int i = 0; i < SP_CF_N; i++)
		set_cf_options(s, (enum sp_cf)i);

	char *err = NULL;
	if (o->read_only)
		s->db = rocksdb_open_for_read_only_column_families(
		    s->dbopts, path, read_only_cfs(s, path), (const char *const *)cf_names,
		    (const rocksdb_options_t *const *)s->cfopts, s->cf, 0, &err);
	else
		s->db = rocksdb_open_column_families(s->dbopts, path, SP_CF_N,
						     (const char *const *)cf_names,
						     (const rocksdb_options_t *const *)s->cfopts,
						     s->cf, &err);
	if (err) {
		/* RocksDB reports a held LOCK file as an IO error mentioning "lock". */
		int busy = strstr(err, "lock") != NULL || strstr(err, "LOCK") != NULL;
		rocksdb_free(err);
		return busy ? SP_ERR_BUSY : SP_ERR_DB;
	}
	s->wsync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(s->wsync, 1);
	s->wnosync = rocksdb_writeoptions_create();
	s->ropts = rocksdb_readoptions_create();
	return 0;
}

/* Loads the own log's last checkpoint and checks the tree still matches it. */
static int own_checkpoint_load(struct sp_store *s, struct sp_log *l)
{
	struct sp_buf b;
	sp_buf_init(&b);
	uint64_t size;
	int rc = sp_store_checkpoint(s, l->id, &b, &size);
	if (rc == SP_ERR_NOT_FOUND) {
		sp_buf_free(&b);
		return 0;
	}
	struct sp_checkpoint c;
	if (rc == 0)
		rc = sp_log_checkpoint_open(l, 0, (const char *)b.p, b.len, &c, NULL) ? SP_ERR_CORRUPT
										       : 0;
	sp_buf_free(&b);
	if (rc)
		return rc;
	l->cp_have = 1;
	l->cp_size = c.size;
	memcpy(l->cp_root, c.root, 32);
	if (c.size > l->w_size) {
		/* Restored from an older copy: appending now would fork. */
		s->own_behind = 1;
		return 0;
	}
	uint8_t root[32];
	rc = sp_store_root(s, l->id, c.size, root);
	if (rc == 0 && sodium_memcmp(root, c.root, 32) != 0)
		rc = SP_ERR_CORRUPT;
	return rc;
}

static int has_own_log(struct sp_store *s)
{
	for (uint32_t i = 0; i < s->nlogs; i++)
		if (s->logs[i]->own)
			return 1;
	return 0;
}

static int open_own_log(struct sp_store *s, const struct sp_store_opts *o)
{
	uint8_t pk[32];
	uint32_t id;
	crypto_sign_ed25519_sk_to_pk(pk, o->own_sk);
	memcpy(s->sk, o->own_sk, SP_SECRET_BYTES);
	int rc = sp_store_log_find(s, o->own_origin, &id);
	if (rc == SP_ERR_NOT_FOUND && has_own_log(s))
		return SP_ERR_EXISTS; /* one own log per store: a node has one key and origin */
	if (rc == SP_ERR_NOT_FOUND) {
		if (o->read_only)
			return SP_ERR_NOT_FOUND;
		rc = add_log(s, o->own_origin, pk, 1, &id);
	}
	if (rc)
		return rc;
	struct sp_log *l = sp_store_log_get(s, id);
	struct sp_keyhist h;
	sp_log_keys(l, &h);
	long pos = sp_keyhist_find(&h, pk);
	if (!l->own || pos < 0 || (size_t)pos < l->w_key)
		return SP_ERR_ARG; /* another key or log's folder, or a key rotated away */
	s->sk_pos = (size_t)pos;
	s->sk_from = h.from_ms[pos];
	s->own_id = (int)id;
	return own_checkpoint_load(s, l);
}

int sp_store_open(const char *path, const struct sp_store_opts *o, struct sp_store **out)
{
	static const struct sp_store_opts defaults;
	if (path == NULL || out == NULL)
		return SP_ERR_ARG;
	if (o == NULL)
		o = &defaults;
	if ((o->own_origin == NULL) != (o->own_sk == NULL))
		return SP_ERR_ARG;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	struct sp_store *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SP_ERR_NOMEM;
	s->own_id = -1;
	s->read_only = o->read_only;
	s->checkpoint_ms = o->checkpoint_ms;
	pthread_rwlock_init(&s->logs_mu, NULL);
	pthread_mutex_init(&s->wit_mu, NULL);
	pthread_mutex_init(&s->q_mu, NULL);
	pthread_cond_init(&s->q_cv, NULL);
	pthread_cond_init(&s->q_room_cv, NULL);
	pthread_cond_init(&s->c_cv, NULL);

	unsigned vt = o->verify_threads ? o->verify_threads : sp_pool_cpus();
	int rc = db_open(s, path, o);
	if (rc == 0)
		rc = sp_store_format_open(s);
	if (rc == 0)
		rc = sp_pool_create(vt - 1, &s->pool);
	if (rc == 0)
		rc = load_logs(s);
	if (rc == 0 && o->own_origin)
		rc = open_own_log(s, o);
	if (rc == 0 && !s->read_only)
		rc = sp_store_pipeline_start(s);
	if (rc) {
		sp_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* flush_all writes every memtable to table files before a clean close,
 * so the next open has no write-ahead log to replay (the report index
 * writes much that is not synced: replaying it made starts slow). */
static void flush_all(struct sp_store *s)
{
	if (s->db == NULL || s->read_only)
		return;
	rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
	rocksdb_flushoptions_set_wait(fo, 1);
	for (int i = 0; i < SP_CF_N; i++) {
		char *err = NULL;
		if (s->cf[i])
			rocksdb_flush_cf(s->db, fo, s->cf[i], &err);
		if (err)
			rocksdb_free(err); /* the WAL still has it */
	}
	rocksdb_flushoptions_destroy(fo);
}

void sp_store_close(struct sp_store *s)
{
	if (s == NULL)
		return;
	sp_store_pipeline_stop(s);
	if (s->own_id >= 0 && !s->read_only && !atomic_load(&s->broken))
		sp_store_checkpoint_sign(s); /* a final checkpoint of what is durable */
	sp_pool_destroy(s->pool);
	flush_all(s);
	for (uint32_t i = 0; i < s->nlogs; i++)
		log_free(s->logs[i]);
	free(s->logs);
	for (int i = 0; i < SP_CF_N; i++)
		if (s->cf[i])
			rocksdb_column_family_handle_destroy(s->cf[i]);
	if (s->db)
		rocksdb_close(s->db);
	for (int i = 0; i < SP_CF_N; i++)
		if (s->cfopts[i])
			rocksdb_options_destroy(s->cfopts[i]);
	if (s->dbopts)
		rocksdb_options_destroy(s->dbopts);
	if (s->bbo)
		rocksdb_block_based_options_destroy(s->bbo);
	if (s->bbo_ix)
		rocksdb_block_based_options_destroy(s->bbo_ix);
	if (s->cache)
		rocksdb_cache_destroy(s->cache);
	if (s->wsync)
		rocksdb_writeoptions_destroy(s->wsync);
	if (s->wnosync)
		rocksdb_writeoptions_destroy(s->wnosync);
	if (s->ropts)
		rocksdb_readoptions_destroy(s->ropts);
	sodium_memzero(s->sk, sizeof(s->sk));
	pthread_rwlock_destroy(&s->logs_mu);
	pthread_mutex_destroy(&s->wit_mu);
	pthread_mutex_destroy(&s->q_mu);
	pthread_cond_destroy(&s->q_cv);
	pthread_cond_destroy(&s->q_room_cv);
	pthread_cond_destroy(&s->c_cv);
	free(s);
}

/* ---- tiles written by appends ------------------------------------------------------ */

struct emit_ctx {
	struct sp_store *s;
	uint32_t id;
	rocksdb_writebatch_t *wb;
};

int sp_store_tile_emit(void *ctx, unsigned t, uint64_t k, const sp_hash *slots, unsigned width)
{
	struct emit_ctx *c = ctx;
	struct sp_key key = sp_key_tile(c->id, t, k);
	/* Full tiles are stored expanded; partial ones only as their leaves. */
	size_t n = width == SP_TILE_WIDTH ? SP_TILE_BYTES : (size_t)width * 32;
	rocksdb_writebatch_put_cf(c->wb, c->s->cf[SP_CF_TILES], (const char *)key.b, key.n,
				  (const char *)slots, n);
	return 0;
}

/* ---- reads ---------------------------------------------------------------------------- */

int sp_store_entry(struct sp_store *s, uint32_t id, uint64_t index, struct sp_buf *out)
{
	struct sp_log *l = sp_store_log_peek(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	struct sp_snap *sn = sp_snap_get(l);
	uint64_t size = sn->size;
	sp_snap_put(sn);
	if (index >= size)
		return SP_ERR_NOT_FOUND;
	struct sp_key k = sp_key_entry(id, index);
	int rc = db_get(s, SP_CF_ENTRIES, &k, out);
	return rc == SP_ERR_NOT_FOUND ? SP_ERR_CORRUPT : rc;
}

int sp_log_checkpoint_open(struct sp_log *l, size_t cur, const char *note, size_t len,
			   struct sp_checkpoint *c, size_t *j)
{
	struct sp_keyhist h;
	sp_log_keys(l, &h);
	return sp_keyhist_checkpoint_open(&h, cur, l->origin, note, len, c, j);
}

int sp_log_entry_key(struct sp_store *s, struct sp_log *l, uint64_t index, size_t *pos)
{
	struct sp_buf b;
	struct sp_entry e;
	struct sp_keyhist h;
	sp_buf_init(&b);
	int rc = sp_store_entry(s, l->id, index, &b);
	if (rc == 0)
		rc = sp_entry_decode(b.p, b.len, &e) ? SP_ERR_CORRUPT : 0;
	if (rc == 0) {
		sp_log_keys(l, &h);
		long at = sp_keyhist_find(&h, e.author);
		rc = at < 0 ? SP_ERR_CORRUPT : 0;
		*pos = at < 0 ? 0 : (size_t)at;
	}
	sp_buf_free(&b);
	return rc;
}

int sp_store_log_keys(struct sp_store *s, uint32_t id, const struct sp_keyhist *h)
{
	struct sp_log *l = sp_store_log_get(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	if (s->read_only || h->n == 0)
		return SP_ERR_ARG;
	pthread_mutex_lock(&l->wmu);
	struct sp_keyhist old;
	sp_log_keys(l, &old);
	int rc = sp_keyhist_extends(&old, h) ? 0 : SP_ERR_EXISTS;
	if (rc == 0 && h->n > old.n) {
		pthread_mutex_lock(&l->keys_mu);
		l->keys = *h;
		pthread_mutex_unlock(&l->keys_mu);
		rc = sp_store_write_log(s, l);
		if (rc) { /* not on disk: not in force either */
			pthread_mutex_lock(&l->keys_mu);
			l->keys = old;
			pthread_mutex_unlock(&l->keys_mu);
		}
	}
	pthread_mutex_unlock(&l->wmu);
	return rc;
}

int sp_store_own_rekey(struct sp_store *s, const uint8_t sk[SP_SECRET_BYTES])
{
	if (s->own_id < 0 || s->read_only)
		return SP_ERR_ARG;
	struct sp_log *l = sp_store_log_get(s, (uint32_t)s->own_id);
	uint8_t pk[SP_KEY_BYTES];
	struct sp_keyhist h;
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	pthread_mutex_lock(&l->wmu);
	pthread_mutex_lock(&l->cp_mu);
	sp_log_keys(l, &h);
	long pos = sp_keyhist_find(&h, pk);
	int rc = pos < 0 ? SP_ERR_NOT_FOUND : (size_t)pos < s->sk_pos ? SP_ERR_STALE : 0;
	if (rc == 0) {
		memcpy(s->sk, sk, SP_SECRET_BYTES);
		s->sk_pos = (size_t)pos;
		s->sk_from = h.from_ms[pos];
	}
	pthread_mutex_unlock(&l->cp_mu);
	pthread_mutex_unlock(&l->wmu);
	return rc;
}

/* iter_close ends an iteration: a RocksDB error becomes the result unless
 * the loop already failed; frees the iterator and its options. */
static int iter_close(rocksdb_iterator_t *it, rocksdb_readoptions_t *ro, int rc)
{
	char *err = NULL;
	rocksdb_iter_get_error(it, &err);
	if (rc == 0)
		rc = sp_db_err(err);
	else if (err)
		rocksdb_free(err);
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rc;
}

int sp_store_checkpoint_sizes(struct sp_store *s, uint32_t id, uint64_t lo, uint64_t hi,
			      uint64_t *sizes, size_t cap, size_t *n)
{
	*n = 0;
	if (lo >= hi)
		return 0;
	struct sp_key klo = sp_key_checkpoint(id, lo), khi = sp_key_checkpoint(id, hi);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)khi.b, khi.n);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, ro, s->cf[SP_CF_CHECKPOINTS]);
	int rc = 0;
	for (rocksdb_iter_seek(it, (const char *)klo.b, klo.n); rocksdb_iter_valid(it) && *n < cap;
	     rocksdb_iter_next(it)) {
		size_t kn;
		const uint8_t *kb = (const uint8_t *)rocksdb_iter_key(it, &kn);
		if (kn != 12) {
			rc = SP_ERR_CORRUPT;
			break;
		}
		sizes[(*n)++] = sp_be64(kb + 4);
	}
	return iter_close(it, ro, rc);
}

int sp_store_scan(struct sp_store *s, uint32_t id, uint64_t from, uint64_t to, sp_entry_fn fn,
		  void *arg)
{
	struct sp_log *l = sp_store_log_peek(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	struct sp_snap *sn = sp_snap_get(l);
	if (to > sn->size)
		to = sn->size;
	sp_snap_put(sn);
	if (from >= to)
		return 0;
	struct sp_key lo = sp_key_entry(id, from), hi = sp_key_entry(id, to);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi.b, hi.n);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, ro, s->cf[SP_CF_ENTRIES]);
	int rc = 0;
	uint64_t want = from;
	for (rocksdb_iter_seek(it, (const char *)lo.b, lo.n); rocksdb_iter_valid(it) && rc == 0;
	     rocksdb_iter_next(it), want++) {
		size_t kn, vn;
		const uint8_t *kb = (const uint8_t *)rocksdb_iter_key(it, &kn);
		const char *vb = rocksdb_iter_value(it, &vn);
		if (kn != 12 || sp_be64(kb + 4) != want)
			rc = SP_ERR_CORRUPT;
		else
			rc = fn(arg, want, (const uint8_t *)vb, vn);
	}
	rc = iter_close(it, ro, rc);
	return rc == 0 && want != to ? SP_ERR_CORRUPT : rc;
}

/* Node lookups for proofs: the edge first, else a full tile from RocksDB,
 * pinned in the block cache; a proof touches one tile per 8 levels, so a
 * handful of cached tiles serves the whole proof. */
#define NODE_CACHE 4
struct node_ctx {
	struct sp_store *s;
	uint32_t id;
	struct sp_snap *sn;
	unsigned n, next;
	struct {
		unsigned t;
		uint64_t k;
		rocksdb_pinnableslice_t *ps;
		const uint8_t *v;
	} c[NODE_CACHE];
};

static const uint8_t *node_tile(struct node_ctx *c, unsigned t, uint64_t k, int *rc)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->c[i].t == t && c->c[i].k == k)
			return c->c[i].v;
	struct sp_key key = sp_key_tile(c->id, t, k);
	char *err = NULL;
	rocksdb_pinnableslice_t *ps = rocksdb_get_pinned_cf(c->s->db, c->s->ropts,
							    c->s->cf[SP_CF_TILES],
							    (const char *)key.b, key.n, &err);
	if (err) {
		*rc = sp_db_err(err);
		return NULL;
	}
	size_t vn = 0;
	const char *v = ps ? rocksdb_pinnableslice_value(ps, &vn) : NULL;
	if (v == NULL || vn != SP_TILE_BYTES) {
		rocksdb_pinnableslice_destroy(ps);
		*rc = SP_ERR_CORRUPT;
		return NULL;
	}
	unsigned i = c->n < NODE_CACHE ? c->n++ : (c->next++ % NODE_CACHE);
	if (c->c[i].ps)
		rocksdb_pinnableslice_destroy(c->c[i].ps);
	c->c[i].t = t;
	c->c[i].k = k;
	c->c[i].ps = ps;
	c->c[i].v = (const uint8_t *)v;
	return c->c[i].v;
}

static int node_fn(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct node_ctx *c = ctx;
	unsigned t, slot;
	uint64_t k;
	int rc = sp_edge_locate(&c->sn->edge, level, index, &t, &k, &slot, out);
	if (rc <= 0)
		return rc;
	rc = 0;
	const uint8_t *tile = node_tile(c, t, k, &rc);
	if (tile == NULL)
		return rc;
	memcpy(out, tile + (size_t)slot * 32, 32);
	return 0;
}

static int node_ctx_init(struct node_ctx *c, struct sp_store *s, uint32_t id)
{
	memset(c, 0, sizeof(*c));
	struct sp_log *l = sp_store_log_get(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	c->s = s;
	c->id = id;
	c->sn = sp_snap_get(l);
	return 0;
}

static void node_ctx_done(struct node_ctx *c)
{
	for (unsigned i = 0; i < c->n; i++)
		rocksdb_pinnableslice_destroy(c->c[i].ps);
	sp_snap_put(c->sn);
}

int sp_store_root(struct sp_store *s, uint32_t id, uint64_t size, uint8_t root[32])
{
	struct node_ctx c;
	int rc = node_ctx_init(&c, s, id);
	if (rc)
		return rc;
	rc = size > c.sn->size ? SP_ERR_RANGE : sp_merkle_root(node_fn, &c, size, root);
	node_ctx_done(&c);
	return rc;
}

int sp_store_inclusion(struct sp_store *s, uint32_t id, uint64_t index, uint64_t size,
		       sp_hash proof[SP_MERKLE_MAX_PROOF], size_t *n)
{
	struct node_ctx c;
	int rc = node_ctx_init(&c, s, id);
	if (rc)
		return rc;
	rc = size > c.sn->size ? SP_ERR_RANGE
			       : sp_merkle_inclusion_proof(node_fn, &c, index, size, proof, n);
	node_ctx_done(&c);
	return rc;
}

int sp_store_consistency(struct sp_store *s, uint32_t id, uint64_t old_size, uint64_t new_size,
			 sp_hash proof[SP_MERKLE_MAX_PROOF], size_t *n)
{
	struct node_ctx c;
	int rc = node_ctx_init(&c, s, id);
	if (rc)
		return rc;
	rc = new_size > c.sn->size
		 ? SP_ERR_RANGE
		 : sp_merkle_consistency_proof(node_fn, &c, old_size, new_size, proof, n);
	node_ctx_done(&c);
	return rc;
}

/* tile_held says whether a tree level of `nodes` nodes has the w nodes of tile
 * `index`: index * 256 + w <= nodes, written so that no index can wrap it. */
static int tile_held(uint64_t nodes, uint64_t index, unsigned w)
{
	return nodes >= w && index <= (nodes - w) / SP_TILE_WIDTH;
}

int sp_store_tile(struct sp_store *s, uint32_t id, unsigned level, uint64_t index, unsigned w,
		  struct sp_buf *out)
{
	if (w == 0 || w > SP_TILE_WIDTH || level >= SP_TILE_LEVELS)
		return SP_ERR_ARG;
	struct node_ctx c;
	int rc = node_ctx_init(&c, s, id);
	if (rc)
		return rc;
	uint64_t nodes = c.sn->size >> (level * SP_TILE_HEIGHT);
	if (!tile_held(nodes, index, w)) {
		rc = SP_ERR_NOT_FOUND;
	} else if ((index + 1) * SP_TILE_WIDTH <= nodes) {
		const uint8_t *tile = node_tile(&c, level, index, &rc);
		if (tile)
			sp_buf_put(out, tile, (size_t)w * 32);
	} else {
		sp_buf_put(out, c.sn->edge.tile[level], (size_t)w * 32);
	}
	node_ctx_done(&c);
	return rc ? rc : out->err;
}

struct bundle_ctx {
	struct sp_buf *out;
};

static int bundle_one(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	struct bundle_ctx *b = arg;
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	sp_buf_put(b->out, hdr, 2);
	sp_buf_put(b->out, entry, len);
	return b->out->err;
}

int sp_store_bundle(struct sp_store *s, uint32_t id, uint64_t index, unsigned w,
		    struct sp_buf *out)
{
	if (w == 0 || w > SP_TILE_WIDTH)
		return SP_ERR_ARG;
	struct sp_log_info info;
	int rc = sp_store_log_info(s, id, &info);
	if (rc)
		return rc;
	if (!tile_held(info.size, index, w))
		return SP_ERR_NOT_FOUND;
	uint64_t from = index * SP_TILE_WIDTH;
	struct bundle_ctx b = {out};
	return sp_store_scan(s, id, from, from + w, bundle_one, &b);
}

int sp_store_tlog_file(struct sp_store *s, uint32_t id, int level, uint64_t k, unsigned w,
		       struct sp_buf *out)
{
	return level < 0 ? sp_store_bundle(s, id, k, w, out)
			 : sp_store_tile(s, id, (unsigned)level, k, w, out);
}

/* ---- checkpoints --------------------------------------------------------------------- */

int sp_store_checkpoint(struct sp_store *s, uint32_t id, struct sp_buf *out, uint64_t *size)
{
	struct sp_key hi = sp_key_checkpoint(id, UINT64_MAX);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ropts,
							    s->cf[SP_CF_CHECKPOINTS]);
	rocksdb_iter_seek_for_prev(it, (const char *)hi.b, hi.n);
	int rc = SP_ERR_NOT_FOUND;
	if (rocksdb_iter_valid(it)) {
		size_t kn, vn;
		const uint8_t *kb = (const uint8_t *)rocksdb_iter_key(it, &kn);
		const char *vb = rocksdb_iter_value(it, &vn);
		if (kn == 12 && sp_be32(kb) == id) {
			if (size)
				*size = sp_be64(kb + 4);
			sp_buf_put(out, vb, vn);
			rc = out->err;
		}
	}
	rocksdb_iter_destroy(it);
	return rc;
}

int sp_store_checkpoint_at(struct sp_store *s, uint32_t id, uint64_t size, struct sp_buf *out)
{
	struct sp_key k = sp_key_checkpoint(id, size);
	return db_get(s, SP_CF_CHECKPOINTS, &k, out);
}

int sp_store_checkpoint_sign(struct sp_store *s)
{
	if (s->own_id < 0 || s->read_only)
		return SP_ERR_ARG;
	struct sp_log *l = sp_store_log_get(s, (uint32_t)s->own_id);
	pthread_mutex_lock(&l->cp_mu);
	int rc = sp_store_sign_checkpoint_locked(s, l);
	pthread_mutex_unlock(&l->cp_mu);
	return rc;
}

int sp_store_add_fork(struct sp_store *s, struct sp_log *l, rocksdb_writebatch_t *wb,
		      enum sp_fork_kind kind, uint64_t at, const uint8_t *held, size_t held_len,
		      const uint8_t *other, size_t other_len)
{
	return sp_store_add_fork_from(s, l, wb, kind, at, held, held_len, other, other_len, NULL);
}

int sp_store_add_fork_from(struct sp_store *s, struct sp_log *l, rocksdb_writebatch_t *wb,
			   enum sp_fork_kind kind, uint64_t at, const uint8_t *held,
			   size_t held_len, const uint8_t *other, size_t other_len,
			   const char *from)
{
	uint8_t h[32];
	crypto_hash_sha256(h, other, other_len);
	struct sp_key k = {.n = 0};
	sp_key_u32(&k, l->id);
	sp_key_u8(&k, (uint8_t)kind);
	sp_key_u64(&k, at);
	for (int i = 0; i < 8; i++)
		sp_key_u8(&k, h[i]);
	struct sp_buf b;
	sp_buf_init(&b);
	sp_cbor_put_array(&b, 4);
	sp_cbor_put_bytes(&b, held, held_len);
	sp_cbor_put_bytes(&b, other, other_len);
	sp_cbor_put_uint(&b, sp_now_ms());
	sp_cbor_put_text(&b, from ? from : "", from ? strlen(from) : 0);
	if (b.err) {
		sp_buf_free(&b);
		return b.err;
	}
	rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_FORKS], (const char *)k.b, k.n,
				  (const char *)b.p, b.len);
	sp_buf_free(&b);
	/* A forked log is frozen on this node until a coordinator acts;
	 * evidence about what the coordinator resolved is only kept. */
	if (kind != SP_FORK_SET_ASIDE && !sp_forkres_covers(l, kind, at))
		atomic_store(&l->frozen, 1);
	return sp_store_save_log(s, l, wb);
}

int sp_store_write(struct sp_store *s, rocksdb_writebatch_t *wb, int sync)
{
	char *err = NULL;
	rocksdb_write(s->db, sync ? s->wsync : s->wnosync, wb, &err);
	return sp_db_err(err);
}

int sp_store_put(struct sp_store *s, enum sp_cf cf, const void *key, size_t klen,
		 const void *val, size_t vlen, int sync)
{
	char *err = NULL;
	rocksdb_put_cf(s->db, sync ? s->wsync : s->wnosync, s->cf[cf], key, klen, val, vlen, &err);
	return sp_db_err(err);
}

int sp_store_commit(struct sp_store *s, rocksdb_writebatch_t *wb, int rc, int sync)
{
	if (rc == 0)
		rc = sp_store_write(s, wb, sync);
	rocksdb_writebatch_destroy(wb);
	return rc;
}

static int checkpoint_conflict(struct sp_store *s, struct sp_log *l, uint64_t size,
			       const struct sp_buf *held, const char *note, size_t len)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	int rc = sp_store_add_fork(s, l, wb, SP_FORK_CHECKPOINT, size, held->p, held->len,
				   (const uint8_t *)note, len);
	rc = sp_store_commit(s, wb, rc, 1);
	if (rc == 0)
		atomic_fetch_add(&s->fork_gen, 1);
	return rc ? rc : SP_ERR_INCONSISTENT;
}

/* The held evidence for a checkpoint that contradicts the entries: the
 * entry at size-1 (whose tree it disagrees with). */
static int held_for_size(struct sp_store *s, struct sp_log *l, uint64_t size, struct sp_buf *held)
{
	if (sp_store_checkpoint_at(s, l->id, size, held) == 0)
		return 0;
	return size ? sp_store_entry(s, l->id, size - 1, held) : 0;
}

int sp_store_checkpoint_put(struct sp_store *s, uint32_t id, const char *note, size_t len)
{
	struct sp_log *l = sp_store_log_get(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	if (l->own || s->read_only)
		return SP_ERR_ARG;
	struct sp_checkpoint c;
	size_t signer, want = 0;
	int rc = sp_log_checkpoint_open(l, 0, note, len, &c, &signer);
	if (rc)
		return rc;
	struct sp_buf held;
	sp_buf_init(&held);
	pthread_mutex_lock(&l->wmu);
	uint8_t root[32];
	int mismatch = 0;
	/* signed by the key of the last entry it covers or a later one */
	if (c.size > 0 && c.size <= l->w_size)
		rc = sp_log_entry_key(s, l, c.size - 1, &want);
	else if (c.size > l->w_size)
		want = l->w_key;
	if (rc == 0 && signer < want)
		rc = SP_ERR_WRONG_AUTHOR;
	if (rc) {
		pthread_mutex_unlock(&l->wmu);
		return rc;
	}
	int usual = sp_forkres_checkpoint(s, l, &c); /* a resolved fork's rules first */
	if (usual != 1) {
		pthread_mutex_unlock(&l->wmu);
		return usual;
	}
	if (c.size <= l->w_size) {
		rc = sp_store_root(s, id, c.size, root);
		mismatch = rc == 0 && sodium_memcmp(root, c.root, 32) != 0;
	}
	if (rc == 0 && !mismatch && sp_store_checkpoint_at(s, id, c.size, &held) == 0) {
		struct sp_checkpoint old;
		if (sp_log_checkpoint_open(l, 0, (const char *)held.p, held.len, &old, NULL) == 0 &&
		    sodium_memcmp(old.root, c.root, 32) != 0)
			mismatch = 1;
		else
			rc = SP_ERR_EXISTS; /* already held: nothing to do */
	}
	if (rc == 0 && mismatch) {
		if (held.len == 0)
			held_for_size(s, l, c.size, &held);
		rc = checkpoint_conflict(s, l, c.size, &held, note, len);
	} else if (rc == 0) {
		struct sp_key k = sp_key_checkpoint(id, c.size);
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
		rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_CHECKPOINTS], (const char *)k.b, k.n,
					  note, len);
		rc = sp_store_commit(s, wb, 0, 1);
	}
	pthread_mutex_unlock(&l->wmu);
	sp_buf_free(&held);
	return rc == SP_ERR_EXISTS ? 0 : rc;
}

/* note_key_signed_before says whether the last signature of note is by a
 * key (name and key id) that already signed it: a client counting lines
 * toward a quorum must see one line per witness key. */
static int note_key_signed_before(const struct sp_note *note)
{
	const struct sp_note_sig *last = &note->sigs[note->nsigs - 1];
	for (size_t i = 0; i + 1 < note->nsigs; i++)
		if (note->sigs[i].name_len == last->name_len &&
		    memcmp(note->sigs[i].name, last->name, last->name_len) == 0 &&
		    memcmp(note->sigs[i].id, last->id, 4) == 0)
			return 1;
	return 0;
}

int sp_store_cosign_add(struct sp_store *s, uint32_t id, uint64_t size, const char *line,
			size_t len)
{
	struct sp_log *l = sp_store_log_get(s, id);
	if (l == NULL)
		return SP_ERR_NOT_FOUND;
	if (len < 4 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL)
		return SP_ERR_NOTE_FORMAT;
	struct sp_buf b;
	sp_buf_init(&b);
	pthread_mutex_lock(&l->cp_mu);
	int rc = sp_store_checkpoint_at(s, id, size, &b);
	struct sp_note note;
	if (rc == 0) {
		sp_buf_put(&b, line, len);
		rc = b.err ? b.err : sp_note_parse((const char *)b.p, b.len, &note);
	}
	/* Checked here, under cp_mu, because callers check before they take it:
	 * two sessions delivering the same witness's line would both pass. */
	if (rc == 0 && note_key_signed_before(&note))
		rc = SP_ERR_EXISTS;
	if (rc == 0) {
		struct sp_key k = sp_key_checkpoint(id, size);
		rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
		rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_CHECKPOINTS], (const char *)k.b, k.n,
					  (const char *)b.p, b.len);
		rc = sp_store_commit(s, wb, 0, 1);
	}
	pthread_mutex_unlock(&l->cp_mu);
	sp_buf_free(&b);
	return rc;
}

/* ---- fork evidence ------------------------------------------------------------------------ */

static int decode_fork(const uint8_t *kb, size_t kn, const uint8_t *vb, size_t vn,
		       struct sp_fork *f)
{
	struct sp_cbor_reader r;
	uint64_t n;
	if (kn != 21)
		return SP_ERR_CORRUPT;
	sp_cbor_reader_init(&r, vb, vn);
	if (sp_cbor_read_array(&r, &n) || (n != 2 && n != 4) ||
	    sp_cbor_read_bytes(&r, &f->held, &f->held_len) ||
	    sp_cbor_read_bytes(&r, &f->other, &f->other_len))
		return SP_ERR_CORRUPT;
	f->found_ms = 0;
	f->from = "";
	f->from_len = 0;
	if (n == 4 && (sp_cbor_read_uint(&r, &f->found_ms) ||
		       sp_cbor_read_text(&r, &f->from, &f->from_len)))
		return SP_ERR_CORRUPT;
	f->kind = (enum sp_fork_kind)kb[4];
	f->at = sp_be64(kb + 5);
	return 0;
}

/* forks_iter calls fn for the records of log id in the forks family that
 * are set-aside entries (set_aside = 1) or evidence (0). */
static int forks_iter(struct sp_store *s, uint32_t id, int set_aside, sp_fork_fn fn, void *arg)
{
	struct sp_key lo = {.n = 0}, hi = {.n = 0};
	sp_key_u32(&lo, id);
	sp_key_u32(&hi, id + 1);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi.b, hi.n);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, ro, s->cf[SP_CF_FORKS]);
	int rc = 0;
	for (rocksdb_iter_seek(it, (const char *)lo.b, lo.n); rocksdb_iter_valid(it) && rc == 0;
	     rocksdb_iter_next(it)) {
		size_t kn, vn;
		const uint8_t *kb = (const uint8_t *)rocksdb_iter_key(it, &kn);
		const uint8_t *vb = (const uint8_t *)rocksdb_iter_value(it, &vn);
		struct sp_fork f;
		rc = decode_fork(kb, kn, vb, vn, &f);
		if (rc == 0 && (f.kind == SP_FORK_SET_ASIDE) == set_aside)
			rc = fn(arg, &f);
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rc;
}

int sp_store_forks(struct sp_store *s, uint32_t id, sp_fork_fn fn, void *arg)
{
	return forks_iter(s, id, 0, fn, arg);
}

int sp_store_set_aside(struct sp_store *s, uint32_t id, sp_fork_fn fn, void *arg)
{
	return forks_iter(s, id, 1, fn, arg);
}

/* ---- maintenance --------------------------------------------------------------------------- */

int sp_store_compact(struct sp_store *s)
{
	for (int i = 0; i < SP_CF_N; i++)
		if (s->cf[i])
			rocksdb_compact_range_cf(s->db, s->cf[i], NULL, 0, NULL, 0);
	return 0;
}

void sp_store_stats(struct sp_store *s, struct sp_store_stats *out)
{
	out->appends = atomic_load(&s->n_appends);
	out->syncs = atomic_load(&s->n_syncs);
}

int sp_store_disk_bytes(struct sp_store *s, uint64_t *bytes)
{
	uint64_t total = 0;
	static const char *const props[] = {"rocksdb.total-sst-files-size",
					    "rocksdb.total-blob-file-size"};
	for (int i = 0; i < SP_CF_N * 2; i++) {
		char *v = s->cf[i / 2] ? rocksdb_property_value_cf(s->db, s->cf[i / 2], props[i % 2])
				       : NULL;
		if (v) {
			total += strtoull(v, NULL, 10);
			rocksdb_free(v);
		}
	}
	*bytes = total;
	return 0;
}

int sp_store_backup(struct sp_store *s, const char *dir)
{
	char *err = NULL;
	rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(s->db, &err);
	if (err)
		return sp_db_err(err);
	rocksdb_checkpoint_create(cp, dir, 0, &err);
	rocksdb_checkpoint_object_destroy(cp);
	return sp_db_err(err);
}

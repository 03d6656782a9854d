/*
 * sp_store_index.c - the families kept for derived indexes (see
 * sp_store_index.h): checksummed values, unsynced batches, iterators.
 */
#include "sp_store_index.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_store_int.h"

/* The checksum detects damage, it authenticates nothing: a fixed key. */
static const uint8_t sum_key[crypto_shorthash_KEYBYTES] = "simpul/index/v1";

struct sp_store_ixb {
	struct sp_store *s;
	rocksdb_writebatch_t *wb;
	struct sp_buf tmp;
};

struct sp_store_ixit {
	uint8_t upper[256]; /* the prefix bound, kept while the iterator lives */
	rocksdb_iterator_t *it;
	rocksdb_readoptions_t *ro;
	const rocksdb_snapshot_t *snap;
	rocksdb_t *db;
};

static enum sp_cf cf_of(enum sp_store_ix fam)
{
	return fam == SP_STORE_IX_RECORDS ? SP_CF_REPORT_RECORDS : SP_CF_REPORT_KEYS;
}

/* sum computes the checksum of key || val. */
static void sum(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
		uint8_t out[SP_STORE_IX_SUM])
{
	uint8_t buf[512];
	if (klen + vlen <= sizeof(buf)) {
		memcpy(buf, key, klen);
		if (vlen)
			memcpy(buf + klen, val, vlen);
		crypto_shorthash(out, buf, klen + vlen, sum_key);
		return;
	}
	/* Long values: hash the key's hash with the value (still one pass). */
	crypto_generichash_state st;
	uint8_t h[crypto_generichash_BYTES_MIN];
	crypto_generichash_init(&st, sum_key, sizeof(sum_key), sizeof(h));
	crypto_generichash_update(&st, key, klen);
	crypto_generichash_update(&st, val, vlen);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(out, h, SP_STORE_IX_SUM);
}

/* check verifies a stored value raw[0..n) under key: 0 and the value's
 * length, or SP_ERR_CORRUPT. */
static int check(const uint8_t *key, size_t klen, const uint8_t *raw, size_t n, size_t *vlen)
{
	uint8_t s[SP_STORE_IX_SUM];
	if (n < SP_STORE_IX_SUM)
		return SP_ERR_CORRUPT;
	sum(key, klen, raw, n - SP_STORE_IX_SUM, s);
	if (sodium_memcmp(s, raw + n - SP_STORE_IX_SUM, SP_STORE_IX_SUM) != 0)
		return SP_ERR_CORRUPT;
	*vlen = n - SP_STORE_IX_SUM;
	return 0;
}

/* db_status maps a RocksDB error (freed here): damage is SP_ERR_CORRUPT. */
static int db_status(char *err)
{
	if (err == NULL)
		return 0;
	int corrupt = strstr(err, "orruption") != NULL || strstr(err, "hecksum") != NULL;
	rocksdb_free(err);
	return corrupt ? SP_ERR_CORRUPT : SP_ERR_DB;
}

int sp_store_ixb_new(struct sp_store *s, struct sp_store_ixb **out)
{
	if (s->read_only || s->cf[SP_CF_REPORT_KEYS] == NULL)
		return SP_ERR_ARG;
	struct sp_store_ixb *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return SP_ERR_NOMEM;
	b->s = s;
	b->wb = rocksdb_writebatch_create();
	sp_buf_init(&b->tmp);
	*out = b;
	return 0;
}

void sp_store_ixb_free(struct sp_store_ixb *b)
{
	if (b == NULL)
		return;
	rocksdb_writebatch_destroy(b->wb);
	sp_buf_free(&b->tmp);
	free(b);
}

void sp_store_ixb_put(struct sp_store_ixb *b, enum sp_store_ix fam, const uint8_t *key,
		      size_t klen, const uint8_t *val, size_t vlen)
{
	uint8_t s[SP_STORE_IX_SUM];
	sum(key, klen, val, vlen, s);
	b->tmp.len = 0;
	sp_buf_put(&b->tmp, val, vlen);
	sp_buf_put(&b->tmp, s, sizeof(s));
	if (b->tmp.err == 0)
		rocksdb_writebatch_put_cf(b->wb, b->s->cf[cf_of(fam)], (const char *)key, klen,
					  (const char *)b->tmp.p, b->tmp.len);
}

void sp_store_ixb_del(struct sp_store_ixb *b, enum sp_store_ix fam, const uint8_t *key,
		      size_t klen)
{
	rocksdb_writebatch_delete_cf(b->wb, b->s->cf[cf_of(fam)], (const char *)key, klen);
}

size_t sp_store_ixb_count(const struct sp_store_ixb *b)
{
	return (size_t)rocksdb_writebatch_count(b->wb);
}

int sp_store_ixb_write(struct sp_store_ixb *b)
{
	if (b->tmp.err)
		return SP_ERR_NOMEM;
	char *err = NULL;
	rocksdb_write(b->s->db, b->s->wnosync, b->wb, &err);
	rocksdb_writebatch_clear(b->wb);
	return db_status(err);
}

int sp_store_ix_get(struct sp_store *s, enum sp_store_ix fam, const uint8_t *key, size_t klen,
		    struct sp_buf *out)
{
	rocksdb_column_family_handle_t *cf = s->cf[cf_of(fam)];
	if (cf == NULL)
		return SP_ERR_NOT_FOUND;
	char *err = NULL;
	size_t n = 0, vlen;
	rocksdb_pinnableslice_t *p =
	    rocksdb_get_pinned_cf(s->db, s->ropts, cf, (const char *)key, klen, &err);
	int rc = db_status(err);
	if (rc == 0 && p == NULL)
		rc = SP_ERR_NOT_FOUND;
	const uint8_t *v = rc ? NULL : (const uint8_t *)rocksdb_pinnableslice_value(p, &n);
	if (rc == 0)
		rc = check(key, klen, v, n, &vlen);
	if (rc == 0) {
		sp_buf_put(out, v, vlen);
		rc = out->err ? SP_ERR_NOMEM : 0;
	}
	if (p)
		rocksdb_pinnableslice_destroy(p);
	return rc;
}

int sp_store_ixit_new(struct sp_store *s, enum sp_store_ix fam, const uint8_t *prefix,
		      size_t plen, struct sp_store_ixit **out)
{
	struct sp_store_ixit *it = calloc(1, sizeof(*it));
	if (it == NULL)
		return SP_ERR_NOMEM;
	rocksdb_column_family_handle_t *cf = s->cf[cf_of(fam)];
	it->db = s->db;
	it->ro = rocksdb_readoptions_create();
	it->snap = rocksdb_create_snapshot(s->db);
	rocksdb_readoptions_set_snapshot(it->ro, it->snap);
	/* The bound keeps a seek from stepping over the deleted keys (of other
	 * prefixes) that follow the last live one. */
	size_t n = prefix && plen < sizeof(it->upper) ? plen : 0;
	if (n)
		memcpy(it->upper, prefix, n);
	while (n > 0 && it->upper[n - 1] == 0xff)
		n--;
	if (n > 0) {
		it->upper[n - 1]++;
		rocksdb_readoptions_set_iterate_upper_bound(it->ro, (const char *)it->upper, n);
	}
	it->it = cf ? rocksdb_create_iterator_cf(s->db, it->ro, cf) : NULL;
	*out = it;
	return 0;
}

void sp_store_ixit_free(struct sp_store_ixit *it)
{
	if (it == NULL)
		return;
	if (it->it)
		rocksdb_iter_destroy(it->it);
	rocksdb_readoptions_destroy(it->ro);
	rocksdb_release_snapshot(it->db, it->snap);
	free(it);
}

void sp_store_ixit_seek(struct sp_store_ixit *it, const uint8_t *key, size_t klen)
{
	if (it->it)
		rocksdb_iter_seek(it->it, (const char *)key, klen);
}

void sp_store_ixit_next(struct sp_store_ixit *it)
{
	if (it->it && rocksdb_iter_valid(it->it))
		rocksdb_iter_next(it->it);
}

int sp_store_ixit_get(struct sp_store_ixit *it, const uint8_t **key, size_t *klen,
		      const uint8_t **val, size_t *vlen)
{
	if (it->it == NULL)
		return SP_ERR_NOT_FOUND;
	if (!rocksdb_iter_valid(it->it)) {
		char *err = NULL;
		rocksdb_iter_get_error(it->it, &err);
		int rc = db_status(err);
		return rc ? rc : SP_ERR_NOT_FOUND;
	}
	size_t n;
	*key = (const uint8_t *)rocksdb_iter_key(it->it, klen);
	if (val == NULL)
		return 0; /* the key only: nothing to check it with but the value */
	const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it->it, &n);
	int rc = check(*key, *klen, v, n, vlen);
	if (rc == 0)
		*val = v;
	return rc;
}


int sp_store_ixit_raw(struct sp_store_ixit *it, const uint8_t **val, size_t *vlen)
{
	size_t n;
	if (it->it == NULL || !rocksdb_iter_valid(it->it))
		return SP_ERR_NOT_FOUND;
	*val = (const uint8_t *)rocksdb_iter_value(it->it, &n);
	if (n < SP_STORE_IX_SUM)
		return SP_ERR_CORRUPT;
	*vlen = n - SP_STORE_IX_SUM;
	return 0;
}

int sp_store_ix_compact(struct sp_store *s)
{
	if (s->read_only)
		return SP_ERR_ARG;
	for (int f = SP_CF_REPORT_RECORDS; f <= SP_CF_REPORT_KEYS; f++)
		if (s->cf[f])
			rocksdb_compact_range_cf(s->db, s->cf[f], NULL, 0, NULL, 0);
	return 0;
}

int sp_store_ix_clear(struct sp_store *s)
{
	if (s->read_only || s->cf[SP_CF_REPORT_KEYS] == NULL)
		return SP_ERR_ARG;
	uint8_t key_end[256]; /* past every key of at most 255 bytes */
	memset(key_end, 0xff, sizeof(key_end));
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	for (int f = SP_CF_REPORT_RECORDS; f <= SP_CF_REPORT_KEYS; f++)
		rocksdb_writebatch_delete_range_cf(wb, s->cf[f], "", 0, (const char *)key_end,
						   sizeof(key_end));
	int rc = sp_store_write(s, wb, 1);
	rocksdb_writebatch_destroy(wb);
	/* Drop the tombstones' cost for the rebuild that follows. */
	for (int f = SP_CF_REPORT_RECORDS; rc == 0 && f <= SP_CF_REPORT_KEYS; f++)
		rocksdb_compact_range_cf(s->db, s->cf[f], NULL, 0, NULL, 0);
	return rc;
}

int sp_store_ix_verify(struct sp_store *s, uint64_t *checked, uint64_t *bad)
{
	uint64_t n = 0, nbad = 0;
	int rc = 0;
	for (int f = SP_STORE_IX_RECORDS; rc == 0 && f <= SP_STORE_IX_KEYS; f++) {
		struct sp_store_ixit *it;
		rc = sp_store_ixit_new(s, (enum sp_store_ix)f, NULL, 0, &it);
		if (rc)
			break;
		sp_store_ixit_seek(it, (const uint8_t *)"", 0);
		for (;; sp_store_ixit_next(it)) {
			const uint8_t *k, *v;
			size_t kn, vn;
			int e = sp_store_ixit_get(it, &k, &kn, &v, &vn);
			if (e == SP_ERR_NOT_FOUND)
				break;
			if (e == SP_ERR_CORRUPT) {
				nbad++;
				n++;
				continue;
			}
			if (e) {
				rc = e;
				break;
			}
			n++;
		}
		sp_store_ixit_free(it);
	}
	if (checked)
		*checked = n;
	if (bad)
		*bad = nbad;
	return rc ? rc : nbad ? SP_ERR_CORRUPT : 0;
}

int sp_store_ix_raw_put(struct sp_store *s, enum sp_store_ix fam, const uint8_t *key,
			size_t klen, const uint8_t *val, size_t vlen)
{
	if (s->read_only || s->cf[cf_of(fam)] == NULL)
		return SP_ERR_ARG;
	char *err = NULL;
	rocksdb_put_cf(s->db, s->wsync, s->cf[cf_of(fam)], (const char *)key, klen,
		       (const char *)val, vlen, &err);
	return db_status(err);
}

int sp_store_ix_raw_first(struct sp_store *s, enum sp_store_ix fam, size_t min_val,
			  struct sp_buf *key, struct sp_buf *val)
{
	rocksdb_column_family_handle_t *cf = s->cf[cf_of(fam)];
	if (cf == NULL)
		return SP_ERR_NOT_FOUND;
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ropts, cf);
	int rc = SP_ERR_NOT_FOUND;
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kn, vn;
		const char *k = rocksdb_iter_key(it, &kn), *v = rocksdb_iter_value(it, &vn);
		if (vn < min_val + SP_STORE_IX_SUM)
			continue;
		sp_buf_put(key, k, kn);
		sp_buf_put(val, v, vn);
		rc = key->err || val->err ? SP_ERR_NOMEM : 0;
		break;
	}
	rocksdb_iter_destroy(it);
	return rc;
}

/*
 * sp_store_attach.c - attachments: files referenced from report entries,
 * content-addressed in the `attachments` column family (see sp_store.h).
 *
 * Value layout: flags (1 byte), media type length (1 byte), the media
 * type, then the bytes; the key is SHA-256 of the bytes alone, so the
 * same file is stored once whatever it was uploaded as. Every put is one
 * synced write (WAL + fsync). Reads that return the bytes hash them
 * again, so a damaged value is SP_ERR_CORRUPT, never served.
 *
 * Partial attachments (a transfer from a peer in progress) are chunks
 * under the 40-byte key sha256 || offset (big-endian), chained from 0;
 * whole attachments have 32-byte keys, so the two never meet.
 *
 * The attachment start scan's marks (sp_store_attach_mark_get) are kept in
 * the default family: "attscan/" id(4) -> size(8) hash of entry size-1(32).
 */
#include "sp_store_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_entry.h"
#include "sp_err.h"

#define HDR_BYTES 2

/* parse_value checks the header of a stored value and fills info (the
 * hash from key); *bytes points into v. SP_ERR_CORRUPT if malformed. */
static int parse_value(const uint8_t key[SP_HASH_BYTES], const uint8_t *v, size_t n,
		       struct sp_attach_info *info, const uint8_t **bytes)
{
	if (n < HDR_BYTES || v[0] > SP_ATTACH_SEALED || v[1] == 0 || v[1] > SP_ATTACH_TYPE_MAX ||
	    n <= (size_t)HDR_BYTES + v[1])
		return SP_ERR_CORRUPT;
	memcpy(info->sha256, key, SP_HASH_BYTES);
	info->flags = v[0];
	memcpy(info->media_type, v + HDR_BYTES, v[1]);
	info->media_type[v[1]] = '\0';
	*bytes = v + HDR_BYTES + v[1];
	info->size = n - HDR_BYTES - v[1];
	return 0;
}

/* get_pinned looks attachment sha256 up without copying it: on success
 * *ps (the caller destroys it) holds the value, *info its description and
 * *bytes its bytes. SP_ERR_NOT_FOUND, SP_ERR_CORRUPT, SP_ERR_DB. */
static int get_pinned(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
		      rocksdb_pinnableslice_t **ps, struct sp_attach_info *info,
		      const uint8_t **bytes)
{
	if (s->cf[SP_CF_ATTACHMENTS] == NULL) /* read-only open of an older store */
		return SP_ERR_NOT_FOUND;
	char *err = NULL;
	*ps = rocksdb_get_pinned_cf(s->db, s->ropts, s->cf[SP_CF_ATTACHMENTS],
				    (const char *)sha256, SP_HASH_BYTES, &err);
	if (err)
		return sp_db_err(err);
	if (*ps == NULL)
		return SP_ERR_NOT_FOUND;
	size_t n;
	const uint8_t *v = (const uint8_t *)rocksdb_pinnableslice_value(*ps, &n);
	int rc = parse_value(sha256, v, n, info, bytes);
	if (rc) {
		rocksdb_pinnableslice_destroy(*ps);
		*ps = NULL;
	}
	return rc;
}

int sp_store_attach_get(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			struct sp_attach_info *info, struct sp_buf *out)
{
	struct sp_attach_info tmp, *in = info ? info : &tmp;
	const uint8_t *bytes = NULL;
	rocksdb_pinnableslice_t *ps;
	int rc = get_pinned(s, sha256, &ps, in, &bytes);
	if (rc)
		return rc;
	size_t len = in->size;
	if (out) {
		uint8_t h[SP_HASH_BYTES];
		crypto_hash_sha256(h, bytes, len);
		if (sodium_memcmp(h, sha256, SP_HASH_BYTES) != 0)
			rc = SP_ERR_CORRUPT;
		else
			sp_buf_put(out, bytes, len);
		if (rc == 0)
			rc = out->err;
	}
	rocksdb_pinnableslice_destroy(ps);
	return rc;
}

/* make_value builds a stored value (header, type, bytes) in a new buffer
 * (caller frees); NULL without memory. */
static uint8_t *make_value(const uint8_t *bytes, size_t len, const char *media_type, size_t tl,
			   unsigned flags)
{
	uint8_t *v = malloc(HDR_BYTES + tl + len);
	if (v == NULL)
		return NULL;
	v[0] = (uint8_t)flags;
	v[1] = (uint8_t)tl;
	memcpy(v + HDR_BYTES, media_type, tl);
	memcpy(v + HDR_BYTES + tl, bytes, len);
	return v;
}

/* put_args checks what sp_store_attach_put and _part_done take. */
static int put_args(struct sp_store *s, const uint8_t *bytes, size_t len, const char *media_type,
		    unsigned flags)
{
	size_t tl = media_type ? strlen(media_type) : 0;
	if (bytes == NULL || tl == 0 || tl > SP_ATTACH_TYPE_MAX || flags > SP_ATTACH_SEALED ||
	    s->read_only || s->cf[SP_CF_ATTACHMENTS] == NULL)
		return SP_ERR_ARG;
	if (len == 0 || len > SP_ATTACH_MAX_BYTES)
		return SP_ERR_RANGE;
	return 0;
}

int sp_store_attach_put(struct sp_store *s, const uint8_t *bytes, size_t len,
			const char *media_type, unsigned flags, struct sp_attach_info *info,
			int *created)
{
	int rc = put_args(s, bytes, len, media_type, flags);
	if (rc)
		return rc;
	size_t tl = strlen(media_type);
	struct sp_attach_info tmp;
	uint8_t key[SP_HASH_BYTES];
	crypto_hash_sha256(key, bytes, len);
	if (created)
		*created = 0;
	rc = sp_store_attach_get(s, key, info ? info : &tmp, NULL);
	if (rc != SP_ERR_NOT_FOUND)
		return rc; /* held already (0), or a read error */
	uint8_t *v = make_value(bytes, len, media_type, tl, flags);
	if (v == NULL)
		return SP_ERR_NOMEM;
	rc = sp_store_put(s, SP_CF_ATTACHMENTS, key, sizeof(key), v, HDR_BYTES + tl + len, 1);
	const uint8_t *stored;
	if (rc == 0)
		rc = parse_value(key, v, HDR_BYTES + tl + len, info ? info : &tmp, &stored);
	free(v);
	if (rc == 0 && created)
		*created = 1;
	return rc;
}

int sp_store_attach_read(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			 uint64_t offset, size_t max, struct sp_attach_info *info,
			 struct sp_buf *out)
{
	const uint8_t *bytes = NULL;
	rocksdb_pinnableslice_t *ps;
	int rc = get_pinned(s, sha256, &ps, info, &bytes);
	if (rc)
		return rc;
	if (rc == 0 && offset >= info->size)
		rc = SP_ERR_RANGE;
	if (rc == 0 && offset == 0) {
		uint8_t h[SP_HASH_BYTES];
		crypto_hash_sha256(h, bytes, info->size);
		if (sodium_memcmp(h, sha256, SP_HASH_BYTES) != 0)
			rc = SP_ERR_CORRUPT;
	}
	if (rc == 0) {
		uint64_t left = info->size - offset;
		sp_buf_put(out, bytes + offset, left < max ? (size_t)left : max);
		rc = out->err;
	}
	rocksdb_pinnableslice_destroy(ps);
	return rc;
}

/* ---- partial attachments ----------------------------------------------------- */

#define PART_KEY (SP_HASH_BYTES + 8)

static void part_key(const uint8_t sha256[SP_HASH_BYTES], uint64_t offset, uint8_t k[PART_KEY])
{
	memcpy(k, sha256, SP_HASH_BYTES);
	for (int i = 0; i < 8; i++)
		k[SP_HASH_BYTES + i] = (uint8_t)(offset >> (8 * (7 - i)));
}

int sp_store_attach_part_put(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			     uint64_t offset, const uint8_t *bytes, size_t len)
{
	if (bytes == NULL || len == 0 || s->read_only || s->cf[SP_CF_ATTACHMENTS] == NULL)
		return SP_ERR_ARG;
	if (offset + len > SP_ATTACH_MAX_BYTES)
		return SP_ERR_RANGE;
	uint8_t k[PART_KEY];
	part_key(sha256, offset, k);
	return sp_store_put(s, SP_CF_ATTACHMENTS, k, sizeof(k), bytes, len, 0);
}

/* part_walk follows the chain of chunks of sha256 from 0 (up to max
 * bytes): appends them to out (optional), deletes them in wb (optional),
 * and sets *held. */
static int part_walk(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES], uint64_t max,
		     uint64_t *held, struct sp_buf *out, rocksdb_writebatch_t *wb)
{
	*held = 0;
	if (s->cf[SP_CF_ATTACHMENTS] == NULL)
		return 0;
	for (;;) {
		uint8_t k[PART_KEY];
		part_key(sha256, *held, k);
		char *err = NULL;
		rocksdb_pinnableslice_t *ps = rocksdb_get_pinned_cf(
			s->db, s->ropts, s->cf[SP_CF_ATTACHMENTS], (const char *)k, sizeof(k), &err);
		if (err)
			return sp_db_err(err);
		if (ps == NULL)
			return 0;
		size_t n;
		const char *v = rocksdb_pinnableslice_value(ps, &n);
		int stop = n == 0 || *held + n > max;
		if (!stop && out)
			sp_buf_put(out, v, n);
		if (wb)
			rocksdb_writebatch_delete_cf(wb, s->cf[SP_CF_ATTACHMENTS], (const char *)k,
						     sizeof(k));
		rocksdb_pinnableslice_destroy(ps);
		if (stop)
			return 0; /* a chunk past what is wanted: not held */
		*held += n;
		if (out && out->err)
			return SP_ERR_NOMEM;
	}
}

int sp_store_attach_part_read(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			      uint64_t max, uint64_t *held, struct sp_buf *out)
{
	return part_walk(s, sha256, max, held, out, NULL);
}

int sp_store_attach_part_done(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			      const uint8_t *bytes, size_t len, const char *media_type,
			      unsigned flags)
{
	int rc = bytes ? put_args(s, bytes, len, media_type, flags)
		       : s->read_only || s->cf[SP_CF_ATTACHMENTS] == NULL ? SP_ERR_ARG : 0;
	if (rc)
		return rc;
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	uint64_t held;
	rc = part_walk(s, sha256, SP_ATTACH_MAX_BYTES, &held, NULL, wb);
	uint8_t *v = NULL;
	if (rc == 0 && bytes) {
		size_t tl = strlen(media_type);
		v = make_value(bytes, len, media_type, tl, flags);
		if (v == NULL)
			rc = SP_ERR_NOMEM;
		else
			rocksdb_writebatch_put_cf(wb, s->cf[SP_CF_ATTACHMENTS], (const char *)sha256,
						  SP_HASH_BYTES, (const char *)v, HDR_BYTES + tl + len);
	}
	rc = sp_store_commit(s, wb, rc, 1);
	free(v);
	return rc;
}

/* ---- the attachment start scan's marks ------------------------------------------ */

#define MARK_PREFIX "attscan/"
#define MARK_KEY (sizeof(MARK_PREFIX) - 1 + 4)
#define MARK_VAL (8 + SP_HASH_BYTES)

static void mark_key(uint32_t id, uint8_t k[MARK_KEY])
{
	memcpy(k, MARK_PREFIX, sizeof(MARK_PREFIX) - 1);
	for (int i = 0; i < 4; i++)
		k[sizeof(MARK_PREFIX) - 1 + i] = (uint8_t)(id >> (8 * (3 - i)));
}

/* mark_fits: 0 if entry size-1 of log id (size >= 1) hashes to head,
 * SP_ERR_FORK if the log is shorter or holds another entry there. */
static int mark_fits(struct sp_store *s, uint32_t id, uint64_t size,
		     const uint8_t head[SP_HASH_BYTES])
{
	struct sp_log_info info;
	int rc = sp_store_log_info(s, id, &info);
	if (rc)
		return rc;
	if (size > info.size)
		return SP_ERR_FORK;
	uint8_t h[SP_HASH_BYTES];
	if (size == info.size) {
		memcpy(h, info.head, SP_HASH_BYTES);
	} else {
		struct sp_buf b;
		sp_buf_init(&b);
		rc = sp_store_entry(s, id, size - 1, &b);
		if (rc == 0 && b.err)
			rc = SP_ERR_NOMEM;
		if (rc == 0)
			sp_entry_hash(b.p, b.len, h);
		sp_buf_free(&b);
		if (rc)
			return rc;
	}
	return sodium_memcmp(h, head, SP_HASH_BYTES) ? SP_ERR_FORK : 0;
}

int sp_store_attach_mark_get(struct sp_store *s, uint32_t id, uint64_t *size,
			     uint8_t head[SP_HASH_BYTES])
{
	*size = 0;
	uint8_t k[MARK_KEY];
	mark_key(id, k);
	char *err = NULL;
	size_t vn = 0;
	char *v = rocksdb_get_cf(s->db, s->ropts, s->cf[SP_CF_DEFAULT], (const char *)k, sizeof(k),
				 &vn, &err);
	int rc = sp_db_err(err);
	if (rc == 0 && v == NULL)
		rc = SP_ERR_NOT_FOUND;
	uint64_t n = rc == 0 && vn == MARK_VAL ? sp_be64((const uint8_t *)v) : 0;
	if (rc == 0 && n == 0) /* a wrong length, or 0: never written so */
		rc = SP_ERR_CORRUPT;
	if (rc == 0) {
		memcpy(head, v + 8, SP_HASH_BYTES);
		rc = mark_fits(s, id, n, head);
	}
	rocksdb_free(v);
	if (rc == 0)
		*size = n;
	return rc;
}

int sp_store_attach_mark_put(struct sp_store *s, uint32_t id, uint64_t size,
			     const uint8_t head[SP_HASH_BYTES])
{
	if (s->read_only || size == 0)
		return SP_ERR_ARG;
	uint8_t k[MARK_KEY], v[MARK_VAL];
	mark_key(id, k);
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(size >> (8 * (7 - i)));
	memcpy(v + 8, head, SP_HASH_BYTES);
	return sp_store_put(s, SP_CF_DEFAULT, k, sizeof(k), v, sizeof(v), 0);
}

void sp_store_attach_mark_drop(struct sp_store *s, rocksdb_writebatch_t *wb, uint32_t id)
{
	uint8_t k[MARK_KEY];
	mark_key(id, k);
	rocksdb_writebatch_delete_cf(wb, s->cf[SP_CF_DEFAULT], (const char *)k, sizeof(k));
}

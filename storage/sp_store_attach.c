/*
 * sp_store_attach.c - attachments: files referenced from report entries,
 * content-addressed in the `attachments` column family (see sp_store.h).
 *
 * Value layout: flags (1 byte), media type length (1 byte), the media
 * type, then the bytes; the key is SHA-256 of the bytes alone, so the
 * same file is stored once whatever it was uploaded as. Every put is one
 * synced write (WAL + fsync). Reads that return the bytes hash them
 * again, so a damaged value is SP_ERR_CORRUPT, never served.
 */
#include "sp_store_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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

int sp_store_attach_get(struct sp_store *s, const uint8_t sha256[SP_HASH_BYTES],
			struct sp_attach_info *info, struct sp_buf *out)
{
	if (s->cf[SP_CF_ATTACHMENTS] == NULL) /* read-only open of an older store */
		return SP_ERR_NOT_FOUND;
	char *err = NULL;
	rocksdb_pinnableslice_t *ps = rocksdb_get_pinned_cf(
		s->db, s->ropts, s->cf[SP_CF_ATTACHMENTS], (const char *)sha256, SP_HASH_BYTES, &err);
	if (err)
		return sp_db_err(err);
	if (ps == NULL)
		return SP_ERR_NOT_FOUND;
	size_t n;
	const uint8_t *v = (const uint8_t *)rocksdb_pinnableslice_value(ps, &n), *bytes;
	struct sp_attach_info tmp;
	int rc = parse_value(sha256, v, n, info ? info : &tmp, &bytes);
	size_t len = rc == 0 ? (info ? info : &tmp)->size : 0;
	if (rc == 0 && out) {
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

int sp_store_attach_put(struct sp_store *s, const uint8_t *bytes, size_t len,
			const char *media_type, unsigned flags, struct sp_attach_info *info,
			int *created)
{
	size_t tl = media_type ? strlen(media_type) : 0;
	if (bytes == NULL || tl == 0 || tl > SP_ATTACH_TYPE_MAX || flags > SP_ATTACH_SEALED ||
	    s->read_only || s->cf[SP_CF_ATTACHMENTS] == NULL)
		return SP_ERR_ARG;
	if (len == 0 || len > SP_ATTACH_MAX_BYTES)
		return SP_ERR_RANGE;
	struct sp_attach_info tmp;
	uint8_t key[SP_HASH_BYTES];
	crypto_hash_sha256(key, bytes, len);
	if (created)
		*created = 0;
	int rc = sp_store_attach_get(s, key, info ? info : &tmp, NULL);
	if (rc != SP_ERR_NOT_FOUND)
		return rc; /* held already (0), or a read error */
	uint8_t *v = malloc(HDR_BYTES + tl + len);
	if (v == NULL)
		return SP_ERR_NOMEM;
	v[0] = (uint8_t)flags;
	v[1] = (uint8_t)tl;
	memcpy(v + HDR_BYTES, media_type, tl);
	memcpy(v + HDR_BYTES + tl, bytes, len);
	char *err = NULL;
	rocksdb_put_cf(s->db, s->wsync, s->cf[SP_CF_ATTACHMENTS], (const char *)key, sizeof(key),
		       (const char *)v, HDR_BYTES + tl + len, &err);
	rc = sp_db_err(err);
	const uint8_t *stored;
	if (rc == 0)
		rc = parse_value(key, v, HDR_BYTES + tl + len, info ? info : &tmp, &stored);
	free(v);
	if (rc == 0 && created)
		*created = 1;
	return rc;
}

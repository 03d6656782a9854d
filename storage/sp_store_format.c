/*
 * sp_store_format.c - the store's format version: recorded in the store,
 * checked at every open, and older stores migrated forward so an upgrade
 * never leaves data a new binary misreads and a downgrade never lets an old
 * binary misread a newer layout (docs/operations.md, "Upgrade").
 *
 * Layout, in the default column family:
 *   "format" -> version (4, big-endian)
 *
 * Versions:
 *   1  stores written before the version was recorded (no "format" key):
 *      the layout of sp_store_db.h, the attachments family possibly missing
 *      (open creates it).
 *   2  the same layout, with the version recorded. 1 -> 2 writes the record.
 *   3  a log record may hold its writer's later keys (key 5: signing-key
 *      rotation). 2 -> 3 rewrites nothing (a format-2 record is a valid
 *      format-3 record of one key); the version keeps a format-2 binary
 *      from misreading a log with several keys.
 *
 * A release that changes the layout raises SP_STORE_FORMAT and adds the step
 * from the previous version to `steps`: each runs once, in order, before the
 * record is moved on, so a migration cut short by a crash runs again.
 */
#include <string.h>

#include "sp_err.h"
#include "sp_store_int.h"

#define FORMAT_KEY "format"

/* A step takes a store of version i + 1 to i + 2 (writes synced). The
 * record itself is written after the last step. */
typedef int (*format_step)(struct sp_store *s);
static const format_step steps[SP_STORE_FORMAT - 1] = {
	NULL, /* 1 -> 2: nothing but the record */
	NULL, /* 2 -> 3: nothing but the record */
};

/* format_read: the recorded version; 0 if none. */
static int format_read(struct sp_store *s, unsigned *v)
{
	char *err = NULL;
	size_t n = 0;
	char *val = rocksdb_get_cf(s->db, s->ropts, s->cf[SP_CF_DEFAULT], FORMAT_KEY,
				   sizeof(FORMAT_KEY) - 1, &n, &err);
	int rc = sp_db_err(err);
	*v = 0;
	if (rc == 0 && val != NULL)
		rc = n == 4 ? 0 : SP_ERR_CORRUPT;
	if (rc == 0 && val != NULL)
		*v = sp_be32((const uint8_t *)val);
	rocksdb_free(val);
	return rc;
}

static int format_write(struct sp_store *s, unsigned v)
{
	struct sp_key k = {.n = 0};
	sp_key_u32(&k, v);
	return sp_store_put(s, SP_CF_DEFAULT, FORMAT_KEY, sizeof(FORMAT_KEY) - 1, k.b, k.n, 1);
}

/* store_is_new: nothing in it yet (no log registered, no default-family
 * record): a store being created, not a version-1 one. */
static int store_is_new(struct sp_store *s)
{
	int any = 0;
	for (int cf = SP_CF_DEFAULT; cf <= SP_CF_LOGS && !any; cf++) {
		rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ropts, s->cf[cf]);
		rocksdb_iter_seek_to_first(it);
		any = rocksdb_iter_valid(it);
		rocksdb_iter_destroy(it);
	}
	return !any;
}

int sp_store_format_open(struct sp_store *s)
{
	unsigned v;
	int rc = format_read(s, &v);
	if (rc)
		return rc;
	if (v == 0)
		v = store_is_new(s) ? 0 : 1;
	s->format_found = v;
	if (v > SP_STORE_FORMAT)
		return SP_ERR_STORE_NEWER;
	if (v == SP_STORE_FORMAT || s->read_only)
		return 0; /* a read-only open reads the older layouts as they are */
	for (unsigned i = v ? v : SP_STORE_FORMAT; i < SP_STORE_FORMAT && rc == 0; i++)
		if (steps[i - 1])
			rc = steps[i - 1](s);
	return rc ? rc : format_write(s, SP_STORE_FORMAT);
}

unsigned sp_store_format_found(const struct sp_store *s)
{
	return s->format_found;
}

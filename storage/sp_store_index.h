/*
 * sp_store_index.h - two column families of the store kept for derived
 * indexes (the node's report index, node/sp_reports.h): a plain ordered
 * key-value space with a checksum on every value, written in atomic
 * batches that are not synced.
 *
 * Why not synced: everything here is derived from the logs and records
 * how far it got (a high-water mark per log, written in the same batch as
 * what it covers). RocksDB replays its write-ahead log in order, so after
 * any crash the families hold a prefix of the batches written, each
 * consistent with its own marks, and the owner catches up from the logs.
 *
 * Checksums: every value is stored with an 8-byte keyed hash (SipHash-2-4,
 * libsodium crypto_shorthash) of key || value appended, so a flipped byte
 * in a key or a value is found on read (SP_ERR_CORRUPT) rather than served;
 * RocksDB's own block checksums catch damage to the files underneath
 * (reported as SP_ERR_CORRUPT too).
 *
 * Families: SP_STORE_IX_RECORDS ("report_records"), SP_STORE_IX_KEYS
 * ("report_keys"); their key layouts are the owner's.
 *
 * Threads: any thread. Batches and iterators belong to one thread at a time.
 */
#ifndef SP_STORE_INDEX_H
#define SP_STORE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "sp_cbor.h"
#include "sp_store.h"

enum sp_store_ix { SP_STORE_IX_RECORDS, SP_STORE_IX_KEYS };

#define SP_STORE_IX_SUM 8 /* checksum bytes after each value */

/* A write batch over the two families. */
struct sp_store_ixb;

/* sp_store_ixb_new makes an empty batch for store s (*out is the caller's:
 * free it with sp_store_ixb_free). SP_ERR_NOMEM, SP_ERR_ARG (read-only
 * store). */
int sp_store_ixb_new(struct sp_store *s, struct sp_store_ixb **out);
void sp_store_ixb_free(struct sp_store_ixb *b);

/* put (value checksummed here) and delete; keys of at most 255 bytes. */
void sp_store_ixb_put(struct sp_store_ixb *b, enum sp_store_ix fam, const uint8_t *key,
		      size_t klen, const uint8_t *val, size_t vlen);
void sp_store_ixb_del(struct sp_store_ixb *b, enum sp_store_ix fam, const uint8_t *key,
		      size_t klen);

/* sp_store_ixb_count: operations in the batch. */
size_t sp_store_ixb_count(const struct sp_store_ixb *b);

/* sp_store_ixb_write writes the batch atomically (no fsync) and empties it.
 * SP_ERR_DB, SP_ERR_CORRUPT, SP_ERR_NOMEM. */
int sp_store_ixb_write(struct sp_store_ixb *b);

/* sp_store_ix_get appends the value of key (checksum checked and removed)
 * to out. SP_ERR_NOT_FOUND, SP_ERR_CORRUPT, SP_ERR_DB, SP_ERR_NOMEM. */
int sp_store_ix_get(struct sp_store *s, enum sp_store_ix fam, const uint8_t *key, size_t klen,
		    struct sp_buf *out);

/* An iterator over one family, from a consistent snapshot of the store
 * taken when it was made. */
struct sp_store_ixit;

/* sp_store_ixit_new (*out is the caller's: sp_store_ixit_free) iterates
 * over the keys that start with prefix[0..plen) (NULL, 0: every key).
 * SP_ERR_NOMEM. */
int sp_store_ixit_new(struct sp_store *s, enum sp_store_ix fam, const uint8_t *prefix,
		      size_t plen, struct sp_store_ixit **out);
void sp_store_ixit_free(struct sp_store_ixit *it);

/* sp_store_ixit_seek positions at the first key >= key; _next moves on.
 * sp_store_ixit_get gives the current key and value (checksum removed;
 * both valid until the iterator moves): 0, SP_ERR_NOT_FOUND at the end,
 * SP_ERR_CORRUPT (checksum), SP_ERR_DB. With val NULL (vlen unused) it
 * gives the key alone, unchecked (the checksum covers key and value: a
 * reader stepping over keys it does not use skips hashing each value;
 * it checks the ones it uses by asking again with val). */
void sp_store_ixit_seek(struct sp_store_ixit *it, const uint8_t *key, size_t klen);
void sp_store_ixit_next(struct sp_store_ixit *it);
int sp_store_ixit_get(struct sp_store_ixit *it, const uint8_t **key, size_t *klen,
		      const uint8_t **val, size_t *vlen);

/* sp_store_ixit_raw gives the current value as stored, its checksum NOT
 * checked (and left off *vlen): for a reader that looks at a few bytes to
 * skip an entry, and asks sp_store_ixit_get for the ones it uses.
 * SP_ERR_NOT_FOUND, SP_ERR_CORRUPT (shorter than a checksum). */
int sp_store_ixit_raw(struct sp_store_ixit *it, const uint8_t **val, size_t *vlen);

/* sp_store_ix_compact compacts both families (after a rebuild, which
 * leaves the old index's tombstones and every posting written in many
 * files: a query's walk then merges and skips them). SP_ERR_ARG
 * (read-only store). */
int sp_store_ix_compact(struct sp_store *s);

/* sp_store_ix_clear deletes everything in both families (synced), for a
 * rebuild. SP_ERR_DB, SP_ERR_ARG (read-only store). */
int sp_store_ix_clear(struct sp_store *s);

/* sp_store_ix_verify reads every value of both families and checks its
 * checksum: 0, SP_ERR_CORRUPT (*bad, optional, gets how many), SP_ERR_DB. */
int sp_store_ix_verify(struct sp_store *s, uint64_t *checked, uint64_t *bad);

/* sp_store_ix_raw_put writes a value exactly as given, without a checksum
 * (synced): for tests that damage the index on purpose. */
int sp_store_ix_raw_put(struct sp_store *s, enum sp_store_ix fam, const uint8_t *key,
			size_t klen, const uint8_t *val, size_t vlen);

/* sp_store_ix_raw_first gives the first key of a family with at least
 * min_val value bytes (before the checksum), into key (cap bytes) and its
 * raw stored value into val: for those tests. SP_ERR_NOT_FOUND. */
int sp_store_ix_raw_first(struct sp_store *s, enum sp_store_ix fam, size_t min_val,
			  struct sp_buf *key, struct sp_buf *val);

#endif

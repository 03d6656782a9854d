/*
 * sp_store_db.h - private to storage/: RocksDB plumbing shared by the
 * store's files (column families, key layouts, small wrappers).
 *
 * Column families and keys (all integers big-endian, so RocksDB's bytewise
 * order is numeric order):
 *   logs         id(4)                          -> CBOR {0: origin, 1: key, 2: own, 3: frozen,
 *                                                  4: [size, root] of a fork resolution}
 *   entries      id(4) index(8)                 -> entry bytes
 *   tiles        id(4) level(1) tile index(8)   -> full tile: 511 expanded hashes;
 *                                                  partial (level >= 1): its w leaves
 *   checkpoints  id(4) size(8)                  -> signed note (+ cosignature lines)
 *   forks        id(4) kind(1) at(8) hash(8)    -> CBOR [held bytes, other bytes, found ms, from]
 *                                                  (older records: the first two only); kind 3:
 *                                                  an entry set aside by a fork resolution
 *   default      "witness/" origin, "forkres/" origin (sp_store_witness.c, sp_store_forkres.c),
 *                "format" (sp_store_format.c), "attscan/" id(4) (sp_store_attach.c)
 *   attachments  sha256(32)                     -> flags(1) type length(1) media type,
 *                                                  then the bytes (sp_store_attach.c)
 *   report_records, report_keys                  the node's report index (derived; layouts in
 *                                                  node/sp_reports.c): values end in an 8-byte
 *                                                  checksum (sp_store_index.c)
 *
 * New families go at the end, so existing stores keep their indexes (open
 * creates missing families; read-only opens skip the missing ones at the
 * end).
 */
#ifndef SP_STORE_DB_H
#define SP_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include <rocksdb/c.h>

enum sp_cf { SP_CF_DEFAULT, SP_CF_LOGS, SP_CF_ENTRIES, SP_CF_TILES, SP_CF_CHECKPOINTS, SP_CF_FORKS,
	     SP_CF_ATTACHMENTS, SP_CF_REPORT_RECORDS, SP_CF_REPORT_KEYS, SP_CF_N };

#define SP_KEY_MAX 24

struct sp_key {
	uint8_t b[SP_KEY_MAX];
	size_t n;
};

static inline void sp_key_u8(struct sp_key *k, uint8_t v)
{
	k->b[k->n++] = v;
}

static inline void sp_key_u32(struct sp_key *k, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		k->b[k->n++] = (uint8_t)(v >> (8 * i));
}

static inline void sp_key_u64(struct sp_key *k, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
		k->b[k->n++] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t sp_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline uint32_t sp_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Key constructors for the layouts above. */
struct sp_key sp_key_entry(uint32_t id, uint64_t index);
struct sp_key sp_key_tile(uint32_t id, unsigned level, uint64_t k);
struct sp_key sp_key_checkpoint(uint32_t id, uint64_t size);

/* sp_db_err turns a RocksDB error string (freed here) into SP_ERR_DB, or
 * 0 when err is NULL. */
int sp_db_err(char *err);

#endif

/*
 * test_store.c - the RocksDB store: appends, reads, proofs, tiles, reopen,
 * checkpoints, replica ingest and its rejections, fork evidence.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <sodium.h>

#include "sp_clock.h"
#include "sp_entry.h"
#include "sp_err.h"
#include "sp_note.h"
#include "sp_store.h"
#include "sp_tile.h"

#define ORIGIN "simpul.test/73.12"

struct fixture {
	char dir[512];
	uint8_t pk[32], sk[64];
	struct sp_store *s;
};

static void make_body(struct sp_buf *b, uint64_t i)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "Laporan nomor %llu: jalan rusak", (unsigned long long)i);
	sp_buf_init(b);
	sp_cbor_put_map(b, 1);
	sp_cbor_put_uint(b, 0);
	sp_cbor_put_text(b, text, (size_t)n);
	assert_int_equal(b->err, 0);
}

static struct sp_store *open_own(const char *dir, const uint8_t sk[64])
{
	struct sp_store_opts o = {.own_origin = ORIGIN, .own_sk = sk, .checkpoint_ms = 0};
	struct sp_store *s = NULL;
	assert_int_equal(sp_store_open(dir, &o, &s), 0);
	return s;
}

static void append_n(struct sp_store *s, uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++) {
		struct sp_buf b;
		uint64_t idx;
		make_body(&b, i);
		assert_int_equal(sp_store_append(s, 1, b.p, b.len, &idx, NULL), 0);
		assert_int_equal(idx, i);
		sp_buf_free(&b);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", sp_test_tmpdir("store"));
	sp_test_keypair(7, f->pk, f->sk);
	f->s = open_own(f->dir, f->sk);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sp_store_close(f->s);
	sp_test_rmtree(f->dir);
	free(f);
	return 0;
}

/* Leaf hashes of the first n entries, read back through the store. */
static sp_hash *leaves_of(struct sp_store *s, uint32_t id, uint64_t n)
{
	sp_hash *leaves = calloc(n ? n : 1, sizeof(sp_hash));
	for (uint64_t i = 0; i < n; i++) {
		struct sp_buf b;
		sp_buf_init(&b);
		assert_int_equal(sp_store_entry(s, id, i, &b), 0);
		sp_merkle_leaf_hash(b.p, b.len, leaves[i]);
		sp_buf_free(&b);
	}
	return leaves;
}

static void test_append_chain_and_proofs(void **state)
{
	struct fixture *f = *state;
	uint32_t id;
	const uint64_t n = 700; /* spans full and partial tiles at level 0 and 1 */
	append_n(f->s, 0, n);
	assert_int_equal(sp_store_own_log(f->s, &id), 0);

	struct sp_log_info info;
	assert_int_equal(sp_store_log_info(f->s, id, &info), 0);
	assert_int_equal(info.size, n);
	assert_memory_equal(info.pk, f->pk, 32);

	/* The chain: every entry verifies and links to the one before. */
	struct sp_entry prev, e;
	uint8_t prev_hash[32] = {0};
	struct sp_buf pb;
	sp_buf_init(&pb);
	for (uint64_t i = 0; i < n; i++) {
		struct sp_buf b;
		sp_buf_init(&b);
		assert_int_equal(sp_store_entry(f->s, id, i, &b), 0);
		assert_int_equal(sp_entry_open(b.p, b.len, &e), 0);
		assert_int_equal(sp_entry_check_link(i ? &prev : NULL, prev_hash, &e), 0);
		sp_entry_hash(b.p, b.len, prev_hash);
		sp_buf_free(&pb);
		pb = b; /* keep the bytes prev points into */
		prev = e;
	}
	assert_memory_equal(info.head, prev_hash, 32);
	sp_buf_free(&pb);

	sp_hash *leaves = leaves_of(f->s, id, n);
	for (uint64_t size = 1; size <= n; size += 37) {
		uint8_t want[32], got[32];
		assert_int_equal(sp_merkle_root(sp_merkle_mem_node, leaves, size, want), 0);
		assert_int_equal(sp_store_root(f->s, id, size, got), 0);
		assert_memory_equal(want, got, 32);
		for (uint64_t i = 0; i < size; i += 13) {
			sp_hash proof[SP_MERKLE_MAX_PROOF];
			size_t pn;
			assert_int_equal(sp_store_inclusion(f->s, id, i, size, proof, &pn), 0);
			assert_int_equal(sp_merkle_verify_inclusion(leaves[i], i, size, proof, pn, got), 0);
		}
		uint8_t new_root[32];
		sp_hash proof[SP_MERKLE_MAX_PROOF];
		size_t pn;
		assert_int_equal(sp_store_root(f->s, id, n, new_root), 0);
		assert_int_equal(sp_store_consistency(f->s, id, size, n, proof, &pn), 0);
		assert_int_equal(sp_merkle_verify_consistency(size, n, got, new_root, proof, pn), 0);
	}
	/* Beyond the durable size: refused. */
	uint8_t r[32];
	assert_int_equal(sp_store_root(f->s, id, n + 1, r), SP_ERR_RANGE);
	free(leaves);
}

static void test_tiles_and_bundles(void **state)
{
	struct fixture *f = *state;
	uint32_t id;
	append_n(f->s, 0, 300);
	assert_int_equal(sp_store_own_log(f->s, &id), 0);
	sp_hash *leaves = leaves_of(f->s, id, 300);

	struct sp_buf t;
	sp_buf_init(&t);
	assert_int_equal(sp_store_tile(f->s, id, 0, 0, 256, &t), 0);
	assert_int_equal(t.len, 256 * 32);
	assert_memory_equal(t.p, leaves, 256 * 32);
	sp_buf_free(&t);
	/* The partial right-edge tile, at any width it holds. */
	assert_int_equal(sp_store_tile(f->s, id, 0, 1, 44, &t), 0);
	assert_memory_equal(t.p, leaves[256], 44 * 32);
	sp_buf_free(&t);
	assert_int_equal(sp_store_tile(f->s, id, 0, 1, 45, &t), SP_ERR_NOT_FOUND);
	sp_buf_free(&t);
	/* Level 1 holds the root of the first full level-0 tile. */
	uint8_t root256[32];
	assert_int_equal(sp_merkle_root(sp_merkle_mem_node, leaves, 256, root256), 0);
	assert_int_equal(sp_store_tile(f->s, id, 1, 0, 1, &t), 0);
	assert_memory_equal(t.p, root256, 32);
	sp_buf_free(&t);

	/* Entry bundles: 2-byte big-endian length, then the entry. */
	struct sp_buf bundle, e;
	sp_buf_init(&bundle);
	sp_buf_init(&e);
	assert_int_equal(sp_store_bundle(f->s, id, 1, 44, &bundle), 0);
	assert_int_equal(sp_store_entry(f->s, id, 256, &e), 0);
	assert_int_equal((bundle.p[0] << 8) | bundle.p[1], e.len);
	assert_memory_equal(bundle.p + 2, e.p, e.len);
	sp_buf_free(&bundle);
	sp_buf_free(&e);
	assert_int_equal(sp_store_bundle(f->s, id, 1, 45, &bundle), SP_ERR_NOT_FOUND);
	sp_buf_free(&bundle);
	/* Indexes where index * 256 + width wraps around, and beyond: not found, never
	 * an empty bundle or a read of a tile that cannot exist. */
	static const uint64_t huge[] = {(UINT64_MAX >> 8), (UINT64_MAX >> 8) + 1, UINT64_MAX};
	for (size_t i = 0; i < 3; i++) {
		for (unsigned level = 0; level < 3; level++) {
			assert_int_equal(sp_store_tile(f->s, id, level, huge[i], 256, &t),
					 SP_ERR_NOT_FOUND);
			assert_int_equal(sp_store_tile(f->s, id, level, huge[i], 1, &t),
					 SP_ERR_NOT_FOUND);
		}
		assert_int_equal(sp_store_bundle(f->s, id, huge[i], 256, &bundle), SP_ERR_NOT_FOUND);
		assert_int_equal(sp_store_bundle(f->s, id, huge[i], 1, &bundle), SP_ERR_NOT_FOUND);
		assert_int_equal(t.len + bundle.len, 0);
	}
	free(leaves);
}

static void test_reopen_and_continue(void **state)
{
	struct fixture *f = *state;
	uint32_t id;
	append_n(f->s, 0, 520);
	assert_int_equal(sp_store_own_log(f->s, &id), 0);
	uint8_t root_before[32];
	assert_int_equal(sp_store_root(f->s, id, 520, root_before), 0);
	sp_store_close(f->s);

	/* Someone else's key may not open this node's folder. */
	uint8_t pk2[32], sk2[64];
	sp_test_keypair(8, pk2, sk2);
	struct sp_store_opts bad = {.own_origin = ORIGIN, .own_sk = sk2};
	struct sp_store *s2 = NULL;
	assert_int_equal(sp_store_open(f->dir, &bad, &s2), SP_ERR_ARG);
	/* Nor may a second own log, under another origin, with any key. */
	struct sp_store_opts other = {.own_origin = "test.simpul/99.99", .own_sk = sk2};
	assert_int_equal(sp_store_open(f->dir, &other, &s2), SP_ERR_EXISTS);
	other.own_sk = f->sk;
	assert_int_equal(sp_store_open(f->dir, &other, &s2), SP_ERR_EXISTS);

	f->s = open_own(f->dir, f->sk);
	/* A second opener of the same folder is refused while it is open. */
	assert_int_equal(sp_store_open(f->dir, NULL, &s2), SP_ERR_BUSY);

	uint8_t root_after[32];
	assert_int_equal(sp_store_root(f->s, id, 520, root_after), 0);
	assert_memory_equal(root_before, root_after, 32);
	append_n(f->s, 520, 300);
	sp_hash *leaves = leaves_of(f->s, id, 820);
	uint8_t want[32], got[32];
	assert_int_equal(sp_merkle_root(sp_merkle_mem_node, leaves, 820, want), 0);
	assert_int_equal(sp_store_root(f->s, id, 820, got), 0);
	assert_memory_equal(want, got, 32);
	free(leaves);
}

static void test_checkpoints(void **state)
{
	struct fixture *f = *state;
	uint32_t id;
	struct sp_note_key key;
	assert_int_equal(sp_note_key_init(&key, ORIGIN, SP_NOTE_TYPE_ED25519, f->pk), 0);
	assert_int_equal(sp_store_own_log(f->s, &id), 0);
	append_n(f->s, 0, 10);
	assert_int_equal(sp_store_checkpoint_sign(f->s), 0);

	struct sp_buf note;
	uint64_t size;
	sp_buf_init(&note);
	assert_int_equal(sp_store_checkpoint(f->s, id, &note, &size), 0);
	assert_int_equal(size, 10);
	struct sp_checkpoint c;
	assert_int_equal(sp_checkpoint_open((const char *)note.p, note.len, &key, &c), 0);
	assert_string_equal(c.origin, ORIGIN);
	uint8_t root[32];
	assert_int_equal(sp_store_root(f->s, id, 10, root), 0);
	assert_memory_equal(c.root, root, 32);
	sp_buf_free(&note);

	append_n(f->s, 10, 5);
	assert_int_equal(sp_store_checkpoint_sign(f->s), 0);
	assert_int_equal(sp_store_checkpoint(f->s, id, &note, &size), 0);
	assert_int_equal(size, 15);
	sp_buf_free(&note);
	/* The old one is kept too. */
	assert_int_equal(sp_store_checkpoint_at(f->s, id, 10, &note), 0);
	sp_buf_free(&note);

	/* A witness cosignature line is kept with the checkpoint. */
	uint8_t wpk[32], wsk[64];
	sp_test_keypair(9, wpk, wsk);
	struct sp_buf body, line;
	sp_buf_init(&body);
	sp_buf_init(&line);
	c.size = 15;
	assert_int_equal(sp_store_root(f->s, id, 15, c.root), 0);
	sp_checkpoint_format(&c, &body);
	assert_int_equal(sp_cosig_line((const char *)body.p, body.len, 1767225600, "witness.test", wsk,
				       &line),
			 0);
	assert_int_equal(sp_store_cosign_add(f->s, id, 15, (const char *)line.p, line.len), 0);
	assert_int_equal(sp_store_checkpoint(f->s, id, &note, &size), 0);
	struct sp_note_key wkey;
	uint64_t ts;
	assert_int_equal(sp_note_key_init(&wkey, "witness.test", SP_NOTE_TYPE_COSIG, wpk), 0);
	assert_int_equal(sp_cosig_verify((const char *)note.p, note.len, &wkey, &ts), 0);
	assert_int_equal(ts, 1767225600);
	sp_buf_free(&note);
	/* One line per witness key: the same line again, or a later one by the same
	 * key, is refused and the stored note keeps exactly one. */
	assert_int_equal(sp_store_cosign_add(f->s, id, 15, (const char *)line.p, line.len),
			 SP_ERR_EXISTS);
	sp_buf_free(&line);
	assert_int_equal(sp_cosig_line((const char *)body.p, body.len, 1767225700, "witness.test", wsk,
				       &line),
			 0);
	assert_int_equal(sp_store_cosign_add(f->s, id, 15, (const char *)line.p, line.len),
			 SP_ERR_EXISTS);
	assert_int_equal(sp_store_checkpoint(f->s, id, &note, &size), 0);
	struct sp_note parsed;
	assert_int_equal(sp_note_parse((const char *)note.p, note.len, &parsed), 0);
	assert_int_equal(parsed.nsigs, 2); /* the log's own and the witness's */
	sp_buf_free(&note);
	sp_buf_free(&body);
	sp_buf_free(&line);
}

/* Collects the own log's entries of [from, to) for feeding a replica. */
struct entries {
	uint8_t **p;
	size_t *len;
	size_t n;
};

static int collect(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	struct entries *e = arg;
	e->p[e->n] = malloc(len);
	memcpy(e->p[e->n], entry, len);
	e->len[e->n++] = len;
	return 0;
}

static void entries_load(struct sp_store *s, uint32_t id, uint64_t n, struct entries *e)
{
	e->p = calloc(n, sizeof(*e->p));
	e->len = calloc(n, sizeof(*e->len));
	e->n = 0;
	assert_int_equal(sp_store_scan(s, id, 0, n, collect, e), 0);
	assert_int_equal(e->n, n);
}

static void entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->p[i]);
	free(e->p);
	free(e->len);
}

/* own_entries appends n entries to the fixture's own log (*own) and loads
 * them into e (freed by the caller with entries_free). */
static void own_entries(struct fixture *f, uint64_t n, uint32_t *own, struct entries *e)
{
	assert_int_equal(sp_store_own_log(f->s, own), 0);
	append_n(f->s, 0, n);
	entries_load(f->s, *own, n, e);
}

/* open_replica opens a fresh store in dir (<fixture dir>-<suffix>, 600
 * bytes of room) that follows the fixture's log as *rid. The caller closes
 * it and removes dir. */
static struct sp_store *open_replica(const struct fixture *f, const char *suffix, char dir[600],
				     uint32_t *rid)
{
	snprintf(dir, 600, "%s-%s", f->dir, suffix);
	sp_test_rmtree(dir);
	struct sp_store *r = NULL;
	assert_int_equal(sp_store_open(dir, NULL, &r), 0);
	assert_int_equal(sp_store_log_add(r, ORIGIN, f->pk, rid), 0);
	return r;
}

static int count_forks(void *arg, const struct sp_fork *f)
{
	(*(int *)arg)++;
	assert_true(f->held_len > 0 && f->other_len > 0);
	return 0;
}

struct fork_seen {
	int n, from_peer;
};

/* note_fork counts records and those a peer ("73") sent, with a time. */
static int note_fork(void *arg, const struct sp_fork *f)
{
	struct fork_seen *q = arg;
	q->n++;
	assert_true(f->found_ms > 0);
	if (f->from_len == 2 && memcmp(f->from, "73", 2) == 0)
		q->from_peer++;
	return 0;
}

static void test_replica_ingest(void **state)
{
	struct fixture *f = *state;
	uint32_t own, rid;
	struct entries e;
	char rdir[600];
	own_entries(f, 600, &own, &e);
	struct sp_store *r = open_replica(f, "replica", rdir, &rid);
	/* Same origin, other key: refused. */
	uint8_t pk2[32], sk2[64];
	uint32_t tmp;
	sp_test_keypair(8, pk2, sk2);
	assert_int_equal(sp_store_log_add(r, ORIGIN, pk2, &tmp), SP_ERR_EXISTS);

	const uint8_t *const *ents = (const uint8_t *const *)e.p;
	size_t acc;
	/* A gap is refused and stores nothing. */
	assert_int_equal(sp_store_insert(r, rid, ents + 1, e.len + 1, 5, &acc), SP_ERR_GAP);
	assert_int_equal(acc, 0);
	/* A bad signature in the middle: the valid prefix only. */
	e.p[100][e.len[100] - 1] ^= 1;
	assert_int_equal(sp_store_insert(r, rid, ents, e.len, 200, &acc), SP_ERR_BAD_SIGNATURE);
	assert_int_equal(acc, 100);
	e.p[100][e.len[100] - 1] ^= 1;
	struct sp_log_info info;
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_int_equal(info.size, 100);
	/* A batch is one range: a held entry in the middle of new ones is
	 * refused (the report index reads entry i as index first + i). */
	const uint8_t *mixed[3] = {e.p[100], e.p[5], e.p[101]};
	size_t mixed_len[3] = {e.len[100], e.len[5], e.len[101]};
	assert_int_equal(sp_store_insert(r, rid, mixed, mixed_len, 3, &acc), SP_ERR_WRONG_INDEX);
	assert_int_equal(acc, 1);
	/* Replays of entries held are harmless; the rest are appended. */
	assert_int_equal(sp_store_insert(r, rid, ents, e.len, 600, &acc), 0);
	assert_int_equal(acc, 499);
	uint8_t r1[32], r2[32];
	assert_int_equal(sp_store_root(f->s, own, 600, r1), 0);
	assert_int_equal(sp_store_root(r, rid, 600, r2), 0);
	assert_memory_equal(r1, r2, 32);

	/* The writer's checkpoint is accepted by the replica. */
	struct sp_buf note;
	sp_buf_init(&note);
	assert_int_equal(sp_store_checkpoint_sign(f->s), 0);
	assert_int_equal(sp_store_checkpoint(f->s, own, &note, NULL), 0);
	assert_int_equal(sp_store_checkpoint_put(r, rid, (const char *)note.p, note.len), 0);
	sp_buf_free(&note);

	/* A fork: the same key signs a different entry 5 at another node. */
	char fdir[600];
	snprintf(fdir, sizeof(fdir), "%s-fork", f->dir);
	sp_test_rmtree(fdir);
	struct sp_store *fk = open_own(fdir, f->sk);
	uint32_t fid;
	assert_int_equal(sp_store_own_log(fk, &fid), 0);
	assert_int_equal(sp_store_insert(fk, fid, ents, e.len, 1, &acc), SP_ERR_ARG);
	append_n(fk, 0, 6);
	struct entries fe;
	entries_load(fk, fid, 6, &fe);
	assert_int_equal(sp_store_insert(r, rid, (const uint8_t *const *)fe.p + 5, fe.len + 5, 1, &acc),
			 SP_ERR_FORK);
	int forks = 0;
	assert_int_equal(sp_store_forks(r, rid, count_forks, &forks), 0);
	assert_int_equal(forks, 1);
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_true(info.frozen);
	assert_int_equal(info.size, 600);
	assert_int_equal(sp_store_insert(r, rid, ents, e.len, 1, &acc), SP_ERR_BUSY);

	/* Frozen survives a restart. */
	sp_store_close(r);
	assert_int_equal(sp_store_open(rdir, NULL, &r), 0);
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_true(info.frozen);
	assert_int_equal(info.size, 600);

	entries_free(&fe);
	entries_free(&e);
	sp_store_close(r);
	sp_store_close(fk);
	sp_test_rmtree(rdir);
	sp_test_rmtree(fdir);
}

/* A replica log's tiles are read at its first use after a reopen, not at
 * the open; what it answers then, and how it goes on, is the same. */
static void test_replica_lazy_open(void **state)
{
	struct fixture *f = *state;
	uint32_t own, rid;
	struct entries e;
	char rdir[600];
	own_entries(f, 1000, &own, &e); /* 600 = 2 * 256 + 88: partial tiles at levels 0 and 1 */
	struct sp_store *r = open_replica(f, "lazy", rdir, &rid);
	size_t acc;
	assert_int_equal(sp_store_insert(r, rid, (const uint8_t *const *)e.p, e.len, 600, &acc), 0);
	assert_int_equal(acc, 600);
	sp_store_close(r);
	assert_int_equal(sp_store_open(rdir, NULL, &r), 0);
	assert_int_equal(sp_store_logs_loaded(r), 0);
	/* the head and the entries are read without the tiles */
	struct sp_log_info info;
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_int_equal(info.size, 600);
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_store_entry(r, rid, 599, &b), 0);
	assert_int_equal(b.len, e.len[599]);
	sp_buf_free(&b);
	assert_int_equal(sp_store_logs_loaded(r), 0);
	/* the first root reads them: the same root as the writer's */
	uint8_t w[32], got[32];
	assert_int_equal(sp_store_root(r, rid, 600, got), 0);
	assert_int_equal(sp_store_logs_loaded(r), 1);
	assert_int_equal(sp_store_root(f->s, own, 600, w), 0);
	assert_memory_equal(w, got, 32);
	sp_store_close(r);
	/* ingest goes on after a reopen, from the tiles read then */
	assert_int_equal(sp_store_open(rdir, NULL, &r), 0);
	assert_int_equal(
	    sp_store_insert(r, rid, (const uint8_t *const *)e.p + 600, e.len + 600, 400, &acc), 0);
	assert_int_equal(acc, 400);
	assert_int_equal(sp_store_root(r, rid, 1000, got), 0);
	assert_int_equal(sp_store_root(f->s, own, 1000, w), 0);
	assert_memory_equal(w, got, 32);
	entries_free(&e);
	sp_store_close(r);
	sp_test_rmtree(rdir);
}

/* Verifying one batch while the previous one is applied (the peer ingest
 * pipeline): batches verified ahead of the log they extend apply in
 * order with sp_store_insert's results; a bad signature found while
 * verifying stops the batch at apply, with the valid prefix stored. */
static void test_verify_then_apply(void **state)
{
	struct fixture *f = *state;
	uint32_t own, rid;
	struct entries e;
	char rdir[600];
	own_entries(f, 300, &own, &e);
	struct sp_store *r = open_replica(f, "split", rdir, &rid);
	const uint8_t *const *ents = (const uint8_t *const *)e.p;
	struct sp_store_batch *b1, *b2, *b3;
	size_t acc = 99;
	e.p[250][e.len[250] - 1] ^= 1;
	assert_int_equal(sp_store_verify(r, rid, ents, e.len, 100, &b1), 0);
	assert_int_equal(sp_store_verify(r, rid, ents + 100, e.len + 100, 100, &b2), 0);
	assert_int_equal(sp_store_verify(r, rid, ents + 200, e.len + 200, 100, &b3), 0);
	struct sp_log_info info;
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_int_equal(info.size, 0); /* verifying stores nothing */
	assert_int_equal(sp_store_apply(r, b2, &acc), SP_ERR_GAP); /* out of order */
	assert_int_equal(acc, 0);
	assert_int_equal(sp_store_apply(r, b1, &acc), 0);
	assert_int_equal(acc, 100);
	assert_int_equal(sp_store_apply(r, b2, &acc), 0);
	assert_int_equal(acc, 100);
	assert_int_equal(sp_store_apply(r, b3, &acc), SP_ERR_BAD_SIGNATURE);
	assert_int_equal(acc, 50);
	assert_int_equal(sp_store_apply(r, NULL, &acc), SP_ERR_ARG);
	sp_store_batch_free(b1);
	sp_store_batch_free(b2);
	sp_store_batch_free(b3);
	e.p[250][e.len[250] - 1] ^= 1;
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_int_equal(info.size, 250);
	uint8_t r1[32], r2[32];
	assert_int_equal(sp_store_root(f->s, own, 250, r1), 0);
	assert_int_equal(sp_store_root(r, rid, 250, r2), 0);
	assert_memory_equal(r1, r2, 32);
	/* Only replicas: the own log is not verified this way. */
	assert_int_equal(sp_store_verify(f->s, own, ents, e.len, 1, &b1), SP_ERR_ARG);
	assert_null(b1);
	entries_free(&e);
	sp_store_close(r);
	sp_test_rmtree(rdir);
}

/* A verified batch lends its decoded entries and their hashes, so whoever
 * reads what was stored need not decode or hash again. */
static void test_batch_run(void **state)
{
	struct fixture *f = *state;
	uint32_t own, rid;
	struct entries e;
	char rdir[600];
	own_entries(f, 100, &own, &e);
	struct sp_store *r = open_replica(f, "run", rdir, &rid);
	const uint8_t *const *ents = (const uint8_t *const *)e.p;
	struct sp_store_batch *b;
	assert_int_equal(sp_store_verify(r, rid, ents, e.len, 100, &b), 0);
	struct sp_store_run run;
	assert_int_equal(sp_store_batch_run(b, 10, 20, 1010, &run), 0);
	assert_int_equal(run.log, rid);
	assert_int_equal(run.first, 1010);
	assert_int_equal(run.n, 20);
	assert_ptr_equal(run.entries, ents + 10);
	assert_ptr_equal(run.lens, e.len + 10);
	for (size_t i = 0; i < run.n; i++) {
		struct sp_entry want;
		uint8_t hash[SP_HASH_BYTES];
		assert_int_equal(sp_entry_decode(e.p[10 + i], e.len[10 + i], &want), 0);
		sp_entry_hash(e.p[10 + i], e.len[10 + i], hash);
		assert_int_equal(run.ents[i].index, 10 + i);
		assert_int_equal(run.ents[i].type, want.type);
		assert_ptr_equal(run.ents[i].body, want.body);
		assert_int_equal(run.ents[i].body_len, want.body_len);
		assert_memory_equal(run.ents[i].sig, want.sig, SP_SIG_BYTES);
		assert_memory_equal(run.hashes[i], hash, SP_HASH_BYTES);
	}
	assert_int_equal(sp_store_batch_run(b, 100, 0, 0, &run), 0);
	assert_int_equal(sp_store_batch_run(b, 0, 100, 0, &run), 0);
	assert_int_equal(sp_store_batch_run(b, 90, 11, 0, &run), SP_ERR_RANGE);
	assert_int_equal(run.n, 100); /* untouched */
	assert_int_equal(sp_store_batch_run(b, 101, 0, 0, &run), SP_ERR_RANGE);
	assert_int_equal(sp_store_batch_run(NULL, 0, 0, 0, &run), SP_ERR_RANGE);
	sp_store_batch_free(b);
	entries_free(&e);
	sp_store_close(r);
	sp_test_rmtree(rdir);
}

static void test_inconsistent_checkpoint(void **state)
{
	struct fixture *f = *state;
	uint32_t own, rid;
	struct entries e;
	char rdir[600];
	own_entries(f, 20, &own, &e);
	struct sp_store *r = open_replica(f, "replica2", rdir, &rid);
	size_t acc;
	assert_int_equal(sp_store_insert(r, rid, (const uint8_t *const *)e.p, e.len, 20, &acc), 0);

	/* A checkpoint signed by the writer's key for a tree it never had. */
	struct sp_checkpoint c = {.size = 10};
	snprintf(c.origin, sizeof(c.origin), "%s", ORIGIN);
	memset(c.root, 0x5a, 32);
	struct sp_buf note;
	sp_buf_init(&note);
	assert_int_equal(sp_checkpoint_sign(&c, f->sk, &note), 0);
	assert_int_equal(sp_store_checkpoint_put(r, rid, (const char *)note.p, note.len),
			 SP_ERR_INCONSISTENT);
	int forks = 0;
	assert_int_equal(sp_store_forks(r, rid, count_forks, &forks), 0);
	assert_int_equal(forks, 1);
	assert_int_equal(sp_store_fork_gen(r), 1);
	/* Evidence from a peer (checked by the caller): kept once, in either
	 * order, with where it came from and when. */
	assert_int_equal(sp_store_fork_add(r, rid, SP_FORK_ENTRY, 3, e.p[3], e.len[3], e.p[4],
					   e.len[4], "73"),
			 0);
	assert_int_equal(sp_store_fork_add(r, rid, SP_FORK_ENTRY, 3, e.p[4], e.len[4], e.p[3],
					   e.len[3], "73.11"),
			 SP_ERR_EXISTS);
	assert_int_equal(sp_store_fork_gen(r), 2);
	struct fork_seen seen = {0};
	assert_int_equal(sp_store_forks(r, rid, note_fork, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.from_peer, 1);
	sp_buf_free(&note);
	/* A checkpoint signed by someone else is rejected outright. */
	uint8_t pk2[32], sk2[64];
	sp_test_keypair(8, pk2, sk2);
	assert_int_equal(sp_checkpoint_sign(&c, sk2, &note), 0);
	assert_true(sp_store_checkpoint_put(r, rid, (const char *)note.p, note.len) < 0);
	sp_buf_free(&note);
	entries_free(&e);
	sp_store_close(r);
	sp_test_rmtree(rdir);
}

/* other_branch: a second store signing with the fixture's key (*out, in
 * dir), whose n entries differ from the fixture's from index 0. */
static struct sp_store *other_branch(const struct fixture *f, char dir[600], uint64_t n,
				     struct entries *e)
{
	snprintf(dir, 600, "%s-other", f->dir);
	sp_test_rmtree(dir);
	struct sp_store *o = open_own(dir, f->sk);
	uint32_t id;
	assert_int_equal(sp_store_own_log(o, &id), 0);
	for (uint64_t i = 0; i < n; i++) {
		struct sp_buf b;
		make_body(&b, 1000 + i);
		assert_int_equal(sp_store_append(o, 1, b.p, b.len, NULL, NULL), 0);
		sp_buf_free(&b);
	}
	entries_load(o, id, n, e);
	return o;
}

static int count_aside(void *arg, const struct sp_fork *f)
{
	(*(int *)arg)++;
	assert_int_equal(f->kind, SP_FORK_SET_ASIDE);
	assert_true(f->held_len == 0 && f->other_len > 0);
	return 0;
}

static void assert_log(struct sp_store *s, uint32_t id, uint64_t size, int frozen, int forks,
		       int aside)
{
	struct sp_log_info info;
	assert_int_equal(sp_store_log_info(s, id, &info), 0);
	assert_int_equal(info.size, size);
	assert_int_equal(info.frozen, frozen);
	int n = 0, a = 0;
	assert_int_equal(sp_store_forks(s, id, count_forks, &n), 0);
	assert_int_equal(sp_store_set_aside(s, id, count_aside, &a), 0);
	assert_int_equal(n, forks);
	assert_int_equal(a, aside);
}

/* The coordinator's resolution of a fork (sp_store_fork_resolve): a
 * replica on the branch resolved away sets its entries aside and takes
 * the kept branch; statements of the other branch are refused without
 * becoming evidence again; a new fork beyond the resolved size freezes
 * the log again; a pending replica restarts when what it holds does not
 * link; the own log on the other branch takes no appends; all of it
 * survives a restart. */
static void test_fork_resolution(void **state)
{
	struct fixture *f = *state;
	uint32_t own, rid, rid2, oid;
	struct entries e, o;
	char rdir[600], r2dir[600], odir[600];
	own_entries(f, 30, &own, &e);
	struct sp_store *other = other_branch(f, odir, 30, &o);
	assert_int_equal(sp_store_own_log(other, &oid), 0);
	const uint8_t *const *kept = (const uint8_t *const *)e.p;
	const uint8_t *const *lost = (const uint8_t *const *)o.p;
	uint8_t root[32];
	assert_int_equal(sp_store_root(f->s, own, 30, root), 0);
	size_t acc;
	uint64_t moved;

	/* r holds the other branch, then sees the kept one: evidence, frozen. */
	struct sp_store *r = open_replica(f, "res", rdir, &rid);
	assert_int_equal(sp_store_insert(r, rid, lost, o.len, 30, &acc), 0);
	assert_int_equal(sp_store_insert(r, rid, kept + 5, e.len + 5, 1, &acc), SP_ERR_FORK);
	assert_log(r, rid, 30, 1, 1, 0);
	/* the attachment start scan's mark: refused unless it names the
	 * log's entry at its size; dropped with the branch it was taken on */
	uint8_t head[32], got[32];
	uint64_t msize;
	assert_int_equal(sp_store_attach_mark_get(r, rid, &msize, got), SP_ERR_NOT_FOUND);
	sp_entry_hash(o.p[9], o.len[9], head);
	assert_int_equal(sp_store_attach_mark_put(r, rid, 11, head), 0);
	assert_int_equal(sp_store_attach_mark_get(r, rid, &msize, got), SP_ERR_FORK);
	assert_int_equal(sp_store_attach_mark_put(r, rid, 10, head), 0);
	assert_int_equal(sp_store_attach_mark_get(r, rid, &msize, got), 0);
	assert_int_equal(msize, 10);
	assert_memory_equal(got, head, 32);
	sp_entry_hash(o.p[29], o.len[29], head);
	assert_int_equal(sp_store_attach_mark_put(r, rid, 31, head), 0);
	assert_int_equal(sp_store_attach_mark_get(r, rid, &msize, got), SP_ERR_FORK);
	assert_int_equal(msize, 0);
	assert_int_equal(sp_store_attach_mark_put(r, rid, 30, head), 0);
	assert_int_equal(sp_store_attach_mark_get(r, rid, &msize, got), 0);
	assert_int_equal(msize, 30);
	assert_int_equal(sp_store_fork_resolve(r, rid, 0, root, NULL), SP_ERR_ARG);
	assert_int_equal(sp_store_fork_resolve(r, rid, 30, root, &moved), 0);
	assert_int_equal(moved, 30);
	assert_log(r, rid, 0, 0, 1, 30);
	assert_int_equal(sp_store_attach_mark_get(r, rid, &msize, got), SP_ERR_NOT_FOUND);
	/* The other branch again: refused at the resolved size, no evidence. */
	assert_int_equal(sp_store_insert(r, rid, lost, o.len, 30, &acc), SP_ERR_FORK_RESOLVED);
	assert_log(r, rid, 0, 0, 1, 30);
	assert_int_equal(sp_store_insert(r, rid, kept, e.len, 30, &acc), 0);
	assert_int_equal(acc, 30);
	uint8_t have[32];
	assert_int_equal(sp_store_root(r, rid, 30, have), 0);
	assert_memory_equal(have, root, 32);
	assert_int_equal(sp_store_insert(r, rid, lost + 7, o.len + 7, 1, &acc),
			 SP_ERR_FORK_RESOLVED);
	struct sp_buf note;
	sp_buf_init(&note);
	assert_int_equal(sp_store_checkpoint_sign(other), 0);
	assert_int_equal(sp_store_checkpoint(other, oid, &note, NULL), 0);
	assert_int_equal(sp_store_checkpoint_put(r, rid, (const char *)note.p, note.len),
			 SP_ERR_FORK_RESOLVED);
	assert_int_equal(sp_store_fork_add(r, rid, SP_FORK_ENTRY, 7, e.p[7], e.len[7], o.p[7],
					   o.len[7], "73"),
			 0);
	assert_log(r, rid, 30, 0, 2, 30);

	/* A fork beyond the resolved size is new evidence: frozen again. */
	append_n(f->s, 30, 5);
	append_n(other, 30, 5);
	struct entries e2, o2;
	entries_load(f->s, own, 35, &e2);
	entries_load(other, oid, 35, &o2);
	assert_int_equal(sp_store_insert(r, rid, (const uint8_t *const *)e2.p + 30, e2.len + 30, 5,
					 &acc),
			 0);
	assert_int_equal(sp_store_insert(r, rid, (const uint8_t *const *)o2.p + 32, o2.len + 32, 1,
					 &acc),
			 SP_ERR_FORK);
	assert_log(r, rid, 35, 1, 3, 30);
	sp_store_close(r);
	assert_int_equal(sp_store_open(rdir, NULL, &r), 0);
	struct sp_log_info info;
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_true(info.resolved && info.res_size == 30 && info.frozen);
	assert_memory_equal(info.res_root, root, 32);

	/* r2 holds 10 entries of the other branch when the resolution comes:
	 * pending; the kept branch does not link to them, so they are set
	 * aside and the log is fetched again from 0. */
	struct sp_store *r2 = open_replica(f, "res2", r2dir, &rid2);
	assert_int_equal(sp_store_insert(r2, rid2, lost, o.len, 10, &acc), 0);
	assert_int_equal(sp_store_fork_resolve(r2, rid2, 30, root, &moved), 0);
	assert_int_equal(moved, 0);
	assert_log(r2, rid2, 10, 0, 0, 0);
	assert_int_equal(sp_store_insert(r2, rid2, kept + 10, e.len + 10, 20, &acc),
			 SP_ERR_FORK_RESOLVED);
	assert_log(r2, rid2, 0, 0, 0, 10);
	assert_int_equal(sp_store_insert(r2, rid2, kept, e.len, 30, &acc), 0);
	assert_log(r2, rid2, 30, 0, 0, 10);

	/* A resolution of a log not held yet is kept (across a restart) and
	 * taken by the log when it is first registered. */
	char r3dir[600];
	uint32_t rid3;
	snprintf(r3dir, sizeof(r3dir), "%s-res3", f->dir);
	sp_test_rmtree(r3dir);
	struct sp_store *r3 = NULL;
	assert_int_equal(sp_store_open(r3dir, NULL, &r3), 0);
	assert_int_equal(sp_store_fork_resolve_origin(r3, ORIGIN, 30, root, &moved), 0);
	assert_int_equal(sp_store_log_find(r3, ORIGIN, &rid3), SP_ERR_NOT_FOUND);
	sp_store_close(r3);
	assert_int_equal(sp_store_open(r3dir, NULL, &r3), 0);
	assert_int_equal(sp_store_log_add(r3, ORIGIN, f->pk, &rid3), 0);
	assert_int_equal(sp_store_log_info(r3, rid3, &info), 0);
	assert_true(info.resolved && info.res_size == 30 && !info.frozen);
	assert_int_equal(sp_store_insert(r3, rid3, lost, o.len, 30, &acc), SP_ERR_FORK_RESOLVED);
	assert_int_equal(sp_store_insert(r3, rid3, kept, e.len, 30, &acc), 0);
	assert_log(r3, rid3, 30, 0, 0, 0);
	sp_store_close(r3);
	sp_test_rmtree(r3dir);

	/* The own log on the branch resolved away keeps its entries and takes
	 * no more appends, across a restart. */
	assert_int_equal(sp_store_fork_resolve(other, oid, 30, root, &moved), 0);
	assert_int_equal(moved, 0);
	struct sp_buf b;
	make_body(&b, 99);
	assert_int_equal(sp_store_append(other, 1, b.p, b.len, NULL, NULL), SP_ERR_FORK_RESOLVED);
	sp_store_close(other);
	other = open_own(odir, f->sk);
	assert_int_equal(sp_store_log_info(other, oid, &info), 0);
	assert_true(info.res_lost && info.size == 35);
	assert_int_equal(sp_store_append(other, 1, b.p, b.len, NULL, NULL), SP_ERR_FORK_RESOLVED);
	/* ... while the kept branch's own log goes on. */
	assert_int_equal(sp_store_fork_resolve(f->s, own, 30, root, NULL), 0);
	assert_int_equal(sp_store_append(f->s, 1, b.p, b.len, NULL, NULL), 0);
	sp_buf_free(&b);
	sp_buf_free(&note);
	entries_free(&e);
	entries_free(&o);
	entries_free(&e2);
	entries_free(&o2);
	sp_store_close(r);
	sp_store_close(r2);
	sp_store_close(other);
	sp_test_rmtree(rdir);
	sp_test_rmtree(r2dir);
	sp_test_rmtree(odir);
}

/* A node restored from an older copy (here: an empty store with the same
 * key) learns its own checkpoint from a peer, refuses appends until the
 * own entries are back, then continues at the right index: no fork. */
static void test_own_restore(void **state)
{
	struct fixture *f = *state;
	uint32_t own;
	struct entries e;
	own_entries(f, 20, &own, &e);
	assert_int_equal(sp_store_checkpoint_sign(f->s), 0);
	struct sp_buf cp;
	sp_buf_init(&cp);
	assert_int_equal(sp_store_checkpoint(f->s, own, &cp, NULL), 0);
	char dir[600];
	snprintf(dir, sizeof(dir), "%s-restored", f->dir);
	sp_test_rmtree(dir);
	struct sp_store *r = open_own(dir, f->sk);
	struct sp_buf b;
	make_body(&b, 0);
	assert_int_equal(sp_store_own_behind(r, NULL), 0);
	sp_store_own_hold(r, 1);
	assert_int_equal(sp_store_append(r, 1, b.p, b.len, NULL, NULL), SP_ERR_STALE);
	sp_store_own_hold(r, 0);
	/* a tampered checkpoint is refused; the peer's signed one is stored */
	char *bad = malloc(cp.len);
	memcpy(bad, cp.p, cp.len);
	bad[cp.len / 3] ^= 1;
	assert_int_not_equal(sp_store_own_checkpoint_put(r, bad, cp.len), 0);
	free(bad);
	assert_int_equal(sp_store_own_checkpoint_put(r, (const char *)cp.p, cp.len), 0);
	uint64_t cps = 0;
	assert_int_equal(sp_store_own_behind(r, &cps), 1);
	assert_int_equal(cps, 20);
	assert_int_equal(sp_store_append(r, 1, b.p, b.len, NULL, NULL), SP_ERR_STALE);
	/* the entries come back, checked; the root matches at 20 */
	size_t acc = 0;
	assert_int_equal(sp_store_own_insert(r, (const uint8_t *const *)e.p, e.len, 12, &acc), 0);
	assert_int_equal(acc, 12);
	assert_int_equal(sp_store_own_behind(r, NULL), 1);
	assert_int_equal(sp_store_own_insert(r, (const uint8_t *const *)e.p + 12, e.len + 12, 8,
					     &acc), 0);
	assert_int_equal(sp_store_own_behind(r, NULL), 0);
	/* caught up: no more own inserts, appends continue at 20 */
	assert_int_equal(sp_store_own_insert(r, (const uint8_t *const *)e.p, e.len, 1, &acc),
			 SP_ERR_ARG);
	uint64_t idx = 0;
	assert_int_equal(sp_store_append(r, 1, b.p, b.len, &idx, NULL), 0);
	assert_int_equal(idx, 20);
	/* an own checkpoint the log is consistent with: nothing to do */
	assert_int_equal(sp_store_own_checkpoint_put(r, (const char *)cp.p, cp.len), 0);
	sp_buf_free(&b);
	sp_buf_free(&cp);
	sp_store_close(r);
	sp_test_rmtree(dir);
	entries_free(&e);
}

/* forge signs entry `index` of the log after prev_bytes with sk at time t:
 * what a holder of a key could send. Caller frees *out. */
static void forge(const uint8_t *prev_bytes, size_t prev_len, uint64_t index, uint64_t t,
		  const uint8_t sk[64], uint8_t **out, size_t *len)
{
	struct sp_buf b;
	struct sp_entry e = {.version = SP_ENTRY_VERSION, .index = index, .time_ms = t, .type = 1};
	make_body(&b, 1000 + index);
	sp_entry_hash(prev_bytes, prev_len, e.prev);
	e.body = b.p;
	e.body_len = b.len;
	assert_int_equal(sp_entry_sign(&e, sk, out, len), 0);
	sp_buf_free(&b);
}

static int no_fork(void *arg, const struct sp_fork *f)
{
	(void)f;
	(*(int *)arg)++;
	return 0;
}

/* Signing-key rotation (docs/protocol.md §9): the own log switches to a
 * key its history holds; a replica given the history takes entries and
 * checkpoints by either key in order, and refuses (storing nothing, no
 * evidence) an old key's entry or checkpoint after the new key signed,
 * and a new key's entry dated before it was published. The history
 * survives a restart; the node cannot go back to the old key. */
static void test_key_rotation(void **state)
{
	struct fixture *f = *state;
	uint32_t own, rid, tmp;
	size_t acc;
	uint8_t pk1[32], sk1[64], pk2[32], sk2[64];
	sp_test_keypair(9, pk1, sk1);
	sp_test_keypair(10, pk2, sk2);
	assert_int_equal(sp_store_own_log(f->s, &own), 0);
	append_n(f->s, 0, 5);
	assert_int_equal(sp_store_own_rekey(f->s, sk1), SP_ERR_NOT_FOUND); /* not published */
	struct sp_keyhist h, other;
	sp_keyhist_init(&h, f->pk);
	uint64_t from = sp_now_ms() + 50; /* ahead of the clock: the signer waits for it */
	assert_int_equal(sp_keyhist_add(&h, pk1, from), 0);
	sp_keyhist_init(&other, pk2);
	assert_int_equal(sp_store_log_keys(f->s, own, &other), SP_ERR_EXISTS);
	assert_int_equal(sp_store_log_keys(f->s, own, &h), 0);
	assert_int_equal(sp_store_own_rekey(f->s, sk1), 0);
	append_n(f->s, 5, 3);
	assert_int_equal(sp_store_checkpoint_sign(f->s), 0);
	struct entries e;
	entries_load(f->s, own, 8, &e);
	struct sp_entry d;
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(sp_entry_decode(e.p[i], e.len[i], &d), 0);
		assert_memory_equal(d.author, i < 5 ? f->pk : pk1, 32);
		if (i >= 5)
			assert_true(d.time_ms >= from);
	}
	struct sp_log_info info;
	assert_int_equal(sp_store_log_info(f->s, own, &info), 0);
	assert_int_equal(info.keys.n, 2);
	assert_memory_equal(info.pk, pk1, 32);

	/* A replica that knows only the first key stops at the switch. */
	char rdir[600];
	struct sp_store *r = open_replica(f, "rot", rdir, &rid);
	const uint8_t *const *ents = (const uint8_t *const *)e.p;
	assert_int_equal(sp_store_insert(r, rid, ents, e.len, 8, &acc), SP_ERR_WRONG_AUTHOR);
	assert_int_equal(acc, 5);
	assert_int_equal(sp_store_log_add(r, ORIGIN, pk1, &tmp), SP_ERR_EXISTS);
	assert_int_equal(sp_store_log_keys(r, rid, &h), 0);
	assert_int_equal(sp_store_log_add(r, ORIGIN, pk1, &tmp), 0); /* in its history now */
	assert_int_equal(tmp, rid);
	assert_int_equal(sp_store_insert(r, rid, ents + 5, e.len + 5, 3, &acc), 0);
	assert_int_equal(acc, 3);
	struct sp_buf note;
	sp_buf_init(&note);
	assert_int_equal(sp_store_checkpoint(f->s, own, &note, NULL), 0);
	assert_int_equal(sp_store_checkpoint_put(r, rid, (const char *)note.p, note.len), 0);

	/* The old key after the switch: refused, nothing stored, no evidence. */
	uint8_t *bad;
	size_t bad_len;
	forge(e.p[7], e.len[7], 8, sp_now_ms(), f->sk, &bad, &bad_len);
	const uint8_t *one[1] = {bad};
	assert_int_equal(sp_store_insert(r, rid, one, &bad_len, 1, &acc), SP_ERR_WRONG_AUTHOR);
	assert_int_equal(acc, 0);
	free(bad);
	forge(e.p[5], e.len[5], 6, sp_now_ms(), f->sk, &bad, &bad_len); /* at a held index */
	one[0] = bad;
	assert_int_equal(sp_store_insert(r, rid, one, &bad_len, 1, &acc), SP_ERR_WRONG_AUTHOR);
	free(bad);
	/* The new key dated before it was published: refused. */
	forge(e.p[7], e.len[7], 8, from - 1, sk1, &bad, &bad_len);
	one[0] = bad;
	assert_int_equal(sp_store_insert(r, rid, one, &bad_len, 1, &acc), SP_ERR_WRONG_AUTHOR);
	free(bad);
	/* A checkpoint of the new key's entries signed by the old key. */
	struct sp_checkpoint c = {.size = 8};
	snprintf(c.origin, sizeof(c.origin), "%s", ORIGIN);
	assert_int_equal(sp_store_root(r, rid, 8, c.root), 0);
	sp_buf_free(&note);
	sp_buf_init(&note);
	assert_int_equal(sp_checkpoint_sign(&c, f->sk, &note), 0);
	assert_int_equal(sp_store_checkpoint_put(r, rid, (const char *)note.p, note.len),
			 SP_ERR_WRONG_AUTHOR);
	int forks = 0;
	assert_int_equal(sp_store_forks(r, rid, no_fork, &forks), 0);
	assert_int_equal(forks, 0);
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_int_equal(info.size, 8);
	assert_false(info.frozen);

	/* Restarts keep the history; the own log does not go back. */
	sp_store_close(r);
	assert_int_equal(sp_store_open(rdir, NULL, &r), 0);
	assert_int_equal(sp_store_log_info(r, rid, &info), 0);
	assert_int_equal(info.keys.n, 2);
	assert_memory_equal(info.keys.pk[1], pk1, 32);
	assert_int_equal(info.keys.from_ms[1], from);
	assert_int_equal(sp_store_own_rekey(f->s, f->sk), SP_ERR_STALE);
	sp_store_close(f->s);
	struct sp_store_opts o = {.own_origin = ORIGIN, .own_sk = f->sk};
	struct sp_store *old = NULL;
	assert_int_equal(sp_store_open(f->dir, &o, &old), SP_ERR_ARG);
	f->s = open_own(f->dir, sk1);
	append_n(f->s, 8, 1);
	sp_buf_free(&note);
	entries_free(&e);
	sp_store_close(r);
	sp_test_rmtree(rdir);
}

static void test_bad_appends(void **state)
{
	struct fixture *f = *state;
	const uint8_t not_det[] = {0x18, 0x05}; /* non-shortest integer */
	assert_int_equal(sp_store_append(f->s, 1, not_det, sizeof(not_det), NULL, NULL),
			 SP_ERR_CBOR_NONSHORTEST);
	uint8_t *big = calloc(1, 70000);
	assert_int_equal(sp_store_append(f->s, 1, big, 70000, NULL, NULL), SP_ERR_ENTRY_TOO_LARGE);
	free(big);
	uint32_t id;
	struct sp_log_info info;
	assert_int_equal(sp_store_own_log(f->s, &id), 0);
	assert_int_equal(sp_store_log_info(f->s, id, &info), 0);
	assert_int_equal(info.size, 0);
}

/* count_info_logs counts RocksDB's info logs (LOG, LOG.old.*) in dir. */
static int count_info_logs(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += strncmp(e->d_name, "LOG", 3) == 0;
	closedir(d);
	return n;
}

/* Every open rotates RocksDB's info log; restarts must not pile them up. */
static void test_info_logs_bounded(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < SP_STORE_INFO_LOGS + 6; i++) {
		sp_store_close(f->s);
		f->s = open_own(f->dir, f->sk);
	}
	int n = count_info_logs(f->dir);
	assert_true(n >= 1);
	assert_true(n <= SP_STORE_INFO_LOGS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_append_chain_and_proofs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tiles_and_bundles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_and_continue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replica_lazy_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_then_apply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replica_ingest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inconsistent_checkpoint, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_own_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_resolution, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_appends, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_info_logs_bounded, setup, teardown),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_attach.c - attachments: the store's `attachments` family in-process
 * (put, get, idempotence, durability across a reopen, a damaged value
 * found on read, an older store opened read-only, chunked reads and
 * partial attachments for the peer protocol), then a real simpuld
 * (sp_node_harness's federation fixture): upload, reference from a report,
 * fetch back the same bytes; oversize, bad type, wrong content, unknown
 * hash and size mismatch refused with their codes and the log unchanged;
 * a rahasia report's file sealed by the node, which 73.12's seal key opens
 * and whose plaintext is in no file of the data folder and no response.
 */
#define _GNU_SOURCE /* memmem */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include <jansson.h>
#include <rocksdb/c.h>
#include <sodium.h>

#include "sp_api.h"
#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_node_harness.h"
#include "sp_report.h"
#include "sp_store.h"
#include "sp_store_db.h"

#define MARKER "LAMPIRAN-RAHASIA: foto kuitansi pungli loket 3"

/* png makes a small file that starts like a PNG, with text inside. */
static uint8_t *png(const char *text, size_t *len)
{
	static const uint8_t magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	*len = sizeof(magic) + strlen(text) + 64;
	uint8_t *p = malloc(*len);
	assert_non_null(p);
	memcpy(p, magic, sizeof(magic));
	memcpy(p + sizeof(magic), text, strlen(text));
	randombytes_buf(p + sizeof(magic) + strlen(text), 64);
	return p;
}

/* ---- the store ------------------------------------------------------------------ */

static struct sp_store *open_store(const char *dir, int read_only)
{
	struct sp_store *s;
	struct sp_store_opts o = {.verify_threads = 1, .read_only = read_only};
	assert_int_equal(sp_store_open(dir, &o, &s), 0);
	return s;
}

/* A store opened straight through RocksDB, to damage it as a disk would. */
struct raw {
	rocksdb_options_t *o;
	rocksdb_t *db;
	char **names;
	size_t n;
	rocksdb_column_family_handle_t *cf[16];
	rocksdb_readoptions_t *ro;
	rocksdb_writeoptions_t *wo;
};

static void raw_open(struct raw *r, const char *dir)
{
	char *err = NULL;
	r->o = rocksdb_options_create();
	r->names = rocksdb_list_column_families(r->o, dir, &r->n, &err);
	assert_null(err);
	const rocksdb_options_t *cfo[16];
	assert_true(r->n <= 16);
	for (size_t i = 0; i < r->n; i++)
		cfo[i] = r->o;
	r->db = rocksdb_open_column_families(r->o, dir, (int)r->n, (const char *const *)r->names,
					     cfo, r->cf, &err);
	assert_null(err);
	r->ro = rocksdb_readoptions_create();
	r->wo = rocksdb_writeoptions_create();
}

/* raw_cf: the handle of family name. */
static rocksdb_column_family_handle_t *raw_cf(struct raw *r, const char *name)
{
	size_t at = 0;
	while (at < r->n && strcmp(r->names[at], name) != 0)
		at++;
	assert_true(at < r->n);
	return r->cf[at];
}

static void raw_close(struct raw *r)
{
	for (size_t i = 0; i < r->n; i++)
		rocksdb_column_family_handle_destroy(r->cf[i]);
	rocksdb_close(r->db);
	rocksdb_list_column_families_destroy(r->names, r->n);
	rocksdb_readoptions_destroy(r->ro);
	rocksdb_writeoptions_destroy(r->wo);
	rocksdb_options_destroy(r->o);
}

/* damage rewrites the stored value of key with its last byte flipped, or,
 * with header set, with an impossible header, straight through RocksDB. */
static void damage(const char *dir, const uint8_t key[32], int header)
{
	struct raw r;
	raw_open(&r, dir);
	rocksdb_column_family_handle_t *cf = raw_cf(&r, "attachments");
	char *err = NULL;
	size_t vlen;
	char *v = rocksdb_get_cf(r.db, r.ro, cf, (const char *)key, 32, &vlen, &err);
	assert_non_null(v);
	if (header)
		v[1] = 0; /* no media type */
	else
		v[vlen - 1] ^= 1;
	rocksdb_put_cf(r.db, r.wo, cf, (const char *)key, 32, v, vlen, &err);
	assert_null(err);
	rocksdb_free(v);
	raw_close(&r);
}

static void test_store(void **state)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", sp_test_tmpdir("attach_store"));
	struct sp_store *s = open_store(dir, 0);
	size_t len;
	uint8_t *f = png("foto jalan", &len), h[32];
	crypto_hash_sha256(h, f, len);
	struct sp_attach_info info;
	int created = -1;
	assert_int_equal(sp_store_attach_put(s, f, len, "image/png", 0, &info, &created), 0);
	assert_int_equal(created, 1);
	assert_memory_equal(info.sha256, h, 32);
	assert_int_equal(info.size, len);
	assert_string_equal(info.media_type, "image/png");
	/* the same bytes again: stored once, the first description kept */
	assert_int_equal(sp_store_attach_put(s, f, len, "image/jpeg", 0, &info, &created), 0);
	assert_int_equal(created, 0);
	assert_string_equal(info.media_type, "image/png");
	assert_int_equal(sp_store_attach_put(s, f, 0, "image/png", 0, NULL, NULL), SP_ERR_RANGE);
	assert_int_equal(sp_store_attach_put(s, f, SP_ATTACH_MAX_BYTES + 1, "image/png", 0, NULL,
					     NULL),
			 SP_ERR_RANGE);
	assert_int_equal(sp_store_attach_put(s, f, len, "", 0, NULL, NULL), SP_ERR_ARG);
	uint8_t none[32] = {0};
	assert_int_equal(sp_store_attach_get(s, none, &info, NULL), SP_ERR_NOT_FOUND);
	sp_store_close(s);

	/* durable across a reopen, read-only too */
	struct sp_buf b;
	sp_buf_init(&b);
	s = open_store(dir, 1);
	assert_int_equal(sp_store_attach_get(s, h, &info, &b), 0);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.p, f, len);
	assert_int_equal(info.flags, 0);
	sp_store_close(s);

	/* a damaged value is found when the bytes are read */
	damage(dir, h, 0);
	s = open_store(dir, 0);
	b.len = 0;
	assert_int_equal(sp_store_attach_get(s, h, &info, &b), SP_ERR_CORRUPT);
	assert_int_equal(sp_store_attach_get(s, h, &info, NULL), 0); /* not hashed */
	sp_store_close(s);
	damage(dir, h, 1);
	s = open_store(dir, 0);
	assert_int_equal(sp_store_attach_get(s, h, &info, NULL), SP_ERR_CORRUPT);
	sp_store_close(s);
	sp_buf_free(&b);
	free(f);
}

/* Chunked reads for serving peers, and partial attachments (a transfer
 * from a peer): chunks chained from 0, kept across a reopen, then the
 * whole stored and the chunks deleted in one write; or dropped. */
static void test_store_chunks(void **state)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", sp_test_tmpdir("attach_chunks"));
	struct sp_store *s = open_store(dir, 0);
	size_t n = 150000;
	uint8_t *f = malloc(n), h[32];
	assert_non_null(f);
	randombytes_buf(f, n);
	crypto_hash_sha256(h, f, n);
	struct sp_attach_info info;
	struct sp_buf b;
	sp_buf_init(&b);

	/* nothing held: no chunks */
	uint64_t held = 7;
	assert_int_equal(sp_store_attach_part_read(s, h, n, &held, &b), 0);
	assert_int_equal(held, 0);
	assert_int_equal(sp_store_attach_read(s, h, 0, 65536, &info, &b), SP_ERR_NOT_FOUND);

	/* two chunks, a reopen, the third */
	assert_int_equal(sp_store_attach_part_put(s, h, 0, f, 65536), 0);
	assert_int_equal(sp_store_attach_part_put(s, h, 65536, f + 65536, 65536), 0);
	assert_int_equal(sp_store_attach_part_put(s, h, 0, f, 0), SP_ERR_ARG);
	assert_int_equal(sp_store_attach_part_put(s, h, SP_ATTACH_MAX_BYTES, f, 1), SP_ERR_RANGE);
	sp_store_close(s);
	s = open_store(dir, 0);
	assert_int_equal(sp_store_attach_part_read(s, h, n, &held, NULL), 0);
	assert_int_equal(held, 131072);
	assert_int_equal(sp_store_attach_part_put(s, h, 131072, f + 131072, n - 131072), 0);
	assert_int_equal(sp_store_attach_part_read(s, h, n, &held, &b), 0);
	assert_int_equal(held, n);
	assert_memory_equal(b.p, f, n);
	/* a chunk past `max` is not counted */
	assert_int_equal(sp_store_attach_part_read(s, h, n - 1, &held, NULL), 0);
	assert_int_equal(held, 131072);

	/* the whole kept, the chunks gone, in one write */
	assert_int_equal(sp_store_attach_part_done(s, h, b.p, b.len, "application/pdf", 0), 0);
	assert_int_equal(sp_store_attach_part_read(s, h, n, &held, NULL), 0);
	assert_int_equal(held, 0);
	b.len = 0;
	assert_int_equal(sp_store_attach_get(s, h, &info, &b), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.p, f, n);
	assert_string_equal(info.media_type, "application/pdf");

	/* served in chunks: the last one short, past the end refused */
	b.len = 0;
	assert_int_equal(sp_store_attach_read(s, h, 0, 65536, &info, &b), 0);
	assert_int_equal(b.len, 65536);
	assert_memory_equal(b.p, f, 65536);
	b.len = 0;
	assert_int_equal(sp_store_attach_read(s, h, 131072, 65536, &info, &b), 0);
	assert_int_equal(b.len, n - 131072);
	assert_memory_equal(b.p, f + 131072, n - 131072);
	assert_int_equal(info.size, n);
	assert_int_equal(sp_store_attach_read(s, h, n, 65536, &info, &b), SP_ERR_RANGE);

	/* a transfer given up: its chunks dropped, nothing stored */
	uint8_t h2[32];
	memset(h2, 0xab, sizeof(h2));
	assert_int_equal(sp_store_attach_part_put(s, h2, 0, f, 1000), 0);
	assert_int_equal(sp_store_attach_part_done(s, h2, NULL, 0, NULL, 0), 0);
	assert_int_equal(sp_store_attach_part_read(s, h2, n, &held, NULL), 0);
	assert_int_equal(held, 0);
	assert_int_equal(sp_store_attach_get(s, h2, &info, NULL), SP_ERR_NOT_FOUND);
	sp_store_close(s);

	/* a damaged file is not served from its start */
	damage(dir, h, 0);
	s = open_store(dir, 0);
	b.len = 0;
	assert_int_equal(sp_store_attach_read(s, h, 0, 65536, &info, &b), SP_ERR_CORRUPT);
	sp_store_close(s);
	sp_buf_free(&b);
	free(f);
}

/* A store made before the family existed still opens read-only. */
static void test_store_without_family(void **state)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", sp_test_tmpdir("attach_old"));
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_options_set_create_missing_column_families(o, 1);
	const char *names[] = {"default", "logs", "entries", "tiles", "checkpoints", "forks"};
	const rocksdb_options_t *cfo[6] = {o, o, o, o, o, o};
	rocksdb_column_family_handle_t *cf[6];
	char *err = NULL;
	rocksdb_t *db = rocksdb_open_column_families(o, dir, 6, names, cfo, cf, &err);
	assert_null(err);
	for (int i = 0; i < 6; i++)
		rocksdb_column_family_handle_destroy(cf[i]);
	rocksdb_close(db);
	rocksdb_options_destroy(o);
	struct sp_store *s = open_store(dir, 1);
	uint8_t h[32] = {1};
	assert_int_equal(sp_store_attach_get(s, h, NULL, NULL), SP_ERR_NOT_FOUND);
	sp_store_close(s);
	s = open_store(dir, 0); /* a writable open adds it */
	assert_int_equal(sp_store_attach_put(s, h, 32, "text/plain", 0, NULL, NULL), 0);
	sp_store_close(s);
}

/* ---- a node ---------------------------------------------------------------------- */

static struct sp_h_fed g_f;

static int node_setup(void **state)
{
	sp_h_fed_init(&g_f, "attach");
	sp_h_fed_start(&g_f);
	return 0;
}

static int node_teardown(void **state)
{
	sp_h_fed_free(&g_f);
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL)
		fail_msg("no string '%s'", key);
	return s;
}

static json_t *upload(const void *p, size_t len, const char *type, int want)
{
	return sp_h_call(&g_f, "POST", "/v1/attachments", type, p, len, want);
}

/* report_json: a publik report with one attachment reference. */
static char *report_json(const char *sha, json_int_t size, const char *type)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:I,s:s}]}", "kind", "pengaduan",
			      "visibility", "publik", "category", "jalan", "region", "73.12.03",
			      "title", "Jalan rusak", "content", "Lihat foto", "attachments",
			      "sha256", sha, "size", size, "media_type", type);
	char *s = json_dumps(o, 0);
	json_decref(o);
	return s;
}

/* refused: a submission refused with code, and the log did not grow. */
static void refused(const char *body, int status, const char *code)
{
	long long before = sp_h_own_size(&g_f);
	sp_h_call_err(&g_f, "POST", "/v1/reports", "application/json", body, strlen(body), status,
		      code);
	assert_int_equal(sp_h_own_size(&g_f), before);
}

static void test_upload_and_reference(void **state)
{
	size_t len;
	uint8_t *f = png("foto lubang di jalan poros", &len), h[32];
	char hex[65], path[128];
	crypto_hash_sha256(h, f, len);
	sodium_bin2hex(hex, sizeof(hex), h, 32);
	json_t *j = upload(f, len, "image/png", 201);
	assert_string_equal(jstr(j, "sha256"), hex);
	assert_int_equal(json_integer_value(json_object_get(j, "size")), len);
	assert_string_equal(jstr(j, "media_type"), "image/png");
	json_decref(j);
	json_decref(upload(f, len, "IMAGE/PNG; x=1", 200)); /* stored once */

	snprintf(path, sizeof(path), "/v1/attachments/%s", hex);
	struct sp_h_resp r;
	char v[128];
	assert_int_equal(sp_h_http(g_f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, len);
	assert_memory_equal(r.body, f, len);
	assert_string_equal(sp_h_header(&r, "Content-Type", v, sizeof(v)), "image/png");
	assert_non_null(strstr(sp_h_header(&r, "Cache-Control", v, sizeof(v)), "immutable"));
	sp_h_resp_free(&r);

	char *body = report_json(hex, (json_int_t)len, "image/png");
	j = sp_h_call(&g_f, "POST", "/v1/reports", "application/json", body, strlen(body), 201);
	snprintf(path, sizeof(path), "/v1/reports/%s", jstr(j, "report_id"));
	json_decref(j);
	free(body);
	j = sp_h_call(&g_f, "GET", path, NULL, NULL, 0, 200);
	json_t *a = json_array_get(json_object_get(j, "attachments"), 0);
	assert_string_equal(jstr(a, "sha256"), hex);
	assert_int_equal(json_integer_value(json_object_get(a, "size")), len);
	json_decref(j);

	/* references that do not match what is held */
	body = report_json(hex, (json_int_t)len + 1, "image/png");
	refused(body, 400, "SP_ERR_HASH_MISMATCH");
	free(body);
	body = report_json(hex, (json_int_t)len, "image/jpeg");
	refused(body, 400, "SP_ERR_HASH_MISMATCH");
	free(body);
	h[0] ^= 1;
	sodium_bin2hex(hex, sizeof(hex), h, 32);
	body = report_json(hex, (json_int_t)len, "image/png");
	refused(body, 404, "SP_ERR_NOT_FOUND");
	free(body);
	free(f);
}

static void test_refused_uploads(void **state)
{
	long long before = sp_h_own_size(&g_f);
	size_t len;
	uint8_t *f = png("x", &len);
	sp_h_call_err(&g_f, "POST", "/v1/attachments", "text/html", f, len, 415,
		      "SP_ERR_HTTP_BAD_REQUEST");
	sp_h_call_err(&g_f, "POST", "/v1/attachments", NULL, f, len, 415,
		      "SP_ERR_HTTP_BAD_REQUEST");
	sp_h_call_err(&g_f, "POST", "/v1/attachments", "image/jpeg", f, len, 400,
		      "SP_ERR_HTTP_BAD_REQUEST"); /* a PNG is not a JPEG */
	sp_h_call_err(&g_f, "POST", "/v1/attachments", "image/png", "", 0, 400,
		      "SP_ERR_HTTP_BAD_REQUEST");
	uint8_t *big = calloc(1, 70000); /* over this node's max_body_bytes (64 KiB) */
	memcpy(big, f, 8);
	sp_h_call_err(&g_f, "POST", "/v1/attachments", "image/png", big, 70000, 413,
		      "SP_ERR_HTTP_TOO_LARGE");
	sp_h_call_err(&g_f, "GET", "/v1/attachments/zz", NULL, NULL, 0, 400,
		      "SP_ERR_HTTP_BAD_REQUEST");
	sp_h_call_err(&g_f, "GET",
		      "/v1/attachments/0000000000000000000000000000000000000000000000000000000000000000",
		      NULL, NULL, 0, 404, "SP_ERR_NOT_FOUND");
	assert_int_equal(sp_h_own_size(&g_f), before);
	free(big);
	free(f);
}

/* ---- rahasia ------------------------------------------------------------------------ */

/* open_blob opens a sealed file of report j with 73.12's seal key. */
static void open_blob(json_t *report, const uint8_t *blob, size_t len, const char *type,
		      const uint8_t *want, size_t want_len)
{
	char seal[4200 + 32];
	uint8_t pk[32], sk[32], key[32], *plain;
	size_t plain_len;
	snprintf(seal, sizeof(seal), "%s/keys/73.12.seal", g_f.fed);
	assert_int_equal(sp_sealfile_load(seal, pk, sk, NULL, 0), 0);
	/* the report's envelope: its entry, from the log's tiles */
	json_int_t index = json_integer_value(json_object_get(report, "index"));
	struct sp_h_resp r;
	char path[64];
	snprintf(path, sizeof(path), "/logs/73.12/tile/entries/000.p/%d",
		 (int)sp_h_own_size(&g_f));
	assert_int_equal(sp_h_http(g_f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	size_t pos = 0;
	for (json_int_t i = 0; i < index; i++)
		pos += 2 + ((size_t)(uint8_t)r.body[pos] << 8 | (uint8_t)r.body[pos + 1]);
	struct sp_entry e;
	struct sp_report rep;
	size_t n = (size_t)(uint8_t)r.body[pos] << 8 | (uint8_t)r.body[pos + 1];
	assert_int_equal(sp_entry_decode((uint8_t *)r.body + pos + 2, n, &e), 0);
	assert_int_equal(sp_report_parse(e.body, e.body_len, &rep), 0);
	assert_int_equal(sp_report_open_key(rep.sealed.keys, rep.sealed.n_keys, "73.12", pk, sk,
					    key),
			 0);
	assert_int_equal(sp_report_open_blob(key, type, blob, len, &plain, &plain_len), 0);
	assert_int_equal(plain_len, want_len);
	assert_memory_equal(plain, want, want_len);
	free(plain);
	key[0] ^= 1;
	assert_int_equal(sp_report_open_blob(key, type, blob, len, &plain, &plain_len),
			 SP_ERR_SEALED);
	sp_h_resp_free(&r);
}

static void test_rahasia(void **state)
{
	size_t len;
	uint8_t *f = png(MARKER, &len);
	char b64[4096], path[128];
	sodium_bin2base64(b64, sizeof(b64), f, len, sodium_base64_VARIANT_ORIGINAL);
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}", "kind", "pengaduan",
			      "visibility", "rahasia", "category", "pelayanan-publik", "region",
			      "73.12.01", "title", "Pungli", "content", "Lihat lampiran",
			      "attachments", "media_type", "image/png", "data", b64);
	char *body = json_dumps(o, 0);
	/* a reference form, or a bad file, is refused before anything is stored */
	json_t *bad = json_deep_copy(o);
	json_object_set_new(json_array_get(json_object_get(bad, "attachments"), 0), "data",
			    json_string("!!"));
	char *bad_body = json_dumps(bad, 0);
	refused(bad_body, 400, "SP_ERR_HTTP_BAD_REQUEST");
	free(bad_body);
	json_decref(bad);

	json_t *j = sp_h_call(&g_f, "POST", "/v1/reports", "application/json", body, strlen(body),
			      201);
	snprintf(path, sizeof(path), "/v1/reports/%s", jstr(j, "report_id"));
	json_decref(j);
	json_t *rep = sp_h_call(&g_f, "GET", path, NULL, NULL, 0, 200);
	json_t *a = json_array_get(json_object_get(rep, "attachments"), 0);
	assert_string_equal(jstr(a, "media_type"), "image/png");
	json_int_t size = json_integer_value(json_object_get(a, "size"));
	assert_int_equal(size, len + 24 + 16); /* nonce and tag */

	/* the public copy is ciphertext */
	struct sp_h_resp r;
	char v[128];
	snprintf(path, sizeof(path), "/v1/attachments/%s", jstr(a, "sha256"));
	assert_int_equal(sp_h_http(g_f.addr, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, size);
	assert_string_equal(sp_h_header(&r, "Content-Type", v, sizeof(v)),
			    "application/octet-stream");
	assert_null(memmem(r.body, r.len, MARKER, strlen(MARKER)));
	/* and a referencing publik report may not borrow it */
	char *steal = report_json(jstr(a, "sha256"), size, "image/png");
	refused(steal, 403, "SP_ERR_SEALED");
	free(steal);
	open_blob(rep, (uint8_t *)r.body, r.len, "image/png", f, len);
	sp_h_resp_free(&r);
	json_decref(rep);

	/* the plaintext is nowhere: data folder, node output, responses */
	sp_h_fed_stop(&g_f);
	const struct sp_h_needle marker[] = {SP_H_LIT(MARKER)};
	char found_in[PATH_MAX];
	assert_int_equal(sp_h_find_in_tree(g_f.data, marker, 1, found_in, sizeof(found_in)), 0);
	assert_int_equal(sp_h_find_in_tree(g_f.log, marker, 1, found_in, sizeof(found_in)), 0);
	char *all = json_dumps(g_f.bodies, 0);
	assert_null(strstr(all, MARKER));
	free(all);
	sp_h_fed_start(&g_f);
	free(body);
	json_decref(o);
	free(f);
}

/* ---- the start scan's marks ------------------------------------------------------- */

/* start_scan starts the node and reads its start scan's line: entries
 * read, and entries skipped by the marks. */
static void start_scan(long long *read, long long *skipped)
{
	struct sp_h_scan sc;
	int before = sp_h_attach_scan(g_f.log, &sc);
	sp_h_fed_start(&g_f);
	sp_h_attach_scan_wait(g_f.log, before, &sc, 30000);
	*read = sc.entries;
	*skipped = sc.skipped;
}

static void restart_scan(long long *read, long long *skipped)
{
	sp_h_fed_stop(&g_f);
	start_scan(read, skipped);
}

/* damage_marks damages every start-scan mark in the store of the node's
 * data folder (stopped): the first's size is changed, the others'
 * values cut short. Returns how many. */
static int damage_marks(void)
{
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/store", g_f.data);
	struct raw r;
	raw_open(&r, dir);
	rocksdb_column_family_handle_t *cf = raw_cf(&r, "default");
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(r.db, r.ro, cf);
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	int n = 0;
	for (rocksdb_iter_seek(it, "attscan/", 8); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kn, vn;
		const char *k = rocksdb_iter_key(it, &kn), *v = rocksdb_iter_value(it, &vn);
		if (kn < 8 || memcmp(k, "attscan/", 8) != 0)
			break;
		char bad[40];
		assert_int_equal(vn, sizeof(bad));
		memcpy(bad, v, sizeof(bad));
		bad[7] ^= 1; /* the size: one entry more or less */
		rocksdb_writebatch_put_cf(wb, cf, k, kn, bad, n == 0 ? sizeof(bad) : 7);
		n++;
	}
	char *err = NULL;
	rocksdb_write(r.db, r.wo, wb, &err);
	assert_null(err);
	rocksdb_writebatch_destroy(wb);
	rocksdb_iter_destroy(it);
	raw_close(&r);
	return n;
}

static void test_start_scan_marks(void **state)
{
	(void)state;
	long long read, skipped, total;
	restart_scan(&read, &skipped); /* the logs as the tests above left them */
	total = read + skipped;
	assert_true(total >= 1);
	restart_scan(&read, &skipped); /* nothing new: nothing read */
	assert_int_equal(read, 0);
	assert_int_equal(skipped, total);

	/* entries appended after the scan are read at the next start, only they */
	long long size = sp_h_own_size(&g_f);
	size_t len;
	uint8_t *f = png("foto trotoar", &len), h[32];
	char hex[65];
	crypto_hash_sha256(h, f, len);
	sodium_bin2hex(hex, sizeof(hex), h, 32);
	json_decref(upload(f, len, "image/png", 201));
	char *body = report_json(hex, (json_int_t)len, "image/png");
	json_decref(sp_h_call(&g_f, "POST", "/v1/reports", "application/json", body, strlen(body),
			      201));
	long long added = sp_h_own_size(&g_f) - size;
	assert_true(added >= 1);
	restart_scan(&read, &skipped);
	assert_int_equal(read, added);
	assert_int_equal(skipped, total);
	total += added;

	/* damaged marks: said, and their logs read from 0; then marked again */
	sp_h_fed_stop(&g_f);
	int n = damage_marks();
	assert_true(n >= 2);
	start_scan(&read, &skipped);
	assert_int_equal(read, total);
	assert_int_equal(skipped, 0);
	assert_int_equal(sp_h_wait_text(g_f.log, "does not match the log (damaged, or a fork "
					"resolved): reading it from 0", 0), 0);
	assert_int_equal(sp_h_wait_text(g_f.log, "is damaged (SP_ERR_CORRUPT): reading it from 0",
					0), 0);
	restart_scan(&read, &skipped);
	assert_int_equal(read, 0);
	assert_int_equal(skipped, total);
	free(body);
	free(f);
}

int main(void)
{
	const struct CMUnitTest store[] = {
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_store_without_family),
		cmocka_unit_test(test_store_chunks),
	};
	const struct CMUnitTest node[] = {
		cmocka_unit_test(test_upload_and_reference),
		cmocka_unit_test(test_refused_uploads),
		cmocka_unit_test(test_rahasia),
		cmocka_unit_test(test_start_scan_marks),
	};
	int rc = cmocka_run_group_tests(store, NULL, NULL);
	return sp_test_finish(rc | cmocka_run_group_tests(node, node_setup, node_teardown));
}

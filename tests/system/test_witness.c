/*
 * test_witness.c - the node as a C2SP tlog witness (sp_witness.c,
 * sp_api_witness.c): the state machine on a store (first checkpoint, growth
 * with a proof, stale old size, bad proof, bad signature, unknown origin,
 * malformed requests, an inconsistent checkpoint never cosigned, the state
 * across a reopen), then a real simpuld of a province-73 federation
 * answering POST /witness/add-checkpoint for the log of 73 (its key is in
 * the directory) with each status code, and cosignatures that verify
 * against the vkey GET /v1/witness gives.
 *
 * Checkpoints are of synthetic trees: leaf i of tree `salt` is the leaf
 * hash of (salt, i); a different salt is a forked log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_node_harness.h"
#include "sp_note.h"
#include "sp_store.h"
#include "sp_testutil.h"
#include "sp_witness.h"

#define LOG_ORIGIN "test.example/log"
#define WIT_NAME "witness.example/w1"
#define NOW 1760000000u

/* ---- synthetic trees and requests ---------------------------------------------- */

static int tree_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	uint8_t salt = *(const uint8_t *)ctx;
	if (level == 0) {
		uint8_t d[9] = {salt};
		for (int i = 0; i < 8; i++)
			d[1 + i] = (uint8_t)(index >> (8 * i));
		sp_merkle_leaf_hash(d, sizeof(d), out);
		return 0;
	}
	uint8_t l[32], r[32];
	tree_node(ctx, level - 1, 2 * index, l);
	tree_node(ctx, level - 1, 2 * index + 1, r);
	sp_merkle_node_hash(l, r, out);
	return 0;
}

static void signed_cp(const char *origin, uint8_t salt, uint64_t size, const uint8_t sk[64],
		      struct sp_buf *out)
{
	struct sp_checkpoint c = {.size = size};
	snprintf(c.origin, sizeof(c.origin), "%s", origin);
	assert_int_equal(sp_merkle_root(tree_node, &salt, size, c.root), 0);
	assert_int_equal(sp_checkpoint_sign(&c, sk, out), 0);
}

/* request builds an add-checkpoint body: old size, the proof from old to
 * size of tree proof_salt, and a checkpoint of tree salt signed by sk. */
static void request(struct sp_buf *b, const char *origin, uint64_t old, uint8_t proof_salt,
		    uint8_t salt, uint64_t size, const uint8_t sk[64])
{
	char line[64];
	snprintf(line, sizeof(line), "old %llu\n", (unsigned long long)old);
	sp_buf_init(b);
	sp_buf_put(b, line, strlen(line));
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	size_t n = 0;
	if (old > 0 && old <= size)
		assert_int_equal(sp_merkle_consistency_proof(tree_node, &proof_salt, old, size,
							     proof, &n), 0);
	for (size_t i = 0; i < n; i++) {
		sodium_bin2base64(line, sizeof(line), proof[i], 32, sodium_base64_VARIANT_ORIGINAL);
		sp_buf_put(b, line, strlen(line));
		sp_buf_put(b, "\n", 1);
	}
	sp_buf_put(b, "\n", 1);
	signed_cp(origin, salt, size, sk, b);
	assert_int_equal(b->err, 0);
}

/* cosig_ok: the line cosigns the request's checkpoint by witness vkey. */
static void cosig_ok(const struct sp_buf *req, const char *line, size_t len, const char *vkey)
{
	const char *cp = strstr((const char *)req->p, "\n\n") + 2;
	struct sp_buf note;
	sp_buf_init(&note);
	sp_buf_put(&note, cp, req->len - (size_t)(cp - (const char *)req->p));
	sp_buf_put(&note, line, len);
	struct sp_note_key k;
	uint64_t t = 0;
	assert_int_equal(sp_note_vkey_parse(vkey, &k), 0);
	assert_int_equal(k.type, SP_NOTE_TYPE_COSIG);
	assert_int_equal(sp_cosig_verify((const char *)note.p, note.len, &k, &t), 0);
	assert_true(t > 0);
	sp_buf_free(&note);
}

/* ---- the state machine on a store -------------------------------------------- */

struct wfix {
	char path[512];
	struct sp_store *s;
	struct sp_witness *w;
	uint8_t log_pk[32], log_sk[64], wit_pk[32], wit_sk[64];
};

static void wfix_open(struct wfix *f)
{
	struct sp_store_opts so = {0};
	assert_int_equal(sp_store_open(f->path, &so, &f->s), 0);
	uint32_t id;
	assert_int_equal(sp_store_log_add(f->s, LOG_ORIGIN, f->log_pk, &id), 0);
	struct sp_witness_opts o = {.store = f->s, .name = WIT_NAME, .sk = f->wit_sk};
	assert_int_equal(sp_witness_new(&o, &f->w), 0);
}

static void wfix_close(struct wfix *f)
{
	sp_witness_free(f->w);
	sp_store_close(f->s);
}

/* add sends one request; returns the sp_witness_add_checkpoint code. */
static int add(struct wfix *f, uint64_t old, uint8_t proof_salt, uint8_t salt, uint64_t size,
	       const uint8_t sk[64], uint64_t *known)
{
	struct sp_buf req, out;
	request(&req, LOG_ORIGIN, old, proof_salt, salt, size, sk);
	sp_buf_init(&out);
	int rc = sp_witness_add_checkpoint(f->w, (const char *)req.p, req.len, NOW, &out, known);
	char vkey[SP_WITNESS_VKEY_MAX];
	sp_witness_vkey(f->w, vkey);
	if (rc == 0)
		cosig_ok(&req, (const char *)out.p, out.len, vkey);
	else
		assert_int_equal(out.len, 0);
	sp_buf_free(&req);
	sp_buf_free(&out);
	return rc;
}

static void raw(struct wfix *f, const char *body, size_t len, int want)
{
	struct sp_buf out;
	uint64_t known;
	sp_buf_init(&out);
	assert_int_equal(sp_witness_add_checkpoint(f->w, body, len, NOW, &out, &known),
			 want);
	sp_buf_free(&out);
}

static void test_state_machine(void **state)
{
	(void)state;
	struct wfix f;
	snprintf(f.path, sizeof(f.path), "%s/store", sp_test_tmpdir("witness_sm"));
	sp_test_keypair(1, f.log_pk, f.log_sk);
	sp_test_keypair(2, f.wit_pk, f.wit_sk);
	wfix_open(&f);
	uint64_t known = 99;
	uint8_t other_pk[32], other_sk[64];
	sp_test_keypair(3, other_pk, other_sk);

	assert_int_equal(add(&f, 0, 1, 1, 5, f.log_sk, &known), 0);        /* first */
	assert_int_equal(add(&f, 5, 1, 1, 9, f.log_sk, &known), 0);        /* growth */
	assert_int_equal(add(&f, 5, 1, 1, 12, f.log_sk, &known), SP_ERR_STALE);
	assert_int_equal(known, 9);                                        /* 409 body */
	assert_int_equal(add(&f, 0, 1, 1, 12, f.log_sk, &known), SP_ERR_STALE);
	assert_int_equal(known, 9);
	assert_int_equal(add(&f, 9, 2, 1, 12, f.log_sk, &known), SP_ERR_PROOF); /* bad proof */
	assert_int_equal(add(&f, 9, 1, 1, 12, other_sk, &known), SP_ERR_BAD_SIGNATURE);
	/* A forked tree, with its own valid-looking proof: never cosigned. */
	assert_int_equal(add(&f, 9, 2, 2, 12, f.log_sk, &known), SP_ERR_PROOF);
	assert_int_equal(add(&f, 9, 2, 2, 9, f.log_sk, &known), SP_ERR_STALE); /* same size */
	assert_int_equal(known, 9);
	assert_int_equal(add(&f, 12, 1, 1, 9, f.log_sk, &known), SP_ERR_NOTE_FORMAT);
	assert_int_equal(add(&f, 9, 1, 1, 9, f.log_sk, &known), 0);        /* same again */

	/* Malformed bodies and an unknown origin. */
	struct sp_buf req;
	request(&req, "test.example/unknown", 0, 1, 1, 3, f.log_sk);
	raw(&f, (const char *)req.p, req.len, SP_ERR_NOT_FOUND);
	sp_buf_free(&req);
	request(&req, LOG_ORIGIN, 0, 1, 1, 3, f.log_sk);
	raw(&f, (const char *)req.p + 1, req.len - 1, SP_ERR_NOTE_FORMAT); /* "ld 0" */
	raw(&f, "old 09\n\nx\n", 10, SP_ERR_NOTE_FORMAT);
	raw(&f, "old 9\nnot base64\n\n", 18, SP_ERR_NOTE_FORMAT);
	raw(&f, "", 0, SP_ERR_NOTE_FORMAT);
	sp_buf_free(&req);

	uint64_t size;
	uint8_t root[32];
	assert_int_equal(sp_store_witness_get(f.s, LOG_ORIGIN, &size, root, NULL), 0);
	assert_int_equal(size, 9);

	/* The state survives a reopen. */
	wfix_close(&f);
	wfix_open(&f);
	assert_int_equal(add(&f, 0, 1, 1, 12, f.log_sk, &known), SP_ERR_STALE);
	assert_int_equal(known, 9);
	assert_int_equal(add(&f, 9, 1, 1, 12, f.log_sk, &known), 0);
	wfix_close(&f);
}

static void test_store_cas(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/store", sp_test_tmpdir("witness_cas"));
	struct sp_store *s;
	struct sp_store_opts so = {0};
	assert_int_equal(sp_store_open(path, &so, &s), 0);
	uint8_t r1[32] = {1}, r2[32] = {2}, got[32];
	uint64_t size = 7;
	assert_int_equal(sp_store_witness_get(s, "a/b", &size, got, NULL), SP_ERR_NOT_FOUND);
	assert_int_equal(size, 0);
	assert_int_equal(sp_store_witness_set(s, "a/b", 0, r1, 4, r1, "n1", 2), 0);
	assert_int_equal(sp_store_witness_set(s, "a/b", 0, r1, 5, r2, "n2", 2), SP_ERR_STALE);
	assert_int_equal(sp_store_witness_set(s, "a/b", 4, r2, 5, r2, "n2", 2), SP_ERR_STALE);
	assert_int_equal(sp_store_witness_set(s, "a/b", 4, r1, 5, r2, "n2", 2), 0);
	struct sp_buf note;
	sp_buf_init(&note);
	assert_int_equal(sp_store_witness_get(s, "a/b", &size, got, &note), 0);
	assert_int_equal(size, 5);
	assert_memory_equal(got, r2, 32);
	assert_int_equal(note.len, 2);
	assert_memory_equal(note.p, "n2", 2);
	sp_buf_free(&note);
	sp_store_close(s);
}

/* ---- a real simpuld ------------------------------------------------------------ */

static void post(struct sp_h_fed *f, const struct sp_buf *body, int want, struct sp_h_resp *r)
{
	assert_int_equal(sp_h_http(f->addr, "POST", "/witness/add-checkpoint", NULL, body->p,
				   body->len, r), 0);
	if (r->status != want)
		fprintf(stderr, "status %d body %s\n", r->status, r->body);
	assert_int_equal(r->status, want);
}

static void expect_409(struct sp_h_fed *f, const struct sp_buf *body, const char *size)
{
	struct sp_h_resp r;
	char type[64];
	post(f, body, 409, &r);
	assert_non_null(sp_h_header(&r, "Content-Type", type, sizeof(type)));
	assert_string_equal(type, "text/x.tlog.size");
	assert_string_equal(r.body, size);
	sp_h_resp_free(&r);
}

static void expect(struct sp_h_fed *f, const struct sp_buf *body, int want, const char *vkey)
{
	struct sp_h_resp r;
	post(f, body, want, &r);
	if (want == 200) {
		assert_int_equal(strncmp(r.body, "\xe2\x80\x94 ", 4), 0);
		cosig_ok(body, r.body, r.len, vkey);
	}
	sp_h_resp_free(&r);
}

static void test_node(void **state)
{
	(void)state;
	struct sp_h_fed f;
	sp_h_fed_init(&f, "witness_node");
	sp_h_fed_start(&f);
	json_t *w = sp_h_call(&f, "GET", "/v1/witness", NULL, NULL, 0, 200);
	char vkey[512];
	snprintf(vkey, sizeof(vkey), "%s", json_string_value(json_object_get(w, "vkey")));
	assert_string_equal(json_string_value(json_object_get(w, "name")), "simpul.local/73.12");
	json_decref(w);

	char path[PATH_MAX + 64];
	uint8_t pk[32], sk[64], bad_pk[32], bad_sk[64];
	snprintf(path, sizeof(path), "%s/keys/73.key", f.fed);
	assert_int_equal(sp_keyfile_load(path, pk, sk, NULL, 0), 0);
	sp_test_keypair(9, bad_pk, bad_sk);
	const char *o = "simpul.local/73";
	struct sp_buf b;

	request(&b, o, 0, 1, 1, 3, sk), expect(&f, &b, 200, vkey), sp_buf_free(&b);
	request(&b, o, 3, 1, 1, 7, sk), expect(&f, &b, 200, vkey), sp_buf_free(&b);
	request(&b, o, 3, 1, 1, 9, sk), expect_409(&f, &b, "7\n"), sp_buf_free(&b);
	request(&b, o, 7, 2, 1, 9, sk), expect(&f, &b, 422, vkey), sp_buf_free(&b);
	request(&b, o, 7, 1, 1, 9, bad_sk), expect(&f, &b, 403, vkey), sp_buf_free(&b);
	request(&b, o, 7, 1, 1, 5, sk), expect(&f, &b, 400, vkey), sp_buf_free(&b);
	request(&b, "simpul.local/99.99", 0, 1, 1, 3, sk), expect(&f, &b, 404, vkey);
	sp_buf_free(&b);
	struct sp_buf junk;
	sp_buf_init(&junk);
	sp_buf_put(&junk, "hello\n", 6);
	expect(&f, &junk, 400, vkey);
	sp_buf_free(&junk);

	/* A restart keeps what was cosigned. */
	sp_h_fed_stop(&f);
	sp_h_fed_start(&f);
	request(&b, o, 0, 1, 1, 9, sk), expect_409(&f, &b, "7\n"), sp_buf_free(&b);
	request(&b, o, 7, 1, 1, 9, sk), expect(&f, &b, 200, vkey), sp_buf_free(&b);
	sp_h_fed_stop(&f);
	sp_h_fed_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_cas),
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_node),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_gossip.c - unit tests for protocol/sp_gossip.c: a round trip of
 * every message, the 64 KiB ENTRIES budget, strict decoding (every
 * truncation, every bit flip, hostile counts and fields), the AUTH
 * handshake against replay, relay, reflection and wrong keys, session
 * MACs, attachment hashes, note deltas and the session planner's window.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_err.h"
#include "sp_gossip.h"
#include "sp_note.h"

#define FED "lapor.example"
#define ORIGIN "lapor.example/73.12"
#define ORIGIN2 "lapor.example/73.13"

/* ---- fixtures ---------------------------------------------------------- */

/* signed_checkpoint_root: a checkpoint note of `origin` at `size` whose
 * root is 32 bytes of `fill`, signed with test key 1, in a NUL-terminated
 * heap string the caller frees. */
static char *signed_checkpoint_root(const char *origin, uint64_t size, uint8_t fill, size_t *len)
{
	uint8_t pk[32], sk[64];
	struct sp_checkpoint c = {.size = size};
	struct sp_buf b;

	sp_test_keypair(1, pk, sk);
	snprintf(c.origin, sizeof(c.origin), "%s", origin);
	memset(c.root, fill, sizeof(c.root));
	sp_buf_init(&b);
	assert_int_equal(sp_checkpoint_sign(&c, sk, &b), 0);
	sp_buf_put(&b, "", 1);
	*len = b.len - 1;
	return (char *)sp_buf_take(&b, &(size_t){0});
}

static char *signed_checkpoint(const char *origin, uint64_t size, size_t *len)
{
	return signed_checkpoint_root(origin, size, 0x5a, len);
}

/* signed_entry: entry `index` of test key 1's log with a one-byte text
 * body `c`, in a heap buffer the caller frees. */
static uint8_t *signed_entry(uint64_t index, char c, size_t *len)
{
	uint8_t pk[32], sk[64], body[2] = {0x61, (uint8_t)c}, *out;
	struct sp_entry e = {.version = 1, .index = index, .time_ms = 1700000000000ull,
			     .type = 1, .body = body, .body_len = sizeof(body)};

	sp_test_keypair(1, pk, sk);
	assert_int_equal(sp_entry_sign(&e, sk, &out, len), 0);
	return out;
}

/* encode_msg encodes m into a fresh buffer, asserting success. */
static uint8_t *encode_msg(const struct sp_gossip_msg *m, size_t *len)
{
	struct sp_buf b;
	uint8_t *p;

	sp_buf_init(&b);
	assert_int_equal(sp_gossip_encode(m, &b), 0);
	p = sp_buf_take(&b, len);
	assert_non_null(p);
	return p;
}

/* decode_exact decodes from an exactly-sized heap copy, so ASan sees any
 * read past the end. */
static int decode_exact(const uint8_t *p, size_t len, struct sp_gossip_msg *m)
{
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, p, len);
	err = sp_gossip_decode(copy, len, m);
	sp_gossip_msg_free(m);
	free(copy);
	return err;
}

/* reencodes_same: a decoded message encodes back to exactly its bytes
 * (the codec has one encoding per message). */
static void assert_reencodes(const uint8_t *p, size_t len)
{
	struct sp_gossip_msg m;
	struct sp_buf b;

	assert_int_equal(sp_gossip_decode(p, len, &m), 0);
	sp_buf_init(&b);
	assert_int_equal(sp_gossip_encode(&m, &b), 0);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.p, p, len);
	sp_buf_free(&b);
	sp_gossip_msg_free(&m);
}

static int str_eq(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/* A set of one valid message of each type, for round trips and mutation. */
struct corpus {
	char *cp, *cp2;
	size_t cp_len, cp2_len;
	uint8_t *fork_a, *fork_b;
	size_t fork_a_len, fork_b_len;
	uint8_t entry_a[200], entry_b[300];
	const uint8_t *ents[2];
	size_t lens[2];
	uint8_t proof[3 * 32];
	struct sp_gossip_note notes[2];
	struct sp_gossip_range ranges[2];
	struct sp_gossip_msg msgs[16];
	size_t n;
};

static void corpus_hello(struct corpus *c, struct sp_gossip_msg *m)
{
	uint8_t sk[64];

	m->type = SP_GOSSIP_HELLO;
	m->u.hello.federation = FED;
	m->u.hello.federation_len = strlen(FED);
	m->u.hello.inst = "73.12";
	m->u.hello.inst_len = 5;
	sp_test_keypair(1, m->u.hello.key, sk);
	memset(m->u.hello.kx, 0x11, 32);
	memset(m->u.hello.nonce, 0x22, 32);
}

static void corpus_init(struct corpus *c)
{
	struct sp_gossip_msg *m = c->msgs;

	memset(c, 0, sizeof(*c));
	c->cp = signed_checkpoint(ORIGIN, 10, &c->cp_len);
	c->cp2 = signed_checkpoint_root(ORIGIN, 10, 0x3c, &c->cp2_len);
	c->fork_a = signed_entry(4, 'a', &c->fork_a_len);
	c->fork_b = signed_entry(4, 'b', &c->fork_b_len);
	memset(c->entry_a, 0xa8, sizeof(c->entry_a));
	memset(c->entry_b, 0x07, sizeof(c->entry_b));
	c->ents[0] = c->entry_a, c->ents[1] = c->entry_b;
	c->lens[0] = sizeof(c->entry_a), c->lens[1] = sizeof(c->entry_b);
	memset(c->proof, 0x33, sizeof(c->proof));
	c->notes[0] = (struct sp_gossip_note){ORIGIN, strlen(ORIGIN), 10, c->cp, c->cp_len};
	c->notes[1] = (struct sp_gossip_note){ORIGIN2, strlen(ORIGIN2), 3, NULL, 0};
	c->ranges[0] = (struct sp_gossip_range){ORIGIN, strlen(ORIGIN), 4, 10};
	c->ranges[1] = (struct sp_gossip_range){ORIGIN2, strlen(ORIGIN2), 0, 3};

	corpus_hello(c, m++);
	m->type = SP_GOSSIP_AUTH;
	memset(m++->u.auth.sig, 0x44, 64);
	*m++ = (struct sp_gossip_msg){.type = SP_GOSSIP_NOTES,
				      .u.notes = {1, 0, 2, c->notes}};
	*m++ = (struct sp_gossip_msg){.type = SP_GOSSIP_WANT, .u.want = {2, c->ranges}};
	*m++ = (struct sp_gossip_msg){
	    .type = SP_GOSSIP_ENTRIES,
	    .u.entries = {ORIGIN, strlen(ORIGIN), 4, 2, c->ents, c->lens, c->cp, c->cp_len, 4, 3,
			  c->proof}};
	*m++ = (struct sp_gossip_msg){
	    .type = SP_GOSSIP_ENTRIES,
	    .u.entries = {ORIGIN2, strlen(ORIGIN2), 0, 0, NULL, NULL, NULL, 0, 0, 0, NULL}};
	*m++ = (struct sp_gossip_msg){.type = SP_GOSSIP_ANNOUNCE, .u.announce = c->notes[0]};
	*m++ = (struct sp_gossip_msg){.type = SP_GOSSIP_IHAVE, .u.ihave = {0, 0, 1, &c->notes[1]}};
	*m++ = (struct sp_gossip_msg){.type = SP_GOSSIP_GRAFT,
				      .u.graft = {ORIGIN, strlen(ORIGIN), 7}};
	*m++ = (struct sp_gossip_msg){.type = SP_GOSSIP_PRUNE,
				      .u.graft = {ORIGIN2, strlen(ORIGIN2), 0}};
	*m++ = (struct sp_gossip_msg){
	    .type = SP_GOSSIP_COSIGN,
	    .u.cosign = {ORIGIN, strlen(ORIGIN), 10, "\xe2\x80\x94 w AAAA\n", 11}};
	*m = (struct sp_gossip_msg){.type = SP_GOSSIP_ATTACH_WANT};
	memset(m->u.attach_want.hash, 0x55, 32);
	m++->u.attach_want.offset = 65536;
	*m = (struct sp_gossip_msg){.type = SP_GOSSIP_ATTACH};
	memset(m->u.attach.hash, 0x66, 32);
	m->u.attach.total = 500;
	m->u.attach.offset = 300;
	m->u.attach.data = c->entry_a;
	m++->u.attach.len = 200;
	*m++ = (struct sp_gossip_msg){.type = SP_GOSSIP_ERROR,
				      .u.error = {SP_ERR_BAD_SIGNATURE, "bad signature", 13}};
	*m++ = (struct sp_gossip_msg){
	    .type = SP_GOSSIP_EVIDENCE,
	    .u.evidence = {ORIGIN, strlen(ORIGIN), SP_GOSSIP_EV_ENTRY, 4, c->fork_a, c->fork_a_len,
			   c->fork_b, c->fork_b_len}};
	*m++ = (struct sp_gossip_msg){
	    .type = SP_GOSSIP_EVIDENCE,
	    .u.evidence = {ORIGIN, strlen(ORIGIN), SP_GOSSIP_EV_CHECKPOINT, 10,
			   (const uint8_t *)c->cp, c->cp_len, (const uint8_t *)c->cp2, c->cp2_len}};
	c->n = (size_t)(m - c->msgs);
}

static void corpus_free(struct corpus *c)
{
	free(c->cp);
	free(c->cp2);
	free(c->fork_a);
	free(c->fork_b);
}

/* ---- round trips ----------------------------------------------------------- */

static void check_notes_equal(const struct sp_gossip_notes *a, const struct sp_gossip_notes *b)
{
	assert_int_equal(a->full, b->full);
	assert_int_equal(a->more, b->more);
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->notes[i].size, b->notes[i].size);
		assert_int_equal(sp_gossip_origin_cmp(a->notes[i].origin, a->notes[i].origin_len,
						      b->notes[i].origin, b->notes[i].origin_len),
				 0);
		assert_int_equal(a->notes[i].checkpoint_len, b->notes[i].checkpoint_len);
		assert_int_equal(a->notes[i].checkpoint == NULL, b->notes[i].checkpoint == NULL);
	}
}

static void check_entries_equal(const struct sp_gossip_entries *a,
				const struct sp_gossip_entries *b, const uint8_t *buf, size_t len)
{
	assert_true(str_eq(b->origin, b->origin_len, a->origin));
	assert_int_equal(a->first, b->first);
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_int_equal(a->lens[i], b->lens[i]);
		assert_memory_equal(a->entries[i], b->entries[i], a->lens[i]);
		/* no copies: the entry points into the message */
		assert_true(b->entries[i] > buf && b->entries[i] + b->lens[i] <= buf + len);
	}
	assert_int_equal(a->checkpoint_len, b->checkpoint_len);
	assert_int_equal(a->proof_from, b->proof_from);
	assert_int_equal(a->nproof, b->nproof);
	if (a->nproof)
		assert_memory_equal(a->proof, b->proof, a->nproof * 32);
}

static void check_equal(const struct sp_gossip_msg *a, const struct sp_gossip_msg *b,
			const uint8_t *buf, size_t len)
{
	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case SP_GOSSIP_HELLO:
		assert_true(str_eq(b->u.hello.federation, b->u.hello.federation_len, FED));
		assert_true(str_eq(b->u.hello.inst, b->u.hello.inst_len, "73.12"));
		assert_memory_equal(a->u.hello.key, b->u.hello.key, 32);
		assert_memory_equal(a->u.hello.kx, b->u.hello.kx, 32);
		assert_memory_equal(a->u.hello.nonce, b->u.hello.nonce, 32);
		break;
	case SP_GOSSIP_AUTH:
		assert_memory_equal(a->u.auth.sig, b->u.auth.sig, 64);
		break;
	case SP_GOSSIP_NOTES:
	case SP_GOSSIP_IHAVE:
		check_notes_equal(&a->u.notes, &b->u.notes);
		break;
	case SP_GOSSIP_WANT:
		assert_int_equal(a->u.want.n, b->u.want.n);
		for (size_t i = 0; i < a->u.want.n; i++) {
			assert_int_equal(a->u.want.ranges[i].from, b->u.want.ranges[i].from);
			assert_int_equal(a->u.want.ranges[i].to, b->u.want.ranges[i].to);
		}
		break;
	case SP_GOSSIP_ENTRIES:
		check_entries_equal(&a->u.entries, &b->u.entries, buf, len);
		break;
	case SP_GOSSIP_ANNOUNCE:
		assert_int_equal(a->u.announce.size, b->u.announce.size);
		assert_memory_equal(a->u.announce.checkpoint, b->u.announce.checkpoint,
				    a->u.announce.checkpoint_len);
		break;
	case SP_GOSSIP_GRAFT:
	case SP_GOSSIP_PRUNE:
		assert_int_equal(a->u.graft.from, b->u.graft.from);
		assert_int_equal(a->u.graft.origin_len, b->u.graft.origin_len);
		break;
	case SP_GOSSIP_COSIGN:
		assert_int_equal(a->u.cosign.size, b->u.cosign.size);
		assert_int_equal(a->u.cosign.line_len, b->u.cosign.line_len);
		break;
	case SP_GOSSIP_ATTACH_WANT:
		assert_memory_equal(a->u.attach_want.hash, b->u.attach_want.hash, 32);
		assert_int_equal(a->u.attach_want.offset, b->u.attach_want.offset);
		break;
	case SP_GOSSIP_ATTACH:
		assert_int_equal(a->u.attach.total, b->u.attach.total);
		assert_int_equal(a->u.attach.offset, b->u.attach.offset);
		assert_int_equal(a->u.attach.len, b->u.attach.len);
		assert_memory_equal(a->u.attach.data, b->u.attach.data, a->u.attach.len);
		break;
	case SP_GOSSIP_ERROR:
		assert_int_equal(a->u.error.code, b->u.error.code);
		assert_int_equal(a->u.error.text_len, b->u.error.text_len);
		break;
	case SP_GOSSIP_EVIDENCE:
		assert_int_equal(a->u.evidence.kind, b->u.evidence.kind);
		assert_int_equal(a->u.evidence.at, b->u.evidence.at);
		assert_int_equal(a->u.evidence.a_len, b->u.evidence.a_len);
		assert_memory_equal(a->u.evidence.a, b->u.evidence.a, a->u.evidence.a_len);
		assert_int_equal(a->u.evidence.b_len, b->u.evidence.b_len);
		assert_memory_equal(a->u.evidence.b, b->u.evidence.b, a->u.evidence.b_len);
		/* no copies */
		assert_true(b->u.evidence.b > buf && b->u.evidence.b + b->u.evidence.b_len <= buf + len);
		break;
	}
}

static void test_round_trip(void **state)
{
	struct corpus c;
	int seen[SP_GOSSIP_TYPE_LAST + 1] = {0};

	corpus_init(&c);
	for (size_t i = 0; i < c.n; i++) {
		struct sp_gossip_msg d;
		size_t len;
		uint8_t *p = encode_msg(&c.msgs[i], &len);

		assert_true(len <= SP_GOSSIP_MSG_MAX);
		assert_int_equal(sp_gossip_decode(p, len, &d), 0);
		check_equal(&c.msgs[i], &d, p, len);
		sp_gossip_msg_free(&d);
		assert_reencodes(p, len);
		seen[c.msgs[i].type] = 1;
		free(p);
	}
	for (int t = SP_GOSSIP_HELLO; t <= SP_GOSSIP_TYPE_LAST; t++)
		assert_true(seen[t]);
	corpus_free(&c);
}

/* The first bytes are fixed by the format: [1, type, ...]. */
static void test_wire_bytes(void **state)
{
	static const uint8_t prune[] = {0x83, 0x01, 0x09, 0x65, 'a', '.', 'b', '/', 'c'};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_PRUNE, .u.graft = {"a.b/c", 5, 0}};
	size_t len;
	uint8_t *p = encode_msg(&m, &len);

	assert_int_equal(len, sizeof(prune));
	assert_memory_equal(p, prune, len);
	free(p);
}

/* ---- packing ------------------------------------------------------------------ */

static void check_packed(const uint8_t *p, size_t len, size_t taken)
{
	struct sp_gossip_msg d;
	size_t sum = 0;

	assert_true(len <= SP_GOSSIP_MSG_MAX);
	assert_int_equal(sp_gossip_decode(p, len, &d), 0);
	assert_int_equal(d.u.entries.count, taken);
	for (size_t i = 0; i < taken; i++)
		sum += d.u.entries.lens[i];
	assert_true(sum <= SP_GOSSIP_BATCH_MAX);
	sp_gossip_msg_free(&d);
}

static void test_pack_many(void **state)
{
	enum { N = 1000, SZ = 300 };
	static uint8_t blob[N][SZ];
	const uint8_t *ents[N];
	size_t lens[N], done = 0, msgs = 0, len;
	struct sp_gossip_entries e = {ORIGIN, strlen(ORIGIN), 0, 0, ents, lens, NULL, 0, 0, 0, NULL};

	for (size_t i = 0; i < N; i++) {
		memset(blob[i], (int)i, SZ);
		ents[i] = blob[i];
		lens[i] = SZ - (i % 7); /* ~300 bytes, not all equal */
	}
	while (done < N) {
		struct sp_buf b;
		size_t taken;
		uint8_t *p;

		e.first = done;
		e.entries = ents + done;
		e.lens = lens + done;
		e.count = N - done;
		sp_buf_init(&b);
		assert_int_equal(sp_gossip_entries_pack(&e, &b, &taken), 0);
		p = sp_buf_take(&b, &len);
		check_packed(p, len, taken);
		/* full messages hold as many as 64 KiB allows: >= 200 entries */
		if (done + taken < N)
			assert_true(taken >= 200 && len > 60000);
		done += taken;
		msgs++;
		free(p);
	}
	assert_true(msgs <= 5);
}

/* build_big_checkpoint: a signed checkpoint with cosignature lines up to
 * nearly SP_GOSSIP_NOTE_MAX bytes (the largest a peer may send). */
static char *build_big_checkpoint(const char *origin, uint64_t size, size_t *len)
{
	char *cp = signed_checkpoint(origin, size, len);
	struct sp_buf b;
	size_t body_len = strstr(cp, "\n\n") - cp + 1;

	sp_buf_init(&b);
	sp_buf_put(&b, cp, *len);
	for (uint8_t w = 10; w < 73; w++) {
		uint8_t pk[32], sk[64];
		char name[32];
		size_t before = b.len;

		sp_test_keypair(w, pk, sk);
		snprintf(name, sizeof(name), "witness-%u.example", w);
		assert_int_equal(sp_cosig_line(cp, body_len, 1767225600, name, sk, &b), 0);
		if (b.len > SP_GOSSIP_NOTE_MAX) {
			b.len = before;
			break;
		}
	}
	free(cp);
	*len = b.len;
	sp_buf_put(&b, "", 1);
	return (char *)sp_buf_take(&b, &(size_t){0});
}

static void test_pack_max_entry(void **state)
{
	uint8_t *big = malloc(SP_ENTRY_MAX);
	const uint8_t *ents[2] = {big, big};
	size_t lens[2] = {SP_ENTRY_MAX, SP_ENTRY_MAX}, len, cp_len, taken;
	uint8_t proof[64 * 32] = {0};
	char *cp = build_big_checkpoint(ORIGIN, 1000, &cp_len);
	char origin[SP_ORIGIN_MAX + 1] = {0};
	struct sp_gossip_entries e = {ORIGIN, strlen(ORIGIN), 998, 2,  ents, lens, cp, cp_len,
				      997, 64, proof};
	struct sp_buf b;
	uint8_t *p;

	assert_true(cp_len > SP_GOSSIP_NOTE_MAX - 200 && cp_len <= SP_GOSSIP_NOTE_MAX);
	memset(big, 0xee, SP_ENTRY_MAX);
	sp_buf_init(&b);
	assert_int_equal(sp_gossip_entries_pack(&e, &b, &taken), 0);
	assert_int_equal(taken, 1);
	p = sp_buf_take(&b, &len);
	check_packed(p, len, 1);
	free(p);

	/* The worst case the limits allow still fits SP_GOSSIP_MSG_MAX: the
	 * most entries, a full batch, the longest origin a checkpoint may
	 * carry (255 bytes: sp_checkpoint_sign's interop limit), the biggest
	 * checkpoint and the longest proof. */
	memset(origin, 'o', SP_ORIGIN_MAX - 1);
	{
		static uint8_t small[SP_GOSSIP_MAX_ENTRIES][SP_GOSSIP_BATCH_MAX /
							    SP_GOSSIP_MAX_ENTRIES];
		const uint8_t *sp[SP_GOSSIP_MAX_ENTRIES];
		size_t sl[SP_GOSSIP_MAX_ENTRIES], big_len;
		char *big_cp = build_big_checkpoint(origin, 1000, &big_len);

		for (size_t i = 0; i < SP_GOSSIP_MAX_ENTRIES; i++)
			sp[i] = small[i], sl[i] = sizeof(small[i]);
		e = (struct sp_gossip_entries){origin, SP_ORIGIN_MAX - 1, 0, SP_GOSSIP_MAX_ENTRIES,
					       sp, sl, big_cp, big_len, 1, 64, proof};
		sp_buf_init(&b);
		assert_int_equal(sp_gossip_entries_pack(&e, &b, &taken), 0);
		assert_int_equal(taken, SP_GOSSIP_MAX_ENTRIES);
		assert_true(big_len > SP_GOSSIP_NOTE_MAX - 200);
		assert_true(b.len > 75000 && b.len <= SP_GOSSIP_MSG_MAX);
		sp_buf_free(&b);
		free(big_cp);
	}
	/* An entry over SP_ENTRY_MAX is refused, not truncated. */
	lens[0] = SP_ENTRY_MAX + 1;
	e = (struct sp_gossip_entries){
	    .origin = ORIGIN, .origin_len = strlen(ORIGIN), .count = 1, .entries = ents, .lens = lens};
	sp_buf_init(&b);
	assert_int_equal(sp_gossip_entries_pack(&e, &b, &taken), SP_ERR_ENTRY_TOO_LARGE);
	sp_buf_free(&b);
	/* The longest origin is accepted, one byte more is not. */
	origin[SP_ORIGIN_MAX - 1] = 'o';
	lens[0] = 10;
	e = (struct sp_gossip_entries){
	    .origin = origin, .origin_len = SP_ORIGIN_MAX, .count = 1, .entries = ents, .lens = lens};
	sp_buf_init(&b);
	assert_int_equal(sp_gossip_entries_pack(&e, &b, &taken), 0);
	e.origin_len++;
	assert_int_equal(sp_gossip_entries_pack(&e, &b, &taken), SP_ERR_ENTRY_FIELD_SIZE);
	sp_buf_free(&b);
	free(cp);
	free(big);
}

static void test_pack_notes(void **state)
{
	enum { N = 8000 };
	static char names[N][40];
	static struct sp_gossip_note notes[N];
	size_t done = 0, msgs = 0;

	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "lapor.example/%05zu", i);
		notes[i] = (struct sp_gossip_note){names[i], strlen(names[i]), i, NULL, 0};
	}
	while (done < N) {
		struct sp_gossip_notes m = {1, 0, N - done, notes + done};
		struct sp_gossip_msg d;
		struct sp_buf b;
		size_t taken;

		sp_buf_init(&b);
		assert_int_equal(sp_gossip_notes_pack(&m, &b, &taken), 0);
		assert_true(b.len <= SP_GOSSIP_MSG_MAX);
		assert_int_equal(sp_gossip_decode(b.p, b.len, &d), 0);
		assert_int_equal(d.u.notes.n, taken);
		assert_int_equal(d.u.notes.full, 1);
		assert_int_equal(d.u.notes.more, done + taken < N);
		sp_gossip_msg_free(&d);
		sp_buf_free(&b);
		done += taken;
		msgs++;
	}
	assert_true(msgs >= 2);
}

/* ---- strict decoding ------------------------------------------------------------- */

static void test_truncations(void **state)
{
	struct corpus c;

	corpus_init(&c);
	for (size_t i = 0; i < c.n; i++) {
		struct sp_gossip_msg d;
		size_t len;
		uint8_t *p = encode_msg(&c.msgs[i], &len);

		for (size_t k = 0; k < len; k++)
			assert_int_not_equal(decode_exact(p, k, &d), 0);
		assert_int_equal(decode_exact(p, len, &d), 0);
		free(p);
	}
	corpus_free(&c);
}

/* Every single-bit flip either fails cleanly or decodes to a message that
 * re-encodes to exactly the flipped bytes. */
static void test_bit_flips(void **state)
{
	struct corpus c;
	size_t accepted = 0, total = 0;

	corpus_init(&c);
	for (size_t i = 0; i < c.n; i++) {
		size_t len;
		uint8_t *p = encode_msg(&c.msgs[i], &len);

		for (size_t bit = 0; bit < len * 8; bit++) {
			struct sp_gossip_msg d;
			uint8_t *q = malloc(len);

			memcpy(q, p, len);
			q[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (sp_gossip_decode(q, len, &d) == 0) {
				sp_gossip_msg_free(&d);
				assert_reencodes(q, len);
				accepted++;
			} else {
				sp_gossip_msg_free(&d);
			}
			total++;
			free(q);
		}
		free(p);
	}
	/* flips inside keys, nonces and entry bytes are still valid messages */
	assert_true(accepted > 0 && accepted < total);
	corpus_free(&c);
}

static int decode_hex(const char *hex)
{
	uint8_t buf[256];
	size_t n = strlen(hex) / 2;
	struct sp_gossip_msg m;

	assert_true(n <= sizeof(buf));
	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &buf[i]);
	return decode_exact(buf, n, &m);
}

static void test_malformed(void **state)
{
	/* header */
	assert_int_equal(decode_hex(""), SP_ERR_CBOR_MALFORMED);
	assert_int_equal(decode_hex("a0"), SP_ERR_CBOR_TYPE);
	assert_int_equal(decode_hex("8101"), SP_ERR_ENTRY_FIELD);
	assert_int_equal(decode_hex("830209656162632f63"), SP_ERR_ENTRY_VERSION);
	assert_int_equal(decode_hex("830100656162632f63"), SP_ERR_ENTRY_FIELD);
	assert_int_equal(decode_hex("83010e656162632f63"), SP_ERR_ENTRY_FIELD);
	assert_int_equal(decode_hex("8401096561622f632f00"), SP_ERR_ENTRY_FIELD);
	assert_int_equal(decode_hex("830109656162632f6300"), SP_ERR_CBOR_TRAILING);
	assert_int_equal(decode_hex("8301180965616263"), SP_ERR_CBOR_NONSHORTEST);
	assert_int_equal(decode_hex("9f0109656162632f63ff"), SP_ERR_CBOR_INDEFINITE);
	/* PRUNE origin: empty, bytes instead of text, bad UTF-8 */
	assert_int_equal(decode_hex("83010960"), SP_ERR_ENTRY_FIELD_SIZE);
	assert_int_equal(decode_hex("83010941ff"), SP_ERR_CBOR_TYPE);
	assert_int_equal(decode_hex("83010961ff"), SP_ERR_CBOR_UTF8);
	/* ENTRIES with a huge entry count and few bytes: refused before any
	 * allocation; a count over the limit with enough bytes: SP_ERR_RANGE */
	assert_int_equal(decode_hex("880105616100" "9affffffff" "f60040"), SP_ERR_CBOR_MALFORMED);
	assert_int_equal(decode_hex("880105616100" "99ffff" "4100f60040"), SP_ERR_CBOR_MALFORMED);
	/* ENTRIES: empty entry, proof not a multiple of 32, proof without cp */
	assert_int_equal(decode_hex("880105616100" "8140" "f60040"), SP_ERR_ENTRY_FIELD_SIZE);
	assert_int_equal(decode_hex("880105616100" "80" "f60041aa"), SP_ERR_ENTRY_FIELD_SIZE);
	assert_int_equal(decode_hex("880105616100" "80" "f60140"), SP_ERR_RANGE);
	/* first + count past 2^63-1 */
	assert_int_equal(decode_hex("880105616" "11b7fffffffffffffff" "814100" "f60040"),
			 SP_ERR_RANGE);
	/* ENTRIES: checkpoint text that is not a signed note */
	assert_int_equal(decode_hex("880105616100" "80" "6378797a" "0040"), SP_ERR_NOTE_FORMAT);
	/* NOTES: count far beyond the bytes; unsorted and duplicate origins */
	assert_int_equal(decode_hex("850103f5f4" "9a7fffffff" "00"), SP_ERR_CBOR_MALFORMED);
	assert_int_equal(decode_hex("850103f5f4" "82" "836162" "00f6" "836161" "00f6"),
			 SP_ERR_CBOR_UNSORTED);
	assert_int_equal(decode_hex("850103f5f4" "82" "836161" "00f6" "836161" "00f6"),
			 SP_ERR_CBOR_DUPKEY);
	assert_int_equal(decode_hex("850103f5f4" "81" "836161" "1b8000000000000000" "f6"),
			 SP_ERR_RANGE);
	assert_int_equal(decode_hex("850103f500" "80"), SP_ERR_CBOR_TYPE);
	/* IHAVE with a checkpoint slot: wrong tuple size */
	assert_int_equal(decode_hex("830107" "81" "836161" "00f6"), SP_ERR_ENTRY_FIELD);
	/* WANT: empty, from >= to, over the window */
	assert_int_equal(decode_hex("83010480"), SP_ERR_RANGE);
	assert_int_equal(decode_hex("830104" "81" "83616105" "05"), SP_ERR_RANGE);
	assert_int_equal(decode_hex("830104" "81" "83616106" "05"), SP_ERR_RANGE);
	assert_int_equal(decode_hex("830104" "81" "84616105" "0607"), SP_ERR_ENTRY_FIELD);
	/* HELLO: 31-byte key */
	assert_int_equal(decode_hex("870101616161615" "81f" "00000000000000000000000000000000"
				    "000000000000000000000000000000"),
			 SP_ERR_ENTRY_FIELD_SIZE);
	/* ATTACH: chunk past the total, empty chunk of a non-empty file */
	assert_int_equal(decode_hex("86010c" "5820" "0000000000000000000000000000000000000000000"
				    "000000000000000000000" "0205" "4100"),
			 SP_ERR_RANGE);
	assert_int_equal(decode_hex("86010c" "5820" "0000000000000000000000000000000000000000000"
				    "000000000000000000000" "0500" "40"),
			 SP_ERR_RANGE);
	/* ERROR: code 0 / positive, or beyond the range */
	assert_int_equal(decode_hex("84010d" "00" "60"), SP_ERR_CBOR_TYPE);
	assert_int_equal(decode_hex("84010d" "397fff" "60"), SP_ERR_RANGE);
	assert_int_equal(decode_hex("84010d" "27" "60"), 0);
	/* COSIGN line that is two lines */
	assert_int_equal(decode_hex("85010a616105" "64610a620a"), SP_ERR_NOTE_FORMAT);
}

/* encode_evidence: the encoder's verdict on one EVIDENCE message. */
static int encode_evidence(uint64_t kind, uint64_t at, const void *a, size_t alen, const void *b,
			   size_t blen)
{
	struct sp_gossip_msg m = {.type = SP_GOSSIP_EVIDENCE,
				  .u.evidence = {ORIGIN, strlen(ORIGIN), kind, at, a, alen, b, blen}};
	struct sp_buf out;

	sp_buf_init(&out);
	int rc = sp_gossip_encode(&m, &out);
	sp_buf_free(&out);
	return rc;
}

/* EVIDENCE: the syntax rules the codec owns (docs/replication.md 2.10). */
static void test_evidence(void **state)
{
	size_t la, lb, l5, lc, lc2, lo;
	uint8_t *a = signed_entry(4, 'a', &la), *b = signed_entry(4, 'b', &lb);
	uint8_t *e5 = signed_entry(5, 'b', &l5);
	char *cp = signed_checkpoint(ORIGIN, 10, &lc);
	char *cp2 = signed_checkpoint_root(ORIGIN, 12, 0x3c, &lc2);
	char *other = signed_checkpoint_root(ORIGIN2, 10, 0x3c, &lo);

	assert_int_equal(encode_evidence(SP_GOSSIP_EV_ENTRY, 4, a, la, b, lb), 0);
	/* the same statement twice */
	assert_int_equal(encode_evidence(SP_GOSSIP_EV_ENTRY, 4, a, la, a, la), SP_ERR_ARG);
	/* an entry of another index than `at` */
	assert_int_equal(encode_evidence(SP_GOSSIP_EV_ENTRY, 4, a, la, e5, l5), SP_ERR_RANGE);
	assert_int_equal(encode_evidence(SP_GOSSIP_EV_ENTRY, 5, a, la, e5, l5), SP_ERR_RANGE);
	/* not an entry */
	assert_int_equal(encode_evidence(SP_GOSSIP_EV_ENTRY, 4, a, la, "\x01", 1), SP_ERR_CBOR_TYPE);
	assert_int_equal(encode_evidence(SP_GOSSIP_EV_ENTRY, 4, a, la, b, 0),
			 SP_ERR_ENTRY_FIELD_SIZE);
	/* unknown kind */
	assert_int_equal(encode_evidence(3, 4, a, la, b, lb), SP_ERR_RANGE);
	/* checkpoints: different sizes are fine, `at` is a's size */
	assert_int_equal(encode_evidence(SP_GOSSIP_EV_CHECKPOINT, 10, cp, lc, cp2, lc2), 0);
	assert_int_equal(encode_evidence(SP_GOSSIP_EV_CHECKPOINT, 12, cp, lc, cp2, lc2),
			 SP_ERR_RANGE);
	/* of another log; an entry where a checkpoint must be */
	assert_int_equal(encode_evidence(SP_GOSSIP_EV_CHECKPOINT, 10, cp, lc, other, lo),
			 SP_ERR_CHECKPOINT);
	assert_int_not_equal(encode_evidence(SP_GOSSIP_EV_CHECKPOINT, 10, cp, lc, a, la), 0);
	/* a checkpoint where an entry must be */
	assert_int_not_equal(encode_evidence(SP_GOSSIP_EV_ENTRY, 10, cp, lc, cp2, lc2), 0);
	/* the decoder refuses the same: a's bytes twice, re-encoded by hand */
	struct sp_gossip_msg m = {.type = SP_GOSSIP_EVIDENCE,
				  .u.evidence = {ORIGIN, strlen(ORIGIN), 1, 4, a, la, b, lb}};
	size_t len;
	uint8_t *p = encode_msg(&m, &len);
	uint8_t *bpos = p + len - lb;
	assert_memory_equal(bpos, b, lb);
	memcpy(bpos, a, la < lb ? la : lb); /* same length entries: b becomes a */
	assert_int_equal(la, lb);
	assert_int_equal(decode_exact(p, len, &m), SP_ERR_ARG);
	free(p);
	free(a);
	free(b);
	free(e5);
	free(cp);
	free(cp2);
	free(other);
}

static void test_oversized(void **state)
{
	size_t n = SP_GOSSIP_MSG_MAX + 1;
	uint8_t *big = calloc(1, n);
	struct sp_gossip_msg m;

	assert_int_equal(sp_gossip_decode(big, n, &m), SP_ERR_RANGE);
	sp_gossip_msg_free(&m);
	free(big);
}

/* A checkpoint must be of the message's log and cover the entries. */
static void test_entries_checkpoint(void **state)
{
	size_t cp_len, len;
	char *cp = signed_checkpoint(ORIGIN, 5, &cp_len);
	uint8_t ent[10] = {0}, proof[32] = {0};
	const uint8_t *ents[1] = {ent};
	size_t lens[1] = {sizeof(ent)};
	struct sp_gossip_msg m = {.type = SP_GOSSIP_ENTRIES,
				  .u.entries = {ORIGIN, strlen(ORIGIN), 4, 1, ents, lens, cp, cp_len,
						3, 1, proof}};
	struct sp_buf b;
	uint8_t *p = encode_msg(&m, &len);

	free(p);
	sp_buf_init(&b);
	m.u.entries.first = 5; /* entry 5 is beyond a checkpoint of size 5 */
	assert_int_equal(sp_gossip_encode(&m, &b), SP_ERR_RANGE);
	m.u.entries.first = 4;
	m.u.entries.proof_from = 6; /* proof from beyond the checkpoint */
	assert_int_equal(sp_gossip_encode(&m, &b), SP_ERR_RANGE);
	m.u.entries.proof_from = 0; /* no proof from the empty tree */
	assert_int_equal(sp_gossip_encode(&m, &b), SP_ERR_RANGE);
	m.u.entries.proof_from = 3;
	m.u.entries.origin = ORIGIN2; /* checkpoint of another log */
	assert_int_equal(sp_gossip_encode(&m, &b), SP_ERR_CHECKPOINT);
	assert_int_equal(b.len, 0);
	sp_buf_free(&b);
	free(cp);
}

/* ---- handshake ---------------------------------------------------------------- */

struct party {
	uint8_t pk[32], sk[64], kx_pk[32], kx_sk[32];
	struct sp_gossip_hello hello;
};

static void party_init(struct party *p, uint8_t seed, const char *inst)
{
	sp_test_keypair(seed, p->pk, p->sk);
	crypto_kx_keypair(p->kx_pk, p->kx_sk);
	p->hello = (struct sp_gossip_hello){
	    .federation = FED, .federation_len = strlen(FED), .inst = inst, .inst_len = strlen(inst)};
	memcpy(p->hello.key, p->pk, 32);
	memcpy(p->hello.kx, p->kx_pk, 32);
	randombytes_buf(p->hello.nonce, 32);
}

static void test_auth_exchange(void **state)
{
	struct party a, b;
	uint8_t sig_a[64], sig_b[64], a_rx[32], a_tx[32], b_rx[32], b_tx[32], tag[32];
	static const uint8_t msg[] = "\x83\x01\x09\x61\x61";

	party_init(&a, 1, "73.12");
	party_init(&b, 2, "73");
	assert_int_equal(sp_gossip_auth_sign(&a.hello, &b.hello, a.sk, sig_a), 0);
	assert_int_equal(sp_gossip_auth_sign(&b.hello, &a.hello, b.sk, sig_b), 0);
	assert_int_equal(sp_gossip_auth_verify(&b.hello, &a.hello, sig_a), 0);
	assert_int_equal(sp_gossip_auth_verify(&a.hello, &b.hello, sig_b), 0);
	/* A's signature is not B's: the roles are in the transcript */
	assert_int_equal(sp_gossip_auth_verify(&a.hello, &b.hello, sig_a), SP_ERR_BAD_SIGNATURE);

	/* session keys agree crosswise; tags bind the sequence number */
	assert_int_equal(sp_gossip_session_keys(&a.hello, &b.hello, a.kx_sk, a_rx, a_tx), 0);
	assert_int_equal(sp_gossip_session_keys(&b.hello, &a.hello, b.kx_sk, b_rx, b_tx), 0);
	assert_memory_equal(a_tx, b_rx, 32);
	assert_memory_equal(a_rx, b_tx, 32);
	assert_memory_not_equal(a_rx, a_tx, 32);
	sp_gossip_tag(a_tx, 7, msg, sizeof(msg) - 1, tag);
	assert_int_equal(sp_gossip_tag_verify(b_rx, 7, msg, sizeof(msg) - 1, tag), 0);
	assert_int_equal(sp_gossip_tag_verify(b_rx, 8, msg, sizeof(msg) - 1, tag),
			 SP_ERR_BAD_SIGNATURE);
	assert_int_equal(sp_gossip_tag_verify(b_tx, 7, msg, sizeof(msg) - 1, tag),
			 SP_ERR_BAD_SIGNATURE);
	assert_int_equal(sp_gossip_tag_verify(b_rx, 7, msg, sizeof(msg) - 2, tag),
			 SP_ERR_BAD_SIGNATURE);
}

static void test_auth_replay_relay(void **state)
{
	struct party a, b, c, b2;
	uint8_t sig_a[64];
	struct sp_gossip_hello h;

	party_init(&a, 1, "73.12");
	party_init(&b, 2, "73");
	party_init(&c, 3, "74");
	assert_int_equal(sp_gossip_auth_sign(&a.hello, &b.hello, a.sk, sig_a), 0);

	/* replay: the same AUTH in a later session (fresh nonces) fails */
	b2 = b;
	randombytes_buf(b2.hello.nonce, 32);
	assert_int_equal(sp_gossip_auth_verify(&b2.hello, &a.hello, sig_a), SP_ERR_BAD_SIGNATURE);
	h = a.hello;
	randombytes_buf(h.nonce, 32);
	assert_int_equal(sp_gossip_auth_verify(&b.hello, &h, sig_a), SP_ERR_BAD_SIGNATURE);

	/* relay: C replays to B, or B relays to C, A's transcript for the
	 * (A, B) session: the third party's key and nonce are not in it */
	h = c.hello;
	memcpy(h.nonce, b.hello.nonce, 32);
	memcpy(h.kx, b.hello.kx, 32);
	assert_int_equal(sp_gossip_auth_verify(&h, &a.hello, sig_a), SP_ERR_BAD_SIGNATURE);
	/* the relay swaps in its own kx key to learn the MAC keys: fails */
	h = a.hello;
	memcpy(h.kx, c.hello.kx, 32);
	assert_int_equal(sp_gossip_auth_verify(&b.hello, &h, sig_a), SP_ERR_BAD_SIGNATURE);

	/* wrong key: the HELLO claims another node's key */
	h = a.hello;
	memcpy(h.key, c.pk, 32);
	assert_int_equal(sp_gossip_auth_verify(&b.hello, &h, sig_a), SP_ERR_BAD_SIGNATURE);
	assert_int_equal(sp_gossip_auth_sign(&a.hello, &b.hello, c.sk, sig_a), SP_ERR_ARG);

	/* reflection: the peer echoes our nonce (or kx) back */
	h = b.hello;
	memcpy(h.nonce, a.hello.nonce, 32);
	assert_int_equal(sp_gossip_auth_sign(&a.hello, &h, a.sk, sig_a), SP_ERR_REPLAY);
	assert_int_equal(sp_gossip_auth_verify(&a.hello, &h, sig_a), SP_ERR_REPLAY);
	h = b.hello;
	memcpy(h.kx, a.hello.kx, 32);
	assert_int_equal(sp_gossip_auth_sign(&a.hello, &h, a.sk, sig_a), SP_ERR_REPLAY);

	/* another federation, or ourselves */
	h = b.hello;
	h.federation = "other.example";
	h.federation_len = 13;
	assert_int_equal(sp_gossip_auth_sign(&a.hello, &h, a.sk, sig_a), SP_ERR_ARG);
	h = b.hello;
	memcpy(h.key, a.pk, 32);
	assert_int_equal(sp_gossip_auth_sign(&a.hello, &h, a.sk, sig_a), SP_ERR_ARG);
}

static void test_attach_check(void **state)
{
	static const uint8_t data[] = "foto jalan rusak";
	uint8_t h[32];

	crypto_hash_sha256(h, data, sizeof(data));
	assert_int_equal(sp_gossip_attach_check(h, data, sizeof(data)), 0);
	assert_int_equal(sp_gossip_attach_check(h, data, sizeof(data) - 1), SP_ERR_INCONSISTENT);
	h[0] ^= 1;
	assert_int_equal(sp_gossip_attach_check(h, data, sizeof(data)), SP_ERR_INCONSISTENT);
}

/* ---- note sets and the session planner ---------------------------------------- */

#define NOTE(o, s) ((struct sp_gossip_note){o, sizeof(o) - 1, s, NULL, 0})

static void test_notes_delta(void **state)
{
	struct sp_gossip_note sent[3] = {NOTE("a/1", 5), NOTE("a/2", 7), NOTE("a/3", 1)};
	struct sp_gossip_note cur[4] = {NOTE("a/0", 2), NOTE("a/1", 5), NOTE("a/2", 8),
					NOTE("a/3", 1)};
	struct sp_gossip_note out[4];
	size_t n;

	cur[3].checkpoint = "x";
	cur[3].checkpoint_len = 1;
	assert_int_equal(sp_gossip_notes_delta(sent, 3, cur, 4, out, &n), 0);
	assert_int_equal(n, 3); /* a/0 new, a/2 grew, a/3 has a checkpoint now */
	assert_true(str_eq(out[0].origin, out[0].origin_len, "a/0"));
	assert_true(str_eq(out[1].origin, out[1].origin_len, "a/2"));
	assert_true(str_eq(out[2].origin, out[2].origin_len, "a/3"));
	/* nothing changed: nothing to send */
	assert_int_equal(sp_gossip_notes_delta(cur, 4, cur, 4, out, &n), 0);
	assert_int_equal(n, 0);
	/* a changed checkpoint (a new cosignature) is a change */
	sent[2].checkpoint = "y";
	sent[2].checkpoint_len = 1;
	assert_int_equal(sp_gossip_notes_delta(sent + 2, 1, cur + 3, 1, out, &n), 0);
	assert_int_equal(n, 1);
	/* unsorted input */
	assert_int_equal(sp_gossip_notes_delta(cur + 1, 3, (struct sp_gossip_note[]){cur[1], cur[0]},
					       2, out, &n),
			 SP_ERR_ARG);
}

static void test_session_notes_rule(void **state)
{
	struct sp_gossip_session s;
	struct sp_gossip_note v1[2] = {NOTE("a/1", 5), NOTE("a/2", 7)};
	struct sp_gossip_note v2[2] = {NOTE("a/1", 6), NOTE("a/2", 7)};
	struct sp_gossip_note out[2];
	struct sp_gossip_notes part = {1, 1, 0, NULL}, last = {1, 0, 0, NULL}, delta = {0, 0, 0, NULL};
	size_t n;
	int full;

	sp_gossip_session_init(&s, 4);
	/* ours: the first time everything, even given a `sent` set */
	assert_int_equal(sp_gossip_session_our_notes(&s, v1, 2, v1, 2, out, &n, &full), 0);
	assert_int_equal(full, 1);
	assert_int_equal(n, 2);
	assert_int_equal(sp_gossip_session_our_notes(&s, v1, 2, v2, 2, out, &n, &full), 0);
	assert_int_equal(full, 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].size, 6);

	/* theirs: a delta before the full set is a violation */
	assert_int_equal(sp_gossip_session_peer_notes(&s, &delta), SP_ERR_ARG);
	assert_int_equal(sp_gossip_session_peer_notes(&s, &part), 0);
	assert_int_equal(sp_gossip_session_peer_notes(&s, &part), 0);
	assert_int_equal(sp_gossip_session_peer_notes(&s, &last), 0);
	assert_int_equal(s.peer_complete, 1);
	assert_int_equal(sp_gossip_session_peer_notes(&s, &delta), 0);
	/* and a second full set after it, too */
	assert_int_equal(sp_gossip_session_peer_notes(&s, &last), SP_ERR_ARG);
	delta.more = 1;
	assert_int_equal(sp_gossip_session_peer_notes(&s, &delta), SP_ERR_ARG);
}

static void test_session_window(void **state)
{
	enum { N = 20 };
	static char names[N][16];
	struct sp_gossip_note ours[N], peer[N];
	struct sp_gossip_range out[SP_GOSSIP_WINDOW_MAX];
	struct sp_gossip_session s;
	size_t n;

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "a/%02d", i);
		ours[i] = (struct sp_gossip_note){names[i], strlen(names[i]), 10, NULL, 0};
		peer[i] = ours[i];
		peer[i].size = i % 2 ? 50 : 10; /* the peer is ahead on odd logs */
	}
	sp_gossip_session_init(&s, 4);
	assert_int_equal(sp_gossip_session_wants(&s, ours, N, peer, N, out, N, &n), 0);
	assert_int_equal(n, 4); /* the window */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].from, 10);
		assert_int_equal(out[i].to, 50);
	}
	assert_true(str_eq(out[0].origin, out[0].origin_len, "a/01"));
	/* window full: nothing more until answers come */
	assert_int_equal(sp_gossip_session_wants(&s, ours, N, peer, N, out, N, &n), 0);
	assert_int_equal(n, 0);
	/* a partial answer frees the slot; we then hold (or verify) 30 */
	assert_int_equal(sp_gossip_session_answered(&s, "a/01", 4, 10, 20), 0);
	ours[1].size = 30;
	assert_int_equal(sp_gossip_session_wants(&s, ours, N, peer, N, out, N, &n), 0);
	assert_int_equal(n, 1);
	assert_true(str_eq(out[0].origin, out[0].origin_len, "a/01"));
	assert_int_equal(out[0].from, 30);
	/* an answer from the wrong index, or longer than asked: SP_ERR_RANGE */
	assert_int_equal(sp_gossip_session_answered(&s, "a/03", 4, 11, 1), SP_ERR_RANGE);
	assert_int_equal(sp_gossip_session_answered(&s, "a/05", 4, 10, 41), SP_ERR_RANGE);
	/* eager push: unsolicited */
	assert_int_equal(sp_gossip_session_answered(&s, "a/00", 4, 10, 1), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_gossip_session_answered(&s, "a/05", 4, 10, 1), SP_ERR_NOT_FOUND);
	assert_int_equal(s.npending, 2);
	/* cap smaller than the window */
	assert_int_equal(sp_gossip_session_wants(&s, ours, N, peer, N, out, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s.npending, 3);
	/* the window bounds bytes in flight */
	assert_true(s.window * (size_t)SP_GOSSIP_MSG_MAX <= 4 * 81920);
	sp_gossip_session_init(&s, 1000);
	assert_int_equal(s.window, SP_GOSSIP_WINDOW_MAX);
}

/* Several consecutive ranges of one log in flight, answered in order; a
 * short answer makes the later ones stale, then the log is planned again. */
static void test_session_depth(void **state)
{
	struct sp_gossip_note ours[2] = {NOTE("a/1", 0), NOTE("a/2", 95)};
	struct sp_gossip_note peer[2] = {NOTE("a/1", 1000), NOTE("a/2", 100)};
	struct sp_gossip_range out[4];
	struct sp_gossip_session s;
	size_t n;

	sp_gossip_session_init(&s, 8);
	sp_gossip_session_depth(&s, 3, 100);
	/* one range per log per message: a WANT lists each log once */
	assert_int_equal(sp_gossip_session_wants(&s, ours, 2, peer, 2, out, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].from, 0);
	assert_int_equal(out[0].to, 100);
	assert_int_equal(out[1].from, 95); /* the peer's size bounds the chunk */
	assert_int_equal(out[1].to, 100);
	assert_int_equal(sp_gossip_session_wants(&s, ours, 2, peer, 2, out, 4, &n), 0);
	assert_int_equal(n, 1); /* a/2 has nothing more to ask */
	assert_int_equal(out[0].from, 100);
	assert_int_equal(out[0].to, 200);
	assert_int_equal(sp_gossip_session_wants(&s, ours, 2, peer, 2, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].from, 200);
	assert_int_equal(sp_gossip_session_wants(&s, ours, 2, peer, 2, out, 4, &n), 0);
	assert_int_equal(n, 0); /* depth 3 reached */
	/* answers match the earliest range; a later start is out of order */
	assert_int_equal(sp_gossip_session_answered(&s, "a/1", 3, 100, 100), SP_ERR_RANGE);
	sp_gossip_session_init(&s, 8);
	sp_gossip_session_depth(&s, 3, 100);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sp_gossip_session_wants(&s, ours, 1, peer, 1, out, 4, &n), 0);
	assert_int_equal(s.npending, 3);
	assert_int_equal(sp_gossip_session_answered(&s, "a/1", 3, 0, 100), 0);
	ours[0].size = 100; /* received, being verified */
	assert_int_equal(sp_gossip_session_wants(&s, ours, 1, peer, 1, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].from, 300); /* after the last outstanding range */
	/* a short answer: [100, 200) came back with 60; the later two are stale */
	assert_int_equal(sp_gossip_session_answered(&s, "a/1", 3, 100, 60), 0);
	ours[0].size = 160;
	assert_int_equal(sp_gossip_session_wants(&s, ours, 1, peer, 1, out, 4, &n), 0);
	assert_int_equal(n, 0); /* not until the stale answers are in */
	assert_int_equal(sp_gossip_session_answered(&s, "a/1", 3, 200, 100), SP_ERR_GAP);
	assert_int_equal(sp_gossip_session_answered(&s, "a/1", 3, 300, 100), SP_ERR_GAP);
	assert_int_equal(s.npending, 0);
	assert_int_equal(sp_gossip_session_wants(&s, ours, 1, peer, 1, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].from, 160); /* the hole, asked again */
	assert_int_equal(out[0].to, 260);
	/* depth is bounded by the window */
	sp_gossip_session_depth(&s, 100, 0);
	assert_int_equal(s.depth, 8);
	assert_int_equal(s.chunk, 1);
}

static void test_session_offers(void **state)
{
	struct sp_gossip_note ours[3] = {NOTE("a/1", 9), NOTE("a/2", 3), NOTE("a/4", 7)};
	struct sp_gossip_note peer[3] = {NOTE("a/1", 4), NOTE("a/2", 3), NOTE("a/3", 1)};
	struct sp_gossip_range out[3], want;
	uint64_t from, to;
	size_t n;

	assert_int_equal(sp_gossip_session_offers(ours, 3, peer, 3, out, 3, &n), 0);
	assert_int_equal(n, 1); /* a/4 is not in the peer's set: no interest */
	assert_int_equal(out[0].from, 4);
	assert_int_equal(out[0].to, 9);
	want = (struct sp_gossip_range){"a/1", 3, 4, 100};
	sp_gossip_serve_range(&want, 9, &from, &to);
	assert_int_equal(from, 4);
	assert_int_equal(to, 9);
	want.from = 12;
	sp_gossip_serve_range(&want, 9, &from, &to);
	assert_int_equal(from, to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_wire_bytes),
	    cmocka_unit_test(test_pack_many),
	    cmocka_unit_test(test_pack_max_entry),
	    cmocka_unit_test(test_pack_notes),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_evidence),
	    cmocka_unit_test(test_entries_checkpoint),
	    cmocka_unit_test(test_auth_exchange),
	    cmocka_unit_test(test_auth_replay_relay),
	    cmocka_unit_test(test_attach_check),
	    cmocka_unit_test(test_notes_delta),
	    cmocka_unit_test(test_session_notes_rule),
	    cmocka_unit_test(test_session_window),
	    cmocka_unit_test(test_session_depth),
	    cmocka_unit_test(test_session_offers),
	};

	if (sodium_init() < 0)
		return 1;
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

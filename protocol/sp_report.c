/*
 * sp_report.c - report, action and escalation bodies, sealing, officer
 * and reporter proofs (formats in sp_report.h), and, in the second half,
 * the state of a report computed from its trail, so the rules and the
 * formats they read stay side by side.
 *
 * Every parser first runs sp_cbor_validate over the whole body, so CBOR
 * faults win over field checks and the field readers below may assume a
 * well-formed, deterministic item.
 */
#include "sp_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_err.h"

#define ACT_DOMAIN_LEN (sizeof(SP_REPORT_ACT_DOMAIN) - 1)
#define SEAL_AD_LEN (sizeof(SP_REPORT_SEAL_AD) - 1)
#define TITLE_MAX 256
#define SHORT_TEXT_MAX 64
#define MEDIA_MAX 127
#define POLICY_MAX 365
#define TIER_DEPTH_MAX 16 /* parent_of walks at most this far */

/* ---- small readers and writers ---------------------------------------- */

/* read_str reads a text string of min..max bytes. */
static int read_str(struct sp_cbor_reader *r, struct sp_str *s, size_t min, size_t max)
{
	int err = sp_cbor_read_text(r, &s->p, &s->n);

	if (err)
		return err;
	return s->n < min || s->n > max ? SP_ERR_REPORT_FIELD : 0;
}

/* read_fixed reads a byte string of exactly n bytes; another length is a
 * report field error. */
static int read_fixed(struct sp_cbor_reader *r, uint8_t *dst, size_t n)
{
	return sp_cbor_read_fixed(r, dst, n, SP_ERR_REPORT_FIELD);
}

static int read_range(struct sp_cbor_reader *r, uint64_t lo, uint64_t hi, uint32_t *v)
{
	uint64_t x;
	int err = sp_cbor_read_uint(r, &x);

	if (err)
		return err;
	if (x < lo || x > hi)
		return SP_ERR_REPORT_FIELD;
	*v = (uint32_t)x;
	return 0;
}

/* read_count reads an array head of 1..max elements. */
static int read_count(struct sp_cbor_reader *r, uint64_t max, size_t *n)
{
	uint64_t c;
	int err = sp_cbor_read_array(r, &c);

	if (err)
		return err;
	if (c == 0 || c > max)
		return SP_ERR_REPORT_FIELD;
	*n = (size_t)c;
	return 0;
}

/* str_cmp orders strings bytewise, a prefix first: the order of lists of
 * institution ids, so each list has one encoding. */
static int str_cmp(struct sp_str a, struct sp_str b)
{
	int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);

	if (c)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

static struct sp_str cstr(const char *s)
{
	struct sp_str x = {s, s ? strlen(s) : 0};
	return x;
}

static int str_eq(struct sp_str a, const char *b)
{
	return a.p && strlen(b) == a.n && memcmp(a.p, b, a.n) == 0;
}

static void put_str(struct sp_buf *b, struct sp_str s)
{
	sp_cbor_put_text(b, s.p, s.n);
}

/* read_inst reads an institution id. */
static int read_inst(struct sp_cbor_reader *r, struct sp_str *s)
{
	return read_str(r, s, 1, SP_INST_ID_MAX);
}

/* read_keys reads [[inst, boxed], ...], ids strictly ascending. */
static int read_keys(struct sp_cbor_reader *r, struct sp_report_key *keys, size_t *n)
{
	int err = read_count(r, SP_REPORT_MAX_KEYS, n);

	for (size_t i = 0; err == 0 && i < *n; i++) {
		uint64_t pair;

		if ((err = sp_cbor_read_array(r, &pair)) != 0)
			break;
		if (pair != 2)
			return SP_ERR_REPORT_FIELD;
		if ((err = read_inst(r, &keys[i].inst)) != 0)
			break;
		if (i > 0 && str_cmp(keys[i - 1].inst, keys[i].inst) >= 0)
			return SP_ERR_REPORT_FIELD;
		err = read_fixed(r, keys[i].boxed, SP_REPORT_BOX_BYTES);
	}
	return err;
}

static void put_keys(struct sp_buf *b, const struct sp_report_key *keys, size_t n)
{
	sp_cbor_put_array(b, n);
	for (size_t i = 0; i < n; i++) {
		sp_cbor_put_array(b, 2);
		put_str(b, keys[i].inst);
		sp_cbor_put_bytes(b, keys[i].boxed, SP_REPORT_BOX_BYTES);
	}
}

/* map_begin validates the whole buffer, then reads the top map head. */
static int map_begin(struct sp_cbor_reader *r, const uint8_t *buf, size_t len, uint64_t *count)
{
	int err;

	if (buf == NULL)
		return SP_ERR_ARG;
	err = sp_cbor_validate(buf, len);
	if (err)
		return err;
	sp_cbor_reader_init(r, buf, len);
	return sp_cbor_read_map(r, count);
}

/* A field reader for one key of a map; sets nothing else. */
typedef int (*field_fn)(struct sp_cbor_reader *r, uint64_t key, void *obj);

/* read_map_fields reads `count` pairs, calling fn for each key (< 32) and
 * returning the set of keys seen. */
static int read_map_fields(struct sp_cbor_reader *r, uint64_t count, field_fn fn, void *obj,
			   uint32_t *seen)
{
	int64_t prev = SP_CBOR_NO_KEY;
	uint64_t key;
	int err;

	*seen = 0;
	for (uint64_t i = 0; i < count; i++) {
		if ((err = sp_cbor_read_key(r, &prev, &key)) != 0)
			return err;
		if (key >= 32)
			return SP_ERR_REPORT_FIELD;
		if ((err = fn(r, key, obj)) != 0)
			return err;
		*seen |= 1u << key;
	}
	return 0;
}

/* finish hands out the buffer, after checking it parses back with check. */
typedef int (*check_fn)(const uint8_t *buf, size_t len);

static int finish(struct sp_buf *b, check_fn check, uint8_t **out, size_t *out_len)
{
	int err;

	*out = sp_buf_take(b, out_len);
	if (*out == NULL)
		return b->err ? b->err : SP_ERR_INTERNAL;
	err = check(*out, *out_len);
	if (err) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	return err;
}

#define BIT(k) (1u << (k))

/* ---- sealed envelope --------------------------------------------------- */

enum { E_NONCE, E_CT, E_KEYS, E_COUNT };

static int sealed_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report_sealed *s = obj;

	switch (key) {
	case E_NONCE:
		return read_fixed(r, s->nonce, SP_REPORT_NONCE_BYTES);
	case E_CT: {
		int err = sp_cbor_read_bytes(r, &s->ct, &s->ct_len);

		if (err)
			return err;
		return s->ct_len < crypto_aead_xchacha20poly1305_ietf_ABYTES ? SP_ERR_REPORT_FIELD
									     : 0;
	}
	case E_KEYS:
		return read_keys(r, s->keys, &s->n_keys);
	}
	return SP_ERR_REPORT_FIELD;
}

static int read_sealed(struct sp_cbor_reader *r, struct sp_report_sealed *s)
{
	uint64_t count;
	uint32_t seen;
	int err = sp_cbor_read_map(r, &count);

	if (err)
		return err;
	err = read_map_fields(r, count, sealed_field, s, &seen);
	if (err)
		return err;
	return seen == BIT(E_NONCE) + BIT(E_CT) + BIT(E_KEYS) ? 0 : SP_ERR_REPORT_FIELD;
}

static void put_sealed(struct sp_buf *b, const struct sp_report_sealed *s)
{
	sp_cbor_put_map(b, E_COUNT);
	sp_cbor_put_uint(b, E_NONCE);
	sp_cbor_put_bytes(b, s->nonce, SP_REPORT_NONCE_BYTES);
	sp_cbor_put_uint(b, E_CT);
	sp_cbor_put_bytes(b, s->ct, s->ct_len);
	sp_cbor_put_uint(b, E_KEYS);
	put_keys(b, s->keys, s->n_keys);
}

/* ---- SP_EV_REPORT ------------------------------------------------------ */

enum {
	R_KIND, R_VIS, R_CATEGORY, R_REGION, R_TITLE, R_CONTENT, R_SEALED, R_ROUTED, R_RULE,
	R_REPORTER_KEY, R_TRACKING, R_ATTACH, R_CHANNEL, R_POLICY, R_COUNT_
};

static int read_attach(struct sp_cbor_reader *r, struct sp_report *rep)
{
	int err = read_count(r, SP_REPORT_MAX_ATTACH, &rep->n_attach);

	for (size_t i = 0; err == 0 && i < rep->n_attach; i++) {
		struct sp_report_attachment *a = &rep->attach[i];
		uint64_t three;

		if ((err = sp_cbor_read_array(r, &three)) != 0)
			break;
		if (three != 3)
			return SP_ERR_REPORT_FIELD;
		if ((err = read_fixed(r, a->sha256, SP_HASH_BYTES)) != 0)
			break;
		if ((err = sp_cbor_read_uint(r, &a->size)) != 0)
			break;
		if (a->size == 0)
			return SP_ERR_REPORT_FIELD;
		err = read_str(r, &a->media_type, 1, MEDIA_MAX);
	}
	return err;
}

static int read_policy(struct sp_cbor_reader *r, struct sp_report_policy *p)
{
	uint64_t four;
	int err = sp_cbor_read_array(r, &four);

	if (err)
		return err;
	if (four != 4)
		return SP_ERR_REPORT_FIELD;
	if ((err = read_range(r, 1, POLICY_MAX, &p->verify_wd)) != 0 ||
	    (err = read_range(r, 1, POLICY_MAX, &p->answer_wd)) != 0 ||
	    (err = read_range(r, 1, POLICY_MAX, &p->window_wd)) != 0)
		return err;
	return read_range(r, 1, POLICY_MAX, &p->ceiling_days);
}

static int report_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report *rep = obj;
	uint32_t v;
	int err;

	switch (key) {
	case R_KIND:
		err = read_range(r, 0, SP_REPORT_INFORMASI, &v);
		rep->kind = (enum sp_report_kind)v;
		return err;
	case R_VIS:
		err = read_range(r, 0, SP_REPORT_RAHASIA, &v);
		rep->vis = (enum sp_report_vis)v;
		return err;
	case R_CATEGORY: return read_str(r, &rep->category, 1, SHORT_TEXT_MAX);
	case R_REGION: return read_str(r, &rep->region, 1, SP_INST_ID_MAX);
	case R_TITLE: return read_str(r, &rep->title, 1, TITLE_MAX);
	case R_CONTENT: return read_str(r, &rep->content, 1, SP_REPORT_TEXT_MAX);
	case R_SEALED: rep->has_sealed = 1; return read_sealed(r, &rep->sealed);
	case R_ROUTED: return read_inst(r, &rep->routed_to);
	case R_RULE: rep->has_rule = 1; return read_fixed(r, rep->rule, SP_HASH_BYTES);
	case R_REPORTER_KEY:
		rep->has_reporter_key = 1;
		return read_fixed(r, rep->reporter_key, SP_KEY_BYTES);
	case R_TRACKING: rep->has_tracking = 1; return read_fixed(r, rep->tracking, SP_HASH_BYTES);
	case R_ATTACH: return read_attach(r, rep);
	case R_CHANNEL: return read_str(r, &rep->channel, 1, SHORT_TEXT_MAX / 2);
	case R_POLICY: rep->has_policy = 1; return read_policy(r, &rep->policy);
	}
	return SP_ERR_REPORT_FIELD;
}

/* report_consistent: the rules that span several keys. */
static int report_consistent(uint32_t seen, const struct sp_report *rep)
{
	const uint32_t need = BIT(R_KIND) | BIT(R_VIS) | BIT(R_CATEGORY) | BIT(R_REGION) |
			      BIT(R_ROUTED) | BIT(R_CHANNEL);
	const uint32_t clear = BIT(R_TITLE) | BIT(R_CONTENT);

	if ((seen & need) != need)
		return SP_ERR_REPORT_FIELD;
	if (rep->has_reporter_key == rep->has_tracking)
		return SP_ERR_REPORT_FIELD; /* exactly one reporter proof */
	if (rep->vis == SP_REPORT_RAHASIA)
		return (seen & clear) == 0 && rep->has_sealed ? 0 : SP_ERR_REPORT_FIELD;
	return (seen & clear) == clear ? 0 : SP_ERR_REPORT_FIELD;
}

int sp_report_parse(const uint8_t *body, size_t len, struct sp_report *r)
{
	struct sp_cbor_reader rd;
	struct sp_report tmp;
	uint64_t count;
	uint32_t seen;
	int err;

	if (r == NULL)
		return SP_ERR_ARG;
	memset(&tmp, 0, sizeof(tmp));
	err = map_begin(&rd, body, len, &count);
	if (err == 0)
		err = read_map_fields(&rd, count, report_field, &tmp, &seen);
	if (err == 0)
		err = report_consistent(seen, &tmp);
	if (err == 0)
		*r = tmp;
	return err;
}

static int check_report(const uint8_t *buf, size_t len)
{
	struct sp_report r;
	return sp_report_parse(buf, len, &r);
}

/* report_count counts the pairs sp_report_encode will write. */
static uint64_t report_count(const struct sp_report *r)
{
	return 6 + (r->title.p != NULL) + (r->content.p != NULL) + r->has_sealed + r->has_rule +
	       r->has_reporter_key + r->has_tracking + (r->n_attach > 0) + r->has_policy;
}

static void put_report_head(struct sp_buf *b, const struct sp_report *r)
{
	sp_cbor_put_map(b, report_count(r));
	sp_cbor_put_uint(b, R_KIND);
	sp_cbor_put_uint(b, r->kind);
	sp_cbor_put_uint(b, R_VIS);
	sp_cbor_put_uint(b, r->vis);
	sp_cbor_put_uint(b, R_CATEGORY);
	put_str(b, r->category);
	sp_cbor_put_uint(b, R_REGION);
	put_str(b, r->region);
	if (r->title.p) {
		sp_cbor_put_uint(b, R_TITLE);
		put_str(b, r->title);
	}
	if (r->content.p) {
		sp_cbor_put_uint(b, R_CONTENT);
		put_str(b, r->content);
	}
	if (r->has_sealed) {
		sp_cbor_put_uint(b, R_SEALED);
		put_sealed(b, &r->sealed);
	}
}

static void put_report_tail(struct sp_buf *b, const struct sp_report *r)
{
	sp_cbor_put_uint(b, R_ROUTED);
	put_str(b, r->routed_to);
	if (r->has_rule) {
		sp_cbor_put_uint(b, R_RULE);
		sp_cbor_put_bytes(b, r->rule, SP_HASH_BYTES);
	}
	if (r->has_reporter_key) {
		sp_cbor_put_uint(b, R_REPORTER_KEY);
		sp_cbor_put_bytes(b, r->reporter_key, SP_KEY_BYTES);
	}
	if (r->has_tracking) {
		sp_cbor_put_uint(b, R_TRACKING);
		sp_cbor_put_bytes(b, r->tracking, SP_HASH_BYTES);
	}
	if (r->n_attach) {
		sp_cbor_put_uint(b, R_ATTACH);
		sp_cbor_put_array(b, r->n_attach);
		for (size_t i = 0; i < r->n_attach; i++) {
			sp_cbor_put_array(b, 3);
			sp_cbor_put_bytes(b, r->attach[i].sha256, SP_HASH_BYTES);
			sp_cbor_put_uint(b, r->attach[i].size);
			put_str(b, r->attach[i].media_type);
		}
	}
	sp_cbor_put_uint(b, R_CHANNEL);
	put_str(b, r->channel);
	if (r->has_policy) {
		sp_cbor_put_uint(b, R_POLICY);
		sp_cbor_put_array(b, 4);
		sp_cbor_put_uint(b, r->policy.verify_wd);
		sp_cbor_put_uint(b, r->policy.answer_wd);
		sp_cbor_put_uint(b, r->policy.window_wd);
		sp_cbor_put_uint(b, r->policy.ceiling_days);
	}
}

int sp_report_encode(const struct sp_report *r, uint8_t **out, size_t *out_len)
{
	struct sp_buf b;

	if (r == NULL || out == NULL || out_len == NULL || r->n_attach > SP_REPORT_MAX_ATTACH ||
	    (r->has_sealed && r->sealed.n_keys > SP_REPORT_MAX_KEYS))
		return SP_ERR_ARG;
	sp_buf_init(&b);
	put_report_head(&b, r);
	put_report_tail(&b, r);
	return finish(&b, check_report, out, out_len);
}

/* ---- private map ------------------------------------------------------- */

static int private_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report_private *p = obj;

	switch (key) {
	case 0: return read_str(r, &p->title, 1, TITLE_MAX);
	case 1: return read_str(r, &p->content, 1, SP_REPORT_TEXT_MAX);
	case 2: return read_str(r, &p->name, 1, TITLE_MAX);
	case 3: return read_str(r, &p->contact, 1, TITLE_MAX);
	}
	return SP_ERR_REPORT_FIELD;
}

int sp_report_private_parse(const uint8_t *buf, size_t len, struct sp_report_private *p)
{
	struct sp_cbor_reader r;
	uint64_t count;
	uint32_t seen;
	int err;

	if (p == NULL)
		return SP_ERR_ARG;
	memset(p, 0, sizeof(*p));
	err = map_begin(&r, buf, len, &count);
	if (err == 0)
		err = read_map_fields(&r, count, private_field, p, &seen);
	/* An envelope with nothing in it has no reason to exist. */
	if (err == 0 && seen == 0)
		err = SP_ERR_REPORT_FIELD;
	return err;
}

static int check_private(const uint8_t *buf, size_t len)
{
	struct sp_report_private p;
	return sp_report_private_parse(buf, len, &p);
}

int sp_report_private_encode(const struct sp_report_private *p, uint8_t **out, size_t *out_len)
{
	const struct sp_str *f[4];
	struct sp_buf b;
	uint64_t n = 0;

	if (p == NULL || out == NULL || out_len == NULL)
		return SP_ERR_ARG;
	f[0] = &p->title, f[1] = &p->content, f[2] = &p->name, f[3] = &p->contact;
	for (int i = 0; i < 4; i++)
		n += f[i]->p != NULL;
	sp_buf_init(&b);
	sp_cbor_put_map(&b, n);
	for (int i = 0; i < 4; i++) {
		if (f[i]->p) {
			sp_cbor_put_uint(&b, (uint64_t)i);
			put_str(&b, *f[i]);
		}
	}
	return finish(&b, check_private, out, out_len);
}

/* ---- SP_EV_ACTION ------------------------------------------------------ */

enum { A_REPORT, A_CODE, A_ISSUED, A_TARGETS, A_REASON, A_TEXT, A_RATING, A_MERGE, A_KEYS };
enum { B_ACT, B_OFFICER, B_OFFICER_SIG, B_REPORTER_SIG, B_SECRET };

/* Which optional act keys each code requires and allows. */
struct act_rule {
	uint32_t need, allow;
	uint32_t reason_lo, reason_hi;
};

static const struct act_rule act_rules[SP_ACT_MAX_ + 1] = {
	[SP_ACT_VERIFIKASI] = {0, BIT(A_TEXT) | BIT(A_KEYS), 0, 0},
	[SP_ACT_TUNDA] = {BIT(A_REASON), BIT(A_REASON) | BIT(A_TEXT), 1, 2},
	[SP_ACT_ARSIP] = {BIT(A_REASON), BIT(A_REASON) | BIT(A_TEXT), 10, 13},
	[SP_ACT_DISPOSISI] = {BIT(A_TARGETS), BIT(A_TARGETS) | BIT(A_TEXT) | BIT(A_KEYS), 0, 0},
	[SP_ACT_BUKAN_WEWENANG] = {BIT(A_REASON), BIT(A_REASON) | BIT(A_TEXT), 20, 22},
	[SP_ACT_TINDAK_LANJUT] = {BIT(A_TEXT), BIT(A_TEXT), 0, 0},
	[SP_ACT_AMBIL_ALIH] = {0, BIT(A_TEXT) | BIT(A_KEYS), 0, 0},
	[SP_ACT_GABUNG] = {BIT(A_MERGE), BIT(A_MERGE) | BIT(A_TEXT), 0, 0},
	[SP_ACT_BALAS] = {BIT(A_TEXT), BIT(A_TEXT), 0, 0},
	[SP_ACT_SELESAI] = {0, BIT(A_TEXT), 0, 0},
	[SP_ACT_BUKA_KEMBALI] = {0, BIT(A_TEXT), 0, 0},
	[SP_ACT_NILAI] = {BIT(A_RATING), BIT(A_RATING) | BIT(A_TEXT), 0, 0},
};

static int read_targets(struct sp_cbor_reader *r, struct sp_report_action *a)
{
	int err = read_count(r, SP_REPORT_MAX_TARGETS, &a->n_targets);

	for (size_t i = 0; err == 0 && i < a->n_targets; i++) {
		err = read_inst(r, &a->targets[i]);
		if (err == 0 && i > 0 && str_cmp(a->targets[i - 1], a->targets[i]) >= 0)
			err = SP_ERR_REPORT_FIELD;
	}
	return err;
}

static int act_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report_action *a = obj;

	switch (key) {
	case A_REPORT: return read_fixed(r, a->report, SP_HASH_BYTES);
	case A_CODE: return read_range(r, 1, SP_ACT_MAX_, &a->code);
	case A_ISSUED: return sp_cbor_read_uint(r, &a->issued_ms);
	case A_TARGETS: return read_targets(r, a);
	case A_REASON: return read_range(r, 1, UINT32_MAX, &a->reason);
	case A_TEXT: return read_str(r, &a->text, 1, SP_REPORT_TEXT_MAX);
	case A_RATING: return read_range(r, 1, 5, &a->rating);
	case A_MERGE: a->has_merge = 1; return read_fixed(r, a->merge_into, SP_HASH_BYTES);
	case A_KEYS: return read_keys(r, a->keys, &a->n_keys);
	}
	return SP_ERR_REPORT_FIELD;
}

static int act_consistent(uint32_t seen, const struct sp_report_action *a)
{
	const uint32_t base = BIT(A_REPORT) | BIT(A_CODE) | BIT(A_ISSUED);
	const struct act_rule *rule;

	if ((seen & base) != base)
		return SP_ERR_REPORT_FIELD;
	rule = &act_rules[a->code];
	seen &= ~base;
	if ((seen & rule->need) != rule->need || (seen & ~rule->allow) != 0)
		return SP_ERR_REPORT_FIELD;
	if (rule->reason_hi && (a->reason < rule->reason_lo || a->reason > rule->reason_hi))
		return SP_ERR_REPORT_FIELD;
	/* A report merged into itself would vanish. */
	if (a->has_merge && memcmp(a->merge_into, a->report, SP_HASH_BYTES) == 0)
		return SP_ERR_REPORT_FIELD;
	return 0;
}

/* read_act reads the act map and records its exact span for the signature. */
static int read_act(struct sp_cbor_reader *r, struct sp_report_action *a)
{
	size_t start = r->pos;
	uint64_t count;
	uint32_t seen;
	int err = sp_cbor_read_map(r, &count);

	if (err == 0)
		err = read_map_fields(r, count, act_field, a, &seen);
	if (err == 0)
		err = act_consistent(seen, a);
	a->act = r->buf + start;
	a->act_len = r->pos - start;
	return err;
}

static int action_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report_action *a = obj;

	switch (key) {
	case B_ACT: return read_act(r, a);
	case B_OFFICER: return read_fixed(r, a->officer, SP_KEY_BYTES);
	case B_OFFICER_SIG:
	case B_REPORTER_SIG: return read_fixed(r, a->sig, SP_SIG_BYTES);
	case B_SECRET: return read_fixed(r, a->secret, SP_REPORT_SECRET_BYTES);
	}
	return SP_ERR_REPORT_FIELD;
}

static int action_actor(uint32_t seen, struct sp_report_action *a)
{
	if (seen == (BIT(B_ACT) | BIT(B_OFFICER) | BIT(B_OFFICER_SIG)))
		a->actor = SP_ACTOR_OFFICER;
	else if (seen == (BIT(B_ACT) | BIT(B_REPORTER_SIG)))
		a->actor = SP_ACTOR_REPORTER_SIG;
	else if (seen == (BIT(B_ACT) | BIT(B_SECRET)))
		a->actor = SP_ACTOR_REPORTER_SECRET;
	else
		return SP_ERR_REPORT_FIELD;
	return 0;
}

int sp_report_action_parse(const uint8_t *body, size_t len, struct sp_report_action *a)
{
	struct sp_cbor_reader r;
	uint64_t count;
	uint32_t seen;
	int err;

	if (a == NULL)
		return SP_ERR_ARG;
	memset(a, 0, sizeof(*a));
	err = map_begin(&r, body, len, &count);
	if (err == 0)
		err = read_map_fields(&r, count, action_field, a, &seen);
	if (err == 0)
		err = action_actor(seen, a);
	return err;
}

static int check_action(const uint8_t *buf, size_t len)
{
	struct sp_report_action *a = malloc(sizeof(*a));
	int err;

	if (a == NULL)
		return SP_ERR_NOMEM;
	err = sp_report_action_parse(buf, len, a);
	free(a);
	return err;
}

static uint64_t act_count(const struct sp_report_action *a)
{
	return 3 + (a->n_targets > 0) + (a->reason != 0) + (a->text.p != NULL) +
	       (a->rating != 0) + (a->has_merge != 0) + (a->n_keys > 0);
}

/* put_act writes the act map: the bytes that officers and reporters sign. */
static void put_act(struct sp_buf *b, const struct sp_report_action *a)
{
	sp_cbor_put_map(b, act_count(a));
	sp_cbor_put_uint(b, A_REPORT);
	sp_cbor_put_bytes(b, a->report, SP_HASH_BYTES);
	sp_cbor_put_uint(b, A_CODE);
	sp_cbor_put_uint(b, a->code);
	sp_cbor_put_uint(b, A_ISSUED);
	sp_cbor_put_uint(b, a->issued_ms);
	if (a->n_targets) {
		sp_cbor_put_uint(b, A_TARGETS);
		sp_cbor_put_array(b, a->n_targets);
		for (size_t i = 0; i < a->n_targets; i++)
			put_str(b, a->targets[i]);
	}
	if (a->reason) {
		sp_cbor_put_uint(b, A_REASON);
		sp_cbor_put_uint(b, a->reason);
	}
	if (a->text.p) {
		sp_cbor_put_uint(b, A_TEXT);
		put_str(b, a->text);
	}
	if (a->rating) {
		sp_cbor_put_uint(b, A_RATING);
		sp_cbor_put_uint(b, a->rating);
	}
	if (a->has_merge) {
		sp_cbor_put_uint(b, A_MERGE);
		sp_cbor_put_bytes(b, a->merge_into, SP_HASH_BYTES);
	}
	if (a->n_keys) {
		sp_cbor_put_uint(b, A_KEYS);
		put_keys(b, a->keys, a->n_keys);
	}
}

/* act_message builds SP_REPORT_ACT_DOMAIN || act, the signed message. */
static void act_message(struct sp_buf *m, const uint8_t *act, size_t act_len)
{
	sp_buf_put(m, SP_REPORT_ACT_DOMAIN, ACT_DOMAIN_LEN);
	sp_buf_put(m, act, act_len);
}

/* sign_act encodes a's act into *act and signs it with sk into a->sig. */
static int sign_act(struct sp_report_action *a, const uint8_t *sk, struct sp_buf *act)
{
	struct sp_buf m;
	int err;

	if (a->n_targets > SP_REPORT_MAX_TARGETS || a->n_keys > SP_REPORT_MAX_KEYS)
		return SP_ERR_ARG;
	sp_buf_init(act);
	put_act(act, a);
	if (act->err)
		return act->err;
	if (sk == NULL)
		return 0;
	sp_buf_init(&m);
	act_message(&m, act->p, act->len);
	err = m.err;
	if (err == 0)
		crypto_sign_ed25519_detached(a->sig, NULL, m.p, m.len, sk);
	sp_buf_free(&m);
	return err;
}

/* build_body writes {0: act, proof...} for the actor already set in a. */
static int build_body(const struct sp_report_action *a, const struct sp_buf *act, uint8_t **out,
		      size_t *out_len)
{
	struct sp_buf b;

	sp_buf_init(&b);
	sp_cbor_put_map(&b, a->actor == SP_ACTOR_OFFICER ? 3 : 2);
	sp_cbor_put_uint(&b, B_ACT);
	sp_buf_put(&b, act->p, act->len);
	if (a->actor == SP_ACTOR_OFFICER) {
		sp_cbor_put_uint(&b, B_OFFICER);
		sp_cbor_put_bytes(&b, a->officer, SP_KEY_BYTES);
		sp_cbor_put_uint(&b, B_OFFICER_SIG);
		sp_cbor_put_bytes(&b, a->sig, SP_SIG_BYTES);
	} else if (a->actor == SP_ACTOR_REPORTER_SIG) {
		sp_cbor_put_uint(&b, B_REPORTER_SIG);
		sp_cbor_put_bytes(&b, a->sig, SP_SIG_BYTES);
	} else {
		sp_cbor_put_uint(&b, B_SECRET);
		sp_cbor_put_bytes(&b, a->secret, SP_REPORT_SECRET_BYTES);
	}
	return finish(&b, check_action, out, out_len);
}

int sp_report_action_build_officer(struct sp_report_action *a,
				   const uint8_t officer_sk[SP_SECRET_BYTES], uint8_t **out,
				   size_t *out_len)
{
	struct sp_buf act;
	int err;

	if (a == NULL || officer_sk == NULL || out == NULL || out_len == NULL)
		return SP_ERR_ARG;
	a->actor = SP_ACTOR_OFFICER;
	crypto_sign_ed25519_sk_to_pk(a->officer, officer_sk);
	err = sign_act(a, officer_sk, &act);
	if (err == 0)
		err = build_body(a, &act, out, out_len);
	sp_buf_free(&act);
	return err;
}

int sp_report_action_build_reporter(struct sp_report_action *a, const uint8_t *reporter_sk,
				    const uint8_t *secret, uint8_t **out, size_t *out_len)
{
	struct sp_buf act;
	int err;

	if (a == NULL || out == NULL || out_len == NULL || (reporter_sk == NULL) == (secret == NULL))
		return SP_ERR_ARG;
	if (secret) {
		a->actor = SP_ACTOR_REPORTER_SECRET;
		memcpy(a->secret, secret, SP_REPORT_SECRET_BYTES);
	} else {
		a->actor = SP_ACTOR_REPORTER_SIG;
	}
	err = sign_act(a, reporter_sk, &act);
	if (err == 0)
		err = build_body(a, &act, out, out_len);
	sp_buf_free(&act);
	return err;
}

/* verify_act checks sig over DOMAIN || act with key pk. */
static int verify_act(const struct sp_report_action *a, const uint8_t *pk)
{
	struct sp_buf m;
	int err;

	if (a->act == NULL)
		return SP_ERR_ARG;
	sp_buf_init(&m);
	act_message(&m, a->act, a->act_len);
	err = m.err;
	if (err == 0 && crypto_sign_ed25519_verify_detached(a->sig, m.p, m.len, pk) != 0)
		err = SP_ERR_BAD_SIGNATURE;
	sp_buf_free(&m);
	return err;
}

int sp_report_action_verify_officer(const struct sp_report_action *a)
{
	if (a == NULL)
		return SP_ERR_ARG;
	if (a->actor != SP_ACTOR_OFFICER)
		return SP_ERR_AUTHORITY;
	return verify_act(a, a->officer);
}

void sp_report_tracking_hash(const uint8_t secret[SP_REPORT_SECRET_BYTES],
			     uint8_t out[SP_HASH_BYTES])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)SP_REPORT_TRACK_DOMAIN,
				  sizeof(SP_REPORT_TRACK_DOMAIN) - 1);
	crypto_hash_sha256_update(&st, secret, SP_REPORT_SECRET_BYTES);
	crypto_hash_sha256_final(&st, out);
}

int sp_report_action_verify_reporter(const struct sp_report_action *a, const struct sp_report *r)
{
	uint8_t h[SP_HASH_BYTES];

	if (a == NULL || r == NULL)
		return SP_ERR_ARG;
	if (a->actor == SP_ACTOR_REPORTER_SIG) {
		if (!r->has_reporter_key)
			return SP_ERR_REPORTER_PROOF;
		return verify_act(a, r->reporter_key) ? SP_ERR_REPORTER_PROOF : 0;
	}
	if (a->actor != SP_ACTOR_REPORTER_SECRET)
		return SP_ERR_AUTHORITY;
	if (!r->has_tracking)
		return SP_ERR_REPORTER_PROOF;
	sp_report_tracking_hash(a->secret, h);
	return sodium_memcmp(h, r->tracking, SP_HASH_BYTES) == 0 ? 0 : SP_ERR_REPORTER_PROOF;
}

/* ---- SP_EV_ESCALATION -------------------------------------------------- */

enum { X_REPORT, X_STAGE, X_DEADLINE };

static int esc_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report_escalation *e = obj;

	switch (key) {
	case X_REPORT: return read_fixed(r, e->report, SP_HASH_BYTES);
	case X_STAGE: return read_range(r, SP_STAGE_VERIFY, SP_STAGE_CEILING, &e->stage);
	case X_DEADLINE: return sp_cbor_read_uint(r, &e->deadline_ms);
	}
	return SP_ERR_REPORT_FIELD;
}

int sp_report_esc_parse(const uint8_t *body, size_t len, struct sp_report_escalation *e)
{
	struct sp_cbor_reader r;
	uint64_t count;
	uint32_t seen;
	int err;

	if (e == NULL)
		return SP_ERR_ARG;
	memset(e, 0, sizeof(*e));
	err = map_begin(&r, body, len, &count);
	if (err == 0)
		err = read_map_fields(&r, count, esc_field, e, &seen);
	if (err == 0 && seen != (BIT(X_REPORT) | BIT(X_STAGE) | BIT(X_DEADLINE)))
		err = SP_ERR_REPORT_FIELD;
	return err;
}

static int check_esc(const uint8_t *buf, size_t len)
{
	struct sp_report_escalation e;
	return sp_report_esc_parse(buf, len, &e);
}

int sp_report_esc_encode(const struct sp_report_escalation *e, uint8_t **out, size_t *out_len)
{
	struct sp_buf b;

	if (e == NULL || out == NULL || out_len == NULL)
		return SP_ERR_ARG;
	sp_buf_init(&b);
	sp_cbor_put_map(&b, 3);
	sp_cbor_put_uint(&b, X_REPORT);
	sp_cbor_put_bytes(&b, e->report, SP_HASH_BYTES);
	sp_cbor_put_uint(&b, X_STAGE);
	sp_cbor_put_uint(&b, e->stage);
	sp_cbor_put_uint(&b, X_DEADLINE);
	sp_cbor_put_uint(&b, e->deadline_ms);
	return finish(&b, check_esc, out, out_len);
}

/* ---- sealing ----------------------------------------------------------- */

int sp_report_seal_key(const uint8_t key[SP_REPORT_CKEY_BYTES],
		       const struct sp_report_reader *reader, struct sp_report_key *out)
{
	if (key == NULL || reader == NULL || reader->inst == NULL || reader->x25519_pk == NULL ||
	    out == NULL)
		return SP_ERR_ARG;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	out->inst = cstr(reader->inst);
	if (out->inst.n == 0 || out->inst.n > SP_INST_ID_MAX)
		return SP_ERR_ARG;
	if (crypto_box_seal(out->boxed, key, SP_REPORT_CKEY_BYTES, reader->x25519_pk) != 0)
		return SP_ERR_INTERNAL;
	return 0;
}

/* sort_keys orders the copies by institution id (insertion sort: n <= 16)
 * and refuses an id given twice. */
static int sort_keys(struct sp_report_key *k, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sp_report_key t = k[i];
		size_t j = i;

		for (; j > 0 && str_cmp(k[j - 1].inst, t.inst) > 0; j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
	for (size_t i = 1; i < n; i++)
		if (str_cmp(k[i - 1].inst, k[i].inst) == 0)
			return SP_ERR_ARG;
	return 0;
}

static int seal_keys(const uint8_t *key, const struct sp_report_reader *readers, size_t n,
		     struct sp_report_sealed *s)
{
	int err = 0;

	for (size_t i = 0; err == 0 && i < n; i++)
		err = sp_report_seal_key(key, &readers[i], &s->keys[i]);
	s->n_keys = n;
	return err ? err : sort_keys(s->keys, n);
}

int sp_report_seal(const uint8_t *plain, size_t plain_len, const struct sp_report_reader *readers,
		   size_t n, struct sp_report_sealed *s, uint8_t **ct_out,
		   uint8_t key_out[SP_REPORT_CKEY_BYTES])
{
	uint8_t key[SP_REPORT_CKEY_BYTES];
	unsigned long long ct_len;
	uint8_t *ct;
	int err;

	if (plain == NULL || readers == NULL || n == 0 || n > SP_REPORT_MAX_KEYS || s == NULL ||
	    ct_out == NULL)
		return SP_ERR_ARG;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	memset(s, 0, sizeof(*s));
	ct = malloc(plain_len + crypto_aead_xchacha20poly1305_ietf_ABYTES);
	if (ct == NULL)
		return SP_ERR_NOMEM;
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	randombytes_buf(s->nonce, sizeof(s->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ct_len, plain, plain_len,
						   (const uint8_t *)SP_REPORT_SEAL_AD, SEAL_AD_LEN,
						   NULL, s->nonce, key);
	err = seal_keys(key, readers, n, s);
	if (err == 0 && key_out)
		memcpy(key_out, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	if (err) {
		free(ct);
		return err;
	}
	s->ct = ct;
	s->ct_len = (size_t)ct_len;
	*ct_out = ct;
	return 0;
}

int sp_report_open_key(const struct sp_report_key *keys, size_t n, const char *inst,
		       const uint8_t pk[SP_REPORT_X25519_BYTES],
		       const uint8_t sk[SP_REPORT_X25519_BYTES],
		       uint8_t key_out[SP_REPORT_CKEY_BYTES])
{
	if ((keys == NULL && n) || inst == NULL || pk == NULL || sk == NULL || key_out == NULL)
		return SP_ERR_ARG;
	for (size_t i = 0; i < n; i++) {
		if (!str_eq(keys[i].inst, inst))
			continue;
		if (crypto_box_seal_open(key_out, keys[i].boxed, SP_REPORT_BOX_BYTES, pk, sk) != 0)
			return SP_ERR_SEALED;
		return 0;
	}
	return SP_ERR_SEALED;
}

int sp_report_open(const struct sp_report_sealed *s, const uint8_t key[SP_REPORT_CKEY_BYTES],
		   uint8_t **plain, size_t *plain_len)
{
	unsigned long long n;
	uint8_t *p;

	if (s == NULL || s->ct == NULL || key == NULL || plain == NULL || plain_len == NULL ||
	    s->ct_len < crypto_aead_xchacha20poly1305_ietf_ABYTES)
		return SP_ERR_ARG;
	/* +1: malloc(0) may return NULL for an empty plaintext. */
	p = malloc(s->ct_len - crypto_aead_xchacha20poly1305_ietf_ABYTES + 1);
	if (p == NULL)
		return SP_ERR_NOMEM;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, &n, NULL, s->ct, s->ct_len,
						       (const uint8_t *)SP_REPORT_SEAL_AD,
						       SEAL_AD_LEN, s->nonce, key) != 0) {
		free(p);
		return SP_ERR_SEALED;
	}
	*plain = p;
	*plain_len = (size_t)n;
	return 0;
}

/* ---- sealed attachments ------------------------------------------------ */

#define ATTACH_AD_LEN (sizeof(SP_REPORT_ATTACH_AD) - 1)
_Static_assert(SP_REPORT_BLOB_OVERHEAD ==
		       SP_REPORT_NONCE_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES,
	       "blob overhead is the nonce and the AEAD tag");

/* blob_ad builds SP_REPORT_ATTACH_AD || media_type into a new buffer. */
static uint8_t *blob_ad(const char *media_type, size_t *len)
{
	size_t tl = strlen(media_type);
	uint8_t *ad = malloc(ATTACH_AD_LEN + tl);

	if (ad == NULL)
		return NULL;
	memcpy(ad, SP_REPORT_ATTACH_AD, ATTACH_AD_LEN);
	memcpy(ad + ATTACH_AD_LEN, media_type, tl);
	*len = ATTACH_AD_LEN + tl;
	return ad;
}

int sp_report_seal_blob(const uint8_t key[SP_REPORT_CKEY_BYTES], const char *media_type,
			const uint8_t *plain, size_t len, struct sp_buf *out)
{
	size_t ad_len = 0, n = SP_REPORT_BLOB_OVERHEAD + len;
	uint8_t *ad, *blob;

	if (key == NULL || media_type == NULL || (plain == NULL && len) || out == NULL)
		return SP_ERR_ARG;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	ad = blob_ad(media_type, &ad_len);
	blob = ad ? malloc(n) : NULL;
	if (blob == NULL) {
		free(ad);
		return SP_ERR_NOMEM;
	}
	randombytes_buf(blob, SP_REPORT_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + SP_REPORT_NONCE_BYTES, NULL, plain, len,
						   ad, ad_len, NULL, blob, key);
	sp_buf_put(out, blob, n);
	free(ad);
	free(blob);
	return out->err;
}

int sp_report_open_blob(const uint8_t key[SP_REPORT_CKEY_BYTES], const char *media_type,
			const uint8_t *blob, size_t len, uint8_t **plain, size_t *plain_len)
{
	unsigned long long n;
	size_t ad_len = 0;
	uint8_t *ad;
	int ok;

	if (key == NULL || media_type == NULL || blob == NULL || plain == NULL ||
	    plain_len == NULL)
		return SP_ERR_ARG;
	*plain = NULL;
	if (len < SP_REPORT_BLOB_OVERHEAD)
		return SP_ERR_SEALED;
	ad = blob_ad(media_type, &ad_len);
	/* +1: malloc(0) may return NULL for an empty file. */
	*plain = ad ? malloc(len - SP_REPORT_BLOB_OVERHEAD + 1) : NULL;
	if (*plain == NULL) {
		free(ad);
		return SP_ERR_NOMEM;
	}
	ok = crypto_aead_xchacha20poly1305_ietf_decrypt(
		     *plain, &n, NULL, blob + SP_REPORT_NONCE_BYTES, len - SP_REPORT_NONCE_BYTES, ad,
		     ad_len, blob, key) == 0;
	free(ad);
	if (!ok) {
		free(*plain);
		*plain = NULL;
		return SP_ERR_SEALED;
	}
	*plain_len = (size_t)n;
	return 0;
}

/* ---- open requests ---------------------------------------------------- */

#define OPEN_DOMAIN_LEN (sizeof(SP_REPORT_OPEN_DOMAIN) - 1)

/* open_message builds the signed message of q (docs in sp_report.h). */
static void open_message(struct sp_buf *m, const struct sp_report_open_req *q)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(q->issued_ms >> (56 - 8 * i));
	sp_buf_put(m, SP_REPORT_OPEN_DOMAIN, OPEN_DOMAIN_LEN);
	sp_buf_put(m, q->report, SP_HASH_BYTES);
	sp_buf_put(m, q->officer, SP_KEY_BYTES);
	sp_buf_put(m, be, sizeof(be));
	sp_buf_put(m, q->purpose.p, q->purpose.n);
}

static int purpose_ok(struct sp_str p)
{
	return p.p && p.n >= 1 && p.n <= SP_REPORT_PURPOSE_MAX && memchr(p.p, 0, p.n) == NULL;
}

int sp_report_open_req_sign(struct sp_report_open_req *q,
			    const uint8_t officer_sk[SP_SECRET_BYTES])
{
	struct sp_buf m;
	int err;

	if (q == NULL || officer_sk == NULL)
		return SP_ERR_ARG;
	if (!purpose_ok(q->purpose))
		return SP_ERR_REPORT_FIELD;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	crypto_sign_ed25519_sk_to_pk(q->officer, officer_sk);
	sp_buf_init(&m);
	open_message(&m, q);
	err = m.err;
	if (err == 0)
		crypto_sign_ed25519_detached(q->sig, NULL, m.p, m.len, officer_sk);
	sp_buf_free(&m);
	return err;
}

int sp_report_open_req_verify(const struct sp_report_open_req *q, uint64_t now_ms,
			      uint64_t window_ms)
{
	struct sp_buf m;
	int err;

	if (q == NULL)
		return SP_ERR_ARG;
	if (!purpose_ok(q->purpose))
		return SP_ERR_REPORT_FIELD;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	sp_buf_init(&m);
	open_message(&m, q);
	err = m.err;
	if (err == 0 && crypto_sign_ed25519_verify_detached(q->sig, m.p, m.len, q->officer) != 0)
		err = SP_ERR_BAD_SIGNATURE;
	sp_buf_free(&m);
	if (err == 0 && (q->issued_ms > now_ms ? q->issued_ms - now_ms : now_ms - q->issued_ms) >
				window_ms)
		err = SP_ERR_REPLAY;
	return err;
}

/* ---- names and defaults ------------------------------------------------ */

const char *sp_report_status_name(int status)
{
	static const char *const names[] = {
		"diterima", "diverifikasi", "tunda", "diarsipkan", "didisposisikan",
		"ditindaklanjuti", "selesai", "digabung",
	};

	if (status < 0 || status >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[status];
}

const char *sp_report_act_name(int code)
{
	static const char *const names[] = {
		"?", "verifikasi", "tunda", "arsip", "disposisi", "bukan_wewenang",
		"tindak_lanjut", "ambil_alih", "gabung", "balas", "selesai", "buka_kembali",
		"nilai",
	};

	if (code < 0 || code > SP_ACT_MAX_)
		return "?";
	return names[code];
}

struct sp_report_policy sp_report_default_policy(void)
{
	struct sp_report_policy p = {3, 5, 10, 60};
	return p;
}

/* ---- state from the trail ---------------------------------------------- */

/* One computation: the inputs every rule reads. */
struct run {
	const struct sp_report_ctx *ctx;
	struct sp_report_state *st;
};

/* A trail entry with its position in the caller's array. */
struct ordered {
	const struct sp_report_trail *t;
	size_t i;
};

/* by_order: (time, institution id, index); equal keys (an entry passed
 * twice) by their bytes, so any input order gives the same sequence. */
static int by_order(const void *pa, const void *pb)
{
	const struct sp_report_trail *a = ((const struct ordered *)pa)->t;
	const struct sp_report_trail *b = ((const struct ordered *)pb)->t;
	int c;

	if (a->time_ms != b->time_ms)
		return a->time_ms < b->time_ms ? -1 : 1;
	c = strcmp(a->inst, b->inst);
	if (c)
		return c;
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	if (a->body_len != b->body_len)
		return a->body_len < b->body_len ? -1 : 1;
	return a->body_len ? memcmp(a->body, b->body, a->body_len) : 0;
}

/* ---- holders ---- */

static int holder_span(const struct sp_report_state *st, const char *inst)
{
	for (size_t i = 0; i < st->n_spans; i++)
		if (st->spans[i].open && strcmp(st->spans[i].inst, inst) == 0)
			return (int)i;
	return -1;
}

static size_t open_count(const struct sp_report_state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_spans; i++)
		n += (size_t)st->spans[i].open;
	return n;
}

static int open_span(struct sp_report_state *st, struct sp_str inst, uint64_t t, int from)
{
	struct sp_report_span *sp;

	if ((st->n_spans & (st->n_spans - 1)) == 0) { /* grow at powers of two */
		size_t cap = st->n_spans ? st->n_spans * 2 : 4;

		sp = realloc(st->spans, cap * sizeof(*sp));
		if (sp == NULL)
			return SP_ERR_NOMEM;
		st->spans = sp;
	}
	sp = &st->spans[st->n_spans++];
	memset(sp, 0, sizeof(*sp));
	memcpy(sp->inst, inst.p, inst.n);
	sp->start_ms = t;
	sp->open = 1;
	sp->from = from;
	return 0;
}

static void close_span(struct sp_report_state *st, int i, uint64_t t)
{
	st->spans[i].open = 0;
	st->spans[i].end_ms = t;
}

static void close_all(struct sp_report_state *st, uint64_t t)
{
	for (size_t i = 0; i < st->n_spans; i++)
		if (st->spans[i].open)
			close_span(st, (int)i, t);
}

/* ---- deadlines ---- */

static uint64_t add_wd(const struct run *run, uint64_t from, uint32_t n)
{
	uint64_t d;

	/* n is at most 365 (checked), so this cannot fail. */
	if (sp_cal_add_working_days(run->ctx->cal, from, n, &d) != 0)
		return UINT64_MAX;
	return d;
}

static uint64_t window_end(const struct run *run)
{
	return add_wd(run, run->st->answered_ms, run->st->policy.window_wd);
}

/* deadline computes the deadline in force for the current state. VERIFY
 * runs while a holder has not verified; ANSWER from verification,
 * forwarding, a return, a take-over, a resume or a reopening; the
 * ceiling from submission until an answer; tunda stops all but the
 * ceiling; after an answer only the reporter's window runs. */
static void deadline(const struct run *run, enum sp_report_stage *stage, uint64_t *at)
{
	const struct sp_report_state *st = run->st;
	uint64_t ceiling = st->submitted_ms + (uint64_t)st->policy.ceiling_days * SP_CAL_DAY_MS;

	*stage = SP_STAGE_NONE;
	*at = 0;
	switch (st->status) {
	case SP_ST_DITERIMA:
		*stage = SP_STAGE_VERIFY;
		*at = add_wd(run, st->stage_from_ms, st->policy.verify_wd);
		break;
	case SP_ST_DIVERIFIKASI:
	case SP_ST_DIDISPOSISIKAN:
		*stage = SP_STAGE_ANSWER;
		*at = add_wd(run, st->stage_from_ms, st->policy.answer_wd);
		break;
	case SP_ST_TUNDA:
		break;
	case SP_ST_DITINDAKLANJUTI:
		*stage = SP_STAGE_WINDOW;
		*at = window_end(run);
		return;
	default:
		return;
	}
	if (*stage == SP_STAGE_NONE || ceiling < *at) {
		*stage = SP_STAGE_CEILING;
		*at = ceiling;
	}
}

/* auto_close: once the window after an answer has passed, the report is
 * selesai, as of the end of the window. */
static void auto_close(struct run *run, uint64_t t)
{
	struct sp_report_state *st = run->st;
	uint64_t end;

	if (st->status != SP_ST_DITINDAKLANJUTI)
		return;
	end = window_end(run);
	if (t < end)
		return;
	st->status = SP_ST_SELESAI;
	st->auto_closed = 1;
	st->closed_ms = end;
	close_all(st, end);
}

/* ---- officer actions ---- */

static int in_states(enum sp_report_status s, unsigned mask)
{
	return (mask >> s) & 1u;
}

#define S(x) (1u << (x))
#define OPEN_STATES (S(SP_ST_DITERIMA) | S(SP_ST_DIVERIFIKASI) | S(SP_ST_DIDISPOSISIKAN))

/* is_ancestor: is `anc` on the parent_of chain above `inst`? */
static int is_ancestor(const struct run *run, const char *inst, const char *anc)
{
	char cur[SP_INST_ID_MAX + 1], up[SP_INST_ID_MAX + 1];

	snprintf(cur, sizeof(cur), "%s", inst);
	for (int depth = 0; depth < TIER_DEPTH_MAX; depth++) {
		memset(up, 0, sizeof(up));
		if (run->ctx->parent_of(run->ctx->arg, cur, up) != 0 || up[0] == '\0')
			return 0;
		up[SP_INST_ID_MAX] = '\0';
		if (strcmp(up, anc) == 0)
			return 1;
		memcpy(cur, up, sizeof(cur));
	}
	return 0;
}

static int take_over(struct run *run, const char *o, uint64_t t)
{
	struct sp_report_state *st = run->st;
	int may = run->ctx->is_coordinator(run->ctx->arg, o) == 1;

	for (size_t i = 0; !may && i < st->n_spans; i++)
		may = st->spans[i].open && is_ancestor(run, st->spans[i].inst, o);
	if (!may)
		return SP_ERR_AUTHORITY;
	if (!in_states(st->status, OPEN_STATES | S(SP_ST_TUNDA) | S(SP_ST_DIARSIPKAN)))
		return SP_ERR_TRANSITION;
	if (holder_span(st, o) >= 0 && open_count(st) == 1)
		return SP_ERR_TRANSITION; /* already the sole holder */
	close_all(st, t);
	if (st->status == SP_ST_DIARSIPKAN)
		st->status = SP_ST_DIVERIFIKASI; /* a take-over revives an archive */
	st->stage_from_ms = t;
	return open_span(st, cstr(o), t, -1);
}

static int disposisi(struct run *run, const struct sp_report_action *a, int me, uint64_t t)
{
	struct sp_report_state *st = run->st;
	char id[SP_INST_ID_MAX + 1];
	int err = 0;

	if (!in_states(st->status, OPEN_STATES))
		return SP_ERR_TRANSITION;
	if (open_count(st) - 1 + a->n_targets > SP_REPORT_MAX_HOLDERS)
		return SP_ERR_RANGE;
	for (size_t i = 0; i < a->n_targets; i++) {
		int sealed_to = 0;

		memcpy(id, a->targets[i].p, a->targets[i].n);
		id[a->targets[i].n] = '\0';
		if (holder_span(st, id) >= 0)
			return SP_ERR_TRANSITION; /* to itself or a co-holder */
		for (size_t k = 0; k < a->n_keys; k++)
			sealed_to |= str_cmp(a->keys[k].inst, a->targets[i]) == 0;
		/* Forwarding a sealed report must seal the key to the new holder. */
		if (st->sealed_content && !sealed_to)
			return SP_ERR_SEALED;
	}
	close_span(st, me, t);
	for (size_t i = 0; err == 0 && i < a->n_targets; i++)
		err = open_span(st, a->targets[i], t, me);
	st->status = SP_ST_DIDISPOSISIKAN;
	st->stage_from_ms = t;
	return err;
}

/* bukan_wewenang: the holder returns the report to whoever sent it. */
static int bukan_wewenang(struct run *run, int me, uint64_t t)
{
	struct sp_report_state *st = run->st;
	int from = st->spans[me].from;
	char sender[SP_INST_ID_MAX + 1];

	if (!in_states(st->status, OPEN_STATES))
		return SP_ERR_TRANSITION;
	if (from < 0)
		return SP_ERR_TRANSITION; /* nobody sent it: forward it instead */
	memcpy(sender, st->spans[from].inst, sizeof(sender));
	close_span(st, me, t);
	st->bounces++;
	st->stage_from_ms = t;
	if (holder_span(st, sender) < 0) {
		int err = open_span(st, cstr(sender), t, st->spans[from].from);

		if (err)
			return err;
	}
	/* Back with a single holder: it verified the report before it
	 * forwarded it. Other fan-out units keep it didisposisikan. */
	if (open_count(st) == 1)
		st->status = SP_ST_DIVERIFIKASI;
	return 0;
}

static int officer_step(struct run *run, const struct sp_report_action *a, int me, uint64_t t)
{
	struct sp_report_state *st = run->st;

	switch (a->code) {
	case SP_ACT_VERIFIKASI:
		if (st->status != SP_ST_DITERIMA)
			return SP_ERR_TRANSITION;
		st->status = SP_ST_DIVERIFIKASI;
		st->stage_from_ms = t;
		return 0;
	case SP_ACT_TUNDA:
		if (!in_states(st->status, OPEN_STATES))
			return SP_ERR_TRANSITION;
		st->before_hold = st->status;
		st->status = SP_ST_TUNDA;
		return 0;
	case SP_ACT_ARSIP:
		if (!in_states(st->status, S(SP_ST_DITERIMA) | S(SP_ST_DIVERIFIKASI) | S(SP_ST_TUNDA)))
			return SP_ERR_TRANSITION;
		st->status = SP_ST_DIARSIPKAN;
		return 0;
	case SP_ACT_DISPOSISI:
		return disposisi(run, a, me, t);
	case SP_ACT_BUKAN_WEWENANG:
		return bukan_wewenang(run, me, t);
	case SP_ACT_TINDAK_LANJUT:
		if (!in_states(st->status, S(SP_ST_DIVERIFIKASI) | S(SP_ST_DIDISPOSISIKAN)))
			return SP_ERR_TRANSITION;
		st->before_answer = st->status;
		st->status = SP_ST_DITINDAKLANJUTI;
		st->answered_ms = t;
		return 0;
	case SP_ACT_GABUNG:
		if (!in_states(st->status, OPEN_STATES | S(SP_ST_TUNDA)))
			return SP_ERR_TRANSITION;
		st->status = SP_ST_DIGABUNG;
		st->merged = 1;
		memcpy(st->merged_into, a->merge_into, SP_HASH_BYTES);
		close_all(st, t);
		return 0;
	}
	return SP_ERR_AUTHORITY; /* a reporter's action signed by an officer */
}

static int officer_act(struct run *run, const struct sp_report_trail *t,
		       const struct sp_report_action *a)
{
	char o[SP_INST_ID_MAX + 1];
	int err, me;

	if (a->code >= SP_ACT_BALAS)
		return SP_ERR_AUTHORITY;
	if ((err = sp_report_action_verify_officer(a)) != 0)
		return err;
	memset(o, 0, sizeof(o));
	err = run->ctx->officer_institution(run->ctx->arg, a->officer, t->time_ms, o);
	if (err)
		return err < 0 ? err : SP_ERR_UNKNOWN_OFFICER;
	o[SP_INST_ID_MAX] = '\0';
	/* An officer acts through the node of the institution enrolling him. */
	if (strcmp(o, t->inst) != 0)
		return SP_ERR_AUTHORITY;
	if (a->code == SP_ACT_AMBIL_ALIH)
		return take_over(run, o, t->time_ms);
	me = holder_span(run->st, o);
	if (me < 0)
		return SP_ERR_AUTHORITY;
	return officer_step(run, a, me, t->time_ms);
}

/* ---- reporter actions ---- */

/* closed_err: acting on a selesai report is late if the window closed it. */
static int closed_err(const struct sp_report_state *st)
{
	return st->status == SP_ST_SELESAI && st->auto_closed ? SP_ERR_WINDOW : SP_ERR_TRANSITION;
}

static int reporter_step(struct run *run, const struct sp_report_action *a, uint64_t t)
{
	struct sp_report_state *st = run->st;

	switch (a->code) {
	case SP_ACT_BALAS:
		if (!in_states(st->status, OPEN_STATES | S(SP_ST_TUNDA) | S(SP_ST_DITINDAKLANJUTI)))
			return closed_err(st);
		if (st->status == SP_ST_TUNDA) {
			st->status = st->before_hold;
			st->stage_from_ms = t;
		}
		return 0;
	case SP_ACT_SELESAI:
		if (st->status != SP_ST_DITINDAKLANJUTI)
			return closed_err(st);
		st->status = SP_ST_SELESAI;
		st->closed_ms = t;
		close_all(st, t);
		return 0;
	case SP_ACT_BUKA_KEMBALI:
		if (st->status != SP_ST_DITINDAKLANJUTI)
			return closed_err(st);
		st->status = st->before_answer;
		st->stage_from_ms = t;
		st->reopens++;
		return 0;
	case SP_ACT_NILAI:
		if (!in_states(st->status, S(SP_ST_DITINDAKLANJUTI) | S(SP_ST_SELESAI)))
			return SP_ERR_TRANSITION;
		if (t >= window_end(run))
			return SP_ERR_WINDOW;
		st->rating = a->rating;
		return 0;
	}
	return SP_ERR_AUTHORITY; /* an officer's action proved by the reporter */
}

static int reporter_act(struct run *run, const struct sp_report_trail *t,
			const struct sp_report_action *a, const struct sp_report *rep)
{
	int err;

	if (a->code < SP_ACT_BALAS)
		return SP_ERR_AUTHORITY;
	if ((err = sp_report_action_verify_reporter(a, rep)) != 0)
		return err;
	return reporter_step(run, a, t->time_ms);
}

/* ---- applying one entry ---- */

static int seen_before(const struct sp_report_state *st, const uint8_t h[SP_HASH_BYTES])
{
	for (size_t i = 0; i < st->n_seen; i++)
		if (memcmp(st->seen[i], h, SP_HASH_BYTES) == 0)
			return 1;
	return 0;
}

static int remember(struct sp_report_state *st, const uint8_t h[SP_HASH_BYTES])
{
	uint8_t(*p)[SP_HASH_BYTES] = realloc(st->seen, (st->n_seen + 1) * sizeof(*p));

	if (p == NULL)
		return SP_ERR_NOMEM;
	st->seen = p;
	memcpy(st->seen[st->n_seen++], h, SP_HASH_BYTES);
	return 0;
}

/* apply_action returns the entry's verdict; *fatal gets an out-of-memory
 * that must stop the computation (it is not the entry's fault). */
static int apply_action(struct run *run, const struct sp_report_trail *t,
			const struct sp_report *rep, int *fatal)
{
	struct sp_report_action *a = malloc(sizeof(*a));
	uint8_t h[SP_HASH_BYTES];
	int err;

	if (a == NULL)
		return *fatal = SP_ERR_NOMEM;
	err = sp_report_action_parse(t->body, t->body_len, a);
	if (err == 0 && memcmp(a->report, run->st->id, SP_HASH_BYTES) != 0)
		err = SP_ERR_UNKNOWN_REPORT;
	if (err == 0) {
		/* A signed act copied into a second entry must not act twice. */
		crypto_hash_sha256(h, a->act, a->act_len);
		err = seen_before(run->st, h) ? SP_ERR_REPLAY : 0;
	}
	if (err == 0)
		err = a->actor == SP_ACTOR_OFFICER ? officer_act(run, t, a)
						   : reporter_act(run, t, a, rep);
	if (err == 0)
		*fatal = remember(run->st, h);
	free(a);
	return err;
}

static int apply_escalation(struct run *run, const struct sp_report_trail *t)
{
	struct sp_report_state *st = run->st;
	struct sp_report_escalation e;
	enum sp_report_stage stage;
	uint64_t at;
	int err = sp_report_esc_parse(t->body, t->body_len, &e);

	if (err)
		return err;
	if (memcmp(e.report, st->id, SP_HASH_BYTES) != 0)
		return SP_ERR_UNKNOWN_REPORT;
	if (holder_span(st, t->inst) < 0)
		return SP_ERR_AUTHORITY; /* the holder's node writes it */
	deadline(run, &stage, &at);
	if (e.stage != (uint32_t)stage || e.deadline_ms != at || t->time_ms < at)
		return SP_ERR_TRANSITION; /* not the deadline in force, or early */
	if (st->esc_stage == e.stage && st->esc_deadline_ms == e.deadline_ms)
		return SP_ERR_EXISTS;
	st->escalations++;
	st->esc_stage = e.stage;
	st->esc_deadline_ms = e.deadline_ms;
	return 0;
}

static int apply_entry(struct run *run, const struct sp_report_trail *t,
		       const struct sp_report *rep, int *fatal)
{
	if (t->inst == NULL || t->body == NULL || strlen(t->inst) == 0 ||
	    strlen(t->inst) > SP_INST_ID_MAX)
		return SP_ERR_ARG;
	if (t->time_ms < run->st->submitted_ms)
		return SP_ERR_TIME_ORDER;
	if (t->type == SP_EV_ACTION)
		return apply_action(run, t, rep, fatal);
	if (t->type == SP_EV_ESCALATION)
		return apply_escalation(run, t);
	return SP_ERR_REPORT_FIELD;
}

/* ---- the computation ---- */

static int policy_ok(const struct sp_report_policy *p)
{
	return p->verify_wd >= 1 && p->verify_wd <= POLICY_MAX && p->answer_wd >= 1 &&
	       p->answer_wd <= POLICY_MAX && p->window_wd >= 1 && p->window_wd <= POLICY_MAX &&
	       p->ceiling_days >= 1 && p->ceiling_days <= POLICY_MAX;
}

static int start_state(struct run *run, const uint8_t *id, const struct sp_entry *sub,
		       const struct sp_report *rep)
{
	struct sp_report_state *st = run->st;

	memcpy(st->id, id, SP_HASH_BYTES);
	st->status = SP_ST_DITERIMA;
	st->submitted_ms = sub->time_ms;
	st->stage_from_ms = sub->time_ms;
	st->policy = rep->has_policy ? rep->policy : run->ctx->policy;
	if (!policy_ok(&st->policy))
		return SP_ERR_ARG;
	st->sealed_content = rep->vis == SP_REPORT_RAHASIA;
	return open_span(st, rep->routed_to, sub->time_ms, -1);
}

static int run_trail(struct run *run, const struct sp_report_trail *trail, size_t n,
		     const struct sp_report *rep)
{
	struct ordered *ord = calloc(n ? n : 1, sizeof(*ord));
	int fatal = 0;

	if (ord == NULL)
		return SP_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		ord[i].t = &trail[i], ord[i].i = i;
	qsort(ord, n, sizeof(*ord), by_order);
	for (size_t k = 0; k < n && fatal == 0; k++) {
		auto_close(run, ord[k].t->time_ms);
		run->st->verdict[ord[k].i] = apply_entry(run, ord[k].t, rep, &fatal);
	}
	free(ord);
	return fatal;
}

static void finish_state(struct run *run, uint64_t now)
{
	struct sp_report_state *st = run->st;

	auto_close(run, now);
	deadline(run, &st->stage, &st->deadline_ms);
	st->overdue = st->stage != SP_STAGE_NONE && st->stage != SP_STAGE_WINDOW &&
		      now >= st->deadline_ms;
	st->n_holders = 0;
	for (size_t i = 0; i < st->n_spans && st->n_holders < SP_REPORT_MAX_HOLDERS; i++)
		if (st->spans[i].open)
			memcpy(st->holders[st->n_holders++], st->spans[i].inst, SP_INST_ID_MAX + 1);
}

int sp_report_compute(const uint8_t id[SP_HASH_BYTES], const struct sp_entry *sub,
		      const char *sub_inst, const struct sp_report_trail *trail, size_t n,
		      const struct sp_report_ctx *ctx, uint64_t now, struct sp_report_state *st)
{
	struct sp_report *rep;
	struct run run = {ctx, st};
	int err;

	if (st == NULL)
		return SP_ERR_ARG;
	memset(st, 0, sizeof(*st));
	if (id == NULL || sub == NULL || sub_inst == NULL || (trail == NULL && n) || ctx == NULL ||
	    !ctx->officer_institution || !ctx->parent_of || !ctx->is_coordinator)
		return SP_ERR_ARG;
	if (sub->type != SP_EV_REPORT)
		return SP_ERR_ARG;
	rep = malloc(sizeof(*rep));
	st->verdict = calloc(n ? n : 1, sizeof(int));
	st->n_verdicts = n;
	err = rep && st->verdict ? sp_report_parse(sub->body, sub->body_len, rep) : SP_ERR_NOMEM;
	if (err == 0)
		err = start_state(&run, id, sub, rep);
	if (err == 0)
		err = run_trail(&run, trail, n, rep);
	if (err == 0)
		finish_state(&run, now);
	free(rep);
	if (err)
		sp_report_state_free(st);
	return err;
}

void sp_report_state_free(struct sp_report_state *st)
{
	if (st == NULL)
		return;
	free(st->spans);
	free(st->verdict);
	free(st->seen);
	st->spans = NULL;
	st->verdict = NULL;
	st->seen = NULL;
	st->n_spans = st->n_verdicts = st->n_seen = 0;
}

int sp_report_escalation_due(const struct sp_report_state *st, uint64_t now,
			     struct sp_report_escalation *out)
{
	if (st == NULL || out == NULL)
		return 0;
	if (st->stage != SP_STAGE_VERIFY && st->stage != SP_STAGE_ANSWER &&
	    st->stage != SP_STAGE_CEILING)
		return 0;
	if (now < st->deadline_ms || st->n_holders == 0)
		return 0;
	if (st->esc_stage == (uint32_t)st->stage && st->esc_deadline_ms == st->deadline_ms)
		return 0;
	memcpy(out->report, st->id, SP_HASH_BYTES);
	out->stage = st->stage;
	out->deadline_ms = st->deadline_ms;
	return 1;
}

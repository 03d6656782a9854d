/*
 * sp_report_codec.c - the bodies of SP_EV_REPORT, SP_EV_ACTION,
 * SP_EV_ESCALATION, SP_EV_TRANSFER and SP_EV_KEY_GRANT entries, the
 * sealed envelope and the private map, as
 * deterministic CBOR (formats in sp_report.h). Signing is in
 * sp_report_sign.c, sealing in sp_report_seal.c, the state machine in
 * sp_report_state.c.
 *
 * Every parser first runs sp_cbor_validate over the whole body, so CBOR
 * faults win over field checks and the field readers below may assume a
 * well-formed, deterministic item.
 */
#include "sp_report.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_err.h"
#include "sp_report_int.h"

#define TITLE_MAX 256
#define SHORT_TEXT_MAX 64
#define MEDIA_MAX 127

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
		if (i > 0 && sp_str_cmp(keys[i - 1].inst, keys[i].inst) >= 0)
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
		sp_cbor_put_str(b, keys[i].inst);
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

/* parse_exact decodes a body map whose keys must be exactly `required`
 * into obj (size bytes, zeroed first), one key at a time with fn. */
static int parse_exact(const uint8_t *body, size_t len, field_fn fn, void *obj, size_t size,
		       uint32_t required)
{
	struct sp_cbor_reader r;
	uint64_t count;
	uint32_t seen;
	int err;

	if (obj == NULL)
		return SP_ERR_ARG;
	memset(obj, 0, size);
	err = map_begin(&r, body, len, &count);
	if (err == 0)
		err = read_map_fields(&r, count, fn, obj, &seen);
	if (err == 0 && seen != required)
		err = SP_ERR_REPORT_FIELD;
	return err;
}

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
	R_REPORTER_KEY, R_SALT, R_ATTACH, R_CHANNEL, R_POLICY, R_COUNT_
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
	if ((err = read_range(r, 1, SP_REPORT_POLICY_MAX, &p->verify_wd)) != 0 ||
	    (err = read_range(r, 1, SP_REPORT_POLICY_MAX, &p->answer_wd)) != 0 ||
	    (err = read_range(r, 1, SP_REPORT_POLICY_MAX, &p->window_wd)) != 0)
		return err;
	return read_range(r, 1, SP_REPORT_POLICY_MAX, &p->ceiling_days);
}

static int report_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report *rep = obj;
	uint32_t v = 0; /* read_range leaves it unset on error */
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
	case R_SALT: rep->has_salt = 1; return read_fixed(r, rep->salt, SP_REPORTER_SALT_BYTES);
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
	if (!rep->has_reporter_key)
		return SP_ERR_REPORT_FIELD; /* the reporter proves with its key, always */
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
	       r->has_reporter_key + r->has_salt + (r->n_attach > 0) + r->has_policy;
}

static void put_report_head(struct sp_buf *b, const struct sp_report *r)
{
	sp_cbor_put_map(b, report_count(r));
	sp_cbor_put_uint(b, R_KIND);
	sp_cbor_put_uint(b, r->kind);
	sp_cbor_put_uint(b, R_VIS);
	sp_cbor_put_uint(b, r->vis);
	sp_cbor_put_uint(b, R_CATEGORY);
	sp_cbor_put_str(b, r->category);
	sp_cbor_put_uint(b, R_REGION);
	sp_cbor_put_str(b, r->region);
	if (r->title.p) {
		sp_cbor_put_uint(b, R_TITLE);
		sp_cbor_put_str(b, r->title);
	}
	if (r->content.p) {
		sp_cbor_put_uint(b, R_CONTENT);
		sp_cbor_put_str(b, r->content);
	}
	if (r->has_sealed) {
		sp_cbor_put_uint(b, R_SEALED);
		put_sealed(b, &r->sealed);
	}
}

static void put_report_tail(struct sp_buf *b, const struct sp_report *r)
{
	sp_cbor_put_uint(b, R_ROUTED);
	sp_cbor_put_str(b, r->routed_to);
	if (r->has_rule) {
		sp_cbor_put_uint(b, R_RULE);
		sp_cbor_put_bytes(b, r->rule, SP_HASH_BYTES);
	}
	if (r->has_reporter_key) {
		sp_cbor_put_uint(b, R_REPORTER_KEY);
		sp_cbor_put_bytes(b, r->reporter_key, SP_KEY_BYTES);
	}
	if (r->has_salt) {
		sp_cbor_put_uint(b, R_SALT);
		sp_cbor_put_bytes(b, r->salt, SP_REPORTER_SALT_BYTES);
	}
	if (r->n_attach) {
		sp_cbor_put_uint(b, R_ATTACH);
		sp_cbor_put_array(b, r->n_attach);
		for (size_t i = 0; i < r->n_attach; i++) {
			sp_cbor_put_array(b, 3);
			sp_cbor_put_bytes(b, r->attach[i].sha256, SP_HASH_BYTES);
			sp_cbor_put_uint(b, r->attach[i].size);
			sp_cbor_put_str(b, r->attach[i].media_type);
		}
	}
	sp_cbor_put_uint(b, R_CHANNEL);
	sp_cbor_put_str(b, r->channel);
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
			sp_cbor_put_str(&b, *f[i]);
		}
	}
	return finish(&b, check_private, out, out_len);
}

/* ---- SP_EV_ACTION ------------------------------------------------------ */

enum { A_REPORT, A_CODE, A_ISSUED, A_TARGETS, A_REASON, A_TEXT, A_RATING, A_MERGE, A_KEYS };
/* Key 4 (a tracking secret in clear) is no longer taken: see docs/reports.md. */
enum { B_ACT, B_OFFICER, B_OFFICER_SIG, B_REPORTER_SIG };

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
		if (err == 0 && i > 0 && sp_str_cmp(a->targets[i - 1], a->targets[i]) >= 0)
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
	}
	return SP_ERR_REPORT_FIELD;
}

static int action_actor(uint32_t seen, struct sp_report_action *a)
{
	if (seen == (BIT(B_ACT) | BIT(B_OFFICER) | BIT(B_OFFICER_SIG)))
		a->actor = SP_ACTOR_OFFICER;
	else if (seen == (BIT(B_ACT) | BIT(B_REPORTER_SIG)))
		a->actor = SP_ACTOR_REPORTER_SIG;
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

void sp_report_act_put(struct sp_buf *b, const struct sp_report_action *a)
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
			sp_cbor_put_str(b, a->targets[i]);
	}
	if (a->reason) {
		sp_cbor_put_uint(b, A_REASON);
		sp_cbor_put_uint(b, a->reason);
	}
	if (a->text.p) {
		sp_cbor_put_uint(b, A_TEXT);
		sp_cbor_put_str(b, a->text);
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

int sp_report_action_body(const struct sp_report_action *a, const struct sp_buf *act,
			  uint8_t **out, size_t *out_len)
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
	} else {
		sp_cbor_put_uint(&b, B_REPORTER_SIG);
		sp_cbor_put_bytes(&b, a->sig, SP_SIG_BYTES);
	}
	return finish(&b, check_action, out, out_len);
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
	return parse_exact(body, len, esc_field, e, sizeof(*e),
			   BIT(X_REPORT) | BIT(X_STAGE) | BIT(X_DEADLINE));
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

/* ---- SP_EV_TRANSFER ---------------------------------------------------- */

enum { T_REPORT, T_FROM };

static int transfer_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report_transfer *x = obj;

	switch (key) {
	case T_REPORT: return read_fixed(r, x->report, SP_HASH_BYTES);
	case T_FROM: return read_inst(r, &x->from);
	}
	return SP_ERR_REPORT_FIELD;
}

int sp_report_transfer_parse(const uint8_t *body, size_t len, struct sp_report_transfer *x)
{
	return parse_exact(body, len, transfer_field, x, sizeof(*x), BIT(T_REPORT) | BIT(T_FROM));
}

static int check_transfer(const uint8_t *buf, size_t len)
{
	struct sp_report_transfer x;
	return sp_report_transfer_parse(buf, len, &x);
}

int sp_report_transfer_encode(const struct sp_report_transfer *x, uint8_t **out,
			      size_t *out_len)
{
	struct sp_buf b;

	if (x == NULL || out == NULL || out_len == NULL)
		return SP_ERR_ARG;
	sp_buf_init(&b);
	sp_cbor_put_map(&b, 2);
	sp_cbor_put_uint(&b, T_REPORT);
	sp_cbor_put_bytes(&b, x->report, SP_HASH_BYTES);
	sp_cbor_put_uint(&b, T_FROM);
	sp_cbor_put_str(&b, x->from);
	return finish(&b, check_transfer, out, out_len);
}

/* ---- SP_EV_KEY_GRANT --------------------------------------------------- */

enum { G_REPORT, G_KEYS };

static int grant_field(struct sp_cbor_reader *r, uint64_t key, void *obj)
{
	struct sp_report_grant *g = obj;

	switch (key) {
	case G_REPORT: return read_fixed(r, g->report, SP_HASH_BYTES);
	case G_KEYS: return read_keys(r, g->keys, &g->n_keys);
	}
	return SP_ERR_REPORT_FIELD;
}

int sp_report_grant_parse(const uint8_t *body, size_t len, struct sp_report_grant *g)
{
	return parse_exact(body, len, grant_field, g, sizeof(*g), BIT(G_REPORT) | BIT(G_KEYS));
}

static int check_grant(const uint8_t *buf, size_t len)
{
	struct sp_report_grant *g = malloc(sizeof(*g));
	int err = g ? sp_report_grant_parse(buf, len, g) : SP_ERR_NOMEM;

	free(g);
	return err;
}

int sp_report_grant_encode(const struct sp_report_grant *g, uint8_t **out, size_t *out_len)
{
	struct sp_buf b;

	if (g == NULL || out == NULL || out_len == NULL || g->n_keys > SP_REPORT_MAX_KEYS)
		return SP_ERR_ARG;
	sp_buf_init(&b);
	sp_cbor_put_map(&b, 2);
	sp_cbor_put_uint(&b, G_REPORT);
	sp_cbor_put_bytes(&b, g->report, SP_HASH_BYTES);
	sp_cbor_put_uint(&b, G_KEYS);
	put_keys(&b, g->keys, g->n_keys);
	return finish(&b, check_grant, out, out_len);
}

/* A trail entry's body, parsed by its type. */
union trail_body {
	struct sp_report_action a;
	struct sp_report_escalation x;
	struct sp_report_transfer t;
	struct sp_report_grant g;
};

static int trail_parse(uint64_t type, const uint8_t *body, size_t len, union trail_body *u)
{
	switch (type) {
	case SP_EV_ACTION: return sp_report_action_parse(body, len, &u->a);
	case SP_EV_ESCALATION: return sp_report_esc_parse(body, len, &u->x);
	case SP_EV_TRANSFER: return sp_report_transfer_parse(body, len, &u->t);
	case SP_EV_KEY_GRANT: return sp_report_grant_parse(body, len, &u->g);
	}
	return SP_ERR_ARG;
}

int sp_report_trail_report(uint64_t type, const uint8_t *body, size_t len,
			   uint8_t id[SP_HASH_BYTES])
{
	union trail_body u;
	int err = trail_parse(type, body, len, &u);

	if (err == 0)
		memcpy(id, type == SP_EV_ACTION ? u.a.report : type == SP_EV_ESCALATION ? u.x.report
						       : type == SP_EV_TRANSFER ? u.t.report
										: u.g.report,
		       SP_HASH_BYTES);
	return err;
}

int sp_report_trail_keys(uint64_t type, const uint8_t *body, size_t len,
			 struct sp_report_key keys[SP_REPORT_MAX_KEYS], size_t *n)
{
	union trail_body u;
	int err = trail_parse(type, body, len, &u);
	const struct sp_report_key *from = NULL;

	*n = 0;
	if (err == 0 && type == SP_EV_ACTION)
		from = u.a.keys, *n = u.a.n_keys;
	else if (err == 0 && type == SP_EV_KEY_GRANT)
		from = u.g.keys, *n = u.g.n_keys;
	if (*n)
		memcpy(keys, from, *n * sizeof(*keys));
	return err;
}

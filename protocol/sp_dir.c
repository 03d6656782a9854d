/*
 * sp_dir.c - the federation directory: record codecs, the trust and
 * delegation rules that decide which log may write which record, the
 * time-aware institution and officer tables, and complaint routing (see
 * sp_dir.h for the interface and docs/directory.md for the formats).
 *
 * Institutions keep every version of their record, sorted by the time it
 * took effect, so "which key was valid at t" is a search over versions and
 * a rotated key still verifies the history it signed. Lookups by id and by
 * key go through small open-addressing hash indexes: a national directory
 * with every OPD has tens of thousands of institutions.
 */
#include "sp_dir.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_admin.h"
#include "sp_cal.h"
#include "sp_err.h"

#define MAX_DEPTH 64 /* longest parent chain walked: guards against cycles */
#define DEFAULT_RULE_PREFIX "default:"

/* ---- syntax -------------------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

int sp_dir_region_valid(const char *code)
{
	/* Kemendagri: provinsi NN, kabkota NN.NN, kecamatan NN.NN.NN, desa
	 * NN.NN.NN.NNNN; each level is its parent plus one dotted part. */
	static const size_t part[] = {2, 2, 2, 4};
	if (code == NULL)
		return 0;
	const char *p = code;
	for (size_t level = 0; level < 4; level++) {
		if (!digits(p, part[level]))
			return 0;
		p += part[level];
		if (*p == '\0')
			return 1;
		if (*p != '.')
			return 0;
		p++;
	}
	return 0;
}

int sp_dir_id_valid(const char *id)
{
	if (id == NULL)
		return 0;
	size_t n = strlen(id);
	if (n == 0 || n > SP_INST_ID_MAX)
		return 0;
	int only_code = 1;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		int ok = is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			 c == '.' || c == '_' || c == '-';
		if (!ok)
			return 0;
		if (!is_digit(c) && c != '.')
			only_code = 0;
	}
	/* A region government's id is its code: "73.1" must not pass as one. */
	return !only_code || sp_dir_region_valid(id);
}

int sp_dir_category_valid(const char *cat)
{
	if (cat == NULL)
		return 0;
	if (strcmp(cat, "*") == 0)
		return 1;
	size_t n = strlen(cat);
	if (n == 0 || n > SP_DIR_CATEGORY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = cat[i];
		if (!(is_digit(c) || (c >= 'a' && c <= 'z') || c == '-'))
			return 0;
	}
	return 1;
}

/* rule ids are free-form but "default:" is what sp_dir_route reports when
 * no rule matched, so no record may claim it. */
static int rule_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > SP_DIR_RULE_MAX)
		return 0;
	if (strncmp(id, DEFAULT_RULE_PREFIX, sizeof(DEFAULT_RULE_PREFIX) - 1) == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!(is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' ||
		      c == '_' || c == '-' || c == ':' || c == '*'))
			return 0;
	}
	return 1;
}

static int len_ok(const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);
	return n >= min && n <= max;
}

/* ---- record checks (shared by encoders and decoders) ---------------------- */

static int inst_check(const void *p)
{
	const struct sp_dir_inst *r = p;
	if (!sp_dir_id_valid(r->id) || !len_ok(r->name, 1, SP_DIR_NAME_MAX) ||
	    (unsigned)r->tier > SP_DIR_TIER_UNIT)
		return SP_ERR_DIR_RECORD;
	int coord = r->tier == SP_DIR_TIER_COORDINATOR;
	if (coord ? r->parent[0] != '\0'
		  : !sp_dir_id_valid(r->parent) || strcmp(r->parent, r->id) == 0)
		return SP_ERR_DIR_RECORD;
	if (r->npeers > SP_DIR_MAX_PEERS || r->nregions > SP_DIR_MAX_REGIONS ||
	    r->ncategories > SP_DIR_MAX_CATEGORIES || !len_ok(r->http, 0, SP_DIR_ADDR_MAX))
		return SP_ERR_DIR_RECORD;
	for (size_t i = 0; i < r->npeers; i++)
		if (!len_ok(r->peers[i], 1, SP_DIR_ADDR_MAX))
			return SP_ERR_DIR_RECORD;
	for (size_t i = 0; i < r->nregions; i++)
		if (!sp_dir_region_valid(r->regions[i]))
			return SP_ERR_DIR_RECORD;
	for (size_t i = 0; i < r->ncategories; i++)
		if (!sp_dir_category_valid(r->categories[i]))
			return SP_ERR_DIR_RECORD;
	return 0;
}

static int officer_check(const void *p)
{
	const struct sp_dir_officer *r = p;
	if (!sp_dir_id_valid(r->inst) || !len_ok(r->name, 1, SP_DIR_NAME_MAX) ||
	    (unsigned)r->role > SP_DIR_ROLE_PENGHUBUNG || (unsigned)r->action > SP_DIR_REMOVE)
		return SP_ERR_DIR_RECORD;
	return 0;
}

static int route_check(const void *p)
{
	const struct sp_dir_route *r = p;
	if (!len_ok(r->rule_id, 1, SP_DIR_RULE_MAX) || !rule_id_valid(r->rule_id) ||
	    !len_ok(r->category, 1, SP_DIR_CATEGORY_MAX) || !sp_dir_category_valid(r->category))
		return SP_ERR_DIR_RECORD;
	if (r->region[0] != '\0' &&
	    (!len_ok(r->region, 1, SP_DIR_REGION_MAX) || !sp_dir_region_valid(r->region)))
		return SP_ERR_DIR_RECORD;
	if (r->inst[0] != '\0' && !sp_dir_id_valid(r->inst))
		return SP_ERR_DIR_RECORD;
	return 0;
}

static int policy_check(const void *p)
{
	const struct sp_dir_policy *r = p;
	if (r->category[0] != '\0' &&
	    (!len_ok(r->category, 1, SP_DIR_CATEGORY_MAX) || !sp_dir_category_valid(r->category) ||
	     strcmp(r->category, "*") == 0))
		return SP_ERR_DIR_RECORD;
	if (r->verify == 0 || r->answer == 0 || r->window == 0 || r->ceiling == 0 ||
	    r->ceiling > SP_DIR_DAYS_MAX || r->verify > r->ceiling || r->answer > r->ceiling ||
	    r->window > r->ceiling)
		return SP_ERR_DIR_RECORD;
	return 0;
}

static int delegate_check(const void *p)
{
	const struct sp_dir_delegate *r = p;
	if (!sp_dir_id_valid(r->delegate) || !sp_dir_id_valid(r->root) ||
	    (r->grant != 0 && r->grant != 1))
		return SP_ERR_DIR_RECORD;
	return 0;
}

static int forkres_check(const void *p)
{
	const struct sp_dir_forkres *r = p;
	return sp_dir_id_valid(r->inst) && r->size >= 1 ? 0 : SP_ERR_DIR_RECORD;
}

static int retire_check(const void *p)
{
	const struct sp_dir_retire *r = p;
	return sp_dir_id_valid(r->id) ? 0 : SP_ERR_DIR_RECORD;
}

/* copy_str copies s into a field of cap bytes (NUL included), or fails. */
static int copy_str(char *out, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : cap;
	if (n >= cap)
		return SP_ERR_DIR_RECORD;
	memcpy(out, s, n + 1);
	return 0;
}

int sp_dir_route_make(struct sp_dir_route *r, const char *rule_id, const char *category,
		      const char *region, const char *inst)
{
	if (r == NULL)
		return SP_ERR_ARG;
	memset(r, 0, sizeof(*r));
	if (copy_str(r->rule_id, sizeof(r->rule_id), rule_id) ||
	    copy_str(r->category, sizeof(r->category), category) ||
	    copy_str(r->region, sizeof(r->region), region) ||
	    copy_str(r->inst, sizeof(r->inst), inst))
		return SP_ERR_DIR_RECORD;
	return 0;
}

/* ---- the record codec: one table per record type ------------------------------ */

/* Every record is a map whose keys are 0, 1, ... n-1, all required, in
 * order; so a record type is fully described by its list of fields, key i
 * being fields[i], and one encoder and one strict decoder serve all five. */
enum fkind {
	F_STR,   /* char[]: text of min..max bytes */
	F_KEY,   /* uint8_t[SP_KEY_BYTES]: byte string */
	F_UINT,  /* uint32_t or an enum of its size: unsigned 0..max */
	F_STRS,  /* char[rows][len + 1] + size_t count: array of 0..rows texts of 1..len */
	F_BOOL,  /* int 0 or 1: CBOR false or true */
	F_U64,   /* uint64_t: unsigned min..max */
	F_SIG,   /* uint8_t[SP_SIG_BYTES]: byte string */
};

struct field {
	enum fkind kind;
	size_t off;   /* the member in the record */
	size_t min;   /* F_STR: shortest text */
	size_t max;   /* F_STR, F_STRS: longest text; F_UINT: largest value */
	size_t rows;  /* F_STRS: most elements */
	size_t count; /* F_STRS: offset of the size_t element count */
};

struct codec {
	const struct field *f;
	size_t n;
	size_t size;                  /* sizeof the record */
	int (*check)(const void *r); /* the record's semantic checks */
};

#define MEMBER_SIZE(T, m) sizeof(((T *)0)->m)
/* Text maxima come from the member's size, so a decoder can never overflow one. */
#define FSTR(T, m, lo) {F_STR, offsetof(T, m), (lo), MEMBER_SIZE(T, m) - 1, 0, 0}
#define FKEY(T, m) {F_KEY, offsetof(T, m), 0, 0, 0, 0}
#define FUINT(T, m, hi) {F_UINT, offsetof(T, m), 0, (hi), 0, 0}
#define FSTRS(T, m, cnt)                                                                       \
	{F_STRS, offsetof(T, m), 0, MEMBER_SIZE(T, m[0]) - 1,                                  \
	 MEMBER_SIZE(T, m) / MEMBER_SIZE(T, m[0]), offsetof(T, cnt)}
#define FBOOL(T, m) {F_BOOL, offsetof(T, m), 0, 0, 0, 0}
#define FU64(T, m, lo) {F_U64, offsetof(T, m), (lo), SIZE_MAX, 0, 0}
#define FSIG(T, m) {F_SIG, offsetof(T, m), 0, 0, 0, 0}
#define CODEC(T, fields, chk) {fields, sizeof(fields) / sizeof(fields[0]), sizeof(T), chk}

/* F_UINT members are read and written as uint32_t. */
_Static_assert(sizeof(enum sp_dir_tier) == sizeof(uint32_t), "tier is 32 bits");
_Static_assert(sizeof(enum sp_dir_role) == sizeof(uint32_t), "role is 32 bits");
_Static_assert(sizeof(enum sp_dir_officer_action) == sizeof(uint32_t), "action is 32 bits");

static const struct field inst_fields[] = {
	FSTR(struct sp_dir_inst, id, 1),
	FSTR(struct sp_dir_inst, name, 1),
	FUINT(struct sp_dir_inst, tier, SP_DIR_TIER_UNIT),
	FSTR(struct sp_dir_inst, parent, 0),
	FKEY(struct sp_dir_inst, sign_key),
	FKEY(struct sp_dir_inst, seal_key),
	FSTRS(struct sp_dir_inst, peers, npeers),
	FSTR(struct sp_dir_inst, http, 0),
	FSTRS(struct sp_dir_inst, regions, nregions),
	FSTRS(struct sp_dir_inst, categories, ncategories),
};

static const struct field officer_fields[] = {
	FSTR(struct sp_dir_officer, inst, 1),
	FKEY(struct sp_dir_officer, key),
	FSTR(struct sp_dir_officer, name, 1),
	FUINT(struct sp_dir_officer, role, SP_DIR_ROLE_PENGHUBUNG),
	FUINT(struct sp_dir_officer, action, SP_DIR_REMOVE),
};

static const struct field route_fields[] = {
	FSTR(struct sp_dir_route, rule_id, 1),
	FSTR(struct sp_dir_route, category, 1),
	FSTR(struct sp_dir_route, region, 0),
	FSTR(struct sp_dir_route, inst, 0),
};

static const struct field policy_fields[] = {
	FSTR(struct sp_dir_policy, category, 0),
	FUINT(struct sp_dir_policy, verify, SP_DIR_DAYS_MAX),
	FUINT(struct sp_dir_policy, answer, SP_DIR_DAYS_MAX),
	FUINT(struct sp_dir_policy, window, SP_DIR_DAYS_MAX),
	FUINT(struct sp_dir_policy, ceiling, SP_DIR_DAYS_MAX),
};

static const struct field delegate_fields[] = {
	FSTR(struct sp_dir_delegate, delegate, 1),
	FSTR(struct sp_dir_delegate, root, 1),
	FBOOL(struct sp_dir_delegate, grant),
};

static const struct field forkres_fields[] = {
	FSTR(struct sp_dir_forkres, inst, 1),
	FU64(struct sp_dir_forkres, size, 1),
	FKEY(struct sp_dir_forkres, root),
	FKEY(struct sp_dir_forkres, officer),
	FSIG(struct sp_dir_forkres, sig),
};

static const struct field retire_fields[] = {
	FSTR(struct sp_dir_retire, id, 1),
};

static const struct codec inst_codec = CODEC(struct sp_dir_inst, inst_fields, inst_check);
static const struct codec officer_codec =
	CODEC(struct sp_dir_officer, officer_fields, officer_check);
static const struct codec route_codec = CODEC(struct sp_dir_route, route_fields, route_check);
static const struct codec policy_codec =
	CODEC(struct sp_dir_policy, policy_fields, policy_check);
static const struct codec delegate_codec =
	CODEC(struct sp_dir_delegate, delegate_fields, delegate_check);
static const struct codec forkres_codec =
	CODEC(struct sp_dir_forkres, forkres_fields, forkres_check);
static const struct codec retire_codec = CODEC(struct sp_dir_retire, retire_fields, retire_check);

/* ---- encoding ---------------------------------------------------------------- */

static uint32_t get_u32(const unsigned char *m)
{
	uint32_t v;
	memcpy(&v, m, sizeof(v));
	return v;
}

static void put_field(struct sp_buf *b, const struct field *f, const unsigned char *rec)
{
	const unsigned char *m = rec + f->off;
	switch (f->kind) {
	case F_STR:
		sp_cbor_put_cstr(b, (const char *)m);
		break;
	case F_KEY:
		sp_cbor_put_bytes(b, m, SP_KEY_BYTES);
		break;
	case F_UINT:
		sp_cbor_put_uint(b, get_u32(m));
		break;
	case F_STRS: {
		size_t n;
		memcpy(&n, rec + f->count, sizeof(n));
		sp_cbor_put_array(b, n);
		for (size_t i = 0; i < n; i++)
			sp_cbor_put_cstr(b, (const char *)m + i * (f->max + 1));
		break;
	}
	case F_BOOL: {
		int v;
		memcpy(&v, m, sizeof(v));
		sp_cbor_put_bool(b, v);
		break;
	}
	case F_U64: {
		uint64_t v;
		memcpy(&v, m, sizeof(v));
		sp_cbor_put_uint(b, v);
		break;
	}
	case F_SIG:
		sp_cbor_put_bytes(b, m, SP_SIG_BYTES);
		break;
	}
}

/* encode checks the record first: an invalid one is never written. */
static int encode(const struct codec *c, const void *r, struct sp_buf *out)
{
	if (r == NULL || out == NULL)
		return SP_ERR_ARG;
	int rc = c->check(r);
	if (rc)
		return rc;
	sp_cbor_put_map(out, c->n);
	for (size_t i = 0; i < c->n; i++) {
		sp_cbor_put_uint(out, i);
		put_field(out, &c->f[i], r);
	}
	return out->err ? SP_ERR_NOMEM : 0;
}

int sp_dir_inst_encode(const struct sp_dir_inst *r, struct sp_buf *out)
{
	return encode(&inst_codec, r, out);
}

int sp_dir_officer_encode(const struct sp_dir_officer *r, struct sp_buf *out)
{
	return encode(&officer_codec, r, out);
}

int sp_dir_route_encode(const struct sp_dir_route *r, struct sp_buf *out)
{
	return encode(&route_codec, r, out);
}

int sp_dir_policy_encode(const struct sp_dir_policy *r, struct sp_buf *out)
{
	return encode(&policy_codec, r, out);
}

int sp_dir_delegate_encode(const struct sp_dir_delegate *r, struct sp_buf *out)
{
	return encode(&delegate_codec, r, out);
}

int sp_dir_forkres_encode(const struct sp_dir_forkres *r, struct sp_buf *out)
{
	return encode(&forkres_codec, r, out);
}

/* ---- strict decoding --------------------------------------------------------- */

/* A kind mismatch is a malformed record; other CBOR errors keep their own
 * code so callers can tell non-canonical encodings apart. */
static int kind_err(int rc)
{
	return rc == SP_ERR_CBOR_TYPE ? SP_ERR_DIR_RECORD : rc;
}

/* read_str copies a text of min..max bytes (no NUL inside) into out. */
static int read_str(struct sp_cbor_reader *r, char *out, size_t min, size_t max)
{
	const char *s;
	size_t n;
	int rc = sp_cbor_read_text(r, &s, &n);
	if (rc)
		return kind_err(rc);
	if (n < min || n > max || memchr(s, '\0', n) != NULL)
		return SP_ERR_DIR_RECORD;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int read_uint(struct sp_cbor_reader *r, uint64_t max, unsigned char *m)
{
	uint64_t v;
	int rc = sp_cbor_read_uint(r, &v);
	if (rc)
		return kind_err(rc);
	if (v > max)
		return SP_ERR_DIR_RECORD;
	uint32_t v32 = (uint32_t)v; /* max fits: every F_UINT maximum is small */
	memcpy(m, &v32, sizeof(v32));
	return 0;
}

/* read_strs reads an array of at most f->rows texts of 1..f->max bytes. */
static int read_strs(struct sp_cbor_reader *r, const struct field *f, unsigned char *rec)
{
	uint64_t n;
	int rc = sp_cbor_read_array(r, &n);
	if (rc)
		return kind_err(rc);
	if (n > f->rows)
		return SP_ERR_DIR_RECORD;
	for (size_t i = 0; i < n; i++) {
		rc = read_str(r, (char *)rec + f->off + i * (f->max + 1), 1, f->max);
		if (rc)
			return rc;
	}
	size_t count = (size_t)n;
	memcpy(rec + f->count, &count, sizeof(count));
	return 0;
}

/* read_bool: anything but false or true, even another valid item, is a
 * malformed record. */
static int read_bool(struct sp_cbor_reader *r, unsigned char *m)
{
	struct sp_cbor_item it;
	int rc = kind_err(sp_cbor_read(r, &it));
	if (rc)
		return rc;
	if (it.kind != SP_CBOR_TRUE && it.kind != SP_CBOR_FALSE)
		return SP_ERR_DIR_RECORD;
	int v = it.kind == SP_CBOR_TRUE;
	memcpy(m, &v, sizeof(v));
	return 0;
}

static int read_field(struct sp_cbor_reader *r, const struct field *f, unsigned char *rec)
{
	unsigned char *m = rec + f->off;
	switch (f->kind) {
	case F_STR:
		return read_str(r, (char *)m, f->min, f->max);
	case F_KEY:
		return kind_err(sp_cbor_read_fixed(r, m, SP_KEY_BYTES, SP_ERR_DIR_RECORD));
	case F_UINT:
		return read_uint(r, f->max, m);
	case F_STRS:
		return read_strs(r, f, rec);
	case F_BOOL:
		return read_bool(r, m);
	case F_U64: {
		uint64_t v;
		int rc = kind_err(sp_cbor_read_uint(r, &v));
		if (rc == 0 && v < f->min)
			rc = SP_ERR_DIR_RECORD;
		if (rc == 0)
			memcpy(m, &v, sizeof(v));
		return rc;
	}
	case F_SIG:
		return kind_err(sp_cbor_read_fixed(r, m, SP_SIG_BYTES, SP_ERR_DIR_RECORD));
	}
	return SP_ERR_INTERNAL;
}

/* read_key reads the next key, which must be `want`: every key is required
 * and keys come in order, so anything else is a missing or unknown key. */
static int read_key(struct sp_cbor_reader *r, int64_t *prev, uint64_t want)
{
	uint64_t k;
	int rc = sp_cbor_read_key(r, prev, &k);
	if (rc)
		return kind_err(rc);
	return k == want ? 0 : SP_ERR_DIR_RECORD;
}

static int read_fields(struct sp_cbor_reader *r, const struct codec *c, unsigned char *rec)
{
	uint64_t n;
	int rc = sp_cbor_read_map(r, &n);
	if (rc)
		return kind_err(rc);
	if (n != c->n)
		return SP_ERR_DIR_RECORD;
	int64_t prev = SP_CBOR_NO_KEY;
	for (size_t i = 0; i < c->n && !rc; i++) {
		rc = read_key(r, &prev, i);
		if (!rc)
			rc = read_field(r, &c->f[i], rec);
	}
	return rc;
}

/* decode: body[0..len) must be exactly one record, and a valid one. */
static int decode(const struct codec *c, const uint8_t *body, size_t len, void *rec)
{
	if (rec == NULL || body == NULL)
		return SP_ERR_ARG;
	memset(rec, 0, c->size);
	struct sp_cbor_reader r;
	sp_cbor_reader_init(&r, body, len);
	int rc = read_fields(&r, c, rec);
	if (!rc && !sp_cbor_at_end(&r))
		rc = SP_ERR_CBOR_TRAILING;
	return rc ? rc : c->check(rec);
}

int sp_dir_inst_decode(const uint8_t *body, size_t len, struct sp_dir_inst *r)
{
	return decode(&inst_codec, body, len, r);
}

int sp_dir_officer_decode(const uint8_t *body, size_t len, struct sp_dir_officer *r)
{
	return decode(&officer_codec, body, len, r);
}

int sp_dir_route_decode(const uint8_t *body, size_t len, struct sp_dir_route *r)
{
	return decode(&route_codec, body, len, r);
}

int sp_dir_policy_decode(const uint8_t *body, size_t len, struct sp_dir_policy *r)
{
	return decode(&policy_codec, body, len, r);
}

int sp_dir_delegate_decode(const uint8_t *body, size_t len, struct sp_dir_delegate *r)
{
	return decode(&delegate_codec, body, len, r);
}

int sp_dir_retire_encode(const struct sp_dir_retire *r, struct sp_buf *out)
{
	return encode(&retire_codec, r, out);
}

int sp_dir_retire_decode(const uint8_t *body, size_t len, struct sp_dir_retire *r)
{
	return decode(&retire_codec, body, len, r);
}

int sp_dir_forkres_decode(const uint8_t *body, size_t len, struct sp_dir_forkres *r)
{
	return decode(&forkres_codec, body, len, r);
}

/* ---- hash index: up to 32 bytes of key -> item number ------------------------- */

struct slot {
	uint32_t val; /* item number + 1; 0 = empty */
	uint8_t len;
	uint8_t key[32];
};

struct hidx {
	struct slot *s;
	size_t cap, n; /* cap is a power of two, kept at least twice n */
};

static uint64_t hash_bytes(const void *k, size_t n)
{
	const uint8_t *p = k;
	uint64_t h = 1469598103934665603ULL; /* FNV-1a: keys are short */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static struct slot *hidx_slot(const struct hidx *h, const void *k, size_t n)
{
	size_t mask = h->cap - 1;
	for (size_t i = hash_bytes(k, n) & mask;; i = (i + 1) & mask) {
		struct slot *s = &h->s[i];
		if (s->val == 0 || (s->len == n && memcmp(s->key, k, n) == 0))
			return s;
	}
}

/* hidx_find returns the item number for k, or -1. */
static long hidx_find(const struct hidx *h, const void *k, size_t n)
{
	if (h->cap == 0 || n > 32)
		return -1;
	const struct slot *s = hidx_slot(h, k, n);
	return s->val ? (long)s->val - 1 : -1;
}

/* hidx_reserve makes room for `more` new keys, so that later puts cannot
 * fail: an apply either changes everything it needs or nothing. */
static int hidx_reserve(struct hidx *h, size_t more)
{
	if ((h->n + more) * 2 <= h->cap)
		return 0;
	size_t cap = h->cap ? h->cap : 64;
	while ((h->n + more) * 2 > cap)
		cap *= 2;
	struct slot *s = calloc(cap, sizeof(*s));
	if (s == NULL)
		return SP_ERR_NOMEM;
	struct hidx grown = {s, cap, h->n};
	for (size_t i = 0; i < h->cap; i++)
		if (h->s[i].val)
			*hidx_slot(&grown, h->s[i].key, h->s[i].len) = h->s[i];
	free(h->s);
	*h = grown;
	return 0;
}

/* hidx_put adds k (not present; room reserved). */
static void hidx_put(struct hidx *h, const void *k, size_t n, uint32_t item)
{
	struct slot *s = hidx_slot(h, k, n);
	s->val = item + 1;
	s->len = (uint8_t)n;
	memcpy(s->key, k, n);
	h->n++;
}

/* ---- the directory ------------------------------------------------------------- */

/* All versions of one institution's record, oldest first. */
struct inst {
	struct sp_dir_inst *v;
	size_t n, cap;
};

/* All enrol/remove events of one officer key, oldest first. */
struct officer {
	struct sp_dir_officer *ev;
	size_t n, cap;
};

struct sp_dir {
	uint8_t root_key[SP_KEY_BYTES];
	long coord; /* the coordinator's institution number, -1 until recorded */
	struct inst *insts;
	size_t ninsts, capinsts;
	struct hidx by_id, by_key, by_officer;
	struct officer *offs;
	size_t noffs, capoffs;
	struct sp_dir_route *routes;
	size_t nroutes, caproutes;
	struct sp_dir_policy *pols;
	size_t npols, cappols;
	struct sp_dir_delegate *dels; /* grants in force */
	size_t ndels, capdels;
	pthread_rwlock_t lk; /* queries read, applies write (see the wrappers at the end) */
	uint64_t gen;        /* entries applied or refused: anything derived may be stale */
};

int sp_dir_new(const uint8_t root_key[SP_KEY_BYTES], struct sp_dir **out)
{
	if (root_key == NULL || out == NULL)
		return SP_ERR_ARG;
	struct sp_dir *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return SP_ERR_NOMEM;
	memcpy(d->root_key, root_key, SP_KEY_BYTES);
	d->coord = -1;
	if (pthread_rwlock_init(&d->lk, NULL) != 0) {
		free(d);
		return SP_ERR_NOMEM;
	}
	*out = d;
	return 0;
}

void sp_dir_free(struct sp_dir *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->ninsts; i++)
		free(d->insts[i].v);
	for (size_t i = 0; i < d->noffs; i++)
		free(d->offs[i].ev);
	free(d->insts);
	free(d->offs);
	free(d->by_id.s);
	free(d->by_key.s);
	free(d->by_officer.s);
	free(d->routes);
	free(d->pols);
	free(d->dels);
	pthread_rwlock_destroy(&d->lk);
	free(d);
}

static size_t dir_count(const struct sp_dir *d)
{
	return d ? d->ninsts : 0;
}

static const struct inst *find(const struct sp_dir *d, const char *id)
{
	long i = hidx_find(&d->by_id, id, strlen(id));
	return i < 0 ? NULL : &d->insts[i];
}

static const struct sp_dir_inst *latest(const struct inst *in)
{
	return &in->v[in->n - 1];
}

/* version_at: the version in force at t, or NULL before the first one. */
static const struct sp_dir_inst *version_at(const struct inst *in, uint64_t t)
{
	for (size_t i = in->n; i-- > 0;)
		if (in->v[i].valid_from <= t)
			return &in->v[i];
	return NULL;
}

/* Retirement is kept in every version (they all end with it). */
static int is_retired(const struct inst *in, uint64_t t)
{
	return latest(in)->retired && latest(in)->retired_ms <= t;
}

static int retired_id(const struct sp_dir *d, const char *id, uint64_t t)
{
	const struct inst *in = find(d, id);
	return in != NULL && is_retired(in, t);
}

static int in_subtree(const struct sp_dir *d, const char *id, const char *root)
{
	const char *cur = id;
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		if (strcmp(cur, root) == 0)
			return 1;
		const struct inst *in = find(d, cur);
		if (in == NULL || latest(in)->parent[0] == '\0')
			return 0;
		cur = latest(in)->parent;
	}
	return 0;
}

static int dir_in_subtree(const struct sp_dir *d, const char *id, const char *root)
{
	if (d == NULL || id == NULL || root == NULL || find(d, id) == NULL)
		return 0;
	return in_subtree(d, id, root);
}

/* ---- who wrote it, and may they ------------------------------------------------- */

/* is_root: author is the coordinator's key at t. Before any coordinator
 * record is in force that is the configured root key; afterwards the key
 * of the coordinator's record, so the coordinator can rotate its own key. */
static int is_root(const struct sp_dir *d, const uint8_t *author, uint64_t t)
{
	if (d->coord >= 0) {
		const struct sp_dir_inst *v = version_at(&d->insts[d->coord], t);
		if (v)
			return memcmp(v->sign_key, author, SP_KEY_BYTES) == 0;
	}
	return memcmp(d->root_key, author, SP_KEY_BYTES) == 0;
}

/* writer_id: the institution whose node key at t is author, or NULL. */
static const char *writer_id(const struct sp_dir *d, const uint8_t *author, uint64_t t)
{
	long i = hidx_find(&d->by_key, author, SP_KEY_BYTES);
	if (i < 0)
		return NULL;
	const struct sp_dir_inst *v = version_at(&d->insts[i], t);
	if (v == NULL || memcmp(v->sign_key, author, SP_KEY_BYTES) != 0)
		return NULL;
	return v->id;
}

/* A per-record test of whether a delegated subtree root covers it. */
typedef int (*covers_fn)(const struct sp_dir *d, const char *root, const void *rec);

/* How a record is being applied: `dry` checks only (sp_dir_check);
 * `as` is the institution of the admin officer whose signed request
 * carries it (SP_EV_ADMIN), who must have the authority too; NULL when
 * the writer acts on its own. */
struct act {
	int dry;
	const char *as;
};

/* delegated: some subtree granted to institution w covers rec. */
static int delegated(const struct sp_dir *d, const char *w, covers_fn covers, const void *rec)
{
	if (w == NULL)
		return 0;
	for (size_t i = 0; i < d->ndels; i++)
		if (strcmp(d->dels[i].delegate, w) == 0 && covers(d, d->dels[i].root, rec))
			return 1;
	return 0;
}

/* A delegate may write unit records strictly inside its subtree: never
 * the subtree's root itself, nor a government, ministry or coordinator,
 * which only the coordinator records. */
static int covers_inst(const struct sp_dir *d, const char *root, const void *p)
{
	const struct sp_dir_inst *r = p;
	if (r->tier != SP_DIR_TIER_UNIT || strcmp(r->id, root) == 0)
		return 0;
	if (!in_subtree(d, r->parent, root))
		return 0;
	const struct inst *old = find(d, r->id);
	return old == NULL || (latest(old)->tier == SP_DIR_TIER_UNIT && in_subtree(d, r->id, root));
}

static int covers_officer(const struct sp_dir *d, const char *root, const void *p)
{
	const struct sp_dir_officer *r = p;
	return in_subtree(d, r->inst, root);
}

/* region_under: region lies inside prefix ("" covers everything). */
static int region_under(const char *region, const char *prefix)
{
	size_t n = strlen(prefix);
	if (n == 0)
		return 1;
	return strncmp(region, prefix, n) == 0 && (region[n] == '\0' || region[n] == '.');
}

/* route_in: a rule targets the subtree and stays inside its root's
 * regions, so a delegate can never capture complaints from elsewhere. */
static int route_in(const struct sp_dir *d, const char *root, const struct sp_dir_route *r)
{
	if (r->inst[0] != '\0' && !in_subtree(d, r->inst, root))
		return 0;
	const struct inst *ri = find(d, root);
	if (ri == NULL || r->region[0] == '\0')
		return 0;
	const struct sp_dir_inst *v = latest(ri);
	for (size_t i = 0; i < v->nregions; i++)
		if (region_under(r->region, v->regions[i]))
			return 1;
	return 0;
}

static long route_find(const struct sp_dir *d, const char *rule_id)
{
	for (size_t i = 0; i < d->nroutes; i++)
		if (strcmp(d->routes[i].rule_id, rule_id) == 0)
			return (long)i;
	return -1;
}

static int covers_route(const struct sp_dir *d, const char *root, const void *p)
{
	const struct sp_dir_route *r = p;
	long old = route_find(d, r->rule_id);
	return route_in(d, root, r) && (old < 0 || route_in(d, root, &d->routes[old]));
}

/* allowed: the writer may write rec, and so may the officer who asked
 * for it (a->as): the coordinator's admins anything, another
 * institution's admins what a delegation to it covers. */
static int allowed(const struct sp_dir *d, const struct sp_entry *e, covers_fn covers,
		   const void *rec, const struct act *a)
{
	if (!is_root(d, e->author, e->time_ms) &&
	    !(covers != NULL && delegated(d, writer_id(d, e->author, e->time_ms), covers, rec)))
		return SP_ERR_NOT_DELEGATED;
	if (a->as == NULL || (d->coord >= 0 && strcmp(a->as, latest(&d->insts[d->coord])->id) == 0))
		return 0;
	return covers != NULL && delegated(d, a->as, covers, rec) ? 0 : SP_ERR_NOT_DELEGATED;
}

/* ---- applying institution records ------------------------------------------------ */

/* inst_consistent: the record fits the directory as it stands. */
static int inst_consistent(const struct sp_dir *d, const struct sp_dir_inst *r, uint64_t t)
{
	const struct inst *old = find(d, r->id);
	if ((old != NULL && is_retired(old, t)) || retired_id(d, r->parent, t))
		return SP_ERR_RETIRED; /* retirement is final: no new version, no new child */
	int coord = r->tier == SP_DIR_TIER_COORDINATOR;
	if (d->coord >= 0 && (coord || old != NULL) &&
	    (coord != (old == &d->insts[d->coord])))
		return SP_ERR_EXISTS; /* one coordinator, and it stays one */
	long k = hidx_find(&d->by_key, r->sign_key, SP_KEY_BYTES);
	if (k >= 0 && (old == NULL || &d->insts[k] != old))
		return SP_ERR_EXISTS; /* a key names one institution, or writers blur */
	if (k >= 0 && memcmp(latest(old)->sign_key, r->sign_key, SP_KEY_BYTES) != 0)
		return SP_ERR_EXISTS; /* a rotated-away key never comes back (sp_keyhist.h) */
	if (coord)
		return 0;
	if (find(d, r->parent) == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	if (old != NULL && in_subtree(d, r->parent, r->id))
		return SP_ERR_DIR_CYCLE;
	return 0;
}

/* insert_version puts v in time order (after versions of the same time)
 * and fixes the validity bounds around it. Room must be reserved. */
static void insert_version(struct inst *in, const struct sp_dir_inst *v)
{
	size_t at = in->n;
	while (at > 0 && in->v[at - 1].valid_from > v->valid_from)
		at--;
	memmove(&in->v[at + 1], &in->v[at], (in->n - at) * sizeof(*v));
	in->v[at] = *v;
	in->n++;
	in->v[at].valid_until = at + 1 < in->n ? in->v[at + 1].valid_from : SP_DIR_TIME_MAX;
	if (at > 0)
		in->v[at - 1].valid_until = v->valid_from;
}

static int apply_inst(struct sp_dir *d, const struct sp_entry *e, const struct act *a)
{
	struct sp_dir_inst r;
	int rc = sp_dir_inst_decode(e->body, e->body_len, &r);
	if (rc)
		return rc;
	rc = allowed(d, e, r.tier == SP_DIR_TIER_COORDINATOR ? NULL : covers_inst, &r, a);
	if (!rc)
		rc = inst_consistent(d, &r, e->time_ms);
	if (rc || a->dry)
		return rc;
	long idx = hidx_find(&d->by_id, r.id, strlen(r.id));
	int new_key = hidx_find(&d->by_key, r.sign_key, SP_KEY_BYTES) < 0;
	/* Reserve everything first: after this point nothing can fail. */
	if (idx < 0 && (sp_grow((void **)&d->insts, &d->capinsts, d->ninsts, sizeof(struct inst)) ||
			hidx_reserve(&d->by_id, 1)))
		return SP_ERR_NOMEM;
	if (new_key && hidx_reserve(&d->by_key, 1))
		return SP_ERR_NOMEM;
	struct inst *in = idx < 0 ? &d->insts[d->ninsts] : &d->insts[idx];
	if (idx < 0)
		memset(in, 0, sizeof(*in));
	if (sp_grow((void **)&in->v, &in->cap, in->n, sizeof(*in->v)))
		return SP_ERR_NOMEM;
	if (idx < 0) {
		idx = (long)d->ninsts++;
		hidx_put(&d->by_id, r.id, strlen(r.id), (uint32_t)idx);
	}
	if (new_key)
		hidx_put(&d->by_key, r.sign_key, SP_KEY_BYTES, (uint32_t)idx);
	if (r.tier == SP_DIR_TIER_COORDINATOR)
		d->coord = idx;
	r.valid_from = e->time_ms;
	insert_version(in, &r);
	return 0;
}

/* ---- applying officer records ------------------------------------------------------ */

static const struct sp_dir_officer *officer_at(const struct officer *o, uint64_t t)
{
	for (size_t i = o->n; i-- > 0;)
		if (o->ev[i].since <= t)
			return o->ev[i].action == SP_DIR_ENROL ? &o->ev[i] : NULL;
	return NULL;
}

/* standing: the enrolment of officer key in force at t, or NULL; an
 * officer of an institution retired by then stands nowhere. */
static const struct sp_dir_officer *standing(const struct sp_dir *d, const uint8_t *key,
					     uint64_t t)
{
	long i = hidx_find(&d->by_officer, key, SP_KEY_BYTES);
	const struct sp_dir_officer *o = i < 0 ? NULL : officer_at(&d->offs[i], t);
	return o != NULL && retired_id(d, o->inst, t) ? NULL : o;
}

static int officer_consistent(const struct sp_dir *d, const struct sp_dir_officer *r,
			      uint64_t t)
{
	if (find(d, r->inst) == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	if (r->action == SP_DIR_ENROL && retired_id(d, r->inst, t))
		return SP_ERR_RETIRED;
	const struct sp_dir_officer *now = standing(d, r->key, t);
	if (r->action == SP_DIR_REMOVE)
		return now && strcmp(now->inst, r->inst) == 0 ? 0 : SP_ERR_UNKNOWN_OFFICER;
	/* One person acts for one institution at a time: the trail must name
	 * a single institution for every officer signature. */
	return now && strcmp(now->inst, r->inst) != 0 ? SP_ERR_EXISTS : 0;
}

static int apply_officer(struct sp_dir *d, const struct sp_entry *e, const struct act *a)
{
	struct sp_dir_officer r;
	int rc = sp_dir_officer_decode(e->body, e->body_len, &r);
	if (!rc)
		rc = allowed(d, e, covers_officer, &r, a);
	if (!rc)
		rc = officer_consistent(d, &r, e->time_ms);
	if (rc || a->dry)
		return rc;
	long i = hidx_find(&d->by_officer, r.key, SP_KEY_BYTES);
	if (i < 0 && (sp_grow((void **)&d->offs, &d->capoffs, d->noffs, sizeof(struct officer)) ||
		      hidx_reserve(&d->by_officer, 1)))
		return SP_ERR_NOMEM;
	struct officer *o = i < 0 ? &d->offs[d->noffs] : &d->offs[i];
	if (i < 0)
		memset(o, 0, sizeof(*o));
	if (sp_grow((void **)&o->ev, &o->cap, o->n, sizeof(*o->ev)))
		return SP_ERR_NOMEM;
	if (i < 0) {
		hidx_put(&d->by_officer, r.key, SP_KEY_BYTES, (uint32_t)d->noffs);
		d->noffs++;
	}
	r.since = e->time_ms;
	size_t at = o->n;
	while (at > 0 && o->ev[at - 1].since > r.since)
		at--;
	memmove(&o->ev[at + 1], &o->ev[at], (o->n - at) * sizeof(r));
	o->ev[at] = r;
	o->n++;
	return 0;
}

/* ---- routes, policies, delegations -------------------------------------------------- */

/* set_or_append stores rec (size bytes) as item `at` of a dynamic array,
 * replacing what is there, or appends it when at < 0. */
static int set_or_append(void **arr, size_t *n, size_t *cap, long at, const void *rec,
			 size_t size)
{
	if (at < 0) {
		if (sp_grow(arr, cap, *n, size))
			return SP_ERR_NOMEM;
		at = (long)(*n)++;
	}
	memcpy((char *)*arr + (size_t)at * size, rec, size);
	return 0;
}

static int apply_route(struct sp_dir *d, const struct sp_entry *e, const struct act *a)
{
	struct sp_dir_route r;
	int rc = sp_dir_route_decode(e->body, e->body_len, &r);
	if (!rc)
		rc = allowed(d, e, covers_route, &r, a);
	if (rc)
		return rc;
	long old = route_find(d, r.rule_id);
	if (r.inst[0] == '\0') { /* deletion */
		if (old < 0)
			return SP_ERR_NOT_FOUND;
		if (!a->dry)
			d->routes[old] = d->routes[--d->nroutes];
		return 0;
	}
	if (find(d, r.inst) == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	if (retired_id(d, r.inst, e->time_ms))
		return SP_ERR_RETIRED;
	if (a->dry)
		return 0;
	return set_or_append((void **)&d->routes, &d->nroutes, &d->caproutes, old, &r, sizeof(r));
}

static int apply_policy(struct sp_dir *d, const struct sp_entry *e, const struct act *a)
{
	struct sp_dir_policy r;
	int rc = sp_dir_policy_decode(e->body, e->body_len, &r);
	if (!rc)
		rc = allowed(d, e, NULL, &r, a);
	if (rc || a->dry)
		return rc;
	long old = -1;
	for (size_t i = 0; i < d->npols && old < 0; i++)
		if (strcmp(d->pols[i].category, r.category) == 0)
			old = (long)i;
	return set_or_append((void **)&d->pols, &d->npols, &d->cappols, old, &r, sizeof(r));
}

static int apply_delegate(struct sp_dir *d, const struct sp_entry *e, const struct act *a)
{
	struct sp_dir_delegate r;
	int rc = sp_dir_delegate_decode(e->body, e->body_len, &r);
	if (!rc)
		rc = allowed(d, e, NULL, &r, a); /* no re-delegation: root only */
	if (rc)
		return rc;
	if (find(d, r.delegate) == NULL || find(d, r.root) == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	if (r.grant && (retired_id(d, r.delegate, e->time_ms) || retired_id(d, r.root, e->time_ms)))
		return SP_ERR_RETIRED;
	if (a->dry)
		return 0;
	for (size_t i = 0; i < d->ndels; i++) {
		if (strcmp(d->dels[i].delegate, r.delegate) == 0 &&
		    strcmp(d->dels[i].root, r.root) == 0) {
			if (!r.grant)
				d->dels[i] = d->dels[--d->ndels];
			return 0;
		}
	}
	if (!r.grant)
		return 0;
	return set_or_append((void **)&d->dels, &d->ndels, &d->capdels, -1, &r, sizeof(r));
}

/* ---- retirement ---------------------------------------------------------------------- */

/* A delegate retires units strictly inside its subtree, as it adds them. */
static int covers_retire(const struct sp_dir *d, const char *root, const void *p)
{
	const struct sp_dir_retire *r = p;
	const struct inst *in = find(d, r->id);
	return in != NULL && latest(in)->tier == SP_DIR_TIER_UNIT && strcmp(r->id, root) != 0 &&
	       in_subtree(d, r->id, root);
}

static int has_child_in_service(const struct sp_dir *d, const char *id, uint64_t t)
{
	for (size_t i = 0; i < d->ninsts; i++)
		if (strcmp(latest(&d->insts[i])->parent, id) == 0 && !is_retired(&d->insts[i], t))
			return 1;
	return 0;
}

/* drop_grants removes the delegations to and of a retired institution. */
static void drop_grants(struct sp_dir *d, const char *id)
{
	for (size_t i = d->ndels; i-- > 0;)
		if (strcmp(d->dels[i].delegate, id) == 0 || strcmp(d->dels[i].root, id) == 0)
			d->dels[i] = d->dels[--d->ndels];
}

static int apply_retire(struct sp_dir *d, const struct sp_entry *e, const struct act *a)
{
	struct sp_dir_retire r;
	int rc = sp_dir_retire_decode(e->body, e->body_len, &r);
	if (!rc)
		rc = allowed(d, e, covers_retire, &r, a);
	if (rc)
		return rc;
	long idx = hidx_find(&d->by_id, r.id, strlen(r.id));
	if (idx < 0)
		return SP_ERR_UNKNOWN_INSTITUTION;
	struct inst *in = &d->insts[idx];
	if (idx == d->coord)
		return SP_ERR_NOT_DELEGATED; /* someone must always hold a complaint */
	if (latest(in)->retired)
		return SP_ERR_RETIRED;
	if (has_child_in_service(d, r.id, e->time_ms))
		return SP_ERR_EXISTS;
	if (a->dry)
		return 0;
	for (size_t i = 0; i < in->n; i++) {
		in->v[i].retired = 1;
		in->v[i].retired_ms = e->time_ms;
	}
	drop_grants(d, r.id);
	return 0;
}

static int dir_heir(const struct sp_dir *d, const char *id, uint64_t t,
		    char out[SP_INST_ID_MAX + 1])
{
	if (d == NULL || id == NULL || out == NULL)
		return SP_ERR_ARG;
	const struct inst *in = find(d, id);
	if (in == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	if (!is_retired(in, t))
		return SP_ERR_NOT_FOUND;
	for (int depth = 0; depth < MAX_DEPTH && latest(in)->parent[0] != '\0'; depth++) {
		in = find(d, latest(in)->parent);
		if (in == NULL)
			break;
		if (!is_retired(in, t)) {
			memcpy(out, latest(in)->id, SP_INST_ID_MAX + 1);
			return 0;
		}
	}
	return SP_ERR_INTERNAL; /* the coordinator is never retired */
}

/* ---- fork resolutions ----------------------------------------------------------------- */

size_t sp_dir_forkres_message(const struct sp_dir_forkres *r, uint8_t *msg)
{
	size_t n = sizeof(SP_DIR_FORKRES_DOMAIN) - 1, il = strnlen(r->inst, SP_INST_ID_MAX);
	memcpy(msg, SP_DIR_FORKRES_DOMAIN, n);
	memcpy(msg + n, r->inst, il);
	n += il;
	msg[n++] = '\n';
	for (int i = 7; i >= 0; i--)
		msg[n++] = (uint8_t)(r->size >> (8 * i));
	memcpy(msg + n, r->root, SP_HASH_BYTES);
	return n + SP_HASH_BYTES;
}

int sp_dir_forkres_sign(struct sp_dir_forkres *r, const uint8_t sk[SP_SECRET_BYTES])
{
	if (r == NULL || sk == NULL || forkres_check(r))
		return SP_ERR_ARG;
	uint8_t msg[SP_DIR_FORKRES_MSG_MAX];
	size_t n = sp_dir_forkres_message(r, msg);
	crypto_sign_ed25519_sk_to_pk(r->officer, sk);
	crypto_sign_detached(r->sig, NULL, msg, n, sk);
	return 0;
}

int sp_dir_forkres_verify(const struct sp_dir_forkres *r)
{
	uint8_t msg[SP_DIR_FORKRES_MSG_MAX];
	size_t n = sp_dir_forkres_message(r, msg);
	return crypto_sign_verify_detached(r->sig, msg, n, r->officer) ? SP_ERR_BAD_SIGNATURE : 0;
}

static int dir_forkres_check(const struct sp_dir *d, const struct sp_entry *e,
			 struct sp_dir_forkres *out)
{
	if (d == NULL || e == NULL || e->body == NULL || e->type != SP_EV_FORK_RESOLVE)
		return SP_ERR_ARG;
	struct sp_dir_forkres r;
	int rc = sp_dir_forkres_decode(e->body, e->body_len, &r);
	if (rc == 0)
		rc = is_root(d, e->author, e->time_ms) ? 0 : SP_ERR_NOT_DELEGATED;
	if (rc == 0 && (find(d, r.inst) == NULL || d->coord < 0))
		rc = SP_ERR_UNKNOWN_INSTITUTION;
	if (rc == 0)
		rc = sp_dir_forkres_verify(&r);
	if (rc)
		return rc;
	const struct sp_dir_officer *o = standing(d, r.officer, e->time_ms);
	if (o == NULL)
		return SP_ERR_UNKNOWN_OFFICER;
	if (strcmp(o->inst, latest(&d->insts[d->coord])->id) != 0 || o->role != SP_DIR_ROLE_ADMIN)
		return SP_ERR_AUTHORITY;
	if (out)
		*out = r;
	return 0;
}

static int apply_admin(struct sp_dir *d, const struct sp_entry *e, const struct act *a);

static int dir_apply(struct sp_dir *d, const struct sp_entry *e, const struct act *a)
{
	if (d == NULL || e == NULL || e->body == NULL)
		return SP_ERR_ARG;
	switch (e->type) {
	case SP_EV_INSTITUTION:
		return apply_inst(d, e, a);
	case SP_EV_OFFICER:
		return apply_officer(d, e, a);
	case SP_EV_ROUTE:
		return apply_route(d, e, a);
	case SP_EV_POLICY:
		return apply_policy(d, e, a);
	case SP_EV_DELEGATE:
		return apply_delegate(d, e, a);
	case SP_EV_RETIRE:
		return apply_retire(d, e, a);
	case SP_EV_FORK_RESOLVE:
		return dir_forkres_check(d, e, NULL); /* applied by the node to its store */
	case SP_EV_ADMIN:
		return a->as == NULL ? apply_admin(d, e, a) : SP_ERR_DIR_RECORD; /* no nesting */
	default:
		return 0; /* not ours: calendar, reports */
	}
}

/* ---- an admin's signed request (sp_admin.h) ------------------------------------------------ */

/* check_calendar: a year's calendar comes from the coordinator only (its
 * admin, or its node key) and must decode; the node applies it. */
static int check_calendar(const struct sp_dir *d, const struct sp_entry *in, const struct act *a)
{
	int rc = allowed(d, in, NULL, NULL, a);
	struct sp_cal_year y;
	if (rc == 0 && (rc = sp_cal_year_decode(in->body, in->body_len, &y)) == 0)
		sp_cal_year_free(&y);
	return rc;
}

/* apply_admin applies the record an SP_EV_ADMIN entry carries, as its
 * writer would, when the request is signed, was written before it
 * expired, and its signer is the writer's own key or an officer enrolled
 * as admin at the entry's time who has the authority too. */
static int apply_admin(struct sp_dir *d, const struct sp_entry *e, const struct act *a)
{
	struct sp_admin_req r;
	struct sp_entry in;
	int rc = sp_admin_inner(e, &r, &in);
	if (rc)
		return rc;
	if (e->time_ms > r.expires_ms)
		return SP_ERR_EXPIRED;
	struct act b = {a->dry, NULL};
	if (memcmp(r.officer, e->author, SP_KEY_BYTES) != 0) {
		const struct sp_dir_officer *o = standing(d, r.officer, e->time_ms);
		if (o == NULL)
			return SP_ERR_UNKNOWN_OFFICER;
		if (o->role != SP_DIR_ROLE_ADMIN)
			return SP_ERR_AUTHORITY;
		b.as = o->inst;
	}
	if (in.type == SP_EV_CALENDAR)
		return check_calendar(d, &in, &b);
	return dir_apply(d, &in, &b);
}

int sp_dir_apply_entry(struct sp_dir *d, const uint8_t *buf, size_t len)
{
	struct sp_entry e;
	int rc = sp_entry_open(buf, len, &e);
	return rc ? rc : sp_dir_apply(d, &e); /* locks */
}

/* ---- queries ------------------------------------------------------------------------- */

static int dir_institution(const struct sp_dir *d, const char *id, uint64_t t,
		       struct sp_dir_inst *out)
{
	if (d == NULL || id == NULL || out == NULL)
		return SP_ERR_ARG;
	const struct inst *in = find(d, id);
	const struct sp_dir_inst *v = in ? version_at(in, t) : NULL;
	if (v == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	*out = *v;
	return 0;
}

static int dir_by_key(const struct sp_dir *d, const uint8_t key[SP_KEY_BYTES], uint64_t t,
		  struct sp_dir_inst *out)
{
	if (d == NULL || key == NULL || out == NULL)
		return SP_ERR_ARG;
	const char *id = writer_id(d, key, t);
	return id ? dir_institution(d, id, t, out) : SP_ERR_UNKNOWN_INSTITUTION;
}

static int dir_officer(const struct sp_dir *d, const uint8_t key[SP_KEY_BYTES], uint64_t t,
		   struct sp_dir_officer *out)
{
	if (d == NULL || key == NULL || out == NULL)
		return SP_ERR_ARG;
	const struct sp_dir_officer *o = standing(d, key, t);
	if (o == NULL)
		return SP_ERR_UNKNOWN_OFFICER;
	*out = *o;
	return 0;
}

static int dir_parent(const struct sp_dir *d, const char *id, char out[SP_INST_ID_MAX + 1])
{
	if (d == NULL || id == NULL || out == NULL)
		return SP_ERR_ARG;
	const struct inst *in = find(d, id);
	if (in == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	if (latest(in)->parent[0] == '\0')
		return SP_ERR_NOT_FOUND;
	memcpy(out, latest(in)->parent, SP_INST_ID_MAX + 1);
	return 0;
}

static int dir_is_coordinator(const struct sp_dir *d, const char *id)
{
	if (d == NULL || id == NULL || d->coord < 0)
		return 0;
	return strcmp(latest(&d->insts[d->coord])->id, id) == 0;
}

static int dir_coordinator(const struct sp_dir *d, char out[SP_INST_ID_MAX + 1])
{
	if (d == NULL || out == NULL)
		return SP_ERR_ARG;
	if (d->coord < 0)
		return SP_ERR_NOT_FOUND;
	memcpy(out, latest(&d->insts[d->coord])->id, SP_INST_ID_MAX + 1);
	return 0;
}

/* A filter for scan: does institution v (latest version) belong? */
typedef int (*inst_match_fn)(const struct sp_dir *d, const struct sp_dir_inst *v,
			     const char *id);

static int any_inst(const struct sp_dir *d, const struct sp_dir_inst *v, const char *id)
{
	(void)d, (void)v, (void)id;
	return 1;
}

static int child_of(const struct sp_dir *d, const struct sp_dir_inst *v, const char *id)
{
	(void)d;
	return strcmp(v->parent, id) == 0;
}

static int under(const struct sp_dir *d, const struct sp_dir_inst *v, const char *id)
{
	return in_subtree(d, v->id, id);
}

/* scan calls fn with every institution that match accepts, in the order
 * first recorded. Children and subtrees are found this way too: parents
 * can change with any record, and a scan with short ancestor walks is
 * cheap at this size. */
static int scan(const struct sp_dir *d, inst_match_fn match, const char *id, sp_dir_inst_fn fn,
		void *arg)
{
	for (size_t i = 0; i < d->ninsts; i++) {
		const struct sp_dir_inst *v = latest(&d->insts[i]);
		int rc = match(d, v, id) ? fn(arg, v) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

static int dir_each(const struct sp_dir *d, sp_dir_inst_fn fn, void *arg)
{
	if (d == NULL || fn == NULL)
		return SP_ERR_ARG;
	return scan(d, any_inst, NULL, fn, arg);
}

/* scan_from is scan for the queries about one institution, id. */
static int scan_from(const struct sp_dir *d, inst_match_fn match, const char *id,
		     sp_dir_inst_fn fn, void *arg)
{
	if (d == NULL || id == NULL || fn == NULL)
		return SP_ERR_ARG;
	if (find(d, id) == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	return scan(d, match, id, fn, arg);
}

static int dir_children(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg)
{
	return scan_from(d, child_of, id, fn, arg);
}

static int dir_subtree(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg)
{
	return scan_from(d, under, id, fn, arg);
}

static int dir_ancestors(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg)
{
	if (d == NULL || id == NULL || fn == NULL)
		return SP_ERR_ARG;
	const struct inst *in = find(d, id);
	if (in == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	for (int depth = 0; depth < MAX_DEPTH && latest(in)->parent[0] != '\0'; depth++) {
		in = find(d, latest(in)->parent);
		if (in == NULL)
			return 0;
		int rc = fn(arg, latest(in));
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- routing ---------------------------------------------------------------------------- */

/* better: rule a beats the best so far, b (NULL if none). */
static int better(const struct sp_dir_route *a, const struct sp_dir_route *b)
{
	if (b == NULL)
		return 1;
	size_t la = strlen(a->region), lb = strlen(b->region);
	if (la != lb)
		return la > lb;
	int sa = strcmp(a->category, "*") != 0, sb = strcmp(b->category, "*") != 0;
	if (sa != sb)
		return sa > sb;
	return strcmp(a->rule_id, b->rule_id) < 0;
}

static void set_default(const char *inst, char out_inst[SP_INST_ID_MAX + 1],
			char out_rule_id[SP_DIR_RULE_MAX + 1])
{
	memcpy(out_inst, inst, strlen(inst) + 1);
	memcpy(out_rule_id, DEFAULT_RULE_PREFIX, sizeof(DEFAULT_RULE_PREFIX));
	strcat(out_rule_id, inst); /* 8 + 32 bytes fit SP_DIR_RULE_MAX */
}

/* route_default: the most specific region government, else the
 * coordinator (no wrong door: someone always holds the complaint). */
static int route_default(const struct sp_dir *d, const char *region,
			 char out_inst[SP_INST_ID_MAX + 1], char out_rule_id[SP_DIR_RULE_MAX + 1])
{
	char code[SP_DIR_REGION_MAX + 1];
	memcpy(code, region, strlen(region) + 1);
	while (code[0] != '\0') {
		if (find(d, code) != NULL && !retired_id(d, code, SP_DIR_TIME_MAX)) {
			set_default(code, out_inst, out_rule_id);
			return 0;
		}
		char *dot = strrchr(code, '.');
		if (dot == NULL)
			break;
		*dot = '\0';
	}
	if (d->coord < 0)
		return SP_ERR_NO_ROUTE;
	set_default(latest(&d->insts[d->coord])->id, out_inst, out_rule_id);
	return 0;
}

static int dir_route(const struct sp_dir *d, const char *category, const char *region,
		 char out_inst[SP_INST_ID_MAX + 1], char out_rule_id[SP_DIR_RULE_MAX + 1])
{
	if (d == NULL || category == NULL || region == NULL || out_inst == NULL ||
	    out_rule_id == NULL)
		return SP_ERR_ARG;
	if (!sp_dir_category_valid(category) || (region[0] != '\0' && !sp_dir_region_valid(region)))
		return SP_ERR_ARG;
	const struct sp_dir_route *best = NULL;
	for (size_t i = 0; i < d->nroutes; i++) {
		const struct sp_dir_route *r = &d->routes[i];
		if (strcmp(r->category, "*") != 0 && strcmp(r->category, category) != 0)
			continue;
		if (!region_under(region, r->region) || retired_id(d, r->inst, SP_DIR_TIME_MAX))
			continue;
		if (better(r, best))
			best = r;
	}
	if (best == NULL)
		return route_default(d, region, out_inst, out_rule_id);
	memcpy(out_inst, best->inst, SP_INST_ID_MAX + 1);
	memcpy(out_rule_id, best->rule_id, SP_DIR_RULE_MAX + 1);
	return 0;
}

static int dir_policy_for(const struct sp_dir *d, const char *category, struct sp_dir_policy *out)
{
	static const struct sp_dir_policy builtin = {"", 3, 5, 10, 60};
	if (d == NULL || category == NULL || out == NULL || !sp_dir_category_valid(category))
		return SP_ERR_ARG;
	const struct sp_dir_policy *dflt = &builtin;
	for (size_t i = 0; i < d->npols; i++) {
		if (strcmp(d->pols[i].category, category) == 0) {
			*out = d->pols[i];
			return 0;
		}
		if (d->pols[i].category[0] == '\0')
			dflt = &d->pols[i];
	}
	*out = *dflt;
	return 0;
}

/* ---- locked entry points ------------------------------------------------------------------ */

/* A running node applies directory records as they arrive (the ingest
 * thread) while HTTP workers and the loop query: queries take the read
 * lock, applies the write lock. Callbacks of the iterations run under the
 * read lock: they may query, never apply. The lock is in the struct, so a
 * const query still takes it. */
#define RD(d) pthread_rwlock_rdlock((pthread_rwlock_t *)&(d)->lk)
#define UN(d) pthread_rwlock_unlock((pthread_rwlock_t *)&(d)->lk)
#define LOCKED(d, call)                                                                        \
	do {                                                                                   \
		RD(d);                                                                         \
		__typeof__(call) v_ = (call);                                                  \
		UN(d);                                                                         \
		return v_;                                                                     \
	} while (0)

int sp_dir_apply(struct sp_dir *d, const struct sp_entry *e)
{
	if (d == NULL)
		return SP_ERR_ARG;
	struct act a = {0, NULL};
	pthread_rwlock_wrlock(&d->lk);
	int rc = dir_apply(d, e, &a);
	d->gen++;
	UN(d);
	return rc;
}

int sp_dir_check(const struct sp_dir *d, const struct sp_entry *e)
{
	if (d == NULL)
		return SP_ERR_ARG;
	struct act a = {1, NULL};
	RD(d);
	int rc = dir_apply((struct sp_dir *)d, e, &a); /* dry: changes nothing */
	UN(d);
	return rc;
}

static int dir_officers(const struct sp_dir *d, const char *inst, sp_dir_officer_fn fn,
			void *arg)
{
	for (size_t i = 0; i < d->noffs; i++) {
		const struct officer *o = &d->offs[i];
		const struct sp_dir_officer *last = o->n ? &o->ev[o->n - 1] : NULL;
		if (last == NULL || last->action != SP_DIR_ENROL ||
		    (inst != NULL && strcmp(last->inst, inst) != 0) ||
		    retired_id(d, last->inst, SP_DIR_TIME_MAX))
			continue;
		int rc = fn(arg, last);
		if (rc)
			return rc;
	}
	return 0;
}

int sp_dir_officers(const struct sp_dir *d, const char *inst, sp_dir_officer_fn fn, void *arg)
{
	if (d == NULL || fn == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_officers(d, inst, fn, arg));
}

uint64_t sp_dir_generation(const struct sp_dir *d)
{
	if (d == NULL)
		return 0;
	LOCKED(d, d->gen);
}

size_t sp_dir_count(const struct sp_dir *d)
{
	if (d == NULL)
		return 0;
	LOCKED(d, dir_count(d));
}

int sp_dir_in_subtree(const struct sp_dir *d, const char *id, const char *root)
{
	if (d == NULL)
		return 0;
	LOCKED(d, dir_in_subtree(d, id, root));
}

int sp_dir_forkres_check(const struct sp_dir *d, const struct sp_entry *e,
			 struct sp_dir_forkres *out)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_forkres_check(d, e, out));
}

int sp_dir_forkres_entry(const struct sp_dir *d, const uint8_t *buf, size_t len,
			 struct sp_dir_forkres *out, uint64_t *index)
{
	struct sp_entry e;
	if (d == NULL || sp_entry_decode(buf, len, &e) != 0 || e.type != SP_EV_FORK_RESOLVE)
		return SP_ERR_NOT_FOUND;
	if (index)
		*index = e.index;
	return sp_dir_forkres_check(d, &e, out);
}

int sp_dir_forkres_covers(uint64_t res_size, int checkpoint, uint64_t at)
{
	return checkpoint ? at <= res_size : at < res_size;
}

int sp_dir_institution(const struct sp_dir *d, const char *id, uint64_t t,
		       struct sp_dir_inst *out)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_institution(d, id, t, out));
}

static int dir_keyhist(const struct sp_dir *d, const char *id, struct sp_keyhist *out)
{
	const struct inst *in = find(d, id);
	if (in == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	sp_keyhist_init(out, in->v[0].sign_key);
	int rc = 0;
	for (size_t i = 1; i < in->n && rc == 0; i++)
		rc = sp_keyhist_add(out, in->v[i].sign_key, in->v[i].valid_from);
	/* a key cannot come back: inst_consistent refuses another's, and its
	 * own earlier one is SP_ERR_EXISTS here too */
	return rc == SP_ERR_EXISTS ? SP_ERR_DIR_RECORD : rc;
}

int sp_dir_keyhist(const struct sp_dir *d, const char *id, struct sp_keyhist *out)
{
	if (d == NULL || id == NULL || out == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_keyhist(d, id, out));
}

int sp_dir_by_key(const struct sp_dir *d, const uint8_t key[SP_KEY_BYTES], uint64_t t,
		  struct sp_dir_inst *out)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_by_key(d, key, t, out));
}

int sp_dir_officer(const struct sp_dir *d, const uint8_t key[SP_KEY_BYTES], uint64_t t,
		   struct sp_dir_officer *out)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_officer(d, key, t, out));
}

int sp_dir_retired(const struct sp_dir *d, const char *id, uint64_t t)
{
	if (d == NULL || id == NULL)
		return 0;
	LOCKED(d, retired_id(d, id, t));
}

int sp_dir_heir(const struct sp_dir *d, const char *id, uint64_t t, char out[SP_INST_ID_MAX + 1])
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_heir(d, id, t, out));
}

int sp_dir_parent(const struct sp_dir *d, const char *id, char out[SP_INST_ID_MAX + 1])
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_parent(d, id, out));
}

int sp_dir_is_coordinator(const struct sp_dir *d, const char *id)
{
	if (d == NULL)
		return 0;
	LOCKED(d, dir_is_coordinator(d, id));
}

int sp_dir_coordinator(const struct sp_dir *d, char out[SP_INST_ID_MAX + 1])
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_coordinator(d, out));
}

int sp_dir_each(const struct sp_dir *d, sp_dir_inst_fn fn, void *arg)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_each(d, fn, arg));
}

int sp_dir_children(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_children(d, id, fn, arg));
}

int sp_dir_subtree(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_subtree(d, id, fn, arg));
}

int sp_dir_ancestors(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_ancestors(d, id, fn, arg));
}

int sp_dir_route(const struct sp_dir *d, const char *category, const char *region,
		 char out_inst[SP_INST_ID_MAX + 1], char out_rule_id[SP_DIR_RULE_MAX + 1])
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_route(d, category, region, out_inst, out_rule_id));
}

int sp_dir_policy_for(const struct sp_dir *d, const char *category, struct sp_dir_policy *out)
{
	if (d == NULL)
		return SP_ERR_ARG;
	LOCKED(d, dir_policy_for(d, category, out));
}

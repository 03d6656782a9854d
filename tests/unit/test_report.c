/*
 * test_report.c - unit tests for reports and their handling
 * (protocol/sp_report_*.c): body round trips and strict decoding, sealing,
 * officer and reporter proofs, and the state computed from a trail:
 * every transition, the authority rules, take-overs, bounces, the
 * reporter's window, merges, replays, deadlines and escalations, and
 * independence from the order the trail is given in.
 *
 * The directory is a small fake: NAS (coordinator) > 73 (province) >
 * 73.12 (kabupaten) > 73.12.DINKES, 73.12.DISDIK; and 73.11 under 73.
 */
#include "sp_testutil.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cal.h"
#include "sp_err.h"
#include "sp_event.h"
#include "sp_report.h"

#define HOUR_MS 3600000ULL
#define MAX_TRAIL 32

/* ---- the fake directory ------------------------------------------------ */

struct officer {
	uint8_t seed;
	const char *inst;
	uint64_t from_ms; /* enrolled from */
};

static const char *const parents[][2] = {
	{"73", "NAS"}, {"73.12", "73"}, {"73.11", "73"},
	{"73.12.DINKES", "73.12"}, {"73.12.DISDIK", "73.12"}, {"NAS", ""},
};

static uint64_t wib(uint32_t ymd, unsigned hh)
{
	int64_t day;

	assert_int_equal(sp_cal_ymd_to_day(ymd, &day), 0);
	return sp_cal_day_start_ms(day) + hh * HOUR_MS;
}

static const struct officer officers[] = {
	{1, "73.12", 0}, {2, "73.12.DINKES", 0}, {3, "73.12.DISDIK", 0}, {4, "73", 0},
	{5, "NAS", 0}, {6, "73.11", 0}, {7, "73.12", 1780000000000ULL},
};

static int dir_officer(void *arg, const uint8_t key[32], uint64_t t, char out[SP_INST_ID_MAX + 1])
{
	for (size_t i = 0; i < sizeof(officers) / sizeof(officers[0]); i++) {
		uint8_t pk[32], sk[64];

		sp_test_keypair(officers[i].seed, pk, sk);
		if (memcmp(pk, key, 32) == 0 && t >= officers[i].from_ms) {
			strcpy(out, officers[i].inst);
			return 0;
		}
	}
	return SP_ERR_UNKNOWN_OFFICER;
}

static int dir_parent(void *arg, const char *inst, char out[SP_INST_ID_MAX + 1])
{
	for (size_t i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		if (strcmp(parents[i][0], inst) == 0) {
			strcpy(out, parents[i][1]);
			return 0;
		}
	}
	return SP_ERR_UNKNOWN_INSTITUTION;
}

static int dir_coord(void *arg, const char *inst)
{
	return strcmp(inst, "NAS") == 0;
}

/* The directory's institutions are the ones in `parents`; the only other
 * report known is 0xab... (what test_merge merges into). */
static int dir_inst_known(void *arg, const char *inst, uint64_t t)
{
	char parent[SP_INST_ID_MAX + 1];
	(void)t;
	return dir_parent(arg, inst, parent) == 0;
}

static int dir_report_known(void *arg, const uint8_t id[32])
{
	static const uint8_t other[32] = {[0 ... 31] = 0xab};
	(void)arg;
	return memcmp(id, other, 32) == 0;
}

/* ---- a fixture: one report and its trail ------------------------------- */

struct fx {
	const char *retired;  /* an institution retired (heir: its parent) ... */
	uint64_t retired_at;  /* ... from this time; NULL: none */
	struct sp_cal cal;
	struct sp_report_ctx ctx;
	struct sp_entry sub;
	uint8_t *sub_body;
	uint8_t id[32];
	struct sp_report_trail t[MAX_TRAIL];
	uint8_t *bodies[MAX_TRAIL];
	size_t n;
	uint64_t index;
	struct sp_report_state st;
	/* rahasia: the envelope's ciphertext and the content key */
	uint8_t *ct;
	uint8_t ckey[32];
};

static const uint8_t secret[32] = {0x42, 0x42, 0x42};
static const uint8_t salt[32] = {0x5a, 0x17};
static uint8_t x_pk[3][32], x_sk[3][32]; /* X25519 keys: 73.12, NAS, DINKES */

static const uint64_t T0_YMD = 20260105; /* Monday */

static void x25519_keys(void)
{
	for (int i = 0; i < 3; i++) {
		uint8_t seed[32] = {(uint8_t)(0x80 + i)};

		crypto_box_seed_keypair(x_pk[i], x_sk[i], seed);
	}
}

static void base_report(struct sp_report *r, enum sp_report_vis vis, int with_key)
{
	memset(r, 0, sizeof(*r));
	r->kind = SP_REPORT_PENGADUAN;
	r->vis = vis;
	r->category = (struct sp_str){"kesehatan", 9};
	r->region = (struct sp_str){"73.12.01", 8};
	r->routed_to = (struct sp_str){"73.12", 5};
	r->channel = (struct sp_str){"web", 3};
	if (vis != SP_REPORT_RAHASIA) {
		r->title = (struct sp_str){"Puskesmas tutup", 15};
		r->content = (struct sp_str){"Puskesmas Lalabata tutup jam 10.", 32};
	}
	if (with_key) {
		uint8_t sk[64];

		r->has_reporter_key = 1;
		sp_test_keypair(20, r->reporter_key, sk);
	} else { /* the key derived from the tracking secret and this report's salt */
		r->has_reporter_key = r->has_salt = 1;
		memcpy(r->salt, salt, sizeof(salt));
		assert_int_equal(sp_reporter_derive(secret, salt, r->reporter_key, NULL), 0);
	}
}

/* seal_private seals title+content+contact to 73.12 and NAS into r. */
static void seal_private(struct fx *f, struct sp_report *r)
{
	struct sp_report_private p = {{"Pungli", 6}, {"Diminta uang.", 13}, {"Ani", 3},
				      {"0812", 4}};
	struct sp_report_reader rd[2] = {{"NAS", x_pk[1]}, {"73.12", x_pk[0]}};
	uint8_t *plain;
	size_t len;

	assert_int_equal(sp_report_private_encode(&p, &plain, &len), 0);
	assert_int_equal(sp_report_seal(plain, len, rd, 2, &r->sealed, &f->ct, f->ckey), 0);
	r->has_sealed = 1;
	free(plain);
}

/* dir_heir: arg is the fixture, whose `retired` institution passes what
 * it holds to its parent (a 0 retired_at: nobody retires). */
static int dir_heir(void *arg, const char *inst, uint64_t t, char out[SP_INST_ID_MAX + 1])
{
	const struct fx *f = arg;
	if (f->retired == NULL || strcmp(inst, f->retired) != 0 || t < f->retired_at)
		return SP_ERR_NOT_FOUND;
	return dir_parent(arg, inst, out);
}

static void fx_init(struct fx *f, enum sp_report_vis vis, int with_key)
{
	struct sp_report r;
	uint8_t *cal;
	size_t len;

	memset(f, 0, sizeof(*f));
	x25519_keys();
	sp_cal_init(&f->cal);
	assert_int_equal(sp_cal_default_2026(&cal, &len), 0);
	assert_int_equal(sp_cal_load_year(&f->cal, cal, len), 0);
	free(cal);
	f->ctx = (struct sp_report_ctx){.arg = f,
					.officer_institution = dir_officer,
					.parent_of = dir_parent,
					.is_coordinator = dir_coord,
					.institution_known = dir_inst_known,
					.report_known = dir_report_known,
					.heir_of = dir_heir,
					.policy = sp_report_default_policy(),
					.cal = &f->cal};
	base_report(&r, vis, with_key);
	if (vis == SP_REPORT_RAHASIA)
		seal_private(f, &r);
	f->sub.version = SP_ENTRY_VERSION;
	f->sub.time_ms = wib(T0_YMD, 9);
	f->sub.type = SP_EV_REPORT;
	assert_int_equal(sp_report_encode(&r, &f->sub_body, &f->sub.body_len), 0);
	f->sub.body = f->sub_body;
	crypto_hash_sha256(f->id, f->sub_body, f->sub.body_len);
}

static void fx_free(struct fx *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->bodies[i]);
	free(f->sub_body);
	free(f->ct);
	sp_report_state_free(&f->st);
	sp_cal_free(&f->cal);
}

static struct sp_report_action act(const struct fx *f, uint32_t code)
{
	struct sp_report_action a;

	memset(&a, 0, sizeof(a));
	memcpy(a.report, f->id, 32);
	a.code = code;
	a.issued_ms = f->n + 1; /* distinct per act */
	return a;
}

/* push adds an entry written by institution `log` at time t; returns its
 * position in the trail. */
/* expect_verdicts checks the verdicts of the trail entries listed, so each
 * test states its expectations as one table. */
struct want {
	size_t at;
	int rc;
};

static void expect_verdicts(const struct fx *f, const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f->st.verdict[w[i].at] != w[i].rc)
			fail_msg("trail entry %zu: verdict %d (%s), want %d (%s)", w[i].at,
				 f->st.verdict[w[i].at], sp_errname(f->st.verdict[w[i].at]), w[i].rc,
				 sp_errname(w[i].rc));
}

#define EXPECT_VERDICTS(f, ...)                                                               \
	expect_verdicts(f, (const struct want[]){__VA_ARGS__},                                \
			sizeof((const struct want[]){__VA_ARGS__}) / sizeof(struct want))

static size_t push(struct fx *f, const char *log, uint64_t t, uint64_t type, uint8_t *body,
		   size_t len)
{
	assert_true(f->n < MAX_TRAIL);
	f->bodies[f->n] = body;
	f->t[f->n] = (struct sp_report_trail){log, f->index++, t, type, body, len, 0};
	return f->n++;
}

/* officer: officer `seed` acts through institution `log`'s node. */
static size_t officer(struct fx *f, const char *log, uint8_t seed, uint64_t t,
		      struct sp_report_action *a)
{
	uint8_t pk[32], sk[64], *body;
	size_t len;

	sp_test_keypair(seed, pk, sk);
	assert_int_equal(sp_report_action_build_officer(a, sk, &body, &len), 0);
	return push(f, log, t, SP_EV_ACTION, body, len);
}

/* reporter: acts through any node (73.11 here: no wrong door). */
static size_t reporter(struct fx *f, uint64_t t, struct sp_report_action *a, int with_key)
{
	uint8_t pk[32], sk[64], *body;
	size_t len;

	if (with_key)
		sp_test_keypair(20, pk, sk);
	else
		assert_int_equal(sp_reporter_derive(secret, salt, pk, sk), 0);
	assert_int_equal(sp_report_action_build_reporter(a, sk, &body, &len), 0);
	return push(f, "73.11", t, SP_EV_ACTION, body, len);
}

static void compute(struct fx *f, uint64_t now)
{
	sp_report_state_free(&f->st);
	assert_int_equal(sp_report_compute(f->id, &f->sub, "73.11", f->t, f->n, &f->ctx, now,
					   &f->st),
			 0);
}

static size_t off_simple(struct fx *f, const char *log, uint8_t seed, uint64_t t, uint32_t code)
{
	struct sp_report_action a = act(f, code);

	return officer(f, log, seed, t, &a);
}

static size_t dispose(struct fx *f, const char *log, uint8_t seed, uint64_t t, const char *to1,
		      const char *to2)
{
	struct sp_report_action a = act(f, SP_ACT_DISPOSISI);

	a.targets[a.n_targets++] = (struct sp_str){to1, strlen(to1)};
	if (to2)
		a.targets[a.n_targets++] = (struct sp_str){to2, strlen(to2)};
	return officer(f, log, seed, t, &a);
}

static size_t answer(struct fx *f, const char *log, uint8_t seed, uint64_t t)
{
	struct sp_report_action a = act(f, SP_ACT_TINDAK_LANJUT);

	a.text = (struct sp_str){"Sudah ditegur.", 14};
	return officer(f, log, seed, t, &a);
}

static size_t with_reason(struct fx *f, const char *log, uint8_t seed, uint64_t t, uint32_t code,
			  uint32_t reason)
{
	struct sp_report_action a = act(f, code);

	a.reason = reason;
	return officer(f, log, seed, t, &a);
}

static size_t rep_simple(struct fx *f, uint64_t t, uint32_t code, uint32_t rating, int with_key)
{
	struct sp_report_action a = act(f, code);

	a.rating = rating;
	if (code == SP_ACT_BALAS)
		a.text = (struct sp_str){"Lokasinya di Jl. Kemakmuran.", 28};
	return reporter(f, t, &a, with_key);
}

/* ---- bodies ------------------------------------------------------------ */

static void test_report_round_trip(void **state)
{
	struct sp_report r, back;
	uint8_t *body;
	size_t len;

	base_report(&r, SP_REPORT_PUBLIK, 1);
	r.has_rule = 1;
	memset(r.rule, 7, 32);
	r.n_attach = 1;
	memset(r.attach[0].sha256, 9, 32);
	r.attach[0].size = 12345;
	r.attach[0].media_type = (struct sp_str){"image/jpeg", 10};
	r.has_policy = 1;
	r.policy = (struct sp_report_policy){2, 4, 7, 30};
	assert_int_equal(sp_report_encode(&r, &body, &len), 0);
	assert_int_equal(sp_report_parse(body, len, &back), 0);
	assert_int_equal(back.vis, SP_REPORT_PUBLIK);
	assert_int_equal(back.content.n, 32);
	assert_memory_equal(back.content.p, "Puskesmas Lalabata tutup jam 10.", 32);
	assert_int_equal(back.attach[0].size, 12345);
	assert_int_equal(back.policy.window_wd, 7);
	assert_true(back.has_rule && back.has_reporter_key && !back.has_salt);
	free(body);
}

static void test_seal_round_trip(void **state)
{
	struct fx f;
	struct sp_report r;
	struct sp_report_private p;
	struct sp_report_key extra;
	struct sp_report_reader dinkes = {"73.12.DINKES", NULL};
	uint8_t key[32], *plain;
	size_t len;

	fx_init(&f, SP_REPORT_RAHASIA, 0);
	assert_int_equal(sp_report_parse(f.sub.body, f.sub.body_len, &r), 0);
	assert_null(r.content.p);
	assert_int_equal(r.sealed.n_keys, 2);
	/* Keys are sorted by institution id. */
	assert_memory_equal(r.sealed.keys[0].inst.p, "73.12", 5);

	/* Both recipients open it. */
	assert_int_equal(sp_report_open_key(r.sealed.keys, 2, "NAS", x_pk[1], x_sk[1], key), 0);
	assert_int_equal(sp_report_open(&r.sealed, key, &plain, &len), 0);
	assert_int_equal(sp_report_private_parse(plain, len, &p), 0);
	assert_memory_equal(p.contact.p, "0812", 4);
	assert_memory_equal(p.content.p, "Diminta uang.", 13);
	free(plain);
	assert_int_equal(sp_report_open_key(r.sealed.keys, 2, "73.12", x_pk[0], x_sk[0], key), 0);
	assert_memory_equal(key, f.ckey, 32);

	/* A non-recipient cannot: not listed, nor with a listed id. */
	assert_int_equal(sp_report_open_key(r.sealed.keys, 2, "73.12.DINKES", x_pk[2], x_sk[2],
					    key),
			 SP_ERR_SEALED);
	assert_int_equal(sp_report_open_key(r.sealed.keys, 2, "73.12", x_pk[2], x_sk[2], key),
			 SP_ERR_SEALED);

	/* Forwarding seals the same key to the new holder, who then opens. */
	dinkes.x25519_pk = x_pk[2];
	assert_int_equal(sp_report_seal_key(f.ckey, &dinkes, &extra), 0);
	assert_int_equal(sp_report_open_key(&extra, 1, "73.12.DINKES", x_pk[2], x_sk[2], key), 0);
	assert_int_equal(sp_report_open(&r.sealed, key, &plain, &len), 0);
	free(plain);

	/* A wrong key or a flipped ciphertext byte fails authentication. */
	key[0] ^= 1;
	assert_int_equal(sp_report_open(&r.sealed, key, &plain, &len), SP_ERR_SEALED);
	key[0] ^= 1;
	((uint8_t *)r.sealed.ct)[3] ^= 1;
	assert_int_equal(sp_report_open(&r.sealed, key, &plain, &len), SP_ERR_SEALED);
	fx_free(&f);
}

static int parse_report_hex(const uint8_t *p, size_t n)
{
	struct sp_report r;
	return sp_report_parse(p, n, &r);
}

static void test_strict_report(void **state)
{
	struct sp_report r;
	uint8_t *body;
	size_t len;

	/* {} and a map with an unknown key 14 */
	static const uint8_t empty[] = {0xa0};
	static const uint8_t unsorted[] = {0xa2, 0x01, 0x00, 0x00, 0x00};
	assert_int_equal(parse_report_hex(empty, 1), SP_ERR_REPORT_FIELD);
	assert_int_equal(parse_report_hex(unsorted, 5), SP_ERR_CBOR_UNSORTED);

	/* No reporter key (a salt alone proves nothing). */
	base_report(&r, SP_REPORT_PUBLIK, 0);
	r.has_reporter_key = 0;
	assert_int_equal(sp_report_encode(&r, &body, &len), SP_ERR_REPORT_FIELD);
	/* Rahasia with content in clear. */
	base_report(&r, SP_REPORT_PUBLIK, 1);
	r.vis = SP_REPORT_RAHASIA;
	assert_int_equal(sp_report_encode(&r, &body, &len), SP_ERR_REPORT_FIELD);
	/* Publik without a title. */
	base_report(&r, SP_REPORT_PUBLIK, 1);
	r.title.p = NULL;
	assert_int_equal(sp_report_encode(&r, &body, &len), SP_ERR_REPORT_FIELD);
	/* Unknown kind, bad policy, empty media type. */
	base_report(&r, SP_REPORT_PUBLIK, 1);
	r.kind = 3;
	assert_int_equal(sp_report_encode(&r, &body, &len), SP_ERR_REPORT_FIELD);
	base_report(&r, SP_REPORT_PUBLIK, 1);
	r.has_policy = 1;
	r.policy = (struct sp_report_policy){3, 0, 10, 60};
	assert_int_equal(sp_report_encode(&r, &body, &len), SP_ERR_REPORT_FIELD);
	base_report(&r, SP_REPORT_PUBLIK, 1);
	r.n_attach = 1;
	r.attach[0].size = 1;
	r.attach[0].media_type = (struct sp_str){"", 0};
	assert_int_equal(sp_report_encode(&r, &body, &len), SP_ERR_REPORT_FIELD);
	/* Institution id too long. */
	base_report(&r, SP_REPORT_PUBLIK, 1);
	r.routed_to = (struct sp_str){"0123456789012345678901234567890123", 34};
	assert_int_equal(sp_report_encode(&r, &body, &len), SP_ERR_REPORT_FIELD);

	/* A good body, then every truncation of it and an appended byte. */
	base_report(&r, SP_REPORT_ANONIM, 0);
	assert_int_equal(sp_report_encode(&r, &body, &len), 0);
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(parse_report_hex(body, i), 0);
	body = realloc(body, len + 1);
	body[len] = 0;
	assert_int_equal(parse_report_hex(body, len + 1), SP_ERR_CBOR_TRAILING);
	free(body);
}

static int build_bad_action(struct sp_report_action *a)
{
	uint8_t pk[32], sk[64], *body = NULL;
	size_t len;
	int err;

	sp_test_keypair(1, pk, sk);
	err = sp_report_action_build_officer(a, sk, &body, &len);
	free(body);
	return err;
}

static void test_strict_action(void **state)
{
	struct fx f;
	struct sp_report_action a, back;
	struct sp_report_escalation e = {{0}, 4, 1};
	uint8_t *body;
	size_t len;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	a = act(&f, SP_ACT_TUNDA); /* no reason */
	assert_int_equal(build_bad_action(&a), SP_ERR_REPORT_FIELD);
	a.reason = SP_REASON_SALAH_WILAYAH; /* a bukan_wewenang reason */
	assert_int_equal(build_bad_action(&a), SP_ERR_REPORT_FIELD);
	a = act(&f, SP_ACT_SELESAI); /* a field the action does not take */
	a.rating = 4;
	assert_int_equal(build_bad_action(&a), SP_ERR_REPORT_FIELD);
	a = act(&f, SP_ACT_NILAI);
	a.rating = 6;
	assert_int_equal(build_bad_action(&a), SP_ERR_REPORT_FIELD);
	a = act(&f, SP_ACT_GABUNG); /* into itself */
	a.has_merge = 1;
	memcpy(a.merge_into, f.id, 32);
	assert_int_equal(build_bad_action(&a), SP_ERR_REPORT_FIELD);
	a = act(&f, SP_ACT_DISPOSISI); /* targets out of order */
	a.targets[0] = (struct sp_str){"B", 1};
	a.targets[1] = (struct sp_str){"A", 1};
	a.n_targets = 2;
	assert_int_equal(build_bad_action(&a), SP_ERR_REPORT_FIELD);
	a = act(&f, 13); /* unknown code */
	assert_int_equal(build_bad_action(&a), SP_ERR_REPORT_FIELD);

	/* A good one round-trips, and the signed act span is exact. */
	a = act(&f, SP_ACT_BUKAN_WEWENANG);
	a.reason = SP_REASON_LUAR_KEWENANGAN;
	officer(&f, "73.12", 1, wib(T0_YMD, 10), &a);
	body = f.bodies[0];
	len = f.t[0].body_len;
	assert_int_equal(sp_report_action_parse(body, len, &back), 0);
	assert_int_equal(back.actor, SP_ACTOR_OFFICER);
	assert_int_equal(back.reason, SP_REASON_LUAR_KEWENANGAN);
	assert_ptr_equal(back.act, body + 2); /* after a3 00 */
	assert_int_equal(sp_report_action_verify_officer(&back), 0);
	/* A tracking secret in clear (the old key 4) is no proof at all. */
	{
		uint8_t *sec = malloc(back.act_len + 37);

		sec[0] = 0xa2;
		sec[1] = 0x00;
		memcpy(sec + 2, back.act, back.act_len);
		sec[back.act_len + 2] = 0x04;
		sec[back.act_len + 3] = 0x58;
		sec[back.act_len + 4] = 0x20;
		memcpy(sec + back.act_len + 5, secret, 32);
		assert_int_equal(sp_report_action_parse(sec, back.act_len + 37, &back),
				 SP_ERR_REPORT_FIELD);
		free(sec);
		assert_int_equal(sp_report_action_parse(body, len, &back), 0);
	}
	/* Two actors in one body: officer pair plus a secret (key 4). */
	{
		uint8_t *two = malloc(len + 35);

		memcpy(two, body, len);
		two[0] = 0xa4;
		two[len] = 0x04;
		two[len + 1] = 0x58;
		two[len + 2] = 0x20;
		memset(two + len + 3, 1, 32);
		assert_int_equal(sp_report_action_parse(two, len + 35, &back), SP_ERR_REPORT_FIELD);
		free(two);
	}
	assert_int_equal(sp_report_action_parse(body, len - 1, &back), SP_ERR_CBOR_MALFORMED);

	/* Escalations: stage 4 (the window) never escalates. */
	assert_int_equal(sp_report_esc_encode(&e, &body, &len), SP_ERR_REPORT_FIELD);
	e.stage = SP_STAGE_ANSWER;
	assert_int_equal(sp_report_esc_encode(&e, &body, &len), 0);
	assert_int_equal(sp_report_esc_parse(body, len, &e), 0);
	assert_int_equal(sp_report_esc_parse(body, len - 1, &e), SP_ERR_CBOR_MALFORMED);
	free(body);
	fx_free(&f);
}

/* ---- the state machine ------------------------------------------------- */

static void test_happy_path(void **state)
{
	struct fx f;
	size_t v, d, ans, sel, nil;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	compute(&f, wib(T0_YMD, 10));
	assert_int_equal(f.st.status, SP_ST_DITERIMA);
	assert_int_equal(f.st.n_holders, 1);
	assert_string_equal(f.st.holders[0], "73.12");

	v = off_simple(&f, "73.12", 1, wib(20260106, 9), SP_ACT_VERIFIKASI);
	d = dispose(&f, "73.12", 1, wib(20260106, 10), "73.12.DINKES", NULL);
	ans = answer(&f, "73.12.DINKES", 2, wib(20260108, 14));
	nil = rep_simple(&f, wib(20260109, 8), SP_ACT_NILAI, 5, 0);
	sel = rep_simple(&f, wib(20260109, 9), SP_ACT_SELESAI, 0, 0);
	compute(&f, wib(20260110, 0));
	EXPECT_VERDICTS(&f, {v, 0}, {d, 0}, {ans, 0}, {nil, 0}, {sel, 0});
	assert_int_equal(f.st.status, SP_ST_SELESAI);
	assert_false(f.st.auto_closed);
	assert_int_equal(f.st.rating, 5);
	assert_int_equal(f.st.n_holders, 0);
	/* Who sat on it how long. */
	assert_int_equal(f.st.n_spans, 2);
	assert_string_equal(f.st.spans[0].inst, "73.12");
	assert_int_equal(f.st.spans[0].end_ms - f.st.spans[0].start_ms, 25 * HOUR_MS);
	assert_string_equal(f.st.spans[1].inst, "73.12.DINKES");
	assert_int_equal(f.st.spans[1].from, 0);
	assert_int_equal(f.st.spans[1].end_ms, wib(20260109, 9));
	assert_int_equal(f.st.stage, SP_STAGE_NONE);
	assert_string_equal(sp_report_status_name(f.st.status), "selesai");
	fx_free(&f);
}

static void test_authority(void **state)
{
	struct fx f;
	struct sp_report_action a;
	size_t wrong_inst, unknown, early, forged, via_other, bad_secret, bad_key, off_rep, rep_off;
	uint8_t pk[32], sk[64], *body;
	size_t len;

	fx_init(&f, SP_REPORT_PUBLIK, 1);
	/* DISDIK officer while 73.12 holds it. */
	wrong_inst = off_simple(&f, "73.12.DISDIK", 3, wib(20260105, 10), SP_ACT_VERIFIKASI);
	/* Seed 9 is enrolled nowhere; seed 7 only from mid-2026. */
	unknown = off_simple(&f, "73.12", 9, wib(20260105, 11), SP_ACT_VERIFIKASI);
	early = off_simple(&f, "73.12", 7, wib(20260105, 12), SP_ACT_VERIFIKASI);
	/* A forged officer signature: flip one byte of it. */
	forged = off_simple(&f, "73.12", 1, wib(20260105, 13), SP_ACT_VERIFIKASI);
	f.bodies[forged][f.t[forged].body_len - 1] ^= 1;
	/* A 73.12 officer's act written into another institution's log. */
	via_other = off_simple(&f, "73.11", 1, wib(20260105, 14), SP_ACT_VERIFIKASI);
	/* Reporter: a key derived from a tracking secret, on a report whose key is
	 * not; a wrong key. */
	bad_secret = rep_simple(&f, wib(20260105, 15), SP_ACT_BALAS, 0, 0);
	a = act(&f, SP_ACT_BALAS);
	a.text = (struct sp_str){"x", 1};
	sp_test_keypair(21, pk, sk);
	assert_int_equal(sp_report_action_build_reporter(&a, sk, &body, &len), 0);
	bad_key = push(&f, "73.11", wib(20260105, 16), SP_EV_ACTION, body, len);
	/* An officer doing the reporter's part, and the reverse. */
	off_rep = off_simple(&f, "73.12", 1, wib(20260105, 17), SP_ACT_SELESAI);
	a = act(&f, SP_ACT_VERIFIKASI);
	rep_off = reporter(&f, wib(20260105, 18), &a, 1);

	compute(&f, wib(20260105, 20));
	EXPECT_VERDICTS(&f, {wrong_inst, SP_ERR_AUTHORITY}, {unknown, SP_ERR_UNKNOWN_OFFICER},
			{early, SP_ERR_UNKNOWN_OFFICER}, {forged, SP_ERR_BAD_SIGNATURE},
			{via_other, SP_ERR_AUTHORITY}, {bad_secret, SP_ERR_REPORTER_PROOF},
			{bad_key, SP_ERR_REPORTER_PROOF}, {off_rep, SP_ERR_AUTHORITY},
			{rep_off, SP_ERR_AUTHORITY});
	/* None of them was applied. */
	assert_int_equal(f.st.status, SP_ST_DITERIMA);

	/* The reporter's own key works; an officer enrolled later acts later. */
	rep_simple(&f, wib(20260105, 19), SP_ACT_BALAS, 0, 1);
	early = off_simple(&f, "73.12", 7, 1780000000000ULL, SP_ACT_VERIFIKASI);
	compute(&f, 1780000000001ULL);
	assert_int_equal(f.st.verdict[f.n - 2], 0);
	assert_int_equal(f.st.verdict[early], 0);
	fx_free(&f);
}

/* sig_good says which signatures were checked good; an entry passed back
 * as sig_known is not checked again (what the node's index does with the
 * entries of its own store), and every other rule still applies to it. */
static void test_sig_known(void **state)
{
	struct fx f;
	size_t v, forged, wrong_inst, rep;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	v = off_simple(&f, "73.12", 1, wib(20260106, 9), SP_ACT_VERIFIKASI);
	forged = answer(&f, "73.12", 1, wib(20260106, 10));
	f.bodies[forged][f.t[forged].body_len - 1] ^= 1;
	wrong_inst = off_simple(&f, "73.12.DISDIK", 3, wib(20260106, 11), SP_ACT_VERIFIKASI);
	rep = rep_simple(&f, wib(20260106, 12), SP_ACT_BALAS, 0, 0);
	compute(&f, wib(20260107, 0));
	EXPECT_VERDICTS(&f, {v, 0}, {forged, SP_ERR_BAD_SIGNATURE}, {wrong_inst, SP_ERR_AUTHORITY},
			{rep, 0});
	assert_int_equal(f.st.sig_good[v], 1);
	assert_int_equal(f.st.sig_good[forged], 0);
	assert_int_equal(f.st.sig_good[wrong_inst], 1); /* good, refused after the check */
	assert_int_equal(f.st.sig_good[rep], 1);
	assert_int_equal(f.st.status, SP_ST_DIVERIFIKASI);

	/* Passed back as known: the same verdicts for what was good ... */
	f.t[v].sig_known = f.t[wrong_inst].sig_known = f.t[rep].sig_known = 1;
	compute(&f, wib(20260107, 0));
	EXPECT_VERDICTS(&f, {v, 0}, {forged, SP_ERR_BAD_SIGNATURE}, {wrong_inst, SP_ERR_AUTHORITY},
			{rep, 0});
	assert_int_equal(f.st.sig_good[v], 1);
	assert_int_equal(f.st.sig_good[rep], 1);
	/* ... and the check really is skipped: a forged entry claimed known is
	 * applied (only a caller that checked these bytes itself may claim it) */
	f.t[forged].sig_known = 1;
	compute(&f, wib(20260107, 0));
	EXPECT_VERDICTS(&f, {forged, 0});
	assert_int_equal(f.st.status, SP_ST_DITINDAKLANJUTI);
	fx_free(&f);
}

static void test_invalid_transitions(void **state)
{
	struct fx f;
	size_t early_answer, early_close, twice, bw_root, arsip_late, reopen_early;

	fx_init(&f, SP_REPORT_ANONIM, 0);
	early_answer = answer(&f, "73.12", 1, wib(20260105, 10));
	early_close = rep_simple(&f, wib(20260105, 11), SP_ACT_SELESAI, 0, 0);
	reopen_early = rep_simple(&f, wib(20260105, 11), SP_ACT_BUKA_KEMBALI, 0, 0);
	/* Nobody sent it to 73.12, so it cannot send it back. */
	bw_root = with_reason(&f, "73.12", 1, wib(20260105, 12), SP_ACT_BUKAN_WEWENANG,
			      SP_REASON_LUAR_KEWENANGAN);
	off_simple(&f, "73.12", 1, wib(20260105, 13), SP_ACT_VERIFIKASI);
	twice = off_simple(&f, "73.12", 1, wib(20260105, 14), SP_ACT_VERIFIKASI);
	dispose(&f, "73.12", 1, wib(20260105, 15), "73.12.DINKES", NULL);
	arsip_late = with_reason(&f, "73.12.DINKES", 2, wib(20260105, 16), SP_ACT_ARSIP,
				 SP_REASON_BUKAN_LAPORAN);
	compute(&f, wib(20260105, 20));
	EXPECT_VERDICTS(&f, {early_answer, SP_ERR_TRANSITION}, {early_close, SP_ERR_TRANSITION},
			{reopen_early, SP_ERR_TRANSITION}, {bw_root, SP_ERR_TRANSITION},
			{twice, SP_ERR_TRANSITION}, {arsip_late, SP_ERR_TRANSITION});
	assert_int_equal(f.st.status, SP_ST_DIDISPOSISIKAN);
	assert_string_equal(f.st.holders[0], "73.12.DINKES");
	fx_free(&f);
}

static void test_tunda_arsip(void **state)
{
	struct fx f;
	size_t tunda, balas, arsip, after;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	tunda = with_reason(&f, "73.12", 1, wib(20260105, 11), SP_ACT_TUNDA,
			    SP_REASON_INFO_KURANG);
	compute(&f, wib(20260105, 12));
	assert_int_equal(f.st.verdict[tunda], 0);
	assert_int_equal(f.st.status, SP_ST_TUNDA);
	/* On hold only the ceiling runs. */
	assert_int_equal(f.st.stage, SP_STAGE_CEILING);
	assert_int_equal(f.st.deadline_ms, wib(T0_YMD, 9) + 60 * SP_CAL_DAY_MS);

	balas = rep_simple(&f, wib(20260107, 9), SP_ACT_BALAS, 0, 0);
	compute(&f, wib(20260107, 10));
	assert_int_equal(f.st.verdict[balas], 0);
	assert_int_equal(f.st.status, SP_ST_DIVERIFIKASI);
	/* The answer clock restarts at the reply: Wed 7 Jan + 5 = Wed 14. */
	assert_int_equal(f.st.stage, SP_STAGE_ANSWER);
	assert_int_equal(f.st.deadline_ms, wib(20260115, 0));

	with_reason(&f, "73.12", 1, wib(20260107, 11), SP_ACT_TUNDA, SP_REASON_INFO_KURANG);
	arsip = with_reason(&f, "73.12", 1, wib(20260108, 11), SP_ACT_ARSIP,
			    SP_REASON_TIDAK_LENGKAP);
	after = rep_simple(&f, wib(20260108, 12), SP_ACT_BALAS, 0, 0);
	compute(&f, wib(20260109, 0));
	assert_int_equal(f.st.verdict[arsip], 0);
	assert_int_equal(f.st.verdict[after], SP_ERR_TRANSITION);
	assert_int_equal(f.st.status, SP_ST_DIARSIPKAN);
	assert_int_equal(f.st.stage, SP_STAGE_NONE);
	assert_false(f.st.overdue);
	fx_free(&f);
}

static void test_take_over(void **state)
{
	struct fx f;
	size_t by_73, stranger, by_nas, again, old_holder;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	dispose(&f, "73.12", 1, wib(20260105, 11), "73.12.DINKES", NULL);
	/* 73.11 is a sibling, not an ancestor. */
	stranger = off_simple(&f, "73.11", 6, wib(20260106, 9), SP_ACT_AMBIL_ALIH);
	/* 73 is DINKES's grandparent. */
	by_73 = off_simple(&f, "73", 4, wib(20260106, 10), SP_ACT_AMBIL_ALIH);
	old_holder = answer(&f, "73.12.DINKES", 2, wib(20260106, 11));
	compute(&f, wib(20260106, 12));
	EXPECT_VERDICTS(&f, {stranger, SP_ERR_AUTHORITY}, {by_73, 0},
			{old_holder, SP_ERR_AUTHORITY});
	assert_int_equal(f.st.n_holders, 1);
	assert_string_equal(f.st.holders[0], "73");
	assert_int_equal(f.st.status, SP_ST_DIDISPOSISIKAN);

	/* The coordinator takes it from anyone; twice is a no-op refused. */
	by_nas = off_simple(&f, "NAS", 5, wib(20260106, 13), SP_ACT_AMBIL_ALIH);
	again = off_simple(&f, "NAS", 5, wib(20260106, 14), SP_ACT_AMBIL_ALIH);
	answer(&f, "NAS", 5, wib(20260106, 15));
	compute(&f, wib(20260106, 16));
	assert_int_equal(f.st.verdict[by_nas], 0);
	assert_int_equal(f.st.verdict[again], SP_ERR_TRANSITION);
	assert_int_equal(f.st.status, SP_ST_DITINDAKLANJUTI);
	assert_string_equal(f.st.holders[0], "NAS");
	assert_int_equal(f.st.n_spans, 4);
	fx_free(&f);
}

static void test_take_over_archive(void **state)
{
	struct fx f;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	with_reason(&f, "73.12", 1, wib(20260105, 10), SP_ACT_ARSIP, SP_REASON_BUKAN_LAPORAN);
	off_simple(&f, "73", 4, wib(20260106, 10), SP_ACT_AMBIL_ALIH);
	compute(&f, wib(20260106, 11));
	assert_int_equal(f.st.verdict[1], 0);
	assert_int_equal(f.st.status, SP_ST_DIVERIFIKASI);
	assert_string_equal(f.st.holders[0], "73");
	fx_free(&f);
}

static void test_bounces(void **state)
{
	struct fx f;
	size_t bw1, bw2;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	dispose(&f, "73.12", 1, wib(20260105, 11), "73.12.DINKES", NULL);
	bw1 = with_reason(&f, "73.12.DINKES", 2, wib(20260106, 9), SP_ACT_BUKAN_WEWENANG,
			  SP_REASON_LUAR_KEWENANGAN);
	compute(&f, wib(20260106, 10));
	assert_int_equal(f.st.verdict[bw1], 0);
	assert_int_equal(f.st.bounces, 1);
	assert_int_equal(f.st.status, SP_ST_DIVERIFIKASI);
	assert_string_equal(f.st.holders[0], "73.12");

	dispose(&f, "73.12", 1, wib(20260106, 11), "73.12.DISDIK", NULL);
	bw2 = with_reason(&f, "73.12.DISDIK", 3, wib(20260106, 12), SP_ACT_BUKAN_WEWENANG,
			  SP_REASON_SALAH_KATEGORI);
	compute(&f, wib(20260106, 13));
	assert_int_equal(f.st.verdict[bw2], 0);
	assert_int_equal(f.st.bounces, 2);
	assert_int_equal(f.st.n_spans, 5);
	assert_string_equal(f.st.holders[0], "73.12");
	/* The returned holder has no sender of its own. */
	assert_int_equal(f.st.spans[4].from, -1);

	/* Fan-out: one unit bouncing leaves the other holding, and the
	 * sender gets it back beside it. */
	dispose(&f, "73.12", 1, wib(20260106, 14), "73.12.DINKES", "73.12.DISDIK");
	with_reason(&f, "73.12.DINKES", 2, wib(20260106, 15), SP_ACT_BUKAN_WEWENANG,
		    SP_REASON_LUAR_KEWENANGAN);
	compute(&f, wib(20260106, 16));
	assert_int_equal(f.st.bounces, 3);
	assert_int_equal(f.st.status, SP_ST_DIDISPOSISIKAN);
	assert_int_equal(f.st.n_holders, 2);
	assert_string_equal(f.st.holders[0], "73.12.DISDIK");
	assert_string_equal(f.st.holders[1], "73.12");
	fx_free(&f);
}

static void test_reopen_and_window(void **state)
{
	struct fx f;
	size_t reopen, late_reopen, late_rate, late_close;
	uint64_t window;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	dispose(&f, "73.12", 1, wib(20260105, 11), "73.12.DINKES", NULL);
	answer(&f, "73.12.DINKES", 2, wib(20260106, 9));
	/* Inside the window: back to DINKES, which must answer again. */
	reopen = rep_simple(&f, wib(20260112, 9), SP_ACT_BUKA_KEMBALI, 0, 0);
	compute(&f, wib(20260112, 10));
	assert_int_equal(f.st.verdict[reopen], 0);
	assert_int_equal(f.st.status, SP_ST_DIDISPOSISIKAN);
	assert_int_equal(f.st.reopens, 1);
	assert_string_equal(f.st.holders[0], "73.12.DINKES");
	/* Tue 13, Wed 14, Thu 15, (Isra Mikraj Fri 16), Mon 19, Tue 20. */
	assert_int_equal(f.st.deadline_ms, wib(20260121, 0));

	answer(&f, "73.12.DINKES", 2, wib(20260113, 9));
	/* Window: 10 working days after Tue 13 Jan, Isra Mikraj (Fri 16)
	 * excluded: ends with Wed 28 Jan, so it closes at 00:00 on the 29th. */
	compute(&f, wib(20260113, 10));
	assert_int_equal(f.st.stage, SP_STAGE_WINDOW);
	window = f.st.deadline_ms;
	assert_int_equal(window, wib(20260129, 0));
	assert_false(f.st.overdue);

	late_reopen = rep_simple(&f, window, SP_ACT_BUKA_KEMBALI, 0, 0);
	late_rate = rep_simple(&f, window + 1, SP_ACT_NILAI, 2, 0);
	late_close = rep_simple(&f, window + 2, SP_ACT_SELESAI, 0, 0);
	compute(&f, window + 3);
	EXPECT_VERDICTS(&f, {late_reopen, SP_ERR_WINDOW}, {late_rate, SP_ERR_WINDOW},
			{late_close, SP_ERR_WINDOW});
	assert_int_equal(f.st.status, SP_ST_SELESAI);
	assert_true(f.st.auto_closed);
	assert_int_equal(f.st.closed_ms, window);
	assert_int_equal(f.st.rating, 0);
	fx_free(&f);
}

static void test_auto_close_at_now(void **state)
{
	struct fx f;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	answer(&f, "73.12", 1, wib(20260105, 11));
	compute(&f, wib(20260120, 23));
	assert_int_equal(f.st.status, SP_ST_DITINDAKLANJUTI);
	compute(&f, wib(20260121, 0)); /* Mon 5 + 10 wd (16th off) = Tue 20 */
	assert_int_equal(f.st.status, SP_ST_SELESAI);
	assert_true(f.st.auto_closed);
	assert_int_equal(f.st.n_holders, 0);
	/* Rating after a reporter's close, inside the window, is fine. */
	fx_free(&f);
	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	answer(&f, "73.12", 1, wib(20260105, 11));
	rep_simple(&f, wib(20260106, 9), SP_ACT_SELESAI, 0, 0);
	rep_simple(&f, wib(20260107, 9), SP_ACT_NILAI, 3, 0);
	rep_simple(&f, wib(20260107, 10), SP_ACT_BUKA_KEMBALI, 0, 0);
	compute(&f, wib(20260108, 0));
	assert_int_equal(f.st.verdict[3], 0);
	assert_int_equal(f.st.rating, 3);
	assert_int_equal(f.st.verdict[4], SP_ERR_TRANSITION);
	fx_free(&f);
}

static void test_merge(void **state)
{
	struct fx f;
	struct sp_report_action a;
	size_t g, after;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	a = act(&f, SP_ACT_GABUNG);
	a.has_merge = 1;
	memset(a.merge_into, 0xab, 32);
	g = officer(&f, "73.12", 1, wib(20260105, 11), &a);
	after = answer(&f, "73.12", 1, wib(20260105, 12));
	compute(&f, wib(20260105, 13));
	assert_int_equal(f.st.verdict[g], 0);
	assert_int_equal(f.st.verdict[after], SP_ERR_AUTHORITY); /* nobody holds it */
	assert_int_equal(f.st.status, SP_ST_DIGABUNG);
	assert_true(f.st.merged);
	assert_int_equal(f.st.merged_into[31], 0xab);
	assert_int_equal(f.st.n_holders, 0);
	fx_free(&f);
}

/* Acts that point nowhere: a forward to an institution the directory lacks
 * and a merge into a report nobody knows are invalid, and change nothing. */
static void test_pointing_nowhere(void **state)
{
	struct fx f;
	struct sp_report_action a;
	size_t fwd, merge;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	fwd = dispose(&f, "73.12", 1, wib(20260105, 11), "73.12.DINKESX", NULL);
	a = act(&f, SP_ACT_GABUNG);
	a.has_merge = 1;
	memset(a.merge_into, 0xcd, 32);
	merge = officer(&f, "73.12", 1, wib(20260105, 12), &a);
	compute(&f, wib(20260105, 13));
	assert_int_equal(f.st.verdict[fwd], SP_ERR_UNKNOWN_INSTITUTION);
	assert_int_equal(f.st.verdict[merge], SP_ERR_UNKNOWN_REPORT);
	assert_int_equal(f.st.status, SP_ST_DIVERIFIKASI);
	assert_false(f.st.merged);
	assert_int_equal(f.st.n_holders, 1);
	assert_string_equal(f.st.holders[0], "73.12");
	fx_free(&f);
}

/* transfer: the heir's node (log) takes the report `from` held. */
static size_t transfer(struct fx *f, const char *log, uint64_t t, const char *from)
{
	struct sp_report_transfer x = {.from = sp_str_of(from)};
	uint8_t *body;
	size_t len;

	memcpy(x.report, f->id, 32);
	assert_int_equal(sp_report_transfer_encode(&x, &body, &len), 0);
	return push(f, log, t, SP_EV_TRANSFER, body, len);
}

/* A retired holder's report passes to its heir by the heir's transfer
 * entry only; the retired node's later entries, a second transfer and a
 * forward back to it count for nothing. */
static void test_retired_holder(void **state)
{
	struct fx f;
	uint64_t moved = wib(20260106, 12), want;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	f.retired = "73.12.DISDIK";
	f.retired_at = wib(20260106, 9);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	dispose(&f, "73.12", 1, wib(20260105, 11), "73.12.DISDIK", NULL);
	size_t early = transfer(&f, "73.12", wib(20260106, 8), "73.12.DISDIK");
	size_t late_act = answer(&f, "73.12.DISDIK", 3, wib(20260106, 10));
	size_t stranger = transfer(&f, "73", wib(20260106, 11), "73.12.DISDIK");
	size_t ok = transfer(&f, "73.12", moved, "73.12.DISDIK");
	size_t again = transfer(&f, "73.12", wib(20260106, 13), "73.12.DISDIK");
	size_t back = dispose(&f, "73.12", 1, wib(20260106, 14), "73.12.DISDIK", NULL);
	compute(&f, wib(20260106, 15));
	EXPECT_VERDICTS(&f, {early, SP_ERR_AUTHORITY}, {late_act, SP_ERR_RETIRED},
			{stranger, SP_ERR_AUTHORITY}, {ok, 0}, {again, SP_ERR_TRANSITION},
			{back, SP_ERR_RETIRED});
	assert_int_equal(f.st.status, SP_ST_DIDISPOSISIKAN);
	assert_int_equal(f.st.n_holders, 1);
	assert_string_equal(f.st.holders[0], "73.12");
	/* the heir's answer clock starts when it took the report over */
	assert_int_equal(sp_cal_add_working_days(&f.cal, moved, 5, &want), 0);
	assert_int_equal(f.st.stage, SP_STAGE_ANSWER);
	assert_int_equal(f.st.deadline_ms, want);
	fx_free(&f);

	/* a unit the retired one forwarded to cannot return it there */
	fx_init(&f, SP_REPORT_PUBLIK, 0);
	f.retired = "73.12.DISDIK";
	f.retired_at = wib(20260106, 9);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	dispose(&f, "73.12", 1, wib(20260105, 11), "73.12.DISDIK", NULL);
	dispose(&f, "73.12.DISDIK", 3, wib(20260105, 12), "73.12.DINKES", NULL);
	size_t bounce = with_reason(&f, "73.12.DINKES", 2, wib(20260106, 10),
				    SP_ACT_BUKAN_WEWENANG, SP_REASON_SALAH_WILAYAH);
	compute(&f, wib(20260106, 11));
	EXPECT_VERDICTS(&f, {bounce, SP_ERR_RETIRED});
	assert_string_equal(f.st.holders[0], "73.12.DINKES");
	fx_free(&f);
}

static void test_replay_and_foreign(void **state)
{
	struct fx f;
	struct sp_report_action a;
	size_t first, copy, foreign, bad_type, before;
	uint8_t *dup;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	first = off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	dup = malloc(f.t[first].body_len);
	memcpy(dup, f.bodies[first], f.t[first].body_len);
	copy = push(&f, "73.12", wib(20260105, 11), SP_EV_ACTION, dup, f.t[first].body_len);
	a = act(&f, SP_ACT_TUNDA);
	a.reason = SP_REASON_INFO_KURANG;
	a.report[0] ^= 1;
	foreign = officer(&f, "73.12", 1, wib(20260105, 12), &a);
	dup = malloc(4);
	memcpy(dup, "\xa1\x00\x00", 3);
	bad_type = push(&f, "73.12", wib(20260105, 13), SP_EV_ROUTE, dup, 3);
	before = off_simple(&f, "73.12", 1, wib(T0_YMD, 8), SP_ACT_VERIFIKASI);
	compute(&f, wib(20260105, 14));
	EXPECT_VERDICTS(&f, {first, 0}, {copy, SP_ERR_REPLAY}, {foreign, SP_ERR_UNKNOWN_REPORT},
			{bad_type, SP_ERR_REPORT_FIELD}, {before, SP_ERR_TIME_ORDER});
	assert_int_equal(f.st.status, SP_ST_DIVERIFIKASI);
	fx_free(&f);
}

static void test_sealed_forward(void **state)
{
	struct fx f;
	struct sp_report_action a;
	struct sp_report_reader dinkes = {"73.12.DINKES", NULL};
	size_t no_key, with_key;

	fx_init(&f, SP_REPORT_RAHASIA, 0);
	dinkes.x25519_pk = x_pk[2];
	no_key = dispose(&f, "73.12", 1, wib(20260105, 10), "73.12.DINKES", NULL);
	a = act(&f, SP_ACT_DISPOSISI);
	a.targets[a.n_targets++] = (struct sp_str){"73.12.DINKES", 12};
	assert_int_equal(sp_report_seal_key(f.ckey, &dinkes, &a.keys[0]), 0);
	a.n_keys = 1;
	with_key = officer(&f, "73.12", 1, wib(20260105, 11), &a);
	compute(&f, wib(20260105, 12));
	assert_int_equal(f.st.verdict[no_key], SP_ERR_SEALED);
	assert_int_equal(f.st.verdict[with_key], 0);
	assert_string_equal(f.st.holders[0], "73.12.DINKES");
	fx_free(&f);
}

/* ---- SP_EV_KEY_GRANT ---------------------------------------------------- */

/* The body of docs/protocol.md §10.9: report 32 x 0x11; copies for 73 (80 x
 * 0x22) and 73.11 (80 x 0x33). */
static const char grant_vector[] =
	"a2005820111111111111111111111111111111111111111111111111111111111111111101828262"
	"37335850222222222222222222222222222222222222222222222222222222222222222222222222"
	"22222222222222222222222222222222222222222222222222222222222222222222222222222222"
	"22222222826537332e31315850333333333333333333333333333333333333333333333333333333"
	"33333333333333333333333333333333333333333333333333333333333333333333333333333333"
	"33333333333333333333333333";

static void test_grant_vector(void **state)
{
	struct sp_report_grant g = {.n_keys = 2}, back;
	uint8_t want[213], *body, id[32];
	size_t len;

	(void)state;
	assert_int_equal(sodium_hex2bin(want, sizeof(want), grant_vector, strlen(grant_vector), NULL,
					&len, NULL),
			 0);
	assert_int_equal(len, sizeof(want));
	memset(g.report, 0x11, 32);
	g.keys[0].inst = (struct sp_str){"73", 2};
	memset(g.keys[0].boxed, 0x22, SP_REPORT_BOX_BYTES);
	g.keys[1].inst = (struct sp_str){"73.11", 5};
	memset(g.keys[1].boxed, 0x33, SP_REPORT_BOX_BYTES);
	assert_int_equal(sp_report_grant_encode(&g, &body, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(body, want, len);
	free(body);
	assert_int_equal(sp_report_grant_parse(want, sizeof(want), &back), 0);
	assert_int_equal(back.n_keys, 2);
	assert_int_equal(sp_str_cmp(back.keys[1].inst, sp_str_of("73.11")), 0);
	assert_int_equal(sp_report_trail_report(SP_EV_KEY_GRANT, want, sizeof(want), id), 0);
	assert_memory_equal(id, g.report, 32);

	/* strict: ids out of order, no copies, a short box, a missing key */
	uint8_t bad[sizeof(want)];
	memcpy(bad, want, sizeof(bad));
	assert_int_equal(bad[39], 0x62); /* text(2) "73" */
	bad[40] = '8';                    /* "83" > "73.11" */
	assert_int_equal(sp_report_grant_parse(bad, sizeof(bad), &back), SP_ERR_REPORT_FIELD);
	g.n_keys = 0;
	assert_int_equal(sp_report_grant_encode(&g, &body, &len), SP_ERR_REPORT_FIELD);
	static const uint8_t short_box[] = {0xa2, 0x00, 0x58, 0x20, [36] = 0x01, 0x81, 0x82,
					    0x62, '7', '3', 0x58, 0x4f};
	assert_int_not_equal(sp_report_grant_parse(short_box, sizeof(short_box), &back), 0);
	memcpy(bad, want, sizeof(bad));
	bad[0] = 0xa1; /* only the report id, the rest trailing */
	assert_int_not_equal(sp_report_grant_parse(bad, 35, &back), 0);
	assert_int_equal(sp_report_grant_parse(bad, 36, &back), SP_ERR_REPORT_FIELD);
}

/* grant: the coordinator's node (or, in a forged one, another log) seals
 * the content key to insts[0..n) (ascending), their X25519 key from
 * seed byte 0x90 + i. */
static size_t grant(struct fx *f, const char *log, uint64_t t, const char *const *insts,
		    size_t n)
{
	struct sp_report_grant g = {.n_keys = n};
	uint8_t *body;
	size_t len;

	memcpy(g.report, f->id, 32);
	for (size_t i = 0; i < n; i++) {
		uint8_t pk[32], sk[32], seed[32] = {(uint8_t)(0x90 + i)};
		struct sp_report_reader rd = {insts[i], pk};

		crypto_box_seed_keypair(pk, sk, seed);
		assert_int_equal(sp_report_seal_key(f->ckey, &rd, &g.keys[i]), 0);
	}
	assert_int_equal(sp_report_grant_encode(&g, &body, &len), 0);
	return push(f, log, t, SP_EV_KEY_GRANT, body, len);
}

/* same_state: what a grant must not change. */
static void same_state(const struct sp_report_state *a, const struct sp_report_state *b)
{
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->n_holders, b->n_holders);
	for (size_t i = 0; i < a->n_holders; i++)
		assert_string_equal(a->holders[i], b->holders[i]);
	assert_int_equal(a->n_spans, b->n_spans);
	assert_int_equal(a->stage, b->stage);
	assert_int_equal(a->deadline_ms, b->deadline_ms);
	assert_int_equal(a->escalations, b->escalations);
}

static void test_key_grant(void **state)
{
	struct fx f;
	struct sp_report_state before;
	char keyless[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1];
	static const char *const to73[] = {"73"}, *const to7312[] = {"73.12"},
				  *const both[] = {"73", "73.12"};
	uint8_t key[32], pk[32], sk[32], seed[32] = {0x90};

	(void)state;
	fx_init(&f, SP_REPORT_RAHASIA, 0);
	compute(&f, wib(20260105, 10));
	assert_int_equal(sp_report_keyless(&f.st, keyless), 0); /* 73.12 is in the envelope */
	size_t early = grant(&f, "NAS", wib(20260105, 10), to73, 1);
	size_t by_73 = off_simple(&f, "73", 4, wib(20260105, 11), SP_ACT_AMBIL_ALIH);
	compute(&f, wib(20260106, 9));
	assert_int_equal(sp_report_keyless(&f.st, keyless), 1);
	assert_string_equal(keyless[0], "73");
	before = f.st;
	f.st = (struct sp_report_state){0};

	/* refused, and nothing changes: a grant before 73 held it, from a
	 * log other than the coordinator's, for an old holder, for one not
	 * holding it among holders, naming another report */
	size_t by_holder = grant(&f, "73", wib(20260105, 12), to73, 1);
	size_t by_child = grant(&f, "73.12", wib(20260105, 12), to73, 1);
	size_t old = grant(&f, "NAS", wib(20260105, 13), to7312, 1);
	size_t mixed = grant(&f, "NAS", wib(20260105, 13), both, 2);
	size_t other = grant(&f, "NAS", wib(20260105, 14), to73, 1);
	f.bodies[other][4] ^= 1; /* the report id's first byte */
	compute(&f, wib(20260106, 9));
	EXPECT_VERDICTS(&f, {early, SP_ERR_AUTHORITY}, {by_73, 0}, {by_holder, SP_ERR_AUTHORITY},
			{by_child, SP_ERR_AUTHORITY}, {old, SP_ERR_AUTHORITY},
			{mixed, SP_ERR_AUTHORITY}, {other, SP_ERR_UNKNOWN_REPORT});
	same_state(&f.st, &before);
	assert_int_equal(sp_report_keyless(&f.st, keyless), 1);

	/* the coordinator's grant for the new holder: applied, 73 keyed, the
	 * copy opens with 73's key, and holder, status, deadline stay */
	size_t good = grant(&f, "NAS", wib(20260105, 15), to73, 1);
	compute(&f, wib(20260106, 9));
	assert_int_equal(f.st.verdict[good], 0);
	same_state(&f.st, &before);
	assert_int_equal(sp_report_keyless(&f.st, keyless), 0);
	struct sp_report_key keys[SP_REPORT_MAX_KEYS];
	size_t nk;
	assert_int_equal(sp_report_trail_keys(SP_EV_KEY_GRANT, f.bodies[good],
					      f.t[good].body_len, keys, &nk),
			 0);
	crypto_box_seed_keypair(pk, sk, seed);
	assert_int_equal(sp_report_open_key(keys, nk, "73", pk, sk, key), 0);
	assert_memory_equal(key, f.ckey, 32);
	sp_report_state_free(&before);
	fx_free(&f);

	/* the heir of a transfer holds no copy either, until granted one; a
	 * forward with key copies leaves nobody keyless */
	fx_init(&f, SP_REPORT_RAHASIA, 0);
	f.retired = "73.12";
	f.retired_at = wib(20260106, 9);
	size_t moved = transfer(&f, "73", wib(20260106, 10), "73.12");
	compute(&f, wib(20260106, 11));
	assert_int_equal(f.st.verdict[moved], 0);
	assert_int_equal(sp_report_keyless(&f.st, keyless), 1);
	assert_string_equal(keyless[0], "73");
	size_t heir = grant(&f, "NAS", wib(20260106, 11), to73, 1);
	compute(&f, wib(20260106, 12));
	assert_int_equal(f.st.verdict[heir], 0);
	assert_int_equal(sp_report_keyless(&f.st, keyless), 0);
	fx_free(&f);
	fx_init(&f, SP_REPORT_RAHASIA, 0);
	struct sp_report_action fwd = act(&f, SP_ACT_DISPOSISI);
	struct sp_report_reader dinkes = {"73.12.DINKES", x_pk[2]};
	fwd.targets[fwd.n_targets++] = (struct sp_str){"73.12.DINKES", 12};
	assert_int_equal(sp_report_seal_key(f.ckey, &dinkes, &fwd.keys[fwd.n_keys++]), 0);
	officer(&f, "73.12", 1, wib(20260105, 10), &fwd);
	compute(&f, wib(20260105, 11));
	assert_string_equal(f.st.holders[0], "73.12.DINKES");
	assert_int_equal(sp_report_keyless(&f.st, keyless), 0);
	fx_free(&f);

	/* a report with nothing sealed gets no grant */
	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73", 4, wib(20260105, 11), SP_ACT_AMBIL_ALIH);
	size_t publik = grant(&f, "NAS", wib(20260105, 12), to73, 1);
	compute(&f, wib(20260106, 9));
	assert_int_equal(f.st.verdict[publik], SP_ERR_TRANSITION);
	assert_int_equal(sp_report_keyless(&f.st, keyless), 0);
	fx_free(&f);
}

static void test_deadlines_escalation(void **state)
{
	struct fx f;
	struct sp_report_escalation e;
	uint8_t *body;
	size_t len, ok, dup, stranger, wrong;
	uint64_t due = wib(20260109, 0); /* Mon 5 + 3 wd = end of Thu 8 */

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	compute(&f, due - 1);
	assert_int_equal(f.st.stage, SP_STAGE_VERIFY);
	assert_int_equal(f.st.deadline_ms, due);
	assert_false(f.st.overdue);
	assert_int_equal(sp_report_escalation_due(&f.st, due - 1, &e), 0);
	compute(&f, due);
	assert_true(f.st.overdue);
	assert_int_equal(sp_report_escalation_due(&f.st, due, &e), 1);
	assert_int_equal(e.stage, SP_STAGE_VERIFY);
	assert_int_equal(e.deadline_ms, due);
	assert_memory_equal(e.report, f.id, 32);

	/* The holder's node writes it; a stranger's or a wrong one is invalid. */
	assert_int_equal(sp_report_esc_encode(&e, &body, &len), 0);
	stranger = push(&f, "73.11", due + 1, SP_EV_ESCALATION, body, len);
	assert_int_equal(sp_report_esc_encode(&e, &body, &len), 0);
	ok = push(&f, "73.12", due + 2, SP_EV_ESCALATION, body, len);
	assert_int_equal(sp_report_esc_encode(&e, &body, &len), 0);
	dup = push(&f, "73.12", due + 3, SP_EV_ESCALATION, body, len);
	e.deadline_ms++;
	assert_int_equal(sp_report_esc_encode(&e, &body, &len), 0);
	wrong = push(&f, "73.12", due + 4, SP_EV_ESCALATION, body, len);
	compute(&f, due + 5);
	EXPECT_VERDICTS(&f, {stranger, SP_ERR_AUTHORITY}, {ok, 0}, {dup, SP_ERR_EXISTS},
			{wrong, SP_ERR_TRANSITION});
	assert_int_equal(f.st.escalations, 1);
	assert_int_equal(sp_report_escalation_due(&f.st, due + 5, &e), 0);

	/* Forwarding starts the answer stage: 5 working days from Mon 12. */
	dispose(&f, "73.12", 1, wib(20260112, 9), "73.12.DINKES", NULL);
	compute(&f, wib(20260112, 10));
	assert_int_equal(f.st.stage, SP_STAGE_ANSWER);
	assert_int_equal(f.st.deadline_ms, wib(20260121, 0)); /* Isra Mikraj off */
	assert_false(f.st.overdue);
	fx_free(&f);

	/* A policy snapshot in the report wins over the caller's policy. */
	{
		struct sp_report r;

		fx_init(&f, SP_REPORT_PUBLIK, 0);
		base_report(&r, SP_REPORT_PUBLIK, 0);
		r.has_policy = 1;
		r.policy = (struct sp_report_policy){1, 5, 10, 60};
		free(f.sub_body);
		assert_int_equal(sp_report_encode(&r, &f.sub_body, &f.sub.body_len), 0);
		f.sub.body = f.sub_body;
		compute(&f, wib(T0_YMD, 10));
		assert_int_equal(f.st.deadline_ms, wib(20260107, 0));
		/* The calendar-day ceiling wins when it comes first. */
		r.policy = (struct sp_report_policy){3, 5, 10, 1};
		free(f.sub_body);
		assert_int_equal(sp_report_encode(&r, &f.sub_body, &f.sub.body_len), 0);
		f.sub.body = f.sub_body;
		compute(&f, wib(20260106, 9));
		assert_int_equal(f.st.stage, SP_STAGE_CEILING);
		assert_int_equal(f.st.deadline_ms, wib(20260106, 9));
		assert_true(f.st.overdue);
		assert_int_equal(sp_report_escalation_due(&f.st, wib(20260106, 9), &e), 1);
		assert_int_equal(e.stage, SP_STAGE_CEILING);
		fx_free(&f);
	}
}

/* The same trail in any order gives the same state and verdicts. */
static void test_order_independent(void **state)
{
	struct fx f;
	struct sp_report_trail orig[MAX_TRAIL];
	struct sp_report_state ref;
	size_t n;

	fx_init(&f, SP_REPORT_PUBLIK, 0);
	off_simple(&f, "73.12", 1, wib(20260105, 10), SP_ACT_VERIFIKASI);
	dispose(&f, "73.12", 1, wib(20260105, 11), "73.12.DINKES", "73.12.DISDIK");
	with_reason(&f, "73.12.DISDIK", 3, wib(20260106, 9), SP_ACT_BUKAN_WEWENANG,
		    SP_REASON_LUAR_KEWENANGAN);
	/* Same time, two logs: the institution id breaks the tie. */
	answer(&f, "73.12.DINKES", 2, wib(20260106, 10));
	off_simple(&f, "73", 4, wib(20260106, 10), SP_ACT_AMBIL_ALIH);
	answer(&f, "73", 4, wib(20260106, 11));
	rep_simple(&f, wib(20260107, 9), SP_ACT_NILAI, 4, 0);
	rep_simple(&f, wib(20260107, 9), SP_ACT_SELESAI, 0, 0);
	n = f.n;
	memcpy(orig, f.t, sizeof(orig));
	compute(&f, wib(20260108, 0));
	ref = f.st;
	memset(&f.st, 0, sizeof(f.st));

	for (size_t rot = 1; rot <= n; rot++) {
		struct sp_report_state st;
		int map[MAX_TRAIL];

		/* Reverse, then rotate by rot. */
		for (size_t i = 0; i < n; i++) {
			size_t src = (n - 1 - i + rot) % n;

			f.t[i] = orig[src];
			map[i] = (int)src;
		}
		assert_int_equal(sp_report_compute(f.id, &f.sub, "73.11", f.t, n, &f.ctx,
						   wib(20260108, 0), &st),
				 0);
		assert_int_equal(st.status, ref.status);
		assert_int_equal(st.n_holders, ref.n_holders);
		assert_int_equal(st.n_spans, ref.n_spans);
		for (size_t i = 0; i < st.n_spans; i++) {
			assert_string_equal(st.spans[i].inst, ref.spans[i].inst);
			assert_int_equal(st.spans[i].start_ms, ref.spans[i].start_ms);
			assert_int_equal(st.spans[i].end_ms, ref.spans[i].end_ms);
		}
		assert_int_equal(st.bounces, ref.bounces);
		assert_int_equal(st.rating, ref.rating);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(st.verdict[i], ref.verdict[map[i]]);
		sp_report_state_free(&st);
	}
	memcpy(f.t, orig, sizeof(orig));
	/* The reference run: DINKES answered at the instant 73 took over;
	 * "73" sorts first, so DINKES no longer held it. */
	assert_int_equal(ref.verdict[3], SP_ERR_AUTHORITY);
	assert_int_equal(ref.verdict[4], 0);
	assert_int_equal(ref.status, SP_ST_SELESAI);
	assert_int_equal(ref.rating, 4);
	assert_int_equal(ref.bounces, 1);
	sp_report_state_free(&ref);
	fx_free(&f);
}

/* A status name reads back as its status; anything else is -1. */
static void test_status_names(void **state)
{
	(void)state;
	for (int i = 0; i <= SP_ST_DIGABUNG; i++)
		assert_int_equal(sp_report_status_of(sp_report_status_name(i)), i);
	assert_int_equal(sp_report_status_of("?"), -1);
	assert_int_equal(sp_report_status_of("Diterima"), -1);
	assert_int_equal(sp_report_status_of(""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_round_trip),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_seal_round_trip),
		cmocka_unit_test(test_strict_report),
		cmocka_unit_test(test_strict_action),
		cmocka_unit_test(test_happy_path),
		cmocka_unit_test(test_authority),
		cmocka_unit_test(test_sig_known),
		cmocka_unit_test(test_invalid_transitions),
		cmocka_unit_test(test_tunda_arsip),
		cmocka_unit_test(test_take_over),
		cmocka_unit_test(test_take_over_archive),
		cmocka_unit_test(test_bounces),
		cmocka_unit_test(test_reopen_and_window),
		cmocka_unit_test(test_auto_close_at_now),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_pointing_nowhere),
		cmocka_unit_test(test_retired_holder),
		cmocka_unit_test(test_replay_and_foreign),
		cmocka_unit_test(test_sealed_forward),
		cmocka_unit_test(test_grant_vector),
		cmocka_unit_test(test_key_grant),
		cmocka_unit_test(test_deadlines_escalation),
		cmocka_unit_test(test_order_independent),
	};

	if (sodium_init() < 0)
		return 1;
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

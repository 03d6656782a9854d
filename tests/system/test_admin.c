/*
 * test_admin.c - administration by signed requests between real simpuld
 * processes on 127.0.0.1 (node/sp_api_admin.c, protocol/sp_admin.c,
 * docs/api.md "Administration", docs/operations.md).
 *
 * A subset-73 federation from `simpul federation init` (which enrols an
 * admin and a pejabat penghubung per institution): C = the national
 * coordinator (KEMENPANRB, its own log is the directory), A = Kabupaten
 * Soppeng (73.12), dialing C. Checked:
 *   - OFFICERS: the coordinator's admin enrols an officer of 73.12 made by
 *     `simpul keygen` (`simpul officer enrol` to C); A lists them at once
 *     (no restart); the officer handles a complaint at A through every
 *     state (verifikasi, tindak_lanjut, then the reporter closes it);
 *     73.12's own admin suspends them (a delegate's change), after which
 *     their action is refused;
 *   - REFUSALS: each bad request gets its stable code and writes nothing
 *     (C's own log does not grow): unknown signer, a pejabat penghubung as
 *     signer, an officer enrolled elsewhere, an unknown institution, a
 *     parent cycle, a route outside the delegate's regions, a signing key
 *     another institution uses, a new coordinator key its node does not hold, a calendar with an impossible date, a
 *     replayed, an expired and a forged request, a request sent to a node
 *     that is not the coordinator's;
 *   - ROUTES and POLICY: a rule set at C routes at A (`simpul route test`
 *     names it), deleting it restores the default route;
 *   - JOIN: a new institution (province 74) joins the running federation:
 *     `simpul init --join` takes the directory from A and prints its keys,
 *     the coordinator's admin publishes its record (`simpul institution
 *     add` to C) and enrols its officer, the new node N starts, replicates
 *     the records written after its copy of the directory, and a complaint
 *     about 74.01 filed at C is routed to it and verified by N's officer;
 *     no other node restarts;
 *   - REPARENT: the coordinator's admin puts 73.12 under province 74 and
 *     back; at A the reports 73.12 holds leave 73's subtree list
 *     (holder=73&subtree=1) for 74's and return, live;
 *   - CALENDAR: with a 30-working-day policy a deadline falls in 2027,
 *     whose calendar is not published: A's report view, status and
 *     metrics say so; `simpul calendar publish 2027` at C reaches A live,
 *     and a new report's deadline then skips the published holidays.
 * Every node's ports are chosen by the kernel (port 0).
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_admin.h"
#include "sp_cal.h"
#include "sp_err.h"
#include "sp_fedgen.h"
#include "sp_fedtest.h"
#include "sp_keyfile.h"
#include "sp_nodetest.h"
#include "sp_note.h"

#define BIG (2 * PATH_MAX)

static struct sp_nt_fix g;     /* C, A, and N (74) once test_new_node_joins ran */
static char n_report[65];      /* held by 74 (N) once test_new_node_joins ran */
static struct sp_h_node rogue; /* test_sign_key_rotation's old-key node */

#define CLI(want, ...) SP_NT_CLI(&g, want, __VA_ARGS__)

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- fixture ------------------------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	/* C checks every second for reports of retired children to take over */
	/* C holds 73.12 off after the old key's node sends it bad data
	 * (test_sign_key_rotation), doubling with each retry from 30 s by
	 * default: on a loaded machine the rogue retries a few times before
	 * it is killed, and A, back under the same name, would wait past the
	 * test's patience. Short holds keep the refusal and the catch-up. */
	sp_nt_fix_setup(&g, "admin",
			"penalty_ms = 1000\npenalty_max_ms = 4000\n[deadlines]\nescalate_s = 1\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* every node a test started, also when it failed midway */
	sp_nt_fix_kill(&g);
	sp_h_node_kill(&rogue);
	return 0;
}

/* ---- officers -------------------------------------------------------------------------------- */

static int officer_gone(void *arg)
{
	return !sp_nt_officer_listed(arg);
}

/* submit files a complaint at A; id and secret from `simpul submit`. */
static void submit(const char *cat, char id[65], char secret[65])
{
	const char *args[] = {"submit",  "--node", g.a_url, "--category", cat, "--region",
			      "73.12.01", "--title", "Jalan rusak", "--content", "Berlubang",
			      NULL};
	char *out = sp_nt_cli(&g, 0, args);
	char *r = strstr(out, "report    "), *s = strstr(out, "secret    ");
	assert_non_null(r);
	sscanf(r + 10, "%64s", id);
	if (secret) {
		assert_non_null(s);
		sscanf(s + 10, "%64s", secret);
	}
	free(out);
}

static void status_is(const char *id, const char *want)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *j = sp_nt_json(&g.a, path);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "status")), want);
	json_decref(j);
}

static void test_officer_enrolled_and_acts(void **state)
{
	(void)state;
	char ani[PATH_MAX], admin[PATH_MAX], kab_admin[PATH_MAX];
	snprintf(ani, sizeof(ani), "%s/ani.key", g.dir);
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	sp_nt_key(&g, kab_admin, sizeof(kab_admin), "73.12", "admin");
	CLI(0, "keygen", "--out", ani);
	uint8_t pk[32];
	assert_int_equal(sp_keyfile_load(ani, pk, NULL, NULL, 0), 0);
	struct sp_nt_listed l = {&g.a, "73.12", ""};
	sodium_bin2hex(l.key, sizeof(l.key), pk, 32);
	assert_false(sp_nt_officer_listed(&l));
	CLI(0, "officer", "enrol", "--node", g.c_url, "--key", admin, "--inst", "73.12",
	    "--officer-key", ani, "--name", "Ani Wijaya", "--role", "penghubung");
	if (!sp_ft_wait(sp_nt_officer_listed, &l))
		fail_msg("A did not apply the enrolment (log %s)", g.a.log);
	/* the new officer handles a complaint through every state */
	char id[65], secret[65];
	submit("jalan", id, secret);
	CLI(0, "act", "--node", g.a_url, "--key", ani, id, "verifikasi");
	status_is(id, "diverifikasi");
	CLI(0, "act", "--node", g.a_url, "--key", ani, id, "tindak_lanjut", "--text",
	    "Sudah ditambal");
	status_is(id, "ditindaklanjuti");
	CLI(0, "act", "--node", g.a_url, "--secret", secret, id, "selesai");
	status_is(id, "selesai");
	/* 73.12's own admin suspends them: delegated, applied live */
	CLI(0, "officer", "suspend", "--node", g.c_url, "--key", kab_admin, "--inst", "73.12",
	    "--officer-key", l.key);
	if (!sp_ft_wait(officer_gone, &l))
		fail_msg("A did not apply the suspension (log %s)", g.a.log);
	char id2[65];
	submit("jalan", id2, NULL);
	CLI(1, "act", "--node", g.a_url, "--key", ani, id2, "verifikasi");
	status_is(id2, "diterima");
}

/* ---- refusals -------------------------------------------------------------------------------- */

/* post signs record (type) with the key in key_file (expiring at expires;
 * forge: flip a signature bit) and posts it to node n; wants status and
 * error code. Returns the body it sent (base64 JSON), for replays. */
static char *post(const struct sp_h_node *n, const char *key_file, uint64_t type,
		  const struct sp_buf *rec, uint64_t expires, int forge, int want,
		  const char *code)
{
	uint8_t pk[32], sk[64];
	assert_int_equal(sp_keyfile_load(key_file, pk, sk, NULL, 0), 0);
	struct sp_admin_req r = {.type = type, .record = rec->p, .record_len = rec->len,
				 .expires_ms = expires ? expires : wall_ms() + 120000};
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_admin_sign(&r, sk, &b), 0);
	if (forge)
		b.p[b.len - 1] ^= 1;
	char b64[8192];
	sodium_bin2base64(b64, sizeof(b64), b.p, b.len, sodium_base64_VARIANT_ORIGINAL);
	sp_buf_free(&b);
	char *body = malloc(strlen(b64) + 32);
	sprintf(body, "{\"request\":\"%s\"}", b64);
	struct sp_h_resp resp;
	assert_int_equal(sp_h_http(n->addr, "POST", "/v1/admin", "Content-Type: application/json\r\n",
				   body, strlen(body), &resp),
			 0);
	if (resp.status != want || (code && strstr(resp.body, code) == NULL))
		fail_msg("POST /v1/admin: %d %s, want %d %s", resp.status, resp.body, want,
			 code ? code : "");
	sp_h_resp_free(&resp);
	return body;
}

static void officer_rec(struct sp_buf *b, const char *inst, const uint8_t key[32],
			enum sp_dir_officer_action act)
{
	struct sp_dir_officer o = {.role = SP_DIR_ROLE_PENGHUBUNG, .action = act};
	snprintf(o.inst, sizeof(o.inst), "%s", inst);
	memcpy(o.key, key, 32);
	snprintf(o.name, sizeof(o.name), "Budi");
	b->len = 0;
	assert_int_equal(sp_dir_officer_encode(&o, b), 0);
}

static void inst_rec(struct sp_buf *b, const char *id, const char *parent, enum sp_dir_tier t,
		     const uint8_t sign[32])
{
	struct sp_dir_inst r = {.tier = t};
	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.name, sizeof(r.name), "Institusi %s", id);
	snprintf(r.parent, sizeof(r.parent), "%s", parent);
	memcpy(r.sign_key, sign, 32);
	memset(r.seal_key, 0x5e, 32);
	b->len = 0;
	assert_int_equal(sp_dir_inst_encode(&r, b), 0);
}

/* dir_key: the directory's signing key of institution id, from C. */
static void dir_key(const char *id, uint8_t out[32])
{
	char path[96];
	size_t got = 0;
	snprintf(path, sizeof(path), "/v1/directory/institutions/%s", id);
	json_t *j = sp_nt_json(&g.c, path);
	assert_non_null(j);
	const char *h = json_string_value(json_object_get(j, "sign_key"));
	assert_int_equal(sodium_hex2bin(out, 32, h, 64, NULL, &got, NULL), 0);
	json_decref(j);
}

static void test_refusals_write_nothing(void **state)
{
	(void)state;
	char admin[PATH_MAX], pengh[PATH_MAX], kab_admin[PATH_MAX], stranger[PATH_MAX];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	sp_nt_key(&g, pengh, sizeof(pengh), "73.12", "officer");
	sp_nt_key(&g, kab_admin, sizeof(kab_admin), "73.12", "admin");
	snprintf(stranger, sizeof(stranger), "%s/stranger.key", g.dir);
	uint8_t seed[32], fresh[32], pk[32];
	memset(seed, 0x42, sizeof(seed));
	assert_int_equal(sp_keyfile_create(stranger, seed, NULL, 0), 0);
	randombytes_buf(fresh, sizeof(fresh));
	long long before = sp_nt_own_size(&g.c);
	struct sp_buf b;
	sp_buf_init(&b);

	officer_rec(&b, "73.12", fresh, SP_DIR_ENROL);
	free(post(&g.c, stranger, SP_EV_OFFICER, &b, 0, 0, 403, "SP_ERR_UNKNOWN_OFFICER"));
	free(post(&g.c, pengh, SP_EV_OFFICER, &b, 0, 0, 403, "SP_ERR_AUTHORITY"));
	free(post(&g.c, admin, SP_EV_OFFICER, &b, 0, 1, 400, "SP_ERR_BAD_SIGNATURE"));
	free(post(&g.c, admin, SP_EV_OFFICER, &b, wall_ms() - 1000, 0, 409, "SP_ERR_EXPIRED"));
	free(post(&g.c, admin, SP_EV_OFFICER, &b, wall_ms() + 3600000, 0, 409, "SP_ERR_EXPIRED"));
	free(post(&g.a, admin, SP_EV_OFFICER, &b, 0, 0, 403, "SP_ERR_NOT_DELEGATED"));
	/* an officer enrolled at 73.11 cannot be enrolled at 73.12 too */
	sp_nt_key(&g, stranger, sizeof(stranger), "73.11", "officer");
	assert_int_equal(sp_keyfile_load(stranger, pk, NULL, NULL, 0), 0);
	officer_rec(&b, "73.12", pk, SP_DIR_ENROL);
	free(post(&g.c, admin, SP_EV_OFFICER, &b, 0, 0, 409, "SP_ERR_EXISTS"));
	officer_rec(&b, "NOPE", fresh, SP_DIR_ENROL);
	free(post(&g.c, admin, SP_EV_OFFICER, &b, 0, 0, 404, "SP_ERR_UNKNOWN_INSTITUTION"));
	officer_rec(&b, "73.11", fresh, SP_DIR_REMOVE); /* not enrolled there */
	free(post(&g.c, admin, SP_EV_OFFICER, &b, 0, 0, 403, "SP_ERR_UNKNOWN_OFFICER"));
	/* 73 under its own kabupaten: a cycle */
	dir_key("73", pk);
	inst_rec(&b, "73", "73.12", SP_DIR_TIER_PROVINCE, pk);
	free(post(&g.c, admin, SP_EV_INSTITUTION, &b, 0, 0, 409, "SP_ERR_DIR_CYCLE"));
	/* a unit with the signing key of 73.11 */
	dir_key("73.11", pk);
	inst_rec(&b, "73.12.DINKES", "73.12", SP_DIR_TIER_UNIT, pk);
	free(post(&g.c, admin, SP_EV_INSTITUTION, &b, 0, 0, 409, "SP_ERR_EXISTS"));
	/* a new signing key for the coordinator that its node does not hold
	 * ([node] key): the directory would stop (the rotation itself:
	 * test_root_rotation) */
	uint8_t fresh_sign[32], fresh_sk[64];
	crypto_sign_keypair(fresh_sign, fresh_sk);
	inst_rec(&b, "KEMENPANRB", "", SP_DIR_TIER_COORDINATOR, fresh_sign);
	free(post(&g.c, admin, SP_EV_INSTITUTION, &b, 0, 0, 500, "SP_ERR_CONFIG"));
	/* 73.12's admin: a route for 73.11's region */
	struct sp_dir_route rt;
	assert_int_equal(sp_dir_route_make(&rt, "73.12:grab", "jalan", "73.11", "73.12"), 0);
	b.len = 0;
	assert_int_equal(sp_dir_route_encode(&rt, &b), 0);
	free(post(&g.c, kab_admin, SP_EV_ROUTE, &b, 0, 0, 403, "SP_ERR_NOT_DELEGATED"));
	/* a calendar with 30 February (built by hand: the encoder refuses it) */
	b.len = 0;
	sp_cbor_put_map(&b, 2);
	sp_cbor_put_uint(&b, 0);
	sp_cbor_put_uint(&b, 2027);
	sp_cbor_put_uint(&b, 1);
	sp_cbor_put_array(&b, 1);
	sp_cbor_put_array(&b, 2);
	sp_cbor_put_uint(&b, 20270230);
	sp_cbor_put_text(&b, "Hari khayalan", 13);
	free(post(&g.c, admin, SP_EV_CALENDAR, &b, 0, 0, 400, "SP_ERR_DIR_RECORD"));
	assert_int_equal(sp_nt_own_size(&g.c), before); /* nothing written */

	/* a good request is written once; the same bytes again are a replay */
	officer_rec(&b, "73.12", fresh, SP_DIR_ENROL);
	char *sent = post(&g.c, admin, SP_EV_OFFICER, &b, 0, 0, 201, NULL);
	assert_int_equal(sp_nt_own_size(&g.c), before + 1);
	struct sp_h_resp resp;
	assert_int_equal(sp_h_http(g.c.addr, "POST", "/v1/admin",
				   "Content-Type: application/json\r\n", sent, strlen(sent), &resp),
			 0);
	assert_int_equal(resp.status, 409);
	assert_non_null(strstr(resp.body, "SP_ERR_REPLAY"));
	sp_h_resp_free(&resp);
	free(sent);
	assert_int_equal(sp_nt_own_size(&g.c), before + 1);
	sp_buf_free(&b);
}

/* ---- routes and policy ----------------------------------------------------------------------- */

struct routed {
	const char *cat, *region, *rule;
};

static int routed_by(void *arg)
{
	struct routed *r = arg;
	char path[160];
	snprintf(path, sizeof(path), "/v1/route?category=%s&region=%s", r->cat, r->region);
	json_t *j = sp_nt_json(&g.a, path);
	int ok = j && strcmp(json_string_value(json_object_get(j, "rule")) ?: "", r->rule) == 0;
	json_decref(j);
	return ok;
}

static void test_route_set_test_delete(void **state)
{
	(void)state;
	char admin[PATH_MAX];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	struct routed r = {"air-bersih", "73.12.01", "default:73.12"};
	assert_true(routed_by(&r));
	CLI(0, "route", "set", "--node", g.c_url, "--key", admin, "--rule", "73:air-desa",
	    "--category", "air-bersih", "--region", "73.12.01", "--to", "73");
	r.rule = "73:air-desa";
	if (!sp_ft_wait(routed_by, &r))
		fail_msg("A did not apply the rule (log %s)", g.a.log);
	const char *args[] = {"route",      "test",     "--node", g.a_url, "--category",
			      "air-bersih", "--region", "73.12.01", NULL};
	char *out = sp_nt_cli(&g, 0, args);
	assert_non_null(strstr(out, "institution 73 "));
	assert_non_null(strstr(out, "rule 73:air-desa"));
	free(out);
	CLI(0, "route", "delete", "--node", g.c_url, "--key", admin, "--rule", "73:air-desa");
	r.rule = "default:73.12";
	if (!sp_ft_wait(routed_by, &r))
		fail_msg("A did not apply the deletion (log %s)", g.a.log);
	CLI(1, "route", "delete", "--node", g.c_url, "--key", admin, "--rule", "73:air-desa");
}

/* ---- a new institution joins ---------------------------------------------------------------- */

static int held_by_n(void *arg)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", (const char *)arg);
	json_t *j = sp_nt_json(&g.n, path);
	json_decref(j);
	return j != NULL;
}

static void test_new_node_joins(void **state)
{
	(void)state;
	char admin[PATH_MAX], n_url[96], off[PATH_MAX], sign[65], seal[65];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	free(sp_nt_fix_join_init(&g, sign, seal));
	/* checked against another root key, the directory is refused */
	char other[PATH_MAX], vkey[300];
	uint8_t opk[32], osk[64];
	struct sp_note_key k;
	struct sp_buf vb;
	sp_buf_init(&vb);
	crypto_sign_keypair(opk, osk);
	assert_int_equal(sp_note_key_init(&k, "simpul.local/KEMENPANRB", SP_NOTE_TYPE_ED25519, opk),
			 0);
	sp_note_vkey_format(&k, &vb);
	snprintf(vkey, sizeof(vkey), "%.*s", (int)vb.len, (const char *)vb.p);
	sp_buf_free(&vb);
	snprintf(other, sizeof(other), "%s/impostor", g.dir);
	const char *bad[] = {"init", "--dir", other, "--id", "74", "--join", g.a_url,
			     "--root-key", vkey, NULL};
	char *out = sp_nt_cli(&g, 1, bad);
	assert_non_null(strstr(out, "not signed by --root-key"));
	free(out);
	sp_nt_fix_add_province(&g, 0, admin, "74", "Pemerintah Provinsi Sulawesi Tenggara", sign,
			       seal);
	/* the same keys for another institution: refused */
	sp_nt_fix_add_province(&g, 1, admin, "75", "Gorontalo", sign, seal);
	snprintf(off, sizeof(off), "%s/officer.key", g.dir);
	CLI(0, "keygen", "--out", off);
	CLI(0, "officer", "enrol", "--node", g.c_url, "--key", admin, "--inst", "74",
	    "--officer-key", off, "--name", "Wa Ode Hasnia");
	sp_nt_fix_start_n(&g);
	snprintf(n_url, sizeof(n_url), "http://%s", g.n.addr);
	char id[65];
	const char *sub[] = {"submit", "--node", g.c_url, "--category", "jalan", "--region",
			     "74.01", "--title", "Jalan provinsi rusak", "--content", "Lubang",
			     NULL};
	out = sp_nt_cli(&g, 0, sub);
	sp_nt_word_after(out, "report    ", id, sizeof(id));
	assert_non_null(strstr(out, "routed to 74 (rule default:74)"));
	free(out);
	if (!sp_ft_wait(held_by_n, id))
		fail_msg("the new node did not receive the complaint (log %s)", g.n.log);
	CLI(0, "act", "--node", n_url, "--key", off, id, "verifikasi");
	memcpy(n_report, id, sizeof(id));
}

/* ---- retiring an institution ---------------------------------------------------------- */

struct held {
	const struct sp_h_node *node;
	const char *id, *holder;
};

/* held_by: the node's view of the report has exactly one holder, h->holder. */
static int held_by(void *arg)
{
	const struct held *h = arg;
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", h->id);
	json_t *j = sp_nt_json(h->node, path), *hs = json_object_get(j, "holders");
	int ok = json_array_size(hs) == 1 &&
		 strcmp(json_string_value(json_array_get(hs, 0)) ?: "", h->holder) == 0;
	json_decref(j);
	return ok;
}

/* transfers: how many trail entries of report id at node n are
 * transfers; each must be the applied one from 74 to its heir
 * KEMENPANRB, in the heir's log, and no entry may be an escalation
 * without a stage (how a transfer used to be shown). */
static int transfers(const struct sp_h_node *n, const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *j = sp_nt_json(n, path), *it;
	size_t i;
	int c = 0;
	json_array_foreach(json_object_get(j, "trail"), i, it) {
		const char *type = json_string_value(json_object_get(it, "type")) ?: "";
		char *dump = json_dumps(it, JSON_COMPACT);
		if (strcmp(type, "escalation") == 0 && json_object_get(it, "stage") == NULL)
			fail_msg("an escalation without a stage: %s", dump);
		if (strcmp(type, "transfer") == 0 &&
		    (strcmp(json_string_value(json_object_get(it, "log")) ?: "", "KEMENPANRB") ||
		     strcmp(json_string_value(json_object_get(it, "from")) ?: "", "74") ||
		     strcmp(json_string_value(json_object_get(it, "to")) ?: "", "KEMENPANRB") ||
		     strcmp(json_string_value(json_object_get(it, "verdict")) ?: "", "applied")))
			fail_msg("unexpected transfer: %s", dump);
		c += strcmp(type, "transfer") == 0;
		free(dump);
	}
	json_decref(j);
	return c;
}

static void test_retire_institution(void **state)
{
	(void)state;
	char admin[PATH_MAX], kab_admin[PATH_MAX], coord_off[PATH_MAX], n_off[PATH_MAX],
		n_url[96];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	sp_nt_key(&g, kab_admin, sizeof(kab_admin), "73.12", "admin");
	sp_nt_key(&g, coord_off, sizeof(coord_off), "KEMENPANRB", "officer");
	snprintf(n_off, sizeof(n_off), "%s/officer.key", g.dir);
	snprintf(n_url, sizeof(n_url), "http://%s", g.n.addr);
	assert_true(n_report[0] != '\0'); /* test_new_node_joins left it with 74 */
	struct held at_c = {&g.c, n_report, "74"}, at_n = {&g.n, n_report, "74"};
	assert_true(held_by(&at_c));
	/* refused, nothing written: another institution's admin, the coordinator itself */
	long long before = sp_nt_own_size(&g.c);
	CLI(1, "institution", "retire", "--node", g.c_url, "--key", kab_admin, "--id", "74");
	CLI(1, "institution", "retire", "--node", g.c_url, "--key", admin, "--id", "KEMENPANRB");
	CLI(1, "institution", "retire", "--node", g.c_url, "--key", admin, "--id", "99");
	assert_int_equal(sp_nt_own_size(&g.c), before);
	/* the coordinator's admin retires province 74 while every node runs */
	CLI(0, "institution", "retire", "--node", g.c_url, "--key", admin, "--id", "74");
	CLI(1, "institution", "retire", "--node", g.c_url, "--key", admin, "--id", "74");
	/* its open complaint passes to its heir, the coordinator, by C's own
	 * transfer entry; N, a replica, computes the same */
	at_c.holder = at_n.holder = "KEMENPANRB";
	if (!sp_ft_wait(held_by, &at_c))
		fail_msg("C did not take over 74's complaint (log %s)", g.c.log);
	if (!sp_ft_wait(held_by, &at_n))
		fail_msg("N does not see C's take-over (log %s)", g.n.log);
	/* the public trail names the transfer as such, from 74 to its heir */
	assert_int_equal(transfers(&g.c, n_report), 1);
	assert_int_equal(transfers(&g.n, n_report), 1);
	/* the retired node's officer can no longer act; a forward to it is refused */
	char *out;
	const char *late[] = {"act", "--node", n_url, "--key", n_off, n_report,
			      "tindak_lanjut", "--text", "Sudah", NULL};
	out = sp_nt_cli(&g, 1, late);
	assert_non_null(strstr(out, "SP_ERR_RETIRED"));
	free(out);
	const char *fwd[] = {"act", "--node", g.c_url, "--key", coord_off, n_report,
			     "disposisi", "--to", "74", NULL};
	out = sp_nt_cli(&g, 1, fwd);
	assert_non_null(strstr(out, "SP_ERR_RETIRED"));
	assert_non_null(strstr(out, "forward it to the one that took over"));
	free(out);
	/* routing passes it over: a complaint about 74.01 now goes to the coordinator */
	const char *rt[] = {"route", "test", "--node", g.a_url, "--category", "jalan",
			    "--region", "74.01", NULL};
	out = sp_nt_cli(&g, 0, rt);
	assert_non_null(strstr(out, "institution KEMENPANRB"));
	free(out);
	/* the heir acts on it */
	CLI(0, "act", "--node", g.c_url, "--key", coord_off, n_report, "tindak_lanjut",
	    "--text", "Ditangani langsung");
	/* every log, the retired one's too, still verifies end to end, and the
	 * audit recomputes the same states from the logs alone */
	CLI(0, "audit", "--root", g.root_vkey, "--node", g.c_url, "--quiet");
}

/* ---- a kabupaten moved under another province ------------------------------------------------ */

/* listed_at: how many reports node n lists for query q (one page) */
static json_int_t listed_at(const struct sp_h_node *n, const char *q)
{
	char path[160];
	snprintf(path, sizeof(path), "/v1/reports?%s&limit=500", q);
	json_t *j = sp_nt_json(n, path);
	json_int_t c = j ? (json_int_t)json_array_size(json_object_get(j, "reports")) : -1;
	json_decref(j);
	return c;
}

struct subtrees {
	const struct sp_h_node *n;
	json_int_t in73, in74; /* what each province's subtree list must hold */
};

static int subtrees_are(void *arg)
{
	struct subtrees *t = arg;
	return listed_at(t->n, "holder=73&subtree=1") == t->in73 &&
	       listed_at(t->n, "holder=74&subtree=1") == t->in74;
}

/* move_73_12 has C's admin put 73.12 under `parent`, keys unchanged. */
static void move_73_12(const char *admin, const char *parent)
{
	struct sp_buf b;
	sp_buf_init(&b);
	json_t *j = sp_nt_json(&g.c, "/v1/directory/institutions/73.12");
	assert_non_null(j);
	struct sp_dir_inst r = {.tier = SP_DIR_TIER_KABKOTA};
	size_t got;
	snprintf(r.id, sizeof(r.id), "73.12");
	snprintf(r.name, sizeof(r.name), "%s", json_string_value(json_object_get(j, "name")));
	snprintf(r.parent, sizeof(r.parent), "%s", parent);
	assert_int_equal(sodium_hex2bin(r.sign_key, 32, json_string_value(json_object_get(j, "sign_key")),
					64, NULL, &got, NULL), 0);
	assert_int_equal(sodium_hex2bin(r.seal_key, 32, json_string_value(json_object_get(j, "seal_key")),
					64, NULL, &got, NULL), 0);
	json_decref(j);
	assert_int_equal(sp_dir_inst_encode(&r, &b), 0);
	free(post(&g.c, admin, SP_EV_INSTITUTION, &b, 0, 0, 201, NULL));
	sp_buf_free(&b);
}

/* The reports 73.12 holds move from 73's subtree list to 74's at A (the
 * directory change replicated to it) when the coordinator puts 73.12 under
 * province 74, and back again, with no restart and no rebuild. */
static void test_reparent_moves_subtree_lists(void **state)
{
	(void)state;
	char admin[PATH_MAX];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	json_int_t held = listed_at(&g.a, "holder=73.12");
	struct subtrees before = {&g.a, listed_at(&g.a, "holder=73&subtree=1"),
				  listed_at(&g.a, "holder=74&subtree=1")};
	assert_true(held > 0 && before.in73 >= held && before.in74 >= 0);
	struct subtrees moved = {&g.a, before.in73 - held, before.in74 + held};
	move_73_12(admin, "74");
	if (!sp_ft_wait(subtrees_are, &moved))
		fail_msg("73.12's reports (%lld) did not move to 74's subtree at A: 73 lists %lld, "
			 "74 %lld, want %lld, %lld (log %s)",
			 (long long)held, (long long)listed_at(&g.a, "holder=73&subtree=1"),
			 (long long)listed_at(&g.a, "holder=74&subtree=1"), (long long)moved.in73,
			 (long long)moved.in74, g.a.log);
	move_73_12(admin, "73");
	if (!sp_ft_wait(subtrees_are, &before))
		fail_msg("73.12's reports did not move back to 73's subtree at A (log %s)", g.a.log);
}

/* ---- calendar -------------------------------------------------------------------------------- */

static int policy_is_30(void *arg)
{
	(void)arg;
	json_t *j = sp_nt_json(&g.a, "/v1/route?category=kesehatan&region=73.12.01");
	int ok = j && json_integer_value(json_object_get(json_object_get(j, "policy"), "verify")) == 30;
	json_decref(j);
	return ok;
}

static int published_2027(void *arg)
{
	(void)arg;
	json_t *j = sp_nt_json(&g.a, "/v1/calendar/2027");
	int ok = j && json_is_true(json_object_get(j, "published"));
	json_decref(j);
	return ok;
}

static json_t *view(const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *j = sp_nt_json(&g.a, path);
	assert_non_null(j);
	return j;
}

/* indexed_deadline: the deadline A's report index records for report id
 * (GET /v1/reports lists the index's summaries), or -1. */
static long long indexed_deadline(const char *id)
{
	json_t *j = sp_nt_json(&g.a, "/v1/reports?category=kesehatan&limit=100"), *it;
	size_t i;
	long long d = -1;
	json_array_foreach(json_object_get(j, "reports"), i, it)
		if (strcmp(json_string_value(json_object_get(it, "report_id")) ?: "", id) == 0)
			d = json_integer_value(json_object_get(it, "deadline"));
	json_decref(j);
	return d;
}

static void test_calendar_2027(void **state)
{
	(void)state;
	char admin[PATH_MAX], file[PATH_MAX];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	CLI(0, "policy", "set", "--node", g.c_url, "--key", admin, "--category", "kesehatan",
	    "--verify", "30", "--answer", "5", "--window", "10", "--ceiling", "60");
	if (!sp_ft_wait(policy_is_30, NULL))
		fail_msg("A did not apply the policy (log %s)", g.a.log);
	/* 30 working days from now (December 2026) end in 2027: unpublished */
	char id1[65], id2[65];
	submit("kesehatan", id1, NULL);
	json_t *v = view(id1);
	long long d1 = json_integer_value(json_object_get(v, "deadline"));
	assert_int_equal(indexed_deadline(id1), d1);
	assert_int_equal(json_integer_value(json_object_get(v, "calendar_unpublished")), 2027);
	json_decref(v);
	json_t *st = sp_nt_json(&g.a, "/v1/status");
	json_t *cal = json_object_get(st, "calendar");
	assert_true(json_integer_value(json_object_get(cal, "unpublished_deadlines")) >= 1);
	assert_int_equal(json_integer_value(json_object_get(cal, "unpublished_year")), 2027);
	json_decref(st);
	char *metrics = sp_h_get(g.a.addr, "/metrics", NULL);
	assert_non_null(strstr(metrics, "simpul_calendar_unpublished_deadlines_total{year=\"2027\"}"));
	free(metrics);
	/* publish 2027 with two holidays inside the window: Mon 4 and Tue 5 Jan */
	snprintf(file, sizeof(file), "%s/libur-2027.txt", g.dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fprintf(f, "# contoh\n2027-01-01 Tahun Baru 2027 Masehi\n2027-01-04 Libur uji\n"
		   "2027-01-05 Libur uji kedua\n");
	fclose(f);
	CLI(0, "calendar", "publish", "2027", file, "--node", g.c_url, "--key", admin);
	if (!sp_ft_wait(published_2027, NULL))
		fail_msg("A did not apply the 2027 calendar (log %s)", g.a.log);
	const char *args[] = {"calendar", "show", "2027", "--node", g.a_url, NULL};
	char *out = sp_nt_cli(&g, 0, args);
	assert_non_null(strstr(out, "year 2027: published calendar"));
	assert_non_null(strstr(out, "2027-01-05 Libur uji kedua"));
	free(out);
	submit("kesehatan", id2, NULL);
	v = view(id2);
	long long d2 = json_integer_value(json_object_get(v, "deadline"));
	assert_true(json_is_null(json_object_get(v, "calendar_unpublished")));
	json_decref(v);
	/* the two published holidays push the deadline two working days on */
	assert_true(d2 - d1 >= 2 * 86400000LL);
	assert_true(d2 - d1 <= 4 * 86400000LL + 3600000LL);
	/* the report filed before publication moved too, in the view and in the
	 * index's deadline (what overdue lists, counters and escalations use) */
	v = view(id1);
	long long d1_now = json_integer_value(json_object_get(v, "deadline"));
	json_decref(v);
	assert_true(d1_now - d1 >= 2 * 86400000LL);
	assert_int_equal(indexed_deadline(id1), d1_now);
}

/* ---- seal-key rotation ---------------------------------------------------------------- */

/* set_seal_keys rewrites A's [node] seal keys (prev NULL: none) and sends
 * SIGHUP; waits for the reload's log line `want` (the n-th of its kind). */
static void set_seal_keys(const char *cur, const char *prev, const char *want, int nth)
{
	char *ini = sp_h_slurp(g.a.ini, NULL);
	assert_non_null(ini);
	char *p = strstr(ini, "seal_key = "), *end = p ? strchr(p, '\n') : NULL;
	assert_non_null(end);
	char *q = strstr(end, "seal_keys_previous = ");
	char *rest = q ? strchr(q, '\n') + 1 : end + 1;
	FILE *f = fopen(g.a.ini, "w");
	assert_non_null(f);
	fprintf(f, "%.*sseal_key = %s\n", (int)(p - ini), ini, cur);
	if (prev)
		fprintf(f, "seal_keys_previous = %s\n", prev);
	fputs(rest, f);
	fclose(f);
	free(ini);
	sp_nt_sighup_wait(&g.a, want, nth);
}

static void submit_rahasia(char id[65])
{
	const char *args[] = {"submit", "--node", g.a_url, "--category", "jalan", "--region",
			      "73.12.01", "--title", "Pungli rahasia", "--content",
			      "Diminta uang", "--visibility", "rahasia", NULL};
	char *out = sp_nt_cli(&g, 0, args);
	sp_nt_word_after(out, "report    ", id, 65);
	free(out);
}

/* opens: A opens report id for its pejabat penghubung (want: exit code). */
static void opens(const char *id, int want)
{
	char off[PATH_MAX];
	sp_nt_key(&g, off, sizeof(off), "73.12", "officer");
	const char *args[] = {"open", "--node", g.a_url, "--key", off, id, NULL};
	char *out = sp_nt_cli(&g, want, args);
	if (want == 0)
		assert_non_null(strstr(out, "Pungli rahasia"));
	free(out);
}

static int seal_published(void *arg)
{
	json_t *j = sp_nt_json(&g.a, "/v1/directory/institutions/73.12");
	int ok = j && strcmp(json_string_value(json_object_get(j, "seal_key")) ?: "",
			     (const char *)arg) == 0;
	json_decref(j);
	return ok;
}

/* A's seal key is rotated while it runs: the new key is configured (the
 * old one kept as previous) and reloaded, then published; a report sealed
 * before still opens, one sealed after opens with the new key alone, and
 * a reload without the old key cannot open the old report. */
static void test_seal_key_rotation(void **state)
{
	(void)state;
	char admin[PATH_MAX], old[PATH_MAX], fresh[PATH_MAX], stray[PATH_MAX], hex[65];
	char id_old[65], id_new[65];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	snprintf(old, sizeof(old), "%s/keys/73.12.seal", g.fed);
	snprintf(fresh, sizeof(fresh), "%s/73.12-new.seal", g.dir);
	snprintf(stray, sizeof(stray), "%s/stray.seal", g.dir);
	submit_rahasia(id_old);
	opens(id_old, 0);
	const char *gen[] = {"keygen", "--seal", "--out", fresh, NULL};
	char *out = sp_nt_cli(&g, 0, gen);
	sp_nt_word_after(out, "seal-key ", hex, sizeof(hex));
	free(out);
	CLI(0, "keygen", "--seal", "--out", stray);
	/* a key the directory does not hold, without the old one: refused, the
	 * keys in use stay */
	set_seal_keys(stray, NULL, "seal keys not reloaded", 1);
	opens(id_old, 0);
	/* the new key, the old one kept: accepted before it is published */
	set_seal_keys(fresh, old, "seal keys loaded count=2", 1);
	CLI(0, "institution", "update", "--node", g.c_url, "--key", admin, "--id", "73.12",
	    "--seal-key", hex);
	if (!sp_ft_wait(seal_published, hex))
		fail_msg("A did not apply the new seal key (log %s)", g.a.log);
	submit_rahasia(id_new);
	opens(id_old, 0);
	opens(id_new, 0);
	/* without the previous key the old report stays shut, the new one opens */
	set_seal_keys(fresh, NULL, "seal keys loaded count=1", 1);
	opens(id_new, 0);
	opens(id_old, 1);
	set_seal_keys(fresh, old, "seal keys loaded count=2", 2);
	opens(id_old, 0);
}

/* ---- a node's signing key rotated while it runs ------------------------------------------------ */

/* cp_of: node n's latest checkpoint of 73.12's log (its size; note into
 * *note if not NULL, caller frees), -1 if none. */
static long long cp_of(const struct sp_h_node *n, char **note)
{
	return sp_nt_cp_size(n, "73.12", note);
}

/* c_caught_up: C holds A's whole log under a checkpoint of A's size. */
static int c_caught_up(void *arg)
{
	(void)arg;
	long long a = sp_nt_own_size(&g.a);
	return a > 0 && cp_of(&g.c, NULL) == a && cp_of(&g.a, NULL) == a;
}

/* wait_replicated: C catches up with A (fails with both logs if not). */
static void wait_replicated(const char *what)
{
	if (!sp_ft_wait(c_caught_up, NULL)) {
		char *la = sp_h_slurp(g.a.log, NULL), *lc = sp_h_slurp(g.c.log, NULL);
		fail_msg("%s: C did not catch up with A (A %lld, C %lld)\nA:\n%s\nC:\n%s", what,
			 sp_nt_own_size(&g.a), cp_of(&g.c, NULL), la ? la : "", lc ? lc : "");
	}
}

static void submit_plain(const char *title)
{
	CLI(0, "submit", "--node", g.a_url, "--category", "jalan", "--region", "73.12.01",
	    "--title", title, "--content", "Jalan berlubang");
}

/* submit_when_ready files a report at A once A appends again: after a
 * restart it asks its peers for its own log's size first, and C holds
 * 73.12 off for a while (up to [peer] penalty_max_ms, 4 s here) after the
 * node with the old key sent bad data under that name (penalties are per
 * institution). */
static void submit_when_ready(void)
{
	static const char body[] =
		"{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","
		"\"region\":\"73.12.01\",\"title\":\"Tetap mengalir\",\"content\":\"Jalan "
		"berlubang\",\"channel\":\"web\"}";
	uint64_t t0 = sp_ft_ms();
	for (;;) {
		struct sp_h_resp r;
		assert_int_equal(sp_h_http(g.a.addr, "POST", "/v1/reports",
					   "Content-Type: application/json\r\n", body,
					   sizeof(body) - 1, &r),
				 0);
		int status = r.status;
		sp_h_resp_free(&r);
		if (status == 201)
			return;
		if (status != 503 || sp_ft_ms() - t0 > 2 * SP_FT_WAIT_MS)
			fail_msg("A answered %d to a report", status);
		usleep(200000);
	}
}

/* vkey_of: A's verifier key now (GET /v1/status). */
static void vkey_of(char *out, size_t cap)
{
	sp_nt_status_str(&g.a, "vkey", out, cap);
}

static int forks_listed(const struct sp_h_node *n)
{
	json_t *j = sp_nt_json(n, "/v1/forks");
	assert_non_null(j);
	int count = (int)json_array_size(json_object_get(j, "forks"));
	json_decref(j);
	return count;
}

/* start_rogue starts a node holding A's old key and a copy of A's store
 * taken before the rotation, to which that key then appended `extra`
 * entries: what a thief of the old key could offer. */
static void start_rogue(struct sp_h_node *r, const char *copy, const char *old_key, int extra)
{
	char store[BIG + 16], count[16], origin[64];
	sp_nt_node_init(r, "73.12", g.dir, "rogue");
	sp_nt_seed_store(r, copy);
	snprintf(store, sizeof(store), "%s/store", r->data);
	snprintf(count, sizeof(count), "%d", extra);
	snprintf(origin, sizeof(origin), "%s/73.12", SP_FEDGEN_NAME);
	CLI(0, "log", "append", "--data", store, "--key", old_key, "--origin", origin, "--count",
	    count, "--text", "ditulis dengan kunci lama");
	char peer[256];
	snprintf(peer, sizeof(peer), "listen = \npeers = %s\n", g.c.peer_url);
	sp_h_node_config(r, g.fed, g.root_vkey, peer);
	/* the seal key test_seal_key_rotation published */
	char *ini = sp_h_slurp(r->ini, NULL), *p = ini ? strstr(ini, "seal_key = ") : NULL;
	char *end = p ? strchr(p, '\n') : NULL;
	assert_non_null(end);
	FILE *f = fopen(r->ini, "w");
	assert_non_null(f);
	fprintf(f, "%.*sseal_key = %s/73.12-new.seal%s", (int)(p - ini), ini, g.dir, end);
	fclose(f);
	free(ini);
	sp_h_node_start(r, 0);
}

static int c_refused_old_key(void *arg)
{
	(void)arg;
	char *log = sp_h_slurp(g.c.log, NULL);
	int seen = log && strstr(log, "SP_ERR_WRONG_AUTHOR") != NULL;
	free(log);
	return seen;
}

/* A's node signing key is rotated while A and C run (docs/operations.md,
 * runbook step 9): the new key is configured with the old one as
 * key_previous and reloaded (not used: not published yet), an entry is
 * still signed with the old key, the coordinator publishes the new key,
 * and A switches at once. Entries before and after replicate to C, whose
 * checkpoint of A's log is signed by the new key; a node holding the old
 * key and a copy of A's log from before the switch offers entries signed
 * by the old key after it (while A is down): C refuses them
 * (SP_ERR_WRONG_AUTHOR), stores nothing and keeps no evidence; A restarts
 * with the new key and its entries still flow. `simpul audit` and `simpul log verify`
 * (a hot backup of C; the exported tiles with both --vkey) verify the log
 * across the switch; with the new key alone the tiles fail. The old key
 * cannot be given back to 73.12. */
static void test_sign_key_rotation(void **state)
{
	(void)state;
	char admin[PATH_MAX], old[PATH_MAX], fresh[PATH_MAX], copy[BIG], bak[BIG + 8], tiles[BIG];
	char hex[65], old_hex[65], vkey_old[256], vkey_new[256], origin[64];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	snprintf(old, sizeof(old), "%s/keys/73.12.key", g.fed);
	snprintf(fresh, sizeof(fresh), "%s/73.12-new.key", g.dir);
	snprintf(copy, sizeof(copy), "%s/a-copy", g.dir);
	snprintf(origin, sizeof(origin), "%s/73.12", SP_FEDGEN_NAME);
	vkey_of(vkey_old, sizeof(vkey_old));
	submit_plain("Sebelum rotasi");
	wait_replicated("before the rotation");
	sp_nt_keygen(&g, fresh, hex);
	/* configured, not yet published: A keeps signing with the old key */
	sp_nt_set_key(&g.a, fresh, old, "is not published yet", 1);
	submit_plain("Kunci baru belum terbit");
	vkey_of(vkey_new, sizeof(vkey_new));
	assert_string_equal(vkey_new, vkey_old);
	wait_replicated("before publication");
	long long switched_at = sp_nt_own_size(&g.a);
	/* what a thief of the old key holds: A's log as the old key left it */
	CLI(0, "backup", "--data", g.a.data, "--out", copy);
	CLI(0, "institution", "update", "--node", g.c_url, "--key", admin, "--id", "73.12",
	    "--sign-key", hex);
	if (sp_h_wait_text(g.a.log, "signing key rotated: signing with the new key", SP_FT_WAIT_MS)) {
		char *la = sp_h_slurp(g.a.log, NULL);
		fail_msg("A did not switch to its new key; its log:\n%s", la ? la : "");
	}
	submit_plain("Sesudah rotasi");
	submit_plain("Sesudah rotasi lagi");
	wait_replicated("after the rotation");
	vkey_of(vkey_new, sizeof(vkey_new));
	assert_string_not_equal(vkey_new, vkey_old);
	char *note = NULL;
	long long held = cp_of(&g.c, &note);
	assert_true(held >= switched_at + 2);
	assert_true(sp_nt_opens_with(note, vkey_new));
	assert_false(sp_nt_opens_with(note, vkey_old));
	free(note);

	/* the old key after the switch: refused by C, nothing stored. (A is
	 * stopped meanwhile: for an hour after the switch it still presents
	 * the old key to its peers, so C would keep one session of the two.) */
	sp_h_node_stop(&g.a);
	start_rogue(&rogue, copy, old, (int)(held - switched_at) + 2);
	if (!sp_ft_wait(c_refused_old_key, NULL)) {
		char *lc = sp_h_slurp(g.c.log, NULL), *lr = sp_h_slurp(rogue.log, NULL);
		fail_msg("C did not refuse the old key's entries\nC:\n%s\nrogue:\n%s", lc ? lc : "",
			 lr ? lr : "");
	}
	sp_h_node_kill(&rogue);
	assert_int_equal(cp_of(&g.c, NULL), held);
	assert_int_equal(forks_listed(&g.c), 0);
	/* A restarts signing with the new key ([node] key is in its history) */
	sp_h_node_start(&g.a, 0);
	snprintf(g.a_url, sizeof(g.a_url), "http://%s", g.a.addr);
	vkey_of(vkey_new, sizeof(vkey_new));
	assert_string_not_equal(vkey_new, vkey_old);
	submit_when_ready();
	wait_replicated("after the old key was refused");

	/* every log verifies across the switch */
	CLI(0, "audit", "--root", g.root_vkey, "--node", g.c_url, "--node", g.a_url, "--quiet");
	snprintf(bak, sizeof(bak), "%s/c-copy", g.dir);
	snprintf(tiles, sizeof(tiles), "%s/a-tiles", g.dir);
	CLI(0, "backup", "--data", g.c.data, "--out", bak);
	strcat(bak, "/store");
	CLI(0, "log", "verify", "--data", bak, "--origin", origin);
	CLI(0, "log", "export", "--data", bak, "--origin", origin, tiles);
	CLI(0, "log", "verify", "--tiles", tiles, "--vkey", vkey_old, "--vkey", vkey_new);
	CLI(1, "log", "verify", "--tiles", tiles, "--vkey", vkey_new);
	/* a rotated-away key never comes back */
	uint8_t opk[32];
	assert_int_equal(sp_keyfile_load(old, opk, NULL, NULL, 0), 0);
	sodium_bin2hex(old_hex, sizeof(old_hex), opk, 32);
	CLI(1, "institution", "update", "--node", g.c_url, "--key", admin, "--id", "73.12",
	    "--sign-key", old_hex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_officer_enrolled_and_acts),
		cmocka_unit_test(test_refusals_write_nothing),
		cmocka_unit_test(test_route_set_test_delete),
		cmocka_unit_test(test_new_node_joins),
		cmocka_unit_test(test_reparent_moves_subtree_lists),
		cmocka_unit_test(test_retire_institution),
		cmocka_unit_test(test_calendar_2027),
		cmocka_unit_test(test_seal_key_rotation),
		cmocka_unit_test(test_sign_key_rotation),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

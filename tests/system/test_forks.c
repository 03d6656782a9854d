/*
 * test_forks.c - fork evidence and cosignatures between real simpuld
 * processes on 127.0.0.1 (node/sp_peer_fork.c, docs/replication.md 2.7 and
 * 2.10, docs/api.md "Forks").
 *
 * A subset-73 federation: A = Kabupaten Soppeng (73.12), B = its province
 * (73), C = the national coordinator (KEMENPANRB). Checked:
 *   - COSIGN: B and C replicate A's log, cosign its checkpoint as
 *     witnesses and send A their lines; A's own served checkpoint
 *     (tlog-tiles) then carries both, each verifying with that node's
 *     witness key (GET /v1/witness);
 *   - EVIDENCE: A's key signs a second branch (another store of 73.12
 *     with other entries, run as A'); B, which dials A', finds the
 *     contradiction, freezes the log and lists it in GET /v1/forks; C,
 *     which talks to B only, receives the evidence, checks it on its own,
 *     stores it (from = "73") and freezes the log at the fork: GET
 *     /v1/status lists it as frozen at 50;
 *   - RESOLUTION: an admin officer of the coordinator resolves the fork in
 *     favour of A''s branch (`simpul fork resolve` to C; an officer not
 *     enrolled is refused). C writes it to the directory log and applies
 *     it; B receives it by replication and applies it. Both held A's
 *     branch: they set it aside (GET /v1/forks), unfreeze, fetch A''s
 *     branch (B from A', C from B) and serve its root; the evidence
 *     stays, marked resolved.
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

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_node_harness.h"
#include "sp_nodetest.h"
#include "sp_note.h"
#include "sp_clock.h"

#define WAIT_MS 60000
#define FED "simpul.local"
#define ORIGIN FED "/73.12"
#define BIG (2 * PATH_MAX)
#define SIZE 50

static struct {
	char dir[PATH_MAX - 64];
	char fed[PATH_MAX - 32];
	char root_vkey[300];
	char admin_key[PATH_MAX], stranger_key[PATH_MAX];
	struct sp_h_node a, a2, b, c;
} g;

/* ---- federation and nodes ------------------------------------------------------------------ */

/* write_config: listen for peers (or not) and dial the space-separated
 * URLs in peers; the directory vouches for everyone. */
static void write_config(const struct sp_h_node *n, int listen, const char *peers)
{
	char peer[1024];
	snprintf(peer, sizeof(peer), "listen = %s\npeers = %s\n", listen ? "tcp://127.0.0.1:0" : "",
		 peers);
	sp_h_node_config(n, g.fed, g.root_vkey, peer);
}

/* witness_key: node n's witness verifier key (GET /v1/witness). */
static void witness_key(const struct sp_h_node *n, struct sp_note_key *k)
{
	json_t *o = sp_nt_json(n, "/v1/witness");
	assert_non_null(o);
	assert_int_equal(sp_note_vkey_parse(json_string_value(json_object_get(o, "vkey")), k), 0);
	json_decref(o);
}

/* ---- fixture ------------------------------------------------------------------------------- */

static int setup(void **state)
{
	snprintf(g.dir, sizeof(g.dir), "%s", sp_test_tmpdir("forks"));
	snprintf(g.fed, sizeof(g.fed), "%s/fed", g.dir);
	sp_h_fedgen(g.dir, g.fed, 0, g.root_vkey, sizeof(g.root_vkey));
	sp_nt_node_init(&g.a, "73.12", g.dir, "a");
	sp_nt_node_init(&g.a2, "73.12", g.dir, "a2");
	sp_nt_node_init(&g.b, "73", g.dir, "b");
	sp_nt_node_init(&g.c, "KEMENPANRB", g.dir, "c");
	/* the coordinator's admin officer, and a key enrolled nowhere */
	uint8_t seed[32], pk[32];
	snprintf(g.admin_key, sizeof(g.admin_key), "%s/admin.key", g.dir);
	snprintf(g.stranger_key, sizeof(g.stranger_key), "%s/stranger.key", g.dir);
	memset(seed, 0x41, sizeof(seed));
	assert_int_equal(sp_keyfile_create(g.admin_key, seed, NULL, 0), 0);
	assert_int_equal(sp_keyfile_load(g.admin_key, pk, NULL, NULL, 0), 0);
	sp_h_dir_enrol(g.fed, "KEMENPANRB", pk, "Admin Nasional", SP_DIR_ROLE_ADMIN);
	memset(seed, 0x42, sizeof(seed));
	assert_int_equal(sp_keyfile_create(g.stranger_key, seed, NULL, 0), 0);
	return 0;
}

static int teardown(void **state)
{
	struct sp_h_node *all[] = {&g.a, &g.a2, &g.b, &g.c};
	for (int i = 0; i < 4; i++)
		sp_h_node_kill(all[i]);
	return 0;
}

/* ---- tests --------------------------------------------------------------------------------- */

/* cosigned_by: A's served checkpoint of its own log, of SIZE entries,
 * carries valid cosignatures by both keys. */
static int cosigned_by(const struct sp_note_key *kb, const struct sp_note_key *kc)
{
	size_t len = 0;
	char *cp = sp_h_get(g.a.addr, "/logs/73.12/checkpoint", &len);
	const char *nl = cp ? strchr(cp, '\n') : NULL;
	int ok = nl && strtoull(nl + 1, NULL, 10) == SIZE && sp_cosig_verify(cp, len, kb, NULL) == 0 &&
		 sp_cosig_verify(cp, len, kc, NULL) == 0;
	free(cp);
	return ok;
}

/* The province and the national node cosign the kabupaten's checkpoint
 * and send it their lines (COSIGN): the kabupaten serves them. */
static void test_cosignatures_collected(void **state)
{
	sp_h_node_fill(&g.a, g.fed, SIZE, "laporan cabang pertama");
	sp_nt_seed_store(&g.c, g.fed);
	write_config(&g.a, 1, "");
	sp_h_node_start(&g.a, 1);
	write_config(&g.b, 1, g.a.peer_url);
	sp_h_node_start(&g.b, 1);
	char peers[256];
	snprintf(peers, sizeof(peers), "%s %s", g.a.peer_url, g.b.peer_url);
	write_config(&g.c, 0, peers);
	sp_h_node_start(&g.c, 0);
	struct sp_note_key kb, kc;
	witness_key(&g.b, &kb);
	witness_key(&g.c, &kc);
	uint64_t t0 = sp_mono_ms();
	while (!cosigned_by(&kb, &kc) && sp_mono_ms() - t0 < WAIT_MS)
		usleep(100000);
	if (!cosigned_by(&kb, &kc)) {
		size_t len = 0;
		char *cp = sp_h_get(g.a.addr, "/logs/73.12/checkpoint", &len);
		fail_msg("A's checkpoint lacks B's or C's cosignature:\n%s\n(logs: %s, %s, %s)",
			 cp ? cp : "(none)", g.a.log, g.b.log, g.c.log);
	}
	assert_int_equal(sp_h_wait_text(g.a.log, "cosignature stored", 1000), 0);
}

/* frozen_at: node n's /v1/status lists A's log as frozen at `at`; with
 * from != NULL its /v1/forks holds a checkpoint fork of A's log from that
 * peer whose two checkpoints have SIZE entries and different roots. */
static int frozen_at(const struct sp_h_node *n, uint64_t at, const char *from)
{
	json_t *st = sp_nt_json(n, "/v1/status"), *v;
	size_t i;
	int ok = 0;
	json_array_foreach(json_object_get(st, "frozen_logs"), i, v) {
		const char *o = json_string_value(json_object_get(v, "origin"));
		ok |= o && strcmp(o, ORIGIN) == 0 && json_is_true(json_object_get(v, "frozen")) &&
		      json_integer_value(json_object_get(v, "at")) == (json_int_t)at;
	}
	json_decref(st);
	if (!ok || from == NULL)
		return ok;
	json_t *fk = sp_nt_json(n, "/v1/forks");
	ok = 0;
	json_array_foreach(json_object_get(fk, "forks"), i, v) {
		const char *o = json_string_value(json_object_get(v, "origin"));
		const char *f = json_string_value(json_object_get(v, "from"));
		const char *kind = json_string_value(json_object_get(v, "kind"));
		json_t *sizes = json_object_get(v, "sizes");
		if (!o || strcmp(o, ORIGIN) || !f || strcmp(f, from) || !kind ||
		    strcmp(kind, "checkpoint") ||
		    json_integer_value(json_array_get(sizes, 0)) != SIZE ||
		    json_integer_value(json_array_get(sizes, 1)) != SIZE ||
		    json_integer_value(json_object_get(v, "detected_ms")) <= 0)
			continue;
		/* both items: signed notes with different roots */
		struct sp_checkpoint cp[2];
		int good = 1;
		for (int k = 0; k < 2; k++) {
			const char *b64 = json_string_value(json_object_get(v, k ? "b" : "a"));
			char note[8192];
			size_t len = 0;
			struct sp_note nt;
			good &= b64 && sodium_base642bin((unsigned char *)note, sizeof(note), b64,
							 strlen(b64), NULL, &len, NULL,
							 sodium_base64_VARIANT_ORIGINAL) == 0 &&
				sp_note_parse(note, len, &nt) == 0 &&
				sp_checkpoint_parse(nt.text, nt.text_len, &cp[k]) == 0;
		}
		ok |= good && memcmp(cp[0].root, cp[1].root, 32) != 0;
	}
	json_decref(fk);
	return ok;
}

/* A's key signs another branch of the same size (A'); B finds it, keeps
 * the evidence and freezes the log; C gets the evidence from B only,
 * checks it, keeps it and freezes the log too. */
static void test_fork_evidence_replicated(void **state)
{
	sp_h_node_stop(&g.a);
	sp_h_node_stop(&g.b);
	sp_h_node_stop(&g.c);
	sp_h_node_fill(&g.a2, g.fed, SIZE, "laporan cabang kedua");
	write_config(&g.a2, 1, "");
	sp_h_node_start(&g.a2, 1);
	write_config(&g.b, 1, g.a2.peer_url);
	sp_h_node_start(&g.b, 1);
	write_config(&g.c, 0, g.b.peer_url);
	sp_h_node_start(&g.c, 0);
	uint64_t t0 = sp_mono_ms();
	while (!(frozen_at(&g.b, SIZE, NULL) && frozen_at(&g.c, SIZE, "73")) &&
	       sp_mono_ms() - t0 < WAIT_MS)
		usleep(100000);
	if (!frozen_at(&g.b, SIZE, NULL) || !frozen_at(&g.c, SIZE, "73"))
		fail_msg("the fork did not reach B and C (logs: %s, %s)", g.b.log, g.c.log);
	assert_int_equal(sp_h_wait_text(g.c.log, "fork evidence received and verified", 1000), 0);
	/* C sends it back to B, which holds it already: no second record */
	json_t *fk = sp_nt_json(&g.b, "/v1/forks");
	assert_int_equal(json_array_size(json_object_get(fk, "forks")), 1);
	json_decref(fk);
}

/* root_of: the root line (base64) of node n's served checkpoint of A's
 * log, into out (cap bytes); 0 if it has one of `size` entries. */
static int root_of(const struct sp_h_node *n, uint64_t size, char *out, size_t cap)
{
	size_t len = 0;
	char *cp = sp_h_get(n->addr, "/logs/73.12/checkpoint", &len);
	char *l2 = cp ? strchr(cp, '\n') : NULL;
	char *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
	char *end = l3 ? strchr(l3 + 1, '\n') : NULL;
	int rc = end && strtoull(l2 + 1, NULL, 10) == size && (size_t)(end - l3 - 1) < cap ? 0 : -1;
	if (rc == 0)
		snprintf(out, cap, "%.*s", (int)(end - l3 - 1), l3 + 1);
	free(cp);
	return rc;
}

/* resolved_at: node n applied the resolution (SIZE, root): A's log is not
 * frozen, at least `aside` entries were set aside, the log holds SIZE
 * entries of the kept branch, and every evidence record is marked
 * resolved. */
static int resolved_at(const struct sp_h_node *n, const char *root, json_int_t aside)
{
	char have[64];
	if (frozen_at(n, SIZE, NULL) || root_of(n, SIZE, have, sizeof(have)) != 0 ||
	    strcmp(have, root) != 0)
		return 0;
	json_t *fk = sp_nt_json(n, "/v1/forks"), *v;
	size_t i;
	int ok = 0;
	json_array_foreach(json_object_get(fk, "resolutions"), i, v) {
		const char *o = json_string_value(json_object_get(v, "origin"));
		const char *r = json_string_value(json_object_get(v, "root"));
		ok |= o && strcmp(o, ORIGIN) == 0 && r && strcmp(r, root) == 0 &&
		      json_integer_value(json_object_get(v, "size")) == SIZE &&
		      json_integer_value(json_object_get(v, "set_aside")) >= aside &&
		      json_is_true(json_object_get(v, "confirmed"));
	}
	json_t *forks = json_object_get(fk, "forks");
	ok &= json_array_size(forks) >= 1;
	json_array_foreach(forks, i, v)
		ok &= json_is_true(json_object_get(v, "resolved"));
	json_decref(fk);
	return ok;
}

/* resolve runs `simpul fork resolve` at C with the officer key; its exit
 * status. */
static int resolve(const char *key, const char *root)
{
	char bin[BIG], url[96], out[BIG], size[16];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(url, sizeof(url), "http://%s", g.c.addr);
	snprintf(out, sizeof(out), "%s/resolve.out", g.dir);
	snprintf(size, sizeof(size), "%d", SIZE);
	const char *argv[] = {bin,     "fork",  "resolve", "--node", url, "--key", key, "--inst",
			      "73.12", "--size", size,     "--root", root, NULL};
	return sp_h_run(argv, out, 30000);
}

/* The coordinator resolves the fork for A''s branch: B and C, which held
 * A's, set it aside, unfreeze and take A''s; the evidence stays. */
static void test_fork_resolved(void **state)
{
	char root[64];
	assert_int_equal(root_of(&g.a2, SIZE, root, sizeof(root)), 0);
	assert_true(frozen_at(&g.b, SIZE, NULL) && frozen_at(&g.c, SIZE, NULL));
	assert_int_not_equal(resolve(g.stranger_key, root), 0); /* 403 SP_ERR_UNKNOWN_OFFICER */
	assert_true(frozen_at(&g.c, SIZE, NULL));
	assert_int_equal(resolve(g.admin_key, root), 0);
	uint64_t t0 = sp_mono_ms();
	while (!(resolved_at(&g.b, root, SIZE) && resolved_at(&g.c, root, SIZE)) &&
	       sp_mono_ms() - t0 < WAIT_MS)
		usleep(100000);
	if (!resolved_at(&g.b, root, SIZE) || !resolved_at(&g.c, root, SIZE))
		fail_msg("the resolution did not take at B and C (logs: %s, %s)", g.b.log,
			 g.c.log);
	assert_int_equal(sp_h_wait_text(g.b.log, "fork resolved by the coordinator", 1000), 0);
}

/* known_at: node n's directory has institution id. */
static int known_at(const struct sp_h_node *n, const char *id)
{
	char path[96];
	snprintf(path, sizeof(path), "/v1/directory/institutions/%s", id);
	json_t *j = sp_nt_json(n, path);
	int ok = j && strcmp(json_string_value(json_object_get(j, "parent")) ?: "", "73.12") == 0;
	json_decref(j);
	return ok;
}

/* A directory record that reaches a running node by replication takes
 * effect there at once, not at its next start. */
static void test_directory_live(void **state)
{
	const char *unit = "DINKES-SOPPENG";
	assert_false(known_at(&g.b, unit));
	sp_h_node_stop(&g.c);
	struct sp_dir_inst r = {.tier = SP_DIR_TIER_UNIT};
	snprintf(r.id, sizeof(r.id), "%s", unit);
	snprintf(r.name, sizeof(r.name), "Dinas Kesehatan Kabupaten Soppeng");
	snprintf(r.parent, sizeof(r.parent), "73.12");
	memset(r.sign_key, 0x61, sizeof(r.sign_key));
	memset(r.seal_key, 0x62, sizeof(r.seal_key));
	struct sp_buf body;
	sp_buf_init(&body);
	assert_int_equal(sp_dir_inst_encode(&r, &body), 0);
	sp_h_dir_append(g.fed, g.c.data, SP_EV_INSTITUTION, &body);
	sp_buf_free(&body);
	sp_h_node_start(&g.c, 0);
	uint64_t t0 = sp_mono_ms();
	while (!known_at(&g.b, unit) && sp_mono_ms() - t0 < WAIT_MS)
		usleep(100000);
	if (!known_at(&g.b, unit))
		fail_msg("B did not apply the new directory record (log: %s)", g.b.log);
	assert_int_equal(sp_h_wait_text(g.b.log, "directory entry", 1000), 0);
}

/* refused_resolved: a submission at A is refused because its own log is
 * on the branch resolved away (409 SP_ERR_FORK_RESOLVED). */
static int refused_resolved(void)
{
	static const char body[] =
		"{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","
		"\"region\":\"73.12\",\"title\":\"Jalan rusak\",\"content\":\"Berlubang\","
		"\"channel\":\"web\"}";
	struct sp_h_resp r;
	if (sp_h_http(g.a.addr, "POST", "/v1/reports", "Content-Type: application/json\r\n", body,
		      sizeof(body) - 1, &r) != 0)
		return 0;
	int ok = r.status == 409 && r.body && strstr(r.body, "SP_ERR_FORK_RESOLVED") != NULL;
	sp_h_resp_free(&r);
	return ok;
}

/* A, whose own log is the branch the coordinator resolved away, learns
 * the resolution from B by replication and takes no more complaints. */
static void test_own_log_resolved_away(void **state)
{
	sp_h_node_stop(&g.a2); /* same key, same institution: B keeps one session of the two */
	write_config(&g.a, 1, g.b.peer_url);
	sp_h_node_start(&g.a, 1);
	uint64_t t0 = sp_mono_ms();
	while (!refused_resolved() && sp_mono_ms() - t0 < WAIT_MS)
		usleep(100000);
	if (!refused_resolved())
		fail_msg("A still takes complaints on its resolved-away log (log: %s)", g.a.log);
	assert_int_equal(sp_h_wait_text(g.a.log, "appends stop", 1000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cosignatures_collected),
		cmocka_unit_test(test_fork_evidence_replicated),
		cmocka_unit_test(test_fork_resolved),
		cmocka_unit_test(test_directory_live),
		cmocka_unit_test(test_own_log_resolved_away),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

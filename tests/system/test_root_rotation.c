/*
 * test_root_rotation.c - the national coordinator rotates its own signing
 * key (the federation's root key) while the federation runs, between real
 * simpuld processes on 127.0.0.1 (docs/operations.md runbook "Rotate the
 * coordinator's key", docs/protocol.md §9 "Following the root key").
 *
 * A subset-73 federation from `simpul federation init`: C = the national
 * coordinator (KEMENPANRB, its own log is the directory), A = Kabupaten
 * Soppeng (73.12) dialing C. Every node keeps the genesis root key as
 * [federation] root_key. Checked:
 *   - before: a directory request signed with C's node key is written;
 *   - a new key C's node does not hold is refused (SP_ERR_CONFIG, nothing
 *     written); configured as [node] key with the old one as key_previous
 *     and reloaded, C keeps signing with the old key, also after a restart
 *     (before which `simpul index verify` passes on its store); the coordinator's
 *     admin publishes it and C switches at once: its status vkey changes,
 *     and a record written after it (an officer enrolment, signed by the new
 *     key) reaches A, whose checkpoint of C's log opens with the new key
 *     and not with the old one;
 *   - the old key is refused: a request it signs writes nothing;
 *   - a node joining afterwards (`simpul init --join` from A with the
 *     genesis root key) verifies the chain across the rotation, starts from
 *     that directory file, and replicates the records written since;
 *   - `simpul audit` with the genesis root key passes over the rotation
 *     (sources C, A and the new node), and so does A's Transparansi page
 *     in a real browser (tests/web/rotation.test.mjs);
 *   - C and A restart (C with the new key, A from its store) and records
 *     still flow.
 * Every node's ports are chosen by the kernel (port 0).
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_fedtest.h"
#include "sp_nodetest.h"

#define BIG (2 * PATH_MAX)

static struct sp_nt_fix g; /* C, A, and N (74) once it joins */

#define CLI(want, ...) SP_NT_CLI(&g, want, __VA_ARGS__)

static int setup(void **state)
{
	(void)state;
	sp_nt_fix_setup(&g, "root_rotation", "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_nt_fix_kill(&g);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------------------- */

/* enrol: an officer of 73.12 (a fresh key, kept in the scratch folder as
 * name.key) enrolled at C by a request signed with key_file. */
static void enrol(const char *key_file, const char *name, int want, char hex[65])
{
	char off[PATH_MAX];
	snprintf(off, sizeof(off), "%s/%s.key", g.dir, name);
	sp_nt_keygen(&g, off, hex);
	CLI(want, "officer", "enrol", "--node", g.c_url, "--key", key_file, "--inst", "73.12",
	    "--officer-key", off, "--name", name);
}

static void wait_listed(const struct sp_h_node *n, const char *key)
{
	struct sp_nt_listed l = {n, "73.12", ""};
	snprintf(l.key, sizeof(l.key), "%s", key);
	if (!sp_ft_wait(sp_nt_officer_listed, &l)) {
		char *log = sp_h_slurp(n->log, NULL);
		fail_msg("%s does not list officer %s; its log:\n%s", n->id, key, log ? log : "");
	}
}

/* dir_cp: node n's checkpoint of C's log (note into *note if not NULL,
 * caller frees): its size, or -1. */
static long long dir_cp(const struct sp_h_node *n, char **note)
{
	return sp_nt_cp_size(n, "KEMENPANRB", note);
}

static int caught_up(void *arg)
{
	return dir_cp(arg, NULL) == sp_nt_own_size(&g.c);
}

static void wait_caught_up(const struct sp_h_node *n)
{
	if (!sp_ft_wait(caught_up, (void *)n)) {
		char *log = sp_h_slurp(n->log, NULL);
		fail_msg("%s did not catch up with C's log (%lld of %lld); its log:\n%s", n->id,
			 dir_cp(n, NULL), sp_nt_own_size(&g.c), log ? log : "");
	}
}

/* restart stops C (if it runs) and starts it again, its peer listener on
 * a new port, then restarts A pointed at it. */
static void restart(void)
{
	sp_h_node_stop(&g.c);
	sp_h_node_start(&g.c, 1);
	snprintf(g.c_url, sizeof(g.c_url), "http://%s", g.c.addr);
	sp_h_node_stop(&g.a);
	sp_nt_set_peers(&g.a, g.c.peer_url, "");
	sp_h_node_start(&g.a, 0);
	snprintf(g.a_url, sizeof(g.a_url), "http://%s", g.a.addr);
}

/* transparansi runs tests/web/rotation.test.mjs (node + playwright-core
 * driving Debian's chromium, as the other browser tests) on A's page. */
static void transparansi(void)
{
	char conf[BIG], log[BIG];
	snprintf(conf, sizeof(conf), "%s/web.json", g.dir);
	snprintf(log, sizeof(log), "%s/web.out", g.dir);
	json_t *c = json_pack("{s:{s:s},s:s}", "nodes", "A", g.a_url, "out", g.dir);
	assert_non_null(c);
	assert_int_equal(json_dump_file(c, conf, 0), 0);
	json_decref(c);
	const char *argv[] = {"/usr/bin/env", "node", SP_SOURCE_DIR "/tests/web/rotation.test.mjs",
			      conf, NULL};
	int rc = sp_h_run(argv, log, 120000);
	char *o = sp_h_slurp(log, NULL);
	printf("%s", o ? o : "(no output)\n");
	free(o);
	if (rc != 0)
		fail_msg("the Transparansi page failed (exit %d); output above", rc);
}

/* ---- the rotation ------------------------------------------------------------------------------ */

static void test_root_rotation(void **state)
{
	(void)state;
	char admin[PATH_MAX], old[PATH_MAX], fresh[PATH_MAX], hex[65], off[65], vkey[300];
	sp_nt_key(&g, admin, sizeof(admin), "KEMENPANRB", "admin");
	sp_nt_key(&g, old, sizeof(old), "KEMENPANRB", "");
	snprintf(fresh, sizeof(fresh), "%s/coordinator-2027.key", g.dir);

	/* before: the node key may sign a directory request */
	enrol(old, "sebelum", 0, off);
	wait_listed(&g.a, off);

	sp_nt_keygen(&g, fresh, hex);
	/* published before C's node holds it: refused, nothing written */
	long long before = sp_nt_own_size(&g.c);
	CLI(1, "institution", "update", "--node", g.c_url, "--key", admin, "--id", "KEMENPANRB",
	    "--sign-key", hex);
	assert_int_equal(sp_nt_own_size(&g.c), before);
	/* configured and reloaded: still signing with the old key */
	sp_nt_set_key(&g.c, fresh, old, "is not published yet", 1);
	sp_nt_status_str(&g.c, "vkey", vkey, sizeof(vkey));
	assert_string_equal(vkey, g.root_vkey);
	/* stopped while the rotation waits for its record: the report index
	 * verifies (its scratch copy opened with the key in use), and C comes
	 * back signing with key_previous */
	sp_h_node_stop(&g.c);
	CLI(0, "index", "verify", "--config", g.c.ini);
	restart();
	sp_nt_status_str(&g.c, "vkey", vkey, sizeof(vkey));
	assert_string_equal(vkey, g.root_vkey);
	CLI(0, "institution", "update", "--node", g.c_url, "--key", admin, "--id", "KEMENPANRB",
	    "--sign-key", hex);
	if (sp_h_wait_text(g.c.log, "signing key rotated: signing with the new key", SP_FT_WAIT_MS)) {
		char *lc = sp_h_slurp(g.c.log, NULL);
		fail_msg("C did not switch to its new key; its log:\n%s", lc ? lc : "");
	}
	long long rotated_at = sp_nt_own_size(&g.c); /* the record is entry rotated_at - 1 */
	sp_nt_status_str(&g.c, "vkey", vkey, sizeof(vkey));
	assert_string_not_equal(vkey, g.root_vkey);

	/* a record signed by the new key reaches A */
	enrol(admin, "sesudah", 0, off);
	wait_listed(&g.a, off);
	wait_caught_up(&g.a);
	char *note = NULL;
	assert_true(dir_cp(&g.a, &note) >= rotated_at + 1);
	assert_true(sp_nt_opens_with(note, vkey));
	assert_false(sp_nt_opens_with(note, g.root_vkey));
	free(note);

	/* the old key no longer speaks for the coordinator */
	before = sp_nt_own_size(&g.c);
	enrol(old, "kunci-lama", 1, off);
	assert_int_equal(sp_nt_own_size(&g.c), before);

	/* a node joining now verifies the chain from the genesis root key */
	char sign[65], seal[65], now[65], n_url[96];
	char *out = sp_nt_fix_join_init(&g, sign, seal);
	sp_nt_word_after(out, "coordinator key now ", now, sizeof(now));
	assert_string_equal(now, hex);
	assert_non_null(strstr(out, "1 rotation since the root key"));
	free(out);
	sp_nt_fix_add_province(&g, 0, admin, "74", "Pemerintah Provinsi Sulawesi Tenggara", sign,
			       seal);
	sp_nt_fix_start_n(&g);
	snprintf(n_url, sizeof(n_url), "http://%s", g.n.addr);
	enrol(admin, "untuk-74", 0, off);
	wait_listed(&g.n, off);
	wait_caught_up(&g.n);

	/* the audit follows the root key across the rotation */
	CLI(0, "audit", "--root", g.root_vkey, "--node", g.c_url, "--node", g.a_url, "--node",
	    n_url, "--quiet");
	/* and so does the Transparansi page, from A's genesis root key */
	transparansi();

	/* both restart: C with the new key, A from its store */
	restart();
	char again[300];
	sp_nt_status_str(&g.c, "vkey", again, sizeof(again));
	assert_string_equal(again, vkey);
	enrol(admin, "sesudah-mulai-ulang", 0, off);
	wait_listed(&g.a, off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_rotation),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

/*
 * test_audit.c - `simpul audit` over a real local federation (`simpul
 * federation up`: KEMENPANRB, 73, 73.12, 73.11), with a known workload
 * done through the API and `simpul act` by officers of three institutions
 * and by reporters: the test counts what it did (per institution: what
 * it received, verified, forwarded, returned, took over, answered, what
 * was rated and how), and the audit, which sees only the signed logs,
 * must give exactly those figures. Then what the audit must flag:
 *   - a copy of the logs with one tampered hash tile (alone: the log is
 *     not verified and the rest still counted; next to a good source: the
 *     good one is used and the bad one named);
 *   - a log rewritten with the institution's own key (more entries than
 *     before, another history): inconsistent with the previous audit;
 *   - a node that is down: reported unreachable, every log still audited
 *     from the other nodes, the figures unchanged.
 * And a unit-tier institution (73.12.DINKES) running its own node, joined
 * and added by its kabupaten's admin: a report 73.12 forwards to it is
 * answered there, and the coordinator's dashboard and audit count it.
 * And a fork of 73.11's log served by a second node of 73.11, found by the
 * audit, then resolved by the coordinator (`simpul fork resolve`): the
 * audit applies the resolution as the nodes do. And 73.12's node signing
 * key rotated while the federation runs: the audit verifies its log across
 * the switch and counts what was handled under the new key.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <signal.h>

#include "sp_fedtest.h"
#include "sp_node_harness.h"
#include "sp_nodetest.h"

#define BIG (2 * PATH_MAX)
#define DAY_MS 86400000ULL

static const char *const NODES[] = {"KEMENPANRB", "73", "73.12", "73.11"};
#define N_NODES 4

/* What the test expects of one institution (docs/audit.md names). */
struct want {
	const char *inst;
	long received, routed, verified, forwarded, bounced, bounced_to, taken_over, taken_from,
		answered, finished, reopened, rated, rating_sum, responsible, followed_up,
		not_yet_due;
};

static struct {
	struct sp_h_fed f;
	char key12[BIG], key11[BIG], key73[BIG]; /* officers */
	char url[N_NODES][96];
	struct want w[3]; /* 73.12, 73.11, 73 */
	struct sp_h_node unit; /* 73.12.DINKES's own node (test_unit_node) */
	struct sp_h_node alt;  /* a second node of 73.11, on another branch (test_fork_resolved) */
	char admin[BIG], pass[BIG]; /* the coordinator's admin key, passphrase-protected, and
				     * the file holding the passphrase (protected_admin) */
} g;

static struct want *W(const char *inst)
{
	for (size_t i = 0; i < 3; i++)
		if (strcmp(g.w[i].inst, inst) == 0)
			return &g.w[i];
	fail_msg("no expectations for %s", inst);
	return NULL;
}

/* ---- the workload ---------------------------------------------------------------- */

/* submit_at files a complaint at node `door` about region, routed to
 * `to`; returns the id and the reporter's tracking secret. */
static void submit_at(const char *door, const char *region, const char *to, char id[65],
		      char secret[65])
{
	char a[64], body[512];
	struct sp_h_resp r;
	sp_h_fedup_addr(g.f.fed, door, a, sizeof(a));
	int n = snprintf(body, sizeof(body),
			 "{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","
			 "\"region\":\"%s\",\"title\":\"Jalan rusak\",\"content\":\"Berlubang\","
			 "\"channel\":\"web\"}", region);
	assert_int_equal(sp_h_post_ready(a, "/v1/reports", "Content-Type: application/json\r\n",
					 body, (size_t)n, &r), 0);
	if (r.status != 201)
		fail_msg("submit: %d %s", r.status, r.body);
	json_t *j = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "routed_to")), to);
	snprintf(id, 65, "%s", json_string_value(json_object_get(j, "report_id")));
	snprintf(secret, 65, "%s", json_string_value(json_object_get(j, "tracking_secret")));
	assert_int_equal(strlen(secret), 64);
	json_decref(j);
	sp_h_resp_free(&r);
	W(to)->received++;
	W(to)->routed++;
}

/* submit: submit_at 73.11, the workload's door. */
static void submit(const char *region, const char *to, char id[65], char secret[65])
{
	submit_at("73.11", region, to, id, secret);
}

struct shows {
	const char *node, *id, *status;
};

static int shows_ok(void *arg)
{
	struct shows *s = arg;
	char st[64];
	sp_ft_status(&g.f, s->node, s->id, st, sizeof(st));
	return strcmp(st, s->status) == 0;
}

/* wait_status waits until node shows report id in `status`. */
static void wait_status(const char *node, const char *id, const char *status)
{
	struct shows s = {node, id, status};
	if (!sp_ft_wait(shows_ok, &s))
		sp_ft_fail(&g.f, "%s does not show %s as %s", node, id, status);
}

/* act_at runs `simpul act` at the node at url with an officer key or a
 * secret, and an extra option and its value (or NULL). */
static void act_at(const char *url, const char *key, const char *secret, const char *id,
		   const char *what, const char *o1, const char *o2)
{
	char bin[BIG], out[BIG];
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(out, sizeof(out), "%s/act.out", g.f.dir);
	const char *argv[] = {bin, "act", "--node", url, key ? "--key" : "--secret",
			      key ? key : secret, id, what, o1, o2, NULL};
	if (sp_h_run(argv, out, 30000) != 0) {
		char *o = sp_h_slurp(out, NULL);
		fail_msg("simpul act %s at %s failed:\n%s", what, url, o ? o : "");
	}
}

/* act: act_at the node of institution `node` of the federation. */
static void act(const char *node, const char *key, const char *secret, const char *id,
		const char *what, const char *o1, const char *o2)
{
	char a[64], url[96];
	sp_h_fedup_addr(g.f.fed, node, a, sizeof(a));
	snprintf(url, sizeof(url), "http://%s", a);
	act_at(url, key, secret, id, what, o1, o2);
}

/* The workload; each step says what it adds to the true figures. */
static void workload(void)
{
	char r1[65], s1[65], r2[65], s2[65], r3[65], s3[65], r4[65], s4[65], r5[65], s5[65];
	submit("73.12.03", "73.12", r1, s1);
	submit("73.12.03", "73.12", r2, s2);
	submit("73.12.03", "73.12", r3, s3); /* r3: nobody acts on it */
	submit("73.12.03", "73.12", r4, s4);
	submit("73.11.01", "73.11", r5, s5);
	for (const char *const *id = (const char *const[]){r1, r2, r3, r4, NULL}; *id; id++)
		wait_status("73.12", *id, "diterima");
	wait_status("73", r4, "diterima");

	/* r1: 73.12 verifies and answers; the reporter rates it 4 and closes it. */
	act("73.12", g.key12, NULL, r1, "verifikasi", NULL, NULL);
	act("73.12", g.key12, NULL, r1, "tindak_lanjut", "--text", "Sudah ditambal");
	W("73.12")->verified++;
	W("73.12")->answered++;
	wait_status("73.11", r1, "ditindaklanjuti");
	act("73.11", NULL, s1, r1, "nilai", "--rating", "4");
	act("73.11", NULL, s1, r1, "selesai", NULL, NULL);
	W("73.12")->rated++;
	W("73.12")->rating_sum += 4;
	W("73.12")->finished++;
	W("73.12")->responsible++; /* kept it to the end, and answered it */
	W("73.12")->followed_up++;

	/* r2: 73.12 verifies and forwards it to 73.11, which says it is not
	 * its business (bukan wewenang): back at 73.12, which answers. */
	act("73.12", g.key12, NULL, r2, "verifikasi", NULL, NULL);
	act("73.12", g.key12, NULL, r2, "disposisi", "--to", "73.11");
	W("73.12")->verified++;
	W("73.12")->forwarded++;
	W("73.11")->received++;
	wait_status("73.11", r2, "didisposisikan");
	act("73.11", g.key11, NULL, r2, "bukan_wewenang", "--reason", "20");
	W("73.11")->bounced++;
	W("73.12")->bounced_to++;
	wait_status("73.12", r2, "diverifikasi");
	act("73.12", g.key12, NULL, r2, "tindak_lanjut", "--text", "Ditangani dinas");
	W("73.12")->answered++;
	W("73.12")->responsible++;
	W("73.12")->followed_up++;

	/* r3: untouched; still 73.12's to do, but no deadline has passed yet:
	 * not yet due, so not in its follow-up rate (2b: it is, later). */
	W("73.12")->not_yet_due++;

	/* r4: the province takes it over from 73.12, verifies and answers it;
	 * rated 2. */
	act("73", g.key73, NULL, r4, "ambil_alih", NULL, NULL);
	W("73")->taken_over++;
	W("73")->received++;
	W("73.12")->taken_from++;
	act("73", g.key73, NULL, r4, "verifikasi", NULL, NULL);
	W("73")->verified++;
	act("73", g.key73, NULL, r4, "tindak_lanjut", "--text", "Provinsi menangani");
	W("73")->answered++;
	W("73")->responsible++;
	W("73")->followed_up++;
	wait_status("73.11", r4, "ditindaklanjuti");
	act("73.11", NULL, s4, r4, "nilai", "--rating", "2");
	W("73")->rated++;
	W("73")->rating_sum += 2;

	/* r5: 73.11 verifies and answers; the reporter reopens; it answers again. */
	act("73.11", g.key11, NULL, r5, "verifikasi", NULL, NULL);
	act("73.11", g.key11, NULL, r5, "tindak_lanjut", "--text", "Jawaban pertama");
	act("73.11", NULL, s5, r5, "buka_kembali", NULL, NULL);
	act("73.11", g.key11, NULL, r5, "tindak_lanjut", "--text", "Jawaban kedua");
	W("73.11")->verified++;
	W("73.11")->answered += 2;
	W("73.11")->reopened++;
	W("73.11")->responsible++;
	W("73.11")->followed_up++;
	wait_status("73.12", r5, "ditindaklanjuti");
	wait_status("73.12", r4, "ditindaklanjuti");
	wait_status("73.12", r1, "selesai");
}

/* checkpointed: every node's own log is covered by its signed checkpoint. */
static int checkpointed(void *arg)
{
	(void)arg;
	for (size_t i = 0; i < N_NODES; i++) {
		json_t *j = sp_ft_get(&g.f, NODES[i], "/v1/status");
		json_t *own = json_object_get(j, "own_log");
		int ok = j && json_integer_value(json_object_get(own, "size")) ==
				      json_integer_value(json_object_get(own, "checkpoint_size"));
		json_decref(j);
		if (!ok)
			return 0;
	}
	return 1;
}

/* ---- running the audit ---------------------------------------------------------- */

/* audit runs `simpul audit` on sources (NULL-ended: URLs or folders) with
 * extra options (NULL-ended, or NULL), asserts its exit code and returns
 * the JSON it wrote. */
static json_t *audit(int want, const char *const *sources, const char *const *extra)
{
	char bin[BIG], out[BIG], json[BIG];
	const char *argv[64];
	size_t n = 0;
	sp_h_bin(bin, sizeof(bin), "simpul");
	snprintf(out, sizeof(out), "%s/audit.out", g.f.dir);
	snprintf(json, sizeof(json), "%s/audit.json", g.f.dir);
	unlink(json);
	unlink(out); /* sp_h_run appends */
	argv[n++] = bin;
	argv[n++] = "audit";
	argv[n++] = "--quiet";
	argv[n++] = "--root";
	argv[n++] = g.f.root_vkey;
	argv[n++] = "--json";
	argv[n++] = json;
	for (; *sources; sources++) {
		argv[n++] = strncmp(*sources, "http", 4) == 0 ? "--node" : "--tiles";
		argv[n++] = *sources;
	}
	for (; extra && *extra; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	int rc = sp_h_run(argv, out, 120000);
	char *o = sp_h_slurp(out, NULL);
	if (rc != want)
		fail_msg("simpul audit exited %d, want %d:\n%s", rc, want, o ? o : "");
	free(o);
	json_error_t je;
	json_t *j = json_load_file(json, 0, &je);
	if (j == NULL)
		fail_msg("audit JSON: %s", je.text);
	return j;
}

static json_t *find_id(json_t *arr, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *x = json_string_value(json_object_get(v, "id"));
		if (x && strcmp(x, id) == 0)
			return v;
	}
	fail_msg("%s not in the audit", id);
	return NULL;
}

static long num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		fail_msg("no number %s", k);
	return (long)json_integer_value(v);
}

/* check_figures compares the audit's figures with what the test did. */
static void check_figures(json_t *j)
{
	json_t *insts = json_object_get(j, "institutions");
	for (size_t i = 0; i < 3; i++) {
		const struct want *w = &g.w[i];
		json_t *r = find_id(insts, w->inst);
		const struct {
			const char *k;
			long v;
		} c[] = {
			{"received", w->received},   {"routed", w->routed},
			{"verified", w->verified},   {"forwarded", w->forwarded},
			{"bounced", w->bounced},     {"bounced_to", w->bounced_to},
			{"taken_over", w->taken_over}, {"taken_from", w->taken_from},
			{"answered", w->answered},   {"finished", w->finished},
			{"reopened", w->reopened},   {"rated", w->rated},
			{"responsible", w->responsible}, {"followed_up", w->followed_up},
			{"not_yet_due", w->not_yet_due},
		};
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++)
			if (num(r, c[k].k) != c[k].v)
				fail_msg("%s %s: audit says %ld, the test did %ld", w->inst, c[k].k,
					 num(r, c[k].k), c[k].v);
		if (w->rated)
			assert_true(json_real_value(json_object_get(r, "rating_mean")) ==
				    (double)w->rating_sum / (double)w->rated);
		double rate = (double)w->followed_up / (double)w->responsible;
		assert_true(json_real_value(json_object_get(r, "completion_rate")) == rate);
		assert_true(json_is_true(json_object_get(r, "below_threshold")) == (rate < 0.5));
	}
	/* the tier rows are the sums of their institutions */
	json_t *kab = NULL, *v;
	size_t i;
	json_array_foreach(json_object_get(j, "tiers"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "tier")), "kabkota") == 0)
			kab = v;
	assert_non_null(kab);
	assert_int_equal(num(kab, "received"), W("73.12")->received + W("73.11")->received);
	assert_int_equal(num(kab, "answered"), W("73.12")->answered + W("73.11")->answered);
	json_t *rep = json_object_get(j, "reports");
	assert_int_equal(num(rep, "total"), 5);
	assert_int_equal(num(json_object_get(rep, "bounced_times"), "1"), 1);
	assert_int_equal(num(json_object_get(rep, "status"), "selesai"), 1);
	assert_int_equal(num(json_object_get(rep, "status"), "ditindaklanjuti"), 3);
	assert_int_equal(num(json_object_get(rep, "status"), "diterima"), 1);
	assert_int_equal(num(rep, "trail_refused"), 0);
}

static json_t *log_of(json_t *j, const char *inst)
{
	return find_id(json_object_get(j, "logs"), inst);
}

static const char *log_status(json_t *j, const char *inst)
{
	return json_string_value(json_object_get(log_of(j, inst), "status"));
}

/* corrupt flips one byte in the middle of the only file in folder dir. */
static void corrupt_in(const char *dir)
{
	char path[4 * BIG];
	DIR *d = opendir(dir);
	struct dirent *e;
	assert_non_null(d);
	path[0] = '\0';
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
	closedir(d);
	size_t len;
	char *b = sp_h_slurp(path, &len);
	assert_non_null(b);
	assert_true(len > 0);
	b[len / 2] ^= 0x01;
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	free(b);
}

/* rewrite makes folder out/73.11: a log of 73.11 signed with its own key
 * but with another history, n entries long, as tlog-tiles. */
static void rewrite(const char *out, long n)
{
	char data[BIG], key[BIG], dest[2 * BIG], count[32];
	snprintf(data, sizeof(data), "%s/rewrite.store", g.f.dir);
	snprintf(key, sizeof(key), "%s/keys/73.11.key", g.f.fed);
	snprintf(dest, sizeof(dest), "%s/73.11", out);
	snprintf(count, sizeof(count), "%ld", n);
	const char *app[] = {"log", "append", "--data", data, "--key", key, "--origin",
			     "simpul.local/73.11", "--count", count, "--text", "lain", NULL};
	free(sp_h_simpul(g.f.dir, 0, app));
	const char *exp[] = {"log", "export", "--data", data, dest, NULL};
	free(sp_h_simpul(g.f.dir, 0, exp));
}

static int setup(void **state)
{
	(void)state;
	sp_h_fed_init_ports(&g.f, "audit", sp_h_port_block());
	sp_ft_officer(&g.f, "73.12", 31, g.key12, sizeof(g.key12));
	sp_ft_officer(&g.f, "73.11", 32, g.key11, sizeof(g.key11));
	sp_ft_officer(&g.f, "73", 33, g.key73, sizeof(g.key73));
	g.w[0] = (struct want){.inst = "73.12"};
	g.w[1] = (struct want){.inst = "73.11"};
	g.w[2] = (struct want){.inst = "73"};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (g.unit.pid > 0)
		sp_h_node_kill(&g.unit);
	if (g.alt.pid > 0)
		sp_h_node_kill(&g.alt);
	sp_h_fed_down(&g.f);
	return 0;
}

static void test_audit(void **state)
{
	(void)state;
	char *out = NULL;
	if (sp_h_fedup(g.f.fed, g.f.dir, &out, "up", "--nodes=KEMENPANRB,73,73.12,73.11") != 0)
		fail_msg("federation up failed:\n%s", out ? out : "");
	free(out);
	for (size_t i = 0; i < N_NODES; i++) {
		char a[64];
		sp_h_fedup_addr(g.f.fed, NODES[i], a, sizeof(a));
		snprintf(g.url[i], sizeof(g.url[i]), "http://%s", a);
	}
	workload();
	if (!sp_ft_wait(checkpointed, NULL))
		sp_ft_fail(&g.f, "checkpoints do not cover the logs");

	/* 1. The known figures, from the four nodes; a state and a copy kept. */
	char st[BIG], save[BIG], html[BIG], csv[BIG], tiles[2 * BIG], rw[BIG];
	snprintf(st, sizeof(st), "%s/audit.state", g.f.dir);
	snprintf(save, sizeof(save), "%s/copy", g.f.dir);
	snprintf(html, sizeof(html), "%s/audit.html", g.f.dir);
	snprintf(csv, sizeof(csv), "%s/audit.csv", g.f.dir);
	const char *all[] = {g.url[0], g.url[1], g.url[2], g.url[3], NULL};
	const char *x1[] = {"--state", st, "--save", save, "--html", html, "--csv", csv, NULL};
	json_t *j = audit(0, all, x1);
	assert_true(json_is_true(json_object_get(j, "complete")));
	for (size_t i = 0; i < N_NODES; i++)
		assert_string_equal(log_status(j, NODES[i]), "ok");
	check_figures(j);
	json_decref(j);
	char *h = sp_h_slurp(html, NULL);
	assert_non_null(h);
	assert_non_null(strstr(h, "<svg"));
	assert_null(strstr(h, "src=")); /* self-contained: nothing loaded from anywhere */
	assert_null(strstr(h, "<script"));
	free(h);
	char *c = sp_h_slurp(csv, NULL);
	assert_non_null(c);
	assert_non_null(strstr(c, "\ninstitution,73.12,"));
	free(c);

	/* 2. The copy alone, offline: the same figures, consistent with the state. */
	const char *copy[] = {save, NULL};
	const char *x2[] = {"--state", st, NULL};
	j = audit(0, copy, x2);
	check_figures(j);
	json_decref(j);

	/* 2b. Ninety days on (--at): the reporter's window has closed every
	 * answered report, and r3, never handled, is open past the 60-day
	 * ceiling, still held by 73.12: due, and counted against its rate. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char at[32];
	snprintf(at, sizeof(at), "%llu",
		 (unsigned long long)ts.tv_sec * 1000 + 90 * DAY_MS);
	const char *x3[] = {"--at", at, NULL};
	j = audit(0, copy, x3);
	json_t *insts = json_object_get(j, "institutions");
	json_t *i12 = find_id(insts, "73.12"), *i11 = find_id(insts, "73.11");
	json_t *i73 = find_id(insts, "73");
	assert_int_equal(num(i12, "finished"), 2); /* r1 by its reporter, r2 by the window */
	assert_int_equal(num(i12, "auto_closed"), 1);
	assert_int_equal(num(i11, "finished"), 1); /* r5 */
	assert_int_equal(num(i73, "finished"), 1); /* r4 */
	assert_int_equal(num(i12, "held_now"), 1);
	assert_int_equal(num(i12, "past_ceiling"), 1);
	/* r3 is due now (past its deadlines): in 73.12's rate, not followed up */
	assert_int_equal(num(i12, "not_yet_due"), 0);
	assert_int_equal(num(i12, "responsible"), W("73.12")->responsible + 1);
	assert_int_equal(num(i12, "followed_up"), W("73.12")->followed_up);
	assert_int_equal(num(json_object_get(j, "past_ceiling"), "total"), 1);
	json_decref(j);

	/* 3. A tampered hash tile of 73.12 in the copy: alone, 73.12's log is not
	 * verified and says where, while the rest is still audited; next to the
	 * nodes, a good node is used and the copy is named as serving bad data. */
	snprintf(tiles, sizeof(tiles), "%s/73.12/tile/0/000.p", save);
	corrupt_in(tiles);
	j = audit(1, copy, NULL);
	assert_string_not_equal(log_status(j, "73.12"), "ok");
	assert_string_equal(log_status(j, "73.11"), "ok");
	assert_false(json_is_true(json_object_get(j, "complete")));
	const char *why = json_string_value(json_object_get(log_of(j, "73.12"), "problem"));
	if (why == NULL || strstr(why, "tile/0/000.p") == NULL)
		fail_msg("problem of 73.12: %s", why ? why : "(none)");
	json_decref(j);
	const char *mixed[] = {save, g.url[0], g.url[1], g.url[2], g.url[3], NULL};
	j = audit(0, mixed, NULL);
	assert_string_equal(log_status(j, "73.12"), "ok");
	json_t *from_copy = json_array_get(json_object_get(log_of(j, "73.12"), "sources"), 0);
	assert_string_equal(json_string_value(json_object_get(from_copy, "tiles_error")),
			    "SP_ERR_INCONSISTENT");
	check_figures(j);
	json_decref(j);

	/* 4. 73.11's log rewritten with 73.11's own key, longer than the one the
	 * previous audit verified: inconsistent with it, and with what the nodes
	 * serve. */
	json_t *s = json_load_file(st, 0, NULL);
	assert_non_null(s);
	long size11 = (long)json_integer_value(
		json_object_get(json_object_get(json_object_get(s, "logs"), "73.11"), "size"));
	json_decref(s);
	assert_true(size11 > 0);
	snprintf(rw, sizeof(rw), "%s/rewritten", g.f.dir);
	rewrite(rw, size11 + 2);
	const char *forked[] = {rw, g.url[0], g.url[1], g.url[2], g.url[3], NULL};
	j = audit(1, forked, x2);
	assert_string_equal(log_status(j, "73.11"), "forked");
	json_t *prev = json_object_get(log_of(j, "73.11"), "previous");
	assert_true(json_is_false(json_object_get(prev, "consistent")));
	assert_string_equal(log_status(j, "73.12"), "ok");
	json_decref(j);

	/* 5. A node down: reported unreachable; its log still comes from the
	 * nodes that replicate it, and the figures do not change. */
	sp_ft_fed(&g.f, "kill", "73.11");
	j = audit(1, all, x2);
	json_t *src11 = json_array_get(json_object_get(j, "sources"), 3);
	assert_false(json_is_true(json_object_get(src11, "reached")));
	assert_non_null(json_string_value(json_object_get(src11, "problem")));
	assert_string_equal(log_status(j, "73.11"), "ok");
	check_figures(j);
	json_decref(j);
}

/* ---- a unit's own node ------------------------------------------------------------ */

#define UNIT "73.12.DINKES"

/* cli runs `simpul` with args (NULL-ended) and exit code want; its output
 * alone (caller frees). */
static char *cli(int want, const char *const *args)
{
	char out[BIG];
	snprintf(out, sizeof(out), "%s/cli.out", g.f.dir);
	unlink(out); /* sp_h_run appends */
	return sp_h_simpul(g.f.dir, want, args);
}

/* word_after: the word after `key` in text, into out (65 bytes). */
static void word_after(const char *text, const char *key, char out[65])
{
	const char *p = strstr(text, key);
	if (p == NULL || sscanf(p + strlen(key), "%64s", out) != 1)
		fail_msg("no '%s' in:\n%s", key, text);
}

/* get_at: GET path from the node at addr, parsed (NULL unless 200). */
static json_t *get_at(const char *addr, const char *path)
{
	char *b = sp_h_get(addr, path, NULL);
	json_t *j = b ? json_loads(b, 0, NULL) : NULL;
	free(b);
	return j;
}

/* unit_holds: the unit's node shows report arg held by the unit alone. */
static int unit_holds(void *arg)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", (const char *)arg);
	json_t *j = get_at(g.unit.addr, path), *h = json_object_get(j, "holders");
	const char *who = json_string_value(json_array_get(h, 0));
	int ok = json_array_size(h) == 1 && who && strcmp(who, UNIT) == 0;
	json_decref(j);
	return ok;
}

/* unit_known: 73.12's node lists the unit's officer (the records 73.12's
 * admin wrote at the coordinator's node reached it). */
static int unit_known(void *arg)
{
	(void)arg;
	json_t *j = sp_ft_get(&g.f, "73.12", "/v1/officers?inst=" UNIT);
	int ok = json_array_size(json_object_get(j, "officers")) == 1;
	json_decref(j);
	return ok;
}

/* unit_counted: the coordinator holds a checkpoint covering the unit's
 * whole log, and its dashboard counts the unit's answer. */
static int unit_counted(void *arg)
{
	(void)arg;
	json_t *st = get_at(g.unit.addr, "/v1/status");
	long long own = json_integer_value(json_object_get(json_object_get(st, "own_log"), "size"));
	json_decref(st);
	if (own == 0 || sp_ft_held(&g.f, "KEMENPANRB", UNIT) < (unsigned long long)own)
		return 0;
	json_t *d = sp_ft_get(&g.f, "KEMENPANRB", "/v1/dashboard");
	json_t *insts = json_object_get(d, "institutions"), *v;
	size_t i;
	int ok = 0;
	json_array_foreach(insts, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (id && strcmp(id, UNIT) == 0)
			ok = json_integer_value(json_object_get(v, "answered")) == 1 &&
			     strcmp(json_string_value(json_object_get(v, "tier")) ?: "", "unit") == 0;
	}
	json_decref(d);
	return ok;
}

/* A unit (an OPD below a kabupaten) runs its own node: it joins through its
 * kabupaten's node, 73.12's own admin adds it and enrols its officer (no
 * coordinator's admin involved), 73.12 forwards a complaint to it
 * (disposisi), the unit's officer answers at the unit's node, and the
 * coordinator's dashboard and `simpul audit` of the coordinator's node
 * alone count it: the unit's log reached the coordinator through the
 * tier tree, verified. */
static void test_unit_node(void **state)
{
	(void)state;
	char a[64], url12[96], urlc[96], dir[BIG], admin[2 * BIG], off[2 * BIG], sign[65], seal[65];
	char id[65], secret[65], unit_url[96];
	sp_h_fedup_addr(g.f.fed, "73.12", a, sizeof(a));
	snprintf(url12, sizeof(url12), "http://%s", a);
	sp_h_fedup_addr(g.f.fed, "KEMENPANRB", a, sizeof(a));
	snprintf(urlc, sizeof(urlc), "http://%s", a);
	snprintf(dir, sizeof(dir), "%s/unit", g.f.dir);
	snprintf(admin, sizeof(admin), "%s/keys/73.12.admin.key", g.f.fed);
	snprintf(off, sizeof(off), "%s/officer.key", dir);

	sp_h_node_init(&g.unit, UNIT, dir);
	char *out = cli(0, (const char *const[]){"init", "--dir", dir, "--id", UNIT, "--join", url12,
						 "--http", "127.0.0.1:0", "--peer",
						 "tcp://127.0.0.1:0", "--root-key",
						 g.f.root_vkey, NULL});
	word_after(out, "sign-key   ", sign);
	word_after(out, "seal-key   ", seal);
	free(out);
	free(cli(0, (const char *const[]){"institution", "add", "--node", urlc, "--key", admin,
					  "--id", UNIT, "--name", "Dinas Kesehatan Kabupaten Soppeng",
					  "--tier", "unit", "--parent", "73.12", "--sign-key", sign,
					  "--seal-key", seal, NULL}));
	free(cli(0, (const char *const[]){"keygen", "--out", off, NULL}));
	free(cli(0, (const char *const[]){"officer", "enrol", "--node", urlc, "--key", admin,
					  "--inst", UNIT, "--officer-key", off, "--name",
					  "dr. Andi Nurhaedah", NULL}));
	sp_h_node_start(&g.unit, 0);
	snprintf(unit_url, sizeof(unit_url), "http://%s", g.unit.addr);

	/* 73.12 verifies a complaint and forwards it to its unit */
	if (!sp_ft_wait(unit_known, NULL))
		sp_ft_fail(&g.f, "73.12 never learnt of its unit %s", UNIT);
	submit_at("73.12", "73.12.03", "73.12", id, secret); /* 73.11 is down since test_audit */
	wait_status("73.12", id, "diterima");
	act("73.12", g.key12, NULL, id, "verifikasi", NULL, NULL);
	act("73.12", g.key12, NULL, id, "disposisi", "--to", UNIT);

	/* the unit's node receives it; its officer answers there */
	if (!sp_ft_wait(unit_holds, id))
		sp_ft_fail(&g.f, "the unit's node never held %s (log %s)", id, g.unit.log);
	act_at(unit_url, off, NULL, id, "tindak_lanjut", "--text", "Puskesmas sudah menindaklanjuti");
	wait_status("KEMENPANRB", id, "ditindaklanjuti");

	/* the coordinator counts it: the dashboard ... */
	struct sp_h_resp r;
	assert_int_equal(sp_h_http(g.unit.addr, "POST", "/v1/checkpoint/sign", NULL, NULL, 0, &r), 0);
	sp_h_resp_free(&r);
	if (!sp_ft_wait(unit_counted, NULL))
		sp_ft_fail(&g.f, "the coordinator's dashboard never counted the unit's answer");

	/* ... and `simpul audit` of the coordinator's node alone */
	json_t *j = audit(0, (const char *const[]){urlc, NULL}, NULL);
	assert_string_equal(log_status(j, UNIT), "ok");
	json_t *insts = json_object_get(j, "institutions");
	json_t *u = find_id(insts, UNIT), *k = find_id(insts, "73.12");
	assert_string_equal(json_string_value(json_object_get(u, "tier")), "unit");
	assert_int_equal(num(u, "received"), 1);
	assert_int_equal(num(u, "routed"), 0);
	assert_int_equal(num(u, "answered"), 1);
	assert_int_equal(num(u, "responsible"), 1);
	assert_int_equal(num(u, "followed_up"), 1);
	assert_int_equal(num(k, "forwarded"), W("73.12")->forwarded + 1);
	assert_int_equal(num(k, "verified"), W("73.12")->verified + 1);
	int flowed = 0;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(j, "flows"), i, f)
		flowed |= strcmp(json_string_value(json_object_get(f, "from")) ?: "", "73.12") == 0 &&
			  strcmp(json_string_value(json_object_get(f, "to")) ?: "", UNIT) == 0 &&
			  json_integer_value(json_object_get(f, "forwarded")) == 1;
	assert_true(flowed);
	json_decref(j);
}

/* ---- a fork the coordinator resolved ------------------------------------------- */

/* state_size: the size a state file keeps for inst's log. */
static long state_size(const char *path, const char *inst)
{
	json_t *s = json_load_file(path, 0, NULL);
	assert_non_null(s);
	long n = (long)json_integer_value(
		json_object_get(json_object_get(json_object_get(s, "logs"), inst), "size"));
	json_decref(s);
	return n;
}

/* alt_checkpointed: the second node of 73.11 serves a checkpoint of its
 * whole branch (arg: its size). */
static int alt_checkpointed(void *arg)
{
	char *cp = sp_h_get(g.alt.addr, "/logs/73.11/checkpoint", NULL);
	const char *nl = cp ? strchr(cp, '\n') : NULL;
	int ok = nl && strtoull(nl + 1, NULL, 10) == *(unsigned long long *)arg;
	free(cp);
	return ok;
}

/* coord_checkpointed: the coordinator's own log (the directory, with the
 * resolution) is covered by its signed checkpoint. */
static int coord_checkpointed(void *arg)
{
	(void)arg;
	json_t *j = sp_ft_get(&g.f, "KEMENPANRB", "/v1/status");
	json_t *own = json_object_get(j, "own_log");
	int ok = j && json_integer_value(json_object_get(own, "size")) ==
			      json_integer_value(json_object_get(own, "checkpoint_size"));
	json_decref(j);
	return ok;
}

/* protected_admin makes g.admin: the coordinator's admin key protected by
 * the passphrase in g.pass, with which the admin commands below sign
 * (--passphrase-file). */
static void protected_admin(void)
{
	char plain[2 * BIG];
	snprintf(plain, sizeof(plain), "%s/keys/KEMENPANRB.admin.key", g.f.fed);
	snprintf(g.admin, sizeof(g.admin), "%s/admin-protected.key", g.f.dir);
	snprintf(g.pass, sizeof(g.pass), "%s/admin.pass", g.f.dir);
	FILE *f = fopen(g.pass, "w");
	assert_non_null(f);
	fputs("kata sandi admin nasional\n", f);
	fclose(f);
	free(cli(0, (const char *const[]){"keygen", "--passphrase-file", g.pass, "--out", g.admin,
					  "--from", plain, NULL}));
}

/* 73.11's key signs a second branch, longer than the log the federation
 * holds, served by a second node of 73.11: the audit over the federation's
 * nodes and that one finds the fork. The coordinator's admin resolves it
 * for the federation's branch (`simpul fork resolve`): the audit then
 * verifies 73.11's log against the resolution, reports it resolved with
 * the second node's branch set aside, and counts the kept branch only
 * (every figure as the test did it). */
static void test_fork_resolved(void **state)
{
	(void)state;
	char dir[BIG], size[32], root[64];
	snprintf(dir, sizeof(dir), "%s/alt", g.f.dir);
	protected_admin();
	char *body = sp_ft_cp_body(&g.f, "KEMENPANRB", "73.11");
	assert_non_null(body);
	assert_int_equal(sscanf(body, "%*s %31s %63s", size, root), 2);
	free(body);
	unsigned long long longer = strtoull(size, NULL, 10) + 5;
	sp_h_node_init(&g.alt, "73.11", dir);
	sp_h_node_fill(&g.alt, g.f.fed, (int)longer, "cabang lain");
	sp_h_node_config(&g.alt, g.f.fed, g.f.root_vkey, "");
	sp_h_node_start(&g.alt, 0);
	if (!sp_ft_wait(alt_checkpointed, &longer))
		fail_msg("the second node of 73.11 serves no checkpoint of %llu (log %s)", longer,
			 g.alt.log);
	char alt[96];
	snprintf(alt, sizeof(alt), "http://%s", g.alt.addr);
	const char *srcs[] = {g.url[0], g.url[1], alt, NULL};

	/* the fork, before any resolution */
	json_t *j = audit(1, srcs, NULL);
	assert_string_equal(log_status(j, "73.11"), "forked");
	assert_true(json_is_null(json_object_get(log_of(j, "73.11"), "resolution")));
	json_decref(j);
	/* a previous audit's state that verified the second node's branch */
	char st[BIG], alt_root[64];
	snprintf(st, sizeof(st), "%s/fork.state", g.f.dir);
	char *cp = sp_h_get(g.alt.addr, "/logs/73.11/checkpoint", NULL);
	assert_non_null(cp);
	assert_int_equal(sscanf(cp, "%*s %*s %63s", alt_root), 1);
	free(cp);
	json_t *prev = json_pack("{s:s,s:I,s:{s:{s:I,s:s}}}", "root_vkey", g.f.root_vkey, "at",
				 (json_int_t)1, "logs", "73.11", "size", (json_int_t)longer, "root",
				 alt_root);
	assert_int_equal(json_dump_file(prev, st, 0), 0);
	json_decref(prev);
	const char *x_st[] = {"--state", st, NULL};

	/* the coordinator's admin keeps the federation's branch */
	free(cli(0, (const char *const[]){"fork", "resolve", "--node", g.url[0], "--key", g.admin,
					  "--passphrase-file", g.pass, "--inst", "73.11", "--size",
					  size, "--root", root, NULL}));
	if (!sp_ft_wait(coord_checkpointed, NULL))
		sp_ft_fail(&g.f, "the coordinator's checkpoint does not cover the resolution");
	/* with the state of the branch now set aside (longer than the kept
	 * one): not a rewrite; the state then holds the kept branch */
	j = audit(0, srcs, x_st);
	assert_int_equal(state_size(st, "73.11"), strtol(size, NULL, 10));
	json_t *l = log_of(j, "73.11");
	assert_string_equal(log_status(j, "73.11"), "ok");
	assert_string_equal(json_string_value(json_object_get(l, "root")), root);
	assert_int_equal(num(l, "verified"), strtol(size, NULL, 10));
	json_t *res = json_object_get(l, "resolution");
	assert_int_equal(num(res, "size"), strtol(size, NULL, 10));
	assert_string_equal(json_string_value(json_object_get(res, "root")), root);
	json_t *aside = json_object_get(res, "set_aside");
	assert_int_equal(json_array_size(aside), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(aside, 0), "source")),
			    alt);
	assert_int_equal(num(json_array_get(aside, 0), "size"), (long)longer);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(l, "sources"), 2),
						 "set_aside")));
	assert_true(json_is_true(json_object_get(j, "complete")));
	check_figures(j);
	json_decref(j);
	char out[BIG];
	snprintf(out, sizeof(out), "%s/audit.out", g.f.dir);
	char *text = sp_h_slurp(out, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "fork resolved by the coordinator"));
	assert_non_null(strstr(text, "set aside: "));
	free(text);
	sp_h_node_kill(&g.alt);
}

/* ---- an institution's signing key rotated -------------------------------------- */

/* row_of: the audit's figure k of institution inst. */
static long row_of(json_t *j, const char *inst, const char *k)
{
	return num(find_id(json_object_get(j, "institutions"), inst), k);
}

/* vkey_of: the verifier key 73.12's node signs with now (GET /v1/status). */
static void vkey_of(char *out, size_t cap)
{
	json_t *j = sp_ft_get(&g.f, "73.12", "/v1/status");
	const char *v = json_string_value(json_object_get(j, "vkey"));
	assert_non_null(v);
	snprintf(out, cap, "%s", v);
	json_decref(j);
}

/* held_12: the coordinator holds a checkpoint of 73.12's whole log, and
 * 73.12's own checkpoint covers it. */
static int held_12(void *arg)
{
	(void)arg;
	json_t *j = sp_ft_get(&g.f, "73.12", "/v1/status");
	json_t *own = json_object_get(j, "own_log");
	long long size = json_integer_value(json_object_get(own, "size"));
	int ok = size > 0 && size == json_integer_value(json_object_get(own, "checkpoint_size")) &&
		 sp_ft_held(&g.f, "KEMENPANRB", "73.12") == (unsigned long long)size;
	json_decref(j);
	return ok;
}

/* 73.12 rotates its node's signing key while the federation runs (the
 * runbook's step: the new key configured as [node] key with the old one as
 * key_previous, a reload, `simpul institution update --sign-key` by the
 * coordinator's admin); its node switches and handles a new complaint
 * under the new key. `simpul audit` over the federation's nodes verifies
 * 73.12's log across the switch, from the keys the directory gives it,
 * and counts the complaint handled after the rotation. */
static void test_sign_key_rotation(void **state)
{
	(void)state;
	char dir[BIG], pidf[2 * BIG], fresh[2 * BIG], old[4096];
	char hex[65], id[65], secret[65], v_old[256], v_new[256];
	snprintf(dir, sizeof(dir), "%s/nodes/73.12", g.f.fed);
	snprintf(pidf, sizeof(pidf), "%s/simpuld.pid", dir);
	snprintf(fresh, sizeof(fresh), "%s/73.12-2027.key", g.f.dir);
	const char *srcs[] = {g.url[0], g.url[1], g.url[2], NULL};
	if (!sp_ft_wait(held_12, NULL))
		sp_ft_fail(&g.f, "the coordinator does not hold 73.12's whole log");
	json_t *before = audit(0, srcs, NULL);
	vkey_of(v_old, sizeof(v_old));

	char *out = cli(0, (const char *const[]){"keygen", "--out", fresh, NULL});
	word_after(out, "public-key ", hex);
	free(out);
	/* the runbook's step: the new key configured, the old one kept as
	 * key_previous, a reload; not published yet, so not used yet */
	struct sp_h_node n12 = {.id = "73.12"};
	snprintf(n12.ini, sizeof(n12.ini), "%.4000s/simpuld.ini", dir);
	snprintf(n12.log, sizeof(n12.log), "%.4000s/simpuld.log", dir);
	char *text = sp_h_slurp(n12.ini, NULL), *k = text ? strstr(text, "\nkey = ") : NULL;
	assert_non_null(k);
	assert_int_equal(sscanf(k + 7, "%4095s", old), 1);
	free(text);
	char *pid = sp_h_slurp(pidf, NULL);
	assert_non_null(pid);
	n12.pid = (pid_t)atol(pid);
	free(pid);
	sp_nt_set_key(&n12, fresh, old, "is not published yet", 1);
	free(cli(0, (const char *const[]){"institution", "update", "--node", g.url[0], "--key",
					  g.admin, "--passphrase-file", g.pass, "--id", "73.12",
					  "--sign-key", hex, NULL}));
	if (sp_h_wait_text(n12.log, "signing key rotated: signing with the new key", 60000))
		sp_ft_fail(&g.f, "73.12 did not switch to its new key (log %s)", n12.log);
	vkey_of(v_new, sizeof(v_new));
	assert_string_not_equal(v_new, v_old);

	/* a complaint handled wholly under the new key */
	submit_at("73.12", "73.12.03", "73.12", id, secret);
	wait_status("73.12", id, "diterima");
	act("73.12", g.key12, NULL, id, "verifikasi", NULL, NULL);
	act("73.12", g.key12, NULL, id, "tindak_lanjut", "--text", "Sesudah rotasi kunci");
	wait_status("KEMENPANRB", id, "ditindaklanjuti");
	if (!sp_ft_wait(held_12, NULL))
		sp_ft_fail(&g.f, "the coordinator does not hold 73.12's log after the rotation");

	json_t *after = audit(0, srcs, NULL);
	assert_string_equal(log_status(after, "73.12"), "ok");
	assert_true(num(log_of(after, "73.12"), "verified") > num(log_of(before, "73.12"), "verified"));
	static const char *const counted[] = {"received", "routed", "verified", "answered",
					      "responsible", "followed_up"};
	for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++)
		if (row_of(after, "73.12", counted[i]) != row_of(before, "73.12", counted[i]) + 1)
			fail_msg("73.12 %s: %ld after the rotation, %ld before", counted[i],
				 row_of(after, "73.12", counted[i]), row_of(before, "73.12", counted[i]));
	assert_int_equal(num(json_object_get(after, "reports"), "total"),
			 num(json_object_get(before, "reports"), "total") + 1);
	json_decref(before);
	json_decref(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_fork_resolved),
		cmocka_unit_test(test_unit_node),
		cmocka_unit_test(test_sign_key_rotation),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

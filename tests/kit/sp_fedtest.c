/*
 * sp_fedtest.c - federation-level test helpers (see sp_fedtest.h).
 */
#include "sp_fedtest.h"

#include "sp_testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_clock.h"
#include "sp_entry.h"
#include "sp_keyfile.h"
#include "sp_merkle.h"
#include "sp_note.h"
#include "sp_report.h"
#include "sp_store.h"

#define FT_BIG (2 * PATH_MAX)

uint64_t sp_ft_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sp_ft_fail(struct sp_h_fed *f, const char *fmt, ...)
{
	char msg[20000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *st = NULL;
	sp_h_fedup(f->fed, f->dir, &st, "status", NULL);
	/* cmocka cuts long messages: the whole text goes to stdout first. */
	printf("%s\nfederation status:\n%s\n", msg, st ? st : "");
	fflush(stdout);
	free(st);
	fail_msg("%.200s ... (see above)", msg);
}

void sp_ft_fed(struct sp_h_fed *f, const char *cmd, const char *arg)
{
	char *out = NULL;
	if (sp_h_fedup(f->fed, f->dir, &out, cmd, arg) != 0)
		sp_ft_fail(f, "simpul federation %s %s failed:\n%s", cmd, arg ? arg : "",
			   out ? out : "");
	free(out);
}

json_t *sp_ft_get(const struct sp_h_fed *f, const char *node, const char *path)
{
	char a[64], file[FT_BIG];
	struct sp_h_resp r;
	snprintf(file, sizeof(file), "%s/nodes/%s/data/simpuld.addr", f->fed, node);
	if (access(file, F_OK) != 0)
		return NULL;
	sp_h_fedup_addr(f->fed, node, a, sizeof(a));
	json_t *j = NULL;
	if (sp_h_http(a, "GET", path, NULL, NULL, 0, &r) == 0 && r.status == 200)
		j = json_loads(r.body, 0, NULL);
	sp_h_resp_free(&r);
	return j;
}

void sp_ft_submit(const struct sp_h_fed *f, const char *node, const char *cat,
		  const char *region, const char *want, char out[65])
{
	char a[64], body[512];
	struct sp_h_resp r;
	sp_h_fedup_addr(f->fed, node, a, sizeof(a));
	int n = snprintf(body, sizeof(body),
			 "{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"%s\","
			 "\"region\":\"%s\",\"title\":\"Aduan di %s\",\"content\":\"Masuk lewat %s\","
			 "\"channel\":\"web\"}",
			 cat, region, region, node);
	assert_int_equal(sp_h_post_ready(a, "/v1/reports", "Content-Type: application/json\r\n",
					 body, (size_t)n, &r),
			 0);
	if (r.status != 201)
		fail_msg("submit at %s: status %d: %s", node, r.status, r.body);
	json_t *j = json_loads(r.body, 0, NULL);
	const char *to = json_string_value(json_object_get(j, "routed_to"));
	if (to == NULL || strcmp(to, want) != 0)
		fail_msg("submit at %s about %s/%s: routed to %s, want %s", node, cat, region,
			 to ? to : "(none)", want);
	snprintf(out, 65, "%s", json_string_value(json_object_get(j, "report_id")));
	assert_int_equal(strlen(out), 64);
	json_decref(j);
	sp_h_resp_free(&r);
}

void sp_ft_officer_named(const struct sp_h_fed *f, const char *inst, unsigned char seed,
			 const char *name, char *key, size_t cap)
{
	uint8_t s[32], pk[32];
	memset(s, seed, sizeof(s));
	snprintf(key, cap, "%s/officer-%s.key", f->dir, inst);
	assert_int_equal(sp_keyfile_create(key, s, NULL, 0), 0);
	assert_int_equal(sp_keyfile_load(key, pk, NULL, NULL, 0), 0);
	sp_h_fed_enrol(f, inst, pk, name);
}

void sp_ft_officer(const struct sp_h_fed *f, const char *inst, unsigned char seed, char *key,
		   size_t cap)
{
	sp_ft_officer_named(f, inst, seed, "Petugas", key, cap);
}

void sp_ft_act(const struct sp_h_fed *f, const char *node, const char *key, const char *id,
	       const char *what)
{
	char bin[FT_BIG], url[96], a[64], out[FT_BIG];
	sp_h_bin(bin, sizeof(bin), "simpul");
	sp_h_fedup_addr(f->fed, node, a, sizeof(a));
	snprintf(url, sizeof(url), "http://%s", a);
	snprintf(out, sizeof(out), "%s/act.out", f->dir);
	const char *argv[] = {bin, "act", "--node", url, "--key", key, id, what, NULL};
	if (sp_h_run(argv, out, 30000) != 0) {
		char *o = sp_h_slurp(out, NULL);
		fail_msg("simpul act %s at %s failed:\n%s", what, node, o ? o : "");
	}
}

char *sp_ft_view(const struct sp_h_fed *f, const char *node, const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *j = sp_ft_get(f, node, path);
	if (j == NULL)
		return NULL;
	json_object_del(j, "indexed"); /* when this node indexed it: its own clock */
	size_t i;
	json_t *span;
	json_array_foreach(json_object_get(j, "history"), i, span)
		if (json_is_null(json_object_get(span, "end")))
			json_object_del(span, "duration_ms");
	char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	return text;
}

void sp_ft_status(const struct sp_h_fed *f, const char *node, const char *id, char *out,
		  size_t cap)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *j = sp_ft_get(f, node, path);
	const char *s = json_string_value(json_object_get(j, "status"));
	snprintf(out, cap, "%s", s ? s : "");
	json_decref(j);
}

char *sp_ft_cp_body(const struct sp_h_fed *f, const char *node, const char *log)
{
	char a[64], path[96], file[FT_BIG];
	struct sp_h_resp r;
	snprintf(file, sizeof(file), "%s/nodes/%s/data/simpuld.addr", f->fed, node);
	if (access(file, F_OK) != 0)
		return NULL;
	sp_h_fedup_addr(f->fed, node, a, sizeof(a));
	snprintf(path, sizeof(path), "/logs/%s/checkpoint", log);
	char *body = NULL;
	if (sp_h_http(a, "GET", path, NULL, NULL, 0, &r) == 0 && r.status == 200) {
		char *end = strstr(r.body, "\n\n"); /* the body ends before the signatures */
		if (end)
			body = strndup(r.body, (size_t)(end - r.body) + 1);
	}
	sp_h_resp_free(&r);
	return body;
}

unsigned long long sp_ft_held(const struct sp_h_fed *f, const char *node, const char *log)
{
	char *b = sp_ft_cp_body(f, node, log);
	const char *nl = b ? strchr(b, '\n') : NULL;
	unsigned long long n = nl ? strtoull(nl + 1, NULL, 10) : 0;
	free(b);
	return n;
}

int sp_ft_wait(int (*ok)(void *arg), void *arg)
{
	uint64_t t0 = sp_ft_ms();
	int r;
	while (!(r = ok(arg)) && sp_ft_ms() - t0 < SP_FT_WAIT_MS)
		usleep(200000);
	return r;
}

/* ft_cp_agrees: node serves log's checkpoint body ref (needed: must serve
 * one). 1 or 0, with *why. */
static int ft_cp_agrees(const struct sp_h_fed *f, const char *node, const char *log,
			const char *ref, int needed, char *why, size_t cap)
{
	char *b = sp_ft_cp_body(f, node, log);
	int ok = b ? strcmp(b, ref) == 0 : !needed;
	if (!ok && why)
		snprintf(why, cap, "log %s: %s serves\n%s%s serves\n%s", log, log, ref, node,
			 b ? b : "nothing\n");
	free(b);
	return ok;
}

int sp_ft_same_log(const struct sp_h_fed *f, const char *log, const char *const *must,
		   size_t nmust, const char *const *any, size_t nany, char *why, size_t cap)
{
	char *ref = sp_ft_cp_body(f, log, log);
	int ok = ref != NULL;
	if (!ok && why)
		snprintf(why, cap, "node %s serves no checkpoint of its own log", log);
	for (size_t i = 0; ok && i < nmust + nany; i++)
		ok = ft_cp_agrees(f, i < nmust ? must[i] : any[i - nmust], log, ref, i < nmust, why,
				  cap);
	free(ref);
	return ok;
}

/* ft_holds: node holds every entry that view (a report's) is made of:
 * the submission and each entry of the trail, by log and index. */
static int ft_holds(const struct sp_h_fed *f, const char *node, json_t *view)
{
	const char *log = json_string_value(json_object_get(view, "log"));
	json_int_t index = json_integer_value(json_object_get(view, "index"));
	if (log == NULL || sp_ft_held(f, node, log) <= (unsigned long long)index)
		return 0;
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(view, "trail"), i, t)
	{
		log = json_string_value(json_object_get(t, "log"));
		index = json_integer_value(json_object_get(t, "index"));
		if (log == NULL || sp_ft_held(f, node, log) <= (unsigned long long)index)
			return 0;
	}
	return 1;
}

int sp_ft_agree(const struct sp_h_fed *f, const char *id, const char *const *must, size_t nmust,
		const char *const *any, size_t nany, const char *want, char *why, size_t cap)
{
	char path[128], st[32];
	snprintf(path, sizeof(path), "/v1/reports/%s", id);
	json_t *view = sp_ft_get(f, must[0], path);
	char *ref = sp_ft_view(f, must[0], id);
	sp_ft_status(f, must[0], id, st, sizeof(st));
	int ok = view && ref && (want == NULL || strcmp(st, want) == 0);
	if (!ok && why)
		snprintf(why, cap, "%s shows report %s as '%s', want %s", must[0], id, st,
			 want ? want : "a view");
	for (size_t i = 1; ok && i < nmust + nany; i++) {
		const char *node = i < nmust ? must[i] : any[i - nmust];
		if (i >= nmust && !ft_holds(f, node, view))
			continue; /* not all of its logs here: no state to compare */
		char *v = sp_ft_view(f, node, id);
		ok = v && strcmp(v, ref) == 0;
		if (!ok && why)
			snprintf(why, cap, "report %s: %s shows\n%s\n%s shows\n%s", id, must[0], ref,
				 node, v ? v : "nothing");
		free(v);
	}
	free(ref);
	json_decref(view);
	return ok;
}

/* inst_key loads inst's key pair from the federation's keys folder. */
static void inst_key(const char *fed, const char *inst, uint8_t pk[32], uint8_t sk[64])
{
	char key[FT_BIG];
	snprintf(key, sizeof(key), "%s/keys/%s.key", fed, inst);
	assert_int_equal(sp_keyfile_load(key, pk, sk, NULL, 0), 0);
}

uint8_t *sp_ft_old_report(const char *fed, const char *inst, const char *to, const char *region,
			  uint64_t age_ms, size_t *len)
{
	uint8_t pk[32], sk[64], *body, *out;
	size_t blen;
	inst_key(fed, inst, pk, sk);
	struct sp_report r = {.kind = SP_REPORT_PENGADUAN, .vis = SP_REPORT_PUBLIK,
			      .category = {"jalan", 5}, .region = {region, strlen(region)},
			      .title = {"Jembatan putus", 14}, .content = {"Sejak bulan lalu", 16},
			      .routed_to = {to, strlen(to)}, .channel = {"web", 3}, .has_reporter_key = 1};
	randombytes_buf(r.reporter_key, sizeof(r.reporter_key));
	assert_int_equal(sp_report_encode(&r, &body, &blen), 0);
	struct sp_entry e = {.version = SP_ENTRY_VERSION, .time_ms = sp_now_ms() - age_ms,
			     .type = SP_EV_REPORT, .body = body, .body_len = blen};
	assert_int_equal(sp_entry_sign(&e, sk, &out, len), 0);
	free(body);
	return out;
}

void sp_ft_replica_checkpoint(struct sp_store *st, uint32_t log, const char *fed, const char *inst,
			      const uint8_t *entry, size_t len)
{
	uint8_t pk[32], sk[64];
	inst_key(fed, inst, pk, sk);
	struct sp_checkpoint c = {.size = 1};
	snprintf(c.origin, sizeof(c.origin), "simpul.local/%s", inst);
	sp_merkle_leaf_hash(entry, len, c.root); /* a tree of one leaf */
	struct sp_buf note;
	sp_buf_init(&note);
	assert_int_equal(sp_checkpoint_sign(&c, sk, &note), 0);
	assert_int_equal(sp_store_checkpoint_put(st, log, (const char *)note.p, note.len), 0);
	sp_buf_free(&note);
}

void sp_ft_plant_old_report(struct sp_h_fed *f, const char *node, const char *inst,
			    const char *region, uint64_t age_ms, char id[65])
{
	sp_ft_fed(f, "kill", node);
	size_t len, accepted = 0;
	uint8_t *entry = sp_ft_old_report(f->fed, inst, node, region, age_ms, &len), h[32];
	const uint8_t *const ents[] = {entry};
	struct sp_entry e;
	assert_int_equal(sp_entry_decode(entry, len, &e), 0);
	char path[FT_BIG], origin[128];
	snprintf(path, sizeof(path), "%s/nodes/%s/data/store", f->fed, node);
	snprintf(origin, sizeof(origin), "simpul.local/%s", inst);
	struct sp_store_opts o = {.verify_threads = 1};
	struct sp_store *st;
	uint32_t log;
	assert_int_equal(sp_store_open(path, &o, &st), 0);
	assert_int_equal(sp_store_log_add(st, origin, e.author, &log), 0);
	assert_int_equal(sp_store_insert(st, log, ents, &len, 1, &accepted), 0);
	assert_int_equal(accepted, 1);
	sp_ft_replica_checkpoint(st, log, f->fed, inst, entry, len);
	sp_store_close(st);
	sp_entry_hash(entry, len, h);
	sodium_bin2hex(id, 65, h, 32);
	free(entry);
	snprintf(path, sizeof(path), "%s/nodes/%s/simpuld.ini", f->fed, node);
	FILE *ini = fopen(path, "a");
	assert_non_null(ini);
	fprintf(ini, "\n[deadlines]\nescalate_s = 1\n");
	assert_int_equal(fclose(ini), 0);
	sp_ft_fed(f, "start", node);
}

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

#include "sp_keyfile.h"

#define FT_BIG (2 * PATH_MAX)

uint64_t sp_ft_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned sp_ft_port_base(unsigned base, unsigned slots)
{
	return base + 100 * ((unsigned)getpid() % slots);
}

void sp_ft_fail(struct sp_h_fed *f, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *st = NULL;
	sp_h_fedup(f->fed, f->dir, &st, "status", NULL);
	fail_msg("%s\nfederation status:\n%s", msg, st ? st : "");
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
	/* 503: a node that just started holds its appends until its peers
	 * told it its own log's size (replication.md 10.8): retry. */
	uint64_t t0 = sp_ft_ms();
	for (;;) {
		assert_int_equal(sp_h_http(a, "POST", "/v1/reports",
					   "Content-Type: application/json\r\n", body, (size_t)n, &r),
				 0);
		if (r.status != 503 || sp_ft_ms() - t0 > SP_FT_WAIT_MS)
			break;
		sp_h_resp_free(&r);
		usleep(100000);
	}
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

void sp_ft_officer(const struct sp_h_fed *f, const char *inst, unsigned char seed, char *key,
		   size_t cap)
{
	uint8_t s[32], pk[32];
	memset(s, seed, sizeof(s));
	snprintf(key, cap, "%s/officer-%s.key", f->dir, inst);
	assert_int_equal(sp_keyfile_create(key, s, NULL, 0), 0);
	assert_int_equal(sp_keyfile_load(key, pk, NULL, NULL, 0), 0);
	sp_h_fed_enrol(f, inst, pk, "Petugas");
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

int sp_ft_same_logs(const struct sp_h_fed *f, const char *const *nodes, size_t n,
		    const char *const *logs, size_t nl, char *why, size_t cap)
{
	for (size_t l = 0; l < nl; l++) {
		char *ref = sp_ft_cp_body(f, nodes[0], logs[l]);
		for (size_t i = 1; ref && i < n; i++) {
			char *b = sp_ft_cp_body(f, nodes[i], logs[l]);
			int same = b && strcmp(b, ref) == 0;
			if (!same && why)
				snprintf(why, cap, "log %s: %s serves\n%s, %s serves\n%s", logs[l],
					 nodes[0], ref, nodes[i], b ? b : "nothing\n");
			free(b);
			if (!same) {
				free(ref);
				return 0;
			}
		}
		if (ref == NULL) {
			if (why)
				snprintf(why, cap, "%s serves no checkpoint of %s", nodes[0], logs[l]);
			return 0;
		}
		free(ref);
	}
	return 1;
}

int sp_ft_same_views(const struct sp_h_fed *f, const char *const *nodes, size_t n,
		     char ids[][65], size_t ni, const char *want, char *why, size_t cap)
{
	char st[32];
	for (size_t k = 0; k < ni; k++) {
		sp_ft_status(f, nodes[0], ids[k], st, sizeof(st));
		if (want && strcmp(st, want) != 0) {
			if (why)
				snprintf(why, cap, "%s shows report %s as '%s', want %s", nodes[0],
					 ids[k], st, want);
			return 0;
		}
		char *ref = sp_ft_view(f, nodes[0], ids[k]);
		int same = ref != NULL;
		for (size_t i = 1; same && i < n; i++) {
			char *v = sp_ft_view(f, nodes[i], ids[k]);
			same = v && strcmp(v, ref) == 0;
			if (!same && why)
				snprintf(why, cap, "report %s: %s shows\n%s\n%s shows\n%s", ids[k],
					 nodes[0], ref, nodes[i], v ? v : "nothing");
			free(v);
		}
		if (ref == NULL && why)
			snprintf(why, cap, "%s has no view of report %s", nodes[0], ids[k]);
		free(ref);
		if (!same)
			return 0;
	}
	return 1;
}

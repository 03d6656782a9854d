/*
 * sp_nodetest.c - helpers for tests that run their own nodes around the
 * coordinator's, and the coordinator-plus-kabupaten fixture (see
 * sp_nodetest.h).
 */
#include "sp_nodetest.h"

#include "sp_testutil.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_fedtest.h"
#include "sp_note.h"

#define NT_BIG (2 * PATH_MAX)

/* ---- one node ------------------------------------------------------------------------------ */

void sp_nt_node_init(struct sp_h_node *n, const char *id, const char *scratch, const char *sub)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", scratch, sub);
	sp_h_node_init(n, id, path);
	assert_int_equal(mkdir(n->data, 0700), 0);
}

void sp_nt_seed_store(const struct sp_h_node *n, const char *folder)
{
	char from[NT_BIG], out[NT_BIG];
	snprintf(from, sizeof(from), "%s/store", folder);
	snprintf(out, sizeof(out), "%s/cp.out", n->dir);
	const char *argv[] = {"/bin/cp", "-R", from, n->data, NULL};
	assert_int_equal(sp_h_run(argv, out, 60000), 0);
}

json_t *sp_nt_json(const struct sp_h_node *n, const char *path)
{
	struct sp_h_resp r;
	if (sp_h_http(n->addr, "GET", path, NULL, NULL, 0, &r) != 0)
		return NULL;
	json_t *j = r.status == 200 ? json_loads(r.body, 0, NULL) : NULL;
	sp_h_resp_free(&r);
	return j;
}

long long sp_nt_own_size(const struct sp_h_node *n)
{
	json_t *j = sp_nt_json(n, "/v1/status");
	assert_non_null(j);
	long long s = json_integer_value(json_object_get(json_object_get(j, "own_log"), "size"));
	json_decref(j);
	return s;
}

void sp_nt_status_str(const struct sp_h_node *n, const char *key, char *out, size_t cap)
{
	json_t *j = sp_nt_json(n, "/v1/status");
	assert_non_null(j);
	snprintf(out, cap, "%s", json_string_value(json_object_get(j, key)) ?: "");
	json_decref(j);
}

long long sp_nt_cp_size(const struct sp_h_node *n, const char *log, char **note)
{
	char path[128];
	snprintf(path, sizeof(path), "/logs/%s/checkpoint", log);
	char *cp = sp_h_get(n->addr, path, NULL);
	const char *nl = cp ? strchr(cp, '\n') : NULL;
	long long size = nl ? atoll(nl + 1) : -1;
	if (note)
		*note = cp;
	else
		free(cp);
	return size;
}

int sp_nt_opens_with(const char *note, const char *vkey)
{
	struct sp_note_key k;
	struct sp_checkpoint c;
	return sp_note_vkey_parse(vkey, &k) == 0 &&
	       sp_checkpoint_open(note, strlen(note), &k, &c) == 0;
}

void sp_nt_set_peers(const struct sp_h_node *n, const char *url, const char *extra)
{
	char *ini = sp_h_slurp(n->ini, NULL);
	assert_non_null(ini);
	char *p = strstr(ini, "peers = "), *end = p ? strchr(p, '\n') : NULL;
	assert_non_null(end);
	FILE *f = fopen(n->ini, "w");
	assert_non_null(f);
	fprintf(f, "%.*speers = %s%s%s", (int)(p - ini), ini, url, end, extra);
	fclose(f);
	free(ini);
}

void sp_nt_sighup_wait(const struct sp_h_node *n, const char *want, int nth)
{
	assert_int_equal(kill(n->pid, SIGHUP), 0);
	uint64_t t0 = sp_ft_ms();
	for (;;) {
		char *log = sp_h_slurp(n->log, NULL);
		int seen = 0;
		for (char *at = log; at && (at = strstr(at, want)) != NULL; at++)
			seen++;
		free(log);
		if (seen >= nth)
			return;
		if (sp_ft_ms() - t0 > SP_FT_WAIT_MS)
			fail_msg("%s did not log '%s' (%d times) after SIGHUP (log %s)", n->id, want,
				 nth, n->log);
		usleep(100000);
	}
}

void sp_nt_set_key(const struct sp_h_node *n, const char *cur, const char *prev, const char *want,
		   int nth)
{
	char *ini = sp_h_slurp(n->ini, NULL);
	assert_non_null(ini);
	char *p = strstr(ini, "\nkey = "), *end = p ? strchr(p + 1, '\n') : NULL;
	assert_non_null(end);
	FILE *f = fopen(n->ini, "w");
	assert_non_null(f);
	fprintf(f, "%.*s\nkey = %s\n", (int)(p - ini), ini, cur);
	if (prev)
		fprintf(f, "key_previous = %s\n", prev);
	fputs(end + 1, f);
	fclose(f);
	free(ini);
	sp_nt_sighup_wait(n, want, nth);
}

int sp_nt_officer_listed(void *arg)
{
	const struct sp_nt_listed *l = arg;
	char path[96];
	snprintf(path, sizeof(path), "/v1/officers?inst=%s", l->inst);
	json_t *j = sp_nt_json(l->node, path), *it;
	size_t i;
	int found = 0;
	json_array_foreach(json_object_get(j, "officers"), i, it)
		found |= strcmp(json_string_value(json_object_get(it, "key")) ?: "", l->key) == 0;
	json_decref(j);
	return found;
}

void sp_nt_word_after(const char *text, const char *key, char *out, size_t cap)
{
	const char *p = strstr(text, key);
	if (p == NULL)
		fail_msg("no '%s' in:\n%s", key, text);
	char fmt[16];
	snprintf(fmt, sizeof(fmt), "%%%zus", cap - 1);
	sscanf(p + strlen(key), fmt, out);
}

/* ---- the coordinator-plus-kabupaten fixture ------------------------------------------------ */

void sp_nt_fix_setup(struct sp_nt_fix *g, const char *name, const char *c_extra)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->dir, sizeof(g->dir), "%s", sp_test_tmpdir(name));
	snprintf(g->fed, sizeof(g->fed), "%s/fed", g->dir);
	sp_h_fedgen(g->dir, g->fed, 0, g->root_vkey, sizeof(g->root_vkey));
	sp_nt_node_init(&g->c, "KEMENPANRB", g->dir, "c");
	sp_nt_node_init(&g->a, "73.12", g->dir, "a");
	sp_nt_seed_store(&g->c, g->fed);
	char peer[512];
	snprintf(peer, sizeof(peer), "listen = tcp://127.0.0.1:0\npeers = \n%s", c_extra);
	sp_h_node_config(&g->c, g->fed, g->root_vkey, peer);
	sp_h_node_start(&g->c, 1);
	snprintf(peer, sizeof(peer), "listen = \npeers = %s\n", g->c.peer_url);
	sp_h_node_config(&g->a, g->fed, g->root_vkey, peer);
	sp_h_node_start(&g->a, 0);
	snprintf(g->c_url, sizeof(g->c_url), "http://%s", g->c.addr);
	snprintf(g->a_url, sizeof(g->a_url), "http://%s", g->a.addr);
}

void sp_nt_fix_kill(struct sp_nt_fix *g)
{
	struct sp_h_node *all[] = {&g->a, &g->c, &g->n};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		sp_h_node_kill(all[i]);
}

void sp_nt_key(const struct sp_nt_fix *g, char *out, size_t cap, const char *id, const char *kind)
{
	snprintf(out, cap, "%s/keys/%s%s%s.key", g->fed, id, kind[0] ? "." : "", kind);
}

char *sp_nt_cli(const struct sp_nt_fix *g, int want, const char *const *args)
{
	char out[NT_BIG];
	snprintf(out, sizeof(out), "%s/cli.out", g->dir);
	unlink(out); /* the harness appends: this run's output alone */
	return sp_h_simpul(g->dir, want, args);
}

void sp_nt_keygen(const struct sp_nt_fix *g, const char *path, char hex[65])
{
	const char *gen[] = {"keygen", "--out", path, NULL};
	char *out = sp_nt_cli(g, 0, gen);
	sp_nt_word_after(out, "public-key ", hex, 65);
	free(out);
}

char *sp_nt_fix_join_init(struct sp_nt_fix *g, char sign[65], char seal[65])
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/n", g->dir);
	sp_h_node_init(&g->n, "74", dir);
	const char *join[] = {"init", "--dir", dir, "--id", "74", "--join", g->a_url, "--http",
			      "127.0.0.1:0", "--peer", "tcp://127.0.0.1:0", "--root-key",
			      g->root_vkey, NULL};
	char *out = sp_nt_cli(g, 0, join);
	sp_nt_word_after(out, "sign-key   ", sign, 65);
	sp_nt_word_after(out, "seal-key   ", seal, 65);
	return out;
}

void sp_nt_fix_add_province(const struct sp_nt_fix *g, int want, const char *admin, const char *id,
			    const char *name, const char *sign, const char *seal)
{
	SP_NT_CLI(g, want, "institution", "add", "--node", g->c_url, "--key", admin, "--id", id,
		  "--name", name, "--tier", "province", "--parent", "KEMENPANRB", "--sign-key", sign,
		  "--seal-key", seal, "--region", id);
}

void sp_nt_fix_start_n(struct sp_nt_fix *g)
{
	sp_nt_set_peers(&g->n, g->c.peer_url, "[checkpoint]\ninterval_ms = 100\n");
	sp_h_node_start(&g->n, 0);
}

/*
 * test_contrib.c - the monitoring files in contrib/ name only metrics that
 * simpuld exports: every `simpul_*` name in the Prometheus alert rules
 * (contrib/prometheus/simpul.rules.yml) and the Grafana dashboard
 * (contrib/grafana/simpul-node.json) must have a `# TYPE` line in a real
 * node's GET /metrics, and the dashboard must be valid JSON whose panels
 * each query something. (`promtool check rules` checks the rules' syntax
 * in CI: tools/ci-package.)
 */
#include "sp_testutil.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sp_node_harness.h"

static char *metrics; /* a running node's GET /metrics */

static int setup(void **state)
{
	(void)state;
	char dir[PATH_MAX], log[PATH_MAX + 16], addr_file[PATH_MAX + 32], bin[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", sp_test_tmpdir("contrib"));
	snprintf(log, sizeof(log), "%s/simpuld.log", dir);
	snprintf(addr_file, sizeof(addr_file), "%s/data/simpuld.addr", dir);
	sp_h_bin(bin, sizeof(bin), "simpuld");
	const char *argv[] = {bin, "--default", "--dir", dir, "--http", "127.0.0.1:0", NULL};
	pid_t pid = sp_h_spawn(argv, log);
	/* the address is written before the peer module starts: wait for "ready",
	 * when every part (and every metric) is up */
	if (sp_h_wait_file(addr_file, 30000) != 0 || sp_h_wait_text(log, "node: ready", 30000) != 0)
		return -1;
	char *addr = sp_h_slurp(addr_file, NULL);
	addr[strcspn(addr, "\n")] = '\0';
	metrics = sp_h_get(addr, "/metrics", NULL);
	free(addr);
	kill(pid, SIGTERM);
	return sp_h_wait(pid, 30000) == 0 && metrics ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(metrics);
	return 0;
}

/* check_names finds every simpul_[a-z_]+ in file (relative to the source
 * tree) and asserts each is exported; returns how many were found. */
static int check_names(const char *file)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", SP_SOURCE_DIR, file);
	char *text = sp_h_slurp(path, NULL);
	assert_non_null(text);
	int found = 0;
	for (char *p = text; (p = strstr(p, "simpul_")) != NULL;) {
		size_t n = 7;
		while (islower((unsigned char)p[n]) || p[n] == '_')
			n++;
		char want[160];
		snprintf(want, sizeof(want), "# TYPE %.*s ", (int)n, p);
		if (strstr(metrics, want) == NULL)
			fail_msg("%s uses %.*s, which simpuld does not export", file, (int)n, p);
		found++;
		p += n;
	}
	free(text);
	return found;
}

static void test_rules_metrics(void **state)
{
	(void)state;
	assert_true(check_names("contrib/prometheus/simpul.rules.yml") >= 10);
}

static void test_dashboard(void **state)
{
	(void)state;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/contrib/grafana/simpul-node.json", SP_SOURCE_DIR);
	json_error_t err;
	json_t *d = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (d == NULL)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	json_t *panels = json_object_get(d, "panels");
	assert_true(json_array_size(panels) >= 10);
	size_t i;
	json_t *p;
	json_array_foreach(panels, i, p)
	{
		json_t *t = json_array_get(json_object_get(p, "targets"), 0);
		const char *expr = json_string_value(json_object_get(t, "expr"));
		if (expr == NULL || expr[0] == '\0')
			fail_msg("panel %zu has no query", i);
	}
	json_decref(d);
	assert_true(check_names("contrib/grafana/simpul-node.json") >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_metrics),
		cmocka_unit_test(test_dashboard),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

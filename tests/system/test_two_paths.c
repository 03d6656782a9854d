/*
 * test_two_paths.c - a ministry keeps a path to the federation while the
 * national node is down (docs/replication.md §10.7), on real simpuld
 * processes (`simpul federation up`): the coordinator (KEMENPANRB), the
 * ministry KEMENPU, provinces 73 and 74, 73.12 and 74.01. KEMENPU's
 * backup province among 73 and 74 is 73 (sp_topo.h), which it dials by
 * itself ([peer] backup): `federation up` gives it only the coordinator.
 *
 * With KEMENPANRB killed: a complaint entered at KEMENPU for 73.12 reaches
 * 73.12 (KEMENPU, 73, 73.12), one for 74.01 reaches 74.01 (KEMENPU, 73,
 * then the provinces' own link to 74), and a complaint about a national
 * road entered at 74.01 reaches KEMENPU (74.01, 74, 73, KEMENPU). Before,
 * KEMENPU's only session was with the national node: none of them arrived.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_fedtest.h"

static struct sp_h_fed f;

static int setup(void **state)
{
	(void)state;
	char port[16];
	snprintf(f.dir, sizeof(f.dir), "%s", sp_test_tmpdir("two_paths"));
	snprintf(f.fed, sizeof(f.fed), "%s/fed", f.dir);
	snprintf(port, sizeof(port), "%u", sp_h_port_block());
	free(sp_h_simpul(f.dir, 0,
			 (const char *const[]){"federation", "init", "--wilayah", SP_WILAYAH, "--out",
					       f.fed, "--subset", "73", "--subset", "74",
					       "--port-base", port, NULL}));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_down(&f);
	return 0;
}

/* struct held: node `node` holds report `id`. */
struct held {
	const char *node, *id;
};

static int holds(void *arg)
{
	const struct held *h = arg;
	char path[96];
	snprintf(path, sizeof(path), "/v1/reports/%s", h->id);
	json_t *j = sp_ft_get(&f, h->node, path);
	json_decref(j);
	return j != NULL;
}

static void wait_holds(const char *node, const char *id, const char *what)
{
	struct held h = {node, id};
	if (!sp_ft_wait(holds, &h))
		sp_ft_fail(&f, "with the national node down, %s did not reach %s", what, node);
}

/* file_contains: the file at path holds text. */
static int file_contains(const char *path, const char *text)
{
	char *s = sp_h_slurp(path, NULL);
	int found = s != NULL && strstr(s, text) != NULL;
	free(s);
	return found;
}

static void test_ministry_second_path(void **state)
{
	(void)state;
	sp_ft_fed(&f, "up", "--nodes=KEMENPANRB,KEMENPU,73,74,73.12,74.01");
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/nodes/KEMENPU/simpuld.log", f.fed);
	if (!file_contains(path, "dialing backup province 73 ([peer] backup)"))
		fail_msg("KEMENPU does not dial its backup province 73");

	sp_ft_fed(&f, "kill", "KEMENPANRB");
	char to7312[65], to7401[65], toPU[65];
	sp_ft_submit(&f, "KEMENPU", "jalan", "73.12.01", "73.12", to7312);
	sp_ft_submit(&f, "KEMENPU", "jalan", "74.01.01", "74.01", to7401);
	sp_ft_submit(&f, "74.01", "jalan-nasional", "74.01.01", "KEMENPU", toPU);
	wait_holds("73.12", to7312, "a complaint entered at KEMENPU");
	wait_holds("74.01", to7401, "a complaint entered at KEMENPU");
	wait_holds("KEMENPU", toPU, "a complaint entered at 74.01");
	/* ... through the backup province, which holds all three. */
	wait_holds("73", to7401, "the backup province");
	wait_holds("73", toPU, "the backup province");
	sp_ft_fed(&f, "down", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ministry_second_path),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

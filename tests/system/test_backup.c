/*
 * test_backup.c - a hot backup of a running node under submit load, and a
 * restore from it (`simpul backup` through the node's control socket,
 * node/sp_ctl.c; docs/operations.md "Backup and restore").
 *
 * Node 73.12 of a test federation takes complaints from two client threads
 * without pause. While they run, `simpul backup` copies the node: it must
 * not interrupt them (every submit is answered 201), and the backup holds
 * the node's key, config and seal key next to a store that verifies end to
 * end. The node is then stopped, its store replaced by the backup's, and
 * started again: every report whose 201 arrived before the backup began
 * is there. The node's socket refuses unknown commands.
 */
#include "sp_testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sp_node_harness.h"

#define MAX_ACKS 100000
#define CLIENTS 2

struct ack {
	char id[65];
	uint64_t ms; /* when its 201 arrived */
};

static struct {
	struct sp_h_fed f;
	pthread_mutex_t mu;
	struct ack *acks;
	size_t nacks;
	atomic_int stop;
	atomic_int failed; /* submits not answered 201 */
	char fail_text[512];
} g;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t acks(void)
{
	pthread_mutex_lock(&g.mu);
	size_t n = g.nacks;
	pthread_mutex_unlock(&g.mu);
	return n;
}

/* submit_one posts one complaint; on 201 records its id and time. */
static void submit_one(int client, int i)
{
	char body[512];
	struct sp_h_resp r;
	int n = snprintf(body, sizeof(body),
			 "{\"kind\":\"pengaduan\",\"visibility\":\"publik\",\"category\":\"jalan\","
			 "\"region\":\"73.12.03\",\"title\":\"Jalan rusak %d-%d\","
			 "\"content\":\"Aduan uji cadangan\",\"channel\":\"web\"}",
			 client, i);
	if (sp_h_http(g.f.addr, "POST", "/v1/reports", "Content-Type: application/json\r\n", body,
		      (size_t)n, &r) != 0) {
		atomic_fetch_add(&g.failed, 1);
		return;
	}
	json_t *j = r.status == 201 ? json_loads(r.body, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(j, "report_id"));
	uint64_t t = now_ms();
	pthread_mutex_lock(&g.mu);
	if (id && strlen(id) == 64 && g.nacks < MAX_ACKS) {
		snprintf(g.acks[g.nacks].id, 65, "%s", id);
		g.acks[g.nacks++].ms = t;
	} else {
		atomic_fetch_add(&g.failed, 1);
		snprintf(g.fail_text, sizeof(g.fail_text), "status %d: %.400s", r.status, r.body);
	}
	pthread_mutex_unlock(&g.mu);
	json_decref(j);
	sp_h_resp_free(&r);
}

static void *client(void *arg)
{
	int c = (int)(intptr_t)arg;
	for (int i = 0; !atomic_load(&g.stop); i++)
		submit_one(c, i);
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	pthread_mutex_init(&g.mu, NULL);
	g.acks = calloc(MAX_ACKS, sizeof(*g.acks));
	sp_h_fed_init(&g.f, "backup");
	sp_h_fed_start(&g.f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_h_fed_free(&g.f);
	free(g.acks);
	pthread_mutex_destroy(&g.mu);
	return 0;
}

/* wait_acks waits until n submits were acknowledged (at most 60 s). */
static void wait_acks(size_t n)
{
	uint64_t t0 = now_ms();
	while (acks() < n && now_ms() - t0 < 60000 && !atomic_load(&g.failed))
		usleep(10000);
	if (acks() < n)
		fail_msg("only %zu of %zu submits acknowledged (failed %d: %s)", acks(), n,
			 atomic_load(&g.failed), g.fail_text);
}

/* same_file: a and b have the same bytes. */
static int same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = sp_h_slurp(a, &na), *y = sp_h_slurp(b, &nb);
	int same = x && y && na == nb && memcmp(x, y, na) == 0;
	free(x);
	free(y);
	return same;
}

/* check_backup_files: the backup has the node's key (0600), config and
 * seal key, byte for byte. */
static void check_backup_files(const char *bk)
{
	char p[PATH_MAX + 32], orig[PATH_MAX + 32];
	struct stat st;
	snprintf(p, sizeof(p), "%s/node.key", bk);
	snprintf(orig, sizeof(orig), "%s/keys/73.12.key", g.f.fed);
	assert_true(same_file(p, orig));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/simpuld.ini", bk);
	assert_true(same_file(p, g.f.ini));
	snprintf(p, sizeof(p), "%s/seal.key", bk);
	snprintf(orig, sizeof(orig), "%s/keys/73.12.seal", g.f.fed);
	assert_true(same_file(p, orig));
}

/* restore puts the backup's store in the node's place (the node stopped). */
static void restore(const char *bk)
{
	char store[PATH_MAX + 16], aside[PATH_MAX + 32], src[PATH_MAX + 32], out[PATH_MAX + 16];
	snprintf(store, sizeof(store), "%s/store", g.f.data);
	snprintf(aside, sizeof(aside), "%s/store.broken", g.f.data);
	snprintf(src, sizeof(src), "%s/store", bk);
	snprintf(out, sizeof(out), "%s/cp.out", g.f.dir);
	assert_int_equal(rename(store, aside), 0);
	const char *argv[] = {"/bin/cp", "-a", src, store, NULL};
	assert_int_equal(sp_h_run(argv, out, 60000), 0);
}

static void test_hot_backup_under_load(void **state)
{
	(void)state;
	char bk[PATH_MAX + 16], store[PATH_MAX + 32], path[PATH_MAX + 96];
	snprintf(bk, sizeof(bk), "%s/backup", g.f.dir);
	pthread_t th[CLIENTS];
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, client, (void *)(intptr_t)i), 0);
	wait_acks(200);
	uint64_t begin = now_ms(); /* the 200 acknowledged so far came before it */
	const char *args[] = {"backup", "--data", g.f.data, "--out", bk, NULL};
	char *out = sp_h_simpul(g.f.dir, 0, args);
	uint64_t end = now_ms();
	print_message("backup under load: %llu ms\n%s", (unsigned long long)(end - begin), out);
	assert_non_null(strstr(out, "hot "));
	free(out);
	wait_acks(acks() + 200); /* the node kept serving */
	atomic_store(&g.stop, 1);
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&g.failed), 0);
	size_t total = acks();
	sp_h_fed_stop(&g.f);

	check_backup_files(bk);
	snprintf(store, sizeof(store), "%s/store", bk);
	const char *verify[] = {"log", "verify", "--data", store, NULL};
	free(sp_h_simpul(g.f.dir, 0, verify));
	restore(bk);
	sp_h_fed_start(&g.f);
	size_t checked = 0, later = 0;
	for (size_t i = 0; i < total; i++) {
		snprintf(path, sizeof(path), "/v1/reports/%s", g.acks[i].id);
		struct sp_h_resp r;
		assert_int_equal(sp_h_http(g.f.addr, "GET", path, NULL, NULL, 0, &r), 0);
		if (g.acks[i].ms <= begin) {
			if (r.status != 200)
				fail_msg("report %s, acknowledged before the backup, is %d after the "
					 "restore",
					 g.acks[i].id, r.status);
			checked++;
		} else {
			later += r.status == 200;
		}
		sp_h_resp_free(&r);
	}
	print_message("restored: all %zu reports acknowledged before the backup are there; "
		      "%zu of the %zu acknowledged after it began too\n",
		      checked, later, total - checked);
	assert_true(checked >= 200);
}

/* ctl_line sends line to the node's control socket and returns its answer. */
static void ctl_line(const char *line, char *ans, size_t cap)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char path[sizeof(g.f.data) + 16];
	snprintf(path, sizeof(path), "%s/simpuld.ctl", g.f.data);
	assert_true(strlen(path) < sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	size_t n = 0;
	ssize_t r;
	while (n < cap - 1 && (r = read(fd, ans + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	ans[n] = '\0';
	close(fd);
}

/* The socket answers only "backup", with a folder in DATA holding a store
 * (what simpul backup moves to its --out). */
static void test_ctl_protocol(void **state)
{
	(void)state;
	char ans[PATH_MAX + 512];
	ctl_line("status\n", ans, sizeof(ans));
	assert_int_equal(strncmp(ans, "error SP_ERR_ARG ", 17), 0);
	assert_non_null(strstr(ans, "unknown command (known: backup)\n"));
	ctl_line("backup\n", ans, sizeof(ans));
	assert_int_equal(strncmp(ans, "ok ", 3), 0);
	ans[strcspn(ans, "\n")] = '\0';
	char store[sizeof(ans) + 16];
	snprintf(store, sizeof(store), "%s/store/CURRENT", ans + 3);
	assert_int_equal(access(store, F_OK), 0);
	assert_int_equal(strncmp(ans + 3, g.f.data, strlen(g.f.data)), 0);
	/* what simpul backup does after moving it: nothing is left in DATA */
	char out[PATH_MAX + 16];
	snprintf(out, sizeof(out), "%s/ctl.out", g.f.dir);
	const char *rm[] = {"/bin/rm", "-rf", ans + 3, NULL};
	assert_int_equal(sp_h_run(rm, out, 30000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hot_backup_under_load),
		cmocka_unit_test(test_ctl_protocol),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

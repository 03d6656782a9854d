/*
 * test_crash.c - durability under SIGKILL.
 *
 * A child process appends from several threads and reports each
 * acknowledged index on a pipe; the parent kills it with SIGKILL at a
 * random moment, many times over. After every kill the store must reopen,
 * hold every acknowledged entry, verify end to end (signatures and the
 * previous-hash chain) and give the Merkle root of a recomputation.
 */
#include "sp_testutil.h"

#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_store.h"

#define ORIGIN "simpul.test/crash"
#define ROUNDS 25
#define WRITERS 4

struct child_ctx {
	struct sp_store *s;
	int fd;
};

static void *child_writer(void *arg)
{
	struct child_ctx *c = arg;
	uint8_t body[] = {0xa1, 0x00, 0x65, 'c', 'r', 'a', 's', 'h'};
	for (;;) {
		uint64_t idx;
		if (sp_store_append(c->s, 1, body, sizeof(body), &idx, NULL) != 0)
			_exit(3);
		/* Acknowledged: tell the parent (8-byte writes are atomic). */
		if (write(c->fd, &idx, sizeof(idx)) != sizeof(idx))
			_exit(4);
	}
	return NULL;
}

static void child_main(const char *dir, const uint8_t sk[64], int fd)
{
	struct sp_store_opts o = {.own_origin = ORIGIN, .own_sk = sk, .checkpoint_ms = 5};
	struct child_ctx c = {NULL, fd};
	if (sp_store_open(dir, &o, &c.s) != 0)
		_exit(2);
	pthread_t th[WRITERS];
	for (int i = 0; i < WRITERS; i++)
		pthread_create(&th[i], NULL, child_writer, &c);
	for (;;)
		pause();
}

struct verify_ctx {
	uint8_t pk[32];
	uint8_t prev_hash[32];
	struct sp_entry prev;
	uint8_t *prev_buf;
	sp_hash *leaves;
};

static int verify_one(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
	struct verify_ctx *v = arg;
	struct sp_entry e;
	uint8_t *copy = malloc(len);
	memcpy(copy, entry, len);
	if (sp_entry_open(copy, len, &e) != 0 || memcmp(e.author, v->pk, 32) != 0 ||
	    sp_entry_check_link(index ? &v->prev : NULL, v->prev_hash, &e) != 0) {
		free(copy);
		return SP_ERR_CORRUPT;
	}
	sp_entry_hash(copy, len, v->prev_hash);
	sp_merkle_leaf_hash(copy, len, v->leaves[index]);
	free(v->prev_buf);
	v->prev_buf = copy;
	v->prev = e;
	return 0;
}

/* Reopens the store and checks everything; returns its size. */
static uint64_t check_store(const char *dir, const uint8_t pk[32], const uint8_t sk[64],
			    uint64_t acked_max, int any_acked)
{
	struct sp_store_opts o = {.own_origin = ORIGIN, .own_sk = sk};
	struct sp_store *s = NULL;
	assert_int_equal(sp_store_open(dir, &o, &s), 0);
	uint32_t id;
	struct sp_log_info info;
	assert_int_equal(sp_store_own_log(s, &id), 0);
	assert_int_equal(sp_store_log_info(s, id, &info), 0);
	if (any_acked)
		assert_true(info.size > acked_max);

	struct verify_ctx v = {.prev_buf = NULL};
	memcpy(v.pk, pk, 32);
	v.leaves = calloc(info.size ? info.size : 1, sizeof(sp_hash));
	assert_int_equal(sp_store_scan(s, id, 0, info.size, verify_one, &v), 0);
	if (info.size) {
		uint8_t want[32], got[32];
		assert_memory_equal(v.prev_hash, info.head, 32);
		assert_int_equal(sp_merkle_root(sp_merkle_mem_node, v.leaves, info.size, want), 0);
		assert_int_equal(sp_store_root(s, id, info.size, got), 0);
		assert_memory_equal(want, got, 32);
	}
	free(v.prev_buf);
	free(v.leaves);
	sp_store_close(s);
	return info.size;
}

static void test_sigkill_durability(void **state)
{
	(void)state;
	const char *tmp = sp_test_tmpdir("crash");
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", tmp);
	uint8_t pk[32], sk[64];
	sp_test_keypair(11, pk, sk);
	srand((unsigned)time(NULL));
	uint64_t total_acked = 0;

	for (int round = 0; round < ROUNDS; round++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			child_main(dir, sk, p[1]);
		}
		close(p[1]);
		/* Kill only once the child is really appending (its first ack),
		 * so a slow start on a loaded machine cannot make a round
		 * vacuous; then at a random moment within the next 150 ms. */
		uint64_t idx, max = 0;
		int any = 0;
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		assert_int_equal(poll(&pf, 1, 60000), 1);
		if (read(p[0], &idx, sizeof(idx)) == sizeof(idx)) {
			max = idx;
			any = 1;
			total_acked++;
		}
		assert_true(any);
		usleep((useconds_t)(rand() % 150000));
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		ssize_t r;
		while ((r = read(p[0], &idx, sizeof(idx))) == sizeof(idx)) {
			if (!any || idx > max)
				max = idx;
			any = 1;
			total_acked++;
		}
		close(p[0]);
		uint64_t size = check_store(dir, pk, sk, max, any);
		if (any)
			assert_true(size >= max + 1);
	}
	/* Every round acknowledged at least one append before its kill. */
	assert_true(total_acked >= ROUNDS);
	printf("crash test: %d kills, %llu acknowledged appends, all present\n", ROUNDS,
	       (unsigned long long)total_acked);
	sp_test_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigkill_durability),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

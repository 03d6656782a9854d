/*
 * test_notify.c - simpuld tells systemd its state (sd_notify, Type=notify
 * in contrib/systemd/simpuld.service): READY=1 once it serves HTTP,
 * RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM.
 *
 * The test plays systemd's part: it binds the datagram socket systemd
 * would and passes it in NOTIFY_SOCKET to a real simpuld, then reads what
 * arrives. When READY=1 arrives the node must already answer HTTP.
 */
#include "sp_testutil.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sp_node_harness.h"

/* next_state waits up to 30 s for a datagram on fd and returns it in buf
 * (NUL-terminated); fails the test on a timeout. */
static void next_state(int fd, char *buf, size_t cap)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 30000) != 1)
		fail_msg("no sd_notify message within 30 s");
	ssize_t n = recv(fd, buf, cap - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
}

static void test_notify(void **state)
{
	(void)state;
	char dir[PATH_MAX], sock[PATH_MAX + 16], log[PATH_MAX + 16], addr_file[PATH_MAX + 32],
		bin[PATH_MAX], msg[512];
	snprintf(dir, sizeof(dir), "%s", sp_test_tmpdir("notify"));
	snprintf(sock, sizeof(sock), "%s/notify.sock", dir);
	snprintf(log, sizeof(log), "%s/simpuld.log", dir);
	snprintf(addr_file, sizeof(addr_file), "%s/data/simpuld.addr", dir);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	assert_true(strlen(sock) < sizeof(a.sun_path));
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", sock, 1), 0);
	sp_h_bin(bin, sizeof(bin), "simpuld");
	const char *argv[] = {bin, "--default", "--dir", dir, "--http", "127.0.0.1:0", NULL};
	pid_t pid = sp_h_spawn(argv, log);
	unsetenv("NOTIFY_SOCKET");

	next_state(fd, msg, sizeof(msg));
	assert_string_equal(msg, "READY=1");
	char *addr = sp_h_slurp(addr_file, NULL); /* written before READY=1 */
	assert_non_null(addr);
	addr[strcspn(addr, "\n")] = '\0';
	char *status = sp_h_get(addr, "/v1/status", NULL);
	if (status == NULL)
		fail_msg("READY=1 sent before the node serves (see %s)", log);
	free(status);

	kill(pid, SIGHUP);
	next_state(fd, msg, sizeof(msg));
	assert_string_equal(msg, "RELOADING=1");
	next_state(fd, msg, sizeof(msg));
	assert_string_equal(msg, "READY=1");
	assert_int_equal(sp_h_wait_text(log, "reloaded", 10000), 0);

	kill(pid, SIGTERM);
	next_state(fd, msg, sizeof(msg));
	assert_string_equal(msg, "STOPPING=1");
	assert_int_equal(sp_h_wait(pid, 30000), 0);
	free(addr);
	close(fd);
}

/* Without NOTIFY_SOCKET (not under systemd) nothing is sent and nothing
 * is logged about it. */
static void test_no_supervisor(void **state)
{
	(void)state;
	char dir[PATH_MAX], log[PATH_MAX + 16], addr_file[PATH_MAX + 32], bin[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", sp_test_tmpdir("notify-none"));
	snprintf(log, sizeof(log), "%s/simpuld.log", dir);
	snprintf(addr_file, sizeof(addr_file), "%s/data/simpuld.addr", dir);
	sp_h_bin(bin, sizeof(bin), "simpuld");
	const char *argv[] = {bin, "--default", "--dir", dir, "--http", "127.0.0.1:0", NULL};
	pid_t pid = sp_h_spawn(argv, log);
	assert_int_equal(sp_h_wait_file(addr_file, 30000), 0);
	assert_int_equal(sp_h_wait_text(log, "node: ready", 30000), 0);
	kill(pid, SIGTERM);
	assert_int_equal(sp_h_wait(pid, 30000), 0);
	assert_int_not_equal(sp_h_wait_text(log, "sd_notify", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_no_supervisor),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * sp_node_harness.h - helpers for tests that drive real simpuld and simpul
 * processes: spawning and waiting with timeouts, files and logs, and a
 * small HTTP/1.1 client over plain sockets (so tests can send exactly the
 * bytes they mean, malformed paths and lying Content-Lengths included).
 *
 * Functions fail the current cmocka test on unexpected OS errors.
 */
#ifndef SP_NODE_HARNESS_H
#define SP_NODE_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

/* sp_h_bin writes $SP_BIN_DIR/<name> into buf (the binaries' folder). */
void sp_h_bin(char *buf, size_t cap, const char *name);

/* sp_h_spawn starts argv (NULL-ended) with stdin from /dev/null and stdout
 * and stderr appended to log_path. Returns the pid. */
pid_t sp_h_spawn(const char *const *argv, const char *log_path);

/* sp_h_wait waits up to timeout_ms for pid: its exit code, 128 + signal,
 * or -1 on timeout (the process is left running). */
int sp_h_wait(pid_t pid, int timeout_ms);

/* sp_h_run runs argv to completion (killed after timeout_ms) with output
 * to out_path; returns its exit code. */
int sp_h_run(const char *const *argv, const char *out_path, int timeout_ms);

/* sp_h_slurp reads a file into a NUL-terminated malloc'ed buffer; NULL if
 * it cannot be read. *len optional. */
char *sp_h_slurp(const char *path, size_t *len);

/* sp_h_wait_file waits until path exists and is non-empty: 0 or -1. */
int sp_h_wait_file(const char *path, int timeout_ms);

/* sp_h_wait_text waits until file path contains needle: 0 or -1. */
int sp_h_wait_text(const char *path, const char *needle, int timeout_ms);

/* A response: status, the header block, and the body (NUL-terminated). */
struct sp_h_resp {
	int status;
	char *head;
	char *body;
	size_t len;
};

/* sp_h_http sends one request to addr ("127.0.0.1:port") and reads the
 * whole response (Connection: close). extra is raw header lines ending in
 * "\r\n" (or NULL); a body is sent with its Content-Length unless extra
 * already has one. Returns 0, or -1 if no response arrived. */
int sp_h_http(const char *addr, const char *method, const char *path, const char *extra,
	      const void *body, size_t len, struct sp_h_resp *r);

/* sp_h_header copies header `name`'s value into buf; NULL if absent. */
const char *sp_h_header(const struct sp_h_resp *r, const char *name, char *buf, size_t cap);

void sp_h_resp_free(struct sp_h_resp *r);

#endif

/*
 * sp_node_harness.h - helpers for tests that drive real simpuld and simpul
 * processes: spawning and waiting with timeouts, files and logs, and a
 * small HTTP/1.1 client over plain sockets (so tests can send exactly the
 * bytes they mean, malformed paths and lying Content-Lengths included),
 * and a federation fixture: `simpul federation init --subset 73`, officer
 * enrolments in its directory, and the node of Kabupaten Soppeng (73.12).
 *
 * Functions fail the current cmocka test on unexpected OS errors.
 */
#ifndef SP_NODE_HARNESS_H
#define SP_NODE_HARNESS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "sp_dir.h"

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

/* sp_h_simpul runs `simpul args...` (NULL-ended), output kept in
 * dir/cli.out, fails the test unless it exits with `want`, and returns
 * its output (caller frees). */
char *sp_h_simpul(const char *dir, int want, const char *const *args);

/* sp_h_slurp reads a file into a NUL-terminated malloc'ed buffer; NULL if
 * it cannot be read. *len optional. */
char *sp_h_slurp(const char *path, size_t *len);

/* A byte string that must not be found (sp_h_find_in_tree). SP_H_LIT
 * makes one of a string literal. */
struct sp_h_needle {
	const void *bytes;
	size_t len;
};
#define SP_H_LIT(s) {(s), sizeof(s) - 1}

/* sp_h_find_in_tree looks for any of n needles in every regular file under
 * root (root may itself be a file; symbolic links are not followed). The
 * privacy tests use it: a contact, sealed text or key must be nowhere on
 * disk. Returns 1 and writes the first file found into found_in (cap
 * bytes), 0 if no file holds a needle, -1 if the tree cannot be read. */
int sp_h_find_in_tree(const char *root, const struct sp_h_needle *needles, size_t n,
		      char *found_in, size_t cap);

/* sp_h_wait_file waits until path exists and is non-empty: 0 or -1. */
int sp_h_wait_file(const char *path, int timeout_ms);

/* sp_h_take_port listens on a free port of 127.0.0.1 (so that it is in use)
 * and writes "127.0.0.1:PORT" into addr (cap bytes); the socket, which the
 * caller closes. */
int sp_h_take_port(char *addr, size_t cap);

/* sp_h_wait_text waits until file path contains needle: 0 or -1. */
int sp_h_wait_text(const char *path, const char *needle, int timeout_ms);

/* The attachment start scan's line in a node's output (`attach: start
 * scan entries=N skipped=S ... wanted=W`). sp_h_attach_scan counts those
 * lines in file path (-1: unreadable) and parses the last into *out. */
struct sp_h_scan {
	long long entries, skipped, wanted;
};
int sp_h_attach_scan(const char *path, struct sp_h_scan *out);

/* sp_h_attach_scan_wait waits until path holds more than `before` such
 * lines and parses the last into *out; fails the test after timeout_ms. */
void sp_h_attach_scan_wait(const char *path, int before, struct sp_h_scan *out, int timeout_ms);

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

/* sp_h_get returns the body of a 200 answer to GET path from addr
 * (malloc'ed, NUL-terminated; *len optional), or NULL. */
char *sp_h_get(const char *addr, const char *path, size_t *len);

/* sp_h_metric: the value of the line of addr's /metrics that starts with
 * `line` (a metric's name, with its labels if it has any), -1 if the node
 * does not answer or has no such line. */
long long sp_h_metric(const char *addr, const char *line);

/* sp_h_post_ready is sp_h_http's POST, retried for up to 30 s while the
 * node answers 503: right after a start a node holds its appends until its
 * peers told it its own log's size (docs/replication.md §10.8). */
int sp_h_post_ready(const char *addr, const char *path, const char *extra, const void *body,
		    size_t len, struct sp_h_resp *r);

/* sp_h_header copies header `name`'s value into buf; NULL if absent. */
const char *sp_h_header(const struct sp_h_resp *r, const char *name, char *buf, size_t cap);

void sp_h_resp_free(struct sp_h_resp *r);

/* ---- one simpuld of a test's own making ------------------------------------------ */

/* A node a test configures itself: its folder, config, log, data folder,
 * and once started its HTTP address and peer URL. */
struct sp_h_node {
	const char *id;
	char dir[PATH_MAX];
	char ini[PATH_MAX + 16];
	char log[PATH_MAX + 16];
	char data[PATH_MAX + 8];
	char addr[64];     /* HTTP "127.0.0.1:port" */
	char peer_url[96]; /* its peer listener, if any */
	pid_t pid;         /* 0: not running */
};

/* sp_h_node_init names node id's files in folder dir (made here). */
void sp_h_node_init(struct sp_h_node *n, const char *id, const char *dir);

/* sp_h_node_fill appends `count` entries with `text` to n's own log
 * ("simpul.local/<id>", key fed/keys/<id>.key) with `simpul log append`,
 * the node stopped. */
void sp_h_node_fill(const struct sp_h_node *n, const char *fed, int count, const char *text);

/* sp_h_node_config writes n's config for a `simpul federation init`
 * federation in fed: n's keys there, HTTP on port 0 without a rate limit,
 * the [peer] lines in `peer` ("listen = ...\npeers = ...\n"), the directory
 * (root_vkey, fed), checkpoints every 100 ms. */
void sp_h_node_config(const struct sp_h_node *n, const char *fed, const char *root_vkey,
		      const char *peer);

/* sp_h_node_start starts simpuld on n->ini and waits for its HTTP address
 * (and, with listen, its peer URL); fails the test with its log if it
 * does not start. sp_h_node_stop sends SIGTERM and asserts a clean exit;
 * sp_h_node_kill sends SIGKILL. */
void sp_h_node_start(struct sp_h_node *n, int listen);
void sp_h_node_stop(struct sp_h_node *n);
void sp_h_node_kill(struct sp_h_node *n);

/* ---- a federation and the node of 73.12 ---------------------------------------- */

struct sp_h_fed {
	char dir[PATH_MAX];       /* scratch */
	char fed[PATH_MAX + 8];   /* federation folder (simpul federation init) */
	char ini[PATH_MAX + 16];  /* the node's config */
	char log[PATH_MAX + 16];  /* its output */
	char data[PATH_MAX + 8];  /* its data folder */
	char addr_file[PATH_MAX + 32];
	char addr[64];            /* "127.0.0.1:port" once started */
	char root_vkey[300];
	pid_t pid;                /* 0: not running */
	json_t *bodies;           /* every response body sp_h_call saw (privacy checks) */
};

/* sp_h_port_block gives this process a block of 200 loopback ports,
 * [base, base + 200), for a federation whose directory names fixed ports
 * (`federation init --port-base base`): a block between 20000 and 32000
 * (below the kernel's ephemeral ports) on which nothing listens now, and
 * that no other test on this machine (any suite, any build) holds: each
 * block is taken with a lock on a file in /tmp/simpul-test-ports, held
 * until the process exits. base is a multiple of 200. Fails the test if
 * every block is taken. Tests that need no fixed ports listen on :0. */
unsigned sp_h_port_block(void);

/* sp_h_fed_init makes a scratch folder `name`, a federation of province 73
 * in it, and the config of node 73.12 (sp_h_fed_config); nothing runs.
 * sp_h_fed_init_ports does the same with the directory's loopback ports
 * from port_base (`federation init --port-base`; 0: the default), for
 * tests that run the federation with `simpul federation up`. */
void sp_h_fed_init(struct sp_h_fed *f, const char *name);
void sp_h_fed_init_ports(struct sp_h_fed *f, const char *name, unsigned port_base);

/* sp_h_fedgen runs `simpul federation init --subset 73` into folder fed
 * (port_base: its --port-base, 0 for the default), its output kept in
 * scratch/fedgen.out, and copies the coordinator's verifier key (the
 * nodes' [federation] root_key) into root_vkey (cap bytes). */
void sp_h_fedgen(const char *scratch, const char *fed, unsigned port_base, char *root_vkey,
		 size_t cap);

/* sp_h_fed_free kills a node still running and frees f->bodies. */
void sp_h_fed_free(struct sp_h_fed *f);

/* sp_h_fed_down stops a federation started with `simpul federation up`
 * (its nodes, whatever state they are in) and frees f: a test's teardown. */
void sp_h_fed_down(struct sp_h_fed *f);

/* sp_h_dir_enrol appends an officer enrolment (officer key pk of inst,
 * with role) to the coordinator's directory log of federation folder fed:
 * to its store (DIR/store, which `federation up` copies for the
 * coordinator's node) and its files directory.entries and
 * directory.checkpoint. sp_h_fed_enrol: f's federation, a penghubung. */
void sp_h_dir_enrol(const char *fed, const char *inst, const uint8_t pk[32], const char *name,
		    enum sp_dir_role role);

/* sp_h_dir_append appends a directory record (body of entry type `type`)
 * to the coordinator's log in the store of folder `store` (a stopped
 * coordinator node's data folder), or with store NULL to the federation
 * folder fed's store and files, as sp_h_dir_enrol does. */
void sp_h_dir_append(const char *fed, const char *store, uint64_t type, const struct sp_buf *body);
void sp_h_fed_enrol(const struct sp_h_fed *f, const char *inst, const uint8_t pk[32],
		    const char *name);

/* sp_h_fed_config writes a config for node 73.12 to ini with data folder
 * data and directory `directory` (checkpoints every 100 ms, escalation
 * pass every second, no rate limit, 64 KiB bodies). */
void sp_h_fed_config(const struct sp_h_fed *f, const char *ini, const char *data,
		     const char *directory);

/* sp_h_fed_start starts simpuld on f->ini and waits for its address;
 * sp_h_fed_stop sends SIGTERM and asserts a clean exit. */
void sp_h_fed_start(struct sp_h_fed *f);
void sp_h_fed_stop(struct sp_h_fed *f);

/* sp_h_call sends a request to the node (type: the Content-Type, or NULL),
 * asserts the status, keeps the body in f->bodies and returns it parsed
 * (NULL if not JSON; caller decrefs). */
json_t *sp_h_call(struct sp_h_fed *f, const char *method, const char *path, const char *type,
		  const void *body, size_t len, int want);

/* sp_h_call_err expects a JSON error with code `code` and status want. */
void sp_h_call_err(struct sp_h_fed *f, const char *method, const char *path, const char *type,
		   const void *body, size_t len, int want, const char *code);

/* sp_h_own_size: the node's own log size (GET /v1/status). */
long long sp_h_own_size(struct sp_h_fed *f);

/* ---- `simpul federation up`: one process per institution ---------------------- */

/* sp_h_fedup runs `simpul federation a1 --dir fed [a2]` (a2 may be NULL)
 * with its output in scratch/simpul.<n>.out; returns its exit code and,
 * if out is not NULL, the output (malloc'ed; NULL if unreadable). */
int sp_h_fedup(const char *fed, const char *scratch, char **out, const char *a1, const char *a2);

/* sp_h_fedup_addr reads node id's HTTP address ("127.0.0.1:port") from
 * fed/nodes/<id>/data/simpuld.addr; fails the test if there is none. */
void sp_h_fedup_addr(const char *fed, const char *id, char *out, size_t cap);

#endif

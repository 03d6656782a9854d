/*
 * simpul.h - shared by the simpul command-line tool's source files: the
 * subcommand table type, exit codes, error reporting, and the operations
 * more than one command performs (opening stores, appending, auditing).
 */
#ifndef SIMPUL_H
#define SIMPUL_H

#include <stddef.h>
#include <stdint.h>

#include "sp_audit.h"
#include "sp_store.h"

/* Exit codes: every command uses these three. */
#define SIMPUL_OK 0
#define SIMPUL_FAIL 1  /* the command ran and something failed */
#define SIMPUL_USAGE 2 /* bad command line: nothing was done */

/* One (sub)command. run gets argv[0] = the full command name ("simpul log
 * append"), so getopt and messages name it, and the options after it. */
struct simpul_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* simpul_dispatch runs the command named by argv[1] from cmds (ended by a
 * NULL name), handling --help/-h and unknown commands. argv[0] is the
 * group's full name ("simpul", "simpul log"). Returns an exit code. */
int simpul_dispatch(const struct simpul_cmd *cmds, int argc, char **argv);

/* simpul_usage prints "<cmd>: <message>" and a pointer to --help on
 * stderr and returns SIMPUL_USAGE. */
int simpul_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* simpul_fail prints "simpul: <what>: <sp_strerror(err)>" on stderr and
 * returns SIMPUL_FAIL. */
int simpul_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* simpul_signing_key loads the officer's or admin's key a command signs
 * with: key file `key`, protected by the passphrase on the first line of
 * file `pass` ("-": standard input) when pass is not NULL
 * (sp_keyfile_open). On error it prints why (never the key or the
 * passphrase) and returns SIMPUL_FAIL; sk is the caller's to zero. */
int simpul_signing_key(const char *key, const char *pass, uint8_t pk[32], uint8_t sk[64]);

/* The help line every command that signs with --key ends with. */
#define SIMPUL_PASS_HELP                                                              \
	"A key file protected by a passphrase ('simpul keygen --passphrase-file') is\n" \
	"opened with --passphrase-file PASS: the passphrase is PASS's first line ('-':\n" \
	"read it from standard input).\n"

/* simpul_bad_option reports the option getopt rejected (it already
 * printed why) and returns SIMPUL_USAGE. */
int simpul_bad_option(const char *cmd);

/* simpul_parse_u64 reads a decimal number (no sign, no junk). 0 or -1. */
int simpul_parse_u64(const char *s, uint64_t *v);

/* simpul_threads_arg reads the value of --threads (1..1024) into *out: 0,
 * or SIMPUL_USAGE after saying why. */
int simpul_threads_arg(const char *cmd, const char *arg, uint64_t *out);

/* simpul_pool_start starts the workers of a verifying command: `threads`
 * in all (0: one per CPU), the caller being one of them. SIMPUL_OK, or
 * SIMPUL_FAIL after saying why. The caller destroys *pool. */
struct sp_pool;
int simpul_pool_start(uint64_t threads, struct sp_pool **pool);

/* simpul_sibling puts the path of executable `name` in the folder of this
 * one (out: cap bytes). 0, or SP_ERR_NOT_FOUND. */
int simpul_sibling(const char *name, char *out, size_t cap);

/* simpul_hex writes n bytes as lowercase hex into out (2n + 1 bytes). */
void simpul_hex(const uint8_t *p, size_t n, char *out);

/* ---- operations shared between commands -------------------------------- */

/* simpul_open_own opens (creating if needed) the store in `data` with the
 * own log `origin` signed by sk. Reports its own errors. */
int simpul_open_own(const char *data, const char *origin, const uint8_t sk[SP_SECRET_BYTES],
		    uint32_t checkpoint_ms, struct sp_store **out);

/* simpul_open_ro opens a store read-only (no key needed). Reports errors. */
int simpul_open_ro(const char *data, struct sp_store **out);

/* Gives the text of the i-th entry of a bulk append: either written into
 * scratch (cap bytes) or a pointer to the caller's own; *len its length. */
typedef const char *(*simpul_text_fn)(void *ctx, uint64_t i, char *scratch, size_t cap,
				      size_t *len);

/* Where a bulk append reports each entry (optional). */
struct simpul_slot {
	int err;
	uint64_t index;
	uint8_t hash[SP_HASH_BYTES];
};

/* What a bulk append did. */
struct simpul_appended {
	uint64_t ok;       /* entries durable */
	uint64_t first, last; /* their index range (if ok > 0) */
	int err;           /* first error, 0 if none */
	double seconds;
};

/* simpul_append_bulk appends n entries of `type`, body {0: text}, with the
 * texts from fn, all queued at once (sp_store_append_async: the store signs
 * and fsyncs them in large groups), waits until every one is durable or
 * failed, and signs a checkpoint. slots (optional, n of them) receive each
 * entry's outcome. A progress bar shows on a terminal. Returns out->err. */
int simpul_append_bulk(struct sp_store *s, uint64_t type, uint64_t n, simpul_text_fn fn,
		       void *ctx, struct simpul_slot *slots, struct simpul_appended *out);

/* simpul_body_text builds the CBOR body {0: text} into b. */
void simpul_body_text(struct sp_buf *b, const char *text, size_t len);

/* simpul_print_report prints an audit report as the `log verify` summary
 * (and the failure on stderr). Returns SIMPUL_OK or SIMPUL_FAIL. */
int simpul_print_report(const struct sp_audit_report *rep, int tiles);

/* simpul_export_log writes log `origin` (NULL: the only log) of an open
 * store as tiles into outdir and prints what it wrote. */
int simpul_export_log(struct sp_store *s, const char *origin, const char *outdir);

/* ---- a node's HTTP API (simpul_report.c) ------------------------------- */

struct json_t; /* jansson */

/* simpul_api_call sends `method` node+path (with a JSON body, or NULL) and
 * returns the parsed JSON response; NULL after printing why on stderr (no
 * answer, or a status other than want: the node's SP_ERR_* code and
 * message). The caller json_decref's the result. */
struct json_t *simpul_api_call(const char *node, const char *method, const char *path,
			       const char *body, long want);

/* simpul_http_get GETs node+path and appends the raw body to out (the
 * caller's); *status gets the HTTP status. SP_ERR_IO (printed) if there is
 * no answer. */
int simpul_http_get(const char *node, const char *path, struct sp_buf *out, long *status);

/* simpul_join is `simpul init --join URL` (simpul_join.c): set up node id
 * in dir for a running federation, its directory taken from the node at
 * url; http and peer are the node's HTTP and peer listen addresses; root
 * (optional) the coordinator's verifier key to check the directory
 * against. Returns an exit code. */
int simpul_join(const char *dir, const char *id, const char *url, const char *http,
		const char *peer, const char *root);

/* ---- commands ------------------------------------------------------------ */

int simpul_keygen_main(int argc, char **argv);
int simpul_init_main(int argc, char **argv);
int simpul_log_main(int argc, char **argv);
int simpul_fork_main(int argc, char **argv);
int simpul_index_main(int argc, char **argv);
int simpul_log_append_main(int argc, char **argv);
int simpul_log_verify_main(int argc, char **argv);
int simpul_log_export_main(int argc, char **argv);
int simpul_demo_main(int argc, char **argv);
int simpul_backup_main(int argc, char **argv);
int simpul_federation_main(int argc, char **argv);
/* simpul_federation_up.c: a local federation of simpuld processes */
int simpul_federation_up_main(int argc, char **argv);
int simpul_federation_down_main(int argc, char **argv);
int simpul_federation_status_main(int argc, char **argv);
int simpul_federation_kill_main(int argc, char **argv);
int simpul_federation_start_main(int argc, char **argv);
int simpul_submit_main(int argc, char **argv);
int simpul_track_main(int argc, char **argv);
int simpul_act_main(int argc, char **argv);
int simpul_open_main(int argc, char **argv);
int simpul_query_main(int argc, char **argv);
int simpul_verify_receipt_main(int argc, char **argv);
/* simpul_admin.c: signed administrative requests and directory reads */
int simpul_officer_main(int argc, char **argv);
int simpul_institution_main(int argc, char **argv);
int simpul_route_main(int argc, char **argv);
int simpul_policy_main(int argc, char **argv);
int simpul_calendar_main(int argc, char **argv);
int simpul_audit_main(int argc, char **argv);

/* simpul_node_demo is `simpul demo --node` (simpul_node_demo.c): dir is
 * the demo's folder, http the node's address, wilayah the region list to
 * try first. Returns an exit code. */
int simpul_node_demo(const char *dir, const char *http, const char *wilayah);

#endif

/*
 * sp_nodetest.h - helpers for system tests that configure their own simpuld
 * nodes (struct sp_h_node) around the national coordinator's node: a
 * node's JSON answers and status, its config rewritten and reloaded
 * (peers, signing keys), checkpoints and their signatures, and the
 * coordinator-plus-kabupaten fixture test_admin and test_root_rotation
 * share: a subset-73 federation from `simpul federation init` with C =
 * the coordinator (KEMENPANRB, its own log is the directory) and A =
 * Kabupaten Soppeng (73.12) dialing C, every port chosen by the kernel.
 *
 * Functions fail the current cmocka test on unexpected errors. Waits are
 * bounded by SP_FT_WAIT_MS (sp_fedtest.h), whose sp_ft_wait polls the
 * tests' own conditions.
 */
#ifndef SP_NODETEST_H
#define SP_NODETEST_H

#include <limits.h>
#include <stddef.h>
#include <stdlib.h> /* SP_NT_CLI's free */

#include <jansson.h>

#include "sp_node_harness.h"

/* ---- one node ------------------------------------------------------------------------------ */

/* sp_nt_node_init names node id's files in folder scratch/sub (made here)
 * and makes its data folder. */
void sp_nt_node_init(struct sp_h_node *n, const char *id, const char *scratch, const char *sub);

/* sp_nt_seed_store gives node n (not running) a copy of folder/store: with
 * a federation folder the coordinator's store, as `simpul federation up`
 * does; with a `simpul backup` the store backed up. */
void sp_nt_seed_store(const struct sp_h_node *n, const char *folder);

/* sp_nt_json: n's answer to GET path parsed, if it is a 200 with JSON;
 * else NULL. Caller decrefs. */
json_t *sp_nt_json(const struct sp_h_node *n, const char *path);

/* sp_nt_own_size: n's own log size (GET /v1/status); fails the test if
 * n does not answer. */
long long sp_nt_own_size(const struct sp_h_node *n);

/* sp_nt_status_str: string field `key` of n's GET /v1/status into out
 * ("" if absent). */
void sp_nt_status_str(const struct sp_h_node *n, const char *key, char *out, size_t cap);

/* sp_nt_cp_size: the size of n's latest checkpoint of log `log` (an
 * institution id), -1 if none; with note not NULL the checkpoint text
 * (NULL if none) goes to *note, which the caller frees. */
long long sp_nt_cp_size(const struct sp_h_node *n, const char *log, char **note);

/* sp_nt_opens_with: 1 if checkpoint note opens with verifier key vkey. */
int sp_nt_opens_with(const char *note, const char *vkey);

/* sp_nt_set_peers points n's config (node stopped) at the peer listener
 * url and appends `extra` (config lines, "" for none). */
void sp_nt_set_peers(const struct sp_h_node *n, const char *url, const char *extra);

/* sp_nt_sighup_wait sends n SIGHUP and waits until its log holds `want`
 * nth times (a reload's line; the count includes earlier reloads). */
void sp_nt_sighup_wait(const struct sp_h_node *n, const char *want, int nth);

/* sp_nt_set_key rewrites n's [node] key (and key_previous, unless prev is
 * NULL), reloads it (SIGHUP) and waits for the nth log line holding want. */
void sp_nt_set_key(const struct sp_h_node *n, const char *cur, const char *prev, const char *want,
		   int nth);

/* An officer's key (hex) in n's GET /v1/officers?inst=INST: for sp_ft_wait. */
struct sp_nt_listed {
	const struct sp_h_node *node;
	const char *inst;
	char key[65];
};

/* sp_nt_officer_listed(struct sp_nt_listed *): 1 if the node lists it. */
int sp_nt_officer_listed(void *arg);

/* sp_nt_word_after: the word after `key` in text (CLI output) into out;
 * fails the test with the text if key is not there. */
void sp_nt_word_after(const char *text, const char *key, char *out, size_t cap);

/* ---- the coordinator-plus-kabupaten fixture ------------------------------------------------ */

struct sp_nt_fix {
	char dir[PATH_MAX - 64]; /* scratch */
	char fed[PATH_MAX - 32]; /* federation folder */
	char root_vkey[300];     /* the genesis root key, every node's [federation] root_key */
	char c_url[96], a_url[96];
	struct sp_h_node c, a;
	struct sp_h_node n; /* a node the test joins later (sp_nt_fix_kill stops it) */
};

/* sp_nt_fix_setup makes scratch folder `name` and the federation, gives C
 * the coordinator's store and starts C (peer listener on :0; c_extra: more
 * config lines, "" for none), then A dialing C, and sets the URLs. */
void sp_nt_fix_setup(struct sp_nt_fix *g, const char *name, const char *c_extra);

/* sp_nt_fix_kill kills A, C and N, whichever run (a teardown, also after a
 * test failed midway). */
void sp_nt_fix_kill(struct sp_nt_fix *g);

/* sp_nt_key: the path of the federation's key file of institution id:
 * keys/ID.KIND.key (kind "admin", "officer"), keys/ID.key for kind "". */
void sp_nt_key(const struct sp_nt_fix *g, char *out, size_t cap, const char *id, const char *kind);

/* sp_nt_keygen runs `simpul keygen --out path` (a fresh signing key) and
 * writes its public key (hex) into hex. */
void sp_nt_keygen(const struct sp_nt_fix *g, const char *path, char hex[65]);

/* sp_nt_fix_join_init prepares N, province 74 joining the running
 * federation: `simpul init --dir SCRATCH/n --id 74 --join A --root-key
 * <genesis root key>` (N's ports chosen by the kernel). N's signing and
 * seal keys (hex) go to sign and seal; returns the command's output
 * (caller frees). */
char *sp_nt_fix_join_init(struct sp_nt_fix *g, char sign[65], char seal[65]);

/* sp_nt_fix_add_province has the coordinator's admin (key file admin)
 * publish province id's record (`simpul institution add` to C: named
 * name, under KEMENPANRB, for region id, keys sign and seal); wants exit
 * code want. */
void sp_nt_fix_add_province(const struct sp_nt_fix *g, int want, const char *admin, const char *id,
			    const char *name, const char *sign, const char *seal);

/* sp_nt_fix_start_n points N's config at C's peer listener (checkpoints
 * every 100 ms) and starts it. */
void sp_nt_fix_start_n(struct sp_nt_fix *g);

/* sp_nt_cli runs `simpul args...` (NULL-ended), wants exit code want and
 * returns its output alone (caller frees). SP_NT_CLI takes the arguments
 * inline and drops the output. */
char *sp_nt_cli(const struct sp_nt_fix *g, int want, const char *const *args);

#define SP_NT_CLI(g, want, ...)                                                                \
	do {                                                                                   \
		const char *args_[] = {__VA_ARGS__, NULL};                                     \
		free(sp_nt_cli((g), (want), args_));                                           \
	} while (0)

#endif

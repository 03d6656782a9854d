/*
 * sp_fedaudit.h - the coordinator's audit of a whole federation
 * (`simpul audit`, docs/audit.md).
 *
 * Trusting nothing but the coordinator's verifier key, it reads the
 * coordinator's log (the directory) from the sources given (nodes over
 * HTTP tlog-tiles, or folders laid out as /logs/<inst>/...), verifies it
 * and builds the directory from it; then, for every institution the
 * directory names, it asks every source for that log's checkpoint, checks
 * each one's signature (and the cosignatures by other institutions), and
 * verifies the entries and hash tiles of the largest one (the next source
 * if that one serves bad data) with sp_audit on all cores. The other
 * checkpoints and the previous audit's (size, root) must be roots of the
 * verified tree: a signed checkpoint that is not is proof of a fork.
 *
 * Reports are then recomputed from the verified entries with
 * sp_report_compute (the node's own pure function, with the directory as
 * its context), and the handling figures (sp_fedaudit_fig.c) are derived
 * from the computed states and the applied trail entries only. What could
 * not be verified (an unreachable source, a log nobody serves, a partial
 * or forked log) is recorded with the reason, and the rest still counted.
 */
#ifndef SP_FEDAUDIT_H
#define SP_FEDAUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "sp_audit.h"
#include "sp_cal.h"
#include "sp_dir.h"
#include "sp_hfig.h"
#include "sp_pool.h"
#include "sp_report.h"

#define SP_FA_MAX_SOURCES 64
#define SP_FA_WHY 256

/* One source: a node's base URL ("http://127.0.0.1:8080") or a folder
 * holding <inst>/checkpoint, <inst>/tile/... for each log. */
struct sp_fa_source {
	char name[512];
	int http;
	int reached;      /* it answered at least one request */
	char why[SP_FA_WHY]; /* why it could not be used, "" if it could */
	void *conn;       /* internal: the HTTP connection */
};

/* What one source served for one log. */
struct sp_fa_seen {
	int err;          /* fetching or checking its checkpoint: 0, SP_ERR_NOT_FOUND (not held), ... */
	uint64_t size;
	uint8_t root[32];
	int agrees;       /* -1 not compared (beyond the verified tree), 0 contradicts it, 1 agrees */
	int tiles_err;    /* its entries or tiles failed verification (0: fine or not read) */
	char why[SP_FA_WHY];
	unsigned cosigs_ok, cosigs_bad, cosigs_unknown;
	int set_aside;    /* it serves the branch the coordinator's resolution set aside */
};

enum sp_fa_log_status {
	SP_FA_LOG_OK,        /* every entry up to the largest checkpoint verified */
	SP_FA_LOG_PARTIAL,   /* a prefix verified; the rest could not be */
	SP_FA_LOG_UNVERIFIED,/* no entry verified: nobody served it, or only bad data */
	SP_FA_LOG_FORKED,    /* signed statements that cannot all be true */
	SP_FA_LOG_ABSENT,    /* every source answered: none holds it (nothing written yet,
			      * or no node of it among the sources) */
};

/* One institution's log. */
struct sp_fa_log {
	char inst[SP_INST_ID_MAX + 1];
	char name[SP_DIR_NAME_MAX + 1];
	enum sp_dir_tier tier;
	char parent[SP_INST_ID_MAX + 1];
	char origin[SP_ORIGIN_MAX + 1];
	uint8_t pk[SP_KEY_BYTES];    /* the latest key */
	struct sp_keyhist keys;      /* every key, from the directory (protocol.md §9) */
	enum sp_fa_log_status status;
	uint64_t verified;   /* entries verified, [0, verified) */
	uint64_t cp_size;    /* the largest validly signed checkpoint seen */
	uint8_t root[32];    /* root of the verified entries */
	int src;             /* source whose tiles were verified, -1 none */
	uint64_t tiles;      /* hash tiles compared */
	char cosigners[512]; /* institutions whose cosignature on the used checkpoint verified */
	unsigned n_cosigners;
	int prev;            /* the previous audit had it: 1, and prev_size/root */
	uint64_t prev_size;
	uint8_t prev_root[32];
	int prev_ok;         /* -1 not checkable (shorter now), 0 rewritten, 1 consistent */
	int prev_set_aside;  /* the previous audit's tree is the branch a resolution set aside */
	/* the coordinator's resolution of a fork in this log, the latest in
	 * its log (docs/replication.md 10.10): the log is the tree of
	 * res.size entries whose root is res.root */
	int resolved;
	struct sp_dir_forkres res;
	uint64_t res_entry;  /* the resolution's index in the coordinator's log */
	char why[SP_FA_WHY]; /* what could not be verified, "" if all was */
	struct sp_fa_seen *seen; /* per source */
	char *note;          /* the checkpoint used (signed note), note_len bytes */
	size_t note_len;
	/* internal: the verified entries of interest (reports, actions,
	 * escalations), back to back, and where each starts */
	uint8_t *bytes;
	size_t bytes_len, bytes_cap;
	struct sp_fa_item *items;
	size_t n_items, cap_items;
};

/* A verified entry of interest. */
struct sp_fa_item {
	uint32_t log;     /* index into logs */
	uint64_t index;
	uint64_t time_ms;
	uint64_t type;
	size_t off, len;  /* in the log's bytes */
	size_t body_off, body_len; /* its body, within the entry: decoded once, when verified */
	uint8_t hash[SP_HASH_BYTES];
	uint8_t report[SP_HASH_BYTES]; /* the report it belongs to */
	int bad;          /* the body does not parse: SP_ERR_* */
};

/* A fork resolution in the coordinator's log. */
struct sp_fa_res {
	struct sp_dir_forkres r;
	uint64_t entry; /* its index in the coordinator's log */
};

struct sp_fa_opts {
	const char *root_vkey;      /* the coordinator's verifier key */
	const char *const *sources; /* URLs (http://, https://) or folders */
	size_t n_sources;
	const char *state_in;       /* previous audit's state file (NULL: none) */
	uint64_t now_ms;            /* the audit's "now" (deadlines, ages) */
	unsigned chain_n;           /* flag routing chains of more than N institutions */
	struct sp_pool *pool;       /* borrowed */
	int quiet;                  /* no progress on stderr */
	const char *save;           /* copy every verified log's tiles here (NULL: no) */
	struct sp_hfig_period period; /* figures of the reports submitted in it only */
	char month[8];              /* "YYYY-MM" the period is, "" for all time */
};

struct sp_fa_fig; /* sp_fedaudit_fig.c */
struct json_t;     /* jansson */

/* One audit. Owned by the caller: sp_fa_free. */
struct sp_fa {
	struct sp_fa_opts o;
	struct sp_note_key root;
	char federation[SP_ORIGIN_MAX + 1];
	char coordinator[SP_INST_ID_MAX + 1];
	struct sp_dir *dir;
	struct sp_cal cal;
	struct sp_fa_source src[SP_FA_MAX_SOURCES];
	size_t n_src;
	struct sp_fa_log *logs;
	size_t n_logs;
	struct sp_fa_res *res; /* the fork resolutions in force, one per log (the latest) */
	size_t n_res;
	uint64_t entries;      /* entries verified, all logs */
	double verify_s;       /* time spent fetching and verifying logs */
	double figures_s;      /* time spent on states and figures */
	int complete;          /* every log OK */
	struct sp_fa_fig *fig;
	struct json_t *state;  /* internal: the previous audit's state */
	char why[SP_FA_WHY];   /* a failure that stopped the audit */
};

/* sp_fa_run runs the whole audit into a (zeroed by it): directory, logs,
 * states, figures. 0 when it ran (whatever it found: see the logs'
 * status), or the error that stopped it (bad root key or sources, no
 * verifiable directory, out of memory) with a->why. */
int sp_fa_run(const struct sp_fa_opts *o, struct sp_fa *a);

/* sp_fa_free releases everything a holds. */
void sp_fa_free(struct sp_fa *a);

/* sp_fa_state_write writes the state the next audit checks consistency
 * against: per log, the size and root verified (a log that did not verify
 * keeps its previous entry). SP_ERR_IO. */
int sp_fa_state_write(const struct sp_fa *a, const char *path);

/* sp_fa_status_name: "ok", "partial", "unverified", "forked", "absent". */
const char *sp_fa_status_name(enum sp_fa_log_status s);

/* ---- figures (sp_fedaudit_fig.c) ------------------------------------------ */

/* sp_fa_figures recomputes every report's state and derives the figures
 * into a->fig. Called by sp_fa_run. */
int sp_fa_figures(struct sp_fa *a);

/* ---- output (sp_fedaudit_out.c) -------------------------------------------- */

/* Each writes the whole report to path: SP_ERR_IO, SP_ERR_NOMEM. */
int sp_fa_write_json(const struct sp_fa *a, const char *path);
int sp_fa_write_csv(const struct sp_fa *a, const char *path);
int sp_fa_write_html(const struct sp_fa *a, const char *path);

#endif

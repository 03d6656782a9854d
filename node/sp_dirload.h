/*
 * sp_dirload.h - the federation directory on a running node.
 *
 * At start the node loads the coordinator's directory log, as written by
 * `simpul federation init` (DIR/directory.entries: each entry a 2-byte
 * big-endian length and the entry bytes; DIR/directory.checkpoint: the
 * coordinator's signed checkpoint). Every entry is decoded and verified
 * (sp_entry_open), must be signed by the configured (genesis) root key or
 * the key a coordinator record in the file rotated it to, in force at the
 * entry's time (sp_dirchain, docs/protocol.md §9), and must extend the one
 * before (index, previous hash, time): together they are the coordinator's
 * log. They go into the store as a replica log of origin
 * "<federation>/<coordinator id>" (idempotent: entries already held are
 * skipped), its key history first extended with the keys the file
 * rotated to, with the checkpoint if one is given. Then the directory is
 * built from what the store holds for that log (so a restart without the
 * file, or a log that has grown since, gives the same result): every
 * directory record is applied to an sp_dir, calendar records to the
 * working-day calendar (on top of the built-in 2026 default), and routing
 * rules are remembered by rule id with the hash of their entry (a report
 * records that hash).
 *
 * Bad directory data (framing, signature, author, chain, a store that
 * refuses the entries) stops start-up with a message naming the file and
 * entry. A record the directory refuses (sp_dir_apply) is logged and
 * skipped, as every node skips it.
 *
 * The node's seal keys are loaded too: [node] seal_key, the current one,
 * and seal_keys_previous, the ones it replaced (kept so that reports
 * sealed before a rotation still open). The X25519 key that the
 * directory's record of this institution carries must be one of them: the
 * new key may be configured before its record is published, or after.
 * SIGHUP re-reads them (sp_dirload_seal_reload).
 *
 * While the node runs, records that replication adds to the directory log
 * are applied as they arrive (sp_dirload_grow, from the ingest thread):
 * the sp_dir and the calendar lock themselves, the rule table is under a
 * mutex here. A change of coordinator takes effect at the next start
 * (`coordinator` is read without locks). Admin requests (SP_EV_ADMIN,
 * sp_admin.h) are applied by the directory; a calendar or route they
 * carry reaches the calendar and the rule table like a plain one.
 */
#ifndef SP_DIRLOAD_H
#define SP_DIRLOAD_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "sp_cal.h"
#include "sp_conf.h"
#include "sp_dir.h"
#include "sp_logx.h"
#include "sp_report.h"
#include "sp_store.h"

#define SP_DIRLOAD_SEALS (1 + SP_CONF_SEALS_PREV_MAX)

/* One routing rule as recorded: its id and the hash of its entry. */
struct sp_dirload_rule {
	char id[SP_DIR_RULE_MAX + 1];
	uint8_t hash[SP_HASH_BYTES];
};

struct sp_dirload {
	struct sp_dir *dir;        /* NULL: standalone node (no root key) */
	struct sp_cal cal;         /* holidays: 2026 default + calendar records */
	char coordinator[SP_INST_ID_MAX + 1]; /* "" if none yet */
	int has_log;
	uint32_t log_id;           /* the directory log in the store */
	uint64_t applied, refused; /* directory entries applied, refused */
	struct sp_dirload_rule *rules;  /* under rules_mu */
	size_t n_rules;
	pthread_mutex_t rules_mu;
	uint64_t next;             /* the directory log's entries applied: [0, next) */
	uint32_t cal_year;         /* earliest year whose calendar a live grow loaded
				    * (0: none since sp_dirload_calendar_taken); rules_mu */
	pthread_mutex_t seal_mu;   /* the seal keys (a reload replaces them) */
	size_t n_seals;            /* 0: none; [0] seal_key, then seal_keys_previous */
	uint8_t seal_pk[SP_DIRLOAD_SEALS][32], seal_sk[SP_DIRLOAD_SEALS][32];
};

/* sp_dirload_open loads the directory as above into a new *out (the
 * caller frees it with sp_dirload_free). Errors are logged to log with
 * what is wrong: SP_ERR_IO, SP_ERR_CORRUPT (framing), SP_ERR_WRONG_AUTHOR,
 * the sp_entry_open and sp_store_insert errors, SP_ERR_CONFIG (seal key),
 * SP_ERR_NOMEM. */
int sp_dirload_open(const struct sp_conf *c, struct sp_store *s, struct sp_logx *log,
		    struct sp_dirload **out);

/* sp_dirload_admitted: 1 if the node may write to its own log: it has no
 * directory (standalone), or the directory holds institution id with
 * signing key pk. 0 while a joining node waits for its record
 * ([federation] await_record), or if the record holds another key. */
int sp_dirload_admitted(const struct sp_dirload *d, const char *id, const uint8_t pk[32]);

/* sp_dirload_check (simpuld --check-config) builds, without starting
 * anything, the directory a start would have (the file, checked against
 * the root key, and what the node's store holds beyond it, if no running
 * node holds the store and it can be read), prints to out the root key, the directory and the record it
 * checked against, and checks that the directory holds [node] id (or
 * await_record is set) with [node] key and seal_key as its keys. 0, or an
 * error with why (cap bytes; errors reading the directory are logged to
 * log instead, naming the setting and its line). */
int sp_dirload_check(const struct sp_conf *c, FILE *out, struct sp_logx *log, char *why,
		     size_t cap);

/* sp_dirload_free releases everything (the seal keys are wiped). NULL: no-op. */
void sp_dirload_free(struct sp_dirload *d);

/* sp_dirload_seal_reload reads c's seal keys again (SIGHUP): if they load
 * and the directory's current seal key for c->id is among them, they
 * replace the keys in use; else the keys in use stay and the error is
 * logged (SP_ERR_CONFIG, or the key file's error). */
int sp_dirload_seal_reload(struct sp_dirload *d, const struct sp_conf *c, struct sp_logx *log);

/* sp_dirload_seal_check: 0 if the directory's current seal key for id is
 * one of the node's (or the node has none); else logs what to do and
 * returns SP_ERR_CONFIG (a rotation published before the node has the
 * new key). */
int sp_dirload_seal_check(const struct sp_dirload *d, const char *id, struct sp_logx *log);

/* sp_dirload_open_key opens institution inst's copy of a content key among
 * keys[0..n) with any of the node's seal keys (the current one first).
 * SP_ERR_SEALED if none does (or the node has none). */
int sp_dirload_open_key(const struct sp_dirload *d, const struct sp_report_key *keys, size_t n,
			const char *inst, uint8_t key_out[SP_REPORT_CKEY_BYTES]);

/* sp_dirload_rule_hash finds the entry hash of routing rule `id`
 * (SP_ERR_NOT_FOUND, e.g. for a "default:" route). */
int sp_dirload_rule_hash(const struct sp_dirload *d, const char *id,
			 uint8_t hash[SP_HASH_BYTES]);

/* sp_dirload_rule_name copies into out the id of the rule whose entry
 * hash is `hash`: 0, or SP_ERR_NOT_FOUND. */
int sp_dirload_rule_name(const struct sp_dirload *d, const uint8_t hash[SP_HASH_BYTES],
			 char out[SP_DIR_RULE_MAX + 1]);

/* sp_dirload_grow applies the directory log's entries that the store
 * holds beyond those applied so far (one thread at a time: the ingest
 * thread, or on the coordinator's node the admin API, whose appends are
 * its own log's), logging each record refused. *added (optional) gets how many were applied. Store
 * errors; SP_ERR_ARG without a directory log. */
int sp_dirload_grow(struct sp_dirload *d, struct sp_store *s, struct sp_logx *log,
		    uint64_t *added);

/* sp_dirload_calendar_taken: 1 and *year (the earliest) if a year's
 * calendar was published by records applied since the last call (the
 * node then recomputes the deadlines reaching into it), else 0. */
int sp_dirload_calendar_taken(struct sp_dirload *d, uint32_t *year);

#endif

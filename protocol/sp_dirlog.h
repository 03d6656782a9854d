/*
 * sp_dirlog.h - the coordinator's directory log, one entry at a time:
 * applied to a directory and a working-day calendar (what a node does at
 * start and as the log grows, node/sp_dirload.c, and what the
 * coordinator's audit does from the verified log, tools/sp_fedaudit.c, so
 * both build the same directory and calendar from the same entries); and
 * checked from the federation's genesis root key across the coordinator's
 * own key rotations (docs/protocol.md §9, "Following the root key"): a
 * node reading a directory file, `simpul init --join` and the audit follow
 * the root key alike.
 */
#ifndef SP_DIRLOG_H
#define SP_DIRLOG_H

#include "sp_cal.h"
#include "sp_dir.h"
#include "sp_entry.h"
#include "sp_keyhist.h"
#include "sp_merkle.h"
#include "sp_note.h"

/* sp_dirlog_apply applies entry e (signature verified by the caller): a
 * calendar record goes to cal; anything else to d (sp_dir_apply: directory
 * records, and admin requests, checked and applied there), and a calendar
 * an accepted admin request carries, to cal. *rec is the record itself (e,
 * or the one the request carries; it borrows e's body). Errors: those of
 * sp_dir_apply and sp_cal_load_year; on error nothing changed. */
int sp_dirlog_apply(struct sp_dir *d, struct sp_cal *cal, const struct sp_entry *e,
		    struct sp_entry *rec);

/* sp_dirlog_root_keys gives the key history of the coordinator's log as
 * directory d holds it: the genesis root key alone until d has the
 * coordinator's record, then the coordinator's sign_key history (each
 * rotation from the time of the record that published it), whose first
 * key must be root (SP_ERR_WRONG_AUTHOR: the coordinator's record names
 * another key than the one that signed the log from entry 0). Errors also
 * those of sp_dir_keyhist. */
int sp_dirlog_root_keys(const struct sp_dir *d, const uint8_t root[SP_KEY_BYTES],
			struct sp_keyhist *out);

/* sp_dirlog_follow extends *keys, the history a checker of the
 * coordinator's log uses, with what d holds after it applied the latest
 * entry (sp_dirlog_root_keys): keys only ever grow (SP_ERR_WRONG_AUTHOR if
 * d's history does not extend *keys). */
int sp_dirlog_follow(const struct sp_dir *d, const uint8_t root[SP_KEY_BYTES],
		     struct sp_keyhist *keys);

/* A checker of the coordinator's log fed its entries in order from entry
 * 0: each must be a valid entry (decode, signature), signed by the key
 * the coordinator's history puts in force (sp_keyhist_entry; the history
 * starts as the genesis root key and grows as coordinator records
 * rotating it are applied), and extend the one before (index, prev hash,
 * time). Entry 0 must be the coordinator's own institution record. The
 * directory records are applied to `dir` as every node applies them (a
 * record the rules refuse is skipped). Fields are read-only for callers. */
struct sp_dirchain {
	struct sp_dir *dir;           /* owned: the directory of the entries so far */
	uint8_t root[SP_KEY_BYTES];   /* the genesis root key */
	struct sp_keyhist keys;       /* the coordinator's keys so far */
	size_t key_pos;               /* position in keys of the last entry's author */
	uint64_t n;                   /* entries accepted */
	struct sp_entry last;         /* the last entry accepted (no body) */
	uint8_t last_hash[SP_HASH_BYTES];
	struct sp_merkle_frontier tree; /* the RFC 6962 tree of the entries accepted */
	char coordinator[SP_INST_ID_MAX + 1]; /* entry 0's institution id */
	uint64_t sigs;                /* signatures checked (entries not known) */
};

/* sp_dirchain_init starts a checker from the genesis root key; free it
 * with sp_dirchain_free. SP_ERR_NOMEM. */
int sp_dirchain_init(struct sp_dirchain *c, const uint8_t root[SP_KEY_BYTES]);

/* sp_dirchain_add checks entry c->n (buf[0..len)) and applies it. An error
 * ends the chain there (the entries accepted so far stay as they are):
 * the sp_entry_open errors, SP_ERR_WRONG_AUTHOR (not the
 * key in force, or an older key than the last entry's), SP_ERR_WRONG_INDEX,
 * SP_ERR_WRONG_PREV, SP_ERR_TIME_ORDER, SP_ERR_DIR_RECORD (entry 0 is not
 * the coordinator's record, or names another key than root: then
 * SP_ERR_WRONG_AUTHOR), SP_ERR_NOMEM. */
int sp_dirchain_add(struct sp_dirchain *c, const uint8_t *buf, size_t len);

/* sp_dirchain_add_known is sp_dirchain_add for an entry whose signature
 * was checked before by the caller's own means (a node's store holds these
 * exact bytes, verified when stored): every rule above applies (the key in
 * force and its rotations, index, links, time, entry 0, the record
 * applied) except the signature check itself. */
int sp_dirchain_add_known(struct sp_dirchain *c, const uint8_t *buf, size_t len);

/* sp_dirchain_checkpoint opens the log's checkpoint note (origin
 * "<federation>/<coordinator>") with the key of the last entry accepted or
 * a later one of the history, and checks that it covers exactly the
 * entries accepted: its size c->n and its root theirs (SP_ERR_INCONSISTENT
 * otherwise); *cp (optional) gets it. Errors also those of
 * sp_keyhist_checkpoint_open. */
int sp_dirchain_checkpoint(const struct sp_dirchain *c, const char *origin, const char *note,
			   size_t len, struct sp_checkpoint *cp);

/* sp_dirchain_free releases the directory. */
void sp_dirchain_free(struct sp_dirchain *c);

#endif

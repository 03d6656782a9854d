/*
 * sp_dir.h - the federation directory: who is who, who may write what, and
 * where a complaint goes.
 *
 * Directory records are the bodies of log entries (sp_entry.h) of types
 * SP_EV_INSTITUTION, SP_EV_OFFICER, SP_EV_ROUTE, SP_EV_POLICY,
 * SP_EV_DELEGATE and SP_EV_FORK_RESOLVE (sp_event.h), and SP_EV_ADMIN: one of
 * them inside an admin officer's signed request (sp_admin.h). Each body is one deterministic CBOR map with
 * unsigned integer keys; docs/directory.md lists them key by key. Every key
 * of a record is required and no other key is allowed, so one record has
 * exactly one encoding.
 *
 * A `struct sp_dir` is built by applying directory entries in log order.
 * Trust starts at one key, the national coordinator's (the one thing a node
 * is configured with): the coordinator's log may write any record; another
 * institution's log may write only inside a subtree delegated to it
 * (SP_EV_DELEGATE), and never policies or delegations. A record that is not
 * allowed, or that contradicts the directory, changes nothing.
 *
 * Time: a record takes effect at the time of the entry that carries it.
 * Keys rotate by a new institution record for the same id; the old key
 * stays valid for the times before the rotation (the history it signed).
 *
 * Pure code: no I/O, no clocks, no globals. Threads: a struct sp_dir
 * carries a read-write lock, so one thread may apply records while others
 * query (a node applies records as replication brings them). The
 * callbacks of sp_dir_each, _children, _subtree and _ancestors run under
 * the read lock: they may query, and must not apply.
 */
#ifndef SP_DIR_H
#define SP_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "sp_cbor.h"
#include "sp_entry.h"
#include "sp_event.h"
#include "sp_keyhist.h"

#define SP_DIR_NAME_MAX 128     /* institution or officer name, bytes */
#define SP_DIR_ADDR_MAX 128     /* one peer or HTTP address, bytes */
#define SP_DIR_MAX_PEERS 4      /* peer addresses per institution */
#define SP_DIR_REGION_MAX 13    /* "73.12.03.2004" */
#define SP_DIR_MAX_REGIONS 8    /* region prefixes per institution */
#define SP_DIR_CATEGORY_MAX 32  /* service category, bytes */
#define SP_DIR_MAX_CATEGORIES 16
#define SP_DIR_RULE_MAX 48      /* routing rule id, bytes ("default:" + inst id fits) */
#define SP_DIR_DAYS_MAX 365     /* longest deadline, working days */
#define SP_DIR_TIME_MAX UINT64_MAX /* "no end" / "the latest state" */

/* Institution tiers (wire values: never renumber). */
enum sp_dir_tier {
	SP_DIR_TIER_COORDINATOR = 0, /* the national coordinator (KemenPAN-RB) */
	SP_DIR_TIER_MINISTRY = 1,
	SP_DIR_TIER_AGENCY = 2,      /* lembaga, badan, BUMN, independent bodies */
	SP_DIR_TIER_PROVINCE = 3,
	SP_DIR_TIER_KABKOTA = 4,
	SP_DIR_TIER_UNIT = 5,        /* OPD / perangkat daerah, satker */
};

/* Officer roles and officer record actions (wire values). */
enum sp_dir_role { SP_DIR_ROLE_ADMIN = 0, SP_DIR_ROLE_PENGHUBUNG = 1 };
enum sp_dir_officer_action { SP_DIR_ENROL = 0, SP_DIR_REMOVE = 1 };

/* ---- records ------------------------------------------------------------ */

/* SP_EV_INSTITUTION. Strings are NUL-terminated copies. In query results,
 * valid_from/valid_until bound the times this version (and so its keys) is
 * in force; they are not part of the record. */
struct sp_dir_inst {
	char id[SP_INST_ID_MAX + 1];
	char name[SP_DIR_NAME_MAX + 1];
	enum sp_dir_tier tier;
	char parent[SP_INST_ID_MAX + 1]; /* "" only for the coordinator */
	uint8_t sign_key[SP_KEY_BYTES];  /* Ed25519: the node's log key */
	uint8_t seal_key[SP_KEY_BYTES];  /* X25519: sealed reports to it */
	size_t npeers;
	char peers[SP_DIR_MAX_PEERS][SP_DIR_ADDR_MAX + 1];
	char http[SP_DIR_ADDR_MAX + 1]; /* may be "" */
	size_t nregions;                /* jurisdiction: region-code prefixes */
	char regions[SP_DIR_MAX_REGIONS][SP_DIR_REGION_MAX + 1];
	size_t ncategories;             /* jurisdiction: service categories */
	char categories[SP_DIR_MAX_CATEGORIES][SP_DIR_CATEGORY_MAX + 1];
	uint64_t valid_from, valid_until;
	int retired;          /* an SP_EV_RETIRE record took it out of service ... */
	uint64_t retired_ms;  /* ... at this time (query results only, like valid_*) */
};

/* SP_EV_OFFICER. In query results `since` is the enrolment time. */
struct sp_dir_officer {
	char inst[SP_INST_ID_MAX + 1];
	uint8_t key[SP_KEY_BYTES];
	char name[SP_DIR_NAME_MAX + 1];
	enum sp_dir_role role;
	enum sp_dir_officer_action action;
	uint64_t since;
};

/* SP_EV_ROUTE: (category, region prefix) -> institution. category "*"
 * matches any category; region "" matches any region. A rule with the id
 * of an existing rule replaces it; inst "" deletes it. */
struct sp_dir_route {
	char rule_id[SP_DIR_RULE_MAX + 1];
	char category[SP_DIR_CATEGORY_MAX + 1];
	char region[SP_DIR_REGION_MAX + 1];
	char inst[SP_INST_ID_MAX + 1];
};

/* SP_EV_POLICY: deadlines in working days. category "" is the federation
 * default; a named category overrides it for that service. */
struct sp_dir_policy {
	char category[SP_DIR_CATEGORY_MAX + 1];
	uint32_t verify;  /* verify and forward */
	uint32_t answer;  /* the institution's answer */
	uint32_t window;  /* the reporter's window to reopen or rate */
	uint32_t ceiling; /* hard ceiling for the whole handling */
};

/* SP_EV_DELEGATE: `delegate` may write directory records for the subtree
 * rooted at `root` (grant = 1), or no longer (grant = 0). */
struct sp_dir_delegate {
	char delegate[SP_INST_ID_MAX + 1];
	char root[SP_INST_ID_MAX + 1];
	int grant;
};

/* SP_EV_RETIRE: institution `id` leaves service at the entry's time. From
 * then on it receives no complaint (routing skips it, a forward to it is
 * invalid), its officers no longer act and its node's later entries count
 * for nothing; the reports it holds pass to its heir (sp_dir_heir) by
 * SP_EV_TRANSFER entries the heir's node writes (docs/reports.md). Its log
 * stays as it was: readable and verifiable with its keys. */
struct sp_dir_retire {
	char id[SP_INST_ID_MAX + 1];
};

/* SP_EV_FORK_RESOLVE: the national coordinator's decision on a forked log
 * (docs/replication.md 10.10): institution inst's log is the tree of
 * `size` entries whose RFC 6962 root is `root` (the branch kept, named by
 * a checkpoint of it). `officer` is the coordinator's admin officer who
 * decided and `sig` their Ed25519 signature over sp_dir_forkres_message,
 * so the record says who acted, not only which node wrote it. */
struct sp_dir_forkres {
	char inst[SP_INST_ID_MAX + 1];
	uint64_t size; /* >= 1 */
	uint8_t root[SP_HASH_BYTES];
	uint8_t officer[SP_KEY_BYTES];
	uint8_t sig[SP_SIG_BYTES];
};

#define SP_DIR_FORKRES_DOMAIN "simpul/fork-resolve/v1\n"
#define SP_DIR_FORKRES_MSG_MAX (sizeof(SP_DIR_FORKRES_DOMAIN) + SP_INST_ID_MAX + 1 + 8 + 32)

/* sp_dir_forkres_message writes what the officer signs into msg (at least
 * SP_DIR_FORKRES_MSG_MAX bytes): SP_DIR_FORKRES_DOMAIN || inst || "\n" ||
 * size (8 bytes, big-endian) || root. Returns its length. */
size_t sp_dir_forkres_message(const struct sp_dir_forkres *r, uint8_t *msg);

/* sp_dir_forkres_sign sets r->officer to the public half of the officer's
 * Ed25519 secret key sk and r->sig to the signature. sp_dir_forkres_verify
 * checks it: 0 or SP_ERR_BAD_SIGNATURE. */
int sp_dir_forkres_sign(struct sp_dir_forkres *r, const uint8_t sk[SP_SECRET_BYTES]);
int sp_dir_forkres_verify(const struct sp_dir_forkres *r);

/* sp_dir_route_make fills *r from its four strings (inst "" for a
 * deletion). SP_ERR_DIR_RECORD if one does not fit its field; the record's
 * other rules are checked when it is encoded. */
int sp_dir_route_make(struct sp_dir_route *r, const char *rule_id, const char *category,
		      const char *region, const char *inst);

/* Encoders validate the record (SP_ERR_DIR_RECORD if a field is invalid)
 * and append its deterministic CBOR body to out (caller-owned; check
 * out->err for allocation failure, reported as SP_ERR_NOMEM). */
int sp_dir_inst_encode(const struct sp_dir_inst *r, struct sp_buf *out);
int sp_dir_officer_encode(const struct sp_dir_officer *r, struct sp_buf *out);
int sp_dir_route_encode(const struct sp_dir_route *r, struct sp_buf *out);
int sp_dir_policy_encode(const struct sp_dir_policy *r, struct sp_buf *out);
int sp_dir_delegate_encode(const struct sp_dir_delegate *r, struct sp_buf *out);
int sp_dir_forkres_encode(const struct sp_dir_forkres *r, struct sp_buf *out);
int sp_dir_retire_encode(const struct sp_dir_retire *r, struct sp_buf *out);

/* Strict decoders: body[0..len) must be exactly one record of the type,
 * deterministic, with every key and no other, and every field valid.
 * Errors: SP_ERR_DIR_RECORD, or the sp_cbor_read SP_ERR_CBOR_* codes. */
int sp_dir_inst_decode(const uint8_t *body, size_t len, struct sp_dir_inst *r);
int sp_dir_officer_decode(const uint8_t *body, size_t len, struct sp_dir_officer *r);
int sp_dir_route_decode(const uint8_t *body, size_t len, struct sp_dir_route *r);
int sp_dir_policy_decode(const uint8_t *body, size_t len, struct sp_dir_policy *r);
int sp_dir_delegate_decode(const uint8_t *body, size_t len, struct sp_dir_delegate *r);
int sp_dir_forkres_decode(const uint8_t *body, size_t len, struct sp_dir_forkres *r);
int sp_dir_retire_decode(const uint8_t *body, size_t len, struct sp_dir_retire *r);

/* ---- syntax checks --------------------------------------------------------- */

/* sp_dir_region_valid: 1 if code is a dotted Kemendagri region code
 * ("73", "73.12", "73.12.03", "73.12.03.2004"), else 0. */
int sp_dir_region_valid(const char *code);

/* sp_dir_id_valid: 1 if id is a valid institution id (1..SP_INST_ID_MAX of
 * A-Z a-z 0-9 . _ -; one made only of digits and dots must be a region
 * code), else 0. */
int sp_dir_id_valid(const char *id);

/* sp_dir_category_valid: 1 for "*" or 1..SP_DIR_CATEGORY_MAX of a-z 0-9 -. */
int sp_dir_category_valid(const char *cat);

/* ---- the directory ------------------------------------------------------------ */

struct sp_dir;

/* sp_dir_new makes an empty directory whose root of trust is root_key, the
 * national coordinator's Ed25519 key. *out is owned by the caller: free it
 * with sp_dir_free. SP_ERR_NOMEM, SP_ERR_ARG. */
int sp_dir_new(const uint8_t root_key[SP_KEY_BYTES], struct sp_dir **out);

/* sp_dir_free releases everything. NULL is a no-op. */
void sp_dir_free(struct sp_dir *d);

/* sp_dir_apply applies one entry whose signature the caller has verified
 * (the store verifies on ingest): e->author is the writer, e->time_ms the
 * time the record takes effect. Entries of non-directory types, and
 * SP_EV_CALENDAR (read by the calendar module), are ignored (0). On error
 * nothing changes. Errors: SP_ERR_DIR_RECORD and SP_ERR_CBOR_* (malformed
 * body), SP_ERR_NOT_DELEGATED (writer may not make this record),
 * SP_ERR_UNKNOWN_INSTITUTION (record names an institution not in the
 * directory), SP_ERR_UNKNOWN_OFFICER (removing an officer not enrolled
 * there), SP_ERR_EXISTS (signing key already another institution's, officer
 * enrolled elsewhere, a second coordinator), SP_ERR_DIR_CYCLE (a parent
 * change making a cycle), SP_ERR_NOMEM. SP_EV_ADMIN (sp_admin.h): the
 * record it carries is applied as if the entry's writer wrote it, when the
 * request's signature verifies (SP_ERR_BAD_SIGNATURE), the entry is not
 * later than its expiry (SP_ERR_EXPIRED), and its signer is the writer's
 * own key or an officer enrolled as admin at the entry's time
 * (SP_ERR_UNKNOWN_OFFICER, SP_ERR_AUTHORITY for a pejabat penghubung)
 * whose institution may write the record too (the coordinator's anything,
 * another's what a delegation to it covers: else SP_ERR_NOT_DELEGATED).
 * A calendar inside one is checked (coordinator only, sp_cal_year_decode)
 * but applied by the caller. SP_EV_RETIRE: the coordinator retires any
 * institution but itself, a delegate a unit inside its subtree; refused
 * for an unknown id (SP_ERR_UNKNOWN_INSTITUTION), one already retired
 * (SP_ERR_RETIRED), one with children still in service (SP_ERR_EXISTS:
 * retire or move them first). After a retirement, records that would give
 * the retired institution a new version, a child, an officer, a rule or a
 * delegation are SP_ERR_RETIRED. */
int sp_dir_apply(struct sp_dir *d, const struct sp_entry *e);

/* sp_dir_check is sp_dir_apply without applying: 0 if the entry would be
 * applied now, else the error sp_dir_apply would return. A node runs it on
 * the entry it is about to write, so a refused request writes nothing. */
int sp_dir_check(const struct sp_dir *d, const struct sp_entry *e);

/* Called with each officer's current enrolment (valid only during the
 * call); a non-zero return stops the iteration and is returned. */
typedef int (*sp_dir_officer_fn)(void *arg, const struct sp_dir_officer *o);

/* sp_dir_officers: every officer enrolled now (their latest record is an
 * enrolment), at institution inst or at any (inst NULL), in the order
 * first enrolled. */
int sp_dir_officers(const struct sp_dir *d, const char *inst, sp_dir_officer_fn fn, void *arg);

/* sp_dir_forkres_check decides whether entry e (signature verified by the
 * caller) is a fork resolution in force: a valid SP_EV_FORK_RESOLVE record
 * (*out, optional, receives it) written by the coordinator, about an
 * institution in the directory, signed by an officer enrolled at the
 * coordinator as admin at the entry's time. It changes nothing: the node
 * applies a resolution to its store (sp_store_fork_resolve), and
 * sp_dir_apply accepts or refuses the record by this check. Errors: those
 * of sp_dir_forkres_decode, SP_ERR_ARG (another type), SP_ERR_NOT_DELEGATED
 * (not the coordinator's log), SP_ERR_UNKNOWN_INSTITUTION,
 * SP_ERR_BAD_SIGNATURE, SP_ERR_UNKNOWN_OFFICER (not enrolled then),
 * SP_ERR_AUTHORITY (an officer of another institution, or not admin). */
int sp_dir_forkres_check(const struct sp_dir *d, const struct sp_entry *e,
			 struct sp_dir_forkres *out);

/* sp_dir_forkres_entry is the rule every node and `simpul audit` apply to
 * each entry buf[0..len) of the coordinator's log (its signature checked
 * by the caller): 0 if it is a fork resolution in force (*out gets it,
 * *index, optional, the entry's index); SP_ERR_NOT_FOUND if it is no
 * resolution (another type, or it does not decode as an entry); otherwise
 * the error of sp_dir_forkres_check: a record every node refuses, which
 * changes nothing. A later resolution of the same log replaces an earlier
 * one. */
int sp_dir_forkres_entry(const struct sp_dir *d, const uint8_t *buf, size_t len,
			 struct sp_dir_forkres *out, uint64_t *index);

/* sp_dir_forkres_covers: a signed statement of a resolved log that
 * contradicts the branch kept is the fork the resolution settled (the
 * branch set aside: never new evidence) when it is about the tree the
 * resolution fixed, of res_size entries: a checkpoint (checkpoint = 1) of
 * at most res_size entries, or the entry at index at < res_size
 * (checkpoint = 0). Beyond that it is a new fork. 1 or 0. */
int sp_dir_forkres_covers(uint64_t res_size, int checkpoint, uint64_t at);

/* sp_dir_apply_entry = sp_entry_open (decode + verify) + sp_dir_apply. */
int sp_dir_apply_entry(struct sp_dir *d, const uint8_t *buf, size_t len);

/* sp_dir_generation: how many entries sp_dir_apply has been given; what
 * was derived from the directory at one generation (a page, a list) is
 * current while it is unchanged. 0 for NULL. */
uint64_t sp_dir_generation(const struct sp_dir *d);

/* sp_dir_count: number of institutions (every version counts once). */
size_t sp_dir_count(const struct sp_dir *d);

/* sp_dir_institution copies into *out the version of institution id in
 * force at time t (SP_DIR_TIME_MAX: the latest). SP_ERR_UNKNOWN_INSTITUTION
 * if there is none (unknown id, or t before its first record). */
int sp_dir_institution(const struct sp_dir *d, const char *id, uint64_t t,
		       struct sp_dir_inst *out);

/* sp_dir_by_key finds the institution whose node signing key at time t is
 * key. SP_ERR_UNKNOWN_INSTITUTION if none (also: rotated away before t). */
int sp_dir_by_key(const struct sp_dir *d, const uint8_t key[SP_KEY_BYTES], uint64_t t,
		  struct sp_dir_inst *out);

/* sp_dir_keyhist gives institution id's log key history (sp_keyhist.h):
 * the sign_key of its first version from the start, then each other
 * sign_key from the time of the version that brought it.
 * SP_ERR_UNKNOWN_INSTITUTION; SP_ERR_RANGE (more keys than a history
 * holds). */
int sp_dir_keyhist(const struct sp_dir *d, const char *id, struct sp_keyhist *out);

/* sp_dir_officer finds the enrolment of officer key in force at time t
 * (enrolled at or before t and not removed since). *out->inst is the
 * institution. SP_ERR_UNKNOWN_OFFICER if not enrolled at t. */
int sp_dir_officer(const struct sp_dir *d, const uint8_t key[SP_KEY_BYTES], uint64_t t,
		   struct sp_dir_officer *out);

/* sp_dir_retired: 1 if institution id was retired at or before time t. */
int sp_dir_retired(const struct sp_dir *d, const char *id, uint64_t t);

/* sp_dir_heir: for an institution retired at or before t, the one that
 * takes over what it held: its nearest ancestor not retired at t (the
 * parent, or above it if the parent is retired too). 0 and out filled;
 * SP_ERR_NOT_FOUND if id is not retired at t; SP_ERR_UNKNOWN_INSTITUTION. */
int sp_dir_heir(const struct sp_dir *d, const char *id, uint64_t t, char out[SP_INST_ID_MAX + 1]);

/* sp_dir_parent copies the latest parent id of id into out.
 * SP_ERR_UNKNOWN_INSTITUTION; SP_ERR_NOT_FOUND for the coordinator. */
int sp_dir_parent(const struct sp_dir *d, const char *id, char out[SP_INST_ID_MAX + 1]);

/* sp_dir_is_coordinator: 1 if id is the national coordinator, else 0. */
int sp_dir_is_coordinator(const struct sp_dir *d, const char *id);

/* sp_dir_coordinator copies the coordinator's id (SP_ERR_NOT_FOUND if no
 * coordinator record has been applied). */
int sp_dir_coordinator(const struct sp_dir *d, char out[SP_INST_ID_MAX + 1]);

/* Called with each institution (latest version; valid only during the
 * call); a non-zero return stops the iteration and is returned. */
typedef int (*sp_dir_inst_fn)(void *arg, const struct sp_dir_inst *inst);

/* sp_dir_each: every institution, in the order first recorded. */
int sp_dir_each(const struct sp_dir *d, sp_dir_inst_fn fn, void *arg);

/* sp_dir_children: the institutions whose parent is id (first-recorded
 * order). sp_dir_subtree: id itself and all its descendants. sp_dir_ancestors:
 * the parent of id, its parent, ... up to the coordinator.
 * SP_ERR_UNKNOWN_INSTITUTION if id is not in the directory. */
int sp_dir_children(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg);
int sp_dir_subtree(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg);
int sp_dir_ancestors(const struct sp_dir *d, const char *id, sp_dir_inst_fn fn, void *arg);

/* sp_dir_in_subtree: 1 if id is root or one of its descendants, else 0. */
int sp_dir_in_subtree(const struct sp_dir *d, const char *id, const char *root);

/* sp_dir_route decides who handles a complaint of `category` about
 * `region` ("" if it names none): the matching rule with the longest
 * region prefix wins, a rule for the category beating a "*" rule of the
 * same prefix length (then the smallest rule id). With no matching rule:
 * the government of the most specific region (the region, then its
 * parents) that is an institution, rule id "default:<inst>"; with none (or
 * no region), the national coordinator, rule id "default:<coordinator>".
 * out_inst and out_rule_id receive the institution and the rule id.
 * Errors: SP_ERR_ARG (invalid category or region code), SP_ERR_NO_ROUTE
 * (nothing routes it: not even a coordinator). */
/* (Retired institutions are never chosen: a rule naming one is passed
 * over, and so is a retired region government.) */
int sp_dir_route(const struct sp_dir *d, const char *category, const char *region,
		 char out_inst[SP_INST_ID_MAX + 1], char out_rule_id[SP_DIR_RULE_MAX + 1]);

/* sp_dir_policy_for gives the deadlines for category: its own policy
 * record, else the federation default record, else the built-in default
 * (3, 5, 10, 60). Never fails for a valid category (SP_ERR_ARG otherwise). */
int sp_dir_policy_for(const struct sp_dir *d, const char *category, struct sp_dir_policy *out);

#endif

/*
 * sp_report.h - reports and their handling (docs/design.md §3): the bodies
 * of SP_EV_REPORT, SP_EV_ACTION and SP_EV_ESCALATION entries, sealing of
 * confidential content, officer and reporter proofs, and the one pure
 * function that computes a report's state from its trail.
 *
 * Implemented in four files: sp_report_codec.c (the bodies below),
 * sp_report_sign.c (officer and reporter proofs), sp_report_seal.c
 * (sealing, sealed attachments, open requests) and sp_report_state.c
 * (the state machine: sp_report_compute).
 *
 * All bodies are deterministic CBOR maps with unsigned integer keys
 * (sp_cbor.h). Parsers are strict: unknown keys, missing required keys,
 * keys not allowed for the kind of body, wrong sizes and out-of-range
 * values are SP_ERR_REPORT_FIELD; CBOR-level faults keep their
 * SP_ERR_CBOR_* code. Builders check their output with the parser, so they
 * never emit a body a node would refuse. Parsed structs borrow the body.
 * docs/reports.md describes every key and the state machine.
 *
 * SP_EV_REPORT body
 *   0  kind         uint   enum sp_report_kind
 *   1  visibility   uint   enum sp_report_vis
 *   2  category     text   service category, 1..64 bytes
 *   3  region       text   Kemendagri region code, 1..32 bytes
 *   4  title        text   1..256 bytes; publik/anonim only
 *   5  content      text   1..16384 bytes; publik/anonim only
 *   6  sealed       map    envelope (below): required for rahasia, and
 *                          whenever there is contact data
 *   7  routed_to    text   institution id the report was routed to
 *   8  rule         bytes  32: entry hash of the SP_EV_ROUTE record used;
 *                          absent = routed to the region's government
 *   9  reporter_key bytes  32: reporter Ed25519 public key (required)
 *   10 reporter_salt bytes 32: the salt the key was derived with from the
 *                          reporter's tracking secret (sp_reporter.h);
 *                          absent if the reporter brought its own key
 *   11 attachments  array  1..16 of [sha256 bytes 32, size uint > 0,
 *                          media type text 1..127]
 *   12 channel      text   1..32 bytes ("web", "open311", "sms", ...)
 *   13 policy       array  [verify_wd, answer_wd, window_wd, ceiling_days]
 *                          each 1..365: the deadline policy in force at
 *                          submission; when present it wins over the
 *                          caller's policy
 *
 * Sealed envelope (key 6 of a report, and what sp_report_seal makes)
 *   0  nonce        bytes  24 (XChaCha20-Poly1305-IETF)
 *   1  ciphertext   bytes  AEAD of the private map, AD = SP_REPORT_SEAL_AD
 *   2  keys         array  1..16 of [institution id text, crypto_box_seal
 *                          of the 32-byte content key, 80 bytes], ids
 *                          strictly ascending
 *
 * Private map (the plaintext inside the envelope)
 *   0  title   text (rahasia)   1  content text (rahasia)
 *   2  name    text (optional)  3  contact text (optional: phone, e-mail)
 *
 * SP_EV_ACTION body
 *   0  act          map    the signed action fields (below)
 *   1  officer      bytes  32: officer Ed25519 public key     } officer
 *   2  officer_sig  bytes  64: over SP_REPORT_ACT_DOMAIN || act } actor
 *   3  reporter_sig bytes  64: by the report's reporter key, same message
 *   Exactly one actor: {1, 2} or {3}. (Key 4, the tracking secret in
 *   clear, is refused: a secret once in a log would be anyone's.)
 *
 * act map
 *   0  report       bytes  32: report id
 *   1  code         uint   enum sp_report_act
 *   2  issued       uint   ms, when the actor signed (makes acts unique)
 *   3  targets      array  disposisi: 1..16 institution ids, ascending
 *   4  reason       uint   tunda, arsip, bukan_wewenang: enum sp_report_reason
 *   5  text         text   answer, reply or note, 1..16384 bytes
 *   6  rating       uint   1..5
 *   7  merge_into   bytes  32: report id this one is merged into
 *   8  keys         array  re-sealed content keys for new holders, as in
 *                          the envelope's key 2
 *
 * SP_EV_ESCALATION body
 *   0  report       bytes  32      1  stage  uint (enum sp_report_stage)
 *   2  deadline     uint   ms: the deadline that was missed
 *
 * SP_EV_TRANSFER body (written by the heir's node: a retired holder's
 * report passes to the institution that inherits what it held)
 *   0  report       bytes  32      1  from   text: the retired holder's id
 *
 * SP_EV_KEY_GRANT body (written by the national coordinator's node, which
 * holds a copy of every envelope's key, for current holders of a rahasia
 * report that hold none: after a take-over or a transfer)
 *   0  report       bytes  32
 *   1  keys         array  1..16 of [institution id, crypto_box_seal of the
 *                          content key], ids strictly ascending (as the
 *                          envelope's key 2)
 */
#ifndef SP_REPORT_H
#define SP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sp_cal.h"
#include "sp_cbor.h"
#include "sp_entry.h"
#include "sp_event.h"
#include "sp_reporter.h"

#define SP_REPORT_ACT_DOMAIN "simpul/action/v1\n"
#define SP_REPORT_SEAL_AD "simpul/seal/v1\n"

#define SP_REPORT_MAX_KEYS 16     /* sealed-key copies in one envelope/action */
#define SP_REPORT_MAX_TARGETS 16  /* disposisi fan-out */
#define SP_REPORT_MAX_HOLDERS 16  /* simultaneous holders */
#define SP_REPORT_MAX_ATTACH 16
#define SP_REPORT_TEXT_MAX 16384
#define SP_REPORT_NONCE_BYTES 24
#define SP_REPORT_CKEY_BYTES 32              /* content key */
#define SP_REPORT_BOX_BYTES (32 + 48)        /* crypto_box_seal of a content key */
#define SP_REPORT_X25519_BYTES 32

enum sp_report_kind { SP_REPORT_PENGADUAN, SP_REPORT_ASPIRASI, SP_REPORT_INFORMASI };
enum sp_report_vis { SP_REPORT_PUBLIK, SP_REPORT_ANONIM, SP_REPORT_RAHASIA };

/* Action codes (act key 1). Officer actions need an officer of a holder
 * (ambil_alih: of an ancestor or the coordinator); reporter actions need
 * the reporter's proof. */
enum sp_report_act {
	SP_ACT_VERIFIKASI = 1,     /* officer: verified */
	SP_ACT_TUNDA = 2,          /* officer: on hold, more information needed */
	SP_ACT_ARSIP = 3,          /* officer: archived with a reason */
	SP_ACT_DISPOSISI = 4,      /* officer: forwarded to targets */
	SP_ACT_BUKAN_WEWENANG = 5, /* officer: not ours, back to the sender */
	SP_ACT_TINDAK_LANJUT = 6,  /* officer: answer posted */
	SP_ACT_AMBIL_ALIH = 7,     /* officer of parent tier / coordinator: take over */
	SP_ACT_GABUNG = 8,         /* officer: merged into another report */
	SP_ACT_BALAS = 9,          /* reporter: reply (resumes a tunda) */
	SP_ACT_SELESAI = 10,       /* reporter: close */
	SP_ACT_BUKA_KEMBALI = 11,  /* reporter: reopen within the window */
	SP_ACT_NILAI = 12,         /* reporter: rate 1..5 within the window */
	SP_ACT_MAX_ = 12,
};

/* Reason codes (act key 4), each valid for one action. */
enum sp_report_reason {
	SP_REASON_INFO_KURANG = 1,       /* tunda: more information needed */
	SP_REASON_MENUNGGU_PIHAK = 2,    /* tunda: waiting for a third party */
	SP_REASON_TIDAK_LENGKAP = 10,    /* arsip: incomplete, reporter silent */
	SP_REASON_BUKAN_LAPORAN = 11,    /* arsip: not a report (spam, SARA, test) */
	SP_REASON_SUDAH_DITANGANI = 12,  /* arsip: already handled elsewhere */
	SP_REASON_DICABUT = 13,          /* arsip: withdrawn */
	SP_REASON_LUAR_KEWENANGAN = 20,  /* bukan_wewenang: outside our authority */
	SP_REASON_SALAH_WILAYAH = 21,    /* bukan_wewenang: wrong region */
	SP_REASON_SALAH_KATEGORI = 22,   /* bukan_wewenang: wrong category */
};

enum sp_report_status {
	SP_ST_DITERIMA,
	SP_ST_DIVERIFIKASI,
	SP_ST_TUNDA,
	SP_ST_DIARSIPKAN,
	SP_ST_DIDISPOSISIKAN,
	SP_ST_DITINDAKLANJUTI,
	SP_ST_SELESAI,
	SP_ST_DIGABUNG,
};

/* Deadline stages (escalation key 1). */
enum sp_report_stage {
	SP_STAGE_NONE = 0,
	SP_STAGE_VERIFY = 1,  /* verify and forward, from receipt */
	SP_STAGE_ANSWER = 2,  /* answer, from disposisi (or reopening) */
	SP_STAGE_CEILING = 3, /* hard ceiling, calendar days from submission */
	SP_STAGE_WINDOW = 4,  /* reporter's window after an answer: closes, never escalates */
};

struct sp_report_policy {
	uint32_t verify_wd;    /* working days to verify and forward (3) */
	uint32_t answer_wd;    /* working days to answer (5) */
	uint32_t window_wd;    /* reporter's window, working days (10) */
	uint32_t ceiling_days; /* hard ceiling, calendar days (60) */
};

/* One reader's copy of the content key. */
struct sp_report_key {
	struct sp_str inst;
	uint8_t boxed[SP_REPORT_BOX_BYTES];
};

struct sp_report_sealed {
	uint8_t nonce[SP_REPORT_NONCE_BYTES];
	const uint8_t *ct; /* borrowed */
	size_t ct_len;
	size_t n_keys;
	struct sp_report_key keys[SP_REPORT_MAX_KEYS];
};

/* The plaintext inside an envelope. */
struct sp_report_private {
	struct sp_str title, content, name, contact;
};

struct sp_report_attachment {
	uint8_t sha256[SP_HASH_BYTES];
	uint64_t size;
	struct sp_str media_type;
};

struct sp_report {
	enum sp_report_kind kind;
	enum sp_report_vis vis;
	struct sp_str category, region, title, content, routed_to, channel;
	int has_sealed;
	struct sp_report_sealed sealed;
	int has_rule;
	uint8_t rule[SP_HASH_BYTES];
	int has_reporter_key;
	uint8_t reporter_key[SP_KEY_BYTES];
	int has_salt;
	uint8_t salt[SP_REPORTER_SALT_BYTES];
	size_t n_attach;
	struct sp_report_attachment attach[SP_REPORT_MAX_ATTACH];
	int has_policy;
	struct sp_report_policy policy;
};

enum sp_report_actor { SP_ACTOR_OFFICER = 1, SP_ACTOR_REPORTER_SIG };

struct sp_report_action {
	uint8_t report[SP_HASH_BYTES];
	uint32_t code;       /* enum sp_report_act */
	uint64_t issued_ms;
	size_t n_targets;
	struct sp_str targets[SP_REPORT_MAX_TARGETS];
	uint32_t reason;     /* 0 = absent */
	struct sp_str text;
	uint32_t rating;     /* 0 = absent */
	int has_merge;
	uint8_t merge_into[SP_HASH_BYTES];
	size_t n_keys;
	struct sp_report_key keys[SP_REPORT_MAX_KEYS];
	/* actor, filled by parse and by the build functions */
	enum sp_report_actor actor;
	uint8_t officer[SP_KEY_BYTES];
	uint8_t sig[SP_SIG_BYTES]; /* officer_sig or reporter_sig */
	const uint8_t *act; /* exact bytes of the act map (parse only) */
	size_t act_len;
};

struct sp_report_escalation {
	uint8_t report[SP_HASH_BYTES];
	uint32_t stage; /* enum sp_report_stage: VERIFY, ANSWER or CEILING */
	uint64_t deadline_ms;
};

struct sp_report_transfer {
	uint8_t report[SP_HASH_BYTES];
	struct sp_str from; /* the retired holder (borrowed from the body when parsed) */
};

struct sp_report_grant {
	uint8_t report[SP_HASH_BYTES];
	size_t n_keys;
	struct sp_report_key keys[SP_REPORT_MAX_KEYS]; /* inst borrowed from the body when parsed */
};

/* ---- bodies ------------------------------------------------------------ */

/* sp_report_encode writes an SP_EV_REPORT body into a new buffer *out
 * (caller frees with free()). Errors: SP_ERR_ARG, SP_ERR_NOMEM, and the
 * sp_report_parse errors for fields that would not parse back. */
int sp_report_encode(const struct sp_report *r, uint8_t **out, size_t *out_len);

/* sp_report_parse strictly decodes an SP_EV_REPORT body; r borrows body.
 * Errors: SP_ERR_CBOR_*, SP_ERR_REPORT_FIELD. */
int sp_report_parse(const uint8_t *body, size_t len, struct sp_report *r);

/* sp_report_private_encode / _parse: the plaintext map inside an envelope
 * (same ownership rules as above). */
int sp_report_private_encode(const struct sp_report_private *p, uint8_t **out, size_t *out_len);
int sp_report_private_parse(const uint8_t *buf, size_t len, struct sp_report_private *p);

/* sp_report_action_build_officer encodes a's act fields, signs them with
 * the officer's Ed25519 secret key and writes the SP_EV_ACTION body into
 * a new buffer *out (caller frees). Sets a->actor, a->officer, a->sig.
 * Errors: SP_ERR_ARG, SP_ERR_NOMEM, sp_report_action_parse errors. */
int sp_report_action_build_officer(struct sp_report_action *a,
				   const uint8_t officer_sk[SP_SECRET_BYTES], uint8_t **out,
				   size_t *out_len);

/* sp_report_action_build_reporter: the same for a reporter, who signs
 * with the report's reporter key (reporter_sk, 64 bytes: see
 * sp_reporter_derive). Caller frees *out. */
int sp_report_action_build_reporter(struct sp_report_action *a, const uint8_t *reporter_sk,
				    uint8_t **out, size_t *out_len);

/* sp_report_action_parse strictly decodes an SP_EV_ACTION body (a borrows
 * body), including which act fields the action code requires and allows.
 * It checks no signature. Errors: SP_ERR_CBOR_*, SP_ERR_REPORT_FIELD. */
int sp_report_action_parse(const uint8_t *body, size_t len, struct sp_report_action *a);

/* sp_report_action_verify_officer checks the officer signature of a parsed
 * action. Errors: SP_ERR_AUTHORITY (not an officer action),
 * SP_ERR_BAD_SIGNATURE. */
int sp_report_action_verify_officer(const struct sp_report_action *a);

/* sp_report_action_verify_reporter checks a parsed reporter action against
 * the report's reporter proof. Errors: SP_ERR_AUTHORITY (not a reporter
 * action), SP_ERR_REPORTER_PROOF (no reporter key, bad signature). */
int sp_report_action_verify_reporter(const struct sp_report_action *a, const struct sp_report *r);

/* sp_report_esc_encode / _parse: SP_EV_ESCALATION bodies (caller frees *out). */
int sp_report_esc_encode(const struct sp_report_escalation *e, uint8_t **out, size_t *out_len);
int sp_report_esc_parse(const uint8_t *body, size_t len, struct sp_report_escalation *e);

/* sp_report_transfer_encode / _parse: SP_EV_TRANSFER bodies (caller frees
 * *out; a parsed x->from borrows body). SP_ERR_REPORT_FIELD if malformed. */
int sp_report_transfer_encode(const struct sp_report_transfer *x, uint8_t **out,
			      size_t *out_len);
int sp_report_transfer_parse(const uint8_t *body, size_t len, struct sp_report_transfer *x);

/* sp_report_grant_encode / _parse: SP_EV_KEY_GRANT bodies (caller frees
 * *out; a parsed g's key ids borrow body). SP_ERR_REPORT_FIELD if
 * malformed (no keys, ids not strictly ascending, a box not 80 bytes). */
int sp_report_grant_encode(const struct sp_report_grant *g, uint8_t **out, size_t *out_len);
int sp_report_grant_parse(const uint8_t *body, size_t len, struct sp_report_grant *g);

/* sp_report_trail_report: the report id a trail entry's body names (an
 * SP_EV_ACTION, _ESCALATION, _TRANSFER or _KEY_GRANT body of type `type`).
 * Errors: those of the body's parser; SP_ERR_ARG for another type. */
int sp_report_trail_report(uint64_t type, const uint8_t *body, size_t len,
			   uint8_t id[SP_HASH_BYTES]);

/* sp_report_trail_keys: the content-key copies a trail entry of `type`
 * carries (an action's key 8, a grant's key 1) into keys[0..*n) (ids
 * borrow body); *n is 0 for an entry that carries none. Errors: those of
 * the body's parser. */
int sp_report_trail_keys(uint64_t type, const uint8_t *body, size_t len,
			 struct sp_report_key keys[SP_REPORT_MAX_KEYS], size_t *n);

/* ---- sealing ----------------------------------------------------------- */

/* A reader to seal for: an institution id and its X25519 public key. */
struct sp_report_reader {
	const char *inst;
	const uint8_t *x25519_pk;
};

/* sp_report_seal encrypts plain (normally a private map) under a fresh
 * key and seals the key to each reader (at most SP_REPORT_MAX_KEYS, ids
 * distinct; they are sorted in s). s borrows the reader ids and *ct_out,
 * a new buffer holding the ciphertext that the caller frees with free()
 * after the last use of s. key_out (optional) receives the content key.
 * Errors: SP_ERR_ARG, SP_ERR_NOMEM, SP_ERR_INTERNAL (libsodium failed). */
int sp_report_seal(const uint8_t *plain, size_t plain_len, const struct sp_report_reader *readers,
		   size_t n, struct sp_report_sealed *s, uint8_t **ct_out,
		   uint8_t key_out[SP_REPORT_CKEY_BYTES]);

/* sp_report_seal_key seals a content key to one more reader (a new
 * holder), for an action's keys list; out->inst borrows reader->inst. */
int sp_report_seal_key(const uint8_t key[SP_REPORT_CKEY_BYTES],
		       const struct sp_report_reader *reader, struct sp_report_key *out);

/* sp_report_open_key finds inst's copy among keys[0..n) and opens it with
 * the institution's X25519 key pair. Errors: SP_ERR_SEALED (not a
 * recipient, or the box does not open). */
int sp_report_open_key(const struct sp_report_key *keys, size_t n, const char *inst,
		       const uint8_t pk[SP_REPORT_X25519_BYTES],
		       const uint8_t sk[SP_REPORT_X25519_BYTES],
		       uint8_t key_out[SP_REPORT_CKEY_BYTES]);

/* sp_report_open decrypts an envelope with its content key into a new
 * buffer *plain (caller frees with free()). Errors: SP_ERR_SEALED
 * (authentication fails), SP_ERR_NOMEM. */
int sp_report_open(const struct sp_report_sealed *s, const uint8_t key[SP_REPORT_CKEY_BYTES],
		   uint8_t **plain, size_t *plain_len);

/* ---- sealed attachments ------------------------------------------------- */

#define SP_REPORT_ATTACH_AD "simpul/attach/v1\n" /* AEAD associated data, then the media type */
#define SP_REPORT_BLOB_OVERHEAD (SP_REPORT_NONCE_BYTES + 16) /* nonce + AEAD tag */

/* sp_report_seal_blob appends to out the sealed form of a rahasia
 * report's file: a fresh nonce (24) || XChaCha20-Poly1305-IETF of plain
 * under the report's content key, AD SP_REPORT_ATTACH_AD || media_type.
 * Errors: SP_ERR_ARG, SP_ERR_NOMEM (out->err). */
int sp_report_seal_blob(const uint8_t key[SP_REPORT_CKEY_BYTES], const char *media_type,
			const uint8_t *plain, size_t len, struct sp_buf *out);

/* sp_report_open_blob decrypts such a blob into a new buffer *plain
 * (caller frees with free()). Errors: SP_ERR_SEALED (too short, or it does
 * not authenticate: wrong key, type or bytes), SP_ERR_NOMEM, SP_ERR_ARG. */
int sp_report_open_blob(const uint8_t key[SP_REPORT_CKEY_BYTES], const char *media_type,
			const uint8_t *blob, size_t len, uint8_t **plain, size_t *plain_len);

/* ---- an officer's signed request to open a sealed report --------------- */

/* An officer asks a node holding a key copy to open a report for them
 * (POST /v1/reports/{id}/open, docs/api.md). The signed message is
 *
 *   SP_REPORT_OPEN_DOMAIN || report (32) || officer key (32)
 *     || issued (8 bytes, big-endian ms) || purpose (the rest)
 *
 * so it names the report, the person, the moment and why. The node keeps
 * recent signatures to refuse replays within the window. */
#define SP_REPORT_OPEN_DOMAIN "simpul/open/v1\n"
#define SP_REPORT_PURPOSE_MAX 256
#define SP_REPORT_OPEN_WINDOW_MS (5u * 60 * 1000) /* |now - issued| allowed */

struct sp_report_open_req {
	uint8_t report[SP_HASH_BYTES];
	uint64_t issued_ms;
	struct sp_str purpose; /* 1..SP_REPORT_PURPOSE_MAX bytes, no NUL; borrowed */
	uint8_t officer[SP_KEY_BYTES];
	uint8_t sig[SP_SIG_BYTES];
};

/* sp_report_open_req_sign sets q->officer from officer_sk and signs the
 * other fields into q->sig. Errors: SP_ERR_ARG, SP_ERR_REPORT_FIELD
 * (purpose), SP_ERR_NOMEM. */
int sp_report_open_req_sign(struct sp_report_open_req *q,
			    const uint8_t officer_sk[SP_SECRET_BYTES]);

/* sp_report_open_req_verify checks, in this order, the purpose
 * (SP_ERR_REPORT_FIELD), the signature (SP_ERR_BAD_SIGNATURE) and that
 * issued is within window_ms of now_ms either way (SP_ERR_REPLAY: stale
 * or from the future). Pure: the caller supplies the clock. */
int sp_report_open_req_verify(const struct sp_report_open_req *q, uint64_t now_ms,
			      uint64_t window_ms);

/* ---- state from the trail ---------------------------------------------- */

/* One entry of a report's trail, from any log. Borrowed by the computation. */
struct sp_report_trail {
	const char *inst;   /* institution whose log holds the entry */
	uint64_t index;     /* its index in that log */
	uint64_t time_ms;   /* entry time */
	uint64_t type;      /* SP_EV_ACTION, _ESCALATION, _TRANSFER or _KEY_GRANT */
	const uint8_t *body;
	size_t body_len;
	/* 1: the caller already found this entry's action signature good (it
	 * holds the entry in its own store and remembers that check:
	 * sp_report_state.sig_good of an earlier computation), so it is not
	 * checked again; every other rule still is. 0 (entries from outside,
	 * or not known): checked. */
	int sig_known;
};

/* Directory facts and policy, supplied by the caller. Each callback gets
 * `arg`. Institution ids are NUL-terminated, at most SP_INST_ID_MAX bytes. */
struct sp_report_ctx {
	void *arg;
	/* which institution had enrolled this officer key at time_ms;
	 * SP_ERR_UNKNOWN_OFFICER if none */
	int (*officer_institution)(void *arg, const uint8_t key[SP_KEY_BYTES], uint64_t time_ms,
				   char inst_out[SP_INST_ID_MAX + 1]);
	/* the tier parent of inst, "" for the root */
	int (*parent_of)(void *arg, const char *inst, char parent_out[SP_INST_ID_MAX + 1]);
	/* 1 if inst is the national coordinator */
	int (*is_coordinator)(void *arg, const char *inst);
	/* 1 if the directory has institution inst at time_ms (a disposisi to
	 * one it lacks is SP_ERR_UNKNOWN_INSTITUTION); NULL: not checked */
	int (*institution_known)(void *arg, const char *inst, uint64_t time_ms);
	/* 1 if report id is known here (a gabung into one that is not is
	 * SP_ERR_UNKNOWN_REPORT until it is: a replica may hold the merged
	 * report before the one it was merged into); NULL: not checked */
	int (*report_known)(void *arg, const uint8_t id[SP_HASH_BYTES]);
	/* if inst was retired at or before time_ms: 0 and its heir (the
	 * nearest ancestor still in service then); SP_ERR_NOT_FOUND if it
	 * was in service. A retired institution's later entries, a forward or
	 * return to it, are SP_ERR_RETIRED. NULL: nobody is ever retired */
	int (*heir_of)(void *arg, const char *inst, uint64_t time_ms,
		       char heir_out[SP_INST_ID_MAX + 1]);
	struct sp_report_policy policy; /* used unless the report has key 13 */
	const struct sp_cal *cal;       /* NULL = weekends only */
};

/* One holding period: who sat on the report from when until when. */
struct sp_report_span {
	char inst[SP_INST_ID_MAX + 1];
	uint64_t start_ms;
	uint64_t end_ms; /* 0 while open */
	int open;
	int from;        /* span index of the institution that sent it, -1 none */
};

struct sp_report_state {
	uint8_t id[SP_HASH_BYTES];
	enum sp_report_status status;
	size_t n_holders;
	char holders[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1];
	struct sp_report_span *spans; /* history, allocated */
	size_t n_spans;
	unsigned bounces;     /* applied bukan_wewenang */
	unsigned reopens;
	unsigned escalations;
	enum sp_report_stage stage; /* of the current deadline */
	uint64_t deadline_ms;       /* 0 = none */
	int overdue;                /* now >= deadline_ms (never for WINDOW) */
	uint32_t rating;            /* 0 = none */
	int auto_closed;            /* selesai because the window passed */
	int merged;
	uint8_t merged_into[SP_HASH_BYTES];
	uint64_t submitted_ms, answered_ms, closed_ms;
	/* last escalation applied, so one is written once per deadline */
	uint32_t esc_stage;
	uint64_t esc_deadline_ms;
	/* verdict[i] for trail[i] as passed in: 0 applied, or why not */
	int *verdict;
	size_t n_verdicts;
	/* sig_good[i]: trail[i] is an action whose signature was checked good
	 * here (or was passed as sig_known and reached that check); 0 for
	 * other entries, bad signatures and actions refused before it. What a
	 * caller may remember and pass back as sig_known for the same bytes. */
	uint8_t *sig_good;
	/* internal */
	enum sp_report_status before_hold;   /* resumed after tunda */
	enum sp_report_status before_answer; /* restored by reopening */
	uint64_t stage_from_ms;              /* when the current stage began */
	struct sp_report_policy policy;
	int sealed_content;
	/* institutions with a copy of the content key in the trail (the
	 * envelope, applied actions and grants), allocated */
	char (*keyed)[SP_INST_ID_MAX + 1];
	size_t n_keyed;
	int has_reporter_key;
	uint8_t reporter_key[SP_KEY_BYTES];
	size_t n_seen;
	uint8_t (*seen)[SP_HASH_BYTES]; /* hashes of applied acts (replays) */
};

/* sp_report_compute computes the state of report `id` whose submission is
 * `sub` (an SP_EV_REPORT entry written by institution sub_inst) from
 * trail[0..n), in any order: entries are applied in (time, institution
 * id, index) order, each checked against the rules of docs/reports.md; an
 * entry that breaks one is marked invalid in st->verdict and skipped, it
 * never stops the computation. Deadlines and the auto-close use `now`.
 * sub_inst (whose log holds the submission: any node accepts any report)
 * is checked for presence only; the first holder is the body's routed_to.
 * st is filled and owns allocations: release with sp_report_state_free.
 * Errors (the computation itself): SP_ERR_ARG, SP_ERR_NOMEM, and the
 * sp_report_parse errors for a bad submission body. */
int sp_report_compute(const uint8_t id[SP_HASH_BYTES], const struct sp_entry *sub,
		      const char *sub_inst, const struct sp_report_trail *trail, size_t n,
		      const struct sp_report_ctx *ctx, uint64_t now, struct sp_report_state *st);

/* sp_report_state_free releases what sp_report_compute allocated. */
void sp_report_state_free(struct sp_report_state *st);

/* sp_report_keyless lists into out[0..return) the current holders of a
 * rahasia report that hold no copy of its content key (the ones an
 * SP_EV_KEY_GRANT is for), in ascending order; 0 for any other report. */
size_t sp_report_keyless(const struct sp_report_state *st,
			 char out[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1]);

/* sp_report_escalation_due says whether the holder's node should write an
 * escalation at `now`: 1 and *out filled if a VERIFY, ANSWER or CEILING
 * deadline has passed and no escalation for it is in the trail yet, else
 * 0. The writer is st->holders[0]. */
int sp_report_escalation_due(const struct sp_report_state *st, uint64_t now,
			     struct sp_report_escalation *out);

/* sp_report_status_name / sp_report_act_name: stable lower-case names
 * ("didisposisikan", "bukan_wewenang"); "?" for unknown values. */
const char *sp_report_status_name(int status);
/* sp_report_status_of: the status named name (as sp_report_status_name
 * writes it), or -1. */
int sp_report_status_of(const char *name);
const char *sp_report_act_name(int code);

/* sp_report_default_policy: 3, 5, 10 working days, 60 calendar days. */
struct sp_report_policy sp_report_default_policy(void);

#endif

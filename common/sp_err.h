/*
 * sp_err.h - the one project-wide error enum.
 *
 * Every Simpul function that can fail returns 0 (SP_OK) or one of these
 * negative codes. Codes are stable: they appear in logs, CLI exit messages
 * and API error bodies, so never renumber an existing one; append.
 *
 * SP_ERR_MAP is the only list: each XX(NAME, value, text) makes the enum
 * constant SP_ERR_NAME and its entry in sp_strerror and sp_errname (the
 * way libuv's UV_ERRNO_MAP does), so a code cannot exist without its
 * string. Add a code by adding one line here.
 */
#ifndef SP_ERR_H
#define SP_ERR_H

/* clang-format off */
#define SP_ERR_MAP(XX) \
	/* generic */ \
	XX(NOMEM, -1, "allocation failed") \
	XX(ARG, -2, "caller passed an invalid argument") \
	XX(IO, -3, "file or OS error") \
	XX(NOT_FOUND, -4, "no such item") \
	XX(EXISTS, -5, "item already exists") \
	XX(RANGE, -6, "index or size out of range") \
	XX(BUSY, -7, "resource in use (lock held, closing)") \
	XX(CLOSED, -8, "object is shutting down") \
	XX(INTERNAL, -9, "invariant broken: a bug") \
	XX(UNSUPPORTED, -10, "not supported by this release") \
	\
	/* CBOR / entry decoding (strict deterministic CBOR) */ \
	XX(CBOR_MALFORMED, -20, "not well-formed CBOR") \
	XX(CBOR_NONSHORTEST, -21, "integer or length not shortest form") \
	XX(CBOR_INDEFINITE, -22, "indefinite-length item") \
	XX(CBOR_UNSORTED, -23, "map keys not in ascending order") \
	XX(CBOR_DUPKEY, -24, "repeated map key") \
	XX(CBOR_TRAILING, -25, "bytes after the top-level item") \
	XX(CBOR_TYPE, -26, "item of a type not allowed here") \
	XX(ENTRY_FIELD, -27, "missing or unknown entry field") \
	XX(ENTRY_FIELD_SIZE, -28, "field has the wrong size") \
	XX(ENTRY_VERSION, -29, "unknown format version") \
	XX(ENTRY_TOO_LARGE, -30, "entry over 65,535 bytes") \
	XX(CBOR_UTF8, -31, "text string is not valid UTF-8") \
	\
	/* signatures and log integrity */ \
	XX(BAD_SIGNATURE, -40, "signature does not verify") \
	XX(WRONG_AUTHOR, -41, "entry signed by a key not the log's") \
	XX(WRONG_INDEX, -42, "entry index is not the next one") \
	XX(WRONG_PREV, -43, "previous-hash link broken") \
	XX(TIME_ORDER, -44, "time decreases within the log") \
	XX(FORK, -45, "different entry at an index held") \
	XX(INCONSISTENT, -46, "Merkle proof or checkpoint mismatch") \
	XX(PROOF, -47, "proof malformed or fails to verify") \
	XX(GAP, -48, "would leave a gap in a log") \
	XX(STALE, -49, "checkpoint older than one known") \
	XX(FORK_RESOLVED, -50, "on a branch the coordinator resolved away") \
	\
	/* signed notes, checkpoints, cosignatures, receipts */ \
	XX(NOTE_FORMAT, -60, "note text malformed") \
	XX(NOTE_NO_SIG, -61, "no signature by a known key") \
	XX(KEY_FORMAT, -62, "verifier key string malformed") \
	XX(CHECKPOINT, -63, "checkpoint body malformed") \
	XX(BASE64, -64, "bad base64") \
	XX(PASSPHRASE, -65, "wrong passphrase, or the protected key file is damaged") \
	\
	/* storage */ \
	XX(DB, -80, "RocksDB reported an error") \
	XX(CORRUPT, -81, "stored data fails its own checks") \
	XX(STORE_NEWER, -82, "store written by a newer release (its format is newer than this one " \
			     "reads): run that release, or restore the backup taken before the upgrade") \
	\
	/* config and CLI */ \
	XX(CONFIG, -100, "configuration invalid") \
	XX(USAGE, -101, "bad command-line usage") \
	\
	/* reports and their handling (docs/design.md §3) */ \
	XX(REPORT_FIELD, -120, "report or action body malformed") \
	XX(AUTHORITY, -121, "actor may not act on this report now") \
	XX(TRANSITION, -122, "action not allowed in the report's state") \
	XX(UNKNOWN_REPORT, -123, "no report with this id") \
	XX(REPORTER_PROOF, -124, "reporter key or tracking secret wrong") \
	XX(WINDOW, -125, "outside the reporter's reopen or rating window") \
	XX(SEALED, -126, "sealed content cannot be opened here") \
	\
	/* the directory: institutions, officers, routing, calendar */ \
	XX(DIR_RECORD, -140, "directory record malformed") \
	XX(UNKNOWN_INSTITUTION, -141, "institution not in the directory") \
	XX(UNKNOWN_OFFICER, -142, "officer key not enrolled at that time") \
	XX(NOT_DELEGATED, -143, "writer may not make this directory record") \
	XX(NO_ROUTE, -144, "no rule or region routes the report") \
	XX(DIR_CYCLE, -145, "the parent change would make a cycle") \
	XX(EXPIRED, -146, "signed request expired") \
	XX(NO_CALENDAR, -147, "no published holiday calendar for that year") \
	XX(RETIRED, -148, "institution retired: it no longer receives, holds or writes") \
	XX(NOT_ADMITTED, -149, "this node's institution is not in the directory (yet)") \
	\
	/* node: HTTP API, limits */ \
	XX(HTTP_BAD_REQUEST, -160, "malformed request or JSON") \
	XX(HTTP_TOO_LARGE, -161, "request body over the limit") \
	XX(RATE_LIMITED, -162, "too many requests from this address") \
	XX(REPLAY, -163, "signed request already seen or expired") \
	\
	/* peers and replication */ \
	XX(PEER_PROTOCOL, -180, "peer broke the session protocol") \
	XX(AUTH, -181, "peer authentication failed") \
	XX(UNKNOWN_PEER, -182, "peer key not in the directory") \
	XX(HASH_MISMATCH, -183, "content does not match its hash") \
	XX(NOT_EVIDENCE, -188, "fork evidence that proves no fork")
/* clang-format on */

enum sp_err {
	SP_OK = 0,
#define SP_ERR_ENUM_(name, value, text) SP_ERR_##name = (value),
	SP_ERR_MAP(SP_ERR_ENUM_)
#undef SP_ERR_ENUM_
};

/* SP_ERR_WHY_MAX: the size of a "why" buffer, the one sentence a node
 * service writes beside its code when the user needs more than the code's
 * text (which attachment, which institution); the HTTP API puts it in the
 * error's message. An empty string: the code says all there is. */
#define SP_ERR_WHY_MAX 256

/* sp_err_why writes the sentence for the user (printf-style, cut to fit)
 * into why and returns code, so a service refuses in one statement:
 * `return sp_err_why(why, SP_ERR_SEALED, "attachment %zu is sealed", i);`. */
int sp_err_why(char why[SP_ERR_WHY_MAX], int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* sp_strerror returns a static, human-readable string for an sp_err code.
 * Unknown codes give "unknown error". Never returns NULL. */
const char *sp_strerror(int err);

/* sp_errname returns the stable symbolic name ("SP_ERR_FORK") of a code,
 * for logs and machine-readable output. Never returns NULL. */
const char *sp_errname(int err);

#endif

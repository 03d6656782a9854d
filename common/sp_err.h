/*
 * sp_err.h - the one project-wide error enum.
 *
 * Every Simpul function that can fail returns 0 (SP_OK) or one of these
 * negative codes. Codes are stable: they appear in logs, CLI exit messages
 * and (later) API error bodies, so never renumber an existing one; append.
 */
#ifndef SP_ERR_H
#define SP_ERR_H

enum sp_err {
	SP_OK = 0,

	/* generic */
	SP_ERR_NOMEM = -1,     /* allocation failed */
	SP_ERR_ARG = -2,       /* caller passed an invalid argument */
	SP_ERR_IO = -3,        /* file or OS error */
	SP_ERR_NOT_FOUND = -4, /* no such item */
	SP_ERR_EXISTS = -5,    /* item already exists */
	SP_ERR_RANGE = -6,     /* index or size out of range */
	SP_ERR_BUSY = -7,      /* resource in use (lock held, closing) */
	SP_ERR_CLOSED = -8,    /* object is shutting down */
	SP_ERR_INTERNAL = -9,  /* invariant broken: a bug */

	/* CBOR / entry decoding (strict deterministic CBOR) */
	SP_ERR_CBOR_MALFORMED = -20,    /* not well-formed CBOR */
	SP_ERR_CBOR_NONSHORTEST = -21,  /* integer or length not shortest form */
	SP_ERR_CBOR_INDEFINITE = -22,   /* indefinite-length item */
	SP_ERR_CBOR_UNSORTED = -23,     /* map keys not in ascending order */
	SP_ERR_CBOR_DUPKEY = -24,       /* repeated map key */
	SP_ERR_CBOR_TRAILING = -25,     /* bytes after the top-level item */
	SP_ERR_CBOR_TYPE = -26,         /* item of a type not allowed here */
	SP_ERR_ENTRY_FIELD = -27,       /* missing or unknown entry field */
	SP_ERR_ENTRY_FIELD_SIZE = -28,  /* field has the wrong size */
	SP_ERR_ENTRY_VERSION = -29,     /* unknown format version */
	SP_ERR_ENTRY_TOO_LARGE = -30,   /* entry over 65,535 bytes */
	SP_ERR_CBOR_UTF8 = -31,         /* text string is not valid UTF-8 */

	/* signatures and log integrity */
	SP_ERR_BAD_SIGNATURE = -40,  /* signature does not verify */
	SP_ERR_WRONG_AUTHOR = -41,   /* entry signed by a key not the log's */
	SP_ERR_WRONG_INDEX = -42,    /* entry index is not the next one */
	SP_ERR_WRONG_PREV = -43,     /* previous-hash link broken */
	SP_ERR_TIME_ORDER = -44,     /* time decreases within the log */
	SP_ERR_FORK = -45,           /* different entry at an index held */
	SP_ERR_INCONSISTENT = -46,   /* Merkle proof or checkpoint mismatch */
	SP_ERR_PROOF = -47,          /* proof malformed or fails to verify */
	SP_ERR_GAP = -48,            /* would leave a gap in a log */
	SP_ERR_STALE = -49,          /* checkpoint older than one known */
	SP_ERR_FORK_RESOLVED = -50,  /* on a branch the coordinator resolved away */

	/* signed notes, checkpoints, cosignatures, receipts */
	SP_ERR_NOTE_FORMAT = -60,    /* note text malformed */
	SP_ERR_NOTE_NO_SIG = -61,    /* no signature by a known key */
	SP_ERR_KEY_FORMAT = -62,     /* verifier key string malformed */
	SP_ERR_CHECKPOINT = -63,     /* checkpoint body malformed */
	SP_ERR_BASE64 = -64,         /* bad base64 */

	/* storage */
	SP_ERR_DB = -80,             /* RocksDB reported an error */
	SP_ERR_CORRUPT = -81,        /* stored data fails its own checks */

	/* config and CLI */
	SP_ERR_CONFIG = -100,        /* configuration invalid */
	SP_ERR_USAGE = -101,         /* bad command-line usage */

	/* reports and their handling (DESIGN section 3) */
	SP_ERR_REPORT_FIELD = -120,  /* report or action body malformed */
	SP_ERR_AUTHORITY = -121,     /* actor may not act on this report now */
	SP_ERR_TRANSITION = -122,    /* action not allowed in the report's state */
	SP_ERR_UNKNOWN_REPORT = -123, /* no report with this id */
	SP_ERR_REPORTER_PROOF = -124, /* reporter key or tracking secret wrong */
	SP_ERR_WINDOW = -125,        /* outside the reporter's reopen/rate window */
	SP_ERR_SEALED = -126,        /* sealed content cannot be opened here */

	/* the directory: institutions, officers, routing, calendar */
	SP_ERR_DIR_RECORD = -140,    /* directory record malformed */
	SP_ERR_UNKNOWN_INSTITUTION = -141, /* institution not in the directory */
	SP_ERR_UNKNOWN_OFFICER = -142, /* officer key not enrolled (at that time) */
	SP_ERR_NOT_DELEGATED = -143, /* writer may not make this directory record */
	SP_ERR_NO_ROUTE = -144,      /* no rule or region routes the report */

	/* node: HTTP API, limits */
	SP_ERR_HTTP_BAD_REQUEST = -160, /* malformed request or JSON */
	SP_ERR_HTTP_TOO_LARGE = -161,   /* request body over the limit */
	SP_ERR_RATE_LIMITED = -162,     /* too many requests from this address */
	SP_ERR_REPLAY = -163,           /* signed request already seen or expired */

	/* peers and replication */
	SP_ERR_PEER_PROTOCOL = -180,    /* peer broke the session protocol */
	SP_ERR_AUTH = -181,             /* peer authentication failed */
	SP_ERR_UNKNOWN_PEER = -182,     /* peer key not in the directory */
	SP_ERR_HASH_MISMATCH = -183,    /* content does not match its hash */
	SP_ERR_NOT_EVIDENCE = -188,     /* fork evidence that proves no fork */
};

/* sp_strerror returns a static, human-readable string for an sp_err code.
 * Unknown codes give "unknown error". Never returns NULL. */
const char *sp_strerror(int err);

/* sp_errname returns the stable symbolic name ("SP_ERR_FORK") of a code,
 * for logs and machine-readable output. Never returns NULL. */
const char *sp_errname(int err);

#endif

/*
 * sp_err.c - strings for the project-wide error codes in sp_err.h.
 */
#include "sp_err.h"

#include <stddef.h>

struct sp_err_desc {
	int code;
	const char *name;
	const char *text;
};

static const struct sp_err_desc sp_err_table[] = {
	{SP_OK, "SP_OK", "success"},
	{SP_ERR_NOMEM, "SP_ERR_NOMEM", "allocation failed"},
	{SP_ERR_ARG, "SP_ERR_ARG", "caller passed an invalid argument"},
	{SP_ERR_IO, "SP_ERR_IO", "file or OS error"},
	{SP_ERR_NOT_FOUND, "SP_ERR_NOT_FOUND", "no such item"},
	{SP_ERR_EXISTS, "SP_ERR_EXISTS", "item already exists"},
	{SP_ERR_RANGE, "SP_ERR_RANGE", "index or size out of range"},
	{SP_ERR_BUSY, "SP_ERR_BUSY", "resource in use (lock held, closing)"},
	{SP_ERR_CLOSED, "SP_ERR_CLOSED", "object is shutting down"},
	{SP_ERR_INTERNAL, "SP_ERR_INTERNAL", "invariant broken: a bug"},
	{SP_ERR_CBOR_MALFORMED, "SP_ERR_CBOR_MALFORMED", "not well-formed CBOR"},
	{SP_ERR_CBOR_NONSHORTEST, "SP_ERR_CBOR_NONSHORTEST", "integer or length not shortest form"},
	{SP_ERR_CBOR_INDEFINITE, "SP_ERR_CBOR_INDEFINITE", "indefinite-length item"},
	{SP_ERR_CBOR_UNSORTED, "SP_ERR_CBOR_UNSORTED", "map keys not in ascending order"},
	{SP_ERR_CBOR_DUPKEY, "SP_ERR_CBOR_DUPKEY", "repeated map key"},
	{SP_ERR_CBOR_TRAILING, "SP_ERR_CBOR_TRAILING", "bytes after the top-level item"},
	{SP_ERR_CBOR_TYPE, "SP_ERR_CBOR_TYPE", "item of a type not allowed here"},
	{SP_ERR_ENTRY_FIELD, "SP_ERR_ENTRY_FIELD", "missing or unknown entry field"},
	{SP_ERR_ENTRY_FIELD_SIZE, "SP_ERR_ENTRY_FIELD_SIZE", "field has the wrong size"},
	{SP_ERR_ENTRY_VERSION, "SP_ERR_ENTRY_VERSION", "unknown format version"},
	{SP_ERR_ENTRY_TOO_LARGE, "SP_ERR_ENTRY_TOO_LARGE", "entry over 65,535 bytes"},
	{SP_ERR_CBOR_UTF8, "SP_ERR_CBOR_UTF8", "text string is not valid UTF-8"},
	{SP_ERR_BAD_SIGNATURE, "SP_ERR_BAD_SIGNATURE", "signature does not verify"},
	{SP_ERR_WRONG_AUTHOR, "SP_ERR_WRONG_AUTHOR", "entry signed by a key not the log's"},
	{SP_ERR_WRONG_INDEX, "SP_ERR_WRONG_INDEX", "entry index is not the next one"},
	{SP_ERR_WRONG_PREV, "SP_ERR_WRONG_PREV", "previous-hash link broken"},
	{SP_ERR_TIME_ORDER, "SP_ERR_TIME_ORDER", "time decreases within the log"},
	{SP_ERR_FORK, "SP_ERR_FORK", "different entry at an index held"},
	{SP_ERR_INCONSISTENT, "SP_ERR_INCONSISTENT", "Merkle proof or checkpoint mismatch"},
	{SP_ERR_PROOF, "SP_ERR_PROOF", "proof malformed or fails to verify"},
	{SP_ERR_GAP, "SP_ERR_GAP", "would leave a gap in a log"},
	{SP_ERR_FORK_RESOLVED, "SP_ERR_FORK_RESOLVED", "on a branch the coordinator resolved away"},
	{SP_ERR_STALE, "SP_ERR_STALE", "checkpoint older than one known"},
	{SP_ERR_NOTE_FORMAT, "SP_ERR_NOTE_FORMAT", "note text malformed"},
	{SP_ERR_NOTE_NO_SIG, "SP_ERR_NOTE_NO_SIG", "no signature by a known key"},
	{SP_ERR_KEY_FORMAT, "SP_ERR_KEY_FORMAT", "verifier key string malformed"},
	{SP_ERR_CHECKPOINT, "SP_ERR_CHECKPOINT", "checkpoint body malformed"},
	{SP_ERR_BASE64, "SP_ERR_BASE64", "bad base64"},
	{SP_ERR_DB, "SP_ERR_DB", "RocksDB reported an error"},
	{SP_ERR_CORRUPT, "SP_ERR_CORRUPT", "stored data fails its own checks"},
	{SP_ERR_CONFIG, "SP_ERR_CONFIG", "configuration invalid"},
	{SP_ERR_USAGE, "SP_ERR_USAGE", "bad command-line usage"},
	{SP_ERR_REPORT_FIELD, "SP_ERR_REPORT_FIELD", "report or action body malformed"},
	{SP_ERR_AUTHORITY, "SP_ERR_AUTHORITY", "actor may not act on this report now"},
	{SP_ERR_TRANSITION, "SP_ERR_TRANSITION", "action not allowed in the report's state"},
	{SP_ERR_UNKNOWN_REPORT, "SP_ERR_UNKNOWN_REPORT", "no report with this id"},
	{SP_ERR_REPORTER_PROOF, "SP_ERR_REPORTER_PROOF", "reporter key or tracking secret wrong"},
	{SP_ERR_WINDOW, "SP_ERR_WINDOW", "outside the reporter's reopen or rating window"},
	{SP_ERR_SEALED, "SP_ERR_SEALED", "sealed content cannot be opened here"},
	{SP_ERR_DIR_RECORD, "SP_ERR_DIR_RECORD", "directory record malformed"},
	{SP_ERR_UNKNOWN_INSTITUTION, "SP_ERR_UNKNOWN_INSTITUTION", "institution not in the directory"},
	{SP_ERR_UNKNOWN_OFFICER, "SP_ERR_UNKNOWN_OFFICER", "officer key not enrolled at that time"},
	{SP_ERR_NOT_DELEGATED, "SP_ERR_NOT_DELEGATED", "writer may not make this directory record"},
	{SP_ERR_NO_ROUTE, "SP_ERR_NO_ROUTE", "no rule or region routes the report"},
	{SP_ERR_HTTP_BAD_REQUEST, "SP_ERR_HTTP_BAD_REQUEST", "malformed request or JSON"},
	{SP_ERR_HTTP_TOO_LARGE, "SP_ERR_HTTP_TOO_LARGE", "request body over the limit"},
	{SP_ERR_RATE_LIMITED, "SP_ERR_RATE_LIMITED", "too many requests from this address"},
	{SP_ERR_REPLAY, "SP_ERR_REPLAY", "signed request already seen or expired"},
	{SP_ERR_PEER_PROTOCOL, "SP_ERR_PEER_PROTOCOL", "peer broke the session protocol"},
	{SP_ERR_AUTH, "SP_ERR_AUTH", "peer authentication failed"},
	{SP_ERR_UNKNOWN_PEER, "SP_ERR_UNKNOWN_PEER", "peer key not in the directory"},
	{SP_ERR_HASH_MISMATCH, "SP_ERR_HASH_MISMATCH", "content does not match its hash"},
	{SP_ERR_NOT_EVIDENCE, "SP_ERR_NOT_EVIDENCE", "fork evidence that proves no fork"},
};

static const struct sp_err_desc *sp_err_find(int err)
{
	for (size_t i = 0; i < sizeof(sp_err_table) / sizeof(sp_err_table[0]); i++)
		if (sp_err_table[i].code == err)
			return &sp_err_table[i];
	return NULL;
}

const char *sp_strerror(int err)
{
	const struct sp_err_desc *d = sp_err_find(err);
	return d ? d->text : "unknown error";
}

const char *sp_errname(int err)
{
	const struct sp_err_desc *d = sp_err_find(err);
	return d ? d->name : "SP_ERR_UNKNOWN";
}

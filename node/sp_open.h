/*
 * sp_open.h - a node service: opening a sealed report for an officer
 * (POST /v1/reports/{id}/open).
 *
 * A report's sealed envelope (rahasia title and content, the reporter's
 * name and contact) can be opened only with a copy of its content key
 * sealed to an institution's X25519 key: in the envelope (the first holder
 * and the national coordinator), in an applied action's key 8 (a holder
 * forwarded to) or in an applied SP_EV_KEY_GRANT (a holder by take-over or
 * transfer, once the coordinator's node has granted it one). sp_open_report opens the copy addressed to this node's
 * institution with its seal key, and only for an officer who signed a
 * fresh request (sp_report_open_req_verify), is enrolled now, and belongs
 * to an institution that currently holds the report or is the national
 * coordinator.
 *
 * Replays: a request is good for SP_REPORT_OPEN_WINDOW_MS either side of
 * its issued time, and the node remembers the signatures of the requests
 * it answered until they expire (a bounded table per node, sp_replay.h);
 * a second use is SP_ERR_REPLAY. When the table is full of live
 * signatures, requests get SP_ERR_BUSY rather than forgetting one.
 *
 * Logging: one line per opened report, "opened report <id> by officer
 * <key prefix>"; never the purpose, the content or the key. Nothing here
 * knows HTTP or JSON. Layer: node service, below the HTTP API, above
 * sp_node_core.c, the report index and the directory.
 */
#ifndef SP_OPEN_H
#define SP_OPEN_H

#include <stddef.h>
#include <stdint.h>

#include "sp_err.h"
#include "sp_node.h"
#include "sp_report.h"
#include "sp_reports.h"

/* An opened report: its view (state, body, trail), its private parts
 * (publik and anonim title and content are the public ones in the body)
 * and, if it has an envelope, its content key. Owns what it holds:
 * release with sp_open_free. */
struct sp_open {
	struct sp_reports_view v;
	struct sp_report_private p; /* borrows plain */
	uint8_t *plain;
	size_t len;
	int has_key;
	uint8_t key[SP_REPORT_CKEY_BYTES];
};

/* sp_open_report checks request q at time now (the purpose, the signature
 * and the replay window; the officer's enrolment and right to read the
 * report; the replay table) and opens the report into *out. On 0 the
 * caller releases *out with sp_open_free; on an error *out holds nothing.
 * Errors with why set for the user: SP_ERR_REPORT_FIELD (the purpose),
 * SP_ERR_BAD_SIGNATURE, SP_ERR_REPLAY (stale or used already),
 * SP_ERR_UNKNOWN_OFFICER, SP_ERR_AUTHORITY, SP_ERR_BUSY (the replay table
 * is full), SP_ERR_SEALED (this node holds no key copy); why "":
 * SP_ERR_UNKNOWN_REPORT, store, parse and sealing errors. */
int sp_open_report(struct sp_node *n, const struct sp_report_open_req *q, uint64_t now,
		   struct sp_open *out, char why[SP_ERR_WHY_MAX]);

/* sp_open_held opens report id for this node's own notifications
 * (sp_webhook.h), with no officer: only while this node's institution is
 * one of the report's current holders, with its own seal key copy. On 0
 * the caller releases *out with sp_open_free. SP_ERR_AUTHORITY (not a
 * holder now), SP_ERR_SEALED (no key copy this node can open),
 * SP_ERR_UNKNOWN_REPORT, store, parse and sealing errors. Logs nothing:
 * the caller says what it opened for. */
int sp_open_held(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], uint64_t now,
		 struct sp_open *out);

/* sp_open_key opens this node's institution's copy of the content key of
 * the report viewed in v (the envelope's, an applied action's or grant's)
 * into key, which the caller wipes after use. SP_ERR_SEALED if there is
 * no envelope or no copy this node can open. */
int sp_open_key(struct sp_node *n, const struct sp_reports_view *v,
		uint8_t key[SP_REPORT_CKEY_BYTES]);

/* sp_open_free zeroes and frees what *o holds. */
void sp_open_free(struct sp_open *o);

#endif

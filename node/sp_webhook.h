/*
 * sp_webhook.h - notifications: when a report this node's institution
 * holds or has held changes state (status, holders, escalations, rating,
 * answer), an HTTP POST to the configured endpoint ([webhooks] url: an SMS
 * gateway, a mail relay), signed with HMAC-SHA256 under the key in
 * [webhooks] secret.
 *
 * Its own thread, so it never blocks the node: every [webhooks]
 * interval_ms it reads the report index's change feed from where it got
 * to (sp_reports_changes: the changes since, never every report), writes
 * one event file per change of a report its institution holds or held
 * into a durable outbox (<data>/webhooks/out/<seq>.json, fsynced file and
 * folder, before the cursor is moved on in <data>/webhooks/cursor), and
 * delivers the outbox in order: a file
 * is removed only after a 2xx answer; a failure is retried with doubling
 * backoff (1 s up to 5 min) and holds the events after it, so they arrive
 * in order. Delivery is at least once (a crash between the POST and the
 * removal repeats an event): receivers deduplicate by event id.
 *
 * Request: POST url, Content-Type application/json, headers
 *   X-Simpul-Event: <event id>
 *   X-Simpul-Timestamp: <unix seconds>
 *   X-Simpul-Signature: sha256=<hex HMAC-SHA256(key, timestamp "." body)>
 * body {"event_id", "type": "report.state", "report_id", "ticket", "status",
 *       "holders", "escalations", "overdue", "rating", "answered", "node", "time"}.
 * No contact data is sent (see docs/operations.md "Webhooks").
 *
 * On its first start (no <data>/webhooks/cursor) it starts at the feed's
 * end: only changes from then on are sent. Each change is sent with the
 * state as it was then, so two changes between two reads are two events.
 */
#ifndef SP_WEBHOOK_H
#define SP_WEBHOOK_H

#include "sp_conf.h"
#include "sp_logx.h"
#include "sp_reports.h"

struct sp_webhook;

/* sp_webhook_start reads the key file and starts the thread (nothing, *out
 * NULL, if no url is configured). *out is the caller's: sp_webhook_stop.
 * SP_ERR_CONFIG (no or empty key file), SP_ERR_IO, SP_ERR_NOMEM. */
int sp_webhook_start(const struct sp_conf *c, struct sp_reports *reports, struct sp_logx *log,
		     struct sp_webhook **out);

/* sp_webhook_stop ends the thread (an undelivered outbox stays on disk for
 * the next start) and frees w (NULL: no-op). */
void sp_webhook_stop(struct sp_webhook *w);

#endif

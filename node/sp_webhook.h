/*
 * sp_webhook.h - notifications: when a report this node's institution
 * holds or has held changes state (status, holders, escalations, rating,
 * answer), an event for each configured endpoint (an SMS gateway, a mail
 * relay): [webhooks] url, and any number of [webhook.NAME] sections, each
 * POSTed and signed by its own sp_hook_ep (sp_hook_ep.h) with its own key,
 * outbox and thread, so a failing endpoint holds back only its own events.
 *
 * A thread of its own, so it never blocks the node: every [webhooks]
 * interval_ms it reads the report index's change feed from where it got
 * to (sp_reports_changes: the changes since, never every report), writes
 * one event per change of a report its institution holds or held into
 * every endpoint's durable outbox, before the cursor is moved on in
 * <data>/webhooks/cursor. Each change is sent with the state as it was
 * then, so two changes between two reads are two events. Once the cursor
 * is recorded, the feed's changes before it are pruned
 * (sp_reports_changes_prune): the webhook is the feed's only reader.
 * Delivery is at least once: receivers deduplicate by event id. Event
 * numbers start from the clock (microseconds) at each start, so ids are
 * not used twice.
 *
 * body {"event_id", "type": "report.state", "report_id", "ticket", "status",
 *       "holders", "escalations", "overdue", "rating", "answered", "node", "time"}
 * and, for an endpoint with include_contact = true, "contact": the
 * reporter's contact as given, opened with this node's seal key
 * (sp_open_held) only while this node's institution holds the report,
 * never for an anonim report. That outbox file is 0600, zeroed from
 * memory after use and removed on delivery; nothing about it is logged.
 *
 * On its first start (no <data>/webhooks/cursor) it starts at the feed's
 * end: only changes from then on are sent.
 */
#ifndef SP_WEBHOOK_H
#define SP_WEBHOOK_H

#include "sp_conf.h"
#include "sp_logx.h"
#include "sp_node.h"

struct sp_webhook;

/* sp_webhook_wanted: c configures at least one endpoint (the webhook is
 * then the reader of the index's change feed, and prunes it). */
int sp_webhook_wanted(const struct sp_conf *c);

/* sp_webhook_start starts the endpoints and the thread (nothing, *out
 * NULL, if no endpoint is configured); node gives the report index and
 * the seal key. *out is the caller's: sp_webhook_stop. SP_ERR_CONFIG (no
 * or empty key file), SP_ERR_IO, SP_ERR_CORRUPT, SP_ERR_NOMEM. */
int sp_webhook_start(const struct sp_conf *c, struct sp_node *node, struct sp_logx *log,
		     struct sp_webhook **out);

/* sp_webhook_stop ends the threads (an undelivered outbox stays on disk for
 * the next start) and frees w (NULL: no-op). */
void sp_webhook_stop(struct sp_webhook *w);

#endif

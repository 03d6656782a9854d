/*
 * sp_webhook.c - report state notifications over HTTP with a durable
 * outbox (see sp_webhook.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sp_clock.h"
#include "sp_err.h"
#include "sp_files.h"
#include "sp_hook_ep.h"
#include "sp_node.h"
#include "sp_open.h"
#include "sp_ticket.h"
#include "sp_webhook.h"

struct sp_webhook {
	char inst[SP_INST_ID_MAX + 1];
	char dir[PATH_MAX + 16], cursor_path[PATH_MAX + 48];
	struct sp_node *node;
	struct sp_reports *reports;
	struct sp_logx *log;
	uint64_t cursor;       /* the index's change feed: next change to look at */
	uint64_t seq;          /* next event number */
	struct sp_hook_ep *eps[SP_CONF_HOOKS_MAX + 1];
	size_t neps;
	int any_contact;       /* an endpoint wants the reporter's contact */
	struct sp_hook_tick tick;
};

/* ---- finding changes ---------------------------------------------------------------------- */

#define SCAN_BATCH 1024

struct scan {
	struct sp_webhook *w;
	int err;
};

static json_t *event_json(struct sp_webhook *w, const struct sp_reports_summary *s,
			  const char *idh, uint64_t seq)
{
	char ticket[SP_TICKET_MAX] = "", eid[96];
	sp_ticket_format(s->log, s->index, s->id, ticket);
	snprintf(eid, sizeof(eid), "%s-%016llu", w->inst, (unsigned long long)seq);
	json_t *holders = json_array();
	for (size_t i = 0; holders && i < s->n_holders; i++)
		json_array_append_new(holders, json_string(s->holders[i]));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:i,s:b,s:i,s:I,s:s,s:I}", "event_id", eid,
			 "type", "report.state", "report_id", idh, "ticket", ticket, "status",
			 sp_report_status_name(s->status), "holders", holders, "escalations",
			 (int)s->escalations, "overdue", s->overdue, "rating", (int)s->rating,
			 "answered", (json_int_t)s->answered_ms, "node", w->inst, "time",
			 (json_int_t)sp_now_ms());
}

/* put_event writes ev into every endpoint's outbox as number w->seq; with
 * contact (NULL: none) for the endpoints that take it. */
static int put_event(struct sp_webhook *w, json_t *ev, const struct sp_str *contact)
{
	char *plain = json_dumps(ev, JSON_COMPACT), *with = NULL;
	if (contact && json_object_set_new(ev, "contact", json_stringn(contact->p, contact->n)) == 0)
		with = json_dumps(ev, JSON_COMPACT);
	int rc = plain && (contact == NULL || with) ? 0 : SP_ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < w->neps; i++)
		rc = sp_hook_ep_put(w->eps[i], w->seq,
				    with && sp_hook_ep_contact(w->eps[i]) ? with : plain);
	free(plain);
	if (with)
		sodium_memzero(with, strlen(with));
	free(with);
	return rc;
}

/* emit writes the event for report s's new state into the outboxes: with
 * the reporter's contact for the endpoints that take it, only while this
 * node holds the report (sp_open_held), never for an anonim one. */
static int emit(struct sp_webhook *w, const struct sp_reports_summary *s, const char *idh)
{
	json_t *ev = event_json(w, s, idh, w->seq);
	if (ev == NULL)
		return SP_ERR_NOMEM;
	struct sp_open op;
	int opened = w->any_contact && sp_open_held(w->node, s->id, sp_now_ms(), &op) == 0;
	const struct sp_str *contact = NULL;
	if (opened && op.v.body.vis != SP_REPORT_ANONIM && op.p.contact.n > 0)
		contact = &op.p.contact;
	int rc = put_event(w, ev, contact);
	if (opened)
		sp_open_free(&op);
	json_decref(ev);
	return rc;
}

/* concerns: the node's institution holds or held the report */
static int concerns(const struct sp_webhook *w, const struct sp_reports_summary *s)
{
	for (size_t i = 0; i < s->n_holders; i++)
		if (strcmp(s->holders[i], w->inst) == 0)
			return 1;
	for (size_t i = 0; i < s->n_handled; i++)
		if (strcmp(s->handled[i], w->inst) == 0)
			return 1;
	return 0;
}

/* on_change writes one event for a change of a report it concerns. */
static int on_change(void *arg, const struct sp_reports_summary *s)
{
	struct scan *sc = arg;
	struct sp_webhook *w = sc->w;
	if (!concerns(w, s))
		return 0;
	char idh[65];
	sodium_bin2hex(idh, sizeof(idh), s->id, 32);
	int rc = emit(w, s, idh);
	if (rc) {
		sc->err = rc;
		return 1; /* stop: this change again next round */
	}
	w->seq++;
	return 0;
}

/* save_cursor records how far the change feed was notified. */
static int save_cursor(struct sp_webhook *w)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)w->cursor);
	return sp_hook_write_durable(w->dir, "cursor", text, (size_t)n);
}

/* prune removes the changes before the recorded cursor from the index's
 * feed: this is the feed's one reader, and it never reads them again. */
static void prune(struct sp_webhook *w)
{
	int rc = sp_reports_changes_prune(w->reports, w->cursor, NULL);
	if (rc && rc != SP_ERR_BUSY)
		sp_logx(w->log, SP_LOGX_WARN, "webhook", "change feed prune failed err=%s",
			sp_errname(rc));
}

/* scan reads the index's change feed from the cursor on (never every
 * report), writes the events, then moves the cursor. */
static void scan(struct sp_webhook *w)
{
	struct scan sc = {w, 0};
	uint64_t from = w->cursor, next = from;
	int rc;
	do {
		from = next;
		rc = sp_reports_changes(w->reports, from, SCAN_BATCH, sp_now_ms(), on_change, &sc,
					&next);
	} while (rc == 0 && next - from == SCAN_BATCH);
	if (next != w->cursor) {
		w->cursor = next;
		if (save_cursor(w) != 0)
			sp_logx(w->log, SP_LOGX_WARN, "webhook", "cannot record notified changes");
		else
			prune(w); /* only once the cursor is durable */
	}
	if (sc.err)
		sp_logx(w->log, SP_LOGX_WARN, "webhook", "outbox write failed err=%s",
			sp_errname(sc.err));
	else if (rc && rc != SP_ERR_BUSY)
		sp_logx(w->log, SP_LOGX_WARN, "webhook", "change feed read failed err=%s",
			sp_errname(rc));
}

static void run(void *arg)
{
	scan(arg);
}

/* ---- start and stop ------------------------------------------------------------------------ */

/* start_eps starts an endpoint for [webhooks] url (outbox
 * <data>/webhooks/out, as before there were several) and one for each
 * [webhook.NAME] (<data>/webhooks/endpoint.NAME). */
static int start_eps(struct sp_webhook *w, const struct sp_conf *c)
{
	char out[PATH_MAX + 64];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i <= c->nhooks; i++) {
		struct sp_hook_ep_opts o = {.interval_ms = c->hook_interval_ms, .out_dir = out};
		if (i == c->nhooks) {
			if (c->hook_url[0] == '\0')
				break;
			o.name = "webhooks";
			o.url = c->hook_url;
			o.secret_path = c->hook_secret_path;
			snprintf(out, sizeof(out), "%s/out", w->dir);
		} else {
			o.name = c->hooks[i].name;
			o.url = c->hooks[i].url;
			o.secret_path = c->hooks[i].secret_path;
			o.include_contact = c->hooks[i].include_contact;
			snprintf(out, sizeof(out), "%s/endpoint.%s", w->dir, c->hooks[i].name);
		}
		rc = sp_hook_ep_start(&o, w->log, &w->eps[w->neps]);
		if (rc == 0) {
			w->any_contact |= o.include_contact;
			uint64_t next = sp_hook_ep_next_seq(w->eps[w->neps++]);
			w->seq = next > w->seq ? next : w->seq;
		}
	}
	return rc;
}

static void free_webhook(struct sp_webhook *w)
{
	for (size_t i = 0; i < w->neps; i++)
		sp_hook_ep_stop(w->eps[i]);
	free(w);
}

/* load_cursor reads <dir>/cursor; on the first start (none yet) the
 * cursor is the feed's end, recorded: only changes from then on are
 * notified. SP_ERR_CORRUPT, SP_ERR_IO. */
static int load_cursor(struct sp_webhook *w)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_file_read(w->cursor_path, 32, &b);
	if (rc == SP_ERR_NOT_FOUND) {
		sp_buf_free(&b);
		w->cursor = sp_reports_change_end(w->reports);
		return save_cursor(w);
	}
	char text[33] = "", *end = NULL;
	if (rc == 0 && !b.err && b.len < sizeof(text))
		memcpy(text, b.p, b.len);
	sp_buf_free(&b);
	if (rc)
		return rc;
	w->cursor = strtoull(text, &end, 10);
	if (end == text || (*end != '\n' && *end != '\0'))
		return SP_ERR_CORRUPT;
	/* A cursor past the feed's end means the index lost changes it had
	 * numbered (a new index, or its last writes lost with the machine's
	 * power): it numbers them again from its end, and they are notified. */
	uint64_t feed_end = sp_reports_change_end(w->reports);
	if (w->cursor > feed_end) {
		sp_logx(w->log, SP_LOGX_WARN, "webhook",
			"notified up to change %llu but the index ends at %llu: reading from there",
			(unsigned long long)w->cursor, (unsigned long long)feed_end);
		w->cursor = feed_end;
		return save_cursor(w);
	}
	/* Below the feed's floor: the node ran without webhooks meanwhile and
	 * nobody kept those changes (or a rebuild of the index cleared them). */
	uint64_t floor = sp_reports_change_floor(w->reports);
	if (w->cursor < floor) {
		sp_logx(w->log, SP_LOGX_WARN, "webhook",
			"changes %llu to %llu were not kept (no webhook read them): not notified",
			(unsigned long long)w->cursor, (unsigned long long)floor - 1);
		w->cursor = floor;
		return save_cursor(w);
	}
	return 0;
}

int sp_webhook_wanted(const struct sp_conf *c)
{
	return c->hook_url[0] != '\0' || c->nhooks > 0;
}

int sp_webhook_start(const struct sp_conf *c, struct sp_node *node, struct sp_logx *log,
		     struct sp_webhook **out)
{
	*out = NULL;
	if (!sp_webhook_wanted(c))
		return 0;
	struct sp_webhook *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return SP_ERR_NOMEM;
	snprintf(w->inst, sizeof(w->inst), "%s", c->id);
	snprintf(w->dir, sizeof(w->dir), "%s/webhooks", c->data_dir);
	snprintf(w->cursor_path, sizeof(w->cursor_path), "%s/cursor", w->dir);
	w->node = node;
	w->reports = sp_node_reports(node);
	w->log = log;
	/* Event numbers go on from the clock (in microseconds) so that an id is
	 * not used again after a restart with empty outboxes: receivers
	 * deduplicate by it. */
	w->seq = sp_now_ms() * 1000;
	int rc = start_eps(w, c);
	if (rc) {
		free_webhook(w);
		return rc;
	}
	rc = load_cursor(w);
	if (rc) {
		sp_logx(log, SP_LOGX_ERROR, "webhook", "%s is not a change number", w->cursor_path);
		free_webhook(w);
		return rc;
	}
	prune(w); /* what a start before this one left */
	rc = sp_hook_tick_start(&w->tick, c->hook_interval_ms, run, w);
	if (rc) {
		free_webhook(w);
		return rc;
	}
	sp_logx(log, SP_LOGX_INFO, "webhook", "%zu endpoint(s), changes read every %u ms "
		"(events from %llu)", w->neps, c->hook_interval_ms, (unsigned long long)w->seq);
	*out = w;
	return 0;
}

void sp_webhook_stop(struct sp_webhook *w)
{
	if (w == NULL)
		return;
	sp_hook_tick_stop(&w->tick);
	free_webhook(w);
}

/*
 * sp_hook_ep.h - one webhook endpoint (sp_webhook.h): its durable outbox
 * and the thread that delivers it to its URL, signed, in order, with
 * backoff. Each endpoint has its own folder, key, thread and retry state,
 * so one that refuses or hangs holds back only its own events.
 *
 * Outbox: <folder>/<16-digit number>.json, each written through a
 * temporary file, fsynced with its folder, mode 0600 (an event may carry
 * the reporter's contact), and removed once the endpoint answers 2xx.
 * Request: POST url, Content-Type application/json, headers
 *   X-Simpul-Event: <the body's event_id>
 *   X-Simpul-Timestamp: <unix seconds>
 *   X-Simpul-Signature: sha256=<hex HMAC-SHA256(key, timestamp "." body)>
 * A failure is retried after 1 s, doubling up to 5 min, and the events
 * after it wait. Log lines name the endpoint and the event file, never a
 * body.
 */
#ifndef SP_HOOK_EP_H
#define SP_HOOK_EP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_logx.h"

/* sp_hook_write_durable replaces dir/name with data[0..len): a temporary
 * file (mode 0600), fsync, rename, fsync of the folder. SP_ERR_IO. */
int sp_hook_write_durable(const char *dir, const char *name, const char *data, size_t len);

/* A thread that calls fn(arg) every interval_ms, or sooner when kicked. */
struct sp_hook_tick {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping, kicked;
	uint32_t interval_ms;
	void (*fn)(void *arg);
	void *arg;
};

/* sp_hook_tick_start starts t's thread (SP_ERR_NOMEM if it cannot);
 * sp_hook_tick_kick runs fn soon; sp_hook_tick_stop waits for the thread
 * to end. */
int sp_hook_tick_start(struct sp_hook_tick *t, uint32_t interval_ms, void (*fn)(void *arg),
		       void *arg);
void sp_hook_tick_kick(struct sp_hook_tick *t);
void sp_hook_tick_stop(struct sp_hook_tick *t);

struct sp_hook_ep;

/* What an endpoint is: its name (for logs), URL, key file (its bytes, a
 * final newline dropped, 1 to 1024), outbox folder (made 0700 if missing),
 * whether its events carry contact, and how often its outbox is tried. */
struct sp_hook_ep_opts {
	const char *name, *url, *secret_path, *out_dir;
	int include_contact;
	uint32_t interval_ms;
};

/* sp_hook_ep_start reads the key, makes the folder and starts delivering
 * what the outbox holds. *out is the caller's: sp_hook_ep_stop.
 * SP_ERR_CONFIG (no key), SP_ERR_IO, SP_ERR_NOMEM. */
int sp_hook_ep_start(const struct sp_hook_ep_opts *o, struct sp_logx *log,
		     struct sp_hook_ep **out);

/* sp_hook_ep_put writes event text as number seq into e's outbox
 * (durable when it returns 0) and wakes its thread. SP_ERR_IO. */
int sp_hook_ep_put(struct sp_hook_ep *e, uint64_t seq, const char *text);

/* sp_hook_ep_contact: 1 if e's events carry the reporter's contact. */
int sp_hook_ep_contact(const struct sp_hook_ep *e);

/* sp_hook_ep_next_seq: one past the largest event number in e's outbox
 * (0 if it is empty). */
uint64_t sp_hook_ep_next_seq(struct sp_hook_ep *e);

/* sp_hook_ep_stop ends e's thread (an undelivered outbox stays for the
 * next start), zeroes its key and frees it (NULL: no-op). */
void sp_hook_ep_stop(struct sp_hook_ep *e);

#endif

/*
 * sp_admin_svc.h - the node's administration service, below the HTTP
 * handlers of sp_api_admin.c: the memory of admin requests already
 * written (their nonces, so that none is written twice), the one-at-a-time
 * order in which requests are checked and written, and the calendar's
 * state that the node reports (status, metrics, a log line).
 */
#ifndef SP_ADMIN_SVC_H
#define SP_ADMIN_SVC_H

#include <stdint.h>

#include <jansson.h>

#include "sp_admin.h"
#include "sp_buf.h"

struct sp_node;
struct sp_admin_svc;

/* sp_admin_svc_new makes the service (*out is the caller's, released with
 * sp_admin_svc_free; SP_ERR_NOMEM). sp_admin_svc_free: NULL is a no-op. */
int sp_admin_svc_new(struct sp_admin_svc **out);
void sp_admin_svc_free(struct sp_admin_svc *a);

/* sp_admin_svc_lock / _unlock: requests are checked and written one at a
 * time, so two cannot both pass the checks against the same directory
 * state. The nonce calls below are made with the lock held. */
void sp_admin_svc_lock(struct sp_admin_svc *a);
void sp_admin_svc_unlock(struct sp_admin_svc *a);

/* sp_admin_svc_seen: 1 if a request with this nonce was written to node
 * n's own log, 0 if not; store errors. The log is the memory: its
 * SP_EV_ADMIN entries are read at the first call. */
int sp_admin_svc_seen(struct sp_admin_svc *a, struct sp_node *n,
		      const uint8_t nonce[SP_ADMIN_NONCE_BYTES]);

/* sp_admin_svc_written records the nonce of a request just written:
 * 0 or SP_ERR_NOMEM. */
int sp_admin_svc_written(struct sp_admin_svc *a, const uint8_t nonce[SP_ADMIN_NONCE_BYTES]);

/* The calendar's state: for /v1/status (a new JSON object, the caller's:
 * published years, deadlines that fell in unpublished years), for
 * /metrics (appended to out), and a log line when more deadlines fell in
 * an unpublished year since the last call (the node's escalation timer
 * calls it). */
json_t *sp_admin_svc_calendar_json(struct sp_node *n);
void sp_admin_svc_metrics(struct sp_node *n, struct sp_buf *out);
void sp_admin_svc_calendar_warn(struct sp_node *n);

#endif

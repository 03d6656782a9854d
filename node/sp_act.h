/*
 * sp_act.h - a node service: taking in an officer's or reporter's signed
 * action on a report (POST /v1/reports/{id}/actions).
 *
 * sp_act_prepare checks it (the officer's signature, then the report's
 * rules: the candidate entry must be one the state machine applies) and
 * claims the report, so no other action or escalation is checked against
 * the same state meanwhile; sp_act_append makes it durable and indexed,
 * releasing the claim; sp_act_release gives the claim up without
 * appending. Nothing here knows HTTP or JSON. Layer: node service, below
 * the HTTP API, above sp_node_core.c and the report index (sp_reports.h).
 */
#ifndef SP_ACT_H
#define SP_ACT_H

#include <stddef.h>
#include <stdint.h>

#include "sp_node.h"
#include "sp_report.h"

/* sp_act_prepare checks action a (parsed from raw[0..len)) against report
 * a->report and claims the report. 0: claimed (release it with
 * sp_act_append or sp_act_release); else nothing is claimed:
 * SP_ERR_BAD_SIGNATURE, SP_ERR_BUSY (another request holds the claim),
 * SP_ERR_UNKNOWN_REPORT, or why the rules refuse it (SP_ERR_AUTHORITY,
 * SP_ERR_TRANSITION, ...). */
int sp_act_prepare(struct sp_node *n, const struct sp_report_action *a, const uint8_t *raw,
		   size_t len);

/* sp_act_check runs the report's rules on a candidate entry of `type`
 * with body raw[0..len), as the next entry of the own log now: 0 if the
 * state machine would apply it, else its verdict (or an index error).
 * The caller holds the report's claim (sp_reports_pending). */
int sp_act_check(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], uint64_t type,
		 const uint8_t *raw, size_t len);

/* sp_act_release gives up the claim on report id. */
void sp_act_release(struct sp_node *n, const uint8_t id[SP_HASH_BYTES]);

/* sp_act_append appends the prepared action to the own log; once it is
 * durable and in the report index (or failed: the claim is then
 * released), done(arg, err, index, hash) runs on the store's commit
 * thread. 0: done will run; an error: it will not, and the claim is
 * released. */
int sp_act_append(struct sp_node *n, const uint8_t id[SP_HASH_BYTES], const uint8_t *raw,
		  size_t len, sp_append_cb done, void *arg);

#endif

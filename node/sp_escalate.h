/*
 * sp_escalate.h - a node service: escalation of missed deadlines.
 *
 * The rules (which deadline, which stage, once per deadline) are
 * sp_report_escalation_due in protocol/sp_report_state.c; this service
 * writes what they say is due: for each overdue report whose first holder
 * is this node's institution, it appends one SP_EV_ESCALATION entry to the
 * own log and adds it to the report index. It also moves the reports of
 * retired institutions whose heir (sp_dir_heir) is this institution: one
 * SP_EV_TRANSFER entry per report the retired one still holds (valid by
 * the rules of apply_transfer in sp_report_state.c). On the national
 * coordinator's node it also writes, for each rahasia report the index
 * lists as keyless (a holder by take-over or transfer holds no copy of
 * its content key), one SP_EV_KEY_GRANT entry sealing its own copy of the
 * key to those holders (valid by apply_grant). Layer: a node service (below
 * the HTTP API, above sp_node_core.c); sp_node.c calls it on its timer.
 */
#ifndef SP_ESCALATE_H
#define SP_ESCALATE_H

#include "sp_node.h"

/* sp_escalate_run writes the escalation entries due now (blocking, synced
 * appends: call it off the loop thread). A report another request is
 * acting on at the moment is left for the next pass. Returns 0 or the
 * first error (also logged). */
int sp_escalate_run(struct sp_node *n);

#endif

/*
 * sp_api.h - the route tables of the node's HTTP API, one per file.
 *
 * Each sp_api_*.c exports one table; sp_node.c adds them all with the node
 * as context (handlers get it as req->ctx). To add an API: write
 * sp_api_<name>.c with its table, declare the table here, and add one line
 * to the api_tables list in sp_node.c.
 */
#ifndef SP_API_H
#define SP_API_H

#include "sp_http.h"

/* /logs/{inst}/checkpoint, /logs/{inst}/tile/...: C2SP tlog-tiles. */
extern const struct sp_http_route sp_api_tiles_routes[];

/* /v1/status, /v1/logs, /metrics, POST /v1/checkpoint/sign (loopback). */
extern const struct sp_http_route sp_api_status_routes[];

/* /v1/reports..., /v1/stats: submit, track, receipts, actions, queries. */
extern const struct sp_http_route sp_api_reports_routes[];

/* sp_api_reports_escalate writes the escalation entries due for reports
 * this node's institution holds (blocking: call it off the loop thread). */
struct sp_node;
int sp_api_reports_escalate(struct sp_node *n);

#endif

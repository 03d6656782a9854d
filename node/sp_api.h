/*
 * sp_api.h - the route tables of the node's HTTP API, one per file.
 *
 * Each sp_api_*.c exports one table; sp_node.c adds them all with the node
 * as context (handlers get it as req->ctx). To add an API: write
 * sp_api_<name>.c with its table, declare the table here, and add one line
 * to the api_tables list in sp_node.c.
 *
 * Layer: the top of node/ below sp_node.c (see sp_node.h). A handler turns
 * the request's JSON into calls of the node services (sp_submit.h,
 * sp_act.h, sp_attach_svc.h, sp_open.h, sp_replay.h), the modules (sp_reports.h, sp_witness.h, ...)
 * and sp_node.h, and their results into JSON; the rules themselves live
 * below (protocol/, the services). Nothing below calls into these files.
 */
#ifndef SP_API_H
#define SP_API_H

#include "sp_http.h"
#include "sp_report.h"

/* /logs/{inst}/checkpoint, /logs/{inst}/tile/...: C2SP tlog-tiles. */
extern const struct sp_http_route sp_api_tiles_routes[];

/* /v1/status, /v1/logs, /metrics, POST /v1/checkpoint/sign (loopback). */
extern const struct sp_http_route sp_api_status_routes[];

/* /v1/reports..., /v1/stats: submit, track, receipts, actions, queries. */
extern const struct sp_http_route sp_api_reports_routes[];

/* /v1/attachments, /v1/attachments/{sha256}: upload and fetch files. */
extern const struct sp_http_route sp_api_attach_routes[];

/* POST /v1/reports/{id}/open (an officer's signed request to read a
 * sealed report), GET /v1/directory/institutions/{id}: sp_api_sealed.c. */
extern const struct sp_http_route sp_api_sealed_routes[];

/* sp_api_inst_json: an institution's public record as JSON (id, name,
 * tier, parent, sign_key, seal_key, http, peers); a new reference, NULL
 * on failure. */
struct sp_dir_inst;
json_t *sp_api_inst_json(const struct sp_dir_inst *r);

/* GET /, /lacak, /transparansi, /web/{v}/{file}: the web pages;
 * GET /v1/regions, GET /v1/directory: what they show (sp_api_web.c). */
extern const struct sp_http_route sp_api_web_routes[];

/* The Lapor page as assembled for the directory of one generation
 * (sp_dir_generation), plain and gzipped, shared by the HTTP threads:
 * assembling and compressing it for every request cost nine tenths of
 * GET /'s rate. sp_api_web_cache_new makes an empty one (*out is the
 * caller's, SP_ERR_NOMEM); sp_api_web_cache_free releases it (NULL: no-op). */
struct sp_web_cache;
int sp_api_web_cache_new(struct sp_web_cache **out);
void sp_api_web_cache_free(struct sp_web_cache *c);

/* GET /v1/track/{ref} (a short ticket or a report id, found here or at
 * the node that holds it), .../receipt, POST .../actions (sp_api_track.c). */
extern const struct sp_http_route sp_api_track_routes[];

struct sp_node;
struct sp_http_req;
/* sp_api_track_view: the view of ref (a short ticket or a 64-hex report
 * id) as GET /v1/track/{ref} answers it, "source" included: from this
 * node's store, else asked of the node that holds it (never when req was
 * itself forwarded by a node). A new reference the caller decrefs, or NULL
 * with *err SP_ERR_HTTP_BAD_REQUEST (neither a ticket nor an id) or
 * SP_ERR_UNKNOWN_REPORT (not here, not at the nodes asked). */
json_t *sp_api_track_view(struct sp_node *n, const struct sp_http_req *req, const char *ref,
			  int *err);

/* sp_api_relay sends req (its method and body) to path at another node
 * (base: its http address from the directory, inst: its id, for the
 * message) and answers with that node's status and body; 502 SP_ERR_IO if
 * it did not answer (2 s to connect, 5 s in all). The request carries
 * X-Simpul-Forwarded, and a request that carries it is refused (400):
 * nodes never bounce a request between them (sp_api_track.c). */
int sp_api_relay(struct sp_http_req *req, const char *inst, const char *base, const char *path,
		 struct sp_http_resp *res);

/* /open311/v2/...: Open311 GeoReport v2 over the reports (sp_api_open311.c). */
extern const struct sp_http_route sp_api_open311_routes[];

/* sp_api_report_view: report id's computed state and public trail as
 * GET /v1/reports/{id} shows it (a new reference), or NULL with *err set
 * (SP_ERR_UNKNOWN_REPORT, store errors). */
struct sp_node;
json_t *sp_api_report_view(struct sp_node *n, const uint8_t id[32], int *err);

/* GET /v1/forks: fork evidence held (sp_api_forks.c). */
extern const struct sp_http_route sp_api_forks_routes[];

/* sp_api_fork_at: the fork point of log id (the smallest index or
 * checkpoint size among its evidence); SP_ERR_NOT_FOUND if it has none. */
struct sp_store;
int sp_api_fork_at(struct sp_store *s, uint32_t id, uint64_t *at);

/* POST /v1/admin (an admin's signed request, on the coordinator's node),
 * GET /v1/officers, /v1/route, /v1/calendar/{year}: sp_api_admin.c. */
extern const struct sp_http_route sp_api_admin_routes[];


/* GET /v1/dashboard, /v1/dashboard/csv: the coordinator's figures of a
 * subtree, live from the index (sp_api_dash.c, sp_dash.h). */
extern const struct sp_http_route sp_api_dash_routes[];

/* POST /witness/add-checkpoint (c2sp.org/tlog-witness), GET /v1/witness. */
extern const struct sp_http_route sp_api_witness_routes[];

#endif

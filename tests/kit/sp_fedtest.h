/*
 * sp_fedtest.h - helpers for the federation-level tests (test_converge,
 * test_outage, test_partition, test_kill9): a subset-73 federation run by
 * `simpul federation up|down|kill|start` (one simpuld per institution,
 * real processes on 127.0.0.1), complaints and officer actions at chosen
 * nodes, and each node's view of a report and of a log, so that views can
 * be compared across nodes, waiting with generous limits.
 *
 * Functions fail the current cmocka test on unexpected errors.
 */
#ifndef SP_FEDTEST_H
#define SP_FEDTEST_H

#include <stddef.h>
#include <stdint.h>

#include "sp_node_harness.h"

#define SP_FT_WAIT_MS 60000 /* limit of every wait: CI runs on 2 cores, under ASan */

/* sp_ft_ms: a monotonic clock in ms. */
uint64_t sp_ft_ms(void);

/* sp_ft_fed runs `simpul federation CMD [ARG]` on f's federation and fails
 * the test (with its output and the federation's status) unless it exits 0. */
void sp_ft_fed(struct sp_h_fed *f, const char *cmd, const char *arg);

/* sp_ft_fail fails the test with the message and `federation status`. */
void sp_ft_fail(struct sp_h_fed *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sp_ft_get GETs path from node id: the parsed body on 200, else NULL
 * (node down, 404, ...). Caller decrefs. */
json_t *sp_ft_get(const struct sp_h_fed *f, const char *node, const char *path);

/* sp_ft_submit files a publik complaint of category cat about region at
 * node id; asserts 201 and that it was routed to want. The report id goes
 * to out. A 503 (the node is catching up after a start) is retried. */
void sp_ft_submit(const struct sp_h_fed *f, const char *node, const char *cat,
		  const char *region, const char *want, char out[65]);

/* sp_ft_officer enrols an officer of inst (key from seed byte `seed`) in
 * the coordinator's directory, before the nodes start; the key file path
 * goes to key (cap bytes). */
void sp_ft_officer(const struct sp_h_fed *f, const char *inst, unsigned char seed, char *key,
		   size_t cap);

/* sp_ft_officer_named is sp_ft_officer with the officer's (public) name. */
void sp_ft_officer_named(const struct sp_h_fed *f, const char *inst, unsigned char seed,
			 const char *name, char *key, size_t cap);

/* sp_ft_act runs `simpul act KEY ID WHAT` against node id; asserts exit 0. */
void sp_ft_act(const struct sp_h_fed *f, const char *node, const char *key, const char *id,
	       const char *what);

/* sp_ft_view: node id's view of report `id` (GET /v1/reports/{id}) as
 * JSON text with sorted keys and without what depends on the node's clock
 * (`indexed`, and duration_ms of the open span of `history`), so two nodes
 * that applied the same trail give the same text; NULL if the node has no
 * view.
 * Caller frees. */
char *sp_ft_view(const struct sp_h_fed *f, const char *node, const char *id);

/* sp_ft_status: the "status" of node id's view of report `id`, into out
 * ("" if none). */
void sp_ft_status(const struct sp_h_fed *f, const char *node, const char *id, char *out,
		  size_t cap);

/* sp_ft_cp_body: the body (origin, size, root lines) of the checkpoint
 * node id serves for log `log` (/logs/<log>/checkpoint), without
 * signatures and cosignatures, which differ between nodes; NULL if none.
 * Caller frees. */
char *sp_ft_cp_body(const struct sp_h_fed *f, const char *node, const char *log);

/* sp_ft_held: the size of that checkpoint (0 if none). */
unsigned long long sp_ft_held(const struct sp_h_fed *f, const char *node, const char *log);

struct sp_store;

/* sp_ft_old_report: entry 0 of institution inst's log, signed as inst's
 * node would (its key from fed/keys/INST.key): a publik complaint about
 * region, routed to `to`, submitted age_ms ago (the entry's own time:
 * the report is old, no clock is shifted). Its size goes to len; the
 * caller frees it. */
uint8_t *sp_ft_old_report(const char *fed, const char *inst, const char *to, const char *region,
			  uint64_t age_ms, size_t *len);

/* sp_ft_replica_checkpoint stores, in store log `log`, inst's signed
 * checkpoint of a log whose one entry is entry (as a replica holds it). */
void sp_ft_replica_checkpoint(struct sp_store *st, uint32_t log, const char *fed, const char *inst,
			      const uint8_t *entry, size_t len);

/* sp_ft_plant_old_report gives node `node` of f a replica of inst's log
 * holding one old report (sp_ft_old_report: routed to `node`, about
 * region) with inst's checkpoint, and an escalation pass every second:
 * the node is killed, its store written, `[deadlines] escalate_s = 1`
 * added to its config, and it is started again. The report's id (hex)
 * goes to id. */
void sp_ft_plant_old_report(struct sp_h_fed *f, const char *node, const char *inst,
			    const char *region, uint64_t age_ms, char id[65]);

/* sp_ft_wait calls ok(arg) until it returns nonzero or SP_FT_WAIT_MS pass;
 * returns its last result. */
int sp_ft_wait(int (*ok)(void *arg), void *arg);

/* sp_ft_same_log: the checkpoint body of log `log` (an institution id)
 * served by its own node is served by every node of must[0..nmust) and by
 * every node of any[0..nany) that holds the log at all (with interest sets,
 * docs/design.md §4, a node replicates only some logs). 1 or 0; *why (optional,
 * cap bytes) says what differs. */
int sp_ft_same_log(const struct sp_h_fed *f, const char *log, const char *const *must,
		   size_t nmust, const char *const *any, size_t nany, char *why, size_t cap);

/* sp_ft_agree: report id has the same view (sp_ft_view) at every node of
 * must[0..nmust), which must all have one, and at every node of
 * any[0..nany) that holds every entry it is made of (the submission and
 * each entry of its trail, by log and index, as must[0] shows them); and
 * must[0] shows status want (NULL: any). 1 or 0; *why as above. */
int sp_ft_agree(const struct sp_h_fed *f, const char *id, const char *const *must, size_t nmust,
		const char *const *any, size_t nany, const char *want, char *why, size_t cap);

#endif

/*
 * sp_indexer.h - the node's own appends indexed off the store's commit
 * thread.
 *
 * A durable own entry must be in the report index before its request is
 * answered, so that whoever submitted a report finds it at once (read your
 * write). Indexing it on the store's commit thread, which acknowledges
 * appends batch after batch, made every later batch wait for the index job
 * before its fsync. The indexer is a thread of its own: the commit thread
 * hands it (log, index, done) and goes on to the next batch; the indexer
 * takes everything queued and indexes it (sp_reports_add indexes every
 * durable entry of the log not indexed yet in one job, so a backlog of
 * several batches costs one job), then calls each done in the order
 * queued. The index stays crash-safe as before: its high-water mark is
 * written in the same batch as what it derived, and a start indexes what
 * the logs hold past it.
 *
 * Threads: sp_indexer_add from any thread; sp_indexer_stop from one.
 */
#ifndef SP_INDEXER_H
#define SP_INDEXER_H

#include <stdint.h>

#include "sp_reports.h"

struct sp_indexer;

/* Called once the entry is indexed (err 0) or indexing failed (err from
 * sp_reports_add), from the indexer thread, or from sp_indexer_add's
 * caller once the indexer has stopped. */
typedef void (*sp_indexer_fn)(void *arg, int err);

/* sp_indexer_start starts the indexer thread over index r (borrowed: it
 * must outlive the indexer's stop). *out is the caller's: sp_indexer_stop
 * then sp_indexer_free. SP_ERR_NOMEM. */
int sp_indexer_start(struct sp_reports *r, struct sp_indexer **out);

/* sp_indexer_add queues entry `index` of log `log` (durable) to be
 * indexed, then done(arg, err). Once the indexer is stopped, or when the
 * queue cannot grow, the entry is indexed and done called on the caller's
 * thread before this returns. */
void sp_indexer_add(struct sp_indexer *x, uint32_t log, uint64_t index, sp_indexer_fn done,
		    void *arg);

/* sp_indexer_stop indexes and answers everything queued, then stops the
 * thread; later adds run on their caller's thread. NULL is a no-op. */
void sp_indexer_stop(struct sp_indexer *x);

/* sp_indexer_free frees a stopped indexer. NULL is a no-op. */
void sp_indexer_free(struct sp_indexer *x);

/* sp_indexer_counts: how many times the indexer thread woke to a non-empty
 * queue (each time one index job covers everything it found), and how
 * many entries it answered; for metrics. */
void sp_indexer_counts(struct sp_indexer *x, uint64_t *wakes, uint64_t *entries);

#endif

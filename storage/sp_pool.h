/*
 * sp_pool.h - a fixed pool of worker threads for data-parallel loops.
 *
 * Signature checks dominate replica ingest and log verification; this pool
 * spreads one loop over all cores. The calling thread works too, so a pool
 * of n-1 workers uses n cores.
 */
#ifndef SP_POOL_H
#define SP_POOL_H

#include <stddef.h>

struct sp_pool;

/* Body of a parallel loop: handles items [begin, end) and returns 0 or a
 * negative sp_err. */
typedef int (*sp_pool_fn)(void *arg, size_t begin, size_t end);

/* sp_pool_create starts `workers` threads (0 is allowed: loops then run on
 * the caller alone). *out owns the pool; free it with sp_pool_destroy. */
int sp_pool_create(unsigned workers, struct sp_pool **out);

/* sp_pool_destroy stops and joins the workers. NULL is a no-op. */
void sp_pool_destroy(struct sp_pool *p);

/* sp_pool_for runs fn over [0, n) split into chunks of at most `grain`
 * items, on the workers and the caller, and returns when all are done:
 * 0, or the first error a chunk returned (other chunks still run). One
 * loop runs at a time; concurrent callers wait their turn. */
int sp_pool_for(struct sp_pool *p, size_t n, size_t grain, sp_pool_fn fn, void *arg);

/* sp_pool_cpus: the number of online CPUs (at least 1). */
unsigned sp_pool_cpus(void);

#endif

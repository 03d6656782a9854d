/*
 * sp_pool.c - worker threads sharing one parallel loop at a time: chunks
 * are claimed from an atomic counter, so fast and slow threads balance.
 */
#include "sp_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "sp_err.h"

struct sp_pool {
	pthread_mutex_t run_mu; /* one loop at a time */
	pthread_mutex_t mu;
	pthread_cond_t work_cv;
	pthread_cond_t done_cv;
	unsigned nworkers;
	pthread_t *threads;
	int stopping;
	uint64_t generation; /* bumped for each loop */
	/* the current loop */
	sp_pool_fn fn;
	void *arg;
	size_t n, grain;
	atomic_size_t next;
	atomic_int err;
	unsigned active; /* workers still inside the current loop */
};

static void run_chunks(struct sp_pool *p)
{
	for (;;) {
		size_t b = atomic_fetch_add(&p->next, p->grain);
		if (b >= p->n)
			return;
		size_t e = b + p->grain < p->n ? b + p->grain : p->n;
		int rc = p->fn(p->arg, b, e);
		if (rc) {
			int zero = 0;
			atomic_compare_exchange_strong(&p->err, &zero, rc);
		}
	}
}

static void *worker(void *arg)
{
	struct sp_pool *p = arg;
	uint64_t seen = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stopping && p->generation == seen)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->stopping)
			break;
		seen = p->generation;
		pthread_mutex_unlock(&p->mu);
		run_chunks(p);
		pthread_mutex_lock(&p->mu);
		if (--p->active == 0)
			pthread_cond_signal(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

unsigned sp_pool_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int sp_pool_create(unsigned workers, struct sp_pool **out)
{
	struct sp_pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return SP_ERR_NOMEM;
	pthread_mutex_init(&p->run_mu, NULL);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	p->threads = calloc(workers ? workers : 1, sizeof(pthread_t));
	if (p->threads == NULL) {
		sp_pool_destroy(p);
		return SP_ERR_NOMEM;
	}
	for (unsigned i = 0; i < workers; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
			sp_pool_destroy(p);
			return SP_ERR_NOMEM;
		}
		p->nworkers++;
	}
	*out = p;
	return 0;
}

void sp_pool_destroy(struct sp_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->run_mu);
	free(p);
}

int sp_pool_for(struct sp_pool *p, size_t n, size_t grain, sp_pool_fn fn, void *arg)
{
	if (n == 0)
		return 0;
	if (grain == 0)
		grain = 1;
	if (p->nworkers == 0 || n <= grain)
		return fn(arg, 0, n);
	pthread_mutex_lock(&p->run_mu);
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->arg = arg;
	p->n = n;
	p->grain = grain;
	atomic_store(&p->next, 0);
	atomic_store(&p->err, 0);
	p->active = p->nworkers;
	p->generation++;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);

	run_chunks(p);

	pthread_mutex_lock(&p->mu);
	while (p->active > 0)
		pthread_cond_wait(&p->done_cv, &p->mu);
	int rc = atomic_load(&p->err);
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_unlock(&p->run_mu);
	return rc;
}

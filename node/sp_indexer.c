/*
 * sp_indexer.c - the indexer thread (see sp_indexer.h): a queue of
 * durable own entries, indexed and answered in the order queued.
 */
#include "sp_indexer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "sp_err.h"

struct item {
	struct item *next;
	uint32_t log;
	uint64_t index;
	sp_indexer_fn done;
	void *arg;
};

struct sp_indexer {
	struct sp_reports *r;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *head, *tail; /* guarded by mu */
	int stopping, started;    /* guarded by mu */
	pthread_t thread;
	atomic_uint_least64_t wakes, entries;
};

static void index_one(struct sp_reports *r, uint32_t log, uint64_t index, sp_indexer_fn done,
		      void *arg)
{
	done(arg, sp_reports_add(r, log, index));
}

static void *indexer_main(void *arg)
{
	struct sp_indexer *x = arg;
	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (x->head == NULL && !x->stopping)
			pthread_cond_wait(&x->cv, &x->mu);
		struct item *it = x->head;
		if (it == NULL)
			break; /* stopping, and nothing left */
		x->head = x->tail = NULL;
		pthread_mutex_unlock(&x->mu);
		atomic_fetch_add(&x->wakes, 1);
		/* the first sp_reports_add indexes every durable entry of the
		 * log, so the later ones of a backlog find theirs indexed */
		while (it) {
			struct item *next = it->next;
			atomic_fetch_add(&x->entries, 1);
			index_one(x->r, it->log, it->index, it->done, it->arg);
			free(it);
			it = next;
		}
		pthread_mutex_lock(&x->mu);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

int sp_indexer_start(struct sp_reports *r, struct sp_indexer **out)
{
	struct sp_indexer *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return SP_ERR_NOMEM;
	x->r = r;
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	if (pthread_create(&x->thread, NULL, indexer_main, x) != 0) {
		sp_indexer_free(x);
		return SP_ERR_NOMEM;
	}
	x->started = 1;
	*out = x;
	return 0;
}

void sp_indexer_add(struct sp_indexer *x, uint32_t log, uint64_t index, sp_indexer_fn done,
		    void *arg)
{
	struct item *it = malloc(sizeof(*it));
	pthread_mutex_lock(&x->mu);
	int queued = it != NULL && !x->stopping;
	if (queued) {
		*it = (struct item){NULL, log, index, done, arg};
		if (x->tail)
			x->tail->next = it;
		else
			x->head = it;
		x->tail = it;
		pthread_cond_signal(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
	if (!queued) {
		free(it);
		index_one(x->r, log, index, done, arg);
	}
}

void sp_indexer_stop(struct sp_indexer *x)
{
	if (x == NULL)
		return;
	pthread_mutex_lock(&x->mu);
	int join = x->started && !x->stopping;
	x->stopping = 1;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	if (join)
		pthread_join(x->thread, NULL);
}

void sp_indexer_free(struct sp_indexer *x)
{
	if (x == NULL)
		return;
	sp_indexer_stop(x);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	free(x);
}

void sp_indexer_counts(struct sp_indexer *x, uint64_t *wakes, uint64_t *entries)
{
	*wakes = x ? atomic_load(&x->wakes) : 0;
	*entries = x ? atomic_load(&x->entries) : 0;
}

/*
 * sp_replay.c - the signatures of recent signed requests, so each is
 * answered once (see sp_replay.h). A fixed table scanned under one mutex:
 * small (SEEN_MAX), and requests that use it are rare.
 */
#include "sp_replay.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

#define SEEN_MAX 2048 /* live signatures remembered per node */

struct seen {
	uint8_t sig[SP_REPLAY_SIG_BYTES];
	uint64_t expires_ms; /* 0: free slot */
};

struct sp_replay {
	pthread_mutex_t mu;
	struct seen slot[SEEN_MAX];
};

int sp_replay_new(struct sp_replay **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return SP_ERR_NOMEM;
	pthread_mutex_init(&(*out)->mu, NULL);
	return 0;
}

void sp_replay_free(struct sp_replay *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int sp_replay_remember(struct sp_replay *s, const uint8_t sig[SP_REPLAY_SIG_BYTES],
		       uint64_t expires_ms, uint64_t now)
{
	int rc = 0;
	struct seen *free_slot = NULL;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; rc == 0 && i < SEEN_MAX; i++) {
		struct seen *e = &s->slot[i];
		if (e->expires_ms > now && memcmp(e->sig, sig, SP_REPLAY_SIG_BYTES) == 0)
			rc = SP_ERR_REPLAY;
		else if (e->expires_ms <= now && free_slot == NULL)
			free_slot = e;
	}
	if (rc == 0 && free_slot == NULL)
		rc = SP_ERR_BUSY;
	if (rc == 0) {
		memcpy(free_slot->sig, sig, SP_REPLAY_SIG_BYTES);
		free_slot->expires_ms = expires_ms;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

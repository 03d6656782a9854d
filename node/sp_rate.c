/*
 * sp_rate.c - token buckets in a fixed open-addressing table (sp_rate.h).
 */
#include "sp_rate.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

#define PROBE 8 /* slots looked at per address */

struct bucket {
	uint8_t key[17]; /* family byte + address (IPv6: its /64) */
	uint8_t used;
	double tokens;
	uint64_t last_ms;
};

struct sp_rate {
	pthread_mutex_t mu;
	uint32_t rate, burst;
	size_t n;
	struct bucket *b;
};

int sp_rate_new(uint32_t rate, uint32_t burst, size_t slots, struct sp_rate **out)
{
	struct sp_rate *r = calloc(1, sizeof(*r));
	if (r == NULL || slots < PROBE || (r->b = calloc(slots, sizeof(*r->b))) == NULL) {
		free(r);
		return slots < PROBE ? SP_ERR_ARG : SP_ERR_NOMEM;
	}
	pthread_mutex_init(&r->mu, NULL);
	r->n = slots;
	r->rate = rate;
	r->burst = burst ? burst : 1;
	*out = r;
	return 0;
}

void sp_rate_free(struct sp_rate *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r->b);
	free(r);
}

void sp_rate_set(struct sp_rate *r, uint32_t rate, uint32_t burst)
{
	pthread_mutex_lock(&r->mu);
	r->rate = rate;
	r->burst = burst ? burst : 1;
	pthread_mutex_unlock(&r->mu);
}

/* make_key turns an address into the bucket key; 0 if not limited. */
static int make_key(const struct sockaddr *a, uint8_t key[17])
{
	memset(key, 0, 17);
	if (a == NULL)
		return 0;
	if (a->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)a)->sin_addr, 4);
		return 1;
	}
	if (a->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)(const void *)a)->sin6_addr, 8);
		return 1;
	}
	return 0;
}

static size_t hash_key(const uint8_t key[17])
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	return (size_t)h;
}

/* find returns the key's bucket, or claims the least recently used one of
 * its probe window (starting full). */
static struct bucket *find(struct sp_rate *r, const uint8_t key[17], uint64_t now_ms)
{
	size_t h = hash_key(key);
	struct bucket *lru = NULL;
	for (size_t i = 0; i < PROBE; i++) {
		struct bucket *b = &r->b[(h + i) % r->n];
		if (b->used && memcmp(b->key, key, 17) == 0)
			return b;
		if (lru == NULL || !b->used || (lru->used && b->last_ms < lru->last_ms))
			lru = b;
	}
	memcpy(lru->key, key, 17);
	lru->used = 1;
	lru->tokens = r->burst;
	lru->last_ms = now_ms;
	return lru;
}

int sp_rate_take(struct sp_rate *r, const struct sockaddr *addr, uint64_t now_ms,
		 uint32_t *retry_after_s)
{
	uint8_t key[17];
	if (!make_key(addr, key))
		return 0;
	int rc = 0;
	pthread_mutex_lock(&r->mu);
	if (r->rate == 0)
		goto out;
	struct bucket *b = find(r, key, now_ms);
	if (now_ms > b->last_ms)
		b->tokens += (double)(now_ms - b->last_ms) * r->rate / 1000.0;
	if (b->tokens > r->burst)
		b->tokens = r->burst;
	b->last_ms = now_ms;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
	} else {
		rc = SP_ERR_RATE_LIMITED;
		if (retry_after_s)
			*retry_after_s = (uint32_t)((1.0 - b->tokens) / r->rate) + 1;
	}
out:
	pthread_mutex_unlock(&r->mu);
	return rc;
}

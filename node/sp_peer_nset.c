/*
 * sp_peer_nset.c - owned note sets for sp_peer: one entry per log, sorted
 * by origin (sp_gossip_origin_cmp), strings copied, so they can be given
 * to the sp_gossip planner as they are.
 */
#include <stdlib.h>
#include <string.h>

#include "sp_buf.h"
#include "sp_err.h"
#include "sp_peer_int.h"

static void note_clear(struct sp_gossip_note *n)
{
	free((char *)n->origin);
	free((char *)n->checkpoint);
	memset(n, 0, sizeof(*n));
}

void sp_peer_nset_free(struct sp_peer_nset *s)
{
	for (size_t i = 0; i < s->n; i++)
		note_clear(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct origin_key {
	const char *origin;
	size_t len;
};

static int origin_cmp(const void *key, const void *elem)
{
	const struct origin_key *k = key;
	const struct sp_gossip_note *e = elem;
	return sp_gossip_origin_cmp(k->origin, k->len, e->origin, e->origin_len);
}

/* lower_bound: the first index whose origin is >= origin. */
static size_t lower_bound(const struct sp_peer_nset *s, const char *origin, size_t len)
{
	return sp_lower_bound(s->v, s->n, sizeof(*s->v), &(struct origin_key){origin, len},
			      origin_cmp, NULL);
}

long sp_peer_nset_find(const struct sp_peer_nset *s, const char *origin, size_t len)
{
	size_t i = lower_bound(s, origin, len);
	if (i < s->n && sp_gossip_origin_cmp(s->v[i].origin, s->v[i].origin_len, origin, len) == 0)
		return (long)i;
	return -1;
}

static char *dup_n(const char *p, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

int sp_peer_nset_set(struct sp_peer_nset *s, const char *origin, size_t len, uint64_t size,
		     const char *cp, size_t cp_len)
{
	char *c = NULL;
	if (cp && (c = dup_n(cp, cp_len)) == NULL)
		return SP_ERR_NOMEM;
	size_t i = lower_bound(s, origin, len);
	if (i < s->n && sp_gossip_origin_cmp(s->v[i].origin, s->v[i].origin_len, origin, len) == 0) {
		free((char *)s->v[i].checkpoint);
		s->v[i].size = size;
		s->v[i].checkpoint = c;
		s->v[i].checkpoint_len = c ? cp_len : 0;
		return 0;
	}
	char *o = dup_n(origin, len);
	if (o == NULL || (s->n == s->cap && s->cap > (SIZE_MAX / 2) / sizeof(*s->v))) {
		free(o);
		free(c);
		return SP_ERR_NOMEM;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *v = realloc(s->v, cap * sizeof(*s->v));
		if (v == NULL) {
			free(o);
			free(c);
			return SP_ERR_NOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = (struct sp_gossip_note){o, len, size, c, c ? cp_len : 0};
	s->n++;
	return 0;
}

int sp_peer_nset_copy(struct sp_peer_nset *dst, const struct sp_peer_nset *src)
{
	sp_peer_nset_free(dst);
	for (size_t i = 0; i < src->n; i++) {
		const struct sp_gossip_note *n = &src->v[i];
		int rc = sp_peer_nset_set(dst, n->origin, n->origin_len, n->size, n->checkpoint,
					  n->checkpoint_len);
		if (rc)
			return rc;
	}
	return 0;
}

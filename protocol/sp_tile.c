/*
 * sp_tile.c - expanded tlog tiles, the in-memory right edge of a tree, and
 * C2SP tlog-tiles path encoding. See sp_tile.h for the layout.
 */
#include "sp_tile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

void sp_tile_push(sp_hash *slots, unsigned w, const uint8_t leaf[32])
{
	memcpy(slots[sp_tile_slot(0, w)], leaf, 32);
	/* Each odd position completes its parent; walk up while that holds. */
	uint64_t j = w;
	for (unsigned sub = 1; sub <= SP_TILE_HEIGHT && (j & 1); sub++) {
		sp_merkle_node_hash(slots[sp_tile_slot(sub - 1, j - 1)], slots[sp_tile_slot(sub - 1, j)],
				    slots[sp_tile_slot(sub, j >> 1)]);
		j >>= 1;
	}
}

void sp_tile_build(sp_hash *slots, unsigned w)
{
	for (unsigned i = 0; i < w; i++) {
		uint8_t leaf[32];
		memcpy(leaf, slots[i], 32);
		sp_tile_push(slots, i, leaf);
	}
}

void sp_edge_init(struct sp_edge *e)
{
	memset(e, 0, sizeof(*e));
}

void sp_edge_free(struct sp_edge *e)
{
	for (unsigned t = 0; t < SP_TILE_LEVELS; t++) {
		free(e->tile[t]);
		e->tile[t] = NULL;
	}
	e->size = 0;
}

static int edge_tile(struct sp_edge *e, unsigned t)
{
	if (e->tile[t] == NULL) {
		e->tile[t] = malloc(SP_TILE_BYTES);
		if (e->tile[t] == NULL)
			return SP_ERR_NOMEM;
	}
	return 0;
}

int sp_edge_append(struct sp_edge *e, const uint8_t leaf[32], sp_edge_emit_fn emit, void *ctx)
{
	uint8_t h[32];
	memcpy(h, leaf, 32);
	uint64_t n = e->size;
	for (unsigned t = 0; t < SP_TILE_LEVELS; t++) {
		unsigned w = sp_edge_width(e, t);
		uint64_t k = t + 1 < SP_TILE_LEVELS ? n >> ((t + 1) * SP_TILE_HEIGHT) : 0;
		int rc = edge_tile(e, t);
		if (rc)
			return rc;
		sp_tile_push(e->tile[t], w, h);
		if (w + 1 < SP_TILE_WIDTH) {
			if (t > 0 && emit && (rc = emit(ctx, t, k, e->tile[t], w + 1)))
				return rc;
			break;
		}
		/* The tile is full: it becomes final, and its root is the next
		 * leaf one tile level up. */
		if (emit && (rc = emit(ctx, t, k, e->tile[t], SP_TILE_WIDTH)))
			return rc;
		memcpy(h, e->tile[t][SP_TILE_SLOTS - 1], 32);
	}
	e->size = n + 1;
	return 0;
}

int sp_edge_set_tile(struct sp_edge *e, unsigned t, const sp_hash *leaves)
{
	if (t >= SP_TILE_LEVELS)
		return SP_ERR_ARG;
	unsigned w = sp_edge_width(e, t);
	int rc = edge_tile(e, t);
	if (rc)
		return rc;
	memcpy(e->tile[t], leaves, (size_t)w * 32);
	sp_tile_build(e->tile[t], w);
	return 0;
}

int sp_edge_clone(const struct sp_edge *e, struct sp_edge *out)
{
	sp_edge_init(out);
	out->size = e->size;
	for (unsigned t = 0; t < SP_TILE_LEVELS; t++) {
		if (e->tile[t] == NULL || sp_edge_width(e, t) == 0)
			continue;
		if (edge_tile(out, t)) {
			sp_edge_free(out);
			return SP_ERR_NOMEM;
		}
		memcpy(out->tile[t], e->tile[t], SP_TILE_BYTES);
	}
	return 0;
}

int sp_edge_locate(const struct sp_edge *e, unsigned level, uint64_t index, unsigned *t,
		   uint64_t *k, unsigned *slot, uint8_t out[32])
{
	/* index >= count, not index + 1 > count: index + 1 wraps at UINT64_MAX. */
	if (level >= 64 || index >= (e->size >> level))
		return SP_ERR_RANGE;
	unsigned tl = level / SP_TILE_HEIGHT, sub = level % SP_TILE_HEIGHT;
	uint64_t tk = index >> (SP_TILE_HEIGHT - sub);
	uint64_t j = index - (tk << (SP_TILE_HEIGHT - sub));
	uint64_t nodes = e->size >> (tl * SP_TILE_HEIGHT); /* tile-level leaves in tree */
	*t = tl;
	*k = tk;
	*slot = sp_tile_slot(sub, j);
	if ((tk + 1) * SP_TILE_WIDTH <= nodes)
		return 1;
	if (e->tile[tl] == NULL)
		return SP_ERR_INTERNAL;
	memcpy(out, e->tile[tl][*slot], 32);
	return 0;
}

/* tlog-tiles index: zero-padded 3-digit groups, all but the last with 'x'. */
static int put_index(char *buf, size_t cap, size_t *pos, uint64_t n)
{
	char groups[8][4];
	int ng = 0;
	do {
		snprintf(groups[ng++], sizeof(groups[0]), "%03u", (unsigned)(n % 1000));
		n /= 1000;
	} while (n > 0);
	for (int i = ng - 1; i >= 0; i--) {
		int r = snprintf(buf + *pos, cap - *pos, i > 0 ? "x%s/" : "%s", groups[i]);
		if (r < 0 || (size_t)r >= cap - *pos)
			return SP_ERR_RANGE;
		*pos += (size_t)r;
	}
	return 0;
}

int sp_tile_path(char *buf, size_t cap, int level, uint64_t index, unsigned w)
{
	if (cap == 0 || w == 0 || w > SP_TILE_WIDTH)
		return SP_ERR_RANGE;
	int r = level < 0 ? snprintf(buf, cap, "tile/entries/") : snprintf(buf, cap, "tile/%d/", level);
	if (r < 0 || (size_t)r >= cap)
		return SP_ERR_RANGE;
	size_t pos = (size_t)r;
	int rc = put_index(buf, cap, &pos, index);
	if (rc)
		return rc;
	if (w < SP_TILE_WIDTH) {
		r = snprintf(buf + pos, cap - pos, ".p/%u", w);
		if (r < 0 || (size_t)r >= cap - pos)
			return SP_ERR_RANGE;
	}
	return 0;
}

/* Reads exactly `digits` decimal digits (digits 0: 1-3 digits, no leading
 * zero unless the number is 0), advancing *p. */
static int read_dec(const char **p, unsigned digits, uint64_t *v)
{
	const char *s = *p;
	unsigned n = 0;
	uint64_t x = 0;
	while (s[n] >= '0' && s[n] <= '9' && n < 3) {
		x = x * 10 + (uint64_t)(s[n] - '0');
		n++;
	}
	if (n == 0 || (digits && n != digits) || (!digits && n > 1 && s[0] == '0'))
		return SP_ERR_ARG;
	*p = s + n;
	*v = x;
	return 0;
}

static int parse_index(const char **p, uint64_t *index)
{
	uint64_t n = 0, g;
	int first = 1;
	while (**p == 'x') {
		(*p)++;
		if (read_dec(p, 3, &g) || **p != '/')
			return SP_ERR_ARG;
		if (first && g == 0)
			return SP_ERR_ARG; /* "x000/..." is not canonical */
		(*p)++;
		if (n > (UINT64_MAX - g) / 1000)
			return SP_ERR_ARG;
		n = n * 1000 + g;
		first = 0;
	}
	if (read_dec(p, 3, &g))
		return SP_ERR_ARG;
	if (n > (UINT64_MAX - g) / 1000)
		return SP_ERR_ARG;
	*index = n * 1000 + g;
	return 0;
}

int sp_tile_path_parse(const char *path, int *level, uint64_t *index, unsigned *w)
{
	const char *p = path;
	uint64_t v;
	if (strncmp(p, "tile/", 5) != 0)
		return SP_ERR_ARG;
	p += 5;
	if (strncmp(p, "entries/", 8) == 0) {
		*level = -1;
		p += 8;
	} else {
		if (read_dec(&p, 0, &v) || v > 63 || *p != '/')
			return SP_ERR_ARG;
		*level = (int)v;
		p++;
	}
	if (parse_index(&p, index))
		return SP_ERR_ARG;
	*w = SP_TILE_WIDTH;
	if (*p == '\0')
		return 0;
	if (strncmp(p, ".p/", 3) != 0)
		return SP_ERR_ARG;
	p += 3;
	if (read_dec(&p, 0, &v) || v == 0 || v >= SP_TILE_WIDTH || *p != '\0')
		return SP_ERR_ARG;
	*w = (unsigned)v;
	return 0;
}

static int edge_only_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	unsigned t, slot;
	uint64_t k;
	int rc = sp_edge_locate(ctx, level, index, &t, &k, &slot, out);
	return rc == 1 ? SP_ERR_INTERNAL : rc;
}

int sp_edge_root(const struct sp_edge *e, uint8_t out[32])
{
	return sp_merkle_root(edge_only_node, (void *)e, e->size, out);
}

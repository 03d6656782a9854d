/*
 * sp_buf.c - growable byte buffers, borrowed strings and dynamic arrays
 * (see sp_buf.h).
 */
#include "sp_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

int sp_grow_to(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 16;
	while (c < need && c <= SIZE_MAX / 2)
		c *= 2;
	if (size == 0 || c < need || c > SIZE_MAX / size)
		return SP_ERR_NOMEM;
	void *q = realloc(*p, c * size);
	if (q == NULL)
		return SP_ERR_NOMEM;
	*p = q;
	*cap = c;
	return 0;
}

int sp_grow(void **p, size_t *cap, size_t n, size_t size)
{
	return sp_grow_to(p, cap, n + 1, size);
}

size_t sp_lower_bound(const void *base, size_t n, size_t size, const void *key,
		      int (*cmp)(const void *key, const void *elem), int *found)
{
	const unsigned char *a = base;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(key, a + mid * size) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (found)
		*found = lo < n && cmp(key, a + lo * size) == 0;
	return lo;
}

void sp_buf_init(struct sp_buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

void sp_buf_free(struct sp_buf *b)
{
	free(b->p);
	sp_buf_init(b);
}

/* sp_buf_reserve makes room for n more bytes, latching SP_ERR_NOMEM. */
static int sp_buf_reserve(struct sp_buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (n > SIZE_MAX - b->len) {
		b->err = SP_ERR_NOMEM;
		return b->err;
	}
	need = b->len + n;
	if (need <= b->cap)
		return 0;
	/* Doubling keeps appends amortised O(1). */
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->err = SP_ERR_NOMEM;
		return b->err;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void sp_buf_put(struct sp_buf *b, const void *data, size_t n)
{
	if (n == 0 || sp_buf_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void sp_buf_printf(struct sp_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 && b->err == 0)
		b->err = SP_ERR_ARG;
	if (n <= 0 || sp_buf_reserve(b, (size_t)n + 1) != 0) /* + 1: vsnprintf's NUL */
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* On failure the memory is released but `err` stays latched, so a caller
 * may still read it after a NULL return. */
uint8_t *sp_buf_take(struct sp_buf *b, size_t *len)
{
	uint8_t *p = b->p;
	size_t n = b->len;
	int err = b->err;

	sp_buf_init(b);
	if (err || n == 0) {
		free(p);
		b->err = err;
		*len = 0;
		return NULL;
	}
	*len = n;
	return p;
}

void sp_buf_put_cstr(struct sp_buf *b, const char *s)
{
	sp_buf_put(b, s, strlen(s));
}

/* ---- borrowed strings ---------------------------------------------------- */

int sp_str_cmp(struct sp_str a, struct sp_str b)
{
	int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);

	if (c)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

struct sp_str sp_str_of(const char *s)
{
	struct sp_str x = {s, s ? strlen(s) : 0};
	return x;
}

int sp_str_eq(struct sp_str a, const char *b)
{
	return a.p && strlen(b) == a.n && memcmp(a.p, b, a.n) == 0;
}

/*
 * sp_buf.h - growable byte buffers, borrowed strings and dynamic arrays:
 * what every layer builds messages and lists with. Pure (no I/O).
 */
#ifndef SP_BUF_H
#define SP_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A byte buffer that grows on demand. The first failure (allocation, or a
 * caller-side limit) latches in `err`, later writes are no-ops, and the
 * caller checks `err` once at the end. */
struct sp_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	int err;
};

/* sp_buf_init makes an empty buffer (no allocation yet). */
void sp_buf_init(struct sp_buf *b);

/* sp_buf_free releases the buffer's memory and resets it to empty. */
void sp_buf_free(struct sp_buf *b);

/* sp_buf_put appends n raw bytes. */
void sp_buf_put(struct sp_buf *b, const void *data, size_t n);

/* sp_grow makes room for one more element in a dynamic array *p of n
 * elements of `size` bytes and capacity *cap (doubling it, from 16): 0,
 * or SP_ERR_NOMEM with the array unchanged. */
int sp_grow(void **p, size_t *cap, size_t n, size_t size);

/* sp_grow_to makes room for `need` elements of `size` bytes in the dynamic
 * array *p of capacity *cap (doubling it, from 16, until it is enough): 0,
 * or SP_ERR_NOMEM with the array unchanged. */
int sp_grow_to(void **p, size_t *cap, size_t need, size_t size);

/* sp_lower_bound: in the array base of n elements of `size` bytes, sorted
 * by cmp, the first index whose element is not less than key (n if none);
 * cmp(key, element) orders like strcmp. *found (if not NULL) is set when
 * that element equals key. */
size_t sp_lower_bound(const void *base, size_t n, size_t size, const void *key,
		      int (*cmp)(const void *key, const void *elem), int *found);

/* sp_buf_take hands the buffer's memory to the caller (who frees it with
 * free()) and resets the buffer. Returns NULL if `err` is set or the buffer
 * is empty; *len receives the length. */
uint8_t *sp_buf_take(struct sp_buf *b, size_t *len);

/* sp_buf_printf appends printf-style text (no NUL, any length), latching
 * SP_ERR_NOMEM if it cannot grow, SP_ERR_ARG if the format fails. */
void sp_buf_printf(struct sp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sp_buf_put_cstr appends the bytes of the C string s (no NUL). */
void sp_buf_put_cstr(struct sp_buf *b, const char *s);

/* A borrowed string: p == NULL means absent. */
struct sp_str {
	const char *p;
	size_t n;
};

/* sp_str_cmp orders strings bytewise, a prefix first: the order of lists
 * of institution ids, so each list has one encoding. */
int sp_str_cmp(struct sp_str a, struct sp_str b);

/* sp_str_of borrows a C string (NULL gives an absent string). */
struct sp_str sp_str_of(const char *s);

/* sp_str_eq is 1 when a is present and equal to the C string b. */
int sp_str_eq(struct sp_str a, const char *b);

#endif

/*
 * sp_json.c - small jansson helpers (see sp_json.h).
 */
#include "sp_json.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"

json_t *sp_json_hex(const uint8_t *p, size_t n)
{
	char h[2 * 64 + 1];
	sodium_bin2hex(h, sizeof(h), p, n);
	return json_string(h);
}

static int put_cb(const char *p, size_t n, void *arg)
{
	struct sp_buf *out = arg;
	sp_buf_put(out, p, n);
	return out->err ? -1 : 0;
}

int sp_json_put_str(struct sp_buf *out, const char *s)
{
	return sp_json_put_strn(out, s, strlen(s));
}

int sp_json_put_strn(struct sp_buf *out, const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' && s[n] != '\\')
		n++;
	if (n == len) {
		sp_buf_put(out, "\"", 1);
		sp_buf_put(out, s, n);
		sp_buf_put(out, "\"", 1);
		return out->err ? SP_ERR_NOMEM : 0;
	}
	json_t *j = json_stringn(s, len);
	size_t at = out->len;
	int rc = j && json_dump_callback(j, put_cb, out,
					 JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY) == 0
			 ? 0
			 : SP_ERR_NOMEM;
	json_decref(j);
	if (rc && !out->err)
		out->len = at;
	return rc;
}

/* Digits by hand rather than snprintf: a list page writes several
 * hundred integers, and printf's machinery was a tenth of its CPU. */
void sp_json_put_int(struct sp_buf *out, json_int_t v)
{
	char t[24];
	size_t i = sizeof(t);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--i] = '-';
	sp_buf_put(out, t + i, sizeof(t) - i);
}

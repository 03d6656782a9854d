/*
 * sp_json.h - small jansson helpers shared by the node's HTTP API and the
 * command-line tool.
 */
#ifndef SP_JSON_H
#define SP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sp_buf.h"

/* sp_json_hex returns a new JSON string of p[0..n) in lower-case hex
 * (n <= 64), owned by the caller (json_decref); NULL if out of memory. */
json_t *sp_json_hex(const uint8_t *p, size_t n);

/* sp_json_put_str appends s as a JSON string, byte for byte as jansson
 * writes it with JSON_ENSURE_ASCII (plain printable ASCII directly, any
 * other text through jansson), for answers written without building a
 * jansson tree. SP_ERR_NOMEM (also: s is not UTF-8, as json_string
 * refuses it), nothing appended then. */
int sp_json_put_str(struct sp_buf *out, const char *s);

/* sp_json_put_strn: the same for the n bytes at s, as jansson writes
 * json_stringn(s, n) (a NUL among them is written \u0000). */
int sp_json_put_strn(struct sp_buf *out, const char *s, size_t n);

/* sp_json_put_int appends v as jansson writes an integer. */
void sp_json_put_int(struct sp_buf *out, json_int_t v);

#endif

/*
 * sp_json.h - small jansson helpers shared by the node's HTTP API and the
 * command-line tool.
 */
#ifndef SP_JSON_H
#define SP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* sp_json_hex returns a new JSON string of p[0..n) in lower-case hex
 * (n <= 64), owned by the caller (json_decref); NULL if out of memory. */
json_t *sp_json_hex(const uint8_t *p, size_t n);

#endif

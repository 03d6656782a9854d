/*
 * sp_json.c - small jansson helpers (see sp_json.h).
 */
#include "sp_json.h"

#include <sodium.h>

json_t *sp_json_hex(const uint8_t *p, size_t n)
{
	char h[2 * 64 + 1];
	sodium_bin2hex(h, sizeof(h), p, n);
	return json_string(h);
}

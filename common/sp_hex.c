/*
 * sp_hex.c - fixed-length hex (see sp_hex.h), on libsodium's constant-time
 * codec.
 */
#include "sp_hex.h"

#include <string.h>

#include <sodium.h>

int sp_hex_parse(const char *s, uint8_t *out, size_t n)
{
	size_t got;
	if (s == NULL || strlen(s) != 2 * n)
		return -1;
	return sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) == 0 && got == n ? 0 : -1;
}

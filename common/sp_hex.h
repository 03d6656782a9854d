/*
 * sp_hex.h - fixed-length hex, as report ids, keys and hashes travel in
 * URLs and JSON. Pure (no I/O).
 */
#ifndef SP_HEX_H
#define SP_HEX_H

#include <stddef.h>
#include <stdint.h>

/* sp_hex_parse reads s, which must be exactly 2n hex digits, into out[n].
 * 0, or -1 (NULL, another length, a non-hex digit); out is then
 * unspecified. */
int sp_hex_parse(const char *s, uint8_t *out, size_t n);

#endif

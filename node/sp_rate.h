/*
 * sp_rate.h - per-client-address token buckets for the HTTP server.
 *
 * Each address gets a bucket of `burst` tokens refilled at `rate` per
 * second; a request takes one token or is refused (HTTP 429). Buckets live
 * in a fixed table (no growth under a flood of addresses): an address that
 * finds no free slot nearby takes over the least recently used one, which
 * then starts full again. IPv6 clients are keyed by their /64, since one
 * host commonly owns a whole /64.
 *
 * Threads: all functions may be called from any thread (one mutex).
 */
#ifndef SP_RATE_H
#define SP_RATE_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

struct sp_rate;

/* sp_rate_new makes a table of `slots` buckets. rate 0 disables limiting.
 * *out is the caller's; free with sp_rate_free. SP_ERR_NOMEM. */
int sp_rate_new(uint32_t rate, uint32_t burst, size_t slots, struct sp_rate **out);

void sp_rate_free(struct sp_rate *r);

/* sp_rate_set changes rate and burst (SIGHUP); buckets keep their tokens,
 * capped at the new burst. */
void sp_rate_set(struct sp_rate *r, uint32_t rate, uint32_t burst);

/* sp_rate_take takes one token for the client at addr, at time now_ms
 * (monotonic). 0 if allowed; SP_ERR_RATE_LIMITED if not, with
 * *retry_after_s (optional) the seconds until a token is back. Addresses
 * that are neither IPv4 nor IPv6 are not limited. */
int sp_rate_take(struct sp_rate *r, const struct sockaddr *addr, uint64_t now_ms,
		 uint32_t *retry_after_s);

#endif

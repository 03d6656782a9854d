/*
 * sp_clock.h - the two clocks the node reads: wall time (entry times,
 * deadlines, anything another node compares) and monotonic time
 * (timeouts, rates, intervals, which must not jump with the wall clock).
 * Pure code takes the time as an argument instead of calling these.
 */
#ifndef SP_CLOCK_H
#define SP_CLOCK_H

#include <stdint.h>

/* sp_now_ms: milliseconds since the Unix epoch (CLOCK_REALTIME). */
uint64_t sp_now_ms(void);

/* sp_mono_ms: milliseconds of CLOCK_MONOTONIC (an arbitrary origin). */
uint64_t sp_mono_ms(void);

/* sp_clock_after fills *ts with the wall time ms milliseconds from now,
 * the deadline pthread_cond_timedwait takes (on a default condition
 * variable, which waits by CLOCK_REALTIME). */
struct timespec;
void sp_clock_after(uint64_t ms, struct timespec *ts);

#endif

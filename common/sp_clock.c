/*
 * sp_clock.c - wall and monotonic milliseconds (see sp_clock.h).
 */
#include "sp_clock.h"

#include <time.h>

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t sp_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

uint64_t sp_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

void sp_clock_after(uint64_t ms, struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	uint64_t ns = (uint64_t)ts->tv_nsec + ms % 1000 * 1000000u;
	ts->tv_sec += (time_t)(ms / 1000 + ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

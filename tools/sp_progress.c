/*
 * sp_progress.c - the terminal progress bar (see sp_progress.h).
 */
#include "sp_progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define REDRAW_S 0.1
#define DELAY_S 0.3 /* runs shorter than this never draw: no flicker */

double sp_progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sp_progress_init(struct sp_progress *p, const char *label, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	p->start = sp_progress_now();
}

static void draw(struct sp_progress *p, uint64_t done, double now)
{
	double secs = now - p->start;
	double rate = secs > 0 ? (double)done / secs : 0;
	if (p->total == 0) {
		fprintf(stderr, "\r%s %llu (%.0f/s)\x1b[K", p->label, (unsigned long long)done,
			rate);
	} else {
		double frac = done >= p->total ? 1.0 : (double)done / (double)p->total;
		char bar[BAR_WIDTH + 1];
		unsigned fill = (unsigned)(frac * BAR_WIDTH);
		memset(bar, '#', fill);
		memset(bar + fill, '.', BAR_WIDTH - fill);
		bar[BAR_WIDTH] = '\0';
		double eta = rate > 0 ? (double)(p->total - (done < p->total ? done : p->total)) / rate
				      : 0;
		fprintf(stderr, "\r%s [%s] %3.0f%% %llu/%llu %.0f/s eta %.0fs\x1b[K", p->label, bar,
			frac * 100.0, (unsigned long long)done, (unsigned long long)p->total, rate,
			eta);
	}
	fflush(stderr);
	p->drawn = 1;
	p->last = now;
}

void sp_progress_update(struct sp_progress *p, uint64_t done)
{
	if (!p->on)
		return;
	double now = sp_progress_now();
	if (now - p->start < DELAY_S || (p->drawn && now - p->last < REDRAW_S))
		return;
	draw(p, done, now);
}

void sp_progress_done(struct sp_progress *p)
{
	if (p->on && p->drawn) {
		fputs("\r\x1b[K", stderr);
		fflush(stderr);
	}
	p->drawn = 0;
}

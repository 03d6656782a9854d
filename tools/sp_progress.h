/*
 * sp_progress.h - a one-line progress bar on stderr for long tool runs.
 *
 * It draws only when stderr is a terminal, so pipes, logs and tests see
 * nothing but the tool's real output, and it redraws at most ten times a
 * second, so a tight loop can report every item cheaply.
 */
#ifndef SP_PROGRESS_H
#define SP_PROGRESS_H

#include <stdint.h>

struct sp_progress {
	int on;            /* stderr is a terminal */
	int drawn;         /* a line is on screen and must be cleared */
	const char *label;
	uint64_t total;    /* 0: unknown, show a count only */
	double start;      /* seconds, monotonic */
	double last;       /* last redraw */
};

/* sp_progress_now: monotonic seconds, for rates and timings. */
double sp_progress_now(void);

/* sp_progress_init starts a bar labelled `label` (borrowed) for `total`
 * items. */
void sp_progress_init(struct sp_progress *p, const char *label, uint64_t total);

/* sp_progress_update shows that `done` items are finished. */
void sp_progress_update(struct sp_progress *p, uint64_t done);

/* sp_progress_done clears the bar so normal output follows on a clean line. */
void sp_progress_done(struct sp_progress *p);

#endif

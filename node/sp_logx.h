/*
 * sp_logx.h - the node's event log: one line per event on stderr.
 *
 *   2026-11-23T10:00:00.123Z info http: listening addr=127.0.0.1:8080
 *
 * Time is UTC with milliseconds, then the level, the subsystem and a
 * message whose key=value pairs follow it. Values holding spaces are
 * quoted by the caller ("%s" inside "..."). Never log secret keys, tracking
 * secrets or reporter data: the log is read by operators, shipped to
 * aggregators and kept for a long time.
 *
 * Threads: sp_logx may be called from any thread. Each line is written
 * with a single write(2), so lines from different threads never interleave.
 * The level can be changed while other threads log (SIGHUP reload).
 */
#ifndef SP_LOGX_H
#define SP_LOGX_H

#include <stdatomic.h>
#include <stddef.h>

enum sp_logx_level {
	SP_LOGX_DEBUG = 0,
	SP_LOGX_INFO = 1,
	SP_LOGX_WARN = 2,
	SP_LOGX_ERROR = 3,
};

/* A logger. Embed it or allocate it; it owns no resources. */
struct sp_logx {
	atomic_int level; /* lines below this level are dropped */
	int fd;           /* where lines go (2: stderr) */
};

/* Longest line written; longer messages are cut and end in "...". */
#define SP_LOGX_LINE 2048

/* sp_logx_init sets up a logger writing to fd at `level`. */
void sp_logx_init(struct sp_logx *l, int fd, enum sp_logx_level level);

/* sp_logx_set_level changes the level (any thread). */
void sp_logx_set_level(struct sp_logx *l, enum sp_logx_level level);

/* sp_logx_level_parse reads "debug", "info", "warn" or "error".
 * 0 or SP_ERR_ARG. */
int sp_logx_level_parse(const char *s, enum sp_logx_level *out);

/* sp_logx_level_name: the name of a level ("info"). */
const char *sp_logx_level_name(enum sp_logx_level level);

/* sp_logx writes one line if level is enabled. subsys is a short word
 * ("node", "http", "store", "conf"). A NULL logger drops the line. */
void sp_logx(struct sp_logx *l, enum sp_logx_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* sp_logx_time formats a Unix time in ms as "2026-11-23T10:00:00.123Z"
 * into buf (at least 25 bytes). */
void sp_logx_time(char *buf, size_t cap, long long ms);

#endif

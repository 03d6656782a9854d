/*
 * sp_logx.c - one-line event logging to a file descriptor (see sp_logx.h).
 */
#include "sp_logx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_files.h"

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sp_logx_init(struct sp_logx *l, int fd, enum sp_logx_level level)
{
	atomic_init(&l->level, (int)level);
	l->fd = fd;
}

void sp_logx_set_level(struct sp_logx *l, enum sp_logx_level level)
{
	atomic_store(&l->level, (int)level);
}

int sp_logx_level_parse(const char *s, enum sp_logx_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum sp_logx_level)i;
			return 0;
		}
	}
	return SP_ERR_ARG;
}

const char *sp_logx_level_name(enum sp_logx_level level)
{
	return (unsigned)level < 4 ? level_names[level] : "?";
}

void sp_logx_time(char *buf, size_t cap, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

void sp_logx(struct sp_logx *l, enum sp_logx_level level, const char *subsys, const char *fmt, ...)
{
	if (l == NULL || (int)level < atomic_load(&l->level))
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char line[SP_LOGX_LINE];
	sp_logx_time(line, sizeof(line), (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	size_t n = strlen(line);
	n += (size_t)snprintf(line + n, sizeof(line) - n, " %s %s: ", sp_logx_level_name(level),
			      subsys);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += (size_t)m;
	if (n >= sizeof(line) - 1) { /* cut: keep room for "...\n" */
		n = sizeof(line) - 5;
		memcpy(line + n, "...", 3);
		n += 3;
	}
	/* One line is one event: a message must not forge a second line. */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	(void)sp_write_all(l->fd, line, n); /* a log line is best effort */
}

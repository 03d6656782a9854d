/*
 * sp_files.c - folder creation, atomic file replacement and bounded reads
 * (see sp_files.h).
 */
#include "sp_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_err.h"

int sp_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return SP_ERR_ARG;
	memcpy(buf, path, n + 1);
	/* Create each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return SP_ERR_IO;
		buf[i] = c;
	}
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : SP_ERR_IO;
}

static int parent_dirs(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return 0;
	size_t n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return SP_ERR_ARG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	struct stat st;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return sp_mkdirs(dir, 0755);
}

int sp_write_all(int fd, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return SP_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int sp_file_replace(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int r = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return SP_ERR_ARG;
	int rc = parent_dirs(path);
	if (rc)
		return rc;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return SP_ERR_IO;
	rc = sp_write_all(fd, data, len);
	if (close(fd) != 0 && rc == 0)
		rc = SP_ERR_IO;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = SP_ERR_IO;
	if (rc)
		unlink(tmp);
	return rc;
}

int sp_file_read(const char *path, size_t max, struct sp_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? SP_ERR_NOT_FOUND : SP_ERR_IO;
	uint8_t chunk[65536];
	size_t total = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = SP_ERR_IO;
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			rc = SP_ERR_RANGE;
			break;
		}
		sp_buf_put(out, chunk, (size_t)n);
	}
	close(fd);
	return rc ? rc : out->err;
}

int sp_say(char *why, size_t cap, int rc, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

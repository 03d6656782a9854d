/*
 * sp_files.c - folder creation, atomic file replacement, copies of files and
 * folders, bounded reads
 * (see sp_files.h).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "sp_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

static int copy_fd(int in, int out)
{
	uint8_t chunk[65536];
	for (;;) {
		ssize_t r = read(in, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : SP_ERR_IO;
		int rc = sp_write_all(out, chunk, (size_t)r);
		if (rc)
			return rc;
	}
}

int sp_file_copy(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? SP_ERR_NOT_FOUND : SP_ERR_IO;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		int rc = errno == EEXIST ? SP_ERR_EXISTS : SP_ERR_IO;
		close(in);
		return rc;
	}
	int rc = copy_fd(in, out);
	if (rc == 0 && fsync(out) != 0)
		rc = SP_ERR_IO;
	if (close(out) != 0 && rc == 0)
		rc = SP_ERR_IO;
	close(in);
	if (rc)
		unlink(dst);
	return rc;
}

/* tree_walk calls fn(src/name, dst/name, is_dir, arg) for each entry of
 * folder src (dst may be NULL). */
typedef int (*tree_fn)(const char *src, const char *dst, const struct stat *st, void *arg);
static int tree_walk(const char *src, const char *dst, tree_fn fn, void *arg)
{
	DIR *d = opendir(src);
	if (d == NULL)
		return SP_ERR_IO;
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char s[PATH_MAX], t[PATH_MAX];
		struct stat st;
		if (snprintf(s, sizeof(s), "%s/%s", src, e->d_name) >= (int)sizeof(s) ||
		    (dst && snprintf(t, sizeof(t), "%s/%s", dst, e->d_name) >= (int)sizeof(t)))
			rc = SP_ERR_RANGE;
		else if (lstat(s, &st) != 0)
			rc = SP_ERR_IO;
		else
			rc = fn(s, dst ? t : NULL, &st, arg);
	}
	closedir(d);
	return rc;
}

static int copy_one(const char *src, const char *dst, const struct stat *st, void *arg)
{
	if (S_ISDIR(st->st_mode))
		return sp_tree_copy(src, dst);
	if (!S_ISREG(st->st_mode))
		return SP_ERR_IO; /* a store holds only files and folders */
	return sp_file_copy(src, dst, st->st_mode & 07777);
}

int sp_tree_copy(const char *src, const char *dst)
{
	if (mkdir(dst, 0700) != 0)
		return errno == EEXIST ? SP_ERR_EXISTS : SP_ERR_IO;
	return tree_walk(src, dst, copy_one, NULL);
}

static int remove_one(const char *path, const char *unused, const struct stat *st, void *arg)
{
	if (S_ISDIR(st->st_mode))
		return sp_tree_remove(path);
	return unlink(path) == 0 || errno == ENOENT ? 0 : SP_ERR_IO;
}

int sp_tree_remove(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : SP_ERR_IO;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == 0 ? 0 : SP_ERR_IO;
	int rc = tree_walk(path, NULL, remove_one, NULL);
	if (rc == 0 && rmdir(path) != 0)
		rc = SP_ERR_IO;
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

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int sp_rmtree(const char *path)
{
	if (access(path, F_OK) != 0)
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : SP_ERR_IO;
}

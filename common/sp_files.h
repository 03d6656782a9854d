/*
 * sp_files.h - small file helpers for the node and the tools: create
 * folders, write all of a buffer, replace a file atomically, read a whole
 * file with a size limit, say why a call failed.
 */
#ifndef SP_FILES_H
#define SP_FILES_H

#include <stddef.h>
#include <sys/types.h>

#include "sp_buf.h"

/* sp_mkdirs creates path and any missing parents (like mkdir -p).
 * SP_ERR_IO on failure. */
int sp_mkdirs(const char *path, mode_t mode);

/* sp_write_all writes n bytes to fd, retrying short writes and EINTR.
 * 0 or SP_ERR_IO. */
int sp_write_all(int fd, const void *data, size_t n);

/* sp_file_replace writes data to path through a temporary file in the same
 * folder and rename(2), creating missing parent folders (0755), so a web
 * server reading the folder meanwhile sees the old file or the new one,
 * never half of one. Files are made 0644: they are public. SP_ERR_IO. */
int sp_file_replace(const char *path, const void *data, size_t len);

/* sp_file_copy copies the regular file src to the new file dst (made with
 * mode; an existing dst is SP_ERR_EXISTS) and fsyncs it. SP_ERR_NOT_FOUND,
 * SP_ERR_IO; a partial dst is removed. */
int sp_file_copy(const char *src, const char *dst, mode_t mode);

/* sp_tree_copy copies the folder src (regular files and folders, any depth)
 * to the new folder dst, keeping file modes (folders 0700). SP_ERR_EXISTS
 * if dst exists; a partial dst is left for the caller to remove. */
int sp_tree_copy(const char *src, const char *dst);

/* sp_tree_remove removes path and everything below it (like rm -rf;
 * symbolic links are removed, never followed). SP_ERR_IO. */
int sp_tree_remove(const char *path);

/* sp_file_read appends the contents of path to out. SP_ERR_NOT_FOUND if it
 * does not exist, SP_ERR_RANGE if it is longer than max bytes, SP_ERR_IO. */
int sp_file_read(const char *path, size_t max, struct sp_buf *out);

/* sp_rmtree removes path and everything below it (like rm -rf; symbolic
 * links are removed, not followed). SP_ERR_IO if something stays. */
int sp_rmtree(const char *path);

/* sp_say writes the printf-style message into why (cap bytes; nothing if
 * why is NULL or cap 0) and returns rc, for functions that report errors
 * as a code and a sentence. */
int sp_say(char *why, size_t cap, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif

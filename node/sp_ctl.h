/*
 * sp_ctl.h - the node's control socket: a Unix socket DATA/simpuld.ctl
 * (mode 0600, in the 0700 data folder, so only the node's user and root
 * reach it) through which `simpul backup` asks a running node for a hot
 * backup (docs/operations.md, "Backup and restore").
 *
 * One request per connection, one line each way:
 *   -> "backup\n"
 *   <- "ok <folder>\n"                 a new folder in DATA holding store/ (a
 *                                      RocksDB checkpoint: consistent, hard
 *                                      links), node.key, and the config and
 *                                      seal key the node runs with
 *   <- "error <SP_ERR_NAME> <text>\n"
 * The checkpoint is written on libuv's thread pool while the node keeps
 * serving; one backup at a time (SP_ERR_BUSY for a second).
 */
#ifndef SP_CTL_H
#define SP_CTL_H

#include <uv.h>

#include "sp_logx.h"
#include "sp_store.h"

#define SP_CTL_SOCKET "simpuld.ctl"

struct sp_ctl_opts {
	uv_loop_t *loop;
	struct sp_store *store;
	struct sp_logx *log;
	const char *data_dir;  /* the socket and the backups go here */
	const char *key_path;  /* copied into each backup as node.key */
	const char *conf_path; /* copied as simpuld.ini; NULL: built-in config */
	const char *seal_path; /* copied as seal.key; "" or NULL: none */
};

struct sp_ctl;

/* sp_ctl_start listens on DATA/simpuld.ctl (a stale socket there is
 * replaced: the caller holds the store, so no other node uses DATA). The
 * strings in o must outlive the sp_ctl. SP_ERR_RANGE (*out NULL) if the
 * path does not fit a socket address; SP_ERR_IO if it cannot listen (*out
 * set, already closed). Whenever *out is set, sp_ctl_close and sp_ctl_free
 * it as usual. */
int sp_ctl_start(const struct sp_ctl_opts *o, struct sp_ctl **out);

/* sp_ctl_busy: a backup is being written (the store must stay open). */
int sp_ctl_busy(const struct sp_ctl *c);

/* sp_ctl_close stops listening, closes every connection and removes the
 * socket (loop thread; not while busy). sp_ctl_free then frees c once the
 * loop has run the close callbacks. NULL is a no-op for both. */
void sp_ctl_close(struct sp_ctl *c);
void sp_ctl_free(struct sp_ctl *c);

#endif

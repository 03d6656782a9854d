/*
 * simpul_backup.c - `simpul backup`: a consistent copy of a node's store,
 * as a RocksDB checkpoint (sp_store_backup: the immutable table files are
 * hard-linked when the copy is on the same file system, the rest copied),
 * laid out like the original, so `simpul log verify` checks it and a
 * restore is putting it in place (docs/operations.md, "Backup").
 *
 * A running simpuld holds RocksDB's lock on its store, so it is asked
 * through its control socket (DATA/simpuld.ctl, node/sp_ctl.h) to write
 * the checkpoint itself, with its key and config, into a new folder in
 * DATA, which is then moved (or, across file systems, copied) to NEWDIR:
 * a hot backup, the node serving throughout. A stopped node's store is
 * opened here and checkpointed directly.
 */
#include "simpul.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sp_ctl.h"
#include "sp_clock.h"
#include "sp_err.h"
#include "sp_files.h"

static void backup_help(const char *cmd)
{
	printf("usage: %s --data DIR --out NEWDIR\n"
	       "\n"
	       "Write a consistent copy of a node's store into NEWDIR, a new folder: a\n"
	       "RocksDB checkpoint (files hard-linked when NEWDIR is on the same file\n"
	       "system, so it takes a moment; copy NEWDIR elsewhere afterwards). DIR is\n"
	       "the node's data folder (the store is DIR/store) or a store folder; NEWDIR\n"
	       "gets the same layout.\n"
	       "\n"
	       "A running node is backed up hot, without stopping it: simpul asks it\n"
	       "through DIR/simpuld.ctl (run as the node's user or root), and NEWDIR then\n"
	       "also holds the node's key (node.key), config (simpuld.ini) and seal key\n"
	       "(seal.key) if it has one. A stopped node's store is copied alone.\n"
	       "\n"
	       "  -d, --data DIR     the node's data folder, or a store folder\n"
	       "  -o, --out NEWDIR   the backup folder (must not exist yet)\n"
	       "  -h, --help         show this help\n"
	       "\n"
	       "Output lines: 'hot <ms>' for a running node (how long it took), 'log\n"
	       "<origin> entries <N> checkpoint <M>' per log (own marked), then 'backup\n"
	       "<store folder written>'.\n",
	       cmd);
}

static int is_store(const char *dir)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/CURRENT", dir); /* every RocksDB folder has it */
	return access(path, F_OK) == 0;
}

/* backup_paths picks the store to read (DIR/store or DIR) and the folder
 * to write (NEWDIR/store or NEWDIR). */
static int backup_paths(const char *data, const char *out, char *src, char *dst)
{
	struct stat st;
	snprintf(src, PATH_MAX, "%s/store", data);
	int nested = is_store(src);
	if (!nested && !is_store(data))
		return simpul_fail(SP_ERR_NOT_FOUND, "%s holds no store (nor does %s)", data, src);
	if (!nested)
		snprintf(src, PATH_MAX, "%s", data);
	if (stat(out, &st) == 0)
		return simpul_fail(SP_ERR_EXISTS, "%s exists; not overwriting it", out);
	if (snprintf(dst, PATH_MAX, nested ? "%s/store" : "%s", out) >= PATH_MAX)
		return simpul_fail(SP_ERR_ARG, "%s: path too long", out);
	return SIMPUL_OK;
}

/* backup_write creates dst's parent folder and writes the checkpoint. */
static int backup_write(struct sp_store *s, const char *dst)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dst);
	int rc = sp_mkdirs(dirname(parent), 0700);
	return rc ? rc : sp_store_backup(s, dst);
}

/* backup_list prints every log of s with its size and checkpoint size. */
static void backup_list(struct sp_store *s)
{
	uint32_t n = sp_store_log_count(s);
	for (uint32_t id = 0; id < n; id++) {
		struct sp_log_info info;
		struct sp_buf b;
		uint64_t cp = 0;
		if (sp_store_log_info(s, id, &info) != 0)
			continue;
		sp_buf_init(&b);
		sp_store_checkpoint(s, id, &b, &cp);
		sp_buf_free(&b);
		printf("log %s entries %llu checkpoint %llu%s%s\n", info.origin,
		       (unsigned long long)info.size, (unsigned long long)cp,
		       info.own ? " own" : "", info.frozen ? " frozen" : "");
	}
}

static int backup_run(const char *src, const char *dst)
{
	struct sp_store_opts o = {0};
	o.verify_threads = 1;
	struct sp_store *s;
	int rc = sp_store_open(src, &o, &s);
	if (rc == SP_ERR_BUSY) {
		fprintf(stderr,
			"simpul: store %s is held by a running simpuld that does not answer on\n"
			"its control socket (an older release?). Stop it (SIGTERM), run simpul\n"
			"backup again and start it. See docs/operations.md, \"Backup\".\n",
			src);
		return SIMPUL_FAIL;
	}
	if (rc)
		return simpul_fail(rc, "opening store %s", src);
	rc = backup_write(s, dst);
	if (rc == 0)
		backup_list(s);
	sp_store_close(s);
	if (rc)
		return simpul_fail(rc, "writing the backup %s", dst);
	printf("backup %s\n", dst);
	return SIMPUL_OK;
}

/* ---- a running node: through its control socket --------------------------------- */

/* ctl_connect connects to the control socket of the node whose store is
 * src (its data folder is src's parent). -1 (errno set) if none answers. */
static int ctl_connect(const char *src, char *path, size_t cap)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", src);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (snprintf(path, cap, "%s/%s", dirname(dir), SP_CTL_SOCKET) >= (int)sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		fd = -1;
	}
	return fd;
}

/* ctl_ask sends "backup" and reads the one-line answer into line. */
static int ctl_ask(int fd, char *line, size_t cap)
{
	static const char req[] = "backup\n";
	size_t n = 0;
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		return SP_ERR_IO;
	for (;;) {
		ssize_t r = read(fd, line + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (n += (size_t)r) == cap - 1)
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return n ? 0 : SP_ERR_IO;
}

/* hot_move moves the node's backup folder made to out: a rename on the
 * same file system, else a copy (then the node's folder is removed). */
static int hot_move(const char *made, const char *out)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", out);
	int rc = sp_mkdirs(dirname(parent), 0700);
	if (rc == 0 && rename(made, out) != 0) {
		if (errno != EXDEV)
			return simpul_fail(SP_ERR_IO, "moving %s to %s: %s", made, out, strerror(errno));
		rc = sp_tree_copy(made, out);
		if (rc) {
			sp_tree_remove(out);
			return simpul_fail(rc, "copying %s to %s (the node's copy is kept)", made, out);
		}
		rc = sp_tree_remove(made);
	}
	return rc ? simpul_fail(rc, "moving %s to %s", made, out) : SIMPUL_OK;
}

/* backup_hot backs up the running node whose store is src into out; -1 if
 * no node answers on its control socket (the caller copies it offline). */
static int backup_hot(const char *src, const char *out)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 256], store[PATH_MAX + 8];
	uint64_t t0 = sp_mono_ms();
	int fd = ctl_connect(src, path, sizeof(path));
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		return simpul_fail(SP_ERR_IO, "%s: permission denied: run as the node's user or root",
				   path);
	if (fd < 0)
		return -1;
	int rc = ctl_ask(fd, line, sizeof(line));
	close(fd);
	if (rc)
		return simpul_fail(rc, "no answer from the node on %s (see its log)", path);
	if (strncmp(line, "ok ", 3) != 0) {
		fprintf(stderr, "simpul: the node refused the backup: %s\n", line);
		return SIMPUL_FAIL;
	}
	int ex = hot_move(line + 3, out);
	if (ex)
		return ex;
	printf("hot %llu\n", (unsigned long long)(sp_mono_ms() - t0));
	snprintf(store, sizeof(store), "%s/store", out);
	struct sp_store *s;
	if ((ex = simpul_open_ro(store, &s)) != SIMPUL_OK)
		return ex;
	backup_list(s);
	sp_store_close(s);
	printf("backup %s\n", store);
	return SIMPUL_OK;
}

int simpul_backup_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *data = NULL, *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'o')
			out = optarg;
		else if (c == 'h')
			return backup_help(cmd), SIMPUL_OK;
		else
			return simpul_bad_option(cmd);
	}
	if (optind < argc)
		return simpul_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (data == NULL || out == NULL)
		return simpul_usage(cmd, "--data DIR and --out NEWDIR are required");
	char src[PATH_MAX], dst[PATH_MAX];
	int ex = backup_paths(data, out, src, dst);
	if (ex)
		return ex;
	ex = backup_hot(src, out);
	return ex >= 0 ? ex : backup_run(src, dst);
}

/*
 * simpul_backup.c - `simpul backup`: a consistent copy of a stopped node's
 * store, as a RocksDB checkpoint (sp_store_backup: the immutable table
 * files are hard-linked when the copy is on the same file system, the rest
 * copied), laid out like the original, so `simpul log verify` checks it and
 * a restore is putting it in place (docs/operations.md, "Backup").
 *
 * The store is opened for writing, which takes RocksDB's lock: the store of
 * a running simpuld is refused, with what to do instead.
 */
#include "simpul.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_files.h"

static void backup_help(const char *cmd)
{
	printf("usage: %s --data DIR --out NEWDIR\n"
	       "\n"
	       "Write a consistent copy of a stopped node's store into NEWDIR, a new\n"
	       "folder: a RocksDB checkpoint (files hard-linked when NEWDIR is on the same\n"
	       "file system, so it takes a moment; copy NEWDIR elsewhere afterwards). DIR\n"
	       "is the node's data folder (the store is DIR/store) or a store folder;\n"
	       "NEWDIR gets the same layout. A running node holds its store: stop it,\n"
	       "back up, start it again.\n"
	       "\n"
	       "  -d, --data DIR     the node's data folder, or a store folder\n"
	       "  -o, --out NEWDIR   the backup folder (must not exist yet)\n"
	       "  -h, --help         show this help\n"
	       "\n"
	       "Output lines: 'log <origin> entries <N> checkpoint <M>' per log (own\n"
	       "marked), then 'backup <store folder written>'.\n",
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
			"simpul: store %s is held by a running simpuld. Stop it (SIGTERM), run\n"
			"simpul backup again and start it: the backup takes a moment. See\n"
			"docs/operations.md, \"Backup\".\n",
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
	return ex ? ex : backup_run(src, dst);
}

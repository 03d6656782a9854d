/*
 * simpul_index.c - `simpul index rebuild|verify --config FILE`: work on a
 * stopped node's report index, which simpuld keeps in its store (docs/
 * operations.md, "The report index"). Computing report states needs the
 * node's config, key and directory exactly as the node loads them, so this
 * runs the simpuld next to this executable in its index mode rather than
 * loading them a second way.
 */
#include "simpul.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sp_err.h"

static void index_help(const char *cmd)
{
	printf("usage: %s rebuild|verify --config FILE\n"
	       "\n"
	       "Work on the report index of a stopped node, kept in its store.\n"
	       "rebuild: empty it and build it again from the logs (what the node does\n"
	       "by itself when it finds the index damaged or out of step with its logs).\n"
	       "verify: check every value's checksum, load the index as a start would,\n"
	       "and compare it with one rebuilt from the logs in a scratch copy of the\n"
	       "store (DATA/index-verify.tmp, removed after; needs the store's size in\n"
	       "free disk while it runs). Exit status 1 if a value is damaged or the\n"
	       "two differ (the first difference is printed).\n"
	       "\n"
	       "  -c, --config FILE   the node's simpuld.ini\n"
	       "  -h, --help          show this help\n"
	       "\n"
	       "Output: simpuld's log lines ('index rebuilt reports=N ms=T'; 'index\n"
	       "checksums values=N bad=B', 'index verify err=SP_OK: the index matches a\n"
	       "rebuild from the logs (L lines)').\n",
	       cmd);
}

int simpul_index_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *conf = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'c')
			conf = optarg;
		else if (c == 'h')
			return index_help(cmd), SIMPUL_OK;
		else
			return simpul_bad_option(cmd);
	}
	if (optind + 1 != argc)
		return simpul_usage(cmd, "give one operation: rebuild or verify");
	const char *op = argv[optind];
	if (strcmp(op, "rebuild") != 0 && strcmp(op, "verify") != 0)
		return simpul_usage(cmd, "unknown operation '%s' (rebuild or verify)", op);
	if (conf == NULL)
		return simpul_usage(cmd, "--config FILE is required");
	char bin[PATH_MAX];
	if (simpul_sibling("simpuld", bin, sizeof(bin)) != 0)
		return simpul_fail(SP_ERR_NOT_FOUND, "simpuld next to this executable");
	char *args[] = {bin, "--config", (char *)conf, "--index", (char *)op, NULL};
	fflush(stdout);
	execv(bin, args);
	return simpul_fail(SP_ERR_NOT_FOUND, "running %s", bin);
}

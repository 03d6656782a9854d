/*
 * simpuld.c - the Simpul node daemon's command line.
 *
 *   simpuld --config FILE [--http ADDR] [--log-level LEVEL]
 *   simpuld --default --dir DIR [--http ADDR] [--log-level LEVEL]
 *   simpuld --check-config FILE
 *   simpuld --print-default-config
 *
 * Everything else is in sp_node.c; this file only reads arguments.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sp_conf.h"
#include "sp_dirload.h"
#include "sp_logx.h"
#include "sp_node.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: simpuld --config FILE [--http ADDR] [--log-level LEVEL]\n"
		"       simpuld --default --dir DIR [--http ADDR] [--log-level LEVEL]\n"
		"       simpuld --config FILE --index rebuild|verify\n"
		"       simpuld --check-config FILE\n"
		"       simpuld --print-default-config\n"
		"\n"
		"Run a Simpul node (SP4N-LAPOR!) until SIGTERM or SIGINT; SIGHUP reloads\n"
		"the config. See docs/operations.md.\n"
		"\n"
		"  -c, --config FILE         run with the node config FILE (simpul init makes one)\n"
		"  -d, --default             run with the built-in config (config/default.ini);\n"
		"                            the key DIR/node.key is created if missing\n"
		"  -D, --dir DIR             with --default: the node's folder\n"
		"  -H, --http ADDR           listen on ADDR (host:port; port 0: any free one)\n"
		"  -l, --log-level LEVEL     debug, info, warn or error\n"
		"  -i, --index OP            on a stopped node: rebuild the report index from the\n"
		"                            logs, or verify its checksums (simpul index), and exit\n"
		"  -C, --check-config FILE   check FILE, print what is wrong, exit 0 or 1\n"
		"  -p, --print-default-config  print the built-in config\n"
		"  -V, --version             print the version\n"
		"  -h, --help                show this help\n");
}

static int check_config(const char *path)
{
	struct sp_conf c;
	char why[SP_CONF_WHY];
	if (sp_conf_load(&c, path, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	if (sp_conf_check_env(&c, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	/* What the directory says of this node: errors reading it are logged
	 * (to stderr), the rest come back in why. */
	struct sp_logx log;
	sp_logx_init(&log, 2, SP_LOGX_ERROR);
	if (sp_dirload_check(&c, stdout, &log, why, sizeof(why)) != 0) {
		fflush(stdout);
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	char origin[SP_ORIGIN_MAX + 1];
	sp_conf_origin(&c, origin, sizeof(origin));
	printf("%s: ok (origin %s, http %s, data %s)\n", path, origin, c.http_listen, c.data_dir);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"default", no_argument, NULL, 'd'},
		{"dir", required_argument, NULL, 'D'},
		{"http", required_argument, NULL, 'H'},
		{"log-level", required_argument, NULL, 'l'},
		{"index", required_argument, NULL, 'i'},
		{"check-config", required_argument, NULL, 'C'},
		{"print-default-config", no_argument, NULL, 'p'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sp_node_opts o = {0};
	int dflt = 0, ch;
	while ((ch = getopt_long(argc, argv, "c:dD:H:l:i:C:pVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.conf_path = optarg; break;
		case 'd': dflt = 1; break;
		case 'D': o.dir = optarg; break;
		case 'H': o.http_listen = optarg; break;
		case 'l': o.log_level = optarg; break;
		case 'i':
			if (strcmp(optarg, "rebuild") == 0)
				o.index_op = SP_NODE_INDEX_REBUILD;
			else if (strcmp(optarg, "verify") == 0)
				o.index_op = SP_NODE_INDEX_VERIFY;
			else
				return usage(stderr), 2;
			break;
		case 'C': return check_config(optarg);
		case 'p': fputs(sp_conf_default_ini, stdout); return 0;
		case 'V': printf("simpuld %s\n", SIMPUL_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || (o.conf_path != NULL) == dflt || (dflt && o.dir == NULL) ||
	    (!dflt && o.dir)) {
		fprintf(stderr, "simpuld: give either --config FILE or --default --dir DIR\n");
		usage(stderr);
		return 2;
	}
	o.create_key = dflt;
	/* A client that hangs up must not kill the node. */
	signal(SIGPIPE, SIG_IGN);
	struct sp_logx log;
	sp_logx_init(&log, 2, SP_LOGX_INFO);
	return sp_node_run(&o, &log);
}

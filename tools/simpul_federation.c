/*
 * simpul_federation.c - `simpul federation init`: generate a federation
 * (keys for every institution, the coordinator's signed directory log, a
 * description file) from the Kemendagri region list, with sp_fedgen.
 */
#include "simpul.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_fedgen.h"

static int simpul_federation_init_main(int argc, char **argv);

static const struct simpul_cmd federation_cmds[] = {
	{"init", simpul_federation_init_main, "generate keys, directory and routing rules"},
	{"up", simpul_federation_up_main, "run a local federation: a simpuld per institution"},
	{"down", simpul_federation_down_main, "stop every node of the local federation"},
	{"status", simpul_federation_status_main, "show the nodes, their logs and sizes"},
	{"kill", simpul_federation_kill_main, "kill one node (an outage)"},
	{"start", simpul_federation_start_main, "start one node again"},
	{NULL, NULL, NULL},
};

int simpul_federation_main(int argc, char **argv)
{
	return simpul_dispatch(federation_cmds, argc, argv);
}

static void init_help(const char *cmd)
{
	printf("usage: %s --wilayah FILE --out DIR [--name FEDERATION]\n"
	       "       [--subset PROVINCE_CODE]... [--port-base N]\n"
	       "\n"
	       "Generate a federation: the national coordinator (KEMENPANRB), ministries and\n"
	       "agencies, every province and kabupaten/kota of the Kemendagri region list,\n"
	       "each with fresh Ed25519 signing and X25519 sealing keys, and the\n"
	       "coordinator's signed directory log (institutions, delegations, routing\n"
	       "rules, deadline policy).\n"
	       "\n"
	       "options:\n"
	       "  -w, --wilayah FILE     region list (kode,nama,level), e.g. wilayah.csv\n"
	       "  -o, --out DIR          output folder; must not hold a federation yet\n"
	       "  -n, --name FEDERATION  federation name, the first part of every log\n"
	       "                         origin (default %s)\n"
	       "  -s, --subset CODE      only this province (two digits) and its\n"
	       "                         kabupaten/kota; repeat for more\n"
	       "  -p, --port-base N      loopback ports: peer N+2i, HTTP N+2i+1 (default %d)\n"
	       "  -h, --help             show this help\n"
	       "\n"
	       "Writes into DIR: federation.ini, keys/<ID>.key and keys/<ID>.seal (0600),\n"
	       "keys/<ID>.admin.key and keys/<ID>.officer.key (the enrolled officers, 0600),\n"
	       "store/ (the coordinator's store), directory.entries, directory.checkpoint.\n",
	       cmd, SP_FEDGEN_NAME, SP_FEDGEN_PORT_BASE);
}

static void print_result(const struct sp_fedgen_opts *o, const struct sp_fedgen_result *r)
{
	char k[65];
	simpul_hex(r->root_key, 32, k);
	printf("federation %s in %s\n", o->name ? o->name : SP_FEDGEN_NAME, o->out);
	printf("  institutions %zu (%zu ministries and agencies, %zu provinces, %zu kab/kota)\n",
	       r->institutions, r->agencies, r->provinces, r->kabkota);
	printf("  directory    %zu entries (%zu routing rules, %zu delegations, %zu officers)\n",
	       r->entries, r->routes, r->delegations, r->officers);
	printf("  root key     %s\n", k);
	printf("  officers     an admin and a pejabat penghubung per institution, enrolled:\n"
	       "               %s/keys/<ID>.admin.key and %s/keys/<ID>.officer.key\n"
	       "               (the coordinator's admin: %s/keys/%s.admin.key)\n",
	       o->out, o->out, o->out, SP_FEDGEN_COORDINATOR);
}

static int simpul_federation_init_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"wilayah", required_argument, NULL, 'w'}, {"out", required_argument, NULL, 'o'},
		{"name", required_argument, NULL, 'n'},    {"subset", required_argument, NULL, 's'},
		{"port-base", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0];
	const char *subset[SP_FEDGEN_MAX_SUBSET];
	struct sp_fedgen_opts o = {0};
	uint64_t port;
	int c;
	while ((c = getopt_long(argc, argv, "w:o:n:s:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o.wilayah = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 's':
			if (o.nsubset == SP_FEDGEN_MAX_SUBSET)
				return simpul_usage(cmd, "too many --subset provinces");
			subset[o.nsubset++] = optarg;
			break;
		case 'p':
			if (simpul_parse_u64(optarg, &port) != 0 || port == 0 || port > 57000)
				return simpul_usage(cmd, "--port-base '%s' is not a port (1..57000)",
						    optarg);
			o.port_base = (unsigned)port;
			break;
		case 'h':
			init_help(cmd);
			return SIMPUL_OK;
		default:
			return simpul_bad_option(cmd);
		}
	}
	if (optind < argc)
		return simpul_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (o.wilayah == NULL || o.out == NULL)
		return simpul_usage(cmd, "--wilayah FILE and --out DIR are required");
	o.subset = subset;
	struct sp_fedgen_result res;
	char why[SP_FEDGEN_WHY] = "";
	int rc = sp_fedgen_run(&o, &res, why, sizeof(why));
	if (rc == SP_ERR_ARG)
		return simpul_usage(cmd, "%s", why[0] ? why : sp_strerror(rc));
	if (rc) {
		fprintf(stderr, "simpul: federation init: %s\n", why[0] ? why : sp_strerror(rc));
		return SIMPUL_FAIL;
	}
	print_result(&o, &res);
	return SIMPUL_OK;
}

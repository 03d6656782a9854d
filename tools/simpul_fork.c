/*
 * simpul_fork.c - `simpul fork resolve`: an admin officer of the national
 * coordinator signs a fork resolution (sp_dir.h SP_EV_FORK_RESOLVE) and
 * sends it to the coordinator's node, which writes it to the directory
 * log (POST /v1/forks/resolve, docs/api.md "Forks").
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "simpul.h"
#include "sp_dir.h"
#include "sp_err.h"
#include "sp_keyfile.h"

static void resolve_help(const char *cmd)
{
	printf("usage: %s --node URL --key OFFICER.key [--passphrase-file PASS] --inst ID\n"
	       "       --size N --root BASE64\n"
	       "\n"
	       "Resolve a fork in institution ID's log: the log is the tree of N entries\n"
	       "whose root is BASE64 (the second and third lines of a checkpoint of the\n"
	       "branch kept). Signed with the key of an admin officer of the national\n"
	       "coordinator and sent to the coordinator's node, which writes it to the\n"
	       "directory log; every node that holds the log applies it (nodes on the other\n"
	       "branch set their copy aside and fetch the kept one). Prints the node's\n"
	       "answer. docs/replication.md 10.10.\n"
	       SIMPUL_PASS_HELP,
	       cmd);
}

struct resolve_opts {
	const char *node, *key, *pass, *inst, *root;
	unsigned long long size;
};

/* resolve_body signs the resolution and returns the request's JSON text
 * (caller frees), or NULL after printing why. */
static char *resolve_body(const char *cmd, const struct resolve_opts *o)
{
	struct sp_dir_forkres r = {.size = o->size};
	uint8_t sk[SP_SECRET_BYTES], pk[SP_KEY_BYTES];
	char off[2 * SP_KEY_BYTES + 1];
	char sig[sodium_base64_ENCODED_LEN(SP_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	size_t got = 0;
	if (snprintf(r.inst, sizeof(r.inst), "%s", o->inst) >= (int)sizeof(r.inst) ||
	    !sp_dir_id_valid(r.inst))
		return simpul_usage(cmd, "'%s' is not an institution id", o->inst), NULL;
	if (sodium_base642bin(r.root, 32, o->root, strlen(o->root), NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != 32)
		return simpul_usage(cmd, "--root is the standard base64 of 32 bytes"), NULL;
	if (simpul_signing_key(o->key, o->pass, pk, sk) != SIMPUL_OK)
		return NULL;
	int rc = sp_dir_forkres_sign(&r, sk);
	sodium_memzero(sk, sizeof(sk));
	if (rc)
		return simpul_fail(rc, "cannot sign the resolution"), NULL;
	sodium_bin2base64(sig, sizeof(sig), r.sig, SP_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL);
	simpul_hex(r.officer, SP_KEY_BYTES, off);
	json_t *j = json_pack("{s:s,s:I,s:s,s:s,s:s}", "inst", r.inst, "size", (json_int_t)r.size,
			      "root", o->root, "officer", off, "sig", sig);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return text;
}

static int resolve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'}, {"key", required_argument, NULL, 'k'},
		{"inst", required_argument, NULL, 'i'}, {"size", required_argument, NULL, 's'},
		{"root", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
		{"passphrase-file", required_argument, NULL, 'P'}, {NULL, 0, NULL, 0},
	};
	const char *cmd = "simpul fork resolve";
	struct resolve_opts o = {0};
	char *end = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'N')
			o.node = optarg;
		else if (c == 'k')
			o.key = optarg;
		else if (c == 'i')
			o.inst = optarg;
		else if (c == 'r')
			o.root = optarg;
		else if (c == 'P')
			o.pass = optarg;
		else if (c == 's')
			o.size = strtoull(optarg, &end, 10);
		else if (c == 'h')
			return resolve_help(cmd), SIMPUL_OK;
		else
			return simpul_bad_option(cmd);
		if (c == 's' && (end == optarg || *end != '\0' || o.size == 0))
			return simpul_usage(cmd, "--size is a number of entries, at least 1");
	}
	if (!o.node || !o.key || !o.inst || !o.root || o.size == 0 || optind != argc)
		return simpul_usage(cmd, "--node, --key, --inst, --size and --root are required");
	char *body = resolve_body(cmd, &o);
	if (body == NULL)
		return SIMPUL_FAIL;
	json_t *j = simpul_api_call(o.node, "POST", "/v1/forks/resolve", body, 201);
	free(body);
	if (j == NULL)
		return SIMPUL_FAIL;
	char *text = json_dumps(j, JSON_COMPACT);
	printf("%s\n", text ? text : "");
	free(text);
	json_decref(j);
	return SIMPUL_OK;
}

static void fork_help(const char *cmd)
{
	printf("usage: %s resolve [options]   (%s resolve --help)\n"
	       "\n"
	       "Act on a fork as the national coordinator. The evidence itself is listed\n"
	       "by any node: GET /v1/forks.\n",
	       cmd, cmd);
}

int simpul_fork_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "resolve") == 0)
		return resolve_main(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return fork_help(argv[0]), SIMPUL_OK;
	return simpul_usage(argv[0], "give a subcommand: resolve");
}

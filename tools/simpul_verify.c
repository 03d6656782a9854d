/*
 * simpul_verify.c - `simpul log verify`: audit whole logs, either in a
 * store folder (the node's own data, opened read-only) or in an exported
 * tlog-tiles folder (what public observers check, offline).
 */
#include "simpul.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_pool.h"
#include "sp_progress.h"

struct verify_args {
	const char *data, *origin, *tiles;
	const char *vkey[SP_KEYHIST_MAX]; /* the log's key history, oldest first */
	size_t nvkey;
	uint64_t threads;
};

static void verify_help(const char *cmd)
{
	printf("usage: %s --data DIR [--origin ORIGIN] [--threads N]\n"
	       "       %s --tiles DIR --vkey VERIFIER-KEY... [--threads N]\n"
	       "\n"
	       "Verify whole logs end to end: every entry's encoding and signature, its\n"
	       "author (the log's key), its link to the entry before (index, previous hash,\n"
	       "time), and the RFC 6962 Merkle root against the latest signed checkpoint.\n"
	       "\n"
	       "With --data, checks the logs of a store folder (every log, or just ORIGIN),\n"
	       "opened read-only, so a node's folder can be checked while it is stopped;\n"
	       "also the store's own tree and head, and fork evidence (any record fails).\n"
	       "With --tiles, checks an exported C2SP tlog-tiles folder offline, as a public\n"
	       "observer does: the checkpoint's signature by VERIFIER-KEY, every entry\n"
	       "bundle, and every hash tile at every level against the recomputed tree.\n"
	       "A log whose signing key was rotated is checked across the switch: give\n"
	       "each of its keys, oldest first (--vkey OLD --vkey NEW; docs/protocol.md 9):\n"
	       "an entry may be signed by the key of the entry before it or a later one,\n"
	       "never an earlier one. (A store folder holds each log's key history.)\n"
	       "\n"
	       "  -d, --data DIR        a store folder\n"
	       "  -o, --origin ORIGIN   only this log of the store\n"
	       "  -T, --tiles DIR       a tlog-tiles folder (see 'simpul log export')\n"
	       "  -k, --vkey KEY        the log's C2SP verifier key, '<origin>+<id>+<key>';\n"
	       "                        repeat for each key of a rotated log, oldest first\n"
	       "  -j, --threads N       signature-checking threads (default: all CPUs)\n"
	       "  -h, --help            show this help\n"
	       "\n"
	       "Exit status: 0 when every log verifies, 1 when any fails, 2 on bad usage.\n",
	       cmd, cmd);
}

static int verify_parse(int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},   {"origin", required_argument, NULL, 'o'},
		{"tiles", required_argument, NULL, 'T'},  {"vkey", required_argument, NULL, 'k'},
		{"threads", required_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0];
	int c;
	while ((c = getopt_long(argc, argv, "d:o:T:k:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->data = optarg;
			break;
		case 'o':
			a->origin = optarg;
			break;
		case 'T':
			a->tiles = optarg;
			break;
		case 'k':
			if (a->nvkey == SP_KEYHIST_MAX)
				return simpul_usage(cmd, "at most %d --vkey", SP_KEYHIST_MAX);
			a->vkey[a->nvkey++] = optarg;
			break;
		case 'j':
			if (simpul_threads_arg(cmd, optarg, &a->threads))
				return SIMPUL_USAGE;
			break;
		case 'h':
			verify_help(cmd);
			return SIMPUL_OK;
		default:
			return simpul_bad_option(cmd);
		}
	}
	if (optind < argc)
		return simpul_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if ((a->data == NULL) == (a->tiles == NULL))
		return simpul_usage(cmd, "give exactly one of --data DIR and --tiles DIR");
	if (a->tiles && (a->nvkey == 0 || a->origin))
		return simpul_usage(cmd, "--tiles needs --vkey (and takes no --origin)");
	if (a->data && a->nvkey)
		return simpul_usage(cmd, "--vkey goes with --tiles");
	return -1;
}

/* ---- the summary ------------------------------------------------------------------ */

static void print_checkpoint(const struct sp_audit_report *r)
{
	if (!r->have_cp) {
		printf("  checkpoint  none stored\n");
		return;
	}
	printf("  checkpoint  size %llu, signature OK", (unsigned long long)r->cp_size);
	if (r->nkeys > 1)
		printf(" (key %zu of %zu)", r->cp_key + 1, r->nkeys);
	if (r->cp_compared)
		printf(", root %s", r->fail.err == SP_ERR_INCONSISTENT ? "DIFFERS" : "matches");
	else if (r->cp_size > r->entries && r->fail.err == 0)
		printf(", ahead of the entries held: root not compared");
	printf(", %llu cosignature%s\n", (unsigned long long)r->cosigs, r->cosigs == 1 ? "" : "s");
}

int simpul_print_report(const struct sp_audit_report *r, int tiles)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof(b64), r->root, 32, sodium_base64_VARIANT_ORIGINAL);
	if (r->fail.err)
		printf("%s: FAIL %s at %s\n", r->origin, sp_errname(r->fail.err), r->fail.where);
	else
		printf("%s: OK\n", r->origin);
	printf("  entries     %llu verified in %.2f s (%.0f entries/s)\n",
	       (unsigned long long)r->entries, r->seconds,
	       r->seconds > 0 ? (double)r->entries / r->seconds : 0.0);
	printf("  root        %s%s\n", b64, r->fail.err ? " (of the entries verified)" : "");
	if (r->nkeys > 1)
		printf("  keys        %zu (signing-key rotations: %zu)\n", r->nkeys, r->nkeys - 1);
	print_checkpoint(r);
	if (tiles)
		printf("  hash tiles  %llu compared\n", (unsigned long long)r->tiles);
	else
		printf("  forks       %llu\n", (unsigned long long)r->forks);
	fflush(stdout);
	if (r->fail.err == 0)
		return SIMPUL_OK;
	return simpul_fail(r->fail.err, "log %s: %s", r->origin, r->fail.where);
}

/* ---- running ---------------------------------------------------------------------- */

static int verify_one(struct sp_store *s, uint32_t id, struct sp_pool *pool)
{
	struct sp_log_info info;
	int rc = sp_store_log_info(s, id, &info);
	if (rc)
		return simpul_fail(rc, "log %u", (unsigned)id);
	struct sp_progress prog;
	sp_progress_init(&prog, info.origin, info.size);
	struct sp_audit_report rep;
	sp_audit_store_log(s, id, pool, &prog, &rep);
	sp_progress_done(&prog);
	return simpul_print_report(&rep, 0);
}

static int verify_store(const struct verify_args *a, struct sp_pool *pool)
{
	struct sp_store *s;
	int ex = simpul_open_ro(a->data, &s);
	if (ex)
		return ex;
	uint32_t n = sp_store_log_count(s), id;
	if (a->origin) {
		int rc = sp_store_log_find(s, a->origin, &id);
		ex = rc ? simpul_fail(rc, "log %s in %s", a->origin, a->data)
			: verify_one(s, id, pool);
	} else if (n == 0) {
		ex = simpul_fail(SP_ERR_NOT_FOUND, "%s holds no logs", a->data);
	} else {
		for (id = 0; id < n; id++)
			if (verify_one(s, id, pool) != SIMPUL_OK)
				ex = SIMPUL_FAIL;
	}
	sp_store_close(s);
	return ex;
}

static int verify_tiles(const struct verify_args *a, struct sp_pool *pool)
{
	struct sp_note_key key[SP_KEYHIST_MAX];
	for (size_t i = 0; i < a->nvkey; i++) {
		int rc = sp_note_vkey_parse(a->vkey[i], &key[i]);
		if (rc)
			return simpul_fail(rc, "verifier key '%s'", a->vkey[i]);
	}
	struct sp_progress prog;
	sp_progress_init(&prog, key[0].name, 0);
	struct sp_audit_report rep;
	sp_audit_tiles(a->tiles, key, a->nvkey, pool, &prog, &rep);
	sp_progress_done(&prog);
	return simpul_print_report(&rep, 1);
}

int simpul_log_verify_main(int argc, char **argv)
{
	struct verify_args a = {0};
	int ex = verify_parse(argc, argv, &a);
	if (ex >= 0)
		return ex;
	struct sp_pool *pool;
	ex = simpul_pool_start(a.threads, &pool);
	if (ex != SIMPUL_OK)
		return ex;
	ex = a.tiles ? verify_tiles(&a, pool) : verify_store(&a, pool);
	sp_pool_destroy(pool);
	return ex;
}

/*
 * simpul_admin.c - the administrator's commands: `simpul officer`,
 * `simpul institution`, `simpul route`, `simpul policy` and
 * `simpul calendar`. Each change is a directory record wrapped in a request
 * signed with the admin's own key (sp_admin.h) and sent to the national
 * coordinator's node (POST /v1/admin), which checks it, writes it to the
 * directory log and applies it; every other node applies it as the log
 * replicates. Reads (list, show, test) ask any node.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "simpul.h"
#include "sp_admin.h"
#include "sp_cal.h"
#include "sp_dir.h"
#include "sp_err.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_clock.h"

#define REQUEST_TTL_MS (5ULL * 60 * 1000) /* a request is good for five minutes */

/* Every option any admin command takes; each command checks its own. */
struct aopts {
	const char *node, *key, *pass, *inst, *officer, *name, *role, *id, *tier, *parent, *sign_key,
		*seal_key, *http, *rule, *category, *region, *target;
	const char *peers[SP_DIR_MAX_PEERS], *regions[SP_DIR_MAX_REGIONS],
		*cats[SP_DIR_MAX_CATEGORIES];
	size_t npeers, nregions, ncats;
	int set_regions, set_cats, set_peers, json;
	long verify, answer, window, ceiling;
	int argc;
	char **argv; /* positional arguments left */
};

static const struct option admin_options[] = {
	{"node", required_argument, NULL, 'N'},     {"key", required_argument, NULL, 'k'},
	{"inst", required_argument, NULL, 'i'},     {"officer-key", required_argument, NULL, 'o'},
	{"name", required_argument, NULL, 'n'},     {"role", required_argument, NULL, 'R'},
	{"id", required_argument, NULL, 'I'},       {"tier", required_argument, NULL, 't'},
	{"parent", required_argument, NULL, 'p'},   {"sign-key", required_argument, NULL, 's'},
	{"seal-key", required_argument, NULL, 'S'}, {"peer", required_argument, NULL, 'P'},
	{"http", required_argument, NULL, 'H'},     {"region", required_argument, NULL, 'g'},
	{"category", required_argument, NULL, 'c'}, {"rule", required_argument, NULL, 'u'},
	{"to", required_argument, NULL, 'T'},       {"verify", required_argument, NULL, 1},
	{"answer", required_argument, NULL, 2},     {"window", required_argument, NULL, 3},
	{"ceiling", required_argument, NULL, 4},    {"json", no_argument, NULL, 'j'},
	{"passphrase-file", required_argument, NULL, 5},
	{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
};

static int add_to(const char **arr, size_t *n, size_t max, const char *v)
{
	if (*n >= max)
		return -1;
	arr[(*n)++] = v;
	return 0;
}

static int set_days(long *dst, const char *v)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || x < 1 || x > SP_DIR_DAYS_MAX)
		return -1;
	*dst = x;
	return 0;
}

/* parse_opts fills o; returns -1 on success, else an exit code (help shown
 * or bad usage). */
static int parse_opts(int argc, char **argv, struct aopts *o, void (*help)(const char *))
{
	const char *cmd = argv[0];
	int c, bad = 0;
	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", admin_options, NULL)) != -1) {
		switch (c) {
		case 'N': o->node = optarg; break;
		case 'k': o->key = optarg; break;
		case 'i': o->inst = optarg; break;
		case 'o': o->officer = optarg; break;
		case 'n': o->name = optarg; break;
		case 'R': o->role = optarg; break;
		case 'I': o->id = optarg; break;
		case 't': o->tier = optarg; break;
		case 'p': o->parent = optarg; break;
		case 's': o->sign_key = optarg; break;
		case 'S': o->seal_key = optarg; break;
		case 'H': o->http = optarg; break;
		case 'u': o->rule = optarg; break;
		case 'T': o->target = optarg; break;
		case 'j': o->json = 1; break;
		case 'P':
			o->set_peers = 1;
			bad = add_to(o->peers, &o->npeers, SP_DIR_MAX_PEERS, optarg);
			break;
		case 'g':
			o->region = optarg;
			o->set_regions = 1;
			bad = add_to(o->regions, &o->nregions, SP_DIR_MAX_REGIONS, optarg);
			break;
		case 'c':
			o->category = optarg;
			o->set_cats = 1;
			bad = add_to(o->cats, &o->ncats, SP_DIR_MAX_CATEGORIES, optarg);
			break;
		case 1: bad = set_days(&o->verify, optarg); break;
		case 2: bad = set_days(&o->answer, optarg); break;
		case 3: bad = set_days(&o->window, optarg); break;
		case 4: bad = set_days(&o->ceiling, optarg); break;
		case 5: o->pass = optarg; break;
		case 'h': help(cmd); return SIMPUL_OK;
		default: return simpul_bad_option(cmd);
		}
		if (bad)
			return simpul_usage(cmd, "bad value '%s' for an option (too many, or out of range)",
					    optarg);
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	return -1;
}

static void print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	printf("%s\n", text ? text : "");
	free(text);
}

/* send_record signs record (of type) with the key in key_path and sends it
 * to the coordinator's node. Prints the node's answer; returns an exit code. */
static int send_record(const char *cmd, const struct aopts *o, uint64_t type, struct sp_buf *rec)
{
	if (o->node == NULL || o->key == NULL)
		return simpul_usage(cmd, "--node URL (the coordinator's node) and --key FILE (your "
				    "admin key) are required");
	if (rec->err)
		return simpul_fail(SP_ERR_NOMEM, "building the record");
	uint8_t pk[SP_KEY_BYTES], sk[SP_SECRET_BYTES];
	if (simpul_signing_key(o->key, o->pass, pk, sk) != SIMPUL_OK)
		return SIMPUL_FAIL;
	struct sp_admin_req r = {.type = type, .record = rec->p, .record_len = rec->len,
				 .expires_ms = sp_now_ms() + REQUEST_TTL_MS};
	struct sp_buf body;
	sp_buf_init(&body);
	int rc = sp_admin_sign(&r, sk, &body);
	sodium_memzero(sk, sizeof(sk));
	if (rc) {
		sp_buf_free(&body);
		return simpul_fail(rc, "cannot sign the request");
	}
	size_t cap = sodium_base64_ENCODED_LEN(body.len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(cap);
	json_t *req = NULL;
	if (b64) {
		sodium_bin2base64(b64, cap, body.p, body.len, sodium_base64_VARIANT_ORIGINAL);
		req = json_pack("{s:s}", "request", b64);
	}
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	free(b64);
	sp_buf_free(&body);
	if (text == NULL)
		return simpul_fail(SP_ERR_NOMEM, "building the request");
	json_t *j = simpul_api_call(o->node, "POST", "/v1/admin", text, 201);
	free(text);
	if (j == NULL)
		return SIMPUL_FAIL;
	print_json(j);
	json_decref(j);
	return SIMPUL_OK;
}

/* send_encoded sends record b of type once its encoding succeeded (rc 0);
 * an encoding error is reported with invalid, the rule a valid record
 * follows. Frees b; returns an exit code. */
static int send_encoded(const char *cmd, const struct aopts *o, uint64_t type, int rc,
			struct sp_buf *b, const char *invalid)
{
	rc = rc ? simpul_fail(rc, "%s", invalid) : send_record(cmd, o, type, b);
	sp_buf_free(b);
	return rc;
}

/* get_json asks any node; prints nothing itself on success. */
static json_t *get_json(const char *cmd, const char *node, const char *path)
{
	if (node == NULL) {
		simpul_usage(cmd, "--node URL is required");
		return NULL;
	}
	return simpul_api_call(node, "GET", path, NULL, 200);
}

/* url_part escapes a query value (ids, codes and categories only hold
 * safe characters; anything else is refused). */
static int safe_part(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_*", *s))
			return 0;
	return 1;
}

/* read_pub reads an Ed25519 public key: 64 hex digits, a file with a
 * 'public-key HEX' line (what `simpul keygen --show` prints), or a key
 * file (its public half). */
static int read_pub(const char *v, uint8_t pk[SP_KEY_BYTES])
{
	size_t got = 0;
	if (strlen(v) == 64 &&
	    sodium_hex2bin(pk, SP_KEY_BYTES, v, 64, NULL, &got, NULL) == 0 && got == 32)
		return 0;
	char why[SP_KEYFILE_WHY];
	if (sp_keyfile_load(v, pk, NULL, why, sizeof(why)) == 0)
		return 0;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_file_read(v, 4096, &b) == 0 && b.err == 0 ? 0 : -1;
	sp_buf_put(&b, "", 1);
	const char *at = rc == 0 ? strstr((const char *)b.p, "public-key ") : NULL;
	rc = at && sodium_hex2bin(pk, SP_KEY_BYTES, at + 11, 64, NULL, &got, NULL) == 0 &&
			     got == 32
		     ? 0
		     : -1;
	sp_buf_free(&b);
	return rc;
}

static int copy_field(char *dst, size_t cap, const char *v)
{
	return v == NULL || snprintf(dst, cap, "%s", v) >= (int)cap ? -1 : 0;
}

/* ---- simpul officer ----------------------------------------------------------------- */

static void officer_help(const char *cmd)
{
	printf("usage: %s enrol   --node URL --key ADMIN.key --inst ID --officer-key PUB\n"
	       "                      --name NAME [--role admin|penghubung]\n"
	       "       %s role    --node URL --key ADMIN.key --inst ID --officer-key PUB\n"
	       "                      --role admin|penghubung\n"
	       "       %s suspend|remove --node URL --key ADMIN.key --inst ID --officer-key PUB\n"
	       "       %s list    --node URL [--inst ID] [--json]\n"
	       "\n"
	       "Enrol an officer of institution ID (the key is made on the officer's own\n"
	       "machine with 'simpul keygen --out FILE'; only the public key, PUB = 64 hex\n"
	       "digits or a file holding 'public-key HEX', travels), change their role,\n"
	       "suspend or remove them (both end the enrolment: a suspended officer is\n"
	       "enrolled again with 'enrol'), or list who is enrolled now. Signed with\n"
	       "ADMIN.key, the key of an admin officer (of the national coordinator, or of\n"
	       "an institution above ID), and sent to the coordinator's node.\n"
	       SIMPUL_PASS_HELP,
	       cmd, cmd, cmd, cmd);
}

static int role_of(const char *s, enum sp_dir_role *r)
{
	if (s == NULL || strcmp(s, "penghubung") == 0 || strcmp(s, "officer") == 0)
		*r = SP_DIR_ROLE_PENGHUBUNG;
	else if (strcmp(s, "admin") == 0)
		*r = SP_DIR_ROLE_ADMIN;
	else
		return -1;
	return 0;
}

/* current_name finds an enrolled officer's name at the node (a removal
 * record repeats it). */
static int current_name(const struct aopts *o, const uint8_t pk[32], char *name, size_t cap)
{
	char path[128], hex[65];
	snprintf(path, sizeof(path), "/v1/officers?inst=%s", o->inst);
	simpul_hex(pk, 32, hex);
	json_t *j = simpul_api_call(o->node, "GET", path, NULL, 200), *it;
	size_t i;
	int rc = -1;
	json_array_foreach(json_object_get(j, "officers"), i, it)
	{
		const char *k = json_string_value(json_object_get(it, "key"));
		const char *n = json_string_value(json_object_get(it, "name"));
		if (rc && k && n && strcmp(k, hex) == 0)
			rc = copy_field(name, cap, n);
	}
	json_decref(j);
	return rc;
}

static int officer_list(const char *cmd, const struct aopts *o)
{
	char path[128] = "/v1/officers";
	if (o->inst && (!safe_part(o->inst) || strlen(o->inst) > SP_INST_ID_MAX))
		return simpul_usage(cmd, "'%s' is not an institution id", o->inst);
	if (o->inst)
		snprintf(path, sizeof(path), "/v1/officers?inst=%s", o->inst);
	json_t *j = get_json(cmd, o->node, path), *it;
	if (j == NULL)
		return o->node ? SIMPUL_FAIL : SIMPUL_USAGE;
	if (o->json) {
		print_json(j);
	} else {
		size_t i;
		printf("%-14s %-10s %-64s %s\n", "INSTITUTION", "ROLE", "KEY", "NAME");
		json_array_foreach(json_object_get(j, "officers"), i, it)
			printf("%-14s %-10s %-64s %s\n", json_string_value(json_object_get(it, "inst")),
			       json_string_value(json_object_get(it, "role")),
			       json_string_value(json_object_get(it, "key")),
			       json_string_value(json_object_get(it, "name")));
	}
	json_decref(j);
	return SIMPUL_OK;
}

static int officer_run(const char *sub, const char *cmd, const struct aopts *o)
{
	if (strcmp(sub, "list") == 0)
		return officer_list(cmd, o);
	struct sp_dir_officer r;
	memset(&r, 0, sizeof(r));
	int enrol = strcmp(sub, "enrol") == 0 || strcmp(sub, "role") == 0;
	if (!enrol && strcmp(sub, "suspend") != 0 && strcmp(sub, "remove") != 0)
		return simpul_usage(cmd, "give a subcommand: enrol, role, suspend, remove, list");
	if (o->inst == NULL || o->officer == NULL || copy_field(r.inst, sizeof(r.inst), o->inst))
		return simpul_usage(cmd, "--inst ID and --officer-key PUB are required");
	if (read_pub(o->officer, r.key) != 0)
		return simpul_usage(cmd, "--officer-key: '%s' is neither 64 hex digits nor a file "
				    "with a public key", o->officer);
	if (role_of(o->role, &r.role) != 0)
		return simpul_usage(cmd, "--role is admin or penghubung");
	r.action = enrol ? SP_DIR_ENROL : SP_DIR_REMOVE;
	if (strcmp(sub, "enrol") == 0 && o->name == NULL)
		return simpul_usage(cmd, "--name NAME is required (the officer's name, public)");
	const char *name = o->name;
	char found[SP_DIR_NAME_MAX + 1];
	if (name == NULL && o->node && current_name(o, r.key, found, sizeof(found)) == 0)
		name = found;
	if (name == NULL)
		return simpul_fail(SP_ERR_UNKNOWN_OFFICER, "officer %s at %s (give --name if the "
				   "node does not list them)", o->officer, o->inst);
	if (copy_field(r.name, sizeof(r.name), name))
		return simpul_usage(cmd, "--name is 1..128 bytes");
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_dir_officer_encode(&r, &b);
	return send_encoded(cmd, o, SP_EV_OFFICER, rc, &b,
			    "the officer record is not valid (docs/directory.md)");
}

static int group_main(int argc, char **argv, void (*help)(const char *),
		      int (*run)(const char *, const char *, const struct aopts *))
{
	if (argc < 2)
		return help(argv[0]), SIMPUL_USAGE;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return help(argv[0]), SIMPUL_OK;
	char full[160];
	snprintf(full, sizeof(full), "%s %s", argv[0], argv[1]);
	const char *sub = argv[1];
	argv[1] = full;
	struct aopts o;
	int rc = parse_opts(argc - 1, argv + 1, &o, help);
	if (rc >= 0)
		return rc;
	return run(sub, full, &o);
}

int simpul_officer_main(int argc, char **argv)
{
	return group_main(argc, argv, officer_help, officer_run);
}

/* ---- simpul institution --------------------------------------------------------------- */

static void institution_help(const char *cmd)
{
	printf("usage: %s add    --node URL --key ADMIN.key --id ID --name NAME --tier TIER\n"
	       "                     --parent ID --sign-key HEX --seal-key HEX\n"
	       "                     [--peer ADDR]... [--http URL] [--region CODE]...\n"
	       "                     [--category CAT]...\n"
	       "       %s update --node URL --key ADMIN.key --id ID [any field above]\n"
	       "       %s show   --node URL --id ID\n"
	       "       %s retire --node URL --key ADMIN.key --id ID\n"
	       "\n"
	       "Add an institution to the directory (its node's signing and seal keys are\n"
	       "the ones 'simpul init --join' printed on the new node's host), or publish a\n"
	       "new version of it: change its name, parent, addresses, jurisdiction, or\n"
	       "rotate its seal key (--seal-key; the node keeps the old one to open what\n"
	       "was sealed to it) or its signing key (--sign-key; the node switches to the\n"
	       "new key, configured beforehand, once the record reaches it; a key rotated\n"
	       "away never comes back; the coordinator's own key only once its node\n"
	       "holds it as [node] key, else SP_ERR_CONFIG). TIER: ministry, agency,\n"
	       "province, kabkota, unit.\n"
	       "Only the coordinator's admins add institutions above units; an\n"
	       "institution's admins add units in its subtree.\n"
	       "Retire takes an institution out of service for good (its units first):\n"
	       "routing passes it over, its officers stop, and its heir (the parent, or\n"
	       "the nearest ancestor in service) takes the reports it held; its log stays\n"
	       "readable and verifiable.\n"
	       SIMPUL_PASS_HELP,
	       cmd, cmd, cmd, cmd);
}

static int tier_of(const char *s, enum sp_dir_tier *t)
{
	static const char *const names[] = {"national-coordinator", "ministry", "agency",
					    "province", "kabkota", "unit"};
	for (int i = 0; i < 6; i++)
		if (s && strcmp(s, names[i]) == 0)
			return *t = (enum sp_dir_tier)i, 0;
	return -1;
}

static int hex32(const char *s, uint8_t out[32])
{
	size_t got = 0;
	return s && strlen(s) == 64 &&
			       sodium_hex2bin(out, 32, s, 64, NULL, &got, NULL) == 0 && got == 32
		       ? 0
		       : -1;
}

/* inst_from_json fills r from GET /v1/directory/institutions/{id}. */
static int inst_from_json(json_t *j, struct sp_dir_inst *r)
{
	json_t *it;
	size_t i;
	int bad = copy_field(r->id, sizeof(r->id), json_string_value(json_object_get(j, "id"))) ||
		  copy_field(r->name, sizeof(r->name), json_string_value(json_object_get(j, "name"))) ||
		  copy_field(r->parent, sizeof(r->parent),
			     json_is_string(json_object_get(j, "parent"))
				     ? json_string_value(json_object_get(j, "parent"))
				     : "") ||
		  tier_of(json_string_value(json_object_get(j, "tier")), &r->tier) ||
		  hex32(json_string_value(json_object_get(j, "sign_key")), r->sign_key) ||
		  hex32(json_string_value(json_object_get(j, "seal_key")), r->seal_key);
	const char *http = json_string_value(json_object_get(j, "http"));
	bad |= copy_field(r->http, sizeof(r->http), http ? http : "");
	json_array_foreach(json_object_get(j, "peers"), i, it)
		if (r->npeers < SP_DIR_MAX_PEERS)
			bad |= copy_field(r->peers[r->npeers++], SP_DIR_ADDR_MAX + 1,
					  json_string_value(it));
	json_array_foreach(json_object_get(j, "regions"), i, it)
		if (r->nregions < SP_DIR_MAX_REGIONS)
			bad |= copy_field(r->regions[r->nregions++], SP_DIR_REGION_MAX + 1,
					  json_string_value(it));
	json_array_foreach(json_object_get(j, "categories"), i, it)
		if (r->ncategories < SP_DIR_MAX_CATEGORIES)
			bad |= copy_field(r->categories[r->ncategories++], SP_DIR_CATEGORY_MAX + 1,
					  json_string_value(it));
	return bad ? -1 : 0;
}

/* apply_opts overrides r's fields with those given on the command line. */
static int apply_opts(const char *cmd, const struct aopts *o, struct sp_dir_inst *r)
{
	if (o->name && copy_field(r->name, sizeof(r->name), o->name))
		return simpul_usage(cmd, "--name is 1..128 bytes");
	if (o->tier && tier_of(o->tier, &r->tier))
		return simpul_usage(cmd, "--tier: ministry, agency, province, kabkota or unit");
	if (o->parent && copy_field(r->parent, sizeof(r->parent), o->parent))
		return simpul_usage(cmd, "--parent is an institution id");
	if (o->sign_key && hex32(o->sign_key, r->sign_key))
		return simpul_usage(cmd, "--sign-key is 64 hex digits (the node's public key)");
	if (o->seal_key && hex32(o->seal_key, r->seal_key))
		return simpul_usage(cmd, "--seal-key is 64 hex digits (the node's seal key)");
	if (o->http && copy_field(r->http, sizeof(r->http), o->http))
		return simpul_usage(cmd, "--http is at most 128 bytes");
	if (o->set_peers) {
		r->npeers = o->npeers;
		for (size_t i = 0; i < o->npeers; i++)
			if (copy_field(r->peers[i], SP_DIR_ADDR_MAX + 1, o->peers[i]))
				return simpul_usage(cmd, "--peer is at most 128 bytes");
	}
	if (o->set_regions) {
		r->nregions = o->nregions;
		for (size_t i = 0; i < o->nregions; i++)
			if (copy_field(r->regions[i], SP_DIR_REGION_MAX + 1, o->regions[i]))
				return simpul_usage(cmd, "--region '%s' is not a region code", o->regions[i]);
	}
	if (o->set_cats) {
		r->ncategories = o->ncats;
		for (size_t i = 0; i < o->ncats; i++)
			if (copy_field(r->categories[i], SP_DIR_CATEGORY_MAX + 1, o->cats[i]))
				return simpul_usage(cmd, "--category '%s' is too long", o->cats[i]);
	}
	return -1;
}

static int institution_retire(const char *cmd, const struct aopts *o)
{
	struct sp_dir_retire r;
	memset(&r, 0, sizeof(r));
	memcpy(r.id, o->id, strlen(o->id) + 1);
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_dir_retire_encode(&r, &b);
	if (rc == 0)
		rc = send_record(cmd, o, SP_EV_RETIRE, &b);
	else
		rc = simpul_usage(cmd, "'%s' is not an institution id", o->id);
	sp_buf_free(&b);
	return rc;
}

static int institution_run(const char *sub, const char *cmd, const struct aopts *o)
{
	struct sp_dir_inst r;
	memset(&r, 0, sizeof(r));
	if (o->id == NULL || !safe_part(o->id) || copy_field(r.id, sizeof(r.id), o->id))
		return simpul_usage(cmd, "--id ID is required");
	int add = strcmp(sub, "add") == 0;
	if (strcmp(sub, "retire") == 0)
		return institution_retire(cmd, o);
	if (!add && strcmp(sub, "update") != 0 && strcmp(sub, "show") != 0)
		return simpul_usage(cmd, "give a subcommand: add, update, show, retire");
	if (!add) {
		char path[96];
		snprintf(path, sizeof(path), "/v1/directory/institutions/%s", o->id);
		json_t *j = get_json(cmd, o->node, path);
		if (j == NULL)
			return o->node ? SIMPUL_FAIL : SIMPUL_USAGE;
		int bad = inst_from_json(j, &r);
		if (strcmp(sub, "show") == 0)
			print_json(j);
		json_decref(j);
		if (strcmp(sub, "show") == 0)
			return SIMPUL_OK;
		if (bad)
			return simpul_fail(SP_ERR_DIR_RECORD, "the node's record of %s", o->id);
	} else if (!o->name || !o->tier || !o->parent || !o->sign_key || !o->seal_key) {
		return simpul_usage(cmd, "add needs --name, --tier, --parent, --sign-key and "
				    "--seal-key");
	}
	int rc = apply_opts(cmd, o, &r);
	if (rc >= 0)
		return rc;
	struct sp_buf b;
	sp_buf_init(&b);
	rc = sp_dir_inst_encode(&r, &b);
	return send_encoded(cmd, o, SP_EV_INSTITUTION, rc, &b,
			    "the institution record is not valid (docs/directory.md: id, region "
			    "codes, categories, at most 4 peers)");
}

int simpul_institution_main(int argc, char **argv)
{
	return group_main(argc, argv, institution_help, institution_run);
}

/* ---- simpul route ------------------------------------------------------------------------ */

static void route_help(const char *cmd)
{
	printf("usage: %s set    --node URL --key ADMIN.key --rule ID --category CAT\n"
	       "                     [--region PREFIX] --to INST\n"
	       "       %s delete --node URL --key ADMIN.key --rule ID\n"
	       "       %s test   --node URL --category CAT [--region CODE] [--json]\n"
	       "\n"
	       "Add or replace routing rule ID (complaints of CAT, '*' for any, about\n"
	       "regions under PREFIX, none for anywhere, go to INST), delete it, or ask\n"
	       "any node which institution a complaint would go to, and by which rule.\n"
	       SIMPUL_PASS_HELP,
	       cmd, cmd, cmd);
}

static int route_run(const char *sub, const char *cmd, const struct aopts *o)
{
	if (strcmp(sub, "test") == 0) {
		if (o->category == NULL || !safe_part(o->category) ||
		    (o->region && !safe_part(o->region)))
			return simpul_usage(cmd, "--category CAT is required (and --region CODE)");
		char path[160];
		snprintf(path, sizeof(path), "/v1/route?category=%s&region=%s", o->category,
			 o->region ? o->region : "");
		json_t *j = get_json(cmd, o->node, path);
		if (j == NULL)
			return o->node ? SIMPUL_FAIL : SIMPUL_USAGE;
		if (o->json)
			print_json(j);
		else
			printf("institution %s (%s)\nrule %s\n",
			       json_string_value(json_object_get(j, "inst")),
			       json_string_value(json_object_get(j, "name")),
			       json_string_value(json_object_get(j, "rule")));
		json_decref(j);
		return SIMPUL_OK;
	}
	int del = strcmp(sub, "delete") == 0;
	if (!del && strcmp(sub, "set") != 0)
		return simpul_usage(cmd, "give a subcommand: set, delete, test");
	if (o->rule == NULL || (!del && (o->category == NULL || o->target == NULL)))
		return simpul_usage(cmd, del ? "--rule ID is required"
					     : "--rule, --category and --to are required");
	struct sp_dir_route r;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_dir_route_make(&r, o->rule, del ? "*" : o->category,
				   del || !o->region ? "" : o->region, del ? "" : o->target);
	if (rc == 0)
		rc = sp_dir_route_encode(&r, &b);
	return send_encoded(cmd, o, SP_EV_ROUTE, rc, &b,
			    "the rule is not valid (rule id: 1..48 of A-Z a-z 0-9 . _ - : *, not "
			    "'default:...'; category a-z 0-9 - or '*'; region a region code)");
}

int simpul_route_main(int argc, char **argv)
{
	return group_main(argc, argv, route_help, route_run);
}

/* ---- simpul policy -------------------------------------------------------------------- */

static void policy_help(const char *cmd)
{
	printf("usage: %s set --node URL --key ADMIN.key [--category CAT] --verify N\n"
	       "                  --answer N --window N --ceiling N\n"
	       "\n"
	       "Set the deadlines, in working days (1..365, each <= the ceiling), of\n"
	       "complaints of category CAT, or without --category the federation default.\n"
	       "Only the national coordinator's admins may. 'simpul route test' shows the\n"
	       "policy in force for a category.\n"
	       SIMPUL_PASS_HELP,
	       cmd);
}

static int policy_run(const char *sub, const char *cmd, const struct aopts *o)
{
	if (strcmp(sub, "set") != 0)
		return simpul_usage(cmd, "give a subcommand: set");
	if (!o->verify || !o->answer || !o->window || !o->ceiling)
		return simpul_usage(cmd, "--verify, --answer, --window and --ceiling are required");
	struct sp_dir_policy p = {.verify = (uint32_t)o->verify, .answer = (uint32_t)o->answer,
				  .window = (uint32_t)o->window, .ceiling = (uint32_t)o->ceiling};
	if (copy_field(p.category, sizeof(p.category), o->category ? o->category : ""))
		return simpul_usage(cmd, "--category is at most 32 bytes");
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_dir_policy_encode(&p, &b);
	return send_encoded(cmd, o, SP_EV_POLICY, rc, &b,
			    "the policy is not valid (each value 1..365 and at most the ceiling; "
			    "category a-z 0-9 -)");
}

int simpul_policy_main(int argc, char **argv)
{
	return group_main(argc, argv, policy_help, policy_run);
}

/* ---- simpul calendar ------------------------------------------------------------------ */

static void calendar_help(const char *cmd)
{
	printf("usage: %s publish YEAR FILE --node URL --key ADMIN.key\n"
	       "       %s show YEAR --node URL [--json]\n"
	       "\n"
	       "Publish YEAR's national holidays and cuti bersama (SKB 3 Menteri) as a\n"
	       "signed directory record: every node counts deadlines with it at once. Only\n"
	       "the national coordinator's admins may. FILE has one day per line,\n"
	       "'YYYY-MM-DD name' (ascending; '#' starts a comment). 'show' prints the\n"
	       "holidays a node counts in YEAR and whether YEAR's calendar is published\n"
	       "(without one only 1 Jan, 1 May, 1 Jun, 17 Aug and 25 Dec count).\n"
	       SIMPUL_PASS_HELP,
	       cmd, cmd);
}

struct cal_file {
	struct sp_cal_holiday days[SP_CAL_YEAR_MAX_DAYS];
	char names[SP_CAL_YEAR_MAX_DAYS][SP_CAL_NAME_MAX + 1];
	size_t n;
};

/* read_cal_line parses 'YYYY-MM-DD name' into f; -1 if malformed. */
static int read_cal_line(char *line, struct cal_file *f)
{
	unsigned y, m, d;
	int used = 0;
	if (sscanf(line, "%4u-%2u-%2u %n", &y, &m, &d, &used) != 3 || used < 11 ||
	    f->n >= SP_CAL_YEAR_MAX_DAYS)
		return -1;
	char *name = line + used;
	name[strcspn(name, "\r\n")] = '\0';
	if (copy_field(f->names[f->n], SP_CAL_NAME_MAX + 1, name) || name[0] == '\0')
		return -1;
	f->days[f->n] = (struct sp_cal_holiday){y * 10000 + m * 100 + d, f->names[f->n],
						strlen(f->names[f->n])};
	f->n++;
	return 0;
}

static int calendar_publish(const char *cmd, const struct aopts *o, uint32_t year)
{
	FILE *in = fopen(o->argv[1], "r");
	if (in == NULL)
		return simpul_fail(SP_ERR_IO, "%s", o->argv[1]);
	struct cal_file *f = calloc(1, sizeof(*f));
	char line[512];
	unsigned lineno = 0;
	int rc = f ? 0 : SP_ERR_NOMEM;
	while (rc == 0 && fgets(line, sizeof(line), in)) {
		lineno++;
		char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		int64_t day;
		if (read_cal_line(p, f) != 0 || sp_cal_ymd_to_day(f->days[f->n - 1].ymd, &day) ||
		    f->days[f->n - 1].ymd / 10000 != year ||
		    (f->n > 1 && f->days[f->n - 1].ymd <= f->days[f->n - 2].ymd)) {
			fprintf(stderr, "simpul: %s:%u: not a day of %u after the one before, as "
				"'YYYY-MM-DD name'\n", o->argv[1], lineno, year);
			rc = SP_ERR_DIR_RECORD;
		}
	}
	fclose(in);
	uint8_t *body = NULL;
	size_t len = 0;
	if (rc == 0)
		rc = sp_cal_year_encode(year, f->days, f->n, &body, &len);
	free(f);
	if (rc)
		return rc == SP_ERR_DIR_RECORD ? SIMPUL_FAIL : simpul_fail(rc, "the calendar");
	struct sp_buf b;
	sp_buf_init(&b);
	sp_buf_put(&b, body, len);
	free(body);
	return send_encoded(cmd, o, SP_EV_CALENDAR, 0, &b, "the calendar");
}

static int calendar_show(const char *cmd, const struct aopts *o, uint32_t year)
{
	char path[64];
	snprintf(path, sizeof(path), "/v1/calendar/%u", year);
	json_t *j = get_json(cmd, o->node, path), *it;
	if (j == NULL)
		return o->node ? SIMPUL_FAIL : SIMPUL_USAGE;
	if (o->json) {
		print_json(j);
		json_decref(j);
		return SIMPUL_OK;
	}
	int pub = json_is_true(json_object_get(j, "published"));
	printf("year %u: %s\n", year,
	       pub ? "published calendar" : "NOT PUBLISHED: only fixed-date holidays count");
	size_t i;
	json_array_foreach(json_object_get(j, "holidays"), i, it)
	{
		long long ymd = json_integer_value(json_object_get(it, "date"));
		printf("%04lld-%02lld-%02lld %s\n", ymd / 10000, ymd / 100 % 100, ymd % 100,
		       json_string_value(json_object_get(it, "name")));
	}
	if (!pub)
		json_array_foreach(json_object_get(j, "weekday_holidays"), i, it)
		{
			long long ymd = json_integer_value(it);
			printf("%04lld-%02lld-%02lld (fixed-date national holiday)\n", ymd / 10000,
			       ymd / 100 % 100, ymd % 100);
		}
	json_decref(j);
	return SIMPUL_OK;
}

static int calendar_run(const char *sub, const char *cmd, const struct aopts *o)
{
	int pub = strcmp(sub, "publish") == 0;
	if (!pub && strcmp(sub, "show") != 0)
		return simpul_usage(cmd, "give a subcommand: publish, show");
	uint64_t year;
	if (o->argc != (pub ? 2 : 1) || simpul_parse_u64(o->argv[0], &year) != 0 ||
	    year < SP_CAL_YEAR_FIRST || year > SP_CAL_YEAR_LAST)
		return simpul_usage(cmd, pub ? "give YEAR and FILE" : "give YEAR");
	return pub ? calendar_publish(cmd, o, (uint32_t)year) : calendar_show(cmd, o, (uint32_t)year);
}

int simpul_calendar_main(int argc, char **argv)
{
	return group_main(argc, argv, calendar_help, calendar_run);
}

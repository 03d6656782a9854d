/*
 * simpul_join.c - `simpul init --join URL`: set up a new institution's node
 * for a federation that is already running. The directory (the national
 * coordinator's log) is taken from any node over its public tlog-tiles
 * endpoints and checked entry by entry (signatures, chain, the first entry
 * the coordinator's own record, its key the one given with --root-key if
 * any); fresh signing and sealing keys are made; the config points at the
 * directory and dials the node it joined through. What the operator sends
 * to the coordinator (the public keys, and the exact `simpul institution
 * add` command for the coordinator's admin) is printed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "simpul.h"
#include "sp_dir.h"
#include "sp_dirlog.h"
#include "sp_entry.h"
#include "sp_err.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_note.h"
#include "sp_tile.h"

#define DIR_MAX_ENTRIES (1u << 20)

struct joined {
	char federation[SP_ORIGIN_NAME_MAX + 1];
	char coordinator[SP_INST_ID_MAX + 1];
	char via[SP_INST_ID_MAX + 1]; /* the node joined through */
	char via_peer[SP_DIR_ADDR_MAX + 1];
	uint8_t root[SP_KEY_BYTES];    /* the genesis root key */
	uint8_t current[SP_KEY_BYTES]; /* the coordinator's key now */
	size_t rotations;              /* of the coordinator's key, in the directory */
	struct sp_buf entries, checkpoint;
};

static int jcopy(char *dst, size_t cap, json_t *v)
{
	const char *s = json_string_value(v);
	return s && snprintf(dst, cap, "%s", s) < (int)cap ? 0 : -1;
}

/* who asks the node for the federation, the coordinator and its own peer. */
static int who(const char *url, struct joined *j)
{
	json_t *st = simpul_api_call(url, "GET", "/v1/status", NULL, 200);
	int rc = st && jcopy(j->federation, sizeof(j->federation), json_object_get(st, "federation")) == 0 &&
			 jcopy(j->coordinator, sizeof(j->coordinator),
			       json_object_get(st, "coordinator")) == 0 &&
			 jcopy(j->via, sizeof(j->via), json_object_get(st, "id")) == 0
		     ? 0
		     : SP_ERR_NOT_FOUND;
	json_decref(st);
	if (rc)
		return simpul_fail(rc, "%s: not a node with a directory (GET /v1/status)", url), rc;
	char path[96];
	snprintf(path, sizeof(path), "/v1/directory/institutions/%s", j->via);
	json_t *in = simpul_api_call(url, "GET", path, NULL, 200);
	json_t *p0 = json_array_get(json_object_get(in, "peers"), 0);
	if (p0 == NULL || jcopy(j->via_peer, sizeof(j->via_peer), p0) != 0)
		j->via_peer[0] = '\0';
	json_decref(in);
	return 0;
}

/* fetch takes the coordinator's checkpoint and every entry bundle. */
static int fetch(const char *url, struct joined *j)
{
	char path[128], tile[64];
	long status = 0;
	snprintf(path, sizeof(path), "/logs/%s/checkpoint", j->coordinator);
	int rc = simpul_http_get(url, path, &j->checkpoint, &status);
	if (rc == 0 && status != 200)
		rc = SP_ERR_NOT_FOUND;
	struct sp_note note;
	struct sp_checkpoint cp;
	if (rc == 0 && (sp_note_parse((const char *)j->checkpoint.p, j->checkpoint.len, &note) ||
			sp_checkpoint_parse(note.text, note.text_len, &cp) || cp.size == 0 ||
			cp.size > DIR_MAX_ENTRIES))
		rc = SP_ERR_CHECKPOINT;
	for (uint64_t b = 0; rc == 0 && b * 256 < cp.size; b++) {
		unsigned w = cp.size >= 256 * (b + 1) ? 256 : (unsigned)(cp.size - 256 * b);
		sp_tile_path(tile, sizeof(tile), -1, b, w);
		snprintf(path, sizeof(path), "/logs/%s/%s", j->coordinator, tile);
		rc = simpul_http_get(url, path, &j->entries, &status);
		if (rc == 0 && status != 200)
			rc = SP_ERR_NOT_FOUND;
	}
	if (rc)
		simpul_fail(rc, "fetching the directory log of %s from %s", j->coordinator, url);
	return rc;
}

/* first_author: the author of the first entry in the fetched frames. */
static int first_author(const struct sp_buf *b, uint8_t out[SP_KEY_BYTES])
{
	struct sp_entry e;
	size_t n = b->len >= 2 ? (size_t)b->p[0] << 8 | b->p[1] : 0;
	if (n == 0 || 2 + n > b->len || sp_entry_decode(b->p + 2, n, &e) != 0)
		return SP_ERR_CORRUPT;
	memcpy(out, e.author, SP_KEY_BYTES);
	return 0;
}

/* check verifies the directory as the coordinator's log from the root key
 * (root_vkey's when given, else entry 0's author, printed for the operator
 * to compare): every entry signed by the key in force, following the
 * coordinator's own key rotations (sp_dirchain), chained, starting with
 * the coordinator's record; and the checkpoint signed by its current key
 * over exactly those entries. j->keys gets the coordinator's current key. */
static int check(struct joined *j, const char *root_vkey)
{
	struct sp_note_key k;
	if (root_vkey && (sp_note_vkey_parse(root_vkey, &k) != 0 || k.type != SP_NOTE_TYPE_ED25519))
		return simpul_fail(SP_ERR_KEY_FORMAT, "--root-key is not an Ed25519 verifier key"),
		       SP_ERR_KEY_FORMAT;
	int rc = root_vkey ? (memcpy(j->root, k.pk, SP_KEY_BYTES), 0) : first_author(&j->entries, j->root);
	struct sp_dirchain ch;
	if (rc == 0)
		rc = sp_dirchain_init(&ch, j->root);
	else
		memset(&ch, 0, sizeof(ch));
	size_t pos = 0;
	while (rc == 0 && pos < j->entries.len) {
		size_t n = pos + 2 <= j->entries.len
				   ? (size_t)j->entries.p[pos] << 8 | j->entries.p[pos + 1]
				   : 0;
		if (n == 0 || pos + 2 + n > j->entries.len)
			rc = SP_ERR_CORRUPT;
		else
			rc = sp_dirchain_add(&ch, j->entries.p + pos + 2, n);
		pos += 2 + n;
	}
	if (rc == 0 && strcmp(ch.coordinator, j->coordinator) != 0)
		rc = SP_ERR_DIR_RECORD;
	char origin[SP_ORIGIN_NAME_MAX + SP_INST_ID_MAX + 2];
	snprintf(origin, sizeof(origin), "%s/%s", j->federation, j->coordinator);
	int cp = rc == 0 ? sp_dirchain_checkpoint(&ch, origin, (const char *)j->checkpoint.p,
						 j->checkpoint.len, NULL)
			 : 0;
	if (rc == 0 && cp == 0)
		memcpy(j->current, ch.keys.pk[ch.keys.n - 1], SP_KEY_BYTES);
	j->rotations = rc == 0 ? ch.keys.n - 1 : 0;
	uint64_t bad = ch.n;
	sp_dirchain_free(&ch);
	if (rc == SP_ERR_WRONG_AUTHOR && root_vkey && bad == 0)
		return simpul_fail(rc, "the directory is not signed by --root-key"), rc;
	if (rc)
		return simpul_fail(rc, "the directory's entry %llu%s", (unsigned long long)bad,
				   rc == SP_ERR_WRONG_AUTHOR
					   ? ": not signed by the coordinator's key in force "
					     "(from the root key, following its rotations)"
					   : ""),
		       rc;
	if (cp)
		simpul_fail(cp, "the directory's checkpoint is not signed by the coordinator's "
				"current key over the entries fetched");
	return cp;
}

static int write_config(const char *dir, const char *id, const struct joined *j,
			const char *http, const char *peer, const char *vkey)
{
	char path[PATH_MAX], text[4096];
	snprintf(path, sizeof(path), "%s/simpuld.ini", dir);
	int n = snprintf(text, sizeof(text),
			 "; simpuld.ini - written by 'simpul init --join'. Reference:\n"
			 "; docs/operations.md. Check changes with 'simpuld --check-config FILE'.\n\n"
			 "[node]\nid = %s\nfederation = %s\nkey = node.key\nseal_key = node.seal\n"
			 "data = data\nlog_level = info\n\n[http]\nlisten = %s\n\n"
			 "[peer]\nlisten = %s\npeers = %s\n\n"
			 "[federation]\nroot_key = %s\ndirectory = directory.entries\n"
			 "; Start before the coordinator publishes this institution: the\n"
			 "; node waits for its record and accepts nothing until it arrives.\n"
			 "; Remove once the node is active (its log says so).\n"
			 "await_record = 1\n",
			 id, j->federation, http, peer, j->via_peer, vkey);
	if (n < 0 || n >= (int)sizeof(text))
		return SP_ERR_RANGE;
	return sp_file_replace(path, text, (size_t)n); /* refused above if it exists */
}

/* save writes the directory, the keys and the config. */
static int save(const char *dir, const char *id, struct joined *j, const char *http,
		const char *peer, uint8_t sign_pk[32], uint8_t seal_pk[32], struct sp_buf *vkey)
{
	char path[PATH_MAX], why[SP_KEYFILE_WHY] = "";
	uint8_t seal_sk[32];
	int rc = sp_mkdirs(dir, 0700);
	snprintf(path, sizeof(path), "%s/data", dir);
	if (rc == 0)
		rc = sp_mkdirs(path, 0700);
	snprintf(path, sizeof(path), "%s/node.key", dir);
	if (rc == 0)
		rc = sp_keyfile_generate(path, sign_pk, NULL, why, sizeof(why));
	snprintf(path, sizeof(path), "%s/node.seal", dir);
	if (rc == 0) {
		crypto_box_keypair(seal_pk, seal_sk);
		rc = sp_sealfile_create(path, seal_sk, why, sizeof(why));
		sodium_memzero(seal_sk, sizeof(seal_sk));
	}
	snprintf(path, sizeof(path), "%s/directory.entries", dir);
	if (rc == 0)
		rc = sp_file_replace(path, j->entries.p, j->entries.len);
	snprintf(path, sizeof(path), "%s/directory.checkpoint", dir);
	if (rc == 0)
		rc = sp_file_replace(path, j->checkpoint.p, j->checkpoint.len);
	char origin[SP_ORIGIN_NAME_MAX + SP_INST_ID_MAX + 2];
	snprintf(origin, sizeof(origin), "%s/%s", j->federation, j->coordinator);
	struct sp_note_key k;
	if (rc == 0 && (rc = sp_note_key_init(&k, origin, SP_NOTE_TYPE_ED25519, j->root)) == 0)
		sp_note_vkey_format(&k, vkey);
	sp_buf_put(vkey, "", 1);
	if (rc == 0)
		rc = write_config(dir, id, j, http, peer, (const char *)vkey->p);
	if (rc)
		simpul_fail(rc, "setting up %s%s%s", dir, why[0] ? ": " : "", why);
	return rc;
}

int simpul_join(const char *dir, const char *id, const char *url, const char *http,
		const char *peer, const char *root)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/simpuld.ini", dir);
	struct stat st;
	if (stat(path, &st) == 0)
		return simpul_fail(SP_ERR_EXISTS, "%s", path);
	if (!sp_dir_id_valid(id))
		return simpul_usage("simpul init", "--id '%s' is not an institution id", id);
	struct joined j;
	memset(&j, 0, sizeof(j));
	sp_buf_init(&j.entries);
	sp_buf_init(&j.checkpoint);
	struct sp_buf vkey;
	sp_buf_init(&vkey);
	uint8_t sign_pk[32], seal_pk[32];
	int rc = who(url, &j);
	if (rc == 0)
		rc = fetch(url, &j);
	if (rc == 0)
		rc = check(&j, root);
	if (rc == 0)
		rc = save(dir, id, &j, http ? http : "127.0.0.1:8080",
			  peer ? peer : "tcp://127.0.0.1:7400", sign_pk, seal_pk, &vkey);
	if (rc == 0) {
		char sk[65], pk[65], rk[65];
		simpul_hex(sign_pk, 32, sk);
		simpul_hex(seal_pk, 32, pk);
		simpul_hex(j.root, 32, rk);
		if (j.rotations) {
			char ck[65];
			simpul_hex(j.current, 32, ck);
			printf("coordinator key now %s (%zu rotation%s since the root key, each "
			       "signed by the key before it)\n",
			       ck, j.rotations, j.rotations == 1 ? "" : "s");
		}
		printf("federation %s (coordinator %s, root key %s)\n"
		       "directory  %s/directory.entries (%zu bytes, checked)\n"
		       "config     %s/simpuld.ini\n"
		       "sign-key   %s\nseal-key   %s\n\n"
		       "Compare the root key with the one your federation publishes. Then send\n"
		       "the two keys above to the coordinator; its admin publishes the record:\n\n"
		       "  simpul institution add --node COORDINATOR_URL --key ADMIN.key --id %s \\\n"
		       "    --name NAME --tier TIER --parent PARENT --sign-key %s \\\n"
		       "    --seal-key %s --peer %s --http http://%s [--region CODE]...\n\n"
		       "and start the node (it replicates the directory and takes complaints\n"
		       "routed to it; no other node restarts):\n\n  simpuld --config %s\n",
		       j.federation, j.coordinator, rk, dir, j.entries.len, dir, sk, pk, id, sk, pk,
		       peer ? peer : "tcp://127.0.0.1:7400", http ? http : "127.0.0.1:8080", path);
	}
	sp_buf_free(&j.entries);
	sp_buf_free(&j.checkpoint);
	sp_buf_free(&vkey);
	return rc == 0 ? SIMPUL_OK : SIMPUL_FAIL;
}

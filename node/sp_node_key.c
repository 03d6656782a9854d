/*
 * sp_node_key.c - the node's signing key and its rotation (docs/operations.md,
 * runbook "Rotate a node's signing key"; docs/protocol.md §9).
 *
 * The operator makes a new key, sets it as [node] key with the one in use as
 * [node] key_previous, and reloads (SIGHUP) or restarts the node; the
 * coordinator publishes it (`simpul institution update --sign-key`). The
 * node keeps signing with the key in use until its directory holds the new
 * one: only then does the switch happen, at once, wherever the record
 * arrives (start, reload, or replication of the directory log). Every log's
 * key history in the store follows the directory here too, so replicas
 * accept a rotated log's new entries as soon as the record is applied.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sp_dirload.h"
#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_node_int.h"
#include "sp_peer.h"
#include "sp_witness.h"

/* vkey_set formats the verifier key of pk for the own origin into n->vkey. */
static void vkey_set(struct sp_node *n, const uint8_t pk[32])
{
	struct sp_note_key k;
	struct sp_buf b;
	sp_buf_init(&b);
	if (sp_note_key_init(&k, n->origin, SP_NOTE_TYPE_ED25519, pk) == 0) {
		sp_note_vkey_format(&k, &b);
		if (b.err == 0 && b.len < sizeof(n->vkey))
			snprintf(n->vkey, sizeof(n->vkey), "%.*s", (int)b.len, (const char *)b.p);
	}
	sp_buf_free(&b);
}

void sp_node_key_use(struct sp_node *n, const uint8_t sk[64], const uint8_t *prev_sk,
		     const uint8_t *next_sk)
{
	pthread_mutex_lock(&n->key_mu);
	memcpy(n->sign_sk, sk, 64);
	memcpy(n->own_pk, sk + 32, 32);
	n->has_prev = prev_sk != NULL;
	if (prev_sk)
		memcpy(n->prev_sk, prev_sk, 64);
	n->has_next = next_sk != NULL;
	if (next_sk)
		memcpy(n->next_sk, next_sk, 64);
	vkey_set(n, n->own_pk);
	pthread_mutex_unlock(&n->key_mu);
}

void sp_node_vkey(struct sp_node *n, char *out, size_t cap)
{
	pthread_mutex_lock(&n->key_mu);
	snprintf(out, cap, "%s", n->vkey);
	pthread_mutex_unlock(&n->key_mu);
}

void sp_node_own_pk(struct sp_node *n, uint8_t pk[32])
{
	pthread_mutex_lock(&n->key_mu);
	memcpy(pk, n->own_pk, 32);
	pthread_mutex_unlock(&n->key_mu);
}

int sp_node_key_ready(struct sp_node *n, const uint8_t pk[32])
{
	pthread_mutex_lock(&n->key_mu);
	int ready = memcmp(pk, n->own_pk, 32) == 0 ||
		    (n->has_next && memcmp(pk, n->next_sk + 32, 32) == 0);
	pthread_mutex_unlock(&n->key_mu);
	return ready;
}

/* inst_of: the institution of origin "<federation>/<inst>", or NULL. */
static const char *inst_of(const struct sp_node *n, const char *origin)
{
	size_t fl = strlen(n->conf.federation);
	if (strncmp(origin, n->conf.federation, fl) != 0 || origin[fl] != '/')
		return NULL;
	return origin + fl + 1;
}

int sp_node_keys_sync(struct sp_node *n)
{
	if (n->dl == NULL || n->dl->dir == NULL)
		return 0;
	uint32_t count = sp_store_log_count(n->store);
	for (uint32_t id = 0; id < count; id++) {
		struct sp_log_info info;
		struct sp_keyhist h;
		const char *inst;
		if (sp_store_log_info(n->store, id, &info) != 0 ||
		    (inst = inst_of(n, info.origin)) == NULL ||
		    sp_dir_keyhist(n->dl->dir, inst, &h) != 0 || h.n <= info.keys.n)
			continue;
		int rc = sp_store_log_keys(n->store, id, &h);
		sp_logx(n->log, rc ? SP_LOGX_ERROR : SP_LOGX_INFO, "store",
			"log key history origin=%s keys=%zu%s%s", info.origin, rc ? info.keys.n : h.n,
			rc ? " not extended: the directory's history differs err=" : "",
			rc ? sp_errname(rc) : "");
	}
	return 0;
}

/* published: the directory's latest key for this node is pk; *from gets
 * the time it was published. */
static int published(struct sp_node *n, const uint8_t pk[32], uint64_t *from)
{
	struct sp_keyhist h;
	if (n->dl == NULL || n->dl->dir == NULL ||
	    sp_dir_keyhist(n->dl->dir, n->conf.id, &h) != 0 ||
	    memcmp(h.pk[h.n - 1], pk, 32) != 0)
		return 0;
	*from = h.from_ms[h.n - 1];
	return 1;
}

int sp_node_rekey(struct sp_node *n)
{
	uint64_t from;
	pthread_mutex_lock(&n->key_mu);
	if (!n->has_next || !published(n, n->next_sk + 32, &from)) {
		pthread_mutex_unlock(&n->key_mu);
		return 0;
	}
	int rc = sp_store_own_rekey(n->store, n->next_sk);
	if (rc == 0) {
		sp_peer_rekey(n->peer, n->next_sk, from + SP_PEER_KEY_GRACE_MS);
		if (n->witness)
			rc = sp_witness_rekey(n->witness, n->next_sk);
		memcpy(n->prev_sk, n->sign_sk, 64);
		n->has_prev = 1;
		memcpy(n->sign_sk, n->next_sk, 64);
		memcpy(n->own_pk, n->next_sk + 32, 32);
		sodium_memzero(n->next_sk, sizeof(n->next_sk));
		n->has_next = 0;
		vkey_set(n, n->own_pk);
	}
	sp_logx(n->log, rc ? SP_LOGX_ERROR : SP_LOGX_INFO, "node",
		"signing key rotated: %s%s vkey=%s", rc ? "not switched err=" : "signing with the new key",
		rc ? sp_errname(rc) : "", n->vkey);
	pthread_mutex_unlock(&n->key_mu);
	return rc;
}

int sp_node_key_reload(struct sp_node *n, const struct sp_conf *c)
{
	uint8_t pk[32], sk[64];
	char why[SP_KEYFILE_WHY];
	int rc = sp_keyfile_load(c->key_path, pk, sk, why, sizeof(why));
	if (rc) {
		sp_logx(n->log, SP_LOGX_ERROR, "node", "[node] key = %s: not reloaded: %s",
			c->key_path, why);
		return rc;
	}
	uint64_t from;
	pthread_mutex_lock(&n->key_mu);
	int same = memcmp(pk, n->own_pk, 32) == 0;
	if (!same) {
		memcpy(n->next_sk, sk, 64);
		n->has_next = 1;
	}
	int now = !same && published(n, pk, &from);
	pthread_mutex_unlock(&n->key_mu);
	sodium_memzero(sk, sizeof(sk));
	if (!same && !now)
		sp_logx(n->log, SP_LOGX_WARN, "node",
			"[node] key = %s is not published yet: signing with the key in use until the "
			"directory holds the new one (simpul institution update --sign-key)",
			c->key_path);
	return now ? sp_node_rekey(n) : 0;
}

/*
 * sp_topo.c - the backup province of sp_topo.h: rendezvous weights, and
 * the rule applied to a directory.
 */
#include "sp_topo.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sp_buf.h"
#include "sp_err.h"

int sp_topo_needs_backup(enum sp_dir_tier tier, int parent_is_coordinator)
{
	return parent_is_coordinator && tier != SP_DIR_TIER_PROVINCE &&
	       tier != SP_DIR_TIER_COORDINATOR;
}

uint64_t sp_topo_weight(const char *inst, const char *prov)
{
	crypto_generichash_state st;
	uint8_t h[32];
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)SP_TOPO_DOMAIN, strlen(SP_TOPO_DOMAIN));
	crypto_generichash_update(&st, (const uint8_t *)inst, strlen(inst));
	crypto_generichash_update(&st, (const uint8_t *)"\n", 1);
	crypto_generichash_update(&st, (const uint8_t *)prov, strlen(prov));
	crypto_generichash_final(&st, h, sizeof(h));
	uint64_t w = 0;
	for (int i = 0; i < 8; i++)
		w = w << 8 | h[i];
	return w;
}

size_t sp_topo_pick(const char *inst, const char *const *prov, size_t n)
{
	size_t best = n;
	uint64_t best_w = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t w = sp_topo_weight(inst, prov[i]);
		if (best == n || w > best_w || (w == best_w && strcmp(prov[i], prov[best]) < 0)) {
			best = i;
			best_w = w;
		}
	}
	return best;
}

/* ---- the rule on a directory ------------------------------------------------------------ */

/* What the rule needs of the directory: the provinces in service and the
 * institutions that need a backup, read in one pass (sp_dir_each holds the
 * read lock; the hashing is done after it). */
struct topo_view {
	char coord[SP_INST_ID_MAX + 1];
	char (*prov)[SP_INST_ID_MAX + 1];
	size_t nprov, capprov;
	char (*need)[SP_INST_ID_MAX + 1];
	size_t nneed, capneed;
	int nomem;
};

static int push_id(char (**v)[SP_INST_ID_MAX + 1], size_t *n, size_t *cap, const char *id)
{
	if (sp_grow((void **)v, cap, *n, sizeof(**v)))
		return SP_ERR_NOMEM;
	memcpy((*v)[(*n)++], id, SP_INST_ID_MAX + 1);
	return 0;
}

static int view_add(void *arg, const struct sp_dir_inst *v)
{
	struct topo_view *t = arg;
	if (v->retired)
		return 0;
	if (v->tier == SP_DIR_TIER_PROVINCE)
		return push_id(&t->prov, &t->nprov, &t->capprov, v->id);
	if (sp_topo_needs_backup(v->tier, strcmp(v->parent, t->coord) == 0))
		return push_id(&t->need, &t->nneed, &t->capneed, v->id);
	return 0;
}

static void view_free(struct topo_view *t)
{
	free(t->prov);
	free(t->need);
}

/* view_read fills t; the caller frees it (view_free) whatever the result. */
static int view_read(const struct sp_dir *d, struct topo_view *t)
{
	memset(t, 0, sizeof(*t));
	if (sp_dir_coordinator(d, t->coord) != 0)
		return SP_ERR_NOT_FOUND;
	return sp_dir_each(d, view_add, t);
}

/* view_pick: the index of inst's backup among t's provinces (t->nprov: none). */
static size_t view_pick(const struct topo_view *t, const char *inst)
{
	const char **p = malloc((t->nprov + 1) * sizeof(*p));
	if (p == NULL)
		return SIZE_MAX;
	for (size_t i = 0; i < t->nprov; i++)
		p[i] = t->prov[i];
	size_t k = sp_topo_pick(inst, p, t->nprov);
	free(p);
	return k;
}

int sp_topo_backup(const struct sp_dir *d, const char *id, char out[SP_INST_ID_MAX + 1])
{
	struct sp_dir_inst me;
	char coord[SP_INST_ID_MAX + 1];
	int rc = sp_dir_institution(d, id, SP_DIR_TIME_MAX, &me);
	if (rc)
		return rc;
	if (sp_dir_coordinator(d, coord) != 0 ||
	    !sp_topo_needs_backup(me.tier, strcmp(me.parent, coord) == 0))
		return SP_ERR_NOT_FOUND;
	struct topo_view t;
	rc = view_read(d, &t);
	size_t k = rc ? t.nprov : view_pick(&t, id);
	if (rc == 0 && k == SIZE_MAX)
		rc = SP_ERR_NOMEM;
	else if (rc == 0 && k == t.nprov)
		rc = SP_ERR_NOT_FOUND;
	if (rc == 0)
		memcpy(out, t.prov[k], SP_INST_ID_MAX + 1);
	view_free(&t);
	return rc;
}

int sp_topo_backed(const struct sp_dir *d, const char *prov, char (**out)[SP_INST_ID_MAX + 1],
		   size_t *n)
{
	*out = NULL;
	*n = 0;
	struct topo_view t;
	int rc = view_read(d, &t);
	size_t cap = 0, me = t.nprov;
	for (size_t i = 0; rc == 0 && i < t.nprov; i++)
		if (strcmp(t.prov[i], prov) == 0)
			me = i;
	for (size_t i = 0; rc == 0 && me < t.nprov && i < t.nneed; i++) {
		size_t k = view_pick(&t, t.need[i]);
		if (k == SIZE_MAX)
			rc = SP_ERR_NOMEM;
		else if (k == me)
			rc = push_id(out, n, &cap, t.need[i]);
	}
	if (rc == SP_ERR_NOT_FOUND) /* no coordinator yet: nobody to back */
		rc = 0;
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	view_free(&t);
	return rc;
}

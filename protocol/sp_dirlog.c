/*
 * sp_dirlog.c - one entry of the directory log applied to a directory and
 * a calendar, and the coordinator's log checked from the genesis root key
 * across its rotations (see sp_dirlog.h).
 */
#include "sp_dirlog.h"

#include <string.h>

#include "sp_admin.h"
#include "sp_err.h"
#include "sp_event.h"

int sp_dirlog_apply(struct sp_dir *d, struct sp_cal *cal, const struct sp_entry *e,
		    struct sp_entry *rec)
{
	struct sp_admin_req r;
	*rec = *e;
	if (e->type == SP_EV_CALENDAR)
		return sp_cal_load_year(cal, e->body, e->body_len);
	int rc = sp_dir_apply(d, e);
	if (rc == 0 && e->type == SP_EV_ADMIN && sp_admin_inner(e, &r, rec) == 0 &&
	    rec->type == SP_EV_CALENDAR)
		rc = sp_cal_load_year(cal, rec->body, rec->body_len);
	return rc;
}

int sp_dirlog_root_keys(const struct sp_dir *d, const uint8_t root[SP_KEY_BYTES],
			struct sp_keyhist *out)
{
	char coord[SP_INST_ID_MAX + 1];
	if (sp_dir_coordinator(d, coord) != 0) {
		sp_keyhist_init(out, root);
		return 0;
	}
	int rc = sp_dir_keyhist(d, coord, out);
	if (rc == 0 && memcmp(out->pk[0], root, SP_KEY_BYTES) != 0)
		rc = SP_ERR_WRONG_AUTHOR;
	return rc;
}

int sp_dirlog_follow(const struct sp_dir *d, const uint8_t root[SP_KEY_BYTES],
		     struct sp_keyhist *keys)
{
	struct sp_keyhist h;
	int rc = sp_dirlog_root_keys(d, root, &h);
	if (rc == 0 && !sp_keyhist_extends(keys, &h))
		rc = SP_ERR_WRONG_AUTHOR;
	if (rc == 0)
		*keys = h;
	return rc;
}

int sp_dirchain_init(struct sp_dirchain *c, const uint8_t root[SP_KEY_BYTES])
{
	memset(c, 0, sizeof(*c));
	memcpy(c->root, root, SP_KEY_BYTES);
	sp_keyhist_init(&c->keys, root);
	sp_merkle_frontier_init(&c->tree);
	return sp_dir_new(root, &c->dir);
}

void sp_dirchain_free(struct sp_dirchain *c)
{
	sp_dir_free(c->dir);
	c->dir = NULL;
}

/* first_ok: entry 0 is the coordinator's own institution record. */
static int first_ok(const struct sp_entry *e, char coord[SP_INST_ID_MAX + 1])
{
	struct sp_dir_inst in;
	if (e->type != SP_EV_INSTITUTION || sp_dir_inst_decode(e->body, e->body_len, &in) != 0 ||
	    in.tier != SP_DIR_TIER_COORDINATOR)
		return SP_ERR_DIR_RECORD;
	memcpy(coord, in.id, SP_INST_ID_MAX + 1);
	return 0;
}

/* chain_add: sp_dirchain_add, the signature checked only when `verify`. */
static int chain_add(struct sp_dirchain *c, const uint8_t *buf, size_t len, int verify)
{
	struct sp_entry e;
	size_t pos = 0;
	char coord[SP_INST_ID_MAX + 1] = "";
	int rc = sp_entry_decode(buf, len, &e);
	if (rc == 0 && verify) {
		c->sigs++;
		rc = sp_entry_verify(buf, len, &e);
	}
	if (rc == 0)
		rc = sp_keyhist_entry(&c->keys, c->n ? c->key_pos : 0, e.author, e.time_ms, &pos);
	if (rc == 0) {
		struct sp_entry prev = c->last;
		memcpy(prev.author, e.author, SP_KEY_BYTES); /* the key rule is the one above */
		rc = sp_entry_check_link(c->n ? &prev : NULL, c->last_hash, &e);
	}
	if (rc == 0 && c->n == 0)
		rc = first_ok(&e, coord);
	if (rc)
		return rc;
	struct sp_keyhist keys = c->keys;
	rc = sp_dir_apply(c->dir, &e);
	if (rc == SP_ERR_NOMEM)
		return rc; /* anything else refused is skipped, as every node skips it */
	rc = sp_dirlog_follow(c->dir, c->root, &keys);
	if (rc)
		return rc;
	c->keys = keys;
	c->key_pos = pos;
	if (c->n == 0)
		memcpy(c->coordinator, coord, sizeof(coord));
	c->last = e;
	c->last.body = NULL;
	c->last.body_len = 0;
	sp_entry_hash(buf, len, c->last_hash);
	uint8_t leaf[SP_HASH_BYTES];
	sp_merkle_leaf_hash(buf, len, leaf);
	sp_merkle_frontier_append(&c->tree, leaf);
	c->n++;
	return 0;
}

int sp_dirchain_add(struct sp_dirchain *c, const uint8_t *buf, size_t len)
{
	return chain_add(c, buf, len, 1);
}

int sp_dirchain_add_known(struct sp_dirchain *c, const uint8_t *buf, size_t len)
{
	return chain_add(c, buf, len, 0);
}

int sp_dirchain_checkpoint(const struct sp_dirchain *c, const char *origin, const char *note,
			   size_t len, struct sp_checkpoint *cp)
{
	struct sp_checkpoint got;
	uint8_t root[SP_HASH_BYTES];
	int rc = sp_keyhist_checkpoint_open(&c->keys, c->key_pos, origin, note, len, &got, NULL);
	if (rc)
		return rc;
	sp_merkle_frontier_root(&c->tree, root);
	if (got.size != c->n || memcmp(got.root, root, SP_HASH_BYTES) != 0)
		return SP_ERR_INCONSISTENT;
	if (cp)
		*cp = got;
	return 0;
}

/*
 * sp_peer_offer.c - interest sets (docs/design.md §4): which of our logs a peer is
 * offered in its notes, and so which logs it replicates.
 *
 * A node replicates what its peers offer it (sp_peer.c takes every offered
 * log whose writer the directory vouches for), so the offering side
 * decides. Institution P is offered log L of institution X when
 *   - X is P, or an ancestor or a descendant of P in the tier tree: its own
 *     log, its parents up to the national coordinator (whose log is the
 *     directory), its subtree; the coordinator, the root, is thus offered
 *     every log, and a province every log of its kabupaten/kota;
 *   - P takes part in a report with entries in L (sp_reports_involved:
 *     the report was recorded by P, routed or forwarded to P, or P acted on
 *     it): "the logs of institutions it exchanged reports with". A complaint
 *     entered at a wrong door reaches its institution this way, through any
 *     node that holds both (the province or the national node);
 *   - P is the backup province (sp_topo.h) of an institution W and L is
 *     offered to W by the two rules above: a ministry's backup replicates
 *     what the ministry does, so while the national node is down the
 *     ministry's complaints, and those routed to it, pass through it;
 *   - P already holds L (its notes list it): what an observer or an older
 *     node chose to replicate stays up to date.
 * With no directory there is no tree: every log is offered.
 *
 * The answer for each of our logs is cached per connection and computed
 * again only when our log set, the peer's, or the involvement data change.
 */
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"
#include "sp_peer_int.h"
#include "sp_topo.h"

#define TREE_DEPTH_MAX 16 /* coordinator, ministry or province, kab/kota, units */

/* inst_of gives the institution of origin "<our federation>/<inst>" as a
 * string in buf; 0, or -1 for another federation or a bad name. */
static int inst_of(const struct sp_peer *p, const struct sp_gossip_note *n, char *buf,
		   size_t cap)
{
	size_t fl = strlen(p->conf->federation);
	if (n->origin_len <= fl + 1 || n->origin_len - fl - 1 >= cap ||
	    memcmp(n->origin, p->conf->federation, fl) != 0 || n->origin[fl] != '/')
		return -1;
	memcpy(buf, n->origin + fl + 1, n->origin_len - fl - 1);
	buf[n->origin_len - fl - 1] = '\0';
	return 0;
}

/* is_ancestor: anc is a parent of x, or a parent of a parent ... */
static int is_ancestor(const struct sp_dir *d, const char *anc, const char *x)
{
	char cur[SP_INST_ID_MAX + 1], parent[SP_INST_ID_MAX + 1];
	snprintf(cur, sizeof(cur), "%s", x);
	for (int depth = 0; depth < TREE_DEPTH_MAX; depth++) {
		if (sp_dir_parent(d, cur, parent) != 0)
			return 0;
		if (strcmp(parent, anc) == 0)
			return 1;
		memcpy(cur, parent, sizeof(cur));
	}
	return 0;
}

/* offered_to: log L of institution x is in the interest set of
 * institution `who` by the tier tree or a report `who` takes part in. */
static int offered_to(struct sp_peer *p, const char *x, uint32_t log, int have_log,
		      const char *who)
{
	if (strcmp(x, who) == 0 || is_ancestor(p->dir, x, who) || is_ancestor(p->dir, who, x))
		return 1;
	return have_log && p->involved && p->involved(p->involved_arg, who, log);
}

/* backs: the institutions c's peer backs, read once per session. */
static int backs(struct sp_peer_conn *c)
{
	if (!c->backs_read &&
	    sp_topo_backed(c->p->dir, c->their_inst, &c->backs, &c->nbacks) == SP_ERR_NOMEM)
		return -1;
	c->backs_read = 1;
	return 0;
}

/* offered: log n (ours, at position i of p->ours) is in c's interest set. */
static int offered(struct sp_peer_conn *c, const struct sp_gossip_note *n)
{
	struct sp_peer *p = c->p;
	char x[SP_INST_ID_MAX + 1];
	if (p->dir == NULL)
		return 1;
	if (inst_of(p, n, x, sizeof(x)) != 0)
		return 0;
	if (sp_peer_nset_find(&c->peer_notes, n->origin, n->origin_len) >= 0)
		return 1;
	uint32_t id = 0;
	char origin[SP_ORIGIN_MAX + 1];
	snprintf(origin, sizeof(origin), "%.*s", (int)n->origin_len, n->origin);
	int have = sp_store_log_find(p->store, origin, &id) == 0;
	if (offered_to(p, x, id, have, c->their_inst))
		return 1;
	for (size_t i = 0; i < c->nbacks; i++)
		if (offered_to(p, x, id, have, c->backs[i]))
			return 1;
	return 0;
}

/* refresh recomputes c's offer marks if anything they depend on changed. */
static int refresh(struct sp_peer_conn *c)
{
	struct sp_peer *p = c->p;
	uint64_t gen = p->involved_gen ? p->involved_gen(p->involved_arg) : 0;
	if (c->offer && c->offer_n == p->ours.n && c->offer_peer_n == c->peer_notes.n &&
	    c->offer_gen == gen)
		return 0;
	if (p->dir && backs(c) != 0)
		return -1;
	uint8_t *marks = realloc(c->offer, p->ours.n + 1);
	if (marks == NULL)
		return -1;
	c->offer = marks;
	for (size_t i = 0; i < p->ours.n; i++)
		marks[i] = (uint8_t)offered(c, &p->ours.v[i]);
	c->offer_n = p->ours.n;
	c->offer_peer_n = c->peer_notes.n;
	c->offer_gen = gen;
	return 0;
}

struct sp_gossip_note *sp_peer_offer_view(struct sp_peer_conn *c, size_t *n)
{
	struct sp_peer *p = c->p;
	struct sp_gossip_note *v = malloc((p->ours.n + 1) * sizeof(*v));
	*n = 0;
	if (v == NULL || refresh(c) != 0) {
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < p->ours.n; i++)
		if (c->offer[i])
			v[(*n)++] = p->ours.v[i];
	return v;
}

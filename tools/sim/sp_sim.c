/*
 * sp_sim.c - the replication model of sp_sim.h: federation.ini to nodes
 * and sessions, and the discrete-event run (a binary heap of message
 * arrivals and finished ingest jobs).
 */
#include "sp_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"
#include "sp_files.h"
#include "sp_topo.h"

/* ---- topology ----------------------------------------------------------------------- */

/* One [institution] section of federation.ini. */
struct inst {
	char id[SP_SIM_ID_MAX + 1], parent[SP_SIM_ID_MAX + 1];
	enum sp_sim_tier tier;
	int node; /* its index among the nodes, -1 */
};

static int tier_of(const char *v, enum sp_sim_tier *t)
{
	static const char *const names[] = {"national-coordinator", "ministry", "agency",
					    "province", "kabkota", "unit"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0) {
			*t = (enum sp_sim_tier)i;
			return 0;
		}
	return SP_ERR_CONFIG;
}

/* ini_parse reads the institutions and the coordinator's id. *out is the
 * caller's (free). */
static int ini_parse(const char *ini, struct inst **out, size_t *n, char *coord)
{
	struct inst *v = NULL;
	size_t cap = 0;
	int in_fed = 0, rc = 0;
	*n = 0;
	coord[0] = '\0';
	for (const char *l = ini; rc == 0 && l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char line[256], val[SP_SIM_ID_MAX + 1];
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
		if (line[0] == '[') {
			in_fed = strcmp(line, "[federation]") == 0;
			char id[SP_SIM_ID_MAX + 1];
			if (sscanf(line, "[institution %64[^]]]", id) != 1)
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				struct inst *nv = realloc(v, cap * sizeof(*v));
				if (nv == NULL) {
					rc = SP_ERR_NOMEM;
					break;
				}
				v = nv;
			}
			memset(&v[*n], 0, sizeof(v[*n]));
			snprintf(v[*n].id, sizeof(v[*n].id), "%s", id);
			v[*n].tier = SP_SIM_UNIT;
			v[*n].node = -1;
			(*n)++;
		} else if (in_fed && sscanf(line, "coordinator = %64s", val) == 1) {
			snprintf(coord, SP_SIM_ID_MAX + 1, "%s", val);
		} else if (*n && sscanf(line, "tier = %64s", val) == 1) {
			rc = tier_of(val, &v[*n - 1].tier);
		} else if (*n && sscanf(line, "parent = %64s", val) == 1) {
			snprintf(v[*n - 1].parent, sizeof(v[*n - 1].parent), "%s", val);
		}
	}
	*out = v;
	return rc ? rc : (*n && coord[0] ? 0 : SP_ERR_CONFIG);
}

static int inst_find(const struct inst *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* listed: id is in the comma-separated list (NULL: all are). */
static int listed(const char *nodes, const char *id)
{
	if (nodes == NULL)
		return 1;
	size_t k = strlen(id);
	for (const char *p = nodes; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (strncmp(p, id, k) == 0 && (p[k] == ',' || p[k] == '\0'))
			return 1;
	return 0;
}

/* up_node: the nearest ancestor of institution i that is a node, -1. */
static int up_node(const struct inst *v, size_t n, int i)
{
	for (int j = inst_find(v, n, v[i].parent), hops = 0; j >= 0 && hops < 16;
	     j = inst_find(v, n, v[j].parent), hops++)
		if (v[j].node >= 0)
			return v[j].node;
	return -1;
}

static int link(struct sp_sim *s, int a, int b, int eager)
{
	for (size_t i = 0; i < s->n[a].npeers; i++)
		if (s->n[a].peers[i] == b)
			return 0;
	int ends[2] = {a, b};
	for (int e = 0; e < 2; e++) {
		struct sp_sim_node *x = &s->n[ends[e]];
		int *np = realloc(x->peers, (x->npeers + 1) * sizeof(*np));
		if (np)
			x->peers = np;
		uint8_t *ne = np ? realloc(x->eager, x->npeers + 1) : NULL;
		if (ne == NULL)
			return SP_ERR_NOMEM;
		x->eager = ne;
		x->peers[x->npeers] = ends[1 - e];
		x->eager[x->npeers++] = (uint8_t)eager;
	}
	s->sessions++;
	s->eager_links += (size_t)eager;
	return 0;
}

/* backups: each ministry or agency dials its backup province (sp_topo.h:
 * chosen among every province of the federation, running or not) over a
 * lazy session ([peer] backup), and that province replicates what it
 * backs (simpuld offers it so whether or not the session is there). */
static int backups(struct sp_sim *s, const struct inst *v, size_t nv, const char *coord)
{
	const char **prov = malloc((nv + 1) * sizeof(*prov));
	int *pnode = malloc((nv + 1) * sizeof(*pnode));
	size_t np = 0;
	int rc = prov && pnode ? 0 : SP_ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < nv; i++)
		if (v[i].tier == SP_SIM_PROVINCE) {
			prov[np] = v[i].id;
			pnode[np++] = v[i].node;
		}
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		int a = v[i].node;
		if (a < 0 || !sp_topo_needs_backup((enum sp_dir_tier)v[i].tier,
						   strcmp(v[i].parent, coord) == 0))
			continue;
		size_t k = sp_topo_pick(v[i].id, prov, np);
		int b = k < np ? pnode[k] : -1;
		if (b < 0)
			continue;
		struct sp_sim_node *x = &s->n[b];
		int *nb = realloc(x->backs, (x->nbacks + 1) * sizeof(*nb));
		if (nb == NULL) {
			rc = SP_ERR_NOMEM;
			break;
		}
		x->backs = nb;
		x->backs[x->nbacks++] = a;
		s->n[a].backup = b;
		if (!s->c.no_backup)
			rc = link(s, a, b, 0);
	}
	free(prov);
	free(pnode);
	return rc;
}

/* wire: each node dials its nearest ancestor node and the coordinator
 * (`simpul federation up`), each province every other province
 * (simpuld's [peer] siblings), each ministry or agency its backup province;
 * a session is eager between directory parent and child, lazy otherwise. */
static int wire(struct sp_sim *s, const struct inst *v, size_t nv, const char *coord)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		int a = v[i].node;
		if (a < 0)
			continue;
		int up = up_node(v, nv, (int)i);
		int dparent = inst_find(v, nv, v[i].parent);
		s->n[a].parent = dparent >= 0 ? v[dparent].node : -1;
		if (up >= 0)
			rc = link(s, a, up, up == s->n[a].parent);
		if (rc == 0 && s->coord >= 0 && a != s->coord && up != s->coord)
			rc = link(s, a, s->coord, s->coord == s->n[a].parent);
	}
	for (size_t i = 0; rc == 0 && !s->c.no_siblings && i < s->nn; i++)
		for (size_t j = i + 1; rc == 0 && j < s->nn; j++)
			if (s->n[i].tier == SP_SIM_PROVINCE && s->n[j].tier == SP_SIM_PROVINCE)
				rc = link(s, (int)i, (int)j, 0);
	if (rc == 0)
		rc = backups(s, v, nv, coord);
	for (size_t i = 0; i < s->nn; i++) {
		struct sp_sim_node *x = &s->n[i];
		x->province = x->tier == SP_SIM_PROVINCE ? (int)i
			      : x->tier == SP_SIM_KABKOTA && x->parent >= 0 &&
					      s->n[x->parent].tier == SP_SIM_PROVINCE
				      ? x->parent
				      : -1;
	}
	return rc;
}

static int add_nodes(struct sp_sim *s, struct inst *v, size_t nv, const char *nodes,
		     const char *coord)
{
	s->n = calloc(nv, sizeof(*s->n));
	if (s->n == NULL)
		return SP_ERR_NOMEM;
	s->coord = -1;
	for (size_t i = 0; i < nv; i++) {
		if (!listed(nodes, v[i].id))
			continue;
		struct sp_sim_node *x = &s->n[s->nn];
		snprintf(x->id, sizeof(x->id), "%s", v[i].id);
		x->tier = v[i].tier;
		x->backup = -1;
		x->core_free = calloc(s->c.cores, sizeof(double));
		if (x->core_free == NULL)
			return SP_ERR_NOMEM;
		if (strcmp(v[i].id, coord) == 0)
			s->coord = (int)s->nn;
		v[i].node = (int)s->nn++;
	}
	return 0;
}

/* count_listed: how many ids `nodes` lists (0 for NULL). */
static size_t count_listed(const char *nodes)
{
	size_t k = nodes && *nodes ? 1 : 0;
	for (const char *p = nodes; p && *p; p++)
		k += *p == ',';
	return k;
}

int sp_sim_load(struct sp_sim *s, const char *ini, const char *nodes,
		const struct sp_sim_costs *c, uint64_t seed, char *why, size_t why_cap)
{
	memset(s, 0, sizeof(*s));
	s->c = *c;
	if (s->c.cores == 0)
		s->c.cores = 1;
	s->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	struct inst *v = NULL;
	size_t nv = 0;
	char coord[SP_SIM_ID_MAX + 1];
	int rc = ini_parse(ini, &v, &nv, coord);
	if (rc) {
		free(v);
		return sp_say(why, why_cap, rc, "federation.ini: no [federation] coordinator or "
					     "institutions, or an unknown tier");
	}
	rc = add_nodes(s, v, nv, nodes, coord);
	if (rc == 0 && nodes && s->nn != count_listed(nodes))
		rc = sp_say(why, why_cap, SP_ERR_CONFIG, "--nodes names %zu institutions, only %zu of "
				"them in the federation", count_listed(nodes), s->nn);
	if (rc == 0 && (s->shared_free = calloc(s->c.cores, sizeof(double))) == NULL)
		rc = SP_ERR_NOMEM;
	if (rc == 0)
		rc = wire(s, v, nv, coord);
	free(v);
	return rc;
}

void sp_sim_free(struct sp_sim *s)
{
	for (size_t i = 0; s->n && i < s->nn; i++) {
		free(s->n[i].peers);
		free(s->n[i].eager);
		free(s->n[i].backs);
		free(s->n[i].core_free);
	}
	free(s->n);
	free(s->shared_free);
	free(s->heap);
	memset(s, 0, sizeof(*s));
}

int sp_sim_find(const struct sp_sim *s, const char *id)
{
	for (size_t i = 0; i < s->nn; i++)
		if (strcmp(s->n[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* ---- random reports ----------------------------------------------------------------- */

static uint64_t rnd(struct sp_sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

/* draw: a random node up (other than not) that has tier `tier` (or any
 * tier for -1); -1 if none. */
static int draw(struct sp_sim *s, int tier, int not)
{
	size_t k = 0;
	for (size_t i = 0; i < s->nn; i++)
		k += !s->n[i].down && (int)i != not && (tier < 0 || (int)s->n[i].tier == tier);
	if (k == 0)
		return -1;
	size_t pick = (size_t)(rnd(s) % k);
	for (size_t i = 0; i < s->nn; i++)
		if (!s->n[i].down && (int)i != not && (tier < 0 || (int)s->n[i].tier == tier) &&
		    pick-- == 0)
			return (int)i;
	return -1;
}

int sp_sim_pick(struct sp_sim *s, double t, struct sp_sim_report *r)
{
	/* The target may be down (its complaints wait in the replicas); the door is up. */
	size_t k = 0;
	for (size_t i = 0; i < s->nn; i++)
		k += s->n[i].tier == SP_SIM_KABKOTA;
	if (k == 0)
		return SP_ERR_NOT_FOUND;
	size_t pick = (size_t)(rnd(s) % k);
	r->target = -1;
	for (size_t i = 0; i < s->nn && r->target < 0; i++)
		if (s->n[i].tier == SP_SIM_KABKOTA && pick-- == 0)
			r->target = (int)i;
	r->door = draw(s, -1, r->target);
	r->t = t;
	return r->door < 0 ? SP_ERR_NOT_FOUND : 0;
}

static int is_ancestor_or_self(const struct sp_sim *s, int a, int of)
{
	for (int j = of, hops = 0; j >= 0 && hops < 16; j = s->n[j].parent, hops++)
		if (j == a)
			return 1;
	return 0;
}

/* door_base: node i replicates the log of door by the tier tree (its
 * ancestors and subtree), or replicates every log. */
static int door_base(const struct sp_sim *s, int i, int door)
{
	return s->c.interest == SP_SIM_ALL || is_ancestor_or_self(s, i, door) ||
	       is_ancestor_or_self(s, door, i);
}

/* target_base: node i takes part in a report routed to target (it is the
 * target, or with sets-up one of its ancestors). */
static int target_base(const struct sp_sim *s, int i, int target)
{
	return i == target || (s->c.interest == SP_SIM_SETS_UP && is_ancestor_or_self(s, i, target));
}

/* A backup province replicates what the institutions it backs replicate. */
static int door_side(const struct sp_sim *s, int i, int door)
{
	if (door_base(s, i, door))
		return 1;
	for (size_t k = 0; k < s->n[i].nbacks; k++)
		if (door_base(s, s->n[i].backs[k], door))
			return 1;
	return 0;
}

static int target_side(const struct sp_sim *s, int i, int target)
{
	if (target_base(s, i, target))
		return 1;
	for (size_t k = 0; k < s->n[i].nbacks; k++)
		if (target_base(s, s->n[i].backs[k], target))
			return 1;
	return 0;
}

int sp_sim_interested(const struct sp_sim *s, const struct sp_sim_report *r, int i)
{
	return door_side(s, i, r->door) || target_side(s, i, r->target);
}

/* ---- the event run ------------------------------------------------------------------ */

enum ev_type { EV_ENTRIES, EV_NOTES, EV_WANT, EV_STORED };

struct sp_sim_ev {
	double t;
	uint64_t seq; /* ties: first scheduled, first served */
	int type, node, from;
	size_t rep;
};

static int ev_less(const struct sp_sim_ev *a, const struct sp_sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int heap_push(struct sp_sim *s, struct sp_sim_ev e)
{
	if (sp_grow((void **)&s->heap, &s->capheap, s->nheap, sizeof(*s->heap)))
		return SP_ERR_NOMEM;
	size_t i = s->nheap++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!ev_less(&e, &s->heap[p]))
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = e;
	return 0;
}

static struct sp_sim_ev heap_pop(struct sp_sim *s)
{
	struct sp_sim_ev top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && ev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* The state of one run: per report and node, where the entry is. */
enum { ST_NONE, ST_WANTED, ST_RECEIVED, ST_STORED };

struct run {
	struct sp_sim *s;
	struct sp_sim_report *r;
	uint8_t *st; /* [report * nn + node] */
	uint64_t seq;
};

/* job runs `ms` of CPU on node i from time t, first come first served on
 * its cores (or the shared machine's); returns when it ends. */
static double job(struct sp_sim *s, int i, double t, double ms)
{
	double *cores = s->c.shared ? s->shared_free : s->n[i].core_free;
	unsigned best = 0;
	for (unsigned k = 1; k < s->c.cores; k++)
		if (cores[k] < cores[best])
			best = k;
	double start = cores[best] > t ? cores[best] : t;
	cores[best] = start + ms;
	s->n[i].busy_ms += ms;
	return start + ms;
}

static int at(struct run *x, int type, int node, int from, size_t rep, double t)
{
	struct sp_sim_ev e = {t, x->seq++, type, node, from, rep};
	return heap_push(x->s, e);
}

/* send: node a sends a message of `type` to b at t (its CPU, then a hop). */
static int send(struct run *x, int type, int a, int b, size_t rep, double t)
{
	struct sp_sim *s = x->s;
	s->n[a].msgs++;
	return at(x, type, b, a, rep, job(s, a, t, s->c.msg_ms) + s->c.hop_ms);
}

/* stored: node i holds the entry at t (from `from`, -1 for its own append):
 * push to eager peers that lack it as far as notes told i, then a notes
 * delta to every peer that replicates the log. */
static int stored(struct run *x, int i, int from, size_t rep, double t)
{
	struct sp_sim *s = x->s;
	struct sp_sim_report *r = &x->r[rep];
	struct sp_sim_node *n = &s->n[i];
	x->st[rep * s->nn + (size_t)i] = ST_STORED;
	r->at[i] = t - r->t;
	int rc = 0;
	double told = t - s->c.hop_ms - s->c.msg_ms; /* notes sent before this reached i */
	for (size_t k = 0; rc == 0 && k < n->npeers; k++) {
		int p = n->peers[k];
		int knows = p == from || (r->at[p] >= 0 && r->at[p] + r->t <= told);
		if (n->eager[k] && !knows && sp_sim_interested(s, r, p))
			rc = send(x, EV_ENTRIES, i, p, rep, t);
	}
	for (size_t k = 0; rc == 0 && k < n->npeers; k++)
		if (sp_sim_interested(s, r, n->peers[k]))
			rc = send(x, EV_NOTES, i, n->peers[k], rep, t);
	return rc;
}

static int handle(struct run *x, const struct sp_sim_ev *e)
{
	struct sp_sim *s = x->s;
	struct sp_sim_node *n = &s->n[e->node];
	if (n->down)
		return 0;
	uint8_t *st = &x->st[e->rep * s->nn + (size_t)e->node];
	n->msgs += e->type != EV_STORED;
	switch (e->type) {
	case EV_ENTRIES:
		if (*st >= ST_RECEIVED) { /* a duplicate: read and dropped */
			job(s, e->node, e->t, s->c.msg_ms);
			return 0;
		}
		*st = ST_RECEIVED;
		n->entries++;
		return at(x, EV_STORED, e->node, e->from, e->rep,
			  job(s, e->node, e->t, s->c.msg_ms + s->c.verify_ms));
	case EV_NOTES: {
		double done = job(s, e->node, e->t, s->c.msg_ms);
		if (*st != ST_NONE || !sp_sim_interested(s, &x->r[e->rep], e->node))
			return 0;
		*st = ST_WANTED;
		return send(x, EV_WANT, e->node, e->from, e->rep, done);
	}
	case EV_WANT:
		return send(x, EV_ENTRIES, e->node, e->from, e->rep,
			    job(s, e->node, e->t, s->c.msg_ms));
	default:
		return stored(x, e->node, e->from, e->rep, e->t);
	}
}

int sp_sim_run(struct sp_sim *s, struct sp_sim_report *r, size_t n)
{
	struct run x = {s, r, calloc(n * s->nn + 1, 1), 0};
	if (x.st == NULL)
		return SP_ERR_NOMEM;
	int rc = 0;
	size_t next = 0;
	for (size_t i = 0; i < n; i++) {
		r[i].interested = 0;
		for (size_t j = 0; j < s->nn; j++) {
			r[i].at[j] = -1;
			r[i].interested += (size_t)sp_sim_interested(s, &r[i], (int)j);
		}
	}
	while (rc == 0 && (next < n || s->nheap)) {
		if (next < n && (s->nheap == 0 || r[next].t <= s->heap[0].t)) {
			rc = stored(&x, r[next].door, -1, next, r[next].t);
			next++;
			continue;
		}
		struct sp_sim_ev e = heap_pop(s);
		rc = handle(&x, &e);
	}
	free(x.st);
	return rc;
}

/* ---- every node down in turn ---------------------------------------------------------- */

/* The work of sp_sim_every_down. A complaint's entry is replicated by the
 * door side (sp_sim_interested's part that depends on the door only) and
 * the target side; with door D and node X down, the nodes the door side
 * reaches from D (r, a stamp per node) and their peers (near) are found
 * once; each target then adds its few target-side nodes, and the door-side
 * nodes r did not reach (rest), in a small closure. */
struct every {
	const struct sp_sim *s;
	uint8_t *adj;             /* nn x nn: a session joins i and j */
	int **tside;              /* per target: its target-side nodes, -1 ended */
	uint8_t *side;            /* door side of the current door */
	uint32_t *r, *near, stamp;
	int *queue, *rest, *u;
	uint8_t *got;
	size_t nrest;
	int **aff;                /* per node x: the targets whose target side holds x */
	size_t *naff;
	uint32_t *mark;           /* targets already counted for the node down (x + 1) */
};

/* target_list: the target-side nodes of target t, -1 ended (the caller's). */
static int *target_list(const struct sp_sim *s, int t)
{
	int *v = malloc((s->nn + 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; v && i < s->nn; i++)
		if (target_side(s, (int)i, t))
			v[n++] = (int)i;
	if (v)
		v[n] = -1;
	return v;
}

static void every_free(struct every *e)
{
	for (size_t i = 0; e->tside && i < e->s->nn; i++)
		free(e->tside[i]);
	free(e->tside);
	for (size_t i = 0; e->aff && i < e->s->nn; i++)
		free(e->aff[i]);
	free(e->aff);
	free(e->naff);
	free(e->mark);
	free(e->adj);
	free(e->side);
	free(e->r);
	free(e->near);
	free(e->queue);
	free(e->rest);
	free(e->u);
	free(e->got);
}

static int every_init(struct every *e, const struct sp_sim *s)
{
	size_t nn = s->nn;
	memset(e, 0, sizeof(*e));
	e->s = s;
	e->adj = calloc(nn * nn + 1, 1);
	e->tside = calloc(nn + 1, sizeof(*e->tside));
	e->side = calloc(nn + 1, 1);
	e->r = calloc(nn + 1, sizeof(*e->r));
	e->near = calloc(nn + 1, sizeof(*e->near));
	e->queue = malloc((nn + 1) * sizeof(int));
	e->rest = malloc((nn + 1) * sizeof(int));
	e->u = malloc((2 * nn + 1) * sizeof(int));
	e->got = malloc(2 * nn + 1);
	e->aff = calloc(nn + 1, sizeof(*e->aff));
	e->naff = calloc(nn + 1, sizeof(*e->naff));
	e->mark = calloc(nn + 1, sizeof(*e->mark));
	if (!e->adj || !e->tside || !e->side || !e->r || !e->near || !e->queue || !e->rest ||
	    !e->u || !e->got || !e->aff || !e->naff || !e->mark)
		return SP_ERR_NOMEM;
	for (size_t i = 0; i < nn; i++) {
		for (size_t k = 0; k < s->n[i].npeers; k++)
			e->adj[i * nn + (size_t)s->n[i].peers[k]] = 1;
		if ((e->tside[i] = target_list(s, (int)i)) == NULL)
			return SP_ERR_NOMEM;
	}
	for (size_t t = 0; t < nn; t++)
		for (const int *p = e->tside[t]; *p >= 0; p++) {
			int *v = realloc(e->aff[*p], (e->naff[*p] + 1) * sizeof(*v));
			if (v == NULL)
				return SP_ERR_NOMEM;
			e->aff[*p] = v;
			v[e->naff[*p]++] = (int)t;
		}
	return 0;
}

/* reach_door: with x down, the door-side nodes d reaches, and their peers. */
static void reach_door(struct every *e, int d, int x)
{
	const struct sp_sim *s = e->s;
	uint32_t st = ++e->stamp;
	size_t head = 0, tail = 0;
	e->queue[tail++] = d;
	e->r[d] = st;
	while (head < tail) {
		const struct sp_sim_node *n = &s->n[e->queue[head++]];
		for (size_t k = 0; k < n->npeers; k++) {
			int v = n->peers[k];
			e->near[v] = st;
			if (v != x && e->side[v] && e->r[v] != st) {
				e->r[v] = st;
				e->queue[tail++] = v;
			}
		}
	}
	e->nrest = 0;
	for (size_t i = 0; i < s->nn; i++)
		if (e->side[i] && e->r[i] != st && (int)i != x)
			e->rest[e->nrest++] = (int)i;
}

/* closure: which of the candidates u[0..n) (none down, none in r) are
 * reached from r through each other; got[] is filled. */
static void closure(struct every *e, size_t n)
{
	size_t nn = e->s->nn;
	for (size_t i = 0; i < n; i++)
		e->got[i] = e->near[e->u[i]] == e->stamp;
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; !e->got[i] && j < n; j++)
				if (e->got[j] && e->adj[(size_t)e->u[i] * nn + (size_t)e->u[j]])
					e->got[i] = changed = 1;
	}
}

/* arrives: 1 if the complaint from d reaches target t (x down), 2 if t is
 * x and a peer of it holds the entry, 0 if neither. */
static int arrives(struct every *e, int t, int x)
{
	size_t nn = e->s->nn, n = 0;
	if (t != x && e->r[t] == e->stamp)
		return 1;
	for (const int *p = e->tside[t]; *p >= 0; p++)
		if (*p != x && e->r[*p] != e->stamp && !e->side[*p])
			e->u[n++] = *p;
	for (size_t i = 0; i < e->nrest; i++)
		e->u[n++] = e->rest[i];
	closure(e, n);
	for (size_t i = 0; i < n; i++)
		if (e->got[i] && e->u[i] == t)
			return 1;
	if (t != x)
		return 0;
	if (e->near[t] == e->stamp)
		return 2;
	for (size_t i = 0; i < n; i++)
		if (e->got[i] && e->adj[(size_t)e->u[i] * nn + (size_t)t])
			return 2;
	return 0;
}

/* count adds one complaint's outcome a to out (lost: also reported). */
static void count(struct sp_sim_down *out, int a, int d, int t, int x, sp_sim_lost_fn lost,
		  void *arg)
{
	out->complaints++;
	out->delivered += a == 1;
	out->waiting += a == 2;
	out->lost += a == 0;
	if (a == 0 && lost)
		lost(arg, d, t, x);
}

/* down_outside: node x, not on the door side of d, is down. The door side
 * reaches what it reaches with nothing down (e's current stamp), so only
 * the targets whose target side holds x can change: the others keep base[]. */
static void down_outside(struct every *e, int d, int x, const int8_t *base, size_t nbase_ok,
			 struct sp_sim_down *out, sp_sim_lost_fn lost, void *arg)
{
	const struct sp_sim *s = e->s;
	size_t ok = nbase_ok;
	for (size_t k = 0; k < e->naff[x]; k++) {
		int t = e->aff[x][k];
		if (t == d)
			continue;
		e->mark[t] = (uint32_t)x + 1;
		ok -= base[t] == 1;
		count(&out[x], arrives(e, t, x), d, t, x, lost, arg);
	}
	out[x].complaints += ok;
	out[x].delivered += ok;
	for (size_t t = 0; t < s->nn; t++) /* lost with nothing down: lost now */
		if ((int)t != d && base[t] == 0 && e->mark[t] != (uint32_t)x + 1)
			count(&out[x], 0, d, (int)t, x, lost, arg);
}

int sp_sim_every_down(const struct sp_sim *s, struct sp_sim_down *out, sp_sim_lost_fn lost,
		      void *arg)
{
	struct every e;
	int rc = every_init(&e, s);
	int8_t *base = rc == 0 ? malloc(s->nn + 1) : NULL;
	if (rc == 0 && base == NULL)
		rc = SP_ERR_NOMEM;
	memset(out, 0, s->nn * sizeof(*out));
	for (size_t d = 0; rc == 0 && d < s->nn; d++) {
		for (size_t i = 0; i < s->nn; i++) {
			e.side[i] = (uint8_t)door_side(s, (int)i, (int)d);
			e.mark[i] = 0;
		}
		reach_door(&e, (int)d, -1);
		size_t nbase_ok = 0;
		for (size_t t = 0; t < s->nn; t++) {
			base[t] = (int8_t)(t == d ? -1 : arrives(&e, (int)t, -1));
			nbase_ok += base[t] == 1;
		}
		for (size_t x = 0; x < s->nn; x++)
			if (x != d && !e.side[x])
				down_outside(&e, (int)d, (int)x, base, nbase_ok, out, lost, arg);
		for (size_t x = 0; x < s->nn; x++) {
			if (x == d || !e.side[x])
				continue;
			reach_door(&e, (int)d, (int)x);
			for (size_t t = 0; t < s->nn; t++)
				if (t != d)
					count(&out[x], arrives(&e, (int)t, (int)x), (int)d, (int)t,
					      (int)x, lost, arg);
		}
	}
	free(base);
	every_free(&e);
	return rc;
}

/*
 * sp_reports.c - the report index (see sp_reports.h): an open-addressing
 * map from report id to its submission and trail locations, rebuilt from
 * the store's logs, and views computed with sp_report_compute. Trail
 * entries whose report is not held yet wait in a small orphan list.
 */
#include "sp_reports.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_err.h"
#include "sp_clock.h"

struct loc {
	uint32_t log;
	uint64_t index;
};

/* An institution's name, as in the logs' origins. */
struct inst {
	char id[SP_INST_ID_MAX + 1];
};

struct rep {
	uint8_t id[SP_HASH_BYTES];
	struct loc sub;
	struct inst *inv; /* institutions involved: recorded, routed, forwarded to, acted */
	size_t n_inv, cap_inv;
	struct loc *trail;
	size_t n_trail, cap_trail;
	int pending;     /* an append about it is in flight */
	int dirty;       /* summary needs recomputing */
	uint64_t gen;    /* bumped on every trail change */
	uint64_t valid_until;
	uint64_t indexed_ms; /* this node's clock when the submission was indexed */
	struct sp_reports_summary sum;
};

/* A trail entry naming a report not indexed yet. */
struct orphan {
	uint8_t id[SP_HASH_BYTES];
	struct loc at;
};

/* "inst takes part in a report with an entry in log": what replication
 * offers beyond the tier tree (sp_reports_involved). */
struct pair {
	uint32_t log;
	struct inst who;
};

struct sp_reports {
	struct sp_reports_opts o;
	pthread_rwlock_t lk;
	struct pair *pairs; /* sorted by (log, who) */
	size_t n_pairs, cap_pairs;
	uint64_t pairs_gen; /* bumped on every new pair */
	struct rep **reps; /* in index order; seq = position + 1 */
	size_t n, cap;
	uint32_t *slots;   /* open addressing: position + 1, 0 empty */
	size_t nslots;     /* power of two */
	struct orphan *orph; /* unordered; at most SP_REPORTS_MAX_ORPHANS */
	size_t n_orph;
};

/* ---- the map ---------------------------------------------------------------- */

static size_t slot_of(const struct sp_reports *r, const uint8_t id[SP_HASH_BYTES])
{
	uint64_t h;
	memcpy(&h, id, sizeof(h)); /* ids are SHA-256: already uniform */
	return (size_t)h & (r->nslots - 1);
}

static struct rep *find(const struct sp_reports *r, const uint8_t id[SP_HASH_BYTES])
{
	if (r->nslots == 0)
		return NULL;
	for (size_t i = slot_of(r, id);; i = (i + 1) & (r->nslots - 1)) {
		uint32_t v = r->slots[i];
		if (v == 0)
			return NULL;
		if (memcmp(r->reps[v - 1]->id, id, SP_HASH_BYTES) == 0)
			return r->reps[v - 1];
	}
}

static void slot_put(struct sp_reports *r, size_t pos)
{
	size_t i = slot_of(r, r->reps[pos]->id);
	while (r->slots[i])
		i = (i + 1) & (r->nslots - 1);
	r->slots[i] = (uint32_t)(pos + 1);
}

static int grow(struct sp_reports *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		struct rep **nr = realloc(r->reps, cap * sizeof(*nr));
		if (nr == NULL)
			return SP_ERR_NOMEM;
		r->reps = nr;
		r->cap = cap;
	}
	if ((r->n + 1) * 2 <= r->nslots)
		return 0;
	size_t nslots = r->nslots ? 2 * r->nslots : 512;
	uint32_t *ns = calloc(nslots, sizeof(*ns));
	if (ns == NULL)
		return SP_ERR_NOMEM;
	free(r->slots);
	r->slots = ns;
	r->nslots = nslots;
	for (size_t i = 0; i < r->n; i++)
		slot_put(r, i);
	return 0;
}

/* The institutions an entry sends its report to (routing, disposisi). */
struct targets {
	size_t n;
	struct sp_str v[SP_REPORT_MAX_TARGETS];
};

static void targets_of(const struct sp_entry *e, struct targets *t)
{
	t->n = 0;
	if (e->type == SP_EV_REPORT) {
		struct sp_report b;
		if (sp_report_parse(e->body, e->body_len, &b) == 0)
			t->v[t->n++] = b.routed_to;
	} else if (e->type == SP_EV_ACTION) {
		struct sp_report_action a;
		if (sp_report_action_parse(e->body, e->body_len, &a) == 0) {
			t->n = a.n_targets;
			memcpy(t->v, a.targets, a.n_targets * sizeof(a.targets[0]));
		}
	}
}

static int insert_trail(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], struct loc at,
			int own, const struct targets *t);

/* orphan_put keeps a trail entry whose report is unknown (write lock);
 * once full, later ones are dropped (the next rebuild files them). */
static int orphan_put(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], struct loc at)
{
	for (size_t i = 0; i < r->n_orph; i++)
		if (r->orph[i].at.log == at.log && r->orph[i].at.index == at.index)
			return 0;
	if (r->n_orph == SP_REPORTS_MAX_ORPHANS)
		return 0;
	if (r->orph == NULL && (r->orph = malloc(SP_REPORTS_MAX_ORPHANS * sizeof(*r->orph))) == NULL)
		return SP_ERR_NOMEM;
	memcpy(r->orph[r->n_orph].id, id, SP_HASH_BYTES);
	r->orph[r->n_orph++].at = at;
	return 0;
}

/* adopt files a waiting trail entry, read back from the store for the
 * institutions it sends the report to (it was stored before it waited). */
static int adopt(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], struct loc at)
{
	struct sp_buf b;
	struct sp_entry e;
	struct targets t = {0};
	sp_buf_init(&b);
	if (sp_store_entry(r->o.store, at.log, at.index, &b) == 0 && b.err == 0 &&
	    sp_entry_decode(b.p, b.len, &e) == 0)
		targets_of(&e, &t);
	int rc = insert_trail(r, id, at, 0, &t);
	sp_buf_free(&b);
	return rc;
}

/* orphans_adopt files the waiting trail entries of report id (write lock). */
static int orphans_adopt(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES])
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < r->n_orph;) {
		if (memcmp(r->orph[i].id, id, SP_HASH_BYTES) != 0) {
			i++;
			continue;
		}
		struct loc at = r->orph[i].at;
		r->orph[i] = r->orph[--r->n_orph];
		rc = adopt(r, id, at);
	}
	return rc;
}

/* ---- involvement: which institutions must see which logs ---------------------- */

static int pair_cmp(uint32_t log, const char *who, const struct pair *b)
{
	if (log != b->log)
		return log < b->log ? -1 : 1;
	return strcmp(who, b->who.id);
}

/* pair_pos: where (log, who) is or would go in the sorted pairs. */
static size_t pair_pos(const struct sp_reports *r, uint32_t log, const char *who, int *found)
{
	size_t lo = 0, hi = r->n_pairs;
	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = pair_cmp(log, who, &r->pairs[mid]);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int pair_add(struct sp_reports *r, uint32_t log, const char *who)
{
	int found;
	size_t at = pair_pos(r, log, who, &found);
	if (found)
		return 0;
	if (sp_grow((void **)&r->pairs, &r->cap_pairs, r->n_pairs, sizeof(*r->pairs)))
		return SP_ERR_NOMEM;
	memmove(&r->pairs[at + 1], &r->pairs[at], (r->n_pairs - at) * sizeof(*r->pairs));
	r->pairs[at].log = log;
	snprintf(r->pairs[at].who.id, sizeof(r->pairs[at].who.id), "%s", who);
	r->n_pairs++;
	r->pairs_gen++;
	return 0;
}

/* log_inst names the institution whose log `log` is ("" if unknown). */
static void log_inst(const struct sp_reports *r, uint32_t log, struct inst *out)
{
	struct sp_log_info info;
	const char *slash = NULL;
	if (sp_store_log_info(r->o.store, log, &info) == 0)
		slash = strrchr(info.origin, '/');
	snprintf(out->id, sizeof(out->id), "%s", slash ? slash + 1 : "");
}

/* rep_has_log: an entry of log `log` is already the report's. */
static int rep_has_log(const struct rep *p, uint32_t log)
{
	if (p->sub.log == log)
		return 1;
	for (size_t i = 0; i < p->n_trail; i++)
		if (p->trail[i].log == log)
			return 1;
	return 0;
}

/* involve makes `who` (a name of at most SP_INST_ID_MAX bytes) one of the
 * report's institutions: it must see every log the report's entries are
 * in. */
static int involve(struct sp_reports *r, struct rep *p, const char *who, size_t len)
{
	if (len == 0 || len > SP_INST_ID_MAX)
		return 0;
	struct inst w;
	memcpy(w.id, who, len);
	w.id[len] = '\0';
	for (size_t i = 0; i < p->n_inv; i++)
		if (strcmp(p->inv[i].id, w.id) == 0)
			return 0;
	if (sp_grow((void **)&p->inv, &p->cap_inv, p->n_inv, sizeof(*p->inv)))
		return SP_ERR_NOMEM;
	p->inv[p->n_inv++] = w;
	int rc = pair_add(r, p->sub.log, w.id);
	for (size_t i = 0; rc == 0 && i < p->n_trail; i++)
		rc = pair_add(r, p->trail[i].log, w.id);
	return rc;
}

/* involve_log: an entry of the report is now in log `log` (before it joins
 * the trail): every involved institution must see that log, and the log's
 * institution is involved. */
static int involve_log(struct sp_reports *r, struct rep *p, uint32_t log)
{
	int rc = 0;
	if (!rep_has_log(p, log))
		for (size_t i = 0; rc == 0 && i < p->n_inv; i++)
			rc = pair_add(r, log, p->inv[i].id);
	struct inst w;
	log_inst(r, log, &w);
	return rc ? rc : involve(r, p, w.id, strlen(w.id));
}

struct up_arg {
	struct sp_reports *r;
	struct rep *p;
};

static int involve_up(void *arg, const struct sp_dir_inst *inst)
{
	struct up_arg *a = arg;
	return involve(a->r, a->p, inst->id, strlen(inst->id));
}

/* involve_targets: the institutions a report is routed or forwarded to
 * take part in it, and so do their ancestors, which may take it over and
 * list it when it is overdue (docs/design.md §3): a complaint for a kabupaten
 * entered at a ministry's node reaches its province too (test_outage). */
static int involve_targets(struct sp_reports *r, struct rep *p, const struct targets *t)
{
	int rc = 0;
	struct up_arg a = {r, p};
	for (size_t i = 0; rc == 0 && t && i < t->n; i++) {
		char id[SP_INST_ID_MAX + 1];
		rc = involve(r, p, t->v[i].p, t->v[i].n);
		if (rc == 0 && r->o.dir && t->v[i].n <= SP_INST_ID_MAX) {
			snprintf(id, sizeof(id), "%.*s", (int)t->v[i].n, t->v[i].p);
			if (sp_dir_ancestors(r->o.dir, id, involve_up, &a) == SP_ERR_NOMEM)
				rc = SP_ERR_NOMEM;
		}
	}
	return rc;
}

/* insert_report adds a submission (under the write lock) and notes when;
 * a second copy of one id is ignored. */
static int insert_report(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], struct loc at,
			 const struct targets *t)
{
	if (find(r, id))
		return 0;
	struct rep *p = calloc(1, sizeof(*p));
	if (p == NULL || grow(r) != 0) {
		free(p);
		return SP_ERR_NOMEM;
	}
	memcpy(p->id, id, SP_HASH_BYTES);
	p->sub = at;
	p->indexed_ms = sp_now_ms();
	p->dirty = 1;
	p->sum.seq = r->n + 1;
	r->reps[r->n] = p;
	slot_put(r, r->n++);
	int rc = involve_log(r, p, at.log);
	if (rc == 0)
		rc = involve_targets(r, p, t);
	return rc ? rc : r->n_orph ? orphans_adopt(r, id) : 0;
}

/* insert_trail adds (log, index) to a report's trail once (write lock);
 * own: an own append, which clears the report's pending mark; t: the
 * institutions the entry sends the report to (NULL: read it back). */
static int insert_trail(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], struct loc at,
			int own, const struct targets *t)
{
	struct rep *p = find(r, id);
	if (p == NULL)
		return orphan_put(r, id, at); /* its submission has not arrived */
	for (size_t i = 0; i < p->n_trail; i++)
		if (p->trail[i].log == at.log && p->trail[i].index == at.index)
			return 0;
	if (p->n_trail == SP_REPORTS_MAX_TRAIL)
		return 0;
	if (sp_grow((void **)&p->trail, &p->cap_trail, p->n_trail, sizeof(*p->trail)))
		return SP_ERR_NOMEM;
	int rc = involve_log(r, p, at.log);
	p->trail[p->n_trail++] = at;
	if (own)
		p->pending = 0;
	p->dirty = 1;
	p->gen++;
	return rc ? rc : involve_targets(r, p, t);
}

static void clear(struct sp_reports *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->reps[i]->trail);
		free(r->reps[i]->inv);
		free(r->reps[i]);
	}
	free(r->pairs);
	r->pairs = NULL;
	r->n_pairs = r->cap_pairs = 0;
	r->pairs_gen++;
	free(r->reps);
	free(r->slots);
	free(r->orph);
	r->reps = NULL;
	r->slots = NULL;
	r->orph = NULL;
	r->n = r->cap = r->nslots = r->n_orph = 0;
}

int sp_reports_new(const struct sp_reports_opts *o, struct sp_reports **out)
{
	if (o == NULL || o->store == NULL)
		return SP_ERR_ARG;
	struct sp_reports *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return SP_ERR_NOMEM;
	r->o = *o;
	pthread_rwlock_init(&r->lk, NULL);
	*out = r;
	return 0;
}

void sp_reports_free(struct sp_reports *r)
{
	if (r == NULL)
		return;
	clear(r);
	pthread_rwlock_destroy(&r->lk);
	free(r);
}

/* ---- indexing entries ---------------------------------------------------------- */

/* report_of gives the report id an action or escalation names. */
static int report_of(const struct sp_entry *e, uint8_t id[SP_HASH_BYTES])
{
	if (e->type == SP_EV_ACTION) {
		struct sp_report_action a;
		int rc = sp_report_action_parse(e->body, e->body_len, &a);
		if (rc == 0)
			memcpy(id, a.report, SP_HASH_BYTES);
		return rc;
	}
	struct sp_report_escalation x;
	int rc = sp_report_esc_parse(e->body, e->body_len, &x);
	if (rc == 0)
		memcpy(id, x.report, SP_HASH_BYTES);
	return rc;
}

/* index_decoded files entry e (decoded) whose hash is `hash`; pass 1
 * takes submissions, pass 2 the rest (pass 0: both, for live entries);
 * own as insert_trail. Caller holds the write lock. */
static int index_decoded(struct sp_reports *r, int pass, int own, struct loc at,
			 const struct sp_entry *e, const uint8_t hash[SP_HASH_BYTES])
{
	uint8_t id[SP_HASH_BYTES];
	struct targets t;
	if (e->type == SP_EV_REPORT && pass != 2) {
		targets_of(e, &t);
		return insert_report(r, hash, at, &t);
	}
	if ((e->type == SP_EV_ACTION || e->type == SP_EV_ESCALATION) && pass != 1 &&
	    report_of(e, id) == 0) {
		targets_of(e, &t);
		return insert_trail(r, id, at, own, &t);
	}
	return 0;
}

/* index_entry is index_decoded for entry bytes buf[0..len) (only a
 * submission's hash is used: the others are not hashed). */
static int index_entry(struct sp_reports *r, int pass, int own, struct loc at,
		       const uint8_t *buf, size_t len)
{
	struct sp_entry e;
	uint8_t hash[SP_HASH_BYTES] = {0};
	if (sp_entry_decode(buf, len, &e) != 0)
		return 0;
	if (e.type == SP_EV_REPORT)
		sp_entry_hash(buf, len, hash);
	return index_decoded(r, pass, own, at, &e, hash);
}

struct scan_ctx {
	struct sp_reports *r;
	uint32_t log;
	int pass;
};

static int scan_one(void *arg, uint64_t index, const uint8_t *buf, size_t len)
{
	struct scan_ctx *c = arg;
	return index_entry(c->r, c->pass, 0, (struct loc){c->log, index}, buf, len);
}

int sp_reports_rebuild(struct sp_reports *r)
{
	int rc = 0;
	pthread_rwlock_wrlock(&r->lk);
	clear(r);
	uint32_t count = sp_store_log_count(r->o.store);
	for (int pass = 1; pass <= 2; pass++) {
		for (uint32_t id = 0; rc == 0 && id < count; id++) {
			struct sp_log_info info;
			struct scan_ctx c = {r, id, pass};
			rc = sp_store_log_info(r->o.store, id, &info);
			if (rc == 0)
				rc = sp_store_scan(r->o.store, id, 0, info.size, scan_one, &c);
		}
	}
	pthread_rwlock_unlock(&r->lk);
	return rc;
}

int sp_reports_add(struct sp_reports *r, uint32_t log, uint64_t index)
{
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_entry(r->o.store, log, index, &b);
	if (rc == 0 && b.err)
		rc = SP_ERR_NOMEM;
	if (rc == 0) {
		pthread_rwlock_wrlock(&r->lk);
		rc = index_entry(r, 0, 1, (struct loc){log, index}, b.p, b.len);
		pthread_rwlock_unlock(&r->lk);
	}
	sp_buf_free(&b);
	return rc;
}

int sp_reports_add_entries(struct sp_reports *r, const struct sp_store_run *run)
{
	int rc = 0;
	pthread_rwlock_wrlock(&r->lk);
	for (size_t i = 0; rc == 0 && i < run->n; i++) {
		struct loc at = {run->log, run->first + i};
		rc = run->ents ? index_decoded(r, 0, 0, at, &run->ents[i], run->hashes[i])
			       : index_entry(r, 0, 0, at, run->entries[i], run->lens[i]);
	}
	pthread_rwlock_unlock(&r->lk);
	return rc;
}

size_t sp_reports_count(struct sp_reports *r)
{
	pthread_rwlock_rdlock(&r->lk);
	size_t n = r->n;
	pthread_rwlock_unlock(&r->lk);
	return n;
}

int sp_reports_involved(struct sp_reports *r, const char *inst, uint32_t log)
{
	int found;
	pthread_rwlock_rdlock(&r->lk);
	pair_pos(r, log, inst, &found);
	pthread_rwlock_unlock(&r->lk);
	return found;
}

uint64_t sp_reports_involved_gen(struct sp_reports *r)
{
	pthread_rwlock_rdlock(&r->lk);
	uint64_t gen = r->pairs_gen;
	pthread_rwlock_unlock(&r->lk);
	return gen;
}

int sp_reports_locate(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint32_t *log,
		      uint64_t *index)
{
	pthread_rwlock_rdlock(&r->lk);
	struct rep *p = find(r, id);
	if (p) {
		*log = p->sub.log;
		*index = p->sub.index;
	}
	pthread_rwlock_unlock(&r->lk);
	return p ? 0 : SP_ERR_UNKNOWN_REPORT;
}

int sp_reports_pending(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES])
{
	pthread_rwlock_wrlock(&r->lk);
	struct rep *p = find(r, id);
	int rc = p == NULL ? SP_ERR_UNKNOWN_REPORT : p->pending ? SP_ERR_BUSY : 0;
	if (rc == 0)
		p->pending = 1;
	pthread_rwlock_unlock(&r->lk);
	return rc;
}

void sp_reports_unpend(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES])
{
	pthread_rwlock_wrlock(&r->lk);
	struct rep *p = find(r, id);
	if (p)
		p->pending = 0;
	pthread_rwlock_unlock(&r->lk);
}

/* ---- the compute context ------------------------------------------------------------ */

/* The compute context's callbacks: arg is the index, whose directory
 * answers for officers and institutions. */
static int ctx_officer(void *arg, const uint8_t key[SP_KEY_BYTES], uint64_t t,
		       char inst[SP_INST_ID_MAX + 1])
{
	struct sp_dir_officer o;
	const struct sp_dir *d = ((struct sp_reports *)arg)->o.dir;
	int rc = d ? sp_dir_officer(d, key, t, &o) : SP_ERR_UNKNOWN_OFFICER;
	if (rc == 0)
		memcpy(inst, o.inst, sizeof(o.inst));
	return rc;
}

static int ctx_parent(void *arg, const char *inst, char parent[SP_INST_ID_MAX + 1])
{
	const struct sp_dir *d = ((struct sp_reports *)arg)->o.dir;
	int rc = d ? sp_dir_parent(d, inst, parent) : SP_ERR_UNKNOWN_INSTITUTION;
	if (rc == SP_ERR_NOT_FOUND) {
		parent[0] = '\0';
		rc = 0;
	}
	return rc;
}

static int ctx_coord(void *arg, const char *inst)
{
	const struct sp_dir *d = ((struct sp_reports *)arg)->o.dir;
	return d ? sp_dir_is_coordinator(d, inst) : 0;
}

static int ctx_inst_known(void *arg, const char *inst, uint64_t t)
{
	const struct sp_dir *d = ((struct sp_reports *)arg)->o.dir;
	struct sp_dir_inst rec;
	return d && sp_dir_institution(d, inst, t, &rec) == 0;
}

static int ctx_report_known(void *arg, const uint8_t id[SP_HASH_BYTES])
{
	uint32_t log;
	uint64_t index;
	return sp_reports_locate(arg, id, &log, &index) == 0;
}

void sp_reports_ctx(struct sp_reports *r, const char *category, struct sp_report_ctx *ctx)
{
	*ctx = (struct sp_report_ctx){
		.arg = r,
		.officer_institution = ctx_officer,
		.parent_of = ctx_parent,
		.is_coordinator = ctx_coord,
		.institution_known = ctx_inst_known,
		.report_known = ctx_report_known,
		.policy = r->o.policy,
		.cal = r->o.cal,
	};
	struct sp_dir_policy p;
	if (r->o.dir && category && sp_dir_policy_for(r->o.dir, category, &p) == 0)
		ctx->policy = (struct sp_report_policy){p.verify, p.answer, p.window, p.ceiling};
}

/* ---- views ---------------------------------------------------------------------------- */

/* read_item reads and decodes one stored entry into it. */
static int read_item(struct sp_reports *r, struct loc at, struct sp_reports_item *it)
{
	struct sp_log_info info;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_store_log_info(r->o.store, at.log, &info);
	if (rc == 0)
		rc = sp_store_entry(r->o.store, at.log, at.index, &b);
	if (rc == 0)
		it->buf = sp_buf_take(&b, &it->len);
	sp_buf_free(&b);
	if (rc == 0 && it->buf == NULL)
		rc = SP_ERR_NOMEM;
	if (rc == 0)
		rc = sp_entry_decode(it->buf, it->len, &it->e);
	if (rc)
		return rc;
	const char *slash = strrchr(info.origin, '/');
	const char *inst = slash ? slash + 1 : info.origin;
	snprintf(it->inst, sizeof(it->inst), "%.*s", SP_INST_ID_MAX, inst);
	it->log = at.log;
	it->index = at.index;
	return 0;
}

/* snapshot copies a report's locations under the read lock. */
static int snapshot(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], struct loc *sub,
		    struct loc **trail, size_t *n, struct sp_reports_view *v)
{
	pthread_rwlock_rdlock(&r->lk);
	struct rep *p = find(r, id);
	int rc = p ? 0 : SP_ERR_UNKNOWN_REPORT;
	if (p) {
		*sub = p->sub;
		*n = p->n_trail;
		v->gen = p->gen;
		v->indexed_ms = p->indexed_ms;
		*trail = malloc((p->n_trail + 1) * sizeof(**trail));
		if (*trail == NULL)
			rc = SP_ERR_NOMEM;
		else if (p->n_trail)
			memcpy(*trail, p->trail, p->n_trail * sizeof(**trail));
	}
	pthread_rwlock_unlock(&r->lk);
	return rc;
}

static int view_items(struct sp_reports *r, const struct loc *trail, size_t n,
		      const struct sp_reports_extra *x, uint64_t now, struct sp_reports_view *v)
{
	v->items = calloc(n + 1, sizeof(*v->items));
	if (v->items == NULL)
		return SP_ERR_NOMEM;
	for (; v->n < n; v->n++) {
		int rc = read_item(r, trail[v->n], &v->items[v->n]);
		if (rc)
			return rc;
	}
	if (x) {
		struct sp_reports_item *it = &v->items[v->n++];
		snprintf(it->inst, sizeof(it->inst), "%s", x->inst);
		it->index = x->index;
		it->log = UINT32_MAX;
		it->e = (struct sp_entry){.version = SP_ENTRY_VERSION, .index = x->index,
					  .time_ms = now, .type = x->type, .body = x->body,
					  .body_len = x->body_len};
	}
	return 0;
}

static int view_compute(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint64_t now,
			struct sp_reports_view *v)
{
	struct sp_report_trail *t = calloc(v->n + 1, sizeof(*t));
	if (t == NULL)
		return SP_ERR_NOMEM;
	for (size_t i = 0; i < v->n; i++) {
		const struct sp_reports_item *it = &v->items[i];
		t[i] = (struct sp_report_trail){it->inst, it->index, it->e.time_ms, it->e.type,
						it->e.body, it->e.body_len};
	}
	struct sp_report_ctx ctx;
	char category[SP_DIR_CATEGORY_MAX + 1];
	snprintf(category, sizeof(category), "%.*s", (int)v->body.category.n, v->body.category.p);
	sp_reports_ctx(r, category, &ctx);
	int rc = sp_report_compute(id, &v->sub.e, v->sub.inst, t, v->n, &ctx, now, &v->st);
	free(t);
	return rc;
}

int sp_reports_view(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint64_t now,
		    const struct sp_reports_extra *x, struct sp_reports_view *v)
{
	memset(v, 0, sizeof(*v));
	struct loc sub, *trail = NULL;
	size_t n = 0;
	int rc = snapshot(r, id, &sub, &trail, &n, v);
	if (rc == 0)
		rc = read_item(r, sub, &v->sub);
	if (rc == 0)
		rc = sp_report_parse(v->sub.e.body, v->sub.e.body_len, &v->body);
	if (rc == 0)
		rc = view_items(r, trail, n, x, now, v);
	if (rc == 0)
		rc = view_compute(r, id, now, v);
	free(trail);
	if (rc)
		sp_reports_view_free(v);
	return rc;
}

void sp_reports_view_free(struct sp_reports_view *v)
{
	free(v->sub.buf);
	for (size_t i = 0; v->items && i < v->n; i++)
		free(v->items[i].buf);
	free(v->items);
	sp_report_state_free(&v->st);
	memset(v, 0, sizeof(*v));
}

/* ---- summaries and queries ------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, struct sp_str s)
{
	snprintf(dst, cap, "%.*s", (int)s.n, s.p ? s.p : "");
}

static void summarise(const struct sp_reports_view *v, struct sp_reports_summary *s)
{
	const struct sp_report_state *st = &v->st;
	memcpy(s->id, st->id, SP_HASH_BYTES);
	snprintf(s->log, sizeof(s->log), "%s", v->sub.inst);
	s->index = v->sub.index;
	s->submitted_ms = v->sub.e.time_ms;
	copy_str(s->region, sizeof(s->region), v->body.region);
	copy_str(s->category, sizeof(s->category), v->body.category);
	copy_str(s->routed_to, sizeof(s->routed_to), v->body.routed_to);
	s->status = st->status;
	s->n_holders = st->n_holders;
	memcpy(s->holders, st->holders, sizeof(s->holders));
	s->last_holder[0] = '\0';
	s->n_handled = 0;
	for (size_t i = 0; i < st->n_spans; i++) {
		const char *inst = st->spans[i].inst;
		snprintf(s->last_holder, sizeof(s->last_holder), "%s", inst);
		size_t k = 0;
		while (k < s->n_handled && strcmp(s->handled[k], inst) != 0)
			k++;
		if (k == s->n_handled && k < SP_REPORT_MAX_HOLDERS)
			snprintf(s->handled[s->n_handled++], sizeof(s->handled[0]), "%s", inst);
	}
	s->stage = st->stage;
	s->deadline_ms = st->deadline_ms;
	s->overdue = st->overdue;
	s->escalations = st->escalations;
	s->answered_ms = st->answered_ms;
	s->rating = st->rating;
}

/* refresh recomputes one stale summary (no lock held while computing). */
static int refresh(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint64_t now)
{
	struct sp_reports_view v;
	int rc = sp_reports_view(r, id, now, NULL, &v);
	if (rc)
		return rc;
	pthread_rwlock_wrlock(&r->lk);
	struct rep *p = find(r, id);
	if (p && p->gen == v.gen) {
		uint64_t seq = p->sum.seq;
		summarise(&v, &p->sum);
		p->sum.seq = seq;
		p->dirty = 0;
		/* The state changes with time only when a deadline passes. */
		p->valid_until = v.st.deadline_ms > now ? v.st.deadline_ms : UINT64_MAX;
	}
	pthread_rwlock_unlock(&r->lk);
	sp_reports_view_free(&v);
	return 0;
}

static int stale(const struct rep *p, uint64_t now)
{
	return p->dirty || (p->valid_until && now >= p->valid_until);
}

/* refresh_all brings every stale summary up to date. */
static int refresh_all(struct sp_reports *r, uint64_t now)
{
	pthread_rwlock_rdlock(&r->lk);
	size_t n = 0;
	uint8_t(*ids)[SP_HASH_BYTES] = malloc((r->n + 1) * SP_HASH_BYTES);
	for (size_t i = 0; ids && i < r->n; i++)
		if (stale(r->reps[i], now))
			memcpy(ids[n++], r->reps[i]->id, SP_HASH_BYTES);
	pthread_rwlock_unlock(&r->lk);
	if (ids == NULL)
		return SP_ERR_NOMEM;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = refresh(r, ids[i], now);
	free(ids);
	return rc;
}

static int has_inst(const struct sp_reports *r, const struct sp_reports_summary *s,
		    const char *inst, int subtree)
{
	for (size_t i = 0; i < s->n_holders; i++)
		if (strcmp(s->holders[i], inst) == 0 ||
		    (subtree && r->o.dir && sp_dir_in_subtree(r->o.dir, s->holders[i], inst)))
			return 1;
	if (subtree)
		return 0;
	for (size_t i = 0; i < s->n_handled; i++)
		if (strcmp(s->handled[i], inst) == 0)
			return 1;
	return 0;
}

static int matches(const struct sp_reports *r, const struct sp_reports_query *q,
		   const struct sp_reports_summary *s)
{
	if (q->status >= 0 && (int)s->status != q->status)
		return 0;
	if (q->overdue && !s->overdue)
		return 0;
	if (q->since && s->submitted_ms < q->since)
		return 0;
	if (q->until && s->submitted_ms >= q->until)
		return 0;
	if (q->region) {
		size_t n = strlen(q->region);
		if (strncmp(s->region, q->region, n) != 0 || (s->region[n] && s->region[n] != '.'))
			return 0;
	}
	return q->institution == NULL || has_inst(r, s, q->institution, q->overdue);
}

int sp_reports_query(struct sp_reports *r, const struct sp_reports_query *q, uint64_t now,
		     sp_reports_fn fn, void *arg, uint64_t *next)
{
	int rc = refresh_all(r, now);
	if (next)
		*next = 0;
	if (rc)
		return rc;
	size_t emitted = 0;
	pthread_rwlock_rdlock(&r->lk);
	size_t i = q->cursor ? (size_t)q->cursor - 1 : 0;
	for (; rc == 0 && i < r->n; i++) {
		const struct sp_reports_summary *s = &r->reps[i]->sum;
		if (!matches(r, q, s))
			continue;
		if (q->limit && emitted == q->limit) {
			if (next)
				*next = s->seq;
			break;
		}
		rc = fn(arg, s);
		emitted++;
	}
	pthread_rwlock_unlock(&r->lk);
	return rc;
}

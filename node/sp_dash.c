/*
 * sp_dash.c - the coordinator's dashboard figures (sp_dash.h). The reports
 * the subtree took part in are found from the index's posting lists (one
 * list per institution of the subtree; the whole index for the
 * coordinator), each report's state comes from the index's view (recomputed
 * without the entries past a checkpoint when it has any), and what it means
 * for each institution is derived by sp_hfig_report, the audit's code.
 */
#include "sp_dash.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_clock.h"
#include "sp_err.h"

/* What one computation carries besides the result. */
struct run {
	struct sp_dash *d;
	struct sp_reports *reports;
	const struct sp_dirload *dl;
	uint8_t (*ids)[SP_HASH_BYTES]; /* reports to look at */
	size_t n_ids, cap_ids;
	uint64_t *recv_t, *fin_t;      /* for the weekly series */
	size_t n_recv, cap_recv, n_fin, cap_fin;
};

/* ---- the subtree --------------------------------------------------------------- */

static int inst_cmp(const void *x, const void *y)
{
	return strcmp(((const struct sp_dash_inst *)x)->id, ((const struct sp_dash_inst *)y)->id);
}

static int add_inst(void *arg, const struct sp_dir_inst *in)
{
	struct sp_dash *d = arg;
	if (sp_grow((void **)&d->inst, &d->cap_inst, d->n_inst, sizeof(*d->inst)) != 0)
		return SP_ERR_NOMEM;
	struct sp_dash_inst *x = &d->inst[d->n_inst++];
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", in->id);
	snprintf(x->name, sizeof(x->name), "%s", in->name);
	snprintf(x->parent, sizeof(x->parent), "%s", in->parent);
	snprintf(x->row.id, sizeof(x->row.id), "%s", in->id);
	x->tier = in->tier < SP_HFIG_TIERS ? in->tier : SP_HFIG_TIERS - 1;
	return 0;
}

const struct sp_dash_inst *sp_dash_find(const struct sp_dash *d, const char *id)
{
	struct sp_dash_inst key;
	if (id == NULL || d->n_inst == 0 || strlen(id) >= sizeof(key.id))
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, d->inst, d->n_inst, sizeof(key), inst_cmp);
}

static struct sp_dash_inst *find(struct sp_dash *d, const char *id)
{
	return (struct sp_dash_inst *)sp_dash_find(d, id);
}

/* ---- checkpoints ------------------------------------------------------------------- */

static int checkpoints(struct sp_store *s, struct sp_dash *d)
{
	uint32_t n = sp_store_log_count(s);
	d->logs = calloc(n ? n : 1, sizeof(*d->logs));
	if (d->logs == NULL)
		return SP_ERR_NOMEM;
	for (uint32_t id = 0; id < n; id++) {
		struct sp_dash_log *l = &d->logs[d->n_logs++];
		struct sp_log_info info;
		int rc = sp_store_log_info(s, id, &info);
		if (rc)
			return rc;
		snprintf(l->origin, sizeof(l->origin), "%s", info.origin);
		struct sp_buf cp;
		sp_buf_init(&cp);
		l->has_cp = sp_store_checkpoint(s, id, &cp, &l->size) == 0 && cp.err == 0;
		sp_buf_free(&cp);
		if (!l->has_cp)
			l->size = 0;
		else if ((rc = sp_store_root(s, id, l->size, l->root)) != 0)
			return rc;
	}
	return 0;
}

/* counted: entry `index` of store log `log` is covered by the checkpoint. */
static int counted(const struct sp_dash *d, uint32_t log, uint64_t index)
{
	return log < d->n_logs && index < d->logs[log].size;
}

/* ---- which reports ------------------------------------------------------------------ */

static int add_id(void *arg, const struct sp_reports_summary *s)
{
	struct run *r = arg;
	if (!sp_hfig_in_period(&r->d->period, s->submitted_ms))
		return 0;
	if (sp_grow((void **)&r->ids, &r->cap_ids, r->n_ids, sizeof(*r->ids)) != 0)
		return SP_ERR_NOMEM;
	memcpy(r->ids[r->n_ids++], s->id, SP_HASH_BYTES);
	return 0;
}

static int id_cmp(const void *x, const void *y)
{
	return memcmp(x, y, SP_HASH_BYTES);
}

/* find_reports: every report one of the subtree's institutions holds or
 * held, from its posting list (all of them for the coordinator). */
static int find_reports(struct run *r)
{
	int whole = sp_dir_is_coordinator(r->dl->dir, r->d->scope);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < (whole ? 1 : r->d->n_inst); i++) {
		struct sp_reports_query q = {.status = -1};
		if (!whole)
			q.institution = r->d->inst[i].id;
		rc = sp_reports_query(r->reports, &q, r->d->at, add_id, r, NULL);
	}
	if (rc || whole || r->n_ids == 0)
		return rc;
	qsort(r->ids, r->n_ids, sizeof(*r->ids), id_cmp);
	size_t w = 0;
	for (size_t i = 0; i < r->n_ids; i++)
		if (w == 0 || memcmp(r->ids[w - 1], r->ids[i], SP_HASH_BYTES) != 0)
			memcpy(r->ids[w++], r->ids[i], SP_HASH_BYTES);
	r->n_ids = w;
	return 0;
}

/* ---- one report ---------------------------------------------------------------------- */

/* at_checkpoint drops the view's entries past a checkpoint and recomputes
 * its state if it had any; 1 if the submission itself is past one. */
static int at_checkpoint(struct run *r, struct sp_reports_view *v, int *rc)
{
	*rc = 0;
	if (!counted(r->d, v->sub.log, v->sub.index))
		return 1;
	size_t w = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (counted(r->d, v->items[i].log, v->items[i].index))
			v->items[w++] = v->items[i];
		else
			free(v->items[i].buf);
	}
	if (w != v->n) {
		v->n = w;
		*rc = sp_reports_view_recompute(r->reports, v, r->d->at);
	}
	return 0;
}

struct order {
	const struct sp_reports_item *it;
};

/* by_applying: the order sp_report_compute applies a trail in. */
static int by_applying(const void *x, const void *y)
{
	const struct sp_reports_item *p = ((const struct order *)x)->it;
	const struct sp_reports_item *q = ((const struct order *)y)->it;
	if (p->e.time_ms != q->e.time_ms)
		return p->e.time_ms < q->e.time_ms ? -1 : 1;
	int c = strcmp(p->inst, q->inst);
	if (c)
		return c;
	return p->index < q->index ? -1 : p->index > q->index;
}

/* steps_of: the view's applied entries, in applying order, into s. */
static size_t steps_of(const struct sp_reports_view *v, struct order *o, struct sp_hfig_step *s)
{
	size_t n = 0;
	for (size_t i = 0; i < v->n; i++)
		if (v->st.verdict[i] == 0)
			o[n++].it = &v->items[i];
	qsort(o, n, sizeof(*o), by_applying);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (sp_hfig_step_of(o[i].it->inst, o[i].it->e.time_ms, o[i].it->e.type,
				    o[i].it->e.body, o[i].it->e.body_len, &s[k]) == 0)
			k++; /* it was applied, so it parses */
	return k;
}

static int push_time(uint64_t **v, size_t *n, size_t *cap, uint64_t t)
{
	if (sp_grow((void **)v, cap, *n, sizeof(**v)) != 0)
		return SP_ERR_NOMEM;
	(*v)[(*n)++] = t;
	return 0;
}

static int flow_add(struct sp_dash *d, const struct sp_hfig_ev *e)
{
	size_t i = 0;
	while (i < d->n_flows && (strcmp(d->flows[i].from, e->inst) || strcmp(d->flows[i].to, e->to)))
		i++;
	if (i == d->n_flows) {
		if (sp_grow((void **)&d->flows, &d->cap_flows, d->n_flows, sizeof(*d->flows)) != 0)
			return SP_ERR_NOMEM;
		struct sp_dash_flow *f = &d->flows[d->n_flows++];
		memset(f, 0, sizeof(*f));
		snprintf(f->from, sizeof(f->from), "%s", e->inst);
		snprintf(f->to, sizeof(f->to), "%s", e->to);
	}
	if (e->kind == SP_HF_FLOW_FWD)
		d->flows[i].forwarded++;
	else
		d->flows[i].returned++;
	return 0;
}

static int overdue_add(struct sp_dash *d, const struct sp_reports_view *v,
		       const struct sp_hfig_report *h)
{
	char holders[SP_HFIG_CHAIN_MAX] = "";
	for (size_t k = 0; k < v->st.n_holders; k++) {
		if (!find(d, v->st.holders[k]))
			continue;
		size_t used = strlen(holders);
		snprintf(holders + used, sizeof(holders) - used, "%s%s", used ? " " : "",
			 v->st.holders[k]);
	}
	if (holders[0] == '\0')
		return 0;
	d->overdue_total++;
	if (sp_grow((void **)&d->overdue, &d->cap_overdue, d->n_overdue, sizeof(*d->overdue)) != 0)
		return SP_ERR_NOMEM;
	struct sp_dash_overdue *o = &d->overdue[d->n_overdue++];
	memset(o, 0, sizeof(*o));
	memcpy(o->id, v->st.id, SP_HASH_BYTES);
	memcpy(o->holders, holders, sizeof(holders));
	snprintf(o->category, sizeof(o->category), "%.*s", (int)v->body.category.n,
		 v->body.category.p);
	snprintf(o->region, sizeof(o->region), "%.*s", (int)v->body.region.n, v->body.region.p);
	o->status = (int)v->st.status;
	o->stage = (int)v->st.stage;
	o->submitted_ms = v->st.submitted_ms;
	o->deadline_ms = v->st.deadline_ms;
	o->escalations = v->st.escalations;
	o->acted = h->acted;
	o->unacted = h->unacted;
	return 0;
}

/* sum_report adds what report v means for the subtree. */
static int sum_report(struct run *r, const struct sp_reports_view *v, const struct sp_hfig_report *h)
{
	struct sp_dash *d = r->d;
	uint64_t first = UINT64_MAX;
	int in = 0, rc = 0;
	for (size_t k = 0; rc == 0 && k < h->n_ev; k++) {
		const struct sp_hfig_ev *e = &h->ev[k];
		struct sp_dash_inst *x = find(d, e->inst);
		if (e->kind == SP_HF_FLOW_FWD || e->kind == SP_HF_FLOW_BACK) {
			if (x || find(d, e->to))
				rc = flow_add(d, e);
			continue;
		}
		if (x == NULL)
			continue;
		in = 1;
		sp_hfig_count(&x->row, e);
		if (e->kind == SP_HF_RECEIVED && e->v < first)
			first = e->v;
		if (e->kind == SP_HF_FINISHED)
			rc = push_time(&r->fin_t, &r->n_fin, &r->cap_fin, e->v);
	}
	if (rc || !in)
		return rc;
	d->reports++;
	d->status[v->st.status < 8 ? v->st.status : 0]++;
	if (first != UINT64_MAX)
		rc = push_time(&r->recv_t, &r->n_recv, &r->cap_recv, first);
	if (rc == 0 && h->open && v->st.overdue)
		rc = overdue_add(d, v, h);
	return rc;
}

static int one_report(struct run *r, const uint8_t id[SP_HASH_BYTES])
{
	struct sp_reports_view v;
	int rc = sp_reports_view(r->reports, id, r->d->at, NULL, &v);
	if (rc == SP_ERR_UNKNOWN_REPORT)
		return 0; /* gone between the query and now: a rebuild */
	if (rc)
		return rc;
	int past = at_checkpoint(r, &v, &rc);
	if (past)
		r->d->past_checkpoint++;
	if (rc || past) {
		sp_reports_view_free(&v);
		return rc;
	}
	struct order *o = calloc(v.n ? v.n : 1, sizeof(*o));
	struct sp_hfig_step *s = calloc(v.n ? v.n : 1, sizeof(*s));
	struct sp_hfig_report h = {0};
	rc = o && s ? 0 : SP_ERR_NOMEM;
	if (rc == 0) {
		size_t n = steps_of(&v, o, s);
		rc = sp_hfig_report(&v.st, s, n, &r->dl->cal, r->d->at, &h);
	}
	if (rc == 0)
		rc = sum_report(r, &v, &h);
	sp_hfig_report_free(&h);
	free(o);
	free(s);
	sp_reports_view_free(&v);
	return rc;
}

/* ---- summing up ------------------------------------------------------------------------ */

/* week_of: the start (Monday 00:00 WIB, in ms UTC) of the week holding t. */
static uint64_t week_of(uint64_t t)
{
	uint64_t local_days = (t + SP_DASH_WEEK_TZ_MS) / SP_CAL_DAY_MS;
	uint64_t monday = local_days - (local_days + 3) % 7; /* 1970-01-01 was a Thursday */
	return monday * SP_CAL_DAY_MS - SP_DASH_WEEK_TZ_MS;
}

static int weeks_build(struct run *r)
{
	struct sp_dash *d = r->d;
	uint64_t last = week_of(d->at), first = last;
	for (size_t i = 0; i < r->n_recv; i++)
		if (week_of(r->recv_t[i]) < first)
			first = week_of(r->recv_t[i]);
	for (size_t i = 0; i < r->n_fin; i++)
		if (week_of(r->fin_t[i]) < first)
			first = week_of(r->fin_t[i]);
	const uint64_t wk = 7 * SP_CAL_DAY_MS;
	if ((last - first) / wk + 1 > SP_DASH_WEEKS_MAX)
		first = last - (SP_DASH_WEEKS_MAX - 1) * wk;
	d->n_weeks = (size_t)((last - first) / wk + 1);
	d->weeks = calloc(d->n_weeks, sizeof(*d->weeks));
	if (d->weeks == NULL)
		return SP_ERR_NOMEM;
	for (size_t w = 0; w < d->n_weeks; w++)
		d->weeks[w].start_ms = first + w * wk;
	for (size_t i = 0; i < r->n_recv; i++)
		if (week_of(r->recv_t[i]) >= first && r->recv_t[i] < last + wk)
			d->weeks[(week_of(r->recv_t[i]) - first) / wk].received++;
	for (size_t i = 0; i < r->n_fin; i++)
		if (week_of(r->fin_t[i]) >= first && r->fin_t[i] < last + wk)
			d->weeks[(week_of(r->fin_t[i]) - first) / wk].finished++;
	return 0;
}

static int by_deadline(const void *x, const void *y)
{
	const struct sp_dash_overdue *p = x, *q = y;
	if (p->deadline_ms != q->deadline_ms)
		return p->deadline_ms < q->deadline_ms ? -1 : 1;
	return memcmp(p->id, q->id, SP_HASH_BYTES);
}

static void roll_up(struct sp_dash *d)
{
	for (size_t i = 0; i < d->n_inst; i++) {
		sp_hfig_row_add(&d->tier[d->inst[i].tier], &d->inst[i].row);
		sp_hfig_row_add(&d->all, &d->inst[i].row);
		sp_hfig_row_summarise(&d->inst[i].row);
	}
	for (size_t t = 0; t < SP_HFIG_TIERS; t++) {
		snprintf(d->tier[t].id, sizeof(d->tier[t].id), "%s", sp_hfig_tier_name((unsigned)t));
		sp_hfig_row_summarise(&d->tier[t]);
	}
	snprintf(d->all.id, sizeof(d->all.id), "%s", d->scope);
	sp_hfig_row_summarise(&d->all);
	if (d->n_overdue) /* no qsort of NULL (UBSan) */
		qsort(d->overdue, d->n_overdue, sizeof(*d->overdue), by_deadline);
	if (d->n_overdue > SP_DASH_OVERDUE_MAX)
		d->n_overdue = SP_DASH_OVERDUE_MAX;
}

static int compute(struct run *r, struct sp_store *store, const struct sp_dash_ask *ask)
{
	struct sp_dash *d = r->d;
	const char *scope = ask->scope;
	if (r->dl == NULL || r->dl->dir == NULL || r->dl->coordinator[0] == '\0')
		return SP_ERR_ARG;
	if (ask->month && ask->month[0]) {
		if (sp_hfig_month(ask->month, &d->period) != 0)
			return SP_ERR_RANGE;
		snprintf(d->month, sizeof(d->month), "%s", ask->month);
	}
	if (scope == NULL || scope[0] == '\0')
		scope = r->dl->coordinator;
	if (strlen(scope) >= sizeof(d->scope))
		return SP_ERR_UNKNOWN_INSTITUTION;
	snprintf(d->scope, sizeof(d->scope), "%s", scope);
	int rc = sp_dir_subtree(r->dl->dir, scope, add_inst, d);
	if (rc)
		return rc;
	qsort(d->inst, d->n_inst, sizeof(*d->inst), inst_cmp);
	if ((rc = checkpoints(store, d)) != 0 || (rc = find_reports(r)) != 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < r->n_ids; i++)
		rc = one_report(r, r->ids[i]);
	if (rc == 0)
		rc = weeks_build(r);
	if (rc == 0)
		roll_up(d);
	return rc;
}

int sp_dash_compute(struct sp_store *store, struct sp_reports *reports, const struct sp_dirload *dl,
		    const struct sp_dash_ask *ask, struct sp_dash **out)
{
	*out = NULL;
	struct sp_dash *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return SP_ERR_NOMEM;
	d->at = ask->at;
	struct run r = {.d = d, .reports = reports, .dl = dl};
	int rc = compute(&r, store, ask);
	free(r.ids);
	free(r.recv_t);
	free(r.fin_t);
	if (rc) {
		sp_dash_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void sp_dash_free(struct sp_dash *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n_inst; i++)
		sp_hfig_row_free(&d->inst[i].row);
	for (size_t t = 0; t < SP_HFIG_TIERS; t++)
		sp_hfig_row_free(&d->tier[t]);
	sp_hfig_row_free(&d->all);
	free(d->inst);
	free(d->logs);
	free(d->flows);
	free(d->weeks);
	free(d->overdue);
	free(d);
}

/* ---- the cache ------------------------------------------------------------------------- */

/* One kept result and what it was computed from. */
struct slot {
	struct sp_dash *d; /* NULL: empty */
	uint8_t deps[crypto_generichash_BYTES];
	int at_fixed;
	uint64_t done_ms; /* when it was computed (finished) */
	uint64_t used;    /* the cache's clock at the last use */
};

struct sp_dash_cache {
	pthread_mutex_t mu;
	struct slot slot[SP_DASH_CACHE_SLOTS];
	uint64_t clock, hits, misses;
};

int sp_dash_cache_new(struct sp_dash_cache **out)
{
	struct sp_dash_cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SP_ERR_NOMEM;
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return 0;
}

void sp_dash_cache_free(struct sp_dash_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SP_DASH_CACHE_SLOTS; i++)
		sp_dash_free(c->slot[i].d);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* deps_of digests what figures computed now would be computed from,
 * besides scope, month and at: every log's signed checkpoint (entries past
 * it do not count), the directory log's size (the directory is applied as
 * it grows) and, only while the index has not taken in every entry below
 * those checkpoints, the index's generation (what it holds then is still
 * moving). So entries past the checkpoints, and the index's own
 * bookkeeping (deadline sweeps), leave a result valid. */
static int deps_of(struct sp_store *store, struct sp_reports *reports, const struct sp_dirload *dl,
		   uint8_t out[crypto_generichash_BYTES])
{
	crypto_generichash_state h;
	uint32_t n = sp_store_log_count(store);
	uint64_t lag = 0;
	crypto_generichash_init(&h, NULL, 0, crypto_generichash_BYTES);
	struct sp_buf cp;
	sp_buf_init(&cp);
	int rc = 0;
	for (uint32_t id = 0; rc == 0 && id < n; id++) {
		uint64_t v[3] = {id, 0, 0}, indexed = 0;
		cp.len = 0;
		if (sp_store_checkpoint(store, id, &cp, &v[1]) != 0)
			v[1] = 0;
		if (dl && dl->has_log && id == dl->log_id) {
			struct sp_log_info info;
			rc = sp_store_log_info(store, id, &info);
			v[2] = info.size;
		}
		if (rc == 0)
			rc = sp_reports_indexed(reports, id, &indexed);
		lag |= indexed < v[1];
		crypto_generichash_update(&h, (const uint8_t *)v, sizeof(v));
	}
	sp_buf_free(&cp);
	uint64_t gen = lag ? sp_reports_gen(reports) : 0;
	crypto_generichash_update(&h, (const uint8_t *)&gen, sizeof(gen));
	crypto_generichash_final(&h, out, crypto_generichash_BYTES);
	return rc;
}

/* fits: slot s answers ask (scope resolved) with inputs deps. */
static int fits(const struct slot *s, const char *scope, const struct sp_dash_ask *ask,
		int at_fixed, const uint8_t *deps)
{
	const struct sp_dash *d = s->d;
	if (d == NULL || memcmp(s->deps, deps, sizeof(s->deps)) != 0 || s->at_fixed != at_fixed ||
	    strcmp(d->scope, scope) != 0 || strcmp(d->month, ask->month ? ask->month : "") != 0)
		return 0;
	if (at_fixed)
		return d->at == ask->at;
	return d->at <= ask->at && s->done_ms <= ask->at && ask->at - s->done_ms <= SP_DASH_CACHE_MS;
}

/* lookup: a fitting slot's result (one more holder), or NULL. mu held. */
static const struct sp_dash *lookup(struct sp_dash_cache *c, const char *scope,
				    const struct sp_dash_ask *ask, int at_fixed, const uint8_t *deps)
{
	for (size_t i = 0; i < SP_DASH_CACHE_SLOTS; i++) {
		struct slot *s = &c->slot[i];
		if (fits(s, scope, ask, at_fixed, deps)) {
			s->used = ++c->clock;
			s->d->refs++;
			c->hits++;
			return s->d;
		}
	}
	return NULL;
}

/* keep puts d in the least recently used slot (d gets the cache's hold
 * and the caller's). mu held. */
static void keep(struct sp_dash_cache *c, struct sp_dash *d, int at_fixed, const uint8_t *deps,
		 uint64_t done_ms)
{
	struct slot *s = &c->slot[0];
	for (size_t i = 1; i < SP_DASH_CACHE_SLOTS; i++)
		if (c->slot[i].used < s->used)
			s = &c->slot[i];
	if (s->d && --s->d->refs == 0)
		sp_dash_free(s->d);
	s->d = d;
	d->refs = 2;
	s->at_fixed = at_fixed;
	s->done_ms = done_ms;
	s->used = ++c->clock;
	memcpy(s->deps, deps, sizeof(s->deps));
}

int sp_dash_get(struct sp_dash_cache *c, struct sp_store *store, struct sp_reports *reports,
		const struct sp_dirload *dl, const struct sp_dash_ask *ask, int at_fixed,
		const struct sp_dash **out)
{
	*out = NULL;
	uint8_t deps[crypto_generichash_BYTES];
	const char *scope = ask->scope && ask->scope[0] ? ask->scope : dl ? dl->coordinator : "";
	int rc = deps_of(store, reports, dl, deps);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->mu);
	*out = lookup(c, scope, ask, at_fixed, deps);
	if (*out == NULL)
		c->misses++;
	pthread_mutex_unlock(&c->mu);
	if (*out)
		return 0;
	/* computed outside the lock: other scopes are answered meanwhile */
	struct sp_dash *d;
	if ((rc = sp_dash_compute(store, reports, dl, ask, &d)) != 0)
		return rc;
	pthread_mutex_lock(&c->mu);
	keep(c, d, at_fixed, deps, sp_now_ms());
	pthread_mutex_unlock(&c->mu);
	*out = d;
	return 0;
}

void sp_dash_put(struct sp_dash_cache *c, const struct sp_dash *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	struct sp_dash *m = (struct sp_dash *)d;
	int last = --m->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (last)
		sp_dash_free(m);
}

void sp_dash_cache_counts(struct sp_dash_cache *c, uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&c->mu);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->mu);
}

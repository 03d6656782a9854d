/*
 * sp_fedaudit_fig.c - from verified entries to handling figures: reports
 * and their trails are gathered from every verified log, each report's
 * state is recomputed with sp_report_compute (in parallel on the pool),
 * and what each applied entry did is turned into per-institution events,
 * summed per institution, per tier and for the federation. Only entries
 * the state function applied count; refused ones are counted as such.
 */
#include "sp_fedaudit_fig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"
#include "sp_report_dir.h"

#define GRAIN 32

/* One thing that happened to an institution in one report (an sp_hfig_ev
 * with the names turned into indexes into the audit's logs). */
struct ev {
	uint32_t inst;
	uint32_t to;   /* flows only */
	uint32_t kind; /* enum sp_hfig_kind */
	uint64_t v;
};

/* One report: where its pieces are and what was derived. */
struct rep {
	const struct sp_fa_item *sub;
	const struct ref *trail;         /* into the sorted array of all entries */
	size_t n;
	int err;                         /* sp_report_compute failed */
	enum sp_report_status status;
	unsigned bounces;
	size_t applied, refused;
	struct ev *ev;
	size_t n_ev, cap_ev;
	int long_chain;
	int outside;                     /* submitted outside the period: not counted */
	struct sp_hfig_report h;         /* chain, ceiling, escalations (events: ev) */
};

/* An institution id and its log index, sorted by id for lookups. */
struct name {
	const char *id;
	uint32_t ix;
};

/* A trail entry or submission, with its log's institution id. */
struct ref {
	const struct sp_fa_item *it;
	const char *inst;
};

struct fig_run {
	struct sp_fa *a;
	struct rep *reps;
	size_t n_reps;
	struct name *names; /* sorted by id */
};

/* ---- institutions by id ---------------------------------------------------------- */

static int name_cmp(const void *x, const void *y)
{
	return strcmp(((const struct name *)x)->id, ((const struct name *)y)->id);
}

static int inst_of(const struct fig_run *r, const char *id, uint32_t *out)
{
	struct name key = {id, 0};
	const struct name *n = bsearch(&key, r->names, r->a->n_logs, sizeof(key), name_cmp);
	if (n == NULL)
		return SP_ERR_UNKNOWN_INSTITUTION;
	*out = n->ix;
	return 0;
}

static int names_build(struct fig_run *r)
{
	size_t n = r->a->n_logs;
	r->names = malloc(n * sizeof(*r->names));
	if (r->names == NULL)
		return SP_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		r->names[i] = (struct name){r->a->logs[i].inst, (uint32_t)i};
	qsort(r->names, n, sizeof(*r->names), name_cmp);
	return 0;
}

/* ---- gathering --------------------------------------------------------------------- */

/* item_body: the body of a kept entry (decoded when it was verified:
 * decoding it again would check the same CBOR again). */
static const uint8_t *item_body(const struct sp_fa *a, const struct sp_fa_item *it)
{
	return a->logs[it->log].bytes + it->off + it->body_off;
}

/* What name_report works on: every entry of interest. */
struct naming {
	const struct sp_fa *a;
	struct ref *refs;
};

/* name_report parses entries (in parallel) for the report they name. */
static int name_report(void *arg, size_t begin, size_t end)
{
	struct naming *nm = arg;
	for (size_t k = begin; k < end; k++) {
		struct sp_fa_item *it = (struct sp_fa_item *)nm->refs[k].it;
		int rc;
		if (it->type == SP_EV_REPORT) {
			memcpy(it->report, it->hash, SP_HASH_BYTES);
			struct sp_report b;
			rc = sp_report_parse(item_body(nm->a, it), it->body_len, &b);
		} else {
			rc = sp_report_trail_report(it->type, item_body(nm->a, it), it->body_len,
						    it->report);
		}
		it->bad = rc;
	}
	return 0;
}

/* by_report_order: report id, then the order sp_report_compute applies a
 * trail in (time, institution id, index). */
static int by_report_order(const void *x, const void *y)
{
	const struct ref *rp = x, *rq = y;
	const struct sp_fa_item *p = rp->it, *q = rq->it;
	int c = memcmp(p->report, q->report, SP_HASH_BYTES);
	if (c)
		return c;
	if (p->time_ms != q->time_ms)
		return p->time_ms < q->time_ms ? -1 : 1;
	c = strcmp(rp->inst, rq->inst);
	if (c)
		return c;
	return p->index < q->index ? -1 : p->index > q->index;
}

/* gather: reports sorted by id, each with its trail in applying order. */
static int gather(struct fig_run *r, struct ref **all_out)
{
	struct sp_fa *a = r->a;
	size_t total = 0;
	for (size_t l = 0; l < a->n_logs; l++)
		total += a->logs[l].n_items;
	struct ref *all = malloc((total ? total : 1) * sizeof(*all));
	if (all == NULL)
		return SP_ERR_NOMEM;
	*all_out = all;
	size_t n = 0;
	for (size_t l = 0; l < a->n_logs; l++)
		for (size_t i = 0; i < a->logs[l].n_items; i++)
			all[n++] = (struct ref){&a->logs[l].items[i], a->logs[l].inst};
	struct naming nm = {a, all};
	int rc = n ? sp_pool_for(a->o.pool, n, 256, name_report, &nm) : 0;
	if (rc)
		return rc;
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (all[i].it->bad)
			a->fig->bad_bodies++;
		else
			all[w++] = all[i];
	}
	n = w;
	qsort(all, n, sizeof(*all), by_report_order);
	r->reps = calloc(n ? n : 1, sizeof(*r->reps));
	if (r->reps == NULL)
		return SP_ERR_NOMEM;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && memcmp(all[j].it->report, all[i].it->report, SP_HASH_BYTES) == 0)
			j++;
		const struct sp_fa_item *sub = NULL;
		for (size_t k = i; k < j && sub == NULL; k++)
			if (all[k].it->type == SP_EV_REPORT)
				sub = all[k].it;
		if (sub == NULL) {
			a->fig->orphans += j - i;
		} else {
			/* the trail: the group without the submission, in order */
			struct rep *p = &r->reps[r->n_reps++];
			size_t end = i;
			for (size_t k = i; k < j; k++)
				if (all[k].it != sub)
					all[end++] = all[k];
			p->sub = sub;
			p->trail = &all[i];
			p->n = end - i;
		}
		i = j;
	}
	return 0;
}

/* ---- one report --------------------------------------------------------------------- */

/* decode_steps: the applied entries, in applying order. */
static size_t decode_steps(const struct fig_run *r, const struct rep *p,
			   const struct sp_report_state *st, struct sp_hfig_step *s)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (st->verdict[i] != 0)
			continue;
		const struct sp_fa_item *it = p->trail[i].it;
		if (sp_hfig_step_of(r->a->logs[it->log].inst, it->time_ms, it->type,
				    item_body(r->a, it), it->body_len, &s[n]) == 0)
			n++; /* it was applied, so it parses */
	}
	return n;
}

/* keep_events turns the report's events into the audit's (names to log
 * indexes: an institution without a log here has none). */
static void keep_events(const struct fig_run *r, struct rep *p)
{
	p->ev = calloc(p->h.n_ev ? p->h.n_ev : 1, sizeof(*p->ev));
	if (p->ev == NULL) {
		p->err = SP_ERR_NOMEM;
		return;
	}
	for (size_t k = 0; k < p->h.n_ev; k++) {
		const struct sp_hfig_ev *e = &p->h.ev[k];
		struct ev *x = &p->ev[p->n_ev];
		x->kind = e->kind;
		x->v = e->v;
		if (inst_of(r, e->inst, &x->inst) == 0 &&
		    (e->to == NULL || inst_of(r, e->to, &x->to) == 0))
			p->n_ev++;
	}
}

/* report_known: a report whose submission verified (reps are sorted by id). */
static int report_known(void *arg, const uint8_t id[SP_HASH_BYTES])
{
	const struct fig_run *r = arg;
	size_t lo = 0, hi = r->n_reps;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(id, r->reps[mid].sub->hash, SP_HASH_BYTES);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static void one_report(const struct fig_run *r, struct rep *p)
{
	const struct sp_fa *a = r->a;
	struct sp_report_trail *t = calloc(p->n ? p->n : 1, sizeof(*t));
	struct sp_hfig_step *s = calloc(p->n ? p->n : 1, sizeof(*s));
	struct sp_entry sub;
	struct sp_report body;
	if (t == NULL || s == NULL) {
		p->err = SP_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct sp_fa_item *it = p->trail[i].it;
		t[i] = (struct sp_report_trail){a->logs[it->log].inst, it->index, it->time_ms,
						it->type, item_body(a, it), it->body_len,
						0}; /* fetched: every signature checked */
	}
	sub = (struct sp_entry){.version = SP_ENTRY_VERSION, .index = p->sub->index,
				.time_ms = p->sub->time_ms, .type = p->sub->type,
				.body = item_body(a, p->sub), .body_len = p->sub->body_len};
	p->err = sp_report_parse(sub.body, sub.body_len, &body);
	if (p->err)
		goto out;
	char category[SP_DIR_CATEGORY_MAX + 1];
	snprintf(category, sizeof(category), "%.*s", (int)body.category.n, body.category.p);
	struct sp_report_ctx ctx;
	struct sp_report_dir rd = {a->dir, report_known, (void *)r};
	sp_report_dir_ctx(&rd, &a->cal, category, sp_report_default_policy(), &ctx);
	struct sp_report_state st;
	p->err = sp_report_compute(p->sub->hash, &sub, a->logs[p->sub->log].inst, t, p->n, &ctx,
				   a->o.now_ms, &st);
	if (p->err)
		goto out;
	p->status = st.status;
	p->bounces = st.bounces;
	for (size_t i = 0; i < p->n; i++)
		st.verdict[i] ? p->refused++ : p->applied++;
	size_t n = decode_steps(r, p, &st, s);
	p->err = sp_hfig_report(&st, s, n, &a->cal, a->o.now_ms, &p->h);
	if (p->err == 0)
		keep_events(r, p);
	sp_hfig_report_free(&p->h); /* its names point into st */
	p->long_chain = p->h.chain_n > a->o.chain_n;
	sp_report_state_free(&st);
out:
	free(t);
	free(s);
}

static int compute_reports(void *arg, size_t begin, size_t end)
{
	struct fig_run *r = arg;
	for (size_t i = begin; i < end; i++) {
		struct rep *p = &r->reps[i];
		/* only its own figures are skipped: merges into it were judged
		 * with every report known (gather) */
		p->outside = !sp_hfig_in_period(&r->a->o.period, p->sub->time_ms);
		if (!p->outside)
			one_report(r, p);
	}
	return 0;
}

/* ---- summing up ------------------------------------------------------------------------ */

/* flow_add counts one flow event into the federation's table of pairs. */
static void flow_add(struct sp_fa_fig *f, const struct ev *e)
{
	size_t i = 0;
	while (i < f->n_flows && (f->flows[i].from != e->inst || f->flows[i].to != e->to))
		i++;
	if (i == f->n_flows) {
		if (sp_grow((void **)&f->flows, &f->cap_flows, f->n_flows, sizeof(*f->flows)) != 0)
			return;
		f->flows[f->n_flows++] = (struct sp_fa_flow){e->inst, e->to, 0, 0};
	}
	if (e->kind == SP_HF_FLOW_FWD)
		f->flows[i].forwarded++;
	else
		f->flows[i].returned++;
}

static void list_add(struct sp_fa_list *l, const uint8_t id[SP_HASH_BYTES], const char *what,
		     uint64_t n)
{
	l->total++;
	if (l->n == SP_FA_LIST_MAX)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct sp_fa_listed *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return;
		l->v = v;
		l->cap = cap;
	}
	struct sp_fa_listed *x = &l->v[l->n++];
	memcpy(x->id, id, SP_HASH_BYTES);
	snprintf(x->what, sizeof(x->what), "%s", what);
	x->n = n;
}

static void sum_report(struct sp_fa_fig *f, const struct rep *p, const char *holders)
{
	f->reports++;
	f->status[p->status < 8 ? p->status : 0]++;
	f->bounce_hist[p->bounces < 3 ? p->bounces : 3]++;
	f->trail_applied += p->applied;
	f->trail_refused += p->refused;
	for (size_t k = 0; k < p->n_ev; k++) {
		const struct ev *x = &p->ev[k];
		if (x->kind == SP_HF_FLOW_FWD || x->kind == SP_HF_FLOW_BACK) {
			flow_add(f, x);
			continue;
		}
		sp_hfig_count(&f->inst[x->inst], &(struct sp_hfig_ev){NULL, NULL, x->kind, x->v});
		f->escalations += x->kind == SP_HF_MISSED;
		f->esc_acted += x->kind == SP_HF_ESC_ACTED;
		f->esc_unacted += x->kind == SP_HF_ESC_UNACTED;
	}
	if (p->long_chain)
		list_add(&f->chains, p->sub->hash, p->h.chain, p->h.chain_n);
	if (p->h.past_ceiling)
		list_add(&f->ceiling, p->sub->hash, holders, p->h.age_days);
	if (p->h.unacted)
		list_add(&f->unacted, p->sub->hash, holders, p->h.unacted);
}

/* holders_text: the institutions holding report p now (from its events). */
static void holders_text(const struct sp_fa *a, const struct rep *p, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t k = 0; k < p->n_ev; k++) {
		if (p->ev[k].kind != SP_HF_HELD)
			continue;
		size_t used = strlen(out);
		snprintf(out + used, cap - used, "%s%s", used ? " " : "", a->logs[p->ev[k].inst].inst);
	}
}

static void roll_up(struct sp_fa *a)
{
	struct sp_fa_fig *f = a->fig;
	for (size_t i = 0; i < f->n_inst; i++) {
		unsigned tier = a->logs[i].tier < SP_HFIG_TIERS ? a->logs[i].tier : SP_HFIG_TIERS - 1;
		sp_hfig_row_add(&f->tier[tier], &f->inst[i]);
		sp_hfig_row_add(&f->all, &f->inst[i]);
	}
	for (size_t i = 0; i < f->n_inst; i++)
		sp_hfig_row_summarise(&f->inst[i]);
	for (size_t t = 0; t < SP_HFIG_TIERS; t++)
		sp_hfig_row_summarise(&f->tier[t]);
	sp_hfig_row_summarise(&f->all);
}

void sp_fa_fig_free(struct sp_fa_fig *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_inst; i++)
		sp_hfig_row_free(&f->inst[i]);
	for (size_t t = 0; t < SP_HFIG_TIERS; t++)
		sp_hfig_row_free(&f->tier[t]);
	sp_hfig_row_free(&f->all);
	free(f->inst);
	free(f->flows);
	free(f->chains.v);
	free(f->ceiling.v);
	free(f->unacted.v);
	free(f);
}

int sp_fa_figures(struct sp_fa *a)
{
	struct fig_run r = {a, NULL, 0, NULL};
	a->fig = calloc(1, sizeof(*a->fig));
	if (a->fig == NULL)
		return SP_ERR_NOMEM;
	a->fig->inst = calloc(a->n_logs, sizeof(*a->fig->inst));
	if (a->fig->inst == NULL)
		return SP_ERR_NOMEM;
	a->fig->n_inst = a->n_logs;
	for (size_t i = 0; i < a->n_logs; i++)
		snprintf(a->fig->inst[i].id, sizeof(a->fig->inst[i].id), "%s", a->logs[i].inst);
	snprintf(a->fig->all.id, sizeof(a->fig->all.id), "*");
	struct ref *all = NULL;
	int rc = names_build(&r);
	if (rc == 0)
		rc = gather(&r, &all);
	if (rc == 0 && r.n_reps)
		rc = sp_pool_for(a->o.pool, r.n_reps, GRAIN, compute_reports, &r);
	for (size_t i = 0; rc == 0 && i < r.n_reps; i++) {
		struct rep *p = &r.reps[i];
		if (p->outside)
			a->fig->outside_period++;
		else if (p->err == SP_ERR_NOMEM)
			rc = p->err;
		else if (p->err)
			a->fig->bad_bodies++;
		else {
			char holders[160];
			holders_text(a, p, holders, sizeof(holders));
			sum_report(a->fig, p, holders);
		}
	}
	if (rc == 0)
		roll_up(a);
	for (size_t i = 0; i < r.n_reps; i++)
		free(r.reps[i].ev);
	free(r.reps);
	free(all);
	free(r.names);
	return rc;
}

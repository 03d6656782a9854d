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

enum ev_kind {
	EV_RECEIVED, EV_ROUTED, EV_RESPONDED, EV_RESPONDED_IN_TIME, EV_VERIFIED, EV_FORWARDED,
	EV_BOUNCED, EV_BOUNCED_TO, EV_TOOK, EV_TAKEN_FROM, EV_ANSWERED, EV_FINISHED, EV_AUTO,
	EV_REOPENED, EV_RATED, EV_ARCHIVED, EV_MISSED, EV_ESC_ACTED, EV_ESC_UNACTED, EV_HELD,
	EV_OVERDUE, EV_PAST_CEILING, EV_RESPONSIBLE, EV_FOLLOWED, EV_HAND_D, EV_RESPOND_D,
	EV_ANSWER_D,
};

/* One thing that happened to an institution in one report. */
struct ev {
	uint32_t inst; /* index into the audit's logs */
	uint32_t kind;
	uint64_t v;    /* a rating, or a duration in ms */
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
	int long_chain, past_ceiling;
	unsigned chain_n;
	char chain[160];
	uint64_t age_days;
	unsigned unacted;                /* escalations nobody acted on */
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

static const uint8_t *item_bytes(const struct sp_fa *a, const struct sp_fa_item *it)
{
	return a->logs[it->log].bytes + it->off;
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
		struct sp_entry e;
		int rc = sp_entry_decode(item_bytes(nm->a, it), it->len, &e);
		if (rc == 0 && it->type == SP_EV_REPORT) {
			memcpy(it->report, it->hash, SP_HASH_BYTES);
			struct sp_report b;
			rc = sp_report_parse(e.body, e.body_len, &b);
		} else if (rc == 0) {
			rc = sp_report_trail_report(it->type, e.body, e.body_len, it->report);
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

static void ev(struct rep *p, uint32_t inst, enum ev_kind kind, uint64_t v)
{
	if (p->n_ev == p->cap_ev) {
		size_t cap = p->cap_ev ? 2 * p->cap_ev : 16;
		struct ev *n = realloc(p->ev, cap * sizeof(*n));
		if (n == NULL) {
			p->err = SP_ERR_NOMEM;
			return;
		}
		p->ev = n;
		p->cap_ev = cap;
	}
	p->ev[p->n_ev++] = (struct ev){inst, kind, v};
}

/* The applied entries of one trail, decoded. */
struct step {
	const char *inst;
	uint64_t t;
	uint64_t type;
	uint32_t code;     /* action code, 0 for an escalation */
	int officer;
	uint32_t rating;
};

static void ev_inst(const struct fig_run *r, struct rep *p, const char *id, enum ev_kind k,
		    uint64_t v)
{
	uint32_t ix;
	if (inst_of(r, id, &ix) == 0)
		ev(p, ix, k, v);
}

/* span_ended_by: how span sp ended: 1 handed on by its holder (disposisi,
 * bukan_wewenang), 2 taken over by another, 0 otherwise (open, closed). */
static int span_ended_by(const struct sp_report_span *sp, const struct step *s, size_t n)
{
	if (sp->open)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i].t != sp->end_ms || !s[i].officer)
			continue;
		int own = strcmp(s[i].inst, sp->inst) == 0;
		if (own && (s[i].code == SP_ACT_DISPOSISI || s[i].code == SP_ACT_BUKAN_WEWENANG))
			return 1;
		if (!own && s[i].code == SP_ACT_AMBIL_ALIH)
			return 2;
	}
	return 0;
}

static void spans_events(const struct fig_run *r, struct rep *p, const struct sp_report_state *st,
			 const struct step *s, size_t n, const struct sp_report_ctx *ctx)
{
	uint64_t now = r->a->o.now_ms;
	p->chain[0] = '\0';
	for (size_t k = 0; k < st->n_spans; k++) {
		const struct sp_report_span *sp = &st->spans[k];
		uint64_t end = sp->open ? now : sp->end_ms;
		int first = 1;
		for (size_t j = 0; j < k && first; j++)
			first = strcmp(st->spans[j].inst, sp->inst) != 0;
		if (first) {
			ev_inst(r, p, sp->inst, EV_RECEIVED, 0);
			p->chain_n++;
			size_t used = strlen(p->chain);
			snprintf(p->chain + used, sizeof(p->chain) - used, "%s%s", used ? ">" : "",
				 sp->inst);
		}
		if (k == 0)
			ev_inst(r, p, sp->inst, EV_ROUTED, 0);
		ev_inst(r, p, sp->inst, EV_HAND_D, end > sp->start_ms ? end - sp->start_ms : 0);
		for (size_t i = 0; i < n; i++) {
			if (!s[i].officer || s[i].code == SP_ACT_AMBIL_ALIH || s[i].t < sp->start_ms ||
			    s[i].t > end || strcmp(s[i].inst, sp->inst) != 0)
				continue;
			ev_inst(r, p, sp->inst, EV_RESPONDED, 0);
			ev_inst(r, p, sp->inst, EV_RESPOND_D, s[i].t - sp->start_ms);
			uint64_t due;
			if (sp_cal_add_working_days(ctx->cal, sp->start_ms, st->policy.verify_wd,
						    &due) == 0 && s[i].t <= due)
				ev_inst(r, p, sp->inst, EV_RESPONDED_IN_TIME, 0);
			break;
		}
		int how = span_ended_by(sp, s, n);
		if (how == 2)
			ev_inst(r, p, sp->inst, EV_TAKEN_FROM, 0);
		/* its last period decides whether the report stayed its to do */
		int last = 1;
		for (size_t j = k + 1; j < st->n_spans && last; j++)
			last = strcmp(st->spans[j].inst, sp->inst) != 0;
		if (last && how == 0) {
			ev_inst(r, p, sp->inst, EV_RESPONSIBLE, 0);
			for (size_t i = 0; i < n; i++)
				if (s[i].officer && s[i].code == SP_ACT_TINDAK_LANJUT &&
				    strcmp(s[i].inst, sp->inst) == 0) {
					ev_inst(r, p, sp->inst, EV_FOLLOWED, 0);
					break;
				}
		}
	}
}

/* span_at: the holding period of inst that contains time t, or NULL. */
static const struct sp_report_span *span_at(const struct sp_report_state *st, const char *inst,
					    uint64_t t)
{
	const struct sp_report_span *found = NULL;
	for (size_t k = 0; k < st->n_spans; k++) {
		const struct sp_report_span *sp = &st->spans[k];
		if (strcmp(sp->inst, inst) == 0 && sp->start_ms <= t && (sp->open || sp->end_ms >= t))
			found = sp;
	}
	return found;
}

/* steps_events: what each applied action and escalation did. */
static void steps_events(const struct fig_run *r, struct rep *p, const struct sp_report_state *st,
			 const struct step *s, size_t n)
{
	const char *answerer = NULL;
	const char *rated_by = NULL;
	uint32_t rating = 0;
	for (size_t i = 0; i < n; i++) {
		const struct step *x = &s[i];
		if (x->type == SP_EV_ESCALATION) {
			ev_inst(r, p, x->inst, EV_MISSED, 0);
			int acted = 0;
			for (size_t j = i + 1; j < n && !acted; j++)
				acted = s[j].officer;
			ev_inst(r, p, x->inst, acted ? EV_ESC_ACTED : EV_ESC_UNACTED, 0);
			p->unacted += !acted;
			continue;
		}
		if (!x->officer) {
			if (x->code == SP_ACT_BUKA_KEMBALI && answerer)
				ev_inst(r, p, answerer, EV_REOPENED, 0);
			if (x->code == SP_ACT_NILAI && answerer) {
				rated_by = answerer;
				rating = x->rating;
			}
			continue;
		}
		static const enum ev_kind kinds[] = {
			[SP_ACT_VERIFIKASI] = EV_VERIFIED, [SP_ACT_ARSIP] = EV_ARCHIVED,
			[SP_ACT_DISPOSISI] = EV_FORWARDED, [SP_ACT_BUKAN_WEWENANG] = EV_BOUNCED,
			[SP_ACT_TINDAK_LANJUT] = EV_ANSWERED, [SP_ACT_AMBIL_ALIH] = EV_TOOK,
		};
		if (x->code < sizeof(kinds) / sizeof(kinds[0]) && kinds[x->code])
			ev_inst(r, p, x->inst, kinds[x->code], 0);
		if (x->code == SP_ACT_TINDAK_LANJUT) {
			answerer = x->inst;
			const struct sp_report_span *sp = span_at(st, x->inst, x->t);
			if (sp)
				ev_inst(r, p, x->inst, EV_ANSWER_D, x->t - sp->start_ms);
		}
		if (x->code == SP_ACT_BUKAN_WEWENANG) {
			/* returned to whoever sent it: the period that ended now */
			for (size_t k = 0; k < st->n_spans; k++) {
				const struct sp_report_span *sp = &st->spans[k];
				if (!sp->open && sp->end_ms == x->t && strcmp(sp->inst, x->inst) == 0 &&
				    sp->from >= 0) {
					ev_inst(r, p, st->spans[sp->from].inst, EV_BOUNCED_TO, 0);
					break;
				}
			}
		}
	}
	if (rated_by)
		ev_inst(r, p, rated_by, EV_RATED, rating);
	if (st->status == SP_ST_SELESAI && answerer) {
		ev_inst(r, p, answerer, EV_FINISHED, 0);
		if (st->auto_closed)
			ev_inst(r, p, answerer, EV_AUTO, 0);
	}
}

static void holders_events(const struct fig_run *r, struct rep *p, const struct sp_report_state *st)
{
	uint64_t now = r->a->o.now_ms;
	int open = st->status == SP_ST_DITERIMA || st->status == SP_ST_DIVERIFIKASI ||
		   st->status == SP_ST_TUNDA || st->status == SP_ST_DIDISPOSISIKAN;
	uint64_t ceiling = st->submitted_ms + (uint64_t)st->policy.ceiling_days * SP_CAL_DAY_MS;
	p->past_ceiling = open && now > ceiling;
	p->age_days = now > st->submitted_ms ? (now - st->submitted_ms) / SP_CAL_DAY_MS : 0;
	if (!open)
		return;
	for (size_t h = 0; h < st->n_holders; h++) {
		ev_inst(r, p, st->holders[h], EV_HELD, 0);
		if (st->overdue)
			ev_inst(r, p, st->holders[h], EV_OVERDUE, 0);
		if (p->past_ceiling)
			ev_inst(r, p, st->holders[h], EV_PAST_CEILING, 0);
	}
}

/* decode_steps: the applied entries, in applying order. */
static size_t decode_steps(const struct fig_run *r, const struct rep *p,
			   const struct sp_report_state *st, struct step *s)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (st->verdict[i] != 0)
			continue;
		const struct sp_fa_item *it = p->trail[i].it;
		struct step *x = &s[n];
		struct sp_entry e;
		memset(x, 0, sizeof(*x));
		x->inst = r->a->logs[it->log].inst;
		x->t = it->time_ms;
		x->type = it->type;
		if (it->type == SP_EV_ACTION) {
			struct sp_report_action a;
			if (sp_entry_decode(item_bytes(r->a, it), it->len, &e) != 0 ||
			    sp_report_action_parse(e.body, e.body_len, &a) != 0)
				continue; /* cannot happen: it was applied */
			x->code = a.code;
			x->officer = a.actor == SP_ACTOR_OFFICER;
			x->rating = a.rating;
		}
		n++;
	}
	return n;
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
	struct step *s = calloc(p->n ? p->n : 1, sizeof(*s));
	struct sp_entry sub;
	struct sp_report body;
	if (t == NULL || s == NULL) {
		p->err = SP_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct sp_fa_item *it = p->trail[i].it;
		struct sp_entry e;
		sp_entry_decode(item_bytes(a, it), it->len, &e);
		t[i] = (struct sp_report_trail){a->logs[it->log].inst, it->index, it->time_ms,
						it->type, e.body, e.body_len};
	}
	p->err = sp_entry_decode(item_bytes(a, p->sub), p->sub->len, &sub);
	if (p->err == 0)
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
	spans_events(r, p, &st, s, n, &ctx);
	steps_events(r, p, &st, s, n);
	holders_events(r, p, &st);
	p->long_chain = p->chain_n > a->o.chain_n;
	sp_report_state_free(&st);
out:
	free(t);
	free(s);
}

static int compute_reports(void *arg, size_t begin, size_t end)
{
	struct fig_run *r = arg;
	for (size_t i = begin; i < end; i++)
		one_report(r, &r->reps[i]);
	return 0;
}

/* ---- summing up ------------------------------------------------------------------------ */

static void durs_add(struct sp_fa_durs *d, uint64_t v)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		uint64_t *n = realloc(d->v, cap * sizeof(*n));
		if (n == NULL)
			return; /* a figure with fewer samples beats none; see n */
		d->v = n;
		d->cap = cap;
	}
	d->v[d->n++] = v;
}

static void count(struct sp_fa_row *row, const struct ev *e)
{
	struct sp_fa_counts *c = &row->c;
	uint64_t *slot[] = {
		[EV_RECEIVED] = &c->received, [EV_ROUTED] = &c->routed,
		[EV_RESPONDED] = &c->responded, [EV_RESPONDED_IN_TIME] = &c->responded_in_time,
		[EV_VERIFIED] = &c->verified, [EV_FORWARDED] = &c->forwarded,
		[EV_BOUNCED] = &c->bounced, [EV_BOUNCED_TO] = &c->bounced_to,
		[EV_TOOK] = &c->taken_over, [EV_TAKEN_FROM] = &c->taken_from,
		[EV_ANSWERED] = &c->answered, [EV_FINISHED] = &c->finished,
		[EV_AUTO] = &c->auto_closed, [EV_REOPENED] = &c->reopened,
		[EV_RATED] = &c->rated, [EV_ARCHIVED] = &c->archived, [EV_MISSED] = &c->missed,
		[EV_ESC_ACTED] = &c->esc_acted, [EV_ESC_UNACTED] = &c->esc_unacted,
		[EV_HELD] = &c->held_now, [EV_OVERDUE] = &c->overdue_now,
		[EV_PAST_CEILING] = &c->past_ceiling, [EV_RESPONSIBLE] = &c->responsible,
		[EV_FOLLOWED] = &c->followed_up,
	};
	if (e->kind == EV_HAND_D)
		durs_add(&row->hand_d, e->v);
	else if (e->kind == EV_RESPOND_D)
		durs_add(&row->respond_d, e->v);
	else if (e->kind == EV_ANSWER_D)
		durs_add(&row->answer_d, e->v);
	else
		(*slot[e->kind])++;
	if (e->kind == EV_RATED)
		c->rating_sum += e->v;
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* summarise: nearest-rank median and 90th percentile. */
static void summarise(struct sp_fa_durs *d, struct sp_fa_stat *s)
{
	s->n = d->n;
	if (d->n) {
		qsort(d->v, d->n, sizeof(*d->v), u64_cmp);
		s->median_ms = d->v[(d->n + 1) / 2 - 1];
		s->p90_ms = d->v[(d->n * 9 + 9) / 10 - 1];
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
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

static void add_counts(struct sp_fa_counts *to, const struct sp_fa_counts *from)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *f = (const uint64_t *)from;
	for (size_t i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] += f[i];
}

static void merge_durs(struct sp_fa_durs *to, const struct sp_fa_durs *from)
{
	for (size_t i = 0; i < from->n; i++)
		durs_add(to, from->v[i]);
}

static void sum_report(struct sp_fa_fig *f, const struct rep *p, const char *holders)
{
	f->reports++;
	f->status[p->status < 8 ? p->status : 0]++;
	f->bounce_hist[p->bounces < 3 ? p->bounces : 3]++;
	f->trail_applied += p->applied;
	f->trail_refused += p->refused;
	for (size_t k = 0; k < p->n_ev; k++) {
		count(&f->inst[p->ev[k].inst], &p->ev[k]);
		if (p->ev[k].kind == EV_MISSED)
			f->escalations++;
		if (p->ev[k].kind == EV_ESC_ACTED)
			f->esc_acted++;
		if (p->ev[k].kind == EV_ESC_UNACTED)
			f->esc_unacted++;
	}
	if (p->long_chain)
		list_add(&f->chains, p->sub->hash, p->chain, p->chain_n);
	if (p->past_ceiling)
		list_add(&f->ceiling, p->sub->hash, holders, p->age_days);
	if (p->unacted)
		list_add(&f->unacted, p->sub->hash, holders, p->unacted);
}

/* holders_text: the institutions holding report p now (from its events). */
static void holders_text(const struct sp_fa *a, const struct rep *p, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t k = 0; k < p->n_ev; k++) {
		if (p->ev[k].kind != EV_HELD)
			continue;
		size_t used = strlen(out);
		snprintf(out + used, cap - used, "%s%s", used ? " " : "", a->logs[p->ev[k].inst].inst);
	}
}

static void roll_up(struct sp_fa *a)
{
	struct sp_fa_fig *f = a->fig;
	for (size_t i = 0; i < f->n_inst; i++) {
		struct sp_fa_row *row = &f->inst[i];
		unsigned tier = a->logs[i].tier < SP_FA_TIERS ? a->logs[i].tier : SP_FA_TIERS - 1;
		struct sp_fa_row *up[] = {&f->tier[tier], &f->all};
		for (size_t u = 0; u < 2; u++) {
			add_counts(&up[u]->c, &row->c);
			merge_durs(&up[u]->hand_d, &row->hand_d);
			merge_durs(&up[u]->respond_d, &row->respond_d);
			merge_durs(&up[u]->answer_d, &row->answer_d);
		}
	}
	struct sp_fa_row *rows[SP_FA_TIERS + 1];
	for (size_t t = 0; t < SP_FA_TIERS; t++)
		rows[t] = &f->tier[t];
	rows[SP_FA_TIERS] = &f->all;
	for (size_t i = 0; i < f->n_inst + SP_FA_TIERS + 1; i++) {
		struct sp_fa_row *row = i < f->n_inst ? &f->inst[i] : rows[i - f->n_inst];
		summarise(&row->hand_d, &row->hand);
		summarise(&row->respond_d, &row->respond);
		summarise(&row->answer_d, &row->answer);
	}
}

double sp_fa_rate(const struct sp_fa_counts *c)
{
	return c->responsible ? (double)c->followed_up / (double)c->responsible : -1.0;
}

void sp_fa_fig_free(struct sp_fa_fig *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_inst; i++) {
		free(f->inst[i].hand_d.v);
		free(f->inst[i].respond_d.v);
		free(f->inst[i].answer_d.v);
	}
	free(f->inst);
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
		if (p->err == SP_ERR_NOMEM)
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

/*
 * sp_hfig.c - the handling figures (sp_hfig.h): from one report's computed
 * state and applied steps to per-institution events, and from events to
 * rows of counters and duration statistics. Moved here from the audit so
 * that `simpul audit` and the node's dashboard share one definition.
 */
#include "sp_hfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

int sp_hfig_step_of(const char *inst, uint64_t t, uint64_t type, const uint8_t *body, size_t len,
		    struct sp_hfig_step *s)
{
	memset(s, 0, sizeof(*s));
	s->inst = inst;
	s->t = t;
	s->type = type;
	if (type != SP_EV_ACTION)
		return 0;
	struct sp_report_action a;
	int rc = sp_report_action_parse(body, len, &a);
	if (rc)
		return rc;
	s->code = a.code;
	s->officer = a.actor == SP_ACTOR_OFFICER;
	s->rating = a.rating;
	return 0;
}

/* ---- one report ---------------------------------------------------------------- */

static int ev(struct sp_hfig_report *p, const char *inst, enum sp_hfig_kind kind, uint64_t v)
{
	if (sp_grow((void **)&p->ev, &p->cap_ev, p->n_ev, sizeof(*p->ev)) != 0)
		return SP_ERR_NOMEM;
	p->ev[p->n_ev++] = (struct sp_hfig_ev){inst, NULL, kind, v};
	return 0;
}

static int flow(struct sp_hfig_report *p, const char *from, const char *to, enum sp_hfig_kind k)
{
	int rc = ev(p, from, k, 0);
	if (rc == 0)
		p->ev[p->n_ev - 1].to = to;
	return rc;
}

/* span_ended_by: how span sp ended: 1 handed on by its holder (disposisi,
 * bukan_wewenang), 2 taken over by another, 0 otherwise (open, closed). */
static int span_ended_by(const struct sp_report_span *sp, const struct sp_hfig_step *s, size_t n)
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

/* forwarded_by: span k began with a disposisi by the holder of the span
 * that sent it (not a return, not a take-over). */
static int forwarded_by(const struct sp_report_state *st, size_t k, const struct sp_hfig_step *s,
			size_t n)
{
	const struct sp_report_span *sp = &st->spans[k];
	if (sp->from < 0)
		return 0;
	const char *from = st->spans[sp->from].inst;
	for (size_t i = 0; i < n; i++)
		if (s[i].t == sp->start_ms && s[i].officer && s[i].code == SP_ACT_DISPOSISI &&
		    strcmp(s[i].inst, from) == 0)
			return 1;
	return 0;
}

/* first_response: the period's first officer action by its holder other
 * than a take-over (NULL if none). */
static const struct sp_hfig_step *first_response(const struct sp_report_span *sp, uint64_t end,
						 const struct sp_hfig_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].officer && s[i].code != SP_ACT_AMBIL_ALIH && s[i].t >= sp->start_ms &&
		    s[i].t <= end && strcmp(s[i].inst, sp->inst) == 0)
			return &s[i];
	return NULL;
}

/* is_open: the report waits on an institution (not answered, not closed). */
static int is_open(const struct sp_report_state *st)
{
	return st->status == SP_ST_DITERIMA || st->status == SP_ST_DIVERIFIKASI ||
	       st->status == SP_ST_TUNDA || st->status == SP_ST_DIDISPOSISIKAN;
}

/* answered_by: inst's officers answered the report (tindak_lanjut). */
static int answered_by(const char *inst, const struct sp_hfig_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].officer && s[i].code == SP_ACT_TINDAK_LANJUT && strcmp(s[i].inst, inst) == 0)
			return 1;
	return 0;
}

/* span_events: what holding period k means for its holder. The follow-up
 * rate's two counters (docs/audit.md): a report stays its holder's to do
 * when its last period there was not ended by its handing it on or by a
 * take-over; it counts as `responsible` once it is due, i.e. answered by
 * it, or past a deadline in force (st->overdue at now: verify, answer or
 * the ceiling), or closed without its answer; until then (still in its
 * hands, unanswered, no deadline passed) it is `not_yet_due` and left out
 * of the rate, so fresh reports do not pull it down. */
static int span_events(struct sp_hfig_report *p, const struct sp_report_state *st, size_t k,
		       const struct sp_hfig_step *s, size_t n, const struct sp_cal *cal,
		       uint64_t now)
{
	const struct sp_report_span *sp = &st->spans[k];
	uint64_t end = sp->open ? now : sp->end_ms;
	int first = 1, rc = 0;
	for (size_t j = 0; j < k && first; j++)
		first = strcmp(st->spans[j].inst, sp->inst) != 0;
	if (first) {
		rc |= ev(p, sp->inst, SP_HF_RECEIVED, sp->start_ms);
		p->chain_n++;
		size_t used = strlen(p->chain);
		snprintf(p->chain + used, sizeof(p->chain) - used, "%s%s", used ? ">" : "", sp->inst);
	}
	if (k == 0)
		rc |= ev(p, sp->inst, SP_HF_ROUTED, 0);
	if (forwarded_by(st, k, s, n))
		rc |= flow(p, st->spans[sp->from].inst, sp->inst, SP_HF_FLOW_FWD);
	rc |= ev(p, sp->inst, SP_HF_HAND_D, end > sp->start_ms ? end - sp->start_ms : 0);
	const struct sp_hfig_step *r = first_response(sp, end, s, n);
	if (r) {
		rc |= ev(p, sp->inst, SP_HF_RESPONDED, 0);
		rc |= ev(p, sp->inst, SP_HF_RESPOND_D, r->t - sp->start_ms);
		uint64_t due;
		if (sp_cal_add_working_days(cal, sp->start_ms, st->policy.verify_wd, &due) == 0 &&
		    r->t <= due)
			rc |= ev(p, sp->inst, SP_HF_RESPONDED_IN_TIME, 0);
	}
	int how = span_ended_by(sp, s, n);
	if (how == 2)
		rc |= ev(p, sp->inst, SP_HF_TAKEN_FROM, 0);
	/* its last period decides whether the report stayed its to do */
	int last = 1;
	for (size_t j = k + 1; j < st->n_spans && last; j++)
		last = strcmp(st->spans[j].inst, sp->inst) != 0;
	if (last && how == 0) {
		int followed = answered_by(sp->inst, s, n);
		if (!followed && sp->open && is_open(st) && !st->overdue) {
			rc |= ev(p, sp->inst, SP_HF_NOT_YET_DUE, 0);
		} else {
			rc |= ev(p, sp->inst, SP_HF_RESPONSIBLE, 0);
			if (followed)
				rc |= ev(p, sp->inst, SP_HF_FOLLOWED, 0);
		}
	}
	return rc ? SP_ERR_NOMEM : 0;
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

/* returned_to: who a bukan_wewenang by x sent the report back to. */
static const char *returned_to(const struct sp_report_state *st, const struct sp_hfig_step *x)
{
	for (size_t k = 0; k < st->n_spans; k++) {
		const struct sp_report_span *sp = &st->spans[k];
		if (!sp->open && sp->end_ms == x->t && strcmp(sp->inst, x->inst) == 0 && sp->from >= 0)
			return st->spans[sp->from].inst;
	}
	return NULL;
}

static int escalation_events(struct sp_hfig_report *p, const struct sp_hfig_step *s, size_t n,
			     size_t i)
{
	int acted = 0;
	for (size_t j = i + 1; j < n && !acted; j++)
		acted = s[j].officer;
	p->unacted += !acted;
	p->acted += acted;
	return ev(p, s[i].inst, SP_HF_MISSED, 0) |
	       ev(p, s[i].inst, acted ? SP_HF_ESC_ACTED : SP_HF_ESC_UNACTED, 0);
}

/* steps_events: what each applied action and escalation did. */
static int steps_events(struct sp_hfig_report *p, const struct sp_report_state *st,
			const struct sp_hfig_step *s, size_t n)
{
	static const enum sp_hfig_kind kinds[] = {
		[SP_ACT_VERIFIKASI] = SP_HF_VERIFIED,	  [SP_ACT_ARSIP] = SP_HF_ARCHIVED,
		[SP_ACT_DISPOSISI] = SP_HF_FORWARDED,	  [SP_ACT_BUKAN_WEWENANG] = SP_HF_BOUNCED,
		[SP_ACT_TINDAK_LANJUT] = SP_HF_ANSWERED, [SP_ACT_AMBIL_ALIH] = SP_HF_TOOK,
	};
	const char *answerer = NULL, *rated_by = NULL;
	uint32_t rating = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sp_hfig_step *x = &s[i];
		if (x->type == SP_EV_ESCALATION) {
			rc |= escalation_events(p, s, n, i);
			continue;
		}
		if (!x->officer) {
			if (x->code == SP_ACT_BUKA_KEMBALI && answerer)
				rc |= ev(p, answerer, SP_HF_REOPENED, 0);
			if (x->code == SP_ACT_NILAI && answerer) {
				rated_by = answerer;
				rating = x->rating;
			}
			continue;
		}
		if (x->code < sizeof(kinds) / sizeof(kinds[0]) && kinds[x->code])
			rc |= ev(p, x->inst, kinds[x->code], 0);
		if (x->code == SP_ACT_TINDAK_LANJUT) {
			answerer = x->inst;
			const struct sp_report_span *sp = span_at(st, x->inst, x->t);
			if (sp)
				rc |= ev(p, x->inst, SP_HF_ANSWER_D, x->t - sp->start_ms);
		}
		const char *back = x->code == SP_ACT_BUKAN_WEWENANG ? returned_to(st, x) : NULL;
		if (back) {
			rc |= ev(p, back, SP_HF_BOUNCED_TO, 0);
			rc |= flow(p, x->inst, back, SP_HF_FLOW_BACK);
		}
	}
	if (rated_by)
		rc |= ev(p, rated_by, SP_HF_RATED, rating);
	if (st->status == SP_ST_SELESAI && answerer) {
		rc |= ev(p, answerer, SP_HF_FINISHED, st->closed_ms);
		if (st->auto_closed)
			rc |= ev(p, answerer, SP_HF_AUTO, 0);
	}
	return rc ? SP_ERR_NOMEM : 0;
}

static int holders_events(struct sp_hfig_report *p, const struct sp_report_state *st, uint64_t now)
{
	p->open = is_open(st);
	uint64_t ceiling = st->submitted_ms + (uint64_t)st->policy.ceiling_days * SP_CAL_DAY_MS;
	p->past_ceiling = p->open && now > ceiling;
	p->age_days = now > st->submitted_ms ? (now - st->submitted_ms) / SP_CAL_DAY_MS : 0;
	int rc = 0;
	for (size_t h = 0; p->open && h < st->n_holders; h++) {
		rc |= ev(p, st->holders[h], SP_HF_HELD, 0);
		if (st->overdue)
			rc |= ev(p, st->holders[h], SP_HF_OVERDUE, 0);
		if (p->past_ceiling)
			rc |= ev(p, st->holders[h], SP_HF_PAST_CEILING, 0);
	}
	return rc ? SP_ERR_NOMEM : 0;
}

int sp_hfig_report(const struct sp_report_state *st, const struct sp_hfig_step *s, size_t n,
		   const struct sp_cal *cal, uint64_t now, struct sp_hfig_report *out)
{
	memset(out, 0, sizeof(*out));
	int rc = 0;
	for (size_t k = 0; rc == 0 && k < st->n_spans; k++)
		rc = span_events(out, st, k, s, n, cal, now);
	if (rc == 0)
		rc = steps_events(out, st, s, n);
	if (rc == 0)
		rc = holders_events(out, st, now);
	return rc;
}

void sp_hfig_report_free(struct sp_hfig_report *p)
{
	free(p->ev);
	p->ev = NULL;
	p->n_ev = p->cap_ev = 0;
}

/* ---- rows ------------------------------------------------------------------------ */

const struct sp_hfig_counter_def sp_hfig_counters[] = {
#define C(f) {#f, offsetof(struct sp_hfig_counts, f)}
	C(received), C(routed), C(responded), C(responded_in_time), C(verified), C(forwarded),
	C(bounced), C(bounced_to), C(taken_over), C(taken_from), C(answered), C(finished),
	C(auto_closed), C(reopened), C(rated), C(archived), C(missed), C(esc_acted),
	C(esc_unacted), C(held_now), C(overdue_now), C(past_ceiling), C(responsible),
	C(followed_up), C(not_yet_due),
#undef C
};
const size_t sp_hfig_n_counters = sizeof(sp_hfig_counters) / sizeof(sp_hfig_counters[0]);

uint64_t sp_hfig_counter(const struct sp_hfig_counts *c, size_t i)
{
	return *(const uint64_t *)((const char *)c + sp_hfig_counters[i].off);
}

static void durs_add(struct sp_hfig_durs *d, uint64_t v)
{
	if (sp_grow((void **)&d->v, &d->cap, d->n, sizeof(*d->v)) != 0)
		return; /* a figure with fewer samples beats none; see n */
	d->v[d->n++] = v;
}

void sp_hfig_count(struct sp_hfig_row *row, const struct sp_hfig_ev *e)
{
	struct sp_hfig_counts *c = &row->c;
	uint64_t *slot[] = {
		[SP_HF_RECEIVED] = &c->received, [SP_HF_ROUTED] = &c->routed,
		[SP_HF_RESPONDED] = &c->responded, [SP_HF_RESPONDED_IN_TIME] = &c->responded_in_time,
		[SP_HF_VERIFIED] = &c->verified, [SP_HF_FORWARDED] = &c->forwarded,
		[SP_HF_BOUNCED] = &c->bounced, [SP_HF_BOUNCED_TO] = &c->bounced_to,
		[SP_HF_TOOK] = &c->taken_over, [SP_HF_TAKEN_FROM] = &c->taken_from,
		[SP_HF_ANSWERED] = &c->answered, [SP_HF_FINISHED] = &c->finished,
		[SP_HF_AUTO] = &c->auto_closed, [SP_HF_REOPENED] = &c->reopened,
		[SP_HF_RATED] = &c->rated, [SP_HF_ARCHIVED] = &c->archived,
		[SP_HF_MISSED] = &c->missed, [SP_HF_ESC_ACTED] = &c->esc_acted,
		[SP_HF_ESC_UNACTED] = &c->esc_unacted, [SP_HF_HELD] = &c->held_now,
		[SP_HF_OVERDUE] = &c->overdue_now, [SP_HF_PAST_CEILING] = &c->past_ceiling,
		[SP_HF_RESPONSIBLE] = &c->responsible, [SP_HF_FOLLOWED] = &c->followed_up,
		[SP_HF_NOT_YET_DUE] = &c->not_yet_due,
	};
	if (e->kind == SP_HF_HAND_D)
		durs_add(&row->hand_d, e->v);
	else if (e->kind == SP_HF_RESPOND_D)
		durs_add(&row->respond_d, e->v);
	else if (e->kind == SP_HF_ANSWER_D)
		durs_add(&row->answer_d, e->v);
	else if (e->kind < sizeof(slot) / sizeof(slot[0]) && slot[e->kind])
		(*slot[e->kind])++;
	if (e->kind == SP_HF_RATED)
		c->rating_sum += e->v;
}

static void merge_durs(struct sp_hfig_durs *to, const struct sp_hfig_durs *from)
{
	for (size_t i = 0; i < from->n; i++)
		durs_add(to, from->v[i]);
}

void sp_hfig_row_add(struct sp_hfig_row *to, const struct sp_hfig_row *from)
{
	uint64_t *t = (uint64_t *)&to->c;
	const uint64_t *f = (const uint64_t *)&from->c;
	for (size_t i = 0; i < sizeof(to->c) / sizeof(uint64_t); i++)
		t[i] += f[i];
	merge_durs(&to->hand_d, &from->hand_d);
	merge_durs(&to->respond_d, &from->respond_d);
	merge_durs(&to->answer_d, &from->answer_d);
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* summarise: nearest-rank median and 90th percentile. */
static void summarise(struct sp_hfig_durs *d, struct sp_hfig_stat *s)
{
	s->n = d->n;
	if (d->n) {
		qsort(d->v, d->n, sizeof(*d->v), u64_cmp);
		s->median_ms = d->v[(d->n + 1) / 2 - 1];
		s->p90_ms = d->v[(d->n * 9 + 9) / 10 - 1];
	}
	free(d->v);
	*d = (struct sp_hfig_durs){0};
}

void sp_hfig_row_summarise(struct sp_hfig_row *row)
{
	summarise(&row->hand_d, &row->hand);
	summarise(&row->respond_d, &row->respond);
	summarise(&row->answer_d, &row->answer);
}

void sp_hfig_row_free(struct sp_hfig_row *row)
{
	struct sp_hfig_durs *d[] = {&row->hand_d, &row->respond_d, &row->answer_d};
	for (size_t i = 0; i < 3; i++) {
		free(d[i]->v);
		*d[i] = (struct sp_hfig_durs){0};
	}
}

double sp_hfig_rate(const struct sp_hfig_counts *c)
{
	return c->responsible ? (double)c->followed_up / (double)c->responsible : -1.0;
}

double sp_hfig_rating_mean(const struct sp_hfig_counts *c)
{
	return c->rated ? (double)c->rating_sum / (double)c->rated : 0.0;
}

int sp_hfig_month(const char *s, struct sp_hfig_period *p)
{
	if (s == NULL || strlen(s) != 7 || s[4] != '-')
		return SP_ERR_ARG;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return SP_ERR_ARG;
	uint32_t y = (uint32_t)atoi(s), m = (uint32_t)atoi(s + 5);
	int64_t d0, d1;
	if (y < 1970 || m < 1 || m > 12 ||
	    sp_cal_ymd_to_day(y * 10000 + m * 100 + 1, &d0) != 0 ||
	    sp_cal_ymd_to_day(m == 12 ? (y + 1) * 10000 + 101 : y * 10000 + (m + 1) * 100 + 1,
			      &d1) != 0)
		return SP_ERR_ARG;
	p->from_ms = sp_cal_day_start_ms(d0);
	p->to_ms = sp_cal_day_start_ms(d1);
	return 0;
}

int sp_hfig_in_period(const struct sp_hfig_period *p, uint64_t t)
{
	return p->to_ms == 0 || (t >= p->from_ms && t < p->to_ms);
}

const char *sp_hfig_tier_name(unsigned t)
{
	static const char *const names[] = {"coordinator", "ministry", "agency",
					    "province",    "kabkota",  "unit"};
	return t < SP_HFIG_TIERS ? names[t] : "?";
}

/* ---- JSON -------------------------------------------------------------------------- */

static json_t *stat_json(const struct sp_hfig_stat *s)
{
	return json_pack("{s:I,s:I,s:I}", "n", (json_int_t)s->n, "median_ms",
			 (json_int_t)s->median_ms, "p90_ms", (json_int_t)s->p90_ms);
}

json_t *sp_hfig_row_json(const struct sp_hfig_row *r)
{
	json_t *j = json_object();
	for (size_t i = 0; j && i < sp_hfig_n_counters; i++)
		json_object_set_new(j, sp_hfig_counters[i].name,
				    json_integer((json_int_t)sp_hfig_counter(&r->c, i)));
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "rating_mean",
			    r->c.rated ? json_real(sp_hfig_rating_mean(&r->c)) : json_null());
	double rate = sp_hfig_rate(&r->c);
	json_object_set_new(j, "completion_rate", rate >= 0 ? json_real(rate) : json_null());
	json_object_set_new(j, "below_threshold",
			    json_boolean(rate >= 0 && rate < SP_HFIG_THRESHOLD));
	json_object_set_new(j, "time_in_hand", stat_json(&r->hand));
	json_object_set_new(j, "time_to_first_action", stat_json(&r->respond));
	json_object_set_new(j, "time_to_answer", stat_json(&r->answer));
	return j;
}

/* ---- CSV --------------------------------------------------------------------------- */

void sp_hfig_csv_text(struct sp_buf *b, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		sp_buf_put(b, s, strlen(s));
		return;
	}
	sp_buf_put(b, "\"", 1);
	for (; *s; s++)
		sp_buf_put(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	sp_buf_put(b, "\"", 1);
}

void sp_hfig_csv_header(struct sp_buf *b)
{
	sp_buf_printf(b, "scope,id,name,tier,log_status");
	for (size_t i = 0; i < sp_hfig_n_counters; i++)
		sp_buf_printf(b, ",%s", sp_hfig_counters[i].name);
	sp_buf_printf(b, ",rating_mean,completion_rate,below_threshold");
	static const char *const durs[] = {"time_in_hand", "time_to_first_action", "time_to_answer"};
	for (size_t k = 0; k < 3; k++)
		sp_buf_printf(b, ",%s_n,%s_median_ms,%s_p90_ms", durs[k], durs[k], durs[k]);
	sp_buf_put(b, "\n", 1);
}

void sp_hfig_csv_row(struct sp_buf *b, const char *scope, const char *id, const char *name,
		     const char *tier, const char *status, const struct sp_hfig_row *r)
{
	const char *lead[] = {scope, id, name, tier, status};
	for (size_t i = 0; i < 5; i++) {
		if (i)
			sp_buf_put(b, ",", 1);
		sp_hfig_csv_text(b, lead[i]);
	}
	for (size_t i = 0; i < sp_hfig_n_counters; i++)
		sp_buf_printf(b, ",%llu", (unsigned long long)sp_hfig_counter(&r->c, i));
	double rate = sp_hfig_rate(&r->c);
	if (r->c.rated)
		sp_buf_printf(b, ",%.3f", sp_hfig_rating_mean(&r->c));
	else
		sp_buf_printf(b, ",");
	if (rate >= 0)
		sp_buf_printf(b, ",%.4f,%s", rate, rate < SP_HFIG_THRESHOLD ? "yes" : "no");
	else
		sp_buf_printf(b, ",,");
	const struct sp_hfig_stat *st[] = {&r->hand, &r->respond, &r->answer};
	for (size_t k = 0; k < 3; k++)
		sp_buf_printf(b, ",%llu,%llu,%llu", (unsigned long long)st[k]->n,
			      (unsigned long long)st[k]->median_ms, (unsigned long long)st[k]->p90_ms);
	sp_buf_put(b, "\n", 1);
}

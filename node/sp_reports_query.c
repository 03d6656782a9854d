/*
 * sp_reports_query.c - the report index's readers (see sp_reports.h):
 * views computed from the trail, pending marks, involvement, queries
 * answered by intersecting posting lists in step, and counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_clock.h"
#include "sp_err.h"
#include "sp_reports_int.h"

#define QUERY_TERMS 9 /* most posting lists one query intersects (8 terms + time) */

/* ---- simple reads ----------------------------------------------------------------- */

size_t sp_reports_count(struct sp_reports *r)
{
	pthread_rwlock_rdlock(&r->lk);
	size_t n = (size_t)sp_rcount_get(r, "a");
	pthread_rwlock_unlock(&r->lk);
	return n;
}

int sp_reports_involved(struct sp_reports *r, const char *inst, uint32_t log)
{
	int found = 0;
	pthread_rwlock_rdlock(&r->lk);
	sp_lower_bound(r->pairs, r->n_pairs, sizeof(*r->pairs), &(struct sp_rpair_key){log, inst},
		       sp_rpair_cmp, &found);
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

/* load_id reads report id's record. */
static int load_id(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], struct sp_rrec *p)
{
	uint64_t seq;
	if (atomic_load(&r->broken))
		return SP_ERR_BUSY;
	int rc = sp_rseq_of(r, id, &seq);
	if (rc == 0)
		rc = sp_rrec_load(r, seq, p);
	if (rc == 0 && memcmp(p->id, id, SP_HASH_BYTES) != 0) {
		sp_rrec_free(p);
		rc = sp_reports_damaged(r, SP_ERR_CORRUPT, "report record");
	}
	return rc;
}

int sp_reports_locate(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint32_t *log,
		      uint64_t *index)
{
	struct sp_rrec p;
	int rc = load_id(r, id, &p);
	if (rc == 0) {
		*log = p.sub.log;
		*index = p.sub.index;
		sp_rrec_free(&p);
	}
	return rc;
}

int sp_reports_pending(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES])
{
	uint64_t seq;
	int rc = atomic_load(&r->broken) ? SP_ERR_BUSY : sp_rseq_of(r, id, &seq);
	if (rc)
		return rc;
	pthread_mutex_lock(&r->pmu);
	for (size_t i = 0; rc == 0 && i < r->n_pending; i++)
		if (memcmp(r->pending[i], id, SP_HASH_BYTES) == 0)
			rc = SP_ERR_BUSY;
	if (rc == 0 && sp_grow((void **)&r->pending, &r->cap_pending, r->n_pending,
			       sizeof(*r->pending)))
		rc = SP_ERR_NOMEM;
	if (rc == 0)
		memcpy(r->pending[r->n_pending++], id, SP_HASH_BYTES);
	pthread_mutex_unlock(&r->pmu);
	return rc;
}

void sp_reports_unpend(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES])
{
	pthread_mutex_lock(&r->pmu);
	for (size_t i = 0; i < r->n_pending; i++)
		if (memcmp(r->pending[i], id, SP_HASH_BYTES) == 0) {
			memcpy(r->pending[i], r->pending[--r->n_pending], SP_HASH_BYTES);
			break;
		}
	pthread_mutex_unlock(&r->pmu);
}

/* ---- the compute context ------------------------------------------------------------ */

/* sp_reports_known: report id is in this index (the compute context's
 * report_known, set by sp_reports_new; arg is the index). */
int sp_reports_known(void *arg, const uint8_t id[SP_HASH_BYTES])
{
	uint32_t log;
	uint64_t index;
	return sp_reports_locate(arg, id, &log, &index) == 0;
}

void sp_reports_ctx(struct sp_reports *r, const char *category, struct sp_report_ctx *ctx)
{
	sp_report_dir_ctx(&r->rd, r->o.cal, category, r->o.policy, ctx);
}

/* ---- views ---------------------------------------------------------------------------- */

/* read_item reads and decodes one stored entry into it. */
static int read_item(struct sp_reports *r, struct sp_rloc at, struct sp_reports_item *it)
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

static int view_items(struct sp_reports *r, const struct sp_rrec *p,
		      const struct sp_reports_extra *x, uint64_t now, struct sp_reports_view *v)
{
	v->items = calloc(p->n_trail + 1, sizeof(*v->items));
	if (v->items == NULL)
		return SP_ERR_NOMEM;
	for (; v->n < p->n_trail; v->n++) {
		int rc = read_item(r, p->trail[v->n], &v->items[v->n]);
		if (rc)
			return rc;
		v->items[v->n].sig_ok = p->trail[v->n].sig_ok;
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
						it->e.body, it->e.body_len, it->sig_ok};
	}
	struct sp_report_ctx ctx;
	char category[SP_DIR_CATEGORY_MAX + 1];
	snprintf(category, sizeof(category), "%.*s", (int)v->body.category.n, v->body.category.p);
	sp_reports_ctx(r, category, &ctx);
	int rc = sp_report_compute(id, &v->sub.e, v->sub.inst, t, v->n, &ctx, now, &v->st);
	free(t);
	return rc;
}

int sp_rview_of(struct sp_reports *r, const struct sp_rrec *p, uint64_t now,
		const struct sp_reports_extra *x, struct sp_reports_view *v)
{
	memset(v, 0, sizeof(*v));
	v->gen = p->n_trail;
	v->indexed_ms = p->indexed_ms;
	int rc = read_item(r, p->sub, &v->sub);
	if (rc == 0)
		rc = sp_report_parse(v->sub.e.body, v->sub.e.body_len, &v->body);
	if (rc == 0)
		rc = view_items(r, p, x, now, v);
	if (rc == 0)
		rc = view_compute(r, p->id, now, v);
	if (rc)
		sp_reports_view_free(v);
	return rc;
}

int sp_reports_view(struct sp_reports *r, const uint8_t id[SP_HASH_BYTES], uint64_t now,
		    const struct sp_reports_extra *x, struct sp_reports_view *v)
{
	struct sp_rrec p;
	memset(v, 0, sizeof(*v));
	int rc = load_id(r, id, &p);
	if (rc == 0) {
		rc = sp_rview_of(r, &p, now, x, v);
		sp_rrec_free(&p);
	}
	return rc;
}

int sp_reports_view_recompute(struct sp_reports *r, struct sp_reports_view *v, uint64_t now)
{
	uint8_t id[SP_HASH_BYTES];
	memcpy(id, v->st.id, sizeof(id));
	sp_report_state_free(&v->st);
	memset(&v->st, 0, sizeof(v->st));
	return view_compute(r, id, now, v);
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

/* ---- queries ------------------------------------------------------------------------ */

/* One posting list: the reports with a term, by seq. */
struct list {
	struct sp_store_ixit *it;
	char term[SP_TERM_MAX];
	uint8_t pre[SP_TERM_MAX + 2]; /* 'P' term 0 */
	size_t npre;
	uint64_t seq; /* current (0: not positioned; UINT64_MAX: at the end) */
};

/* What one filter walks: the union of its lists (one, or the days or
 * months a time range covers), by seq. */
struct walk {
	struct list *l;
	size_t n;
	uint64_t count; /* reports on its lists */
	uint64_t seq;
	size_t at;        /* the list holding seq */
	const char *term; /* its term (NULL: the day or month lists of a time range) */
};

#define LIST_STEPS 4 /* nexts tried before a seek: most pages read consecutive postings */

/* list_here reads the posting under l's iterator into l->seq (UINT64_MAX:
 * past the list). */
static int list_here(struct list *l)
{
	const uint8_t *kb;
	size_t kn;
	int rc = sp_store_ixit_get(l->it, &kb, &kn, NULL, NULL);
	if (rc == SP_ERR_NOT_FOUND || (rc == 0 && (kn != l->npre + 8 ||
						  memcmp(kb, l->pre, l->npre) != 0))) {
		l->seq = UINT64_MAX;
		return 0;
	}
	if (rc)
		return rc;
	uint64_t s = 0;
	for (size_t i = 0; i < 8; i++)
		s = (s << 8) | kb[l->npre + i];
	l->seq = s;
	return 0;
}

/* list_seek moves l to its first posting with seq >= at: a few steps
 * forward from where it is (a seek costs a binary search in every level of
 * the tree; a step, next to nothing), else a seek. */
static int list_seek(struct list *l, uint64_t at)
{
	uint8_t k[SP_TERM_MAX + 12];
	if (l->seq >= at && l->seq != 0)
		return 0;
	for (int i = 0; l->seq != 0 && i < LIST_STEPS; i++) {
		sp_store_ixit_next(l->it);
		int rc = list_here(l);
		if (rc || l->seq >= at)
			return rc;
	}
	sp_store_ixit_seek(l->it, k, sp_rkey_posting(k, l->term, at));
	return list_here(l);
}

/* walk_seek moves w to its first report with seq >= at. */
static int walk_seek(struct walk *w, uint64_t at)
{
	w->seq = UINT64_MAX;
	for (size_t i = 0; i < w->n; i++) {
		int rc = list_seek(&w->l[i], at);
		if (rc)
			return rc;
		if (w->l[i].seq < w->seq) {
			w->seq = w->l[i].seq;
			w->at = i;
		}
	}
	return 0;
}

static int list_open(struct sp_reports *r, struct walk *w, const char *term)
{
	struct list *l = &w->l[w->n++];
	memset(l, 0, sizeof(*l));
	snprintf(l->term, sizeof(l->term), "%s", term);
	l->npre = strlen(l->term) + 2;
	l->pre[0] = 'P';
	memcpy(l->pre + 1, l->term, l->npre - 2);
	l->pre[l->npre - 1] = 0;
	pthread_rwlock_rdlock(&r->lk);
	w->count += sp_rcount_get(r, term);
	pthread_rwlock_unlock(&r->lk);
	return sp_store_ixit_new(r->o.store, SP_STORE_IX_KEYS, l->pre, l->npre, &l->it);
}

#define TIME_LISTS 64 /* most day or month lists a time range walks */

struct plan {
	struct walk w[QUERY_TERMS];
	struct list lists[QUERY_TERMS + TIME_LISTS];
	size_t n, used;
	char terms[QUERY_TERMS][SP_TERM_MAX];
	size_t n_terms;
	const char *facets[QUERY_TERMS]; /* terms checked on the rows (sp_rrow_has) */
	size_t n_facets;
	struct flag_check {
		uint8_t at, mask, want;
	} flags[QUERY_TERMS]; /* ... on the rows' flag bytes */
	size_t n_flags;
};

static void plan_term(struct plan *p, const char *fmt, const char *v)
{
	if (p->n_terms < QUERY_TERMS - 1)
		snprintf(p->terms[p->n_terms++], SP_TERM_MAX, fmt, v);
}

/* plan_time adds a walk over the day lists (ranges up to TIME_LISTS days)
 * or month lists covering [since, until); the exact bounds are checked on
 * each report. Nothing if the range is wider still. */
static int plan_time(struct sp_reports *r, const struct sp_reports_query *q, struct plan *p)
{
	uint64_t lo = q->since, hi = q->until ? q->until : sp_now_ms() + SP_RDAY_MS;
	if (hi <= lo)
		hi = lo + 1;
	int days = (hi - lo) / SP_RDAY_MS < TIME_LISTS - 1;
	uint64_t step = days ? SP_RDAY_MS : 28 * SP_RDAY_MS, n = (hi - lo) / step + 2;
	if (n > TIME_LISTS || (q->since == 0 && !days))
		return 0;
	struct walk *w = &p->w[p->n++];
	w->l = &p->lists[p->used];
	char term[SP_TERM_MAX], last[SP_TERM_MAX] = "";
	int rc = 0;
	for (uint64_t t = lo; rc == 0 && t < hi + step; t += step) {
		sp_rtime_term(days ? 'd' : 'm', t < hi ? t : hi - 1, term);
		if (strcmp(term, last) != 0 && w->n < TIME_LISTS)
			rc = list_open(r, w, term);
		memcpy(last, term, sizeof(last));
	}
	p->used += w->n;
	return rc;
}

/* plan_facets keeps walking the smallest list, the lists a row cannot
 * answer for, and the lists of rare terms; a common term (on at least
 * 1/FACET_SHARE of all reports) is checked on the rows of the reports
 * found instead (most rows pass it: a look at a row costs less than a
 * seek in another list, which leapfrog pays when the term is rare), and
 * a time range by in_time. */
#define FACET_SHARE 4
/* Status, kind, overdue and keyless are read from a row's flag bytes, a
 * look at three bytes: worth it down to a fiftieth of the reports. */
#define FLAG_SHARE 50
static void plan_facets(struct plan *p, uint64_t all)
{
	size_t keep = 1;
	struct sp_reports_summary none;
	memset(&none, 0, sizeof(none));
	for (size_t i = 1; i < p->n; i++) {
		const char *t = p->w[i].term;
		int common = p->w[i].count * FACET_SHARE >= all;
		uint8_t at, mask, want;
		if (t == NULL && common)
			continue;
		if (t && p->w[i].count * FLAG_SHARE >= all && sp_rrow_flag(t, &at, &mask, &want) == 0)
			p->flags[p->n_flags++] = (struct flag_check){at, mask, want};
		else if (t && common && sp_rrow_has(&none, t) >= 0)
			p->facets[p->n_facets++] = t;
		else
			p->w[keep++] = p->w[i];
	}
	p->n = p->n ? keep : 0;
}

static int region_levels(const char *region)
{
	int n = 1;
	for (const char *c = region; *c; c++)
		n += *c == '.';
	return n;
}

/* plan_of lists a query's walks, most selective first. */
static int plan_of(struct sp_reports *r, const struct sp_reports_query *q, struct plan *p)
{
	char kind[16];
	memset(p, 0, sizeof(*p));
	const char *status = q->status >= 0 ? sp_report_status_name(q->status) : NULL;
	char both[SP_TERM_MAX];
	if (q->overdue)
		plan_term(p, "o%s", "");
	if (q->keyless)
		plan_term(p, "g%s", "");
	/* an institution's or holder's reports with a status: one list */
	if (q->institution && status && !q->overdue) {
		snprintf(both, sizeof(both), "I:%s/%s", q->institution, status);
		plan_term(p, "%s", both);
		status = NULL;
	} else if (q->institution) {
		plan_term(p, q->overdue ? "t:%s" : "i:%s", q->institution);
	}
	if (q->holder && status && !q->subtree) {
		snprintf(both, sizeof(both), "H:%s/%s", q->holder, status);
		plan_term(p, "%s", both);
		status = NULL;
	} else if (q->holder) {
		plan_term(p, q->subtree ? "t:%s" : "h:%s", q->holder);
	}
	if (status)
		plan_term(p, "s:%s", status);
	if (q->region && q->category && region_levels(q->region) <= SP_RREGION_CAT_LEVELS) {
		/* a province's or kabupaten's reports of a category: one list */
		snprintf(both, sizeof(both), "R:%s/%s", q->region, q->category);
		plan_term(p, "%s", both);
	} else {
		if (q->region)
			plan_term(p, "r:%s", q->region);
		if (q->category)
			plan_term(p, "c:%s", q->category);
	}
	if (q->kind > 0) {
		snprintf(kind, sizeof(kind), "%d", q->kind - 1);
		plan_term(p, "k:%s", kind);
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->n_terms; i++) {
		struct walk *w = &p->w[p->n++];
		w->l = &p->lists[p->used++];
		w->term = p->terms[i];
		rc = list_open(r, w, p->terms[i]);
	}
	if (rc == 0 && (q->since || q->until))
		rc = plan_time(r, q, p);
	if (rc == 0 && p->n == 0) {
		struct walk *w = &p->w[p->n++];
		w->l = &p->lists[p->used++];
		rc = list_open(r, w, "a");
	}
	for (size_t i = 1; i < p->n; i++) /* insertion sort by count */
		for (size_t k = i; k > 0 && p->w[k].count < p->w[k - 1].count; k--) {
			struct walk t = p->w[k];
			p->w[k] = p->w[k - 1];
			p->w[k - 1] = t;
		}
	if (rc == 0) {
		pthread_rwlock_rdlock(&r->lk);
		uint64_t all = sp_rcount_get(r, "a");
		pthread_rwlock_unlock(&r->lk);
		plan_facets(p, all);
	}
	return rc;
}

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->used; i++)
		sp_store_ixit_free(p->lists[i].it);
}

/* plan_next finds the first seq >= at in every list (UINT64_MAX: none):
 * each list in turn is moved up to the highest candidate until all agree. */
static int plan_next(struct plan *p, uint64_t at, uint64_t *out)
{
	uint64_t cand = at;
	size_t agree = 0, i = 0;
	while (agree < p->n) {
		int rc = walk_seek(&p->w[i], cand);
		if (rc)
			return rc;
		if (p->w[i].seq == UINT64_MAX) {
			*out = UINT64_MAX;
			return 0;
		}
		if (p->w[i].seq == cand) {
			agree++;
		} else {
			cand = p->w[i].seq;
			agree = 1;
		}
		i = (i + 1) % p->n;
	}
	*out = cand;
	return 0;
}

static int in_time(const struct sp_reports_query *q, const struct sp_reports_summary *s)
{
	return (!q->since || s->submitted_ms >= q->since) &&
	       (!q->until || s->submitted_ms < q->until);
}

/* flags_hold: the row of the posting w is at has every flag the plan
 * checks (its checksum is checked only if the row is used). */
static int flags_hold(const struct plan *p, const struct walk *w, int *ok)
{
	const uint8_t *v, *f;
	size_t vn;
	int rc = sp_store_ixit_raw(w->l[w->at].it, &v, &vn);
	if (rc == 0)
		rc = sp_rpost_flags(v, vn, &f);
	*ok = rc == 0;
	for (size_t i = 0; *ok && i < p->n_flags; i++)
		*ok = (f[p->flags[i].at] & p->flags[i].mask) == p->flags[i].want;
	return rc;
}

/* row_at reads the row of the posting w is at (seq), checksum checked. */
static int row_at(const struct walk *w, uint64_t seq, struct sp_reports_summary *s)
{
	const uint8_t *k, *v;
	size_t kn, vn;
	int rc = sp_store_ixit_get(w->l[w->at].it, &k, &kn, &v, &vn);
	return rc ? rc : sp_rpost_decode(v, vn, seq, s);
}

static int facets_hold(const struct plan *p, const struct sp_reports_summary *s)
{
	for (size_t i = 0; i < p->n_facets; i++)
		if (sp_rrow_has(s, p->facets[i]) != 1)
			return 0;
	return 1;
}

/* run_plan emits the page: each report every walk agrees on, its row
 * read from the posting it was found at (plan_next leaves every walk
 * there), until the page is full and the next cursor found. */
static int run_plan(struct plan *p, const struct sp_reports_query *q, sp_reports_fn fn, void *arg,
		    uint64_t *next)
{
	uint64_t at = q->cursor ? q->cursor : 1, seq;
	size_t emitted = 0;
	int rc;
	while ((rc = plan_next(p, at, &seq)) == 0 && seq != UINT64_MAX) {
		struct sp_reports_summary s;
		int ok = 1;
		at = seq + 1;
		if (p->n_flags && (rc = flags_hold(p, &p->w[0], &ok)) != 0)
			break;
		if (!ok)
			continue;
		if ((rc = row_at(&p->w[0], seq, &s)) != 0)
			break;
		if (!in_time(q, &s) || !facets_hold(p, &s))
			continue;
		if (q->limit && emitted == q->limit) {
			if (next)
				*next = seq;
			break;
		}
		emitted++;
		if ((rc = fn(arg, &s)) != 0)
			break;
	}
	return rc;
}

int sp_reports_query(struct sp_reports *r, const struct sp_reports_query *q, uint64_t now,
		     sp_reports_fn fn, void *arg, uint64_t *next)
{
	struct plan p;
	if (next)
		*next = 0;
	int rc = sp_reports_sweep(r, now, NULL);
	if (rc == 0 && atomic_load(&r->broken))
		rc = SP_ERR_BUSY;
	if (rc)
		return rc;
	rc = plan_of(r, q, &p);
	if (rc == 0)
		rc = run_plan(&p, q, fn, arg, next);
	plan_free(&p);
	return sp_reports_damaged(r, rc, "posting");
}

/* ---- counts ------------------------------------------------------------------------- */

/* A walk over the "<prefix><inst>/<rest>" counters (sorted, so one
 * institution's are together): add for each, then done once per
 * institution. */
struct inst_walk {
	const char *prefix;
	void (*add)(struct inst_walk *w, const char *rest, uint64_t n);
	int (*done)(struct inst_walk *w, const char *inst);
};

/* walk_counts runs w over the counters (caller holds lk). */
static int walk_counts(struct sp_reports *r, struct inst_walk *w)
{
	char inst[SP_INST_ID_MAX + 1] = "";
	size_t plen = strlen(w->prefix);
	int rc = 0;
	/* the first counter of the prefix */
	size_t lo = sp_lower_bound(r->counts, r->n_counts, sizeof(*r->counts), w->prefix,
				   sp_rcount_cmp, NULL);
	for (size_t i = lo; rc == 0 && i <= r->n_counts; i++) {
		const char *t = i < r->n_counts ? r->counts[i].term : NULL;
		if (t && strncmp(t, w->prefix, plen) != 0)
			t = NULL; /* past them */
		char name[SP_INST_ID_MAX + 1] = "";
		const char *rest = NULL;
		if (t) {
			const char *slash = strchr(t + plen, '/');
			size_t n = slash ? (size_t)(slash - t - plen) : strlen(t + plen);
			snprintf(name, sizeof(name), "%.*s", (int)n, t + plen);
			rest = slash ? slash + 1 : "";
		}
		if (inst[0] && (t == NULL || strcmp(name, inst) != 0))
			rc = w->done(w, inst);
		if (t == NULL || rc)
			break;
		snprintf(inst, sizeof(inst), "%s", name);
		w->add(w, rest, r->counts[i].n);
	}
	return rc;
}

/* the "b:<inst>..." counters, for sp_reports_stats */
struct stats_walk {
	struct inst_walk w;
	struct sp_reports_stats cur;
	sp_reports_inst_fn fn;
	void *arg;
};

static void stats_add(struct inst_walk *w, const char *rest, uint64_t n)
{
	struct stats_walk *s = (struct stats_walk *)w;
	int st;
	if (rest[0] == '\0')
		s->cur.total = n;
	else if (strcmp(rest, "o") == 0)
		s->cur.overdue = n;
	else if (strncmp(rest, "s:", 2) == 0 && (st = sp_report_status_of(rest + 2)) >= 0)
		s->cur.by_status[st] = n;
}

static int stats_done(struct inst_walk *w, const char *inst)
{
	struct stats_walk *s = (struct stats_walk *)w;
	int rc = s->fn(s->arg, inst, &s->cur);
	memset(&s->cur, 0, sizeof(s->cur));
	return rc;
}

int sp_reports_stats(struct sp_reports *r, uint64_t now, struct sp_reports_stats *out,
		     sp_reports_inst_fn fn, void *arg)
{
	int rc = sp_reports_sweep(r, now, NULL);
	if (rc == 0 && atomic_load(&r->broken))
		rc = SP_ERR_BUSY;
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&r->lk);
	out->total = sp_rcount_get(r, "a");
	out->overdue = sp_rcount_get(r, "o");
	for (int i = 0; i <= SP_ST_DIGABUNG; i++) {
		char t[32];
		snprintf(t, sizeof(t), "s:%s", sp_report_status_name(i));
		out->by_status[i] = sp_rcount_get(r, t);
	}
	struct stats_walk w = {{"b:", stats_add, stats_done}, {0}, fn, arg};
	if (fn)
		rc = walk_counts(r, &w.w);
	pthread_rwlock_unlock(&r->lk);
	return rc;
}

/* ---- per-institution figures ------------------------------------------------------------ */

#define BUCKETS (16 * 61)

unsigned sp_reports_bucket(uint64_t d)
{
	if (d < 16)
		return (unsigned)d;
	unsigned e = 63 - (unsigned)__builtin_clzll(d); /* d's highest bit, >= 4 */
	return 16 * (e - 3) + (unsigned)((d >> (e - 4)) & 15);
}

uint64_t sp_reports_bucket_mid(unsigned b)
{
	if (b < 16)
		return b;
	unsigned e = b / 16 + 3;
	uint64_t lo = (uint64_t)(16 + b % 16) << (e - 4), w = (uint64_t)1 << (e - 4);
	return lo + (w - 1) / 2;
}

struct fig_walk {
	struct inst_walk w;
	struct sp_reports_inst_fig cur;
	uint64_t n_answer_times;
	uint64_t *buckets; /* BUCKETS counts of answer times */
	unsigned top;      /* buckets past the last one set are zero */
	sp_reports_fig_fn fn;
	void *arg;
};

static void fig_add(struct inst_walk *w, const char *rest, uint64_t n)
{
	struct fig_walk *f = (struct fig_walk *)w;
	char *end = NULL;
	unsigned long v = rest[0] ? strtoul(rest + 1, &end, 10) : 0;
	int num = end && end != rest + 1 && *end == '\0';
	switch (rest[0]) {
	case 'r': f->cur.received = n; break;
	case 'h': f->cur.in_hand = n; break;
	case 'o': f->cur.overdue = n; break;
	case 'a': f->cur.answered = n; break;
	case 'd':
		if (num && v < BUCKETS) {
			f->buckets[v] = n;
			f->n_answer_times += n;
			if (v >= f->top)
				f->top = (unsigned)v + 1;
		}
		break;
	case 'v':
		if (num && v >= 1 && v <= 5) {
			f->cur.ratings += n;
			f->cur.rating_sum += n * v;
		}
		break;
	default: break;
	}
}

/* at_rank: the middle of the bucket holding the k-th answer time (0-based) */
static uint64_t at_rank(const struct fig_walk *f, uint64_t k)
{
	uint64_t seen = 0;
	for (unsigned b = 0; b < f->top; b++) {
		seen += f->buckets[b];
		if (seen > k)
			return sp_reports_bucket_mid(b);
	}
	return 0;
}

static int fig_done(struct inst_walk *w, const char *inst)
{
	struct fig_walk *f = (struct fig_walk *)w;
	uint64_t n = f->n_answer_times;
	if (n) {
		f->cur.has_median = 1;
		f->cur.median_answer_ms = n % 2 ? at_rank(f, n / 2)
						 : (at_rank(f, n / 2 - 1) + at_rank(f, n / 2)) / 2;
	}
	int rc = f->fn(f->arg, inst, &f->cur);
	memset(&f->cur, 0, sizeof(f->cur));
	memset(f->buckets, 0, f->top * sizeof(*f->buckets));
	f->n_answer_times = 0;
	f->top = 0;
	return rc;
}

int sp_reports_inst_figures(struct sp_reports *r, uint64_t now, sp_reports_fig_fn fn, void *arg)
{
	int rc = sp_reports_sweep(r, now, NULL);
	if (rc == 0 && atomic_load(&r->broken))
		rc = SP_ERR_BUSY;
	if (rc)
		return rc;
	struct fig_walk f = {{"e:", fig_add, fig_done}, {0}, 0, calloc(BUCKETS, sizeof(uint64_t)),
			     0, fn, arg};
	if (f.buckets == NULL)
		return SP_ERR_NOMEM;
	pthread_rwlock_rdlock(&r->lk);
	rc = walk_counts(r, &f.w);
	pthread_rwlock_unlock(&r->lk);
	free(f.buckets);
	return rc;
}

/* ---- answers kept while the counters stay ------------------------------------------------ */

int sp_reports_memo(struct sp_reports *r, unsigned slot, uint64_t now, sp_reports_memo_fn make,
		    void *arg, struct sp_buf *out)
{
	if (slot >= SP_REPORTS_MEMOS)
		return SP_ERR_ARG;
	int rc = sp_reports_sweep(r, now, NULL);
	if (rc == 0 && atomic_load(&r->broken))
		rc = SP_ERR_BUSY;
	if (rc)
		return rc;
	/* read before make: a change while it runs leaves the text tagged
	 * older than it is, so the next call makes it again */
	pthread_rwlock_rdlock(&r->lk);
	uint64_t gen = r->counts_gen;
	pthread_rwlock_unlock(&r->lk);
	pthread_mutex_lock(&r->memo_mu);
	struct sp_rmemo *m = &r->memo[slot];
	if (!m->have || m->gen != gen) {
		m->have = 0;
		m->text.len = 0;
		m->text.err = 0;
		rc = make(arg, &m->text);
		if (rc == 0 && m->text.err)
			rc = SP_ERR_NOMEM;
		m->have = rc == 0;
		m->gen = gen;
	}
	if (rc == 0)
		sp_buf_put(out, m->text.p, m->text.len);
	pthread_mutex_unlock(&r->memo_mu);
	return rc == 0 && out->err ? SP_ERR_NOMEM : rc;
}

/* ---- the change feed ---------------------------------------------------------------- */

uint64_t sp_reports_change_end(struct sp_reports *r)
{
	pthread_rwlock_rdlock(&r->lk);
	uint64_t n = r->next_chg;
	pthread_rwlock_unlock(&r->lk);
	return n;
}

uint64_t sp_reports_gen(struct sp_reports *r)
{
	pthread_rwlock_rdlock(&r->lk);
	uint64_t n = r->gen;
	pthread_rwlock_unlock(&r->lk);
	return n;
}

/* change_at calls fn for the change under the iterator. */
static int change_at(struct sp_reports *r, const uint8_t *v, size_t vn, sp_reports_fn fn,
		     void *arg)
{
	struct sp_reports_summary s;
	struct sp_rrec p;
	uint64_t seq;
	int rc = sp_rnote_decode(v, vn, &seq, &s);
	if (rc == 0)
		rc = sp_rrec_load(r, seq, &p);
	if (rc == SP_ERR_NOT_FOUND)
		rc = SP_ERR_CORRUPT; /* a change of a report the index lacks */
	if (rc)
		return sp_reports_damaged(r, rc, "change feed");
	if (p.has_sum) {
		struct sp_reports_summary now = p.sum;
		now.status = s.status;
		now.overdue = s.overdue;
		now.rating = s.rating;
		now.escalations = s.escalations;
		now.answered_ms = s.answered_ms;
		now.n_holders = s.n_holders;
		memcpy(now.holders, s.holders, sizeof(now.holders));
		rc = fn(arg, &now);
	}
	sp_rrec_free(&p);
	return rc;
}

int sp_reports_changes(struct sp_reports *r, uint64_t from, size_t limit, uint64_t now,
		       sp_reports_fn fn, void *arg, uint64_t *next)
{
	*next = from;
	int rc = sp_reports_sweep(r, now, NULL);
	if (rc == 0 && atomic_load(&r->broken))
		rc = SP_ERR_BUSY;
	struct sp_store_ixit *it = NULL;
	uint8_t k[9] = {'C'};
	if (rc == 0)
		rc = sp_store_ixit_new(r->o.store, SP_STORE_IX_KEYS, k, 1, &it);
	if (rc)
		return rc;
	for (size_t i = 0; i < 8; i++)
		k[1 + i] = (uint8_t)(from >> (56 - 8 * i));
	sp_store_ixit_seek(it, k, sizeof(k));
	for (size_t n = 0; rc == 0 && n < limit; n++, sp_store_ixit_next(it)) {
		const uint8_t *ik, *v;
		size_t kn, vn;
		rc = sp_store_ixit_get(it, &ik, &kn, &v, &vn);
		if (rc || kn != 9 || ik[0] != 'C')
			break;
		uint64_t chg = 0;
		for (size_t i = 0; i < 8; i++)
			chg = chg << 8 | ik[1 + i];
		rc = change_at(r, v, vn, fn, arg);
		if (rc == 0)
			*next = chg + 1;
	}
	sp_store_ixit_free(it);
	return rc == SP_ERR_NOT_FOUND ? 0 : sp_reports_damaged(r, rc, "change feed");
}

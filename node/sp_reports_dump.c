/*
 * sp_reports_dump.c - the report index as canonical text (see
 * sp_reports_dump in sp_reports.h), so that two indexes of the same logs
 * can be compared whatever order they were built in: `simpul index verify`
 * compares the index a node kept with one rebuilt from its logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_reports_int.h"

struct lines {
	char **v;
	size_t n, cap;
};

static int line_add(struct lines *l, const char *s)
{
	if (sp_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)))
		return SP_ERR_NOMEM;
	if ((l->v[l->n] = strdup(s)) == NULL)
		return SP_ERR_NOMEM;
	l->n++;
	return 0;
}

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static int loc_cmp(const void *a, const void *b)
{
	const struct sp_rloc *x = a, *y = b;
	if (x->log != y->log)
		return x->log < y->log ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int inst_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sp_rinst *)a)->id, ((const struct sp_rinst *)b)->id);
}

/* rec_line: everything a record holds but its seq and when it was
 * indexed; the trail and the involved institutions as sets. */
static int rec_line(struct sp_rrec *p, struct lines *l)
{
	char id[2 * SP_HASH_BYTES + 1];
	const struct sp_reports_summary *s = &p->sum;
	struct sp_buf b;
	sodium_bin2hex(id, sizeof(id), p->id, SP_HASH_BYTES);
	if (p->n_trail)
		qsort(p->trail, p->n_trail, sizeof(*p->trail), loc_cmp);
	if (p->n_inv)
		qsort(p->inv, p->n_inv, sizeof(*p->inv), inst_cmp);
	sp_buf_init(&b);
	sp_buf_printf(&b, "R %s sub=%u:%llu trail=", id, p->sub.log, (unsigned long long)p->sub.index);
	for (size_t i = 0; i < p->n_trail; i++)
		sp_buf_printf(&b, "%u:%llu,", p->trail[i].log, (unsigned long long)p->trail[i].index);
	sp_buf_printf(&b, " inv=");
	for (size_t i = 0; i < p->n_inv; i++)
		sp_buf_printf(&b, "%s,", p->inv[i].id);
	if (p->has_sum) {
		sp_buf_printf(&b, " %s:%llu t=%llu r=%s c=%s to=%s st=%d k=%d stage=%d dl=%llu od=%d esc=%u "
			"until=%llu ans=%llu rate=%u kl=%d last=%s h=",
		    s->log, (unsigned long long)s->index, (unsigned long long)s->submitted_ms,
		    s->region, s->category, s->routed_to, (int)s->status, s->kind, (int)s->stage,
		    (unsigned long long)s->deadline_ms, s->overdue, s->escalations,
		    (unsigned long long)s->valid_until, (unsigned long long)s->answered_ms, s->rating,
		    s->keyless, s->last_holder);
		for (size_t i = 0; i < s->n_holders; i++)
			sp_buf_printf(&b, "%s,", s->holders[i]);
		sp_buf_printf(&b, " handled=");
		for (size_t i = 0; i < s->n_handled; i++)
			sp_buf_printf(&b, "%s,", s->handled[i]);
	}
	sp_buf_put(&b, "", 1);
	int rc = b.err ? SP_ERR_NOMEM : line_add(l, (const char *)b.p);
	sp_buf_free(&b);
	return rc;
}

/* id_of names report seq by its id (hex), or "?" for a missing record. */
static void id_of(struct sp_reports *r, uint64_t seq, char out[2 * SP_HASH_BYTES + 1])
{
	struct sp_rrec p;
	if (sp_rrec_load(r, seq, &p) != 0) {
		snprintf(out, 2 * SP_HASH_BYTES + 1, "?%llu", (unsigned long long)seq);
		return;
	}
	sodium_bin2hex(out, 2 * SP_HASH_BYTES + 1, p.id, SP_HASH_BYTES);
	sp_rrec_free(&p);
}

/* posting_of names a posting's report by its id (hex; "?seq" for a
 * missing record) and says whether its row (v) is the report's row now:
 * "" if so, " stale-row" if not (left behind by a summary change). */
static const char *posting_of(struct sp_reports *r, uint64_t seq, const uint8_t *v, size_t vn,
			      char out[2 * SP_HASH_BYTES + 1])
{
	struct sp_rrec p;
	struct sp_buf b;
	if (sp_rrec_load(r, seq, &p) != 0) {
		snprintf(out, 2 * SP_HASH_BYTES + 1, "?%llu", (unsigned long long)seq);
		return "";
	}
	sodium_bin2hex(out, 2 * SP_HASH_BYTES + 1, p.id, SP_HASH_BYTES);
	sp_buf_init(&b);
	int same = p.has_sum && sp_rpost_encode(p.id, &p.sum, &b) == 0 && b.len == vn &&
		   memcmp(b.p, v, vn) == 0;
	sp_buf_free(&b);
	sp_rrec_free(&p);
	return same ? "" : " stale-row";
}

static int records(struct sp_reports *r, const uint8_t *k, size_t kn, const uint8_t *v,
		   size_t vn, struct lines *l)
{
	struct sp_rrec p;
	char id[2 * SP_HASH_BYTES + 1], line[160];
	if (k[0] == 'I' && kn == 1 + SP_HASH_BYTES && vn == 8) {
		char at[2 * SP_HASH_BYTES + 1];
		sodium_bin2hex(id, sizeof(id), k + 1, SP_HASH_BYTES);
		id_of(r, be(v, 8), at);
		snprintf(line, sizeof(line), "I %s%s", id, strcmp(id, at) ? " mismatch" : "");
		return line_add(l, line);
	}
	if (k[0] != 'R' || kn != 9 || sp_rrec_decode(v, vn, &p) != 0)
		return line_add(l, "? record");
	int rc = rec_line(&p, l);
	sp_rrec_free(&p);
	return rc;
}

static int keys(struct sp_reports *r, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
		struct lines *l)
{
	char id[2 * SP_HASH_BYTES + 1], line[SP_TERM_MAX + 200];
	if (k[0] == 'P' && kn > 10) {
		const char *row = posting_of(r, be(k + kn - 8, 8), v, vn, id);
		snprintf(line, sizeof(line), "P %.*s %s%s", (int)(kn - 10), (const char *)k + 1, id,
			 row);
	} else if (k[0] == 'D' && kn == 17) {
		id_of(r, be(k + 9, 8), id);
		snprintf(line, sizeof(line), "D %llu %s", (unsigned long long)be(k + 1, 8), id);
	} else if (k[0] == 'N' && vn == 8) {
		snprintf(line, sizeof(line), "N %.*s %llu", (int)(kn - 1), (const char *)k + 1,
			 (unsigned long long)be(v, 8));
	} else if (k[0] == 'W' && kn == 5 && vn == 8 + SP_HASH_BYTES) {
		sodium_bin2hex(id, sizeof(id), v + 8, SP_HASH_BYTES);
		snprintf(line, sizeof(line), "W %llu %llu %s", (unsigned long long)be(k + 1, 4),
			 (unsigned long long)be(v, 8), id);
	} else if (k[0] == 'O' && kn == 45) {
		sodium_bin2hex(id, sizeof(id), k + 1, SP_HASH_BYTES);
		snprintf(line, sizeof(line), "O %s %llu %llu", id, (unsigned long long)be(k + 33, 4),
			 (unsigned long long)be(k + 37, 8));
	} else if (k[0] == 'V' && kn > 5) {
		snprintf(line, sizeof(line), "V %llu %.*s", (unsigned long long)be(k + 1, 4),
			 (int)(kn - 5), (const char *)k + 5);
	} else if ((k[0] == 'M' && kn == 4 && (memcmp(k + 1, "seq", 3) == 0 ||
					       memcmp(k + 1, "chg", 3) == 0)) ||
		   k[0] == 'C') {
		return 0; /* where numbering got to, and the change feed (a rebuild records
			   * none), differ with the order of indexing */
	} else {
		snprintf(line, sizeof(line), "%c %.*s", k[0], (int)(kn - 1), (const char *)k + 1);
	}
	return line_add(l, line);
}

static int family(struct sp_reports *r, enum sp_store_ix fam, struct lines *l)
{
	struct sp_store_ixit *it;
	int rc = sp_store_ixit_new(r->o.store, fam, NULL, 0, &it);
	if (rc)
		return rc;
	sp_store_ixit_seek(it, (const uint8_t *)"", 0);
	for (; rc == 0; sp_store_ixit_next(it)) {
		const uint8_t *k, *v;
		size_t kn, vn;
		rc = sp_store_ixit_get(it, &k, &kn, &v, &vn);
		if (rc || kn == 0)
			break;
		rc = fam == SP_STORE_IX_RECORDS ? records(r, k, kn, v, vn, l)
						: keys(r, k, kn, v, vn, l);
	}
	sp_store_ixit_free(it);
	return rc == SP_ERR_NOT_FOUND ? 0 : rc;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sp_reports_dump(struct sp_reports *r, struct sp_buf *out)
{
	struct lines l = {0};
	pthread_mutex_lock(&r->wmu);
	int rc = family(r, SP_STORE_IX_RECORDS, &l);
	if (rc == 0)
		rc = family(r, SP_STORE_IX_KEYS, &l);
	pthread_mutex_unlock(&r->wmu);
	if (rc == 0 && l.n)
		qsort(l.v, l.n, sizeof(*l.v), str_cmp);
	for (size_t i = 0; i < l.n; i++) {
		if (rc == 0) {
			sp_buf_put(out, l.v[i], strlen(l.v[i]));
			sp_buf_put(out, "\n", 1);
		}
		free(l.v[i]);
	}
	free(l.v);
	return rc ? rc : out->err ? SP_ERR_NOMEM : 0;
}

/* first_diff describes the first line where a and b differ. */
static void first_diff(const struct sp_buf *a, const struct sp_buf *b, char *why, size_t cap)
{
	size_t i = 0, line = 0;
	while (i < a->len && i < b->len && a->p[i] == b->p[i])
		i++;
	while (i > 0 && a->p[i - 1] != '\n')
		i--;
	for (size_t k = 0; k < i; k++)
		line += a->p[k] == '\n';
	const char *ea = memchr(a->p + i, '\n', a->len - i), *eb = memchr(b->p + i, '\n', b->len - i);
	int na = ea ? (int)(ea - (const char *)a->p - (long)i) : 0;
	int nb = eb ? (int)(eb - (const char *)b->p - (long)i) : 0;
	snprintf(why, cap, "line %zu: kept '%.*s', rebuilt '%.*s'", line + 1, na > 200 ? 200 : na,
		 (const char *)a->p + i, nb > 200 ? 200 : nb, (const char *)b->p + i);
}

int sp_reports_verify(struct sp_reports *r, struct sp_store *copy, char *why, size_t cap)
{
	struct sp_reports_opts o = r->o;
	struct sp_reports *fresh = NULL;
	struct sp_buf a, b;
	sp_buf_init(&a);
	sp_buf_init(&b);
	o.store = copy;
	o.log = NULL;
	int rc = sp_reports_dump(r, &a);
	if (rc == 0)
		rc = sp_reports_new(&o, &fresh);
	if (rc == 0)
		rc = sp_reports_rebuild(fresh);
	if (rc == 0)
		rc = sp_reports_dump(fresh, &b);
	if (rc == 0 && (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)) {
		first_diff(&a, &b, why, cap);
		rc = SP_ERR_INCONSISTENT;
	} else if (rc == 0) {
		size_t lines = 0;
		for (size_t i = 0; i < a.len; i++)
			lines += a.p[i] == '\n';
		snprintf(why, cap, "the index matches a rebuild from the logs (%zu lines)", lines);
	}
	sp_reports_free(fresh);
	sp_buf_free(&a);
	sp_buf_free(&b);
	return rc;
}

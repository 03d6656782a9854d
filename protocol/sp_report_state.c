/*
 * sp_report_state.c - the state of a report computed from its trail: the
 * rules of docs/reports.md (who may act when, holders, deadlines,
 * escalation, auto-close), applied in one deterministic order. Pure: the
 * directory and the clock come from the caller (struct sp_report_ctx).
 */
#include "sp_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_err.h"
#include "sp_report_int.h"

#define TIER_DEPTH_MAX 16 /* parent_of walks at most this far */

/* ---- names and defaults ------------------------------------------------ */

const char *sp_report_status_name(int status)
{
	static const char *const names[] = {
		"diterima", "diverifikasi", "tunda", "diarsipkan", "didisposisikan",
		"ditindaklanjuti", "selesai", "digabung",
	};

	if (status < 0 || status >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[status];
}

int sp_report_status_of(const char *name)
{
	for (int i = 0; i <= SP_ST_DIGABUNG; i++)
		if (strcmp(sp_report_status_name(i), name) == 0)
			return i;
	return -1;
}

const char *sp_report_act_name(int code)
{
	static const char *const names[] = {
		"?", "verifikasi", "tunda", "arsip", "disposisi", "bukan_wewenang",
		"tindak_lanjut", "ambil_alih", "gabung", "balas", "selesai", "buka_kembali",
		"nilai",
	};

	if (code < 0 || code > SP_ACT_MAX_)
		return "?";
	return names[code];
}

struct sp_report_policy sp_report_default_policy(void)
{
	struct sp_report_policy p = {3, 5, 10, 60};
	return p;
}

/* ---- state from the trail ---------------------------------------------- */

/* One computation: the inputs every rule reads. */
struct run {
	const struct sp_report_ctx *ctx;
	struct sp_report_state *st;
	size_t cur; /* the entry being applied: its position in the caller's trail */
};

/* A trail entry with its position in the caller's array. */
struct ordered {
	const struct sp_report_trail *t;
	size_t i;
};

/* by_order: (time, institution id, index); equal keys (an entry passed
 * twice) by their bytes, so any input order gives the same sequence. */
static int by_order(const void *pa, const void *pb)
{
	const struct sp_report_trail *a = ((const struct ordered *)pa)->t;
	const struct sp_report_trail *b = ((const struct ordered *)pb)->t;
	int c;

	if (a->time_ms != b->time_ms)
		return a->time_ms < b->time_ms ? -1 : 1;
	c = strcmp(a->inst, b->inst);
	if (c)
		return c;
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	if (a->body_len != b->body_len)
		return a->body_len < b->body_len ? -1 : 1;
	return a->body_len ? memcmp(a->body, b->body, a->body_len) : 0;
}

/* ---- holders ---- */

static int holder_span(const struct sp_report_state *st, const char *inst)
{
	for (size_t i = 0; i < st->n_spans; i++)
		if (st->spans[i].open && strcmp(st->spans[i].inst, inst) == 0)
			return (int)i;
	return -1;
}

static size_t open_count(const struct sp_report_state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_spans; i++)
		n += (size_t)st->spans[i].open;
	return n;
}

static int open_span(struct sp_report_state *st, struct sp_str inst, uint64_t t, int from)
{
	struct sp_report_span *sp;

	if ((st->n_spans & (st->n_spans - 1)) == 0) { /* grow at powers of two */
		size_t cap = st->n_spans ? st->n_spans * 2 : 4;

		sp = realloc(st->spans, cap * sizeof(*sp));
		if (sp == NULL)
			return SP_ERR_NOMEM;
		st->spans = sp;
	}
	sp = &st->spans[st->n_spans++];
	memset(sp, 0, sizeof(*sp));
	memcpy(sp->inst, inst.p, inst.n);
	sp->start_ms = t;
	sp->open = 1;
	sp->from = from;
	return 0;
}

static void close_span(struct sp_report_state *st, int i, uint64_t t)
{
	st->spans[i].open = 0;
	st->spans[i].end_ms = t;
}

static void close_all(struct sp_report_state *st, uint64_t t)
{
	for (size_t i = 0; i < st->n_spans; i++)
		if (st->spans[i].open)
			close_span(st, (int)i, t);
}

/* ---- key copies ---- */

static int keyed(const struct sp_report_state *st, const char *inst)
{
	for (size_t i = 0; i < st->n_keyed; i++)
		if (strcmp(st->keyed[i], inst) == 0)
			return 1;
	return 0;
}

/* keyed_add records that keys[0..n) hold copies of the content key. */
static int keyed_add(struct sp_report_state *st, const struct sp_report_key *keys, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		char id[SP_INST_ID_MAX + 1];

		snprintf(id, sizeof(id), "%.*s", (int)keys[k].inst.n, keys[k].inst.p);
		if (keyed(st, id))
			continue;
		if ((st->n_keyed & (st->n_keyed - 1)) == 0) { /* grow at powers of two */
			char(*p)[SP_INST_ID_MAX + 1] = realloc(
				st->keyed, (st->n_keyed ? st->n_keyed * 2 : 4) * sizeof(*p));

			if (p == NULL)
				return SP_ERR_NOMEM;
			st->keyed = p;
		}
		memcpy(st->keyed[st->n_keyed++], id, sizeof(id));
	}
	return 0;
}

/* ---- deadlines ---- */

static uint64_t add_wd(const struct run *run, uint64_t from, uint32_t n)
{
	uint64_t d;

	/* n is at most 365 (checked), so this cannot fail. */
	if (sp_cal_add_working_days(run->ctx->cal, from, n, &d) != 0)
		return UINT64_MAX;
	return d;
}

static uint64_t window_end(const struct run *run)
{
	return add_wd(run, run->st->answered_ms, run->st->policy.window_wd);
}

/* deadline computes the deadline in force for the current state. VERIFY
 * runs while a holder has not verified; ANSWER from verification,
 * forwarding, a return, a take-over, a resume or a reopening; the
 * ceiling from submission until an answer; tunda stops all but the
 * ceiling; after an answer only the reporter's window runs. */
static void deadline(const struct run *run, enum sp_report_stage *stage, uint64_t *at)
{
	const struct sp_report_state *st = run->st;
	uint64_t ceiling = st->submitted_ms + (uint64_t)st->policy.ceiling_days * SP_CAL_DAY_MS;

	*stage = SP_STAGE_NONE;
	*at = 0;
	switch (st->status) {
	case SP_ST_DITERIMA:
		*stage = SP_STAGE_VERIFY;
		*at = add_wd(run, st->stage_from_ms, st->policy.verify_wd);
		break;
	case SP_ST_DIVERIFIKASI:
	case SP_ST_DIDISPOSISIKAN:
		*stage = SP_STAGE_ANSWER;
		*at = add_wd(run, st->stage_from_ms, st->policy.answer_wd);
		break;
	case SP_ST_TUNDA:
		break;
	case SP_ST_DITINDAKLANJUTI:
		*stage = SP_STAGE_WINDOW;
		*at = window_end(run);
		return;
	default:
		return;
	}
	if (*stage == SP_STAGE_NONE || ceiling < *at) {
		*stage = SP_STAGE_CEILING;
		*at = ceiling;
	}
}

/* auto_close: once the window after an answer has passed, the report is
 * selesai, as of the end of the window. */
static void auto_close(struct run *run, uint64_t t)
{
	struct sp_report_state *st = run->st;
	uint64_t end;

	if (st->status != SP_ST_DITINDAKLANJUTI)
		return;
	end = window_end(run);
	if (t < end)
		return;
	st->status = SP_ST_SELESAI;
	st->auto_closed = 1;
	st->closed_ms = end;
	close_all(st, end);
}

/* ---- officer actions ---- */

static int in_states(enum sp_report_status s, unsigned mask)
{
	return (mask >> s) & 1u;
}

#define S(x) (1u << (x))
#define OPEN_STATES (S(SP_ST_DITERIMA) | S(SP_ST_DIVERIFIKASI) | S(SP_ST_DIDISPOSISIKAN))

/* is_ancestor: is `anc` on the parent_of chain above `inst`? */
static int is_ancestor(const struct run *run, const char *inst, const char *anc)
{
	char cur[SP_INST_ID_MAX + 1], up[SP_INST_ID_MAX + 1];

	snprintf(cur, sizeof(cur), "%s", inst);
	for (int depth = 0; depth < TIER_DEPTH_MAX; depth++) {
		memset(up, 0, sizeof(up));
		if (run->ctx->parent_of(run->ctx->arg, cur, up) != 0 || up[0] == '\0')
			return 0;
		up[SP_INST_ID_MAX] = '\0';
		if (strcmp(up, anc) == 0)
			return 1;
		memcpy(cur, up, sizeof(cur));
	}
	return 0;
}

/* retired: inst was taken out of service at or before t (SP_EV_RETIRE). */
static int retired(const struct run *run, const char *inst, uint64_t t)
{
	char heir[SP_INST_ID_MAX + 1];

	return run->ctx->heir_of && run->ctx->heir_of(run->ctx->arg, inst, t, heir) == 0;
}

static int take_over(struct run *run, const char *o, uint64_t t)
{
	struct sp_report_state *st = run->st;
	int may = run->ctx->is_coordinator(run->ctx->arg, o) == 1;

	for (size_t i = 0; !may && i < st->n_spans; i++)
		may = st->spans[i].open && is_ancestor(run, st->spans[i].inst, o);
	if (!may)
		return SP_ERR_AUTHORITY;
	if (!in_states(st->status, OPEN_STATES | S(SP_ST_TUNDA) | S(SP_ST_DIARSIPKAN)))
		return SP_ERR_TRANSITION;
	if (holder_span(st, o) >= 0 && open_count(st) == 1)
		return SP_ERR_TRANSITION; /* already the sole holder */
	close_all(st, t);
	if (st->status == SP_ST_DIARSIPKAN)
		st->status = SP_ST_DIVERIFIKASI; /* a take-over revives an archive */
	st->stage_from_ms = t;
	return open_span(st, sp_str_of(o), t, -1);
}

static int disposisi(struct run *run, const struct sp_report_action *a, int me, uint64_t t)
{
	struct sp_report_state *st = run->st;
	char id[SP_INST_ID_MAX + 1];
	int err = 0;

	if (!in_states(st->status, OPEN_STATES))
		return SP_ERR_TRANSITION;
	if (open_count(st) - 1 + a->n_targets > SP_REPORT_MAX_HOLDERS)
		return SP_ERR_RANGE;
	for (size_t i = 0; run->ctx->institution_known && i < a->n_targets; i++) {
		char to[SP_INST_ID_MAX + 1];
		snprintf(to, sizeof(to), "%.*s", (int)a->targets[i].n, a->targets[i].p);
		if (!run->ctx->institution_known(run->ctx->arg, to, t))
			return SP_ERR_UNKNOWN_INSTITUTION; /* a forward that points nowhere */
	}
	for (size_t i = 0; i < a->n_targets; i++) {
		char to[SP_INST_ID_MAX + 1];
		snprintf(to, sizeof(to), "%.*s", (int)a->targets[i].n, a->targets[i].p);
		if (retired(run, to, t))
			return SP_ERR_RETIRED; /* it would sit with nobody */
	}
	for (size_t i = 0; i < a->n_targets; i++) {
		int sealed_to = 0;

		memcpy(id, a->targets[i].p, a->targets[i].n);
		id[a->targets[i].n] = '\0';
		if (holder_span(st, id) >= 0)
			return SP_ERR_TRANSITION; /* to itself or a co-holder */
		for (size_t k = 0; k < a->n_keys; k++)
			sealed_to |= sp_str_cmp(a->keys[k].inst, a->targets[i]) == 0;
		/* Forwarding a sealed report must seal the key to the new holder. */
		if (st->sealed_content && !sealed_to)
			return SP_ERR_SEALED;
	}
	close_span(st, me, t);
	for (size_t i = 0; err == 0 && i < a->n_targets; i++)
		err = open_span(st, a->targets[i], t, me);
	st->status = SP_ST_DIDISPOSISIKAN;
	st->stage_from_ms = t;
	return err;
}

/* bukan_wewenang: the holder returns the report to whoever sent it. */
static int bukan_wewenang(struct run *run, int me, uint64_t t)
{
	struct sp_report_state *st = run->st;
	int from = st->spans[me].from;
	char sender[SP_INST_ID_MAX + 1];

	if (!in_states(st->status, OPEN_STATES))
		return SP_ERR_TRANSITION;
	if (from < 0)
		return SP_ERR_TRANSITION; /* nobody sent it: forward it instead */
	memcpy(sender, st->spans[from].inst, sizeof(sender));
	if (retired(run, sender, t))
		return SP_ERR_RETIRED; /* forward it onwards instead */
	close_span(st, me, t);
	st->bounces++;
	st->stage_from_ms = t;
	if (holder_span(st, sender) < 0) {
		int err = open_span(st, sp_str_of(sender), t, st->spans[from].from);

		if (err)
			return err;
	}
	/* Back with a single holder: it verified the report before it
	 * forwarded it. Other fan-out units keep it didisposisikan. */
	if (open_count(st) == 1)
		st->status = SP_ST_DIVERIFIKASI;
	return 0;
}

static int officer_step(struct run *run, const struct sp_report_action *a, int me, uint64_t t)
{
	struct sp_report_state *st = run->st;

	switch (a->code) {
	case SP_ACT_VERIFIKASI:
		if (st->status != SP_ST_DITERIMA)
			return SP_ERR_TRANSITION;
		st->status = SP_ST_DIVERIFIKASI;
		st->stage_from_ms = t;
		return 0;
	case SP_ACT_TUNDA:
		if (!in_states(st->status, OPEN_STATES))
			return SP_ERR_TRANSITION;
		st->before_hold = st->status;
		st->status = SP_ST_TUNDA;
		return 0;
	case SP_ACT_ARSIP:
		if (!in_states(st->status, S(SP_ST_DITERIMA) | S(SP_ST_DIVERIFIKASI) | S(SP_ST_TUNDA)))
			return SP_ERR_TRANSITION;
		st->status = SP_ST_DIARSIPKAN;
		return 0;
	case SP_ACT_DISPOSISI:
		return disposisi(run, a, me, t);
	case SP_ACT_BUKAN_WEWENANG:
		return bukan_wewenang(run, me, t);
	case SP_ACT_TINDAK_LANJUT:
		if (!in_states(st->status, S(SP_ST_DIVERIFIKASI) | S(SP_ST_DIDISPOSISIKAN)))
			return SP_ERR_TRANSITION;
		st->before_answer = st->status;
		st->status = SP_ST_DITINDAKLANJUTI;
		st->answered_ms = t;
		return 0;
	case SP_ACT_GABUNG:
		if (!in_states(st->status, OPEN_STATES | S(SP_ST_TUNDA)))
			return SP_ERR_TRANSITION;
		if (run->ctx->report_known && !run->ctx->report_known(run->ctx->arg, a->merge_into))
			return SP_ERR_UNKNOWN_REPORT;
		st->status = SP_ST_DIGABUNG;
		st->merged = 1;
		memcpy(st->merged_into, a->merge_into, SP_HASH_BYTES);
		close_all(st, t);
		return 0;
	}
	return SP_ERR_AUTHORITY; /* a reporter's action signed by an officer */
}

static int officer_act(struct run *run, const struct sp_report_trail *t,
		       const struct sp_report_action *a)
{
	char o[SP_INST_ID_MAX + 1];
	int err, me;

	if (a->code >= SP_ACT_BALAS)
		return SP_ERR_AUTHORITY;
	if (!t->sig_known && (err = sp_report_action_verify_officer(a)) != 0)
		return err;
	run->st->sig_good[run->cur] = 1;
	memset(o, 0, sizeof(o));
	err = run->ctx->officer_institution(run->ctx->arg, a->officer, t->time_ms, o);
	if (err)
		return err < 0 ? err : SP_ERR_UNKNOWN_OFFICER;
	o[SP_INST_ID_MAX] = '\0';
	/* An officer acts through the node of the institution enrolling him. */
	if (strcmp(o, t->inst) != 0)
		return SP_ERR_AUTHORITY;
	if (a->code == SP_ACT_AMBIL_ALIH)
		return take_over(run, o, t->time_ms);
	me = holder_span(run->st, o);
	if (me < 0)
		return SP_ERR_AUTHORITY;
	return officer_step(run, a, me, t->time_ms);
}

/* ---- reporter actions ---- */

/* closed_err: acting on a selesai report is late if the window closed it. */
static int closed_err(const struct sp_report_state *st)
{
	return st->status == SP_ST_SELESAI && st->auto_closed ? SP_ERR_WINDOW : SP_ERR_TRANSITION;
}

static int reporter_step(struct run *run, const struct sp_report_action *a, uint64_t t)
{
	struct sp_report_state *st = run->st;

	switch (a->code) {
	case SP_ACT_BALAS:
		if (!in_states(st->status, OPEN_STATES | S(SP_ST_TUNDA) | S(SP_ST_DITINDAKLANJUTI)))
			return closed_err(st);
		if (st->status == SP_ST_TUNDA) {
			st->status = st->before_hold;
			st->stage_from_ms = t;
		}
		return 0;
	case SP_ACT_SELESAI:
		if (st->status != SP_ST_DITINDAKLANJUTI)
			return closed_err(st);
		st->status = SP_ST_SELESAI;
		st->closed_ms = t;
		close_all(st, t);
		return 0;
	case SP_ACT_BUKA_KEMBALI:
		if (st->status != SP_ST_DITINDAKLANJUTI)
			return closed_err(st);
		st->status = st->before_answer;
		st->stage_from_ms = t;
		st->reopens++;
		return 0;
	case SP_ACT_NILAI:
		if (!in_states(st->status, S(SP_ST_DITINDAKLANJUTI) | S(SP_ST_SELESAI)))
			return SP_ERR_TRANSITION;
		if (t >= window_end(run))
			return SP_ERR_WINDOW;
		st->rating = a->rating;
		return 0;
	}
	return SP_ERR_AUTHORITY; /* an officer's action proved by the reporter */
}

static int reporter_act(struct run *run, const struct sp_report_trail *t,
			const struct sp_report_action *a, const struct sp_report *rep)
{
	int err;

	if (a->code < SP_ACT_BALAS)
		return SP_ERR_AUTHORITY;
	if (!t->sig_known && (err = sp_report_action_verify_reporter(a, rep)) != 0)
		return err;
	run->st->sig_good[run->cur] = 1;
	return reporter_step(run, a, t->time_ms);
}

/* ---- applying one entry ---- */

static int seen_before(const struct sp_report_state *st, const uint8_t h[SP_HASH_BYTES])
{
	for (size_t i = 0; i < st->n_seen; i++)
		if (memcmp(st->seen[i], h, SP_HASH_BYTES) == 0)
			return 1;
	return 0;
}

static int remember(struct sp_report_state *st, const uint8_t h[SP_HASH_BYTES])
{
	uint8_t(*p)[SP_HASH_BYTES] = realloc(st->seen, (st->n_seen + 1) * sizeof(*p));

	if (p == NULL)
		return SP_ERR_NOMEM;
	st->seen = p;
	memcpy(st->seen[st->n_seen++], h, SP_HASH_BYTES);
	return 0;
}

/* apply_action returns the entry's verdict; *fatal gets an out-of-memory
 * that must stop the computation (it is not the entry's fault). */
static int apply_action(struct run *run, const struct sp_report_trail *t,
			const struct sp_report *rep, int *fatal)
{
	struct sp_report_action *a = malloc(sizeof(*a));
	uint8_t h[SP_HASH_BYTES];
	int err;

	if (a == NULL)
		return *fatal = SP_ERR_NOMEM;
	err = sp_report_action_parse(t->body, t->body_len, a);
	if (err == 0 && memcmp(a->report, run->st->id, SP_HASH_BYTES) != 0)
		err = SP_ERR_UNKNOWN_REPORT;
	if (err == 0) {
		/* A signed act copied into a second entry must not act twice. */
		crypto_hash_sha256(h, a->act, a->act_len);
		err = seen_before(run->st, h) ? SP_ERR_REPLAY : 0;
	}
	if (err == 0)
		err = a->actor == SP_ACTOR_OFFICER ? officer_act(run, t, a)
						   : reporter_act(run, t, a, rep);
	if (err == 0)
		*fatal = remember(run->st, h);
	if (err == 0 && *fatal == 0) /* a forward re-seals the key to its targets */
		*fatal = keyed_add(run->st, a->keys, a->n_keys);
	free(a);
	return err;
}

static int apply_escalation(struct run *run, const struct sp_report_trail *t)
{
	struct sp_report_state *st = run->st;
	struct sp_report_escalation e;
	enum sp_report_stage stage;
	uint64_t at;
	int err = sp_report_esc_parse(t->body, t->body_len, &e);

	if (err)
		return err;
	if (memcmp(e.report, st->id, SP_HASH_BYTES) != 0)
		return SP_ERR_UNKNOWN_REPORT;
	if (holder_span(st, t->inst) < 0)
		return SP_ERR_AUTHORITY; /* the holder's node writes it */
	deadline(run, &stage, &at);
	if (e.stage != (uint32_t)stage || e.deadline_ms != at || t->time_ms < at)
		return SP_ERR_TRANSITION; /* not the deadline in force, or early */
	if (st->esc_stage == e.stage && st->esc_deadline_ms == e.deadline_ms)
		return SP_ERR_EXISTS;
	st->escalations++;
	st->esc_stage = e.stage;
	st->esc_deadline_ms = e.deadline_ms;
	return 0;
}

/* apply_transfer: the heir's node takes a report its retired holder held
 * (the holder's span closes, the heir's opens; a stage's clock restarts
 * for the new holder). */
static int apply_transfer(struct run *run, const struct sp_report_trail *t)
{
	struct sp_report_state *st = run->st;
	struct sp_report_transfer x;
	char from[SP_INST_ID_MAX + 1], heir[SP_INST_ID_MAX + 1];
	int held, err = sp_report_transfer_parse(t->body, t->body_len, &x);

	if (err)
		return err;
	if (memcmp(x.report, st->id, SP_HASH_BYTES) != 0)
		return SP_ERR_UNKNOWN_REPORT;
	snprintf(from, sizeof(from), "%.*s", (int)x.from.n, x.from.p);
	held = holder_span(st, from);
	if (held < 0)
		return SP_ERR_TRANSITION; /* it does not hold the report (any more) */
	memset(heir, 0, sizeof(heir));
	if (run->ctx->heir_of == NULL ||
	    run->ctx->heir_of(run->ctx->arg, from, t->time_ms, heir) != 0)
		return SP_ERR_AUTHORITY; /* still in service: its reports are its own */
	heir[SP_INST_ID_MAX] = '\0';
	if (strcmp(heir, t->inst) != 0)
		return SP_ERR_AUTHORITY; /* only the heir's node takes it */
	close_span(st, held, t->time_ms);
	if (in_states(st->status, OPEN_STATES))
		st->stage_from_ms = t->time_ms;
	if (holder_span(st, heir) >= 0)
		return 0;
	return open_span(st, sp_str_of(heir), t->time_ms, -1);
}

/* apply_grant: the coordinator's node gives holders of a rahasia report
 * that lack one a copy of its key; it changes no holder and no status. */
static int apply_grant(struct run *run, const struct sp_report_trail *t, int *fatal)
{
	struct sp_report_state *st = run->st;
	struct sp_report_grant *g = malloc(sizeof(*g));
	int err = g ? sp_report_grant_parse(t->body, t->body_len, g) : (*fatal = SP_ERR_NOMEM);

	if (err == 0 && memcmp(g->report, st->id, SP_HASH_BYTES) != 0)
		err = SP_ERR_UNKNOWN_REPORT;
	if (err == 0 && run->ctx->is_coordinator(run->ctx->arg, t->inst) != 1)
		err = SP_ERR_AUTHORITY; /* only the coordinator holds every report's key */
	if (err == 0 && !st->sealed_content)
		err = SP_ERR_TRANSITION; /* nothing sealed to grant */
	for (size_t i = 0; err == 0 && i < g->n_keys; i++) {
		char id[SP_INST_ID_MAX + 1];

		snprintf(id, sizeof(id), "%.*s", (int)g->keys[i].inst.n, g->keys[i].inst.p);
		if (holder_span(st, id) < 0)
			err = SP_ERR_AUTHORITY; /* a copy for one that does not hold it */
	}
	if (err == 0)
		*fatal = keyed_add(st, g->keys, g->n_keys);
	free(g);
	return err;
}

static int apply_entry(struct run *run, const struct sp_report_trail *t,
		       const struct sp_report *rep, int *fatal)
{
	if (t->inst == NULL || t->body == NULL || strlen(t->inst) == 0 ||
	    strlen(t->inst) > SP_INST_ID_MAX)
		return SP_ERR_ARG;
	if (t->time_ms < run->st->submitted_ms)
		return SP_ERR_TIME_ORDER;
	if (retired(run, t->inst, t->time_ms))
		return SP_ERR_RETIRED; /* its log writes nothing that counts any more */
	if (t->type == SP_EV_TRANSFER)
		return apply_transfer(run, t);
	if (t->type == SP_EV_ACTION)
		return apply_action(run, t, rep, fatal);
	if (t->type == SP_EV_ESCALATION)
		return apply_escalation(run, t);
	if (t->type == SP_EV_KEY_GRANT)
		return apply_grant(run, t, fatal);
	return SP_ERR_REPORT_FIELD;
}

/* ---- the computation ---- */

static int policy_ok(const struct sp_report_policy *p)
{
	return p->verify_wd >= 1 && p->verify_wd <= SP_REPORT_POLICY_MAX && p->answer_wd >= 1 &&
	       p->answer_wd <= SP_REPORT_POLICY_MAX && p->window_wd >= 1 && p->window_wd <= SP_REPORT_POLICY_MAX &&
	       p->ceiling_days >= 1 && p->ceiling_days <= SP_REPORT_POLICY_MAX;
}

static int start_state(struct run *run, const uint8_t *id, const struct sp_entry *sub,
		       const struct sp_report *rep)
{
	struct sp_report_state *st = run->st;

	memcpy(st->id, id, SP_HASH_BYTES);
	st->status = SP_ST_DITERIMA;
	st->submitted_ms = sub->time_ms;
	st->stage_from_ms = sub->time_ms;
	st->policy = rep->has_policy ? rep->policy : run->ctx->policy;
	if (!policy_ok(&st->policy))
		return SP_ERR_ARG;
	st->sealed_content = rep->vis == SP_REPORT_RAHASIA;
	if (rep->has_sealed) {
		int err = keyed_add(st, rep->sealed.keys, rep->sealed.n_keys);

		if (err)
			return err;
	}
	return open_span(st, rep->routed_to, sub->time_ms, -1);
}

static int run_trail(struct run *run, const struct sp_report_trail *trail, size_t n,
		     const struct sp_report *rep)
{
	struct ordered *ord = calloc(n ? n : 1, sizeof(*ord));
	int fatal = 0;

	if (ord == NULL)
		return SP_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		ord[i].t = &trail[i], ord[i].i = i;
	qsort(ord, n, sizeof(*ord), by_order);
	for (size_t k = 0; k < n && fatal == 0; k++) {
		auto_close(run, ord[k].t->time_ms);
		run->cur = ord[k].i;
		run->st->verdict[ord[k].i] = apply_entry(run, ord[k].t, rep, &fatal);
	}
	free(ord);
	return fatal;
}

static void finish_state(struct run *run, uint64_t now)
{
	struct sp_report_state *st = run->st;

	auto_close(run, now);
	deadline(run, &st->stage, &st->deadline_ms);
	st->overdue = st->stage != SP_STAGE_NONE && st->stage != SP_STAGE_WINDOW &&
		      now >= st->deadline_ms;
	st->n_holders = 0;
	for (size_t i = 0; i < st->n_spans && st->n_holders < SP_REPORT_MAX_HOLDERS; i++)
		if (st->spans[i].open)
			memcpy(st->holders[st->n_holders++], st->spans[i].inst, SP_INST_ID_MAX + 1);
}

int sp_report_compute(const uint8_t id[SP_HASH_BYTES], const struct sp_entry *sub,
		      const char *sub_inst, const struct sp_report_trail *trail, size_t n,
		      const struct sp_report_ctx *ctx, uint64_t now, struct sp_report_state *st)
{
	struct sp_report *rep;
	struct run run = {ctx, st, 0};
	int err;

	if (st == NULL)
		return SP_ERR_ARG;
	memset(st, 0, sizeof(*st));
	if (id == NULL || sub == NULL || sub_inst == NULL || (trail == NULL && n) || ctx == NULL ||
	    !ctx->officer_institution || !ctx->parent_of || !ctx->is_coordinator)
		return SP_ERR_ARG;
	if (sub->type != SP_EV_REPORT)
		return SP_ERR_ARG;
	rep = malloc(sizeof(*rep));
	st->verdict = calloc(n ? n : 1, sizeof(int));
	st->sig_good = calloc(n ? n : 1, 1);
	st->n_verdicts = n;
	err = rep && st->verdict && st->sig_good ? sp_report_parse(sub->body, sub->body_len, rep) : SP_ERR_NOMEM;
	if (err == 0)
		err = start_state(&run, id, sub, rep);
	if (err == 0)
		err = run_trail(&run, trail, n, rep);
	if (err == 0)
		finish_state(&run, now);
	free(rep);
	if (err)
		sp_report_state_free(st);
	return err;
}

void sp_report_state_free(struct sp_report_state *st)
{
	if (st == NULL)
		return;
	free(st->spans);
	free(st->verdict);
	free(st->sig_good);
	free(st->seen);
	free(st->keyed);
	st->spans = NULL;
	st->verdict = NULL;
	st->sig_good = NULL;
	st->seen = NULL;
	st->keyed = NULL;
	st->n_spans = st->n_verdicts = st->n_seen = st->n_keyed = 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

size_t sp_report_keyless(const struct sp_report_state *st,
			 char out[SP_REPORT_MAX_HOLDERS][SP_INST_ID_MAX + 1])
{
	size_t n = 0;

	for (size_t i = 0; st->sealed_content && i < st->n_holders; i++)
		if (!keyed(st, st->holders[i]))
			memcpy(out[n++], st->holders[i], SP_INST_ID_MAX + 1);
	qsort(out, n, SP_INST_ID_MAX + 1, by_name);
	return n;
}

int sp_report_escalation_due(const struct sp_report_state *st, uint64_t now,
			     struct sp_report_escalation *out)
{
	if (st == NULL || out == NULL)
		return 0;
	if (st->stage != SP_STAGE_VERIFY && st->stage != SP_STAGE_ANSWER &&
	    st->stage != SP_STAGE_CEILING)
		return 0;
	if (now < st->deadline_ms || st->n_holders == 0)
		return 0;
	if (st->esc_stage == (uint32_t)st->stage && st->esc_deadline_ms == st->deadline_ms)
		return 0;
	memcpy(out->report, st->id, SP_HASH_BYTES);
	out->stage = st->stage;
	out->deadline_ms = st->deadline_ms;
	return 1;
}

/*
 * sp_peer_score.c - per-peer penalties: a fixed table of institutions and
 * addresses refused for bad data, their growing cooling-off periods, and
 * what /metrics and /v1/status show of them (see sp_peer_score.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"
#include "sp_peer_int.h"
#include "sp_peer_score.h"
#include "sp_clock.h"

#define NAME_MAX_ 63
#define WHY_MAX 95

enum kind { KIND_INST = 0, KIND_ADDR = 1 };
static const char *const kind_name[] = {"inst", "addr"};

struct rec {
	int used;
	enum kind kind;
	char name[NAME_MAX_ + 1];
	unsigned strikes;        /* since the last clean period: sets the hold */
	uint64_t offences;       /* in all */
	uint64_t refused_hellos; /* HELLOs refused while held */
	uint64_t last_ms, until_ms, hold_ms;
	int last_err;
	char last_why[WHY_MAX + 1];
};

struct sp_peer_score {
	pthread_mutex_t mu;
	uint32_t base_ms, max_ms;
	struct rec v[SP_PEER_SCORE_MAX];
};

int sp_peer_score_new(uint32_t base_ms, uint32_t max_ms, struct sp_peer_score **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return SP_ERR_NOMEM;
	pthread_mutex_init(&(*out)->mu, NULL);
	(*out)->base_ms = base_ms;
	(*out)->max_ms = max_ms < base_ms ? base_ms : max_ms;
	return 0;
}

void sp_peer_score_free(struct sp_peer_score *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* find returns the record of (kind, name), or NULL. Under the lock. */
static struct rec *find(struct sp_peer_score *s, enum kind kind, const char *name)
{
	for (size_t i = 0; i < SP_PEER_SCORE_MAX; i++)
		if (s->v[i].used && s->v[i].kind == kind && strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

/* take returns the record of (kind, name), made if needed in a free slot
 * or the one idle the longest (a hold still running is reused last). */
static struct rec *take(struct sp_peer_score *s, enum kind kind, const char *name, uint64_t now)
{
	struct rec *r = find(s, kind, name), *old = NULL;
	if (r)
		return r;
	for (size_t i = 0; i < SP_PEER_SCORE_MAX && (old == NULL || old->used); i++) {
		struct rec *c = &s->v[i];
		int c_held = c->used && c->until_ms > now;
		int o_held = old && old->until_ms > now;
		if (old == NULL || !c->used || (o_held && !c_held) ||
		    (o_held == c_held && c->last_ms < old->last_ms))
			old = c;
	}
	memset(old, 0, sizeof(*old));
	old->used = 1;
	old->kind = kind;
	snprintf(old->name, sizeof(old->name), "%s", name);
	return old;
}

/* hold_for: the period the n-th strike in a row starts. */
static uint64_t hold_for(const struct sp_peer_score *s, unsigned n)
{
	uint64_t h = s->base_ms;
	for (unsigned i = 1; i < n && h < s->max_ms; i++)
		h *= 2;
	return h < s->max_ms ? h : s->max_ms;
}

static uint64_t strike_one(struct sp_peer_score *s, enum kind kind, const char *name, int err,
			   const char *why, uint64_t now)
{
	struct rec *r = take(s, kind, name, now);
	if (r->strikes && now - r->last_ms > s->max_ms + r->hold_ms)
		r->strikes = 0; /* behaved for a whole maximum period: start again */
	r->strikes++;
	r->offences++;
	r->last_ms = now;
	r->last_err = err;
	snprintf(r->last_why, sizeof(r->last_why), "%s", why);
	r->hold_ms = hold_for(s, r->strikes);
	r->until_ms = now + r->hold_ms;
	return r->hold_ms;
}

uint64_t sp_peer_score_strike(struct sp_peer_score *s, const char *inst, const char *addr,
			      int err, const char *why, uint64_t now)
{
	uint64_t h = 0, a = 0;
	pthread_mutex_lock(&s->mu);
	if (inst && *inst)
		h = strike_one(s, KIND_INST, inst, err, why, now);
	if (addr && *addr)
		a = strike_one(s, KIND_ADDR, addr, err, why, now);
	pthread_mutex_unlock(&s->mu);
	return h > a ? h : a;
}

int sp_peer_score_forgive(struct sp_peer_score *s, const char *inst, uint64_t now)
{
	pthread_mutex_lock(&s->mu);
	struct rec *r = inst && *inst ? find(s, KIND_INST, inst) : NULL;
	int held = r && r->until_ms > now;
	if (r) {
		r->strikes = 0;
		r->until_ms = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return held;
}

/* left_one: ms left of (kind, name)'s hold, counting a refused HELLO. */
static uint64_t left_one(struct sp_peer_score *s, enum kind kind, const char *name, uint64_t now)
{
	struct rec *r = name && *name ? find(s, kind, name) : NULL;
	if (r == NULL || r->until_ms <= now)
		return 0;
	r->refused_hellos++;
	return r->until_ms - now;
}

uint64_t sp_peer_score_held(struct sp_peer_score *s, const char *inst, const char *addr,
			    uint64_t now)
{
	pthread_mutex_lock(&s->mu);
	uint64_t h = left_one(s, KIND_INST, inst, now);
	uint64_t a = left_one(s, KIND_ADDR, addr, now);
	pthread_mutex_unlock(&s->mu);
	return h > a ? h : a;
}

/* metric appends one family: HELP, TYPE and a line per record. */
static void metric(struct sp_peer_score *s, uint64_t now, struct sp_buf *out, const char *name,
		   const char *type, const char *help, int which)
{
	char b[256];
	int n = snprintf(b, sizeof(b), "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	sp_buf_put(out, b, (size_t)n);
	for (size_t i = 0; i < SP_PEER_SCORE_MAX; i++) {
		const struct rec *r = &s->v[i];
		if (!r->used)
			continue;
		unsigned long long v = which == 0   ? r->offences
				       : which == 1 ? r->until_ms > now
						    : r->refused_hellos;
		n = snprintf(b, sizeof(b), "%s{%s=\"%s\"} %llu\n", name, kind_name[r->kind],
			     r->name, v);
		if (n > 0 && (size_t)n < sizeof(b))
			sp_buf_put(out, b, (size_t)n);
	}
}

void sp_peer_score_metrics(struct sp_peer_score *s, uint64_t now, struct sp_buf *out)
{
	pthread_mutex_lock(&s->mu);
	metric(s, now, out, "simpul_peer_penalties_total", "counter",
	       "Refusals for bad data, by peer institution or address.", 0);
	metric(s, now, out, "simpul_peer_held", "gauge",
	       "Peers held off now after bad data (1), by institution or address.", 1);
	metric(s, now, out, "simpul_peer_held_refused_total", "counter",
	       "HELLOs refused while the peer was held off.", 2);
	pthread_mutex_unlock(&s->mu);
}

static json_t *rec_json(const struct rec *r, uint64_t now)
{
	int held = r->until_ms > now;
	return json_pack("{s:s,s:I,s:I,s:b,s:I,s:I,s:I,s:s,s:s,s:I}", kind_name[r->kind], r->name,
			 "strikes", (json_int_t)r->strikes, "offences", (json_int_t)r->offences,
			 "held", held, "held_ms", (json_int_t)(held ? r->until_ms - now : 0),
			 "hold_ms", (json_int_t)r->hold_ms, "refused_hellos",
			 (json_int_t)r->refused_hellos, "last_error", sp_errname(r->last_err),
			 "last_text", r->last_why, "last_s_ago", (json_int_t)((now - r->last_ms) / 1000));
}

json_t *sp_peer_score_json(struct sp_peer_score *s, uint64_t now)
{
	json_t *a = json_array();
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; a && i < SP_PEER_SCORE_MAX; i++)
		if (s->v[i].used && json_array_append_new(a, rec_json(&s->v[i], now)) != 0) {
			json_decref(a);
			a = NULL;
		}
	pthread_mutex_unlock(&s->mu);
	return a;
}

/* ---- session glue ---------------------------------------------------------------------------- */

/* conn_ip: the IP of a connection the peer opened to us (its port is
 * ephemeral: not part of the address held); NULL for one we dialed (we
 * chose that address; its institution answers for it). */
static const char *conn_ip(const struct sp_peer_conn *c, char *buf, size_t cap)
{
	if (c->slot >= 0 || strcmp(c->addr, "?") == 0)
		return NULL;
	snprintf(buf, cap, "%.*s", (int)strcspn(c->addr, ":"), c->addr);
	return buf;
}

void sp_peer_penalise(struct sp_peer_conn *c, int rc, const char *why)
{
	struct sp_peer *p = c->p;
	if (rc == SP_ERR_RATE_LIMITED || p->score == NULL)
		return;
	char ip[sizeof(c->addr)];
	/* An institution is named only once it proved its key: anyone can
	 * put another's id (and public key) in a HELLO. A peer that proved
	 * it answers for itself, not for its address: institutions behind
	 * one gateway (a shared data centre, NAT, loopback) are not held
	 * off for one of them. */
	const char *inst = c->state == SP_PEER_READY ? c->their_inst : NULL;
	const char *addr = inst ? NULL : conn_ip(c, ip, sizeof(ip));
	uint64_t hold = sp_peer_score_strike(p->score, inst, addr, rc, why, sp_mono_ms());
	sp_logx(p->log, SP_LOGX_WARN, "peer", "penalised peer=%s addr=%s err=%s hold_ms=%llu: %s",
		inst ? inst : "?", c->addr, sp_errname(rc), (unsigned long long)hold, why);
}

uint64_t sp_peer_held_off(struct sp_peer_conn *c)
{
	struct sp_peer *p = c->p;
	char ip[sizeof(c->addr)];
	if (p->score == NULL)
		return 0;
	return sp_peer_score_held(p->score, c->their_inst, conn_ip(c, ip, sizeof(ip)),
				  sp_mono_ms());
}

/*
 * sp_admin_svc.c - the node's administration service (see sp_admin_svc.h):
 * the nonces of admin requests written, the order requests are handled
 * in, and the calendar's state.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_admin_svc.h"
#include "sp_cal.h"
#include "sp_dirload.h"
#include "sp_entry.h"
#include "sp_err.h"
#include "sp_logx.h"
#include "sp_node.h"
#include "sp_store.h"

struct sp_admin_svc {
	pthread_mutex_t mu;
	int loaded;          /* nonces of the own log read */
	uint8_t (*nonce)[SP_ADMIN_NONCE_BYTES];
	size_t n, cap;
	uint64_t last_warned; /* unpublished-calendar walks already logged */
};

int sp_admin_svc_new(struct sp_admin_svc **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return SP_ERR_NOMEM;
	pthread_mutex_init(&(*out)->mu, NULL);
	return 0;
}

void sp_admin_svc_free(struct sp_admin_svc *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->mu);
	free(a->nonce);
	free(a);
}

/* ---- the nonces written so far --------------------------------------------------------- */

static int remember(struct sp_admin_svc *a, const uint8_t nonce[SP_ADMIN_NONCE_BYTES])
{
	if (sp_grow((void **)&a->nonce, &a->cap, a->n, sizeof(*a->nonce)))
		return SP_ERR_NOMEM;
	memcpy(a->nonce[a->n++], nonce, SP_ADMIN_NONCE_BYTES);
	return 0;
}

static int seen(const struct sp_admin_svc *a, const uint8_t nonce[SP_ADMIN_NONCE_BYTES])
{
	for (size_t i = 0; i < a->n; i++)
		if (sodium_memcmp(a->nonce[i], nonce, SP_ADMIN_NONCE_BYTES) == 0)
			return 1;
	return 0;
}

static int load_one(void *arg, uint64_t index, const uint8_t *buf, size_t len)
{
	(void)index;
	struct sp_entry e;
	struct sp_admin_req r;
	if (sp_entry_decode(buf, len, &e) != 0 || e.type != SP_EV_ADMIN ||
	    sp_admin_decode(e.body, e.body_len, &r) != 0)
		return 0;
	return remember(arg, r.nonce);
}

/* load_nonces reads every admin request of the own log, once. */
static int load_nonces(struct sp_node *n, struct sp_admin_svc *a)
{
	if (a->loaded)
		return 0;
	struct sp_log_info info;
	uint32_t own;
	int rc = sp_store_own_log(sp_node_store(n), &own);
	if (rc == 0)
		rc = sp_store_log_info(sp_node_store(n), own, &info);
	if (rc == 0 && info.size > 0)
		rc = sp_store_scan(sp_node_store(n), own, 0, info.size, load_one, a);
	a->loaded = rc == 0;
	return rc;
}

void sp_admin_svc_lock(struct sp_admin_svc *a)
{
	pthread_mutex_lock(&a->mu);
}

void sp_admin_svc_unlock(struct sp_admin_svc *a)
{
	pthread_mutex_unlock(&a->mu);
}

int sp_admin_svc_seen(struct sp_admin_svc *a, struct sp_node *n,
		      const uint8_t nonce[SP_ADMIN_NONCE_BYTES])
{
	int rc = load_nonces(n, a);
	return rc ? rc : seen(a, nonce);
}

int sp_admin_svc_written(struct sp_admin_svc *a, const uint8_t nonce[SP_ADMIN_NONCE_BYTES])
{
	return remember(a, nonce);
}

/* ---- the calendar --------------------------------------------------------------------- */

json_t *sp_admin_svc_calendar_json(struct sp_node *n)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	if (dl == NULL)
		return json_null();
	json_t *years = json_array();
	for (uint32_t y = 2000; y <= 2100; y++)
		if (sp_cal_year_published(&dl->cal, y))
			json_array_append_new(years, json_integer(y));
	uint64_t walks;
	uint32_t year;
	sp_cal_unpublished(&dl->cal, &walks, &year);
	json_t *j = json_pack("{s:o,s:I}", "published", years, "unpublished_deadlines",
			      (json_int_t)walks);
	if (j)
		json_object_set_new(j, "unpublished_year", year ? json_integer(year) : json_null());
	return j;
}

void sp_admin_svc_calendar_warn(struct sp_node *n)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	struct sp_admin_svc *a = sp_node_admin(n);
	if (dl == NULL || a == NULL)
		return;
	uint64_t walks;
	uint32_t year;
	sp_cal_unpublished(&dl->cal, &walks, &year);
	pthread_mutex_lock(&a->mu);
	int news = walks > a->last_warned;
	a->last_warned = walks;
	pthread_mutex_unlock(&a->mu);
	if (news)
		sp_logx(sp_node_log(n), SP_LOGX_WARN, "calendar",
			"deadlines fall in %u, which has no published holiday calendar (only "
			"fixed-date holidays counted, %llu deadlines so far): publish it with "
			"simpul calendar publish %u FILE",
			year, (unsigned long long)walks, year);
}

void sp_admin_svc_metrics(struct sp_node *n, struct sp_buf *out)
{
	const struct sp_dirload *dl = sp_node_dir(n);
	if (dl == NULL)
		return;
	uint64_t walks;
	uint32_t year;
	sp_cal_unpublished(&dl->cal, &walks, &year);
	char line[400];
	int len = snprintf(line, sizeof(line),
			   "# HELP simpul_calendar_unpublished_deadlines_total Deadlines computed "
			   "across a year with no published holiday calendar.\n"
			   "# TYPE simpul_calendar_unpublished_deadlines_total counter\n"
			   "simpul_calendar_unpublished_deadlines_total{year=\"%u\"} %llu\n",
			   year, (unsigned long long)walks);
	if (len > 0 && (size_t)len < sizeof(line))
		sp_buf_put(out, line, (size_t)len);
}

/*
 * test_hfig.c - unit tests for the handling figures' periods
 * (protocol/sp_hfig.c): "YYYY-MM" read as a calendar month in WIB, the
 * bounds a report's submission time is compared with, and bad months
 * refused, as the dashboard's month= and `simpul audit --month` use them.
 * And the follow-up rate's counters: a report still in its holder's hands,
 * unanswered and before any deadline, is not yet due and stays out of the
 * rate; answered, overdue or closed without an answer, it is in it.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <string.h>

#include "sp_cal.h"
#include "sp_err.h"
#include "sp_hfig.h"

#define HOUR_MS 3600000ULL

/* wib gives the time of hh:00 WIB on date ymd. */
static uint64_t wib(uint32_t ymd, unsigned hh)
{
	int64_t day;
	assert_int_equal(sp_cal_ymd_to_day(ymd, &day), 0);
	return sp_cal_day_start_ms(day) + hh * HOUR_MS;
}

static void test_month_bounds(void **state)
{
	(void)state;
	struct sp_hfig_period p;
	assert_int_equal(sp_hfig_month("2026-11", &p), 0);
	assert_int_equal(p.from_ms, wib(20261101, 0));
	assert_int_equal(p.to_ms, wib(20261201, 0));
	/* 00:00 WIB on the 1st is 17:00 UTC the day before */
	assert_int_equal(p.from_ms % (24 * HOUR_MS), 17 * HOUR_MS);
	assert_true(sp_hfig_in_period(&p, p.from_ms));
	assert_true(sp_hfig_in_period(&p, wib(20261130, 23)));
	assert_false(sp_hfig_in_period(&p, p.from_ms - 1));
	assert_false(sp_hfig_in_period(&p, p.to_ms));
	/* December runs into the next year */
	assert_int_equal(sp_hfig_month("2026-12", &p), 0);
	assert_int_equal(p.to_ms, wib(20270101, 0));
	/* February of a leap year */
	assert_int_equal(sp_hfig_month("2028-02", &p), 0);
	assert_int_equal(p.to_ms - p.from_ms, 29 * 24 * HOUR_MS);
}

static void test_no_period(void **state)
{
	(void)state;
	struct sp_hfig_period all = {0, 0};
	assert_true(sp_hfig_in_period(&all, 0));
	assert_true(sp_hfig_in_period(&all, UINT64_MAX));
}

static void test_bad_months(void **state)
{
	(void)state;
	static const char *const bad[] = {"", "2026", "2026-1", "2026-13", "2026-00", "26-11-01",
					  "2026/11", "2026-1a", "+026-11", "1969-12", "2026-11 ",
					  "nov"};
	struct sp_hfig_period p = {1, 2};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sp_hfig_month(bad[i], &p), SP_ERR_ARG);
	assert_int_equal(sp_hfig_month(NULL, &p), SP_ERR_ARG);
	assert_int_equal(p.from_ms, 1); /* unchanged */
	assert_int_equal(p.to_ms, 2);
}

/* rate_of: the follow-up counters report st with steps s gives inst. */
static struct sp_hfig_counts rate_of(const struct sp_report_state *st,
				     const struct sp_hfig_step *s, size_t n, const char *inst)
{
	struct sp_cal cal;
	struct sp_hfig_report h;
	struct sp_hfig_row row;
	memset(&row, 0, sizeof(row));
	sp_cal_init(&cal);
	assert_int_equal(sp_hfig_report(st, s, n, &cal, wib(20261210, 9), &h), 0);
	for (size_t i = 0; i < h.n_ev; i++)
		if (strcmp(h.ev[i].inst, inst) == 0)
			sp_hfig_count(&row, &h.ev[i]);
	sp_hfig_report_free(&h);
	sp_hfig_row_free(&row);
	sp_cal_free(&cal);
	return row.c;
}

static void test_not_yet_due(void **state)
{
	(void)state;
	struct sp_report_span span = {.inst = "73.12", .start_ms = wib(20261207, 9), .open = 1,
				      .from = -1};
	struct sp_report_state st;
	memset(&st, 0, sizeof(st));
	st.status = SP_ST_DITERIMA;
	st.spans = &span;
	st.n_spans = 1;
	st.n_holders = 1;
	snprintf(st.holders[0], sizeof(st.holders[0]), "73.12");
	st.submitted_ms = span.start_ms;
	st.policy = sp_report_default_policy();
	st.stage = SP_STAGE_VERIFY;
	st.deadline_ms = wib(20261210, 9) + 1; /* not passed at now */

	/* fresh, untouched: not yet due, out of the rate */
	struct sp_hfig_counts c = rate_of(&st, NULL, 0, "73.12");
	assert_int_equal(c.not_yet_due, 1);
	assert_int_equal(c.responsible, 0);
	assert_int_equal(c.followed_up, 0);
	assert_true(sp_hfig_rate(&c) < 0); /* nothing due: no rate */

	/* its deadline passed unanswered: due, and not followed up */
	st.overdue = 1;
	c = rate_of(&st, NULL, 0, "73.12");
	assert_int_equal(c.not_yet_due, 0);
	assert_int_equal(c.responsible, 1);
	assert_int_equal(c.followed_up, 0);
	assert_true(sp_hfig_rate(&c) == 0.0);

	/* answered before any deadline: due and followed up */
	struct sp_hfig_step ans = {.inst = "73.12", .t = wib(20261208, 9), .type = SP_EV_ACTION,
				   .code = SP_ACT_TINDAK_LANJUT, .officer = 1};
	st.overdue = 0;
	st.status = SP_ST_DITINDAKLANJUTI;
	st.stage = SP_STAGE_WINDOW;
	c = rate_of(&st, &ans, 1, "73.12");
	assert_int_equal(c.not_yet_due, 0);
	assert_int_equal(c.responsible, 1);
	assert_int_equal(c.followed_up, 1);
	assert_true(sp_hfig_rate(&c) == 1.0);

	/* closed without its answer (archived) before any deadline: due */
	struct sp_hfig_step arsip = ans;
	arsip.code = SP_ACT_ARSIP;
	st.status = SP_ST_DIARSIPKAN;
	st.stage = SP_STAGE_NONE;
	span.open = 0;
	span.end_ms = arsip.t;
	st.n_holders = 0;
	c = rate_of(&st, &arsip, 1, "73.12");
	assert_int_equal(c.not_yet_due, 0);
	assert_int_equal(c.responsible, 1);
	assert_int_equal(c.followed_up, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_month_bounds),
		cmocka_unit_test(test_no_period),
		cmocka_unit_test(test_bad_months),
		cmocka_unit_test(test_not_yet_due),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

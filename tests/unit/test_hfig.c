/*
 * test_hfig.c - unit tests for the handling figures' periods
 * (protocol/sp_hfig.c): "YYYY-MM" read as a calendar month in WIB, the
 * bounds a report's submission time is compared with, and bad months
 * refused, as the dashboard's month= and `simpul audit --month` use them.
 */
#include "sp_testutil.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_month_bounds),
		cmocka_unit_test(test_no_period),
		cmocka_unit_test(test_bad_months),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

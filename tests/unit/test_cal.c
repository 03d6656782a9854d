/*
 * test_cal.c - unit tests for the working-day calendar (protocol/sp_cal.c):
 * civil dates, WIB day boundaries, deadlines across weekends, national
 * holidays, cuti bersama and year ends, and the SP_EV_CALENDAR body.
 */
#include "sp_testutil.h"

#include <stdlib.h>
#include <string.h>

#include "sp_cal.h"
#include "sp_cbor.h"
#include "sp_err.h"

#define HOUR_MS 3600000ULL

/* wib gives the time of hh:mm WIB on date ymd. */
static uint64_t wib(uint32_t ymd, unsigned hh, unsigned mm)
{
	int64_t day;

	assert_int_equal(sp_cal_ymd_to_day(ymd, &day), 0);
	return sp_cal_day_start_ms(day) + hh * HOUR_MS + mm * 60000ULL;
}

/* cal_2026 loads the built-in 2026 default into c. */
static void cal_2026(struct sp_cal *c)
{
	uint8_t *body;
	size_t len;

	sp_cal_init(c);
	assert_int_equal(sp_cal_default_2026(&body, &len), 0);
	assert_int_equal(sp_cal_load_year(c, body, len), 0);
	free(body);
}

static uint64_t add_wd(const struct sp_cal *c, uint64_t start, uint32_t n)
{
	uint64_t d = 0;

	assert_int_equal(sp_cal_add_working_days(c, start, n, &d), 0);
	return d;
}

static void test_civil_dates(void **state)
{
	int64_t day;

	assert_int_equal(sp_cal_ymd_to_day(19700101, &day), 0);
	assert_int_equal(day, 0);
	assert_int_equal(sp_cal_ymd_to_day(20260101, &day), 0);
	assert_int_equal(day, 20454);
	assert_int_equal(sp_cal_day_to_ymd(20454), 20260101);
	assert_int_equal(sp_cal_ymd_to_day(20240229, &day), 0);
	assert_int_equal(sp_cal_day_to_ymd(day), 20240229);
	assert_int_equal(sp_cal_ymd_to_day(20260229, &day), SP_ERR_ARG);
	assert_int_equal(sp_cal_ymd_to_day(20261301, &day), SP_ERR_ARG);
	assert_int_equal(sp_cal_ymd_to_day(20260100, &day), SP_ERR_ARG);
	assert_int_equal(sp_cal_ymd_to_day(19691231, &day), SP_ERR_ARG);
}

/* 00:00 WIB is 17:00 UTC of the day before. */
static void test_wib_day_boundary(void **state)
{
	int64_t thu;
	uint64_t midnight;

	assert_int_equal(sp_cal_ymd_to_day(20260108, &thu), 0);
	midnight = sp_cal_day_start_ms(thu + 1);
	/* 2026-01-08T17:00:00Z */
	assert_int_equal(midnight, 1767891600000ULL);
	assert_int_equal(sp_cal_wib_day(midnight - 1), thu);
	assert_int_equal(sp_cal_wib_day(midnight), thu + 1);

	/* Thursday 23:59:59.999 WIB counts from Thursday: the deadline is
	 * the end of Friday; one ms later it counts from Friday, so the next
	 * working day is Monday. */
	assert_int_equal(add_wd(NULL, midnight - 1, 1), wib(20260110, 0, 0));
	assert_int_equal(add_wd(NULL, midnight, 1), wib(20260113, 0, 0));
}

static void test_weekends(void **state)
{
	int64_t day;

	assert_int_equal(sp_cal_ymd_to_day(20260110, &day), 0); /* Saturday */
	assert_false(sp_cal_is_working_day(NULL, day));
	assert_false(sp_cal_is_working_day(NULL, day + 1));
	assert_true(sp_cal_is_working_day(NULL, day + 2));

	/* Friday + 3 = Mon, Tue, Wed: due at the end of Wednesday. */
	assert_int_equal(add_wd(NULL, wib(20260109, 10, 0), 3), wib(20260115, 0, 0));
	/* A report received on Saturday counts from Monday. */
	assert_int_equal(add_wd(NULL, wib(20260110, 9, 0), 1), wib(20260113, 0, 0));
	/* n = 0: the end of the start day. */
	assert_int_equal(add_wd(NULL, wib(20260109, 10, 0), 0), wib(20260110, 0, 0));
	/* Ten working days = two weeks. */
	assert_int_equal(add_wd(NULL, wib(20260105, 8, 0), 10), wib(20260120, 0, 0));
}

static void test_holidays_2026(void **state)
{
	struct sp_cal c;
	int64_t day;

	cal_2026(&c);
	assert_int_equal(sp_cal_ymd_to_day(20260116, &day), 0); /* Isra Mikraj */
	assert_false(sp_cal_is_working_day(&c, day));
	assert_true(sp_cal_is_working_day(NULL, day));

	/* Wed 14 Jan + 2: Thu 15, (Fri 16 Isra Mikraj, weekend), Mon 19. */
	assert_int_equal(add_wd(&c, wib(20260114, 11, 0), 2), wib(20260120, 0, 0));
	assert_int_equal(add_wd(NULL, wib(20260114, 11, 0), 2), wib(20260117, 0, 0));

	/* Lebaran: Wed 18 cuti Nyepi, Thu 19 Nyepi, Fri 20 cuti, Sat 21 and
	 * Sun 22 Idul Fitri, Mon 23 and Tue 24 cuti: Tue 17 + 1 = Wed 25. */
	assert_int_equal(add_wd(&c, wib(20260317, 15, 0), 1), wib(20260326, 0, 0));
	/* and 3 working days: Wed 25, Thu 26, Fri 27. */
	assert_int_equal(add_wd(&c, wib(20260317, 15, 0), 3), wib(20260328, 0, 0));

	/* Cuti bersama Imlek Mon 16 Feb, Imlek Tue 17 Feb. */
	assert_int_equal(add_wd(&c, wib(20260213, 9, 0), 1), wib(20260219, 0, 0));
	/* Kenaikan Thu 14 May + cuti Fri 15 May. */
	assert_int_equal(add_wd(&c, wib(20260513, 9, 0), 1), wib(20260519, 0, 0));
	sp_cal_free(&c);
}

static void test_year_end(void **state)
{
	struct sp_cal c;

	cal_2026(&c);
	/* Wed 23 Dec + 3: (Thu 24 cuti, Fri 25 Natal, weekend) Mon 28, Tue 29,
	 * Wed 30. */
	assert_int_equal(add_wd(&c, wib(20261223, 16, 0), 3), wib(20261231, 0, 0));
	/* + 5 crosses into 2027, whose calendar is not published: its fixed-date
	 * holidays count all the same (1 Jan), so Monday 4 Jan is the fifth day,
	 * and the walk is counted as one into an unpublished year. */
	uint64_t walks;
	uint32_t year;
	sp_cal_unpublished(&c, &walks, &year);
	assert_int_equal(walks, 0);
	assert_int_equal(add_wd(&c, wib(20261223, 16, 0), 5), wib(20270105, 0, 0));
	sp_cal_unpublished(&c, &walks, &year);
	assert_int_equal(walks, 1);
	assert_int_equal(year, 2027);
	assert_false(sp_cal_year_published(&c, 2027));
	assert_true(sp_cal_year_published(&c, 2026));
	assert_int_equal(sp_cal_first_unpublished(&c, wib(20261223, 16, 0), wib(20270105, 0, 0)),
			 2027);
	assert_int_equal(sp_cal_first_unpublished(&c, wib(20261201, 16, 0), wib(20261223, 0, 0)),
			 0);
	/* Fixed dates of any unpublished year: 17 August 2029 is a Friday. */
	int64_t day;
	assert_int_equal(sp_cal_ymd_to_day(20290817, &day), 0);
	assert_false(sp_cal_is_working_day(&c, day));
	assert_int_equal(sp_cal_ymd_to_day(20290816, &day), 0);
	assert_true(sp_cal_is_working_day(&c, day));
	/* An explicit holiday on 1 Jan 2027 changes nothing. */
	assert_int_equal(sp_cal_add_holiday(&c, 20270101), 0);
	assert_int_equal(add_wd(&c, wib(20261223, 16, 0), 5), wib(20270105, 0, 0));
	/* Adding it twice changes nothing. */
	assert_int_equal(sp_cal_add_holiday(&c, 20270101), 0);
	assert_int_equal(add_wd(&c, wib(20261223, 16, 0), 5), wib(20270105, 0, 0));
	assert_int_equal(sp_cal_add_holiday(&c, 20270230), SP_ERR_ARG);
	sp_cal_free(&c);
}

static void test_between(void **state)
{
	struct sp_cal c;
	uint64_t n = 99, start = wib(20260317, 15, 0);

	cal_2026(&c);
	assert_int_equal(sp_cal_working_days_between(&c, start, start, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sp_cal_working_days_between(&c, start, wib(20260325, 23, 59), &n), 0);
	assert_int_equal(n, 1);
	/* The inverse of add_working_days, for every n up to 30. */
	for (uint32_t k = 0; k <= 30; k++) {
		uint64_t d = add_wd(&c, start, k);

		assert_int_equal(sp_cal_working_days_between(&c, start, d - 1, &n), 0);
		assert_int_equal(n, k);
		assert_int_equal(sp_cal_working_days_between(&c, start, d, &n), 0);
		assert_true(n >= k);
	}
	assert_int_equal(sp_cal_working_days_between(&c, start, start - 1, &n), SP_ERR_ARG);
	assert_int_equal(sp_cal_add_working_days(&c, start, SP_CAL_MAX_WORKING_DAYS + 1, &n),
			 SP_ERR_RANGE);
	sp_cal_free(&c);
}

static void test_default_body(void **state)
{
	struct sp_cal_year y;
	uint8_t *body;
	size_t len;

	assert_int_equal(sp_cal_default_2026(&body, &len), 0);
	assert_int_equal(sp_cal_year_decode(body, len, &y), 0);
	assert_int_equal(y.year, 2026);
	assert_int_equal(y.n, 25); /* 17 libur nasional + 8 cuti bersama */
	assert_int_equal(y.days[0].ymd, 20260101);
	assert_int_equal(y.days[24].ymd, 20261225);
	assert_int_equal(y.days[24].name_len, strlen("Kelahiran Yesus Kristus (Natal)"));
	/* Body starts {0: 2026 (0x19 0x07ea), 1: [ ... */
	assert_int_equal(body[0], 0xa2);
	assert_int_equal(body[1], 0x00);
	assert_int_equal(body[2], 0x19);
	assert_int_equal(body[3], 0x07);
	assert_int_equal(body[4], 0xea);
	sp_cal_year_free(&y);
	free(body);
}

/* A later SP_EV_CALENDAR record for a year replaces its holidays. */
static void test_override(void **state)
{
	static const struct sp_cal_holiday only[] = {{20260105, "Libur daerah", 12}};
	struct sp_cal c;
	uint8_t *body;
	size_t len;
	int64_t d1, d2;

	cal_2026(&c);
	assert_int_equal(sp_cal_year_encode(2026, only, 1, &body, &len), 0);
	assert_int_equal(sp_cal_load_year(&c, body, len), 0);
	free(body);
	assert_int_equal(c.n, 1);
	assert_int_equal(sp_cal_ymd_to_day(20260105, &d1), 0);
	assert_int_equal(sp_cal_ymd_to_day(20260116, &d2), 0);
	assert_false(sp_cal_is_working_day(&c, d1));
	assert_true(sp_cal_is_working_day(&c, d2));
	sp_cal_free(&c);
}

static int decode_bytes(const uint8_t *p, size_t n)
{
	struct sp_cal_year y;
	int err = sp_cal_year_decode(p, n, &y);

	sp_cal_year_free(&y);
	return err;
}

static void test_bad_bodies(void **state)
{
	/* {0: 2026, 1: [[20260101, "a"]]} is the good shape. */
	static const uint8_t good[] = {0xa2, 0x00, 0x19, 0x07, 0xea, 0x01, 0x81, 0x82,
				       0x1a, 0x01, 0x35, 0x25, 0x05, 0x61, 'a'};
	static const uint8_t other_year[] = {0xa2, 0x00, 0x19, 0x07, 0xe9, 0x01, 0x81, 0x82,
					     0x1a, 0x01, 0x35, 0x25, 0x05, 0x61, 'a'};
	static const uint8_t empty_name[] = {0xa2, 0x00, 0x19, 0x07, 0xea, 0x01, 0x81,
					     0x82, 0x1a, 0x01, 0x35, 0x25, 0x05, 0x60};
	static const uint8_t missing_days[] = {0xa1, 0x00, 0x19, 0x07, 0xea};
	static const uint8_t extra_key[] = {0xa3, 0x00, 0x19, 0x07, 0xea, 0x01, 0x80, 0x02, 0x00};
	static const uint8_t nonshortest[] = {0xa2, 0x00, 0x1a, 0x00, 0x00, 0x07, 0xea, 0x01, 0x80};
	static const uint8_t unsorted[] = {0xa2, 0x01, 0x80, 0x00, 0x19, 0x07, 0xea};
	static const uint8_t bad_date[] = {0xa2, 0x00, 0x19, 0x07, 0xea, 0x01, 0x81, 0x82,
					   0x1a, 0x01, 0x35, 0x25, 0x85, 0x61, 'a'}; /* 20260229 */
	static const struct sp_cal_holiday dup[] = {{20260101, "a", 1}, {20260101, "b", 1}};
	static const struct sp_cal_holiday down[] = {{20260102, "a", 1}, {20260101, "b", 1}};
	uint8_t *body;
	size_t len;

	assert_int_equal(decode_bytes(good, sizeof(good)), 0);
	assert_int_equal(decode_bytes(other_year, sizeof(other_year)), SP_ERR_DIR_RECORD);
	assert_int_equal(decode_bytes(empty_name, sizeof(empty_name)), SP_ERR_DIR_RECORD);
	assert_int_equal(decode_bytes(missing_days, sizeof(missing_days)), SP_ERR_DIR_RECORD);
	assert_int_equal(decode_bytes(extra_key, sizeof(extra_key)), SP_ERR_DIR_RECORD);
	assert_int_equal(decode_bytes(nonshortest, sizeof(nonshortest)), SP_ERR_CBOR_NONSHORTEST);
	assert_int_equal(decode_bytes(unsorted, sizeof(unsorted)), SP_ERR_CBOR_UNSORTED);
	assert_int_equal(decode_bytes(bad_date, sizeof(bad_date)), SP_ERR_DIR_RECORD);
	assert_int_equal(decode_bytes(good, sizeof(good) - 1), SP_ERR_CBOR_MALFORMED);
	assert_int_equal(sp_cal_year_encode(2026, dup, 2, &body, &len), SP_ERR_DIR_RECORD);
	assert_null(body);
	assert_int_equal(sp_cal_year_encode(2026, down, 2, &body, &len), SP_ERR_DIR_RECORD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil_dates),
		cmocka_unit_test(test_wib_day_boundary),
		cmocka_unit_test(test_weekends),
		cmocka_unit_test(test_holidays_2026),
		cmocka_unit_test(test_year_end),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_default_body),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_bad_bodies),
	};

	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

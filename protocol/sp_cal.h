/*
 * sp_cal.h - the working-day calendar that report deadlines are counted in.
 *
 * Deadlines in SP4N-LAPOR! are in working days (hari kerja): Monday to
 * Friday, minus national holidays (libur nasional) and cuti bersama, which
 * the government fixes each year (SKB 3 Menteri). Days are civil dates in
 * WIB (UTC+7) for every node, wherever it runs, so every node and observer
 * computes the same deadline from the same trail.
 *
 * A calendar is a sorted set of holiday days. It is filled from the bodies
 * of SP_EV_CALENDAR directory records, one per year:
 *
 *   { 0: year uint,                       e.g. 2026
 *     1: [ [yyyymmdd uint, name text], ... ] }  dates ascending, each in
 *                                           `year`, name 1..128 bytes
 *
 * sp_cal_default_2026 returns the built-in body for 2026; a federation
 * overrides it (or adds other years) by publishing SP_EV_CALENDAR records.
 * A year with no calendar loaded is "unpublished": its fixed-date national
 * holidays (1 January, 1 May, 1 June, 17 August, 25 December) still count,
 * and every deadline walk that crosses such a year is counted
 * (sp_cal_unpublished), so a node can say so loudly instead of silently
 * treating Idul Fitri as a working day.
 *
 * Threads: a struct sp_cal carries a read-write lock, so a node may load a
 * year's calendar while other threads compute deadlines.
 *
 * Day numbers are days since 1970-01-01 (a Thursday) in WIB. Times are
 * milliseconds since the Unix epoch, passed in (this module reads no clock).
 */
#ifndef SP_CAL_H
#define SP_CAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SP_CAL_DAY_MS 86400000ULL
#define SP_CAL_WIB_OFFSET_MS (7ULL * 3600ULL * 1000ULL) /* WIB = UTC+7 */
#define SP_CAL_NAME_MAX 128   /* longest holiday name, bytes */
#define SP_CAL_YEAR_MAX_DAYS 366
#define SP_CAL_MAX_WORKING_DAYS 3660 /* largest n for add_working_days */

#define SP_CAL_YEAR_FIRST 1970
#define SP_CAL_YEAR_LAST 9999

struct sp_cal {
	int64_t *days; /* holiday day numbers, strictly ascending */
	size_t n;
	size_t cap;
	uint8_t published[(SP_CAL_YEAR_LAST - SP_CAL_YEAR_FIRST + 1 + 7) / 8]; /* years loaded */
	pthread_rwlock_t lk;
	atomic_uint_fast64_t unpublished_walks; /* deadline walks into unpublished years */
	atomic_uint_fast32_t unpublished_year;  /* the latest such year seen */
};

/* One holiday of a calendar year body; `name` borrows the decoded body. */
struct sp_cal_holiday {
	uint32_t ymd; /* yyyymmdd */
	const char *name;
	size_t name_len;
};

/* A decoded SP_EV_CALENDAR body. `days` is allocated by sp_cal_year_decode
 * and released by sp_cal_year_free; the names borrow the body. */
struct sp_cal_year {
	uint32_t year;
	struct sp_cal_holiday *days;
	size_t n;
};

/* sp_cal_init makes an empty calendar (weekends, and the fixed-date
 * holidays of every year, since none is published). */
void sp_cal_init(struct sp_cal *c);

/* sp_cal_free releases the holiday set and the lock; sp_cal_init makes
 * the calendar usable again. */
void sp_cal_free(struct sp_cal *c);

/* sp_cal_add_holiday adds one date (yyyymmdd); adding a date twice is a
 * no-op. Errors: SP_ERR_ARG (not a valid date), SP_ERR_NOMEM. */
int sp_cal_add_holiday(struct sp_cal *c, uint32_t ymd);

/* sp_cal_load_year decodes an SP_EV_CALENDAR body and makes its holidays
 * the calendar's holidays for that year, replacing any held before (a
 * later record of a year overrides an earlier one, and the default).
 * Errors: those of sp_cal_year_decode, SP_ERR_NOMEM. */
int sp_cal_load_year(struct sp_cal *c, const uint8_t *body, size_t len);

/* sp_cal_is_working_day is 1 if day number `day` is a working day: not
 * Saturday or Sunday, not a holiday (of the set, or, in an unpublished
 * year, a fixed-date national holiday). c NULL: weekends only. */
int sp_cal_is_working_day(const struct sp_cal *c, int64_t day);

/* sp_cal_wib_day gives the WIB day number of a time. */
int64_t sp_cal_wib_day(uint64_t time_ms);

/* sp_cal_day_start_ms gives the time at which WIB day `day` begins
 * (00:00 WIB = 17:00 UTC of the day before). */
uint64_t sp_cal_day_start_ms(int64_t day);

/* sp_cal_ymd_to_day converts yyyymmdd to a day number.
 * Errors: SP_ERR_ARG (not a valid Gregorian date in 1970..9999). */
int sp_cal_ymd_to_day(uint32_t ymd, int64_t *day);

/* sp_cal_day_to_ymd converts a day number (>= 0) to yyyymmdd. */
uint32_t sp_cal_day_to_ymd(int64_t day);

/* sp_cal_add_working_days computes the deadline `n` working days after
 * start_ms: the end of the n-th working day after the WIB day of the
 * start (the start day itself never counts, however early). The deadline
 * is exclusive: the first millisecond of the next WIB day, so a report is
 * overdue when now >= *deadline_ms. n = 0 gives the end of the start day.
 * Errors: SP_ERR_RANGE (n > SP_CAL_MAX_WORKING_DAYS). */
int sp_cal_add_working_days(const struct sp_cal *c, uint64_t start_ms, uint32_t n,
			    uint64_t *deadline_ms);

/* sp_cal_year_published: 1 if a calendar of `year` has been loaded. */
int sp_cal_year_published(const struct sp_cal *c, uint32_t year);

/* sp_cal_first_unpublished: the first year from the WIB day of from_ms to
 * that of to_ms that has no published calendar, or 0 if all have. */
uint32_t sp_cal_first_unpublished(const struct sp_cal *c, uint64_t from_ms, uint64_t to_ms);

/* sp_cal_unpublished: how many deadline walks (sp_cal_add_working_days)
 * crossed a year with no published calendar, and the latest such year
 * (0 if none). */
void sp_cal_unpublished(const struct sp_cal *c, uint64_t *walks, uint32_t *year);

/* sp_cal_working_days_between counts the working days after the WIB day
 * of from_ms, up to and including the WIB day of to_ms (so it is n for
 * to_ms = sp_cal_add_working_days(from_ms, n) - 1).
 * Errors: SP_ERR_ARG (to_ms < from_ms). */
int sp_cal_working_days_between(const struct sp_cal *c, uint64_t from_ms, uint64_t to_ms,
				uint64_t *count);

/* sp_cal_year_encode writes an SP_EV_CALENDAR body for `year` into a new
 * buffer *out (caller frees with free()). The days must be ascending and
 * valid for sp_cal_year_decode, which checks the result.
 * Errors: SP_ERR_ARG, SP_ERR_NOMEM, SP_ERR_DIR_RECORD. */
int sp_cal_year_encode(uint32_t year, const struct sp_cal_holiday *days, size_t n, uint8_t **out,
		       size_t *out_len);

/* sp_cal_year_decode strictly decodes an SP_EV_CALENDAR body. y->days is
 * allocated (free with sp_cal_year_free); names borrow body.
 * Errors: every SP_ERR_CBOR_* code, SP_ERR_DIR_RECORD (missing or unknown
 * key, year outside 1970..9999, a date not in the year or not ascending,
 * an empty or too long name), SP_ERR_NOMEM. */
int sp_cal_year_decode(const uint8_t *body, size_t len, struct sp_cal_year *y);

/* sp_cal_year_free releases what sp_cal_year_decode allocated. */
void sp_cal_year_free(struct sp_cal_year *y);

/* sp_cal_default_2026 returns the built-in SP_EV_CALENDAR body for 2026:
 * the 17 national holidays and 8 cuti bersama days of SKB 3 Menteri
 * No. 1497/2025, 2/2025, 5/2025, as best known when this was written. It
 * is only a default: a federation's SP_EV_CALENDAR record for 2026
 * replaces it. *out is allocated; the caller frees it with free(). */
int sp_cal_default_2026(uint8_t **out, size_t *out_len);

#endif

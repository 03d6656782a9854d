/*
 * sp_cal.c - working-day calendar: WIB day arithmetic, holiday set,
 * deadlines, and the SP_EV_CALENDAR body (format in sp_cal.h).
 *
 * Civil-date conversion uses Howard Hinnant's days_from_civil algorithm
 * (proleptic Gregorian, exact for all years here). Holidays are a sorted
 * array searched by bisection; deadlines walk day by day, which is cheap
 * for the few working days a deadline spans.
 */
#include "sp_cal.h"

#include <stdlib.h>
#include <string.h>

#include "sp_cbor.h"
#include "sp_err.h"

#define YEAR_MIN 1970
#define YEAR_MAX 9999

/* ---- civil dates ------------------------------------------------------- */

static int is_leap(uint32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static uint32_t month_days(uint32_t y, uint32_t m)
{
	static const uint8_t len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int sp_cal_ymd_to_day(uint32_t ymd, int64_t *day)
{
	uint32_t y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;

	if (day == NULL || y < YEAR_MIN || y > YEAR_MAX || m < 1 || m > 12 || d < 1 ||
	    d > month_days(y, m))
		return SP_ERR_ARG;
	*day = days_from_civil(y, m, d);
	return 0;
}

uint32_t sp_cal_day_to_ymd(int64_t day)
{
	int64_t z = day + 719468, era, doe, yoe, y, doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	return (uint32_t)(y * 10000 + m * 100 + d);
}

int64_t sp_cal_wib_day(uint64_t time_ms)
{
	return (int64_t)((time_ms + SP_CAL_WIB_OFFSET_MS) / SP_CAL_DAY_MS);
}

/* Day 0 began at 1970-01-01 00:00 WIB, 7 hours before the epoch; times
 * are unsigned, so that one instant clamps to 0. */
uint64_t sp_cal_day_start_ms(int64_t day)
{
	uint64_t t = (uint64_t)day * SP_CAL_DAY_MS;

	return t < SP_CAL_WIB_OFFSET_MS ? 0 : t - SP_CAL_WIB_OFFSET_MS;
}

/* ---- the holiday set --------------------------------------------------- */

void sp_cal_init(struct sp_cal *c)
{
	c->days = NULL;
	c->n = 0;
	c->cap = 0;
	memset(c->published, 0, sizeof(c->published));
	pthread_rwlock_init(&c->lk, NULL);
	atomic_init(&c->unpublished_walks, 0);
	atomic_init(&c->unpublished_year, 0);
}

void sp_cal_free(struct sp_cal *c)
{
	free(c->days);
	c->days = NULL;
	c->n = c->cap = 0;
	pthread_rwlock_destroy(&c->lk);
}

/* The lock lives in the struct, so const readers take it too. */
#define CAL_RD(c) pthread_rwlock_rdlock((pthread_rwlock_t *)&(c)->lk)
#define CAL_WR(c) pthread_rwlock_wrlock((pthread_rwlock_t *)&(c)->lk)
#define CAL_UN(c) pthread_rwlock_unlock((pthread_rwlock_t *)&(c)->lk)

static int published(const struct sp_cal *c, uint32_t year)
{
	if (year < SP_CAL_YEAR_FIRST || year > SP_CAL_YEAR_LAST)
		return 0;
	uint32_t i = year - SP_CAL_YEAR_FIRST;
	return (c->published[i / 8] >> (i % 8)) & 1;
}

static int day_cmp(const void *key, const void *elem)
{
	int64_t a = *(const int64_t *)key, b = *(const int64_t *)elem;
	return (a > b) - (a < b);
}

/* lower_bound: first position whose day is >= day. */
static size_t find_pos(const struct sp_cal *c, int64_t day)
{
	return sp_lower_bound(c->days, c->n, sizeof(*c->days), &day, day_cmp, NULL);
}

static int insert_day(struct sp_cal *c, int64_t day)
{
	size_t pos = find_pos(c, day);

	if (pos < c->n && c->days[pos] == day)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		int64_t *p = realloc(c->days, cap * sizeof(*p));

		if (p == NULL)
			return SP_ERR_NOMEM;
		c->days = p;
		c->cap = cap;
	}
	if (pos < c->n)
		memmove(c->days + pos + 1, c->days + pos, (c->n - pos) * sizeof(*c->days));
	c->days[pos] = day;
	c->n++;
	return 0;
}

int sp_cal_add_holiday(struct sp_cal *c, uint32_t ymd)
{
	int64_t day;
	int err;

	if (c == NULL)
		return SP_ERR_ARG;
	err = sp_cal_ymd_to_day(ymd, &day);
	if (err)
		return err;
	CAL_WR(c);
	err = insert_day(c, day);
	CAL_UN(c);
	return err;
}

/* remove_range drops the holidays in [first, last]. */
static void remove_range(struct sp_cal *c, int64_t first, int64_t last)
{
	size_t a = find_pos(c, first), b = find_pos(c, last + 1);

	if (c->n == 0)
		return;
	memmove(c->days + a, c->days + b, (c->n - b) * sizeof(*c->days));
	c->n -= b - a;
}

int sp_cal_load_year(struct sp_cal *c, const uint8_t *body, size_t len)
{
	struct sp_cal_year y;
	int64_t first, last;
	int err;

	if (c == NULL)
		return SP_ERR_ARG;
	err = sp_cal_year_decode(body, len, &y);
	if (err)
		return err;
	(void)sp_cal_ymd_to_day(y.year * 10000 + 101, &first);
	(void)sp_cal_ymd_to_day(y.year * 10000 + 1231, &last);
	CAL_WR(c);
	remove_range(c, first, last);
	for (size_t i = 0; i < y.n && err == 0; i++) {
		int64_t day;
		err = sp_cal_ymd_to_day(y.days[i].ymd, &day);
		if (err == 0)
			err = insert_day(c, day);
	}
	if (err == 0) {
		uint32_t i = y.year - SP_CAL_YEAR_FIRST;
		c->published[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	CAL_UN(c);
	sp_cal_year_free(&y);
	return err;
}

/* Fixed-date national holidays, counted in every year with no published
 * calendar: Tahun Baru Masehi, Hari Buruh, Hari Lahir Pancasila, Hari
 * Kemerdekaan, Natal. The moving ones (Idul Fitri, Nyepi, ...) and cuti
 * bersama need the year's published calendar. */
static const uint32_t fixed_mmdd[] = {101, 501, 601, 817, 1225};

/* working: is_working_day under the caller's lock. */
static int working(const struct sp_cal *c, int64_t day)
{
	/* Day 0 (1970-01-01) was a Thursday: weekday 0 = Monday. */
	int64_t wd = ((day % 7) + 7 + 3) % 7;
	size_t pos;

	if (wd >= 5)
		return 0;
	if (c == NULL)
		return 1;
	pos = find_pos(c, day);
	if (pos < c->n && c->days[pos] == day)
		return 0;
	uint32_t ymd = sp_cal_day_to_ymd(day);
	if (published(c, ymd / 10000))
		return 1;
	for (size_t i = 0; i < sizeof(fixed_mmdd) / sizeof(fixed_mmdd[0]); i++)
		if (ymd % 10000 == fixed_mmdd[i])
			return 0;
	return 1;
}

int sp_cal_is_working_day(const struct sp_cal *c, int64_t day)
{
	if (c == NULL)
		return working(NULL, day);
	CAL_RD(c);
	int w = working(c, day);
	CAL_UN(c);
	return w;
}

int sp_cal_year_published(const struct sp_cal *c, uint32_t year)
{
	CAL_RD(c);
	int p = published(c, year);
	CAL_UN(c);
	return p;
}

static uint32_t first_unpublished(const struct sp_cal *c, int64_t from, int64_t to)
{
	for (uint32_t y = sp_cal_day_to_ymd(from) / 10000; y <= sp_cal_day_to_ymd(to) / 10000; y++)
		if (!published(c, y))
			return y;
	return 0;
}

uint32_t sp_cal_first_unpublished(const struct sp_cal *c, uint64_t from_ms, uint64_t to_ms)
{
	if (c == NULL)
		return sp_cal_day_to_ymd(sp_cal_wib_day(from_ms)) / 10000;
	CAL_RD(c);
	uint32_t y = first_unpublished(c, sp_cal_wib_day(from_ms), sp_cal_wib_day(to_ms));
	CAL_UN(c);
	return y;
}

void sp_cal_unpublished(const struct sp_cal *c, uint64_t *walks, uint32_t *year)
{
	*walks = atomic_load(&((struct sp_cal *)c)->unpublished_walks);
	*year = (uint32_t)atomic_load(&((struct sp_cal *)c)->unpublished_year);
}

/* ---- deadlines --------------------------------------------------------- */

int sp_cal_add_working_days(const struct sp_cal *c, uint64_t start_ms, uint32_t n,
			    uint64_t *deadline_ms)
{
	int64_t day = sp_cal_wib_day(start_ms);

	if (deadline_ms == NULL)
		return SP_ERR_ARG;
	if (n > SP_CAL_MAX_WORKING_DAYS)
		return SP_ERR_RANGE;
	if (c != NULL)
		CAL_RD(c);
	int64_t first = day + 1;
	/* At most two weekend days in seven and finitely many holidays: the
	 * walk ends. */
	while (n > 0) {
		day++;
		if (working(c, day))
			n--;
	}
	*deadline_ms = sp_cal_day_start_ms(day + 1);
	if (c == NULL)
		return 0;
	uint32_t y = first_unpublished(c, first, day);
	CAL_UN(c);
	if (y != 0) {
		struct sp_cal *m = (struct sp_cal *)c; /* counters only */
		atomic_fetch_add(&m->unpublished_walks, 1);
		uint_fast32_t seen = atomic_load(&m->unpublished_year);
		while (y > seen && !atomic_compare_exchange_weak(&m->unpublished_year, &seen, y))
			;
	}
	return 0;
}

int sp_cal_working_days_between(const struct sp_cal *c, uint64_t from_ms, uint64_t to_ms,
				uint64_t *count)
{
	int64_t d, last;
	uint64_t k = 0;

	if (count == NULL || to_ms < from_ms)
		return SP_ERR_ARG;
	last = sp_cal_wib_day(to_ms);
	if (c != NULL)
		CAL_RD(c);
	for (d = sp_cal_wib_day(from_ms) + 1; d <= last; d++)
		k += (uint64_t)working(c, d);
	if (c != NULL)
		CAL_UN(c);
	*count = k;
	return 0;
}

/* ---- SP_EV_CALENDAR body ----------------------------------------------- */

enum { K_YEAR, K_DAYS, K_COUNT };

/* read_holiday reads one [yyyymmdd, name] and checks it against the year
 * and the previous date (ascending, so no date twice). */
static int read_holiday(struct sp_cbor_reader *r, uint32_t year, uint32_t prev,
			struct sp_cal_holiday *h)
{
	uint64_t count, ymd;
	int64_t day;
	int err = sp_cbor_read_array(r, &count);

	if (err)
		return err;
	if (count != 2)
		return SP_ERR_DIR_RECORD;
	if ((err = sp_cbor_read_uint(r, &ymd)) != 0)
		return err;
	if (ymd > UINT32_MAX || ymd / 10000 != year || sp_cal_ymd_to_day((uint32_t)ymd, &day))
		return SP_ERR_DIR_RECORD;
	if (ymd <= prev)
		return SP_ERR_DIR_RECORD;
	if ((err = sp_cbor_read_text(r, &h->name, &h->name_len)) != 0)
		return err;
	if (h->name_len == 0 || h->name_len > SP_CAL_NAME_MAX)
		return SP_ERR_DIR_RECORD;
	h->ymd = (uint32_t)ymd;
	return 0;
}

static int read_days(struct sp_cbor_reader *r, struct sp_cal_year *y)
{
	uint64_t count;
	int err = sp_cbor_read_array(r, &count);

	if (err)
		return err;
	if (count > SP_CAL_YEAR_MAX_DAYS)
		return SP_ERR_DIR_RECORD;
	y->days = count ? calloc(count, sizeof(*y->days)) : NULL;
	if (count && y->days == NULL)
		return SP_ERR_NOMEM;
	for (uint64_t i = 0; i < count; i++) {
		err = read_holiday(r, y->year, i ? y->days[i - 1].ymd : 0, &y->days[i]);
		if (err)
			return err;
		y->n++;
	}
	return 0;
}

static int read_year_fields(struct sp_cbor_reader *r, struct sp_cal_year *y)
{
	int64_t prev = SP_CBOR_NO_KEY;
	uint64_t count, key, year;
	int err = sp_cbor_read_map(r, &count);

	if (err)
		return err;
	if (count != K_COUNT)
		return SP_ERR_DIR_RECORD;
	if ((err = sp_cbor_read_key(r, &prev, &key)) != 0)
		return err;
	if (key != K_YEAR)
		return SP_ERR_DIR_RECORD;
	if ((err = sp_cbor_read_uint(r, &year)) != 0)
		return err;
	if (year < YEAR_MIN || year > YEAR_MAX)
		return SP_ERR_DIR_RECORD;
	y->year = (uint32_t)year;
	if ((err = sp_cbor_read_key(r, &prev, &key)) != 0)
		return err;
	if (key != K_DAYS)
		return SP_ERR_DIR_RECORD;
	return read_days(r, y);
}

int sp_cal_year_decode(const uint8_t *body, size_t len, struct sp_cal_year *y)
{
	struct sp_cbor_reader r;
	int err;

	if (body == NULL || y == NULL)
		return SP_ERR_ARG;
	memset(y, 0, sizeof(*y));
	/* CBOR-level errors first, so they win over field checks. */
	err = sp_cbor_validate(body, len);
	if (err)
		return err;
	sp_cbor_reader_init(&r, body, len);
	err = read_year_fields(&r, y);
	if (err)
		sp_cal_year_free(y);
	return err;
}

void sp_cal_year_free(struct sp_cal_year *y)
{
	if (y == NULL)
		return;
	free(y->days);
	y->days = NULL;
	y->n = 0;
}

int sp_cal_year_encode(uint32_t year, const struct sp_cal_holiday *days, size_t n, uint8_t **out,
		       size_t *out_len)
{
	struct sp_cal_year check;
	struct sp_buf b;
	int err;

	if (out == NULL || out_len == NULL || (n && days == NULL))
		return SP_ERR_ARG;
	sp_buf_init(&b);
	sp_cbor_put_map(&b, K_COUNT);
	sp_cbor_put_uint(&b, K_YEAR);
	sp_cbor_put_uint(&b, year);
	sp_cbor_put_uint(&b, K_DAYS);
	sp_cbor_put_array(&b, n);
	for (size_t i = 0; i < n; i++) {
		sp_cbor_put_array(&b, 2);
		sp_cbor_put_uint(&b, days[i].ymd);
		sp_cbor_put_text(&b, days[i].name, days[i].name_len);
	}
	*out = sp_buf_take(&b, out_len);
	if (*out == NULL)
		return b.err ? b.err : SP_ERR_INTERNAL;
	/* Never hand out a body that the decoder would refuse. */
	err = sp_cal_year_decode(*out, *out_len, &check);
	sp_cal_year_free(&check);
	if (err) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	return err;
}

/* ---- the built-in 2026 default ----------------------------------------- */

#define H(ymd, name) {ymd, name, sizeof(name) - 1}

/* Libur nasional (17) and cuti bersama (8), 2026, in date order. */
static const struct sp_cal_holiday default_2026[] = {
	H(20260101, "Tahun Baru 2026 Masehi"),
	H(20260116, "Isra Mikraj Nabi Muhammad SAW"),
	H(20260216, "Cuti bersama Tahun Baru Imlek"),
	H(20260217, "Tahun Baru Imlek 2577 Kongzili"),
	H(20260318, "Cuti bersama Hari Suci Nyepi"),
	H(20260319, "Hari Suci Nyepi (Tahun Baru Saka 1948)"),
	H(20260320, "Cuti bersama Idul Fitri 1447 H"),
	H(20260321, "Idul Fitri 1447 H"),
	H(20260322, "Idul Fitri 1447 H (hari kedua)"),
	H(20260323, "Cuti bersama Idul Fitri 1447 H"),
	H(20260324, "Cuti bersama Idul Fitri 1447 H"),
	H(20260403, "Wafat Yesus Kristus"),
	H(20260405, "Kebangkitan Yesus Kristus (Paskah)"),
	H(20260501, "Hari Buruh Internasional"),
	H(20260514, "Kenaikan Yesus Kristus"),
	H(20260515, "Cuti bersama Kenaikan Yesus Kristus"),
	H(20260527, "Idul Adha 1447 H"),
	H(20260528, "Cuti bersama Idul Adha 1447 H"),
	H(20260531, "Hari Raya Waisak 2570 BE"),
	H(20260601, "Hari Lahir Pancasila"),
	H(20260616, "1 Muharam Tahun Baru Islam 1448 H"),
	H(20260817, "Proklamasi Kemerdekaan Republik Indonesia"),
	H(20260825, "Maulid Nabi Muhammad SAW"),
	H(20261224, "Cuti bersama Kelahiran Yesus Kristus"),
	H(20261225, "Kelahiran Yesus Kristus (Natal)"),
};

int sp_cal_default_2026(uint8_t **out, size_t *out_len)
{
	return sp_cal_year_encode(2026, default_2026,
				  sizeof(default_2026) / sizeof(default_2026[0]), out, out_len);
}

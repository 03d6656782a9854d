/*
 * test_common.c - unit tests for the small helpers of common/ that the
 * layers share: dynamic arrays (sp_grow, sp_grow_to: capacity doubles
 * from 16 to what is needed, contents kept, impossible sizes refused with
 * the array unchanged), text appended to a buffer (sp_buf_printf: any
 * length, no NUL), the deadline for timed waits (sp_clock_after),
 * JSON strings and integers written without a jansson tree (sp_json_put_str,
 * sp_json_put_strn, sp_json_put_int: the bytes jansson writes, for every
 * kind of text, a NUL inside and a length that cuts a character), and
 * the one way signing commands open a key file (sp_keyfile_open: plain,
 * or protected by the passphrase read from a file).
 */
#include "sp_testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_buf.h"
#include "sp_clock.h"
#include "sp_err.h"
#include "sp_json.h"
#include "sp_keyfile.h"

static void test_grow_to(void **state)
{
	(void)state;
	uint32_t *v = NULL;
	size_t cap = 0;
	assert_int_equal(sp_grow_to((void **)&v, &cap, 0, sizeof(*v)), 0);
	assert_null(v);
	assert_int_equal(sp_grow_to((void **)&v, &cap, 5, sizeof(*v)), 0);
	assert_int_equal(cap, 16);
	for (uint32_t i = 0; i < 16; i++)
		v[i] = i;
	assert_int_equal(sp_grow_to((void **)&v, &cap, 100, sizeof(*v)), 0);
	assert_int_equal(cap, 128);
	for (uint32_t i = 0; i < 16; i++)
		assert_int_equal(v[i], i);
	uint32_t *same = v;
	assert_int_equal(sp_grow_to((void **)&v, &cap, 128, sizeof(*v)), 0); /* fits */
	assert_ptr_equal(v, same);
	assert_int_equal(cap, 128);
	/* more than memory can hold: refused, the array as it was */
	assert_int_equal(sp_grow_to((void **)&v, &cap, SIZE_MAX / 2, sizeof(*v)), SP_ERR_NOMEM);
	assert_ptr_equal(v, same);
	assert_int_equal(cap, 128);
	assert_int_equal(sp_grow_to((void **)&v, &cap, 200, 0), SP_ERR_NOMEM);
	free(v);
}

static void test_grow_one_more(void **state)
{
	(void)state;
	char *v = NULL;
	size_t cap = 0, n;
	for (n = 0; n < 40; n++) {
		assert_int_equal(sp_grow((void **)&v, &cap, n, 1), 0);
		assert_true(cap > n);
		v[n] = (char)n;
	}
	assert_int_equal(cap, 64);
	for (n = 0; n < 40; n++)
		assert_int_equal(v[n], (char)n);
	free(v);
}

static void test_buf_printf(void **state)
{
	(void)state;
	struct sp_buf b;
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sp_buf_init(&b);
	sp_buf_printf(&b, "%s", ""); /* nothing */
	assert_int_equal(b.len, 0);
	sp_buf_printf(&b, "simpul_up %d\n", 1);
	sp_buf_printf(&b, "%s|", big); /* longer than any line buffer the copies had */
	sp_buf_printf(&b, "%llu", 18446744073709551615ULL);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 12 + 2999 + 1 + 20);
	assert_memory_equal(b.p, "simpul_up 1\n", 12);
	assert_memory_equal(b.p + 12, big, 2999);
	assert_memory_equal(b.p + 12 + 2999, "|18446744073709551615", 21);
	sp_buf_free(&b);
}

static int int_cmp(const void *key, const void *elem)
{
	int a = *(const int *)key, b = *(const int *)elem;
	return (a > b) - (a < b);
}

/* sp_lower_bound: the first element not less than the key, found only on
 * equality, at both ends, with duplicates and on an empty array. */
static void test_lower_bound(void **state)
{
	(void)state;
	const int v[] = {2, 4, 4, 4, 9};
	const struct {
		int key;
		size_t at;
		int found;
	} cases[] = {{1, 0, 0}, {2, 0, 1}, {3, 1, 0}, {4, 1, 1}, {5, 4, 0}, {9, 4, 1}, {10, 5, 0}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int found = -1;
		assert_int_equal(sp_lower_bound(v, 5, sizeof(int), &cases[i].key, int_cmp, &found),
				 cases[i].at);
		assert_int_equal(found, cases[i].found);
	}
	int found = -1, k = 3;
	assert_int_equal(sp_lower_bound(NULL, 0, sizeof(int), &k, int_cmp, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(sp_lower_bound(v, 5, sizeof(int), &k, int_cmp, NULL), 1);
}

static void test_clock_after(void **state)
{
	(void)state;
	struct timespec before, at;
	uint64_t cases[] = {0, 1, 250, 999, 1000, 1001, 61500};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		clock_gettime(CLOCK_REALTIME, &before);
		sp_clock_after(cases[i], &at);
		assert_true(at.tv_nsec >= 0 && at.tv_nsec < 1000000000L);
		int64_t d = ((int64_t)at.tv_sec - before.tv_sec) * 1000 +
			    (at.tv_nsec - before.tv_nsec) / 1000000;
		/* ms from the reading before the call, allowing for the call itself */
		assert_true(d >= (int64_t)cases[i] && d <= (int64_t)cases[i] + 1000);
	}
}

/* jansson's own bytes for a string (what sp_json_put_str must give) */
static char *jansson_str(const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	return t;
}

static void test_json_put(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"", "73.12", "jalan", "a \"quoted\" word", "back\\slash", "a/b", "tab\there",
		"line\nbreak", "\x01\x1f", "del\x7f", "Kabupaten P\xc3\xa9sisir", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80 emoji", "bad \xff utf-8", "cut \xc3",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct sp_buf b;
		sp_buf_init(&b);
		sp_buf_put(&b, "x", 1); /* appends after what is there */
		char *want = jansson_str(texts[i]);
		int rc = sp_json_put_str(&b, texts[i]);
		if (want == NULL) {
			assert_int_equal(rc, SP_ERR_NOMEM); /* not UTF-8: refused, nothing added */
			assert_int_equal(b.len, 1);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(b.len, 1 + strlen(want));
			assert_memory_equal(b.p + 1, want, strlen(want));
		}
		free(want);
		sp_buf_free(&b);
	}
	/* sp_json_put_strn: n bytes, a NUL among them, a cut inside a character */
	static const struct {
		const char *s;
		size_t n;
		const char *want; /* NULL: refused */
	} cut[] = {{"a\0b", 3, "\"a\\u0000b\""}, {"abcdef", 3, "\"abc\""},
		   {"D\xc3\xa9sa", 3, "\"D\\u00E9\""}, {"\xc3\xa9", 1, NULL}, {"", 0, "\"\""}};
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		struct sp_buf b;
		sp_buf_init(&b);
		json_t *j = json_stringn(cut[i].s, cut[i].n);
		char *jw = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)
			     : NULL;
		json_decref(j);
		int rc = sp_json_put_strn(&b, cut[i].s, cut[i].n);
		if (cut[i].want == NULL) {
			assert_null(jw);
			assert_int_equal(rc, SP_ERR_NOMEM);
			assert_int_equal(b.len, 0);
		} else {
			assert_string_equal(jw, cut[i].want); /* jansson's bytes, pinned */
			assert_int_equal(rc, 0);
			assert_int_equal(b.len, strlen(cut[i].want));
			assert_memory_equal(b.p, cut[i].want, b.len);
		}
		free(jw);
		sp_buf_free(&b);
	}
	static const json_int_t ints[] = {0, 7, -1, 1765000000000LL, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		struct sp_buf b;
		sp_buf_init(&b);
		sp_json_put_int(&b, ints[i]);
		json_t *j = json_integer(ints[i]);
		char *want = json_dumps(j, JSON_ENCODE_ANY);
		json_decref(j);
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.p, want, b.len);
		free(want);
		sp_buf_free(&b);
	}
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* sp_keyfile_open: the right passphrase opens a protected key to the same
 * pair as the plain one; a wrong one is SP_ERR_PASSPHRASE and says so
 * without the passphrase; none for a protected file, or an empty first
 * line, is refused; a plain file with a passphrase is used as it is. */
static void test_keyfile_open(void **state)
{
	(void)state;
	const char *dir = sp_test_tmpdir("keyfile_open");
	char plain[512], prot[512], pass[512], bad[512], empty[512], why[SP_KEYFILE_WHY];
	snprintf(plain, sizeof(plain), "%s/plain.key", dir);
	snprintf(prot, sizeof(prot), "%s/prot.key", dir);
	snprintf(pass, sizeof(pass), "%s/pass", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	write_text(pass, "sandi yang benar\nsecond line ignored\n");
	write_text(bad, "sandi yang salah");
	write_text(empty, "\nsandi yang benar\n");
	uint8_t seed[SP_KEYFILE_SEED], pk[32], sk[64], pk2[32], sk2[64];
	memset(seed, 0x5a, sizeof(seed));
	assert_int_equal(sp_keyfile_create(plain, seed, NULL, 0), 0);
	assert_int_equal(sp_keyfile_create_protected(prot, seed, "sandi yang benar", 16, NULL, 0), 0);
	assert_int_equal(sp_keyfile_open(plain, NULL, pk, sk, why, sizeof(why)), 0);
	assert_int_equal(sp_keyfile_open(prot, pass, pk2, sk2, why, sizeof(why)), 0);
	assert_memory_equal(pk, pk2, 32);
	assert_memory_equal(sk, sk2, 64);
	memset(pk2, 0, sizeof(pk2));
	assert_int_equal(sp_keyfile_open(plain, pass, pk2, NULL, why, sizeof(why)), 0);
	assert_memory_equal(pk, pk2, 32);

	assert_int_equal(sp_keyfile_open(prot, bad, pk2, sk2, why, sizeof(why)), SP_ERR_PASSPHRASE);
	assert_non_null(strstr(why, "wrong passphrase"));
	assert_null(strstr(why, "sandi"));
	assert_int_equal(sp_keyfile_open(prot, NULL, pk2, sk2, why, sizeof(why)), SP_ERR_KEY_FORMAT);
	assert_non_null(strstr(why, "--passphrase-file"));
	assert_int_equal(sp_keyfile_open(prot, empty, pk2, sk2, why, sizeof(why)), SP_ERR_ARG);
	assert_null(strstr(why, "sandi"));
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/none", dir);
	assert_int_equal(sp_keyfile_open(prot, missing, pk2, sk2, why, sizeof(why)), SP_ERR_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_to),
		cmocka_unit_test(test_grow_one_more),
		cmocka_unit_test(test_buf_printf),
		cmocka_unit_test(test_clock_after),
		cmocka_unit_test(test_lower_bound),
		cmocka_unit_test(test_json_put),
		cmocka_unit_test(test_keyfile_open),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

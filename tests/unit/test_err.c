/*
 * test_err.c - unit tests for the error list (common/sp_err.c): every code
 * of SP_ERR_MAP is negative and unique, and sp_errname / sp_strerror give
 * back its name and text; unknown codes get the fallbacks; sp_err_why
 * writes its sentence, cut to SP_ERR_WHY_MAX, and returns the code.
 */
#include "sp_testutil.h"

#include <string.h>

#include "sp_err.h"

struct row {
	int code;
	const char *name;
	const char *text;
};

static const struct row rows[] = {
#define ROW_(name, value, text) {SP_ERR_##name, "SP_ERR_" #name, text},
	SP_ERR_MAP(ROW_)
#undef ROW_
};

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static void test_names_and_texts(void **state)
{
	for (size_t i = 0; i < N_ROWS; i++) {
		assert_true(rows[i].code < 0);
		assert_string_equal(sp_errname(rows[i].code), rows[i].name);
		assert_string_equal(sp_strerror(rows[i].code), rows[i].text);
		assert_true(strlen(rows[i].text) > 0);
	}
	assert_string_equal(sp_errname(SP_OK), "SP_OK");
	assert_string_equal(sp_strerror(SP_OK), "success");
}

static void test_codes_unique(void **state)
{
	for (size_t i = 0; i < N_ROWS; i++)
		for (size_t j = i + 1; j < N_ROWS; j++)
			assert_int_not_equal(rows[i].code, rows[j].code);
}

static void test_unknown(void **state)
{
	assert_string_equal(sp_errname(-9999), "SP_ERR_UNKNOWN");
	assert_string_equal(sp_strerror(-9999), "unknown error");
	assert_string_equal(sp_errname(1), "SP_ERR_UNKNOWN");
}

/* The values are part of the interface (logs, API bodies): a few pinned. */
static void test_values_stable(void **state)
{
	assert_int_equal(SP_ERR_NOMEM, -1);
	assert_int_equal(SP_ERR_CBOR_MALFORMED, -20);
	assert_int_equal(SP_ERR_FORK_RESOLVED, -50);
	assert_int_equal(SP_ERR_REPORT_FIELD, -120);
	assert_int_equal(SP_ERR_NOT_EVIDENCE, -188);
}

static void test_why(void **state)
{
	(void)state;
	char why[SP_ERR_WHY_MAX], big[2 * SP_ERR_WHY_MAX];
	assert_int_equal(sp_err_why(why, SP_ERR_SEALED, "attachment %d is sealed", 2), SP_ERR_SEALED);
	assert_string_equal(why, "attachment 2 is sealed");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sp_err_why(why, SP_ERR_ARG, "%s", big), SP_ERR_ARG);
	assert_int_equal(strlen(why), SP_ERR_WHY_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_texts),
		cmocka_unit_test(test_codes_unique),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_values_stable),
		cmocka_unit_test(test_why),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

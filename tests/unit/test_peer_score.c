/*
 * test_peer_score.c - the penalty table of node/sp_peer_score.c on its own,
 * with explicit times: holds double with repeats up to the maximum, start
 * again after a clean period, a HELLO refused while held is counted and is
 * not a strike, institutions and addresses are held separately, the table
 * never grows past SP_PEER_SCORE_MAX, and what /metrics and /v1/status
 * show. The process-level behaviour is test_hostile's.
 */
#include "sp_testutil.h"

#include <stdio.h>
#include <string.h>

#include "sp_err.h"
#include "sp_peer_score.h"

static void test_doubling_and_cap(void **state)
{
	(void)state;
	struct sp_peer_score *s;
	assert_int_equal(sp_peer_score_new(1000, 5000, &s), 0);
	uint64_t t = 1000000;
	assert_int_equal(sp_peer_score_strike(s, "73.11", NULL, SP_ERR_BAD_SIGNATURE, "x", t), 1000);
	assert_int_equal(sp_peer_score_held(s, "73.11", NULL, t + 400), 600);
	assert_int_equal(sp_peer_score_held(s, "73.11", NULL, t + 1000), 0);
	assert_int_equal(sp_peer_score_strike(s, "73.11", NULL, SP_ERR_GAP, "x", t + 2000), 2000);
	assert_int_equal(sp_peer_score_strike(s, "73.11", NULL, SP_ERR_GAP, "x", t + 5000), 4000);
	assert_int_equal(sp_peer_score_strike(s, "73.11", NULL, SP_ERR_GAP, "x", t + 10000), 5000);
	assert_int_equal(sp_peer_score_strike(s, "73.11", NULL, SP_ERR_GAP, "x", t + 16000), 5000);
	/* Clean for longer than the maximum period after the last hold: from the start. */
	assert_int_equal(sp_peer_score_strike(s, "73.11", NULL, SP_ERR_GAP, "x", t + 40000), 1000);
	/* Other names are not held. */
	assert_int_equal(sp_peer_score_held(s, "73.12", "10.0.0.1", t + 40001), 0);
	sp_peer_score_free(s);
}

static void test_inst_and_addr(void **state)
{
	(void)state;
	struct sp_peer_score *s;
	assert_int_equal(sp_peer_score_new(1000, 8000, &s), 0);
	uint64_t t = 50000;
	sp_peer_score_strike(s, NULL, "10.0.0.5", SP_ERR_AUTH, "authentication failed", t);
	/* Any institution from that address is held; the institution elsewhere is not. */
	assert_true(sp_peer_score_held(s, "73.11", "10.0.0.5", t + 1) > 0);
	assert_int_equal(sp_peer_score_held(s, "73.11", "10.0.0.6", t + 1), 0);
	assert_int_equal(sp_peer_score_held(s, "73.11", NULL, t + 1), 0);
	/* Refused HELLOs are counted, and are no strike: the hold does not grow. */
	assert_int_equal(sp_peer_score_held(s, NULL, "10.0.0.5", t + 999), 1);
	assert_int_equal(sp_peer_score_held(s, NULL, "10.0.0.5", t + 1000), 0);
	struct sp_buf b;
	sp_buf_init(&b);
	sp_peer_score_metrics(s, t + 2, &b);
	sp_buf_put(&b, "", 1);
	assert_non_null(strstr((char *)b.p, "simpul_peer_penalties_total{addr=\"10.0.0.5\"} 1\n"));
	assert_non_null(strstr((char *)b.p, "simpul_peer_held{addr=\"10.0.0.5\"} 1\n"));
	assert_non_null(strstr((char *)b.p, "simpul_peer_held_refused_total{addr=\"10.0.0.5\"} 2\n"));
	sp_buf_free(&b);
	json_t *a = sp_peer_score_json(s, t + 10);
	assert_int_equal(json_array_size(a), 1);
	json_t *r = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(r, "addr")), "10.0.0.5");
	assert_string_equal(json_string_value(json_object_get(r, "last_error")), "SP_ERR_AUTH");
	assert_string_equal(json_string_value(json_object_get(r, "last_text")),
			    "authentication failed");
	assert_int_equal(json_integer_value(json_object_get(r, "held_ms")), 990);
	assert_int_equal(json_integer_value(json_object_get(r, "refused_hellos")), 2);
	json_decref(a);
	sp_peer_score_free(s);
}

/* A flood of addresses reuses records: the table stays SP_PEER_SCORE_MAX
 * long, and a hold still running is the last to be reused. */
static void test_bounded(void **state)
{
	(void)state;
	struct sp_peer_score *s;
	assert_int_equal(sp_peer_score_new(1000000, 1000000, &s), 0);
	sp_peer_score_strike(s, "73.11", NULL, SP_ERR_FORK, "x", 1); /* held for 1000 s */
	char ip[32];
	for (int i = 0; i < 4 * SP_PEER_SCORE_MAX; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		sp_peer_score_strike(s, NULL, ip, SP_ERR_RANGE, "bad frame", 2 + (uint64_t)i);
	}
	json_t *a = sp_peer_score_json(s, 5000);
	assert_int_equal(json_array_size(a), SP_PEER_SCORE_MAX);
	json_decref(a);
	/* 73.11 was held the longest but its hold is the oldest record: with every
	 * record held, the oldest goes; the newest addresses are all there. */
	assert_true(sp_peer_score_held(s, NULL, ip, 5000) > 0);
	sp_peer_score_free(s);
}

/* The coordinator resolved the fork a peer was held off for: its hold
 * ends and its next offence starts again from the first period. */
static void test_forgive(void **state)
{
	(void)state;
	struct sp_peer_score *s;
	assert_int_equal(sp_peer_score_new(1000, 8000, &s), 0);
	sp_peer_score_strike(s, "73.12", NULL, SP_ERR_FORK, "fork", 10);
	sp_peer_score_strike(s, "73.12", NULL, SP_ERR_FORK, "fork", 20); /* 2000 ms */
	assert_true(sp_peer_score_held(s, "73.12", NULL, 30) > 0);
	assert_int_equal(sp_peer_score_forgive(s, "73.11", 30), 0);
	assert_int_equal(sp_peer_score_forgive(s, "73.12", 30), 1);
	assert_int_equal(sp_peer_score_held(s, "73.12", NULL, 30), 0);
	assert_int_equal(sp_peer_score_forgive(s, "73.12", 30), 0);
	assert_int_equal(sp_peer_score_strike(s, "73.12", NULL, SP_ERR_FORK, "fork", 40), 1000);
	sp_peer_score_free(s);
}

static void test_disabled(void **state)
{
	(void)state;
	struct sp_peer_score *s;
	assert_int_equal(sp_peer_score_new(0, 0, &s), 0);
	assert_int_equal(sp_peer_score_strike(s, "73.11", "10.0.0.1", SP_ERR_GAP, "x", 10), 0);
	assert_int_equal(sp_peer_score_held(s, "73.11", "10.0.0.1", 10), 0);
	json_t *a = sp_peer_score_json(s, 10); /* still counted and listed */
	assert_int_equal(json_array_size(a), 2);
	json_decref(a);
	sp_peer_score_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubling_and_cap),
		cmocka_unit_test(test_inst_and_addr),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_forgive),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, NULL, NULL));
}

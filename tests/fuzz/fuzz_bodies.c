/*
 * fuzz_bodies.c - libFuzzer target for every decoder of entry bodies the
 * node applies: reports, actions, escalations, sealed private maps,
 * calendar years and the five directory records. Arbitrary bytes must
 * never crash them, and whatever one accepts must be deterministic CBOR
 * that re-encodes to the same bytes where an encoder exists.
 *
 * Build: cmake -DSP_FUZZ=ON -DCMAKE_C_COMPILER=clang, target fuzz_bodies.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_cal.h"
#include "sp_cbor.h"
#include "sp_dir.h"
#include "sp_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An accepted body must be one deterministic item (checked by the
 * decoders' own reader; a disagreement is a bug). */
static void must_validate(const uint8_t *data, size_t size)
{
	if (sp_cbor_validate(data, size) != 0)
		abort();
}

/* Decoded, re-encoded: the same bytes, or the decoder let through a
 * second encoding of one value. */
static void must_match(const uint8_t *data, size_t size, uint8_t *out, size_t out_len)
{
	if (out_len != size || memcmp(out, data, size) != 0)
		abort();
	free(out);
}

static void fuzz_report(const uint8_t *data, size_t size)
{
	struct sp_report r;
	struct sp_report_action a;
	struct sp_report_escalation e;
	struct sp_report_private p;
	uint8_t *out = NULL;
	size_t out_len = 0;

	if (sp_report_parse(data, size, &r) == 0) {
		must_validate(data, size);
		if (sp_report_encode(&r, &out, &out_len) == 0)
			must_match(data, size, out, out_len);
	}
	if (sp_report_action_parse(data, size, &a) == 0) {
		must_validate(data, size);
		(void)sp_report_action_verify_officer(&a);
	}
	if (sp_report_esc_parse(data, size, &e) == 0) {
		must_validate(data, size);
		if (sp_report_esc_encode(&e, &out, &out_len) == 0)
			must_match(data, size, out, out_len);
	}
	if (sp_report_private_parse(data, size, &p) == 0)
		must_validate(data, size);
}

static void fuzz_cal(const uint8_t *data, size_t size)
{
	struct sp_cal_year y;

	if (sp_cal_year_decode(data, size, &y) == 0) {
		must_validate(data, size);
		sp_cal_year_free(&y);
	}
}

/* Each directory record: decode, and if accepted, encode to the same bytes. */
#define DIR_CASE(type, dec, enc)                                                   \
	do {                                                                       \
		struct type rec;                                                   \
		if (dec(data, size, &rec) == 0) {                                  \
			struct sp_buf b;                                           \
			sp_buf_init(&b);                                           \
			must_validate(data, size);                                 \
			if (enc(&rec, &b) == 0 && !b.err &&                        \
			    (b.len != size || memcmp(b.p, data, size) != 0))       \
				abort();                                           \
			sp_buf_free(&b);                                           \
		}                                                                  \
	} while (0)

static void fuzz_dir(const uint8_t *data, size_t size)
{
	DIR_CASE(sp_dir_inst, sp_dir_inst_decode, sp_dir_inst_encode);
	DIR_CASE(sp_dir_officer, sp_dir_officer_decode, sp_dir_officer_encode);
	DIR_CASE(sp_dir_route, sp_dir_route_decode, sp_dir_route_encode);
	DIR_CASE(sp_dir_policy, sp_dir_policy_decode, sp_dir_policy_encode);
	DIR_CASE(sp_dir_delegate, sp_dir_delegate_decode, sp_dir_delegate_encode);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_report(data, size);
	fuzz_cal(data, size);
	fuzz_dir(data, size);
	return 0;
}

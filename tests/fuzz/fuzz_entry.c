/*
 * fuzz_entry.c - libFuzzer target for the entry decoder and the strict
 * CBOR reader: arbitrary bytes must never crash them, and their verdicts
 * must agree with each other.
 *
 * Build: cmake -DSP_FUZZ=ON -DCMAKE_C_COMPILER=clang, target fuzz_entry.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sp_cbor.h"
#include "sp_entry.h"
#include "sp_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Anything sp_entry_decode accepts is one deterministic item and fits the
 * size limit; a mismatch is a decoder bug, so crash to report it. */
static void check_decoded(const uint8_t *data, size_t size, const struct sp_entry *e)
{
	uint8_t hash[SP_HASH_BYTES];
	int err;

	if (size > SP_ENTRY_MAX || sp_cbor_validate(data, size) != 0)
		abort();
	if (e->body < data || e->body + e->body_len > data + size)
		abort();
	if (sp_cbor_validate(e->body, e->body_len) != 0)
		abort();
	err = sp_entry_verify(data, size, e);
	if (err != 0 && err != SP_ERR_BAD_SIGNATURE)
		abort();
	sp_entry_hash(data, size, hash);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_entry e;

	if (sp_entry_decode(data, size, &e) == 0)
		check_decoded(data, size, &e);
	(void)sp_cbor_validate(data, size);
	return 0;
}

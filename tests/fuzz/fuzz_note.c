/*
 * fuzz_note.c - libFuzzer target for the signed-note, checkpoint, verifier
 * key and tlog-proof parsers: arbitrary bytes must never crash them, and
 * what they accept must be self-consistent.
 *
 * Build: cmake -DSP_FUZZ=ON -DCMAKE_C_COMPILER=clang, target fuzz_note.
 * Good seeds: the signed note and receipt of docs/vectors/note.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_cbor.h"
#include "sp_err.h"
#include "sp_note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The log key of docs/vectors/note.md, so receipts built from the vector
 * get past the signature check and exercise the Merkle path. */
static const char log_vkey[] =
    "simpul.example/73.12+7228fa6c+AYE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU";
static const char wit_vkey[] =
    "witness.example+ade2488a+BO1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR";

/* A parsed note borrows the input: every pointer must stay inside it. */
static void check_note(const char *s, size_t size, const struct sp_note *n)
{
	if (n->text != s || n->text_len == 0 || n->text_len + 2 > size || n->nsigs == 0 ||
	    n->nsigs > SP_NOTE_MAX_SIGS || s[n->text_len - 1] != '\n')
		abort();
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct sp_note_sig *g = &n->sigs[i];
		if (g->name < s || g->name_len == 0 || g->name + g->name_len > s + size)
			abort();
	}
}

/* A checkpoint body parses only if it starts with its own canonical form. */
static void check_checkpoint(const char *s, size_t size, const struct sp_checkpoint *c)
{
	struct sp_buf b;

	sp_buf_init(&b);
	sp_checkpoint_format(c, &b);
	if (b.err == 0 && (b.len > size || memcmp(b.p, s, b.len) != 0))
		abort();
	sp_buf_free(&b);
}

static void fuzz_keys(const char *s, size_t size)
{
	struct sp_note_key k, again;
	struct sp_buf b;
	char *z = malloc(size + 1);

	if (z == NULL)
		return;
	/* zeroed, so the name bytes after the NUL compare equal below */
	memset(&k, 0, sizeof(k));
	memset(&again, 0, sizeof(again));
	memcpy(z, s, size);
	z[size] = '\0';
	/* An accepted key formats back to itself (up to hex case). */
	if (sp_note_vkey_parse(z, &k) == 0) {
		sp_buf_init(&b);
		sp_note_vkey_format(&k, &b);
		sp_buf_put(&b, "", 1);
		if (b.err == 0 && (sp_note_vkey_parse((const char *)b.p, &again) != 0 ||
		                   memcmp(&again, &k, sizeof(k)) != 0))
			abort();
		sp_buf_free(&b);
	}
	free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sp_note n;
	struct sp_checkpoint c;
	struct sp_note_key keys[2];
	struct sp_receipt r;
	uint64_t t;

	if (sp_note_parse(s, size, &n) == 0)
		check_note(s, size, &n);
	if (sp_checkpoint_parse(s, size, &c) == 0)
		check_checkpoint(s, size, &c);
	fuzz_keys(s, size);
	if (sp_note_vkey_parse(log_vkey, &keys[0]) != 0 ||
	    sp_note_vkey_parse(wit_vkey, &keys[1]) != 0)
		abort();
	(void)sp_note_verify(s, size, keys, 2, NULL, NULL);
	(void)sp_cosig_verify(s, size, &keys[1], &t);
	(void)sp_checkpoint_open(s, size, &keys[0], &c);
	(void)sp_receipt_verify(s, size, (const uint8_t *)"entry 1", 7, &keys[0], &r);
	return 0;
}

/*
 * sp_keyhist.h - a log's signing-key history: the keys an institution's log
 * has been signed with, oldest first, and the rule that decides which of
 * them may sign an entry or a checkpoint (docs/protocol.md §9, "A log
 * across a signing-key rotation"). Shared by the store (replica ingest,
 * the own signer), the node and the offline verifiers, so every one of
 * them judges a rotation alike.
 *
 * The rule. Key j > 0 is in force from from_ms[j], the time of the
 * directory record that published it. An entry at time t by key j may
 * follow an entry by key c if j >= c (the key only moves forward: once the
 * log has an entry by a newer key, an older key signs nothing more) and,
 * for j > 0, t >= from_ms[j] (a key signs nothing dated before it was
 * published). A checkpoint is signed by the key of the last entry it covers
 * or a later one.
 *
 * Pure code: no I/O, no globals.
 */
#ifndef SP_KEYHIST_H
#define SP_KEYHIST_H

#include <stddef.h>
#include <stdint.h>

#include "sp_entry.h"
#include "sp_note.h"

#define SP_KEYHIST_MAX 16 /* keys one log may have over its life */

struct sp_keyhist {
	size_t n;
	uint8_t pk[SP_KEYHIST_MAX][SP_KEY_BYTES];
	uint64_t from_ms[SP_KEYHIST_MAX]; /* from_ms[0] is 0: from the start */
};

/* sp_keyhist_init makes h the history of one key. */
void sp_keyhist_init(struct sp_keyhist *h, const uint8_t pk[SP_KEY_BYTES]);

/* sp_keyhist_add appends key pk in force from from_ms. The latest key
 * again is a no-op (0). Errors: SP_ERR_EXISTS (an earlier key of the
 * history: keys never come back), SP_ERR_ARG (from_ms before the latest
 * key's), SP_ERR_RANGE (full). */
int sp_keyhist_add(struct sp_keyhist *h, const uint8_t pk[SP_KEY_BYTES], uint64_t from_ms);

/* sp_keyhist_find: the position of pk in h, or -1. */
long sp_keyhist_find(const struct sp_keyhist *h, const uint8_t pk[SP_KEY_BYTES]);

/* sp_keyhist_extends: 1 if h2 is h1 with zero or more keys appended. */
int sp_keyhist_extends(const struct sp_keyhist *h1, const struct sp_keyhist *h2);

/* sp_keyhist_entry applies the rule to an entry by author at time t that
 * follows an entry by key cur (0 for entry 0): *j (optional) gets the
 * author's position. SP_ERR_WRONG_AUTHOR if the author is not in h, older
 * than cur, or published after t. */
int sp_keyhist_entry(const struct sp_keyhist *h, size_t cur, const uint8_t author[SP_KEY_BYTES],
		     uint64_t t, size_t *j);

/* sp_keyhist_checkpoint_open opens a checkpoint note of the log `origin`
 * signed by a key of h at position cur or later (cur: the key of the last
 * entry it covers, or of the last entry known), trying the newest first;
 * *j (optional) gets the signer's position. Errors: those of
 * sp_checkpoint_open for the last key tried; SP_ERR_CHECKPOINT if the note
 * names another origin. */
int sp_keyhist_checkpoint_open(const struct sp_keyhist *h, size_t cur, const char *origin,
			       const char *note, size_t len, struct sp_checkpoint *c, size_t *j);

/* sp_keyhist_vkeys lists h as note verifier keys of origin (out[0..h->n)),
 * for callers that open notes themselves. */
int sp_keyhist_vkeys(const struct sp_keyhist *h, const char *origin,
		     struct sp_note_key out[SP_KEYHIST_MAX]);

#endif

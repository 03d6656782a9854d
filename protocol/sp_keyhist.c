/*
 * sp_keyhist.c - a log's signing-key history and the rotation rule (see
 * sp_keyhist.h and docs/protocol.md §9).
 */
#include "sp_keyhist.h"

#include <string.h>

#include "sp_err.h"

void sp_keyhist_init(struct sp_keyhist *h, const uint8_t pk[SP_KEY_BYTES])
{
	memset(h, 0, sizeof(*h));
	memcpy(h->pk[0], pk, SP_KEY_BYTES);
	h->n = 1;
}

long sp_keyhist_find(const struct sp_keyhist *h, const uint8_t pk[SP_KEY_BYTES])
{
	for (size_t i = 0; i < h->n; i++)
		if (memcmp(h->pk[i], pk, SP_KEY_BYTES) == 0)
			return (long)i;
	return -1;
}

int sp_keyhist_add(struct sp_keyhist *h, const uint8_t pk[SP_KEY_BYTES], uint64_t from_ms)
{
	long at = sp_keyhist_find(h, pk);
	if (at >= 0)
		return (size_t)at + 1 == h->n ? 0 : SP_ERR_EXISTS;
	if (h->n == 0) {
		sp_keyhist_init(h, pk);
		return 0;
	}
	if (from_ms < h->from_ms[h->n - 1])
		return SP_ERR_ARG;
	if (h->n == SP_KEYHIST_MAX)
		return SP_ERR_RANGE;
	memcpy(h->pk[h->n], pk, SP_KEY_BYTES);
	h->from_ms[h->n++] = from_ms;
	return 0;
}

int sp_keyhist_extends(const struct sp_keyhist *h1, const struct sp_keyhist *h2)
{
	if (h2->n < h1->n)
		return 0;
	for (size_t i = 0; i < h1->n; i++)
		if (memcmp(h1->pk[i], h2->pk[i], SP_KEY_BYTES) != 0 ||
		    (i > 0 && h1->from_ms[i] != h2->from_ms[i]))
			return 0;
	return 1;
}

int sp_keyhist_entry(const struct sp_keyhist *h, size_t cur, const uint8_t author[SP_KEY_BYTES],
		     uint64_t t, size_t *j)
{
	long at = sp_keyhist_find(h, author);
	if (at < 0 || (size_t)at < cur || (at > 0 && t < h->from_ms[at]))
		return SP_ERR_WRONG_AUTHOR;
	if (j)
		*j = (size_t)at;
	return 0;
}

int sp_keyhist_vkeys(const struct sp_keyhist *h, const char *origin,
		     struct sp_note_key out[SP_KEYHIST_MAX])
{
	for (size_t i = 0; i < h->n; i++) {
		int rc = sp_note_key_init(&out[i], origin, SP_NOTE_TYPE_ED25519, h->pk[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int sp_keyhist_checkpoint_open(const struct sp_keyhist *h, size_t cur, const char *origin,
			       const char *note, size_t len, struct sp_checkpoint *c, size_t *j)
{
	int rc = SP_ERR_NOTE_NO_SIG;
	for (size_t i = h->n; i-- > cur;) {
		struct sp_note_key key;
		rc = sp_note_key_init(&key, origin, SP_NOTE_TYPE_ED25519, h->pk[i]);
		if (rc == 0)
			rc = sp_checkpoint_open(note, len, &key, c);
		if (rc == 0 && strcmp(c->origin, origin) != 0)
			rc = SP_ERR_CHECKPOINT;
		if (rc == 0) {
			if (j)
				*j = i;
			return 0;
		}
		if (rc != SP_ERR_NOTE_NO_SIG && rc != SP_ERR_BAD_SIGNATURE)
			break; /* a bad note: no other key opens it either */
	}
	return rc;
}

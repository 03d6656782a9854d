/*
 * fuzz_gossip.c - libFuzzer target for the peer-message decoder: arbitrary
 * bytes must never crash it, and whatever it accepts must be canonical
 * (encoding the decoded message gives back exactly the input), within the
 * size limits, and point only into the input (no copies, no strays).
 *
 * Build: cmake -DSP_FUZZ=ON -DCMAKE_C_COMPILER=clang, target fuzz_gossip.
 * Good seeds: any message the unit tests encode (test_gossip.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_cbor.h"
#include "sp_err.h"
#include "sp_gossip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *data, size_t size, const void *p, size_t n)
{
	const uint8_t *q = p;

	if (n == 0)
		return;
	if (q < data || q > data + size || n > (size_t)(data + size - q))
		abort();
}

static void check_pointers(const uint8_t *data, size_t size, const struct sp_gossip_msg *m)
{
	const struct sp_gossip_entries *e = &m->u.entries;
	size_t sum = 0;

	switch (m->type) {
	case SP_GOSSIP_ENTRIES:
		inside(data, size, e->origin, e->origin_len);
		inside(data, size, e->checkpoint, e->checkpoint_len);
		inside(data, size, e->proof, e->nproof * 32);
		for (size_t i = 0; i < e->count; i++) {
			inside(data, size, e->entries[i], e->lens[i]);
			sum += e->lens[i];
		}
		if (e->count > SP_GOSSIP_MAX_ENTRIES || sum > SP_GOSSIP_BATCH_MAX)
			abort();
		break;
	case SP_GOSSIP_NOTES:
	case SP_GOSSIP_IHAVE:
		for (size_t i = 0; i < m->u.notes.n; i++) {
			inside(data, size, m->u.notes.notes[i].origin, m->u.notes.notes[i].origin_len);
			inside(data, size, m->u.notes.notes[i].checkpoint,
			       m->u.notes.notes[i].checkpoint_len);
		}
		break;
	case SP_GOSSIP_ATTACH:
		inside(data, size, m->u.attach.data, m->u.attach.len);
		break;
	case SP_GOSSIP_EVIDENCE:
		inside(data, size, m->u.evidence.origin, m->u.evidence.origin_len);
		inside(data, size, m->u.evidence.a, m->u.evidence.a_len);
		inside(data, size, m->u.evidence.b, m->u.evidence.b_len);
		if (m->u.evidence.a_len + m->u.evidence.b_len > SP_GOSSIP_EVIDENCE_MAX ||
		    (m->u.evidence.a_len == m->u.evidence.b_len &&
		     memcmp(m->u.evidence.a, m->u.evidence.b, m->u.evidence.a_len) == 0))
			abort();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_gossip_msg m;
	struct sp_buf b;

	if (sp_gossip_decode(data, size, &m) != 0) {
		sp_gossip_msg_free(&m);
		return 0;
	}
	if (size > SP_GOSSIP_MSG_MAX || sp_cbor_validate(data, size) != 0)
		abort();
	check_pointers(data, size, &m);
	sp_buf_init(&b);
	if (sp_gossip_encode(&m, &b) != 0 || b.len != size || memcmp(b.p, data, size) != 0)
		abort();
	sp_buf_free(&b);
	sp_gossip_msg_free(&m);
	return 0;
}

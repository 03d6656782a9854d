/*
 * sp_ticket.h - short tickets: a name for a report that a person can say
 * on the phone and type in an SMS.
 *
 *     <institution id>-<index>-<check>        e.g. 73.12-41-07
 *
 * The institution is the one whose log holds the submission entry (the
 * door the complaint came in by) and the index is the entry's index in
 * that log: one log has one writer and one entry per index, so the pair is
 * unique in the federation and any node can find the log from the
 * institution id. The check is two decimal digits taken from the report
 * id, (id[0] * 256 + id[1]) mod 100, so a mistyped index is noticed (99
 * times in 100) instead of naming someone else's report. A ticket reveals
 * nothing by itself; what it finds is what GET /v1/reports/{id} shows
 * anyone. Pure functions; no allocation.
 */
#ifndef SP_TICKET_H
#define SP_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "sp_entry.h"
#include "sp_event.h"

#define SP_TICKET_MAX 64 /* bytes, NUL included */

/* sp_ticket_format writes the ticket of the report with id `id`, submitted
 * as entry `index` of institution inst's log, into out. SP_ERR_RANGE if it
 * does not fit (never for valid institution ids). */
int sp_ticket_format(const char *inst, uint64_t index, const uint8_t id[SP_HASH_BYTES],
		     char out[SP_TICKET_MAX]);

/* sp_ticket_parse reads a ticket as a person may type it: surrounding
 * spaces ignored, letters of the institution id in any case (ids are
 * written upper-case). Fills inst, index and check. SP_ERR_ARG if it is
 * not a ticket. */
int sp_ticket_parse(const char *s, char inst[SP_INST_ID_MAX + 1], uint64_t *index,
		    unsigned *check);

/* sp_ticket_check: the check number of a report id (0..99). */
unsigned sp_ticket_check(const uint8_t id[SP_HASH_BYTES]);

#endif

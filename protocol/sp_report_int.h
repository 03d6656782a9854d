/*
 * sp_report_int.h - what the sp_report_*.c files share and nobody else
 * uses: the act map writer and the action body builder (codec, used by
 * sign), and the policy bound (codec and state).
 */
#ifndef SP_REPORT_INT_H
#define SP_REPORT_INT_H

#include "sp_cbor.h"
#include "sp_report.h"

#define SP_REPORT_POLICY_MAX 365 /* days, for each of the four policy values */

/* sp_report_act_put writes the act map: the bytes that officers and
 * reporters sign. */
void sp_report_act_put(struct sp_buf *b, const struct sp_report_action *a);

/* sp_report_action_body writes {0: act, proof...} for the actor already
 * set in a into a new buffer *out (caller frees), checked by parsing it
 * back. */
int sp_report_action_body(const struct sp_report_action *a, const struct sp_buf *act,
			  uint8_t **out, size_t *out_len);

#endif

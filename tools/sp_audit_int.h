/*
 * sp_audit_int.h - private to sp_audit*.c: checkpoint and report steps
 * shared by the store audit and the tiles audit.
 */
#ifndef SP_AUDIT_INT_H
#define SP_AUDIT_INT_H

#include "sp_audit.h"

/* sp_audit_open_checkpoint verifies a checkpoint note of log origin
 * against a key of its history and records it (size, signer, cosignature
 * count) in rep. */
int sp_audit_open_checkpoint(const char *note, size_t len, const struct sp_keyhist *keys,
			     const char *origin, struct sp_checkpoint *c,
			     struct sp_audit_report *rep);

/* sp_audit_compare_mark compares the root the checker recorded at the
 * checkpoint's size with the checkpoint's root (if it got that far). */
void sp_audit_compare_mark(struct sp_audit *a, const struct sp_checkpoint *c,
			   struct sp_audit_report *rep);

/* sp_audit_report_done copies the checker's outcome into rep. */
void sp_audit_report_done(struct sp_audit *a, struct sp_audit_report *rep, double t0);

#endif

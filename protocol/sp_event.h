/*
 * sp_event.h - the event types carried in sp_entry.type, and the ids that
 * name things across logs.
 *
 * The log layer does not care what an entry means; the node does. These
 * numbers are part of the wire format (entries are signed with them), so
 * never renumber one; append.
 *
 *   directory records (sp_dir.h)        1 .. 15
 *   reports and their handling          16 .. 31  (sp_report.h)
 *
 * A report's id is the entry hash (SHA-256 of the whole entry) of the
 * SP_EV_REPORT entry that recorded its submission; every later entry about
 * it, in any log, names that id. An institution id is its Kemendagri region
 * code ("73.12") or a short agency code ("KEMENKES"); an origin is
 * "<federation>/<institution id>".
 */
#ifndef SP_EVENT_H
#define SP_EVENT_H

enum sp_event {
	/* directory (written by the coordinator, or by a delegated writer) */
	SP_EV_INSTITUTION = 1, /* institution record: create, update, rotate keys */
	SP_EV_OFFICER = 2,     /* officer enrolment or removal */
	SP_EV_ROUTE = 3,       /* routing rule: (category, region prefix) -> institution */
	SP_EV_POLICY = 4,      /* deadline policy (working days per stage) */
	SP_EV_CALENDAR = 5,    /* holidays and cuti bersama of a year */
	SP_EV_DELEGATE = 6,    /* delegation of a directory subtree to an institution */
	SP_EV_FORK_RESOLVE = 7, /* the coordinator's decision on a forked log */
	SP_EV_ADMIN = 8,       /* an admin's signed request carrying one of 1..5, 9 (sp_admin.h) */
	SP_EV_RETIRE = 9,      /* an institution retired: its open reports go to its parent */

	/* reports */
	SP_EV_REPORT = 16,     /* a report submitted (its entry hash is the report id) */
	SP_EV_ACTION = 17,     /* an officer's or reporter's action on a report */
	SP_EV_ESCALATION = 18, /* a deadline passed: written by the holder's node */
	SP_EV_TRANSFER = 19,   /* a retired holder's report taken over by its heir's node */
	SP_EV_KEY_GRANT = 20,  /* a rahasia report's key sealed to holders that lack a copy,
				* by the coordinator's node */
};

#define SP_INST_ID_MAX 32  /* longest institution id, bytes */
#define SP_ORIGIN_NAME_MAX 128

#endif

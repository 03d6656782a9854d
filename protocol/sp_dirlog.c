/*
 * sp_dirlog.c - one entry of the directory log applied to a directory and
 * a calendar (see sp_dirlog.h).
 */
#include "sp_dirlog.h"

#include "sp_admin.h"
#include "sp_event.h"

int sp_dirlog_apply(struct sp_dir *d, struct sp_cal *cal, const struct sp_entry *e,
		    struct sp_entry *rec)
{
	struct sp_admin_req r;
	*rec = *e;
	if (e->type == SP_EV_CALENDAR)
		return sp_cal_load_year(cal, e->body, e->body_len);
	int rc = sp_dir_apply(d, e);
	if (rc == 0 && e->type == SP_EV_ADMIN && sp_admin_inner(e, &r, rec) == 0 &&
	    rec->type == SP_EV_CALENDAR)
		rc = sp_cal_load_year(cal, rec->body, rec->body_len);
	return rc;
}

/*
 * sp_fedaudit_out.c - writing a federation audit: JSON (everything), CSV
 * (one row per institution, tier and the federation, for the monthly
 * reports institutions write) and one self-contained HTML page (tables
 * and inline SVG charts, no external resource). One table of counters
 * drives all three, so they never disagree on names or order.
 */
#include "sp_fedaudit_fig.h"
#include "sp_hfig.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "sp_err.h"
#include "sp_files.h"

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *seen_json(const struct sp_fa *a, const struct sp_fa_log *l)
{
	json_t *arr = json_array();
	for (size_t s = 0; s < a->n_src; s++) {
		const struct sp_fa_seen *x = &l->seen[s];
		json_t *j = json_pack("{s:s}", "source", a->src[s].name);
		if (x->err == 0) {
			json_object_set_new(j, "size", json_integer((json_int_t)x->size));
			json_object_set_new(j, "agrees", x->agrees < 0 ? json_null() : json_boolean(x->agrees));
			json_object_set_new(j, "cosignatures_valid", json_integer(x->cosigs_ok));
			json_object_set_new(j, "cosignatures_invalid", json_integer(x->cosigs_bad));
			json_object_set_new(j, "cosignatures_unknown", json_integer(x->cosigs_unknown));
		} else {
			json_object_set_new(j, "error", json_string(sp_errname(x->err)));
		}
		if (x->tiles_err)
			json_object_set_new(j, "tiles_error", json_string(sp_errname(x->tiles_err)));
		if (x->set_aside)
			json_object_set_new(j, "set_aside", json_true());
		if (x->why[0])
			json_object_set_new(j, "problem", json_string(x->why));
		json_array_append_new(arr, j);
	}
	return arr;
}

static void b64(const uint8_t *p, char out[64])
{
	sodium_bin2base64(out, 64, p, 32, sodium_base64_VARIANT_ORIGINAL);
}

/* resolution_json: the coordinator's resolution a log was verified
 * against, and the sources (and previous audit) on the branch it set
 * aside. */
static json_t *resolution_json(const struct sp_fa *a, const struct sp_fa_log *l)
{
	char root[64], officer[2 * SP_KEY_BYTES + 1];
	b64(l->res.root, root);
	sodium_bin2hex(officer, sizeof(officer), l->res.officer, SP_KEY_BYTES);
	json_t *aside = json_array();
	for (size_t s = 0; s < a->n_src; s++)
		if (l->seen[s].set_aside)
			json_array_append_new(aside, json_pack("{s:s,s:I}", "source", a->src[s].name,
							       "size", (json_int_t)l->seen[s].size));
	return json_pack("{s:I,s:s,s:s,s:I,s:o,s:b}", "size", (json_int_t)l->res.size, "root", root,
			 "officer", officer, "entry", (json_int_t)l->res_entry, "set_aside", aside,
			 "previous_set_aside", l->prev_set_aside);
}

static json_t *log_json(const struct sp_fa *a, size_t i)
{
	const struct sp_fa_log *l = &a->logs[i];
	char root[64];
	b64(l->root, root);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "id", l->inst, "name", l->name,
			      "tier", sp_hfig_tier_name(l->tier), "parent", l->parent, "origin", l->origin,
			      "status", sp_fa_status_name(l->status), "verified",
			      (json_int_t)l->verified, "checkpoint_size", (json_int_t)l->cp_size);
	json_object_set_new(j, "root", l->verified ? json_string(root) : json_null());
	json_object_set_new(j, "verified_from", l->src >= 0 ? json_string(a->src[l->src].name) : json_null());
	json_object_set_new(j, "hash_tiles", json_integer((json_int_t)l->tiles));
	json_object_set_new(j, "cosigners", json_string(l->cosigners));
	if (l->prev)
		json_object_set_new(j, "previous", json_pack("{s:I,s:o}", "size", (json_int_t)l->prev_size,
							     "consistent", l->prev_ok < 0 ? json_null() : json_boolean(l->prev_ok)));
	json_object_set_new(j, "problem", l->why[0] ? json_string(l->why) : json_null());
	json_object_set_new(j, "resolution", l->resolved ? resolution_json(a, l) : json_null());
	json_object_set_new(j, "sources", seen_json(a, l));
	return j;
}

static json_t *list_json(const struct sp_fa_list *l, const char *what, const char *n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < l->n; i++) {
		char hex[65];
		sodium_bin2hex(hex, sizeof(hex), l->v[i].id, SP_HASH_BYTES);
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "report", hex, what, l->v[i].what,
						     n, (json_int_t)l->v[i].n));
	}
	return json_pack("{s:I,s:o}", "total", (json_int_t)l->total, "reports", arr);
}

static json_t *audit_json(const struct sp_fa *a)
{
	const struct sp_fa_fig *f = a->fig;
	json_t *j = json_pack("{s:s,s:s,s:I,s:b,s:I,s:I,s:{s:f,s:f}}", "federation", a->federation,
			      "root_vkey", a->o.root_vkey, "at_ms", (json_int_t)a->o.now_ms,
			      "complete", a->complete, "entries_verified", (json_int_t)a->entries,
			      "chain_threshold", (json_int_t)a->o.chain_n, "seconds", "verify",
			      a->verify_s, "figures", a->figures_s);
	json_t *src = json_array();
	for (size_t s = 0; s < a->n_src; s++)
		json_array_append_new(src, json_pack("{s:s,s:b,s:o}", "source", a->src[s].name,
						     "reached", a->src[s].reached, "problem",
						     a->src[s].why[0] ? json_string(a->src[s].why) : json_null()));
	json_object_set_new(j, "sources", src);
	json_t *logs = json_array(), *insts = json_array(), *tiers = json_array();
	for (size_t i = 0; i < a->n_logs; i++) {
		json_array_append_new(logs, log_json(a, i));
		json_t *r = sp_hfig_row_json(&f->inst[i]);
		json_object_set_new(r, "id", json_string(a->logs[i].inst));
		json_object_set_new(r, "name", json_string(a->logs[i].name));
		json_object_set_new(r, "tier", json_string(sp_hfig_tier_name(a->logs[i].tier)));
		json_object_set_new(r, "parent", json_string(a->logs[i].parent));
		json_object_set_new(r, "log_status", json_string(sp_fa_status_name(a->logs[i].status)));
		json_array_append_new(insts, r);
	}
	for (unsigned t = 0; t < SP_HFIG_TIERS; t++) {
		json_t *r = sp_hfig_row_json(&f->tier[t]);
		json_object_set_new(r, "tier", json_string(sp_hfig_tier_name(t)));
		json_array_append_new(tiers, r);
	}
	json_t *st = json_object();
	for (int s = 0; s < 8; s++)
		json_object_set_new(st, sp_report_status_name(s), json_integer((json_int_t)f->status[s]));
	json_object_set_new(j, "logs", logs);
	json_object_set_new(j, "reports", json_pack("{s:I,s:o,s:{s:I,s:I,s:I,s:I},s:I,s:I,s:I,s:I}",
		"total", (json_int_t)f->reports, "status", st, "bounced_times", "0",
		(json_int_t)f->bounce_hist[0], "1", (json_int_t)f->bounce_hist[1], "2",
		(json_int_t)f->bounce_hist[2], "3+", (json_int_t)f->bounce_hist[3], "trail_applied",
		(json_int_t)f->trail_applied, "trail_refused", (json_int_t)f->trail_refused,
		"orphan_entries", (json_int_t)f->orphans, "unreadable_entries",
		(json_int_t)f->bad_bodies));
	json_object_set_new(j, "period",
			    a->o.month[0] ? json_pack("{s:s,s:I,s:I,s:I}", "month", a->o.month,
						      "from_ms", (json_int_t)a->o.period.from_ms,
						      "to_ms", (json_int_t)a->o.period.to_ms,
						      "reports_outside", (json_int_t)f->outside_period)
					  : json_null());
	json_object_set_new(j, "escalations", json_pack("{s:I,s:I,s:I}", "total",
		(json_int_t)f->escalations, "acted_on", (json_int_t)f->esc_acted, "not_acted_on",
		(json_int_t)f->esc_unacted));
	json_object_set_new(j, "institutions", insts);
	json_object_set_new(j, "tiers", tiers);
	json_object_set_new(j, "federation_figures", sp_hfig_row_json(&f->all));
	json_t *flows = json_array();
	for (size_t i = 0; i < f->n_flows; i++)
		json_array_append_new(flows, json_pack("{s:s,s:s,s:I,s:I}", "from",
			a->logs[f->flows[i].from].inst, "to", a->logs[f->flows[i].to].inst,
			"forwarded", (json_int_t)f->flows[i].forwarded, "returned",
			(json_int_t)f->flows[i].returned));
	json_object_set_new(j, "flows", flows);
	json_object_set_new(j, "long_chains", list_json(&f->chains, "chain", "institutions"));
	json_object_set_new(j, "past_ceiling", list_json(&f->ceiling, "holders", "days_open"));
	json_object_set_new(j, "unacted_escalations", list_json(&f->unacted, "holders", "escalations"));
	return j;
}

int sp_fa_write_json(const struct sp_fa *a, const char *path)
{
	json_t *j = audit_json(a);
	char *text = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (text == NULL)
		return SP_ERR_NOMEM;
	int rc = sp_file_replace(path, text, strlen(text));
	free(text);
	return rc;
}

/* ---- CSV ---------------------------------------------------------------------------- */

int sp_fa_write_csv(const struct sp_fa *a, const char *path)
{
	struct sp_buf b;
	sp_buf_init(&b);
	sp_hfig_csv_header(&b);
	for (size_t i = 0; i < a->n_logs; i++)
		sp_hfig_csv_row(&b, "institution", a->logs[i].inst, a->logs[i].name,
			sp_hfig_tier_name(a->logs[i].tier), sp_fa_status_name(a->logs[i].status),
			&a->fig->inst[i]);
	for (unsigned t = 0; t < SP_HFIG_TIERS; t++)
		sp_hfig_csv_row(&b, "tier", sp_hfig_tier_name(t), "", sp_hfig_tier_name(t), "", &a->fig->tier[t]);
	sp_hfig_csv_row(&b, "federation", a->federation, "", "", a->complete ? "ok" : "incomplete",
		&a->fig->all);
	int rc = b.err ? SP_ERR_NOMEM : sp_file_replace(path, b.p, b.len);
	sp_buf_free(&b);
	return rc;
}

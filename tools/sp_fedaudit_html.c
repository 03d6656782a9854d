/*
 * sp_fedaudit_html.c - the audit as one self-contained HTML page: what was
 * verified (logs, sources, problems), the figures per tier and per
 * institution, the completion rate against the 50 % threshold and the
 * flow per tier as inline SVG bar charts, and the reports it lists. No
 * script, no external resource, so it can be mailed, archived, or
 * embedded by the dashboard as it is. Bahasa Indonesia first.
 */
#include "sp_fedaudit_fig.h"
#include "sp_hfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_files.h"

/* esc appends s with &, <, >, " escaped. */
static void esc(struct sp_buf *b, const char *s)
{
	for (; *s; s++) {
		const char *r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
			      : *s == '"' ? "&quot;" : NULL;
		if (r)
			sp_buf_put(b, r, strlen(r));
		else
			sp_buf_put(b, s, 1);
	}
}

static void put(struct sp_buf *b, const char *s)
{
	sp_buf_put(b, s, strlen(s));
}

/* dur writes a duration in days (one decimal) or hours. */
static void dur(struct sp_buf *b, const struct sp_hfig_stat *s, int p90)
{
	if (s->n == 0) {
		put(b, "<td>–</td>");
		return;
	}
	double h = (double)(p90 ? s->p90_ms : s->median_ms) / 3600000.0;
	if (h >= 48)
		sp_buf_printf(b, "<td>%.1f hari</td>", h / 24);
	else
		sp_buf_printf(b, "<td>%.1f jam</td>", h);
}

static const char *const STYLE =
	"body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#1b1b1b}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;font-size:13px;display:block;overflow-x:auto}"
	"th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;white-space:nowrap}"
	"th{background:#f3f3f3}td.l,th.l{text-align:left}"
	".ok{color:#0a6b2b}.bad{color:#a10e0e;font-weight:bold}.warn{color:#8a5a00}"
	".banner{padding:.6em 1em;border-radius:4px;margin:1em 0}"
	".good{background:#e4f4e8}.poor{background:#fbe4e4}code{font-size:12px}";

static void head(struct sp_buf *b, const struct sp_fa *a)
{
	put(b, "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	       "style-src 'unsafe-inline'; img-src data:\"><title>Audit penanganan pengaduan: ");
	esc(b, a->federation);
	put(b, "</title><style>");
	put(b, STYLE);
	put(b, "</style></head><body>\n<h1>Audit penanganan pengaduan <small>(handling audit)</small>: ");
	esc(b, a->federation);
	time_t t = (time_t)(a->o.now_ms / 1000 + 7 * 3600);
	struct tm tm;
	char when[64];
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M WIB", &tm);
	sp_buf_printf(b, "</h1>\n<p>Per %s. Semua angka dihitung ulang dari entri yang "
			 "terverifikasi (tanda tangan, rantai, pohon Merkle, checkpoint), bukan dari "
			 "klaim node mana pun. %llu entri diverifikasi dari %zu log dalam %.1f s.</p>\n",
		      when, (unsigned long long)a->entries, a->n_logs, a->verify_s);
	if (a->o.month[0])
		sp_buf_printf(b, "<p class=\"banner\">Periode %s: hanya pengaduan yang masuk pada "
				 "bulan itu (WIB) yang dihitung <small>(only the reports submitted in "
				 "that month)</small>.</p>\n", a->o.month);
	sp_buf_printf(b, "<p class=\"banner %s\">%s</p>\n", a->complete ? "good" : "poor",
		      a->complete ? "Lengkap: setiap log terverifikasi sampai checkpoint terbesarnya."
				  : "TIDAK LENGKAP: sebagian log tidak dapat diverifikasi (lihat Log); "
				    "angka di bawah hanya mencakup yang terverifikasi.");
}

static void logs_table(struct sp_buf *b, const struct sp_fa *a)
{
	put(b, "<h2>Log <small>(what was verified)</small></h2>\n<table><tr><th class=l>Instansi</th>"
	       "<th class=l>Tingkat</th><th class=l>Status</th><th>Entri terverifikasi</th>"
	       "<th>Checkpoint</th><th class=l>Dikosign oleh</th><th class=l>Audit sebelumnya</th>"
	       "<th class=l>Masalah</th></tr>\n");
	for (size_t i = 0; i < a->n_logs; i++) {
		const struct sp_fa_log *l = &a->logs[i];
		put(b, "<tr><td class=l>");
		esc(b, l->inst);
		put(b, " ");
		esc(b, l->name);
		sp_buf_printf(b, "</td><td class=l>%s</td><td class=\"l %s\">%s</td><td>%llu</td>"
				 "<td>%llu</td><td class=l>",
			      sp_hfig_tier_name(l->tier), l->status == SP_FA_LOG_OK ? "ok" : "bad",
			      sp_fa_status_name(l->status), (unsigned long long)l->verified,
			      (unsigned long long)l->cp_size);
		esc(b, l->cosigners);
		put(b, "</td><td class=l>");
		if (l->prev)
			sp_buf_printf(b, "%llu: %s", (unsigned long long)l->prev_size,
				      l->prev_ok < 0 ? "tidak dapat dibandingkan"
				      : l->prev_ok ? "konsisten" : "DITULIS ULANG");
		put(b, "</td><td class=l>");
		esc(b, l->why);
		put(b, "</td></tr>\n");
	}
	put(b, "</table>\n<h2>Sumber <small>(sources)</small></h2>\n<table><tr><th class=l>Sumber</th>"
	       "<th class=l>Terjangkau</th><th class=l>Masalah</th></tr>\n");
	for (size_t s = 0; s < a->n_src; s++) {
		put(b, "<tr><td class=l>");
		esc(b, a->src[s].name);
		sp_buf_printf(b, "</td><td class=\"l %s\">%s</td><td class=l>",
			      a->src[s].reached ? "ok" : "bad", a->src[s].reached ? "ya" : "TIDAK");
		esc(b, a->src[s].why);
		put(b, "</td></tr>\n");
	}
	put(b, "</table>\n");
}

/* The columns of the figures tables: (label, counter name). */
static const char *const COLS[][2] = {
	{"Diterima", "received"},      {"Tanggapan tepat waktu", "responded_in_time"},
	{"Diverifikasi", "verified"},  {"Diteruskan", "forwarded"},
	{"Bukan wewenang", "bounced"}, {"Dikembalikan kepadanya", "bounced_to"},
	{"Ambil alih", "taken_over"},  {"Diambil alih", "taken_from"},
	{"Ditindaklanjuti", "answered"}, {"Selesai", "finished"},
	{"Dibuka kembali", "reopened"}, {"Dinilai", "rated"},
	{"Tenggat terlewat", "missed"}, {"Eskalasi tanpa tindakan", "esc_unacted"},
	{"Dipegang", "held_now"},      {"Lewat 60 hari", "past_ceiling"},
};

static uint64_t named(const struct sp_hfig_counts *c, const char *name)
{
	for (size_t i = 0; i < sp_hfig_n_counters; i++)
		if (strcmp(sp_hfig_counters[i].name, name) == 0)
			return sp_hfig_counter(c, i);
	return 0;
}

static void fig_header(struct sp_buf *b, const char *first)
{
	sp_buf_printf(b, "<table><tr><th class=l>%s</th>", first);
	for (size_t k = 0; k < sizeof(COLS) / sizeof(COLS[0]); k++)
		sp_buf_printf(b, "<th>%s</th>", COLS[k][0]);
	put(b, "<th>Nilai rata-rata</th><th>Tingkat tindak lanjut</th><th>Median di tangan</th>"
	       "<th>P90 di tangan</th><th>Median tanggapan</th><th>P90 tanggapan</th>"
	       "<th>Median jawaban</th><th>P90 jawaban</th></tr>\n");
}

static void fig_row(struct sp_buf *b, const char *label, const struct sp_hfig_row *r)
{
	put(b, "<tr><td class=l>");
	esc(b, label);
	put(b, "</td>");
	for (size_t k = 0; k < sizeof(COLS) / sizeof(COLS[0]); k++)
		sp_buf_printf(b, "<td>%llu</td>", (unsigned long long)named(&r->c, COLS[k][1]));
	if (r->c.rated)
		sp_buf_printf(b, "<td>%.2f</td>", sp_hfig_rating_mean(&r->c));
	else
		put(b, "<td>–</td>");
	double rate = sp_hfig_rate(&r->c);
	if (rate >= 0)
		sp_buf_printf(b, "<td class=\"%s\">%.1f %%</td>",
			      rate < SP_HFIG_THRESHOLD ? "bad" : "ok", rate * 100);
	else
		put(b, "<td>–</td>");
	dur(b, &r->hand, 0);
	dur(b, &r->hand, 1);
	dur(b, &r->respond, 0);
	dur(b, &r->respond, 1);
	dur(b, &r->answer, 0);
	dur(b, &r->answer, 1);
	put(b, "</tr>\n");
}

/* rate_chart: one horizontal bar per institution with something to do,
 * against the 50 % line. */
static void rate_chart(struct sp_buf *b, const struct sp_fa *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n_logs; i++)
		n += a->fig->inst[i].c.responsible > 0;
	put(b, "<h2>Tingkat tindak lanjut per instansi <small>(completion rate; threshold 50 %)"
	       "</small></h2>\n");
	if (n == 0) {
		put(b, "<p>Belum ada pengaduan yang menjadi tanggung jawab instansi mana pun.</p>\n");
		return;
	}
	const unsigned row = 18, left = 200, width = 400;
	sp_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%zu\" "
			 "role=\"img\" aria-label=\"tingkat tindak lanjut\" font-size=\"12\">\n",
		      left + width + 60, n * row + 24);
	size_t y = 0;
	for (size_t i = 0; i < a->n_logs; i++) {
		const struct sp_hfig_counts *c = &a->fig->inst[i].c;
		if (c->responsible == 0)
			continue;
		double rate = sp_hfig_rate(c);
		unsigned w = (unsigned)(rate * width + 0.5);
		sp_buf_printf(b, "<text x=\"%u\" y=\"%zu\" text-anchor=\"end\">", left - 6, y * row + 13);
		esc(b, a->logs[i].inst);
		sp_buf_printf(b, "</text><rect x=\"%u\" y=\"%zu\" width=\"%u\" height=\"%u\" "
				 "fill=\"%s\"/><text x=\"%u\" y=\"%zu\">%.0f %% (%llu/%llu)</text>\n",
			      left, y * row + 3, w, row - 5,
			      rate < SP_HFIG_THRESHOLD ? "#c0392b" : "#2e8b57", left + w + 4,
			      y * row + 13, rate * 100, (unsigned long long)c->followed_up,
			      (unsigned long long)c->responsible);
		y++;
	}
	sp_buf_printf(b, "<line x1=\"%u\" y1=\"0\" x2=\"%u\" y2=\"%zu\" stroke=\"#333\" "
			 "stroke-dasharray=\"4 3\"/><text x=\"%u\" y=\"%zu\">50 %%</text></svg>\n",
		      left + width / 2, left + width / 2, n * row + 4, left + width / 2 - 14,
		      n * row + 18);
}

/* tier_chart: received, answered, finished and bounced per tier. */
static void tier_chart(struct sp_buf *b, const struct sp_fa *a)
{
	static const char *const what[][3] = {{"received", "diterima", "#4a78b5"},
					      {"answered", "ditindaklanjuti", "#2e8b57"},
					      {"finished", "selesai", "#7d5ba6"},
					      {"bounced", "bukan wewenang", "#c0392b"}};
	uint64_t max = 1;
	for (unsigned t = 0; t < SP_HFIG_TIERS; t++)
		for (size_t k = 0; k < 4; k++)
			if (named(&a->fig->tier[t].c, what[k][0]) > max)
				max = named(&a->fig->tier[t].c, what[k][0]);
	const unsigned group = 110, bar = 22, height = 160;
	put(b, "<h2>Alur per tingkat <small>(flow per tier)</small></h2>\n");
	sp_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
			 "role=\"img\" aria-label=\"alur per tingkat\" font-size=\"11\">\n",
		      group * SP_HFIG_TIERS + 20, height + 60);
	for (unsigned t = 0; t < SP_HFIG_TIERS; t++) {
		for (size_t k = 0; k < 4; k++) {
			uint64_t v = named(&a->fig->tier[t].c, what[k][0]);
			unsigned h = (unsigned)((double)v / (double)max * height + 0.5);
			unsigned x = 10 + t * group + (unsigned)k * bar;
			sp_buf_printf(b, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
					 "fill=\"%s\"><title>%s: %llu</title></rect>"
					 "<text x=\"%u\" y=\"%u\" font-size=\"9\">%llu</text>\n",
				      x, height - h + 14, bar - 3, h, what[k][2], what[k][1],
				      (unsigned long long)v, x, height - h + 11, (unsigned long long)v);
		}
		sp_buf_printf(b, "<text x=\"%u\" y=\"%u\">%s</text>\n", 10 + t * group,
			      height + 30, sp_hfig_tier_name(t));
	}
	for (size_t k = 0; k < 4; k++)
		sp_buf_printf(b, "<rect x=\"%zu\" y=\"%u\" width=\"10\" height=\"10\" fill=\"%s\"/>"
				 "<text x=\"%zu\" y=\"%u\">%s</text>\n",
			      10 + k * 150, height + 42, what[k][2], 24 + k * 150, height + 51,
			      what[k][1]);
	put(b, "</svg>\n");
}

static void list_table(struct sp_buf *b, const struct sp_fa_list *l, const char *title,
		       const char *what, const char *n)
{
	sp_buf_printf(b, "<h2>%s: %llu</h2>\n", title, (unsigned long long)l->total);
	if (l->n == 0)
		return;
	sp_buf_printf(b, "<table><tr><th class=l>Laporan</th><th class=l>%s</th><th>%s</th></tr>\n",
		      what, n);
	for (size_t i = 0; i < l->n; i++) {
		char hex[65];
		sodium_bin2hex(hex, sizeof(hex), l->v[i].id, SP_HASH_BYTES);
		sp_buf_printf(b, "<tr><td class=l><code>%s</code></td><td class=l>", hex);
		esc(b, l->v[i].what);
		sp_buf_printf(b, "</td><td>%llu</td></tr>\n", (unsigned long long)l->v[i].n);
	}
	if (l->total > l->n)
		sp_buf_printf(b, "<tr><td class=l colspan=3>… dan %llu lainnya</td></tr>\n",
			      (unsigned long long)(l->total - l->n));
	put(b, "</table>\n");
}

static void summary(struct sp_buf *b, const struct sp_fa *a)
{
	const struct sp_fa_fig *f = a->fig;
	put(b, "<h2>Ringkasan <small>(summary)</small></h2>\n<table><tr>");
	for (int s = 0; s < 8; s++)
		sp_buf_printf(b, "<th>%s</th>", sp_report_status_name(s));
	put(b, "<th>Total</th><th>Entri jejak diterapkan</th><th>Entri jejak ditolak aturan</th>"
	       "<th>Entri tanpa laporan</th><th>Eskalasi</th><th>Ditindaklanjuti setelah "
	       "eskalasi</th><th>Dikembalikan 1×</th><th>2×</th><th>3×+</th></tr><tr>");
	for (int s = 0; s < 8; s++)
		sp_buf_printf(b, "<td>%llu</td>", (unsigned long long)f->status[s]);
	sp_buf_printf(b, "<td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
			 "<td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td></tr></table>\n",
		      (unsigned long long)f->reports, (unsigned long long)f->trail_applied,
		      (unsigned long long)f->trail_refused, (unsigned long long)f->orphans,
		      (unsigned long long)f->escalations, (unsigned long long)f->esc_acted,
		      (unsigned long long)f->bounce_hist[1], (unsigned long long)f->bounce_hist[2],
		      (unsigned long long)f->bounce_hist[3]);
}

int sp_fa_write_html(const struct sp_fa *a, const char *path)
{
	struct sp_buf b;
	sp_buf_init(&b);
	head(&b, a);
	summary(&b, a);
	rate_chart(&b, a);
	tier_chart(&b, a);
	put(&b, "<h2>Per tingkat <small>(per tier)</small></h2>\n");
	fig_header(&b, "Tingkat");
	for (unsigned t = 0; t < SP_HFIG_TIERS; t++)
		fig_row(&b, sp_hfig_tier_name(t), &a->fig->tier[t]);
	fig_row(&b, "semua", &a->fig->all);
	put(&b, "</table>\n<h2>Per instansi <small>(per institution)</small></h2>\n");
	fig_header(&b, "Instansi");
	for (size_t i = 0; i < a->n_logs; i++) {
		char label[SP_INST_ID_MAX + SP_DIR_NAME_MAX + 24];
		snprintf(label, sizeof(label), "%s %s%s", a->logs[i].inst, a->logs[i].name,
			 a->logs[i].status == SP_FA_LOG_OK ? "" : " (log tidak lengkap)");
		fig_row(&b, label, &a->fig->inst[i]);
	}
	put(&b, "</table>\n");
	char title[96];
	snprintf(title, sizeof(title), "Rantai disposisi lebih dari %u instansi", a->o.chain_n);
	list_table(&b, &a->fig->chains, title, "Rantai", "Instansi");
	list_table(&b, &a->fig->ceiling, "Terbuka melewati batas 60 hari", "Pemegang", "Hari");
	list_table(&b, &a->fig->unacted, "Eskalasi tanpa tindakan", "Pemegang", "Eskalasi");
	logs_table(&b, a);
	put(&b, "<p><small>Definisi setiap angka: docs/audit.md. Dibuat oleh <code>simpul audit"
		"</code>.</small></p>\n</body></html>\n");
	int rc = b.err ? SP_ERR_NOMEM : sp_file_replace(path, b.p, b.len);
	sp_buf_free(&b);
	return rc;
}

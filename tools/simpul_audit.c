/*
 * simpul_audit.c - `simpul audit`: the coordinator's audit of a whole
 * federation from its signed logs (sp_fedaudit.h), written as JSON, CSV
 * and a self-contained HTML page, with a summary on standard output.
 */
#include "simpul.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_fedaudit.h"
#include "sp_fedaudit_fig.h"
#include "sp_pool.h"
#include "sp_clock.h"

struct audit_args {
	const char *root, *state, *json, *csv, *html, *save, *month;
	const char *sources[SP_FA_MAX_SOURCES];
	size_t n_sources;
	uint64_t at, chain, threads;
	int quiet;
};

static void audit_help(const char *cmd)
{
	printf("usage: %s --root VKEY (--node URL | --tiles DIR)... [--state FILE]\n"
	       "       [--json FILE] [--csv FILE] [--html FILE] [--at MS] [--month YYYY-MM]\n"
	       "       [--chain N] [--save DIR] [--threads N] [--quiet]\n"
	       "\n"
	       "Audit how complaints are handled across a federation, from the signed logs\n"
	       "alone. Starting from the coordinator's verifier key, it reads the directory\n"
	       "log, then every institution's log from every source that serves it (tlog-\n"
	       "tiles), verifies entries, signatures, hash tiles, checkpoints, cosignatures\n"
	       "and consistency with the previous audit, recomputes every report's state\n"
	       "with the node's own rules, and writes the handling figures per institution\n"
	       "and per tier. What could not be verified is reported, and the rest counted.\n"
	       "\n"
	       "  -r, --root VKEY    the coordinator's genesis verifier key (federation.ini\n"
	       "                     root_vkey); its later keys are taken from the log\n"
	       "  -n, --node URL     a node to read logs from (/logs/<inst>/...); repeatable\n"
	       "  -T, --tiles DIR    a folder of logs, DIR/<inst>/checkpoint, tile/...; repeatable\n"
	       "  -s, --state FILE   the previous audit's state: checked, then rewritten\n"
	       "  -J, --json FILE    write the whole audit as JSON\n"
	       "  -C, --csv FILE     write one row per institution, tier and federation\n"
	       "  -H, --html FILE    write one self-contained HTML page\n"
	       "  -a, --at MS        the audit's time, ms since 1970 (default: now)\n"
	       "  -m, --month YYYY-MM  figures of the reports submitted in that month (WIB)\n"
	       "                     only, as they stand at --at (every log is still verified)\n"
	       "  -c, --chain N      list reports whose routing crossed more than N\n"
	       "                     institutions (default 3)\n"
	       "  -S, --save DIR     keep a copy of every log verified, as DIR/<inst>/...\n"
	       "  -j, --threads N    signature-checking threads (default: all CPUs)\n"
	       "  -q, --quiet        no progress bars\n"
	       "  -h, --help         show this help\n"
	       "\n"
	       "Exit status: 0 when every log verified and nothing contradicts anything, 1\n"
	       "when a log could not be (fully) verified or a fork or rewrite was found (the\n"
	       "outputs are written all the same), 2 on bad usage.\n",
	       cmd);
}

static int audit_parse(int argc, char **argv, struct audit_args *a)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},  {"node", required_argument, NULL, 'n'},
		{"tiles", required_argument, NULL, 'T'}, {"state", required_argument, NULL, 's'},
		{"json", required_argument, NULL, 'J'},  {"csv", required_argument, NULL, 'C'},
		{"html", required_argument, NULL, 'H'},  {"at", required_argument, NULL, 'a'},
		{"chain", required_argument, NULL, 'c'}, {"save", required_argument, NULL, 'S'},
		{"month", required_argument, NULL, 'm'},
		{"threads", required_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0];
	int c;
	a->chain = 3;
	while ((c = getopt_long(argc, argv, "r:n:T:s:J:C:H:a:m:c:S:j:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': a->root = optarg; break;
		case 'n':
		case 'T':
			if (a->n_sources == SP_FA_MAX_SOURCES)
				return simpul_usage(cmd, "at most %d sources", SP_FA_MAX_SOURCES);
			if (c == 'n' && strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0)
				return simpul_usage(cmd, "--node wants an http:// or https:// URL, not '%s'",
						    optarg);
			if (c == 'T' && (strncmp(optarg, "http://", 7) == 0 ||
					 strncmp(optarg, "https://", 8) == 0))
				return simpul_usage(cmd, "--tiles wants a folder; use --node for '%s'",
						    optarg);
			a->sources[a->n_sources++] = optarg;
			break;
		case 's': a->state = optarg; break;
		case 'J': a->json = optarg; break;
		case 'C': a->csv = optarg; break;
		case 'H': a->html = optarg; break;
		case 'S': a->save = optarg; break;
		case 'm': {
			struct sp_hfig_period p;
			if (sp_hfig_month(optarg, &p) != 0)
				return simpul_usage(cmd, "--month wants YYYY-MM, not '%s'", optarg);
			a->month = optarg;
			break;
		}
		case 'q': a->quiet = 1; break;
		case 'a':
			if (simpul_parse_u64(optarg, &a->at) || a->at == 0)
				return simpul_usage(cmd, "--at wants ms since 1970, not '%s'", optarg);
			break;
		case 'c':
			if (simpul_parse_u64(optarg, &a->chain) || a->chain == 0 || a->chain > 16)
				return simpul_usage(cmd, "--chain wants 1..16, not '%s'", optarg);
			break;
		case 'j':
			if (simpul_threads_arg(cmd, optarg, &a->threads))
				return SIMPUL_USAGE;
			break;
		case 'h':
			audit_help(cmd);
			return SIMPUL_OK;
		default:
			return simpul_bad_option(cmd);
		}
	}
	if (optind < argc)
		return simpul_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (a->root == NULL)
		return simpul_usage(cmd, "--root VKEY is required (the coordinator's verifier key)");
	if (a->n_sources == 0)
		return simpul_usage(cmd, "give at least one --node URL or --tiles DIR");
	return -1;
}

/* print_resolution: a log the coordinator resolved a fork in, the branch
 * kept and what was set aside. */
static void print_resolution(const struct sp_fa *a, const struct sp_fa_log *l)
{
	char root[64];
	sodium_bin2base64(root, sizeof(root), l->res.root, 32, sodium_base64_VARIANT_ORIGINAL);
	printf("  log %-12s fork resolved by the coordinator (entry %llu of its log): the tree of "
	       "%llu entries, root %s%s\n",
	       l->inst, (unsigned long long)l->res_entry, (unsigned long long)l->res.size, root,
	       l->prev_set_aside ? "; the previous audit's tree was set aside" : "");
	for (size_t s = 0; s < a->n_src; s++)
		if (l->seen[s].set_aside)
			printf("      set aside: %s (checkpoint of %llu entries)\n", a->src[s].name,
			       (unsigned long long)l->seen[s].size);
}

static void print_summary(const struct sp_fa *a)
{
	printf("federation %s: %s\n", a->federation,
	       a->complete ? "every log verified" : "INCOMPLETE: some logs not (fully) verified");
	printf("  entries   %llu verified in %.2f s (%.0f entries/s); figures in %.2f s\n",
	       (unsigned long long)a->entries, a->verify_s,
	       a->verify_s > 0 ? (double)a->entries / a->verify_s : 0.0, a->figures_s);
	for (size_t s = 0; s < a->n_src; s++)
		if (a->src[s].why[0])
			printf("  source    %s: %s\n", a->src[s].name, a->src[s].why);
	size_t shown = 0;
	for (size_t i = 0; i < a->n_logs; i++) {
		const struct sp_fa_log *l = &a->logs[i];
		if (l->resolved)
			print_resolution(a, l);
		if ((l->status == SP_FA_LOG_OK || l->status == SP_FA_LOG_ABSENT) &&
		    !(l->prev && l->prev_ok == 0 && !l->prev_set_aside))
			continue;
		printf("  log %-12s %-10s %llu/%llu %s\n", l->inst, sp_fa_status_name(l->status),
		       (unsigned long long)l->verified, (unsigned long long)l->cp_size, l->why);
		shown++;
	}
	size_t absent = 0;
	for (size_t i = 0; i < a->n_logs; i++)
		absent += a->logs[i].status == SP_FA_LOG_ABSENT;
	printf("  logs      %zu: %zu verified to their largest checkpoint, %zu held by no "
	       "source, %zu with problems\n", a->n_logs, a->n_logs - absent - shown, absent, shown);
	const struct sp_fa_fig *f = a->fig;
	const struct sp_hfig_counts *c = &f->all.c;
	printf("  reports   %llu (selesai %llu, ditindaklanjuti %llu, open %llu); trail entries "
	       "%llu applied, %llu refused by the rules\n",
	       (unsigned long long)f->reports, (unsigned long long)f->status[SP_ST_SELESAI],
	       (unsigned long long)f->status[SP_ST_DITINDAKLANJUTI],
	       (unsigned long long)(f->status[SP_ST_DITERIMA] + f->status[SP_ST_DIVERIFIKASI] +
				    f->status[SP_ST_TUNDA] + f->status[SP_ST_DIDISPOSISIKAN]),
	       (unsigned long long)f->trail_applied, (unsigned long long)f->trail_refused);
	printf("  handling  forwarded %llu, bukan wewenang %llu, taken over %llu, answered %llu, "
	       "escalations %llu (%llu not acted on), past 60 days %llu\n",
	       (unsigned long long)c->forwarded, (unsigned long long)c->bounced,
	       (unsigned long long)c->taken_over, (unsigned long long)c->answered,
	       (unsigned long long)f->escalations, (unsigned long long)f->esc_unacted,
	       (unsigned long long)f->ceiling.total);
	size_t below = 0;
	for (size_t i = 0; i < f->n_inst; i++) {
		double r = sp_hfig_rate(&f->inst[i].c);
		below += r >= 0 && r < SP_HFIG_THRESHOLD;
	}
	printf("  completion %zu institution%s below the 50%% threshold\n", below,
	       below == 1 ? "" : "s");
}

static int write_outputs(const struct audit_args *x, const struct sp_fa *a)
{
	struct {
		const char *path;
		int (*fn)(const struct sp_fa *, const char *);
	} outs[] = {{x->json, sp_fa_write_json}, {x->csv, sp_fa_write_csv},
		    {x->html, sp_fa_write_html}, {x->state, sp_fa_state_write}};
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		int rc = outs[i].path ? outs[i].fn(a, outs[i].path) : 0;
		if (rc)
			return simpul_fail(rc, "writing %s", outs[i].path);
	}
	return SIMPUL_OK;
}

int simpul_audit_main(int argc, char **argv)
{
	struct audit_args x = {0};
	int ex = audit_parse(argc, argv, &x);
	if (ex >= 0)
		return ex;
	struct sp_pool *pool;
	ex = simpul_pool_start(x.threads, &pool);
	if (ex != SIMPUL_OK)
		return ex;
	int rc;
	if (x.at == 0)
		x.at = sp_now_ms();
	struct sp_fa_opts o = {
		.root_vkey = x.root, .sources = x.sources, .n_sources = x.n_sources,
		.state_in = x.state, .now_ms = x.at, .chain_n = (unsigned)x.chain, .pool = pool,
		.quiet = x.quiet, .save = x.save,
	};
	if (x.month) {
		sp_hfig_month(x.month, &o.period); /* checked by audit_parse */
		snprintf(o.month, sizeof(o.month), "%s", x.month);
	}
	struct sp_fa a;
	rc = sp_fa_run(&o, &a);
	if (rc) {
		ex = simpul_fail(rc, "audit: %s", a.why[0] ? a.why : "stopped");
	} else {
		print_summary(&a);
		ex = write_outputs(&x, &a);
		int clean = a.complete;
		for (size_t i = 0; i < a.n_logs; i++)
			clean &= !(a.logs[i].prev && a.logs[i].prev_ok == 0);
		if (ex == SIMPUL_OK && !clean)
			ex = SIMPUL_FAIL;
	}
	sp_fa_free(&a);
	sp_pool_destroy(pool);
	return ex;
}

/*
 * simpul_sim.c - `simpul-sim`: predicts propagation, the national node's
 * load and catch-up times for a Simpul federation (by default all of
 * Indonesia: 38 provinces, 514 kabupaten/kota, ministries and agencies,
 * the coordinator) from per-node costs measured on real nodes. The model
 * is sp_sim.h; docs/simulation.md describes it, its inputs and limits.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_fedgen.h"
#include "sp_files.h"
#include "sp_sim.h"

#define SIM_PATH 4096

struct opts {
	const char *wilayah, *fed, *nodes, *down, *from, *to;
	double per_day, peak, rate, duration;
	double entries_per_report, catchup_rate, entry_bytes, batch_bytes, mbps;
	uint64_t seed;
	int outages, every_down;
	struct sp_sim_costs c;
};

static const char usage_text[] =
	"usage: simpul-sim --fed DIR [--wilayah FILE] [options]\n"
	"\n"
	"Simulate replication in the federation of DIR (`simpul federation init`;\n"
	"generated there from --wilayah first if DIR holds none), linked as\n"
	"`simpul federation up` links nodes, with measured per-node costs.\n"
	"\n"
	"  -f, --fed DIR             federation folder (federation.ini)\n"
	"  -w, --wilayah FILE        region list, to generate DIR when it holds none\n"
	"  -n, --nodes ID,...        only these nodes (default: every institution)\n"
	"      --down ID             this node is down for the whole run\n"
	"      --from ID, --to ID    every report submitted at ID / routed to ID\n"
	"      --per-day N           reports per day, national (default 2000)\n"
	"      --peak X              simulate at X times the daily mean (default 10)\n"
	"      --rate R              or: R reports per second (overrides the two above)\n"
	"      --duration S          simulated seconds of submissions (default 3600)\n"
	"      --msg-us US           CPU per peer message at each end (default 250)\n"
	"      --verify-us US        CPU per entry stored (default 58)\n"
	"      --hop-ms MS           one-way latency per hop (default 20)\n"
	"      --cores N             cores per node (default 2)\n"
	"      --shared              all nodes share one machine of --cores cores\n"
	"      --interest sets|all|sets-up  which logs a node replicates: the sets\n"
	"                            without the routed-to institution's ancestors\n"
	"                            (simpuld before ec4eeb2), every log, or\n"
	"                            simpuld's interest sets (default)\n"
	"      --no-siblings         provinces without sessions to each other\n"
	"                            (simpuld with [peer] siblings = 0)\n"
	"      --no-backup           ministries and agencies without their backup\n"
	"                            province (simpuld with [peer] backup = 0)\n"
	"      --entries-per-report N entries a report's log trail has in all (default 5)\n"
	"      --catchup-rate N      entries/s one node ingests in a catch-up (default 31500)\n"
	"      --entry-bytes N       mean entry size (default 400)\n"
	"      --batch-bytes N       ENTRIES batch size (default 65536)\n"
	"      --mbps N              link bandwidth for catch-up (default 100)\n"
	"      --outages             also: catch-up after outages of a kabupaten/kota,\n"
	"                            a province and the national node (1 h, 1 day)\n"
	"      --every-down          instead: take every node down in turn and check\n"
	"                            that a complaint from every other node to every\n"
	"                            node arrives (exit 3 if one does not)\n"
	"      --seed N              random stream (default 1)\n"
	"  -h, --help                show this help\n";

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "simpul-sim: %s\n", why);
	fputs(usage_text, why ? stderr : stdout);
	return why ? 2 : 0;
}

static int num(const char *s, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return end != s && *end == '\0' && *v >= 0 ? 0 : -1;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"fed", 1, 0, 'f'},          {"wilayah", 1, 0, 'w'},   {"nodes", 1, 0, 'n'},
		{"down", 1, 0, 'D'},         {"per-day", 1, 0, 'd'},   {"peak", 1, 0, 'p'},
		{"rate", 1, 0, 'r'},         {"duration", 1, 0, 't'},  {"msg-us", 1, 0, 'm'},
		{"verify-us", 1, 0, 'v'},    {"hop-ms", 1, 0, 'H'},    {"cores", 1, 0, 'c'},
		{"shared", 0, 0, 'S'},       {"interest", 1, 0, 'i'},  {"entries-per-report", 1, 0, 'e'},
		{"catchup-rate", 1, 0, 'C'}, {"entry-bytes", 1, 0, 'b'}, {"batch-bytes", 1, 0, 'B'},
		{"mbps", 1, 0, 'M'},         {"outages", 0, 0, 'O'},   {"seed", 1, 0, 's'},
		{"from", 1, 0, 'F'},         {"to", 1, 0, 'T'},        {"no-siblings", 0, 0, 'N'},
		{"no-backup", 0, 0, 'K'},    {"every-down", 0, 0, 'E'}, {"help", 0, 0, 'h'},
		{0, 0, 0, 0}};
	*o = (struct opts){.per_day = 2000, .peak = 10, .duration = 3600,
			   .entries_per_report = 5, .catchup_rate = 31500, .entry_bytes = 400,
			   .batch_bytes = 65536, .mbps = 100, .seed = 1,
			   .c = {.msg_ms = 0.25, .verify_ms = 0.058, .hop_ms = 20, .cores = 2,
				  .interest = SP_SIM_SETS_UP}};
	double v = 0;
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "f:w:n:h", lo, NULL)) != -1) {
		const char *a = optarg;
		if (strchr("dprtmvHceCbBMs", ch) && num(a, &v) != 0)
			return usage("a number is expected");
		switch (ch) {
		case 'f': o->fed = a; break;
		case 'w': o->wilayah = a; break;
		case 'n': o->nodes = a; break;
		case 'D': o->down = a; break;
		case 'F': o->from = a; break;
		case 'T': o->to = a; break;
		case 'd': o->per_day = v; break;
		case 'p': o->peak = v; break;
		case 'r': o->rate = v; break;
		case 't': o->duration = v; break;
		case 'm': o->c.msg_ms = v / 1000; break;
		case 'v': o->c.verify_ms = v / 1000; break;
		case 'H': o->c.hop_ms = v; break;
		case 'c': o->c.cores = (unsigned)v; break;
		case 'S': o->c.shared = 1; break;
		case 'N': o->c.no_siblings = 1; break;
		case 'K': o->c.no_backup = 1; break;
		case 'E': o->every_down = 1; break;
		case 'i':
			if (strcmp(a, "all") == 0)
				o->c.interest = SP_SIM_ALL;
			else if (strcmp(a, "sets-up") == 0)
				o->c.interest = SP_SIM_SETS_UP;
			else if (strcmp(a, "sets") == 0)
				o->c.interest = SP_SIM_SETS;
			else
				return usage("--interest is sets, all or sets-up");
			break;
		case 'e': o->entries_per_report = v; break;
		case 'C': o->catchup_rate = v; break;
		case 'b': o->entry_bytes = v; break;
		case 'B': o->batch_bytes = v; break;
		case 'M': o->mbps = v; break;
		case 'O': o->outages = 1; break;
		case 's': o->seed = (uint64_t)v; break;
		case 'h': return usage(NULL) - 1;
		default: return usage("unknown option or missing value");
		}
	}
	if (optind != argc || o->fed == NULL)
		return usage("--fed DIR is required, and nothing else");
	if (o->c.cores == 0 || o->entry_bytes < 1 || o->catchup_rate <= 0 || o->mbps <= 0)
		return usage("--cores, --entry-bytes, --catchup-rate and --mbps must be positive");
	if (o->rate <= 0)
		o->rate = o->per_day * o->peak / 86400;
	return o->rate > 0 && o->duration > 0 ? 0 : usage("the load is zero");
}

/* load_ini reads DIR/federation.ini, generating DIR from --wilayah first
 * if there is none. *ini is the caller's (free). */
static int load_ini(const struct opts *o, char **ini)
{
	char path[SIM_PATH];
	snprintf(path, sizeof(path), "%s/federation.ini", o->fed);
	if (access(path, F_OK) != 0 && o->wilayah) {
		struct sp_fedgen_opts fo = {.wilayah = o->wilayah, .out = o->fed};
		struct sp_fedgen_result res;
		char why[SP_FEDGEN_WHY] = "";
		int rc = sp_fedgen_run(&fo, &res, why, sizeof(why));
		if (rc) {
			fprintf(stderr, "simpul-sim: generating %s: %s %s\n", o->fed, sp_strerror(rc), why);
			return rc;
		}
	}
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_file_read(path, 64u << 20, &b);
	sp_buf_put(&b, "", 1);
	if (rc || b.err) {
		fprintf(stderr, "simpul-sim: %s: %s\n", path, sp_strerror(rc ? rc : SP_ERR_NOMEM));
		sp_buf_free(&b);
		return rc ? rc : SP_ERR_NOMEM;
	}
	*ini = (char *)b.p;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* pct prints one line of percentiles of the n values in v (sorted here);
 * missing: reports that never arrived. */
static void pct(const char *name, double *v, size_t n, size_t missing)
{
	if (n == 0) {
		printf("%-22s none arrived (%zu never)\n", name, missing);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
#define Q(p) v[(size_t)ceil((p) * (double)n) > 0 ? (size_t)ceil((p) * (double)n) - 1 : 0]
	printf("%-22s n=%zu p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (never: %zu)\n", name,
	       n, Q(0.50), Q(0.90), Q(0.99), v[n - 1], missing);
#undef Q
}

/* The three arrivals measured, as bench_fed.sh measures them. */
struct arrivals {
	double *inst, *prov, *nat;
	size_t ni, np, nn, mi, mp, mn;
};

static void collect(const struct sp_sim *s, const struct sp_sim_report *r, size_t n,
		    struct arrivals *a)
{
	for (size_t i = 0; i < n; i++) {
		int t = r[i].target, p = s->n[t].province;
		if (s->n[t].down) /* its reports wait for it: see the catch-up */
			continue;
		double x = r[i].at[t];
		if (x >= 0)
			a->inst[a->ni++] = x;
		else
			a->mi++;
		if (p >= 0 && p != r[i].door) {
			if (r[i].at[p] >= 0)
				a->prov[a->np++] = r[i].at[p];
			else
				a->mp++;
		}
		if (s->coord >= 0 && s->coord != r[i].door) {
			if (r[i].at[s->coord] >= 0)
				a->nat[a->nn++] = r[i].at[s->coord];
			else
				a->mn++;
		}
	}
}

/* simulate draws n reports at `rate` and runs them; *out (n reports
 * and their at[] rows) is the caller's: free out[0].at and out. */
static int simulate(struct sp_sim *s, const struct opts *o, size_t n, struct sp_sim_report **out)
{
	int from = o->from ? sp_sim_find(s, o->from) : -1, to = o->to ? sp_sim_find(s, o->to) : -1;
	for (size_t k = 0; k < s->nn; k++) { /* idle machines, counters at zero */
		memset(s->n[k].core_free, 0, s->c.cores * sizeof(double));
		s->n[k].busy_ms = 0;
		s->n[k].msgs = s->n[k].entries = 0;
	}
	memset(s->shared_free, 0, s->c.cores * sizeof(double));
	struct sp_sim_report *r = calloc(n, sizeof(*r));
	double *at = r ? calloc(n * s->nn, sizeof(double)) : NULL;
	int rc = at ? 0 : SP_ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = sp_sim_pick(s, (double)i * 1000.0 / o->rate, &r[i]);
		r[i].door = from >= 0 ? from : r[i].door;
		r[i].target = to >= 0 ? to : r[i].target;
		r[i].at = at + i * s->nn;
	}
	if (rc == 0)
		rc = sp_sim_run(s, r, n);
	if (rc) {
		free(at);
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static const char *tier_text(enum sp_sim_tier t)
{
	static const char *const names[] = {"coordinator", "ministry", "agency", "province",
					    "kabkota", "unit"};
	return names[t];
}

static void print_topology(const struct sp_sim *s)
{
	size_t k[SP_SIM_UNIT + 1] = {0};
	for (size_t i = 0; i < s->nn; i++)
		k[s->n[i].tier]++;
	printf("topology: %zu nodes (%zu coordinator, %zu ministries, %zu agencies, %zu provinces, "
	       "%zu kab/kota), %zu sessions (%zu eager, %zu lazy)\n",
	       s->nn, k[0], k[1], k[2], k[3], k[4], s->sessions, s->eager_links,
	       s->sessions - s->eager_links);
	if (s->coord >= 0)
		printf("national node %s: %zu sessions\n", s->n[s->coord].id, s->n[s->coord].npeers);
	printf("sessions per node:");
	for (int t = SP_SIM_NATIONAL; t <= SP_SIM_UNIT; t++) {
		size_t lo = SIZE_MAX, hi = 0;
		for (size_t i = 0; i < s->nn; i++)
			if ((int)s->n[i].tier == t) {
				lo = s->n[i].npeers < lo ? s->n[i].npeers : lo;
				hi = s->n[i].npeers > hi ? s->n[i].npeers : hi;
			}
		if (hi > 0)
			printf(" %s %zu-%zu;", tier_text((enum sp_sim_tier)t), lo, hi);
	}
	printf("\n");
}

static void print_load(const struct sp_sim *s, const struct opts *o, size_t n, double span_ms)
{
	if (s->coord < 0)
		return;
	const struct sp_sim_node *c = &s->n[s->coord];
	double per = c->busy_ms / (double)n;
	printf("national node: %.0f messages, %.2f entries stored, %.2f ms CPU per report's "
	       "submission entry\n",
	       (double)c->msgs / (double)n, (double)c->entries / (double)n, per);
	double busy = c->busy_ms / span_ms / (o->c.shared ? 1 : o->c.cores);
	printf("national CPU at %.3f reports/s: %.2f%% of %u cores for submissions; with %.0f "
	       "entries per report, %.2f%%\n",
	       o->rate, 100 * busy, o->c.cores, o->entries_per_report,
	       100 * busy * o->entries_per_report);
}

/* print_catchup: how long node i takes to catch up after `secs` down. */
static void print_catchup(const struct sp_sim *s, const struct opts *o, int i, double frac,
			  double secs, const char *label)
{
	double mean_rate = o->per_day / 86400 * o->entries_per_report;
	double missed = mean_rate * secs * frac;
	double per_batch = floor(o->batch_bytes / o->entry_bytes);
	double batches = ceil(missed / (per_batch > 0 ? per_batch : 1));
	double t_ingest = missed / o->catchup_rate;
	double t_wire = missed * o->entry_bytes * 8 / (o->mbps * 1e6);
	double t_msgs = batches * 2 * o->c.msg_ms / 1000;
	double t_hello = (double)s->n[i].npeers * 4 * o->c.msg_ms / 1000 / o->c.cores +
			 4 * o->c.hop_ms / 1000;
	double t = t_hello + fmax(t_ingest, fmax(t_wire, t_msgs)) + 2 * o->c.hop_ms / 1000;
	printf("catch-up: %s %s down %s: %.0f entries missed, %.2f s (sessions %.2f, ingest %.2f, "
	       "wire %.2f, messages %.2f)\n",
	       tier_text(s->n[i].tier), s->n[i].id, label, missed, t, t_hello, t_ingest, t_wire,
	       t_msgs);
}

/* outage: catch-up of node id after 1 h and 1 day (from the share of
 * reports it replicates), and propagation while it is down. */
static int outage(struct sp_sim *s, const struct opts *o, const char *id, size_t n)
{
	int i = sp_sim_find(s, id);
	if (i < 0)
		return 0;
	struct sp_sim_report *r;
	int rc = simulate(s, o, n, &r);
	if (rc)
		return rc;
	size_t hold = 0;
	for (size_t k = 0; k < n; k++)
		hold += (size_t)sp_sim_interested(s, &r[k], i);
	free(r[0].at);
	free(r);
	double frac = (double)hold / (double)n;
	print_catchup(s, o, i, frac, 3600, "1 h");
	print_catchup(s, o, i, frac, 86400, "1 day");
	s->n[i].down = 1;
	rc = simulate(s, o, n, &r);
	if (rc) {
		s->n[i].down = 0;
		return rc;
	}
	struct arrivals a = {malloc(n * sizeof(double)), malloc(n * sizeof(double)),
			     malloc(n * sizeof(double)), 0, 0, 0, 0, 0, 0};
	if (a.inst && a.prov && a.nat) {
		collect(s, r, n, &a);
		printf("while %s is down, reports for other institutions:\n", id);
		pct("  institution", a.inst, a.ni, a.mi);
	}
	s->n[i].down = 0;
	free(a.inst);
	free(a.prov);
	free(a.nat);
	free(r[0].at);
	free(r);
	return a.inst && a.prov && a.nat ? 0 : SP_ERR_NOMEM;
}

/* first_of: the first node of `tier` (for the outage examples). */
static const char *first_of(const struct sp_sim *s, enum sp_sim_tier tier)
{
	for (size_t i = 0; i < s->nn; i++)
		if (s->n[i].tier == tier && (int)i != s->coord)
			return s->n[i].id;
	return "";
}

static int run(struct sp_sim *s, const struct opts *o)
{
	size_t n = (size_t)ceil(o->rate * o->duration);
	if (n == 0)
		n = 1;
	print_topology(s);
	printf("load: %.3f reports/s (%.0f/day x %.1f, or --rate), %zu reports over %.0f s; door "
	       "uniform over nodes up but the target, target uniform over kab/kota\n",
	       o->rate, o->per_day, o->peak, n, (double)n / o->rate);
	printf("costs: message %.0f us, entry %.0f us, hop %.1f ms, %u cores%s, interest %s\n",
	       o->c.msg_ms * 1000, o->c.verify_ms * 1000, o->c.hop_ms, o->c.cores,
	       o->c.shared ? " shared by all nodes" : " per node",
	       o->c.interest == SP_SIM_ALL ? "all" : o->c.interest == SP_SIM_SETS ? "sets" : "sets-up");
	struct sp_sim_report *r;
	int rc = simulate(s, o, n, &r);
	if (rc)
		return rc;
	struct arrivals a = {malloc(n * sizeof(double)), malloc(n * sizeof(double)),
			     malloc(n * sizeof(double)), 0, 0, 0, 0, 0, 0};
	if (a.inst && a.prov && a.nat) {
		collect(s, r, n, &a);
		printf("propagation from the submit's acknowledgement (door stored it) to:\n");
		pct("  (a) institution", a.inst, a.ni, a.mi);
		pct("  (b) its province", a.prov, a.np, a.mp);
		pct("  (c) national", a.nat, a.nn, a.mn);
		print_load(s, o, n, (double)n * 1000 / o->rate);
	} else {
		rc = SP_ERR_NOMEM;
	}
	free(a.inst);
	free(a.prov);
	free(a.nat);
	free(r[0].at);
	free(r);
	if (rc == 0 && o->outages) {
		const char *ids[] = {first_of(s, SP_SIM_KABKOTA), first_of(s, SP_SIM_PROVINCE),
				     s->coord >= 0 ? s->n[s->coord].id : ""};
		for (size_t k = 0; rc == 0 && k < 3; k++)
			rc = outage(s, o, ids[k], n);
	}
	return rc;
}

/* Lost complaints: how many, and the first few. */
struct lost_list {
	const struct sp_sim *s;
	uint64_t n;
};

static void print_lost(void *arg, int door, int target, int down)
{
	struct lost_list *l = arg;
	if (l->n++ < 20)
		printf("  lost: entered at %s for %s while %s is down\n", l->s->n[door].id,
		       l->s->n[target].id, l->s->n[down].id);
}

/* every_down: sp_sim_every_down, summed per tier of the node down; the
 * node down with the fewest delivered of each tier. Exit code 3 when a
 * complaint is lost. */
static int every_down(const struct sp_sim *s)
{
	struct sp_sim_down *d = calloc(s->nn + 1, sizeof(*d));
	struct lost_list l = {s, 0};
	if (d == NULL || sp_sim_every_down(s, d, print_lost, &l) != 0) {
		free(d);
		return SP_ERR_NOMEM;
	}
	struct sp_sim_down sum = {0};
	printf("every node down in turn: %zu runs; in each, a complaint entered at every node up "
	       "for every other node (%zu x %zu)\n", s->nn, s->nn - 1, s->nn - 1);
	for (int t = SP_SIM_NATIONAL; t <= SP_SIM_UNIT; t++) {
		struct sp_sim_down k = {0};
		size_t runs = 0;
		int worst = -1;
		for (size_t i = 0; i < s->nn; i++) {
			if ((int)s->n[i].tier != t)
				continue;
			runs++;
			k.complaints += d[i].complaints;
			k.delivered += d[i].delivered;
			k.waiting += d[i].waiting;
			k.lost += d[i].lost;
			if (worst < 0 || d[i].lost > d[worst].lost)
				worst = (int)i;
		}
		if (runs == 0)
			continue;
		printf("  %-11s down (%3zu runs): %llu complaints, %llu delivered, %llu waiting for the "
		       "node down (held by its peers), %llu lost; worst: %s down, %llu of %llu "
		       "delivered, %llu lost\n",
		       tier_text((enum sp_sim_tier)t), runs, (unsigned long long)k.complaints,
		       (unsigned long long)k.delivered, (unsigned long long)k.waiting,
		       (unsigned long long)k.lost, s->n[worst].id,
		       (unsigned long long)d[worst].delivered,
		       (unsigned long long)(d[worst].complaints - d[worst].waiting),
		       (unsigned long long)d[worst].lost);
		sum.complaints += k.complaints;
		sum.delivered += k.delivered;
		sum.waiting += k.waiting;
		sum.lost += k.lost;
	}
	printf("every node down: %llu complaints, %llu delivered, %llu waiting, %llu lost\n",
	       (unsigned long long)sum.complaints, (unsigned long long)sum.delivered,
	       (unsigned long long)sum.waiting, (unsigned long long)sum.lost);
	free(d);
	return sum.lost ? 3 : 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	char *ini = NULL;
	if (load_ini(&o, &ini) != 0)
		return 1;
	struct sp_sim s;
	char why[256] = "";
	rc = sp_sim_load(&s, ini, o.nodes, &o.c, o.seed, why, sizeof(why));
	free(ini);
	if (rc == 0 && ((o.from && sp_sim_find(&s, o.from) < 0) || (o.to && sp_sim_find(&s, o.to) < 0))) {
		rc = SP_ERR_CONFIG;
		snprintf(why, sizeof(why), "--from/--to: no such node");
	}
	if (rc == 0 && o.down) {
		int d = sp_sim_find(&s, o.down);
		if (d < 0)
			rc = SP_ERR_CONFIG;
		else
			s.n[d].down = 1;
		snprintf(why, sizeof(why), "--down %s: no such node", o.down);
	}
	if (rc == 0 && o.every_down) {
		print_topology(&s);
		rc = every_down(&s);
		if (rc == 3) {
			sp_sim_free(&s);
			return 3;
		}
	} else if (rc == 0) {
		rc = run(&s, &o);
	}
	if (rc)
		fprintf(stderr, "simpul-sim: %s %s\n", sp_strerror(rc), why);
	sp_sim_free(&s);
	return rc ? 1 : 0;
}

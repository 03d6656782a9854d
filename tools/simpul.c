/*
 * simpul.c - the simpul command-line tool: main, the command table, and
 * the small helpers every command uses (errors, numbers, hex).
 *
 * Commands are a table of subcommands, each in its own file; a group such
 * as `log` is a command whose run function dispatches on its own table, so
 * a new command is one table line and one function.
 */
#include "simpul.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_pool.h"

#ifndef SIMPUL_VERSION
#define SIMPUL_VERSION "unknown"
#endif

static const struct simpul_cmd top_cmds[] = {
	{"init", simpul_init_main, "set up a node folder: key, data folder, simpuld.ini"},
	{"keygen", simpul_keygen_main, "create a node key, or show a key's public parts"},
	{"log", simpul_log_main, "append to, verify and export signed logs"},
	{"demo", simpul_demo_main, "build, verify and export a demo complaint log"},
	{"federation", simpul_federation_main, "generate a federation: keys, directory, routing"},
	{"backup", simpul_backup_main, "copy a node's store consistently, hot while it runs"},
	{"submit", simpul_submit_main, "submit a complaint to a node"},
	{"track", simpul_track_main, "show a report's state and trail (and save its receipt)"},
	{"act", simpul_act_main, "sign and send an officer's or reporter's action"},
	{"open", simpul_open_main, "read a sealed report as an officer (signed request)"},
	{"query", simpul_query_main, "list reports by institution, status, region, time"},
	{"verify-receipt", simpul_verify_receipt_main, "check a report receipt offline"},
	{"fork", simpul_fork_main, "resolve a fork as the national coordinator"},
	{"officer", simpul_officer_main, "enrol, change, suspend, remove and list officers"},
	{"institution", simpul_institution_main, "add, update (rotate keys) and show institutions"},
	{"route", simpul_route_main, "set, delete and test routing rules"},
	{"policy", simpul_policy_main, "set deadline policy per category"},
	{"calendar", simpul_calendar_main, "publish and show a year's holiday calendar"},
	{"index", simpul_index_main, "rebuild or verify a stopped node's report index"},
	{"audit", simpul_audit_main, "audit handling across the federation from its signed logs"},
	{NULL, NULL, NULL},
};

int simpul_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", cmd);
	return SIMPUL_USAGE;
}

int simpul_bad_option(const char *cmd)
{
	fprintf(stderr, "Try '%s --help'.\n", cmd);
	return SIMPUL_USAGE;
}

int simpul_fail(int err, const char *fmt, ...)
{
	va_list ap;
	fputs("simpul: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", sp_strerror(err));
	return SIMPUL_FAIL;
}

int simpul_signing_key(const char *key, const char *pass, uint8_t pk[32], uint8_t sk[64])
{
	char why[SP_KEYFILE_WHY];
	if (sp_keyfile_open(key, pass, pk, sk, why, sizeof(why)) == 0)
		return SIMPUL_OK;
	fprintf(stderr, "simpul: %s\n", why); /* it names the file and what is wrong */
	return SIMPUL_FAIL;
}

int simpul_parse_u64(const char *s, uint64_t *v)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

int simpul_threads_arg(const char *cmd, const char *arg, uint64_t *out)
{
	if (simpul_parse_u64(arg, out) || *out == 0 || *out > 1024)
		return simpul_usage(cmd, "--threads wants 1..1024, not '%s'", arg);
	return 0;
}

int simpul_pool_start(uint64_t threads, struct sp_pool **pool)
{
	unsigned n = threads ? (unsigned)threads : sp_pool_cpus();
	int rc = sp_pool_create(n - 1, pool); /* the caller is a worker too */
	return rc ? simpul_fail(rc, "starting %u threads", n) : SIMPUL_OK;
}

void simpul_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int simpul_sibling(const char *name, char *out, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(out, '/');
	if (slash == NULL || (size_t)(slash - out) + strlen(name) + 2 >= cap)
		return SP_ERR_NOT_FOUND;
	strcpy(slash + 1, name);
	return 0;
}

static void print_commands(FILE *f, const char *group, const struct simpul_cmd *cmds)
{
	fprintf(f, "usage: %s <command> [options] [arguments]\n\ncommands:\n", group);
	for (const struct simpul_cmd *c = cmds; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f, "\nRun '%s <command> --help' for a command's options.\n", group);
}

int simpul_dispatch(const struct simpul_cmd *cmds, int argc, char **argv)
{
	const char *group = argv[0];
	if (argc < 2) {
		print_commands(stderr, group, cmds);
		return SIMPUL_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		print_commands(stdout, group, cmds);
		return SIMPUL_OK;
	}
	for (const struct simpul_cmd *c = cmds; c->name; c++) {
		if (strcmp(c->name, name) != 0)
			continue;
		char full[128];
		snprintf(full, sizeof(full), "%s %s", group, c->name);
		argv[1] = full; /* getopt and messages then name the whole command */
		return c->run(argc - 1, argv + 1);
	}
	if (name[0] == '-')
		return simpul_usage(group, "unknown option '%s'", name);
	return simpul_usage(group, "unknown command '%s'", name);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("simpul %s\n", SIMPUL_VERSION);
		return SIMPUL_OK;
	}
	char prog[] = "simpul"; /* not argv[0]: messages say "simpul", not a path */
	char *fallback[] = {prog, NULL};
	if (argc < 1) {
		argc = 1;
		argv = fallback;
	}
	argv[0] = prog;
	return simpul_dispatch(top_cmds, argc, argv);
}

/*
 * test_cli.c - the `simpul` command-line tool, end to end.
 *
 * Every test runs the real binary ($SP_BIN_DIR/simpul) in a child process
 * (posix_spawn, stdin from /dev/null, stdout and stderr to files) and
 * checks its exit code and output, and the files it leaves: help and usage
 * errors of every command, key files (mode, no overwrite, refusals), append
 * and verify of a store, the exported tlog-tiles (recomputed here from the
 * entry bundles: leaf hashes, hash tiles, checkpoint root and signature),
 * offline verification of tampered exports, and the demo run twice.
 *
 * The help texts must also appear verbatim in docs/cli.md, so the reference
 * cannot drift from the binary.
 */
#include "sp_testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_entry.h"
#include "sp_err.h"
#include "sp_merkle.h"
#include "sp_note.h"

extern char **environ;

#define ORIGIN "example.org/1"
#define DEMO_ORIGIN "demo.simpul.id/73.12"
#define RUN_TIMEOUT_S 120

static char g_bin[PATH_MAX]; /* the simpul binary */
static char g_tmp[PATH_MAX]; /* this process's scratch folder */
/* A store built once by the group setup (key seed 1, log ORIGIN): the
 * texts "first/second/third complaint", then 300 x "bulk complaint". Tests
 * that change a store work on a copy (copy_store). */
static char g_base[PATH_MAX], g_base_key[PATH_MAX];
static char g_hashes[3][65]; /* the entry hashes the first append printed */

/* fmt is snprintf that fails the test instead of truncating. */
__attribute__((format(printf, 3, 4))) static void fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, cap, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		fail_msg("text too long for its buffer: %s", buf);
}

/* ---- running simpul ------------------------------------------------------ */

struct run {
	int code; /* exit status, or 128 + signal */
	char *out, *err;
	size_t out_len, err_len;
};

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* spawn starts simpul with argv (argv[0] = "simpul", NULL-terminated), its
 * stdout and stderr going to files of the given slot. */
/* light_env is this process's environment with LeakSanitizer off, for
 * runs that stop at argument parsing: the leak check at exit is most of
 * the cost of such a run, and there is nothing for it to find. */
static char **light_env(void)
{
	static char **env;
	static char asan[512];
	if (env)
		return env;
	size_t n = 0;
	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	assert_non_null(env);
	const char *old = getenv("ASAN_OPTIONS");
	fmt(asan, sizeof(asan), "ASAN_OPTIONS=%s%sdetect_leaks=0", old ? old : "", old ? ":" : "");
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ASAN_OPTIONS=", 13) != 0)
			env[k++] = environ[i];
	env[k++] = asan;
	env[k] = NULL;
	return env;
}

static pid_t spawn(const char *const *argv, size_t slot, int light)
{
	char out_path[PATH_MAX], err_path[PATH_MAX];
	fmt(out_path, sizeof(out_path), "%s/.stdout.%zu", g_tmp, slot);
	fmt(err_path, sizeof(err_path), "%s/.stderr.%zu", g_tmp, slot);
	/* posix_spawn, not fork: no copy of this (sanitized) process per run */
	posix_spawn_file_actions_t fa;
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, out_path,
							  O_WRONLY | O_CREAT | O_TRUNC, 0600),
			 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, err_path,
							  O_WRONLY | O_CREAT | O_TRUNC, 0600),
			 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid;
	int rc = posix_spawn(&pid, g_bin, &fa, NULL, (char *const *)argv,
			     light ? light_env() : environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		fail_msg("cannot run %s: %s", g_bin, strerror(rc));
	return pid;
}

static void collect(struct run *r, size_t slot, int status)
{
	char path[PATH_MAX];
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fmt(path, sizeof(path), "%s/.stdout.%zu", g_tmp, slot);
	r->out = sp_test_slurp(path, &r->out_len);
	fmt(path, sizeof(path), "%s/.stderr.%zu", g_tmp, slot);
	r->err = sp_test_slurp(path, &r->err_len);
	assert_non_null(r->out);
	assert_non_null(r->err);
}

/* run_many runs n command lines at once (independent ones: the machine's
 * cores share the start-up cost of n sanitized processes) and waits for
 * all; rs[i] receives the outcome of argvs[i]. light: see light_env. */
static void run_many(struct run *rs, const char *const *const *argvs, size_t n, int light)
{
	pid_t *pids = calloc(n ? n : 1, sizeof(*pids));
	assert_non_null(pids);
	for (size_t i = 0; i < n; i++) {
		run_free(&rs[i]);
		pids[i] = spawn(argvs[i], i, light);
	}
	size_t left = n;
	struct timespec nap = {0, 2 * 1000 * 1000}, t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		for (size_t i = 0; i < n; i++) {
			int status;
			pid_t w = pids[i] ? waitpid(pids[i], &status, WNOHANG) : 0;
			if (w < 0 && errno != EINTR)
				fail_msg("waitpid: %s", strerror(errno));
			if (w != pids[i] || w == 0)
				continue;
			collect(&rs[i], i, status);
			pids[i] = 0;
			left--;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (left > 0 && now.tv_sec - t0.tv_sec > RUN_TIMEOUT_S) {
			for (size_t i = 0; i < n; i++)
				if (pids[i]) {
					kill(pids[i], SIGKILL);
					waitpid(pids[i], NULL, 0);
				}
			fail_msg("%zu simpul runs did not finish in %d s", left, RUN_TIMEOUT_S);
		}
		if (left > 0)
			nanosleep(&nap, NULL);
	}
	free(pids);
}

/* simpul_run runs one command line and waits. */
static void simpul_run(struct run *r, const char **argv)
{
	const char *const *one[1] = {argv};
	run_many(r, one, 1, 0);
}

/* A batch of command lines given as rows of up to 7 arguments. */
#define MAX_ARGS 14
typedef const char *args_row[MAX_ARGS];

/* run_rows runs rows[0..n) (each without "simpul") at once into rs. */
static void run_rows_opt(struct run *rs, const args_row *rows, size_t n, int light)
{
	const char *(*argvs)[MAX_ARGS + 2] = calloc(n, sizeof(*argvs));
	const char *const **ptrs = calloc(n, sizeof(*ptrs));
	assert_non_null(argvs);
	assert_non_null(ptrs);
	for (size_t i = 0; i < n; i++) {
		argvs[i][0] = "simpul";
		for (int k = 0; k < MAX_ARGS && rows[i][k]; k++)
			argvs[i][k + 1] = rows[i][k];
		ptrs[i] = argvs[i];
	}
	run_many(rs, ptrs, n, light);
	free(ptrs);
	free(argvs);
}

static void run_rows(struct run *rs, const args_row *rows, size_t n)
{
	run_rows_opt(rs, rows, n, 0);
}

/* SIMPUL(&r, "log", "verify", ...) runs simpul with those arguments. */
#define SIMPUL(r, ...) simpul_run((r), (const char *[]){"simpul", __VA_ARGS__, NULL})

#define EXPECT_EXIT(r, want)                                                                      \
	do {                                                                                      \
		if ((r)->code != (want))                                                          \
			fail_msg("exit %d, wanted %d\n--- stdout:\n%s--- stderr:\n%s", (r)->code, \
				 (want), (r)->out, (r)->err);                                     \
	} while (0)

#define EXPECT_IN(hay, needle)                                                                    \
	do {                                                                                      \
		const char *h_ = (hay), *n_ = (needle);                                           \
		if (strstr(h_, n_) == NULL)                                                       \
			fail_msg("'%s' not found in:\n%s", n_, h_);                               \
	} while (0)

#define EXPECT_NOT_IN(hay, needle)                                                                \
	do {                                                                                      \
		const char *h_ = (hay), *n_ = (needle);                                           \
		if (strstr(h_, n_) != NULL)                                                       \
			fail_msg("'%s' unexpectedly found in:\n%s", n_, h_);                      \
	} while (0)

/* ---- files and keys ---------------------------------------------------- */

/* tp writes "<scratch>/<rel>" into buf (PATH_MAX) and returns buf. */
static char *tp(char *buf, const char *rel)
{
	fmt(buf, PATH_MAX, "%s/%s", g_tmp, rel);
	return buf;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static off_t file_size(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		fail_msg("missing file %s", path);
	return st.st_size;
}

/* write_key writes a key file of exactly `text` with exactly `mode`. */
static void write_key_text(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* key_text is a valid key file for the seed of sp_test_keypair(seed_byte). */
static void key_text(uint8_t seed_byte, char out[128])
{
	uint8_t seed[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	memset(seed, seed_byte, sizeof(seed));
	sodium_bin2base64(b64, sizeof(b64), seed, sizeof(seed), sodium_base64_VARIANT_ORIGINAL);
	fmt(out, 128, "simpul-ed25519-private-key-v1\n%s\n", b64);
}

static void write_key(const char *path, uint8_t seed_byte)
{
	char text[128];
	key_text(seed_byte, text);
	write_key_text(path, text, 0600);
}

/* vkey_of formats the verifier key of sp_test_keypair(seed_byte) for name. */
static void vkey_of(uint8_t seed_byte, const char *name, char *out, size_t cap)
{
	uint8_t pk[32], sk[64];
	sp_test_keypair(seed_byte, pk, sk);
	struct sp_note_key k;
	assert_int_equal(sp_note_key_init(&k, name, SP_NOTE_TYPE_ED25519, pk), 0);
	struct sp_buf b;
	sp_buf_init(&b);
	sp_note_vkey_format(&k, &b);
	assert_int_equal(b.err, 0);
	fmt(out, cap, "%.*s", (int)b.len, (const char *)b.p);
	sp_buf_free(&b);
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* has_bytes says whether needle occurs in p[0..n). */
static int has_bytes(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return 1;
	return 0;
}

/* line_value finds "<prefix><value>\n" in text and copies value. */
static void line_value(const char *text, const char *prefix, char *out, size_t cap)
{
	const char *p = strstr(text, prefix);
	if (p == NULL)
		fail_msg("no line '%s' in:\n%s", prefix, text);
	p += strlen(prefix);
	size_t n = strcspn(p, "\n");
	assert_true(n < cap);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* ---- fixtures ------------------------------------------------------------ */

/* copy_store copies a closed store (RocksDB keeps it in one flat folder). */
static void copy_store(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	assert_non_null(d);
	assert_int_equal(mkdir(dst, 0700), 0);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char a[PATH_MAX], b[PATH_MAX];
		struct stat st;
		fmt(a, sizeof(a), "%s/%s", src, de->d_name);
		if (stat(a, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		fmt(b, sizeof(b), "%s/%s", dst, de->d_name);
		size_t n;
		char *p = sp_test_slurp(a, &n);
		assert_non_null(p);
		spit(b, p, n);
		free(p);
	}
	closedir(d);
}

/* make_base builds g_base (see above). */
static void make_base(void)
{
	struct run r = {0};
	write_key(tp(g_base_key, "base.key"), 1);
	SIMPUL(&r, "log", "append", "--data", tp(g_base, "base-data"), "--key", g_base_key,
	       "--origin", ORIGIN, "first complaint", "second complaint", "third complaint");
	EXPECT_EXIT(&r, 0);
	assert_string_equal(r.err, "");
	const char *line = r.out;
	for (int i = 0; i < 3; i++) {
		char prefix[8];
		fmt(prefix, sizeof(prefix), "%d ", i);
		assert_memory_equal(line, prefix, 2);
		assert_int_equal(strcspn(line + 2, "\n"), 64);
		memcpy(g_hashes[i], line + 2, 64);
		g_hashes[i][64] = '\0';
		line = strchr(line, '\n') + 1;
	}
	assert_string_equal(line, "");
	assert_string_not_equal(g_hashes[0], g_hashes[1]);
	SIMPUL(&r, "log", "append", "-d", g_base, "-k", g_base_key, "-o", ORIGIN, "--count", "300",
	       "--text", "bulk complaint");
	EXPECT_EXIT(&r, 0);
	EXPECT_IN(r.out, "appended 300 entries (index 3..302)");
	run_free(&r);
}

static int setup(void **state)
{
	(void)state;
	const char *dir = getenv("SP_BIN_DIR");
	if (dir == NULL || dir[0] == '\0') {
		fprintf(stderr, "SP_BIN_DIR is not set (run under ctest)\n");
		return -1;
	}
	fmt(g_bin, sizeof(g_bin), "%s/simpul", dir);
	if (access(g_bin, X_OK) != 0) {
		fprintf(stderr, "%s is not built\n", g_bin);
		return -1;
	}
	fmt(g_tmp, sizeof(g_tmp), "%s", sp_test_tmpdir("cli"));
	if (sodium_init() < 0)
		return -1;
	make_base();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sp_test_rmtree(g_tmp);
	return 0;
}

/* ---- help and usage -------------------------------------------------------- */

struct help_case {
	args_row argv;
	const char *first_line;
	const char *mentions[7];
	int in_docs; /* its text must be in docs/cli.md */
};

static const struct help_case help_cases[] = {
	{{"--help"},
	 "usage: simpul <command> [options] [arguments]\n",
	 {"\n  init ", "\n  keygen ", "\n  log ", "\n  demo ", "\n  federation "},
	 1},
	{{"-h"}, "usage: simpul <command> [options] [arguments]\n", {"keygen"}, 0},
	{{"help"}, "usage: simpul <command> [options] [arguments]\n", {"keygen"}, 0},
	{{"log", "--help"},
	 "usage: simpul log <command> [options] [arguments]\n",
	 {"append", "verify", "export"},
	 1},
	{{"log", "help"}, "usage: simpul log <command> [options] [arguments]\n", {"append"}, 0},
	{{"fork", "resolve", "--help"},
	 "usage: simpul fork resolve --node URL --key OFFICER.key [--passphrase-file PASS] --inst ID\n",
	 {"--inst ID", "--root BASE64", "--passphrase-file PASS"},
	 1},
	{{"officer", "--help"},
	 "usage: simpul officer enrol   --node URL --key ADMIN.key --inst ID --officer-key PUB\n",
	 {"role", "suspend|remove", "list", "simpul keygen --out FILE"},
	 1},
	{{"institution", "--help"},
	 "usage: simpul institution add    --node URL --key ADMIN.key --id ID --name NAME --tier TIER\n",
	 {"update", "show", "retire", "--sign-key HEX", "--seal-key HEX", "rotate"},
	 1},
	{{"route", "--help"},
	 "usage: simpul route set    --node URL --key ADMIN.key --rule ID --category CAT\n",
	 {"delete", "test", "--to INST"},
	 1},
	{{"policy", "--help"},
	 "usage: simpul policy set --node URL --key ADMIN.key [--category CAT] --verify N\n",
	 {"--answer N", "--window N", "--ceiling N"},
	 1},
	{{"calendar", "--help"},
	 "usage: simpul calendar publish YEAR FILE --node URL --key ADMIN.key\n",
	 {"show YEAR", "YYYY-MM-DD name"},
	 1},
	{{"index", "--help"},
	 "usage: simpul index rebuild|verify --config FILE\n",
	 {"rebuild:", "verify:", "--config FILE", "index-verify.tmp"},
	 1},
	{{"keygen", "--help"},
	 "usage: simpul keygen --out FILE [--name NAME]\n",
	 {"--out FILE", "--show FILE", "--name NAME", "--help", "'public-key <hex>'"},
	 1},
	{{"log", "append", "--help"},
	 "usage: simpul log append --data DIR --key FILE --origin ORIGIN [--type N] TEXT...\n",
	 {"--data DIR", "--key FILE", "--origin ORIGIN", "--type N", "--count N", "--text TEXT",
	  "--help"},
	 1},
	{{"log", "append", "-h"}, "usage: simpul log append --data DIR", {"--count"}, 0},
	{{"log", "verify", "--help"},
	 "usage: simpul log verify --data DIR [--origin ORIGIN] [--threads N]\n",
	 {"--data DIR", "--origin ORIGIN", "--tiles DIR", "--vkey KEY", "--threads N", "--help",
	  "Exit status: 0 when every log verifies, 1 when any fails, 2 on bad usage."},
	 1},
	{{"log", "export", "--help"},
	 "usage: simpul log export --data DIR [--origin ORIGIN] OUTDIR\n",
	 {"--data DIR", "--origin ORIGIN", "--help", "tile/entries/<N>[.p/<W>]"},
	 1},
	{{"demo", "--help"},
	 "usage: simpul demo [--dir DIR] [--entries N] [--wilayah FILE]\n",
	 {"--dir DIR", "--entries N", "--wilayah FILE", "--help", DEMO_ORIGIN},
	 1},
	{{"demo", "-h"}, "usage: simpul demo [--dir DIR]", {"--entries"}, 0},
	{{"init", "--help"},
	 "usage: simpul init --dir DIR --id ID --federation NAME [--http ADDR] [--root-key VKEY]\n",
	 {"--dir DIR", "--id ID", "--federation NAME", "--http ADDR", "--root-key VKEY", "--help"},
	 1},
	{{"federation", "--help"},
	 "usage: simpul federation <command> [options] [arguments]\n",
	 {"\n  init "},
	 1},
	{{"federation", "init", "--help"},
	 "usage: simpul federation init --wilayah FILE --out DIR [--name FEDERATION]\n",
	 {"--wilayah FILE", "--out DIR", "--name FEDERATION", "--subset CODE", "--port-base N",
	  "--help"},
	 1},
	{{"audit", "--help"},
	 "usage: simpul audit --root VKEY (--node URL | --tiles DIR)... [--state FILE]\n",
	 {"--root VKEY", "--node URL", "--tiles DIR", "--state FILE", "--html FILE", "--at MS",
	  "--chain N"},
	 1},
	/* --help wins over everything else on the line, and does nothing else */
	{{"log", "verify", "--data", "/nonexistent/store", "--help"},
	 "usage: simpul log verify",
	 {"--tiles"},
	 0},
};

#define N_HELP (sizeof(help_cases) / sizeof(help_cases[0]))

/* docs_path finds docs/cli.md next to this source file (whose path the
 * compiler gives in __FILE__); 0, or -1 if __FILE__ is not absolute. */
static int docs_path(char *out, size_t cap)
{
	const char *tail = strstr(__FILE__, "tests/system/test_cli.c");
	if (__FILE__[0] != '/' || tail == NULL)
		return -1;
	fmt(out, cap, "%.*sdocs/cli.md", (int)(tail - __FILE__), __FILE__);
	return 0;
}

/* Every command and subcommand: --help (and -h) exits 0 and prints usage
 * on stdout, nothing on stderr; the --help texts are in docs/cli.md. */
static void test_help(void **state)
{
	(void)state;
	struct run rs[N_HELP + 4];
	memset(rs, 0, sizeof(rs));
	args_row rows[N_HELP + 4];
	memset(rows, 0, sizeof(rows));
	for (size_t i = 0; i < N_HELP; i++)
		memcpy(rows[i], help_cases[i].argv, sizeof(args_row));
	char key[PATH_MAX];
	/* keygen --help with --out creates nothing */
	rows[N_HELP][0] = "keygen";
	rows[N_HELP][1] = "--out";
	rows[N_HELP][2] = tp(key, "help.key");
	rows[N_HELP][3] = "--help";
	rows[N_HELP + 1][0] = "--version";
	rows[N_HELP + 2][0] = "log"; /* no subcommand */
	/* rows[N_HELP + 3]: no command at all */
	run_rows_opt(rs, rows, N_HELP + 4, 1);

	char doc_file[PATH_MAX];
	char *doc = docs_path(doc_file, sizeof(doc_file)) == 0 ? sp_test_slurp(doc_file, NULL) : NULL;
	if (doc == NULL)
		fail_msg("cannot read docs/cli.md (%s)", doc_file);
	for (size_t i = 0; i < N_HELP; i++) {
		const struct help_case *c = &help_cases[i];
		struct run *r = &rs[i];
		EXPECT_EXIT(r, 0);
		assert_string_equal(r->err, "");
		if (strncmp(r->out, c->first_line, strlen(c->first_line)) != 0)
			fail_msg("simpul %s %s: output starts\n%.200s\nnot\n%s", c->argv[0],
				 c->argv[1] ? c->argv[1] : "", r->out, c->first_line);
		for (int k = 0; k < 7 && c->mentions[k]; k++)
			EXPECT_IN(r->out, c->mentions[k]);
		if (c->in_docs && strstr(doc, r->out) == NULL)
			fail_msg("docs/cli.md lacks the output of 'simpul %s %s %s', verbatim:\n%s",
				 c->argv[0], c->argv[1] ? c->argv[1] : "",
				 c->argv[2] ? c->argv[2] : "", r->out);
	}
	free(doc);

	EXPECT_EXIT(&rs[N_HELP], 0);
	EXPECT_IN(rs[N_HELP].out, "usage: simpul keygen");
	assert_false(exists(key));

	struct run *r = &rs[N_HELP + 1];
	EXPECT_EXIT(r, 0);
	assert_memory_equal(r->out, "simpul ", 7);
	assert_true(r->out[7] >= '0' && r->out[7] <= '9');
	assert_true(strchr(r->out + 7, '.') != NULL);

	/* a group without a command: its command list, on stderr, exit 2 */
	r = &rs[N_HELP + 2];
	EXPECT_EXIT(r, 2);
	assert_string_equal(r->out, "");
	EXPECT_IN(r->err, "usage: simpul log <command>");
	r = &rs[N_HELP + 3];
	EXPECT_EXIT(r, 2);
	assert_string_equal(r->out, "");
	EXPECT_IN(r->err, "usage: simpul <command>");
	for (size_t i = 0; i < N_HELP + 4; i++)
		run_free(&rs[i]);
}

struct usage_case {
	args_row argv;
	const char *err; /* expected on stderr */
	const char *try_cmd;
};

static const struct usage_case usage_cases[] = {
	{{"bogus"}, "simpul: unknown command 'bogus'", "simpul"},
	{{"--bogus"}, "simpul: unknown option '--bogus'", "simpul"},
	{{"log", "bogus"}, "simpul log: unknown command 'bogus'", "simpul log"},
	{{"keygen", "--no-such-option"}, "'--no-such-option'", "simpul keygen"},
	{{"log", "append", "--no-such-option"}, "'--no-such-option'", "simpul log append"},
	{{"log", "verify", "--no-such-option"}, "'--no-such-option'", "simpul log verify"},
	{{"log", "export", "--no-such-option"}, "'--no-such-option'", "simpul log export"},
	{{"demo", "--no-such-option"}, "'--no-such-option'", "simpul demo"},
	{{"keygen"}, "give exactly one of --out FILE and --show FILE", "simpul keygen"},
	{{"keygen", "--out"}, "'--out'", "simpul keygen"},
	{{"keygen", "--show", "a", "extra"}, "unexpected argument 'extra'", "simpul keygen"},
	{{"log", "append", "x"}, "--data, --key and --origin are required", "simpul log append"},
	{{"log", "verify"}, "give exactly one of --data DIR and --tiles DIR", "simpul log verify"},
	{{"log", "verify", "--tiles", "t"}, "--tiles needs --vkey", "simpul log verify"},
	{{"log", "verify", "--data", "d", "--vkey", "k"}, "--vkey goes with --tiles",
	 "simpul log verify"},
	{{"log", "verify", "--data", "d", "--threads", "0"}, "--threads wants 1..1024, not '0'",
	 "simpul log verify"},
	{{"log", "export", "o"}, "--data DIR is required", "simpul log export"},
	{{"log", "export", "--data", "d"}, "give exactly one OUTDIR", "simpul log export"},
	{{"demo", "--entries", "many"}, "--entries wants 0..100000000, not 'many'", "simpul demo"},
	{{"init", "--no-such-option"}, "'--no-such-option'", "simpul init"},
	{{"init", "--dir", "@NEWDIR", "--id", "73.12"}, "--dir, --id and --federation are required",
	 "simpul init"},
	{{"init", "-d", "@NEWDIR", "-i", "bad id", "-f", "lapor.go.id"}, "--id 'bad id': use 1 to 32",
	 "simpul init"},
	{{"init", "-d", "@NEWDIR", "-i", "73.12", "-f", "lapor.go.id", "--http", "nope"},
	 "--http 'nope' is not HOST:PORT", "simpul init"},
	{{"federation", "bogus"}, "simpul federation: unknown command 'bogus'", "simpul federation"},
	{{"federation", "init", "--no-such-option"}, "'--no-such-option'", "simpul federation init"},
	{{"federation", "init", "--out", "@NEWDIR"}, "--wilayah FILE and --out DIR are required",
	 "simpul federation init"},
	{{"federation", "init", "-w", "x.csv", "-o", "@NEWDIR", "--port-base", "0"},
	 "--port-base '0' is not a port", "simpul federation init"},
	/* bad usage does nothing: checked below, no store and no key appear */
	{{"log", "append", "--data", "@DATA", "--key", "@KEY", "--origin", ORIGIN},
	 "nothing to append: give at least one TEXT",
	 "simpul log append"},
	{{"log", "append", "--data", "@DATA", "--key", "@KEY", "--origin", ORIGIN, "--count", "5"},
	 "--count and --text go together",
	 "simpul log append"},
	{{"log", "append", "-d", "@DATA", "-k", "@KEY", "-o", ORIGIN, "-c", "1", "-x", "t", "u"},
	 "give TEXT arguments or --count/--text, not both",
	 "simpul log append"},
	{{"log", "append", "-d", "@DATA", "-k", "@KEY", "-o", ORIGIN, "--type", "-1", "x"},
	 "--type wants a number, not '-1'",
	 "simpul log append"},
	{{"keygen", "--out", "@NEWKEY", "--name", "two words"},
	 "--name 'two words' is not a valid key name",
	 "simpul keygen"},
};

#define N_USAGE (sizeof(usage_cases) / sizeof(usage_cases[0]))

/* Unknown commands and options, and bad command lines: exit 2, a message
 * and a pointer to --help on stderr, nothing on stdout, nothing done. */
static void test_usage_errors(void **state)
{
	(void)state;
	char data[PATH_MAX], key[PATH_MAX], newkey[PATH_MAX], newdir[PATH_MAX];
	write_key(tp(key, "usage.key"), 1);
	tp(data, "usage-data");
	tp(newkey, "usage-new.key");
	tp(newdir, "usage-dir");
	struct run rs[N_USAGE];
	memset(rs, 0, sizeof(rs));
	args_row rows[N_USAGE];
	memset(rows, 0, sizeof(rows));
	for (size_t i = 0; i < N_USAGE; i++)
		for (int k = 0; k < MAX_ARGS && usage_cases[i].argv[k]; k++) {
			const char *a = usage_cases[i].argv[k];
			rows[i][k] = strcmp(a, "@DATA") == 0	? data
				     : strcmp(a, "@KEY") == 0	? key
				     : strcmp(a, "@NEWKEY") == 0 ? newkey
				     : strcmp(a, "@NEWDIR") == 0 ? newdir
								 : a;
		}
	run_rows_opt(rs, rows, N_USAGE, 1);

	for (size_t i = 0; i < N_USAGE; i++) {
		const struct usage_case *c = &usage_cases[i];
		struct run *r = &rs[i];
		EXPECT_EXIT(r, 2);
		assert_string_equal(r->out, "");
		EXPECT_IN(r->err, c->err);
		char try[128];
		fmt(try, sizeof(try), "Try '%s --help'.\n", c->try_cmd);
		EXPECT_IN(r->err, try);
	}

	assert_false(exists(data));
	/* a bad key name creates no key file (it used to, then exit 1) */
	assert_false(exists(newkey));
	assert_false(exists(newdir));
	for (size_t i = 0; i < N_USAGE; i++)
		run_free(&rs[i]);
}

/* ---- keys ------------------------------------------------------------------ */

static void test_keygen(void **state)
{
	(void)state;
	struct run r = {0};
	char key[PATH_MAX], want[512];
	SIMPUL(&r, "keygen", "--out", tp(key, "node.key"), "--name", ORIGIN);
	EXPECT_EXIT(&r, 0);
	assert_string_equal(r.err, "");

	/* 0600, two lines: the magic and 44 characters of base64 */
	struct stat st;
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	size_t n;
	char *text = sp_test_slurp(key, &n);
	assert_int_equal(n, 30 + 45);
	assert_memory_equal(text, "simpul-ed25519-private-key-v1\n", 30);
	assert_int_equal(text[n - 1], '\n');

	/* stdout: wrote, public-key, vkey; the vkey matches the public key */
	char pk_hex[128], vkey[512];
	fmt(want, sizeof(want), "wrote %s\npublic-key ", key);
	assert_memory_equal(r.out, want, strlen(want));
	line_value(r.out, "public-key ", pk_hex, sizeof(pk_hex));
	line_value(r.out, "vkey ", vkey, sizeof(vkey));
	assert_int_equal(strlen(pk_hex), 64);
	struct sp_note_key k;
	assert_int_equal(sp_note_vkey_parse(vkey, &k), 0);
	assert_string_equal(k.name, ORIGIN);
	char k_hex[65];
	hex_of(k.pk, 32, k_hex);
	assert_string_equal(k_hex, pk_hex);
	char *first_out = strdup(r.out);

	/* a key file of a known seed, to check the derivation */
	char fixed[PATH_MAX], key2[PATH_MAX], vk[512];
	write_key(tp(fixed, "fixed.key"), 7);
	struct run rs[5];
	memset(rs, 0, sizeof(rs));
	const args_row rows[5] = {
		{"keygen", "--out", key},                 /* never overwritten */
		{"keygen", "--show", key, "--name", ORIGIN}, /* the same public parts */
		{"keygen", "-s", key},
		{"keygen", "-o", tp(key2, "node2.key")}, /* a different key */
		{"keygen", "--show", fixed, "--name", "lapor.go.id/73.12"},
	};
	run_rows(rs, rows, 5);

	EXPECT_EXIT(&rs[0], 1);
	assert_string_equal(rs[0].out, "");
	EXPECT_IN(rs[0].err, "already exists; not overwriting it");
	size_t n2;
	char *text2 = sp_test_slurp(key, &n2);
	assert_int_equal(n2, n);
	assert_memory_equal(text2, text, n);
	free(text2);

	EXPECT_EXIT(&rs[1], 0);
	assert_string_equal(rs[1].out, strchr(first_out, '\n') + 1);
	EXPECT_EXIT(&rs[2], 0);
	fmt(want, sizeof(want), "public-key %s\n", pk_hex);
	assert_string_equal(rs[2].out, want);

	EXPECT_EXIT(&rs[3], 0);
	EXPECT_IN(rs[3].out, "public-key ");
	EXPECT_NOT_IN(rs[3].out, pk_hex);
	assert_true(exists(key2));

	uint8_t pk[32], sk[64];
	sp_test_keypair(7, pk, sk);
	hex_of(pk, 32, k_hex);
	vkey_of(7, "lapor.go.id/73.12", vk, sizeof(vk));
	EXPECT_EXIT(&rs[4], 0);
	fmt(want, sizeof(want), "public-key %s\nvkey %s\n", k_hex, vk);
	assert_string_equal(rs[4].out, want);

	free(text);
	free(first_out);
	for (int i = 0; i < 5; i++)
		run_free(&rs[i]);
	run_free(&r);
}

/* A signing key protected by a passphrase (keygen --passphrase-file): made
 * new or from a plain key, opened only with the right passphrase, refused
 * by the commands that take plain key files, and damaged or out-of-limits
 * files refused. The browser test opens the same files in chromium. */
static void test_keygen_protected(void **state)
{
	(void)state;
	char plain[PATH_MAX], prot[PATH_MAX], prot2[PATH_MAX], pass[PATH_MAX], bad[PATH_MAX],
		shortp[PATH_MAX], want[256], k_hex[65];
	write_key(tp(plain, "plain7.key"), 7);
	write_key_text(tp(pass, "pass"), "kata sandi yang panjang\n", 0600);
	write_key_text(tp(bad, "bad"), "kata sandi yang lain\n", 0600);
	write_key_text(tp(shortp, "short"), "pendek\n", 0600);
	uint8_t pk[32], sk[64];
	sp_test_keypair(7, pk, sk);
	hex_of(pk, 32, k_hex);

	struct run r = {0};
	SIMPUL(&r, "keygen", "--passphrase-file", pass, "--out", tp(prot, "prot7.key"), "--from",
	       plain);
	EXPECT_EXIT(&r, 0);
	fmt(want, sizeof(want), "wrote %s (protected by the passphrase)\npublic-key %s\n", prot, k_hex);
	assert_string_equal(r.out, want);
	run_free(&r);
	struct stat st;
	assert_int_equal(stat(prot, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	size_t n;
	char *text = sp_test_slurp(prot, &n);
	assert_int_equal(n, 32 + 129);
	assert_memory_equal(text, "simpul-ed25519-protected-key-v1\n", 32);
	assert_null(strstr(text, "BwcHBwcH")); /* the seed (7s) is not in clear */

	SIMPUL(&r, "keygen", "--show", prot, "--passphrase-file", pass);
	EXPECT_EXIT(&r, 0);
	fmt(want, sizeof(want), "public-key %s\n", k_hex);
	assert_string_equal(r.out, want);
	run_free(&r);

	SIMPUL(&r, "keygen", "--show", prot, "--passphrase-file", bad);
	EXPECT_EXIT(&r, 1);
	assert_string_equal(r.out, "");
	EXPECT_IN(r.err, "wrong passphrase");
	run_free(&r);

	SIMPUL(&r, "keygen", "--show", prot); /* a plain-key command */
	EXPECT_EXIT(&r, 1);
	EXPECT_IN(r.err, "is protected by a passphrase");
	run_free(&r);

	/* a passphrase under 8 bytes creates nothing */
	SIMPUL(&r, "keygen", "--passphrase-file", shortp, "--out", tp(prot2, "short.key"));
	EXPECT_EXIT(&r, 1);
	EXPECT_IN(r.err, "at least 8 bytes");
	assert_false(exists(prot2));
	run_free(&r);

	/* a new protected key opens to the public key it printed */
	SIMPUL(&r, "keygen", "--passphrase-file", pass, "--out", tp(prot2, "new.key"));
	EXPECT_EXIT(&r, 0);
	char printed[128];
	line_value(r.out, "public-key ", printed, sizeof(printed));
	run_free(&r);
	SIMPUL(&r, "keygen", "--show", prot2, "--passphrase-file", pass);
	EXPECT_EXIT(&r, 0);
	fmt(want, sizeof(want), "public-key %s\n", printed);
	assert_string_equal(r.out, want);
	run_free(&r);

	/* a damaged box, then limits over the maximum (8 passes): refused */
	char *dam = strdup(text);
	dam[32 + 120] = dam[32 + 120] == 'A' ? 'B' : 'A';
	write_key_text(prot2, dam, 0600);
	SIMPUL(&r, "keygen", "--show", prot2, "--passphrase-file", pass);
	EXPECT_EXIT(&r, 1);
	EXPECT_IN(r.err, "wrong passphrase, or the protected key file is damaged");
	run_free(&r);
	memcpy(dam + 32, "AAAAZA", 6); /* opslimit 100 */
	write_key_text(prot2, dam, 0600);
	SIMPUL(&r, "keygen", "--show", prot2, "--passphrase-file", pass);
	EXPECT_EXIT(&r, 1);
	EXPECT_IN(r.err, "Argon2id limits outside");
	run_free(&r);

	SIMPUL(&r, "keygen", "--seal", "--out", tp(prot2, "x.seal"), "--passphrase-file", pass);
	EXPECT_EXIT(&r, 2);
	EXPECT_IN(r.err, "for signing keys");
	run_free(&r);
	free(dam);
	free(text);
}

/* Key files that group or others may read, or that are not exactly a key
 * file, are refused, by keygen --show and by log append. */
static void test_key_refusals(void **state)
{
	(void)state;
	char good[128];
	key_text(3, good);
	/* text and mode of each key file, and what loading it says */
	struct {
		char text[160];
		mode_t mode;
		const char *err;
	} k[12];
	size_t n = 0;
	static const mode_t open_modes[] = {0644, 0640, 0604, 0660};
	for (size_t i = 0; i < 4; i++, n++) {
		fmt(k[n].text, sizeof(k[n].text), "%s", good);
		k[n].mode = open_modes[i];
		k[n].err = "is accessible by group or others";
	}
	for (size_t i = 0; i < 6; i++, n++) {
		k[n].mode = 0600;
		k[n].err = "is not a simpul key file";
	}
	fmt(k[4].text, sizeof(k[4].text), "%s", "");
	fmt(k[5].text, sizeof(k[5].text), "simpul-ed25519-private-key-v2%s", good + 29);
	fmt(k[6].text, sizeof(k[6].text), "%.*s", (int)strlen(good) - 1, good); /* no newline */
	fmt(k[7].text, sizeof(k[7].text), "%s\n", good);                        /* extra line */
	fmt(k[8].text, sizeof(k[8].text), "%s", good);
	k[8].text[35] = '!'; /* not base64 */
	fmt(k[9].text, sizeof(k[9].text), "%s", good);
	k[9].text[30 + 43] = 'A'; /* the padding '=' replaced: 33 bytes, not 32 */
	/* the good text at 0600 and 0400 is fine */
	for (size_t i = 0; i < 2; i++, n++) {
		fmt(k[n].text, sizeof(k[n].text), "%s", good);
		k[n].mode = i ? 0400 : 0600;
		k[n].err = NULL;
	}

	char paths[12][PATH_MAX], data[2][PATH_MAX], missing[PATH_MAX];
	struct run rs[17];
	memset(rs, 0, sizeof(rs));
	args_row rows[17];
	memset(rows, 0, sizeof(rows));
	for (size_t i = 0; i < n; i++) {
		char rel[32];
		fmt(rel, sizeof(rel), "refuse%zu.key", i);
		write_key_text(tp(paths[i], rel), k[i].text, k[i].mode);
		rows[i][0] = "keygen";
		rows[i][1] = "--show";
		rows[i][2] = paths[i];
	}
	/* log append refuses them too, before creating anything */
	const args_row more[5] = {
		{"log", "append", "--data", tp(data[0], "refused-data0"), "--key", paths[0],
		 "--origin", ORIGIN, "x"},
		{"log", "append", "--data", tp(data[1], "refused-data1"), "--key", paths[8],
		 "--origin", ORIGIN, "x"},
		{"keygen", "--show", tp(missing, "missing.key")},
		{"keygen", "--show", g_tmp},
		{"keygen", "--out", paths[10]},
	};
	memcpy(rows[n], more, sizeof(more));
	/* keygen stops at the key file: no leak check needed (light_env) */
	run_rows_opt(rs, rows, n, 1);
	run_rows(rs + n, rows + n, 5);

	for (size_t i = 0; i < n; i++) {
		struct run *r = &rs[i];
		if (k[i].err == NULL) {
			EXPECT_EXIT(r, 0);
			EXPECT_IN(r->out, "public-key ");
			continue;
		}
		if (r->code != 1 || strstr(r->err, k[i].err) == NULL || r->out[0])
			fail_msg("key file %zu (mode %04o): exit %d, wanted 1 and '%s'\n--- stdout:\n"
				 "%s--- stderr:\n%s",
				 i, (unsigned)k[i].mode, r->code, k[i].err, r->out, r->err);
		if (k[i].mode != 0600)
			EXPECT_IN(r->err, "chmod 600");
	}
	EXPECT_EXIT(&rs[n], 1);
	EXPECT_IN(rs[n].err, "chmod 600");
	assert_false(exists(data[0]));
	EXPECT_EXIT(&rs[n + 1], 1);
	EXPECT_IN(rs[n + 1].err, "is not a simpul key file");
	assert_false(exists(data[1]));
	EXPECT_EXIT(&rs[n + 2], 1);
	EXPECT_IN(rs[n + 2].err, "cannot open key file");
	EXPECT_EXIT(&rs[n + 3], 1);
	EXPECT_IN(rs[n + 3].err, "not a regular file");
	/* --out never replaces a key, good or bad */
	EXPECT_EXIT(&rs[n + 4], 1);
	EXPECT_IN(rs[n + 4].err, "already exists");
	for (size_t i = 0; i < n + 5; i++)
		run_free(&rs[i]);
}

/* ---- append, verify ------------------------------------------------------------ */

static void test_append_verify(void **state)
{
	(void)state;
	char data[PATH_MAX], other[PATH_MAX], none[PATH_MAX], none_out[PATH_MAX], empty[PATH_MAX];
	copy_store(g_base, tp(data, "av-data"));
	assert_int_equal(mkdir(tp(empty, "empty-folder"), 0700), 0);
	write_key(tp(other, "av-other.key"), 2);
	tp(none, "no-store");
	tp(none_out, "no-store-out");

	struct run rs[7];
	memset(rs, 0, sizeof(rs));
	const args_row rows[7] = {
		{"log", "verify", "--data", data},
		{"log", "verify", "-d", data, "--origin", ORIGIN, "-j", "1"},
		{"log", "verify", "--data", data, "--origin", "other.org/9"},
		{"log", "verify", "--data", none},
		{"log", "export", "--data", none, none_out},
		{"log", "verify", "--data", empty},
		/* another key cannot append to this log */
		{"log", "append", "--data", data, "--key", other, "--origin", ORIGIN, "x"},
	};
	/* the append opens the store for writing: after the readers */
	run_rows(rs, rows, 6);
	run_rows(rs + 6, rows + 6, 1);

	struct run *r = &rs[0];
	EXPECT_EXIT(r, 0);
	assert_string_equal(r->err, "");
	EXPECT_IN(r->out, ORIGIN ": OK\n");
	EXPECT_IN(r->out, "  entries     303 verified");
	EXPECT_IN(r->out, "  checkpoint  size 303, signature OK, root matches, 0 cosignatures\n");
	EXPECT_IN(r->out, "  forks       0\n");
	EXPECT_NOT_IN(r->out, "FAIL");
	r = &rs[1];
	EXPECT_EXIT(r, 0);
	EXPECT_IN(r->out, ORIGIN ": OK\n  entries     303 verified");
	r = &rs[2];
	EXPECT_EXIT(r, 1);
	EXPECT_IN(r->err, "log other.org/9 in");
	/* no store: nothing is created (RocksDB used to create the folder) */
	char want[PATH_MAX + 64];
	fmt(want, sizeof(want), "simpul: opening store %s (no such folder): no such item\n", none);
	EXPECT_EXIT(&rs[3], 1);
	assert_string_equal(rs[3].out, "");
	assert_string_equal(rs[3].err, want);
	EXPECT_EXIT(&rs[4], 1);
	assert_string_equal(rs[4].err, want);
	assert_false(exists(none));
	assert_false(exists(none_out));
	EXPECT_EXIT(&rs[5], 1);
	EXPECT_IN(rs[5].err, "(is it a simpul store?)");
	r = &rs[6];
	EXPECT_EXIT(r, 1);
	assert_string_equal(r->out, "");
	EXPECT_IN(r->err, "belongs to another key or origin");

	/* An entry the store refuses stops the append; the TEXTs after it
	 * are reported as not appended (they used to print as "0 000..."). */
	char *big = malloc(70001);
	assert_non_null(big);
	memset(big, 'a', 70000);
	big[70000] = '\0';
	r = &rs[0];
	SIMPUL(r, "log", "append", "--data", data, "--key", g_base_key, "--origin", ORIGIN,
	       "--type", "7", "fourth", big, "fifth");
	free(big);
	EXPECT_EXIT(r, 1);
	assert_memory_equal(r->out, "303 ", 4);
	const char *rest = strchr(r->out, '\n');
	assert_non_null(rest);
	assert_int_equal(rest - r->out, 4 + 64);
	assert_string_equal(rest, "\n- failed: entry over 65,535 bytes\n"
				  "- not appended: an earlier entry failed\n");
	EXPECT_IN(r->err, "simpul: appending to " ORIGIN ": entry over 65,535 bytes\n");

	SIMPUL(r, "log", "verify", "--data", data);
	EXPECT_EXIT(r, 0);
	EXPECT_IN(r->out, "  entries     304 verified");
	EXPECT_IN(r->out, "  checkpoint  size 304, signature OK, root matches");
	for (int i = 0; i < 7; i++)
		run_free(&rs[i]);
}

/* ---- export ------------------------------------------------------------------ */

/* A bundle: 2-byte big-endian length, then the entry, repeated. */
static size_t bundle_entries(const uint8_t *p, size_t n, const uint8_t **e, size_t *len,
			     size_t max)
{
	size_t k = 0, off = 0;
	while (off < n) {
		assert_true(off + 2 <= n);
		size_t l = (size_t)p[off] << 8 | p[off + 1];
		assert_true(off + 2 + l <= n);
		assert_true(k < max);
		e[k] = p + off + 2;
		len[k] = l;
		k++;
		off += 2 + l;
	}
	return k;
}

static void test_export(void **state)
{
	(void)state;
	struct run r = {0}, rs[2];
	memset(rs, 0, sizeof(rs));
	char data[PATH_MAX], out[PATH_MAX], path[PATH_MAX + 64];
	copy_store(g_base, tp(data, "ex-data"));
	const args_row rows[2] = {
		{"log", "verify", "--data", data},
		{"log", "export", "--data", data, tp(out, "ex-tiles")},
	};
	run_rows(rs, rows, 2);
	EXPECT_EXIT(&rs[0], 0);
	char store_root[64];
	line_value(rs[0].out, "  root        ", store_root, sizeof(store_root));
	EXPECT_EXIT(&rs[1], 0);
	assert_string_equal(rs[1].err, "");

	/* exactly these files, of these sizes */
	static const char *const files[] = {"checkpoint",        "tile/entries/000",
					    "tile/entries/001.p/47", "tile/0/000",
					    "tile/0/001.p/47",   "tile/1/000.p/1"};
	off_t sizes[6], total = 0;
	for (int i = 0; i < 6; i++) {
		fmt(path, sizeof(path), "%s/%s", out, files[i]);
		sizes[i] = file_size(path);
		total += sizes[i];
	}
	assert_int_equal(sizes[3], 256 * 32);
	assert_int_equal(sizes[4], 47 * 32);
	assert_int_equal(sizes[5], 32);
	char want[PATH_MAX + 128];
	fmt(want, sizeof(want),
		 "exported 303 entries to %s: checkpoint, 3 hash tiles, 2 entry bundles, %lld "
		 "bytes\n",
		 out, (long long)total);
	assert_string_equal(rs[1].out, want);
	fmt(path, sizeof(path), "%s/tile/2", out);
	assert_false(exists(path));
	fmt(path, sizeof(path), "%s/tile/entries/001", out);
	assert_false(exists(path));

	/* the checkpoint: signed by the log key, size 303 */
	size_t cp_len;
	fmt(path, sizeof(path), "%s/checkpoint", out);
	char *cp = sp_test_slurp(path, &cp_len);
	assert_memory_equal(cp, ORIGIN "\n303\n", strlen(ORIGIN "\n303\n"));
	char vk[512];
	vkey_of(1, ORIGIN, vk, sizeof(vk));
	struct sp_note_key nk;
	assert_int_equal(sp_note_vkey_parse(vk, &nk), 0);
	struct sp_checkpoint c;
	assert_int_equal(sp_checkpoint_open(cp, cp_len, &nk, &c), 0);
	assert_string_equal(c.origin, ORIGIN);
	assert_int_equal(c.size, 303);

	/* the bundles: 256 + 47 valid entries of the log, in order */
	static const uint8_t *ents[303];
	static size_t lens[303];
	size_t b0_len, b1_len;
	fmt(path, sizeof(path), "%s/tile/entries/000", out);
	uint8_t *b0 = (uint8_t *)sp_test_slurp(path, &b0_len);
	fmt(path, sizeof(path), "%s/tile/entries/001.p/47", out);
	uint8_t *b1 = (uint8_t *)sp_test_slurp(path, &b1_len);
	assert_int_equal(bundle_entries(b0, b0_len, ents, lens, 256), 256);
	assert_int_equal(bundle_entries(b1, b1_len, ents + 256, lens + 256, 47), 47);

	uint8_t pk[32], sk[64];
	sp_test_keypair(1, pk, sk);
	sp_hash *leaves = calloc(303, sizeof(sp_hash));
	assert_non_null(leaves);
	struct sp_merkle_frontier all, first;
	sp_merkle_frontier_init(&all);
	sp_merkle_frontier_init(&first);
	for (size_t i = 0; i < 303; i++) {
		struct sp_entry e;
		assert_int_equal(sp_entry_open(ents[i], lens[i], &e), 0);
		assert_int_equal(e.index, i);
		assert_memory_equal(e.author, pk, 32);
		sp_merkle_leaf_hash(ents[i], lens[i], leaves[i]);
		sp_merkle_frontier_append(&all, leaves[i]);
		if (i < 256)
			sp_merkle_frontier_append(&first, leaves[i]);
		if (i < 3) { /* the hashes `log append` printed */
			uint8_t h[32];
			char hex[65];
			sp_entry_hash(ents[i], lens[i], h);
			hex_of(h, 32, hex);
			assert_string_equal(hex, g_hashes[i]);
		}
	}
	/* entry 0's body is {0: "first complaint"} */
	struct sp_entry e0;
	assert_int_equal(sp_entry_decode(ents[0], lens[0], &e0), 0);
	assert_int_equal(e0.body_len, 3 + 15);
	assert_memory_equal(e0.body, "\xa1\x00\x6f" "first complaint", 18);

	/* the hash tiles hold the leaf hashes and the level-1 node */
	size_t n;
	fmt(path, sizeof(path), "%s/tile/0/000", out);
	uint8_t *t = (uint8_t *)sp_test_slurp(path, &n);
	assert_memory_equal(t, leaves, 256 * 32);
	free(t);
	fmt(path, sizeof(path), "%s/tile/0/001.p/47", out);
	t = (uint8_t *)sp_test_slurp(path, &n);
	assert_memory_equal(t, leaves + 256, 47 * 32);
	free(t);
	uint8_t node[32];
	sp_merkle_frontier_root(&first, node);
	fmt(path, sizeof(path), "%s/tile/1/000.p/1", out);
	t = (uint8_t *)sp_test_slurp(path, &n);
	assert_memory_equal(t, node, 32);
	free(t);

	/* the checkpoint's root is the tree of the bundles, and the store's */
	uint8_t root[32];
	sp_merkle_frontier_root(&all, root);
	assert_memory_equal(c.root, root, 32);
	char b64[64];
	sodium_bin2base64(b64, sizeof(b64), root, 32, sodium_base64_VARIANT_ORIGINAL);
	assert_string_equal(b64, store_root);

	/* and `log verify --tiles` agrees */
	SIMPUL(&r, "log", "verify", "--tiles", out, "--vkey", vk);
	EXPECT_EXIT(&r, 0);
	EXPECT_IN(r.out, ORIGIN ": OK\n");
	EXPECT_IN(r.out, "  entries     303 verified");
	EXPECT_IN(r.out, "  checkpoint  size 303, signature OK, root matches");
	EXPECT_IN(r.out, "  hash tiles  3 compared\n");
	fmt(want, sizeof(want), "  root        %s\n", b64);
	EXPECT_IN(r.out, want);

	/* Grow the log and export again into the same folder: the new
	 * checkpoint and partial tiles, still verifying. */
	SIMPUL(&r, "log", "append", "--data", data, "--key", g_base_key, "--origin", ORIGIN,
	       "one more", "and another");
	EXPECT_EXIT(&r, 0);
	SIMPUL(&r, "log", "export", "-d", data, "-o", ORIGIN, out);
	EXPECT_EXIT(&r, 0);
	EXPECT_IN(r.out, "exported 305 entries to");
	fmt(path, sizeof(path), "%s/tile/entries/001.p/49", out);
	assert_true(exists(path));
	free(cp);
	cp = sp_test_slurp(tp(path, "ex-tiles/checkpoint"), &cp_len);
	assert_int_equal(sp_checkpoint_open(cp, cp_len, &nk, &c), 0);
	assert_int_equal(c.size, 305);
	SIMPUL(&r, "log", "verify", "--tiles", out, "--vkey", vk);
	EXPECT_EXIT(&r, 0);
	EXPECT_IN(r.out, "  entries     305 verified");
	EXPECT_IN(r.out, "  hash tiles  3 compared\n");

	free(cp);
	free(b0);
	free(b1);
	free(leaves);
	run_free(&r);
	run_free(&rs[0]);
	run_free(&rs[1]);
}

/* ---- tampered exports ------------------------------------------------------ */

enum tamper_op {
	FLIP,     /* xor byte `at` (negative: from the end) with 1 */
	SWAP_B64, /* replace the base64 character at `at` by another one */
	REPLACE,  /* replace the text `from` by `to` (same length) */
	TRUNCATE, /* drop the last `at` bytes */
	EXTEND,   /* append one byte */
	REMOVE,   /* delete the file */
};

struct tamper {
	const char *file;
	enum tamper_op op;
	long at;
	const char *from, *to;
	const char *want; /* on stdout: "FAIL <errname> at <where>" */
};

/* sig_end: offset of the last byte of the first entry of a bundle. */
#define FIRST_ENTRY_LAST_BYTE (-100000)

static const struct tamper tampers[] = {
	{"tile/entries/000", FLIP, FIRST_ENTRY_LAST_BYTE, NULL, NULL,
	 "FAIL SP_ERR_BAD_SIGNATURE at entry 0"},
	{"tile/entries/001.p/47", FLIP, -1, NULL, NULL, "FAIL SP_ERR_BAD_SIGNATURE at entry 302"},
	{"tile/entries/000", EXTEND, 0, NULL, NULL, "FAIL SP_ERR_CORRUPT at tile/entries/000"},
	{"tile/entries/000", REMOVE, 0, NULL, NULL, "FAIL SP_ERR_NOT_FOUND at tile/entries/000"},
	{"tile/0/000", FLIP, 8191, NULL, NULL, "FAIL SP_ERR_INCONSISTENT at tile/0/000"},
	{"tile/0/001.p/47", TRUNCATE, 32, NULL, NULL,
	 "FAIL SP_ERR_CORRUPT at tile/0/001.p/47: 1472 bytes, expected 1504"},
	{"tile/1/000.p/1", FLIP, 31, NULL, NULL, "FAIL SP_ERR_INCONSISTENT at tile/1/000.p/1"},
	{"checkpoint", REPLACE, 0, "\n303\n", "\n302\n", "FAIL SP_ERR_BAD_SIGNATURE at checkpoint"},
	{"checkpoint", SWAP_B64, (long)sizeof(ORIGIN "\n303\n") + 4, NULL, NULL,
	 "FAIL SP_ERR_BAD_SIGNATURE at checkpoint"},
	{"checkpoint", SWAP_B64, -30, NULL, NULL, "FAIL SP_ERR_BAD_SIGNATURE at checkpoint"},
};

/* The files of an export of 303 entries. */
static const char *const export_files[] = {
	"checkpoint",      "tile/entries/000", "tile/entries/001.p/47",
	"tile/0/000",      "tile/0/001.p/47",  "tile/1/000.p/1",
};
static const char *const export_dirs[] = {
	"tile", "tile/entries", "tile/entries/001.p", "tile/0", "tile/0/001.p", "tile/1",
	"tile/1/000.p",
};

static void copy_export(const char *src, const char *dst)
{
	char a[PATH_MAX], b[PATH_MAX];
	assert_int_equal(mkdir(dst, 0700), 0);
	for (size_t i = 0; i < sizeof(export_dirs) / sizeof(export_dirs[0]); i++) {
		fmt(b, sizeof(b), "%s/%s", dst, export_dirs[i]);
		assert_int_equal(mkdir(b, 0700), 0);
	}
	for (size_t i = 0; i < sizeof(export_files) / sizeof(export_files[0]); i++) {
		fmt(a, sizeof(a), "%s/%s", src, export_files[i]);
		fmt(b, sizeof(b), "%s/%s", dst, export_files[i]);
		size_t n;
		char *p = sp_test_slurp(a, &n);
		assert_non_null(p);
		spit(b, p, n);
		free(p);
	}
}

/* apply changes one file of an export folder. */
static void apply(const char *dir, const struct tamper *tm)
{
	char path[PATH_MAX];
	fmt(path, sizeof(path), "%s/%s", dir, tm->file);
	size_t n;
	char *p = sp_test_slurp(path, &n);
	assert_non_null(p);
	p = realloc(p, n + 2);
	assert_non_null(p);
	long at = tm->at < 0 ? (long)n + tm->at : tm->at;
	if (tm->at == FIRST_ENTRY_LAST_BYTE)
		at = 2 + ((long)(uint8_t)p[0] << 8 | (uint8_t)p[1]) - 1;
	assert_true(at >= 0 && at < (long)n);
	switch (tm->op) {
	case FLIP:
		p[at] ^= 1;
		break;
	case SWAP_B64:
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
				       p[at]));
		p[at] = p[at] == 'A' ? 'B' : 'A';
		break;
	case REPLACE: {
		char *hit = strstr(p, tm->from);
		assert_non_null(hit);
		memcpy(hit, tm->to, strlen(tm->to));
		break;
	}
	case TRUNCATE:
		n -= (size_t)tm->at;
		break;
	case EXTEND:
		p[n++] = 0;
		break;
	case REMOVE:
		break;
	}
	if (tm->op == REMOVE)
		assert_int_equal(unlink(path), 0);
	else
		spit(path, p, n);
	free(p);
}

#define N_TAMPER (sizeof(tampers) / sizeof(tampers[0]))

/* Each change to an exported folder makes `log verify --tiles` fail with
 * exit 1, naming what and where; the untouched copy verifies. Wrong
 * verifier keys fail too. */
static void test_tiles_tampered(void **state)
{
	(void)state;
	struct run rs[N_TAMPER + 4];
	memset(rs, 0, sizeof(rs));
	char out[PATH_MAX], vk[512];
	SIMPUL(&rs[0], "log", "export", "--data", g_base, tp(out, "tm-tiles"));
	EXPECT_EXIT(&rs[0], 0);
	vkey_of(1, ORIGIN, vk, sizeof(vk));

	char dirs[N_TAMPER][PATH_MAX], wrong_key[512], wrong_name[512];
	vkey_of(2, ORIGIN, wrong_key, sizeof(wrong_key));
	vkey_of(1, "example.org/2", wrong_name, sizeof(wrong_name));
	args_row rows[N_TAMPER + 4];
	memset(rows, 0, sizeof(rows));
	for (size_t i = 0; i < N_TAMPER; i++) {
		char rel[32];
		fmt(rel, sizeof(rel), "tm-tiles%zu", i);
		copy_export(out, tp(dirs[i], rel));
		apply(dirs[i], &tampers[i]);
		const args_row row = {"log", "verify", "--tiles", dirs[i], "--vkey", vk};
		memcpy(rows[i], row, sizeof(row));
	}
	const args_row more[4] = {
		{"log", "verify", "--tiles", out, "--vkey", vk, "--threads", "2"},
		{"log", "verify", "--tiles", out, "--vkey", wrong_key},
		{"log", "verify", "--tiles", out, "--vkey", wrong_name},
		{"log", "verify", "--tiles", out, "--vkey", "example.org/1+0000+AAAA"},
	};
	memcpy(rows[N_TAMPER], more, sizeof(more));
	run_rows(rs, rows, N_TAMPER + 4);

	for (size_t i = 0; i < N_TAMPER; i++) {
		const struct tamper *tm = &tampers[i];
		struct run *r = &rs[i];
		if (r->code != 1 || strstr(r->out, tm->want) == NULL)
			fail_msg("tampered %s (case %zu): exit %d, wanted 1 and '%s'\n--- stdout:\n"
				 "%s--- stderr:\n%s",
				 tm->file, i, r->code, tm->want, r->out, r->err);
		EXPECT_IN(r->err, "simpul: log " ORIGIN ": ");
	}
	struct run *r = &rs[N_TAMPER];
	EXPECT_EXIT(r, 0);
	EXPECT_IN(r->out, ORIGIN ": OK\n");
	EXPECT_IN(r->out, "  entries     303 verified");
	/* another key under the right name, the right key under another
	 * name, and a malformed key */
	r = &rs[N_TAMPER + 1];
	EXPECT_EXIT(r, 1);
	EXPECT_IN(r->out, ORIGIN ": FAIL SP_ERR_NOTE_NO_SIG at checkpoint\n");
	r = &rs[N_TAMPER + 2];
	EXPECT_EXIT(r, 1);
	EXPECT_IN(r->out, "example.org/2: FAIL SP_ERR_NOTE_NO_SIG at checkpoint\n");
	r = &rs[N_TAMPER + 3];
	EXPECT_EXIT(r, 1);
	assert_string_equal(r->out, "");
	EXPECT_IN(r->err, "verifier key 'example.org/1+0000+AAAA'");
	for (size_t i = 0; i < N_TAMPER + 4; i++)
		run_free(&rs[i]);
}

/* ---- init, federation init ------------------------------------------------ */

/* ini_value reads "key = value" from an ini text (the first such line). */
static void ini_value(const char *ini, const char *key, char *out, size_t cap)
{
	char prefix[128];
	fmt(prefix, sizeof(prefix), "\n%s = ", key);
	line_value(ini, prefix, out, cap);
}

static void test_init_federation(void **state)
{
	(void)state;
	char node[PATH_MAX], fed[PATH_MAX], csv[PATH_MAX], path[PATH_MAX + 64];
	char want[PATH_MAX + 128];
	static const char wilayah[] = "kode,nama,level\n"
				      "73,Sulawesi Selatan,provinsi\n"
				      "73.12,Kabupaten Soppeng,kabkota\n"
				      "73.12.01,Marioriwawo,kecamatan\n"
				      "73.12.01.2001,Labessi,desa\n";
	spit(tp(csv, "fed-wilayah.csv"), wilayah, sizeof(wilayah) - 1);
	tp(node, "node1");
	tp(fed, "fed1");

	struct run rs[7];
	memset(rs, 0, sizeof(rs));
	const args_row first[2] = {
		{"init", "--dir", node, "--id", "73.12", "--federation", "lapor.go.id", "--http",
		 "127.0.0.1:0"},
		{"federation", "init", "--wilayah", csv, "--out", fed, "--name", "uji.go.id"},
	};
	run_rows(rs, first, 2);

	/* init: key 0600, data folder, config; the lines it prints */
	struct run *r = &rs[0];
	EXPECT_EXIT(r, 0);
	assert_string_equal(r->err, "");
	fmt(want, sizeof(want), "wrote %s/node.key\nwrote %s/simpuld.ini\norigin lapor.go.id/73.12\n",
	    node, node);
	assert_memory_equal(r->out, want, strlen(want));
	fmt(want, sizeof(want), "\nconfig %s/simpuld.ini\nstart simpuld --config %s/simpuld.ini\n",
	    node, node);
	EXPECT_IN(r->out, want);
	char vk_init[512];
	line_value(r->out, "\nvkey ", vk_init, sizeof(vk_init));
	struct stat st;
	fmt(path, sizeof(path), "%s/node.key", node);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fmt(path, sizeof(path), "%s/data", node);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	fmt(path, sizeof(path), "%s/simpuld.ini", node);
	char *ini = sp_test_slurp(path, NULL);
	assert_non_null(ini);
	char v[512];
	ini_value(ini, "id", v, sizeof(v));
	assert_string_equal(v, "73.12");
	ini_value(ini, "federation", v, sizeof(v));
	assert_string_equal(v, "lapor.go.id");
	ini_value(ini, "key", v, sizeof(v));
	assert_string_equal(v, "node.key");
	ini_value(ini, "listen", v, sizeof(v));
	assert_string_equal(v, "127.0.0.1:0");
	free(ini);

	/* federation init: a summary, the description, keys 0600 */
	r = &rs[1];
	EXPECT_EXIT(r, 0);
	fmt(want, sizeof(want), "federation uji.go.id in %s\n", fed);
	assert_memory_equal(r->out, want, strlen(want));
	EXPECT_IN(r->out, "1 provinces, 1 kab/kota)");
	char root_hex[128];
	line_value(r->out, "  root key     ", root_hex, sizeof(root_hex));
	fmt(path, sizeof(path), "%s/federation.ini", fed);
	char *fini = sp_test_slurp(path, NULL);
	assert_non_null(fini);
	char root_vkey[512], entries[32], key_file[PATH_MAX], seal_file[PATH_MAX];
	ini_value(fini, "root_key", v, sizeof(v));
	assert_string_equal(v, root_hex);
	ini_value(fini, "root_vkey", root_vkey, sizeof(root_vkey));
	ini_value(fini, "entries", entries, sizeof(entries));
	free(fini);
	fmt(key_file, sizeof(key_file), "%s/keys/KEMENPANRB.key", fed);
	fmt(seal_file, sizeof(seal_file), "%s/keys/73.12.seal", fed);
	assert_int_equal(stat(key_file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(seal_file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* neither overwrites; their keys and logs check out with the tools */
	char store[PATH_MAX + 8], node_key[PATH_MAX + 16];
	fmt(store, sizeof(store), "%s/store", fed);
	fmt(node_key, sizeof(node_key), "%s/node.key", node);
	const args_row again[5] = {
		{"init", "--dir", node, "--id", "73.12", "--federation", "lapor.go.id"},
		{"federation", "init", "--wilayah", csv, "--out", fed},
		{"keygen", "--show", node_key, "--name", "lapor.go.id/73.12"},
		{"log", "verify", "--data", store},
		{"keygen", "--show", key_file, "--name", "uji.go.id/KEMENPANRB"},
	};
	run_rows(rs + 2, again, 5);
	EXPECT_EXIT(&rs[2], 1);
	EXPECT_IN(rs[2].err, "already exists");
	EXPECT_EXIT(&rs[3], 1);
	EXPECT_IN(rs[3].err, "already holds a federation");
	EXPECT_EXIT(&rs[4], 0);
	fmt(want, sizeof(want), "\nvkey %s\n", vk_init);
	EXPECT_IN(rs[4].out, want);
	EXPECT_EXIT(&rs[5], 0);
	EXPECT_IN(rs[5].out, "uji.go.id/KEMENPANRB: OK\n");
	fmt(want, sizeof(want), "  checkpoint  size %s, signature OK, root matches", entries);
	EXPECT_IN(rs[5].out, want);

	/* the coordinator's key is the federation's root key */
	EXPECT_EXIT(&rs[6], 0);
	fmt(want, sizeof(want), "public-key %s\nvkey %s\n", root_hex, root_vkey);
	assert_string_equal(rs[6].out, want);
	for (int i = 0; i < 7; i++)
		run_free(&rs[i]);
}

/* ---- demo ---------------------------------------------------------------------- */

static void test_demo_twice(void **state)
{
	(void)state;
	struct run r = {0};
	char dir[PATH_MAX], csv[PATH_MAX], path[PATH_MAX + 64], want[PATH_MAX + 128];
	/* one kecamatan, one desa of Soppeng (73.12): every complaint names
	 * them; a desa elsewhere is not used */
	static const char wilayah[] = "kode,nama,level\n"
				      "73.12,Kabupaten Soppeng,kabkota\n"
				      "73.12.01,Kecamatan Uji,kecamatan\n"
				      "73.12.01.2001,Kampung Uji,desa\n"
				      "73.13.01.2001,Desa Lain,desa\n";
	spit(tp(csv, "wilayah.csv"), wilayah, sizeof(wilayah) - 1);
	tp(dir, "demo");

	SIMPUL(&r, "demo", "--dir", dir, "--entries", "40", "--wilayah", csv);
	EXPECT_EXIT(&r, 0);
	assert_string_equal(r.err, "");
	fmt(want, sizeof(want), "1. created node key %s/node.key\n", dir);
	assert_memory_equal(r.out, want, strlen(want));
	EXPECT_IN(r.out, "2. appended 40 complaints to log " DEMO_ORIGIN);
	EXPECT_IN(r.out, "(40 entries in all)");
	fmt(want, sizeof(want), "region names from %s\n", csv);
	EXPECT_IN(r.out, want);
	EXPECT_IN(r.out, "  entries     40 verified");
	fmt(want, sizeof(want), "4. exported 40 entries to %s/tiles:", dir);
	EXPECT_IN(r.out, want);
	EXPECT_IN(r.out, "  hash tiles  1 compared\n");
	EXPECT_NOT_IN(r.out, "FAIL");

	/* the key is 0600; vkey.txt holds the verifier key the output shows */
	struct stat st;
	char key[PATH_MAX + 16];
	fmt(key, sizeof(key), "%s/node.key", dir);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fmt(path, sizeof(path), "%s/vkey.txt", dir);
	char *vfile = sp_test_slurp(path, NULL);
	assert_non_null(vfile);
	char vk[512];
	fmt(vk, sizeof(vk), "%.*s", (int)strcspn(vfile, "\n"), vfile);
	fmt(want, sizeof(want), "%s\n", vk);
	assert_string_equal(vfile, want);
	free(vfile);
	fmt(want, sizeof(want), "--vkey '%s'\n", vk);
	EXPECT_IN(r.out, want);

	/* the complaints name the places of the CSV */
	fmt(path, sizeof(path), "%s/tiles/tile/entries/000.p/40", dir);
	size_t blen;
	char *bundle = sp_test_slurp(path, &blen);
	assert_non_null(bundle);
	assert_true(has_bytes(bundle, blen, "Desa Kampung Uji"));
	assert_false(has_bytes(bundle, blen, "Desa Lain"));
	free(bundle);

	/* again: the same key, the log grows */
	SIMPUL(&r, "demo", "-d", dir, "-n", "25", "-w", csv);
	EXPECT_EXIT(&r, 0);
	fmt(want, sizeof(want), "1. reusing node key %s/node.key\n", dir);
	assert_memory_equal(r.out, want, strlen(want));
	EXPECT_IN(r.out, "2. appended 25 complaints");
	EXPECT_IN(r.out, "(65 entries in all)");
	EXPECT_IN(r.out, "  entries     65 verified");
	EXPECT_IN(r.out, "  checkpoint  size 65, signature OK, root matches");

	/* what it made checks out with the commands it suggests */
	char tiles[PATH_MAX + 8];
	fmt(tiles, sizeof(tiles), "%s/tiles", dir);
	struct run rs[2];
	memset(rs, 0, sizeof(rs));
	const args_row rows[2] = {
		{"keygen", "--show", key, "--name", DEMO_ORIGIN},
		{"log", "verify", "--tiles", tiles, "--vkey", vk},
	};
	run_rows(rs, rows, 2);
	EXPECT_EXIT(&rs[0], 0);
	fmt(want, sizeof(want), "\nvkey %s\n", vk);
	EXPECT_IN(rs[0].out, want);
	EXPECT_EXIT(&rs[1], 0);
	EXPECT_IN(rs[1].out, DEMO_ORIGIN ": OK\n  entries     65 verified");
	EXPECT_IN(rs[1].out, "  checkpoint  size 65, signature OK, root matches");

	/* a node key others can read is refused, and nothing changes */
	fmt(path, sizeof(path), "%s/tiles/checkpoint", dir);
	size_t cp_len, cp2_len;
	char *cp = sp_test_slurp(path, &cp_len);
	assert_int_equal(chmod(key, 0644), 0);
	SIMPUL(&r, "demo", "--dir", dir, "--entries", "5");
	EXPECT_EXIT(&r, 1);
	EXPECT_IN(r.err, "chmod 600");
	char *cp2 = sp_test_slurp(path, &cp2_len);
	assert_int_equal(cp_len, cp2_len);
	assert_memory_equal(cp, cp2, cp_len);
	free(cp);
	free(cp2);
	for (int i = 0; i < 2; i++)
		run_free(&rs[i]);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help),          cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_keygen),        cmocka_unit_test(test_keygen_protected),
		cmocka_unit_test(test_key_refusals),
		cmocka_unit_test(test_append_verify), cmocka_unit_test(test_export),
		cmocka_unit_test(test_tiles_tampered), cmocka_unit_test(test_init_federation),
		cmocka_unit_test(test_demo_twice),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, teardown));
}

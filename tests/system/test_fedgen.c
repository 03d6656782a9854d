/*
 * test_fedgen.c - `simpul federation init` (tools/sp_fedgen.c) on the real
 * Kemendagri region list: runs the binary ($SP_BIN_DIR/simpul), then reads
 * what it wrote as a node would: every directory entry opens, links to the
 * previous one and applies into an sp_dir rooted at the key named in
 * federation.ini; the directory has 38 provinces and 514 kabupaten/kota;
 * routing sends complaints where the rules say; key files are private and
 * hold the keys the records publish; delegation lets a kabupaten enrol its
 * own units; each ministry's and agency's section names the backup province
 * a node computes from the directory (sp_topo.h), and no other section names
 * one; a --subset run holds only its provinces; usage errors.
 *
 * The region list is the one the product ships, config/wilayah.csv (all
 * provinces, kabupaten/kota and kecamatan); without it the tests skip.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_dir.h"
#include "sp_entry.h"
#include "sp_err.h"
#include "sp_event.h"
#include "sp_note.h"
#include "sp_topo.h"

#define FED_NAME "test.simpul.id"

static char g_wilayah[PATH_MAX];
static char g_bin[PATH_MAX];

static void path_fmt(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
	assert_true(n > 0 && n < PATH_MAX);
}

/* find_wilayah: the shipped config/wilayah.csv, or 0. */
static int find_wilayah(void)
{
	snprintf(g_wilayah, sizeof(g_wilayah), "%s", SP_WILAYAH);
	return access(g_wilayah, R_OK) == 0;
}

/* run executes simpul with args (NULL-terminated), output to files in dir;
 * returns the exit status. */
static int run(const char *dir, const char *const *args)
{
	char out[PATH_MAX];
	path_fmt(out, dir, "run.out");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[16] = {"simpul"};
		for (size_t i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		if (freopen(out, "w", stdout) == NULL || freopen(out, "a", stderr) == NULL)
			_exit(127);
		execv(g_bin, (char *const *)argv);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	uint8_t *p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

/* ini_value finds "key = value" in the [federation] section. */
static void ini_value(const char *ini, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\n%s = ", key);
	const char *p = strstr(ini, pat);
	assert_non_null(p);
	p += strlen(pat);
	size_t n = strcspn(p, "\n");
	assert_true(n < cap);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* A generated federation, loaded as a node would load it. */
struct fed {
	char dir[PATH_MAX];
	uint8_t root[32];
	struct sp_dir *d;
	uint64_t entries;
	uint64_t last_time;
};

static void load_root(struct fed *f)
{
	char path[PATH_MAX], hex[80];
	size_t len;
	path_fmt(path, f->dir, "federation.ini");
	char *ini = (char *)slurp(path, &len);
	assert_non_null(ini);
	ini_value(ini, "root_key", hex, sizeof(hex));
	assert_int_equal(sodium_hex2bin(f->root, 32, hex, strlen(hex), NULL, &len, NULL), 0);
	assert_int_equal(len, 32);
	ini_value(ini, "log_origin", hex, sizeof(hex));
	assert_string_equal(hex, FED_NAME "/KEMENPANRB");
	free(ini);
}

/* load_entries opens, links and applies every entry of directory.entries. */
static void load_entries(struct fed *f)
{
	char path[PATH_MAX];
	size_t len;
	path_fmt(path, f->dir, "directory.entries");
	uint8_t *buf = slurp(path, &len);
	assert_non_null(buf);
	assert_int_equal(sp_dir_new(f->root, &f->d), 0);
	struct sp_entry prev, e;
	uint8_t prev_hash[SP_HASH_BYTES];
	size_t off = 0;
	while (off < len) {
		assert_true(off + 2 <= len);
		size_t n = ((size_t)buf[off] << 8) | buf[off + 1];
		assert_true(off + 2 + n <= len);
		const uint8_t *p = buf + off + 2;
		assert_int_equal(sp_entry_open(p, n, &e), 0);
		assert_memory_equal(e.author, f->root, 32);
		assert_int_equal(sp_entry_check_link(f->entries ? &prev : NULL, prev_hash, &e), 0);
		int rc = sp_dir_apply(f->d, &e);
		if (rc)
			fail_msg("entry %llu (type %llu): %s", (unsigned long long)e.index,
				 (unsigned long long)e.type, sp_errname(rc));
		sp_entry_hash(p, n, prev_hash);
		prev = e;
		f->last_time = e.time_ms;
		f->entries++;
		off += 2 + n;
	}
	free(buf);
}

static void load_checkpoint(struct fed *f)
{
	char path[PATH_MAX];
	size_t len;
	path_fmt(path, f->dir, "directory.checkpoint");
	char *note = (char *)slurp(path, &len);
	assert_non_null(note);
	struct sp_note_key k;
	assert_int_equal(sp_note_key_init(&k, FED_NAME "/KEMENPANRB", SP_NOTE_TYPE_ED25519, f->root),
			 0);
	struct sp_checkpoint c;
	assert_int_equal(sp_checkpoint_open(note, len, &k, &c), 0);
	assert_int_equal(c.size, f->entries);
	free(note);
}

static void generate(struct fed *f, const char *name, const char *const *extra)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", sp_test_tmpdir(name)); /* each call empties it */
	path_fmt(f->dir, tmp, "fed");
	const char *args[16] = {"federation", "init", "--wilayah", g_wilayah, "--out", f->dir,
				"--name",     FED_NAME};
	size_t n = 8;
	for (size_t i = 0; extra && extra[i]; i++)
		args[n++] = extra[i];
	int code = run(tmp, args);
	if (code != 0) {
		char out[PATH_MAX];
		size_t len;
		path_fmt(out, tmp, "run.out");
		char *text = (char *)slurp(out, &len);
		fail_msg("simpul federation init exited %d:\n%s", code, text ? text : "");
	}
	load_root(f);
	load_entries(f);
	load_checkpoint(f);
}

struct census {
	size_t tier[SP_DIR_TIER_UNIT + 1];
	size_t outside; /* regional governments outside the expected provinces */
	const char *const *provinces;
};

static int count(void *arg, const struct sp_dir_inst *inst)
{
	struct census *c = arg;
	c->tier[inst->tier]++;
	if (c->provinces && (inst->tier == SP_DIR_TIER_PROVINCE || inst->tier == SP_DIR_TIER_KABKOTA)) {
		int in = 0;
		for (size_t i = 0; c->provinces[i]; i++)
			in |= strncmp(inst->id, c->provinces[i], 2) == 0;
		c->outside += !in;
	}
	return 0;
}

/* key_seed reads the base64 payload of a two-line key file. */
static void key_payload(const char *path, const char *magic, uint8_t out[32])
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t len, got;
	char *text = (char *)slurp(path, &len);
	assert_non_null(text);
	size_t ml = strlen(magic);
	assert_true(len > ml + 1 && memcmp(text, magic, ml) == 0 && text[ml] == '\n');
	assert_int_equal(sodium_base642bin(out, 32, text + ml + 1, len - ml - 2, NULL, &got, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(got, 32);
	free(text);
}

/* load_keys reads an institution's key files and checks them against its
 * record. sk receives the signing secret key. */
static void load_keys(const struct fed *f, const char *id, uint8_t sk[64])
{
	char path[PATH_MAX], file[64];
	uint8_t seed[32], pk[32], seal_sk[32], seal_pk[32];
	struct sp_dir_inst r;
	assert_int_equal(sp_dir_institution(f->d, id, SP_DIR_TIME_MAX, &r), 0);
	snprintf(file, sizeof(file), "keys/%s.key", id);
	path_fmt(path, f->dir, file);
	key_payload(path, "simpul-ed25519-private-key-v1", seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_memory_equal(pk, r.sign_key, 32);
	snprintf(file, sizeof(file), "keys/%s.seal", id);
	path_fmt(path, f->dir, file);
	key_payload(path, "simpul-x25519-private-key-v1", seal_sk);
	assert_int_equal(crypto_scalarmult_base(seal_pk, seal_sk), 0);
	assert_memory_equal(seal_pk, r.seal_key, 32);
	assert_memory_not_equal(r.seal_key, r.sign_key, 32);
}

/* enrol_unit signs a unit record with sk (as that institution's node) at a
 * time after the directory and applies it. */
static int enrol_unit(const struct fed *f, const uint8_t sk[64], const char *id,
		      const char *parent)
{
	struct sp_dir_inst r;
	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.name, sizeof(r.name), "Dinas Kesehatan");
	r.tier = SP_DIR_TIER_UNIT;
	snprintf(r.parent, sizeof(r.parent), "%s", parent);
	randombytes_buf(r.sign_key, 32);
	randombytes_buf(r.seal_key, 32);
	struct sp_buf b;
	sp_buf_init(&b);
	assert_int_equal(sp_dir_inst_encode(&r, &b), 0);
	struct sp_entry e = {0};
	e.version = SP_ENTRY_VERSION;
	e.time_ms = f->last_time + 1000;
	e.type = SP_EV_INSTITUTION;
	e.body = b.p;
	e.body_len = b.len;
	uint8_t *buf;
	size_t len;
	assert_int_equal(sp_entry_sign(&e, sk, &buf, &len), 0);
	int rc = sp_dir_apply_entry(f->d, buf, len);
	free(buf);
	sp_buf_free(&b);
	return rc;
}

/* Each institution's `backup =` line in federation.ini against what a node
 * computes from the directory. */
struct backups {
	const char *ini;
	const struct sp_dir *d;
	size_t named;
};

static int check_backup(void *arg, const struct sp_dir_inst *in)
{
	struct backups *b = arg;
	char head[SP_INST_ID_MAX + 32], want[SP_INST_ID_MAX + 1] = "", got[SP_INST_ID_MAX + 1] = "";
	snprintf(head, sizeof(head), "\n[institution %s]\n", in->id);
	const char *sec = strstr(b->ini, head);
	assert_non_null(sec);
	const char *end = strstr(sec + 1, "\n[");
	const char *line = strstr(sec, "\nbackup = ");
	if (line && (end == NULL || line < end)) {
		line += strlen("\nbackup = ");
		size_t n = strcspn(line, "\n");
		assert_true(n <= SP_INST_ID_MAX);
		memcpy(got, line, n);
		got[n] = '\0';
	}
	int rc = sp_topo_backup(b->d, in->id, want);
	assert_true(rc == 0 || rc == SP_ERR_NOT_FOUND);
	assert_string_equal(got, want);
	b->named += got[0] != '\0';
	return 0;
}

static void test_full(void **state)
{
	(void)state;
	if (!find_wilayah())
		skip();
	struct fed f;
	memset(&f, 0, sizeof(f));
	generate(&f, "fedgen_full", NULL);

	struct census c = {0};
	assert_int_equal(sp_dir_each(f.d, count, &c), 0);
	assert_int_equal(c.tier[SP_DIR_TIER_COORDINATOR], 1);
	assert_int_equal(c.tier[SP_DIR_TIER_PROVINCE], 38);
	assert_int_equal(c.tier[SP_DIR_TIER_KABKOTA], 514);
	assert_true(c.tier[SP_DIR_TIER_MINISTRY] >= 5);
	assert_true(c.tier[SP_DIR_TIER_AGENCY] >= 3);
	assert_true(sp_dir_is_coordinator(f.d, "KEMENPANRB"));

	/* backup provinces: one per ministry and agency, as nodes compute them */
	char path[PATH_MAX];
	size_t len;
	path_fmt(path, f.dir, "federation.ini");
	struct backups b = {(char *)slurp(path, &len), f.d, 0};
	assert_non_null(b.ini);
	assert_int_equal(sp_dir_each(f.d, check_backup, &b), 0);
	assert_int_equal(b.named, c.tier[SP_DIR_TIER_MINISTRY] + c.tier[SP_DIR_TIER_AGENCY]);
	assert_non_null(strstr(b.ini, "[institution KEMENPU]\n"));
	char want[SP_INST_ID_MAX + 1];
	assert_int_equal(sp_topo_backup(f.d, "KEMENPU", want), 0);
	assert_string_equal(want, "53");
	free((char *)b.ini);

	struct sp_dir_inst r;
	assert_int_equal(sp_dir_institution(f.d, "73.12", SP_DIR_TIME_MAX, &r), 0);
	assert_string_equal(r.name, "Pemerintah Kabupaten Soppeng");
	assert_string_equal(r.parent, "73");
	assert_int_equal(r.tier, SP_DIR_TIER_KABKOTA);
	assert_int_equal(sp_dir_institution(f.d, "73", SP_DIR_TIME_MAX, &r), 0);
	assert_string_equal(r.parent, "KEMENPANRB");

	/* no wrong door */
	sp_test_expect_route(f.d, "kesehatan", "73.12.03", "73.12", "default:73.12");
	sp_test_expect_route(f.d, "kesehatan", "73.12.03.2004", "73.12", "default:73.12");
	sp_test_expect_route(f.d, "adminduk", "31.71.01", "31.71", "default:31.71");
	sp_test_expect_route(f.d, "jalan-nasional", "73.12.03", "KEMENPU", "nasional:jalan-nasional");
	sp_test_expect_route(f.d, "jalan-nasional", "", "KEMENPU", "nasional:jalan-nasional");
	sp_test_expect_route(f.d, "bpjs-kesehatan", "11.01", "BPJS-KESEHATAN", "nasional:bpjs-kesehatan");
	sp_test_expect_route(f.d, "listrik", "94.01", "PLN", "nasional:listrik");
	sp_test_expect_route(f.d, "bansos", "73.12", "KEMENSOS", "nasional:bansos");
	sp_test_expect_route(f.d, "maladministrasi", "32.73", "OMBUDSMAN", "nasional:maladministrasi");
	sp_test_expect_route(f.d, "jalan-provinsi", "73.12.03.2004", "73", "73:jalan-provinsi");
	sp_test_expect_route(f.d, "pendidikan-menengah", "35.78", "35", "35:pendidikan-menengah");
	sp_test_expect_route(f.d, "jalan", "", "KEMENPANRB", "default:KEMENPANRB");
	struct sp_dir_policy p;
	assert_int_equal(sp_dir_policy_for(f.d, "kesehatan", &p), 0);
	assert_int_equal(p.verify, 3);
	assert_int_equal(p.answer, 5);
	assert_int_equal(p.window, 10);
	assert_int_equal(p.ceiling, 60);

	/* keys on disk match the records; delegation works with them */
	uint8_t sk7312[64], sk74[64], skc[64];
	load_keys(&f, "73.12", sk7312);
	load_keys(&f, "74", sk74);
	load_keys(&f, "KEMENPANRB", skc);
	assert_int_equal(enrol_unit(&f, sk7312, "73.12.DINKES", "73.12"), 0);
	assert_int_equal(enrol_unit(&f, sk7312, "74.DINKES", "74"), SP_ERR_NOT_DELEGATED);
	assert_int_equal(enrol_unit(&f, sk74, "74.DINKES", "74"), 0);
	assert_true(sp_dir_in_subtree(f.d, "73.12.DINKES", "73"));
	sodium_memzero(sk7312, sizeof(sk7312));
	sodium_memzero(sk74, sizeof(sk74));
	sodium_memzero(skc, sizeof(skc));

	/* the folder is never overwritten */
	const char *again[] = {"federation", "init", "--wilayah", g_wilayah, "--out", f.dir, NULL};
	assert_int_equal(run(sp_test_tmpdir("fedgen_again"), again), 1);
	sp_dir_free(f.d);
}

/* count_kabkota counts kabkota rows of the CSV under the given provinces. */
static size_t count_kabkota(const char *const *provinces)
{
	FILE *fp = fopen(g_wilayah, "r");
	assert_non_null(fp);
	char line[512];
	size_t n = 0;
	while (fgets(line, sizeof(line), fp)) {
		if (strstr(line, ",kabkota") == NULL)
			continue;
		for (size_t i = 0; provinces[i]; i++)
			n += strncmp(line, provinces[i], 2) == 0 && line[2] == '.';
	}
	fclose(fp);
	return n;
}

static void test_subset(void **state)
{
	(void)state;
	if (!find_wilayah())
		skip();
	static const char *const provinces[] = {"73", "74", NULL};
	const char *extra[] = {"--subset", "73", "--subset", "74", NULL};
	struct fed f;
	memset(&f, 0, sizeof(f));
	generate(&f, "fedgen_subset", extra);
	struct census c = {0};
	c.provinces = provinces;
	assert_int_equal(sp_dir_each(f.d, count, &c), 0);
	assert_int_equal(c.tier[SP_DIR_TIER_PROVINCE], 2);
	assert_int_equal(c.tier[SP_DIR_TIER_KABKOTA], count_kabkota(provinces));
	assert_true(c.tier[SP_DIR_TIER_KABKOTA] > 20);
	assert_int_equal(c.outside, 0);
	/* a region outside the subset still has a door: the coordinator */
	sp_test_expect_route(f.d, "kesehatan", "11.01", "KEMENPANRB", "default:KEMENPANRB");
	sp_test_expect_route(f.d, "kesehatan", "74.01.02", "74.01", "default:74.01");
	sp_dir_free(f.d);
}

static void test_usage(void **state)
{
	(void)state;
	const char *dir = sp_test_tmpdir("fedgen_usage");
	char out[PATH_MAX];
	path_fmt(out, dir, "never");
	const char *help[] = {"federation", "init", "--help", NULL};
	const char *missing[] = {"federation", "init", "--out", out, NULL};
	const char *subset[] = {"federation", "init", "--wilayah", g_wilayah[0] ? g_wilayah : "x",
				"--out", out, "--subset", "7", NULL};
	const char *nofile[] = {"federation", "init", "--wilayah", "/nonexistent/w.csv",
				"--out", out, NULL};
	const char *extra[] = {"federation", "init", "stray", NULL};
	assert_int_equal(run(dir, help), 0);
	assert_int_equal(run(dir, missing), 2);
	assert_int_equal(run(dir, subset), 2);
	assert_int_equal(run(dir, nofile), 1);
	assert_int_equal(run(dir, extra), 2);
	struct stat st;
	assert_int_not_equal(stat(out, &st), 0); /* nothing was created */
}

static int setup(void **state)
{
	(void)state;
	const char *bin = getenv("SP_BIN_DIR");
	snprintf(g_bin, sizeof(g_bin), "%s/simpul", bin ? bin : ".");
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_subset),
		cmocka_unit_test(test_usage),
	};
	return sp_test_finish(cmocka_run_group_tests(tests, setup, NULL));
}

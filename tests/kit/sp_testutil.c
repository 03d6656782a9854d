/*
 * sp_testutil.c - scratch folders, fixed keys and reference Merkle hashes
 * for the unit tests.
 */
#include "sp_testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_dir.h"
#include "sp_files.h"

void sp_test_rmtree(const char *path)
{
	sp_rmtree(path);
}

#define SCRATCH_MAX 32

/* The scratch folders this process made, for sp_test_finish. */
static struct {
	char path[SCRATCH_MAX][PATH_MAX];
	unsigned n;
} scratch;

/* remember_scratch lists path once; folders past SCRATCH_MAX are kept. */
static void remember_scratch(const char *path)
{
	for (unsigned i = 0; i < scratch.n; i++)
		if (strcmp(scratch.path[i], path) == 0)
			return;
	if (scratch.n < SCRATCH_MAX)
		snprintf(scratch.path[scratch.n++], PATH_MAX, "%s", path);
}

const char *sp_test_tmpdir(const char *name)
{
	static char path[PATH_MAX];
	const char *base = getenv("SP_TEST_TMP");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	snprintf(path, sizeof(path), "%s/%s.%ld", base, name, (long)getpid());
	sp_test_rmtree(path);
	if (mkdir(path, 0700) != 0)
		fail_msg("cannot create %s", path);
	remember_scratch(path);
	return path;
}

int sp_test_finish(int failed)
{
	const char *keep = getenv("SP_TEST_KEEP");
	int kept = failed || (keep && keep[0] && strcmp(keep, "0") != 0);
	for (unsigned i = 0; i < scratch.n; i++) {
		if (kept)
			fprintf(stderr, "scratch folder kept: %s\n", scratch.path[i]);
		else
			sp_test_rmtree(scratch.path[i]);
	}
	scratch.n = 0;
	return failed;
}

void sp_test_keypair(uint8_t seed_byte, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

void sp_test_leaf_hash(const uint8_t *d, size_t len, uint8_t out[32])
{
	uint8_t buf[64];
	assert_true(len < sizeof(buf));
	buf[0] = 0x00;
	memcpy(buf + 1, d, len);
	crypto_hash_sha256(out, buf, len + 1);
}

void sp_test_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t buf[65];
	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	crypto_hash_sha256(out, buf, sizeof(buf));
}

void sp_test_ztree(uint8_t z[SP_TEST_ZLEVELS][32])
{
	sp_test_leaf_hash((const uint8_t *)"z", 1, z[0]);
	for (unsigned l = 1; l < SP_TEST_ZLEVELS; l++)
		sp_test_node_hash(z[l - 1], z[l - 1], z[l]);
}

/* The RFC recursion on a constant tree: the largest complete subtree on
 * the left, the rest on the right, so the root folds the set bits of size
 * from the lowest up. */
void sp_test_zroot(const uint8_t z[SP_TEST_ZLEVELS][32], uint64_t size, uint8_t out[32])
{
	if (size == 0) {
		crypto_hash_sha256(out, NULL, 0);
		return;
	}
	unsigned low = (unsigned)__builtin_ctzll(size);
	memcpy(out, z[low], 32);
	for (unsigned l = low + 1; l < SP_TEST_ZLEVELS; l++)
		if (size & (UINT64_C(1) << l))
			sp_test_node_hash(z[l], out, out);
}

void sp_test_expect_route(const struct sp_dir *d, const char *cat, const char *region,
			  const char *want_inst, const char *want_rule)
{
	char inst[SP_INST_ID_MAX + 1], rule[SP_DIR_RULE_MAX + 1];
	assert_int_equal(sp_dir_route(d, cat, region, inst, rule), 0);
	assert_string_equal(inst, want_inst);
	assert_string_equal(rule, want_rule);
}

char *sp_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	for (;;) {
		if (n + 1024 + 1 > cap)
			p = realloc(p, cap *= 2);
		assert_non_null(p);
		size_t r = fread(p + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

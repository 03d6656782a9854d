/*
 * sp_testutil.c - scratch folders and fixed keys for the unit tests.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "sp_testutil.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void sp_test_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
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
	return path;
}

void sp_test_keypair(uint8_t seed_byte, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

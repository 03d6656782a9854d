/*
 * simpul_keys.c - `simpul keygen`: create a node's Ed25519 key file (or,
 * with --seal, an X25519 seal key file), or show the public key (and C2SP
 * verifier key) of an existing one. With --passphrase-file, the signing
 * key is kept protected by a passphrase (an officer's key for the console,
 * common/sp_keyfile.h), new or converted from a plain key file (--from).
 */
#include "simpul.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_keyfile.h"
#include "sp_note.h"

static void keygen_help(const char *cmd)
{
	printf("usage: %s --out FILE [--name NAME]\n"
	       "       %s --show FILE [--name NAME]\n"
	       "       %s --seal (--out FILE | --show FILE)\n"
	       "       %s --passphrase-file PASS (--out FILE [--from PLAIN.key] | --show FILE)\n"
	       "\n"
	       "Create a new Ed25519 private key in FILE (mode 0600; an existing file is\n"
	       "never overwritten), or show the public key of the key in FILE. With\n"
	       "--seal, an X25519 seal key instead (a node's [node] seal_key: reports\n"
	       "are sealed to its public half, 'seal-key <hex>').\n"
	       "\n"
	       "  -o, --out FILE    write a new random key to FILE\n"
	       "  -s, --show FILE   read the key in FILE and print its public parts\n"
	       "  -n, --name NAME   also print the C2SP verifier key for key name NAME\n"
	       "                    (for a log key: its origin, e.g. lapor.go.id/73.12)\n"
	       "  -h, --help        show this help\n"
	       "\n"
	       "  -S, --seal        an X25519 seal key (see above)\n"
	       "\n"
	       "  -P, --passphrase-file PASS\n"
	       "                    keep the signing key protected by the passphrase on\n"
	       "                    PASS's first line ('-': standard input; at least 8\n"
	       "                    bytes): Argon2id and XSalsa20-Poly1305, the form the\n"
	       "                    officers' console opens in the browser; with --show,\n"
	       "                    open such a file\n"
	       "  -f, --from PLAIN.key  with --passphrase-file --out: protect this existing\n"
	       "                    plain key file instead of making a new key\n"
	       "\n"
	       "Output lines: 'public-key <hex>' and, with --name, 'vkey <verifier key>';\n"
	       "with --seal, 'seal-key <hex>'.\n",
	       cmd, cmd, cmd, cmd);
}

/* print_public prints the public key, and the verifier key for name. */
static int print_public(const uint8_t pk[SP_KEY_BYTES], const char *name)
{
	char hex[2 * SP_KEY_BYTES + 1];
	simpul_hex(pk, SP_KEY_BYTES, hex);
	printf("public-key %s\n", hex);
	if (name == NULL)
		return SIMPUL_OK;
	struct sp_note_key k;
	int rc = sp_note_key_init(&k, name, SP_NOTE_TYPE_ED25519, pk);
	if (rc)
		return simpul_fail(rc, "key name '%s'", name);
	struct sp_buf b;
	sp_buf_init(&b);
	sp_note_vkey_format(&k, &b);
	rc = b.err;
	if (rc == 0)
		printf("vkey %.*s\n", (int)b.len, (const char *)b.p);
	sp_buf_free(&b);
	return rc ? simpul_fail(rc, "formatting the verifier key") : SIMPUL_OK;
}

static int keygen_out(const char *path, const char *name)
{
	uint8_t pk[SP_KEY_BYTES];
	char why[SP_KEYFILE_WHY];
	int rc = sp_keyfile_generate(path, pk, NULL, why, sizeof(why));
	if (rc)
		return simpul_fail(rc, "%s", why);
	printf("wrote %s\n", path);
	return print_public(pk, name);
}

static int keygen_show(const char *path, const char *name)
{
	uint8_t pk[SP_KEY_BYTES];
	char why[SP_KEYFILE_WHY];
	int rc = sp_keyfile_load(path, pk, NULL, why, sizeof(why));
	if (rc)
		return simpul_fail(rc, "%s", why);
	return print_public(pk, name);
}

/* seal_key makes (out) or reads (show) an X25519 seal key file. */
static int seal_key(const char *out, const char *show)
{
	uint8_t pk[32], sk[32];
	char why[SP_KEYFILE_WHY], hex[65];
	int rc;
	if (out) {
		crypto_box_keypair(pk, sk);
		rc = sp_sealfile_create(out, sk, why, sizeof(why));
	} else {
		rc = sp_sealfile_load(show, pk, sk, why, sizeof(why));
	}
	sodium_memzero(sk, sizeof(sk));
	if (rc)
		return simpul_fail(rc, "%s", why);
	if (out)
		printf("wrote %s\n", out);
	simpul_hex(pk, 32, hex);
	printf("seal-key %s\n", hex);
	return SIMPUL_OK;
}

/* protected_key writes (out: a new key, or the one in from) or opens
 * (show) a passphrase-protected signing key file. */
static int protected_key(const char *pass_path, const char *out, const char *from,
			 const char *show, const char *name)
{
	char pass[SP_KEYFILE_PASS_MAX + 2], why[SP_KEYFILE_WHY];
	size_t len = 0;
	int rc = sp_keyfile_read_pass(pass_path, pass, &len, why, sizeof(why));
	if (rc)
		return fprintf(stderr, "simpul: %s\n", why), SIMPUL_FAIL;
	uint8_t pk[SP_KEY_BYTES], seed[SP_KEYFILE_SEED];
	if (show) {
		rc = sp_keyfile_load_protected(show, pass, len, pk, NULL, why, sizeof(why));
	} else if (from) {
		rc = sp_keyfile_load_kind(from, SP_KEYFILE_MAGIC, seed, why, sizeof(why));
	} else if (sodium_init() < 0) {
		rc = SP_ERR_INTERNAL;
		snprintf(why, sizeof(why), "libsodium failed to initialise");
	} else {
		randombytes_buf(seed, sizeof(seed));
	}
	if (rc == 0 && out) {
		uint8_t sk[SP_KEYFILE_SK];
		crypto_sign_seed_keypair(pk, sk, seed);
		sodium_memzero(sk, sizeof(sk));
		rc = sp_keyfile_create_protected(out, seed, pass, len, why, sizeof(why));
	}
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(seed, sizeof(seed));
	if (rc) /* why names the file and what is wrong */
		return fprintf(stderr, "simpul: %s\n", why), SIMPUL_FAIL;
	if (out)
		printf("wrote %s (protected by the passphrase)\n", out);
	return print_public(pk, name);
}

int simpul_keygen_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"show", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"seal", no_argument, NULL, 'S'},
		{"passphrase-file", required_argument, NULL, 'P'},
		{"from", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *out = NULL, *show = NULL, *name = NULL, *pass = NULL,
		   *from = NULL;
	int c, seal = 0;
	while ((c = getopt_long(argc, argv, "o:s:n:SP:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			seal = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'P':
			pass = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 's':
			show = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			keygen_help(cmd);
			return SIMPUL_OK;
		default:
			return simpul_bad_option(cmd);
		}
	}
	if (optind < argc)
		return simpul_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if ((out == NULL) == (show == NULL))
		return simpul_usage(cmd, "give exactly one of --out FILE and --show FILE");
	if (seal && name)
		return simpul_usage(cmd, "--name is for signing keys, not --seal");
	if (seal && pass)
		return simpul_usage(cmd, "--passphrase-file is for signing keys, not --seal");
	if (from && (pass == NULL || out == NULL))
		return simpul_usage(cmd, "--from goes with --passphrase-file and --out");
	if (seal)
		return seal_key(out, show);
	/* Check the name first: a bad one must not leave a new key behind. */
	struct sp_note_key k;
	static const uint8_t no_pk[SP_KEY_BYTES];
	if (name && sp_note_key_init(&k, name, SP_NOTE_TYPE_ED25519, no_pk) != 0)
		return simpul_usage(cmd,
				    "--name '%s' is not a valid key name (1 to 256 bytes, no "
				    "spaces or '+')",
				    name);
	if (pass)
		return protected_key(pass, out, from, show, name);
	return out ? keygen_out(out, name) : keygen_show(show, name);
}

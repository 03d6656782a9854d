/*
 * simpul_keys.c - `simpul keygen`: create a node's Ed25519 key file (or,
 * with --seal, an X25519 seal key file), or show the public key (and C2SP
 * verifier key) of an existing one.
 */
#include "simpul.h"

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
	       "Output lines: 'public-key <hex>' and, with --name, 'vkey <verifier key>';\n"
	       "with --seal, 'seal-key <hex>'.\n",
	       cmd, cmd, cmd);
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

int simpul_keygen_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"show", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"seal", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *out = NULL, *show = NULL, *name = NULL;
	int c, seal = 0;
	while ((c = getopt_long(argc, argv, "o:s:n:Sh", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			seal = 1;
			break;
		case 'o':
			out = optarg;
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
	return out ? keygen_out(out, name) : keygen_show(show, name);
}

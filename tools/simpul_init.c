/*
 * simpul_init.c - `simpul init`: set up a node folder: a fresh node key
 * (DIR/node.key, 0600), an empty data folder (DIR/data) and a config
 * (DIR/simpuld.ini) referring to both by relative paths, then print the
 * node's verifier key and the command that starts it.
 */
#include "simpul.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_note.h"

struct init_args {
	const char *dir, *id, *federation, *http, *root_key, *join, *peer;
};

static void init_help(const char *cmd)
{
	printf("usage: %s --dir DIR --id ID --federation NAME [--http ADDR] [--root-key VKEY]\n"
	       "       %s --dir DIR --id ID --join URL [--http ADDR] [--peer URL] [--root-key VKEY]\n"
	       "\n"
	       "Set up a node in DIR: a new node key DIR/node.key (mode 0600), the data\n"
	       "folder DIR/data and the config DIR/simpuld.ini. Nothing is overwritten.\n"
	       "\n"
	       "  -d, --dir DIR             the node's folder (created if needed)\n"
	       "  -i, --id ID               institution id: region code (73.12) or agency code\n"
	       "  -f, --federation NAME     federation name (lapor.go.id); origin NAME/ID\n"
	       "  -H, --http ADDR           HTTP address (default 127.0.0.1:8080; port 0: any)\n"
	       "  -r, --root-key VKEY       the national coordinator's verifier key\n"
	       "  -j, --join URL            join a running federation: take the directory\n"
	       "                            from the node at URL (checked, and against\n"
	       "                            --root-key if given), make a seal key too\n"
	       "                            (DIR/node.seal), dial that node, and print the\n"
	       "                            keys and command to send to the coordinator\n"
	       "  -p, --peer URL            with --join: the peer listen address\n"
	       "                            (default tcp://127.0.0.1:7400)\n"
	       "  -h, --help                show this help\n"
	       "\n"
	       "Output lines: 'origin <origin>', 'vkey <verifier key>', 'config <file>',\n"
	       "'start <command>'.\n",
	       cmd, cmd);
}

/* name_ok mirrors simpuld's rule for ids and federation names (letters,
 * digits, '.', '-', '_'), so init never writes a config simpuld rejects. */
static int name_ok(const char *v, size_t max)
{
	size_t n = strlen(v);
	if (n == 0 || n > max || v[0] == '.' || v[0] == '-' || strstr(v, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr(".-_", v[i]))
			return 0;
	return 1;
}

/* write_config creates DIR/simpuld.ini exclusively. */
static int write_config(const char *path, const struct init_args *a)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	if (fd < 0)
		return errno == EEXIST ? SP_ERR_EXISTS : SP_ERR_IO;
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return SP_ERR_IO;
	}
	fprintf(f,
		"; simpuld.ini - written by 'simpul init'. Every key and its default:\n"
		"; docs/operations.md (or 'simpuld --print-default-config').\n"
		"; Check changes with 'simpuld --check-config FILE'.\n\n"
		"[node]\nid = %s\nfederation = %s\nkey = node.key\ndata = data\nlog_level = info\n\n"
		"[http]\nlisten = %s\n\n"
		"[federation]\nroot_key = %s\n%s",
		a->id, a->federation, a->http ? a->http : "127.0.0.1:8080",
		a->root_key ? a->root_key : "",
		/* In a federation the record of this institution comes later,
		 * from the coordinator: the node starts and waits for it. */
		a->root_key ? "; remove once the directory holds this node (its log says so)\n"
			      "await_record = 1\n"
			    : "");
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	return bad ? SP_ERR_IO : 0;
}

static int init_run(const char *cmd, const struct init_args *a)
{
	char key[PATH_MAX], data[PATH_MAX], ini[PATH_MAX], origin[SP_ORIGIN_MAX + 1];
	if (snprintf(key, sizeof(key), "%s/node.key", a->dir) >= (int)sizeof(key) ||
	    snprintf(data, sizeof(data), "%s/data", a->dir) >= (int)sizeof(data) ||
	    snprintf(ini, sizeof(ini), "%s/simpuld.ini", a->dir) >= (int)sizeof(ini))
		return simpul_usage(cmd, "--dir is too long");
	snprintf(origin, sizeof(origin), "%s/%s", a->federation, a->id);
	if (access(ini, F_OK) == 0)
		return simpul_fail(SP_ERR_EXISTS, "%s", ini);
	int rc = sp_mkdirs(a->dir, 0700);
	if (rc)
		return simpul_fail(rc, "creating %s", a->dir);
	uint8_t pk[SP_KEY_BYTES];
	char why[SP_KEYFILE_WHY];
	rc = sp_keyfile_generate(key, pk, NULL, why, sizeof(why));
	if (rc)
		return simpul_fail(rc, "%s", why);
	rc = sp_mkdirs(data, 0700);
	if (rc == 0)
		rc = write_config(ini, a);
	if (rc)
		return simpul_fail(rc, "writing %s", rc == SP_ERR_EXISTS ? ini : data);
	struct sp_note_key k;
	struct sp_buf b;
	sp_buf_init(&b);
	sp_note_key_init(&k, origin, SP_NOTE_TYPE_ED25519, pk);
	sp_note_vkey_format(&k, &b);
	printf("wrote %s\nwrote %s\norigin %s\nvkey %.*s\nconfig %s\nstart simpuld --config %s\n",
	       key, ini, origin, (int)b.len, b.p ? (const char *)b.p : "", ini, ini);
	sp_buf_free(&b);
	return SIMPUL_OK;
}

int simpul_init_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"id", required_argument, NULL, 'i'},
		{"federation", required_argument, NULL, 'f'},
		{"http", required_argument, NULL, 'H'},
		{"root-key", required_argument, NULL, 'r'},
		{"join", required_argument, NULL, 'j'},
		{"peer", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0];
	struct init_args a = {0};
	int c;
	while ((c = getopt_long(argc, argv, "d:i:f:H:r:j:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a.dir = optarg; break;
		case 'i': a.id = optarg; break;
		case 'f': a.federation = optarg; break;
		case 'H': a.http = optarg; break;
		case 'r': a.root_key = optarg; break;
		case 'j': a.join = optarg; break;
		case 'p': a.peer = optarg; break;
		case 'h': init_help(cmd); return SIMPUL_OK;
		default: return simpul_bad_option(cmd);
		}
	}
	if (optind < argc)
		return simpul_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (a.join && a.dir && a.id)
		return simpul_join(a.dir, a.id, a.join, a.http, a.peer, a.root_key);
	if (a.dir == NULL || a.id == NULL || a.federation == NULL)
		return simpul_usage(cmd, "--dir, --id and --federation are required");
	if (!name_ok(a.id, 32))
		return simpul_usage(cmd, "--id '%s': use 1 to 32 letters, digits, '.', '-', '_'",
				    a.id);
	if (!name_ok(a.federation, 128))
		return simpul_usage(cmd,
				    "--federation '%s': use 1 to 128 letters, digits, '.', '-', '_'",
				    a.federation);
	if (a.http && (strlen(a.http) > 63 || strchr(a.http, ':') == NULL || strpbrk(a.http, " \n")))
		return simpul_usage(cmd, "--http '%s' is not HOST:PORT", a.http);
	struct sp_note_key k;
	if (a.root_key && (sp_note_vkey_parse(a.root_key, &k) || k.type != SP_NOTE_TYPE_ED25519))
		return simpul_usage(cmd, "--root-key is not an Ed25519 verifier key");
	return init_run(cmd, &a);
}

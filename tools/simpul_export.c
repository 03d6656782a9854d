/*
 * simpul_export.c - `simpul log export`: write a log of a store as static
 * C2SP tlog-tiles files that any web server can publish.
 */
#include "simpul.h"

#include <getopt.h>
#include <stdio.h>

#include "sp_err.h"
#include "sp_export.h"
#include "sp_progress.h"

static void export_help(const char *cmd)
{
	printf("usage: %s --data DIR [--origin ORIGIN] OUTDIR\n"
	       "\n"
	       "Write a log of the store in DIR, as of its latest signed checkpoint, into\n"
	       "OUTDIR as C2SP tlog-tiles files: 'checkpoint' (with cosignatures), the hash\n"
	       "tiles 'tile/<L>/<N>' (and the partial right edge 'tile/<L>/<N>.p/<W>'), and\n"
	       "the entry bundles 'tile/entries/<N>[.p/<W>]'. Serve OUTDIR with any static\n"
	       "web server; observers check it with 'simpul log verify --tiles OUTDIR'\n"
	       "or any tlog-tiles client. Files are replaced atomically and the checkpoint\n"
	       "is written last, so OUTDIR can be re-exported while it is being served.\n"
	       "\n"
	       "  -d, --data DIR        the store folder (opened read-only)\n"
	       "  -o, --origin ORIGIN   the log to export (needed if the store holds several)\n"
	       "  -h, --help            show this help\n",
	       cmd);
}

int simpul_export_log(struct sp_store *s, const char *origin, const char *outdir)
{
	uint32_t id = 0;
	int rc = 0;
	if (origin)
		rc = sp_store_log_find(s, origin, &id);
	else if (sp_store_log_count(s) != 1)
		return simpul_fail(SP_ERR_ARG, "the store holds %u logs: name one with --origin",
				   (unsigned)sp_store_log_count(s));
	if (rc)
		return simpul_fail(rc, "log %s", origin);
	struct sp_progress prog;
	sp_progress_init(&prog, "exporting", 0);
	struct sp_export_stats st;
	rc = sp_export_tiles(s, id, outdir, &prog, &st);
	sp_progress_done(&prog);
	if (rc == SP_ERR_NOT_FOUND && st.size == 0)
		return simpul_fail(rc, "exporting to %s: the log has no signed checkpoint yet", outdir);
	if (rc)
		return simpul_fail(rc, "exporting to %s: %s", outdir, st.where);
	printf("exported %llu entries to %s: checkpoint, %llu hash tiles, %llu entry bundles, "
	       "%llu bytes\n",
	       (unsigned long long)st.size, outdir, (unsigned long long)st.tiles,
	       (unsigned long long)st.bundles, (unsigned long long)st.bytes);
	return SIMPUL_OK;
}

int simpul_log_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"origin", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0], *data = NULL, *origin = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'o':
			origin = optarg;
			break;
		case 'h':
			export_help(cmd);
			return SIMPUL_OK;
		default:
			return simpul_bad_option(cmd);
		}
	}
	if (data == NULL)
		return simpul_usage(cmd, "--data DIR is required");
	if (argc - optind != 1)
		return simpul_usage(cmd, "give exactly one OUTDIR");
	struct sp_store *s;
	int ex = simpul_open_ro(data, &s);
	if (ex)
		return ex;
	ex = simpul_export_log(s, origin, argv[optind]);
	sp_store_close(s);
	return ex;
}

/*
 * simpul_demo.c - `simpul demo`: in a few seconds, show the whole log
 * life cycle on realistic data: make a node key, append ~1000 complaints
 * (SP4N-LAPOR!-style texts about real kecamatan and desa of Kabupaten
 * Soppeng) to a store, verify it, export it as tlog-tiles, and verify the
 * export offline as an observer would; then say where to look.
 * `simpul demo --node` runs a real node instead (simpul_node_demo.c).
 */
#include "simpul.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_files.h"
#include "sp_keyfile.h"
#include "sp_pool.h"
#include "sp_progress.h"

#define DEMO_ORIGIN "demo.simpul.id/73.12"
#define DEMO_REGION "73.12" /* Kabupaten Soppeng, Sulawesi Selatan */
#define DEMO_WILAYAH "config/wilayah.csv"
#define MAX_PLACES 512
#define NAME_MAX_LEN 64

/* A desa (or kelurahan) and the kecamatan it lies in. */
struct place {
	char desa[NAME_MAX_LEN];
	char kec[NAME_MAX_LEN];
};

struct demo {
	struct place places[MAX_PLACES];
	size_t nplaces;
	uint64_t rng;
	int from_csv;
};

/* Used when wilayah.csv is not at hand: real names from Kabupaten Soppeng. */
static const struct place builtin_places[] = {
	{"Attang Salo", "Marioriwawo"}, {"Tellang Kere", "Marioriwawo"},
	{"Jampu", "Lilirilau"},         {"Cabenge", "Lilirilau"},
	{"Ujung", "Lilirilau"},         {"Lemba", "Lalabata"},
	{"Botto", "Lalabata"},          {"Bila", "Lalabata"},
	{"Takalala", "Marioriwawo"},    {"Pajalesang", "Lalabata"},
	{"Goarie", "Marioriwawo"},      {"Laringgi", "Marioriawa"},
	{"Batu Batu", "Marioriawa"},    {"Kaca", "Marioriawa"},
	{"Pising", "Donri-Donri"},      {"Lalabata Riaja", "Donri-Donri"},
	{"Ganra", "Ganra"},             {"Lompulle", "Ganra"},
	{"Tinco", "Citta"},             {"Citta", "Citta"},
	{"Jennae", "Liliriaja"},        {"Appanang", "Liliriaja"},
};

static const char *const templates[] = {
	"Jalan rusak dan berlubang di Desa %s, Kecamatan %s, sudah %u bulan belum diperbaiki.",
	"Puskesmas %2$s kekurangan obat; warga Desa %1$s diminta membeli sendiri di apotek.",
	"Lampu penerangan jalan di Desa %s, Kecamatan %s, mati sejak %u minggu lalu.",
	"Sampah menumpuk di pasar Desa %s, Kecamatan %s, tidak diangkut selama %u hari.",
	"Pelayanan KTP elektronik di kantor Kecamatan %2$s lambat; warga Desa %1$s antre "
	"sejak pagi.",
	"Bantuan sosial untuk warga Desa %s, Kecamatan %s, belum disalurkan sejak %u bulan.",
	"Saluran irigasi di Desa %s, Kecamatan %s, tersumbat; sawah warga kekeringan.",
	"Air PDAM tidak mengalir di Desa %s, Kecamatan %s, selama %u hari.",
	"Guru honorer SD Negeri di Desa %s, Kecamatan %s, belum menerima gaji %u bulan.",
	"Jembatan di Desa %s, Kecamatan %s, retak dan membahayakan pengguna jalan.",
	"Pungutan liar saat mengurus akta kelahiran di kantor Desa %s, Kecamatan %s.",
	"Ambulans desa di Desa %s, Kecamatan %s, rusak %u bulan; warga sakit diangkut "
	"dengan motor.",
};

static uint64_t rng_next(struct demo *d)
{
	/* xorshift64*: varied texts, reproducible for a given log size */
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return d->rng * 2685821657736338717ULL;
}

/* csv_field copies field `n` of a CSV line (quotes stripped) into out. */
static int csv_field(const char *line, unsigned n, char *out, size_t cap)
{
	const char *p = line;
	for (unsigned i = 0;; i++) {
		int quoted = *p == '"';
		const char *start = p + quoted;
		const char *end = quoted ? strchr(start, '"') : start + strcspn(start, ",\r\n");
		if (end == NULL)
			return -1;
		if (i == n) {
			size_t len = (size_t)(end - start);
			if (len == 0 || len >= cap)
				return -1;
			memcpy(out, start, len);
			out[len] = '\0';
			return 0;
		}
		p = end + quoted;
		if (*p != ',')
			return -1;
		p++;
	}
}

/* load_wilayah takes the desa of Kabupaten Soppeng and their kecamatan. */
static void load_wilayah(struct demo *d, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	char line[512], code[32], name[NAME_MAX_LEN], kec[NAME_MAX_LEN] = "";
	while (fgets(line, sizeof(line), f) && d->nplaces < MAX_PLACES) {
		if (strncmp(line, DEMO_REGION ".", sizeof(DEMO_REGION)) != 0 ||
		    csv_field(line, 0, code, sizeof(code)) || csv_field(line, 1, name, sizeof(name)))
			continue;
		if (strlen(code) == sizeof(DEMO_REGION) + 2) { /* 73.12.01: a kecamatan */
			snprintf(kec, sizeof(kec), "%s", name);
		} else if (kec[0]) {
			struct place *pl = &d->places[d->nplaces++];
			memcpy(pl->desa, name, sizeof(pl->desa));
			memcpy(pl->kec, kec, sizeof(pl->kec));
		}
	}
	fclose(f);
	d->from_csv = d->nplaces > 0;
}

static const char *demo_text(void *ctx, uint64_t i, char *scratch, size_t cap, size_t *len)
{
	struct demo *d = ctx;
	(void)i;
	const struct place *pl = d->from_csv ? &d->places[rng_next(d) % d->nplaces]
					     : &builtin_places[rng_next(d) % (sizeof(builtin_places) /
										 sizeof(builtin_places[0]))];
	const char *t = templates[rng_next(d) % (sizeof(templates) / sizeof(templates[0]))];
	unsigned n = 2 + (unsigned)(rng_next(d) % 10);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	int r = snprintf(scratch, cap, t, pl->desa, pl->kec, n);
#pragma GCC diagnostic pop
	*len = r < 0 ? 0 : (size_t)r < cap ? (size_t)r : cap - 1;
	return scratch;
}

struct demo_args {
	const char *dir, *wilayah, *http;
	uint64_t entries;
	int node, has_entries;
	char key[PATH_MAX], data[PATH_MAX], tiles[PATH_MAX], vkey_file[PATH_MAX];
};

static void demo_help(const char *cmd)
{
	printf("usage: %s [--dir DIR] [--entries N] [--wilayah FILE]\n"
	       "       %s --node [--dir DIR] [--http ADDR] [--wilayah FILE]\n"
	       "\n"
	       "Show the signed log end to end in a few seconds: create a node key, append\n"
	       "N complaint texts (about real kecamatan and desa of Kabupaten Soppeng) to\n"
	       "the log " DEMO_ORIGIN ", verify the whole log, export it as C2SP\n"
	       "tlog-tiles files and verify those offline, as a public observer would.\n"
	       "Run it again to grow the same log.\n"
	       "\n"
	       "With --node, run a real node instead: generate a small federation (the\n"
	       "ministries and province 73), start simpuld for Kabupaten Soppeng (73.12),\n"
	       "submit sample complaints over HTTP, print where to look, and keep the node\n"
	       "running until Ctrl-C. Run it again to restart the same node and data.\n"
	       "\n"
	       "  -d, --dir DIR        where to put everything (default ./simpul-demo;\n"
	       "                       with --node ./simpul-node)\n"
	       "  -n, --entries N      complaints to append (default 1000)\n"
	       "  -N, --node           run a node (see above)\n"
	       "  -H, --http ADDR      with --node: the node's HTTP address\n"
	       "                       (default 127.0.0.1:8080; port 0: any free one)\n"
	       "  -w, --wilayah FILE   region list (default " DEMO_WILAYAH
	       ";\n"
	       "                       the log demo has built-in names if absent)\n"
	       "  -h, --help           show this help\n",
	       cmd, cmd);
}

static int demo_parse(int argc, char **argv, struct demo_args *a)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},     {"entries", required_argument, NULL, 'n'},
		{"wilayah", required_argument, NULL, 'w'}, {"help", no_argument, NULL, 'h'},
		{"node", no_argument, NULL, 'N'},          {"http", required_argument, NULL, 'H'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = argv[0];
	a->wilayah = DEMO_WILAYAH;
	a->entries = 1000;
	int c;
	while ((c = getopt_long(argc, argv, "d:n:w:NH:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->dir = optarg;
			break;
		case 'n':
			if (simpul_parse_u64(optarg, &a->entries) || a->entries > 100000000)
				return simpul_usage(cmd, "--entries wants 0..100000000, not '%s'",
						    optarg);
			a->has_entries = 1;
			break;
		case 'N':
			a->node = 1;
			break;
		case 'H':
			a->http = optarg;
			break;
		case 'w':
			a->wilayah = optarg;
			break;
		case 'h':
			demo_help(cmd);
			return SIMPUL_OK;
		default:
			return simpul_bad_option(cmd);
		}
	}
	if (optind < argc)
		return simpul_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (a->node ? a->has_entries : a->http != NULL)
		return simpul_usage(cmd, a->node ? "--entries is not for --node"
						 : "--http goes with --node");
	if (a->dir == NULL)
		a->dir = a->node ? "simpul-node" : "simpul-demo";
	if (snprintf(a->key, sizeof(a->key), "%s/node.key", a->dir) >= (int)sizeof(a->key) ||
	    snprintf(a->vkey_file, sizeof(a->vkey_file), "%s/vkey.txt", a->dir) >=
		(int)sizeof(a->vkey_file))
		return simpul_usage(cmd, "--dir is too long");
	snprintf(a->data, sizeof(a->data), "%s/data", a->dir);
	snprintf(a->tiles, sizeof(a->tiles), "%s/tiles", a->dir);
	return -1;
}

/* demo_key loads DIR/node.key, or makes it on the first run. */
static int demo_key(const struct demo_args *a, uint8_t pk[32], uint8_t sk[64])
{
	char why[SP_KEYFILE_WHY];
	struct stat st;
	int fresh = stat(a->key, &st) != 0;
	int rc = fresh ? sp_keyfile_generate(a->key, pk, sk, why, sizeof(why))
		       : sp_keyfile_load(a->key, pk, sk, why, sizeof(why));
	if (rc)
		return simpul_fail(rc, "%s", why);
	printf("1. %s node key %s\n", fresh ? "created" : "reusing", a->key);
	return SIMPUL_OK;
}

/* demo_vkey writes the log's verifier key to DIR/vkey.txt and into out. */
static int demo_vkey(const struct demo_args *a, const uint8_t pk[32], char *out, size_t cap)
{
	struct sp_note_key k;
	struct sp_buf b;
	sp_buf_init(&b);
	int rc = sp_note_key_init(&k, DEMO_ORIGIN, SP_NOTE_TYPE_ED25519, pk);
	if (rc == 0)
		sp_note_vkey_format(&k, &b);
	if (rc == 0 && (rc = b.err) == 0) {
		snprintf(out, cap, "%.*s", (int)b.len, (const char *)b.p);
		sp_buf_put(&b, "\n", 1);
		rc = b.err ? b.err : sp_file_replace(a->vkey_file, b.p, b.len);
	}
	sp_buf_free(&b);
	return rc ? simpul_fail(rc, "writing %s", a->vkey_file) : SIMPUL_OK;
}

static int demo_fill(const struct demo_args *a, const uint8_t sk[64])
{
	struct demo *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return simpul_fail(SP_ERR_NOMEM, "demo");
	load_wilayah(d, a->wilayah);
	struct sp_store *s;
	int ex = simpul_open_own(a->data, DEMO_ORIGIN, sk, 1000, &s);
	if (ex) {
		free(d);
		return ex;
	}
	struct sp_log_info info = {0};
	uint32_t id;
	if (sp_store_own_log(s, &id) == 0)
		sp_store_log_info(s, id, &info);
	d->rng = 0x9e3779b97f4a7c15ULL ^ (info.size * 0x100000001b3ULL);
	struct simpul_appended res;
	simpul_append_bulk(s, 0, a->entries, demo_text, d, NULL, &res);
	sp_store_close(s);
	int from_csv = d->from_csv;
	free(d);
	if (res.err)
		return simpul_fail(res.err, "appending to %s", a->data);
	printf("2. appended %llu complaints to log %s in %.2f s (%llu entries in all),\n"
	       "   store %s, region names %s%s\n",
	       (unsigned long long)res.ok, DEMO_ORIGIN, res.seconds,
	       (unsigned long long)(info.size + res.ok), a->data,
	       from_csv ? "from " : "built in", from_csv ? a->wilayah : "");
	return SIMPUL_OK;
}

/* demo_check verifies the store, exports it and verifies the export. */
static int demo_check(const struct demo_args *a, const char *vkey)
{
	struct sp_pool *pool;
	int rc = sp_pool_create(sp_pool_cpus() - 1, &pool);
	if (rc)
		return simpul_fail(rc, "starting threads");
	struct sp_store *s = NULL;
	int ex = simpul_open_ro(a->data, &s);
	uint32_t id = 0;
	struct sp_audit_report rep;
	if (ex == 0 && (rc = sp_store_log_find(s, DEMO_ORIGIN, &id)) != 0)
		ex = simpul_fail(rc, "log %s", DEMO_ORIGIN);
	if (ex == 0) {
		printf("3. verified the store (simpul log verify --data %s):\n", a->data);
		sp_audit_store_log(s, id, pool, NULL, &rep);
		ex = simpul_print_report(&rep, 0);
	}
	if (ex == 0) {
		printf("4. ");
		ex = simpul_export_log(s, DEMO_ORIGIN, a->tiles);
	}
	sp_store_close(s);
	struct sp_note_key key;
	if (ex == 0 && (rc = sp_note_vkey_parse(vkey, &key)) != 0)
		ex = simpul_fail(rc, "verifier key");
	if (ex == 0) {
		printf("5. verified the export offline, as an observer would:\n");
		sp_audit_tiles(a->tiles, &key, 1, pool, NULL, &rep);
		ex = simpul_print_report(&rep, 1);
	}
	sp_pool_destroy(pool);
	return ex;
}

static void demo_next(const struct demo_args *a, const char *vkey)
{
	printf("\nWhere to look:\n"
	       "  %s/checkpoint          the signed checkpoint (C2SP tlog-checkpoint)\n"
	       "  %s/tile/entries/...    entry bundles; %s/tile/0/... hash tiles\n"
	       "  %s                     the log's verifier key\n"
	       "\nTry:\n"
	       "  simpul log verify --data %s\n"
	       "  simpul log verify --tiles %s --vkey '%s'\n"
	       "  # publish the tiles (checkpoint as text/plain, the rest as octet-stream):\n"
	       "  python3 -c 'import http.server as h,sys;T=lambda s,p:\"text/plain; "
	       "charset=utf-8\" if p.endswith(\"/checkpoint\") else \"application/octet-stream\";"
	       "H=type(\"H\",(h.SimpleHTTPRequestHandler,),{\"guess_type\":T});"
	       "h.ThreadingHTTPServer((\"\",8080),lambda *a:H(*a,directory=sys.argv[1]))"
	       ".serve_forever()' %s\n"
	       "  simpul demo --dir %s                          # append 1000 more\n",
	       a->tiles, a->tiles, a->tiles, a->vkey_file, a->data, a->tiles, vkey, a->tiles,
	       a->dir);
}

int simpul_demo_main(int argc, char **argv)
{
	struct demo_args a = {0};
	int ex = demo_parse(argc, argv, &a);
	if (ex >= 0)
		return ex;
	if (a.node)
		return simpul_node_demo(a.dir, a.http ? a.http : "127.0.0.1:8080", a.wilayah);
	int rc = sp_mkdirs(a.dir, 0700);
	if (rc)
		return simpul_fail(rc, "creating %s", a.dir);
	uint8_t pk[32], sk[64];
	char vkey[512];
	ex = demo_key(&a, pk, sk);
	if (ex == 0)
		ex = demo_fill(&a, sk);
	sodium_memzero(sk, sizeof(sk));
	if (ex == 0)
		ex = demo_vkey(&a, pk, vkey, sizeof(vkey));
	if (ex == 0)
		ex = demo_check(&a, vkey);
	if (ex == 0)
		demo_next(&a, vkey);
	return ex;
}

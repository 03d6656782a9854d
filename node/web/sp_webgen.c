/*
 * sp_webgen.c - build-time generator of node/sp_web_data.c: the web pages'
 * assets (every .html, .css, .js and .svg file of node/web/) and the region list
 * (config/wilayah.csv) as C byte arrays, so simpuld serves them with no
 * file on disk and no build step for the pages themselves.
 *
 *     sp_webgen OUT.c WILAYAH.csv ASSET...
 *
 * For each asset it writes the bytes, the gzip of the bytes (zlib, level
 * 9) and an ETag (the first 16 hex digits of their SHA-256). The bundle
 * version is the SHA-256 of every asset's name and bytes: HTML pages name
 * the other assets as "/web/@V@/<file>", and "@V@" is replaced here by
 * that version, so those URLs change whenever any asset does and can be
 * cached as immutable. The region list is checked (code, name, level per
 * line; the name may be double-quoted) and written as a table sorted as
 * the file is. Anything malformed stops the build with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#define MAX_ASSETS 64

struct asset {
	const char *name;  /* file name without folder */
	unsigned char *p;
	size_t len;
};

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "sp_webgen: %s: %s\n", what, arg);
	exit(1);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot read", path);
	size_t cap = 1 << 16, n = 0;
	unsigned char *p = malloc(cap);
	size_t got;
	while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			unsigned char *q = realloc(p, cap *= 2);
			if (!q)
				free(p);
			p = q;
		}
	}
	fclose(f);
	if (!p)
		die("out of memory reading", path);
	*len = n;
	return p;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static const char *mime_of(const char *name)
{
	static const char *const map[][2] = {
		{".html", "text/html; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".json", "application/json"},
		{".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(dot, map[i][0]) == 0)
			return map[i][1];
	die("no media type known for", name);
	return NULL;
}

/* subst replaces every "@V@" in a by v (a->p is reallocated). */
static void subst(struct asset *a, const char *v)
{
	size_t vl = strlen(v), cap = a->len * 2 + 64, n = 0;
	unsigned char *out = malloc(cap);
	for (size_t i = 0; out && i < a->len;) {
		if (n + vl + 1 >= cap) {
			unsigned char *q = realloc(out, cap *= 2);
			if (!q)
				free(out);
			out = q;
			if (!out)
				break;
		}
		if (i + 3 <= a->len && memcmp(a->p + i, "@V@", 3) == 0) {
			memcpy(out + n, v, vl);
			n += vl;
			i += 3;
		} else {
			out[n++] = a->p[i++];
		}
	}
	if (!out)
		die("out of memory in", a->name);
	free(a->p);
	a->p = out;
	a->len = n;
}

static unsigned char *gzip(const unsigned char *p, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2", "failed");
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	unsigned char *out = malloc(cap);
	if (!out)
		die("out of memory", "gzip");
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		die("deflate", "failed");
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static void put_bytes(FILE *o, const char *sym, const unsigned char *p, size_t len)
{
	fprintf(o, "static const unsigned char %s[%zu] = {", sym, len + 1);
	for (size_t i = 0; i < len; i++)
		fprintf(o, "%s%u,", i % 24 ? "" : "\n", p[i]);
	fprintf(o, "0};\n");
}

static void hex16(const unsigned char *p, size_t len, char out[17])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, p, len);
	for (int i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

/* put_cstr writes s as a C string literal (the region names are UTF-8). */
static void put_cstr(FILE *o, const char *s, size_t n)
{
	fputc('"', o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(o, "\\%03o", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

static int level_of(const char *s, size_t n)
{
	static const char *const levels[] = {"provinsi", "kabkota", "kecamatan", "desa"};
	for (int i = 0; i < 4; i++)
		if (strlen(levels[i]) == n && memcmp(s, levels[i], n) == 0)
			return i;
	return -1;
}

/* regions writes the region table from the CSV "kode,nama,level": the
 * code before the first comma, the level after the last, the name between
 * (its surrounding double quotes removed). */
static void regions(FILE *o, const char *path)
{
	size_t len;
	char *csv = (char *)slurp(path, &len);
	size_t count = 0, line_no = 0;
	fprintf(o, "const struct sp_web_region sp_web_regions[] = {\n");
	for (char *line = csv; line < csv + len;) {
		char *end = memchr(line, '\n', (size_t)(csv + len - line));
		if (!end)
			end = csv + len;
		size_t n = (size_t)(end - line);
		if (n && line[n - 1] == '\r')
			n--;
		line_no++;
		if (line_no > 1 && n > 0) {
			char *c1 = memchr(line, ',', n), *c2 = NULL;
			for (char *q = line + n; q > line; q--)
				if (q[-1] == ',') {
					c2 = q - 1;
					break;
				}
			int lv = c1 && c2 > c1 ? level_of(c2 + 1, (size_t)(line + n - c2 - 1)) : -1;
			if (lv < 0)
				die("malformed region line in", path);
			char *name = c1 + 1;
			size_t name_len = (size_t)(c2 - name);
			if (name_len >= 2 && name[0] == '"' && name[name_len - 1] == '"') {
				name++;
				name_len -= 2;
			}
			fprintf(o, "\t{");
			put_cstr(o, line, (size_t)(c1 - line));
			fprintf(o, ", ");
			put_cstr(o, name, name_len);
			fprintf(o, ", %d},\n", lv);
			count++;
		}
		line = end + 1;
	}
	fprintf(o, "};\nconst size_t sp_web_nregions = %zu;\n", count);
	free(csv);
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc - 3 > MAX_ASSETS)
		die("usage", "sp_webgen OUT.c WILAYAH.csv ASSET...");
	if (sodium_init() < 0)
		die("sodium_init", "failed");
	struct asset a[MAX_ASSETS];
	size_t na = (size_t)argc - 3;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < na; i++) {
		a[i].name = base_name(argv[i + 3]);
		a[i].p = slurp(argv[i + 3], &a[i].len);
		crypto_hash_sha256_update(&st, (const unsigned char *)a[i].name,
					  strlen(a[i].name) + 1);
		crypto_hash_sha256_update(&st, a[i].p, a[i].len);
	}
	unsigned char vh[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, vh);
	char version[17];
	for (int i = 0; i < 8; i++)
		sprintf(version + 2 * i, "%02x", vh[i]);

	FILE *o = fopen(argv[1], "w");
	if (!o)
		die("cannot write", argv[1]);
	fprintf(o, "/* generated by node/web/sp_webgen.c: do not edit. */\n#include \"sp_web.h\"\n\n");
	fprintf(o, "const char sp_web_version[] = \"%s\";\n\n", version);
	for (size_t i = 0; i < na; i++) {
		const char *dot = strrchr(a[i].name, '.');
		if (dot && strcmp(dot, ".html") == 0) {
			char v[32];
			snprintf(v, sizeof(v), "%s", version);
			subst(&a[i], v);
		}
		size_t gl;
		unsigned char *g = gzip(a[i].p, a[i].len, &gl);
		char sym[32];
		snprintf(sym, sizeof(sym), "raw%zu", i);
		put_bytes(o, sym, a[i].p, a[i].len);
		snprintf(sym, sizeof(sym), "gz%zu", i);
		put_bytes(o, sym, g, gl);
		free(g);
	}
	fprintf(o, "\nconst struct sp_web_asset sp_web_assets[] = {\n");
	for (size_t i = 0; i < na; i++) {
		char etag[17];
		hex16(a[i].p, a[i].len, etag);
		fprintf(o, "\t{\"%s\", \"%s\", raw%zu, sizeof(raw%zu) - 1, gz%zu, sizeof(gz%zu) - 1, "
			   "\"\\\"%s\\\"\"},\n",
			a[i].name, mime_of(a[i].name), i, i, i, i, etag);
		free(a[i].p);
	}
	fprintf(o, "};\nconst size_t sp_web_nassets = %zu;\n\n", na);
	regions(o, argv[2]);
	if (fclose(o) != 0)
		die("cannot write", argv[1]);
	return 0;
}

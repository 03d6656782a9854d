/*
 * sp_webgen.c - build-time generator of node/sp_web_data.c: the web pages'
 * assets (every .html, .css, .js and .svg file of node/web/, and the vendored
 * ES modules of node/web/vendor/LIB/) and the region list
 * (config/wilayah.csv) as C byte arrays, so simpuld serves them with no
 * file on disk and no build step for the pages themselves.
 *
 *     sp_webgen OUT.c WILAYAH.csv ASSET-OR-PART...
 *
 * It runs in node/web/, and each ASSET is named by its path there
 * ("konsol.js", "vendor/noble-hashes/argon2.js"): vendored ES modules keep
 * their folder, so their relative imports resolve unchanged in the browser.
 * For each asset it writes the bytes, the gzip of the bytes (zlib, level
 * 9) and an ETag (the first 16 hex digits of their SHA-256). The bundle
 * version is the SHA-256 of every asset's name and bytes: HTML pages name
 * the other assets as "/web/@V@/<file>", and "@V@" is replaced here by
 * that version, so those URLs change whenever any asset does and can be
 * cached as immutable. The .inc files are not assets but the parts every
 * page shares (head.inc: the head's common lines; nav.inc: the public
 * header): a page names them by a directive line (see expand), so each
 * exists once in the source and the served pages stay plain HTML with
 * no script to assemble them. The region list is checked (code, name, level per
 * line; the name may be double-quoted) and written as a table sorted as
 * the file is. Anything malformed stops the build with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#define MAX_ASSETS 128

struct asset {
	const char *name;  /* path below node/web/ */
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

/* asset_name: the path as given, which must stay below node/web/. */
static const char *asset_name(const char *path)
{
	if (path[0] == '/' || strstr(path, "..") != NULL)
		die("asset path must be relative to node/web/", path);
	return path;
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

/* A growing output buffer; out of memory stops the build. */
struct out {
	unsigned char *p;
	size_t len, cap;
};

static void out_put(struct out *o, const void *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (o->len + n + 1 > cap)
			cap *= 2;
		unsigned char *q = realloc(o->p, cap);
		if (!q)
			die("out of memory", "output");
		o->p = q;
		o->cap = cap;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

/* put_html writes text escaped for HTML content and attribute values. */
static void put_html(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': out_put(o, "&amp;", 5); break;
		case '<': out_put(o, "&lt;", 4); break;
		case '>': out_put(o, "&gt;", 4); break;
		case '"': out_put(o, "&quot;", 6); break;
		default: out_put(o, s + i, 1);
		}
	}
}

/* put_replacing writes p with every `key` replaced by val. */
static void put_replacing(struct out *o, const unsigned char *p, size_t len, const char *key,
			  const char *val)
{
	size_t kl = strlen(key), vl = strlen(val);
	for (size_t i = 0; i < len;) {
		if (i + kl <= len && memcmp(p + i, key, kl) == 0) {
			out_put(o, val, vl);
			i += kl;
		} else {
			out_put(o, p + i++, 1);
		}
	}
}

/* subst replaces every "@V@" in a by v (a->p is replaced). */
static void subst(struct asset *a, const char *v)
{
	struct out o = {0};
	put_replacing(&o, a->p, a->len, "@V@", v);
	free(a->p);
	a->p = o.p;
	a->len = o.len;
}

static const struct asset *part_find(const struct asset *parts, size_t np, const char *name,
				     size_t nl)
{
	for (size_t i = 0; i < np; i++)
		if (strlen(parts[i].name) == nl + 4 && memcmp(parts[i].name, name, nl) == 0 &&
		    strcmp(parts[i].name + nl, ".inc") == 0)
			return &parts[i];
	return NULL;
}

/* put_nav writes the shared header (nav.inc) with aria-current="page" on
 * the link to the page's own path, which must be one of its links. */
static void put_nav(struct out *o, const struct asset *nav, const char *path, const char *page)
{
	char key[96];
	snprintf(key, sizeof(key), "<a href=\"%s\"", path);
	char val[128];
	snprintf(val, sizeof(val), "%s aria-current=\"page\"", key);
	size_t kl = strlen(key);
	const unsigned char *hit = NULL;
	for (size_t i = 0; hit == NULL && i + kl <= nav->len; i++)
		if (memcmp(nav->p + i, key, kl) == 0)
			hit = nav->p + i;
	if (hit == NULL)
		die("nav.inc has no link to the path named in", page);
	size_t at = (size_t)(hit - nav->p) + kl;
	out_put(o, nav->p, (size_t)(hit - nav->p));
	out_put(o, val, strlen(val));
	out_put(o, nav->p + at, nav->len - at);
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

/* One region line of the CSV: code, name (quotes removed), level; the
 * strings point into the CSV's bytes. */
struct region {
	const char *code, *name;
	size_t code_len, name_len;
	int level;
};

struct regions {
	char *csv;
	struct region *r;
	size_t n;
};

/* load_regions reads the CSV "kode,nama,level": the code before the first
 * comma, the level after the last, the name between (its surrounding
 * double quotes removed). */
static void load_regions(struct regions *rs, const char *path)
{
	size_t len, line_no = 0, cap = 0;
	rs->csv = (char *)slurp(path, &len);
	rs->r = NULL;
	rs->n = 0;
	for (char *line = rs->csv; line < rs->csv + len;) {
		char *end = memchr(line, '\n', (size_t)(rs->csv + len - line));
		if (!end)
			end = rs->csv + len;
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
			if (rs->n == cap) {
				cap = cap ? 2 * cap : 1024;
				struct region *q = realloc(rs->r, cap * sizeof(*q));
				if (!q)
					die("out of memory reading", path);
				rs->r = q;
			}
			rs->r[rs->n++] = (struct region){line, name, (size_t)(c1 - line), name_len, lv};
		}
		line = end + 1;
	}
}

/* put_regions writes the region table, sorted as the file is. */
static void put_regions(FILE *o, const struct regions *rs)
{
	fprintf(o, "const struct sp_web_region sp_web_regions[] = {\n");
	for (size_t i = 0; i < rs->n; i++) {
		fprintf(o, "\t{");
		put_cstr(o, rs->r[i].code, rs->r[i].code_len);
		fprintf(o, ", ");
		put_cstr(o, rs->r[i].name, rs->r[i].name_len);
		fprintf(o, ", %d},\n", rs->r[i].level);
	}
	fprintf(o, "};\nconst size_t sp_web_nregions = %zu;\n", rs->n);
}

/* put_options writes an <option> per region of the level named (the
 * pages' first region picker needs no request: the list is built in). */
static void put_options(struct out *o, const struct regions *rs, const char *level,
			const char *page)
{
	int lv = level_of(level, strlen(level));
	if (lv < 0)
		die("#options names no region level in", page);
	for (size_t i = 0; i < rs->n; i++) {
		const struct region *r = &rs->r[i];
		if (r->level != lv)
			continue;
		out_put(o, "<option value=\"", 15);
		put_html(o, r->code, r->code_len);
		out_put(o, "\">", 2);
		put_html(o, r->name, r->name_len);
		out_put(o, "</option>\n", 10);
	}
}

/* expand replaces the page's directive lines, each a whole line, by the
 * shared parts (the *.inc files), so every page has one copy of them:
 *     <!--#head TITLE-->  head.inc, its @TITLE@ replaced by TITLE
 *     <!--#nav PATH-->    nav.inc, the link to PATH marked as this page
 *     <!--#options LEVEL-->  an <option> per region of that level
 * An unknown directive or a missing part stops the build. */
static void expand(struct asset *a, const struct asset *parts, size_t np,
		   const struct regions *rs)
{
	struct out o = {0};
	const unsigned char *p = a->p, *end = a->p + a->len;
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		const unsigned char *le = nl ? nl + 1 : end;
		size_t n = (size_t)(le - p) - (nl != NULL);
		if (n < 9 || memcmp(p, "<!--#", 5) != 0 || memcmp(p + n - 3, "-->", 3) != 0) {
			out_put(&o, p, (size_t)(le - p));
			p = le;
			continue;
		}
		const char *name = (const char *)p + 5;
		const char *sp = memchr(name, ' ', n - 8);
		if (sp == NULL)
			die("directive without an argument in", a->name);
		char arg[80];
		size_t al = n - 8 - (size_t)(sp + 1 - name);
		if (al == 0 || al >= sizeof(arg))
			die("directive argument empty or too long in", a->name);
		memcpy(arg, sp + 1, al);
		arg[al] = '\0';
		size_t nml = (size_t)(sp - name);
		if (nml == 7 && memcmp(name, "options", 7) == 0) {
			put_options(&o, rs, arg, a->name);
			p = le;
			continue;
		}
		const struct asset *part = part_find(parts, np, name, nml);
		if (part == NULL)
			die("directive names no .inc part in", a->name);
		if (nml == 4 && memcmp(name, "head", 4) == 0)
			put_replacing(&o, part->p, part->len, "@TITLE@", arg);
		else if (nml == 3 && memcmp(name, "nav", 3) == 0)
			put_nav(&o, part, arg, a->name);
		else
			die("unknown directive in", a->name);
		p = le;
	}
	free(a->p);
	a->p = o.p;
	a->len = o.len;
}

/* The head lines a page's Link header is made from: each is a whole line
 * of the expanded page, the URL follows the prefix up to the next quote. */
static const struct {
	const char *prefix, *rest, *link;
} head_links[] = {
	{"<link rel=\"stylesheet\" href=\"", "\">", "rel=preload; as=style"},
	{"<script type=\"module\" src=\"", "\"></script>", "rel=modulepreload"},
	{"<link rel=\"modulepreload\" href=\"", "\">", "rel=modulepreload"},
	{"<link rel=\"preload\" href=\"", "\" as=\"fetch\" crossorigin=\"anonymous\">",
	 "rel=preload; as=fetch; crossorigin=anonymous"},
	{"<link rel=\"icon\" href=\"", NULL, NULL}, /* the browser fetches it when idle */
	{"<link rel=\"expect\" href=\"", NULL, NULL}, /* render blocking: not a fetch */
};

/* put_link writes the Link header of a page (NULL if it has none): the
 * style sheet, module scripts and preloads its head names, in its order,
 * so the browser asks for them when the answer arrives, before parsing.
 * A <link> or <script> line of another form in the head stops the build
 * (it would be left out silently). */
static void put_link(FILE *f, const struct asset *a)
{
	struct out o = {0};
	const unsigned char *p = a->p, *end = a->p + a->len;
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (n >= 7 && memcmp(p, "</head>", 7) == 0)
			break;
		size_t k = 0, nk = sizeof(head_links) / sizeof(head_links[0]);
		for (; k < nk; k++) {
			size_t pl = strlen(head_links[k].prefix);
			if (n > pl && memcmp(p, head_links[k].prefix, pl) == 0)
				break;
		}
		if (k == nk && ((n >= 5 && memcmp(p, "<link", 5) == 0) || (n >= 7 && memcmp(p, "<script", 7) == 0)))
			die("a <link> or <script> line of a form the Link header does not know in", a->name);
		if (k < nk && head_links[k].link) {
			const char *url = (const char *)p + strlen(head_links[k].prefix);
			const char *q = memchr(url, '"', n - strlen(head_links[k].prefix));
			if (q == NULL || (size_t)((const char *)p + n - q) != strlen(head_links[k].rest) ||
			    memcmp(q, head_links[k].rest, strlen(head_links[k].rest)) != 0)
				die("a malformed <link> or <script> line in", a->name);
			if (o.len)
				out_put(&o, ", ", 2);
			out_put(&o, "<", 1);
			out_put(&o, url, (size_t)(q - url));
			out_put(&o, ">; ", 3);
			out_put(&o, head_links[k].link, strlen(head_links[k].link));
		}
		p = nl ? nl + 1 : end;
	}
	if (o.len == 0) {
		fprintf(f, "NULL");
		return;
	}
	put_cstr(f, (const char *)o.p, o.len);
	free(o.p);
}

static int has_ext(const char *name, const char *ext)
{
	const char *dot = strrchr(name, '.');
	return dot && strcmp(dot, ext) == 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc - 3 > MAX_ASSETS)
		die("usage", "sp_webgen OUT.c WILAYAH.csv ASSET...");
	if (sodium_init() < 0)
		die("sodium_init", "failed");
	/* The .inc files are parts of pages, not assets: kept apart in parts. */
	struct asset a[MAX_ASSETS], parts[MAX_ASSETS];
	size_t na = 0, np = 0;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	for (int i = 3; i < argc; i++) {
		const char *name = asset_name(argv[i]);
		struct asset *x = has_ext(name, ".inc") ? &parts[np++] : &a[na++];
		x->name = name;
		x->p = slurp(argv[i], &x->len);
		crypto_hash_sha256_update(&st, (const unsigned char *)x->name, strlen(x->name) + 1);
		crypto_hash_sha256_update(&st, x->p, x->len);
	}
	unsigned char vh[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, vh);
	char version[17];
	for (int i = 0; i < 8; i++)
		sprintf(version + 2 * i, "%02x", vh[i]);

	struct regions rs;
	load_regions(&rs, argv[2]);
	FILE *o = fopen(argv[1], "w");
	if (!o)
		die("cannot write", argv[1]);
	fprintf(o, "/* generated by node/web/sp_webgen.c: do not edit. */\n#include \"sp_web.h\"\n\n");
	fprintf(o, "const char sp_web_version[] = \"%s\";\n\n", version);
	for (size_t i = 0; i < na; i++) {
		if (has_ext(a[i].name, ".html")) {
			expand(&a[i], parts, np, &rs);
			subst(&a[i], version);
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
			   "\"\\\"%s\\\"\", ",
			a[i].name, mime_of(a[i].name), i, i, i, i, etag);
		if (has_ext(a[i].name, ".html"))
			put_link(o, &a[i]);
		else
			fprintf(o, "NULL");
		fprintf(o, "},\n");
		free(a[i].p);
	}
	for (size_t i = 0; i < np; i++)
		free(parts[i].p);
	fprintf(o, "};\nconst size_t sp_web_nassets = %zu;\n\n", na);
	put_regions(o, &rs);
	free(rs.r);
	free(rs.csv);
	if (fclose(o) != 0)
		die("cannot write", argv[1]);
	return 0;
}

/*
 * sp_web.h - the web pages' assets and the region list, compiled into
 * simpuld (node/sp_web_data.c, generated at build time by
 * node/web/sp_webgen.c from node/web/ and config/wilayah.csv), and the
 * lookups the web API (sp_api_web.c) serves them with.
 *
 * Everything here is constant data: nothing to create or free.
 */
#ifndef SP_WEB_H
#define SP_WEB_H

#include <stddef.h>

/* One asset: its file name, media type, bytes, gzip of the bytes and
 * ETag (quoted, as sent). raw and gz are followed by a NUL not counted. */
struct sp_web_asset {
	const char *name;
	const char *type;
	const unsigned char *raw;
	size_t raw_len;
	const unsigned char *gz;
	size_t gz_len;
	const char *etag;
	const char *link; /* a page's Link header (its preloads), or NULL */
};

/* One region of the Kemendagri list: dotted code, name, level (0
 * provinsi, 1 kabupaten/kota, 2 kecamatan, 3 desa/kelurahan). */
struct sp_web_region {
	const char *code;
	const char *name;
	int level;
};

extern const char sp_web_version[];  /* bundle version in asset URLs */
extern const struct sp_web_asset sp_web_assets[];
extern const size_t sp_web_nassets;
extern const struct sp_web_region sp_web_regions[];
extern const size_t sp_web_nregions;

/* sp_web_asset_find: the asset named name, or NULL. */
const struct sp_web_asset *sp_web_asset_find(const char *name);

/* sp_web_region_find: the region with that code, or NULL. */
const struct sp_web_region *sp_web_region_find(const char *code);

/* sp_web_region_known: 1 if code is in the region list, or is a
 * desa/kelurahan code (four parts) of a kecamatan in it (the list holds
 * only some villages), else 0. */
int sp_web_region_known(const char *code);

#endif

/*
 * fuzz_http.c - libFuzzer target for what the HTTP server decodes from a
 * request before any handler: the JSON bound of JSON routes
 * (sp_http_json_bounded) and, for a body it lets through, jansson's parse
 * of it as every JSON route does; the Content-Type check; the tlog-tiles
 * path parser of /logs/<inst>/tile/... Arbitrary bytes must never crash
 * them, and a body the bound accepts must cost the parser at most a small
 * multiple of its size (the guarantee issue #11 item 3 asked for).
 *
 * Build: cmake -DSP_FUZZ=ON -DCMAKE_C_COMPILER=clang, target fuzz_http.
 * Seeds: tests/fuzz/corpus/fuzz_http (request bodies of api.md).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sp_http.h"
#include "sp_tile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What jansson allocated for the current input: harness state, counted
 * through json_set_alloc_funcs (one process, one input at a time). */
static size_t g_live, g_peak;

static void *count_malloc(size_t n)
{
	size_t *p = malloc(n + sizeof(size_t));
	if (p == NULL)
		return NULL;
	*p = n;
	g_live += n;
	if (g_live > g_peak)
		g_peak = g_live;
	return p + 1;
}

static void count_free(void *q)
{
	if (q == NULL)
		return;
	size_t *p = (size_t *)q - 1;
	g_live -= *p;
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		json_set_alloc_funcs(count_malloc, count_free);
		init = 1;
	}
	if (sp_http_json_bounded(data, size, SP_HTTP_JSON_DEPTH, SP_HTTP_JSON_VALUES) == 0) {
		g_live = g_peak = 0;
		json_error_t err;
		json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
		json_decref(j);
		/* 1024 values of at most ~200 bytes each, plus the strings. */
		if (g_peak > 4 * size + SP_HTTP_JSON_VALUES * 256 + 65536)
			abort();
	}
	char text[256];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	(void)sp_http_json_type(text);
	int level;
	uint64_t index;
	unsigned w;
	if (sp_tile_path_parse(text, &level, &index, &w) == 0) {
		char back[256];
		if (sp_tile_path(back, sizeof(back), level, index, w) != 0 || strcmp(back, text) != 0)
			abort(); /* accepted paths are canonical */
	}
	return 0;
}

/*
 * fuzz_conf.c - libFuzzer target for the node's config reader: any bytes
 * as an INI file must give either a config or SP_ERR_CONFIG with a
 * "name:line: ..." message, never a crash or an unterminated message.
 *
 * Build: cmake -DSP_FUZZ=ON -DCMAKE_C_COMPILER=clang, target fuzz_conf.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_conf.h"
#include "sp_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_conf c;
	char why[512];
	char host[256];
	uint16_t port;

	memset(why, 0x55, sizeof(why));
	sp_conf_defaults(&c);
	int rc = sp_conf_parse(&c, (const char *)data, size, "fuzz.ini", "/nonexistent", why,
			       sizeof(why));
	if (rc != 0 && (rc != SP_ERR_CONFIG || memchr(why, 0, sizeof(why)) == NULL ||
			strncmp(why, "fuzz.ini:", 9) != 0))
		abort();
	/* The listen parser takes one NUL-terminated line. */
	char line[128];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = 0;
	(void)sp_conf_parse_listen(line, host, sizeof(host), &port);
	return 0;
}

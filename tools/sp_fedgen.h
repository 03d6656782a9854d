/*
 * sp_fedgen.h - generate a federation from the Kemendagri region list:
 * the national coordinator, ministries and agencies, provinces and
 * kabupaten/kota, each with fresh keys, plus the coordinator's signed
 * directory log (institutions, delegations, routing rules, policy).
 *
 * Output folder layout (docs/directory.md has the details):
 *
 *   federation.ini        description: federation, root key, every institution
 *   keys/<ID>.key         Ed25519 node signing key (sp_keyfile.h), mode 0600
 *   keys/<ID>.seal        X25519 sealing key (sp_keyfile.h), mode 0600
 *   keys/<ID>.admin.key   Ed25519 key of the institution's first admin officer
 *   keys/<ID>.officer.key Ed25519 key of its first pejabat penghubung (both
 *                         enrolled in the directory; mode 0600)
 *   store/                the coordinator's store: its own log holds the directory
 *   directory.entries     the same entries, each a 2-byte big-endian length and
 *                         the entry bytes (the tlog-tiles entry-bundle framing)
 *   directory.checkpoint  the coordinator's signed checkpoint of that log
 * */
#ifndef SP_FEDGEN_H
#define SP_FEDGEN_H

#include <stddef.h>
#include <stdint.h>

#include "sp_keyfile.h" /* seal key files: sp_sealfile_create, sp_sealfile_load */

#define SP_FEDGEN_NAME "simpul.local"   /* default federation name */
#define SP_FEDGEN_COORDINATOR "KEMENPANRB"
#define SP_FEDGEN_PORT_BASE 17000
#define SP_FEDGEN_MAX_SUBSET 38
#define SP_FEDGEN_WHY 512

struct sp_fedgen_opts {
	const char *wilayah;    /* path of wilayah.csv */
	const char *out;        /* output folder: created; must not hold a federation */
	const char *name;       /* federation name (NULL: SP_FEDGEN_NAME) */
	const char *const *subset; /* province codes to include (NULL/0: all) */
	size_t nsubset;
	unsigned port_base;     /* loopback ports: peer base+2i, HTTP base+2i+1 (0: default) */
};

/* What a run produced. */
struct sp_fedgen_result {
	size_t institutions, provinces, kabkota, agencies;
	size_t routes, delegations, officers, entries;
	uint8_t root_key[32];   /* the coordinator's Ed25519 public key */
};

/* sp_fedgen_run generates the federation described by o. On failure why
 * (if not NULL) receives a sentence; partial output may be left behind.
 * Errors: SP_ERR_ARG (bad options, e.g. an unknown subset province),
 * SP_ERR_EXISTS (the folder already holds a federation), SP_ERR_IO,
 * SP_ERR_CONFIG (wilayah.csv malformed), SP_ERR_NOMEM, store errors. */
int sp_fedgen_run(const struct sp_fedgen_opts *o, struct sp_fedgen_result *res, char *why,
		  size_t why_cap);

/* sp_fedgen_export signs a checkpoint of the own log of store s (a
 * coordinator's: its directory) and writes the log to folder dir as
 * directory.entries and directory.checkpoint (replaced). *entries
 * (optional) gets the log's size. Errors: store and file errors. */
struct sp_store;
int sp_fedgen_export(struct sp_store *s, const char *dir, size_t *entries);

#endif

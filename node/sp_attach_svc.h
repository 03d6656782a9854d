/*
 * sp_attach_svc.h - a node service: the rules for attachments, so that the
 * HTTP API (sp_api_attach.c, sp_api_reports.c) only turns requests into
 * these calls and their results into JSON.
 *
 * What may be uploaded (the media types and how each file starts), how
 * large, whether the files a publik or anonim report references are held
 * here as it describes them, and sealing a rahasia report's inline files
 * with its content key. Errors are codes; where the user needs a sentence
 * (which attachment, what is wrong with it), the call writes it into why
 * (SP_ERR_WHY_MAX bytes, "" when the code says all). Nothing here knows
 * HTTP or JSON. Layer: node service, below the HTTP API, above
 * sp_node_core.c and the store.
 */
#ifndef SP_ATTACH_SVC_H
#define SP_ATTACH_SVC_H

#include <stddef.h>
#include <stdint.h>

#include "sp_err.h"
#include "sp_node.h"
#include "sp_report.h"

/* sp_attach_svc_type: the canonical allowed media type equal (ignoring
 * case) to type[0..len), a static string, or NULL if attachments may not
 * have it. */
const char *sp_attach_svc_type(const char *type, size_t len);

/* sp_attach_svc_magic_ok: bytes p[0..n) start as files of the allowed
 * (canonical) type do; 1 or 0. */
int sp_attach_svc_magic_ok(const char *type, const uint8_t *p, size_t n);

/* sp_attach_svc_max_bytes: the largest file this node takes (the store's
 * limit and the configured body limit, whichever is smaller). */
size_t sp_attach_svc_max_bytes(struct sp_node *n);

/* sp_attach_svc_refs checks that every file a publik or anonim report
 * references is held here, plain, with the size and media type given.
 * SP_ERR_NOT_FOUND, SP_ERR_SEALED, SP_ERR_HASH_MISMATCH (each with why),
 * store errors (why ""). */
int sp_attach_svc_refs(struct sp_node *n, const struct sp_report *r, char why[SP_ERR_WHY_MAX]);

/* sp_attach_svc_seal takes a rahasia report's file (standard base64 b64,
 * media type at->media_type), encrypts it with the report's content key
 * (XChaCha20-Poly1305, AD SP_REPORT_ATTACH_AD || type) and appends the
 * blob, nonce || ciphertext, to blob (the caller's); then fills at with
 * the blob's SHA-256 and size and the canonical type. The plaintext is
 * zeroed, never stored. SP_ERR_HTTP_BAD_REQUEST (type, base64, content)
 * and SP_ERR_HTTP_TOO_LARGE with why; SP_ERR_NOMEM, sealing errors. */
int sp_attach_svc_seal(struct sp_node *n, const uint8_t key[SP_REPORT_CKEY_BYTES],
		       struct sp_str b64, struct sp_report_attachment *at, struct sp_buf *blob,
		       char why[SP_ERR_WHY_MAX]);

/* sp_attach_svc_store_sealed stores a blob sp_attach_svc_seal made for at
 * (synced), flagged sealed: it is served as application/octet-stream.
 * Store errors. */
int sp_attach_svc_store_sealed(struct sp_node *n, const struct sp_report_attachment *at,
			       const struct sp_buf *blob);

#endif

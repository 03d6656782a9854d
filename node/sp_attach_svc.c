/*
 * sp_attach_svc.c - the rules for attachments: allowed types and sizes,
 * a report's references checked against the store, and a rahasia
 * report's inline files sealed (see sp_attach_svc.h).
 *
 * Rahasia files are encrypted by the node at submission with the report's
 * content key (the key of its sealed envelope, sealed to every reader),
 * XChaCha20-Poly1305-IETF with a fresh nonce, AD SP_REPORT_ATTACH_AD ||
 * media type (sp_report_seal_blob); the stored blob is nonce || ciphertext,
 * addressed by its own SHA-256, and that hash is what the entry lists. The
 * plaintext exists only in the request's memory (zeroed after): it never
 * reaches the store, so it is in no file and no response. Anyone may fetch
 * the blob; only a reader of the report can open it (sp_report_open_blob,
 * with the content key POST /v1/reports/{id}/open gives an officer).
 */
#include "sp_attach_svc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "sp_store.h"

/* What may be uploaded, and how each starts (empty magic: not checked). */
static const struct {
	const char *type;
	const char *magic;
	size_t magic_len;
} allowed[] = {
	{"image/jpeg", "\xff\xd8\xff", 3},
	{"image/png", "\x89PNG\r\n\x1a\n", 8},
	{"image/webp", "RIFF", 4},
	{"image/heic", "", 0},
	{"application/pdf", "%PDF-", 5},
	{"video/mp4", "", 0},
	{"audio/mpeg", "", 0},
	{"text/plain", "", 0},
};

#define N_ALLOWED (sizeof(allowed) / sizeof(allowed[0]))

const char *sp_attach_svc_type(const char *type, size_t len)
{
	for (size_t i = 0; type && i < N_ALLOWED; i++)
		if (strlen(allowed[i].type) == len && strncasecmp(allowed[i].type, type, len) == 0)
			return allowed[i].type;
	return NULL;
}

int sp_attach_svc_magic_ok(const char *type, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < N_ALLOWED; i++)
		if (strcmp(allowed[i].type, type) == 0)
			return n >= allowed[i].magic_len &&
			       memcmp(p, allowed[i].magic, allowed[i].magic_len) == 0;
	return 0;
}

size_t sp_attach_svc_max_bytes(struct sp_node *n)
{
	uint32_t body = sp_node_conf(n)->max_body_bytes;
	return body < SP_ATTACH_MAX_BYTES ? body : SP_ATTACH_MAX_BYTES;
}

int sp_attach_svc_refs(struct sp_node *n, const struct sp_report *r, char why[SP_ERR_WHY_MAX])
{
	why[0] = '\0';
	for (size_t i = 0; i < r->n_attach; i++) {
		const struct sp_report_attachment *at = &r->attach[i];
		struct sp_attach_info info;
		int rc = sp_store_attach_get(sp_node_store(n), at->sha256, &info, NULL);
		if (rc == SP_ERR_NOT_FOUND)
			return sp_err_why(why, rc, "attachment %zu is not held here: "
					       "upload it first (POST /v1/attachments)", i);
		if (rc == 0 && (info.flags & SP_ATTACH_SEALED))
			return sp_err_why(why, SP_ERR_SEALED, "attachment %zu is a sealed file", i);
		if (rc == 0 && (info.size != at->size || strlen(info.media_type) != at->media_type.n ||
				memcmp(info.media_type, at->media_type.p, at->media_type.n) != 0))
			return sp_err_why(why, SP_ERR_HASH_MISMATCH,
				      "attachment %zu: the stored file has size %llu and type %s", i,
				      (unsigned long long)info.size, info.media_type);
		if (rc)
			return rc;
	}
	return 0;
}

/* decode_inline reads a base64 file into a new buffer (caller zeroes and
 * frees), checking its size and that it is what its type says. */
static int decode_inline(struct sp_node *n, struct sp_str b64, const char *type, uint8_t **out,
			 size_t *len, char why[SP_ERR_WHY_MAX])
{
	size_t cap = b64.n / 4 * 3 + 3;
	*out = malloc(cap);
	if (*out == NULL)
		return SP_ERR_NOMEM;
	if (sodium_base642bin(*out, cap, b64.p, b64.n, NULL, len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || *len == 0)
		return sp_err_why(why, SP_ERR_HTTP_BAD_REQUEST,
			      "attachment data must be standard base64 of a file");
	if (*len > sp_attach_svc_max_bytes(n) - SP_REPORT_BLOB_OVERHEAD)
		return sp_err_why(why, SP_ERR_HTTP_TOO_LARGE, "attachment over %zu bytes",
			      sp_attach_svc_max_bytes(n));
	if (!sp_attach_svc_magic_ok(type, *out, *len))
		return sp_err_why(why, SP_ERR_HTTP_BAD_REQUEST, "attachment data is not a %s file",
			      type);
	return 0;
}

int sp_attach_svc_seal(struct sp_node *n, const uint8_t key[SP_REPORT_CKEY_BYTES],
		       struct sp_str b64, struct sp_report_attachment *at, struct sp_buf *blob,
		       char why[SP_ERR_WHY_MAX])
{
	const char *type = sp_attach_svc_type(at->media_type.p, at->media_type.n);
	uint8_t *plain = NULL;
	size_t len = 0;
	why[0] = '\0';
	if (type == NULL)
		return sp_err_why(why, SP_ERR_HTTP_BAD_REQUEST,
			      "attachment media_type '%.64s' is not accepted", at->media_type.p);
	int rc = decode_inline(n, b64, type, &plain, &len, why);
	if (rc == 0)
		rc = sp_report_seal_blob(key, type, plain, len, blob);
	if (plain)
		sodium_memzero(plain, len);
	free(plain);
	if (rc == 0) {
		crypto_hash_sha256(at->sha256, blob->p, blob->len);
		at->size = blob->len;
		at->media_type = (struct sp_str){type, strlen(type)};
	}
	return rc;
}

int sp_attach_svc_store_sealed(struct sp_node *n, const struct sp_report_attachment *at,
			       const struct sp_buf *blob)
{
	/* at->media_type is the canonical (NUL-terminated) one from the table */
	return sp_store_attach_put(sp_node_store(n), blob->p, blob->len, at->media_type.p,
				   SP_ATTACH_SEALED, NULL, NULL);
}

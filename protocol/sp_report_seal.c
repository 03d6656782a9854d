/*
 * sp_report_seal.c - sealing confidential content: the content key boxed
 * to each reader institution, the XChaCha20-Poly1305 envelope and sealed
 * attachments, and the signed requests an officer makes to open them
 * (sp_report.h).
 */
#include "sp_report.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_cbor.h"
#include "sp_err.h"
#include "sp_report_int.h"

#define SEAL_AD_LEN (sizeof(SP_REPORT_SEAL_AD) - 1)

/* ---- sealing ----------------------------------------------------------- */

int sp_report_seal_key(const uint8_t key[SP_REPORT_CKEY_BYTES],
		       const struct sp_report_reader *reader, struct sp_report_key *out)
{
	if (key == NULL || reader == NULL || reader->inst == NULL || reader->x25519_pk == NULL ||
	    out == NULL)
		return SP_ERR_ARG;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	out->inst = sp_str_of(reader->inst);
	if (out->inst.n == 0 || out->inst.n > SP_INST_ID_MAX)
		return SP_ERR_ARG;
	if (crypto_box_seal(out->boxed, key, SP_REPORT_CKEY_BYTES, reader->x25519_pk) != 0)
		return SP_ERR_INTERNAL;
	return 0;
}

/* sort_keys orders the copies by institution id (insertion sort: n <= 16)
 * and refuses an id given twice. */
static int sort_keys(struct sp_report_key *k, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sp_report_key t = k[i];
		size_t j = i;

		for (; j > 0 && sp_str_cmp(k[j - 1].inst, t.inst) > 0; j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
	for (size_t i = 1; i < n; i++)
		if (sp_str_cmp(k[i - 1].inst, k[i].inst) == 0)
			return SP_ERR_ARG;
	return 0;
}

static int seal_keys(const uint8_t *key, const struct sp_report_reader *readers, size_t n,
		     struct sp_report_sealed *s)
{
	int err = 0;

	for (size_t i = 0; err == 0 && i < n; i++)
		err = sp_report_seal_key(key, &readers[i], &s->keys[i]);
	s->n_keys = n;
	return err ? err : sort_keys(s->keys, n);
}

int sp_report_seal(const uint8_t *plain, size_t plain_len, const struct sp_report_reader *readers,
		   size_t n, struct sp_report_sealed *s, uint8_t **ct_out,
		   uint8_t key_out[SP_REPORT_CKEY_BYTES])
{
	uint8_t key[SP_REPORT_CKEY_BYTES];
	unsigned long long ct_len;
	uint8_t *ct;
	int err;

	if (plain == NULL || readers == NULL || n == 0 || n > SP_REPORT_MAX_KEYS || s == NULL ||
	    ct_out == NULL)
		return SP_ERR_ARG;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	memset(s, 0, sizeof(*s));
	ct = malloc(plain_len + crypto_aead_xchacha20poly1305_ietf_ABYTES);
	if (ct == NULL)
		return SP_ERR_NOMEM;
	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	randombytes_buf(s->nonce, sizeof(s->nonce));
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ct_len, plain, plain_len,
						   (const uint8_t *)SP_REPORT_SEAL_AD, SEAL_AD_LEN,
						   NULL, s->nonce, key);
	err = seal_keys(key, readers, n, s);
	if (err == 0 && key_out)
		memcpy(key_out, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	if (err) {
		free(ct);
		return err;
	}
	s->ct = ct;
	s->ct_len = (size_t)ct_len;
	*ct_out = ct;
	return 0;
}

int sp_report_open_key(const struct sp_report_key *keys, size_t n, const char *inst,
		       const uint8_t pk[SP_REPORT_X25519_BYTES],
		       const uint8_t sk[SP_REPORT_X25519_BYTES],
		       uint8_t key_out[SP_REPORT_CKEY_BYTES])
{
	if ((keys == NULL && n) || inst == NULL || pk == NULL || sk == NULL || key_out == NULL)
		return SP_ERR_ARG;
	for (size_t i = 0; i < n; i++) {
		if (!sp_str_eq(keys[i].inst, inst))
			continue;
		if (crypto_box_seal_open(key_out, keys[i].boxed, SP_REPORT_BOX_BYTES, pk, sk) != 0)
			return SP_ERR_SEALED;
		return 0;
	}
	return SP_ERR_SEALED;
}

int sp_report_open(const struct sp_report_sealed *s, const uint8_t key[SP_REPORT_CKEY_BYTES],
		   uint8_t **plain, size_t *plain_len)
{
	unsigned long long n;
	uint8_t *p;

	if (s == NULL || s->ct == NULL || key == NULL || plain == NULL || plain_len == NULL ||
	    s->ct_len < crypto_aead_xchacha20poly1305_ietf_ABYTES)
		return SP_ERR_ARG;
	/* +1: malloc(0) may return NULL for an empty plaintext. */
	p = malloc(s->ct_len - crypto_aead_xchacha20poly1305_ietf_ABYTES + 1);
	if (p == NULL)
		return SP_ERR_NOMEM;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, &n, NULL, s->ct, s->ct_len,
						       (const uint8_t *)SP_REPORT_SEAL_AD,
						       SEAL_AD_LEN, s->nonce, key) != 0) {
		free(p);
		return SP_ERR_SEALED;
	}
	*plain = p;
	*plain_len = (size_t)n;
	return 0;
}

/* ---- sealed attachments ------------------------------------------------ */

#define ATTACH_AD_LEN (sizeof(SP_REPORT_ATTACH_AD) - 1)
_Static_assert(SP_REPORT_BLOB_OVERHEAD ==
		       SP_REPORT_NONCE_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES,
	       "blob overhead is the nonce and the AEAD tag");

/* blob_ad builds SP_REPORT_ATTACH_AD || media_type into a new buffer. */
static uint8_t *blob_ad(const char *media_type, size_t *len)
{
	size_t tl = strlen(media_type);
	uint8_t *ad = malloc(ATTACH_AD_LEN + tl);

	if (ad == NULL)
		return NULL;
	memcpy(ad, SP_REPORT_ATTACH_AD, ATTACH_AD_LEN);
	memcpy(ad + ATTACH_AD_LEN, media_type, tl);
	*len = ATTACH_AD_LEN + tl;
	return ad;
}

int sp_report_seal_blob(const uint8_t key[SP_REPORT_CKEY_BYTES], const char *media_type,
			const uint8_t *plain, size_t len, struct sp_buf *out)
{
	size_t ad_len = 0, n = SP_REPORT_BLOB_OVERHEAD + len;
	uint8_t *ad, *blob;

	if (key == NULL || media_type == NULL || (plain == NULL && len) || out == NULL)
		return SP_ERR_ARG;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	ad = blob_ad(media_type, &ad_len);
	blob = ad ? malloc(n) : NULL;
	if (blob == NULL) {
		free(ad);
		return SP_ERR_NOMEM;
	}
	randombytes_buf(blob, SP_REPORT_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + SP_REPORT_NONCE_BYTES, NULL, plain, len,
						   ad, ad_len, NULL, blob, key);
	sp_buf_put(out, blob, n);
	free(ad);
	free(blob);
	return out->err;
}

int sp_report_open_blob(const uint8_t key[SP_REPORT_CKEY_BYTES], const char *media_type,
			const uint8_t *blob, size_t len, uint8_t **plain, size_t *plain_len)
{
	unsigned long long n;
	size_t ad_len = 0;
	uint8_t *ad;
	int ok;

	if (key == NULL || media_type == NULL || blob == NULL || plain == NULL ||
	    plain_len == NULL)
		return SP_ERR_ARG;
	*plain = NULL;
	if (len < SP_REPORT_BLOB_OVERHEAD)
		return SP_ERR_SEALED;
	ad = blob_ad(media_type, &ad_len);
	/* +1: malloc(0) may return NULL for an empty file. */
	*plain = ad ? malloc(len - SP_REPORT_BLOB_OVERHEAD + 1) : NULL;
	if (*plain == NULL) {
		free(ad);
		return SP_ERR_NOMEM;
	}
	ok = crypto_aead_xchacha20poly1305_ietf_decrypt(
		     *plain, &n, NULL, blob + SP_REPORT_NONCE_BYTES, len - SP_REPORT_NONCE_BYTES, ad,
		     ad_len, blob, key) == 0;
	free(ad);
	if (!ok) {
		free(*plain);
		*plain = NULL;
		return SP_ERR_SEALED;
	}
	*plain_len = (size_t)n;
	return 0;
}

/* ---- open requests ---------------------------------------------------- */

#define OPEN_DOMAIN_LEN (sizeof(SP_REPORT_OPEN_DOMAIN) - 1)

/* open_message builds the signed message of q (docs in sp_report.h). */
static void open_message(struct sp_buf *m, const struct sp_report_open_req *q)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(q->issued_ms >> (56 - 8 * i));
	sp_buf_put(m, SP_REPORT_OPEN_DOMAIN, OPEN_DOMAIN_LEN);
	sp_buf_put(m, q->report, SP_HASH_BYTES);
	sp_buf_put(m, q->officer, SP_KEY_BYTES);
	sp_buf_put(m, be, sizeof(be));
	sp_buf_put(m, q->purpose.p, q->purpose.n);
}

static int purpose_ok(struct sp_str p)
{
	return p.p && p.n >= 1 && p.n <= SP_REPORT_PURPOSE_MAX && memchr(p.p, 0, p.n) == NULL;
}

int sp_report_open_req_sign(struct sp_report_open_req *q,
			    const uint8_t officer_sk[SP_SECRET_BYTES])
{
	struct sp_buf m;
	int err;

	if (q == NULL || officer_sk == NULL)
		return SP_ERR_ARG;
	if (!purpose_ok(q->purpose))
		return SP_ERR_REPORT_FIELD;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	crypto_sign_ed25519_sk_to_pk(q->officer, officer_sk);
	sp_buf_init(&m);
	open_message(&m, q);
	err = m.err;
	if (err == 0)
		crypto_sign_ed25519_detached(q->sig, NULL, m.p, m.len, officer_sk);
	sp_buf_free(&m);
	return err;
}

int sp_report_open_req_verify(const struct sp_report_open_req *q, uint64_t now_ms,
			      uint64_t window_ms)
{
	struct sp_buf m;
	int err;

	if (q == NULL)
		return SP_ERR_ARG;
	if (!purpose_ok(q->purpose))
		return SP_ERR_REPORT_FIELD;
	if (sodium_init() < 0)
		return SP_ERR_INTERNAL;
	sp_buf_init(&m);
	open_message(&m, q);
	err = m.err;
	if (err == 0 && crypto_sign_ed25519_verify_detached(q->sig, m.p, m.len, q->officer) != 0)
		err = SP_ERR_BAD_SIGNATURE;
	sp_buf_free(&m);
	if (err == 0 && (q->issued_ms > now_ms ? q->issued_ms - now_ms : now_ms - q->issued_ms) >
				window_ms)
		err = SP_ERR_REPLAY;
	return err;
}

/*
 * sp_note.c - C2SP signed notes (c2sp.org/signed-note), checkpoints
 * (c2sp.org/tlog-checkpoint), Ed25519 cosignatures (c2sp.org/tlog-cosignature,
 * cosignature/v1) and offline inclusion receipts (c2sp.org/tlog-proof).
 *
 * Other implementations (golang.org/x/mod/sumdb/note, filippo.io/torchwood,
 * witnesses, monitors) read what we write and write what we read, so the
 * parsers follow the specs to the letter and, where the specs leave room,
 * the behaviour of those Go reference implementations:
 *  - a note is valid UTF-8 without ASCII control characters other than
 *    newline; its text is everything up to and including the newline that
 *    starts the last empty line; every line after it is a signature line
 *    "— <name> <base64>" with a valid key name and at least 5 decoded bytes;
 *  - base64 is RFC 4648 standard with padding. libsodium's decoder also
 *    rejects non-zero trailing bits, which no conforming encoder produces;
 *  - tree sizes, indexes and timestamps are at most 2^63 - 1 (the Go tools
 *    use int64, and tlog-cosignature says so for timestamps).
 *
 * We are stricter than Go in one place: every signature line by a known key
 * is verified, even a repeated one (signed-note: "If the key name and ID
 * match a known key, verifiers MUST verify the signature").
 */
#include "sp_note.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"

#define EM_DASH        "\xe2\x80\x94"
#define SIG_PREFIX     EM_DASH " " /* starts every signature line */
#define SIG_PREFIX_LEN 4
#define COSIG_HEADER   "cosignature/v1\n"
#define PROOF_HEADER   "c2sp.org/tlog-proof@v1\n"
#define B64_HASH_LEN   44  /* base64 of 32 bytes, with one '=' */
#define ORIGIN_INTEROP 255 /* longest origin torchwood and ML-DSA cosigners take */
#define ED25519_SIG    64
#define COSIG_SIG      (8 + 64) /* timestamp || Ed25519 signature */
#define DECIMAL_MAX    20       /* digits of UINT64_MAX */

/* ---- small helpers ----------------------------------------------------- */

/* buf_result reports an output buffer's latched error, if any. */
static int buf_result(const struct sp_buf *b)
{
	return b->err;
}

/* put_decimal appends v in ASCII decimal without leading zeros. */
static void put_decimal(struct sp_buf *b, uint64_t v)
{
	char tmp[DECIMAL_MAX];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sp_buf_put(b, tmp + i, sizeof(tmp) - i);
}

/* put_b64 appends the standard, padded base64 of bin[0..n). Short inputs
 * (keys, signatures, hashes) are encoded on the stack. */
static void put_b64(struct sp_buf *b, const uint8_t *bin, size_t n)
{
	char small[256];
	size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *s = small;

	if (need > sizeof(small)) {
		s = malloc(need);
		if (s == NULL) {
			if (!b->err)
				b->err = SP_ERR_NOMEM;
			return;
		}
	}
	sodium_bin2base64(s, need, bin, n, sodium_base64_VARIANT_ORIGINAL);
	sp_buf_put(b, s, need - 1);
	if (s != small)
		free(s);
}

/* b64_decoded_len gives the length s[0..n) decodes to, or SIZE_MAX if it
 * cannot be padded standard base64 (wrong length or misplaced '='). */
static size_t b64_decoded_len(const char *s, size_t n)
{
	size_t pad = 0;

	if (n % 4 != 0)
		return SIZE_MAX;
	if (n > 0 && s[n - 1] == '=')
		pad = (n > 1 && s[n - 2] == '=') ? 2 : 1;
	return n / 4 * 3 - pad;
}

static int b64_alphabet(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '+' || ch == '/';
}

/* b64_decode decodes all of s[0..n) into bin (capacity max). 0 on
 * success, SP_ERR_BASE64 if s is not canonical padded standard base64 or
 * decodes to more than max bytes. */
static int b64_decode(const char *s, size_t n, uint8_t *bin, size_t max, size_t *out_len)
{
	size_t len = 0, need = b64_decoded_len(s, n);

	if (need > max)
		return SP_ERR_BASE64;
	/* libsodium 1.0.18 decodes every byte >= 0x80 as if it were '/'
	 * (found by fuzz_note), so other texts would pass for canonical ones:
	 * check the alphabet here. Only padding may follow the data. */
	for (size_t i = 0; i < n; i++)
		if (!b64_alphabet(s[i]) && !(s[i] == '=' && i >= n - (n / 4 * 3 - need)))
			return SP_ERR_BASE64;
	if (n == 0) {
		*out_len = 0;
		return 0;
	}
	if (sodium_base642bin(bin, max, s, n, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) !=
	    0)
		return SP_ERR_BASE64;
	*out_len = len;
	return 0;
}

/* parse_decimal reads s[0..n) as ASCII decimal without leading zeros (bar
 * "0" itself), at most max. */
static int parse_decimal(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > DECIMAL_MAX || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9 || x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* next_line finds the line starting at p[*pos] within p[0..len): its
 * length without the newline goes to *n and *pos moves past the newline.
 * -1 if no newline is left. */
static int next_line(const char *p, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return -1;
	nl = memchr(p + *pos, '\n', len - *pos);
	if (nl == NULL)
		return -1;
	*line = p + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return 0;
}

static void put_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be64(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

/* ---- UTF-8 and names --------------------------------------------------- */

/* utf8_next decodes one well-formed UTF-8 sequence (no overlong forms, no
 * surrogates, nothing above U+10FFFF) at s[0..n). Returns its length, or 0
 * if the bytes are not valid UTF-8. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return len;
}

/* text_ok: valid UTF-8 with no ASCII control character but newline, the
 * signed-note rule for a whole note. */
static int text_ok(const char *text, size_t n)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t i = 0;
	uint32_t cp;

	while (i < n) {
		size_t k = utf8_next(s + i, n - i, &cp);
		if (k == 0 || (cp < 0x20 && cp != '\n'))
			return 0;
		i += k;
	}
	return 1;
}

/* is_space matches Go's unicode.IsSpace, which the reference note
 * implementation uses for "Unicode spaces": the White_Space property. */
static int is_space(uint32_t cp)
{
	if (cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0)
		return 1;
	return cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* name_ok: a key name is non-empty UTF-8 without Unicode spaces or '+'.
 * Control characters, which a note may not hold anyway, are refused too. */
static int name_ok(const char *name, size_t n)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t i = 0;
	uint32_t cp;

	if (n == 0)
		return 0;
	while (i < n) {
		size_t k = utf8_next(s + i, n - i, &cp);
		if (k == 0 || cp < 0x20 || cp == '+' || is_space(cp))
			return 0;
		i += k;
	}
	return 1;
}

/* ---- keys -------------------------------------------------------------- */

/* key_id = SHA-256(name || "\n" || type || public key)[:4]. */
static void key_id(const char *name, size_t n, uint8_t type, const uint8_t pk[32], uint8_t id[4])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, n);
	crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&st, &type, 1);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	memcpy(id, h, 4);
}

static int type_ok(uint8_t type)
{
	return type == SP_NOTE_TYPE_ED25519 || type == SP_NOTE_TYPE_COSIG;
}

static int key_init_n(struct sp_note_key *k, const char *name, size_t n, uint8_t type,
                      const uint8_t pk[32])
{
	if (n > SP_NOTE_NAME_MAX || !name_ok(name, n) || !type_ok(type))
		return SP_ERR_KEY_FORMAT;
	memcpy(k->name, name, n);
	k->name[n] = '\0';
	k->type = type;
	memcpy(k->pk, pk, 32);
	key_id(name, n, type, pk, k->id);
	return 0;
}

int sp_note_key_init(struct sp_note_key *k, const char *name, uint8_t type, const uint8_t pk[32])
{
	return key_init_n(k, name, strnlen(name, SP_NOTE_NAME_MAX + 1), type, pk);
}

void sp_note_vkey_format(const struct sp_note_key *k, struct sp_buf *out)
{
	char hex[9];
	uint8_t raw[33];

	sodium_bin2hex(hex, sizeof(hex), k->id, 4);
	raw[0] = k->type;
	memcpy(raw + 1, k->pk, 32);
	sp_buf_put_cstr(out, k->name);
	sp_buf_put(out, "+", 1);
	sp_buf_put(out, hex, 8);
	sp_buf_put(out, "+", 1);
	put_b64(out, raw, sizeof(raw));
}

/* hex8 reads exactly 8 hex digits (either case, as Go's ParseUint does). */
static int hex8(const char *s, uint8_t id[4])
{
	size_t n = 0;

	for (int i = 0; i < 8; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return -1;
	if (sodium_hex2bin(id, 4, s, 8, NULL, &n, NULL) != 0 || n != 4)
		return -1;
	return 0;
}

int sp_note_vkey_parse(const char *s, struct sp_note_key *k)
{
	const char *plus = strchr(s, '+');
	const char *b64;
	uint8_t id[4], raw[33];
	size_t name_len, n;

	if (plus == NULL)
		return SP_ERR_KEY_FORMAT;
	name_len = (size_t)(plus - s);
	/* The key id field runs to the next '+': exactly 8 hex digits. */
	if (strnlen(plus + 1, 9) < 9 || plus[9] != '+' || hex8(plus + 1, id) != 0)
		return SP_ERR_KEY_FORMAT;
	b64 = plus + 10;
	if (b64_decode(b64, strlen(b64), raw, sizeof(raw), &n) != 0 || n != sizeof(raw))
		return SP_ERR_KEY_FORMAT;
	if (key_init_n(k, s, name_len, raw[0], raw + 1) != 0)
		return SP_ERR_KEY_FORMAT;
	if (memcmp(k->id, id, 4) != 0)
		return SP_ERR_KEY_FORMAT;
	return 0;
}

/* ---- notes ------------------------------------------------------------- */

/* sig_decode decodes a signature's base64 into s: key id, then up to
 * sizeof(s->sig) signature bytes. Longer signatures (other algorithms, e.g.
 * ML-DSA cosignatures, which verifiers must ignore rather than reject) are
 * checked in full but only their head is kept; s->sig_len stays the true
 * length, so such a signature never matches a length we verify. */
static int sig_decode(const char *b64, size_t n, struct sp_note_sig *s)
{
	uint8_t small[4 + sizeof(s->sig)];
	uint8_t *bin = small;
	size_t need = b64_decoded_len(b64, n), len = 0;
	int err;

	if (n == 0 || need == SIZE_MAX || need < 5)
		return SP_ERR_NOTE_FORMAT;
	if (need > sizeof(small)) {
		bin = malloc(need);
		if (bin == NULL)
			return SP_ERR_NOMEM;
	}
	err = b64_decode(b64, n, bin, need, &len);
	if (err == 0 && len == need) {
		memcpy(s->id, bin, 4);
		s->sig_len = len - 4;
		memcpy(s->sig, bin + 4, s->sig_len < sizeof(s->sig) ? s->sig_len : sizeof(s->sig));
	} else {
		err = SP_ERR_NOTE_FORMAT;
	}
	if (bin != small)
		free(bin);
	return err;
}

/* parse_sig_line reads "— <name> <base64>" (without its newline). */
static int parse_sig_line(const char *line, size_t n, struct sp_note_sig *s)
{
	const char *sp;

	if (n < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return SP_ERR_NOTE_FORMAT;
	line += SIG_PREFIX_LEN;
	n -= SIG_PREFIX_LEN;
	sp = memchr(line, ' ', n);
	if (sp == NULL)
		return SP_ERR_NOTE_FORMAT;
	s->name = line;
	s->name_len = (size_t)(sp - line);
	if (!name_ok(s->name, s->name_len))
		return SP_ERR_NOTE_FORMAT;
	return sig_decode(sp + 1, n - s->name_len - 1, s);
}

/* last_blank finds the newline that ends the text: the first of the last
 * "\n\n" in the note. */
static int last_blank(const char *note, size_t len, size_t *at)
{
	for (size_t i = len - 1; i > 0; i--) {
		if (note[i] == '\n' && note[i - 1] == '\n') {
			*at = i - 1;
			return 0;
		}
	}
	return -1;
}

int sp_note_parse(const char *note, size_t len, struct sp_note *out)
{
	size_t split, pos, n;
	const char *line;
	int err;

	if (len < 2 || len > SP_NOTE_MAX || !text_ok(note, len) || note[len - 1] != '\n')
		return SP_ERR_NOTE_FORMAT;
	if (last_blank(note, len, &split) != 0)
		return SP_ERR_NOTE_FORMAT;
	out->text = note;
	out->text_len = split + 1;
	out->nsigs = 0;
	pos = split + 2;
	if (pos >= len)
		return SP_ERR_NOTE_FORMAT; /* no signature lines */
	while (next_line(note, len, &pos, &line, &n) == 0) {
		if (out->nsigs == SP_NOTE_MAX_SIGS)
			return SP_ERR_NOTE_FORMAT;
		err = parse_sig_line(line, n, &out->sigs[out->nsigs]);
		if (err != 0)
			return err;
		out->nsigs++;
	}
	return 0;
}

/* put_sig_line appends "— <name> <base64(id || sig)>\n". */
static void put_sig_line(struct sp_buf *out, const char *name, const uint8_t id[4],
                         const uint8_t *sig, size_t n)
{
	uint8_t raw[4 + COSIG_SIG];

	memcpy(raw, id, 4);
	memcpy(raw + 4, sig, n);
	sp_buf_put_cstr(out, SIG_PREFIX);
	sp_buf_put_cstr(out, name);
	sp_buf_put(out, " ", 1);
	put_b64(out, raw, 4 + n);
	sp_buf_put(out, "\n", 1);
}

/* sig_line_len is the length of a signature line with n signature bytes. */
static size_t sig_line_len(size_t name_len, size_t n)
{
	return SIG_PREFIX_LEN + name_len + 1 + (4 + n + 2) / 3 * 4 + 1;
}

/* check_signer validates a signer's name for a note of text_len bytes that
 * gets one more signature line of sig_n bytes. */
static int check_signer(const char *name, size_t text_len, size_t sig_n)
{
	size_t n = strnlen(name, SP_NOTE_NAME_MAX + 1);

	if (n > SP_NOTE_NAME_MAX || !name_ok(name, n))
		return SP_ERR_KEY_FORMAT;
	if (text_len > SP_NOTE_MAX || SP_NOTE_MAX - text_len < 1 + sig_line_len(n, sig_n))
		return SP_ERR_RANGE; /* the note would be too long to open */
	return 0;
}

int sp_note_sign(const char *text, size_t len, const char *name, const uint8_t sk[64],
                 struct sp_buf *out)
{
	uint8_t pk[32], id[4], sig[ED25519_SIG];
	int err;

	if (len == 0 || text[len - 1] != '\n' || !text_ok(text, len))
		return SP_ERR_NOTE_FORMAT;
	err = check_signer(name, len, ED25519_SIG);
	if (err != 0)
		return err;
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	key_id(name, strlen(name), SP_NOTE_TYPE_ED25519, pk, id);
	crypto_sign_detached(sig, NULL, (const uint8_t *)text, len, sk);
	sp_buf_put(out, text, len);
	sp_buf_put(out, "\n", 1);
	put_sig_line(out, name, id, sig, sizeof(sig));
	return buf_result(out);
}

/* ---- cosignatures ------------------------------------------------------ */

/* cosig_message builds "cosignature/v1\ntime <t>\n" || body. */
static int cosig_message(const char *body, size_t len, uint64_t t, struct sp_buf *msg)
{
	sp_buf_init(msg);
	sp_buf_put_cstr(msg, COSIG_HEADER);
	sp_buf_put_cstr(msg, "time ");
	put_decimal(msg, t);
	sp_buf_put(msg, "\n", 1);
	sp_buf_put(msg, body, len);
	return buf_result(msg);
}

/* cosig_check verifies a cosignature/v1 (timestamp || Ed25519 signature)
 * over the note text. Like torchwood, a text that is not a checkpoint or a
 * timestamp over 2^63 - 1 fails. 0 if valid, SP_ERR_BAD_SIGNATURE if not. */
static int cosig_check(const char *text, size_t len, const struct sp_note_sig *s,
                       const uint8_t pk[32], uint64_t *timestamp)
{
	struct sp_checkpoint c;
	struct sp_buf msg;
	uint64_t t;
	int err;

	if (s->sig_len != COSIG_SIG)
		return SP_ERR_BAD_SIGNATURE;
	t = get_be64(s->sig);
	if (t > INT64_MAX || sp_checkpoint_parse(text, len, &c) != 0)
		return SP_ERR_BAD_SIGNATURE;
	err = cosig_message(text, len, t, &msg);
	if (err == 0 && crypto_sign_verify_detached(s->sig + 8, msg.p, msg.len, pk) != 0)
		err = SP_ERR_BAD_SIGNATURE;
	sp_buf_free(&msg);
	if (err == 0 && timestamp != NULL)
		*timestamp = t;
	return err;
}

static int sig_matches(const struct sp_note_sig *s, const struct sp_note_key *k)
{
	return s->name_len == strlen(k->name) && memcmp(s->name, k->name, s->name_len) == 0 &&
	       memcmp(s->id, k->id, 4) == 0;
}

/* check_sig verifies one signature line against the key it names. */
static int check_sig(const struct sp_note *n, const struct sp_note_sig *s,
                     const struct sp_note_key *k)
{
	if (k->type == SP_NOTE_TYPE_COSIG)
		return cosig_check(n->text, n->text_len, s, k->pk, NULL);
	if (s->sig_len != ED25519_SIG ||
	    crypto_sign_verify_detached(s->sig, (const uint8_t *)n->text, n->text_len, k->pk) != 0)
		return SP_ERR_BAD_SIGNATURE;
	return 0;
}

int sp_note_verify(const char *note, size_t len, const struct sp_note_key *keys, size_t nkeys,
                   struct sp_note *out, uint64_t *verified)
{
	struct sp_note local;
	uint64_t mask = 0;
	int err;

	if (nkeys > 64 || (nkeys > 0 && keys == NULL))
		return SP_ERR_ARG; /* one bit of *verified per key */
	for (size_t j = 0; j < nkeys; j++)
		if (!type_ok(keys[j].type))
			return SP_ERR_ARG;
	if (out == NULL)
		out = &local;
	err = sp_note_parse(note, len, out);
	if (err != 0)
		return err;
	for (size_t i = 0; i < out->nsigs; i++) {
		for (size_t j = 0; j < nkeys; j++) {
			if (!sig_matches(&out->sigs[i], &keys[j]))
				continue;
			err = check_sig(out, &out->sigs[i], &keys[j]);
			if (err != 0)
				return err;
			mask |= UINT64_C(1) << j;
		}
	}
	if (verified != NULL)
		*verified = mask;
	return mask ? 0 : SP_ERR_NOTE_NO_SIG;
}

int sp_cosig_line(const char *body, size_t len, uint64_t timestamp, const char *name,
                  const uint8_t sk[64], struct sp_buf *out)
{
	struct sp_checkpoint c;
	struct sp_buf msg;
	uint8_t pk[32], id[4], sig[COSIG_SIG];
	size_t n = strnlen(name, SP_NOTE_NAME_MAX + 1);
	int err;

	if (timestamp > INT64_MAX)
		return SP_ERR_ARG; /* tlog-cosignature: MUST NOT exceed 2^63 - 1 */
	if (n > SP_NOTE_NAME_MAX || !name_ok(name, n))
		return SP_ERR_KEY_FORMAT;
	err = sp_checkpoint_parse(body, len, &c);
	if (err != 0)
		return err;
	err = cosig_message(body, len, timestamp, &msg);
	if (err == 0) {
		crypto_sign_ed25519_sk_to_pk(pk, sk);
		key_id(name, n, SP_NOTE_TYPE_COSIG, pk, id);
		put_be64(sig, timestamp);
		crypto_sign_detached(sig + 8, NULL, msg.p, msg.len, sk);
		put_sig_line(out, name, id, sig, sizeof(sig));
		err = buf_result(out);
	}
	sp_buf_free(&msg);
	return err;
}

int sp_cosig_verify(const char *note, size_t len, const struct sp_note_key *witness,
                    uint64_t *timestamp)
{
	struct sp_note n;
	int found = 0, err;
	uint64_t t, first = 0;

	if (witness->type != SP_NOTE_TYPE_COSIG)
		return SP_ERR_ARG;
	err = sp_note_parse(note, len, &n);
	if (err != 0)
		return err;
	/* Every line by the witness must hold; report the first one's time. */
	for (size_t i = 0; i < n.nsigs; i++) {
		if (!sig_matches(&n.sigs[i], witness))
			continue;
		err = cosig_check(n.text, n.text_len, &n.sigs[i], witness->pk, &t);
		if (err != 0)
			return err;
		if (!found)
			first = t;
		found = 1;
	}
	if (!found)
		return SP_ERR_NOTE_NO_SIG;
	if (timestamp != NULL)
		*timestamp = first;
	return 0;
}

/* ---- checkpoints ------------------------------------------------------- */

void sp_checkpoint_format(const struct sp_checkpoint *c, struct sp_buf *out)
{
	sp_buf_put_cstr(out, c->origin);
	sp_buf_put(out, "\n", 1);
	put_decimal(out, c->size);
	sp_buf_put(out, "\n", 1);
	put_b64(out, c->root, sizeof(c->root));
	sp_buf_put(out, "\n", 1);
}

/* extensions_ok: what follows the root is zero or more non-empty lines. */
static int extensions_ok(const char *body, size_t len, size_t pos)
{
	const char *line;
	size_t n;

	while (pos < len) {
		if (next_line(body, len, &pos, &line, &n) != 0 || n == 0)
			return 0;
	}
	return 1;
}

int sp_checkpoint_parse(const char *body, size_t len, struct sp_checkpoint *c)
{
	const char *origin, *size, *root;
	size_t pos = 0, on, sn, rn, n;

	if (len > SP_NOTE_MAX || !text_ok(body, len))
		return SP_ERR_CHECKPOINT;
	if (next_line(body, len, &pos, &origin, &on) != 0 ||
	    next_line(body, len, &pos, &size, &sn) != 0 ||
	    next_line(body, len, &pos, &root, &rn) != 0)
		return SP_ERR_CHECKPOINT;
	if (on == 0 || on > SP_ORIGIN_MAX)
		return SP_ERR_CHECKPOINT;
	if (parse_decimal(size, sn, INT64_MAX, &c->size) != 0)
		return SP_ERR_CHECKPOINT;
	if (rn != B64_HASH_LEN || b64_decode(root, rn, c->root, sizeof(c->root), &n) != 0 ||
	    n != sizeof(c->root))
		return SP_ERR_CHECKPOINT;
	if (!extensions_ok(body, len, pos))
		return SP_ERR_CHECKPOINT;
	memcpy(c->origin, origin, on);
	c->origin[on] = '\0';
	return 0;
}

int sp_checkpoint_sign(const struct sp_checkpoint *c, const uint8_t sk[64], struct sp_buf *out)
{
	struct sp_buf body;
	size_t on = strnlen(c->origin, sizeof(c->origin));
	int err;

	/* Refuse what other tools would not take back. */
	if (on == 0 || on > ORIGIN_INTEROP || c->size > INT64_MAX)
		return SP_ERR_ARG;
	sp_buf_init(&body);
	sp_checkpoint_format(c, &body);
	err = buf_result(&body);
	if (err == 0)
		err = sp_note_sign((const char *)body.p, body.len, c->origin, sk, out);
	sp_buf_free(&body);
	return err;
}

int sp_checkpoint_open(const char *note, size_t len, const struct sp_note_key *log_key,
                       struct sp_checkpoint *c)
{
	struct sp_note n;
	int err;

	if (log_key->type != SP_NOTE_TYPE_ED25519)
		return SP_ERR_ARG;
	err = sp_note_verify(note, len, log_key, 1, &n, NULL);
	if (err != 0)
		return err;
	err = sp_checkpoint_parse(n.text, n.text_len, c);
	if (err != 0)
		return err;
	if (strcmp(c->origin, log_key->name) != 0)
		return SP_ERR_CHECKPOINT; /* signed by the log, but for another origin */
	return 0;
}

/* ---- receipts ---------------------------------------------------------- */

int sp_receipt_format(uint64_t index, const sp_hash *proof, size_t n, const char *checkpoint,
                      size_t cp_len, const uint8_t *extra, size_t extra_len, struct sp_buf *out)
{
	struct sp_note note;
	struct sp_checkpoint c;
	int err;

	if (n > SP_MERKLE_MAX_PROOF || (n > 0 && proof == NULL) || (extra_len > 0 && !extra))
		return SP_ERR_ARG;
	err = sp_note_parse(checkpoint, cp_len, &note);
	if (err != 0)
		return err;
	err = sp_checkpoint_parse(note.text, note.text_len, &c);
	if (err != 0)
		return err;
	if (index >= c.size)
		return SP_ERR_RANGE;
	sp_buf_put_cstr(out, PROOF_HEADER);
	if (extra_len > 0) {
		sp_buf_put_cstr(out, "extra ");
		put_b64(out, extra, extra_len);
		sp_buf_put(out, "\n", 1);
	}
	sp_buf_put_cstr(out, "index ");
	put_decimal(out, index);
	sp_buf_put(out, "\n", 1);
	for (size_t i = 0; i < n; i++) {
		put_b64(out, proof[i], SP_MERKLE_HASH);
		sp_buf_put(out, "\n", 1);
	}
	sp_buf_put(out, "\n", 1);
	sp_buf_put(out, checkpoint, cp_len);
	return buf_result(out);
}

/* extra_ok: the optional extra data is standard base64. It is not
 * authenticated, so we only check its syntax and never return it. */
static int extra_ok(const char *b64, size_t n)
{
	size_t need = b64_decoded_len(b64, n), got;
	uint8_t *bin;
	int err;

	if (need == SIZE_MAX)
		return 0;
	bin = malloc(need ? need : 1);
	if (bin == NULL)
		return 0;
	err = b64_decode(b64, n, bin, need, &got);
	free(bin);
	return err == 0;
}

/* A receipt's lines before the checkpoint. */
struct receipt_head {
	uint64_t index;
	sp_hash proof[SP_MERKLE_MAX_PROOF];
	size_t n;
	size_t cp_at; /* offset of the checkpoint note */
};

/* parse_proof_lines reads hash lines up to the empty line. */
static int parse_proof_lines(const char *text, size_t len, size_t *pos, struct receipt_head *h)
{
	const char *line;
	size_t n, got;

	h->n = 0;
	for (;;) {
		if (next_line(text, len, pos, &line, &n) != 0)
			return SP_ERR_NOTE_FORMAT;
		if (n == 0)
			return 0;
		if (h->n == SP_MERKLE_MAX_PROOF)
			return SP_ERR_PROOF; /* longer than any tree could need */
		if (n != B64_HASH_LEN ||
		    b64_decode(line, n, h->proof[h->n], SP_MERKLE_HASH, &got) != 0 ||
		    got != SP_MERKLE_HASH)
			return SP_ERR_NOTE_FORMAT;
		h->n++;
	}
}

static int parse_receipt_head(const char *text, size_t len, struct receipt_head *h)
{
	const char *line;
	size_t pos = 0, n;
	int err;

	if (len < strlen(PROOF_HEADER) || memcmp(text, PROOF_HEADER, strlen(PROOF_HEADER)) != 0)
		return SP_ERR_NOTE_FORMAT;
	pos = strlen(PROOF_HEADER);
	if (next_line(text, len, &pos, &line, &n) != 0)
		return SP_ERR_NOTE_FORMAT;
	if (n >= 6 && memcmp(line, "extra ", 6) == 0) {
		if (!extra_ok(line + 6, n - 6) || next_line(text, len, &pos, &line, &n) != 0)
			return SP_ERR_NOTE_FORMAT;
	}
	if (n < 6 || memcmp(line, "index ", 6) != 0 ||
	    parse_decimal(line + 6, n - 6, INT64_MAX, &h->index) != 0)
		return SP_ERR_NOTE_FORMAT;
	err = parse_proof_lines(text, len, &pos, h);
	if (err != 0)
		return err;
	h->cp_at = pos;
	return 0;
}

int sp_receipt_verify(const char *text, size_t len, const uint8_t *entry, size_t entry_len,
                      const struct sp_note_key *log_key, struct sp_receipt *out)
{
	struct receipt_head h;
	struct sp_checkpoint c;
	uint8_t leaf[SP_MERKLE_HASH];
	int err;

	err = parse_receipt_head(text, len, &h);
	if (err != 0)
		return err;
	err = sp_checkpoint_open(text + h.cp_at, len - h.cp_at, log_key, &c);
	if (err != 0)
		return err;
	if (h.index >= c.size)
		return SP_ERR_PROOF;
	sp_merkle_leaf_hash(entry, entry_len, leaf);
	if (sp_merkle_verify_inclusion(leaf, h.index, c.size, h.proof, h.n, c.root) != 0)
		return SP_ERR_PROOF;
	if (out != NULL) {
		out->index = h.index;
		out->checkpoint = c;
	}
	return 0;
}

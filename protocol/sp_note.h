/*
 * sp_note.h - C2SP signed notes, checkpoints, cosignatures and receipts.
 *
 * Implements, to the letter, so that standard tools interoperate:
 *  - c2sp.org/signed-note: text + blank line + "— <name> <base64(keyid||sig)>"
 *    lines; Ed25519 keys of type 0x01; key id = first 4 bytes of
 *    SHA-256(name || "\n" || type || public key); verifier keys written
 *    "<name>+<8 hex key id>+<base64(type || public key)>". Signatures by
 *    unknown keys are ignored; a signature by a known key that fails to
 *    verify rejects the whole note.
 *  - c2sp.org/tlog-checkpoint: body "<origin>\n<decimal size>\n<base64 root>\n"
 *    plus optional extension lines; signed with key name = origin.
 *  - c2sp.org/tlog-cosignature: cosignature/v1, key type 0x04, signed message
 *    "cosignature/v1\ntime <t>\n" || checkpoint body, signature bytes
 *    keyid(4) || timestamp(8, big-endian) || Ed25519 signature(64).
 *  - c2sp.org/tlog-proof: a receipt proving that an entry is in a log at an
 *    index, checkable offline against a signed checkpoint.
 *
 * All strings here are byte strings with explicit lengths; functions that
 * produce text append to an sp_buf (see sp_cbor.h) owned by the caller.
 */
#ifndef SP_NOTE_H
#define SP_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "sp_cbor.h"
#include "sp_merkle.h"

#define SP_NOTE_MAX 65536     /* longest note accepted */
#define SP_NOTE_NAME_MAX 256  /* longest key name, bytes, without NUL */
#define SP_NOTE_MAX_SIGS 64   /* most signature lines in one note */
#define SP_NOTE_TYPE_ED25519 0x01
#define SP_NOTE_TYPE_COSIG 0x04

/* A verifier key: who may sign, and how to recognise their lines. */
struct sp_note_key {
	char name[SP_NOTE_NAME_MAX + 1];
	uint8_t type; /* SP_NOTE_TYPE_ED25519 or SP_NOTE_TYPE_COSIG */
	uint8_t id[4];
	uint8_t pk[32];
};

/* sp_note_key_init fills k and computes its key id. SP_ERR_KEY_FORMAT if
 * the name is empty, too long, or holds whitespace or '+'. */
int sp_note_key_init(struct sp_note_key *k, const char *name, uint8_t type, const uint8_t pk[32]);

/* sp_note_vkey_format appends "<name>+<hex id>+<base64(type||pk)>". */
void sp_note_vkey_format(const struct sp_note_key *k, struct sp_buf *out);

/* sp_note_vkey_parse reads a NUL-terminated verifier key string, checking
 * that its key id matches. SP_ERR_KEY_FORMAT on any error. */
int sp_note_vkey_parse(const char *s, struct sp_note_key *k);

/* One signature line of a parsed note; pointers borrow the note text. */
struct sp_note_sig {
	const char *name;
	size_t name_len;
	uint8_t id[4];
	uint8_t sig[8 + 64]; /* decoded base64 minus the key id */
	size_t sig_len;
};

/* A parsed note. `text` is the signed text including its final newline. */
struct sp_note {
	const char *text;
	size_t text_len;
	size_t nsigs;
	struct sp_note_sig sigs[SP_NOTE_MAX_SIGS];
};

/* sp_note_parse checks the signed-note syntax (UTF-8, no control
 * characters, text ending in "\n", blank line, well-formed signature lines,
 * at least one) without verifying. SP_ERR_NOTE_FORMAT on any error. */
int sp_note_parse(const char *note, size_t len, struct sp_note *out);

/* sp_note_sign appends text[0..len) (which must end in "\n") followed by a
 * blank line and one Ed25519 signature line by (name, sk) to out. */
int sp_note_sign(const char *text, size_t len, const char *name, const uint8_t sk[64],
		 struct sp_buf *out);

/* sp_note_verify parses note and verifies every signature line whose
 * (name, key id) matches one of keys[0..nkeys) of type ED25519; COSIG keys
 * are verified as cosignatures. *verified (optional) receives a bit mask of
 * the keys that signed. Errors: SP_ERR_NOTE_FORMAT, SP_ERR_BAD_SIGNATURE
 * (a known key's signature fails), SP_ERR_NOTE_NO_SIG (no known key signed). */
int sp_note_verify(const char *note, size_t len, const struct sp_note_key *keys, size_t nkeys,
		   struct sp_note *out, uint64_t *verified);

/* ---- checkpoints ------------------------------------------------------- */

#define SP_ORIGIN_MAX 256

struct sp_checkpoint {
	char origin[SP_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t root[32];
};

/* sp_checkpoint_format appends the checkpoint body (three lines). */
void sp_checkpoint_format(const struct sp_checkpoint *c, struct sp_buf *out);

/* sp_checkpoint_parse reads a checkpoint body (extension lines allowed and
 * ignored). SP_ERR_CHECKPOINT on any error: decimal size without leading
 * zeros, root exactly 32 bytes of standard base64. */
int sp_checkpoint_parse(const char *body, size_t len, struct sp_checkpoint *c);

/* sp_checkpoint_sign appends a signed note of c's body, signed by sk under
 * key name c->origin. */
int sp_checkpoint_sign(const struct sp_checkpoint *c, const uint8_t sk[64], struct sp_buf *out);

/* sp_checkpoint_open verifies a signed checkpoint note against the log's
 * key (its name must equal the origin) and parses its body into c. */
int sp_checkpoint_open(const char *note, size_t len, const struct sp_note_key *log_key,
		       struct sp_checkpoint *c);

/* ---- cosignatures (witnesses) ----------------------------------------- */

/* sp_cosig_line appends one signature line "— <name> <base64>\n" that
 * cosigns the checkpoint body body[0..len) at `timestamp` (seconds since the
 * epoch) with the witness key (name, sk); append it to the signed note. */
int sp_cosig_line(const char *body, size_t len, uint64_t timestamp, const char *name,
		  const uint8_t sk[64], struct sp_buf *out);

/* sp_cosig_verify finds and checks the cosignature by `witness` (type
 * SP_NOTE_TYPE_COSIG) in a signed checkpoint note; *timestamp receives its
 * time. SP_ERR_NOTE_NO_SIG if absent, SP_ERR_BAD_SIGNATURE if it fails. */
int sp_cosig_verify(const char *note, size_t len, const struct sp_note_key *witness,
		    uint64_t *timestamp);

/* ---- receipts: c2sp.org/tlog-proof ------------------------------------ */

/* sp_receipt_format appends a tlog-proof for the entry at `index`: the
 * inclusion proof proof[0..n) against the signed checkpoint note
 * checkpoint[0..cp_len), with optional extra data (NULL, 0 for none). */
int sp_receipt_format(uint64_t index, const sp_hash *proof, size_t n, const char *checkpoint,
		      size_t cp_len, const uint8_t *extra, size_t extra_len, struct sp_buf *out);

/* What a verified receipt says. `checkpoint` holds the log's checkpoint. */
struct sp_receipt {
	uint64_t index;
	struct sp_checkpoint checkpoint;
};

/* sp_receipt_verify checks a tlog-proof receipt offline: the checkpoint is
 * signed by log_key, and entry[0..entry_len) is leaf `index` of that tree.
 * Errors: SP_ERR_NOTE_FORMAT (receipt syntax), the sp_checkpoint_open
 * errors, SP_ERR_PROOF. */
int sp_receipt_verify(const char *text, size_t len, const uint8_t *entry, size_t entry_len,
		      const struct sp_note_key *log_key, struct sp_receipt *out);

#endif

/*
 * sp_gossip.h - the peer protocol between Simpul nodes: messages, their
 * strict codec, the peer handshake, entry batching and a small per-peer
 * session planner. docs/replication.md describes it message by message.
 *
 * Every message is one deterministic CBOR array (sp_cbor.h)
 *
 *     [version, type, field, field, ...]
 *
 * with a fixed number of fields per type. Version is SP_GOSSIP_VERSION;
 * a peer that speaks another one is answered with ERROR and dropped.
 *
 * Pure code, like the rest of protocol/: no I/O, no clocks, no threads, no
 * randomness. Nonces and ephemeral keys come from the caller (the node
 * draws them with randombytes_buf / crypto_kx_keypair); the nng transport,
 * timers, the store and the directory are the node's business.
 *
 * Ownership. A decoded message borrows the buffer it was decoded from:
 * every string, hash, proof and entry points into it (entries are never
 * copied, so the bytes the store hashes are the bytes that arrived). The
 * arrays of a decoded message (notes, ranges, entry pointers) are
 * allocated; sp_gossip_msg_free releases them. A message the caller builds
 * for sp_gossip_encode points at the caller's memory and is never freed
 * by this module.
 */
#ifndef SP_GOSSIP_H
#define SP_GOSSIP_H

#include <stddef.h>
#include <stdint.h>

#include "sp_cbor.h"
#include "sp_entry.h"
#include "sp_merkle.h"
#include "sp_note.h"

#define SP_GOSSIP_VERSION 1

/* Limits. The entry bytes of one ENTRIES message are at most
 * SP_GOSSIP_BATCH_MAX, so a single entry of SP_ENTRY_MAX always fits; the
 * rest of the budget is for CBOR heads (<= 3 bytes per entry), the origin,
 * a checkpoint of at most SP_GOSSIP_NOTE_MAX and a 64-hash proof. */
#define SP_GOSSIP_BATCH_MAX 65536      /* entry bytes per ENTRIES message */
#define SP_GOSSIP_MAX_ENTRIES 512      /* entries per ENTRIES message */
#define SP_GOSSIP_NOTE_MAX 8192        /* a checkpoint note with its cosignatures */
#define SP_GOSSIP_MSG_MAX 81920        /* one encoded message, bytes (80 KiB) */
#define SP_GOSSIP_TAG_BYTES 32         /* session MAC appended by the transport */
/* What the nng layer sets NNG_OPT_RECVMAXSZ to: a message and its tag. */
#define SP_GOSSIP_RECV_MAX (SP_GOSSIP_MSG_MAX + SP_GOSSIP_TAG_BYTES)
#define SP_GOSSIP_FED_MAX 128          /* federation name, bytes */
#define SP_GOSSIP_LINE_MAX 1024        /* one cosignature line, bytes */
#define SP_GOSSIP_TEXT_MAX 256         /* ERROR text, bytes */
#define SP_GOSSIP_EVIDENCE_MAX 79872   /* EVIDENCE: both signed items together */
#define SP_GOSSIP_WINDOW_MAX 64        /* WANT ranges per message, and in flight */
#define SP_GOSSIP_CHUNK_MAX 65536      /* attachment bytes per ATTACH message */
#define SP_GOSSIP_ATTACH_MAX (16u << 20) /* one attachment, bytes */
#define SP_GOSSIP_NONCE_BYTES 32
#define SP_GOSSIP_AUTH_DOMAIN "simpul/peer-auth/v1\n"

/* Message types (wire values: never renumber, append). */
enum sp_gossip_type {
	SP_GOSSIP_HELLO = 1,
	SP_GOSSIP_AUTH = 2,
	SP_GOSSIP_NOTES = 3,
	SP_GOSSIP_WANT = 4,
	SP_GOSSIP_ENTRIES = 5,
	SP_GOSSIP_ANNOUNCE = 6,
	SP_GOSSIP_IHAVE = 7,
	SP_GOSSIP_GRAFT = 8,
	SP_GOSSIP_PRUNE = 9,
	SP_GOSSIP_COSIGN = 10,
	SP_GOSSIP_ATTACH_WANT = 11,
	SP_GOSSIP_ATTACH = 12,
	SP_GOSSIP_ERROR = 13,
	SP_GOSSIP_EVIDENCE = 14,
};
#define SP_GOSSIP_TYPE_LAST SP_GOSSIP_EVIDENCE

/* HELLO: who I am and this session's fresh values. `kx` is an ephemeral
 * X25519 public key (crypto_kx) from which both sides derive the session
 * MAC keys; `nonce` is 32 random bytes. */
struct sp_gossip_hello {
	const char *federation;
	size_t federation_len;
	const char *inst; /* institution id, <= SP_INST_ID_MAX */
	size_t inst_len;
	uint8_t key[SP_KEY_BYTES]; /* the node's Ed25519 log key */
	uint8_t kx[SP_KEY_BYTES];
	uint8_t nonce[SP_GOSSIP_NONCE_BYTES];
};

/* AUTH: the sender's signature over the session transcript. */
struct sp_gossip_auth {
	uint8_t sig[SP_SIG_BYTES];
};

/* One log as a side holds it: origin ("<federation>/<inst>"), durable
 * size, and the latest signed checkpoint note (NULL if none). In IHAVE the
 * checkpoint is always NULL. */
struct sp_gossip_note {
	const char *origin;
	size_t origin_len;
	uint64_t size;
	const char *checkpoint;
	size_t checkpoint_len;
};

/* NOTES and IHAVE: notes strictly ascending by origin (bytewise, a prefix
 * first). `full`: part of the sender's first, complete set; `more`: that
 * set continues in the next NOTES message. Later NOTES carry changes. */
struct sp_gossip_notes {
	int full;
	int more;
	size_t n;
	struct sp_gossip_note *notes;
};

/* A range of one log: entries [from, to). */
struct sp_gossip_range {
	const char *origin;
	size_t origin_len;
	uint64_t from, to;
};

/* WANT: ranges strictly ascending by origin (one per log), at most
 * SP_GOSSIP_WINDOW_MAX. Each is answered by exactly one ENTRIES message. */
struct sp_gossip_want {
	size_t n;
	struct sp_gossip_range *ranges;
};

/* ENTRIES: entries first .. first+count-1 of one log, exactly as signed,
 * and optionally (checkpoint != NULL) a signed checkpoint of size >=
 * first+count with an RFC 9162 consistency proof (nproof hashes, back to
 * back) from proof_from, the size the receiver said it holds. Without a
 * checkpoint proof_from and nproof are 0. `entries`/`lens` have the shape
 * sp_store_insert takes. count may be 0: "nothing from first". */
struct sp_gossip_entries {
	const char *origin;
	size_t origin_len;
	uint64_t first;
	size_t count;
	const uint8_t **entries;
	size_t *lens;
	const char *checkpoint;
	size_t checkpoint_len;
	uint64_t proof_from;
	size_t nproof;
	const uint8_t *proof; /* nproof * 32 bytes: usable as const sp_hash * */
};

/* GRAFT: make me an eager-push child for this log, from index `from`.
 * PRUNE: stop eager-pushing this log to me (from is unused, 0). */
struct sp_gossip_graft {
	const char *origin;
	size_t origin_len;
	uint64_t from;
};

/* COSIGN: a witness's cosignature line (sp_cosig_line, with its "\n") for
 * the checkpoint of `origin` at `size`. */
struct sp_gossip_cosign {
	const char *origin;
	size_t origin_len;
	uint64_t size;
	const char *line;
	size_t line_len;
};

/* EVIDENCE: two statements signed by one log's key that cannot both be
 * true (docs/replication.md, EVIDENCE). kind SP_GOSSIP_EV_ENTRY: a and b
 * are two different entries (exact signed bytes) both of index `at`.
 * kind SP_GOSSIP_EV_CHECKPOINT: a and b are two different signed
 * checkpoint notes of `origin`, `at` being a's size. The codec checks the
 * syntax (entries decode, notes parse, index or size = at); signatures and
 * the contradiction itself are the receiver's to check. */
enum sp_gossip_ev_kind { SP_GOSSIP_EV_ENTRY = 1, SP_GOSSIP_EV_CHECKPOINT = 2 };
struct sp_gossip_evidence {
	const char *origin;
	size_t origin_len;
	uint64_t kind;
	uint64_t at;
	const uint8_t *a;
	size_t a_len;
	const uint8_t *b;
	size_t b_len;
};

/* ATTACH_WANT: send the attachment whose SHA-256 is `hash`, from `offset`. */
struct sp_gossip_attach_want {
	uint8_t hash[SP_HASH_BYTES];
	uint64_t offset;
};

/* ATTACH: bytes [offset, offset+len) of an attachment of `total` bytes. */
struct sp_gossip_attach {
	uint8_t hash[SP_HASH_BYTES];
	uint64_t total;
	uint64_t offset;
	const uint8_t *data;
	size_t len;
};

/* ERROR: an sp_err code (negative) and a short text. */
struct sp_gossip_error {
	int code;
	const char *text;
	size_t text_len;
};

struct sp_gossip_msg {
	enum sp_gossip_type type;
	union {
		struct sp_gossip_hello hello;
		struct sp_gossip_auth auth;
		struct sp_gossip_notes notes;       /* NOTES */
		struct sp_gossip_want want;
		struct sp_gossip_entries entries;
		struct sp_gossip_note announce;     /* ANNOUNCE: lazy push */
		struct sp_gossip_notes ihave;       /* IHAVE: full/more 0 */
		struct sp_gossip_graft graft;       /* GRAFT and PRUNE */
		struct sp_gossip_cosign cosign;
		struct sp_gossip_attach_want attach_want;
		struct sp_gossip_attach attach;
		struct sp_gossip_error error;
		struct sp_gossip_evidence evidence;
	} u;
	void *alloc; /* set by sp_gossip_decode only; freed by sp_gossip_msg_free */
};

/* ---- codec --------------------------------------------------------------- */

/* sp_gossip_decode strictly decodes one message from buf[0..len) into *m,
 * which borrows buf (see Ownership above) and must be released with
 * sp_gossip_msg_free, also after an error. Checks: size <=
 * SP_GOSSIP_MSG_MAX (SP_ERR_RANGE); one deterministic CBOR item, nothing
 * after it (SP_ERR_CBOR_*); version (SP_ERR_ENTRY_VERSION); a known type
 * with its exact field count (SP_ERR_ENTRY_FIELD); each field's CBOR type
 * (SP_ERR_CBOR_TYPE) and length (SP_ERR_ENTRY_FIELD_SIZE); sizes and
 * indexes <= 2^63-1, ranges non-empty and not wrapping, counts within the
 * limits above and within the bytes left before anything is allocated
 * (SP_ERR_RANGE); origins strictly ascending (SP_ERR_CBOR_UNSORTED,
 * SP_ERR_CBOR_DUPKEY); every checkpoint a well-formed signed note whose
 * body is a checkpoint of the message's origin (SP_ERR_NOTE_FORMAT,
 * SP_ERR_CHECKPOINT), in ENTRIES of size >= first+count and >= proof_from
 * (SP_ERR_RANGE). It does not verify signatures or proofs. */
int sp_gossip_decode(const uint8_t *buf, size_t len, struct sp_gossip_msg *m);

/* sp_gossip_msg_free releases what sp_gossip_decode allocated (no-op for
 * messages the caller built) and clears m->alloc. */
void sp_gossip_msg_free(struct sp_gossip_msg *m);

/* sp_gossip_encode appends message m to out. It checks m by the same
 * rules as the decoder, so it never writes what a peer would refuse;
 * errors as for sp_gossip_decode. On a rule error out is left as it was;
 * on allocation failure out->err latches (SP_ERR_NOMEM) as sp_buf does. */
int sp_gossip_encode(const struct sp_gossip_msg *m, struct sp_buf *out);

/* sp_gossip_entries_pack appends one ENTRIES message carrying the longest
 * prefix of m->entries[0..m->count) that fits SP_GOSSIP_BATCH_MAX entry
 * bytes and SP_GOSSIP_MAX_ENTRIES; *taken receives its length (>= 1 when
 * m->count >= 1: any entry of <= SP_ENTRY_MAX bytes fits alone). The
 * checkpoint, if any, must have size >= m->first + m->count. */
int sp_gossip_entries_pack(const struct sp_gossip_entries *m, struct sp_buf *out, size_t *taken);

/* sp_gossip_notes_pack appends one NOTES message (full, more as in m,
 * except that `more` is forced on when not all notes fit) carrying the
 * longest prefix of m->notes that fits SP_GOSSIP_MSG_MAX; *taken receives
 * its length. Call again with the rest (full unchanged) until all are
 * sent. SP_ERR_RANGE if a single note cannot fit. */
int sp_gossip_notes_pack(const struct sp_gossip_notes *m, struct sp_buf *out, size_t *taken);

/* sp_gossip_origin_cmp orders origins bytewise, a prefix first (<0, 0, >0). */
int sp_gossip_origin_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* ---- handshake -------------------------------------------------------- */

/* The session transcript one side signs in AUTH is
 *   SP_GOSSIP_AUTH_DOMAIN ||
 *   CBOR [federation, [signer inst, signer key, signer kx, signer nonce],
 *                     [peer inst, peer key, peer kx, peer nonce]]
 * so a signature is bound to both nonces (fresh per session: no replay),
 * both keys and institutions (no relay to a third node, no reflection) and
 * both ephemeral kx keys (the MAC keys below; a relay cannot derive them). */

/* sp_gossip_auth_sign signs the transcript as `ours` (whose key must be the
 * public half of sk) talking to `peer`. SP_ERR_ARG for a different
 * federation, the same node key on both sides, or sk not matching;
 * SP_ERR_REPLAY if the peer echoed our nonce or kx key. */
int sp_gossip_auth_sign(const struct sp_gossip_hello *ours, const struct sp_gossip_hello *peer,
			const uint8_t sk[SP_SECRET_BYTES], uint8_t sig[SP_SIG_BYTES]);

/* sp_gossip_auth_verify checks the peer's AUTH signature: the transcript
 * with `peer` as signer and `ours` as the other side. Errors as for sign,
 * and SP_ERR_BAD_SIGNATURE. The caller separately checks that peer->key is
 * the directory's key for peer->inst. */
int sp_gossip_auth_verify(const struct sp_gossip_hello *ours, const struct sp_gossip_hello *peer,
			  const uint8_t sig[SP_SIG_BYTES]);

/* sp_gossip_session_keys derives this side's receive and transmit MAC keys
 * (crypto_kx) from our ephemeral kx secret and both HELLOs; the side with
 * the smaller kx public key takes the client role. Call only after AUTH
 * verified both ways. SP_ERR_BAD_SIGNATURE if the peer's kx key is
 * unusable (small order). */
int sp_gossip_session_keys(const struct sp_gossip_hello *ours, const struct sp_gossip_hello *peer,
			   const uint8_t kx_sk[SP_KEY_BYTES], uint8_t rx[SP_KEY_BYTES],
			   uint8_t tx[SP_KEY_BYTES]);

/* sp_gossip_tag computes the HMAC-SHA-256 tag of message number `seq` (0,
 * 1, 2 ... per direction after AUTH) so messages cannot be injected,
 * dropped, reordered or replayed inside a session. */
void sp_gossip_tag(const uint8_t key[SP_KEY_BYTES], uint64_t seq, const uint8_t *msg, size_t len,
		   uint8_t tag[SP_GOSSIP_TAG_BYTES]);

/* sp_gossip_tag_verify: 0 or SP_ERR_BAD_SIGNATURE (constant time). */
int sp_gossip_tag_verify(const uint8_t key[SP_KEY_BYTES], uint64_t seq, const uint8_t *msg,
			 size_t len, const uint8_t tag[SP_GOSSIP_TAG_BYTES]);

/* sp_gossip_attach_check: 0 if SHA-256(data) == hash, else
 * SP_ERR_INCONSISTENT. */
int sp_gossip_attach_check(const uint8_t hash[SP_HASH_BYTES], const uint8_t *data, size_t len);

/* ---- note sets ----------------------------------------------------------- */

/* sp_gossip_notes_delta writes to out (capacity >= ncur) the notes of cur
 * that are new or changed (size or checkpoint text) since `sent`; both
 * sets strictly ascending by origin (else SP_ERR_ARG). Logs missing from
 * cur are not reported (a node never stops holding a log mid-session). out
 * borrows cur's strings. */
int sp_gossip_notes_delta(const struct sp_gossip_note *sent, size_t nsent,
			  const struct sp_gossip_note *cur, size_t ncur, struct sp_gossip_note *out,
			  size_t *nout);

/* ---- per-peer session planner ------------------------------------------ */

/* One WANT range sent and not yet answered. */
struct sp_gossip_pending {
	char origin[SP_ORIGIN_MAX + 1];
	size_t origin_len;
	uint64_t from, to;
	int stale; /* an earlier range of the log came back short: drop the answer */
};

/* What one side knows about one session. Fixed size, no allocation; the
 * caller keeps the note sets (ours from the store, the peer's from its
 * NOTES) and passes them in. Backpressure: at most `window` WANT ranges
 * are outstanding and each is answered by one message of at most
 * SP_GOSSIP_MSG_MAX bytes, so a peer's answers occupy at most
 * window * SP_GOSSIP_MSG_MAX bytes of our buffers. */
struct sp_gossip_session {
	unsigned window;
	unsigned depth;    /* ranges per log outstanding (1 unless set) */
	uint64_t chunk;    /* entries per range with depth > 1 */
	int notes_sent;    /* our first (full) note set went out */
	int peer_started;  /* the peer's first NOTES arrived */
	int peer_complete; /* the peer's full set ended (more = 0) */
	unsigned npending;
	struct sp_gossip_pending pending[SP_GOSSIP_WINDOW_MAX];
};

/* sp_gossip_session_init clears s; window is clamped to 1..WINDOW_MAX.
 * One range per log is outstanding, as long as the peer holds more. */
void sp_gossip_session_init(struct sp_gossip_session *s, unsigned window);

/* sp_gossip_session_depth lets up to `depth` (1..window) consecutive,
 * non-overlapping ranges of one log be outstanding, each of at most
 * `chunk` (>= 1) entries: the peer serves one while the next is carried
 * and the previous one verified. Answers come back in order (the peer
 * serves WANTs in order); one that stops short of its range's end (the
 * entries did not fit one message) makes the later ranges of its log
 * stale: their answers are dropped and the log planned again from our
 * size once they are in. Pick chunk so that chunk entries fit one
 * message. */
void sp_gossip_session_depth(struct sp_gossip_session *s, unsigned depth, uint64_t chunk);

/* sp_gossip_session_our_notes picks the notes to send now: all of cur
 * (*full = 1) the first time, afterwards sp_gossip_notes_delta(sent, cur)
 * (*full = 0), where `sent` is what the caller sent so far (it keeps cur as
 * the next `sent`). out has capacity >= ncur. */
int sp_gossip_session_our_notes(struct sp_gossip_session *s, const struct sp_gossip_note *sent,
				size_t nsent, const struct sp_gossip_note *cur, size_t ncur,
				struct sp_gossip_note *out, size_t *nout, int *full);

/* sp_gossip_session_peer_notes checks the EBT rule on a received NOTES:
 * the first must be full, full parts only until the set ends, changes only
 * after it. SP_ERR_ARG if the peer breaks it. */
int sp_gossip_session_peer_notes(struct sp_gossip_session *s, const struct sp_gossip_notes *m);

/* sp_gossip_session_wants plans one WANT message: for each log in both
 * sets (ours lists every log we replicate, size 0 if still empty; ours
 * sizes include entries received and being verified) where the peer holds
 * more, fewer than `depth` ranges are outstanding and none is stale, the
 * next range [start, peer.size) (at most chunk entries with depth > 1),
 * start being ours.size or the end of the log's last outstanding range,
 * until the window is full or cap ranges are written to out. At most one
 * range per log per call (a WANT lists each log once): with depth > 1 call
 * again, one message each, until it plans nothing. Records them as
 * pending; out borrows peer's origins. SP_ERR_ARG if a set is unsorted. */
int sp_gossip_session_wants(struct sp_gossip_session *s, const struct sp_gossip_note *ours,
			    size_t nours, const struct sp_gossip_note *peer, size_t npeer,
			    struct sp_gossip_range *out, size_t cap, size_t *nout);

/* sp_gossip_session_answered matches a received ENTRIES (origin, first,
 * count) to the log's earliest pending range and frees the slot.
 * SP_ERR_NOT_FOUND if none is pending for the log (unsolicited: an eager
 * push); SP_ERR_GAP if that range was stale (drop the entries: they would
 * leave a gap); SP_ERR_RANGE if the answer does not start at the range's
 * start or overruns it (the slot is freed anyway: the caller penalises
 * the peer). A short answer makes the log's other pending ranges stale. */
int sp_gossip_session_answered(struct sp_gossip_session *s, const char *origin, size_t origin_len,
			       uint64_t first, size_t count);

/* sp_gossip_session_offers lists, for eager push, the logs in both sets
 * where we hold more than the peer: [peer.size, ours.size). */
int sp_gossip_session_offers(const struct sp_gossip_note *ours, size_t nours,
			     const struct sp_gossip_note *peer, size_t npeer,
			     struct sp_gossip_range *out, size_t cap, size_t *nout);

/* sp_gossip_serve_range clamps a received WANT range to the `held`
 * entries we have: [*from, *to) with *from = want->from; empty (*to ==
 * *from) if we have nothing from there. Pack [*from, *to) with
 * sp_gossip_entries_pack and send that one message. */
void sp_gossip_serve_range(const struct sp_gossip_range *want, uint64_t held, uint64_t *from,
			   uint64_t *to);

#endif

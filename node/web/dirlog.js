// dirlog.js - the trust anchor in the browser: the federation's directory
// verified from the coordinator's log against the federation root key,
// and the log keys derived from it (docs/web.md "Transparansi").
//
// The root key is a C2SP signed-note verifier key, `<name>+<key id>+<base64
// (0x01 || Ed25519 key)>`, whose name is the coordinator's log origin
// (`<federation>/<coordinator id>`), exactly what a node's `[federation]
// root_key` holds: the genesis root key. From it alone:
//   1. every entry up to the size the coordinator log's checkpoint states
//      is read from the log's entry bundles, and their RFC 9162 tree head
//      must equal the checkpoint's root;
//   2. each entry's author must be the coordinator's key in force: the
//      root key, until a coordinator record (signed by the key in force)
//      brings another, which signs from that entry's time on; a key never
//      goes back (docs/protocol.md §9, "Following the root key"); its
//      index its position, its prev the SHA-256 of the entry before; each
//      directory record (types 1-8) must carry a valid entry signature;
//   3. the first entry must be the coordinator's institution record;
//   4. the checkpoint must carry a valid signature by the key of the last
//      entry or a later one, so these are the entries the coordinator's
//      keys signed, all of them, in order.
// (The page does not re-check the directory's rules, e.g. the enrolment of
// the admin a request carried by a type 8 entry names; the coordinator's
// node checked them before it signed, and `simpul audit` checks them.)
// Institution records (type 1, and type 1 records carried by an
// administrator's request, type 8) are then applied in log order, the
// latest version of an institution winning: its sign_key is the key of its
// log `<federation>/<id>` and of its cosignatures. Nothing of the node's
// own /v1/directory answer is trusted for keys.
//
// A browser that verified the log before keeps what it found (`state`:
// size, root, the last entry's hash, the institutions) and on the next
// visit reads only what was added: the new checkpoint must be consistent
// with the remembered one (RFC 9162 consistency proof from the hash
// tiles), the new entries must hash, with the tree before them, to the new
// signed root, and chain to the remembered last entry; steps 2-4 apply to
// them (the state keeps the coordinator's keys and the last entry's). A checkpoint smaller than the remembered one, or not consistent
// with it, fails: the directory log was rewritten.
import { decode, readHead, readItem, concat } from './cbor.js';
import { hex } from './common.js';
import * as V from './verify.js';

const enc = new TextEncoder();
const ENTRY_DOMAIN = enc.encode('simpul/entry/v1\n');
const EV_INSTITUTION = 1, EV_ADMIN = 8, DIR_TYPES = new Set([1, 2, 3, 4, 5, 6, 7, 8]);

function b64d(s) { return Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); }

// parseVkey reads a verifier key and checks its key id: {name, pub}.
export async function parseVkey(s) {
  const m = String(s).trim().match(/^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{44})$/);
  if (!m) throw new Error('not a verifier key (name+keyid+base64)');
  const raw = b64d(m[3]);
  if (raw.length !== 33 || raw[0] !== 0x01) throw new Error('not an Ed25519 verifier key');
  const pub = raw.slice(1);
  const id = await V.keyId(m[1], 0x01, pub);
  if (V.hexd(m[2]).some((x, i) => x !== id[i])) throw new Error('the key id does not match the key');
  return { name: m[1], pub, text: `${m[1]}+${m[2]}+${m[3]}` };
}

// decodeEntry: the entry's fields and the bytes its signature covers
// (the domain, a 7-pair map head and pairs 0..6 exactly as received).
export function decodeEntry(b) {
  const h = readHead(b, 0);
  if (h.major !== 5 || h.n !== 8) throw new Error('an entry is a map of 8 pairs');
  const f = [];
  let o = h.end, sigStart = 0;
  for (let i = 0; i < 8; i++) {
    const k = readHead(b, o);
    if (k.major !== 0 || k.n !== i) throw new Error(`entry key ${i} missing`);
    if (i === 7) sigStart = o;
    const x = readItem(b, k.end);
    f.push(i === 6 ? b.slice(k.end, x.end) : x.v); // the body's exact bytes
    o = x.end;
  }
  if (o !== b.length) throw new Error('trailing bytes after the entry');
  return { author: f[1], index: f[2], prev: f[3], time: f[4], type: f[5], body: f[6], sig: f[7],
    signed: concat(ENTRY_DOMAIN, Uint8Array.of(0xa7), b.slice(h.end, sigStart)) };
}

async function verifySig(pub, sig, msg) {
  const k = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  return sig.length === 64 && crypto.subtle.verify({ name: 'Ed25519' }, k, sig, msg);
}

// institution: the fields of an institution record body the pages use.
function institution(body) {
  const r = decode(body);
  if (!(r instanceof Map) || r.size !== 10 || typeof r.get(0) !== 'string' || !(r.get(4) instanceof Uint8Array) ||
      r.get(4).length !== 32 || typeof r.get(2) !== 'number')
    throw new Error('not an institution record');
  return { id: r.get(0), name: r.get(1), tier: r.get(2), sign_key: r.get(4) };
}

// recordOf: the institution record an entry carries (itself, or inside
// an administrator's request), or null.
function recordOf(e) {
  if (e.type === EV_INSTITUTION) return institution(e.body);
  if (e.type === EV_ADMIN) {
    const a = decode(e.body);
    if (a instanceof Map && a.get(3) === EV_INSTITUTION && a.get(4) instanceof Uint8Array) return institution(a.get(4));
  }
  return null;
}

// verifyDirectory verifies the directory log named by the root key (a
// verifier key string) and derives the log keys; `saved` is the state a
// verification of the same root key returned before in this browser (or
// null: the whole log is read). It throws an Error whose message says
// which step failed; on success:
// {root, origin, size, from (entries before it were verified on an earlier
//  visit and not read again), checkpoint, records, coordinator, insts:
//  Map(id -> {id, name, tier, sign_key}), keys: {"<federation>/<id>":
//  sign_key}, rootKeys: [{pub, from}] (the coordinator's keys, genesis
//  first), state (JSON-able, for the next visit)}.
export async function verifyDirectory(rootKey, onProgress = () => {}, saved = null) {
  const root = await parseVkey(rootKey);
  const [federation, ...rest] = root.name.split('/');
  const prefix = '/logs/' + rest.join('/');
  const r = await fetch(prefix + '/checkpoint');
  if (!r.ok) throw new StepError('checkpoint', `${prefix}/checkpoint: ${r.status}`);
  const note = await r.text();
  // the size and root are read before the signature is checked: after a
  // rotation the checkpoint is signed by a key only the log itself names
  let claimed;
  try { claimed = V.parseCheckpoint(V.parseNote(note).text); } catch (e) { throw new StepError('checkpoint', e.message); }
  if (claimed.origin !== root.name) throw new StepError('checkpoint', 'origin');
  onProgress(claimed.size);
  const base = saved && saved.root === root.text && saved.size > 0 && Array.isArray(saved.rootKeys) ? saved : null;
  const from = base ? base.size : 0;
  if (base) await extends_(prefix, base, claimed);
  const raw = await V.entries(prefix, claimed.size, from);
  const leaves = await Promise.all(raw.map((x) => V.leafHash(x)));
  const head = base ? await V.appendedTreeHash(V.tileReader(prefix, claimed.size), from, leaves) : await V.treeHash(leaves);
  if (!V.eq(head, claimed.root)) throw new StepError('tree', 'root');
  const insts = new Map((base ? base.insts : []).map(([id, name, tier, key]) => [id, { id, name, tier, sign_key: V.hexd(key) }]));
  let prevHash = base ? V.hexd(base.last) : new Uint8Array(32), records = base ? base.records : 0;
  let coordinator = base ? base.coordinator : null;
  const rootKeys = base ? base.rootKeys.map(([k, t]) => ({ pub: V.hexd(k), from: t })) : [{ pub: root.pub, from: 0 }];
  let pos = base ? base.pos : 0;
  for (let j = 0; j < raw.length; j++) {
    const i = from + j, e = decodeEntry(raw[j]);
    const at = rootKeys.findIndex((k) => V.eq(k.pub, e.author));
    if (at < pos || (at > 0 && e.time < rootKeys[at].from)) throw new StepError('author', `entry ${i}`);
    pos = at;
    if (e.index !== i || !V.eq(e.prev, prevHash)) throw new StepError('chain', `entry ${i}`);
    if (DIR_TYPES.has(e.type)) {
      if (!(await verifySig(e.author, e.sig, e.signed))) throw new StepError('signature', `entry ${i}`);
      records++;
    }
    const rec = recordOf(e);
    if (i === 0 && (!rec || rec.tier !== 0)) throw new StepError('first', 'entry 0');
    if (i === 0) coordinator = rec.id;
    if (rec) insts.set(rec.id, rec);
    // a coordinator record with another key rotates the root key: signed
    // by the key in force, the new one signs from this entry's time on
    if (rec && rec.id === coordinator && !rootKeys.some((k) => V.eq(k.pub, rec.sign_key)))
      rootKeys.push({ pub: rec.sign_key, from: e.time });
    prevHash = await V.sha256(raw[j]);
  }
  let cp = null;
  for (let k = rootKeys.length - 1; k >= pos && !(cp && cp.ok); k--)
    cp = await V.verifyCheckpoint(note, root.name, rootKeys[k].pub);
  if (!cp.ok) throw new StepError('checkpoint', cp.why);
  const keys = {};
  for (const x of insts.values()) keys[`${federation}/${x.id}`] = x.sign_key;
  const state = { root: root.text, size: claimed.size, hash: hex(claimed.root), last: hex(prevHash), records, coordinator,
    insts: [...insts.values()].map((x) => [x.id, x.name, x.tier, hex(x.sign_key)]),
    rootKeys: rootKeys.map((k) => [hex(k.pub), k.from]), pos };
  return { root, origin: root.name, federation, size: claimed.size, from, checkpoint: note, records, coordinator, insts, keys, rootKeys, state };
}

// extends_ checks that the signed checkpoint cp (size, root) extends the
// tree this browser verified before (base): not smaller, the same root at
// the same size, else an RFC 9162 consistency proof from the hash tiles.
async function extends_(prefix, base, cp) {
  if (cp.size < base.size) throw new StepError('shrunk', `${cp.size} < ${base.size}`);
  const old = V.hexd(base.hash);
  const proof = cp.size === base.size ? [] : await V.consistencyProof(V.tileReader(prefix, cp.size), base.size, cp.size);
  if (!(await V.verifyConsistency(base.size, cp.size, old, cp.root, proof))) throw new StepError('consistency', `${base.size} -> ${cp.size}`);
}

// StepError: a verification step that failed (step: checkpoint, tree,
// author, chain, signature, first; shrunk, consistency: not an extension
// of the log verified on an earlier visit), for the page to explain.
export class StepError extends Error {
  constructor(step, detail) { super(`${step}: ${detail}`); this.step = step; this.detail = detail; }
}

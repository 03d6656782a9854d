// verify.js - an observer's checks, in the browser with WebCrypto only
// (SHA-256, Ed25519): C2SP signed notes and checkpoints, tlog-cosignature
// (cosignature/v1), RFC 9162 Merkle inclusion and tree heads, C2SP
// tlog-proof receipts, and C2SP tlog-tiles reads. The formats are those of
// docs/protocol.md; nothing here trusts the node for more than the bytes.

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}
export function eq(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }
function b64d(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4) throw new Error('not base64');
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}
export function hexd(s) { return Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16)); }

// parseNote splits a signed note: text (through the newline before the
// last empty line) and its signature lines {name, id (4 bytes), sig}.
export function parseNote(note) {
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0 || !note.endsWith('\n')) throw new Error('not a signed note');
  const text = note.slice(0, cut + 1);
  const sigs = note.slice(cut + 2, -1).split('\n').map((line) => {
    const m = line.match(/^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/);
    if (!m) throw new Error('bad signature line');
    const raw = b64d(m[2]);
    if (raw.length < 5) throw new Error('short signature');
    return { name: m[1], id: raw.slice(0, 4), sig: raw.slice(4) };
  });
  return { text, sigs };
}

// parseCheckpoint reads the checkpoint text: origin, size, root.
export function parseCheckpoint(text) {
  const lines = text.split('\n');
  if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1]) || lines[2].length !== 44)
    throw new Error('not a checkpoint');
  return { origin: lines[0], size: Number(lines[1]), root: b64d(lines[2]) };
}

export async function keyId(name, type, pub) {
  return (await sha256(enc.encode(name), Uint8Array.of(0x0a, type), pub)).slice(0, 4);
}

async function ed25519Verify(pub, sig, msg) {
  const k = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, k, sig, msg);
}

// verifyCheckpoint: the note is a checkpoint of `origin` signed by its log
// key `pub` (type 0x01 signature line by the name origin).
export async function verifyCheckpoint(note, origin, pub) {
  const n = parseNote(note);
  const cp = parseCheckpoint(n.text);
  if (cp.origin !== origin) return { ok: false, cp, why: 'origin' };
  const id = await keyId(origin, 0x01, pub);
  const line = n.sigs.find((s) => s.name === origin && eq(s.id, id));
  if (!line) return { ok: false, cp, why: 'no signature by the log key' };
  const ok = line.sig.length === 64 && await ed25519Verify(pub, line.sig, enc.encode(n.text));
  return { ok, cp, why: ok ? '' : 'signature does not verify' };
}

// cosignatures: every cosignature line whose name is a known witness:
// [{name, ok, time}] (unknown names are listed with ok null).
export async function cosignatures(note, witnesses) {
  const n = parseNote(note);
  const out = [];
  for (const s of n.sigs) {
    const pub = witnesses[s.name];
    if (!pub) continue;
    const id = await keyId(s.name, 0x04, pub);
    if (!eq(id, s.id)) continue; // the log's own (type 0x01) line, or another key
    if (s.sig.length !== 72) { out.push({ name: s.name, ok: false, time: 0 }); continue; }
    let t = 0;
    for (let i = 0; i < 8; i++) t = t * 256 + s.sig[i];
    const msg = concat(enc.encode(`cosignature/v1\ntime ${t}\n`), enc.encode(n.text));
    out.push({ name: s.name, ok: await ed25519Verify(pub, s.sig.slice(8), msg), time: t });
  }
  return out;
}

export function leafHash(entry) { return sha256(Uint8Array.of(0), entry); }
function nodeHash(l, r) { return sha256(Uint8Array.of(1), l, r); }

// verifyInclusion: RFC 9162 2.1.3.2.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(r, root);
}

// treeHash: MTH of leaf hashes [lo, hi) (RFC 9162 2.1.1).
export async function treeHash(leaves, lo = 0, hi = leaves.length) {
  const n = hi - lo;
  if (n === 0) return sha256(new Uint8Array(0));
  if (n === 1) return leaves[lo];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return nodeHash(await treeHash(leaves, lo, lo + k), await treeHash(leaves, lo + k, hi));
}

// parseReceipt reads a C2SP tlog-proof: index, proof hashes, checkpoint note.
export function parseReceipt(text) {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[0] !== 'c2sp.org/tlog-proof@v1') throw new Error('not a tlog-proof receipt');
  let i = 1;
  if (lines[i].startsWith('extra ')) i++;
  const m = lines[i].match(/^index (0|[1-9][0-9]*)$/);
  if (!m) throw new Error('no index line');
  const index = Number(m[1]);
  const proof = [];
  for (i++; i < lines.length && lines[i] !== ''; i++) {
    const h = b64d(lines[i]);
    if (h.length !== 32) throw new Error('bad proof line');
    proof.push(h);
  }
  if (i >= lines.length) throw new Error('no checkpoint');
  return { index, proof, note: lines.slice(i + 1).join('\n') };
}

// tilePath writes a tile index as tlog-tiles does (x001/234).
export function tileIndex(n) {
  const s = String(n).padStart(3, '0');
  const groups = [];
  for (let e = s.length; e > 0; e -= 3) groups.unshift(s.slice(Math.max(0, e - 3), e).padStart(3, '0'));
  return groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
}

async function getBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// entryAt reads entry `index` of the log at prefix from its entry bundles
// (a log of `size` entries).
export async function entryAt(prefix, index, size) {
  const N = Math.floor(index / 256), w = Math.min(256, size - N * 256);
  const b = await getBytes(`${prefix}/tile/entries/${tileIndex(N)}${w < 256 ? '.p/' + w : ''}`);
  let o = 0;
  for (let i = 0; i < 256 && o + 2 <= b.length; i++) {
    const len = b[o] * 256 + b[o + 1];
    if (i === index % 256) return b.slice(o + 2, o + 2 + len);
    o += 2 + len;
  }
  throw new Error('entry not in its bundle');
}

export const MAX_TILE_LEAVES = 65536;

// leavesUpTo reads the first `size` leaf hashes from the level-0 tiles.
export async function leavesUpTo(prefix, size) {
  if (size > MAX_TILE_LEAVES) throw new Error('log too large for this check');
  const leaves = [];
  for (let N = 0; N * 256 < size; N++) {
    const w = Math.min(256, size - N * 256);
    const b = await getBytes(`${prefix}/tile/0/${tileIndex(N)}${w < 256 ? '.p/' + w : ''}`);
    for (let i = 0; i < w; i++) leaves.push(b.slice(32 * i, 32 * i + 32));
  }
  return leaves;
}

export function text(bytes) { return dec.decode(bytes); }

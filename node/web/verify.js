// verify.js - an observer's checks, in the browser with WebCrypto only
// (SHA-256, Ed25519): C2SP signed notes and checkpoints, tlog-cosignature
// (cosignature/v1), RFC 9162 Merkle inclusion and tree heads, C2SP
// tlog-proof receipts, and C2SP tlog-tiles reads. The formats are those of
// docs/protocol.md; nothing here trusts the node for more than the bytes.

import { concat } from './cbor.js';

export { concat };
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

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
  const k = split(n);
  return nodeHash(await treeHash(leaves, lo, lo + k), await treeHash(leaves, lo + k, hi));
}

// split: the largest power of two smaller than n (n > 1).
function split(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
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

// bundle splits an entry bundle (2-byte big-endian length, entry, ...)
// into its entries.
function bundle(b) {
  const out = [];
  for (let o = 0; o < b.length;) {
    if (o + 2 > b.length) throw new Error('truncated entry bundle');
    const len = b[o] * 256 + b[o + 1];
    if (o + 2 + len > b.length) throw new Error('truncated entry bundle');
    out.push(b.slice(o + 2, o + 2 + len));
    o += 2 + len;
  }
  return out;
}

function bundleUrl(prefix, N, size) {
  const w = Math.min(256, size - N * 256);
  return { url: `${prefix}/tile/entries/${tileIndex(N)}${w < 256 ? '.p/' + w : ''}`, w };
}

// entryAt reads entry `index` of the log at prefix from its entry bundles
// (a log of `size` entries).
export async function entryAt(prefix, index, size) {
  const es = bundle(await getBytes(bundleUrl(prefix, Math.floor(index / 256), size).url));
  if (index % 256 >= es.length) throw new Error('entry not in its bundle');
  return es[index % 256];
}

// entries reads entries [from, size) of the log at prefix: only the
// bundles holding them (from 0: the whole log).
export async function entries(prefix, size, from = 0) {
  const out = [];
  if (from >= size) return out;
  for (let N = Math.floor(from / 256); N * 256 < size; N++) {
    const { url, w } = bundleUrl(prefix, N, size);
    const es = bundle(await getBytes(url));
    if (es.length !== w) throw new Error(`${url}: ${es.length} entries, expected ${w}`);
    out.push(...es.slice(Math.max(0, from - N * 256)));
  }
  return out;
}

// ---- C2SP tlog-tiles: any tree hash, and RFC 9162 consistency, from the
// hash tiles of every level. A hash at level L is the root of a complete
// subtree of 256^L leaves; tile L/N holds hashes 256N..256N+255 of level L.

// tileReader: hashAt(level, i) for the log at prefix as of tree size
// `size`, reading each tile once (fetchTile(url) -> bytes; the network by
// default). A tile of the wrong length is refused.
export function tileReader(prefix, size, fetchTile = getBytes) {
  const cache = new Map();
  return async function hashAt(level, i) {
    const count = Math.floor(size / 256 ** level);
    if (i >= count) throw new Error(`no hash ${i} at level ${level} in a tree of ${size}`);
    const N = Math.floor(i / 256), w = Math.min(256, count - N * 256);
    const url = `${prefix}/tile/${level}/${tileIndex(N)}${w < 256 ? '.p/' + w : ''}`;
    if (!cache.has(url)) cache.set(url, fetchTile(url));
    const b = await cache.get(url);
    if (b.length !== 32 * w) throw new Error(`${url}: ${b.length} bytes, expected ${32 * w}`);
    const j = i % 256;
    return b.slice(32 * j, 32 * j + 32);
  };
}

// rangeHash: RFC 9162 MTH of leaves [start, start + n) of a tree, where
// the range is a subtree as the MTH recursion makes them (start is a
// multiple of the largest power of two <= n). A complete subtree of 2^k
// leaves is read from level floor(k/8): one hash when 8 divides k, else
// the 2^(k mod 8) hashes under it, combined here.
export async function rangeHash(hashAt, start, n) {
  if (n === 0) return sha256(new Uint8Array(0));
  const k = split(n + 1) === n ? Math.log2(n) : -1;
  if (k < 0) {
    const m = split(n);
    return nodeHash(await rangeHash(hashAt, start, m), await rangeHash(hashAt, start + m, n - m));
  }
  const level = Math.floor(k / 8), first = start / 256 ** level;
  const hs = await Promise.all(Array.from({ length: 2 ** (k % 8) }, (_, j) => hashAt(level, first + j)));
  return treeHash(hs);
}

// appendedTreeHash: the MTH of a tree of m + leaves.length leaves whose
// first m are read from the tiles (hashAt: whole subtrees only, as the
// MTH recursion splits them) and the rest are the leaf hashes given. Equal
// to a signed root, it binds those leaves to that tree without reading
// the m entries before them.
export async function appendedTreeHash(hashAt, m, leaves) {
  async function mth(start, n) {
    if (start + n <= m) return rangeHash(hashAt, start, n);
    if (start >= m) return treeHash(leaves, start - m, start - m + n);
    const k = split(n);
    return nodeHash(await mth(start, k), await mth(start + k, n - k));
  }
  return mth(0, m + leaves.length);
}

// consistencyProof: RFC 9162 2.1.4.1 PROOF(m, D[n]) from the tiles.
export async function consistencyProof(hashAt, m, n) {
  const out = [];
  async function sub(m1, start, n1, whole) {
    if (m1 === n1) { if (!whole) out.push(await rangeHash(hashAt, start, n1)); return; }
    const k = split(n1);
    if (m1 <= k) {
      await sub(m1, start, k, whole);
      out.push(await rangeHash(hashAt, start + k, n1 - k));
    } else {
      await sub(m1 - k, start + k, n1 - k, false);
      out.push(await rangeHash(hashAt, start, k));
    }
  }
  if (m > 0 && m < n) await sub(m, 0, n, true);
  return out;
}

// verifyConsistency: RFC 9162 2.1.4.2: the tree of size m with root
// `first` is a prefix of the tree of size n with root `second`.
export async function verifyConsistency(m, n, first, second, proof) {
  if (m > n) return false;
  if (m === n) return proof.length === 0 && eq(first, second);
  if (m === 0) return proof.length === 0;
  const path = split(m + 1) === m ? [first, ...proof] : [...proof];
  if (!path.length) return false;
  let fn = m - 1, sn = n - 1;
  const half = (x) => Math.floor(x / 2);
  while (fn % 2 === 1) { fn = half(fn); sn = half(sn); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn); sn = half(sn);
  }
  return sn === 0 && eq(fr, first) && eq(sr, second);
}

export function text(bytes) { return dec.decode(bytes); }

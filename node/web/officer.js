// officer.js - the officer's side of the protocol, in the console: the
// officer's key file imported into the browser as a non-extractable
// WebCrypto Ed25519 key, the signed-in session kept in IndexedDB with an
// idle limit, and the three things an officer signs, built byte for byte
// as the C code builds them:
//
//   action  SP_EV_ACTION body {0: act, 1: officer key, 2: signature over
//           "simpul/action/v1\n" || act} (sp_report_action_build_officer)
//   open    "simpul/open/v1\n" || report (32) || officer key (32) ||
//           issued (8, big-endian ms) || purpose (sp_report_open_req_sign)
//   admin   SP_EV_ADMIN body {0: officer, 1: nonce, 2: expires, 3: type,
//           4: record, 5: signature over "simpul/admin/v1\n" || the map of
//           keys 0..4} (sp_admin_sign)
//
// The key file (common/sp_keyfile.h, made by `simpul keygen`) is two lines:
// "simpul-ed25519-private-key-v1" and the base64 of the 32-byte seed; or,
// protected by a passphrase (`simpul keygen --passphrase-file`),
// "simpul-ed25519-protected-key-v1" and the base64 of opslimit (4,
// big-endian) || memlimit KiB (4) || salt (16) || nonce (24) || box (48):
// the box is libsodium's crypto_secretbox (XSalsa20-Poly1305) of the seed
// under crypto_pwhash's Argon2id (v1.3, one lane) of the passphrase. The
// browser has neither, so they come from the vendored, audited
// @noble/hashes and @noble/ciphers (vendor/, loaded only for such a file).
// The seed is read, turned into a CryptoKey that scripts cannot export, and
// the buffers holding it are zeroed: after sign-in the page can sign with
// the key but nothing in it can read the key back or send it anywhere.
import { cbor, concat, head, keyFromSeed } from './reporter.js';

const enc = new TextEncoder();
const MAGIC = 'simpul-ed25519-private-key-v1';
const PMAGIC = 'simpul-ed25519-protected-key-v1';
// The Argon2id limits a protected file may ask for (as common/sp_keyfile.h).
const OPS = [1, 8], MEM_KIB = [8192, 1048576];
export const IDLE_MS = 8 * 3600 * 1000; // a session ends after 8 hours without use
const DB = 'simpul-konsol', STORE = 'session';

export class KeyFileError extends Error {}

// KeyFileError's message says what is wrong: 'magic', 'base64', 'length'
// (not a key file), 'passphrase' (none given for a protected file), 'wrong'
// (the passphrase does not open it, or the file is damaged), 'limits'.

function lines(text) {
  const l = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  if (l.length !== 2 || (l[0] !== MAGIC && l[0] !== PMAGIC)) throw new KeyFileError('magic');
  return l;
}

function unbase64(s, len) {
  let b;
  try { b = Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); } catch { throw new KeyFileError('base64'); }
  if (b.length !== len || btoa(String.fromCharCode(...b)) !== s) throw new KeyFileError('length');
  return b;
}

// isProtected: the text is a passphrase-protected key file (or KeyFileError).
export function isProtected(text) { return lines(text)[0] === PMAGIC; }

// parseKeyFile: the 32-byte seed of a plain key file's text, or KeyFileError.
export function parseKeyFile(text) {
  const l = lines(text);
  if (l[0] !== MAGIC) throw new KeyFileError('passphrase');
  return unbase64(l[1], 32);
}

// openProtectedKeyFile: the 32-byte seed of a protected key file, opened
// with the passphrase (Argon2id takes seconds: onProgress(0..1) is called
// along the way), or KeyFileError. Every intermediate buffer is zeroed.
export async function openProtectedKeyFile(text, passphrase, onProgress = () => {}) {
  const l = lines(text);
  if (l[0] !== PMAGIC) throw new KeyFileError('magic');
  if (!passphrase) throw new KeyFileError('passphrase');
  const p = unbase64(l[1], 96);
  const dv = new DataView(p.buffer);
  const t = dv.getUint32(0), m = dv.getUint32(4);
  if (t < OPS[0] || t > OPS[1] || m < MEM_KIB[0] || m > MEM_KIB[1]) throw new KeyFileError('limits');
  const [{ argon2idAsync }, { xsalsa20poly1305 }] = await Promise.all([
    import('./vendor/noble-hashes/argon2.js'), import('./vendor/noble-ciphers/salsa.js')]);
  const pass = enc.encode(passphrase);
  const key = await argon2idAsync(pass, p.subarray(8, 24), { t, m, p: 1, dkLen: 32, onProgress });
  pass.fill(0);
  try {
    return xsalsa20poly1305(key, p.subarray(24, 48)).decrypt(p.subarray(48));
  } catch {
    throw new KeyFileError('wrong');
  } finally { key.fill(0); p.fill(0); }
}

// importKey: {priv: non-extractable CryptoKey, pub: Uint8Array(32)} of a
// seed; the seed is zeroed.
export async function importKey(seed) {
  const { pub } = await keyFromSeed(seed); // extractable only to learn the public key
  const pkcs8 = concat(Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
    0x04, 0x22, 0x04, 0x20]), seed);
  const priv = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  pkcs8.fill(0); seed.fill(0);
  return { priv, pub };
}

async function sign(priv, msg) {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, priv, msg));
}

// ---- the session, in IndexedDB (a CryptoKey is stored as itself, still
// non-extractable) ----

function db() {
  return new Promise((ok, fail) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
}

async function tx(mode, fn) {
  const d = await db();
  try {
    return await new Promise((ok, fail) => {
      const t = d.transaction(STORE, mode);
      const r = fn(t.objectStore(STORE));
      t.oncomplete = () => ok(r && r.result);
      t.onerror = () => fail(t.error);
    });
  } finally { d.close(); }
}

export function saveSession(s) { return tx('readwrite', (st) => st.put(s, 'current')); }
export function clearSession() { return tx('readwrite', (st) => st.delete('current')); }

// loadSession: the stored session, {expired: true, ...} past the idle
// limit (and then removed), or null.
export async function loadSession(now = Date.now()) {
  const s = await tx('readonly', (st) => st.get('current'));
  if (!s) return null;
  if (now - s.last > IDLE_MS) { await clearSession(); return { expired: true, name: s.name }; }
  return s;
}

// touch records use, at most once a minute.
export async function touch(s, now = Date.now()) {
  if (now - s.last < 60000) return;
  s.last = now;
  await saveSession(s);
}

// ---- what an officer signs ----

export const ACT = { verifikasi: 1, tunda: 2, arsip: 3, disposisi: 4, bukan_wewenang: 5, tindak_lanjut: 6,
  ambil_alih: 7, gabung: 8 };

// actMap: the act map of an officer action (docs/reports.md), keys in
// the order deterministic CBOR writes them; targets ascending; keys (the
// content key sealed to new holders) as [[institution, 80 bytes], ...],
// ascending by institution.
export function actMap(report, code, { issued = Date.now(), targets, reason, text, mergeInto, keys } = {}) {
  const m = new Map([[0, report], [1, code], [2, issued]]);
  if (targets && targets.length) m.set(3, [...targets].sort());
  if (reason) m.set(4, reason);
  if (text) m.set(5, text);
  if (mergeInto) m.set(7, mergeInto);
  if (keys && keys.length) m.set(8, keys);
  return m;
}

// actionBody signs an act map: the SP_EV_ACTION body, as
// sp_report_action_build_officer writes it.
export async function actionBody(priv, pub, act) {
  const actBytes = cbor(act);
  const sig = await sign(priv, concat(enc.encode('simpul/action/v1\n'), actBytes));
  return concat(Uint8Array.from(head(5, 3)), cbor(0), actBytes, cbor(1), cbor(pub), cbor(2), cbor(sig));
}

function be64(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

// openMessage: what an open request signs (sp_report_open_req_sign).
export function openMessage(report, pub, issued, purpose) {
  return concat(enc.encode('simpul/open/v1\n'), report, pub, be64(issued), enc.encode(purpose));
}

export async function openSig(priv, report, pub, issued, purpose) {
  return sign(priv, openMessage(report, pub, issued, purpose));
}

// adminBody: an SP_EV_ADMIN request carrying record (bytes) of type
// (2 officer, 1 institution, 3 route), valid for 5 minutes.
export async function adminBody(priv, pub, type, record, now = Date.now()) {
  const m = new Map([[0, pub], [1, crypto.getRandomValues(new Uint8Array(16))], [2, now + 300000], [3, type], [4, record]]);
  const signed = cbor(m);
  m.set(5, await sign(priv, concat(enc.encode('simpul/admin/v1\n'), signed)));
  return cbor(m);
}

// ---- a rahasia report's attachments ----

// openBlob opens a sealed attachment (docs/reports.md, sp_report_open_blob):
// blob = nonce (24) || XChaCha20-Poly1305-IETF of the file under the
// report's content key, AD "simpul/attach/v1\n" || media type. sha256 and
// size are the entry's (the blob's): checked first, so a node serving other
// bytes is caught before any decryption. The file's bytes, or an Error
// whose message is 'hash' (not the bytes the entry names) or 'open' (the
// key does not open it). XChaCha20 comes from the vendored @noble/ciphers.
export async function openBlob(contentKey, blob, { sha256, size, media_type: type }) {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', blob));
  if (blob.length !== size || [...h].map((b) => b.toString(16).padStart(2, '0')).join('') !== sha256) throw new Error('hash');
  if (blob.length < 24 + 16) throw new Error('open');
  const { xchacha20poly1305 } = await import('./vendor/noble-ciphers/chacha.js');
  try {
    return xchacha20poly1305(contentKey, blob.subarray(0, 24), concat(enc.encode('simpul/attach/v1\n'), enc.encode(type)))
      .decrypt(blob.subarray(24));
  } catch { throw new Error('open'); }
}

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
// "simpul-ed25519-private-key-v1" and the base64 of the 32-byte seed. The
// seed is read, turned into a CryptoKey that scripts cannot export, and the
// buffers holding it are zeroed: after sign-in the page can sign with the
// key but nothing in it can read the key back or send it anywhere.
import { cbor, concat, head, keyFromSeed } from './reporter.js';

const enc = new TextEncoder();
const MAGIC = 'simpul-ed25519-private-key-v1';
export const IDLE_MS = 8 * 3600 * 1000; // a session ends after 8 hours without use
const DB = 'simpul-konsol', STORE = 'session';

export class KeyFileError extends Error {}

// parseKeyFile: the 32-byte seed of a key file's text, or KeyFileError.
export function parseKeyFile(text) {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  if (lines.length !== 2 || lines[0] !== MAGIC) throw new KeyFileError('magic');
  let seed;
  try { seed = Uint8Array.from(atob(lines[1]), (c) => c.charCodeAt(0)); } catch { throw new KeyFileError('base64'); }
  if (seed.length !== 32 || btoa(String.fromCharCode(...seed)) !== lines[1]) throw new KeyFileError('length');
  return seed;
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

// reporter.js - the reporter's side of the protocol, in the page: the
// reporter key made from the secret code, and reporter actions (balas,
// buka_kembali, nilai, selesai) built as the SP_EV_ACTION CBOR body and
// signed with WebCrypto Ed25519, so the secret never leaves the browser.
//
// Key derivation, exactly as docs/reports.md "Reporter keys" specifies
// (sp_reporter_derive; its test vector is checked in the browser test):
//
//     seed = HMAC-SHA256(key = secret, "simpul/reporter/v1\n" || salt)
//     key pair = Ed25519 from the 32-byte seed (RFC 8032)
//
// The secret code is 32 random bytes (64 hex digits), made fresh in the
// page for each report. The page submits the public key as the report's
// reporter_key (docs/api.md) and signs actions with the private key:
// "simpul/action/v1\n" || the exact bytes of the act map (SP_EV_ACTION key
// 3). Salt: the report's own (reporter_salt) once reports carry one;
// until then the all-zero salt, which links nothing because every report
// filed here has its own secret. A report filed elsewhere with a node-made
// tracking secret is acted on with that secret (key 4), as the protocol
// requires for it.

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): WebCrypto imports
// private keys only in this form.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03,
  0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

const enc = new TextEncoder();

export function newSecret() { return crypto.getRandomValues(new Uint8Array(32)); }

export const ZERO_SALT = new Uint8Array(32);

// deriveSeed: HMAC-SHA256(secret, "simpul/reporter/v1\n" || salt).
export async function deriveSeed(secret, salt = ZERO_SALT) {
  const k = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, concat(enc.encode('simpul/reporter/v1\n'), salt)));
}

// keyFromSecret: the reporter key of (secret, salt): {priv: CryptoKey, pub: Uint8Array(32)}.
export async function keyFromSecret(secret, salt = ZERO_SALT) {
  return keyFromSeed(await deriveSeed(secret, salt));
}

export async function keyFromSeed(seed) {
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(PKCS8_PREFIX); pkcs8.set(seed, 16);
  const priv = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', priv);
  const pub = Uint8Array.from(atob(jwk.x.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  return { priv, pub };
}

// ---- deterministic CBOR (RFC 8949 4.2.1): only what action bodies need ----

export function head(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  if (n < 0x100000000) return [m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const hi = Math.floor(n / 0x100000000), lo = n >>> 0;
  return [m | 27, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff,
    lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
}

// cbor encodes numbers (unsigned ints), Uint8Array (bytes), strings,
// arrays, booleans and Maps with small unsigned integer keys (written in
// ascending order).
export function cbor(v) {
  if (typeof v === 'number') return Uint8Array.from(head(0, v));
  if (typeof v === 'boolean') return Uint8Array.of(v ? 0xf5 : 0xf4);
  if (Array.isArray(v)) return concat(Uint8Array.from(head(4, v.length)), ...v.map(cbor));
  if (v instanceof Uint8Array) return concat(Uint8Array.from(head(2, v.length)), v);
  if (typeof v === 'string') { const b = enc.encode(v); return concat(Uint8Array.from(head(3, b.length)), b); }
  if (v instanceof Map) {
    const keys = [...v.keys()].sort((a, b) => a - b);
    return concat(Uint8Array.from(head(5, keys.length)), ...keys.map((k) => concat(cbor(k), cbor(v.get(k)))));
  }
  throw new Error('cbor: unsupported value');
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export const CODES = { balas: 9, selesai: 10, buka_kembali: 11, nilai: 12 };

// actionBody builds the SP_EV_ACTION body for a reporter's act on report
// `id` (32 bytes): signed with the key from `seed` when proof is
// 'key' (GET /v1/reports: reporter_proof), else carrying the tracking
// secret (key 4).
export async function actionBody(id, code, { text, rating } = {}, seed, proof, salt = ZERO_SALT) {
  const act = new Map([[0, id], [1, code], [2, Date.now()]]);
  if (text) act.set(5, text);
  if (rating) act.set(6, rating);
  const actBytes = cbor(act);
  if (proof === 'tracking_secret') return concat(Uint8Array.from(head(5, 2)), cbor(0), actBytes, cbor(4), cbor(seed));
  const { priv } = await keyFromSecret(seed, salt);
  const msg = concat(enc.encode('simpul/action/v1\n'), actBytes);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, priv, msg));
  return concat(Uint8Array.from(head(5, 2)), cbor(0), actBytes, cbor(3), cbor(sig));
}

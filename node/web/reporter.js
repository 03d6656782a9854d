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
// For each report the page draws a fresh 32-byte secret code (shown to the
// citizen once) and a fresh 32-byte salt, and submits only the public key
// (reporter_key) and the salt (reporter_salt); the report carries the salt,
// so the code alone re-derives the key later, at any node. Actions are
// signed with the private key: "simpul/action/v1\n" || the exact bytes of
// the act map (SP_EV_ACTION key 3). The node refuses a secret sent in clear
// (key 4), so there is no other proof.

import { cbor, concat, head } from './cbor.js';

// The console's modules (officer.js) take the CBOR encoder from here.
export { cbor, concat, head };

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): WebCrypto imports
// private keys only in this form.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03,
  0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

const enc = new TextEncoder();

// newSecret: 32 random bytes (a secret code, or a salt).
export function newSecret() { return crypto.getRandomValues(new Uint8Array(32)); }

// ZERO_SALT: reports filed from these pages before reports carried a salt
// were derived with the all-zero salt (each with its own fresh secret).
export const ZERO_SALT = new Uint8Array(32);

// deriveSeed: HMAC-SHA256(secret, "simpul/reporter/v1\n" || salt).
export async function deriveSeed(secret, salt) {
  const k = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, concat(enc.encode('simpul/reporter/v1\n'), salt)));
}

// keyFromSecret: the reporter key of (secret, salt): {priv: CryptoKey, pub: Uint8Array(32)}.
export async function keyFromSecret(secret, salt) {
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

export const CODES = { balas: 9, selesai: 10, buka_kembali: 11, nilai: 12 };

// actionBody builds the SP_EV_ACTION body for a reporter's act on report
// `id` (32 bytes), signed with the reporter key of (secret, salt).
export async function actionBody(id, code, { text, rating } = {}, secret, salt) {
  const act = new Map([[0, id], [1, code], [2, Date.now()]]);
  if (text) act.set(5, text);
  if (rating) act.set(6, rating);
  const actBytes = cbor(act);
  const { priv } = await keyFromSecret(secret, salt);
  const msg = concat(enc.encode('simpul/action/v1\n'), actBytes);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, priv, msg));
  return concat(head(5, 2), cbor(0), actBytes, cbor(3), cbor(sig));
}

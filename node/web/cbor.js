// cbor.js - the deterministic CBOR (RFC 8949 4.2.1) the pages read and
// write: unsigned integers, byte and text strings, arrays, maps with
// unsigned integer keys in ascending order, false/true/null. The encoder
// builds action bodies (reporter.js); the strict decoder reads log entries
// and directory records (dirlog.js) and refuses anything else, as the node's
// decoders do (non-shortest heads, indefinite lengths, unordered or
// duplicate keys, trailing bytes).

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function head(major, n) {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  if (n < 0x100000000) return Uint8Array.of(m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const hi = Math.floor(n / 0x100000000), lo = n >>> 0;
  return Uint8Array.of(m | 27, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff,
    lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
}

// cbor encodes numbers (unsigned ints), Uint8Array (bytes), strings,
// arrays, booleans and Maps with small unsigned integer keys (written in
// ascending order).
export function cbor(v) {
  if (typeof v === 'number') return head(0, v);
  if (typeof v === 'boolean') return Uint8Array.of(v ? 0xf5 : 0xf4);
  if (Array.isArray(v)) return concat(head(4, v.length), ...v.map(cbor));
  if (v instanceof Uint8Array) return concat(head(2, v.length), v);
  if (typeof v === 'string') { const b = enc.encode(v); return concat(head(3, b.length), b); }
  if (v instanceof Map) {
    const keys = [...v.keys()].sort((a, b) => a - b);
    return concat(head(5, keys.length), ...keys.map((k) => concat(cbor(k), cbor(v.get(k)))));
  }
  throw new Error('cbor: unsupported value');
}

function fail(what, o) { throw new Error(`CBOR: ${what} at byte ${o}`); }

// readHead: {major, n, end} of the item head at o, shortest form only.
export function readHead(b, o) {
  if (o >= b.length) fail('truncated', o);
  const major = b[o] >> 5, ai = b[o] & 31;
  if (ai < 24) return { major, n: ai, end: o + 1 };
  if (ai > 27) fail('indefinite or reserved length', o);
  const len = 1 << (ai - 24);
  if (o + 1 + len > b.length) fail('truncated', o);
  let n = 0;
  for (let i = 0; i < len; i++) n = n * 256 + b[o + 1 + i];
  if (n > Number.MAX_SAFE_INTEGER) fail('integer too large', o);
  const min = [24, 0x100, 0x10000, 0x100000000][ai - 24];
  if (n < min) fail('not the shortest form', o);
  return { major, n, end: o + 1 + len };
}

// readItem: {v, end} for the item at o. Maps become Map (integer keys).
export function readItem(b, o, depth = 0) {
  if (depth > 16) fail('nested too deep', o);
  const h = readHead(b, o);
  switch (h.major) {
    case 0: return { v: h.n, end: h.end };
    case 2: case 3: {
      if (h.end + h.n > b.length) fail('truncated string', o);
      const s = b.slice(h.end, h.end + h.n);
      return { v: h.major === 2 ? s : dec.decode(s), end: h.end + h.n };
    }
    case 4: {
      const a = [];
      let e = h.end;
      for (let i = 0; i < h.n; i++) { const x = readItem(b, e, depth + 1); a.push(x.v); e = x.end; }
      return { v: a, end: e };
    }
    case 5: {
      const m = new Map();
      let e = h.end, last = -1;
      for (let i = 0; i < h.n; i++) {
        const k = readHead(b, e);
        if (k.major !== 0 || k.n <= last) fail('map keys not unsigned and ascending', e);
        last = k.n;
        const x = readItem(b, k.end, depth + 1);
        m.set(k.n, x.v); e = x.end;
      }
      return { v: m, end: e };
    }
    case 7:
      if (h.n === 20 || h.n === 21) return { v: h.n === 21, end: h.end };
      if (h.n === 22) return { v: null, end: h.end };
      break;
    default:
  }
  return fail('unsupported item', o);
}

// decode: the one item that is all of b.
export function decode(b) {
  const x = readItem(b, 0);
  if (x.end !== b.length) fail('trailing bytes', x.end);
  return x.v;
}

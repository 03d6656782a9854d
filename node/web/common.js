// common.js - what every page shares: the language switch (Bahasa
// Indonesia first, English on request, remembered in local storage),
// calls to this node's API with errors in the reader's language, and small
// DOM helpers that only ever set text (never HTML), so text from a report
// is shown as text and never run.

const EN = {
  'nav.lapor': 'Report', 'nav.lacak': 'Track', 'nav.transparansi': 'Transparency',
  'lang.switch': 'Bahasa Indonesia', 'footer':
    'Simpul: every complaint is an entry in a signed, replicated log. No institution can quietly drop or change it.',
};

const ERR_ID = {
  SP_ERR_HTTP_BAD_REQUEST: 'Isian tidak valid', SP_ERR_HTTP_TOO_LARGE: 'Berkas atau isian terlalu besar',
  SP_ERR_NOT_FOUND: 'Tidak ditemukan', SP_ERR_UNKNOWN_REPORT: 'Laporan tidak ditemukan',
  SP_ERR_REPORTER_PROOF: 'Kode rahasia salah', SP_ERR_TRANSITION: 'Tindakan ini tidak bisa dilakukan pada status laporan sekarang',
  SP_ERR_WINDOW: 'Batas waktu untuk tindakan ini sudah lewat', SP_ERR_RATE_LIMITED: 'Terlalu banyak permintaan, coba lagi sebentar lagi',
  SP_ERR_NO_ROUTE: 'Simpul ini belum punya direktori', SP_ERR_BUSY: 'Simpul sedang sibuk, coba lagi',
  SP_ERR_STALE: 'Simpul sedang menyusul data, coba lagi', SP_ERR_HASH_MISMATCH: 'Lampiran tidak cocok',
  SP_ERR_SEALED: 'Laporan/lampiran tersegel', SP_ERR_BAD_SIGNATURE: 'Tanda tangan tidak sah',
  SP_ERR_REPLAY: 'Tindakan yang sama sudah tercatat',
};
const ERR_EN = {
  SP_ERR_HTTP_BAD_REQUEST: 'Invalid input', SP_ERR_HTTP_TOO_LARGE: 'File or input too large',
  SP_ERR_NOT_FOUND: 'Not found', SP_ERR_UNKNOWN_REPORT: 'Report not found',
  SP_ERR_REPORTER_PROOF: 'Wrong secret code', SP_ERR_TRANSITION: 'This action is not possible in the report\'s current state',
  SP_ERR_WINDOW: 'The time for this action has passed', SP_ERR_RATE_LIMITED: 'Too many requests, try again shortly',
  SP_ERR_NO_ROUTE: 'This node has no directory yet', SP_ERR_BUSY: 'The node is busy, try again',
  SP_ERR_STALE: 'The node is catching up, try again', SP_ERR_HASH_MISMATCH: 'Attachment does not match',
  SP_ERR_SEALED: 'Report/attachment is sealed', SP_ERR_BAD_SIGNATURE: 'Invalid signature',
  SP_ERR_REPLAY: 'The same action is already recorded',
};

export function lang() {
  try { return localStorage.getItem('simpul.lang') === 'en' ? 'en' : 'id'; } catch { return 'id'; }
}

// t picks the text for the current language: t('Teks', 'Text').
export function t(id, en) { return lang() === 'en' ? en : id; }

// applyLang rewrites every [data-en] element: the Indonesian text is the
// page's own (kept in data-id the first time), the English in data-en.
// An element still in its own (Indonesian) text is not touched, and a text
// is only written when it changes: rewriting the same text would make the
// browser lay the whole page out again (on a slow phone, a visible delay
// before the form is usable).
export function applyLang(dicts = {}) {
  const en = lang() === 'en';
  // Setting lang, even to the value it has, restyles the whole page.
  if (document.documentElement.lang !== (en ? 'en' : 'id')) document.documentElement.lang = en ? 'en' : 'id';
  const put = (el, text) => { if (el.textContent !== text) el.textContent = text; };
  for (const el of document.querySelectorAll('[data-en]')) {
    if (!en && !el.dataset.id) continue;
    if (!el.dataset.id) el.dataset.id = el.textContent;
    put(el, en ? el.dataset.en : el.dataset.id);
  }
  for (const el of document.querySelectorAll('[data-en-placeholder]')) {
    if (!en && !el.dataset.idPlaceholder) continue;
    if (!el.dataset.idPlaceholder) el.dataset.idPlaceholder = el.placeholder;
    el.placeholder = en ? el.dataset.enPlaceholder : el.dataset.idPlaceholder;
  }
  for (const el of document.querySelectorAll('[data-k]')) {
    if (!en && !el.dataset.id) continue;
    if (!el.dataset.id) el.dataset.id = el.textContent;
    put(el, en ? (dicts[el.dataset.k] || EN[el.dataset.k] || el.dataset.id) : el.dataset.id);
  }
}

// setup wires the header's language button; onChange re-renders.
export function setup(onChange) {
  const b = document.getElementById('lang');
  const label = () => { b.textContent = lang() === 'en' ? 'Bahasa Indonesia' : 'English'; };
  b.addEventListener('click', () => {
    try { localStorage.setItem('simpul.lang', lang() === 'en' ? 'id' : 'en'); } catch { /* private mode */ }
    label(); applyLang(); if (onChange) onChange();
  });
  label(); applyLang();
}

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// errText: an API error in the reader's language, with the node's detail.
export function errText(e) {
  if (!(e instanceof ApiError)) return t('Tidak dapat menghubungi simpul: ', 'Cannot reach the node: ') + e.message;
  const m = (lang() === 'en' ? ERR_EN : ERR_ID)[e.code] || t('Permintaan ditolak', 'Request refused');
  return `${m} (${e.status}${e.message ? ': ' + e.message : ''})`;
}

// api calls this node; JSON in and out unless raw. Throws ApiError.
export async function api(path, { method = 'GET', body, type, raw = false } = {}) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    if (type) { init.headers['Content-Type'] = type; init.body = body; }
    else { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  }
  const r = await fetch(path, init);
  if (!r.ok) {
    let code = '', message = '';
    try { const j = await r.json(); code = j.error.code; message = j.error.message; } catch { /* not JSON */ }
    throw new ApiError(r.status, code, message);
  }
  return raw ? r.text() : r.json();
}

// el makes an element with text content (never HTML) and attributes.
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v; else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}

// WIB (UTC+7): deadlines and times as Indonesian public services state them.
export function wib(ms) {
  if (!ms) return '-';
  const f = new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'id-ID', {
    timeZone: 'Asia/Jakarta', dateStyle: 'medium', timeStyle: 'short' });
  return f.format(new Date(ms)) + ' WIB';
}

export function duration(ms) {
  const h = Math.floor(ms / 3600000), d = Math.floor(h / 24);
  if (d >= 1) return t(`${d} hari ${h % 24} jam`, `${d} d ${h % 24} h`);
  const m = Math.floor(ms / 60000);
  if (h >= 1) return t(`${h} jam ${m % 60} menit`, `${h} h ${m % 60} min`);
  return t(`${m} menit`, `${m} min`);
}

export function hex(bytes) { return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(''); }
export function unhex(s) {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error('not hex');
  return Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));
}
export function b64(bytes) { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return btoa(s); }
export function unb64(s) { return Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); }

// download offers text as a file (no server round trip).
export function download(name, text, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// directory: the institutions and categories the node's directory holds
// (asked for once; again after a failure).
let dirPromise = null;
export function directory() {
  if (!dirPromise) dirPromise = api('/v1/directory').catch((e) => { dirPromise = null; throw e; });
  return dirPromise;
}
export async function instName(id) {
  const d = await directory();
  const i = d.institutions.find((x) => x.id === id);
  return i ? `${i.name} (${id})` : id;
}

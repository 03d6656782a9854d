// konsol.js - the officer's console (/konsol): sign-in with the officer's
// key file (officer.js: the key becomes a non-extractable CryptoKey in
// IndexedDB, the session ends after 8 hours idle), who is signed in (the
// enrolment from GET /v1/officers), the inbox (GET /v1/reports?holder=..
// &subtree=1 with filters, overdue first, deadlines in working days,
// paging by cursor, search), and the routing between the inbox, one
// complaint (konsol-report.js) and the admin pages (konsol-admin.js).
import { api, applyLang, el, errText, hex, setup, t, wib } from './common.js';
import { clearSession, importKey, isProtected, KeyFileError, loadSession, openProtectedKeyFile, parseKeyFile, saveSession, touch } from './officer.js';
import { children, ctx, deadlineText, instLabel, OPEN_STATUSES, ROLE, STATUS, subtree, tr } from './konsol-lib.js';
import { showAdmin } from './konsol-admin.js';
import { showReport } from './konsol-report.js';

const $ = (id) => document.getElementById(id);
const VIEWS = ['signin', 'inbox', 'report', 'admin'];
let inboxCursor = null;
let inboxRows = [];

function show(view) { for (const v of VIEWS) $(v).hidden = v !== view; }

function notice(text, cls = '') {
  const n = $('notice');
  n.hidden = !text; n.textContent = text || ''; n.className = 'panel ' + cls;
}

// secure: WebCrypto signs only in a secure context (HTTPS, or http on
// loopback). An officer reads sealed contents here, so the console also
// refuses plain HTTP anywhere else, whatever the browser allows.
function secure() {
  const h = location.hostname;
  const loop = h === 'localhost' || h === '[::1]' || h === '::1' || /^127\./.test(h);
  return location.protocol === 'https:' || (location.protocol === 'http:' && loop);
}

// ---- sign-in ----

async function enrolment(pubHex) {
  const { officers } = await api('/v1/officers');
  return officers.find((o) => o.key === pubHex) || null;
}

// What is wrong with a key file or its passphrase, in words.
const KEYFILE_ERR = {
  magic: ['Ini bukan berkas kunci petugas Simpul (baris pertama "simpul-ed25519-private-key-v1" atau "simpul-ed25519-protected-key-v1", lalu kunci dalam base64).',
    'This is not a Simpul officer key file (first line "simpul-ed25519-private-key-v1" or "simpul-ed25519-protected-key-v1", then the key in base64).'],
  passphrase: ['Berkas kunci ini dilindungi kata sandi: isi kata sandinya.', 'This key file is protected by a passphrase: enter it.'],
  wrong: ['Kata sandi salah (atau berkas kunci rusak): kunci tidak dapat dibuka. Tidak ada yang disimpan.',
    'Wrong passphrase (or a damaged key file): the key cannot be opened. Nothing was kept.'],
  limits: ['Berkas kunci ini meminta parameter Argon2id di luar batas (1–8 putaran, 8 MiB–1 GiB): berkas rusak atau bukan buatan simpul keygen.',
    'This key file asks for Argon2id parameters outside the limits (1-8 passes, 8 MiB-1 GiB): damaged, or not made by simpul keygen.'],
};

async function signIn(ev) {
  ev.preventDefault();
  const err = $('signin-err');
  err.hidden = true;
  let text = $('keytext').value.trim();
  const f = $('keyfile').files[0];
  if (f) text = await f.text();
  const fail = (m) => { err.textContent = m; err.hidden = false; };
  if (!text) return fail(t('Pilih berkas kunci atau tempel isinya.', 'Choose a key file or paste its contents.'));
  let seed;
  const pass = $('passphrase').value;
  $('signin-btn').disabled = true;
  try {
    if (isProtected(text)) {
      const st = $('signin-status');
      const say = (f) => { st.textContent = t(`Membuka kunci dengan kata sandi… ${Math.round(f * 100)}%`, `Opening the key with the passphrase… ${Math.round(f * 100)}%`); };
      say(0);
      try { seed = await openProtectedKeyFile(text, pass, say); } finally { st.textContent = ''; }
    } else {
      seed = parseKeyFile(text);
    }
  } catch (e) {
    $('signin-btn').disabled = false;
    if (!(e instanceof KeyFileError)) return fail(errText(e));
    return fail(KEYFILE_ERR[e.message] ? t(...KEYFILE_ERR[e.message]) : t(...KEYFILE_ERR.magic));
  }
  $('passphrase').value = '';
  $('keytext').value = ''; $('keyfile').value = '';
  $('signin-btn').disabled = true;
  try {
    const { priv, pub } = await importKey(seed);
    const me = await enrolment(hex(pub));
    if (!me) {
      return fail(t(`Kunci ini tidak terdaftar sebagai petugas di direktori federasi (kunci publik ${hex(pub).slice(0, 16)}…). Minta admin instansi Anda mendaftarkannya (simpul officer enrol); tidak ada yang disimpan.`,
        `This key is not enrolled as an officer in the federation's directory (public key ${hex(pub).slice(0, 16)}…). Ask your institution's admin to enrol it (simpul officer enrol); nothing was kept.`));
    }
    const now = Date.now();
    ctx.session = { priv, pub: hex(pub), since: now, last: now, name: me.name };
    await saveSession(ctx.session);
    await start();
  } catch (e) {
    fail(errText(e));
  } finally {
    $('signin-btn').disabled = false;
  }
}

async function signOut() {
  await clearSession();
  ctx.session = null; ctx.me = null;
  location.hash = '#/';
  await start();
}

function whoText() {
  const me = ctx.me;
  const here = ctx.dir.self;
  const s = t(`Masuk sebagai ${me.name}, ${tr(ROLE[me.role], me.role)} di ${instLabel(me.inst)}`,
    `Signed in as ${me.name}, ${tr(ROLE[me.role], me.role)} at ${instLabel(me.inst)}`);
  return me.inst === here ? s : s + t(` — simpul ini milik ${instLabel(here)}`, ` — this node is ${instLabel(here)}'s`);
}

// start: the page as the session allows: sign-in, or the signed-in views.
async function start() {
  $('insecure').hidden = secure();
  if (!secure()) {
    $('insecure').textContent = t('Konsol hanya dapat dipakai lewat HTTPS (atau di komputer simpul itu sendiri): petugas membuka isi laporan tersegel di sini. Buka alamat https:// simpul ini.',
      'The console works only over HTTPS (or on the node\'s own machine): officers open sealed reports here. Open this node\'s https:// address.');
    show(null); $('who').hidden = true;
    return;
  }
  ctx.dir = await api('/v1/directory');
  const s = await loadSession();
  if (!s || s.expired) {
    ctx.session = null;
    $('who').hidden = true; $('nav-admin').hidden = true; $('nav-dash').hidden = true;
    notice(s && s.expired ? t('Sesi Anda berakhir (8 jam tidak dipakai). Masuk lagi dengan berkas kunci Anda.',
      'Your session ended (8 hours without use). Sign in again with your key file.') : '', s ? 'bad' : '');
    show('signin'); applyLang();
    return;
  }
  ctx.session = s;
  const me = await enrolment(s.pub);
  if (!me) {
    await clearSession();
    notice(t('Kunci Anda tidak lagi terdaftar sebagai petugas (dicabut atau ditangguhkan). Anda telah dikeluarkan.',
      'Your key is no longer enrolled as an officer (removed or suspended). You were signed out.'), 'bad');
    show('signin'); $('who').hidden = true;
    return;
  }
  ctx.me = me;
  notice(me.inst === ctx.dir.self ? '' : t(`Anda petugas ${instLabel(me.inst)}, tetapi simpul ini milik ${instLabel(ctx.dir.self)}. Tindakan Anda hanya diterima lewat simpul instansi Anda sendiri${nodeOf(me.inst)}.`,
    `You are an officer of ${instLabel(me.inst)}, but this node belongs to ${instLabel(ctx.dir.self)}. Your actions are accepted only through your own institution's node${nodeOf(me.inst)}.`), me.inst === ctx.dir.self ? '' : 'bad');
  $('who').hidden = false; $('who-text').textContent = whoText();
  $('nav-admin').hidden = me.role !== 'admin';
  // the dashboard of cross-tier handling over the officer's own subtree
  $('nav-dash').href = '/koordinator?' + new URLSearchParams({ scope: me.inst });
  $('nav-dash').hidden = false;
  fillFilters();
  await route();
}

function nodeOf(id) {
  const i = ctx.dir.institutions.find((x) => x.id === id);
  return i && i.http ? ` (${i.http}/konsol)` : '';
}

// ---- routing: #/ inbox, #/laporan/<id>, #/admin ----

async function route() {
  if (!ctx.me) return;
  await touch(ctx.session);
  const h = location.hash;
  const m = /^#\/laporan\/([0-9a-f]{64})$/.exec(h);
  if (m) {
    show('report');
    await showReport(m[1]);
  } else if (h === '#/admin' && ctx.me.role === 'admin') {
    show('admin');
    await showAdmin();
  } else {
    show('inbox');
    await loadInbox();
  }
  applyLang();
}

// ---- inbox ----

let filled = false;
function fillFilters() {
  if (filled) return;
  filled = true;
  // On a phone the list comes first: the filters stay folded until asked for.
  $('f-more').open = window.matchMedia('(min-width: 640px)').matches;
  $('f-status').append(...Object.keys(STATUS).map((s) => el('option', { value: s }, tr(STATUS[s], s))));
  $('f-category').append(...ctx.dir.categories.map((c) => el('option', { value: c }, c.replace(/-/g, ' '))));
  const me = ctx.me.inst;
  $('f-unit').replaceChildren(el('option', { value: '' }, t('instansi saya dan semua unit di bawahnya', 'my institution and all units below it')),
    el('option', { value: me }, instLabel(me)),
    ...subtree(me).map((id) => el('option', { value: id }, instLabel(id))));
}

function query(extra) {
  const q = new URLSearchParams();
  const unit = $('f-unit').value;
  q.set('holder', unit || ctx.me.inst);
  q.set('subtree', '1');
  for (const k of ['status', 'kind', 'category']) if ($('f-' + k).value) q.set(k, $('f-' + k).value);
  const region = $('f-region').value.trim();
  if (region) q.set('region', region);
  const age = Number($('f-age').value);
  if (age) q.set('until', String(Date.now() - age * 86400000));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return '/v1/reports?' + q.toString();
}

// details fetches each listed report's view (title, ticket), six at a time.
async function details(rows) {
  const out = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      try { out[i] = { ...rows[i], ...(await api('/v1/reports/' + rows[i].report_id)) }; } catch { out[i] = rows[i]; }
    }
  };
  await Promise.all([1, 2, 3, 4, 5, 6].map(worker));
  return out;
}

function isOpen(r) { return $('f-status').value || OPEN_STATUSES.includes(r.status); }

async function card(r) {
  const dl = await deadlineText(r.deadline);
  const late = r.overdue || dl.late;
  const title = r.title !== undefined ? r.title : t('Laporan rahasia (isi tersegel)', 'Confidential report (sealed)');
  const badges = [el('span', { class: 'badge' }, tr(STATUS[r.status], r.status))];
  if (r.deadline) badges.push(' ', el('span', { class: 'badge ' + (late ? 'bad' : '') }, dl.text));
  if (r.escalations) badges.push(' ', el('span', { class: 'badge bad' }, t(`${r.escalations} eskalasi`, `${r.escalations} escalation(s)`)));
  return el('li', { class: late ? 'late' : '', 'data-id': r.report_id },
    el('a', { class: 'card', href: '#/laporan/' + r.report_id },
      el('span', { class: 't' }, title),
      el('span', {}, ...badges),
      el('span', { class: 'meta' }, el('span', { class: 'ticket-s' }, r.ticket || r.report_id.slice(0, 12)), ' · ',
        `${r.category.replace(/-/g, ' ')} · ${r.region} · ${t('dipegang', 'held by')} ${r.holders.map(instLabel).join(', ') || '-'} · ${t('masuk', 'filed')} ${wib(r.submitted)}`)));
}

function matches(r, q) {
  if (!q) return true;
  const s = q.toLowerCase();
  return [r.title, r.ticket, r.report_id, r.region, r.category, r.content].some((x) => x && String(x).toLowerCase().includes(s));
}

async function render() {
  const q = $('f-q').value.trim();
  const rows = inboxRows.filter((r) => isOpen(r) && matches(r, q));
  rows.sort((a, b) => (b.overdue - a.overdue) || ((a.deadline || Infinity) - (b.deadline || Infinity)));
  const late = rows.filter((r) => r.overdue), rest = rows.filter((r) => !r.overdue);
  $('overdue-h').hidden = late.length === 0;
  $('overdue-list').replaceChildren(...await Promise.all(late.map(card)));
  $('list').replaceChildren(...await Promise.all(rest.map(card)));
  $('inbox-status').textContent = rows.length ? t(`${rows.length} laporan ditampilkan${inboxCursor ? ' (ada lagi)' : ''}.`, `${rows.length} report(s) shown${inboxCursor ? ' (more available)' : ''}.`)
    : t('Tidak ada laporan yang cocok.', 'No matching reports.');
  $('more').hidden = !inboxCursor;
}

// loadInbox: the overdue reports first (their own query, so none hides on
// a later page), then the first page of the rest.
async function loadInbox() {
  const me = ctx.me.inst;
  $('inbox-lead').textContent = t(`Laporan yang dipegang ${instLabel(me)} dan ${children(me).length ? 'unit-unit di bawahnya' : 'unitnya'}; yang melewati batas waktu lebih dulu. Batas waktu dihitung dalam hari kerja (WIB).`,
    `Complaints held by ${instLabel(me)} and the units below it; overdue first. Deadlines in working days (WIB).`);
  $('inbox-status').textContent = t('Memuat...', 'Loading...');
  try {
    const late = $('f-overdue').checked ? { reports: [] } : await api(query({ overdue: '1', limit: '100' }));
    const page = await api(query({ limit: '25', ...($('f-overdue').checked ? { overdue: '1' } : {}) }));
    const seen = new Set(late.reports.map((r) => r.report_id));
    inboxRows = await details([...late.reports, ...page.reports.filter((r) => !seen.has(r.report_id))]);
    inboxCursor = page.next_cursor;
    await render();
  } catch (e) {
    $('inbox-status').textContent = errText(e);
  }
}

async function more() {
  try {
    const page = await api(query({ limit: '25', cursor: inboxCursor, ...($('f-overdue').checked ? { overdue: '1' } : {}) }));
    const seen = new Set(inboxRows.map((r) => r.report_id));
    inboxRows.push(...await details(page.reports.filter((r) => !seen.has(r.report_id))));
    inboxCursor = page.next_cursor;
    await render();
  } catch (e) {
    $('inbox-status').textContent = errText(e);
  }
}

// search: a ticket or report id typed in the search box opens it (found by
// GET /v1/track at this node); other words filter the loaded list.
async function search(ev) {
  ev.preventDefault();
  const q = $('f-q').value.trim().replace(/\s+/g, '');
  if (/^[0-9a-fA-F]{64}$/.test(q) || /^[A-Za-z0-9._-]{1,32}-\d{1,18}-\d\d$/.test(q)) {
    try {
      const r = await api('/v1/track/' + encodeURIComponent(q));
      location.hash = '#/laporan/' + r.report_id;
      return;
    } catch { /* not a known ticket: search the words */ }
  }
  await loadInbox();
}

setup(() => { if (ctx.me) { $('who-text').textContent = whoText(); route(); } });
$('signin-form').addEventListener('submit', signIn);
$('signout').addEventListener('click', signOut);
$('filters').addEventListener('submit', search);
$('f-q').addEventListener('input', () => render());
$('filters').addEventListener('change', (ev) => { if (ev.target.id !== 'f-q' && ev.target.id !== 'f-region') loadInbox(); });
$('more').addEventListener('click', more);
window.addEventListener('hashchange', () => route());
start().catch((e) => notice(errText(e), 'bad'));


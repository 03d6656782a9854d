// lapor.js - the Lapor (submit) page. Every field is checked here first
// (the node checks again: its checks are the real ones), attachments are
// uploaded to /v1/attachments (publik, anonim) or sent inline (rahasia),
// and the report is submitted with a reporter key made in this page from a
// fresh secret code (reporter.js), which only the reporter ever sees.
import { api, b64, directory, download, el, errText, hex, instName, setup, t } from './common.js';

// The reporter-key code (reporter.js, cbor.js) is needed only on submit:
// loaded once the form is usable, so it does not hold back the form on a
// slow connection (browsers open few connections per node at once).
let reporterMod = null;
const reporter = () => (reporterMod ||= import('./reporter.js').catch((e) => { reporterMod = null; throw e; }));

const $ = (id) => document.getElementById(id);
const TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'];
const MAX_FILES = 4;
const enc = new TextEncoder();
let maxBody = 1 << 20, limitKnown = false;

function fieldError(id, msg) {
  const input = $(id === 'region' ? 'r0' : id), box = $(id + '-err');
  if (input) input.setAttribute('aria-invalid', msg ? 'true' : 'false');
  box.hidden = !msg;
  box.textContent = msg || '';
  return msg ? 1 : 0;
}

function bytes(s) { return enc.encode(s).length; }

function regionCode() {
  let code = '';
  for (let i = 0; i < 4; i++) if ($('r' + i).value) code = $('r' + i).value;
  return code;
}

async function fillRegions(level, parent) {
  for (let i = level; i < 4; i++) {
    const s = $('r' + i);
    s.replaceChildren(el('option', { value: '' }, i === level ? t('- pilih -', '- choose -') : ''));
    s.disabled = i !== level;
  }
  if (level > 3) return;
  const q = parent ? '?parent=' + encodeURIComponent(parent) : '';
  const r = await api('/v1/regions' + q);
  const s = $('r' + level);
  for (const x of r.regions) s.append(el('option', { value: x.code }, x.name));
  s.disabled = r.regions.length === 0;
}

// limits reads the node's body limit from the directory (fetched once
// the form is usable: the form itself needs nothing from it, the node puts
// the categories in the page) and says it in the attachments' hint.
async function limits() {
  const d = await directory();
  maxBody = d.max_body_bytes || maxBody;
  limitKnown = true;
  fileHint();
}

function fileHint() {
  $('files-hint').textContent = t(`JPEG, PNG, WebP atau PDF; paling banyak ${MAX_FILES} berkas, masing-masing paling besar ${kib(fileLimit())}`,
    `JPEG, PNG, WebP or PDF; up to ${MAX_FILES} files, each at most ${kib(fileLimit())}`);
}

function fileLimit() { return Math.min(10 << 20, maxBody) - 1024; }
function kib(n) { return n >= 1 << 20 ? (n / 1048576).toFixed(1) + ' MB' : Math.round(n / 1024) + ' KB'; }

function validate(f) {
  let bad = 0;
  bad += fieldError('category', f.category ? '' : t('Pilih kategori.', 'Choose a category.'));
  bad += fieldError('region', f.region && f.region.split('.').length >= 2 ? '' :
    t('Pilih wilayah, paling tidak kabupaten/kota.', 'Choose a region, at least the regency/city.'));
  bad += fieldError('title', !f.title.trim() ? t('Judul wajib diisi.', 'A title is required.') :
    bytes(f.title) > 256 ? t('Judul terlalu panjang (paling banyak 256 byte).', 'Title too long (256 bytes at most).') : '');
  bad += fieldError('content', !f.content.trim() ? t('Isi laporan wajib diisi.', 'The text is required.') :
    bytes(f.content) > 16000 ? t('Isi terlalu panjang.', 'Text too long.') : '');
  const today = new Date().toISOString().slice(0, 10);
  bad += fieldError('date', f.date === null ? t('Tanggal tidak valid: tulis hari/bulan/tahun, misalnya 30/11/2026.', 'Not a valid date: write day/month/year, e.g. 30/11/2026.')
    : f.date && f.date > today ? t('Tanggal kejadian tidak boleh di masa depan.', 'The date cannot be in the future.') : '');
  bad += fieldError('contact', f.contact && bytes(f.contact) > 256 ? t('Kontak terlalu panjang.', 'Contact too long.') : '');
  let fe = '';
  if (f.files.length > MAX_FILES) fe = t(`Paling banyak ${MAX_FILES} berkas.`, `At most ${MAX_FILES} files.`);
  for (const file of f.files) {
    if (!TYPES.includes(file.type)) fe = t(`"${file.name}": jenis berkas tidak diterima (hanya JPEG, PNG, WebP, PDF).`, `"${file.name}": file type not accepted (JPEG, PNG, WebP, PDF only).`);
    else if (file.size === 0) fe = t(`"${file.name}" kosong.`, `"${file.name}" is empty.`);
    else if (file.size > fileLimit()) fe = t(`"${file.name}" terlalu besar (${kib(file.size)}; paling besar ${kib(fileLimit())}).`, `"${file.name}" is too large (${kib(file.size)}; at most ${kib(fileLimit())}).`);
  }
  if (f.visibility === 'rahasia' && f.files.reduce((n, x) => n + x.size * 4 / 3, 0) + bytes(f.content) > maxBody - 4096)
    fe = t('Lampiran terlalu besar untuk laporan rahasia (dikirim bersama laporan).', 'Attachments too large for a confidential report (they travel with it).');
  bad += fieldError('files', fe);
  return bad === 0;
}

// isoDate reads a date written the Indonesian way, day/month/year (30/11/2026;
// "-" or "." also separate), into YYYY-MM-DD: '' when empty, null when it
// is no calendar date (31/02, or 11/30 written month first). A text field
// rather than the browser's date field, which shows the phone's own locale
// (mm/dd/yyyy on a phone set to US English).
function isoDate(s) {
  s = s.trim();
  if (!s) return '';
  const m = s.match(/^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/);
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const x = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1900 || x.getUTCFullYear() !== y || x.getUTCMonth() !== mo - 1 || x.getUTCDate() !== d) return null;
  return x.toISOString().slice(0, 10);
}

function readForm() {
  const v = (n) => document.querySelector(`input[name="${n}"]:checked`).value;
  return {
    kind: v('kind'), visibility: v('visibility'), category: $('category').value, region: regionCode(),
    title: $('title').value, content: $('content').value, date: isoDate($('date').value), place: $('place').value.trim(),
    name: $('name').value.trim(), contact: $('contact').value.trim(), files: [...$('files').files],
  };
}

const BULAN = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober',
  'November', 'Desember'];

// The API has no fields for the date and place of the event: they open the
// text, the date as Indonesians write it in full ("30 November 2026").
function fullContent(f) {
  const lines = [];
  if (f.date) {
    const [y, m, d] = f.date.split('-').map(Number);
    lines.push(`Tanggal kejadian: ${d} ${BULAN[m - 1]} ${y}`);
  }
  if (f.place) lines.push(`Tempat: ${f.place}`);
  return (lines.length ? lines.join('\n') + '\n\n' : '') + f.content;
}

async function attachments(f) {
  const out = [];
  for (const file of f.files) {
    const data = new Uint8Array(await file.arrayBuffer());
    if (f.visibility === 'rahasia') { out.push({ media_type: file.type, data: b64(data) }); continue; }
    $('progress').textContent = t(`Mengunggah ${file.name}...`, `Uploading ${file.name}...`);
    const r = await api('/v1/attachments', { method: 'POST', body: data, type: file.type });
    out.push({ sha256: r.sha256, size: r.size, media_type: r.media_type });
  }
  return out;
}

function showError(e) {
  const p = $('form-error');
  p.hidden = false;
  p.textContent = errText(e);
  p.focus?.();
}

async function submit(ev) {
  ev.preventDefault();
  $('form-error').hidden = true;
  const f = readForm();
  // The file size check needs the node's limit (normally long there).
  try { await limits(); } catch (e) { showError(e); return; }
  if (!validate(f)) {
    const first = document.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
    return;
  }
  const btn = $('submit');
  btn.disabled = true;
  try {
    // A fresh secret and salt per report (docs/reports.md "Reporter keys"):
    // only the key and the salt leave the page.
    const { keyFromSecret, newSecret } = await reporter();
    const seed = newSecret(), salt = newSecret();
    const { pub } = await keyFromSecret(seed, salt);
    const body = { kind: f.kind, visibility: f.visibility, category: f.category, region: f.region,
      title: f.title, content: fullContent(f), reporter_key: hex(pub), reporter_salt: hex(salt), channel: 'web' };
    if (f.category === 'lainnya') body.category = 'umum';
    if (f.name) body.name = f.name;
    if (f.contact) body.contact = f.contact;
    const att = await attachments(f);
    if (att.length) body.attachments = att;
    $('progress').textContent = t('Mengirim laporan...', 'Sending the report...');
    const r = await api('/v1/reports', { method: 'POST', body });
    $('progress').textContent = '';
    await showDone(r, seed);
  } catch (e) {
    $('progress').textContent = '';
    showError(e);
  } finally {
    btn.disabled = false;
  }
}

async function showDone(r, seed) {
  const secret = hex(seed).match(/.{4}/g).join(' ');
  $('form').hidden = true;
  $('done').hidden = false;
  $('ticket').textContent = r.ticket;
  $('secret').textContent = secret;
  const rule = r.rule.startsWith('default:')
    ? t('tidak ada aturan khusus untuk kategori ini di wilayah ini, maka diteruskan ke pemerintah wilayahnya',
      'no specific rule for this category in this region, so it goes to the region\'s government')
    : t(`aturan penerusan "${r.rule}" di direktori federasi`, `routing rule "${r.rule}" of the federation directory`);
  $('route').replaceChildren(
    el('dt', {}, t('Diteruskan ke', 'Sent to')), el('dd', {}, await instName(r.routed_to)),
    el('dt', {}, t('Alasan', 'Why')), el('dd', {}, rule),
    el('dt', {}, t('Diterima oleh', 'Received by')), el('dd', {}, await instName(r.log)),
    el('dt', {}, t('Nomor laporan', 'Report id')), el('dd', { class: 'mono' }, r.report_id));
  $('track').href = '/lacak?tiket=' + encodeURIComponent(r.ticket);
  const text = `Simpul - ${t('laporan', 'report')}\n${t('Tiket', 'Ticket')}: ${r.ticket}\n` +
    `${t('Kode rahasia', 'Secret code')}: ${secret}\n${t('Nomor laporan', 'Report id')}: ${r.report_id}\n`;
  $('save').onclick = () => download(`simpul-${r.ticket}.txt`, text);
  $('print').onclick = () => window.print();
  $('receipt').onclick = () => getReceipt(r);
  $('done').focus();
}

async function getReceipt(r) {
  const st = $('receipt-status');
  for (let i = 0; i < 10; i++) {
    try {
      const text = await api(r.receipt, { raw: true });
      download(`simpul-${r.ticket}.receipt.txt`, text);
      st.textContent = t('Tanda terima diunduh.', 'Receipt downloaded.');
      return;
    } catch (e) {
      st.textContent = t('Menunggu checkpoint bertanda tangan...', 'Waiting for a signed checkpoint...');
      await new Promise((ok) => setTimeout(ok, 700));
    }
  }
  st.textContent = t('Tanda terima belum tersedia; coba lagi nanti.', 'Receipt not available yet; try again later.');
}

setup(() => { if (limitKnown) fileHint(); });
$('form').addEventListener('submit', submit);
for (let i = 0; i < 3; i++) {
  $('r' + i).addEventListener('change', (e) => {
    const v = e.target.value;
    if (v) fillRegions(i + 1, v).catch(showError); else fillRegions(i + 1, null).catch(() => {});
  });
}
// The form is usable now: the categories (put in by the node) and the
// provinces are in its selects and its handlers are set. The mark tells
// tests/web/bench.mjs when. What only submitting needs comes after.
performance.mark('simpul:form-ready');
limits().catch(() => {});
reporter().catch(() => {});

// lacak.js - the Lacak (track) page: a report by short ticket or id at any
// node (GET /v1/track/{ref}: this node, or the node that holds it), its
// holders and timeline with deadlines in WIB, and the reporter's actions
// signed in this page with the secret code (reporter.js).
import { api, applyLang, b64, duration, el, errText, instName, setup, t, unhex, wib } from './common.js';
import { actionBody, CODES, keyFromSecret, ZERO_SALT } from './reporter.js';

const $ = (id) => document.getElementById(id);
let current = null; // the report shown, as the node answered

const STATUS = {
  diterima: ['diterima', 'received'], diverifikasi: ['diverifikasi', 'verified'], tunda: ['ditunda', 'on hold'],
  diarsipkan: ['diarsipkan', 'archived'], didisposisikan: ['didisposisikan (diteruskan)', 'forwarded'],
  ditindaklanjuti: ['ditindaklanjuti (dijawab)', 'answered'], selesai: ['selesai', 'closed'], digabung: ['digabung', 'merged'],
};
const ACTION = {
  verifikasi: ['diverifikasi', 'verified'], tunda: ['ditunda', 'put on hold'], arsip: ['diarsipkan', 'archived'],
  disposisi: ['diteruskan ke', 'forwarded to'], bukan_wewenang: ['bukan wewenang', 'not in its remit'],
  tindak_lanjut: ['dijawab / ditindaklanjuti', 'answered'], ambil_alih: ['diambil alih', 'taken over'],
  gabung: ['digabung', 'merged'], balas: ['pelapor menambah informasi', 'reporter added information'],
  selesai: ['pelapor menerima jawaban', 'reporter accepted the answer'],
  buka_kembali: ['pelapor membuka kembali', 'reporter reopened'], nilai: ['pelapor memberi nilai', 'reporter rated'],
};
const STAGE = { 1: ['verifikasi', 'verification'], 2: ['jawaban', 'answer'], 3: ['batas akhir', 'final ceiling'],
  4: ['masa tanggapan pelapor', 'reporter\'s window'] };
const tr = (pair, k) => (pair ? t(pair[0], pair[1]) : k);

function refOf(s) { return s.trim().replace(/\s+/g, ''); }

function validRef(s) {
  return /^[0-9a-fA-F]{64}$/.test(s) || /^[A-Za-z0-9._-]{1,32}-(0|[1-9][0-9]{0,17})-[0-9]{2}$/.test(s);
}

async function find(ev) {
  ev?.preventDefault();
  const ref = refOf($('ref').value);
  const err = $('ref-err');
  err.hidden = validRef(ref);
  $('ref').setAttribute('aria-invalid', err.hidden ? 'false' : 'true');
  if (!err.hidden) {
    err.textContent = t('Bukan nomor tiket (seperti 73.12-41-07) atau nomor laporan (64 digit heksadesimal).',
      'Not a ticket (like 73.12-41-07) or a report id (64 hex digits).');
    $('ref').focus();
    return;
  }
  $('status').textContent = t('Mencari...', 'Searching...');
  try {
    current = await api('/v1/track/' + encodeURIComponent(ref));
    current.ref = ref;
    history.replaceState(null, '', '/lacak?tiket=' + encodeURIComponent(ref));
    await render(current);
    $('status').textContent = '';
  } catch (e) {
    $('report').hidden = true;
    $('status').textContent = errText(e);
  }
}

function badge(text, cls = '') { return el('span', { class: 'badge ' + cls }, text); }

async function render(r) {
  $('report').hidden = false;
  $('rep-title').textContent = r.title !== undefined ? r.title : t('Laporan rahasia', 'Confidential report');
  const badges = [badge(tr(STATUS[r.status], r.status))];
  if (r.overdue) badges.push(' ', badge(t('melewati batas waktu', 'overdue'), 'bad'));
  if (r.escalations) badges.push(' ', badge(t(`${r.escalations} eskalasi`, `${r.escalations} escalation(s)`), 'bad'));
  if (r.rating) badges.push(' ', badge(t(`nilai ${r.rating}/5`, `rated ${r.rating}/5`), 'ok'));
  $('rep-badges').replaceChildren(...badges);
  const facts = [
    [t('Tiket', 'Ticket'), r.ticket], [t('Jenis', 'Kind'), r.kind.replace(/_/g, ' ')],
    [t('Kategori', 'Category'), r.category.replace(/-/g, ' ')], [t('Wilayah', 'Region'), r.region],
    [t('Masuk', 'Filed'), wib(r.submitted)], [t('Diterima oleh', 'Received by'), await instName(r.log)],
    [t('Diteruskan ke', 'Routed to'), await instName(r.routed_to)],
    [t('Dipegang sekarang', 'Held now'), (await Promise.all(r.holders.map(instName))).join(', ') || '-'],
  ];
  if (r.deadline) facts.push([t('Batas waktu', 'Deadline') + ` (${tr(STAGE[r.stage], '')})`, wib(r.deadline) + (r.overdue ? ' - ' + t('TERLAMBAT', 'OVERDUE') : '')]);
  if (r.answered) facts.push([t('Dijawab', 'Answered'), wib(r.answered)]);
  if (r.closed) facts.push([t('Ditutup', 'Closed'), wib(r.closed)]);
  facts.push([t('Sumber data', 'Data from'), r.source && r.source.remote
    ? t(`simpul ${r.source.node} (simpul ini tidak menyimpan laporan ini dan menanyakannya)`, `node ${r.source.node} (this node does not hold the report and asked it)`)
    : t('simpul ini', 'this node')]);
  $('rep-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));

  const content = $('rep-content');
  if (r.content !== undefined) {
    content.replaceChildren(el('p', { style: null }, ...r.content.split('\n').flatMap((l, i) => (i ? [el('br'), l] : [l]))));
  } else {
    content.replaceChildren(el('p', {}, t('Judul dan isi laporan rahasia dienkripsi: hanya instansi yang menangani dan koordinator nasional yang dapat membacanya.',
      'The title and text of a confidential report are encrypted: only the institution handling it and the national coordinator can read them.')));
  }
  if (r.attachments && r.attachments.length) {
    content.append(el('p', {}, t('Lampiran: ', 'Attachments: '), ...r.attachments.map((a, i) =>
      [i ? ', ' : '', r.source && r.source.remote ? `${a.media_type} (${a.size} B)`
        : el('a', { href: '/v1/attachments/' + a.sha256 }, `${a.media_type} (${a.size} B)`)])));
  }

  const body = $('holders').tBodies[0];
  body.replaceChildren(...await Promise.all(r.history.map(async (h) => el('tr', {},
    el('td', {}, await instName(h.institution)), el('td', {}, wib(h.start)),
    el('td', {}, h.end ? wib(h.end) : t('sekarang', 'now')), el('td', { class: 'num' }, duration(h.duration_ms))))));

  const items = [el('li', {}, el('span', { class: 'when' }, wib(r.submitted)), t('Laporan masuk', 'Report filed'))];
  for (const it of r.trail) {
    const li = el('li', {}, el('span', { class: 'when' }, wib(it.time)));
    if (it.type === 'escalation') {
      li.append(badge(t('eskalasi', 'escalation'), 'bad'), ' ',
        t(`batas ${tr(STAGE[it.stage], '')} ${wib(it.deadline)} terlewati`, `${tr(STAGE[it.stage], '')} deadline ${wib(it.deadline)} missed`));
    } else if (it.type === 'transfer') {
      const [from, to] = await Promise.all([instName(it.from), instName(it.to)]);
      li.append(badge(t('pengalihan', 'transfer'), 'bad'), ' ',
        t(`dialihkan dari ${from} ke ${to} (instansi asal tidak aktif lagi)`, `transferred from ${from} to ${to} (the former institution was retired)`));
      if (it.verdict !== 'applied') li.append(' ', badge(t('tidak berlaku: ', 'not applied: ') + (it.error || ''), 'bad'));
    } else if (it.type === 'key_grant') {
      const to = (await Promise.all(it.institutions.map(instName))).join(', ');
      li.append(badge(t('kunci', 'key'), 'ok'), ' ', t(`salinan kunci isi tersegel untuk ${to}`, `sealed content key copy for ${to}`));
    } else {
      const who = it.actor && it.actor.institution ? await instName(it.actor.institution) : t('pelapor', 'the reporter');
      li.append(el('b', {}, tr(ACTION[it.action], it.action)), ' ');
      if (it.targets) li.append((await Promise.all(it.targets.map(instName))).join(', '), ' ');
      li.append(t('oleh ', 'by ') + who);
      if (it.rating) li.append(` (${it.rating}/5)`);
      if (it.text) li.append(el('br'), el('span', {}, it.text));
      if (it.verdict !== 'applied') li.append(' ', badge(t('tidak berlaku: ', 'not applied: ') + (it.error || ''), 'bad'));
    }
    items.push(li);
  }
  $('timeline').replaceChildren(...items);
  applyLang();
}

function showRating() { $('rating-box').hidden = $('action').value !== 'nilai'; }

async function act(ev) {
  ev.preventDefault();
  const res = $('act-result');
  res.textContent = '';
  const secretHex = $('secret').value.replace(/\s+/g, '').toLowerCase();
  const what = $('action').value, text = $('text').value.trim();
  let bad = false;
  const serr = $('secret-err'), terr = $('text-err');
  serr.hidden = /^[0-9a-f]{64}$/.test(secretHex);
  serr.textContent = t('Kode rahasia terdiri dari 64 digit heksadesimal (0-9, a-f).', 'The secret code is 64 hex digits (0-9, a-f).');
  $('secret').setAttribute('aria-invalid', serr.hidden ? 'false' : 'true');
  bad = !serr.hidden;
  terr.hidden = !(what === 'balas' && !text);
  terr.textContent = t('Tuliskan informasi yang ingin ditambahkan.', 'Write the information to add.');
  bad = bad || !terr.hidden;
  if (bad || !current) return;
  const seed = unhex(secretHex);
  const salt = current.reporter_salt ? unhex(current.reporter_salt) : ZERO_SALT;
  if (current.reporter_key) {
    const { pub } = await keyFromSecret(seed, salt);
    if ([...pub].map((b) => b.toString(16).padStart(2, '0')).join('') !== current.reporter_key) {
      res.textContent = t('Kode rahasia salah untuk laporan ini.', 'Wrong secret code for this report.');
      return;
    }
  }
  $('act-btn').disabled = true;
  try {
    const opts = {};
    if (text) opts.text = text;
    if (what === 'nilai') opts.rating = Number($('rating').value);
    const body = await actionBody(unhex(current.report_id), CODES[what], opts, seed, salt);
    const path = current.source && current.source.remote
      ? `/v1/track/${encodeURIComponent(current.ref)}/actions` : `/v1/reports/${current.report_id}/actions`;
    await api(path, { method: 'POST', body: { body: b64(body) } });
    res.textContent = t('Tindakan tercatat.', 'Action recorded.');
    $('text').value = '';
    const ref = current.ref;
    current = await api('/v1/track/' + encodeURIComponent(ref));
    current.ref = ref;
    await render(current);
  } catch (e) {
    res.textContent = errText(e);
  } finally {
    $('act-btn').disabled = false;
  }
}

setup(() => { if (current) render(current); });
$('find').addEventListener('submit', find);
$('act').addEventListener('submit', act);
$('action').addEventListener('change', showRating);
const q = new URLSearchParams(location.search);
const pre = q.get('tiket') || q.get('id');
if (pre) { $('ref').value = pre; find(); }

// konsol-report.js - one complaint in the officer's console: its state,
// holders and whole trail (GET /v1/reports/{id}), its sealed content and
// the reporter's contact opened only through the officer's signed open
// request (POST /v1/reports/{id}/open), and every action the officer's
// institution and the report's state allow, each shown as it will be
// signed (the exact act map) before the key signs it, then sent
// (POST /v1/reports/{id}/actions) with the node's answer shown after.
// The page offers what the state machine (docs/reports.md) allows; the
// node checks everything again and its refusal is shown with the reason.
import { api, applyLang, b64, duration, el, errText, hex, t, unb64, unhex, wib } from './common.js';
import { ACT, actionBody, actMap, openBlob, openSig, touch } from './officer.js';
import { ACTION, ancestors, ctx, deadlineText, instLabel, STAGE, STATUS, subtree, tr } from './konsol-lib.js';

const $ = (id) => document.getElementById(id);
let cur = null;      // the report's view as the node answered
let pending = null;  // the act prepared and shown, waiting for "sign"

const REASONS = {
  tunda: [[1, 'informasi kurang, pelapor diminta melengkapi', 'more information needed from the reporter'],
    [2, 'menunggu pihak ketiga', 'waiting for a third party']],
  arsip: [[10, 'tidak lengkap, pelapor tidak menanggapi', 'incomplete, the reporter did not answer'],
    [11, 'bukan laporan (spam, SARA, uji coba)', 'not a report (spam, hate speech, test)'],
    [12, 'sudah ditangani di tempat lain', 'already handled elsewhere'], [13, 'dicabut pelapor', 'withdrawn by the reporter']],
  bukan_wewenang: [[20, 'di luar kewenangan instansi', 'outside the institution\'s authority'],
    [21, 'salah wilayah', 'wrong region'], [22, 'salah kategori', 'wrong category']],
};

// Officer refusals explained (common.js knows the general ones).
const WHY = {
  SP_ERR_AUTHORITY: ['Ditolak: instansi Anda bukan pemegang laporan ini, atau tindakan dikirim lewat simpul instansi lain (petugas bertindak lewat simpul instansinya sendiri).',
    'Refused: your institution does not hold this report, or the action was sent through another institution\'s node (officers act through their own institution\'s node).'],
  SP_ERR_UNKNOWN_OFFICER: ['Ditolak: kunci Anda tidak terdaftar sebagai petugas saat ini.', 'Refused: your key is not enrolled as an officer now.'],
  SP_ERR_BAD_SIGNATURE: ['Ditolak: tanda tangan tidak sah (tindakan diubah setelah ditandatangani, atau ditandatangani kunci lain).',
    'Refused: invalid signature (the action was changed after signing, or signed by another key).'],
  SP_ERR_TRANSITION: ['Ditolak: tindakan ini tidak berlaku pada status laporan sekarang (mungkin petugas lain baru saja bertindak). Muat ulang laporan.',
    'Refused: this action does not apply to the report\'s current state (another officer may just have acted). Reload the report.'],
  SP_ERR_SEALED: ['Ditolak: laporan tersegel dan tujuan belum menerima salinan kunci isinya.', 'Refused: the report is sealed and the targets have no copy of its key.'],
  SP_ERR_UNKNOWN_INSTITUTION: ['Ditolak: instansi tujuan tidak ada di direktori.', 'Refused: the target institution is not in the directory.'],
  SP_ERR_REPLAY: ['Ditolak: tindakan yang sama sudah tercatat.', 'Refused: the same action is already recorded.'],
  SP_ERR_RETIRED: ['Ditolak: instansi itu sudah tidak beroperasi (dipensiunkan dari direktori); teruskan ke instansi yang menggantikannya.',
    'Refused: that institution is out of service (retired from the directory); forward to the one that took over.'],
};
function why(e) {
  const w = e && WHY[e.code];
  return w ? `${t(w[0], w[1])} [${e.code}${e.message ? ': ' + e.message : ''}]` : errText(e);
}

const FROM = {
  verifikasi: ['diterima'], tunda: ['diterima', 'diverifikasi', 'didisposisikan'], arsip: ['diterima', 'diverifikasi', 'tunda'],
  disposisi: ['diterima', 'diverifikasi', 'didisposisikan'], bukan_wewenang: ['diterima', 'diverifikasi', 'didisposisikan'],
  tindak_lanjut: ['diverifikasi', 'didisposisikan'], gabung: ['diterima', 'diverifikasi', 'tunda', 'didisposisikan'],
  ambil_alih: ['diterima', 'diverifikasi', 'tunda', 'didisposisikan', 'diarsipkan'],
};

// allowed: the actions the state machine lets this officer take now.
function allowed(r) {
  const me = ctx.me.inst;
  const holder = r.holders.includes(me);
  const out = [];
  for (const [a, from] of Object.entries(FROM)) {
    if (!from.includes(r.status)) continue;
    if (a === 'ambil_alih') {
      if (!holder && (me === ctx.dir.coordinator || r.holders.some((h) => ancestors(h).includes(me)))) out.push(a);
    } else if (holder) {
      if (a === 'bukan_wewenang' && !r.history.some((h) => h.institution === me && !h.end && h.from)) continue;
      out.push(a);
    }
  }
  return out;
}

function badge(text, cls = '') { return el('span', { class: 'badge ' + cls }, text); }

async function load(id) {
  try { return await api('/v1/reports/' + id); } catch (e) {
    if (e.code !== 'SP_ERR_UNKNOWN_REPORT') throw e;
    const r = await api('/v1/track/' + id);
    r.remote = true;
    return r;
  }
}

export async function showReport(id) {
  $('act-result').replaceChildren(); $('open-result').replaceChildren();
  $('act-preview').hidden = true; pending = null;
  try {
    cur = await load(id);
  } catch (e) {
    $('r-title').textContent = errText(e);
    for (const x of ['r-badges', 'r-facts', 'r-content', 'r-trail']) $(x).replaceChildren();
    $('act-form').hidden = true;
    return;
  }
  await render(cur);
}

async function render(r) {
  $('r-title').textContent = r.title !== undefined ? r.title : t('Laporan rahasia (judul dan isi tersegel)', 'Confidential report (title and text sealed)');
  const dl = await deadlineText(r.deadline);
  const badges = [badge(tr(STATUS[r.status], r.status))];
  if (r.deadline) badges.push(' ', badge(`${tr(STAGE[r.stage], '')}: ${dl.text}`, dl.late || r.overdue ? 'bad' : ''));
  if (r.escalations) badges.push(' ', badge(t(`${r.escalations} eskalasi`, `${r.escalations} escalation(s)`), 'bad'));
  if (r.bounces) badges.push(' ', badge(t(`${r.bounces}× dikembalikan`, `bounced ${r.bounces}×`), 'bad'));
  if (r.rating) badges.push(' ', badge(t(`nilai ${r.rating}/5`, `rated ${r.rating}/5`), 'ok'));
  $('r-badges').replaceChildren(...badges);
  const facts = [[t('Tiket', 'Ticket'), r.ticket], [t('Nomor laporan', 'Report id'), el('code', {}, r.report_id)],
    [t('Jenis / sifat', 'Kind / visibility'), `${r.kind.replace(/_/g, ' ')} / ${r.visibility}`],
    [t('Kategori', 'Category'), r.category], [t('Wilayah', 'Region'), r.region], [t('Masuk', 'Filed'), `${wib(r.submitted)} (${r.channel})`],
    [t('Masuk lewat', 'Filed at'), instLabel(r.log)], [t('Dirutekan ke', 'Routed to'), `${instLabel(r.routed_to)} (${r.rule})`],
    [t('Dipegang sekarang', 'Held now'), r.holders.map(instLabel).join(', ') || '-']];
  if (r.deadline) facts.push([t('Batas waktu', 'Deadline'), `${wib(r.deadline)} (${dl.text})`]);
  if (r.merged_into) facts.push([t('Digabung ke', 'Merged into'), el('a', { href: '#/laporan/' + r.merged_into }, r.merged_into.slice(0, 16) + '…')]);
  if (r.remote) facts.push([t('Sumber data', 'Data from'), t(`simpul ${r.source.node}: simpul ini tidak menyimpan laporan ini`, `node ${r.source.node}: this node does not hold it`)]);
  $('r-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));

  const content = [];
  if (r.content !== undefined) content.push(el('p', {}, ...r.content.split('\n').flatMap((l, i) => (i ? [el('br'), l] : [l]))));
  else content.push(el('p', {}, t('Judul dan isi laporan rahasia tersegel: buka dengan permintaan bertanda tangan di bawah.', 'The title and text of a confidential report are sealed: open them with a signed request below.')));
  if (r.attachments && r.attachments.length) {
    content.push(el('p', {}, t('Lampiran: ', 'Attachments: '), ...r.attachments.map((a, i) => [i ? ', ' : '',
      r.visibility === 'rahasia' || r.remote ? `${a.media_type} (${a.size} B${r.visibility === 'rahasia' ? ', ' + t('terenkripsi: dibuka bersama isi tersegel di bawah', 'encrypted: opened with the sealed content below') : ''})`
        : el('a', { href: '/v1/attachments/' + a.sha256, target: '_blank', rel: 'noopener' }, `${a.media_type} (${a.size} B)`)])));
  }
  $('r-content').replaceChildren(...content);
  renderOpen(r);

  $('r-history').tBodies[0].replaceChildren(...r.history.map((h) => el('tr', {},
    el('td', {}, instLabel(h.institution) + (h.from ? t(` (dari ${h.from})`, ` (from ${h.from})`) : '')), el('td', {}, wib(h.start)),
    el('td', {}, h.end ? wib(h.end) : t('sekarang', 'now')), el('td', { class: 'num' }, duration(h.duration_ms)))));
  const items = [el('li', {}, el('span', { class: 'when' }, wib(r.submitted)), t('Laporan masuk', 'Report filed'))];
  for (const it of r.trail) {
    const li = el('li', {}, el('span', { class: 'when' }, wib(it.time)));
    if (it.type === 'escalation') {
      li.append(badge(t('eskalasi', 'escalation'), 'bad'), ' ', t(`batas ${tr(STAGE[it.stage], '')} ${wib(it.deadline)} terlewati`, `${tr(STAGE[it.stage], '')} deadline ${wib(it.deadline)} missed`));
    } else if (it.type === 'transfer') {
      li.append(badge(t('pengalihan', 'transfer'), 'bad'), ' ', t(`dialihkan dari ${instLabel(it.from)} ke ${instLabel(it.to)} (instansi asal tidak aktif lagi)`, `transferred from ${instLabel(it.from)} to ${instLabel(it.to)} (the former institution was retired)`));
      if (it.verdict !== 'applied') li.append(' ', badge(t('tidak berlaku: ', 'not applied: ') + (it.error || ''), 'bad'));
    } else if (it.type === 'key_grant') {
      const to = it.institutions.map(instLabel).join(', ');
      li.append(badge(t('kunci', 'key'), 'ok'), ' ', t(`salinan kunci isi tersegel untuk ${to}`, `sealed content key copy for ${to}`));
      if (it.verdict !== 'applied') li.append(' ', badge(t('tidak berlaku: ', 'not applied: ') + (it.error || ''), 'bad'));
    } else {
      const who = it.actor && it.actor.institution ? `${instLabel(it.actor.institution)}, ${t('petugas', 'officer')} ${it.actor.officer.slice(0, 8)}` : t('pelapor', 'the reporter');
      li.append(el('b', {}, tr(ACTION[it.action], it.action)), ' ');
      if (it.targets) li.append('→ ' + it.targets.map(instLabel).join(', '), ' ');
      if (it.reason) li.append(`(${t('alasan', 'reason')} ${it.reason}) `);
      li.append(t('oleh ', 'by ') + who);
      if (it.rating) li.append(` (${it.rating}/5)`);
      if (it.text) li.append(el('br'), el('span', {}, it.text));
      if (it.verdict !== 'applied') li.append(' ', badge(t('tidak berlaku: ', 'not applied: ') + (it.error || ''), 'bad'));
    }
    items.push(li);
  }
  $('r-trail').replaceChildren(...items);
  renderActions(r);
  applyLang();
}

// ---- sealed content: the signed open request ----

function renderOpen(r) {
  const me = ctx.me.inst;
  const may = r.holders.includes(me) || me === ctx.dir.coordinator;
  $('open-form').hidden = r.remote;
  for (const x of ['open-purpose', 'open-btn']) $(x).hidden = !may;
  $('open-form').querySelector('label').hidden = !may;
  $('open-hint').textContent = may
    ? t('Judul dan isi laporan rahasia, serta nama dan kontak pelapor (semua sifat laporan), dibuka simpul untuk Anda hanya dengan permintaan yang Anda tandatangani. Keperluan ikut ditandatangani; simpul mencatat bahwa Anda membukanya.',
      'A confidential report\'s title and text, and the reporter\'s name and contact (any visibility), are opened by the node only for a request you sign. The purpose is signed with it; the node logs that you opened it.')
    : t('Hanya petugas instansi pemegang laporan atau koordinator nasional yang dapat membuka isi tersegel.', 'Only officers of a holder or of the national coordinator can open sealed content.');
}

async function openSealed(ev) {
  ev.preventDefault();
  const out = $('open-result');
  const purpose = $('open-purpose').value.trim() || 'penanganan laporan';
  const issued = Date.now();
  const id = unhex(cur.report_id);
  try {
    const sig = await openSig(ctx.session.priv, id, unhex(ctx.session.pub), issued, purpose);
    const o = await api(`/v1/reports/${cur.report_id}/open`, { method: 'POST',
      body: { report: cur.report_id, purpose, issued, officer: ctx.session.pub, sig: b64(sig) } });
    const rows = [[t('Judul', 'Title'), o.title], [t('Isi', 'Text'), o.content], [t('Nama pelapor', 'Reporter\'s name'), o.name ?? t('(tidak diisi)', '(not given)')],
      [t('Kontak pelapor', 'Reporter\'s contact'), o.contact ?? t('(tidak diisi)', '(not given)')]];
    out.replaceChildren(el('div', { class: 'panel sealed-open' },
      el('p', { class: 'hint' }, t('Dibuka untuk Anda; jangan disalin ke tempat yang tidak aman.', 'Opened for you; do not copy it anywhere unsafe.')),
      el('dl', { class: 'kv' }, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '-')])),
      sealedFiles(cur, o.content_key ? unb64(o.content_key) : null)));
    await touch(ctx.session);
  } catch (e) {
    out.replaceChildren(el('p', { class: 'error' }, why(e)));
  }
}

// sealedFiles: a rahasia report's attachments, each opened in the browser
// with the content key the open request returned (fetched by hash, checked,
// decrypted; the plaintext only ever in a blob: URL of this page).
function sealedFiles(r, key) {
  if (r.visibility !== 'rahasia' || !key || !r.attachments || !r.attachments.length) return null;
  const list = el('ul', { class: 'files' });
  r.attachments.forEach((a, i) => {
    const btn = el('button', { type: 'button', class: 'secondary small', 'data-sha': a.sha256 },
      t(`Buka lampiran ${i + 1} (${a.media_type})`, `Open attachment ${i + 1} (${a.media_type})`));
    const li = el('li', {}, btn);
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        const res = await fetch('/v1/attachments/' + a.sha256);
        if (!res.ok) throw new Error(res.status === 404 ? 'missing' : 'fetch');
        const bytes = await openBlob(key, new Uint8Array(await res.arrayBuffer()), a);
        const url = URL.createObjectURL(new Blob([bytes], { type: a.media_type }));
        bytes.fill(0);
        const ext = (a.media_type.split('/')[1] || 'bin').replace(/[^a-z0-9]/g, '');
        const kids = [el('a', { href: url, download: `lampiran-${i + 1}.${ext}`, class: 'opened-file' },
          t(`Simpan lampiran ${i + 1} (${a.media_type}, ${a.size - 40} B)`, `Save attachment ${i + 1} (${a.media_type}, ${a.size - 40} B)`))];
        // The preview is labelled and at least 4em square (a photo of a few
        // pixels was a stray dot under the link).
        if (a.media_type.startsWith('image/')) {
          kids.push(el('figure', { class: 'preview' }, el('img', { src: url, alt: t(`Lampiran ${i + 1}`, `Attachment ${i + 1}`), class: 'preview' }),
            el('figcaption', {}, t(`Pratinjau lampiran ${i + 1}`, `Preview of attachment ${i + 1}`))));
        }
        li.replaceChildren(...kids);
      } catch (e) {
        const m = { hash: ['simpul memberikan berkas yang bukan milik laporan ini (hash tidak cocok)', 'the node served a file that is not this report\'s (hash mismatch)'],
          open: ['kunci isi tidak membuka berkas ini', 'the content key does not open this file'],
          missing: ['berkas belum ada di simpul ini (belum tersalin dari simpul lain); coba lagi nanti', 'the file is not on this node yet (not yet copied from another node); try again later'] }[e.message];
        li.append(' ', el('span', { class: 'error' }, m ? t(...m) : errText(e)));
        btn.disabled = false;
      }
    });
    list.append(li);
  });
  return el('div', {}, el('p', {}, t('Lampiran terenkripsi, dibuka di peramban ini:', 'Encrypted attachments, opened in this browser:')), list);
}

// ---- actions ----

function option(value, text, attrs = {}) { return el('option', { value, ...attrs }, text); }

function renderActions(r) {
  const acts = r.remote ? [] : allowed(r);
  $('act-form').hidden = acts.length === 0;
  const me = ctx.me.inst;
  $('act-none').textContent = acts.length ? '' : r.remote
    ? t('Laporan ini tidak disimpan simpul ini: bertindak lewat simpul instansi pemegangnya.', 'This node does not hold the report: act through the holder\'s node.')
    : r.holders.includes(me) ? t(`Tidak ada tindakan petugas yang berlaku pada status "${tr(STATUS[r.status], r.status)}".`, `No officer action applies in state "${tr(STATUS[r.status], r.status)}".`)
      : t('Instansi Anda tidak memegang laporan ini (dan bukan instansi di atas pemegangnya): tidak ada tindakan untuk Anda.',
        'Your institution does not hold this report (nor is it above a holder): there is nothing for you to do.');
  const prev = $('act-what').value;
  $('act-what').replaceChildren(...acts.map((a) => option(a, tr(ACTION[a], a))));
  if (acts.includes(prev)) $('act-what').value = prev;
  fields();
}

function targetOptions(r) {
  const me = ctx.me.inst;
  // Retired institutions (retired_ms) take no more complaints: not offered.
  const skip = new Set([me, ...r.holders, ...ctx.dir.institutions.filter((i) => i.retired_ms).map((i) => i.id)]);
  const below = subtree(me).filter((id) => !skip.has(id));
  const others = ctx.dir.institutions.map((i) => i.id).filter((id) => !skip.has(id) && !below.includes(id)).sort();
  const group = (label, ids) => (ids.length ? [el('optgroup', { label }, ...ids.map((id) => option(id, instLabel(id))))] : []);
  return [option('', t('— pilih instansi —', '— choose an institution —')),
    ...group(t('Unit dan instansi di bawah instansi Anda', 'Units and institutions below yours'), below),
    ...group(t('Instansi lain', 'Other institutions'), others)];
}

// fields shows what the chosen action needs.
function fields() {
  const a = $('act-what').value;
  $('act-targets-box').hidden = a !== 'disposisi';
  $('act-reason-box').hidden = !REASONS[a];
  $('act-merge-box').hidden = a !== 'gabung';
  $('act-err').hidden = true;
  const help = {
    verifikasi: ['Laporan lengkap dan layak ditangani; jam jawaban mulai berjalan.', 'The report is complete and in scope; the answer clock starts.'],
    disposisi: ['Teruskan ke unit atau instansi lain; pemegangnya berganti.', 'Forward to a unit or another institution; it becomes the holder.'],
    bukan_wewenang: ['Kembalikan ke instansi yang meneruskannya, dengan alasan.', 'Send it back to the institution that forwarded it, with a reason.'],
    tindak_lanjut: ['Jawaban untuk pelapor (publik). Pelapor lalu dapat menerima, membuka kembali, atau menilai.', 'The answer to the reporter (public). The reporter can then accept, reopen or rate it.'],
    ambil_alih: ['Instansi Anda (di atas pemegang) mengambil alih laporan dan menjadi satu-satunya pemegang.', 'Your institution (above the holder) takes the report over and becomes its only holder.'],
    gabung: ['Laporan ini digabung ke laporan lain tentang hal yang sama; keduanya tetap tercatat.', 'This report is merged into another about the same matter; both trails stay.'],
    tunda: ['Tunda: jam berhenti sampai pelapor menambah informasi.', 'On hold: the clock stops until the reporter adds information.'],
    arsip: ['Arsipkan dengan alasan; laporan selesai tanpa tindak lanjut.', 'Archive with a reason; the report ends without follow-up.'],
  }[a];
  $('act-help').textContent = help ? t(help[0], help[1]) : '';
  $('act-text-label').textContent = a === 'tindak_lanjut' ? t('Jawaban (wajib, publik)', 'Answer (required, public)') : t('Catatan (opsional, publik)', 'Note (optional, public)');
  if (REASONS[a]) $('act-reason').replaceChildren(...REASONS[a].map(([v, id, en]) => option(String(v), `${t(id, en)} (${v})`)));
  if (a === 'disposisi') {
    $('act-target').replaceChildren(...targetOptions(cur));
    const w = $('act-sealed-warn');
    w.hidden = false;
    w.textContent = t('Isi tersegel (laporan rahasia; nama dan kontak pelapor) dibuka dengan permintaan bertanda tangan Anda, lalu kuncinya disegel untuk tujuan, agar tujuan dapat membacanya.',
      'Sealed content (a confidential report; the reporter\'s name and contact) is opened with your signed request and its key sealed to the target, so the target can read it.');
  }
  if (a === 'gabung') duplicates();
}

function words(s) { return new Set((s || '').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 2)); }
function similar(a, b) {
  const x = words(a), y = words(b);
  let n = 0;
  for (const w of x) if (y.has(w)) n++;
  return x.size + y.size ? n / (x.size + y.size - n) : 0;
}

// duplicates: reports of the same region and category filed within 30
// days of this one, still open, the most similar words first.
async function duplicates() {
  const r = cur, W = 30 * 86400000;
  const sel = $('act-merge');
  sel.replaceChildren(option('', t('Mencari...', 'Searching...')));
  try {
    const q = new URLSearchParams({ region: r.region, category: r.category, since: String(Math.max(0, r.submitted - W)), until: String(r.submitted + W), limit: '50' });
    const { reports } = await api('/v1/reports?' + q);
    const cands = reports.filter((x) => x.report_id !== r.report_id && !['selesai', 'digabung', 'diarsipkan'].includes(x.status));
    const full = await Promise.all(cands.slice(0, 20).map((x) => api('/v1/reports/' + x.report_id).catch(() => x)));
    const text = `${r.title || ''} ${r.content || ''}`;
    const scored = full.map((x) => ({ x, s: similar(text, `${x.title || ''} ${x.content || ''}`), d: Math.abs(x.submitted - r.submitted) }))
      .sort((a, b) => (b.s - a.s) || (a.d - b.d));
    sel.replaceChildren(option('', scored.length ? t('— pilih laporan —', '— choose a report —') : t('tidak ada kemungkinan duplikat', 'no likely duplicates')),
      ...scored.map(({ x, s }) => option(x.report_id, `${x.ticket || x.report_id.slice(0, 12)} — ${x.title !== undefined ? x.title : t('(rahasia)', '(confidential)')} — ${wib(x.submitted)} — ${t('kemiripan', 'similarity')} ${Math.round(s * 100)}%`)));
    $('act-merge-hint').textContent = t(`Wilayah ${r.region}, kategori ${r.category}, masuk dalam 30 hari dari laporan ini; kata yang paling mirip lebih dulu.`,
      `Region ${r.region}, category ${r.category}, filed within 30 days of this report; most similar words first.`);
  } catch (e) {
    sel.replaceChildren(option('', errText(e)));
  }
}

// sealedKeys: for a disposisi, the report's content key (opened by the
// officer's signed open request) sealed to each target (POST
// /v1/seal-key: WebCrypto has no crypto_box_seal), as act key 8; [] when
// the report has no sealed envelope. A rahasia report whose key this node
// cannot open is refused here, before anything is signed.
async function sealedKeys(targets) {
  const issued = Date.now(), purpose = 'disposisi';
  let o;
  try {
    const sig = await openSig(ctx.session.priv, unhex(cur.report_id), unhex(ctx.session.pub), issued, purpose);
    o = await api(`/v1/reports/${cur.report_id}/open`, { method: 'POST',
      body: { report: cur.report_id, purpose, issued, officer: ctx.session.pub, sig: b64(sig) } });
  } catch (e) {
    if (cur.visibility !== 'rahasia') return [];
    throw e;
  }
  if (!o.content_key) return [];
  const { keys } = await api('/v1/seal-key', { method: 'POST', body: { content_key: o.content_key, to: targets } });
  return keys.sort((a, b) => (a.inst < b.inst ? -1 : 1)).map((k) => [k.inst, unb64(k.boxed)]);
}

// prepare checks the form and shows what will be signed.
async function prepare(ev) {
  ev.preventDefault();
  const a = $('act-what').value, err = $('act-err');
  const text = $('act-text').value.trim();
  const opts = {};
  const fail = (m) => { err.textContent = m; err.hidden = false; };
  err.hidden = true;
  if (a === 'disposisi') {
    if (!$('act-target').value) return fail(t('Pilih instansi tujuan dari direktori.', 'Choose the target institution from the directory.'));
    opts.targets = [$('act-target').value];
    try {
      opts.keys = await sealedKeys(opts.targets);
    } catch (e) {
      return fail(t('Kunci isi tersegel tidak dapat dibuka di simpul ini, jadi tujuan tidak akan dapat membacanya; tidak ada yang ditandatangani. ', 'The sealed content\'s key cannot be opened at this node, so the target could not read it; nothing was signed. ') + why(e));
    }
  }
  if (REASONS[a]) opts.reason = Number($('act-reason').value);
  if (a === 'gabung') {
    if (!$('act-merge').value) return fail(t('Pilih laporan tujuan penggabungan.', 'Choose the report to merge into.'));
    opts.mergeInto = unhex($('act-merge').value);
  }
  if (a === 'tindak_lanjut' && !text) return fail(t('Tuliskan jawaban untuk pelapor.', 'Write the answer to the reporter.'));
  if (new TextEncoder().encode(text).length > 16384) return fail(t('Teks terlalu panjang (maks. 16384 bita).', 'Text too long (max. 16384 bytes).'));
  if (text) opts.text = text;
  opts.issued = Date.now();
  const act = actMap(unhex(cur.report_id), ACT[a], opts);
  pending = { a, act, id: cur.report_id };
  const facts = [[t('Tindakan', 'Action'), `${tr(ACTION[a], a)} (${t('kode', 'code')} ${ACT[a]})`],
    [t('Laporan', 'Report'), `${cur.ticket} (${cur.report_id.slice(0, 16)}…)`]];
  if (opts.targets) facts.push([t('Tujuan', 'Target'), opts.targets.map(instLabel).join(', ')]);
  if (opts.keys && opts.keys.length) facts.push([t('Kunci isi tersegel', 'Sealed content key'), t(`disegel untuk ${opts.keys.map((k) => k[0]).join(', ')}`, `sealed to ${opts.keys.map((k) => k[0]).join(', ')}`)]);
  if (opts.reason) facts.push([t('Alasan', 'Reason'), $('act-reason').selectedOptions[0].textContent]);
  if (opts.mergeInto) facts.push([t('Digabung ke', 'Merged into'), $('act-merge').selectedOptions[0].textContent]);
  if (text) facts.push([t('Teks (publik)', 'Text (public)'), text]);
  facts.push([t('Petugas', 'Officer'), `${ctx.me.name}, ${instLabel(ctx.me.inst)} (${ctx.session.pub.slice(0, 16)}…)`],
    [t('Waktu tanda tangan', 'Signed at'), wib(opts.issued)], [t('Dikirim ke', 'Sent to'), `${t('simpul', 'node')} ${ctx.dir.self} (${location.host})`]);
  $('act-preview-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  import('./reporter.js').then(({ cbor }) => { $('act-preview-bytes').textContent = hex(cbor(act)); });
  $('act-preview').hidden = false;
  $('act-result').replaceChildren();
  $('act-sign').focus();
}

async function sign() {
  if (!pending) return;
  const { act, id, a } = pending;
  pending = null;
  $('act-preview').hidden = true;
  $('act-sign').disabled = true;
  const res = $('act-result');
  try {
    const body = await actionBody(ctx.session.priv, unhex(ctx.session.pub), act);
    const r = await api(`/v1/reports/${id}/actions`, { method: 'POST', body: { body: b64(body) } });
    await touch(ctx.session);
    const last = r.trail[r.trail.length - 1];
    res.replaceChildren(el('div', { class: 'panel result-ok' },
      el('p', {}, el('b', {}, t('Simpul menerima tindakan: ', 'The node accepted the action: ') + tr(ACTION[a], a)), ' — ',
        t(`tercatat di log ${last.log}, indeks ${last.index}; status sekarang "${tr(STATUS[r.status], r.status)}", dipegang ${r.holders.map(instLabel).join(', ') || '-'}.`,
          `recorded in log ${last.log}, index ${last.index}; status now "${tr(STATUS[r.status], r.status)}", held by ${r.holders.map(instLabel).join(', ') || '-'}.`))));
    $('act-text').value = '';
    cur = r;
    const keep = res.firstChild;
    await render(cur);
    res.replaceChildren(keep);
  } catch (e) {
    res.replaceChildren(el('div', { class: 'panel result-bad' }, el('p', { class: 'error' }, why(e)),
      el('p', {}, t('Tidak ada yang dicatat.', 'Nothing was recorded.'))));
  } finally {
    $('act-sign').disabled = false;
  }
}

$('act-what').addEventListener('change', fields);
$('act-form').addEventListener('submit', prepare);
$('act-sign').addEventListener('click', sign);
$('act-cancel').addEventListener('click', () => { pending = null; $('act-preview').hidden = true; });
$('open-form').addEventListener('submit', openSealed);


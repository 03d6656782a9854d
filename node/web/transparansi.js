// transparansi.js - the public observer's page: per-institution figures
// (GET /v1/stats/institutions, the node's own computation), the directory
// verified from the coordinator's log against the federation root key
// (dirlog.js; the observer may paste a root key of their own, kept in
// local storage), every log's latest checkpoint and cosignatures verified
// here (verify.js, WebCrypto) against the keys derived from it,
// consistency with the checkpoint this browser saw last (local storage;
// tiles of every level), fork evidence, and a receipt check.
import { api, applyLang, directory, duration, el, errText, hex, instName, setup, t, wib } from './common.js';
import * as D from './dirlog.js';
import * as V from './verify.js';

const $ = (id) => document.getElementById(id);
const KEEP = 'simpul.checkpoints'; // origin -> {size, root (hex), seen (ms)}
const ROOT = 'simpul.rootkey'; // the root key the observer pasted, if any
const DIRLOG = 'simpul.dirlog'; // root key -> the directory log as verified last (dirlog.js state)

function check(ok, textId, textEn) {
  const cls = ok === true ? 'pass' : ok === false ? 'fail' : 'info';
  return el('p', { class: 'check ' + cls }, t(textId, textEn));
}

function remembered() {
  try { return JSON.parse(localStorage.getItem(KEEP) || '{}'); } catch { return {}; }
}
function remember(all) { try { localStorage.setItem(KEEP, JSON.stringify(all)); } catch { /* private mode */ } }

function mineRoot() { try { return localStorage.getItem(ROOT); } catch { return null; } }

// The directory log verified on an earlier visit, per root key: the next
// visit reads only the entries added since (dirlog.js).
function dirlogSeen(rootKey) {
  try { return JSON.parse(localStorage.getItem(DIRLOG) || '{}')[rootKey] || null; } catch { return null; }
}
function dirlogKeep(rootKey, state) {
  try {
    const all = JSON.parse(localStorage.getItem(DIRLOG) || '{}');
    all[rootKey] = state;
    localStorage.setItem(DIRLOG, JSON.stringify(all));
  } catch { /* private mode: the next visit reads the whole log */ }
}

// trusted: the directory verified against the root key (the observer's,
// else the one this node names), once per root key: {d (the node's
// /v1/directory), rootKey, mine, v (dirlog result) | err}.
let trustedP = null;
function trusted() {
  if (!trustedP) {
    trustedP = (async () => {
      const d = await directory();
      const mine = mineRoot();
      const out = { d, rootKey: mine || d.root_key, mine: !!mine };
      try {
        if (!out.rootKey) throw new D.StepError('none', '');
        out.v = await D.verifyDirectory(out.rootKey, undefined, dirlogSeen(out.rootKey));
        dirlogKeep(out.rootKey, out.v.state);
      } catch (e) { out.err = e; }
      return out;
    })();
  }
  return trustedP;
}

// keys: origin/witness name -> Ed25519 public key, derived from the
// verified directory log ({} if it did not verify: nothing is checked).
async function keys() {
  const s = await trusted();
  return { d: s.d, k: s.v ? s.v.keys : {}, verified: !!s.v };
}

function stepText(e) {
  const at = e.detail || '';
  switch (e.step) {
    case 'none': return [t('Simpul ini tidak menyebut kunci akar (simpul mandiri) dan Anda belum menempelkan kunci.',
      'This node names no root key (a standalone node) and you have not pasted one.')];
    case 'checkpoint': return [t(`checkpoint log direktori tidak ditandatangani oleh kunci akar ini (atau kunci hasil rotasinya) (${at})`,
      `the directory log's checkpoint is not signed by this root key (or a key it rotated to) (${at})`)];
    case 'tree': return [t('entri log direktori yang disajikan simpul ini tidak cocok dengan akar checkpoint-nya',
      'the directory log entries this node serves do not hash to the root of its checkpoint')];
    case 'author': case 'signature': return [t(`${at.replace('entry', 'entri')} log direktori tidak ditandatangani oleh kunci akar ini (atau kunci hasil rotasinya yang berlaku saat itu)`,
      `${at} of the directory log is not signed by this root key (or the key it rotated to in force then)`)];
    case 'chain': return [t(`${at.replace('entry', 'entri')} log direktori tidak terhubung dengan entri sebelumnya`,
      `${at} of the directory log does not chain to the one before`)];
    case 'first': return [t('log ini bukan log direktori: entri pertamanya bukan catatan koordinator',
      'this is not a directory log: its first entry is not the coordinator\'s record')];
    case 'shrunk': case 'consistency': return [t(`log direktori bukan kelanjutan log yang diperiksa peramban ini sebelumnya (ukuran ${at}): log itu ditulis ulang`,
      `the directory log does not extend the one this browser verified before (size ${at}): it was rewritten`)];
    default: return [e.message];
  }
}

// rootSection shows the root key, where it came from, and what was
// verified with it; and flags a node whose /v1/directory differs from the
// verified log, or that trusts another root key than the observer.
async function rootSection() {
  const s = await trusted();
  $('root-key').textContent = s.rootKey || '-';
  $('root-src').textContent = s.mine
    ? t('Kunci akar yang Anda tempelkan (disimpan di peramban ini):', 'The root key you pasted (kept in this browser):')
    : t('Kunci akar yang disebut simpul ini ([federation] root_key):', 'The root key this node names ([federation] root_key):');
  const out = [];
  if (s.mine && s.d.root_key && s.d.root_key !== s.rootKey)
    out.push(check(false, `Simpul ini memercayai kunci akar lain: ${s.d.root_key}.`, `This node trusts another root key: ${s.d.root_key}.`));
  if (s.err) {
    out.push(check(false, `GAGAL: direktori tidak terverifikasi: ${stepText(s.err)}. Kunci log tidak dapat dipercaya, jadi log di bawah tidak diperiksa.`,
      `FAILED: the directory is not verified: ${stepText(s.err)}. No log key can be trusted, so the logs below are not checked.`));
  } else {
    const v = s.v;
    const rot = v.rootKeys.length - 1;
    const signer = rot ? 'kunci koordinator saat ini' : 'kunci akar', signerEn = rot ? 'the coordinator\'s current key' : 'the root key';
    const by = rot ? ` atau kunci yang menggantikannya (${rot} rotasi kunci koordinator, masing-masing ditandatangani kunci sebelumnya)` : '';
    const byEn = rot ? ` or the keys that replaced it (${rot} coordinator key rotation${rot > 1 ? 's' : ''}, each signed by the key before)` : '';
    out.push(v.from === v.size
      ? check(true, `Log direktori ${v.origin}: checkpoint ukuran ${v.size} ditandatangani ${signer}, sama dengan yang sudah diperiksa peramban ini (tidak ada entri baru; tidak ada yang dibaca ulang)${rot ? `; ${rot} rotasi kunci koordinator diikuti` : ''}; ${v.records} catatan direktori bertanda tangan sah.`,
        `Directory log ${v.origin}: checkpoint of size ${v.size} signed by ${signerEn}, the same as this browser verified before (no new entry; nothing read again)${rot ? `; ${rot} coordinator key rotation${rot > 1 ? 's' : ''} followed` : ''}; ${v.records} directory records with valid signatures.`)
      : v.from === 0
      ? check(true, `Log direktori ${v.origin}: checkpoint ukuran ${v.size} ditandatangani ${signer}; ${v.size} entri cocok dengan akarnya (RFC 9162), semuanya dari kunci akar${by} dan berantai; ${v.records} catatan direktori bertanda tangan sah.`,
        `Directory log ${v.origin}: checkpoint of size ${v.size} signed by ${signerEn}; ${v.size} entries hash to its root (RFC 9162), all by the root key${byEn} and chained; ${v.records} directory records with valid signatures.`)
      : check(true, `Log direktori ${v.origin}: checkpoint ukuran ${v.size} ditandatangani ${signer} dan konsisten (RFC 9162) dengan ukuran ${v.from} yang sudah diperiksa peramban ini; hanya ${v.size - v.from} entri baru dibaca, cocok dengan akarnya, dari kunci akar${by} dan berantai; ${v.records} catatan direktori bertanda tangan sah.`,
        `Directory log ${v.origin}: checkpoint of size ${v.size} signed by ${signerEn} and consistent (RFC 9162) with size ${v.from}, verified in this browser before; only the ${v.size - v.from} new entries read, they hash to its root, by the root key${byEn} and chained; ${v.records} directory records with valid signatures.`));
    out.push(check(true, `Kunci log ${v.insts.size} instansi diturunkan dari catatan itu (koordinator: ${v.coordinator}).`,
      `The log keys of ${v.insts.size} institutions derived from those records (coordinator: ${v.coordinator}).`));
    const differ = s.d.institutions.filter((i) => !v.insts.has(i.id) || hex(v.insts.get(i.id).sign_key) !== i.sign_key).map((i) => i.id);
    out.push(differ.length
      ? check(false, `Direktori yang disajikan simpul ini (/v1/directory) berbeda dari log yang diperiksa untuk: ${differ.join(', ')}. Halaman ini memakai kunci dari log.`,
        `The directory this node serves (/v1/directory) differs from the verified log for: ${differ.join(', ')}. This page uses the keys from the log.`)
      : check(true, 'Direktori yang disajikan simpul ini (/v1/directory) sama dengan log yang diperiksa.',
        'The directory this node serves (/v1/directory) matches the verified log.'));
  }
  $('root-result').replaceChildren(...out);
}

async function useRoot(ev) {
  ev.preventDefault();
  const err = $('root-err');
  const v = $('root-in').value.trim();
  try {
    await D.parseVkey(v);
  } catch (e) {
    err.hidden = false;
    err.textContent = t(`Kunci tidak valid: ${e.message}`, `Not a valid key: ${e.message}`);
    $('root-in').setAttribute('aria-invalid', 'true');
    return;
  }
  err.hidden = true;
  $('root-in').removeAttribute('aria-invalid');
  try { localStorage.setItem(ROOT, v); } catch { /* private mode: this visit only */ }
  trustedP = null;
  await all();
}

async function resetRoot() {
  try { localStorage.removeItem(ROOT); } catch { /* private mode */ }
  $('root-in').value = '';
  trustedP = null;
  await all();
}

async function stats() {
  const s = await api('/v1/stats/institutions');
  const rows = [];
  // Each cell carries its column's name (data-label): a phone shows the
  // rows stacked, one "name: value" line per cell (app.css table.stack).
  const heads = [...$('stats').tHead.rows[0].cells].map((c) => c.textContent);
  const cell = (i, v, cls = 'num') => el('td', { class: cls, role: 'cell', 'data-label': heads[i] }, v);
  for (const [id, x] of Object.entries(s.institutions).sort()) {
    rows.push(el('tr', { role: 'row' }, el('th', { scope: 'row', role: 'rowheader' }, await instName(id)),
      cell(1, x.received), cell(2, x.in_hand), cell(3, x.answered), cell(4, x.overdue, x.overdue ? 'num error' : 'num'),
      cell(5, x.median_answer_ms === null ? '-' : duration(x.median_answer_ms)),
      cell(6, x.rating_avg === null ? '-' : `${x.rating_avg.toFixed(1)}/5 (${x.ratings})`)));
  }
  if (!rows.length) rows.push(el('tr', { role: 'row' }, el('td', { colspan: 7, role: 'cell' }, t('Belum ada laporan.', 'No reports yet.'))));
  $('stats').tBodies[0].replaceChildren(...rows);
  $('stats-note').textContent = t(`Dihitung oleh simpul ini pada ${wib(s.computed)} dari laporan yang disimpannya.`,
    `Computed by this node at ${wib(s.computed)} from the reports it holds.`);
}

// consistency checks the remembered checkpoint of origin against the new
// one: the tiles (any level) must give the new signed root, and the
// consistency proof built from them must verify against both roots; then
// it remembers the new one.
async function consistency(path, origin, cp) {
  const all = remembered(), old = all[origin];
  const keep = () => { all[origin] = { size: cp.size, root: hex(cp.root), seen: Date.now() }; remember(all); };
  if (!old) {
    keep();
    return check(null, `Pertama kali dilihat di peramban ini: ukuran ${cp.size} diingat untuk kunjungan berikutnya.`,
      `First seen in this browser: size ${cp.size} remembered for your next visit.`);
  }
  if (cp.size < old.size)
    return check(false, `TIDAK KONSISTEN: log kini ${cp.size} entri, padahal Anda pernah melihat ${old.size}.`,
      `INCONSISTENT: the log now has ${cp.size} entries, but you saw ${old.size}.`);
  if (old.size === 0) { keep(); return check(true, 'Konsisten (log sebelumnya kosong).', 'Consistent (the log was empty).'); }
  try {
    const hashAt = V.tileReader(path, cp.size);
    if (!V.eq(await V.rangeHash(hashAt, 0, cp.size), cp.root))
      return check(false, 'GAGAL: tile hash log tidak cocok dengan checkpoint yang ditandatangani.',
        'FAILED: the log\'s hash tiles do not match its signed checkpoint.');
    const proof = await V.consistencyProof(hashAt, old.size, cp.size);
    if (!(await V.verifyConsistency(old.size, cp.size, V.hexd(old.root), cp.root, proof)))
      return check(false, `TIDAK KONSISTEN: ${old.size} entri pertama log tidak lagi sama dengan yang Anda lihat pada ${wib(old.seen)}. Log ditulis ulang.`,
        `INCONSISTENT: the first ${old.size} entries are no longer those you saw on ${wib(old.seen)}. The log was rewritten.`);
    keep();
    const how = old.size === cp.size
      ? t('log tidak berubah (akar yang sama)', 'the log did not change (the same root)')
      : t(`log hanya bertambah (bukti konsistensi RFC 9162 dari tile, ${proof.length} hash)`,
        `the log only grew (RFC 9162 consistency proof from the tiles, ${proof.length} hashes)`);
    return check(true, `Konsisten dengan checkpoint ukuran ${old.size} yang Anda lihat pada ${wib(old.seen)}: ${how}.`,
      `Consistent with the checkpoint of size ${old.size} you saw on ${wib(old.seen)}: ${how}.`);
  } catch (e) {
    return check(null, `Konsistensi tidak dapat diperiksa: ${e.message}`, `Consistency could not be checked: ${e.message}`);
  }
}

async function logCard(l, k, verified, forks) {
  const name = await instName(l.origin.split('/').slice(1).join('/'));
  const card = el('section', { class: 'panel', 'aria-label': l.origin });
  card.append(el('h3', {}, name), el('p', { class: 'mono' }, l.origin));
  if (!l.checkpoint) { card.append(check(null, 'Belum ada checkpoint.', 'No checkpoint yet.')); return card; }
  const pub = k[l.origin];
  let res;
  try {
    res = pub ? await V.verifyCheckpoint(l.checkpoint, l.origin, pub) : null;
  } catch (e) {
    res = { ok: false, why: e.message };
  }
  if (!res) {
    card.append(verified
      ? check(null, 'Kunci log ini tidak ada di direktori: tidak diperiksa.', 'This log\'s key is not in the directory: not checked.')
      : check(null, 'Tidak diperiksa: direktori belum terverifikasi (lihat kunci akar di atas).', 'Not checked: the directory is not verified (see the root key above).'));
    return card;
  }
  card.append(el('p', {}, t(`Ukuran ${res.cp ? res.cp.size : '?'} entri`, `Size ${res.cp ? res.cp.size : '?'} entries`),
    el('br'), el('span', { class: 'mono' }, t('akar ', 'root ') + (res.cp ? hex(res.cp.root) : '?'))));
  card.append(res.ok
    ? check(true, 'Checkpoint ditandatangani oleh kunci instansi ini (Ed25519, diperiksa di peramban).', 'Checkpoint signed by this institution\'s key (Ed25519, checked in the browser).')
    : check(false, `GAGAL: tanda tangan checkpoint tidak sah (${res.why}).`, `FAILED: the checkpoint signature is not valid (${res.why}).`));
  if (res.ok) {
    const cos = await V.cosignatures(l.checkpoint, k).catch(() => []);
    for (const c of cos) {
      const who = await instName(c.name.split('/').slice(1).join('/'));
      card.append(c.ok
        ? check(true, `Kosignatur sah dari ${who}, ${wib(c.time * 1000)}.`, `Valid cosignature by ${who}, ${wib(c.time * 1000)}.`)
        : check(false, `GAGAL: kosignatur dari ${who} tidak sah.`, `FAILED: the cosignature by ${who} is not valid.`));
    }
    if (!cos.length) card.append(check(null, 'Belum ada kosignatur dari saksi yang dikenal.', 'No cosignature by a known witness yet.'));
    card.append(await consistency(l.path, l.origin, res.cp));
  }
  const f = forks.filter((x) => x.origin === l.origin);
  if (l.frozen || f.length) {
    card.append(check(false, `Bukti fork: ${f.length} (log dibekukan${l.fork_at !== undefined ? ' pada ' + l.fork_at : ''}).`,
      `Fork evidence: ${f.length} (log frozen${l.fork_at !== undefined ? ' at ' + l.fork_at : ''}).`));
  } else {
    card.append(check(null, 'Tidak ada bukti fork di simpul ini.', 'No fork evidence at this node.'));
  }
  return card;
}

async function logs() {
  $('logs-status').textContent = t('Memeriksa...', 'Checking...');
  const [{ k, verified }, ls, fk] = await Promise.all([keys(), api('/v1/logs'), api('/v1/forks')]);
  const cards = [];
  for (const l of ls.logs) cards.push(await logCard(l, k, verified, fk.forks || []));
  $('logs').replaceChildren(...cards);
  $('logs-status').textContent = t(`${ls.logs.length} log diperiksa.`, `${ls.logs.length} logs checked.`);
}

async function checkReceipt(ev) {
  ev.preventDefault();
  const out = $('receipt-result');
  out.replaceChildren(check(null, 'Memeriksa...', 'Checking...'));
  const lines = [];
  try {
    const text = $('receipt').value.trim() + '\n';
    const r = V.parseReceipt(text);
    const { k, verified } = await keys();
    if (!verified) throw new Error(t('direktori belum terverifikasi (lihat kunci akar di atas)', 'the directory is not verified (see the root key above)'));
    const origin = V.parseCheckpoint(V.parseNote(r.note).text).origin;
    const pub = k[origin];
    if (!pub) throw new Error(t(`log ${origin} tidak ada di direktori`, `log ${origin} is not in the directory`));
    const cp = await V.verifyCheckpoint(r.note, origin, pub);
    lines.push(cp.ok
      ? check(true, `Checkpoint dalam tanda terima ditandatangani oleh ${origin}.`, `The receipt's checkpoint is signed by ${origin}.`)
      : check(false, `GAGAL: checkpoint dalam tanda terima tidak sah (${cp.why}).`, `FAILED: the receipt's checkpoint is not valid (${cp.why}).`));
    for (const c of await V.cosignatures(r.note, k))
      lines.push(check(c.ok, `Kosignatur ${c.name}: ${c.ok ? 'sah' : 'TIDAK SAH'}.`, `Cosignature ${c.name}: ${c.ok ? 'valid' : 'INVALID'}.`));
    const path = '/logs/' + origin.split('/').slice(1).join('/');
    const cur = await fetch(path + '/checkpoint').then((x) => (x.ok ? x.text() : null));
    const size = cur ? V.parseCheckpoint(V.parseNote(cur).text).size : cp.cp.size;
    const entry = await V.entryAt(path, r.index, Math.max(size, cp.cp.size));
    const id = hex(await V.sha256(entry));
    const inc = await V.verifyInclusion(r.index, cp.cp.size, await V.leafHash(entry), r.proof, cp.cp.root);
    lines.push(inc
      ? check(true, `Entri ${r.index} (laporan ${id}) termasuk dalam log berukuran ${cp.cp.size}: bukti inklusi sah.`,
        `Entry ${r.index} (report ${id}) is included in the log of size ${cp.cp.size}: the inclusion proof is valid.`)
      : check(false, `GAGAL: bukti inklusi tidak sah untuk entri ${r.index}. Tanda terima ini telah diubah atau bukan untuk log ini.`,
        `FAILED: the inclusion proof does not verify for entry ${r.index}. This receipt was altered or is not for this log.`));
    if (inc && cp.ok) lines.push(el('p', {}, el('a', { href: '/lacak?id=' + id }, t('Lacak laporan ini', 'Track this report'))));
  } catch (e) {
    lines.push(check(false, `GAGAL: ${e.message || errText(e)}`, `FAILED: ${e.message || errText(e)}`));
  }
  out.replaceChildren(...lines);
}

async function loadFile() {
  const f = $('receipt-file').files[0];
  if (f) $('receipt').value = await f.text();
}

async function all() {
  await Promise.all([stats(), rootSection(), logs()]).catch((e) => { $('logs-status').textContent = errText(e); });
  applyLang();
}

setup(all);
$('receipt-form').addEventListener('submit', checkReceipt);
$('receipt-file').addEventListener('change', loadFile);
$('root-form').addEventListener('submit', useRoot);
$('root-reset').addEventListener('click', resetRoot);
all();

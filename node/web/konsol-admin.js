// konsol-admin.js - the console's administration pages, for an
// institution's admins: officers (enrol, change role, suspend or remove),
// units, and routing rules of the institution's subtree. Every change is
// a directory record (docs/directory.md) wrapped in an admin request
// signed in the browser (officer.js adminBody, as sp_admin_sign makes it),
// shown before it is signed, and sent through this node
// (POST /v1/admin/forward) to the national coordinator's node, which
// checks it (the signer an admin whose institution may make the change)
// and writes it to the directory log; its answer or refusal is shown.
import { api, applyLang, b64, el, errText, hex, t, unhex, wib } from './common.js';
import { adminBody, touch } from './officer.js';
import { ctx, inst, instLabel, ROLE, subtree, tr } from './konsol-lib.js';

const $ = (id) => document.getElementById(id);
const EV = { institution: 1, officer: 2, route: 3 };
let pending = null;

function mine() { return [ctx.me.inst, ...subtree(ctx.me.inst)].filter((id) => !(inst(id) || {}).retired_ms); }
function instOptions(ids, sel) { return ids.map((id) => el('option', { value: id, selected: id === sel }, instLabel(id))); }
function field(id, label, input) { return [el('label', { for: id }, label), input]; }

// ---- records (deterministic CBOR maps, docs/directory.md) ----

function officerRec(instId, key, name, role, remove) {
  return new Map([[0, instId], [1, key], [2, name], [3, role === 'admin' ? 0 : 1], [4, remove ? 1 : 0]]);
}
function unitRec(f) {
  return new Map([[0, f.id], [1, f.name], [2, 5], [3, f.parent], [4, unhex(f.sign)], [5, unhex(f.seal)], [6, []],
    [7, f.http], [8, f.regions], [9, f.categories]]);
}
function routeRec(id, category, region, target) { return new Map([[0, id], [1, category], [2, region], [3, target]]); }

// ---- preview, sign, send ----

async function review(type, rec, facts) {
  const { cbor } = await import('./reporter.js');
  pending = { type, rec };
  $('adm-preview-facts').replaceChildren(...[...facts, [t('Ditandatangani oleh', 'Signed by'), `${ctx.me.name} (${ctx.session.pub.slice(0, 16)}…)`],
    [t('Berlaku sampai', 'Valid until'), t('5 menit setelah ditandatangani', '5 minutes after signing')],
    [t('Dikirim ke', 'Sent to'), t(`koordinator nasional (${ctx.dir.coordinator}) lewat simpul ini`, `the national coordinator (${ctx.dir.coordinator}) through this node`)]]
    .flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('adm-preview-bytes').textContent = hex(cbor(rec));
  $('adm-preview').hidden = false;
  $('adm-result').replaceChildren();
  $('adm-sign').focus();
}

async function send() {
  if (!pending) return;
  const { type, rec } = pending;
  pending = null;
  $('adm-preview').hidden = true;
  const out = $('adm-result');
  try {
    const { cbor } = await import('./reporter.js');
    const body = await adminBody(ctx.session.priv, unhex(ctx.session.pub), EV[type], cbor(rec));
    const r = await api('/v1/admin/forward', { method: 'POST', body: { request: b64(body) } });
    await touch(ctx.session);
    for (const f of $('admin-body').querySelectorAll('form')) if (f.id !== 'adm-route-test') f.reset();
    out.replaceChildren(el('div', { class: 'panel result-ok' }, el('p', {}, el('b', {}, t('Koordinator menerima perubahan. ', 'The coordinator accepted the change. ')),
      t(`Tercatat di log direktori, indeks ${r.index}; setiap simpul menerapkannya saat replikasi sampai.`,
        `Recorded in the directory log, index ${r.index}; every node applies it as replication reaches it.`))));
    setTimeout(() => refresh(), 1500);
  } catch (e) {
    out.replaceChildren(el('div', { class: 'panel result-bad' }, el('p', { class: 'error' },
      t('Ditolak: ', 'Refused: ') + errText(e)), el('p', {}, t('Tidak ada yang dicatat.', 'Nothing was recorded.'))));
  }
}

// ---- officers ----

async function officersTable() {
  const at = $('adm-off-inst').value;
  const { officers } = await api('/v1/officers?inst=' + encodeURIComponent(at));
  const rows = officers.map((o) => el('tr', { 'data-key': o.key },
    el('td', {}, o.name), el('td', {}, tr(ROLE[o.role], o.role)), el('td', { class: 'mono small', title: o.key }, o.key.slice(0, 12) + '…'),
    el('td', {}, wib(o.since_ms)),
    el('td', {}, el('button', { type: 'button', class: 'secondary small', 'data-do': 'role' },
      o.role === 'admin' ? t('Jadikan penghubung', 'Make liaison') : t('Jadikan admin', 'Make admin')), ' ',
    el('button', { type: 'button', class: 'secondary small', 'data-do': 'remove' }, t('Tangguhkan / hapus', 'Suspend / remove')))));
  $('adm-off-body').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '5' }, t('Belum ada petugas.', 'No officers yet.')))]));
  $('adm-off-body').onclick = (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    const o = officers.find((x) => x.key === b.closest('tr').dataset.key);
    const remove = b.dataset.do === 'remove';
    const role = remove ? o.role : (o.role === 'admin' ? 'penghubung' : 'admin');
    review('officer', officerRec(at, unhex(o.key), o.name, role, remove), [
      [t('Perubahan', 'Change'), remove ? t('akhiri pendaftaran petugas (tangguhkan atau hapus; didaftarkan lagi dengan "Daftarkan")', 'end the officer\'s enrolment (suspend or remove; enrol again with "Enrol")')
        : t(`ubah peran menjadi ${tr(ROLE[role], role)}`, `change role to ${tr(ROLE[role], role)}`)],
      [t('Petugas', 'Officer'), `${o.name} (${o.key.slice(0, 16)}…)`], [t('Instansi', 'Institution'), instLabel(at)]]);
  };
}

function pubFrom(text) {
  const m = /(?:^|[^0-9a-f])([0-9a-f]{64})(?:[^0-9a-f]|$)/i.exec(text.trim());
  return m ? m[1].toLowerCase() : null;
}

async function enrol(ev) {
  ev.preventDefault();
  const err = $('adm-enrol-err');
  const f = $('adm-enrol-file').files[0];
  const key = pubFrom(f ? await f.text() : $('adm-enrol-key').value);
  const name = $('adm-enrol-name').value.trim();
  err.hidden = true;
  const fail = (m) => { err.textContent = m; err.hidden = false; };
  if (!name || new TextEncoder().encode(name).length > 128) return fail(t('Nama petugas wajib diisi (maks. 128 bita).', 'The officer\'s name is required (max. 128 bytes).'));
  if (!key) return fail(t('Kunci publik: 64 digit heksadesimal (keluaran simpul keygen), atau berkas yang memuatnya.', 'Public key: 64 hex digits (from simpul keygen), or a file holding them.'));
  const at = $('adm-enrol-inst').value, role = $('adm-enrol-role').value;
  review('officer', officerRec(at, unhex(key), name, role, false), [[t('Perubahan', 'Change'), t('daftarkan petugas', 'enrol an officer')],
    [t('Nama', 'Name'), name], [t('Peran', 'Role'), tr(ROLE[role], role)], [t('Instansi', 'Institution'), instLabel(at)], [t('Kunci publik', 'Public key'), key]]);
}

// ---- units ----

function unitsList() {
  const units = ctx.dir.institutions.filter((i) => i.tier === 'unit' && mine().includes(i.id));
  $('adm-units').replaceChildren(...(units.length ? units.map((u) => el('li', {}, `${u.name} (${u.id}) — ${t('di bawah', 'under')} ${instLabel(u.parent)}`))
    : [el('li', {}, t('Belum ada unit.', 'No units yet.'))]));
}

function addUnit(ev) {
  ev.preventDefault();
  const err = $('adm-unit-err');
  const v = (id) => $(id).value.trim();
  const f = { id: v('adm-unit-id'), name: v('adm-unit-name'), parent: $('adm-unit-parent').value, sign: v('adm-unit-sign').toLowerCase(),
    seal: v('adm-unit-seal').toLowerCase(), http: v('adm-unit-http'), regions: v('adm-unit-regions').split(/\s+/).filter(Boolean),
    categories: v('adm-unit-cats').split(/\s+/).filter(Boolean) };
  err.hidden = true;
  const fail = (m) => { err.textContent = m; err.hidden = false; };
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(f.id) || /^[0-9.]+$/.test(f.id)) return fail(t('Kode unit: 1–32 huruf, angka, titik, _ atau - (misalnya 73.12.DINKES).', 'Unit id: 1–32 letters, digits, dots, _ or - (e.g. 73.12.DINKES).'));
  if (inst(f.id)) return fail(t('Kode itu sudah dipakai di direktori.', 'That id is already in the directory.'));
  if (!f.name) return fail(t('Nama unit wajib diisi.', 'The unit\'s name is required.'));
  if (!/^[0-9a-f]{64}$/.test(f.sign) || !/^[0-9a-f]{64}$/.test(f.seal)) return fail(t('Kunci tanda tangan dan kunci segel simpul unit: masing-masing 64 digit heksadesimal (dari simpul init --join di host unit).', 'The unit node\'s signing and seal keys: 64 hex digits each (from simpul init --join on the unit\'s host).'));
  if (f.regions.some((r) => !/^\d\d(\.\d\d(\.\d\d(\.\d{4})?)?)?$/.test(r)) || f.regions.length > 8) return fail(t('Wilayah: sampai 8 kode wilayah Kemendagri, dipisah spasi.', 'Regions: up to 8 Kemendagri codes, separated by spaces.'));
  if (f.categories.some((c) => !/^[a-z0-9-]{1,32}$/.test(c)) || f.categories.length > 16) return fail(t('Kategori: sampai 16, huruf kecil, angka dan -.', 'Categories: up to 16, lower case, digits and -.'));
  review('institution', unitRec(f), [[t('Perubahan', 'Change'), t('tambah unit', 'add a unit')], [t('Kode', 'Id'), f.id], [t('Nama', 'Name'), f.name],
    [t('Induk', 'Parent'), instLabel(f.parent)], [t('Kunci tanda tangan', 'Signing key'), f.sign], [t('Kunci segel', 'Seal key'), f.seal],
    [t('Alamat HTTP', 'HTTP address'), f.http || '-'], [t('Wilayah', 'Regions'), f.regions.join(' ') || '-'], [t('Kategori', 'Categories'), f.categories.join(' ') || '-']]);
}

// ---- routes ----

async function testRoute(ev) {
  ev.preventDefault();
  const out = $('adm-route-test-out');
  try {
    const q = new URLSearchParams({ category: $('adm-rt-cat').value.trim(), region: $('adm-rt-region').value.trim() });
    const r = await api('/v1/route?' + q);
    out.textContent = t(`→ ${instLabel(r.inst)}, aturan ${r.rule}${r.default ? ' (bawaan: pemerintah wilayah)' : ''}; batas: verifikasi ${r.policy.verify}, jawaban ${r.policy.answer} hari kerja.`,
      `→ ${instLabel(r.inst)}, rule ${r.rule}${r.default ? ' (default: the region\'s government)' : ''}; deadlines: verify ${r.policy.verify}, answer ${r.policy.answer} working days.`);
  } catch (e) { out.textContent = errText(e); }
}

function setRoute(ev, del = false) {
  ev.preventDefault();
  const err = $('adm-route-err');
  const id = $('adm-rs-id').value.trim(), cat = $('adm-rs-cat').value.trim() || '*', region = $('adm-rs-region').value.trim();
  const target = del ? '' : $('adm-rs-to').value;
  err.hidden = true;
  const fail = (m) => { err.textContent = m; err.hidden = false; };
  if (!/^[A-Za-z0-9._:*-]{1,48}$/.test(id) || id.startsWith('default:')) return fail(t('Kode aturan: 1–48 karakter A-Z a-z 0-9 . _ - : *, tidak diawali default:.', 'Rule id: 1–48 of A-Z a-z 0-9 . _ - : *, not starting with default:.'));
  if (cat !== '*' && !/^[a-z0-9-]{1,32}$/.test(cat)) return fail(t('Kategori: huruf kecil, angka dan -, atau *.', 'Category: lower case, digits and -, or *.'));
  if (region && !/^\d\d(\.\d\d(\.\d\d(\.\d{4})?)?)?$/.test(region)) return fail(t('Awalan wilayah: kode Kemendagri (misalnya 73.12).', 'Region prefix: a Kemendagri code (e.g. 73.12).'));
  review('route', routeRec(id, del ? '*' : cat, del ? '' : region, target), [[t('Perubahan', 'Change'), del ? t('hapus aturan rute', 'delete a routing rule') : t('tetapkan aturan rute', 'set a routing rule')],
    [t('Kode aturan', 'Rule id'), id], ...(del ? [] : [[t('Kategori', 'Category'), cat], [t('Awalan wilayah', 'Region prefix'), region || t('(semua wilayah)', '(any region)')], [t('Ke', 'To'), instLabel(target)]])]);
}

// ---- the page ----

function build() {
  const me = ctx.me.inst;
  const body = $('admin-body');
  body.replaceChildren(
    el('p', { class: 'lead' }, t(`Perubahan direktori untuk ${instLabel(me)} dan unit di bawahnya. Setiap perubahan adalah permintaan yang Anda tandatangani; koordinator nasional memeriksa dan mencatatnya di log direktori.`,
      `Directory changes for ${instLabel(me)} and the units below it. Each change is a request you sign; the national coordinator checks it and records it in the directory log.`)),
    el('h2', { id: 'adm-off-h' }, t('Petugas', 'Officers')),
    el('div', { class: 'panel' }, ...field('adm-off-inst', t('Instansi', 'Institution'), el('select', { id: 'adm-off-inst' }, ...instOptions(mine(), me))),
      el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'adm-off-h' }, el('table', { class: 'admin' },
        el('thead', {}, el('tr', {}, ...[t('Nama', 'Name'), t('Peran', 'Role'), t('Kunci', 'Key'), t('Sejak', 'Since'), ''].map((h) => el('th', {}, h)))),
        el('tbody', { id: 'adm-off-body' })))),
    el('form', { id: 'adm-enrol', class: 'panel', novalidate: true, 'aria-labelledby': 'adm-enrol-h' },
      el('h3', { id: 'adm-enrol-h' }, t('Daftarkan petugas', 'Enrol an officer')),
      ...field('adm-enrol-inst', t('Instansi', 'Institution'), el('select', { id: 'adm-enrol-inst' }, ...instOptions(mine(), me))),
      ...field('adm-enrol-name', t('Nama (publik)', 'Name (public)'), el('input', { type: 'text', id: 'adm-enrol-name', maxlength: '128', autocomplete: 'off' })),
      ...field('adm-enrol-role', t('Peran', 'Role'), el('select', { id: 'adm-enrol-role' }, el('option', { value: 'penghubung' }, tr(ROLE.penghubung)), el('option', { value: 'admin' }, tr(ROLE.admin)))),
      ...field('adm-enrol-key', t('Kunci publik petugas (64 digit heksadesimal, dari simpul keygen di komputer petugas)', 'The officer\'s public key (64 hex digits, from simpul keygen on the officer\'s machine)'),
        el('input', { type: 'text', id: 'adm-enrol-key', class: 'mono', autocomplete: 'off', spellcheck: 'false' })),
      ...field('adm-enrol-file', t('atau berkas kunci publik', 'or a public key file'), el('input', { type: 'file', id: 'adm-enrol-file' })),
      el('div', { id: 'adm-enrol-err', class: 'field-error', role: 'alert', hidden: true }),
      el('div', { class: 'actions' }, el('button', { type: 'submit' }, t('Periksa sebelum menandatangani', 'Review before signing')))),
    el('h2', {}, t('Unit', 'Units')),
    el('ul', { id: 'adm-units' }),
    el('form', { id: 'adm-unit', class: 'panel', novalidate: true, 'aria-labelledby': 'adm-unit-h' },
      el('h3', { id: 'adm-unit-h' }, t('Tambah unit', 'Add a unit')),
      el('div', { class: 'row two' },
        el('div', {}, ...field('adm-unit-id', t('Kode unit', 'Unit id'), el('input', { type: 'text', id: 'adm-unit-id', placeholder: `${me}.DINKES`, autocomplete: 'off' }))),
        el('div', {}, ...field('adm-unit-name', t('Nama', 'Name'), el('input', { type: 'text', id: 'adm-unit-name', maxlength: '128', autocomplete: 'off' })))),
      ...field('adm-unit-parent', t('Induk', 'Parent'), el('select', { id: 'adm-unit-parent' }, ...instOptions(mine(), me))),
      ...field('adm-unit-sign', t('Kunci tanda tangan simpul unit (heks)', 'The unit node\'s signing key (hex)'), el('input', { type: 'text', id: 'adm-unit-sign', class: 'mono', autocomplete: 'off', spellcheck: 'false' })),
      ...field('adm-unit-seal', t('Kunci segel simpul unit (heks)', 'The unit node\'s seal key (hex)'), el('input', { type: 'text', id: 'adm-unit-seal', class: 'mono', autocomplete: 'off', spellcheck: 'false' })),
      ...field('adm-unit-http', t('Alamat HTTP simpul unit (opsional)', 'The unit node\'s HTTP address (optional)'), el('input', { type: 'text', id: 'adm-unit-http', autocomplete: 'off' })),
      el('div', { class: 'row two' },
        el('div', {}, ...field('adm-unit-regions', t('Wilayah (kode, dipisah spasi)', 'Regions (codes, space separated)'), el('input', { type: 'text', id: 'adm-unit-regions', autocomplete: 'off' }))),
        el('div', {}, ...field('adm-unit-cats', t('Kategori layanan (dipisah spasi)', 'Service categories (space separated)'), el('input', { type: 'text', id: 'adm-unit-cats', autocomplete: 'off' })))),
      el('div', { id: 'adm-unit-err', class: 'field-error', role: 'alert', hidden: true }),
      el('div', { class: 'actions' }, el('button', { type: 'submit' }, t('Periksa sebelum menandatangani', 'Review before signing')))),
    el('h2', {}, t('Rute', 'Routes')),
    el('form', { id: 'adm-route-test', class: 'panel', novalidate: true, 'aria-labelledby': 'adm-rt-h' },
      el('h3', { id: 'adm-rt-h' }, t('Ke mana laporan akan dirutekan?', 'Where would a complaint go?')),
      el('div', { class: 'row two' },
        el('div', {}, ...field('adm-rt-cat', t('Kategori', 'Category'), el('input', { type: 'text', id: 'adm-rt-cat', value: 'jalan', autocomplete: 'off' }))),
        el('div', {}, ...field('adm-rt-region', t('Kode wilayah', 'Region code'), el('input', { type: 'text', id: 'adm-rt-region', value: (inst(me) && inst(me).regions && inst(me).regions[0]) || '', autocomplete: 'off' })))),
      el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'secondary' }, t('Uji', 'Test'))),
      el('p', { id: 'adm-route-test-out', role: 'status', 'aria-live': 'polite' })),
    el('form', { id: 'adm-route', class: 'panel', novalidate: true, 'aria-labelledby': 'adm-rs-h' },
      el('h3', { id: 'adm-rs-h' }, t('Tetapkan atau hapus aturan rute', 'Set or delete a routing rule')),
      el('div', { class: 'row two' },
        el('div', {}, ...field('adm-rs-id', t('Kode aturan', 'Rule id'), el('input', { type: 'text', id: 'adm-rs-id', placeholder: `${me}:jalan`, autocomplete: 'off' }))),
        el('div', {}, ...field('adm-rs-cat', t('Kategori (* = semua)', 'Category (* = any)'), el('input', { type: 'text', id: 'adm-rs-cat', autocomplete: 'off' })))),
      el('div', { class: 'row two' },
        el('div', {}, ...field('adm-rs-region', t('Awalan wilayah (di dalam wilayah instansi Anda)', 'Region prefix (inside your institution\'s regions)'), el('input', { type: 'text', id: 'adm-rs-region', autocomplete: 'off' }))),
        el('div', {}, ...field('adm-rs-to', t('Ke instansi', 'To institution'), el('select', { id: 'adm-rs-to' }, ...instOptions(mine(), me))))),
      el('div', { id: 'adm-route-err', class: 'field-error', role: 'alert', hidden: true }),
      el('div', { class: 'actions' }, el('button', { type: 'submit' }, t('Periksa sebelum menandatangani', 'Review before signing')),
        el('button', { type: 'button', class: 'secondary', id: 'adm-rs-del' }, t('Hapus aturan ini', 'Delete this rule')))),
    el('div', { id: 'adm-preview', class: 'panel', hidden: true, role: 'region', 'aria-labelledby': 'adm-preview-h' },
      el('h3', { id: 'adm-preview-h' }, t('Akan ditandatangani dengan kunci Anda', 'About to be signed with your key')),
      el('dl', { class: 'kv', id: 'adm-preview-facts' }),
      el('details', {}, el('summary', {}, t('Bita persis rekaman (CBOR, heksadesimal)', 'Exact bytes of the record (CBOR, hex)')), el('p', { class: 'mono small', id: 'adm-preview-bytes' })),
      el('div', { class: 'actions' }, el('button', { type: 'button', id: 'adm-sign' }, t('Tandatangani dan kirim', 'Sign and send')),
        el('button', { type: 'button', class: 'secondary', id: 'adm-cancel' }, t('Batal', 'Cancel')))),
    el('div', { id: 'adm-result', role: 'status', 'aria-live': 'polite' }));
  $('adm-off-inst').addEventListener('change', () => officersTable().catch((e) => { $('adm-result').textContent = errText(e); }));
  $('adm-enrol').addEventListener('submit', enrol);
  $('adm-unit').addEventListener('submit', addUnit);
  $('adm-route-test').addEventListener('submit', testRoute);
  $('adm-route').addEventListener('submit', (e) => setRoute(e));
  $('adm-rs-del').addEventListener('click', (e) => setRoute(e, true));
  $('adm-sign').addEventListener('click', send);
  $('adm-cancel').addEventListener('click', () => { pending = null; $('adm-preview').hidden = true; });
}

async function refresh() {
  ctx.dir = await api('/v1/directory');
  unitsList();
  await officersTable();
}

export async function showAdmin() {
  build();
  await refresh().catch((e) => { $('adm-result').textContent = errText(e); });
  applyLang();
}

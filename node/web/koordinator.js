// koordinator.js - the coordinator's dashboard (GET /v1/dashboard): the
// figures of one subtree of the tier tree (the coordinator's: everything;
// drill down to a ministry, a province, a kabupaten/kota, a unit), per
// institution and per tier, the flows between institutions, a weekly chart
// of received and finished, the overdue list, the checkpoints the figures
// were computed at (and the `simpul audit` command that gives them again),
// and the CSV the monthly report is made from. ?scope=ID&at=MS in the
// address select the subtree and the time, so a view can be shared.
import { api, applyLang, directory, duration, el, errText, setup, t, wib, lang } from './common.js';
import { barChart } from './chart.js';

const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
let D = null; // the dashboard shown
let DIR = null; // the directory: names and parents beyond the subtree

const TIERS = {
  coordinator: ['Koordinator nasional', 'National coordinator'], ministry: ['Kementerian', 'Ministry'],
  agency: ['Lembaga', 'Agency'], province: ['Provinsi', 'Province'], kabkota: ['Kabupaten/kota', 'Regency/city'],
  unit: ['Unit', 'Unit'],
};
const tierName = (k) => t(...(TIERS[k] || [k, k]));

function num(v) { return new Intl.NumberFormat(lang() === 'en' ? 'en-GB' : 'id-ID').format(v); }
function dec(v) {
  return new Intl.NumberFormat(lang() === 'en' ? 'en-GB' : 'id-ID', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);
}
function pct(r) {
  if (r === null || r === undefined) return '-';
  return new Intl.NumberFormat(lang() === 'en' ? 'en-GB' : 'id-ID', { style: 'percent', maximumFractionDigits: 1 }).format(r);
}
function dur(s) { return s && s.n ? duration(s.median_ms) : '-'; }
function day(ms) {
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'id-ID', { timeZone: 'Asia/Jakarta', day: 'numeric', month: 'short' })
    .format(new Date(ms));
}

function href(scope) {
  const p = new URLSearchParams();
  if (scope) p.set('scope', scope);
  if (q.get('at')) p.set('at', q.get('at'));
  if (q.get('cols')) p.set('cols', q.get('cols'));
  return '/koordinator' + (p.size ? '?' + p : '');
}

function nameOf(id) {
  const x = (D && D.institutions.find((i) => i.id === id)) || (DIR && DIR.institutions.find((i) => i.id === id));
  return x ? x.name : id;
}

// ---- the pieces ----------------------------------------------------------------------

function crumbs() {
  const chain = [];
  for (let id = D.scope; id;) {
    chain.unshift(id);
    const x = DIR.institutions.find((i) => i.id === id);
    id = x && x.parent ? x.parent : '';
  }
  const kids = [];
  chain.forEach((id, i) => {
    if (i) kids.push(el('span', { class: 'sep', 'aria-hidden': 'true' }, '›'));
    kids.push(i === chain.length - 1 ? el('span', { 'aria-current': 'page' }, `${nameOf(id)} (${id})`)
      : el('a', { href: href(i === 0 ? '' : id) }, `${nameOf(id)} (${id})`));
  });
  $('crumbs').replaceChildren(el('span', {}, t('Cakupan:', 'Scope:')), ...kids);
}

function card(value, key, cls) {
  return el('div', { class: 'card' + (cls ? ' ' + cls : '') }, el('span', { class: 'v' }, value), el('span', { class: 'k' }, key));
}

function cards() {
  const a = D.total;
  const rate = a.completion_rate;
  $('cards').replaceChildren(
    card(num(D.reports.total), t('Laporan', 'Reports')),
    card(num(a.finished), t('Selesai', 'Finished')),
    card(pct(rate), t(`Tingkat tindak lanjut (ambang 50 %; ${num(a.not_yet_due)} laporan belum jatuh tempo tidak dihitung)`,
      `Follow-up rate (threshold 50 %; ${num(a.not_yet_due)} reports not yet due left out)`),
      rate === null ? '' : rate < D.threshold ? 'bad' : 'ok'),
    card(num(a.overdue_now), t('Terlambat sekarang', 'Overdue now'), a.overdue_now ? 'bad' : ''),
    card(num(a.bounced), t('Dikembalikan (bukan wewenang)', 'Sent back (not ours)')),
    card(dur(a.time_in_hand), t('Median lama dipegang', 'Median time in hand')));
}

function checkpoint() {
  const used = D.checkpoints.filter((c) => c.size > 0);
  $('cp-line').textContent = t(
    `Dihitung untuk ${wib(D.at_ms)} pada checkpoint ${used.length} log yang disimpan simpul ini (entri sesudah checkpoint tidak dihitung).`,
    `Computed for ${wib(D.at_ms)} at the checkpoints of the ${used.length} logs this node holds (entries past a checkpoint are not counted).`);
  $('cp-cmd').textContent = `simpul audit --root <${t('kunci koordinator', 'coordinator key')}> --node ${location.origin} --at ${D.at_ms}`;
  $('cp-table').tBodies[0].replaceChildren(...used.map((c) => el('tr', {},
    el('td', { class: 'mono' }, c.origin), el('td', { class: 'num' }, num(c.size)), el('td', { class: 'mono' }, c.root))));
  const p = new URLSearchParams({ scope: D.scope, at: String(D.at_ms) });
  $('csv').href = '/v1/dashboard/csv?' + p;
  $('csv').setAttribute('download', `simpul-${D.scope}-${D.at_ms}.csv`);
}

function figs(x) {
  return `${t('diterima', 'received')} ${num(x.received)} · ${t('tindak lanjut', 'follow-up')} ${pct(x.completion_rate)} · ${t('terlambat', 'overdue')} ${num(x.overdue_now)}`;
}

// subtree: an institution's figures summed with everything below it (the
// dashboard holds the whole subtree), for the tree's drill-down links.
function subtree(id, kidsOf) {
  const sum = { received: 0, overdue_now: 0, followed_up: 0, responsible: 0, n: 0 };
  const walk = (x) => {
    for (const k of ['received', 'overdue_now', 'followed_up', 'responsible']) sum[k] += x[k];
    sum.n++;
    for (const c of kidsOf.get(x.id) || []) walk(c);
  };
  walk(D.institutions.find((i) => i.id === id));
  sum.completion_rate = sum.responsible ? sum.followed_up / sum.responsible : null;
  return sum;
}

// tree: the scope and its children, each a link one level down with its
// own figures and, if it has institutions below it, those of its whole
// subtree; with many children, those with nothing yet are counted, not listed.
function tree() {
  const kidsOf = new Map();
  for (const x of D.institutions) {
    if (!kidsOf.has(x.parent)) kidsOf.set(x.parent, []);
    kidsOf.get(x.parent).push(x);
  }
  const me = D.institutions.find((i) => i.id === D.scope);
  const kids = kidsOf.get(D.scope) || [];
  const sums = new Map(kids.map((x) => [x.id, subtree(x.id, kidsOf)]));
  const busy = (x) => sums.get(x.id).received || sums.get(x.id).overdue_now;
  const shown = kids.filter((x) => busy(x) || kids.length <= 12);
  const items = shown.map((x) => {
    const n = (kidsOf.get(x.id) || []).length, sub = n ? sums.get(x.id) : null;
    return el('li', {}, el('div', { class: 'node' },
      el('a', { href: href(x.id) }, `${x.name} (${x.id})`),
      el('span', { class: 'tier' }, tierName(x.tier) + (n ? ` · ${sub.n - 1} ${t('instansi di bawahnya', 'institutions below')}` : '')),
      el('span', { class: 'figs' }, figs(x)),
      sub ? el('span', { class: 'figs sub' }, `${t('seluruh subpohon', 'whole subtree')}: ${figs(sub)}`) : null));
  });
  if (shown.length < kids.length)
    items.push(el('li', { class: 'hint' }, t(`${kids.length - shown.length} instansi lain belum punya laporan.`,
      `${kids.length - shown.length} more institutions have no reports yet.`)));
  $('tree').replaceChildren(el('li', {}, el('div', { class: 'node here' },
    el('span', { class: 'name' }, `${me.name} (${me.id})`), el('span', { class: 'tier' }, tierName(me.tier)),
    el('span', { class: 'figs' }, figs(me)),
    el('span', { class: 'figs sub' }, `${t('seluruh cakupan', 'whole scope')}: ${figs(D.total)}`)),
  items.length ? el('ul', {}, ...items) : null));
}

// The columns of the figure tables: [id text, en text, value of a row,
// the column sets (#cols) showing it]. All seventeen do not fit a page
// column side by side, so the tables show one set at a time (at most six
// figures); every cell stays in the table (hidden ones as .off), and the
// CSV carries them all.
const COLS = [
  ['Diterima', 'Received', (x) => num(x.received), 'ringkas'],
  ['Diverifikasi', 'Verified', (x) => num(x.verified), 'penanganan'],
  ['Tepat waktu', 'Responded in time', (x) => `${num(x.responded_in_time)}/${num(x.responded)}`, 'ringkas waktu'],
  ['Diteruskan', 'Forwarded', (x) => num(x.forwarded), 'alur'],
  ['Dikembalikan', 'Sent back', (x) => num(x.bounced), 'alur'],
  ['Kembali padanya', 'Returned to it', (x) => num(x.bounced_to), 'alur'],
  ['Diambil alih', 'Taken over', (x) => num(x.taken_over), 'alur'],
  ['Dijawab', 'Answered', (x) => num(x.answered), 'penanganan'],
  ['Selesai', 'Finished', (x) => num(x.finished), 'ringkas penanganan'],
  ['Dibuka kembali', 'Reopened', (x) => num(x.reopened), 'penanganan'],
  ['Nilai', 'Rating', (x) => (x.rating_mean === null ? '-' : `${dec(x.rating_mean)} (${x.rated})`), 'ringkas penanganan'],
  ['Median dipegang', 'Median in hand', (x) => dur(x.time_in_hand), 'waktu'],
  ['p90 dipegang', 'p90 in hand', (x) => (x.time_in_hand.n ? duration(x.time_in_hand.p90_ms) : '-'), 'waktu'],
  ['Tenggat terlewat', 'Deadlines missed', (x) => num(x.missed), 'waktu'],
  ['Dipegang / terlambat', 'Held / overdue', (x) => `${num(x.held_now)} / ${num(x.overdue_now)}`, 'ringkas waktu'],
  ['Lewat 60 hari', 'Past 60 days', (x) => num(x.past_ceiling), 'waktu'],
  ['Tindak lanjut', 'Follow-up rate', (x) => pct(x.completion_rate), 'ringkas'],
];

// off: the class of column i's cells under the chosen set.
function off(i) { return COLS[i][3].split(' ').includes($('cols').value) ? '' : ' off'; }

function head(table, first) {
  table.classList.add('figs', 'stack-figs');
  table.tHead.replaceChildren(el('tr', {}, el('th', { scope: 'col' }, first),
    ...COLS.map(([id, en], i) => el('th', { scope: 'col', class: 'num' + off(i) }, t(id, en)))));
}

function cells(x) {
  return COLS.map(([id, en, f], i) => el('td', {
    class: 'num' + off(i) + (i === COLS.length - 1 && x.below_threshold ? ' below' : ''), 'data-label': t(id, en),
  }, f(x) + (i === COLS.length - 1 && x.below_threshold ? ' ▼' : '')));
}

const TIER_ORDER = Object.keys(TIERS);

function institutions() {
  head($('inst'), t('Instansi', 'Institution'));
  const all = $('all-inst').checked;
  const rows = D.institutions.filter((x) => all || x.received || x.held_now || x.id === D.scope)
    .sort((a, b) => TIER_ORDER.indexOf(a.tier) - TIER_ORDER.indexOf(b.tier) || a.id.localeCompare(b.id, 'en', { numeric: true }));
  $('inst').tBodies[0].replaceChildren(...rows.map((x) => el('tr', { 'data-id': x.id },
    el('th', { scope: 'row' }, el('a', { href: href(x.id) }, x.name), el('br'),
      el('span', { class: 'tier' }, `${x.id} · ${tierName(x.tier)} · `),
      el('a', { href: `/v1/dashboard/csv?${new URLSearchParams({ scope: D.scope, only: x.id, at: String(D.at_ms) })}`,
        download: `simpul-${x.id}-${D.at_ms}.csv`, 'aria-label': t(`CSV ${x.name}`, `CSV of ${x.name}`) }, 'CSV')),
    ...cells(x))));
}

function tiers() {
  head($('tiers'), t('Tingkat', 'Tier'));
  const present = new Set(D.institutions.map((x) => x.tier));
  const rows = D.tiers.filter((x) => present.has(x.tier)).map((x) => el('tr', { 'data-tier': x.tier },
    el('th', { scope: 'row' }, tierName(x.tier)), ...cells(x)));
  rows.push(el('tr', { class: 'total' }, el('th', { scope: 'row' }, t('Seluruh cakupan', 'Whole scope')), ...cells(D.total)));
  $('tiers').tBodies[0].replaceChildren(...rows);
}

// td: a cell labelled with its column's head (shown before it when the
// table is stacked on a phone).
function td(table, i, attrs, ...kids) {
  const label = document.getElementById(table).tHead.rows[0].cells[i].textContent;
  return el('td', { ...attrs, 'data-label': label }, ...kids);
}

function flows() {
  const rows = [...D.flows].sort((a, b) => (b.forwarded + b.returned) - (a.forwarded + a.returned))
    .map((f) => el('tr', {}, td('flows', 0, {}, `${nameOf(f.from)} (${f.from})`), td('flows', 1, {}, `${nameOf(f.to)} (${f.to})`),
      td('flows', 2, { class: 'num' }, num(f.forwarded)), td('flows', 3, { class: 'num' + (f.returned ? ' error' : '') }, num(f.returned))));
  if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: 4 }, t('Belum ada laporan yang diteruskan.', 'No report forwarded yet.'))));
  $('flows').tBodies[0].replaceChildren(...rows);
}

function weeks() {
  const w = D.weeks.slice(-26);
  const rec = t('Diterima', 'Received'), fin = t('Selesai', 'Finished');
  $('weeks-chart').replaceChildren(barChart({
    labels: w.map((x) => day(x.start_ms)), title: t('Diterima dan selesai per minggu', 'Received and finished per week'),
    series: [{ name: rec, cls: 'bar-received', values: w.map((x) => x.received) },
      { name: fin, cls: 'bar-finished', values: w.map((x) => x.finished) }],
    width: Math.min(1100, Math.max(320, $('main').clientWidth - 24)),
  }));
  $('weeks').tBodies[0].replaceChildren(...[...D.weeks].reverse().map((x) => el('tr', {},
    el('td', {}, day(x.start_ms)), el('td', { class: 'num' }, num(x.received)), el('td', { class: 'num' }, num(x.finished)))));
}

const STAGES = { verify: ['verifikasi', 'verify'], answer: ['jawaban', 'answer'], ceiling: ['batas 60 hari', '60-day ceiling'] };

function overdue() {
  const o = D.overdue;
  $('overdue-note').textContent = o.total > o.reports.length
    ? t(`${o.total} laporan terlambat; ${o.reports.length} paling lama ditampilkan.`, `${o.total} reports overdue; the ${o.reports.length} most overdue shown.`)
    : t(`${o.total} laporan terlambat, paling lama di atas.`, `${o.total} reports overdue, most overdue first.`);
  const rows = o.reports.map((x) => {
    const esc = x.escalations
      ? t(`${x.escalations} kali; ${x.escalations_unacted} belum ditindak`, `${x.escalations}; ${x.escalations_unacted} not acted on`)
      : t('belum dieskalasi', 'not escalated yet');
    return el('tr', { 'data-report': x.report },
      td('overdue', 0, {}, el('a', { class: 'mono', href: `/lacak?tiket=${x.report}` }, x.report.slice(0, 12) + '…')),
      td('overdue', 1, {}, x.holders.split(' ').map((h) => `${nameOf(h)} (${h})`).join(', ')),
      td('overdue', 2, {}, `${x.category}, ${x.region}`),
      td('overdue', 3, {}, `${wib(x.deadline_ms)} (${t(...(STAGES[x.stage] || [x.stage, x.stage]))})`),
      td('overdue', 4, { class: 'num error' }, x.days_late ? num(x.days_late) : t('< 1', '< 1')),
      td('overdue', 5, { class: x.escalations_unacted ? 'error' : '' }, esc));
  });
  if (!rows.length) rows.push(el('tr', {}, el('td', { colspan: 6 }, t('Tidak ada yang terlambat.', 'Nothing overdue.'))));
  $('overdue').tBodies[0].replaceChildren(...rows);
}

function render() {
  if (!D) return;
  applyLang(); // first: the stacked tables' cells take their labels from the heads
  crumbs(); cards(); checkpoint(); tree(); institutions(); tiers(); flows(); weeks(); overdue();
}

async function load() {
  $('status').textContent = t('Menghitung…', 'Computing…');
  try {
    const p = new URLSearchParams();
    if (q.get('scope')) p.set('scope', q.get('scope'));
    if (q.get('at')) p.set('at', q.get('at'));
    [D, DIR] = await Promise.all([api('/v1/dashboard' + (p.size ? '?' + p : '')), directory()]);
    $('status').textContent = '';
    $('content').hidden = false;
    render();
  } catch (e) {
    $('status').textContent = errText(e);
    $('status').className = 'error';
  }
}

setup(render);
$('all-inst').addEventListener('change', institutions);
// the chosen set of figures is part of the address, so a view sent to
// someone shows the same columns
if ([...$('cols').options].some((o) => o.value === q.get('cols'))) $('cols').value = q.get('cols');
$('cols').addEventListener('change', () => {
  q.set('cols', $('cols').value);
  history.replaceState(null, '', '?' + q);
  render(); // every link (crumbs, tree, tables) carries the choice
});
let resized = 0; // the chart is drawn for the width it has
addEventListener('resize', () => { clearTimeout(resized); resized = setTimeout(() => D && weeks(), 150); });
load();

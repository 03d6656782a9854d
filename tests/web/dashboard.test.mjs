// dashboard.test.mjs - the coordinator's dashboard end to end, run by
// test_dashboard.c on a real local federation (KEMENPANRB, KEMENSOS, 73,
// 73.12, 73.11):
//
//   node dashboard.test.mjs CONFIG.json
//
// CONFIG: {"nodes": {id: url}, "simpul": path, "fed": federation folder
//          (keys/<ID>.officer.key), "root": the coordinator's verifier key,
//          "out": build folder for screenshots (the current ones are copied
//          to docs/screenshots by hand), "scratch": a folder for the audit's files}
//
// It does a known workload at every tier, keeps the true figures itself
// (what each institution received, verified, forwarded, returned, took
// over, answered, which reports it finished and how they were rated, what
// it still holds), then checks GET /v1/dashboard (coordinator and province
// scopes), its CSV and the page against those figures and against `simpul
// audit` over the same checkpoints. Each step prints "ok - ..." or throws.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESKTOP, N, PHONE, api, assert, axe, conf, launch, ok, until } from './kit.mjs';

function eq(a, b, msg) { assert(a === b, `${msg}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`); }

// ---- the true figures --------------------------------------------------------------

const COUNTERS = ['received', 'routed', 'verified', 'forwarded', 'bounced', 'bounced_to', 'taken_over',
  'taken_from', 'answered', 'finished', 'rated', 'responsible', 'followed_up', 'not_yet_due', 'held_now',
  'overdue_now', 'missed'];
const TIER = { KEMENPANRB: 'coordinator', KEMENSOS: 'ministry', 73: 'province', '73.12': 'kabkota', '73.11': 'kabkota' };
const W = {};
for (const id of Object.keys(TIER)) {
  W[id] = Object.fromEntries(COUNTERS.map((k) => [k, 0]));
  W[id].rating_sum = 0;
}
const FLOWS = {}; // "from>to" -> {forwarded, returned}
function flow(from, to, k) {
  const f = (FLOWS[`${from}>${to}`] ||= { from, to, forwarded: 0, returned: 0 });
  f[k]++;
}

// One report as the test sees it: who held it, how each one's last holding
// period ended, who answered, the reporter's rating, and where it is now.
const R = {};

async function submit(door, category, region, to) {
  const r = await api(door, '/v1/reports', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'pengaduan', visibility: 'publik', category, region,
      title: 'Uji dasbor', content: 'Laporan untuk menguji dasbor koordinator', channel: 'web' }),
  });
  eq(r.status, 201, `submit at ${door}: ${JSON.stringify(r.body)}`);
  eq(r.body.routed_to, to, 'routed to');
  const rep = { id: r.body.report_id, secret: r.body.tracking_secret, door, holder: to, held: new Set([to]),
    end: { [to]: 'open' }, answered: new Set(), answerer: null, rating: 0, status: 'diterima', from: {} };
  W[to].received++; W[to].routed++;
  R[rep.id] = rep;
  return rep;
}

async function shows(node, rep, status) {
  await until(`${node} shows ${rep.id.slice(0, 8)} as ${status}`, async () => {
    const v = await api(node, `/v1/reports/${rep.id}`);
    return v.status === 200 && v.body.status === status;
  });
}

function simpul(...args) {
  try {
    return execFileSync(conf.simpul, args, { stdio: 'pipe', timeout: 120000 }).toString();
  } catch (e) {
    throw new Error(`simpul ${args.slice(0, 2).join(' ')} failed: ${e.stderr || e.message}`);
  }
}

function officer(inst, rep, what, ...extra) {
  simpul('act', '--node', N[inst], '--key', join(conf.fed, 'keys', `${inst}.officer.key`), rep.id, what, ...extra);
}

function reporter(rep, what, ...extra) {
  simpul('act', '--node', N[rep.door], '--secret', rep.secret, rep.id, what, ...extra);
}

function receive(rep, inst) {
  if (!rep.held.has(inst)) { rep.held.add(inst); W[inst].received++; }
  rep.end[inst] = 'open';
}

async function verify(inst, rep) {
  await shows(inst, rep, rep.status);
  officer(inst, rep, 'verifikasi');
  W[inst].verified++; rep.status = 'diverifikasi';
}

async function forward(inst, rep, to) {
  await shows(inst, rep, rep.status);
  officer(inst, rep, 'disposisi', '--to', to);
  W[inst].forwarded++; rep.end[inst] = 'handed'; rep.from[to] = inst;
  receive(rep, to); flow(inst, to, 'forwarded');
  rep.holder = to; rep.status = 'didisposisikan';
}

async function bounce(inst, rep) {
  await shows(inst, rep, rep.status);
  officer(inst, rep, 'bukan_wewenang', '--reason', '20');
  const back = rep.from[inst];
  W[inst].bounced++; W[back].bounced_to++; rep.end[inst] = 'handed'; rep.end[back] = 'open';
  flow(inst, back, 'returned');
  rep.holder = back; rep.status = 'diverifikasi'; // back to the sender as it was
}

async function takeOver(inst, rep) {
  await shows(inst, rep, rep.status);
  officer(inst, rep, 'ambil_alih');
  W[inst].taken_over++; W[rep.holder].taken_from++; rep.end[rep.holder] = 'taken';
  receive(rep, inst); rep.holder = inst;
}

async function answer(inst, rep) {
  await shows(inst, rep, rep.status);
  officer(inst, rep, 'tindak_lanjut', '--text', 'Sudah ditangani');
  W[inst].answered++; rep.answered.add(inst); rep.answerer = inst; rep.status = 'ditindaklanjuti';
}

async function rate(rep, n) {
  await shows(rep.door, rep, rep.status);
  reporter(rep, 'nilai', '--rating', String(n));
  rep.rating = n;
}

async function close(rep) {
  await shows(rep.door, rep, rep.status);
  reporter(rep, 'selesai');
  rep.status = 'selesai';
}

async function workload() {
  const r1 = await submit('73.12', 'jalan', '73.12.03', '73.12');
  await verify('73.12', r1); await answer('73.12', r1); await rate(r1, 4); await close(r1);

  const r2 = await submit('73.11', 'jalan', '73.12.03', '73.12'); // another door
  await verify('73.12', r2); await forward('73.12', r2, '73.11'); await bounce('73.11', r2);
  await answer('73.12', r2);

  const r3 = await submit('73.12', 'jalan', '73.12.03', '73.12'); // nobody acts: overdue at 73.12

  const r4 = await submit('73.12', 'jalan', '73.12.03', '73.12');
  await takeOver('73', r4); await verify('73', r4); await answer('73', r4); await rate(r4, 2);

  const r5 = await submit('73.11', 'jalan', '73.11.01', '73.11');
  await verify('73.11', r5); await answer('73.11', r5); await rate(r5, 5); await close(r5);

  const r6 = await submit('73.12', 'bansos', '73.12.03', 'KEMENSOS'); // a ministry's, across tiers
  await verify('KEMENSOS', r6); await forward('KEMENSOS', r6, '73.12'); await bounce('73.12', r6);
  await answer('KEMENSOS', r6); await close(r6);

  const r7 = await submit('73.11', 'jalan', '73.11.01', '73.11');
  await verify('73.11', r7); await forward('73.11', r7, '73'); // left at the province: overdue

  const r8 = await submit('73.12', 'jalan', '73.12.03', '73.12');
  await takeOver('KEMENPANRB', r8); await verify('KEMENPANRB', r8); await answer('KEMENPANRB', r8);

  // everything seen where the figures are read
  for (const rep of Object.values(R)) await shows('KEMENPANRB', rep, rep.status);
  ok(`workload: ${Object.keys(R).length} reports handled at five institutions on four tiers`);
  return { r3, r7 };
}

// finish turns what each report went through into the remaining figures,
// at time `at` (deadlines read from the reports' views).
// The follow-up rate counts a report that stayed an institution's to do once
// it is due: answered by it, past its deadline, or closed; an open one still
// before its deadline is not_yet_due (docs/audit.md).
function finish(at) {
  for (const rep of Object.values(R)) {
    const open = ['diterima', 'diverifikasi', 'tunda', 'didisposisikan'].includes(rep.status);
    for (const inst of rep.held) {
      if (rep.end[inst] === 'handed' || rep.end[inst] === 'taken') continue;
      if (open && !rep.answered.has(inst) && rep.deadline > at) { W[inst].not_yet_due++; continue; }
      W[inst].responsible++;
      if (rep.answered.has(inst)) W[inst].followed_up++;
    }
    if (rep.rating) { W[rep.answerer].rated++; W[rep.answerer].rating_sum += rep.rating; }
    if (rep.status === 'selesai') W[rep.answerer].finished++;
    if (open) {
      W[rep.holder].held_now++;
      if (rep.deadline <= at) W[rep.holder].overdue_now++;
    }
  }
}

// ---- checkpoints -------------------------------------------------------------------

// settled: every node's own log is covered by its signed checkpoint and the
// coordinator's node (and the province's, for its subtree) holds that
// checkpoint of it.
async function settled() {
  const own = {};
  for (const id of Object.keys(N)) {
    const s = await api(id, '/v1/status');
    if (s.body.own_log.size !== s.body.own_log.checkpoint_size) return false;
    own[s.body.origin] = s.body.own_log.size;
  }
  for (const [node, want] of [['KEMENPANRB', Object.keys(own)], ['73', Object.keys(own).filter((o) => /\/73(\.1[12])?$/.test(o))]]) {
    const logs = (await api(node, '/v1/logs')).body.logs;
    for (const o of want) {
      const l = logs.find((x) => x.origin === o);
      if (!l || l.checkpoint_size !== own[o]) return false;
    }
  }
  return own;
}

// ---- checks ------------------------------------------------------------------------

function row(d, id) {
  const r = d.institutions.find((x) => x.id === id);
  assert(r, `${id} in the dashboard of ${d.scope}`);
  return r;
}

function checkRows(d, ids) {
  for (const id of ids) {
    const r = row(d, id);
    for (const k of COUNTERS) eq(r[k], W[id][k], `${d.scope}: ${id} ${k}`);
    if (W[id].rated) eq(r.rating_mean, W[id].rating_sum / W[id].rated, `${id} rating_mean`);
    else eq(r.rating_mean, null, `${id} rating_mean`);
    const rate = W[id].responsible ? W[id].followed_up / W[id].responsible : null;
    eq(r.completion_rate, rate, `${id} completion_rate`);
    eq(r.below_threshold, rate !== null && rate < 0.5, `${id} below_threshold`);
    eq(r.tier, TIER[id], `${id} tier`);
  }
}

function checkSums(d) {
  const tiers = Object.fromEntries(d.tiers.map((t) => [t.tier, t]));
  for (const k of COUNTERS) {
    let all = 0;
    for (const t of ['coordinator', 'ministry', 'agency', 'province', 'kabkota', 'unit']) {
      const want = d.institutions.filter((x) => x.tier === t).reduce((s, x) => s + x[k], 0);
      eq(tiers[t][k], want, `${d.scope}: tier ${t} ${k} is the sum of its institutions`);
      all += want;
    }
    eq(d.total[k], all, `${d.scope}: total ${k}`);
  }
}

function flowKey(f) { return `${f.from}>${f.to}:${f.forwarded}/${f.returned}`; }

function checkFlows(d, inScope) {
  const want = Object.values(FLOWS).filter((f) => inScope(f.from) || inScope(f.to)).map(flowKey).sort();
  eq(JSON.stringify(d.flows.map(flowKey).sort()), JSON.stringify(want), `${d.scope}: flows`);
}

function checkWeeks(d, reports) {
  const rec = d.weeks.reduce((s, w) => s + w.received, 0);
  const fin = d.weeks.reduce((s, w) => s + w.finished, 0);
  eq(rec, reports.length, `${d.scope}: received over the weeks`);
  const finished = reports.filter((r) => r.status === 'selesai' && d.institutions.some((x) => x.id === r.answerer));
  eq(fin, finished.length, `${d.scope}: finished over the weeks`);
  const now = Date.now();
  const week = d.weeks.find((w) => w.start_ms <= now && now < w.start_ms + 7 * 86400000);
  assert(week && week.received === rec && week.finished === fin, `${d.scope}: this week holds them all`);
  for (let i = 1; i < d.weeks.length; i++) eq(d.weeks[i].start_ms - d.weeks[i - 1].start_ms, 7 * 86400000, 'weeks follow each other');
}

function checkOverdue(d, want) {
  const got = d.overdue.reports.map((o) => `${o.report}@${o.holders}`).sort();
  eq(JSON.stringify(got), JSON.stringify(want.map((r) => `${r.id}@${r.holder}`).sort()), `${d.scope}: overdue list`);
  eq(d.overdue.total, want.length, `${d.scope}: overdue total`);
  for (const o of d.overdue.reports) {
    eq(o.deadline_ms, R[o.report].deadline, 'overdue deadline');
    eq(o.escalations, 0, 'no escalation written yet (the deadlines passed only at `at`)');
    assert(o.days_late >= 0 && o.stage !== 'none', 'stage and lateness');
  }
}

function checkCheckpoints(d, own) {
  for (const [origin, size] of Object.entries(own)) {
    const c = d.checkpoints.find((x) => x.origin === origin);
    assert(c && c.size === size && typeof c.root === 'string' && c.root.length === 44,
      `${d.scope}: checkpoint of ${origin} (${JSON.stringify(c)})`);
  }
}

// audit runs `simpul audit` over the coordinator's node at `at`.
function audit(at, ...more) {
  const json = join(conf.scratch, 'audit.json'), csv = join(conf.scratch, 'audit.csv');
  simpul('audit', '--quiet', '--root', conf.root, '--node', N.KEMENPANRB, '--at', String(at), '--json', json,
    '--csv', csv, ...more);
  return { j: JSON.parse(readFileSync(json, 'utf8')), csv: readFileSync(csv, 'utf8') };
}

function sameFigures(a, b, what) {
  const keys = Object.keys(a).filter((k) => !['id', 'name', 'tier', 'parent', 'log_status'].includes(k));
  for (const k of keys) eq(JSON.stringify(b[k]), JSON.stringify(a[k]), `${what} ${k} (audit vs dashboard)`);
}

async function apiChecks(at, own, r3, r7) {
  const all = Object.values(R);
  const d = (await api('KEMENPANRB', `/v1/dashboard?at=${at}`)).body;
  eq(d.scope, 'KEMENPANRB', 'default scope is the coordinator');
  eq(d.at_ms, at, 'at');
  checkRows(d, Object.keys(TIER));
  checkSums(d);
  checkFlows(d, () => true);
  checkWeeks(d, all);
  checkOverdue(d, [r3, r7]);
  checkCheckpoints(d, own);
  eq(d.reports.total, all.length, 'reports');
  eq(d.reports.status.selesai, 3, 'selesai');
  ok('coordinator: every institution\'s figures, the tier sums, flows, weeks, overdue list and checkpoints are the true ones');

  const in73 = (id) => id === '73' || id.startsWith('73.');
  for (const node of ['KEMENPANRB', '73']) {
    const p = (await api(node, `/v1/dashboard?scope=73&at=${at}`)).body;
    eq(p.scope, '73', 'province scope');
    assert(p.institutions.every((x) => in73(x.id)) && p.institutions.length >= 3, 'only the province\'s subtree');
    checkRows(p, ['73', '73.12', '73.11']);
    checkSums(p);
    checkFlows(p, in73);
    checkWeeks(p, all.filter((r) => [...r.held].some(in73)));
    checkOverdue(p, [r3, r7]);
    ok(`province 73 over its subtree, at the ${node === '73' ? 'province\'s own node' : 'coordinator\'s node'}: the true figures`);
  }

  const { j, csv } = audit(at);
  let n = 0;
  for (const a of j.institutions) {
    const r = d.institutions.find((x) => x.id === a.id);
    assert(r, `${a.id} of the audit in the dashboard`);
    sameFigures(a, r, a.id); n++;
  }
  for (const t of j.tiers) sameFigures(t, d.tiers.find((x) => x.tier === t.tier), `tier ${t.tier}`);
  sameFigures(j.federation_figures, d.total, 'federation');
  eq(JSON.stringify(j.flows.map(flowKey).sort()), JSON.stringify(d.flows.map(flowKey).sort()), 'flows (audit vs dashboard)');
  for (const l of j.logs.filter((x) => x.verified > 0)) {
    const c = d.checkpoints.find((x) => x.origin === l.origin);
    assert(c && c.size === l.checkpoint_size && c.root === l.root, `audit verified ${l.origin} at the dashboard's checkpoint`);
  }
  ok(`simpul audit --at ${at} over the coordinator's node gives the dashboard's figures (${n} institutions, tiers, federation, flows, checkpoints)`);

  const c = await api('KEMENPANRB', `/v1/dashboard/csv?scope=73&only=73.12&at=${at}`);
  eq(c.status, 200, 'csv');
  assert(c.headers.get('content-type').startsWith('text/csv'), 'csv type');
  assert(/attachment; filename="simpul-73\.12-\d+\.csv"/.test(c.headers.get('content-disposition')), 'csv file name');
  const lines = c.body.trim().split('\n');
  eq(lines.length, 2, 'header and one row');
  const aLines = csv.trim().split('\n');
  eq(lines[0], aLines[0], 'the audit\'s CSV columns');
  const mine = lines[1].split(','), theirs = aLines.find((l) => l.startsWith('institution,73.12,')).split(',');
  mine[4] = theirs[4] = ''; // log_status: the audit's verdict on the log
  eq(mine.join(','), theirs.join(','), '73.12\'s CSV row equals the audit\'s');
  const tier = await api('KEMENPANRB', `/v1/dashboard/csv?only=kabkota&at=${at}`);
  const tl = tier.body.trim().split('\n');
  eq(tl.length, 2, 'one tier row');
  const ta = aLines.find((l) => l.startsWith('tier,kabkota,'));
  eq(tl[1], ta, 'kabkota\'s CSV row equals the audit\'s');
  ok('CSV of an institution (73.12) and of a tier (kabkota): the audit\'s columns and values');

  await monthChecks(at, d, aLines);

  for (const [path, status] of [['/v1/dashboard?scope=NOPE', 404], ['/v1/dashboard?at=soon', 400],
    ['/v1/dashboard?month=2026-13', 400], ['/v1/dashboard/csv?month=nov', 400],
    ['/v1/dashboard/csv?scope=73&only=KEMENSOS', 400], ['/v1/dashboard?scope=' + 'x'.repeat(300), 404]]) {
    const r = await api('KEMENPANRB', path);
    eq(r.status, status, path.slice(0, 60));
    assert(r.body.error && r.body.error.message, 'an error message');
  }
  ok('bad input: unknown scope, bad time, a row outside the subtree: clear errors');
  return d;
}

// monthOf: the calendar month (WIB) of a time, YYYY-MM.
function monthOf(t) { return new Date(t + 7 * 3600000).toISOString().slice(0, 7); }

function monthBefore(m) {
  const [y, mo] = m.split('-').map(Number);
  return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, '0')}`;
}

// monthChecks: ?month= (the monthly report's period) counts the reports
// submitted in that month only, in the API, its CSV and `simpul audit
// --month`; a month with none of them counts nothing.
async function monthChecks(at, d, aLines) {
  const all = Object.values(R);
  const months = [...new Set(all.map((r) => monthOf(r.submitted)))].sort();
  for (const m of months) {
    const mine = all.filter((r) => monthOf(r.submitted) === m);
    const p = (await api('KEMENPANRB', `/v1/dashboard?at=${at}&month=${m}`)).body;
    eq(p.period && p.period.month, m, 'the period is stated');
    eq(p.reports.total, mine.length, `${m}: the reports submitted in it`);
    if (mine.length === all.length) for (const x of d.institutions) sameFigures(x, row(p, x.id), `${m} ${x.id}`);
    const c = await api('KEMENPANRB', `/v1/dashboard/csv?at=${at}&month=${m}`);
    assert(new RegExp(`filename="simpul-KEMENPANRB-${m}-\\d+\\.csv"`).test(c.headers.get('content-disposition')), 'month in the file name');
    const { j, csv } = audit(at, '--month', m);
    eq(j.period.month, m, 'the audit states the period');
    eq(j.reports.total, mine.length, `audit --month ${m}: its reports`);
    eq(j.period.reports_outside, all.length - mine.length, `audit --month ${m}: the others left out`);
    const mineRows = c.body.trim().split('\n').filter((l) => l.startsWith('institution,'));
    const theirs = csv.trim().split('\n');
    eq(theirs[0], aLines[0], 'same columns with --month');
    for (const l of mineRows) {
      const f = l.split(','), t = theirs.find((x) => x.startsWith(`institution,${f[1]},`));
      if (!t) continue; // an institution of the directory without a log in the audit
      const g = t.split(',');
      f[4] = g[4] = '';
      eq(f.join(','), g.join(','), `${m}: ${f[1]}'s CSV row (dashboard vs audit --month)`);
    }
  }
  const before = monthBefore(months[0]);
  const e = (await api('KEMENPANRB', `/v1/dashboard?at=${at}&month=${before}`)).body;
  eq(e.reports.total, 0, `${before}: no report submitted then`);
  for (const x of e.institutions) for (const k of COUNTERS) eq(x[k], 0, `${before}: ${x.id} ${k}`);
  const { j } = audit(at, '--month', before);
  eq(j.reports.total, 0, `audit --month ${before}: nothing`);
  ok(`month filter: ${months.join(', ')} counts its ${all.length} reports, ${before} none, in the API, the CSV and simpul audit --month`);
}

// metric reads one counter of the coordinator's node's /metrics.
async function metric(name) {
  const t = (await api('KEMENPANRB', '/metrics')).body;
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(t);
  assert(m, `metric ${name}`);
  return Number(m[1]);
}

// cacheChecks: figures "now" are computed once and served again until the
// index or a checkpoint moves; then the next answer has the change.
async function cacheChecks() {
  const hit0 = await metric('simpul_dashboard_cached_total');
  const miss0 = await metric('simpul_dashboard_computed_total');
  const a = (await api('KEMENPANRB', '/v1/dashboard')).body;
  const b = (await api('KEMENPANRB', '/v1/dashboard/csv')).body;
  const c = (await api('KEMENPANRB', '/v1/dashboard')).body;
  eq(c.at_ms, a.at_ms, 'the third answer is the figures of the first');
  // now, before the deadlines: the open reports nobody answered are not yet
  // due and out of the follow-up rate; the same reports count once due (at)
  for (const id of Object.keys(TIER)) {
    const fresh = Object.values(R).filter((rep) => rep.holder === id && !rep.answered.has(id) &&
      ['diterima', 'diverifikasi', 'tunda', 'didisposisikan'].includes(rep.status) && rep.deadline > a.at_ms).length;
    eq(row(a, id).not_yet_due, fresh, `now: ${id} not_yet_due`);
    eq(row(a, id).responsible + fresh, W[id].responsible + W[id].not_yet_due, `now: ${id} responsible + not_yet_due`);
  }
  assert(row(a, '73.12').not_yet_due > 0, 'now: 73.12 has a report not yet due (r3)');
  assert(b.includes('\nsubtree,KEMENPANRB,'), 'the CSV from the same figures');
  eq(await metric('simpul_dashboard_computed_total'), miss0 + 1, 'computed once');
  eq(await metric('simpul_dashboard_cached_total'), hit0 + 2, 'served twice from the cache');
  const r9 = await submit('73.12', 'jalan', '73.12.03', '73.12');
  await shows('KEMENPANRB', r9, 'diterima');
  for (const id of Object.keys(N)) await api(id, '/v1/checkpoint/sign', { method: 'POST' });
  await until('checkpoints with the new report', settled);
  const n = (await api('KEMENPANRB', '/v1/dashboard')).body;
  eq(n.reports.total, a.reports.total + 1, 'a new report in a checkpoint: counted at once, not served stale');
  eq(row(n, '73.12').received, row(a, '73.12').received + 1, '73.12 received one more');
  ok('cache: the same figures served again from the cache; a new report and checkpoint recompute them');
}

async function main() {
  const { r3, r7 } = await workload();
  for (const id of Object.keys(N)) await api(id, '/v1/checkpoint/sign', { method: 'POST' });
  const own = await until('checkpoints signed and replicated', settled);
  // `at`: after every open report's deadline, before any answered report's
  // window closes (the reporter's 10 working days), so both show.
  let at = 0, windowEnd = Infinity;
  for (const rep of Object.values(R)) {
    const v = (await api('KEMENPANRB', `/v1/reports/${rep.id}`)).body;
    rep.deadline = v.deadline;
    rep.submitted = v.submitted;
    if (rep.status === 'ditindaklanjuti') windowEnd = Math.min(windowEnd, v.deadline);
    else if (rep.status !== 'selesai') at = Math.max(at, v.deadline + 60000);
  }
  assert(at > 0 && at < windowEnd, `a time between the deadlines (${at}) and the windows (${windowEnd})`);
  finish(at);
  const d = await apiChecks(at, own, r3, r7);
  if (!process.env.SP_DASH_NO_PAGE) await pageChecks(d, at, r3, r7);
  await cacheChecks();
}

// ---- the page -----------------------------------------------------------------------

// noOverflow: at the current width, with every set of figures (#cols),
// no table is wider than its box (nothing to scroll sideways to) and the
// page itself does not scroll sideways.
async function noOverflow(page, what) {
  const sets = await page.$$eval('#cols option', (os) => os.map((o) => o.value));
  assert(sets.length >= 4, 'the sets of figures to choose from: ' + sets);
  const first = await page.inputValue('#cols');
  for (const set of sets) {
    await page.selectOption('#cols', set);
    const bad = await page.evaluate(() => {
      const out = [], W = window.innerWidth;
      if (document.documentElement.scrollWidth > W) out.push(`the page is ${document.documentElement.scrollWidth} px wide in ${W}`);
      for (const w of document.querySelectorAll('.table-wrap')) {
        if (w.closest('details:not([open])')) continue;
        if (w.scrollWidth > w.clientWidth + 1) out.push(`#${w.querySelector('table').id}: ${w.scrollWidth} px in a box of ${w.clientWidth}`);
      }
      return out;
    });
    assert(bad.length === 0, `${what}, figures "${set}": a table overflows:\n  ${bad.join('\n  ')}`);
  }
  await page.selectOption('#cols', first);
}

async function shots(page, name) {
  for (const [tag, vp] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(300); // the chart is redrawn for the new width
    await noOverflow(page, `${name} at ${vp.width} px`);
    await page.screenshot({ path: join(conf.out, `${name}-${tag}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
  ok(`${name}: no table overflows its column at ${PHONE.width} or ${DESKTOP.width} px, with any set of figures`);
}

// cell: the text of column `col` (the header's Indonesian text) in the
// row of table `table` whose data attribute is `key`.
async function cell(page, table, attr, key, col) {
  return page.evaluate(([table, attr, key, col]) => {
    const t = document.getElementById(table);
    const i = [...t.tHead.rows[0].cells].findIndex((c) => c.textContent === col);
    const row = t.querySelector(`tr[${attr}="${key}"]`);
    return i < 0 || !row ? null : row.cells[i].textContent;
  }, [table, attr, key, col]);
}

async function showsRows(page, scope, ids) {
  for (const id of ids) {
    for (const [col, k] of [['Diterima', 'received'], ['Diverifikasi', 'verified'], ['Diteruskan', 'forwarded'],
      ['Dikembalikan', 'bounced'], ['Kembali padanya', 'bounced_to'], ['Diambil alih', 'taken_over'],
      ['Dijawab', 'answered'], ['Selesai', 'finished']])
      eq(await cell(page, 'inst', 'data-id', id, col), String(W[id][k]), `page (${scope}): ${id} ${col}`);
    eq(await cell(page, 'inst', 'data-id', id, 'Dipegang / terlambat'), `${W[id].held_now} / ${W[id].overdue_now}`,
      `page (${scope}): ${id} held / overdue`);
    const rate = W[id].responsible ? W[id].followed_up / W[id].responsible : null;
    const shown = await cell(page, 'inst', 'data-id', id, 'Tindak lanjut');
    const want = rate === null ? '-' : new Intl.NumberFormat('id-ID', { style: 'percent', maximumFractionDigits: 1 }).format(rate);
    assert(shown.startsWith(want), `page (${scope}): ${id} follow-up rate ${shown}, want ${want}`);
    eq(shown.endsWith('▼'), rate !== null && rate < 0.5, `page (${scope}): ${id} marked below the threshold`);
  }
}

async function pageChecks(d, at, r3, r7) {
  const browser = await launch();
  try {
    const errors = [];
    const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${N.KEMENPANRB}/koordinator?at=${at}`);
    await page.waitForSelector('#content:not([hidden])');
    eq(await page.textContent('h1'), 'Dasbor Koordinator', 'Bahasa Indonesia first');
    await showsRows(page, 'coordinator', Object.keys(TIER));
    const kab = d.tiers.find((x) => x.tier === 'kabkota');
    eq(await cell(page, 'tiers', 'data-tier', 'kabkota', 'Diterima'), String(kab.received), 'page: kabkota tier received');
    eq(await page.locator('#flows tbody tr').count(), Object.keys(FLOWS).length, 'page: one row per flow');
    const flowsText = await page.textContent('#flows');
    assert(flowsText.includes('(KEMENSOS)') && flowsText.includes('(73.11)'), 'page: flows name the institutions');
    for (const rep of [r3, r7]) assert(await page.locator(`#overdue tr[data-report="${rep.id}"]`).count() === 1, 'page: overdue ' + rep.id.slice(0, 8));
    const overdueText = await page.textContent('#overdue');
    assert(overdueText.includes('belum dieskalasi'), 'page: escalation state');
    const bars = await page.evaluate(() => [...document.querySelectorAll('#weeks-chart rect.bar-received title')].map((x) => x.textContent));
    assert(bars.some((b) => b.endsWith(`Diterima ${Object.keys(R).length}`)), 'page: the chart has this week\'s bar: ' + bars.slice(-2));
    const cp = await page.textContent('#cp-line');
    assert(cp.includes(`${d.checkpoints.filter((c) => c.size > 0).length} log`), 'page: the checkpoint line: ' + cp);
    assert((await page.textContent('#cp-cmd')).includes(`--at ${at}`), 'page: the audit command');
    eq(await page.locator('#cp-table tbody tr').count(), d.checkpoints.filter((c) => c.size > 0).length, 'page: every checkpoint listed');
    const csvHref = await page.getAttribute('#csv', 'href');
    const csv = await page.evaluate(async (h) => (await fetch(h)).text(), csvHref);
    assert(csv.startsWith('scope,id,name,tier,log_status,received') && csv.includes('\nsubtree,KEMENPANRB,'), 'page: the CSV link');
    ok('page (coordinator): institutions, tiers, flows, weekly chart, overdue list, checkpoints and CSV show the true figures');
    await axe(page, 'Koordinator (coordinator)');
    await shots(page, 'koordinator');

    // drill down: the province, from the tree
    await page.locator('#tree a', { hasText: '(73)' }).first().click();
    await page.waitForURL(/scope=73/);
    await page.waitForSelector('#content:not([hidden])');
    assert((await page.textContent('#crumbs')).includes('(KEMENPANRB)'), 'page: the path back up');
    eq(await page.locator('#inst tr[data-id="KEMENSOS"]').count(), 0, 'page: the province sees its subtree only');
    await showsRows(page, 'province', ['73', '73.12', '73.11']);
    ok('page: drill-down from the tier tree to province 73 shows its subtree\'s true figures');
    await axe(page, 'Koordinator (province)');
    await shots(page, 'koordinator-73');

    await page.click('#lang');
    eq(await page.textContent('h1'), 'Coordinator\'s dashboard', 'English on request');
    assert((await page.textContent('#inst thead')).includes('Received'), 'English table heads');
    await axe(page, 'Koordinator (English)');
    await page.click('#lang');

    // the set of figures is in the address: a view sent on shows the same columns
    await page.goto(`${N.KEMENPANRB}/koordinator?at=${at}&cols=alur`);
    await page.waitForSelector('#content:not([hidden])');
    eq(await page.inputValue('#cols'), 'alur', 'page: ?cols= chooses the set');
    const shown = await page.$$eval('#inst thead th', (ths) => ths.filter((th) => th.offsetWidth > 0).map((th) => th.textContent));
    eq(shown.join('|'), 'Instansi|Diteruskan|Dikembalikan|Kembali padanya|Diambil alih', 'page: the flow figures only');
    assert((await page.getAttribute('#tree a >> nth=0', 'href')).includes('cols=alur'), 'page: drill-down links keep the set');
    await page.selectOption('#cols', 'waktu');
    assert(page.url().includes('cols=waktu') && page.url().includes(`at=${at}`), 'page: the address follows the choice: ' + page.url());
    assert((await page.getAttribute('#tree a >> nth=0', 'href')).includes('cols=waktu'), 'page: drill-down links follow the choice');
    ok('page: the chosen set of figures is kept in the address (?cols=) and by drill-down links');

    await page.goto(`${N.KEMENPANRB}/koordinator?scope=NOPE`);
    await page.waitForSelector('#status.error');
    assert((await page.textContent('#status')).includes('NOPE'), 'page: an unknown scope is said clearly');
    ok('page: English switch, and an unknown scope gives a clear message');
    eq(errors.length, 1, 'page: no script errors but the 404 just caused: ' + errors.join('; '));
  } finally {
    await browser.close();
  }
}

main().then(() => { console.log('all ok'); }, (e) => { console.error('FAIL:', e.stack || e); process.exit(1); });

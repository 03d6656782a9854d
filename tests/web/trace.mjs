// trace.mjs - where the Lapor page's time goes on bench.mjs's throttled
// profile (Fast 3G, 4x CPU), from a Chrome trace of one fresh load:
//
//   node tests/web/trace.mjs http://127.0.0.1:39147 [MIN_MS [trace.json]]
//
// Prints the resource timings, then the renderer main thread's tasks until
// the page's mark "simpul:form-ready" (milliseconds from navigation start,
// wall time and CPU time at 4x), each with its nested events of at least
// MIN_MS (default 4) as an indented tree. The raw trace is written to
// trace.json if named (chrome://tracing or Perfetto open it).
import { writeFileSync } from 'node:fs';
import { launchBench, tracedLoad } from './mark.mjs';

const url = process.argv[2], min = Number(process.argv[3] || 4) * 1000;
const browser = await launchBench();
const { page, trace } = await tracedLoad(browser, url, 'toplevel,blink,blink.user_timing,' +
  'loading,navigation,v8.execute,devtools.timeline,disabled-by-default-devtools.timeline,disabled-by-default-v8.compile');
const nav = await page.evaluate(() => {
  const n = performance.getEntriesByType('navigation')[0], r = (x) => Math.round(x);
  return { ready: r(performance.getEntriesByName('simpul:form-ready')[0].startTime),
    fcp: r(performance.getEntriesByName('first-contentful-paint')[0]?.startTime || 0),
    html: [r(n.responseStart), r(n.responseEnd)], dcl: r(n.domContentLoadedEventEnd),
    res: performance.getEntriesByType('resource').map((x) => `${x.name.replace(/.*\//, '')} ${r(x.startTime)}-${r(x.responseEnd)}`) };
});
console.log(JSON.stringify(nav));
if (process.argv[4]) writeFileSync(process.argv[4], JSON.stringify(trace));

const mark = trace.find((e) => e.name === 'simpul:form-ready');
const main = trace.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === mark.pid &&
  e.args.name === 'CrRendererMain');
const t0 = trace.filter((e) => e.name === 'navigationStart' && e.pid === mark.pid).pop().ts;
const at = (ts) => ((ts - t0) / 1000).toFixed(0);
const ev = trace.filter((e) => e.pid === mark.pid && e.tid === main.tid && e.ph === 'X' && e.ts >= t0 &&
  e.ts <= mark.ts && e.dur >= min && e.name !== 'ThreadControllerImpl::RunTask')
  .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
const open = [];
for (const e of ev) {
  while (open.length && open[open.length - 1].ts + open[open.length - 1].dur <= e.ts) open.pop();
  const d = e.args?.data || {};
  const what = String(d.url || d.functionName || d.type || '').replace(/.*\//, '');
  console.log(`${'  '.repeat(open.length)}${at(e.ts)} ${e.name} ${(e.dur / 1000).toFixed(1)} ms ` +
    `(cpu ${((e.tdur || 0) / 1000).toFixed(1)})${what ? ' ' + what : ''}`);
  open.push(e);
}
console.log(`${at(mark.ts)} simpul:form-ready`);
await browser.close();

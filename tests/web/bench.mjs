// bench.mjs - the web pages' weight and the Lapor page's speed on a
// throttled mobile profile, measured by the browser itself:
//
//   node tests/web/bench.mjs http://127.0.0.1:17047 [runs]
//
// For each page: the bytes transferred for the page and its assets (gzip,
// as sent: CDP Network.loadingFinished encodedDataLength, headers
// included) with the API calls the page makes listed apart. Then, on a
// 390x844 viewport with CDP's network throttling (150 ms latency, 1.6 Mbit/s
// down, 750 kbit/s up: DevTools' "Fast 3G") and 4x CPU slowdown, for
// `runs` fresh loads of Lapor: navigation timing (DOMContentLoaded, load),
// the time until the form is usable (the page's own performance mark
// "simpul:form-ready", set when categories and provinces are in the
// selects and the form's handlers are in place, or the page's first paint
// if that comes later: measured in the page; the harness waits for the
// mark without running anything in the page while it loads, mark.mjs),
// and the time from pressing "Kirim laporan" to the ticket on screen, and
// when the last byte the form waited for arrived (resource timing: what is
// left of "form usable" is the renderer's own work), and the CPU time the page's main thread used until then
// (thread time from a trace, at 4x: other load on the machine adds little
// to it, unlike the wall times).
// Prints medians. Files a few real complaints on that node. (Earlier
// versions alternated loads with a variant of the page made by request
// interception; an intercepted page arrives sooner than the node's own
// answer under the network emulation, so such pairs are not comparable.)
import { launchBench, tracedLoad } from './mark.mjs';

const url = process.argv[2];
const runs = Number(process.argv[3] || 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const browser = await launchBench();

async function weigh(path) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map(), sizes = { assets: 0, api: 0 }, list = [];
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    const u = new URL(urls.get(e.requestId));
    if (u.protocol === 'data:') return; // an image inlined in the CSS: no transfer
    const api = u.pathname.startsWith('/v1/') || u.pathname.startsWith('/logs/');
    sizes[api ? 'api' : 'assets'] += e.encodedDataLength;
    if (!api) list.push(`${u.pathname.replace(/\/web\/[0-9a-f]{16}\//, '/web/V/')} ${e.encodedDataLength}`);
  });
  await page.goto(url + path, { waitUntil: 'networkidle' });
  await ctx.close();
  return { ...sizes, list };
}

for (const p of ['/', '/lacak', '/transparansi']) {
  const w = await weigh(p);
  console.log(`${p}: page and assets ${w.assets} bytes transferred (gzip); API calls at load ${w.api} bytes`);
  console.log('   ' + w.list.join(', '));
}

const t = { dcl: [], load: [], ready: [], mark: [], net: [], cpu: [], submit: [] };

// mainThreadCpu: the CPU time (thread time, not wall time: what other
// processes on the machine take does not count, nor the 4x slowdown) the
// page's main thread spent in its tasks until the form was usable, as
// slowed by the 4x CPU throttling.
function mainThreadCpu(trace) {
  const mark = trace.find((e) => e.name === 'simpul:form-ready');
  const main = trace.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === mark.pid &&
    e.args.name === 'CrRendererMain');
  return trace.filter((e) => e.pid === mark.pid && e.tid === main.tid && e.ph === 'X' && e.ts <= mark.ts &&
    (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask'))
    .reduce((a, e) => a + (e.tdur || 0) / 1000, 0);
}
for (let i = 0; i < runs; i++) {
  const { ctx, page, trace } = await tracedLoad(browser, url, 'toplevel,blink.user_timing');
  t.cpu.push(mainThreadCpu(trace));
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    const ready = performance.getEntriesByName('simpul:form-ready')[0].startTime;
    // net: when the last byte the form waited for had arrived (the HTML
    // and every request started before the form was usable); the rest of
    // "form usable" is the renderer's own work (parse, style, layout, script).
    const net = Math.max(n.responseEnd, ...performance.getEntriesByType('resource')
      .filter((r) => r.responseEnd <= ready).map((r) => r.responseEnd));
    // The form is usable once the mark is set and the form is on screen:
    // the page's first paint (the page blocks rendering until its form
    // is parsed) when that comes after the mark.
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime || 0;
    return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, ready: Math.max(ready, fcp), mark: ready, net };
  });
  t.dcl.push(nav.dcl); t.load.push(nav.load); t.ready.push(nav.ready); t.net.push(nav.net); t.mark.push(nav.mark);
  await page.selectOption('#category', { index: 2 });
  await page.selectOption('#r0', '73');
  await page.waitForSelector('#r1 option[value="73.12"]', { state: 'attached' });
  await page.selectOption('#r1', '73.12');
  await page.fill('#title', 'Uji kecepatan');
  await page.fill('#content', 'Laporan uji dari bench.mjs.');
  const t0 = await page.evaluate(() => performance.now());
  await page.click('#submit');
  await page.waitForSelector('#done:not([hidden])', { timeout: 60000 });
  t.submit.push(await page.evaluate(() => performance.now()) - t0);
  await ctx.close();
}
await browser.close();
const f = (xs) => `${Math.round(median(xs))} ms`;
console.log(`Lapor on Fast 3G + 4x CPU, median of ${runs}: DOMContentLoaded ${f(t.dcl)}, load ${f(t.load)}, ` +
  `form usable ${f(t.ready)} (the page's mark ${f(t.mark)}; its bytes all in at ${f(t.net)}; main thread CPU until then ${f(t.cpu)} ` +
  `(4x)), submit to ticket shown ${f(t.submit)}`);

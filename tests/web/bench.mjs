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
// selects: measured in the page, so the harness's polling, slowed 4x too,
// does not count), and the time from pressing "Kirim laporan" to the
// ticket on screen. Every other load is made with the page's preload hints
// for its two API calls removed (request interception), to show what they
// save on the same machine at the same time. Prints medians. Files a few
// real complaints on that node.
import { chromium } from 'playwright-core';

const url = process.argv[2];
const runs = Number(process.argv[3] || 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

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

const t = { dcl: [], load: [], ready: [], submit: [] }, without = { dcl: [], load: [], ready: [] };
for (let i = 0; i < 2 * runs; i++) {
  const strip = i % 2 === 1, into = strip ? without : t;
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  if (strip) {
    await page.route(url + '/', async (route) => {
      const r = await route.fetch();
      const html = (await r.text()).replace(/<link rel="preload"[^>]*as="fetch"[^>]*>\n?/g, '');
      await route.fulfill({ response: r, body: html });
    });
  }
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150,
    downloadThroughput: 1.6 * 1024 * 1024 / 8, uploadThroughput: 750 * 1024 / 8 });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await page.goto(url + '/');
  await page.waitForFunction(() => performance.getEntriesByName('simpul:form-ready').length > 0, null, { timeout: 60000 });
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, ready: performance.getEntriesByName('simpul:form-ready')[0].startTime };
  });
  into.dcl.push(nav.dcl); into.load.push(nav.load); into.ready.push(nav.ready);
  if (!strip) {
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
  }
  await ctx.close();
}
await browser.close();
const f = (xs) => `${Math.round(median(xs))} ms`;
console.log(`Lapor on Fast 3G + 4x CPU, median of ${runs}: DOMContentLoaded ${f(t.dcl)}, load ${f(t.load)}, ` +
  `form usable ${f(t.ready)}, submit to ticket shown ${f(t.submit)}`);
console.log(`  the same without the preload hints, median of ${runs}: DOMContentLoaded ${f(without.dcl)}, ` +
  `load ${f(without.load)}, form usable ${f(without.ready)}`);

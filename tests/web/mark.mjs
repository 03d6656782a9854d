// mark.mjs - what bench.mjs and trace.mjs share: the browser they launch,
// a fresh load of Lapor on the throttled mobile profile traced until the
// page's own mark that its form is usable, and that wait itself, made
// without disturbing the load being measured.
import { chromium } from 'playwright-core';

export function launchBench() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] });
}

// formReady waits for the page's mark "simpul:form-ready" with one
// DevTools Runtime.evaluate of a promise that a PerformanceObserver
// resolves: nothing else runs in the page while it loads. Playwright's
// waitForFunction would first compile its injected script in the page
// (about 140 ms of the main thread at 4x) and then poll, in the middle of
// the load it measures. An evaluation that lands in the document being
// replaced fails (its context is destroyed) and is made again.
const WAIT_MARK = `new Promise((ok) => new PerformanceObserver((l, o) => {
  if (l.getEntriesByName('simpul:form-ready').length) { o.disconnect(); ok(location.pathname); }
}).observe({ type: 'mark', buffered: true }))`;
export async function formReady(cdp) {
  for (let i = 0; i < 50; i++) {
    const r = await cdp.send('Runtime.evaluate', { expression: WAIT_MARK, awaitPromise: true, returnByValue: true })
      .catch(() => null);
    if (r && !r.exceptionDetails && r.result.value === '/') return;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  throw new Error('the form never became usable');
}

// tracedLoad opens Lapor (url + '/') in a new phone-sized context of
// browser with DevTools' throttling (150 ms latency, 1.6 Mbit/s down,
// 750 kbit/s up, 4x CPU), traces the given categories until the form is
// usable, and returns { ctx, page, trace } (the caller closes ctx).
export async function tracedLoad(browser, url, categories) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150,
    downloadThroughput: 1.6 * 1024 * 1024 / 8, uploadThroughput: 750 * 1024 / 8 });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const trace = [];
  cdp.on('Tracing.dataCollected', (e) => trace.push(...e.value));
  const traced = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.start', { categories, transferMode: 'ReportEvents' });
  await page.goto(url + '/', { waitUntil: 'commit' });
  await formReady(cdp);
  await cdp.send('Tracing.end');
  await traced;
  return { ctx, page, trace };
}

// mark.mjs - what bench.mjs and trace.mjs share: waiting for the Lapor
// page's own mark that its form is usable, without disturbing the load
// being measured.

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

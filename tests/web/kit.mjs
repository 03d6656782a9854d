// kit.mjs - what the browser tests (web, console, dashboard .test.mjs) share:
// the run's config (the JSON file named by the first argument, written by
// the ctest driver), steps that print "ok - ..." or throw, axe-core on a
// page state, phone and desktop screenshots, the nodes' API, and waiting
// for a condition.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const conf = JSON.parse(readFileSync(process.argv[2], 'utf8'));
export const N = conf.nodes;
mkdirSync(conf.out, { recursive: true });

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

export function ok(msg) { console.log('ok - ' + msg); }
export function assert(c, msg) { if (!c) throw new Error('assertion failed: ' + msg); }

// axe runs axe-core on the page and fails on serious or critical
// violations. The pages' CSP forbids inline scripts (a script tag would be
// blocked): axe is evaluated through the DevTools protocol instead.
export async function axe(page, what) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
  const r = await page.evaluate(async () => {
    const res = await window.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} - ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert(r.length === 0, `axe on ${what}:\n  ${r.join('\n  ')}`);
  ok(`axe: no serious violations on ${what}`);
}

// fits: nothing on the page reaches past the viewport's edges (a phone
// user cannot see what is cut off, even inside a scrolling box): the
// document does not scroll sideways and every visible element's box lies
// within [0, innerWidth]. The skip link sits off screen until focused.
export async function fits(page, what) {
  const bad = await page.evaluate(() => {
    const W = window.innerWidth, out = [];
    const sw = document.documentElement.scrollWidth;
    if (sw > W) out.push(`document.documentElement.scrollWidth ${sw} > innerWidth ${W}`);
    for (const e of document.querySelectorAll('body *')) {
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height || e.closest('.skip') || getComputedStyle(e).visibility === 'hidden') continue;
      if (r.right > W + 0.5 || r.left < -0.5)
        out.push(`<${e.tagName.toLowerCase()}${e.id ? ' id=' + e.id : ''} class="${e.className}"> spans ${Math.round(r.left)}..${Math.round(r.right)}: ${e.textContent.slice(0, 40)}`);
    }
    return out.slice(0, 8);
  });
  assert(bad.length === 0, `${what}: content outside the viewport:\n  ${bad.join('\n  ')}`);
}

// shots checks that the page fits at phone and desktop width (fits) and
// saves full-page screenshots into the build folder (conf.out), then sets
// the viewport back.
export async function shots(page, name, back = PHONE) {
  for (const [tag, vp] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(vp);
    await fits(page, `${name} at ${vp.width}px`);
    await page.screenshot({ path: join(conf.out, `${name}-${tag}.png`), fullPage: true });
  }
  await page.setViewportSize(back);
}

// api calls a node of the federation: {status, body (JSON if it parses), headers}.
export async function api(node, path, init = {}) {
  const r = await fetch(N[node] + path, init);
  const text = await r.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* text */ }
  return { status: r.status, body, headers: r.headers };
}

export async function until(what, fn, ms = 60000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// launch starts Debian's chromium, headless (playwright-core gives every
// launch a fresh temporary --user-data-dir of its own).
export function launch(extra = []) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extra],
  });
}

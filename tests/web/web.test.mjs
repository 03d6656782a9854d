// web.test.mjs - the web pages in Debian's chromium (playwright-core, no
// browser download), run by test_web.c on a real local federation:
//
//   node web.test.mjs CONFIG.json
//
// CONFIG: {"nodes": {"KEMENPANRB": url, "73": url, "73.12": url, "73.13": url},
//          "officer_key": path, "simpul": path, "out": folder for screenshots,
//          "overdue_report": id of a report 73.12 holds, filed 20 days ago}
//
// Each step prints "ok - ..." or throws (exit 1). axe-core checks every
// page state it visits for serious or critical violations.
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer, get as httpGet } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, assert, axe, conf, fits, launch, N, ok, PHONE, shots, until } from './kit.mjs';

// A 1x1 PNG and a text file pretending to be an image.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

async function stackChecks() {
  const u = N['73.12'];
  const r = await fetch(u + '/', { headers: { 'Accept-Encoding': 'gzip' } });
  assert(r.status === 200, 'GET / is 200');
  assert(r.headers.get('content-type') === 'text/html; charset=utf-8', 'html type');
  const csp = r.headers.get('content-security-policy') || '';
  assert(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), 'strict CSP: ' + csp);
  const html = await r.text();
  const m = html.match(/\/web\/([0-9a-f]{16})\/app\.css/);
  assert(m, 'the page names versioned assets');
  const css = await fetch(u + m[0]);
  assert(css.headers.get('cache-control').includes('immutable'), 'versioned asset is immutable');
  assert(css.headers.get('content-type').startsWith('text/css'), 'css type');
  const js = await fetch(u + `/web/${m[1]}/lapor.js`);
  assert(js.headers.get('content-type').startsWith('text/javascript'), 'js type');
  const etag = js.headers.get('etag');
  const again = await fetch(u + `/web/${m[1]}/lapor.js`, { headers: { 'If-None-Match': etag } });
  assert(again.status === 304, 'ETag revalidation gives 304');
  ok('pages: MIME types, strict CSP, immutable versioned assets, ETag 304');

  // Every page is assembled at build time from the shared parts
  // (node/web/head.inc, nav.inc): no directive left, one head each, and
  // the public pages' header marks the page itself as current.
  const pages = { '/': 'Lapor', '/lacak': 'Lacak', '/transparansi': 'Transparansi',
    '/koordinator': 'Dasbor Koordinator', '/konsol': 'Konsol petugas' };
  const heads = new Set();
  for (const [path, title] of Object.entries(pages)) {
    const h = await (await fetch(u + path)).text();
    assert(!h.includes('<!--#') && !h.includes('@TITLE@') && !h.includes('@V@'), `${path}: directives expanded`);
    assert(h.startsWith('<!doctype html>\n<html lang="id">\n<head>\n'), `${path}: starts with the shared head`);
    assert(h.split('<title>').length === 2 && h.includes(`<title>${title} - Simpul</title>`), `${path}: its own title`);
    assert(h.includes(`/web/${m[1]}/app.css`) && h.includes(`/web/${m[1]}/icon.svg`), `${path}: shared styles and icon`);
    heads.add(h.slice(0, h.indexOf('<title>')));
    const cur = [...h.matchAll(/<a href="([^"]*)" aria-current="page"/g)].map((x) => x[1]);
    if (path !== '/konsol') {
      assert(cur.length === 1 && cur[0] === path, `${path}: the header marks itself current: ${cur}`);
      for (const p of Object.keys(pages).filter((p) => p !== '/konsol'))
        assert(h.includes(`<a href="${p}"`), `${path}: the header links ${p}`);
    }
  }
  assert(heads.size === 1, 'one shared head: ' + heads.size);
  ok('pages: one shared head and header, each page marked current in its own');

  // Each page's answer names, in a Link header, the style sheets, modules
  // and API preloads its head names (the browser asks for them before it
  // has parsed the page); a revalidation (304) does not.
  for (const path of Object.keys(pages)) {
    const r = await fetch(u + path);
    const h = await r.text(), head = h.slice(0, h.indexOf('</head>'));
    const want = [...head.matchAll(/<link rel="stylesheet" href="([^"]+)">|<script type="module" src="([^"]+)"><\/script>|<link rel="modulepreload" href="([^"]+)">|<link rel="preload" href="([^"]+)" as="fetch" crossorigin="anonymous">/g)]
      .map((x) => x[1] ? `<${x[1]}>; rel=preload; as=style` : x[4] ? `<${x[4]}>; rel=preload; as=fetch; crossorigin=anonymous`
        : `<${x[2] || x[3]}>; rel=modulepreload`);
    assert(want.length >= 3 && r.headers.get('link') === want.join(', '), `${path}: Link ${r.headers.get('link')} for ${want.join(', ')}`);
    const again = await fetch(u + path, { headers: { 'If-None-Match': r.headers.get('etag') } });
    assert(again.status === 304 && !again.headers.get('link'), `${path}: 304 without Link`);
  }
  ok('pages: a Link header preloads what each page\'s head names (not on a 304)');

  // Lapor comes with the directory's categories in its category select
  // (the node puts them in as it sends the page): the prompt, each
  // category in order, "lainnya"; so it preloads no API call.
  const cats = (await api('73.12', '/v1/directory')).body.categories;
  const lp = await fetch(u + '/');
  const lh = await lp.text();
  const sel = lh.match(/<select id="category"[^>]*>\n([^]*?)<\/select>/);
  const opts = sel ? [...sel[1].matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>\n/g)].map((x) => [x[1], x[2]]) : [];
  assert(JSON.stringify(opts.map((x) => x[0])) === JSON.stringify(['', ...[...cats].sort(), 'lainnya']) && cats.length > 10,
    'the categories in the page: ' + JSON.stringify(opts));
  assert(opts.every(([v, l]) => v === '' || v === 'lainnya' || l === v.replace(/-/g, ' ')), 'labels: ' + JSON.stringify(opts));
  assert(!lp.headers.get('link').includes('/v1/'), 'Lapor preloads no API call: ' + lp.headers.get('link'));
  ok(`Lapor: the directory's ${cats.length} categories are in the page as sent`);

  // Large JSON answers are gzipped for clients that accept it, and decode
  // to the very bytes a client without Accept-Encoding gets (identity).
  const raw = (path, ae) => new Promise((resolve, reject) => {
    const headers = ae === undefined ? {} : { 'Accept-Encoding': ae };
    httpGet(u + path, { headers }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
    }).on('error', reject);
  });
  for (const path of ['/v1/directory', '/v1/regions?parent=73', '/open311/v2/services.xml', '/']) {
    const plain = await raw(path);
    const gz = await raw(path, 'gzip, deflate, br');
    assert(plain.body.length >= 1024, `${path} is large enough to compress: ${plain.body.length}`);
    assert(!plain.headers['content-encoding'], `${path}: identity without Accept-Encoding`);
    assert(gz.headers['content-encoding'] === 'gzip', `${path}: gzip when accepted`);
    assert(plain.headers.vary === 'Accept-Encoding' && gz.headers.vary === 'Accept-Encoding', `${path}: Vary`);
    assert(gz.body.length < plain.body.length / 2, `${path}: ${gz.body.length} of ${plain.body.length} bytes`);
    assert(gunzipSync(gz.body).equals(plain.body), `${path}: the gzip decodes to the same answer`);
    const refused = await raw(path, 'gzip;q=0, br');
    assert(!refused.headers['content-encoding'] && refused.body.equals(plain.body), `${path}: gzip;q=0 is identity`);
  }
  const small = await raw('/v1/status', 'gzip');
  assert(!small.headers['content-encoding'], 'a small answer is sent as it is');
  ok('API: large JSON and XML answers and Lapor (made as it is sent) gzipped when accepted (same bytes decoded), identity otherwise');
}

async function lapor(browser) {
  const ctx = await browser.newContext({ viewport: PHONE });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // a 404 while the receipt waits for its checkpoint is expected; every
    // failed response is checked below. A preload the page then fetches
    // again (its Link header's attributes not matching the page's own
    // request) shows as a warning.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    if (m.type() === 'warning' && /preload/i.test(m.text())) errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/receipt') && !r.url().includes('/v1/reports'))
      errors.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(N['73.12'] + '/');
  await page.waitForFunction(() => performance.getEntriesByName('simpul:form-ready').length > 0);
  // Until the form is usable the page asks for its own files and the
  // directory only: the provinces are in the HTML, the reporter-key
  // modules come after (few requests: a phone opens few connections).
  const before = await page.evaluate(() => {
    const ready = performance.getEntriesByName('simpul:form-ready')[0].startTime;
    return performance.getEntriesByType('resource').filter((r) => r.startTime < ready)
      .map((r) => new URL(r.name).pathname.replace(/^\/web\/[0-9a-f]{16}\//, ''));
  });
  assert(await page.$$eval('#r0 option', (o) => o.length) === 39, 'the 38 provinces are in the page');
  assert(!before.some((p) => p.startsWith('/v1/')) && !before.includes('reporter.js') && !before.includes('cbor.js') &&
    before.filter((p) => p !== 'icon.svg').length === 3 && new Set(before).size === before.length,
    'requests until the form is usable (each once: the Link header\'s preloads are used): ' + before.join(' '));
  ok('Lapor: provinces and categories in the page; until the form is usable only its own style sheet and modules are fetched');
  await page.waitForSelector('#r0 option[value="73"]', { state: 'attached' });
  await page.waitForSelector('#category option[value="bansos"]', { state: 'attached' });
  await axe(page, 'Lapor (empty form)');
  await shots(page, 'lapor');

  // Nothing filled in: the page refuses and says why, in Indonesian.
  await page.click('#submit');
  assert(await page.isVisible('#title-err'), 'title error shown');
  assert((await page.textContent('#title-err')).includes('wajib'), 'error in Bahasa Indonesia');
  assert(await page.isVisible('#region-err'), 'region error shown');
  await axe(page, 'Lapor (errors shown)');
  await shots(page, 'lapor-errors');

  // A wrong-type attachment is refused before upload.
  await page.selectOption('#category', 'jalan').catch(() => page.selectOption('#category', { index: 1 }));
  await page.selectOption('#r0', '73');
  await page.waitForSelector('#r1 option[value="73.12"]', { state: 'attached' });
  await page.selectOption('#r1', '73.12');
  await page.waitForSelector('#r2 option[value="73.12.01"]', { state: 'attached' });
  await page.selectOption('#r2', '73.12.01');
  await page.waitForSelector('#r3 option[value="73.12.01.1001"]', { state: 'attached' });
  await page.selectOption('#r3', '73.12.01.1001');
  const xss = '<img src=x onerror="window.__pwned=1">Jalan <script>window.__pwned=2</script> rusak';
  await page.fill('#title', xss);
  await page.fill('#content', 'Jalan berlubang di depan sekolah sejak bulan lalu.\n<b>tebal?</b>');
  await page.fill('#date', '11/30/2026'); // month first, as a US-English phone's date field has it
  await page.fill('#place', 'depan SD Negeri 1 Labessi');
  await page.setInputFiles('#files', { name: 'catatan.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await page.click('#submit');
  assert(await page.isVisible('#files-err'), 'wrong file type refused in the page');
  // The date is written day/month/year, whatever the phone's locale: a
  // month-first date (no month 30) and a 31 February are refused.
  assert((await page.textContent('#date-err')).includes('hari/bulan/tahun'), 'a month-first date refused: ' + await page.textContent('#date-err'));
  await page.fill('#date', '31/02/2026');
  await page.click('#submit');
  assert(await page.isVisible('#date-err'), '31/02 refused');
  await page.fill('#date', '30/11/2026');
  // A photo over the node's limit (max_body_bytes, as /v1/directory says):
  // refused in the page before any upload, and by the node, which stores nothing.
  const maxBody = (await api('73.12', '/v1/directory')).body.max_body_bytes;
  const big = Buffer.concat([PNG, Buffer.alloc(maxBody + 1 - PNG.length)]);
  const uploads = [];
  page.on('request', (r) => { if (r.url().includes('/v1/attachments')) uploads.push(r.url()); });
  await page.setInputFiles('#files', { name: 'besar.png', mimeType: 'image/png', buffer: big });
  await page.click('#submit');
  assert((await page.textContent('#files-err')).includes('terlalu besar'), 'oversized file refused in the page: ' +
    await page.textContent('#files-err'));
  assert(uploads.length === 0, 'nothing uploaded');
  const tooBig = await api('73.12', '/v1/attachments', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: big });
  assert(tooBig.status === 413 && tooBig.body.error.code === 'SP_ERR_HTTP_TOO_LARGE', 'node refuses it: ' + tooBig.status);
  const sha = createHash('sha256').update(big).digest('hex');
  assert((await api('73.12', '/v1/attachments/' + sha)).status === 404, 'the oversized file is not stored');
  ok('Lapor: empty fields, a wrong file type and an oversized photo refused in the page, in Bahasa Indonesia; the node refuses the photo too, nothing stored');

  // The node checks again: an unknown region is refused there too.
  const bad = await api('73.12', '/v1/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'pengaduan', visibility: 'publik', category: 'jalan', region: '99.99.99',
      title: 'x', content: 'y' }) });
  assert(bad.status === 400, 'node refuses an invalid region: ' + bad.status + ' ' + JSON.stringify(bad.body));
  ok('node refuses a region not in its region list');

  await page.setInputFiles('#files', { name: 'foto.png', mimeType: 'image/png', buffer: PNG });
  await page.check('input[name="visibility"][value="publik"]');
  await page.fill('#name', 'Budi');
  await page.fill('#contact', '0812 3456 7890');
  await page.click('#submit');
  await page.waitForSelector('#done:not([hidden])', { timeout: 30000 });
  const ticket = (await page.textContent('#ticket')).trim();
  const secret = (await page.textContent('#secret')).replace(/\s/g, '');
  assert(/^73\.12-\d+-\d\d$/.test(ticket), 'short ticket: ' + ticket);
  assert(/^[0-9a-f]{64}$/.test(secret), 'secret shown');
  assert((await page.textContent('#route')).includes('73.12'), 'routing shown');
  assert(errors.length === 0, 'no script errors: ' + errors.join('; '));
  await axe(page, 'Lapor (receipt)');
  await shots(page, 'lapor-done');
  // The receipt download.
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click('#receipt')]);
  const receipt = readFileSync(await dl.path(), 'utf8');
  assert(receipt.startsWith('c2sp.org/tlog-proof@v1\n'), 'receipt downloaded');
  ok(`Lapor: filed with an attachment at 73.12: ticket ${ticket}, secret shown once, receipt downloaded`);

  // What the node stored: the script is text, the attachment referenced,
  // and the contact nowhere in clear.
  const track = await api('73.12', '/v1/track/' + ticket);
  assert(track.status === 200, 'track at the door');
  assert(track.body.title === xss, 'title stored as typed');
  assert(track.body.content.startsWith('Tanggal kejadian: 30 November 2026\nTempat: depan SD Negeri 1 Labessi\n\n'),
    'the date of the event in Indonesian: ' + JSON.stringify(track.body.content.slice(0, 60)));
  assert(track.body.attachments.length === 1, 'attachment referenced');
  assert(!JSON.stringify(track.body).includes('0812 3456 7890') && !JSON.stringify(track.body).includes('Budi'),
    'contact and name not public');
  // The page drew a salt of its own for the report (docs/reports.md
  // "Reporter keys"); the key is derived from (secret, that salt).
  assert(/^[0-9a-f]{64}$/.test(track.body.reporter_salt) && !/^0+$/.test(track.body.reporter_salt),
    'a random reporter_salt: ' + track.body.reporter_salt);
  assert(await page.evaluate(() => window.__pwned === undefined), 'no script ran');
  await ctx.close();
  return { ticket, secret, id: track.body.report_id, receipt };
}

function officer(what, id, ...extra) {
  execFileSync(conf.simpul, ['act', '--node', N['73.12'], '--key', conf.officer_key, id, what, ...extra],
    { stdio: 'pipe', timeout: 60000 });
}

async function newPage(browser, errors) {
  const ctx = await browser.newContext({ viewport: PHONE, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  return { ctx, page };
}

async function lacak(browser, rep) {
  const errors = [];
  const { ctx, page } = await newPage(browser, errors);
  // 73.13 holds neither 73.12's log nor the report: it asks 73.12.
  const logs = await api('73.13', '/v1/logs');
  assert(!logs.body.logs.some((l) => l.origin.endsWith('/73.12')), '73.13 does not hold 73.12');
  await page.goto(N['73.13'] + '/lacak');
  await axe(page, 'Lacak (empty)');
  // The page derives reporter keys as docs/reports.md says: its test vector.
  const v = await page.evaluate(async () => {
    const src = document.querySelector('script[type=module]').src.replace('lacak.js', 'reporter.js');
    const m = await import(src);
    const h = (s) => Uint8Array.from(s.match(/../g), (x) => parseInt(x, 16));
    const secret = h('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const salt = h('202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f');
    const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return [hex(await m.deriveSeed(secret, salt)), hex((await m.keyFromSecret(secret, salt)).pub)];
  });
  assert(v[0] === '574c2d96f87862cb028cfc8d2cbd55e007a2c45ad32a4c4f3b0cca96ffec8aac', 'seed vector: ' + v[0]);
  assert(v[1] === '1281ded05bbcb9cf933ff664863064fd65c44671c5659c91499774f235a9e500', 'public key vector: ' + v[1]);
  ok('reporter key derivation in the page matches the docs/reports.md test vector');
  await page.fill('#ref', 'bukan tiket');
  await page.click('#find button[type=submit]');
  assert(await page.isVisible('#ref-err'), 'a malformed ticket is refused in the page');
  await page.fill('#ref', '73.12-999999-00');
  await page.click('#find button[type=submit]');
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('tidak ditemukan'));
  await page.fill('#ref', rep.ticket.replace('73.12', ' 73.12') + ' ');
  await page.click('#find button[type=submit]');
  await page.waitForSelector('#report:not([hidden])');
  const title = await page.textContent('#rep-title');
  assert(title.includes('<script>'), 'script in the title shown as text: ' + title);
  assert(await page.evaluate(() => window.__pwned === undefined), 'no script ran');
  const facts = await page.textContent('#rep-facts');
  assert(facts.includes('simpul 73.12'), 'the answer came from 73.12: ' + facts);
  assert(facts.includes('WIB'), 'times in WIB');
  ok(`Lacak: ticket ${rep.ticket} found at 73.13, which does not hold it (asked 73.12); script shown as text`);

  // The officer answers; the reporter (in the page, at 73.13) reopens,
  // the officer answers again, the reporter rates.
  officer('verifikasi', rep.id);
  officer('tindak_lanjut', rep.id, '--text', 'Jalan sudah ditambal.');
  await page.click('#find button[type=submit]');
  await page.waitForFunction(() => document.getElementById('timeline').textContent.includes('Jalan sudah ditambal.'));
  // A wrong secret: refused, nothing changes.
  const wrong = rep.secret.slice(0, 63) + (rep.secret[63] === '0' ? '1' : '0');
  await page.fill('#secret', wrong);
  await page.selectOption('#action', 'buka_kembali');
  await page.fill('#text', 'Tambalannya sudah lepas lagi.');
  await page.click('#act-btn');
  await page.waitForFunction(() => /salah|Wrong/.test(document.getElementById('act-result').textContent));
  assert((await page.textContent('#rep-badges')).includes('ditindaklanjuti'), 'still answered after a wrong secret');
  ok('Lacak: a wrong secret is refused with a message in Bahasa Indonesia, nothing changes');
  // Add information with the right secret: recorded, shown in the trail.
  await page.fill('#secret', rep.secret.match(/.{4}/g).join(' '));
  await page.selectOption('#action', 'balas');
  await page.fill('#text', 'Lubangnya kini dua, di sebelah <b>kiri</b> juga.');
  await page.click('#act-btn');
  await page.waitForFunction(() => document.getElementById('act-result').textContent.includes('tercatat'))
    .catch(async (e) => { throw new Error('balas: ' + await page.textContent('#act-result')); });
  await page.waitForFunction(() => document.getElementById('timeline').textContent.includes('di sebelah <b>kiri</b> juga'));
  const added = await api('73.12', '/v1/reports/' + rep.id);
  assert(added.body.trail.some((x) => x.action === 'balas' && x.actor.reporter === 'key'), 'balas signed in the page');
  ok('Lacak: information added with the secret, signed in the page, shown in the timeline as text');
  await page.selectOption('#action', 'buka_kembali');
  await page.fill('#text', 'Tambalannya sudah lepas lagi.');
  await page.click('#act-btn');
  await page.waitForFunction(() => document.getElementById('act-result').textContent.includes('tercatat'))
    .catch(async (e) => { throw new Error('reopen: ' + await page.textContent('#act-result')); });
  const after = await api('73.12', '/v1/reports/' + rep.id);
  assert(after.body.reopens === 1, 'reopened: ' + JSON.stringify(after.body.status));
  const proof = after.body.trail.find((x) => x.action === 'buka_kembali').actor;
  assert(proof.reporter === 'key', 'the reopen is proved by a signature made in the page: ' + JSON.stringify(proof));
  ok('Lacak: reopened through 73.13 with a signature made in the page (reporter key from the secret)');
  officer('tindak_lanjut', rep.id, '--text', 'Sudah diaspal ulang.');
  await page.click('#find button[type=submit]');
  await page.waitForFunction(() => document.getElementById('timeline').textContent.includes('Sudah diaspal ulang.'));
  await page.selectOption('#action', 'nilai');
  await page.selectOption('#rating', '4');
  await page.fill('#text', '');
  await page.click('#act-btn');
  await page.waitForFunction(() => document.getElementById('rep-badges').textContent.includes('4/5'));
  ok('Lacak: rated 4/5 with the secret');
  assert(errors.length === 0, 'no script errors: ' + errors.join('; '));
  await axe(page, 'Lacak (report shown)');
  await shots(page, 'lacak');
  await ctx.close();
}

// Lacak's overdue marks: the report test_web.c gave 73.12 (filed 20 days
// ago, nobody acted) is past its verify deadline, and 73.12's escalation
// timer wrote the missed deadline into its log. The page shows what the
// node's view says: the overdue badge, the escalation count, the deadline
// marked late, and the escalation in the timeline; a report on time shows
// none of them.
async function overdue(browser, rep) {
  const errors = [];
  const { ctx, page } = await newPage(browser, errors);
  const view = await until('73.12 escalated the overdue report', async () => {
    const v = await api('73.12', '/v1/reports/' + conf.overdue_report);
    return v.status === 200 && v.body.escalations >= 1 ? v.body : null;
  });
  assert(view.overdue === true && view.status === 'diterima' && view.deadline < Date.now(), 'the node\'s view: ' + JSON.stringify(view));
  const esc = view.trail.filter((x) => x.type === 'escalation');
  assert(esc.length === 1 && esc[0].log === '73.12' && esc[0].deadline === view.deadline, 'one escalation: ' + JSON.stringify(esc));
  await page.goto(N['73.12'] + '/lacak?tiket=' + encodeURIComponent(view.ticket));
  await page.waitForSelector('#report:not([hidden])');
  await page.waitForFunction(() => document.getElementById('timeline').children.length >= 2);
  const badges = await page.$$eval('#rep-badges .badge', (xs) => xs.map((x) => [x.className, x.textContent]));
  assert(badges.some(([c, x]) => c.includes('bad') && x === 'melewati batas waktu'), 'overdue badge: ' + JSON.stringify(badges));
  assert(badges.some(([c, x]) => c.includes('bad') && x === '1 eskalasi'), 'escalation count badge: ' + JSON.stringify(badges));
  const facts = await page.$$eval('#rep-facts dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
  const due = facts.find(([k]) => k.startsWith('Batas waktu'));
  assert(due && due[0].includes('verifikasi') && / WIB - TERLAMBAT$/.test(due[1]), 'deadline marked late: ' + JSON.stringify(facts));
  const items = await page.$$eval('#timeline li', (lis) => lis.map((li) => [li.querySelector('.badge.bad')?.textContent || '', li.textContent]));
  const e = items.filter(([b]) => b === 'eskalasi');
  assert(e.length === 1 && /batas verifikasi .* WIB terlewati/.test(e[0][1]), 'escalation in the timeline: ' + JSON.stringify(items));
  assert(e[0][1].includes(due[1].replace(' - TERLAMBAT', '')), 'the timeline names the missed deadline: ' + e[0][1]);
  await axe(page, 'Lacak (overdue, escalated)');
  await shots(page, 'lacak-terlambat');
  // A report on time (the one filed in the page, answered and rated): no marks.
  await page.goto(N['73.12'] + '/lacak?tiket=' + encodeURIComponent(rep.ticket));
  await page.waitForFunction((t) => document.getElementById('rep-facts').textContent.includes(t), rep.ticket);
  const calm = (await page.textContent('#rep-badges')) + (await page.textContent('#rep-facts')) + (await page.textContent('#timeline'));
  assert(!/melewati|eskalasi|TERLAMBAT/.test(calm), 'no overdue marks on a report on time: ' + calm);
  assert(errors.length === 0, 'no script errors: ' + errors.join('; '));
  await ctx.close();
  ok(`Lacak: ${view.ticket}, filed 20 days ago and escalated by 73.12, shows the overdue badge, 1 escalation, the deadline marked TERLAMBAT and the escalation in the timeline; a report on time shows none`);
}

async function checks(page) {
  return page.$$eval('#logs .check', (xs) => xs.map((x) => [x.className, x.closest('section').getAttribute('aria-label'), x.textContent]));
}

async function rootChecks(page) {
  return page.$$eval('#root-result .check', (xs) => xs.map((x) => [x.className, x.textContent]));
}

async function reloadChecked(page) {
  await page.reload();
  await page.waitForFunction(() => /log diperiksa/.test(document.getElementById('logs-status').textContent), null, { timeout: 60000 });
}

// vkey: a C2SP verifier key for an Ed25519 public key under name.
function vkey(name, pub) {
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), Buffer.from([1]), pub])).digest().subarray(0, 4);
  return `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([1]), pub]).toString('base64')}`;
}

// trustAnchor: the keys come from the directory log verified against the
// root key, not from the node's word.
// The directory log on return visits: the page remembers the log it
// verified (local storage) and reads only what was added since: nothing
// while the log has not grown; after a routing rule is added at the
// coordinator, only the bundles from the one holding the first new entry,
// the new checkpoint consistent with the remembered one. A remembered log
// the node's log does not extend (a different root at the same size, or
// a smaller log) fails as rewritten.
async function dirlogVisits(page, dir) {
  const origin = dir.root_key.split('+')[0], coord = origin.split('/')[1];
  const bundles = [];
  const onReq = (r) => { if (r.url().includes(`/logs/${coord}/tile/entries/`)) bundles.push(new URL(r.url()).pathname); };
  page.on('request', onReq);
  const seen = () => page.evaluate(() => Object.values(JSON.parse(localStorage.getItem('simpul.dirlog') || '{}')));
  const st = await seen();
  assert(st.length === 1 && st[0].size > 0 && st[0].insts.length === dir.institutions.length, 'the verified directory log remembered: ' + JSON.stringify(st).slice(0, 200));
  const m = st[0].size;
  await reloadChecked(page);
  let root = await rootChecks(page);
  assert(bundles.length === 0 && root.some((x) => x[0].includes('pass') && x[1].includes(`checkpoint ukuran ${m} ditandatangani kunci akar, sama dengan yang sudah diperiksa peramban ini (tidak ada entri baru`)) &&
    root.some((x) => x[1].includes('sama dengan log yang diperiksa')),
  'a return visit, log unchanged: no entry read: ' + JSON.stringify(root) + ' ' + bundles.join(' '));
  // The coordinator's log grows: a routing rule (what the default route does anyway).
  execFileSync(conf.simpul, ['route', 'set', '--node', N.KEMENPANRB, '--key', join(conf.fed, 'keys', `${coord}.admin.key`),
    '--rule', 'uji-transparansi', '--category', 'pendidikan', '--region', '73.12.05', '--to', '73.12'], { stdio: 'pipe', timeout: 60000 });
  await until('73.12 holds the grown directory log', async () =>
    ((await api('73.12', '/v1/logs')).body.logs.find((l) => l.origin === origin) || {}).checkpoint_size > m);
  await reloadChecked(page);
  root = await rootChecks(page);
  const n = (await seen())[0].size;
  assert(n > m && root.some((x) => x[0].includes('pass') && x[1].includes(`ukuran ${n} ditandatangani kunci akar dan konsisten (RFC 9162) dengan ukuran ${m} `) &&
    x[1].includes(`hanya ${n - m} entri baru dibaca`)) && root.some((x) => x[1].includes('sama dengan log yang diperiksa')),
  `the grown log (${m} -> ${n}): only the new entries: ` + JSON.stringify(root));
  const bundleNo = (p) => Number(p.match(/\/tile\/entries\/((?:x\d{3}\/)*\d{3})/)[1].replace(/[x/]/g, ''));
  assert(bundles.length >= 1 && bundles.every((b) => bundleNo(b) >= Math.floor(m / 256)),
    'only the bundles from the first new entry on: ' + bundles.join(' '));
  // A remembered log the node's log does not extend: rewritten.
  for (const [what, change] of [['another root at the same size', 'hash'], ['a larger log remembered', 'size']]) {
    await page.evaluate((c) => {
      const a = JSON.parse(localStorage.getItem('simpul.dirlog'));
      for (const k of Object.keys(a)) {
        if (c === 'hash') a[k].hash = (a[k].hash[0] === '0' ? '1' : '0') + a[k].hash.slice(1);
        else a[k].size += 5;
      }
      localStorage.setItem('simpul.dirlog', JSON.stringify(a));
    }, change);
    await reloadChecked(page);
    root = await rootChecks(page);
    assert(root.some((x) => x[0].includes('fail') && x[1].includes('direktori tidak terverifikasi') && x[1].includes('ditulis ulang')),
      `${what}: the directory log flagged as rewritten: ` + JSON.stringify(root));
    await page.evaluate(() => localStorage.removeItem('simpul.dirlog'));
    await reloadChecked(page);
  }
  root = await rootChecks(page);
  assert(root.some((x) => x[0].includes('pass') && x[1].includes(`${n} entri cocok dengan akarnya`)), 'a first visit reads the whole log: ' + JSON.stringify(root));
  page.off('request', onReq);
  ok(`Transparansi: a return visit reads no directory entry while the log is unchanged, only the new ones after it grew (${m} -> ${n}, consistency proof from the tiles); a remembered log the node's does not extend is flagged as rewritten`);
}

async function trustAnchor(page, origin, dir) {
  const inst = origin.split('/')[1];
  const real = dir.institutions.find((i) => i.id === inst).sign_key;
  // 1. The node's /v1/directory lies about 73.12's key: flagged, and the
  //    page still verifies 73.12's log with the key from the verified log.
  await page.route('**/v1/directory', async (route) => {
    const r = await route.fetch();
    const j = await r.json();
    j.institutions.find((i) => i.id === inst).sign_key = 'ab'.repeat(32);
    await route.fulfill({ response: r, json: j });
  });
  await reloadChecked(page);
  let root = await rootChecks(page);
  assert(root.some((x) => x[0].includes('fail') && x[1].includes('berbeda dari log yang diperiksa untuk: ' + inst)), 'a lying /v1/directory flagged: ' + JSON.stringify(root));
  let c = (await checks(page)).filter((x) => x[1] === origin);
  assert(c.some((x) => x[0].includes('pass') && x[2].includes('Checkpoint ditandatangani')), 'keys from the log, not /v1/directory: ' + JSON.stringify(c));
  await page.unroute('**/v1/directory');
  ok('Transparansi: a node whose /v1/directory differs from the verified directory log is flagged; the log\'s keys are used');

  // 2. The node serves directory entries that are not the ones the root
  //    key signed (one byte of 73.12's key changed in its record), to a
  //    browser that has not verified the log before (a returning one
  //    would not read those entries again).
  await page.evaluate(() => localStorage.removeItem('simpul.dirlog'));
  const coord = dir.root_key.split('+')[0].split('/')[1];
  const needle = Buffer.concat([Buffer.from([0x58, 0x20]), Buffer.from(real, 'hex')]);
  let hit = 0;
  await page.route(`**/logs/${coord}/tile/entries/**`, async (route) => {
    const r = await route.fetch();
    const b = Buffer.from(await r.body());
    const at = b.indexOf(needle);
    if (at >= 0) { b[at + 2] ^= 1; hit++; }
    await route.fulfill({ response: r, body: b });
  });
  await reloadChecked(page);
  root = await rootChecks(page);
  assert(hit > 0, 'the record was served through the corrupting proxy');
  assert(root.some((x) => x[0].includes('fail') && x[1].includes('direktori tidak terverifikasi') && x[1].includes('tidak cocok dengan akar')),
    'altered directory entries flagged: ' + JSON.stringify(root));
  c = (await checks(page)).filter((x) => x[1] === origin);
  assert(!c.some((x) => x[0].includes('pass')), 'nothing passes without a verified directory: ' + JSON.stringify(c));
  await page.unroute(`**/logs/${coord}/tile/entries/**`);
  await shots(page, 'transparansi-rootfail');
  ok('Transparansi: directory entries that do not verify under the root key are flagged, and no log is checked with them');

  // 3. The observer pastes a root key of their own: a malformed one is
  //    refused; another key (not this federation's) makes the directory
  //    fail and says the node trusts another key; it is remembered across
  //    visits; "use this node's key" goes back.
  await page.fill('#root-in', 'bukan kunci');
  await page.click('#root-form button[type=submit]');
  assert(await page.isVisible('#root-err'), 'a malformed root key refused in the page');
  const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const fake = vkey(dir.root_key.split('+')[0], other);
  await page.fill('#root-in', fake);
  await page.click('#root-form button[type=submit]');
  await page.waitForFunction((k) => document.getElementById('root-key').textContent === k, fake);
  await page.waitForFunction(() => /log diperiksa/.test(document.getElementById('logs-status').textContent));
  await reloadChecked(page);
  assert((await page.textContent('#root-key')) === fake, 'the pasted root key is remembered');
  root = await rootChecks(page);
  assert(root.some((x) => x[0].includes('fail') && x[1].includes('memercayai kunci akar lain')) &&
    root.some((x) => x[0].includes('fail') && x[1].includes('tidak ditandatangani oleh kunci akar ini')), 'another root key: ' + JSON.stringify(root));
  await axe(page, 'Transparansi (another root key)');
  await page.click('#root-reset');
  await page.waitForFunction((k) => document.getElementById('root-key').textContent === k, dir.root_key);
  await page.waitForFunction(() => [...document.querySelectorAll('#root-result .check')].some((x) => x.textContent.includes('sama dengan log')));
  // the reset checks the logs again and remembers their checkpoints: let it
  // finish before a later step edits what the browser remembers
  await page.waitForFunction(() => /log diperiksa/.test(document.getElementById('logs-status').textContent), null, { timeout: 60000 });
  ok('Transparansi: a pasted root key is checked, remembered, and the directory fails under a key that is not the federation\'s');
}

// tileMath: the page's tlog-tiles arithmetic (verify.js) on a synthetic
// log of 66,236 leaves, large enough for hash tiles of levels 0, 1 and 2
// (a level-2 hash covers 65,536 leaves). The tiles and the reference tree
// heads are computed here, in Node, independently of the page's code (a
// stack of perfect subtrees over the leaves); in the page: tree heads of
// many sizes from the tiles, RFC 9162 consistency proofs built from the
// tiles and verified, and a wrong old root, a tampered level-0 or level-1
// tile refused.
async function tileMath(page) {
  const sha = (...b) => createHash('sha256').update(Buffer.concat(b)).digest();
  const node = (l, r) => sha(Buffer.from([1]), l, r);
  const mth = (hs) => (hs.length === 1 ? hs[0] : node(mth(hs.slice(0, hs.length / 2)), mth(hs.slice(hs.length / 2))));
  const N = 66236;
  const leaves = Array.from({ length: N }, (_, i) => { const b = Buffer.alloc(32, 7); b.writeUInt32BE(i); return b; }); // any 32-byte leaf hashes
  const levels = [leaves];
  for (let L = 1; 256 ** L <= N; L++) {
    const prev = levels[L - 1], cur = [];
    for (let j = 0; (j + 1) * 256 <= prev.length; j++) cur.push(mth(prev.slice(j * 256, j * 256 + 256)));
    levels.push(cur);
  }
  const sizes = [1, 2, 255, 256, 257, 300, 1000, 65535, 65536, 65537, 66000, N];
  const ref = {}, stack = [];
  for (let i = 0; i < N; i++) {
    let h = leaves[i], n = 1;
    while (stack.length && stack[stack.length - 1].n === n) { h = node(stack.pop().h, h); n *= 2; }
    stack.push({ h, n });
    if (sizes.includes(i + 1)) {
      let root = stack[stack.length - 1].h;
      for (let j = stack.length - 2; j >= 0; j--) root = node(stack[j].h, root);
      ref[i + 1] = root.toString('hex');
    }
  }
  const data = { N, sizes, ref, levels: levels.map((l) => Buffer.concat(l).toString('base64')) };
  const r = await page.evaluate(async ({ N, sizes, ref, levels: lv }) => {
    const V = await import(document.querySelector('script[type=module]').src.replace('transparansi.js', 'verify.js'));
    const levels = lv.map((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
    const R = Object.fromEntries(Object.entries(ref).map(([k, v]) => [k, V.hexd(v)]));
    const read = new Set();
    const source = (tamper) => async (url) => {
      const m = url.match(/\/tile\/(\d+)\/([x0-9/]+?)(?:\.p\/(\d+))?$/);
      const L = Number(m[1]), T = Number(m[2].replace(/[x/]/g, '')), w = m[3] ? Number(m[3]) : 256;
      read.add(L);
      const out = levels[L].slice(T * 256 * 32, (T * 256 + w) * 32);
      if (tamper && tamper.L === L && tamper.T === T) out[0] ^= 1;
      return out;
    };
    const fails = [];
    const hashAt = (S, tamper) => V.tileReader('/logs/x', S, source(tamper));
    for (const S of sizes) if (!V.eq(await V.rangeHash(hashAt(S), 0, S), R[S])) fails.push('tree head ' + S);
    const pairs = [[1, 257], [255, 256], [256, 65536], [257, 66236], [300, 66000], [1000, 65537], [65535, 65536],
      [65536, 66236], [65537, 66000], [2, 1000], [N, N]];
    for (const [m, n] of pairs) {
      const p = await V.consistencyProof(hashAt(n), m, n);
      if (!(await V.verifyConsistency(m, n, R[m], R[n], p))) fails.push(`consistency ${m}->${n}`);
      if (await V.verifyConsistency(m, n, R[m === 1 ? 2 : 1], R[n], p)) fails.push(`wrong old root accepted ${m}->${n}`);
    }
    // The last leaves of size N are read from level-0 tile 258: tampering
    // it changes the tree head. The proof 1000 -> 66000 uses level-1 hash
    // 0 (leaves 0-255): tampering tile 1/0 makes it fail.
    if (V.eq(await V.rangeHash(hashAt(N, { L: 0, T: 258 }), 0, N), R[N])) fails.push('tampered level-0 tile accepted');
    const bad = await V.consistencyProof(hashAt(66000, { L: 1, T: 0 }), 1000, 66000);
    if (await V.verifyConsistency(1000, 66000, R[1000], R[66000], bad)) fails.push('tampered level-1 tile accepted');
    return { fails, levels: [...read].sort() };
  }, data);
  assert(r.fails.length === 0, 'tile arithmetic: ' + r.fails.join(', '));
  assert(r.levels.join() === '0,1,2', 'tiles of levels 0, 1 and 2 were read: ' + r.levels.join());
  ok('verify.js: tree heads and RFC 9162 consistency proofs from hash tiles of levels 0-2 (a 66,236-leaf log) match an independent computation; tampered tiles and wrong roots refused');
}

async function transparansi(browser, rep) {
  const errors = [];
  const { ctx, page } = await newPage(browser, errors);
  const origin = (await api('73.12', '/v1/status')).body.origin;
  const dir = (await api('73.12', '/v1/directory')).body;
  assert(/^simpul\.local\/KEMENPANRB\+[0-9a-f]{8}\+/.test(dir.root_key), '/v1/directory names the root key: ' + dir.root_key);
  await page.goto(N['73.12'] + '/transparansi');
  await page.waitForFunction(() => /log diperiksa/.test(document.getElementById('logs-status').textContent), null, { timeout: 60000 });
  let c = await checks(page);
  const mine = c.filter((x) => x[1] === origin);
  assert(mine.some((x) => x[0].includes('pass') && x[2].includes('Checkpoint ditandatangani')), 'checkpoint verified: ' + JSON.stringify(mine));
  assert(mine.some((x) => x[2].includes('Pertama kali')), 'first visit remembered');
  assert(!c.some((x) => x[0].includes('fail')), 'nothing fails on a real node: ' + JSON.stringify(c.filter((x) => x[0].includes('fail'))));
  let root = await rootChecks(page);
  assert(root.some((x) => x[0].includes('pass') && x[1].includes('Log direktori simpul.local/KEMENPANRB')) &&
    root.some((x) => x[0].includes('pass') && x[1].includes('sama dengan log yang diperiksa')) &&
    !root.some((x) => x[0].includes('fail')), 'directory verified against the root key: ' + JSON.stringify(root));
  assert((await page.textContent('#root-key')) === dir.root_key, 'the root key shown is the node\'s');
  ok('Transparansi: the directory log verified against the federation root key, log keys derived from it');
  const row = await page.$$eval('#stats tbody tr', (rs) => rs.map((r) => r.textContent));
  assert(row.some((r) => r.includes('Soppeng') && r.includes('4.0/5')), 'figures per institution: ' + row.join(' | '));
  ok('Transparansi: real checkpoints verified in the browser, first one remembered, figures per institution shown');
  // On a phone every cell of the figures is on screen (rows stacked), with its column's name.
  await page.setViewportSize(PHONE);
  const cells = await page.$$eval('#stats tbody td', (xs) => xs.map((x) => {
    const r = x.getBoundingClientRect();
    return { right: r.right, left: r.left, label: getComputedStyle(x, '::before').content, w: window.innerWidth };
  }));
  assert(cells.length >= 6 && cells.every((c) => c.left >= 0 && c.right <= c.w && c.label.length > 2),
    'every figure on screen at phone width, labelled: ' + JSON.stringify(cells.slice(0, 3)));
  await fits(page, 'Transparansi at phone width');
  ok('Transparansi at phone width: every figure of the institutions table is on screen, labelled, nothing overflows');

  // The log grows; the next visit checks it is consistent with the one seen.
  const before = (await api('73.12', '/v1/logs')).body.logs.find((l) => l.origin === origin).checkpoint_size;
  const sub = await api('73.12', '/v1/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'aspirasi', visibility: 'anonim', category: 'jalan', region: '73.12.03', title: 'Lampu jalan', content: 'Mohon lampu jalan.' }) });
  assert(sub.status === 201, 'second report filed');
  // Cosignatures arrive some time after a checkpoint: wait until the
  // grown checkpoint carries one, so the page sees a settled state.
  await until('a larger cosigned checkpoint', async () => {
    const l = (await api('73.12', '/v1/logs')).body.logs.find((x) => x.origin === origin);
    return l.checkpoint_size > before && (l.checkpoint.match(/\u2014/g) || []).length > 1;
  });
  await page.reload();
  await page.waitForFunction(() => /log diperiksa/.test(document.getElementById('logs-status').textContent), null, { timeout: 60000 });
  c = (await checks(page)).filter((x) => x[1] === origin);
  assert(c.some((x) => x[0].includes('pass') && x[2].includes('Konsisten dengan checkpoint')), 'consistent: ' + JSON.stringify(c));
  assert(c.some((x) => x[0].includes('pass') && x[2].includes('Kosignatur sah')), 'cosignature verified: ' + JSON.stringify(c));
  ok('Transparansi: the grown log is consistent with the checkpoint seen before; cosignatures verified');
  await axe(page, 'Transparansi');
  await shots(page, 'transparansi');

  // A node that serves a tampered checkpoint (root changed) is caught.
  await page.route('**/v1/logs', async (route) => {
    const r = await route.fetch();
    const j = await r.json();
    for (const l of j.logs) if (l.origin === origin && l.checkpoint) {
      const lines = l.checkpoint.split('\n');
      lines[2] = (lines[2][0] === 'A' ? 'B' : 'A') + lines[2].slice(1);
      l.checkpoint = lines.join('\n');
    }
    await route.fulfill({ response: r, json: j });
  });
  await page.reload();
  await page.waitForFunction(() => /log diperiksa/.test(document.getElementById('logs-status').textContent), null, { timeout: 60000 });
  c = (await checks(page)).filter((x) => x[1] === origin);
  assert(c.some((x) => x[0].includes('fail') && x[2].includes('tanda tangan checkpoint tidak sah')), 'tampered checkpoint fails: ' + JSON.stringify(c));
  await page.unroute('**/v1/logs');
  ok('Transparansi: a tampered checkpoint (served through a corrupting proxy) is shown as failed');
  await dirlogVisits(page, dir);
  await trustAnchor(page, origin, dir);
  await tileMath(page);

  // A rewritten log: the remembered checkpoint no longer matches the tiles.
  await page.evaluate((o) => {
    const all = JSON.parse(localStorage.getItem('simpul.checkpoints'));
    all[o].root = 'ff' + all[o].root.slice(2);
    localStorage.setItem('simpul.checkpoints', JSON.stringify(all));
  }, origin);
  await page.reload();
  await page.waitForFunction(() => /log diperiksa/.test(document.getElementById('logs-status').textContent), null, { timeout: 60000 });
  c = (await checks(page)).filter((x) => x[1] === origin);
  assert(c.some((x) => x[0].includes('fail') && x[2].includes('TIDAK KONSISTEN')), 'rewrite detected: ' + JSON.stringify(c));
  ok('Transparansi: a log inconsistent with the checkpoint seen before is shown as rewritten');
  await shots(page, 'transparansi-failed');

  // Receipts: the real one verifies, an altered one fails.
  await page.fill('#receipt', rep.receipt);
  await page.click('#receipt-form button[type=submit]');
  await page.waitForFunction(() => !/Memeriksa/.test(document.getElementById('receipt-result').textContent));
  let rr = await page.textContent('#receipt-result');
  assert(rr.includes('bukti inklusi sah') && rr.includes(rep.id) && !rr.includes('GAGAL'), 'receipt verifies: ' + rr);
  const lines = rep.receipt.split('\n');
  const pi = lines.findIndex((l, i) => i > 1 && l.length === 44);
  assert(pi > 0, 'the receipt has a proof line');
  lines[pi] = (lines[pi][0] === 'A' ? 'B' : 'A') + lines[pi].slice(1);
  await page.fill('#receipt', lines.join('\n'));
  await page.click('#receipt-form button[type=submit]');
  await page.waitForFunction(() => !/Memeriksa/.test(document.getElementById('receipt-result').textContent));
  rr = await page.textContent('#receipt-result');
  assert(rr.includes('GAGAL: bukti inklusi tidak sah'), 'altered receipt fails: ' + rr);
  ok('Transparansi: a real receipt\'s inclusion proof verifies; an altered one is shown as failed');
  await axe(page, 'Transparansi (receipt failed)');
  await shots(page, 'transparansi-receipt');
  assert(errors.length === 0, 'no script errors: ' + errors.join('; '));
  await ctx.close();
}

// keyboard: Lapor and Lacak with the keyboard alone: the skip link comes
// first and moves focus to the content; Tab reaches every control of the
// form in order, each with a visible focus ring; Lacak finds a ticket
// typed and sent with Enter.
async function keyboard(browser, rep) {
  const errors = [];
  const { ctx, page } = await newPage(browser, errors);
  await page.goto(N['73.13'] + '/');
  await page.waitForFunction(() => performance.getEntriesByName('simpul:form-ready').length > 0);
  await page.keyboard.press('Tab');
  assert(await page.evaluate(() => document.activeElement.className) === 'skip', 'the skip link is first');
  await page.keyboard.press('Enter');
  assert(await page.evaluate(() => location.hash) === '#main', 'the skip link leads to the content');
  await page.goto(N['73.13'] + '/');
  await page.waitForFunction(() => performance.getEntriesByName('simpul:form-ready').length > 0);
  const seen = [];
  for (let i = 0; i < 40 && !seen.includes('submit'); i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const e = document.activeElement, cs = getComputedStyle(e);
      return { id: e.id || e.getAttribute('href') || e.name, ring: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2 };
    });
    assert(f.ring, `a visible focus ring on ${f.id}`);
    seen.push(f.id);
  }
  const want = ['lang', 'pengaduan', 'category', 'r0', 'title', 'content', 'date', 'place', 'files', 'name', 'contact', 'submit'];
  const order = want.map((w) => seen.findIndex((x) => x === w || (w === 'pengaduan' && x === 'kind')));
  assert(order.every((x, i) => x >= 0 && (i === 0 || x > order[i - 1])), 'Tab reaches the controls in order: ' + seen.join(' '));
  await page.goto(N['73.13'] + '/lacak');
  await page.focus('#ref');
  await page.keyboard.type(rep.ticket);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#report:not([hidden])');
  assert(errors.length === 0, 'no script errors: ' + errors.join('; '));
  ok('keyboard alone: skip link first, every Lapor control reached in order with a visible focus ring, Lacak by Enter');
  await ctx.close();
}

async function english(browser) {
  const errors = [];
  const { ctx, page } = await newPage(browser, errors);
  await page.goto(N['73.13'] + '/');
  await page.click('#lang');
  assert((await page.textContent('h1')) === 'File a complaint', 'English switch');
  const ends = await page.$$eval('#category option', (o) => [o[0].textContent, o[o.length - 1].textContent]);
  assert(ends[0] === '- choose a category -' && ends[1] === 'other (local government)', 'the category choices in English: ' + ends);
  await page.goto(N['73.13'] + '/lacak');
  assert((await page.textContent('h1')) === 'Track a report', 'English remembered');
  await axe(page, 'Lacak (English)');
  ok('language switch to English, remembered across pages');
  await ctx.close();
}

// Open311 GeoReport v2, with the spec's own example request
// (https://wiki.open311.org/GeoReport_v2, "POST Service Request"), its
// San Francisco address given as text and a Kemendagri address_id added.
async function open311(browser, rep) {
  const base = '/open311/v2';
  const sv = await api('73.12', base + '/services.json');
  assert(sv.status === 200 && Array.isArray(sv.body) && sv.body.length > 0, 'services.json');
  for (const x of sv.body)
    assert(typeof x.service_code === 'string' && typeof x.service_name === 'string' && x.metadata === false &&
      x.type === 'realtime' && 'keywords' in x && 'group' in x && 'description' in x, 'service fields: ' + JSON.stringify(x));
  const code = sv.body.find((x) => x.service_code === 'jalan') ? 'jalan' : sv.body[0].service_code;
  const def = await api('73.12', `${base}/services/${code}.json`);
  assert(def.status === 200 && def.body.service_code === code && Array.isArray(def.body.attributes), 'service definition');
  const nodef = await api('73.12', `${base}/services/tidak-ada.json`);
  assert(nodef.status === 404 && nodef.body[0].code === 404 && nodef.body[0].description, 'Open311 error form');
  const example = 'api_key=xyz&service_code=' + code + '&lat=37.76524078&long=-122.4212043&address_string=1234+5th+street' +
    '&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456&first_name=john&last_name=smith&phone=111111111' +
    '&description=A+large+sinkhole+is+destroying+the+street&media_url=http%3A%2F%2Fexample.com%2Fimage.png';
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const noRegion = await api('73.12', base + '/requests.json', { method: 'POST', headers: form, body: example });
  assert(noRegion.status === 400 && /address_id/.test(noRegion.body[0].description), 'address_id required: ' + JSON.stringify(noRegion.body));
  const badRegion = await api('73.12', base + '/requests.json', { method: 'POST', headers: form, body: example + '&address_id=99.99' });
  assert(badRegion.status === 400, 'an unknown region is refused: ' + badRegion.status);
  const post = await api('73.12', base + '/requests.json', { method: 'POST', headers: form, body: example + '&address_id=73.12.03' });
  assert(post.status === 201, 'POST requests.json: ' + post.status + ' ' + JSON.stringify(post.body));
  const r0 = post.body[0];
  assert(/^73\.12-\d+-\d\d$/.test(r0.service_request_id) && r0.account_id === null && r0.service_notice, 'POST answer: ' + JSON.stringify(r0));
  const one = await api('73.12', `${base}/requests/${r0.service_request_id}.json`);
  assert(one.status === 200 && one.body.length === 1, 'requests/{id}.json');
  const q = one.body[0];
  for (const k of ['service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description',
    'agency_responsible', 'service_notice', 'requested_datetime', 'updated_datetime', 'expected_datetime', 'address',
    'address_id', 'zipcode', 'lat', 'long', 'media_url']) assert(k in q, 'request field ' + k);
  assert(q.status === 'open' && q.service_code === code && q.address_id === '73.12.03', 'request mapped: ' + JSON.stringify(q));
  assert(q.description.startsWith('A large sinkhole is destroying the street') && q.description.includes('1234 5th street'), 'description');
  assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/.test(q.requested_datetime), 'ISO 8601 in WIB');
  assert(!JSON.stringify(one.body).includes('sfgov') && !JSON.stringify(one.body).includes('111111111'), 'contact sealed');
  const both = await api('73.12', `${base}/requests.json?service_request_id=${r0.service_request_id},${rep.ticket}`);
  assert(both.status === 200 && both.body.length === 2, 'requests.json by ids');
  const open = await api('73.12', `${base}/requests.json?status=open&start_date=2026-01-01T00:00:00Z`);
  assert(open.status === 200 && open.body.some((x) => x.service_request_id === r0.service_request_id), 'requests.json filtered');
  const closed = await api('73.12', `${base}/requests.json?status=closed`);
  assert(closed.status === 200 && closed.body.every((x) => x.status === 'closed'), 'closed filter');
  const baddate = await api('73.12', `${base}/requests.json?start_date=kemarin`);
  assert(baddate.status === 400, 'bad date refused');
  // The same report through Simpul's own API: channel open311, the name
  // and contact sealed, tracked by its ticket at another node.
  const t = await api('73.13', '/v1/track/' + r0.service_request_id);
  assert(t.status === 200 && t.body.channel === 'open311' && t.body.source.remote, 'the Open311 ticket tracks at any node');
  ok('Open311 GeoReport v2: services, service definition, the spec\'s example POST (form-encoded), requests by id, filters, errors');

  // lat/long: the spec's example coordinates are the event's place,
  // returned as numbers with the address; malformed ones are refused.
  assert(Math.abs(q.lat - 37.76524078) < 1e-9 && Math.abs(q.long - -122.4212043) < 1e-9 && q.address === '1234 5th street',
    'lat/long/address returned: ' + JSON.stringify([q.lat, q.long, q.address]));
  for (const bad of ['&lat=100&long=1', '&lat=-5.1', '&lat=1e3&long=2', '&lat=5&long=abc']) {
    const r = await api('73.12', base + '/requests.json', { method: 'POST', headers: form,
      body: example.replace(/&lat=[^&]*&long=[^&]*/, '') + bad + '&address_id=73.12.03' });
    assert(r.status === 400 && /lat and long/.test(r.body[0].description), `bad coordinates ${bad} refused: ${r.status}`);
  }
  ok('Open311: lat/long accepted on POST as the event place, returned as numbers with the address; malformed ones refused');

  // Any node: 73.13 holds neither report, and finds both (as Lacak does).
  const far = await api('73.13', `${base}/requests/${r0.service_request_id}.json`);
  assert(far.status === 200 && far.body[0].service_request_id === r0.service_request_id && Math.abs(far.body[0].lat - 37.76524078) < 1e-9,
    'requests/{id}.json at a node that does not hold it: ' + far.status + ' ' + JSON.stringify(far.body));
  const farBoth = await api('73.13', `${base}/requests.json?service_request_id=${r0.service_request_id},${rep.ticket}`);
  assert(farBoth.status === 200 && farBoth.body.length === 2, 'requests.json by ids at another node');
  const none = await api('73.13', `${base}/requests/73.12-999999-00.json`);
  assert(none.status === 404 && none.body[0].code === 404, 'an unknown ticket is 404 in Open311 form');
  ok('Open311: requests/{id}.json and requests.json?service_request_id= answer at a node that does not hold the report');

  // XML, as GeoReport v2 specifies it, read with the browser's XML parser.
  const page = await browser.newPage();
  const xml = async (node, path, init) => {
    const r = await fetch(N[node] + path, init);
    assert((r.headers.get('content-type') || '').startsWith('text/xml'), path + ' is text/xml');
    const text = await r.text();
    const doc = await page.evaluate((t) => {
      const d = new DOMParser().parseFromString(t, 'text/xml');
      if (d.querySelector('parsererror')) return { error: d.querySelector('parsererror').textContent };
      const walk = (e) => (e.children.length ? { [e.tagName]: [...e.children].map(walk) } : { [e.tagName]: e.textContent });
      return { root: d.documentElement.tagName, tree: walk(d.documentElement) };
    }, text);
    assert(!doc.error, path + ': well-formed XML: ' + doc.error + '\n' + text.slice(0, 300));
    return { status: r.status, ...doc, text };
  };
  const flat = (items) => Object.assign({}, ...items);
  const sx = await xml('73.12', base + '/services.xml');
  assert(sx.root === 'services' && sx.tree.services.length === sv.body.length &&
    sx.tree.services.every((x, i) => Object.keys(x)[0] === 'service' && flat(x.service).service_code === sv.body[i].service_code &&
      flat(x.service).metadata === 'false' && flat(x.service).type === 'realtime'), 'services.xml mirrors services.json');
  const dx = await xml('73.12', `${base}/services/${code}.xml`);
  assert(dx.root === 'service_definition' && flat(dx.tree.service_definition).service_code === code, 'service definition in XML');
  const rx = await xml('73.13', `${base}/requests/${r0.service_request_id}.xml`);
  const rq = flat(rx.tree.service_requests[0].request);
  assert(rx.root === 'service_requests' && rq.service_request_id === r0.service_request_id && rq.status === 'open' &&
    Number(rq.lat) === 37.76524078 && Number(rq.long) === -122.4212043 && rq.address_id === '73.12.03' && rq.zipcode === '' &&
    rq.description.includes('A large sinkhole'), 'requests/{id}.xml at another node: ' + JSON.stringify(rq));
  const px = await xml('73.12', base + '/requests.xml', { method: 'POST', headers: form,
    body: example + '&address_id=73.12.03&description=%3Cb%3ELubang%3C%2Fb%3E+%26+genangan' });
  const pr = flat(px.tree.service_requests[0].request);
  assert(px.status === 201 && /^73\.12-\d+-\d\d$/.test(pr.service_request_id) && 'account_id' in pr, 'POST requests.xml: ' + px.text);
  const back = flat((await xml('73.12', `${base}/requests/${pr.service_request_id}.xml`)).tree.service_requests[0].request);
  assert(back.description.startsWith('<b>Lubang</b> & genangan'), 'markup in XML text escaped and read back: ' + back.description);
  const ex = await xml('73.12', `${base}/services/tidak-ada.xml`);
  assert(ex.status === 404 && ex.root === 'errors' && flat(ex.tree.errors[0].error).code === '404', 'errors in XML');
  await page.close();
  ok('Open311 XML: services, service definition, requests/{id} at any node, POST and errors as GeoReport v2 XML, well-formed and escaped');
}

// Webhooks: 73.12 is restarted with [webhooks] pointing at a receiver
// here, which refuses the first two deliveries (500) to see the retries.
const hook = { events: [], refused: 0, bad: 0 };
async function setupWebhook() {
  const key = 'rahasia-webhook-uji';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const mac = createHmac('sha256', key).update(req.headers['x-simpul-timestamp'] + '.' + body).digest('hex');
      if (req.headers['x-simpul-signature'] !== 'sha256=' + mac) hook.bad++;
      if (hook.down || hook.refused < 2) { hook.refused++; hook.firstRefused ??= JSON.parse(body).event_id; res.writeHead(500); res.end(); return; }
      hook.events.push(JSON.parse(body));
      res.writeHead(204); res.end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  server.unref();
  const ini = join(conf.fed, 'nodes', '73.12', 'simpuld.ini');
  writeFileSync(join(conf.fed, 'hook.key'), key + '\n');
  writeFileSync(ini, readFileSync(ini, 'utf8') + `\n[webhooks]\nurl = http://127.0.0.1:${server.address().port}/hook\n` +
    `secret = ${join(conf.fed, 'hook.key')}\ninterval_ms = 200\n`);
  execFileSync(conf.simpul, ['federation', 'kill', '--dir', conf.fed, '73.12'], { stdio: 'pipe' });
  execFileSync(conf.simpul, ['federation', 'start', '--dir', conf.fed, '73.12'], { stdio: 'pipe' });
  await until('73.12 back up', async () => (await api('73.12', '/v1/status').catch(() => ({}))).status === 200);
}

async function checkWebhook(rep) {
  await until('the rating notified', async () => hook.events.some((e) => e.report_id === rep.id && e.rating === 4));
  const mine = hook.events.filter((e) => e.report_id === rep.id);
  assert(hook.bad === 0, 'every delivery carries a valid HMAC signature');
  assert(mine[0].status === 'diterima' && mine[0].ticket === rep.ticket, 'first event: received ' + JSON.stringify(mine[0]));
  assert(mine.some((e) => e.status === 'ditindaklanjuti'), 'the answer notified');
  assert(hook.events.some((e) => e.event_id === hook.firstRefused), 'the refused event was retried and delivered');
  const ids = hook.events.map((e) => e.event_id);
  assert(ids.every((x, i) => i === 0 || x > ids[i - 1]), 'events delivered in order: ' + ids.join(' '));
  // The whole contact, not a fragment: '0812' alone turns up in clock-based event ids.
  const all = JSON.stringify(hook.events);
  assert(!all.includes('0812 3456 7890') && !all.includes('081234567890') && !all.includes('Budi'),
    'no contact data in events');
  ok(`webhooks: ${hook.events.length} state changes POSTed with valid HMAC signatures, in order, after 2 refused deliveries retried`);

  // The outbox is durable: the receiver is down, an event waits on disk,
  // the node is killed (SIGKILL) and started again; the event arrives.
  // Every earlier event delivered and its file gone first: a file still
  // there, already delivered but not yet removed, would otherwise be taken
  // for the one waiting (CI saw it). Nothing is delivered once down is set.
  const outDir = join(conf.fed, 'nodes', '73.12', 'data', 'webhooks', 'out');
  await until('the outbox empty before the receiver goes down', async () => !readdirSync(outDir).some((f) => f.endsWith('.json')));
  hook.down = true;
  const fresh = await api('73.12', '/v1/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'pengaduan', visibility: 'publik', category: 'jalan', region: '73.12.02', title: 'Got tersumbat', content: 'Air meluap.' }) });
  assert(fresh.status === 201, 'a new report while the receiver is down');
  await until('an event waiting in the outbox', async () => readdirSync(outDir).some((f) => f.endsWith('.json')));
  const waiting = readdirSync(outDir).filter((f) => f.endsWith('.json'));
  execFileSync(conf.simpul, ['federation', 'kill', '--dir', conf.fed, '73.12'], { stdio: 'pipe' });
  // Counted before the restart: the node may deliver the waiting event
  // before `federation start` returns.
  const n0 = hook.events.length;
  hook.down = false;
  execFileSync(conf.simpul, ['federation', 'start', '--dir', conf.fed, '73.12'], { stdio: 'pipe' });
  await until('the waiting event delivered after the restart', async () => hook.events.length > n0 && readdirSync(outDir).filter((f) => f.endsWith('.json')).length === 0);
  assert(hook.events.slice(n0).some((e) => `${e.event_id.split('-').pop()}.json` === waiting[0]), 'the event from before the kill');
  ok('webhooks: an event waiting in the outbox survives kill -9 and is delivered after the restart');
}

// A retirement transfer in Lacak: Wajo (73.13) is retired while it holds
// an open complaint; its heir, the province (73), writes the transfer at
// its next deadline pass. Lacak, at a third node (73.12), shows it as a
// "pengalihan" from Wajo to the province, not as an escalation (the
// label it had before the trail named transfers), in both languages.
// Last of the steps: 73.13 takes no complaints after it.
async function transfer(browser) {
  const filed = await api('73.13', '/v1/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'pengaduan', visibility: 'publik', category: 'umum', region: '73.13.01',
      title: 'Lampu jalan padam', content: 'Sudah dua minggu gelap di depan pasar.' }) });
  assert(filed.status === 201 && filed.body.routed_to === '73.13', 'a complaint for Wajo: ' + JSON.stringify(filed.body));
  const ini = join(conf.fed, 'nodes', '73', 'simpuld.ini');
  writeFileSync(ini, readFileSync(ini, 'utf8') + '\n[deadlines]\nescalate_s = 1\n');
  execFileSync(conf.simpul, ['federation', 'kill', '--dir', conf.fed, '73'], { stdio: 'pipe' });
  execFileSync(conf.simpul, ['federation', 'start', '--dir', conf.fed, '73'], { stdio: 'pipe' });
  await until('73 back up', async () => (await api('73', '/v1/status').catch(() => ({}))).status === 200);
  execFileSync(conf.simpul, ['institution', 'retire', '--node', N.KEMENPANRB, '--key',
    join(conf.fed, 'keys', 'KEMENPANRB.admin.key'), '--id', '73.13'], { stdio: 'pipe' });
  const moved = (v) => v.status === 200 && v.body.trail.some((x) => x.type === 'transfer') ? v.body : null;
  const heir = await until('73 took over Wajo\'s complaint', async () => moved(await api('73', '/v1/reports/' + filed.body.report_id)), 120000);
  // Tracked at 73.12, which holds neither log: it asks Wajo's node (the
  // ticket's door), which replicates its parent's log.
  const view = await until('the transfer seen through 73.12', async () => moved(await api('73.12', '/v1/track/' + filed.body.ticket)));
  for (const [at, v] of [['73', heir], ['73.12', view]]) {
    const tr = v.trail.filter((x) => x.type === 'transfer');
    assert(tr.length === 1 && tr[0].from === '73.13' && tr[0].to === '73' && tr[0].verdict === 'applied' &&
      v.holders.join() === '73', `the trail at ${at}: ` + JSON.stringify(v.trail) + ' held by ' + v.holders);
  }

  const errors = [];
  const { ctx, page } = await newPage(browser, errors);
  await page.goto(N['73.12'] + '/lacak?tiket=' + encodeURIComponent(filed.body.ticket));
  await page.waitForSelector('#report:not([hidden])');
  await page.waitForFunction(() => document.getElementById('timeline').children.length >= 2);
  const items = await page.$$eval('#timeline li', (lis) => lis.map((li) => [[...li.querySelectorAll('.badge')].map((b) => b.textContent).join(), li.textContent]));
  const shown = items.filter(([b]) => b === 'pengalihan');
  assert(shown.length === 1 && shown[0][1].includes('dialihkan dari Pemerintah Kabupaten Wajo (73.13) ke Pemerintah Provinsi Sulawesi Selatan (73) (instansi asal tidak aktif lagi)'),
    'the transfer in the timeline: ' + JSON.stringify(items));
  assert(!items.some(([b, x]) => b.includes('eskalasi') || x.includes('eskalasi')), 'no escalation shown: ' + JSON.stringify(items));
  const held = await page.$$eval('#rep-facts dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
  assert(held.some(([k, v]) => k === 'Dipegang sekarang' && v === 'Pemerintah Provinsi Sulawesi Selatan (73)'), 'held by the heir: ' + JSON.stringify(held));
  assert(errors.length === 0, 'no script errors: ' + errors.join('; '));
  await axe(page, 'Lacak (transferred from a retired institution)');
  await shots(page, 'lacak-pengalihan');
  await page.click('#lang');
  await page.waitForFunction(() => document.getElementById('timeline').textContent.includes('transferred from'));
  const en = await page.$$eval('#timeline li', (lis) => lis.map((li) => [li.querySelector('.badge')?.textContent, li.textContent]))
    .then((xs) => xs.filter(([, x]) => x.includes('transfer')));
  assert(en.length === 1 && en[0][0] === 'transfer' && en[0][1].includes('transfer transferred from Pemerintah Kabupaten Wajo (73.13) to Pemerintah Provinsi Sulawesi Selatan (73) (the former institution was retired)'),
    'in English: ' + JSON.stringify(en));
  await ctx.close();
  ok(`Lacak: ${filed.body.ticket}, held by Wajo when it was retired, shows the province's take-over as "pengalihan" (English "transfer"), not as an escalation`);
}

// Lapor follows the directory: a category added by the coordinator's
// admin appears in the page at 73.12 once the record reaches it, and the
// page's old ETag no longer gets a 304.
async function categoriesFollow() {
  const before = await fetch(N['73.12'] + '/');
  const etag = before.headers.get('etag');
  assert(!(await before.text()).includes('bansos-tunai'), 'not there before');
  execFileSync(conf.simpul, ['institution', 'update', '--node', N.KEMENPANRB, '--key',
    join(conf.fed, 'keys', 'KEMENPANRB.admin.key'), '--id', 'KEMENSOS', '--category', 'bansos', '--category', 'bansos-tunai'], { stdio: 'pipe' });
  await until('the new category in Lapor at 73.12', async () =>
    (await (await fetch(N['73.12'] + '/')).text()).includes('<option value="bansos-tunai">bansos tunai</option>\n'));
  const again = await fetch(N['73.12'] + '/', { headers: { 'If-None-Match': etag } });
  assert(again.status === 200 && again.headers.get('etag') !== etag, 'the old ETag is stale: ' + again.status);
  ok('Lapor: a category the directory gains is in the page as sent, under a new ETag');
}

async function main() {
  const browser = await launch();

  try {
    await setupWebhook();
    await stackChecks();
    const rep = await lapor(browser);
    writeFileSync(join(conf.out, 'report.json'), JSON.stringify(rep, null, 1));
    await lacak(browser, rep);
    await overdue(browser, rep);
    await transparansi(browser, rep);
    await english(browser);
    await keyboard(browser, rep);
    await open311(browser, rep);
    await checkWebhook(rep);
    await transfer(browser);
    await categoriesFollow();
  } finally {
    await browser.close();
  }
}

main().then(() => { console.log('all ok'); }, (e) => { console.error('FAIL:', e.stack || e); process.exit(1); });

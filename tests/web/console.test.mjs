// console.test.mjs - the officers' console (/konsol) in Debian's chromium
// (playwright-core, no browser download), run by test_console.c on a real
// local federation (KEMENPANRB, 73, 73.12, 73.13):
//
//   node console.test.mjs CONFIG.json
//
// CONFIG: {"nodes": {"KEMENPANRB": url, "73": url, "73.12": url, "73.13": url},
//          "simpul": path, "fed": federation folder, "out": screenshots}
//
// The generated directory enrols an admin and a pejabat penghubung at
// every institution (fed/keys/<ID>.admin.key, <ID>.officer.key). Each step
// prints "ok - ..." or throws (exit 1); axe-core checks the page states.
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, assert, axe, conf, DESKTOP, launch, N, ok, shots as kitShots, until } from './kit.mjs';

const KEY = (id, who = 'officer') => join(conf.fed, 'keys', `${id}.${who}.key`);
const shots = (page, name) => kitShots(page, name, DESKTOP);

async function submit(node, fields) {
  const r = await api(node, '/v1/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'pengaduan', visibility: 'publik', category: 'umum', region: '73', ...fields }) });
  assert(r.status === 201, `submit at ${node}: ${r.status} ${JSON.stringify(r.body)}`);
  const v = await api(node, '/v1/reports/' + r.body.report_id);
  return { id: r.body.report_id, secret: r.body.tracking_secret, ticket: v.body.ticket, routed: r.body.routed_to };
}

// newKey: a fresh officer key file (as simpul keygen writes it) and its
// public key in hex.
function newKey(name) {
  const seed = randomBytes(32);
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const x = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' }).x;
  const path = join(conf.scratch, name + '.key');
  writeFileSync(path, `simpul-ed25519-private-key-v1\n${seed.toString('base64')}\n`, { mode: 0o600 });
  return { path, pub: Buffer.from(x, 'base64url').toString('hex') };
}

// protectedKey: a new officer key file protected by a passphrase, made by
// `simpul keygen --passphrase-file` (Argon2id + XSalsa20-Poly1305 in C),
// and its public key in hex.
function protectedKey(name, passphrase) {
  const pass = join(conf.scratch, name + '.pass'), path = join(conf.scratch, name + '.key');
  writeFileSync(pass, passphrase + '\n', { mode: 0o600 });
  const out = execFileSync(conf.simpul, ['keygen', '--out', path, '--passphrase-file', pass], { encoding: 'utf8' });
  const pub = /public-key ([0-9a-f]{64})/.exec(out)[1];
  return { path, pub };
}

// The 1x1 PNG a rahasia report carries as a sealed attachment.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

// adminSend: review the change on the admin page, sign it, the answer.
async function adminSend(page) {
  await page.waitForSelector('#adm-preview:not([hidden])');
  const preview = await page.textContent('#adm-preview');
  await page.click('#adm-sign');
  await page.waitForSelector('#adm-result .panel');
  return { preview, result: await page.textContent('#adm-result') };
}

async function newPage(browser, errors) {
  const ctx = await browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  return { ctx, page };
}

async function signIn(page, node, keyPath) {
  await page.goto(N[node] + '/konsol');
  await page.waitForSelector('#signin:not([hidden])');
  await page.setInputFiles('#keyfile', keyPath);
  await page.click('#signin-btn');
  await page.waitForSelector('#who:not([hidden])');
  return page.textContent('#who-text');
}

// card: wait (reloading the inbox) until report id is listed.
async function findInInbox(page, id) {
  if (await page.isHidden('#inbox')) {
    await page.goto(page.url().split('#')[0] + '#/');
    await page.waitForSelector('#inbox:not([hidden])');
  }
  await until('report in the inbox', async () => {
    await page.click('#filters button[type=submit]');
    await page.waitForFunction(() => !/Memuat|Loading/.test(document.getElementById('inbox-status').textContent));
    return (await page.$(`li[data-id="${id}"]`)) !== null;
  });
}

async function openReport(page, id) {
  await page.goto(page.url().split('#')[0] + '#/laporan/' + id);
  await page.waitForFunction((rid) => document.getElementById('r-facts').textContent.includes(rid), id);
}

// act: choose an action in the open report, fill it, review, sign; the
// result panel's text.
async function act(page, what, fill = async () => {}, shot = null) {
  await page.selectOption('#act-what', what);
  await fill();
  await page.click('#act-prepare');
  await page.waitForSelector('#act-preview:not([hidden])');
  const preview = await page.textContent('#act-preview');
  if (shot) { await axe(page, 'the signing preview'); await shots(page, shot); }
  await page.click('#act-sign');
  await page.waitForSelector('#act-result .panel');
  return { preview, result: await page.textContent('#act-result') };
}

async function main() {
  const browser = await launch(['--host-resolver-rules=MAP konsol.test 127.0.0.1']);

  const errors = [];
  try {
    const route = await api('73.13', '/v1/route?category=umum&region=73');
    assert(route.status === 200 && route.body.inst === '73', 'umum in region 73 goes to the province: ' + JSON.stringify(route.body));
    // Complaints filed at another node (73.13) and routed to the province.
    const r1 = await submit('73.13', { title: 'Jembatan provinsi di Sengkang retak', content: 'Retakan besar di jembatan poros provinsi dekat pasar Sengkang.' });
    const r2 = await submit('73', { title: 'Jembatan retak dekat pasar Sengkang', content: 'Jembatan poros provinsi retak, berbahaya.' });
    const r3 = await submit('73.13', { visibility: 'rahasia', title: 'Pungutan liar di UPT', content: 'Petugas meminta uang.', contact: '0812-0000-1111' });
    const r4 = await submit('73.12', { region: '73.12.03', category: 'jalan', title: 'Jalan desa berlubang', content: 'Lubang besar.' });
    const r5 = await submit('73.12', { visibility: 'rahasia', region: '73.12.03', category: 'jalan', title: 'Foto pungli di jembatan timbang',
      content: 'Bukti foto terlampir.', attachments: [{ media_type: 'image/png', data: PNG.toString('base64') }] });
    assert(r1.routed === '73' && r3.routed === '73' && r4.routed === '73.12' && r5.routed === '73.12', 'routing as planned');
    ok('five complaints filed (two at 73.13, one at 73, two at 73.12, one of them rahasia with a sealed photo)');

    // ---- the https rule: plain http on a non-loopback name is refused ----
    {
      const { ctx, page } = await newPage(browser, errors);
      await page.goto(N['73'].replace('127.0.0.1', 'konsol.test') + '/konsol');
      await page.waitForSelector('#insecure:not([hidden])');
      const txt = await page.textContent('#insecure');
      assert(/HTTPS/.test(txt) && await page.isHidden('#signin'), 'plain http off loopback refused: ' + txt);
      ok('plain HTTP on a non-loopback address: the console refuses to work and says to use HTTPS');
      await ctx.close();
    }

    const { ctx: ctxA, page } = await newPage(browser, errors);
    // ---- sign-in: a file that is no key, a key not enrolled ----
    await page.goto(N['73'] + '/konsol');
    await page.waitForSelector('#signin:not([hidden])');
    await axe(page, 'console sign-in');
    await shots(page, 'konsol-masuk');
    await page.fill('#keytext', 'bukan kunci');
    await page.click('#signin-btn');
    await page.waitForSelector('#signin-err:not([hidden])');
    assert(/bukan berkas kunci/.test(await page.textContent('#signin-err')), 'not a key file');
    const stranger = `simpul-ed25519-private-key-v1\n${randomBytes(32).toString('base64')}\n`;
    await page.fill('#keytext', stranger);
    await page.click('#signin-btn');
    await page.waitForFunction(() => /tidak terdaftar/.test(document.getElementById('signin-err').textContent));
    assert(await page.isHidden('#who'), 'not signed in');
    assert(await page.evaluate(() => new Promise((ok) => { const r = indexedDB.open('simpul-konsol', 1); r.onsuccess = () => { const g = r.result.transaction('session').objectStore('session').get('current'); g.onsuccess = () => ok(g.result === undefined); }; })), 'nothing kept for a key not enrolled');
    ok('sign-in: a file that is no key file and a key not enrolled are refused with a clear message, nothing kept');

    // ---- the province's officer signs in; the key is not extractable ----
    const who = await signIn(page, '73', KEY('73'));
    assert(/Pemerintah Provinsi Sulawesi Selatan \(73\)/.test(who) && /pejabat penghubung/.test(who), 'who is signed in: ' + who);
    const extractable = await page.evaluate(() => new Promise((ok) => { const r = indexedDB.open('simpul-konsol', 1); r.onsuccess = () => { const g = r.result.transaction('session').objectStore('session').get('current'); g.onsuccess = () => ok(g.result.priv.extractable); }; }));
    assert(extractable === false, 'the stored CryptoKey is not extractable');
    ok('signed in: ' + who.trim() + ' (key kept as a non-extractable CryptoKey)');
    {
      // the dashboard of the officer's own subtree, one click away
      assert(await page.getAttribute('#nav-dash', 'href') === '/koordinator?scope=73' && await page.isVisible('#nav-dash'), 'dashboard link');
      const d = await ctxA.newPage();
      await d.goto(N['73'] + await page.getAttribute('#nav-dash', 'href'));
      await d.waitForSelector('#content:not([hidden])');
      assert((await d.textContent('#crumbs')).includes('(73)'), 'the dashboard over 73: ' + await d.textContent('#crumbs'));
      await d.close();
      ok('the console links to the dashboard of the officer\'s own subtree (/koordinator?scope=73)');
    }

    // ---- inbox: the complaint filed at 73.13 arrives by replication ----
    await findInInbox(page, r1.id);
    await findInInbox(page, r4.id); // held by 73.12, below the province
    const cardText = await page.textContent(`li[data-id="${r1.id}"]`);
    assert(cardText.includes(r1.ticket) && /sisa \d+ hari kerja|batas hari ini/.test(cardText), 'card: ticket and working days: ' + cardText);
    await page.selectOption('#f-unit', '73.12');
    await findInInbox(page, r4.id);
    assert(!(await page.$(`li[data-id="${r1.id}"]`)), 'the unit filter: only 73.12\'s');
    await page.selectOption('#f-unit', '');
    await findInInbox(page, r1.id);
    await page.fill('#f-q', 'Sengkang');
    await page.waitForFunction((id) => !document.querySelector(`li[data-id="${id}"]`), r4.id);
    assert(await page.$(`li[data-id="${r1.id}"]`), 'search by words keeps the match');
    await page.fill('#f-q', '');
    await findInInbox(page, r4.id);
    await axe(page, 'console inbox');
    await shots(page, 'konsol-kotak-masuk');
    ok('inbox: the complaint filed at 73.13 is listed at 73 with its ticket and working days left; unit filter and search');

    // ---- a complaint: verify, then a forged forward refused ----
    await openReport(page, r1.id);
    let a = await act(page, 'verifikasi', async () => {}, 'konsol-pratinjau');
    assert(/Verifikasi/.test(a.preview) && a.preview.includes(r1.ticket), 'preview shows what is signed: ' + a.preview);
    assert(/menerima tindakan/.test(a.result) && /diverifikasi/.test(a.result), 'verified: ' + a.result);
    ok('verify: previewed, signed in the browser, accepted by the node');
    await page.route('**/actions', async (rt) => {
      const j = JSON.parse(rt.request().postData());
      const b = Buffer.from(j.body, 'base64');
      b[b.length - 1] ^= 1; // the last byte of the officer signature
      await rt.continue({ postData: JSON.stringify({ body: b.toString('base64') }) });
    });
    a = await act(page, 'disposisi', () => page.selectOption('#act-target', '73.12'));
    assert(/tanda tangan tidak sah/i.test(a.result) && /Tidak ada yang dicatat/.test(a.result), 'forged refused: ' + a.result);
    await shots(page, 'konsol-ditolak');
    await page.unroute('**/actions');
    let v = await api('73', '/v1/reports/' + r1.id);
    assert(v.body.status === 'diverifikasi' && v.body.trail.length === 1, 'nothing written for the forged action');
    ok('a signature altered on its way to the node: refused, the page says why, nothing written');

    // ---- forward to a unit below (chosen from the directory) ----
    await page.selectOption('#act-what', 'disposisi');
    const groups = await page.$$eval('#act-target optgroup', (gs) => gs.map((g) => g.label));
    assert(groups.length === 2 && /di bawah/.test(groups[0]), 'targets grouped, below first: ' + groups);
    assert(await page.$$eval('#act-target option', (os) => os.every((o) => !o.value || /\)$/.test(o.textContent))), 'every target is a directory institution');
    a = await act(page, 'disposisi', () => page.selectOption('#act-target', '73.12'));
    assert(/didisposisikan/.test(a.result) && /73\.12/.test(a.result), 'forwarded: ' + a.result);
    await axe(page, 'a complaint after forwarding');
    await shots(page, 'konsol-laporan');
    ok('forward (disposisi) to 73.12, picked from the directory');

    // ---- sealed content opened with a signed request ----
    await findInInbox(page, r3.id);
    await openReport(page, r3.id);
    assert(/rahasia/i.test(await page.textContent('#r-title')), 'sealed title');
    await page.click('#open-btn');
    await page.waitForSelector('#open-result .sealed-open');
    const opened = await page.textContent('#open-result');
    assert(opened.includes('Pungutan liar di UPT') && opened.includes('0812-0000-1111'), 'opened: ' + opened);
    ok('rahasia report: title, text and contact opened through the signed open request');
    a = await act(page, 'disposisi', () => page.selectOption('#act-target', '73.12'));
    assert(/disegel untuk 73\.12/.test(a.preview) && /didisposisikan/.test(a.result), 'rahasia forwarded with a key copy: ' + a.preview + ' / ' + a.result);
    ok('rahasia report forwarded to 73.12 from the browser, its content key sealed to 73.12 (POST /v1/seal-key) in the signed act');
    const sk = (body) => api('73', '/v1/seal-key', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const key32 = randomBytes(32).toString('base64');
    let s = await sk({ content_key: key32, to: ['73.12', '73.13'] });
    assert(s.status === 200 && s.body.keys.length === 2 && Buffer.from(s.body.keys[0].boxed, 'base64').length === 80, 'seal-key: ' + JSON.stringify(s.body));
    s = await sk({ content_key: key32, to: ['NOPE'] });
    assert(s.status === 404 && s.body.error.code === 'SP_ERR_UNKNOWN_INSTITUTION', 'seal-key unknown institution');
    s = await sk({ content_key: randomBytes(16).toString('base64'), to: ['73.12'] });
    assert(s.status === 400, 'seal-key: a key of 16 bytes refused');
    ok('POST /v1/seal-key: 80-byte boxes per institution; an unknown institution and a short key refused');

    // ---- take over a complaint held below (73.12) ----
    await openReport(page, r4.id);
    const offered = await page.$$eval('#act-what option', (os) => os.map((o) => o.value));
    assert(offered.length === 1 && offered[0] === 'ambil_alih', 'only take-over offered to the parent: ' + offered);
    a = await act(page, 'ambil_alih');
    assert(/menerima tindakan/.test(a.result), 'taken over: ' + a.result);
    v = await api('73', '/v1/reports/' + r4.id);
    assert(v.body.holders.join() === '73', 'the province holds it now');
    ok('take over (ambil alih) by the parent tier');

    // ---- an action the state no longer allows (a stale second tab) ----
    const stale = await ctxA.newPage();
    await stale.goto(N['73'] + '/konsol#/laporan/' + r4.id);
    await stale.waitForFunction((rid) => document.getElementById('r-facts').textContent.includes(rid), r4.id);
    a = await act(page, 'verifikasi');
    assert(/menerima tindakan/.test(a.result), 'verified in the first tab');
    a = await act(stale, 'verifikasi');
    assert(/tidak berlaku pada status/.test(a.result) && /SP_ERR_TRANSITION/.test(a.result), 'stale action refused: ' + a.result);
    await stale.close();
    ok('an action the state no longer allows (verified meanwhile in another tab): refused, the page says why');

    // ---- merge a duplicate (likely duplicates search) ----
    await findInInbox(page, r2.id);
    await openReport(page, r2.id);
    await page.selectOption('#act-what', 'gabung');
    await page.waitForFunction((id) => [...document.querySelectorAll('#act-merge option')].some((o) => o.value === id), r1.id);
    const cand = await page.$$eval('#act-merge option', (os) => os.map((o) => o.textContent));
    assert(cand[1].includes(r1.ticket) && /kemiripan \d+%/.test(cand[1]), 'the likely duplicate first: ' + cand);
    a = await act(page, 'gabung', () => page.selectOption('#act-merge', r1.id));
    assert(/digabung/.test(a.result), 'merged: ' + a.result);
    ok('merge into a likely duplicate (same region and category, close in time, similar words)');

    // ---- wrong institution: 73.12's officer at the province's node ----
    {
      const { ctx, page: p } = await newPage(browser, errors);
      const w = await signIn(p, '73', KEY('73.12'));
      assert(/simpul ini milik/.test(w) && /lewat simpul instansi Anda sendiri/.test(await p.textContent('#notice')), 'wrong node said: ' + w);
      await openReport(p, r1.id);
      a = await act(p, 'tindak_lanjut', () => p.fill('#act-text', 'Jawaban lewat simpul yang salah'));
      assert(/simpul instansi lain/.test(a.result) && /SP_ERR_AUTHORITY/.test(a.result), 'wrong institution refused: ' + a.result);
      ok('an officer of 73.12 acting through the province\'s node: refused, the page says why');
      await ctx.close();
    }

    // ---- the unit's officer answers at 73.12's console ----
    {
      const { ctx, page: p } = await newPage(browser, errors);
      const w = await signIn(p, '73.12', KEY('73.12'));
      assert(/Kabupaten Soppeng \(73\.12\)/.test(w), '73.12 signed in: ' + w);
      await findInInbox(p, r1.id);
      await openReport(p, r1.id);
      a = await act(p, 'tindak_lanjut', () => p.fill('#act-text', 'Jembatan sudah diperbaiki oleh Dinas PU.'));
      assert(/ditindaklanjuti/.test(a.result), 'answered: ' + a.result);
      ok('the unit (73.12) answers in its own console');
      await findInInbox(p, r3.id);
      await openReport(p, r3.id);
      await p.click('#open-btn');
      await p.waitForSelector('#open-result .sealed-open');
      const o3 = await p.textContent('#open-result');
      assert(o3.includes('Pungutan liar di UPT') && o3.includes('0812-0000-1111'), '73.12 reads the forwarded rahasia report: ' + o3);
      ok('73.12\'s officer opens the forwarded rahasia report with the key copy the province\'s browser sealed');
      await ctx.close();
    }

    // ---- the reporter rates the answer (Lacak, with the secret) ----
    {
      const { ctx, page: p } = await newPage(browser, errors);
      await p.goto(N['73.12'] + '/lacak?tiket=' + r1.ticket);
      await p.waitForSelector('#report:not([hidden])');
      await p.fill('#secret', r1.secret);
      await p.selectOption('#action', 'nilai');
      await p.selectOption('#rating', '5');
      await p.click('#act-btn');
      await p.waitForFunction(() => /tercatat/.test(document.getElementById('act-result').textContent));
      await ctx.close();
      v = await api('73.12', '/v1/reports/' + r1.id);
      assert(v.body.rating === 5 && v.body.status === 'ditindaklanjuti', 'rated 5');
      ok('the reporter rates the answer 5/5');
    }

    // ---- administration: the province's admin ----
    {
      const { ctx, page: p } = await newPage(browser, errors);
      const w = await signIn(p, '73', KEY('73', 'admin'));
      assert(/admin instansi/.test(w) && await p.isVisible('#nav-admin'), 'an admin sees the admin pages: ' + w);
      await p.click('#nav-admin');
      await p.waitForSelector('#adm-off-body tr');
      await p.selectOption('#adm-off-inst', '73.12');
      await p.waitForFunction(() => document.getElementById('adm-off-body').textContent.includes('73.12'));
      // enrol a new officer at 73.12 with a key pasted (their key file
      // protected by a passphrase)
      const k = protectedKey('petugas-baru', 'kata sandi petugas baru');
      await p.selectOption('#adm-enrol-inst', '73.12');
      await p.fill('#adm-enrol-name', 'Petugas Baru Soppeng');
      await p.fill('#adm-enrol-key', k.pub);
      await p.click('#adm-enrol button[type=submit]');
      let a = await adminSend(p);
      assert(a.preview.includes(k.pub) && /daftarkan petugas/.test(a.preview), 'enrol preview: ' + a.preview);
      assert(/Koordinator menerima/.test(a.result), 'enrolled: ' + a.result);
      await until('the new officer listed at 73.12\'s node', async () => (await api('73.12', '/v1/officers?inst=73.12')).body.officers.some((o) => o.key === k.pub));
      await axe(p, 'console administration');
      await shots(p, 'konsol-admin');
      ok('an admin enrols an officer of 73.12 (public key pasted), signed in the browser, written by the coordinator');
      // the new officer signs in at 73.12 with the passphrase-protected key:
      // none and a wrong passphrase are refused, the right one signs in
      const { ctx: c2, page: p2 } = await newPage(browser, errors);
      await p2.goto(N['73.12'] + '/konsol');
      await p2.waitForSelector('#signin:not([hidden])');
      await p2.setInputFiles('#keyfile', k.path);
      await p2.click('#signin-btn');
      await p2.waitForSelector('#signin-err:not([hidden])');
      assert(/dilindungi kata sandi: isi kata sandinya/.test(await p2.textContent('#signin-err')), 'no passphrase: ' + await p2.textContent('#signin-err'));
      await p2.fill('#passphrase', 'kata sandi yang salah');
      await p2.click('#signin-btn');
      await p2.waitForFunction(() => /Kata sandi salah/.test(document.getElementById('signin-err').textContent), null, { timeout: 120000 });
      assert(await p2.isHidden('#who'), 'a wrong passphrase does not sign in');
      assert(await p2.evaluate(() => new Promise((ok) => { const r = indexedDB.open('simpul-konsol', 1); r.onsuccess = () => { const g = r.result.transaction('session').objectStore('session').get('current'); g.onsuccess = () => ok(g.result === undefined); }; })), 'nothing kept for a wrong passphrase');
      await axe(p2, 'sign-in refused for a wrong passphrase');
      ok('a passphrase-protected key file: no passphrase and a wrong one refused with a clear message, nothing kept');
      await p2.fill('#passphrase', 'kata sandi petugas baru');
      const t0 = Date.now();
      await p2.click('#signin-btn');
      await p2.waitForSelector('#who:not([hidden])', { timeout: 120000 });
      const signInMs = Date.now() - t0;
      assert(/Petugas Baru Soppeng/.test(await p2.textContent('#who-text')), 'the new officer signs in');
      assert(await p2.evaluate(() => new Promise((ok) => { const r = indexedDB.open('simpul-konsol', 1); r.onsuccess = () => { const g = r.result.transaction('session').objectStore('session').get('current'); g.onsuccess = () => ok(g.result.priv.extractable === false && !('passphrase' in g.result)); }; })), 'kept as a non-extractable key');
      assert(await p2.inputValue('#passphrase') === '', 'the passphrase field is emptied');
      ok(`the officer signs in with the passphrase in ${signInMs} ms (Argon2id, 2 passes over 64 MiB, and XSalsa20-Poly1305 in the browser, vendored @noble libraries); the key is kept non-extractable`);
      // ... opens the sealed photo of a rahasia report held by 73.12, in the browser
      await findInInbox(p2, r5.id);
      await openReport(p2, r5.id);
      assert(/terenkripsi/.test(await p2.textContent('#r-content')), 'attachment listed as encrypted');
      await p2.click('#open-btn');
      await p2.waitForSelector('#open-result .sealed-open');
      assert((await p2.textContent('#open-result')).includes('Foto pungli di jembatan timbang'), 'sealed title opened');
      // a node serving other bytes under the attachment's hash is named as such
      await p2.route('**/v1/attachments/*', async (r) => {
        const res = await r.fetch();
        const b = Buffer.from(await res.body());
        b[b.length - 1] ^= 1;
        await r.fulfill({ response: res, body: b });
      });
      await p2.click('#open-result button[data-sha]');
      await p2.waitForFunction(() => /hash tidak cocok/.test(document.getElementById('open-result').textContent));
      assert(await p2.$('#open-result a.opened-file') === null, 'nothing offered from altered bytes');
      await p2.unroute('**/v1/attachments/*');
      ok('a sealed attachment altered on its way from the node: refused before decryption, the page says so');
      await p2.click('#open-result button[data-sha]');
      await p2.waitForSelector('#open-result a.opened-file');
      // what the officer saves (the link's download), byte for byte
      const [dl] = await Promise.all([p2.waitForEvent('download'), p2.click('#open-result a.opened-file')]);
      const saved = readFileSync(await dl.path());
      const got = await p2.evaluate(() => ({ href: document.querySelector('#open-result a.opened-file').href,
        img: document.querySelector('#open-result img.preview')?.naturalWidth }));
      assert(saved.equals(PNG) && got.href.startsWith('blob:') && got.img === 1, `the original bytes: ${saved.toString('base64')} ${JSON.stringify(got)}`);
      const v5 = await api('73.12', '/v1/reports/' + r5.id);
      assert(createHash('sha256').update(PNG).digest('hex') !== v5.body.attachments[0].sha256, 'the node stores ciphertext, not the photo');
      await axe(p2, 'a sealed attachment opened');
      await kitShots(p2, 'konsol-lampiran-tersegel', DESKTOP);
      ok('a sealed attachment of a rahasia report opened in the console (XChaCha20-Poly1305 in the browser): the original bytes');
      // ... and acts with the key opened from the passphrase
      a = await act(p2, 'verifikasi');
      assert(/menerima tindakan/.test(a.result) && /diverifikasi/.test(a.result), 'the passphrase officer verifies: ' + a.result);
      ok('the passphrase officer\'s signed action is accepted by the node');
      // a change outside the admin's remit: a rule for another province
      await p.fill('#adm-rs-id', '73:uji-luar');
      await p.fill('#adm-rs-cat', 'pendidikan');
      await p.fill('#adm-rs-region', '74');
      await p.selectOption('#adm-rs-to', '73');
      await p.click('#adm-route button[type=submit]');
      a = await adminSend(p);
      assert(/Ditolak/.test(a.result) && /Tidak ada yang dicatat/.test(a.result), 'outside its regions refused: ' + a.result);
      // a rule inside it
      await p.fill('#adm-rs-region', '73.13');
      await p.click('#adm-route button[type=submit]');
      a = await adminSend(p);
      assert(/Koordinator menerima/.test(a.result), 'rule set: ' + a.result);
      await until('the rule in force at 73', async () => (await api('73', '/v1/route?category=pendidikan&region=73.13.01')).body.rule === '73:uji-luar');
      await p.fill('#adm-rt-cat', 'pendidikan');
      await p.fill('#adm-rt-region', '73.13.01');
      await p.click('#adm-route-test button[type=submit]');
      await p.waitForFunction(() => /73:uji-luar/.test(document.getElementById('adm-route-test-out').textContent));
      ok('routes: a rule outside the province\'s regions refused by the coordinator (the page says so), one inside set and tested');
      // a unit below the province
      const uk = newKey('unit-sign');
      await p.fill('#adm-unit-id', '73.DINKES');
      await p.fill('#adm-unit-name', 'Dinas Kesehatan Provinsi Sulawesi Selatan');
      await p.selectOption('#adm-unit-parent', '73');
      await p.fill('#adm-unit-sign', uk.pub);
      await p.fill('#adm-unit-seal', randomBytes(32).toString('hex'));
      await p.fill('#adm-unit-cats', 'kesehatan');
      await p.click('#adm-unit button[type=submit]');
      a = await adminSend(p);
      assert(/Koordinator menerima/.test(a.result), 'unit added: ' + a.result);
      await until('the unit in 73\'s directory', async () => (await api('73', '/v1/directory/institutions/73.DINKES')).status === 200);
      await p.waitForFunction(() => /73\.DINKES/.test(document.getElementById('adm-units').textContent));
      ok('units: 73.DINKES added below the province');
      // suspend the new officer: their session ends at the next visit
      await p.selectOption('#adm-off-inst', '73.12');
      await p.waitForSelector(`#adm-off-body tr[data-key="${k.pub}"]`);
      await p.click(`#adm-off-body tr[data-key="${k.pub}"] button[data-do=remove]`);
      a = await adminSend(p);
      assert(/akhiri pendaftaran/.test(a.preview) && /Koordinator menerima/.test(a.result), 'suspended: ' + a.result);
      await until('the officer gone at 73.12\'s node', async () => !(await api('73.12', '/v1/officers?inst=73.12')).body.officers.some((o) => o.key === k.pub));
      await p2.reload();
      await p2.waitForSelector('#signin:not([hidden])');
      assert(/tidak lagi terdaftar/.test(await p2.textContent('#notice')), 'a suspended officer is signed out');
      ok('suspend: the officer\'s enrolment ends, and their console signs them out');
      await c2.close();
      await ctx.close();
    }

    // ---- English, then the session expires ----
    await page.goto(N['73'] + '/konsol#/');
    await page.waitForSelector('#inbox:not([hidden])');
    await page.click('#lang');
    await page.waitForFunction(() => document.getElementById('inbox-h').textContent === 'Inbox');
    assert(/Signed in as/.test(await page.textContent('#who-text')), 'English');
    await page.click('#lang');
    ok('English switch');
    await page.evaluate(() => new Promise((ok) => {
      const r = indexedDB.open('simpul-konsol', 1);
      r.onsuccess = () => {
        const st = r.result.transaction('session', 'readwrite').objectStore('session');
        const g = st.get('current');
        g.onsuccess = () => { const s = g.result; s.last = Date.now() - 9 * 3600 * 1000; st.put(s, 'current').onsuccess = ok; };
      };
    }));
    await page.reload();
    await page.waitForSelector('#signin:not([hidden])');
    assert(/Sesi Anda berakhir/.test(await page.textContent('#notice')) && await page.isHidden('#who'), 'expired session');
    await shots(page, 'konsol-sesi-berakhir');
    ok('a session idle for more than 8 hours ends: sign in again');
    await ctxA.close();
    assert(errors.length === 0, 'no script errors in the pages: ' + errors.join('\n'));
  } finally {
    await browser.close();
  }
}

main().then(() => { console.log('all ok'); }, (e) => { console.error('FAIL:', e.stack || e); process.exit(1); });

// rotation.test.mjs - the Transparansi page after the national coordinator
// rotated its own key (run by tests/system/test_root_rotation.c on its
// federation, config {nodes: {A: url}, out}): Debian's chromium opens A's
// /transparansi, which verifies the directory log from the genesis root key
// A names ([federation] root_key), following the rotation: the directory
// check passes and says one coordinator key rotation was followed, and the
// coordinator's log (whose checkpoint the new key signs) checks too.
import { assert, launch, N, ok, PHONE } from './kit.mjs';

const browser = await launch();
try {
  const page = await (await browser.newContext({ viewport: PHONE, locale: 'id-ID' })).newPage();
  await page.goto(N.A + '/transparansi');
  await page.waitForFunction(() => /log diperiksa/.test(document.getElementById('logs-status').textContent), null, { timeout: 60000 });
  const root = await page.$$eval('#root-result .check', (xs) => xs.map((x) => [x.className, x.textContent]));
  assert(root.length > 0 && root.every((x) => x[0].includes('pass')), 'the directory verifies across the rotation: ' + JSON.stringify(root));
  assert(root.some((x) => x[1].includes('1 rotasi kunci koordinator')), 'the rotation is named: ' + JSON.stringify(root));
  ok('Transparansi: the directory log verifies from the genesis root key across the coordinator\'s key rotation');
  const coord = await page.$$eval('#logs .check', (xs) => xs.filter((x) => x.closest('section').getAttribute('aria-label').endsWith('/KEMENPANRB'))
    .map((x) => [x.className, x.textContent]));
  assert(coord.length > 0 && coord.every((x) => !x[0].includes('fail')), 'the coordinator\'s log checks with its new key: ' + JSON.stringify(coord));
  assert(coord.some((x) => x[0].includes('pass') && x[1].includes('Checkpoint ditandatangani')), 'its checkpoint checked: ' + JSON.stringify(coord));
  ok('Transparansi: the coordinator\'s log checkpoint, signed by the new key, checks');
} finally {
  await browser.close();
}

// The portal's pages over HTTP: served under a strict CSP (no inline code, this origin only), the script
// gzipped when asked and revalidated by ETag; the development sign-in refused with configured keys.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
import { isLoopback } from './routes/portal.js';

const test = suite('portal routes');
let testLog: TestLog;
let api: TestApi;
test.before(async () => {
  testLog = await openMemoryLog();
  api = await openTestApi(testLog.log);
});
test.after(async () => {
  await api.close();
  await testLog.close();
});

test('the page and its script are served under a CSP that allows only this origin and no inline code', async () => {
  const page = await api.call('GET', '/portal/');
  assert.is(page.status, 200);
  assert.match(String(page.body), /<script type="module" src="\/portal\/app\.js"><\/script>/);
  const csp = page.headers.get('content-security-policy')!;
  assert.match(csp, /default-src 'none'; script-src 'self'; style-src 'self';/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.not.match(csp, /unsafe/);
  assert.is(page.headers.get('x-content-type-options'), 'nosniff');
  assert.is((await api.call('GET', '/portal')).status, 308);
});

test('the script is gzipped for a client that asks, and revalidates by its ETag', async () => {
  const res = await api.system.app.request('/portal/app.js', { headers: { 'accept-encoding': 'gzip, br' } });
  assert.is(res.status, 200);
  assert.is(res.headers.get('content-encoding'), 'gzip');
  assert.match(res.headers.get('content-type')!, /^text\/javascript/);
  const etag = res.headers.get('etag')!;
  const again = await api.system.app.request('/portal/app.js', { headers: { 'if-none-match': etag } });
  assert.is(again.status, 304);
});

test('with configured keys there is no development sign-in: the options say so and the route answers 404', async () => {
  const options = await api.call('GET', '/portal/session-options');
  assert.equal(options.body, { devSignIn: null, oidc: null });
  const signIn = await api.call('POST', '/portal/dev-sign-in', { body: { role: 'admin' } });
  assert.is(signIn.status, 404);
  assert.is(signIn.body.code, 'not-found');
  const bad = await api.call('POST', '/portal/dev-sign-in', { body: { role: 'root' } });
  assert.is(bad.status, 400);
});

test('loopback peers only: 127/8, ::1 and IPv4-mapped loopback; no socket is no peer', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', undefined]) assert.not.ok(isLoopback(a), String(a));
});

test.run();

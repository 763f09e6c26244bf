// http steps under the egress policy, through the executor's real performer: internal destinations in
// every spelling are refused before any connection (so open and closed ports read the same), names are
// checked on the address the socket gets, redirects are answers unless followed hop by hop, and an
// operator's CIDR entry lets a step reach a local server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_EGRESS, parseEgressRule, type EgressPolicy, type EgressRule } from '../../schemas/egress.js';
import type { ActionSpec } from '../../schemas/plan.js';
import { actionPerformer, type Outcome } from './actions.js';
import { systemClock } from '../../commands/maestro/clock.js';
import { checkedLookup, type Resolver } from './egress.js';
import { egressDecider } from './egress-policy.js';

const test = suite<{ open: number; closed: number; server: Server; hits: string[] }>('egress', {} as never);

const policy = (...entries: string[]): EgressPolicy => ({ allow: entries.map((e) => parseEgressRule(e) as EgressRule), followRedirects: false });

async function get(url: string, egress: EgressPolicy = DEFAULT_EGRESS, method: 'GET' | 'POST' = 'GET'): Promise<Outcome> {
  const action = { action_type: 'http', http: { method, url } } as ActionSpec;
  return actionPerformer({ clock: systemClock, egress })({ action, idempotencyKey: 'r:s:1', signal: new AbortController().signal });
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

test.before(async (ctx) => {
  ctx.hits = [];
  ctx.server = createServer((req, res) => {
    ctx.hits.push(req.url ?? '');
    if (req.url === '/hop') return res.writeHead(302, { location: '/final' }).end();
    if (req.url?.startsWith('/to?')) return res.writeHead(307, { location: decodeURIComponent(req.url.slice(4)) }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ metrics: 'secret', path: req.url }));
  });
  ctx.open = await listen(ctx.server);
  const spare = createServer();
  ctx.closed = await listen(spare);
  await new Promise((r) => spare.close(r));
});
test.after(async (ctx) => {
  ctx.server.closeAllConnections();
  await new Promise((r) => ctx.server.close(r));
});
test.before.each((ctx) => {
  ctx.hits.length = 0;
});

test('internal destinations in every spelling are refused with one text, the same for open and closed ports', async (ctx) => {
  const hosts = [
    '127.0.0.1', '127.1', '2130706433', '017700000001', '0x7f.0.0.1', '0.0.0.0', '0', '10.0.0.1', '172.16.0.1', '192.168.1.1',
    '169.254.169.254', '100.64.0.1', '224.0.0.1', '[::1]', '[::]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::ffff:a9fe:a9fe]',
    '[fe80::1]', '[fd00::1]', 'localhost', 'localhost.', 'LOCALHOST', 'api.localhost',
  ];
  for (const host of hosts) {
    for (const port of [ctx.open, ctx.closed]) {
      const url = `http://${host}:${port}/metrics`;
      const outcome = await get(url);
      assert.equal(outcome, { ok: false, cause: 'error', error: `GET ${url}: refused by egress policy` }, url);
    }
  }
  assert.equal(ctx.hits, [], 'nothing reached the local server');
});

test('not http(s), or with user info: refused the same way', async (ctx) => {
  for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/', `http://user:pw@127.0.0.1:${ctx.open}/`, `http://example.com@127.0.0.1:${ctx.open}/`]) {
    const outcome = await get(url, policy('127.0.0.1/32'));
    assert.equal(outcome, { ok: false, cause: 'error', error: `GET ${url}: refused by egress policy` }, url);
  }
  assert.equal(ctx.hits, []);
});

test('an operator CIDR entry lets a step reach a local server, by address or by a name resolving into it', async (ctx) => {
  const allowed = policy('127.0.0.1/32');
  const byAddress = await get(`http://127.0.0.1:${ctx.open}/ok`, allowed);
  assert.equal(byAddress, { ok: true, result: { status: 200, body: { metrics: 'secret', path: '/ok' } } });
  const byName = await get(`http://localhost:${ctx.open}/named`, allowed);
  assert.ok(byName.ok, JSON.stringify(byName));
  assert.not.ok((await get(`http://[::1]:${ctx.open}/v6`, allowed)).ok, '::1 is outside 127.0.0.1/32');
  assert.equal(ctx.hits, ['/ok', '/named']);
});

test('redirects are the answer by default; followed, every hop is checked', async (ctx) => {
  const base = `http://127.0.0.1:${ctx.open}`;
  const inside = `http://127.0.0.2:${ctx.open}/internal`;
  const notFollowed = await get(`${base}/to?${encodeURIComponent(inside)}`, policy('127.0.0.1/32'));
  assert.is(notFollowed.ok, false);
  if (!notFollowed.ok) assert.match(notFollowed.error, /answered 307, expected a 2xx status/);
  const following = { ...policy('127.0.0.1/32'), followRedirects: true };
  for (const target of [inside, `http://[::1]:${ctx.closed}/`, 'http://169.254.169.254/latest/meta-data/', 'file:///etc/passwd']) {
    const url = `${base}/to?${encodeURIComponent(target)}`;
    assert.equal(await get(url, following), { ok: false, cause: 'error', error: `GET ${url}: refused by egress policy` }, target);
  }
  const followed = await get(`${base}/hop`, following, 'POST');
  assert.equal(followed, { ok: true, result: { status: 200, body: { metrics: 'secret', path: '/final' } } });
  assert.equal(ctx.hits.filter((h) => !h.startsWith('/to?')), ['/hop', '/final'], 'only the allowed hop was followed');
});

test('the socket connects only to addresses checked in the same lookup (DNS rebinding has no second answer to use)', async () => {
  let answers = 0;
  // A rebinding resolver: public on the first answer, loopback after; mixed answers keep only the allowed.
  const rebinding: Resolver = (_name, _family, done) =>
    done(null, answers++ === 0 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }, { address: '93.184.216.35', family: 4 }]);
  const lookup = checkedLookup(egressDecider(DEFAULT_EGRESS), rebinding);
  const ask = (all: boolean) =>
    new Promise<unknown>((resolve) => lookup('rebind.example', { all }, (error, address) => resolve(error ? error.message : address)));
  assert.equal(await ask(true), [{ address: '93.184.216.34', family: 4 }]);
  assert.equal(await ask(true), [{ address: '93.184.216.35', family: 4 }], 'the loopback answer is dropped, never handed to the socket');
  const internalOnly: Resolver = (_name, _family, done) => done(null, [{ address: '10.1.2.3', family: 4 }]);
  const refused = await new Promise<unknown>((resolve) => checkedLookup(egressDecider(DEFAULT_EGRESS), internalOnly)('internal.example', {}, (e) => resolve(e?.message)));
  assert.is(refused, 'refused by egress policy');
});

test.run();

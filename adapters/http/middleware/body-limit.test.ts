// Body limits on the whole app: every route that takes a body refuses an oversized one with a 413 problem
// after reading no more than its limit (counted on the stream the route was offered), whether the size
// is declared or streamed; every other request gets the small limit. A body within a limit still arrives.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTestApi, type TestApi } from '../../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../../test/logs.js';
import { NO_BODY_MAX_BYTES } from './body-limit.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const OFFERED = 50 * MiB;

/** The limit each body route declares; a new route that takes a body must be listed (and limited). */
const LIMITS: Readonly<Record<string, number>> = {
  'POST /v1/commands/:type': MiB,
  'POST /v1/plans': 512 * 1024,
  'POST /v1/runs': 512 * 1024,
  'POST /v1/runs/:id/steps/:step/approve': 16 * 1024,
  'POST /v1/runs/:id/cancel': 16 * 1024,
  'POST /v1/metering/events': 8 * MiB,
  'POST /v1/ingest/github': 5 * MiB,
  'POST /v1/ingest/openlineage': 5 * MiB,
  'POST /v1/ledger/verify': 16 * 1024,
  'POST /v1/ledger/checkpoints/cosignatures': 32 * 1024,
  'POST /v1/policy/preflight': MiB,
  'POST /v1/policy/what-if': MiB,
  'POST /v1/approvals': MiB,
  'POST /v1/approvals/:id/approve': 16 * 1024,
  'POST /v1/approvals/:id/reject': 16 * 1024,
  'POST /portal/dev-sign-in': 1024,
};

const SAMPLE_PARAMS: Readonly<Record<string, string>> = { type: 'graph.node.upsert', id: 'run-1', step: 'deploy' };
const concrete = (path: string) => path.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name] ?? 'x');

/** A body of `total` bytes made as it is read; `pulled` says how much of it the server asked for. */
function offered(total: number) {
  const chunk = new Uint8Array(CHUNK).fill(0x20);
  const counter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= total) return controller.close();
      counter.pulled += CHUNK;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  return { stream, counter };
}

let testLog: TestLog;
let api: TestApi;
let admin: string;

const send = (method: string, path: string, body: RequestInit['body'] | undefined, headers: Record<string, string> = {}) =>
  api.system.app.request(path, {
    method,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body, duplex: 'half' }),
  } as RequestInit);

const assertTooLarge = async (res: Response, maxBytes: number, label: string) => {
  const text = await res.text();
  assert.is(res.status, 413, `${label}: ${text.slice(0, 200)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, label);
  assert.is(res.headers.get('connection'), 'close', label);
  const p = JSON.parse(text);
  assert.is(p.code, 'payload-too-large', label);
  assert.is(p.maxBytes, maxBytes, label);
};

const limits = suite('HTTP: body limits on every route');
limits.before(async () => {
  testLog = await openMemoryLog();
  api = await openTestApi(testLog.log);
  admin = await api.token({ tenant: 'limits', roles: ['admin'], region: 'us-east', subject: 'ada' });
});
limits.after(async () => {
  await api.close();
  await testLog.close();
});

/** Every route the app registers that takes a body (middleware entries aside). */
const bodyRoutes = () => {
  const seen = new Set<string>();
  for (const r of api.system.app.routes) if (['POST', 'PUT', 'PATCH'].includes(r.method)) seen.add(`${r.method} ${r.path}`);
  return [...seen];
};

limits('the table above names every route that takes a body', () => {
  assert.equal(bodyRoutes().sort(), Object.keys(LIMITS).sort());
});

limits('a streamed 50 MB body (no Content-Length) is refused at each route\'s limit, having read no more than the limit', async () => {
  for (const route of bodyRoutes()) {
    const [method, path] = route.split(' ') as [string, string];
    const limit = LIMITS[route]!;
    const { stream, counter } = offered(OFFERED);
    await assertTooLarge(await send(method, concrete(path), stream), limit, route);
    assert.ok(counter.pulled <= limit + CHUNK, `${route} read ${counter.pulled} bytes of a ${limit}-byte limit`);
  }
});

limits('a declared Content-Length over the limit is refused before a byte is read', async () => {
  for (const route of bodyRoutes()) {
    const [method, path] = route.split(' ') as [string, string];
    const { stream, counter } = offered(OFFERED);
    await assertTooLarge(await send(method, concrete(path), stream, { 'content-length': String(OFFERED) }), LIMITS[route]!, route);
    assert.is(counter.pulled, 0, route);
  }
});

limits('viewers too: the limit comes before authorization, so a token with no write rights cannot make the server buffer', async () => {
  const viewer = await api.token({ tenant: 'limits', roles: ['viewer'], region: 'us-east', subject: 'vic' });
  for (const path of ['/v1/plans', '/v1/runs', '/v1/runs/run-1/steps/deploy/approve', '/v1/runs/run-1/cancel']) {
    const { stream, counter } = offered(OFFERED);
    const res = await api.system.app.request(path, { method: 'POST', headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/yaml' }, body: stream, duplex: 'half' } as RequestInit);
    assert.is(res.status, 413, path);
    assert.ok(counter.pulled <= 512 * 1024 + CHUNK, path);
  }
});

limits('requests to routes without a body (GET and the rest) may carry at most the small limit', async () => {
  const res = await api.system.app.request('/v1/graph/nodes/x', { method: 'GET', headers: { authorization: `Bearer ${admin}`, 'content-length': String(OFFERED) } });
  await assertTooLarge(res, NO_BODY_MAX_BYTES, 'GET with a declared body');
  const unauthenticated = await api.system.app.request('/healthz', { method: 'GET', headers: { 'content-length': String(NO_BODY_MAX_BYTES + 1) } });
  await assertTooLarge(unauthenticated, NO_BODY_MAX_BYTES, 'GET /healthz');
  const chunked = await api.system.app.request('/healthz', { method: 'GET', headers: { 'transfer-encoding': 'chunked' } });
  await assertTooLarge(chunked, NO_BODY_MAX_BYTES, 'GET with a chunked body');
  const { stream, counter } = offered(OFFERED);
  await assertTooLarge(await send('DELETE', '/v1/plans', stream), NO_BODY_MAX_BYTES, 'DELETE');
  assert.ok(counter.pulled <= NO_BODY_MAX_BYTES + CHUNK);
  assert.is((await api.system.app.request('/healthz', { headers: { 'content-length': '0' } })).status, 200);
});

limits('a body of exactly the limit, streamed, still arrives whole', async () => {
  const command = JSON.stringify({ id: 'svc:edge', type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } });
  const padded = new TextEncoder().encode(command + ' '.repeat(MiB - command.length));
  assert.is(padded.byteLength, MiB);
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= padded.byteLength) return controller.close();
      controller.enqueue(padded.subarray(at, at + CHUNK));
      at += CHUNK;
    },
  });
  const res = await send('POST', '/v1/commands/graph.node.upsert', stream);
  assert.is(res.status, 201, await res.text());
  const over = new TextEncoder().encode(command + ' '.repeat(MiB + 1 - command.length));
  await assertTooLarge(await send('POST', '/v1/commands/graph.node.upsert', over), MiB, 'one byte over');
});

limits.run();

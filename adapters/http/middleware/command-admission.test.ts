// Backpressure, through the whole API on a real (PGlite) log whose graph appends wait at a gate the test
// opens: filled slots refuse the next command (429 for the tenant over its share, 503 when the process is
// full, both with Retry-After and counted in /metrics), another tenant still gets in, a caller whose
// command is held past the timeout hears 503, and that command's append, committed later, is what a retry
// with the same Idempotency-Key answers with: once, never appended twice.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventLog } from '../../event-log/index.js';
import { openTestApi, type ApiResponse, type TestApi } from '../../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../../test/logs.js';

/** The log, with appends to graph streams held until `open()`; `arrived(n)` resolves once n are held. */
function gatedLog(log: EventLog) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let held = 0;
  const watchers: { n: number; resolve: () => void }[] = [];
  const append: EventLog['append'] = async (stream, expected, events) => {
    if (stream.includes('/graph.')) {
      held++;
      for (const w of watchers) if (held >= w.n) w.resolve();
      await opened;
    }
    return log.append(stream, expected, events);
  };
  const gated = new Proxy(log, {
    get: (target, p) => {
      if (p === 'append') return append;
      const value = Reflect.get(target, p, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    log: gated,
    open: () => open(),
    arrived: (n: number) => new Promise<void>((resolve) => (held >= n ? resolve() : watchers.push({ n, resolve }))),
  };
}

const T0 = '2026-01-01T00:00:00Z';
const node = (id: string) => ({ id, type: 'Service', region: 'us-east', attributes: { name: id }, provenance: { sourceSystem: 'github', observedAt: T0 } });
const tokens = new Map<string, string>();
const post = (tenant: string, id: string, key?: string): Promise<ApiResponse> =>
  api.call('POST', '/v1/commands/graph.node.upsert', { token: tokens.get(tenant)!, body: node(id), headers: key === undefined ? {} : { 'idempotency-key': key } });
const shed = async (reason: string) =>
  Number(new RegExp(`companyos_commands_shed_total\\{reason="${reason}"\\} (\\d+)`).exec((await api.call('GET', '/metrics')).body)?.[1] ?? 0);
const inFlight = async () => Number(/companyos_commands_in_flight (\d+)/.exec((await api.call('GET', '/metrics')).body)?.[1]);

let testLog: TestLog;
let gate: ReturnType<typeof gatedLog>;
let api: TestApi;

const admission = suite('HTTP: command admission (backpressure)');
admission.before(async () => {
  testLog = await openMemoryLog();
  gate = gatedLog(testLog.log);
  // Three commands at once in the process, two per tenant; a caller waits 0.05 s at most.
  api = await openTestApi(gate.log, { COMPANYOS_MAX_INFLIGHT: '3', COMPANYOS_MAX_INFLIGHT_PER_TENANT: '2', COMPANYOS_COMMAND_TIMEOUT: '0.05' });
  for (const tenant of ['acme', 'globex', 'initech']) tokens.set(tenant, await api.token({ tenant, roles: ['editor'], region: 'us-east', subject: 'alice' }));
});
admission.after(async () => {
  gate.open();
  await api.close();
  await testLog.close();
});

admission('full slots refuse at once with Retry-After; another tenant gets in; a held command times out with 503 and its append, committed later, answers the retry once', async () => {
  // acme fills its share: both commands are held at the append (their callers hear the timeout, the slots stay taken).
  const held = [post('acme', 'svc:a1', 'key-a1'), post('acme', 'svc:a2', 'key-a2')];
  await gate.arrived(2);
  const tenantFull = await post('acme', 'svc:a3');
  assert.is(tenantFull.status, 429, JSON.stringify(tenantFull.body));
  assert.is(tenantFull.body.code, 'tenant-busy');
  assert.is(tenantFull.headers.get('retry-after'), '1');
  assert.is(tenantFull.headers.get('content-type'), 'application/problem+json');
  assert.is(tenantFull.body.maxInFlightPerTenant, 2);

  // acme over its share does not shut out globex: it takes the third slot.
  const other = post('globex', 'svc:g1', 'key-g1');
  await gate.arrived(3);
  const processFull = await post('initech', 'svc:i1');
  assert.is(processFull.status, 503, JSON.stringify(processFull.body));
  assert.is(processFull.body.code, 'server-busy');
  assert.is(processFull.headers.get('retry-after'), '1');
  assert.is(processFull.body.maxInFlight, 3);
  // GitHub's deliveries take a slot before their signature names a tenant: the process bound applies.
  const webhook = await api.call('POST', '/v1/ingest/github', { body: { zen: 'x' }, headers: { 'x-github-event': 'ping' } });
  assert.is(webhook.status, 503, JSON.stringify(webhook.body));
  assert.is(webhook.body.code, 'server-busy');
  // Reads are not commands: they pass while every slot is taken.
  const read = await api.call('GET', `/v1/streams/${encodeURIComponent('initech/graph.node/svc:none')}`, { token: tokens.get('initech')! });
  assert.ok(read.status !== 429 && read.status !== 503, JSON.stringify(read.body));

  // Nobody waits longer than the timeout: the held callers are answered while their appends still wait.
  for (const answer of await Promise.all([...held, other])) {
    assert.is(answer.status, 503, JSON.stringify(answer.body));
    assert.is(answer.body.code, 'command-timeout');
    assert.is(answer.headers.get('retry-after'), '1');
  }
  assert.is(await inFlight(), 3, 'a timed-out command keeps its slot until it finishes');
  assert.is(await shed('tenant'), 1);
  assert.is(await shed('process'), 2);
  assert.is(await shed('timeout'), 3);

  // The appends go through; the slots free as they finish.
  gate.open();
  for (let i = 0; (await inFlight()) > 0; i++) {
    if (i > 1000) assert.unreachable('the held commands never finished');
    await new Promise((r) => setTimeout(r, 10));
  }
  const retry = await post('acme', 'svc:a1', 'key-a1');
  assert.is(retry.status, 200, JSON.stringify(retry.body));
  assert.is(retry.body.replayed, true);
  const stream = (await testLog.log.readStream('acme/graph.node/svc:a1')).length;
  assert.is(stream, 1, 'the timed-out command was appended once, and its retry appended nothing');
  assert.is((await post('initech', 'svc:i1')).status, 201);
});

admission.run();

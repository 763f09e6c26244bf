// From a delivered message to a command and a disposition, without NATS: subject, body and headers to
// principal and request info; pipeline outcomes to ack, dead-letter or retry with a growing delay.
import { left, right } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { failure } from '../../commands/failure.js';
import type { CommandPipeline } from '../../commands/pipeline.js';
import { retryDelay, type IngestDelivery } from './ingest-delivery.js';
import { executeDelivery, parseDelivery, serializationKey } from './ingest-message.js';
import { TEST_INGEST_POLICY, testDelivery } from '../../test/nats-support.js';

const test = suite('nats ingest message');
const policy = TEST_INGEST_POLICY;

const delivery = testDelivery;

const body = { id: 'svc:a', type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'x', observedAt: '2026-01-01T00:00:00Z' } };
const pipelineAnswering = (answer: () => unknown): CommandPipeline => ({ execute: async () => answer() }) as unknown as CommandPipeline;

test('a well-formed message becomes the command as the ingest service, with the msg id as idempotency key', () => {
  const p = parseDelivery(delivery('ingest.acme.graph_node_upsert', body, { 'Nats-Msg-Id': 'gh-123', 'companyos-correlation-id': 'c-1' }), policy);
  assert.equal(p, {
    kind: 'command',
    tenant: 'acme',
    commandType: 'graph.node.upsert',
    payload: body,
    principal: { id: 'service:nats-ingest', tenant: 'acme', roles: ['service'], region: 'us-east', authTime: undefined, authn: 'system' },
    info: { requestId: 'nats:COMPANYOS_INGEST:42', correlationId: 'c-1', idempotencyKey: 'gh-123', context: { time: '2026-01-01T00:00:00.000Z', channel: 'nats' } },
  });
});

test('a header can name the region but never the actor; without a msg id the stream sequence is the key', () => {
  const p = parseDelivery(delivery('ingest.acme.graph_node_upsert', body, { 'Companyos-Actor': 'service:github', 'Companyos-Region': 'eu-west' }), policy);
  if (p.kind !== 'command') throw new Error(p.kind === 'reject' ? p.reason : p.kind);
  assert.is(p.principal.id, 'service:nats-ingest');
  assert.is(p.principal.authn, 'system');
  assert.is(p.principal.region, 'eu-west');
  assert.is(p.info.idempotencyKey, 'nats:COMPANYOS_INGEST:42');
});

test('messages that can never be commands are rejected with a code and a reason', () => {
  const cases: [IngestDelivery, string][] = [
    [delivery('ingest.acme.graph.node.upsert', body), 'bad-subject'],
    [delivery('ingest.ACME.graph_node_upsert', body), 'bad-subject'],
    [delivery('ingest.acme.graph_node_upsert', '{not json'), 'malformed-json'],
    // The HTTP body grammar (schemas/json-input.ts): depth before parsing, then every key and string.
    [delivery('ingest.acme.graph_node_upsert', '['.repeat(10_000) + ']'.repeat(10_000)), 'json-too-deep'],
    [delivery('ingest.acme.graph_node_upsert', '{"id":"svc:a","attributes":{"k":"\\u0000"}}'), 'unstorable-value'],
    [delivery('ingest.acme.graph_node_upsert', '{"id":"svc:a","attributes":{"__proto__":{}}}'), 'unstorable-value'],
  ];
  for (const [d, code] of cases) {
    const p = parseDelivery(d, policy);
    assert.is(p.kind === 'reject' ? p.code : p.kind, code, d.subject);
  }
});

test('node commands serialize on the node, edge commands on their triple', () => {
  const node = parseDelivery(delivery('ingest.acme.graph_node_retire', { id: 'svc:a' }), policy);
  const edge = parseDelivery(delivery('ingest.acme.graph_edge_assert', { type: 'DEPLOYS', from: 'd', to: 's' }), policy);
  if (node.kind !== 'command' || edge.kind !== 'command') throw new Error('expected commands');
  assert.is(serializationKey(node), 'acme/node/svc:a');
  assert.is(serializationKey(edge), 'acme/edge/d|DEPLOYS|s');
});

test('outcomes: appended/replayed/unchanged ack; 4xx dead-letter; 409, 503 and throws retry, until maxDeliveries', async () => {
  const d = delivery('ingest.acme.graph_node_upsert', body);
  const run = (answer: () => unknown, count = 1) => {
    const dd = { ...d, deliveryCount: count };
    return executeDelivery({ pipeline: pipelineAnswering(answer) }, parseDelivery(dd, policy), dd, policy);
  };
  assert.equal(await run(() => right({ kind: 'replayed', body: {} })), { kind: 'ack', outcome: 'replayed' });
  assert.equal(await run(() => left(failure('edge-end-not-found', 'no such node'))), { kind: 'dead-letter', status: 422, code: 'edge-end-not-found', reason: 'no such node' });
  assert.equal(await run(() => left(failure('forbidden', 'denied'))), { kind: 'dead-letter', status: 403, code: 'forbidden', reason: 'denied' });
  for (const answer of [() => left(failure('revision-conflict', 'busy')), () => left(failure('unavailable', 'down')), () => { throw new Error('ECONNRESET'); }]) {
    const r = await run(answer);
    assert.is(r.kind, 'retry');
    const last = await run(answer, 5);
    assert.is(last.kind === 'dead-letter' ? last.code : last.kind, 'retries-exhausted');
  }
});

test('retry delays grow with the delivery count, with jitter, up to the maximum', () => {
  for (let i = 0; i < 50; i++) {
    const d1 = retryDelay(1, policy);
    const d3 = retryDelay(3, policy);
    const d20 = retryDelay(20, policy);
    assert.ok(d1 >= 80 && d1 <= 120, `first ${d1}`);
    assert.ok(d3 >= 320 && d3 <= 480, `third ${d3}`);
    assert.ok(d20 >= 800 && d20 <= 1200, `capped ${d20}`);
  }
});

test.run();

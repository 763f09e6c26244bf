// Source kinds without NATS: `ingest.<tenant>.github|openlineage|metering` to mapped work (or a reject naming
// the missing header), and executed work to ack, dead-letter naming the refused command, or retry.
import { readFileSync } from 'node:fs';
import { left, right } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { failure } from '../../commands/failure.js';
import type { CommandPipeline } from '../../commands/pipeline.js';
import type { IngestOutcome } from '../../commands/metering-ingest.js';
import { githubNodeId } from '../ingest/github.js';
import type { MeteringRecorder, Parsed } from './ingest-delivery.js';
import type { RejectedRecords } from './ingest-metering.js';
import { executeDelivery, parseDelivery, serializationKey } from './ingest-message.js';
import { TEST_INGEST_POLICY, testDelivery } from '../../test/nats-support.js';

const test = suite('nats ingest sources');
const policy = TEST_INGEST_POLICY;
const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url), 'utf8'));
const push = fixture('github/push.json');
const lineage = fixture('openlineage/complete.json');
const region = { 'Companyos-Region': 'us-east' };

const delivery = testDelivery;

const codeOf = (p: Parsed): string => (p.kind === 'reject' ? p.code : p.kind);
const record = (eventId: string, extra: object = {}) => ({ eventId, service: 'api', team: 't', meter: 'compute', quantity: '1', unit: 'vcpu-hour', ts: '2026-03-20T00:00:00Z', ...extra });

test('github: the push maps to its Commit upserts, as the ingest service in the header region, correlated by delivery', () => {
  const p = parseDelivery(delivery('ingest.acme.github', push, { ...region, 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'abc-1' }), policy);
  if (p.kind !== 'graph-batch') throw new Error(codeOf(p));
  assert.is(p.source, 'github');
  assert.equal(
    p.commands.map((c) => [c.type, c.type === 'graph.node.upsert' ? c.payload.id : '']),
    [
      ['graph.node.upsert', githubNodeId.commit('Codertocat/Hello-World', '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c')],
      ['graph.node.upsert', githubNodeId.commit('Codertocat/Hello-World', '6113728f27ae82c7b1a177c8d03f9e96e0adf246')],
    ],
  );
  assert.equal(p.principal, { id: 'service:nats-ingest', tenant: 'acme', roles: ['service'], region: 'us-east', authTime: undefined, authn: 'system' });
  assert.is(p.info.correlationId, 'github-delivery:abc-1');
  assert.is(serializationKey(p), undefined);
});

test('github: ping and unmapped events are work with no commands; a bad payload is a validation reject', () => {
  for (const event of ['ping', 'issues']) {
    const p = parseDelivery(delivery('ingest.acme.github', { zen: 'x' }, { ...region, 'X-GitHub-Event': event }), policy);
    assert.is(p.kind === 'graph-batch' ? p.commands.length : codeOf(p), 0, event);
  }
  const bad = parseDelivery(delivery('ingest.acme.github', { commits: 'no' }, { ...region, 'X-GitHub-Event': 'push' }), policy);
  assert.is(codeOf(bad), 'validation');
  assert.match(bad.kind === 'reject' ? bad.reason : '', /^the push payload is not valid: /);
});

test('missing X-GitHub-Event or Companyos-Region: rejected with a reason naming the header', () => {
  const noEvent = parseDelivery(delivery('ingest.acme.github', push, region), policy);
  const badEvent = parseDelivery(delivery('ingest.acme.github', push, { ...region, 'X-GitHub-Event': 'Push!' }), policy);
  const noRegion = parseDelivery(delivery('ingest.acme.github', push, { 'X-GitHub-Event': 'push' }), policy);
  const noLineageRegion = parseDelivery(delivery('ingest.acme.openlineage', lineage), policy);
  const noMeteringRegion = parseDelivery(delivery('ingest.acme.metering', [record('a')]), policy);
  assert.equal([noEvent, badEvent, noRegion, noLineageRegion, noMeteringRegion].map(codeOf), ['bad-event-header', 'bad-event-header', 'region-required', 'region-required', 'region-required']);
  for (const p of [noEvent, noRegion]) if (p.kind === 'reject') assert.match(p.reason, /X-GitHub-Event|Companyos-Region/);
});

test('openlineage: one RunEvent or an array maps to Run, Dataset and edge commands', () => {
  const one = parseDelivery(delivery('ingest.acme.openlineage', lineage, region), policy);
  const two = parseDelivery(delivery('ingest.acme.openlineage', [lineage, lineage], region), policy);
  if (one.kind !== 'graph-batch' || two.kind !== 'graph-batch') throw new Error(`${codeOf(one)} ${codeOf(two)}`);
  assert.equal(one.commands.map((c) => c.payload.type), ['Run', 'Dataset', 'Dataset', 'CONSUMES', 'PRODUCES', 'DERIVED_FROM']);
  assert.is(two.commands.length, 12);
  assert.is(codeOf(parseDelivery(delivery('ingest.acme.openlineage', [], region), policy)), 'validation');
});

test('metering: {records, region?} or a bare array; the body region wins over the header, as over HTTP', () => {
  const bare = parseDelivery(delivery('ingest.acme.metering', [record('a'), { eventId: 'b' }], region), policy);
  const wrapped = parseDelivery(delivery('ingest.acme.metering', { records: [record('a')], region: 'eu-west' }), policy);
  if (bare.kind !== 'metering' || wrapped.kind !== 'metering') throw new Error(`${codeOf(bare)} ${codeOf(wrapped)}`);
  assert.equal([bare.records.length, bare.region, bare.principal.region], [2, 'us-east', 'us-east']);
  assert.equal([wrapped.region, wrapped.principal.region], ['eu-west', 'eu-west']);
  assert.is(serializationKey(bare), 'acme/metering');
  assert.is(codeOf(parseDelivery(delivery('ingest.acme.metering', { records: [] }, region), policy)), 'validation');
  assert.is(codeOf(parseDelivery(delivery('ingest.acme.metering', { records: [record('a')], colour: 1 }, region), policy)), 'validation');
});

test('a mapped batch: acked after every command; a refusal mid-way names the command; 409 retries', async () => {
  const d = delivery('ingest.acme.openlineage', lineage, region);
  const parsed = parseDelivery(d, policy);
  const stream = { stream: 's', revision: 0, events: [] };
  const answering = (fail: number | undefined, status: 409 | 422 = 422): CommandPipeline =>
    ({
      calls: 0,
      async execute() {
        const n = (this as { calls: number }).calls++;
        return n === fail ? left(failure(status === 409 ? 'revision-conflict' : 'edge-end-not-found', 'no such node')) : right({ kind: n === 0 ? 'unchanged' : 'appended', body: stream });
      },
    }) as unknown as CommandPipeline;
  assert.equal(await executeDelivery({ pipeline: answering(undefined) }, parsed, d, policy), { kind: 'ack', outcome: 'appended' });
  const dead = await executeDelivery({ pipeline: answering(4) }, parsed, d, policy);
  if (dead.kind !== 'dead-letter') throw new Error(dead.kind);
  assert.is(dead.code, 'edge-end-not-found');
  assert.match(dead.reason, /^command 5 of 6 \(graph\.edge\.assert run:[^ ]+ -PRODUCES-> dataset:[^)]+\) was refused: no such node; the 4 before it stay written$/);
  assert.is((await executeDelivery({ pipeline: answering(2, 409) }, parsed, d, policy)).kind, 'retry');
});

test('metering: invalid records become a rejected part of an acked message; all invalid, refused or no recorder: dead letter', async () => {
  const d = delivery('ingest.acme.metering', { records: [record('a'), record('b'), record('c', { quantity: '-1' })] }, region);
  const parsed = parseDelivery(d, policy);
  const pipeline = {} as CommandPipeline;
  const answering = (outcome: IngestOutcome | (() => never)): MeteringRecorder => ({ record: async () => (typeof outcome === 'function' ? outcome() : outcome) });
  const results = [
    { index: 0, eventId: 'a', status: 'accepted' },
    { index: 1, eventId: 'b', status: 'accepted' },
    { index: 2, eventId: 'c', status: 'rejected', errors: ['records[2].quantity: bad'] },
  ] as const;
  const partial = await executeDelivery({ pipeline, metering: answering({ ok: true, summary: { accepted: 2, duplicates: 0, rejected: 1, results } }) }, parsed, d, policy);
  if (partial.kind !== 'ack' || partial.rejected === undefined) throw new Error(JSON.stringify(partial));
  assert.is(partial.outcome, 'appended');
  assert.equal([partial.rejected.status, partial.rejected.code, partial.rejected.reason], [422, 'invalid-records', '1 of 3 records rejected: records[2].quantity: bad']);
  assert.equal(partial.rejected.body as RejectedRecords, { rejected: [{ index: 2, eventId: 'c', errors: ['records[2].quantity: bad'], record: record('c', { quantity: '-1' }) }] });

  const allBad = results.map((r) => ({ ...r, status: 'rejected' as const, errors: [`records[${r.index}].x: bad`] }));
  const whole = await executeDelivery({ pipeline, metering: answering({ ok: true, summary: { accepted: 0, duplicates: 0, rejected: 3, results: allBad } }) }, parsed, d, policy);
  assert.equal(whole, { kind: 'dead-letter', status: 422, code: 'no-valid-records', reason: 'records[0].x: bad; records[1].x: bad; records[2].x: bad' });
  const forbidden = await executeDelivery({ pipeline, metering: answering({ ok: false, failure: failure('forbidden', 'denied') }) }, parsed, d, policy);
  assert.equal(forbidden, { kind: 'dead-letter', status: 403, code: 'forbidden', reason: 'denied' });
  const behind = await executeDelivery({ pipeline, metering: answering({ ok: false, failure: failure('metering-index-behind', 'retry') }) }, parsed, d, policy);
  assert.is(behind.kind, 'retry');
  const thrown = await executeDelivery({ pipeline, metering: answering(() => { throw new Error('chdb gone'); }) }, parsed, d, policy);
  assert.is(thrown.kind, 'retry');
  assert.is(codeOfDisposition(await executeDelivery({ pipeline }, parsed, d, policy)), 'metering-unavailable');
});

const codeOfDisposition = (d: { kind: string; code?: string }) => d.code ?? d.kind;

test.run();

// Source kinds against a real NATS JetStream (NATS_URL), wired from a System as `companyos ingest` wires them:
// GitHub and OpenLineage payloads become graph facts, metering batches usage, their rejects dead letters.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { connect, headers, type NatsConnection } from 'nats';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openSystem, type System } from '../../bin/system.js';
import { TEST_SEED } from '../../test/test-events.js';
import { CostQueries } from '../../projections/costs/cost-queries.js';
import { loadConfig } from '../../schemas/config.js';
import { openTestAnalytics } from '../../test/analytics.js';
import type { ClickHouseStore } from '../analytics-store/clickhouse/index.js';
import { issueDevelopmentToken } from '../auth/jwt.js';
import { githubNodeId } from '../ingest/github.js';
import type { Disposition, IngestDelivery } from './ingest-delivery.js';
import type { RejectedRecords } from './ingest-metering.js';
import { ingestSubject } from './subjects.js';
import { deleteStreams, natsUrl, openTestStore, readStream, runId, waitFor, type StoredMessage, type TestStore } from '../../test/nats-support.js';
import { startNatsSide, type NatsSide } from './wiring.js';

const test = suite('nats jetstream sources');
const url = natsUrl();
const run = runId();
const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url), 'utf8'));
const quiet = () => {};

let nc: NatsConnection;
let store: TestStore;
let analytics: ClickHouseStore;
let system: System;
let dataDir: string;

test.before(async () => {
  if (!url) return;
  nc = await connect({ servers: url });
  store = await openTestStore(`nats_src_${run}`);
  analytics = await openTestAnalytics();
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-nats-sources-'));
  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_SIGNING_KEY: Buffer.from(TEST_SEED).toString('base64'), COMPANYOS_JWT_SECRET: 'test-secret-of-at-least-32-bytes!!' });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  system = await openSystem(config.right, { log: store.log, analytics });
});
test.after(async () => {
  if (!url) return;
  await system?.close();
  await analytics?.close();
  await store?.close();
  await nc?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The ingest of `system` on unique streams and subjects, with every disposition recorded. */
async function startSide(tag: string) {
  const t = `t${run}${tag}`;
  const ingest = { stream: `T${run}_${tag}_INGEST`, subjectPrefix: `${t}.ingest`, durable: `${t}-ingest`, deadLetterStream: `T${run}_${tag}_DL`, deadLetterPrefix: `${t}.deadletter.ingest` };
  const seen: [IngestDelivery, Disposition][] = [];
  const side: NatsSide = await startNatsSide(system, { natsUrl: url, databaseUrl: undefined, dataDir, pgSchema: 'unused' }, {
    relay: false,
    ingestOptions: { ...ingest, onDisposition: (d, x) => seen.push([d, x]), onError: quiet },
  });
  return {
    ...ingest,
    seen,
    async publish(tenant: string, kind: string, body: unknown, hdrs: Record<string, string>, msgID: string) {
      const h = headers();
      for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
      await nc.jetstream().publish(ingestSubject(ingest.subjectPrefix, tenant, kind), new TextEncoder().encode(JSON.stringify(body)), { headers: h, msgID });
    },
    /** The disposition of the message published with `msgID`, once handled. */
    dispositionOf: (msgID: string) => waitFor(`message ${msgID} handled`, () => seen.find(([d]) => d.header('Nats-Msg-Id') === msgID)?.[1]),
    deadLetters: async (): Promise<Map<string | undefined, StoredMessage>> => new Map((await readStream(nc, ingest.deadLetterStream)).map((m) => [m.header('Nats-Msg-Id'), m])),
    async close() {
      await side.close();
      await deleteStreams(nc, ingest.stream, ingest.deadLetterStream);
    },
  };
}

const eventsOf = (tenant: string) => store.log.readAll({ filter: { streamPrefixes: [`${tenant}/`] } });
const eventCount = async (tenant: string, atLeast: number) =>
  waitFor(`${atLeast} events of ${tenant} in the log`, async () => {
    const events = await eventsOf(tenant);
    return events.length >= atLeast ? events : undefined;
  });

if (!url) {
  console.log('skipped: nats jetstream sources (NATS_URL not set)');
} else {
  test('github: a push writes its Commit nodes; a re-sent push writes nothing; missing headers are dead-lettered', async () => {
    const side = await startSide('gh');
    const tenant = `gh${run}`;
    const push = fixture('github/push.json');
    const event = { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'd-1', 'Companyos-Region': 'us-east' };
    try {
      await side.publish(tenant, 'github', push, event, 'push-1');
      assert.equal(await side.dispositionOf('push-1'), { kind: 'ack', outcome: 'appended' });
      const events = await eventCount(tenant, 2);
      const repo = 'Codertocat/Hello-World';
      assert.equal(
        events.map((e) => [e.type, (e.data as { id: string }).id]),
        ['0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', '6113728f27ae82c7b1a177c8d03f9e96e0adf246'].map((sha) => ['graph.node.upserted', githubNodeId.commit(repo, sha)]),
      );
      const meta = events[0]!.metadata as { meta: { actor: unknown; correlationId: string } };
      assert.equal(meta.meta.actor, { id: 'service:nats-ingest', type: 'service', authn: 'system' });
      assert.is(meta.meta.correlationId, 'github-delivery:d-1');

      // GitHub's redelivery, re-published under a new message id: JetStream keeps it, the natural keys absorb it.
      await side.publish(tenant, 'github', push, event, 'push-2');
      assert.equal(await side.dispositionOf('push-2'), { kind: 'ack', outcome: 'replayed' }); // answered by natural key
      assert.is((await eventsOf(tenant)).length, 2);

      await side.publish(tenant, 'github', push, { 'Companyos-Region': 'us-east' }, 'no-event');
      await side.publish(tenant, 'github', push, { 'X-GitHub-Event': 'push' }, 'no-region');
      await side.dispositionOf('no-event');
      await side.dispositionOf('no-region');
      const dead = await side.deadLetters();
      assert.equal([dead.get('no-event')?.header('Companyos-Code'), dead.get('no-region')?.header('Companyos-Code')], ['bad-event-header', 'region-required']);
      assert.match(dead.get('no-event')!.header('Companyos-Reason') ?? '', /X-GitHub-Event/);
      assert.match(dead.get('no-region')!.header('Companyos-Reason') ?? '', /Companyos-Region/);
      assert.is(dead.get('no-event')!.subject, `${side.deadLetterPrefix}.${tenant}.github`);
      assert.is((await eventsOf(tenant)).length, 2);
    } finally {
      await side.close();
    }
  });

  test("a bearer token on a message makes its principal the actor (authn jwt); another tenant's token is dead-lettered", async () => {
    const side = await startSide('tok');
    const tenant = `tok${run}`;
    const body = { id: 'svc:tok', type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'bridge', observedAt: '2026-01-01T00:00:00Z' } };
    const token = (t: string) =>
      issueDevelopmentToken(system.jwtSecret!, system.config.jwt, { tenant: t, roles: ['service'], region: 'us-east', subject: 'service:bridge' }, Math.floor(Date.now() / 1000));
    try {
      await side.publish(tenant, 'graph.node.upsert', body, { Authorization: `Bearer ${await token(tenant)}` }, 'tok-1');
      assert.equal(await side.dispositionOf('tok-1'), { kind: 'ack', outcome: 'appended' });
      const [event] = await eventCount(tenant, 1);
      assert.equal((event!.metadata as { meta: { actor: unknown } }).meta.actor, { id: 'service:bridge', type: 'service', authn: 'jwt' });

      await side.publish(tenant, 'graph.node.upsert', { ...body, id: 'svc:tok2' }, { Authorization: `Bearer ${await token('someone-else')}` }, 'tok-2');
      await side.dispositionOf('tok-2');
      assert.is((await side.deadLetters()).get('tok-2')?.header('Companyos-Code'), 'tenant-mismatch');
      assert.is((await eventsOf(tenant)).length, 1);
    } finally {
      await side.close();
    }
  });

  test('openlineage: a COMPLETE RunEvent writes the Run and Dataset nodes and their edges', async () => {
    const side = await startSide('ol');
    const tenant = `ol${run}`;
    try {
      await side.publish(tenant, 'openlineage', fixture('openlineage/complete.json'), { 'Companyos-Region': 'us-east' }, 'ol-1');
      assert.equal(await side.dispositionOf('ol-1'), { kind: 'ack', outcome: 'appended' });
      const events = await eventCount(tenant, 6);
      const nodes = events.filter((e) => e.type === 'graph.node.upserted').map((e) => (e.data as { nodeType: string }).nodeType);
      const edges = events.filter((e) => e.type === 'graph.edge.asserted').map((e) => (e.data as { type: string }).type);
      assert.equal(nodes, ['Run', 'Dataset', 'Dataset']);
      assert.equal(edges, ['CONSUMES', 'PRODUCES', 'DERIVED_FROM']);

      await side.publish(tenant, 'openlineage', fixture('openlineage/complete.json'), {}, 'ol-no-region');
      assert.is((await side.dispositionOf('ol-no-region')).kind, 'dead-letter');
      assert.is((await side.deadLetters()).get('ol-no-region')?.header('Companyos-Code'), 'region-required');
    } finally {
      await side.close();
    }
  });

  test('metering: 2 valid and 1 invalid record: the 2 accounted, the 1 dead-lettered with its errors, the message acked', async () => {
    system.startProjectors({ headPollMs: 50, retryDelayMs: 50, onError: quiet });
    const side = await startSide('me');
    const tenant = `me${run}`;
    const record = (eventId: string, quantity: string) => ({ eventId, service: 'api', team: 't', meter: 'compute', quantity, unit: 'vcpu-hour', ts: '2026-03-20T00:00:00Z' });
    try {
      await side.publish(tenant, 'metering', { records: [record('a', '1'), record('b', '2'), record('c', '-1')] }, { 'Companyos-Region': 'us-east' }, 'meter-1');
      const d = await side.dispositionOf('meter-1');
      assert.equal([d.kind, d.kind === 'ack' ? d.outcome : ''], ['ack', 'appended']);

      const [batch] = (await eventCount(tenant, 1)).filter((e) => e.type === 'metering.batch.recorded');
      assert.equal((batch!.data as { records: { eventId: string }[] }).records.map((r) => r.eventId), ['a', 'b']);
      const costs = new CostQueries(async () => analytics);
      await waitFor('2 usage records accounted', async () => (await costs.usageCount(tenant)) === 2n, 30_000);

      const dead = (await side.deadLetters()).get('meter-1')!;
      assert.is(dead.subject, `${side.deadLetterPrefix}.${tenant}.metering`);
      assert.equal([dead.header('Companyos-Code'), dead.header('Companyos-Status')], ['invalid-records', '422']);
      assert.match(dead.header('Companyos-Reason') ?? '', /^1 of 3 records rejected: records\[2\]\.quantity/);
      const body = JSON.parse(new TextDecoder().decode(dead.data)) as RejectedRecords;
      assert.equal(body.rejected.map((r) => [r.index, r.eventId, r.record]), [[2, 'c', record('c', '-1')]]);
      assert.ok(body.rejected[0]!.errors.length > 0);

      // A bare array of records only invalid ones: the whole message is the dead letter.
      await side.publish(tenant, 'metering', [{ eventId: 'x' }], { 'Companyos-Region': 'us-east' }, 'meter-bad');
      assert.is((await side.dispositionOf('meter-bad')).kind, 'dead-letter');
      const whole = (await side.deadLetters()).get('meter-bad')!;
      assert.is(whole.header('Companyos-Code'), 'no-valid-records');
      assert.equal(JSON.parse(new TextDecoder().decode(whole.data)), [{ eventId: 'x' }]);
      assert.is((await costs.usageCount(tenant)), 2n);
    } finally {
      await side.close();
    }
  });
}

test.run();

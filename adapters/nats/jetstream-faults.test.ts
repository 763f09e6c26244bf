// Ingest faults against a real NATS JetStream (NATS_URL) and the real pipeline: a permanent fault is
// dead-lettered on its first delivery with its reason, a transient one is retried, and a forged
// Companyos-Actor header never reaches the sealed meta.actor.
import { connect, headers, type NatsConnection } from 'nats';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandPipeline } from '../../commands/pipeline.js';
import { LogUnavailableError } from '../event-log/index.js';
import { issueDevelopmentToken, jwtVerifier } from '../auth/jwt.js';
import type { Disposition, IngestDelivery } from './ingest-delivery.js';
import { startIngest, type IngestOptions } from './ingest.js';
import { ingestSubject } from './subjects.js';
import { deleteStreams, natsUrl, nodeUpsert, openTestStore, readStream, runId, testPipeline, waitFor, type TestStore } from '../../test/nats-support.js';

const test = suite('nats jetstream ingest faults');
const url = natsUrl();
const run = runId();
const quiet = () => {};
const secret = new TextEncoder().encode('ingest-faults-secret-of-32-bytes!!');
const jwt = { issuer: 'companyos-dev', audience: 'companyos' };

let nc: NatsConnection;
let store: TestStore;
let pipeline: CommandPipeline;

test.before(async () => {
  if (!url) return;
  nc = await connect({ servers: url });
  store = await openTestStore(`nats_fault_${run}`);
  pipeline = await testPipeline(store.log);
});
test.after(async () => {
  if (!url) return;
  await nc?.close();
  await store?.close();
});

/** An ingest on unique streams and subjects, every disposition recorded with its delivery. */
async function startSide(tag: string, target: CommandPipeline, extra: Partial<IngestOptions> & { tokens?: ReturnType<typeof jwtVerifier> } = {}) {
  const t = `t${run}${tag}`;
  const names = { stream: `T${run}_${tag}_INGEST`, subjectPrefix: `${t}.ingest`, durable: `${t}-ingest`, deadLetterStream: `T${run}_${tag}_DL`, deadLetterPrefix: `${t}.deadletter.ingest` };
  const seen: [IngestDelivery, Disposition][] = [];
  const { tokens, ...options } = extra;
  const ingest = await startIngest({ pipeline: target, nats: nc, ...(tokens ? { tokens } : {}) }, { ...names, backoffBaseMs: 20, onDisposition: (d, x) => seen.push([d, x]), onError: quiet, ...options });
  return {
    ingest,
    seen,
    /** Publishes raw bytes (a string is sent as its UTF-8). */
    async publish(tenant: string, kind: string, body: string, hdrs: Record<string, string>, msgID: string) {
      const h = headers();
      for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
      await nc.jetstream().publish(ingestSubject(names.subjectPrefix, tenant, kind), new TextEncoder().encode(body), { headers: h, msgID });
    },
    dispositionsOf: (msgID: string) => seen.filter(([d]) => d.header('Nats-Msg-Id') === msgID),
    deadLetters: async () => new Map((await readStream(nc, names.deadLetterStream)).map((m) => [m.header('Nats-Msg-Id'), m])),
    async close() {
      await ingest.close();
      await deleteStreams(nc, names.stream, names.deadLetterStream);
    },
  };
}

const json = (x: unknown) => JSON.stringify(x);
const eventsOf = (tenant: string) => store.log.readAll({ filter: { streamPrefixes: [`${tenant}/`] } });

if (!url) {
  console.log('skipped: nats jetstream ingest faults (NATS_URL not set)');
} else {
  test('permanent faults are dead-lettered on the first delivery with their reason; nothing is retried', async () => {
    const side = await startSide('perm', pipeline);
    const tenant = `perm${run}`;
    const upsert = 'graph.node.upsert';
    const deep = `{"d":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    // [msg id, subject kind, body, headers]; each can only ever be refused.
    const cases: [string, string, string, Record<string, string>][] = [
      ['bad-json', upsert, '{"id": ', {}],
      ['unknown-type', 'graph.node.frobnicate', json(nodeUpsert('svc:u')), {}],
      ['codec-violation', upsert, json({ ...nodeUpsert('svc:c'), type: 'Bogus' }), {}],
      ['nul-in-attribute', upsert, json(nodeUpsert('svc:nul', { name: 'a\u0000b' })), {}],
      ['lone-surrogate', upsert, json(nodeUpsert('svc:sur', { name: 'a\ud800b' })), {}],
      ['deep-json', upsert, deep, {}],
      ['policy-denial', upsert, json(nodeUpsert('svc:eu')), { 'Companyos-Region': 'eu-west' }],
      ['domain-refusal', 'graph.edge.assert', json({ type: 'DEPLOYS', from: 'deploy:none', to: 'svc:none', region: 'us-east', provenance: nodeUpsert('x').provenance }), {}],
    ];
    try {
      for (const [id, kind, body, h] of cases) await side.publish(tenant, kind, body, h, id);
      await waitFor(`${cases.length} messages handled`, () => side.seen.length >= cases.length);
      const dead = await waitFor(`${cases.length} dead letters`, async () => {
        const m = await side.deadLetters();
        return m.size >= cases.length ? m : undefined;
      });
      for (const [id] of cases) {
        const handled = side.dispositionsOf(id);
        assert.equal(handled.map(([d, x]) => [d.deliveryCount, x.kind]), [[1, 'dead-letter']], id);
        const letter = dead.get(id);
        assert.ok(letter, `${id} dead-lettered`);
        assert.is(letter!.header('Companyos-Deliveries'), '1', id);
        assert.match(letter!.header('Companyos-Status') ?? '', /^4\d\d$/, id);
        assert.ok((letter!.header('Companyos-Code') ?? '').length > 0, `${id} has a code`);
        assert.ok((letter!.header('Companyos-Reason') ?? '').length > 3, `${id} has a reason`);
      }
      const codes = Object.fromEntries([...dead].map(([id, m]) => [id, m.header('Companyos-Code')]));
      assert.equal([codes['bad-json'], codes['unknown-type'], codes['codec-violation'], codes['policy-denial'], codes['domain-refusal']], ['malformed-json', 'unknown-command', 'validation', 'forbidden', 'edge-end-not-found']);
      assert.is(side.ingest.stats().retried, 0);
      assert.equal((await eventsOf(tenant)).map((e) => e.type), ['access.denied']);
    } finally {
      await side.close();
    }
  });

  test('a transient fault (the log unavailable) is retried, and the message written once the log is back', async () => {
    let calls = 0;
    const flaky = {
      execute: async (...args: Parameters<CommandPipeline['execute']>) => {
        if (++calls === 1) throw new LogUnavailableError('event log unavailable (test)');
        return pipeline.execute(...args);
      },
    } as unknown as CommandPipeline;
    const side = await startSide('tran', flaky);
    const tenant = `tran${run}`;
    try {
      await side.publish(tenant, 'graph.node.upsert', json(nodeUpsert('svc:later')), {}, 'later-1');
      await waitFor('two deliveries', () => side.seen.length >= 2);
      assert.equal(side.seen.map(([d, x]) => [d.deliveryCount, x.kind]), [[1, 'retry'], [2, 'ack']]);
      assert.is((await eventsOf(tenant)).length, 1);
      assert.is((await readStream(nc, `T${run}_tran_DL`)).length, 0);
    } finally {
      await side.close();
    }
  });

  test('a forged Companyos-Actor header does not change the sealed meta.actor, with or without a token', async () => {
    const tokens = jwtVerifier(secret, jwt);
    const side = await startSide('actor', pipeline, { tokens });
    const tenant = `actor${run}`;
    const forged = { 'Companyos-Actor': 'service:github-webhook' };
    const token = await issueDevelopmentToken(secret, jwt, { tenant, roles: ['service'], region: 'us-east', subject: 'service:lineage-bridge' }, Math.floor(Date.now() / 1000));
    try {
      await side.publish(tenant, 'graph.node.upsert', json(nodeUpsert('svc:no-token')), forged, 'forged-1');
      await side.publish(tenant, 'graph.node.upsert', json(nodeUpsert('svc:token')), { ...forged, Authorization: `Bearer ${token}` }, 'forged-2');
      await waitFor('both handled', () => side.seen.length >= 2);
      assert.equal(side.seen.map(([, x]) => x.kind), ['ack', 'ack']);
      const events = await waitFor('2 events in the log', async () => {
        const e = await eventsOf(tenant);
        return e.length >= 2 ? e : undefined;
      });
      const actors = Object.fromEntries(
        events.map((e) => [(e.data as { id: string }).id, (e.metadata as { meta: { actor: unknown } }).meta.actor]),
      );
      assert.equal(actors, {
        'svc:no-token': { id: 'service:nats-ingest', type: 'service', authn: 'system' },
        'svc:token': { id: 'service:lineage-bridge', type: 'service', authn: 'jwt' },
      });
    } finally {
      await side.close();
    }
  });
}

test.run();

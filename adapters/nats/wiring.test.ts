// Start-up from configuration: without NATS_URL the relay feeds an in-process bus and there is no ingest;
// with it, a command published on NATS comes back out on NATS as a sealed event.
import { connect } from 'nats';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandPipeline } from '../../commands/pipeline.js';
import type { BusMessage } from './bus.js';
import { MemoryBus } from './memory-bus.js';
import { ingestSubject } from './subjects.js';
import { deleteStreams, natsUrl, nodeUpsert, openTestStore, runId, testPipeline, waitFor, type TestStore } from '../../test/nats-support.js';
import { startNatsSide } from './wiring.js';

const test = suite('nats wiring');
const run = runId();
let store: TestStore;
let pipeline: CommandPipeline;
const config = { natsUrl: undefined, databaseUrl: undefined, dataDir: '/nonexistent', pgSchema: 'unused' };

test.before(async () => {
  store = await openTestStore(`nats_wiring_${run}`);
  pipeline = await testPipeline(store.log);
});
test.after(async () => {
  await store?.close();
});

test('without NATS_URL: in-process bus, relay running, no ingest', async () => {
  const tenant = `w1${run}`;
  const side = await startNatsSide({ log: store.log, pipeline }, config, { relayOptions: { name: `w1-${run}`, filter: { streamPrefixes: [`${tenant}/`] } } });
  try {
    assert.ok(side.bus instanceof MemoryBus);
    assert.is(side.ingest, undefined);
    assert.is(side.description, 'in-process bus');
    const got: BusMessage[] = [];
    side.bus.subscribe(`companyos.${tenant}.>`, (m) => got.push(m));
    const r = await pipeline.execute('graph.node.upsert', nodeUpsert('svc:w'), { id: 'u', tenant, roles: ['editor'], region: 'us-east', authTime: undefined, authn: 'jwt' }, { requestId: 'w1', context: {} });
    assert.is(r._tag, 'Right');
    await waitFor('the event on the in-process bus', () => got.length >= 1);
    assert.is(got[0]!.subject, `companyos.${tenant}.graph_node.graph_node_upserted`);
  } finally {
    await side.close();
  }
});

test('with NATS_URL: a command in on NATS comes out on NATS', async () => {
  const url = natsUrl();
  if (!url) {
    console.log('skipped: nats wiring over NATS (NATS_URL not set)');
    return;
  }
  const tenant = `w2${run}`;
  const t = `w${run}`;
  const side = await startNatsSide({ log: store.log, pipeline }, { ...config, natsUrl: url }, {
    relayOptions: { name: `w2-${run}`, subjectPrefix: `${t}.companyos`, filter: { streamPrefixes: [`${tenant}/`] } },
    busOptions: { stream: `W${run}_EVENTS`, subjects: [`${t}.companyos.>`] },
    ingestOptions: { stream: `W${run}_INGEST`, subjectPrefix: `${t}.ingest`, durable: `${t}-ingest`, deadLetterStream: `W${run}_DL`, deadLetterPrefix: `${t}.deadletter.ingest` },
  });
  const nc = await connect({ servers: url });
  try {
    assert.ok(side.ingest);
    const got: string[] = [];
    const sub = nc.subscribe(`${t}.companyos.>`, { callback: (_e, m) => got.push(m.subject) });
    await nc.jetstream().publish(ingestSubject(`${t}.ingest`, tenant, 'graph.node.upsert'), new TextEncoder().encode(JSON.stringify(nodeUpsert('svc:w2'))), { msgID: 'w2-1' });
    await waitFor('the event on NATS', () => got.length >= 1);
    assert.equal(got, [`${t}.companyos.${tenant}.graph_node.graph_node_upserted`]);
    sub.unsubscribe();
  } finally {
    await side.close();
    await deleteStreams(nc, `W${run}_EVENTS`, `W${run}_INGEST`, `W${run}_DL`);
    await nc.close();
  }
});

test.run();

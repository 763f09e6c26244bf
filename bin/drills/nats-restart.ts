// Drill `nats-restart`: a private nats-server under relay and ingest load (4 HTTP writers whose events the
// relay publishes to COMPANYOS_EVENTS, 4 publishers of ingest messages, each re-sent with its Nats-Msg-Id
// until JetStream acknowledges it) is stopped (SIGTERM) for `seconds` and started on the same store.
// Detect: the first publish that failed. Recover: from the return to the first ingest message acknowledged.
// Found: acknowledged ingest messages in the log exactly once; duplicated counts ingest commands applied
// twice and log events published twice; every log event must reach COMPANYOS_EVENTS.
import { connect, type NatsConnection } from 'nats';
import { EVENTS_STREAM } from '../../adapters/nats/jetstream-bus.js';
import type { DrillOutcome } from '../../schemas/drill.js';
import { readStream } from '../../test/nats-support.js';
import { firstAfter, nodeBody, overHttp, startLoad } from './load.js';
import { openDrillStack } from './stack.js';
import { settle, until } from './wait.js';

interface Publishers {
  readonly acked: string[];
  readonly ackedAt: number[];
  readonly failedAt: number[];
  stop(): Promise<void>;
}

/** Ingest publishers: node upserts on `ingest.<tenant>.graph_node_upsert`, ids `ni-p<n>-<i>`, 50 ms apart. */
function startPublishers(nc: NatsConnection, tenant: string, count: number): Publishers {
  const acked: string[] = [];
  const ackedAt: number[] = [];
  const failedAt: number[] = [];
  let stopping = false;
  const one = async (p: number) => {
    for (let i = 0; !stopping; i++) {
      const id = `ni-p${p}-${i}`;
      const data = new TextEncoder().encode(JSON.stringify(nodeBody(id)));
      for (;;) {
        try {
          await nc.jetstream().publish(`ingest.${tenant}.graph_node_upsert`, data, { msgID: `drill:${id}`, timeout: 2_000 });
          acked.push(id);
          ackedAt.push(performance.now());
          await settle(50);
          break;
        } catch {
          failedAt.push(performance.now());
          await settle(100);
        }
      }
    }
  };
  const running = Promise.all(Array.from({ length: count }, (_, p) => one(p)));
  return {
    acked,
    ackedAt,
    failedAt,
    async stop() {
      stopping = true;
      await running;
    },
  };
}

export async function runNatsRestart(seconds: number, say: (line: string) => void): Promise<DrillOutcome> {
  const startedAt = new Date().toISOString();
  say('nats-restart: starting a private PostgreSQL cluster, a private nats-server and companyos serve');
  const stack = await openDrillStack({ proxy: false, nats: true });
  let nc: NatsConnection | undefined;
  try {
    const serve = await stack.start('serve');
    nc = await connect({ servers: stack.nats!.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const http = startLoad(overHttp(() => serve.base), stack.token, 4, 'nh');
    const ingest = startPublishers(nc, stack.tenant, 4);
    await until('40 commands and 40 ingest messages acknowledged', () => http.tally.acked.length >= 40 && ingest.acked.length >= 40);
    say(`nats-restart: ${http.tally.acked.length} commands and ${ingest.acked.length} ingest messages acknowledged; nats-server stopped for ${seconds} s`);
    await stack.nats!.stop('SIGTERM');
    const down = performance.now();
    await settle(seconds * 1000 - (performance.now() - down));
    await stack.nats!.start();
    const up = performance.now();
    const ingestedAtReturn = ingest.acked.length;
    await until('40 more ingest messages acknowledged', () => ingest.acked.length >= ingestedAtReturn + 40, 120_000);
    await Promise.all([http.stop(), ingest.stop()]);
    let counts = new Map<string, number>();
    await until('every acknowledged ingest message in the log', async () => {
      counts = await stack.nodeEventCounts('ni-');
      return ingest.acked.every((id) => counts.has(id));
    }, 120_000);
    const jsm = await nc.jetstreamManager();
    let logIds: string[] = [];
    await until('COMPANYOS_EVENTS holding every event of the log', async () => {
      logIds = await stack.logEventIds();
      return (await jsm.streams.info(EVENTS_STREAM)).state.messages >= logIds.length;
    }, 120_000);
    const relayCaughtUpMs = Math.round(performance.now() - up);
    const published = new Map<string | undefined, number>();
    for (const m of await readStream(nc, EVENTS_STREAM)) published.set(m.header('Nats-Msg-Id'), (published.get(m.header('Nats-Msg-Id')) ?? 0) + 1);
    const publishedTwice = [...published.values()].filter((n) => n > 1).length;
    const unpublished = logIds.filter((id) => !published.has(id)).length;
    const found = ingest.acked.filter((id) => counts.get(id) === 1).length;
    const duplicated = [...counts.values()].filter((n) => n > 1).length + publishedTwice;
    const httpClean = http.tally.unavailableAt.length === 0 && http.tally.transport === 0 && http.tally.other.size === 0;
    const detectMs = firstAfter(ingest.failedAt, down);
    const recoverMs = firstAfter(ingest.ackedAt, up);
    await serve.stop();
    return {
      drill: 'nats-restart',
      result: detectMs !== null && recoverMs !== null && found === ingest.acked.length && duplicated === 0 && unpublished === 0 && httpClean ? 'passed' : 'failed',
      startedAt,
      endedAt: new Date().toISOString(),
      faultMs: Math.round(up - down),
      detectMs,
      recoverMs,
      acknowledged: ingest.acked.length,
      found,
      duplicated,
      summary:
        `nats-server stopped for ${((up - down) / 1000).toFixed(1)} s under 4 HTTP writers and 4 ingest publishers: ${ingest.failedAt.filter((at) => at >= down).length} publishes failed meanwhile; ` +
        `HTTP commands unaffected: ${httpClean}; relay caught up ${(relayCaughtUpMs / 1000).toFixed(1)} s after the return: ${logIds.length} log events, ` +
        `${published.size} published, ${publishedTwice} twice, ${unpublished} missing`,
    };
  } finally {
    await nc?.close().catch(() => {});
    await stack.close();
  }
}

// The loopback TCP proxy of the network-fault tests, in front of the shared PostgreSQL, and what the pg
// adapter makes of its faults: latency keeps a session working; a partition makes a statement fail after
// the query timeout as LogTimeoutError (it may have run) and a new connection after the connect timeout
// as unavailable, never hang; a heal lets held bytes through; a reset is a lost connection.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LogTimeoutError, LogUnavailableError } from '../adapters/event-log/index.js';
import { isUnavailable, mapError } from '../adapters/event-log/postgres/errors.js';
import { openPostgres, type PostgresDatabase } from '../adapters/read-store/postgres/database.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
let proxy: TcpProxy;
let db: PostgresDatabase;

const test = suite('TCP proxy: network faults in front of PostgreSQL');
test.before(async () => {
  const target = new URL(DATABASE_URL);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  db = await openPostgres({ url: proxy.url(DATABASE_URL), poolSize: 2, queryTimeoutMs: 300, connectTimeoutMs: 300 });
});
test.after(async () => {
  proxy?.heal();
  await db?.close();
  await proxy?.close();
});

const one = () => db.withSession(async (s) => (await s.query<{ n: number }>('SELECT 1 AS n'))[0]!.n);
const failureOf = async (run: () => Promise<unknown>): Promise<unknown> => {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return assert.unreachable('it failed');
};

test('latency: statements still answer', async () => {
  proxy.latency(30);
  const answers = await db.withSession(async (s) => {
    const out: number[] = [];
    for (const n of [1, 2, 3]) out.push((await s.query<{ n: number }>('SELECT $1::int AS n', [String(n)]))[0]!.n);
    return out;
  });
  assert.equal(answers, [1, 2, 3]);
  proxy.latency(0);
});

test('partition: a statement fails as a timeout (it may have run), a new connection as unavailable; the heal lets them through again', async () => {
  assert.is(await one(), 1);
  proxy.partition();
  // The pooled connection's statement goes unanswered.
  const timedOut = await failureOf(one);
  assert.ok(isUnavailable(timedOut), String(timedOut));
  assert.instance(mapError(timedOut), LogTimeoutError);
  // A new connection's start-up goes unanswered too.
  const fresh = await openPostgres({ url: proxy.url(DATABASE_URL), poolSize: 1, connectTimeoutMs: 300 });
  try {
    const refused = await failureOf(() => fresh.withSession((s) => s.query('SELECT 1')));
    assert.ok(isUnavailable(refused), String(refused));
    assert.instance(mapError(refused), LogUnavailableError);
  } finally {
    await fresh.close();
  }
  proxy.heal();
  assert.is(await one(), 1);
});

test('reset: every open connection is lost; the next statement reconnects', async () => {
  const patient = await openPostgres({ url: proxy.url(DATABASE_URL), poolSize: 1 });
  try {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const hold = patient.withSession(async (s) => {
      await s.query('SELECT 1');
      started();
      return s.query('SELECT pg_sleep(5)');
    });
    await running;
    proxy.reset();
    const lost = await hold.then(() => undefined, (error: unknown) => error);
    assert.ok(isUnavailable(lost), String(lost));
    assert.is(await patient.withSession(async (s) => (await s.query<{ n: number }>('SELECT 1 AS n'))[0]!.n), 1);
  } finally {
    await patient.close();
  }
  assert.is(await one(), 1);
});

test.run();

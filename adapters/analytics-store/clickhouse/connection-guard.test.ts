// Which ClickHouse failures count as "the server is away": the real @clickhouse/client against a port that
// refuses connections and against a server that cuts each connection, both AnalyticsUnavailableError at
// open; a guarded store passes a statement's own error through unchanged and maps a socket error found in
// its cause chain; the projection runtime never takes an outage for the events' fault.
import { createServer } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isDeterministicFailure } from '../../../projections/failure-kind.js';
import { AnalyticsUnavailableError, type ClickHouseStore } from '../analytics-store.js';
import { guardConnection, isClickHouseUnreachable } from './connection-guard.js';
import { openClickHouse } from './database.js';

const test = suite('ClickHouse connection guard');

const failureOf = async (run: () => Promise<unknown>): Promise<unknown> => {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return assert.unreachable('it failed');
};

/** A port with nothing listening: bound, then closed. */
const closedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

test('the real client against a refused port: AnalyticsUnavailableError at open', async () => {
  const error = await failureOf(async () => openClickHouse({ url: `http://127.0.0.1:${await closedPort()}`, database: 'nowhere' }));
  assert.instance(error, AnalyticsUnavailableError);
  assert.ok(isClickHouseUnreachable(error));
  assert.not.ok(isDeterministicFailure(error));
});

test('the real client against a server that cuts every connection: AnalyticsUnavailableError at open', async () => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    const { port } = server.address() as { port: number };
    const error = await failureOf(() => openClickHouse({ url: `http://127.0.0.1:${port}`, database: 'nowhere' }));
    assert.instance(error, AnalyticsUnavailableError, String(error));
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test("a guarded store: a statement's own error unchanged, a socket error in the cause chain mapped", async () => {
  const syntax = Object.assign(new Error('Code: 62. DB::Exception: Syntax error'), { code: '62' });
  const reset = new Error('request failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
  let next: Error = syntax;
  const failing: ClickHouseStore = {
    kind: 'server',
    database: 'db',
    command: async () => Promise.reject(next),
    insert: async () => Promise.reject(next),
    query: async () => Promise.reject(next),
    close: async () => {},
  };
  const store = guardConnection(failing);
  assert.is(await failureOf(() => store.query('SELEC 1')), syntax);
  next = reset;
  for (const call of [() => store.query('SELECT 1'), () => store.command('SELECT 1'), () => store.insert('t', [{}])]) {
    const error = await failureOf(call);
    assert.instance(error, AnalyticsUnavailableError);
    assert.is((error as Error).cause, reset);
    assert.not.ok(isDeterministicFailure(error));
  }
});

test.run();

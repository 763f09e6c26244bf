// The wiring of the real-server outage variant, runnable without a ClickHouse server: the server adapter
// (HTTP client and connection guard) reaches a stand-in that answers ClickHouse's HTTP interface as an empty
// server would (/ping "Ok.", every statement 200 with no rows) through the loopback proxy; a refused and a
// partitioned link both surface as AnalyticsUnavailableError, and requests succeed again once it is back.
import { createServer, type Server } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AnalyticsUnavailableError } from '../adapters/analytics-store/clickhouse/index.js';
import { openClickHouseBehindProxy } from './clickhouse-behind-proxy.js';

const test = suite('ClickHouse server behind the loopback proxy');

let standIn: Server;
let url: string;
const statements: string[] = [];

test.before(async () => {
  standIn = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/ping') return res.end('Ok.\n');
      statements.push(new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? body);
      res.setHeader('X-ClickHouse-Summary', '{"read_rows":"0"}');
      res.end('');
    });
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(standIn.address() as { port: number }).port}`;
});

test.after(async () => {
  standIn.closeAllConnections();
  await new Promise((resolve) => standIn.close(resolve));
});

for (const fault of ['refused', 'partitioned'] as const) {
  test(`a ${fault} link is AnalyticsUnavailableError, and the same store works again afterwards`, async () => {
    const analytics = await openClickHouseBehindProxy(url, fault);
    try {
      assert.ok(statements.some((s) => /^CREATE DATABASE IF NOT EXISTS outage_/.test(s)), 'the database was created through the proxy');
      await analytics.store.command('SELECT 1');
      assert.equal(await analytics.store.query('SELECT 1'), []);
      const reached = analytics.proxy.stats.accepted;
      assert.ok(reached > 0, 'the client went through the proxy');

      await analytics.down();
      const failed = await analytics.store.query('SELECT 1').then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.instance(failed, AnalyticsUnavailableError);
      assert.match((failed as Error).message, /cannot be reached/);

      await analytics.up();
      const count = statements.length;
      await analytics.store.command('SELECT 2');
      const since = statements.slice(count);
      assert.ok(since.includes('SELECT 2'), JSON.stringify(since));
      // A request the client gave up on may still reach the server once a partition heals, as over real TCP
      // when its bytes were sent before the client closed (inserts are deduped on read: ReplacingMergeTree
      // + FINAL); at most once, and never after a refusal, where nothing was sent.
      const late = since.filter((s) => s !== 'SELECT 2');
      assert.ok(late.length <= (fault === 'partitioned' ? 1 : 0), JSON.stringify(since));
      assert.ok(late.every((s) => s.startsWith('SELECT 1')), JSON.stringify(since));
    } finally {
      await analytics.close();
    }
    assert.ok(statements.some((s) => /^DROP DATABASE IF EXISTS outage_/.test(s)), 'the database is dropped on close');
  });
}

test.run();

// The ClickHouse read-store adapter on embedded chDB (always) and on a server (when CLICKHOUSE_URL is
// set): migrations, parameters, 64-bit and DateTime64 round trips, deduplication of re-inserted events,
// and chDB's one-process-per-data-directory rule. One database per target.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ACTOR_ACTIVITY_SQL,
  AUDIT_TABLE,
  auditMigrations,
  migrateClickHouse,
  openClickHouse,
  RESOURCE_ACTIVITY_SQL,
  toClickHouseTime,
  type AuditRow,
  type ClickHouseStore,
} from './index.js';

const run = Math.random().toString(36).slice(2, 8);
const root = resolve(import.meta.dirname, '../../..');

/** An audit row as inserted: the insert path also takes 64-bit integers as numbers and bigints. */
type InsertedAuditRow = Omit<AuditRow, 'position'> & { readonly position: string | number | bigint };
const auditRow = (overrides: Partial<InsertedAuditRow> = {}): InsertedAuditRow => ({
  tenant: 'acme',
  time: '2026-03-04T05:06:07.089Z',
  actor_id: 'u-1',
  actor_type: 'user',
  action: 'graph.node.upsert',
  resource: 'acme/graph.node/n1',
  outcome: 'allowed',
  decision_id: randomUUID(),
  policy_version: 'p-1',
  region: 'eu-west',
  request_id: 'req-1',
  event_id: randomUUID(),
  position: '1',
  hash: 'a'.repeat(64),
  reason: 'permit: editor',
  purpose: '',
  ...overrides,
});

interface Target {
  readonly name: string;
  open(): Promise<ClickHouseStore>;
  /** chDB data directory, for the second-process test. */
  readonly path?: string;
  cleanup(store: ClickHouseStore): Promise<void>;
}

function storeSuite(target: Target): void {
  const test = suite(`clickhouse store (${target.name})`);
  let store: ClickHouseStore;

  test.before(async () => {
    store = await target.open();
  });
  test.after(async () => {
    await target.cleanup(store);
  });

  test('opens on its database, in UTC', async () => {
    assert.ok(store.kind === 'chdb' || store.kind === 'server');
    const [row] = await store.query<{ db: string; tz: string }>('SELECT currentDatabase() AS db, timezone() AS tz');
    assert.equal(row, { db: store.database, tz: 'UTC' });
  });

  test('migrations apply once; a re-run applies nothing; duplicate ids are refused', async () => {
    assert.equal(await migrateClickHouse(store, auditMigrations), ['audit/0001-audit-events', 'audit/0002-purpose']);
    assert.equal(await migrateClickHouse(store, auditMigrations), []);
    const extra = { id: 'test/0001-extra', statements: ['CREATE TABLE IF NOT EXISTS extra (a UInt8) ENGINE = MergeTree ORDER BY a'] };
    assert.equal(await migrateClickHouse(store, [...auditMigrations, extra]), ['test/0001-extra']);
    const recorded = await store.query<{ id: string }>('SELECT id FROM schema_migrations FINAL ORDER BY id');
    assert.equal(recorded.map((r) => r.id), ['audit/0001-audit-events', 'audit/0002-purpose', 'test/0001-extra']);
    try {
      await migrateClickHouse(store, [extra, extra]);
      assert.unreachable('duplicate ids accepted');
    } catch (err) {
      assert.match((err as Error).message, /duplicate ClickHouse migration id test\/0001-extra/);
    }
  });

  test('a failing migration names itself and is not recorded', async () => {
    const bad = { id: 'test/0002-bad', statements: ['CREATE TABLE nope (a NoSuchType) ENGINE = MergeTree ORDER BY a'] };
    try {
      await migrateClickHouse(store, [bad]);
      assert.unreachable('bad migration accepted');
    } catch (err) {
      assert.match((err as Error).message, /ClickHouse migration test\/0002-bad failed/);
    }
    const recorded = await store.query('SELECT id FROM schema_migrations WHERE id = {id:String}', { id: bad.id });
    assert.equal(recorded, []);
  });

  test('insert rows, query them back with parameters', async () => {
    const rows = [
      auditRow({ actor_id: 'u-q', time: '2026-03-01T00:00:00.000Z', request_id: 'r1' }),
      auditRow({ actor_id: 'u-q', time: '2026-03-02T00:00:00.000Z', request_id: 'r2', outcome: 'denied', action: 'access.denied' }),
      auditRow({ actor_id: 'u-q', time: '2026-05-01T00:00:00.000Z', request_id: 'r3' }),
      auditRow({ actor_id: 'u-other', time: '2026-03-01T12:00:00.000Z', request_id: 'r4' }),
      auditRow({ tenant: 'other', actor_id: 'u-q', time: '2026-03-01T12:00:00.000Z', request_id: 'r5' }),
    ];
    await store.insert(AUDIT_TABLE, rows);
    const found = await store.query<AuditRow>(ACTOR_ACTIVITY_SQL, {
      tenant: 'acme',
      actor: 'u-q',
      from: new Date('2026-02-15T00:00:00Z'),
      to: new Date('2026-03-16T00:00:00Z'),
      limit: 100,
    });
    assert.equal(found.map((r) => r.request_id), ['r2', 'r1']);
    assert.equal(found[0], { ...rows[1], position: '1', time: '2026-03-02T00:00:00.000Z' });
    const limited = await store.query<AuditRow>(ACTOR_ACTIVITY_SQL, {
      tenant: 'acme',
      actor: 'u-q',
      from: '2026-01-01 00:00:00.000',
      to: '2026-12-31 00:00:00.000',
      limit: 1,
    });
    assert.equal(limited.map((r) => r.request_id), ['r3']);
    const byResource = await store.query<AuditRow>(RESOURCE_ACTIVITY_SQL, {
      tenant: 'other',
      resource: 'acme/graph.node/n1',
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-12-31T00:00:00Z'),
      limit: 10,
    });
    assert.equal(byResource.map((r) => r.request_id), ['r5']);
  });

  test('string and array parameters are bound, not spliced', async () => {
    const tricky = "it's a \\ back\tslash\nand 'quotes' -- ; DROP TABLE x";
    const [row] = await store.query<{ s: string; n: string; a: string[] }>(
      'SELECT {s:String} AS s, length({s:String}) AS n, {a:Array(String)} AS a',
      { s: tricky, a: ["o'k", 'b\\c'] },
    );
    assert.equal(row, { s: tricky, n: String(Buffer.byteLength(tricky)), a: ["o'k", 'b\\c'] });
  });

  test('64-bit integers come back as exact decimal strings', async () => {
    const max = '18446744073709551615';
    const big = 2n ** 63n + 1n;
    await store.insert(AUDIT_TABLE, [
      auditRow({ actor_id: 'u-64', request_id: 'max', position: max }),
      auditRow({ actor_id: 'u-64', request_id: 'big', position: big }),
      auditRow({ actor_id: 'u-64', request_id: 'small', position: 7 }),
    ]);
    const rows = await store.query<{ request_id: string; position: string }>(
      "SELECT request_id, position FROM audit_events WHERE actor_id = 'u-64' ORDER BY position",
    );
    assert.equal(rows, [
      { request_id: 'small', position: '7' },
      { request_id: 'big', position: big.toString() },
      { request_id: 'max', position: max },
    ]);
    const [p] = await store.query<Record<string, unknown>>(
      'SELECT {u:UInt64} AS u, {i:Int64} AS i, {b:UInt64} AS b, toUInt32(42) AS small, count() AS c FROM audit_events WHERE position = {u:UInt64}',
      { u: max, i: '-9223372036854775808', b: big },
    );
    assert.equal(p, { u: max, i: '-9223372036854775808', b: big.toString(), small: 42, c: '1' });
  });

  test('DateTime64 round-trips in UTC: offsets converted, milliseconds kept, Date params exact', async () => {
    await store.insert(AUDIT_TABLE, [
      auditRow({ actor_id: 'u-time', request_id: 'offset', time: '2026-03-04T05:06:07.089+02:00' }),
      auditRow({ actor_id: 'u-time', request_id: 'plain', time: '2026-03-04 03:06:08.5' }),
    ]);
    const rows = await store.query<{ request_id: string; time: string }>(
      "SELECT request_id, time FROM audit_events WHERE actor_id = 'u-time' ORDER BY time",
    );
    assert.equal(rows, [
      { request_id: 'offset', time: '2026-03-04T03:06:07.089Z' },
      { request_id: 'plain', time: '2026-03-04T03:06:08.500Z' },
    ]);
    const at = new Date('2026-03-04T03:06:07.089Z');
    const exact = await store.query<{ request_id: string }>(
      "SELECT request_id FROM audit_events WHERE actor_id = 'u-time' AND time = {at:DateTime64(3, 'UTC')}",
      { at },
    );
    assert.equal(exact, [{ request_id: 'offset' }]);
    assert.equal(toClickHouseTime(at), '2026-03-04 03:06:07.089');
    assert.equal(toClickHouseTime('2026-03-04T05:06:07.089+02:00'), '2026-03-04 03:06:07.089');
    // A column or expression without a declared zone is read and shown in the session zone, UTC.
    const [naive] = await store.query<{ t: string; d: string }>(
      "SELECT toDateTime64('2026-03-04 03:06:07.089', 3) AS t, toDateTime('2026-03-04 03:06:07') AS d",
    );
    assert.equal(naive, { t: '2026-03-04T03:06:07.089Z', d: '2026-03-04T03:06:07Z' });
  });

  test('a re-inserted event collapses on read (FINAL) and after a merge', async () => {
    const row = auditRow({ actor_id: 'u-dup', request_id: 'dup' });
    await store.insert(AUDIT_TABLE, [row]);
    await store.insert(AUDIT_TABLE, [row]); // a replay: a second part with the same key
    const params = { tenant: 'acme', actor: 'u-dup', from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z'), limit: 10 };
    const [raw] = await store.query<{ c: string }>("SELECT count() AS c FROM audit_events WHERE actor_id = 'u-dup'");
    assert.equal(raw?.c, '2', 'both copies are stored until a merge');
    const read = await store.query<AuditRow>(ACTOR_ACTIVITY_SQL, params);
    assert.equal(read.map((r) => r.event_id), [row.event_id]);
    await store.command('OPTIMIZE TABLE audit_events FINAL');
    const [merged] = await store.query<{ c: string }>("SELECT count() AS c FROM audit_events WHERE actor_id = 'u-dup'");
    assert.equal(merged?.c, '1');
  });

  test('bad table names are refused before any SQL is built', async () => {
    try {
      await store.insert('audit_events; DROP TABLE x', [auditRow()]);
      assert.unreachable('bad table name accepted');
    } catch (err) {
      assert.instance(err, TypeError);
    }
    await store.insert(AUDIT_TABLE, []); // nothing to do is not an error
  });

  if (target.path) {
    const path = target.path;
    test('a second process on the same data directory fails with a clear message', async () => {
      const entry = pathToFileURL(join(root, 'adapters/analytics-store/clickhouse/index.ts')).href;
      const script = `
        const { openClickHouse } = await import(${JSON.stringify(entry)});
        try {
          await openClickHouse({ path: ${JSON.stringify(path)}, database: 'x' });
          console.log('OPENED');
        } catch (err) {
          console.log(JSON.stringify({ name: err.name, message: err.message }));
        }`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: root,
        timeout: 60_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').pop()!) as { name: string; message: string };
      assert.is(result.name, "ClickHouseDataPathInUseError", result.message);
      assert.match(result.message, `${path} is in use by another process`);
    });
  }

  test('close is idempotent and later calls fail', async () => {
    const other = target.path ? undefined : await target.open();
    const closing = other ?? store;
    await closing.close();
    await closing.close();
    for (const call of [() => closing.query('SELECT 1'), () => closing.insert(AUDIT_TABLE, [auditRow()]), () => closing.command('SELECT 1')]) {
      try {
        await call();
        assert.unreachable('call after close');
      } catch (err) {
        assert.match((err as Error).message, /ClickHouse store \((chdb|server), \w+\) is closed/);
      }
    }
  });

  test.run();
}

// ---- registration ---------------------------------------------------------------------------------

const chdbDir = await mkdtemp(join(tmpdir(), 'companyos-chdb-'));
storeSuite({
  name: 'chdb',
  path: chdbDir,
  open: () => openClickHouse({ path: chdbDir, database: `audit_test_${run}` }),
  // The last test closed it already; close is idempotent.
  cleanup: async (store) => {
    await store.close();
    await rm(chdbDir, { recursive: true, force: true });
  },
});

const url = process.env.CLICKHOUSE_URL;
if (url) {
  const database = `audit_test_${run}`;
  storeSuite({
    name: 'server',
    open: () => openClickHouse({ url, database }),
    cleanup: async (store) => {
      await store.close();
      const admin = await openClickHouse({ url, database: 'default' });
      await admin.command(`DROP DATABASE IF EXISTS ${database}`);
      await admin.close();
    },
  });
} else {
  console.log('skipped: ClickHouse server suite (CLICKHOUSE_URL not set)');
}

// The event-log contract on PGlite (always) and on PostgreSQL (when DATABASE_URL is set), plus what is
// PostgreSQL-specific: late commits (held by a hook, or by a raw SQL transaction), NOTIFY between
// instances, migrations, type mapping, PGlite persistence. One database per backend, a schema per suite.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DuplicateEventIdError, type EventDraft, type RecordedEvent } from '../event-log.js';
import { eventLogContract, type EventLogHarness } from '../event-log.contract.js';
import { dropSchema, migrate, openPostgres, type Migration, type PostgresDatabase } from '../../read-store/postgres/database.js';
import { PostgresEventLog, sequencerLockKey, type PostgresEventLogOptions } from './event-log.js';
import { until } from '../../../test/until-value.js';

const run = Math.random().toString(36).slice(2, 8);
let schemas = 0;
const freshSchema = () => `fabric_test_${run}_${schemas++}`;

const ev = (data: EventDraft['data'] = {}, type = 'pg.test'): EventDraft => ({
  id: randomUUID(),
  type,
  data,
  metadata: { by: 'event-log.test' },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);

/** Pull `count` events from an iterator, bounded by the guard. */
async function take(it: AsyncIterator<RecordedEvent>, count: number): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  while (out.length < count) {
    const next = await guard(it.next(), `subscription (${out.length}/${count})`);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

async function guard<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no progress within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function readAllAtLeast(log: PostgresEventLog, after: bigint, prefix: string, count: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const events = await log.readAll({ after, filter: { streamPrefixes: [prefix] } });
    if (events.length >= count || Date.now() > deadline) return events;
    await sleep(10);
  }
}

/** Every read of a log page ($all after a position) goes through `onPageRead`, which may count, hold or fail it. */
type PageRead = <R>(text: string, params: readonly (string | null)[] | undefined, run: () => Promise<R[]>) => Promise<R[]>;
function interceptPageReads(database: PostgresDatabase, onPageRead: PageRead): PostgresDatabase {
  return {
    ...database,
    withSession: (fn) =>
      database.withSession((s) =>
        fn({
          ...s,
          query: <R,>(text: string, params?: readonly (string | null)[]) =>
            /WHERE position > /.test(text) ? onPageRead<R>(text, params, () => s.query<R>(text, params)) : s.query<R>(text, params),
        }),
      ),
  };
}

/** A fresh log in its own schema; cleanup closes it and drops the schema. */
async function openLog(
  database: PostgresDatabase,
  options: PostgresEventLogOptions = {},
): Promise<{ log: PostgresEventLog; schema: string; cleanup(): Promise<void> }> {
  const schema = freshSchema();
  const log = await PostgresEventLog.open(database, { schema, ...options });
  return {
    log,
    schema,
    async cleanup() {
      await log.close();
      await dropSchema(database, schema);
    },
  };
}

/** Contract harness; on a server, commits are randomly delayed while `lateCommits` is on. */
function harness(database: PostgresDatabase): () => Promise<EventLogHarness> {
  return async () => {
    let late = false;
    const opened = await openLog(database, {
      ...(database.kind === 'pg' ? { maxInFlight: 4 } : {}),
      hooks: {
        async beforeCommit() {
          if (late && Math.random() < 0.3) await sleep(1 + Math.random() * 15);
        },
      },
    });
    return {
      log: opened.log,
      cleanup: opened.cleanup,
      ...(database.kind === 'pg' ? { lateCommits: (on: boolean) => void (late = on) } : {}),
    };
  };
}

function specificSuite(name: string, database: PostgresDatabase, url: string | undefined): void {
  const test = suite(`${name}: postgres specifics`);

  if (url) {
    test('late commit held in the adapter: readers stall behind it, then see it first', async () => {
      let reached!: () => void;
      const atHook = new Promise<void>((r) => (reached = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const p = `late${randomUUID().slice(0, 8)}`;
      const { log, cleanup } = await openLog(database, {
        maxInFlight: 4,
        hooks: {
          async beforeCommit({ streams }) {
            if (streams.includes(`${p}/late`)) {
              reached();
              await gate;
            }
          },
        },
      });
      try {
        const marker = await log.append(`${p}/marker`, 'no-stream', [ev()]);
        const sub = log.subscribe({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } });
        const seen: RecordedEvent[] = [];
        const following = (async () => {
          for await (const e of sub) {
            seen.push(e);
            if (seen.length === 4) return;
          }
        })();
        const lateEvent = ev({ late: true });
        const lateAppend = log.append(`${p}/late`, 'no-stream', [lateEvent]);
        await guard(atHook, 'late append reached the hook');
        const later: EventDraft[] = [];
        for (const s of ['a', 'b', 'c']) {
          const e = ev({ s });
          later.push(e);
          await guard(log.append(`${p}/${s}`, 'no-stream', [e]), 'append behind a held commit'); // commits first
        }
        // The held transaction is in progress, so nothing after it may be returned yet.
        assert.equal(await log.readAll({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } }), []);
        assert.equal(seen, []);
        release();
        const lateResult = await lateAppend;
        const all = await readAllAtLeast(log, marker.position, `${p}/`, 4);
        assert.equal(ids(all), ids([lateEvent, ...later]));
        assert.is(all[0]!.position, lateResult.position);
        await guard(following, 'subscriber');
        assert.equal(ids(seen), ids(all));
        await sub.close();
      } finally {
        release();
        await cleanup();
      }
    });

    test('late commit by a raw SQL writer that follows the sequencer protocol is not skipped', async () => {
      const { log, schema, cleanup } = await openLog(database);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const p = `raw${randomUUID().slice(0, 8)}`;
      try {
        const marker = await log.append(`${p}/marker`, 'no-stream', [ev()]);
        const rawId = randomUUID();
        const key = sequencerLockKey(schema).toString();
        await client.query('BEGIN');
        await client.query(`SELECT pg_advisory_lock(${key})`);
        const inserted = await client.query(
          `INSERT INTO ${schema}.events (id, stream, revision, type, data, metadata)
           VALUES ($1, $2, 0, 'raw', '{"raw":true}', '{}') RETURNING position`,
          [rawId, `${p}/raw`],
        );
        await client.query(`SELECT pg_advisory_unlock(${key})`);
        const later = [ev({ n: 1 }), ev({ n: 2 })];
        await log.append(`${p}/x`, 'no-stream', [later[0]!]);
        await log.append(`${p}/y`, 'no-stream', [later[1]!]);
        assert.equal(await log.readAll({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } }), []);
        await client.query('COMMIT');
        const all = await readAllAtLeast(log, marker.position, `${p}/`, 3);
        assert.equal(ids(all), [rawId, ...ids(later)]);
        assert.is(String(all[0]!.position), String(inserted.rows[0].position));
      } finally {
        await client.query('ROLLBACK').catch(() => {});
        await client.end();
        await cleanup();
      }
    });
    test('a commit an older open transaction hides at its NOTIFY still reaches followers, without the poll', async () => {
      // Readers stop below the xmin horizon, which the old transaction holds under this process's commit;
      // the commit's NOTIFY comes once, while the event is not yet readable, and the old transaction's end announces nothing.
      const { log, cleanup } = await openLog(database, { pollIntervalMs: 3_600_000 });
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const p = `hidden${randomUUID().slice(0, 8)}`;
      try {
        const marker = await log.append(`${p}/marker`, 'no-stream', [ev()]);
        const sub = log.subscribe({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } });
        const first = sub[Symbol.asyncIterator]().next();
        await client.query('BEGIN');
        await client.query('SELECT pg_current_xact_id()'); // an xid older than the append's
        const e = ev({ hidden: true });
        await log.append(`${p}/s`, 'no-stream', [e]);
        await sleep(50);
        assert.equal(await log.readAll({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } }), [], 'hidden while the old transaction is open');
        await client.query('COMMIT');
        assert.is((await guard(first, 'the hidden commit, once the old transaction ended')).value?.id, e.id);
        await sub.close();
      } finally {
        await client.query('ROLLBACK').catch(() => {});
        await client.end();
        await cleanup();
      }
    });
  }

  test('another log instance on the schema hears appends through NOTIFY (no polling)', async () => {
    const { log, schema, cleanup } = await openLog(database);
    const other = await PostgresEventLog.open(database, { schema, pollIntervalMs: 3_600_000 });
    const p = `notify${randomUUID().slice(0, 8)}`;
    try {
      const marker = await log.append(`${p}/marker`, 'no-stream', [ev()]);
      const sub = other.subscribe({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } });
      const it = sub[Symbol.asyncIterator]();
      const first = it.next();
      // Keep appending: a read woken by one notification may still be behind the xmin horizon.
      let received = false;
      void first.then(() => (received = true));
      for (let i = 0; !received && i < 300; i++) {
        await log.append(`${p}/s`, 'any', [ev({ i })]);
        await Promise.race([first, sleep(100)]);
      }
      const got = await guard(first, 'notification');
      assert.equal(got.value?.data, { i: 0 });
      await sub.close();
    } finally {
      await other.close();
      await cleanup();
    }
  });

  test('subscriptions at the head share the tail: one read per commit, not one per subscription', async () => {
    let tailReads = 0;
    const counted = interceptPageReads(database, (_text, _params, run) => {
      tailReads++;
      return run();
    });
    const { log, cleanup } = await openLog(counted, { pollIntervalMs: 3_600_000 });
    const p = `tail${randomUUID().slice(0, 8)}`;
    try {
      const marker = await log.append(`${p}/marker`, 'no-stream', [ev()]);
      const subs = [
        ...Array.from({ length: 5 }, () => log.subscribe({ after: marker.position })),
        log.subscribe({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } }),
        log.subscribe({ after: marker.position, filter: { eventTypePrefixes: ['pg.test'] } }),
        log.subscribe({ after: marker.position, filter: { eventTypePrefixes: ['pg.other'] } }),
      ];
      const its = subs.map((s) => s[Symbol.asyncIterator]());
      const APPENDS = 5;
      // The first append is caught up by each subscription's own read; the next ones come from the tail.
      let before = 0;
      for (let i = 0; i < APPENDS + 1; i++) {
        if (i === 1) before = tailReads;
        const e = ev({ i });
        const got = Promise.all(its.slice(0, 7).map((it) => guard(it.next(), `subscriber, append ${i}`)));
        await log.append(`${p}/s`, 'any', [e]);
        for (const r of await got) assert.is(r.value?.id, e.id);
      }
      const perAppend = (tailReads - before) / APPENDS;
      // Reading for itself, each of the 8 would read at least once per commit.
      assert.ok(perAppend <= 3, `${tailReads - before} tail reads for ${APPENDS} appends and ${subs.length} subscriptions`);
      await Promise.all(subs.map((s) => s.close()));
    } finally {
      await cleanup();
    }
  });

  test("a commit's NOTIFY carries its last position, and this process's own commit's NOTIFY costs no read", async () => {
    let tailReads = 0;
    const heard: string[] = [];
    const counted = interceptPageReads(database, (_text, _params, run) => {
      tailReads++;
      return run();
    });
    const { log, cleanup } = await openLog(
      {
        ...counted,
        listen: (channel, onNotify) =>
          database.listen(channel, (payload) => {
            onNotify(payload);
            heard.push(payload);
          }),
      },
      { pollIntervalMs: 3_600_000 },
    );
    const p = `own${randomUUID().slice(0, 8)}`;
    try {
      const marker = await log.append(`${p}/marker`, 'no-stream', [ev()]);
      const sub = log.subscribe({ after: marker.position });
      const it = sub[Symbol.asyncIterator]();
      // Caught up by its own read; from the first append on, the tail reads for it.
      let next = it.next();
      const APPENDS = 10;
      let before = -1;
      for (let i = 0; i < APPENDS + 1; i++) {
        if (i === 1) before = tailReads;
        const e = ev({ i });
        const written = await log.append(`${p}/s`, 'any', [e]);
        assert.is((await guard(next, `append ${i}`)).value?.id, e.id);
        next = it.next(); // hungry again before the NOTIFY arrives or after: either way it must not cause a read
        // The first append may come before the subscription's LISTEN; the read that took it came after.
        if (i === 0) continue;
        await until(`the NOTIFY of position ${written.position}`, async () => heard.includes(written.position.toString()) || undefined, 30_000);
      }
      await sleep(50); // a read the NOTIFYs caused would have been counted by now
      assert.ok(tailReads - before <= APPENDS + 1, `${tailReads - before} tail reads for ${APPENDS} appends (a NOTIFY's read would make it twice that)`);
      await sub.close();
    } finally {
      await cleanup();
    }
  });

  // A server only: the test holds a read inside its session, and PGlite has one session.
  if (url) test('a subscription that joins the tail while it reads for others is served by the next read, with its own filter', async () => {
    const p = `join${randomUUID().slice(0, 8)}`;
    const [typeA, typeB] = [`${p}.a`, `${p}.b`];
    let release: (() => void) | undefined;
    let armed = false;
    let held = 0;
    let readsForB = 0;
    const gated = interceptPageReads(database, async (_text, params, run) => {
      const patterns = (params ?? []).filter((v) => typeof v === 'string' && v.endsWith('%'));
      // Hold the tail's read for A alone (once), while B reads for itself and joins.
      if (armed && held === 0 && patterns.length === 1 && patterns[0]!.startsWith(typeA)) {
        held++;
        await new Promise<void>((r) => (release = r));
      }
      if (patterns.length === 1 && patterns[0]!.startsWith(typeB)) {
        const rows = await run();
        readsForB++;
        return rows;
      }
      return run();
    });
    const { log, cleanup } = await openLog(gated, { pollIntervalMs: 3_600_000 });
    try {
      const marker = await log.append(`${p}/marker`, 'no-stream', [ev()]);
      const a = log.subscribe({ after: marker.position, filter: { eventTypePrefixes: [typeA] } });
      const aIt = a[Symbol.asyncIterator]();
      const firstA = ev({ n: 1 }, typeA);
      const gotA = guard(aIt.next(), 'a, first');
      await log.append(`${p}/a`, 'no-stream', [firstA]);
      assert.is((await gotA).value?.id, firstA.id);
      const nextA = aIt.next(); // a follows the tail now
      armed = true;
      // A commit sets the tail reading for a alone; the read waits at the gate.
      await log.append(`${p}/c`, 'no-stream', [ev({}, `${p}.c`)]);
      for (let i = 0; held === 0 && i < 3000; i++) await sleep(5);
      assert.is(held, 1, 'the tail read for a is held');
      const b = log.subscribe({ after: marker.position, filter: { eventTypePrefixes: [typeB] } });
      const bIt = b[Symbol.asyncIterator]();
      const gotB = guard(bIt.next(), 'b: an event committed after it joined');
      for (let i = 0; readsForB === 0 && i < 3000; i++) await sleep(5);
      await sleep(20); // b joins the tail right after its own read
      const forB = ev({ n: 2 }, typeB);
      await log.append(`${p}/b`, 'no-stream', [forB]);
      release!();
      assert.is((await gotB).value?.id, forB.id);
      const secondA = ev({ n: 3 }, typeA);
      await log.append(`${p}/a`, 0n, [secondA]);
      assert.is((await guard(nextA, 'a, live')).value?.id, secondA.id);
      await Promise.all([a.close(), b.close()]);
    } finally {
      release?.();
      await cleanup();
    }
  });

  test('the tail read fails: every subscription resumes by itself and misses nothing', async () => {
    let refuse = false;
    let refused = 0;
    const flaky = interceptPageReads(database, (_text, _params, run) => {
      if (!refuse) return run();
      refused++;
      return Promise.reject(Object.assign(new Error('connect ECONNREFUSED (test)'), { code: 'ECONNREFUSED' }));
    });
    const { log, cleanup } = await openLog(flaky, { pollIntervalMs: 20 });
    const p = `flaky${randomUUID().slice(0, 8)}`;
    try {
      const marker = await log.append(`${p}/marker`, 'no-stream', [ev()]);
      const subs = [
        log.subscribe({ after: marker.position }),
        log.subscribe({ after: marker.position, filter: { streamPrefixes: [`${p}/`] } }),
        log.subscribe({ after: marker.position, filter: { eventTypePrefixes: ['pg.test'] } }),
      ];
      const its = subs.map((s) => s[Symbol.asyncIterator]());
      const opening = ev({ opening: true });
      const first = Promise.all(its.map((it) => guard(it.next(), 'opening')));
      await log.append(`${p}/s`, 'no-stream', [opening]);
      for (const r of await first) assert.is(r.value?.id, opening.id);
      // Following the tail now; its reads fail while events are written.
      const pending = its.map((it) => take(it, 3));
      refuse = true;
      const written = [ev({ n: 1 }), ev({ n: 2 }), ev({ n: 3 })];
      for (const e of written) await log.append(`${p}/s`, 'any', [e]);
      for (let i = 0; refused < 3 * subs.length && i < 3000; i++) await sleep(5);
      assert.ok(refused >= 3 * subs.length, 'reads were refused');
      refuse = false;
      for (const got of await Promise.all(pending)) assert.equal(ids(got), ids(written));
      // And they follow live again.
      const last = ev({ last: true });
      const live = Promise.all(its.map((it) => guard(it.next(), 'live after the outage')));
      await log.append(`${p}/s`, 'any', [last]);
      for (const r of await live) assert.is(r.value?.id, last.id);
      await Promise.all(subs.map((s) => s.close()));
    } finally {
      await cleanup();
    }
  });

  test('migrations: applied once, in order, safely when started concurrently, then only new ones', async () => {
    const schema = freshSchema();
    const order: string[] = [];
    const m = (id: string): Migration => ({
      id,
      async up(db, ctx) {
        order.push(id);
        await sql`CREATE TABLE ${sql.id(ctx.schema, id.replace('/', '_'))} (n int)`.execute(db);
      },
    });
    try {
      const first = await Promise.all([1, 2, 3].map(() => migrate(database, [m('t/1'), m('t/2')], schema)));
      assert.equal(first.map((a) => a.length).sort(), [0, 0, 2]);
      assert.equal(order, ['t/1', 't/2']);
      assert.equal(await migrate(database, [m('t/1'), m('t/2'), m('t/3')], schema), ['t/3']);
      const rows = await sql<{ id: string }>`SELECT id FROM ${sql.id(schema, 'migrations')} ORDER BY id`.execute(
        database.db,
      );
      assert.equal(rows.rows.map((r) => r.id), ['t/1', 't/2', 't/3']);
      // A failing migration leaves nothing half-applied.
      const broken: Migration = {
        id: 't/4',
        async up(db) {
          await sql`CREATE TABLE ${sql.id(schema, 't_4')} (n int)`.execute(db);
          throw new Error('boom');
        },
      };
      await migrate(database, [broken], schema).then(
        () => assert.unreachable('should fail'),
        (err: Error) => assert.is(err.message, 'boom'),
      );
      const t4 = await sql<{ n: bigint }>`SELECT count(*) AS n FROM information_schema.tables
        WHERE table_schema = ${schema} AND table_name = 't_4'`.execute(database.db);
      assert.is(t4.rows[0]!.n, 0n);
    } finally {
      await dropSchema(database, schema);
    }
  });

  test('int8 comes back as bigint through kysely too', async () => {
    const r = await sql<{ n: bigint }>`SELECT 9007199254740993::bigint AS n`.execute(database.db);
    assert.is(r.rows[0]!.n, 9007199254740993n);
  });

  test('documented choices: empty appends and invalid drafts are rejected before anything is written', async () => {
    const { log, cleanup } = await openLog(database);
    try {
      const s = `v${randomUUID().slice(0, 8)}`;
      await log.append(s, 'no-stream', []).then(
        () => assert.unreachable('empty append'),
        (err) => assert.instance(err, RangeError),
      );
      const bad: EventDraft[] = [
        { ...ev(), id: randomUUID().toUpperCase() },
        { ...ev(), id: 'not-a-uuid' },
        ev({ n: Number.NaN }),
        ev({ s: 'nul \u0000 inside' }),
      ];
      for (const e of bad) {
        await log.append(s, 'any', [e]).then(
          () => assert.unreachable(JSON.stringify(e)),
          (err) => assert.instance(err, TypeError),
        );
      }
      await log.append(s, -1n, [ev()]).then(
        () => assert.unreachable('negative revision'),
        (err) => assert.instance(err, RangeError),
      );
      assert.equal(await log.readStream(s), []);
      // U+0000 written as text (not as a NUL) is fine
      await log.append(s, 'no-stream', [ev({ s: 'backslash-u \\u0000' })]);
      assert.equal((await log.readStream(s))[0]!.data, { s: 'backslash-u \\u0000' });
    } finally {
      await cleanup();
    }
  });

  test('documented choice: a strict part of an earlier append is a DuplicateEventIdError', async () => {
    const { log, cleanup } = await openLog(database);
    try {
      const s = `d${randomUUID().slice(0, 8)}`;
      const batch = [ev(), ev(), ev()];
      await log.append(s, 'no-stream', batch);
      await log.append(s, 'any', batch.slice(0, 2)).then(
        () => assert.unreachable('prefix'),
        (err) => assert.instance(err, DuplicateEventIdError),
      );
      // Two appends in a row are not one append, even though their events are adjacent.
      const next = [ev()];
      await log.append(s, 2n, next);
      await log.append(s, 'any', [batch[2]!, next[0]!]).then(
        () => assert.unreachable('spanning'),
        (err) => assert.instance(err, DuplicateEventIdError),
      );
    } finally {
      await cleanup();
    }
  });

  test('a value PostgreSQL cannot store fails only its own append in a group commit', async () => {
    const { log, cleanup } = await openLog(database);
    try {
      const p = `g${randomUUID().slice(0, 8)}`;
      const settled = await Promise.allSettled([
        log.append(`${p}/ok1`, 'no-stream', [ev()]),
        log.append(`${p}/bad`, 'no-stream', [ev({ lone: '\ud800' })]), // jsonb rejects lone surrogates
        log.append(`${p}/ok2`, 'no-stream', [ev()]),
      ]);
      assert.equal(settled.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.equal(await log.readStream(`${p}/bad`), []);
      assert.is((await log.append(`${p}/bad`, 'no-stream', [ev()])).revision, 0n);
    } finally {
      await cleanup();
    }
  });

  test.run();
}

function persistenceSuite(): void {
  const test = suite('pglite: data directory');
  test('events survive closing and reopening the data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fabric-pglite-'));
    try {
      const events = [ev({ n: 1 }), ev({ n: 2 })];
      const first = await PostgresEventLog.open(await openPostgres({ dataDir: dir }), { closeDatabase: true });
      const written = await first.append('p/one', 'no-stream', events);
      await first.close();
      const again = await PostgresEventLog.open(await openPostgres({ dataDir: dir }), { closeDatabase: true });
      try {
        const stored = await again.readStream('p/one');
        assert.equal(ids(stored), ids(events));
        const next = await again.append('p/one', 1n, [ev()]);
        assert.ok(next.position > written.position);
        assert.equal(ids(await again.readAll()), [...ids(events), ids(await again.readStream('p/one', { fromRevision: 2n }))[0]]);
      } finally {
        await again.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  test.run();
}

// ---- registration ---------------------------------------------------------------------------------

const databases: PostgresDatabase[] = [];

const pglite = await openPostgres();
databases.push(pglite);
eventLogContract('pglite', harness(pglite));
specificSuite('pglite', pglite, undefined);
persistenceSuite();

const url = process.env.DATABASE_URL;
if (url) {
  const server = await openPostgres({ url });
  databases.push(server);
  eventLogContract('postgres', harness(server));
  specificSuite('postgres', server, url);
} else {
  console.log('skipped: PostgreSQL contract suite (DATABASE_URL not set)');
}

const teardown = suite('postgres adapter: teardown');
teardown('close databases', async () => {
  await Promise.all(databases.map((d) => d.close()));
});
teardown.run();

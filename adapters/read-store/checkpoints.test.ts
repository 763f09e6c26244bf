// The followers' one checkpoint table, on PGlite always and on the PostgreSQL server when DATABASE_URL is set:
// compare-and-set (a writer that lost its lock cannot move it, so it never goes backwards), and the databases
// of earlier versions, whose relay had its own checkpoint and lease tables, migrate without losing a position.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, migrate, openPostgres, type PostgresDatabase } from './postgres/database.js';
import { advanceCheckpoint, checkpointMigrations, loadCheckpoint, readCheckpoint, resetCheckpoint } from './checkpoints.js';
import type { Migration } from './read-store.js';

/** The relay's tables as an earlier version created them (its migrations, by their ids). */
const relayTablesOfOldVersions: readonly Migration[] = [
  checkpointMigrations[0]!,
  {
    id: 'nats_0001_relay_checkpoints',
    async up(db, { schema }) {
      await sql`CREATE TABLE ${sql.id(schema, 'nats_relay_checkpoints')} (name text PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`.execute(db);
    },
  },
  {
    id: 'nats_0002_relay_leases',
    async up(db, { schema }) {
      await sql`CREATE TABLE ${sql.id(schema, 'nats_relay_leases')} (name text PRIMARY KEY, holder text NOT NULL, expires_at timestamptz NOT NULL)`.execute(db);
    },
  },
];

async function tableExists(database: PostgresDatabase<any>, name: string): Promise<boolean> {
  const rows = await database.withSession((s) => s.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2`, [database.schema, name]));
  return rows.length === 1;
}

function checkpointSuite(title: string, url: string | undefined) {
  const test = suite(title);
  const opened: PostgresDatabase<any>[] = [];
  /** A fresh schema (PostgreSQL) or a fresh in-memory database (PGlite). */
  async function open(): Promise<PostgresDatabase<any>> {
    const schema = `checkpoints_${randomBytes(4).toString('hex')}`;
    const database = await openPostgres(url === undefined ? { schema } : { url, schema });
    opened.push(database);
    return database;
  }
  test.after.each(async () => {
    for (const database of opened.splice(0)) {
      if (database.kind === 'pg') await dropSchema(database, database.schema);
      await database.close();
    }
  });

  test('compare-and-set: a writer that did not read the current position moves nothing', async () => {
    const database = await open();
    await migrate(database, checkpointMigrations);
    const { schema } = database;
    const at = (expected: bigint | undefined, next: bigint) => database.withSession((s) => advanceCheckpoint(s, schema, 'relay:x', expected, next));
    const load = () => database.withSession((s) => loadCheckpoint(s, schema, 'relay:x', 0));
    assert.is(await database.withSession((s) => readCheckpoint(s, schema, 'relay:x')), undefined, 'absent');
    assert.equal(await load(), { position: undefined, version: 0 }, 'created empty');
    assert.is(await at(undefined, 10n), true);
    assert.is(await at(undefined, 20n), false, 'a writer that still believes it empty');
    assert.is(await at(5n, 4n), false, 'a stale writer cannot move it backwards');
    assert.equal(await load(), { position: 10n, version: 0 });
    assert.is(await at(10n, 30n), true);
    assert.equal(await load(), { position: 30n, version: 0 });
    assert.is(await database.withSession((s) => readCheckpoint(s, schema, 'relay:x')), 30n);
    await database.withSession((s) => resetCheckpoint(s, schema, 'relay:x', 2));
    assert.equal(await load(), { position: undefined, version: 2 }, 'a reset empties it and records the version');
  });

  test("a relay checkpoint of an earlier version's own table is kept, and its lease table dropped", async () => {
    const database = await open();
    await migrate(database, relayTablesOfOldVersions);
    await database.withSession((s) => s.query(`INSERT INTO nats_relay_checkpoints (name, position) VALUES ('companyos-events', 4242)`));
    assert.equal(await migrate(database, checkpointMigrations), [
      'nats_0003_relay_checkpoints_into_projection_checkpoints',
      'nats_0004_relay_leases_dropped',
      'projections_0002_advance_checkpoint',
    ]);
    const stored = await database.withSession((s) => loadCheckpoint(s, database.schema, 'relay:companyos-events', 0));
    assert.is(stored.position, 4242n);
    assert.is(await tableExists(database, 'nats_relay_checkpoints'), false, 'the old checkpoint table is gone');
    assert.is(await tableExists(database, 'nats_relay_leases'), false, 'the lease table is gone');
    assert.equal(await migrate(database, checkpointMigrations), [], 'nothing runs twice');
  });

  test('a database whose relay checkpoint had already moved, and a new one, migrate as well', async () => {
    const moved = await open();
    // The previous version: the move done, the lease table still there.
    await migrate(moved, [...relayTablesOfOldVersions, checkpointMigrations[1]!]);
    assert.is(await tableExists(moved, 'nats_relay_leases'), true);
    assert.equal(await migrate(moved, checkpointMigrations), ['nats_0004_relay_leases_dropped', 'projections_0002_advance_checkpoint']);
    assert.is(await tableExists(moved, 'nats_relay_leases'), false);

    const fresh = await open();
    assert.equal(await migrate(fresh, checkpointMigrations), checkpointMigrations.map((m) => m.id));
    assert.is(await tableExists(fresh, 'projection_checkpoints'), true);
    assert.is(await tableExists(fresh, 'nats_relay_checkpoints'), false);
  });

  return test;
}

checkpointSuite('follower checkpoints (PGlite)', undefined).run();
const url = process.env['DATABASE_URL'];
if (url !== undefined) checkpointSuite('follower checkpoints (PostgreSQL)', url).run();
else console.log('skipped: follower checkpoints on PostgreSQL (DATABASE_URL not set)');

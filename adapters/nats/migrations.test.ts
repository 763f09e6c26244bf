// The relay's checkpoint moving into the followers' one checkpoint table: a deployed relay's position
// carries over (it must not publish everything again), and saves still never move it backwards.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { migrate, openPostgres } from '../read-store/postgres/database.js';
import { CheckpointStore } from './checkpoint-store.js';
import { natsMigrations } from './migrations.js';

const test = suite('nats migrations');

test('a relay checkpoint of the old table is kept by the move into projection_checkpoints', async () => {
  const database = await openPostgres();
  try {
    // As deployed before the move: the relay's own checkpoint table, with a position in it.
    const before = natsMigrations.filter((m) => m.id !== 'nats_0003_relay_checkpoints_into_projection_checkpoints');
    await migrate(database, before);
    await database.withSession((s) => s.query(`INSERT INTO nats_relay_checkpoints (name, position) VALUES ('companyos-events', 4242)`));
    assert.equal(await migrate(database, natsMigrations), ['nats_0003_relay_checkpoints_into_projection_checkpoints']);
    const store = new CheckpointStore(database);
    assert.is(await store.load('companyos-events'), 4242n);
    assert.is(await store.load('another'), undefined);
    await store.save('companyos-events', 4000n);
    assert.is(await store.load('companyos-events'), 4242n, 'never backwards');
    await store.save('companyos-events', 5000n);
    assert.is(await store.load('companyos-events'), 5000n);
    const tables = await database.withSession((s) => s.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'nats_relay_checkpoints'`));
    assert.is(tables.length, 0, 'the old table is gone');
  } finally {
    await database.close();
  }
});

test.run();

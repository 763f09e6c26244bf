// The witness cosignature table, on PGlite always and on the PostgreSQL server when DATABASE_URL is set:
// cosignatures are kept per tenant and checkpoint size, one per witness key (a later one replaces an
// earlier, never the reverse), and read back for many sizes in one query, never another tenant's.
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, migrate, openPostgres, type PostgresDatabase } from './postgres/database.js';
import { CosignatureStore, cosignatureMigrations, type StoredCosignature } from './cosignatures.js';

const line = (witness: string, at: number): StoredCosignature => ({ witness, keyId: 0xdeadbeef, line: `— ${witness} sig-at-${at}`, signedAt: at });

function cosignatureSuite(title: string, url: string | undefined) {
  const test = suite(title);
  let database: PostgresDatabase<any>;
  test.before(async () => {
    database = await openPostgres(url === undefined ? { schema: 'cosignatures' } : { url, schema: `cosignatures_${randomBytes(4).toString('hex')}` });
    await migrate(database, cosignatureMigrations);
  });
  test.after(async () => {
    if (database.kind === 'pg') await dropSchema(database, database.schema);
    await database.close();
  });

  test('kept per tenant and size, one per witness key; the later replaces the earlier, never the reverse', async () => {
    const store = new CosignatureStore(database);
    await store.add('acme', 5, line('w.one', 100));
    await store.add('acme', 5, line('w.two', 100));
    await store.add('acme', 9, line('w.one', 200));
    await store.add('beta', 5, line('w.one', 300));
    assert.equal((await store.of('acme', 5)).map((c) => c.line), ['— w.one sig-at-100', '— w.two sig-at-100']);
    await store.add('acme', 5, line('w.one', 150));
    await store.add('acme', 5, line('w.one', 120));
    assert.equal((await store.of('acme', 5)).map((c) => c.line), ['— w.one sig-at-150', '— w.two sig-at-100']);
    const many = await store.ofSizes('acme', [5, 9, 12]);
    assert.equal([...many.keys()], [5, 9]);
    assert.equal(many.get(9)!.map((c) => [c.witness, c.keyId, c.signedAt]), [['w.one', 0xdeadbeef, 200]]);
    assert.equal(await store.of('acme', 12), []);
    assert.equal((await store.of('beta', 5)).map((c) => c.signedAt), [300]);
  });

  return test;
}

cosignatureSuite('witness cosignatures (PGlite)', undefined).run();
const url = process.env['DATABASE_URL'];
if (url !== undefined) cosignatureSuite('witness cosignatures (PostgreSQL)', url).run();
else console.log('skipped: witness cosignatures on PostgreSQL (DATABASE_URL not set)');

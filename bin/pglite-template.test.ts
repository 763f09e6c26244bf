// The PGlite templates: the migrated one is named by its schema and migration ids; a new store copied from it
// has every migration of the system applied already (a first start has none left to run); an existing store or
// directory is never touched.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventLogMigrations } from '../adapters/event-log/postgres/schema.js';
import { migrate, openPostgres } from '../adapters/read-store/postgres/database.js';
import { readModelMigrations } from '../projections/index.js';
import { copyTemplate, makeTemplates, templateDir } from './pglite-template.js';

const test = suite('PGlite templates');

test('the migrated template is named by its schema and its migration ids', async () => {
  const a = await templateDir({ schema: 'companyos', ids: ['log-1', 'graph-1'] });
  assert.ok(a !== undefined);
  assert.is(await templateDir({ schema: 'companyos', ids: ['log-1', 'graph-1'] }), a);
  assert.is.not(await templateDir({ schema: 'companyos', ids: ['log-1', 'graph-1', 'graph-2'] }), a);
  assert.is.not(await templateDir({ schema: 'other', ids: ['log-1', 'graph-1'] }), a);
  assert.is.not(await templateDir(), a);
});

test('a store copied from the migrated template has no migration of the system left to run; existing ones are left alone', async () => {
  const schema = 'companyos';
  await makeTemplates(schema);
  const dir = await mkdtemp(join(tmpdir(), 'companyos-template-'));
  try {
    assert.is(await copyTemplate(join(dir, 'pglite'), schema), 'migrated');
    const db = await openPostgres({ dataDir: join(dir, 'pglite'), schema });
    try {
      assert.equal(await migrate(db, eventLogMigrations), []);
      assert.equal(await migrate(db, readModelMigrations), []);
    } finally {
      await db.close();
    }
    assert.is(await copyTemplate(join(dir, 'pglite'), schema), 'existing');
    await writeFile(join(dir, 'not-a-store'), 'mine');
    assert.is(await copyTemplate(join(dir, 'not-a-store'), schema), 'existing');
    assert.equal((await readdir(dir)).sort(), ['not-a-store', 'pglite']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();

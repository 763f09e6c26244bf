// The PGlite templates: a migrated dump is named by its schema and migration ids, and a store opened from it
// has every migration of the system applied already (so a first start has none left to run).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventLogMigrations } from '../adapters/event-log/postgres/schema.js';
import { migrate, openPostgres } from '../adapters/read-store/postgres/database.js';
import { readModelMigrations } from '../projections/index.js';
import { loadTemplate, makeTemplates, templateFile } from './pglite-template.js';

const test = suite('PGlite templates');

test('a migrated dump is named by its schema and its migration ids', async () => {
  const a = await templateFile({ schema: 'companyos', ids: ['log-1', 'graph-1'] });
  assert.ok(a?.endsWith('.tar.gz'));
  assert.is(await templateFile({ schema: 'companyos', ids: ['log-1', 'graph-1'] }), a);
  assert.is.not(await templateFile({ schema: 'companyos', ids: ['log-1', 'graph-1', 'graph-2'] }), a);
  assert.is.not(await templateFile({ schema: 'other', ids: ['log-1', 'graph-1'] }), a);
  assert.is.not(await templateFile(), a);
});

test('a store opened from the migrated dump has no migration of the system left to run', async () => {
  const schema = 'companyos';
  if ((await loadTemplate(schema))?.migrated !== true) await makeTemplates(schema);
  const template = await loadTemplate(schema);
  assert.is(template?.migrated, true);
  const db = await openPostgres({ schema, template: template!.dump });
  try {
    assert.equal(await migrate(db, eventLogMigrations), []);
    assert.equal(await migrate(db, readModelMigrations), []);
  } finally {
    await db.close();
  }
});

test.run();

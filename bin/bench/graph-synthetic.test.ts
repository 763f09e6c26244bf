// The synthetic bench fixture against the real thing: the same fixture commands sent one by one through the
// command pipeline and projected, and sealed without a log and applied by graph-synthetic.ts, must leave the
// same graph read model, row for row, except what only a real write has (event ids and hashes, sealing
// times, decision ids, and the end nodes' hashes quoted in an edge's evidence).
import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CedarAuthorizer } from '../../adapters/cedar/cedar-authorizer.js';
import { migrate } from '../../adapters/read-store/postgres/database.js';
import type { Principal } from '../../commands/authorizer.js';
import { graphProjection, readModelMigrations } from '../../projections/index.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';
import { DEFAULT_POLICY_FILE } from '../system.js';
import { buildFixture, fixtureCommand, fixtureCommandCount } from './graph-fixture.js';
import { LoglessSealer, loadSyntheticGraph } from './graph-synthetic.js';

const test = suite<{ bed: ReadModelBed }>('bench:graph synthetic fixture', {} as { bed: ReadModelBed });
test.before(async (ctx) => {
  ctx.bed = await openReadModelBed();
});
test.after(async (ctx) => {
  await ctx.bed.close();
});

const T0 = '2026-01-01T00:00:00Z';
const principal: Principal = { id: 'service:bench-ingest', tenant: 'bench', roles: ['service'], region: 'us-east', authTime: undefined, authn: 'system' };
const context = { region: 'us-east', provenance: { sourceSystem: 'bench', observedAt: T0, reason: 'fixture', evidenceRefs: ['bench:graph'] } };
const fixture = buildFixture(100);
const count = fixtureCommandCount(fixture);

/** A table's rows in primary-key order, without what differs between two real writes of the same commands. */
const comparableRows = (bed: ReadModelBed, schema: string, table: string, orderBy: readonly string[]) =>
  bed.sql<{ row: unknown }>(
    // Version rows carry the provenance envelope (compared without what differs between any two writes); current rows do not.
    `SELECT CASE WHEN j ? 'provenance' THEN (j - '{event_id,event_hash,recorded_at}'::text[])
                   || jsonb_build_object('provenance', ((j->'provenance') #- '{decision,id}') || jsonb_build_object('evidenceRefs',
                        (SELECT jsonb_agg(regexp_replace(r, '#[0-9a-f]{64}$', '#…')) FROM jsonb_array_elements_text(j->'provenance'->'evidenceRefs') r)))
                 ELSE j - '{event_id,event_hash,recorded_at}'::text[] END AS row
     FROM "${schema}".${table} t, to_jsonb(t) AS j ORDER BY ${orderBy.map((c) => `t.${c}`).join(', ')}`,
  );

test('the synthetic read model equals the pipeline-built one, row for row', async ({ bed }) => {
  // Through the pipeline, one command at a time so log positions follow the fixture's order.
  for (let i = 0; i < count; i++) {
    const command = fixtureCommand(fixture, i, context);
    const outcome = await bed.api.system.pipeline.execute(command.type, command.body, principal, { requestId: command.requestId, context: { time: T0 } });
    assert.is(outcome._tag, 'Right', `${command.requestId} refused`);
  }
  await bed.project({ projections: [graphProjection] });

  const store = bed.log.database;
  await migrate(store, readModelMigrations, 'synthetic');
  const sealer = new LoglessSealer({
    principal,
    authorizer: new CedarAuthorizer(await readFile(DEFAULT_POLICY_FILE, 'utf8')),
    context: { time: T0 },
    sealedFrom: T0,
  });
  // Small batches, so several transactions and the checkpoint chain between them are exercised.
  const load = await loadSyntheticGraph(store, 'synthetic', sealer, count, (i) => fixtureCommand(fixture, i, context), { batchSize: 97 });
  assert.is(load.applied, count);

  for (const table of graphProjection.tables) {
    const pipeline = await comparableRows(bed, bed.log.schema, table.name, table.orderBy);
    const synthetic = await comparableRows(bed, 'synthetic', table.name, table.orderBy);
    assert.ok(pipeline.length > 0, table.name);
    assert.equal(synthetic, pipeline, table.name);
  }
  // The edge's evidence quotes its end nodes' sealed events, as the pipeline's does.
  const unquoted = await bed.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM synthetic.graph_edge_versions e JOIN synthetic.graph_nodes f ON f.node_id = e.from_id
     WHERE e.provenance->'evidenceRefs'->>1 <> 'log:bench/graph.node/' || e.from_id || '@0#' || f.event_hash`,
  );
  assert.is(unquoted[0]!.n, 0);
});

test('a second load finds the checkpoint at the end and applies nothing', async ({ bed }) => {
  const sealer = new LoglessSealer({
    principal,
    authorizer: new CedarAuthorizer(await readFile(DEFAULT_POLICY_FILE, 'utf8')),
    context: { time: T0 },
    sealedFrom: T0,
  });
  const before = (await bed.sql<{ n: number }>('SELECT count(*)::int AS n FROM synthetic.graph_edge_versions'))[0]!.n;
  const load = await loadSyntheticGraph(bed.log.database, 'synthetic', sealer, count, (i) => fixtureCommand(fixture, i, context));
  assert.is(load.applied, 0);
  assert.is(load.resumedAfter, BigInt(count));
  assert.is((await bed.sql<{ n: number }>('SELECT count(*)::int AS n FROM synthetic.graph_edge_versions'))[0]!.n, before);
});

test.run();

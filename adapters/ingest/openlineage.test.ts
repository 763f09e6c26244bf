// Specifications of the OpenLineage mapping (pure, no HTTP): RunEvents → Run and Dataset nodes, CONSUMES,
// PRODUCES and (on COMPLETE) DERIVED_FROM edges, eventTime as both times, and errors that name the field.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { commandTarget, type GraphCommand } from './graph-command.js';
import { datasetNodeId, mapOpenLineageEvents, runNodeId } from './openlineage.js';

const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/openlineage/${name}.json`, import.meta.url), 'utf8'));
const ctx = { region: 'eu-west' };
const RUN = 'run:d9cb8e0b-a410-435e-a619-da5e87ba8508';
const ORDERS = 'dataset:postgres:%2F%2Fdb.example.com:5432#shop.public.orders';
const REVENUE = 'dataset:s3:%2F%2Fanalytics-bucket#%2Fwarehouse%2Fdaily_revenue';

const rightOf = (r: Either<readonly string[], readonly GraphCommand[]>): readonly GraphCommand[] => {
  if (isLeft(r)) throw new Error(`expected commands, got ${r.left.join('; ')}`);
  return r.right;
};
const shape = (cs: readonly GraphCommand[]) =>
  cs.map((c) => (c.type === 'graph.node.upsert' ? `node ${c.payload.type} ${c.payload.id}` : `edge ${commandTarget(c)}`));
const errorsOf = (body: unknown): readonly string[] => {
  const r = mapOpenLineageEvents(body, ctx);
  if (!isLeft(r)) throw new Error('expected errors');
  return r.left;
};

test('dataset ids: namespace and name percent-encoded, joined by "#"; over-long ids hashed', () => {
  assert.is(datasetNodeId({ namespace: 'postgres://db.example.com:5432', name: 'shop.public.orders' }), ORDERS);
  assert.is(datasetNodeId({ namespace: 'a#b', name: 'c' }) === datasetNodeId({ namespace: 'a', name: 'b#c' }), false);
  assert.match(datasetNodeId({ namespace: 's3://b', name: 'x'.repeat(300) }), /^dataset:sha256:[0-9a-f]{64}$/);
  assert.is(runNodeId('D9CB8E0B-A410-435E-A619-DA5E87BA8508'), RUN);
});

test('START: Run node, input Dataset, CONSUMES(Run→input); times are eventTime', () => {
  const cs = rightOf(mapOpenLineageEvents(fixture('start'), ctx));
  assert.equal(shape(cs), [`node Run ${RUN}`, `node Dataset ${ORDERS}`, `edge ${RUN} -CONSUMES-> ${ORDERS}`]);
  assert.equal(cs[0]!.payload, {
    id: RUN,
    type: 'Run',
    region: 'eu-west',
    attributes: {
      runId: 'd9cb8e0b-a410-435e-a619-da5e87ba8508',
      jobNamespace: 'airflow-prod',
      jobName: 'revenue_dag.daily_revenue',
      state: 'START',
      stateAt: '2026-01-05T10:00:00.000Z',
    },
    provenance: {
      sourceSystem: 'openlineage',
      observedAt: '2026-01-05T10:00:00.000Z',
      effectiveAt: '2026-01-05T10:00:00.000Z',
      externalId: 'd9cb8e0b-a410-435e-a619-da5e87ba8508',
      evidenceRefs: ['https://github.com/OpenLineage/OpenLineage/tree/1.9.0/integration/airflow'],
    },
  });
  assert.equal(cs[1]!.type === 'graph.node.upsert' && cs[1]!.payload.attributes, { namespace: 'postgres://db.example.com:5432', name: 'shop.public.orders' });
});

test('COMPLETE: also the output, PRODUCES(Run→output) and DERIVED_FROM(output→input)', () => {
  const cs = rightOf(mapOpenLineageEvents(fixture('complete'), ctx));
  assert.equal(shape(cs), [
    `node Run ${RUN}`,
    `node Dataset ${ORDERS}`,
    `node Dataset ${REVENUE}`,
    `edge ${RUN} -CONSUMES-> ${ORDERS}`,
    `edge ${RUN} -PRODUCES-> ${REVENUE}`,
    `edge ${REVENUE} -DERIVED_FROM-> ${ORDERS}`,
  ]);
});

test('FAIL lists outputs but derives nothing; a dataset read and written is never derived from itself', () => {
  const failed = { ...fixture('complete'), eventType: 'FAIL' };
  assert.not.ok(shape(rightOf(mapOpenLineageEvents(failed, ctx))).some((s) => s.includes('DERIVED_FROM')));
  const inPlace = { ...fixture('complete'), outputs: [...fixture('complete')['outputs'], fixture('complete')['inputs'][0]] };
  const derived = shape(rightOf(mapOpenLineageEvents(inPlace, ctx))).filter((s) => s.includes('DERIVED_FROM'));
  assert.equal(derived, [`edge ${REVENUE} -DERIVED_FROM-> ${ORDERS}`]);
});

test('an array maps event by event, in order; datasets listed twice are stated once per event', () => {
  const cs = rightOf(mapOpenLineageEvents([fixture('start'), fixture('complete')], ctx));
  assert.is(cs.length, 3 + 6);
  const twice = { ...fixture('start'), inputs: [fixture('start')['inputs'][0], fixture('start')['inputs'][0]] };
  assert.is(rightOf(mapOpenLineageEvents(twice, ctx)).length, 3);
});

test('errors name the field (and the event, in an array)', () => {
  const noRun = { ...fixture('start'), run: {} };
  assert.equal(errorsOf(noRun), ['run.runId: missing, expected RunId (UUID)']);
  const badType = { ...fixture('start'), eventType: 'FINISHED' };
  assert.match(errorsOf(badType)[0]!, /^eventType: expected eventType \(one of START, RUNNING, COMPLETE, FAIL, ABORT, OTHER\), got "FINISHED"$/);
  assert.match(errorsOf([fixture('start'), { ...fixture('complete'), eventTime: 'late' }])[0]!, /^\[1\]\.eventTime: expected Timestamp/);
  assert.match(errorsOf({ ...fixture('start'), inputs: [{ namespace: 'x' }] })[0]!, /^inputs\[0\]\.name: missing/);
  assert.equal(errorsOf([]), ['(root): expected at least one RunEvent']);
  assert.match(errorsOf({ eventTime: '2026-01-01T00:00:00Z', producer: 'p' })[0]!, /^\(root\): expected a RunEvent, DatasetEvent or JobEvent \(an object with run, dataset or job\), got /);
  assert.equal(errorsOf('hello'), ['(root): expected a RunEvent object or an array of them']);
  assert.equal(errorsOf([fixture('start'), 7]), ['[1]: expected a RunEvent object']);
});

test('events are bounded by size, not counted: a dbt-sized batch of 186 run events maps', () => {
  const batch = Array.from({ length: 186 }, (_, i) => ({ ...fixture('start'), run: { runId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` } }));
  assert.is(rightOf(mapOpenLineageEvents(batch, ctx)).length, 186 * 3);
});

test('static lineage: a DatasetEvent states its dataset; a JobEvent its datasets and what its outputs derive from', () => {
  const at = '2026-03-01T10:00:00Z';
  const orders = { namespace: 'postgres://db:5432', name: 'shop.public.orders' };
  const daily = { namespace: 'bigquery', name: 'analytics.daily_orders' };
  const dataset = rightOf(mapOpenLineageEvents({ eventTime: at, producer: 'https://github.com/dbt-labs/dbt-core', schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent', dataset: orders }, ctx));
  assert.equal(dataset.map((c) => [c.type, c.type === 'graph.node.upsert' ? c.payload.id : '']), [['graph.node.upsert', datasetNodeId(orders)]]);
  const job = rightOf(mapOpenLineageEvents({ eventTime: at, producer: 'https://github.com/dbt-labs/dbt-core', job: { namespace: 'dbt', name: 'daily_orders' }, inputs: [orders], outputs: [daily] }, ctx));
  assert.equal(
    job.map((c) => (c.type === 'graph.node.upsert' ? ['node', c.payload.id] : ['edge', c.payload.type, c.payload.from, c.payload.to])),
    [['node', datasetNodeId(orders)], ['node', datasetNodeId(daily)], ['edge', 'DERIVED_FROM', datasetNodeId(daily), datasetNodeId(orders)]],
  );
  assert.match(errorsOf({ eventTime: at, producer: 'p', job: { namespace: 'dbt' } })[0]!, /^job\.name: missing/);
});

test.run();

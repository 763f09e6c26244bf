// OpenLineage events (RunEvent, and the static DatasetEvent and JobEvent) → the ordered graph commands that
// record them. Pure and clock-free: both
// times are the event's eventTime, so a late event lands at its own instant in the bitemporal history.
//
// | RunEvent part               | graph                                                              |
// |-----------------------------|--------------------------------------------------------------------|
// | run.runId, job, eventType   | Run `run:<runId>` {runId, jobNamespace, jobName, state, stateAt}   |
// | inputs[] / outputs[]        | Dataset `dataset:<namespace>#<name>` {namespace, name}             |
// | each input / output         | CONSUMES(Run→input), PRODUCES(Run→output)                          |
// | eventType COMPLETE          | DERIVED_FROM(output→input) for each output × input pair (not a     |
// |                             | dataset to itself). Column-lineage facets are not read (yet).      |
// | DatasetEvent.dataset        | Dataset node                                                       |
// | JobEvent inputs / outputs   | Dataset nodes, DERIVED_FROM(output→input): the lineage a job       |
// |                             | declares, without a run                                            |
//
// Namespace and name are percent-encoded (idPart) and joined with '#', since node ids forbid '/'; an id
// longer than 256 characters becomes `dataset:sha256:<hex>` (namespace and name stay in the attributes).
// Facets are not copied into attributes: they differ between a run's events and attributes replace the
// whole set, so each event would rewrite the dataset.
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { LineageEvent, type DatasetEvent, type JobEvent, type LineageDataset, type RunEvent } from '../../schemas/openlineage.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { boundedId, checkedCommands, edgeAssert, idPart, nodeUpsert, utc, type GraphCommand, type IngestProvenance } from './graph-command.js';

export const OPENLINEAGE_SOURCE = 'openlineage';
/**
 * Graph commands per request: the work one request may ask for (output × input pairs grow fast). Events
 * per request are bounded by the body's size, not counted: a dbt run sends hundreds of small events at once.
 */
export const MAX_LINEAGE_COMMANDS = 2000;

export interface LineageMappingContext {
  /** The region every node and edge is written in (the caller's token region). */
  readonly region: string;
}

export const runNodeId = (runId: string): string => `run:${runId.toLowerCase()}`;
export const datasetNodeId = (d: LineageDataset): string => boundedId('dataset:', `${idPart(d.namespace)}#${idPart(d.name)}`);

const provenanceOf = (e: { readonly eventTime: string; readonly producer: string }, externalId: string | undefined): IngestProvenance => ({
  sourceSystem: OPENLINEAGE_SOURCE,
  observedAt: utc(e.eventTime),
  effectiveAt: utc(e.eventTime),
  ...(externalId === undefined ? {} : { externalId }),
  evidenceRefs: [e.producer],
});

/** Each dataset once, in first-seen order (producers may list one twice). */
const distinct = (datasets: readonly LineageDataset[] = []): { readonly id: string; readonly dataset: LineageDataset }[] => {
  const seen = new Map<string, LineageDataset>();
  for (const d of datasets) if (!seen.has(datasetNodeId(d))) seen.set(datasetNodeId(d), d);
  return [...seen].map(([id, dataset]) => ({ id, dataset }));
};

function mapRunEvent(e: RunEvent, region: string): GraphCommand[] {
  const runId = e.run.runId.toLowerCase();
  const run = runNodeId(runId);
  const prov = provenanceOf(e, runId);
  const inputs = distinct(e.inputs);
  const outputs = distinct(e.outputs);
  const datasets = distinct([...(e.inputs ?? []), ...(e.outputs ?? [])]);
  return [
    nodeUpsert(run, 'Run', region, { runId, jobNamespace: e.job.namespace, jobName: e.job.name, state: e.eventType, stateAt: utc(e.eventTime) }, prov),
    ...datasets.map(({ id, dataset }) =>
      nodeUpsert(id, 'Dataset', region, { namespace: dataset.namespace, name: dataset.name }, provenanceOf(e, datasetKey(dataset).length <= 256 ? datasetKey(dataset) : undefined)),
    ),
    ...inputs.map((i) => edgeAssert('CONSUMES', run, i.id, region, prov)),
    ...outputs.map((o) => edgeAssert('PRODUCES', run, o.id, region, prov)),
    ...(e.eventType === 'COMPLETE'
      ? outputs.flatMap((o) => inputs.filter((i) => i.id !== o.id).map((i) => edgeAssert('DERIVED_FROM', o.id, i.id, region, prov)))
      : []),
  ];
}

const datasetKey = (d: LineageDataset) => `${d.namespace}/${d.name}`;

function mapDatasetEvent(e: DatasetEvent, region: string): GraphCommand[] {
  const { dataset } = e;
  return [nodeUpsert(datasetNodeId(dataset), 'Dataset', region, { namespace: dataset.namespace, name: dataset.name }, provenanceOf(e, datasetKey(dataset).length <= 256 ? datasetKey(dataset) : undefined))];
}

function mapJobEvent(e: JobEvent, region: string): GraphCommand[] {
  const job = `${e.job.namespace}/${e.job.name}`;
  const prov = provenanceOf(e, job.length <= 256 ? job : undefined);
  const inputs = distinct(e.inputs);
  const outputs = distinct(e.outputs);
  return [
    ...distinct([...(e.inputs ?? []), ...(e.outputs ?? [])]).map(({ id, dataset }) =>
      nodeUpsert(id, 'Dataset', region, { namespace: dataset.namespace, name: dataset.name }, provenanceOf(e, datasetKey(dataset).length <= 256 ? datasetKey(dataset) : undefined)),
    ),
    ...outputs.flatMap((o) => inputs.filter((i) => i.id !== o.id).map((i) => edgeAssert('DERIVED_FROM', o.id, i.id, region, prov))),
  ];
}

const mapEvent = (e: LineageEvent, region: string): GraphCommand[] =>
  'run' in e ? mapRunEvent(e, region) : 'dataset' in e ? mapDatasetEvent(e, region) : mapJobEvent(e, region);

/** A body is one event (RunEvent, DatasetEvent or JobEvent) or a non-empty array of them. */
function decodeBody(body: unknown): Either<readonly string[], readonly LineageEvent[]> {
  if (Array.isArray(body) && body.length === 0) return left(['(root): expected at least one RunEvent']);
  const isObject = (u: unknown) => typeof u === 'object' && u !== null && !Array.isArray(u);
  if (!Array.isArray(body) && !isObject(body)) return left(['(root): expected a RunEvent object or an array of them']);
  const notObjects = Array.isArray(body) ? body.flatMap((u, i) => (isObject(u) ? [] : [`[${i}]: expected a RunEvent object`])) : [];
  if (notObjects.length > 0) return left(notObjects);
  const r = t.readonlyArray(LineageEvent).decode(Array.isArray(body) ? body : [body]);
  if (r._tag === 'Right') return right(r.right);
  // A single event was wrapped for decoding: drop the "[0]" its paths would otherwise start with.
  const errors = formatValidationErrors(r.left);
  return left(Array.isArray(body) ? errors : errors.map((e) => e.replace(/^\[0\]\.?/, '').replace(/^:/, '(root):')));
}

/** One RunEvent or an array of them → the ordered commands, event by event, or the errors naming each field. */
export function mapOpenLineageEvents(body: unknown, ctx: LineageMappingContext): Either<readonly string[], readonly GraphCommand[]> {
  return pipe(
    decodeBody(body),
    chain((events) => {
      const commands = events.flatMap((e) => mapEvent(e, ctx.region));
      return commands.length > MAX_LINEAGE_COMMANDS
        ? left([`(root): the events map to ${commands.length} graph commands, at most ${MAX_LINEAGE_COMMANDS} per request; send fewer events`])
        : right(commands);
    }),
    chain(checkedCommands),
  );
}

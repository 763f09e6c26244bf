// The OpenAPI document against the app: every route the app mounts is described and nothing else is,
// every command example decodes with its codec, and every operation names its problems.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { commandHandlers } from '../../domain/index.js';
import { NodeId } from '../../schemas/graph.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
import { COMMAND_EXAMPLES } from './openapi-examples.js';
import { openApiDocument } from './openapi.js';

interface Operation {
  readonly operationId?: string;
  readonly security?: readonly object[];
  readonly parameters?: readonly { readonly name: string; readonly in: string }[];
  readonly requestBody?: { readonly content: Record<string, { readonly schema: any; readonly example?: unknown }> };
  readonly responses: Record<string, unknown>;
}
type Document = { readonly paths: Record<string, Record<string, Operation>>; readonly servers?: unknown[]; readonly components: any };

const doc = openApiDocument([...commandHandlers.keys()]) as Document;
const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

/** Hono's `/v1/runs/:id` and `/v1/streams/:stream{.+}` as OpenAPI writes them. */
const openApiPath = (honoPath: string): string => honoPath.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
/** The document lists one path per command type where the app has one route for all of them. */
const routeOf = (docPath: string): string => (docPath.startsWith('/v1/commands/') ? '/v1/commands/{type}' : docPath);

const routes = suite('openapi: routes');
let testLog: TestLog;
let api: TestApi;
routes.before(async () => {
  testLog = await openMemoryLog();
  api = await openTestApi(testLog.log);
});
routes.after(async () => {
  await api.close();
  await testLog.close();
});

routes('every route the app mounts is in the document, and the document lists no other', () => {
  const mounted = new Set(api.system.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
  const described = new Set(operations.map(({ path, method }) => `${method} ${routeOf(path)}`));
  assert.ok(mounted.size > 20, 'the app mounts its routes');
  assert.equal([...mounted].filter((r) => !described.has(r)), [], 'mounted but not described');
  assert.equal([...described].filter((r) => !mounted.has(r)), [], 'described but not mounted');
});

routes('the served document has one path per command type the pipeline knows', async () => {
  const served = await api.call('GET', '/openapi.json');
  assert.is(served.status, 200);
  const commandPaths = Object.keys(served.body.paths).filter((p) => p.startsWith('/v1/commands/')).sort();
  assert.equal(commandPaths, api.system.pipeline.commandTypes().map((type) => `/v1/commands/${type}`).sort());
});

const content = suite('openapi: content');

content('every command has an example, and every example decodes with its command codec', () => {
  assert.equal(Object.keys(COMMAND_EXAMPLES).sort(), [...commandHandlers.keys()].sort());
  for (const [type, handler] of commandHandlers) {
    const body = doc.paths[`/v1/commands/${type}`]!['post']!.requestBody!.content['application/json']!;
    assert.ok(isRight(handler.codec.decode(body.example)), `the example of ${type} decodes`);
  }
});

content('command bodies are the codecs: closed, with their required fields and limits', () => {
  const upsert = doc.paths['/v1/commands/graph.node.upsert']!['post']!.requestBody!.content['application/json']!.schema;
  assert.is(upsert.additionalProperties, false);
  assert.equal(upsert.required, ['id', 'type', 'region', 'attributes', 'provenance']);
  assert.equal(upsert.properties.id, { $ref: '#/components/schemas/NodeId' });
  // The published pattern refuses what the codec refuses: '/' and '|' cannot be in a node id.
  const pattern = new RegExp(doc.components.schemas.NodeId.pattern, 'u');
  for (const id of ['svc:checkout', 'a/b', 'a|b', 'x'.repeat(257)]) assert.is(pattern.test(id), NodeId.is(id), id);
  const provenance = doc.components.schemas.Provenance;
  assert.is(provenance.properties.sourceSystem.maxLength, 128);
  assert.is(provenance.additionalProperties, false);
  const lineage = doc.paths['/v1/ingest/openlineage']!['post']!.requestBody!.content['application/json']!.schema;
  assert.equal(doc.components.schemas.RunEvent.required, ['eventType', 'eventTime', 'producer', 'run', 'job']);
  // The three OpenLineage event kinds, alone or in an array bounded by the body's size, not counted.
  assert.equal(lineage.oneOf.slice(0, 3).map((o: { $ref: string }) => o.$ref.split('/').pop()), ['RunEvent', 'DatasetEvent', 'JobEvent']);
  assert.is(lineage.oneOf[3].maxItems, undefined);
  assert.equal(doc.components.schemas.JobEvent.required, ['eventTime', 'producer', 'job']);
});

content('query parameters carry their limits', () => {
  const related = doc.paths['/v1/graph/related']!['get']!.parameters as unknown as { name: string; required: boolean; schema: any }[];
  const byName = Object.fromEntries(related.map((p) => [p.name, p]));
  assert.equal(Object.keys(byName).sort(), ['asOf', 'cursor', 'depth', 'direction', 'id', 'limit', 'types']);
  assert.is(byName['id']!.required, true);
  assert.equal([byName['depth']!.schema.minimum, byName['depth']!.schema.maximum], [1, 4]);
  assert.equal(byName['limit']!.schema.maximum, 1000);
  const audit = doc.paths['/v1/audit/events']!['get']!.parameters as unknown as { name: string; schema: any }[];
  assert.is(audit.find((p) => p.name === 'actor')!.schema.maxLength, 256);
});

content('every operation has a unique operationId and answers problems', () => {
  const ids = operations.map(({ op }) => op.operationId);
  assert.ok(ids.every((id) => typeof id === 'string' && id !== ''));
  assert.is(new Set(ids).size, ids.length);
  assert.ok((doc.servers ?? []).length > 0);
  for (const { path, method, op } of operations) {
    const statuses = Object.keys(op.responses);
    const where = `${method} ${path}`;
    assert.ok(statuses.includes('500'), `${where}: 500`);
    assert.ok(statuses.some((s) => /^4\d\d$/.test(s)), `${where}: a 4xx`);
    const authenticated = op.security === undefined;
    if (authenticated) assert.ok(statuses.includes('401') && statuses.includes('403'), `${where}: 401 and 403`);
    if (op.requestBody !== undefined) assert.ok(['400', '413', '415'].every((s) => statuses.includes(s)), `${where}: 400, 413 and 415`);
    for (const s of statuses.filter((s) => Number(s) >= 400 && s !== '503')) {
      assert.equal(op.responses[s], { $ref: `#/components/responses/Problem${s}` }, `${where}: ${s} is a problem`);
    }
  }
});

routes.run();
content.run();

// Query parameters of the graph read API (GET /v1/graph/...): one closed codec per endpoint, so an unknown
// or malformed parameter is a 400 naming it. Values arrive as strings; codecs turn them into typed values.
import * as t from 'io-ts';
import { EdgeType, NodeId } from './graph.js';
import { Region, Timestamp, boundedString, integerIn, isInt64Text } from './primitives.js';
import { closedObject, completed, fieldContext } from './validation.js';
import { describedAs } from './json-schema.js';

/** Lineage never goes deeper than this many hops (seed §1.2: bounded traversal depth 4). */
export const MAX_DEPTH = 4;
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export const Limit = integerIn(`limit (integer 1-${MAX_LIMIT})`, 1, MAX_LIMIT);
export const Depth = integerIn(`depth (integer 1-${MAX_DEPTH})`, 1, MAX_DEPTH);
export const Direction = t.keyof({ down: null, up: null, both: null }, 'Direction');
export type Direction = t.TypeOf<typeof Direction>;

/** `types=BUILDS,CONSUMES`: distinct edge types, comma-separated. */
export const EdgeTypeList = new t.Type<readonly EdgeType[], string, unknown>(
  'EdgeTypeList (comma-separated edge types)',
  (u): u is readonly EdgeType[] => Array.isArray(u) && u.every((x) => EdgeType.is(x)),
  (u, c) => {
    if (typeof u !== 'string' || u === '') return t.failure(u, c);
    const parts = u.split(',');
    const bad = parts.filter((p) => !EdgeType.is(p));
    if (bad.length > 0) return t.failure(u, c, `unknown edge type ${bad.join(', ')} (expected ${Object.keys(EdgeType.keys).join(', ')})`);
    return t.success([...new Set(parts)] as EdgeType[]);
  },
  (a) => a.join(','),
);
describedAs(EdgeTypeList, { type: 'string', pattern: `^(${Object.keys(EdgeType.keys).join('|')})(,(${Object.keys(EdgeType.keys).join('|')}))*$` });

/** An opaque base64url cursor around a JSON tuple checked by `read`. */
const cursorCodec = <A>(name: string, read: (u: unknown) => A | undefined, write: (a: A) => unknown) =>
  describedAs(new t.Type<A, string, unknown>(
    name,
    (u): u is A => read(write(u as A)) !== undefined,
    (u, c) => {
      if (typeof u !== 'string' || !/^[A-Za-z0-9_-]{1,2048}$/.test(u)) return t.failure(u, c);
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(u, 'base64url').toString('utf8'));
      } catch {
        return t.failure(u, c);
      }
      const value = read(parsed);
      return value === undefined ? t.failure(u, c) : t.success(value);
    },
    (a) => Buffer.from(JSON.stringify(write(a)), 'utf8').toString('base64url'),
  ), { type: 'string', pattern: '^[A-Za-z0-9_-]{1,2048}$', description: 'opaque: nextCursor of the previous page' });

/** Where a lineage page ended: results are ordered by (depth, node id). */
export interface LineageCursor {
  readonly depth: number;
  readonly id: string;
}
export const LineageCursor = cursorCodec<LineageCursor>(
  'cursor (from a previous page)',
  (u) =>
    Array.isArray(u) && u.length === 2 && Number.isInteger(u[0]) && u[0] >= 1 && u[0] <= MAX_DEPTH && NodeId.is(u[1])
      ? { depth: u[0] as number, id: u[1] as string }
      : undefined,
  (a) => [a.depth, a.id],
);

/** Where a change page ended: newest first by (observed_at, log position); observedAt has microseconds. */
export interface ChangeCursor {
  readonly observedAt: string;
  readonly position: string;
}
export const ChangeCursor = cursorCodec<ChangeCursor>(
  'cursor (from a previous page)',
  (u) =>
    Array.isArray(u) && u.length === 2 && Timestamp.is(u[0]) && typeof u[1] === 'string' && isInt64Text(u[1])
      ? { observedAt: u[0] as string, position: u[1] as string }
      : undefined,
  (a) => [a.observedAt, a.position],
);

/** An edge id as clients send it (URL-encoded): `from|TYPE|to`. */
export interface EdgeKey {
  readonly id: string;
  readonly type: EdgeType;
  readonly from: string;
  readonly to: string;
}
export const EdgeKey = new t.Type<EdgeKey, string, unknown>(
  'EdgeId (from|TYPE|to, URL-encoded)',
  (u): u is EdgeKey => typeof u === 'object' && u !== null && typeof (u as EdgeKey).id === 'string',
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const [from, type, to, ...rest] = u.split('|');
    return rest.length === 0 && NodeId.is(from) && EdgeType.is(type) && NodeId.is(to) ? t.success({ id: u, type, from, to }) : t.failure(u, c);
  },
  (a) => a.id,
);
describedAs(EdgeKey, { type: 'string', description: 'from|TYPE|to, URL-encoded ("|" is %7C), e.g. dep%3A42%7CDEPLOYS%7Csvc%3Acheckout' });

/** Path parameters: `{id}` of nodes, services and incidents. */
export const NodePath = closedObject('NodePath', { id: NodeId });
export const EdgePath = closedObject('EdgePath', { id: EdgeKey });

/** GET /v1/graph/nodes/{id} */
export const NodeQuery = closedObject('NodeQuery', {}, { asOf: Timestamp });
export type NodeQuery = t.TypeOf<typeof NodeQuery>;

/** GET /v1/graph/related */
export const RelatedQuery = closedObject(
  'RelatedQuery',
  { id: NodeId },
  { depth: Depth, direction: Direction, types: EdgeTypeList, asOf: Timestamp, limit: Limit, cursor: LineageCursor },
);
export type RelatedQuery = t.TypeOf<typeof RelatedQuery>;

/** GET /v1/graph/services/{id}/surface */
export const SurfaceQuery = closedObject('SurfaceQuery', {}, { since: Timestamp, region: Region, limit: Limit });
export type SurfaceQuery = t.TypeOf<typeof SurfaceQuery>;

/** GET /v1/graph/incidents/{id}/impact */
export const ImpactQuery = closedObject('ImpactQuery', {}, { region: Region });
export type ImpactQuery = t.TypeOf<typeof ImpactQuery>;

const ChangesFields = closedObject(
  'ChangesQuery',
  {},
  { resource: NodeId, actor: boundedString(256, 'actor (principal id)'), from: Timestamp, to: Timestamp, limit: Limit, cursor: ChangeCursor },
);

/** GET /v1/graph/changes: a resource or an actor is required (an unbounded tenant-wide scan is not offered). */
export const ChangesQuery = completed(ChangesFields, (q, c): t.Validation<t.TypeOf<typeof ChangesFields>> => {
  if (q.resource === undefined && q.actor === undefined) {
    return t.failure(undefined, fieldContext(c, 'resource', NodeId, undefined), 'required unless actor is given');
  }
  if (q.from !== undefined && q.to !== undefined && Date.parse(q.to) < Date.parse(q.from)) {
    return t.failure(q.to, fieldContext(c, 'to', Timestamp, q.to), 'must not be before from');
  }
  return t.success(q);
});
export type ChangesQuery = t.TypeOf<typeof ChangesQuery>;

/** GET /v1/graph/edges/{id}/provenance takes no query parameters. */
export const ProvenanceQuery = closedObject('ProvenanceQuery', {});

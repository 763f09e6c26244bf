// GraphQueries: the read side of the provenance graph (seed §1.2 access patterns) over the graph read model.
// Every statement is parameterized and filtered by the caller's tenant; see QUERIES.md for plans and indexes.
import type { ReadStore } from '../../adapters/read-store/read-store.js';
import type { ChangeCursor, Direction, LineageCursor } from '../../schemas/graph-queries.js';
import type { EdgeType } from '../../schemas/graph.js';

/** Per node and hop, at most this many neighbours are followed (per direction), lowest ids first. */
export const FAN_OUT_CAP = 200;
/** At most this many new nodes per depth level, so a hub cannot blow a traversal up. */
export const LEVEL_CAP = 5000;
/** Impact answers at most this many nodes per group. */
export const IMPACT_GROUP_CAP = 1000;

// ---------------------------------------------------------------------------------------------------
// Views (what the API returns)

export interface ProvenanceSummary {
  readonly actor: { readonly id: string; readonly type: string };
  readonly sourceSystem: string;
  readonly observedAt: string;
  /** When the fact holds from (the event's effectiveAt: the row's valid_from). */
  readonly effectiveAt: string;
  readonly recordedAt: string;
  /** How sure the source was (the event's meta.confidence, 0..1). */
  readonly confidence: number;
  readonly event: { readonly id: string; readonly hash: string; readonly revision: number; readonly position: string };
}

export interface NodeRef {
  readonly id: string;
  readonly type: string;
  /** null when the node is not (or, as of, was not) in the graph, e.g. an edge end that was retired. */
  readonly region: string | null;
  readonly attributes: unknown;
}

export interface NodeView extends NodeRef {
  readonly externalId: string | null;
  readonly validFrom: string;
  /** Only as of a time: when this version stopped being valid (null: still valid). */
  readonly validTo?: string | null;
  readonly provenance: ProvenanceSummary;
}

export interface EdgeRef {
  readonly type: string;
  readonly from: string;
  readonly to: string;
}

export interface LineageItem {
  readonly node: NodeRef;
  readonly depth: number;
  /** The last edge of the (first, by edge id) shortest path that reached the node. */
  readonly edge: EdgeRef;
  readonly provenance: ProvenanceSummary;
}

export interface Page<T, C> {
  readonly items: readonly T[];
  readonly next: C | undefined;
}

/** A node linked to the one asked about, the link (edge) that joins them and where the link came from. */
export interface LinkedNode {
  readonly node: NodeRef;
  readonly via: EdgeRef & { readonly validFrom: string };
  readonly provenance: ProvenanceSummary;
}

export interface ServiceSurface {
  readonly incidents: readonly LinkedNode[];
  readonly deployments: readonly LinkedNode[];
  readonly datasets: readonly LinkedNode[];
}

export interface IncidentImpact {
  readonly services: readonly LinkedNode[];
  readonly deployments: readonly LinkedNode[];
  readonly datasets: readonly LinkedNode[];
  readonly users: readonly LinkedNode[];
}

export interface ChangeView {
  readonly kind: 'node' | 'edge';
  /** Node id, or edge id `from|TYPE|to`. */
  readonly id: string;
  readonly change: 'upserted' | 'retired' | 'asserted' | 'retracted';
  /** Node type (nodes) or edge type (edges). */
  readonly type: string;
  readonly edge?: EdgeRef;
  readonly region: string;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly provenance: ProvenanceSummary;
}

export interface EdgeVersionView extends EdgeRef {
  readonly id: string;
  readonly fromType: string;
  readonly toType: string;
  readonly region: string;
  readonly attributes: unknown;
  readonly retracted: boolean;
  /** Whether the edge holds now (its last version in valid time is not a retraction). */
  readonly current: boolean;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly provenance: ProvenanceSummary;
}

export interface LineageRequest {
  readonly id: string;
  readonly depth: number;
  readonly direction: Direction;
  readonly types: readonly EdgeType[] | undefined;
  readonly asOf: string | undefined;
  readonly limit: number;
  readonly after: LineageCursor | undefined;
}

export interface ChangesRequest {
  readonly resource: string | undefined;
  readonly actor: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly limit: number;
  readonly after: ChangeCursor | undefined;
}

// ---------------------------------------------------------------------------------------------------
// Rows

interface ProvenanceColumns {
  readonly actor_id: string;
  readonly actor_type: string;
  readonly source_system: string;
  readonly observed_at: Date;
  readonly recorded_at: Date;
  readonly event_id: string;
  readonly event_hash: string;
  readonly stream_revision: bigint;
  readonly position: bigint;
  readonly confidence: number;
  /** The event's effectiveAt; each query selects it beside the provenance columns. */
  readonly valid_from: Date;
}

/** The provenance columns of a version or current row aliased `alias`, as ProvenanceColumns (but valid_from). */
const provenanceOf = (alias: string) =>
  ['actor_id', 'actor_type', 'source_system', 'observed_at', 'recorded_at', 'event_id', 'event_hash', 'stream_revision', 'position', 'confidence']
    .map((c) => `${alias}.${c}`)
    .join(', ');

interface NodeColumns extends ProvenanceColumns {
  readonly node_id: string;
  readonly node_type: string;
  readonly region: string;
  readonly attributes: unknown;
  readonly external_id: string | null;
  readonly valid_from: Date;
  readonly valid_to?: Date | null;
}

interface LinkColumns extends ProvenanceColumns {
  readonly kind: string;
  readonly node_id: string;
  readonly node_type: string;
  readonly node_region: string | null;
  readonly node_attributes: unknown;
  readonly edge_type: string;
  readonly from_id: string;
  readonly to_id: string;
  readonly valid_from: Date;
}

const iso = (d: Date): string => d.toISOString();

const summary = (r: ProvenanceColumns): ProvenanceSummary => ({
  actor: { id: r.actor_id, type: r.actor_type },
  sourceSystem: r.source_system,
  observedAt: iso(r.observed_at),
  effectiveAt: iso(r.valid_from),
  recordedAt: iso(r.recorded_at),
  confidence: r.confidence,
  event: { id: r.event_id, hash: r.event_hash, revision: Number(r.stream_revision), position: String(r.position) },
});

const linked = (r: LinkColumns): LinkedNode => ({
  node: { id: r.node_id, type: r.node_type, region: r.node_region, attributes: r.node_attributes },
  via: { type: r.edge_type, from: r.from_id, to: r.to_id, validFrom: iso(r.valid_from) },
  provenance: summary(r),
});

const grouped = <K extends string>(rows: readonly LinkColumns[], kinds: readonly K[]): Record<K, LinkedNode[]> => {
  const out = Object.fromEntries(kinds.map((k) => [k, [] as LinkedNode[]])) as Record<K, LinkedNode[]>;
  for (const r of rows) out[r.kind as K]?.push(linked(r));
  return out;
};

/** Columns of a link row: the edge `e` (with its provenance) and the linked node id. */
const LINK = (nodeEnd: 'from_id' | 'to_id') =>
  `e.${nodeEnd} AS node_id, e.edge_id, e.edge_type, e.from_id, e.to_id, e.from_type, e.to_type, e.valid_from, ${provenanceOf('e')}`;

// ---------------------------------------------------------------------------------------------------

export class GraphQueries {
  readonly #store: ReadStore;
  /** Quoted schema of the read model (a plain identifier; see assertIdentifier). */
  readonly #s: string;

  constructor(store: ReadStore, schema: string = store.schema) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TypeError(`schema name ${JSON.stringify(schema)} is not a plain identifier`);
    this.#store = store;
    this.#s = `"${schema}"`;
  }

  #query<R>(text: string, params: readonly (string | null)[]): Promise<R[]> {
    return this.#store.withSession((session) => session.query<R>(text, params));
  }

  /** The node now, or the version valid at `asOf` (not a retirement); undefined when there is none. */
  async node(tenant: string, id: string, asOf?: string): Promise<NodeView | undefined> {
    const rows =
      asOf === undefined
        ? await this.#query<NodeColumns>(
            `SELECT n.node_id, n.node_type, n.region, n.attributes, n.external_id, n.valid_from, ${provenanceOf('n')}
             FROM ${this.#s}.graph_nodes n WHERE n.tenant = $1 AND n.node_id = $2`,
            [tenant, id],
          )
        : await this.#query<NodeColumns>(
            `SELECT v.node_id, v.node_type, v.region, v.attributes, v.external_id, v.valid_from, v.valid_to, ${provenanceOf('v')}
             FROM ${this.#s}.graph_node_versions v
             WHERE v.tenant = $1 AND v.node_id = $2 AND v.valid_from <= $3::timestamptz
               AND (v.valid_to IS NULL OR v.valid_to > $3::timestamptz) AND NOT v.retired
             ORDER BY v.valid_from DESC, v.position DESC LIMIT 1`,
            [tenant, id, asOf],
          );
    const r = rows[0];
    if (r === undefined) return undefined;
    return {
      id: r.node_id,
      type: r.node_type,
      region: r.region,
      attributes: r.attributes,
      externalId: r.external_id,
      validFrom: iso(r.valid_from),
      ...(asOf === undefined ? {} : { validTo: r.valid_to ? iso(r.valid_to) : null }),
      provenance: summary(r),
    };
  }

  /**
   * Lineage: nodes within `depth` hops of `id`, breadth first. One recursive CTE: each iteration holds a
   * whole level (ids, the edge that reached each, and every id visited so far), so a node appears once, at
   * its shortest depth, and cycles end. Hops use current edges, or with `asOf` the edge versions valid
   * then; ordered by (depth, node id) for keyset pages.
   */
  async related(tenant: string, q: LineageRequest): Promise<Page<LineageItem, LineageCursor>> {
    const s = this.#s;
    const typed = `($4::text IS NULL OR e.edge_type = ANY (string_to_array($4::text, ',')))`;
    const live = q.asOf === undefined
      ? `${s}.graph_edges e WHERE e.tenant = $1`
      : `${s}.graph_edge_versions e WHERE e.tenant = $1 AND e.valid_from <= $8::timestamptz
           AND (e.valid_to IS NULL OR e.valid_to > $8::timestamptz) AND NOT e.retracted`;
    // Edge ids are from|TYPE|to (schemas/graph.ts), so a hop reads only index columns.
    const hop = (near: 'from_id' | 'to_id', far: 'from_id' | 'to_id') =>
      `(SELECT e.${far} AS id, e.from_id || '|' || e.edge_type || '|' || e.to_id AS edge_id
        FROM ${live} AND e.${near} = f.id AND ${typed}
        ORDER BY e.${far}, e.edge_type LIMIT ${FAN_OUT_CAP})`;
    const hops =
      q.direction === 'down' ? hop('from_id', 'to_id')
      : q.direction === 'up' ? hop('to_id', 'from_id')
      : `${hop('from_id', 'to_id')} UNION ALL ${hop('to_id', 'from_id')}`;
    const found =
      q.asOf === undefined
        ? `JOIN ${s}.graph_edges e ON e.tenant = $1 AND e.edge_id = r.edge_id
           LEFT JOIN ${s}.graph_nodes n ON n.tenant = $1 AND n.node_id = r.id`
        : `JOIN LATERAL (SELECT * FROM ${s}.graph_edge_versions e WHERE e.tenant = $1 AND e.edge_id = r.edge_id
                           AND e.valid_from <= $8::timestamptz AND (e.valid_to IS NULL OR e.valid_to > $8::timestamptz)
                         ORDER BY e.valid_from DESC, e.position DESC LIMIT 1) e ON true
           LEFT JOIN LATERAL (SELECT * FROM ${s}.graph_node_versions n WHERE n.tenant = $1 AND n.node_id = r.id
                                AND n.valid_from <= $8::timestamptz AND (n.valid_to IS NULL OR n.valid_to > $8::timestamptz)
                                AND NOT n.retired
                              ORDER BY n.valid_from DESC, n.position DESC LIMIT 1) n ON true`;
    const rows = await this.#query<ProvenanceColumns & {
      depth: number; id: string; node_type: string; region: string | null; attributes: unknown;
      edge_type: string; from_id: string; to_id: string;
    }>(
      `WITH RECURSIVE walk(depth, ids, via, visited) AS (
         SELECT 0, ARRAY[$2::text], ARRAY[NULL::text], ARRAY[$2::text]
         UNION ALL
         SELECT w.depth + 1, nxt.ids[1:${LEVEL_CAP}], nxt.via[1:${LEVEL_CAP}], w.visited || nxt.ids[1:${LEVEL_CAP}]
         FROM walk w
         CROSS JOIN LATERAL (
           SELECT array_agg(c.id ORDER BY c.id) AS ids, array_agg(c.edge_id ORDER BY c.id) AS via
           FROM (SELECT DISTINCT ON (h.id) h.id, h.edge_id
                 FROM unnest(w.ids) AS f(id) CROSS JOIN LATERAL (${hops}) h
                 -- an anti join: the visited set is hashed once per level, not scanned per candidate
                 WHERE NOT EXISTS (SELECT 1 FROM unnest(w.visited) AS v(id) WHERE v.id = h.id)
                 ORDER BY h.id, h.edge_id) c
         ) nxt
         WHERE w.depth < $3::int AND nxt.ids IS NOT NULL
       ),
       -- The page is cut before anything is joined: only its rows read edges and nodes.
       page AS (
         SELECT w.depth, r.id, r.edge_id
         FROM walk w CROSS JOIN LATERAL unnest(w.ids, w.via) AS r(id, edge_id)
         WHERE w.depth > 0 AND (w.depth, r.id) > ($5::int, $6::text)
         ORDER BY w.depth, r.id
         LIMIT $7::int
       )
       SELECT r.depth, r.id,
              COALESCE(n.node_type, CASE WHEN e.to_id = r.id THEN e.to_type ELSE e.from_type END) AS node_type,
              n.region, n.attributes, e.edge_type, e.from_id, e.to_id, e.valid_from, ${provenanceOf('e')}
       FROM page r
       ${found}
       ORDER BY r.depth, r.id`,
      [
        tenant, q.id, String(q.depth), q.types === undefined ? null : q.types.join(','),
        String(q.after?.depth ?? 0), q.after?.id ?? '', String(q.limit + 1),
        ...(q.asOf === undefined ? [] : [q.asOf]),
      ],
    );
    const items = rows.slice(0, q.limit).map((r): LineageItem => ({
      node: { id: r.id, type: r.node_type, region: r.region, attributes: r.attributes ?? null },
      depth: r.depth,
      edge: { type: r.edge_type, from: r.from_id, to: r.to_id },
      provenance: summary(r),
    }));
    const last = items[items.length - 1];
    return { items, next: rows.length > q.limit && last !== undefined ? { depth: last.depth, id: last.node.id } : undefined };
  }

  /**
   * A service's surface: its incidents (Service OBSERVES Incident, Incident RELATES_TO Service), deployments
   * (Deployment DEPLOYS Service) and datasets (Service PRODUCES|CONSUMES Dataset), over current edges. One item
   * per link, newest link first. `since` keeps links whose edge became valid (effectiveAt) at or after it;
   * `region` keeps linked nodes of that region; `limit` applies per group.
   */
  async surface(tenant: string, serviceId: string, q: { readonly since?: string; readonly region?: string; readonly limit: number }): Promise<ServiceSurface> {
    const s = this.#s;
    const edges = `${s}.graph_edges e WHERE e.tenant = $1`;
    const rows = await this.#query<LinkColumns>(
      `WITH links AS (
         SELECT 'incidents' AS kind, ${LINK('to_id')} FROM ${edges} AND e.from_id = $2 AND e.edge_type = 'OBSERVES'
         UNION ALL
         SELECT 'incidents', ${LINK('from_id')} FROM ${edges} AND e.to_id = $2 AND e.edge_type = 'RELATES_TO'
         UNION ALL
         SELECT 'deployments', ${LINK('from_id')} FROM ${edges} AND e.to_id = $2 AND e.edge_type = 'DEPLOYS'
         UNION ALL
         SELECT 'datasets', ${LINK('to_id')} FROM ${edges} AND e.from_id = $2 AND e.edge_type IN ('PRODUCES', 'CONSUMES')
           AND e.to_type = 'Dataset'
       ),
       ranked AS (
         SELECT l.*, n.node_type, n.region AS node_region, n.attributes AS node_attributes,
                row_number() OVER (PARTITION BY l.kind ORDER BY l.valid_from DESC, l.node_id, l.edge_type) AS rank
         FROM links l JOIN ${s}.graph_nodes n ON n.tenant = $1 AND n.node_id = l.node_id
         WHERE ($3::timestamptz IS NULL OR l.valid_from >= $3::timestamptz) AND ($4::text IS NULL OR n.region = $4::text)
       )
       SELECT * FROM ranked WHERE rank <= $5::int ORDER BY kind, rank`,
      [tenant, serviceId, q.since ?? null, q.region ?? null, String(q.limit)],
    );
    return grouped(rows, ['incidents', 'deployments', 'datasets'] as const);
  }

  /**
   * An incident's impact, over current edges (one statement):
   * - services S: Service OBSERVES the incident, or the incident RELATES_TO the Service;
   * - deployments D: Deployment DEPLOYS a service of S;
   * - datasets X: the incident RELATES_TO the Dataset, or a service of S PRODUCES|CONSUMES the Dataset;
   * - users: User APPROVES a deployment of D; User PERFORMS a Run that PRODUCES|CONSUMES a dataset of X;
   *   UserCohort TARGETed by a FeatureFlag that CONSUMES a dataset of X.
   * `region` filters the nodes answered, not the traversal (an eu-west user approving an affected service's
   * deployment is answered under region=eu-west even if the service is in us-east). Each node appears once per
   * group, with the link of lowest edge id that reached it; at most IMPACT_GROUP_CAP per group.
   */
  async impact(tenant: string, incidentId: string, q: { readonly region?: string }): Promise<IncidentImpact> {
    const s = this.#s;
    const edges = `${s}.graph_edges e WHERE e.tenant = $1`;
    const rows = await this.#query<LinkColumns>(
      `WITH services AS (
         SELECT ${LINK('from_id')} FROM ${edges} AND e.to_id = $2 AND e.edge_type = 'OBSERVES'
         UNION ALL
         SELECT ${LINK('to_id')} FROM ${edges} AND e.from_id = $2 AND e.edge_type = 'RELATES_TO' AND e.to_type = 'Service'
       ),
       deployments AS (
         SELECT ${LINK('from_id')} FROM ${edges} AND e.edge_type = 'DEPLOYS' AND e.to_id IN (SELECT node_id FROM services)
       ),
       datasets AS (
         SELECT ${LINK('to_id')} FROM ${edges} AND e.from_id = $2 AND e.edge_type = 'RELATES_TO' AND e.to_type = 'Dataset'
         UNION ALL
         SELECT ${LINK('to_id')} FROM ${edges} AND e.from_id IN (SELECT node_id FROM services)
           AND e.edge_type IN ('PRODUCES', 'CONSUMES') AND e.to_type = 'Dataset'
       ),
       users AS (
         SELECT ${LINK('from_id')} FROM ${edges} AND e.edge_type = 'APPROVES' AND e.to_id IN (SELECT node_id FROM deployments)
         UNION ALL
         SELECT ${LINK('from_id')} FROM ${edges} AND e.edge_type = 'PERFORMS' AND e.to_id IN (
           SELECT r.from_id FROM ${s}.graph_edges r WHERE r.tenant = $1 AND r.edge_type IN ('PRODUCES', 'CONSUMES')
             AND r.from_type = 'Run' AND r.to_id IN (SELECT node_id FROM datasets))
         UNION ALL
         SELECT ${LINK('to_id')} FROM ${edges} AND e.edge_type = 'TARGETS' AND e.from_id IN (
           SELECT f.from_id FROM ${s}.graph_edges f WHERE f.tenant = $1 AND f.edge_type = 'CONSUMES'
             AND f.from_type = 'FeatureFlag' AND f.to_id IN (SELECT node_id FROM datasets))
       ),
       found AS (
         SELECT 'services' AS kind, * FROM services UNION ALL SELECT 'deployments', * FROM deployments
         UNION ALL SELECT 'datasets', * FROM datasets UNION ALL SELECT 'users', * FROM users
       ),
       once AS (
         SELECT DISTINCT ON (f.kind, f.node_id) f.*, n.node_type, n.region AS node_region, n.attributes AS node_attributes
         FROM found f JOIN ${s}.graph_nodes n ON n.tenant = $1 AND n.node_id = f.node_id
         WHERE $3::text IS NULL OR n.region = $3::text
         ORDER BY f.kind, f.node_id, f.edge_id
       )
       SELECT * FROM (SELECT once.*, row_number() OVER (PARTITION BY kind ORDER BY node_id) AS rank FROM once) ranked
       WHERE rank <= ${IMPACT_GROUP_CAP} ORDER BY kind, rank`,
      [tenant, incidentId, q.region ?? null],
    );
    return grouped(rows, ['services', 'deployments', 'datasets', 'users'] as const);
  }

  /**
   * Change audit: node and edge versions newest first by (observed_at, log position), of a resource (the node,
   * and edges with it at either end) and/or by an actor, in [from, to) of observed time. Each branch walks
   * its own index in observed order and stops at the page size; the outer merge keeps the page.
   */
  async changes(tenant: string, q: ChangesRequest): Promise<Page<ChangeView, ChangeCursor>> {
    const s = this.#s;
    // $1 tenant, $2 resource, $3 actor, $4 from, $5 to, $6/$7 cursor (observed_at, position), $8 page size + 1
    const window = (v: string) =>
      `($3::text IS NULL OR ${v}.actor_id = $3::text)
       AND ($4::timestamptz IS NULL OR ${v}.observed_at >= $4::timestamptz)
       AND ($5::timestamptz IS NULL OR ${v}.observed_at < $5::timestamptz)
       AND ($6::timestamptz IS NULL OR ${v}.observed_at <= $6::timestamptz)
       AND ($6::timestamptz IS NULL OR ${v}.observed_at < $6::timestamptz OR ${v}.position < $7::bigint)
       ORDER BY ${v}.observed_at DESC, ${v}.position DESC LIMIT $8::int`;
    const node = (key: string) =>
      `(SELECT 'node' AS kind, v.node_id AS id, v.node_type AS type, NULL AS from_id, NULL AS to_id, v.retired AS removed,
               v.region, v.valid_from, v.valid_to, ${provenanceOf('v')}
        FROM ${s}.graph_node_versions v WHERE v.tenant = $1 AND ${key} AND ${window('v')})`;
    const edge = (key: string) =>
      `(SELECT 'edge' AS kind, v.edge_id AS id, v.edge_type AS type, v.from_id, v.to_id, v.retracted AS removed,
               v.region, v.valid_from, v.valid_to, ${provenanceOf('v')}
        FROM ${s}.graph_edge_versions v WHERE v.tenant = $1 AND ${key} AND ${window('v')})`;
    // Every parameter appears in each variant (PostgreSQL must infer its type); custom plans fold the NULL tests away.
    const branches =
      q.resource !== undefined
        ? [node('v.node_id = $2::text'), edge('v.from_id = $2::text'), edge('v.to_id = $2::text AND v.from_id <> $2::text')]
        : [node('$2::text IS NULL AND v.actor_id = $3::text'), edge('$2::text IS NULL AND v.actor_id = $3::text')];
    const rows = await this.#query<ProvenanceColumns & {
      kind: 'node' | 'edge'; id: string; type: string; from_id: string | null; to_id: string | null; removed: boolean;
      region: string; valid_from: Date; valid_to: Date | null; observed_us: string;
    }>(
      `SELECT c.*, to_char(c.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS observed_us
       FROM (${branches.join(' UNION ALL ')}) c
       ORDER BY c.observed_at DESC, c.position DESC LIMIT $8::int`,
      [
        tenant, q.resource ?? null, q.actor ?? null, q.from ?? null, q.to ?? null,
        q.after?.observedAt ?? null, q.after?.position ?? null, String(q.limit + 1),
      ],
    );
    const page = rows.slice(0, q.limit);
    const items = page.map((r): ChangeView => ({
      kind: r.kind,
      id: r.id,
      change: r.kind === 'node' ? (r.removed ? 'retired' : 'upserted') : r.removed ? 'retracted' : 'asserted',
      type: r.type,
      ...(r.kind === 'edge' ? { edge: { type: r.type, from: r.from_id ?? '', to: r.to_id ?? '' } } : {}),
      region: r.region,
      validFrom: iso(r.valid_from),
      validTo: r.valid_to ? iso(r.valid_to) : null,
      provenance: summary(r),
    }));
    const last = page[page.length - 1];
    return { items, next: rows.length > q.limit && last !== undefined ? { observedAt: last.observed_us, position: String(last.position) } : undefined };
  }

  /** The edge's latest version in valid time (a retraction if it no longer holds); undefined if never asserted. */
  async edgeVersion(tenant: string, edgeId: string): Promise<EdgeVersionView | undefined> {
    const rows = await this.#query<ProvenanceColumns & {
      edge_id: string; edge_type: string; from_id: string; to_id: string; from_type: string; to_type: string; region: string;
      attributes: unknown; retracted: boolean; valid_from: Date; valid_to: Date | null; current: boolean;
    }>(
      `SELECT v.edge_id, v.edge_type, v.from_id, v.to_id, v.from_type, v.to_type, v.region, v.attributes, v.retracted,
              v.valid_from, v.valid_to, ${provenanceOf('v')},
              EXISTS (SELECT 1 FROM ${this.#s}.graph_edges c WHERE c.tenant = $1 AND c.edge_id = $2) AS current
       FROM ${this.#s}.graph_edge_versions v WHERE v.tenant = $1 AND v.edge_id = $2
       ORDER BY v.valid_from DESC, v.position DESC LIMIT 1`,
      [tenant, edgeId],
    );
    const r = rows[0];
    if (r === undefined) return undefined;
    return {
      id: r.edge_id,
      type: r.edge_type,
      from: r.from_id,
      to: r.to_id,
      fromType: r.from_type,
      toType: r.to_type,
      region: r.region,
      attributes: r.attributes,
      retracted: r.retracted,
      current: r.current,
      validFrom: iso(r.valid_from),
      validTo: r.valid_to ? iso(r.valid_to) : null,
      provenance: summary(r),
    };
  }
}

// How the graph's derived rows follow from its version history, as SQL shared by the per-batch writer
// (over the keys a batch touched) and the bulk load's finish (over every key): a version's valid_to is the
// next version's valid_from in valid time (ties by log position); the current row is the latest version in
// valid time unless that version is a retirement (retraction).

/** One of the graph's two versioned things: nodes or edges. */
export interface VersionedThing {
  readonly versions: 'graph_node_versions' | 'graph_edge_versions';
  readonly current: 'graph_nodes' | 'graph_edges';
  readonly key: 'node_id' | 'edge_id';
  /** The version column that says it ended (retired, retracted). */
  readonly ended: 'retired' | 'retracted';
  /** Columns of a current row, copied from its latest version. */
  readonly currentColumns: readonly string[];
  /** Columns an existing current row takes from a newer latest version (the others never change). */
  readonly updatedColumns: readonly string[];
}

// Current rows keep where the fact came from, not the whole envelope (it stays on the version row).
const CURRENT_PROVENANCE_COLUMNS = ['observed_at', 'recorded_at', 'actor_id', 'actor_type', 'source_system', 'event_id', 'event_hash', 'stream_revision', 'position', 'confidence'];

export const NODES: VersionedThing = {
  versions: 'graph_node_versions',
  current: 'graph_nodes',
  key: 'node_id',
  ended: 'retired',
  currentColumns: ['tenant', 'node_id', 'node_type', 'region', 'attributes', 'external_id', 'valid_from', ...CURRENT_PROVENANCE_COLUMNS],
  updatedColumns: ['node_type', 'region', 'attributes', 'external_id', 'valid_from', ...CURRENT_PROVENANCE_COLUMNS],
};

export const EDGES: VersionedThing = {
  versions: 'graph_edge_versions',
  current: 'graph_edges',
  key: 'edge_id',
  ended: 'retracted',
  currentColumns: [
    'tenant', 'edge_id', 'edge_type', 'from_id', 'to_id', 'from_type', 'to_type', 'region', 'attributes', 'valid_from', ...CURRENT_PROVENANCE_COLUMNS,
  ],
  updatedColumns: ['attributes', 'valid_from', 'region', ...CURRENT_PROVENANCE_COLUMNS],
};

/**
 * Which keys the bulk load's statement covers: `with` (a CTE named `touched` with tenant and the key) and
 * `join` (restricting the versions aliased v to them).
 */
export interface KeyScope {
  readonly with: string;
  readonly join: string;
}

/**
 * The keys whose valid_to can be wrong: those with more than one version, or any valid_to set. A key with a
 * single version needs valid_to null, so a rebuild (nearly all keys have one version) skips sorting them.
 */
export const keysWithHistory = (s: string, t: VersionedThing): KeyScope => ({
  with: `touched AS (SELECT tenant, ${t.key} FROM ${s}.${t.versions} GROUP BY tenant, ${t.key} HAVING count(*) > 1 OR bool_or(valid_to IS NOT NULL))`,
  join: `JOIN touched USING (tenant, ${t.key})`,
});

/** Sets valid_to of the versions in scope where it is not yet right (the bulk load's pass over many keys). */
export function closeWindowsSql(s: string, t: VersionedThing, scope: KeyScope): string {
  return `WITH ${scope.with},
    windows AS (SELECT v.tenant, v.${t.key}, v.valid_from, v.position,
                       lead(v.valid_from) OVER (PARTITION BY v.tenant, v.${t.key} ORDER BY v.valid_from, v.position) AS next_from
                  FROM ${s}.${t.versions} v ${scope.join})
    UPDATE ${s}.${t.versions} v SET valid_to = w.next_from FROM windows w
    WHERE v.tenant = w.tenant AND v.${t.key} = w.${t.key} AND v.valid_from = w.valid_from AND v.position = w.position
      AND v.valid_to IS DISTINCT FROM w.next_from`;
}

// A batch's statements look each key's versions up by the primary key, in its order (LATERAL), never by a
// join the planner may answer with another index: their plans are kept (batch-function.ts) and were made
// while the tables were small, when a join on the tenant alone (graph_node_versions_actor) cost the same as
// one on the whole key, and then read every version of the tenant per batch (3 ms a statement within 15 s).

/** The batch's keys, from the json array `keys` (tenant and key), as a CTE named `touched`. */
const batchKeys = (t: VersionedThing, keys: string) =>
  `touched AS (SELECT DISTINCT tenant, ${t.key} FROM json_to_recordset(${keys}) AS k(tenant text, ${t.key} text))`;

/**
 * Sets valid_to of the versions of the batch's keys where it is not yet right. The update finds each row by
 * the ctid its key's lookup read, in the same statement: a join on the key's columns let a plan made on small
 * tables put the whole versions table on the outer side of the loop (a full index scan per batch, 3 ms within 15 s).
 */
export function closeWindowsOfKeysSql(s: string, t: VersionedThing, keys: string): string {
  return `WITH ${batchKeys(t, keys)},
    windows AS (SELECT w.version_row, w.next_from FROM touched k CROSS JOIN LATERAL (
                  SELECT v.ctid AS version_row, v.valid_to,
                         lead(v.valid_from) OVER (ORDER BY v.valid_from, v.position) AS next_from
                    FROM ${s}.${t.versions} v WHERE v.tenant = k.tenant AND v.${t.key} = k.${t.key}) w
                 WHERE w.valid_to IS DISTINCT FROM w.next_from)
    UPDATE ${s}.${t.versions} v SET valid_to = w.next_from FROM windows w WHERE v.ctid = w.version_row`;
}

/** Brings the current rows of the batch's keys in line with their latest versions (upsert, or delete when ended). */
export function refreshCurrentOfKeysSql(s: string, t: VersionedThing, keys: string): string {
  return `WITH ${batchKeys(t, keys)},
    latest AS (SELECT l.* FROM touched k CROSS JOIN LATERAL (
                 SELECT v.* FROM ${s}.${t.versions} v WHERE v.tenant = k.tenant AND v.${t.key} = k.${t.key}
                  ORDER BY v.valid_from DESC, v.position DESC LIMIT 1) l),
    gone AS (DELETE FROM ${s}.${t.current} c USING latest l WHERE l.${t.ended} AND c.tenant = l.tenant AND c.${t.key} = l.${t.key})
    INSERT INTO ${s}.${t.current} (${t.currentColumns.join(', ')})
    SELECT ${t.currentColumns.map((c) => `l.${c}`).join(', ')} FROM latest l WHERE NOT l.${t.ended}
    ON CONFLICT (tenant, ${t.key}) DO UPDATE SET ${t.updatedColumns.map((c) => `${c} = excluded.${c}`).join(', ')}`;
}

/**
 * Fills the (emptied) current table from every key's latest version: the bulk load's one pass. Keys in
 * descending order too, so the primary key read backwards gives each key's latest first, without sorting
 * every version (envelope and all) of the table.
 */
export function fillCurrentSql(s: string, t: VersionedThing): string {
  return `WITH latest AS (SELECT DISTINCT ON (v.tenant, v.${t.key}) v.* FROM ${s}.${t.versions} v
                       ORDER BY v.tenant DESC, v.${t.key} DESC, v.valid_from DESC, v.position DESC)
    INSERT INTO ${s}.${t.current} (${t.currentColumns.join(', ')})
    SELECT ${t.currentColumns.map((c) => `l.${c}`).join(', ')} FROM latest l WHERE NOT l.${t.ended}`;
}

// The tenant trees as a read model: per tenant, an RFC 6962 Merkle tree whose leaves are the tenant's
// events in log order (every stream, denials and checkpoint events included), leaf input = the 32 bytes
// of the event's sealed `hash`. An event whose envelope does not decode is skipped as a fault, as by every
// read model (commands/verify-tree.ts counts leaves the same way; the chain verification names the event).
// Per batch and tenant: resume the right edge from the stored perfect subtrees (ledger/merkle.ts CompactRange;
// one query), append, and write every perfect subtree completed, the leaf's event, and the checkpoints the
// batch holds (by COPY for a long batch, else as statements the runtime sends with its COMMIT). A pure
// function of the events: replay digests it like the others.
import { isLeft } from 'fp-ts/lib/Either.js';
import { CompactRange, leafHash, rootPlan } from '../../ledger/merkle.js';
import type { SqlSession, SqlStatement } from '../../adapters/read-store/read-store.js';
import { CHECKPOINT_EVENT_TYPE, CheckpointSignedEvent } from '../../schemas/checkpoint-event.js';
import { copyField } from '../copy-text.js';
import type { ProjectedEvent, Projection } from '../projection.js';
import { treeMigrations } from './tree-migrations.js';

/** bytea as COPY text and as a SQL literal's input: `\x` and hex. */
export const byteaText = (bytes: Uint8Array): string => '\\x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** An instant PostgreSQL's timestamptz holds (years 1-9999, UTC), or null: a leaf must never be refused. */
function storableInstant(instant: string): string | null {
  const ms = Date.parse(instant);
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) && !iso.startsWith('0000') ? iso : null;
}

interface TenantTree {
  readonly range: CompactRange;
  settled: number;
}

/** Events in a batch from which its rows go by COPY: below, the COPY protocol's extra round trips cost more than statements. */
const COPY_FROM_EVENTS = 64;

interface NodeRow {
  readonly tenant: string;
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

interface LeafRow {
  readonly tenant: string;
  readonly leaf_index: number;
  readonly event_id: string;
  readonly position: string;
  readonly sealed_at: string | null;
}

interface CheckpointRow {
  readonly tenant: string;
  readonly tree_size: number;
  readonly root: string;
  readonly note: string;
  readonly key_id: string;
  readonly event_id: string;
  readonly position: string;
}

/**
 * The stored right edge of each tenant in `tenants` (an empty tree for a tenant seen first), in one query:
 * a tree of `size` leaves has a perfect subtree at each level whose bit is set in `size`, the one ending at
 * the last leaf, at index (size >> level) − 1 (ledger/merkle.ts rootPlan, checked below). Each is looked up
 * by its whole primary key in a subquery of its own: as a join, a table not yet analyzed (a young read model)
 * got a plan that scanned every node of the tenant.
 */
async function loadTrees(session: SqlSession, s: string, tenants: readonly string[]): Promise<Map<string, TenantTree>> {
  const rows = await session.query<{ tenant: string; size: bigint; settled_size: bigint; level: number | null; index: bigint | null; hash: Uint8Array | null }>(
    `SELECT t.tenant, t.size, t.settled_size, l.level, l.index,
            (SELECT n.hash FROM ${s}.tree_nodes n WHERE n.tenant = t.tenant AND n.level = l.level AND n.index = l.index) AS hash
     FROM ${s}.tree_tenants t
     LEFT JOIN LATERAL (SELECT g.level::smallint AS level, (t.size >> g.level) - 1 AS index
                        FROM generate_series(0, 62) AS g(level) WHERE (t.size >> g.level) & 1 = 1) l ON true
     WHERE t.tenant IN (SELECT jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(tenants)],
  );
  const stored = new Map<string, { size: number; settled: number; hashOf: Map<string, Uint8Array> }>();
  for (const r of rows) {
    let t = stored.get(r.tenant);
    if (t === undefined) stored.set(r.tenant, (t = { size: Number(r.size), settled: Number(r.settled_size), hashOf: new Map() }));
    if (r.hash !== null) t.hashOf.set(`${r.level}\u0000${r.index}`, Uint8Array.from(r.hash));
  }
  const trees = new Map<string, TenantTree>();
  for (const [tenant, { size, settled, hashOf }] of stored) {
    const edge = rootPlan(size).map((n) => {
      const hash = hashOf.get(`${n.level}\u0000${n.index}`);
      if (hash === undefined) throw new Error(`tree of ${tenant}: perfect subtree (${n.level}, ${n.index}) of size ${size} is missing`);
      return hash;
    });
    trees.set(tenant, { range: CompactRange.resume(size, edge), settled });
  }
  for (const t of tenants) if (!trees.has(t)) trees.set(t, { range: new CompactRange(), settled: 0 });
  return trees;
}

async function applyTree(session: SqlSession, s: string, events: readonly ProjectedEvent[]): Promise<readonly SqlStatement[]> {
  if (events.length === 0) return [];
  const tenants = [...new Set(events.map((e) => e.event.tenant))];
  const trees = await loadTrees(session, s, tenants);
  const nodes: NodeRow[] = [];
  const leaves: LeafRow[] = [];
  const checkpoints: CheckpointRow[] = [];
  for (const { event, position } of events) {
    const tree = trees.get(event.tenant)!;
    const leafIndex = tree.range.size;
    for (const n of tree.range.append(leafHash(Buffer.from(event.hash, 'hex')))) nodes.push({ tenant: event.tenant, level: n.level, index: n.index, hash: n.hash });
    leaves.push({ tenant: event.tenant, leaf_index: leafIndex, event_id: event.id, position: position.toString(), sealed_at: storableInstant(event.sealedAt) });
    const checkpoint = event.type === CHECKPOINT_EVENT_TYPE ? CheckpointSignedEvent.decode(event) : undefined;
    if (checkpoint !== undefined && !isLeft(checkpoint)) {
      const d = checkpoint.right.data;
      checkpoints.push({
        tenant: event.tenant, tree_size: d.treeSize, root: byteaText(Buffer.from(d.rootHash, 'base64')), note: d.note, key_id: d.keyId,
        event_id: event.id, position: position.toString(),
      });
    } else {
      // Anything but a well-formed checkpoint is news a checkpoint should cover.
      tree.settled = leafIndex + 1;
    }
  }
  // A long batch (a catch-up) goes by COPY; a live one's few rows go as statements with the rest, in one round trip.
  const copy = events.length >= COPY_FROM_EVENTS;
  if (copy) {
    await session.copyFrom(`${s}.tree_nodes (tenant, level, index, hash)`, nodes.map((n) => `${n.tenant}\t${n.level}\t${n.index}\t${copyField(byteaText(n.hash))}\n`).join(''));
    await session.copyFrom(
      `${s}.tree_leaves (tenant, leaf_index, event_id, position, sealed_at)`,
      leaves.map((l) => `${l.tenant}\t${l.leaf_index}\t${l.event_id}\t${l.position}\t${copyField(l.sealed_at)}\n`).join(''),
    );
  }
  const rowStatements: SqlStatement[] = copy
    ? []
    : [
        {
          text: `INSERT INTO ${s}.tree_nodes (tenant, level, index, hash)
     SELECT tenant, level, index, decode(substr(hash, 3), 'hex') FROM jsonb_to_recordset($1::jsonb) AS n(tenant text, level smallint, index bigint, hash text)`,
          params: [JSON.stringify(nodes.map((n) => ({ ...n, hash: byteaText(n.hash) })))],
        },
        {
          text: `INSERT INTO ${s}.tree_leaves (tenant, leaf_index, event_id, position, sealed_at)
     SELECT tenant, leaf_index, event_id, position, sealed_at
     FROM jsonb_to_recordset($1::jsonb) AS l(tenant text, leaf_index bigint, event_id uuid, position bigint, sealed_at timestamptz)`,
          params: [JSON.stringify(leaves)],
        },
      ];
  // The sizes, and the checkpoints the batch holds (and the rows when not copied): the runtime sends them with its COMMIT.
  return [
    ...rowStatements,
    {
      text: `INSERT INTO ${s}.tree_tenants (tenant, size, settled_size)
     SELECT tenant, size, settled_size FROM jsonb_to_recordset($1::jsonb) AS t(tenant text, size bigint, settled_size bigint)
     ON CONFLICT (tenant) DO UPDATE SET size = excluded.size, settled_size = excluded.settled_size`,
      params: [JSON.stringify([...trees].map(([tenant, t]) => ({ tenant, size: t.range.size, settled_size: t.settled })))],
    },
    ...(checkpoints.length === 0
      ? []
      : [
          {
            text: `INSERT INTO ${s}.tree_checkpoints (tenant, tree_size, root, note, key_id, event_id, position)
       SELECT tenant, tree_size, decode(substr(root, 3), 'hex'), note, key_id, event_id, position
       FROM jsonb_to_recordset($1::jsonb) AS c(tenant text, tree_size bigint, root text, note text, key_id text, event_id uuid, position bigint)
       ORDER BY position
       ON CONFLICT (tenant, tree_size) DO NOTHING`,
            params: [JSON.stringify(checkpoints)],
          },
        ]),
   ];
}

export const TREE_PROJECTION = 'tree';

export const treeProjection: Projection = Object.freeze({
  name: TREE_PROJECTION,
  version: 1,
  migrations: treeMigrations,
  tables: [
    { name: 'tree_tenants', orderBy: ['tenant'] },
    { name: 'tree_nodes', orderBy: ['tenant', 'level', 'index'] },
    { name: 'tree_leaves', orderBy: ['tenant', 'leaf_index'] },
    { name: 'tree_checkpoints', orderBy: ['tenant', 'tree_size'] },
  ],
  apply: applyTree,
});

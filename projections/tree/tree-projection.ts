// The tenant trees as a read model: per tenant, an RFC 6962 Merkle tree whose leaves are the tenant's
// events in log order (every stream, denials and checkpoint events included), leaf input = the 32 bytes
// of the event's sealed `hash`. An event whose envelope does not decode is skipped as a fault, as by every
// read model (commands/verify-tree.ts counts leaves the same way; the chain verification names the event). Per batch and tenant: resume the right edge from the stored perfect
// subtrees (ledger/merkle.ts CompactRange), append, and COPY every perfect subtree completed, the leaf's
// event, and the checkpoints the batch holds. A pure function of the events: replay digests it like the others.
import { isLeft } from 'fp-ts/lib/Either.js';
import { CompactRange, leafHash, rootPlan, type CompletedSubtree } from '../../ledger/merkle.js';
import type { SqlSession } from '../../adapters/read-store/read-store.js';
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

interface CheckpointRow {
  readonly tenant: string;
  readonly tree_size: number;
  readonly root: string;
  readonly note: string;
  readonly key_id: string;
  readonly event_id: string;
  readonly position: string;
}

/** The stored right edge of each tenant in `tenants` (an empty tree for a tenant seen first). */
async function loadTrees(session: SqlSession, s: string, tenants: readonly string[]): Promise<Map<string, TenantTree>> {
  const sizes = await session.query<{ tenant: string; size: bigint; settled_size: bigint }>(
    `SELECT tenant, size, settled_size FROM ${s}.tree_tenants WHERE tenant IN (SELECT jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(tenants)],
  );
  const wanted = sizes.flatMap((r) => rootPlan(Number(r.size)).map((n) => ({ tenant: r.tenant, level: n.level, index: n.index })));
  const nodes = wanted.length === 0 ? [] : await session.query<{ tenant: string; level: number; index: bigint; hash: Uint8Array }>(
    `SELECT n.tenant, n.level, n.index, n.hash FROM ${s}.tree_nodes n
     JOIN jsonb_to_recordset($1::jsonb) AS w(tenant text, level smallint, index bigint) USING (tenant, level, index)`,
    [JSON.stringify(wanted)],
  );
  const hashOf = new Map(nodes.map((n) => [`${n.tenant}\u0000${n.level}\u0000${n.index}`, Uint8Array.from(n.hash)]));
  const trees = new Map<string, TenantTree>();
  for (const r of sizes) {
    const size = Number(r.size);
    const edge = rootPlan(size).map((n) => {
      const hash = hashOf.get(`${r.tenant}\u0000${n.level}\u0000${n.index}`);
      if (hash === undefined) throw new Error(`tree of ${r.tenant}: perfect subtree (${n.level}, ${n.index}) of size ${size} is missing`);
      return hash;
    });
    trees.set(r.tenant, { range: CompactRange.resume(size, edge), settled: Number(r.settled_size) });
  }
  for (const t of tenants) if (!trees.has(t)) trees.set(t, { range: new CompactRange(), settled: 0 });
  return trees;
}

async function applyTree(session: SqlSession, s: string, events: readonly ProjectedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const tenants = [...new Set(events.map((e) => e.event.tenant))];
  const trees = await loadTrees(session, s, tenants);
  const nodes: string[] = [];
  const leaves: string[] = [];
  const checkpoints: CheckpointRow[] = [];
  const nodeLine = (tenant: string, n: CompletedSubtree) => `${tenant}\t${n.level}\t${n.index}\t${copyField(byteaText(n.hash))}\n`;
  for (const { event, position } of events) {
    const tree = trees.get(event.tenant)!;
    const leafIndex = tree.range.size;
    for (const n of tree.range.append(leafHash(Buffer.from(event.hash, 'hex')))) nodes.push(nodeLine(event.tenant, n));
    leaves.push(`${event.tenant}\t${leafIndex}\t${event.id}\t${position}\t${copyField(storableInstant(event.sealedAt))}\n`);
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
  await session.copyFrom(`${s}.tree_nodes (tenant, level, index, hash)`, nodes.join(''));
  await session.copyFrom(`${s}.tree_leaves (tenant, leaf_index, event_id, position, sealed_at)`, leaves.join(''));
  await session.query(
    `INSERT INTO ${s}.tree_tenants (tenant, size, settled_size)
     SELECT tenant, size, settled_size FROM jsonb_to_recordset($1::jsonb) AS t(tenant text, size bigint, settled_size bigint)
     ON CONFLICT (tenant) DO UPDATE SET size = excluded.size, settled_size = excluded.settled_size`,
    [JSON.stringify([...trees].map(([tenant, t]) => ({ tenant, size: t.range.size, settled_size: t.settled })))],
  );
  if (checkpoints.length > 0) {
    await session.query(
      `INSERT INTO ${s}.tree_checkpoints (tenant, tree_size, root, note, key_id, event_id, position)
       SELECT tenant, tree_size, decode(substr(root, 3), 'hex'), note, key_id, event_id, position
       FROM jsonb_to_recordset($1::jsonb) AS c(tenant text, tree_size bigint, root text, note text, key_id text, event_id uuid, position bigint)
       ORDER BY position
       ON CONFLICT (tenant, tree_size) DO NOTHING`,
      [JSON.stringify(checkpoints)],
    );
  }
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

// TreeQueries: the read side of the tenant trees. Roots, inclusion and consistency proofs at any size the
// tree has reached, each from the perfect subtrees its plan names (ledger/merkle.ts), fetched in ONE
// indexed query (primary key (tenant, level, index)); the leaf of an event; the tenant's signed checkpoints.
// Every statement is parameterized and filtered by the caller's tenant.
import type { ReadStore, SqlSession } from '../../adapters/read-store/read-store.js';
import { assembleProof, consistencyProofPlan, inclusionProofPlan, rootOf, rootPlan, type Hash, type ProofPlan, type Subtree } from '../../ledger/merkle.js';

export interface TreeHead {
  readonly tenant: string;
  readonly size: number;
  /** Leaves up to the last one that is not a checkpoint event. */
  readonly settledSize: number;
}

export interface LeafView {
  readonly leafIndex: number;
  readonly eventId: string;
  readonly position: bigint;
  /** null when the sealed instant is beyond what PostgreSQL holds. */
  readonly sealedAt: string | null;
}

export interface StoredCheckpoint {
  readonly treeSize: number;
  readonly root: Hash;
  /** The signed note, as signed. */
  readonly note: string;
  readonly keyId: string;
  readonly eventId: string;
  readonly position: bigint;
}

/** A size the tenant's tree has not reached (or a proof that does not exist, e.g. from 0). */
export class TreeRangeError extends RangeError {
  override readonly name = 'TreeRangeError';
}

/** A perfect subtree as one number (index < 2^47 for any tree under 2^47 leaves, level < 64): cheap map keys. */
const keyOf = (level: number, index: number): number => index * 64 + level;

/** The distinct subtrees of `nodes` as PostgreSQL array literals of levels and indexes. */
const coordinates = (nodes: readonly Subtree[]) => {
  const seen = new Set<number>();
  const levels: number[] = [];
  const indexes: number[] = [];
  for (const n of nodes) {
    const k = keyOf(n.level, n.index);
    if (seen.has(k)) continue;
    seen.add(k);
    levels.push(n.level);
    indexes.push(n.index);
  }
  return [`{${levels.join(',')}}`, `{${indexes.join(',')}}`];
};

/**
 * The hashes of `nodes` (perfect subtrees of `tenant`'s tree) in their order, in ONE query that also reads the
 * tree's size: refused (TreeRangeError) unless the tree has reached `needed` leaves. Perfect subtrees never
 * change once stored, so nodes and size read together are consistent whatever commits meanwhile.
 */
async function subtreeHashes(session: SqlSession, s: string, tenant: string, nodes: readonly Subtree[], needed: number): Promise<Hash[]> {
  const [levels, indexes] = coordinates(nodes);
  const rows = await session.query<{ size: bigint; level: number | null; index: bigint | null; hash: Uint8Array | null }>(
    `SELECT t.size, n.level, n.index, n.hash FROM ${s}.tree_tenants t
     LEFT JOIN LATERAL (SELECT level, index, hash FROM ${s}.tree_nodes
       WHERE tenant = t.tenant AND (level, index) IN (SELECT * FROM unnest($2::smallint[], $3::bigint[]))) n ON true
     WHERE t.tenant = $1`,
    [tenant, levels!, indexes!],
  );
  const size = Number(rows[0]?.size ?? 0n);
  if (needed > size) throw new TreeRangeError(`the tree of ${tenant} has ${size} leaves, not ${needed}`);
  const byKey = new Map<number, Hash>();
  // A plain Uint8Array view (pg hands out Buffers): one type of hash whichever store answered.
  for (const r of rows) if (r.hash !== null) byKey.set(keyOf(r.level!, Number(r.index)), new Uint8Array(r.hash.buffer, r.hash.byteOffset, r.hash.byteLength));
  return nodes.map((n) => {
    const hash = byKey.get(keyOf(n.level, n.index));
    if (hash === undefined) throw new Error(`tree of ${tenant}: perfect subtree (${n.level}, ${n.index}) is missing`);
    return hash;
  });
}

/**
 * assembleProof for many proofs of one tree: an element folded from several perfect subtrees (a non-perfect
 * node on the right edge) is the same for every proof that needs it, so it is folded once (by assembleProof
 * on that group alone) and shared through `folds`.
 */
function assembleShared(plan: ProofPlan, hashOf: (n: Subtree) => Hash, folds: Map<string, Hash>): Hash[] {
  const proof: Hash[] = [];
  let at = 0;
  for (const count of plan.shape) {
    const group = plan.nodes.slice(at, at + count);
    at += count;
    if (count === 1) {
      proof.push(hashOf(group[0]!));
      continue;
    }
    const key = `${keyOf(group[0]!.level, group[0]!.index)}:${count}`;
    let folded = folds.get(key);
    if (folded === undefined) {
      folded = assembleProof({ nodes: group, shape: [count] }, group.map(hashOf))[0]!;
      folds.set(key, folded);
    }
    proof.push(folded);
  }
  return proof;
}

export class TreeQueries {
  readonly #store: ReadStore;
  readonly #s: string;

  constructor(store: ReadStore, schema: string = store.schema) {
    this.#store = store;
    this.#s = `"${schema}"`;
  }

  /** The tenant's tree as projected; size 0 for a tenant without events. */
  async head(tenant: string): Promise<TreeHead> {
    const rows = await this.#store.withSession((s) =>
      s.query<{ size: bigint; settled_size: bigint }>(`SELECT size, settled_size FROM ${this.#s}.tree_tenants WHERE tenant = $1`, [tenant]),
    );
    const r = rows[0];
    return { tenant, size: Number(r?.size ?? 0n), settledSize: Number(r?.settled_size ?? 0n) };
  }

  /** Tenants whose settled leaves reach past their last checkpoint (none yet: past 0): what the checkpointer signs. */
  async unanchored(): Promise<readonly (TreeHead & { readonly checkpointed: number })[]> {
    const rows = await this.#store.withSession((s) =>
      s.query<{ tenant: string; size: bigint; settled_size: bigint; checkpointed: bigint | null }>(
        `SELECT t.tenant, t.size, t.settled_size, c.checkpointed FROM ${this.#s}.tree_tenants t
         LEFT JOIN LATERAL (SELECT max(tree_size) AS checkpointed FROM ${this.#s}.tree_checkpoints WHERE tenant = t.tenant) c ON true
         WHERE t.settled_size > COALESCE(c.checkpointed, 0) ORDER BY t.tenant`,
      ),
    );
    return rows.map((r) => ({ tenant: r.tenant, size: Number(r.size), settledSize: Number(r.settled_size), checkpointed: Number(r.checkpointed ?? 0n) }));
  }

  /** The root of the tenant's tree at `size` (≤ its size now). */
  async rootAt(tenant: string, size: number): Promise<Hash> {
    return this.#store.withSession(async (s) => rootOf(await subtreeHashes(s, this.#s, tenant, rootPlan(size), size)));
  }

  /** The leaf hash of leaf `leafIndex` (SHA-256(0x00 ‖ event hash)), as the tree holds it. */
  async leafHashAt(tenant: string, leafIndex: number): Promise<Hash> {
    return this.#store.withSession(async (s) => (await subtreeHashes(s, this.#s, tenant, [{ level: 0, index: leafIndex }], leafIndex + 1))[0]!);
  }

  /** The RFC 9162 inclusion proof (audit path, leaf to root) of leaf `leafIndex` in the tree of `treeSize`. */
  async inclusionProof(tenant: string, leafIndex: number, treeSize: number): Promise<Hash[]> {
    if (leafIndex >= treeSize) throw new TreeRangeError(`leaf ${leafIndex} is not in the tree of size ${treeSize}`);
    const plan = inclusionProofPlan(leafIndex, treeSize);
    return this.#store.withSession(async (s) => assembleProof(plan, await subtreeHashes(s, this.#s, tenant, plan.nodes, treeSize)));
  }

  /** Inclusion proofs of many leaves in the tree of `treeSize`, their subtrees fetched in one query. */
  async inclusionProofs(tenant: string, leafIndexes: readonly number[], treeSize: number): Promise<Map<number, Hash[]>> {
    const plans = leafIndexes.map((i) => {
      if (i >= treeSize) throw new TreeRangeError(`leaf ${i} is not in the tree of size ${treeSize}`);
      return [i, inclusionProofPlan(i, treeSize)] as const;
    });
    const all = plans.flatMap(([, p]) => p.nodes);
    return this.#store.withSession(async (s) => {
      const hashes = await subtreeHashes(s, this.#s, tenant, all, treeSize);
      const byKey = new Map<number, Hash>();
      all.forEach((n, i) => byKey.set(keyOf(n.level, n.index), hashes[i]!));
      const folds = new Map<string, Hash>();
      return new Map(plans.map(([i, p]) => [i, assembleShared(p, (n) => byKey.get(keyOf(n.level, n.index))!, folds)]));
    });
  }

  /** The RFC 9162 consistency proof from size `from` to size `to` (0 < from ≤ to ≤ the tree's size). */
  async consistencyProof(tenant: string, from: number, to: number): Promise<Hash[]> {
    if (from === 0 || from > to) throw new TreeRangeError(`a consistency proof needs 0 < from ≤ to, got ${from} and ${to}`);
    const plan = consistencyProofPlan(from, to);
    return this.#store.withSession(async (s) => assembleProof(plan, await subtreeHashes(s, this.#s, tenant, plan.nodes, to)));
  }

  /** The leaf of event `eventId` in the tenant's tree; undefined when the tree does not hold it (yet). */
  async leaf(tenant: string, eventId: string): Promise<LeafView | undefined> {
    const rows = await this.#store.withSession((s) =>
      s.query<{ leaf_index: bigint; event_id: string; position: bigint; sealed_at: Date | null }>(
        `SELECT leaf_index, event_id, position, sealed_at FROM ${this.#s}.tree_leaves WHERE event_id = $1::uuid AND tenant = $2`,
        [eventId, tenant],
      ),
    );
    return rows.map(leafView)[0];
  }

  /** The leaves of `eventIds` the tenant's tree holds, by event id (one query). */
  async leaves(tenant: string, eventIds: readonly string[]): Promise<Map<string, LeafView>> {
    if (eventIds.length === 0) return new Map();
    const rows = await this.#store.withSession((s) =>
      s.query<{ leaf_index: bigint; event_id: string; position: bigint; sealed_at: Date | null }>(
        `SELECT leaf_index, event_id, position, sealed_at FROM ${this.#s}.tree_leaves
         WHERE event_id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid) AND tenant = $2`,
        [JSON.stringify(eventIds), tenant],
      ),
    );
    return new Map(rows.map((r) => [r.event_id, leafView(r)]));
  }

  /** The leaves sealed in [from, to), in leaf order, at most `limit`. */
  async leavesSealedBetween(tenant: string, from: string, to: string, limit: number): Promise<LeafView[]> {
    const rows = await this.#store.withSession((s) =>
      s.query<{ leaf_index: bigint; event_id: string; position: bigint; sealed_at: Date | null }>(
        `SELECT leaf_index, event_id, position, sealed_at FROM ${this.#s}.tree_leaves
         WHERE tenant = $1 AND sealed_at >= $2::timestamptz AND sealed_at < $3::timestamptz ORDER BY leaf_index LIMIT $4::int`,
        [tenant, from, to, String(limit)],
      ),
    );
    return rows.map(leafView);
  }

  /** The tenant's latest checkpoint; undefined before the first. */
  async latestCheckpoint(tenant: string): Promise<StoredCheckpoint | undefined> {
    return (await this.#checkpoints(tenant, 'ORDER BY tree_size DESC LIMIT 1', []))[0];
  }

  /** The tenant's checkpoints of size ≥ `fromSize`, smallest first, at most `limit`. */
  checkpoints(tenant: string, fromSize: number, limit: number): Promise<StoredCheckpoint[]> {
    return this.#checkpoints(tenant, 'AND tree_size >= $2::bigint ORDER BY tree_size LIMIT $3::int', [String(fromSize), String(limit)]);
  }

  async #checkpoints(tenant: string, tail: string, params: readonly string[]): Promise<StoredCheckpoint[]> {
    const rows = await this.#store.withSession((s) =>
      s.query<{ tree_size: bigint; root: Uint8Array; note: string; key_id: string; event_id: string; position: bigint }>(
        `SELECT tree_size, root, note, key_id, event_id, position FROM ${this.#s}.tree_checkpoints WHERE tenant = $1 ${tail}`,
        [tenant, ...params],
      ),
    );
    return rows.map((r) => ({
      treeSize: Number(r.tree_size), root: Uint8Array.from(r.root), note: r.note, keyId: r.key_id, eventId: r.event_id, position: r.position,
    }));
  }
}

function leafView(r: { leaf_index: bigint; event_id: string; position: bigint; sealed_at: Date | null }): LeafView {
  return { leafIndex: Number(r.leaf_index), eventId: r.event_id, position: r.position, sealedAt: r.sealed_at?.toISOString() ?? null };
}

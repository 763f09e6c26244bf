// The tenant trees against the definition: random events of several tenants, projected in batches of
// random sizes, give every tenant the root a naive RFC 6962 MTH computes over its events' hashes in log
// order; inclusion and consistency proofs from the store verify with ledger/merkle.ts's verifiers (and
// fail for another leaf); checkpoint events are leaves and are listed; a replay gives the same digest.
// On PGlite always, and on PostgreSQL when DATABASE_URL is set (the log stays on PGlite; the read store is the server).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, migrate, openPostgres, type PostgresDatabase } from '../../adapters/read-store/postgres/database.js';
import type { ReadStore } from '../../adapters/read-store/read-store.js';
import { leafHash, nodeHash, verifyConsistency, verifyInclusion, type Hash } from '../../ledger/merkle.js';
import { sealEvent, toEventDraft } from '../../ledger/index.js';
import { CHECKPOINT_EVENT_TYPE } from '../../schemas/checkpoint-event.js';
import { GENESIS_HASH, type SealedEvent } from '../../schemas/sealed-event.js';
import { makeUnsealed, testInstant, testSigningKey, testUuid } from '../../test/test-events.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
import { readModelMigrations } from '../index.js';
import { readModelDigest } from '../digest.js';
import { projectUntil } from '../runtime.js';
import { treeProjection } from './tree-projection.js';
import { TreeQueries, TreeRangeError } from './tree-queries.js';

/** A seeded generator (mulberry32): the same "random" log on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** MTH(D[n]) of RFC 9162 §2.1.1, by its recursive definition: the reference the store is held to. */
function naiveRoot(leaves: readonly Hash[]): Hash {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

const TENANTS = ['acme', 'beta', 'gamma'];
const eventLeaf = (e: SealedEvent) => leafHash(Buffer.from(e.hash, 'hex'));

interface Bed {
  log: TestLog;
  store: ReadStore;
  /** The tenants' events in log order. */
  byTenant: Map<string, SealedEvent[]>;
  fresh(label: string): Promise<string>;
  close(): Promise<void>;
}

/** Appends `count` events spread at random over tenants and streams (a checkpoint-like event now and then). */
async function writeLog(log: TestLog, count: number, rand: () => number, byTenant: Map<string, SealedEvent[]>, idBase: number): Promise<void> {
  const key = testSigningKey();
  const tails = new Map<string, { revision: number; hash: string }>();
  for (let i = 0; i < count; i++) {
    const tenant = TENANTS[Math.floor(rand() * TENANTS.length)]!;
    const checkpoint = rand() < 0.05;
    const stream = checkpoint ? `${tenant}/ledger` : `${tenant}/graph.node/n${Math.floor(rand() * 5)}`;
    const tail = tails.get(stream) ?? (await log.log.readStream(stream, { direction: 'backwards', maxCount: 1 }).then((r) => {
      const last = r[0];
      return last === undefined ? undefined : { revision: Number(last.revision), hash: String((last.metadata as { hash: string }).hash) };
    }));
    const treeSize = byTenant.get(tenant)?.length ?? 0;
    const e = sealEvent(
      makeUnsealed({
        id: testUuid(idBase + i + 1),
        stream,
        tenant,
        revision: tail === undefined ? 0 : tail.revision + 1,
        prevHash: tail?.hash ?? GENESIS_HASH,
        sealedAt: testInstant(idBase + i),
        ...(checkpoint
          ? { type: CHECKPOINT_EVENT_TYPE, data: { origin: `test/${tenant}`, treeSize, rootHash: Buffer.alloc(32, treeSize % 256).toString('base64'), note: `note ${treeSize}\n`, keyId: 'k' } }
          : { data: { i } }),
      }),
      key,
    );
    await log.log.append(stream, tail === undefined ? 'no-stream' : BigInt(tail.revision), [toEventDraft(e)]);
    tails.set(stream, { revision: e.revision, hash: e.hash });
    byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), e]);
  }
}

function treeSuite(title: string, open: () => Promise<Bed>) {
  const test = suite<{ bed: Bed }>(title, {} as { bed: Bed });
  test.before(async (ctx) => {
    ctx.bed = await open();
  });
  test.after(async ({ bed }) => bed.close());

  test('every tenant root equals the naive root of its event hashes in log order, whatever the batches', async ({ bed }) => {
    const schema = await bed.fresh('roots');
    const rand = random(7);
    const deps = { log: bed.log.log, store: bed.store };
    const events = await bed.log.log.readAll();
    // Several projections in batches of random sizes, stopping at random positions.
    for (let at = 0; at < events.length; ) {
      at = Math.min(events.length, at + 1 + Math.floor(rand() * 60));
      await projectUntil(deps, treeProjection, { schema, until: events[at - 1]!.position, maxBatch: 1 + Math.floor(rand() * 25) });
    }
    const queries = new TreeQueries(bed.store, schema);
    for (const tenant of TENANTS) {
      const leaves = (bed.byTenant.get(tenant) ?? []).map(eventLeaf);
      const head = await queries.head(tenant);
      assert.is(head.size, leaves.length, `${tenant}: size`);
      // Every prefix: the tree keeps every past root.
      for (const size of [1, 2, 3, Math.floor(leaves.length / 2), leaves.length - 1, leaves.length]) {
        assert.equal(await queries.rootAt(tenant, size), naiveRoot(leaves.slice(0, size)), `${tenant}: root at ${size}`);
      }
    }
    assert.is((await queries.head('nobody')).size, 0);
  });

  test('inclusion and consistency proofs from the store verify, and fail for the wrong leaf or root', async ({ bed }) => {
    const schema = await bed.fresh('proofs');
    await projectUntil({ log: bed.log.log, store: bed.store }, treeProjection, { schema, maxBatch: 37 });
    const queries = new TreeQueries(bed.store, schema);
    const rand = random(11);
    for (const tenant of TENANTS) {
      const leaves = (bed.byTenant.get(tenant) ?? []).map(eventLeaf);
      for (let k = 0; k < 25; k++) {
        const size = 1 + Math.floor(rand() * leaves.length);
        const index = Math.floor(rand() * size);
        const root = naiveRoot(leaves.slice(0, size));
        const proof = await queries.inclusionProof(tenant, index, size);
        assert.ok(verifyInclusion(leaves[index]!, index, size, proof, root), `${tenant}: leaf ${index} in ${size}`);
        if (size > 1) assert.not.ok(verifyInclusion(leaves[(index + 1) % size]!, index, size, proof, root), 'another leaf fails');
        const from = 1 + Math.floor(rand() * size);
        const consistency = await queries.consistencyProof(tenant, from, size);
        assert.ok(verifyConsistency(from, size, consistency, naiveRoot(leaves.slice(0, from)), root), `${tenant}: ${from} → ${size}`);
        if (from < size) assert.not.ok(verifyConsistency(from, size, consistency, new Uint8Array(32), root), 'a wrong old root fails');
      }
      // Many proofs in one query give the same paths.
      const size = leaves.length;
      const many = await queries.inclusionProofs(tenant, [0, 1, size - 1], size);
      assert.equal(many.get(size - 1), await queries.inclusionProof(tenant, size - 1, size));
      assert.instance(await queries.inclusionProof(tenant, 0, size + 1).catch((e: unknown) => e), TreeRangeError, 'a size not reached');
      assert.instance(await queries.consistencyProof(tenant, 0, size).catch((e: unknown) => e), TreeRangeError, 'no proof from 0');
    }
  });

  test('events are leaves by id; checkpoint events are leaves too, listed, and do not count as news', async ({ bed }) => {
    const schema = await bed.fresh('leaves');
    await projectUntil({ log: bed.log.log, store: bed.store }, treeProjection, { schema });
    const queries = new TreeQueries(bed.store, schema);
    for (const tenant of TENANTS) {
      const events = bed.byTenant.get(tenant) ?? [];
      const last = events[events.length - 1]!;
      const leaf = await queries.leaf(tenant, last.id);
      assert.is(leaf?.leafIndex, events.length - 1);
      assert.is(await queries.leaf(TENANTS.find((t) => t !== tenant)!, last.id), undefined, 'another tenant does not see it');
      const byId = await queries.leaves(tenant, events.slice(0, 3).map((e) => e.id));
      assert.equal([...byId.values()].map((l) => l.leafIndex).sort(), [0, 1, 2]);
      const checkpoints = events.map((e, i) => [e, i] as const).filter(([e]) => e.type === CHECKPOINT_EVENT_TYPE);
      const listed = await queries.checkpoints(tenant, 0, 1000);
      // The first checkpoint event at a size wins.
      const sizes = [...new Set(checkpoints.map(([e]) => (e.data as { treeSize: number }).treeSize))];
      assert.equal(listed.map((c) => c.treeSize), sizes);
      const head = await queries.head(tenant);
      const lastNews = events.map((e) => e.type).lastIndexOf('graph.node.created');
      assert.is(head.settledSize, lastNews + 1);
    }
  });

  test('a replay into a fresh schema, in other batches, gives the same digest', async ({ bed }) => {
    const a = await bed.fresh('digest_a');
    const b = await bed.fresh('digest_b');
    await projectUntil({ log: bed.log.log, store: bed.store }, treeProjection, { schema: a, maxBatch: 1000 });
    await projectUntil({ log: bed.log.log, store: bed.store }, treeProjection, { schema: b, maxBatch: 3 });
    const da = await readModelDigest(bed.store, a, treeProjection);
    const db = await readModelDigest(bed.store, b, treeProjection);
    assert.ok(da.rows > 0);
    assert.is(da.digest, db.digest);
    assert.is(da.checkpoint, db.checkpoint);
  });

  return test;
}

let next = 0;
const migrations = readModelMigrations;

async function openLogWithEvents(): Promise<{ log: TestLog; byTenant: Map<string, SealedEvent[]> }> {
  const log = await openMemoryLog();
  const byTenant = new Map<string, SealedEvent[]>();
  await writeLog(log, 400, random(3), byTenant, 0);
  return { log, byTenant };
}

treeSuite('tenant trees (PGlite)', async () => {
  const { log, byTenant } = await openLogWithEvents();
  const store = log.log.database;
  return {
    log, store, byTenant,
    async fresh(label) {
      const schema = `tree_${label}_${next++}`;
      await migrate(store, migrations, schema);
      return schema;
    },
    close: () => log.close(),
  };
}).run();

const url = process.env['DATABASE_URL'];
if (url !== undefined) {
  treeSuite('tenant trees (PostgreSQL)', async () => {
    const { log, byTenant } = await openLogWithEvents();
    const store: PostgresDatabase = await openPostgres({ url });
    const made: string[] = [];
    return {
      log, store, byTenant,
      async fresh(label) {
        const schema = `tree_test_${label}_${process.pid}_${next++}`;
        await dropSchema(store, schema);
        await migrate(store, migrations, schema);
        made.push(schema);
        return schema;
      },
      async close() {
        for (const schema of made) await dropSchema(store, schema);
        await store.close();
        await log.close();
      },
    };
  }).run();
} else {
  console.log('skipped: tenant trees on PostgreSQL (DATABASE_URL not set)');
}

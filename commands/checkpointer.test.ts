// The checkpointer on a PGlite log with the tenant trees projected: each tenant whose tree grew gets one
// checkpoint note that opens with the log's note key (origin <logOrigin>/<tenant>, size and root of its
// tree), sealed on <tenant>/ledger so the tenant's log still verifies; its own event never asks for another
// (no loop), the next real event does, and the two checkpoints are consistent; nothing is signed twice while
// the projection lags; closing signs what grew since the last pass; one instance holds the lock.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, migrate, openPostgres, type PostgresDatabase } from '../adapters/read-store/postgres/database.js';
import type { ReadStore } from '../adapters/read-store/read-store.js';
import { openCheckpoint } from '../ledger/checkpoint-note.js';
import { ed25519NoteVerifier } from '../ledger/signed-note.js';
import { Keyring, fromRecordedEvent, sealEvent, toEventDraft } from '../ledger/index.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../ledger/merkle.js';
import { isRight } from 'fp-ts/lib/Either.js';
import { readModelMigrations } from '../projections/index.js';
import { projectUntil } from '../projections/runtime.js';
import { treeProjection } from '../projections/tree/tree-projection.js';
import { TreeQueries } from '../projections/tree/tree-queries.js';
import { CHECKPOINT_EVENT_TYPE } from '../schemas/checkpoint-event.js';
import { GENESIS_HASH } from '../schemas/sealed-event.js';
import { makeUnsealed, testSigningKey, testUuid } from '../test/test-events.js';
import { openMemoryLog, type TestLog } from '../test/logs.js';
import { noteVerifierString, startCheckpointer, type Checkpointer } from './checkpointer.js';
import { verifyLog } from './verify-log.js';

const ORIGIN = 'ledger.test';
const key = testSigningKey();
const keyring = new Keyring([], key);

interface Ctx {
  log: TestLog;
  /** The read store of the tree and the checkpointer's lock: the log's PGlite, or a PostgreSQL server. */
  store: ReadStore;
  schema: string;
  closeStore: () => Promise<void>;
  trees: TreeQueries;
  running: Checkpointer[];
  next: number;
}

/** Appends `count` events to `tenant`/graph.node/n (chained). */
async function write(ctx: Ctx, tenant: string, count: number): Promise<void> {
  const stream = `${tenant}/graph.node/n`;
  for (let i = 0; i < count; i++) {
    const last = (await ctx.log.log.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0];
    const e = sealEvent(
      makeUnsealed({
        id: testUuid(++ctx.next), stream, tenant, revision: last === undefined ? 0 : Number(last.revision) + 1,
        prevHash: last === undefined ? GENESIS_HASH : String((last.metadata as { hash: string }).hash),
      }),
      key,
    );
    await ctx.log.log.append(stream, last === undefined ? 'no-stream' : last.revision, [toEventDraft(e)]);
  }
}

const project = (ctx: Ctx) => projectUntil({ log: ctx.log.log, store: ctx.store }, treeProjection, { schema: ctx.schema });

async function started(ctx: Ctx, options: { intervalMs?: number } = {}): Promise<Checkpointer> {
  const c = startCheckpointer(
    { log: ctx.log.log, trees: ctx.trees, keyring, lock: ctx.store, clock: () => new Date('2026-03-01T00:00:00Z'), logOrigin: ORIGIN },
    { intervalMs: options.intervalMs ?? 3_600_000, lockRetryMs: 10, onError: (e) => console.error(e) },
  );
  ctx.running.push(c);
  return c;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const checkpointEvents = async (ctx: Ctx, tenant: string) =>
  (await ctx.log.log.readStream(`${tenant}/ledger`)).map((r) => fromRecordedEvent(r)).filter(isRight).map((e) => e.right);

type ReadStoreOf = (log: TestLog) => Promise<{ store: ReadStore; schema: string; close: () => Promise<void> }>;

function checkpointerSuite(title: string, readStoreOf: ReadStoreOf) {
  const test = suite<Ctx>(title, {} as Ctx);
  // One log for the suite (PGlite takes seconds to open); each test writes its own tenants.
  test.before(async (ctx) => {
    ctx.log = await openMemoryLog();
    const read = await readStoreOf(ctx.log);
    ctx.store = read.store;
    ctx.schema = read.schema;
    ctx.closeStore = read.close;
    await migrate(ctx.store as PostgresDatabase, readModelMigrations, ctx.schema);
    ctx.trees = new TreeQueries(ctx.store, ctx.schema);
    ctx.next = 0;
  });
  test.before.each((ctx) => {
    ctx.running = [];
  });
  test.after.each(async (ctx) => {
    for (const c of ctx.running) await c.close();
  });
  test.after(async (ctx) => {
    await ctx.closeStore();
    await ctx.log.close();
  });

  test('each tenant that grew gets a signed, sealed checkpoint of its tree; the log still verifies', async (ctx) => {
    await write(ctx, 'acme', 5);
    await write(ctx, 'beta', 3);
    await project(ctx);
    // The first pass runs as the follower starts; wait for it to have signed both tenants.
    const c = await started(ctx);
    await until(() => c.status().checkpoints === 2, 'two checkpoints');
    const verifier = ed25519NoteVerifier(ORIGIN, key.publicKey);
    // <name>+<hex id>+<base64(0x01 ‖ key)>: the name and id of the key that signs the notes.
    assert.ok(noteVerifierString(ORIGIN, key).startsWith(`${ORIGIN}+${verifier.keyId.toString(16).padStart(8, '0')}+AX`));
    for (const [tenant, size] of [['acme', 5], ['beta', 3]] as const) {
      const [event, ...more] = await checkpointEvents(ctx, tenant);
      assert.is(more.length, 0);
      assert.is(event!.type, CHECKPOINT_EVENT_TYPE);
      assert.is(event!.meta.actor.type, 'system');
      const data = event!.data as { note: string; treeSize: number; origin: string };
      const opened = await openCheckpoint(data.note, [verifier], `${ORIGIN}/${tenant}`);
      assert.ok(opened.ok, opened.ok ? '' : opened.reason);
      assert.is(opened.value.checkpoint.size, size);
      assert.is(data.treeSize, size);
      assert.equal(opened.value.checkpoint.root, await ctx.trees.rootAt(tenant, size));
      const report = await verifyLog(ctx.log.log, keyring, { tenant });
      assert.equal(report.failures, [], `${tenant}'s log verifies with the checkpoint in it`);
    }
  });

  test('no loop: its own event asks for no other checkpoint; the next event does, consistent with the first', async (ctx) => {
    await write(ctx, 'gamma', 4);
    await project(ctx);
    const c = await started(ctx);
    await until(() => c.status().checkpoints === 1, 'the first checkpoint');
    // Not projected yet: the checkpoint event is not in the tree, and nothing is signed twice.
    assert.equal(await c.checkpointNow(), []);
    await project(ctx);
    assert.is((await ctx.trees.head('gamma')).size, 5, 'the checkpoint event is leaf 4');
    assert.equal(await c.checkpointNow(), [], 'a tree grown only by the checkpoint event is not signed');
    await write(ctx, 'gamma', 1);
    await project(ctx);
    const [second] = await c.checkpointNow();
    assert.is(second?.size, 6, 'the next checkpoint covers the previous checkpoint event');
    await project(ctx);
    const listed = await ctx.trees.checkpoints('gamma', 0, 10);
    assert.equal(listed.map((l) => l.treeSize), [4, 6]);
    const proof = await ctx.trees.consistencyProof('gamma', 4, 6);
    assert.ok(verifyConsistency(4, 6, proof, listed[0]!.root, listed[1]!.root));
    // The first checkpoint's event is in the second checkpoint's tree.
    const leaf = await ctx.trees.leaf('gamma', listed[0]!.eventId);
    const event = (await checkpointEvents(ctx, 'gamma'))[0]!;
    const inclusion = await ctx.trees.inclusionProof('gamma', leaf!.leafIndex, 6);
    assert.ok(verifyInclusion(leafHash(Buffer.from(event.hash, 'hex')), leaf!.leafIndex, 6, inclusion, listed[1]!.root));
  });

  test('closing signs what grew since the last pass; a second instance stands by', async (ctx) => {
    await write(ctx, 'delta', 2);
    await project(ctx);
    const a = await started(ctx);
    await until(() => a.status().checkpoints === 1, 'the first checkpoint');
    const b = await started(ctx);
    await write(ctx, 'delta', 2);
    await project(ctx);
    assert.not.ok(b.status().active, 'one instance holds the lock');
    assert.equal(await b.checkpointNow(), [], 'a standby signs nothing');
    await a.close();
    const sizes = (await checkpointEvents(ctx, 'delta')).map((e) => (e.data as { treeSize: number }).treeSize);
    assert.equal(sizes, [2, 5], 'the last pass at close signed the grown tree');
    await until(() => b.status().active, 'the standby to take over');
  });

  return test;
}

checkpointerSuite('checkpointer (PGlite)', async (log) => ({ store: log.log.database, schema: log.log.database.schema, close: async () => {} })).run();

const url = process.env['DATABASE_URL'];
if (url !== undefined) {
  checkpointerSuite('checkpointer (PostgreSQL read store)', async () => {
    const schema = `checkpointer_test_${process.pid}`;
    // The schema also scopes the followers' advisory locks: no other process's checkpointer shares this one's.
    const store = await openPostgres({ url, schema });
    await dropSchema(store, schema);
    return {
      store,
      schema,
      close: async () => {
        await dropSchema(store, schema);
        await store.close();
      },
    };
  }).run();
} else {
  console.log('skipped: checkpointer on PostgreSQL (DATABASE_URL not set)');
}

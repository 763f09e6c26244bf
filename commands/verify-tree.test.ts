// Completeness, on a PGlite log with a checkpoint the checkpointer signed: each removal the per-stream chains
// let pass is caught by rebuilding the tenant's tree against its checkpoints: the last events of a stream, a
// whole stream, the denials, a reordering, a stream moved to another tenant, an event inserted; an edit
// (named by the chains, and by the tree too once the hash is recomputed); a forged checkpoint; a rollback
// that also removed the checkpoint, caught by a checkpoint the client kept, also when new writes with valid
// signatures and a new checkpoint fork the history after it. Untouched, the log verifies with its tail after
// the checkpoint reported as unanchored. Every case also through the one-read verification (chains and tree
// from one read, on 1 thread and on 2 workers), which must report the same. On PGlite, and on PostgreSQL with DATABASE_URL.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, migrate } from '../adapters/read-store/postgres/database.js';
import { openPostgresEventLog } from '../adapters/event-log/postgres/index.js';
import { Keyring, sealEvent, signingKeyFromSeed, toEventDraft } from '../ledger/index.js';
import { readModelMigrations } from '../projections/index.js';
import { projectUntil } from '../projections/runtime.js';
import { treeProjection } from '../projections/tree/tree-projection.js';
import { TreeQueries } from '../projections/tree/tree-queries.js';
import { GENESIS_HASH } from '../schemas/sealed-event.js';
import { makeUnsealed, OTHER_TEST_SEED, testSigningKey, testUuid } from '../test/test-events.js';
import { openMemoryLog, type TestLog } from '../test/logs.js';
import { noteSigner, startCheckpointer } from './checkpointer.js';
import { signFinalCheckpoints } from './final-checkpoints.js';
import { verifyLog } from './verify-log.js';
import { signNote } from '../ledger/signed-note.js';
import { verifyTenantTree, type TreeReport } from './verify-tree.js';
import { verifyTenant } from './verify-tenant.js';

const ORIGIN = 'ledger.test';
const key = testSigningKey();
const keyring = new Keyring([], key);

async function write(ctx: { log: TestLog; next: number }, stream: string, count: number, type = 'graph.node.created'): Promise<void> {
  for (let i = 0; i < count; i++) {
    const last = (await ctx.log.log.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0];
    const e = sealEvent(
      makeUnsealed({
        id: testUuid(++ctx.next), stream, tenant: stream.split('/')[0]!, type, revision: last === undefined ? 0 : Number(last.revision) + 1,
        prevHash: last === undefined ? GENESIS_HASH : String((last.metadata as { hash: string }).hash),
      }),
      key,
    );
    await ctx.log.log.append(stream, last === undefined ? 'no-stream' : last.revision, [toEventDraft(e)]);
  }
}

/** Waits until the log's readers see `count` events. */
async function visible(log: TestLog, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await log.log.readAll({ maxCount: count })).length < count) {
    if (Date.now() > deadline) throw new Error(`the log shows fewer than ${count} events after 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The log's stream heads set back to the events it holds (what restoring a whole copy does). */
async function streamsAsEvents(log: TestLog): Promise<void> {
  await log.sql('DELETE FROM ${schema}.streams');
  await log.sql('INSERT INTO ${schema}.streams SELECT stream, max(revision) FROM ${schema}.events GROUP BY stream');
}

/** The tree's report; on the way, the one-read verification (commands/verify-tenant.ts) on 1 thread and on 2 workers must report the same chains and tree. */
async function verify(ctx: { log: TestLog }, trustedCheckpoint?: string): Promise<TreeReport> {
  const options = trustedCheckpoint === undefined ? {} : { trustedCheckpoint };
  const tree = await verifyTenantTree(ctx.log.log, keyring, 'acme', ORIGIN, options);
  const chains = await verifyLog(ctx.log.log, keyring, { tenant: 'acme' });
  for (const workers of [1, 2]) {
    const oneRead = await verifyTenant(ctx.log.log, keyring, 'acme', ORIGIN, { ...options, workers });
    assert.equal(oneRead.tree, tree, `tree report from one read, ${workers} worker(s)`);
    assert.equal(oneRead.chains, chains, `chain report from one read, ${workers} worker(s)`);
  }
  return tree;
}

function verifySuite(title: string, open: () => Promise<TestLog>) {
  const test = suite<{ log: TestLog; note: string; next: number }>(title, {} as never);
  test.before(async (ctx) => {
    ctx.log = await open();
    ctx.next = 0;
    const store = ctx.log.log.database;
    await migrate(store, readModelMigrations);
    await write(ctx, 'acme/graph.node/n1', 4);
    await write(ctx, 'acme/graph.node/n2', 3);
    await write(ctx, 'acme/audit', 2, 'access.denied');
    await write(ctx, 'beta/graph.node/n1', 2);
    // On a shared server a commit becomes readable once older transactions end: wait until all 11 are (then 13 with both tenants' checkpoints, 15 with the tail).
    await visible(ctx.log, 11);
    const project = () => projectUntil({ log: ctx.log.log, store }, treeProjection, { schema: store.schema });
    await project();
    const trees = new TreeQueries(store);
    const checkpointer = startCheckpointer({ log: ctx.log.log, trees, keyring, lock: store, clock: () => new Date('2026-03-01T00:00:00Z'), logOrigin: ORIGIN }, { intervalMs: 3_600_000, lockRetryMs: 10 });
    while (!checkpointer.status().active) await new Promise((r) => setTimeout(r, 5));
    await checkpointer.checkpointNow();
    await checkpointer.close();
    await visible(ctx.log, 13);
    await project();
    ctx.note = (await trees.latestCheckpoint('acme'))!.note;
    // After the checkpoint: two more events, not anchored yet.
    await write(ctx, 'acme/graph.node/n1', 2);
    await visible(ctx.log, 15);
    await ctx.log.sql('CREATE TABLE ${schema}.events_kept AS SELECT * FROM ${schema}.events');
  });
  test.after.each(async ({ log }) => {
    await log.sql('DELETE FROM ${schema}.events');
    await log.sql('INSERT INTO ${schema}.events OVERRIDING SYSTEM VALUE SELECT * FROM ${schema}.events_kept');
    await streamsAsEvents(log);
  });
  test.after(async ({ log }) => log.close());

  const caught = (report: TreeReport, pattern: RegExp) => {
    assert.ok(report.failures.some((f) => pattern.test(f.reason)), JSON.stringify(report.failures));
    assert.is(report.anchoredSize, 0, 'the checkpoint no longer anchors anything');
  };
  /** Either way the checkpoint at size 9 is named: its leaves differ, or some of them are gone from before it. */
  const COMMITTED = /^checkpoint 9 \(leaf \d+\): (the log's first 9 events of tenant acme are not what it committed to|at least \d+ of the events it committed to are not before it)/;

  test('untouched: the checkpoint matches the rebuilt tree; the events after it are an unanchored tail', async (ctx) => {
    const report = await verify(ctx);
    assert.equal(report.failures, []);
    assert.equal({ ...report }, { treeSize: 12, checkpoints: 1, anchoredSize: 9, unanchored: 3, failures: [] });
    const trusted = await verify(ctx, ctx.note);
    assert.equal(trusted.trusted, { treeSize: 9, ok: true });
  });

  test('the last event of a stream deleted (the chain cannot tell)', async (ctx) => {
    await ctx.log.sql("DELETE FROM ${schema}.events WHERE stream = 'acme/graph.node/n2' AND revision = 2");
    caught(await verify(ctx), COMMITTED);
  });

  test('a whole stream deleted', async (ctx) => {
    await ctx.log.sql("DELETE FROM ${schema}.events WHERE stream = 'acme/graph.node/n2'");
    caught(await verify(ctx), COMMITTED);
  });

  test("the tenant's denials deleted", async (ctx) => {
    await ctx.log.sql("DELETE FROM ${schema}.events WHERE type = 'access.denied'");
    caught(await verify(ctx), COMMITTED);
  });

  test('two events of different streams reordered (each stream keeps its order)', async (ctx) => {
    // n1's last event before the checkpoint and n2's first trade places in the log's order.
    await ctx.log.sql(`CREATE TABLE \${schema}.swap AS SELECT * FROM \${schema}.events
      WHERE (stream, revision) IN (('acme/graph.node/n1', 3), ('acme/graph.node/n2', 0))`);
    await ctx.log.sql('DELETE FROM ${schema}.events WHERE id IN (SELECT id FROM ${schema}.swap)');
    await ctx.log.sql(`INSERT INTO \${schema}.events OVERRIDING SYSTEM VALUE
      SELECT o.position, s.tx_id, s.id, s.stream, s.revision, s.type, s.data, s.metadata, s.recorded_at FROM \${schema}.swap s JOIN \${schema}.swap o ON o.id <> s.id`);
    await ctx.log.sql('DROP TABLE ${schema}.swap');
    caught(await verify(ctx), COMMITTED);
  });

  test('a stream moved to another tenant', async (ctx) => {
    await ctx.log.sql("UPDATE ${schema}.events SET stream = 'beta/graph.node/n2' WHERE stream = 'acme/graph.node/n2'");
    caught(await verify(ctx), COMMITTED);
  });

  test('an event inserted among those the checkpoint covers (validly signed)', async (ctx) => {
    await write(ctx, 'acme/graph.node/n9', 1);
    const id = testUuid(ctx.next);
    // Moved to where n2's first event was: every later event one step on, so the log's order has one more event before the checkpoint.
    await ctx.log.sql(`CREATE TABLE \${schema}.moved AS SELECT * FROM \${schema}.events
      WHERE position >= (SELECT position FROM \${schema}.events WHERE stream = 'acme/graph.node/n2' AND revision = 0)`);
    await ctx.log.sql('DELETE FROM ${schema}.events WHERE id IN (SELECT id FROM ${schema}.moved)');
    await ctx.log.sql(`INSERT INTO \${schema}.events OVERRIDING SYSTEM VALUE
      SELECT CASE WHEN id = $1 THEN (SELECT min(position) FROM \${schema}.moved) ELSE position + 1000 END, tx_id, id, stream, revision, type, data, metadata, recorded_at FROM \${schema}.moved`, [id]);
    await ctx.log.sql('DROP TABLE ${schema}.moved');
    caught(await verify(ctx), COMMITTED);
  });

  test('an edit: the chains name the event; recomputing its hash (it cannot be signed) breaks the tree too', async (ctx) => {
    const [edited] = await ctx.log.sql<{ id: string }>("SELECT id FROM ${schema}.events WHERE stream = 'acme/graph.node/n1' AND revision = 1");
    await ctx.log.sql("UPDATE ${schema}.events SET data = '{\"edited\":true}' WHERE id = $1", [edited!.id]);
    const chains = await verifyLog(ctx.log.log, keyring, { tenant: 'acme' });
    assert.equal(chains.failures.map((f) => f.eventId), [edited!.id]);
    assert.match(chains.failures[0]!.reason, /^hash mismatch/);
    assert.equal((await verify(ctx)).failures, [], 'the leaf is the sealed hash, which the edit left as it was');
    await ctx.log.sql("UPDATE ${schema}.events SET metadata = jsonb_set(metadata, '{hash}', to_jsonb(repeat('ab', 32))) WHERE id = $1", [edited!.id]);
    caught(await verify(ctx), COMMITTED);
    assert.ok((await verifyLog(ctx.log.log, keyring, { tenant: 'acme' })).failures.some((f) => f.eventId === edited!.id));
  });

  test('a forged checkpoint (signed by a key the keyring does not hold) is named', async (ctx) => {
    const forger = signingKeyFromSeed(OTHER_TEST_SEED, '2020-01-01T00:00:00Z');
    const forged = signNote(ctx.note.slice(0, ctx.note.indexOf('\n\n') + 1), [noteSigner(ORIGIN, forger)]);
    await ctx.log.sql("UPDATE ${schema}.events SET data = jsonb_set(data, '{note}', to_jsonb($1::text)) WHERE type = 'ledger.checkpoint.signed' AND stream = 'acme/ledger'", [forged]);
    const report = await verify(ctx);
    assert.ok(report.failures.some((f) => /checkpoint at leaf 9: its note does not open/.test(f.reason)), JSON.stringify(report.failures));
    assert.is(report.anchoredSize, 0);
  });

  test('a rollback that removed the checkpoint too: only a checkpoint the client kept catches it', async (ctx) => {
    // Back to a copy from before n2's last event: the checkpoint event and everything after are gone with it.
    await ctx.log.sql("DELETE FROM ${schema}.events WHERE stream LIKE 'acme/%' AND position >= (SELECT position FROM ${schema}.events WHERE stream = 'acme/graph.node/n2' AND revision = 2)");
    const internal = await verify(ctx);
    assert.equal(internal.failures, [], 'nothing inside the log is left to contradict it');
    assert.is(internal.checkpoints, 0);
    const report = await verify(ctx, ctx.note);
    assert.equal(report.trusted, { treeSize: 9, ok: false });
    assert.match(report.failures[0]!.reason, /trusted checkpoint 9: the log holds 6 events of tenant acme, fewer than it committed to/);
  });

  test('a rollback, then new writes with valid signatures and a new checkpoint (a fork): only the kept checkpoint tells', async (ctx) => {
    await ctx.log.sql("DELETE FROM ${schema}.events WHERE stream LIKE 'acme/%' AND position >= (SELECT position FROM ${schema}.events WHERE stream = 'acme/graph.node/n2' AND revision = 2)");
    await streamsAsEvents(ctx.log); // the copy restored holds the streams' heads of its time too
    await write(ctx, 'acme/graph.node/n2', 2);
    await write(ctx, 'acme/graph.node/n3', 2);
    // The log's own key signs a checkpoint of the forked history (as the checkpointer would after a restore).
    const [signed] = (await signFinalCheckpoints(ctx.log.log, key, ORIGIN, '2026-03-02T00:00:00Z')).filter((c) => c.tenant === 'acme');
    assert.is(signed!.treeSize, 10);
    const internal = await verify(ctx);
    assert.equal(internal.failures, [], 'the fork is consistent with itself');
    assert.is(internal.anchoredSize, 10);
    assert.equal((await verifyLog(ctx.log.log, keyring, { tenant: 'acme' })).failures, []);
    const report = await verify(ctx, ctx.note);
    assert.equal(report.trusted, { treeSize: 9, ok: false });
    assert.match(report.failures.map((f) => f.reason).join('\n'), /trusted checkpoint 9: /);
  });
  return test;
}

verifySuite('verify: tenant tree against its checkpoints (PGlite)', openMemoryLog).run();

const url = process.env['DATABASE_URL'];
if (url !== undefined) {
  verifySuite('verify: tenant tree against its checkpoints (PostgreSQL)', async () => {
    const schema = `verify_tree_${process.pid}`;
    const log = await openPostgresEventLog({ url, schema });
    await dropSchema(log.database, schema);
    await log.close();
    const fresh = await openPostgresEventLog({ url, schema });
    return {
      log: fresh,
      sql: (text, params = []) => fresh.database.withSession((s) => s.query(text.replaceAll('${schema}', `"${schema}"`), params)),
      close: async () => {
        await dropSchema(fresh.database, schema);
        await fresh.close();
      },
    };
  }).run();
} else {
  console.log('skipped: verify tree on PostgreSQL (DATABASE_URL not set)');
}

// The follower's lock contract, on PGlite always and on the PostgreSQL server when DATABASE_URL is set: one
// active instance per name, a standby takes over when the active one dies (PostgreSQL: its lock connection is
// killed; PGlite, one process: its lock is lost), a failed term backs off and retries, and a closed follower
// never resumes, also when closed while its lock was being taken (the CI hang: it must not start a term after).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { lockKey, openPostgres, type PostgresDatabase } from './postgres/database.js';
import { startFollower, type Follower, type FollowerOptions, type FollowerTerm } from './follower.js';
import type { HeldLock, ReadStore } from './read-store.js';

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A body that runs until its term is stopped, counting terms. */
function counter() {
  const c = { terms: 0, running: 0 };
  const body = async (term: FollowerTerm) => {
    c.terms++;
    c.running++;
    try {
      await new Promise<void>((resolve) => term.onStop(resolve));
    } finally {
      c.running--;
    }
  };
  return { c, body };
}

/** Wraps a store's lock: each one handed out can be dropped as if its holder's connection died. */
function droppable(store: Pick<ReadStore, 'tryLock'>) {
  const held: { drop(): Promise<void> }[] = [];
  return {
    held,
    async tryLock(name: string): Promise<HeldLock | undefined> {
      const lock = await store.tryLock(name);
      if (lock === undefined) return undefined;
      held.push({ drop: () => lock.release() });
      return lock;
    },
  };
}

function lockSuite(title: string, url: string | undefined) {
  const test = suite<{ a: PostgresDatabase; b: PostgresDatabase; followers: Follower[] }>(title, {} as never);
  const options = (name: string, extra: Partial<FollowerOptions> = {}): FollowerOptions => ({
    lockName: name,
    lockRetryMs: 10,
    retryDelayMs: 5,
    onFailure: () => {},
    ...extra,
  });
  test.before(async (ctx) => {
    ctx.a = await openPostgres(url === undefined ? {} : { url });
    // Two processes on a server; one process (one lock table) on PGlite.
    ctx.b = url === undefined ? ctx.a : await openPostgres({ url });
    ctx.followers = [];
  });
  test.after.each(async (ctx) => {
    await Promise.all(ctx.followers.splice(0).map((f) => f.close()));
  });
  test.after(async (ctx) => {
    if (ctx.b !== ctx.a) await ctx.b.close();
    await ctx.a.close();
  });

  test('one active instance; a second takes over when the first dies', async (ctx) => {
    const name = `follower-${randomUUID()}`;
    const one = counter();
    const two = counter();
    const first = startFollower(ctx.a, options(name), one.body);
    ctx.followers.push(first);
    await until(() => first.active, 'the first active');
    const second = startFollower(ctx.b, options(name), two.body);
    ctx.followers.push(second);
    await sleep(60);
    assert.is(second.active, false, 'a standby while the first holds the lock');
    assert.is(two.c.terms, 0);
    await first.close();
    await until(() => second.active && two.c.running === 1, 'the second takes over');
    assert.is(one.c.running, 0, 'the first term stopped');

    // A holder that dies without releasing (PostgreSQL: its connection is killed, the server frees the lock).
    const dead = await ctx.a.tryLock(`${name}-dead`);
    assert.ok(dead);
    const third = counter();
    const standby = startFollower(ctx.b, options(`${name}-dead`), third.body);
    ctx.followers.push(standby);
    await sleep(40);
    assert.is(standby.active, false);
    if (url !== undefined) {
      const key = BigInt.asUintN(64, lockKey(`companyos.lock\0${ctx.a.schema}\0${name}-dead`));
      const killed = await ctx.b.withSession((s) =>
        s.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::bigint AND objid = $2::bigint`, [
          String(key >> 32n),
          String(key & 0xffffffffn),
        ]),
      );
      assert.is(killed.length, 1, "the holder's connection found");
    } else await dead!.release(); // one process: its lock is lost with it
    await until(() => standby.active && third.c.running === 1, 'the standby takes over from the dead holder');
  });

  test('a lost lock stops the term; the follower stands by and resumes when it can take the lock again', async (ctx) => {
    const name = `follower-${randomUUID()}`;
    const one = counter();
    const store = droppable(ctx.a);
    const follower = startFollower(store, options(name), one.body);
    ctx.followers.push(follower);
    await until(() => one.c.running === 1, 'a term');
    await store.held[0]!.drop();
    await until(() => one.c.terms === 2 && one.c.running === 1, 'a second term after the loss');
  });

  test('a failing term is reported and retried with growing pauses', async (ctx) => {
    const name = `follower-${randomUUID()}`;
    const failures: string[] = [];
    let terms = 0;
    const follower = startFollower(ctx.a, options(name, { onFailure: (e, during) => failures.push(`${during}: ${(e as Error).message}`) }), async () => {
      terms++;
      if (terms <= 3) throw new Error(`term ${terms}`);
      await sleep(1);
    });
    ctx.followers.push(follower);
    await until(() => terms >= 5, 'terms after the failures');
    assert.equal(failures, ['term: term 1', 'term: term 2', 'term: term 3']);
  });

  test('a closed follower never resumes, also when closed while its lock is being taken', async (ctx) => {
    const name = `follower-${randomUUID()}`;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let taken: HeldLock | undefined;
    // The lock is granted only after close() was called.
    const slow = {
      async tryLock(n: string) {
        await gate;
        taken = await ctx.a.tryLock(n);
        return taken;
      },
    };
    const one = counter();
    const follower = startFollower(slow, options(name), one.body);
    const closing = follower.close();
    release();
    await closing;
    assert.is(one.c.terms, 0, 'no term after close');
    assert.ok(taken, 'the lock was granted');
    const again = await ctx.a.tryLock(name);
    assert.ok(again, 'and given back');
    await again!.release();

    // Closed while the body is still starting (before it registered its stop): the stop runs at once.
    const late = startFollower(ctx.a, options(`${name}-late`), async (term) => {
      await sleep(30);
      await new Promise<void>((resolve) => term.onStop(resolve));
    });
    await sleep(10);
    await late.close();
    await sleep(50);
    assert.is(late.active, false);
  });

  return test;
}

lockSuite('follower lock (PGlite)', undefined).run();
const url = process.env['DATABASE_URL'];
if (url !== undefined) lockSuite('follower lock (PostgreSQL)', url).run();
else console.log('skipped: follower lock on PostgreSQL (DATABASE_URL not set)');

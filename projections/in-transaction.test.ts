// A transaction in as few round trips as its work allows (inTransactionOpenedBy), on PGlite: BEGIN and the
// opening go out with the work's first round trip, the writes it returns with COMMIT, and an opening that
// raises (a fenced checkpoint) commits nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openPostgres, type PostgresDatabase, type SqlSession } from '../adapters/read-store/postgres/database.js';
import { inTransactionOpenedBy } from './in-transaction.js';

const test = suite('a transaction opened by its first statement');
let database: PostgresDatabase<any>;

test.before(async () => {
  database = await openPostgres({ schema: 'opened' });
  await database.withSession((s) => s.exec('CREATE TABLE IF NOT EXISTS marks (v text); CREATE TABLE IF NOT EXISTS gate (n int); INSERT INTO gate VALUES (1)'));
});
test.after(() => database.close());

/** The session's round trips, as the statements each carried. */
function recording(session: SqlSession) {
  const trips: string[][] = [];
  const recorded: SqlSession = {
    query: (text, params) => (trips.push([text]), session.query(text, params)),
    exec: (text) => (trips.push([text]), session.exec(text)),
    pipeline: (statements) => (trips.push(statements.map((s) => s.text)), session.pipeline(statements)),
    copyFrom: (target, rows) => (trips.push([`COPY ${target}`]), session.copyFrom(target, rows)),
  };
  return { trips, recorded };
}

const opening = [{ text: 'UPDATE gate SET n = n + 1 WHERE n = $1 RETURNING n', params: ['1'] }];
/** An opening that raises (division by zero) unless the gate is at `n`, as a checkpoint's compare-and-set raises when fenced. */
const fence = (n: number) => [{ text: 'SELECT 1 / (SELECT count(*)::int FROM gate WHERE n = $1) AS ok', params: [String(n)] }];
const marks = () => database.withSession((s) => s.query<{ v: string }>('SELECT v FROM marks ORDER BY v'));
const gate = async () => (await database.withSession((s) => s.query<{ n: number }>('SELECT n FROM gate')))[0]!.n;

test('the opening rides with the first pipeline; the statements the work returns ride with COMMIT', async () => {
  await database.withSession((session) => {
    const { trips, recorded } = recording(session);
    return inTransactionOpenedBy(recorded, opening, async (s) => {
      const answers = await s.pipeline([{ text: 'INSERT INTO marks VALUES ($1)', params: ['a'] }, { text: 'SELECT count(*)::int AS n FROM marks' }]);
      assert.equal(answers, [[], [{ n: 1 }]], "the work gets its own statements' rows, not the opening's");
      return [{ text: 'INSERT INTO marks VALUES ($1)', params: ['b'] }];
    }).then(() =>
      assert.equal(trips, [
        ['BEGIN', opening[0]!.text, 'INSERT INTO marks VALUES ($1)', 'SELECT count(*)::int AS n FROM marks'],
        ['INSERT INTO marks VALUES ($1)', 'COMMIT'],
      ]),
    );
  });
  assert.is(await gate(), 2, 'the opening ran');
  assert.equal(await marks(), [{ v: 'a' }, { v: 'b' }]);
});

test('work that only returns its writes is one round trip: BEGIN, opening, writes, COMMIT', async () => {
  await database.withSession((session) => {
    const { trips, recorded } = recording(session);
    return inTransactionOpenedBy(recorded, fence(2), async () => [{ text: 'INSERT INTO marks VALUES ($1)', params: ['c'] }]).then(() =>
      assert.equal(trips, [['BEGIN', fence(2)[0]!.text, 'INSERT INTO marks VALUES ($1)', 'COMMIT']]),
    );
  });
  assert.equal(await marks(), [{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
});

test('an opening that raises stops the round trip: neither what the work sent nor what it returned stays', async () => {
  const sent = await database
    .withSession((session) =>
      inTransactionOpenedBy(session, [...opening, ...fence(1)], async (s) => {
        await s.query('INSERT INTO marks VALUES ($1)', ['d']);
        return [];
      }),
    )
    .catch((e: unknown) => e);
  assert.match(String(sent), /division by zero/, 'the gate is at 2, not 1');
  const returned = await database
    .withSession((session) => inTransactionOpenedBy(session, [...opening, ...fence(1)], async () => [{ text: 'INSERT INTO marks VALUES ($1)', params: ['e'] }]))
    .catch((e: unknown) => e);
  assert.match(String(returned), /division by zero/);
  assert.is(await gate(), 2, "the opening's own update before the raise was rolled back too");
  assert.equal(await marks(), [{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
});

test('a returned write that fails commits nothing of the transaction', async () => {
  const error = await database
    .withSession((session) =>
      inTransactionOpenedBy(session, opening.map((o) => ({ ...o, params: ['2'] })), async (s) => {
        await s.query('INSERT INTO marks VALUES ($1)', ['f']);
        return [{ text: `SELECT '2026-02-30'::date` }];
      }),
    )
    .catch((e: unknown) => e);
  assert.match(String(error), /out of range/);
  assert.is(await gate(), 2);
  assert.equal(await marks(), [{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
});

test('COPY cannot carry the opening: it goes first on its own; work that sends nothing opens and commits in one round trip', async () => {
  await database.withSession((session) => {
    const { trips, recorded } = recording(session);
    const opened = [{ text: 'SELECT n FROM gate' }];
    return inTransactionOpenedBy(recorded, opened, async (s) => (await s.copyFrom('marks (v)', 'g\n'), []))
      .then(() => inTransactionOpenedBy(recorded, opened, async () => []))
      .then(() => assert.equal(trips, [['BEGIN', 'SELECT n FROM gate'], ['COPY marks (v)'], ['COMMIT'], ['BEGIN', 'SELECT n FROM gate', 'COMMIT']]));
  });
  assert.equal(await marks(), [{ v: 'a' }, { v: 'b' }, { v: 'c' }, { v: 'g' }]);
});

test.run();

// A transaction opened by its first statement (inTransactionOpenedBy), on PGlite: BEGIN and the opening go
// out with the work's first round trip, the check sees the opening's rows, and a failed check commits nothing.
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
const marks = () => database.withSession((s) => s.query<{ v: string }>('SELECT v FROM marks ORDER BY v'));

test('the opening rides with the first pipeline; COMMIT is the one other round trip; the check sees its rows', async () => {
  let seen: unknown;
  await database.withSession((session) => {
    const { trips, recorded } = recording(session);
    return inTransactionOpenedBy(recorded, opening, (rows) => (seen = rows), async (s) => {
      const answers = await s.pipeline([{ text: 'INSERT INTO marks VALUES ($1)', params: ['a'] }, { text: 'SELECT count(*)::int AS n FROM marks' }]);
      assert.equal(answers, [[], [{ n: 1 }]], 'the work gets its own statements\' rows, not the opening\'s');
    }).then(() => assert.equal(trips, [['BEGIN', opening[0]!.text, 'INSERT INTO marks VALUES ($1)', 'SELECT count(*)::int AS n FROM marks'], ['COMMIT']]));
  });
  assert.equal(seen, [[{ n: 2 }]]);
  assert.equal(await marks(), [{ v: 'a' }]);
});

test('a check that throws abandons the transaction: nothing the work wrote stays', async () => {
  const error = await database
    .withSession((session) =>
      inTransactionOpenedBy(session, opening, (rows) => {
        if (rows[0]?.length !== 1) throw new Error('fenced');
      }, async (s) => {
        await s.query('INSERT INTO marks VALUES ($1)', ['b']);
      }),
    )
    .catch((e: unknown) => e);
  assert.match(String(error), /fenced/, 'the gate was at 2, so the opening matched no row');
  assert.equal(await marks(), [{ v: 'a' }]);
});

test('COPY cannot carry the opening: it goes first on its own; work that sends nothing still opens and commits', async () => {
  await database.withSession((session) => {
    const { trips, recorded } = recording(session);
    const opened = [{ text: 'SELECT n FROM gate' }];
    return inTransactionOpenedBy(recorded, opened, () => {}, (s) => s.copyFrom('marks (v)', 'c\n'))
      .then(() => inTransactionOpenedBy(recorded, opened, () => {}, async () => {}))
      .then(() => assert.equal(trips, [['BEGIN', 'SELECT n FROM gate'], ['COPY marks (v)'], ['COMMIT'], ['BEGIN', 'SELECT n FROM gate'], ['COMMIT']]));
  });
  assert.equal(await marks(), [{ v: 'a' }, { v: 'c' }]);
});

test.run();

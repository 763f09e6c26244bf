// Parameters written into the text as literals (inline-parameters.ts) mean what the same values mean as
// bound parameters: checked as text, and on PGlite always and the PostgreSQL server when DATABASE_URL is set,
// by a pipeline of several statements against the same statements sent one by one.
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, openPostgres, type PostgresDatabase } from './database.js';
import { inlineParameters, sqlLiteral } from './inline-parameters.js';

const text = suite('parameters inlined as literals');

text('quotes doubled; a backslash makes an E literal with the backslashes doubled; null is NULL', () => {
  assert.is(sqlLiteral("it's"), "'it''s'");
  assert.is(sqlLiteral('a\\nb'), " E'a\\\\nb'");
  assert.is(sqlLiteral(null), 'NULL');
  assert.is(sqlLiteral(''), "''");
});

text('each $n by its own value, $10 not as $1 then 0, a value holding "$2" left as it is', () => {
  const params = ['$2', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
  assert.is(inlineParameters('SELECT $1, $10, $2::int', params), "SELECT '$2', 'j', 'b'::int");
});

text('a $n beyond the parameters is an error, not a NULL', () => {
  assert.throws(() => inlineParameters('SELECT $2', ['x']), /\$2, but has 1 parameter/);
});

text.run();

/** Values that break naive quoting: quotes, backslashes (JSON escapes), newlines, NUL-free control text, non-ASCII, "$1". */
const awkward = [
  "O'Brien",
  "''",
  'C:\\dir\\file',
  'line one\nline two\ttab',
  JSON.stringify({ note: 'origin\n5\nroot\n\n— w sig', q: "it's \\ \"quoted\"" }),
  'ünïcödé 😀 — $1 $$ $tag$',
  '',
];

function roundTrip(title: string, url: string | undefined) {
  const test = suite(title);
  let database: PostgresDatabase<any>;
  test.before(async () => {
    database = await openPostgres(url === undefined ? { schema: 'inline' } : { url, schema: `inline_${randomBytes(4).toString('hex')}` });
  });
  test.after(async () => {
    if (database.kind === 'pg') await dropSchema(database, database.schema);
    await database.close();
  });

  test('a pipeline reads back each value as bound parameters do, json included', async () => {
    const statement = { text: 'SELECT $1::text AS v, ($2::jsonb ->> $3) AS j, $4::text IS NULL AS n', params: [] as (string | null)[] };
    for (const value of awkward) {
      const params = [value, JSON.stringify({ [value]: value }), value, null];
      const bound = await database.withSession((s) => s.query(statement.text, params));
      const [inlined] = await database.withSession((s) => s.pipeline([{ text: statement.text, params }]));
      assert.equal(inlined, bound, value);
      assert.equal(inlined, [{ v: value, j: value, n: true }]);
    }
  });

  test('statements of one pipeline run in order and each answers with its own rows', async () => {
    const rows = await database.withSession((s) =>
      s.pipeline([
        { text: 'CREATE TEMP TABLE t (v text)' },
        { text: 'INSERT INTO t SELECT unnest($1::text[])', params: [`{${awkward.map((v) => JSON.stringify(v)).join(',')}}`] },
        { text: 'SELECT count(*)::int AS n FROM t' },
        { text: 'SELECT v FROM t WHERE v = $1', params: ["O'Brien"] },
      ]),
    );
    assert.equal(rows.slice(2), [[{ n: awkward.length }], [{ v: "O'Brien" }]]);
  });

  test('the first failing statement fails the pipeline and the statements after it do not run', async () => {
    await database.withSession(async (s) => {
      await s.query('CREATE TEMP TABLE IF NOT EXISTS u (v int)');
      const failed = await s.pipeline([{ text: 'INSERT INTO u VALUES (1)' }, { text: 'SELECT 1/0' }, { text: 'INSERT INTO u VALUES (2)' }]).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.match(String(failed), /division by zero/);
      // Outside a transaction the pipeline was one: nothing of it stays.
      assert.equal(await s.query('SELECT v FROM u'), []);
    });
  });

  test.run();
}

roundTrip('a pipeline on PGlite', undefined);
if (process.env.DATABASE_URL) roundTrip('a pipeline on the PostgreSQL server', process.env.DATABASE_URL);

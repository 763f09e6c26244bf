// Which statements run named (statement-names.ts): as rules, and on the PostgreSQL server (when
// DATABASE_URL is set) by what the connection holds in pg_prepared_statements.
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, openPostgres } from './database.js';
import { StatementNames } from './statement-names.js';

const rules = suite('statement names');

rules('a text with parameters is named from its third run on, under one name', () => {
  const names = new StatementNames();
  const text = 'SELECT $1::int';
  assert.equal([names.nameOf(text, 1), names.nameOf(text, 1)], [undefined, undefined]);
  const name = names.nameOf(text, 1);
  assert.type(name, 'string');
  assert.is(names.nameOf(text, 1), name);
  const other = 'SELECT $1::text';
  names.nameOf(other, 1);
  names.nameOf(other, 1);
  assert.is.not(names.nameOf(other, 1), name);
});

rules('a parameterless text is never named: it may hold several statements, which a named statement cannot', () => {
  const names = new StatementNames();
  for (let i = 0; i < 10; i++) assert.is(names.nameOf('BEGIN', 0), undefined);
  assert.is(names.size, 0);
});

rules('at most `max` texts are named; the rest run unnamed, and the named keep their names', () => {
  const names = new StatementNames({ max: 2, after: 1 });
  const a = names.nameOf('SELECT $1', 1);
  const b = names.nameOf('SELECT $1, 2', 1);
  assert.ok(a !== undefined && b !== undefined && a !== b);
  assert.is(names.nameOf('SELECT $1, 3', 1), undefined);
  assert.is(names.nameOf('SELECT $1', 1), a);
  assert.is(names.size, 2);
});

rules('one-off texts do not fill the slots: the counts of unnamed texts are bounded and forgotten', () => {
  const names = new StatementNames({ max: 2, after: 2, maxCounted: 8 });
  for (let i = 0; i < 1_000; i++) assert.is(names.nameOf(`SELECT $1, ${i}`, 1), undefined);
  assert.is(names.size, 0);
  names.nameOf('SELECT $1', 1);
  assert.type(names.nameOf('SELECT $1', 1), 'string');
});

rules.run();

const url = process.env.DATABASE_URL;
if (url) {
  const server = suite('statement names on the PostgreSQL server');

  server('a repeated statement is prepared once on its connection and answers as an unnamed one does', async () => {
    const database = await openPostgres({ url, schema: `names_${randomBytes(4).toString('hex')}`, poolSize: 1 });
    try {
      await database.withSession(async (s) => {
        const text = "SELECT $1::int + 1 AS n, 'named' AS how";
        const answers = [];
        for (let i = 0; i < 6; i++) answers.push((await s.query<{ n: number }>(text, [String(i)]))[0]?.n);
        assert.equal(answers, [1, 2, 3, 4, 5, 6]);
        const prepared = await s.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%''named''%' AND $1 = $1", ['x']);
        assert.equal(prepared.map((p) => p.statement), [text]);
        await s.query('SELECT 1'); // parameterless: not prepared
        assert.ok((await s.query<{ n: bigint }>('SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1', ['SELECT 1']))[0]?.n === 0n);
      });
    } finally {
      await dropSchema(database, database.schema);
      await database.close();
    }
  });

  server('preparedStatements: false runs every statement unnamed', async () => {
    const database = await openPostgres({ url, schema: `names_${randomBytes(4).toString('hex')}`, poolSize: 1, preparedStatements: false });
    try {
      await database.withSession(async (s) => {
        for (let i = 0; i < 6; i++) await s.query('SELECT $1::int', [String(i)]);
        assert.equal(await s.query('SELECT name FROM pg_prepared_statements WHERE $1 = $1', ['x']), []);
      });
    } finally {
      await dropSchema(database, database.schema);
      await database.close();
    }
  });

  server.run();
}

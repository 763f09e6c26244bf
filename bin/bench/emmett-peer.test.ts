// The benches' peer on a real PostgreSQL (DATABASE_URL): what a phase counts is what Emmett stored, in its
// own schema and nowhere else, each writer on its own stream with versions carried, and close drops it all.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { EmmettPeer } from './emmett-peer.js';

const url = process.env.DATABASE_URL;
const peer = suite('bench: Emmett peer');

async function query<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

peer('a phase counts the events Emmett stored, in its own schema, one stream per writer; close drops the schema', async () => {
  const emmett = await EmmettPeer.open(url!, 4);
  const schema = emmett.schema;
  try {
    const single = await emmett.phase('single', 1, 1, 0.2);
    const batched = await emmett.phase('batch', 3, 5, 0.2);
    assert.ok(single.appends > 0 && batched.appends > 0);
    const [stored] = await query<{ n: string; streams: string }>(`SELECT count(*) AS n, count(DISTINCT stream_id) AS streams FROM ${schema}.emt_messages`);
    assert.is(Number(stored!.n), single.appends + 5 * batched.appends);
    assert.is(Number(stored!.streams), 1 + 3);
    // Versions carried from append to append: each stream's last position is its event count.
    const streams = await query<{ stream_id: string; stream_position: string; n: string }>(
      `SELECT s.stream_id, s.stream_position::text, (SELECT count(*) FROM ${schema}.emt_messages m WHERE m.stream_id = s.stream_id)::text AS n FROM ${schema}.emt_streams s`,
    );
    assert.is(streams.length, 4);
    for (const s of streams) assert.is(s.stream_position, s.n, s.stream_id);
    const elsewhere = await query(`SELECT schemaname FROM pg_tables WHERE tablename = 'emt_messages' AND schemaname <> $1 AND schemaname NOT LIKE 'emmett_bench_%'`, [schema]);
    assert.equal(elsewhere, []);
  } finally {
    await emmett.close();
  }
  assert.equal(await query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]), []);
});

if (url) peer.run();
else console.log('skipped: Emmett peer (DATABASE_URL not set)');

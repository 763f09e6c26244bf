// Read-model digests: SHA-256 over a read model's rows in primary-key order, rendered as JSON by
// PostgreSQL in UTC. Two stores holding the same rows give the same digest, whatever wrote them.
import { createHash } from 'node:crypto';
import { readCheckpoint } from '../adapters/read-store/checkpoints.js';
import type { SqlSession, ReadStore } from '../adapters/read-store/read-store.js';
import type { Projection } from './projection.js';

const FETCH = 5000;

export interface ReadModelDigest {
  readonly digest: string;
  readonly rows: number;
  /** The projection's checkpoint in the same snapshot as the rows (undefined: nothing applied). */
  readonly checkpoint: bigint | undefined;
}

/** One hex digest per read model (projection), over all its tables, for the rows in `schema`, from one snapshot. */
export async function readModelDigest(store: ReadStore, schema: string, projection: Projection): Promise<ReadModelDigest> {
  return store.withSession(async (session) => {
    // One snapshot for the checkpoint and every table, so a projector committing meanwhile cannot tear it.
    await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      // Rendering of timestamptz follows the session's time zone: pin it.
      await session.query("SET LOCAL TimeZone = 'UTC'");
      const checkpoint = await readCheckpoint(session, schema, projection.name);
      const hash = createHash('sha256');
      let rows = 0;
      for (const table of projection.tables) {
        hash.update(`table ${table.name}\n`);
        rows += await hashRows(session, `"${schema}".${table.name}`, table.orderBy, hash);
      }
      return { digest: hash.digest('hex'), rows, checkpoint };
    } finally {
      await session.query('COMMIT');
    }
  });
}

async function hashRows(session: SqlSession, table: string, orderBy: readonly string[], hash: ReturnType<typeof createHash>): Promise<number> {
  const cursor = `digest_${Math.random().toString(36).slice(2)}`;
  await session.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS row FROM ${table} t ORDER BY ${orderBy.join(', ')}`);
  let count = 0;
  for (;;) {
    const rows = await session.query<{ row: string }>(`FETCH ${FETCH} FROM ${cursor}`);
    for (const r of rows) hash.update(r.row).update('\n');
    count += rows.length;
    if (rows.length < FETCH) break;
  }
  await session.query(`CLOSE ${cursor}`);
  return count;
}

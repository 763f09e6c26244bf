// One transaction on a session: BEGIN, the work, COMMIT. A throwing `fn` skips the COMMIT; the read store's
// withSession then discards the connection's half-done transaction (see ReadStore.withSession).
import type { SqlSession } from '../adapters/read-store/read-store.js';

export async function inTransaction<T>(session: SqlSession, fn: () => Promise<T>): Promise<T> {
  await session.query('BEGIN');
  const result = await fn();
  await session.query('COMMIT');
  return result;
}

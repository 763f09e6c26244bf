// One transaction on a session: BEGIN, the work, COMMIT. A throwing `fn` skips the COMMIT; the read store's
// withSession then discards the connection's half-done transaction (see ReadStore.withSession).
import type { SqlSession, SqlStatement } from '../adapters/read-store/read-store.js';

export async function inTransaction<T>(session: SqlSession, fn: () => Promise<T>): Promise<T> {
  await session.query('BEGIN');
  const result = await fn();
  await session.query('COMMIT');
  return result;
}

/**
 * A transaction in as few round trips as its work allows. BEGIN and `opening` go to the server with whatever
 * `fn` first sends through the session it is given, and the statements `fn` returns (writes whose answers
 * nobody reads) go with COMMIT. Work that only writes is then one round trip in all, and work that reads
 * first two. A statement of `opening` that must stop the transaction raises (a projector's checkpoint
 * compare-and-set does): the first error ends its round trip, nothing after it runs, COMMIT included, and
 * the read store's withSession discards the aborted transaction.
 */
export async function inTransactionOpenedBy(
  session: SqlSession,
  opening: readonly SqlStatement[],
  fn: (session: SqlSession) => Promise<readonly SqlStatement[]>,
): Promise<void> {
  let pending: readonly SqlStatement[] | undefined = [{ text: 'BEGIN' }, ...opening];
  /** Sends what is pending ahead of `statements`, in one round trip; the rows of `statements`. */
  const withPending = async (statements: readonly SqlStatement[]) => {
    const ahead = pending;
    pending = undefined;
    if (ahead === undefined) return session.pipeline(statements);
    return (await session.pipeline([...ahead, ...statements])).slice(ahead.length);
  };
  const riding: SqlSession = {
    async query<R>(text: string, params?: readonly (string | null)[]) {
      if (pending === undefined) return session.query<R>(text, params);
      return (await withPending([{ text, params }]))[0] as R[];
    },
    pipeline: withPending,
    // Neither a multi-statement text nor COPY can carry the opening: it goes first, on its own.
    async exec(text: string) {
      if (pending !== undefined) await withPending([]);
      return session.exec(text);
    },
    async copyFrom(target: string, rows: string) {
      if (pending !== undefined) await withPending([]);
      return session.copyFrom(target, rows);
    },
  };
  const closing = await fn(riding);
  await withPending([...closing, { text: 'COMMIT' }]);
}

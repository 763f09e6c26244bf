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
 * A transaction that opens in the round trip of its first statement: BEGIN and `opening` (a projector's
 * checkpoint compare-and-set) go to the server with whatever `fn` first sends through the session it is
 * given, so a batch of writes pipelined by `fn` costs one round trip, and COMMIT one more. `check` sees the
 * opening statements' rows before COMMIT and throws to abandon the transaction.
 */
export async function inTransactionOpenedBy<T>(
  session: SqlSession,
  opening: readonly SqlStatement[],
  check: (rows: readonly Record<string, unknown>[][]) => void,
  fn: (session: SqlSession) => Promise<T>,
): Promise<T> {
  let pending: readonly SqlStatement[] | undefined = [{ text: 'BEGIN' }, ...opening];
  let opened: readonly Record<string, unknown>[][] = [];
  /** Sends what is pending ahead of `statements`, in one round trip; the rows of `statements`. */
  const withPending = async (statements: readonly SqlStatement[]) => {
    const ahead = pending;
    pending = undefined;
    if (ahead === undefined) return session.pipeline(statements);
    const rows = await session.pipeline([...ahead, ...statements]);
    opened = rows.slice(1, ahead.length);
    return rows.slice(ahead.length);
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
  const result = await fn(riding);
  if (pending !== undefined) await withPending([]);
  check(opened);
  await session.query('COMMIT');
  return result;
}

// Several statements with parameters in one round trip. PostgreSQL's extended protocol (what pg sends for a
// statement with $n parameters) takes one statement per Sync, and pg waits for each answer before it sends
// the next; the simple protocol takes many statements in one message but no parameters. So the parameters
// are written into the text as literals, quoted as pg's own escapeLiteral quotes them (E'' when a backslash
// occurs, so the text means the same whatever standard_conforming_strings says).
import type { SqlStatement } from '../read-store.js';

/** A string (or null) as a SQL literal. */
export function sqlLiteral(value: string | null): string {
  if (value === null) return 'NULL';
  const quoted = `'${value.replaceAll("'", "''")}'`;
  return value.includes('\\') ? ` E${quoted.replaceAll('\\', '\\\\')}` : quoted;
}

/**
 * `$n` replaced by the literal of params[n-1]. The statement's own text must hold `$n` only as parameters
 * (not inside a literal or comment), as every statement written for `query` does.
 */
export function inlineParameters(text: string, params: readonly (string | null)[] = []): string {
  return text.replace(/\$(\d+)/g, (whole, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`statement refers to ${whole}, but has ${params.length} parameter(s)`);
    return sqlLiteral(params[i]!);
  });
}

/** The statements as one simple-protocol text. */
export function pipelineText(statements: readonly SqlStatement[]): string {
  return statements.map((s) => inlineParameters(s.text, s.params)).join(';\n');
}

/** SqlSession.pipeline on a session's `exec` (multi-statement text in one round trip). */
export const pipelineOn =
  (exec: (text: string) => Promise<Record<string, unknown>[][]>) =>
  async (statements: readonly SqlStatement[]): Promise<Record<string, unknown>[][]> =>
    statements.length === 0 ? [] : exec(pipelineText(statements));

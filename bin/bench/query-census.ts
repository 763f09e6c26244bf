// Counts every SQL statement a process sends through node-postgres, by its text (schema names and
// whitespace folded), and writes the counts to $BENCH_QUERY_CENSUS when the process exits. Loaded into the
// server by `bench:commands --queries` (node --import), so the bench can say how many round trips a command
// costs and which readers make them; nothing in the server knows it is there.
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const out = process.env['BENCH_QUERY_CENSUS'];
if (out !== undefined) {
  const counts = new Map<string, number>();
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : (config?.text ?? '(no text)');
    const key = text.replace(/"?\b(bench|fabric_bench)_[0-9a-z]+"?\./g, '').replace(/\s+/g, ' ').trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  process.on('exit', () => writeFileSync(out, JSON.stringify(Object.fromEntries(counts))));
}

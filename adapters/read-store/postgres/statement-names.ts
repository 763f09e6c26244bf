// Names for the statements a pool runs again and again, so that each connection prepares them once, as
// PostgreSQL's own drivers do on their own (JDBC's prepareThreshold, Npgsql's auto-prepare). A named
// statement skips parse and analysis on every later run, and after five runs PostgreSQL keeps its generic
// plan when that plan is no worse than the custom ones, so planning goes too. Under load, planning the
// projectors' and the log's small statements each time was about a third of PostgreSQL's time beside
// their execution (pg_stat_statements with track_planning).
//
// Only a statement with parameters is named (a parameterless text may hold several statements, which the
// extended protocol refuses), only once its text has run `after` times (a one-off text takes no slot), and
// at most `max` texts per pool, so each connection holds a bounded set.

export class StatementNames {
  readonly #names = new Map<string, string>();
  /** Runs of texts not (yet) named; cleared when it reaches `maxCounted`, so one-off texts cannot grow it. */
  readonly #runs = new Map<string, number>();
  readonly #max: number;
  readonly #after: number;
  readonly #maxCounted: number;

  constructor(options: { readonly max?: number; readonly after?: number; readonly maxCounted?: number } = {}) {
    this.#max = options.max ?? 256;
    this.#after = options.after ?? 3;
    this.#maxCounted = options.maxCounted ?? 4096;
  }

  /** The name to run `text` under, or undefined to run it unnamed (parsed and planned each time). */
  nameOf(text: string, parameterCount: number): string | undefined {
    const name = this.#names.get(text);
    if (name !== undefined || parameterCount === 0 || this.#names.size >= this.#max) return name;
    const runs = (this.#runs.get(text) ?? 0) + 1;
    if (runs < this.#after) {
      if (this.#runs.size >= this.#maxCounted) this.#runs.clear();
      this.#runs.set(text, runs);
      return undefined;
    }
    this.#runs.delete(text);
    const named = `companyos_${this.#names.size}`;
    this.#names.set(text, named);
    return named;
  }

  /** How many texts have a name. */
  get size(): number {
    return this.#names.size;
  }
}

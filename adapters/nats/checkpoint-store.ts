// The relay's checkpoint in PostgreSQL: the last log position whose publish was acknowledged. Saves never
// move it backwards, so a relay that lost its lease cannot undo the progress of the one that took over.
import { quoteIdent, type PostgresDatabase } from '../read-store/postgres/database.js';

export class CheckpointStore {
  readonly #db: PostgresDatabase<any>;
  readonly #table: string;

  constructor(database: PostgresDatabase<any>) {
    this.#db = database;
    this.#table = `${quoteIdent(database.schema)}.nats_relay_checkpoints`;
  }

  /** undefined: nothing published yet (start from the beginning of the log). */
  async load(name: string): Promise<bigint | undefined> {
    const rows = await this.#db.withSession((s) =>
      s.query<{ position: bigint | string }>(`SELECT position FROM ${this.#table} WHERE name = $1`, [name]),
    );
    return rows[0] === undefined ? undefined : BigInt(rows[0].position);
  }

  async save(name: string, position: bigint): Promise<void> {
    await this.#db.withSession((s) =>
      s.query(
        `INSERT INTO ${this.#table} AS c (name, position) VALUES ($1, $2::bigint)
         ON CONFLICT (name) DO UPDATE SET position = GREATEST(c.position, excluded.position), updated_at = now()`,
        [name, position.toString()],
      ),
    );
  }
}

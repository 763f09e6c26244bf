// The relay's checkpoint: the last log position whose publish was acknowledged, a row of the followers' one
// checkpoint table (projection_checkpoints, named `relay:<name>`). Saves never move it backwards, so a relay
// that lost its lease cannot undo the progress of the one that took over.
import { quoteIdent, type PostgresDatabase } from '../read-store/postgres/database.js';
import { relayCheckpointName } from './migrations.js';

export class CheckpointStore {
  readonly #db: PostgresDatabase<any>;
  readonly #table: string;

  constructor(database: PostgresDatabase<any>) {
    this.#db = database;
    this.#table = `${quoteIdent(database.schema)}.projection_checkpoints`;
  }

  /** undefined: nothing published yet (start from the beginning of the log). */
  async load(name: string): Promise<bigint | undefined> {
    const rows = await this.#db.withSession((s) =>
      s.query<{ position: bigint | string | null }>(`SELECT position FROM ${this.#table} WHERE name = $1`, [relayCheckpointName(name)]),
    );
    const position = rows[0]?.position;
    return position === undefined || position === null ? undefined : BigInt(position);
  }

  async save(name: string, position: bigint): Promise<void> {
    await this.#db.withSession((s) =>
      s.query(
        `INSERT INTO ${this.#table} AS c (name, position, version) VALUES ($1, $2::bigint, 0)
         ON CONFLICT (name) DO UPDATE SET position = GREATEST(c.position, excluded.position), updated_at = now()`,
        [relayCheckpointName(name), position.toString()],
      ),
    );
  }
}

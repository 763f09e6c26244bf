// Witness cosignatures of tenant checkpoints (c2sp.org/tlog-cosignature), as the server received them: one
// row per (tenant, checkpoint size, witness key). They are not derived from the log (a witness signs
// outside it), so this table is no read model: replay neither rebuilds nor drops it. Written only after
// commands/cosignatures.ts checked the cosignature against an operator-configured witness key and a
// checkpoint this server issued; read to append each witness's line to the checkpoint it served.
import { sql } from 'kysely';
import type { Migration, ReadStore } from './read-store.js';

export const cosignatureMigrations: readonly Migration[] = [
  {
    id: 'cosignatures_0001_table',
    async up(db, { schema }) {
      // line: the note signature line as the witness signed it ("— <name> <base64>"), appended verbatim.
      await sql`CREATE TABLE ${sql.id(schema, 'ledger_cosignatures')} (
        tenant text NOT NULL,
        tree_size bigint NOT NULL,
        witness text NOT NULL,
        key_id bigint NOT NULL,
        line text NOT NULL,
        signed_at bigint NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, tree_size, witness, key_id)
      )`.execute(db);
    },
  },
];

export interface StoredCosignature {
  readonly witness: string;
  readonly keyId: number;
  /** The note signature line, without its newline. */
  readonly line: string;
  /** The time the witness states (POSIX seconds). */
  readonly signedAt: number;
}

export class CosignatureStore {
  readonly #store: ReadStore;
  readonly #table: string;

  constructor(store: ReadStore, schema: string = store.schema) {
    this.#store = store;
    this.#table = `"${schema}".ledger_cosignatures`;
  }

  /** Keeps a witness's cosignature of the tenant's checkpoint at `treeSize`; a later one by the same key replaces it. */
  async add(tenant: string, treeSize: number, c: StoredCosignature): Promise<void> {
    await this.#store.withSession((s) =>
      s.query(
        `INSERT INTO ${this.#table} (tenant, tree_size, witness, key_id, line, signed_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant, tree_size, witness, key_id) DO UPDATE SET line = EXCLUDED.line, signed_at = EXCLUDED.signed_at, received_at = now()
         WHERE ${this.#table}.signed_at <= EXCLUDED.signed_at`,
        [tenant, String(treeSize), c.witness, String(c.keyId), c.line, String(c.signedAt)],
      ),
    );
  }

  /** The cosignatures held for the tenant's checkpoint at `treeSize`, by witness name then key id. */
  async of(tenant: string, treeSize: number): Promise<StoredCosignature[]> {
    return (await this.ofSizes(tenant, [treeSize])).get(treeSize) ?? [];
  }

  /** The cosignatures held for each of the tenant's checkpoints at `sizes`, in one query; sizes without any are absent. */
  async ofSizes(tenant: string, sizes: readonly number[]): Promise<Map<number, StoredCosignature[]>> {
    const bySize = new Map<number, StoredCosignature[]>();
    if (sizes.length === 0) return bySize;
    const rows = await this.#store.withSession((s) =>
      s.query<{ tree_size: bigint; witness: string; key_id: bigint; line: string; signed_at: bigint }>(
        `SELECT tree_size, witness, key_id, line, signed_at FROM ${this.#table}
         WHERE tenant = $1 AND tree_size = ANY($2::bigint[]) ORDER BY tree_size, witness, key_id`,
        [tenant, `{${sizes.join(',')}}`],
      ),
    );
    for (const r of rows) {
      const size = Number(r.tree_size);
      bySize.set(size, [...(bySize.get(size) ?? []), { witness: r.witness, keyId: Number(r.key_id), line: r.line, signedAt: Number(r.signed_at) }]);
    }
    return bySize;
  }
}

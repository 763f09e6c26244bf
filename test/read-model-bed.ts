// A test bed for read models: the whole write side (HTTP API, pipeline, Cedar, sealing) on an in-memory
// PGlite log, with the read models migrated into the same database, and a projector run to the log's head.
import { migrate } from '../adapters/read-store/postgres/database.js';
import type { PostgresEventLog } from '../adapters/event-log/postgres/index.js';
import { READ_MODELS, projectUntil, readModelDigest, readModelMigrations, type Projection } from '../projections/index.js';
import { openTestApi, type ApiResponse, type TestApi } from './api-harness.js';
import { openMemoryLog, type TestLog } from './logs.js';


export interface ReadModelBed {
  readonly api: TestApi;
  readonly log: PostgresEventLog;
  /** An editor of tenant acme in us-east. */
  readonly token: string;
  /** POSTs a command as the editor; throws unless it was appended or unchanged. */
  command(type: string, body: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** Projects every read model (or `projections`) up to the log's head in `schema` (default the log's). */
  project(options?: { readonly schema?: string; readonly projections?: readonly Projection[]; readonly until?: bigint }): Promise<void>;
  digest(projection: Projection, schema?: string): Promise<string>;
  sql<R = Record<string, unknown>>(text: string, params?: readonly (string | null)[]): Promise<R[]>;
  close(): Promise<void>;
}

/** `env` adds configuration (e.g. COMPANYOS_GITHUB_WEBHOOKS) to the test API's. */
export async function openReadModelBed(env: Record<string, string> = {}): Promise<ReadModelBed> {
  const memory: TestLog = await openMemoryLog();
  const api = await openTestApi(memory.log, env);
  const store = memory.log.database;
  await migrate(store, readModelMigrations);
  const token = await api.token({ subject: 'user:alice', tenant: 'acme', roles: ['editor'], region: 'us-east' });
  return {
    api,
    log: memory.log,
    token,
    async command(type, body, headers = {}) {
      const r = await api.call('POST', `/v1/commands/${type}`, { token, body, headers });
      if (r.status !== 201 && r.status !== 200) throw new Error(`${type} answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r;
    },
    async project(options = {}) {
      const schema = options.schema ?? store.schema;
      for (const p of options.projections ?? READ_MODELS) {
        await projectUntil({ log: memory.log, store }, p, { schema, ...(options.until === undefined ? {} : { until: options.until }) });
      }
    },
    async digest(projection, schema = store.schema) {
      return (await readModelDigest(store, schema, projection)).digest;
    },
    sql: memory.sql,
    async close() {
      await api.close();
      await memory.close();
    },
  };
}

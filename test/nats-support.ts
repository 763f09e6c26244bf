// Test-only helpers for the NATS suites: a command pipeline built as bin/system.ts builds it (Cedar with the
// default policies, the fixed test key), a PostgreSQL log in a fresh schema, unique names, bounded waits.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CedarAuthorizer } from '../adapters/cedar/cedar-authorizer.js';
import { CommandPipeline } from '../commands/pipeline.js';
import { DEFAULT_RETRY } from '../commands/stream-writer.js';
import { commandHandlers } from '../domain/index.js';
import { Keyring } from '../ledger/index.js';
import { testSigningKey } from './test-events.js';
import { dropSchema, openPostgres, type PostgresDatabase } from '../adapters/read-store/postgres/database.js';
import { PostgresEventLog } from '../adapters/event-log/postgres/index.js';
import type { NatsConnection } from 'nats';
import type { IngestDelivery, IngestPolicy } from '../adapters/nats/ingest-delivery.js';

export const POLICY_FILE = fileURLToPath(new URL('../commands/policies/default.cedar', import.meta.url));

export const natsUrl = (): string | undefined => process.env['NATS_URL'] || undefined;
export const databaseUrl = (): string | undefined => process.env['DATABASE_URL'] || undefined;

/** A short random id for stream, subject, consumer and schema names of one test run. */
export const runId = (): string => randomBytes(4).toString('hex');

export async function testPipeline(log: PostgresEventLog, keyring = new Keyring([], testSigningKey())): Promise<CommandPipeline> {
  const authorizer = new CedarAuthorizer(await readFile(POLICY_FILE, 'utf8'));
  return new CommandPipeline({
    log,
    keyring,
    authorizer,
    clock: () => new Date(),
    newId: randomUUID,
    auditRetry: { attempts: 20, baseDelayMs: 2 },
    handlers: Object.fromEntries(commandHandlers),
    retry: DEFAULT_RETRY,
  });
}

export interface TestStore {
  readonly database: PostgresDatabase<any>;
  readonly log: PostgresEventLog;
  /** Closes the log and drops the schema. */
  close(): Promise<void>;
}

/** The log in a fresh schema: on DATABASE_URL when set, else in-memory PGlite. */
export async function openTestStore(schema: string): Promise<TestStore> {
  const url = databaseUrl();
  const database = await openPostgres(url !== undefined ? { url, schema } : { schema });
  const log = await PostgresEventLog.open(database);
  return {
    database,
    log,
    async close() {
      await log.close();
      if (database.kind === 'pg') await dropSchema(database, schema);
      await database.close();
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const T0 = '2026-01-01T00:00:00Z';

/** A valid graph.node.upsert body. */
export const nodeUpsert = (id: string, attributes: Record<string, unknown> = {}, region = 'us-east') => ({
  id,
  type: 'Service',
  region,
  attributes,
  provenance: { sourceSystem: 'nats-test', observedAt: T0 },
});

export interface StoredMessage {
  readonly subject: string;
  readonly seq: number;
  readonly data: Uint8Array;
  header(name: string): string | undefined;
}

/** Every message a JetStream stream holds now, in sequence order (an ordered consumer; bounded wait). */
export async function readStream(nc: NatsConnection, stream: string, timeoutMs = 30_000): Promise<StoredMessage[]> {
  const jsm = await nc.jetstreamManager();
  const total = (await jsm.streams.info(stream)).state.messages;
  if (total === 0) return [];
  const consumer = await nc.jetstream().consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 1000 });
  const out: StoredMessage[] = [];
  const timer = setTimeout(() => messages.stop(new Error(`timed out reading ${stream}: ${out.length} of ${total} messages`)), timeoutMs);
  try {
    for await (const m of messages) {
      const h = m.headers;
      out.push({ subject: m.subject, seq: m.seq, data: m.data, header: (n) => (h?.has(n) ? h.get(n) : undefined) });
      if (m.info.pending === 0) break;
    }
  } finally {
    clearTimeout(timer);
    await messages.close();
  }
  if (out.length < total) throw new Error(`read ${out.length} of ${total} messages from ${stream}`);
  return out;
}

export async function deleteStreams(nc: NatsConnection, ...names: readonly string[]): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for (const name of names) await jsm.streams.delete(name).catch(() => false);
}

/** The ingest policy of the pure (no NATS) ingest tests: a fixed clock, small backoffs. */
export const TEST_INGEST_POLICY: IngestPolicy = {
  subjectPrefix: 'ingest',
  serviceId: 'service:nats-ingest',
  maxDeliveries: 5,
  backoffBaseMs: 100,
  backoffMaxMs: 1000,
  clock: () => new Date('2026-01-01T00:00:00Z'),
  requireToken: false,
};

/** A delivered message as the ingest sees it (headers case-insensitive), at stream sequence 42. */
export function testDelivery(subject: string, body: unknown, headers: Record<string, string> = {}, deliveryCount = 1): IngestDelivery {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    subject,
    data: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
    header: (name) => lower.get(name.toLowerCase()),
    stream: 'COMPANYOS_INGEST',
    streamSequence: 42,
    deliveryCount,
  };
}

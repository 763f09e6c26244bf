// A drill's throwaway stack: a private PostgreSQL cluster in a temporary directory (its own port, never the
// machine's server), optionally behind the loopback TCP proxy, and `companyos serve` (and `project`)
// as child processes with a data directory of their own; all of it removed at the end. The drill can stop
// the cluster, cut the proxy or kill a process, and read the log and the read models directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { issueDevelopmentToken, type DevelopmentTokenClaims } from '../../adapters/auth/jwt.js';
import { exited, printed } from '../../test/child-process.js';
import { startPrivateNats, type PrivateNats } from '../../test/private-nats.js';
import { startPrivatePostgres, type PrivatePostgres } from '../../test/private-postgres.js';
import { startTcpProxy, type TcpProxy } from '../../test/tcp-proxy.js';

const root = resolve(import.meta.dirname, '../..');
const SCHEMA = 'companyos';

export interface StackProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  /** SIGTERM and wait (no-op once it has exited). */
  stop(): Promise<void>;
}

export interface DrillStack {
  readonly postgres: PrivatePostgres;
  /** Set when the stack was opened with `proxy: true`: serve reaches PostgreSQL only through it. */
  readonly proxy: TcpProxy | undefined;
  /** Set when the stack was opened with `nats: true`: a private nats-server, serve's NATS_URL. */
  readonly nats: PrivateNats | undefined;
  readonly tenant: string;
  readonly token: string;
  /** A token of the stack's tenant with these roles. */
  tokenWith(roles: DevelopmentTokenClaims['roles']): Promise<string>;
  /** Starts `companyos <command> [args]` on the stack (with `env` added); resolves once it listens. */
  start(command: 'serve' | 'project', args?: readonly string[], env?: Readonly<Record<string, string>>): Promise<StackProcess>;
  /** Events of each `<tenant>/graph.node/<id>` stream whose id starts with `prefix`, by id. */
  nodeEventCounts(prefix: string): Promise<Map<string, number>>;
  /** Node ids starting with `prefix` in the graph read model. */
  graphNodes(prefix: string): Promise<Set<string>>;
  /** Event types of a stream, in order. */
  streamTypes(stream: string): Promise<string[]>;
  /** Every event id of the log, in log order. */
  logEventIds(): Promise<string[]>;
  /** Whether every projection's checkpoint has reached the log's head. */
  projectionsAtHead(): Promise<boolean>;
  close(): Promise<void>;
}

export async function openDrillStack(options: { readonly proxy: boolean; readonly nats?: boolean }): Promise<DrillStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-drill-'));
  const postgres = await startPrivatePostgres();
  const nats = options.nats === true ? await startPrivateNats() : undefined;
  const proxy = options.proxy ? await startTcpProxy('127.0.0.1', postgres.port) : undefined;
  const secret = randomBytes(32).toString('base64url');
  const tenant = 'drill';
  const tokenWith = (roles: DevelopmentTokenClaims['roles']) =>
    issueDevelopmentToken(
      new TextEncoder().encode(secret),
      { issuer: 'companyos-dev', audience: 'companyos' },
      { tenant, roles: [...roles], region: 'us-east', subject: 'drill-writer' },
      Math.floor(Date.now() / 1000),
    );
  const token = await tokenWith(['editor']);
  const children = new Set<ChildProcess>();

  const sql = async <R>(text: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as R[];
    } finally {
      await client.end();
    }
  };

  return {
    postgres,
    proxy,
    nats,
    tenant,
    token,
    tokenWith,
    async start(command, args = [], extraEnv = {}) {
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of ['DATABASE_URL', 'EVENTSTORE_URL', 'CLICKHOUSE_URL', 'NATS_URL', 'COMPANYOS_SIGNING_KEY', 'COMPANYOS_KEYRING_FILE']) delete env[name];
      Object.assign(env, {
        PORT: String(port),
        DATABASE_URL: proxy !== undefined ? proxy.url(postgres.url) : postgres.url,
        COMPANYOS_PG_SCHEMA: SCHEMA,
        COMPANYOS_DATA_DIR: dataDir,
        COMPANYOS_JWT_SECRET: secret,
        COMPANYOS_COMMAND_TIMEOUT: '5',
        COMPANYOS_PG_QUERY_TIMEOUT: '2',
        ...(nats !== undefined ? { NATS_URL: nats.url } : {}),
        ...extraEnv,
      });
      const child = spawn(process.execPath, ['bin/companyos.js', command, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      child.stderr!.resume();
      await printed(child, command === 'serve' ? 'companyos: listening' : 'companyos: projecting', 180_000);
      child.stdout!.resume();
      return {
        child,
        base: `http://127.0.0.1:${port}`,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          await exited(child, 60_000).catch(() => undefined);
        },
      };
    },
    async nodeEventCounts(prefix) {
      const streams = `${tenant}/graph.node/`;
      const rows = await sql<{ stream: string; n: string }>(`SELECT stream, count(*) AS n FROM ${SCHEMA}.events WHERE stream LIKE $1 GROUP BY stream`, [`${streams}${prefix}%`]);
      return new Map(rows.map((r) => [r.stream.slice(streams.length), Number(r.n)]));
    },
    async graphNodes(prefix) {
      const rows = await sql<{ node_id: string }>(`SELECT node_id FROM ${SCHEMA}.graph_nodes WHERE tenant = $1 AND node_id LIKE $2`, [tenant, `${prefix}%`]);
      return new Set(rows.map((r) => r.node_id));
    },
    async streamTypes(stream) {
      return (await sql<{ type: string }>(`SELECT type FROM ${SCHEMA}.events WHERE stream = $1 ORDER BY position`, [stream])).map((r) => r.type);
    },
    async logEventIds() {
      return (await sql<{ id: string }>(`SELECT id::text AS id FROM ${SCHEMA}.events ORDER BY position`)).map((r) => r.id);
    },
    async projectionsAtHead() {
      const [head] = await sql<{ head: string | null }>(`SELECT max(position)::text AS head FROM ${SCHEMA}.events`);
      const checkpoints = await sql<{ name: string; position: string | null }>(`SELECT name, position::text AS position FROM ${SCHEMA}.projection_checkpoints WHERE name NOT LIKE 'relay:%'`);
      if (head?.head == null || checkpoints.length === 0) return false;
      return checkpoints.every((c) => c.position !== null && BigInt(c.position) >= BigInt(head.head!));
    },
    async close() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await proxy?.close();
      await nats?.destroy();
      await postgres.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

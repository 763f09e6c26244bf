// A ClickHouse HTTP interface in front of embedded chDB, for tests on a host without a ClickHouse server: the
// server adapter (openClickHouse with a URL: @clickhouse/client over HTTP, its connection guard) talks to it as
// to a server, so the real-server outage variant runs here end to end. It serves what the client sends
// (statement in the body or in `query` with rows in the body, `database`, `param_*` and settings in the URL)
// one request at a time, and answers errors as a server does (500, `Code: N. DB::Exception: …`).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createChdbConnection } from 'chdb/connection';
import { restoreFatalSignalDefaults } from '../adapters/analytics-store/clickhouse/fatal-signals.js';

export interface ClickHouseHttpStandIn {
  /** http://127.0.0.1:port, for CLICKHOUSE_URL-style use. */
  readonly url: string;
  close(): Promise<void>;
}

/** URL parameters that are the HTTP interface's own, not settings. */
const NOT_SETTINGS = new Set(['database', 'query', 'query_id', 'session_id', 'default_format', 'compress', 'decompress', 'enable_http_compression', 'wait_end_of_query']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Placeholders `{name:Type}` whose type is a plain string, with their names. */
const STRING_PLACEHOLDER = /\{(\w+):\s*((?:Nullable|LowCardinality)\()*String\)*\s*\}/g;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f' };

/**
 * A string parameter as the server reads it: the client sends values in the escaped text format
 * (`it\'s`), which the server unescapes and chDB's binder (given the value itself) must not see.
 */
const unescapeText = (value: string): string => value.replace(/\\(.)/gs, (_m, c: string) => ESCAPES[c] ?? c);

const bodyOf = async (req: IncomingMessage): Promise<string> => {
  let body = '';
  for await (const chunk of req) body += (chunk as Buffer).toString('utf8');
  return body;
};

/** Serves the ClickHouse HTTP interface on loopback over a chDB data directory (shared with other stores of the process). */
export async function startClickHouseHttpStandIn(path: string): Promise<ClickHouseHttpStandIn> {
  const connection = createChdbConnection({ path });
  restoreFatalSignalDefaults();
  let turn: Promise<unknown> = Promise.resolve();
  // chDB's current database is its session's: each request sets its own, so requests take turns.
  const inTurn = <T>(run: () => Promise<T>): Promise<T> => {
    const next = turn.then(run, run);
    turn = next.catch(() => {});
    return next;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname === '/ping') return res.end('Ok.\n');
    try {
      const body = await bodyOf(req);
      const statement = url.searchParams.get('query');
      const database = url.searchParams.get('database') ?? 'default';
      if (!IDENT.test(database)) throw Object.assign(new Error(`Code: 81. DB::Exception: bad database ${database}`), { code: '81' });
      const query_params: Record<string, string> = {};
      const clickhouse_settings: Record<string, string> = {};
      const sql = statement ?? body;
      const strings = new Set([...sql.matchAll(STRING_PLACEHOLDER)].map((m) => m[1]));
      for (const [name, value] of url.searchParams) {
        const param = name.slice('param_'.length);
        if (name.startsWith('param_')) query_params[param] = strings.has(param) ? unescapeText(value) : value;
        else if (!NOT_SETTINGS.has(name)) clickhouse_settings[name] = value;
      }
      const bytes = await inTurn(async () => {
        await connection.command({ query: `USE ${database}` });
        if (statement !== null) {
          // An insert: the statement in the URL, the rows in the body.
          await connection.insert({ query: statement, values: body, format: 'JSONEachRow', clickhouse_settings, query_params } as never);
          return Buffer.alloc(0);
        }
        const result = await connection.query({ query: body, clickhouse_settings, query_params } as never);
        const chunks: Buffer[] = [];
        for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Buffer));
        return Buffer.concat(chunks);
      });
      res.setHeader('X-ClickHouse-Summary', '{}');
      res.end(bytes);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = /Code: (\d+)/.exec(message)?.[1] ?? '1000';
      res.statusCode = 500;
      res.setHeader('X-ClickHouse-Exception-Code', code);
      res.end(/^Code: \d+/.test(message) ? message : `Code: ${code}. DB::Exception: ${message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await inTurn(() => connection.close());
    },
  };
}

// `companyos run start PLAN [--input k=v]… [--run-id ID] [--reason R]` and `companyos run status RUN
// [--timeline]`: talk to the HTTP API at COMPANYOS_URL (default http://localhost:8080) with COMPANYOS_TOKEN.
import { parseArgs } from 'node:util';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Config } from '../../schemas/config.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { argumentMistake, UsageError } from './usage.js';

const Api = t.type({ url: t.string, token: t.string });

/** Where the API is and who we are, from the environment; a missing token is a usage mistake. */
export function apiFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): t.TypeOf<typeof Api> {
  const url = env['COMPANYOS_URL'] || 'http://localhost:8080';
  const token = env['COMPANYOS_TOKEN'];
  if (!token) throw new UsageError('COMPANYOS_TOKEN is not set (get one with: companyos token --tenant T --roles operator --region R)');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`COMPANYOS_URL: "${url}" is not a URL`);
  }
  return { url: url.replace(/\/$/, ''), token };
}

/** One API call; a problem answer becomes an Error whose message is its one line (title: detail). */
export async function apiRequest(
  api: t.TypeOf<typeof Api>,
  method: string,
  path: string,
  body?: { readonly json?: unknown; readonly yaml?: string },
): Promise<{ readonly status: number; readonly body: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${api.token}` };
  let payload: string | undefined;
  if (body?.yaml !== undefined) (headers['content-type'] = 'application/yaml'), (payload = body.yaml);
  else if (body?.json !== undefined) (headers['content-type'] = 'application/json'), (payload = JSON.stringify(body.json));
  let response: Response;
  try {
    response = await fetch(`${api.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  } catch (error) {
    throw new Error(`cannot reach ${api.url} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}); is companyos serve running?`);
  }
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    throw new Error(`${method} ${path} answered ${response.status} with a body that is not JSON`);
  }
  if (response.status >= 400) {
    // The problem's detail already lists validation errors, one after another.
    const detail = typeof parsed['detail'] === 'string' ? `: ${parsed['detail']}` : '';
    throw new Error(`${String(parsed['title'] ?? `HTTP ${response.status}`)}${detail}`);
  }
  return { status: response.status, body: parsed };
}

interface StepLine {
  readonly id: string;
  readonly status: string;
  readonly attempts: number;
  readonly actionType: string;
  readonly lastError: string | null;
}

/** A run as a few lines: status, plan, and one line per step. */
export function formatRun(run: Record<string, unknown>): string {
  const plan = run['plan'] as { name: string; version: number };
  const lines = [`run ${String(run['runId'])}: ${String(run['status'])} (plan ${plan.name} v${plan.version}, requested by ${String(run['requester'])}, started ${String(run['startedAt'])})`];
  for (const s of (run['steps'] as StepLine[]) ?? []) {
    lines.push(`  ${s.id.padEnd(20)} ${s.status.padEnd(18)} ${s.actionType.padEnd(7)} attempts ${s.attempts}${s.lastError ? `  last error: ${s.lastError.slice(0, 120)}` : ''}`);
  }
  return lines.join('\n');
}

export function formatTimeline(items: readonly { readonly at: string; readonly actor: string; readonly summary: string }[]): string {
  return items.map((i) => `  ${i.at.slice(11, 23)}  ${i.actor.padEnd(26)} ${i.summary}`).join('\n');
}

const StartOptions = t.intersection([t.type({ positionals: t.tuple([t.string]) }), t.partial({ input: t.array(t.string), 'run-id': t.string, reason: t.string })]);

function parse<A>(argv: readonly string[], options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>, codec: t.Decoder<unknown, A>, usage: string): A {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    throw new UsageError(`${argumentMistake(error, argv)}; usage: ${usage}`);
  }
  const decoded = codec.decode({ ...parsed.values, positionals: parsed.positionals });
  if (isLeft(decoded)) throw new UsageError(`usage: ${usage} (${formatValidationErrors(decoded.left).join('; ')})`);
  return decoded.right;
}

/** `--input k=v`: v is JSON when it parses as JSON (numbers, booleans, objects), else a string. */
function inputsOf(pairs: readonly string[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--input ${pair}: expected key=value`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    inputs[pair.slice(0, eq)] = value;
  }
  return inputs;
}

const START_USAGE = 'companyos run start PLAN [--input k=v]... [--run-id ID] [--reason TEXT]';
const STATUS_USAGE = 'companyos run status RUN [--timeline]';

export async function runCommand(_config: Config, argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'start') {
    const o = parse(rest, { input: { type: 'string', multiple: true }, 'run-id': { type: 'string' }, reason: { type: 'string' } }, StartOptions, START_USAGE);
    const api = apiFromEnv();
    const body = { plan: o.positionals[0], ...(o['run-id'] ? { runId: o['run-id'] } : {}), ...(o.reason ? { reason: o.reason } : {}), ...(o.input ? { inputs: inputsOf(o.input) } : {}) };
    const r = await apiRequest(api, 'POST', '/v1/runs', { json: body });
    console.log(`run ${String(r.body['runId'])} started (plan ${o.positionals[0]}); follow it with: companyos run status ${String(r.body['runId'])} --timeline`);
    return;
  }
  if (sub === 'status') {
    const o = parse(rest, { timeline: { type: 'boolean' } }, t.intersection([t.type({ positionals: t.tuple([t.string]) }), t.partial({ timeline: t.boolean })]), STATUS_USAGE);
    const api = apiFromEnv();
    const id = encodeURIComponent(o.positionals[0]);
    const run = await apiRequest(api, 'GET', `/v1/runs/${id}`);
    console.log(formatRun(run.body));
    if (o.timeline) {
      const timeline = await apiRequest(api, 'GET', `/v1/runs/${id}/timeline?limit=1000`);
      console.log('timeline:');
      console.log(formatTimeline(timeline.body['items'] as { at: string; actor: string; summary: string }[]));
    }
    return;
  }
  throw new UsageError(`usage: ${START_USAGE} | ${STATUS_USAGE}`);
}

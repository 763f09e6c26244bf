// `companyos run start|status|approve|cancel`: talk to the HTTP API at COMPANYOS_URL (default
// http://localhost:8080) with COMPANYOS_TOKEN, as a person would. A run waiting for somebody says what for,
// who may act and the command that acts; `--json` prints the API's answer for scripts.
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

/** One API call; a problem answer becomes an Error whose message is its one line (the problem's detail, else its title). */
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
    const detail = parsed['detail'];
    throw new Error(typeof detail === 'string' && detail !== '' ? detail : `${String(parsed['title'] ?? 'HTTP error')} (HTTP ${response.status})`);
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

/** What the run waits for a person about (GET /v1/runs/{id} waitingFor; domain/maestro/run-waits.ts). */
interface WaitLine {
  readonly stepId: string;
  readonly detail: string;
  readonly actions: readonly string[];
  readonly instructions?: string;
  readonly runbook?: string;
}

const shellWord = (s: string): string => (/^[A-Za-z0-9._:/-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/** The commands that act on a wait: the CLI's where it has one, the API's otherwise. */
function actionsOf(runId: string, w: WaitLine): string[] {
  return w.actions.map((a) => {
    if (a === 'approve') return `companyos run approve ${shellWord(runId)} ${shellWord(w.stepId)} [--comment TEXT]`;
    if (a === 'cancel') return `companyos run cancel ${shellWord(runId)} [--reason TEXT]`;
    return `POST /v1/commands/${a === 'retry' ? 'run.step.retry' : 'run.rollback'}`;
  });
}

/** A run as a few lines: status, plan, one line per step, and what it waits for a person about. */
export function formatRun(run: Record<string, unknown>): string {
  const plan = run['plan'] as { name: string; version: number };
  const runId = String(run['runId']);
  const lines = [`run ${runId}: ${String(run['status'])} (plan ${plan.name} v${plan.version}, requested by ${String(run['requester'])}, started ${String(run['startedAt'])})`];
  for (const s of (run['steps'] as StepLine[]) ?? []) {
    lines.push(`  ${s.id.padEnd(20)} ${s.status.padEnd(18)} ${s.actionType.padEnd(7)} attempts ${s.attempts}${s.lastError ? `  last error: ${s.lastError.slice(0, 120)}` : ''}`);
  }
  const waits = (run['waitingFor'] as WaitLine[] | undefined) ?? [];
  if (waits.length > 0) lines.push('waiting for a person:');
  for (const w of waits) {
    lines.push(`  ${w.stepId}: ${w.detail}`);
    if (w.instructions !== undefined) lines.push(`    instructions: ${w.instructions}`);
    if (w.runbook !== undefined) lines.push(`    runbook: ${w.runbook}`);
    for (const a of actionsOf(runId, w)) lines.push(`    ${a}`);
  }
  return lines.join('\n');
}

export function formatTimeline(items: readonly { readonly at: string; readonly actor: string; readonly summary: string }[]): string {
  return items.map((i) => `  ${i.at.slice(11, 23)}  ${i.actor.padEnd(26)} ${i.summary}`).join('\n');
}

const StartOptions = t.intersection([t.type({ positionals: t.tuple([t.string]) }), t.partial({ input: t.array(t.string), 'run-id': t.string, reason: t.string, json: t.boolean })]);
const StatusOptions = t.intersection([t.type({ positionals: t.tuple([t.string]) }), t.partial({ timeline: t.boolean, json: t.boolean })]);
const ApproveOptions = t.intersection([t.type({ positionals: t.tuple([t.string, t.string]) }), t.partial({ comment: t.string, json: t.boolean })]);
const CancelOptions = t.intersection([t.type({ positionals: t.tuple([t.string]) }), t.partial({ reason: t.string, json: t.boolean })]);

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

const START_USAGE = 'companyos run start PLAN [--input k=v]... [--run-id ID] [--reason TEXT] [--json]';
const STATUS_USAGE = 'companyos run status RUN [--timeline] [--json]';
const APPROVE_USAGE = 'companyos run approve RUN STEP [--comment TEXT] [--json]';
const CANCEL_USAGE = 'companyos run cancel RUN [--reason TEXT] [--json]';

const json = (value: unknown): void => console.log(JSON.stringify(value, null, 2));

export async function runCommand(_config: Config, argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'start') {
    const o = parse(rest, { input: { type: 'string', multiple: true }, 'run-id': { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } }, StartOptions, START_USAGE);
    const api = apiFromEnv();
    const body = { plan: o.positionals[0], ...(o['run-id'] ? { runId: o['run-id'] } : {}), ...(o.reason ? { reason: o.reason } : {}), ...(o.input ? { inputs: inputsOf(o.input) } : {}) };
    const r = await apiRequest(api, 'POST', '/v1/runs', { json: body });
    if (o.json) return json(r.body);
    console.log(`run ${String(r.body['runId'])} started (plan ${o.positionals[0]}); follow it with: companyos run status ${String(r.body['runId'])} --timeline`);
    return;
  }
  if (sub === 'status') {
    const o = parse(rest, { timeline: { type: 'boolean' }, json: { type: 'boolean' } }, StatusOptions, STATUS_USAGE);
    const api = apiFromEnv();
    const id = encodeURIComponent(o.positionals[0]);
    const run = await apiRequest(api, 'GET', `/v1/runs/${id}`);
    const timeline = o.timeline ? ((await apiRequest(api, 'GET', `/v1/runs/${id}/timeline?limit=1000`)).body['items'] as { at: string; actor: string; summary: string }[]) : undefined;
    if (o.json) return json({ ...run.body, ...(timeline === undefined ? {} : { timeline }) });
    console.log(formatRun(run.body));
    if (timeline !== undefined) {
      console.log('timeline:');
      console.log(formatTimeline(timeline));
    }
    return;
  }
  if (sub === 'approve') {
    const o = parse(rest, { comment: { type: 'string' }, json: { type: 'boolean' } }, ApproveOptions, APPROVE_USAGE);
    const [runId, stepId] = o.positionals;
    const r = await apiRequest(apiFromEnv(), 'POST', `/v1/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/approve`, { json: o.comment === undefined ? {} : { comment: o.comment } });
    if (o.json) return json(r.body);
    console.log(r.status === 201 ? `approved step ${stepId} of run ${runId}` : `step ${stepId} of run ${runId}: your approval was already recorded`);
    return;
  }
  if (sub === 'cancel') {
    const o = parse(rest, { reason: { type: 'string' }, json: { type: 'boolean' } }, CancelOptions, CANCEL_USAGE);
    const [runId] = o.positionals;
    const r = await apiRequest(apiFromEnv(), 'POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`, { json: o.reason === undefined ? {} : { reason: o.reason } });
    if (o.json) return json(r.body);
    console.log(r.status === 201 ? `run ${runId} canceled; steps not yet started are skipped, nothing is undone` : `run ${runId} was already canceled`);
    return;
  }
  throw new UsageError(`usage: ${START_USAGE} | ${STATUS_USAGE} | ${APPROVE_USAGE} | ${CANCEL_USAGE}`);
}

// What a step's action does in the world: http calls the URL (with the attempt's Idempotency-Key), script
// runs a child process (no shell, output capped), wait waits, manual is a person's confirmation already given.
import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import type { JsonObject, JsonValue } from '../../schemas/json.js';
import { durationMs, type ActionSpec } from '../../schemas/plan.js';
import type { FailureCause } from '../../schemas/run.js';
import type { Clock } from './clock.js';

/** How an attempt ended; a timeout is decided by the executor, which aborts `signal`. */
export type Outcome =
  | { readonly ok: true; readonly result: JsonObject }
  | { readonly ok: false; readonly cause: FailureCause; readonly error: string };

export interface AttemptRequest {
  readonly action: ActionSpec;
  /** runId:stepId:attempt (or …:compensation:attempt): the same attempt always sends the same key. */
  readonly idempotencyKey: string;
  readonly signal: AbortSignal;
}

/** Performs one attempt. The executor's default performs real actions; tests inject their own. */
export type Performer = (request: AttemptRequest) => Promise<Outcome>;

export interface ActionOptions {
  readonly clock: Clock;
  /** Relative script commands resolve against this directory (default: the working directory). */
  readonly scriptDir?: string;
  /** Most bytes of a response body or of a script's output kept (default 16 KiB). */
  readonly outputCap?: number;
}

const DEFAULT_CAP = 16 * 1024;
const fail = (cause: FailureCause, error: string): Outcome => ({ ok: false, cause, error: error.slice(0, 4000) });
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Reads at most `cap` bytes of a body (the rest is cancelled), as text. */
async function cappedText(body: ReadableStream<Uint8Array> | null, cap: number): Promise<{ text: string; truncated: boolean }> {
  if (body === null) return { text: '', truncated: false };
  const reader = body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    size += value.byteLength;
    if (size > cap) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  return { text: Buffer.concat(chunks).subarray(0, cap).toString('utf8'), truncated };
}

const parseJson = (text: string): JsonValue | undefined => {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
};

async function performHttp(action: Extract<ActionSpec, { action_type: 'http' }>, request: AttemptRequest, cap: number): Promise<Outcome> {
  const { method, url, headers = {}, body } = action.http;
  const sent: Record<string, string> = { ...headers, 'idempotency-key': request.idempotencyKey };
  if (body !== undefined && !Object.keys(sent).some((h) => h.toLowerCase() === 'content-type')) sent['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, { method, headers: sent, signal: request.signal, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (error) {
    return fail('error', `${method} ${url}: ${message(error)}`);
  }
  const { text, truncated } = await cappedText(response.body, cap);
  const json = truncated ? undefined : parseJson(text);
  const result: JsonObject = { status: response.status, ...(json === undefined ? (text === '' ? {} : { body: text }) : { body: json }) };
  const wanted = action.success_condition?.status;
  const ok = wanted === undefined ? response.status >= 200 && response.status < 300 : wanted.includes(response.status);
  if (ok) return { ok: true, result };
  const expected = wanted === undefined ? 'a 2xx status' : `status ${wanted.join(' or ')}`;
  return fail('condition', `${method} ${url} answered ${response.status}, expected ${expected}${text === '' ? '' : `: ${text.slice(0, 500)}`}`);
}

function performScript(action: Extract<ActionSpec, { action_type: 'script' }>, request: AttemptRequest, options: ActionOptions): Promise<Outcome> {
  const cap = options.outputCap ?? DEFAULT_CAP;
  const { command, args = [] } = action.script;
  const dir = options.scriptDir ?? process.cwd();
  const file = isAbsolute(command) || !command.includes('/') ? command : resolve(dir, command);
  return new Promise<Outcome>((done) => {
    // No shell: arguments reach the program as written, never re-parsed.
    const child = spawn(file, [...args], {
      cwd: dir,
      shell: false,
      signal: request.signal,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', COMPANYOS_IDEMPOTENCY_KEY: request.idempotencyKey },
    });
    const output = { stdout: '', stderr: '' };
    const keep = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (output[which].length < cap) output[which] += chunk.toString('utf8').slice(0, cap - output[which].length);
    };
    child.stdout.on('data', keep('stdout'));
    child.stderr.on('data', keep('stderr'));
    child.once('error', (error) => done(fail('error', `${command}: ${message(error)}`)));
    child.once('close', (code, signal) => {
      const wanted = action.success_condition?.exit_code ?? 0;
      const result: JsonObject = { exitCode: code ?? -1, stdout: output.stdout, stderr: output.stderr };
      if (code === wanted) return done({ ok: true, result });
      done(fail('condition', `${command} exited with ${code ?? `signal ${signal}`}, expected ${wanted}${output.stderr ? `: ${output.stderr.slice(0, 500)}` : ''}`));
    });
  });
}

/** The real world's performer. */
export function actionPerformer(options: ActionOptions): Performer {
  const cap = options.outputCap ?? DEFAULT_CAP;
  return async (request) => {
    const { action } = request;
    switch (action.action_type) {
      case 'http':
        return performHttp(action, request, cap);
      case 'script':
        return performScript(action, request, options);
      case 'wait':
        await options.clock.sleep(durationMs(action.wait.duration) ?? 0, request.signal);
        return { ok: true, result: { waited: action.wait.duration } };
      case 'manual':
        // Started only once its approvals are complete (domain/maestro/run-state.ts): the person already acted.
        return { ok: true, result: { confirmed: true } };
    }
  };
}

/**
 * Runs `perform` for at most `timeoutMs` on `clock`: at the deadline the attempt is aborted and fails
 * with cause timeout. A performer that throws fails with cause error.
 */
export async function withTimeout(clock: Clock, timeoutMs: number, perform: (signal: AbortSignal) => Promise<Outcome>, outer?: AbortSignal): Promise<Outcome> {
  const attempt = new AbortController();
  const timer = new AbortController();
  const onOuter = () => attempt.abort(outer!.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  const timedOut = clock.sleep(timeoutMs, timer.signal).then(
    (): Outcome => fail('timeout', `no outcome within ${timeoutMs} ms (the step's timeout)`),
    () => new Promise<Outcome>(() => {}),
  );
  try {
    const outcome = await Promise.race([perform(attempt.signal).catch((e: unknown) => fail('error', message(e))), timedOut]);
    if (!outcome.ok && outcome.cause === 'timeout') attempt.abort(new Error('timeout'));
    return outcome;
  } finally {
    timer.abort();
    outer?.removeEventListener('abort', onOuter);
  }
}

// What a step's action does in the world: http calls the URL (with the attempt's Idempotency-Key) through
// the egress policy, script runs an action the operator registered (no shell, unprivileged, empty
// environment, fresh working directory, output capped), wait waits, manual is a person's confirmation.
import { spawn } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_ACTIONS, type ActionCatalogue, type ActionDefinition } from '../../schemas/actions.js';
import { paramProblems } from '../../domain/maestro/action-params.js';
import { actionArgv } from './action-argv.js';
import { DEFAULT_EGRESS, type EgressPolicy } from '../../schemas/egress.js';
import type { JsonObject, JsonValue } from '../../schemas/json.js';
import { durationMs, type ActionSpec } from '../../schemas/plan.js';
import type { FailureCause } from '../../schemas/run.js';
import type { Clock } from '../../commands/maestro/clock.js';
import type { AttemptRequest, Outcome, Performer } from '../../commands/maestro/performer.js';
import { EGRESS_REFUSED, EgressRefused, egressRequest } from './egress.js';

// The executor's performer port; this module implements it.
export type { AttemptRequest, Outcome, Performer } from '../../commands/maestro/performer.js';

/** What the operator allows steps to do on this server (from configuration, see bin/system.ts). */
export interface ActionSettings {
  /** Registered script actions (default: none, every script step fails). */
  readonly actions?: ActionCatalogue;
  /** The unprivileged user actions run as; unset: the server's own user. */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** Run actions as root when the server is root and `runAs` is unset (default false: refused). */
  readonly allowRoot?: boolean;
  /** Where http steps may connect (default: public addresses only, no redirects followed). */
  readonly egress?: EgressPolicy;
  /** The server environment `{ from: NAME }` values are read from (default process.env). */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Where each action's fresh working directory is made (default the system's temp directory). */
  readonly workRoot?: string;
  /** Most bytes of a response body or of a script's output kept (default 16 KiB; an action may set its own). */
  readonly outputCap?: number;
}

export interface ActionOptions extends ActionSettings {
  readonly clock: Clock;
}

const DEFAULT_CAP = 16 * 1024;
const fail = (cause: FailureCause, error: string): Outcome => ({ ok: false, cause, error: error.slice(0, 4000) });
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const parseJson = (text: string): JsonValue | undefined => {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
};

async function performHttp(action: Extract<ActionSpec, { action_type: 'http' }>, request: AttemptRequest, options: ActionOptions): Promise<Outcome> {
  const { method, url, headers = {}, body } = action.http;
  const sent: Record<string, string> = { ...headers, 'idempotency-key': request.idempotencyKey };
  if (body !== undefined && !Object.keys(sent).some((h) => h.toLowerCase() === 'content-type')) sent['content-type'] = 'application/json';
  let response;
  try {
    response = await egressRequest(
      options.egress ?? DEFAULT_EGRESS,
      { method, url, headers: sent, ...(body === undefined ? {} : { body: JSON.stringify(body) }) },
      request.signal,
      options.outputCap ?? DEFAULT_CAP,
    );
  } catch (error) {
    return fail('error', `${method} ${url}: ${error instanceof EgressRefused ? EGRESS_REFUSED : message(error)}`);
  }
  const { status, text, truncated } = response;
  const json = truncated ? undefined : parseJson(text);
  const result: JsonObject = { status, ...(json === undefined ? (text === '' ? {} : { body: text }) : { body: json }) };
  const wanted = action.success_condition?.status;
  const ok = wanted === undefined ? status >= 200 && status < 300 : wanted.includes(status);
  if (ok) return { ok: true, result };
  const expected = wanted === undefined ? 'a 2xx status' : `status ${wanted.join(' or ')}`;
  return fail('condition', `${method} ${url} answered ${status}, expected ${expected}${text === '' ? '' : `: ${text.slice(0, 500)}`}`);
}

/** The child's whole environment: the action's fixed values and the server variables it names, nothing else. */
function environmentOf(name: string, definition: ActionDefinition, server: Readonly<Record<string, string | undefined>>): Record<string, string> | string {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(definition.env)) {
    if (typeof value === 'string') env[key] = value;
    else if (server[value.from] !== undefined) env[key] = server[value.from]!;
    else return `action ${name}: ${value.from} is not set in the server's environment`;
  }
  return env;
}

async function performScript(action: Extract<ActionSpec, { action_type: 'script' }>, request: AttemptRequest, options: ActionOptions): Promise<Outcome> {
  const { action: name, params = {} } = action.script;
  const definition = (options.actions ?? NO_ACTIONS).get(name);
  // Registration checked both; the catalogue may have changed since.
  if (definition === undefined) return fail('error', `action ${name} is not registered on this server`);
  const problems = paramProblems(definition, params);
  if (problems.length > 0) return fail('error', `action ${name}: ${problems.join('; ')}`);
  if (process.getuid?.() === 0 && options.runAs === undefined && options.allowRoot !== true) {
    return fail('error', `action ${name} not run: the server runs as root; set COMPANYOS_ACTION_USER to an unprivileged user (or COMPANYOS_ALLOW_ROOT_ACTIONS=true)`);
  }
  const env = environmentOf(name, definition, options.environment ?? process.env);
  if (typeof env === 'string') return fail('error', env);
  const cap = definition.outputCap ?? options.outputCap ?? DEFAULT_CAP;
  const limitMs = durationMs(definition.timeout)!;
  const cwd = await mkdtemp(join(options.workRoot ?? tmpdir(), 'companyos-action-'));
  try {
    if (options.runAs !== undefined) await chown(cwd, options.runAs.uid, options.runAs.gid);
    return await runChild(name, definition.program, actionArgv(definition, params, request.idempotencyKey), {
      cwd,
      env,
      cap,
      limitMs,
      clock: options.clock,
      signal: request.signal,
      wantedExit: action.success_condition?.exit_code ?? 0,
      ...(options.runAs === undefined ? {} : { runAs: options.runAs }),
    });
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

interface ChildSettings {
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly cap: number;
  readonly limitMs: number;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly wantedExit: number;
  readonly runAs?: { readonly uid: number; readonly gid: number };
}

/** Runs the program in its own process group, so a timeout or an abort ends everything it started. */
function runChild(name: string, program: string, args: readonly string[], s: ChildSettings): Promise<Outcome> {
  return new Promise<Outcome>((done) => {
    // No shell: arguments reach the program as written, never re-parsed.
    const child = spawn(program, [...args], {
      cwd: s.cwd,
      env: s.env,
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(s.runAs === undefined ? {} : { uid: s.runAs.uid, gid: s.runAs.gid }),
    });
    const output = { stdout: '', stderr: '' };
    const keep = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (output[which].length < s.cap) output[which] += chunk.toString('utf8').slice(0, s.cap - output[which].length);
    };
    child.stdout.on('data', keep('stdout'));
    child.stderr.on('data', keep('stderr'));
    let ended: Outcome | undefined;
    const kill = (outcome: Outcome) => {
      ended ??= outcome;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const onAbort = () => kill(fail('error', `action ${name}: aborted`));
    s.signal.addEventListener('abort', onAbort, { once: true });
    if (s.signal.aborted) onAbort();
    const timer = new AbortController();
    s.clock.sleep(s.limitMs, timer.signal).then(() => kill(fail('timeout', `action ${name}: no outcome within its timeout of ${s.limitMs} ms`)), () => {});
    const finish = (outcome: Outcome) => {
      timer.abort();
      s.signal.removeEventListener('abort', onAbort);
      done(ended ?? outcome);
    };
    child.once('error', (error) => finish(fail('error', `action ${name}: ${message(error)}`)));
    child.once('close', (code, signal) => {
      const result: JsonObject = { exitCode: code ?? -1, stdout: output.stdout, stderr: output.stderr };
      if (code === s.wantedExit) return finish({ ok: true, result });
      finish(fail('condition', `action ${name} exited with ${code ?? `signal ${signal}`}, expected ${s.wantedExit}${output.stderr ? `: ${output.stderr.slice(0, 500)}` : ''}`));
    });
  });
}

/** The real world's performer. */
export function actionPerformer(options: ActionOptions): Performer {
  return async (request) => {
    const { action } = request;
    switch (action.action_type) {
      case 'http':
        return performHttp(action, request, options);
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

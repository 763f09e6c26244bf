// Maestro plan spec (`mcplan.yaml`, seed §2.1/§2.4): a DAG of steps with policy, timeouts, retries and
// compensations; validation names every problem at once. Also the plan aggregate's command and event.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { eventCodec, eventUnion } from './event-body.js';
import { JsonValueC, type JsonObject } from './json.js';
import { describedAs } from './json-schema.js';
import { findUnstorable } from './json-input.js';
import { parseYamlInput } from './yaml-input.js';
import { Region, Sha256Hex, patternString, unstorableText } from './primitives.js';
import { text } from './provenance.js';
import { strictRecord } from './strict-record.js';
import { closedObject, formatValidationErrors } from './validation.js';

// ---------------------------------------------------------------------------------------------------
// Names and durations

/** Plan names key the plan's stream (`<tenant>/maestro.plan/<name>`), hence a slug. */
export const PlanName = patternString('PlanName (1-64 characters: a-z 0-9 . _ -, starting with a letter or digit)', /^[a-z0-9][a-z0-9._-]{0,63}$/);

/** Step ids are part of idempotency keys (`runId:stepId:attempt`), hence no ':'. */
export const StepId = patternString('StepId (1-64 characters: A-Z a-z 0-9 . _ -, starting with a letter or digit)', /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d{1,9}(?:ms|s|m|h|d))+$/;
const MAX_DURATION_MS = 30 * 86_400_000;

/** Milliseconds of a duration string (`250ms`, `30s`, `5m`, `1h30m`), or undefined if it is not one. */
export function durationMs(s: string): number | undefined {
  if (!DURATION.test(s)) return undefined;
  let ms = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(n) * DURATION_UNITS[unit!]!;
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** A positive duration of at most 30 days, kept as written (the digest is over what the author wrote). */
export const Duration = new t.Type<string, string, unknown>(
  'Duration (e.g. 250ms, 30s, 5m, 1h30m; more than 0, at most 30d)',
  (u): u is string => typeof u === 'string' && durationMs(u) !== undefined,
  (u, c) => (typeof u === 'string' && durationMs(u) !== undefined ? t.success(u) : t.failure(u, c)),
  t.identity,
);

const intIn = (min: number, max: number) =>
  new t.Type<number, number, unknown>(
    `integer ${min}..${max}`,
    (u): u is number => Number.isInteger(u) && (u as number) >= min && (u as number) <= max,
    (u, c) => (Number.isInteger(u) && (u as number) >= min && (u as number) <= max ? t.success(u as number) : t.failure(u, c)),
    t.identity,
  );

const Fraction = new t.Type<number, number, unknown>(
  'number 0..1',
  (u): u is number => typeof u === 'number' && u >= 0 && u <= 1,
  (u, c) => (typeof u === 'number' && u >= 0 && u <= 1 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

// ---------------------------------------------------------------------------------------------------
// Actions: `action_type` names the type, a block of the same name holds its parameters

export const ActionType = t.keyof({ http: null, script: null, wait: null, manual: null }, 'ActionType');
export type ActionType = t.TypeOf<typeof ActionType>;
const ACTION_TYPES = Object.keys(ActionType.keys) as readonly ActionType[];

const HttpUrl = new t.Type<string, string, unknown>(
  'URL (http or https, no user info)',
  (u): u is string => isHttpUrl(u),
  (u, c) => (isHttpUrl(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
/** http(s) without user info: credentials go in a header, and `https://trusted@evil/` misleads readers. */
function isHttpUrl(u: unknown): u is string {
  if (typeof u !== 'string' || u.length > 2048) return false;
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

export const HttpAction = closedObject(
  'HttpAction',
  { method: t.keyof({ GET: null, HEAD: null, POST: null, PUT: null, PATCH: null, DELETE: null }, 'HttpMethod'), url: HttpUrl },
  { headers: t.readonly(t.record(t.string, t.string)), body: JsonValueC },
);
export type HttpAction = t.TypeOf<typeof HttpAction>;

/** Action names are what plans write (`script: { action: deploy-canary }`), hence a slug. */
export const ActionName = patternString('ActionName (1-64 characters: a-z 0-9 . _ -, starting with a letter or digit)', /^[a-z0-9][a-z0-9._-]{0,63}$/);
export const ParamName = patternString('ParamName (1-64 characters: a-z 0-9 _, starting with a letter)', /^[a-z][a-z0-9_]{0,63}$/);

/** A parameter value: a string or an integer; the registered action types it (schemas/actions.ts), domain/maestro/action-params.ts checks it. */
export type ParamValue = string | number;
export type ParamValues = Readonly<Record<string, ParamValue>>;
const isParamValue = (u: unknown): u is ParamValue =>
  Number.isSafeInteger(u) || (typeof u === 'string' && u.length > 0 && u.length <= 4096 && !/[\u0000-\u001f\u007f]/.test(u));
const ParamValue = new t.Type<ParamValue, ParamValue, unknown>(
  'ParamValue (an integer, or a string of 1-4096 characters without control characters)',
  isParamValue,
  (u, c) => (isParamValue(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/**
 * A script step names an action the operator registered (COMPANYOS_ACTIONS_FILE) and gives its
 * parameters; it cannot name a program, a shell or arguments. Registration checks both against the
 * server's actions (domain/maestro/plan.ts).
 */
export const ScriptAction = closedObject('ScriptAction', { action: ActionName }, { params: strictRecord('a map of parameter names to values', ParamName, ParamValue) });
export type ScriptAction = t.TypeOf<typeof ScriptAction>;

export const WaitAction = closedObject('WaitAction', { duration: Duration });
export type WaitAction = t.TypeOf<typeof WaitAction>;

export const ManualAction = closedObject('ManualAction', { instructions: text(4000) });
export type ManualAction = t.TypeOf<typeof ManualAction>;

/**
 * Success conditions, only where an action has an outcome to judge: `http` succeeds when the response
 * status is in `status` (default: any 2xx); `script` when it exits with `exit_code` (default 0).
 * `wait` succeeds when the duration has passed, `manual` when an operator says so.
 */
export const SuccessCondition = closedObject('SuccessCondition', {}, {
  status: t.readonlyArray(intIn(100, 599)),
  exit_code: intIn(0, 255),
});
export type HttpSuccess = { readonly status?: readonly number[] };
export type ScriptSuccess = { readonly exit_code?: number };

/** The action with exactly its own parameter block: other shapes cannot be built. */
export type ActionSpec =
  | { readonly action_type: 'http'; readonly http: HttpAction; readonly success_condition?: HttpSuccess }
  | { readonly action_type: 'script'; readonly script: ScriptAction; readonly success_condition?: ScriptSuccess }
  | { readonly action_type: 'wait'; readonly wait: WaitAction }
  | { readonly action_type: 'manual'; readonly manual: ManualAction };

// ---------------------------------------------------------------------------------------------------
// Policy, retries, failure handling

export const Sensitivity = t.keyof({ low: null, medium: null, high: null }, 'Sensitivity');
export type Sensitivity = t.TypeOf<typeof Sensitivity>;

/**
 * Who must approve before a step starts: `none`; `role:<role>`, one approval by a holder of the role
 * (Cedar checks the role on `run.step.approve`); `two-person`, two different approvers. Whatever the
 * policy, nobody approves a high-sensitivity or two-person step of a run they requested.
 */
export const ApprovalPolicy = patternString(
  'ApprovalPolicy (none, two-person or role:<role>)',
  /^(?:none|two-person|role:[a-z0-9][a-z0-9_-]{0,63})$/,
) as unknown as t.Type<ApprovalPolicy, string, unknown>;
export type ApprovalPolicy = 'none' | 'two-person' | `role:${string}`;

/** What the run does when a step's attempts are exhausted (see domain/maestro/run.ts). */
export const OnFailure = t.keyof({ rollback: null, continue: null, manual: null }, 'OnFailure');
export type OnFailure = t.TypeOf<typeof OnFailure>;

const RetriesFields = closedObject('Retries', { max: intIn(0, 20) }, { base_delay: Duration, max_delay: Duration, jitter: Fraction });
/**
 * `max` retries after the first attempt; the n-th retry waits min(base_delay·2^(n-1), max_delay),
 * shortened by up to `jitter` of itself at random (domain/maestro/schedule.ts retryDelay).
 */
export interface RetryPolicy {
  readonly max: number;
  readonly base_delay: string;
  readonly max_delay: string;
  readonly jitter: number;
}
const NO_RETRIES: RetryPolicy = Object.freeze({ max: 0, base_delay: '1s', max_delay: '5m', jitter: 0 });
const withRetryDefaults = (r: t.TypeOf<typeof RetriesFields> | undefined): RetryPolicy => ({ ...NO_RETRIES, ...r });

export const DEFAULT_TIMEOUT = '5m';

/** A compensation undoes its step: an action of the same shape, with its own timeout and retries. */
export type CompensationSpec = ActionSpec & { readonly timeout: string; readonly retries: RetryPolicy };

export type StepSpec = ActionSpec & {
  readonly id: string;
  readonly needs: readonly string[];
  readonly description?: string;
  readonly sensitivity: Sensitivity;
  readonly approval_policy: ApprovalPolicy;
  readonly timeout: string;
  readonly retries: RetryPolicy;
  readonly on_failure: OnFailure;
  readonly compensation?: CompensationSpec;
  /** Seed §2.1: runbook links stored per step. */
  readonly runbook?: string;
};

export interface PlanSpec {
  readonly name: string;
  /** The author's version label; the aggregate numbers versions itself (see domain/maestro/plan.ts). */
  readonly version?: string;
  readonly description?: string;
  readonly steps: readonly StepSpec[];
}

// ---------------------------------------------------------------------------------------------------
// Rules across fields: checked on the raw input too, so a step with a bad field still has its other
// problems reported, and a plan whose steps do not decode still has its graph checked.

type Path = readonly (string | number)[];
interface Problem {
  readonly path: Path;
  readonly message: string;
}

const renderPath = (path: Path): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s === '' ? k : `${s}.${k}`), '') || '(root)';

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u);
const field = (u: unknown, k: string): unknown => (isRecord(u) && Object.hasOwn(u, k) ? u[k] : undefined);

const REQUIRED_PARAMS: { readonly [A in ActionType]: string } = {
  http: 'method and url',
  script: 'action (and params)',
  wait: 'duration',
  manual: 'instructions',
};

/** The parameter block matches `action_type`, and the success condition fits the action. */
function actionProblems(raw: unknown, at: Path): Problem[] {
  const type = field(raw, 'action_type');
  if (typeof type !== 'string' || !(ACTION_TYPES as readonly string[]).includes(type)) return [];
  const problems: Problem[] = [];
  if (field(raw, type) === undefined) {
    problems.push({ path: [...at, type], message: `missing, action_type ${type} needs ${type === 'http' ? 'an' : 'a'} ${type} block with ${REQUIRED_PARAMS[type as ActionType]}` });
  }
  for (const other of ACTION_TYPES) {
    if (other !== type && field(raw, other) !== undefined) problems.push({ path: [...at, other], message: `not allowed for action_type ${type}` });
  }
  const condition = field(raw, 'success_condition');
  if (condition !== undefined) {
    if (type !== 'http' && field(condition, 'status') !== undefined) {
      problems.push({ path: [...at, 'success_condition', 'status'], message: `only http actions have a status, not ${type}` });
    }
    if (type !== 'script' && field(condition, 'exit_code') !== undefined) {
      problems.push({ path: [...at, 'success_condition', 'exit_code'], message: `only script actions have an exit code, not ${type}` });
    }
  }
  return problems;
}

function stepRuleProblems(raw: unknown, at: Path): Problem[] {
  const problems = actionProblems(raw, at);
  if (field(raw, 'sensitivity') === 'high' && (field(raw, 'approval_policy') ?? 'none') === 'none') {
    problems.push({ path: [...at, 'approval_policy'], message: 'a high-sensitivity step needs an approval policy other than none' });
  }
  const compensation = field(raw, 'compensation');
  if (isRecord(compensation)) problems.push(...actionProblems(compensation, [...at, 'compensation']));
  return problems;
}

/** Duplicate ids, unknown or self `needs`, and every cycle, named by its path. */
function graphProblems(rawSteps: unknown): Problem[] {
  if (!Array.isArray(rawSteps)) return [];
  const problems: Problem[] = [];
  const steps = rawSteps.map((s: unknown, i) => {
    const id = field(s, 'id');
    const needs = field(s, 'needs');
    return { i, id: typeof id === 'string' ? id : undefined, needs: Array.isArray(needs) ? (needs as readonly unknown[]) : [] };
  });
  const firstIndex = new Map<string, number>();
  for (const s of steps) {
    if (s.id === undefined) continue;
    const first = firstIndex.get(s.id);
    if (first === undefined) firstIndex.set(s.id, s.i);
    else problems.push({ path: ['steps', s.i, 'id'], message: `duplicate step id "${s.id}" (first used by steps[${first}])` });
  }
  const edges = new Map<string, string[]>();
  for (const s of steps) {
    const seen = new Set<string>();
    s.needs.forEach((n, j) => {
      if (typeof n !== 'string') return;
      if (n === s.id) problems.push({ path: ['steps', s.i, 'needs', j], message: `step "${n}" cannot need itself` });
      else if (!firstIndex.has(n)) problems.push({ path: ['steps', s.i, 'needs', j], message: `unknown step id "${n}"` });
      else if (seen.has(n)) problems.push({ path: ['steps', s.i, 'needs', j], message: `"${n}" is listed twice` });
      else if (s.id !== undefined && firstIndex.get(s.id) === s.i) edges.set(s.id, [...(edges.get(s.id) ?? []), n]);
      seen.add(n);
    });
  }
  for (const cycle of cyclesOf([...firstIndex.keys()], edges)) {
    problems.push({ path: ['steps'], message: `cycle in needs: ${[...cycle, cycle[0]].join(' → ')} (each step needs the next)` });
  }
  return problems;
}

/** One cycle per back edge of a depth-first search, each reported once (rotated to its earliest step). */
function cyclesOf(ids: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const rank = new Map(ids.map((id, i) => [id, i]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found = new Map<string, string[]>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.reduce((best, s, i) => (rank.get(s)! < rank.get(cycle[best]!)! ? i : best), 0);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.set(rotated.join('\u0000'), rotated);
      } else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of ids) if (state.get(id) === undefined) visit(id);
  return [...found.values()];
}

const problemErrors = (c: t.Context, problems: readonly Problem[]): t.ValidationError[] =>
  problems.map((p) => {
    const context = p.path.reduce<t.Context>((ctx, k) => t.appendContext(ctx, String(k), t.never, undefined), c);
    return { value: undefined, context, message: p.message };
  });

/** Every rule of a decoded (or hand-built) spec that its field codecs cannot see, one line each. */
export function planProblems(spec: PlanSpec): string[] {
  return [...graphProblems(spec.steps), ...spec.steps.flatMap((s, i) => stepRuleProblems(s, ['steps', i]))].map(
    (p) => `${renderPath(p.path)}: ${p.message}`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Codecs

const ActionBlocks = { http: HttpAction, script: ScriptAction, wait: WaitAction, manual: ManualAction };

const CompensationFields = closedObject(
  'Compensation',
  { action_type: ActionType },
  { ...ActionBlocks, success_condition: SuccessCondition, timeout: Duration, retries: RetriesFields },
);
const StepFields = closedObject(
  'Step',
  { id: StepId, action_type: ActionType },
  {
    ...ActionBlocks,
    needs: t.readonlyArray(StepId),
    description: text(2000),
    sensitivity: Sensitivity,
    approval_policy: ApprovalPolicy,
    success_condition: SuccessCondition,
    timeout: Duration,
    retries: RetriesFields,
    on_failure: OnFailure,
    compensation: CompensationFields,
    runbook: HttpUrl,
  },
);
type ActionFields = t.TypeOf<typeof CompensationFields>;

/** The action union from decoded fields; actionProblems has already checked that the block exists. */
function actionOf(f: ActionFields): ActionSpec {
  const cond = f.success_condition;
  switch (f.action_type) {
    case 'http':
      return { action_type: 'http', http: f.http!, ...(cond?.status === undefined ? {} : { success_condition: { status: cond.status } }) };
    case 'script':
      return { action_type: 'script', script: f.script!, ...(cond?.exit_code === undefined ? {} : { success_condition: { exit_code: cond.exit_code } }) };
    case 'wait':
      return { action_type: 'wait', wait: f.wait! };
    case 'manual':
      return { action_type: 'manual', manual: f.manual! };
  }
}

/** Decodes with `fields`, checks `rules` on the raw input as well, and reports both sets of errors together. */
function checkedObject<F, O, A>(
  name: string,
  fields: t.Type<F, O, unknown>,
  rules: (u: unknown) => Problem[],
  build: (f: F) => A,
): t.Type<A, O, unknown> {
  const type: t.Type<A, O, unknown> = new t.Type<A, O, unknown>(
    name,
    (u): u is A => fields.is(u) && rules(u).length === 0,
    (u, c) => {
      const decoded = fields.validate(u, c);
      const broken = problemErrors(c, rules(u));
      if (isLeft(decoded)) return t.failures([...decoded.left, ...broken]);
      return broken.length > 0 ? t.failures(broken) : t.success(build(decoded.right));
    },
    // Built values are decoded fields with defaults filled in, so the fields' encoder applies.
    (a) => fields.encode(a as unknown as F),
  );
  return type;
}

const compensationOf = (f: ActionFields): CompensationSpec => ({
  ...actionOf(f),
  timeout: f.timeout ?? DEFAULT_TIMEOUT,
  retries: withRetryDefaults(f.retries),
});

export const Step = checkedObject('Step', StepFields, (u) => stepRuleProblems(u, []), (f): StepSpec => ({
  ...actionOf(f),
  id: f.id,
  needs: f.needs ?? [],
  ...(f.description === undefined ? {} : { description: f.description }),
  sensitivity: f.sensitivity ?? 'low',
  approval_policy: f.approval_policy ?? 'none',
  timeout: f.timeout ?? DEFAULT_TIMEOUT,
  retries: withRetryDefaults(f.retries),
  on_failure: f.on_failure ?? 'rollback',
  ...(f.compensation === undefined ? {} : { compensation: compensationOf(f.compensation) }),
  ...(f.runbook === undefined ? {} : { runbook: f.runbook }),
}));

const MAX_STEPS = 200;
const Steps = new t.Type<readonly StepSpec[], readonly unknown[], unknown>(
  `list of 1-${MAX_STEPS} steps`,
  (u): u is readonly StepSpec[] => Array.isArray(u) && u.length > 0 && u.length <= MAX_STEPS && u.every((s) => Step.is(s)),
  (u, c) => {
    if (!Array.isArray(u) || u.length === 0 || u.length > MAX_STEPS) return t.failure(u, c);
    return t.readonlyArray(Step).validate(u, c);
  },
  (a) => a.map((s) => Step.encode(s)),
);

const PlanFields = closedObject('Plan', { name: PlanName, steps: Steps }, { version: text(64), description: text(2000) });

/** A whole plan: fields, per-step rules and the graph (ids, needs, cycles), every problem at once. */
export const PlanSpec: t.Type<PlanSpec, t.OutputOf<typeof PlanFields>, unknown> = checkedObject(
  'Plan',
  PlanFields,
  (u) => graphProblems(field(u, 'steps')),
  (f): PlanSpec => f,
);

/** Parses `mcplan.yaml` (YAML 1.2, so JSON too) and validates it; Left lists every problem, one per line. */
export function parsePlanYaml(source: string): Either<readonly string[], PlanSpec> {
  // The source is sealed into the log as it is, and YAML escapes ("\0", "\ud800") can make unstorable strings.
  const unstorableSource = unstorableText(source);
  if (unstorableSource !== undefined) return left([`source: the text ${unstorableSource}`]);
  const parsed = parseYamlInput(source);
  if (isLeft(parsed)) return parsed;
  const raw = parsed.right;
  const unstorable = findUnstorable(raw);
  if (unstorable !== undefined) return left([unstorable]);
  const decoded = PlanSpec.decode(raw);
  return isLeft(decoded) ? left(formatValidationErrors(decoded.left)) : right(decoded.right);
}

// ---------------------------------------------------------------------------------------------------
// The plan aggregate's command and event

const MAX_SOURCE = 256 * 1024;
const PlanSource = new t.Type<string, string, unknown>(
  `plan source (mcplan.yaml text, at most ${MAX_SOURCE} characters)`,
  (u): u is string => typeof u === 'string' && u.length > 0 && u.length <= MAX_SOURCE,
  (u, c) => (typeof u === 'string' && u.length > 0 && u.length <= MAX_SOURCE ? t.success(u) : t.failure(u, c)),
  t.identity,
);
describedAs(PlanSource, { type: 'string', minLength: 1, maxLength: MAX_SOURCE, description: 'the mcplan.yaml text (YAML 1.2, so JSON too)' });

const PlanRegisterFields = closedObject('PlanRegister', { region: Region, source: PlanSource });

/** `plan.register`: the YAML text (an SDK may send JSON, which is YAML) and the region the plan lives in. */
export type PlanRegister = t.TypeOf<typeof PlanRegisterFields> & { readonly spec: PlanSpec };
export const PlanRegister = new t.Type<PlanRegister, t.OutputOf<typeof PlanRegisterFields>, unknown>(
  'PlanRegister',
  (u): u is PlanRegister => PlanRegisterFields.is(u) && PlanSpec.is((u as { spec?: unknown }).spec),
  (u, c) => {
    const fields = PlanRegisterFields.validate(u, c);
    if (isLeft(fields)) return fields;
    const parsed = parsePlanYaml(fields.right.source);
    if (isLeft(parsed)) {
      const at = t.appendContext(c, 'source', PlanSource, fields.right.source);
      return t.failures(parsed.left.map((message) => ({ value: undefined, context: at, message })));
    }
    return t.success({ ...fields.right, spec: parsed.right });
  },
  (a) => PlanRegisterFields.encode(a),
);
describedAs(PlanRegister, (of) => of(PlanRegisterFields));

export const PLAN_SCHEMA_VERSION = 1;

/** A new version of the plan: its number (1, 2, …), the digest of its canonical JSON, the spec itself. */
export const PlanRegistered = eventCodec(
  'plan.registered',
  PLAN_SCHEMA_VERSION,
  t.exact(t.type({ name: PlanName, version: intIn(1, Number.MAX_SAFE_INTEGER), digest: Sha256Hex, region: Region, spec: PlanSpec })),
);
export type PlanRegistered = t.TypeOf<typeof PlanRegistered>;

export const PlanEvent = eventUnion('PlanEvent', [PlanRegistered]);
export type PlanEvent = t.TypeOf<typeof PlanEvent>;

/** The spec as plain JSON (what the digest and the event carry). */
export const planJson = (spec: PlanSpec): JsonObject => PlanSpec.encode(spec) as unknown as JsonObject;

// Maestro plan spec (`mcplan.yaml`, seed §2.1/§2.4): the shape of a DAG of steps with policy, timeouts,
// retries and compensations, every problem named at once; the plan aggregate's command body and event.
// Shape only: the rules across steps (ids, needs, cycles, approvals) are the Maestro domain's
// (domain/maestro/plan-rules.ts), which plugs them into planSpecCodec so they answer together.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { eventCodec, eventUnion } from './event-body.js';
import { JsonValueC, type JsonObject } from './json.js';
import { describedAs } from './json-schema.js';
import { Region, Sha256Hex, patternString } from './primitives.js';
import { text } from './provenance.js';
import { strictRecord } from './strict-record.js';
import { closedObject } from './validation.js';

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
// The action's shape, and where the Maestro domain's rules plug in. Both are checked on the raw input,
// so a step with a bad field still has its other problems reported, and a plan whose steps do not
// decode still has its graph checked (domain/maestro/plan-rules.ts holds the rules).

export type PlanPath = readonly (string | number)[];
/** One problem a rule found, at a path into the raw plan. */
export interface PlanProblem {
  readonly path: PlanPath;
  readonly message: string;
}

/** `steps[0].needs[1]: …`, as formatValidationErrors renders a codec's errors. */
export const describePlanProblem = (p: PlanProblem): string =>
  `${p.path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s === '' ? k : `${s}.${k}`), '') || '(root)'}: ${p.message}`;

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u);
/** A field of raw input, if it is an object that has it: what rules read before anything decodes. */
export const rawField = (u: unknown, k: string): unknown => (isRecord(u) && Object.hasOwn(u, k) ? u[k] : undefined);

const REQUIRED_PARAMS: { readonly [A in ActionType]: string } = {
  http: 'method and url',
  script: 'action (and params)',
  wait: 'duration',
  manual: 'instructions',
};

/** The parameter block matches `action_type`, and the success condition fits the action. */
function actionProblems(raw: unknown, at: PlanPath): PlanProblem[] {
  const type = rawField(raw, 'action_type');
  if (typeof type !== 'string' || !(ACTION_TYPES as readonly string[]).includes(type)) return [];
  const problems: PlanProblem[] = [];
  if (rawField(raw, type) === undefined) {
    problems.push({ path: [...at, type], message: `missing, action_type ${type} needs ${type === 'http' ? 'an' : 'a'} ${type} block with ${REQUIRED_PARAMS[type as ActionType]}` });
  }
  for (const other of ACTION_TYPES) {
    if (other !== type && rawField(raw, other) !== undefined) problems.push({ path: [...at, other], message: `not allowed for action_type ${type}` });
  }
  const condition = rawField(raw, 'success_condition');
  if (condition !== undefined) {
    if (type !== 'http' && rawField(condition, 'status') !== undefined) {
      problems.push({ path: [...at, 'success_condition', 'status'], message: `only http actions have a status, not ${type}` });
    }
    if (type !== 'script' && rawField(condition, 'exit_code') !== undefined) {
      problems.push({ path: [...at, 'success_condition', 'exit_code'], message: `only script actions have an exit code, not ${type}` });
    }
  }
  return problems;
}

/**
 * Rules a plan obeys beyond its shape, checked by the codec on the raw input so their problems come
 * with the field errors in one answer. The Maestro domain supplies them (domain/maestro/plan-rules.ts);
 * the log's events decode with none, since a fact is read as it was written.
 */
export interface PlanRules {
  /** One raw step, at its path. */
  readonly step: (raw: unknown, at: PlanPath) => PlanProblem[];
  /** The raw `steps` as a whole (ids, needs, the graph). */
  readonly steps: (rawSteps: unknown) => PlanProblem[];
}
export const NO_PLAN_RULES: PlanRules = Object.freeze({ step: () => [], steps: () => [] });

/** A raw step's problems besides its fields: its action's shape, the step rules, its compensation's shape. */
export function stepProblems(raw: unknown, at: PlanPath, rules: PlanRules): PlanProblem[] {
  const compensation = rawField(raw, 'compensation');
  return [...actionProblems(raw, at), ...rules.step(raw, at), ...(isRecord(compensation) ? actionProblems(compensation, [...at, 'compensation']) : [])];
}

const problemErrors = (c: t.Context, problems: readonly PlanProblem[]): t.ValidationError[] =>
  problems.map((p) => {
    const context = p.path.reduce<t.Context>((ctx, k) => t.appendContext(ctx, String(k), t.never, undefined), c);
    return { value: undefined, context, message: p.message };
  });

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
  rules: (u: unknown) => PlanProblem[],
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

const stepOf = (f: t.TypeOf<typeof StepFields>): StepSpec => ({
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
});

const MAX_STEPS = 200;
const PlanOptional = { version: text(64), description: text(2000) };
type PlanOutput = { readonly name: string; readonly steps: readonly unknown[]; readonly version?: string; readonly description?: string };

/**
 * The plan codec under `rules`: fields, each step's action shape and rules, and the rules over the
 * steps, every problem at once, with defaults filled in.
 */
export function planSpecCodec(rules: PlanRules): t.Type<PlanSpec, PlanOutput, unknown> {
  const step = checkedObject('Step', StepFields, (u) => stepProblems(u, [], rules), stepOf);
  const steps = new t.Type<readonly StepSpec[], readonly unknown[], unknown>(
    `list of 1-${MAX_STEPS} steps`,
    (u): u is readonly StepSpec[] => Array.isArray(u) && u.length > 0 && u.length <= MAX_STEPS && u.every((s) => step.is(s)),
    (u, c) => {
      if (!Array.isArray(u) || u.length === 0 || u.length > MAX_STEPS) return t.failure(u, c);
      return t.readonlyArray(step).validate(u, c);
    },
    (a) => a.map((s) => step.encode(s)),
  );
  const fields = closedObject('Plan', { name: PlanName, steps }, PlanOptional);
  return checkedObject('Plan', fields, (u) => rules.steps(rawField(u, 'steps')), (f): PlanSpec => f);
}

/** A plan's shape alone: what the log's events carry (registration checked the rules when it was written). */
export const PlanSpec = planSpecCodec(NO_PLAN_RULES);

// ---------------------------------------------------------------------------------------------------
// The plan aggregate's command body and event

const MAX_SOURCE = 256 * 1024;
export const PlanSource = new t.Type<string, string, unknown>(
  `plan source (mcplan.yaml text, at most ${MAX_SOURCE} characters)`,
  (u): u is string => typeof u === 'string' && u.length > 0 && u.length <= MAX_SOURCE,
  (u, c) => (typeof u === 'string' && u.length > 0 && u.length <= MAX_SOURCE ? t.success(u) : t.failure(u, c)),
  t.identity,
);
describedAs(PlanSource, { type: 'string', minLength: 1, maxLength: MAX_SOURCE, description: 'the mcplan.yaml text (YAML 1.2, so JSON too)' });

/**
 * `plan.register`'s body as sent: the YAML text (an SDK may send JSON, which is YAML) and the region the
 * plan lives in. The command's codec (domain/maestro/plan-source.ts) parses the source into a checked spec.
 */
export const PlanRegisterBody = closedObject('PlanRegister', { region: Region, source: PlanSource });
export type PlanRegisterBody = t.TypeOf<typeof PlanRegisterBody>;
/** The command the plan decider takes: the body and the spec its source holds. */
export type PlanRegister = PlanRegisterBody & { readonly spec: PlanSpec };

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

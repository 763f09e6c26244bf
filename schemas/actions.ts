// The actions an operator registers for Maestro's script steps (COMPANYOS_ACTIONS_FILE): name → program,
// argument template, typed parameters, timeout, environment, output cap. A plan names an action and gives
// its parameters; it never names a program, a shell or an argument the operator did not template.
// Codecs only: reading the file is adapters/maestro/actions-file.ts, building argv action-argv.ts, and a
// plan's parameters are checked in domain/maestro/action-params.ts.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { ActionName, Duration, ParamName } from './plan.js';
import { patternString } from './primitives.js';
import { strictRecord } from './strict-record.js';
import { closedObject } from './validation.js';

/** `{idempotency_key}` in a template is the attempt's key (runId:stepId:attempt), the same on every re-send. */
export const IDEMPOTENCY_PLACEHOLDER = 'idempotency_key';

const MAX_STRING = 4096;
const CONTROL = /[\u0000-\u001f\u007f]/;

const intIn = (name: string, min: number, max: number) =>
  new t.Type<number, number, unknown>(
    `${name} (integer ${min}..${max})`,
    (u): u is number => Number.isSafeInteger(u) && (u as number) >= min && (u as number) <= max,
    (u, c) => (Number.isSafeInteger(u) && (u as number) >= min && (u as number) <= max ? t.success(u as number) : t.failure(u, c)),
    t.identity,
  );

/** A regular expression that compiles (with the u flag); it must match a whole value. */
const Pattern = new t.Type<string, string, unknown>(
  'regular expression',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    if (typeof u !== 'string' || u.length === 0 || u.length > 1000) return t.failure(u, c, 'expected a regular expression of 1-1000 characters');
    try {
      new RegExp(u, 'u');
      return t.success(u);
    } catch (error) {
      return t.failure(u, c, `not a regular expression: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
  t.identity,
);

const StringParam = closedObject('StringParam', { type: t.literal('string') }, { pattern: Pattern, maxLength: intIn('maxLength', 1, MAX_STRING), default: t.string });
const IntegerParam = closedObject('IntegerParam', { type: t.literal('integer') }, {
  min: intIn('min', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  max: intIn('max', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  default: intIn('default', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
});
const EnumParam = closedObject('EnumParam', { type: t.literal('enum'), values: t.readonlyArray(t.string) }, { default: t.string });

export type ParamSpec = t.TypeOf<typeof StringParam> | t.TypeOf<typeof IntegerParam> | t.TypeOf<typeof EnumParam>;
const ParamSpec: t.Type<ParamSpec, unknown, unknown> = new t.Type<ParamSpec, unknown, unknown>(
  'ParamSpec (type string, integer or enum)',
  (u): u is ParamSpec => StringParam.is(u) || IntegerParam.is(u) || EnumParam.is(u),
  (u, c) => {
    const type = typeof u === 'object' && u !== null ? (u as { type?: unknown }).type : undefined;
    if (type === 'string') return StringParam.validate(u, c);
    if (type === 'integer') return IntegerParam.validate(u, c);
    if (type === 'enum') return EnumParam.validate(u, c);
    return t.failure(u, c, 'expected a parameter with type string, integer or enum');
  },
  t.identity,
);

const EnvName = patternString('environment variable name', /^[A-Za-z_][A-Za-z0-9_]{0,127}$/);
/** The server's own secrets never reach an action, whatever the file says. */
const SERVER_SECRET = /^(?:COMPANYOS_.*|DATABASE_URL|EVENTSTORE_URL|CLICKHOUSE_URL|NATS_URL)$/;
const ServerVariable = new t.Type<string, string, unknown>(
  'a variable of the server environment (not COMPANYOS_*, DATABASE_URL, EVENTSTORE_URL, CLICKHOUSE_URL or NATS_URL)',
  (u): u is string => typeof u === 'string' && EnvName.is(u) && !SERVER_SECRET.test(u),
  (u, c) => (typeof u === 'string' && EnvName.is(u) && !SERVER_SECRET.test(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const EnvFrom = closedObject('EnvFrom', { from: ServerVariable });
/** A fixed value, or `{ from: NAME }`: the server's variable NAME, read when the action runs. */
export type EnvValue = string | t.TypeOf<typeof EnvFrom>;
const EnvValue = new t.Type<EnvValue, unknown, unknown>(
  'EnvValue (a string, or { from: VARIABLE })',
  (u): u is EnvValue => typeof u === 'string' || EnvFrom.is(u),
  (u, c) => (typeof u === 'string' ? t.success(u) : EnvFrom.validate(u, c)),
  t.identity,
);

const AbsoluteProgram = patternString(
  'absolute path of a program (no "." or ".." segments)',
  /^\/(?!.*(?:^|\/)\.{1,2}(?:\/|$))[^\u0000-\u001f\u007f]{1,4095}$/,
);

/** A template argument: a literal, or exactly `{name}` (a placeholder is always a whole argument). */
const PLACEHOLDER = /^\{([a-z][a-z0-9_]{0,63})\}$/;
export const placeholderOf = (arg: string): string | undefined => PLACEHOLDER.exec(arg)?.[1];

const DefinitionFields = closedObject(
  'Action',
  { program: AbsoluteProgram },
  {
    args: t.readonlyArray(t.string),
    params: strictRecord('a map of parameter names to parameters', ParamName, ParamSpec),
    timeout: Duration,
    env: strictRecord('a map of variable names to values', EnvName, EnvValue),
    outputCap: intIn('outputCap', 1, 1024 * 1024),
  },
);

export interface ActionDefinition {
  readonly program: string;
  readonly args: readonly string[];
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** How long one run may take (default 5m); the step's own timeout applies too, the shorter wins. */
  readonly timeout: string;
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly outputCap?: number;
}

/** Rules across an action's fields: placeholders name parameters, every parameter is used, defaults fit. */
function definitionProblems(d: ActionDefinition): string[] {
  const problems: string[] = [];
  const used = new Set<string>();
  d.args.forEach((arg, i) => {
    const name = placeholderOf(arg);
    if (name !== undefined) {
      if (name !== IDEMPOTENCY_PLACEHOLDER && !Object.hasOwn(d.params, name)) problems.push(`args[${i}]: {${name}} names no parameter`);
      used.add(name);
    } else if (/[{}]/.test(arg)) problems.push(`args[${i}]: a placeholder must be a whole argument, like "{name}" (no splicing into a string)`);
    if (CONTROL.test(arg)) problems.push(`args[${i}]: control characters are not allowed`);
  });
  for (const [name, spec] of Object.entries(d.params)) {
    if (name === IDEMPOTENCY_PLACEHOLDER) problems.push(`params.${name}: reserved for the attempt's idempotency key`);
    else if (!used.has(name)) problems.push(`params.${name}: not used in args`);
    if (spec.type === 'integer' && spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) problems.push(`params.${name}: min is above max`);
    if (spec.type === 'enum' && (spec.values.length === 0 || spec.values.some((v) => !validString(v)))) {
      problems.push(`params.${name}.values: 1 or more values, each 1-${MAX_STRING} characters, no control characters, not starting with "-"`);
    }
    if (spec.default !== undefined) problems.push(...paramValueProblems(name, spec, spec.default).map((p) => `params.${name}.default: ${p}`));
  }
  return problems;
}

/** Decoded `actions:` entries, checked across fields, defaults filled in. */
const Definition = new t.Type<ActionDefinition, unknown, unknown>(
  'Action',
  (u): u is ActionDefinition => DefinitionFields.is(u),
  (u, c) => {
    const fields = DefinitionFields.validate(u, c);
    if (isLeft(fields)) return fields;
    const f = fields.right;
    const d: ActionDefinition = { program: f.program, args: f.args ?? [], params: f.params ?? {}, timeout: f.timeout ?? '5m', env: f.env ?? {}, ...(f.outputCap === undefined ? {} : { outputCap: f.outputCap }) };
    const problems = definitionProblems(d);
    return problems.length === 0 ? t.success(d) : t.failures(problems.map((message) => ({ value: u, context: c, message })));
  },
  t.identity,
);

/** The whole file (decoded by adapters/maestro/actions-file.ts from its YAML). */
export const ActionsFile = closedObject('ActionsFile', { actions: strictRecord('a map of action names to actions', ActionName, Definition) });

/** The registered actions by name. Empty: script steps are refused. */
export type ActionCatalogue = ReadonlyMap<string, ActionDefinition>;
export const NO_ACTIONS: ActionCatalogue = new Map();

// ---------------------------------------------------------------------------------------------------
// A parameter value against its spec (the codec checks defaults with it; domain/maestro/action-params.ts
// checks a plan's values)

/** Strings reach a program as one argument each; refusing a leading "-" keeps them from becoming options. */
const validString = (v: string): boolean => v.length > 0 && v.length <= MAX_STRING && !CONTROL.test(v) && !v.startsWith('-');

export function paramValueProblems(name: string, spec: ParamSpec, value: unknown): string[] {
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string') return [`expected a string, got ${JSON.stringify(value)}`];
      const max = spec.maxLength ?? 256;
      if (!validString(value) || value.length > max) return [`expected 1-${max} characters without control characters, not starting with "-"`];
      if (spec.pattern !== undefined && !new RegExp(`^(?:${spec.pattern})$`, 'u').test(value)) return [`${JSON.stringify(value)} does not match the pattern of ${name}`];
      return [];
    }
    case 'integer': {
      const min = spec.min ?? Number.MIN_SAFE_INTEGER;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? [] : [`expected an integer ${min}..${max}, got ${JSON.stringify(value)}`];
    }
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? [] : [`expected one of ${spec.values.join(', ')}, got ${JSON.stringify(value)}`];
  }
}

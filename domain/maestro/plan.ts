// The plan aggregate: one stream per plan name. Versions are content-addressed: registering a spec
// already registered writes nothing, a different spec becomes the next version.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ActionCatalogue } from '../../schemas/actions.js';
import { PLAN_SCHEMA_VERSION, type ActionSpec, type PlanEvent, type PlanRegister, type PlanSpec } from '../../schemas/plan.js';
import type { DecideContext, Decider } from '../command-handler.js';
import { domainError, type DomainError } from '../errors.js';
import { paramProblems } from './action-params.js';
import { planDigest } from './digest.js';

export interface PlanVersion {
  readonly version: number;
  readonly digest: string;
  readonly spec: PlanSpec;
}

export type PlanState =
  | { readonly status: 'absent' }
  | { readonly status: 'registered'; readonly name: string; readonly region: string; readonly versions: readonly PlanVersion[] };

export type PlanCommand = { readonly type: 'plan.register'; readonly data: PlanRegister };

export const initialPlanState: PlanState = Object.freeze({ status: 'absent' });

export function evolvePlan(state: PlanState, event: PlanEvent): PlanState {
  const { name, region, version, digest, spec } = event.data;
  const versions = state.status === 'absent' ? [] : state.versions;
  return { status: 'registered', name, region, versions: [...versions, { version, digest, spec }] };
}

/** The version a run asks for: the given number, or the latest. */
export const planVersion = (state: PlanState, version?: number): PlanVersion | undefined =>
  state.status === 'absent' ? undefined : version === undefined ? state.versions.at(-1) : state.versions.find((v) => v.version === version);

/** What registering a plan is decided against besides its stream: the actions this server offers. */
export interface PlanContext {
  readonly actions: ActionCatalogue;
}

/** Script steps (and compensations) against the registered actions: one line per problem, naming the step. */
export function scriptProblems(spec: PlanSpec, actions: ActionCatalogue): string[] {
  const check = (action: ActionSpec, at: string): string[] => {
    if (action.action_type !== 'script') return [];
    const { action: name, params = {} } = action.script;
    if (actions.size === 0) return [`${at}.script: script steps are disabled on this server (no actions are registered)`];
    const registered = actions.get(name);
    if (registered === undefined) return [`${at}.script.action: no action "${name}" on this server (offered: ${[...actions.keys()].join(', ')})`];
    return paramProblems(registered, params).map((p) => `${at}.script.${p}`);
  };
  return spec.steps.flatMap((step, i) => [
    ...check(step, `steps[${i}] (${step.id})`),
    ...(step.compensation === undefined ? [] : check(step.compensation, `steps[${i}] (${step.id}).compensation`)),
  ]);
}

/**
 * Register: the same content as any earlier version is that version (nothing written); an author's
 * version label may not be reused for other content, since people and runbooks refer to it. Script
 * steps must name an action the server offers, with parameters it takes.
 */
export function registerPlan(cmd: PlanRegister, state: PlanState, ctx: PlanContext): Either<DomainError, readonly PlanEvent[]> {
  const { spec } = cmd;
  const scripts = scriptProblems(spec, ctx.actions);
  if (scripts.length > 0) {
    const detail = scripts.length === 1 ? scripts[0]! : `${scripts.length} problems: ${scripts.join('; ')}`;
    return left({ ...domainError('action-not-offered', detail), errors: scripts });
  }
  const digest = planDigest(spec);
  if (state.status === 'registered') {
    if (cmd.region !== state.region) {
      return left(domainError('region-mismatch', `plan ${spec.name} lives in region ${state.region}, so it cannot be registered in ${cmd.region}`));
    }
    if (state.versions.some((v) => v.digest === digest)) return right([]);
    const label = spec.version;
    const taken = label === undefined ? undefined : state.versions.find((v) => v.spec.version === label);
    if (taken !== undefined) {
      return left(domainError('conflict', `plan ${spec.name} version label "${label}" is already version ${taken.version} with other content; give the new content a new label`));
    }
  }
  const version = state.status === 'absent' ? 1 : state.versions.length + 1;
  return right([{ type: 'plan.registered', schemaVersion: PLAN_SCHEMA_VERSION, data: { name: spec.name, version, digest, region: cmd.region, spec } }]);
}

export const planDecider: Decider<PlanCommand, PlanState, PlanEvent, DecideContext & PlanContext> = Object.freeze({
  initialState: initialPlanState,
  evolve: evolvePlan,
  decide: (command: PlanCommand, state: PlanState, ctx: PlanContext) => registerPlan(command.data, state, ctx),
});

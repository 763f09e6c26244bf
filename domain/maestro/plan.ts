// The plan aggregate: one stream per plan name. Versions are content-addressed: registering a spec
// already registered writes nothing, a different spec becomes the next version.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { PLAN_SCHEMA_VERSION, type PlanEvent, type PlanRegister, type PlanSpec } from '../../schemas/plan.js';
import type { DecideContext, Decider } from '../command-handler.js';
import { domainError, type DomainError } from '../errors.js';
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

/**
 * Register: the same content as any earlier version is that version (nothing written); an author's
 * version label may not be reused for other content, since people and runbooks refer to it.
 */
export function registerPlan(cmd: PlanRegister, state: PlanState): Either<DomainError, readonly PlanEvent[]> {
  const { spec } = cmd;
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

export const planDecider: Decider<PlanCommand, PlanState, PlanEvent, DecideContext> = Object.freeze({
  initialState: initialPlanState,
  evolve: evolvePlan,
  decide: (command: PlanCommand, state: PlanState) => registerPlan(command.data, state),
});

// A tenant's policy set as an aggregate (`<tenant>/policy`): every text ever proposed, numbered, and the
// one in force. Changing it takes two people: one admin proposes a text (it must parse and validate
// against the Cedar schema, or it is refused with the validator's messages) and a different admin
// publishes it. The tenant's first policy command writes the default set as version 1 (proposed and
// published by the system) before anything else, so the log holds every text that was ever in force.
import { createHash } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import {
  POLICY_SCHEMA_VERSION,
  SYSTEM_POLICY_AUTHOR,
  type PolicyEvent,
  type PolicySetPropose,
  type PolicySetPublish,
} from '../../schemas/policy.js';
import type { DecideContext, Decider } from '../command-handler.js';
import { domainError, type DomainError } from '../errors.js';

/** The version of a policy text: its SHA-256, as every decision under it seals. */
export const policyVersionOf = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface PolicyVersion {
  readonly ordinal: number;
  readonly version: string;
  readonly text: string;
  readonly author: string;
  readonly reason: string;
  /** proposed: waiting for a second admin; published: in force now; superseded: was in force. */
  readonly status: 'proposed' | 'published' | 'superseded';
  readonly approver?: string;
  /** The version it replaced when published (undefined for the first). */
  readonly replaced?: string;
}

export interface PolicySetState {
  /** By ordinal (index + 1). */
  readonly versions: readonly PolicyVersion[];
  /** Ordinal of the version in force; undefined before the first command (the default is in force). */
  readonly current: number | undefined;
}

export type PolicyCommand =
  | { readonly type: 'policy.set.propose'; readonly data: PolicySetPropose }
  | { readonly type: 'policy.set.publish'; readonly data: PolicySetPublish };

export interface PolicyContext extends DecideContext {
  /** The default set's text (commands/policies/default.cedar), written as version 1. */
  readonly defaultText: string;
  /** What the parser and the Cedar schema say about a text, one line each; empty when it validates. */
  problems(text: string): readonly string[];
}

export const initialPolicySetState: PolicySetState = Object.freeze({ versions: [], current: undefined });

export function evolvePolicySet(state: PolicySetState, event: PolicyEvent): PolicySetState {
  switch (event.type) {
    case 'policy.set.proposed': {
      const d = event.data;
      const entry: PolicyVersion = { ordinal: d.ordinal, version: d.version, text: d.text, author: d.author, reason: d.reason, status: 'proposed' };
      return { ...state, versions: [...state.versions, entry] };
    }
    case 'policy.set.published': {
      const d = event.data;
      const versions = state.versions.map((v): PolicyVersion => {
        if (v.ordinal === d.ordinal) return { ...v, status: 'published', approver: d.approver, ...(d.previous === null ? {} : { replaced: d.previous }) };
        if (v.ordinal === state.current) return { ...v, status: 'superseded' };
        return v;
      });
      return { versions, current: d.ordinal };
    }
  }
}

/** The version in force, if the stream has one. */
export const inForce = (state: PolicySetState): PolicyVersion | undefined =>
  state.current === undefined ? undefined : state.versions[state.current - 1];

/** The latest proposal of `version` still waiting for its second admin. */
export const pendingProposal = (state: PolicySetState, version: string): PolicyVersion | undefined =>
  [...state.versions].reverse().find((v) => v.version === version && v.status === 'proposed');

/** Version 1 of a tenant: the default set, proposed and published by the system. */
function defaultVersion(defaultText: string): readonly PolicyEvent[] {
  const version = policyVersionOf(defaultText);
  return [
    {
      type: 'policy.set.proposed',
      schemaVersion: POLICY_SCHEMA_VERSION,
      data: { version, ordinal: 1, text: defaultText, author: SYSTEM_POLICY_AUTHOR, reason: 'the default policy set, in force until the tenant publishes another' },
    },
    {
      type: 'policy.set.published',
      schemaVersion: POLICY_SCHEMA_VERSION,
      data: { version, ordinal: 1, proposer: SYSTEM_POLICY_AUTHOR, approver: SYSTEM_POLICY_AUTHOR, previous: null, reason: 'the default policy set' },
    },
  ];
}

function propose(cmd: PolicySetPropose, state: PolicySetState, ctx: PolicyContext): Either<DomainError, readonly PolicyEvent[]> {
  const problems = ctx.problems(cmd.text);
  if (problems.length > 0) {
    return left(domainError('policy-invalid', `the proposed policy set is refused: ${problems.join('; ')}`, { errors: problems }));
  }
  const seeded = state.versions.length === 0 ? defaultVersion(ctx.defaultText) : [];
  const after = seeded.reduce(evolvePolicySet, state);
  const version = policyVersionOf(cmd.text);
  if (inForce(after)?.version === version) return left(domainError('conflict', `policy version ${version} is already in force`));
  // The same text proposed again while it waits: nothing new to record.
  if (pendingProposal(after, version) !== undefined) return right(seeded);
  const proposed: PolicyEvent = {
    type: 'policy.set.proposed',
    schemaVersion: POLICY_SCHEMA_VERSION,
    data: { version, ordinal: after.versions.length + 1, text: cmd.text, author: ctx.actor ?? 'unknown', reason: cmd.reason },
  };
  return right([...seeded, proposed]);
}

function publish(cmd: PolicySetPublish, state: PolicySetState, ctx: PolicyContext): Either<DomainError, readonly PolicyEvent[]> {
  const proposal = pendingProposal(state, cmd.version);
  if (proposal === undefined) {
    if (inForce(state)?.version === cmd.version) return right([]);
    return left(domainError('not-found', `no proposal of policy version ${cmd.version} waits to be published`));
  }
  const approver = ctx.actor ?? 'unknown';
  if (approver === proposal.author) {
    return left(domainError('two-person-rule', `${approver} proposed version ${proposal.ordinal} (${cmd.version.slice(0, 12)}); a different admin must publish it`));
  }
  return right([
    {
      type: 'policy.set.published',
      schemaVersion: POLICY_SCHEMA_VERSION,
      data: {
        version: proposal.version,
        ordinal: proposal.ordinal,
        proposer: proposal.author,
        approver,
        previous: inForce(state)?.version ?? null,
        reason: cmd.reason ?? `approved by ${approver}`,
      },
    },
  ]);
}

export const policySetDecider: Decider<PolicyCommand, PolicySetState, PolicyEvent, PolicyContext> = {
  initialState: initialPolicySetState,
  evolve: evolvePolicySet,
  decide: (command, state, ctx) => (command.type === 'policy.set.propose' ? propose(command.data, state, ctx) : publish(command.data, state, ctx)),
};

// The policy set's two commands as the pipeline sees them. Both write the tenant's one policy stream, so
// versions are totally ordered; the Cedar resource is the tenant's PolicySet, with the waiting proposal's
// author as `proposer` so a policy can forbid publishing one's own proposal (the decider refuses it too).
// The composition root passes the default text and the validator (adapters/cedar/policy-set.ts).
import { PolicyEvent, PolicySetPropose, PolicySetPublish } from '../../schemas/policy.js';
import { streamName } from '../../schemas/streams.js';
import { foldWith, type AnyCommandHandler, type CommandHandler } from '../command-handler.js';
import { evolvePolicySet, initialPolicySetState, inForce, pendingProposal, policySetDecider, type PolicyContext, type PolicySetState } from './policy-set.js';

export const policyStream = (tenant: string): string => streamName(tenant, 'policy');
export const foldPolicySet = foldWith(PolicyEvent, evolvePolicySet, initialPolicySetState);

export interface PolicyCommandDeps {
  readonly defaultText: string;
  problems(text: string): readonly string[];
}

const base = (deps: PolicyCommandDeps) =>
  ({
    resourceType: 'PolicySet',
    resourceId: () => 'policy',
    region: (cmd: { readonly region: string }) => cmd.region,
    streamOf: (tenant: string) => policyStream(tenant),
    provenance: () => undefined,
    naturalKey: () => undefined,
    relatedStreams: () => ({}),
    initialState: initialPolicySetState,
    evolve: evolvePolicySet,
    fold: foldPolicySet,
    encodeEvent: (e: PolicyEvent) => PolicyEvent.encode(e),
    context: (ctx: { readonly now: string; readonly actor?: string }): PolicyContext => ({
      now: ctx.now,
      related: {},
      ...(ctx.actor === undefined ? {} : { actor: ctx.actor }),
      defaultText: deps.defaultText,
      problems: (text) => deps.problems(text),
    }),
  }) as const;

const stateAttributes = (state: PolicySetState) => ({
  versions: state.versions.length,
  ...(inForce(state) === undefined ? {} : { current: inForce(state)!.version }),
});

/** `policy.set.propose` and `policy.set.publish`, deciding with the given default and validator. */
export function policyCommandHandlers(deps: PolicyCommandDeps): Readonly<Record<'policy.set.propose' | 'policy.set.publish', AnyCommandHandler>> {
  const b = base(deps);
  const propose: CommandHandler<PolicySetPropose, PolicySetState, PolicyEvent> = {
    ...b,
    codec: PolicySetPropose,
    action: 'propose',
    resourceAttributes: (cmd, state) => ({ region: cmd.region, ...stateAttributes(state) }),
    decide: (cmd, state, ctx) => policySetDecider.decide({ type: 'policy.set.propose', data: cmd }, state, b.context(ctx)),
  };
  const publish: CommandHandler<PolicySetPublish, PolicySetState, PolicyEvent> = {
    ...b,
    codec: PolicySetPublish,
    action: 'publish',
    resourceAttributes: (cmd, state) => {
      const proposal = pendingProposal(state, cmd.version);
      return { region: cmd.region, ...stateAttributes(state), ...(proposal === undefined ? {} : { proposer: proposal.author }) };
    },
    decide: (cmd, state, ctx) => policySetDecider.decide({ type: 'policy.set.publish', data: cmd }, state, b.context(ctx)),
  };
  return Object.freeze({ 'policy.set.propose': propose as AnyCommandHandler, 'policy.set.publish': publish as AnyCommandHandler });
}

/** The registry's entries (domain/index.ts): they refuse every text until the composition root gives them the validator. */
export const policyCommands = policyCommandHandlers({
  defaultText: '',
  problems: () => ['no Cedar schema is configured for policy changes in this process'],
});

// The domain's public surface: what the command pipeline, projections and HTTP layer may use.
// Everything else under domain/ is internal and may change without notice.
import type { AnyCommandHandler } from './command-handler.js';
import { graphCommands } from './graph/commands.js';
import { meteringCommands } from './metering/commands.js';
import { finopsCommands } from './pricing/guardrail-commands.js';
import { pricingCommands } from './pricing/commands.js';
import { maestroCommandHandlers } from './maestro/index.js';
import { policyCommands } from './policy/commands.js';
import { approvalCommands } from './approvals/commands.js';

export { domainError, validationError, isDomainErrorCode } from './errors.js';
export type { DomainError, DomainErrorCode, DomainErrorOf, DomainErrorStatus } from './errors.js';

export { foldWith } from './command-handler.js';
export type {
  AnyCommandHandler,
  CommandHandler,
  DecideContext,
  Decider,
  DomainEvent,
  Fold,
  NoRelated,
  RelatedStream,
} from './command-handler.js';

export { graphCommands } from './graph/commands.js';
export { nodeDecider, evolveNode, initialNodeState } from './graph/node.js';
export type { NodeCommand, NodeState } from './graph/node.js';
export { edgeDecider, evolveEdge, initialEdgeState } from './graph/edge.js';
export type { EdgeCommand, EdgeContext, EdgeEnds, EdgeState } from './graph/edge.js';
export * from './maestro/index.js';
export { meteringCommands, meteringSegmentStream, segmentIdsOf } from './metering/commands.js';
export { meteringDecider } from './metering/batch.js';
export { pricingCommands } from './pricing/commands.js';
export { catalogDecider } from './pricing/catalog.js';
export { finopsCommands } from './pricing/guardrail-commands.js';
export { anomalyDecider, budgetDecider } from './pricing/guardrails.js';
export { foldPolicySet, policyCommandHandlers, policyCommands, policyStream } from './policy/commands.js';
export type { PolicyCommandDeps } from './policy/commands.js';
export { evolvePolicySet, inForce, initialPolicySetState, pendingProposal, policySetDecider, policyVersionOf } from './policy/policy-set.js';
export type { PolicyCommand, PolicyContext, PolicySetState, PolicyVersion } from './policy/policy-set.js';
export { approvalCommands, APPROVAL_SERVICE_COMMANDS, foldApprovals } from './approvals/commands.js';
export { approvalsDecider, approvalState, evolveApprovals, initialApprovalsState } from './approvals/approvals.js';
export type { Approval, ApprovalCommand, ApprovalsState } from './approvals/approvals.js';
export { DUAL_CONTROL, dualControlOf, proposedAfter } from './approvals/dual-control.js';
export type { DualControl } from './approvals/dual-control.js';

/** Every command handler by command type: the pipeline's one lookup. Later aggregates add their tables here. */
export const commandHandlers: ReadonlyMap<string, AnyCommandHandler> = new Map<string, AnyCommandHandler>([
  ...Object.entries(graphCommands),
  ...maestroCommandHandlers,
  ...Object.entries(meteringCommands),
  ...Object.entries(pricingCommands),
  ...Object.entries(finopsCommands),
  ...Object.entries(policyCommands),
  ...Object.entries(approvalCommands),
]);

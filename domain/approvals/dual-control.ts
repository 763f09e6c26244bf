// The catalogue of dual-control command types: the one place that marks a command as needing two people.
// A command listed here never executes on its proposer's word: it is recorded as proposed on the tenant's
// approvals stream (domain/approvals/approvals.ts) and executes when a different principal holding one of
// `approverRoles` approves it within `windowSeconds`; the pipeline refuses it otherwise (commands/pipeline.ts).
// Later issues add erasure and export here. Key rotation is not here: it is an offline operation on the
// keyring file with the server stopped, by whoever holds that file, not a command a principal sends.
import type { JsonObject } from '../../schemas/json.js';
import { policyVersionOf } from '../policy/policy-set.js';

export interface DualControl {
  readonly command: string;
  /** Who may propose, approve and reject it (Cedar sees them as the Approval's `approverRoles`). */
  readonly approverRoles: readonly string[];
  /** How long a proposal may wait for its approval. */
  readonly windowSeconds: number;
  /**
   * A command whose success proposes this one, with the body it proposes: proposing a policy text proposes
   * publishing it, so the admin who publishes it is the approver of the text's author.
   */
  readonly proposedBy?: { readonly command: string; body(cmd: JsonObject): JsonObject };
  /** The approver's reason becomes the executed body's `reason` when the proposal gave none (a publication's reason is its approver's). */
  readonly approverReason?: boolean;
}

const HOUR = 3600;

export const DUAL_CONTROL: ReadonlyMap<string, DualControl> = new Map<string, DualControl>([
  [
    'policy.set.publish',
    {
      command: 'policy.set.publish',
      approverRoles: ['admin'],
      windowSeconds: 72 * HOUR,
      proposedBy: {
        command: 'policy.set.propose',
        body: (cmd) => ({ region: cmd['region'] as string, version: policyVersionOf(cmd['text'] as string) }),
      },
      approverReason: true,
    },
  ],
]);

export const dualControlOf = (command: string): DualControl | undefined => DUAL_CONTROL.get(command);

/** The dual-control commands whose proposal a successful `command` opens. */
export const proposedAfter = (command: string): readonly DualControl[] => [...DUAL_CONTROL.values()].filter((d) => d.proposedBy?.command === command);

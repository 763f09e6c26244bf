// Every action Cedar is asked about, with the action groups it belongs to and the resource type it names:
// the commands from the handler registry (one action per command type) and the privileged reads the HTTP
// routes authorize. The golden tests, their coverage report and the Cedar schema are checked against this
// list, so a new command or read cannot go untested or unschematised without a test failing.
import { commandHandlers } from '../domain/index.js';

export interface PolicyAction {
  readonly action: string;
  /** Most specific first, as the authorizer's request carries them (e.g. ['graph.write', 'write']). */
  readonly groups: readonly string[];
  readonly resourceTypes: readonly string[];
  readonly kind: 'command' | 'read';
}

/** The action groups of a command type, as the pipeline asks: `<first segment>.write`, then `write`. */
export const commandActionGroups = (type: string): readonly string[] => [`${type.split('.')[0]}.write`, 'write'];

/**
 * The reads the routes authorize (adapters/http/routes/*): action, groups, resource types. A test reads
 * the routes' sources and fails on an action named there but missing here.
 */
export const READ_ACTIONS: readonly PolicyAction[] = [
  { action: 'stream.read', groups: ['read'], resourceTypes: ['Stream'], kind: 'read' },
  { action: 'ledger.verify', groups: ['read'], resourceTypes: ['Ledger', 'Stream'], kind: 'read' },
  { action: 'graph.read', groups: ['read'], resourceTypes: ['GraphNode', 'GraphEdge', 'Graph'], kind: 'read' },
  { action: 'policy.read', groups: ['read'], resourceTypes: ['PolicySet'], kind: 'read' },
  { action: 'approval.read', groups: ['read'], resourceTypes: ['Approval'], kind: 'read' },
  { action: 'run.read', groups: ['read'], resourceTypes: ['Run'], kind: 'read' },
  { action: 'finops.read', groups: ['read'], resourceTypes: ['CostReport'], kind: 'read' },
  { action: 'audit.read', groups: ['audit', 'read'], resourceTypes: ['AuditIndex'], kind: 'read' },
  { action: 'audit.export', groups: ['audit', 'read'], resourceTypes: ['AuditIndex'], kind: 'read' },
];

/** Every action, commands first (sorted), then reads. */
export function policyActions(): readonly PolicyAction[] {
  const commands = [...commandHandlers.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, handler]): PolicyAction => ({ action: type, groups: commandActionGroups(type), resourceTypes: [handler.resourceType], kind: 'command' }));
  return [...commands, ...READ_ACTIONS];
}

export function policyAction(action: string): PolicyAction | undefined {
  return policyActions().find((a) => a.action === action);
}

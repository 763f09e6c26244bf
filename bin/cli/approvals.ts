// `companyos approvals list [--state S] | show ID | propose TYPE BODY --reason TEXT | approve ID [--reason TEXT]
// | reject ID --reason TEXT` [--json]: the two-person rule through the API (COMPANYOS_URL, COMPANYOS_TOKEN), as
// `policy publish` and `run approve` talk to it. A dual-control command (domain/approvals/dual-control.ts) is
// proposed by one principal and executes when a different one approves it within its window.
import { parseArgs } from 'node:util';
import { argumentMistake, UsageError } from './usage.js';

export const APPROVALS_USAGE =
  'approvals list [--state pending|approved|executed|refused|rejected|expired] [--json] | approvals show ID [--json] | ' +
  'approvals propose TYPE BODY --reason TEXT [--json] | approvals approve ID [--reason TEXT] [--json] | approvals reject ID --reason TEXT [--json]';

const STATES = new Set(['pending', 'approved', 'executed', 'refused', 'rejected', 'expired']);

interface ApprovalLine {
  readonly id: string;
  readonly command: string;
  readonly body: Record<string, unknown>;
  readonly state: string;
  readonly proposer: string;
  readonly reason: string;
  readonly expiresAt: string;
  readonly approver?: string;
  readonly rejectedBy?: string;
  readonly outcome?: { readonly kind: string; readonly events?: readonly { readonly type: string }[]; readonly detail?: string };
}

/** One line per approval: id, state, command, who proposed it (and who decided), why, until when. */
export function formatApproval(a: ApprovalLine): string {
  const decided = a.approver !== undefined ? `, approved by ${a.approver}` : a.rejectedBy !== undefined ? `, rejected by ${a.rejectedBy}` : '';
  const until = a.state === 'pending' ? ` (approve until ${a.expiresAt})` : a.state === 'expired' ? ` (expired ${a.expiresAt})` : '';
  const outcome = a.outcome === undefined ? '' : a.outcome.kind === 'executed' ? `; wrote ${(a.outcome.events ?? []).map((e) => e.type).join(', ') || 'nothing'}` : `; refused: ${a.outcome.detail ?? ''}`;
  return `${a.id}  ${a.state.padEnd(8)}  ${a.command} ${JSON.stringify(a.body)}  by ${a.proposer}${decided}: ${a.reason}${until}${outcome}`;
}

export async function approvalsCommand(_config: unknown, argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'list' && sub !== 'show' && sub !== 'propose' && sub !== 'approve' && sub !== 'reject') {
    throw new UsageError(`approvals needs a subcommand: ${APPROVALS_USAGE}`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: { json: { type: 'boolean' }, state: { type: 'string' }, reason: { type: 'string' } }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(argumentMistake(error, rest));
  }
  const { values, positionals } = parsed;
  const { apiFromEnv, apiRequest } = await import('./run.js');
  const print = (human: string, body: unknown) => console.log(values.json ? JSON.stringify(body) : human);
  if (sub === 'list') {
    if (positionals.length > 0) throw new UsageError('approvals list takes no argument');
    if (values.state !== undefined && !STATES.has(values.state)) throw new UsageError(`--state: expected one of ${[...STATES].join(', ')}, got ${values.state}`);
    const { body } = await apiRequest(apiFromEnv(), 'GET', `/v1/approvals${values.state === undefined ? '' : `?state=${values.state}`}`);
    const approvals = body['approvals'] as readonly ApprovalLine[];
    print(approvals.length === 0 ? `no ${values.state ?? ''} approvals`.replace('  ', ' ') : approvals.map(formatApproval).join('\n'), body);
    return;
  }
  if (sub === 'propose') {
    const [type, json, ...extra] = positionals;
    if (type === undefined || json === undefined || extra.length > 0) throw new UsageError('approvals propose takes TYPE and BODY (the command body as JSON)');
    if (values.reason === undefined) throw new UsageError('approvals propose needs --reason TEXT (why; sealed with the proposal)');
    let commandBody: unknown;
    try {
      commandBody = JSON.parse(json);
    } catch {
      throw new UsageError('approvals propose: BODY is not JSON');
    }
    const { body } = await apiRequest(apiFromEnv(), 'POST', '/v1/approvals', { json: { command: type, body: commandBody, reason: values.reason } });
    const a = body['approval'] as ApprovalLine;
    print(`proposed ${a.command} as approval ${a.id}; a different principal approves it with: companyos approvals approve ${a.id}`, body);
    return;
  }
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new UsageError(`approvals ${sub} takes one approval ID`);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new UsageError(`approvals ${sub}: ${id} is not an approval id (a UUID)`);
  if (sub === 'show') {
    const { body } = await apiRequest(apiFromEnv(), 'GET', `/v1/approvals/${id}`);
    print(formatApproval(body['approval'] as ApprovalLine), body);
    return;
  }
  if (sub === 'reject') {
    if (values.reason === undefined) throw new UsageError('approvals reject needs --reason TEXT (why; sealed with the rejection)');
    const { body } = await apiRequest(apiFromEnv(), 'POST', `/v1/approvals/${id}/reject`, { json: { reason: values.reason } });
    print(formatApproval(body['approval'] as ApprovalLine), body);
    return;
  }
  const { status, body } = await apiRequest(apiFromEnv(), 'POST', `/v1/approvals/${id}/approve`, { json: values.reason === undefined ? {} : { reason: values.reason } });
  const events = (body['events'] as readonly { readonly type: string }[]).map((e) => e.type).join(', ') || 'nothing';
  print(`${status === 201 ? 'approved and executed' : 'already approved and executed'} ${String((body['approval'] as ApprovalLine).command)}: ${events} on ${String(body['stream'])}`, body);
}

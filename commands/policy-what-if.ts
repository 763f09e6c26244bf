// What-if over history: every decision a tenant's log records (the commands it allowed, on the events they
// wrote, and the denials sealed as access.denied on its audit stream) asked again of a candidate policy
// set, from what the decision saw (meta.decision.input, commands/decision-input.ts). The decisions that
// flip are the impact report attached to a policy change, grouped by action and by determining policies
// (before → after). Nothing is guessed: a decision sealed before inputs were (no input) is counted as not
// reproducible; one about another tenant's resource was that tenant's set's to make and is counted apart.
// Without a tenant, every tenant's decisions are asked of the candidate (a change to the shared default).
import { isLeft } from 'fp-ts/lib/Either.js';
import type { EventLog, RecordedEvent } from '../adapters/event-log/index.js';
import { CedarAuthorizer } from '../adapters/cedar/cedar-authorizer.js';
import { envelopeOf, fromRecordedEvent } from '../ledger/log-codec.js';
import { tenantStreamPrefix } from '../schemas/streams.js';
import { requestOf } from './decision-input.js';

export interface WhatIfScope {
  /** The tenant whose decisions are asked again; undefined: every tenant's, each as if it adopted the candidate. */
  readonly tenant?: string;
  /** Decisions sealed at or after this instant (ISO 8601). */
  readonly from?: string;
  /** Decisions sealed before this instant (ISO 8601). */
  readonly to?: string;
  /** Resume after this log position (the `next` of an earlier, bounded report). */
  readonly after?: bigint;
  /** Read at most this many of the tenant's events; the report's `next` says where to go on. Default: all. */
  readonly maxEvents?: number;
}

export type Effect = 'allow' | 'deny';

export interface Flip {
  readonly decisionId: string;
  readonly position: string;
  readonly eventId: string;
  readonly stream: string;
  readonly sealedAt: string;
  readonly action: string;
  readonly resource: { readonly type: string; readonly id: string };
  readonly principal: { readonly id: string; readonly roles: readonly string[] };
  readonly was: Effect;
  readonly now: Effect;
  /** Determining policies as recorded, and under the candidate. */
  readonly before: readonly string[];
  readonly after: readonly string[];
}

export interface WhatIfReport {
  readonly tenant?: string;
  readonly candidateVersion: string;
  readonly from?: string;
  readonly to?: string;
  readonly eventsRead: number;
  /** Distinct policy decisions in range (a command's events share one). */
  readonly decisions: number;
  readonly reDecided: number;
  /** Sealed without what they saw (before inputs were sealed): not re-decided, never guessed. */
  readonly notReproducible: number;
  /** About another tenant's resource: decided by that tenant's set, not this one's candidate. */
  readonly otherTenants: number;
  readonly flips: readonly Flip[];
  readonly byAction: readonly { readonly action: string; readonly toDeny: number; readonly toAllow: number }[];
  readonly byPolicy: readonly { readonly was: Effect; readonly now: Effect; readonly before: readonly string[]; readonly after: readonly string[]; readonly count: number }[];
  /** The log position to resume from when maxEvents stopped the read before the tenant's last event. */
  readonly next?: string;
}

const PAGE = 1000;

/** Re-decides the tenant's recorded decisions in scope under `candidate` (Cedar text; throws PolicySetError if it does not build). */
export async function whatIf(log: EventLog, candidate: string, scope: WhatIfScope): Promise<WhatIfReport> {
  const authorizer = new CedarAuthorizer(candidate);
  const seen = new Set<string>();
  const flips: Flip[] = [];
  let eventsRead = 0;
  let reDecided = 0;
  let notReproducible = 0;
  let otherTenants = 0;
  let after = scope.after;
  let next: bigint | undefined;
  let lastDecision: string | undefined;
  const limit = scope.maxEvents ?? Number.POSITIVE_INFINITY;
  const filter = scope.tenant === undefined ? {} : { filter: { streamPrefixes: [tenantStreamPrefix(scope.tenant)] } };
  for (;;) {
    const want = Math.min(PAGE, limit - eventsRead);
    if (want <= 0) {
      // Stopped by the bound: the rest of the last command's events (one append, consecutive positions) are
      // read too, so a page never ends inside a decision and the next page does not count it again.
      const more = await log.readAll({ ...(after === undefined ? {} : { after }), maxCount: PAGE, ...filter });
      const rest = more.findIndex((r) => decisionIdOf(r) !== lastDecision);
      for (const r of rest === -1 ? more : more.slice(0, rest)) {
        eventsRead++;
        after = r.position;
      }
      if (rest === -1 && more.length === PAGE) continue;
      if (rest !== -1) next = after;
      break;
    }
    const page = await log.readAll({ ...(after === undefined ? {} : { after }), maxCount: want, ...filter });
    for (const record of page) {
      eventsRead++;
      after = record.position;
      const sealed = fromRecordedEvent(record);
      if (isLeft(sealed)) throw new Error(`${record.stream} at ${record.position}: ${sealed.left}`);
      const event = sealed.right;
      const decision = event.meta.decision;
      lastDecision = decision.id;
      // The server's own writes (checkpoints, key rotations) are not policy decisions.
      if (decision.policyVersion === 'system') continue;
      if (scope.from !== undefined && Date.parse(event.sealedAt) < Date.parse(scope.from)) continue;
      if (scope.to !== undefined && Date.parse(event.sealedAt) >= Date.parse(scope.to)) continue;
      if (seen.has(decision.id)) continue;
      seen.add(decision.id);
      const input = decision.input;
      if (input === undefined) {
        notReproducible++;
        continue;
      }
      const owner = input.resource.attributes['tenant'];
      if (typeof owner === 'string' && owner !== (scope.tenant ?? event.tenant)) {
        otherTenants++;
        continue;
      }
      reDecided++;
      const was: Effect = event.type === 'access.denied' ? 'deny' : 'allow';
      const answer = authorizer.authorize(requestOf(input), decision.id);
      const now: Effect = answer.allowed ? 'allow' : 'deny';
      if (now === was) continue;
      flips.push({
        decisionId: decision.id,
        position: String(record.position),
        eventId: event.id,
        stream: event.stream,
        sealedAt: event.sealedAt,
        action: input.action,
        resource: { type: input.resource.type, id: input.resource.id },
        principal: { id: input.principal.id, roles: input.principal.roles },
        was,
        now,
        before: decision.determiningPolicies,
        after: answer.determiningPolicies,
      });
    }
    if (page.length < want) break;
  }
  return {
    ...(scope.tenant === undefined ? {} : { tenant: scope.tenant }),
    candidateVersion: authorizer.policyVersion,
    ...(scope.from === undefined ? {} : { from: scope.from }),
    ...(scope.to === undefined ? {} : { to: scope.to }),
    eventsRead,
    decisions: seen.size,
    reDecided,
    notReproducible,
    otherTenants,
    flips,
    byAction: groupByAction(flips),
    byPolicy: groupByPolicy(flips),
    ...(next === undefined ? {} : { next: String(next) }),
  };
}

/** The decision id a record's envelope names (undefined when it names none). */
const decisionIdOf = (record: RecordedEvent): string | undefined => envelopeOf(record).meta?.decision?.id;

function groupByAction(flips: readonly Flip[]): WhatIfReport['byAction'] {
  const groups = new Map<string, { action: string; toDeny: number; toAllow: number }>();
  for (const f of flips) {
    const g = groups.get(f.action) ?? { action: f.action, toDeny: 0, toAllow: 0 };
    if (f.now === 'deny') g.toDeny++;
    else g.toAllow++;
    groups.set(f.action, g);
  }
  return [...groups.values()].sort((a, b) => b.toDeny + b.toAllow - (a.toDeny + a.toAllow) || a.action.localeCompare(b.action));
}

function groupByPolicy(flips: readonly Flip[]): WhatIfReport['byPolicy'] {
  const groups = new Map<string, { was: Effect; now: Effect; before: readonly string[]; after: readonly string[]; count: number }>();
  for (const f of flips) {
    const key = JSON.stringify([f.was, f.before, f.after]);
    const g = groups.get(key) ?? { was: f.was, now: f.now, before: f.before, after: f.after, count: 0 };
    g.count++;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/** The report as lines: the counts, then the flips grouped by action and by policy. */
export function formatWhatIf(r: WhatIfReport): string[] {
  const range = r.from === undefined && r.to === undefined ? '' : ` sealed ${r.from ?? 'from the start'} to ${r.to ?? 'now'}`;
  const lines = [
    `${r.tenant ?? 'every tenant'}: ${r.decisions} recorded decisions${range}, ${r.reDecided} re-decided under ${r.candidateVersion.slice(0, 12)}; ${r.flips.length} would flip`,
  ];
  if (r.notReproducible > 0) lines.push(`${r.notReproducible} not reproducible (sealed before decisions sealed their input): not re-decided`);
  if (r.otherTenants > 0) lines.push(`${r.otherTenants} about another tenant's resources (its own set decides them): not re-decided`);
  if (r.byAction.length > 0) {
    lines.push('by action:');
    for (const a of r.byAction) lines.push(`  ${a.action}: ${[a.toDeny > 0 ? `${a.toDeny} allow → deny` : '', a.toAllow > 0 ? `${a.toAllow} deny → allow` : ''].filter((x) => x !== '').join(', ')}`);
    lines.push('by determining policy:');
    const names = (ps: readonly string[]) => (ps.length === 0 ? '(none)' : ps.join(', '));
    for (const p of r.byPolicy) lines.push(`  ${p.was} [${names(p.before)}] → ${p.now} [${names(p.after)}]: ${p.count}`);
    lines.push('flips:');
    for (const f of r.flips) lines.push(`  ${f.position}  ${f.sealedAt}  ${f.action} ${f.resource.type} ${f.resource.id} by ${f.principal.id} [${f.principal.roles.join(', ')}]: ${f.was} → ${f.now}`);
  }
  if (r.next !== undefined) lines.push(`more of the log remains: continue after position ${r.next}`);
  return lines;
}

// The envelope every sealed event carries: who (actor from the verified token), why and from where
// (provenance), under which decision, and the request it belongs to.
import type { ApprovalRef } from '../schemas/approval.js';
import type { JsonValue } from '../schemas/json.js';
import type { Provenance } from '../schemas/provenance.js';
import type { EventMeta } from '../schemas/sealed-event.js';
import type { AuthorizationDecision, Principal } from './authorizer.js';
import { sealedInput } from './decision-input.js';

/** Facts about the HTTP request (or NATS message) a command arrived in. */
export interface RequestInfo {
  readonly requestId: string;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
  /** Policy context: time, network zone, device trust, risk score, purpose. */
  readonly context: Readonly<Record<string, JsonValue>>;
  /** `?explain=true`: a denial tells an admin which conditions failed. */
  readonly explain?: boolean;
  /**
   * Set only by the approvals service (commands/approvals.ts): the approval a dual-control command executes
   * under, sealed as meta.approval (proposer and approver) on every event it writes.
   */
  readonly approval?: ApprovalRef;
}

/** Provenance as eventMeta takes it: the decoded command's (schemas/provenance.ts), or a server-made one. */
export type ProvenanceInput = Pick<Provenance, 'sourceSystem' | 'observedAt'> & Partial<Provenance>;

export interface MetaArgs {
  readonly principal: Principal;
  readonly request: RequestInfo;
  readonly decision: AuthorizationDecision;
  readonly now: string;
  readonly provenance?: ProvenanceInput;
  /** Evidence the server consulted (e.g. the node streams an edge's ends were read from). */
  readonly evidenceRefs?: readonly string[];
  readonly dedupeKey?: string;
  readonly requestDigest?: string;
}

export function eventMeta(a: MetaArgs): EventMeta {
  const p = a.provenance;
  const observedAt = p?.observedAt ?? a.now;
  const meta: EventMeta = {
    actor: { id: a.principal.id, type: a.principal.roles.includes('service') ? 'service' : 'user', authn: a.principal.authn },
    sourceSystem: p?.sourceSystem ?? 'companyos-api',
    observedAt,
    effectiveAt: p?.effectiveAt ?? observedAt,
    reason: p?.reason ?? '',
    evidenceRefs: [...(p?.evidenceRefs ?? []), ...(a.evidenceRefs ?? [])],
    confidence: p?.confidence ?? 1,
    privacyTier: p?.privacyTier ?? 'internal',
    piiFlags: p?.piiFlags ?? [],
    requestId: a.request.requestId,
    correlationId: a.request.correlationId ?? a.request.requestId,
    causationId: a.request.requestId,
    decision: {
      id: a.decision.id,
      policyVersion: a.decision.policyVersion,
      determiningPolicies: a.decision.determiningPolicies,
      // What it saw, so `policy what-if` can ask it again of another set.
      ...(a.decision.input !== undefined ? { input: sealedInput(a.decision.input) } : {}),
    },
  };
  return {
    ...meta,
    ...(p?.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
    ...(p?.ingestionVersion !== undefined ? { ingestionVersion: p.ingestionVersion } : {}),
    ...(a.dedupeKey !== undefined ? { idempotencyKey: a.dedupeKey } : {}),
    ...(a.requestDigest !== undefined ? { requestDigest: a.requestDigest } : {}),
    ...(a.request.approval !== undefined ? { approval: { ...a.request.approval } } : {}),
  };
}

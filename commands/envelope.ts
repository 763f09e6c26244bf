// The envelope every sealed event carries: who (actor from the verified token), why and from where
// (provenance), under which decision, and the request it belongs to.
import type { JsonValue } from '../schemas/json.js';
import type { EventMeta, PrivacyTier } from '../schemas/sealed-event.js';
import type { AuthorizationDecision, Principal } from './authorizer.js';

/** Facts about the HTTP request (or NATS message) a command arrived in. */
export interface RequestInfo {
  readonly requestId: string;
  readonly correlationId?: string;
  readonly idempotencyKey?: string;
  /** Policy context: time, network zone, device trust, risk score, purpose. */
  readonly context: Readonly<Record<string, JsonValue>>;
}

/** The client's part of the provenance envelope (seed §1.1); the server adds actor, tenant and seal. */
export interface ProvenanceInput {
  readonly sourceSystem: string;
  readonly observedAt: string;
  readonly effectiveAt?: string;
  readonly expiresAt?: string;
  readonly reason?: string;
  readonly evidenceRefs?: readonly string[];
  readonly confidence?: number;
  readonly privacyTier?: PrivacyTier;
  readonly piiFlags?: readonly string[];
  readonly ingestionVersion?: string;
}

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
    actor: { id: a.principal.id, type: a.principal.roles.includes('service') ? 'service' : 'user', authn: 'jwt' },
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
    decision: { id: a.decision.id, policyVersion: a.decision.policyVersion, determiningPolicies: a.decision.determiningPolicies },
  };
  return {
    ...meta,
    ...(p?.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
    ...(p?.ingestionVersion !== undefined ? { ingestionVersion: p.ingestionVersion } : {}),
    ...(a.dedupeKey !== undefined ? { idempotencyKey: a.dedupeKey } : {}),
    ...(a.requestDigest !== undefined ? { requestDigest: a.requestDigest } : {}),
  };
}

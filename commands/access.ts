// Authorization with a record: every decision goes through the Authorizer, and every denial is sealed
// as an `access.denied` event on the tenant's audit stream before the caller hears 403 (or, when only a
// fresher or stronger login is missing, 401 with what RFC 9470's challenge asks for: max_age, acr_values).
// With `?explain=true` an admin's denial also lists the policies in scope and which conditions failed.
import type { Keyring } from '../ledger/index.js';
import type { EventLog } from '../adapters/event-log/index.js';
import type { EventBody } from '../schemas/event-body.js';
import { auditStream } from '../schemas/streams.js';
import type { AuthorizationDecision, AuthorizationRequest, Authorizer } from './authorizer.js';
import { withDecisionContext } from './decision-context.js';
import { eventMeta, type RequestInfo } from './envelope.js';
import { failure, type Failure } from './failure.js';
import { appendSealed, readTail, retryOnConflict, sealOntoTail, type RetryPolicy } from './stream-writer.js';

export interface AccessDeps {
  readonly log: EventLog;
  readonly keyring: Keyring;
  readonly authorizer: Authorizer;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** The audit stream is shared by a whole tenant, so denials contend; retry generously. */
  readonly auditRetry: RetryPolicy;
  /** COMPANYOS_TENANT_REGIONS: tenant → the regions it is sovereign to (commands/decision-context.ts). */
  readonly tenantRegions?: Readonly<Record<string, readonly string[]>>;
}

export type AccessResult =
  | { readonly allowed: true; readonly decision: AuthorizationDecision }
  | { readonly allowed: false; readonly failure: Failure };

export async function authorize(deps: AccessDeps, asked: AuthorizationRequest, info: RequestInfo): Promise<AccessResult> {
  const request = withDecisionContext(asked, deps);
  const decision = deps.authorizer.authorize(request, deps.newId());
  if (decision.allowed) return { allowed: true, decision };
  return { allowed: false, failure: await denial(deps, request, info, decision) };
}

/** Records a denial and says what it is: 401 step-up or 403, with the conditions when an admin asked. */
export async function denial(deps: AccessDeps, request: AuthorizationRequest, info: RequestInfo, decision: AuthorizationDecision): Promise<Failure> {
  const explanation = explain(request, decision);
  const recorded = await recordDenial(deps, request, info, decision, explanation);
  const conditions = info.explain === true && request.principal.roles.includes('admin') ? deps.authorizer.conditions?.(request) : undefined;
  const purpose = request.context['purpose'];
  const extensions = {
    decisionId: decision.id,
    policyVersion: decision.policyVersion,
    determiningPolicies: decision.determiningPolicies,
    auditEventId: recorded,
    ...(typeof purpose === 'string' ? { purpose } : {}),
    ...(conditions !== undefined ? { conditions } : {}),
  };
  if (decision.stepUp === undefined) return failure('forbidden', explanation, extensions);
  return failure('insufficient-user-authentication', explanation, {
    ...extensions,
    ...(decision.stepUp.maxAge !== undefined ? { maxAge: decision.stepUp.maxAge } : {}),
    ...(decision.stepUp.acrValues !== undefined ? { acrValues: decision.stepUp.acrValues } : {}),
  });
}

/** Adds the concrete values to the policy's reason so the caller can see what to change. */
export function explain(request: AuthorizationRequest, decision: AuthorizationDecision): string {
  const facts: string[] = [];
  if (decision.determiningPolicies.includes('write-region-match')) {
    facts.push(`token region ${request.principal.region ?? '(none)'}, resource region ${String(request.resource.attributes['region'] ?? '(none)')}`);
  }
  if (decision.stepUp !== undefined) {
    const age = request.context['authAge'];
    facts.push(`authenticated ${typeof age === 'number' ? `${age} s ago` : 'at an unknown time (no auth_time)'}, acr ${request.principal.acr ?? '(none)'}`);
  }
  if (decision.determiningPolicies.includes('tenant-residency')) {
    const r = request.context['residency'] as { regions?: string[]; region?: string } | undefined;
    facts.push(`request region ${r?.region ?? '(none)'}, tenant regions ${(r?.regions ?? []).join(', ')}`);
  }
  if (decision.determiningPolicies.includes('tenant-isolation')) {
    facts.push(`token tenant ${request.principal.tenant}, resource tenant ${String(request.resource.attributes['tenant'] ?? '(none)')}`);
  }
  return facts.length === 0 ? decision.explanation : `${decision.explanation} (${facts.join('; ')})`;
}

/** Seals the denial onto the denied principal's tenant audit stream; returns the event id. */
function recordDenial(
  deps: AccessDeps,
  request: AuthorizationRequest,
  info: RequestInfo,
  decision: AuthorizationDecision,
  explanation: string,
): Promise<string> {
  const { principal, resource } = request;
  return sealOnAuditStream(deps, request, info, decision, decision.explanation, {
    type: 'access.denied',
    schemaVersion: 1,
    data: {
      action: request.action,
      resource: { type: resource.type, id: resource.id },
      principal: { id: principal.id, roles: [...principal.roles], ...(principal.region ? { region: principal.region } : {}) },
      explanation,
      ...(typeof request.context['purpose'] === 'string' ? { purpose: request.context['purpose'] } : {}),
    },
  });
}

/**
 * Seals one event about an access (a denial, or a view of evidence) onto the principal's tenant audit
 * stream, under the decision that answered it; returns the event id. The stream is the whole tenant's, so
 * conflicts are retried (deps.auditRetry).
 */
export async function sealOnAuditStream(
  deps: AccessDeps,
  request: AuthorizationRequest,
  info: RequestInfo,
  decision: AuthorizationDecision,
  reason: string,
  body: EventBody,
): Promise<string> {
  const { principal, resource } = request;
  const tenant = principal.tenant;
  const stream = auditStream(tenant);
  const resourceRegion = resource.attributes['region'];
  const region = typeof resourceRegion === 'string' ? resourceRegion : principal.region ?? 'global';
  const id = deps.newId();
  await retryOnConflict(stream, deps.auditRetry, async () => {
    const now = deps.clock().toISOString();
    const tail = await readTail(deps.log, stream);
    const sealed = sealOntoTail(
      {
        stream,
        tail,
        ids: [id],
        tenant,
        region,
        sealedAt: now,
        meta: eventMeta({ principal, request: info, decision, now, provenance: { sourceSystem: 'companyos-api', observedAt: now, reason } }),
        bodies: [body],
      },
      deps.keyring.active,
    );
    await appendSealed(deps.log, tail, sealed);
  });
  return id;
}

// What a decision sees beyond the token and the resource: facts of this request that policies test, added
// to the Cedar context on every path (commands and preflight in pipeline.ts, reads in access.ts).
// - authAge (seconds since the token's auth_time), acr and amr: for step-up policies (RFC 9470);
// - purpose: the X-Purpose header (already in the context) or else the token's `purpose` claim;
// - residency: for a tenant the operator made sovereign to a set of regions (COMPANYOS_TENANT_REGIONS),
//   those regions and the request's region: a write's is the resource's region (where the data lands), a
//   read's the token's region (where the data goes). A request with no region has none to match.
import type { JsonValue } from '../schemas/json.js';
import type { AuthorizationRequest } from './authorizer.js';

export interface DecisionContextOptions {
  readonly clock: () => Date;
  /** Tenant → the regions it is sovereign to; a tenant not listed has no residency rule. */
  readonly tenantRegions?: Readonly<Record<string, readonly string[]>>;
}

/** The request as Cedar is asked it: its context with the facts above. */
export const withDecisionContext = (request: AuthorizationRequest, options: DecisionContextOptions): AuthorizationRequest => ({
  ...request,
  context: decisionContext(request, options),
});

/** The request's context with the facts above added (what a caller put there first wins, except residency). */
export function decisionContext(request: AuthorizationRequest, options: DecisionContextOptions): Readonly<Record<string, JsonValue>> {
  const { principal, resource } = request;
  const added: Record<string, JsonValue> = {};
  if (principal.authTime !== undefined) added['authAge'] = Math.max(0, Math.floor(options.clock().getTime() / 1000) - principal.authTime);
  if (principal.acr !== undefined) added['acr'] = principal.acr;
  if (principal.amr !== undefined) added['amr'] = [...principal.amr];
  if (principal.purpose !== undefined) added['purpose'] = principal.purpose;
  const context: Record<string, JsonValue> = { ...added, ...request.context };
  const owner = resource.attributes['tenant'];
  const regions = typeof owner === 'string' ? options.tenantRegions?.[owner] : undefined;
  if (regions !== undefined) {
    const resourceRegion = resource.attributes['region'];
    const region = typeof resourceRegion === 'string' ? resourceRegion : principal.region;
    context['residency'] = { regions: [...regions], ...(region !== undefined ? { region } : {}) };
  }
  return context;
}

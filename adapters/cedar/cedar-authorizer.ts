// Cedar (cedar-wasm, in process) behind the Authorizer port. Policies are split into parts so each
// keeps its @id as its Cedar policy id; @reason annotations become the explanations callers see.
import { createHash } from 'node:crypto';
// First: V8 aborts on a lazy deoptimization inside an inlined call to cedar-wasm (see the module).
import './js-wasm-calls.js';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthorizationDecision, AuthorizationRequest, Authorizer } from '../../commands/authorizer.js';

const NS = 'CompanyOS';

export class PolicySetError extends Error {
  override readonly name = 'PolicySetError';
}


let preparsedCounter = 0;

export class CedarAuthorizer implements Authorizer {
  readonly policyVersion: string;
  private readonly reasons: ReadonlyMap<string, string>;
  private readonly policySetId: string;

  constructor(policyText: string) {
    this.policyVersion = createHash('sha256').update(policyText).digest('hex');
    const parts = cedar.policySetTextToParts(policyText);
    if (parts.type === 'failure') throw new PolicySetError(describe(parts.errors));
    const reasons = new Map<string, string>();
    const staticPolicies: Record<string, string> = {};
    for (const [i, text] of parts.policies.entries()) {
      const id = /@id\("([^"]+)"\)/.exec(text)?.[1] ?? `policy${i}`;
      if (reasons.has(id)) throw new PolicySetError(`duplicate policy id ${id}`);
      reasons.set(id, /@reason\("([^"]+)"\)/.exec(text)?.[1] ?? id);
      staticPolicies[id] = text;
    }
    this.reasons = reasons;
    this.policySetId = `companyos-${this.policyVersion.slice(0, 16)}-${preparsedCounter++}`;
    const parsed = cedar.preparsePolicySet(this.policySetId, { staticPolicies });
    if (parsed.type === 'failure') throw new PolicySetError(describe(parsed.errors));
  }

  authorize(request: AuthorizationRequest, decisionId: string): AuthorizationDecision {
    const { principal, resource } = request;
    const principalUid = { type: `${NS}::Principal`, id: principal.id };
    const resourceUid = { type: `${NS}::${resource.type}`, id: resource.id };
    const actionUid = { type: `${NS}::Action`, id: request.action };
    const groups = request.actionGroups.map((id) => ({ type: `${NS}::Action`, id }));
    // `id` lets policies compare the principal with the resource (e.g. no self-approval of one's own run).
    const principalAttrs: Record<string, cedar.CedarValueJson> = { id: principal.id, tenant: principal.tenant, roles: [...principal.roles] };
    if (principal.region !== undefined) principalAttrs['region'] = principal.region;
    if (principal.authTime !== undefined) principalAttrs['authTime'] = principal.authTime;
    const entities: cedar.EntityJson[] = [
      { uid: principalUid, attrs: principalAttrs, parents: [] },
      { uid: resourceUid, attrs: resource.attributes as Record<string, cedar.CedarValueJson>, parents: [] },
      { uid: actionUid, attrs: {}, parents: groups.slice(0, 1) },
      ...groups.map((g, i) => ({ uid: g, attrs: {}, parents: groups.slice(i + 1, i + 2) })),
    ];
    const answer = cedar.statefulIsAuthorized({
      principal: principalUid,
      action: actionUid,
      resource: resourceUid,
      context: request.context as Record<string, cedar.CedarValueJson>,
      preparsedPolicySetId: this.policySetId,
      entities,
    });
    if (answer.type === 'failure') {
      // An evaluation failure is a denial: deny by default, and say why.
      return this.decision(decisionId, false, [], `policy evaluation failed: ${describe(answer.errors)}`);
    }
    const allowed = answer.response.decision === 'allow';
    const determining = answer.response.diagnostics.reason;
    const reasons = determining.map((id) => this.reasons.get(id) ?? id);
    const explanation = allowed
      ? `allowed: ${reasons.join('; ')}`
      : determining.length > 0
        ? `denied: ${reasons.join('; ')}`
        : `denied: no policy permits roles [${principal.roles.join(', ')}] to ${request.action} on ${resource.type} ${resource.id}`;
    return this.decision(decisionId, allowed, determining, explanation);
  }

  private decision(id: string, allowed: boolean, determiningPolicies: readonly string[], explanation: string): AuthorizationDecision {
    return { id, allowed, policyVersion: this.policyVersion, determiningPolicies, explanation };
  }
}

function describe(errors: readonly cedar.DetailedError[]): string {
  return errors.map((e) => e.message).join('; ');
}

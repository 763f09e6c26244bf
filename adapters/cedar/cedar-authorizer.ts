// Cedar (cedar-wasm, in process) behind the Authorizer port. Policies are split into parts so each
// keeps its @id as its Cedar policy id; @reason annotations become the explanations callers see.
// A forbid marked @stepUpMaxAge("<seconds>") and/or @stepUpAcr("<acr> ...") asks for a fresher or stronger
// login: a denial by such policies alone carries `stepUp`, which the HTTP edge answers per RFC 9470.
import { createHash } from 'node:crypto';
// First: V8 aborts on a lazy deoptimization inside an inlined call to cedar-wasm (see the module).
import './js-wasm-calls.js';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthorizationDecision, AuthorizationRequest, Authorizer, PolicyConditions, StepUp } from '../../commands/authorizer.js';
import { policyConditions, type CedarQuery, type ParsedPolicy } from './policy-conditions.js';

const NS = 'CompanyOS';

export class PolicySetError extends Error {
  override readonly name = 'PolicySetError';
}


let preparsedCounter = 0;

export class CedarAuthorizer implements Authorizer {
  readonly policyVersion: string;
  private readonly reasons: ReadonlyMap<string, string>;
  private readonly stepUps: ReadonlyMap<string, StepUp>;
  private readonly texts: Readonly<Record<string, string>>;
  private parsed: readonly ParsedPolicy[] | undefined;
  private readonly policySetId: string;

  constructor(policyText: string) {
    this.policyVersion = createHash('sha256').update(policyText).digest('hex');
    const parts = cedar.policySetTextToParts(policyText);
    if (parts.type === 'failure') throw new PolicySetError(describe(parts.errors));
    const reasons = new Map<string, string>();
    const stepUps = new Map<string, StepUp>();
    const staticPolicies: Record<string, string> = {};
    for (const [i, text] of parts.policies.entries()) {
      const id = /@id\("([^"]+)"\)/.exec(text)?.[1] ?? `policy${i}`;
      if (reasons.has(id)) throw new PolicySetError(`duplicate policy id ${id}`);
      reasons.set(id, /@reason\("([^"]+)"\)/.exec(text)?.[1] ?? id);
      const stepUp = stepUpOf(id, text);
      if (stepUp !== undefined) stepUps.set(id, stepUp);
      staticPolicies[id] = text;
    }
    this.reasons = reasons;
    this.stepUps = stepUps;
    this.texts = staticPolicies;
    this.policySetId = `companyos-${this.policyVersion.slice(0, 16)}-${preparsedCounter++}`;
    const parsed = cedar.preparsePolicySet(this.policySetId, { staticPolicies });
    if (parsed.type === 'failure') throw new PolicySetError(describe(parsed.errors));
    // The set without its step-up policies: would a new login be enough, or is it denied anyway?
    if (stepUps.size > 0) {
      const rest = Object.fromEntries(Object.entries(staticPolicies).filter(([id]) => !stepUps.has(id)));
      const sans = cedar.preparsePolicySet(`${this.policySetId}-sans-step-up`, { staticPolicies: rest });
      if (sans.type === 'failure') throw new PolicySetError(describe(sans.errors));
    }
  }

  authorize(request: AuthorizationRequest, decisionId: string): AuthorizationDecision {
    const { principal, resource } = request;
    const q = cedarQuery(request);
    const answer = cedar.statefulIsAuthorized({ ...q, preparsedPolicySetId: this.policySetId });
    if (answer.type === 'failure') {
      // An evaluation failure is a denial: deny by default, and say why.
      return this.decision(request, decisionId, false, [], `policy evaluation failed: ${describe(answer.errors)}`);
    }
    const allowed = answer.response.decision === 'allow';
    const determining = answer.response.diagnostics.reason;
    const reasons = determining.map((id) => this.reasons.get(id) ?? id);
    const explanation = allowed
      ? `allowed: ${reasons.join('; ')}`
      : determining.length > 0
        ? `denied: ${reasons.join('; ')}`
        : `denied: no policy permits roles [${principal.roles.join(', ')}] to ${request.action} on ${resource.type} ${resource.id}`;
    const decision = this.decision(request, decisionId, allowed, determining, explanation);
    // Only when a new login is all that stands in the way: another forbid (or no permit) is a 403.
    if (allowed || determining.length === 0 || !determining.every((id) => this.stepUps.has(id))) return decision;
    const sans = cedar.statefulIsAuthorized({ ...q, preparsedPolicySetId: `${this.policySetId}-sans-step-up` });
    if (sans.type === 'failure' || sans.response.decision !== 'allow') return decision;
    return { ...decision, stepUp: mergeStepUps(determining.map((id) => this.stepUps.get(id)!)) };
  }

  /** Every policy whose scope matches the request, each condition evaluated alone (policy-conditions.ts). */
  conditions(request: AuthorizationRequest): readonly PolicyConditions[] {
    this.parsed ??= Object.entries(this.texts).map(([id, text]) => {
      const json = cedar.policyToJson(text);
      if (json.type === 'failure') throw new PolicySetError(describe(json.errors));
      return { id, reason: this.reasons.get(id) ?? id, json: json.json };
    });
    return policyConditions(this.parsed, cedarQuery(request));
  }

  private decision(input: AuthorizationRequest, id: string, allowed: boolean, determiningPolicies: readonly string[], explanation: string): AuthorizationDecision {
    return { id, allowed, policyVersion: this.policyVersion, determiningPolicies, explanation, input };
  }
}

/** The Cedar request of an authorization request: its entities (principal, resource, action and groups) and context. */
function cedarQuery(request: AuthorizationRequest): CedarQuery {
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
  return { principal: principalUid, action: actionUid, resource: resourceUid, context: request.context as Record<string, cedar.CedarValueJson>, entities };
}

/** A policy's step-up marks; a mark that is not a positive whole number of seconds or a list of acr values is refused. */
function stepUpOf(id: string, text: string): StepUp | undefined {
  const maxAge = /@stepUpMaxAge\("([^"]*)"\)/.exec(text)?.[1];
  const acr = /@stepUpAcr\("([^"]*)"\)/.exec(text)?.[1];
  if (maxAge === undefined && acr === undefined) return undefined;
  if (maxAge !== undefined && !/^[1-9]\d{0,8}$/.test(maxAge)) throw new PolicySetError(`policy ${id}: @stepUpMaxAge must be a number of seconds, not "${maxAge}"`);
  const acrValues = acr?.split(/\s+/).filter((v) => v !== '');
  if (acrValues !== undefined && (acrValues.length === 0 || acrValues.some((v) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(v)))) {
    throw new PolicySetError(`policy ${id}: @stepUpAcr must list acr values separated by spaces, not "${acr}"`);
  }
  return { ...(maxAge !== undefined ? { maxAge: Number(maxAge) } : {}), ...(acrValues !== undefined ? { acrValues } : {}) };
}

/** Several step-up denials at once: the shortest max_age, and the acr values every one of them accepts (else the first's). */
function mergeStepUps(all: readonly StepUp[]): StepUp {
  const ages = all.flatMap((s) => (s.maxAge === undefined ? [] : [s.maxAge]));
  const lists = all.flatMap((s) => (s.acrValues === undefined ? [] : [s.acrValues]));
  const common = lists.length === 0 ? undefined : lists.reduce((a, b) => a.filter((v) => b.includes(v)));
  const acrValues = common === undefined ? undefined : common.length > 0 ? common : lists[0]!;
  return { ...(ages.length > 0 ? { maxAge: Math.min(...ages) } : {}), ...(acrValues !== undefined ? { acrValues } : {}) };
}

function describe(errors: readonly cedar.DetailedError[]): string {
  return errors.map((e) => e.message).join('; ');
}

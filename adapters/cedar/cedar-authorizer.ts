// Cedar (cedar-wasm, in process) behind the Authorizer port. Policies are split into parts so each
// keeps its @id as its Cedar policy id; @reason annotations become the explanations callers see.
// A forbid marked @stepUpMaxAge("<seconds>") and/or @stepUpAcr("<acr> ...") asks for a fresher or stronger
// login: a denial by such policies alone carries `stepUp`, which the HTTP edge answers per RFC 9470.
//
// Per decision, Cedar is asked only the slice of the set whose action scope can match the action (prepared
// once per action and version), with only the attributes those policies read (policy-reads.ts); the
// outcome is cached under the canonical form of exactly that (decision-cache.ts), so the same question is
// not asked twice of one version. The decision id, input and explanation are still made per request.
import { createHash } from 'node:crypto';
// First: V8 aborts on a lazy deoptimization inside an inlined call to cedar-wasm (see the module).
import './js-wasm-calls.js';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthorizationDecision, AuthorizationRequest, Authorizer, PolicyConditions, StepUp } from '../../commands/authorizer.js';
import { canonicalize } from '../../ledger/canonical-json.js';
import type { JsonValue } from '../../schemas/json.js';
import { DecisionCache, decisionCacheEntries } from './decision-cache.js';
import { policyConditions, type CedarQuery, type ParsedPolicy } from './policy-conditions.js';
import { actionScopeMatches, mergeReads, policyReads, type AttributeReads, type PolicyReads } from './policy-reads.js';

const NS = 'CompanyOS';

export class PolicySetError extends Error {
  override readonly name = 'PolicySetError';
}


let preparsedCounter = 0;

export interface CedarAuthorizerOptions {
  /** Ask each action's slice of the set with only what it reads (default), or the whole set with everything. */
  readonly slicing?: boolean;
  /** Outcomes cached for this version; 0: none. Default: COMPANYOS_DECISION_CACHE, else 10000. Needs slicing. */
  readonly cacheEntries?: number;
}

/** What Cedar answered, without what is made per request (id, input, explanation). */
interface Outcome {
  readonly allowed: boolean;
  readonly determining: readonly string[];
  readonly stepUp?: StepUp;
}

/** The policies that can apply to one action, prepared in cedar-wasm, and what they read. */
interface Slice {
  readonly key: string;
  readonly setId: string;
  /** The slice without its step-up policies; undefined when it has none. */
  readonly sansStepUpId: string | undefined;
  readonly reads: PolicyReads;
}

export class CedarAuthorizer implements Authorizer {
  readonly policyVersion: string;
  private readonly reasons: ReadonlyMap<string, string>;
  private readonly stepUps: ReadonlyMap<string, StepUp>;
  private readonly texts: Readonly<Record<string, string>>;
  /** Each policy's position in the set: determining policies are listed in the order they are written. */
  private readonly order: ReadonlyMap<string, number>;
  private parsed: readonly ParsedPolicy[] | undefined;
  private readonly policySetId: string;
  private readonly slicing: boolean;
  private readonly slices = new Map<string, Slice>();
  private readonly cache: DecisionCache<Outcome>;

  constructor(policyText: string, options: CedarAuthorizerOptions = {}) {
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
    this.order = new Map(Object.keys(staticPolicies).map((id, i) => [id, i]));
    this.slicing = options.slicing ?? true;
    this.cache = new DecisionCache(this.slicing ? (options.cacheEntries ?? decisionCacheEntries()) : 0);
    this.policySetId = `companyos-${this.policyVersion.slice(0, 16)}-${preparsedCounter++}`;
    const parsed = cedar.preparsePolicySet(this.policySetId, { staticPolicies });
    if (parsed.type === 'failure') throw new PolicySetError(describe(parsed.errors));
    // The set without its step-up policies: would a new login be enough, or is it denied anyway?
    if (stepUps.size > 0) {
      const rest = Object.fromEntries(Object.entries(staticPolicies).filter(([id]) => !stepUps.has(id)));
      const sans = cedar.preparsePolicySet(`${this.policySetId}-sans-step-up`, { staticPolicies: rest });
      if (sans.type === 'failure') throw new PolicySetError(describe(sans.errors));
    }
    if (this.slicing) this.parsedPolicies();
  }

  authorize(request: AuthorizationRequest, decisionId: string): AuthorizationDecision {
    if (!this.slicing) return this.decision(request, decisionId, this.evaluate(cedarQuery(request), this.policySetId, this.stepUps.size > 0 ? `${this.policySetId}-sans-step-up` : undefined));
    const slice = this.slice(request.action, request.actionGroups);
    const asked = slicedQuery(request, slice);
    if (asked === undefined) return this.decision(request, decisionId, this.evaluate(cedarQuery(request), slice.setId, slice.sansStepUpId));
    const key = `${slice.key}\n${asked.key}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return this.decision(request, decisionId, cached);
    const outcome = this.evaluate(asked.query(), slice.setId, slice.sansStepUpId);
    // A failure is told with what Cedar says of the whole request, and is not kept.
    if (typeof outcome === 'string') return this.decision(request, decisionId, this.evaluate(cedarQuery(request), slice.setId, slice.sansStepUpId));
    this.cache.set(key, outcome);
    return this.decision(request, decisionId, outcome);
  }

  /** Every policy whose scope matches the request, each condition evaluated alone (policy-conditions.ts). */
  conditions(request: AuthorizationRequest): readonly PolicyConditions[] {
    return policyConditions(this.parsedPolicies(), cedarQuery(request));
  }

  private parsedPolicies(): readonly ParsedPolicy[] {
    this.parsed ??= Object.entries(this.texts).map(([id, text]) => {
      const json = cedar.policyToJson(text);
      if (json.type === 'failure') throw new PolicySetError(describe(json.errors));
      return { id, reason: this.reasons.get(id) ?? id, json: json.json };
    });
    return this.parsed;
  }

  /**
   * The policies whose action scope can match the action, prepared once per action. Their action scopes
   * become `action` (all): each is known to match, so the action's entities are passed only when a
   * condition looks at the action.
   */
  private slice(action: string, groups: readonly string[]): Slice {
    const key = JSON.stringify([action, groups]);
    const known = this.slices.get(key);
    if (known !== undefined) return known;
    const policies = this.parsedPolicies().filter((p) => actionScopeMatches(p.json.action, action, groups));
    const setId = `${this.policySetId}-slice-${this.slices.size}`;
    const prepare = (id: string, members: readonly ParsedPolicy[]) => {
      const staticPolicies = Object.fromEntries(members.map((p) => [p.id, { ...p.json, action: { op: 'All' as const } }]));
      const prepared = cedar.preparsePolicySet(id, { staticPolicies });
      if (prepared.type === 'failure') throw new PolicySetError(describe(prepared.errors));
    };
    prepare(setId, policies);
    const hasStepUp = policies.some((p) => this.stepUps.has(p.id));
    if (hasStepUp) prepare(`${setId}-sans-step-up`, policies.filter((p) => !this.stepUps.has(p.id)));
    const slice: Slice = { key, setId, sansStepUpId: hasStepUp ? `${setId}-sans-step-up` : undefined, reads: mergeReads(policies.map((p) => policyReads(p.json))) };
    this.slices.set(key, slice);
    return slice;
  }

  /** Cedar's answer from a prepared set; a string when evaluation failed (why). */
  private evaluate(query: CedarQuery, setId: string, sansStepUpId: string | undefined): Outcome | string {
    const answer = cedar.statefulIsAuthorized({ ...query, preparsedPolicySetId: setId });
    if (answer.type === 'failure') return describe(answer.errors);
    const allowed = answer.response.decision === 'allow';
    // Cedar reports them in a hash set's order, which changes with the set's composition: written order instead.
    const determining = [...answer.response.diagnostics.reason].sort((a, b) => (this.order.get(a) ?? 0) - (this.order.get(b) ?? 0));
    // Only when a new login is all that stands in the way: another forbid (or no permit) is a 403.
    if (allowed || determining.length === 0 || sansStepUpId === undefined || !determining.every((id) => this.stepUps.has(id))) return { allowed, determining };
    const sans = cedar.statefulIsAuthorized({ ...query, preparsedPolicySetId: sansStepUpId });
    if (sans.type === 'failure' || sans.response.decision !== 'allow') return { allowed, determining };
    return { allowed, determining, stepUp: mergeStepUps(determining.map((id) => this.stepUps.get(id)!)) };
  }

  private decision(input: AuthorizationRequest, id: string, outcome: Outcome | string): AuthorizationDecision {
    const { principal, resource } = input;
    if (typeof outcome === 'string') {
      // An evaluation failure is a denial: deny by default, and say why.
      return { id, allowed: false, policyVersion: this.policyVersion, determiningPolicies: [], explanation: `policy evaluation failed: ${outcome}`, input };
    }
    const { allowed, determining, stepUp } = outcome;
    const reasons = determining.map((p) => this.reasons.get(p) ?? p);
    const explanation = allowed
      ? `allowed: ${reasons.join('; ')}`
      : determining.length > 0
        ? `denied: ${reasons.join('; ')}`
        : `denied: no policy permits roles [${principal.roles.join(', ')}] to ${input.action} on ${resource.type} ${resource.id}`;
    return { id, allowed, policyVersion: this.policyVersion, determiningPolicies: determining, explanation, input, ...(stepUp !== undefined ? { stepUp } : {}) };
  }
}

/** The principal's attributes as Cedar sees them. `id` lets policies compare the principal with the resource. */
function principalAttributes(principal: AuthorizationRequest['principal']): Record<string, cedar.CedarValueJson> {
  const attrs: Record<string, cedar.CedarValueJson> = { id: principal.id, tenant: principal.tenant, roles: [...principal.roles] };
  if (principal.region !== undefined) attrs['region'] = principal.region;
  if (principal.authTime !== undefined) attrs['authTime'] = principal.authTime;
  return attrs;
}

/** The Cedar request of an authorization request: its entities (principal, resource, action and groups) and context. */
function cedarQuery(request: AuthorizationRequest): CedarQuery {
  const { principal, resource } = request;
  const principalUid = { type: `${NS}::Principal`, id: principal.id };
  const resourceUid = { type: `${NS}::${resource.type}`, id: resource.id };
  const actionUid = { type: `${NS}::Action`, id: request.action };
  const groups = request.actionGroups.map((id) => ({ type: `${NS}::Action`, id }));
  const entities: cedar.EntityJson[] = [
    { uid: principalUid, attrs: principalAttributes(principal), parents: [] },
    { uid: resourceUid, attrs: resource.attributes as Record<string, cedar.CedarValueJson>, parents: [] },
    { uid: actionUid, attrs: {}, parents: groups.slice(0, 1) },
    ...groups.map((g, i) => ({ uid: g, attrs: {}, parents: groups.slice(i + 1, i + 2) })),
  ];
  return { principal: principalUid, action: actionUid, resource: resourceUid, context: request.context as Record<string, cedar.CedarValueJson>, entities };
}

/** Stands in for an id no policy of the slice can see, so one cached outcome serves every id. */
const UNSEEN_ID = '';

/**
 * The Cedar request a slice is asked: only the attributes and context its policies read, the principal's
 * and resource's ids only when one compares them, the action's entities only when a condition looks at the
 * action; and its canonical form (the cache key). Undefined when a value holds one of Cedar's escapes
 * (`__entity`, `__extn`, `__expr`), which could name entities or fail to parse: then the whole request is asked.
 */
function slicedQuery(request: AuthorizationRequest, slice: Slice): { readonly query: () => CedarQuery; readonly key: string } | undefined {
  const { principal, resource } = request;
  const { reads } = slice;
  if (holdsEscape(resource.attributes) || holdsEscape(request.context)) return undefined;
  const principalUid = { type: `${NS}::Principal`, id: reads.principalIdentity ? principal.id : UNSEEN_ID };
  const resourceUid = { type: `${NS}::${resource.type}`, id: reads.resourceIdentity ? resource.id : UNSEEN_ID };
  if (principalUid.type === resourceUid.type && principalUid.id === resourceUid.id) return undefined;
  const principalAttrs = pick(principalAttributes(principal), reads.principal);
  const resourceAttrs = pick(resource.attributes, reads.resource);
  const context = pick(request.context, reads.context);
  let key: string;
  try {
    key = canonicalize([principalUid.id, resource.type, resourceUid.id, principalAttrs, resourceAttrs, context]);
  } catch {
    return undefined; // not JSON (cannot be keyed): asked whole, uncached
  }
  // Built only on a miss: a hit needs the key alone.
  const query = (): CedarQuery => {
    const actionUid = { type: `${NS}::Action`, id: request.action };
    const entities: cedar.EntityJson[] = [
      { uid: principalUid, attrs: principalAttrs as Record<string, cedar.CedarValueJson>, parents: [] },
      { uid: resourceUid, attrs: resourceAttrs as Record<string, cedar.CedarValueJson>, parents: [] },
    ];
    if (reads.action) {
      const groups = request.actionGroups.map((id) => ({ type: `${NS}::Action`, id }));
      entities.push({ uid: actionUid, attrs: {}, parents: groups.slice(0, 1) }, ...groups.map((g, i) => ({ uid: g, attrs: {}, parents: groups.slice(i + 1, i + 2) })));
    }
    return { principal: principalUid, action: actionUid, resource: resourceUid, context: context as Record<string, cedar.CedarValueJson>, entities };
  };
  return { query, key };
}

/** The named attributes of a record (all of them for 'all'). */
function pick(attrs: Readonly<Record<string, JsonValue | cedar.CedarValueJson>>, names: AttributeReads): Record<string, JsonValue> {
  if (names === 'all') return attrs as Record<string, JsonValue>;
  const out: Record<string, JsonValue> = {};
  for (const name of names) if (Object.hasOwn(attrs, name) && attrs[name] !== undefined) out[name] = attrs[name] as JsonValue;
  return out;
}

/** Whether a JSON value holds a Cedar JSON escape at any depth. */
function holdsEscape(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsEscape);
  if (value === null || typeof value !== 'object') return false;
  for (const k in value) {
    if (k === '__entity' || k === '__extn' || k === '__expr') return true;
    if (holdsEscape((value as Record<string, unknown>)[k])) return true;
  }
  return false;
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

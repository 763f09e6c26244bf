// What a Cedar policy can see of a request, read from its JSON form (cedar.policyToJson): which actions its
// scope can match, and which attributes of the principal, the resource and the context its conditions read.
// The authorizer uses it to ask Cedar only the policies that can apply to an action, with only what those
// policies read, and to key its decision cache by exactly that (cedar-authorizer.ts). Conservative
// throughout: anything this module does not recognise counts as reading everything.
import type * as cedar from '@cedar-policy/cedar-wasm/nodejs';

/** Attribute names read, or 'all' when the whole variable (or something this module cannot follow) is read. */
export type AttributeReads = Set<string> | 'all';

export interface PolicyReads {
  readonly principal: AttributeReads;
  readonly resource: AttributeReads;
  readonly context: AttributeReads;
  /** The principal or resource is compared or tested as an entity (`==`, `in`, `is`), so its id matters. */
  readonly principalIdentity: boolean;
  readonly resourceIdentity: boolean;
  /** A condition looks at `action` itself, so the action's entities (its groups) must be passed. */
  readonly action: boolean;
}

const ACTION_TYPE = 'CompanyOS::Action';

/** Whether the policy's action scope can match `action` (whose groups are `groups`, most specific first). */
export function actionScopeMatches(scope: cedar.ActionConstraint, action: string, groups: readonly string[]): boolean {
  const is = (uid: cedar.EntityUidJson, ids: readonly string[]) => {
    const { type, id } = uidOf(uid);
    return type === ACTION_TYPE && ids.includes(id);
  };
  switch (scope.op) {
    case 'All':
      return true;
    case '==':
      return 'entity' in scope ? is(scope.entity, [action]) : true;
    case 'in':
      // `action in X` holds when X is the action or one of its groups (the request's hierarchy is that chain).
      if ('entity' in scope) return is(scope.entity, [action, ...groups]);
      return scope.entities.some((uid) => is(uid, [action, ...groups]));
    default:
      return true;
  }
}

/** The type and id of an entity uid, in either of Cedar's JSON spellings (with or without `__entity`). */
function uidOf(uid: cedar.EntityUidJson): { type: string; id: string } {
  const u = uid as { type?: string; id?: string; __entity?: { type: string; id: string } };
  return u.__entity ?? { type: u.type ?? '', id: u.id ?? '' };
}

/** What one policy reads: its principal and resource scopes, and every variable use in its conditions. */
export function policyReads(policy: cedar.PolicyJson): PolicyReads {
  const reads = {
    principal: new Set<string>() as AttributeReads,
    resource: new Set<string>() as AttributeReads,
    context: new Set<string>() as AttributeReads,
    principalIdentity: scopeNamesEntity(policy.principal),
    resourceIdentity: scopeNamesEntity(policy.resource),
    action: false,
  };
  const add = (variable: 'principal' | 'resource' | 'context', attr: string | undefined) => {
    const set = reads[variable];
    if (set === 'all') return;
    if (attr === undefined) reads[variable] = 'all';
    else set.add(attr);
  };
  const wholeVariable = (name: unknown) => {
    if (name === 'principal') reads.principalIdentity = true;
    else if (name === 'resource') reads.resourceIdentity = true;
    else if (name === 'action') reads.action = true;
    else if (name === 'context') add('context', undefined);
    else everything();
  };
  const everything = () => {
    reads.principal = 'all';
    reads.resource = 'all';
    reads.context = 'all';
    reads.principalIdentity = true;
    reads.resourceIdentity = true;
    reads.action = true;
  };
  const visit = (expr: unknown): void => {
    if (Array.isArray(expr)) return expr.forEach(visit);
    if (expr === null || typeof expr !== 'object') return;
    const keys = Object.keys(expr);
    if (keys.length !== 1) return keys.forEach((k) => visit((expr as Record<string, unknown>)[k]));
    const op = keys[0]!;
    const body = (expr as Record<string, unknown>)[op];
    switch (op) {
      case 'Value':
        return; // a literal: reads nothing of the request
      case 'Var':
        return wholeVariable(body);
      case 'Slot':
      case 'Unknown':
        return everything();
      case 'Record':
        // Its keys are names chosen by the author, not operators: only its values are expressions.
        if (body !== null && typeof body === 'object') Object.values(body).forEach(visit);
        return;
      case '.':
      case 'has': {
        const { left, attr } = body as { left: unknown; attr: string | readonly string[] };
        const path: readonly unknown[] = Array.isArray(attr) ? attr : [attr];
        if (path.length === 0 || path.some((a) => typeof a !== 'string')) return everything();
        const v = (left as { Var?: unknown } | null)?.Var;
        const onVariable = v === 'principal' || v === 'resource' || v === 'context';
        if (onVariable) add(v, path[0] as string);
        // Past the first name (or on something else than a variable): a record's field, or an entity's
        // attribute when an attribute holds an entity: conservatively, either entity's attribute.
        for (const a of path.slice(onVariable ? 1 : 0) as string[]) {
          add('principal', a);
          add('resource', a);
        }
        return onVariable ? undefined : visit(left);
      }
      default:
        return visit(body);
    }
  };
  for (const clause of policy.conditions) visit(clause.body);
  return reads;
}

/** Whether a principal or resource scope names an entity (`==`, `in`, `is ... in`), not just all or a type. */
function scopeNamesEntity(scope: cedar.PrincipalConstraint | cedar.ResourceConstraint): boolean {
  if (scope.op === 'All') return false;
  if (scope.op === 'is') return 'in' in scope && scope.in !== undefined;
  return true;
}

/** What a set of policies reads together. */
export function mergeReads(all: readonly PolicyReads[]): PolicyReads {
  const merge = (sets: readonly AttributeReads[]): AttributeReads =>
    sets.some((s) => s === 'all') ? 'all' : new Set(sets.flatMap((s) => [...(s as Set<string>)]));
  return {
    principal: merge(all.map((r) => r.principal)),
    resource: merge(all.map((r) => r.resource)),
    context: merge(all.map((r) => r.context)),
    principalIdentity: all.some((r) => r.principalIdentity),
    resourceIdentity: all.some((r) => r.resourceIdentity),
    action: all.some((r) => r.action),
  };
}

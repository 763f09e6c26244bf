// The golden-decision table of a policy set (commands/policies/golden.json): requests and the decision
// and determining policies each must get. Defaults fill what a case leaves out; `actions` expands a case
// to one per action; a `null` principal or resource attribute removes the default (a token with no region).
import * as t from 'io-ts';
import { JsonObjectC } from './json.js';
import { closedObject } from './validation.js';

const NonEmptyText = new t.Type<string, string, unknown>(
  'non-empty string',
  (u): u is string => typeof u === 'string' && u.length > 0,
  (u, c) => (typeof u === 'string' && u.length > 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

const PrincipalPart = closedObject('GoldenPrincipal', {}, {
  id: NonEmptyText,
  tenant: NonEmptyText,
  region: t.union([NonEmptyText, t.null]),
  roles: t.readonlyArray(t.string),
  authTime: t.union([t.number, t.null]),
});

const ResourcePart = closedObject('GoldenResource', {}, { type: NonEmptyText, id: NonEmptyText, attributes: JsonObjectC });

export const GoldenCase = closedObject(
  'GoldenCase',
  { name: NonEmptyText, expect: t.keyof({ allow: null, deny: null }), determining: t.readonlyArray(NonEmptyText) },
  { action: NonEmptyText, actions: t.readonlyArray(NonEmptyText), principal: PrincipalPart, resource: ResourcePart, context: JsonObjectC },
);
export type GoldenCase = t.TypeOf<typeof GoldenCase>;

export const GoldenFile = closedObject(
  'GoldenFile',
  { cases: t.readonlyArray(GoldenCase) },
  {
    about: t.string,
    defaults: closedObject('GoldenDefaults', {}, { principal: PrincipalPart, resource: ResourcePart, context: JsonObjectC }),
    /** The policy file the cases are for, relative to the golden file (default: default.cedar beside it). */
    policy: NonEmptyText,
  },
);
export type GoldenFile = t.TypeOf<typeof GoldenFile>;


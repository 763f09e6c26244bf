// The digest that identifies a plan version: SHA-256 over the RFC 8785 canonical JSON of its spec,
// so the same spec, whatever its YAML formatting or key order, always has the same digest.
import { createHash } from 'node:crypto';
import type { JsonValue } from '../../schemas/json.js';
import { planJson, type PlanSpec } from '../../schemas/plan.js';

/**
 * RFC 8785 for the values a spec holds. Domain code may not import ledger/, so this is a local copy of
 * the rule: sorted keys (UTF-16 order, which is what Array#sort does) and ECMAScript number and string
 * forms, which JSON.stringify already produces. A test checks it against ledger's canonicalizer.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const o = value as { readonly [k: string]: JsonValue };
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k]!)}`)
    .join(',')}}`;
}

export const planDigest = (spec: PlanSpec): string => createHash('sha256').update(canonicalJson(planJson(spec)), 'utf8').digest('hex');

// Where Maestro's http steps may connect: the egress allow-list (COMPANYOS_EGRESS_ALLOW), its entries and
// the policy it configures. The decision on each connection is adapters/maestro/egress-policy.ts.
import * as t from 'io-ts';
import { isIP } from 'node:net';

/** `*`: any public address; a host name or `*.domain`: that name on a public address; a CIDR or an address: anything in it. */
export type EgressRule =
  | { readonly kind: 'public' }
  | { readonly kind: 'host'; readonly name: string }
  | { readonly kind: 'domain'; readonly suffix: string }
  | { readonly kind: 'cidr'; readonly address: string; readonly prefix: number; readonly family: 'ipv4' | 'ipv6' };

export interface EgressPolicy {
  readonly allow: readonly EgressRule[];
  /** Follow 3xx answers, checking every hop (default false: a redirect is just the answer). */
  readonly followRedirects: boolean;
}

/** Without configuration: any public address, nothing internal, no redirects followed. */
export const DEFAULT_EGRESS: EgressPolicy = Object.freeze({ allow: Object.freeze([{ kind: 'public' } as const]), followRedirects: false });

const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A host name as compared: lower case, without the root's trailing dot (`localhost.` is `localhost`). */
export const normalHost = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** One allow-list entry, or a sentence saying why it is not one. */
export function parseEgressRule(entry: string): EgressRule | string {
  const e = entry.trim();
  if (e === '*') return { kind: 'public' };
  const slash = e.indexOf('/');
  const address = slash < 0 ? e : e.slice(0, slash);
  const version = isIP(address);
  if (version !== 0) {
    const max = version === 4 ? 32 : 128;
    const prefix = slash < 0 ? max : /^\d{1,3}$/.test(e.slice(slash + 1)) ? Number(e.slice(slash + 1)) : NaN;
    if (!(prefix >= 0 && prefix <= max)) return `${JSON.stringify(e)}: the prefix length must be 0-${max}`;
    return { kind: 'cidr', address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
  }
  if (e.startsWith('*.') && HOST.test(normalHost(e.slice(2)))) return { kind: 'domain', suffix: normalHost(e.slice(2)) };
  if (HOST.test(normalHost(e))) return { kind: 'host', name: normalHost(e) };
  return `${JSON.stringify(e)}: expected *, a host name, *.domain, an IP address or a CIDR`;
}

/** COMPANYOS_EGRESS_ALLOW: a comma list of entries, each checked; messages name the entry. */
export const EgressAllow = new t.Type<readonly EgressRule[], string, unknown>(
  'COMPANYOS_EGRESS_ALLOW (comma list of *, host names, *.domain, IP addresses, CIDRs)',
  (u): u is readonly EgressRule[] => Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const parsed = u.split(',').filter((e) => e.trim() !== '').map(parseEgressRule);
    const bad = parsed.filter((p): p is string => typeof p === 'string');
    if (bad.length > 0) return t.failures(bad.map((m) => ({ value: u, context: c, message: `COMPANYOS_EGRESS_ALLOW: ${m}` })));
    return t.success(parsed as EgressRule[]);
  },
  (rules) => rules.map(ruleText).join(','),
);

export const ruleText = (r: EgressRule): string =>
  r.kind === 'public' ? '*' : r.kind === 'host' ? r.name : r.kind === 'domain' ? `*.${r.suffix}` : `${r.address}/${r.prefix}`;

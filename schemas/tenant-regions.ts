// COMPANYOS_TENANT_REGIONS: the tenants the operator made sovereign to a set of regions, as
// `acme=eu-west,eu-central;globex=us-east`. A request for such a tenant whose region falls outside is
// denied by policy (tenant-residency; commands/decision-context.ts says which region a request has).
import * as t from 'io-ts';
import { Region, TenantId } from './primitives.js';

export type TenantRegions = Readonly<Record<string, readonly string[]>>;

export const TenantRegionsC = new t.Type<TenantRegions, string, unknown>(
  'COMPANYOS_TENANT_REGIONS (tenant=region,region;tenant=region, e.g. acme=eu-west,eu-central)',
  (u): u is TenantRegions => typeof u === 'object' && u !== null,
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const out: Record<string, string[]> = {};
    for (const entry of u.split(';').map((e) => e.trim()).filter((e) => e !== '')) {
      const [tenant, regions, extra] = entry.split('=');
      const list = (regions ?? '').split(',').map((r) => r.trim()).filter((r) => r !== '');
      if (extra !== undefined || tenant === undefined || !TenantId.is(tenant.trim()) || list.length === 0 || !list.every((r) => Region.is(r))) return t.failure(u, c);
      if (out[tenant.trim()] !== undefined) return t.failure(u, c);
      out[tenant.trim()] = list;
    }
    return Object.keys(out).length > 0 ? t.success(out) : t.failure(u, c);
  },
  (m) => Object.entries(m).map(([tenant, regions]) => `${tenant}=${regions.join(',')}`).join(';'),
);

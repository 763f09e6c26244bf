// `companyos token`: prints a development token (HS256, the dev secret) as its last line.
import * as t from 'io-ts';
import { issueDevelopmentToken, Role } from '../../adapters/auth/jwt.js';
import { loadJwtSecret } from '../../adapters/auth/dev-secret.js';
import { Region, TenantId } from '../../schemas/primitives.js';
import type { Config } from '../../schemas/config.js';
import { parseOptions, UsageError } from './usage.js';

/** Comma-separated roles; its name lists every role, so usage errors and help name them all. */
export const RoleList = new t.Type<Role[], string, unknown>(
  `roles (comma-separated: ${Object.keys(Role.keys).join(', ')})`,
  (u): u is Role[] => Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const roles = u.split(',').map((r) => r.trim()).filter((r) => r !== '');
    return roles.length > 0 && roles.every((r) => Role.is(r)) ? t.success(roles as Role[]) : t.failure(u, c);
  },
  (roles) => roles.join(','),
);
const Ttl = new t.Type<number, string, unknown>(
  'ttl (seconds, 1-31536000)',
  (u): u is number => typeof u === 'number',
  (u, c) => (typeof u === 'string' && /^\d+$/.test(u) && +u >= 1 && +u <= 31_536_000 ? t.success(+u) : t.failure(u, c)),
  String,
);
const Options = t.intersection([
  t.type({ tenant: TenantId, roles: RoleList }),
  t.partial({ region: Region, subject: t.string, ttl: Ttl }),
]);

export async function tokenCommand(config: Config, argv: readonly string[]): Promise<void> {
  const o = parseOptions(
    argv,
    { tenant: { type: 'string' }, roles: { type: 'string' }, region: { type: 'string' }, subject: { type: 'string' }, ttl: { type: 'string' } },
    Options,
  );
  if (config.jwt.jwksUrl !== undefined && config.jwt.secret === undefined) {
    throw new UsageError('COMPANYOS_JWKS_URL is set: tokens come from your identity provider, not from this command');
  }
  if (o.ttl !== undefined && o.ttl > config.jwt.maxTtlSeconds) {
    throw new UsageError(`--ttl: ${o.ttl} s is longer than a token may live (${config.jwt.maxTtlSeconds} s, COMPANYOS_JWT_MAX_TTL)`);
  }
  const secret = await loadJwtSecret(config.jwt.secret, config.dataDir);
  const token = await issueDevelopmentToken(
    secret,
    config.jwt,
    { tenant: o.tenant, roles: o.roles, ...(o.region ? { region: o.region } : {}), ...(o.subject ? { subject: o.subject } : {}), ...(o.ttl ? { ttlSeconds: o.ttl } : {}) },
    Math.floor(Date.now() / 1000),
  );
  console.log(token);
}

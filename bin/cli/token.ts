// `companyos token`: prints a development token (HS256, the dev secret) as its last line; --auth-time,
// --acr, --amr and --purpose mint the claims step-up and purpose policies test.
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
/** --auth-time: seconds since the epoch, or `-N` for N seconds ago (a stale login, to see a step-up challenge). */
const AuthTime = new t.Type<number, string, unknown>(
  'auth-time (seconds since the epoch, or -N: N seconds ago)',
  (u): u is number => typeof u === 'number',
  (u, c) => (typeof u === 'string' && /^-?\d{1,12}$/.test(u) ? t.success(u.startsWith('-') ? Math.floor(Date.now() / 1000) + Number(u) : Number(u)) : t.failure(u, c)),
  String,
);
const Claim = new t.Type<string, string, unknown>(
  'a claim value (1-128 printable characters)',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' && /^[\x21-\x7E][\x20-\x7E]{0,127}$/.test(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const AmrList = new t.Type<string[], string, unknown>(
  'amr (comma-separated methods, e.g. pwd,otp,hwk)',
  (u): u is string[] => Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const methods = u.split(',').map((m) => m.trim()).filter((m) => m !== '');
    return methods.length > 0 && methods.every((m) => /^[\x21-\x7E]{1,64}$/.test(m)) ? t.success(methods) : t.failure(u, c);
  },
  (m) => m.join(','),
);
const Options = t.intersection([
  t.type({ tenant: TenantId, roles: RoleList }),
  t.partial({ region: Region, subject: t.string, ttl: Ttl, 'auth-time': AuthTime, acr: Claim, amr: AmrList, purpose: Claim }),
]);

export async function tokenCommand(config: Config, argv: readonly string[]): Promise<void> {
  const o = parseOptions(
    argv,
    {
      tenant: { type: 'string' }, roles: { type: 'string' }, region: { type: 'string' }, subject: { type: 'string' }, ttl: { type: 'string' },
      'auth-time': { type: 'string' }, acr: { type: 'string' }, amr: { type: 'string' }, purpose: { type: 'string' },
    },
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
    {
      tenant: o.tenant,
      roles: o.roles,
      ...(o.region ? { region: o.region } : {}),
      ...(o.subject ? { subject: o.subject } : {}),
      ...(o.ttl ? { ttlSeconds: o.ttl } : {}),
      // Development step-up and purpose claims: a login N seconds old, its class and methods, a declared purpose.
      ...(o['auth-time'] !== undefined ? { authTime: o['auth-time'] } : {}),
      ...(o.acr !== undefined ? { acr: o.acr } : {}),
      ...(o.amr !== undefined ? { amr: o.amr } : {}),
      ...(o.purpose !== undefined ? { purpose: o.purpose } : {}),
    },
    Math.floor(Date.now() / 1000),
  );
  console.log(token);
}

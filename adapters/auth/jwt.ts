// Bearer-token authentication with jose: HS256 with a development secret, or a JWKS URL in production.
// The verified claims become the Principal; the tenant always comes from here, never from a request body.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { SignJWT, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Principal } from '../../commands/authorizer.js';
import { Region, TenantId, boundedString } from '../../schemas/primitives.js';
import { formatValidationErrors } from '../../schemas/validation.js';

/** An auditor reads everything of its tenant and changes nothing (the audit portal). Maestro adds plan authors, operators (start, cancel, approve runs), release managers and the executor's service role. */
export const Role = t.keyof(
  { admin: null, editor: null, viewer: null, auditor: null, service: null, 'plan-author': null, operator: null, 'release-manager': null, 'maestro-executor': null },
  'Role',
);
export type Role = t.TypeOf<typeof Role>;

const Claims = t.intersection([
  // The subject becomes the actor id of every event the token causes: text the stores can hold.
  t.type({ sub: boundedString(256, 'sub (1-256 characters, no control characters)'), tenant: TenantId, roles: t.array(Role) }),
  // auth_time, acr and amr (OpenID Connect Core §2) feed step-up policies (RFC 9470); purpose, reads of personal data.
  t.partial({
    region: Region,
    auth_time: t.number,
    acr: boundedString(256, 'acr'),
    amr: t.array(boundedString(64, 'amr')),
    purpose: boundedString(128, 'purpose (1-128 characters)'),
  }),
]);

export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export interface JwtOptions {
  readonly issuer: string;
  readonly audience: string;
  /** The longest lifetime a token may have, in seconds (COMPANYOS_JWT_MAX_TTL); default 24 hours. */
  readonly maxTtlSeconds?: number;
}

export const DEFAULT_JWT_MAX_TTL_SECONDS = 24 * 3600;

/** Clock skew between an issuer and this server that a token's `iat` may show. */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Why a token lives too long, or undefined. Every token must expire (`exp`, required by jwtVerify), and
 * within the cap: its lifetime is exp - iat, or exp - now without an `iat` (an `iat` further ahead than
 * the skew counts as now, so a future `iat` buys no extra life).
 */
function tooLongLived(payload: { exp?: number; iat?: number }, maxTtl: number, nowSeconds: number): string | undefined {
  const exp = payload.exp!;
  const start = Math.min(payload.iat ?? nowSeconds, nowSeconds + CLOCK_SKEW_SECONDS);
  const lifetime = exp - start;
  return lifetime > maxTtl ? `token lifetime ${lifetime} s exceeds the ${maxTtl} s this server accepts` : undefined;
}

/** Verified tokens kept so a client's repeated token costs a map lookup, not an HMAC (about 250 µs). */
const CACHE_SIZE = 10_000;

/** Verifies bearer tokens; rejects with AuthenticationError and a reason safe to show the caller. */
export function jwtVerifier(key: Uint8Array | JWTVerifyGetKey, options: JwtOptions): TokenVerifier {
  const maxTtl = options.maxTtlSeconds ?? DEFAULT_JWT_MAX_TTL_SECONDS;
  const checks = { issuer: options.issuer, audience: options.audience, requiredClaims: ['exp'] };
  // Keyed by the whole token string, so a hit is a token whose signature was already verified;
  // expiry is still checked on every use.
  const verified = new Map<string, { principal: Principal; expiresAt: number }>();
  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit !== undefined) {
        if (Date.now() < hit.expiresAt) return hit.principal;
        verified.delete(token);
      }
      let payload: unknown;
      try {
        const verified =
          key instanceof Uint8Array
            ? await jwtVerify(token, key, { ...checks, algorithms: ['HS256'] })
            : await jwtVerify(token, key, checks);
        payload = verified.payload;
      } catch (error) {
        throw new AuthenticationError(reasonOf(error), { cause: error }); // the cause tells a JWKS outage from a bad token
      }
      const tooLong = tooLongLived(payload as { exp?: number; iat?: number }, maxTtl, Math.floor(Date.now() / 1000));
      if (tooLong !== undefined) throw new AuthenticationError(tooLong);
      const claims = Claims.decode(payload);
      if (isLeft(claims)) throw new AuthenticationError(`token claims invalid: ${formatValidationErrors(claims.left).join('; ')}`);
      const c = claims.right;
      const principal: Principal = {
        id: c.sub, tenant: c.tenant, roles: c.roles, region: c.region, authTime: c.auth_time, authn: 'jwt',
        ...(c.acr !== undefined ? { acr: c.acr } : {}),
        ...(c.amr !== undefined ? { amr: c.amr } : {}),
        ...(c.purpose !== undefined ? { purpose: c.purpose } : {}),
      };
      const exp = (payload as { exp?: unknown }).exp;
      if (typeof exp === 'number') {
        if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value!);
        verified.set(token, { principal, expiresAt: exp * 1000 });
      }
      return principal;
    },
  };
}

export const remoteJwks = (url: string): JWTVerifyGetKey => createRemoteJWKSet(new URL(url));

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return error.reason === 'missing' ? `token claim "${error.claim}" missing${error.claim === 'exp' ? ' (every token must expire)' : ''}` : `token claim "${error.claim}" invalid`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (error instanceof joseErrors.JOSEError) return `token rejected (${error.code})`;
  return 'token rejected';
}

export interface DevelopmentTokenClaims {
  readonly tenant: string;
  readonly roles: readonly Role[];
  readonly region?: string;
  readonly subject?: string;
  /** Lifetime in seconds; default 12 hours, or the lifetime cap when that is shorter. */
  readonly ttlSeconds?: number;
  /** When the user authenticated (seconds since the epoch); default the issue time. */
  readonly authTime?: number;
  readonly acr?: string;
  readonly amr?: readonly string[];
  readonly purpose?: string;
}

/** Issues an HS256 token for development and tests; `nowSeconds` comes from the caller. */
export async function issueDevelopmentToken(
  secret: Uint8Array,
  options: JwtOptions,
  claims: DevelopmentTokenClaims,
  nowSeconds: number,
): Promise<string> {
  const maxTtl = options.maxTtlSeconds ?? DEFAULT_JWT_MAX_TTL_SECONDS;
  const ttl = claims.ttlSeconds ?? Math.min(12 * 3600, maxTtl);
  // A token the verifier would refuse is no use to anyone.
  if (ttl > maxTtl) throw new RangeError(`a token may live at most ${maxTtl} s, not ${ttl} s`);
  const body: Record<string, unknown> = { tenant: claims.tenant, roles: [...claims.roles], auth_time: claims.authTime ?? nowSeconds };
  if (claims.region !== undefined) body['region'] = claims.region;
  if (claims.acr !== undefined) body['acr'] = claims.acr;
  if (claims.amr !== undefined) body['amr'] = [...claims.amr];
  if (claims.purpose !== undefined) body['purpose'] = claims.purpose;
  return new SignJWT(body)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject ?? `dev:${claims.tenant}:${claims.roles.join('+')}`)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ttl)
    .sign(secret);
}

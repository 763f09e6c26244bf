// Token verification: the development HS256 path and the production JWKS path (a real JWKS served
// over loopback HTTP), and the claims a principal is built from.
import { createServer, type Server } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { isLeft } from 'fp-ts/lib/Either.js';
import { loadConfig } from '../../schemas/config.js';
import { AuthenticationError, DEFAULT_JWT_MAX_TTL_SECONDS, issueDevelopmentToken, jwtVerifier, remoteJwks } from './jwt.js';

const options = { issuer: 'https://idp.test', audience: 'companyos' };
const now = () => Math.floor(Date.now() / 1000);

const rejects = async (promise: Promise<unknown>, reason: RegExp) => {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, AuthenticationError);
    assert.match((error as Error).message, reason);
    return;
  }
  assert.unreachable('expected the token to be rejected');
};

const dev = suite('tokens: development HS256');
const secret = new TextEncoder().encode('a-development-secret-of-32-bytes!!');

dev('a token from issueDevelopmentToken becomes the principal it names', async () => {
  const token = await issueDevelopmentToken(secret, options, { tenant: 'acme', roles: ['editor', 'viewer'], region: 'us-east', subject: 'alice' }, now());
  const p = await jwtVerifier(secret, options).verify(token);
  assert.equal({ ...p, authTime: typeof p.authTime }, { id: 'alice', tenant: 'acme', roles: ['editor', 'viewer'], region: 'us-east', authTime: 'number', authn: 'jwt' });
});

dev('auth_time, acr, amr and purpose claims reach the principal (step-up and purpose policies read them)', async () => {
  const authTime = now() - 600;
  const token = await issueDevelopmentToken(secret, options, { tenant: 'acme', roles: ['admin'], subject: 'bob', authTime, acr: 'urn:mfa', amr: ['pwd', 'otp'], purpose: 'dsar:17' }, now());
  const p = await jwtVerifier(secret, options).verify(token);
  assert.equal([p.authTime, p.acr, p.amr, p.purpose], [authTime, 'urn:mfa', ['pwd', 'otp'], 'dsar:17']);
  const plain = await jwtVerifier(secret, options).verify(await issueDevelopmentToken(secret, options, { tenant: 'acme', roles: ['admin'] }, now()));
  assert.equal([plain.acr, plain.amr, plain.purpose], [undefined, undefined, undefined]);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(options.issuer).setAudience(options.audience).setExpirationTime('1h').sign(secret);
  await rejects(jwtVerifier(secret, options).verify(await sign({ tenant: 'acme', roles: ['admin'], amr: 'pwd' })), /amr/);
});

dev('wrong audience, unknown role and a bad tenant are refused with the reason', async () => {
  const verifier = jwtVerifier(secret, options);
  const other = await issueDevelopmentToken(secret, { ...options, audience: 'elsewhere' }, { tenant: 'acme', roles: ['admin'] }, now());
  await rejects(verifier.verify(other), /token claim "aud" invalid/);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(options.issuer).setAudience(options.audience).setExpirationTime('1h').sign(secret);
  await rejects(verifier.verify(await sign({ tenant: 'acme', roles: ['root'] })), /roles\[0\]/);
  await rejects(verifier.verify(await sign({ tenant: 'Not A Slug', roles: ['viewer'] })), /tenant/);
  await rejects(verifier.verify('not.a.token'), /token rejected/);
});

const lifetime = suite('tokens: every token expires, within the lifetime cap');
/** A token with exactly these time claims (undefined: the claim is absent). */
const timed = (claims: { iat?: number; exp?: number }, key: Uint8Array = secret) => {
  const jwt = new SignJWT({ tenant: 'acme', roles: ['viewer'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(options.issuer).setAudience(options.audience);
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(key);
};

lifetime('a token without exp is refused, with or without iat', async () => {
  const verifier = jwtVerifier(secret, options);
  await rejects(verifier.verify(await timed({})), /token claim "exp" missing \(every token must expire\)/);
  await rejects(verifier.verify(await timed({ iat: now() })), /"exp" missing/);
});

lifetime('the cap is 24 hours by default: exp - iat, or exp - now without iat', async () => {
  const verifier = jwtVerifier(secret, options);
  const t = now();
  assert.is(DEFAULT_JWT_MAX_TTL_SECONDS, 24 * 3600);
  assert.is((await verifier.verify(await timed({ iat: t, exp: t + 24 * 3600 }))).tenant, 'acme');
  await rejects(verifier.verify(await timed({ iat: t, exp: t + 24 * 3600 + 1 })), /token lifetime 86401 s exceeds the 86400 s/);
  // An old iat does not help a token that was issued for a year.
  await rejects(verifier.verify(await timed({ iat: t - 3600, exp: t + 365 * 24 * 3600 })), /exceeds/);
  assert.is((await verifier.verify(await timed({ exp: t + 3600 }))).tenant, 'acme');
  await rejects(verifier.verify(await timed({ exp: t + 10 * 365 * 24 * 3600 })), /exceeds the 86400 s/);
  // An iat in the future buys no life: the lifetime counts from now.
  await rejects(verifier.verify(await timed({ iat: t + 30 * 24 * 3600, exp: t + 30 * 24 * 3600 + 3600 })), /exceeds/);
});

lifetime('maxTtlSeconds sets the cap; issueDevelopmentToken mints within it and refuses a longer ttl', async () => {
  const capped = { ...options, maxTtlSeconds: 600 };
  const verifier = jwtVerifier(secret, capped);
  const t = now();
  await rejects(verifier.verify(await timed({ iat: t, exp: t + 601 })), /token lifetime 601 s exceeds the 600 s/);
  assert.is((await verifier.verify(await timed({ iat: t, exp: t + 600 }))).tenant, 'acme');
  // The default dev lifetime (12 h) shrinks to the cap; a longer explicit ttl is an error, not a useless token.
  assert.is((await verifier.verify(await issueDevelopmentToken(secret, capped, { tenant: 'acme', roles: ['viewer'] }, t))).tenant, 'acme');
  try {
    await issueDevelopmentToken(secret, capped, { tenant: 'acme', roles: ['viewer'], ttlSeconds: 601 }, t);
    assert.unreachable('a ttl over the cap is refused');
  } catch (error) {
    assert.match((error as Error).message, /at most 600 s/);
  }
  // The default cap accepts what the CLI mints by default.
  assert.is((await jwtVerifier(secret, options).verify(await issueDevelopmentToken(secret, options, { tenant: 'acme', roles: ['viewer'] }, t))).tenant, 'acme');
});

lifetime('COMPANYOS_JWT_MAX_TTL configures the cap (seconds, default 86400); a bad value names the variable', () => {
  const cap = (value?: string) => {
    const c = loadConfig(value === undefined ? {} : { COMPANYOS_JWT_MAX_TTL: value });
    return isLeft(c) ? c.left.join('; ') : c.right.jwt.maxTtlSeconds;
  };
  assert.is(cap(), 86_400);
  assert.is(cap('3600'), 3600);
  for (const bad of ['0', '-5', '1h', '99999999999']) assert.match(String(cap(bad)), /^COMPANYOS_JWT_MAX_TTL/, bad);
});

const jwks = suite('tokens: production JWKS');
let server: Server;
let url: string;
let privateKey: CryptoKey;

jwks.before(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
});
jwks.after(() => new Promise<void>((r) => server.close(() => r())));

jwks('a token signed by a key in the JWKS is accepted; one signed by another key is not', async () => {
  const verifier = jwtVerifier(remoteJwks(url), options);
  const token = await new SignJWT({ tenant: 'acme', roles: ['service'], region: 'eu-west' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('svc:ci').setIssuer(options.issuer).setAudience(options.audience).setExpirationTime('5m')
    .sign(privateKey);
  const p = await verifier.verify(token);
  assert.is(p.id, 'svc:ci');
  assert.equal(p.roles, ['service']);
  const stranger = await generateKeyPair('ES256');
  const forged = await new SignJWT({ tenant: 'acme', roles: ['admin'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('eve').setIssuer(options.issuer).setAudience(options.audience).setExpirationTime('5m')
    .sign(stranger.privateKey);
  await rejects(verifier.verify(forged), /token signature invalid/);
});

dev.run();
lifetime.run();
jwks.run();

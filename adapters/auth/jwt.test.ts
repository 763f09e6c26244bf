// Token verification: the development HS256 path and the production JWKS path (a real JWKS served
// over loopback HTTP), and the claims a principal is built from.
import { createServer, type Server } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { AuthenticationError, issueDevelopmentToken, jwtVerifier, remoteJwks } from './jwt.js';

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
jwks.run();

// The portal's OpenID client settings: issuer and client id together, verified with the issuer's keys
// (COMPANYOS_JWKS_URL), the issuer also the tokens' expected issuer and the resource their audience unless
// set otherwise; http only on a loopback host; scope must ask for openid. Each mistake stops start-up naming it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { loadConfig } from './config.js';

const BASE = { COMPANYOS_JWKS_URL: 'https://id.example.org/jwks', COMPANYOS_OIDC_ISSUER: 'https://id.example.org', COMPANYOS_OIDC_CLIENT_ID: 'companyos-portal' };
const problems = (env: Record<string, string>): string => {
  const loaded = loadConfig(env);
  return isLeft(loaded) ? loaded.left.join('\n') : '';
};

test('unset: no OpenID client; set: issuer, client, scope "openid" by default; the issuer is the tokens\' issuer and the resource their audience', () => {
  const none = loadConfig({});
  assert.ok(isRight(none) && none.right.oidc === undefined);
  const set = loadConfig(BASE);
  assert.ok(isRight(set));
  if (isRight(set)) {
    assert.equal(set.right.oidc, { issuer: 'https://id.example.org', clientId: 'companyos-portal', scope: 'openid', resource: undefined });
    assert.is(set.right.jwt.issuer, 'https://id.example.org');
    assert.is(set.right.jwt.audience, 'companyos');
  }
  const full = loadConfig({ ...BASE, COMPANYOS_OIDC_SCOPE: 'openid companyos', COMPANYOS_OIDC_RESOURCE: 'https://api.example.org/' });
  assert.ok(isRight(full));
  if (isRight(full)) {
    assert.equal(full.right.oidc, { issuer: 'https://id.example.org', clientId: 'companyos-portal', scope: 'openid companyos', resource: 'https://api.example.org/' });
    assert.is(full.right.jwt.audience, 'https://api.example.org/');
  }
  const audience = loadConfig({ ...BASE, COMPANYOS_OIDC_RESOURCE: 'https://api.example.org/', COMPANYOS_JWT_AUDIENCE: 'companyos-api', COMPANYOS_JWT_ISSUER: 'https://id.example.org' });
  assert.ok(isRight(audience) && audience.right.jwt.audience === 'companyos-api');
  assert.ok(isRight(loadConfig({ ...BASE, COMPANYOS_JWKS_URL: 'http://127.0.0.1:9000/jwks', COMPANYOS_OIDC_ISSUER: 'http://127.0.0.1:9000' })));
});

test('half a client, a shared secret or no JWKS URL, another JWT issuer, plain http elsewhere, a scope without openid: start-up stops naming the variable', () => {
  assert.match(problems({ COMPANYOS_OIDC_ISSUER: 'https://id.example.org', COMPANYOS_JWKS_URL: 'https://id.example.org/jwks' }), 'COMPANYOS_OIDC_ISSUER needs COMPANYOS_OIDC_CLIENT_ID');
  assert.match(problems({ COMPANYOS_OIDC_CLIENT_ID: 'x', COMPANYOS_JWKS_URL: 'https://id.example.org/jwks' }), 'COMPANYOS_OIDC_CLIENT_ID needs COMPANYOS_OIDC_ISSUER');
  assert.match(problems({ ...BASE, COMPANYOS_JWKS_URL: '' }), 'needs COMPANYOS_JWKS_URL');
  assert.match(problems({ ...BASE, COMPANYOS_JWT_SECRET: 'a-shared-secret-of-some-length' }), 'no COMPANYOS_JWT_SECRET');
  assert.match(problems({ ...BASE, COMPANYOS_JWT_ISSUER: 'https://other.example.org' }), 'COMPANYOS_JWT_ISSUER (https://other.example.org) differs from COMPANYOS_OIDC_ISSUER');
  assert.match(problems({ ...BASE, COMPANYOS_OIDC_ISSUER: 'http://id.example.org' }), 'COMPANYOS_OIDC_ISSUER');
  assert.match(problems({ ...BASE, COMPANYOS_OIDC_ISSUER: 'https://id.example.org/?tenant=x' }), 'COMPANYOS_OIDC_ISSUER');
  assert.match(problems({ ...BASE, COMPANYOS_OIDC_SCOPE: 'profile email' }), 'COMPANYOS_OIDC_SCOPE');
  assert.match(problems({ ...BASE, COMPANYOS_OIDC_RESOURCE: 'https://api.example.org/#x' }), 'COMPANYOS_OIDC_RESOURCE');
  assert.match(problems({ COMPANYOS_OIDC_SCOPE: 'openid' }), 'COMPANYOS_OIDC_SCOPE: set only with COMPANYOS_OIDC_ISSUER');
});

test.run();

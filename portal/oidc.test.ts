// The portal's OpenID rules without a browser: RFC 7636's own S256 example, the authorization request's
// parameters (and a step-up's prompt, max_age and acr_values), the callback refused for a state this tab
// did not send or a provider's error, the ID token's nonce/issuer/audience, and RFC 9470 challenges read
// from WWW-Authenticate as the server writes them (adapters/http/step-up-challenge.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stepUpChallenge } from '../adapters/http/step-up-challenge.js';
import { authorizationRequest, codeChallenge, codeFromCallback, idTokenProblem, isCallback, randomToken, stepUpInWords, stepUpOf, tokenRequestBody, type OidcOptions } from './oidc.js';

const test = suite('portal OpenID Connect (code + PKCE)');

const OPTIONS: OidcOptions = {
  issuer: 'https://id.example.org',
  clientId: 'companyos-portal',
  scope: 'openid companyos',
  resource: 'https://api.example.org/',
  authorizationEndpoint: 'https://id.example.org/auth?tenant_hint=x',
  tokenEndpoint: 'https://id.example.org/token',
};
const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

test('S256 is RFC 7636 appendix B\'s example; random tokens are 43 base64url characters and differ', async () => {
  assert.is(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  const a = randomToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.is.not(a, randomToken());
});

test('the authorization request carries code, client, redirect, scope, state, nonce, the S256 challenge and the resource; the endpoint\'s own query stays', async () => {
  let n = 0;
  const { url, pending } = await authorizationRequest(OPTIONS, { redirectUri: 'https://portal.example.org/portal/', returnTo: '#/runs' }, () => `r${++n}`);
  const q = new URL(url).searchParams;
  assert.is(new URL(url).origin + new URL(url).pathname, 'https://id.example.org/auth');
  assert.is(q.get('tenant_hint'), 'x');
  assert.is(q.get('response_type'), 'code');
  assert.is(q.get('client_id'), 'companyos-portal');
  assert.is(q.get('redirect_uri'), 'https://portal.example.org/portal/');
  assert.is(q.get('scope'), 'openid companyos');
  assert.equal([q.get('state'), q.get('nonce')], ['r1', 'r2']);
  assert.equal(pending, { state: 'r1', nonce: 'r2', verifier: 'r3', redirectUri: 'https://portal.example.org/portal/', returnTo: '#/runs' });
  assert.is(q.get('code_challenge'), await codeChallenge('r3'));
  assert.is(q.get('code_challenge_method'), 'S256');
  assert.is(q.get('resource'), 'https://api.example.org/');
  for (const k of ['prompt', 'max_age', 'acr_values']) assert.is(q.get(k), null, k);
  const body = tokenRequestBody(OPTIONS, pending, 'the-code');
  assert.is(body.toString(), 'grant_type=authorization_code&code=the-code&redirect_uri=https%3A%2F%2Fportal.example.org%2Fportal%2F&client_id=companyos-portal&code_verifier=r3&resource=https%3A%2F%2Fapi.example.org%2F');
});

test('a step-up asks for a new login with the challenge\'s max_age and acr_values, and keeps the action to try again', async () => {
  const { url, pending } = await authorizationRequest(OPTIONS, {
    redirectUri: 'https://portal.example.org/portal/', returnTo: '#/runs/r-1', stepUp: { maxAge: 300, acrValues: ['urn:mfa', 'urn:hwk'] }, retry: { path: '/v1/runs/r-1/cancel', what: 'cancel' },
  });
  const q = new URL(url).searchParams;
  assert.is(q.get('prompt'), 'login');
  assert.is(q.get('max_age'), '300');
  assert.is(q.get('acr_values'), 'urn:mfa urn:hwk');
  assert.equal(pending.retry, { path: '/v1/runs/r-1/cancel', what: 'cancel' });
});

test('the callback: a code with this tab\'s state; a state it did not send, another issuer, or the provider\'s error is a message', async () => {
  const { pending } = await authorizationRequest(OPTIONS, { redirectUri: 'https://p/portal/', returnTo: '' }, () => 'S');
  assert.ok(isCallback('?code=c&state=S'));
  assert.ok(isCallback('?error=access_denied&state=S'));
  assert.not.ok(isCallback('?code=c'));
  assert.not.ok(isCallback(''));
  assert.equal(codeFromCallback('?code=c1&state=S&iss=https%3A%2F%2Fid.example.org', pending, OPTIONS.issuer), { code: 'c1' });
  assert.match((codeFromCallback('?code=c1&state=T', pending, OPTIONS.issuer) as { error: string }).error, /state mismatch/);
  assert.match((codeFromCallback('?code=c1&state=S', undefined, OPTIONS.issuer) as { error: string }).error, /state mismatch/);
  assert.match((codeFromCallback('?code=c1&state=S&iss=https%3A%2F%2Fevil.example', pending, OPTIONS.issuer) as { error: string }).error, /came from https:\/\/evil\.example/);
  assert.is(
    (codeFromCallback('?error=access_denied&error_description=the+user+said+no&state=S', pending, OPTIONS.issuer) as { error: string }).error,
    'Sign-in failed at the identity provider: access was denied (the user said no).',
  );
  assert.match((codeFromCallback('?state=S&code=', pending, OPTIONS.issuer) as { error: string }).error, /no authorization code/);
});

test('the ID token must name this issuer, this client and this sign-in\'s nonce', () => {
  const good = { iss: OPTIONS.issuer, aud: 'companyos-portal', nonce: 'N' };
  assert.is(idTokenProblem(jwt(good), OPTIONS, 'N'), undefined);
  assert.is(idTokenProblem(jwt({ ...good, aud: ['other', 'companyos-portal'] }), OPTIONS, 'N'), undefined);
  assert.match(idTokenProblem(jwt(good), OPTIONS, 'M')!, /nonce/);
  assert.match(idTokenProblem(jwt({ ...good, iss: 'https://evil.example' }), OPTIONS, 'N')!, /issuer/);
  assert.match(idTokenProblem(jwt({ ...good, aud: 'other' }), OPTIONS, 'N')!, /not for this client/);
  assert.match(idTokenProblem(undefined, OPTIONS, 'N')!, /no ID token/);
  assert.match(idTokenProblem('not-a-jwt', OPTIONS, 'N')!, /not readable/);
});

test('RFC 9470 challenges as the server writes them are read back; other 401s are no step-up', () => {
  assert.equal(stepUpOf(stepUpChallenge({ description: 'needs a fresh login', maxAge: 900 })), { maxAge: 900 });
  assert.equal(stepUpOf(stepUpChallenge({ description: 'x', maxAge: 60, acrValues: ['urn:mfa', 'urn:hwk'] })), { maxAge: 60, acrValues: ['urn:mfa', 'urn:hwk'] });
  assert.equal(stepUpOf('Bearer error=insufficient_user_authentication, max_age=5'), { maxAge: 5 });
  assert.is(stepUpOf('Bearer error="invalid_token"'), undefined);
  assert.is(stepUpOf(null), undefined);
  assert.is(stepUpInWords({ maxAge: 900, acrValues: ['urn:mfa'] }), 'a login within the last 15 minutes and authentication of class urn:mfa');
  assert.is(stepUpInWords({ maxAge: 30 }), 'a login within the last 30 seconds');
  assert.is(stepUpInWords({}), 'a fresher sign-in');
});

test.run();

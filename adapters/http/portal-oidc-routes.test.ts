// The portal's sign-in options with an OpenID provider configured: the endpoints come from the issuer's
// discovery document (served here by a small HTTP server standing in for the provider), the CSP lets the
// page connect to the issuer's origin and to no other, and a document that names another issuer, puts
// its token endpoint elsewhere, lacks S256, or cannot be fetched is answered 503 naming why, then
// retried on the next request.
import { createServer, type Server } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { oidcClientOptions } from '../auth/oidc-discovery.js';
import { portalRoutes } from './routes/portal.js';
import { freePort } from '../../test/free-port.js';

const test = suite('portal routes with OpenID Connect');
let server: Server;
let issuer: string;
let document: Record<string, unknown> | undefined;
let fetches = 0;

test.before(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  server = createServer((req, res) => {
    fetches += 1;
    if (req.url !== '/.well-known/openid-configuration' || document === undefined) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
});
test.after(() => new Promise<void>((r) => server.close(() => r())));

const goodDocument = () => ({
  issuer,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  code_challenge_methods_supported: ['S256'],
});
const routes = () =>
  portalRoutes({ oidc: { issuerOrigin: new URL(issuer).origin, options: oidcClientOptions({ issuer, clientId: 'companyos-portal', scope: 'openid companyos', resource: 'https://api.example.org/' }) } });

test('the session options carry the client settings and the discovered endpoints, fetched once; the CSP adds the issuer\'s origin to connect-src only', async () => {
  document = goodDocument();
  fetches = 0;
  const app = routes();
  for (let i = 0; i < 2; i++) {
    const res = await app.request('/portal/session-options');
    assert.is(res.status, 200);
    assert.equal(await res.json(), {
      devSignIn: null,
      oidc: { issuer, clientId: 'companyos-portal', scope: 'openid companyos', resource: 'https://api.example.org/', authorizationEndpoint: `${issuer}/auth`, tokenEndpoint: `${issuer}/token` },
    });
  }
  assert.is(fetches, 1);
  const page = await app.request('/portal/');
  const csp = page.headers.get('content-security-policy')!;
  assert.is(csp, `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ${issuer}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`);
  assert.is((await app.request('/portal/session-options')).headers.get('content-security-policy'), csp);
});

test('a document naming another issuer, a token endpoint on another origin, no S256, or none at all: 503 naming why, and retried next time', async () => {
  const cases: [Record<string, unknown> | undefined, RegExp][] = [
    [{ ...goodDocument(), issuer: 'https://evil.example' }, /names issuer "https:\/\/evil\.example", not the configured/],
    [{ ...goodDocument(), token_endpoint: 'https://tokens.example/token' }, /token_endpoint https:\/\/tokens\.example\/token is not on the issuer's origin/],
    [{ ...goodDocument(), code_challenge_methods_supported: ['plain'] }, /does not offer PKCE with S256/],
    [{ ...goodDocument(), authorization_endpoint: 42 }, /no usable authorization_endpoint/],
    [undefined, /openid-configuration answered 404/],
  ];
  for (const [doc, why] of cases) {
    document = doc;
    const app = routes();
    const res = await app.request('/portal/session-options');
    assert.is(res.status, 503, String(why));
    const body = (await res.json()) as { code: string; detail: string };
    assert.is(body.code, 'unavailable');
    assert.match(body.detail, /^sign-in with the identity provider is unavailable: /);
    assert.match(body.detail, why);
    document = goodDocument();
    assert.is((await app.request('/portal/session-options')).status, 200, 'retried once the provider is right');
  }
});

test.run();

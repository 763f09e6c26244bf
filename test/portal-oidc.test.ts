// The audit portal signing in at a real OpenID provider: oidc-provider runs in this process on a port of
// its own (JWT access tokens for the API's resource carrying tenant, roles, auth_time, acr and amr; a login
// form of this test's, which asks for a one-time code when acr_values asks for multi-factor), and the fabric
// server is configured the way an operator would: COMPANYOS_JWKS_URL, COMPANYOS_JWT_ISSUER/AUDIENCE and the
// portal's COMPANYOS_OIDC_* client. Chromium (playwright-core) signs in with authorization code + PKCE,
// sees the demo tenant's run, approves it through a step-up (a policy of this test wants a multi-factor
// login within 5 minutes for approvals: the first approve gets RFC 9470's challenge, the portal sends the
// user back to the provider with prompt=login, max_age and acr_values, and the approve goes through with
// the new token), and an auditor signed in there gets no approve control while the API refuses its token.
// A step-up the provider does not satisfy (a password-only login again) is said once, without another
// round trip; a pasted token gets a message instead of one. The provider's refusal (access_denied) and a
// forged state end on the sign-in view with a message.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { exportJWK, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';
import { startHttpServer } from '../adapters/http/server.js';
import { DEMO_REGION, DEMO_TENANT, seedDemoTenant } from '../bin/demo-tenant.js';
import { DEFAULT_POLICY_FILE, openSystem, type System } from '../bin/system.js';
import { loadConfig } from '../schemas/config.js';
import { openTestAnalytics } from './analytics.js';
import { freePort } from './free-port.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './chromium.js';
import { until } from './until-value.js';

const CHROMIUM = CHROMIUM_PATH;
const CLIENT_ID = 'companyos-portal';
/** The API's resource indicator (RFC 8707), which is also the access tokens' audience. */
const RESOURCE = 'https://api.companyos.test/';
const PWD = 'urn:companyos:pwd';
const MFA = 'urn:companyos:mfa';
const RUN_ID = 'oidc-run-1';

/** The provider's people: who they are in the fabric (tenant and roles go into the access token). */
const ACCOUNTS: Readonly<Record<string, { password: string; tenant: string; roles: string[]; otp: string }>> = {
  'user:ada': { password: 'correct horse', tenant: DEMO_TENANT, roles: ['admin'], otp: '246810' },
  'user:audrey': { password: 'battery staple', tenant: DEMO_TENANT, roles: ['auditor'], otp: '135791' },
};

/** A policy of this test beside the default set: approving a run step needs a multi-factor login within the last 5 minutes. */
const STEP_UP_POLICY = `
@id("test-step-up-approve")
@reason("approving a run step needs a multi-factor login within the last 5 minutes")
@stepUpMaxAge("300")
@stepUpAcr("${MFA}")
forbid (principal, action == CompanyOS::Action::"run.step.approve", resource)
unless { context has authAge && context.authAge <= 300 && context has acr && context.acr == "${MFA}" };
`;

const PLAN = `name: oidc-release
version: "1.0.0"
description: A release that waits for a person
steps:
  - id: confirm-release
    action_type: manual
    manual:
      instructions: Confirm the release notes.
    sensitivity: medium
    approval_policy: none
`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

interface Idp {
  readonly issuer: string;
  server: Server;
  readonly key: KeyObject;
  readonly kid: string;
  /** What the last authorization request asked for (prompt, max_age, acr_values). */
  lastParams?: Readonly<Record<string, unknown>>;
}

/** oidc-provider with this test's login form at /interaction/<uid>, on 127.0.0.1:port. */
async function startIdp(port: number, portalBase: string): Promise<Idp> {
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-idp-1';
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, token_endpoint_auth_method: 'none', redirect_uris: [`${portalBase}/portal/`], grant_types: ['authorization_code'], response_types: ['code'] }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['portal-oidc-test-cookie-key'] },
    scopes: ['openid', 'companyos'],
    acrValues: [PWD, MFA],
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'companyos', audience: RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    findAccount: async (_ctx: unknown, sub: string) => (ACCOUNTS[sub] === undefined ? undefined : { accountId: sub, claims: async () => ({ sub }) }),
    // The portal is a first-party client: no consent screen, the grant covers openid and the API.
    loadExistingGrant: async (ctx: { oidc: { client: { clientId: string }; session: { accountId: string } } }) => {
      const grant = new provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid companyos');
      grant.addResourceScope(RESOURCE, 'companyos');
      await grant.save();
      return grant;
    },
    // What the fabric reads from the access token: tenant and roles, and the login's time and strength for step-up.
    extraTokenClaims: async (ctx: { oidc: { entities: Record<string, { authTime?: number; acr?: string; amr?: string[] } | undefined> } }, token: { accountId?: string }) => {
      const account = token.accountId === undefined ? undefined : ACCOUNTS[token.accountId];
      if (account === undefined) return undefined;
      const login = ctx.oidc.entities['AuthorizationCode'];
      return { tenant: account.tenant, roles: account.roles, region: DEMO_REGION, auth_time: login?.authTime, acr: login?.acr, amr: login?.amr };
    },
    clientBasedCORS: (_ctx: unknown, origin: string, client: { redirectUris: string[] }) => client.redirectUris.some((u) => new URL(u).origin === origin),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  const idp: Idp = { issuer, server: undefined as unknown as Server, key: privateKey, kid };
  const handle = provider.callback();
  const server = createServer((req, res) => {
    const m = /^\/interaction\/([\w-]+)(?:\/(login|cancel))?$/.exec(req.url ?? '');
    if (m === null) return handle(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      idp.lastParams = details.params;
      const action = m[2];
      if (action === undefined) {
        const mfa = String(details.params['acr_values'] ?? '').split(' ').includes(MFA);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(`<!doctype html><title>Test IdP sign-in</title><h1>Sign in${mfa ? ' with a one-time code' : ''}</h1>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
<label>User <input name="username" autocomplete="off"></label>
<label>Password <input name="password" type="password"></label>
${mfa ? '<label>One-time code <input name="otp" autocomplete="off"></label>' : ''}
<button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/cancel"><button type="submit">Cancel</button></form>`);
      }
      const form = await formOf(req);
      if (action === 'cancel') return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' }, { mergeWithLastSubmission: false });
      const accountId = form.get('username') ?? '';
      const account = ACCOUNTS[accountId];
      if (account === undefined || form.get('password') !== account.password) return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'wrong user or password' });
      // A blank one-time code is a password-only login: what a provider that cannot do MFA for this user gives.
      const otp = form.get('otp') || null;
      if (otp !== null && otp !== account.otp) return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'wrong one-time code' });
      return provider.interactionFinished(req, res, { login: { accountId, acr: otp === null ? PWD : MFA, amr: otp === null ? ['pwd'] : ['pwd', 'otp'] } }, { mergeWithLastSubmission: false });
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  idp.server = server;
  return idp;
}

interface Bed {
  idp: Idp;
  system: System;
  server: Server;
  base: string;
  analytics: ClickHouseStore;
  dataDir: string;
  api(path: string, token: string, init?: RequestInit): Promise<Response>;
}

async function openBed(): Promise<Bed> {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-portal-oidc-'));
  const [idpPort, port] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const idp = await startIdp(idpPort, base);
  const policyFile = join(dataDir, 'policies.cedar');
  await writeFile(policyFile, `${await readFile(DEFAULT_POLICY_FILE, 'utf8')}\n${STEP_UP_POLICY}`);
  const config = loadConfig({
    COMPANYOS_DATA_DIR: dataDir,
    COMPANYOS_JWKS_URL: `${idp.issuer}/jwks`,
    COMPANYOS_JWT_AUDIENCE: RESOURCE,
    COMPANYOS_OIDC_ISSUER: idp.issuer,
    COMPANYOS_OIDC_CLIENT_ID: CLIENT_ID,
    COMPANYOS_OIDC_SCOPE: 'openid companyos',
    COMPANYOS_OIDC_RESOURCE: RESOURCE,
    COMPANYOS_POLICY_FILE: policyFile,
    COMPANYOS_CHECKPOINT_INTERVAL: '0.2',
  });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  const analytics = await openTestAnalytics();
  const system = await openSystem(config.right, { analytics });
  system.startProjectors();
  await seedDemoTenant(system.pipeline);
  const server = await startHttpServer({ fetch: system.app.fetch, port, hostname: '127.0.0.1' });
  const api = (path: string, t: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });
  return { idp, system, server, base, analytics, dataDir, api };
}

/** A token as the provider would issue it (its key, its issuer), for the test's own setup calls. */
const idpToken = (idp: Idp, sub: string, roles: string[]) =>
  new SignJWT({ tenant: DEMO_TENANT, roles, region: DEMO_REGION, auth_time: Math.floor(Date.now() / 1000), acr: MFA })
    .setProtectedHeader({ alg: 'RS256', kid: idp.kid, typ: 'at+jwt' })
    .setSubject(sub).setIssuer(idp.issuer).setAudience(RESOURCE).setIssuedAt().setExpirationTime('10m')
    .sign(idp.key);

const test = suite('audit portal: OpenID Connect sign-in and step-up in Chromium');
let bed: Bed | undefined;
let browser: Browser | undefined;

test.before(async () => {
  if (CHROMIUM === undefined) return;
  bed = await openBed();
  const admin = await idpToken(bed.idp, 'user:ops', ['admin']);
  const registered = await bed.api('/v1/plans', admin, { method: 'POST', body: PLAN, headers: { 'content-type': 'application/yaml' } });
  assert.is(registered.status, 201, await registered.clone().text());
  const started = await bed.api('/v1/runs', admin, { method: 'POST', body: JSON.stringify({ plan: 'oidc-release', runId: RUN_ID, reason: 'release 2.0' }) });
  assert.is(started.status, 201, await started.clone().text());
  await until('the run to wait for a person', async () => {
    const r = await bed!.api(`/v1/runs/${RUN_ID}`, admin);
    return r.ok && ((await r.json()) as { status: string }).status === 'waiting_manual' ? true : undefined;
  });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS] });
});

test.after(async () => {
  await browser?.close();
  if (bed !== undefined) {
    await new Promise<void>((r) => bed!.server.close(() => r()));
    bed.idp.server.closeAllConnections();
    await new Promise<void>((r) => bed!.idp.server.close(() => r()));
    await bed.system.close();
    await bed.analytics.close();
    await rm(bed.dataDir, { recursive: true, force: true });
  }
});

/** The provider's login form: user and password, and the one-time code when it asks for one. */
async function logIn(page: Page, user: string, otp?: string): Promise<void> {
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(ACCOUNTS[user]!.password);
  if (otp !== undefined) await page.getByLabel('One-time code').fill(otp);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signIn(page: Page, user: string): Promise<void> {
  await page.goto(`${bed!.base}/portal/`);
  await page.getByTestId('oidc-sign-in').click();
  await page.waitForURL(`${bed!.idp.issuer}/interaction/**`);
  await logIn(page, user);
  await page.getByTestId('who').waitFor();
}

test('the session options carry the client and the discovered endpoints; the CSP connects to the issuer\'s origin and no other', async () => {
  if (bed === undefined) return console.log('  skipped: portal OIDC browser tests (no Chromium: apt-get install chromium)');
  const page = await fetch(`${bed.base}/portal/`);
  const csp = page.headers.get('content-security-policy')!;
  assert.match(csp, new RegExp(`connect-src 'self' ${bed.idp.issuer.replaceAll('.', '\\.')};`));
  const options = (await (await fetch(`${bed.base}/portal/session-options`)).json()) as Record<string, unknown>;
  assert.equal(options, {
    devSignIn: null,
    oidc: { issuer: bed.idp.issuer, clientId: CLIENT_ID, scope: 'openid companyos', resource: RESOURCE, authorizationEndpoint: `${bed.idp.issuer}/auth`, tokenEndpoint: `${bed.idp.issuer}/token` },
  });
});

test('an admin signs in at the provider with code + PKCE, sees the tenant\'s run, and approves it through a step-up to a multi-factor login', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'user:ada');
  assert.match(await page.getByTestId('who').innerText(), /tenant demo · user:ada · admin$/);
  assert.is(new URL(page.url()).search, '', 'the code and state left the address bar');
  assert.equal([bed.idp.lastParams?.['code_challenge_method'], bed.idp.lastParams?.['prompt']], ['S256', undefined]);
  const token = await page.evaluate<string | null>('sessionStorage.getItem("companyos.portal.token")');
  const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  assert.equal([claims['iss'], claims['aud'], claims['tenant'], claims['roles'], claims['acr']], [bed.idp.issuer, RESOURCE, DEMO_TENANT, ['admin'], PWD]);
  // Real data of the tenant: its ledger verified in this browser with the provider's token, and the run waiting for a person.
  await page.getByText(/^Verified in this browser: first checkpoint this browser has seen: size \d+/).waitFor();
  await page.getByRole('link', { name: 'Runs' }).click();
  await page.getByTestId('runs-table').getByText(RUN_ID).click();
  await page.getByTestId('run-state').waitFor();
  assert.is(await page.getByTestId('run-state').innerText(), 'waiting_manual');
  // Approve: the policy wants a multi-factor login, so the server challenges and the portal goes back to the provider.
  await page.getByTestId('approve').click();
  await page.waitForURL(`${bed.idp.issuer}/interaction/**`);
  assert.equal([bed.idp.lastParams?.['prompt'], bed.idp.lastParams?.['max_age'], bed.idp.lastParams?.['acr_values']], ['login', '300', MFA]);
  await logIn(page, 'user:ada', ACCOUNTS['user:ada']!.otp);
  // Back on the same run, the approve goes through with the new token.
  await page.waitForURL(`${bed.base}/portal/#/runs/${RUN_ID}`);
  await page.getByText('approve confirm-release: done').waitFor();
  const stepped = await page.evaluate<string | null>('sessionStorage.getItem("companyos.portal.token")');
  assert.is.not(stepped, token);
  assert.is(JSON.parse(Buffer.from(stepped!.split('.')[1]!, 'base64url').toString('utf8')).acr, MFA);
  const admin = await idpToken(bed.idp, 'user:ops', ['admin']);
  await until('the run to finish', async () => {
    const r = await bed!.api(`/v1/runs/${RUN_ID}`, admin);
    const run = (await r.json()) as { status: string; steps: { approvals: string[] }[] };
    return run.status === 'success' && run.steps[0]!.approvals.includes('user:ada') ? true : undefined;
  });
  await context.close();
});

test('an auditor signed in at the provider sees no approve control, and the API refuses its token', async () => {
  if (bed === undefined || browser === undefined) return;
  const admin = await idpToken(bed.idp, 'user:ops', ['admin']);
  const started = await bed.api('/v1/runs', admin, { method: 'POST', body: JSON.stringify({ plan: 'oidc-release', runId: 'oidc-run-2', reason: 'release 2.1' }) });
  assert.is(started.status, 201, await started.clone().text());
  await until('the second run to wait for a person', async () => {
    const r = await bed!.api('/v1/runs/oidc-run-2', admin);
    return r.ok && ((await r.json()) as { status: string }).status === 'waiting_manual' ? true : undefined;
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'user:audrey');
  assert.match(await page.getByTestId('who').innerText(), /tenant demo · user:audrey · auditor \(read only\)$/);
  await page.goto(`${bed.base}/portal/#/runs/oidc-run-2`);
  await page.getByTestId('read-only').waitFor();
  assert.is(await page.getByTestId('approve').count(), 0);
  assert.is(await page.getByTestId('cancel').count(), 0);
  const token = await page.evaluate<string | null>('sessionStorage.getItem("companyos.portal.token")');
  const refused = await bed.api('/v1/runs/oidc-run-2/steps/confirm-release/approve', token!, { method: 'POST', body: '{}' });
  assert.is(refused.status, 403);
  await context.close();
});

test('signed in with a pasted token, a step-up cannot go back to the provider: the view says what sign-in is needed', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${bed.base}/portal/`);
  const pasted = await new SignJWT({ tenant: DEMO_TENANT, roles: ['admin'], region: DEMO_REGION, auth_time: Math.floor(Date.now() / 1000), acr: PWD })
    .setProtectedHeader({ alg: 'RS256', kid: bed.idp.kid }).setSubject('user:paste').setIssuer(bed.idp.issuer).setAudience(RESOURCE).setIssuedAt().setExpirationTime('10m').sign(bed.idp.key);
  await page.getByLabel('Bearer token (JWT)').fill(pasted);
  await page.getByRole('button', { name: 'Sign in with this token' }).click();
  await page.getByTestId('who').waitFor();
  await page.goto(`${bed.base}/portal/#/runs/oidc-run-2`);
  await page.getByTestId('approve').click();
  const outcome = page.getByTestId('run-outcome');
  await outcome.waitFor();
  assert.match(await outcome.innerText(), /^approve confirm-release: a fresher sign-in is needed \(a login within the last 5 minutes and authentication of class urn:companyos:mfa\)\. This token cannot be renewed here/);
  assert.ok(page.url().startsWith(bed.base), 'still on the portal');
  await context.close();
});

test('a step-up the provider does not satisfy is said so once, not asked again and again', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'user:ada');
  await page.goto(`${bed.base}/portal/#/runs/oidc-run-2`);
  await page.getByTestId('approve').click();
  await page.waitForURL(`${bed.idp.issuer}/interaction/**`);
  await logIn(page, 'user:ada', '');
  await page.waitForURL(`${bed.base}/portal/#/runs/oidc-run-2`);
  const outcome = page.getByTestId('run-outcome');
  await page.getByText(/^approve confirm-release: the new sign-in still does not satisfy the policy/).waitFor();
  assert.is(await outcome.innerText(), 'approve confirm-release: the new sign-in still does not satisfy the policy, which needs a login within the last 5 minutes and authentication of class urn:companyos:mfa.');
  assert.ok(page.url().startsWith(bed.base), 'still on the portal');
  await context.close();
});

test('the provider\'s refusal and a forged state end on the sign-in view with a clear message', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${bed.base}/portal/`);
  await page.getByTestId('oidc-sign-in').click();
  await page.waitForURL(`${bed.idp.issuer}/interaction/**`);
  await page.getByRole('button', { name: 'Cancel' }).click();
  const error = page.getByTestId('sign-in-error');
  await error.waitFor();
  assert.is(await error.innerText(), 'Sign-in failed at the identity provider: access was denied (the user cancelled the sign-in).');
  assert.is(new URL(page.url()).search, '');
  await page.goto(`${bed.base}/portal/?code=forged&state=forged`);
  await error.waitFor();
  assert.match(await error.innerText(), /state mismatch/);
  assert.is(await page.getByTestId('who').count(), 0);
  await context.close();
});

test.run();

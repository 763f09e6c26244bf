// The audit portal in a real browser: playwright-core driving Debian's Chromium (apt-get install chromium;
// .ci/run installs it) against a server this test starts the way `npm start` does — embedded store,
// development keys (so the one-click demo sign-in is offered), the demo tenant seeded through the command
// pipeline — plus one run waiting for a person. It signs in, renders each view with that data, verifies the
// ledger and a receipt in the page, downloads a receipt, finds its own views in the audit index, shows that
// an auditor gets no write control (and the API refuses one anyway), and turns the ledger view red through
// a test server in front that serves a rolled-back or forged checkpoint. A screenshot of each view goes to
// test-artifacts/portal/ (git-ignored), and axe-core finds no serious or critical accessibility violation in
// it; the script's gzipped size and the first load are printed.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isLeft } from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { issueDevelopmentToken } from '../adapters/auth/jwt.js';
import { startHttpServer } from '../adapters/http/server.js';
import { DEMO_BUDGET, DEMO_CONFIDENCE, DEMO_REGION, DEMO_TENANT, seedDemoTenant } from '../bin/demo-tenant.js';
import { evaluateFinops } from '../commands/finops-monitor.js';
import { CostQueries } from '../projections/costs/cost-queries.js';
import { openSystem, type System } from '../bin/system.js';
import { loadConfig } from '../schemas/config.js';
import nacl from 'tweetnacl';
import { COSIGNATURE_V1, cosigner } from '../ledger/cosignature.js';
import { parseNote, signNote, verifierString } from '../ledger/signed-note.js';
import { openTestAnalytics } from './analytics.js';
import { freePort } from './free-port.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './chromium.js';
import { until } from './until-value.js';
import type { ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';

const CHROMIUM = CHROMIUM_PATH;
const ARTIFACTS = resolve(import.meta.dirname, '..', 'test-artifacts', 'portal');

/** A witness the server is configured to accept (COMPANYOS_WITNESSES): the test cosigns checkpoints as it. */
const WITNESS = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(42));
const WITNESS_NAME = 'witness.example.org';
const WITNESS_KEY = verifierString(WITNESS_NAME, COSIGNATURE_V1, WITNESS.publicKey);

const PLAN = `name: portal-release
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

interface Bed {
  system: System;
  server: Server;
  base: string;
  analytics: ClickHouseStore;
  dataDir: string;
  token(roles: string[], subject: string): Promise<string>;
  api(path: string, token: string, init?: RequestInit): Promise<Response>;
}

async function openBed(): Promise<Bed> {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-portal-'));
  // No COMPANYOS_JWT_SECRET: the development secret is generated into the data directory, as for `npm start`.
  const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_CHECKPOINT_INTERVAL: '0.2', COMPANYOS_WITNESSES: WITNESS_KEY });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  const analytics = await openTestAnalytics();
  const system = await openSystem(config.right, { analytics });
  system.startProjectors();
  await seedDemoTenant(system.pipeline);
  const port = await freePort();
  const server = await startHttpServer({ fetch: system.app.fetch, port, hostname: '127.0.0.1' });
  const base = `http://127.0.0.1:${port}`;
  const token = (roles: string[], subject: string) =>
    issueDevelopmentToken(system.jwtSecret!, config.right.jwt, { tenant: DEMO_TENANT, roles: roles as never, region: DEMO_REGION, subject }, Math.floor(Date.now() / 1000));
  const api = (path: string, t: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });
  return { system, server, base, analytics, dataDir, token, api };
}

const test = suite('audit portal in Chromium');
let bed: Bed | undefined;
let browser: Browser | undefined;
const runId = 'portal-run-1';

test.before(async () => {
  if (CHROMIUM === undefined) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  bed = await openBed();
  const admin = await bed.token(['admin'], 'user:ada');
  const registered = await bed.api('/v1/plans', admin, { method: 'POST', body: PLAN, headers: { 'content-type': 'application/yaml' } });
  assert.is(registered.status, 201, await registered.clone().text());
  const started = await bed.api('/v1/runs', admin, { method: 'POST', body: JSON.stringify({ plan: 'portal-release', runId, reason: 'release 1.0' }) });
  assert.is(started.status, 201, await started.clone().text());
  // Costs: a price and three days of usage of two services (days before today, inside the view's default 30).
  const cmd = (type: string, body: object) => bed!.api(`/v1/commands/${type}`, admin, { method: 'POST', body: JSON.stringify({ region: DEMO_REGION, ...body }) });
  assert.is((await cmd('pricing.price.set', { meter: 'compute', unit: 'h', currency: 'USD', unitPrice: '0.5', effectiveFrom: '2026-01-01T00:00:00Z' })).status, 201);
  const dayAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
  const records = [1, 2, 3].flatMap((n) => [
    { eventId: `checkout-${n}`, service: 'checkout', team: 'payments', meter: 'compute', unit: 'h', quantity: String(n * 4), ts: dayAgo(n) },
    { eventId: `search-${n}`, service: 'search', team: 'discovery', meter: 'compute', unit: 'h', quantity: '2', ts: dayAgo(n) },
  ]);
  assert.is((await bed.api('/v1/metering/events', admin, { method: 'POST', body: JSON.stringify({ records }) })).status, 200);
  // The demo's events, the run waiting for its confirmation, all projected and anchored by a checkpoint.
  await until('the run to wait for a person', async () => {
    const r = await bed!.api(`/v1/runs/${runId}`, admin);
    const run = r.ok ? ((await r.json()) as { status: string }) : undefined;
    return run?.status === 'waiting_manual' ? run : undefined;
  });
  await until('the audit index to hold the demo', async () => {
    const r = await bed!.api('/v1/audit/events?action=graph.edge.asserted&limit=1', admin);
    return r.ok && ((await r.json()) as { events: unknown[] }).events.length > 0 ? true : undefined;
  });
  await until('the costs to be projected', async () => {
    const r = await bed!.api(`/v1/finops/costs?from=${dayAgo(10)}&to=${dayAgo(-1)}&groupBy=service`, admin);
    return r.ok && ((await r.json()) as { rows: unknown[] }).rows.length === 2 ? true : undefined;
  });
  // The FinOps monitor's pass over that spend against the demo budget (20 USD): it seals any threshold crossed this month.
  await evaluateFinops({
    pipeline: bed.system.pipeline, costs: new CostQueries(async () => bed!.analytics), log: bed.system.log, clock: () => new Date(),
    tenants: async () => [DEMO_TENANT], regionOf: async () => DEMO_REGION,
  });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS] });
});

test.after(async () => {
  await browser?.close();
  if (bed !== undefined) {
    await new Promise<void>((r) => bed!.server.close(() => r()));
    await bed.system.close();
    await bed.analytics.close();
    await rm(bed.dataDir, { recursive: true, force: true });
  }
});

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * A screenshot of the view, and axe-core's check of it: no serious or critical violation (WCAG 2 A/AA and
 * best practices). axe is evaluated through the DevTools protocol, which the page's CSP does not govern.
 */
async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE);
  const violations = await page.evaluate<string[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')))`);
  assert.equal(violations, [], `${name}: serious or critical accessibility violations`);
}

async function signIn(page: Page, base: string, role: 'auditor' | 'admin'): Promise<void> {
  await page.goto(`${base}/portal/`);
  await page.getByTestId(`dev-${role}`).click();
  await page.getByTestId('who').waitFor();
}

test('the page is served under a strict CSP; its script is small; first load from localhost is measured', async () => {
  if (bed === undefined || browser === undefined) return console.log('  skipped: portal browser tests (no Chromium: apt-get install chromium)');
  const page = await fetch(`${bed.base}/portal/`);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.not.match(csp, /unsafe-inline|unsafe-eval/);
  const script = new Uint8Array(await (await fetch(`${bed.base}/portal/app.js`)).arrayBuffer());
  const gzipped = gzipSync(script, { level: 9 }).length;
  assert.ok(gzipped <= 250 * 1024, `script ${gzipped} bytes gzipped`);
  const context = await browser.newContext();
  const tab = await context.newPage();
  // Printed, not asserted (the host is shared): navigation start to the load event, and to the sign-in's buttons.
  const started = performance.now();
  await tab.goto(`${bed.base}/portal/`);
  await tab.getByTestId('dev-auditor').waitFor();
  const shown = Math.round(performance.now() - started);
  const load = await tab.evaluate<number>('Math.round(performance.getEntriesByType("navigation")[0].loadEventEnd)');
  console.log(`  portal: script ${script.length} bytes, ${gzipped} bytes gzipped; first load ${load} ms to the load event, ${shown} ms to the sign-in's buttons`);
  await shot(tab, 'sign-in');
  await context.close();
});

test('an auditor signs in with one click and the ledger is verified in the browser, then again as consistent', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bed.base, 'auditor');
  assert.match(await page.getByTestId('who').innerText(), /tenant demo · dev:portal:auditor · auditor \(read only\)/);
  const status = page.getByTestId('ledger-status');
  await status.waitFor();
  assert.match(await status.innerText(), /^Verified in this browser: first checkpoint this browser has seen: size \d+/);
  assert.ok(Number(await page.getByTestId('tree-size').innerText()) >= 20);
  await shot(page, 'ledger');
  // Again: the kept checkpoint is the base of a consistency proof (the view itself grew the log).
  await page.getByRole('button', { name: 'Check again' }).click();
  await page.getByText(/Verified in this browser: (consistent: size \d+ extends size \d+|unchanged)/).waitFor();
  await context.close();
});

test('audit: the index renders, a row opens the sealed event with its decision, the receipt verifies and downloads, and the views are in the index', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bed.base, 'auditor');
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByTestId('audit-table').waitFor();
  assert.ok((await page.locator('[data-testid=audit-table] tbody tr').count()) > 5);
  await shot(page, 'audit');
  await page.getByLabel('Action').fill('graph.node.upserted');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('[data-testid=audit-table] tbody tr', { hasText: 'graph.node.upserted' }).first().click();
  const receipt = page.getByTestId('receipt-status');
  await receipt.waitFor();
  assert.match(await receipt.innerText(), /^Receipt verified in this browser: leaf \d+ of companyos\.local\/demo at size \d+, checkpoint signed by companyos\.local\+[0-9a-f]{8}/);
  assert.match(await page.getByTestId('sealed-event').innerText(), /"type": "graph\.node\.upserted"/);
  assert.match(await page.locator('dl.facts').innerText(), /Determining policies\s+[^\n]*service-graph-ingest/);
  await shot(page, 'audit-event');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the receipt' }).click()]);
  const saved = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { event: { type: string }; hashes: string[]; checkpoint: string };
  assert.is(saved.event.type, 'graph.node.upserted');
  assert.match(saved.checkpoint, /^companyos\.local\/demo\n\d+\n/);
  // The view and the download are sealed access events, found in the audit view itself.
  await page.getByRole('button', { name: '← Back to the audit index' }).click();
  await page.getByLabel('Action').fill('evidence.download');
  await page.getByLabel('Actor').fill('dev:portal:auditor');
  await until('the download in the audit index', async () => {
    await page.getByRole('button', { name: 'Search' }).click();
    return (await page.locator('[data-testid=audit-table] tbody tr', { hasText: 'evidence.download' }).count()) > 0 ? true : undefined;
  });
  assert.match(await page.locator('[data-testid=audit-table] tbody tr').first().innerText(), /dev:portal:auditor\s+evidence\.download\s+receipt:[0-9a-f-]{36}\s+allowed/);
  await page.getByLabel('Action').fill('evidence.view');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('[data-testid=audit-table] tbody tr', { hasText: 'event:' }).first().waitFor();
  await shot(page, 'audit-evidence-access');
  await context.close();
});

test('lineage: the demo service\'s neighbourhood is drawn with provenance, and an edge opens its sealed event, verified', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bed.base, 'auditor');
  await page.getByRole('link', { name: 'Lineage' }).click();
  await page.getByTestId('lineage-graph').waitFor();
  const graph = await page.getByTestId('lineage-graph').textContent();
  for (const text of ['service:checkout', 'deployment:shop:77', 'DEPLOYS · argo-cd', 'PRODUCES · openlineage']) assert.ok(graph!.includes(text), text);
  await shot(page, 'lineage');
  // Provenance chips on each edge: the real confidence of the demo's inferred PRODUCES link, as the API answers it.
  const auditor = await bed.token(['auditor'], 'user:audrey');
  const related = (await (await bed.api('/v1/graph/related?id=service%3Acheckout&depth=2&direction=both', auditor)).json()) as {
    items: { edge: { type: string; from: string; to: string }; provenance: { confidence: number; effectiveAt: string } }[];
  };
  const produces = related.items.find((i) => i.edge.type === 'PRODUCES' && i.edge.from === 'service:checkout')!;
  assert.is(produces.provenance.confidence, DEMO_CONFIDENCE.produces);
  const producesRow = page.locator('[data-testid=lineage-edges] tr', { hasText: 'service:checkout -[PRODUCES]→ dataset:orders' });
  assert.is(await producesRow.getByTestId('confidence-chip').innerText(), `confidence ${produces.provenance.confidence}`);
  assert.match(await producesRow.innerText(), new RegExp(`effective ${produces.provenance.effectiveAt}`));
  assert.ok(graph!.includes(`confidence ${produces.provenance.confidence}`), 'drawn on the edge too');
  const deploys = page.locator('[data-testid=lineage-edges] tr', { hasText: 'deployment:shop:77 -[DEPLOYS]→ service:checkout' });
  assert.match(await deploys.innerText(), /source argo-cd\s*actor service:companyos-demo\s*observed 2026-01-05T09:16:00\.000Z\s*effective 2026-01-05T09:16:00\.000Z\s*confidence 1/);
  // The chip on the drawn edge is a labelled button that Tab reaches and Enter opens.
  const chip = page.getByRole('button', {
    name: /^PRODUCES · openlineage confidence 0\.9: service:checkout PRODUCES dataset:orders; source openlineage, actor service:companyos-demo, observed .*, effective .*, confidence 0\.9\. Open its sealed event$/,
  });
  assert.is(await chip.getAttribute('tabindex'), '0');
  await chip.focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('receipt-status').waitFor();
  assert.match(await page.getByTestId('provenance').innerText(), /source openlineage[\s\S]*confidence 0\.9/);
  await page.getByRole('button', { name: '← Back to the lineage' }).click();
  await page.getByTestId('lineage-graph').waitFor();
  await deploys.getByRole('button', { name: /Open the sealed event/ }).click();
  await page.getByTestId('receipt-status').waitFor();
  assert.match(await page.getByTestId('receipt-status').innerText(), /^Receipt verified in this browser/);
  assert.match(await page.getByTestId('provenance').innerText(), /source argo-cd\s*observed 2026-01-05T09:16:00\.000Z\s*effective [^ ]+\s*confidence 1\s*argo-cd:77\/service/);
  await shot(page, 'lineage-edge');
  await context.close();
});

test('costs: cost by service per day is charted and totalled exactly; by team too', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bed.base, 'auditor');
  await page.getByRole('link', { name: 'Costs' }).click();
  await page.getByTestId('costs-chart').waitFor();
  // checkout 4 + 8 + 12 h, search 3 × 2 h, at 0.5 USD/h: 12 + 3 = 15 USD.
  assert.match(await page.getByTestId('costs-total').innerText(), /^15(\.0+)? USD$/);
  assert.match(await page.getByTestId('costs-table').innerText(), /checkout\s+12(\.0+)? USD\s+3\s+search\s+3(\.0+)? USD\s+3/);
  assert.is(await page.locator('[data-testid=costs-chart] rect.bar').count(), 6);
  // The budget panel: the demo's budget against this month's spend, and the thresholds crossed, as the API answers them.
  const budget = (await (await bed.api('/v1/finops/budget', await bed.token(['auditor'], 'user:audrey'))).json()) as {
    spent: string; share: string; thresholdsCrossed: { threshold: number }[]; anomalies: unknown[];
  };
  assert.is(await page.getByTestId('budget-amount').innerText(), `${DEMO_BUDGET.amount} ${DEMO_BUDGET.currency}`);
  assert.is(await page.getByTestId('budget-spent').innerText(), `${budget.spent} USD (${budget.share} % of the budget)`);
  await page.getByTestId('costs-facts').waitFor();
  const facts = budget.thresholdsCrossed.length + budget.anomalies.length;
  if (facts === 0) assert.match(await page.getByTestId('costs-facts').innerText(), /No budget threshold crossed/);
  else assert.is(await page.locator('[data-testid=costs-facts] li').count(), facts);
  for (const t of budget.thresholdsCrossed) assert.ok((await page.getByTestId('costs-facts').innerText()).includes(`budget threshold ${t.threshold} % crossed`));
  await shot(page, 'costs');
  await page.locator('select[name=dim]').selectOption('team');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByText(/^discovery/).waitFor();
  assert.match(await page.getByTestId('costs-table').innerText(), /discovery\s+3(\.0+)? USD/);
  await context.close();
});

test('policy: the version in force and its history render', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bed.base, 'auditor');
  await page.getByRole('link', { name: 'Policy' }).click();
  await page.getByTestId('policy-version').waitFor();
  assert.match(await page.getByTestId('policy-version').innerText(), /^version 1 [0-9a-f]{16,}/);
  await page.getByTestId('policy-history').waitFor();
  await shot(page, 'policy');
  await context.close();
});

test('runs: an auditor sees the waiting run and no control to change it (the API refuses one too); an admin gets approve and cancel', async () => {
  if (bed === undefined || browser === undefined) return;
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bed.base, 'auditor');
  await page.getByRole('link', { name: 'Runs' }).click();
  await page.getByTestId('runs-table').getByText(runId).click();
  await page.getByTestId('run-state').waitFor();
  assert.is(await page.getByTestId('run-state').innerText(), 'waiting_manual');
  await page.getByTestId('read-only').waitFor();
  assert.is(await page.getByTestId('approve').count(), 0);
  assert.is(await page.getByTestId('cancel').count(), 0);
  assert.is(await page.locator('main button:not(.secondary)').count(), 0, 'no write control for an auditor');
  await shot(page, 'runs-auditor');
  const auditor = await bed.token(['auditor'], 'user:audrey');
  const refused = await bed.api(`/v1/runs/${runId}/steps/confirm-release/approve`, auditor, { method: 'POST', body: '{}' });
  assert.is(refused.status, 403);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, bed.base, 'admin');
  await page.goto(`${bed.base}/portal/#/runs/${runId}`);
  await page.getByTestId('approve').waitFor();
  await page.getByTestId('cancel').waitFor();
  await shot(page, 'runs-admin');
  await context.close();
});

test('a witness\'s cosignature on the checkpoint is verified in the browser with the witness key the server publishes', async () => {
  if (bed === undefined || browser === undefined) return;
  const admin = await bed.token(['admin'], 'user:ada');
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bed.base, 'auditor');
  const witnesses = page.getByTestId('witnesses');
  // The witness cosigns the latest checkpoint; the view shows it verified once it serves that one (each view
  // is itself a sealed event, so a newer checkpoint may come first: cosign that one, and look again).
  await until('the witness line verified in the view', async () => {
    const note = await (await bed!.api('/v1/ledger/checkpoint', admin)).text();
    const parsed = parseNote(note);
    if (!parsed.ok) throw new Error(parsed.reason);
    const cosigned = signNote(parsed.value.text, [cosigner(WITNESS_NAME, WITNESS.publicKey, (m) => nacl.sign.detached(m, WITNESS.secretKey))], parsed.value.signatures);
    const kept = await bed!.api('/v1/ledger/checkpoints/cosignatures', admin, { method: 'POST', body: JSON.stringify({ checkpoint: cosigned }) });
    if (kept.status !== 201) throw new Error(await kept.text());
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByTestId('ledger-status').waitFor();
    return /witness\.example\.org: verified here/.test(await witnesses.innerText()) ? true : undefined;
  });
  assert.match(await page.getByTestId('ledger-status').innerText(), /^Verified in this browser/);
  await shot(page, 'ledger-witness');
  await context.close();
});

/** A test server in front of the portal's server: passes everything through, but can serve another checkpoint. */
function checkpointProxy(target: string): { server: Server; mode: { tamper?: (answer: { treeSize: number; note: string; rootHash: string }) => Promise<object> } } {
  const mode: { tamper?: (answer: { treeSize: number; note: string; rootHash: string }) => Promise<object> } = {};
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host, 'accept-encoding': 'identity' } }, async (answer) => {
      if (req.url === '/v1/evidence/checkpoint' && mode.tamper !== undefined && answer.statusCode === 200) {
        const chunks: Buffer[] = [];
        for await (const chunk of answer) chunks.push(chunk as Buffer);
        const body = JSON.stringify(await mode.tamper(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(body);
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  return { server, mode };
}

test('a checkpoint served by a test server that rolled the log back, or forged its root, turns the ledger view red naming the sizes', async () => {
  if (bed === undefined || browser === undefined) return;
  const proxy = checkpointProxy(bed.base);
  const port = await freePort();
  await new Promise<void>((r) => proxy.server.listen(port, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${port}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, base, 'auditor');
    await page.getByText(/^Verified in this browser: first checkpoint/).waitFor();
    const kept = Number(await page.getByTestId('tree-size').innerText());
    // Rollback: the log's first checkpoint, validly signed, but smaller than the one this browser kept.
    const admin = await bed.token(['admin'], 'user:ada');
    const first = ((await (await bed.api('/v1/ledger/checkpoints?limit=1', admin)).json()) as { checkpoints: { treeSize: number; note: string; rootHash: string }[] }).checkpoints[0]!;
    assert.ok(first.treeSize < kept);
    proxy.mode.tamper = async (answer) => ({ ...answer, treeSize: first.treeSize, note: first.note, rootHash: first.rootHash });
    await page.getByRole('button', { name: 'Check again' }).click();
    const status = page.getByTestId('ledger-status');
    await page.getByText(/^NOT verified: rollback/).waitFor();
    assert.is(await status.innerText(), `NOT verified: rollback: this browser saw size ${kept}, the log now says size ${first.treeSize}`);
    // Red: the page's style for a failed check (the test's own types have no DOM, hence the cast).
    const color = await status.evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(e).color);
    assert.is(color, 'rgb(164, 20, 27)');
    await shot(page, 'ledger-rollback');
    // Forged: the latest note with another root: its signature no longer verifies.
    proxy.mode.tamper = async (answer) => {
      const lines = answer.note.split('\n');
      lines[2] = Buffer.alloc(32, 7).toString('base64');
      return { ...answer, note: lines.join('\n') };
    };
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByText(/^NOT verified: the checkpoint does not verify with the log's published keys/).waitFor();
    await shot(page, 'ledger-forged');
    // Honest again: the browser still holds the checkpoint it kept, and the log extends it.
    delete proxy.mode.tamper;
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByText(new RegExp(`^Verified in this browser: (consistent: size \\d+ extends size ${kept}|unchanged since this browser last looked: size ${kept})`)).waitFor();
    await context.close();
  } finally {
    await new Promise<void>((r) => proxy.server.close(() => r()));
  }
});

test.run();

// A bearer token on an ingest message: verified, tenant-checked, and then the actor; without one, the
// ingest service (or a dead letter when tokens are required).
import { createServer, type AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { issueDevelopmentToken, jwtVerifier, remoteJwks } from '../auth/jwt.js';
import { authenticateDelivery } from './ingest-authn.js';
import { parseDelivery } from './ingest-message.js';
import { TEST_INGEST_POLICY, testDelivery } from '../../test/nats-support.js';

const test = suite('nats ingest authentication');
const secret = new TextEncoder().encode('ingest-test-secret-of-32-bytes!!!');
const jwt = { issuer: 'companyos-dev', audience: 'companyos' };
const tokens = jwtVerifier(secret, jwt);
const token = (tenant: string) =>
  issueDevelopmentToken(secret, jwt, { tenant, roles: ['service'], region: 'eu-west', subject: 'service:lineage-bridge' }, Math.floor(Date.now() / 1000));
const body = { id: 'svc:a', type: 'Service', region: 'eu-west', attributes: {}, provenance: { sourceSystem: 'x', observedAt: '2026-01-01T00:00:00Z' } };
const subject = 'ingest.acme.graph_node_upsert';
const authenticate = (headers: Record<string, string>, requireToken = false) => {
  const d = testDelivery(subject, body, headers);
  return authenticateDelivery(parseDelivery(d, TEST_INGEST_POLICY), d, tokens, requireToken);
};

test("a valid token for the subject's tenant makes its principal the actor, with authn jwt", async () => {
  const w = await authenticate({ Authorization: `Bearer ${await token('acme')}` });
  if (w.kind === 'reject') throw new Error(w.reason);
  assert.is(w.principal.id, 'service:lineage-bridge');
  assert.is(w.principal.authn, 'jwt');
  assert.is(w.principal.region, 'eu-west');
});

test('without a token the ingest service acts (NATS permissions authenticate it), unless tokens are required', async () => {
  const open = await authenticate({});
  if (open.kind === 'reject') throw new Error(open.reason);
  assert.is(open.principal.id, 'service:nats-ingest');
  assert.is(open.principal.authn, 'system');
  const closed = await authenticate({}, true);
  assert.equal(closed.kind === 'reject' ? [closed.status, closed.code] : closed.kind, [401, 'token-required']);
});

test("a bad token, a malformed header and another tenant's token are refused", async () => {
  const bad = await authenticate({ Authorization: 'Bearer not.a.jwt' });
  assert.equal(bad.kind === 'reject' ? [bad.status, bad.code] : bad.kind, [401, 'bad-token']);
  const malformed = await authenticate({ Authorization: 'Basic dXNlcjpwYXNz' });
  assert.equal(malformed.kind === 'reject' ? [malformed.status, malformed.code] : malformed.kind, [401, 'bad-token']);
  const other = await authenticate({ Authorization: `Bearer ${await token('globex')}` });
  assert.equal(other.kind === 'reject' ? [other.status, other.code] : other.kind, [403, 'tenant-mismatch']);
});

test('a Companyos-Actor header never names the actor: the token proves it, or the ingest service acts', async () => {
  const forged = { 'Companyos-Actor': 'service:github-webhook' };
  const withToken = await authenticate({ ...forged, Authorization: `Bearer ${await token('acme')}` });
  if (withToken.kind === 'reject') throw new Error(withToken.reason);
  assert.equal([withToken.principal.id, withToken.principal.authn], ['service:lineage-bridge', 'jwt']);
  const without = await authenticate(forged);
  if (without.kind === 'reject') throw new Error(without.reason);
  assert.equal([without.principal.id, without.principal.authn], ['service:nats-ingest', 'system']);
});

test('a key set that cannot be fetched is transient (retried), not a bad token', async () => {
  const d = testDelivery(subject, body, { Authorization: `Bearer ${await token('acme')}` });
  const unreachable = jwtVerifier(remoteJwks(`http://127.0.0.1:${await closedPort()}/jwks.json`), jwt);
  const w = await authenticateDelivery(parseDelivery(d, TEST_INGEST_POLICY), d, unreachable, false);
  assert.equal(w.kind === 'reject' ? [w.status, w.code, w.transient] : w.kind, [503, 'token-unverifiable', true]);
});

/** A local port nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test.run();

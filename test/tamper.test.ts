// Tampering with the stored log, as someone with database access would, and proving that verification
// (the API and the CLI) names the exact event for each alteration.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import { fromRecordedEvent, sealEvent } from '../ledger/index.js';
import { OTHER_TEST_SEED, TEST_SEED, testSigningKey } from './test-events.js';
import { openTestApi, type TestApi } from './api-harness.js';
import { openDirLog, type TestLog } from './logs.js';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, '../bin/companyos.js');
const TENANT = 'tamper';
const enc = encodeURIComponent;
const streamOf = (name: string) => `${TENANT}/graph.node/svc:${name}`;

interface Expected {
  readonly stream: string;
  readonly revision: number;
  eventId: string;
  readonly reason: RegExp;
}

let dataDir: string;
let testLog: TestLog;
let api: TestApi;
let viewer: string;
const expected: Record<string, Expected> = {};

/** Stored rows of a stream by revision. */
async function rows(stream: string) {
  return testLog.sql<{ id: string; revision: string; type: string; data: unknown; metadata: unknown }>(
    'SELECT id::text, revision::text, type, data, metadata FROM ${schema}.events WHERE stream = $1 ORDER BY revision',
    [stream],
  );
}

const tampering = {
  async 'changed payload'(stream: string) {
    const [, , third] = await rows(stream);
    await testLog.sql(`UPDATE \${schema}.events SET data = jsonb_set(data, '{attributes,name}', '"evil"') WHERE stream = $1 AND revision = 2`, [stream]);
    return { revision: 2, eventId: third!.id, reason: /^hash mismatch/ };
  },
  async 'changed hash'(stream: string) {
    const [, , third] = await rows(stream);
    await testLog.sql(`UPDATE \${schema}.events SET metadata = jsonb_set(metadata, '{hash}', to_jsonb(repeat('a', 64))) WHERE stream = $1 AND revision = 2`, [stream]);
    return { revision: 2, eventId: third!.id, reason: /^hash mismatch/ };
  },
  async 'deleted middle event'(stream: string) {
    const [, , , fourth] = await rows(stream);
    await testLog.sql('DELETE FROM ${schema}.events WHERE stream = $1 AND revision = 2', [stream]);
    return { revision: 3, eventId: fourth!.id, reason: /^revision gap: expected 2, found 3/ };
  },
  async 'two events swapped'(stream: string) {
    const [, second, third] = await rows(stream);
    const put = (revision: number, r: typeof second) =>
      testLog.sql(
        'UPDATE ${schema}.events SET id = $2::uuid, type = $3, data = $4::jsonb, metadata = $5::jsonb WHERE stream = $1 AND revision = $6',
        [stream, r!.id, r!.type, JSON.stringify(r!.data), JSON.stringify(r!.metadata), String(revision)],
      );
    await testLog.sql(`UPDATE \${schema}.events SET id = gen_random_uuid() WHERE stream = $1 AND revision = 1`, [stream]);
    await put(2, second);
    await put(1, third);
    return { revision: 1, eventId: third!.id, reason: /^revision mismatch: stored at 1, sealed as 2/ };
  },
  async 're-signed with a key not in the keyring'(stream: string) {
    const stored = (await testLog.log.readStream(stream))[2]!;
    const sealed = fromRecordedEvent(stored);
    if (isLeft(sealed)) throw new Error(sealed.left);
    const { hash: _h, keyId: _k, signature: _s, ...unsealed } = sealed.right;
    const forged = sealEvent(unsealed, testSigningKey(OTHER_TEST_SEED));
    await testLog.sql(
      `UPDATE \${schema}.events SET metadata = metadata || jsonb_build_object('keyId', $2::text, 'signature', $3::text) WHERE stream = $1 AND revision = 2`,
      [stream, forged.keyId, forged.signature],
    );
    return { revision: 2, eventId: stored.id, reason: /^unknown signing key ed25519:/ };
  },
} as const;

const names = Object.keys(tampering) as (keyof typeof tampering)[];
const slug = (name: string) => name.replace(/[^a-z]+/g, '-');

const tamper = suite('tampering is named exactly by verification (API and CLI)');

tamper.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-tamper-'));
  testLog = await openDirLog(join(dataDir, 'pglite'));
  api = await openTestApi(testLog.log);
  const editor = await api.token({ tenant: TENANT, roles: ['editor'], region: 'us-east' });
  viewer = await api.token({ tenant: TENANT, roles: ['viewer'], region: 'us-east' });
  for (const name of [...names.map(slug), 'intact']) {
    for (let i = 0; i < 5; i++) {
      const res = await api.call('POST', '/v1/commands/graph.node.upsert', {
        token: editor,
        body: { id: `svc:${name}`, type: 'Service', region: 'us-east', attributes: { name, i }, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } },
      });
      assert.is(res.status, 201, JSON.stringify(res.body));
    }
  }
  const before = await api.call('GET', '/v1/ledger/verify', { token: viewer });
  // No checkpoint here (no checkpointer runs): the tenant's 30 events are its unanchored tail.
  const { trust: _trust, ...beforeReport } = before.body;
  assert.equal(beforeReport, { ok: true, eventsChecked: 30, streamsChecked: 6, failures: [], tree: { treeSize: 30, checkpoints: 0, anchoredSize: 0, unanchored: 30, failures: [] } });
  for (const name of names) {
    const stream = streamOf(slug(name));
    expected[name] = { stream, ...(await tampering[name](stream)) };
  }
});

tamper.after(async () => {
  await api?.close();
  await testLog?.close();
  await rm(dataDir, { recursive: true, force: true });
});

for (const name of names) {
  tamper(`API ?stream=: ${name} is named at its exact event`, async () => {
    const e = expected[name]!;
    const res = await api.call('GET', `/v1/ledger/verify?stream=${enc(e.stream)}`, { token: viewer });
    assert.is(res.status, 200);
    assert.is(res.body.ok, false);
    const [first] = res.body.failures;
    assert.is(first.stream, e.stream);
    assert.is(first.revision, e.revision);
    assert.is(first.eventId, e.eventId);
    assert.match(first.reason, e.reason);
  });
}

tamper('API whole tenant: every tampered stream is reported, the intact one is not', async () => {
  const res = await api.call('GET', '/v1/ledger/verify', { token: viewer });
  assert.is(res.body.ok, false);
  const firstPerStream = new Map<string, { revision: number; eventId: string; reason: string }>();
  for (const f of res.body.failures) if (!firstPerStream.has(f.stream)) firstPerStream.set(f.stream, f);
  assert.equal([...firstPerStream.keys()].sort(), names.map((n) => expected[n]!.stream).sort());
  for (const name of names) {
    const e = expected[name]!;
    const f = firstPerStream.get(e.stream)!;
    assert.is(f.revision, e.revision, name);
    assert.is(f.eventId, e.eventId, name);
    assert.match(f.reason, e.reason, name);
  }
  const intact = await api.call('GET', `/v1/ledger/verify?stream=${enc(streamOf('intact'))}`, { token: viewer });
  const { trust: _trust, ...intactReport } = intact.body;
  assert.equal(intactReport, { ok: true, eventsChecked: 5, streamsChecked: 1, failures: [] });
});

// The CLI reads the store directly: the test's own PGlite must be closed first (one process per directory).
// Without DATABASE_URL/EVENTSTORE_URL, whatever CI sets: the CLI must read the embedded store here.
const cliEnv = () => {
  const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, ...env } = process.env;
  return { ...env, COMPANYOS_DATA_DIR: dataDir, COMPANYOS_SIGNING_KEY: Buffer.from(TEST_SEED).toString('base64') };
};
const cli = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: cliEnv() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

tamper('CLI: exit 1 naming the first broken link; --json lists every failure; an intact stream exits 0', async () => {
  await api.close();
  await testLog.close();
  for (const name of names) {
    const e = expected[name]!;
    const out = await cli('verify', '--stream', e.stream);
    assert.is(out.code, 1, `${name}: ${out.stdout}${out.stderr}`);
    assert.match(out.stdout, `broken: ${e.stream} revision ${e.revision} (event ${e.eventId}):`);
  }
  const json = await cli('verify', '--tenant', TENANT, '--json');
  assert.is(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.is(report.ok, false);
  assert.is(report.eventsChecked, 29);
  for (const name of names) assert.ok(report.failures.some((f: Expected) => f.eventId === expected[name]!.eventId), name);
  const intact = await cli('verify', '--stream', streamOf('intact'));
  assert.is(intact.code, 0, intact.stderr);
  assert.match(intact.stdout, /^ok: 5 events in 1 streams verified/);
});

tamper.run();

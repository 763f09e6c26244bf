// The `companyos` CLI as a user runs it: real processes, a real embedded store, exit codes and output.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exited } from '../test/child-process.js';
import { DEMO_COMMANDS } from './demo-tenant.js';
import { ED25519_NOTE, verifierString } from '../ledger/signed-note.js';
import { openPostgres } from '../adapters/read-store/postgres/database.js';

const run = promisify(execFile);
const CLI = resolve(import.meta.dirname, 'companyos.js');
let dataDir: string;

/** The environment of a user with no servers configured, whatever the test runner has. */
const env = (extra: Record<string, string> = {}) => {
  const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, NATS_URL: _nats, CLICKHOUSE_URL: _ch, COMPANYOS_SIGNING_KEY: _k, ...rest } = process.env;
  return { ...rest, COMPANYOS_DATA_DIR: dataDir, ...extra };
};

async function cli(args: string[], extra: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: env(extra) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const usage = suite('CLI: bad input is one line and a non-zero exit');
usage.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-cli-'));
});

const mistakes: [string, string[], Record<string, string>, RegExp][] = [
  ['unknown command', ['frobnicate'], {}, /^companyos: unknown command "frobnicate"/],
  ['unknown option', ['token', '--tenant', 'acme', '--roles', 'editor', '--colour', 'red'], {}, /^companyos: Unknown option '--colour'/],
  ['invalid role', ['token', '--tenant', 'acme', '--roles', 'god'], {}, /^companyos: --roles: expected roles/],
  ['invalid tenant', ['token', '--tenant', 'ACME!', '--roles', 'viewer'], {}, /^companyos: --tenant: expected TenantId/],
  ['bad configuration', ['verify', '--tenant', 'acme'], { PORT: 'eighty' }, /^companyos: bad configuration: PORT: expected port number/],
  ['bad signing key', ['verify', '--tenant', 'acme'], { COMPANYOS_SIGNING_KEY: 'c2hvcnQ=' }, /^companyos: COMPANYOS_SIGNING_KEY: expected the base64 of a 32-byte/],
  // parseArgs's own messages run over three lines; a value that starts with a dash is one of them.
  ['negative ttl', ['token', '--ttl', '-1'], {}, /^companyos: --ttl: "-1" looks like an option; a value that starts with "-" is written --ttl=-1$/],
  ['negative ttl, written as a value', ['token', '--tenant', 'acme', '--roles', 'viewer', '--ttl=-1'], {}, /^companyos: --ttl: expected ttl/],
  ['negative position', ['replay', '--to-position', '-5'], {}, /^companyos: --to-position: "-5" looks like an option/],
  ['negative position, written as a value', ['replay', '--to-position=-5'], {}, /^companyos: --to-position: expected a log position/],
  ['option without its value', ['verify', '--tenant'], {}, /^companyos: Option '--tenant <value>' argument missing$/],
  ['trusted checkpoint without a tenant', ['verify', '--trusted-checkpoint', 'note.txt'], {}, /^companyos: --trusted-checkpoint checks a whole tenant: give --tenant, without --stream$/],
  ['run start option value with a dash', ['run', 'start', 'deploy', '--reason', '-q'], {}, /^companyos: --reason: "-q" looks like an option.*; usage: companyos run start/],
  ['ttl over the lifetime cap', ['token', '--tenant', 'acme', '--roles', 'viewer', '--ttl', '601'], { COMPANYOS_JWT_MAX_TTL: '600' }, /^companyos: --ttl: 601 s is longer than a token may live \(600 s, COMPANYOS_JWT_MAX_TTL\)$/],
  ['demo token with an operator secret', ['demo', 'token'], { COMPANYOS_JWT_SECRET: 'an-operator-secret-of-enough-length' }, /^companyos: demo token works with development keys only/],
  ['demo, unknown subcommand', ['demo', 'tokens'], {}, /^companyos: usage: companyos demo canary \| companyos demo token/],
  ['bad lifetime cap', ['token', '--tenant', 'acme', '--roles', 'viewer'], { COMPANYOS_JWT_MAX_TTL: '0' }, /^companyos: bad configuration: COMPANYOS_JWT_MAX_TTL/],
];
for (const [name, args, extra, message] of mistakes) {
  usage(name, async () => {
    const out = await cli(args, extra);
    assert.ok(out.code !== 0, `exit ${out.code}`);
    const lines = out.stderr.trim().split('\n');
    assert.is(lines.length, 1, out.stderr);
    assert.match(lines[0]!, message);
    assert.not.match(out.stderr, /\n\s+at /); // no stack trace
  });
}

usage('serve on a port already in use: one line and exit 1 at once, not a process that serves nothing', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
  const port = (taken.address() as AddressInfo).port;
  try {
    const child = spawn(process.execPath, [CLI, 'serve'], { env: env({ PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    // The deadline is the test's guard against a hang, not a timing assertion.
    const exit = await exited(child, 30_000);
    assert.is(exit.code, 1, stderr);
    assert.equal(stderr.trim().split('\n'), [`companyos: port ${port} is already in use (0.0.0.0:${port}); stop the other process or set PORT`]);
  } finally {
    taken.close();
  }
});

usage('a token from `companyos token` lives within the default cap and carries exp', async () => {
  const out = await cli(['token', '--tenant', 'acme', '--roles', 'viewer']);
  assert.is(out.code, 0, out.stderr);
  const claims = JSON.parse(Buffer.from(out.stdout.trim().split('.')[1]!, 'base64url').toString());
  assert.type(claims.exp, 'number');
  assert.ok(claims.exp - claims.iat <= 24 * 3600, JSON.stringify(claims));
});

usage('`companyos token` mints step-up and purpose claims: --auth-time=-N (N seconds ago), --acr, --amr, --purpose', async () => {
  const out = await cli(['token', '--tenant', 'acme', '--roles', 'admin', '--auth-time=-600', '--acr', 'urn:mfa', '--amr', 'pwd,otp', '--purpose', 'dsar:17']);
  assert.is(out.code, 0, out.stderr);
  const claims = JSON.parse(Buffer.from(out.stdout.trim().split('.')[1]!, 'base64url').toString());
  assert.ok(claims.iat - claims.auth_time >= 600 && claims.iat - claims.auth_time < 660, JSON.stringify(claims));
  assert.equal([claims.acr, claims.amr, claims.purpose], ['urn:mfa', ['pwd', 'otp'], 'dsar:17']);
  const bad = await cli(['token', '--tenant', 'acme', '--roles', 'admin', '--auth-time=yesterday']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--auth-time: expected auth-time/);
});

const lifecycle = suite('CLI: serve, token, keys and verify on the embedded store');
let server: ChildProcess | undefined;
lifecycle.after(async () => {
  server?.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

lifecycle('serve accepts a token from `companyos token`, keeps the store to itself, and stops cleanly', async () => {
  const port = 30000 + Math.floor(Math.random() * 20000);
  server = spawn(process.execPath, [CLI, 'serve'], { env: env({ PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  for (let i = 0; !output.includes('listening on'); i++) {
    assert.ok(i < 600 && server.exitCode === null, `server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = (await cli(['token', '--tenant', 'acme', '--roles', 'editor', '--region', 'us-east'])).stdout.trim().split('\n').pop()!;
  const res = await fetch(`http://127.0.0.1:${port}/v1/commands/graph.node.upsert`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'svc:cli', type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'cli-test', observedAt: '2026-01-01T00:00:00Z' } }),
  });
  assert.is(res.status, 201, await res.text());
  assert.ok(output.includes(`seeded demo tenant "demo" (${DEMO_COMMANDS.length} sealed events)`), output);
  // The demo token printed at the first start can be had again, and reads the demo tenant.
  const demoToken = (await cli(['demo', 'token'])).stdout.trim().split('\n').pop()!;
  const verified = await fetch(`http://127.0.0.1:${port}/v1/ledger/verify`, { headers: { authorization: `Bearer ${demoToken}` } });
  assert.is(verified.status, 200);
  assert.ok(((await verified.json()) as { eventsChecked: number }).eventsChecked >= DEMO_COMMANDS.length);
  const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { projections: { name: string }[] };
  assert.is(ready.projections[0]?.name, 'graph');

  const busy = await cli(['verify', '--tenant', 'acme']);
  assert.is(busy.code, 1);
  assert.match(busy.stderr, /in use by process \d+/);

  const keyring = await stat(join(dataDir, 'keyring.json'));
  assert.is(keyring.mode & 0o777, 0o600);
  assert.is((await stat(join(dataDir, 'jwt-secret'))).mode & 0o777, 0o600);

  server.kill('SIGTERM');
  assert.is((await exited(server)).code, 0, output);
  server = undefined;
});

lifecycle('verify reads the store the server wrote: exit 0 and a summary; --json is the API report', async () => {
  const out = await cli(['verify', '--tenant', 'acme']);
  assert.is(out.code, 0, out.stderr);
  // The command's event, and the checkpoint the server signed at shutdown (acme/ledger).
  assert.match(out.stdout, /^ok: 2 events in 2 streams verified/, out.stdout);
  // Its tree against that checkpoint: the command's event is anchored, the checkpoint's own event not yet.
  assert.match(out.stdout, /^tree: 2 events; checkpoint 1 holds \(1 in the log\); 1 after it unanchored$/m, out.stdout);
  const json = await cli(['verify', '--stream', 'acme/graph.node/svc:cli', '--json']);
  const { trust, ...chains } = JSON.parse(json.stdout);
  assert.equal(chains, { ok: true, eventsChecked: 1, streamsChecked: 1, failures: [] });
  // Nothing pinned: it says whose key it trusts on first use.
  assert.is(trust.mode, 'first-use');
  assert.match(out.stdout, /^keys: no trusted key configured: trusting the key of the log's first event, ed25519:[0-9a-f]{16}, on first use/m);
  // Both options are optional: without them, the whole log (the demo tenant's 20 events, acme's 1 and more).
  const all = await cli(['verify', '--json']);
  assert.is(all.code, 0, all.stderr);
  const report = JSON.parse(all.stdout) as { ok: boolean; eventsChecked: number };
  assert.ok(report.ok && report.eventsChecked >= 21, all.stdout);
});

lifecycle('keys generate prints a usable key; --rotate seals the rotation, leaves no retired seed, and the chain verifies', async () => {
  const generated = await cli(['keys', 'generate']);
  assert.is(generated.code, 0);
  const seed = /COMPANYOS_SIGNING_KEY=(\S+)/.exec(generated.stdout)?.[1];
  assert.is(Buffer.from(seed!, 'base64').length, 32);

  const before = JSON.parse(await readFile(join(dataDir, 'keyring.json'), 'utf8'));
  const first = before.keys[0];
  const rotated = await cli(['keys', 'generate', '--rotate']);
  assert.is(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, `retired ${first.keyId} at `);
  const text = await readFile(join(dataDir, 'keyring.json'), 'utf8');
  assert.is((await stat(join(dataDir, 'keyring.json'))).mode & 0o777, 0o600);
  const after = JSON.parse(text);
  assert.is(after.keys.length, 2);
  const old = after.keys.find((k: { keyId: string }) => k.keyId === before.keys[0].keyId);
  assert.type(old.notAfter, 'string');
  // The retired key's seed is nowhere in the file; only the new key has one.
  assert.not.ok(text.includes(first.privateKey), 'retired seed still in keyring.json');
  assert.is(after.keys.filter((k: { privateKey?: string }) => k.privateKey !== undefined).length, 1);
  // Pinned on the first key, the chain reaches the new one through the sealed rotation.
  const verified = await cli(['verify', '--tenant', 'acme', '--trusted-key', first.publicKey, '--json']);
  assert.is(verified.code, 0, verified.stdout + verified.stderr);
  const report = JSON.parse(verified.stdout);
  assert.is(report.trust.mode, 'pinned');
  assert.equal(report.trust.keys.map((k: { keyId: string }) => k.keyId), [first.keyId, after.keys.find((k: { privateKey?: string }) => k.privateKey !== undefined).keyId]);
  // The same pin as the note verifier string GET /v1/ledger/keys publishes; one whose id does not match, or of another algorithm, is a usage mistake.
  const firstKey = Buffer.from(first.publicKey, 'base64');
  const asVerifier = await cli(['verify', '--tenant', 'acme', '--trusted-key', verifierString('ledger.test', ED25519_NOTE, firstKey), '--json']);
  assert.is(asVerifier.code, 0, asVerifier.stdout + asVerifier.stderr);
  assert.equal(JSON.parse(asVerifier.stdout).trust.keys, report.trust.keys);
  const wrongId = await cli(['verify', '--tenant', 'acme', '--trusted-key', verifierString('ledger.test', ED25519_NOTE, firstKey).replace(/\+[0-9a-f]{8}\+/, '+00000000+')]);
  assert.is(wrongId.code, 2);
  assert.match(wrongId.stderr, /^companyos: --trusted-key: .*the id does not match the name and key\n?$/);
  const otherType = await cli(['verify', '--tenant', 'acme', '--trusted-key', verifierString('ledger.test', 0x04, firstKey)]);
  assert.is(otherType.code, 2);
  assert.match(otherType.stderr, /not an Ed25519 note key \(type 0x04\)/);
  // Pinned on the new key only, the history before it is not reached: it fails, naming the key.
  const active = after.keys.find((k: { privateKey?: string }) => k.privateKey !== undefined);
  const other = await cli(['verify', '--tenant', 'acme', '--trusted-key', active.publicKey]);
  assert.is(other.code, 1);
  assert.match(other.stdout, `unknown signing key ${first.keyId}: the key chain from the pinned key(s) does not reach it`);
});

lifecycle('replay: two runs give the same digests; --check matches the live read models and exits 1 once a live row differs', async () => {
  const first = await cli(['replay', '--json']);
  assert.is(first.code, 0, first.stderr);
  const a = JSON.parse(first.stdout).readModels[0];
  assert.is(a.name, 'graph');
  assert.ok(a.rows > 40, `rows ${a.rows}`);
  // Progress goes to stderr, stdout stays the report: where each rebuild got to, of which head, how fast.
  assert.match(first.stderr, new RegExp(`^replay: graph at position ${a.position} of \\d+, \\d+ events applied in [\\d.]+ s \\(\\d+ events/s\\)$`, 'm'));
  const b = JSON.parse((await cli(['replay', '--json'])).stdout).readModels[0];
  assert.is(b.digest, a.digest);

  const check = await cli(['replay', '--check']);
  assert.is(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^graph {2}matches/);

  const early = JSON.parse((await cli(['replay', '--to-position', '3', '--json'])).stdout).readModels[0];
  assert.is(early.position, '3');
  assert.is.not(early.digest, a.digest);

  // An operator edits a live row behind the projector's back.
  const db = await openPostgres({ dataDir: join(dataDir, 'pglite'), schema: 'companyos' });
  await db.withSession((s) => s.query(`UPDATE companyos.graph_nodes SET attributes = '{"edited":true}' WHERE node_id = 'service:checkout'`));
  await db.close();
  const differs = await cli(['replay', '--check']);
  assert.is(differs.code, 1);
  assert.match(differs.stdout, /^graph {2}DIFFERS/);

  const mixed = await cli(['replay', '--check', '--to-position', '3']);
  assert.is(mixed.code, 2);
});

const demo = suite('CLI: the Maestro canary demo');
demo('demo canary fails its health check at 50 %, rolls back automatically and prints the timeline', async () => {
  const out = await cli(['demo', 'canary']);
  assert.is(out.code, 0, out.stderr);
  assert.match(out.stdout, /run canary-1: rolled_back/);
  assert.match(out.stdout, /step health-50 failed after 3 attempt\(s\); on_failure rollback/);
  // Compensations in reverse order: 50 % is shifted back before 10 %.
  assert.ok(out.stdout.indexOf('step shift-50 compensated') < out.stdout.indexOf('step shift-10 compensated'), out.stdout);
  assert.match(out.stdout, /user:dana -\[PERFORMS\]-> run:canary-1/);
  assert.match(out.stdout, /target: traffic now 0%/);
});

usage.run();
lifecycle.run();
demo.run();

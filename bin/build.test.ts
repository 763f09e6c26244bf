// The compiled build: bin/companyos.js runs the JavaScript in dist/<fingerprint>/ once it is built, with the
// files the code reads beside itself; a changed source file names another build.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { build, currentEntry, fingerprint } from './build.js';
import { makeChain, testSigningKey, toRecorded } from '../test/test-events.js';

const CLI = resolve(import.meta.dirname, 'companyos.js');
const run = promisify(execFile);

const compiled = suite('compiled build');

compiled('after a build, `companyos` runs the compiled CLI of that build; COMPANYOS_FROM_SOURCE=1 runs the source', async () => {
  const target = await build();
  assert.ok(currentEntry()?.endsWith(`${target}/bin/cli.js`), currentEntry());
  const { stdout } = await run(process.execPath, [CLI, '--version']);
  assert.match(stdout, new RegExp(`^companyos \\d+\\.\\d+\\.\\d+ \\(compiled JavaScript, ${target}\\)$`, 'm'));
  const source = await run(process.execPath, [CLI, '--version'], { env: { ...process.env, COMPANYOS_FROM_SOURCE: '1' } });
  assert.match(source.stdout, /\(TypeScript source through tsx\)/);
});

compiled('the build holds the files the code reads at run time: Cedar policies, the demo plan, package.json', async () => {
  const target = await build();
  for (const file of ['commands/policies/default.cedar', 'bin/demo/canary-plan.yaml', 'package.json', 'bin/cli/token.js', 'bin/system.js']) {
    assert.ok(existsSync(join(target, file)), `${file} missing from ${target}`);
  }
  assert.not.ok(existsSync(join(target, 'bin', 'build.test.js')), 'tests are not compiled');
});

compiled('the chain verification worker is one bundled module, and the compiled verifier\'s workers run it', async () => {
  const target = await build();
  const worker = readFileSync(join(target, 'commands', 'parallel-chain-worker.js'), 'utf8');
  assert.not.match(worker, /from\s*["']\.{1,2}\//, 'no relative import: the ledger and schemas are inside');
  const { ParallelChainVerifier } = (await import(pathToFileURL(join(target, 'commands', 'parallel-chain-verifier.js')).href)) as typeof import('../commands/parallel-chain-verifier.js');
  const key = testSigningKey();
  const records = makeChain('acme/graph.node/c', 4, key).map((e, i) => toRecorded(e, i + 1));
  records[2] = { ...records[2]!, data: { edited: true } };
  const verifier = new ParallelChainVerifier({ anchors: [{ keyId: key.keyId, publicKey: key.publicKey }], rotations: [] }, 2);
  for (const r of records) verifier.add(r);
  const report = await verifier.finish();
  assert.is(report.eventsChecked, 4);
  assert.equal(report.failures.map((f) => [f.revision, f.reason]), [[2, 'hash mismatch: payload or envelope altered']]);
});

compiled('a source file modified names another build; restored, the same one again', () => {
  const file = resolve(import.meta.dirname, 'cli', 'failures.ts');
  const { atime, mtime } = statSync(file);
  // Whole seconds: a Date holds milliseconds only, so restoring a nanosecond mtime read back through one may land
  // a millisecond early (half the time on ext4), which would name another build for a reason this test is not about.
  const settled = new Date(Math.floor(mtime.getTime() / 1000) * 1000);
  try {
    utimesSync(file, atime, settled);
    const before = fingerprint();
    utimesSync(file, atime, new Date(settled.getTime() + 1000));
    assert.is.not(fingerprint(), before);
    utimesSync(file, atime, settled);
    assert.is(fingerprint(), before);
  } finally {
    utimesSync(file, atime, mtime);
  }
});

compiled.run();

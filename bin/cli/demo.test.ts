// `companyos demo canary --json` as a script runs it: one JSON document on stdout (the run, its timeline, its
// graph neighbours, the target's traffic), the progress lines on stderr, including the wait for the approval.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const CLI = resolve(import.meta.dirname, '../companyos.js');

test('demo canary --json: the rolled-back run, its timeline and graph as JSON; progress on stderr', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-demo-json-'));
  try {
    const { DATABASE_URL: _pg, NATS_URL: _nats, ...env } = process.env;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'demo', 'canary', '--json'], { env: { ...env, COMPANYOS_DATA_DIR: dataDir }, timeout: 120_000 });
    const out = JSON.parse(stdout) as {
      run: { runId: string; status: string; waitingFor: unknown[]; steps: { id: string; status: string; approvals: string[] }[] };
      timeline: { type: string; actor: string }[];
      graph: { edge: { type: string; from: string; to: string } }[];
      target: { weight: number; shifts: number[] };
    };
    assert.equal([out.run.runId, out.run.status, out.run.waitingFor], ['canary-1', 'rolled_back', []]);
    assert.equal(out.run.steps.map((s) => [s.id, s.status, s.approvals]).slice(0, 2), [['approve-release', 'succeeded', ['user:rita']], ['shift-10', 'compensated', []]]);
    assert.ok(out.timeline.some((i) => i.type === 'run.step.approved' && i.actor === 'user:rita'));
    assert.is(out.timeline.at(-1)?.type, 'run.completed');
    assert.ok(out.graph.some((i) => i.edge.type === 'PERFORMS' && i.edge.from === 'user:dana' && i.edge.to === 'run:canary-1'));
    assert.equal(out.target, { ...out.target, weight: 0, shifts: [10, 50, 10, 0] });
    assert.match(stderr, /demo: run canary-1 is waiting_manual: step approve-release needs confirmation that the manual task is done by a holder of role release-manager/);
    assert.match(stderr, /demo: user:rita \(release-manager\) approved/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();

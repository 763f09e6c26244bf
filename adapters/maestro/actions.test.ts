// Script actions as the executor's real performer runs them: the operator's program with the templated
// arguments, as the unprivileged action user, with an empty environment plus the allowed variables, in a
// fresh working directory outside the data directory (removed afterwards), unable to read the data
// directory's 0600 secrets; never as root unless the operator says so; killed at the action's timeout.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { ActionCatalogue } from '../../schemas/actions.js';
import { parseActionsFile } from './actions-file.js';
import type { ActionSpec, ParamValues } from '../../schemas/plan.js';
import { actionPerformer, type ActionSettings, type Outcome } from './actions.js';
import { systemClock } from '../../commands/maestro/clock.js';

const NOBODY = { uid: 65534, gid: 65534 };
const test = suite<{ dataDir: string; actions: ActionCatalogue }>('script actions', {} as never);

function catalogue(): ActionCatalogue {
  const parsed = parseActionsFile(`actions:
  whoami: { program: /usr/bin/id }
  env:
    program: /usr/bin/env
    env: { PATH: /usr/bin:/bin, DEPLOY_TOKEN: { from: DEPLOY_TOKEN } }
  pwd: { program: /bin/pwd }
  read:
    program: /bin/cat
    args: ["{path}"]
    params: { path: { type: string, pattern: "/[A-Za-z0-9/._-]+", maxLength: 512 } }
  echo:
    program: /bin/echo
    args: [--key, "{idempotency_key}", --percent, "{percent}"]
    params: { percent: { type: integer, min: 0, max: 100 } }
  hang: { program: /bin/sleep, args: ["600"], timeout: 300ms }
`);
  if (isLeft(parsed)) throw new Error(parsed.left.join('; '));
  return parsed.right;
}

const script = (action: string, params: ParamValues = {}): ActionSpec => ({ action_type: 'script', script: { action, params } });
const perform = (ctx: { actions: ActionCatalogue }, spec: ActionSpec, settings: ActionSettings = { runAs: NOBODY }): Promise<Outcome> =>
  actionPerformer({ clock: systemClock, actions: ctx.actions, environment: {}, ...settings })({ action: spec, idempotencyKey: 'run-1:check:2', signal: new AbortController().signal });
const stdout = (o: Outcome): string => {
  if (!o.ok) throw new Error(`expected success, got ${o.error}`);
  return String(o.result['stdout']);
};

test.before(async (ctx) => {
  ctx.dataDir = await mkdtemp(join(tmpdir(), 'companyos-data-'));
  await writeFile(join(ctx.dataDir, 'jwt-secret'), 'the-server-secret\n', { mode: 0o600 });
  ctx.actions = catalogue();
});
test.after(async (ctx) => {
  await rm(ctx.dataDir, { recursive: true, force: true });
});

test('arguments come from the template, each placeholder one whole argument', async (ctx) => {
  assert.is(stdout(await perform(ctx, script('echo', { percent: 10 }), { allowRoot: true })), '--key run-1:check:2 --percent 10\n');
});

test('unregistered actions and bad parameters fail at run time too (the catalogue may have changed)', async (ctx) => {
  const gone = await perform(ctx, script('deleted'));
  assert.equal(gone, { ok: false, cause: 'error', error: 'action deleted is not registered on this server' });
  const bad = await perform(ctx, script('echo', { percent: 1000 }));
  assert.equal(bad, { ok: false, cause: 'error', error: 'action echo: params.percent: expected an integer 0..100, got 1000' });
});

if (process.getuid?.() !== 0) {
  console.log('skipped: script actions as another user (the tests are not root)');
} else {
  test('as root without an action user, actions are refused unless the operator allows root', async (ctx) => {
    const refused = await perform(ctx, script('whoami'), {});
    assert.is(refused.ok, false);
    if (!refused.ok) assert.match(refused.error, /^action whoami not run: the server runs as root; set COMPANYOS_ACTION_USER/);
    assert.match(stdout(await perform(ctx, script('whoami'), { allowRoot: true })), /^uid=0\(/);
  });

  test('the action runs as the unprivileged user, without supplementary groups', async (ctx) => {
    const out = stdout(await perform(ctx, script('whoami')));
    assert.match(out, /^uid=65534\([^)]*\) gid=65534\([^)]*\) groups=65534\([^)]*\)\n$/);
  });

  test('the environment is empty but for the variables the action allows; server secrets never pass', async (ctx) => {
    const environment = { DEPLOY_TOKEN: 't0k3n', COMPANYOS_JWT_SECRET: 'server-secret', DATABASE_URL: 'postgres://u:p@db/x', HOME: '/root' };
    const out = stdout(await perform(ctx, script('env'), { runAs: NOBODY, environment }));
    assert.equal(out.trim().split('\n').sort(), ['DEPLOY_TOKEN=t0k3n', 'PATH=/usr/bin:/bin']);
    const missing = await perform(ctx, script('env'), { runAs: NOBODY, environment: {} });
    assert.equal(missing, { ok: false, cause: 'error', error: "action env: DEPLOY_TOKEN is not set in the server's environment" });
  });

  test('a fresh working directory outside the data directory, removed afterwards', async (ctx) => {
    const first = stdout(await perform(ctx, script('pwd'))).trim();
    const second = stdout(await perform(ctx, script('pwd'))).trim();
    assert.match(first, /\/companyos-action-[^/]+$/);
    assert.is.not(first, second);
    assert.not.ok(first.startsWith(ctx.dataDir));
    await access(first).then(
      () => assert.unreachable(`${first} still exists`),
      (e: NodeJS.ErrnoException) => assert.is(e.code, 'ENOENT'),
    );
  });

  test("the data directory's 0600 secrets are not readable by the action user", async (ctx) => {
    const secret = join(ctx.dataDir, 'jwt-secret');
    const outcome = await perform(ctx, script('read', { path: secret }));
    assert.is(outcome.ok, false);
    if (!outcome.ok) {
      assert.is(outcome.cause, 'condition');
      assert.match(outcome.error, /Permission denied/);
      assert.not.match(outcome.error, /the-server-secret/);
    }
    // The same action as root reads it: the refusal above is the user's, not the action's.
    assert.is(stdout(await perform(ctx, script('read', { path: secret }), { allowRoot: true })), 'the-server-secret\n');
  });

  test("an action's own timeout ends it (and everything it started) with cause timeout", async (ctx) => {
    const outcome = await perform(ctx, script('hang'));
    assert.equal(outcome, { ok: false, cause: 'timeout', error: 'action hang: no outcome within its timeout of 300 ms' });
  });
}

test.run();

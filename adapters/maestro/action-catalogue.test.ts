// Start-up checks of what Maestro's steps may do: the actions file against this machine, the action user
// (never root), and the one line `serve` prints about both and egress.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { loadConfig, type Config } from '../../schemas/config.js';
import { actionSettingsOf, loadActionCatalogue, resolveActionUser } from './action-catalogue.js';

const test = suite<{ dir: string }>('action catalogue', {} as never);
test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'companyos-catalogue-'));
});
test.after(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

const configOf = (env: Record<string, string>): Config => {
  const c = loadConfig(env);
  if (isLeft(c)) throw new Error(c.left.join('; '));
  return c.right;
};
const failure = (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: Error) => e.message);

test('programs must exist and be executable; variables taken from the server must be set', async (ctx) => {
  const script = join(ctx.dir, 'not-executable.sh');
  await writeFile(script, '#!/bin/sh\n');
  await chmod(script, 0o644);
  const file = join(ctx.dir, 'actions.yaml');
  await writeFile(file, `actions:\n  a: { program: ${script} }\n  b: { program: /no/such/program }\n  c: { program: /bin/true, env: { TOKEN: { from: DEPLOY_TOKEN } } }\n`);
  assert.equal((await failure(loadActionCatalogue(file, {}))).split('\n'), [
    `COMPANYOS_ACTIONS_FILE ${file}: actions.a.program: ${script} is not an executable file`,
    `COMPANYOS_ACTIONS_FILE ${file}: actions.b.program: /no/such/program is not an executable file`,
    `COMPANYOS_ACTIONS_FILE ${file}: actions.c.env.TOKEN: DEPLOY_TOKEN is not set in the server's environment`,
  ]);
  assert.match(await failure(loadActionCatalogue(join(ctx.dir, 'missing.yaml'), {})), /^COMPANYOS_ACTIONS_FILE \S+missing\.yaml: cannot read it \(ENOENT\)$/);
  await chmod(script, 0o755);
  await writeFile(join(ctx.dir, 'ok.yaml'), `actions:\n  a: { program: ${script} }\n`);
  assert.equal([...(await loadActionCatalogue(join(ctx.dir, 'ok.yaml'), {})).keys()], ['a']);
});

test('the action user: uid:gid or a name from the passwd file, never root', async (ctx) => {
  for (const bad of ['0:0', '1000:0', 'root', 'Not A User', '1:2:3']) {
    const c = loadConfig({ COMPANYOS_ACTION_USER: bad });
    assert.ok(isLeft(c), bad);
    if (isLeft(c)) assert.match(c.left.join('\n'), /COMPANYOS_ACTION_USER/, bad);
  }
  const numeric = loadConfig({ COMPANYOS_ACTION_USER: '65534:65534', COMPANYOS_ALLOW_ROOT_ACTIONS: 'false' });
  assert.ok(isRight(numeric) && numeric.right.maestro.actionUser !== undefined);
  const passwd = join(ctx.dir, 'passwd');
  await writeFile(passwd, 'root:x:0:0:root:/root:/bin/sh\nrunner:x:1500:1600::/home/runner:/bin/false\nsneaky:x:0:1700::/:/bin/false\n');
  assert.equal(await resolveActionUser({ name: 'runner' }, passwd), { uid: 1500, gid: 1600 });
  assert.match(await failure(resolveActionUser({ name: 'sneaky' }, passwd)), /sneaky is root/);
  assert.match(await failure(resolveActionUser({ name: 'ghost' }, passwd)), /no user ghost/);
});

test('start-up says what steps may do: no actions, who runs them, where http may go', async (ctx) => {
  const none = await actionSettingsOf(configOf({}), {});
  assert.is(none.description, 'maestro: script steps refused (no COMPANYOS_ACTIONS_FILE); http egress to public addresses');
  await writeFile(join(ctx.dir, 'one.yaml'), 'actions:\n  t: { program: /bin/true }\n');
  const file = join(ctx.dir, 'one.yaml');
  const dropped = await actionSettingsOf(configOf({ COMPANYOS_ACTIONS_FILE: file, COMPANYOS_ACTION_USER: '65534:65534', COMPANYOS_EGRESS_ALLOW: '*.example.com,10.0.0.0/8', COMPANYOS_EGRESS_FOLLOW_REDIRECTS: 'true' }), {});
  assert.is(dropped.description, 'maestro: 1 action(s), run as uid 65534 gid 65534; http egress to *.example.com, 10.0.0.0/8, redirects followed');
  assert.equal(dropped.settings.runAs, { uid: 65534, gid: 65534 });
  if (process.getuid?.() === 0) {
    const asRoot = await actionSettingsOf(configOf({ COMPANYOS_ACTIONS_FILE: file }), {});
    assert.match(asRoot.description, /1 action\(s\), NOT run: the server is root and COMPANYOS_ACTION_USER is unset/);
  }
});

test.run();

// The data directory and its development secrets are kept private to the service user at start-up.
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keepDataDirPrivate } from './private-data-dir.js';

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

test('a world-readable data dir and secret files wider than 0600 are tightened; other files are left alone', async () => {
  const root = await mkdtemp(join(tmpdir(), 'companyos-private-'));
  const dir = join(root, 'data');
  await mkdir(dir, { mode: 0o755 });
  await writeFile(join(dir, 'jwt-secret'), 'x', { mode: 0o644 });
  await writeFile(join(dir, 'keyring.json'), '{}', { mode: 0o640 });
  await writeFile(join(dir, 'notes.txt'), 'n', { mode: 0o644 });
  const warnings: string[] = [];
  await keepDataDirPrivate(dir, (w) => warnings.push(w));
  assert.equal([await modeOf(dir), await modeOf(join(dir, 'jwt-secret')), await modeOf(join(dir, 'keyring.json')), await modeOf(join(dir, 'notes.txt'))], [0o700, 0o600, 0o600, 0o644]);
  assert.equal(warnings, []);
  await keepDataDirPrivate(join(root, 'absent'), (w) => warnings.push(w));
  assert.equal(warnings, [], 'a data dir that does not exist yet is created private by its writers');
  await rm(root, { recursive: true, force: true });
});

test.run();

// The development keyring on disk: rotation leaves only the new key's seed, and a keyring rotated before
// that rule has its retired seeds dropped when it is next loaded. Tests read the file itself.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signingKeyFromSeed } from '../../ledger/index.js';
import { devKeyringPath, loadKeyring, rotate, writeKeyring } from './keyring-store.js';

const seedOf = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 3 + n) & 0xff);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

test('rotation writes a keyring whose only seed is the new key (0600), the retired key public only', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-keys-'));
  try {
    const now = '2026-03-01T00:00:00Z';
    const first = await loadKeyring({ signingKey: undefined, keyringFile: undefined, dataDir }, now);
    const firstSeed: string = JSON.parse(await readFile(devKeyringPath(dataDir), 'utf8')).keys[0].privateKey;
    assert.is(Buffer.from(firstSeed, 'base64').length, 32);
    const next = rotate(first, '2026-03-02T00:00:00Z');
    await writeKeyring(devKeyringPath(dataDir), next);
    const text = await readFile(devKeyringPath(dataDir), 'utf8');
    assert.not.ok(text.includes(firstSeed), 'the retired seed is still in the file');
    const keys = JSON.parse(text).keys as { keyId: string; privateKey?: string; notAfter?: string }[];
    assert.equal(keys.map((k) => [k.keyId, k.privateKey !== undefined, k.notAfter]), [
      [first.active.keyId, false, '2026-03-02T00:00:00Z'],
      [next.active.keyId, true, undefined],
    ]);
    assert.is((await stat(devKeyringPath(dataDir))).mode & 0o777, 0o600);
    assert.is(next.signingKey(first.active.keyId), undefined);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("a keyring that still holds a retired key's seed loses it when loaded", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-keys-'));
  try {
    const retired = signingKeyFromSeed(seedOf(1), '2025-01-01T00:00:00Z');
    const active = signingKeyFromSeed(seedOf(2), '2026-01-01T00:00:00Z');
    const legacy = {
      keys: [
        { keyId: retired.keyId, publicKey: b64(retired.publicKey), privateKey: b64(seedOf(1)), notBefore: retired.notBefore, notAfter: '2026-01-01T00:00:00Z' },
        { keyId: active.keyId, publicKey: b64(active.publicKey), privateKey: b64(seedOf(2)), notBefore: active.notBefore },
      ],
    };
    await writeFile(devKeyringPath(dataDir), JSON.stringify(legacy), { mode: 0o600 });
    const loaded = await loadKeyring({ signingKey: undefined, keyringFile: undefined, dataDir }, '2026-03-01T00:00:00Z');
    assert.is(loaded.active.keyId, active.keyId);
    assert.is(loaded.signingKey(retired.keyId), undefined);
    assert.ok(loaded.find(retired.keyId) !== undefined, 'the retired key still verifies');
    const text = await readFile(devKeyringPath(dataDir), 'utf8');
    assert.not.ok(text.includes(b64(seedOf(1))), 'the retired seed is still in the file');
    assert.ok(text.includes(b64(seedOf(2))));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();

// `companyos keys generate --rotate` on PostgreSQL, where a server may be running on the same log: while one
// holds the checkpointer's lock the rotation is refused and nothing changes; with none, it rotates.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openPostgresEventLog } from '../../adapters/event-log/postgres/index.js';
import { dropSchema } from '../../adapters/read-store/postgres/database.js';
import { KEYS_STREAM } from '../../schemas/key-rotation-event.js';
import { loadConfig } from '../../schemas/config.js';
import { keysCommand } from './keys.js';

const url = process.env['DATABASE_URL'];

async function quietly(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    await run();
  } finally {
    console.log = log;
  }
  return lines;
}

if (url !== undefined) {
  test('--rotate refuses while a server holds the checkpointer lock, then rotates once it is free', async () => {
    const schema = `keys_rotate_${process.pid}`;
    const dataDir = await mkdtemp(join(tmpdir(), 'companyos-keys-cli-'));
    const log = await openPostgresEventLog({ url, schema });
    await dropSchema(log.database, schema);
    await log.close();
    const server = await openPostgresEventLog({ url, schema });
    try {
      const config = loadConfig({ COMPANYOS_DATA_DIR: dataDir, DATABASE_URL: url, COMPANYOS_PG_SCHEMA: schema });
      if (isLeft(config)) throw new Error(config.left.join('; '));
      // What a running server's checkpointer holds.
      const lock = await server.database.tryLock('checkpointer');
      assert.ok(lock !== undefined);
      const refused = await quietly(() => keysCommand(config.right, ['generate', '--rotate'])).then(() => 'rotated', (e: Error) => e.message);
      assert.is(refused, 'a server is running on this log (it holds the checkpointer lock): stop it, rotate, then start it');
      const before = await readFile(join(dataDir, 'keyring.json'), 'utf8');
      assert.is(JSON.parse(before).keys.length, 1);
      assert.equal(await server.readStream(KEYS_STREAM), []);
      await lock!.release();

      const out = await quietly(() => keysCommand(config.right, ['generate', '--rotate']));
      assert.match(out[0] ?? '', `retired ${JSON.parse(before).keys[0].keyId} at `);
      const [rotation, more] = await server.readStream(KEYS_STREAM);
      assert.is(more, undefined);
      assert.is((rotation!.data as { retiredKeyId: string }).retiredKeyId, JSON.parse(before).keys[0].keyId);
    } finally {
      await dropSchema(server.database, schema);
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
  test.run();
} else {
  console.log('skipped: keys --rotate against a running server on PostgreSQL (DATABASE_URL not set)');
}

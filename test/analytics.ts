// The analytics ClickHouse for tests: a fresh database per caller on one embedded chDB data directory per
// process (the engine holds one directory per process, and the runner runs every test file in one), or on
// the server of CLICKHOUSE_URL when set. Closing drops the database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openClickHouse, type ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';

let chdbPath: string | undefined;

/** Created on first use and removed when the process exits; every test database of the process lives here. */
export function sharedChdbPath(): string {
  if (chdbPath === undefined) {
    const path = mkdtempSync(join(tmpdir(), 'companyos-test-chdb-'));
    process.once('exit', () => rmSync(path, { recursive: true, force: true }));
    chdbPath = path;
  }
  return chdbPath;
}

/**
 * A store on an empty database of its own (not migrated). Connections on the same chDB path coexist, each
 * with its own current database; other test files must use this too rather than open another path.
 */
export async function openTestAnalytics(): Promise<ClickHouseStore> {
  const database = `audit_${randomBytes(6).toString('hex')}`;
  const url = process.env['CLICKHOUSE_URL'];
  const store = await openClickHouse(url ? { url, database } : { path: sharedChdbPath(), database });
  return {
    ...store,
    async close() {
      await store.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
      await store.close();
    },
  };
}

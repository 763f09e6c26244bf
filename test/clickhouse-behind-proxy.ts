// A ClickHouse server reached through a loopback TCP proxy (test/tcp-proxy.ts), so a test can take the server
// away from the system without stopping it (it is not the test's to stop): the proxy refuses connections,
// which is what a stopped server looks like to the client, or partitions the link, which is what an
// unanswering one looks like (the client's request timeout ends each request). The store is the real server
// adapter (openClickHouse with a URL), connection guard included.
import { randomBytes } from 'node:crypto';
import { openClickHouse, type ClickHouseStore } from '../adapters/analytics-store/clickhouse/index.js';
import type { SwitchableAnalytics } from './outage-clickhouse-scenario.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** Short enough that a partition fails requests within a test, long enough for a working server's answers. */
export const PARTITION_REQUEST_TIMEOUT_MS = 2_000;

export type ClickHouseFault = 'refused' | 'partitioned';

export interface ClickHouseBehindProxy extends SwitchableAnalytics {
  readonly proxy: TcpProxy;
}

/** A fresh database on the server of `url` (http(s)://, credentials kept), its connections through a new proxy. */
export async function openClickHouseBehindProxy(url: string, fault: ClickHouseFault): Promise<ClickHouseBehindProxy> {
  const target = new URL(url);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 8123));
  const proxy = await startTcpProxy(target.hostname, port);
  const database = `outage_${randomBytes(6).toString('hex')}`;
  let store: ClickHouseStore;
  try {
    store = await openClickHouse({ url: proxy.url(url), database, requestTimeoutMs: PARTITION_REQUEST_TIMEOUT_MS });
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return {
    proxy,
    store,
    async down() {
      if (fault === 'refused') await proxy.refuse();
      else proxy.partition();
    },
    async up() {
      if (fault === 'refused') await proxy.admit();
      else proxy.heal();
    },
    async close() {
      await store.close();
      await proxy.close();
      // Straight to the server, not through the proxy, so a test that failed midway still cleans up.
      const admin = await openClickHouse({ url, database: 'default' });
      await admin.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
      await admin.close();
    },
  };
}

// ClickHouse away (issue 15), embedded: the analytics store (chDB, or the server of CLICKHOUSE_URL) behind a
// test double that fails every call as a refused connection (test/analytics-outage.ts), under the real
// adapter's connection guard. The scenario is test/outage-clickhouse-scenario.ts; its real-server variant
// over a loopback TCP proxy is test/outage-clickhouse-server.test.ts.
import { analyticsOutage } from './analytics-outage.js';
import { openTestAnalytics } from './analytics.js';
import { clickHouseOutageSuite } from './outage-clickhouse-scenario.js';

clickHouseOutageSuite('refused connection, test double', async () => {
  const analytics = await openTestAnalytics();
  const outage = analyticsOutage(analytics);
  return {
    store: outage.store,
    down: () => outage.down(),
    up: () => outage.up(),
    triedWhileDown: () => outage.refused > 0,
    close: () => analytics.close(),
  };
});

// ClickHouse away (issue 15), on a server over HTTP: the outage scenario (test/outage-clickhouse-scenario.ts)
// runs through the real server adapter and a loopback TCP proxy, twice: the proxy refusing connections (a
// stopped server: ECONNREFUSED, open ones reset) and partitioning the link (a server that does not answer: the
// client's request timeout). The server is never stopped. With CLICKHOUSE_URL set it is that ClickHouse
// server; without, the HTTP stand-in over embedded chDB (test/clickhouse-http-stand-in.ts), so the same path
// runs on a host without a server.
import { sharedChdbPath } from './analytics.js';
import { openClickHouseBehindProxy, type ClickHouseFault } from './clickhouse-behind-proxy.js';
import { startClickHouseHttpStandIn } from './clickhouse-http-stand-in.js';
import { clickHouseOutageSuite } from './outage-clickhouse-scenario.js';

const url = process.env['CLICKHOUSE_URL'];
const faults: readonly [ClickHouseFault, string][] = [
  ['refused', 'connections refused'],
  ['partitioned', 'link partitioned'],
];
if (url) {
  for (const [fault, what] of faults) clickHouseOutageSuite(`server, ${what}`, () => openClickHouseBehindProxy(url, fault));
} else {
  console.log('skipped: ClickHouse outage on a real server (CLICKHOUSE_URL not set); running it on the HTTP stand-in over chDB');
  for (const [fault, what] of faults) {
    clickHouseOutageSuite(`HTTP stand-in over chDB, ${what}`, async () => {
      const standIn = await startClickHouseHttpStandIn(sharedChdbPath());
      const analytics = await openClickHouseBehindProxy(standIn.url, fault).catch(async (error: unknown) => {
        await standIn.close();
        throw error;
      });
      return {
        ...analytics,
        async close() {
          await analytics.close();
          await standIn.close();
        },
      };
    });
  }
}

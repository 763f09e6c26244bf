// ClickHouse away (issue 15), on a real server: when CLICKHOUSE_URL is set, the outage scenario
// (test/outage-clickhouse-scenario.ts) runs against that server over HTTP through a loopback TCP proxy,
// twice: the proxy refusing connections (a stopped server, ECONNREFUSED/ECONNRESET) and partitioning the
// link (a server that does not answer: the client's request timeout). The server itself is never stopped.
import { openClickHouseBehindProxy } from './clickhouse-behind-proxy.js';
import { clickHouseOutageSuite } from './outage-clickhouse-scenario.js';

const url = process.env['CLICKHOUSE_URL'];
if (url) {
  clickHouseOutageSuite('server, connections refused', () => openClickHouseBehindProxy(url, 'refused'));
  clickHouseOutageSuite('server, link partitioned', () => openClickHouseBehindProxy(url, 'partitioned'));
} else {
  console.log('skipped: ClickHouse outage on a real server (CLICKHOUSE_URL not set)');
}

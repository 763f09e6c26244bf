// The graph's batch function keeps its statements' plans per connection, made while the tables are small
// (batch-function.ts). Twice a kept plan read a whole table per batch, and only auto_explain under load
// showed it. This test, on the PostgreSQL server (auto_explain is not in PGlite), has auto_explain send
// the plans of the function's statements to the client as NOTICEs, runs batches (upserts, retirements,
// retractions) past the point where PostgreSQL switches to generic plans, and requires every read of the
// version tables to be a lookup by key (an index led by the tenant and the key, or a row found by its ctid),
// never a scan of the whole table or of the tenant. (The current tables are not held to it yet: a retirement's
// delete from graph_nodes can take graph_nodes_type, led by the tenant and the type; see the README.)
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropSchema, migrate, openPostgres } from '../../adapters/read-store/postgres/database.js';
import { GRAPH_BATCH_FUNCTION } from './batch-function.js';
import { graphMigrations } from './migrations.js';

const url = process.env['DATABASE_URL'];
const test = suite('graph batch function: kept plans look keys up');

const provenance = (position: number) => ({
  observed_at: '2026-01-01T00:00:00Z',
  recorded_at: '2026-01-01T00:00:00Z',
  actor_id: 'user:alice',
  actor_type: 'user',
  source_system: 'test',
  provenance: {},
  event_id: randomUUID(),
  event_hash: 'ab'.repeat(32),
  stream_revision: position,
  position: String(position),
  confidence: 1,
});

/** Scans of the version tables in auto_explain's text: the node's line and the lines under it. */
function graphTableReads(plan: string): { node: string; detail: string }[] {
  const lines = plan.split('\n');
  const reads: { node: string; detail: string }[] = [];
  lines.forEach((line, i) => {
    if (!/\bScan\b.* on graph_(node|edge)_versions\b/.test(line)) return;
    const indent = line.search(/\S/);
    const detail = [];
    for (let j = i + 1; j < lines.length && lines[j]!.search(/\S/) > indent && !lines[j]!.includes('->'); j++) detail.push(lines[j]!.trim());
    reads.push({ node: line.trim(), detail: detail.join(' ') });
  });
  return reads;
}

test('every statement of the function reads the version tables by key, after PostgreSQL switched to generic plans', async () => {
  const schema = `graph_plans_${randomBytes(4).toString('hex')}`;
  const database = await openPostgres({ url: url!, schema });
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema},public` });
  try {
    await migrate(database, graphMigrations);
    await client.connect();
    const plans: string[] = [];
    client.on('notice', (n) => plans.push(n.message ?? ''));
    await client.query(`LOAD 'auto_explain'`);
    await client.query(`SET auto_explain.log_min_duration = 0`);
    await client.query(`SET auto_explain.log_nested_statements = on`);
    await client.query(`SET auto_explain.log_level = notice`);
    // Ten batches (PostgreSQL keeps custom plans for five runs), each a new version of two nodes and one edge
    // already seen and of one of each new, so every key has history to close.
    let position = 0;
    for (let batch = 0; batch < 10; batch++) {
      const at = `2026-01-01T00:00:${String(batch).padStart(2, '0')}Z`;
      const nodes = ['svc:a', `svc:${batch}`].map((id) => ({
        tenant: 'acme', node_id: id, valid_from: at, node_type: 'Service', region: 'us-east',
        retired: false, attributes: { batch }, external_id: null, ...provenance(++position),
      }));
      const edges = [['svc:a', 'svc:b'], ['svc:a', `svc:${batch}`]].map(([from, to]) => ({
        tenant: 'acme', edge_id: `${from}|CALLS|${to}`, valid_from: at, edge_type: 'CALLS',
        from_id: from, to_id: to, from_type: 'Service', to_type: 'Service', region: 'us-east', retracted: false, attributes: {}, ...provenance(++position),
      }));
      // The previous batch's new node retired and its edge retracted: their type and region come from the stored versions.
      if (batch > 0) {
        nodes.push({ ...nodes[1]!, node_id: `svc:${batch - 1}`, node_type: null as never, region: null as never, retired: true, ...provenance(++position) });
        edges.push({ ...edges[1]!, edge_id: `svc:a|CALLS|svc:${batch - 1}`, to_id: `svc:${batch - 1}`, from_type: null as never, to_type: null as never, region: null as never, retracted: true, ...provenance(++position) });
      }
      if (batch === 9) plans.length = 0;
      await client.query(`SELECT ${GRAPH_BATCH_FUNCTION}($1::json, $2::json, $3::json, $4::json)`, [
        JSON.stringify(nodes),
        JSON.stringify(nodes.map((n) => ({ tenant: n.tenant, node_id: n.node_id }))),
        JSON.stringify(edges),
        JSON.stringify(edges.map((e) => ({ tenant: e.tenant, edge_id: e.edge_id }))),
      ]);
    }
    const reads = plans.flatMap(graphTableReads);
    assert.ok(reads.length >= 8, `the last batch's plans read the version tables (${plans.length} plans)`);
    for (const { node, detail } of reads) {
      // An index whose leading columns are the tenant and the key, with both in its condition; or the row's ctid.
      const byKey =
        /^(->\s+)?Tid Scan/.test(node) ||
        (/using (graph_\w+_pkey|graph_node_versions_observed) on/.test(node) && /Index Cond: .*tenant = .*(node_id|edge_id) = /.test(detail));
      assert.ok(byKey, `a read of a version table that is not a lookup by key:\n${node}\n${detail}`);
    }
    const closed = async (id: string) =>
      (await client.query(`SELECT count(*)::int AS n FROM graph_node_versions WHERE node_id = $1 AND valid_to IS NOT NULL`, [id])).rows[0].n;
    assert.is(await closed('svc:a'), 9, "svc:a's nine earlier versions are closed");
    const current = (await client.query(`SELECT node_id FROM graph_nodes ORDER BY node_id`)).rows.map((r) => r.node_id);
    assert.equal(current, ['svc:9', 'svc:a'], 'the retired nodes left the current rows');
    const retired = (await client.query(`SELECT node_type, region FROM graph_node_versions WHERE node_id = 'svc:3' AND retired`)).rows;
    assert.equal(retired, [{ node_type: 'Service', region: 'us-east' }], "a retirement's type and region, from the stored version");
  } finally {
    await client.end().catch(() => {});
    await dropSchema(database, schema);
    await database.close();
  }
});

if (url === undefined) console.log('skipped: graph batch function plans (DATABASE_URL not set: auto_explain needs the PostgreSQL server)');
else test.run();

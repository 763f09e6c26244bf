// Subject escaping round-trips and never yields a token NATS would split or treat as a wildcard.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeToken, encodeToken } from './subject-token.js';
import { deadLetterSubject, eventSubject, ingestSubject, parseIngestSubject } from './subjects.js';

const test = suite('nats subjects');

test('dots become underscores; the common names stay readable', () => {
  assert.is(encodeToken('graph.node'), 'graph_node');
  assert.is(encodeToken('graph.node.upserted'), 'graph_node_upserted');
  assert.is(encodeToken('acme-1'), 'acme-1');
});

test('reserved and non-ASCII characters are percent-escaped, and so are "_" and "%"', () => {
  assert.is(encodeToken('a b*c>d'), 'a%20b%2Ac%3Ed');
  assert.is(encodeToken('my_tenant'), 'my%5Ftenant');
  assert.is(encodeToken('100%'), '100%25');
  assert.is(encodeToken('é'), '%C3%A9');
  assert.is(encodeToken(''), '%');
});

test('every encoding is one safe token and decodes back', () => {
  const samples = ['', '.', '..', '_', '%', 'a.b_c', 'a b', '*', '>', 'x\ty\nz', 'ünï.cødé', '😀', 'svc:checkout|DEPLOYS|dep:1', '$JS'];
  for (const s of samples) {
    const token = encodeToken(s);
    assert.ok(/^[A-Za-z0-9_%-]+$/.test(token), `${JSON.stringify(s)} → ${token}`);
    assert.is(decodeToken(token), s, JSON.stringify(s));
  }
});

test('decoding rejects what encodeToken never produces', () => {
  for (const bad of ['', 'a.b', 'a b', '%4', '%zz', '%C3', 'a*', '>']) assert.is(decodeToken(bad), undefined, bad);
});

test('event subjects: prefix, tenant, category and type, one token each', () => {
  assert.is(eventSubject('companyos', 'acme/graph.node/svc:checkout', 'graph.node.upserted'), 'companyos.acme.graph_node.graph_node_upserted');
  assert.is(eventSubject('companyos', 'acme/audit', 'access.denied'), 'companyos.acme.audit.access_denied');
  assert.is(eventSubject('companyos', 'orphan', 'x'), 'companyos.%.orphan.x');
});

test('ingest subjects parse back to tenant and command type; anything else is rejected', () => {
  const subject = ingestSubject('ingest', 'acme', 'graph.node.upsert');
  assert.is(subject, 'ingest.acme.graph_node_upsert');
  assert.equal(parseIngestSubject('ingest', subject), { tenant: 'acme', commandType: 'graph.node.upsert' });
  assert.is(parseIngestSubject('ingest', 'ingest.acme.graph.node.upsert'), undefined);
  assert.is(parseIngestSubject('ingest', 'ingest.acme'), undefined);
  assert.is(parseIngestSubject('ingest', 'other.acme.graph_node_upsert'), undefined);
  assert.is(parseIngestSubject('t1.ingest', 't1.ingest.acme.graph_node_upsert')?.commandType, 'graph.node.upsert');
});

test('dead-letter subjects mirror the ingest subject', () => {
  assert.is(deadLetterSubject('ingest', 'deadletter.ingest', 'ingest.acme.graph_node_upsert'), 'deadletter.ingest.acme.graph_node_upsert');
  assert.is(deadLetterSubject('ingest', 'deadletter.ingest', 'ingest.odd'), 'deadletter.ingest.odd');
});

test.run();

// Graph codecs at the edge of the system: the payloads decode with their defaults, and every
// kind of bad input is refused with a line that names the field and says what was expected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import {
  EDGE_RULES,
  GRAPH_COMMAND_CODECS,
  GraphEdgeAssert,
  GraphEdgeRetract,
  GraphEvent,
  GraphNodeEvent,
  GraphNodeRetire,
  GraphNodeUpsert,
  describeEdgeRule,
  edgeEndsAllowed,
  edgeId,
} from './graph.js';
import { formatValidationErrors } from './validation.js';

const provenance = { sourceSystem: 'github', observedAt: '2026-01-01T00:00:00Z' };
const upsertBody = { id: 'svc:checkout', type: 'Service', region: 'us-east', attributes: { name: 'checkout' }, provenance };
const retireBody = { id: 'svc:checkout', region: 'us-east', provenance, reason: 'decommissioned' };
const assertBody = { type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', region: 'us-east', attributes: { version: '1.2.3' }, provenance };
const retractBody = { type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', region: 'us-east', provenance };

const rightOf = <A>(r: Either<t.Errors, A>): A => {
  if (isLeft(r)) throw new Error(formatValidationErrors(r.left).join('\n'));
  return r.right;
};
/** The error lines for an input that must not decode. */
const errorsOf = (codec: t.Decoder<unknown, unknown>, input: unknown): string[] => {
  const r = codec.decode(input);
  if (isRight(r)) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return formatValidationErrors(r.left);
};

const defaults = { effectiveAt: '2026-01-01T00:00:00Z', evidenceRefs: [], confidence: 1, privacyTier: 'internal', piiFlags: [] };

test("the issue's example payloads decode, with provenance defaults applied", () => {
  assert.equal(rightOf(GraphNodeUpsert.decode(upsertBody)), { ...upsertBody, provenance: { ...provenance, ...defaults } });
  assert.equal(rightOf(GraphNodeRetire.decode(retireBody)), { ...retireBody, provenance: { ...provenance, ...defaults } });
  assert.equal(rightOf(GraphEdgeAssert.decode(assertBody)), { ...assertBody, provenance: { ...provenance, ...defaults } });
  assert.equal(rightOf(GraphEdgeRetract.decode(retractBody)), { ...retractBody, provenance: { ...provenance, ...defaults } });
  assert.equal(Object.keys(GRAPH_COMMAND_CODECS).sort(), ['graph.edge.assert', 'graph.edge.retract', 'graph.node.retire', 'graph.node.upsert']);
});

test('edge attributes are optional and default to {}', () => {
  assert.equal(rightOf(GraphEdgeAssert.decode(retractBody)).attributes, {});
});

test('a full provenance keeps every given value', () => {
  const full = {
    sourceSystem: 'data-spine',
    observedAt: '2026-01-01T00:00:00Z',
    effectiveAt: '2025-12-31T23:00:00+01:00',
    expiresAt: '2027-01-01T00:00:00Z',
    reason: 'lineage sync',
    evidenceRefs: ['s3://bucket/lineage/1.json'],
    confidence: 0.7,
    privacyTier: 'confidential',
    piiFlags: ['email'],
    externalId: 'run-7/ds-3',
    ingestionVersion: 'lineage.v1',
  };
  assert.equal(rightOf(GraphNodeUpsert.decode({ ...upsertBody, provenance: full })).provenance, full);
});

test('an unknown node type lists the allowed ones', () => {
  const [line, ...rest] = errorsOf(GraphNodeUpsert, { ...upsertBody, type: 'Servic' });
  assert.equal(rest, []);
  assert.ok(line!.startsWith('type: expected NodeType (one of User, Account, Tenant, Team,'), line);
  assert.ok(line!.endsWith('EvidenceBundle, FeatureFlag, UserCohort), got "Servic"'), line);
});

test('an unknown edge type lists the allowed ones', () => {
  const [line] = errorsOf(GraphEdgeAssert, { ...assertBody, type: 'DEPLOY' });
  assert.ok(line!.startsWith('type: expected EdgeType (one of PERFORMS, OWNS,'), line);
  assert.ok(line!.endsWith(', got "DEPLOY"'), line);
});

test('wrong field types name the field, the expectation and the value', () => {
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, attributes: [1] }), ['attributes: expected a JSON object, got [1]']);
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, region: 'US East' }), [
    'region: expected Region (lower-case slug, 1-32 chars), got "US East"',
  ]);
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, provenance: { ...provenance, confidence: 1.5 } }), [
    'provenance.confidence: expected Confidence (number 0..1), got 1.5',
  ]);
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, provenance: { ...provenance, evidenceRefs: ['ok', 7] } }), [
    'provenance.evidenceRefs[1]: expected text (1-1024 characters, no control characters), got 7',
  ]);
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, provenance: { ...provenance, privacyTier: 'secret' } }), [
    'provenance.privacyTier: expected one of public, internal, confidential, restricted, got "secret"',
  ]);
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, provenance: null }), ['provenance: expected a Provenance object, got null']);
  assert.equal(errorsOf(GraphNodeUpsert, 'svc:checkout'), ['(root): expected a GraphNodeUpsert object, got "svc:checkout"']);
});

test('missing fields are named', () => {
  const { sourceSystem: _s, ...noSource } = provenance;
  assert.equal(errorsOf(GraphNodeRetire, { id: 'svc:checkout', provenance: noSource }), [
    'region: missing, expected Region (lower-case slug, 1-32 chars)',
    'provenance.sourceSystem: missing, expected text (1-128 characters, no control characters)',
  ]);
});

test('unknown fields are rejected, at any depth, naming them', () => {
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, colour: 'blue' }), ['colour: unknown field']);
  // The actor and tenant come from the token, never from the body.
  assert.equal(errorsOf(GraphEdgeAssert, { ...assertBody, tenant: 'other', provenance: { ...provenance, actor: 'me' } }), [
    'tenant: unknown field',
    'provenance.actor: unknown field',
  ]);
  assert.equal(errorsOf(GraphNodeRetire, { ...retireBody, attributes: {} }), ['attributes: unknown field']);
});

test('a bad timestamp says what a timestamp is', () => {
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, provenance: { ...provenance, observedAt: 'yesterday' } }), [
    'provenance.observedAt: expected Timestamp (RFC 3339 with zone), got "yesterday"',
  ]);
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, provenance: { ...provenance, observedAt: '2026-01-01T00:00:00' } }), [
    'provenance.observedAt: expected Timestamp (RFC 3339 with zone), got "2026-01-01T00:00:00"',
  ]);
  assert.equal(errorsOf(GraphNodeUpsert, { ...upsertBody, provenance: { ...provenance, expiresAt: '2025-01-01T00:00:00Z' } }), [
    'provenance.expiresAt: must be later than effectiveAt (2026-01-01T00:00:00Z)',
  ]);
});

test("ids: 1-256 characters, no '/', '|' or control characters", () => {
  const idError = (id: unknown) => errorsOf(GraphNodeUpsert, { ...upsertBody, id });
  assert.equal(idError('svc/checkout'), ['id: expected NodeId (1-256 characters, no control characters, "/" or "|"), got "svc/checkout"']);
  assert.equal(idError('a|b').length, 1);
  assert.equal(idError('a\nb').length, 1);
  assert.equal(idError('a\u0085b').length, 1);
  assert.equal(idError('').length, 1);
  assert.equal(idError('x'.repeat(257)).length, 1);
  assert.ok(isRight(GraphNodeUpsert.decode({ ...upsertBody, id: 'x'.repeat(256) })));
  assert.ok(isRight(GraphNodeUpsert.decode({ ...upsertBody, id: 'ds:sales.orders@v2 (ünïcode)' })));
  assert.equal(errorsOf(GraphEdgeAssert, { ...assertBody, from: 'a/b', to: 'c|d' }).map((l) => l.split(':')[0]), ['from', 'to']);
});

test('every problem of a body is reported at once', () => {
  const lines = errorsOf(GraphEdgeAssert, { type: 'NOPE', from: '', region: 'x', provenance: { observedAt: 'soon' }, extra: true });
  assert.is(lines.length, 6, lines.join('\n'));
});

test('events round-trip through the union codec; unknown data fields are dropped when reading', () => {
  const ev = {
    type: 'graph.edge.asserted', schemaVersion: 1,
    data: { edgeId: edgeId('DEPLOYS', 'dep:42', 'svc:checkout'), type: 'DEPLOYS', from: 'dep:42', to: 'svc:checkout', fromType: 'Deployment', toType: 'Service', region: 'us-east', attributes: {} },
  };
  const decoded = rightOf(GraphEvent.decode({ ...ev, id: 'x', meta: {}, data: { ...ev.data, later: 1 } }));
  assert.equal(decoded, ev);
  assert.equal(GraphEvent.encode(decoded), ev);
  // Encoding never writes undefined: canonical JSON has no such thing.
  const upserted = rightOf(GraphNodeEvent.decode({ type: 'graph.node.upserted', schemaVersion: 1, data: { id: 'n', nodeType: 'Run', region: 'us-east', attributes: {} } }));
  assert.equal(Object.keys(GraphNodeEvent.encode({ ...upserted, data: { ...upserted.data, externalId: undefined } } as GraphNodeEvent).data).sort(), ['attributes', 'id', 'nodeType', 'region']);
  assert.equal(errorsOf(GraphNodeEvent, ev), [
    'type: expected EventType (one of graph.node.upserted, graph.node.retired), got "graph.edge.asserted"',
  ]);
});

test('edge rules as data', () => {
  assert.ok(edgeEndsAllowed('BUILDS', 'Build', 'Artifact'));
  assert.not.ok(edgeEndsAllowed('BUILDS', 'Service', 'Artifact'));
  assert.ok(edgeEndsAllowed('LOCATED_IN', 'SecretVersion', 'Region'));
  assert.ok(edgeEndsAllowed('EMITS', 'Service', 'Alert'));
  assert.not.ok(edgeEndsAllowed('EMITS', 'Run', 'Alert'));
  assert.ok(edgeEndsAllowed('EVIDENCES', 'EvidenceBundle', 'Commit'));
  assert.is(describeEdgeRule('CONSUMES'), 'Service|Run|Build|Deployment|FeatureFlag → Dataset|Artifact|Commit');
  assert.is(describeEdgeRule('LOCATED_IN'), 'any node → Region');
  assert.ok(Object.isFrozen(EDGE_RULES));
});

test.run();

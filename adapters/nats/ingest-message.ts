// One ingest message → its work through the same code paths as HTTP (the body parsed as an HTTP JSON body,
// a command through the pipeline, a source payload through its mapper or the metering recorder), and what
// to do with the message: ack, dead-letter at once (a permanent fault: the message itself is refused), or
// retry later with a growing delay (a transient one: see ingest-fault.ts).
import { isLeft } from 'fp-ts/lib/Either.js';
import { TenantId } from '../../schemas/primitives.js';
import { parseJsonText } from '../http/json-body.js';
import {
  HEADERS,
  refused,
  reject,
  servicePrincipal,
  thrown,
  transient,
  type Disposition,
  type IngestCommand,
  type IngestDelivery,
  type IngestPolicy,
  type IngestTargets,
  type IngestWork,
  type Parsed,
} from './ingest-delivery.js';
import { executeGraphBatch } from './ingest-graph-batch.js';
import { executeMeteringBatch } from './ingest-metering.js';
import { parseSource, type Envelope } from './ingest-sources.js';
import { isIngestSource, parseIngestSubject } from './subjects.js';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Subject, body and headers → the work, or why the message can never become any. */
export function parseDelivery(d: IngestDelivery, policy: IngestPolicy): Parsed {
  const address = parseIngestSubject(policy.subjectPrefix, d.subject);
  if (address === undefined) {
    return reject(400, 'bad-subject', `subject ${d.subject} is not ${policy.subjectPrefix}.<tenant>.<command type with "." written as "_" | github | openlineage | metering>`);
  }
  if (!TenantId.is(address.tenant)) return reject(400, 'bad-subject', `tenant ${JSON.stringify(address.tenant)} is not a tenant id`);
  let text: string;
  try {
    text = decoder.decode(d.data);
  } catch (error) {
    return reject(400, 'malformed-json', `the message body is not UTF-8: ${(error as Error).message}`);
  }
  // The HTTP body parser, so a body NATS accepts is one HTTP would accept, refused for the same reasons.
  const json = parseJsonText(text);
  if (!json.ok) return reject(json.problem.status, String(json.problem['code'] ?? 'malformed-json'), json.problem.detail ?? json.problem.title);
  const payload = json.value;
  // A re-sent message keeps its Nats-Msg-Id, so the pipeline answers it with the first result; without
  // one, the stream sequence still makes redeliveries of this very message idempotent.
  const idempotencyKey = d.header(HEADERS.msgId) ?? `nats:${d.stream}:${d.streamSequence}`;
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) return reject(400, 'bad-idempotency-key', `${HEADERS.msgId} must be 1-255 visible ASCII characters`);
  const correlationId = d.header(HEADERS.correlationId);
  const envelope: Envelope = {
    tenant: address.tenant,
    payload,
    // Never a header: a publisher on ingest.<tenant>.> could claim any service. A bearer token, when sent,
    // replaces this with its own principal (ingest-authn.ts).
    actor: policy.serviceId,
    region: d.header(HEADERS.region),
    info: {
      requestId: `nats:${d.stream}:${d.streamSequence}`,
      ...(correlationId !== undefined && SANE.test(correlationId) ? { correlationId } : {}),
      idempotencyKey,
      context: { time: policy.clock().toISOString(), channel: 'nats' },
    },
  };
  if (isIngestSource(address.commandType)) return parseSource(address.commandType, envelope, d);
  const payloadRegion = typeof payload === 'object' && payload !== null ? (payload as { region?: unknown }).region : undefined;
  const region = envelope.region ?? (typeof payloadRegion === 'string' ? payloadRegion : undefined);
  return {
    kind: 'command',
    tenant: envelope.tenant,
    commandType: address.commandType,
    payload,
    principal: servicePrincipal(envelope.actor, envelope.tenant, region),
    info: envelope.info,
  };
}

/**
 * Messages with the same key are run one after another (they write the same stream, so in parallel they
 * would only conflict and retry). Node commands key on the node id, edge commands on their triple, metering
 * batches on the tenant (one segment chain each); mapped batches touch many streams and are not keyed.
 */
export function serializationKey(w: IngestWork): string | undefined {
  if (w.kind === 'metering') return `${w.tenant}/metering`;
  if (w.kind !== 'command') return undefined;
  const p = w.payload as { id?: unknown; type?: unknown; from?: unknown; to?: unknown } | null;
  if (typeof p !== 'object' || p === null) return undefined;
  if (w.commandType.startsWith('graph.node.') && typeof p.id === 'string') return `${w.tenant}/node/${p.id}`;
  if (w.commandType.startsWith('graph.edge.') && typeof p.from === 'string' && typeof p.to === 'string') {
    return `${w.tenant}/edge/${p.from}|${String(p.type)}|${p.to}`;
  }
  return undefined;
}

/** Runs the work and decides the message's fate. Never throws. */
export async function executeDelivery(targets: IngestTargets, parsed: Parsed, d: IngestDelivery, policy: IngestPolicy): Promise<Disposition> {
  switch (parsed.kind) {
    case 'reject':
      if (parsed.transient === true) return transient(parsed.status, `${parsed.code}: ${parsed.reason}`, d, policy);
      return { kind: 'dead-letter', status: parsed.status, code: parsed.code, reason: parsed.reason };
    case 'command':
      return executeCommand(targets, parsed, d, policy);
    case 'graph-batch':
      return executeGraphBatch(targets, parsed, d, policy);
    case 'metering':
      return executeMeteringBatch(targets, parsed, d, policy);
  }
}

async function executeCommand(targets: IngestTargets, c: IngestCommand, d: IngestDelivery, policy: IngestPolicy): Promise<Disposition> {
  try {
    const result = await targets.pipeline.execute(c.commandType, c.payload, c.principal, c.info);
    if (!isLeft(result)) return { kind: 'ack', outcome: result.right.kind };
    return refused(result.left.status, result.left.code, result.left.detail, d, policy);
  } catch (error) {
    return thrown(error, d, policy);
  }
}

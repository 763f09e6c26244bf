// One ingest message → one command through the same pipeline as HTTP, and what to do with the message:
// ack (appended, replayed or unchanged), dead-letter (the command can never succeed: 4xx), or retry
// later (thrown error, 409, 503) with a delay that grows with the delivery count.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Principal } from '../../commands/authorizer.js';
import type { RequestInfo } from '../../commands/envelope.js';
import type { CommandOutcome, CommandPipeline } from '../../commands/pipeline.js';
import { TenantId } from '../../schemas/primitives.js';
import { parseIngestSubject } from './subjects.js';

/** A delivered message, as much of it as the ingest needs (a JetStream JsMsg in production). */
export interface IngestDelivery {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Header value by name (case-insensitive); undefined when absent. */
  header(name: string): string | undefined;
  readonly stream: string;
  readonly streamSequence: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
}

export type Disposition =
  | { readonly kind: 'ack'; readonly outcome: CommandOutcome['kind'] }
  | { readonly kind: 'dead-letter'; readonly status: number; readonly code: string; readonly reason: string }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly status: number | undefined; readonly reason: string };

export interface IngestPolicy {
  /** First subject token(s) of ingest subjects (default 'ingest'). */
  readonly subjectPrefix: string;
  /** The actor of ingested commands unless a Companyos-Actor header names another service. */
  readonly serviceId: string;
  /** After this many deliveries a still-failing message is dead-lettered (code retries-exhausted). */
  readonly maxDeliveries: number;
  /** Retry delay: backoffBaseMs × 2^(deliveries−1), at most backoffMaxMs, ±20 % jitter. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly clock: () => Date;
}

export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  actor: 'Companyos-Actor',
  region: 'Companyos-Region',
  correlationId: 'Companyos-Correlation-Id',
  reason: 'Companyos-Reason',
  code: 'Companyos-Code',
  status: 'Companyos-Status',
  originalSubject: 'Companyos-Original-Subject',
  originalSequence: 'Companyos-Original-Sequence',
  deliveries: 'Companyos-Deliveries',
} as const;

/** A message that names a command: everything the pipeline needs. */
export interface IngestCommand {
  readonly kind: 'command';
  readonly tenant: string;
  readonly commandType: string;
  readonly payload: unknown;
  readonly principal: Principal;
  readonly info: RequestInfo;
}

export type Parsed = IngestCommand | { readonly kind: 'reject'; readonly status: number; readonly code: string; readonly reason: string };

const SERVICE_ID = /^service:[\x21-\x7e]{1,200}$/;
const SANE = /^[A-Za-z0-9._:-]{1,128}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

const reject = (status: number, code: string, reason: string): Parsed => ({ kind: 'reject', status, code, reason });

/** Subject, body and headers → a command, or why the message can never become one. */
export function parseDelivery(d: IngestDelivery, policy: IngestPolicy): Parsed {
  const address = parseIngestSubject(policy.subjectPrefix, d.subject);
  if (address === undefined) {
    return reject(400, 'bad-subject', `subject ${d.subject} is not ${policy.subjectPrefix}.<tenant>.<command type with "." written as "_">`);
  }
  if (!TenantId.is(address.tenant)) return reject(400, 'bad-subject', `tenant ${JSON.stringify(address.tenant)} is not a tenant id`);
  let payload: unknown;
  try {
    payload = JSON.parse(decoder.decode(d.data));
  } catch (error) {
    return reject(400, 'malformed-json', `the message body is not JSON: ${(error as Error).message}`);
  }
  const actor = d.header(HEADERS.actor);
  if (actor !== undefined && !SERVICE_ID.test(actor)) {
    return reject(400, 'bad-actor', `${HEADERS.actor} must be "service:<name>" (visible ASCII), got ${JSON.stringify(actor.slice(0, 100))}`);
  }
  // A re-sent message keeps its Nats-Msg-Id, so the pipeline answers it with the first result; without
  // one, the stream sequence still makes redeliveries of this very message idempotent.
  const idempotencyKey = d.header(HEADERS.msgId) ?? `nats:${d.stream}:${d.streamSequence}`;
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) return reject(400, 'bad-idempotency-key', `${HEADERS.msgId} must be 1-255 visible ASCII characters`);
  const headerRegion = d.header(HEADERS.region);
  const payloadRegion = typeof payload === 'object' && payload !== null ? (payload as { region?: unknown }).region : undefined;
  const region = headerRegion ?? (typeof payloadRegion === 'string' ? payloadRegion : undefined);
  const correlationId = d.header(HEADERS.correlationId);
  return {
    kind: 'command',
    tenant: address.tenant,
    commandType: address.commandType,
    payload,
    principal: { id: actor ?? policy.serviceId, tenant: address.tenant, roles: ['service'], region, authTime: undefined, authn: 'system' },
    info: {
      requestId: `nats:${d.stream}:${d.streamSequence}`,
      ...(correlationId !== undefined && SANE.test(correlationId) ? { correlationId } : {}),
      idempotencyKey,
      context: { time: policy.clock().toISOString(), channel: 'nats' },
    },
  };
}

/**
 * Messages with the same key are run one after another (they write the same stream, so in parallel they
 * would only conflict and retry). Node commands key on the node id, edge commands on their triple.
 */
export function serializationKey(c: IngestCommand): string | undefined {
  const p = c.payload as { id?: unknown; type?: unknown; from?: unknown; to?: unknown } | null;
  if (typeof p !== 'object' || p === null) return undefined;
  if (c.commandType.startsWith('graph.node.') && typeof p.id === 'string') return `${c.tenant}/node/${p.id}`;
  if (c.commandType.startsWith('graph.edge.') && typeof p.from === 'string' && typeof p.to === 'string') {
    return `${c.tenant}/edge/${p.from}|${String(p.type)}|${p.to}`;
  }
  return undefined;
}

/** Runs the command and decides the message's fate. Never throws. */
export async function executeDelivery(pipeline: CommandPipeline, parsed: Parsed, d: IngestDelivery, policy: IngestPolicy): Promise<Disposition> {
  if (parsed.kind === 'reject') return { kind: 'dead-letter', status: parsed.status, code: parsed.code, reason: parsed.reason };
  let status: number | undefined;
  let reason: string;
  try {
    const result = await pipeline.execute(parsed.commandType, parsed.payload, parsed.principal, parsed.info);
    if (!isLeft(result)) return { kind: 'ack', outcome: result.right.kind };
    const f = result.left;
    if (f.status !== 409 && f.status !== 503) return { kind: 'dead-letter', status: f.status, code: f.code, reason: f.detail };
    status = f.status;
    reason = `${f.code}: ${f.detail}`;
  } catch (error) {
    reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  if (d.deliveryCount >= policy.maxDeliveries) {
    return { kind: 'dead-letter', status: status ?? 503, code: 'retries-exhausted', reason: `still failing after ${d.deliveryCount} deliveries: ${reason}` };
  }
  return { kind: 'retry', delayMs: retryDelay(d.deliveryCount, policy), status, reason };
}

export function retryDelay(deliveryCount: number, policy: Pick<IngestPolicy, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  const exp = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, Math.min(30, deliveryCount - 1)));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}

// The vocabulary of the ingest: a delivered message, the work it asks for (one command, a mapped batch of
// graph commands, a metering batch), and its disposition: ack, dead-letter, or retry with a growing delay.
import type { Principal } from '../../commands/authorizer.js';
import type { RequestInfo } from '../../commands/envelope.js';
import type { CommandOutcome, CommandPipeline } from '../../commands/pipeline.js';
import type { MeteringIngest } from '../../commands/metering-ingest.js';
import type { GraphCommand } from '../ingest/graph-command.js';
import type { TokenVerifier } from '../auth/jwt.js';
import { refusalFault, thrownFault } from './ingest-fault.js';

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

/** A part of an acked message that can never succeed (metering's invalid records): dead-lettered on its own. */
export interface RejectedPart {
  readonly status: number;
  readonly code: string;
  readonly reason: string;
  /** The dead letter's JSON body (not the original message). */
  readonly body: unknown;
}

export type Disposition =
  | { readonly kind: 'ack'; readonly outcome: CommandOutcome['kind']; readonly rejected?: RejectedPart }
  | { readonly kind: 'dead-letter'; readonly status: number; readonly code: string; readonly reason: string }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly status: number | undefined; readonly reason: string };

export interface IngestPolicy {
  /** First subject token(s) of ingest subjects (default 'ingest'). */
  readonly subjectPrefix: string;
  /** The actor of messages without a bearer token (NATS permissions authenticate them); no header changes it. */
  readonly serviceId: string;
  /** After this many deliveries a still-failing message is dead-lettered (code retries-exhausted). */
  readonly maxDeliveries: number;
  /** Retry delay: backoffBaseMs × 2^(deliveries−1), at most backoffMaxMs, ±20 % jitter. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly clock: () => Date;
  /** Dead-letter messages without a bearer token (default false: NATS permissions authenticate them). */
  readonly requireToken: boolean;
}

/** Records metering batches exactly as POST /v1/metering/events does. */
export type MeteringRecorder = Pick<MeteringIngest, 'record'>;

/** What ingest messages are run against. */
export interface IngestTargets {
  readonly pipeline: Pick<CommandPipeline, 'execute'>;
  /** Runs `metering` messages; without it they are dead-lettered as metering-unavailable. */
  readonly metering?: MeteringRecorder;
  /** Verifies bearer tokens on messages (see ingest-authn.ts); without it a token is refused. */
  readonly tokens?: TokenVerifier;
}

export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  authorization: 'Authorization',
  region: 'Companyos-Region',
  correlationId: 'Companyos-Correlation-Id',
  githubEvent: 'X-GitHub-Event',
  githubDelivery: 'X-GitHub-Delivery',
  reason: 'Companyos-Reason',
  code: 'Companyos-Code',
  status: 'Companyos-Status',
  originalSubject: 'Companyos-Original-Subject',
  originalSequence: 'Companyos-Original-Sequence',
  deliveries: 'Companyos-Deliveries',
} as const;

/** Who and how, shared by every kind of work a message can carry. */
interface Addressed {
  readonly tenant: string;
  readonly principal: Principal;
  readonly info: RequestInfo;
}

/** `ingest.<tenant>.<command type>`: one command, the body is its payload. */
export interface IngestCommand extends Addressed {
  readonly kind: 'command';
  readonly commandType: string;
  readonly payload: unknown;
}

/** `ingest.<tenant>.github|openlineage`: the mapper's commands (none for events that are not mapped). */
export interface GraphBatch extends Addressed {
  readonly kind: 'graph-batch';
  readonly source: 'github' | 'openlineage';
  readonly commands: readonly GraphCommand[];
}

/** `ingest.<tenant>.metering`: the records as sent, each checked by the recorder. */
export interface MeteringBatch extends Addressed {
  readonly kind: 'metering';
  readonly records: readonly unknown[];
  readonly region: string;
}

export interface Reject {
  readonly kind: 'reject';
  readonly status: number;
  readonly code: string;
  readonly reason: string;
  /** A later delivery may pass (e.g. the token's key set could not be fetched): retried, not dead-lettered. */
  readonly transient?: true;
}

export type IngestWork = IngestCommand | GraphBatch | MeteringBatch;
export type Parsed = IngestWork | Reject;

/**
 * Ingested work runs as a service. NATS account permissions on `ingest.<tenant>.>` authenticate the publisher
 * (there is no token or signature to check), hence authn 'system'.
 */
export const servicePrincipal = (id: string, tenant: string, region: string | undefined): Principal => ({
  id,
  tenant,
  roles: ['service'],
  region,
  authTime: undefined,
  authn: 'system',
});

export const reject = (status: number, code: string, reason: string): Reject => ({ kind: 'reject', status, code, reason });

/** A refusal's fate (see refusalFault): dead-lettered at once, or retried when a later delivery may pass. */
export function refused(status: number, code: string, reason: string, d: IngestDelivery, policy: IngestPolicy): Disposition {
  if (refusalFault(status, code) === 'permanent') return { kind: 'dead-letter', status, code, reason };
  return transient(status, `${code}: ${reason}`, d, policy);
}

/** A thrown error's fate (see thrownFault): a refused value is dead-lettered at once, an outage retried. */
export function thrown(error: unknown, d: IngestDelivery, policy: IngestPolicy): Disposition {
  if (thrownFault(error) === 'permanent') return { kind: 'dead-letter', ...refusedInput(error) };
  return transient(undefined, describeError(error), d, policy);
}

/** The dead letter of a message whose content was refused by a check that throws (the log, the sealer). */
export const refusedInput = (error: unknown) => ({ status: 400, code: 'refused-input', reason: describeError(error) }) as const;

/** Retry later, unless the message has been tried maxDeliveries times already. `status` undefined: it threw. */
export function transient(status: number | undefined, reason: string, d: IngestDelivery, policy: IngestPolicy): Disposition {
  if (d.deliveryCount >= policy.maxDeliveries) {
    return { kind: 'dead-letter', status: status ?? 503, code: 'retries-exhausted', reason: `still failing after ${d.deliveryCount} deliveries: ${reason}` };
  }
  return { kind: 'retry', delayMs: retryDelay(d.deliveryCount, policy), status, reason };
}

export const describeError = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

export function retryDelay(deliveryCount: number, policy: Pick<IngestPolicy, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  const exp = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, Math.min(30, deliveryCount - 1)));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}

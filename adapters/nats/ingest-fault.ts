// Whether another delivery of an ingest message could succeed where this one failed. Permanent faults are
// the message's own (it is refused as it is: redelivering it only delays its dead letter); transient ones
// are the world's (a dependency down, a timeout, a concurrent writer), and the same message may pass later.
// Decided from what a failure is (its code, class or SQLSTATE), never from its wording.
import { NatsError } from 'nats';
import { RevisionConflictError } from '../../commands/stream-writer.js';
import { LogUnavailableError, WrongExpectedRevisionError } from '../event-log/index.js';

export type Fault = 'permanent' | 'transient';

/**
 * A refusal (the pipeline's or a recorder's Failure): only a lost race after the pipeline's own retries
 * (`revision-conflict`) and a dependency that is not ready (503) can pass later. Every other refusal
 * (validation, unknown command, policy denial, a domain rule such as `conflict`, a payload too large) is
 * the answer this message will always get.
 */
export const refusalFault = (status: number, code: string): Fault => (status === 503 || code === 'revision-conflict' ? 'transient' : 'permanent');

// Node's socket and DNS failures, undici's, and jose's JWKS fetch timeout: the network, not the message.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_JWKS_TIMEOUT',
]);

/** SQLSTATE classes of a server in trouble: connection (08), rollback (40), resources (53), operator (57), system (58). */
const TRANSIENT_SQLSTATE = /^(08|40|53|57|58)[0-9A-Z]{3}$/;
/** SQLSTATE classes of a value the server refuses: data exception (22, e.g. 22P05 untranslatable character), program limit (54). */
const REFUSED_SQLSTATE = /^(22|54)[0-9A-Z]{3}$/;

/**
 * A thrown error. Transient when it, or any error it was caused by, is an outage: the log unavailable, a
 * revision conflict, a network or timeout code, a NATS error, a PostgreSQL connection/resource SQLSTATE.
 * Permanent when the message's content was refused: JavaScript's own refusals of a value (TypeError,
 * RangeError, SyntaxError, URIError — e.g. the log's "contains U+0000", canonical JSON's "lone
 * surrogate", a stack overflow on a deep payload), a PostgreSQL data-exception or program-limit
 * SQLSTATE, EventStoreDB's maximum append size. Anything else is transient: the delivery limit bounds it.
 */
export function thrownFault(error: unknown): Fault {
  if (causedByOutage(error)) return 'transient';
  return isRefusedValue(error) ? 'permanent' : 'transient';
}

/** Whether the error, or one it was caused by, is an outage (the network, a timeout, the log, NATS). */
export const causedByOutage = (error: unknown): boolean => causes(error).some(isOutage);

function isOutage(e: unknown): boolean {
  if (e instanceof LogUnavailableError || e instanceof WrongExpectedRevisionError || e instanceof RevisionConflictError) return true;
  if (!(e instanceof Error)) return false;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e instanceof NatsError) return true;
  const code = codeOf(e);
  return code !== undefined && (NETWORK_CODES.has(code) || TRANSIENT_SQLSTATE.test(code));
}

function isRefusedValue(e: unknown): boolean {
  if (e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof URIError) return true;
  if (!(e instanceof Error)) return false;
  const code = codeOf(e);
  if (code !== undefined && REFUSED_SQLSTATE.test(code)) return true;
  return (e as { type?: unknown }).type === 'maximum-append-size-exceeded'; // @eventstore/db-client's ErrorType
}

const codeOf = (e: Error): string | undefined => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};

/** The error and the chain of its causes (bounded: a cause cycle must not hang the ingest). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 8; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
    if (typeof e !== 'object') break;
  }
  return chain;
}

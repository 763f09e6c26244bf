// Seals event bodies onto a stream's tail and appends them with the exact expected revision, so the
// hash chain stays linear; a revision conflict is retried a bounded number of times with jittered backoff.
import { envelopeOf, sealEvent, toEventDraft, type SigningKey } from '../ledger/index.js';
import type { EventBody } from '../schemas/event-body.js';
import { WrongExpectedRevisionError, type AppendResult, type EventLog, type RecordedEvent } from '../adapters/event-log/index.js';
import { GENESIS_HASH, type EventMeta, type SealedEvent } from '../schemas/sealed-event.js';

/** The last event of a stream: the revision to expect and the hash to chain from. */
export interface StreamTail {
  readonly revision: bigint;
  readonly hash: string;
}

export function tailOf(events: readonly RecordedEvent[]): StreamTail | undefined {
  const last = events[events.length - 1];
  if (last === undefined) return undefined;
  const hash: unknown = envelopeOf(last).hash;
  if (typeof hash !== 'string') throw new Error(`stream ${last.stream} revision ${last.revision} has no sealed hash`);
  return { revision: last.revision, hash };
}

export async function readTail(log: EventLog, stream: string): Promise<StreamTail | undefined> {
  return tailOf(await log.readStream(stream, { direction: 'backwards', maxCount: 1 }));
}

export interface SealArgs {
  readonly stream: string;
  readonly tail: StreamTail | undefined;
  readonly bodies: readonly EventBody[];
  readonly ids: readonly string[];
  readonly tenant: string;
  readonly region: string;
  readonly sealedAt: string;
  readonly meta: EventMeta;
}

/** Seals `bodies` as the next revisions after `tail`, each chained to the one before. */
export function sealOntoTail(a: SealArgs, key: SigningKey): SealedEvent[] {
  let revision = a.tail === undefined ? 0 : Number(a.tail.revision) + 1;
  let prevHash = a.tail?.hash ?? GENESIS_HASH;
  return a.bodies.map((body, i) => {
    const sealed = sealEvent(
      {
        id: a.ids[i]!,
        stream: a.stream,
        revision: revision++,
        type: body.type,
        schemaVersion: body.schemaVersion,
        tenant: a.tenant,
        region: a.region,
        sealedAt: a.sealedAt,
        data: body.data,
        meta: a.meta,
        prevHash,
      },
      key,
    );
    prevHash = sealed.hash;
    return sealed;
  });
}

export async function appendSealed(log: EventLog, tail: StreamTail | undefined, events: readonly SealedEvent[]): Promise<AppendResult> {
  const stream = events[0]!.stream;
  return log.append(stream, tail === undefined ? 'no-stream' : tail.revision, events.map(toEventDraft));
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onConflict?: () => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 2 };

/** The stream kept moving under us for every attempt. */
export class RevisionConflictError extends Error {
  override readonly name = 'RevisionConflictError';
  constructor(readonly stream: string, readonly attempts: number) {
    super(`stream ${stream} changed concurrently on each of ${attempts} attempts`);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it does not throw WrongExpectedRevisionError, at most `policy.attempts` times,
 * sleeping a full-jitter exponential backoff between tries.
 */
export async function retryOnConflict<T>(stream: string, policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  for (let i = 0; i < policy.attempts; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      policy.onConflict?.();
      if (i + 1 < policy.attempts) await sleep(Math.random() * policy.baseDelayMs * 2 ** i);
    }
  }
  throw new RevisionConflictError(stream, policy.attempts);
}

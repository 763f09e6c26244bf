// The inbound side: a durable JetStream pull consumer on `ingest.>`; each message becomes its work
// (ingest-message.ts), up to `concurrency` at once and one at a time per stream. Acked after the append,
// dead-lettered then acked at once if it can never succeed (a permanent fault, ingest-fault.ts), nak'd with
// a growing delay if it failed transiently.
import { headers as natsHeaders, Match, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import { ensureConsumer, ensureStream } from './jetstream-setup.js';
import { HEADERS, refusedInput, type Disposition, type IngestDelivery, type IngestPolicy, type IngestTargets, type Parsed, type RejectedPart } from './ingest-delivery.js';
import { authenticateDelivery } from './ingest-authn.js';
import { executeDelivery, parseDelivery, serializationKey } from './ingest-message.js';
import { Signal } from '../../commands/signal.js';
import { WriteCoalescer } from './write-coalescer.js';
import { deadLetterSubject } from './subjects.js';

export const INGEST_STREAM = 'COMPANYOS_INGEST';
export const INGEST_SUBJECT_PREFIX = 'ingest';
export const INGEST_DURABLE = 'companyos-ingest';
export const DEADLETTER_STREAM = 'COMPANYOS_DEADLETTER';
export const DEADLETTER_SUBJECT_PREFIX = 'deadletter.ingest';

/** The pipeline (and the metering recorder, for `metering` messages) the work runs against, and NATS. */
export interface IngestDeps extends IngestTargets {
  readonly nats: NatsConnection;
}

export interface IngestOptions extends Partial<IngestPolicy> {
  /** JetStream stream of ingest messages (default COMPANYOS_INGEST over `<subjectPrefix>.>`, work-queue retention). */
  readonly stream?: string;
  /** Durable consumer; every ingest process of a deployment shares it (default companyos-ingest). */
  readonly durable?: string;
  /** Stream of dead letters (default COMPANYOS_DEADLETTER over `<deadLetterPrefix>.>`). */
  readonly deadLetterStream?: string;
  /** Default 'deadletter.ingest'. */
  readonly deadLetterPrefix?: string;
  /** Messages worked on at once (default 32). */
  readonly concurrency?: number;
  /** Redelivery after this long without an ack (default 30 s). */
  readonly ackWaitMs?: number;
  /** Duplicate window of streams this creates (default 2 minutes). */
  readonly duplicateWindowMs?: number;
  /** Called for every message handled (metrics, logs). */
  readonly onDisposition?: (delivery: IngestDelivery, disposition: Disposition) => void;
  /** Failures of the consumer itself (not of commands). Default: one line on stderr. */
  readonly onError?: (error: unknown) => void;
}

export interface IngestStats {
  readonly received: number;
  readonly acked: number;
  /** Dead letters published: whole messages, and the rejected parts of acked ones (metering records). */
  readonly deadLettered: number;
  readonly retried: number;
  readonly inFlight: number;
}

export interface IngestHandle {
  stats(): IngestStats;
  /** Stops pulling, finishes the messages already delivered, and returns. */
  close(): Promise<void>;
}

/** Names and settings startIngest uses, with defaults applied. */
export function ingestTopology(options: IngestOptions = {}) {
  const subjectPrefix = options.subjectPrefix ?? INGEST_SUBJECT_PREFIX;
  const concurrency = options.concurrency ?? 32;
  return {
    subjectPrefix,
    stream: options.stream ?? INGEST_STREAM,
    durable: options.durable ?? INGEST_DURABLE,
    deadLetterStream: options.deadLetterStream ?? DEADLETTER_STREAM,
    deadLetterPrefix: options.deadLetterPrefix ?? DEADLETTER_SUBJECT_PREFIX,
    concurrency,
    duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
    ackWaitMs: options.ackWaitMs ?? 30_000,
    maxAckPending: Math.max(1000, concurrency * 4),
  };
}

/** Creates the ingest and dead-letter streams and the durable consumer if missing (producers may call it too). */
export async function ensureIngestTopology(nats: NatsConnection, options: IngestOptions = {}): Promise<void> {
  const t = ingestTopology(options);
  const jsm = await nats.jetstreamManager();
  await ensureStream(jsm, {
    name: t.stream,
    subjects: [`${t.subjectPrefix}.>`],
    description: 'CompanyOS ingest: commands by subject <prefix>.<tenant>.<command type>',
    duplicateWindowMs: t.duplicateWindowMs,
    retention: 'workqueue',
  });
  await ensureStream(jsm, {
    name: t.deadLetterStream,
    subjects: [`${t.deadLetterPrefix}.>`],
    description: 'CompanyOS ingest dead letters (Companyos-Reason, Companyos-Code headers)',
    duplicateWindowMs: t.duplicateWindowMs,
    retention: 'limits',
  });
  await ensureConsumer(jsm, { stream: t.stream, durable: t.durable, filterSubject: `${t.subjectPrefix}.>`, ackWaitMs: t.ackWaitMs, maxAckPending: t.maxAckPending });
}

export async function startIngest(deps: IngestDeps, options: IngestOptions = {}): Promise<IngestHandle> {
  await ensureIngestTopology(deps.nats, options);
  const t = ingestTopology(options);
  const policy: IngestPolicy = {
    subjectPrefix: t.subjectPrefix,
    serviceId: options.serviceId ?? 'service:nats-ingest',
    maxDeliveries: options.maxDeliveries ?? 20,
    backoffBaseMs: options.backoffBaseMs ?? 500,
    backoffMaxMs: options.backoffMaxMs ?? 60_000,
    clock: options.clock ?? (() => new Date()),
    requireToken: options.requireToken ?? false,
  };
  const ingest = new Ingest(deps, policy, { ...t, options });
  await ingest.start();
  return ingest;
}

interface Settings {
  readonly stream: string;
  readonly durable: string;
  readonly deadLetterStream: string;
  readonly deadLetterPrefix: string;
  readonly concurrency: number;
  readonly options: IngestOptions;
}

class Ingest implements IngestHandle {
  readonly #deps: IngestDeps;
  readonly #policy: IngestPolicy;
  readonly #s: Settings;
  readonly #onError: (error: unknown) => void;
  readonly #chains = new Map<string, Promise<void>>();
  readonly #slotFreed = new Signal();
  readonly #writes = new WriteCoalescer();
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #closing = false;
  #inFlight = 0;
  #received = 0;
  #acked = 0;
  #deadLettered = 0;
  #retried = 0;

  constructor(deps: IngestDeps, policy: IngestPolicy, settings: Settings) {
    this.#deps = deps;
    this.#policy = policy;
    this.#s = settings;
    this.#onError = settings.options.onError ?? ((e) => console.error(`companyos ingest: ${e instanceof Error ? e.message : String(e)}`));
  }

  async start(): Promise<void> {
    const consumer = await this.#deps.nats.jetstream().consumers.get(this.#s.stream, this.#s.durable);
    // Pull a little more than we work on, so the next messages are at hand when a slot frees.
    this.#messages = await consumer.consume({ max_messages: this.#s.concurrency * 2 });
    this.#loop = this.#run(this.#messages);
  }

  stats(): IngestStats {
    return { received: this.#received, acked: this.#acked, deadLettered: this.#deadLettered, retried: this.#retried, inFlight: this.#inFlight };
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#messages?.close();
    await this.#loop;
    while (this.#inFlight > 0) await this.#slotFreed.wait();
  }

  async #run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        this.#received++;
        while (this.#inFlight >= this.#s.concurrency) await this.#slotFreed.wait();
        this.#inFlight++;
        void this.#dispatch(m)
          .catch((error: unknown) => this.#onError(error)) // unacked: it comes back after the ack wait
          .finally(() => {
            this.#inFlight--;
            this.#slotFreed.notify();
          });
      }
    } catch (error) {
      if (!this.#closing) this.#onError(error);
    }
  }

  /** Runs the message after any earlier one for the same stream. */
  async #dispatch(m: JsMsg): Promise<void> {
    const delivery = toDelivery(m);
    let parsed: Parsed;
    try {
      parsed = await authenticateDelivery(parseDelivery(delivery, this.#policy), delivery, this.#deps.tokens, this.#policy.requireToken);
    } catch (error) {
      // Reading a message is pure (a mapper's stack overflow on a deep payload, say): it would throw on
      // every delivery, so it is the message's fault, not something to leave to the ack wait.
      parsed = { kind: 'reject', ...refusedInput(error) };
    }
    const key = parsed.kind === 'reject' ? undefined : serializationKey(parsed);
    const work = async () => {
      const disposition = await executeDelivery(this.#deps, parsed, delivery, this.#policy);
      await this.#settle(m, delivery, disposition);
    };
    if (key === undefined) return work();
    const run = (this.#chains.get(key) ?? Promise.resolve()).then(work);
    const tail = run.catch(() => {});
    this.#chains.set(key, tail);
    void tail.then(() => {
      if (this.#chains.get(key) === tail) this.#chains.delete(key);
    });
    return run;
  }

  async #settle(m: JsMsg, delivery: IngestDelivery, disposition: Disposition): Promise<void> {
    try {
      if (disposition.kind === 'ack') {
        // The rejected part first: if publishing it fails, the nak below brings the whole message back.
        if (disposition.rejected !== undefined) {
          await this.#deadLetter(m, delivery, disposition.rejected, encodeJson(disposition.rejected.body));
          this.#deadLettered++;
        }
        this.#writes.run(() => m.ack());
        this.#acked++;
      } else if (disposition.kind === 'retry') {
        this.#writes.run(() => m.nak(disposition.delayMs));
        this.#retried++;
      } else {
        await this.#deadLetter(m, delivery, disposition, m.data);
        this.#writes.run(() => m.ack());
        this.#deadLettered++;
      }
      this.#s.options.onDisposition?.(delivery, disposition);
    } catch (error) {
      // Dead-lettering failed (or the connection is gone): leave it to redelivery.
      this.#onError(error);
      try {
        m.nak(this.#policy.backoffBaseMs);
      } catch {
        // closed connection: the ack wait brings the message back
      }
    }
  }

  /** Publishes `data` (the message, or its rejected part) to the dead-letter subject with why, and the message's headers. */
  async #deadLetter(m: JsMsg, delivery: IngestDelivery, d: DeadLetterReason, data: Uint8Array): Promise<void> {
    const h = natsHeaders();
    for (const k of m.headers?.keys() ?? []) {
      if (k.toLowerCase().startsWith('nats-')) continue; // keep none of the publisher's JetStream expectations
      for (const v of m.headers!.values(k)) h.append(k, v);
    }
    h.set(HEADERS.reason, headerValue(d.reason));
    h.set(HEADERS.code, d.code);
    h.set(HEADERS.status, String(d.status));
    h.set(HEADERS.originalSubject, m.subject);
    h.set(HEADERS.originalSequence, String(m.seq));
    h.set(HEADERS.deliveries, String(delivery.deliveryCount));
    await this.#deps.nats.jetstream().publish(deadLetterSubject(this.#policy.subjectPrefix, this.#s.deadLetterPrefix, m.subject), data, {
      headers: h,
      // One dead letter per ingest message, even if the ack after it is lost and it comes back (a redelivered
      // metering batch rejects the same records again); the producer's id is kept to match it to what it sent.
      msgID: delivery.header(HEADERS.msgId) ?? `${delivery.stream}:${delivery.streamSequence}`,
      expect: { streamName: this.#s.deadLetterStream },
    });
  }
}

/** Why something is dead-lettered: a whole message's disposition, or an acked message's rejected part. */
type DeadLetterReason = Pick<RejectedPart, 'status' | 'code' | 'reason'>;

const encodeJson = (body: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(body));

function toDelivery(m: JsMsg): IngestDelivery {
  return {
    subject: m.subject,
    data: m.data,
    header: (name) => (m.headers?.has(name, Match.IgnoreCase) ? m.headers.get(name, Match.IgnoreCase) : undefined),
    stream: m.info.stream,
    streamSequence: m.seq,
    deliveryCount: m.info.deliveryCount,
  };
}

/** Header values are one line; keep the reason readable and bounded. */
const headerValue = (text: string): string => {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  return line.length > 1000 ? `${line.slice(0, 997)}...` : line || '-';
};

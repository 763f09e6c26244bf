// The bus on NATS JetStream: publishes into one stream (created if missing) with `Nats-Msg-Id` for
// deduplication and waits for the stream's ack; subscribers get live messages over core NATS.
import { headers as natsHeaders, type JetStreamClient, type NatsConnection } from 'nats';
import type { Bus, BusMessage, BusSubscription, PublishAck, PublishOptions } from './bus.js';
import { ensureStream } from './jetstream-setup.js';
import { WriteCoalescer } from './write-coalescer.js';

export interface JetStreamBusOptions {
  /** Default COMPANYOS_EVENTS. */
  readonly stream?: string;
  /** Subjects the stream captures; default `companyos.>`. */
  readonly subjects?: readonly string[];
  /** Default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** How long to wait for the stream's ack before the publish counts as failed (default 10 s). */
  readonly publishTimeoutMs?: number;
}

export const EVENTS_STREAM = 'COMPANYOS_EVENTS';
export const EVENTS_SUBJECT_PREFIX = 'companyos';

export class JetStreamBus implements Bus {
  readonly kind = 'nats' as const;
  readonly stream: string;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #timeoutMs: number;
  readonly #writes = new WriteCoalescer();

  private constructor(nc: NatsConnection, stream: string, timeoutMs: number) {
    this.#nc = nc;
    this.#js = nc.jetstream();
    this.stream = stream;
    this.#timeoutMs = timeoutMs;
  }

  /** Ensures the stream exists (see jetstream-setup.ts) and returns a bus publishing into it. */
  static async open(nc: NatsConnection, options: JetStreamBusOptions = {}): Promise<JetStreamBus> {
    const stream = options.stream ?? EVENTS_STREAM;
    await ensureStream(await nc.jetstreamManager(), {
      name: stream,
      subjects: options.subjects ?? [`${EVENTS_SUBJECT_PREFIX}.>`],
      description: 'CompanyOS committed events (sealed event JSON; Nats-Msg-Id = event id)',
      duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
      retention: 'limits',
    });
    return new JetStreamBus(nc, stream, options.publishTimeoutMs ?? 10_000);
  }

  publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<PublishAck> {
    return new Promise<PublishAck>((resolve, reject) => {
      // Issued in one burst with the other publishes of this turn (same order), so they share a write.
      this.#writes.run(() => {
        try {
          this.#send(subject, data, options).then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  async #send(subject: string, data: Uint8Array, options: PublishOptions): Promise<PublishAck> {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(options.headers ?? {})) h.set(k, v);
    const ack = await this.#js.publish(subject, data, {
      headers: h,
      timeout: this.#timeoutMs,
      // A subject captured by some other stream would be "acked" by it: insist on ours.
      expect: { streamName: this.stream },
      ...(options.msgId !== undefined ? { msgID: options.msgId } : {}),
    });
    return { duplicate: ack.duplicate };
  }

  subscribe(pattern: string, onMessage: (message: BusMessage) => void): BusSubscription {
    const sub = this.#nc.subscribe(pattern, {
      callback: (err, msg) => {
        if (err) return;
        const headers: Record<string, string> = {};
        for (const k of msg.headers?.keys() ?? []) headers[k] = msg.headers!.get(k);
        onMessage({ subject: msg.subject, data: msg.data, headers });
      },
    });
    return { close: () => sub.unsubscribe() };
  }
}

// The in-process bus: what the relay publishes to when NATS_URL is unset. Subscribers in this process get
// every message; message ids are deduplicated within a window, as JetStream does, so relay re-sends after
// a restart of the relay (not of the process) are not delivered twice.
import type { Bus, BusMessage, BusSubscription, PublishAck, PublishOptions } from './bus.js';

export interface MemoryBusOptions {
  /** How long a message id is remembered (default 2 minutes, as the JetStream stream). */
  readonly duplicateWindowMs?: number;
  readonly now?: () => number;
}

interface Subscriber {
  readonly tokens: readonly string[];
  readonly onMessage: (message: BusMessage) => void;
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #subscribers = new Set<Subscriber>();
  /** msgId → when it was first seen; insertion order is time order, so expiry trims from the front. */
  readonly #seen = new Map<string, number>();

  constructor(options: MemoryBusOptions = {}) {
    this.#windowMs = options.duplicateWindowMs ?? 120_000;
    this.#now = options.now ?? Date.now;
  }

  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<PublishAck> {
    const now = this.#now();
    for (const [id, at] of this.#seen) {
      if (now - at < this.#windowMs) break;
      this.#seen.delete(id);
    }
    if (options.msgId !== undefined) {
      if (this.#seen.has(options.msgId)) return { duplicate: true };
      this.#seen.set(options.msgId, now);
    }
    const headers = { ...options.headers, ...(options.msgId !== undefined ? { 'Nats-Msg-Id': options.msgId } : {}) };
    const message: BusMessage = { subject, data, headers };
    const tokens = subject.split('.');
    for (const s of this.#subscribers) {
      if (!matches(s.tokens, tokens)) continue;
      try {
        s.onMessage(message);
      } catch {
        // A subscriber's bug must not fail the publisher (JetStream would not tell it either).
      }
    }
    return { duplicate: false };
  }

  subscribe(pattern: string, onMessage: (message: BusMessage) => void): BusSubscription {
    const subscriber: Subscriber = { tokens: pattern.split('.'), onMessage };
    this.#subscribers.add(subscriber);
    return { close: () => void this.#subscribers.delete(subscriber) };
  }
}

/** NATS subject matching: `*` matches one token, a final `>` one or more. */
export function matches(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '>' && i === pattern.length - 1) return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== '*' && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

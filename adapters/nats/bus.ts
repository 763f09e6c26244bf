// The bus port: where the relay publishes committed events. NATS JetStream in production
// (jetstream-bus.ts); an in-process bus when NATS_URL is unset and in tests (memory-bus.ts).

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

export interface PublishOptions {
  /** Deduplication id (`Nats-Msg-Id`): a repeat within the duplicate window is acknowledged but not stored. */
  readonly msgId?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface PublishAck {
  /** The message repeated an id already seen within the duplicate window and was not stored again. */
  readonly duplicate: boolean;
}

export interface BusSubscription {
  close(): void;
}

export interface Bus {
  readonly kind: 'nats' | 'memory';
  /**
   * Resolves once the bus has accepted the message (for JetStream: stored and acknowledged), rejects if
   * that is not known. Publishes made one after another are stored in that order.
   */
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishAck>;
  /** Live messages on subjects matching `pattern` (NATS wildcards: `*` one token, `>` the rest). */
  subscribe(pattern: string, onMessage: (message: BusMessage) => void): BusSubscription;
}

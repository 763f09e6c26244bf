// Public surface of the NATS side: the bus port and its two adapters, the outbound relay, the inbound
// ingest, and the subject names. Everything else in adapters/nats is internal.
export type { Bus, BusMessage, BusSubscription, PublishAck, PublishOptions } from './bus.js';
export { MemoryBus, type MemoryBusOptions } from './memory-bus.js';
export { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, JetStreamBus, type JetStreamBusOptions } from './jetstream-bus.js';
export { startRelay, type RelayDeps, type RelayHandle, type RelayOptions, type RelayStats } from './relay.js';
export {
  DEADLETTER_STREAM,
  DEADLETTER_SUBJECT_PREFIX,
  INGEST_DURABLE,
  INGEST_STREAM,
  INGEST_SUBJECT_PREFIX,
  ensureIngestTopology,
  startIngest,
  type IngestDeps,
  type IngestHandle,
  type IngestOptions,
  type IngestStats,
} from './ingest.js';
export { HEADERS, type Disposition, type IngestDelivery, type MeteringRecorder, type RejectedPart } from './ingest-delivery.js';
export type { RejectedRecords } from './ingest-metering.js';
export { POSITION_HEADER, outboundMessage } from './event-message.js';
export { INGEST_SOURCES, deadLetterSubject, eventSubject, ingestSubject, parseIngestSubject, type IngestSource } from './subjects.js';
export { decodeToken, encodeToken } from './subject-token.js';
export { startNatsSide, type NatsSide, type NatsSideDeps, type NatsSideOptions } from './wiring.js';

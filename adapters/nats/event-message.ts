// A committed event as the relay publishes it: the sealed event's JSON as payload (verifiable with the
// keys from GET /v1/ledger/keys), the event id as Nats-Msg-Id and the log position as a header.
import type { RecordedEvent } from '../event-log/index.js';
import { envelopeOf } from '../../ledger/log-codec.js';
import { eventSubject } from './subjects.js';

export interface OutboundMessage {
  readonly subject: string;
  readonly msgId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly data: Uint8Array;
}

/** Header with the event's position in the log (decimal; positions are 64-bit). */
export const POSITION_HEADER = 'Companyos-Position';

const encoder = new TextEncoder();

export function outboundMessage(prefix: string, r: RecordedEvent): OutboundMessage {
  // The record's own id, type and data win over metadata, exactly as ledger's fromRecordedEvent reads
  // it; not decoded here, so a malformed record is still published and fails verification visibly.
  const sealed = { ...envelopeOf(r), id: r.id, type: r.type, data: r.data };
  return {
    subject: eventSubject(prefix, r.stream, r.type),
    msgId: r.id,
    headers: { [POSITION_HEADER]: r.position.toString() },
    data: encoder.encode(JSON.stringify(sealed)),
  };
}

// Mapping between sealed events and the log's drafts/records. The log stores id, type and data itself;
// metadata carries the rest of the sealed envelope, including sealed copies of stream and revision,
// so a verifier can compare them with where the log actually stored the event (swaps, deletions).
// envelopeOf is the one undecoded read of that envelope.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { EventDraft, RecordedEvent } from '../schemas/log-record.js';
import type { JsonValue } from '../schemas/json.js';
import { SealedEvent } from '../schemas/sealed-event.js';
import { describeFirstError } from './decode-error.js';

/** The draft to append for a sealed event; append it at revision `e.revision` of stream `e.stream`. */
export function toEventDraft(e: SealedEvent): EventDraft {
  const { id, type, data, ...envelope } = e;
  // SealedEvent's optional meta fields make TypeScript doubt it is JSON; canonicalization already proved it is.
  return { id, type, data, metadata: envelope as unknown as JsonValue };
}

/**
 * The sealed envelope a record stores (its metadata), read without decoding it: typed as sealed but
 * unchecked, for readers that need a field or two of every event (a stream's tail hash, the sealed time,
 * the tenant of an unreadable event) and must not pay for a decode. Not an object: {}. A reader that
 * cannot trust the log checks each field's type; fromRecordedEvent is the checked read.
 */
export type StoredEnvelope = Partial<Omit<SealedEvent, 'id' | 'type' | 'data'>>;

export const envelopeOf = (r: RecordedEvent): StoredEnvelope =>
  typeof r.metadata === 'object' && r.metadata !== null && !Array.isArray(r.metadata) ? (r.metadata as StoredEnvelope) : {};

/**
 * The sealed event a record holds: id, type and data from the record, everything else (including the
 * sealed stream and revision) from metadata. Left is `malformed: <field path> (...)`.
 */
export function fromRecordedEvent(r: RecordedEvent): Either<string, SealedEvent> {
  const m = r.metadata;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return left('malformed: metadata (expected an object)');
  // Record fields last: id, type and data are whatever the log holds, so altering them shows as a hash mismatch.
  // Data is not walked here: the log hands it over parsed from JSON (so it is a JSON value), and left
  // unread it stays unparsed — most readers of $all need only the envelope (see the PostgreSQL adapter).
  const event = copyOf(m as { readonly [key: string]: JsonValue });
  event['id'] = r.id;
  event['type'] = r.type;
  event['data'] = null;
  // SealedEvent transforms nothing, so a valid record decodes to itself: `is` says so without building
  // decode's context and result objects (a replay checks hundreds of thousands); decode names the fault.
  if (!SealedEvent.is(event)) {
    const decoded = SealedEvent.decode(event);
    if (isLeft(decoded)) return left(`malformed: ${describeFirstError(decoded.left, 'event')}`);
  }
  // A record whose data is already a value (a worker's, the memory log's) hands it over as a plain property:
  // an accessor added after the fact leaves the object slow to walk, and hashing walks it (≈ 3 µs an event).
  const data = Object.getOwnPropertyDescriptor(r, 'data');
  if (data !== undefined && 'value' in data) (event as Record<string, unknown>)['data'] = data.value;
  else Object.defineProperty(event, 'data', { enumerable: true, get: () => r.data });
  return right(event as unknown as SealedEvent);
}

/**
 * A shallow copy of a parsed JSON object. Object.assign is an order of magnitude faster than spread for
 * objects from JSON.parse (Node 20's V8), but it assigns: an own `__proto__` key would set the prototype, so
 * such an object (never a sealed envelope, but a log can hold anything) is copied by spread instead.
 */
function copyOf(o: { readonly [key: string]: unknown }): Record<string, unknown> {
  return Object.prototype.hasOwnProperty.call(o, '__proto__') ? { ...o } : Object.assign({}, o);
}

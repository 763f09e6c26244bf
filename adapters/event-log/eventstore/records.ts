// EventStoreDB records as the port's: positions ($all commit positions), system events, payloads, and the
// port's prefix filters both client-side and as server filters.
import {
  eventTypeFilter,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Filter,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { EventFilter, RecordedEvent } from '../event-log.js';
import type { JsonValue } from '../../../schemas/json.js';

/** Servers report "no position" as the all-ones 64-bit value. */
const NO_POSITION = 2n ** 64n - 1n;

export type RecordedLike = NonNullable<ResolvedEvent['event']> | NonNullable<AllStreamResolvedEvent['event']>;
export { compileFilter, type Matcher } from '../event-filter.js';

export function validPosition(p: bigint | undefined): bigint | undefined {
  return p === undefined || p < 0n || p >= NO_POSITION ? undefined : p;
}

/** A $all event's position: the commit position of the read, else of the record. */
export function allPosition(resolved: AllStreamResolvedEvent): bigint {
  const position = validPosition(resolved.commitPosition) ?? validPosition(resolved.event?.position?.commit);
  if (position === undefined) throw new Error('EventStoreDB returned a $all event without a position');
  return position;
}

export function isSystem(event: RecordedLike): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

export function serverFilter(filter: EventFilter | undefined): Filter | undefined {
  if (!filter) return undefined;
  if ('streamPrefixes' in filter) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  return eventTypeFilter({ prefixes: [...filter.eventTypePrefixes] });
}

export function toRecorded(event: RecordedLike, position: bigint): RecordedEvent {
  return {
    id: event.id,
    type: event.type,
    stream: event.streamId,
    revision: event.revision,
    position,
    data: toJson(event.data),
    metadata: toJson(event.metadata),
  };
}

/** The client parses JSON payloads; bytes it could not parse (foreign, non-JSON events) come back as text. */
function toJson(value: unknown): JsonValue {
  if (value === undefined) return null; // empty metadata
  if (value instanceof Uint8Array) {
    const text = Buffer.from(value).toString('utf8');
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return text;
    }
  }
  return value as JsonValue;
}

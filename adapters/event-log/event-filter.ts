// The port's prefix filters evaluated in process, for logs that filter what they already hold (EventStoreDB's
// client-side guard, the PostgreSQL log's shared tail handing one page to several subscriptions).
import type { EventFilter } from './event-log.js';

export type Matcher = (stream: string, type: string) => boolean;

/** A match for a port filter; validates it (TypeError) as the logs' server-side filters do. */
export function compileFilter(filter: EventFilter | undefined): Matcher {
  if (!filter) return () => true;
  const byStream = 'streamPrefixes' in filter;
  const prefixes = byStream ? filter.streamPrefixes : filter.eventTypePrefixes;
  if (!Array.isArray(prefixes) || prefixes.length === 0) throw new TypeError('filter: at least one prefix');
  if (prefixes.some((p) => typeof p !== 'string')) throw new TypeError('filter: prefixes must be strings');
  return byStream
    ? (stream) => prefixes.some((p) => stream.startsWith(p))
    : (_, type) => prefixes.some((p) => type.startsWith(p));
}

/**
 * One filter that lets through what any of `filters` does: undefined (everything) when one of them is
 * undefined or they filter on different fields. Used to read once for several subscriptions.
 */
export function unionOfFilters(filters: Iterable<EventFilter | undefined>): EventFilter | undefined {
  const streams = new Set<string>();
  const types = new Set<string>();
  for (const f of filters) {
    if (f === undefined) return undefined;
    if ('streamPrefixes' in f) for (const p of f.streamPrefixes) streams.add(p);
    else for (const p of f.eventTypePrefixes) types.add(p);
    if (streams.size > 0 && types.size > 0) return undefined;
  }
  if (streams.size > 0) return { streamPrefixes: [...streams] };
  if (types.size > 0) return { eventTypePrefixes: [...types] };
  return undefined;
}

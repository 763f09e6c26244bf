// Reads of the EventStoreDB log: a stream (absent reads as empty), $all in pages (system events and
// filtered-out events dropped client-side), the head position, and where one stored event sits.
import { BACKWARDS, END, FORWARDS, START, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import type { ReadAllOptions, ReadStreamOptions, RecordedEvent } from '../event-log.js';
import { readToEnd } from './client.js';
import { MissingPositionError, mapError } from './errors.js';
import { allPosition, compileFilter, isSystem, toRecorded, validPosition } from './records.js';

export async function readStreamEvents(
  client: EventStoreDBClient,
  stream: string,
  options: ReadStreamOptions,
): Promise<readonly RecordedEvent[]> {
  const backwards = options.direction === 'backwards';
  checkMaxCount(options.maxCount);
  const from = options.fromRevision;
  if (from !== undefined && (typeof from !== 'bigint' || from < 0n)) {
    throw new RangeError('readStream: fromRevision must be a non-negative bigint');
  }
  if (options.maxCount === 0) return [];
  const out: RecordedEvent[] = [];
  try {
    const read = client.readStream(stream, {
      fromRevision: options.fromRevision ?? (backwards ? END : START),
      direction: backwards ? BACKWARDS : FORWARDS,
      maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
    });
    for (const resolved of await readToEnd(read)) {
      const event = resolved.event;
      if (!event) continue;
      const position = validPosition(event.position?.commit);
      if (position === undefined) throw new MissingPositionError(stream);
      out.push(toRecorded(event, position));
    }
    return out;
  } catch (err) {
    if (err instanceof StreamNotFoundError) return [];
    throw mapError(err);
  }
}

export async function readAllEvents(
  client: EventStoreDBClient,
  pageSize: number,
  options: ReadAllOptions,
): Promise<readonly RecordedEvent[]> {
  if (options.after !== undefined && typeof options.after !== 'bigint') throw new TypeError('readAll: after must be a bigint');
  checkMaxCount(options.maxCount);
  const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
  const match = compileFilter(options.filter);
  const out: RecordedEvent[] = [];
  if (limit === 0) return out;
  // $all reads from a position include the event there, so each page starts at the last position seen and
  // drops it; `after` is handled the same way, which also copes with a position no event sits at.
  let from = options.after;
  try {
    for (;;) {
      // Without a filter, ask for no more than is still wanted (plus the repeated first event).
      const wanted = options.filter ? pageSize : Math.min(pageSize, limit - out.length + 1);
      const read = client.readAll({
        fromPosition: from === undefined ? START : { commit: from, prepare: from },
        maxCount: Math.max(2, wanted),
        direction: FORWARDS,
      });
      const page = await readToEnd(read);
      for (const resolved of page) {
        const position = allPosition(resolved);
        if (from !== undefined && position <= from) continue;
        const event = resolved.event;
        if (!event || isSystem(event) || !match(event.streamId, event.type)) continue;
        out.push(toRecorded(event, position));
        if (out.length >= limit) return out;
      }
      if (page.length < Math.max(2, wanted) || page.length === 0) return out;
      from = allPosition(page[page.length - 1]!);
    }
  } catch (err) {
    throw mapError(err);
  }
}

export async function headPosition(client: EventStoreDBClient, pageSize: number): Promise<bigint | undefined> {
  // Backwards from the end, past system events ($-streams), which readAll never returns.
  let from: bigint | undefined;
  try {
    for (;;) {
      const page = await readToEnd(
        client.readAll({
          fromPosition: from === undefined ? END : { commit: from, prepare: from },
          maxCount: pageSize,
          direction: BACKWARDS,
        }),
      );
      for (const resolved of page) {
        const position = allPosition(resolved);
        if (from !== undefined && position >= from) continue;
        if (resolved.event && !isSystem(resolved.event)) return position;
      }
      if (page.length < pageSize) return undefined;
      from = allPosition(page[page.length - 1]!);
    }
  } catch (err) {
    throw mapError(err);
  }
}

/** The position of one stored event, for append replies that carry none. */
export async function positionOf(client: EventStoreDBClient, stream: string, revision: bigint): Promise<bigint> {
  const [event] = await readStreamEvents(client, stream, { fromRevision: revision, maxCount: 1 });
  if (!event || event.revision !== revision) throw new MissingPositionError(stream);
  return event.position;
}

function checkMaxCount(maxCount: number | undefined): void {
  if (maxCount !== undefined && (!Number.isSafeInteger(maxCount) || maxCount < 0)) {
    throw new RangeError('maxCount must be a non-negative integer');
  }
}

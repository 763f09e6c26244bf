// Appends to the EventStoreDB log: one appendToStream per append, event ids as the server's idempotency key,
// and the port's answer to a repeat or a duplicate id worked out from the stream on a conflict.
import {
  ANY,
  NO_STREAM,
  WrongExpectedVersionError,
  jsonEvent,
  type AppendExpectedRevision,
  type EventStoreDBClient,
  type JSONType,
} from '@eventstore/db-client';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventDraft,
  type ExpectedRevision,
  type RecordedEvent,
} from '../event-log.js';
import { mapError } from './errors.js';
import { positionOf, readStreamEvents } from './read.js';
import { validPosition } from './records.js';

/** One append, validated by the caller. */
export async function appendEvents(
  client: EventStoreDBClient,
  stream: string,
  expected: ExpectedRevision,
  drafts: readonly EventDraft[],
): Promise<AppendResult> {
  const ids = new Set<string>();
  for (const d of drafts) {
    // The server would store both copies of an id repeated within one append; the port forbids it.
    if (ids.has(d.id)) throw new DuplicateEventIdError(d.id);
    ids.add(d.id);
  }
  const events = drafts.map((d) =>
    jsonEvent({
      id: d.id,
      type: d.type,
      data: d.data as JSONType,
      // Metadata goes as JSON bytes: the client drops falsy metadata (null, 0, '', false) given as a value.
      metadata: Uint8Array.from(Buffer.from(JSON.stringify(d.metadata), 'utf8')),
    }),
  );
  const expectedRevision: AppendExpectedRevision =
    expected === 'any' ? ANY : expected === 'no-stream' ? NO_STREAM : expected;
  try {
    const result = await client.appendToStream(stream, events, { expectedRevision });
    const revision = result.nextExpectedRevision;
    // Older servers send no position for an idempotent repeat; look the last event up then.
    const position = validPosition(result.position?.commit) ?? (await positionOf(client, stream, revision));
    return { revision, position };
  } catch (err) {
    if (!(err instanceof WrongExpectedVersionError)) throw mapError(err);
    const current = err.actualVersion;
    const actual = typeof current === 'bigint' && current >= 0n ? current : 'no-stream';
    const repeat = await repeatOf(client, stream, drafts);
    if (repeat) return repeat;
    throw new WrongExpectedRevisionError(stream, expected, actual);
  }
}

/**
 * The port answers a repeat of an earlier append with that append's result whatever revision the repeat
 * expects; EventStoreDB only when it expects the same revision, and a conflict otherwise. So on a conflict,
 * look for the ids in the stream: all of them in a row, in order, is a repeat; some of them is a
 * DuplicateEventIdError. (Ids stored in other streams cannot be seen: EventStoreDB has no index of ids.)
 */
async function repeatOf(
  client: EventStoreDBClient,
  stream: string,
  drafts: readonly EventDraft[],
): Promise<AppendResult | undefined> {
  let stored: readonly RecordedEvent[];
  try {
    stored = await readStreamEvents(client, stream, {});
  } catch (err) {
    throw mapError(err);
  }
  const index = new Map(stored.map((e, i) => [e.id, i]));
  const at = drafts.map((d) => index.get(d.id));
  const first = at[0];
  if (first !== undefined && at.every((i, k) => i === first + k)) {
    const last = stored[first + drafts.length - 1]!;
    return { revision: last.revision, position: last.position, repeat: true };
  }
  const known = drafts.find((d) => index.has(d.id));
  if (known) throw new DuplicateEventIdError(known.id);
  return undefined;
}

// A record's metadata and data as the JSON text the store returned, for a reader that only hands them on:
// tenant verification posts each event to a worker thread, which parses it there (commands/
// parallel-chain-wire.ts), so parsing it here first, then serializing it again to post it, was work done
// twice. An adapter that reads JSON text may attach it to a record whose fields it parses on first read
// (ReadAllOptions.jsonText); the text is given only while neither field has been read, and a copy of the
// record (spread, structured clone) does not carry it, so a record altered after reading never posts text
// that is not its own.
import type { RecordedEvent } from './event-log.js';

const JSON_TEXT = Symbol('companyos.recordJsonText');

type WithText = { readonly [JSON_TEXT]?: () => string | undefined };

/** For adapters: `text` answers `[metadata,data]` as JSON text while both fields are unread, else undefined. */
export function attachJsonText(record: RecordedEvent, text: () => string | undefined): void {
  Object.defineProperty(record, JSON_TEXT, { value: text, enumerable: false });
}

/** `[metadata,data]` as the store's JSON text, when the record carries it and neither field was read yet. */
export function recordJsonText(record: RecordedEvent): string | undefined {
  return (record as WithText)[JSON_TEXT]?.();
}

// Query parameters of the log's read API (GET /v1/streams/{stream}, GET /v1/ledger/verify): closed codecs,
// so an unknown or malformed parameter is a 400 naming it, and the OpenAPI document publishes each one
// with its limits. Values arrive as strings; codecs turn them into typed values.
import * as t from 'io-ts';
import { describedAs } from './json-schema.js';
import { integerIn, isInt64Text } from './primitives.js';
import { StreamName } from './streams.js';
import { closedObject } from './validation.js';

export const STREAM_PAGE_DEFAULT_LIMIT = 100;
export const STREAM_PAGE_MAX_LIMIT = 1000;

/** A stream revision as a decimal string, read as a bigint (revisions are int64 in every log). */
const Revision = describedAs(
  new t.Type<bigint, string, unknown>(
    'fromRevision (a revision number)',
    (u): u is bigint => typeof u === 'bigint' && isInt64Text(String(u)),
    (u, c) => (typeof u === 'string' && isInt64Text(u) ? t.success(BigInt(u)) : t.failure(u, c)),
    String,
  ),
  { type: 'integer', minimum: 0 },
);

/** GET /v1/streams/{stream}: a page of the stream from `fromRevision` (default 0), at most `limit` events. */
export const StreamPageQuery = closedObject('StreamPageQuery', {}, {
  fromRevision: Revision,
  limit: integerIn(`limit (integer 1-${STREAM_PAGE_MAX_LIMIT})`, 1, STREAM_PAGE_MAX_LIMIT),
});
export type StreamPageQuery = t.TypeOf<typeof StreamPageQuery>;

/**
 * The stream to verify, as text: a name no stream can have (a NUL from `%00`) is the route's `bad-stream`,
 * not a bad parameter, so this takes any string and publishes StreamName's schema.
 */
const StreamParam = describedAs(
  new t.Type<string, string, unknown>('stream (a stream name)', (u): u is string => typeof u === 'string', (u, c) => (typeof u === 'string' ? t.success(u) : t.failure(u, c)), t.identity),
  (of) => of(StreamName),
);

/** GET /v1/ledger/verify: one stream, or (without `stream`) the token's tenant's whole log. */
export const LedgerVerifyQuery = closedObject('LedgerVerifyQuery', {}, { stream: StreamParam });
export type LedgerVerifyQuery = t.TypeOf<typeof LedgerVerifyQuery>;

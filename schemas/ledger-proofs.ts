// Query parameters of the tree's read API (checkpoints, inclusion and consistency proofs, receipts): closed
// codecs, so an unknown or malformed parameter is a 400 naming it, and the OpenAPI document publishes each
// one with its limits. Values arrive as strings; codecs turn them into typed values.
import * as t from 'io-ts';
import { describedAs } from './json-schema.js';
import { Timestamp, Uuid, integerIn } from './primitives.js';
import { StreamName } from './streams.js';
import { closedObject } from './validation.js';

export const CHECKPOINTS_DEFAULT_LIMIT = 100;
export const CHECKPOINTS_MAX_LIMIT = 1000;
export const RECEIPTS_DEFAULT_LIMIT = 10_000;
export const RECEIPTS_MAX_LIMIT = 100_000;

/** A tree size or leaf count as decimal text, at least `min`: exact up to 2^53 (no tenant comes near). */
const TreeSizeParam = (name: string, min: number) =>
  describedAs(
    new t.Type<number, string, unknown>(
      `${name} (an integer ≥ ${min})`,
      (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= min,
      (u, c) => (typeof u === 'string' && /^(0|[1-9]\d{0,15})$/.test(u) && Number.isSafeInteger(Number(u)) && Number(u) >= min ? t.success(Number(u)) : t.failure(u, c)),
      String,
    ),
    { type: 'integer', minimum: min, maximum: Number.MAX_SAFE_INTEGER },
  );

/** GET /v1/ledger/checkpoints: the tenant's checkpoints from size `fromSize` (default 0), smallest first. */
export const CheckpointsQuery = closedObject('CheckpointsQuery', {}, {
  fromSize: TreeSizeParam('fromSize', 0),
  limit: integerIn(`limit (integer 1-${CHECKPOINTS_MAX_LIMIT})`, 1, CHECKPOINTS_MAX_LIMIT),
});
export type CheckpointsQuery = t.TypeOf<typeof CheckpointsQuery>;

/** GET /v1/ledger/proofs/inclusion: event `event` in the tree of `treeSize` (default: the latest checkpoint's). */
export const InclusionProofQuery = closedObject('InclusionProofQuery', { event: Uuid }, { treeSize: TreeSizeParam('treeSize', 1) });
export type InclusionProofQuery = t.TypeOf<typeof InclusionProofQuery>;

/** GET /v1/ledger/proofs/consistency: the tree of size `from` is a prefix of the tree of size `to`. */
export const ConsistencyProofQuery = closedObject('ConsistencyProofQuery', { from: TreeSizeParam('from', 1), to: TreeSizeParam('to', 1) });
export type ConsistencyProofQuery = t.TypeOf<typeof ConsistencyProofQuery>;

/** GET /v1/ledger/receipts/{eventId}. */
export const ReceiptPath = closedObject('ReceiptPath', { eventId: Uuid });
export type ReceiptPath = t.TypeOf<typeof ReceiptPath>;

/**
 * GET /v1/ledger/receipts: one receipt per event of `stream`, or of the events sealed in [`from`, `to`),
 * in tree order, at most `limit`; all proven against the tenant's latest checkpoint.
 */
export const ReceiptsQuery = closedObject('ReceiptsQuery', {}, {
  stream: StreamName,
  from: Timestamp,
  to: Timestamp,
  limit: integerIn(`limit (integer 1-${RECEIPTS_MAX_LIMIT})`, 1, RECEIPTS_MAX_LIMIT),
});
export type ReceiptsQuery = t.TypeOf<typeof ReceiptsQuery>;

/** POST /v1/ledger/verify: a checkpoint note the client saved earlier; the log must still hold what it committed to. */
export const TrustedCheckpointBody = closedObject('TrustedCheckpointBody', {
  checkpoint: describedAs(
    new t.Type<string, string, unknown>(
      'checkpoint (a signed checkpoint note, at most 8 KiB)',
      (u): u is string => typeof u === 'string' && u.length > 0 && u.length <= 8192,
      (u, c) => (typeof u === 'string' && u.length > 0 && u.length <= 8192 ? t.success(u) : t.failure(u, c)),
      t.identity,
    ),
    { type: 'string', minLength: 1, maxLength: 8192 },
  ),
});
export type TrustedCheckpointBody = t.TypeOf<typeof TrustedCheckpointBody>;

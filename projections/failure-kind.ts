// Which failures of a batch are the events' fault and which are the moment's. A deterministic failure
// happens again on every retry and on every replay, so the runtime isolates the event that causes it and
// skips it (a projection fault); anything else (connection lost, serialization failure, deadlock, a store
// that is down, a bug in our SQL) is retried with backoff, as before. When unsure: transient, because a
// retry costs only time while a wrong skip would drop an event.
import { UnreadableEventError } from './projection.js';

/** SQLSTATE classes of a statement refused for the data it carries: 22 data exception, 23 integrity constraint. */
const DATA_SQLSTATE = /^2[23][0-9A-Z]{3}$/;

/**
 * ClickHouse error codes of a value it cannot hold or parse: 6 CANNOT_PARSE_TEXT, 27 CANNOT_PARSE_INPUT_ASSERTION_FAILED,
 * 38 CANNOT_PARSE_DATE, 41 CANNOT_PARSE_DATETIME, 53 TYPE_MISMATCH, 69 ARGUMENT_OUT_OF_BOUND, 70 CANNOT_CONVERT_TYPE,
 * 72 CANNOT_PARSE_NUMBER, 117 INCORRECT_DATA, 321 VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE, 407 DECIMAL_OVERFLOW.
 */
const DATA_CLICKHOUSE_CODES = new Set([6, 27, 38, 41, 53, 69, 70, 72, 117, 321, 407]);

/** The ClickHouse error code: the client's `code` over HTTP, or the "Code: N." that chDB's message starts with. */
function clickHouseCode(error: Error): number | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const match = /^Code: (\d+)\. DB::Exception/.exec(error.message);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Whether `error` will happen again whenever the same events are applied to the same rows: the projection's
 * own code found the event unreadable (UnreadableEventError) or could not compute with it (RangeError: an
 * invalid date or number), or the store refused a value (SQLSTATE class 22 or 23; a ClickHouse parse or
 * range error).
 */
export function isDeterministicFailure(error: unknown): boolean {
  if (error instanceof UnreadableEventError || error instanceof RangeError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && DATA_SQLSTATE.test(code)) return true;
  const clickHouse = clickHouseCode(error);
  return clickHouse !== undefined && DATA_CLICKHOUSE_CODES.has(clickHouse);
}

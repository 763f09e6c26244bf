// Primitive codecs shared by every schema: identifiers, timestamps, hashes.
// They validate at the edges; inside the system the values are plain strings.
import * as t from 'io-ts';
import { describedAs } from './json-schema.js';
import { rfc3339Seconds, yearStartSeconds } from './rfc3339.js';

// What no read store can hold: U+0000 (PostgreSQL text and jsonb refuse it) and UTF-16 surrogates without
// their partner (jsonb refuses them; UTF-8 cannot encode them). No 'u' flag: it must see code units.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether every store can hold `s`: no NUL, no lone surrogate (emoji and other surrogate pairs are fine). */
export const isStorableText = (s: string): boolean => !UNSTORABLE.test(s);

/** Why `s` cannot be stored, in words, or undefined when it can. */
export function unstorableText(s: string): string | undefined {
  const found = UNSTORABLE.exec(s)?.[0];
  if (found === undefined) return undefined;
  if (found === '\u0000') return 'contains U+0000 (NUL), which no store can hold';
  return `contains a lone surrogate U+${found.charCodeAt(0).toString(16).toUpperCase()}, which is not text`;
}

/**
 * A string codec checked against a pattern; the codec's name is what error messages show. Whatever the
 * pattern, the string must also be storable text (a `[^...]` class with the 'u' flag admits lone surrogates).
 */
export const patternString = (name: string, re: RegExp): t.Type<string, string, unknown> =>
  describedAs(
    new t.Type<string, string, unknown>(
      name,
      (u): u is string => typeof u === 'string' && re.test(u) && isStorableText(u),
      (u, c) => {
        if (typeof u !== 'string' || !re.test(u)) return t.failure(u, c);
        const unstorable = unstorableText(u);
        return unstorable === undefined ? t.success(u) : t.failure(u, c, `expected ${name}: it ${unstorable}`);
      },
      t.identity,
    ),
    { type: 'string', pattern: re.source },
  );

/** Tenant ids are lower-case slugs: they prefix stream names and NATS subjects, so no '/', '.', or spaces. */
export const TenantId = patternString('TenantId (lower-case slug, 1-63 chars)', /^[a-z0-9][a-z0-9-]{0,62}$/);

/**
 * The log's own tenant: streams of the whole log rather than of one tenant (`_system/keys`, the signing
 * keys' rotation chain). No TenantId can spell it, so no token, stream prefix or tree of a real tenant
 * meets it; only the `tenant` of sealed events admits it (EventTenant).
 */
export const SYSTEM_TENANT = '_system';

/** The `tenant` of a sealed event: a tenant's id, or SYSTEM_TENANT. */
export const EventTenant = t.union([TenantId, t.literal(SYSTEM_TENANT)], 'EventTenant');

/** Regions are slugs such as "us-east" or "eu-west-1". */
export const Region = patternString('Region (lower-case slug, 1-32 chars)', /^[a-z0-9][a-z0-9-]{0,31}$/);

/**
 * RFC 3339 date-times (the grammar of schemas/rfc3339.ts) naming an instant from `firstYear`-01-01 through
 * `lastYear`-12-31 in UTC, after the offset is applied: `0001-01-01T00:30:00+01:00` is in year 0.
 */
export const timestampWithin = (name: string, firstYear: number, lastYear: number): t.Type<string, string, unknown> => {
  const min = yearStartSeconds(firstYear);
  const max = yearStartSeconds(lastYear + 1) - 1;
  const is = (u: unknown): u is string => {
    if (typeof u !== 'string') return false;
    const seconds = rfc3339Seconds(u);
    return seconds !== undefined && seconds >= min && seconds <= max;
  };
  return describedAs(new t.Type<string, string, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity), {
    type: 'string',
    format: 'date-time',
    description: `RFC 3339 with Z or an offset, uppercase T and Z, a real calendar date, years ${String(firstYear).padStart(4, '0')}-${lastYear} (UTC)`,
  });
};

/** RFC 3339 timestamp with a zone, e.g. 2026-01-01T00:00:00Z, in years 0001-9999 (what PostgreSQL holds). */
export const Timestamp = timestampWithin('Timestamp (RFC 3339 with zone)', 1, 9999);

/**
 * Timestamps the analytics store keeps in DateTime64 columns (usage `ts`, price `effectiveFrom`):
 * ClickHouse 25.x holds 1900-01-01..2299-12-31 there and clamps anything else without an error.
 */
export const AnalyticsTimestamp = timestampWithin('Timestamp (RFC 3339 with zone, years 1900-2299)', 1900, 2299);

/** Lower-case hex SHA-256 digest. */
export const Sha256Hex = patternString('Sha256Hex', /^[0-9a-f]{64}$/);

/** RFC 4122 UUID in its canonical lower-case form. */
export const Uuid = patternString('Uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** A non-empty string of at most `max` characters without control characters. */
export const boundedString = (max: number, name = `string(1..${max})`) => {
  const re = new RegExp(`^[^\\u0000-\\u001f]{1,${max}}$`, 'u');
  return describedAs(patternString(name, re), { type: 'string', minLength: 1, maxLength: max, pattern: re.source });
};

/** A decimal integer in [min, max], given as a query-string parameter. */
export const integerIn = (name: string, min: number, max: number) =>
  describedAs(new t.Type<number, string, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) => (typeof u === 'string' && /^\d{1,7}$/.test(u) && Number(u) >= min && Number(u) <= max ? t.success(Number(u)) : t.failure(u, c)),
    String,
  ), { type: 'integer', minimum: min, maximum: max });

/**
 * Text of any length every store can hold: control characters such as newlines are allowed (commit
 * messages have them), NUL and lone surrogates are not. For free-form fields of third-party payloads.
 */
export const FreeText = describedAs(
  new t.Type<string, string, unknown>(
    'text (no U+0000, no lone surrogates)',
    (u): u is string => typeof u === 'string' && isStorableText(u),
    (u, c) => (typeof u !== 'string' ? t.failure(u, c) : isStorableText(u) ? t.success(u) : t.failure(u, c, `expected text: it ${unstorableText(u)}`)),
    t.identity,
  ),
  { type: 'string' },
);

/** Why a person did something (a proposal, an approval, a rejection): 1-1000 characters, not blank. */
export const Reason = describedAs(new t.Type<string, string, unknown>(
  'reason (1-1000 characters)',
  (u): u is string => FreeText.is(u) && u.trim().length > 0 && u.length <= 1000,
  (u, c) => (FreeText.is(u) && u.trim().length > 0 && u.length <= 1000 ? t.success(u) : t.failure(u, c)),
  t.identity,
), { type: 'string', minLength: 1, maxLength: 1000 });

const INT64_MAX = 2n ** 63n - 1n;

/** A log position or other bigint column value as decimal text: 0..2^63-1, so PostgreSQL's bigint holds it. */
export const isInt64Text = (s: string): boolean => /^\d{1,19}$/.test(s) && BigInt(s) <= INT64_MAX;

/** A codec for such text, e.g. a page cursor that is a log position; the value stays a string. */
export const int64Text = (name: string): t.Type<string, string, unknown> =>
  describedAs(
    new t.Type<string, string, unknown>(
      name,
      (u): u is string => typeof u === 'string' && isInt64Text(u),
      (u, c) => (typeof u === 'string' && isInt64Text(u) ? t.success(u) : t.failure(u, c)),
      t.identity,
    ),
    { type: 'string', pattern: '^\\d{1,19}$', description: 'a decimal integer 0..9223372036854775807' },
  );

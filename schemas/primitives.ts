// Primitive codecs shared by every schema: identifiers, timestamps, hashes.
// They validate at the edges; inside the system the values are plain strings.
import * as t from 'io-ts';

/** A string codec checked against a pattern; the codec's name is what error messages show. */
export const patternString = (name: string, re: RegExp): t.Type<string, string, unknown> =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && re.test(u),
    (u, c) => (typeof u === 'string' && re.test(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );

/** Tenant ids are lower-case slugs: they prefix stream names and NATS subjects, so no '/', '.', or spaces. */
export const TenantId = patternString('TenantId (lower-case slug, 1-63 chars)', /^[a-z0-9][a-z0-9-]{0,62}$/);

/** Regions are slugs such as "us-east" or "eu-west-1". */
export const Region = patternString('Region (lower-case slug, 1-32 chars)', /^[a-z0-9][a-z0-9-]{0,31}$/);

/** RFC 3339 timestamp with a zone, e.g. 2026-01-01T00:00:00Z, that names a real instant. */
export const Timestamp = new t.Type<string, string, unknown>(
  'Timestamp (RFC 3339 with zone)',
  (u): u is string => isTimestamp(u),
  (u, c) => (isTimestamp(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
function isTimestamp(u: unknown): u is string {
  return (
    typeof u === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(u) &&
    !Number.isNaN(Date.parse(u))
  );
}

/** Lower-case hex SHA-256 digest. */
export const Sha256Hex = patternString('Sha256Hex', /^[0-9a-f]{64}$/);

/** RFC 4122 UUID in its canonical lower-case form. */
export const Uuid = patternString('Uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** A non-empty string of at most `max` characters without control characters. */
export const boundedString = (max: number, name = `string(1..${max})`) =>
  patternString(name, new RegExp(`^[^\\u0000-\\u001f]{1,${max}}$`, 'u'));

/** A decimal integer in [min, max], given as a query-string parameter. */
export const integerIn = (name: string, min: number, max: number) =>
  new t.Type<number, string, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) => (typeof u === 'string' && /^\d{1,7}$/.test(u) && Number(u) >= min && Number(u) <= max ? t.success(Number(u)) : t.failure(u, c)),
    String,
  );

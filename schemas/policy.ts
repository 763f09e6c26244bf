// A tenant's Cedar policy set as sealed events on `<tenant>/policy`: proposed (the text, its author and
// why) and published (by a second admin). A version is the SHA-256 of the text, the same value every
// decision seals as meta.decision.policyVersion, so an event names the exact text it was decided under.
import * as t from 'io-ts';
import { eventCodec, eventUnion } from './event-body.js';
import { describedAs } from './json-schema.js';
import { FreeText, Reason, Region, Sha256Hex, Timestamp } from './primitives.js';
import { closedObject } from './validation.js';

export const POLICY_SCHEMA_VERSION = 1;
/** A policy set's text is at most 256 KiB (the default is about 6 KiB). */
export const MAX_POLICY_TEXT = 256 * 1024;

const PolicyText = describedAs(new t.Type<string, string, unknown>(
  `Cedar policy text (1-${MAX_POLICY_TEXT} characters)`,
  (u): u is string => FreeText.is(u) && u.length > 0 && u.length <= MAX_POLICY_TEXT,
  (u, c) => (FreeText.is(u) && u.length > 0 && u.length <= MAX_POLICY_TEXT ? t.success(u) : t.failure(u, c)),
  t.identity,
), { type: 'string', minLength: 1, maxLength: MAX_POLICY_TEXT, description: 'the whole Cedar policy set; it must parse and validate against commands/policies/schema.cedarschema' });

/** `policy.set.propose`: a new text for the tenant's policy set, and why. */
export const PolicySetPropose = closedObject('PolicySetPropose', { region: Region, text: PolicyText, reason: Reason });
export type PolicySetPropose = t.TypeOf<typeof PolicySetPropose>;

/** `policy.set.publish`: put a proposed version in force (a different admin than its proposer). */
export const PolicySetPublish = closedObject('PolicySetPublish', { region: Region, version: Sha256Hex }, { reason: Reason });
export type PolicySetPublish = t.TypeOf<typeof PolicySetPublish>;

const exact = <P extends t.Props>(props: P) => t.readonly(t.exact(t.type(props)));

export const PolicySetProposed = eventCodec(
  'policy.set.proposed',
  POLICY_SCHEMA_VERSION,
  /** ordinal: 1 for the tenant's first version (the default set), then one more per proposal. */
  exact({ version: t.string, ordinal: t.number, text: t.string, author: t.string, reason: t.string }),
);
export const PolicySetPublished = eventCodec(
  'policy.set.published',
  POLICY_SCHEMA_VERSION,
  exact({ version: t.string, ordinal: t.number, proposer: t.string, approver: t.string, previous: t.union([t.string, t.null]), reason: t.string }),
);
export type PolicySetProposed = t.TypeOf<typeof PolicySetProposed>;
export type PolicySetPublished = t.TypeOf<typeof PolicySetPublished>;

export const PolicyEvent = eventUnion('PolicyEvent', [PolicySetProposed, PolicySetPublished]);
export type PolicyEvent = t.TypeOf<typeof PolicyEvent>;

/** The principal that writes a tenant's default set as its version 1. */
export const SYSTEM_POLICY_AUTHOR = 'system';

/** POST /v1/policy/preflight: a command as POST /v1/commands/{type} would take it. */
export const PolicyPreflight = closedObject('PolicyPreflight', {
  type: describedAs(new t.Type<string, string, unknown>('command type', (u): u is string => typeof u === 'string' && /^[a-z][a-z0-9.-]{0,127}$/.test(u), (u, c) => (typeof u === 'string' && /^[a-z][a-z0-9.-]{0,127}$/.test(u) ? t.success(u) : t.failure(u, c)), t.identity), { type: 'string', pattern: '^[a-z][a-z0-9.-]{0,127}$' }),
  body: describedAs(t.unknown as t.Type<unknown, unknown, unknown>, { description: 'the command body, as POST /v1/commands/{type} takes it' }),
});
export type PolicyPreflight = t.TypeOf<typeof PolicyPreflight>;

/** POST /v1/policy/what-if reads at most this many of the tenant's events per call (`limit`); `next` goes on. */
export const WHAT_IF_MAX_EVENTS = 10_000;

const versionOrOrdinal = (name: string) =>
  describedAs(new t.Type<string, string, unknown>(name, (u): u is string => typeof u === 'string' && /^([1-9]\d{0,8}|[0-9a-f]{64})$/.test(u), (u, c) => (typeof u === 'string' && /^([1-9]\d{0,8}|[0-9a-f]{64})$/.test(u) ? t.success(u) : t.failure(u, c)), t.identity), { type: 'string', pattern: '^([1-9][0-9]{0,8}|[0-9a-f]{64})$' });

/**
 * POST /v1/policy/what-if: the tenant's recorded decisions asked again of one of its policy versions (a
 * proposal, typically), sealed in [from, to), reading after log position `after` at most `limit` events.
 */
export const PolicyWhatIf = closedObject(
  'PolicyWhatIf',
  { version: versionOrOrdinal('policy version (ordinal or SHA-256 hex)') },
  {
    from: Timestamp,
    to: Timestamp,
    after: describedAs(new t.Type<string, string, unknown>('after (a log position: the next of an earlier report)', (u): u is string => typeof u === 'string' && /^\d{1,19}$/.test(u), (u, c) => (typeof u === 'string' && /^\d{1,19}$/.test(u) ? t.success(u) : t.failure(u, c)), t.identity), { type: 'string', pattern: '^[0-9]{1,19}$' }),
    limit: describedAs(new t.Type<number, number, unknown>(`limit (integer 1-${WHAT_IF_MAX_EVENTS})`, (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= WHAT_IF_MAX_EVENTS, (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= WHAT_IF_MAX_EVENTS ? t.success(u) : t.failure(u, c)), t.identity), { type: 'integer', minimum: 1, maximum: WHAT_IF_MAX_EVENTS }),
  },
);
export type PolicyWhatIf = t.TypeOf<typeof PolicyWhatIf>;

/** GET /v1/policy/versions/{v}: an ordinal (1, 2, …) or a version (64 hex digits). */
export const PolicyVersionParam = closedObject('PolicyVersionParam', {
  v: describedAs(new t.Type<string, string, unknown>('policy version (ordinal or SHA-256 hex)', (u): u is string => typeof u === 'string' && /^([1-9]\d{0,8}|[0-9a-f]{64})$/.test(u), (u, c) => (typeof u === 'string' && /^([1-9]\d{0,8}|[0-9a-f]{64})$/.test(u) ? t.success(u) : t.failure(u, c)), t.identity), { type: 'string', pattern: '^([1-9][0-9]{0,8}|[0-9a-f]{64})$' }),
});

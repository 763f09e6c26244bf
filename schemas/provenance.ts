// Provenance: the client's part of the seed's §1.1 envelope, shared by every command that records facts.
// Actor, tenant, integrity hash and signature are added by the server from the verified token and the seal.
import * as t from 'io-ts';
import { describedAs } from './json-schema.js';
import { Timestamp, patternString } from './primitives.js';
import { PrivacyTier } from './sealed-event.js';
import { closedObject, completed, fieldContext } from './validation.js';

/** Free text of 1..max characters without control characters. */
export const text = (max: number) => {
  const re = new RegExp(`^[^\\u0000-\\u001f\\u007f]{1,${max}}$`, 'u');
  return describedAs(patternString(`text (1-${max} characters, no control characters)`, re), { type: 'string', minLength: 1, maxLength: max, pattern: re.source });
};

export const Confidence = new t.Type<number, number, unknown>(
  'Confidence (number 0..1)',
  (u): u is number => typeof u === 'number' && u >= 0 && u <= 1,
  (u, c) => (typeof u === 'number' && u >= 0 && u <= 1 ? t.success(u) : t.failure(u, c)),
  t.identity,
);
describedAs(Confidence, { type: 'number', minimum: 0, maximum: 1 });

const ProvenanceFields = closedObject(
  'Provenance',
  { sourceSystem: text(128), observedAt: Timestamp },
  {
    effectiveAt: Timestamp,
    expiresAt: Timestamp,
    reason: text(1024),
    evidenceRefs: t.readonlyArray(text(1024)),
    confidence: Confidence,
    privacyTier: PrivacyTier,
    piiFlags: t.readonlyArray(text(64)),
    /** The source system's id for the thing observed: natural key {tenant, sourceSystem, externalId}. */
    externalId: text(256),
    ingestionVersion: text(64),
  },
);
type ProvenanceFields = t.TypeOf<typeof ProvenanceFields>;

/** Provenance with its defaults applied: what the pipeline copies into the sealed event's meta. */
export type Provenance = ProvenanceFields & {
  readonly effectiveAt: string;
  readonly evidenceRefs: readonly string[];
  readonly confidence: number;
  readonly privacyTier: PrivacyTier;
  readonly piiFlags: readonly string[];
};

/** Decodes the client's provenance: effectiveAt defaults to observedAt, confidence to 1, privacy tier to internal. */
export const Provenance: t.Type<Provenance, t.OutputOf<typeof ProvenanceFields>, unknown> = completed(ProvenanceFields, (p, c) => {
  const effectiveAt = p.effectiveAt ?? p.observedAt;
  if (p.expiresAt !== undefined && Date.parse(p.expiresAt) <= Date.parse(effectiveAt)) {
    return t.failure(p.expiresAt, fieldContext(c, 'expiresAt', Timestamp, p.expiresAt), `must be later than effectiveAt (${effectiveAt})`);
  }
  return t.success({
    ...p,
    effectiveAt,
    evidenceRefs: p.evidenceRefs ?? [],
    confidence: p.confidence ?? 1,
    privacyTier: p.privacyTier ?? 'internal',
    piiFlags: p.piiFlags ?? [],
  });
});

/**
 * The natural key {sourceSystem, externalId} of what the provenance describes (the tenant is implied by
 * the stream), or undefined without an externalId. JSON-encoded so no separator can make two keys collide.
 */
export const naturalKeyOf = (p: Provenance): string | undefined =>
  p.externalId === undefined ? undefined : JSON.stringify([p.sourceSystem, p.externalId]);

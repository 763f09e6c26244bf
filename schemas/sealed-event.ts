// The sealed event: the one shape every state change (and every denied privileged attempt) takes in the log.
// See ARCHITECTURE.md "The sealed event". `hash` covers everything but `hash` and `signature`.
import * as t from 'io-ts';
import { ApprovalRef } from './approval.js';
import { JsonObjectC, JsonValueC } from './json.js';
import { EventTenant, Region, Sha256Hex, Timestamp, Uuid } from './primitives.js';

export const ActorType = t.keyof({ user: null, service: null, system: null });
export type ActorType = t.TypeOf<typeof ActorType>;

/** How the actor proved who it is; `hmac`: a shared-secret signature over the request body (webhooks). */
export const ActorAuthn = t.keyof({ jwt: null, mtls: null, svid: null, system: null, hmac: null });
export type ActorAuthn = t.TypeOf<typeof ActorAuthn>;

export const Actor = t.readonly(t.type({ id: t.string, type: ActorType, authn: ActorAuthn }), 'Actor');
export type Actor = t.TypeOf<typeof Actor>;

/**
 * What a decision saw, exactly as Cedar was asked it: the principal's attributes (as the token proved
 * them), the action and its groups, the resource's attributes (read from the aggregate's state at the
 * time) and the context (request facts, auth age, residency). Sealed so a decision can be re-decided
 * under another policy set (`companyos policy what-if`): the command's payload and the state it was
 * decided on are not otherwise in the log, nor are the principal's roles.
 */
export const DecisionInput = t.readonly(
  t.type({
    principal: t.readonly(
      t.intersection([t.type({ id: t.string, tenant: t.string, roles: t.readonlyArray(t.string) }), t.partial({ region: t.string, authTime: t.number })]),
    ),
    action: t.string,
    actionGroups: t.readonlyArray(t.string),
    resource: t.readonly(t.type({ type: t.string, id: t.string, attributes: JsonObjectC })),
    context: JsonObjectC,
  }),
  'DecisionInput',
);
export type DecisionInput = t.TypeOf<typeof DecisionInput>;

/** The policy decision under which the event was written (or denied); `input` on decisions sealed since it was added. */
export const DecisionRef = t.readonly(
  t.intersection([t.type({ id: t.string, policyVersion: t.string, determiningPolicies: t.readonlyArray(t.string) }), t.partial({ input: DecisionInput })]),
  'DecisionRef',
);
export type DecisionRef = t.TypeOf<typeof DecisionRef>;

export const PrivacyTier = t.keyof({ public: null, internal: null, confidential: null, restricted: null });
export type PrivacyTier = t.TypeOf<typeof PrivacyTier>;

export const EventMeta = t.readonly(
  t.intersection([
    t.type({
      actor: Actor,
      sourceSystem: t.string,
      observedAt: Timestamp,
      effectiveAt: Timestamp,
      reason: t.string,
      evidenceRefs: t.readonlyArray(t.string),
      confidence: t.number,
      privacyTier: PrivacyTier,
      piiFlags: t.readonlyArray(t.string),
      requestId: t.string,
      correlationId: t.string,
      causationId: t.string,
      decision: DecisionRef,
    }),
    // approval: a dual-control command's proposer and approver (domain/approvals), on the events it wrote.
    t.partial({ expiresAt: Timestamp, idempotencyKey: t.string, requestDigest: Sha256Hex, ingestionVersion: t.string, approval: ApprovalRef }),
  ]),
  'EventMeta',
);
export type EventMeta = t.TypeOf<typeof EventMeta>;

/** Everything that is hashed: the sealed event without `hash`, `keyId` and `signature`. */
export const UnsealedEvent = t.readonly(
  t.type({
    id: Uuid,
    stream: t.string,
    revision: t.number,
    type: t.string,
    schemaVersion: t.number,
    tenant: EventTenant,
    region: Region,
    sealedAt: Timestamp,
    data: JsonValueC,
    meta: EventMeta,
    prevHash: Sha256Hex,
  }),
  'UnsealedEvent',
);
export type UnsealedEvent = t.TypeOf<typeof UnsealedEvent>;

export const SealedEvent = t.readonly(
  t.intersection([UnsealedEvent, t.type({ hash: Sha256Hex, keyId: t.string, signature: t.string })]),
  'SealedEvent',
);
export type SealedEvent = t.TypeOf<typeof SealedEvent>;

/** prevHash of revision 0 in every stream. */
export const GENESIS_HASH = '0'.repeat(64);

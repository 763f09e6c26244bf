// Test-only helpers for building sealed events, chains and log records with a fixed, committed test key.
// Shared by tests across the project; never import this from production code.
import type { RecordedEvent } from '../adapters/event-log/index.js';
import { GENESIS_HASH, type EventMeta, type SealedEvent, type UnsealedEvent } from '../schemas/sealed-event.js';
import { signingKeyFromSeed, type SigningKey } from '../ledger/keyring.js';
import { toEventDraft } from '../ledger/log-codec.js';
import { sealEvent } from '../ledger/seal.js';

/** Fixed seed of the test signing key (bytes 1..32). Test-only: it is public. */
export const TEST_SEED: Uint8Array = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
/** A second fixed seed, for "signed by a key not in the keyring" cases. */
export const OTHER_TEST_SEED: Uint8Array = Uint8Array.from({ length: 32 }, (_, i) => 0xff - i);

/** notBefore of the test key; every default timestamp lies after it. */
export const TEST_KEY_NOT_BEFORE = '2020-01-01T00:00:00Z';

/** The signing key built from TEST_SEED, valid from TEST_KEY_NOT_BEFORE with no end. */
export const testSigningKey = (seed: Uint8Array = TEST_SEED, notBefore = TEST_KEY_NOT_BEFORE): SigningKey =>
  signingKeyFromSeed(seed, notBefore);

/** A deterministic UUID for test number `n`. */
export const testUuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export type UnsealedOverrides = Partial<Omit<UnsealedEvent, 'meta'>> & { readonly meta?: Partial<EventMeta> };

/** A valid unsealed event (revision 0 of `acme/graph.node/n1`); `meta` overrides merge into the default meta. */
export function makeUnsealed(overrides: UnsealedOverrides = {}): UnsealedEvent {
  const { meta, ...rest } = overrides;
  return {
    id: testUuid(1),
    stream: 'acme/graph.node/n1',
    revision: 0,
    type: 'graph.node.created',
    schemaVersion: 1,
    tenant: 'acme',
    region: 'us-east',
    sealedAt: '2026-01-01T00:00:00Z',
    data: { name: 'Widget', tags: ['a', 'b'], weight: 1.5 },
    meta: {
      actor: { id: 'user-1', type: 'user', authn: 'jwt' },
      sourceSystem: 'test',
      observedAt: '2026-01-01T00:00:00Z',
      effectiveAt: '2026-01-01T00:00:00Z',
      reason: 'test',
      evidenceRefs: [],
      confidence: 1,
      privacyTier: 'internal',
      piiFlags: [],
      requestId: 'req-1',
      correlationId: 'corr-1',
      causationId: 'cause-1',
      decision: { id: 'dec-1', policyVersion: 'v1', determiningPolicies: ['allow-all'] },
      ...meta,
    },
    prevHash: GENESIS_HASH,
    ...rest,
  };
}

/**
 * `count` correctly chained sealed events of `stream`, revisions 0..count-1, one second apart.
 * `idBase` keeps ids unique when several chains are built in one test.
 */
export function makeChain(
  stream: string,
  count: number,
  key: SigningKey = testSigningKey(),
  idBase = 0,
): SealedEvent[] {
  const events: SealedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let revision = 0; revision < count; revision++) {
    const e = sealEvent(
      makeUnsealed({
        id: testUuid(idBase + revision + 1),
        stream,
        revision,
        sealedAt: testInstant(revision),
        data: { stream, revision },
        prevHash,
      }),
      key,
    );
    events.push(e);
    prevHash = e.hash;
  }
  return events;
}

/** 2026-01-01T00:00:00Z plus `seconds` (under 28 days), as RFC 3339; built by hand to keep ledger/ free of clocks. */
export function testInstant(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = 1 + Math.floor(seconds / 86400);
  const rest = seconds % 86400;
  return `2026-01-${pad(day)}T${pad(Math.floor(rest / 3600))}:${pad(Math.floor(rest / 60) % 60)}:${pad(rest % 60)}Z`;
}

/** What the log would return after appending `e`: its draft plus the stored stream, revision and position. */
export function toRecorded(e: SealedEvent, position: number | bigint = e.revision): RecordedEvent {
  return { ...toEventDraft(e), stream: e.stream, revision: BigInt(e.revision), position: BigInt(position) };
}

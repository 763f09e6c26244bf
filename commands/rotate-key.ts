// Rotation of the log's signing key as a sealed fact: `ledger.key.rotated` on `_system/keys`
// (schemas/key-rotation-event.ts), signed by the outgoing key, naming the incoming one and the log's head
// (the outgoing key's final position: it verifies nothing after it). Appended with the exact expected
// revision of the stream, so two rotations cannot both extend the chain.
import type { EventLog } from '../adapters/event-log/index.js';
import { isLeft } from 'fp-ts/lib/Either.js';
import { fromRecordedEvent, Keyring, verifyEvent, type KeyEntry, type SigningKey } from '../ledger/index.js';
import { KEY_ROTATED_EVENT_TYPE, KEYS_STREAM, type KeyRotatedData } from '../schemas/key-rotation-event.js';
import { SYSTEM_TENANT } from '../schemas/primitives.js';
import type { EventMeta, SealedEvent } from '../schemas/sealed-event.js';
import { dedupedEventId } from './event-ids.js';
import { signFinalCheckpoints, type FinalCheckpoint } from './final-checkpoints.js';
import { appendSealed, sealOntoTail, tailOf } from './stream-writer.js';

/** The outgoing key was rotated before: a key retires once, and its seed should be gone. */
export class KeyAlreadyRetiredError extends Error {
  override readonly name = 'KeyAlreadyRetiredError';
}

export interface KeyRotation {
  readonly eventId: string;
  /** Where the rotation was stored. */
  readonly position: bigint;
  readonly data: KeyRotatedData;
}

/**
 * The whole hand-over: the outgoing key signs each tenant's final checkpoint (commands/final-checkpoints.ts),
 * then the rotation, whose final position is therefore past them.
 */
export async function rotateSigningKey(
  log: EventLog,
  outgoing: SigningKey,
  incoming: KeyEntry,
  logOrigin: string,
  now: string,
): Promise<{ readonly finalCheckpoints: readonly FinalCheckpoint[]; readonly rotation: KeyRotation }> {
  // The final checkpoints must cover every event the key sealed: read them only once readers see them all.
  await untilReadersSeeAll(log);
  const finalCheckpoints = await signFinalCheckpoints(log, outgoing, logOrigin, now);
  const rotation = await appendKeyRotation(log, outgoing, incoming, now);
  return { finalCheckpoints, rotation };
}

/** How long a rotation waits for the log's readers to see every committed append. */
const SETTLE_MS = 60_000;

/**
 * Waits until readAll returns every append committed so far. On PostgreSQL, readers stop below any
 * transaction open on the server (another database's too), so an event already acknowledged can be unseen
 * for a moment; a final checkpoint read then would leave it out, and the key's own event would fall beyond it.
 */
async function untilReadersSeeAll(log: EventLog): Promise<void> {
  const last = await log.lastPosition();
  if (last === undefined) return;
  const deadline = Date.now() + SETTLE_MS;
  while (((await log.headPosition()) ?? -1n) < last) {
    if (Date.now() > deadline) throw new Error(`the log's readers still do not see position ${last} after ${SETTLE_MS / 1000} s: a transaction left open on the database server holds them back; end it and rotate again`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Seals and appends the rotation from `outgoing` to `incoming` at `now`. Run it while no server seals with
 * the outgoing key: an event that key seals after the last append committed before this one (its final
 * position: every committed append, seen by readers yet or not) is judged a forgery.
 */
export async function appendKeyRotation(log: EventLog, outgoing: SigningKey, incoming: KeyEntry, now: string): Promise<KeyRotation> {
  const finalPosition = (await log.lastPosition()) ?? 0n;
  const data: KeyRotatedData = {
    retiredKeyId: outgoing.keyId,
    retiredPublicKey: Buffer.from(outgoing.publicKey).toString('base64'),
    nextKeyId: incoming.keyId,
    nextPublicKey: Buffer.from(incoming.publicKey).toString('base64'),
    finalPosition: String(finalPosition),
    retiredAt: now,
  };
  // A key retires once: a second rotation of it has the same id and is refused by the log.
  const eventId = dedupedEventId(SYSTEM_TENANT, `${KEY_ROTATED_EVENT_TYPE}:${outgoing.keyId}`, 0);
  // The stream is short (one event per rotation ever): read it whole to refuse a second rotation of a key.
  const history = await log.readStream(KEYS_STREAM);
  const earlier = history.find((r) => (r.data as { retiredKeyId?: unknown } | null)?.retiredKeyId === outgoing.keyId);
  if (earlier !== undefined) throw new KeyAlreadyRetiredError(`${outgoing.keyId} was already retired (event ${earlier.id} on ${KEYS_STREAM})`);
  const tail = tailOf(history);
  const sealed = sealOntoTail(
    { stream: KEYS_STREAM, tail, ids: [eventId], tenant: SYSTEM_TENANT, region: 'global', sealedAt: now, meta: rotationMeta(now, outgoing.keyId, incoming.keyId), bodies: [{ type: KEY_ROTATED_EVENT_TYPE, schemaVersion: 1, data: { ...data } }] },
    outgoing,
  );
  const appended = await appendSealed(log, tail, sealed);
  if (appended.repeat === true) throw new KeyAlreadyRetiredError(`${outgoing.keyId} was already retired (event ${eventId} on ${KEYS_STREAM})`);
  return { eventId, position: appended.position, data };
}

/**
 * The sealed rotations, oldest first, as GET /v1/ledger/keys publishes them: with them a verifier outside
 * the server follows the chain from the key it pinned. A stored rotation that no longer decodes is left
 * out here; verification names it.
 */
export async function keyRotations(log: EventLog): Promise<SealedEvent[]> {
  return (await log.readStream(KEYS_STREAM)).flatMap((r) => {
    const sealed = fromRecordedEvent(r);
    return isLeft(sealed) ? [] : [sealed.right];
  });
}

/** The key a server would seal with was rotated out: it must not seal again (its events would be forgeries). */
export class SigningKeyRetiredError extends Error {
  override readonly name = 'SigningKeyRetiredError';
}

/**
 * Refuses a signing key that a rotation on `_system/keys` retired (one it signed itself, so a forged
 * rotation cannot stop a server): an old keyring restored from a backup, or a second server still on the
 * old file, would otherwise seal events that verification judges forgeries.
 */
export async function checkSigningKeyCurrent(log: EventLog, active: SigningKey): Promise<void> {
  const own = new Keyring([{ keyId: active.keyId, publicKey: active.publicKey, notBefore: '1970-01-01T00:00:00Z' }]);
  for (const r of await log.readStream(KEYS_STREAM)) {
    const sealed = fromRecordedEvent(r);
    if (isLeft(sealed) || sealed.right.keyId !== active.keyId || verifyEvent(sealed.right, own) !== null) continue;
    const data = sealed.right.data as { retiredKeyId?: unknown; retiredAt?: unknown; nextKeyId?: unknown };
    if (data.retiredKeyId !== active.keyId) continue;
    throw new SigningKeyRetiredError(
      `signing key ${active.keyId} was retired at ${String(data.retiredAt)} (event ${r.id} on ${KEYS_STREAM}); ${String(data.nextKeyId)} seals now: load the keyring the rotation wrote`,
    );
  }
}

function rotationMeta(now: string, retired: string, next: string): EventMeta {
  const requestId = `key-rotation:${retired}`;
  return {
    actor: { id: 'companyos-keys', type: 'system', authn: 'system' },
    sourceSystem: 'companyos-keys',
    observedAt: now,
    effectiveAt: now,
    reason: `signing key ${retired} retired; ${next} seals from now on`,
    evidenceRefs: [],
    confidence: 1,
    privacyTier: 'internal',
    piiFlags: [],
    requestId,
    correlationId: requestId,
    causationId: requestId,
    decision: { id: 'system:key-rotation', policyVersion: 'system', determiningPolicies: [] },
  };
}

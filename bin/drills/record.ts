// Where a drill's evidence goes: one sealed `ops.drill.completed` on `<tenant>/ops` of the system configured
// in the environment (the log `companyos serve` uses, not the drill's throwaway stack), written by the
// stream writer as the system identity `companyos-drill`, so it verifies, chains and reaches the audit
// index like any other event.
import { randomUUID } from 'node:crypto';
import { loadKeyring } from '../../adapters/keys/keyring-store.js';
import { appendSealed, retryOnConflict, sealOntoTail, tailOf } from '../../commands/stream-writer.js';
import type { Config } from '../../schemas/config.js';
import { DRILL_EVENT_TYPE, DrillCompletedEvent, type DrillOutcome } from '../../schemas/drill.js';
import type { EventMeta } from '../../schemas/sealed-event.js';
import { opsStream } from '../../schemas/streams.js';
import { openLog } from '../open-log.js';

export interface RecordedDrill {
  readonly stream: string;
  readonly eventId: string;
  readonly position: bigint;
  readonly log: string;
}

const DRILL_DECISION = { id: 'system:drill', policyVersion: 'system', determiningPolicies: [] } as const;

function drillMeta(now: string, outcome: DrillOutcome, requestId: string): EventMeta {
  return {
    actor: { id: 'companyos-drill', type: 'system', authn: 'system' },
    sourceSystem: 'companyos-drill',
    observedAt: outcome.endedAt,
    effectiveAt: now,
    reason: `drill ${outcome.drill} ${outcome.result}`,
    evidenceRefs: [],
    confidence: 1,
    privacyTier: 'internal',
    piiFlags: [],
    requestId,
    correlationId: requestId,
    causationId: requestId,
    decision: DRILL_DECISION,
  };
}

export async function recordDrill(config: Config, tenant: string, outcome: DrillOutcome, clock: () => Date = () => new Date()): Promise<RecordedDrill> {
  const keyring = await loadKeyring({ signingKey: config.signingKey, keyringFile: config.keyringFile, dataDir: config.dataDir }, clock().toISOString());
  const opened = await openLog(config);
  try {
    const stream = opsStream(tenant);
    const eventId = randomUUID();
    const body = DrillCompletedEvent.encode({ type: DRILL_EVENT_TYPE, schemaVersion: 1, data: outcome });
    const position = await retryOnConflict(stream, { attempts: 8, baseDelayMs: 5 }, async () => {
      const tail = tailOf(await opened.log.readStream(stream, { direction: 'backwards', maxCount: 1 }));
      const now = clock().toISOString();
      const sealed = sealOntoTail(
        { stream, tail, ids: [eventId], tenant, region: 'global', sealedAt: now, meta: drillMeta(now, outcome, `drill:${eventId}`), bodies: [{ ...body, data: { ...body.data } }] },
        keyring.active,
      );
      const appended = await appendSealed(opened.log, tail, sealed);
      return appended.position;
    });
    return { stream, eventId, position, log: opened.description };
  } finally {
    await opened.close();
  }
}

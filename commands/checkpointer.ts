// The checkpointer: signs each tenant's tree head and appends it to the tenant's log, so the log carries its
// own history of heads and an auditor holding one checkpoint can prove later that nothing before it changed.
// For each tenant whose tree grew (projections/tree), at most every interval and once more at shutdown, it
// signs a c2sp.org/tlog-checkpoint (origin `<logOrigin>/<tenant>`) as a c2sp.org/signed-note with the log's
// active Ed25519 key (note key name: `<logOrigin>`), and seals it as `ledger.checkpoint.signed` on
// `<tenant>/ledger` the way denials are sealed (commands/access.ts): onto the stream's tail, by the system.
// One active instance: a supervised follower (adapters/read-store/follower.ts) under the lock `checkpointer`.
//
// No loop: a checkpoint event is itself a leaf, so signing grows the tree. The tree read model keeps, besides
// its size, its settled size (leaves up to the last one that is NOT a checkpoint event), and a tenant is
// due only when its settled size passes its last checkpoint's size. The checkpointer's own event raises the
// size, never the settled size; the next real event makes the tenant due again, and that checkpoint covers
// the previous checkpoint event too. Signing twice at one size is also ruled out: the event id is a UUID v5
// of (tenant, size), the tail of `<tenant>/ledger` is read before signing (a checkpoint at or past the size
// there: skip), and the sizes signed by this instance are remembered while the projection catches up.
import { sign as ed25519Sign } from 'node:crypto';
import { ED25519_NOTE, ed25519NoteSigner, signNote, verifierString, type NoteSigner } from '../ledger/signed-note.js';
import { formatCheckpoint } from '../ledger/checkpoint-note.js';
import { toBase64 } from '../ledger/bytes.js';
import type { KeyEntry, Keyring, SigningKey } from '../ledger/index.js';
import { DuplicateEventIdError, type EventLog } from '../adapters/event-log/index.js';
import { startFollower, type Follower, type FollowerTerm } from '../adapters/read-store/follower.js';
import type { ReadStore } from '../adapters/read-store/read-store.js';
import type { Hash } from '../ledger/merkle.js';
import { CHECKPOINT_EVENT_TYPE, type CheckpointSignedData } from '../schemas/checkpoint-event.js';
import type { EventMeta } from '../schemas/sealed-event.js';
import { ledgerStream } from '../schemas/streams.js';
import { dedupedEventId } from './event-ids.js';
import { Signal } from './signal.js';
import { appendSealed, retryOnConflict, sealOntoTail, tailOf, type RetryPolicy } from './stream-writer.js';

/** What the checkpointer reads of the tenant trees (projections/tree/tree-queries.ts TreeQueries). */
export interface TreeHeads {
  /** Tenants whose settled size passes their last checkpoint's size. */
  unanchored(): Promise<readonly { readonly tenant: string; readonly size: number; readonly settledSize: number }[]>;
  rootAt(tenant: string, size: number): Promise<Hash>;
}

export interface CheckpointerDeps {
  readonly log: EventLog;
  readonly trees: TreeHeads;
  readonly keyring: Keyring;
  /** The followers' lock (ReadStore.tryLock), taken as `checkpointer`. */
  readonly lock: Pick<ReadStore, 'tryLock'>;
  readonly clock: () => Date;
  /** COMPANYOS_LOG_ORIGIN: tenants' origins are `<logOrigin>/<tenant>`; the note key's name. */
  readonly logOrigin: string;
}

export interface CheckpointerOptions {
  /** A tenant whose tree grew is signed at most this often (COMPANYOS_CHECKPOINT_INTERVAL; default 1 s). */
  readonly intervalMs?: number;
  readonly lockRetryMs?: number;
  readonly retryDelayMs?: number;
  readonly retry?: RetryPolicy;
  readonly onError?: (error: unknown) => void;
  /** Hears about each checkpoint appended. */
  readonly onCheckpoint?: (checkpoint: SignedCheckpoint) => void;
}

export interface SignedCheckpoint {
  readonly tenant: string;
  readonly size: number;
  readonly root: Hash;
  readonly note: string;
  readonly eventId: string;
}

export interface CheckpointerStatus {
  readonly active: boolean;
  readonly checkpoints: number;
  readonly failures: number;
  readonly lastError: string | undefined;
}

export interface Checkpointer {
  status(): CheckpointerStatus;
  /** One pass now, if this instance holds the lock (else nothing); resolves with what it appended. */
  checkpointNow(): Promise<readonly SignedCheckpoint[]>;
  /** Stops after one last pass (while the lock is still held), then releases the lock. */
  close(): Promise<void>;
}

/** The origin of `tenant`'s checkpoints. */
export const tenantOrigin = (logOrigin: string, tenant: string): string => `${logOrigin}/${tenant}`;

/** The note signer of a signing key under the log's note key name. */
export function noteSigner(logOrigin: string, key: SigningKey): NoteSigner {
  return ed25519NoteSigner(logOrigin, key.publicKey, (message) => new Uint8Array(ed25519Sign(null, message, key.privateKey)));
}

/** How a key is pinned to check this log's checkpoint notes (c2sp.org/signed-note verifier string). */
export const noteVerifierString = (logOrigin: string, key: KeyEntry): string => verifierString(logOrigin, ED25519_NOTE, key.publicKey);

const SYSTEM_DECISION = { id: 'system:checkpointer', policyVersion: 'system', determiningPolicies: [] } as const;

export function startCheckpointer(deps: CheckpointerDeps, options: CheckpointerOptions = {}): Checkpointer {
  return new RunningCheckpointer(deps, options);
}

class RunningCheckpointer implements Checkpointer {
  readonly #deps: CheckpointerDeps;
  readonly #options: CheckpointerOptions;
  readonly #follower: Follower;
  readonly #wake = new Signal();
  readonly #onError: (error: unknown) => void;
  /** Sizes this instance signed, per tenant: the tree read model may not show them yet. */
  readonly #signed = new Map<string, number>();
  #closing = false;
  #active = false;
  #checkpoints = 0;
  #failures = 0;
  #lastError: string | undefined;
  #pass: Promise<readonly SignedCheckpoint[]> | undefined;

  constructor(deps: CheckpointerDeps, options: CheckpointerOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#onError = options.onError ?? ((e) => console.error('companyos: checkpointer:', e instanceof Error ? e.message : e));
    this.#follower = startFollower(
      deps.lock,
      {
        lockName: 'checkpointer',
        lockRetryMs: options.lockRetryMs ?? 2000,
        retryDelayMs: options.retryDelayMs ?? 500,
        onFailure: (error, during) => {
          if (during === 'term') {
            this.#failures++;
            this.#lastError = error instanceof Error ? error.message : String(error);
          }
          this.#onError(error);
        },
      },
      (term) => this.#term(term),
    );
  }

  status(): CheckpointerStatus {
    return { active: this.#active, checkpoints: this.#checkpoints, failures: this.#failures, lastError: this.#lastError };
  }

  checkpointNow(): Promise<readonly SignedCheckpoint[]> {
    return this.#active ? this.#once() : Promise.resolve([]);
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#wake.notify();
    await this.#follower.close();
  }

  async #term(term: FollowerTerm): Promise<void> {
    this.#active = true;
    this.#signed.clear();
    let stopped = false;
    term.onStop(() => {
      stopped = true;
      this.#wake.notify();
    });
    try {
      while (!stopped) {
        await this.#once();
        if (!stopped) await this.#wake.wait(this.#options.intervalMs ?? 1000);
      }
      // At shutdown (not when the lock was lost): one last pass, the lock still ours.
      if (this.#closing && !(await lockLost(term))) await this.#once();
    } finally {
      this.#active = false;
    }
  }

  /** One pass at a time: a pass asked for during one waits for it, then runs. */
  #once(): Promise<readonly SignedCheckpoint[]> {
    const previous = this.#pass ?? Promise.resolve([]);
    const next = previous.catch(() => []).then(() => this.#checkpointDue());
    this.#pass = next;
    return next;
  }

  async #checkpointDue(): Promise<readonly SignedCheckpoint[]> {
    const done: SignedCheckpoint[] = [];
    for (const head of await this.#deps.trees.unanchored()) {
      if ((this.#signed.get(head.tenant) ?? 0) >= head.settledSize) continue;
      try {
        const signed = await this.#checkpoint(head.tenant, head.size);
        if (signed !== undefined) {
          done.push(signed);
          this.#checkpoints++;
          this.#options.onCheckpoint?.(signed);
        }
      } catch (error) {
        // One tenant's failure does not hold up the others; it is due again next pass.
        this.#failures++;
        this.#lastError = error instanceof Error ? error.message : String(error);
        this.#onError(error);
      }
    }
    return done;
  }

  /** Signs `tenant`'s tree at `size` and appends it; undefined when its log already holds a checkpoint that far. */
  async #checkpoint(tenant: string, size: number): Promise<SignedCheckpoint | undefined> {
    const { log, keyring, clock, logOrigin } = this.#deps;
    const key = keyring.active;
    const root = await this.#deps.trees.rootAt(tenant, size);
    const origin = tenantOrigin(logOrigin, tenant);
    const note = signNote(formatCheckpoint({ origin, size, root, extensions: [] }), [noteSigner(logOrigin, key)]);
    const stream = ledgerStream(tenant);
    const eventId = dedupedEventId(tenant, `ledger.checkpoint:${origin}:${size}`, 0);
    const data: CheckpointSignedData = { origin, treeSize: size, rootHash: toBase64(root), note, keyId: key.keyId };
    const appended = await retryOnConflict(stream, this.#options.retry ?? { attempts: 8, baseDelayMs: 5 }, async () => {
      const last = await log.readStream(stream, { direction: 'backwards', maxCount: 1 });
      if (checkpointedSize(last) >= size) return false;
      const tail = tailOf(last);
      const now = clock().toISOString();
      const sealed = sealOntoTail(
        { stream, tail, ids: [eventId], tenant, region: 'global', sealedAt: now, meta: systemMeta(now, origin, size), bodies: [{ type: CHECKPOINT_EVENT_TYPE, schemaVersion: 1, data: { ...data } }] },
        key,
      );
      try {
        await appendSealed(log, tail, sealed);
      } catch (error) {
        // Another instance (before a crash, or a lock handover) wrote this size already.
        if (error instanceof DuplicateEventIdError) return false;
        throw error;
      }
      return true;
    });
    this.#signed.set(tenant, size);
    return appended ? { tenant, size, root, note, eventId } : undefined;
  }
}

/** The tree size of the checkpoint event in `records` (the stream's last), 0 if it is none. */
function checkpointedSize(records: readonly { readonly type: string; readonly data: unknown }[]): number {
  const last = records[records.length - 1];
  if (last?.type !== CHECKPOINT_EVENT_TYPE) return 0;
  const size = (last.data as { treeSize?: unknown } | null)?.treeSize;
  return typeof size === 'number' ? size : 0;
}

function systemMeta(now: string, origin: string, size: number): EventMeta {
  const requestId = `checkpointer:${origin}:${size}`;
  return {
    actor: { id: 'companyos-checkpointer', type: 'system', authn: 'system' },
    sourceSystem: 'companyos-checkpointer',
    observedAt: now,
    effectiveAt: now,
    reason: `signed tree head of ${origin} at size ${size}`,
    evidenceRefs: [],
    confidence: 1,
    privacyTier: 'internal',
    piiFlags: [],
    requestId,
    correlationId: requestId,
    causationId: requestId,
    decision: SYSTEM_DECISION,
  };
}

/** Whether the term's lock is already gone (a lost lock must not sign: another instance may be active). */
async function lockLost(term: FollowerTerm): Promise<boolean> {
  return Promise.race([term.lock.lost.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
}

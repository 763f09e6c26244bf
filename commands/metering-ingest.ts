// Metering ingest: a batch of usage records for one tenant. Each record is checked on its own (invalid
// ones answered by index, the valid ones kept), ids already accepted are answered as duplicates, and the
// new ones become ONE sealed `metering.batch.recorded` event through the pipeline. Used by
// POST /v1/metering/events and by the NATS ingest of `ingest.<tenant>.metering`.
import { isLeft } from 'fp-ts/lib/Either.js';
import { authorize, type AccessDeps } from './access.js';
import type { CommandPipeline } from './pipeline.js';
import type { Principal } from './authorizer.js';
import type { RequestInfo } from './envelope.js';
import { failure, type Failure } from './failure.js';
import type { CostQueries } from '../projections/costs/cost-queries.js';
import { MeteringRecord } from '../schemas/metering.js';
import { formatValidationErrors } from '../schemas/validation.js';

export type RecordStatus = 'accepted' | 'duplicate' | 'rejected';

export interface RecordResult {
  readonly index: number;
  readonly eventId: string | null;
  readonly status: RecordStatus;
  readonly errors?: readonly string[];
}

export interface IngestSummary {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** The sealed batch event, when anything was accepted. */
  readonly batch?: { readonly stream: string; readonly segment: number; readonly eventId: string; readonly hash: string; readonly position?: string };
  readonly results: readonly RecordResult[];
}

export type IngestOutcome = { readonly ok: true; readonly summary: IngestSummary } | { readonly ok: false; readonly failure: Failure };

export interface MeteringIngestDeps {
  readonly access: AccessDeps;
  readonly pipeline: CommandPipeline;
  readonly costs: CostQueries;
  /** The ids recorded in segment n (read from the log). */
  segmentIds(tenant: string, segment: number): Promise<ReadonlySet<string>>;
  /** How long to wait for the index to reach segment n-2 before answering 503 (default 10 s). */
  readonly indexWaitMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Records a batch: per-record validation, then the segment chain (domain/metering/batch.ts). The next
 * segment is remembered per tenant; a lost race (segment taken) moves on, a gap moves back. Also what
 * the NATS ingest calls for `ingest.<tenant>.metering`.
 */
export class MeteringIngest {
  readonly #next = new Map<string, number>();
  readonly #turns = new Map<string, Promise<void>>();
  constructor(private readonly deps: MeteringIngestDeps) {}

  async record(records: readonly unknown[], region: string, principal: Principal, info: RequestInfo): Promise<IngestOutcome> {
    const results: (RecordResult | undefined)[] = new Array(records.length);
    // Checked one by one; of records repeating an id within the batch only the first counts.
    const valid: { index: number; record: MeteringRecord }[] = [];
    const firstOf = new Set<string>();
    records.forEach((raw, index) => {
      const d = MeteringRecord.decode(raw);
      const eventId = typeof (raw as { eventId?: unknown } | null)?.eventId === 'string' ? (raw as { eventId: string }).eventId : null;
      if (isLeft(d)) results[index] = { index, eventId, status: 'rejected', errors: formatValidationErrors(d.left).map((e) => `records[${index}].${e}`) };
      else if (firstOf.has(d.right.eventId)) results[index] = { index, eventId, status: 'duplicate' };
      else (firstOf.add(d.right.eventId), valid.push({ index, record: d.right }));
    });
    const tenant = principal.tenant;
    // Authorized before the index is consulted: otherwise a caller who may not write could learn which ids
    // exist from batches that turn out to be all duplicates (those never reach the pipeline's check).
    const access = await authorize(
      this.deps.access,
      {
        principal,
        action: 'metering.batch.record',
        actionGroups: ['metering.write', 'write'],
        resource: { type: 'MeteringSegment', id: 'next', attributes: { tenant, region } },
        context: info.context,
      },
      info,
    );
    if (!access.allowed) return { ok: false, failure: access.failure };
    const written = await this.#inTurn(tenant, () => this.#writeSegment(tenant, region, valid, principal, info));
    if (!written.ok) return written;
    const { batch, accepted } = written;
    for (const v of valid) results[v.index] = { index: v.index, eventId: v.record.eventId, status: accepted.has(v.record.eventId) ? 'accepted' : 'duplicate' };
    const all = results as RecordResult[];
    return {
      ok: true,
      summary: {
        accepted: all.filter((r) => r.status === 'accepted').length,
        duplicates: all.filter((r) => r.status === 'duplicate').length,
        rejected: all.filter((r) => r.status === 'rejected').length,
        ...(batch ? { batch } : {}),
        results: all,
      },
    };
  }

  /**
   * One batch at a time per tenant in this process: the segment chain is linear, so concurrent batches
   * would only race for the same segment and redo the losing pipeline run (other processes still can;
   * the chain's expected revision decides, and the loser moves on).
   */
  #inTurn<T>(tenant: string, write: () => Promise<T>): Promise<T> {
    const turn = (this.#turns.get(tenant) ?? Promise.resolve()).then(write, write);
    const tail = turn.then(
      () => undefined,
      () => undefined,
    );
    this.#turns.set(tenant, tail);
    void tail.then(() => {
      if (this.#turns.get(tenant) === tail) this.#turns.delete(tenant);
    });
    return turn;
  }

  async #writeSegment(
    tenant: string,
    region: string,
    valid: readonly { readonly index: number; readonly record: MeteringRecord }[],
    principal: Principal,
    info: RequestInfo,
  ): Promise<{ ok: true; batch: IngestSummary['batch']; accepted: ReadonlySet<string> } | { ok: false; failure: Failure }> {
    const { costs } = this.deps;
    const deadline = Date.now() + (this.deps.indexWaitMs ?? 10_000);
    let batch: IngestSummary['batch'];
    let accepted: ReadonlySet<string> = new Set<string>();
    for (let attempt = 0; valid.length > 0; attempt++) {
      if (attempt > 1000) return { ok: false, failure: failure('revision-conflict', 'metering segments kept moving; retry') };
      const indexed = await costs.indexedThrough(tenant);
      const n = Math.max(this.#next.get(tenant) ?? 0, indexed + 1);
      if (indexed < n - 2) {
        if (Date.now() > deadline) {
          return { ok: false, failure: failure('metering-index-behind', `the accepted-id index is at segment ${indexed}; segment ${n} needs ${n - 2}; retry`) };
        }
        await sleep(5);
        continue;
      }
      // Known = the index, plus segment n-1 when the index does not hold it yet (a written segment never changes).
      const ids = valid.map((v) => v.record.eventId);
      const [known, previous] = await Promise.all([costs.knownIds(tenant, ids), indexed < n - 1 ? this.deps.segmentIds(tenant, n - 1) : new Set<string>()]);
      const fresh = valid.filter((v) => !known.has(v.record.eventId) && !previous.has(v.record.eventId)).map((v) => v.record);
      if (fresh.length === 0) break;
      const outcome = await this.deps.pipeline.execute('metering.batch.record', { region, segment: n, indexedThrough: Math.min(indexed, n - 1), records: fresh }, principal, info);
      if (isLeft(outcome)) {
        const f = outcome.left;
        // Lost the race for segment n: the next one. A gap (n-1 not written): one back.
        if (f.code === 'conflict' || f.code === 'revision-conflict') this.#next.set(tenant, n + 1);
        else if (f.code === 'not-found') this.#next.set(tenant, Math.max(0, n - 1));
        else return { ok: false, failure: f };
        continue;
      }
      const body = outcome.right.body;
      const event = body.events[0];
      if (event === undefined) break; // nothing new after all (cannot happen with an exact `previous`)
      this.#next.set(tenant, n + 1);
      batch = { stream: body.stream, segment: n, eventId: event.id, hash: event.hash, ...(body.position ? { position: body.position } : {}) };
      accepted = new Set(fresh.map((r) => r.eventId));
      break;
    }
    return { ok: true, batch, accepted };
  }
}

// Projection faults: the events a projection could not apply. Each is skipped by that projection and recorded
// here (in the same transaction as the checkpoint that moves past it), so one bad event never stops the
// others. The table is bookkeeping beside the read model, not part of it: it is not digested, it is emptied
// with the read model on a rebuild, and an operator can acknowledge a fault without rebuilding.
import type { SqlSession, SqlStatement } from '../adapters/read-store/read-store.js';
import type { ProjectedEvent } from './projection.js';

export interface ProjectionFault {
  readonly projection: string;
  readonly position: bigint;
  readonly eventId: string;
  readonly eventType: string;
  /** Absent when the event's envelope itself could not be read. */
  readonly tenant: string | undefined;
  readonly error: string;
}

/** A fault as stored: when it was recorded and, once an operator has seen it, acknowledged. */
export interface StoredProjectionFault extends ProjectionFault {
  readonly recordedAt: Date;
  readonly acknowledgedAt: Date | undefined;
}

const table = (schema: string) => `"${schema}".projection_faults`;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The fault of `projection` failing to apply `event` with `error`. */
export const faultOf = (projection: string, { position, event }: ProjectedEvent, error: unknown): ProjectionFault => ({
  projection,
  position,
  eventId: event.id,
  eventType: event.type,
  tenant: event.tenant,
  error: messageOf(error),
});

/** The statement that records `fault` (a fault already recorded at that position stays as it was). */
export function faultStatement(schema: string, fault: ProjectionFault): SqlStatement {
  return {
    text: `INSERT INTO ${table(schema)} (projection, position, event_id, event_type, tenant, error)
     VALUES ($1, $2::bigint, $3, $4, $5, $6) ON CONFLICT (projection, position) DO NOTHING`,
    params: [fault.projection, fault.position.toString(), fault.eventId, fault.eventType, fault.tenant ?? null, fault.error],
  };
}

interface FaultRow {
  projection: string;
  position: bigint;
  event_id: string;
  event_type: string;
  tenant: string | null;
  error: string;
  recorded_at: Date;
  acknowledged_at: Date | null;
}

/** Faults in log order per projection: of one projection or all; only unacknowledged ones unless `all`. */
export async function listFaults(
  session: SqlSession,
  schema: string,
  options: { readonly projection?: string; readonly all?: boolean } = {},
): Promise<StoredProjectionFault[]> {
  const rows = await session.query<FaultRow>(
    `SELECT projection, position, event_id, event_type, tenant, error, recorded_at, acknowledged_at FROM ${table(schema)}
     WHERE ($1::text IS NULL OR projection = $1) AND ($2::text = 'all' OR acknowledged_at IS NULL)
     ORDER BY projection, position`,
    [options.projection ?? null, options.all === true ? 'all' : 'open'],
  );
  return rows.map((r) => ({
    projection: r.projection,
    position: BigInt(r.position),
    eventId: r.event_id,
    eventType: r.event_type,
    tenant: r.tenant ?? undefined,
    error: r.error,
    recordedAt: r.recorded_at,
    acknowledgedAt: r.acknowledged_at ?? undefined,
  }));
}

/**
 * Marks faults as seen by an operator: the one at `position` of `projection`, or all of it without one.
 * The events stay skipped (the read model does not change); they no longer hold readiness back. Returns
 * how many were acknowledged now.
 */
export async function acknowledgeFaults(session: SqlSession, schema: string, projection: string, position?: bigint): Promise<number> {
  const rows = await session.query(
    `UPDATE ${table(schema)} SET acknowledged_at = now()
     WHERE projection = $1 AND ($2::bigint IS NULL OR position = $2::bigint) AND acknowledged_at IS NULL RETURNING 1`,
    [projection, position === undefined ? null : position.toString()],
  );
  return rows.length;
}

/** Forgets the faults of `projection` (its read model is being rebuilt from zero; the caller's transaction). */
export async function clearFaults(session: SqlSession, schema: string, projection: string): Promise<void> {
  await session.query(`DELETE FROM ${table(schema)} WHERE projection = $1`, [projection]);
}

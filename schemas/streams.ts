// Stream names: `<tenant>/<category>/<id>`, or `<tenant>/<category>` for a tenant-wide stream.
// Tenant first, so one stream-prefix filter selects a tenant's whole log (verification, export).
import { patternString } from './primitives.js';

export type StreamCategory = 'graph.node' | 'graph.edge' | 'audit' | 'maestro.plan' | 'maestro.run'
  | 'metering' | 'pricing' | 'finops.budget' | 'finops.anomaly' | 'ledger' | 'policy' | 'ops' | 'approvals';

export const streamName = (tenant: string, category: StreamCategory, id?: string): string =>
  id === undefined ? `${tenant}/${category}` : `${tenant}/${category}/${id}`;

/** The tenant's audit stream: denied attempts and other security records. */
export const auditStream = (tenant: string): string => streamName(tenant, 'audit');

/** The tenant's ledger stream: its signed checkpoints (schemas/checkpoint-event.ts). */
export const ledgerStream = (tenant: string): string => streamName(tenant, 'ledger');

/** The tenant's operations stream: drills run and their outcomes (schemas/drill.ts). */
export const opsStream = (tenant: string): string => streamName(tenant, 'ops');

/** The tenant's approvals stream: dual-control commands proposed, approved, rejected and executed (schemas/approval.ts). */
export const approvalsStream = (tenant: string): string => streamName(tenant, 'approvals');

/** Prefix that selects every stream of a tenant. */
export const tenantStreamPrefix = (tenant: string): string => `${tenant}/`;

/**
 * A stream name as a client may write one (path of GET /v1/streams/{stream}, ?stream=): no control
 * characters and storable text. Names the system builds always pass; this only keeps a crafted name
 * (a NUL from `%00`) from reaching the log's queries.
 */
export const StreamName = patternString('StreamName (tenant/category[/id], 1-1024 characters, no control characters)', /^[^\u0000-\u001f\u007f-\u009f]{1,1024}$/u);

export interface ParsedStream {
  readonly tenant: string;
  readonly category: string;
  readonly id: string | undefined;
}

export function parseStream(stream: string): ParsedStream | undefined {
  const first = stream.indexOf('/');
  if (first <= 0) return undefined;
  const second = stream.indexOf('/', first + 1);
  const tenant = stream.slice(0, first);
  if (second < 0) return { tenant, category: stream.slice(first + 1), id: undefined };
  return { tenant, category: stream.slice(first + 1, second), id: stream.slice(second + 1) };
}

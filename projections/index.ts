// Public surface of projections/: the runtime, the read models, and their digests.
export { graphProjection } from './graph/graph-projection.js';
export { runsProjection } from './runs/runs-projection.js';
export { TREE_PROJECTION, treeProjection } from './tree/tree-projection.js';
export { TreeQueries, TreeRangeError, type LeafView, type StoredCheckpoint, type TreeHead } from './tree/tree-queries.js';
export { AUDIT_PROJECTION, auditProjection, auditRowOf } from './audit/audit-projection.js';
export type { AuditIndex, AuditIndexReader, AuditIndexWriter, AuditRow, AuditSearch } from './audit/audit-index.js';
export { projectorMigrations } from './migrations.js';
export { readModelDigest } from './digest.js';
export { acknowledgeFaults, listFaults, type ProjectionFault, type StoredProjectionFault } from './faults.js';
export { UnreadableEventError, type ProjectedEvent, type Projection, type ReadModelTable } from './projection.js';
export {
  FencedError,
  projectUntil,
  resetProjection,
  startProjector,
  type Projector,
  type ProjectorDeps,
  type ProjectorOptions,
  type ProjectorState,
  type ProjectorStatus,
} from './runtime.js';

import { projectorMigrations } from './migrations.js';
import { graphProjection } from './graph/graph-projection.js';
import { runsProjection } from './runs/runs-projection.js';
import { treeProjection } from './tree/tree-projection.js';
import type { Projection } from './projection.js';

/** Every PostgreSQL read model, in the order they are started, replayed and digested. */
export const READ_MODELS: readonly Projection[] = Object.freeze([graphProjection, runsProjection, treeProjection]);

/** The migrations of the checkpoint table and of every read model, in order. */
export const readModelMigrations = Object.freeze([...projectorMigrations, ...READ_MODELS.flatMap((p) => p.migrations)]);

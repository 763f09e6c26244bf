// A mapped GitHub or OpenLineage message run as its HTTP endpoint runs it (executeGraphCommands, in order):
// acked once every command is written; a refused command dead-letters the message naming that command.
import { executeGraphCommands, type ExecutedCommand } from '../../commands/execute-graph-commands.js';
import { refused, thrown, type Disposition, type GraphBatch, type IngestDelivery, type IngestPolicy, type IngestTargets } from './ingest-delivery.js';

export async function executeGraphBatch(targets: IngestTargets, batch: GraphBatch, d: IngestDelivery, policy: IngestPolicy): Promise<Disposition> {
  try {
    const result = await executeGraphCommands(targets.pipeline, batch.commands, batch.principal, batch.info);
    if (result._tag === 'Right') return { kind: 'ack', outcome: batchOutcome(result.right) };
    // The commands before it stay written; a retry or a fixed re-send repeats them harmlessly (natural keys).
    const r = result.left;
    const reason =
      `command ${r.index + 1} of ${batch.commands.length} (${r.type} ${r.target}) was refused: ${r.failure.detail}` +
      (r.index === 0 ? '' : `; the ${r.index} before it stay written`);
    return refused(r.failure.status, r.failure.code, reason, d, policy);
  } catch (error) {
    return thrown(error, d, policy);
  }
}

/** appended if anything was written, else replayed if anything was answered from its key, else unchanged. */
function batchOutcome(executed: readonly ExecutedCommand[]): ExecutedCommand['outcome'] {
  if (executed.some((e) => e.outcome === 'appended')) return 'appended';
  return executed.some((e) => e.outcome === 'replayed') ? 'replayed' : 'unchanged';
}

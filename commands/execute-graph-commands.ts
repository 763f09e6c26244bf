// Runs a mapper's graph commands through the command pipeline, in order, so policy, sealing and
// idempotency apply exactly as for POST /v1/commands/{type}. Stops at the first refused command.
import type { Either } from 'fp-ts/lib/Either.js';
import { left, right } from 'fp-ts/lib/Either.js';
import type { Principal } from './authorizer.js';
import type { RequestInfo } from './envelope.js';
import type { Failure } from './failure.js';
import type { CommandOutcome, CommandPipeline } from './pipeline.js';
import { commandTarget, type GraphCommand } from '../adapters/ingest/graph-command.js';

export interface ExecutedCommand {
  /** Position in the mapping's command list. */
  readonly index: number;
  readonly type: GraphCommand['type'];
  /** The node id, or the edge as `from -TYPE-> to`. */
  readonly target: string;
  readonly stream: string;
  readonly outcome: CommandOutcome['kind'];
  readonly revision: number | null;
}

/** The command that was refused, and the ones before it (they stay written: re-delivery is idempotent). */
export interface RefusedCommand {
  readonly index: number;
  readonly type: GraphCommand['type'];
  readonly target: string;
  readonly failure: Failure;
  readonly executed: readonly ExecutedCommand[];
}

export async function executeGraphCommands(
  pipeline: Pick<CommandPipeline, 'execute'>,
  commands: readonly GraphCommand[],
  principal: Principal,
  info: RequestInfo,
): Promise<Either<RefusedCommand, readonly ExecutedCommand[]>> {
  // One request carries many commands, so a client's Idempotency-Key cannot stand for each of them (the
  // same key on two streams would collide); the commands' natural keys (provenance.externalId) dedupe instead.
  const { idempotencyKey: _oneKeyForManyCommands, ...perCommand } = info;
  const executed: ExecutedCommand[] = [];
  for (const [index, command] of commands.entries()) {
    const target = commandTarget(command);
    const outcome = await pipeline.execute(command.type, command.payload, principal, perCommand);
    if (outcome._tag === 'Left') return left({ index, type: command.type, target, failure: outcome.left, executed });
    const { body, kind } = outcome.right;
    executed.push({ index, type: command.type, target, stream: body.stream, outcome: kind, revision: body.revision });
  }
  return right(executed);
}

// What both ingest routes share: the body limit, the answer to a payload the mapping refuses, and how an
// executed mapping is answered (201 something appended, 200 nothing new, or the refused command's problem).
import type { Context } from 'hono';
import type { Either } from 'fp-ts/lib/Either.js';
import type { ExecutedCommand, RefusedCommand } from '../../../commands/execute-graph-commands.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { limitBody } from '../middleware/body-limit.js';
import { problem, problemOf, sendProblem } from '../problem.js';

/** GitHub caps webhook payloads at 25 MB, but a push of 2048 commits is ~2 MB; lineage batches are smaller. */
export const MAX_INGEST_BODY_BYTES = 5 * 1024 * 1024;

export const ingestBodyLimit = () => limitBody(MAX_INGEST_BODY_BYTES, 'an ingest body');

/** A payload that does not have the fields the mapping needs: 400, one line per field (as for commands). */
export const sendInvalidPayload = (c: Context<AppEnv>, errors: readonly string[]): Response =>
  sendProblem(c, problem('validation', errors.join('; '), { errors }));

/** Renders an executed mapping; `about` names the delivery (source, event, …) in the summary. */
export function sendIngestOutcome(
  c: Context<AppEnv>,
  metrics: Metrics,
  about: Readonly<Record<string, string>>,
  total: number,
  result: Either<RefusedCommand, readonly ExecutedCommand[]>,
): Response {
  const executed = result._tag === 'Left' ? result.left.executed : result.right;
  for (const e of executed) metrics.commands.inc({ type: e.type, outcome: e.outcome });
  if (result._tag === 'Left') {
    const r = result.left;
    metrics.commands.inc({ type: r.type, outcome: r.failure.code });
    const p = problemOf(r.failure);
    return sendProblem(c, {
      ...p,
      detail:
        `command ${r.index + 1} of ${total} (${r.type} ${r.target}) was refused: ${r.failure.detail}` +
        (r.index === 0 ? '' : `; the ${r.index} before it stay written, and a redelivery repeats them harmlessly`),
      failedCommand: { index: r.index, type: r.type, target: r.target },
      executed,
    });
  }
  const count = (kind: ExecutedCommand['outcome']) => executed.filter((e) => e.outcome === kind).length;
  const body = { ...about, commands: executed, appended: count('appended'), unchanged: count('unchanged'), replayed: count('replayed') };
  return c.json(body, body.appended > 0 ? 201 : 200);
}

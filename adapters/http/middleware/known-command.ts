// The command type in the path (`/v1/commands/:type`) is one the pipeline runs, or the request ends with
// the pipeline's own unknown-command problem before the body is parsed: the answer is the same whether
// the route or the pipeline refuses it (CommandPipeline.unknownCommand is the one check).
import type { MiddlewareHandler } from 'hono';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import type { AppEnv } from '../env.js';
import { problemOf, sendProblem } from '../problem.js';

export const knownCommand = (pipeline: Pick<CommandPipeline, 'unknownCommand'>): MiddlewareHandler<AppEnv> => async (c, next) => {
  const unknown = pipeline.unknownCommand(c.req.param('type') ?? '');
  if (unknown !== undefined) return sendProblem(c, problemOf(unknown));
  await next();
};

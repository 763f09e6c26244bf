// Maestro Conductor's pure core: plan and run aggregates, their command handlers, and the scheduling
// functions the executor calls. domain/index.ts adds `maestroCommandHandlers` to the registry.
import type { AnyCommandHandler } from '../command-handler.js';
import { maestroCommands } from './commands.js';

/** Every Maestro command handler as [command type, handler], ready to join the pipeline's registry. */
export const maestroCommandHandlers: readonly (readonly [string, AnyCommandHandler])[] = Object.freeze(Object.entries(maestroCommands));

export { EXECUTOR_COMMANDS, foldPlan, foldRun, maestroCommands, planRegisterHandler, planStream, runStream } from './commands.js';
export { planDigest } from './digest.js';
export { CheckedPlanSpec, planProblems } from './plan-rules.js';
export { PlanRegister, parsePlanYaml } from './plan-source.js';
export { evolvePlan, initialPlanState, planDecider, planVersion } from './plan.js';
export type { PlanCommand, PlanContext, PlanState, PlanVersion } from './plan.js';
export { runDecider } from './run.js';
export type { RunCommand, RunContext, RunRelated } from './run.js';
export { approvalsComplete, attemptKey, compensationKey, evolveRun, initialRunState, phaseOf } from './run-state.js';
export type { ExistingRun, NextAttempt, Phase, RunFacts, RunState, RunStatus, RunningAttempt, StepState, StepStatus } from './run-state.js';
export { compensationBlockers, completion, dependentsOf, inFlight, nextCompensations, readySteps, retryDelay, unsettledSteps } from './schedule.js';
export type { InFlight, RunOutcome, Work } from './schedule.js';

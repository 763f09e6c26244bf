// What makes a well-shaped plan a plan Maestro can run: unique step ids, `needs` that name other steps,
// no cycles, and an approval on every high-sensitivity step. The codec checks them on the raw input
// (schemas/plan.ts planSpecCodec), so they come with the field errors in one answer; planProblems checks
// a spec built in code.
import { describePlanProblem, planSpecCodec, rawField, stepProblems, type PlanPath, type PlanProblem, type PlanRules, type PlanSpec } from '../../schemas/plan.js';

function approvalProblems(raw: unknown, at: PlanPath): PlanProblem[] {
  if (rawField(raw, 'sensitivity') === 'high' && (rawField(raw, 'approval_policy') ?? 'none') === 'none') {
    return [{ path: [...at, 'approval_policy'], message: 'a high-sensitivity step needs an approval policy other than none' }];
  }
  return [];
}

/** Duplicate ids, unknown or self `needs`, and every cycle, named by its path. */
function graphProblems(rawSteps: unknown): PlanProblem[] {
  if (!Array.isArray(rawSteps)) return [];
  const problems: PlanProblem[] = [];
  const steps = rawSteps.map((s: unknown, i) => {
    const id = rawField(s, 'id');
    const needs = rawField(s, 'needs');
    return { i, id: typeof id === 'string' ? id : undefined, needs: Array.isArray(needs) ? (needs as readonly unknown[]) : [] };
  });
  const firstIndex = new Map<string, number>();
  for (const s of steps) {
    if (s.id === undefined) continue;
    const first = firstIndex.get(s.id);
    if (first === undefined) firstIndex.set(s.id, s.i);
    else problems.push({ path: ['steps', s.i, 'id'], message: `duplicate step id "${s.id}" (first used by steps[${first}])` });
  }
  const edges = new Map<string, string[]>();
  for (const s of steps) {
    const seen = new Set<string>();
    s.needs.forEach((n, j) => {
      if (typeof n !== 'string') return;
      if (n === s.id) problems.push({ path: ['steps', s.i, 'needs', j], message: `step "${n}" cannot need itself` });
      else if (!firstIndex.has(n)) problems.push({ path: ['steps', s.i, 'needs', j], message: `unknown step id "${n}"` });
      else if (seen.has(n)) problems.push({ path: ['steps', s.i, 'needs', j], message: `"${n}" is listed twice` });
      else if (s.id !== undefined && firstIndex.get(s.id) === s.i) edges.set(s.id, [...(edges.get(s.id) ?? []), n]);
      seen.add(n);
    });
  }
  for (const cycle of cyclesOf([...firstIndex.keys()], edges)) {
    problems.push({ path: ['steps'], message: `cycle in needs: ${[...cycle, cycle[0]].join(' → ')} (each step needs the next)` });
  }
  return problems;
}

/** One cycle per back edge of a depth-first search, each reported once (rotated to its earliest step). */
function cyclesOf(ids: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const rank = new Map(ids.map((id, i) => [id, i]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found = new Map<string, string[]>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.reduce((best, s, i) => (rank.get(s)! < rank.get(cycle[best]!)! ? i : best), 0);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.set(rotated.join('\u0000'), rotated);
      } else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of ids) if (state.get(id) === undefined) visit(id);
  return [...found.values()];
}

/** Maestro's rules, as the plan codec takes them. */
export const planRules: PlanRules = Object.freeze({ step: approvalProblems, steps: graphProblems });

/** A plan Maestro accepts: its shape and its rules, every problem at once. */
export const CheckedPlanSpec = planSpecCodec(planRules);

/** Every rule of a decoded (or hand-built) spec that its field codecs cannot see, one line each. */
export function planProblems(spec: PlanSpec): string[] {
  return [...graphProblems(spec.steps), ...spec.steps.flatMap((s, i) => stepProblems(s, ['steps', i], planRules))].map(describePlanProblem);
}

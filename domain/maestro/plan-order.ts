// The order a run walks its plan's steps in: every step after the steps it needs, ties broken by the
// order the author wrote them, so the same plan always runs in the same order (run-state.ts).

/**
 * Step ids in an order where every step comes after the steps it needs; among steps free to go, the
 * one declared first goes first, so the order is stable. Precondition: planProblems(spec) is empty
 * (plan-rules.ts; every registered spec passed it).
 */
export function topologicalOrder(steps: readonly { readonly id: string; readonly needs: readonly string[] }[]): readonly string[] {
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < steps.length) {
    const next = steps.find((s) => !placed.has(s.id) && s.needs.every((n) => placed.has(n)));
    if (next === undefined) throw new Error(`topologicalOrder: the steps' needs form a cycle or name unknown steps`);
    placed.add(next.id);
    order.push(next.id);
  }
  return order;
}

// Bounded waits of the drills: poll a condition, or fail the drill naming what never happened.
export const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export class DrillStuck extends Error {
  override readonly name = 'DrillStuck';
}

/** Polls `condition` every 50 ms; throws DrillStuck after `limitMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new DrillStuck(`${what} did not happen within ${limitMs / 1000} s`);
    await settle(50);
  }
}

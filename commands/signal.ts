// A wake-up between two loops of one process: `wait` resolves at the next `notify` (or after `ms`).
export class Signal {
  #waiters: (() => void)[] = [];

  wait(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(done);
      if (ms !== undefined) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== done);
          resolve();
        }, Math.max(0, ms));
      }
    });
  }

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

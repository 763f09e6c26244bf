// A bounded poll for the browser suites: the first value `check` gives (a failed check counts as not yet),
// or an error naming what never came. Followers project asynchronously, so a test waits for the read model
// instead of sleeping a guessed time.
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

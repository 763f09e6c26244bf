// A bounded cache of Cedar outcomes (least recently used goes first), one per policy version (each
// CedarAuthorizer owns one, so a new version starts empty). Keys are the canonical form of everything the
// deciding policies can read (cedar-authorizer.ts); values are outcomes only: the decision id, its input
// and its explanation are made per request. COMPANYOS_DECISION_CACHE sets the entries per policy version
// (default 10000; 0 turns caching off). Hits and misses of every cache in the process are counted for
// /metrics (renderDecisionCacheMetrics).

export const DEFAULT_DECISION_CACHE_ENTRIES = 10_000;

/** Entries per policy version from COMPANYOS_DECISION_CACHE: a whole number, 0 for no cache. */
export function decisionCacheEntries(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['COMPANYOS_DECISION_CACHE'];
  if (raw === undefined || raw === '') return DEFAULT_DECISION_CACHE_ENTRIES;
  if (!/^\d{1,9}$/.test(raw)) throw new Error(`COMPANYOS_DECISION_CACHE must be a number of entries (0 turns the decision cache off), not "${raw}"`);
  return Number(raw);
}

const counts = { hits: 0, misses: 0 };

export class DecisionCache<V> {
  readonly #entries = new Map<string, V>();
  constructor(readonly capacity: number) {}

  get(key: string): V | undefined {
    if (this.capacity <= 0) return undefined;
    const value = this.#entries.get(key);
    if (value === undefined) {
      counts.misses++;
      return undefined;
    }
    counts.hits++;
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Hits and misses of every decision cache in this process so far. */
export function decisionCacheCounts(): { readonly hits: number; readonly misses: number } {
  return { ...counts };
}

/** The counts as Prometheus exposition text (for Metrics.collect). */
export function renderDecisionCacheMetrics(): string {
  return [
    '# HELP companyos_decision_cache_total Cedar decisions answered from the decision cache (hit) or evaluated (miss).',
    '# TYPE companyos_decision_cache_total counter',
    `companyos_decision_cache_total{result="hit"} ${counts.hits}`,
    `companyos_decision_cache_total{result="miss"} ${counts.misses}`,
  ].join('\n');
}

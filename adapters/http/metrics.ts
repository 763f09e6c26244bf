// Prometheus text exposition for the few figures operators watch: requests, command outcomes, latency.
// Small on purpose: counters and a fixed-bucket histogram, no client library.
import { renderDecisionCacheMetrics } from '../cedar/decision-cache.js';
import { renderProcessMetrics } from './process-metrics.js';

const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500, 5000] as const;

type Labels = Readonly<Record<string, string>>;
const key = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');

class Counter {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string) {}
  observe(ms: number, labels: Labels = {}): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS_MS.length; i++) if (ms <= BUCKETS_MS[i]!) s.counts[i]!++;
    s.sum += ms / 1000;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      BUCKETS_MS.forEach((b, i) => lines.push(`${this.name}_bucket{${sep}le="${b / 1000}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class Metrics {
  readonly httpRequests = new Counter('companyos_http_requests_total', 'HTTP requests by route and status.');
  readonly httpDuration = new Histogram('companyos_http_request_duration_seconds', 'HTTP request latency.');
  readonly commands = new Counter('companyos_commands_total', 'Commands by type and outcome.');
  readonly revisionConflicts = new Counter('companyos_revision_conflicts_total', 'Appends retried after a revision conflict.');
  readonly commandsShed = new Counter(
    'companyos_commands_shed_total',
    'Command requests refused by backpressure (reason process: 503, tenant: 429) or answered 503 at the timeout (reason timeout).',
  );
  readonly #collectors: (() => string)[] = [];

  /** Adds figures read at scrape time (gauges of other parts, e.g. projection lag), as exposition text. */
  collect(render: () => string): void {
    this.#collectors.push(render);
  }

  render(): string {
    const process_ = [
      '# HELP companyos_process_resident_memory_bytes Resident memory.',
      '# TYPE companyos_process_resident_memory_bytes gauge',
      `companyos_process_resident_memory_bytes ${process.memoryUsage().rss}`,
    ].join('\n');
    return (
      [this.httpRequests, this.httpDuration, this.commands, this.revisionConflicts, this.commandsShed]
        .map((m) => m.render())
        .concat(process_, renderProcessMetrics(), renderDecisionCacheMetrics(), this.#collectors.map((c) => c()).filter((text) => text.length > 0))
        .join('\n') + '\n'
    );
  }
}

// The standard process_* and nodejs_* figures Prometheus client libraries expose (prom-client's names), so
// the dashboards and alerts operators already have work unchanged. Read at scrape time; nothing is sampled
// between scrapes except the event loop delay, which Node's own histogram records.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
const startSeconds = Math.round(Date.now() / 1000 - process.uptime());

const gauge = (name: string, help: string, value: number, type = 'gauge'): string => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`;

/** Open file descriptors, where /proc tells (Linux); undefined elsewhere. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

export function renderProcessMetrics(): string {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const fds = openFds();
  return [
    gauge('process_cpu_user_seconds_total', 'User CPU time spent in seconds.', cpu.user / 1e6, 'counter'),
    gauge('process_cpu_system_seconds_total', 'System CPU time spent in seconds.', cpu.system / 1e6, 'counter'),
    gauge('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6, 'counter'),
    gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', startSeconds),
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', memory.rss),
    ...(fds === undefined ? [] : [gauge('process_open_fds', 'Number of open file descriptors.', fds)]),
    gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', memory.heapTotal),
    gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', memory.heapUsed),
    gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', memory.external),
    gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the event loop delay, in seconds.', loopDelay.percentile(99) / 1e9),
    gauge('nodejs_eventloop_lag_max_seconds', 'The maximum event loop delay, in seconds.', loopDelay.max / 1e9),
    `# HELP nodejs_version_info Node.js version info.\n# TYPE nodejs_version_info gauge\nnodejs_version_info{version="${process.version}"} 1`,
  ].join('\n');
}

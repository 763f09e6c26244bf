// Counts every request by route pattern and status, and records its latency.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';

export const recordMetrics = (metrics: Metrics): MiddlewareHandler<AppEnv> => async (c, next) => {
  const started = performance.now();
  await next();
  const route = routePath(c, -1) || 'unmatched';
  metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
  metrics.httpDuration.observe(performance.now() - started, { route });
};

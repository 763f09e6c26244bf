// Counts every request by route pattern and status, and records its latency.
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';

export const recordMetrics = (metrics: Metrics): MiddlewareHandler<AppEnv> => async (c, next) => {
  const started = performance.now();
  await next();
  // The route the request was for: the handler that answered, or, when a middleware answered first (a 401,
  // a 413), the handler it was headed to. Middleware patterns (app.use registers method ALL, e.g. `/v1/*`)
  // are never a label; a path no handler matches is "unmatched".
  const routes = matchedRoutes(c);
  const answered = routes[c.req.routeIndex];
  const handler = answered !== undefined && answered.method !== 'ALL' ? answered : routes.find((r, i) => i > c.req.routeIndex && r.method !== 'ALL');
  const route = handler?.path ?? 'unmatched';
  metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
  metrics.httpDuration.observe(performance.now() - started, { route });
};

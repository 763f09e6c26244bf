// GET /v1/finops/costs: the token's tenant's costs in [from, to), grouped by any of service, team, meter,
// day, hour and tag:<key> (comma list), as exact decimal strings; shared pools apportioned per service.
import { Hono } from 'hono';
import type { AccessDeps } from '../../../commands/access.js';
import { authorize } from '../../../commands/access.js';
import { DIMENSIONS, type Dimension } from '../../../projections/costs/cost-model.js';
import type { CostQueries } from '../../../projections/costs/cost-queries.js';
import type { AppEnv } from '../env.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { AnalyticsTimestamp } from '../../../schemas/primitives.js';

const TAG = /^tag:[^\u0000-\u001f,]{1,64}$/u;
/** Longest range one query may cover: a year of hourly rows is already 8,760 groups per key. */
const MAX_RANGE_MS = 366 * 86_400_000;

export function finopsRoutes(deps: { readonly access: AccessDeps; readonly costs: CostQueries }): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/v1/finops/costs', async (c) => {
    const errors: string[] = [];
    const raw = c.req.query('groupBy') ?? 'service';
    const groupBy = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const d of groupBy) {
      if (!(DIMENSIONS as readonly string[]).includes(d) && !TAG.test(d)) errors.push(`groupBy: unknown dimension ${JSON.stringify(d)}, expected ${DIMENSIONS.join(', ')} or tag:<key>`);
    }
    if (new Set(groupBy).size !== groupBy.length) errors.push('groupBy: a dimension is repeated');
    const time = (name: 'from' | 'to'): string | undefined => {
      const v = c.req.query(name);
      if (v === undefined) return void errors.push(`${name}: missing, expected an RFC 3339 time or a date (YYYY-MM-DD, UTC)`);
      // A date is its midnight in UTC; either way the one timestamp grammar decides, within what the usage table holds.
      const instant = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
      if (!AnalyticsTimestamp.is(instant)) return void errors.push(`${name}: expected an RFC 3339 time or a date (YYYY-MM-DD) in years 1900-2299, got ${JSON.stringify(v)}`);
      return new Date(instant).toISOString();
    };
    const from = time('from');
    const to = time('to');
    if (from !== undefined && to !== undefined) {
      if (Date.parse(to) <= Date.parse(from)) errors.push('to: must be later than from');
      else if (Date.parse(to) - Date.parse(from) > MAX_RANGE_MS) errors.push('to: the range may cover at most 366 days');
    }
    if (errors.length > 0) return sendProblem(c, problem('bad-query', errors.join('; '), { errors }));

    const principal = c.get('principal');
    const access = await authorize(
      deps.access,
      { principal, action: 'finops.read', actionGroups: ['read'], resource: { type: 'CostReport', id: 'costs', attributes: { tenant: principal.tenant } }, context: {} },
      requestInfo(c),
    );
    if (!access.allowed) return sendProblem(c, problemOf(access.failure));
    const report = await deps.costs.report(principal.tenant, { groupBy: groupBy as Dimension[], from: from!, to: to! });
    return c.json({ tenant: principal.tenant, ...report });
  });
}

// GET /v1/finops/costs: the token's tenant's costs in [from, to), grouped by any of service, team, meter,
// day, hour and tag:<key> (comma list), as exact decimal strings; shared pools apportioned per service.
// Declared from middleware: the query's codec (schemas/finops.ts), then finops.read on the tenant's report.
import { Hono } from 'hono';
import type { AccessDeps } from '../../../commands/access.js';
import type { CostQueries } from '../../../projections/costs/cost-queries.js';
import { CostsQuery } from '../../../schemas/finops.js';
import type { AppEnv } from '../env.js';
import { readAuthorization } from '../middleware/authorize.js';
import { validate } from '../middleware/validate.js';

export function finopsRoutes(deps: { readonly access: AccessDeps; readonly costs: CostQueries }): Hono<AppEnv> {
  const authorize = readAuthorization(deps.access);
  return new Hono<AppEnv>().get('/v1/finops/costs', validate('query', CostsQuery), authorize('finops.read', () => ({ type: 'CostReport', id: 'costs' })), async (c) => {
    const { from, to, groupBy = ['service'] } = c.req.valid('query');
    const tenant = c.get('principal').tenant;
    const report = await deps.costs.report(tenant, { groupBy, from, to });
    return c.json({ tenant, ...report });
  });
}

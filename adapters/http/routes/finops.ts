// GET /v1/finops/costs: the token's tenant's costs in [from, to), grouped by any of service, team, meter,
// day, hour and tag:<key> (comma list), as exact decimal strings; shared pools apportioned per service.
// GET /v1/finops/budget: the tenant's budget, a month's spend against it, the thresholds crossed and the
// anomalies recorded that month (commands/finops-budget.ts). Declared from middleware: the query's codec
// (schemas/finops.ts), then finops.read on the tenant's cost report, which both read.
import { Hono } from 'hono';
import type { AccessDeps } from '../../../commands/access.js';
import { budgetStatus } from '../../../commands/finops-budget.js';
import type { CostQueries } from '../../../projections/costs/cost-queries.js';
import { BudgetQuery, CostsQuery } from '../../../schemas/finops.js';
import type { AppEnv } from '../env.js';
import { readAuthorization } from '../middleware/authorize.js';
import { validate } from '../middleware/validate.js';
import { problem, sendProblem } from '../problem.js';

export function finopsRoutes(deps: { readonly access: AccessDeps; readonly costs: CostQueries }): Hono<AppEnv> {
  const authorize = readAuthorization(deps.access);
  const readCosts = authorize('finops.read', () => ({ type: 'CostReport', id: 'costs' }));
  return new Hono<AppEnv>()
    .get('/v1/finops/budget', validate('query', BudgetQuery), readCosts, async (c) => {
      const now = deps.access.clock();
      const current = now.toISOString().slice(0, 7);
      const period = c.req.valid('query').period ?? current;
      if (period > current) return sendProblem(c, problem('bad-query', `period: ${period} has not begun (this month is ${current})`, { errors: [`period: ${period} is after ${current}`] }));
      const tenant = c.get('principal').tenant;
      return c.json({ tenant, ...(await budgetStatus({ log: deps.access.log, costs: deps.costs }, tenant, period, now)) });
    })
    .get('/v1/finops/costs', validate('query', CostsQuery), readCosts, async (c) => {
      const { from, to, groupBy = ['service'] } = c.req.valid('query');
      const tenant = c.get('principal').tenant;
      const report = await deps.costs.report(tenant, { groupBy, from, to });
      return c.json({ tenant, ...report });
    });
}

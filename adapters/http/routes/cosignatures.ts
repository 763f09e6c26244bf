// Witness cosignatures over HTTP: POST /v1/ledger/checkpoints/cosignatures takes a checkpoint note a
// witness cosigned (commands/cosignatures.ts decides whether to keep it), and `cosignedCheckpoints` is the
// middleware that makes GET /v1/ledger/checkpoint (the latest note) and GET /v1/ledger/checkpoints (each
// listed note) serve the checkpoints with the cosignatures held for them: it rewrites their answers.
// Tenant from the token, as everywhere; authorized as ledger.verify (a read): the witness keys themselves
// are the operator's configuration, so posting one adds no trust a reader does not have.
import { Hono, type MiddlewareHandler } from 'hono';
import type { AccessDeps } from '../../../commands/access.js';
import { acceptCosignatures, withCosignatures, type CosignatureDeps } from '../../../commands/cosignatures.js';
import { CosignatureBody } from '../../../schemas/cosignatures.js';
import type { AppEnv } from '../env.js';
import { readAuthorization } from '../middleware/authorize.js';
import { limitBody } from '../middleware/body-limit.js';
import { jsonBody } from '../middleware/json-body.js';
import { validate } from '../middleware/validate.js';
import { problemOf, sendProblem } from '../problem.js';

export interface CosignatureRouteDeps extends CosignatureDeps {
  readonly access: AccessDeps;
}

export function cosignatureRoutes(deps: CosignatureRouteDeps): Hono<AppEnv> {
  const authorize = readAuthorization(deps.access);
  const theLedger = authorize('ledger.verify', (c) => ({ type: 'Ledger', id: (c as unknown as { get(k: 'principal'): { tenant: string } }).get('principal').tenant }));
  return new Hono<AppEnv>().post(
    '/v1/ledger/checkpoints/cosignatures',
    limitBody(32 * 1024, 'a cosigned checkpoint note'),
    jsonBody(),
    validate('json', CosignatureBody),
    theLedger,
    async (c) => {
      const outcome = await acceptCosignatures(deps, c.get('principal').tenant, c.req.valid('json').checkpoint);
      if ('code' in outcome) return sendProblem(c, problemOf(outcome));
      return c.json(outcome, 201);
    },
  );
}

/**
 * After GET /v1/ledger/checkpoint answered a note, the same note with the witness lines held for it; after
 * GET /v1/ledger/checkpoints answered a list, each note so.
 */
export const cosignedCheckpoints = (deps: Pick<CosignatureDeps, 'store'>): MiddlewareHandler<AppEnv> => async (c, next) => {
  await next();
  if (c.req.method !== 'GET' || c.res.status !== 200) return;
  const tenant = c.get('principal').tenant;
  if (c.req.path === '/v1/ledger/checkpoint') {
    const note = await c.res.clone().text();
    const [served] = await withCosignatures(deps.store, tenant, [note]);
    if (served !== note) c.res = new Response(served, { status: 200, headers: c.res.headers });
    return;
  }
  const list = (await c.res.clone().json()) as { checkpoints: { note: string }[] };
  const served = await withCosignatures(deps.store, tenant, list.checkpoints.map((p) => p.note));
  if (served.every((note, i) => note === list.checkpoints[i]!.note)) return;
  const body = { ...list, checkpoints: list.checkpoints.map((p, i) => ({ ...p, note: served[i]! })) };
  c.res = new Response(JSON.stringify(body), { status: 200, headers: c.res.headers });
};

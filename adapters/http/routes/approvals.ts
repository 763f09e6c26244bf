// The two-person rule over HTTP (commands/approvals.ts): POST /v1/approvals proposes a dual-control command
// (202, nothing executes), GET /v1/approvals[?state=pending] and /v1/approvals/{id} read the tenant's
// proposals (approval.read), POST /v1/approvals/{id}/approve executes the command as the approver (201 with
// the command's result, 200 when it had run already), POST /v1/approvals/{id}/reject says no. The same
// through POST /v1/commands/{type}: a dual-control type answers 202 with the proposal, or executes one
// someone else proposed (routes/commands.ts).
import { Hono } from 'hono';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AccessDeps } from '../../../commands/access.js';
import type { Approvals } from '../../../commands/approvals.js';
import { ApprovalDecisionBody, ApprovalIdParam, ApprovalRejectBody, ApprovalRequest, ApprovalsQuery } from '../../../schemas/approval.js';
import type { AppEnv } from '../env.js';
import { decisionHeaders } from '../decision-headers.js';
import { limitBody } from '../middleware/body-limit.js';
import { jsonBody } from '../middleware/json-body.js';
import { readAuthorization } from '../middleware/authorize.js';
import { validate } from '../middleware/validate.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { MAX_BODY_BYTES } from './commands.js';

/** An approval's or a rejection's body is a reason at most. */
const DECISION_BODY_BYTES = 16 * 1024;

export interface ApprovalRouteDeps {
  readonly access: AccessDeps;
  readonly approvals: Approvals;
}

export function approvalRoutes(deps: ApprovalRouteDeps): Hono<AppEnv> {
  const authorize = readAuthorization(deps.access);
  const theApprovals = (c: { get(key: 'principal'): { tenant: string } }) => ({ type: 'Approval', id: c.get('principal').tenant });
  return new Hono<AppEnv>()
    .post('/v1/approvals', limitBody(MAX_BODY_BYTES, 'an approval request'), jsonBody({ what: 'the approval request' }), validate('json', ApprovalRequest), async (c) => {
      const proposed = await deps.approvals.propose(c.get('principal'), c.req.valid('json'), requestInfo(c));
      if (isLeft(proposed)) return sendProblem(c, problemOf(proposed.left));
      c.header('location', `/v1/approvals/${proposed.right.id}`);
      return c.json({ approval: proposed.right }, 202);
    })
    .get('/v1/approvals', validate('query', ApprovalsQuery), authorize('approval.read', theApprovals), async (c) => {
      const { state } = c.req.valid('query');
      return c.json({ approvals: await deps.approvals.list(c.get('principal').tenant, state) });
    })
    .get('/v1/approvals/:id', validate('param', ApprovalIdParam), authorize('approval.read', theApprovals), async (c) => {
      const found = await deps.approvals.get(c.get('principal').tenant, c.req.valid('param').id);
      if (found === undefined) return sendProblem(c, problem('not-found', `no approval ${c.req.valid('param').id} in this tenant`));
      return c.json({ approval: found });
    })
    .post('/v1/approvals/:id/approve', limitBody(DECISION_BODY_BYTES, 'an approval'), validate('param', ApprovalIdParam), jsonBody({ what: 'the approval', emptyAs: {} }), validate('json', ApprovalDecisionBody), async (c) => {
      const { reason } = c.req.valid('json');
      const approved = await deps.approvals.approve(c.get('principal'), c.req.valid('param').id, reason, requestInfo(c));
      if (isLeft(approved)) return sendProblem(c, problemOf(approved.left));
      const { outcome } = approved.right;
      decisionHeaders(c, outcome.body.decision);
      return c.json(outcome.body, outcome.kind === 'appended' ? 201 : 200);
    })
    .post('/v1/approvals/:id/reject', limitBody(DECISION_BODY_BYTES, 'a rejection'), validate('param', ApprovalIdParam), jsonBody({ what: 'the rejection' }), validate('json', ApprovalRejectBody), async (c) => {
      const rejected = await deps.approvals.reject(c.get('principal'), c.req.valid('param').id, c.req.valid('json').reason, requestInfo(c));
      if (isLeft(rejected)) return sendProblem(c, problemOf(rejected.left));
      return c.json({ approval: rejected.right });
    });
}

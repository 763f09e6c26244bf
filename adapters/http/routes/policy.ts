// The tenant's policy set over HTTP: GET /v1/policy (the version this process decides under, its text,
// and the stream's history of proposals and publications), GET /v1/policy/versions/{v} (one version's
// text, by ordinal or SHA-256), and POST /v1/policy/preflight (what a command would get now, nothing
// appended). Changes go through POST /v1/commands/policy.set.propose and policy.set.publish.
// POST /v1/policy/what-if {version}: the tenant's recorded decisions asked again of one of its versions (a
// proposal, typically), the ones that would flip grouped by action and policy (commands/policy-what-if.ts).
// It discloses every actor's decisions, as the audit index does, so it is authorized as audit.read (admins).
import { Hono } from 'hono';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AccessDeps } from '../../../commands/access.js';
import { bodyOf } from '../../../commands/folded-streams.js';
import type { CommandPipeline } from '../../../commands/pipeline.js';
import { policyChanges } from '../../cedar/policy-set.js';
import { foldPolicySet, inForce, policyStream, type PolicySetState, type PolicyVersion } from '../../../domain/index.js';
import { whatIf } from '../../../commands/policy-what-if.js';
import { PolicyPreflight, PolicyVersionParam, PolicyWhatIf, WHAT_IF_MAX_EVENTS } from '../../../schemas/policy.js';
import type { AppEnv } from '../env.js';
import { limitBody } from '../middleware/body-limit.js';
import { jsonBody } from '../middleware/json-body.js';
import { readAuthorization } from '../middleware/authorize.js';
import { validate } from '../middleware/validate.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { MAX_BODY_BYTES } from './commands.js';

/** What this process decides a tenant's requests under (adapters/cedar/tenant-policies.ts). */
export interface PoliciesInForce {
  inForce(tenant: string): { readonly version: string; readonly ordinal: number; readonly text: string; readonly position: bigint | undefined };
}

export interface PolicyRouteDeps {
  readonly access: AccessDeps;
  readonly pipeline: CommandPipeline;
  readonly policies: PoliciesInForce;
}

const summary = (v: PolicyVersion) => ({
  ordinal: v.ordinal,
  version: v.version,
  status: v.status,
  author: v.author,
  reason: v.reason,
  ...(v.approver === undefined ? {} : { approver: v.approver }),
});

export function policyRoutes(deps: PolicyRouteDeps): Hono<AppEnv> {
  const authorize = readAuthorization(deps.access);
  const authorizeAudit = readAuthorization(deps.access, ['audit', 'read']);
  const theIndex = (c: { get(key: 'principal'): { tenant: string } }) => ({ type: 'AuditIndex', id: c.get('principal').tenant });
  const thePolicySet = () => ({ type: 'PolicySet', id: 'policy' });
  const history = async (tenant: string): Promise<PolicySetState> => {
    const folded = foldPolicySet((await deps.access.log.readStream(policyStream(tenant))).map(bodyOf));
    if (isLeft(folded)) throw new Error(`${policyStream(tenant)}: ${folded.left.join('; ')}`);
    return folded.right;
  };
  return new Hono<AppEnv>()
    .get('/v1/policy', authorize('policy.read', thePolicySet), async (c) => {
      const tenant = c.get('principal').tenant;
      const here = deps.policies.inForce(tenant);
      const state = await history(tenant);
      return c.json({
        tenant,
        version: here.version,
        ordinal: here.ordinal,
        ...(here.position === undefined ? {} : { publishedAt: String(here.position) }),
        text: here.text,
        history: state.versions.map(summary),
      });
    })
    .get('/v1/policy/versions/:v', validate('param', PolicyVersionParam), authorize('policy.read', thePolicySet), async (c) => {
      const tenant = c.get('principal').tenant;
      const { v } = c.req.valid('param');
      const state = await history(tenant);
      const byOrdinal = /^\d+$/.test(v);
      const found = [...state.versions].reverse().find((x) => (byOrdinal ? x.ordinal === Number(v) : x.version === v));
      if (found !== undefined) {
        // What it alters: against the version it replaced, or (still proposed) against the one in force.
        const against = found.status === 'proposed' ? inForce(state) : state.versions.find((x) => x.version === found.replaced);
        const changes = against === undefined ? {} : { changes: { against: against.version, ...policyChanges(against.text, found.text) } };
        return c.json({ ...summary(found), ...(found.replaced === undefined ? {} : { replaced: found.replaced }), ...changes, text: found.text });
      }
      // Before the tenant's first change its stream is empty and the default set, version 1, is in force.
      const here = deps.policies.inForce(tenant);
      if (state.versions.length === 0 && (byOrdinal ? v === '1' : v === here.version)) {
        return c.json({ ordinal: 1, version: here.version, status: 'published', author: 'system', reason: 'the default policy set', text: here.text });
      }
      return sendProblem(c, problem('not-found', `the tenant's policy has no version ${v}`));
    })
    // Reading the policy (policy.read) is what lets a caller ask how it decides.
    .post('/v1/policy/preflight', limitBody(MAX_BODY_BYTES, 'a preflight body'), jsonBody({ what: 'the preflight' }), validate('json', PolicyPreflight), authorize('policy.read', thePolicySet), async (c) => {
      const { type, body } = c.req.valid('json');
      const answer = await deps.pipeline.preflight(type, body, c.get('principal'), requestInfo(c));
      if (isLeft(answer)) return sendProblem(c, problemOf(answer.left));
      return c.json(answer.right);
    })
    .post('/v1/policy/what-if', limitBody(MAX_BODY_BYTES, 'a what-if body'), jsonBody({ what: 'the what-if' }), validate('json', PolicyWhatIf), authorizeAudit('audit.read', theIndex), async (c) => {
      const tenant = c.get('principal').tenant;
      const q = c.req.valid('json');
      if (q.from !== undefined && q.to !== undefined && Date.parse(q.to) < Date.parse(q.from)) {
        return sendProblem(c, problem('validation', `to (${q.to}) is before from (${q.from})`));
      }
      const state = await history(tenant);
      const byOrdinal = /^\d+$/.test(q.version);
      const found = [...state.versions].reverse().find((x) => (byOrdinal ? x.ordinal === Number(q.version) : x.version === q.version));
      const here = deps.policies.inForce(tenant);
      const text = found?.text ?? (state.versions.length === 0 && (byOrdinal ? q.version === '1' : q.version === here.version) ? here.text : undefined);
      if (text === undefined) return sendProblem(c, problem('not-found', `the tenant's policy has no version ${q.version}`));
      const report = await whatIf(deps.access.log, text, {
        tenant,
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
        ...(q.after === undefined ? {} : { after: BigInt(q.after) }),
        maxEvents: q.limit ?? WHAT_IF_MAX_EVENTS,
      });
      return c.json({ version: q.version, ...report });
    });
}

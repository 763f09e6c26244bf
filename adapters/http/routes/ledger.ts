// Reading and verifying the log: a stream's sealed events (paged) and the integrity verification
// endpoint. Both are privileged reads: authorized by policy, denials recorded.
import { Hono } from 'hono';
import { isLeft } from 'fp-ts/lib/Either.js';
import { authorize, type AccessDeps } from '../../../commands/access.js';
import { verifyLog } from '../../../commands/verify-log.js';
import { verifyTenant as verifyTenantFromOneRead } from '../../../commands/verify-tenant.js';
import { TrustedCheckpointBody } from '../../../schemas/ledger-proofs.js';
import { limitBody } from '../middleware/body-limit.js';
import { jsonBody } from '../middleware/json-body.js';
import { fromRecordedEvent } from '../../../ledger/index.js';
import { LedgerVerifyQuery, STREAM_PAGE_DEFAULT_LIMIT, StreamPageQuery } from '../../../schemas/ledger-queries.js';
import { StreamName, parseStream } from '../../../schemas/streams.js';
import type { AppEnv } from '../env.js';
import { validate } from '../middleware/validate.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';
import { decisionHeaders } from '../decision-headers.js';
import { highestTier } from '../../../schemas/privacy-tiers.js';

/** A stream name no stream can have (a control character, a NUL from `%00`): 400, not a query. */
const badStream = (stream: string) =>
  problem('bad-stream', `expected ${StreamName.name}, got ${JSON.stringify(stream.slice(0, 100))}`);

/** What completeness needs: the log's origin (its checkpoints' note key name); absent, verification checks chains only. */
export interface LedgerTreeOptions {
  readonly logOrigin: string;
}

export function ledgerRoutes(deps: AccessDeps, tree?: LedgerTreeOptions): Hono<AppEnv> {
  /** The tenant's chains, and with the tree its checkpoints (and the client's, if given): one report, ok only if both hold. */
  const verifyTenant = async (tenant: string, trustedCheckpoint?: string) => {
    if (tree === undefined) {
      const report = await verifyLog(deps.log, deps.keyring, { tenant });
      return { ok: report.failures.length === 0, ...report };
    }
    // Chains and tree from one read of the tenant's log.
    const { chains: report, tree: treeReport } = await verifyTenantFromOneRead(deps.log, deps.keyring, tenant, tree.logOrigin, trustedCheckpoint === undefined ? {} : { trustedCheckpoint });
    return { ok: report.failures.length === 0 && treeReport.failures.length === 0, ...report, tree: treeReport };
  };
  const theLedger = (c: { get(key: 'principal'): AppEnv['Variables']['principal'] }) => c.get('principal').tenant;
  return new Hono<AppEnv>()
    .get('/v1/streams/:stream{.+}', validate('query', StreamPageQuery), async (c) => {
      const stream = c.req.param('stream');
      if (!StreamName.is(stream)) return sendProblem(c, badStream(stream));
      const query = c.req.valid('query');
      const parsed = parseStream(stream);
      if (parsed === undefined) return sendProblem(c, problem('stream-not-found', `no stream named ${stream}`));
      const limit = query.limit ?? STREAM_PAGE_DEFAULT_LIMIT;
      const fromRevision = query.fromRevision ?? 0n;
      // Read first, answer only once allowed: the page's highest privacy tier is the resource's, so a page
      // of personal data needs a declared purpose (policy personal-data-purpose).
      const page = await deps.log.readStream(stream, { fromRevision, maxCount: limit + 1 });
      const sealedPage = page.slice(0, limit).map((r) => fromRecordedEvent(r));
      const privacyTier = highestTier(sealedPage.flatMap((e) => (isLeft(e) ? [] : [e.right.meta.privacyTier])));
      const info = requestInfo(c);
      const access = await authorize(
        deps,
        {
          principal: c.get('principal'),
          action: 'stream.read',
          actionGroups: ['read'],
          resource: { type: 'Stream', id: stream, attributes: { tenant: parsed.tenant, ...(privacyTier !== undefined ? { privacyTier } : {}) } },
          context: info.context,
        },
        info,
      );
      if (!access.allowed) return sendProblem(c, problemOf(access.failure));
      decisionHeaders(c, access.decision);
      if (page.length === 0 && fromRevision === 0n) {
        return sendProblem(c, problem('stream-not-found', `no stream named ${stream}`));
      }
      const events = page.slice(0, limit).map((r, i) => {
        const sealed = sealedPage[i]!;
        // A stored event that no longer decodes is shown as stored; verification names the damage.
        return isLeft(sealed) ? { id: r.id, stream: r.stream, revision: Number(r.revision), type: r.type, data: r.data, metadata: r.metadata } : sealed.right;
      });
      const next = page.length > limit ? page[limit]!.revision : undefined;
      return c.json({
        stream,
        events: events.map((e, i) => ({ position: String(page[i]!.position), ...e })),
        ...(next !== undefined ? { nextRevision: Number(next), next: `/v1/streams/${encodeURIComponent(stream)}?fromRevision=${next}&limit=${limit}` } : {}),
      });
    })
    .get('/v1/ledger/verify', validate('query', LedgerVerifyQuery), async (c) => {
      const principal = c.get('principal');
      const { stream } = c.req.valid('query');
      if (stream !== undefined && !StreamName.is(stream)) return sendProblem(c, badStream(stream));
      const tenant = stream === undefined ? principal.tenant : parseStream(stream)?.tenant;
      if (tenant === undefined) return sendProblem(c, problem('stream-not-found', `no stream named ${stream}`));
      const info = requestInfo(c);
      const access = await authorize(
        deps,
        {
          principal,
          action: 'ledger.verify',
          actionGroups: ['read'],
          resource: { type: stream === undefined ? 'Ledger' : 'Stream', id: stream ?? tenant, attributes: { tenant } },
          context: info.context,
        },
        info,
      );
      if (!access.allowed) return sendProblem(c, problemOf(access.failure));
      decisionHeaders(c, access.decision);
      if (stream === undefined) return c.json(await verifyTenant(tenant));
      const report = await verifyLog(deps.log, deps.keyring, { tenant, stream });
      if (stream !== undefined && report.eventsChecked === 0) {
        return sendProblem(c, problem('stream-not-found', `no stream named ${stream}`));
      }
      return c.json({ ok: report.failures.length === 0, ...report });
    })
    // The same for the whole tenant, and proves the log still holds exactly what a checkpoint the client kept committed to.
    .post('/v1/ledger/verify', limitBody(16 * 1024, 'a checkpoint note'), jsonBody(), validate('json', TrustedCheckpointBody), async (c) => {
      const tenant = theLedger(c);
      const info = requestInfo(c);
      const access = await authorize(
        deps,
        { principal: c.get('principal'), action: 'ledger.verify', actionGroups: ['read'], resource: { type: 'Ledger', id: tenant, attributes: { tenant } }, context: info.context },
        info,
      );
      if (!access.allowed) return sendProblem(c, problemOf(access.failure));
      decisionHeaders(c, access.decision);
      if (tree === undefined) return sendProblem(c, problem('not-found', 'this server keeps no tenant trees'));
      return c.json(await verifyTenant(tenant, c.req.valid('json').checkpoint));
    });
}

// Evidence for people (the audit portal): the same evidence the ledger routes serve, each answer recorded
// as a sealed `evidence.accessed` event before it is sent (commands/evidence-access.ts).
//   GET /v1/evidence/checkpoint          the tenant's latest checkpoint (note with witness lines, size, root)
//   GET /v1/evidence/events/{eventId}    a sealed event, its decision, and its receipt once a checkpoint covers it
//   GET /v1/evidence/receipts/{eventId}  the receipt as a file to keep (a download)
// Tenant from the token only. A checkpoint is a ledger.verify read of the Ledger; an event or its receipt
// discloses the event, so it is a stream.read of its stream with the event's privacy tier (personal data
// needs a declared purpose, as on GET /v1/streams).
import { Hono, type Context } from 'hono';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AccessDeps } from '../../../commands/access.js';
import type { AuthorizationRequest } from '../../../commands/authorizer.js';
import { withCosignatures, type CosignatureDeps } from '../../../commands/cosignatures.js';
import { accessEvidence, type EvidenceHow, type EvidenceItem } from '../../../commands/evidence-access.js';
import { Refusal } from '../../../commands/failure.js';
import { receiptOf, type ReceiptDeps } from '../../../commands/receipts.js';
import { toBase64 } from '../../../ledger/bytes.js';
import { fromRecordedEvent } from '../../../ledger/index.js';
import type { TreeQueries } from '../../../projections/tree/tree-queries.js';
import { ReceiptPath } from '../../../schemas/ledger-proofs.js';
import type { SealedEvent } from '../../../schemas/sealed-event.js';
import { tenantStreamPrefix } from '../../../schemas/streams.js';
import type { AppEnv } from '../env.js';
import { validate } from '../middleware/validate.js';
import { problem, problemOf, sendProblem } from '../problem.js';
import { requestInfo } from '../request-info.js';

export interface EvidenceRouteDeps {
  readonly access: AccessDeps;
  readonly trees: TreeQueries;
  readonly logOrigin: string;
  /** Witness cosignatures, added to the checkpoint's note as GET /v1/ledger/checkpoint adds them. */
  readonly cosignatures?: Pick<CosignatureDeps, 'store'>;
}

export function evidenceRoutes(deps: EvidenceRouteDeps): Hono<AppEnv> {
  const receipts: ReceiptDeps = { log: deps.access.log, trees: deps.trees, keyring: deps.access.keyring, logOrigin: deps.logOrigin };

  /** Authorizes and records; a Response when refused. */
  const record = async (c: Context<AppEnv>, asked: Omit<AuthorizationRequest, 'principal' | 'context'>, how: EvidenceHow, what: EvidenceItem) => {
    const info = requestInfo(c);
    const answer = await accessEvidence(deps.access, { ...asked, principal: c.get('principal'), context: info.context }, info, how, what);
    if (!answer.allowed) return sendProblem(c, problemOf(answer.failure));
    c.header('companyos-access-event', answer.accessEventId);
    return answer.accessEventId;
  };

  /** The tenant's sealed event by id (through its leaf in the tenant's tree), or a 404 problem. */
  const eventOf = async (c: Context<AppEnv>, eventId: string): Promise<SealedEvent | Response> => {
    const tenant = c.get('principal').tenant;
    const leaf = await deps.trees.leaf(tenant, eventId);
    const notFound = () => sendProblem(c, problem('not-found', `no event ${eventId} in this tenant's log (an event just written joins the tree within moments)`));
    if (leaf === undefined) return notFound();
    const [record] = await deps.access.log.readAll({ after: leaf.position - 1n, maxCount: 1, filter: { streamPrefixes: [tenantStreamPrefix(tenant)] } });
    if (record === undefined || record.id !== eventId) return notFound();
    const sealed = fromRecordedEvent(record);
    if (isLeft(sealed)) return sendProblem(c, problem('not-found', `event ${eventId} no longer decodes: companyos verify names the damage`));
    return sealed.right;
  };

  const readOfEvent = (event: SealedEvent) => ({
    action: 'stream.read',
    actionGroups: ['read'],
    resource: { type: 'Stream', id: event.stream, attributes: { tenant: event.tenant, ...(event.meta.privacyTier === undefined ? {} : { privacyTier: event.meta.privacyTier }) } },
  });

  return new Hono<AppEnv>()
    .get('/v1/evidence/checkpoint', async (c) => {
      const tenant = c.get('principal').tenant;
      const latest = await deps.trees.latestCheckpoint(tenant);
      if (latest === undefined) return sendProblem(c, problem('not-anchored', 'no signed checkpoint of this tenant yet'));
      const recorded = await record(c, { action: 'ledger.verify', actionGroups: ['read'], resource: { type: 'Ledger', id: tenant, attributes: { tenant } } }, 'view', { kind: 'checkpoint', id: `${tenant}@${latest.treeSize}` });
      if (recorded instanceof Response) return recorded;
      const [note] = deps.cosignatures === undefined ? [latest.note] : await withCosignatures(deps.cosignatures.store, tenant, [latest.note]);
      c.header('cache-control', 'no-store');
      return c.json({ treeSize: latest.treeSize, rootHash: toBase64(latest.root), note, eventId: latest.eventId, accessEventId: recorded });
    })
    .get('/v1/evidence/events/:eventId', validate('param', ReceiptPath), async (c) => {
      const { eventId } = c.req.valid('param');
      const event = await eventOf(c, eventId);
      if (event instanceof Response) return event;
      const recorded = await record(c, readOfEvent(event), 'view', { kind: 'event', id: eventId });
      if (recorded instanceof Response) return recorded;
      let receipt;
      try {
        receipt = await receiptOf(receipts, c.get('principal').tenant, eventId);
      } catch (error) {
        // Not covered by a checkpoint yet: the event is shown, its receipt comes with the next checkpoint.
        if (!(error instanceof Refusal)) throw error;
      }
      c.header('cache-control', 'no-store');
      return c.json({ event, ...(receipt === undefined ? {} : { receipt }), accessEventId: recorded });
    })
    .get('/v1/evidence/receipts/:eventId', validate('param', ReceiptPath), async (c) => {
      const { eventId } = c.req.valid('param');
      const event = await eventOf(c, eventId);
      if (event instanceof Response) return event;
      // The receipt first: one not anchored yet (409) is no download, so nothing is recorded.
      const receipt = await receiptOf(receipts, c.get('principal').tenant, eventId);
      const recorded = await record(c, readOfEvent(event), 'download', { kind: 'receipt', id: eventId });
      if (recorded instanceof Response) return recorded;
      return c.body(`${JSON.stringify(receipt, null, 2)}\n`, 200, {
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="receipt-${eventId}.json"`,
        'cache-control': 'no-store',
      });
    });
}

// The tenant tree's read API: signed checkpoints (the latest as a C2SP note, and the list), RFC 9162
// inclusion and consistency proofs, and receipts (one, or NDJSON for a stream or a time range). Tenant from
// the token only; each route declares its parameters (validate) and its authorization (ledger.verify ∈
// read) as middleware, so a handler only reads. Sizes not reached yet are 404 tree-size-not-reached;
// an event no checkpoint covers yet has no receipt (409 not-anchored).
import { Hono } from 'hono';
import type { AccessDeps } from '../../../commands/access.js';
import type { CosignatureStore } from '../../read-store/cosignatures.js';
import { receiptOf, receiptsOf, type ReceiptDeps } from '../../../commands/receipts.js';
import { keyRotations } from '../../../commands/rotate-key.js';
import { toBase64 } from '../../../ledger/bytes.js';
import type { Hash } from '../../../ledger/merkle.js';
import { TreeRangeError, type StoredCheckpoint, type TreeQueries } from '../../../projections/tree/tree-queries.js';
import {
  CHECKPOINTS_DEFAULT_LIMIT, CheckpointsQuery, ConsistencyProofQuery, InclusionProofQuery, RECEIPTS_DEFAULT_LIMIT, ReceiptPath, ReceiptsQuery,
} from '../../../schemas/ledger-proofs.js';
import { parseStream } from '../../../schemas/streams.js';
import type { AppEnv } from '../env.js';
import { readAuthorization } from '../middleware/authorize.js';
import { validate } from '../middleware/validate.js';
import { problem, sendProblem, type Problem } from '../problem.js';

export interface LedgerProofDeps {
  readonly access: AccessDeps;
  readonly trees: TreeQueries;
  /** COMPANYOS_LOG_ORIGIN: the note key's name in receipts. */
  readonly logOrigin: string;
  /** Witness cosignatures: receipts' checkpoint notes carry the lines held for them. */
  readonly cosignatures?: CosignatureStore;
}

const checkpointView = (c: StoredCheckpoint) => ({
  treeSize: c.treeSize, rootHash: toBase64(c.root), note: c.note, keyId: c.keyId, eventId: c.eventId, position: String(c.position),
});

/** A proof of a size the tree has not reached: 404 naming it; anything else propagates. */
const unreached = (error: unknown): Problem => {
  if (error instanceof TreeRangeError) return problem('tree-size-not-reached', error.message);
  throw error;
};

const NDJSON = 'application/x-ndjson; charset=utf-8';

export function ledgerProofRoutes(deps: LedgerProofDeps): Hono<AppEnv> {
  const { trees } = deps;
  const receipts: ReceiptDeps = {
    log: deps.access.log, trees, keyring: deps.access.keyring, logOrigin: deps.logOrigin,
    ...(deps.cosignatures === undefined ? {} : { cosignatures: deps.cosignatures }),
    rotations: () => keyRotations(deps.access.log),
  };
  const authorize = readAuthorization(deps.access);
  const theLedger = authorize('ledger.verify', (c) => ({ type: 'Ledger', id: (c as unknown as { get(k: 'principal'): { tenant: string } }).get('principal').tenant }));
  const proofOf = async (work: () => Promise<Hash[]>): Promise<{ readonly hashes: string[] } | { readonly problem: Problem }> => {
    try {
      return { hashes: (await work()).map(toBase64) };
    } catch (error) {
      return { problem: unreached(error) };
    }
  };
  return new Hono<AppEnv>()
    .get('/v1/ledger/checkpoint', theLedger, async (c) => {
      const latest = await trees.latestCheckpoint(c.get('principal').tenant);
      if (latest === undefined) return sendProblem(c, problem('not-anchored', 'no signed checkpoint of this tenant yet'));
      return c.body(latest.note, 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    })
    .get('/v1/ledger/checkpoints', validate('query', CheckpointsQuery), theLedger, async (c) => {
      const q = c.req.valid('query');
      const limit = q.limit ?? CHECKPOINTS_DEFAULT_LIMIT;
      const rows = await trees.checkpoints(c.get('principal').tenant, q.fromSize ?? 0, limit + 1);
      const page = rows.slice(0, limit);
      const next = rows.length > limit ? rows[limit]!.treeSize : undefined;
      return c.json({
        checkpoints: page.map(checkpointView),
        ...(next === undefined ? {} : { next: `${c.req.path}?${new URLSearchParams({ fromSize: String(next), limit: String(limit) }).toString()}` }),
      });
    })
    .get('/v1/ledger/proofs/inclusion', validate('query', InclusionProofQuery), theLedger, async (c) => {
      const q = c.req.valid('query');
      const tenant = c.get('principal').tenant;
      const leaf = await trees.leaf(tenant, q.event);
      if (leaf === undefined) return sendProblem(c, problem('not-found', `no event ${q.event} in this tenant's tree`));
      const treeSize = q.treeSize ?? (await trees.latestCheckpoint(tenant))?.treeSize;
      if (treeSize === undefined) return sendProblem(c, problem('not-anchored', 'no signed checkpoint of this tenant yet: name a treeSize'));
      if (leaf.leafIndex >= treeSize) return sendProblem(c, problem('tree-size-not-reached', `event ${q.event} is leaf ${leaf.leafIndex}, not in the tree of size ${treeSize}`));
      const proof = await proofOf(() => trees.inclusionProof(tenant, leaf.leafIndex, treeSize));
      if ('problem' in proof) return sendProblem(c, proof.problem);
      const leafHash = toBase64(await trees.leafHashAt(tenant, leaf.leafIndex));
      return c.json({ leafIndex: leaf.leafIndex, treeSize, leafHash, hashes: proof.hashes });
    })
    .get('/v1/ledger/proofs/consistency', validate('query', ConsistencyProofQuery), theLedger, async (c) => {
      const { from, to } = c.req.valid('query');
      if (from > to) return sendProblem(c, problem('bad-query', `from (${from}) must not exceed to (${to})`));
      const proof = await proofOf(() => trees.consistencyProof(c.get('principal').tenant, from, to));
      if ('problem' in proof) return sendProblem(c, proof.problem);
      return c.json({ from, to, hashes: proof.hashes });
    })
    .get('/v1/ledger/receipts/:eventId', validate('param', ReceiptPath), theLedger, async (c) =>
      c.json(await receiptOf(receipts, c.get('principal').tenant, c.req.valid('param').eventId)),
    )
    .get('/v1/ledger/receipts', validate('query', ReceiptsQuery), theLedger, async (c) => {
      const q = c.req.valid('query');
      const tenant = c.get('principal').tenant;
      const byTime = q.from !== undefined || q.to !== undefined;
      if ((q.stream === undefined) === !byTime || (byTime && (q.from === undefined || q.to === undefined))) {
        return sendProblem(c, problem('bad-query', 'name either stream, or both from and to (a time range)'));
      }
      // Another tenant's stream reads as absent: the answer never tells which streams exist elsewhere.
      if (q.stream !== undefined && parseStream(q.stream)?.tenant !== tenant) return sendProblem(c, problem('stream-not-found', `no stream named ${q.stream}`));
      const selection = q.stream !== undefined ? { stream: q.stream } : { from: q.from!, to: q.to! };
      const batch = await receiptsOf(receipts, tenant, selection, q.limit ?? RECEIPTS_DEFAULT_LIMIT);
      const encoder = new TextEncoder();
      let at = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= batch.receipts.length) return controller.close();
          const chunk = batch.receipts.slice(at, at + 500);
          at += chunk.length;
          controller.enqueue(encoder.encode(chunk.map((r) => `${JSON.stringify(r)}\n`).join('')));
        },
      });
      return c.body(body, 200, {
        'content-type': NDJSON,
        'cache-control': 'no-store',
        'companyos-tree-size': String(batch.checkpoint.treeSize),
        'companyos-unanchored': String(batch.unanchored),
      });
    });
}

// The declared purpose in a receipt (issue 16 item 8): a command sent with X-Purpose seals it in its
// decision's input (meta.decision.input.context.purpose), so the event's receipt shows it and the offline
// verifier checks it with everything else; a receipt whose purpose was changed does not verify.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyReceipt } from '../../ledger/offline-verifier.js';
import { openReadModelBed, type ReadModelBed } from '../../test/read-model-bed.js';

const test = suite<{ bed: ReadModelBed }>('purpose in receipts', {} as { bed: ReadModelBed });
test.before(async (ctx) => {
  ctx.bed = await openReadModelBed({ COMPANYOS_LOG_ORIGIN: 'purpose.test' });
});
test.after(async (ctx) => ctx.bed.close());

test("a command's declared purpose is in its receipt, sealed: changing it breaks the receipt", async ({ bed }) => {
  const r = await bed.api.call('POST', '/v1/commands/graph.node.upsert', {
    token: bed.token,
    headers: { 'x-purpose': 'support-ticket:4711' },
    body: { id: 'svc:why', type: 'Service', region: 'us-east', attributes: {}, provenance: { sourceSystem: 'test', observedAt: '2026-01-01T00:00:00Z' } },
  });
  assert.is(r.status, 201, JSON.stringify(r.body));
  const eventId = r.body.events[0].id as string;
  await bed.project();
  const checkpointer = bed.api.system.startCheckpointer({ intervalMs: 3_600_000, lockRetryMs: 10 });
  const deadline = Date.now() + 10_000;
  while (!checkpointer.status().active && Date.now() < deadline) await new Promise((done) => setTimeout(done, 5));
  await checkpointer.checkpointNow();
  await bed.project();
  const noteKey = (await bed.api.call('GET', '/v1/ledger/keys')).body.keys[0].noteVerifier as string;
  const receipt = await bed.api.call('GET', `/v1/ledger/receipts/${eventId}`, { token: bed.token });
  assert.is(receipt.status, 200, JSON.stringify(receipt.body));
  assert.is(receipt.body.event.meta.decision.input.context.purpose, 'support-ticket:4711');
  const report = await verifyReceipt(receipt.body, { trustedKeys: [noteKey] });
  assert.ok(report.ok, report.problems.join('; '));
  const event = receipt.body.event;
  const input = event.meta.decision.input;
  const changed = { ...receipt.body, event: { ...event, meta: { ...event.meta, decision: { ...event.meta.decision, input: { ...input, context: { ...input.context, purpose: 'marketing' } } } } } };
  assert.not.ok((await verifyReceipt(changed, { trustedKeys: [noteKey] })).ok, 'a receipt with another purpose does not verify');
});

test.run();

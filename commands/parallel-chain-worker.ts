// One worker of ParallelChainVerifier (commands/parallel-chain-verifier.ts): rebuilds the key chain from the
// anchors and rotations it is given, runs ledger/verify.ts's ChainVerifier over the streams dealt to it, and
// answers its report with each failure's place in what it was fed.
import { isLeft } from 'fp-ts/lib/Either.js';
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordedEvent } from '../adapters/event-log/index.js';
import { ChainVerifier, fromRecordedEvent, KeyChain, Keyring } from '../ledger/index.js';
import { KEY_ROTATED_EVENT_TYPE } from '../schemas/key-rotation-event.js';
import type { ChainWorkerInit, ChainWorkerMessage, ChainWorkerResult } from './parallel-chain-verifier.js';

const init = workerData as ChainWorkerInit;
const chain = new KeyChain(init.anchors.map((a) => ({ keyId: a.keyId, publicKey: new Uint8Array(a.publicKey) })));
for (const r of init.rotations) {
  const sealed = fromRecordedEvent(r);
  if (!isLeft(sealed) && sealed.right.type === KEY_ROTATED_EVENT_TYPE) chain.follow(sealed.right);
}
// With a key chain, ChainVerifier uses the chain's keys and not this keyring.
const verifier = new ChainVerifier(new Keyring([]), chain);
const fed: { id: string; stream: string; revision: bigint }[] = [];

parentPort!.on('message', (message: ChainWorkerMessage) => {
  if ('batch' in message) {
    for (const r of message.batch as readonly RecordedEvent[]) {
      fed.push({ id: r.id, stream: r.stream, revision: r.revision });
      verifier.add(r);
    }
    return;
  }
  const report = verifier.finish();
  // Failures are a subsequence of what was fed, in its order: walk both to find each one's place.
  const failures: ChainWorkerResult['failures'][number][] = [];
  let at = 0;
  for (const failure of report.failures) {
    while (at < fed.length && !(fed[at]!.id === failure.eventId && fed[at]!.stream === failure.stream && Number(fed[at]!.revision) === failure.revision)) at++;
    failures.push({ at, failure });
    at++;
  }
  parentPort!.postMessage({ eventsChecked: report.eventsChecked, streamsChecked: report.streamsChecked, failures } satisfies ChainWorkerResult);
});

// One worker of ParallelChainVerifier (commands/parallel-chain-verifier.ts): rebuilds the key chain from the
// anchors and rotations it is given, and runs each event's own checks (ledger/verify.ts checkEvent: decode,
// hash, key chain, signature) on the batches it is sent, answering each batch's checks in its order. The
// links between events are judged by the verifier, in log order. It imports the modules it runs, not the
// ledger's index: it is bundled into one script (commands/chain-worker-script.ts, bin/build.js), and what
// it imports is what each worker parses at its start.
import { isLeft } from 'fp-ts/lib/Either.js';
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordedEvent } from '../adapters/event-log/index.js';
import { KeyChain } from '../ledger/key-chain.js';
import { fromRecordedEvent } from '../ledger/log-codec.js';
import { checkEvent, type EventCheck } from '../ledger/verify.js';
import { KEY_ROTATED_EVENT_TYPE } from '../schemas/key-rotation-event.js';
import { recordedFromWire, type ChainWorkerInit, type ChainWorkerMessage, type ChainWorkerResult } from './parallel-chain-wire.js';

const init = workerData as ChainWorkerInit;
const chain = new KeyChain(init.anchors.map((a) => ({ keyId: a.keyId, publicKey: new Uint8Array(a.publicKey) })));
for (const r of init.rotations) {
  const sealed = fromRecordedEvent(r);
  if (!isLeft(sealed) && sealed.right.type === KEY_ROTATED_EVENT_TYPE) chain.follow(sealed.right);
}
// With a key chain, only the chain's keys verify.
const keyring = chain.keyring();

parentPort!.on('message', (message: ChainWorkerMessage) => {
  const checks: EventCheck[] = message.events.map((w) => checkEvent(recordedFromWire(w) as RecordedEvent, keyring, chain));
  parentPort!.postMessage({ seq: message.seq, checks } satisfies ChainWorkerResult);
});

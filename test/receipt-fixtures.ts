// Receipts as the server will hand them out, built from the real sealing code: a tenant's events in log
// order, its Merkle tree, a checkpoint note signed with the test key, one receipt per event. Shared by the
// offline verifier's tests, the Go interop test and bench:ledger.
import { sign } from 'node:crypto';
import type { Receipt } from '../schemas/receipt.js';
import type { SealedEvent } from '../schemas/sealed-event.js';
import { toBase64 } from '../ledger/bytes.js';
import { formatCheckpoint } from '../ledger/checkpoint-note.js';
import type { SigningKey } from '../ledger/keyring.js';
import { assembleProof, CompactRange, inclusionProofPlan, leafHash, type Hash, type Subtree } from '../ledger/merkle.js';
import { ED25519_NOTE, ed25519NoteSigner, signNote, verifierString } from '../ledger/signed-note.js';
import { makeChain, testSigningKey } from './test-events.js';

export const TEST_LOG_ORIGIN = 'ledger.test';

export interface ReceiptFixture {
  readonly origin: string;
  readonly key: SigningKey;
  /** The log key's C2SP verifier string. */
  readonly verifierKey: string;
  readonly events: readonly SealedEvent[];
  readonly root: Hash;
  readonly checkpoint: string;
  readonly receipts: readonly Receipt[];
  /** Every perfect subtree, as a store would hold them. */
  readonly lookup: (s: Subtree) => Hash;
  readonly signCheckpoint: (size: number, root: Hash) => string;
}

/** `streams` streams of `perStream` events each for tenant acme, interleaved in log order. */
export function receiptFixture(streams = 3, perStream = 4, key: SigningKey = testSigningKey()): ReceiptFixture {
  const chains = Array.from({ length: streams }, (_, s) => makeChain(`acme/graph.node/n${s}`, perStream, key, s * perStream));
  const events: SealedEvent[] = [];
  for (let r = 0; r < perStream; r++) for (const chain of chains) events.push(chain[r]!);
  const origin = `${TEST_LOG_ORIGIN}/acme`;
  const signer = ed25519NoteSigner(origin, key.publicKey, (m) => sign(null, m, key.privateKey));
  const verifierKey = verifierString(origin, ED25519_NOTE, key.publicKey);
  const range = new CompactRange();
  const stored = new Map<string, Hash>();
  for (const e of events) {
    for (const c of range.append(leafHash(Buffer.from(e.hash, 'hex')))) stored.set(`${c.level}/${c.index}`, c.hash);
  }
  const lookup = (s: Subtree): Hash => stored.get(`${s.level}/${s.index}`)!;
  const root = range.root();
  const signCheckpoint = (size: number, r: Hash) => signNote(formatCheckpoint({ origin, size, root: r, extensions: [] }), [signer]);
  const checkpoint = signCheckpoint(events.length, root);
  const eventKey = { keyId: key.keyId, publicKey: toBase64(key.publicKey) };
  const receipts = events.map((event, leafIndex): Receipt => {
    const plan = inclusionProofPlan(leafIndex, events.length);
    return {
      event,
      leafIndex,
      treeSize: events.length,
      hashes: assembleProof(plan, plan.nodes.map(lookup)).map(toBase64),
      checkpoint,
      keys: { checkpoint: [verifierKey], events: [eventKey] },
    };
  });
  return { origin, key, verifierKey, events, root, checkpoint, receipts, lookup, signCheckpoint };
}

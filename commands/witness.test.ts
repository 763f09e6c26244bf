// The witness's judgement without a server (commands/witness.ts): a log server is a list of leaves and the
// log key (TEST_SEED), answering RFC 6962 roots and consistency proofs. The first checkpoint is accepted; a
// grown tree whose proof joins the roots is accepted; a smaller tree (rollback), another root at the same
// size, or a tree that rewrote a leaf the witness had accepted (fork) is refused naming the sizes; so are a
// checkpoint by another key and another tenant's; after a rotation, the new key counts only once pinned
// beside the old. A step keeps the accepted note before it posts anything, keeps it as the log signed it
// (other witnesses' lines dropped), and posts the witness's cosignature on it. And the state directory: a
// key file made 0600 and read back as the same key; one others can read refused.
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { utf8 } from '../ledger/bytes.js';
import { formatCheckpoint } from '../ledger/checkpoint-note.js';
import { emptyRoot, leafHash, nodeHash, type Hash } from '../ledger/merkle.js';
import { openCheckpointNote } from '../ledger/offline-verifier.js';
import { ED25519_NOTE, ed25519NoteSigner, signNote, verifierString } from '../ledger/signed-note.js';
import { OTHER_TEST_SEED, TEST_SEED } from '../test/test-events.js';
import { defaultKeyFile, loadWitnessKey, writeAtomically } from './witness-state.js';
import { ServerError } from './witness-client.js';
import { WitnessRefusal, judgeCheckpoint, witnessStep, type LogServer } from './witness.js';

const test = suite('witness');
const ORIGIN = 'log.test/acme';

// RFC 6962 §2.1 as the RFC reads.
const largestPowerBelow = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
const mth = (d: readonly Hash[]): Hash => (d.length === 0 ? emptyRoot() : d.length === 1 ? d[0]! : nodeHash(mth(d.slice(0, largestPowerBelow(d.length))), mth(d.slice(largestPowerBelow(d.length)))));
const subproof = (m: number, d: readonly Hash[], b: boolean): Hash[] => {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = largestPowerBelow(d.length);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
};

function logKey(seed: Uint8Array) {
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  return { verifier: verifierString('log.test', ED25519_NOTE, publicKey), signer: ed25519NoteSigner('log.test', publicKey, (m) => new Uint8Array(sign(null, m, key))) };
}

const LOG = logKey(TEST_SEED);
const leaves = (n: number, tag = 'event') => Array.from({ length: n }, (_, i) => leafHash(utf8(`${tag} ${i}`)));
const checkpointOf = (d: readonly Hash[], key = LOG, origin = ORIGIN) =>
  signNote(formatCheckpoint({ origin, size: d.length, root: mth(d), extensions: [] }), [key.signer]);

/** A log server over `d`; `posted` collects what the witness posts. */
function serverOf(d: readonly Hash[], posted: string[] = [], note = checkpointOf(d)): LogServer {
  return {
    latestCheckpoint: async () => note,
    consistencyProof: async (from, to) => subproof(from, d.slice(0, to), true).map((h) => Buffer.from(h).toString('base64')),
    postCosigned: async (n) => void posted.push(n),
  };
}

const refusal = async (work: Promise<unknown>): Promise<string> => {
  try {
    await work;
  } catch (error) {
    if (error instanceof WitnessRefusal) return error.message;
    throw error;
  }
  throw new Error('accepted what it should refuse');
};

test('the first checkpoint, then a larger tree that extends it, are accepted', async () => {
  const d = leaves(13);
  const first = await judgeCheckpoint(serverOf(d), [LOG.verifier], ORIGIN, checkpointOf(d.slice(0, 5)), undefined);
  assert.is(first.checkpoint.size, 5);
  for (const size of [5, 6, 8, 13]) {
    const next = await judgeCheckpoint(serverOf(d), [LOG.verifier], ORIGIN, checkpointOf(d.slice(0, size)), first.note);
    assert.is(next.checkpoint.size, size);
    assert.is(next.grew, size !== 5);
  }
});

test('a rollback, another root at the same size, and a rewritten history are refused naming the sizes', async () => {
  const d = leaves(13);
  const held = checkpointOf(d.slice(0, 8));
  assert.match(await refusal(judgeCheckpoint(serverOf(d), [LOG.verifier], ORIGIN, checkpointOf(d.slice(0, 6)), held)), /^log rolled back: had size 8 root \S+, server now says size 6 root \S+$/);
  const forked = [...d.slice(0, 3), leafHash(utf8('rewritten')), ...d.slice(4)];
  assert.match(await refusal(judgeCheckpoint(serverOf(forked), [LOG.verifier], ORIGIN, checkpointOf(forked.slice(0, 8)), held)), /^fork at size 8: had root \S+, server now says root \S+$/);
  // The forked server's own proof is consistent with its own history, not with the witness's.
  assert.match(
    await refusal(judgeCheckpoint(serverOf(forked), [LOG.verifier], ORIGIN, checkpointOf(forked), held)),
    /^fork at size 8: the consistency proof from size 8 to size 13 fails \(had root \S+, server now says size 13 root \S+\)$/,
  );
  const silent: LogServer = { ...serverOf(d), consistencyProof: async () => { throw new ServerError('404 tree-size-not-reached', 404); } };
  assert.match(await refusal(judgeCheckpoint(silent, [LOG.verifier], ORIGIN, checkpointOf(d), held)), /^no consistency proof from size 8 to size 13: 404/);
});

test('a checkpoint by another key, or of another log, is refused', async () => {
  const d = leaves(4);
  assert.match(await refusal(judgeCheckpoint(serverOf(d), [LOG.verifier], ORIGIN, checkpointOf(d, logKey(OTHER_TEST_SEED)), undefined)), /^checkpoint refused: no signature by a known key/);
  assert.match(await refusal(judgeCheckpoint(serverOf(d), [LOG.verifier], ORIGIN, checkpointOf(d, LOG, 'log.test/beta'), undefined)), /^checkpoint refused: checkpoint of log\.test\/beta, expected log\.test\/acme/);
});

test('after a rotation of the log key: refused until the new key is pinned beside the old, then accepted', async () => {
  const d = leaves(10);
  const NEXT = logKey(OTHER_TEST_SEED);
  const held = checkpointOf(d.slice(0, 6));
  const rotated = checkpointOf(d, NEXT);
  assert.match(await refusal(judgeCheckpoint(serverOf(d), [LOG.verifier], ORIGIN, rotated, held)), /^checkpoint refused: no signature by a known key/);
  // The new key alone cannot open what the witness kept: it refuses rather than forget its history.
  assert.match(await refusal(judgeCheckpoint(serverOf(d), [NEXT.verifier], ORIGIN, rotated, held)), /^the checkpoint in the state directory does not open with a pinned log key/);
  const next = await judgeCheckpoint(serverOf(d), [LOG.verifier, NEXT.verifier], ORIGIN, rotated, held);
  assert.is(next.checkpoint.size, 10);
  // …and still holds the new key's checkpoints to the old history.
  const forked = [leafHash(utf8('rewritten')), ...d.slice(1)];
  assert.match(await refusal(judgeCheckpoint(serverOf(forked), [LOG.verifier, NEXT.verifier], ORIGIN, checkpointOf(forked, NEXT), held)), /^fork at size 6: the consistency proof from size 6 to size 10 fails/);
});

test('a step keeps the log-signed note before posting, then posts its cosignature on it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'witness-step-'));
  try {
    const { key } = await loadWitnessKey(defaultKeyFile(dir), 'w.test');
    const other = (await loadWitnessKey(join(dir, 'other.json'), 'other.test')).key;
    const d = leaves(7);
    const withOther = signNote(formatCheckpoint({ origin: ORIGIN, size: 7, root: mth(d), extensions: [] }), [LOG.signer, other.signer]);
    const events: string[] = [];
    const server: LogServer = { ...serverOf(d, [], withOther), postCosigned: async () => void events.push('post') };
    const saved: string[] = [];
    const step = await witnessStep({ server, logKeys: [LOG.verifier], origin: ORIGIN, signer: key.signer, previous: undefined, save: async (n) => void (saved.push(n), events.push('save')) });
    assert.equal(events, ['save', 'post']);
    assert.not.match(saved[0]!, /other\.test/);
    assert.ok((await openCheckpointNote(saved[0]!, [LOG.verifier], ORIGIN)).ok);
    const cosigned = await openCheckpointNote(step.cosigned, [LOG.verifier, key.verifier], ORIGIN);
    assert.ok(cosigned.ok && cosigned.value.signedBy.length === 2);
    // A post that fails leaves the accepted checkpoint kept: a later rollback is still caught.
    const failing: LogServer = { ...serverOf(leaves(9)), postCosigned: async () => { throw new Error('403'); } };
    const kept: string[] = [];
    try {
      await witnessStep({ server: failing, logKeys: [LOG.verifier], origin: ORIGIN, signer: key.signer, previous: undefined, save: async (n) => void kept.push(n) });
      assert.unreachable();
    } catch (error) {
      assert.is((error as Error).message, '403');
    }
    assert.is(kept.length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the witness key: made 0600 on first use, read back as the same key; refused when others can read it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'witness-key-'));
  try {
    const file = defaultKeyFile(dir);
    const made = await loadWitnessKey(file, 'w.test');
    assert.ok(made.created);
    assert.match(made.key.verifier, /^w\.test\+[0-9a-f]{8}\+B[A-P]/);
    assert.is((await stat(file)).mode & 0o777, 0o600);
    const again = await loadWitnessKey(file, 'ignored.name');
    assert.not.ok(again.created);
    assert.is(again.key.verifier, made.key.verifier);
    await chmod(file, 0o644);
    try {
      await loadWitnessKey(file, 'w.test');
      assert.unreachable();
    } catch (error) {
      assert.match((error as Error).message, /others can read the witness key \(mode 644\)/);
    }
    await writeAtomically(join(dir, 'checkpoint'), 'one\n');
    await writeAtomically(join(dir, 'checkpoint'), 'two\n');
    assert.is(await readFile(join(dir, 'checkpoint'), 'utf8'), 'two\n');
    assert.equal((await readdir(dir)).sort(), ['checkpoint', 'witness-key.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();

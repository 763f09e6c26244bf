// Public surface of the ledger: canonical JSON, sealing, keyrings and verification of sealed events.
// Everything else in ledger/ is internal; import from here.
export { canonicalize, canonicalBytes } from './canonical-json.js';
export { SIGNING_DOMAIN, eventHash, sealEvent, signingMessage } from './seal.js';
export {
  Keyring,
  keyIdOf,
  publicKeyEntry,
  publishedKeys,
  seedOf,
  signingKeyFromSeed,
  type KeyEntry,
  type PublishedKey,
  type SigningKey,
} from './keyring.js';
export { decodeKeyringFile, encodeKeyringFile, KeyringFile, KeyringFileEntry } from './keyring-file.js';
export { ChainVerifier, checkEvent, verifyChain, verifyEvent, type ChainFailure, type ChainReport, type EventCheck } from './verify.js';
export { KeyChain, type ChainedKey, type TrustAnchor } from './key-chain.js';
export { envelopeOf, fromRecordedEvent, toEventDraft, type StoredEnvelope } from './log-codec.js';
// Tenant checkpoints (issue 14): pure modules, also what the offline verifier and a browser run.
export { fromBase64, fromHex, toBase64, toHex } from './bytes.js';
export { ed25519EncodingProblem, verifyEd25519 } from './ed25519.js';
export {
  assembleProof,
  CompactRange,
  consistencyProofPlan,
  emptyRoot,
  inclusionProofPlan,
  leafHash,
  leavesOf,
  nodeHash,
  rootOf,
  rootPlan,
  verifyConsistency,
  verifyInclusion,
  type CompletedSubtree,
  type Hash,
  type ProofPlan,
  type Subtree,
} from './merkle.js';
export {
  ED25519_NOTE,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatNote,
  noteKeyId,
  openNote,
  parseNote,
  parseVerifierString,
  signNote,
  verifierString,
  type Checked,
  type Note,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
} from './signed-note.js';
export { formatCheckpoint, openCheckpoint, parseCheckpoint, type Checkpoint, type OpenedCheckpoint } from './checkpoint-note.js';
export { COSIGNATURE_V1, cosignatureTime, cosignatureVerifier, cosignedMessage, cosigner } from './cosignature.js';
export { ReceiptVerifier, verifyReceipt, verifyReceipts, type ReceiptReport } from './offline-verifier.js';

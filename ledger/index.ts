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
export { ChainVerifier, verifyChain, verifyEvent, type ChainFailure, type ChainReport } from './verify.js';
export { envelopeOf, fromRecordedEvent, toEventDraft, type StoredEnvelope } from './log-codec.js';

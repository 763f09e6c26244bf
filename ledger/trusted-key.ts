// A key an operator pins out of band (COMPANYOS_TRUSTED_KEYS, `--trusted-key`), in any of the forms the
// ledger publishes it: the standard base64 of a raw Ed25519 public key, a key id `ed25519:<16 hex>` (the
// weaker pin: its public key must come from the keyring or the chain), or a C2SP note verifier string
// `<name>+<hex id>+<base64 key>` (what GET /v1/ledger/keys publishes and the witness's --log-key takes).
// One parser, so the CLI, the configuration and the verifiers accept the same spellings. Pure; no Node API.
import { fromBase64 } from './bytes.js';
import { ED25519_NOTE, parseVerifierString, type Checked } from './signed-note.js';

export type TrustedKey =
  /** A public key, given raw or as a note verifier string (then `verifier` is that string, name included). */
  | { readonly publicKey: Uint8Array; readonly verifier?: string }
  | { readonly keyId: string };

const KEY_ID = /^ed25519:[0-9a-f]{16}$/;
// Canonical base64 of 32 bytes: 43 characters, the last holding 2 bits, then one '='.
const PUBLIC_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** What one pinned key names, or why it names nothing: a verifier string must check out and be Ed25519. */
export function parseTrustedKey(text: string): Checked<TrustedKey> {
  if (PUBLIC_KEY.test(text)) return { ok: true, value: { publicKey: fromBase64(text)! } };
  if (KEY_ID.test(text)) return { ok: true, value: { keyId: text } };
  if (!text.includes('+')) {
    return { ok: false, reason: 'neither the base64 of a 32-byte public key, a key id ed25519:<16 hex>, nor a verifier key <name>+<hex id>+<base64 key>' };
  }
  const parsed = parseVerifierString(text);
  if (!parsed.ok) return parsed;
  if (parsed.value.type !== ED25519_NOTE || parsed.value.publicKey.length !== 32) {
    return { ok: false, reason: `verifier key ${parsed.value.name}: not an Ed25519 note key (type 0x${parsed.value.type.toString(16).padStart(2, '0')})` };
  }
  return { ok: true, value: { publicKey: parsed.value.publicKey, verifier: text } };
}

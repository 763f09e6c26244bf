// Who sent a GitHub webhook: the tenant whose configured secret signs the raw body
// (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`). GitHub sends no bearer token; the secret is the credential.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GithubWebhookSecret } from '../../schemas/config.js';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

export type SignatureCheck =
  | { readonly kind: 'verified'; readonly tenant: string; readonly region: string }
  | { readonly kind: 'missing' | 'malformed' | 'no-match' };

/**
 * Compares the signature with the HMAC under every configured secret in constant time, and without
 * stopping at the first match, so timing tells neither the secret nor which tenant's secret matched.
 */
export function verifyGithubSignature(rawBody: Uint8Array, header: string | undefined, secrets: readonly GithubWebhookSecret[]): SignatureCheck {
  if (header === undefined || header === '') return { kind: 'missing' };
  const m = SIGNATURE.exec(header.trim());
  if (m === null) return { kind: 'malformed' };
  const given = Buffer.from(m[1]!.toLowerCase(), 'hex');
  let match: GithubWebhookSecret | undefined;
  for (const s of secrets) {
    const expected = createHmac('sha256', s.secret).update(rawBody).digest();
    if (timingSafeEqual(expected, given) && match === undefined) match = s;
  }
  return match === undefined ? { kind: 'no-match' } : { kind: 'verified', tenant: match.tenant, region: match.region };
}

/** The signature GitHub would send for `rawBody` under `secret` (tests and tools). */
export const githubSignature = (rawBody: Uint8Array | string, secret: string): string =>
  `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;

// Event ids: random for plain commands, deterministic (UUID v5) when the client gives an idempotency key
// or the payload carries a natural key, so a repeated request maps onto the events it already wrote.
import { createHash } from 'node:crypto';

/** Namespace of CompanyOS Fabric's UUID v5 ids (itself a random v4, fixed forever). */
const NAMESPACE = Buffer.from('6f1c3a52d8e94b7f9a0e2c5b4d7e8f10', 'hex');

/** RFC 9562 UUID version 5 (SHA-1, name-based) in the given namespace. */
export function uuidV5(name: string, namespace: Uint8Array = NAMESPACE): string {
  const bytes = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Id of the `index`-th event written for a deduplication key within a tenant. */
export const dedupedEventId = (tenant: string, dedupeKey: string, index: number): string =>
  uuidV5(index === 0 ? `${tenant}\n${dedupeKey}` : `${tenant}\n${dedupeKey}\n${index}`);

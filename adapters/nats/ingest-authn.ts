// Who sent an ingest message. A bearer token in its `Authorization` header is verified like an HTTP
// request's, must name the subject's tenant, and makes the token's principal the actor (authn "jwt").
// Without one the actor is the ingest service, authenticated only by NATS account permissions on
// `ingest.<tenant>.>` — unless the ingest requires tokens, in which case the message is dead-lettered.
// No header names the actor: a `Companyos-Actor` header is ignored, whatever it claims.
import type { TokenVerifier } from '../auth/jwt.js';
import { HEADERS, describeError, type IngestDelivery, type Parsed } from './ingest-delivery.js';
import { causedByOutage } from './ingest-fault.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

export async function authenticateDelivery(parsed: Parsed, d: IngestDelivery, tokens: TokenVerifier | undefined, requireToken: boolean): Promise<Parsed> {
  if (parsed.kind === 'reject') return parsed;
  const header = d.header(HEADERS.authorization);
  if (header === undefined) {
    return requireToken ? reject(401, 'token-required', `this ingest requires a bearer token in the ${HEADERS.authorization} header`) : parsed;
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) return reject(401, 'bad-token', `${HEADERS.authorization} must be "Bearer <token>"`);
  if (tokens === undefined) return reject(401, 'bad-token', 'this ingest cannot verify tokens');
  let principal;
  try {
    principal = await tokens.verify(token);
  } catch (error) {
    // The key set could not be fetched (JWKS down, timed out): the token may well be good; ask again later.
    if (causedByOutage(error)) {
      return { kind: 'reject', status: 503, code: 'token-unverifiable', reason: `the bearer token could not be verified now: ${describeError(error)}`, transient: true };
    }
    return reject(401, 'bad-token', `the bearer token was not accepted: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (principal.tenant !== parsed.tenant) {
    return reject(403, 'tenant-mismatch', `the token is for tenant ${principal.tenant}, the subject for ${parsed.tenant}`);
  }
  return { ...parsed, principal };
}

const reject = (status: number, code: string, reason: string): Parsed => ({ kind: 'reject', status, code, reason });

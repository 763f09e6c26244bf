// Evidence access with a record: a view or a download of evidence (a sealed event with its decision, a
// receipt, a checkpoint) is authorized like any read (Cedar, deny by default, a denial sealed as
// access.denied) and, when allowed, sealed as `evidence.accessed` on the tenant's audit stream before the
// evidence is answered: who (the token's subject and roles), what, how, when, under which decision. The
// audit index lists it as evidence.view / evidence.download of `<kind>:<id>`, so the audit portal shows
// its own viewers. Only the routes under /v1/evidence record; the plain ledger routes a witness polls do
// not (a record per poll would grow the log it watches).
import type { AuthorizationRequest } from './authorizer.js';
import { authorize, sealOnAuditStream, type AccessDeps } from './access.js';
import type { RequestInfo } from './envelope.js';
import type { Failure } from './failure.js';

export type EvidenceHow = 'view' | 'download';

export interface EvidenceItem {
  /** `event` (a sealed event and its decision), `receipt`, `checkpoint`. */
  readonly kind: string;
  readonly id: string;
}

export type EvidenceAccess =
  | { readonly allowed: true; readonly accessEventId: string }
  | { readonly allowed: false; readonly failure: Failure };

/** Authorizes `asked` and, when allowed, seals who accessed `what` and how; the caller answers only then. */
export async function accessEvidence(deps: AccessDeps, asked: AuthorizationRequest, info: RequestInfo, how: EvidenceHow, what: EvidenceItem): Promise<EvidenceAccess> {
  const answer = await authorize(deps, asked, info);
  if (!answer.allowed) return answer;
  const { principal } = asked;
  const accessEventId = await sealOnAuditStream(deps, asked, info, answer.decision, `${how} of ${what.kind} ${what.id}`, {
    type: 'evidence.accessed',
    schemaVersion: 1,
    data: {
      how,
      what: { kind: what.kind, id: what.id },
      action: asked.action,
      resource: { type: asked.resource.type, id: asked.resource.id },
      principal: { id: principal.id, roles: [...principal.roles] },
    },
  });
  return { allowed: true, accessEventId };
}

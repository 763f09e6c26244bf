// Errors: one closed catalogue of codes, each with its HTTP status and title written once, so that
// deciders, the application layer (commands/) and the HTTP edge share one shape of failure and the
// HTTP layer renders any of them as an RFC 9457 problem (type from code, title, status, detail) without
// a switch. Statuses are HTTP's because that is the vocabulary every client (HTTP, NATS dead letters,
// the CLI) already speaks.

/** Every code a decider, the application or the HTTP edge may answer; one title per code (RFC 9457 §3.1.4). */
const CATALOGUE = {
  // The request itself
  validation: { status: 400, title: 'The request is not valid' },
  'bad-query': { status: 400, title: 'Invalid query parameters' },
  'bad-idempotency-key': { status: 400, title: 'Invalid Idempotency-Key' },
  'bad-stream': { status: 400, title: 'Invalid stream name' },
  'bad-event-header': { status: 400, title: 'Missing or invalid X-GitHub-Event' },
  'malformed-json': { status: 400, title: 'Malformed JSON' },
  'json-too-deep': { status: 400, title: 'JSON nested too deeply' },
  'unstorable-value': { status: 400, title: 'A value that cannot be stored' },
  'bad-request': { status: 400, title: 'Bad Request' },
  'request-timeout': { status: 408, title: 'Request Timeout' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'headers-too-large': { status: 431, title: 'Request Header Fields Too Large' },
  'tenant-busy': { status: 429, title: 'Too many commands in flight for this tenant' },
  // Who asks
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'The action is not allowed' },
  'insufficient-user-authentication': { status: 401, title: 'A fresher or stronger authentication is required (RFC 9470)' },
  // What is asked about
  'not-found': { status: 404, title: 'No such resource' },
  'unknown-command': { status: 404, title: 'Unknown command type' },
  'stream-not-found': { status: 404, title: 'Stream not found' },
  'tree-size-not-reached': { status: 404, title: "The tenant's tree has not reached that size" },
  'not-anchored': { status: 409, title: 'No signed checkpoint covers it yet' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'revision-conflict': { status: 409, title: 'Concurrent change' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused with a different request' },
  'no-valid-records': { status: 422, title: 'No record in the batch is valid' },
  'region-required': { status: 422, title: 'Region required' },
  'node-type-change': { status: 422, title: "A node's type cannot change" },
  'region-mismatch': { status: 422, title: 'The command names another region than the resource lives in' },
  'edge-end-not-found': { status: 422, title: 'An end of the edge does not exist' },
  'edge-end-retired': { status: 422, title: 'An end of the edge is retired' },
  'edge-ends-not-allowed': { status: 422, title: 'This edge type does not join these node types' },
  'edge-self-loop': { status: 422, title: 'An edge must join two different nodes' },
  'edge-region-not-allowed': { status: 422, title: "An edge must live in the region of one of its ends" },
  'policy-invalid': { status: 422, title: 'The policy set does not parse or does not validate against the Cedar schema' },
  'two-person-rule': { status: 403, title: 'A second person must approve what one proposed' },
  'approval-required': { status: 403, title: 'A dual-control command executes only through an approval by a second person' },
  'approval-expired': { status: 410, title: "The proposal's approval window has passed" },
  'not-dual-control': { status: 422, title: 'The command is not one that needs a second person' },
  'action-not-offered': { status: 422, title: 'A script step names no action this server offers, or gives it parameters it does not take' },
  'unknown-witness': { status: 403, title: 'The cosignature is by no witness this server accepts (COMPANYOS_WITNESSES)' },
  'cosignature-invalid': { status: 422, title: 'The cosignature does not verify over a checkpoint this server issued' },
  // The server
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Unavailable' },
  'server-busy': { status: 503, title: 'Too many commands in flight' },
  'command-timeout': { status: 503, title: 'The command did not finish in time' },
  'log-unavailable': { status: 503, title: 'Event log unavailable' },
  'analytics-unavailable': { status: 503, title: 'Analytics store unavailable' },
  starting: { status: 503, title: 'Starting' },
  'metering-index-behind': { status: 503, title: 'Metering index behind' },
} as const;

type Catalogue = typeof CATALOGUE;
export type DomainErrorCode = keyof Catalogue;
export type DomainErrorStatus = Catalogue[DomainErrorCode]['status'];

/** A failed decision. Discriminated by `code`, so checking the code also narrows the status. */
export type DomainError = {
  readonly [C in DomainErrorCode]: {
    readonly code: C;
    readonly status: Catalogue[C]['status'];
    readonly title: Catalogue[C]['title'];
    /** This occurrence, in plain English, naming the values involved. */
    readonly detail: string;
    /** For `validation`: one `path: message` line per problem. */
    readonly errors?: readonly string[];
    /** Further members of the problem this becomes (RFC 9457 §3.2), e.g. `maxBytes`. */
    readonly extensions?: Readonly<Record<string, unknown>>;
  };
}[DomainErrorCode];

export type DomainErrorOf<C extends DomainErrorCode> = Extract<DomainError, { readonly code: C }>;

export const domainError = <C extends DomainErrorCode>(
  code: C,
  detail: string,
  extensions?: Readonly<Record<string, unknown>>,
): DomainErrorOf<C> =>
  Object.freeze({
    code,
    status: CATALOGUE[code].status,
    title: CATALOGUE[code].title,
    detail,
    ...(extensions === undefined ? {} : { extensions }),
  }) as DomainErrorOf<C>;

/** The catalogued status of a code. */
export const statusOf = (code: DomainErrorCode): DomainErrorStatus => CATALOGUE[code].status;

/** A 400 from validation messages (see schemas/validation.ts formatValidationErrors). */
export const validationError = (errors: readonly string[]): DomainErrorOf<'validation'> =>
  Object.freeze({
    ...domainError('validation', errors.length === 1 ? errors[0]! : `${errors.length} problems: ${errors.join('; ')}`),
    errors: Object.freeze([...errors]),
  });

export const isDomainErrorCode = (u: unknown): u is DomainErrorCode => typeof u === 'string' && Object.hasOwn(CATALOGUE, u);

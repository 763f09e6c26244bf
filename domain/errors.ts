// Domain errors: a closed catalogue of codes, each with a fixed HTTP status and title, so the HTTP layer
// can turn any of them into an RFC 9457 problem (type from code, title, status, detail) without a switch.

/** Every code a decider may return; the title is the same for every occurrence (RFC 9457 §3.1.4). */
const CATALOGUE = {
  validation: { status: 400, title: 'The request is not valid' },
  forbidden: { status: 403, title: 'The action is not allowed' },
  'not-found': { status: 404, title: 'No such resource' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'node-type-change': { status: 422, title: "A node's type cannot change" },
  'region-mismatch': { status: 422, title: 'The command names another region than the resource lives in' },
  'edge-end-not-found': { status: 422, title: 'An end of the edge does not exist' },
  'edge-end-retired': { status: 422, title: 'An end of the edge is retired' },
  'edge-ends-not-allowed': { status: 422, title: 'This edge type does not join these node types' },
  'edge-self-loop': { status: 422, title: 'An edge must join two different nodes' },
  'edge-region-not-allowed': { status: 422, title: "An edge must live in the region of one of its ends" },
  'action-not-offered': { status: 422, title: 'A script step names no action this server offers, or gives it parameters it does not take' },
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
  };
}[DomainErrorCode];

export type DomainErrorOf<C extends DomainErrorCode> = Extract<DomainError, { readonly code: C }>;

export const domainError = <C extends DomainErrorCode>(code: C, detail: string): DomainErrorOf<C> =>
  Object.freeze({ code, status: CATALOGUE[code].status, title: CATALOGUE[code].title, detail }) as DomainErrorOf<C>;

/** A 400 from validation messages (see schemas/validation.ts formatValidationErrors). */
export const validationError = (errors: readonly string[]): DomainErrorOf<'validation'> =>
  Object.freeze({
    ...domainError('validation', errors.length === 1 ? errors[0]! : `${errors.length} problems: ${errors.join('; ')}`),
    errors: Object.freeze([...errors]),
  });

export const isDomainErrorCode = (u: unknown): u is DomainErrorCode => typeof u === 'string' && Object.hasOwn(CATALOGUE, u);

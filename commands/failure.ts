// Why a command or privileged read did not happen, as a value: a code clients switch on, the HTTP status
// it maps to, and a plain-English detail. The HTTP layer renders it as an RFC 9457 problem.
export type FailureStatus = 400 | 403 | 404 | 409 | 413 | 422 | 503;

export interface Failure {
  readonly status: FailureStatus;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export const failure = (
  status: FailureStatus,
  code: string,
  title: string,
  detail: string,
  extensions?: Readonly<Record<string, unknown>>,
): Failure => (extensions === undefined ? { status, code, title, detail } : { status, code, title, detail, extensions });

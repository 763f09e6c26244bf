// Why a command or privileged read did not happen, as a value: a catalogued error (domain/errors.ts)
// whose code clients switch on and whose status and title the catalogue fixes. The HTTP layer renders
// it as an RFC 9457 problem; the NATS ingest turns it into an ack, a retry or a dead letter.
import { domainError, type DomainError, type DomainErrorCode, type DomainErrorStatus } from '../domain/errors.js';

export type Failure = DomainError;
export type FailureCode = DomainErrorCode;
export type FailureStatus = DomainErrorStatus;

/** The failure of `code`, with this occurrence's detail and any further problem members. */
export const failure = domainError;

/** A failure thrown rather than returned (from deep inside a read or a middleware); the HTTP edge answers its problem. */
export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(readonly failure: Failure) {
    super(`${failure.code}: ${failure.detail}`);
  }
}

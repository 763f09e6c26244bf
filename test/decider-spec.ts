// Given/when/then for deciders, after Emmett's DeciderSpecification: given past events, when a command
// (and context), then these events / nothing / this error. State and command are frozen, so a decider
// that mutates its inputs fails here.
import * as assert from 'uvu/assert';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { Decider, DomainError, DomainErrorCode } from '../domain/index.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export interface Then<Ev> {
  /** decide succeeds with exactly these events (deep equality; an undefined-valued field counts as a difference). */
  then(expected: readonly Ev[]): void;
  /** decide succeeds with no events. */
  thenNothing(): void;
  /** decide fails with this code; `detail` must be contained in (string) or match (RegExp) the error's detail. */
  thenFails(code: DomainErrorCode, detail?: string | RegExp): DomainError;
  /** decide throws (a bug or a broken invariant, not a domain error). */
  thenThrows(check?: (error: unknown) => boolean): void;
}

export const DeciderSpecification = {
  for<Cmd, State, Ev, Ctx>(decider: Decider<Cmd, State, Ev, Ctx>, defaultCtx?: Ctx) {
    return {
      given(events: readonly Ev[]) {
        return {
          when(command: Cmd, ctx?: Ctx): Then<Ev> {
            const context = ctx ?? defaultCtx;
            const run = (): Either<DomainError, readonly Ev[]> => {
              if (context === undefined) throw new Error('DeciderSpecification: no context given (pass one to for() or when())');
              const state = deepFreeze(events.reduce((s: State, e: Ev) => decider.evolve(s, e), decider.initialState));
              return decider.decide(deepFreeze(command), state, deepFreeze(context));
            };
            const succeed = (): readonly Ev[] => {
              const r = run();
              if (isLeft(r)) {
                assert.unreachable(`expected events, got error ${r.left.code}: ${r.left.detail}`);
                throw new Error('unreachable');
              }
              return r.right;
            };
            return {
              then: (expected) => assert.equal(succeed(), expected),
              thenNothing: () => assert.equal(succeed(), []),
              thenFails: (code, detail) => {
                const r = run();
                if (!isLeft(r)) {
                  assert.unreachable(`expected error ${code}, got events ${JSON.stringify(r.right)}`);
                  throw new Error('unreachable');
                }
                assert.is(r.left.code, code, `expected error ${code}, got ${r.left.code}: ${r.left.detail}`);
                if (typeof detail === 'string') assert.ok(r.left.detail.includes(detail), `detail "${r.left.detail}" does not contain "${detail}"`);
                if (detail instanceof RegExp) assert.match(r.left.detail, detail);
                return r.left;
              },
              thenThrows: (check) => {
                let thrown: { readonly error: unknown } | undefined;
                try {
                  run();
                } catch (error) {
                  thrown = { error };
                }
                if (thrown === undefined) assert.unreachable('expected decide to throw');
                else if (check !== undefined) assert.ok(check(thrown.error), `unexpected error: ${String(thrown.error)}`);
              },
            };
          },
        };
      },
    };
  },
};

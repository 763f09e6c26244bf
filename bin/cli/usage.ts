// CLI plumbing shared by every subcommand: io-ts-validated options and one-line errors.
import { parseArgs } from 'node:util';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { formatValidationErrors } from '../../schemas/validation.js';

/** A user mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that ran and found a problem (e.g. a broken chain): exit code 1, message already printed. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parses `argv` with node's parseArgs (unknown options rejected), then validates the values with `codec`. */
export function parseOptions<A>(argv: readonly string[], spec: OptionSpec, codec: t.Decoder<unknown, A>): A {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify.*$/s, ''));
  }
  const decoded = codec.decode(values);
  if (isLeft(decoded)) throw new UsageError(formatValidationErrors(decoded.left).map((l) => `--${l}`).join('; '));
  return decoded.right;
}

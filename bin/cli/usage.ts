// CLI plumbing shared by every subcommand: io-ts-validated options and one-line errors.
import { parseArgs } from 'node:util';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import { UsageError } from './failures.js';

/** Re-exported: every subcommand takes its errors from here. */
export { ExitCode, UsageError } from './failures.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/**
 * What node's parseArgs refused, as one line. Its messages run over several lines; the one for a value
 * that starts with a dash (`--ttl -1`) says how to pass one.
 */
export function argumentMistake(error: unknown, argv: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n', 1)[0]!.replace(/\. To specify.*$/, '');
  const option = /^Option '(--[^' ]+)[^']*' argument is ambiguous/.exec(first)?.[1];
  if (option === undefined) return first;
  const value = argv[argv.indexOf(option) + 1] ?? 'VALUE';
  return `${option}: ${JSON.stringify(value)} looks like an option; a value that starts with "-" is written ${option}=${value}`;
}

/** Parses `argv` with node's parseArgs (unknown options rejected), then validates the values with `codec`. */
export function parseOptions<A>(argv: readonly string[], spec: OptionSpec, codec: t.Decoder<unknown, A>): A {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(argumentMistake(error, argv));
  }
  const decoded = codec.decode(values);
  if (isLeft(decoded)) throw new UsageError(formatValidationErrors(decoded.left).map((l) => `--${l}`).join('; '));
  return decoded.right;
}

// How a subcommand says it failed, without the option parsing of usage.ts, so that the CLI's entry (which
// needs only these to report) loads nothing more for `--help`.

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

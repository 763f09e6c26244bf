// The `companyos` CLI: one subcommand per job. Errors print as one line and exit non-zero
// (2 for a usage mistake, 1 for a failure); no stack traces reach the terminal.
import { isLeft } from 'fp-ts/lib/Either.js';
import { loadConfig, type Config } from '../schemas/config.js';
import { ingestCommand, relayCommand } from './cli/bus.js';
import { demoCommand } from './cli/demo.js';
import { faultsCommand } from './cli/faults.js';
import { keysCommand } from './cli/keys.js';
import { planCommand } from './cli/plan.js';
import { projectCommand } from './cli/project.js';
import { replayCommand } from './cli/replay.js';
import { runCommand } from './cli/run.js';
import { serveCommand } from './cli/serve.js';
import { tokenCommand } from './cli/token.js';
import { ExitCode, UsageError } from './cli/usage.js';
import { verifyCommand } from './cli/verify.js';

const COMMANDS: Record<string, { summary: string; run: (config: Config, argv: readonly string[]) => Promise<void> }> = {
  serve: { summary: 'run the HTTP API on PORT (default 8080) and the projectors [--no-projectors]', run: serveCommand },
  replay: { summary: 'rebuild every read model from the log into a fresh schema and print digests [--to-position P] [--check] [--json]', run: replayCommand },
  project: { summary: 'run the projectors alone, one active instance per read model [--rebuild]', run: projectCommand },
  faults: { summary: 'events projections skipped: faults [--all] [--json] | faults ack --projection P [--position N]', run: faultsCommand },
  token: { summary: 'print a development token: --tenant T --roles a,b [--region R] [--subject S] [--ttl SECONDS]', run: tokenCommand },
  verify: { summary: 'verify the stored log: [--tenant T] [--stream S] [--json]; exit 1 on a broken link', run: verifyCommand },
  relay: { summary: 'publish committed events to NATS JetStream until stopped (NATS_URL, shared log)', run: relayCommand },
  ingest: { summary: 'turn ingest.<tenant>.<command> NATS messages into commands until stopped', run: ingestCommand },
  keys: { summary: 'keys generate [--rotate]: make a new signing key (--rotate: retire the dev key and use the new one)', run: keysCommand },
  plan: { summary: 'plan submit FILE: register a Maestro plan (mcplan.yaml) via the API (COMPANYOS_URL, COMPANYOS_TOKEN)', run: planCommand },
  run: { summary: 'run start PLAN [--input k=v]... [--run-id ID] | run status RUN [--timeline]: Maestro runs via the API', run: runCommand },
  demo: { summary: 'demo canary: a canary rollout that fails at 50% and rolls back, in a throwaway embedded store | demo token [--roles a,b]: the demo tenant\'s token again', run: demoCommand },
};

function help(): string {
  return ['usage: companyos <command> [options]', '', ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown command "${name}"; try: ${Object.keys(COMMANDS).join(', ')}`);
  const config = loadConfig(process.env);
  if (isLeft(config)) throw new UsageError(`bad configuration: ${config.left.join('; ')}`);
  await command.run(config.right, rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Exit at once: a failed command's finally blocks have run, and whatever it still holds open (a
    // pool, a timer) must not keep the process alive.
    if (error instanceof ExitCode) process.exit(error.code);
    const usage = error instanceof UsageError;
    const message = error instanceof Error ? error.message : String(error);
    console.error(`companyos: ${message.trim().replace(/\s*[\r\n]+\s*/g, ' ')}`);
    if (process.env['COMPANYOS_DEBUG'] && error instanceof Error) console.error(error.stack);
    process.exit(usage ? 2 : 1);
  },
);

// The `companyos` CLI: one subcommand per job. A subcommand's module (and through it the stores, Cedar,
// NATS…) is imported only when that subcommand runs, so `--help` and `token` start in a fraction of a second.
// `companyos <command> --help` prints the command's usage and an example. Errors print as one line and exit
// non-zero (2 for a usage mistake, 1 for a failure); no stack traces reach the terminal.
import { readFileSync } from 'node:fs';
import type { Config } from '../schemas/config.js';
import { ExitCode, UsageError } from './cli/failures.js';

type Run = (config: Config, argv: readonly string[]) => Promise<void>;

interface Usage {
  /** What follows `companyos `: the subcommand and its arguments; `|` between alternative forms. */
  readonly usage: string;
  /** One command line that works as written (given the servers its help names). */
  readonly example: string;
}

interface Command extends Usage {
  readonly summary: string;
  /** Lines of help that come from the code, such as the list of roles. */
  readonly details?: () => Promise<readonly string[]>;
  /** Subcommands with a help of their own: `companyos run approve --help`. */
  readonly subcommands?: Readonly<Record<string, Usage>>;
  readonly load: () => Promise<Run>;
}

const POLICY_ENV = 'COMPANYOS_URL=http://127.0.0.1:8080 COMPANYOS_TOKEN=$(companyos token --tenant acme --roles admin --region eu-west --subject user:alice)';
const PLAN_ENV = 'COMPANYOS_URL=http://127.0.0.1:8080 COMPANYOS_TOKEN=$(companyos token --tenant acme --roles plan-author,operator --region us-east)';

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: {
    summary: 'run the HTTP API on PORT (default 8080) and the projectors',
    usage: 'serve [--no-projectors]',
    example: 'PORT=8080 companyos serve',
    load: async () => (await import('./cli/serve.js')).serveCommand,
  },
  replay: {
    summary: 'rebuild every read model from the log into a fresh schema and print digests; --check compares with the live ones',
    usage: 'replay [--to-position P] [--check] [--json]',
    example: 'companyos replay --check',
    load: async () => (await import('./cli/replay.js')).replayCommand,
  },
  project: {
    summary: 'run the projectors alone, one active instance per read model',
    usage: 'project [--rebuild]',
    example: 'DATABASE_URL=postgres://postgres@127.0.0.1:5432/companyos companyos project',
    load: async () => (await import('./cli/project.js')).projectCommand,
  },
  faults: {
    summary: 'list the events projections skipped, or acknowledge them',
    usage: 'faults [--all] [--json] | faults ack --projection P [--position N]',
    example: 'companyos faults --all',
    subcommands: { ack: { usage: 'faults ack --projection P [--position N]', example: 'companyos faults ack --projection graph --position 42' } },
    load: async () => (await import('./cli/faults.js')).faultsCommand,
  },
  token: {
    summary: 'print a development token signed with the development secret',
    usage: 'token --tenant T --roles a,b [--region R] [--subject S] [--ttl SECONDS] [--auth-time=EPOCH|-SECONDS_AGO] [--acr ACR] [--amr m1,m2] [--purpose P]',
    example: 'companyos token --tenant acme --roles editor --region us-east',
    details: async () => [`roles: ${Object.keys((await import('../adapters/auth/jwt.js')).Role.keys).join(', ')}`],
    load: async () => (await import('./cli/token.js')).tokenCommand,
  },
  verify: {
    summary: 'verify the stored log (a stream, a tenant, or all of it), or with --remote a server\'s answers over HTTP only (COMPANYOS_TOKEN); exit 1 on a broken link',
    usage: 'verify [--tenant T | --stream S | --remote URL [--tenant T] [--witness-key KEY]... [--min-witnesses N]] [--trusted-key KEY,...] [--trusted-checkpoint FILE] [--json]',
    example: 'companyos verify --tenant demo',
    load: async () => (await import('./cli/verify.js')).verifyCommand,
  },
  'verify-receipt': {
    summary: 'check a receipt (JSON) or a bulk export (NDJSON) offline, with no store or server; exit 1 unless every one verifies',
    usage: 'verify-receipt FILE [--trusted-key KEY]... [--witness-key KEY]... [--min-witnesses N] [--json]',
    example: 'companyos verify-receipt receipts.ndjson --json',
    load: async () => (await import('./cli/verify-receipt.js')).verifyReceiptCommand,
  },
  witness: {
    summary: "follow a tenant's signed checkpoints over HTTP (COMPANYOS_TOKEN), cosign each that extends the last; exit 1 on a rollback or a fork",
    usage: 'witness --url URL --tenant T --state DIR [--log-key VERIFIER... | --trust-on-first-use] [--key FILE] [--name NAME] [--once] [--interval S] | witness key --state DIR [--key FILE] [--name NAME]',
    example: 'COMPANYOS_TOKEN=$(companyos token --tenant acme --roles viewer) companyos witness --url http://127.0.0.1:8080 --tenant acme --state ./witness --trust-on-first-use --once',
    subcommands: { key: { usage: 'witness key --state DIR [--key FILE] [--name NAME]', example: 'companyos witness key --state ./witness --name witness.example.org' } },
    load: async () => (await import('./cli/witness.js')).witnessCommand,
  },
  approvals: {
    summary: 'the two-person rule through the API (COMPANYOS_URL, COMPANYOS_TOKEN): list proposals of dual-control commands, propose one, approve (it executes as yours) or reject one somebody else proposed',
    usage: 'approvals list [--state S] [--json] | approvals show ID [--json] | approvals propose TYPE BODY --reason TEXT [--json] | approvals approve ID [--reason TEXT] [--json] | approvals reject ID --reason TEXT [--json]',
    example: `${POLICY_ENV} companyos approvals list --state pending`,
    subcommands: {
      list: { usage: 'approvals list [--state pending|approved|executed|refused|rejected|expired] [--json]', example: `${POLICY_ENV} companyos approvals list --state pending` },
      show: { usage: 'approvals show ID [--json]', example: `${POLICY_ENV} companyos approvals show 7d2f1c3a-0b5e-4e6f-8a9b-1c2d3e4f5a6b` },
      propose: {
        usage: 'approvals propose TYPE BODY --reason TEXT [--json]',
        example: `${POLICY_ENV} companyos approvals propose policy.set.publish '{"region":"eu-west","version":"<sha256 of candidate.cedar>"}' --reason "CHG-42"`,
      },
      approve: { usage: 'approvals approve ID [--reason TEXT] [--json]', example: `${POLICY_ENV} companyos approvals approve 7d2f1c3a-0b5e-4e6f-8a9b-1c2d3e4f5a6b --reason "reviewed in CHG-42"` },
      reject: { usage: 'approvals reject ID --reason TEXT [--json]', example: `${POLICY_ENV} companyos approvals reject 7d2f1c3a-0b5e-4e6f-8a9b-1c2d3e4f5a6b --reason "not before the freeze"` },
    },
    load: async () => (await import('./cli/approvals.js')).approvalsCommand,
  },
  policy: {
    summary: "run a policy set's golden decisions (coverage included), validate a policy set against the Cedar schema, ask the recorded decisions again of a candidate set (what-if), or show, propose, publish and preflight the tenant's policy through the API (COMPANYOS_URL, COMPANYOS_TOKEN)",
    usage: 'policy test [FILE] [--policy CEDAR] [--json] | policy validate [CEDAR] [--json] | policy what-if --policy CEDAR [--tenant T] [--from ISO] [--to ISO] [--json] | policy show [--json] | policy propose CEDAR --region R --reason TEXT [--json] | policy publish VERSION --region R [--reason TEXT] [--json] | policy preflight TYPE BODY [--json]',
    example: 'companyos policy test',
    subcommands: {
      test: { usage: 'policy test [FILE] [--policy CEDAR] [--json]', example: 'companyos policy test commands/policies/golden.json --policy commands/policies/default.cedar' },
      validate: { usage: 'policy validate [CEDAR] [--json]', example: 'companyos policy validate commands/policies/default.cedar' },
      show: { usage: 'policy show [--json]', example: `${POLICY_ENV} companyos policy show` },
      propose: {
        usage: 'policy propose CEDAR --region R --reason TEXT [--json]',
        example: `${POLICY_ENV} companyos policy propose candidate.cedar --region eu-west --reason "CHG-42: editors stop writing the graph"`,
      },
      publish: { usage: 'policy publish VERSION --region R [--reason TEXT] [--json]', example: `${POLICY_ENV} companyos policy publish <sha256 of candidate.cedar> --region eu-west` },
      preflight: {
        usage: 'policy preflight TYPE BODY [--json]',
        example: `${POLICY_ENV} companyos policy preflight graph.node.retire '{"id":"svc:legacy","region":"eu-west","provenance":{"sourceSystem":"cli","observedAt":"2026-01-01T00:00:00Z"}}'`,
      },
      'what-if': {
        usage: 'policy what-if --policy CEDAR [--tenant T] [--from ISO] [--to ISO] [--json]',
        example: 'companyos policy what-if --policy candidate.cedar --tenant demo --from 2026-01-01T00:00:00Z',
      },
    },
    load: async () => (await import('./cli/policy.js')).policyCommand,
  },
  relay: {
    summary: 'publish committed events to NATS JetStream until stopped (needs NATS_URL and a shared log)',
    usage: 'relay',
    example: 'NATS_URL=nats://127.0.0.1:4222 DATABASE_URL=postgres://postgres@127.0.0.1:5432/companyos companyos relay',
    load: async () => (await import('./cli/bus.js')).relayCommand,
  },
  ingest: {
    summary: 'turn ingest.<tenant>.<command> NATS messages into commands until stopped (needs NATS_URL and a shared log)',
    usage: 'ingest',
    example: 'NATS_URL=nats://127.0.0.1:4222 DATABASE_URL=postgres://postgres@127.0.0.1:5432/companyos companyos ingest',
    load: async () => (await import('./cli/bus.js')).ingestCommand,
  },
  keys: {
    summary: 'make a new signing key (--rotate: retire the development key and use the new one)',
    usage: 'keys generate [--rotate]',
    example: 'companyos keys generate --rotate',
    subcommands: { generate: { usage: 'keys generate [--rotate]', example: 'companyos keys generate' } },
    load: async () => (await import('./cli/keys.js')).keysCommand,
  },
  plan: {
    summary: 'register a Maestro plan (mcplan.yaml) through the API (COMPANYOS_URL, COMPANYOS_TOKEN)',
    usage: 'plan submit FILE',
    example: `${PLAN_ENV} companyos plan submit mcplan.yaml`,
    subcommands: { submit: { usage: 'plan submit FILE', example: `${PLAN_ENV} companyos plan submit mcplan.yaml` } },
    load: async () => (await import('./cli/plan.js')).planCommand,
  },
  run: {
    summary: 'start, follow, approve and cancel Maestro runs through the API (COMPANYOS_URL, COMPANYOS_TOKEN)',
    usage: 'run start PLAN [--input k=v]... [--run-id ID] [--json] | run status RUN [--timeline] [--json] | run approve RUN STEP [--comment TEXT] | run cancel RUN [--reason TEXT]',
    example: 'companyos run status canary-1 --timeline',
    subcommands: {
      start: { usage: 'run start PLAN [--input k=v]... [--run-id ID] [--json]', example: 'companyos run start deploy --input version=1.4.2 --run-id deploy-1' },
      status: { usage: 'run status RUN [--timeline] [--json]', example: 'companyos run status deploy-1 --timeline' },
      approve: { usage: 'run approve RUN STEP [--comment TEXT]', example: 'companyos run approve deploy-1 sign-off --comment "checked the dashboards"' },
      cancel: { usage: 'run cancel RUN [--reason TEXT]', example: 'companyos run cancel deploy-1 --reason "wrong version"' },
    },
    load: async () => (await import('./cli/run.js')).runCommand,
  },
  demo: {
    summary: "a canary rollout that fails at 50% and rolls back, in a throwaway embedded store; or the demo tenant's token again",
    usage: 'demo canary [--json] | demo token [--roles a,b]',
    example: 'companyos demo canary',
    subcommands: {
      canary: { usage: 'demo canary [--json]', example: 'companyos demo canary --json' },
      token: { usage: 'demo token [--roles a,b]', example: 'companyos demo token --roles viewer' },
    },
    load: async () => (await import('./cli/demo.js')).demoCommand,
  },
};

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: companyos <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'companyos <command> --help prints its usage and an example.',
  ].join('\n');
}

async function commandHelp(command: Command, sub: string | undefined): Promise<string> {
  const subcommand = sub === undefined ? undefined : command.subcommands?.[sub];
  const shown = subcommand ?? command;
  const forms = shown.usage.split(' | ');
  return [
    `usage: ${forms.map((f, i) => `${i === 0 ? '' : '       '}companyos ${f}`).join('\n')}`,
    '',
    command.summary,
    ...(command.details === undefined ? [] : await command.details()),
    '',
    'example:',
    `  ${shown.example}`,
  ].join('\n');
}

/** `--help` or `-h` among a command's arguments, before a `--` that ends the options. */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

function version(): string {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const compiled = import.meta.url.endsWith('.js');
  const from = compiled ? `compiled JavaScript, ${new URL('..', import.meta.url).pathname.replace(/\/$/, '')}` : 'TypeScript source through tsx';
  return `companyos ${version} (${from})`;
}

function lookUp(name: string): Command {
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) throw new UsageError(`unknown command "${name}"; try: ${Object.keys(COMMANDS).join(', ')}`);
  return command;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    console.log(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    console.log(version());
    return 0;
  }
  if (name === 'help') {
    console.log(await commandHelp(lookUp(rest[0]!), rest[1]));
    return 0;
  }
  const command = lookUp(name);
  if (asksForHelp(rest)) {
    console.log(await commandHelp(command, rest[0]));
    return 0;
  }
  const [{ loadConfig }, run] = await Promise.all([import('../schemas/config.js'), command.load()]);
  const config = loadConfig(process.env);
  if (config._tag === 'Left') throw new UsageError(`bad configuration: ${config.left.join('; ')}`);
  await run(config.right, rest);
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

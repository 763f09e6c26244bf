// `companyos policy test [FILE] [--policy CEDAR] [--json]`: the golden decisions of a policy set, like
// `opa test` (FILE defaults to the repo's commands/policies/golden.json, CEDAR to the policy file the
// table names); prints schema problems, the failing cases and the coverage, exit 1 on a problem or a failure.
// `companyos policy validate [CEDAR]`: parses the set and validates it against the repo's Cedar schema,
// one line per problem, exit 1 on any.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Config } from '../../schemas/config.js';
import { argumentMistake, ExitCode, UsageError } from './usage.js';

const GOLDEN_FILE = fileURLToPath(new URL('../../commands/policies/golden.json', import.meta.url));
const DEFAULT_POLICY = fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url));

export const POLICY_USAGE = 'policy test [FILE] [--policy CEDAR] [--json] | policy validate [CEDAR] [--json]';

export async function policyCommand(_config: Config, argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'test') return policyTest(rest);
  if (sub === 'validate') return policyValidate(rest);
  throw new UsageError(`policy needs a subcommand: ${POLICY_USAGE}`);
}

function parse(argv: readonly string[], withPolicy: boolean): { values: { policy?: string; json?: boolean }; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, policy: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
    if (!withPolicy && parsed.values.policy !== undefined) throw new UsageError('policy validate takes the CEDAR file as its argument, not --policy');
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(argumentMistake(error, argv));
  }
}

async function policyTest(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parse(argv, true);
  if (positionals.length > 1) throw new UsageError('policy test takes at most one FILE (a golden table)');
  const { GoldenFileError, formatGoldenReport, loadGolden, runGolden } = await import('../../commands/policy-golden.js');
  const { PolicySetError } = await import('../../adapters/cedar/cedar-authorizer.js');
  try {
    const { golden, policyText } = await loadGolden(positionals[0] ?? GOLDEN_FILE, values.policy);
    const { policySetProblems } = await import('../../adapters/cedar/policy-set.js');
    const problems = policySetProblems(policyText);
    const report = runGolden(golden, policyText);
    if (values.json) console.log(JSON.stringify({ ...report, schemaProblems: problems }));
    else console.log([...problems.map((p) => `INVALID ${p}`), ...formatGoldenReport(report)].join('\n'));
    if (report.failed > 0 || problems.length > 0) throw new ExitCode(1);
  } catch (error) {
    if (error instanceof GoldenFileError || error instanceof PolicySetError) throw new UsageError(error.message);
    throw error;
  }
}

async function policyValidate(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parse(argv, false);
  if (positionals.length > 1) throw new UsageError('policy validate takes at most one CEDAR file');
  const file = positionals[0] ?? DEFAULT_POLICY;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
  const { policySetProblems } = await import('../../adapters/cedar/policy-set.js');
  const problems = policySetProblems(text);
  if (values.json) console.log(JSON.stringify({ ok: problems.length === 0, problems }));
  else console.log(problems.length === 0 ? `${file}: valid against the Cedar schema` : problems.join('\n'));
  if (problems.length > 0) throw new ExitCode(1);
}

// `companyos policy test [FILE] [--policy CEDAR] [--json]`: the golden decisions of a policy set, like
// `opa test` (FILE defaults to the repo's commands/policies/golden.json, CEDAR to the policy file the
// table names); prints schema problems, the failing cases and the coverage, exit 1 on a problem or a failure.
// `companyos policy validate [CEDAR]`: parses the set and validates it against the repo's Cedar schema,
// one line per problem, exit 1 on any.
// `companyos policy what-if --policy CEDAR [--tenant T] [--from ISO] [--to ISO] [--json]`: reads the log
// directly (as `verify`) and asks every recorded decision of the tenant (every tenant without --tenant) again
// of the candidate set; prints the decisions that would flip, grouped by action and by determining policy.
// Through the API (COMPANYOS_URL, COMPANYOS_TOKEN), as `plan submit`: `policy show` (the version in force and
// the history), `policy propose CEDAR --region R --reason TEXT`, `policy publish VERSION --region R` (another
// admin than the proposer), `policy preflight TYPE BODY` (what a command would get, nothing appended).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as t from 'io-ts';
import type { Config } from '../../schemas/config.js';
import { Timestamp, TenantId } from '../../schemas/primitives.js';
import { argumentMistake, ExitCode, parseOptions, UsageError } from './usage.js';

const GOLDEN_FILE = fileURLToPath(new URL('../../commands/policies/golden.json', import.meta.url));
const DEFAULT_POLICY = fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url));

export const POLICY_USAGE =
  'policy test [FILE] [--policy CEDAR] [--json] | policy validate [CEDAR] [--json] | policy show [--json] | ' +
  'policy propose CEDAR --region R --reason TEXT [--json] | policy publish VERSION --region R [--reason TEXT] [--json] | policy preflight TYPE BODY [--json] | ' +
  'policy what-if --policy CEDAR [--tenant T] [--from ISO] [--to ISO] [--json]';

export async function policyCommand(config: Config, argv: readonly string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'test') return policyTest(rest);
  if (sub === 'what-if') return policyWhatIf(config, rest);
  if (sub === 'validate') return policyValidate(rest);
  if (sub === 'show' || sub === 'propose' || sub === 'publish' || sub === 'preflight') return policyApi(sub, rest);
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

async function policyApi(sub: 'show' | 'propose' | 'publish' | 'preflight', argv: readonly string[]): Promise<void> {
  let parsed: { values: { region?: string; reason?: string; json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { region: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(argumentMistake(error, argv));
  }
  const { values, positionals } = parsed;
  const { apiFromEnv, apiRequest } = await import('./run.js');
  const print = (human: string, body: unknown) => console.log(values.json ? JSON.stringify(body) : human);
  if (sub === 'show') {
    if (positionals.length > 0) throw new UsageError('policy show takes no argument');
    const { body } = await apiRequest(apiFromEnv(), 'GET', '/v1/policy');
    const history = (body['history'] as readonly Record<string, unknown>[]).map(
      (h) => `  ${String(h['ordinal'])}  ${String(h['version']).slice(0, 12)}  ${String(h['status']).padEnd(10)}  by ${String(h['author'])}${h['approver'] === undefined ? '' : `, approved by ${String(h['approver'])}`}: ${String(h['reason'])}`,
    );
    print([`version ${String(body['ordinal'])} (${String(body['version'])}) in force for ${String(body['tenant'])}`, ...history].join('\n'), body);
    return;
  }
  if (sub === 'preflight') {
    const [type, json, ...extra] = positionals;
    if (type === undefined || json === undefined || extra.length > 0) throw new UsageError('policy preflight takes TYPE and BODY (the command body as JSON)');
    let commandBody: unknown;
    try {
      commandBody = JSON.parse(json);
    } catch {
      throw new UsageError('policy preflight: BODY is not JSON');
    }
    const { body } = await apiRequest(apiFromEnv(), 'POST', '/v1/policy/preflight', { json: { type, body: commandBody } });
    const decision = body['decision'] as Record<string, unknown>;
    const outcome = body['outcome'] as Record<string, unknown> | undefined;
    const what = outcome === undefined ? '' : outcome['kind'] === 'refused' ? `; the command would be refused: ${String(outcome['detail'])}` : `; it would append: ${(outcome['events'] as string[]).join(', ') || 'nothing'}`;
    print(`${body['allowed'] ? 'allowed' : 'denied'} under ${String(decision['policyVersion']).slice(0, 12)} by [${(decision['determiningPolicies'] as string[]).join(', ')}]: ${String(decision['explanation'])}${what}`, body);
    if (body['allowed'] !== true) throw new ExitCode(1);
    return;
  }
  const [target, ...extra] = positionals;
  if (target === undefined || extra.length > 0) throw new UsageError(`policy ${sub} takes ${sub === 'propose' ? 'one CEDAR file' : 'one VERSION'}`);
  if (values.region === undefined) throw new UsageError(`policy ${sub} needs --region R (the region the policy events are sealed in; your token's region)`);
  if (sub === 'propose') {
    if (values.reason === undefined) throw new UsageError('policy propose needs --reason TEXT (why; sealed with the proposal)');
    let text: string;
    try {
      text = await readFile(target, 'utf8');
    } catch (error) {
      throw new UsageError(`${target}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error)}`);
    }
    const { status, body } = await apiRequest(apiFromEnv(), 'POST', '/v1/commands/policy.set.propose', { json: { region: values.region, text, reason: values.reason } });
    const version = createHash('sha256').update(text).digest('hex');
    const proposal = (await apiRequest(apiFromEnv(), 'GET', `/v1/policy/versions/${version}`)).body;
    const changes = proposal['changes'] as { added: string[]; removed: string[]; changed: string[] } | undefined;
    const alters =
      changes === undefined
        ? ''
        : `\nagainst the version in force it ${[
            changes.added.length > 0 ? `adds ${changes.added.join(', ')}` : '',
            changes.removed.length > 0 ? `removes ${changes.removed.join(', ')}` : '',
            changes.changed.length > 0 ? `changes ${changes.changed.join(', ')}` : '',
          ].filter((x) => x !== '').join('; ') || 'alters no policy (text only)'}`;
    print(
      (status === 201
        ? `proposed version ${version}; another admin publishes it with: companyos policy publish ${version} --region ${values.region}`
        : `version ${version} is already proposed and waits for another admin`) +
        (typeof (body['approval'] as { id?: unknown } | undefined)?.id === 'string' ? ` (or: companyos approvals approve ${String((body['approval'] as { id: string }).id)})` : '') +
        alters,
      { ...body, ...(changes === undefined ? {} : { changes }) },
    );
    return;
  }
  const { status, body } = await apiRequest(apiFromEnv(), 'POST', '/v1/commands/policy.set.publish', {
    json: { region: values.region, version: target, ...(values.reason === undefined ? {} : { reason: values.reason }) },
  });
  // Publishing is dual-control: with nobody else's proposal of it waiting, this call proposes it (202).
  const approval = body['approval'] as { id?: string } | undefined;
  print(
    status === 201
      ? `published version ${target}: in force from log position ${String(body['position'])}`
      : status === 202
        ? `proposed publishing version ${target} (approval ${String(approval?.id)}); a different admin publishes it with the same command or: companyos approvals approve ${String(approval?.id)}`
        : `version ${target} is already in force`,
    body,
  );
}

const WhatIfOptions = t.intersection([t.type({ policy: t.string }), t.partial({ tenant: TenantId, from: Timestamp, to: Timestamp, json: t.boolean })]);

async function policyWhatIf(config: Config, argv: readonly string[]): Promise<void> {
  const o = parseOptions(
    argv,
    { policy: { type: 'string' }, tenant: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
    WhatIfOptions,
  );
  if (o.from !== undefined && o.to !== undefined && Date.parse(o.to) < Date.parse(o.from)) throw new UsageError(`--to ${o.to} is before --from ${o.from}`);
  let text: string;
  try {
    text = await readFile(o.policy, 'utf8');
  } catch (error) {
    throw new UsageError(`${o.policy}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
  const { PolicySetError } = await import('../../adapters/cedar/cedar-authorizer.js');
  const { formatWhatIf, whatIf } = await import('../../commands/policy-what-if.js');
  const { openLog } = await import('../open-log.js');
  const opened = await openLog(config);
  try {
    const report = await whatIf(opened.log, text, {
      ...(o.tenant === undefined ? {} : { tenant: o.tenant }),
      ...(o.from === undefined ? {} : { from: o.from }),
      ...(o.to === undefined ? {} : { to: o.to }),
    });
    console.log(o.json ? JSON.stringify(report) : formatWhatIf(report).join('\n'));
  } catch (error) {
    if (error instanceof PolicySetError) throw new UsageError(`${o.policy}: ${error.message}`);
    throw error;
  } finally {
    await opened.close();
  }
}

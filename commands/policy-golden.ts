// Golden decisions of a policy set, like `opa test`: every case of the table is decided by the real
// authorizer and compared (decision and determining policies), and a coverage report says which policies
// were determining in at least one case and which actions have both an allow and a deny case. The actions
// come from the code (commands/policy-actions.ts), so a new command without golden cases lowers coverage.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { CedarAuthorizer } from '../adapters/cedar/cedar-authorizer.js';
import { policiesOf } from '../adapters/cedar/policy-set.js';
import type { JsonObject, JsonValue } from '../schemas/json.js';
import { GoldenFile, type GoldenCase } from '../schemas/policy-golden.js';
import { formatValidationErrors } from '../schemas/validation.js';
import type { AuthorizationRequest, Authorizer } from './authorizer.js';
import { policyAction, policyActions } from './policy-actions.js';

export interface GoldenResult {
  readonly name: string;
  readonly action: string;
  readonly passed: boolean;
  readonly expected: { readonly decision: 'allow' | 'deny'; readonly determining: readonly string[] };
  readonly actual: { readonly decision: 'allow' | 'deny'; readonly determining: readonly string[]; readonly explanation: string };
}

export interface GoldenCoverage {
  /** Policies of the set that were determining in at least one case / all policies. */
  readonly policies: { readonly covered: readonly string[]; readonly uncovered: readonly string[]; readonly percent: number };
  /** Actions (from the code) with both an allow and a deny case / all actions. */
  readonly actions: {
    readonly covered: readonly string[];
    readonly missingAllow: readonly string[];
    readonly missingDeny: readonly string[];
    readonly percent: number;
  };
}

export interface GoldenReport {
  readonly policyVersion: string;
  readonly results: readonly GoldenResult[];
  readonly passed: number;
  readonly failed: number;
  readonly coverage: GoldenCoverage;
}

export class GoldenFileError extends Error {
  override readonly name = 'GoldenFileError';
}

/** Reads and decodes a golden table, and the policy text it is for (`policy` beside it, default default.cedar). */
export async function loadGolden(file: string, policyFile?: string): Promise<{ readonly golden: GoldenFile; readonly policyText: string; readonly policyFile: string }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new GoldenFileError(`${file}: ${(error as Error).message}`);
  }
  const decoded = GoldenFile.decode(json);
  if (isLeft(decoded)) throw new GoldenFileError(`${file}: ${formatValidationErrors(decoded.left).join('; ')}`);
  const policyPath = policyFile ?? resolve(dirname(file), decoded.right.policy ?? 'default.cedar');
  let policyText: string;
  try {
    policyText = await readFile(policyPath, 'utf8');
  } catch (error) {
    throw new GoldenFileError(`${policyPath}: ${(error as Error).message}`);
  }
  return { golden: decoded.right, policyText, policyFile: policyPath };
}

/** The requests of a table, one per (case, action), with defaults applied. */
export function goldenRequests(golden: GoldenFile): readonly { readonly golden: GoldenCase; readonly request: AuthorizationRequest }[] {
  const d = golden.defaults ?? {};
  return golden.cases.flatMap((c) => {
    const actions = [...(c.action === undefined ? [] : [c.action]), ...(c.actions ?? [])];
    if (actions.length === 0) throw new GoldenFileError(`case "${c.name}": names no action (action or actions)`);
    return actions.map((action) => {
      const known = policyAction(action);
      if (known === undefined) throw new GoldenFileError(`case "${c.name}": no action named ${action} in the code`);
      const p = { ...d.principal, ...c.principal };
      const attributes = withoutNulls({ ...d.resource?.attributes, ...c.resource?.attributes });
      const request: AuthorizationRequest = {
        principal: {
          id: p.id ?? 'principal',
          tenant: p.tenant ?? 'acme',
          roles: p.roles ?? [],
          region: p.region ?? undefined,
          authTime: p.authTime ?? undefined,
          authn: 'jwt',
        },
        action,
        actionGroups: known.groups,
        resource: { type: c.resource?.type ?? d.resource?.type ?? known.resourceTypes[0]!, id: c.resource?.id ?? d.resource?.id ?? 'r1', attributes },
        context: { ...d.context, ...c.context },
      };
      return { golden: c, request };
    });
  });
}

function withoutNulls(o: Record<string, JsonValue>): JsonObject {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}

const sorted = (xs: readonly string[]): readonly string[] => [...xs].sort();
const percent = (n: number, of: number): number => (of === 0 ? 100 : Math.round((1000 * n) / of) / 10);

/** Decides every case with `authorizer` and measures coverage of `policyText`'s policies and the code's actions. */
export function runGolden(golden: GoldenFile, policyText: string, authorizer: Authorizer = new CedarAuthorizer(policyText)): GoldenReport {
  const results: GoldenResult[] = goldenRequests(golden).map(({ golden: c, request }, i) => {
    const decision = authorizer.authorize(request, `golden-${i}`);
    const actual = { decision: decision.allowed ? ('allow' as const) : ('deny' as const), determining: sorted(decision.determiningPolicies), explanation: decision.explanation };
    const expected = { decision: c.expect, determining: sorted(c.determining) };
    const passed = actual.decision === expected.decision && actual.determining.join('\n') === expected.determining.join('\n');
    return { name: c.name, action: request.action, passed, expected, actual };
  });
  const parsed = policiesOf(policyText);
  const policyIds = parsed.ok ? parsed.policies.map((p) => p.id) : [];
  const determining = new Set(results.flatMap((r) => r.actual.determining));
  const coveredPolicies = policyIds.filter((id) => determining.has(id));
  const actions = policyActions().map((a) => a.action);
  const allowed = new Set(results.filter((r) => r.actual.decision === 'allow').map((r) => r.action));
  const denied = new Set(results.filter((r) => r.actual.decision === 'deny').map((r) => r.action));
  const coveredActions = actions.filter((a) => allowed.has(a) && denied.has(a));
  return {
    policyVersion: authorizer.policyVersion,
    results,
    passed: results.filter((r) => r.passed).length,
    failed: results.filter((r) => !r.passed).length,
    coverage: {
      policies: { covered: coveredPolicies, uncovered: policyIds.filter((id) => !determining.has(id)), percent: percent(coveredPolicies.length, policyIds.length) },
      actions: {
        covered: coveredActions,
        missingAllow: actions.filter((a) => !allowed.has(a)),
        missingDeny: actions.filter((a) => !denied.has(a)),
        percent: percent(coveredActions.length, actions.length),
      },
    },
  };
}

/** The report as lines for a terminal: failures first, then the coverage. */
export function formatGoldenReport(report: GoldenReport): readonly string[] {
  const lines: string[] = [];
  for (const r of report.results.filter((x) => !x.passed)) {
    lines.push(
      `FAIL ${r.name} [${r.action}]: expected ${r.expected.decision} by [${r.expected.determining.join(', ')}], got ${r.actual.decision} by [${r.actual.determining.join(', ')}] (${r.actual.explanation})`,
    );
  }
  const { policies, actions } = report.coverage;
  lines.push(`${report.passed} passed, ${report.failed} failed (policy version ${report.policyVersion.slice(0, 12)})`);
  lines.push(`policies determining in a case: ${policies.covered.length}/${policies.covered.length + policies.uncovered.length} (${policies.percent} %)${policies.uncovered.length > 0 ? `; never: ${policies.uncovered.join(', ')}` : ''}`);
  const total = actions.covered.length + new Set([...actions.missingAllow, ...actions.missingDeny]).size;
  lines.push(
    `actions with an allow and a deny case: ${actions.covered.length}/${total} (${actions.percent} %)` +
      (actions.missingAllow.length > 0 ? `; no allow case: ${actions.missingAllow.join(', ')}` : '') +
      (actions.missingDeny.length > 0 ? `; no deny case: ${actions.missingDeny.join(', ')}` : ''),
  );
  return lines;
}

// Loads what the operator lets Maestro's steps do: the actions file (COMPANYOS_ACTIONS_FILE), checked
// against this machine (programs exist and are executable, named server variables are set), and the
// user actions run as (COMPANYOS_ACTION_USER). Any problem stops start-up with lines naming it.
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { isLeft } from 'fp-ts/lib/Either.js';
import { NO_ACTIONS, type ActionCatalogue } from '../../schemas/actions.js';
import type { ActionUser, Config } from '../../schemas/config.js';
import { ruleText } from '../../schemas/egress.js';
import type { ActionSettings } from './actions.js';
import { parseActionsFile } from './actions-file.js';

export class ActionsConfigError extends Error {
  override readonly name = 'ActionsConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Reads and checks the actions file; every problem at once, each line prefixed with the file's path. */
export async function loadActionCatalogue(path: string, environment: Readonly<Record<string, string | undefined>>): Promise<ActionCatalogue> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    throw new ActionsConfigError([`COMPANYOS_ACTIONS_FILE ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  const parsed = parseActionsFile(source);
  if (isLeft(parsed)) throw new ActionsConfigError(parsed.left.map((p) => `COMPANYOS_ACTIONS_FILE ${path}: ${p}`));
  const problems: string[] = [];
  for (const [name, action] of parsed.right) {
    try {
      await access(action.program, constants.X_OK);
    } catch {
      problems.push(`actions.${name}.program: ${action.program} is not an executable file`);
    }
    for (const [key, value] of Object.entries(action.env)) {
      if (typeof value !== 'string' && environment[value.from] === undefined) problems.push(`actions.${name}.env.${key}: ${value.from} is not set in the server's environment`);
    }
  }
  if (problems.length > 0) throw new ActionsConfigError(problems.map((p) => `COMPANYOS_ACTIONS_FILE ${path}: ${p}`));
  return parsed.right;
}

/** uid and gid of a user name, from the passwd file (the only database Node can read without a helper). */
export async function resolveActionUser(user: ActionUser, passwdFile = '/etc/passwd'): Promise<{ readonly uid: number; readonly gid: number }> {
  if (!('name' in user)) return user;
  const passwd = await readFile(passwdFile, 'utf8').catch(() => '');
  const entry = passwd.split('\n').map((line) => line.split(':')).find((f) => f[0] === user.name);
  if (entry === undefined) throw new ActionsConfigError([`COMPANYOS_ACTION_USER: no user ${user.name} in ${passwdFile} (give uid:gid instead)`]);
  const [uid, gid] = [Number(entry[2]), Number(entry[3])];
  if (uid === 0 || gid === 0) throw new ActionsConfigError([`COMPANYOS_ACTION_USER: ${user.name} is root (uid or gid 0); actions never run as root`]);
  return { uid, gid };
}

/** The executor's settings from configuration, and one line saying what they mean for people. */
export async function actionSettingsOf(config: Config, environment: Readonly<Record<string, string | undefined>> = process.env): Promise<{ readonly settings: ActionSettings; readonly description: string }> {
  const m = config.maestro;
  const actions = m.actionsFile === undefined ? NO_ACTIONS : await loadActionCatalogue(m.actionsFile, environment);
  const runAs = m.actionUser === undefined ? undefined : await resolveActionUser(m.actionUser);
  const settings: ActionSettings = {
    actions,
    egress: m.egress,
    environment,
    allowRoot: m.allowRootActions,
    ...(runAs === undefined ? {} : { runAs }),
  };
  const root = process.getuid?.() === 0;
  const who =
    actions.size === 0
      ? 'script steps refused (no COMPANYOS_ACTIONS_FILE)'
      : runAs !== undefined
        ? `${actions.size} action(s), run as uid ${runAs.uid} gid ${runAs.gid}${root ? '' : ' (needs root or CAP_SETUID/CAP_SETGID to switch; without them every action fails)'}`
        : root && !m.allowRootActions
          ? `${actions.size} action(s), NOT run: the server is root and COMPANYOS_ACTION_USER is unset`
          : `${actions.size} action(s), run as the server's own user${root ? ' (root, COMPANYOS_ALLOW_ROOT_ACTIONS=true)' : ''}`;
  const egress = m.egress.allow.map((r) => (r.kind === 'public' ? 'public addresses' : ruleText(r)));
  return { settings, description: `maestro: ${who}; http egress to ${egress.join(', ')}${m.egress.followRedirects ? ', redirects followed' : ''}` };
}

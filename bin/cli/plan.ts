// `companyos plan submit FILE`: registers a Maestro plan (mcplan.yaml) through the HTTP API
// (COMPANYOS_URL, COMPANYOS_TOKEN); prints the plan's name, version and digest.
import { readFile } from 'node:fs/promises';
import type { Config } from '../../schemas/config.js';
import { apiFromEnv, apiRequest } from './run.js';
import { UsageError } from './usage.js';

const USAGE = 'companyos plan submit FILE';

export async function planCommand(_config: Config, argv: readonly string[]): Promise<void> {
  const [sub, file, ...extra] = argv;
  if (sub !== 'submit' || file === undefined || file.startsWith('-') || extra.length > 0) throw new UsageError(`usage: ${USAGE}`);
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const r = await apiRequest(apiFromEnv(), 'POST', '/v1/plans', { yaml: source });
  const b = r.body;
  console.log(`plan ${String(b['name'])} v${String(b['version'])} ${b['created'] ? 'registered' : 'already registered (same content)'} (${String(b['steps'])} steps, digest ${String(b['digest']).slice(0, 16)}…)`);
}

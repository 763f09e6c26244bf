// The composition root: wires adapters from configuration into one running system (log, keys, policy,
// command pipeline, HTTP app). `companyos serve`, the tests and the benchmarks all start here.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadJwtSecret } from '../adapters/auth/dev-secret.js';
import { jwtVerifier, remoteJwks, type TokenVerifier } from '../adapters/auth/jwt.js';
import { CedarAuthorizer } from '../adapters/cedar/cedar-authorizer.js';
import { createApp } from '../adapters/http/app.js';
import { Metrics } from '../adapters/http/metrics.js';
import { loadKeyring } from '../adapters/keys/keyring-store.js';
import type { AccessDeps } from '../commands/access.js';
import { CommandPipeline } from '../commands/pipeline.js';
import { DEFAULT_RETRY } from '../commands/stream-writer.js';
import { commandHandlers } from '../domain/index.js';
import type { Keyring } from '../ledger/index.js';
import type { Config } from '../schemas/config.js';
import type { EventLog } from '../schemas/event-log.js';
import { openLog } from './open-log.js';

export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('../commands/policies/default.cedar', import.meta.url));

export interface System {
  readonly config: Config;
  readonly log: EventLog;
  readonly keyring: Keyring;
  readonly pipeline: CommandPipeline;
  readonly metrics: Metrics;
  readonly app: ReturnType<typeof createApp>;
  /** Set when tokens are HS256 (development); absent with a JWKS URL. */
  readonly jwtSecret: Uint8Array | undefined;
  /** Where the log lives, for people: "PostgreSQL at …", "PGlite in ./data/pglite", … */
  readonly logDescription: string;
  close(): Promise<void>;
}

export interface SystemOverrides {
  /** Use this log instead of opening one from configuration (tests); the caller closes it. */
  readonly log?: EventLog;
  readonly clock?: () => Date;
}

export async function openSystem(config: Config, overrides: SystemOverrides = {}): Promise<System> {
  const clock = overrides.clock ?? (() => new Date());
  const keyring = await loadKeyring(
    { signingKey: config.signingKey, keyringFile: config.keyringFile, dataDir: config.dataDir },
    clock().toISOString(),
  );
  const authorizer = new CedarAuthorizer(await readFile(config.policyFile ?? DEFAULT_POLICY_FILE, 'utf8'));
  const jwtSecret = config.jwt.jwksUrl !== undefined && config.jwt.secret === undefined ? undefined : await loadJwtSecret(config.jwt.secret, config.dataDir);
  const tokens: TokenVerifier =
    jwtSecret !== undefined ? jwtVerifier(jwtSecret, config.jwt) : jwtVerifier(remoteJwks(config.jwt.jwksUrl!), config.jwt);
  const opened = overrides.log !== undefined ? { log: overrides.log, description: 'injected log', close: async () => {} } : await openLog(config);
  const metrics = new Metrics();
  const access: AccessDeps = {
    log: opened.log,
    keyring,
    authorizer,
    clock,
    newId: randomUUID,
    auditRetry: { attempts: 20, baseDelayMs: 2, onConflict: () => metrics.revisionConflicts.inc({ stream: 'audit' }) },
  };
  const pipeline = new CommandPipeline({
    ...access,
    handlers: Object.fromEntries(commandHandlers),
    retry: { ...DEFAULT_RETRY, onConflict: () => metrics.revisionConflicts.inc({ stream: 'aggregate' }) },
  });
  const app = createApp({
    access,
    pipeline,
    tokens,
    metrics,
    notReady: async () => {
      try {
        await opened.log.readAll({ maxCount: 1 });
        return [];
      } catch {
        return ['event log'];
      }
    },
  });
  return {
    config,
    log: opened.log,
    keyring,
    pipeline,
    metrics,
    app,
    jwtSecret,
    logDescription: opened.description,
    close: opened.close,
  };
}

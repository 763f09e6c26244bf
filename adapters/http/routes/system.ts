// Unauthenticated operational endpoints: liveness, readiness, Prometheus metrics, published keys.
import { Hono } from 'hono';
import { noteVerifierString } from '../../../commands/checkpointer.js';
import { publishedKeys, type Keyring } from '../../../ledger/index.js';
import type { SealedEvent } from '../../../schemas/sealed-event.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';

export interface SystemDeps {
  readonly keyring: Keyring;
  /** COMPANYOS_LOG_ORIGIN: with it, each key also carries its checkpoint-note verifier string. */
  readonly logOrigin?: string;
  readonly metrics: Metrics;
  /** The sealed `ledger.key.rotated` events (commands/rotate-key.ts keyRotations), published beside the keys. */
  readonly rotations?: () => Promise<readonly SealedEvent[]>;
  /** COMPANYOS_WITNESSES: the witnesses' cosignature verifier keys, published so a client can check their lines. */
  readonly witnesses?: readonly string[];
  /** Resolves to the names of the dependencies that are not ready; empty when ready. */
  readonly notReady: () => Promise<readonly string[]>;
  /** Shown in /readyz whether ready or not (e.g. projection lag). */
  readonly readinessDetails?: () => Readonly<Record<string, unknown>>;
}

export function systemRoutes(deps: SystemDeps): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const waiting = await deps.notReady();
      const details = deps.readinessDetails?.() ?? {};
      return waiting.length === 0 ? c.json({ status: 'ready', ...details }) : c.json({ status: 'not ready', waiting, ...details }, 503);
    })
    .get('/metrics', (c) => c.body(deps.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }))
    .get('/v1/ledger/keys', async (c) => {
      c.header('cache-control', 'public, max-age=60');
      const origin = deps.logOrigin;
      const keys = publishedKeys(deps.keyring).map((k, i) =>
        origin === undefined ? k : { ...k, noteVerifier: noteVerifierString(origin, deps.keyring.entries[i]!) });
      // The keys' chain: each rotation signed by the outgoing key, so a client that pinned the first key
      // reaches the current one without trusting this list of keys.
      // The witnesses the operator configured (their cosignature/v1 verifier keys): a browser or client that
      // trusts this list as much as the log's keys can check which witnesses cosigned a checkpoint.
      const witnesses = deps.witnesses === undefined || deps.witnesses.length === 0 ? {} : { witnesses: [...deps.witnesses] };
      return c.json(deps.rotations === undefined ? { keys, ...witnesses } : { keys, rotations: await deps.rotations(), ...witnesses });
    });
}

// Test harness for the HTTP API: a whole system (real pipeline, Cedar, sealing) on a given log, driven
// through hono's in-process fetch, with tokens issued by the same secret the server verifies.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { issueDevelopmentToken, type DevelopmentTokenClaims } from '../adapters/auth/jwt.js';
import { openSystem, type System, type SystemOverrides } from '../bin/system.js';
import { TEST_SEED } from './test-events.js';
import { loadConfig } from '../schemas/config.js';
import type { EventLog } from '../adapters/event-log/index.js';

export const JWT_SECRET = 'test-secret-of-at-least-32-bytes!!';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // Tests inspect arbitrary JSON answers.
  readonly body: any;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is (no JSON encoding), e.g. malformed JSON. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface TestApi {
  readonly system: System;
  token(claims: DevelopmentTokenClaims, nowSeconds?: number): Promise<string>;
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export async function openTestApi(log: EventLog, env: Record<string, string> = {}, overrides: Omit<SystemOverrides, 'log'> = {}): Promise<TestApi> {
  const dataDir = await mkdtemp(join(tmpdir(), 'companyos-api-'));
  const config = loadConfig({
    COMPANYOS_DATA_DIR: dataDir,
    COMPANYOS_SIGNING_KEY: Buffer.from(TEST_SEED).toString('base64'),
    COMPANYOS_JWT_SECRET: JWT_SECRET,
    ...env,
  });
  if (isLeft(config)) throw new Error(config.left.join('; '));
  const system = await openSystem(config.right, { ...overrides, log });
  const secret = new TextEncoder().encode(JWT_SECRET);
  return {
    system,
    token: (claims, nowSeconds = Math.floor(Date.now() / 1000)) => issueDevelopmentToken(secret, config.right.jwt, claims, nowSeconds),
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      const res = await system.app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async close() {
      await system.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// Configuration: one io-ts codec over the environment. A bad value stops start-up with a message naming it.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { DEFAULT_EGRESS, EgressAllow, type EgressPolicy } from './egress.js';
import { formatValidationErrors } from './validation.js';
import { parseTrustedKey } from '../ledger/trusted-key.js';
import { WitnessKeys } from './cosignatures.js';
import { TenantRegionsC, type TenantRegions } from './tenant-regions.js';

const urlOf = (name: string, protocols: readonly string[]) =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string',
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c);
      try {
        const url = new URL(u);
        return protocols.includes(url.protocol) ? t.success(u) : t.failure(u, c, `${name}: expected ${protocols.join(' or ')} URL`);
      } catch {
        return t.failure(u, c, `${name}: not a URL`);
      }
    },
    t.identity,
  );

const Port = new t.Type<number, string, unknown>(
  'port number (1-65535)',
  (u): u is number => typeof u === 'number',
  (u, c) => {
    const n = typeof u === 'string' && /^\d+$/.test(u) ? Number(u) : NaN;
    return n >= 1 && n <= 65535 ? t.success(n) : t.failure(u, c);
  },
  String,
);

const NonEmpty = new t.Type<string, string, unknown>(
  'non-empty string',
  (u): u is string => typeof u === 'string' && u.length > 0,
  (u, c) => (typeof u === 'string' && u.length > 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/**
 * COMPANYOS_TRUSTED_KEYS: the signing keys an operator pins out of band, comma-separated, each the base64
 * of a raw Ed25519 public key, a key id `ed25519:<16 hex>`, or a note verifier string
 * `<name>+<hex id>+<base64 key>` as GET /v1/ledger/keys publishes it; verification's key chain starts there.
 */
export const TrustedKeys = new t.Type<readonly string[], string, unknown>(
  'COMPANYOS_TRUSTED_KEYS (comma-separated base64 Ed25519 public keys, key ids ed25519:<16 hex> or verifier keys <name>+<hex id>+<base64 key>)',
  (u): u is readonly string[] => Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const keys = u.split(',').map((k) => k.trim());
    for (const [i, key] of keys.entries()) {
      const parsed = parseTrustedKey(key);
      if (!parsed.ok) return t.failure(u, c, `entry ${i + 1} is ${parsed.reason.startsWith('neither') ? parsed.reason : `not a usable key: ${parsed.reason}`}`);
    }
    return t.success(keys);
  },
  (keys) => keys.join(','),
);

/** One tenant's GitHub webhook secret: a delivery signed with it is that tenant's service acting in `region`. */
export interface GithubWebhookSecret {
  readonly tenant: string;
  readonly region: string;
  readonly secret: string;
}

const GITHUB_WEBHOOKS = 'COMPANYOS_GITHUB_WEBHOOKS';
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const REGION = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * `tenant:region:secret,…` (the secret is everything after the second ':', so it may hold ':' but not ','
 * or whitespace). GitHub cannot send a bearer token, so the secret is the credential: at least 16
 * characters, and one secret names one tenant (a tenant may list two while rotating). Messages never
 * echo a secret.
 */
const GithubWebhooks = new t.Type<readonly GithubWebhookSecret[], string, unknown>(
  `${GITHUB_WEBHOOKS} (tenant:region:secret,…)`,
  (u): u is readonly GithubWebhookSecret[] => Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const problems: string[] = [];
    const entries: GithubWebhookSecret[] = [];
    u.split(',').forEach((raw, i) => {
      const at = `${GITHUB_WEBHOOKS}: entry ${i + 1}`;
      const m = /^([^:]*):([^:]*):(.*)$/s.exec(raw.trim());
      if (m === null) return problems.push(`${at}: expected tenant:region:secret`);
      const [, tenant = '', region = '', secret = ''] = m;
      if (!TENANT.test(tenant)) problems.push(`${at}: tenant ${JSON.stringify(tenant)} is not a tenant id (lower-case slug)`);
      if (!REGION.test(region)) problems.push(`${at}: region ${JSON.stringify(region)} is not a region (lower-case slug)`);
      if (secret.length < 16 || /\s/.test(secret)) problems.push(`${at} (tenant ${tenant}): the secret must be at least 16 characters without whitespace`);
      else if (entries.some((e) => e.secret === secret)) problems.push(`${at} (tenant ${tenant}): the same secret is listed twice; a secret must name one tenant`);
      entries.push({ tenant, region, secret });
    });
    return problems.length > 0 ? t.failures(problems.map((message) => ({ value: undefined, context: c, message }))) : t.success(entries);
  },
  (entries) => entries.map((e) => `${e.tenant}:${e.region}:${e.secret}`).join(','),
);

/** Who runs script actions: numeric `uid:gid`, or a user name resolved at start (never root). */
export type ActionUser = { readonly uid: number; readonly gid: number } | { readonly name: string };
const ActionUserC = new t.Type<ActionUser, string, unknown>(
  'COMPANYOS_ACTION_USER (uid:gid or a user name, not root)',
  (u): u is ActionUser => typeof u === 'object' && u !== null,
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const ids = /^(\d{1,10}):(\d{1,10})$/.exec(u);
    if (ids !== null) {
      const [uid, gid] = [Number(ids[1]), Number(ids[2])];
      if (uid === 0 || gid === 0) return t.failure(u, c, 'COMPANYOS_ACTION_USER: actions never run as root (uid or gid 0)');
      return uid <= 0xfffffffe && gid <= 0xfffffffe ? t.success({ uid, gid }) : t.failure(u, c);
    }
    if (u === 'root') return t.failure(u, c, 'COMPANYOS_ACTION_USER: actions never run as root');
    return /^[a-z_][a-z0-9_-]{0,31}$/.test(u) ? t.success({ name: u }) : t.failure(u, c);
  },
  (a) => ('name' in a ? a.name : `${a.uid}:${a.gid}`),
);
/** A positive whole number of commands (1-100000). */
const Count = (name: string) =>
  new t.Type<number, string, unknown>(
    `${name} (a whole number, 1-100000)`,
    (u): u is number => typeof u === 'number',
    (u, c) => (typeof u === 'string' && /^\d{1,6}$/.test(u) && +u >= 1 && +u <= 100_000 ? t.success(+u) : t.failure(u, c)),
    String,
  );
const parsedUrl = (u: string): URL | undefined => {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
};

/** An OpenID issuer: https, or http on a loopback host only (a test, or a provider on this machine). */
const IssuerUrl = new t.Type<string, string, unknown>(
  'COMPANYOS_OIDC_ISSUER (an https URL, or http on localhost/127.0.0.1/[::1]; no query or fragment)',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const url = parsedUrl(u);
    if (url === undefined || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return t.failure(u, c);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return url.protocol === 'https:' || (url.protocol === 'http:' && loopback) ? t.success(u) : t.failure(u, c);
  },
  t.identity,
);
/** OAuth scope values (RFC 6749 §3.3), space-separated; the portal's must ask for `openid`. */
const OidcScope = new t.Type<string, string, unknown>(
  'COMPANYOS_OIDC_SCOPE (space-separated scope values including openid)',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(u) && u.split(' ').includes('openid') ? t.success(u) : t.failure(u, c)),
  t.identity,
);
/** A resource indicator (RFC 8707): an absolute URI without a fragment. */
const ResourceIndicator = new t.Type<string, string, unknown>(
  'COMPANYOS_OIDC_RESOURCE (an absolute URI without a fragment)',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' && u.length <= 2048 && parsedUrl(u) !== undefined && !u.includes('#') ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const Flag = (name: string) => t.keyof({ true: null, false: null }, `${name} ("true" or "false")`);

/** The environment variables the system reads; every one is optional. */
export const Environment = t.partial({
  PORT: Port,
  COMPANYOS_DATA_DIR: NonEmpty,
  DATABASE_URL: urlOf('DATABASE_URL', ['postgres:', 'postgresql:']),
  EVENTSTORE_URL: urlOf('EVENTSTORE_URL', ['esdb:', 'esdb+discover:', 'kurrentdb:', 'kdb:']),
  CLICKHOUSE_URL: urlOf('CLICKHOUSE_URL', ['http:', 'https:']),
  NATS_URL: urlOf('NATS_URL', ['nats:', 'tls:', 'ws:', 'wss:']),
  COMPANYOS_SIGNING_KEY: NonEmpty,
  COMPANYOS_KEYRING_FILE: NonEmpty,
  COMPANYOS_TRUSTED_KEYS: TrustedKeys,
  COMPANYOS_JWT_SECRET: NonEmpty,
  COMPANYOS_JWKS_URL: urlOf('COMPANYOS_JWKS_URL', ['http:', 'https:']),
  COMPANYOS_JWT_ISSUER: NonEmpty,
  COMPANYOS_JWT_AUDIENCE: NonEmpty,
  COMPANYOS_JWT_MAX_TTL: new t.Type<number, string, unknown>(
    'COMPANYOS_JWT_MAX_TTL (seconds, 1-31536000)',
    (u): u is number => typeof u === 'number',
    (u, c) => (typeof u === 'string' && /^\d{1,8}$/.test(u) && +u >= 1 && +u <= 31_536_000 ? t.success(+u) : t.failure(u, c)),
    String,
  ),
  COMPANYOS_OIDC_ISSUER: IssuerUrl,
  COMPANYOS_OIDC_CLIENT_ID: NonEmpty,
  COMPANYOS_OIDC_SCOPE: OidcScope,
  COMPANYOS_OIDC_RESOURCE: ResourceIndicator,
  COMPANYOS_POLICY_FILE: NonEmpty,
  COMPANYOS_GITHUB_WEBHOOKS: GithubWebhooks,
  COMPANYOS_INGEST_REQUIRE_TOKEN: t.keyof({ true: null, false: null }, 'COMPANYOS_INGEST_REQUIRE_TOKEN ("true" or "false")'),
  COMPANYOS_ACTIONS_FILE: NonEmpty,
  COMPANYOS_ACTION_USER: ActionUserC,
  COMPANYOS_ALLOW_ROOT_ACTIONS: Flag('COMPANYOS_ALLOW_ROOT_ACTIONS'),
  COMPANYOS_EGRESS_ALLOW: EgressAllow,
  COMPANYOS_EGRESS_FOLLOW_REDIRECTS: Flag('COMPANYOS_EGRESS_FOLLOW_REDIRECTS'),
  COMPANYOS_LOG_ORIGIN: new t.Type<string, string, unknown>(
    'COMPANYOS_LOG_ORIGIN (a host-like name: lower-case letters, digits, dots, hyphens and slashes, no "+" or space)',
    (u): u is string => typeof u === 'string',
    (u, c) => (typeof u === 'string' && /^[a-z0-9][a-z0-9.-]{0,200}(\/[a-z0-9][a-z0-9.-]{0,100}){0,4}$/.test(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  ),
  COMPANYOS_WITNESSES: WitnessKeys,
  COMPANYOS_TENANT_REGIONS: TenantRegionsC,
  COMPANYOS_CHECKPOINT_INTERVAL: new t.Type<number, string, unknown>(
    'COMPANYOS_CHECKPOINT_INTERVAL (seconds, 0.01-3600; 0: no checkpointer, for measuring its cost)',
    (u): u is number => typeof u === 'number',
    (u, c) => (typeof u === 'string' && /^\d{1,4}(\.\d{1,3})?$/.test(u) && (+u === 0 || (+u >= 0.01 && +u <= 3600)) ? t.success(Math.round(+u * 1000)) : t.failure(u, c)),
    (ms) => String(ms / 1000),
  ),
  COMPANYOS_MAX_INFLIGHT: Count('COMPANYOS_MAX_INFLIGHT'),
  COMPANYOS_MAX_INFLIGHT_PER_TENANT: Count('COMPANYOS_MAX_INFLIGHT_PER_TENANT'),
  COMPANYOS_COMMAND_TIMEOUT: new t.Type<number, string, unknown>(
    'COMPANYOS_COMMAND_TIMEOUT (seconds, 0.01-3600)',
    (u): u is number => typeof u === 'number',
    (u, c) => (typeof u === 'string' && /^\d{1,4}(\.\d{1,3})?$/.test(u) && +u >= 0.01 && +u <= 3600 ? t.success(Math.round(+u * 1000)) : t.failure(u, c)),
    (ms) => String(ms / 1000),
  ),
  COMPANYOS_PG_QUERY_TIMEOUT: new t.Type<number, string, unknown>(
    'COMPANYOS_PG_QUERY_TIMEOUT (seconds, 0.01-3600)',
    (u): u is number => typeof u === 'number',
    (u, c) => (typeof u === 'string' && /^\d{1,4}(\.\d{1,3})?$/.test(u) && +u >= 0.01 && +u <= 3600 ? t.success(Math.round(+u * 1000)) : t.failure(u, c)),
    (ms) => String(ms / 1000),
  ),
  COMPANYOS_PG_PREPARED_STATEMENTS: t.keyof({ true: null, false: null }, 'COMPANYOS_PG_PREPARED_STATEMENTS ("true" or "false")'),
  COMPANYOS_PG_SCHEMA: new t.Type<string, string, unknown>(
    'COMPANYOS_PG_SCHEMA (lower-case SQL identifier)',
    (u): u is string => typeof u === 'string',
    (u, c) => (typeof u === 'string' && /^[a-z_][a-z0-9_]{0,62}$/.test(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  ),
});

/** A PostgreSQL statement unanswered this long (ms) fails as unavailable: a partition never holds a request forever. */
export const DEFAULT_PG_QUERY_TIMEOUT_MS = 60_000;

/**
 * Backpressure defaults: a tenant may hold half the process's slots, so one tenant never shuts out the
 * rest; 16 commands in flight keep the log's pool (10 connections) and the CPU busy without queueing
 * behind them (bench:commands --clients 16,64: the accepted commands' p99 at 64 clients stays near that at 16).
 */
export const DEFAULT_ADMISSION = { maxInFlight: 16, maxInFlightPerTenant: 8, commandTimeoutMs: 30_000 } as const;

export interface OidcClientConfig {
  readonly issuer: string;
  readonly clientId: string;
  /** Space-separated, including openid (default "openid"). */
  readonly scope: string;
  /** RFC 8707 resource indicator sent with the authorization and token requests, when the issuer wants one. */
  readonly resource: string | undefined;
}

export interface Config {
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly eventStoreUrl: string | undefined;
  readonly clickhouseUrl: string | undefined;
  readonly natsUrl: string | undefined;
  /** Base64 Ed25519 seed of the active signing key; else the keyring file, else a development key. */
  readonly signingKey: string | undefined;
  readonly keyringFile: string | undefined;
  /** COMPANYOS_TRUSTED_KEYS; empty: verification trusts the log's first key on first use, and says so. */
  readonly trustedKeys: readonly string[];
  readonly jwt: {
    readonly secret: string | undefined;
    readonly jwksUrl: string | undefined;
    readonly issuer: string;
    readonly audience: string;
    /** A token whose lifetime (exp - iat, or exp - now) is longer is refused; every token must have exp. */
    readonly maxTtlSeconds: number;
  };
  /**
   * The audit portal's OpenID Connect client (authorization code + PKCE in the browser), or undefined: then
   * the portal offers a pasted token (and, with development keys, the demo tenant). The issuer is also the
   * tokens' expected `iss`; its discovery document names the endpoints (adapters/auth/oidc-discovery.ts).
   */
  readonly oidc: OidcClientConfig | undefined;
  readonly policyFile: string | undefined;
  /** COMPANYOS_TENANT_REGIONS: tenant → the regions it is sovereign to (policy tenant-residency). */
  readonly tenantRegions: TenantRegions;
  /** PostgreSQL schema of the log and read models (several systems can share one database). */
  readonly pgSchema: string;
  /** The tenant trees' signed checkpoints (projections/tree, commands/checkpointer.ts). */
  readonly ledger: {
    /** A tenant's checkpoints name the origin `<logOrigin>/<tenant>`; also the name of the log's note key. */
    readonly logOrigin: string;
    /** A tenant whose tree grew gets a checkpoint at most this often (ms). */
    readonly checkpointIntervalMs: number;
    /** COMPANYOS_WITNESSES: the witnesses whose cosignatures the server keeps and serves (verifier keys). */
    readonly witnesses: readonly string[];
  };
  /** PostgreSQL server only: the longest a statement may go unanswered (ms) before it fails as unavailable. */
  readonly pgQueryTimeoutMs: number;
  /** PostgreSQL server only: repeated statements run as named (prepared) ones (read-store/postgres/statement-names.ts). */
  readonly pgPreparedStatements: boolean;
  /** Backpressure on the routes that run commands (adapters/http/middleware/command-admission.ts). */
  readonly admission: {
    /** Commands in flight in this process; one more is refused with 503 and Retry-After. */
    readonly maxInFlight: number;
    /** Commands in flight for one tenant; one more is refused with 429 and Retry-After. */
    readonly maxInFlightPerTenant: number;
    /** The longest a command's request waits for its answer (ms); then 503 and Retry-After. */
    readonly commandTimeoutMs: number;
  };
  /** Secrets that authenticate GitHub webhook deliveries, one or more per tenant; empty: the route answers 401. */
  readonly githubWebhooks: readonly GithubWebhookSecret[];
  /** NATS ingest dead-letters messages without a bearer token (else NATS permissions authenticate them). */
  readonly ingestRequiresToken: boolean;
  /** What Maestro's steps may do on this server: registered script actions, who runs them, where http steps connect. */
  readonly maestro: {
    /** The operator's actions file; unset: no actions, so plans with script steps are refused. */
    readonly actionsFile: string | undefined;
    readonly actionUser: ActionUser | undefined;
    /** Run actions as root when the server is root and no action user is set (default false: refused). */
    readonly allowRootActions: boolean;
    readonly egress: EgressPolicy;
  };
}

/** Decodes the environment; empty strings count as unset. Left carries one line per bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Either<readonly string[], Config> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const decoded = Environment.decode(present);
  if (isLeft(decoded)) return left(formatValidationErrors(decoded.left));
  const e = decoded.right;
  const oidc = oidcOf(e);
  if (isLeft(oidc)) return oidc;
  return right({
    port: e.PORT ?? 8080,
    dataDir: e.COMPANYOS_DATA_DIR ?? './data',
    databaseUrl: e.DATABASE_URL,
    eventStoreUrl: e.EVENTSTORE_URL,
    clickhouseUrl: e.CLICKHOUSE_URL,
    natsUrl: e.NATS_URL,
    signingKey: e.COMPANYOS_SIGNING_KEY,
    keyringFile: e.COMPANYOS_KEYRING_FILE,
    trustedKeys: e.COMPANYOS_TRUSTED_KEYS ?? [],
    jwt: {
      secret: e.COMPANYOS_JWT_SECRET,
      jwksUrl: e.COMPANYOS_JWKS_URL,
      issuer: e.COMPANYOS_JWT_ISSUER ?? e.COMPANYOS_OIDC_ISSUER ?? 'companyos-dev',
      audience: e.COMPANYOS_JWT_AUDIENCE ?? e.COMPANYOS_OIDC_RESOURCE ?? 'companyos',
      maxTtlSeconds: e.COMPANYOS_JWT_MAX_TTL ?? 24 * 3600,
    },
    oidc: oidc.right,
    policyFile: e.COMPANYOS_POLICY_FILE,
    tenantRegions: e.COMPANYOS_TENANT_REGIONS ?? {},
    pgSchema: e.COMPANYOS_PG_SCHEMA ?? 'companyos',
    pgQueryTimeoutMs: e.COMPANYOS_PG_QUERY_TIMEOUT ?? DEFAULT_PG_QUERY_TIMEOUT_MS,
    pgPreparedStatements: e.COMPANYOS_PG_PREPARED_STATEMENTS !== 'false',
    ledger: { logOrigin: e.COMPANYOS_LOG_ORIGIN ?? 'companyos.local', checkpointIntervalMs: e.COMPANYOS_CHECKPOINT_INTERVAL ?? 1000, witnesses: e.COMPANYOS_WITNESSES ?? [] },
    admission: {
      maxInFlight: e.COMPANYOS_MAX_INFLIGHT ?? DEFAULT_ADMISSION.maxInFlight,
      maxInFlightPerTenant: e.COMPANYOS_MAX_INFLIGHT_PER_TENANT ?? DEFAULT_ADMISSION.maxInFlightPerTenant,
      commandTimeoutMs: e.COMPANYOS_COMMAND_TIMEOUT ?? DEFAULT_ADMISSION.commandTimeoutMs,
    },
    githubWebhooks: e.COMPANYOS_GITHUB_WEBHOOKS ?? [],
    ingestRequiresToken: e.COMPANYOS_INGEST_REQUIRE_TOKEN === 'true',
    maestro: {
      actionsFile: e.COMPANYOS_ACTIONS_FILE,
      actionUser: e.COMPANYOS_ACTION_USER,
      allowRootActions: e.COMPANYOS_ALLOW_ROOT_ACTIONS === 'true',
      egress: {
        allow: e.COMPANYOS_EGRESS_ALLOW ?? DEFAULT_EGRESS.allow,
        followRedirects: e.COMPANYOS_EGRESS_FOLLOW_REDIRECTS === 'true',
      },
    },
  });
}

/**
 * The portal's OpenID client from the COMPANYOS_OIDC_* variables: issuer and client id together; the tokens
 * it gets are verified with the issuer's keys (COMPANYOS_JWKS_URL, not a shared secret) and must name it as
 * their issuer, so COMPANYOS_JWT_ISSUER, when set, is the same (unset, it defaults to it).
 */
function oidcOf(e: t.TypeOf<typeof Environment>): Either<readonly string[], OidcClientConfig | undefined> {
  const issuer = e.COMPANYOS_OIDC_ISSUER;
  const clientId = e.COMPANYOS_OIDC_CLIENT_ID;
  if (issuer === undefined && clientId === undefined) {
    const stray = (['COMPANYOS_OIDC_SCOPE', 'COMPANYOS_OIDC_RESOURCE'] as const).filter((k) => e[k] !== undefined);
    return stray.length === 0 ? right(undefined) : left([`${stray.join(' and ')}: set only with COMPANYOS_OIDC_ISSUER and COMPANYOS_OIDC_CLIENT_ID`]);
  }
  const problems: string[] = [];
  if (issuer === undefined) problems.push('COMPANYOS_OIDC_CLIENT_ID needs COMPANYOS_OIDC_ISSUER (the OpenID provider the portal signs in with)');
  if (clientId === undefined) problems.push('COMPANYOS_OIDC_ISSUER needs COMPANYOS_OIDC_CLIENT_ID (the portal\'s client id at that provider)');
  if (e.COMPANYOS_JWKS_URL === undefined || e.COMPANYOS_JWT_SECRET !== undefined) problems.push('COMPANYOS_OIDC_ISSUER needs COMPANYOS_JWKS_URL and no COMPANYOS_JWT_SECRET: the access tokens the portal gets are verified with the issuer\'s published keys');
  if (issuer !== undefined && e.COMPANYOS_JWT_ISSUER !== undefined && e.COMPANYOS_JWT_ISSUER !== issuer) problems.push(`COMPANYOS_JWT_ISSUER (${e.COMPANYOS_JWT_ISSUER}) differs from COMPANYOS_OIDC_ISSUER (${issuer}): tokens from the portal's issuer would be refused`);
  if (problems.length > 0) return left(problems);
  return right({ issuer: issuer!, clientId: clientId!, scope: e.COMPANYOS_OIDC_SCOPE ?? 'openid', resource: e.COMPANYOS_OIDC_RESOURCE });
}

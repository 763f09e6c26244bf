// One active relay per name: a lease row (holder, expires_at on the database clock) renewed by a heartbeat;
// no held connection, so it works on PGlite too. A holder that cannot renew in time stops; an overlap with
// a successor only re-sends (same Nats-Msg-Id) and the checkpoint never moves backwards.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { quoteIdent, type PostgresDatabase } from '../read-store/postgres/database.js';

export interface Lease {
  readonly holder: string;
  /** Resolves when the lease is gone (released, not renewed in time, or taken over). */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

export interface LeaseOptions {
  /** How long a lease lasts without renewal (default 15 s); a crashed holder's lease frees after this. */
  readonly ttlMs?: number;
  /** Renewal period (default ttl / 3). */
  readonly heartbeatMs?: number;
  /** Who asks (default host:pid:random); the same holder may re-take its own lease. */
  readonly holder?: string;
}

/** Takes the lease `name` if it is free, expired or already ours; undefined if someone else holds it. */
export async function tryAcquireLease(database: PostgresDatabase<any>, name: string, options: LeaseOptions = {}): Promise<Lease | undefined> {
  const table = `${quoteIdent(database.schema)}.nats_relay_leases`;
  const ttlMs = options.ttlMs ?? 15_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(10, Math.floor(ttlMs / 3));
  const holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ttl = `${ttlMs} milliseconds`;
  const taken = await database.withSession((s) =>
    s.query(
      `INSERT INTO ${table} AS l (name, holder, expires_at) VALUES ($1, $2, now() + $3::interval)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE l.expires_at < now() OR l.holder = excluded.holder
       RETURNING holder`,
      [name, holder, ttl],
    ),
  );
  if (taken.length === 0) return undefined;

  let markLost!: () => void;
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  let done = false;
  // Renewals are measured on our clock too: if none succeeds within the ttl, someone may have taken over.
  let validUntil = Date.now() + ttlMs;
  const end = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    markLost();
  };
  const renew = async () => {
    if (done) return;
    if (Date.now() > validUntil) return end();
    const started = Date.now();
    try {
      const rows = await database.withSession((s) =>
        s.query(`UPDATE ${table} SET expires_at = now() + $3::interval WHERE name = $1 AND holder = $2 RETURNING 1`, [name, holder, ttl]),
      );
      if (rows.length === 0) end();
      else validUntil = started + ttlMs;
    } catch {
      // Try again at the next beat; `validUntil` ends the lease if the database stays away.
    }
  };
  let renewing: Promise<void> | undefined;
  const timer = setInterval(() => {
    renewing ??= renew().finally(() => (renewing = undefined));
  }, heartbeatMs);

  return {
    holder,
    lost,
    async release() {
      if (done) return;
      end();
      await renewing;
      await database
        .withSession((s) => s.query(`DELETE FROM ${table} WHERE name = $1 AND holder = $2`, [name, holder]))
        .catch(() => {}); // it expires anyway
    },
  };
}

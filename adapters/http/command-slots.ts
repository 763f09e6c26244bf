// Command slots: how many commands this process runs at once, in all and per tenant. A request takes a
// slot before its command runs and gives it back when the command has finished (not when its answer
// left: a command whose caller timed out still holds its slot until its append has settled, so the bound
// is on work, not on waiting callers). Nothing queues: without a free slot the request is refused.

export interface SlotLimits {
  /** Commands in flight in this process. */
  readonly maxInFlight: number;
  /** Commands in flight for one tenant. */
  readonly maxInFlightPerTenant: number;
}

/** What taking a slot gave: a release to call exactly once, or which bound refused it. */
export type Admission = { readonly admitted: true; readonly release: () => void } | { readonly admitted: false; readonly full: 'process' | 'tenant' };

export class CommandSlots {
  #inFlight = 0;
  readonly #perTenant = new Map<string, number>();

  constructor(readonly limits: SlotLimits) {}

  /** Takes a slot for `tenant` (undefined: a caller not yet known to be a tenant's, bounded by the process only). */
  take(tenant: string | undefined): Admission {
    // The tenant's share first: a tenant over its share hears 429 (its own doing) even when the process is full too.
    const held = tenant === undefined ? 0 : this.#perTenant.get(tenant) ?? 0;
    if (tenant !== undefined && held >= this.limits.maxInFlightPerTenant) return { admitted: false, full: 'tenant' };
    if (this.#inFlight >= this.limits.maxInFlight) return { admitted: false, full: 'process' };
    this.#inFlight++;
    if (tenant !== undefined) this.#perTenant.set(tenant, held + 1);
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight--;
        if (tenant === undefined) return;
        const left = (this.#perTenant.get(tenant) ?? 1) - 1;
        if (left === 0) this.#perTenant.delete(tenant);
        else this.#perTenant.set(tenant, left);
      },
    };
  }

  /** Commands running now. */
  inFlight(): number {
    return this.#inFlight;
  }

  /** Tenants with a command running now. */
  busyTenants(): number {
    return this.#perTenant.size;
  }
}

/** The slots as Prometheus gauges, read at scrape time. */
export const renderSlotGauges = (slots: CommandSlots): string =>
  [
    '# HELP companyos_commands_in_flight Commands running now (bounded by COMPANYOS_MAX_INFLIGHT).',
    '# TYPE companyos_commands_in_flight gauge',
    `companyos_commands_in_flight ${slots.inFlight()}`,
    '# HELP companyos_commands_in_flight_limit The most commands this process runs at once.',
    '# TYPE companyos_commands_in_flight_limit gauge',
    `companyos_commands_in_flight_limit ${slots.limits.maxInFlight}`,
  ].join('\n');

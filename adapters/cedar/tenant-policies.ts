// The policy set in force per tenant, followed from the log: the Authorizer every process decides with.
// A tenant with no `<tenant>/policy` stream is decided under the default set (the file this process read
// at start); once the stream holds a `policy.set.published`, under that version's text. Each process reads
// the policy events to the log's end before it serves, then follows them live; a publication takes effect
// at once, for every later decision, without a restart, and the decision seals the version it used.
//
// Which set decides: the resource's tenant's (its `tenant` attribute; the caller's tenant otherwise). A
// tenant's admins govern access to that tenant's resources and no other's, so a tenant that removes
// tenant-isolation from its own set can open its resources to other tenants, never reach theirs.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { EventLog, LogSubscription, RecordedEvent } from '../event-log/index.js';
import type { AuthorizationDecision, AuthorizationRequest, Authorizer, PolicyConditions } from '../../commands/authorizer.js';
import { fromRecordedEvent } from '../../ledger/log-codec.js';
import { PolicyEvent } from '../../schemas/policy.js';
import { parseStream } from '../../schemas/streams.js';
import { CedarAuthorizer, type CedarAuthorizerOptions } from './cedar-authorizer.js';

export interface PolicyInForce {
  readonly version: string;
  /** 1 for the default (also before the tenant's stream exists), then the stream's numbering. */
  readonly ordinal: number;
  readonly text: string;
  /** Log position of the `policy.set.published` that put it in force; undefined for the default. */
  readonly position: bigint | undefined;
}

interface TenantSet extends PolicyInForce {
  readonly authorizer: CedarAuthorizer;
}

const POLICY_EVENTS = { eventTypePrefixes: ['policy.set.'] } as const;
const PAGE = 1000;

export class TenantPolicies implements Authorizer {
  readonly #default: TenantSet;
  readonly #inForce = new Map<string, TenantSet>();
  /** Proposed texts by `<tenant>\0<ordinal>`, until published. */
  readonly #proposed = new Map<string, string>();
  readonly #waiters = new Set<() => void>();
  #position: bigint | undefined;
  readonly #options: CedarAuthorizerOptions;

  /** `options` apply to every set this follows (slicing and the decision cache; defaults for serving). */
  constructor(defaultText: string, options: CedarAuthorizerOptions = {}) {
    this.#options = options;
    const authorizer = new CedarAuthorizer(defaultText, options);
    this.#default = { version: authorizer.policyVersion, ordinal: 1, text: defaultText, position: undefined, authorizer };
  }

  /** The default set's version (the port's; per tenant see inForce). */
  get policyVersion(): string {
    return this.#default.version;
  }

  get defaultText(): string {
    return this.#default.text;
  }

  /** The last policy event applied (undefined before any). */
  get position(): bigint | undefined {
    return this.#position;
  }

  inForce(tenant: string): PolicyInForce {
    const { version, ordinal, text, position } = this.#inForce.get(tenant) ?? this.#default;
    return { version, ordinal, text, position };
  }

  authorize(request: AuthorizationRequest, decisionId: string): AuthorizationDecision {
    return this.#deciding(request).authorize(request, decisionId);
  }

  conditions(request: AuthorizationRequest): readonly PolicyConditions[] {
    return this.#deciding(request).conditions(request);
  }

  #deciding(request: AuthorizationRequest): CedarAuthorizer {
    const owner = request.resource.attributes['tenant'];
    const tenant = typeof owner === 'string' ? owner : request.principal.tenant;
    return (this.#inForce.get(tenant) ?? this.#default).authorizer;
  }

  /** Applies one recorded policy event (others are ignored). Throws on one it cannot read. */
  apply(record: RecordedEvent): void {
    if (this.#position !== undefined && record.position <= this.#position) return;
    const tenant = parseStream(record.stream)?.tenant;
    const sealed = fromRecordedEvent(record);
    if (tenant === undefined || isLeft(sealed)) throw new Error(`policy event at ${record.position} on ${record.stream} cannot be read`);
    const event = PolicyEvent.decode(sealed.right);
    if (isLeft(event)) throw new Error(`policy event at ${record.position} on ${record.stream} is not a policy event this code reads`);
    const e = event.right;
    if (e.type === 'policy.set.proposed') {
      this.#proposed.set(`${tenant}\0${e.data.ordinal}`, e.data.text);
    } else {
      const key = `${tenant}\0${e.data.ordinal}`;
      const text = this.#proposed.get(key);
      if (text === undefined) throw new Error(`policy.set.published at ${record.position}: ${record.stream} never proposed version ${e.data.ordinal}`);
      // Built before it replaces anything: a set that fails to build leaves the one in force.
      const authorizer = text === this.#default.text ? this.#default.authorizer : new CedarAuthorizer(text, this.#options);
      this.#inForce.set(tenant, { version: e.data.version, ordinal: e.data.ordinal, text, position: record.position, authorizer });
    }
    this.#position = record.position;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves once `tenant` decides under `version` (at once if it already does). */
  async whenInForce(tenant: string, version: string): Promise<PolicyInForce> {
    while (this.inForce(tenant).version !== version) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
      });
    }
    return this.inForce(tenant);
  }

  /**
   * Applies a record; one it cannot apply is reported and passed over (its tenant keeps the set in force),
   * so one unreadable event does not stop every tenant's policy from following the log.
   */
  #applyOrReport(record: RecordedEvent, onError: (error: unknown) => void): void {
    try {
      this.apply(record);
    } catch (error) {
      onError(error);
      this.#position = record.position;
    }
  }

  /** Reads every policy event to the log's end (call before serving); then `follow` goes on live. */
  async catchUp(log: EventLog, onError: (error: unknown) => void = (error) => console.error('policy:', error)): Promise<void> {
    for (;;) {
      const page = await log.readAll({ ...(this.#position === undefined ? {} : { after: this.#position }), maxCount: PAGE, filter: POLICY_EVENTS });
      for (const record of page) this.#applyOrReport(record, onError);
      if (page.length < PAGE) return;
    }
  }

  /** Follows the policy events live from where catchUp stopped, until close. */
  follow(log: EventLog, onError: (error: unknown) => void): { close(): Promise<void> } {
    let subscription: LogSubscription | undefined;
    let closed = false;
    const run = async () => {
      while (!closed) {
        try {
          subscription = log.subscribe({ ...(this.#position === undefined ? {} : { after: this.#position }), filter: POLICY_EVENTS });
          for await (const record of subscription) this.#applyOrReport(record, onError);
          if (!closed) throw new Error('the policy subscription ended');
        } catch (error) {
          if (closed) return;
          onError(error);
          await new Promise((r) => setTimeout(r, 1000));
        } finally {
          await subscription?.close().catch(() => {});
        }
      }
    };
    const done = run();
    return {
      close: async () => {
        closed = true;
        await subscription?.close().catch(() => {});
        await done;
      },
    };
  }
}

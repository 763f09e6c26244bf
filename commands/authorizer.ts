// The policy port: every command and privileged read is decided here before anything else happens.
// Deny by default; the decision's id, policy version and determining policies are sealed into events.
import type { JsonValue } from '../schemas/json.js';
import type { ActorAuthn } from '../schemas/sealed-event.js';

/** Who is asking, as proven by the verified token. */
export interface Principal {
  readonly id: string;
  readonly tenant: string;
  readonly roles: readonly string[];
  /** Home region of the token; writes need it to match the resource's region. */
  readonly region: string | undefined;
  /** Seconds since the epoch when the principal authenticated (for step-up rules). */
  readonly authTime: number | undefined;
  /** How the principal proved who it is; sealed as meta.actor.authn. */
  readonly authn: ActorAuthn;
}

export interface AuthorizationRequest {
  readonly principal: Principal;
  /** The action, e.g. `graph.node.upsert` or `stream.read`. */
  readonly action: string;
  /** Action groups the action belongs to, most specific first, e.g. ['graph.write', 'write']. */
  readonly actionGroups: readonly string[];
  readonly resource: {
    readonly type: string;
    readonly id: string;
    /** Must include `tenant`; `region` where the resource has one. */
    readonly attributes: Readonly<Record<string, JsonValue>>;
  };
  /** Request context: time, network zone, device trust, risk score, purpose. */
  readonly context: Readonly<Record<string, JsonValue>>;
}

export interface AuthorizationDecision {
  readonly id: string;
  readonly allowed: boolean;
  /** SHA-256 of the policy set's text. */
  readonly policyVersion: string;
  readonly determiningPolicies: readonly string[];
  /** A plain sentence a person can act on. */
  readonly explanation: string;
}

export interface Authorizer {
  readonly policyVersion: string;
  authorize(request: AuthorizationRequest, decisionId: string): AuthorizationDecision;
}

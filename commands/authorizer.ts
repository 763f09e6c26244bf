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
  /** The token's `acr` (authentication context class) and `amr` (methods) claims, for step-up rules (RFC 9470). */
  readonly acr?: string;
  readonly amr?: readonly string[];
  /** The token's `purpose` claim: why personal data is read (an X-Purpose header overrides it). */
  readonly purpose?: string;
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
  /** What the decision saw: the request as asked (context included); sealed as meta.decision.input (commands/decision-input.ts). */
  readonly input?: AuthorizationRequest;
  /**
   * A denial that a fresher or stronger authentication would lift: every determining policy is marked
   * `@stepUpMaxAge("<seconds>")` and/or `@stepUpAcr("<acr> ...")`. Answered 401 with an RFC 9470 challenge.
   */
  readonly stepUp?: StepUp;
}

/** What an RFC 9470 challenge asks for: a login at most `maxAge` seconds old, and/or one of `acrValues`. */
export interface StepUp {
  readonly maxAge?: number;
  readonly acrValues?: readonly string[];
}

/** One condition of a policy, evaluated alone on a request (`?explain=true`). */
export interface ConditionOutcome {
  readonly kind: 'when' | 'unless';
  /** The condition as Cedar text. */
  readonly condition: string;
  /** What it evaluated to; `error` when evaluation failed (e.g. a missing attribute). */
  readonly value: boolean | 'error';
  /** True when this condition is why the request is denied: a permit's it did not meet, a forbid's it met. */
  readonly failed: boolean;
}

/** A policy whose scope (principal, action, resource) matches the request, with its conditions evaluated one by one. */
export interface PolicyConditions {
  readonly policy: string;
  readonly effect: 'permit' | 'forbid';
  readonly reason: string;
  /** Whether the whole policy applied (scope and every condition). */
  readonly applied: boolean;
  readonly conditions: readonly ConditionOutcome[];
}

export interface Authorizer {
  readonly policyVersion: string;
  authorize(request: AuthorizationRequest, decisionId: string): AuthorizationDecision;
  /** The policies in scope of a request and which of their conditions held (for admins' `?explain=true`). */
  conditions?(request: AuthorizationRequest): readonly PolicyConditions[];
}

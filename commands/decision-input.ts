// A decision's input as it is sealed (meta.decision.input) and back: the compact form keeps exactly what
// Cedar is asked (adapters/cedar/cedar-authorizer.ts: the principal's id, tenant, roles, region and
// authTime, the action and its groups, the resource, the context), so a recorded decision can be asked
// again of another policy set and get the answer that set would have given then.
import type { DecisionInput } from '../schemas/sealed-event.js';
import type { AuthorizationRequest } from './authorizer.js';

/** The request as sealed: nothing Cedar does not see (how the principal authenticated is meta.actor's). */
export function sealedInput(request: AuthorizationRequest): DecisionInput {
  const { principal, resource } = request;
  return {
    principal: {
      id: principal.id,
      tenant: principal.tenant,
      roles: [...principal.roles],
      ...(principal.region !== undefined ? { region: principal.region } : {}),
      ...(principal.authTime !== undefined ? { authTime: principal.authTime } : {}),
    },
    action: request.action,
    actionGroups: [...request.actionGroups],
    resource: { type: resource.type, id: resource.id, attributes: resource.attributes },
    context: request.context,
  };
}

/** The request a sealed input was decided on, to be asked again (its context already holds the facts added then). */
export function requestOf(input: DecisionInput): AuthorizationRequest {
  const { principal } = input;
  return {
    principal: { id: principal.id, tenant: principal.tenant, roles: principal.roles, region: principal.region, authTime: principal.authTime, authn: 'system' },
    action: input.action,
    actionGroups: input.actionGroups,
    resource: input.resource,
    context: input.context,
  };
}

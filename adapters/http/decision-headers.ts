// Every answer says which decision let it through: X-Decision-Id (the id a command seals, or a read's
// own) and X-Policy-Version (the SHA-256 of the policy text that decided), so a caller or an auditor can
// tie a response to the policy in force. A denial's problem carries the same two headers.
import type { Context } from 'hono';

export function decisionHeaders(c: Context, decision: { readonly id: string; readonly policyVersion: string } | undefined): void {
  if (decision === undefined) return;
  c.header('x-decision-id', decision.id);
  c.header('x-policy-version', decision.policyVersion);
}

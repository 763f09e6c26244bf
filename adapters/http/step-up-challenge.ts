// The RFC 9470 step-up challenge: a 401 whose WWW-Authenticate says `error="insufficient_user_authentication"`
// with `max_age` (seconds a login may be old) and/or `acr_values` (space-separated, any one will do), so a
// standard OAuth client knows to send the user back to the authorization server with those parameters.
// error_description takes only RFC 6750's characters (printable ASCII without `"` and `\`).

export interface StepUpChallenge {
  readonly description: string;
  readonly maxAge?: number;
  readonly acrValues?: readonly string[];
}

export function stepUpChallenge(c: StepUpChallenge): string {
  const description = c.description.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '').slice(0, 500);
  const params = [`error="insufficient_user_authentication"`, `error_description="${description}"`];
  if (c.acrValues !== undefined) params.push(`acr_values="${c.acrValues.join(' ')}"`);
  if (c.maxAge !== undefined) params.push(`max_age="${c.maxAge}"`); // quoted as in RFC 9470 §3's example
  return `Bearer ${params.join(', ')}`;
}

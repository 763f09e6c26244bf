// The step-up challenge parses as an RFC 9110 challenge (auth-scheme, then auth-params: token = token or
// quoted-string) with RFC 9470's parameters: error, error_description (RFC 6750's characters only),
// max_age (digits) and acr_values (space-separated).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stepUpChallenge } from './step-up-challenge.js';

/** A strict parser of one challenge: `scheme 1*SP auth-param *( OWS "," OWS auth-param )`. */
function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(.*)$/.exec(header);
  if (m === null) throw new Error(`not a challenge: ${header}`);
  const params: Record<string, string> = {};
  let rest = m[2]!;
  const param = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)=(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)|"((?:[^"\\]|\\.)*)")[ \t]*(?:,[ \t]*|$)/;
  while (rest !== '') {
    const p = param.exec(rest);
    if (p === null) throw new Error(`bad auth-param at: ${rest}`);
    const name = p[1]!.toLowerCase();
    if (name in params) throw new Error(`repeated auth-param ${name}`);
    params[name] = p[2] ?? p[3]!.replace(/\\(.)/g, '$1');
    rest = rest.slice(p[0].length);
  }
  return { scheme: m[1]!, params };
}

const test = suite('step-up challenge');

test('max_age and acr_values in a Bearer challenge with error insufficient_user_authentication', () => {
  const c = parseChallenge(stepUpChallenge({ description: 'a login within 900 s is needed', maxAge: 900, acrValues: ['urn:mfa', 'urn:hwk'] }));
  assert.is(c.scheme, 'Bearer');
  assert.equal(c.params, {
    error: 'insufficient_user_authentication',
    error_description: 'a login within 900 s is needed',
    acr_values: 'urn:mfa urn:hwk',
    max_age: '900',
  });
  assert.equal(Object.keys(parseChallenge(stepUpChallenge({ description: 'x', maxAge: 5 })).params), ['error', 'error_description', 'max_age']);
});

test('error_description keeps to RFC 6750 characters (no quote, backslash or non-ASCII)', () => {
  const header = stepUpChallenge({ description: 'denied: "fresh" login \\ needed — now', maxAge: 60 });
  const { params } = parseChallenge(header);
  assert.is(params['error_description'], 'denied: fresh login  needed  now');
  assert.ok(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(params['error_description']!));
});

test.run();
